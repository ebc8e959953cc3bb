//! Access reviews (Normen 5.2.3): managers check, at least yearly, on an organisation change or
//! transfer, and after a breach in the area, that the authorisations granted in their units are
//! still needed. A campaign splits itself by the manager of each person's unit; each answers
//! keep, revoke or change (with a reason for the last two). Pure: today's date is passed in.

use crate::assessment::Date;
use crate::authz::{Grant, SystemRights};
use crate::problem::{Problem, ProblemKey};

string_enum! {
    /// Why a campaign was started.
    Kind {
        /// The regular review, yearly unless the organisation set another interval.
        Yearly = "yearly",
        /// A person's unit or employment changed (a transfer, a reorganisation).
        Transfer = "transfer",
        /// After a breach: the authorisations in the systems a deviation names.
        Breach = "breach",
    }
}

string_enum! {
    /// A manager's answer about one authorisation.
    Decision {
        Keep = "keep",
        Revoke = "revoke",
        /// Keep it with other rights.
        Change = "change",
    }
}

/// How many months apart the regular review is due when the organisation set nothing.
pub const YEARLY_MONTHS: i64 = 12;

/// How many days a manager has to answer a campaign raised by a transfer or a breach.
pub const RAISED_DAYS: i64 = 30;

/// An authorisation standing when a campaign starts, with the unit of the person it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing<'a> {
    pub authorisation_id: i64,
    pub person_id: i64,
    pub unit_id: Option<i64>,
    pub grant: &'a Grant,
}

/// One line of a campaign: the authorisation to answer about, and the manager who answers (the
/// lowest-numbered manager of the person's unit; none: the security lead answers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub authorisation_id: i64,
    pub person_id: i64,
    pub manager: Option<i64>,
}

/// Splits the standing authorisations by responsible manager (`managers`: user, unit). With
/// `systems` given (after a breach), only those with a right in one of them are reviewed.
pub fn split(standing: &[Standing], managers: &[(i64, i64)], systems: &[i64]) -> Vec<Line> {
    let mut by_unit: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    for &(user, unit) in managers {
        by_unit.entry(unit).and_modify(|u| *u = (*u).min(user)).or_insert(user);
    }
    let touches = |g: &Grant| g.systems.iter().any(|s| systems.contains(&s.system_id) && !s.rights.is_empty());
    standing
        .iter()
        .filter(|s| systems.is_empty() || touches(s.grant))
        .map(|s| Line {
            authorisation_id: s.authorisation_id,
            person_id: s.person_id,
            manager: s.unit_id.and_then(|u| by_unit.get(&u).copied()),
        })
        .collect()
}

/// Every problem with a new campaign on `today`: a title, and a deadline that is a real date
/// after today.
pub fn check_campaign(title: &str, deadline: &str, today: Date) -> Vec<Problem> {
    let mut p = Vec::new();
    if title.trim().is_empty() {
        p.push(Problem::new("title", ProblemKey::Required, "a title"));
    } else if title.chars().count() > 200 {
        p.push(Problem::new("title", ProblemKey::TooLong, "at most 200 characters").arg("max", 200));
    }
    match Date::parse(deadline) {
        None => p.push(Problem::new("deadline", ProblemKey::Date, "a real date written YYYY-MM-DD")),
        Some(d) if d <= today => p.push(Problem::new("deadline", ProblemKey::NotAfterToday, "a date after today")),
        Some(_) => {}
    }
    p
}

/// Every problem with an answer: revoking and changing need a reason (Normen 5.2.3 asks the
/// review to be documented), a change needs rights that differ from the grant's and are no more
/// than rights in systems it already covers or the organisation's.
pub fn check_answer(decision: Decision, reason: &str, current: &Grant, new: Option<&[SystemRights]>) -> Vec<Problem> {
    let mut p = Vec::new();
    if decision != Decision::Keep && reason.trim().is_empty() {
        p.push(Problem::new("reason", ProblemKey::Required, "why it is revoked or changed"));
    }
    if reason.chars().count() > 2000 {
        p.push(Problem::new("reason", ProblemKey::TooLong, "at most 2000 characters").arg("max", 2000));
    }
    if decision == Decision::Change {
        match new {
            Some(rights) if rights.iter().any(|s| !s.rights.is_empty()) => {
                if rights == current.systems.as_slice() {
                    p.push(Problem::new("systems", ProblemKey::Unchanged, "rights that differ from those granted"));
                }
            }
            _ => p.push(Problem::new("systems", ProblemKey::NoRights, "at least one right in one system")),
        }
    }
    p
}

/// Whether the regular review is due on `today`: none was ever started, or the last started on
/// `last` is `months` calendar months or more ago.
pub fn yearly_due(last: Option<Date>, months: i64, today: Date) -> bool {
    let Some(last) = last else { return true };
    let total = last.year as i64 * 12 + (last.month as i64 - 1) + months;
    let due = (total.div_euclid(12) as i32, (total.rem_euclid(12) + 1) as u8);
    (today.year, today.month, today.day) >= (due.0, due.1, last.day)
}

/// Whether a campaign with `deadline` is overdue on `today` (the deadline day is still in time).
pub fn overdue(deadline: &str, today: Date) -> bool {
    Date::parse(deadline).is_some_and(|d| d < today)
}

/// Whether a change of a person raises a review of their authorisations: their unit changed
/// (a transfer or a reorganisation), or their employment did (another enterprise, a new last
/// day) — the latter matters most for access to another enterprise's data (5.2.1.3).
pub fn raises_review(before: &crate::authz::PersonIn, after: &crate::authz::PersonIn) -> bool {
    before.unit_id != after.unit_id
        || before.enterprise.trim() != after.enterprise.trim()
        || before.ends_on.trim() != after.ends_on.trim() && !after.ends_on.trim().is_empty()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::authz::Right;

    fn grant(system: i64) -> Grant {
        Grant {
            purpose: "Helsehjelp".into(),
            systems: vec![SystemRights { system_id: system, rights: vec![Right::Read], break_glass: false }],
            valid_from: "2026-01-01".into(),
            ..Grant::default()
        }
    }

    #[test]
    fn a_campaign_splits_by_the_manager_of_each_persons_unit() {
        let (a, b) = (grant(1), grant(2));
        let standing = [
            Standing { authorisation_id: 10, person_id: 1, unit_id: Some(5), grant: &a },
            Standing { authorisation_id: 11, person_id: 2, unit_id: Some(6), grant: &b },
            Standing { authorisation_id: 12, person_id: 3, unit_id: None, grant: &a },
        ];
        let managers = [(9, 5), (7, 5), (8, 6)];
        let lines = split(&standing, &managers, &[]);
        let who: Vec<(i64, Option<i64>)> = lines.iter().map(|l| (l.authorisation_id, l.manager)).collect();
        assert_eq!(who, [(10, Some(7)), (11, Some(8)), (12, None)]);
        let after_breach = split(&standing, &managers, &[2]);
        assert_eq!(after_breach.iter().map(|l| l.authorisation_id).collect::<Vec<_>>(), [11]);
    }

    #[test]
    fn revoke_and_change_need_a_reason_and_a_change_new_rights() {
        let g = grant(1);
        assert!(check_answer(Decision::Keep, "", &g, None).is_empty());
        let fields = |p: Vec<Problem>| p.iter().map(|p| p.field).collect::<Vec<_>>();
        assert_eq!(fields(check_answer(Decision::Revoke, " ", &g, None)), ["reason"]);
        assert_eq!(fields(check_answer(Decision::Change, "Ny rolle", &g, Some(&g.systems))), ["systems"]);
        assert_eq!(fields(check_answer(Decision::Change, "Ny rolle", &g, Some(&[]))), ["systems"]);
        let more = [SystemRights { system_id: 1, rights: vec![Right::Read, Right::Register], break_glass: false }];
        assert!(check_answer(Decision::Change, "Ny rolle", &g, Some(&more)).is_empty());
    }

    #[test]
    fn the_yearly_review_is_due_a_calendar_year_after_the_last() {
        let d = |s: &str| Date::parse(s).unwrap();
        assert!(yearly_due(None, 12, d("2026-12-03")));
        assert!(!yearly_due(Some(d("2026-01-15")), 12, d("2027-01-14")));
        assert!(yearly_due(Some(d("2026-01-15")), 12, d("2027-01-15")));
        assert!(yearly_due(Some(d("2026-11-30")), 3, d("2027-03-01")));
        assert!(!check_campaign("Årlig", "2026-12-03", d("2026-12-03")).is_empty(), "not today");
        assert!(check_campaign("Årlig", "2026-12-31", d("2026-12-03")).is_empty());
        assert!(overdue("2026-12-02", d("2026-12-03")) && !overdue("2026-12-03", d("2026-12-03")));
    }

    #[test]
    fn a_transfer_or_a_change_of_employment_raises_a_review() {
        let p = crate::authz::PersonIn { name: "Kari".into(), unit_id: Some(1), ..Default::default() };
        assert!(!raises_review(&p, &p.clone()));
        assert!(raises_review(&p, &crate::authz::PersonIn { unit_id: Some(2), ..p.clone() }));
        assert!(raises_review(&p, &crate::authz::PersonIn { ends_on: "2027-01-31".into(), ..p.clone() }));
        assert!(!raises_review(&p, &crate::authz::PersonIn { name: "Kari Nordmann".into(), ..p.clone() }));
    }
}
