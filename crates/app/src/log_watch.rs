//! The access log's scheduled check, which spans two features: it checks the whole log (see
//! [`AccessLog::check`]) on a schedule and when asked, and when it finds the log tampered with
//! files a deviation in every organisation with events in the log.

use crate::access_log::AccessLog;
use crate::deviation::{DeviationError, Deviations};
use normverk_store::access_log::Verification;
use normverk_store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Checks the whole log every `every` (counted from the last check, whoever made it) and when
/// asked, until `stop`. When a check finds the log tampered with and the one before did not,
/// every organisation with events in the log gets a deviation to handle.
pub async fn run_verifier(
    log: Arc<AccessLog>,
    deviations: Arc<Deviations>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let every_s = i64::try_from(every.as_secs()).unwrap_or(i64::MAX);
    loop {
        let last = log.store().last_access_verification().await.ok().flatten();
        let due = last.as_ref().map_or(0, |l| l.finished_at.saturating_add(every_s) - log.now());
        let cause = tokio::select! {
            _ = stop.changed() => return,
            _ = log.check_requested() => "request",
            _ = tokio::time::sleep(Duration::from_secs(u64::try_from(due.clamp(0, 60)).unwrap_or(60))) => {
                if due > 60 { continue; }
                "schedule"
            }
        };
        match log.check(cause).await {
            Ok(v) if v.outcome == "tampered" && last.is_none_or(|l| l.outcome != "tampered") => {
                if let Err(e) = raise_tampering(log.store(), &deviations, &v).await {
                    tracing::error!(error = ?e, "could not file the deviation for a tampered access log");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "could not record the access log's check"),
        }
    }
}

/// Files a deviation in every organisation with events in the log: the log does not verify.
async fn raise_tampering(store: &Store, deviations: &Deviations, v: &Verification) -> Result<(), DeviationError> {
    let at = v.bad_index.map(|i| format!(" (hendelse {})", i + 1)).unwrap_or_default();
    let report = normverk_core::deviation::NewDeviation {
        title: "Tilgangsloggen stemmer ikke med det som ble signert".into(),
        description: format!(
            "Den automatiske kontrollen av tilgangsloggen fant at det lagrede ikke er det som ble signert{at}. \
             Noen kan ha endret eller slettet logghendelser utenom normverk. Kjør «normverk log verify» på serveren \
             for å se hva som er endret, og finn ut av hvem."
        ),
        occurred_at: v.finished_at,
        aware_at: v.finished_at,
        unit_id: None,
        system: Some("normverk: tilgangsloggen".into()),
        category: normverk_core::deviation::Category::Other,
        patients_concerned: true,
        immediate_actions: String::new(),
        patient_id: None,
    };
    for org in store.access_log_orgs().await? {
        deviations.create(org, None, &report).await?;
    }
    tracing::warn!(bad_index = ?v.bad_index, "the access log does not verify; deviations filed");
    Ok(())
}
