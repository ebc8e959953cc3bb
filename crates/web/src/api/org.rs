//! `/api/v1/org`, `/api/v1/units`, `/api/v1/members`.

use super::ApiJson;
use crate::auth::ApiCaller;
use crate::error::{ApiError, Problem};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use normverk_core::org::{clean_name, Role};
use normverk_store::org::{ManagedUnit, Member, Org, Unit};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The organisation the API token acts for.
#[derive(Serialize, ToSchema)]
pub struct OrgOut {
    pub id: i64,
    pub name: String,
    /// Norwegian organisation number, 9 digits.
    pub org_number: String,
    /// One of: regional_health_authority, health_trust, municipality, gp_office, private_practice,
    /// private_hospital, pharmacy, supplier, other.
    pub kind: String,
    pub parent_id: Option<i64>,
    /// Unix seconds.
    pub created_at: i64,
}

impl From<Org> for OrgOut {
    fn from(o: Org) -> Self {
        OrgOut {
            id: o.id.0,
            name: o.name,
            org_number: o.org_number,
            kind: o.kind,
            parent_id: o.parent_id.map(|p| p.0),
            created_at: o.created_at,
        }
    }
}

/// An organisational unit (enhet/avdeling).
#[derive(Serialize, ToSchema)]
pub struct UnitOut {
    pub id: i64,
    pub name: String,
    pub parent_id: Option<i64>,
    pub created_at: i64,
}

impl From<Unit> for UnitOut {
    fn from(u: Unit) -> Self {
        UnitOut { id: u.id, name: u.name, parent_id: u.parent_id, created_at: u.created_at }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Barneavdelingen"}))]
pub struct NewUnit {
    /// 1–200 characters, not only spaces, no control characters.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    pub name: String,
    /// The unit this one belongs under, in the same organisation.
    #[serde(default)]
    pub parent_id: Option<i64>,
}

/// A person and their roles in the organisation.
#[derive(Serialize, ToSchema)]
pub struct MemberOut {
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    pub disabled: bool,
    /// admin, top_management, security_lead, dpo, manager, employee, auditor.
    pub roles: Vec<String>,
    /// For managers: the units they lead.
    pub managed_unit_ids: Vec<i64>,
}

impl MemberOut {
    fn new(m: Member, managed: &[ManagedUnit]) -> Self {
        MemberOut {
            managed_unit_ids: managed.iter().filter(|u| u.user_id == m.user_id).map(|u| u.unit_id).collect(),
            user_id: m.user_id,
            email: m.email,
            display_name: m.display_name,
            disabled: m.disabled,
            roles: m.roles.iter().map(|r: &Role| r.as_str().to_string()).collect(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/org", security(("bearer" = ["org:read"])), tag = "org",
    responses((status = 200, body = OrgOut), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn get_org(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<OrgOut>, ApiError> {
    Ok(Json(state.store.org(caller.org_id).await?.into()))
}

#[utoipa::path(get, path = "/api/v1/units", security(("bearer" = ["org:read"])), tag = "org",
    responses((status = 200, body = [UnitOut]), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn list_units(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<UnitOut>>, ApiError> {
    Ok(Json(state.store.units(caller.org_id).await?.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/units", security(("bearer" = ["org:write"])), tag = "org", request_body = NewUnit,
    responses(
        (status = 201, body = UnitOut),
        (status = 403, description = "the token lacks org:write", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`parent_id` is not a unit of this organisation", body = Problem, content_type = "application/problem+json")))]
pub async fn create_unit(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(body): ApiJson<NewUnit>,
) -> Result<(StatusCode, Json<UnitOut>), ApiError> {
    let name = clean_name(&body.name).map_err(|e| ApiError::field("name", e.to_string()))?;
    let unit = state.store.create_unit(caller.org_id, &name, body.parent_id, state.app.clock.now()).await?;
    tracing::info!(
        org_id = caller.org_id.0,
        token_id = caller.token_id,
        unit_id = unit.id,
        "unit created through the API"
    );
    Ok((StatusCode::CREATED, Json(unit.into())))
}

#[utoipa::path(get, path = "/api/v1/units/{unit_id}", security(("bearer" = ["org:read"])), tag = "org", params(("unit_id" = i64, Path)),
    responses((status = 200, body = UnitOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_unit(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(unit_id): Path<i64>,
) -> Result<Json<UnitOut>, ApiError> {
    Ok(Json(state.store.unit(caller.org_id, unit_id).await?.into()))
}

#[utoipa::path(delete, path = "/api/v1/units/{unit_id}", security(("bearer" = ["org:write"])), tag = "org", params(("unit_id" = i64, Path)),
    responses(
        (status = 204, description = "deleted"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "sub-units or deviations refer to the unit; nothing was changed", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_unit(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(unit_id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.store.unit(caller.org_id, unit_id).await?;
    state.store.delete_unit(caller.org_id, unit_id).await?;
    tracing::info!(org_id = caller.org_id.0, token_id = caller.token_id, unit_id, "unit deleted through the API");
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/members", security(("bearer" = ["members:read"])), tag = "org",
    responses((status = 200, body = [MemberOut]), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn list_members(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<MemberOut>>, ApiError> {
    let managed = state.store.managed_units(caller.org_id).await?;
    Ok(Json(state.store.members(caller.org_id).await?.into_iter().map(|m| MemberOut::new(m, &managed)).collect()))
}

#[utoipa::path(get, path = "/api/v1/members/{user_id}", security(("bearer" = ["members:read"])), tag = "org", params(("user_id" = i64, Path)),
    responses((status = 200, body = MemberOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_member(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(user_id): Path<i64>,
) -> Result<Json<MemberOut>, ApiError> {
    let member = state.store.member(caller.org_id, user_id).await?;
    Ok(Json(MemberOut::new(member, &state.store.managed_units(caller.org_id).await?)))
}

/// The documented operations of this feature, each with its description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(get_org))
        .routes(routes!(list_units, create_unit))
        .routes(routes!(get_unit, delete_unit))
        .routes(routes!(list_members))
        .routes(routes!(get_member))
}
