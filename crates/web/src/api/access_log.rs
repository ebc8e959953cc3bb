//! `/api/v1/access-events`: systems report accesses to health data into the tamper-evident log.

use crate::auth::ApiCaller;
use crate::error::{ApiError, FieldError, Problem};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use normverk_app::access_log::MAX_EVENTS;
use normverk_app::access_log::{EventError, Format};
use normverk_app::clock::rfc3339;
use normverk_core::org::OrgNumber;
use normverk_store::access_log::{Delegation, Idempotency};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ApiJson;

/// Where the accepted events landed in the log.
#[derive(Serialize, ToSchema)]
pub struct Appended {
    /// The log index of the first event, counted from 0 as RFC 9162 does (the auditors' page
    /// numbers events from 1); the others follow in the order sent.
    pub first_index: u64,
    pub count: u64,
}

/// The `Idempotency-Key` header, checked: 1 to 255 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let key = value.to_str().unwrap_or("");
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
        return Err(ApiError::field("Idempotency-Key", "use 1 to 255 visible ASCII characters"));
    }
    Ok(Some(key.to_string()))
}

/// A batch of access events as JSON: at least one.
pub struct EventBatch;

impl utoipa::PartialSchema for EventBatch {
    fn schema() -> RefOr<Schema> {
        let example = serde_json::json!([{"occurred_at": "2026-11-24T08:15:00+01:00", "duration_s": 42,
            "user_id": "hpr:9144897", "user_name": "Kari Lege", "user_role": "lege", "org_number": "974760673",
            "unit": "Akuttmottak", "patient_id": "fnr:15108695088", "information_type": "journalnotat",
            "action": "read", "basis": "care_relation"}]);
        let batch = ArrayBuilder::new().items(event_schema()).min_items(Some(1)).max_items(Some(MAX_EVENTS));
        super::contract::with_example(batch.into(), example)
    }
}

/// One access event: the fields Normen 5.4.4 asks for.
fn event_schema() -> RefOr<Schema> {
    use super::contract::{code_schema, nullable, object, text_field, text_object, time};
    use normverk_core::access_log::{AccessAction, Basis, CROSS_ORG_REASON, EVENT_TEXT, MAX_DURATION_S};
    let org_number = || -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(SchemaType::Type(Type::String)).pattern(Some("^[0-9]{9}$")).into()
    };
    let cross_org = object(
        &[
            ("source_org_number", org_number()),
            ("reason", text_field(&CROSS_ORG_REASON)),
            ("period_from", time(KnownFormat::DateTime)),
            ("period_to", time(KnownFormat::DateTime)),
        ],
        &[],
        true,
    );
    let duration = ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Integer))
        .minimum(Some(0))
        .maximum(Some(MAX_DURATION_S))
        .description(Some("seconds"));
    text_object(
        EVENT_TEXT,
        &["basis_reason", "disclosed_to", "user_name", "user_national_id"],
        &[
            ("occurred_at", time(KnownFormat::DateTime), true),
            ("duration_s", duration.into(), true),
            ("org_number", org_number(), true),
            ("action", code_schema::<AccessAction>(), true),
            ("basis", code_schema::<Basis>(), true),
            ("cross_org", nullable(cross_org), false),
        ],
    )
}

impl utoipa::ToSchema for EventBatch {}

#[utoipa::path(post, path = "/api/v1/access-events", security(("bearer" = ["access_log:write"])), tag = "access-log",
    params(("Idempotency-Key" = Option<String>, Header, description = "A retried request with the same key returns the first result and stores nothing twice (remembered for 24 hours)")),
    request_body(content = EventBatch, description = "An array of access events (application/json), one event per line (application/x-ndjson), or FHIR R4 AuditEvent resources, single or in a Bundle (application/fhir+json)"),
    responses(
        (status = 201, body = Appended, description = "stored durably"),
        (status = 200, body = Appended, description = "a retry: the events were stored by the first request with this Idempotency-Key"),
        (status = 403, description = "the token lacks access_log:write", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "more than 16 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "another content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "an event breaks a rule: an `org_number` that is neither the token's organisation nor one that has authorised it to log for it (its events go into that organisation's view), a patient or user id without its kind (`fnr:`, `dnr:`, `hnr:`, `fhn:`, `hpr:`, `local:<system>:`) or whose check digits fail, a time in the future, `break_glass` or `other` without `basis_reason`, `disclosed_to` without the action `disclose` or the reverse, a `cross_org` period that ends before it starts. Every problem of every event is listed by index; nothing is stored", body = Problem, content_type = "application/problem+json")))]
pub async fn append(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Appended>), ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let format = if content_type.starts_with("application/fhir+json") {
        Format::Fhir
    } else if content_type.starts_with("application/x-ndjson") {
        Format::Ndjson
    } else if content_type.starts_with("application/json") {
        Format::Json
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send application/json, application/x-ndjson or application/fhir+json",
        ));
    };
    let log = &state.app.access_log;
    let sender = log.sender(caller.org_id).await?;
    let events = log.parse(format, &body, &sender).map_err(|errors| {
        ApiError::invalid(
            errors.into_iter().map(|EventError { field, message }| FieldError { field, message }).collect(),
        )
    })?;
    let idempotency = idempotency_key(&headers)?.map(|key| {
        let mut sha = Sha256::new();
        sha.update(content_type.as_bytes());
        sha.update([0u8]);
        sha.update(&body);
        Idempotency { key, request_sha: sha.finalize().into() }
    });
    let stored = log.append(caller.org_id, events, idempotency.as_ref()).await?;
    tracing::info!(
        org_id = caller.org_id.0,
        token_id = caller.token_id,
        first_index = stored.first_index,
        count = stored.count,
        replayed = stored.replayed,
        "access events stored"
    );
    let status = if stored.replayed { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(Appended { first_index: stored.first_index, count: stored.count })))
}

/// One organisation's authorisation of another to log accesses for it.
#[derive(Serialize, ToSchema)]
pub struct DelegationOut {
    pub id: i64,
    /// The organisation whose events are logged (they go into its view).
    pub org_number: String,
    pub org_name: String,
    /// The organisation that may send them, with its own token.
    pub delegate_org_number: String,
    pub delegate_name: String,
    pub granted_at: String,
    /// Null while the authorisation is in force.
    pub revoked_at: Option<String>,
}

impl From<Delegation> for DelegationOut {
    fn from(d: Delegation) -> Self {
        DelegationOut {
            id: d.id,
            org_number: d.org_number,
            org_name: d.org_name,
            delegate_org_number: d.delegate_number,
            delegate_name: d.delegate_name,
            granted_at: rfc3339(d.granted_at),
            revoked_at: d.revoked_at.map(rfc3339),
        }
    }
}

/// The organisation to authorise.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"delegate_org_number": "982463718"}))]
pub struct DelegationIn {
    /// The organisation number of the organisation that will log for this one; it must be in
    /// normverk.
    #[schema(pattern = "^[0-9]{9}$")]
    pub delegate_org_number: String,
}

#[utoipa::path(get, path = "/api/v1/access-log/delegations", security(("bearer" = ["org:read"])), tag = "access-log",
    responses((status = 200, body = [DelegationOut], description = "the authorisations this organisation granted and those it was given, in force or revoked, newest first")))]
pub async fn list_delegations(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<Vec<DelegationOut>>, ApiError> {
    Ok(Json(state.store.log_delegations(caller.org_id).await?.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/access-log/delegations", security(("bearer" = ["org:write"])), tag = "access-log",
    request_body = DelegationIn,
    responses(
        (status = 201, body = DelegationOut, description = "authorised: events with this organisation's number sent with the other's token go into this organisation's view"),
        (status = 403, description = "the token lacks org:write", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "not a valid organisation number, no organisation in normverk with it, this organisation itself, or one already authorised; nothing is stored", body = Problem, content_type = "application/problem+json")))]
pub async fn delegate(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<DelegationIn>,
) -> Result<(StatusCode, Json<DelegationOut>), ApiError> {
    let number = OrgNumber::parse(&input.delegate_org_number)
        .map_err(|e| ApiError::field("delegate_org_number", e.to_string()))?;
    let d = state.store.grant_log_delegation(caller.org_id, number.as_str(), None, state.app.clock.now()).await?;
    tracing::info!(
        org_id = caller.org_id.0,
        token_id = caller.token_id,
        delegate = d.delegate_org_id.0,
        "access log delegation granted"
    );
    Ok((StatusCode::CREATED, Json(d.into())))
}

#[utoipa::path(delete, path = "/api/v1/access-log/delegations/{id}", security(("bearer" = ["org:write"])), tag = "access-log",
    params(("id" = i64, Path, description = "The authorisation's id")),
    responses(
        (status = 204, description = "revoked: the other organisation's events for this one are refused from now on"),
        (status = 403, description = "the token lacks org:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no authorisation in force by this id, granted by this organisation", body = Problem, content_type = "application/problem+json")))]
pub async fn revoke_delegation(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.store.revoke_log_delegation(caller.org_id, id, None, state.app.clock.now()).await?;
    tracing::info!(
        org_id = caller.org_id.0,
        token_id = caller.token_id,
        delegation = id,
        "access log delegation revoked"
    );
    Ok(StatusCode::NO_CONTENT)
}

/// How long the organisation keeps its access events (Normen 2.3).
#[derive(serde::Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"keep_days": 3650}))]
pub struct Retention {
    /// Events older than this many days are retired (their payloads deleted; leaves and proofs
    /// stay, and the retirement is an entry in the log); null keeps every event. At least a
    /// year, as on the settings page: a log kept shorter would not show a patient who asks who
    /// read their record last year.
    #[schema(minimum = 365, maximum = 36500)]
    pub keep_days: Option<i64>,
}

/// The shortest and the longest retention, in days.
const MIN_KEEP_DAYS: i64 = 365;
const MAX_KEEP_DAYS: i64 = 36_500;

#[utoipa::path(get, path = "/api/v1/access-log/retention", security(("bearer" = ["org:read"])), tag = "access-log",
    responses((status = 200, body = Retention, description = "the retention in force")))]
pub async fn get_retention(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Retention>, ApiError> {
    let keep_days = state.store.access_retention(caller.org_id).await?.and_then(|(days, _)| days);
    Ok(Json(Retention { keep_days }))
}

#[utoipa::path(put, path = "/api/v1/access-log/retention", security(("bearer" = ["org:write"])), tag = "access-log",
    request_body = Retention,
    responses(
        (status = 200, body = Retention, description = "set; expired events are retired within the hour"),
        (status = 403, description = "the token lacks org:write", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`keep_days` outside 365–36,500; nothing changed", body = Problem, content_type = "application/problem+json")))]
pub async fn set_retention(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<Retention>,
) -> Result<Json<Retention>, ApiError> {
    if input.keep_days.is_some_and(|d| !(MIN_KEEP_DAYS..=MAX_KEEP_DAYS).contains(&d)) {
        return Err(ApiError::field(
            "keep_days",
            format!("from {MIN_KEEP_DAYS} to {MAX_KEEP_DAYS} days, or null to keep every event"),
        ));
    }
    state.store.set_access_retention(caller.org_id, input.keep_days, None, state.app.clock.now()).await?;
    tracing::info!(org_id = caller.org_id.0, token_id = caller.token_id, keep_days = ?input.keep_days, "access log retention set");
    Ok(Json(input))
}

/// The documented operations of this feature, each with its description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .merge(
            OpenApiRouter::default()
                .routes(routes!(append))
                .layer(axum::extract::DefaultBodyLimit::max(normverk_app::access_log::MAX_BYTES)),
        )
        .routes(routes!(list_delegations, delegate))
        .routes(routes!(revoke_delegation))
        .routes(routes!(get_retention, set_retention))
}
