//! The web face of normverk: server-rendered HTML views and the JSON API under `/api/v1/`.
//!
//! A request is parsed and authorised here and carried out by `normverk-app`'s services (plain
//! reads go to `normverk-store`); this crate never writes SQL and decides no rule. Every page is escaped by askama, every
//! state-changing form carries a CSRF token, and nothing here logs a secret.

mod api;
mod auth;
mod chart;
mod error;
mod i18n;
mod middleware;
mod params;
mod route;
mod routes;
mod scim;
mod server;
mod spreadsheet;
mod views;

pub use api::openapi_json;

/// The rows of an XLSX or CSV file as the import reads them (for tests and tools).
pub fn read_table_for_tests(file_name: &str, bytes: &[u8]) -> Vec<Vec<String>> {
    spreadsheet::table_from_upload(file_name, bytes).unwrap_or_default()
}

pub use route::RouteInfo;
pub use routes::route_table;
pub use server::Limits;

use normverk_app::reminder::{MailConfig, Mailer};
use normverk_app::App;
use normverk_core::account::SessionPolicy;
use normverk_store::Store;
use std::sync::Arc;

/// Settings the web layer needs.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (set when normverk is served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
    pub session: SessionPolicy,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Outgoing mail; none when SMTP is not configured.
    pub mail: Option<MailConfig>,
    /// How long clients may take and how many may be connected.
    pub limits: Limits,
    /// How often the server checks the whole access log (`None`: never by itself).
    pub verify_every: Option<std::time::Duration>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session: SessionPolicy::default(),
            body_limit: 1024 * 1024,
            mail: None,
            limits: Limits::default(),
            verify_every: Some(std::time::Duration::from_secs(24 * 3600)),
        }
    }
}

/// What every handler can reach: the application's services and what only the web needs.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    /// The services' store, for plain reads and writes that need no service of their own.
    pub store: Store,
    pub config: Arc<WebConfig>,
    throttle: Arc<auth::Throttle>,
    token_touches: Arc<auth::TouchCache>,
}

impl AppState {
    pub fn new(app: App, config: WebConfig) -> Self {
        Self {
            store: app.store.clone(),
            app,
            config: Arc::new(config),
            throttle: Arc::default(),
            token_touches: Arc::default(),
        }
    }
}

/// The whole application as one axum router.
pub fn app(state: AppState) -> axum::Router {
    routes::router(state)
}

/// Serves `app` on `listener` and runs the application's background jobs (with SMTP
/// configured, the breach reminders too) until `shutdown` completes, then finishes requests in
/// flight and the jobs.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mailer = match state.config.mail.as_ref().map(Mailer::new) {
        Some(Ok(mailer)) => Some(mailer),
        Some(Err(e)) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, e)),
        None => None,
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let services = state.app.clone();
    let verify_every = state.config.verify_every;
    let jobs = tokio::spawn(async move { services.run_jobs(mailer, verify_every, stopped).await });
    let limits = state.config.limits;
    let served = server::run(listener, app(state), limits, shutdown).await;
    // Events acknowledged are durable already; the next start signs what is left.
    let _ = stop.send(true);
    let _ = jobs.await;
    served
}
