//! `/api/v1/assessment`: rounds and answers of the organisation's self-assessment.

use super::contract::AnswerStatusCode;
use super::ApiJson;
use crate::auth::ApiCaller;
use crate::error::{ApiError, Problem};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use normverk_core::assessment::{check_answer, scores, AnswerInput};
use normverk_store::assessment::{AnswerRow, Round};
use normverk_store::{Rejection, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

fn round_catalog(round: &Round) -> Result<&'static normverk_core::catalog::Catalog, ApiError> {
    normverk_core::catalog::find(&round.catalog, &round.catalog_version)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "the round's catalogue is not known to this normverk"))
}

#[derive(Serialize, ToSchema)]
pub struct RoundOut {
    pub id: i64,
    pub name: String,
    pub catalog: String,
    pub catalog_version: String,
    pub previous_round_id: Option<i64>,
    pub started_at: i64,
    /// Unix seconds; a frozen round is read-only.
    pub frozen_at: Option<i64>,
}

impl From<Round> for RoundOut {
    fn from(r: Round) -> Self {
        RoundOut {
            id: r.id,
            name: r.name,
            catalog: r.catalog,
            catalog_version: r.catalog_version,
            previous_round_id: r.previous_round_id,
            started_at: r.started_at,
            frozen_at: r.frozen_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ScoreOut {
    /// Chapter number, or "all".
    pub chapter: String,
    pub total: usize,
    pub met: usize,
    pub partial: usize,
    pub not_met: usize,
    pub not_relevant: usize,
    pub unanswered: usize,
    /// Met share of relevant answered requirements, partial counting half.
    pub percent: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct RoundDetailOut {
    pub round: RoundOut,
    pub scores: Vec<ScoreOut>,
}

#[derive(Serialize, ToSchema)]
pub struct AnswerOut {
    pub requirement_id: String,
    #[schema(value_type = AnswerStatusCode, inline)]
    pub status: String,
    pub justification: Option<String>,
    pub comment: Option<String>,
    pub responsible_user_id: Option<i64>,
    /// YYYY-MM-DD
    pub due_date: Option<String>,
    pub evidence_link: Option<String>,
    pub updated_at: i64,
}

impl From<AnswerRow> for AnswerOut {
    fn from(a: AnswerRow) -> Self {
        AnswerOut {
            requirement_id: a.requirement_id,
            status: a.status.to_string(),
            justification: a.justification,
            comment: a.comment,
            responsible_user_id: a.responsible_user_id,
            due_date: a.due_date,
            evidence_link: a.evidence_link,
            updated_at: a.updated_at,
        }
    }
}

/// An answer to write. "not_relevant" needs a justification.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "partial", "comment": "Rutinen er skrevet, men ikke øvd.", "due_date": "2027-03-01"}))]
pub struct AnswerIn {
    #[schema(value_type = AnswerStatusCode, inline)]
    pub status: String,
    #[serde(default)]
    pub justification: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    /// A member of the organisation.
    #[serde(default)]
    pub responsible_user_id: Option<i64>,
    /// YYYY-MM-DD
    #[serde(default)]
    pub due_date: Option<String>,
    #[serde(default)]
    pub evidence_link: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/assessment/rounds", security(("bearer" = ["org:read"])), tag = "assessment",
    responses((status = 200, body = [RoundOut]), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn list_rounds(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<RoundOut>>, ApiError> {
    Ok(Json(state.store.rounds(caller.org_id).await?.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/assessment/rounds/{round_id}", security(("bearer" = ["org:read"])), tag = "assessment", params(("round_id" = i64, Path)),
    responses((status = 200, body = RoundDetailOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_round(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(round_id): Path<i64>,
) -> Result<Json<RoundDetailOut>, ApiError> {
    let round = state.store.round(caller.org_id, round_id).await?;
    let answers = state.store.answers(caller.org_id, round.id).await?;
    let catalog = round_catalog(&round)?;
    let (chapters, overall) = scores(catalog, &normverk_app::assessment::statuses(&answers));
    let score = |chapter: String, s: normverk_core::assessment::Score| ScoreOut {
        chapter,
        total: s.total,
        met: s.met,
        partial: s.partial,
        not_met: s.not_met,
        not_relevant: s.not_relevant,
        unanswered: s.unanswered(),
        percent: s.percent(),
    };
    let mut out: Vec<ScoreOut> = chapters.into_iter().map(|(c, s)| score(c, s)).collect();
    out.push(score("all".into(), overall));
    Ok(Json(RoundDetailOut { round: round.into(), scores: out }))
}

#[utoipa::path(get, path = "/api/v1/assessment/rounds/{round_id}/answers", security(("bearer" = ["org:read"])), tag = "assessment", params(("round_id" = i64, Path)),
    responses((status = 200, body = [AnswerOut]), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_answers(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(round_id): Path<i64>,
) -> Result<Json<Vec<AnswerOut>>, ApiError> {
    state.store.round(caller.org_id, round_id).await?;
    Ok(Json(state.store.answers(caller.org_id, round_id).await?.into_iter().map(Into::into).collect()))
}

#[utoipa::path(put, path = "/api/v1/assessment/rounds/{round_id}/answers/{req_id}", security(("bearer" = ["assessment:write"])), tag = "assessment",
    params(("round_id" = i64, Path), ("req_id" = String, Path)), request_body = AnswerIn,
    responses(
        (status = 200, body = AnswerOut),
        (status = 403, description = "the token lacks assessment:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the round is frozen", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "an answer breaks a rule: `not_relevant` without a justification, a due date that is not a real date, an evidence link that is not a web address, a responsible person who is not a member", body = Problem, content_type = "application/problem+json")))]
pub async fn put_answer(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((round_id, req_id)): Path<(i64, String)>,
    body: Result<ApiJson<AnswerIn>, ApiError>,
) -> Result<Json<AnswerOut>, ApiError> {
    // Whose round it is and what the token may do are settled before the body is read.
    let round = state.store.round(caller.org_id, round_id).await?;
    if round_catalog(&round)?.requirement(&req_id).is_none() {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "no requirement with that id"));
    }
    let ApiJson(body) = body?;
    if round.frozen_at.is_some() {
        return Err(ApiError::new(StatusCode::CONFLICT, "the round is frozen and cannot be changed"));
    }
    let input = AnswerInput {
        status: body.status,
        justification: body.justification.unwrap_or_default(),
        comment: body.comment.unwrap_or_default(),
        responsible_user_id: body.responsible_user_id,
        due_date: body.due_date.unwrap_or_default(),
        evidence_link: body.evidence_link.unwrap_or_default(),
    };
    let answer = check_answer(&input).map_err(ApiError::problems)?;
    let now = state.app.clock.now();
    match state.store.save_answers(caller.org_id, round.id, &[(req_id.clone(), answer)], None, now).await {
        Ok(_) => {}
        Err(StoreError::Rejected(r @ Rejection::RoundFrozen)) => {
            return Err(ApiError::new(StatusCode::CONFLICT, r.to_string()))
        }
        Err(StoreError::Rejected(_)) => {
            return Err(ApiError::field("responsible_user_id", "not a member of the organisation"));
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(org_id = caller.org_id.0, token_id = caller.token_id, round_id, requirement = %req_id, "answer written through the API");
    let saved = state.store.answer(caller.org_id, round.id, &req_id).await?.ok_or_else(ApiError::not_found)?;
    Ok(Json(saved.into()))
}

/// The documented operations of this feature, each with its description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list_rounds))
        .routes(routes!(get_round))
        .routes(routes!(list_answers))
        .routes(routes!(put_answer))
}
