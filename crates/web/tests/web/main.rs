//! The web UI and API end to end: the real server on a free port over a fresh database, one
//! module per feature, in one test binary. Tests that run on both engines are written once as
//! `async fn name(engine)` and made into `name::sqlite` and `name::postgres` by `engine_tests!`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

mod access_log;
mod assessment;
mod authz;
mod catalog;
mod deviations;
mod dlp;
mod dpia;
mod e2e;
mod isolation;
mod layout;
mod protokoll;
mod reviews;
mod risk;
mod scim;
mod scopes;
mod site;
mod systems;
