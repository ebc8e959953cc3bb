//! The web face of normverk: server-rendered HTML views and the JSON API under `/api/v1/`.
//!
//! A request is parsed and authorised here, decided in `normverk-core` and persisted through
//! `normverk-store`; this crate never writes SQL. Every page is escaped by askama, every
//! state-changing form carries a CSRF token, and nothing here logs a secret.

pub mod access_log;
mod api;
mod auth;
mod deviations;
mod error;
mod i18n;
pub mod mail;
mod middleware;
mod password;
mod routes;
pub mod scanner;
mod systems;
mod views;

pub use api::openapi_json;
pub use views::tokens::issue as issue_token;

/// The rows of an XLSX or CSV file as the import reads them (for tests and tools).
pub fn read_table_for_tests(file_name: &str, bytes: &[u8]) -> Vec<Vec<String>> {
    views::assessment_files::table_from_upload(file_name, bytes).unwrap_or_default()
}

/// Standard base64, as the log's proofs and checkpoints use it.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Hashes a password with Argon2id, as the web layer does (for the CLI's `user add`).
pub async fn hash_password(password: String) -> Result<String, String> {
    password::hash(password).await.map_err(|e| e.0)
}
pub use routes::{route_table, RouteInfo};

use normverk_core::account::SessionPolicy;
use normverk_store::Store;
use std::net::SocketAddr;
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
    pub mail: Option<mail::MailConfig>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self { secure_cookies: false, session: SessionPolicy::default(), body_limit: 1024 * 1024, mail: None }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<WebConfig>,
    pub log: Arc<access_log::AccessLog>,
    pub scanner: Arc<scanner::Scanners>,
    repeats: Arc<deviations::RepeatsCache>,
    registers: Arc<systems::RegisterCache>,
    stats: Arc<deviations::StatsCache>,
    throttle: Arc<auth::Throttle>,
    token_touches: Arc<auth::TouchCache>,
}

impl AppState {
    /// The state for a server whose access log signs with `log_signer`.
    pub fn new(store: Store, config: WebConfig, log_signer: tlog::note::Signer) -> Self {
        Self {
            store,
            config: Arc::new(config),
            log: access_log::AccessLog::new(log_signer),
            scanner: Arc::default(),
            repeats: Arc::default(),
            registers: Arc::default(),
            stats: Arc::default(),
            throttle: Arc::default(),
            token_touches: Arc::default(),
        }
    }
}

/// The whole application as one axum router.
pub fn app(state: AppState) -> axum::Router {
    routes::router(state)
}

/// Serves `app` and runs the access log's integrator and search indexer, the scanner's
/// statistics writer and, with SMTP configured, the breach reminders on `listener` until
/// `shutdown` completes, then
/// finishes requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let integrator = tokio::spawn(access_log::run_integrator(state.store.clone(), state.log.clone(), stopped.clone()));
    let indexer = tokio::spawn(access_log::run_indexer(state.store.clone(), stopped.clone()));
    let stats = tokio::spawn(scanner::run_stats_writer(state.store.clone(), state.scanner.clone(), stopped.clone()));
    let reminders = match state.config.mail.as_ref().map(mail::Mailer::new) {
        Some(Ok(mailer)) => Some(tokio::spawn(mail::run_reminders(state.store.clone(), mailer, stopped))),
        Some(Err(e)) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, e)),
        None => None,
    };
    let app = app(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    // Events acknowledged are durable already; the next start signs what is left.
    let _ = stop.send(true);
    let _ = integrator.await;
    let _ = indexer.await;
    let _ = stats.await;
    if let Some(reminders) = reminders {
        let _ = reminders.await;
    }
    served
}

/// Creates a one-time setup link token valid for an hour, when no account exists yet.
/// Returns the token to put in the link (only its hash is stored).
pub async fn setup_token_if_needed(store: &Store) -> Result<Option<String>, normverk_store::StoreError> {
    if store.count_users().await? > 0 {
        return Ok(None);
    }
    let token = normverk_store::account::new_secret("");
    let now = normverk_store::unix_now();
    store.create_setup_token(&normverk_store::account::secret_hash(&token), now, now + 3600).await?;
    Ok(Some(token))
}
