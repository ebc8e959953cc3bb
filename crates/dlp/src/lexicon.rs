//! The curated word lists (`lexicon.txt`) and an organisation's own words, compiled into one
//! automaton that finds every entry in one pass over the text.

use crate::{Kind, Severity};
use aho_corasick::{AhoCorasick, MatchKind};

/// What a matched entry means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Finding(Kind),
    /// A word that says an identity number is near.
    IdentityContext,
    /// A word that says another kind of number (account, KID, order) is near.
    NumberContext,
    /// A word that says a diagnosis code is near.
    DiagnosticContext,
    /// A look-alike: an ordinary word that contains an entry.
    Ignore,
}

/// How a pattern meets the rest of its word on one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// The pattern ends the word.
    Whole,
    /// The word may go on with any letters; the finding covers them.
    Open,
    /// The word must go on with at least one letter (a compound's tail or head).
    Compound,
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub role: Role,
    pub severity: Severity,
    pub category: String,
    /// The pattern as written, without its markers; compared exactly when `case_sensitive`.
    pub text: String,
    pub case_sensitive: bool,
    pub left: Side,
    pub right: Side,
}

/// A malformed line in the word lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexiconError {
    pub line: usize,
    pub message: String,
}

pub(crate) fn parse_entry(pattern: &str, role: Role, severity: Severity, category: &str) -> Result<Entry, String> {
    let (case_sensitive, p) = match pattern.strip_prefix('=') {
        Some(rest) => (true, rest),
        None => (false, pattern),
    };
    let side = |c: Option<char>| match c {
        Some('*') => Side::Open,
        Some('+') => Side::Compound,
        _ => Side::Whole,
    };
    let left = side(p.chars().next());
    let right = side(p.chars().next_back());
    let text = p.trim_start_matches(['*', '+']).trim_end_matches(['*', '+']);
    if text.chars().count() < 2 {
        return Err(format!("'{pattern}' is too short to match"));
    }
    if text.contains(['*', '+']) {
        return Err(format!("'{pattern}': '*' and '+' go only at the ends"));
    }
    Ok(Entry {
        role,
        severity,
        category: category.to_string(),
        text: if case_sensitive { text.to_string() } else { text.to_lowercase() },
        case_sensitive,
        left,
        right,
    })
}

/// The built-in lists.
pub(crate) fn builtin() -> Result<Vec<Entry>, LexiconError> {
    let mut entries = Vec::new();
    for (i, line) in include_str!("lexicon.txt").lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |message: String| LexiconError { line: i + 1, message };
        let mut fields = line.splitn(4, ' ');
        let (Some(kind), Some(severity), Some(category), Some(pattern)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(err("expected: kind severity category pattern".into()));
        };
        let role = match kind {
            "term" => Role::Finding(Kind::HealthTerm),
            "rx" => Role::Finding(Kind::Prescription),
            "dept" => Role::Finding(Kind::Department),
            "id" => Role::IdentityContext,
            "num" => Role::NumberContext,
            "diag" => Role::DiagnosticContext,
            "ignore" => Role::Ignore,
            other => return Err(err(format!("unknown kind '{other}'"))),
        };
        let severity = match severity {
            "warn" => Severity::Warn,
            _ => Severity::Block,
        };
        entries.push(parse_entry(pattern, role, severity, category).map_err(err)?);
    }
    Ok(entries)
}

/// Every spelling of a pattern in case the automaton's ASCII-only case folding misses: each
/// non-ASCII letter (æ, ø, å, é …) in both cases. At most 16 spellings.
fn spellings(text: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    for c in text.chars() {
        let upper: Vec<char> = c.to_uppercase().collect();
        let two_cases = !c.is_ascii() && upper.len() == 1 && upper[0] != c && out.len() < 16;
        let mut next = Vec::with_capacity(out.len() * 2);
        for s in &out {
            let mut a = s.clone();
            a.push(c);
            next.push(a);
            if two_cases {
                let mut b = s.clone();
                b.push(upper[0]);
                next.push(b);
            }
        }
        out = next;
    }
    out
}

/// The entries compiled into one automaton.
pub(crate) struct Lexicon {
    pub entries: Vec<Entry>,
    automaton: Option<AhoCorasick>,
    /// For each automaton pattern, its entry.
    entry_of: Vec<usize>,
}

/// One entry found in the text, widened to its whole word where the entry allows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit {
    pub start: usize,
    pub end: usize,
    pub entry: usize,
    /// The length of the pattern itself: a longer pattern is the more specific.
    pub pattern_len: usize,
}

impl Lexicon {
    pub fn new(entries: Vec<Entry>) -> Result<Lexicon, String> {
        let mut patterns = Vec::new();
        let mut entry_of = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            for s in spellings(&e.text) {
                patterns.push(s);
                entry_of.push(i);
            }
        }
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .map_err(|e| e.to_string())?;
        Ok(Lexicon { entries, automaton: Some(automaton), entry_of })
    }

    /// No entries at all.
    pub fn empty() -> Lexicon {
        Lexicon { entries: Vec::new(), automaton: None, entry_of: Vec::new() }
    }

    /// Every entry found in `text`, overlapping ones included.
    pub fn hits(&self, text: &str) -> Vec<Hit> {
        let mut hits = Vec::new();
        let Some(automaton) = &self.automaton else { return hits };
        for m in automaton.find_overlapping_iter(text) {
            let entry_index = self.entry_of[m.pattern().as_usize()];
            let entry = &self.entries[entry_index];
            let (start, end) = (m.start(), m.end());
            if entry.case_sensitive && text[start..end] != entry.text {
                continue;
            }
            let Some(start) = widen_left(text, start, entry.left) else { continue };
            let Some(end) = widen_right(text, end, entry.right) else { continue };
            hits.push(Hit { start, end, entry: entry_index, pattern_len: m.len() });
        }
        hits
    }
}

/// The longest word the scanner widens a match to, in characters.
const MAX_WORD: usize = 64;

pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Where the word containing a match starting at `start` starts, if the side allows it.
fn widen_left(text: &str, start: usize, side: Side) -> Option<usize> {
    let before = &text[..start];
    // At most MAX_WORD characters: a hostile "word" of megabytes must not make every hit in it
    // walk back to its start.
    let word_start = before
        .char_indices()
        .rev()
        .take(MAX_WORD)
        .take_while(|(_, c)| is_word_char(*c))
        .last()
        .map_or(start, |(i, _)| i);
    match side {
        Side::Whole if word_start != start => None,
        Side::Compound if word_start == start => None,
        _ => Some(word_start),
    }
}

fn widen_right(text: &str, end: usize, side: Side) -> Option<usize> {
    let after = &text[end..];
    let word_end = end
        + after
            .char_indices()
            .take(MAX_WORD)
            .find(|(_, c)| !is_word_char(*c))
            .map_or_else(|| after.char_indices().nth(MAX_WORD).map_or(after.len(), |(i, _)| i), |(i, _)| i);
    match side {
        Side::Whole if word_end != end => None,
        Side::Compound if word_end == end => None,
        _ => Some(word_end),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_lists_parse_and_compile() {
        let entries = builtin().unwrap();
        assert!(entries.len() > 400, "{}", entries.len());
        Lexicon::new(entries).unwrap();
    }

    #[test]
    fn spellings_cover_norwegian_capitals() {
        assert_eq!(spellings("fødsel"), vec!["fødsel", "fØdsel"]);
        assert_eq!(spellings("kreft"), vec!["kreft"]);
    }
}
