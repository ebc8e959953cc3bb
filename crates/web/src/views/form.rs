//! One way to handle a submitted form: what was entered, to fill the form again, and what was
//! wrong with it, field by field. Every page keeps its errors in [`FormErrors`] and shows each
//! by its field, wired for screen readers (`aria-invalid`, `aria-describedby`): through the
//! `field` and `text_field` template macros, and for selects and radio groups with the same
//! attributes written beside them.

use super::Page;
use normverk_core::problem::Problem;
use std::collections::HashMap;

/// Submitted form fields, kept to fill the form again when something was wrong.
#[derive(Default)]
pub struct Entered(HashMap<String, String>);

impl Entered {
    pub fn from(fields: &[(String, String)]) -> Entered {
        Entered(fields.iter().cloned().collect())
    }

    /// The value entered for `key`, empty when there is none.
    pub fn get(&self, key: &str) -> &str {
        self.0.get(key).map_or("", String::as_str)
    }

    pub fn is(&self, key: &str, value: &str) -> bool {
        self.get(key) == value
    }

    pub fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }
}

/// What was wrong with a form: messages by field, in the order found.
#[derive(Debug, Default)]
pub struct FormErrors(Vec<(&'static str, String)>);

impl FormErrors {
    pub fn add(&mut self, field: &'static str, message: String) {
        self.0.push((field, message));
    }

    /// Every message for `field`, joined; none when the field was fine.
    pub fn get(&self, field: &str) -> Option<String> {
        let found: Vec<&str> = self.0.iter().filter(|(f, _)| *f == field).map(|(_, m)| m.as_str()).collect();
        (!found.is_empty()).then(|| found.join("; "))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every field and message, for a summary above the form.
    pub fn all(&self) -> &[(&'static str, String)] {
        &self.0
    }
}

impl FormErrors {
    /// Core's problems in the reader's language (`problem-{key}` with the problem's values).
    pub fn of(page: &Page, problems: Vec<Problem>) -> FormErrors {
        let mut errors = FormErrors::default();
        for p in problems {
            errors.add_problem(page, p);
        }
        errors
    }

    pub fn add_problem(&mut self, page: &Page, p: Problem) {
        self.add(p.field, page.problem(p.key, &p.args));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use normverk_core::problem::ProblemKey;

    #[test]
    fn messages_are_kept_per_field_in_order() {
        let mut e = FormErrors::default();
        assert!(e.is_empty() && e.get("name").is_none());
        e.add("name", "required".into());
        e.add("name", "too long".into());
        e.add("kind", "choose one".into());
        assert_eq!(e.get("name").as_deref(), Some("required; too long"));
        assert_eq!(e.all().len(), 3);
        let page = Page::anonymous(crate::i18n::Lang::Nb, String::new());
        let from = FormErrors::of(&page, vec![Problem::new("to", ProblemKey::UnknownStep, "unknown step")]);
        assert_eq!(from.get("to").as_deref(), Some("Ukjent steg."));
        let mut long = FormErrors::default();
        long.add_problem(&page, Problem::new("title", ProblemKey::TooLong, "at most 200 characters").arg("max", 200));
        assert!(long.get("title").is_some_and(|m| m.contains("200")), "{long:?}");
    }
}
