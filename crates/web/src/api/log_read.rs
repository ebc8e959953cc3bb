//! Reading the access log. Public, because they hold only hashes of salted events: the signed
//! checkpoint (`/log/checkpoint`), the tiles (`/log/tile/…`, C2SP tlog-tiles) and proofs under
//! `/api/v1/access-log/proof/`. For auditors of the organisation only, because events are
//! personal data: entry bundles (`/log/tile/entries/…`) and the events themselves.

use crate::auth::ApiCaller;
use crate::error::{ApiError, Problem};
use crate::params::{EventQuery, MAX_PAGE, PAGE_SIZE};
use crate::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use normverk_app::access_log::{consistency_proof, inclusion_proof, read_event, LogError};
use normverk_store::access_log::StoredCheckpoint;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

fn text(status: StatusCode, body: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
        format!("{body}\n"),
    )
        .into_response()
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "reading the access log failed");
    text(StatusCode::INTERNAL_SERVER_ERROR, "an internal error occurred; it has been logged")
}

/// `GET /log/checkpoint`: the latest signed checkpoint, as a C2SP signed note.
pub async fn checkpoint(State(state): State<AppState>) -> Response {
    match state.store.access_log_head().await {
        Ok(Some(c)) => {
            ([(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], c.note)
                .into_response()
        }
        Ok(None) => text(StatusCode::NOT_FOUND, "the log has no checkpoint yet"),
        Err(e) => internal(e),
    }
}

/// `GET /log/tile/…`: a tile of hashes (public), or an entry bundle (auditors).
pub async fn tile(
    State(state): State<AppState>,
    caller: Result<ApiCaller, ApiError>,
    Path(rest): Path<String>,
) -> Response {
    let head = match state.store.access_log_head().await {
        Ok(h) => h.map_or(0, |h| h.size),
        Err(e) => return internal(e),
    };
    if let Some(bundle) = rest.strip_prefix("entries/") {
        return entries(&state, caller, head, bundle).await;
    }
    let Ok((level, index, width)) = tlog::tile::parse_tile_path(&format!("tile/{rest}")) else {
        return text(StatusCode::NOT_FOUND, "not a tile path: tile/<L>/<N>[.p/<W>]");
    };
    if tlog::tile::tile_width(level, index, head) < width {
        return text(StatusCode::NOT_FOUND, "the log's latest checkpoint does not reach this tile");
    }
    match state.store.access_tile(level, index, width).await {
        Ok(Some(hashes)) => {
            // A full tile never changes; a partial one is replaced by a wider one.
            let cache = if width == 256 { "public, max-age=31536000, immutable" } else { "public, max-age=60" };
            ([(header::CONTENT_TYPE, "application/octet-stream"), (header::CACHE_CONTROL, cache)], hashes.concat())
                .into_response()
        }
        Ok(None) => text(StatusCode::NOT_FOUND, "no such tile"),
        Err(e) => internal(e),
    }
}

/// An entry bundle: each entry is the leaf data (16-byte salt ‖ the event's canonical JSON).
/// Only for a token with `access_log:read` of the organisation that reported every entry in it.
async fn entries(state: &AppState, caller: Result<ApiCaller, ApiError>, head: u64, path: &str) -> Response {
    let caller = match caller {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = caller.require(normverk_core::org::Scope::AccessLogRead) {
        return e.into_response();
    }
    let Ok((_, index, width)) = tlog::tile::parse_tile_path(&format!("tile/0/{path}")) else {
        return text(StatusCode::NOT_FOUND, "not an entry bundle path: tile/entries/<N>[.p/<W>]");
    };
    if tlog::tile::tile_width(0, index, head) < width {
        return text(StatusCode::NOT_FOUND, "the log's latest checkpoint does not reach this bundle");
    }
    let from = index * 256;
    let rows = match state.store.access_entries(from, from + u64::from(width)).await {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    if rows.iter().any(|r| r.org_id != caller.org_id) {
        return ApiError::forbidden(
            "this bundle holds events of other organisations; fetch your events one by one with their proofs",
        )
        .into_response();
    }
    let mut data: Vec<Vec<u8>> = Vec::with_capacity(rows.len());
    for r in &rows {
        let Some(json) = &r.event_json else {
            return text(StatusCode::GONE, "an event in this bundle has been removed by retention; its leaf remains");
        };
        data.push([r.salt.as_slice(), json.as_bytes()].concat());
    }
    let refs: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
    match tlog::tile::entry_bundle(&refs) {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/octet-stream"), (header::CACHE_CONTROL, "no-store")], bytes)
            .into_response(),
        Err(e) => internal(e),
    }
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(v)| v).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))
}

fn log_error(e: LogError) -> ApiError {
    match e {
        LogError::Store(s) => s.into(),
        LogError::Proof(p) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, p.to_string()),
        LogError::Tampered { .. } => {
            tracing::error!(error = %e, "the access log's stored tiles are inconsistent");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "the log cannot make this proof; it has been logged")
        }
    }
}

/// The latest checkpoint, read again if the one seen lately is smaller than `size`.
async fn head(state: &AppState, size: u64) -> Result<Arc<StoredCheckpoint>, ApiError> {
    state
        .app
        .access_log
        .head(size)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "the log has no checkpoint yet"))
}

/// Sizes beyond the latest checkpoint cannot be proved yet.
fn check_size(size: u64, head: &StoredCheckpoint, name: &str) -> Result<(), ApiError> {
    if size > head.size {
        return Err(ApiError::field(name, format!("the latest checkpoint covers {} events", head.size)));
    }
    Ok(())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InclusionParams {
    /// The event's log index, counted from 0 as RFC 9162 does (the auditors' page numbers events from 1).
    pub index: u64,
    /// The tree size of a signed checkpoint; the latest when left out.
    pub size: Option<u64>,
}

/// An RFC 9162 inclusion proof.
#[derive(Serialize, ToSchema)]
pub struct InclusionProof {
    pub index: u64,
    pub size: u64,
    /// Base64 of the leaf hash, SHA-256(0x00 ‖ salt ‖ event).
    pub leaf_hash: String,
    /// Base64 hashes, leaf to root.
    pub proof: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/access-log/proof/inclusion", tag = "access-log", params(InclusionParams), security(()),
    responses(
        (status = 200, body = InclusionProof),
        (status = 422, description = "`size` beyond the latest checkpoint, or `index` not below `size`", body = Problem, content_type = "application/problem+json")))]
pub async fn inclusion(
    State(state): State<AppState>,
    params: Result<Query<InclusionParams>, QueryRejection>,
) -> Result<Json<InclusionProof>, ApiError> {
    let p = query(params)?;
    let head = head(&state, p.size.unwrap_or(0)).await?;
    let size = p.size.unwrap_or(head.size);
    check_size(size, &head, "size")?;
    if p.index >= size {
        return Err(ApiError::field("index", format!("must be below the tree size {size}")));
    }
    let (leaf, proof) = inclusion_proof(&state.store, p.index, size).await.map_err(log_error)?;
    Ok(Json(InclusionProof {
        index: p.index,
        size,
        leaf_hash: B64.encode(leaf),
        proof: proof.iter().map(|h| B64.encode(h)).collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyParams {
    /// The older tree size, from 1 (every tree is consistent with the empty one).
    #[param(minimum = 1)]
    pub old: u64,
    /// The latest checkpoint's size when left out.
    pub new: Option<u64>,
}

/// An RFC 9162 consistency proof.
#[derive(Serialize, ToSchema)]
pub struct ConsistencyProof {
    pub old: u64,
    pub new: u64,
    pub proof: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/access-log/proof/consistency", tag = "access-log", params(ConsistencyParams), security(()),
    responses(
        (status = 200, body = ConsistencyProof),
        (status = 422, description = "`new` beyond the latest checkpoint, or `old` above `new`", body = Problem, content_type = "application/problem+json")))]
pub async fn consistency(
    State(state): State<AppState>,
    params: Result<Query<ConsistencyParams>, QueryRejection>,
) -> Result<Json<ConsistencyProof>, ApiError> {
    let p = query(params)?;
    let head = head(&state, p.new.unwrap_or(0)).await?;
    let new = p.new.unwrap_or(head.size);
    check_size(new, &head, "new")?;
    let proof = consistency_proof(&state.store, p.old, new).await.map_err(log_error)?;
    Ok(Json(ConsistencyProof { old: p.old, new, proof: proof.iter().map(|h| B64.encode(h)).collect() }))
}

/// One stored event with where it sits in the log.
#[derive(Serialize, ToSchema)]
pub struct EventOut {
    /// The event's log index, counted from 0 as RFC 9162 does (the auditors' page shows it plus 1).
    pub index: u64,
    #[schema(value_type = Object)]
    pub event: serde_json::Value,
}

#[utoipa::path(get, path = "/api/v1/access-log/events", security(("bearer" = ["access_log:read"])), tag = "access-log", params(EventQuery),
    responses(
        (status = 200, body = [EventOut], description = "newest first, 100 a page; an empty page after the last match. \
            While there may be more, a `Link` header names the next page (`rel=\"next\"`)",
            headers(("link" = String, description = "`<…?page=N>; rel=\"next\"` while a next page may hold events"))),
        (status = 403, description = "the token lacks access_log:read", body = Problem, content_type = "application/problem+json")))]
pub async fn search(
    State(state): State<AppState>,
    caller: ApiCaller,
    params: Result<Query<EventQuery>, QueryRejection>,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let q = query(params)?;
    let filter = q.filter_strict().map_err(|(f, m)| ApiError::field(f, m))?;
    let page = q.page_in_range().map_err(|(f, m)| ApiError::field(f, m))?;
    let rows = state.store.access_events(caller.org_id, &filter, PAGE_SIZE, (page - 1) * u64::from(PAGE_SIZE)).await?;
    let full = rows.len() == PAGE_SIZE as usize;
    let events: Vec<EventOut> = rows
        .into_iter()
        .map(|r| EventOut {
            index: r.index,
            event: read_event(&r.event_json, r.openings.as_deref())
                .and_then(|e| serde_json::to_value(e).ok())
                .or_else(|| serde_json::from_str(&r.event_json).ok())
                .unwrap_or_default(),
        })
        .collect();
    let mut resp = Json(events).into_response();
    if full && page < MAX_PAGE {
        let others: Vec<(String, String)> = uri
            .query()
            .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| k != "page")
            .chain([("page".to_string(), (page + 1).to_string())])
            .collect();
        let next =
            format!("<{}?{}>; rel=\"next\"", uri.path(), serde_urlencoded::to_string(&others).unwrap_or_default());
        if let Ok(value) = axum::http::HeaderValue::from_str(&next) {
            resp.headers_mut().insert(axum::http::header::LINK, value);
        }
    }
    Ok(resp)
}

/// An event with what an auditor needs to prove it is in the log.
#[derive(Serialize, ToSchema)]
pub struct EventProof {
    /// The event's log index, counted from 0 as RFC 9162 does (the auditors' page shows it plus 1).
    pub index: u64,
    /// The event; for the log's record of a retirement, `{"retirement": {…}}`. Absent when
    /// retention has removed the event; its leaf remains.
    #[schema(value_type = Option<Object>)]
    pub event: Option<serde_json::Value>,
    /// The values of the event's sealed fields (those a patient's insight withholds), each with
    /// the base64 key of its commitment in `event.sealed`: base64(SHA-256(key ‖ field ‖ 0x00 ‖
    /// value)). Absent when it has none.
    #[schema(value_type = Option<Object>)]
    pub openings: Option<serde_json::Value>,
    /// For a retired event, the log index of the retirement that removed it.
    pub retired_by: Option<u64>,
    /// Base64 of the 16-byte salt: the leaf hash is SHA-256(0x00 ‖ salt ‖ JCS(event)).
    pub salt: String,
    pub leaf_hash: String,
    /// The latest checkpoint (signed note) and the inclusion proof against it; absent until
    /// the event is integrated (about a second).
    pub checkpoint: Option<String>,
    pub proof: Option<Vec<String>>,
}

#[utoipa::path(get, path = "/api/v1/access-log/events/{index}", security(("bearer" = ["access_log:read"])), tag = "access-log", params(("index" = u64, Path, description = "The event's log index, counted from 0 (the auditors' page numbers events from 1)")),
    responses(
        (status = 200, body = EventProof),
        (status = 403, description = "the token lacks access_log:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such event in this organisation", body = Problem, content_type = "application/problem+json")))]
pub async fn event(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(index): Path<String>,
) -> Result<Json<EventProof>, ApiError> {
    let index: u64 = index.parse().map_err(|_| ApiError::not_found())?;
    let entry = state.store.access_entry(caller.org_id, index).await?;
    let head = state.store.access_log_head().await?.filter(|h| h.size > index);
    let proof = match &head {
        Some(h) => Some(inclusion_proof(&state.store, index, h.size).await.map_err(log_error)?.1),
        None => None,
    };
    Ok(Json(EventProof {
        index,
        event: entry.event_json.as_deref().and_then(|j| serde_json::from_str(j).ok()),
        openings: entry.openings.as_deref().and_then(|j| serde_json::from_str(j).ok()),
        retired_by: state.store.access_retired_in(index, index.saturating_add(1)).await?.first().map(|r| r.entry_index),
        salt: B64.encode(entry.salt),
        leaf_hash: B64.encode(entry.leaf_hash),
        checkpoint: head.map(|h| h.note),
        proof: proof.map(|p| p.iter().map(|h| B64.encode(h)).collect()),
    }))
}

/// Whose insight, and for which days.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InsightQuery {
    /// The patient: `fnr:`, `dnr:`, `hnr:`, `fhn:` or `local:<system>:`.
    pub patient_id: String,
    /// The first day, `YYYY-MM-DD` (Norwegian time).
    pub from: String,
    /// The last day, `YYYY-MM-DD`, inclusive.
    pub to: String,
}

#[utoipa::path(get, path = "/api/v1/access-log/insight", security(("bearer" = ["access_log:insight"])), tag = "access-log", params(InsightQuery),
    description = "A patient's insight (Normen 4.2.1): every access to the patient's information in the organisation's log \
        in the period, newest first, each with its log index, salt, event as hashed and inclusion proof against the signed \
        checkpoint the document carries, so the patient can check it with `normverk log verify-insight` or the page \
        `/insight/verify`. The fields in `withheld` appear as commitments only (`event.sealed`). The request is itself logged. \
        Completeness rests on `log verify`'s check of the search index, not on the proofs.",
    responses(
        (status = 200, body = Object, description = "the insight document (format `normverk-insight/1`)"),
        (status = 403, description = "the token lacks access_log:insight", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "an invalid identity number, a date that is not YYYY-MM-DD, a period that ends before it starts or starts in the future, or more than 10,000 entries", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "the entries are not yet under a signed checkpoint (about a second); try again", body = Problem, content_type = "application/problem+json")))]
pub async fn insight(
    State(state): State<AppState>,
    caller: ApiCaller,
    params: Result<Query<InsightQuery>, QueryRejection>,
) -> Result<Json<normverk_app::access_log::insight::Insight>, ApiError> {
    let q = query(params)?;
    let org = state.store.org(caller.org_id).await?;
    let by = normverk_app::access_log::Accessor::Token { token_id: caller.token_id };
    state.app.access_log.insight(&org, &by, &q.patient_id, &q.from, &q.to).await.map(Json).map_err(insight_error)
}

fn insight_error(e: normverk_app::access_log::insight::InsightError) -> ApiError {
    use normverk_app::access_log::insight::InsightError;
    match e {
        InsightError::Invalid(p) => ApiError::problems(p),
        InsightError::NotSigned => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        InsightError::Store(s) => s.into(),
        InsightError::Log(l) => log_error(l),
    }
}

/// The documented operations of this feature, each with its description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(insight))
        .routes(routes!(inclusion))
        .routes(routes!(consistency))
        .routes(routes!(search))
        .routes(routes!(event))
}

/// The public log paths (C2SP), served beside the API and described by C2SP rather than OpenAPI.
pub fn log_routes(r: crate::route::Routes) -> crate::route::Routes {
    r.get("/log/checkpoint", checkpoint).get("/log/tile/{*path}", tile)
}
