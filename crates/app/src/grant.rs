//! What the register and its access reviews share: who grants (the manager of the person's
//! unit, or the security lead) and why a change of the register was refused.

use normverk_core::problem::Problem;
use normverk_store::StoreError;

/// Why a change of the register was not made.
#[derive(Debug)]
pub enum AuthzError {
    /// What is wrong, field by field; nothing was stored.
    Invalid(Vec<Problem>),
    /// The person asking is neither the manager of the person's unit nor the security lead.
    NotTheirManager,
    Store(StoreError),
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

/// Who grants: the user, whether they are the security lead, and the units they manage.
#[derive(Debug, Clone)]
pub struct Granter {
    pub user_id: i64,
    pub security_lead: bool,
    pub managed_units: Vec<i64>,
}
