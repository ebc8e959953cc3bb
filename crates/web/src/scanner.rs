//! The message scanner in the server: one compiled scanner per organisation (its own words and
//! allowed phrases), and statistics kept as counts in memory and written every few seconds.
//! Message content is never logged or stored, here or anywhere.

use dlp::{Config, Report, Scanner};
use normverk_store::dlp::{FindingCount, MessageCount};
use normverk_store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How long a compiled scanner is trusted before its settings are read again (another instance
/// may have changed them).
const SCANNER_TTL: Duration = Duration::from_secs(30);
/// How often counts are written to the database. A crash loses at most this much statistics;
/// statistics are not anyone's acknowledged write.
const FLUSH_INTERVAL: Duration = Duration::from_secs(5);

#[derive(Default)]
struct Counts {
    messages: HashMap<MessageCount, i64>,
    findings: HashMap<FindingCount, i64>,
}

#[derive(Default)]
pub struct Scanners {
    scanners: Mutex<HashMap<i64, (Instant, Arc<Scanner>)>>,
    counts: Mutex<Counts>,
}

/// Days since 1970-01-01 (UTC) of a Unix time.
pub fn day_of(unix: i64) -> i64 {
    unix.div_euclid(86_400)
}

impl Scanners {
    /// The organisation's scanner, compiled from its current settings.
    pub async fn scanner(&self, store: &Store, org_id: i64) -> Result<Arc<Scanner>, StoreError> {
        if let Ok(cache) = self.scanners.lock() {
            if let Some((at, s)) = cache.get(&org_id) {
                if at.elapsed() < SCANNER_TTL {
                    return Ok(s.clone());
                }
            }
        }
        let config = match store.dlp_settings(org_id).await? {
            // Stored settings were checked when saved; a version this binary cannot read falls
            // back to the built-in lists rather than to no scanning at all.
            Some(s) => serde_json::from_str::<Config>(&s.config).unwrap_or_default(),
            None => Config::default(),
        };
        let scanner = Arc::new(
            tokio::task::spawn_blocking(move || Scanner::new(config).unwrap_or_default()).await.unwrap_or_default(),
        );
        if let Ok(mut cache) = self.scanners.lock() {
            cache.insert(org_id, (Instant::now(), scanner.clone()));
        }
        Ok(scanner)
    }

    /// Forgets the organisation's compiled scanner: its settings changed.
    pub fn forget(&self, org_id: i64) {
        if let Ok(mut cache) = self.scanners.lock() {
            cache.remove(&org_id);
        }
    }

    /// Counts one scanned message: its verdict and the kinds found. Nothing else is kept.
    pub fn count(&self, org_id: i64, channel: &str, report: &Report, now: i64) {
        let day = day_of(now);
        let Ok(mut counts) = self.counts.lock() else { return };
        let key =
            MessageCount { org_id, day, channel: channel.to_string(), verdict: report.verdict.as_str().to_string() };
        *counts.messages.entry(key).or_default() += 1;
        for f in &report.findings {
            let key = FindingCount { org_id, day, kind: f.kind.as_str().to_string() };
            *counts.findings.entry(key).or_default() += 1;
        }
    }

    /// Counts gathered but not yet written, for one organisation from `since_day` on: messages
    /// per verdict and findings per kind.
    pub fn pending(&self, org_id: i64, since_day: i64) -> (HashMap<String, i64>, HashMap<String, i64>) {
        let (mut verdicts, mut kinds) = (HashMap::new(), HashMap::new());
        if let Ok(c) = self.counts.lock() {
            for (k, v) in c.messages.iter().filter(|(k, _)| k.org_id == org_id && k.day >= since_day) {
                *verdicts.entry(k.verdict.clone()).or_default() += v;
            }
            for (k, v) in c.findings.iter().filter(|(k, _)| k.org_id == org_id && k.day >= since_day) {
                *kinds.entry(k.kind.clone()).or_default() += v;
            }
        }
        (verdicts, kinds)
    }

    /// Writes the counts gathered so far; on failure they are kept for the next try.
    pub async fn flush(&self, store: &Store) -> Result<(), StoreError> {
        let taken = match self.counts.lock() {
            Ok(mut c) => std::mem::take(&mut *c),
            Err(_) => return Ok(()),
        };
        let messages: Vec<_> = taken.messages.iter().map(|(k, v)| (k.clone(), *v)).collect();
        let findings: Vec<_> = taken.findings.iter().map(|(k, v)| (k.clone(), *v)).collect();
        if let Err(e) = store.add_dlp_stats(&messages, &findings).await {
            if let Ok(mut c) = self.counts.lock() {
                for (k, v) in taken.messages {
                    *c.messages.entry(k).or_default() += v;
                }
                for (k, v) in taken.findings {
                    *c.findings.entry(k).or_default() += v;
                }
            }
            return Err(e);
        }
        Ok(())
    }
}

/// Writes the statistics every few seconds, and once more when the server stops.
pub async fn run_stats_writer(store: Store, scanners: Arc<Scanners>, mut stop: watch::Receiver<bool>) {
    loop {
        let stopping = tokio::select! {
            () = tokio::time::sleep(FLUSH_INTERVAL) => false,
            _ = stop.changed() => true,
        };
        if let Err(e) = scanners.flush(&store).await {
            tracing::error!(error = %e, "writing message scanner statistics failed; will retry");
        }
        if stopping {
            return;
        }
    }
}
