//! The scanner's integration tests in one binary: precision and recall on the labelled corpus,
//! and a short fuzzing run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod corpus;
mod fuzzing;
mod no_panic;
