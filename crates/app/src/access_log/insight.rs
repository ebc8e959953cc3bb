//! Patients' insight into who accessed their record (Normen 4.2.1; pasientjournalloven § 18):
//! for a patient and a period, every access in the organisation's log — who (name, role,
//! organisation, unit), what was done, when, and for access to another enterprise's data why and
//! in which period — each entry with its salt, its event as the log hashed it and its inclusion
//! proof against a signed checkpoint, so that whoever receives the document can check that each
//! entry was logged and not altered ([`verify_insight`]).
//!
//! What is withheld: the fields the log seals ([`SEALED_FIELDS`]: the free-text reason for the
//! basis, which may name others, and the health worker's own national identity number); the
//! document holds their commitments only. Whether the list is complete rests on `log verify`'s
//! check of the search index in both directions, not on the proofs: a proof shows an entry is
//! in the log, not that no entry is missing.

use super::{AccessLog, Accessor, OwnAccess};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use normverk_core::access_log::{identifier, jcs, AccessAction, AccessEvent, Basis, Whose, SEALED_FIELDS};
use normverk_core::problem::{Problem, ProblemKey};
use normverk_store::access_log::EventFilter;
use normverk_store::org::Org;
use normverk_store::StoreError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use tlog::checkpoint::Checkpoint;
use tlog::merkle::{inclusion_ranges, leaf_hash_of_parts, verify_inclusion};
use tlog::note::Verifier;
use tlog::Hash;

/// The most entries one insight holds; a longer history is asked for in shorter periods.
pub const MAX_ENTRIES: u32 = 10_000;
/// What the document says it is.
pub const FORMAT: &str = "normverk-insight/1";
/// The access log's entry for an insight given.
const INFORMATION_TYPE: &str = "Innsyn i tilgangslogg";

/// An insight: the patient, the period, the organisation, the signed checkpoint the proofs are
/// against and the log's public key, what is withheld, and the entries, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Insight {
    pub format: String,
    pub patient_id: String,
    /// `YYYY-MM-DD`, inclusive, Norwegian time.
    pub from: String,
    /// `YYYY-MM-DD`, inclusive.
    pub to: String,
    pub org_name: String,
    pub org_number: String,
    /// RFC 3339.
    pub made_at: String,
    /// The signed checkpoint (C2SP signed note) every proof leads to.
    pub checkpoint: String,
    /// The log's public key (`name+id+key`), as the organisation publishes it.
    pub log_key: String,
    /// The fields the entries hold as commitments only.
    pub withheld: Vec<String>,
    pub entries: Vec<InsightEntry>,
}

/// One access: its log index, its salt and event as hashed (sealed fields as commitments), and
/// its inclusion proof. Leaf = SHA-256(0x00 ‖ salt ‖ JCS(event)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InsightEntry {
    pub index: u64,
    /// Base64 of the 16-byte salt.
    pub salt: String,
    pub event: AccessEvent,
    /// Base64 hashes, RFC 9162 order.
    pub proof: Vec<String>,
}

/// Why an insight could not be made.
#[derive(Debug, thiserror::Error)]
pub enum InsightError {
    #[error("invalid request")]
    Invalid(Vec<Problem>),
    #[error("the log has no signed checkpoint covering the entries yet; try again in a second")]
    NotSigned,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Log(#[from] super::LogError),
}

/// The start of `date` (`YYYY-MM-DD`) in Norway, Unix seconds.
fn day_start(date: &str) -> Option<i64> {
    let d: jiff::civil::Date = date.trim().parse().ok()?;
    d.to_zoned(crate::clock::norway()).ok().map(|z| z.timestamp().as_second())
}

/// The patient (in its one form) and the period as Unix seconds `[from, to)`, or every problem.
pub fn check_request(patient: &str, from: &str, to: &str, now: i64) -> Result<(String, i64, i64), Vec<Problem>> {
    let mut problems = Vec::new();
    let patient = identifier("patient_id", patient, Whose::Patient).map_err(|p| problems.push(p)).ok();
    let date = |field: &'static str, value: &str, problems: &mut Vec<Problem>| {
        let t = day_start(value);
        if t.is_none() {
            problems.push(Problem::new(field, ProblemKey::Date, "a real date written YYYY-MM-DD"));
        }
        t
    };
    let start = date("from", from, &mut problems);
    let end = date("to", to, &mut problems).map(|t| t + 86_400);
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            problems.push(Problem::new("to", ProblemKey::EndBeforeStart, "not before the start"));
        }
    }
    if start.is_some_and(|s| s > now) {
        problems.push(Problem::new("from", ProblemKey::InFuture, "lies in the future"));
    }
    match (patient, start, end) {
        (Some(p), Some(s), Some(e)) if problems.is_empty() => Ok((p, s, e)),
        _ => Err(problems),
    }
}

impl AccessLog {
    /// The insight for `patient` in `org`'s log over the days `from..=to`, asked for by `by`:
    /// the request is itself logged (durably, before the answer) as an access to the patient's
    /// information.
    pub async fn insight(
        &self,
        org: &Org,
        by: &Accessor,
        patient: &str,
        from: &str,
        to: &str,
    ) -> Result<Insight, InsightError> {
        let now = self.now();
        let (patient_id, start, end) = check_request(patient, from, to, now).map_err(InsightError::Invalid)?;
        let filter = EventFilter {
            patient_id: Some(patient_id.clone()),
            from: Some(start),
            to: Some(end),
            ..EventFilter::default()
        };
        let rows = self.store.access_events(org.id, &filter, MAX_ENTRIES + 1, 0).await?;
        if rows.len() > MAX_ENTRIES as usize {
            return Err(InsightError::Invalid(vec![Problem::new(
                "to",
                ProblemKey::TooMany,
                format!("more than {MAX_ENTRIES} accesses in the period; ask for a shorter one"),
            )
            .arg("max", MAX_ENTRIES)]));
        }
        let access = OwnAccess {
            by,
            action: AccessAction::Read,
            basis: Basis::Administration,
            basis_reason: format!("Innsyn for pasienten, {from} til {to} (Normen 4.2.1)"),
            information_type: INFORMATION_TYPE,
            patient_id: patient_id.clone(),
            org_number: org.org_number.clone(),
            unit: org.name.clone(),
        };
        let event = access.event(now).map_err(InsightError::Invalid)?;
        self.append(org.id, vec![(org.id, event)], None).await?;

        let newest = rows.iter().map(|r| r.index).max();
        let head = self.head(newest.map_or(0, |n| n + 1)).await?;
        let head = match head {
            Some(h) if newest.is_none_or(|n| n < h.size) => h,
            _ => return Err(InsightError::NotSigned),
        };
        let indexes: Vec<u64> = rows.iter().map(|r| r.index).collect();
        let salts: HashMap<u64, [u8; 16]> = self.store.access_salts(org.id, &indexes).await?.into_iter().collect();
        // Every proof from one read of the tiles they need.
        let ranges: Vec<Vec<(u64, u64)>> = indexes
            .iter()
            .map(|&i| inclusion_ranges(i, head.size))
            .collect::<Result<_, _>>()
            .map_err(|e| super::tampered(None, e.to_string()))?;
        let wanted = tlog::tile::tiles_for(&ranges.concat(), head.size);
        let tiles = self.store.access_tiles(&wanted).await?;
        let mut entries = Vec::with_capacity(rows.len());
        for (row, ranges) in rows.into_iter().zip(ranges) {
            let salt = salts.get(&row.index).ok_or_else(|| super::tampered(Some(row.index), "its leaf is missing"))?;
            let event: AccessEvent = serde_json::from_str(&row.event_json)
                .map_err(|_| super::tampered(Some(row.index), "its event is not an access event"))?;
            let proof =
                tlog::tile::proof(&tiles, &ranges).map_err(|e| super::tampered(Some(row.index), e.to_string()))?;
            entries.push(InsightEntry {
                index: row.index,
                salt: B64.encode(salt),
                event,
                proof: proof.iter().map(|h| B64.encode(h)).collect(),
            });
        }
        Ok(Insight {
            format: FORMAT.into(),
            patient_id,
            from: from.trim().into(),
            to: to.trim().into(),
            org_name: org.name.clone(),
            org_number: org.org_number.clone(),
            made_at: crate::clock::rfc3339(now),
            checkpoint: head.note.clone(),
            log_key: self.verifier().key_string(),
            withheld: SEALED_FIELDS.iter().map(|f| f.to_string()).collect(),
            entries,
        })
    }
}

/// What a check of an insight found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsightChecked {
    pub entries: usize,
    /// The checkpoint's tree size.
    pub size: u64,
    pub origin: String,
}

/// Why an insight does not check: which entry (its position in the document, from 1, and its
/// log index when it has one), or the document as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", entry_label(*.entry, *.index))]
pub struct InsightFailure {
    pub entry: Option<usize>,
    pub index: Option<u64>,
    pub message: String,
}

fn entry_label(entry: Option<usize>, index: Option<u64>) -> String {
    match (entry, index) {
        (Some(n), Some(i)) => format!("entry {n} (log index {i}): "),
        (Some(n), None) => format!("entry {n}: "),
        _ => String::new(),
    }
}

/// The document's shape, entries still unread, so a fault is named by its entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw<'a> {
    format: String,
    patient_id: String,
    #[allow(dead_code)]
    from: String,
    #[allow(dead_code)]
    to: String,
    #[allow(dead_code)]
    org_name: String,
    org_number: String,
    #[allow(dead_code)]
    made_at: String,
    checkpoint: String,
    #[allow(dead_code)]
    log_key: String,
    #[allow(dead_code)]
    withheld: Vec<String>,
    #[serde(borrow)]
    entries: Vec<&'a serde_json::value::RawValue>,
}

/// The log key a document names, to check it with when no other is at hand.
pub fn insight_key(doc: &[u8]) -> Option<String> {
    serde_json::from_slice::<serde_json::Value>(doc).ok()?.get("log_key")?.as_str().map(str::to_string)
}

/// Checks a received insight against the log's public key `key`: the checkpoint signed by it,
/// and every entry the patient's, for the organisation, its leaf hash from its salt and event,
/// and its proof leading to the checkpoint's root. The first failure names its entry.
pub fn verify_insight(doc: &[u8], key: &Verifier) -> Result<InsightChecked, InsightFailure> {
    let whole = |message: String| InsightFailure { entry: None, index: None, message };
    let raw: Raw = serde_json::from_slice(doc).map_err(|e| whole(format!("not an insight document: {e}")))?;
    if raw.format != FORMAT {
        return Err(whole(format!("not an insight document of format {FORMAT}")));
    }
    let opened = tlog::note::open(raw.checkpoint.as_bytes(), std::slice::from_ref(key))
        .ok()
        .filter(|o| !o.verified_by.is_empty())
        .ok_or_else(|| whole("the checkpoint is not signed by the log's key".into()))?;
    let checkpoint = Checkpoint::parse(&opened.text).map_err(|e| whole(format!("the checkpoint is malformed: {e}")))?;
    for (n, text) in raw.entries.iter().enumerate() {
        let fail = |index: Option<u64>, message: String| InsightFailure { entry: Some(n + 1), index, message };
        let entry: InsightEntry =
            serde_json::from_str(text.get()).map_err(|e| fail(None, format!("malformed: {e}")))?;
        let at = Some(entry.index);
        if entry.event.patient_id != raw.patient_id {
            return Err(fail(at, "is another patient's access".into()));
        }
        if entry.event.org_number != raw.org_number {
            return Err(fail(at, "is another organisation's access".into()));
        }
        let salt = B64
            .decode(&entry.salt)
            .ok()
            .filter(|s| s.len() == 16)
            .ok_or_else(|| fail(at, "the salt is not 16 bytes of base64".into()))?;
        let proof: Vec<Hash> = entry
            .proof
            .iter()
            .map(|h| B64.decode(h).ok().and_then(|b| Hash::try_from(b.as_slice()).ok()))
            .collect::<Option<_>>()
            .ok_or_else(|| fail(at, "the proof holds something that is not a hash".into()))?;
        let leaf = leaf_hash_of_parts(&[&salt, &jcs(&entry.event)]);
        verify_inclusion(&leaf, entry.index, checkpoint.size, &proof, &checkpoint.root)
            .map_err(|e| fail(at, format!("is not in the log as shown: altered, or not at this index ({e})")))?;
    }
    Ok(InsightChecked { entries: raw.entries.len(), size: checkpoint.size, origin: checkpoint.origin })
}
