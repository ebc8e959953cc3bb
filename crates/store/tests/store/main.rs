//! Repository tests, one module per feature in one binary. Tests that run on both engines are
//! written once and made into `name::sqlite` and `name::postgres` by `engine_tests!` (PostgreSQL
//! when NORMVERK_TEST_POSTGRES_URL is set).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub use normverk_core::org::{OrgKind, OrgNumber, Role, Scope};
pub use normverk_store::account::{secret_hash, NewUser, SetupTokenState};
pub use normverk_store::engine_tests;
pub use normverk_store::org::NewOrg;
pub use normverk_store::testing::{fresh_target, test_db};
pub use normverk_store::{unix_now, DbTarget, Store, StoreError, SCHEMA_VERSION};

pub fn new_org(name: &str, number: &str) -> NewOrg {
    NewOrg {
        name: name.into(),
        org_number: OrgNumber::parse(number).unwrap(),
        kind: OrgKind::GpOffice,
        parent_id: None,
    }
}

pub fn new_user(email: &str) -> NewUser {
    NewUser { email: email.into(), display_name: email.into(), password_hash: Some("$argon2id$fake".into()) }
}

mod access_log;
mod assessment;
mod authz;
mod db;
mod deviation;
mod risk;
