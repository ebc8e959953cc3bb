//! `/api/v1/deviations`: systems and integrations report deviations and take their steps.

use super::contract::StateCode;
use crate::auth::ApiCaller;
use crate::error::{ApiError, FieldError, Problem};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use normverk_app::access_log::Accessor;
use normverk_app::clock::rfc3339;
use normverk_app::deviation::{Actor, DeviationError};
use normverk_core::deviation::{self as rules, Category, NewDeviation, Step};
use normverk_store::deviation::Deviation;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ApiJson;

impl From<DeviationError> for ApiError {
    fn from(e: DeviationError) -> Self {
        match e {
            DeviationError::NotFound => ApiError::not_found(),
            DeviationError::Forbidden(m) => ApiError::forbidden(m),
            DeviationError::Invalid(problems) => ApiError::problems(problems),
            DeviationError::Rejected(r) => normverk_store::StoreError::Rejected(r).into(),
            DeviationError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, m),
            DeviationError::Store(e) => e.into(),
        }
    }
}

/// A new deviation, as the reporter tells it: times in RFC 3339; the 72-hour clock starts at
/// `aware_at`, when the organisation became aware.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviationIn {
    pub title: String,
    pub description: String,
    pub occurred_at: String,
    pub aware_at: String,
    #[serde(default)]
    pub unit_id: Option<i64>,
    #[serde(default)]
    pub system: Option<String>,
    pub category: String,
    pub patients_concerned: bool,
    #[serde(default)]
    pub immediate_actions: String,
    #[serde(default)]
    pub patient_id: Option<String>,
}

impl utoipa::PartialSchema for DeviationIn {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use super::contract::{boolean, id, nullable, text_object, time, with_example};
        use utoipa::openapi::schema::KnownFormat;
        let category = <super::contract::CategoryCode as utoipa::PartialSchema>::schema();
        let example = serde_json::json!({"title": "Epikrise sendt til feil fastlege",
            "description": "Epikrisen ble sendt til en fastlege med samme navn som pasientens.",
            "occurred_at": "2026-11-20T08:00:00+01:00", "aware_at": "2026-11-20T09:30:00+01:00",
            "category": "misdirected_information", "patients_concerned": true,
            "immediate_actions": "Mottakeren er bedt om å slette meldingen."});
        let schema = text_object(
            rules::REPORT_TEXT,
            &["system", "patient_id"],
            &[
                ("occurred_at", time(KnownFormat::DateTime), true),
                ("aware_at", time(KnownFormat::DateTime), true),
                ("unit_id", nullable(id()), false),
                ("category", category, true),
                ("patients_concerned", boolean(), true),
            ],
        );
        with_example(schema, example)
    }
}

impl ToSchema for DeviationIn {}

/// A step's body: the target state in `to`, and the step's own fields.
pub struct StepIn;

impl utoipa::PartialSchema for StepIn {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let schema = super::contract::object(&[("to", <StateCode as utoipa::PartialSchema>::schema())], &[], false);
        let example = serde_json::json!({"to": "facts_gathered",
            "timeline": "08:00 epikrisen sendt\n09:30 fastlegen ringte og sa fra"});
        super::contract::with_example(schema, example)
    }
}

impl ToSchema for StepIn {}

#[derive(Serialize, ToSchema)]
pub struct DeviationOut {
    pub id: i64,
    /// The organisation's running number.
    pub number: i64,
    pub title: String,
    pub state: String,
    pub category: String,
    pub occurred_at: String,
    pub aware_at: String,
    pub unit_id: Option<i64>,
    pub system: Option<String>,
    pub patients_concerned: bool,
    /// The patient the deviation concerns, in the access log's form (`fnr:…`); reading the
    /// deviation is logged in the access log under this patient.
    pub patient_id: Option<String>,
    pub kind: Option<String>,
    pub severity: Option<String>,
    /// Null until assessed.
    pub personal_data_breach: Option<bool>,
    pub consequences_for_data_subjects: Option<bool>,
    /// When Datatilsynet must have been notified: 72 hours after `aware_at`, for a personal data
    /// breach with consequences for data subjects; null otherwise.
    pub authority_notification_deadline: Option<String>,
    /// When the complete notice was sent, once recorded.
    pub authority_notified_at: Option<String>,
    pub created_at: String,
    pub closed_at: Option<String>,
}

impl From<Deviation> for DeviationOut {
    fn from(d: Deviation) -> Self {
        DeviationOut {
            id: d.id,
            number: d.number,
            title: d.title,
            state: d.state.to_string(),
            category: d.category.to_string(),
            occurred_at: rfc3339(d.occurred_at),
            aware_at: rfc3339(d.aware_at),
            unit_id: d.unit_id,
            system: d.system,
            patients_concerned: d.patients_concerned,
            patient_id: d.patient_id,
            kind: d.kind.map(|k| k.to_string()),
            severity: d.severity.map(|s| s.to_string()),
            personal_data_breach: d.personal_data_breach,
            consequences_for_data_subjects: d.consequences,
            authority_notification_deadline: d
                .notice_required
                .then(|| rfc3339(rules::notification_deadline(d.aware_at))),
            authority_notified_at: d.notice_complete_at.map(rfc3339),
            created_at: rfc3339(d.created_at),
            closed_at: d.closed_at.map(rfc3339),
        }
    }
}

fn time(field: &str, value: &str, errors: &mut Vec<FieldError>) -> i64 {
    match value.parse::<jiff::Timestamp>() {
        Ok(t) => t.as_second(),
        Err(_) => {
            errors.push(FieldError { field: field.into(), message: "not an RFC 3339 time".into() });
            0
        }
    }
}

#[utoipa::path(post, path = "/api/v1/deviations", security(("bearer" = ["deviation:write"])), tag = "deviations", request_body = DeviationIn,
    responses(
        (status = 201, body = DeviationOut, description = "reported"),
        (status = 403, description = "the token lacks deviation:write", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "the report breaks a rule: a time in the future, `aware_at` before `occurred_at`, a `unit_id` that is not a unit of this organisation, a `patient_id` that is not a valid identity number (eleven digits, or `fnr:`, `dnr:`, `hnr:`, `local:<system>:` in front). Nothing is stored", body = Problem, content_type = "application/problem+json")))]
pub async fn report(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<DeviationIn>,
) -> Result<(StatusCode, Json<DeviationOut>), ApiError> {
    let mut errors = Vec::new();
    let occurred_at = time("occurred_at", &input.occurred_at, &mut errors);
    let aware_at = time("aware_at", &input.aware_at, &mut errors);
    let category = input
        .category
        .parse::<Category>()
        .map_err(|e| errors.push(FieldError { field: "category".into(), message: e.to_string() }));
    let now = state.app.clock.now();
    let mut report = NewDeviation {
        title: input.title,
        description: input.description,
        occurred_at,
        aware_at,
        unit_id: input.unit_id,
        system: input.system,
        category: category.unwrap_or(Category::Other),
        patients_concerned: input.patients_concerned,
        immediate_actions: input.immediate_actions,
        patient_id: input.patient_id,
    };
    if errors.is_empty() {
        errors.extend(rules::accept_report(&mut report, now).into_iter().map(FieldError::from));
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let d = state.app.deviation.create(caller.org_id, None, &report).await?;
    tracing::info!(org_id = caller.org_id.0, token_id = caller.token_id, deviation = d.id, "deviation reported");
    Ok((StatusCode::CREATED, Json(d.into())))
}

#[utoipa::path(get, path = "/api/v1/deviations/{id}", security(("bearer" = ["deviation:read"])), tag = "deviations",
    params(("id" = i64, Path, description = "The deviation's id")),
    responses(
        (status = 200, body = DeviationOut),
        (status = 403, description = "the token lacks deviation:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such deviation in this organisation", body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<DeviationOut>, ApiError> {
    let d = state.app.deviation.load(caller.org_id, id, &Actor::Token).await?;
    state.app.deviation.record_read(&d, &Accessor::Token { token_id: caller.token_id }).await?;
    Ok(Json(d.into()))
}

#[utoipa::path(post, path = "/api/v1/deviations/{id}/transitions", security(("bearer" = ["deviation:write"])), tag = "deviations",
    params(("id" = i64, Path, description = "The deviation's id")),
    request_body(content = StepIn, description = "The target state in `to` and that step's fields: \
        facts_gathered {timeline}; assessed {kind, confidentiality, integrity, availability, personal_data_breach, \
        consequences_for_data_subjects, severity, assessment}; measures_proposed {measures: [{description, owner, deadline}], \
        alternatives, plan}; implemented {status_report}; closed {conclusion}. Adopting measures is a person's decision, made in normverk."),
    responses(
        (status = 200, body = DeviationOut, description = "the step is taken"),
        (status = 403, description = "the token lacks deviation:write, or the step is a person's to take", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such deviation in this organisation", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "someone else moved the deviation first", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "the step breaks a rule: not the next state from the current one, or without the fields that step needs (listed in the request body). Nothing changed", body = Problem, content_type = "application/problem+json")))]
pub async fn transition(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<DeviationOut>, ApiError> {
    // Whose deviation it is before what the body says: another organisation's is not found.
    let d = state.app.deviation.load(caller.org_id, id, &Actor::Token).await?;
    let step: Step = super::parse_object(&body)?;
    state.app.deviation.take_step(&d, &step, &Actor::Token).await?;
    // The answer shows the deviation again, patient and all: a read like any other.
    let d = state.store.deviation(caller.org_id, id).await?;
    state.app.deviation.record_read(&d, &Accessor::Token { token_id: caller.token_id }).await?;
    Ok(Json(d.into()))
}

/// The documented operations of this feature, each with its description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default().routes(routes!(report)).routes(routes!(get)).routes(routes!(transition))
}
