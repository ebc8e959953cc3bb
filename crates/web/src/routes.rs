//! Every feature's routes merged in one place: each page family's `routes` and the API's
//! documented operations. The table of methods and paths is also what the organisation-isolation
//! test walks, so a new route is covered by that test the moment a feature adds it.

use crate::route::{RouteInfo, Routes};
use crate::{api, middleware, views, AppState};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Router;

fn routes() -> Routes {
    use views::{
        access_log, account, assessment, assessment_files, asset, authz, authz_review, catalog, dashboard, deviation,
        dlp, login, org, processing, risk, setup, system, tokens,
    };
    let pages = Routes::new()
        .get("/healthz", healthz)
        .get("/readyz", readyz)
        .get("/static/app.css", stylesheet)
        .get("/static/app.js", script)
        .get("/api/openapi.json", api::openapi);
    let pages = [
        setup::routes,
        login::routes,
        dashboard::routes,
        account::routes,
        org::routes,
        tokens::routes,
        catalog::routes,
        assessment::routes,
        assessment_files::routes,
        processing::routes,
        risk::routes,
        authz::routes,
        authz_review::routes,
        asset::routes,
        system::routes,
        deviation::routes,
        dlp::routes,
        access_log::routes,
        api::log_read::log_routes,
        crate::scim::routes,
    ]
    .into_iter()
    .fold(pages, |routes, feature| feature(routes));
    pages.api(api::routes())
}

/// Every route the application serves.
pub fn route_table() -> Vec<RouteInfo> {
    routes().table
}

pub fn router(state: AppState) -> Router {
    let limit = state.config.body_limit;
    routes()
        .router
        .fallback(middleware::fallback)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::context))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

async fn stylesheet() -> impl IntoResponse {
    static CSS: &str = include_str!("../assets/app.css");
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], CSS)
}

async fn script() -> impl IntoResponse {
    static JS: &str = include_str!("../assets/app.js");
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], JS)
}
