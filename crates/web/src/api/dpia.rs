//! `/api/v1/dpias`: data protection impact assessments (Normen 3.4). A token reads them with
//! where each stands and whether prior consultation with Datatilsynet is needed (3.5), starts
//! drafts and edits their content; the workflow's steps — the DPO's advice, top management's
//! approval or return — are people's, taken on the pages.

use super::contract::{id, nullable, object, text_field, with_example, DpiaStateCode};
use crate::auth::ApiCaller;
use crate::error::{ApiError, FieldError, Problem};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use normverk_app::dpia::Read;
use normverk_core::dpia::{self as core, Consultation, Dpia, Note, State as DpiaState};
use normverk_store::OrgId;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

fn text(name: &str) -> RefOr<Schema> {
    core::TEXT.iter().find(|f| f.name == name).map(text_field).unwrap_or_else(|| ObjectBuilder::new().into())
}

/// The content of a DPIA as sent: the minimum content of 3.4, the processings it covers and the
/// risk assessment it uses.
pub struct DpiaContent;

impl utoipa::PartialSchema for DpiaContent {
    fn schema() -> RefOr<Schema> {
        let ids = ArrayBuilder::new().items(id()).max_items(Some(1000));
        let schema = object(
            &[("title", text("title"))],
            &[
                ("processings", ids.into()),
                ("assessment_id", nullable(id())),
                ("description", text("description")),
                ("purpose", text("purpose")),
                ("necessity", text("necessity")),
                ("risks", text("risks")),
                ("measures", text("measures")),
            ],
            true,
        );
        with_example(
            schema,
            json!({"title": "Videokonsultasjon", "processings": [], "assessment_id": null,
                "description": "Pasienter møter legen på video.", "purpose": "Helsehjelp uten oppmøte",
                "necessity": "Alternativ til oppmøte; bare nødvendige opplysninger.", "risks": "", "measures": ""}),
        )
    }
}

impl ToSchema for DpiaContent {}

/// The content as the API reads it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContentIn {
    title: String,
    #[serde(default)]
    processings: Vec<i64>,
    #[serde(default)]
    assessment_id: Option<i64>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    necessity: String,
    #[serde(default)]
    risks: String,
    #[serde(default)]
    measures: String,
}

impl From<ContentIn> for Dpia {
    fn from(c: ContentIn) -> Dpia {
        Dpia {
            title: c.title,
            processings: c.processings,
            assessment_id: c.assessment_id,
            description: c.description,
            purpose: c.purpose,
            necessity: c.necessity,
            risks: c.risks,
            measures: c.measures,
            ..Dpia::default()
        }
    }
}

/// A change of a draft's content, on the version it was read at.
pub struct DpiaChange;

impl utoipa::PartialSchema for DpiaChange {
    fn schema() -> RefOr<Schema> {
        let version = ObjectBuilder::new().schema_type(SchemaType::Type(Type::Integer)).minimum(Some(1.0));
        let schema = object(&[("version", version.into()), ("content", DpiaContent::schema())], &[], true);
        with_example(schema, json!({"version": 1, "content": {"title": "Videokonsultasjon", "purpose": "Helsehjelp"}}))
    }
}

impl ToSchema for DpiaChange {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeIn {
    version: i64,
    content: ContentIn,
}

/// A note of the workflow: the DPO's advice or top management's decision.
#[derive(Serialize, ToSchema)]
pub struct NoteOut {
    pub text: String,
    pub by: String,
    /// Unix seconds.
    pub at: i64,
}

fn note(n: &Option<Note>) -> Option<NoteOut> {
    n.as_ref().map(|n| NoteOut { text: n.text.clone(), by: n.by_name.clone(), at: n.at })
}

/// Prior consultation as recorded.
#[derive(Serialize, ToSchema)]
pub struct ConsultationOut {
    /// `YYYY-MM-DD`, empty until sent.
    pub sent_on: String,
    /// `YYYY-MM-DD`, empty until Datatilsynet answered.
    pub answered_on: String,
    pub advice: String,
}

/// A DPIA with where it stands.
#[derive(Serialize, ToSchema)]
pub struct DpiaOut {
    pub id: i64,
    /// Send it back with a change; a change made on an older version is refused (409).
    pub version: i64,
    /// `draft`, `with_dpo`, `advised`, `approved` or `returned`.
    #[schema(value_type = DpiaStateCode)]
    pub state: DpiaState,
    pub title: String,
    pub processings: Vec<i64>,
    /// The risk assessment it uses; absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assessment_id: Option<i64>,
    pub description: String,
    pub purpose: String,
    pub necessity: String,
    pub risks: String,
    pub measures: String,
    pub dpo_advice: Option<NoteOut>,
    pub decision: Option<NoteOut>,
    /// The risk that remains after the measures is high: Datatilsynet must be consulted first.
    pub prior_consultation_required: bool,
    /// Required and Datatilsynet's answer not yet recorded: the processings may not start.
    pub awaiting_prior_consultation: bool,
    pub consultation: Option<ConsultationOut>,
    /// Approved, but the risk has changed since: to be reviewed.
    pub needs_review: bool,
    /// What the minimum content of 3.4 still lacks before it can go on.
    pub missing: Vec<FieldError>,
    pub created_at: i64,
    pub updated_at: i64,
}

fn out(r: &Read) -> DpiaOut {
    let d = &r.doc;
    DpiaOut {
        id: r.stored.id,
        version: r.stored.version,
        state: r.stored.state,
        title: d.title.clone(),
        processings: d.processings.clone(),
        assessment_id: d.assessment_id,
        description: d.description.clone(),
        purpose: d.purpose.clone(),
        necessity: d.necessity.clone(),
        risks: d.risks.clone(),
        measures: d.measures.clone(),
        dpo_advice: note(&d.dpo_advice),
        decision: note(&d.decision),
        prior_consultation_required: r.needs_consultation,
        awaiting_prior_consultation: r.awaiting_consultation(),
        consultation: d.consultation.as_ref().map(|c: &Consultation| ConsultationOut {
            sent_on: c.sent_on.clone(),
            answered_on: c.answered_on.clone(),
            advice: c.advice.clone(),
        }),
        needs_review: r.needs_review,
        missing: core::missing(d).into_iter().map(FieldError::from).collect(),
        created_at: r.stored.created_at,
        updated_at: r.stored.updated_at,
    }
}

async fn one(state: &AppState, org_id: OrgId, id: i64) -> Result<DpiaOut, ApiError> {
    Ok(out(&state.app.dpia.read(org_id, id).await?))
}

#[utoipa::path(get, path = "/api/v1/dpias", security(("bearer" = ["risk:read"])), tag = "risk",
    responses((status = 200, body = Vec<DpiaOut>, description = "every DPIA, newest first")))]
pub async fn list(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<DpiaOut>>, ApiError> {
    Ok(Json(state.app.dpia.all(caller.org_id).await?.iter().map(out).collect()))
}

#[utoipa::path(post, path = "/api/v1/dpias", security(("bearer" = ["risk:write"])), tag = "risk", request_body = DpiaContent,
    responses(
        (status = 201, body = DpiaOut, description = "the draft"),
        (status = 422, description = "a processing or risk assessment not of this organisation", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: Bytes,
) -> Result<(StatusCode, Json<DpiaOut>), ApiError> {
    let content: ContentIn = super::parse_object(&body)?;
    let id = state.app.dpia.start(caller.org_id, content.into(), None).await?;
    Ok((StatusCode::CREATED, Json(one(&state, caller.org_id, id).await?)))
}

#[utoipa::path(get, path = "/api/v1/dpias/{id}", security(("bearer" = ["risk:read"])), tag = "risk",
    params(("id" = i64, Path, description = "The DPIA's id")),
    responses((status = 200, body = DpiaOut, description = "the DPIA")))]
pub async fn get(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<DpiaOut>, ApiError> {
    Ok(Json(one(&state, caller.org_id, id).await?))
}

#[utoipa::path(put, path = "/api/v1/dpias/{id}", security(("bearer" = ["risk:write"])), tag = "risk", request_body = DpiaChange,
    params(("id" = i64, Path, description = "The DPIA's id")),
    responses(
        (status = 200, body = DpiaOut, description = "the draft as saved, a new version"),
        (status = 409, description = "changed since `version`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "not a draft or returned; a processing or risk assessment not of this organisation", body = Problem, content_type = "application/problem+json")))]
pub async fn replace(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<DpiaOut>, ApiError> {
    state.store.dpia(caller.org_id, id).await?;
    let change: ChangeIn = super::parse_object(&body)?;
    state.app.dpia.save(caller.org_id, id, change.version, change.content.into(), None).await?;
    Ok(Json(one(&state, caller.org_id, id).await?))
}

/// One saved version of a DPIA.
#[derive(Serialize, ToSchema)]
pub struct DpiaVersionOut {
    pub version: i64,
    #[schema(value_type = DpiaStateCode)]
    pub state: DpiaState,
    /// `started`, `edited`, `send`, `advise`, `approve`, `return`, `reopen`, `consultation`.
    pub change: String,
    pub changed_by: Option<String>,
    pub changed_at: i64,
    /// The document as it was.
    #[schema(value_type = Object)]
    pub document: Value,
}

#[utoipa::path(get, path = "/api/v1/dpias/{id}/versions", security(("bearer" = ["risk:read"])), tag = "risk",
    params(("id" = i64, Path, description = "The DPIA's id")),
    responses((status = 200, body = Vec<DpiaVersionOut>, description = "every version, newest first")))]
pub async fn versions(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<Vec<DpiaVersionOut>>, ApiError> {
    state.store.dpia(caller.org_id, id).await?;
    let versions = state.store.dpia_versions(caller.org_id, id).await?;
    Ok(Json(
        versions
            .into_iter()
            .map(|v| DpiaVersionOut {
                version: v.version,
                state: v.state,
                change: v.change,
                changed_by: v.changed_by,
                changed_at: v.changed_at,
                document: serde_json::from_str(&v.doc).unwrap_or(Value::Null),
            })
            .collect(),
    ))
}

/// The documented operations of this feature, each with its description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default().routes(routes!(list, create)).routes(routes!(get, replace)).routes(routes!(versions))
}
