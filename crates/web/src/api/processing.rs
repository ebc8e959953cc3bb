//! `/api/v1/processings`: the record of processing. An entry is one flat JSON object: the
//! fields of the protokoll (see `core::processing::Record`), `systems` (ids of the systems it
//! uses), and in answers `id`, `version`, `updated_at` and `missing_fields`.

use crate::auth::ApiCaller;
use crate::error::{ApiError, FieldError, Problem};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use normverk_app::processing::Entry;
use normverk_core::processing::{check, missing_fields, text_rule, Record, FIELDS};
use normverk_store::processing::{Processing, Target};
use normverk_store::OrgId;
use serde_json::{json, Value};
use std::collections::HashMap;
use utoipa::openapi::{schema::Schema, RefOr};
use utoipa_axum::{router::OpenApiRouter, routes};

/// An entry as the API gives it.
fn out(p: &Processing, systems: &[i64]) -> Value {
    let mut v = serde_json::to_value(&p.record).unwrap_or_else(|_| json!({}));
    if let Some(map) = v.as_object_mut() {
        map.insert("id".into(), json!(p.id));
        map.insert("version".into(), json!(p.version));
        map.insert("updated_at".into(), json!(p.updated_at));
        map.insert("missing_fields".into(), json!(missing_fields(&p.record)));
        map.insert("systems".into(), json!(systems));
    }
    v
}

/// Reads an entry: the record's fields and `systems`; anything else is refused by name.
fn read(body: &[u8]) -> Result<(Record, Option<Vec<i64>>), ApiError> {
    let value: Value = super::parse_object(body)?;
    let Value::Object(mut map) = value else {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "send one JSON object"));
    };
    for key in ["id", "version", "updated_at", "missing_fields"] {
        map.remove(key); // what a GET gave may be sent back as it is
    }
    let systems = match map.remove("systems") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            serde_json::from_value::<Vec<i64>>(v).map_err(|_| ApiError::field("systems", "a list of system ids"))?,
        ),
    };
    let mut errors = Vec::new();
    let mut fields = Vec::new();
    for (key, v) in map {
        if !FIELDS.iter().any(|(f, _)| *f == key) {
            errors.push(FieldError { field: key, message: "unknown field".into() });
            continue;
        }
        match v {
            Value::String(_) => fields.push((key, v)),
            Value::Null => {}
            _ => errors.push(FieldError { field: key, message: "a string".into() }),
        }
    }
    let mut record = Record::default();
    for (key, v) in fields {
        if let Value::String(text) = v {
            record.set(&key, text);
        }
    }
    if errors.is_empty() {
        let problems = check(&record);
        errors.extend(problems.into_iter().map(FieldError::from));
    }
    if errors.is_empty() {
        Ok((record, systems))
    } else {
        Err(ApiError::invalid(errors))
    }
}

/// An entry as sent: the protokoll's fields (`name` and `role` required; null or absent is
/// blank), `systems`, and what a GET gave back (ignored).
pub struct ProcessingIn;

impl utoipa::PartialSchema for ProcessingIn {
    fn schema() -> RefOr<Schema> {
        use super::contract::{id, nullable, object, text_field};
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
        let mut required = Vec::new();
        let mut optional = Vec::new();
        for (field, _) in FIELDS {
            let codes = normverk_core::processing::codes(field);
            let schema: RefOr<Schema> = if *field == "role" {
                ObjectBuilder::new().schema_type(SchemaType::Type(Type::String)).enum_values(Some(codes)).into()
            } else if !codes.is_empty() {
                let values = codes.into_iter().map(Some).chain([Some(""), None]);
                ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                    .enum_values(Some(values))
                    .into()
            } else if *field == "dpia_criteria" {
                let codes: Vec<&str> = normverk_core::dpia::Criterion::ALL.iter().map(|c| c.as_str()).collect();
                let description = format!(
                    "the DPIA screening (Normen 3.4.1): the criteria that hold, codes separated by commas: {}; or `none`",
                    codes.join(", ")
                );
                let mut o = ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                    .max_length(Some(500))
                    .description(Some(description));
                o = o.pattern(Some(r"^[a-z_, ;]*$"));
                o.into()
            } else {
                let rule = text_rule(field);
                if rule.required {
                    text_field(&rule)
                } else {
                    nullable(text_field(&rule))
                }
            };
            if *field == "name" || *field == "role" { &mut required } else { &mut optional }.push((*field, schema));
        }
        let systems = ArrayBuilder::new().items(id()).schema_type(SchemaType::from_iter([Type::Array, Type::Null]));
        optional.push(("systems", systems.into()));
        for ignored in ["id", "version", "updated_at", "missing_fields"] {
            optional.push((
                ignored,
                ObjectBuilder::new()
                    .schema_type(SchemaType::AnyValue)
                    .description(Some("as a GET gave it; ignored"))
                    .into(),
            ));
        }
        let example = json!({"name": "Timebestilling", "role": "controller", "purposes": "Bestilling og påminnelse av timer",
            "legal_basis": "e", "data_subjects": "Pasienter", "retention": "Slettes 3 måneder etter timen", "systems": []});
        super::contract::with_example(object(&required, &optional, true), example)
    }
}

impl utoipa::ToSchema for ProcessingIn {}

async fn save(state: &AppState, caller: &ApiCaller, target: Target, body: &[u8]) -> Result<Value, ApiError> {
    let (record, systems) = read(body)?;
    let entry = Entry { target, record, systems };
    let (ids, _) = state.app.processing.save(caller.org_id, vec![entry], None).await?;
    let id = ids.first().copied().unwrap_or_default();
    one(state, caller.org_id, id).await
}

async fn one(state: &AppState, org_id: OrgId, id: i64) -> Result<Value, ApiError> {
    let p = state.store.processing(org_id, id).await?;
    let systems: Vec<i64> = state.store.systems_of_processing(org_id, id).await?.into_iter().map(|s| s.id).collect();
    Ok(out(&p, &systems))
}

#[utoipa::path(get, path = "/api/v1/processings", security(("bearer" = ["org:read"])), tag = "protokoll",
    responses((status = 200, body = Vec<serde_json::Value>, description = "every entry of the protokoll, by name, with `missing_fields`")))]
pub async fn list(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<Value>>, ApiError> {
    let mut systems: HashMap<i64, Vec<i64>> = HashMap::new();
    for link in state.store.processing_systems(caller.org_id).await? {
        systems.entry(link.processing_id).or_default().push(link.system_id);
    }
    let all = state.store.processings(caller.org_id).await?;
    Ok(Json(all.iter().map(|p| out(p, systems.get(&p.id).map_or(&[], Vec::as_slice))).collect()))
}

#[utoipa::path(post, path = "/api/v1/processings", security(("bearer" = ["org:write"])), tag = "protokoll", request_body = ProcessingIn,
    responses(
        (status = 201, body = serde_json::Value, description = "the entry, with `id`, `version` and `missing_fields`"),
        (status = 403, description = "the token lacks org:write", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "an entry of that name exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`systems` names a system that is not one of this organisation, or `dpia_criteria` a code that is not a criterion", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    Ok((StatusCode::CREATED, Json(save(&state, &caller, Target::New, &body).await?)))
}

#[utoipa::path(get, path = "/api/v1/processings/{id}", security(("bearer" = ["org:read"])), tag = "protokoll",
    params(("id" = i64, Path, description = "The entry's id")),
    responses((status = 200, body = serde_json::Value, description = "the entry"), (status = 404, description = "no such entry in this organisation", body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(one(&state, caller.org_id, id).await?))
}

#[utoipa::path(put, path = "/api/v1/processings/{id}", security(("bearer" = ["org:write"])), tag = "protokoll", request_body = ProcessingIn,
    params(("id" = i64, Path, description = "The entry's id")),
    responses(
        (status = 200, body = serde_json::Value, description = "the entry as saved; a new version when anything changed"),
        (status = 404, description = "no such entry in this organisation", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "another entry has that name", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`systems` names a system that is not one of this organisation, or `dpia_criteria` a code that is not a criterion", body = Problem, content_type = "application/problem+json")))]
pub async fn replace(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    state.store.processing(caller.org_id, id).await?;
    Ok(Json(save(&state, &caller, Target::Id(id), &body).await?))
}

#[utoipa::path(get, path = "/api/v1/processings/{id}/versions", security(("bearer" = ["org:read"])), tag = "protokoll",
    params(("id" = i64, Path, description = "The entry's id")),
    responses((status = 200, body = Vec<serde_json::Value>, description = "every version, newest first: `version`, `changed_by`, `changed_at`, `record`"), (status = 404, description = "no such entry in this organisation", body = Problem, content_type = "application/problem+json")))]
pub async fn versions(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Value>>, ApiError> {
    state.store.processing(caller.org_id, id).await?;
    let versions = state.store.processing_versions(caller.org_id, id).await?;
    Ok(Json(versions.iter().map(|v| serde_json::to_value(v).unwrap_or(Value::Null)).collect()))
}

/// The documented operations of this feature, each with its description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default().routes(routes!(list, create)).routes(routes!(get, replace)).routes(routes!(versions))
}
