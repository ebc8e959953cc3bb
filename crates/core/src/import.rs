//! Spreadsheet imports: text in the encodings Excel writes, headings mapped to fields, and the
//! per-row errors that make an import all or nothing. Pure.

use crate::problem::{Problem, ProblemKey};

/// A row the import could not take, and why: the column as the file heads it, and the problem
/// as a message key with arguments (translated at the edge). Row 1 is the heading; 0 is the
/// file itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub key: ProblemKey,
    pub args: Vec<(&'static str, String)>,
}

impl RowError {
    pub fn new(row: usize, field: impl Into<String>, key: ProblemKey) -> Self {
        RowError { row, field: field.into(), key, args: Vec::new() }
    }

    /// A problem with the file as a whole.
    pub fn file(key: ProblemKey) -> Self {
        RowError::new(0, "", key)
    }

    /// A rule's problem found in a row, under the column's heading.
    pub fn of(row: usize, heading: impl Into<String>, problem: Problem) -> Self {
        RowError { row, field: heading.into(), key: problem.key, args: problem.args }
    }

    /// The error with a value its message names.
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }
}

/// Text from a file: UTF-8 (with or without a byte order mark), or else Windows-1252, which
/// Excel on Norwegian Windows writes when asked for plain CSV.
pub fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|b| windows_1252(*b)).collect(),
    }
}

/// One Windows-1252 byte. It is ISO 8859-1 but for 0x80–0x9F; the five bytes it leaves
/// undefined are kept as the C1 controls of the same number, as browsers do.
pub fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// Maps a heading row to fields. `columns` are (field, accepted headings); headings compare
/// case-insensitively and ignoring surrounding space. Every heading must be known and used
/// once, and every field in `required` present; otherwise every problem is listed.
pub fn map_headings(
    heading: &[String],
    columns: &[(&'static str, &[&str])],
    required: &[&'static str],
) -> Result<Vec<Option<&'static str>>, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut mapped: Vec<Option<&'static str>> = Vec::with_capacity(heading.len());
    for cell in heading {
        let text = cell.trim().to_lowercase();
        if text.is_empty() {
            mapped.push(None);
            continue;
        }
        let field = columns.iter().find(|(_, names)| names.iter().any(|n| n.to_lowercase() == text)).map(|(f, _)| *f);
        match field {
            None => errors.push(RowError::new(1, cell.trim(), ProblemKey::UnknownColumn)),
            Some(f) if mapped.contains(&Some(f)) => errors.push(RowError::new(1, cell.trim(), ProblemKey::ColumnTwice)),
            Some(_) => {}
        }
        mapped.push(field);
    }
    for field in required {
        if !mapped.contains(&Some(*field)) {
            let name = columns.iter().find(|(f, _)| f == field).and_then(|(_, n)| n.first()).unwrap_or(field);
            errors.push(RowError::new(1, *name, ProblemKey::ColumnMissing));
        }
    }
    if errors.is_empty() {
        Ok(mapped)
    } else {
        Err(errors)
    }
}

/// The error for a row with text beyond the last heading: usually a separator inside a cell
/// that was not quoted.
pub fn overflow(row: &[String], width: usize, line: usize) -> Option<RowError> {
    row.iter().skip(width).any(|c| !c.trim().is_empty()).then(|| RowError::new(line, "", ProblemKey::MoreCells))
}

/// Whether every cell of a row is blank (such rows are skipped).
pub fn blank(row: &[String]) -> bool {
    row.iter().all(|c| c.trim().is_empty())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn excel_text_in_either_encoding_reads_the_same() {
        assert_eq!(decode_text("Må følges opp – nå".as_bytes()), "Må følges opp – nå");
        assert_eq!(decode_text(b"\xEF\xBB\xBFabc"), "abc");
        assert_eq!(decode_text(b"M\xe5 f\xf8lges opp \x96 n\xe5 \x80"), "Må følges opp – nå €");
        assert_eq!(decode_text(b"\xc6\xd8\xc5"), "ÆØÅ");
    }

    #[test]
    fn headings_are_mapped_or_every_problem_listed() {
        let columns: &[(&str, &[&str])] = &[("name", &["Navn", "Name"]), ("owner", &["Eier"])];
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            map_headings(&h(&[" navn ", "", "EIER"]), columns, &["name"]).unwrap(),
            vec![Some("name"), None, Some("owner")]
        );
        let errors = map_headings(&h(&["Eier", "Farge", "Eier"]), columns, &["name"]).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["Farge", "Eier", "Navn"]);
    }
}
