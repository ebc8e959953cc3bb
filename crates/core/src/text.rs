//! Text as every rule takes it: one check of length and control characters. A field of one line
//! takes no control character at all; a field of many lines takes line breaks and tabs and no
//! other. Lengths count characters (Unicode scalar values), as JSON Schema's `maxLength` does.

use crate::problem::{Problem, ProblemKey};

/// Whether a field holds one line or many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    One,
    Many,
}

/// Whether `c` may stand in a field of `lines`.
pub fn allowed(c: char, lines: Lines) -> bool {
    !c.is_control() || (lines == Lines::Many && matches!(c, '\n' | '\r' | '\t'))
}

/// The problem with `value` as `field`, if any: longer than `max` characters, or holding a
/// control character the field does not take.
pub fn check(field: &'static str, value: &str, lines: Lines, max: usize) -> Option<Problem> {
    if value.chars().count() > max {
        Some(Problem::new(field, ProblemKey::TooLong, format!("at most {max} characters")).arg("max", max))
    } else if !value.chars().all(|c| allowed(c, lines)) {
        let what = match lines {
            Lines::One => "no control characters, and no line breaks or tabs",
            Lines::Many => "no control characters other than line breaks and tabs",
        };
        Some(Problem::new(field, ProblemKey::Control, what))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_takes_no_control_character_and_many_take_breaks_and_tabs() {
        assert_eq!(check("t", "Feil mottaker", Lines::One, 200), None);
        for bad in ["a\u{0}b", "a\nb", "a\tb", "\u{1b}[31m", "a\u{85}b", "a\u{7f}"] {
            assert_eq!(check("t", bad, Lines::One, 200).map(|p| p.key), Some(ProblemKey::Control), "{bad:?}");
        }
        assert_eq!(check("t", "linje 1\r\nlinje 2\tx", Lines::Many, 200), None);
        assert_eq!(check("t", "a\u{0}b", Lines::Many, 200).map(|p| p.key), Some(ProblemKey::Control));
        assert_eq!(check("t", &"å".repeat(201), Lines::One, 200).map(|p| p.key), Some(ProblemKey::TooLong));
        assert_eq!(check("t", &"å".repeat(200), Lines::One, 200), None, "characters, not bytes");
    }
}
