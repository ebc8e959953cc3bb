//! `/api/v1/access-events`: systems report accesses to health data into the tamper-evident log.

use crate::auth::ApiCaller;
use crate::error::{ApiError, FieldError, Problem};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use normverk_core::access_log::{check_event, jcs, AccessEvent};
use normverk_core::org::Action;
use normverk_store::access_log::Idempotency;
use normverk_store::access_log::NewAccessEvent;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// At most this many events in one request.
pub const MAX_EVENTS: usize = 10_000;
/// At most this many bytes in one request.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;

/// Where the accepted events landed in the log.
#[derive(Serialize, ToSchema)]
pub struct Appended {
    /// The log index of the first event; the others follow in the order sent.
    pub first_index: u64,
    pub count: u64,
}

/// The events of a JSON array or NDJSON body, or every problem found, by index and field.
fn parse_events(content_type: &str, body: &[u8]) -> Result<Vec<AccessEvent>, Vec<FieldError>> {
    let error = |index: usize, field: &str, message: String| FieldError { field: format!("/{index}{field}"), message };
    let text = std::str::from_utf8(body).map_err(|_| vec![error(0, "", "the body is not UTF-8".into())])?;
    // Each event's own text, so every one is parsed once, straight into an event.
    let raw: Vec<&str> = if content_type.starts_with("application/x-ndjson") {
        text.lines().filter(|l| !l.trim().is_empty()).collect()
    } else if text.trim_start().starts_with('{') {
        vec![text]
    } else {
        match serde_json::from_str::<Vec<&serde_json::value::RawValue>>(text) {
            Ok(values) => values.into_iter().map(|v| v.get()).collect(),
            Err(e) if e.is_data() => return Err(vec![error(0, "", "send an array of events".into())]),
            Err(e) => return Err(vec![FieldError { field: "".into(), message: format!("not JSON: {e}") }]),
        }
    };
    if raw.is_empty() {
        return Err(vec![FieldError { field: "".into(), message: "no events".into() }]);
    }
    if raw.len() > MAX_EVENTS {
        return Err(vec![FieldError { field: "".into(), message: format!("at most {MAX_EVENTS} events per request") }]);
    }
    let now = normverk_store::unix_now();
    let mut events = Vec::with_capacity(raw.len());
    let mut errors = Vec::new();
    for (i, text) in raw.into_iter().enumerate() {
        match serde_json::from_str::<AccessEvent>(text) {
            Ok(e) => {
                errors.extend(
                    check_event(&e, now)
                        .into_iter()
                        .map(|p| error(i, &format!("/{}", p.field.replace('.', "/")), p.message)),
                );
                events.push(e);
            }
            Err(e) if e.is_syntax() || e.is_eof() => errors.push(error(i, "", format!("not JSON: {e}"))),
            Err(e) => errors.push(error(i, "", e.to_string())),
        }
    }
    if errors.is_empty() {
        Ok(events)
    } else {
        Err(errors)
    }
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

#[utoipa::path(post, path = "/api/v1/access-events", tag = "access-log",
    params(("Idempotency-Key" = Option<String>, Header, description = "A retried request with the same key returns the first result and stores nothing twice (remembered for 24 hours)")),
    request_body(content = Vec<serde_json::Value>, description = "An array of access events (application/json), one event per line (application/x-ndjson), or FHIR R4 AuditEvent resources, single or in a Bundle (application/fhir+json)"),
    responses(
        (status = 201, body = Appended, description = "stored durably"),
        (status = 200, body = Appended, description = "a retry: the events were stored by the first request with this Idempotency-Key"),
        (status = 403, description = "the token lacks access_log:write", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "more than 16 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "another content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "every invalid event and field, by index; nothing stored", body = Problem, content_type = "application/problem+json")))]
pub async fn append(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Appended>), ApiError> {
    caller.require(Action::WriteAccessLog)?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let events = if content_type.starts_with("application/fhir+json") {
        super::fhir_audit::parse(&body).map_err(ApiError::invalid)?
    } else if content_type.starts_with("application/json") || content_type.starts_with("application/x-ndjson") {
        parse_events(content_type, &body).map_err(ApiError::invalid)?
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send application/json, application/x-ndjson or application/fhir+json",
        ));
    };
    let idempotency = idempotency_key(&headers)?.map(|key| {
        let mut sha = Sha256::new();
        sha.update(content_type.as_bytes());
        sha.update([0u8]);
        sha.update(&body);
        Idempotency { key, request_sha: sha.finalize().into() }
    });
    let rows = tokio::task::spawn_blocking(move || {
        // Every salt from one read of the system's generator, not a read per event.
        let mut salts = vec![[0u8; 16]; events.len()];
        rand::rngs::OsRng.fill_bytes(salts.as_flattened_mut());
        events.iter().zip(salts).map(|(e, salt)| new_event(e, salt)).collect::<Vec<NewAccessEvent>>()
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let stored = state
        .store
        .append_access_events(caller.org_id, &rows, idempotency.as_ref(), normverk_store::unix_now())
        .await?;
    state.log.wake();
    tracing::info!(
        org_id = caller.org_id,
        token_id = caller.token_id,
        first_index = stored.first_index,
        count = stored.count,
        replayed = stored.replayed,
        "access events stored"
    );
    let status = if stored.replayed { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(Appended { first_index: stored.first_index, count: stored.count })))
}

/// Hashes and canonicalises one checked event with its salt: the leaf is H(0x00 ‖ salt ‖ JCS(event)),
/// as `normverk_core::access_log::canonical_bytes` defines it.
fn new_event(e: &AccessEvent, salt: [u8; 16]) -> NewAccessEvent {
    let json = jcs(e);
    NewAccessEvent {
        leaf_hash: tlog::merkle::leaf_hash_of_parts(&[&salt, &json]),
        salt,
        occurred_at: e.occurred_at.parse::<jiff::Timestamp>().map(|t| t.as_second()).unwrap_or(0),
        patient_id: e.patient_id.clone(),
        user_id: e.user_id.clone(),
        unit: e.unit.clone(),
        event_json: String::from_utf8(json).unwrap_or_default(),
    }
}
