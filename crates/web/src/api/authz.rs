//! `/api/v1/authz`: the authorization register read by a token (scope `authz:read`), for audit
//! and for the systems that enforce it. Every read is written to the tamper-evident access log.
//! Granting and revoking are people's: the manager of the person's unit, on the pages.

use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use normverk_app::access_log::Accessor;
use normverk_app::authz::AuthzError;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

impl From<AuthzError> for ApiError {
    fn from(e: AuthzError) -> Self {
        match e {
            AuthzError::Invalid(problems) => ApiError::problems(problems),
            AuthzError::NotTheirManager => ApiError::forbidden("only the manager of the person's unit"),
            AuthzError::Log(why) => {
                tracing::error!(%why, "an API request's access-log entry was refused");
                ApiError::new(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "an internal error occurred; it has been logged",
                )
            }
            AuthzError::Store(e) => e.into(),
        }
    }
}

/// A person of the register.
#[derive(Serialize, ToSchema)]
pub struct PersonOut {
    pub id: i64,
    pub name: String,
    pub employee_id: String,
    /// The HPR number, or empty.
    pub hpr: String,
    /// The organisation number of the enterprise they belong to.
    pub enterprise: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_id: Option<i64>,
    /// Their last day (`YYYY-MM-DD`), or empty.
    pub ends_on: String,
}

/// Rights in one system.
#[derive(Serialize, ToSchema)]
pub struct SystemRightsOut {
    pub system_id: i64,
    /// Each of `read`, `register`, `correct`, `delete`, `block` granted.
    pub rights: Vec<String>,
    /// May authorise themselves in an emergency.
    pub break_glass: bool,
}

/// An authorisation as it stands.
#[derive(Serialize, ToSchema)]
pub struct AuthorisationOut {
    pub id: i64,
    pub person_id: i64,
    pub role: String,
    pub purpose: String,
    pub systems: Vec<SystemRightsOut>,
    /// `YYYY-MM-DD`.
    pub valid_from: String,
    /// `YYYY-MM-DD`, or empty for no end.
    pub valid_to: String,
    /// The other enterprise whose data it gives access to (Normen 5.2.1.3), by organisation
    /// number; absent for the organisation's own data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_enterprise: Option<String>,
    pub revoked: bool,
    pub granted_by: Option<String>,
    /// Unix seconds.
    pub granted_at: i64,
    pub changed_at: i64,
}

fn rights_out(systems: &[normverk_core::authz::SystemRights]) -> Vec<SystemRightsOut> {
    systems
        .iter()
        .map(|s| SystemRightsOut {
            system_id: s.system_id,
            rights: s.rights.iter().map(|r| r.as_str().to_string()).collect(),
            break_glass: s.break_glass,
        })
        .collect()
}

/// An access review (Normen 5.2.3) with how far it has come.
#[derive(Serialize, ToSchema)]
pub struct ReviewOut {
    pub id: i64,
    /// `yearly`, `transfer` or `breach`.
    pub kind: String,
    pub title: String,
    /// `YYYY-MM-DD`.
    pub deadline: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deviation_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person_id: Option<i64>,
    /// Unix seconds.
    pub created_at: i64,
    /// When the last answer came and the review was frozen; absent while open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<i64>,
    pub total: i64,
    pub answered: i64,
}

/// One authorisation of a review, as it stood when the review started, with the answer.
#[derive(Serialize, ToSchema)]
pub struct ReviewLineOut {
    pub id: i64,
    pub authorisation_id: i64,
    pub person_id: i64,
    pub person: String,
    /// The manager who answers; absent when the person's unit has none (the security lead answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    pub role: String,
    pub purpose: String,
    pub systems: Vec<SystemRightsOut>,
    /// `keep`, `revoke`, `change`; empty while unanswered.
    pub decision: String,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<i64>,
}

/// A review with every line.
#[derive(Serialize, ToSchema)]
pub struct ReviewWhole {
    #[serde(flatten)]
    pub review: ReviewOut,
    pub lines: Vec<ReviewLineOut>,
}

fn review_out(r: normverk_store::access_review::Review) -> ReviewOut {
    ReviewOut {
        id: r.id,
        kind: r.kind,
        title: r.title,
        deadline: r.deadline,
        deviation_id: r.deviation_id,
        person_id: r.person_id,
        created_at: r.created_at,
        closed_at: r.closed_at,
        total: r.total,
        answered: r.answered,
    }
}

#[utoipa::path(get, path = "/api/v1/authz/reviews", security(("bearer" = ["authz:read"])), tag = "authz",
    responses((status = 200, body = Vec<ReviewOut>, description = "every access review, newest first")))]
pub async fn reviews(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<ReviewOut>>, ApiError> {
    record(&state, &caller).await?;
    Ok(Json(state.store.reviews(caller.org_id).await?.into_iter().map(review_out).collect()))
}

#[utoipa::path(get, path = "/api/v1/authz/reviews/{id}", security(("bearer" = ["authz:read"])), tag = "authz",
    params(("id" = i64, Path, description = "The review's id")),
    responses((status = 200, body = ReviewWhole, description = "the review with every authorisation and its answer, as evidence")))]
pub async fn review(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<ReviewWhole>, ApiError> {
    let r = state.store.review(caller.org_id, id).await?;
    record(&state, &caller).await?;
    let lines = state.store.review_lines(caller.org_id, id, None).await?;
    Ok(Json(ReviewWhole {
        review: review_out(r),
        lines: lines
            .into_iter()
            .map(|l| ReviewLineOut {
                id: l.id,
                authorisation_id: l.authorisation_id,
                person_id: l.person_id,
                person: l.person_name,
                manager: l.manager_name,
                role: l.grant.role.clone(),
                purpose: l.grant.purpose.clone(),
                systems: rights_out(&l.grant.systems),
                decision: l.decision,
                reason: l.reason,
                decided_by: l.decided_by,
                decided_at: l.decided_at,
            })
            .collect(),
    }))
}

async fn record(state: &AppState, caller: &ApiCaller) -> Result<(), ApiError> {
    let by = Accessor::Token { token_id: caller.token_id };
    Ok(state.app.authz.record_read(caller.org_id, None, &by).await?)
}

#[utoipa::path(get, path = "/api/v1/authz/people", security(("bearer" = ["authz:read"])), tag = "authz",
    responses((status = 200, body = Vec<PersonOut>, description = "everyone in the register, by name")))]
pub async fn people(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<PersonOut>>, ApiError> {
    record(&state, &caller).await?;
    let people = state.store.people(caller.org_id).await?;
    Ok(Json(
        people
            .into_iter()
            .map(|p| PersonOut {
                id: p.id,
                name: p.name,
                employee_id: p.employee_id,
                hpr: p.hpr,
                enterprise: p.enterprise,
                unit_id: p.unit_id,
                ends_on: p.ends_on,
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/authz/authorisations", security(("bearer" = ["authz:read"])), tag = "authz",
    responses((status = 200, body = Vec<AuthorisationOut>, description = "every authorisation as it stands, revoked ones too, newest first")))]
pub async fn authorisations(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<Vec<AuthorisationOut>>, ApiError> {
    record(&state, &caller).await?;
    let all = state.store.authorisations(caller.org_id, None).await?;
    Ok(Json(
        all.into_iter()
            .map(|a| AuthorisationOut {
                id: a.id,
                person_id: a.person_id,
                role: a.grant.role,
                purpose: a.grant.purpose,
                systems: rights_out(&a.grant.systems),
                valid_from: a.grant.valid_from,
                valid_to: a.grant.valid_to,
                other_enterprise: a.grant.other_enterprise.map(|o| o.org_number),
                revoked: a.revoked,
                granted_by: a.granted_by,
                granted_at: a.granted_at,
                changed_at: a.changed_at,
            })
            .collect(),
    ))
}

/// The documented operations of this feature, each with its description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(people))
        .routes(routes!(authorisations))
        .routes(routes!(reviews))
        .routes(routes!(review))
}
