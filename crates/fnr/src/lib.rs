//! Norwegian identity numbers, checked and explained. Pure: no I/O, no clock, no panics.
//!
//! A person identifier has eleven digits `DDMMYYIIIKK`: a birth date, an individual number and
//! two check digits. Besides the fødselsnummer there are D-numbers (first digit + 4), H-numbers
//! (month + 40), FH-numbers (first digit 8 or 9, no date) and synthetic test numbers
//! (Skatteetaten's Tenor: month + 80; NAV's: month + 40, the same as H-numbers). Numbers issued
//! from 2032 relax the first check digit: it is accepted when `(S1 + K1) mod 11` is 0, 1, 2 or 3,
//! where `S1` is the weighted sum of the first nine digits; the classic rule is the case 0.
//!
//! ```
//! use fnr::{parse, Kind, Mode, Rule};
//!
//! let n = parse("151086 95088", Mode::Both).unwrap();
//! assert_eq!(n.kinds, vec![Kind::Fnr]);
//! assert_eq!(n.rules, vec![Rule::Classic, Rule::From2032]);
//! assert_eq!(n.birth_date.map(|d| d.to_string()), Some("1986-10-15".into()));
//! assert!(parse("15108695077", Mode::Both).is_err());
//! assert!(parse("30108299939", Mode::Classic).is_err()); // valid only under the 2032 rule
//! ```

use std::fmt;

/// What kind of person identifier a number is. A number can be more than one (a D-number that
/// is also an H-number), or one of two (month + 40 is an H-number or a NAV synthetic number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Fnr,
    DNumber,
    HNumber,
    FhNumber,
    SyntheticTenor,
    SyntheticNav,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Fnr => "fnr",
            Kind::DNumber => "d_number",
            Kind::HNumber => "h_number",
            Kind::FhNumber => "fh_number",
            Kind::SyntheticTenor => "synthetic_tenor",
            Kind::SyntheticNav => "synthetic_nav",
        }
    }
}

/// A check-digit rule a number satisfies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// K1 = 11 − (S1 mod 11), as for every number issued before 2032.
    Classic,
    /// (S1 + K1) mod 11 ∈ {0, 1, 2, 3}, for numbers issued from 2032.
    From2032,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Classic => "classic",
            Rule::From2032 => "2032",
        }
    }
}

/// Which first-check-digit rules to accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// The classic rule and the 2032 rule (the default).
    #[default]
    Both,
    /// Only the classic rule.
    Classic,
}

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A valid person identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonNumber {
    /// The eleven digits.
    pub digits: String,
    /// Every kind the number can be, most specific first.
    pub kinds: Vec<Kind>,
    /// The first-check-digit rules it satisfies.
    pub rules: Vec<Rule>,
    /// The birth date, when the number carries one and its century can be derived.
    pub birth_date: Option<Date>,
}

/// Why a number is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("holds something other than digits")]
    NotDigits,
    #[error("has {0} digits; expected {1}")]
    Length(usize, usize),
    #[error("the date part is not a date ({0})")]
    NoDate(String),
    #[error("the first check digit is wrong")]
    FirstCheckDigit,
    #[error("the first check digit is wrong under the classic rule (it is valid only under the 2032 rule)")]
    OnlyFrom2032,
    #[error("the second check digit is wrong")]
    SecondCheckDigit,
    #[error("the check digit is wrong")]
    CheckDigit,
    #[error("no number can have these digits: the check digit would be 10")]
    NeverIssued,
}

/// The digits of `input`, allowing one space, dot or dash between the two groups of a
/// `first`+`rest` split (e.g. "151086 95088").
fn digits(input: &str, len: usize, split: usize) -> Result<Vec<u8>, Invalid> {
    let s = input.trim();
    let bytes = s.as_bytes();
    let joined: Vec<u8> = if bytes.len() == len + 1 && matches!(bytes.get(split), Some(b' ' | b'.' | b'-')) {
        bytes.iter().enumerate().filter(|(i, _)| *i != split).map(|(_, b)| *b).collect()
    } else {
        bytes.to_vec()
    };
    if !joined.iter().all(u8::is_ascii_digit) {
        return Err(Invalid::NotDigits);
    }
    if joined.len() != len {
        return Err(Invalid::Length(joined.len(), len));
    }
    Ok(joined.iter().map(|b| b - b'0').collect())
}

fn weighted(d: &[u8], weights: &[u32]) -> u32 {
    d.iter().zip(weights).map(|(a, w)| u32::from(*a) * w).sum()
}

/// 11 − (sum mod 11), with 11 → 0; `None` for 10.
fn mod11(sum: u32) -> Option<u8> {
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        k => Some(k as u8),
    }
}

const K1: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const K2: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

fn is_leap(y: u16) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

fn days_in(month: u8, year: Option<u16>, yy: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        // Without the century, 29 February stands when some century makes the year a leap year.
        2 => match year {
            Some(y) if is_leap(y) => 29,
            Some(_) => 28,
            None if yy.is_multiple_of(4) => 29,
            None => 28,
        },
        _ => 0,
    }
}

/// The century from the individual number, by the classic rules; `None` where they say nothing.
fn century(individual: u16, yy: u8) -> Option<u16> {
    match individual {
        0..=499 => Some(1900),
        500..=749 if yy >= 54 => Some(1800),
        500..=999 if yy <= 39 => Some(2000),
        900..=999 if yy >= 40 => Some(1900),
        _ => None,
    }
}

/// The `n`-th synthetic national identity number in Tenor's series (the test numbers of the
/// Norwegian population register: month + 80, so never a real person's), with both check digits
/// by the classic rule. Distinct for every `n` below 3,360,000 (then they repeat); for test data
/// and examples.
pub fn tenor(n: u32) -> String {
    let (day, month, yy, block) = (1 + n % 28, 81 + (n / 28) % 12, (n / 336) % 100, (n / 33_600) % 100);
    // Of five individual numbers in a row, one always has valid check digits (checked for all).
    (0..5)
        .find_map(|off| {
            let first9 = format!("{day:02}{month:02}{yy:02}{:03}", block * 5 + off);
            let mut d: Vec<u8> = first9.bytes().map(|b| b - b'0').collect();
            d.push(mod11(weighted(&d, &K1))?);
            let k2 = mod11(weighted(&d, &K2))?;
            Some(format!("{first9}{}{k2}", d[9]))
        })
        .unwrap_or_default()
}

/// Parses and checks a person identifier.
pub fn parse(input: &str, mode: Mode) -> Result<PersonNumber, Invalid> {
    let d = digits(input, 11, 6)?;
    // The check digits first: they say whether this is a number at all.
    let s1 = weighted(&d[..9], &K1);
    let classic = mod11(s1) == Some(d[9]);
    let from_2032 = (s1 + u32::from(d[9])) % 11 <= 3;
    let mut rules = Vec::new();
    if classic {
        rules.push(Rule::Classic);
    }
    if from_2032 && mode == Mode::Both {
        rules.push(Rule::From2032);
    }
    if rules.is_empty() {
        return Err(if from_2032 { Invalid::OnlyFrom2032 } else { Invalid::FirstCheckDigit });
    }
    if mod11(weighted(&d[..10], &K2)) != Some(d[10]) {
        return Err(Invalid::SecondCheckDigit);
    }
    let two = |i: usize| d[i] * 10 + d[i + 1];
    let (dd, mm, yy) = (two(0), two(2), two(4));
    let individual = u16::from(d[6]) * 100 + u16::from(d[7]) * 10 + u16::from(d[8]);
    if d[0] >= 8 {
        return Ok(PersonNumber {
            digits: d.iter().map(|x| char::from(b'0' + x)).collect(),
            kinds: vec![Kind::FhNumber],
            rules,
            birth_date: None,
        });
    }
    let mut kinds = Vec::new();
    let day = if d[0] >= 4 {
        kinds.push(Kind::DNumber);
        dd - 40
    } else {
        dd
    };
    let month = match mm {
        1..=12 => mm,
        41..=52 => {
            kinds.extend([Kind::HNumber, Kind::SyntheticNav]);
            mm - 40
        }
        81..=92 => {
            kinds.push(Kind::SyntheticTenor);
            mm - 80
        }
        _ => return Err(Invalid::NoDate(format!("month {mm:02}"))),
    };
    if kinds.is_empty() {
        kinds.push(Kind::Fnr);
    }
    let year = century(individual, yy).map(|c| c + u16::from(yy));
    if day == 0 || day > days_in(month, year, yy) {
        return Err(Invalid::NoDate(format!("day {day:02} of month {month:02}")));
    }
    Ok(PersonNumber {
        digits: d.iter().map(|x| char::from(b'0' + x)).collect(),
        kinds,
        rules,
        birth_date: year.map(|year| Date { year, month, day }),
    })
}

/// Checks an organisation number (Enhetsregisteret): nine digits, mod 11 with weights
/// 3,2,7,6,5,4,3,2. One space may separate groups of three ("974 760 673").
pub fn check_org_number(input: &str) -> Result<String, Invalid> {
    let compact: String = input.trim().split(' ').collect();
    let d = digits(&compact, 9, 9)?;
    match mod11(weighted(&d[..8], &[3, 2, 7, 6, 5, 4, 3, 2])) {
        None => Err(Invalid::NeverIssued),
        Some(k) if k == d[8] => Ok(compact),
        Some(_) => Err(Invalid::CheckDigit),
    }
}

/// Checks a Norwegian bank account number: eleven digits (groups 4.2.5 may be separated by dots
/// or spaces), mod 11 with weights 5,4,3,2,7,6,5,4,3,2.
pub fn check_account_number(input: &str) -> Result<String, Invalid> {
    let compact: String = input.trim().chars().filter(|c| *c != '.' && *c != ' ').collect();
    let d = digits(&compact, 11, 11)?;
    match mod11(weighted(&d[..10], &K2)) {
        None => Err(Invalid::NeverIssued),
        Some(k) if k == d[10] => Ok(compact),
        Some(_) => Err(Invalid::CheckDigit),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    #[test]
    fn tenor_numbers_are_valid_synthetic_and_distinct() {
        let numbers: Vec<String> = (0..20_000).map(super::tenor).collect();
        for n in &numbers {
            let p = super::parse(n, super::Mode::Classic).unwrap_or_else(|e| panic!("{n}: {e}"));
            assert!(p.kinds.contains(&super::Kind::SyntheticTenor), "{n}");
        }
        let distinct: std::collections::HashSet<&String> = numbers.iter().collect();
        assert_eq!(distinct.len(), numbers.len());
    }

    use super::*;

    #[test]
    fn the_issue_vectors() {
        for n in ["15108695088", "26111593816", "13097248022", "29029648784", "29020075838", "15021951940"] {
            let p = parse(n, Mode::Both).unwrap_or_else(|e| panic!("{n}: {e}"));
            assert_eq!(p.rules, vec![Rule::Classic, Rule::From2032], "{n}");
            assert_eq!(p.kinds, vec![Kind::Fnr], "{n}");
        }
        let kinds = |n: &str| parse(n, Mode::Both).unwrap_or_else(|e| panic!("{n}: {e}")).kinds;
        assert_eq!(kinds("53097248016"), vec![Kind::DNumber]);
        assert_eq!(kinds("13527248013"), vec![Kind::HNumber, Kind::SyntheticNav]);
        assert_eq!(kinds("10915596784"), vec![Kind::SyntheticTenor]);
        assert_eq!(kinds("68467038838"), vec![Kind::DNumber, Kind::HNumber, Kind::SyntheticNav]);
        assert_eq!(kinds("50846202355"), vec![Kind::DNumber, Kind::SyntheticTenor]);
        let only_2032 = parse("30108299939", Mode::Both).unwrap();
        assert_eq!(only_2032.rules, vec![Rule::From2032]);
        assert_eq!(parse("30108299939", Mode::Classic), Err(Invalid::OnlyFrom2032));
        for n in [
            "15108695077",
            "26111593817",
            "26111593826",
            "26111593875",
            "13097248032",
            "13097248023",
            "02013299987",
            "02013299996",
        ] {
            assert!(parse(n, Mode::Both).is_err(), "{n} must fail");
        }
    }

    #[test]
    fn dates_centuries_and_reasons() {
        let p = parse("29029648784", Mode::Both).unwrap();
        assert_eq!(p.birth_date, Some(Date { year: 1996, month: 2, day: 29 }));
        assert_eq!(parse("29020075838", Mode::Both).unwrap().birth_date.map(|d| d.year), Some(2000));
        assert_eq!(parse("1510869508", Mode::Both), Err(Invalid::Length(10, 11)));
        assert_eq!(parse("15108695O88", Mode::Both), Err(Invalid::NotDigits));
        assert_eq!(parse("", Mode::Both), Err(Invalid::Length(0, 11)));
        assert_eq!(parse("151086-95088", Mode::Both).unwrap().digits, "15108695088");
        assert!(parse("1510869 5088", Mode::Both).is_err(), "a space elsewhere is not a split");
        assert!(check_org_number("974 760 673").is_ok());
        assert_eq!(check_org_number("974760674"), Err(Invalid::CheckDigit));
        assert_eq!(check_account_number("1503.27.12344").unwrap(), "15032712344");
        assert_eq!(check_account_number("1503 27 12345"), Err(Invalid::CheckDigit));
        assert_eq!(check_account_number("1503.27.1234"), Err(Invalid::Length(10, 11)));
    }

    #[test]
    fn never_panics_on_any_short_input() {
        let alphabet = ['0', '1', '4', '8', '9', ' ', '.', '-', 'x', 'æ'];
        let mut s = String::new();
        for i in 0..200_000u32 {
            s.clear();
            let mut n = i;
            for _ in 0..12 {
                s.push(alphabet[(n % 10) as usize]);
                n /= 7;
            }
            let _ = parse(&s, Mode::Both);
            let _ = check_org_number(&s.chars().take(9).collect::<String>());
            let _ = check_account_number(&s);
        }
    }
}
