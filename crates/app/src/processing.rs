//! The protokoll (Normen 3.1): entries saved with what each still lacks, and imports read
//! against the organisation's systems.

use crate::clock::Clock;
use normverk_core::import::RowError;
use normverk_core::processing::{missing_fields, read_rows, settle, Record};
use normverk_store::processing::{Put, Saved, Target};
use normverk_store::{OrgId, Store, StoreResult};
use std::collections::HashMap;

/// One entry to save: where it goes, its record, and its systems (none leaves them as they are).
pub struct Entry {
    pub target: Target,
    pub record: Record,
    pub systems: Option<Vec<i64>>,
}

/// The protokoll service.
pub struct Protokoll {
    store: Store,
    clock: Clock,
}

impl Protokoll {
    pub fn new(store: Store, clock: Clock) -> Self {
        Protokoll { store, clock }
    }

    /// Saves `entries` (already checked) in one transaction, each settled (the DPIA screening's
    /// outcome set from its criteria) and with the count of minimum fields it lacks for the list;
    /// a version is written only where a record changed.
    pub async fn save(&self, org_id: OrgId, entries: Vec<Entry>, by: Option<i64>) -> StoreResult<(Vec<i64>, Saved)> {
        let puts: Vec<Put> = entries
            .into_iter()
            .map(|mut e| {
                settle(&mut e.record);
                Put { missing: missing_fields(&e.record).len(), target: e.target, record: e.record, systems: e.systems }
            })
            .collect();
        self.store.put_processings(org_id, &puts, by, self.clock.now()).await
    }

    /// The rows of an import as entries matched by name, the systems a row names resolved to
    /// the organisation's; or every bad row.
    pub async fn read_import(
        &self,
        org_id: OrgId,
        table: &[Vec<String>],
    ) -> StoreResult<Result<Vec<Entry>, Vec<RowError>>> {
        let systems: HashMap<String, i64> =
            self.store.systems(org_id).await?.into_iter().map(|s| (s.name.to_lowercase(), s.id)).collect();
        Ok(read_rows(table, &systems).map(|rows| {
            rows.into_iter().map(|(_, record, systems)| Entry { target: Target::ByName, record, systems }).collect()
        }))
    }
}
