//! normverk's application services: one module per feature, named as in `core` and `store`.
//!
//! A service holds what is neither a rule nor a query: it reads through `normverk-store`, asks
//! `normverk-core` to decide, and writes; it keeps its own caches and reads the time from the
//! [`Clock`] it was given. The background jobs (the access log's integrator and indexer, the
//! scanner's statistics writer, the breach reminders) live here too. `web` and `cli` call this
//! crate; it knows nothing of HTTP.

pub mod access_log;
pub mod access_review;
pub mod account;
pub mod assessment;
pub mod asset;
pub mod authz;
pub mod cache;
pub mod clock;
pub mod deviation;
pub mod dlp;
pub mod dpia;
pub mod grant;
pub mod log_watch;
pub mod processing;
pub mod reminder;
pub mod risk;
pub mod system;

pub use clock::Clock;

use normverk_store::Store;
use std::sync::Arc;

/// How often expired access events are looked for and retired.
const RETIRE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);
/// How often leavers' authorisations are looked for and revoked.
const LEAVERS_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Every service, sharing one store and one clock. Cloning is cheap.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub clock: Clock,
    pub access_log: Arc<access_log::AccessLog>,
    pub deviation: Arc<deviation::Deviations>,
    pub system: Arc<system::Systems>,
    pub dlp: Arc<dlp::Scanners>,
    pub processing: Arc<processing::Protokoll>,
    pub asset: Arc<asset::Assets>,
    pub risk: Arc<risk::Risks>,
    pub dpia: Arc<dpia::Dpias>,
    pub authz: Arc<authz::Register>,
    pub reviews: Arc<access_review::Reviews>,
}

impl App {
    /// The services over `store`, going by `clock`, with the access log signing with `log_signer`.
    pub fn new(store: Store, clock: Clock, log_signer: tlog::note::Signer) -> App {
        let access_log = Arc::new(access_log::AccessLog::new(store.clone(), clock.clone(), log_signer));
        let risk = Arc::new(risk::Risks::new(store.clone(), clock.clone()));
        let register_log = grant::RegisterLog::new(store.clone(), clock.clone(), access_log.clone());
        let reviews = Arc::new(access_review::Reviews::new(store.clone(), clock.clone(), register_log.clone()));
        let authz = Arc::new(authz::Register::new(store.clone(), clock.clone(), register_log, reviews.clone()));
        App {
            deviation: Arc::new(deviation::Deviations::new(store.clone(), clock.clone(), access_log.clone())),
            access_log,
            system: Arc::new(system::Systems::new(store.clone())),
            dlp: Arc::new(dlp::Scanners::new(store.clone(), clock.clone())),
            processing: Arc::new(processing::Protokoll::new(store.clone(), clock.clone())),
            asset: Arc::new(asset::Assets::new(store.clone(), clock.clone())),
            risk: risk.clone(),
            dpia: Arc::new(dpia::Dpias::new(store.clone(), risk)),
            authz,
            reviews,
            store,
            clock,
        }
    }

    /// Runs the background jobs until `stop` turns true: the access log's integrator, search
    /// indexer and retirer of expired events, the scanner's statistics writer (which writes once
    /// more on the way out), the revocation of leavers' authorisations, with a mailer the breach reminders, and with `verify_every` the
    /// access log's scheduled check.
    /// Returns when all have finished.
    pub async fn run_jobs(
        &self,
        mailer: Option<reminder::Mailer>,
        verify_every: Option<std::time::Duration>,
        stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let integrator = tokio::spawn(self.access_log.clone().run_integrator(stop.clone()));
        let verifier = verify_every.map(|every| {
            tokio::spawn(log_watch::run_verifier(self.access_log.clone(), self.deviation.clone(), every, stop.clone()))
        });
        let indexer = tokio::spawn(access_log::run_indexer(self.store.clone(), stop.clone()));
        let retirer = tokio::spawn(access_log::run_retirer(self.access_log.clone(), RETIRE_EVERY, stop.clone()));
        let stats = tokio::spawn(dlp::run_stats_writer(self.dlp.clone(), stop.clone()));
        let leavers = tokio::spawn(authz::run_leaver_revoker(self.authz.clone(), LEAVERS_EVERY, stop.clone()));
        let reminders = mailer
            .map(|m| tokio::spawn(reminder::run_reminders(self.store.clone(), self.clock.clone(), m, stop.clone())));
        let _ = integrator.await;
        let _ = indexer.await;
        let _ = retirer.await;
        let _ = stats.await;
        let _ = leavers.await;
        for job in reminders.into_iter().chain(verifier) {
            let _ = job.await;
        }
    }
}
