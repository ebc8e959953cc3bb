//! The systems register as the pages and the API share it: every system with its effective
//! criticality and where it was inherited from, kept in memory per organisation until the
//! register changes.

use crate::cache::Cache;
use normverk_core::system::{effective_criticality, Criticality, Effective};
use normverk_store::system::System;
use normverk_store::OrgId;
use normverk_store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::Arc;

/// A system with its computed class.
#[derive(Debug, Clone)]
pub struct Registered {
    pub system: System,
    pub effective: Effective,
    /// The systems it depends on, by id.
    pub depends_on: Vec<i64>,
    /// The systems that depend on it, by id.
    pub needed_by: Vec<i64>,
}

/// An organisation's register, shared by the requests that read it.
pub type Register = Arc<Vec<Registered>>;

/// The register service. The last register computed for each organisation is kept with the
/// store's register version it was computed at: reading the version costs one small query, and
/// any instance's change to the systems bumps it in the same transaction, so a stale register
/// is never served.
pub struct Systems {
    store: Store,
    registers: Cache<OrgId, Register>,
}

impl Systems {
    pub fn new(store: Store) -> Self {
        Systems { store, registers: Cache::new(None) }
    }

    /// The organisation's systems, by name, with effective criticality over the whole graph.
    pub async fn register(&self, org_id: OrgId) -> Result<Register, StoreError> {
        let version = self.store.system_register_version(org_id).await?;
        self.registers.get_or_load(org_id, version, async { Ok(Arc::new(self.compute(org_id).await?)) }).await
    }

    async fn compute(&self, org_id: OrgId) -> Result<Vec<Registered>, StoreError> {
        let systems = self.store.systems(org_id).await?;
        let deps: Vec<(i64, i64)> =
            self.store.system_dependencies(org_id).await?.into_iter().map(|d| (d.system_id, d.depends_on)).collect();
        let own: Vec<(i64, Criticality)> = systems.iter().map(|s| (s.id, s.criticality)).collect();
        let mut effective = effective_criticality(&own, &deps);
        let mut depends_on: HashMap<i64, Vec<i64>> = HashMap::new();
        let mut needed_by: HashMap<i64, Vec<i64>> = HashMap::new();
        for (from, to) in &deps {
            depends_on.entry(*from).or_default().push(*to);
            needed_by.entry(*to).or_default().push(*from);
        }
        Ok(systems
            .into_iter()
            .zip(own)
            .map(|(system, (id, class))| Registered {
                effective: effective
                    .remove(&id)
                    .unwrap_or(Effective { criticality: class, inherited_from: Vec::new() }),
                depends_on: depends_on.remove(&id).unwrap_or_default(),
                needed_by: needed_by.remove(&id).unwrap_or_default(),
                system,
            })
            .collect())
    }
}
