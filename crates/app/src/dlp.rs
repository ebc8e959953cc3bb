//! The message scanner in the server: one compiled scanner per organisation (its own words and
//! allowed phrases), and statistics kept as counts in memory and written every few seconds.
//! Message content is never logged or stored, here or anywhere.

use crate::cache::Cache;
use crate::clock::Clock;
use dlp::{Config, Input, Report, Scanner};
use normverk_store::dlp::{FindingCount, MessageCount};
use normverk_store::OrgId;
use normverk_store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
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

/// The scanner service: compiled scanners per organisation and the counts not yet written.
pub struct Scanners {
    store: Store,
    clock: Clock,
    scanners: Cache<OrgId, Arc<Scanner>>,
    counts: Mutex<Counts>,
}

/// Messages larger than this are scanned off the async threads.
const BLOCKING_FROM: usize = 64 * 1024;

/// A message to scan, owned so it can move to a blocking thread.
pub enum Message {
    Sms {
        text: String,
        sender: Option<String>,
    },
    Email {
        subject: String,
        body: String,
        html: bool,
        sender: Option<String>,
    },
    /// A raw RFC 5322 message.
    Raw(Vec<u8>),
}

impl Message {
    pub fn channel(&self) -> &'static str {
        match self {
            Message::Sms { .. } => "sms",
            _ => "email",
        }
    }

    fn size(&self) -> usize {
        match self {
            Message::Sms { text, sender } => text.len() + sender.as_ref().map_or(0, String::len),
            Message::Email { subject, body, sender, .. } => {
                subject.len() + body.len() + sender.as_ref().map_or(0, String::len)
            }
            Message::Raw(b) => b.len(),
        }
    }

    fn scan_with(&self, scanner: &Scanner) -> Result<Report, dlp::Error> {
        let input = match self {
            Message::Sms { text, sender } => Input::Sms { text, sender: sender.as_deref() },
            Message::Email { subject, body, html, sender } => {
                Input::Email { subject, body, html: *html, sender: sender.as_deref() }
            }
            Message::Raw(bytes) => Input::RawEmail(bytes),
        };
        scanner.scan(&input)
    }
}

/// Why a message could not be scanned.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    Failed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Days since 1970-01-01 (UTC) of a Unix time.
pub fn day_of(unix: i64) -> i64 {
    unix.div_euclid(86_400)
}

impl Scanners {
    pub fn new(store: Store, clock: Clock) -> Self {
        Scanners { store, clock, scanners: Cache::new(Some(SCANNER_TTL)), counts: Mutex::default() }
    }

    /// The organisation's scanner, compiled from its current settings.
    pub async fn scanner(&self, org_id: OrgId) -> Result<Arc<Scanner>, StoreError> {
        self.scanners
            .get_or_load(org_id, 0, async {
                let config = match self.store.dlp_settings(org_id).await? {
                    // Stored settings were checked when saved; a version this binary cannot read
                    // falls back to the built-in lists rather than to no scanning at all.
                    Some(s) => serde_json::from_str::<Config>(&s.config).unwrap_or_default(),
                    None => Config::default(),
                };
                let compiled = tokio::task::spawn_blocking(move || Scanner::new(config).unwrap_or_default());
                Ok(Arc::new(compiled.await.unwrap_or_default()))
            })
            .await
    }

    /// Scans `message` with the organisation's scanner (large messages off the async threads)
    /// and counts the result. The message is forgotten when this returns.
    pub async fn scan(&self, org_id: OrgId, message: Message) -> Result<Report, ScanError> {
        let scanner = self.scanner(org_id).await?;
        let channel = message.channel();
        let report = if message.size() >= BLOCKING_FROM {
            tokio::task::spawn_blocking(move || message.scan_with(&scanner))
                .await
                .map_err(|e| ScanError::Failed(e.to_string()))?
        } else {
            message.scan_with(&scanner)
        };
        let report = report.map_err(|e| match e {
            dlp::Error::TooLarge { .. } => ScanError::TooLarge(e.to_string()),
            dlp::Error::Config { .. } => ScanError::Failed(e.to_string()),
        })?;
        self.count(org_id, channel, &report);
        Ok(report)
    }

    /// Forgets the organisation's compiled scanner: its settings changed.
    pub fn forget(&self, org_id: OrgId) {
        self.scanners.forget(&org_id);
    }

    /// Counts one scanned message: its verdict and the kinds found. Nothing else is kept.
    pub fn count(&self, org_id: OrgId, channel: &str, report: &Report) {
        let day = day_of(self.clock.now());
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
    pub fn pending(&self, org_id: OrgId, since_day: i64) -> (HashMap<String, i64>, HashMap<String, i64>) {
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
    pub async fn flush(&self) -> Result<(), StoreError> {
        let taken = match self.counts.lock() {
            Ok(mut c) => std::mem::take(&mut *c),
            Err(_) => return Ok(()),
        };
        let messages: Vec<_> = taken.messages.iter().map(|(k, v)| (k.clone(), *v)).collect();
        let findings: Vec<_> = taken.findings.iter().map(|(k, v)| (k.clone(), *v)).collect();
        if let Err(e) = self.store.add_dlp_stats(&messages, &findings).await {
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
pub async fn run_stats_writer(scanners: Arc<Scanners>, mut stop: watch::Receiver<bool>) {
    loop {
        let stopping = tokio::select! {
            () = tokio::time::sleep(FLUSH_INTERVAL) => false,
            _ = stop.changed() => true,
        };
        if let Err(e) = scanners.flush().await {
            tracing::error!(error = %e, "writing message scanner statistics failed; will retry");
        }
        if stopping {
            return;
        }
    }
}
