//! Every route in one table. The table is also what the organisation-isolation test walks, so a
//! new route is covered by that test the moment it is added here.

use crate::{api, middleware, views, AppState};
use axum::extract::{DefaultBodyLimit, State};
use axum::handler::Handler;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post, put, MethodRouter};
use axum::Router;

/// One route: its method and path pattern (axum syntax, `{param}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: &'static str,
    pub path: &'static str,
}

struct Routes {
    router: Router<AppState>,
    table: Vec<RouteInfo>,
}

impl Routes {
    fn add(mut self, method: &'static str, path: &'static str, route: MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, route);
        self.table.push(RouteInfo { method, path });
        self
    }

    fn get<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.add("GET", path, get(h))
    }

    fn post<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.add("POST", path, post(h))
    }

    fn delete<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.add("DELETE", path, delete(h))
    }
}

fn routes() -> Routes {
    use views::{
        access_log, account, assessment, assessment_files as files, asset, catalog, dashboard, deviation, dlp, login,
        org, processing, setup, system, tokens,
    };
    let upload_limit = DefaultBodyLimit::max(files::MAX_EVIDENCE_BYTES + 64 * 1024);
    Routes { router: Router::new(), table: Vec::new() }
        .get("/healthz", healthz)
        .get("/readyz", readyz)
        .get("/static/app.css", stylesheet)
        .get("/static/app.js", script)
        .get("/setup", setup::show)
        .post("/setup", setup::submit)
        .get("/login", login::show)
        .post("/login", login::submit)
        .post("/logout", login::logout)
        .get("/", dashboard::show)
        .get("/account", account::show)
        .post("/account/password", account::change_password)
        .post("/account/language", account::set_language)
        .post("/org/switch", org::switch)
        .get("/assessment", assessment::index)
        .get("/assessment/rounds", assessment::rounds)
        .post("/assessment/rounds", assessment::start)
        .get("/assessment/rounds/{round_id}", assessment::round)
        .post("/assessment/rounds/{round_id}/freeze", assessment::freeze)
        .get("/assessment/rounds/{round_id}/report", assessment::report)
        .get("/assessment/rounds/{round_id}/requirements/{req_id}", assessment::answer)
        .post("/assessment/rounds/{round_id}/requirements/{req_id}", assessment::save)
        .add(
            "POST",
            "/assessment/rounds/{round_id}/requirements/{req_id}/evidence",
            post(files::upload_evidence).layer(upload_limit),
        )
        .add("POST", "/assessment/rounds/{round_id}/import", post(files::import).layer(upload_limit))
        .get("/assessment/rounds/{round_id}/export.csv", files::export_csv)
        .get("/assessment/rounds/{round_id}/export.xlsx", files::export_xlsx)
        .get("/assessment/rounds/{round_id}/export.json", files::export_json)
        .get("/assessment/evidence/{evidence_id}", files::download_evidence)
        .get("/catalog", catalog::index)
        .get("/catalog/glossary", catalog::glossary)
        .get("/catalog/export/ciso-assistant.yaml", catalog::ciso_assistant)
        .get("/catalog/requirements/{req_id}", catalog::requirement)
        .get("/org/units", org::units)
        .post("/org/units", org::create_unit)
        .get("/org/units/{unit_id}", org::unit)
        .post("/org/units/{unit_id}/delete", org::delete_unit)
        .get("/org/members", org::members)
        .post("/org/members", org::add_member)
        .get("/org/members/{user_id}", org::member)
        .post("/org/members/{user_id}/roles", org::set_roles)
        .post("/org/members/{user_id}/units", org::set_units)
        .post("/org/members/{user_id}/password", org::reset_password)
        .get("/org/tokens", tokens::list)
        .post("/org/tokens", tokens::create)
        .post("/org/tokens/{token_id}/revoke", tokens::revoke)
        .get("/api/openapi.json", api::openapi)
        .add(
            "POST",
            "/api/v1/access-events",
            post(api::access_log::append).layer(DefaultBodyLimit::max(normverk_app::access_log::MAX_BYTES)),
        )
        .get("/api/v1/processings", api::processing::list)
        .post("/api/v1/processings", api::processing::create)
        .get("/api/v1/processings/{id}", api::processing::get)
        .add("PUT", "/api/v1/processings/{id}", put(api::processing::replace))
        .get("/api/v1/processings/{id}/versions", api::processing::versions)
        .get("/api/v1/assets", api::asset::list)
        .post("/api/v1/assets", api::asset::create)
        .add("POST", "/api/v1/assets/import", post(api::asset::import).layer(upload_limit))
        .get("/api/v1/assets/{id}", api::asset::get)
        .add("PUT", "/api/v1/assets/{id}", put(api::asset::replace))
        .delete("/api/v1/assets/{id}", api::asset::delete)
        .get("/api/v1/systems", api::system::list)
        .post("/api/v1/systems", api::system::create)
        .get("/api/v1/systems/{id}", api::system::get)
        .post("/api/v1/systems/{id}/dependencies", api::system::add_dependency)
        .post("/api/v1/deviations", api::deviation::report)
        .get("/api/v1/deviations/{id}", api::deviation::get)
        .post("/api/v1/deviations/{id}/transitions", api::deviation::transition)
        .add("POST", "/api/v1/dlp/scan", post(api::dlp::scan).layer(DefaultBodyLimit::max(api::dlp::MAX_BODY_BYTES)))
        .get("/api/v1/access-log/proof/inclusion", api::log_read::inclusion)
        .get("/api/v1/access-log/proof/consistency", api::log_read::consistency)
        .get("/api/v1/access-log/events", api::log_read::search)
        .get("/api/v1/access-log/events/{index}", api::log_read::event)
        .get("/log/checkpoint", api::log_read::checkpoint)
        .get("/log/tile/{*path}", api::log_read::tile)
        .get("/access-log", access_log::show)
        .get("/processings", processing::list)
        .post("/processings", processing::create)
        .get("/processings/new", processing::new)
        .get("/processings/export.xlsx", processing::export_xlsx)
        .get("/processings/export.csv", processing::export_csv)
        .add("POST", "/processings/import", post(processing::import).layer(upload_limit))
        .get("/processings/{id}", processing::show)
        .post("/processings/{id}", processing::update)
        .get("/processings/{id}/edit", processing::edit)
        .get("/assets", asset::list)
        .post("/assets", asset::create)
        .get("/assets/export.xlsx", asset::export_xlsx)
        .get("/assets/export.csv", asset::export_csv)
        .add("POST", "/assets/import", post(asset::import).layer(upload_limit))
        .get("/assets/{id}", asset::show)
        .post("/assets/{id}", asset::update)
        .post("/assets/{id}/delete", asset::delete)
        .get("/systems", system::list)
        .post("/systems", system::create)
        .get("/systems/export.xlsx", system::export_xlsx)
        .get("/systems/export.csv", system::export_csv)
        .add("POST", "/systems/import", post(system::import).layer(upload_limit))
        .get("/systems/{id}", system::show)
        .post("/systems/{id}", system::update)
        .post("/systems/{id}/dependencies", system::add_dependency)
        .post("/systems/{id}/dependencies/{depends_on}/remove", system::remove_dependency)
        .post("/systems/downtime", system::set_downtime)
        .post("/systems/{id}/procedures", system::add_procedure)
        .post("/systems/{id}/procedures/{procedure_id}/tests", system::add_procedure_test)
        .get("/deviations", deviation::list)
        .post("/deviations", deviation::create)
        .get("/deviations/new", deviation::new)
        .get("/deviations/stats", deviation::stats)
        .post("/deviations/settings", deviation::set_threshold)
        .post("/deviations/processors", deviation::set_processor)
        .get("/deviations/export.csv", deviation::export_csv)
        .get("/deviations/export.xlsx", deviation::export_xlsx)
        .get("/deviations/{id}", deviation::show)
        .post("/deviations/{id}/steps", deviation::step)
        .post("/deviations/{id}/notices", deviation::notice)
        .post("/deviations/{id}/subjects", deviation::subjects)
        .post("/deviations/{id}/reactions", deviation::reaction)
        .post("/deviations/{id}/measures/{measure_id}", deviation::measure)
        .get("/deviations/{id}/notice.html", deviation::notice_html)
        .get("/deviations/{id}/notice.json", deviation::notice_json)
        .get("/deviations/{id}/report.json", deviation::report_json)
        .post("/deviations/{id}/forward", deviation::forward)
        .get("/dlp", dlp::show)
        .post("/dlp", dlp::scan)
        .get("/dlp/settings", dlp::settings)
        .post("/dlp/settings", dlp::save_settings)
        .get("/api/v1/assessment/rounds", api::assessment::list_rounds)
        .get("/api/v1/assessment/rounds/{round_id}", api::assessment::get_round)
        .get("/api/v1/assessment/rounds/{round_id}/answers", api::assessment::list_answers)
        .add("PUT", "/api/v1/assessment/rounds/{round_id}/answers/{req_id}", put(api::assessment::put_answer))
        .get("/api/v1/catalog", api::catalog::get_catalog)
        .get("/api/v1/catalog/requirements", api::catalog::search_requirements)
        .get("/api/v1/catalog/requirements/{req_id}", api::catalog::get_requirement)
        .get("/api/v1/org", api::org::get_org)
        .get("/api/v1/units", api::org::list_units)
        .post("/api/v1/units", api::org::create_unit)
        .get("/api/v1/units/{unit_id}", api::org::get_unit)
        .delete("/api/v1/units/{unit_id}", api::org::delete_unit)
        .get("/api/v1/members", api::org::list_members)
        .get("/api/v1/members/{user_id}", api::org::get_member)
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
