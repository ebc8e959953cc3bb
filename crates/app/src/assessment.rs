//! The self-assessment as the pages and the API read it.

use normverk_core::assessment::Status;
use normverk_store::assessment::AnswerRow;
use std::collections::HashMap;

/// The statuses of a round's answers, by requirement id.
pub fn statuses(answers: &[AnswerRow]) -> HashMap<String, Status> {
    answers.iter().map(|a| (a.requirement_id.clone(), a.status)).collect()
}
