//! The systems register as pages and API share it: every system with its effective
//! criticality and where it was inherited from.

use crate::AppState;
use normverk_core::system::{effective_criticality, Criticality, Effective};
use normverk_store::system::System;
use normverk_store::StoreError;
use std::collections::HashMap;
use std::str::FromStr;

/// A system with its computed class.
pub struct Registered {
    pub system: System,
    pub effective: Effective,
    /// The systems it depends on, by id.
    pub depends_on: Vec<i64>,
    /// The systems that depend on it, by id.
    pub needed_by: Vec<i64>,
}

/// The organisation's systems, by name, with effective criticality over the whole graph.
pub async fn register(state: &AppState, org_id: i64) -> Result<Vec<Registered>, StoreError> {
    let systems = state.store.systems(org_id).await?;
    let deps = state.store.system_dependencies(org_id).await?;
    let own: Vec<(i64, Criticality)> = systems
        .iter()
        .map(|s| (s.id, Criticality::from_str(&s.criticality).unwrap_or(Criticality::NotPrioritised)))
        .collect();
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
            effective: effective.remove(&id).unwrap_or(Effective { criticality: class, inherited_from: Vec::new() }),
            depends_on: depends_on.remove(&id).unwrap_or_default(),
            needed_by: needed_by.remove(&id).unwrap_or_default(),
            system,
        })
        .collect())
}
