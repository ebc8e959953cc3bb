//! The access log as a running service: ingest (native events and FHIR AuditEvents, checked,
//! salted, hashed and stored durably), the integrator that turns sequenced events into tiles and
//! signs checkpoints, the search indexer, proofs served from the stored tiles, and verification
//! of the whole log from its payloads (for `normverk log verify` and the auditors' page).

pub mod fhir;
pub mod insight;
mod verify;

pub use verify::{verification, verify, verify_saved_checkpoint, Verified};

use crate::clock::Clock;
use normverk_core::access_log::{accept, jcs, AccessAction, AccessEvent, Basis, Retirement, RetirementEntry};
use normverk_core::problem::Problem;
use normverk_store::access_log::{Appended, Idempotency, NewAccessEvent, StoredCheckpoint, Verification};
use normverk_store::OrgId;
use normverk_store::{Store, StoreError};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tlog::checkpoint::Checkpoint;
use tlog::merkle::{consistency_ranges, inclusion_ranges, verify_consistency, ProofError};
use tlog::note::{Signer, Verifier};
use tlog::tile::{FullTile, Tiles};
use tlog::Hash;
use tokio::sync::{watch, Notify};

/// Leaves read and integrated per step: bounds memory whatever the backlog.
const INTEGRATE_CHUNK: u64 = 64 * 1024;
/// At most this many leaves go into one checkpoint, so a backlog is signed in steps.
const MAX_PER_CHECKPOINT: u64 = 1024 * 1024;
/// The shortest time between two checkpoints: events arriving meanwhile share the next one.
const MIN_INTERVAL: Duration = Duration::from_millis(200);

/// How long proofs may be made against a head read earlier, rather than reading it again.
const HEAD_FRESH: Duration = Duration::from_secs(1);

/// Who in normverk reads or changes what the access log records: a person signed in (in their
/// roles, in the pages' bokmål words, so every entry reads alike), an API token, or normverk
/// itself.
#[derive(Debug, Clone)]
pub enum Accessor {
    Person { user_id: i64, name: String, role: String },
    Token { token_id: i64 },
    Normverk,
}

impl Accessor {
    /// The person's user id, if a person.
    pub fn user_id(&self) -> Option<i64> {
        match self {
            Accessor::Person { user_id, .. } => Some(*user_id),
            _ => None,
        }
    }
}

/// An access to information in normverk itself, as its own access log records it (Normen 5.4.4
/// asks it of every system that shows health data, normverk too).
pub struct OwnAccess<'a> {
    pub by: &'a Accessor,
    pub action: AccessAction,
    pub basis: Basis,
    pub basis_reason: String,
    pub information_type: &'a str,
    pub patient_id: String,
    pub org_number: String,
    pub unit: String,
}

impl OwnAccess<'_> {
    /// The access log's entry, checked as any sender's is, at `now`.
    pub fn event(self, now: i64) -> Result<AccessEvent, Vec<Problem>> {
        let (user_id, user_name, user_role) = match self.by {
            Accessor::Person { user_id, name, role } => {
                (format!("local:normverk:{user_id}"), Some(name.clone()), role.clone())
            }
            Accessor::Token { token_id } => (format!("local:normverk-api:{token_id}"), None, "API-nøkkel".into()),
            Accessor::Normverk => ("local:normverk:system".into(), Some("normverk".into()), "System".into()),
        };
        let mut event = AccessEvent {
            action: self.action,
            basis: self.basis,
            basis_reason: Some(self.basis_reason),
            cross_org: None,
            disclosed_to: None,
            duration_s: 0,
            id_warnings: Vec::new(),
            sealed: Default::default(),
            information_type: self.information_type.to_string(),
            occurred_at: crate::clock::rfc3339(now),
            org_number: self.org_number,
            patient_id: self.patient_id,
            unit: self.unit,
            user_id,
            user_name,
            user_national_id: None,
            user_role,
        };
        let problems = accept(&mut event, now);
        if problems.is_empty() {
            Ok(event)
        } else {
            Err(problems)
        }
    }
}

/// The log's store, key and clock, the integrator's signals and the latest head seen. One per
/// running server.
pub struct AccessLog {
    store: Store,
    clock: Clock,
    signer: Signer,
    wake: Notify,
    /// Someone asked for the whole log to be checked.
    check_requested: Notify,
    /// Held while events are retired and while the log is checked, so that a check never sees
    /// a retirement half done (its payloads gone, its search rows not yet).
    retiring: tokio::sync::Mutex<()>,
    /// The latest checkpoint signed or read here, and when. Proofs are made against it for up
    /// to [`HEAD_FRESH`], saving a read per proof; a newer one signed by another instance is
    /// seen within that time, or at once when a client asks for a size beyond it.
    head: std::sync::Mutex<Option<(Instant, Arc<StoredCheckpoint>)>>,
}

impl AccessLog {
    pub fn new(store: Store, clock: Clock, signer: Signer) -> AccessLog {
        AccessLog {
            store,
            clock,
            signer,
            wake: Notify::new(),
            check_requested: Notify::new(),
            retiring: tokio::sync::Mutex::new(()),
            head: std::sync::Mutex::new(None),
        }
    }

    /// The latest checkpoint, at least `size` leaves large if there is one: as seen in the last
    /// [`HEAD_FRESH`], or read from the store.
    pub async fn head(&self, size: u64) -> Result<Option<Arc<StoredCheckpoint>>, StoreError> {
        let store = &self.store;
        let seen = self.head.lock().ok().and_then(|h| h.clone());
        if let Some((_, head)) = seen.filter(|(at, h)| at.elapsed() < HEAD_FRESH && h.size >= size) {
            return Ok(Some(head));
        }
        let head = store.access_log_head().await?.map(Arc::new);
        if let Some(h) = &head {
            self.remember(h.clone());
        }
        Ok(head)
    }

    fn remember(&self, head: Arc<StoredCheckpoint>) {
        if let Ok(mut seen) = self.head.lock() {
            if seen.as_ref().is_none_or(|(_, h)| h.size <= head.size) {
                *seen = Some((Instant::now(), head));
            }
        }
    }

    pub fn origin(&self) -> &str {
        &self.signer.name
    }

    pub fn verifier(&self) -> Verifier {
        self.signer.verifier()
    }

    /// Stores checked events durably, each with a random salt and its leaf hash, as one request
    /// from `sender`, each in the view of the organisation it is paired with; then wakes the
    /// integrator.
    pub async fn append(
        &self,
        sender: OrgId,
        events: Vec<(OrgId, AccessEvent)>,
        idempotency: Option<&Idempotency>,
    ) -> Result<Appended, StoreError> {
        let rows = tokio::task::spawn_blocking(move || {
            // Every salt and key from one read of the system's generator, not a read per event.
            let mut random = vec![[0u8; RANDOM]; events.len()];
            rand::rngs::OsRng.fill_bytes(random.as_flattened_mut());
            events.iter().zip(random).map(|((org, e), r)| new_event(*org, e, r)).collect::<Vec<NewAccessEvent>>()
        })
        .await
        .map_err(|e| StoreError::Io(std::io::Error::other(format!("hashing events failed: {e}"))))?;
        let stored = self.store.append_access_events(sender, &rows, idempotency, self.clock.now()).await?;
        self.appended();
        Ok(stored)
    }

    /// One event as the store appends it, in `org_id`'s view, for a store call that writes it
    /// in the transaction of the change it records; then call [`AccessLog::appended`].
    pub fn leaf(org_id: OrgId, e: &AccessEvent) -> NewAccessEvent {
        let mut random = [0u8; RANDOM];
        rand::rngs::OsRng.fill_bytes(&mut random);
        new_event(org_id, e, random)
    }

    /// Wakes the integrator after events were appended.
    pub fn appended(&self) {
        self.wake.notify_one();
    }

    /// Who `org_id` is as a sender: its own number and those of the organisations that have
    /// authorised it to log for them.
    pub async fn sender(&self, org_id: OrgId) -> Result<Sender, StoreError> {
        let own = self.store.org(org_id).await?.org_number;
        let mut views: HashMap<String, OrgId> = self.store.log_delegators(org_id).await?.into_iter().collect();
        views.insert(own.clone(), org_id);
        Ok(Sender { org_id, own, views })
    }

    /// The events of a request body, parsed by its content type and checked at the clock's time,
    /// each with the organisation whose view it goes into (its `org_number`: the sender's own, or
    /// one that has authorised the sender to log for it), or every problem found, by index and
    /// field.
    pub fn parse(
        &self,
        format: Format,
        body: &[u8],
        sender: &Sender,
    ) -> Result<Vec<(OrgId, AccessEvent)>, Vec<EventError>> {
        let events = match format {
            Format::Fhir => fhir::parse(body, self.clock.now()),
            Format::Json => parse_events(false, body, self.clock.now()),
            Format::Ndjson => parse_events(true, body, self.clock.now()),
        }?;
        let mut foreign = Vec::new();
        let mut routed = Vec::with_capacity(events.len());
        for (i, e) in events.into_iter().enumerate() {
            match sender.views.get(&e.org_number) {
                Some(org) => routed.push((*org, e)),
                None => foreign.push(EventError {
                    field: format!("/{i}/org_number"),
                    message: format!(
                        "{} is not the organisation of this token ({}) nor one that has authorised it to log for it",
                        e.org_number, sender.own
                    ),
                }),
            }
        }
        if foreign.is_empty() {
            Ok(routed)
        } else {
            Err(foreign)
        }
    }

    /// Checks the whole log now (see [`verify`]) and records what it found.
    pub async fn check(&self, cause: &str) -> Result<Verification, StoreError> {
        let _retiring = self.retiring.lock().await;
        let started_at = self.clock.now();
        // Search rows a retirement stopped before removing (a crash) are removed first.
        self.store.clear_retired_index(started_at).await?;
        let result = verify(&self.store, &self.verifier(), &mut |_, _| {}).await;
        let v = verification(cause, started_at, self.clock.now(), &result);
        self.store.record_access_verification(&v).await?;
        Ok(v)
    }

    /// Asks the verifier job to check the whole log as soon as it can.
    pub fn request_check(&self) {
        self.check_requested.notify_one();
    }

    /// Resolves when someone asks for a check (see [`AccessLog::request_check`]).
    pub async fn check_requested(&self) {
        self.check_requested.notified().await
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The clock's time, Unix seconds.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Runs the integrator until `stop`: see [`run_integrator`].
    pub async fn run_integrator(self: Arc<Self>, stop: watch::Receiver<bool>) {
        run_integrator(self, stop).await
    }
}

/// A sender of events: its organisation, its number, and the views its events may go into (its
/// own and those of the organisations that have authorised it to log for them), by number.
#[derive(Debug, Clone)]
pub struct Sender {
    pub org_id: OrgId,
    own: String,
    views: HashMap<String, OrgId>,
}

/// Expired events retired per step; each step is one retirement entry in the log.
const RETIRE_BATCH: u32 = 50_000;

impl AccessLog {
    /// Retires the events of every organisation that keeps them for a number of days and whose
    /// time has passed (Normen 2.3): per batch, one retirement entry appended to the log (which
    /// events, how many, a digest of their indexes) in the transaction that deletes their
    /// payloads; their leaves, tiles and proofs stay. Then their search rows go. Only events the
    /// indexer has reached are retired, so none is indexed after its rows were removed. Returns
    /// how many were retired.
    pub async fn retire_expired(&self) -> Result<u64, StoreError> {
        let now = self.clock.now();
        self.store.clear_retired_index(now).await?;
        let below = self.store.access_indexed_until().await?;
        let mut total = 0;
        for (org_id, days) in self.store.access_retentions().await? {
            let before = retirement_cutoff(now, days);
            let org_number = self.store.org(org_id).await?.org_number;
            loop {
                let indexes = self.store.access_expired(org_id, before, below, RETIRE_BATCH).await?;
                if indexes.is_empty() {
                    break;
                }
                let entry = retirement_entry(&self.signer, org_id, &org_number, &indexes, days, now);
                match self.store.retire_access_events(org_id, &indexes, &entry, now).await {
                    Ok(at) => tracing::info!(
                        org_id = org_id.0,
                        count = indexes.len(),
                        entry = at,
                        "expired access events retired"
                    ),
                    // Another instance is retiring the same events.
                    Err(StoreError::Conflict(_)) => break,
                    Err(e) => return Err(e),
                }
                total += indexes.len() as u64;
                self.wake.notify_one();
                if indexes.len() < RETIRE_BATCH as usize {
                    break;
                }
            }
        }
        self.store.clear_retired_index(now).await?;
        Ok(total)
    }
}

/// Retires expired events (see [`AccessLog::retire_expired`]) every `every`, until `stop`.
pub async fn run_retirer(log: Arc<AccessLog>, every: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(e) = log.retire_expired().await {
            tracing::error!(error = %e, "retiring expired access events failed; trying again later");
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {},
            _ = stop.changed() => return,
        }
    }
}

/// Events that occurred before this are retired at `now` by an organisation keeping them
/// `keep_days`.
fn retirement_cutoff(now: i64, keep_days: i64) -> i64 {
    now.saturating_sub(keep_days.saturating_mul(86_400))
}

/// Whether a retirement entry is signed by the log's key `verifier` (the signature checked as a
/// signed note's would be).
fn retirement_signed(verifier: &Verifier, e: &RetirementEntry) -> bool {
    if e.signature.is_empty() || e.signature.contains(char::is_whitespace) {
        return false;
    }
    let note = format!("{}\n— {} {}\n", e.retirement.signed_text(), verifier.name, e.signature);
    tlog::note::open(note.as_bytes(), std::slice::from_ref(verifier)).is_ok()
}

/// The digest a retirement gives of the log indexes it retired: `sha256:` and the hex SHA-256
/// of the indexes, ascending, each 8 bytes big-endian.
pub fn retired_digest(indexes: impl IntoIterator<Item = u64>) -> String {
    let mut sha = Sha256::new();
    for i in indexes {
        sha.update(i.to_be_bytes());
    }
    digest_text(sha)
}

fn digest_text(sha: Sha256) -> String {
    let hash = sha.finalize();
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in hash {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The leaf of a retirement of `indexes` (ascending) of `org_id`, which keeps its events
/// `keep_days`, at `now`, signed by `signer`.
fn retirement_entry(
    signer: &Signer,
    org_id: OrgId,
    org_number: &str,
    indexes: &[u64],
    keep_days: i64,
    now: i64,
) -> NewAccessEvent {
    let retirement = Retirement {
        before: crate::clock::rfc3339(retirement_cutoff(now, keep_days)),
        count: indexes.len() as u64,
        digest: retired_digest(indexes.iter().copied()),
        first_index: indexes.first().copied().unwrap_or(0),
        keep_days: u64::try_from(keep_days).unwrap_or(0),
        last_index: indexes.last().copied().unwrap_or(0),
        org_number: org_number.to_string(),
        retired_at: crate::clock::rfc3339(now),
    };
    let line = signer.signature_line(&retirement.signed_text());
    let signature = line.rsplit(' ').next().unwrap_or_default().to_string();
    let entry = RetirementEntry { retirement, signature };
    let json = entry.jcs();
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    NewAccessEvent {
        org_id,
        leaf_hash: tlog::merkle::leaf_hash_of_parts(&[&salt, &json]),
        salt,
        occurred_at: now,
        patient_id: String::new(),
        user_id: String::new(),
        unit: String::new(),
        event_json: String::from_utf8(json).unwrap_or_default(),
        openings: None,
    }
}

/// At most this many events in one request.
pub const MAX_EVENTS: usize = 10_000;
/// At most this many bytes in one request.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;

/// How a request's events are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A JSON array of events (or one event).
    Json,
    /// One event per line.
    Ndjson,
    /// FHIR R4 AuditEvent resources, single or in a Bundle.
    Fhir,
}

/// One thing wrong with a request's events: where (a JSON pointer, the event's index first) and
/// what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventError {
    pub field: String,
    pub message: String,
}

/// The events of a JSON array or NDJSON body, or every problem found, by index and field.
fn parse_events(ndjson: bool, body: &[u8], now: i64) -> Result<Vec<AccessEvent>, Vec<EventError>> {
    let error = |index: usize, field: &str, message: String| EventError { field: format!("/{index}{field}"), message };
    let whole = |message: String| vec![EventError { field: String::new(), message }];
    let text = std::str::from_utf8(body).map_err(|_| vec![error(0, "", "the body is not UTF-8".into())])?;
    // Each event's own text, so every one is parsed once, straight into an event.
    let raw: Vec<&str> = if ndjson {
        text.lines().filter(|l| !l.trim().is_empty()).collect()
    } else if text.trim_start().starts_with('{') {
        vec![text]
    } else {
        match serde_json::from_str::<Vec<&serde_json::value::RawValue>>(text) {
            Ok(values) => values.into_iter().map(|v| v.get()).collect(),
            Err(e) if e.is_data() => return Err(vec![error(0, "", "send an array of events".into())]),
            Err(e) => return Err(whole(format!("not JSON: {e}"))),
        }
    };
    if raw.is_empty() {
        return Err(whole("no events".into()));
    }
    if raw.len() > MAX_EVENTS {
        return Err(whole(format!("at most {MAX_EVENTS} events per request")));
    }
    let mut events = Vec::with_capacity(raw.len());
    let mut errors = Vec::new();
    for (i, text) in raw.into_iter().enumerate() {
        match serde_json::from_str::<AccessEvent>(text) {
            Ok(mut e) => {
                if !e.id_warnings.is_empty() {
                    errors.push(error(i, "/id_warnings", "is normverk's to set".into()));
                }
                if !e.sealed.is_empty() {
                    errors.push(error(i, "/sealed", "is normverk's to set".into()));
                }
                errors.extend(
                    accept(&mut e, now)
                        .into_iter()
                        .map(|p| error(i, &format!("/{}", p.field.replace('.', "/")), p.message)),
                );
                events.push(e);
            }
            Err(e) if e.is_syntax() || e.is_eof() => errors.push(error(i, "", format!("not JSON: {e}"))),
            Err(e) => errors.push(error(i, "", e.to_string())),
        }
    }
    if errors.is_empty() {
        Ok(events)
    } else {
        Err(errors)
    }
}

/// An event's time as stored beside it: Unix seconds (0 for a time that does not parse, which a
/// checked event never has).
fn seconds(occurred_at: &str) -> i64 {
    occurred_at.parse::<jiff::Timestamp>().map(|t| t.as_second()).unwrap_or(0)
}

/// An event as its readers see it: as stored, with its sealed fields opened from `openings`.
/// None for a retirement, or for what does not open (which `log verify` reports).
pub fn read_event(json: &str, openings: Option<&str>) -> Option<AccessEvent> {
    open_event(json, openings).ok()
}

/// The stored event `json` with its sealed fields opened from `openings`, or why it does not
/// open: not an access event, malformed openings, or a value that does not match its
/// commitment.
fn open_event(json: &str, openings: Option<&str>) -> Result<AccessEvent, String> {
    let mut event: AccessEvent = serde_json::from_str(json).map_err(|e| e.to_string())?;
    if !event.sealed.is_empty() || openings.is_some() {
        let openings: normverk_core::access_log::Openings = serde_json::from_str(openings.unwrap_or("{}"))
            .map_err(|_| "the sealed values stored beside it are malformed".to_string())?;
        normverk_core::access_log::unseal(&mut event, &openings)?;
    }
    Ok(event)
}

/// Random bytes per event: its 16-byte salt, and a 16-byte key for each sealed field.
const RANDOM: usize = 16 * (1 + normverk_core::access_log::SEALED_FIELDS.len());

/// Hashes and canonicalises one checked event with its salt: the leaf is H(0x00 ‖ salt ‖ JCS(event)),
/// as `normverk_core::access_log::canonical_bytes` defines it, with the fields an insight
/// withholds sealed (`normverk_core::access_log::seal`) by the keys that follow the salt.
fn new_event(org_id: OrgId, e: &AccessEvent, random: [u8; RANDOM]) -> NewAccessEvent {
    let block = |i: usize| <[u8; 16]>::try_from(&random[16 * i..16 * (i + 1)]).unwrap_or_default();
    let salt = block(0);
    let (json, openings) = if e.basis_reason.is_some() || e.user_national_id.is_some() {
        let mut sealed = e.clone();
        let openings = normverk_core::access_log::seal(&mut sealed, [block(1), block(2)]);
        (jcs(&sealed), Some(serde_json::to_string(&openings).unwrap_or_default()))
    } else {
        (jcs(e), None)
    };
    NewAccessEvent {
        org_id,
        leaf_hash: tlog::merkle::leaf_hash_of_parts(&[&salt, &json]),
        salt,
        occurred_at: seconds(&e.occurred_at),
        patient_id: e.patient_id.clone(),
        user_id: e.user_id.clone(),
        unit: e.unit.clone(),
        event_json: String::from_utf8(json).unwrap_or_default(),
        openings,
    }
}

/// Why integration or verification stopped.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored log is not what was signed: the first index found wrong, and why.
    #[error("{message}")]
    Tampered { index: Option<u64>, message: String },
    #[error("{0}")]
    Proof(#[from] ProofError),
}

fn tampered(index: Option<u64>, message: impl Into<String>) -> LogError {
    LogError::Tampered { index, message: message.into() }
}

/// The edge (partial tile of each level) of the tree of `size` leaves, rebuilt from stored leaves
/// and full tiles, for when the stored edge is missing or does not fit.
async fn rebuild_edge(store: &Store, size: u64) -> Result<Vec<Vec<Hash>>, LogError> {
    let mut levels = Vec::new();
    let mut level = 0u32;
    while size.checked_shr(8 * level).unwrap_or(0) > 0 {
        let entries = size >> (8 * level);
        let first = entries & !0xff;
        let partial = if level == 0 {
            store.access_leaf_hashes(first, entries).await?
        } else {
            let mut roots = Vec::new();
            for index in first..entries {
                let below = store
                    .access_tile((level - 1) as u8, index, 256)
                    .await?
                    .ok_or_else(|| tampered(Some(index << (8 * level)), "a full tile is missing"))?;
                roots.push(tlog::merkle::mth(&below));
            }
            roots
        };
        levels.push(partial);
        level += 1;
    }
    Ok(levels)
}

/// Integrates up to [`MAX_PER_CHECKPOINT`] waiting leaves: builds their tiles, checks that the
/// new tree is consistent with the last checkpoint, signs and stores a checkpoint. Returns the
/// new checkpoint, or `None` when nothing was waiting.
pub async fn integrate_once(store: &Store, signer: &Signer, now: i64) -> Result<Option<StoredCheckpoint>, LogError> {
    let head = store.access_log_head().await?;
    let previous = head.as_ref().map_or(0, |h| h.size);
    let available = store.access_log_size().await?;
    if available <= previous {
        return Ok(None);
    }
    let edge = store.access_edge().await?;
    let mut frontier = match tlog::tile::Frontier::resume(previous, edge) {
        Ok(f) => f,
        Err(_) => tlog::tile::Frontier::resume(previous, rebuild_edge(store, previous).await?)
            .map_err(|e| tampered(Some(previous), e.to_string()))?,
    };
    if let Some(h) = &head {
        if frontier.root() != h.root {
            return Err(tampered(None, "the stored tiles no longer lead to the last checkpoint's root"));
        }
    }
    let target = available.min(previous + MAX_PER_CHECKPOINT);
    let mut full: Vec<FullTile> = Vec::new();
    let mut at = previous;
    while at < target {
        let to = target.min(at + INTEGRATE_CHUNK);
        let leaves = store.access_leaf_hashes(at, to).await?;
        if leaves.len() as u64 != to - at {
            return Err(tampered(Some(at), "leaves are missing below the log's size"));
        }
        for leaf in leaves {
            frontier.push(leaf, &mut full);
        }
        at = to;
    }
    let root = frontier.root();
    // Never sign a tree that does not extend the last one: prove it from the tiles.
    if let Some(h) = &head {
        let ranges = consistency_ranges(h.size, target)?;
        let mut tiles: Tiles = store.access_tiles(&tlog::tile::tiles_for(&ranges, target)).await?;
        for t in &full {
            tiles.insert((t.level, t.index), t.hashes.clone());
        }
        for (level, partial) in frontier.edge().iter().enumerate().filter(|(_, p)| !p.is_empty()) {
            tiles.insert((level as u8, (target >> (8 * level as u32)) / 256), partial.clone());
        }
        let proof = tlog::tile::proof(&tiles, &ranges).map_err(|e| tampered(None, e.to_string()))?;
        verify_consistency(h.size, target, &proof, &h.root, &root)
            .map_err(|e| tampered(None, format!("the new tree is not consistent with the last checkpoint: {e}")))?;
    }
    let text = Checkpoint { origin: signer.name.clone(), size: target, root, extensions: Vec::new() }.to_text();
    let note = tlog::note::sign(&text, &[signer]).map_err(|e| tampered(None, e.to_string()))?;
    let checkpoint = StoredCheckpoint { size: target, root, note, signed_at: now };
    store.access_integrate(previous, &full, frontier.edge(), &checkpoint).await?;
    Ok(Some(checkpoint))
}

/// The integrator: wakes when events arrive (or every second), integrates everything waiting,
/// then rests [`MIN_INTERVAL`] so concurrent batches share a checkpoint. Runs until `stop`.
async fn run_integrator(log: Arc<AccessLog>, mut stop: watch::Receiver<bool>) {
    let store = log.store.clone();
    loop {
        tokio::select! {
            () = log.wake.notified() => {},
            () = tokio::time::sleep(Duration::from_secs(1)) => {},
            _ = stop.changed() => return,
        }
        loop {
            match integrate_once(&store, &log.signer, log.clock.now()).await {
                Ok(Some(c)) => {
                    tracing::debug!(size = c.size, "access log checkpoint signed");
                    log.remember(Arc::new(c));
                }
                Ok(None) => break,
                Err(LogError::Store(StoreError::Conflict(e))) => {
                    tracing::warn!(error = %e, "access log integration raced another integrator; retrying");
                }
                Err(e) => {
                    tracing::error!(error = %e, "access log integration stopped: nothing more is signed until this is resolved");
                    break;
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(MIN_INTERVAL) => {},
            _ = stop.changed() => return,
        }
    }
}

/// Events indexed for search per transaction.
const INDEX_BATCH: u32 = 50_000;

/// The search indexer: every half second, adds what was stored since to the search index, in
/// large sorted batches, behind the durable write. Runs until `stop`.
pub async fn run_indexer(store: Store, mut stop: watch::Receiver<bool>) {
    loop {
        loop {
            let behind = match (store.access_indexed_until().await, store.access_log_size().await) {
                (Ok(done), Ok(size)) => done < size,
                _ => false,
            };
            if !behind {
                break;
            }
            if let Err(e) = store.access_index_more(INDEX_BATCH).await {
                tracing::error!(error = %e, "indexing access events for search failed; retrying");
                break;
            }
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(500)) => {},
            _ = stop.changed() => return,
        }
    }
}

/// The tree hash of the first `size` leaves, and the tiles read for it.
pub async fn root_from_tiles(store: &Store, size: u64) -> Result<Hash, LogError> {
    if size == 0 {
        return Ok(tlog::merkle::empty_root());
    }
    let ranges = [(0, size)];
    let tiles = store.access_tiles(&tlog::tile::tiles_for(&ranges, size)).await?;
    tlog::tile::range_hash(&tiles, 0, size).map_err(|e| tampered(None, e.to_string()))
}

/// The hash of leaf `index` and its inclusion proof in the tree of `size` leaves, both from the
/// stored tiles in one read (the leaf's own tile is nearly always among the proof's).
/// `size` must not exceed the latest checkpoint.
pub async fn inclusion_proof(store: &Store, index: u64, size: u64) -> Result<(Hash, Vec<Hash>), LogError> {
    let ranges = inclusion_ranges(index, size)?;
    let wanted = tlog::tile::tiles_for(&[&ranges[..], &[(index, index + 1)]].concat(), size);
    let tiles = store.access_tiles(&wanted).await?;
    let leaf = tlog::tile::range_hash(&tiles, index, index + 1);
    let proof = tlog::tile::proof(&tiles, &ranges);
    leaf.and_then(|leaf| Ok((leaf, proof?))).map_err(|e| tampered(Some(index), e.to_string()))
}

/// The consistency proof between the trees of `old` and `new` leaves, from the stored tiles.
pub async fn consistency_proof(store: &Store, old: u64, new: u64) -> Result<Vec<Hash>, LogError> {
    let ranges = consistency_ranges(old, new)?;
    let tiles = store.access_tiles(&tlog::tile::tiles_for(&ranges, new)).await?;
    tlog::tile::proof(&tiles, &ranges).map_err(|e| tampered(None, e.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_retirement_is_signed_by_the_log_key_and_any_change_breaks_the_signature() {
        let signer = Signer::new("normverk.test/access-log", [7u8; 32]).unwrap();
        let leaf = retirement_entry(&signer, OrgId(1), "974760673", &[3, 5, 8], 3650, 1_800_000_000);
        let entry = RetirementEntry::of(&leaf.event_json).unwrap();
        assert_eq!(entry.retirement.keep_days, 3650);
        assert_eq!(entry.retirement.before, crate::clock::rfc3339(1_800_000_000 - 3650 * 86_400));
        assert!(retirement_signed(&signer.verifier(), &entry));

        let mut changed = entry.clone();
        changed.retirement.count = 4;
        assert!(!retirement_signed(&signer.verifier(), &changed));
        let other = Signer::new("normverk.test/access-log", [8u8; 32]).unwrap();
        assert!(!retirement_signed(&other.verifier(), &entry));
        for bad in ["", "AAAA", &format!("{} — x y", entry.signature)] {
            let forged = RetirementEntry { signature: bad.to_string(), ..entry.clone() };
            assert!(!retirement_signed(&signer.verifier(), &forged), "{bad}");
        }
    }
}
