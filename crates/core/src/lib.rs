//! Domain types and rules of normverk, one module per feature.
//!
//! Everything here is pure: no I/O, no clock (the current time is passed in as Unix seconds),
//! no randomness. The web, store and CLI layers call these rules; this crate never calls them.

pub mod account;
pub mod org;
