//! What the register and its access reviews share: who grants (the manager of the person's
//! unit, or the security lead) and why a change of the register was refused.

use crate::access_log::{AccessLog, Accessor, OwnAccess};
use crate::clock::Clock;
use normverk_core::access_log::{AccessAction, AccessEvent, Basis};
use normverk_core::problem::Problem;
use normverk_store::access_log::NewAccessEvent;
use normverk_store::{OrgId, Store, StoreError};
use std::sync::Arc;

/// Why a change of the register was not made.
#[derive(Debug)]
pub enum AuthzError {
    /// What is wrong, field by field; nothing was stored.
    Invalid(Vec<Problem>),
    /// The person asking is neither the manager of the person's unit nor the security lead.
    NotTheirManager,
    /// normverk's own access-log entry for the read or change was refused: a fault of
    /// normverk's, not of the request; nothing was changed.
    Log(String),
    Store(StoreError),
}

impl std::fmt::Display for AuthzError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthzError::Invalid(problems) => {
                let fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
                write!(f, "invalid: {}", fields.join(", "))
            }
            AuthzError::NotTheirManager => f.write_str("not the manager of the person's unit"),
            AuthzError::Log(why) => write!(f, "normverk's own access-log entry was refused: {why}"),
            AuthzError::Store(e) => e.fmt(f),
        }
    }
}

impl From<StoreError> for AuthzError {
    fn from(e: StoreError) -> Self {
        AuthzError::Store(e)
    }
}

pub(crate) fn invalid_unless(problems: Vec<Problem>) -> Result<(), AuthzError> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AuthzError::Invalid(problems))
    }
}

/// Who grants: the user (their name and roles as the access log records them), whether they
/// are the security lead, and the units they manage.
#[derive(Debug, Clone)]
pub struct Granter {
    pub user_id: i64,
    pub name: String,
    pub roles: String,
    pub security_lead: bool,
    pub managed_units: Vec<i64>,
}

impl Granter {
    /// The granter as the access log records who changed the register.
    pub fn actor(&self) -> Accessor {
        Accessor::Person { user_id: self.user_id, name: self.name.clone(), role: self.roles.clone() }
    }
}

/// What the access log calls the register's information.
pub const LOG_INFORMATION_TYPE: &str = "tilgangsregister";

/// The access log's subject for a person of the register (they are not patients, so a local id),
/// or for the register as a whole.
pub fn log_subject(person_id: Option<i64>) -> String {
    match person_id {
        Some(id) => format!("local:normverk-authz:person-{id}"),
        None => "local:normverk-authz:register".to_string(),
    }
}

/// The register's reads and changes as the tamper-evident access log records them (Normen
/// 5.2.1.1, 5.4.4): a change's entry is written in the change's own transaction.
#[derive(Clone)]
pub struct RegisterLog {
    store: Store,
    clock: Clock,
    log: Arc<AccessLog>,
}

impl RegisterLog {
    pub fn new(store: Store, clock: Clock, log: Arc<AccessLog>) -> Self {
        RegisterLog { store, clock, log }
    }

    /// The access log's entry for `by` reading or changing the register (a person in it, or the
    /// whole), checked.
    pub(crate) async fn event(
        &self,
        org_id: OrgId,
        person_id: Option<i64>,
        action: AccessAction,
        by: &Accessor,
    ) -> Result<AccessEvent, AuthzError> {
        let now = self.clock.now();
        let org = self.store.org(org_id).await?;
        let access = OwnAccess {
            by,
            action,
            basis: Basis::Administration,
            basis_reason: "Tilgangsstyring (Normen 5.2.1)".into(),
            information_type: LOG_INFORMATION_TYPE,
            patient_id: log_subject(person_id),
            org_number: org.org_number,
            unit: org.name,
        };
        access.event(now).map_err(|problems| {
            let fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
            AuthzError::Log(fields.join(", "))
        })
    }

    /// The entry for a change, as the store writes it in the change's transaction; call
    /// [`RegisterLog::appended`] once it is stored.
    pub(crate) async fn leaf(
        &self,
        org_id: OrgId,
        person_id: Option<i64>,
        action: AccessAction,
        by: &Accessor,
    ) -> Result<NewAccessEvent, AuthzError> {
        Ok(AccessLog::leaf(org_id, &self.event(org_id, person_id, action, by).await?))
    }

    /// Writes that `by` read the register (a person in it, or the whole); durable before the
    /// page is shown.
    pub(crate) async fn read(&self, org_id: OrgId, person_id: Option<i64>, by: &Accessor) -> Result<(), AuthzError> {
        let event = self.event(org_id, person_id, AccessAction::Read, by).await?;
        self.log.append(org_id, vec![(org_id, event)], None).await?;
        Ok(())
    }

    /// Wakes the log's integrator after a change's entry was stored.
    pub(crate) fn appended(&self) {
        self.log.appended();
    }
}
