//! The self-assessment (egenvurdering) against the catalogue: answers and their rules, rounds,
//! compliance scores, gap lists and comparisons between rounds.

use crate::catalog::Catalog;
use crate::problem::{Problem, ProblemKey};
use serde::Serialize;
use std::collections::HashMap;

string_enum! {
    /// How far the organisation meets a requirement.
    Status {
        Met = "met",
        Partial = "partial",
        NotMet = "not_met",
        NotRelevant = "not_relevant",
    }
}

impl Status {
    /// Order for comparisons: not met < partially met < met. "Not relevant" has no rank.
    pub fn rank(self) -> Option<u8> {
        match self {
            Status::NotMet => Some(0),
            Status::Partial => Some(1),
            Status::Met => Some(2),
            Status::NotRelevant => None,
        }
    }

    /// Whether the requirement is a gap to close.
    pub fn is_gap(self) -> bool {
        matches!(self, Status::NotMet | Status::Partial)
    }
}

/// A calendar date, `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year: i32 = s[0..4].parse().ok()?;
        let month: u8 = s[5..7].parse().ok()?;
        let day: u8 = s[8..10].parse().ok()?;
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (year >= 1900 && (1..=days).contains(&day)).then_some(Date { year, month, day })
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// An answer as someone submits it, before it is accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswerInput {
    pub status: String,
    pub justification: String,
    pub comment: String,
    pub responsible_user_id: Option<i64>,
    pub due_date: String,
    pub evidence_link: String,
}

/// An accepted answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    pub status: Status,
    pub justification: Option<String>,
    pub comment: Option<String>,
    pub responsible_user_id: Option<i64>,
    pub due_date: Option<Date>,
    pub evidence_link: Option<String>,
}

const MAX_TEXT: usize = 5000;

fn justification_required() -> Problem {
    Problem::new("justification", ProblemKey::JustificationRequired, "'not relevant' needs a justification")
}

fn optional_text(field: &'static str, s: &str, problems: &mut Vec<Problem>) -> Option<String> {
    let t = s.trim();
    let lines = if field == "evidence_link" { crate::text::Lines::One } else { crate::text::Lines::Many };
    problems.extend(crate::text::check(field, t, lines, MAX_TEXT));
    (!t.is_empty()).then(|| t.to_string())
}

/// Checks an answer: a known status; a justification for "not relevant"; real dates; web
/// links only; bounded text. Returns every problem at once, by field.
pub fn check_answer(input: &AnswerInput) -> Result<Answer, Vec<Problem>> {
    let mut problems = Vec::new();
    let status = input
        .status
        .parse::<Status>()
        .map_err(|_| {
            problems.push(Problem::new(
                "status",
                ProblemKey::ChooseOne,
                "status must be one of met, partial, not_met, not_relevant",
            ))
        })
        .ok();
    let justification = optional_text("justification", &input.justification, &mut problems);
    if status == Some(Status::NotRelevant) && justification.is_none() {
        problems.push(justification_required());
    }
    let comment = optional_text("comment", &input.comment, &mut problems);
    let due_date = match input.due_date.trim() {
        "" => None,
        d => Date::parse(d).or_else(|| {
            problems.push(Problem::new(
                "due_date",
                ProblemKey::Date,
                "the date must be a real date written YYYY-MM-DD",
            ));
            None
        }),
    };
    let evidence_link = optional_text("evidence_link", &input.evidence_link, &mut problems);
    if let Some(link) = &evidence_link {
        let lower = link.to_ascii_lowercase();
        let web = (lower.starts_with("https://") || lower.starts_with("http://")) && link.len() > 10;
        if !web || link.chars().any(char::is_whitespace) || link.chars().count() > 2000 {
            problems.push(Problem::new(
                "evidence_link",
                ProblemKey::Link,
                "the link must be an http:// or https:// address",
            ));
        }
    }
    match (status, problems.is_empty()) {
        (Some(status), true) => Ok(Answer {
            status,
            justification,
            comment,
            responsible_user_id: input.responsible_user_id,
            due_date,
            evidence_link,
        }),
        _ => Err(problems),
    }
}

/// Compliance for a set of requirements.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Score {
    pub total: usize,
    pub met: usize,
    pub partial: usize,
    pub not_met: usize,
    pub not_relevant: usize,
}

impl Score {
    pub fn answered(&self) -> usize {
        self.met + self.partial + self.not_met + self.not_relevant
    }

    pub fn unanswered(&self) -> usize {
        self.total - self.answered()
    }

    /// Per cent of relevant, answered requirements met, a partial counting half. `None` until
    /// something relevant is answered.
    pub fn percent(&self) -> Option<u32> {
        let relevant = self.met + self.partial + self.not_met;
        (relevant > 0).then(|| ((self.met * 200 + self.partial * 100) / (relevant * 2)) as u32)
    }

    fn add(&mut self, status: Option<Status>) {
        self.total += 1;
        match status {
            Some(Status::Met) => self.met += 1,
            Some(Status::Partial) => self.partial += 1,
            Some(Status::NotMet) => self.not_met += 1,
            Some(Status::NotRelevant) => self.not_relevant += 1,
            None => {}
        }
    }
}

/// Scores per chapter (2–5, in order) and overall.
pub fn scores(catalog: &Catalog, statuses: &HashMap<String, Status>) -> (Vec<(String, Score)>, Score) {
    let mut chapters: Vec<(String, Score)> = Vec::new();
    let mut overall = Score::default();
    for r in &catalog.requirements {
        let status = statuses.get(&r.id).copied();
        overall.add(status);
        let chapter = r.chapter().to_string();
        match chapters.iter_mut().find(|(c, _)| *c == chapter) {
            Some((_, s)) => s.add(status),
            None => {
                let mut s = Score::default();
                s.add(status);
                chapters.push((chapter, s));
            }
        }
    }
    (chapters, overall)
}

/// One open gap: a requirement not met or partially met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub requirement_id: String,
    pub status: Status,
    pub due_date: Option<Date>,
    pub overdue: bool,
}

/// The gaps, earliest due date first (undated last), overdue marked against `today`.
pub fn gaps<'a>(answers: impl IntoIterator<Item = (&'a str, &'a Answer)>, today: Date) -> Vec<Gap> {
    let mut gaps: Vec<Gap> = answers
        .into_iter()
        .filter(|(_, a)| a.status.is_gap())
        .map(|(id, a)| Gap {
            requirement_id: id.to_string(),
            status: a.status,
            due_date: a.due_date,
            overdue: a.due_date.is_some_and(|d| d < today),
        })
        .collect();
    gaps.sort_by(|a, b| match (a.due_date, b.due_date) {
        (Some(x), Some(y)) => x.cmp(&y).then_with(|| a.requirement_id.cmp(&b.requirement_id)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.requirement_id.cmp(&b.requirement_id),
    });
    gaps
}

/// How a requirement's answer moved between two rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Improved,
    Regressed,
    Unchanged,
    /// To or from "not relevant", or answered in only one of the rounds.
    Changed,
}

/// Compares the status of every requirement between an earlier and a later round.
pub fn compare(
    catalog: &Catalog,
    earlier: &HashMap<String, Status>,
    later: &HashMap<String, Status>,
) -> Vec<(String, Option<Status>, Option<Status>, Change)> {
    catalog
        .requirements
        .iter()
        .map(|r| {
            let (a, b) = (earlier.get(&r.id).copied(), later.get(&r.id).copied());
            let change = match (a.and_then(Status::rank), b.and_then(Status::rank)) {
                _ if a == b => Change::Unchanged,
                (Some(x), Some(y)) if y > x => Change::Improved,
                (Some(x), Some(y)) if y < x => Change::Regressed,
                _ => Change::Changed,
            };
            (r.id.clone(), a, b, change)
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::catalog::normen_5_3;

    fn input(status: &str) -> AnswerInput {
        AnswerInput { status: status.into(), ..AnswerInput::default() }
    }

    #[test]
    fn not_relevant_needs_a_justification() {
        let problems = check_answer(&input("not_relevant")).unwrap_err();
        let said: Vec<(&str, ProblemKey)> = problems.iter().map(|p| (p.field, p.key)).collect();
        assert_eq!(said, vec![("justification", ProblemKey::JustificationRequired)]);
        let ok =
            check_answer(&AnswerInput { justification: "Vi har ingen mobile enheter".into(), ..input("not_relevant") });
        assert_eq!(ok.map(|a| a.status), Ok(Status::NotRelevant));
        let blank = check_answer(&AnswerInput { justification: "   ".into(), ..input("not_relevant") });
        assert!(blank.is_err());
    }

    #[test]
    fn every_problem_is_reported_by_field() {
        let bad = AnswerInput {
            status: "done".into(),
            due_date: "2026-02-30".into(),
            evidence_link: "javascript:alert(1)".into(),
            comment: "x".repeat(5001),
            ..AnswerInput::default()
        };
        let fields: Vec<&str> = check_answer(&bad).unwrap_err().into_iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["status", "comment", "due_date", "evidence_link"]);
        let ok = AnswerInput {
            due_date: "2028-02-29".into(),
            evidence_link: "https://intranett.no/rutine".into(),
            ..input("met")
        };
        let answer = check_answer(&ok).unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(answer.due_date.map(|d| d.to_string()), Some("2028-02-29".into()));
    }

    #[test]
    fn dates_must_exist() {
        assert!(Date::parse("2024-02-29").is_some());
        assert!(Date::parse("2023-02-29").is_none());
        assert!(Date::parse("1900-02-29").is_none());
        assert!(Date::parse("2000-02-29").is_some());
        for bad in ["", "2024-13-01", "2024-1-01", "24-01-01", "2024-01-00", "abcd-ef-gh", "2024/01/01"] {
            assert!(Date::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn scores_count_partial_as_half_and_skip_not_relevant() {
        let c = normen_5_3();
        let ids: Vec<String> = c.requirements.iter().filter(|r| r.chapter() == "2").map(|r| r.id.clone()).collect();
        let mut statuses = HashMap::new();
        statuses.insert(ids[0].clone(), Status::Met);
        statuses.insert(ids[1].clone(), Status::Partial);
        statuses.insert(ids[2].clone(), Status::NotMet);
        statuses.insert(ids[3].clone(), Status::NotRelevant);
        let (chapters, overall) = scores(c, &statuses);
        assert_eq!(chapters.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(), vec!["2", "3", "4", "5"]);
        let ch2 = chapters[0].1;
        assert_eq!((ch2.met, ch2.partial, ch2.not_met, ch2.not_relevant, ch2.total), (1, 1, 1, 1, ids.len()));
        assert_eq!(ch2.percent(), Some(50));
        assert_eq!(overall.total, c.requirements.len());
        assert_eq!(overall.unanswered(), c.requirements.len() - 4);
        assert_eq!(chapters[1].1.percent(), None, "nothing answered yet");
    }

    #[test]
    fn gaps_come_by_due_date_with_overdue_marked() {
        let answer = |status, due: &str| Answer {
            status,
            justification: None,
            comment: None,
            responsible_user_id: None,
            due_date: Date::parse(due),
            evidence_link: None,
        };
        let a = answer(Status::NotMet, "2026-12-01");
        let b = answer(Status::Partial, "2026-01-01");
        let c = answer(Status::Partial, "");
        let d = answer(Status::Met, "2020-01-01");
        let today = Date::parse("2026-11-24").unwrap_or_else(|| unreachable!());
        let list = gaps([("a", &a), ("b", &b), ("c", &c), ("d", &d)], today);
        let order: Vec<(&str, bool)> = list.iter().map(|g| (g.requirement_id.as_str(), g.overdue)).collect();
        assert_eq!(order, vec![("b", true), ("a", false), ("c", false)]);
    }

    #[test]
    fn rounds_compare_as_improved_regressed_unchanged() {
        let c = normen_5_3();
        let id = |i: usize| c.requirements[i].id.clone();
        let earlier: HashMap<String, Status> =
            [(id(0), Status::NotMet), (id(1), Status::Met), (id(2), Status::Partial), (id(3), Status::Met)].into();
        let later: HashMap<String, Status> =
            [(id(0), Status::Met), (id(1), Status::Partial), (id(2), Status::Partial), (id(3), Status::NotRelevant)]
                .into();
        let result = compare(c, &earlier, &later);
        let change = |i: usize| result[i].3;
        assert_eq!(
            (change(0), change(1), change(2), change(3), change(4)),
            (Change::Improved, Change::Regressed, Change::Unchanged, Change::Changed, Change::Unchanged)
        );
    }
}
