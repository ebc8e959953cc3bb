//! One pass over the digits of a text: identity numbers, diagnosis codes, strengths and phone
//! numbers all start or end at a run of digits.

use fnr::{Mode, PersonNumber};

/// Something found at a run of digits; whether it becomes a finding depends on its context.
#[derive(Debug, Clone)]
pub(crate) enum What {
    /// Eleven digits, whole or split 6+5, that pass the check digits.
    PersonNumber(PersonNumber),
    /// A letter and two digits, perhaps with decimals; `icpc` when it can be an ICPC-2 code too.
    Code { icpc: bool },
    /// A strength such as "50 mg".
    Strength,
    /// A lab value such as "7,2 mmol/l".
    LabValue,
    /// A Norwegian phone number: eight digits, perhaps grouped, perhaps after +47.
    Phone,
}

#[derive(Debug, Clone)]
pub(crate) struct NumberHit {
    pub start: usize,
    pub end: usize,
    pub what: What,
}

fn is_digit(b: Option<&u8>) -> bool {
    b.is_some_and(u8::is_ascii_digit)
}

fn is_alnum_byte(b: Option<&u8>) -> bool {
    // Bytes of non-ASCII characters count as letters: Norwegian letters are the common case.
    b.is_some_and(|b| b.is_ascii_alphanumeric() || *b >= 0x80)
}

/// The ICPC-2 chapters.
const ICPC: &[u8] = b"ABDFHKLNPRSTUWXYZ";

pub(crate) fn scan(text: &str) -> Vec<NumberHit> {
    let b = text.as_bytes();
    let mut hits = Vec::new();
    let mut i = 0;
    // Where the previous run ended and the separator after it, so a group is read only from its
    // first run.
    let mut previous_end: Option<usize> = None;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let end = i;
        let continues_group = previous_end.is_some_and(|p| start == p + 1 && matches!(b[p], b' ' | b'.' | b'-'));
        previous_end = Some(end);
        let len = end - start;

        // A diagnosis code: an upper-case letter that starts a word, then two digits.
        if len == 2
            && start >= 1
            && b[start - 1].is_ascii_uppercase()
            && !is_alnum_byte(start.checked_sub(2).and_then(|p| b.get(p)))
        {
            if let Some(code_end) = code_end(b, end) {
                let letter = b[start - 1];
                let icpc = code_end == end && ICPC.contains(&letter);
                hits.push(NumberHit { start: start - 1, end: code_end, what: What::Code { icpc } });
                i = code_end;
                previous_end = None;
                continue;
            }
        }
        if continues_group {
            continue;
        }
        // The country code of a phone number: the number proper follows.
        if &b[start..end] == b"47" && start >= 1 && b[start - 1] == b'+' {
            previous_end = None;
            continue;
        }
        // An identity number: eleven digits, or six and five split by one space, dot or dash.
        let person = if len == 11 {
            Some((start, end, text[start..end].to_string()))
        } else if len == 6
            && matches!(b.get(end), Some(b' ' | b'.' | b'-'))
            && (end + 1..end + 6).all(|k| is_digit(b.get(k)))
            && !is_digit(b.get(end + 6))
        {
            Some((start, end + 6, format!("{}{}", &text[start..end], &text[end + 1..end + 6])))
        } else {
            None
        };
        if let Some((s, e, digits)) = person {
            if let Ok(n) = fnr::parse(&digits, Mode::Both) {
                hits.push(NumberHit { start: s, end: e, what: What::PersonNumber(n) });
            }
            continue;
        }
        if let Some(unit_end) = unit_end(b, end) {
            hits.push(NumberHit {
                start,
                end: unit_end.0,
                what: if unit_end.1 { What::LabValue } else { What::Strength },
            });
            // The decimals and the unit are read.
            i = unit_end.0;
            previous_end = None;
            continue;
        }
        if let Some(phone_end) = phone_end(b, start, end) {
            let s = if start >= 4 && &b[start - 4..start] == b"+47 " { start - 4 } else { start };
            hits.push(NumberHit { start: s, end: phone_end, what: What::Phone });
        }
    }
    hits
}

/// Where a code that has read its letter and two digits ends: after an optional ".d" or ".dd"
/// and an optional letter suffix, at a word boundary. None when the word goes on.
fn code_end(b: &[u8], mut end: usize) -> Option<usize> {
    if b.get(end) == Some(&b'.') && is_digit(b.get(end + 1)) {
        end += 2;
        if is_digit(b.get(end)) {
            end += 1;
        }
    }
    if b.get(end).is_some_and(u8::is_ascii_uppercase) && !is_alnum_byte(b.get(end + 1)) {
        end += 1;
    }
    // "A70-123" or "B12/4" are references, not codes.
    let joined = matches!(b.get(end), Some(b'-' | b'/' | b'_')) && is_alnum_byte(b.get(end + 1));
    if is_alnum_byte(b.get(end)) || joined || (b.get(end) == Some(&b'.') && is_digit(b.get(end + 1))) {
        return None;
    }
    Some(end)
}

/// Where a strength or lab value ends when the digits ending at `end` are followed by a unit,
/// and whether it is a lab value.
fn unit_end(b: &[u8], mut end: usize) -> Option<(usize, bool)> {
    if matches!(b.get(end), Some(b',' | b'.')) && is_digit(b.get(end + 1)) {
        end += 1;
        while is_digit(b.get(end)) {
            end += 1;
        }
    }
    if b.get(end) == Some(&b' ') {
        end += 1;
    }
    let rest = &b[end.min(b.len())..];
    for (unit, lab) in [
        (&b"mg"[..], false),
        (b"mcg", false),
        ("µg".as_bytes(), false),
        ("μg".as_bytes(), false),
        (b"mikrogram", false),
        (b"milligram", false),
        (b"IE", false),
        (b"mmol", true),
        (b"g/dl", true),
    ] {
        if rest.len() >= unit.len() && rest[..unit.len()].eq_ignore_ascii_case(unit) {
            let after = end + unit.len();
            if !is_alnum_byte(b.get(after)) {
                return Some((after, lab));
            }
        }
    }
    None
}

/// Where a phone number that starts with the run `start..end` ends: eight digits, whole or as
/// 2+2+2+2, 3+2+3 or 4+4, the first digit 2–9.
fn phone_end(b: &[u8], start: usize, end: usize) -> Option<usize> {
    if !(b'2'..=b'9').contains(&b[start]) || is_alnum_byte(start.checked_sub(1).and_then(|p| b.get(p))) {
        return None;
    }
    let mut groups = vec![end - start];
    let mut at = end;
    while groups.iter().sum::<usize>() < 8 && b.get(at) == Some(&b' ') && is_digit(b.get(at + 1)) {
        let s = at + 1;
        let mut e = s;
        while is_digit(b.get(e)) {
            e += 1;
        }
        groups.push(e - s);
        at = e;
    }
    let ok = matches!(groups.as_slice(), [8] | [2, 2, 2, 2] | [3, 2, 3] | [4, 4]);
    (ok && !is_alnum_byte(b.get(at))).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(String, &'static str)> {
        scan(text)
            .into_iter()
            .map(|h| {
                let k = match h.what {
                    What::PersonNumber(_) => "fnr",
                    What::Code { icpc: true } => "icpc",
                    What::Code { icpc: false } => "icd",
                    What::Strength => "strength",
                    What::LabValue => "lab",
                    What::Phone => "phone",
                };
                (text[h.start..h.end].to_string(), k)
            })
            .collect()
    }

    #[test]
    fn numbers_in_their_common_forms() {
        assert_eq!(kinds("fnr 15108695088."), vec![("15108695088".into(), "fnr")]);
        assert_eq!(kinds("151086 95088"), vec![("151086 95088".into(), "fnr")]);
        assert_eq!(kinds("151086-95088"), vec![("151086-95088".into(), "fnr")]);
        assert_eq!(kinds("pas15108695088x"), vec![("15108695088".into(), "fnr")]);
        assert!(kinds("15108695077").is_empty(), "a bad check digit is not a number");
        assert!(kinds("115108695088").is_empty(), "twelve digits are not eleven");
        assert_eq!(kinds("Dg F32.1 og T90"), vec![("F32.1".into(), "icd"), ("T90".into(), "icpc")]);
        assert!(kinds("ref A70-123, rom B12b").is_empty());
        assert_eq!(
            kinds("Sertralin 50 mg, HbA1c 7,2 mmol/l"),
            vec![("50 mg".into(), "strength"), ("7,2 mmol".into(), "lab")]
        );
        assert_eq!(
            kinds("Ring 22 11 22 11 eller +47 91684694"),
            vec![("22 11 22 11".into(), "phone"), ("+47 91684694".into(), "phone")]
        );
        assert!(kinds("kl. 10.30 den 12.03.2027").is_empty());
    }
}
