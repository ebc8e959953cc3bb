//! `normverk fnr check`: Norwegian person identifiers checked and explained, one per argument.

use fnr::{parse, Mode};
use serde::Serialize;

#[derive(Serialize)]
struct Checked {
    input: String,
    valid: bool,
    /// The most specific kind; `kinds` lists every possibility.
    kind: Option<&'static str>,
    kinds: Vec<&'static str>,
    rules: Vec<&'static str>,
    birth_date: Option<String>,
    error: Option<String>,
}

fn check(input: &str, mode: Mode) -> Checked {
    match parse(input, mode) {
        Ok(n) => Checked {
            input: input.to_string(),
            valid: true,
            kind: n.kinds.first().map(|k| k.as_str()),
            kinds: n.kinds.iter().map(|k| k.as_str()).collect(),
            rules: n.rules.iter().map(|r| r.as_str()).collect(),
            birth_date: n.birth_date.map(|d| d.to_string()),
            error: None,
        },
        Err(e) => Checked {
            input: input.to_string(),
            valid: false,
            kind: None,
            kinds: Vec::new(),
            rules: Vec::new(),
            birth_date: None,
            error: Some(e.to_string()),
        },
    }
}

/// Prints the verdict on every number; exit 0 when all are valid, 1 otherwise.
pub fn run(numbers: &[String], json: bool, classic_only: bool) -> std::process::ExitCode {
    let mode = if classic_only { Mode::Classic } else { Mode::Both };
    let checked: Vec<Checked> = numbers.iter().map(|n| check(n, mode)).collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&checked).unwrap_or_default());
    } else {
        for c in &checked {
            match &c.error {
                None => println!(
                    "{}: valid; kinds: {}; rules: {}{}",
                    c.input,
                    c.kinds.join(", "),
                    c.rules.join(", "),
                    c.birth_date.as_ref().map(|d| format!(", born {d}")).unwrap_or_default()
                ),
                Some(e) => println!("{}: invalid: {e}", c.input),
            }
        }
    }
    if checked.iter().all(|c| c.valid) {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(1)
    }
}
