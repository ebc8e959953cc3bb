//! Verification of the whole log from what is stored: every leaf hash from its event, every
//! value stored beside an event against the event, the search index against the events in both
//! directions, the tree rebuilt and every stored full tile and checkpoint checked against it.

use super::{consistency_proof, open_event, retirement_cutoff, retirement_signed, seconds, tampered, LogError};
use normverk_core::access_log::{Retirement, RetirementEntry, RETIREMENT_PREFIX};
use normverk_store::access_log::{
    segment_of, Beside, IndexDigest, IndexRow, IndexScan, Retired, StoredCheckpoint, StoredEntry, Verification,
};
use normverk_store::{OrgId, Store};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::hash::RandomState;
use std::sync::Arc;
use tlog::checkpoint::Checkpoint;
use tlog::merkle::{leaf_hash_of_parts, verify_consistency};
use tlog::note::Verifier;
use tlog::tile::FullTile;
use tlog::Hash;

/// Leaves read, hashed and checked per step of `verify`.
const VERIFY_CHUNK: u64 = 16 * 1024;
/// Steps of `verify` read and hashed ahead while one is checked (with two, checking waited).
const VERIFY_AHEAD: u64 = 3;

/// What a full verification found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verified {
    pub leaves: u64,
    pub checkpoints: u64,
    pub head: Option<(u64, Hash)>,
    /// Events whose rows in the search index were checked (those the indexer had reached).
    pub indexed: u64,
    /// Events retired by retention: their payloads gone, each covered by a retirement entry
    /// whose count and digest of indexes were checked.
    pub retired: u64,
}

/// What a verification found, as it is recorded: `cause` started it at `started_at`.
pub fn verification(
    cause: &str,
    started_at: i64,
    finished_at: i64,
    result: &Result<Verified, LogError>,
) -> Verification {
    let (leaves, outcome, bad_index, message) = match result {
        Ok(v) => (v.leaves, "ok", None, None),
        Err(LogError::Tampered { index, message }) => (0, "tampered", *index, Some(message.clone())),
        Err(e) => (0, "failed", None, Some(e.to_string())),
    };
    Verification {
        started_at,
        finished_at,
        cause: cause.to_string(),
        leaves,
        outcome: outcome.to_string(),
        bad_index,
        message,
    }
}

/// The fields stored beside an event, as their keys open in its JSON.
#[derive(Clone, Copy)]
enum Key {
    OrgNumber,
    OccurredAt,
    PatientId,
    UserId,
    Unit,
}

const KEYS: [&str; 5] =
    ["\"org_number\":\"", "\"occurred_at\":\"", "\"patient_id\":\"", "\"user_id\":\"", "\"unit\":\""];

/// The value of string field `key` in an event's canonical JSON, unescaped. The JSON is the
/// one whose leaf hash was just checked, so it is this program's RFC 8785 output: each key once,
/// and a quote inside a string always escaped, so `"key":"` can only be the key itself. Reading
/// the five fields this way instead of parsing the whole event is what keeps verify fast.
fn field<'a>(json: &'a str, key: Key) -> Option<Cow<'a, str>> {
    static FINDERS: std::sync::LazyLock<Vec<memchr::memmem::Finder<'static>>> = std::sync::LazyLock::new(|| {
        KEYS.iter().map(|k| memchr::memmem::Finder::new(k.as_bytes()).into_owned()).collect()
    });
    let finder = FINDERS.get(key as usize)?;
    let start = finder.find(json.as_bytes())? + finder.needle().len();
    let rest = &json.as_bytes()[start..];
    // The closing quote is the first one not escaped: after an even run of backslashes.
    let mut i = 0;
    let mut escaped = false;
    while let Some(&b) = rest.get(i) {
        match b {
            b'\\' => escaped = !escaped,
            b'"' if !escaped => break,
            _ => escaped = false,
        }
        i += 1;
    }
    let raw = json.get(start..start + i)?;
    if raw.contains('\\') {
        serde_json::from_str::<String>(json.get(start - 1..start + i + 1)?).ok().map(Cow::Owned)
    } else {
        Some(Cow::Borrowed(raw))
    }
}

/// What reading and checking a chunk found, off the caller's task.
struct Chunk {
    entries: Vec<StoredEntry>,
    /// The first entry that is wrong, and why.
    wrong: Option<(u64, String)>,
    /// The index rows the chunk's events must have, for the events below the indexer's mark.
    digests: BTreeMap<(OrgId, i64), Expected>,
    /// Retired events, each with the log index of the retirement said to cover it and whose the
    /// event was.
    retired: Vec<(u64, u64, OrgId)>,
    /// Retirement entries, with whose they are and what each says it retired.
    retirements: Vec<(u64, OrgId, Retirement)>,
}

/// What an entry is, once checked.
enum Checked {
    /// An event, or a retirement entry, with its payload.
    Stored(Option<Retirement>),
    /// A retired event, and the retirement that covers it.
    Retired(u64),
}

/// What an organisation's segment of the index must hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Expected {
    digest: IndexDigest,
    first_at: i64,
    last_at: i64,
}

/// Context every chunk is checked in.
struct Context {
    key: RandomState,
    /// Events below this are in the search index.
    indexed: u64,
    org_numbers: HashMap<OrgId, String>,
    /// The log's key, which signs every retirement.
    verifier: Verifier,
}

/// What an entry is, or why it is wrong: its event missing (and not retired), its leaf hash not
/// of its event, or a value stored beside it not the event's.
fn check_entry(e: &StoredEntry, cx: &Context, retired: Option<&Retired>) -> Result<Checked, String> {
    let (Some(json), Some(beside)) = (&e.event_json, &e.beside) else {
        return match retired {
            Some(r) if r.org_id == e.org_id && r.entry_index > e.index => Ok(Checked::Retired(r.entry_index)),
            _ => Err(format!("event {} is missing; its leaf is there", e.index)),
        };
    };
    if leaf_hash_of_parts(&[&e.salt, json.as_bytes()]) != e.leaf_hash {
        return Err(format!("event {} does not match its leaf hash", e.index));
    }
    let differs = |what: &str| Err(format!("the {what} stored beside event {} is not the event's", e.index));
    let org_number = cx.org_numbers.get(&e.org_id).map(String::as_str);
    if retired.is_some() {
        return Err(format!("event {} is marked retired, but it is there", e.index));
    }
    if json.starts_with(RETIREMENT_PREFIX) {
        let Some(entry) = RetirementEntry::of(json) else {
            return Err(format!("event {} is neither an access event nor a retirement", e.index));
        };
        if !retirement_signed(&cx.verifier, &entry) {
            return Err(format!("the retirement at event {} is not signed by the log's key", e.index));
        }
        let r = entry.retirement;
        let keep_days = i64::try_from(r.keep_days).unwrap_or(i64::MAX);
        if seconds(&r.before) != retirement_cutoff(seconds(&r.retired_at), keep_days) {
            return Err(format!("the retirement at event {} retired events younger than it says it keeps", e.index));
        }
        if beside.org_id != e.org_id || Some(r.org_number.as_str()) != org_number {
            return differs("organisation");
        }
        if seconds(&r.retired_at) != beside.occurred_at {
            return differs("time");
        }
        if !(beside.patient_id.is_empty() && beside.user_id.is_empty() && beside.unit.is_empty()) {
            return differs("patient");
        }
        return Ok(Checked::Stored(Some(r)));
    }
    if beside.org_id != e.org_id || field(json, Key::OrgNumber).as_deref() != org_number {
        return differs("organisation");
    }
    if field(json, Key::OccurredAt).map(|t| seconds(&t)) != Some(beside.occurred_at) {
        return differs("time");
    }
    for (what, key, stored) in [
        ("patient", Key::PatientId, &beside.patient_id),
        ("user", Key::UserId, &beside.user_id),
        ("unit", Key::Unit, &beside.unit),
    ] {
        if field(json, key).as_deref() != Some(stored.as_str()) {
            return differs(what);
        }
    }
    // A quote opens a key only: inside a string value it is escaped.
    if e.openings.is_some() || json.contains("\"sealed\":{") {
        if let Err(why) = open_event(json, e.openings.as_deref()) {
            return Err(format!("the sealed values stored beside event {} are not the event's: {why}", e.index));
        }
    }
    Ok(Checked::Stored(None))
}

/// Leaves `from..to`, each checked, with the index rows their events must have.
async fn read_checked(store: Store, cx: Arc<Context>, from: u64, to: u64) -> Result<Chunk, LogError> {
    let entries = store.scan_access_entries(from, to).await?;
    let marked: HashMap<u64, Retired> =
        store.access_retired_in(from, to).await?.into_iter().map(|r| (r.index, r)).collect();
    tokio::task::spawn_blocking(move || {
        let mut wrong = None;
        let mut digests: BTreeMap<(OrgId, i64), Expected> = BTreeMap::new();
        let mut current: Option<((OrgId, i64), Expected)> = None;
        let (mut retired, mut retirements) = (Vec::new(), Vec::new());
        for e in &entries {
            match check_entry(e, &cx, marked.get(&e.index)) {
                Err(why) => {
                    wrong = Some((e.index, why));
                    break;
                }
                Ok(Checked::Retired(entry)) => retired.push((e.index, entry, e.org_id)),
                Ok(Checked::Stored(Some(r))) => retirements.push((e.index, e.org_id, r)),
                Ok(Checked::Stored(None)) => {}
            }
            let Some(beside) = e.beside.as_ref().filter(|_| e.index < cx.indexed) else { continue };
            let at = beside.occurred_at;
            let part = (e.org_id, segment_of(e.index));
            // Events come in index order, mostly of the same organisation and segment as the last.
            if current.as_ref().is_none_or(|(p, _)| *p != part) {
                if let Some((p, x)) = current.take() {
                    merge(&mut digests, p, x);
                }
                current = Some((part, Expected { first_at: at, last_at: at, ..Expected::default() }));
            }
            let Some((_, x)) = current.as_mut() else { continue };
            for (field, value) in beside.index_rows() {
                x.digest.add(normverk_store::access_log::index_row_hash(&cx.key, field, value, at, idx(e.index)));
            }
            x.first_at = x.first_at.min(at);
            x.last_at = x.last_at.max(at);
        }
        if let Some((p, x)) = current {
            merge(&mut digests, p, x);
        }
        Chunk { entries, wrong, digests, retired, retirements }
    })
    .await
    .map_err(|e| tampered(None, e.to_string()))
}

/// Adds what one part of the log must hold to the whole.
fn merge(into: &mut BTreeMap<(OrgId, i64), Expected>, part: (OrgId, i64), x: Expected) {
    let e = into.entry(part).or_insert(Expected { first_at: x.first_at, last_at: x.last_at, ..Expected::default() });
    e.digest.rows += x.digest.rows;
    e.digest.sum = e.digest.sum.wrapping_add(x.digest.sum);
    e.first_at = e.first_at.min(x.first_at);
    e.last_at = e.last_at.max(x.last_at);
}

fn idx(index: u64) -> i64 {
    i64::try_from(index).unwrap_or(i64::MAX)
}

/// The index of the first leaf under tile (level, index).
fn first_leaf(level: u8, index: u64) -> u64 {
    index.checked_shl(8 * (u32::from(level) + 1)).unwrap_or(u64::MAX)
}

/// Verifies the whole log: every leaf hash recomputed from its event, every value stored
/// beside an event (organisation, time, patient, user, unit) compared with the event, the
/// search index compared with the events (each event under exactly its rows, no row without
/// its event, each segment's span of times), the tree rebuilt and every stored full tile
/// compared, every checkpoint's signature, origin, size and root checked against the rebuilt
/// tree, no checkpoint beyond the leaves. Reading the next chunk and checking it overlap with
/// the tree work on the current one; the index is read whole beside them. `progress` is told
/// how many leaves are done, out of how many.
pub async fn verify(
    store: &Store,
    verifier: &Verifier,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<Verified, LogError> {
    let total = store.access_log_size().await?;
    let indexed = store.access_indexed_until().await?.min(total);
    let org_numbers = store.orgs().await?.into_iter().map(|o| (o.id, o.org_number)).collect();
    let cx = Arc::new(Context { key: RandomState::new(), indexed, org_numbers, verifier: verifier.clone() });
    let index_scan = tokio::spawn({
        let (store, key) = (store.clone(), cx.key.clone());
        async move { store.access_index_scan(key, indexed).await }
    });
    let mut checkpoints = store.access_checkpoints(0, 1000).await?.into_iter().peekable();
    let mut verified = Verified { indexed, ..Verified::default() };
    let mut frontier = tlog::tile::Frontier::default();
    let mut full: Vec<FullTile> = Vec::new();
    let mut expected: BTreeMap<(OrgId, i64), Expected> = BTreeMap::new();
    // Retired events seen, by the retirement said to cover them: how many, the digest of their
    // indexes so far, the first, the last, whose.
    let mut pending: HashMap<u64, (u64, Sha256, u64, u64, OrgId)> = HashMap::new();
    // The furthest retirement beyond the checked size that an event is marked retired by.
    let mut later: Option<(u64, u64)> = None;
    // Chunks are read and checked ahead, each on a connection of its own.
    let chunk = |from: u64| {
        let to = total.min(from + VERIFY_CHUNK);
        (to > from).then(|| tokio::spawn(read_checked(store.clone(), cx.clone(), from, to)))
    };
    let mut ahead: std::collections::VecDeque<_> = (0..VERIFY_AHEAD).filter_map(|i| chunk(i * VERIFY_CHUNK)).collect();
    let mut at = 0u64;
    // Checkpoints are checked when the rebuilt tree reaches their size; sizes are above zero.
    while let Some(task) = ahead.pop_front() {
        let read = task.await.map_err(|e| tampered(None, e.to_string()))??;
        let to = total.min(at + VERIFY_CHUNK);
        ahead.extend(chunk(at + VERIFY_AHEAD * VERIFY_CHUNK));
        let mut stop = checkpoints.peek().map_or(u64::MAX, |c| c.size);
        let wrong_at = read.wrong.as_ref().map_or(u64::MAX, |(i, _)| *i);
        for entry in &read.entries {
            if entry.index != frontier.size() {
                return Err(tampered(Some(frontier.size()), format!("leaf {} is missing", frontier.size())));
            }
            if entry.index == wrong_at {
                let why = read.wrong.clone().map(|(_, why)| why).unwrap_or_default();
                return Err(tampered(Some(wrong_at), why));
            }
            frontier.push(entry.leaf_hash, &mut full);
            if frontier.size() == stop {
                while let Some(c) = checkpoints.peek().filter(|c| c.size == stop) {
                    check_checkpoint(c, verifier, &frontier.root())?;
                    verified.head = Some((c.size, c.root));
                    verified.checkpoints += 1;
                    checkpoints.next();
                    if checkpoints.peek().is_none() {
                        checkpoints = store.access_checkpoints(stop, 1000).await?.into_iter().peekable();
                    }
                }
                stop = checkpoints.peek().map_or(u64::MAX, |c| c.size);
            }
        }
        if frontier.size() < to {
            return Err(tampered(Some(frontier.size()), format!("leaf {} is missing", frontier.size())));
        }
        for (part, x) in read.digests {
            merge(&mut expected, part, x);
        }
        for &(index, entry, org) in &read.retired {
            if entry >= total {
                // Retired while this check ran: its retirement is beyond what is checked now (it
                // must be in the log by the end), and the next check checks it.
                verified.retired += 1;
                later = later.max(Some((entry, index)));
                continue;
            }
            let p = pending.entry(entry).or_insert_with(|| (0, Sha256::new(), index, index, org));
            p.0 += 1;
            p.1.update(index.to_be_bytes());
            p.3 = index;
            if p.4 != org {
                return Err(tampered(
                    Some(index),
                    format!("event {index} is marked retired by another organisation's retirement"),
                ));
            }
        }
        for (index, org, r) in &read.retirements {
            let (count, sha, first, last, whose) =
                pending.remove(index).unwrap_or_else(|| (0, Sha256::new(), 0, 0, *org));
            if count != r.count
                || super::digest_text(sha) != r.digest
                || whose != *org
                || (count > 0 && (first, last) != (r.first_index, r.last_index))
            {
                return Err(tampered(
                    Some(*index),
                    format!(
                        "the retirement at event {index} says {} events were retired, but the events marked retired under it are not those",
                        r.count
                    ),
                ));
            }
            verified.retired += count;
        }
        compare_tiles(store, &mut full, verified.head.map_or(0, |h| h.0)).await?;
        at = to;
        progress(at, total);
    }
    if let Some(c) = checkpoints.peek() {
        return Err(tampered(
            Some(total),
            format!("a checkpoint covers {} leaves, but the log holds only {total}", c.size),
        ));
    }
    if let Some((entry, index)) = later {
        if entry >= store.access_log_size().await? {
            return Err(tampered(
                Some(index),
                format!("event {index} is missing; it is marked retired by event {entry}, which is not in the log"),
            ));
        }
    }
    if let Some((entry, (_, _, first, _, _))) = pending.iter().min_by_key(|(_, p)| p.2) {
        return Err(tampered(
            Some(*first),
            format!("event {first} is missing; it is marked retired by event {entry}, which is not a retirement"),
        ));
    }
    let scan = index_scan.await.map_err(|e| tampered(None, e.to_string()))??;
    compare_index(store, &cx, &expected, &scan).await?;
    verified.leaves = total;
    Ok(verified)
}

/// Compares the search index as read with what the events say it must hold; at the first
/// organisation's segment that differs, names the first event whose rows differ and the field.
async fn compare_index(
    store: &Store,
    cx: &Context,
    expected: &BTreeMap<(OrgId, i64), Expected>,
    scan: &IndexScan,
) -> Result<(), LogError> {
    let segment = |seg: i64| u64::try_from(seg).unwrap_or(0) * normverk_store::access_log::SEGMENT_SIZE;
    if let Some(idx) = scan.beyond_mark {
        let at = u64::try_from(idx).unwrap_or(0);
        return Err(tampered(
            Some(at),
            format!("the search index holds event {at}, which the indexer has not reached"),
        ));
    }
    let parts: std::collections::BTreeSet<&(OrgId, i64)> = expected.keys().chain(scan.digests.keys()).collect();
    for &(org, seg) in parts {
        let want = expected.get(&(org, seg)).map(|x| x.digest).unwrap_or_default();
        let have = scan.digests.get(&(org, seg)).copied().unwrap_or_default();
        if want != have {
            return Err(index_difference(store, cx, org, seg).await);
        }
    }
    // The segments table: a search skips segments by their span, so a span that is too short
    // hides events. Where the indexer is still in a segment, the span may be wider.
    for (&(org, seg), x) in expected {
        let complete = segment(seg + 1) <= cx.indexed;
        let ok = match scan.spans.get(&(org, seg)) {
            Some(&(first, last)) if complete => first == x.first_at && last == x.last_at,
            Some(&(first, last)) => first <= x.first_at && last >= x.last_at,
            None => false,
        };
        if !ok {
            return Err(tampered(
                Some(segment(seg)),
                format!(
                    "the search index's span of times for events {}–{} is not theirs",
                    segment(seg),
                    segment(seg + 1) - 1
                ),
            ));
        }
    }
    if let Some((&(_, seg), _)) =
        scan.spans.iter().find(|(part, _)| !expected.contains_key(part) && segment(part.1) < cx.indexed)
    {
        return Err(tampered(Some(segment(seg)), "the search index names a segment without events".to_string()));
    }
    Ok(())
}

/// The first difference between one organisation's segment of the index and its events.
async fn index_difference(store: &Store, cx: &Context, org: OrgId, seg: i64) -> LogError {
    let start = u64::try_from(seg).unwrap_or(0) * normverk_store::access_log::SEGMENT_SIZE;
    let end = (start + normverk_store::access_log::SEGMENT_SIZE).min(cx.indexed);
    let (events, rows) = match (store.scan_access_entries(start, end).await, store.access_index_rows(org, seg).await) {
        (Ok(e), Ok(r)) => (e, r),
        // The digests already differ: rows that cannot even be read back (a value made a blob)
        // are part of the tampering.
        (Err(e), _) | (_, Err(e)) => {
            return tampered(
                Some(start),
                format!("the search index differs from events {start}–{} and cannot be read back: {e}", end.max(1) - 1),
            )
        }
    };
    let mut want: Vec<IndexRow> = events
        .iter()
        .filter(|e| e.org_id == org)
        .filter_map(|e| Some((e.index, e.beside.as_ref()?)))
        .flat_map(|(i, b): (u64, &Beside)| {
            b.index_rows().map(|(field, value)| IndexRow {
                idx: idx(i),
                field: field.to_string(),
                value: value.to_string(),
                occurred_at: b.occurred_at,
            })
        })
        .collect();
    want.sort_unstable();
    let have: Vec<&IndexRow> = rows.iter().filter(|r| r.idx < idx(cx.indexed)).collect();
    let first = want.iter().zip(have.iter()).position(|(w, h)| w != *h).unwrap_or(want.len().min(have.len()));
    let (w, h) = (want.get(first), have.get(first).copied());
    let name = |field: &str| match field {
        "p" => "patient",
        "u" => "user",
        "n" => "unit",
        "t" => "time",
        _ => "unknown",
    };
    let (at, message) = match (w, h) {
        (Some(w), Some(h)) if w.idx == h.idx && w.field == h.field => {
            (w.idx, format!("the search index's {} entry for event {} is not the event's", name(&w.field), w.idx))
        }
        (Some(w), Some(h)) if (w.idx, &w.field) < (h.idx, &h.field) => {
            (w.idx, format!("the search index lacks the {} entry of event {}", name(&w.field), w.idx))
        }
        (Some(w), None) => (w.idx, format!("the search index lacks the {} entry of event {}", name(&w.field), w.idx)),
        (_, Some(h)) => (
            h.idx,
            format!("the search index holds a {} entry for event {} that is not the event's", name(&h.field), h.idx),
        ),
        (None, None) => (idx(start), "the search index differs from the events".to_string()),
    };
    tampered(u64::try_from(at).ok(), message)
}

/// Compares rebuilt full tiles with the stored ones, a range query per level. A tile may be
/// missing only where no checkpoint has reached yet.
async fn compare_tiles(store: &Store, rebuilt: &mut Vec<FullTile>, signed: u64) -> Result<(), LogError> {
    let mut by_level: BTreeMap<u8, Vec<FullTile>> = BTreeMap::new();
    for t in rebuilt.drain(..) {
        by_level.entry(t.level).or_default().push(t);
    }
    for (level, tiles) in by_level {
        let (Some(first), Some(last)) = (tiles.first(), tiles.last()) else { continue };
        let stored: HashMap<u64, Vec<Hash>> =
            store.access_full_tiles(level, first.index, last.index + 1).await?.into_iter().collect();
        for t in &tiles {
            match stored.get(&t.index) {
                Some(h) if *h == t.hashes => {}
                Some(_) => {
                    return Err(tampered(
                        Some(first_leaf(t.level, t.index)),
                        format!("tile {}/{} differs from the leaves", t.level, t.index),
                    ))
                }
                None if first_leaf(t.level, t.index + 1) <= signed => {
                    return Err(tampered(
                        Some(first_leaf(t.level, t.index)),
                        format!("tile {}/{} is missing", t.level, t.index),
                    ))
                }
                None => {}
            }
        }
    }
    Ok(())
}

fn check_checkpoint(c: &StoredCheckpoint, verifier: &Verifier, rebuilt_root: &Hash) -> Result<(), LogError> {
    let bad = |why: &str| tampered(Some(c.size.saturating_sub(1)), format!("checkpoint of size {}: {why}", c.size));
    let opened = tlog::note::open(c.note.as_bytes(), std::slice::from_ref(verifier))
        .map_err(|e| bad(&format!("signature: {e}")))?;
    let body = Checkpoint::parse(&opened.text).map_err(|e| bad(&e.to_string()))?;
    if body.origin != verifier.name {
        return Err(bad("signed for another origin"));
    }
    if body.size != c.size || body.root != c.root {
        return Err(bad("the signed size or root differs from the stored one"));
    }
    if &c.root != rebuilt_root {
        return Err(bad("its root is not the root of the stored leaves"));
    }
    Ok(())
}

/// Proves that a checkpoint an outsider saved is consistent with today's log: its signature is
/// the log's, and a consistency proof from the stored tiles leads from its root to the latest
/// checkpoint's root.
pub async fn verify_saved_checkpoint(store: &Store, verifier: &Verifier, note: &[u8]) -> Result<(u64, u64), LogError> {
    let outside = |m: String| tampered(None, m);
    let opened = tlog::note::open(note, std::slice::from_ref(verifier))
        .map_err(|e| outside(format!("the saved checkpoint is not signed by this log's key: {e}")))?;
    let saved = Checkpoint::parse(&opened.text).map_err(|e| outside(format!("the saved checkpoint: {e}")))?;
    let head = store.access_log_head().await?.ok_or_else(|| outside("the log has no checkpoint yet".into()))?;
    if saved.size > head.size {
        return Err(outside(format!(
            "the saved checkpoint has {} leaves, more than the log's {}: the log has lost entries",
            saved.size, head.size
        )));
    }
    if saved.size == 0 {
        return Ok((0, head.size));
    }
    let proof = consistency_proof(store, saved.size, head.size).await?;
    verify_consistency(saved.size, head.size, &proof, &saved.root, &head.root).map_err(|e| {
        outside(format!("the saved checkpoint of size {} is not consistent with today's log: {e}", saved.size))
    })?;
    Ok((saved.size, head.size))
}
