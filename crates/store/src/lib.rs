//! Persistence for normverk: one API over embedded SQLite and PostgreSQL.
//!
//! Every query is written once, in SQL both engines accept (`$1` placeholders, `BIGINT` times as
//! Unix seconds, `RETURNING`). Reads go to a pool of readers; on SQLite every write runs in a
//! `BEGIN IMMEDIATE` transaction on the single writer connection, so concurrent writers queue
//! instead of failing with "database is locked". Every domain query takes the organisation it
//! belongs to: there is no way to ask for another organisation's rows by id alone.
//!
//! This crate must never decide business rules (that is `normverk-core`) and never log secrets.

mod db;
mod migrate;

pub mod access_log;
pub mod access_review;
pub mod account;
pub mod assessment;
pub mod asset;
pub mod authz;
pub mod deviation;
pub mod dlp;
pub mod dpia;
pub mod org;
pub mod processing;
pub mod risk;
pub mod scim;
pub mod system;
pub mod token;

#[cfg(feature = "testing")]
pub mod testing;

pub use db::{
    redact_url, search_file, unix_now, DbTarget, Engine, Named, OrgId, Rejection, Store, StoreError, StoreResult,
};
pub use migrate::{MigrationReport, SCHEMA_VERSION};
