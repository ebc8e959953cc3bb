//! `/api/v1/assets`: the asset inventory (Normen 3.2).

use super::contract::AssetKindCode;
use crate::auth::ApiCaller;
use crate::error::{ApiError, FieldError, Problem};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use normverk_app::asset::AssetError;
use normverk_core::asset::{read_rows, AssetKind, NewAsset};
use normverk_store::asset::{Asset, AssetFilter};
use normverk_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::openapi::{schema::Schema, RefOr};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ApiJson;

#[derive(Serialize, ToSchema)]
pub struct AssetOut {
    pub id: i64,
    pub identifier: String,
    /// computer, phone, tablet, server, network, printer, storage, app, ip_phone, medical_device, other
    pub kind: String,
    pub model: String,
    pub owner: String,
    pub location: String,
    pub os: String,
    pub os_version: String,
    pub software: String,
    pub supplier: String,
    pub responsible: String,
    pub updated_at: i64,
}

impl From<Asset> for AssetOut {
    fn from(a: Asset) -> AssetOut {
        AssetOut {
            id: a.id,
            identifier: a.identifier,
            kind: a.kind.to_string(),
            model: a.model,
            owner: a.owner,
            location: a.location,
            os: a.os,
            os_version: a.os_version,
            software: a.software,
            supplier: a.supplier,
            responsible: a.responsible,
            updated_at: a.updated_at,
        }
    }
}

/// An asset as sent: `identifier` and `kind` are required, the rest default to blank.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetIn {
    pub identifier: String,
    pub kind: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub os_version: String,
    #[serde(default)]
    pub software: String,
    #[serde(default)]
    pub supplier: String,
    #[serde(default)]
    pub responsible: String,
}

impl utoipa::PartialSchema for AssetIn {
    fn schema() -> RefOr<Schema> {
        let kind = <AssetKindCode as utoipa::PartialSchema>::schema();
        let schema = super::contract::text_object(normverk_core::asset::TEXT, &[], &[("kind", kind, true)]);
        let example = serde_json::json!({"identifier": "PC-0042", "kind": "computer", "model": "Latitude 5440",
            "os": "Windows 11", "os_version": "24H2", "owner": "IT-avdelingen", "location": "Akuttmottak, rom 3"});
        super::contract::with_example(schema, example)
    }
}

impl utoipa::ToSchema for AssetIn {}

impl From<AssetIn> for NewAsset {
    fn from(a: AssetIn) -> NewAsset {
        NewAsset {
            identifier: a.identifier,
            kind: a.kind,
            model: a.model,
            owner: a.owner,
            location: a.location,
            os: a.os,
            os_version: a.os_version,
            software: a.software,
            supplier: a.supplier,
            responsible: a.responsible,
        }
    }
}

impl From<AssetError> for ApiError {
    fn from(e: AssetError) -> Self {
        match e {
            AssetError::Invalid(problems) => ApiError::problems(problems),
            AssetError::Store(e) => e.into(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct ListParams {
    /// Only assets of this kind.
    #[param(value_type = Option<AssetKindCode>, inline)]
    pub kind: Option<String>,
    /// Only assets whose identifier, model, location or responsible person contains this.
    pub q: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/assets", security(("bearer" = ["org:read"])), tag = "assets", params(ListParams),
    responses((status = 200, body = Vec<AssetOut>, description = "the matching assets, by identifier")))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(p): Query<ListParams>,
) -> Result<Json<Vec<AssetOut>>, ApiError> {
    let kind = match p.kind.as_deref() {
        None => None,
        Some(k) => {
            Some(k.parse::<AssetKind>().map_err(|e| ApiError::field("kind", e.to_string()))?.as_str().to_string())
        }
    };
    let filter = AssetFilter { kind, text: p.q.filter(|q| !q.trim().is_empty()) };
    let all = state.store.assets(caller.org_id, &filter).await?;
    Ok(Json(all.into_iter().map(AssetOut::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/assets", security(("bearer" = ["org:write"])), tag = "assets", request_body = AssetIn,
    responses(
        (status = 201, body = AssetOut),
        (status = 403, description = "the token lacks org:write", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "an asset with that identifier exists", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<AssetIn>,
) -> Result<(StatusCode, Json<AssetOut>), ApiError> {
    let created = state.app.asset.create(caller.org_id, &NewAsset::from(input)).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

#[utoipa::path(get, path = "/api/v1/assets/{id}", security(("bearer" = ["org:read"])), tag = "assets",
    params(("id" = i64, Path, description = "The asset's id")),
    responses((status = 200, body = AssetOut), (status = 404, description = "no such asset in this organisation", body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<AssetOut>, ApiError> {
    Ok(Json(state.store.asset(caller.org_id, id).await?.into()))
}

#[utoipa::path(put, path = "/api/v1/assets/{id}", security(("bearer" = ["org:write"])), tag = "assets", request_body = AssetIn,
    params(("id" = i64, Path, description = "The asset's id")),
    responses((status = 200, body = AssetOut),
        (status = 404, description = "no such asset in this organisation", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "another asset has that identifier", body = Problem, content_type = "application/problem+json")))]
pub async fn replace(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<AssetOut>, ApiError> {
    state.store.asset(caller.org_id, id).await?;
    let input: AssetIn = super::parse_object(&body)?;
    Ok(Json(state.app.asset.update(caller.org_id, id, &NewAsset::from(input)).await?.into()))
}

#[utoipa::path(delete, path = "/api/v1/assets/{id}", security(("bearer" = ["org:write"])), tag = "assets",
    params(("id" = i64, Path, description = "The asset's id")),
    responses((status = 204, description = "removed from the inventory"),
        (status = 403, description = "the token lacks org:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such asset in this organisation", body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.store.asset(caller.org_id, id).await?;
    state.store.delete_asset(caller.org_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
pub struct ImportParams {
    /// The kind of rows that name none.
    pub kind: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Imported {
    pub created: usize,
    pub updated: usize,
}

#[utoipa::path(post, path = "/api/v1/assets/import", security(("bearer" = ["org:write"])), tag = "assets", params(ImportParams),
    request_body(content = String, content_type = "text/csv", description = "an inventory or MDM export: `;`, tab or `,` separated, UTF-8 or Windows-1252, headings in the first row",
        example = json!("Identifikator;Type;Modell;Plassering\nPC-0042;datamaskin;Latitude 5440;Akuttmottak\n")),
    responses(
        (status = 200, body = Imported, description = "all rows saved: matched by identifier and updated, or added"),
        (status = 422, description = "the file breaks a rule: no heading row naming the identifier and kind, a row without an identifier or with an unknown kind, a value too long. Nothing is saved; every bad row is in `errors` as `row N: column`", body = Problem, content_type = "application/problem+json")))]
pub async fn import(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(p): Query<ImportParams>,
    body: Bytes,
) -> Result<Json<Imported>, ApiError> {
    let default_kind = match p.kind.as_deref().filter(|k| !k.is_empty()) {
        None => None,
        Some(k) => Some(k.parse::<AssetKind>().map_err(|e| ApiError::field("kind", e.to_string()))?),
    };
    let rows = crate::spreadsheet::table_from_upload("import.csv", &body)
        .map_err(|e| vec![e])
        .and_then(|t| read_rows(&t, default_kind))
        .map_err(|errors| {
            ApiError::invalid(
                errors
                    .into_iter()
                    .map(|e| {
                        let field = if e.row == 0 { "file".to_string() } else { format!("row {}: {}", e.row, e.field) };
                        FieldError { field, message: crate::i18n::Lang::En.problem(e.key, &e.args) }
                    })
                    .collect(),
            )
        })?;
    match state.app.asset.import(caller.org_id, &rows).await {
        Ok((created, updated)) => Ok(Json(Imported { created, updated })),
        Err(StoreError::Conflict(m)) => Err(ApiError::new(StatusCode::CONFLICT, m)),
        Err(e) => Err(e.into()),
    }
}

/// The documented operations of this feature, each with its description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list, create))
        .routes(routes!(get, replace, delete))
        .merge(OpenApiRouter::default().routes(routes!(import)).layer(crate::route::upload_limit()))
}
