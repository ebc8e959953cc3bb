//! The access log's storage: leaves (index, leaf hash, salt) that can never change, and the
//! events apart from them; full tiles and signed checkpoints, also unchangeable; the edge (the
//! partial tiles of the latest checkpoint) as a replaceable cache. Sequencing happens here, in
//! the transaction that makes the events durable.

use crate::db::{read, search_tx, write_tx, OrgId, Rejection, Store, StoreError, StoreResult};
use tlog::tile::{FullTile, Tiles};
use tlog::Hash;

/// One event ready to store: its leaf hash and salt, and the payload with the fields that
/// searches use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccessEvent {
    /// The organisation whose view the event is stored in (the sender's, or one it logs for).
    pub org_id: OrgId,
    pub leaf_hash: Hash,
    pub salt: [u8; 16],
    pub occurred_at: i64,
    pub patient_id: String,
    pub user_id: String,
    pub unit: String,
    /// The event's canonical JSON.
    pub event_json: String,
    /// The values of its sealed fields with their keys (JSON), when it has any.
    pub openings: Option<String>,
}

/// A client's `Idempotency-Key` and the SHA-256 of the request it came with.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    pub request_sha: Hash,
}

/// How long an idempotency key is remembered.
pub const IDEMPOTENCY_TTL_S: i64 = 24 * 3600;

/// Where appended events landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub first_index: u64,
    pub count: u64,
    /// True when an earlier request with the same idempotency key stored them.
    pub replayed: bool,
}

/// A signed checkpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub size: u64,
    pub root: Hash,
    /// The signed note, exactly as served.
    pub note: String,
    pub signed_at: i64,
}

/// A leaf with its event and what is stored beside the event, when the event has not been
/// retired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    pub index: u64,
    pub org_id: OrgId,
    pub leaf_hash: Hash,
    pub salt: [u8; 16],
    pub event_json: Option<String>,
    pub beside: Option<Beside>,
    /// The values of the event's sealed fields with their keys (JSON), when it has any.
    pub openings: Option<String>,
}

/// What is stored beside an event for searches and views: derived from the event, so `log
/// verify` checks each against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Beside {
    pub org_id: OrgId,
    pub occurred_at: i64,
    pub patient_id: String,
    pub user_id: String,
    pub unit: String,
}

impl Beside {
    /// The event's rows in the search index, as `(field, value)`: by patient, user, unit, and
    /// one by time alone.
    pub fn index_rows(&self) -> [(&'static str, &str); 4] {
        [("p", self.patient_id.as_str()), ("u", self.user_id.as_str()), ("n", self.unit.as_str()), ("t", "")]
    }
}

/// The segment of the search index holding log index `idx`.
pub fn segment_of(idx: u64) -> i64 {
    to_i64(idx) / SEGMENT
}

/// One row of the search index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct IndexRow {
    pub idx: i64,
    pub field: String,
    pub value: String,
    pub occurred_at: i64,
}

/// A row's hash under `key`, for comparing the index with the events without holding either:
/// the sum of the hashes of a segment's rows under a key chosen afresh for each check cannot
/// be matched by rows made up to match it.
///
/// The row is hashed as one message, field ‖ 0xff ‖ value ‖ 0xff ‖ time ‖ index (0xff is never
/// in UTF-8 text, so the message says where each part ends), in one write where it fits a small
/// buffer: each write to the hasher costs as much as a short message.
pub fn index_row_hash(key: &std::hash::RandomState, field: &str, value: &str, occurred_at: i64, idx: i64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let (field, value) = (field.as_bytes(), value.as_bytes());
    let mut h = key.build_hasher();
    let mut buf = [0u8; 128];
    let len = field.len() + value.len() + 18;
    if let Some(out) = buf.get_mut(..len) {
        let (f, rest) = out.split_at_mut(field.len() + 1);
        let (v, numbers) = rest.split_at_mut(value.len() + 1);
        f[..field.len()].copy_from_slice(field);
        f[field.len()] = 0xff;
        v[..value.len()].copy_from_slice(value);
        v[value.len()] = 0xff;
        numbers[..8].copy_from_slice(&occurred_at.to_le_bytes());
        numbers[8..].copy_from_slice(&idx.to_le_bytes());
        h.write(out);
    } else {
        // The same message in parts: the hasher streams, so the hash is the same.
        h.write(field);
        h.write(&[0xff]);
        h.write(value);
        h.write(&[0xff]);
        h.write(&occurred_at.to_le_bytes());
        h.write(&idx.to_le_bytes());
    }
    h.finish()
}

/// What a part of the search index (an organisation's segment) holds: how many rows, the sum
/// of their hashes, and the span of their times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IndexDigest {
    pub rows: u64,
    pub sum: u64,
}

impl IndexDigest {
    pub fn add(&mut self, hash: u64) {
        self.rows += 1;
        self.sum = self.sum.wrapping_add(hash);
    }
}

/// The search index read whole, as digests per (organisation, segment), for the events below
/// `below`; rows of later events are left out (the indexer may have added them since), but none
/// may lie at or beyond the indexer's mark.
#[derive(Debug, Clone, Default)]
pub struct IndexScan {
    pub digests: std::collections::BTreeMap<(OrgId, i64), IndexDigest>,
    /// Rows of events at or beyond the indexer's mark in the same snapshot: none may exist.
    pub beyond_mark: Option<i64>,
    /// The segments table: the span of times it claims for each (organisation, segment).
    pub spans: std::collections::BTreeMap<(OrgId, i64), (i64, i64)>,
    /// Where the indexer had come in the snapshot.
    pub mark: i64,
    pub below: i64,
    /// The part being read: rows come in key order, so one part after another.
    current: Option<((OrgId, i64), IndexDigest)>,
}

/// One check of the whole log, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub started_at: i64,
    pub finished_at: i64,
    /// What started it: `schedule`, `request` (someone asked on the auditors' page), `command`.
    pub cause: String,
    /// Events checked.
    pub leaves: u64,
    /// `ok`, `tampered` (the stored log is not what was signed) or `failed` (it could not finish).
    pub outcome: String,
    pub bad_index: Option<u64>,
    pub message: Option<String>,
}

/// What to look for among an organisation's events. Empty fields match everything.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub patient_id: Option<String>,
    pub user_id: Option<String>,
    pub unit: Option<String>,
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    /// Unix seconds, exclusive.
    pub to: Option<i64>,
}

/// One event found by a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub index: u64,
    pub occurred_at: i64,
    pub event_json: String,
    pub openings: Option<String>,
}

pub(crate) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_u64(n: i64) -> StoreResult<u64> {
    u64::try_from(n).map_err(|_| StoreError::Corrupt("negative log index".into()))
}

fn hash(bytes: &[u8]) -> StoreResult<Hash> {
    Hash::try_from(bytes).map_err(|_| StoreError::Corrupt("a stored hash is not 32 bytes".into()))
}

fn hashes(bytes: &[u8]) -> StoreResult<Vec<Hash>> {
    tlog::tile::parse_tile(bytes).map_err(|_| StoreError::Corrupt("a stored tile is malformed".into()))
}

/// A read-only connection to the SQLite file at `path` for a full scan, apart from the pools.
fn open_for_scan(path: &std::path::Path) -> StoreResult<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let db = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    db.busy_timeout(std::time::Duration::from_secs(30))?;
    // Mapped, the scan's pages are read where they lie; through pread each is copied first.
    db.pragma_update(None, "mmap_size", 1i64 << 30)?;
    Ok(db)
}

/// Leaves `from..to` of the SQLite database at `path` with their events, for
/// [`Store::scan_access_entries`]: two scans in index order in one read transaction, merged.
/// rusqlite reads each row in place, where sqlx would copy it and pass it between threads.
fn sqlite_entries(path: &std::path::Path, from: i64, to: i64) -> StoreResult<Vec<StoredEntry>> {
    let db = open_for_scan(path)?;
    let tx = db.unchecked_transaction()?;
    let events: Vec<(i64, Payload<String>)> = tx
        .prepare(
            "SELECT idx, event_json, org_id, occurred_at, patient_id, user_id, unit, openings FROM access_payloads \
             WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
        )?
        .query_map((from, to), |e| {
            let text = |i: usize| -> rusqlite::Result<String> { Ok(e.get_ref(i)?.as_str()?.to_string()) };
            let beside = Beside {
                org_id: OrgId(e.get(2)?),
                occurred_at: e.get(3)?,
                patient_id: text(4)?,
                user_id: text(5)?,
                unit: text(6)?,
            };
            Ok((e.get(0)?, (text(1)?, beside, e.get(7)?)))
        })?
        .collect::<Result<_, _>>()?;
    let mut events = events.into_iter().peekable();
    let mut leaves =
        tx.prepare("SELECT idx, org_id, leaf_hash, salt FROM access_leaves WHERE idx >= ?1 AND idx < ?2 ORDER BY idx")?;
    let mut leaves = leaves.query((from, to))?;
    let mut entries = Vec::with_capacity(usize::try_from(to.saturating_sub(from)).unwrap_or(0));
    while let Some(leaf) = leaves.next()? {
        let index: i64 = leaf.get(0)?;
        let salt = leaf.get_ref(3)?.as_blob()?;
        let (event_json, beside, openings) = match event_at(&mut events, index) {
            Some((json, beside, openings)) => (Some(json), Some(beside), openings),
            None => (None, None, None),
        };
        entries.push(StoredEntry {
            index: to_u64(index)?,
            org_id: OrgId(leaf.get(1)?),
            leaf_hash: hash(leaf.get_ref(2)?.as_blob()?)?,
            salt: salt.try_into().map_err(|_| StoreError::Corrupt("a stored salt is not 16 bytes".into()))?,
            event_json,
            beside,
            openings,
        });
    }
    Ok(entries)
}

/// A payload as a scan reads it: the event, what is stored beside it, its openings.
type Payload<E> = (E, Beside, Option<String>);

/// The event of leaf `index` from events in index order, passing over those before it: how a
/// scan of the leaves picks up the events scanned beside it. None where it was retired.
fn event_at<T>(events: &mut std::iter::Peekable<impl Iterator<Item = (i64, T)>>, index: i64) -> Option<T> {
    while events.next_if(|(i, _)| *i < index).is_some() {}
    events.next_if(|(i, _)| *i == index).map(|(_, event)| event)
}

impl IndexScan {
    /// Counts one row of the index into its digest.
    #[allow(clippy::too_many_arguments)]
    fn take(
        &mut self,
        key: &std::hash::RandomState,
        org: OrgId,
        seg: i64,
        field: &str,
        value: &str,
        at: i64,
        idx: i64,
    ) {
        if idx >= self.mark {
            self.beyond_mark = Some(self.beyond_mark.map_or(idx, |b| b.min(idx)));
        } else if idx < self.below {
            if self.current.as_ref().is_none_or(|(part, _)| *part != (org, seg)) {
                self.flush();
                self.current = Some(((org, seg), IndexDigest::default()));
            }
            if let Some((_, digest)) = self.current.as_mut() {
                digest.add(index_row_hash(key, field, value, at, idx));
            }
        }
    }

    /// Adds the part being read to the digests; done once the last row is read.
    fn flush(&mut self) {
        if let Some((part, d)) = self.current.take() {
            let into = self.digests.entry(part).or_default();
            into.rows += d.rows;
            into.sum = into.sum.wrapping_add(d.sum);
        }
    }
}

fn utf8(field: Option<&[u8]>) -> Option<&str> {
    field.and_then(|b| std::str::from_utf8(b).ok())
}

/// The digest of a part of the search index, as an aggregate inside SQLite:
/// `nv_index_digest(field, value, occurred_at, idx)` over the rows below `below` gives their
/// count and the wrapping sum of their hashes (16 bytes, little-endian). Stepping SQLite's rows
/// out to Rust one column at a time cost more than the hashing.
struct DigestAggregate {
    key: std::hash::RandomState,
    below: i64,
}

impl rusqlite::functions::Aggregate<IndexDigest, Vec<u8>> for DigestAggregate {
    fn init(&self, _: &mut rusqlite::functions::Context<'_>) -> rusqlite::Result<IndexDigest> {
        Ok(IndexDigest::default())
    }

    fn step(&self, ctx: &mut rusqlite::functions::Context<'_>, digest: &mut IndexDigest) -> rusqlite::Result<()> {
        let idx: i64 = ctx.get(3)?;
        if idx < self.below {
            // Text only: a value rewritten as a blob of the same bytes would never match a search,
            // so it counts as a row no event has.
            match (ctx.get_raw(0), ctx.get_raw(1)) {
                (ValueRef::Text(field), ValueRef::Text(value)) => {
                    let (field, value) = (std::str::from_utf8(field), std::str::from_utf8(value));
                    match (field, value) {
                        (Ok(f), Ok(v)) => digest.add(index_row_hash(&self.key, f, v, ctx.get(2)?, idx)),
                        _ => digest.add(index_row_hash(&self.key, "\u{0}", "not UTF-8", 0, idx)),
                    }
                }
                _ => digest.add(index_row_hash(&self.key, "\u{0}", "not text", 0, idx)),
            }
        }
        Ok(())
    }

    fn finalize(
        &self,
        _: &mut rusqlite::functions::Context<'_>,
        digest: Option<IndexDigest>,
    ) -> rusqlite::Result<Vec<u8>> {
        let d = digest.unwrap_or_default();
        Ok([d.rows.to_le_bytes(), d.sum.to_le_bytes()].concat())
    }
}

use rusqlite::types::ValueRef;

/// [`Store::access_index_scan`] on SQLite's search file, in one read transaction: one group per
/// organisation and segment, in the key's order.
fn sqlite_index_scan(path: &std::path::Path, key: &std::hash::RandomState, below: i64) -> StoreResult<IndexScan> {
    let db = open_for_scan(path)?;
    db.create_aggregate_function(
        "nv_index_digest",
        4,
        rusqlite::functions::FunctionFlags::SQLITE_UTF8 | rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC,
        DigestAggregate { key: key.clone(), below },
    )?;
    let tx = db.unchecked_transaction()?;
    let mark: i64 = tx.query_row("SELECT next_idx FROM access_index_state WHERE id = 1", [], |r| r.get(0))?;
    let mut scan = IndexScan { mark, below, ..IndexScan::default() };
    let mut spans = tx.prepare("SELECT org_id, seg, first_at, last_at FROM access_index_segments")?;
    let mut spans = spans.query([])?;
    while let Some(r) = spans.next()? {
        scan.spans.insert((OrgId(r.get(0)?), r.get(1)?), (r.get(2)?, r.get(3)?));
    }
    let mut parts = tx.prepare(
        "SELECT org_id, seg, nv_index_digest(field, value, occurred_at, idx), MIN(CASE WHEN idx >= ?1 THEN idx END) \
         FROM access_index GROUP BY org_id, seg",
    )?;
    let mut parts = parts.query([mark])?;
    while let Some(r) = parts.next()? {
        let digest = r.get_ref(2)?.as_blob()?;
        let number =
            |at: usize| digest.get(at..at + 8).and_then(|b| <[u8; 8]>::try_from(b).ok()).map(u64::from_le_bytes);
        let (Some(rows), Some(sum)) = (number(0), number(8)) else {
            return Err(StoreError::Corrupt("the search index's digest is malformed".into()));
        };
        if rows > 0 {
            scan.digests.insert((OrgId(r.get(0)?), r.get(1)?), IndexDigest { rows, sum });
        }
        if let Some(beyond) = r.get::<_, Option<i64>>(3)? {
            scan.beyond_mark = Some(scan.beyond_mark.map_or(beyond, |b| b.min(beyond)));
        }
    }
    Ok(scan)
}

/// Log indexes per segment of the search index.
const SEGMENT: i64 = 1 << 16;
/// The same, as a count of log indexes.
pub const SEGMENT_SIZE: u64 = 1 << 16;

/// Serialises appends to the log until the transaction ends: on SQLite its single writer does;
/// on PostgreSQL a table lock, so indexes are dense and never reused. Take it as late as the
/// transaction allows.
macro_rules! lock_leaves {
    ($store:expr, $tx:ident) => {
        if matches!($store.engine(), $crate::Engine::Postgres) {
            sqlx::query("LOCK TABLE access_leaves IN EXCLUSIVE MODE").execute(&mut *$tx).await?;
        }
    };
}

/// Appends `record` (a `&NewAccessEvent`: the access log's entry for a change of the register)
/// inside the transaction `tx` of the change, so both or neither stand.
macro_rules! log_change {
    ($store:expr, $tx:ident, $record:expr, $now:expr) => {{
        let record: &$crate::access_log::NewAccessEvent = $record;
        $crate::access_log::lock_leaves!($store, $tx);
        $crate::access_log::append_leaves!($tx, std::slice::from_ref(record), $now);
    }};
}

/// Appends `events` (a slice of [`NewAccessEvent`]) at the log's head, inside the transaction
/// `tx` that holds [`lock_leaves!`]; the first index, an `i64`.
macro_rules! append_leaves {
    ($tx:ident, $events:expr, $now:expr) => {{
        let events: &[$crate::access_log::NewAccessEvent] = $events;
        let now: i64 = $now;
        let next: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(idx) + 1, 0) FROM access_leaves").fetch_one(&mut *$tx).await?;
        for (chunk_no, chunk) in events.chunks($crate::access_log::ROWS_PER_INSERT).enumerate() {
            let base = next + $crate::access_log::to_i64((chunk_no * $crate::access_log::ROWS_PER_INSERT) as u64);
            let mut leaves =
                sqlx::QueryBuilder::new("INSERT INTO access_leaves (idx, org_id, leaf_hash, salt, received_at) ");
            leaves.push_values(chunk.iter().enumerate(), |mut row, (i, e)| {
                row.push_bind(base + i as i64)
                    .push_bind(e.org_id)
                    .push_bind(e.leaf_hash.as_slice())
                    .push_bind(e.salt.as_slice())
                    .push_bind(now);
            });
            leaves.build().execute(&mut *$tx).await?;
            let mut payloads = sqlx::QueryBuilder::new(
                "INSERT INTO access_payloads (idx, org_id, occurred_at, patient_id, user_id, unit, event_json, openings) ",
            );
            payloads.push_values(chunk.iter().enumerate(), |mut row, (i, e)| {
                row.push_bind(base + i as i64)
                    .push_bind(e.org_id)
                    .push_bind(e.occurred_at)
                    .push_bind(e.patient_id.as_str())
                    .push_bind(e.user_id.as_str())
                    .push_bind(e.unit.as_str())
                    .push_bind(e.event_json.as_str())
                    .push_bind(e.openings.as_deref());
            });
            payloads.build().execute(&mut *$tx).await?;
        }
        next
    }};
}
pub(crate) use {append_leaves, lock_leaves, log_change};

/// Rows per multi-row INSERT: well under either engine's limit on bound parameters.
pub(crate) const ROWS_PER_INSERT: usize = 500;

impl Store {
    /// Appends events in one transaction, as one request from `org_id` (whose idempotency keys
    /// are its own); each event goes into the view of its own organisation. The first index is
    /// returned; the rest follow in order. On SQLite the single writer serialises appends; on PostgreSQL a table lock does,
    /// so indexes are dense and never reused. With an idempotency key seen before (within a
    /// day) the earlier result is returned and nothing is stored; the same key with another
    /// request is a conflict.
    pub async fn append_access_events(
        &self,
        org_id: OrgId,
        events: &[NewAccessEvent],
        idempotency: Option<&Idempotency>,
        now: i64,
    ) -> StoreResult<Appended> {
        let count = events.len() as u64;
        let appended = write_tx!(self, |tx| {
            lock_leaves!(self, tx);
            let earlier: Option<(Vec<u8>, i64, i64)> = match idempotency {
                Some(idem) => {
                    sqlx::query("DELETE FROM idempotency_keys WHERE org_id = $1 AND created_at < $2")
                        .bind(org_id)
                        .bind(now - IDEMPOTENCY_TTL_S)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query_as(
                        "SELECT request_sha, first_index, count FROM idempotency_keys WHERE org_id = $1 AND key = $2",
                    )
                    .bind(org_id)
                    .bind(&idem.key)
                    .fetch_optional(&mut *tx)
                    .await?
                }
                None => None,
            };
            if let (Some((sha, first, n)), Some(idem)) = (earlier, idempotency) {
                if sha != idem.request_sha {
                    return Err(StoreError::Rejected(Rejection::IdempotencyKeyReused));
                }
                Appended { first_index: to_u64(first)?, count: to_u64(n)?, replayed: true }
            } else {
                let next = append_leaves!(tx, events, now);
                if let Some(idem) = idempotency {
                    sqlx::query(
                        "INSERT INTO idempotency_keys (org_id, key, request_sha, first_index, count, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(org_id)
                    .bind(&idem.key)
                    .bind(idem.request_sha.as_slice())
                    .bind(next)
                    .bind(to_i64(count))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                Appended { first_index: to_u64(next)?, count, replayed: false }
            }
        });
        Ok(appended)
    }

    /// How many leaves the log holds (integrated or not).
    pub async fn access_log_size(&self) -> StoreResult<u64> {
        let n: i64 = read!(self, |c| sqlx::query_scalar("SELECT COALESCE(MAX(idx) + 1, 0) FROM access_leaves")
            .fetch_one(c)
            .await?);
        to_u64(n)
    }

    /// The leaf hashes of indexes `from..to`, in order.
    pub async fn access_leaf_hashes(&self, from: u64, to: u64) -> StoreResult<Vec<Hash>> {
        let rows: Vec<Vec<u8>> = read!(self, |c| sqlx::query_scalar(
            "SELECT leaf_hash FROM access_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx"
        )
        .bind(to_i64(from))
        .bind(to_i64(to))
        .fetch_all(c)
        .await?);
        rows.iter().map(|h| hash(h)).collect()
    }

    /// Leaves `from..to` with their events (absent where retired), in order.
    pub async fn access_entries(&self, from: u64, to: u64) -> StoreResult<Vec<StoredEntry>> {
        let rows: Vec<EntryRow> = read!(self, |c| sqlx::query_as(&format!(
            "SELECT {ENTRY_COLUMNS} FROM access_leaves l \
             LEFT JOIN access_payloads p ON p.idx = l.idx WHERE l.idx >= $1 AND l.idx < $2 ORDER BY l.idx"
        ))
        .bind(to_i64(from))
        .bind(to_i64(to))
        .fetch_all(c)
        .await?);
        rows.into_iter().map(entry).collect()
    }

    /// The same as [`Store::access_entries`], for scanning the whole log: each table's range is
    /// read in index order and the two merged (SQLite: in place, row by row, on a blocking
    /// thread; PostgreSQL: a binary COPY stream per table), because handing rows over one by
    /// one through the driver, not hashing, bounds a full scan. Keep ranges to tens of
    /// thousands of leaves.
    pub async fn scan_access_entries(&self, from: u64, to: u64) -> StoreResult<Vec<StoredEntry>> {
        let (from, to) = (to_i64(from), to_i64(to));
        match &self.pools {
            crate::db::Pools::Sqlite { path, .. } => {
                let path = path.clone();
                tokio::task::spawn_blocking(move || sqlite_entries(&path, from, to))
                    .await
                    .map_err(|e| StoreError::Corrupt(format!("reading the log stopped: {e}")))?
            }
            crate::db::Pools::Postgres(pool) => {
                // Each table's range as one binary COPY stream in index order (no per-row
                // protocol messages, no arrays built on the server), merged here: joined in SQL,
                // the planner looks each event up one by one and sorts. Index scans are asked for,
                // since before the first ANALYZE the planner would sort a bitmap scan instead.
                // The bounds are integers written into the SQL.
                let mut tx = pool.begin().await?;
                sqlx::query("SET LOCAL enable_bitmapscan = off").execute(&mut *tx).await?;
                let leaves = copy_out(
                    &mut tx,
                    &format!(
                        "COPY (SELECT idx, org_id, leaf_hash, salt FROM access_leaves \
                         WHERE idx >= {from} AND idx < {to} ORDER BY idx) TO STDOUT (FORMAT binary)"
                    ),
                )
                .await?;
                let events = copy_out(
                    &mut tx,
                    &format!(
                        "COPY (SELECT idx, event_json, org_id, occurred_at, patient_id, user_id, unit, openings \
                         FROM access_payloads WHERE idx >= {from} AND idx < {to} ORDER BY idx) \
                         TO STDOUT (FORMAT binary)"
                    ),
                )
                .await?;
                tx.rollback().await?;
                let bad = || StoreError::Corrupt("a log entry read by COPY is malformed".into());
                let int = |f: Option<&[u8]>| f.and_then(|b| <[u8; 8]>::try_from(b).ok()).map(i64::from_be_bytes);
                let text = |f: Option<&[u8]>| -> StoreResult<String> {
                    String::from_utf8(f.ok_or_else(bad)?.to_vec()).map_err(|_| bad())
                };
                let mut held: Vec<(i64, Payload<&[u8]>)> = Vec::new();
                copy_binary_rows(&events, |[idx, event, org, at, patient, user, unit, openings]| {
                    let beside = Beside {
                        org_id: OrgId(int(org).ok_or_else(bad)?),
                        occurred_at: int(at).ok_or_else(bad)?,
                        patient_id: text(patient)?,
                        user_id: text(user)?,
                        unit: text(unit)?,
                    };
                    let openings = openings.map(|o| text(Some(o))).transpose()?;
                    held.push((int(idx).ok_or_else(bad)?, (event.ok_or_else(bad)?, beside, openings)));
                    Ok(())
                })?;
                let mut held = held.into_iter().peekable();
                let mut entries = Vec::with_capacity(usize::try_from(to.saturating_sub(from)).unwrap_or(0));
                copy_binary_rows(&leaves, |[idx, org, leaf, salt]| {
                    let idx = int(idx).ok_or_else(bad)?;
                    let (event_json, beside, openings) = match event_at(&mut held, idx) {
                        Some((e, beside, openings)) => {
                            (Some(String::from_utf8(e.to_vec()).map_err(|_| bad())?), Some(beside), openings)
                        }
                        None => (None, None, None),
                    };
                    entries.push(StoredEntry {
                        index: to_u64(idx)?,
                        org_id: OrgId(int(org).ok_or_else(bad)?),
                        leaf_hash: hash(leaf.ok_or_else(bad)?)?,
                        salt: salt.and_then(|s| <[u8; 16]>::try_from(s).ok()).ok_or_else(bad)?,
                        event_json,
                        beside,
                        openings,
                    });
                    Ok(())
                })?;
                Ok(entries)
            }
        }
    }

    /// The salts of the organisation's leaves at `indexes` (others' are left out), by index.
    pub async fn access_salts(&self, org_id: OrgId, indexes: &[u64]) -> StoreResult<Vec<(u64, [u8; 16])>> {
        let mut out = Vec::with_capacity(indexes.len());
        for chunk in indexes.chunks(ROWS_PER_INSERT) {
            let rows: Vec<(i64, Vec<u8>)> = read!(self, |c| {
                let mut q = sqlx::QueryBuilder::new("SELECT idx, salt FROM access_leaves WHERE org_id = ");
                q.push_bind(org_id).push(" AND idx IN (");
                let mut list = q.separated(", ");
                for idx in chunk {
                    list.push_bind(to_i64(*idx));
                }
                q.push(")");
                q.build_query_as().fetch_all(c).await?
            });
            for (idx, salt) in rows {
                let salt = <[u8; 16]>::try_from(salt.as_slice())
                    .map_err(|_| StoreError::Corrupt("a stored salt is not 16 bytes".into()))?;
                out.push((to_u64(idx)?, salt));
            }
        }
        Ok(out)
    }

    /// One of the organisation's events with its leaf (not found for another organisation's).
    pub async fn access_entry(&self, org_id: OrgId, index: u64) -> StoreResult<StoredEntry> {
        let row: EntryRow = read!(self, |c| sqlx::query_as(&format!(
            "SELECT {ENTRY_COLUMNS} FROM access_leaves l \
             LEFT JOIN access_payloads p ON p.idx = l.idx WHERE l.idx = $1 AND l.org_id = $2"
        ))
        .bind(to_i64(index))
        .bind(org_id)
        .fetch_one(c)
        .await?);
        entry(row)
    }

    /// The organisation's events matching the filter, newest first (by when they happened),
    /// `limit` from `offset`. Searches the search index, so an event is found once
    /// [`Store::access_index_more`] has indexed it (about a second after it was stored).
    ///
    /// Each segment of the index is asked for its best `offset + limit` matches, newest
    /// segments (by their latest time) first, until no later segment can make the page. Deep
    /// pages of a broad search therefore cost more than narrow ones.
    pub async fn access_events(
        &self,
        org_id: OrgId,
        filter: &EventFilter,
        limit: u32,
        offset: u64,
    ) -> StoreResult<Vec<EventRow>> {
        let want = usize::try_from(offset.saturating_add(u64::from(limit))).unwrap_or(usize::MAX);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let segments: Vec<(i64, i64)> = read!(self, |c| {
            let mut q = sqlx::QueryBuilder::new("SELECT seg, last_at FROM access_index_segments WHERE org_id = ");
            q.push_bind(org_id);
            if let Some(from) = filter.from {
                q.push(" AND last_at >= ").push_bind(from);
            }
            if let Some(to) = filter.to {
                q.push(" AND first_at < ").push_bind(to);
            }
            q.push(" ORDER BY last_at DESC, seg DESC");
            q.build_query_as().fetch_all(c).await?
        });
        // The most selective filter drives the index; the others are checked on the event.
        let (field, value) = match (&filter.patient_id, &filter.user_id, &filter.unit) {
            (Some(p), _, _) => ("p", p.as_str()),
            (None, Some(u), _) => ("u", u.as_str()),
            (None, None, Some(n)) => ("n", n.as_str()),
            (None, None, None) => ("t", ""),
        };
        // The best matches so far as (time, index), newest first, at most `want`.
        let mut best: Vec<(i64, i64)> = Vec::new();
        for (seg, last_at) in segments {
            if best.get(want - 1).is_some_and(|(at, _)| *at > last_at) {
                break;
            }
            let found: Vec<(i64, i64)> = read!(self, |c| {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT i.occurred_at, i.idx FROM access_index i JOIN access_payloads p ON p.idx = i.idx \
                     WHERE i.org_id = ",
                );
                q.push_bind(org_id).push(" AND i.seg = ").push_bind(seg);
                q.push(" AND i.field = ").push_bind(field).push(" AND i.value = ").push_bind(value);
                if let Some(u) = filter.user_id.as_deref().filter(|_| field != "u") {
                    q.push(" AND p.user_id = ").push_bind(u);
                }
                if let Some(n) = filter.unit.as_deref().filter(|_| field == "p" || field == "u") {
                    q.push(" AND p.unit = ").push_bind(n);
                }
                if let Some(from) = filter.from {
                    q.push(" AND i.occurred_at >= ").push_bind(from);
                }
                if let Some(to) = filter.to {
                    q.push(" AND i.occurred_at < ").push_bind(to);
                }
                q.push(" ORDER BY i.occurred_at DESC, i.idx DESC LIMIT ").push_bind(to_i64(want as u64));
                q.build_query_as().fetch_all(c).await?
            });
            best.extend(found);
            best.sort_unstable_by(|a, b| b.cmp(a));
            best.truncate(want);
        }
        let page: Vec<i64> =
            best.iter().skip(usize::try_from(offset).unwrap_or(usize::MAX)).map(|(_, idx)| *idx).collect();
        if page.is_empty() {
            return Ok(Vec::new());
        }
        let mut rows: Vec<(i64, i64, String, Option<String>)> = read!(self, |c| {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT idx, occurred_at, event_json, openings FROM access_payloads WHERE org_id = ",
            );
            q.push_bind(org_id).push(" AND idx IN (");
            let mut list = q.separated(", ");
            for idx in &page {
                list.push_bind(*idx);
            }
            q.push(")");
            q.build_query_as().fetch_all(c).await?
        });
        rows.sort_unstable_by_key(|r| std::cmp::Reverse((r.1, r.0)));
        rows.into_iter()
            .map(|(idx, occurred_at, event_json, openings)| {
                Ok(EventRow { index: to_u64(idx)?, occurred_at, event_json, openings })
            })
            .collect()
    }

    /// Adds up to `limit` stored events to the search index, never past the end of a segment,
    /// sorted by key so that each index page is written once per batch. Returns how many were
    /// indexed (0 when it is up to date, or when another indexer got there first). An index
    /// ahead of the log (the database was replaced under it) is emptied and built again.
    pub async fn access_index_more(&self, limit: u32) -> StoreResult<u64> {
        type Row = (i64, i64, i64, String, String, String);
        let next = to_i64(self.access_indexed_until().await?);
        let size = to_i64(self.access_log_size().await?);
        if next > size {
            search_tx!(self, |tx| {
                for sql in [
                    "DELETE FROM access_index",
                    "DELETE FROM access_index_segments",
                    "UPDATE access_index_state SET next_idx = 0 WHERE id = 1",
                ] {
                    sqlx::query(sql).execute(&mut *tx).await?;
                }
            });
            return Ok(0);
        }
        let seg = next / SEGMENT;
        let until = size.min(next + i64::from(limit)).min((seg + 1) * SEGMENT);
        if until <= next {
            return Ok(0);
        }
        let events: Vec<Row> = read!(self, |c| sqlx::query_as(
            "SELECT idx, org_id, occurred_at, patient_id, user_id, unit FROM access_payloads \
             WHERE idx >= $1 AND idx < $2"
        )
        .bind(next)
        .bind(until)
        .fetch_all(c)
        .await?);
        let mut keys: Vec<(i64, &str, &str, i64, i64)> = Vec::with_capacity(events.len() * 4);
        let mut spans: std::collections::BTreeMap<i64, (i64, i64)> = std::collections::BTreeMap::new();
        let events: Vec<(i64, Beside)> = events
            .into_iter()
            .map(|(idx, org, occurred_at, patient_id, user_id, unit)| {
                (idx, Beside { org_id: OrgId(org), occurred_at, patient_id, user_id, unit })
            })
            .collect();
        for (idx, beside) in &events {
            let (org, at) = (&beside.org_id.0, &beside.occurred_at);
            keys.extend(beside.index_rows().map(|(field, value)| (*org, field, value, *at, *idx)));
            let span = spans.entry(*org).or_insert((*at, *at));
            *span = (span.0.min(*at), span.1.max(*at));
        }
        keys.sort_unstable();
        let done = search_tx!(self, |tx| {
            let claimed = sqlx::query("UPDATE access_index_state SET next_idx = $1 WHERE id = 1 AND next_idx = $2")
                .bind(until)
                .bind(next)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if claimed != 1 {
                return Ok(0);
            }
            for chunk in keys.chunks(ROWS_PER_INSERT) {
                let mut q =
                    sqlx::QueryBuilder::new("INSERT INTO access_index (org_id, seg, field, value, occurred_at, idx) ");
                q.push_values(chunk, |mut row, (org, field, value, at, idx)| {
                    row.push_bind(*org)
                        .push_bind(seg)
                        .push_bind(*field)
                        .push_bind(*value)
                        .push_bind(*at)
                        .push_bind(*idx);
                });
                q.build().execute(&mut *tx).await?;
            }
            for (org, (first, last)) in &spans {
                sqlx::query(
                    "INSERT INTO access_index_segments (org_id, seg, first_at, last_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (org_id, seg) DO UPDATE SET \
                     first_at = CASE WHEN excluded.first_at < access_index_segments.first_at \
                         THEN excluded.first_at ELSE access_index_segments.first_at END, \
                     last_at = CASE WHEN excluded.last_at > access_index_segments.last_at \
                         THEN excluded.last_at ELSE access_index_segments.last_at END",
                )
                .bind(org)
                .bind(seg)
                .bind(first)
                .bind(last)
                .execute(&mut *tx)
                .await?;
            }
            until - next
        });
        to_u64(done)
    }

    /// The whole search index as digests under `key` (see [`IndexScan`]), from one snapshot.
    /// Reads every row once, in the order stored (SQLite: in place on a blocking thread;
    /// PostgreSQL: one binary COPY).
    pub async fn access_index_scan(&self, key: std::hash::RandomState, below: u64) -> StoreResult<IndexScan> {
        let below = to_i64(below);
        match &self.pools {
            crate::db::Pools::Sqlite { path, .. } => {
                let path = crate::db::search_file(path);
                tokio::task::spawn_blocking(move || sqlite_index_scan(&path, &key, below))
                    .await
                    .map_err(|e| StoreError::Corrupt(format!("reading the search index stopped: {e}")))?
            }
            crate::db::Pools::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").execute(&mut *tx).await?;
                let mark: i64 = sqlx::query_scalar("SELECT next_idx FROM access_index_state WHERE id = 1")
                    .fetch_one(&mut *tx)
                    .await?;
                let spans: Vec<(i64, i64, i64, i64)> =
                    sqlx::query_as("SELECT org_id, seg, first_at, last_at FROM access_index_segments")
                        .fetch_all(&mut *tx)
                        .await?;
                let rows = copy_out(
                    &mut tx,
                    "COPY (SELECT org_id, seg, field, value, occurred_at, idx FROM access_index) TO STDOUT (FORMAT binary)",
                )
                .await?;
                tx.rollback().await?;
                let mut scan = IndexScan { mark, below, ..IndexScan::default() };
                scan.spans = spans.into_iter().map(|(o, g, a, b)| ((OrgId(o), g), (a, b))).collect();
                let bad = || StoreError::Corrupt("an index row read by COPY is malformed".into());
                let int = |f: Option<&[u8]>| f.and_then(|b| <[u8; 8]>::try_from(b).ok()).map(i64::from_be_bytes);
                copy_binary_rows(&rows, |[org, seg, field, value, at, idx]| {
                    let (org, seg, at, idx) = (int(org), int(seg), int(at), int(idx));
                    let (Some(org), Some(seg), Some(at), Some(idx)) = (org, seg, at, idx) else { return Err(bad()) };
                    let (Some(field), Some(value)) = (utf8(field).map(str::trim_end), utf8(value)) else {
                        return Err(bad());
                    };
                    scan.take(&key, OrgId(org), seg, field, value, at, idx);
                    Ok(())
                })?;
                scan.flush();
                Ok(scan)
            }
        }
    }

    /// The rows of one organisation's segment of the search index, by event, for naming what
    /// differs once a digest has.
    pub async fn access_index_rows(&self, org_id: OrgId, seg: i64) -> StoreResult<Vec<IndexRow>> {
        let rows: Vec<(i64, String, String, i64)> = read!(self, |c| sqlx::query_as(
            "SELECT idx, field, value, occurred_at FROM access_index WHERE org_id = $1 AND seg = $2"
        )
        .bind(org_id)
        .bind(seg)
        .fetch_all(c)
        .await?);
        let mut rows: Vec<IndexRow> = rows
            .into_iter()
            .map(|(idx, field, value, occurred_at)| IndexRow {
                idx,
                field: field.trim_end().to_string(),
                value,
                occurred_at,
            })
            .collect();
        rows.sort_unstable();
        Ok(rows)
    }

    /// Records a check of the log.
    pub async fn record_access_verification(&self, v: &Verification) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO access_verifications (started_at, finished_at, cause, leaves, outcome, bad_index, message) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(v.started_at)
            .bind(v.finished_at)
            .bind(&v.cause)
            .bind(to_i64(v.leaves))
            .bind(&v.outcome)
            .bind(v.bad_index.map(to_i64))
            .bind(&v.message)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// The latest check of the log, if any.
    pub async fn last_access_verification(&self) -> StoreResult<Option<Verification>> {
        type Row = (i64, i64, String, i64, String, Option<i64>, Option<String>);
        let row: Option<Row> = read!(self, |c| sqlx::query_as(
            "SELECT started_at, finished_at, cause, leaves, outcome, bad_index, message FROM access_verifications \
             ORDER BY id DESC LIMIT 1"
        )
        .fetch_optional(c)
        .await?);
        row.map(|(started_at, finished_at, cause, leaves, outcome, bad_index, message)| {
            Ok(Verification {
                started_at,
                finished_at,
                cause,
                leaves: to_u64(leaves)?,
                outcome,
                bad_index: bad_index.map(to_u64).transpose()?,
                message,
            })
        })
        .transpose()
    }

    /// Every event below this index is in the search index.
    pub async fn access_indexed_until(&self) -> StoreResult<u64> {
        let next: i64 = read!(self, |c| sqlx::query_scalar("SELECT next_idx FROM access_index_state WHERE id = 1")
            .fetch_one(c)
            .await?);
        to_u64(next)
    }

    /// The latest signed checkpoint, if any.
    pub async fn access_log_head(&self) -> StoreResult<Option<StoredCheckpoint>> {
        let row: Option<(i64, Vec<u8>, String, i64)> = read!(self, |c| sqlx::query_as(
            "SELECT size, root, note, signed_at FROM access_checkpoints ORDER BY size DESC LIMIT 1"
        )
        .fetch_optional(c)
        .await?);
        row.map(checkpoint).transpose()
    }

    /// Up to `limit` checkpoints of more than `after` leaves, smallest first.
    pub async fn access_checkpoints(&self, after: u64, limit: u32) -> StoreResult<Vec<StoredCheckpoint>> {
        let rows: Vec<(i64, Vec<u8>, String, i64)> = read!(self, |c| sqlx::query_as(
            "SELECT size, root, note, signed_at FROM access_checkpoints WHERE size > $1 ORDER BY size LIMIT $2"
        )
        .bind(to_i64(after))
        .bind(i64::from(limit))
        .fetch_all(c)
        .await?);
        rows.into_iter().map(checkpoint).collect()
    }

    /// The partial tile of each level at the latest checkpoint, lowest level first.
    pub async fn access_edge(&self) -> StoreResult<Vec<Vec<Hash>>> {
        let rows: Vec<(i16, Vec<u8>)> =
            read!(self, |c| sqlx::query_as("SELECT level, hashes FROM access_edge ORDER BY level")
                .fetch_all(c)
                .await?);
        let mut levels: Vec<Vec<Hash>> = Vec::new();
        for (level, bytes) in rows {
            let level = usize::try_from(level).map_err(|_| StoreError::Corrupt("negative tile level".into()))?;
            levels.resize(levels.len().max(level + 1), Vec::new());
            levels[level] = hashes(&bytes)?;
        }
        Ok(levels)
    }

    /// Stores what one integration produced: the tiles it completed, the new edge, and the
    /// checkpoint signed over them, in one transaction. Refused when the head is no longer at
    /// `previous_size` (another integrator got there first), so checkpoints never fork.
    pub async fn access_integrate(
        &self,
        previous_size: u64,
        tiles: &[FullTile],
        edge: &[Vec<Hash>],
        checkpoint: &StoredCheckpoint,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            if matches!(self.engine(), crate::Engine::Postgres) {
                sqlx::query("LOCK TABLE access_checkpoints IN EXCLUSIVE MODE").execute(&mut *tx).await?;
            }
            let head: i64 =
                sqlx::query_scalar("SELECT COALESCE(MAX(size), 0) FROM access_checkpoints").fetch_one(&mut *tx).await?;
            if head != to_i64(previous_size) {
                return Err(StoreError::Conflict(format!(
                    "the log head moved from {previous_size} to {head} during integration"
                )));
            }
            for chunk in tiles.chunks(ROWS_PER_INSERT) {
                let mut q = sqlx::QueryBuilder::new("INSERT INTO access_tiles (level, idx, hashes) ");
                q.push_values(chunk, |mut row, t| {
                    row.push_bind(i16::from(t.level)).push_bind(to_i64(t.index)).push_bind(t.hashes.concat());
                });
                q.build().execute(&mut *tx).await?;
            }
            sqlx::query("DELETE FROM access_edge").execute(&mut *tx).await?;
            for (level, partial) in edge.iter().enumerate().filter(|(_, p)| !p.is_empty()) {
                let index = (checkpoint.size >> (8 * level as u32)) / 256;
                sqlx::query("INSERT INTO access_edge (level, idx, hashes) VALUES ($1, $2, $3)")
                    .bind(level as i16)
                    .bind(to_i64(index))
                    .bind(partial.concat())
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("INSERT INTO access_checkpoints (size, root, note, signed_at) VALUES ($1, $2, $3, $4)")
                .bind(to_i64(checkpoint.size))
                .bind(checkpoint.root.as_slice())
                .bind(&checkpoint.note)
                .bind(checkpoint.signed_at)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Tile (level, index) as wide as `width`: a stored full tile (cut to the width), or the
    /// edge's partial tile. `None` when the log has not signed that far.
    pub async fn access_tile(&self, level: u8, index: u64, width: u16) -> StoreResult<Option<Vec<Hash>>> {
        let full: Option<Vec<u8>> =
            read!(self, |c| sqlx::query_scalar("SELECT hashes FROM access_tiles WHERE level = $1 AND idx = $2")
                .bind(i16::from(level))
                .bind(to_i64(index))
                .fetch_optional(c)
                .await?);
        let found = match full {
            Some(bytes) => Some(hashes(&bytes)?),
            None => {
                let edge: Option<Vec<u8>> =
                    read!(self, |c| sqlx::query_scalar("SELECT hashes FROM access_edge WHERE level = $1 AND idx = $2")
                        .bind(i16::from(level))
                        .bind(to_i64(index))
                        .fetch_optional(c)
                        .await?);
                edge.map(|b| hashes(&b)).transpose()?
            }
        };
        Ok(found.filter(|h| h.len() >= usize::from(width)).map(|mut h| {
            h.truncate(usize::from(width));
            h
        }))
    }

    /// The full tiles of `level` with indexes `from..to`, in order.
    pub async fn access_full_tiles(&self, level: u8, from: u64, to: u64) -> StoreResult<Vec<(u64, Vec<Hash>)>> {
        let rows: Vec<(i64, Vec<u8>)> = read!(self, |c| sqlx::query_as(
            "SELECT idx, hashes FROM access_tiles WHERE level = $1 AND idx >= $2 AND idx < $3 ORDER BY idx"
        )
        .bind(i16::from(level))
        .bind(to_i64(from))
        .bind(to_i64(to))
        .fetch_all(c)
        .await?);
        rows.into_iter().map(|(i, b)| Ok((to_u64(i)?, hashes(&b)?))).collect()
    }

    /// The tiles a proof needs, as listed by `tlog::tile::tiles_for`, in one query: the full
    /// ones, and where a tile is not full yet, the edge's partial one.
    pub async fn access_tiles(&self, wanted: &[(u8, u64, u16)]) -> StoreResult<Tiles> {
        let mut tiles = Tiles::new();
        if wanted.is_empty() {
            return Ok(tiles);
        }
        let rows: Vec<(i16, i64, Vec<u8>, i32)> = read!(self, |c| {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT level, idx, hashes, 0 AS partial FROM access_tiles WHERE (level, idx) IN ",
            );
            q.push_tuples(wanted, |mut t, &(level, index, _)| {
                t.push_bind(i16::from(level)).push_bind(to_i64(index));
            });
            q.push(" UNION ALL SELECT level, idx, hashes, 1 FROM access_edge WHERE (level, idx) IN ");
            q.push_tuples(wanted, |mut t, &(level, index, _)| {
                t.push_bind(i16::from(level)).push_bind(to_i64(index));
            });
            q.push(" ORDER BY partial");
            q.build_query_as().fetch_all(c).await?
        });
        for (level, index, bytes, _) in rows {
            let level = u8::try_from(level).map_err(|_| StoreError::Corrupt("bad tile level".into()))?;
            tiles.entry((level, to_u64(index)?)).or_insert(hashes(&bytes)?);
        }
        // Each tile as wide as asked, so a proof never uses hashes beyond its tree size.
        for &(level, index, width) in wanted {
            if let Some(h) = tiles.get_mut(&(level, index)) {
                if h.len() < usize::from(width) {
                    tiles.remove(&(level, index));
                } else {
                    h.truncate(usize::from(width));
                }
            }
        }
        Ok(tiles)
    }

    /// Every organisation with events in the log.
    pub async fn access_log_orgs(&self) -> StoreResult<Vec<OrgId>> {
        Ok(read!(self, |c| sqlx::query_scalar("SELECT DISTINCT org_id FROM access_leaves ORDER BY org_id")
            .fetch_all(c)
            .await?))
    }
}

/// The whole output of a `COPY … TO STDOUT` statement.
async fn copy_out(conn: &mut sqlx::PgConnection, sql: &str) -> StoreResult<Vec<u8>> {
    use futures_util::StreamExt;
    let mut stream = conn.copy_out_raw(sql).await?;
    let mut data = Vec::new();
    while let Some(part) = stream.next().await {
        data.extend_from_slice(&part?);
    }
    Ok(data)
}

/// Calls `row` with each row's fields (`None` for NULL) of a PostgreSQL binary COPY stream of
/// `N` columns.
fn copy_binary_rows<'a, const N: usize>(
    data: &'a [u8],
    mut row: impl FnMut([Option<&'a [u8]>; N]) -> StoreResult<()>,
) -> StoreResult<()> {
    let bad = || StoreError::Corrupt("a COPY stream from PostgreSQL is malformed".into());
    fn take<'a>(data: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        let (head, tail) = (data.get(..n)?, data.get(n..)?);
        *data = tail;
        Some(head)
    }
    let mut rest = data.strip_prefix(b"PGCOPY\n\xff\r\n\0".as_slice()).ok_or_else(bad)?;
    let header = take(&mut rest, 8).ok_or_else(bad)?;
    let extension = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
    take(&mut rest, usize::try_from(extension).map_err(|_| bad())?).ok_or_else(bad)?;
    loop {
        let count = take(&mut rest, 2).ok_or_else(bad)?;
        match i16::from_be_bytes([count[0], count[1]]) {
            -1 => return Ok(()),
            n if usize::try_from(n).ok() == Some(N) => {}
            _ => return Err(bad()),
        }
        let mut fields = [None; N];
        for field in &mut fields {
            let len = take(&mut rest, 4).ok_or_else(bad)?;
            let len = i32::from_be_bytes([len[0], len[1], len[2], len[3]]);
            if let Ok(len) = usize::try_from(len) {
                *field = Some(take(&mut rest, len).ok_or_else(bad)?);
            }
        }
        row(fields)?;
    }
}

/// The columns of a leaf joined with its payload, as [`EntryRow`] reads them.
const ENTRY_COLUMNS: &str =
    "l.idx, l.org_id, l.leaf_hash, l.salt, p.event_json, p.org_id, p.occurred_at, p.patient_id, p.user_id, p.unit, \
     p.openings";

/// A leaf and its payload: index, organisation, leaf hash, salt, then the payload's event,
/// organisation, time, patient, user, unit and openings (NULL where retired).
type EntryRow = (
    i64,
    i64,
    Vec<u8>,
    Vec<u8>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn entry(
    (idx, org_id, leaf_hash, salt, event_json, payload_org, occurred_at, patient_id, user_id, unit, openings): EntryRow,
) -> StoreResult<StoredEntry> {
    let beside = match (payload_org, occurred_at, patient_id, user_id, unit) {
        (Some(org), Some(occurred_at), Some(patient_id), Some(user_id), Some(unit)) => {
            Some(Beside { org_id: OrgId(org), occurred_at, patient_id, user_id, unit })
        }
        _ => None,
    };
    Ok(StoredEntry {
        index: to_u64(idx)?,
        org_id: OrgId(org_id),
        leaf_hash: hash(&leaf_hash)?,
        salt: <[u8; 16]>::try_from(salt.as_slice())
            .map_err(|_| StoreError::Corrupt("a stored salt is not 16 bytes".into()))?,
        event_json,
        beside,
        openings,
    })
}

fn checkpoint((size, root, note, signed_at): (i64, Vec<u8>, String, i64)) -> StoreResult<StoredCheckpoint> {
    Ok(StoredCheckpoint { size: to_u64(size)?, root: hash(&root)?, note, signed_at })
}

/// An organisation's authorisation of another to log accesses for it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Delegation {
    pub id: i64,
    /// The organisation whose events are logged.
    pub org_id: OrgId,
    pub org_name: String,
    pub org_number: String,
    /// The organisation that may log them.
    pub delegate_org_id: OrgId,
    pub delegate_name: String,
    pub delegate_number: String,
    pub granted_at: i64,
    pub granted_by: Option<String>,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
}

const DELEGATIONS: &str = "SELECT d.id, d.org_id, o.name AS org_name, o.org_number, d.delegate_org_id, \
     g.name AS delegate_name, g.org_number AS delegate_number, d.granted_at, ug.display_name AS granted_by, \
     d.revoked_at, ur.display_name AS revoked_by FROM access_log_delegations d \
     JOIN orgs o ON o.id = d.org_id JOIN orgs g ON g.id = d.delegate_org_id \
     LEFT JOIN users ug ON ug.id = d.granted_by LEFT JOIN users ur ON ur.id = d.revoked_by";

impl Store {
    /// Lets the organisation numbered `delegate_number` log accesses for `org_id`, from `now`.
    pub async fn grant_log_delegation(
        &self,
        org_id: OrgId,
        delegate_number: &str,
        by: Option<i64>,
        now: i64,
    ) -> StoreResult<Delegation> {
        let id: i64 = write_tx!(self, |tx| {
            let delegate: Option<i64> = sqlx::query_scalar("SELECT id FROM orgs WHERE org_number = $1")
                .bind(delegate_number)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(delegate) = delegate else {
                return Err(StoreError::Rejected(Rejection::NoOrgNumbered(delegate_number.to_string())));
            };
            if delegate == org_id.0 {
                return Err(StoreError::Rejected(Rejection::DelegateIsSelf));
            }
            let active: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM access_log_delegations WHERE org_id = $1 AND delegate_org_id = $2 AND revoked_at IS NULL",
            )
            .bind(org_id)
            .bind(delegate)
            .fetch_optional(&mut *tx)
            .await?;
            if active.is_some() {
                return Err(StoreError::Rejected(Rejection::AlreadyDelegated));
            }
            sqlx::query_scalar(
                "INSERT INTO access_log_delegations (org_id, delegate_org_id, granted_by, granted_at) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(org_id)
            .bind(delegate)
            .bind(by)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
        });
        let sql = format!("{DELEGATIONS} WHERE d.id = $1");
        Ok(read!(self, |c| sqlx::query_as::<_, Delegation>(&sql).bind(id).fetch_one(c).await?))
    }

    /// Ends an authorisation `org_id` granted; "not found" if it has none by that id in force.
    pub async fn revoke_log_delegation(&self, org_id: OrgId, id: i64, by: Option<i64>, now: i64) -> StoreResult<()> {
        let changed = write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE access_log_delegations SET revoked_at = $1, revoked_by = $2 \
                 WHERE id = $3 AND org_id = $4 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(by)
            .bind(id)
            .bind(org_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Every authorisation `org_id` granted or was given, in force or ended, newest first.
    pub async fn log_delegations(&self, org_id: OrgId) -> StoreResult<Vec<Delegation>> {
        let sql = format!(
            "{DELEGATIONS} WHERE d.org_id = $1 OR d.delegate_org_id = $1 ORDER BY d.granted_at DESC, d.id DESC"
        );
        Ok(read!(self, |c| sqlx::query_as::<_, Delegation>(&sql).bind(org_id).fetch_all(c).await?))
    }

    /// The organisations `delegate` logs for now: their numbers and ids.
    pub async fn log_delegators(&self, delegate: OrgId) -> StoreResult<Vec<(String, OrgId)>> {
        let rows: Vec<(String, i64)> = read!(self, |c| {
            sqlx::query_as(
                "SELECT o.org_number, o.id FROM access_log_delegations d JOIN orgs o ON o.id = d.org_id \
                 WHERE d.delegate_org_id = $1 AND d.revoked_at IS NULL",
            )
            .bind(delegate)
            .fetch_all(c)
            .await?
        });
        Ok(rows.into_iter().map(|(n, id)| (n, OrgId(id))).collect())
    }
}

/// One retired event: its log index, whose it was, and the log index of the retirement entry
/// that covers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retired {
    pub index: u64,
    pub org_id: OrgId,
    pub entry_index: u64,
}

/// At most this many values bound in one statement (SQLite allows 32,766).
const BINDS_PER_STATEMENT: usize = 30_000;

impl Store {
    /// Sets how many days `org_id` keeps its events' payloads (`None`: keep them); every
    /// setting is kept.
    pub async fn set_access_retention(
        &self,
        org_id: OrgId,
        keep_days: Option<i64>,
        by: Option<i64>,
        now: i64,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("INSERT INTO access_log_retention (org_id, keep_days, set_by, set_at) VALUES ($1, $2, $3, $4)")
                .bind(org_id)
                .bind(keep_days)
                .bind(by)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// How many days `org_id` keeps its events' payloads now, and since when (`None`: kept).
    pub async fn access_retention(&self, org_id: OrgId) -> StoreResult<Option<(Option<i64>, i64)>> {
        Ok(read!(self, |c| {
            sqlx::query_as(
                "SELECT keep_days, set_at FROM access_log_retention WHERE org_id = $1 ORDER BY id DESC LIMIT 1",
            )
            .bind(org_id)
            .fetch_optional(c)
            .await?
        }))
    }

    /// The organisations whose retention is a number of days, with it.
    pub async fn access_retentions(&self) -> StoreResult<Vec<(OrgId, i64)>> {
        let rows: Vec<(i64, i64)> = read!(self, |c| {
            sqlx::query_as(
                "SELECT r.org_id, r.keep_days FROM access_log_retention r \
                 WHERE r.id = (SELECT MAX(id) FROM access_log_retention x WHERE x.org_id = r.org_id) \
                 AND r.keep_days IS NOT NULL",
            )
            .fetch_all(c)
            .await?
        });
        Ok(rows.into_iter().map(|(org, days)| (OrgId(org), days)).collect())
    }

    /// Up to `limit` of `org_id`'s events below log index `below` that occurred and were
    /// received before `before` (an event sent late is kept as long from its arrival) and still
    /// have their payload, by log index (retirement entries, which name no patient,
    /// are never among them).
    pub async fn access_expired(&self, org_id: OrgId, before: i64, below: u64, limit: u32) -> StoreResult<Vec<u64>> {
        let rows: Vec<i64> = read!(self, |c| {
            sqlx::query_scalar(
                "SELECT p.idx FROM access_payloads p JOIN access_leaves l ON l.idx = p.idx \
                 WHERE p.org_id = $1 AND p.occurred_at < $2 AND l.received_at < $2 AND p.patient_id <> '' \
                 AND p.idx < $3 ORDER BY p.idx LIMIT $4",
            )
            .bind(org_id)
            .bind(before)
            .bind(to_i64(below))
            .bind(i64::from(limit))
            .fetch_all(c)
            .await?
        });
        rows.into_iter().map(to_u64).collect()
    }

    /// Retires `indexes` (ascending, all `org_id`'s) in one transaction: appends `entry` (the
    /// retirement's leaf, in `org_id`'s view) and records which events it covers, then deletes
    /// their payloads. If any was retired already (another instance got there first), nothing
    /// changes. Returns the entry's log index; the search index is cleared after, by
    /// [`Store::clear_retired_index`].
    pub async fn retire_access_events(
        &self,
        org_id: OrgId,
        indexes: &[u64],
        entry: &NewAccessEvent,
        now: i64,
    ) -> StoreResult<u64> {
        let idxs: Vec<i64> = indexes.iter().map(|&i| to_i64(i)).collect();
        let entry_idx = write_tx!(self, |tx| {
            lock_leaves!(self, tx);
            let at: i64 =
                sqlx::query_scalar("SELECT COALESCE(MAX(idx) + 1, 0) FROM access_leaves").fetch_one(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO access_leaves (idx, org_id, leaf_hash, salt, received_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(at)
            .bind(entry.org_id)
            .bind(entry.leaf_hash.as_slice())
            .bind(entry.salt.as_slice())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO access_payloads (idx, org_id, occurred_at, patient_id, user_id, unit, event_json) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(at)
            .bind(entry.org_id)
            .bind(entry.occurred_at)
            .bind(entry.patient_id.as_str())
            .bind(entry.user_id.as_str())
            .bind(entry.unit.as_str())
            .bind(entry.event_json.as_str())
            .execute(&mut *tx)
            .await?;
            sqlx::query("INSERT INTO access_retirements (entry_idx, org_id, count) VALUES ($1, $2, $3)")
                .bind(at)
                .bind(org_id)
                .bind(to_i64(idxs.len() as u64))
                .execute(&mut *tx)
                .await?;
            let mut deleted = 0;
            for chunk in idxs.chunks(ROWS_PER_INSERT) {
                let mut q = sqlx::QueryBuilder::new("INSERT INTO access_retired (idx, org_id, entry_idx) ");
                q.push_values(chunk, |mut row, idx| {
                    row.push_bind(*idx).push_bind(org_id).push_bind(at);
                });
                q.build().execute(&mut *tx).await?;
                let mut q = sqlx::QueryBuilder::new("DELETE FROM access_payloads WHERE org_id = ");
                q.push_bind(org_id).push(" AND patient_id <> '' AND idx IN (");
                let mut list = q.separated(", ");
                for idx in chunk {
                    list.push_bind(*idx);
                }
                q.push(")");
                deleted += q.build().execute(&mut *tx).await?.rows_affected();
            }
            if deleted != idxs.len() as u64 {
                return Err(StoreError::Conflict("some of these events were retired already".into()));
            }
            at
        });
        to_u64(entry_idx)
    }

    /// Removes retired events' rows from the search index, for every retirement whose rows are
    /// still there, and narrows (or drops) the segments' spans of times to the events left.
    /// Returns how many retirements it cleared.
    pub async fn clear_retired_index(&self, now: i64) -> StoreResult<u64> {
        let pending: Vec<(i64, i64)> = read!(self, |c| {
            sqlx::query_as(
                "SELECT entry_idx, org_id FROM access_retirements WHERE index_cleared_at IS NULL ORDER BY entry_idx",
            )
            .fetch_all(c)
            .await?
        });
        for (entry_idx, org) in &pending {
            let idxs: Vec<i64> = read!(self, |c| {
                sqlx::query_scalar("SELECT idx FROM access_retired WHERE entry_idx = $1 ORDER BY idx")
                    .bind(entry_idx)
                    .fetch_all(c)
                    .await?
            });
            let mut by_segment: std::collections::BTreeMap<i64, Vec<i64>> = std::collections::BTreeMap::new();
            for idx in idxs {
                by_segment.entry(idx / SEGMENT).or_default().push(idx);
            }
            search_tx!(self, |tx| {
                for (seg, idxs) in &by_segment {
                    for chunk in idxs.chunks(BINDS_PER_STATEMENT) {
                        let mut q = sqlx::QueryBuilder::new("DELETE FROM access_index WHERE org_id = ");
                        q.push_bind(org).push(" AND seg = ").push_bind(seg).push(" AND idx IN (");
                        let mut list = q.separated(", ");
                        for idx in chunk {
                            list.push_bind(*idx);
                        }
                        q.push(")");
                        q.build().execute(&mut *tx).await?;
                    }
                    sqlx::query(
                        "UPDATE access_index_segments SET \
                         first_at = (SELECT MIN(occurred_at) FROM access_index i WHERE i.org_id = $1 AND i.seg = $2), \
                         last_at = (SELECT MAX(occurred_at) FROM access_index i WHERE i.org_id = $1 AND i.seg = $2) \
                         WHERE org_id = $1 AND seg = $2 AND EXISTS \
                         (SELECT 1 FROM access_index i WHERE i.org_id = $1 AND i.seg = $2)",
                    )
                    .bind(org)
                    .bind(seg)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "DELETE FROM access_index_segments WHERE org_id = $1 AND seg = $2 AND NOT EXISTS \
                         (SELECT 1 FROM access_index i WHERE i.org_id = $1 AND i.seg = $2)",
                    )
                    .bind(org)
                    .bind(seg)
                    .execute(&mut *tx)
                    .await?;
                }
            });
            write_tx!(self, |tx| {
                sqlx::query("UPDATE access_retirements SET index_cleared_at = $1 WHERE entry_idx = $2")
                    .bind(now)
                    .bind(entry_idx)
                    .execute(&mut *tx)
                    .await?;
            });
        }
        Ok(pending.len() as u64)
    }

    /// The retired events among log indexes `from..to`, ascending.
    pub async fn access_retired_in(&self, from: u64, to: u64) -> StoreResult<Vec<Retired>> {
        let rows: Vec<(i64, i64, i64)> = read!(self, |c| {
            sqlx::query_as(
                "SELECT idx, org_id, entry_idx FROM access_retired WHERE idx >= $1 AND idx < $2 ORDER BY idx",
            )
            .bind(to_i64(from))
            .bind(to_i64(to))
            .fetch_all(c)
            .await?
        });
        rows.into_iter()
            .map(|(idx, org, entry)| {
                Ok(Retired { index: to_u64(idx)?, org_id: OrgId(org), entry_index: to_u64(entry)? })
            })
            .collect()
    }

    /// How many of `org_id`'s events have been retired, and the latest retirement's time.
    pub async fn access_retired_count(&self, org_id: OrgId) -> StoreResult<(i64, Option<i64>)> {
        Ok(read!(self, |c| {
            sqlx::query_as(
                "SELECT CAST(COALESCE(SUM(r.count), 0) AS BIGINT), MAX(l.received_at) FROM access_retirements r \
                 JOIN access_leaves l ON l.idx = r.entry_idx WHERE r.org_id = $1",
            )
            .bind(org_id)
            .fetch_one(c)
            .await?
        }))
    }
}
