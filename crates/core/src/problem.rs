//! What was wrong with an input, field by field: the one validation-problem type every rule
//! returns, translated or shown at the edge.

use serde::Serialize;

/// One field that was wrong, and why (in English; the pages show it beside the field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub field: &'static str,
    pub message: String,
}

impl Problem {
    pub fn new(field: &'static str, message: impl Into<String>) -> Problem {
        Problem { field, message: message.into() }
    }
}
