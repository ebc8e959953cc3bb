//! `/api/v1/systems`: the register of information systems with inherited criticality.

use crate::auth::ApiCaller;
use crate::error::{ApiError, FieldError, Problem};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use normverk_app::system::Registered;
use normverk_core::system::{check_system, NewSystem};
use normverk_store::OrgId;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ApiJson;

#[derive(Serialize, ToSchema)]
pub struct SystemRef {
    pub id: i64,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct SystemOut {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub owner: String,
    pub supplier: String,
    pub hosting: String,
    pub data_types: String,
    /// The system's own class: critical, serious, reduced_trust, tolerable, not_prioritised.
    pub criticality: String,
    /// The class after inheritance from the systems that depend on it.
    pub effective_criticality: String,
    /// The chain that gave the inherited class, from the system whose own class it is; empty
    /// when the class is the system's own.
    pub criticality_inherited_from: Vec<SystemRef>,
    /// The systems it depends on.
    pub depends_on: Vec<i64>,
    /// The processings of the protokoll that use it.
    pub processings: Vec<i64>,
}

fn out(r: &Registered, names: &HashMap<i64, String>, uses: &HashMap<i64, Vec<i64>>) -> SystemOut {
    let s = &r.system;
    SystemOut {
        id: s.id,
        name: s.name.clone(),
        description: s.description.clone(),
        owner: s.owner.clone(),
        supplier: s.supplier.clone(),
        hosting: s.hosting.clone(),
        data_types: s.data_types.clone(),
        criticality: s.criticality.to_string(),
        effective_criticality: r.effective.criticality.as_str().to_string(),
        criticality_inherited_from: r
            .effective
            .inherited_from
            .iter()
            .map(|id| SystemRef { id: *id, name: names.get(id).cloned().unwrap_or_default() })
            .collect(),
        depends_on: r.depends_on.clone(),
        processings: uses.get(&s.id).cloned().unwrap_or_default(),
    }
}

/// The processings that use each system.
async fn uses(state: &AppState, org_id: OrgId) -> Result<HashMap<i64, Vec<i64>>, ApiError> {
    let mut uses: HashMap<i64, Vec<i64>> = HashMap::new();
    for link in state.store.processing_systems(org_id).await? {
        uses.entry(link.system_id).or_default().push(link.processing_id);
    }
    Ok(uses)
}

async fn one(state: &AppState, org_id: OrgId, id: i64) -> Result<SystemOut, ApiError> {
    let all = state.app.system.register(org_id).await?;
    let names: HashMap<i64, String> = all.iter().map(|r| (r.system.id, r.system.name.clone())).collect();
    let uses = uses(state, org_id).await?;
    all.iter().find(|r| r.system.id == id).map(|r| out(r, &names, &uses)).ok_or_else(ApiError::not_found)
}

#[utoipa::path(get, path = "/api/v1/systems", security(("bearer" = ["org:read"])), tag = "systems",
    responses((status = 200, body = Vec<SystemOut>, description = "every system, by name")))]
pub async fn list(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<SystemOut>>, ApiError> {
    let all = state.app.system.register(caller.org_id).await?;
    let names: HashMap<i64, String> = all.iter().map(|r| (r.system.id, r.system.name.clone())).collect();
    let uses = uses(&state, caller.org_id).await?;
    Ok(Json(all.iter().map(|r| out(r, &names, &uses)).collect()))
}

/// The body of a new system.
pub struct SystemIn;

impl utoipa::PartialSchema for SystemIn {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let criticality = <super::contract::CriticalityCode as utoipa::PartialSchema>::schema();
        let schema = super::contract::text_object(
            normverk_core::system::SYSTEM_TEXT,
            &[],
            &[("criticality", criticality, true)],
        );
        let example = serde_json::json!({"name": "Røntgen-PACS", "criticality": "serious", "supplier": "Sectra",
            "hosting": "Eget datasenter", "data_types": "Bilder og beskrivelser"});
        super::contract::with_example(schema, example)
    }
}

impl utoipa::ToSchema for SystemIn {}

#[utoipa::path(post, path = "/api/v1/systems", security(("bearer" = ["org:write"])), tag = "systems", request_body = SystemIn,
    responses(
        (status = 201, body = SystemOut),
        (status = 403, description = "the token lacks org:write", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "a system of that name exists", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<NewSystem>,
) -> Result<(StatusCode, Json<SystemOut>), ApiError> {
    let problems = check_system(&input);
    if !problems.is_empty() {
        return Err(ApiError::invalid(
            problems.into_iter().map(|p| FieldError { field: p.field.into(), message: p.message }).collect(),
        ));
    }
    let s = state.store.create_system(caller.org_id, &input, state.app.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(one(&state, caller.org_id, s.id).await?)))
}

#[utoipa::path(get, path = "/api/v1/systems/{id}", security(("bearer" = ["org:read"])), tag = "systems",
    params(("id" = i64, Path, description = "The system's id")),
    responses((status = 200, body = SystemOut), (status = 404, description = "no such system in this organisation", body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<SystemOut>, ApiError> {
    state.store.system(caller.org_id, id).await?;
    Ok(Json(one(&state, caller.org_id, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"depends_on": 2}))]
pub struct DependencyIn {
    /// The system this one depends on (of the same organisation).
    pub depends_on: i64,
}

#[utoipa::path(post, path = "/api/v1/systems/{id}/dependencies", security(("bearer" = ["org:write"])), tag = "systems",
    params(("id" = i64, Path, description = "The system that depends on another")),
    request_body = DependencyIn,
    responses(
        (status = 200, body = SystemOut, description = "the system, with its dependencies"),
        (status = 404, description = "no such system in this organisation", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`depends_on` is the system itself, not a system of this organisation, or would make a cycle", body = Problem, content_type = "application/problem+json")))]
pub async fn add_dependency(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<SystemOut>, ApiError> {
    state.store.system(caller.org_id, id).await?;
    let input: DependencyIn = super::parse_object(&body)?;
    state.store.add_system_dependency(caller.org_id, id, input.depends_on, state.app.clock.now()).await?;
    Ok(Json(one(&state, caller.org_id, id).await?))
}

/// The documented operations of this feature, each with its description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default().routes(routes!(list, create)).routes(routes!(get)).routes(routes!(add_dependency))
}
