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

/// A text field's rule: one line or many, required (not blank) or not, at most `max` characters.
/// The checks read these, and the API's document states them as JSON Schema, from one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub lines: Lines,
    pub required: bool,
    pub max: usize,
}

impl Field {
    /// A required field of one line.
    pub const fn line(name: &'static str, max: usize) -> Field {
        Field { name, lines: Lines::One, required: true, max }
    }

    /// A required field of many lines.
    pub const fn text(name: &'static str, max: usize) -> Field {
        Field { name, lines: Lines::Many, required: true, max }
    }

    /// An optional field of `lines`.
    pub const fn optional(name: &'static str, lines: Lines, max: usize) -> Field {
        Field { name, lines, required: false, max }
    }

    /// The problem with `value`, if any: blank where required, too long, a control character.
    pub fn check(&self, value: &str) -> Option<Problem> {
        if self.required && value.trim().is_empty() {
            Some(Problem::new(self.name, ProblemKey::Required, "required"))
        } else {
            check(self.name, value, self.lines, self.max)
        }
    }

    /// The same rule as an ECMA-262 regular expression, for JSON Schema's `pattern` (the length
    /// is `maxLength`): no character the field does not take, and something other than white
    /// space where the field is required.
    pub fn pattern(&self) -> String {
        let ok = match self.lines {
            Lines::One => r"[^\u0000-\u001f\u007f-\u009f]",
            Lines::Many => r"[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]",
        };
        if self.required {
            // Not a control character and not white space as Rust's `trim` takes it.
            let solid = r"[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";
            format!("^{ok}*{solid}{ok}*$")
        } else {
            format!("^{ok}*$")
        }
    }
}

/// The rule named `name` among `fields`.
pub fn field(fields: &[Field], name: &str) -> Option<Field> {
    fields.iter().find(|f| f.name == name).copied()
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
#[allow(clippy::unwrap_used)]
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

    #[test]
    fn the_pattern_takes_exactly_what_the_check_takes() {
        for lines in [Lines::One, Lines::Many] {
            for required in [true, false] {
                let f = Field { name: "t", lines, required, max: 10 };
                let re = regex::Regex::new(&f.pattern()).unwrap();
                // Every character up to the last white space, and a sample of those above.
                for c in (0..=0x3100u32).chain((0x3100..=0x10ffff).step_by(251)).filter_map(char::from_u32) {
                    for value in [c.to_string(), format!("a{c}"), format!("{c}a")] {
                        assert_eq!(re.is_match(&value), f.check(&value).is_none(), "{lines:?} {required} {value:?}");
                    }
                }
                assert_eq!(re.is_match(""), !required);
            }
        }
    }
}
