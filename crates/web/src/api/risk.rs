//! `/api/v1/risk`: the acceptance level, risk assessments as documents (steps 1–7 of Normen
//! 3.3), the register across them and the threat catalogue. A token reads them and drafts
//! assessments; what Normen gives to top management — setting the acceptance level, accepting a
//! residual risk above it, approving an assessment — is done by a signed-in person on the pages,
//! so an acceptance is read-only here and a frozen assessment refuses every change.

use super::contract::{id, nullable, object, text_field, with_example, RiskReasonCode, RiskStateCode, StandingCode};
use crate::auth::ApiCaller;
use crate::error::{ApiError, FieldError, Problem};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use normverk_app::risk::{Opening, RiskError, Row};
use normverk_core::deviation::MeasureStatus;
use normverk_core::risk::{self as core, Assessment, Matrix, Reason, Score, Standing, State as RiskState};
use normverk_store::risk::{RiskAssessment, StoredMatrix};
use normverk_store::{OrgId, Rejection, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

impl From<RiskError> for ApiError {
    fn from(e: RiskError) -> Self {
        match e {
            RiskError::Invalid(problems) => ApiError::invalid(problems.into_iter().map(pointer).collect()),
            RiskError::Store(StoreError::Conflict(m)) => ApiError::new(StatusCode::CONFLICT, m),
            RiskError::Store(StoreError::Rejected(Rejection::RiskAssessmentApproved)) => ApiError::new(
                StatusCode::CONFLICT,
                "the risk assessment is approved and frozen: start the next one from it; nothing was changed",
            ),
            RiskError::Store(e) => e.into(),
        }
    }
}

/// A rule's problem with the field named as a JSON pointer into the document where it is about
/// an event (`events/0/likelihood` for the first).
fn pointer(p: normverk_core::problem::Problem) -> FieldError {
    let event = p.args.iter().find(|(k, _)| *k == "event").and_then(|(_, v)| v.parse::<usize>().ok());
    match event {
        Some(n) if p.field != "events" => {
            FieldError { field: format!("events/{}/{}", n.saturating_sub(1), p.field), message: p.message }
        }
        Some(n) => FieldError { field: format!("events/{}", n.saturating_sub(1)), message: p.message },
        None => FieldError::from(p),
    }
}

/// An integer between `min` and `max`.
fn integer(min: u64, max: u64) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Integer))
        .minimum(Some(min as f64))
        .maximum(Some(max as f64))
        .into()
}

fn array(items: RefOr<Schema>, max: Option<usize>) -> RefOr<Schema> {
    ArrayBuilder::new().items(items).max_items(max).into()
}

fn text(name: &str) -> RefOr<Schema> {
    core::TEXT.iter().find(|f| f.name == name).map(text_field).unwrap_or_else(|| ObjectBuilder::new().into())
}

fn any(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(SchemaType::AnyValue).description(Some(description)).into()
}

/// A step of the matrix's scale (from 1; how many the assessment's matrix has is a rule).
fn step() -> RefOr<Schema> {
    integer(1, *core::AXIS_STEPS.end() as u64)
}

/// A document as an integrator would send it.
fn document_example() -> Value {
    json!({"title": "Ny journalløsning", "scope": "Overgang til ny EPJ i legekontoret", "processings": [], "systems": [],
                "events": [{"id": 1, "title": "Uautorisert oppslag i journal", "threat": "snooping",
                    "consequence": {"confidentiality": 4, "privacy": 4}, "likelihood": 3,
                    "reasoning": "Mange ansatte med vide tilganger",
                    "measures": [{"id": 1, "description": "Innføre logganalyse", "owner": "Sikkerhetsleder",
                        "deadline": "2027-03-01", "status": "planned", "systems": []}],
                    "residual": {"likelihood": 2, "consequence": 4}}]})
}

/// A risk assessment's document as sent and as read.
pub struct RiskDocument;

impl utoipa::PartialSchema for RiskDocument {
    fn schema() -> RefOr<Schema> {
        let score = object(&[("likelihood", step()), ("consequence", step())], &[], true);
        let consequence = object(
            &[],
            &[
                ("confidentiality", nullable(step())),
                ("integrity", nullable(step())),
                ("availability", nullable(step())),
                ("privacy", nullable(step())),
            ],
            true,
        );
        let threat = ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .max_length(Some(100))
            .description(Some("a code of the organisation's threat catalogue (GET /api/v1/risk/threats), or empty"));
        let deadline = ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .pattern(Some(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"))
            .description(Some("YYYY-MM-DD, or empty"));
        let measure = object(
            &[
                ("id", integer(0, u64::from(u32::MAX))),
                ("description", text("description")),
                ("status", super::contract::code_schema::<MeasureStatus>()),
            ],
            &[("owner", text("owner")), ("deadline", deadline.into()), ("systems", array(id(), None))],
            true,
        );
        let event = object(
            &[("id", integer(0, u64::from(u32::MAX))), ("title", text("title"))],
            &[
                ("description", text("description")),
                ("threat", threat.into()),
                ("consequence", consequence),
                ("likelihood", nullable(step())),
                ("reasoning", text("reasoning")),
                ("measures", array(measure, Some(core::MAX_MEASURES))),
                ("residual", nullable(score)),
                ("acceptance", any("top management's acceptance, as a GET gave it: read-only, ignored when sent")),
            ],
            true,
        );
        let schema = object(
            &[("title", text("title"))],
            &[
                ("scope", text("scope")),
                ("participants", text("participants")),
                ("method", text("method")),
                ("processings", array(id(), None)),
                ("systems", array(id(), None)),
                ("assets", array(id(), None)),
                ("events", array(event, Some(core::MAX_EVENTS))),
                (
                    "trigger",
                    any("the dashboard task it was opened from, as a GET gave it: read-only, ignored when sent"),
                ),
            ],
            true,
        );
        with_example(schema, document_example())
    }
}

impl ToSchema for RiskDocument {}

/// A version of the acceptance level.
#[derive(Serialize, ToSchema)]
pub struct MatrixOut {
    pub id: i64,
    /// Likelihood steps, lowest first.
    #[schema(value_type = Vec<StepOut>)]
    pub likelihood: Vec<core::Step>,
    /// Consequence steps, lowest first: judged for confidentiality, integrity, availability and
    /// the data subjects' privacy on the same scale.
    #[schema(value_type = Vec<StepOut>)]
    pub consequence: Vec<core::Step>,
    /// Risk levels, lowest first.
    #[schema(value_type = Vec<StepOut>)]
    pub levels: Vec<core::Step>,
    /// `grid[l][c]`: the level (an index into `levels`) of likelihood step `l + 1` and
    /// consequence step `c + 1`.
    pub grid: Vec<Vec<usize>>,
    /// The highest level management accepts (an index into `levels`).
    pub acceptable: usize,
    /// Who set it; null for normverk's default.
    pub set_by: Option<String>,
    /// Unix seconds.
    pub set_at: i64,
}

/// A step of an axis, or a risk level.
#[derive(Serialize, ToSchema)]
pub struct StepOut {
    pub label: String,
    pub description: String,
}

fn matrix_out(m: StoredMatrix) -> MatrixOut {
    let Matrix { likelihood, consequence, levels, grid, acceptable } = m.matrix;
    MatrixOut { id: m.id, likelihood, consequence, levels, grid, acceptable, set_by: m.set_by, set_at: m.set_at }
}

/// An assessment without its document.
#[derive(Serialize, ToSchema)]
pub struct AssessmentSummary {
    pub id: i64,
    pub title: String,
    /// `draft` while worked on; `approved` once approved and frozen.
    #[schema(value_type = RiskStateCode)]
    pub state: RiskState,
    /// Why it was started (Normen 3.3).
    #[schema(value_type = RiskReasonCode)]
    pub reason: String,
    /// The version of the acceptance level it uses.
    pub matrix_id: i64,
    /// The approved assessment it started from; absent for a first one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_id: Option<i64>,
    /// Send it back with a change; a change made on an older version is refused (409).
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub approved_at: Option<i64>,
    pub approved_by: Option<String>,
}

fn summary(a: &RiskAssessment) -> AssessmentSummary {
    AssessmentSummary {
        id: a.id,
        title: a.title.clone(),
        state: a.state,
        reason: a.reason.clone(),
        matrix_id: a.matrix_id,
        previous_id: a.previous_id,
        version: a.version,
        created_at: a.created_at,
        updated_at: a.updated_at,
        approved_at: a.approved_at,
        approved_by: a.approved_by.clone(),
    }
}

/// A risk as scored and judged on the assessment's matrix.
#[derive(Serialize, ToSchema)]
pub struct RiskOut {
    pub likelihood: u8,
    pub consequence: u8,
    /// An index into the matrix's `levels`.
    pub level: usize,
    pub level_label: String,
}

fn risk(m: &Matrix, s: Option<Score>) -> Option<RiskOut> {
    let s = s?;
    let level = m.level(s.likelihood, s.consequence)?;
    Some(RiskOut {
        likelihood: s.likelihood,
        consequence: s.consequence,
        level,
        level_label: m.levels.get(level).map(|l| l.label.clone()).unwrap_or_default(),
    })
}

/// Where each event stands on today's date.
#[derive(Serialize, ToSchema)]
pub struct EventStanding {
    pub event_id: u32,
    /// Before the measures: the likelihood and the worst consequence.
    pub inherent: Option<RiskOut>,
    /// After the measures: the residual where given, else the inherent risk.
    pub remaining: Option<RiskOut>,
    /// `unscored`, `acceptable` (within the level), `accepted` (above it, accepted until the
    /// acceptance's expiry) or `open`.
    #[schema(value_type = StandingCode)]
    pub standing: Standing,
}

/// An assessment whole: its document, the acceptance level it uses and where each event stands.
#[derive(Serialize, ToSchema)]
pub struct AssessmentOut {
    #[serde(flatten)]
    pub summary: AssessmentSummary,
    #[schema(value_type = RiskDocument)]
    pub document: Assessment,
    pub standing: Vec<EventStanding>,
    /// Why it cannot be approved today, in the rules' words; empty when it can.
    pub approval_problems: Vec<FieldError>,
}

async fn whole(state: &AppState, org_id: OrgId, id: i64) -> Result<AssessmentOut, ApiError> {
    let (a, m) = state.app.risk.assessment(org_id, id).await?;
    let document = a.assessment()?;
    let today = state.app.risk.today();
    let standing = document
        .events
        .iter()
        .map(|e| EventStanding {
            event_id: e.id,
            inherent: risk(&m.matrix, e.inherent()),
            remaining: risk(&m.matrix, e.remaining()),
            standing: core::standing(e, &m.matrix, today),
        })
        .collect();
    let approval_problems = if a.state == RiskState::Draft {
        core::check_approval(&document, &m.matrix, today).into_iter().map(pointer).collect()
    } else {
        Vec::new()
    };
    Ok(AssessmentOut { summary: summary(&a), document, standing, approval_problems })
}

/// A new assessment: a title and why it is made; with `from`, the next one after an approved
/// assessment, starting from its document (acceptances dropped).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAssessmentIn {
    /// Required unless `from` is given (then the earlier title is kept when empty).
    #[serde(default)]
    #[schema(schema_with = optional_title)]
    pub title: String,
    #[schema(value_type = RiskReasonCode)]
    pub reason: String,
    #[serde(default)]
    pub from: Option<i64>,
    /// Processings of the protokoll it covers (added to those of `from`).
    #[serde(default)]
    pub processings: Vec<i64>,
    /// Systems of the register it covers (added to those of `from`).
    #[serde(default)]
    pub systems: Vec<i64>,
}

/// An assessment's title by its rule, but optional (a next assessment may keep the earlier one).
fn optional_title() -> RefOr<Schema> {
    let title = core::TEXT.iter().find(|f| f.name == "title").copied();
    title.map_or_else(
        || ObjectBuilder::new().into(),
        |f| text_field(&normverk_core::text::Field { required: false, ..f }),
    )
}

/// A change of a draft: the document whole, on the version it was read at.
pub struct ChangeIn;

impl utoipa::PartialSchema for ChangeIn {
    fn schema() -> RefOr<Schema> {
        let version = ObjectBuilder::new().schema_type(SchemaType::Type(Type::Integer)).minimum(Some(1.0));
        let schema = object(&[("version", version.into()), ("document", RiskDocument::schema())], &[], true);
        with_example(schema, json!({"version": 1, "document": document_example()}))
    }
}

impl ToSchema for ChangeIn {}

/// Where the document has an array or a scalar where the schema has an object (serde would read
/// a struct from an array): each such place, by its pointer.
fn shape(document: &Value) -> Vec<FieldError> {
    let mut wrong = Vec::new();
    let mut object = |at: String, v: &Value, nullable: bool| {
        if !(v.is_object() || (nullable && v.is_null())) {
            wrong.push(FieldError { field: at, message: "an object".into() });
        }
    };
    object("document".into(), document, false);
    for (n, e) in document.get("events").and_then(Value::as_array).into_iter().flatten().enumerate() {
        object(format!("events/{n}"), e, false);
        for key in ["consequence", "residual"] {
            if let Some(v) = e.get(key) {
                object(format!("events/{n}/{key}"), v, true);
            }
        }
        for (m, x) in e.get("measures").and_then(Value::as_array).into_iter().flatten().enumerate() {
            object(format!("events/{n}/measures/{m}"), x, false);
        }
    }
    wrong
}

/// Reads a change: `version` and `document`, acceptances taken out (they are management's).
fn read_change(body: &[u8]) -> Result<(i64, Assessment), ApiError> {
    let mut value: Value = super::parse_object(body)?;
    let Some(map) = value.as_object_mut() else {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "send one JSON object"));
    };
    let mut errors: Vec<FieldError> = map
        .keys()
        .filter(|k| *k != "version" && *k != "document")
        .map(|k| FieldError { field: k.clone(), message: "unknown field".into() })
        .collect();
    let version = map.get("version").and_then(Value::as_i64);
    if version.is_none() {
        errors.push(FieldError { field: "version".into(), message: "the version the change was made on".into() });
    }
    let mut document = map.remove("document").unwrap_or(Value::Null);
    errors.extend(shape(&document));
    if let Some(d) = document.as_object_mut() {
        d.remove("trigger");
    }
    if let Some(events) = document.get_mut("events").and_then(Value::as_array_mut) {
        for e in events.iter_mut().filter_map(Value::as_object_mut) {
            e.remove("acceptance");
        }
    }
    let document = match serde_json::from_value::<Assessment>(document) {
        Ok(d) if errors.is_empty() => Some(d),
        Ok(_) => None,
        Err(e) => {
            errors.push(FieldError { field: "document".into(), message: format!("does not match the schema: {e}") });
            None
        }
    };
    match (version, document) {
        (Some(v), Some(d)) if errors.is_empty() => Ok((v, d)),
        _ => Err(ApiError::invalid(errors)),
    }
}

#[utoipa::path(get, path = "/api/v1/risk/matrix", security(("bearer" = ["risk:read"])), tag = "risk",
    responses((status = 200, body = MatrixOut, description = "the acceptance level in force (normverk's default 5 × 5 until management sets one)")))]
pub async fn matrix(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<MatrixOut>, ApiError> {
    Ok(Json(matrix_out(state.app.risk.matrix(caller.org_id).await?)))
}

#[utoipa::path(get, path = "/api/v1/risk/matrix/versions", security(("bearer" = ["risk:read"])), tag = "risk",
    responses((status = 200, body = Vec<MatrixOut>, description = "every version of the acceptance level, newest first")))]
pub async fn matrices(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<MatrixOut>>, ApiError> {
    state.app.risk.matrix(caller.org_id).await?;
    Ok(Json(state.store.risk_matrices(caller.org_id).await?.into_iter().map(matrix_out).collect()))
}

/// A threat of the organisation's catalogue unwanted events are chosen from.
#[derive(Serialize, ToSchema)]
pub struct ThreatOut {
    pub code: String,
    pub title: String,
    pub description: String,
    /// No longer offered; events that chose it keep it.
    pub retired: bool,
}

#[utoipa::path(get, path = "/api/v1/risk/threats", security(("bearer" = ["risk:read"])), tag = "risk",
    responses((status = 200, body = Vec<ThreatOut>, description = "the organisation's threat catalogue: normverk's as the organisation edited it, then its own; an event's `threat` is one of the codes, or empty")))]
pub async fn threats(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<ThreatOut>>, ApiError> {
    let catalogue = state.app.risk.threats(caller.org_id).await?;
    Ok(Json(
        catalogue
            .into_iter()
            .map(|t| ThreatOut { code: t.code, title: t.title, description: t.description, retired: t.retired })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/risk/assessments", security(("bearer" = ["risk:read"])), tag = "risk",
    responses((status = 200, body = Vec<AssessmentSummary>, description = "every assessment, newest first")))]
pub async fn list(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<AssessmentSummary>>, ApiError> {
    Ok(Json(state.store.risk_assessments(caller.org_id).await?.iter().map(summary).collect()))
}

#[utoipa::path(post, path = "/api/v1/risk/assessments", security(("bearer" = ["risk:write"])), tag = "risk",
    request_body(content = NewAssessmentIn, example = json!({"title": "Ny journalløsning", "reason": "new_system"})),
    responses(
        (status = 201, body = AssessmentOut, description = "the draft, on the acceptance level in force"),
        (status = 422, description = "no title, an unknown reason, or `from` not an approved assessment of this organisation", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: Bytes,
) -> Result<(StatusCode, Json<AssessmentOut>), ApiError> {
    let new: NewAssessmentIn = super::parse_object(&body)?;
    let reason: Reason = new.reason.parse().map_err(|e| ApiError::field("reason", format!("{e}")))?;
    if let Some(from) = new.from {
        match state.store.risk_assessment(caller.org_id, from).await {
            Err(StoreError::NotFound) => {
                return Err(ApiError::field("from", "no such assessment in this organisation"))
            }
            other => other.map(|_| ())?,
        }
    }
    let opening = Opening {
        from: new.from,
        processings: new.processings,
        systems: new.systems,
        ..Opening::new(&new.title, reason)
    };
    let id = state.app.risk.start(caller.org_id, opening, None).await?;
    Ok((StatusCode::CREATED, Json(whole(&state, caller.org_id, id).await?)))
}

#[utoipa::path(get, path = "/api/v1/risk/assessments/{id}", security(("bearer" = ["risk:read"])), tag = "risk",
    params(("id" = i64, Path, description = "The assessment's id")),
    responses((status = 200, body = AssessmentOut, description = "the assessment whole")))]
pub async fn get(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<AssessmentOut>, ApiError> {
    Ok(Json(whole(&state, caller.org_id, id).await?))
}

#[utoipa::path(put, path = "/api/v1/risk/assessments/{id}", security(("bearer" = ["risk:write"])), tag = "risk",
    request_body = ChangeIn,
    params(("id" = i64, Path, description = "The assessment's id")),
    responses(
        (status = 200, body = AssessmentOut, description = "the draft as saved, a new version; an event keeps its acceptance only while its remaining risk is unchanged"),
        (status = 409, description = "changed since `version`, or approved and frozen", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "what breaks the rules, each named by its place in the document (`document` fields by name, `events/0/likelihood`): a step outside the assessment's matrix, an id not of this organisation, ids not unique, a deadline that is no date", body = Problem, content_type = "application/problem+json")))]
pub async fn replace(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<AssessmentOut>, ApiError> {
    state.store.risk_assessment(caller.org_id, id).await?;
    let (version, document) = read_change(&body)?;
    state.app.risk.save(caller.org_id, id, version, document, "api", None).await?;
    Ok(Json(whole(&state, caller.org_id, id).await?))
}

/// One saved version of an assessment.
#[derive(Serialize, ToSchema)]
pub struct VersionOut {
    pub version: i64,
    #[schema(value_type = RiskStateCode)]
    pub state: String,
    /// What was done: `started`, `prepared`, `event_added`, `event_scored`, `event_deleted`,
    /// `measure_added`, `measure_updated`, `measure_removed`, `risk_accepted`, `approved`, `api`.
    pub change: String,
    pub changed_by: Option<String>,
    pub changed_at: i64,
    #[schema(value_type = RiskDocument)]
    pub document: Value,
}

#[utoipa::path(get, path = "/api/v1/risk/assessments/{id}/versions", security(("bearer" = ["risk:read"])), tag = "risk",
    params(("id" = i64, Path, description = "The assessment's id")),
    responses((status = 200, body = Vec<VersionOut>, description = "every version, newest first, each with the document as it was")))]
pub async fn versions(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<Vec<VersionOut>>, ApiError> {
    state.store.risk_assessment(caller.org_id, id).await?;
    let versions = state.store.risk_assessment_versions(caller.org_id, id).await?;
    let out = versions
        .into_iter()
        .map(|v| VersionOut {
            version: v.version,
            state: v.state,
            change: v.change,
            changed_by: v.changed_by,
            changed_at: v.changed_at,
            document: serde_json::from_str(&v.doc).unwrap_or(Value::Null),
        })
        .collect();
    Ok(Json(out))
}

/// An unwanted event of the register, with its assessment and where it stands today.
#[derive(Serialize, ToSchema)]
pub struct RegisterRow {
    pub assessment_id: i64,
    pub assessment_title: String,
    #[schema(value_type = RiskStateCode)]
    pub assessment_state: RiskState,
    /// False once a later approved assessment that started from this one replaced it.
    pub current: bool,
    pub event_id: u32,
    pub title: String,
    pub threat: String,
    pub inherent: Option<RiskOut>,
    pub remaining: Option<RiskOut>,
    #[schema(value_type = StandingCode)]
    pub standing: Standing,
    /// When management's acceptance ends, if the risk was accepted.
    pub accepted_until: Option<String>,
    pub processings: Vec<i64>,
    /// The assessment's systems with those its measures are in.
    pub systems: Vec<i64>,
    pub measures: usize,
    /// Measures past their deadline and not done.
    pub overdue_measures: usize,
}

fn register_row(register: &normverk_app::risk::Register, r: &Row) -> RegisterRow {
    let m = register.matrix_of(r);
    RegisterRow {
        assessment_id: r.assessment_id,
        assessment_title: r.assessment_title.clone(),
        assessment_state: r.state,
        current: r.current,
        event_id: r.event.id,
        title: r.event.title.clone(),
        threat: r.event.threat.clone(),
        inherent: risk(m, r.event.inherent()),
        remaining: risk(m, r.event.remaining()),
        standing: r.standing,
        accepted_until: r.event.acceptance.as_ref().map(|a| a.expires_on.clone()),
        processings: r.processings.clone(),
        systems: r.systems.clone(),
        measures: r.event.measures.len(),
        overdue_measures: r.overdue,
    }
}

#[utoipa::path(get, path = "/api/v1/risk/register", security(("bearer" = ["risk:read"])), tag = "risk",
    responses((status = 200, body = Vec<RegisterRow>, description = "every unwanted event of every assessment, newest assessment first, judged on today's date")))]
pub async fn register(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<RegisterRow>>, ApiError> {
    let register = state.app.risk.register(caller.org_id).await?;
    Ok(Json(register.rows.iter().map(|r| register_row(&register, r)).collect()))
}

/// The documented operations of this feature, each with its description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(matrix))
        .routes(routes!(matrices))
        .routes(routes!(threats))
        .routes(routes!(list, create))
        .routes(routes!(get, replace))
        .routes(routes!(versions))
        .routes(routes!(register))
}
