//! A suggested safe rewrite of a blocked message. An appointment reminder becomes a neutral
//! reminder with only its date and time; anything else loses what may not be sent, with the
//! department named neutrally.

use crate::{Finding, Kind, Severity};

const REMINDER_WORDS: &[&str] = &[
    "time",
    "timen",
    "timeavtale",
    "avtale",
    "avtalen",
    "påminnelse",
    "påminning",
    "innkalling",
    "konsultasjon",
    "undersøkelse",
];
const WEEKDAYS: &[&str] =
    &["mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag", "måndag", "tysdag", "laurdag", "sundag"];
const MONTHS: &[&str] = &[
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
];
/// Labels that only make sense before the identity number they introduce.
const ID_LABELS: &[&str] = &["fødselsnummer", "fødselsnr", "personnummer", "fnr", "f.nr", "pnr", "d-nummer"];

pub(crate) fn suggest(text: &str, findings: &[Finding], neutral: &str) -> Option<String> {
    let words = words(text);
    let lower: Vec<String> = words.iter().map(|(_, _, w)| w.to_lowercase()).collect();
    let is_reminder = lower.iter().any(|w| REMINDER_WORDS.contains(&w.as_str()));
    if is_reminder {
        let clock = clock(text, &words);
        let date = date(text, &words, clock.as_ref().map(|c| c.1));
        if clock.is_some() || date.is_some() {
            let mut when = String::new();
            if let Some(d) = date {
                when.push(' ');
                when.push_str(&d);
            }
            if let Some((c, _)) = clock {
                when.push_str(" kl. ");
                when.push_str(&c);
            }
            return Some(format!("Påminnelse: Du har time{when} hos {neutral}."));
        }
    }
    // Not a reminder: remove what blocks, name the department neutrally.
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in findings.iter().filter(|f| f.severity == Severity::Block) {
        if f.start < at || f.end > text.len() {
            continue;
        }
        let mut start = f.start;
        if f.kind == Kind::Fnr {
            start = without_label(text, at, start);
        }
        out.push_str(text.get(at..start)?);
        if f.kind == Kind::Department {
            out.push_str(neutral);
        }
        at = f.end;
    }
    out.push_str(text.get(at..)?);
    Some(tidy(&out))
}

/// Where an identity number's label ("fnr: ") starts, if one stands right before `start`.
fn without_label(text: &str, floor: usize, start: usize) -> usize {
    let before = text[floor..start].trim_end_matches([' ', ':']);
    let lower = before.to_lowercase();
    for label in ID_LABELS {
        if lower.ends_with(label) && lower.is_char_boundary(lower.len() - label.len()) {
            let cut = before.len() - label.len();
            if before.is_char_boundary(cut) {
                return floor + cut;
            }
        }
    }
    start
}

/// The words of `text`: (start, end, word), a word being letters, digits, '.', ':'.
fn words(text: &str) -> Vec<(usize, usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        let part = c.is_alphanumeric() || c == '.' || c == ':';
        match (start, part) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                out.push((s, i, &text[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    out
}

fn number(s: &str, max: u32) -> bool {
    !s.is_empty() && s.len() <= 2 && s.parse::<u32>().is_ok_and(|n| n >= 1 && n <= max)
}

fn is_clock(w: &str) -> bool {
    let w = w.trim_end_matches('.');
    w.split_once([':', '.']).is_some_and(|(h, m)| {
        h.len() <= 2 && h.parse::<u32>().is_ok_and(|h| h < 24) && m.len() == 2 && m.parse::<u32>().is_ok_and(|m| m < 60)
    })
}

/// The first time of day ("kl. 10.30", "10:30"), as written, and where it starts.
fn clock(_text: &str, words: &[(usize, usize, &str)]) -> Option<(String, usize)> {
    for (i, (s, _, w)) in words.iter().enumerate() {
        let lower = w.to_lowercase();
        if (lower == "kl." || lower == "kl") && words.get(i + 1).is_some_and(|n| is_clock(n.2)) {
            let (s2, _, n) = words[i + 1];
            return Some((n.trim_end_matches('.').to_string(), s2));
        }
        if w.contains(':') && is_clock(w) {
            return Some((w.trim_end_matches('.').to_string(), *s));
        }
    }
    None
}

/// The first date ("12.03.2027", "3. mars", "mandag 3. mars 2027"), as written.
fn date(text: &str, words: &[(usize, usize, &str)], clock_at: Option<usize>) -> Option<String> {
    for (i, &(s, e, w)) in words.iter().enumerate() {
        if Some(s) == clock_at {
            continue;
        }
        let trimmed = w.trim_end_matches('.');
        let parts: Vec<&str> = trimmed.split('.').collect();
        let numeric = parts.len() >= 2
            && parts.len() <= 3
            && number(parts[0], 31)
            && number(parts[1], 12)
            && parts.get(2).is_none_or(|y| y.len() == 2 || y.len() == 4)
            && !is_clock_after_kl(words, i);
        if numeric {
            return Some(with_weekday(text, words, i, s, s + trimmed.len()));
        }
        // "3. mars" with an optional year.
        if w.ends_with('.') && number(trimmed, 31) {
            if let Some(&(_, me, m)) = words.get(i + 1) {
                if MONTHS.contains(&m.trim_end_matches('.').to_lowercase().as_str()) {
                    let mut end = me - (m.len() - m.trim_end_matches('.').len());
                    if let Some(&(_, ye, y)) = words.get(i + 2) {
                        let y = y.trim_end_matches('.');
                        if y.len() == 4 && y.parse::<u32>().is_ok() {
                            end = ye - (words[i + 2].2.len() - y.len());
                        }
                    }
                    return Some(with_weekday(text, words, i, s, end));
                }
            }
        }
        let _ = e;
    }
    None
}

fn is_clock_after_kl(words: &[(usize, usize, &str)], i: usize) -> bool {
    i > 0 && matches!(words[i - 1].2.to_lowercase().as_str(), "kl." | "kl")
}

fn with_weekday(text: &str, words: &[(usize, usize, &str)], i: usize, s: usize, e: usize) -> String {
    let start = match i.checked_sub(1).map(|p| words[p]) {
        Some((ws, _, w)) if WEEKDAYS.contains(&w.to_lowercase().as_str()) => ws,
        _ => s,
    };
    text[start..e].to_string()
}

/// Spaces collapsed, no space before punctuation, no doubled punctuation.
fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let last = out.chars().last();
        match c {
            ' ' if matches!(last, Some(' ') | Some('\n') | None) => {}
            '.' | ',' | ';' | ':' | '!' | '?' => {
                while out.ends_with(' ') {
                    out.pop();
                }
                if matches!(out.chars().last(), Some('.' | ',' | ';' | ':')) {
                    out.pop();
                }
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out.trim().trim_start_matches(['.', ',', ';', ':']).trim().to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reminders_keep_only_when() {
        assert_eq!(
            suggest("Hei! Du har time på BUP mandag 12.03.2027 kl 09:15. Mvh BUP", &[], "Sykehuset"),
            Some("Påminnelse: Du har time mandag 12.03.2027 kl. 09:15 hos Sykehuset.".into())
        );
        assert_eq!(
            suggest("Påminnelse om time 4. april 2027.", &[], "oss"),
            Some("Påminnelse: Du har time 4. april 2027 hos oss.".into())
        );
    }

    #[test]
    fn other_messages_lose_what_blocks() {
        let text = "Svar på henvisning, fnr: 15108695088. Ring oss.";
        let start = text.find("1510").unwrap();
        let f = Finding {
            kind: Kind::Fnr,
            severity: Severity::Block,
            part: crate::Part::Text,
            start,
            end: start + 11,
            confidence: 0.99,
            explanation: String::new(),
        };
        assert_eq!(suggest(text, &[f], "oss"), Some("Svar på henvisning. Ring oss.".into()));
    }
}
