//! What wraps every request: security headers and an access line in the log; for pages the
//! session, language and CSRF check, and friendly error pages; for the API, problem details.

use crate::api::contract::Access;
use crate::auth::{cookie, cookie_value, load_viewer, require_scope, CSRF_COOKIE, LANG_COOKIE, SESSION_COOKIE};
use crate::error::{problem_response, ApiError, ErrorKind};
use crate::i18n::Lang;
use crate::views::{render_error_page, Page};
use crate::AppState;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use subtle::ConstantTimeEq;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers to every response and logs one line per request. The log names
/// the path only: query strings can hold setup links and must never reach the log.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    // A handler may set a stricter policy (downloads are sandboxed); otherwise the site's own.
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    // Static files and the log's public tiles and checkpoint say how long they may be cached.
    if !path.starts_with("/static/") && !path.starts_with("/log/") {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    tracing::info!(%method, %path, status = resp.status().as_u16(), ms = started.elapsed().as_millis() as u64, "request");
    resp
}

fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

fn has_content_type(resp: &Response, prefix: &str) -> bool {
    resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with(prefix))
}

/// Loads the page context for HTML routes and checks CSRF; turns errors into pages or problems.
pub async fn context(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if is_api(&path) {
        let matched = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string());
        let access = matched.and_then(|m| crate::api::access(req.method(), &m));
        let req = match access {
            None | Some(Access::Public) => req,
            Some(Access::Nobody) => return ApiError::forbidden("no token may call this operation").into_response(),
            Some(Access::Scope(scope)) => {
                let (mut parts, body) = req.into_parts();
                if let Err(e) = require_scope(&state, &mut parts, scope).await {
                    return e.into_response();
                }
                Request::from_parts(parts, body)
            }
        };
        let resp = next.run(req).await;
        if resp.status().as_u16() >= 400 && !has_content_type(&resp, "application/problem+json") {
            let status = resp.status();
            let detail = match status {
                StatusCode::PAYLOAD_TOO_LARGE => "the request body is larger than allowed",
                StatusCode::UNSUPPORTED_MEDIA_TYPE => "send the body as application/json",
                StatusCode::METHOD_NOT_ALLOWED => "this method is not allowed on this resource",
                StatusCode::NOT_FOUND => "no such resource",
                _ => "the request could not be processed",
            };
            return ApiError::new(status, detail).into_response();
        }
        return resp;
    }
    if path.starts_with("/scim/") {
        return crate::scim::as_scim_error(next.run(req).await);
    }
    if path == "/healthz" || path == "/readyz" || path.starts_with("/static/") || path.starts_with("/log/") {
        return next.run(req).await;
    }
    page_context(state, req, next).await
}

async fn page_context(state: AppState, mut req: Request, next: Next) -> Response {
    let now = state.app.clock.now();
    let headers = req.headers().clone();
    let viewer = match cookie_value(&headers, SESSION_COOKIE) {
        Some(secret) => match load_viewer(&state, secret, now).await {
            Ok(v) => v.map(Arc::new),
            Err(e) => {
                tracing::error!(error = %e, "loading the session failed");
                let page = Page::anonymous(Lang::Nb, String::new());
                return render_error_page(&page, StatusCode::INTERNAL_SERVER_ERROR, None);
            }
        },
        None => None,
    };
    let lang = viewer
        .as_ref()
        .and_then(|v| v.user.locale.as_deref())
        .and_then(Lang::from_code)
        .or_else(|| cookie_value(&headers, LANG_COOKIE).and_then(Lang::from_code))
        .unwrap_or_else(|| Lang::negotiate(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())));

    // Signed-in people use their session's token; others a random one in a cookie.
    let (csrf, new_csrf_cookie) = match &viewer {
        Some(v) => (v.session.csrf_token.clone(), false),
        None => match cookie_value(&headers, CSRF_COOKIE).filter(|t| t.len() == 43) {
            Some(t) => (t.to_string(), false),
            None => (normverk_store::account::new_secret(""), true),
        },
    };
    let page = Page { lang, csrf: csrf.clone(), path: req.uri().path().to_string(), viewer: viewer.clone() };

    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if multipart {
        // Uploads carry the token in the form's action URL, so the file need not be read here.
        let sent = req.uri().query().and_then(|q| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(q)
                .ok()?
                .into_iter()
                .find(|(k, _)| k == "csrf")
                .map(|(_, v)| v)
        });
        let valid = !new_csrf_cookie && sent.is_some_and(|s| bool::from(s.as_bytes().ct_eq(csrf.as_bytes())));
        if !valid {
            return render_error_page(&page, StatusCode::FORBIDDEN, Some("error-csrf"));
        }
    } else if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        let (parts, body) = req.into_parts();
        let bytes = match axum::body::to_bytes(body, state.config.body_limit).await {
            Ok(b) => b,
            Err(_) => return render_error_page(&page, StatusCode::PAYLOAD_TOO_LARGE, None),
        };
        let sent = form_field(&parts.headers, &bytes, "csrf");
        let valid = !new_csrf_cookie && sent.is_some_and(|s| bool::from(s.as_bytes().ct_eq(csrf.as_bytes())));
        if !valid {
            return render_error_page(&page, StatusCode::FORBIDDEN, Some("error-csrf"));
        }
        req = Request::from_parts(parts, Body::from(bytes));
    }

    req.extensions_mut().insert(page.clone());
    if let Some(v) = viewer {
        req.extensions_mut().insert(v);
    }
    let mut resp = next.run(req).await;
    if resp.status().as_u16() >= 400 && !has_content_type(&resp, "text/html") {
        let hint = resp.extensions().get::<ErrorKind>().map(|k| match k {
            ErrorKind::NoOrganisation => "error-no-org",
        });
        resp = render_error_page(&page, resp.status(), hint);
    }
    if new_csrf_cookie {
        if let Ok(v) = HeaderValue::from_str(&cookie(&state, CSRF_COOKIE, &csrf, None)) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

/// The value of `name` in an `application/x-www-form-urlencoded` body.
fn form_field(headers: &axum::http::HeaderMap, body: &[u8], name: &str) -> Option<String> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return None;
    }
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// The 404 for paths no route knows: a problem for the API, a page otherwise (drawn by `context`).
pub async fn fallback(req: Request) -> Response {
    if is_api(req.uri().path()) {
        problem_response(StatusCode::NOT_FOUND, &ApiError::new(StatusCode::NOT_FOUND, "no such resource").1)
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}
