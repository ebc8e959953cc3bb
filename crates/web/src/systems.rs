//! The systems register as pages and API share it: every system with its effective
//! criticality and where it was inherited from, kept in memory per organisation until the
//! register changes.

use crate::AppState;
use normverk_core::system::{effective_criticality, Criticality, Effective};
use normverk_store::system::System;
use normverk_store::StoreError;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

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

/// The last register computed for each organisation, with the store's register version it was
/// computed at. Reading it costs one small query; any instance's change to the systems bumps
/// the version in the same transaction, so a stale register is never served.
#[derive(Default)]
pub struct RegisterCache(Mutex<HashMap<i64, (i64, Register)>>);

/// An organisation's register, shared by the requests that read it.
pub type Register = Arc<Vec<Registered>>;

/// The organisation's systems, by name, with effective criticality over the whole graph.
pub async fn register(state: &AppState, org_id: i64) -> Result<Register, StoreError> {
    let version = state.store.system_register_version(org_id).await?;
    let cached = state.registers.0.lock().ok().and_then(|c| c.get(&org_id).cloned());
    if let Some((v, register)) = cached {
        if v == version {
            return Ok(register);
        }
    }
    let register = Arc::new(compute(state, org_id).await?);
    if let Ok(mut cache) = state.registers.0.lock() {
        cache.insert(org_id, (version, register.clone()));
    }
    Ok(register)
}

async fn compute(state: &AppState, org_id: i64) -> Result<Vec<Registered>, StoreError> {
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
