//! The authorization register (Normen 5.2.1, 5.2.1.1, 5.2.1.3): who may read, register,
//! correct, delete and block what in which information system, for what purpose, granted by
//! whom and until when; role templates (rollemal) that make granting fast; authorisations to
//! another enterprise's data, always time-limited; and who may grant (the manager of the
//! person's unit, or by delegation the security lead). Pure: today's date is passed in.

use crate::assessment::Date;
use crate::problem::{Problem, ProblemKey};
use crate::text::{Field, Lines};
use serde::{Deserialize, Serialize};

string_enum! {
    /// A right in an information system, each granted on its own (Normen 5.2.1).
    Right {
        Read = "read",
        Register = "register",
        Correct = "correct",
        Delete = "delete",
        Block = "block",
    }
}

/// The rights in one system of the systems register, and whether the person may authorise
/// themselves there in an emergency (break-glass, recorded as such when used).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemRights {
    pub system_id: i64,
    pub rights: Vec<Right>,
    #[serde(default)]
    pub break_glass: bool,
}

/// Access to another enterprise's data (5.2.1.3): whose, and the rights and obligations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtherEnterprise {
    pub name: String,
    /// Its organisation number.
    pub org_number: String,
    pub obligations: String,
}

/// One authorisation as granted: to a person, for a role (if roles are used), a purpose, rights
/// per system, from a date and (for access to another enterprise's data, always) until one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Grant {
    /// The role it is given to, independent of the person's other roles; empty when roles are
    /// not used.
    pub role: String,
    pub purpose: String,
    pub systems: Vec<SystemRights>,
    /// `YYYY-MM-DD`.
    pub valid_from: String,
    /// `YYYY-MM-DD`, or empty for no end.
    pub valid_to: String,
    pub other_enterprise: Option<OtherEnterprise>,
}

/// A role template (rollemal): a role, a purpose and rights per system that a grant starts from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Template {
    pub name: String,
    pub role: String,
    pub purpose: String,
    pub systems: Vec<SystemRights>,
}

impl Template {
    /// The grant a role assignment makes from this template: its role, purpose and rights, from
    /// `from` (`YYYY-MM-DD`) with no end.
    pub fn grant_from(&self, from: &str) -> Grant {
        Grant {
            role: self.role.clone(),
            purpose: self.purpose.clone(),
            systems: self.systems.clone(),
            valid_from: from.to_string(),
            ..Grant::default()
        }
    }

    /// Whether `g` already gives what this template does: the same role, purpose and rights, to
    /// the organisation's own data.
    pub fn given_by(&self, g: &Grant) -> bool {
        g.role == self.role && g.purpose == self.purpose && g.systems == self.systems && g.other_enterprise.is_none()
    }
}

/// Every problem with a template: a name, rights in the organisation's systems, each once.
pub fn check_template(t: &Template, systems: &[i64]) -> Vec<Problem> {
    let mut p: Vec<Problem> = text("name", &t.name).into_iter().collect();
    let as_grant = Grant {
        role: t.role.clone(),
        purpose: if t.purpose.trim().is_empty() { "-".into() } else { t.purpose.clone() },
        systems: t.systems.clone(),
        valid_from: "2000-01-01".into(),
        ..Grant::default()
    };
    p.extend(check_grant(&as_grant, systems));
    p
}

/// The text fields of the register.
pub const TEXT: &[Field] = &[
    Field::line("name", 200),
    Field::optional("employee_id", Lines::One, 100),
    Field::optional("role", Lines::One, 200),
    Field::line("purpose", 2000),
    Field::optional("obligations", Lines::Many, 5000),
    Field::line("enterprise_name", 200),
    Field::line("reason", 2000),
];

fn text(field: &'static str, value: &str) -> Option<Problem> {
    crate::text::field(TEXT, field).and_then(|f| f.check(value))
}

/// Every problem with a grant on `today`, against the organisation's systems: a purpose, at
/// least one system with at least one right, systems that are the organisation's, each once,
/// real dates with the end not before the start, and for another enterprise's data its name,
/// a valid organisation number and an end.
pub fn check_grant(g: &Grant, systems: &[i64]) -> Vec<Problem> {
    let mut p = Vec::new();
    p.extend(text("role", &g.role));
    p.extend(text("purpose", &g.purpose));
    if g.systems.iter().all(|s| s.rights.is_empty()) {
        p.push(Problem::new("systems", ProblemKey::NoRights, "at least one right in one system"));
    }
    let mut seen = Vec::new();
    for s in &g.systems {
        if !systems.contains(&s.system_id) {
            p.push(
                Problem::new(
                    "systems",
                    ProblemKey::NoSuchItem,
                    format!("no system {} in the organisation", s.system_id),
                )
                .arg("id", s.system_id),
            );
        }
        if seen.contains(&s.system_id) {
            p.push(Problem::new("systems", ProblemKey::Duplicate, "each system once"));
        }
        seen.push(s.system_id);
    }
    let from = Date::parse(&g.valid_from);
    if from.is_none() {
        p.push(Problem::new("valid_from", ProblemKey::Date, "a real date written YYYY-MM-DD"));
    }
    let to = if g.valid_to.is_empty() { None } else { Date::parse(&g.valid_to).map(Some).unwrap_or(None) };
    if !g.valid_to.is_empty() && to.is_none() {
        p.push(Problem::new("valid_to", ProblemKey::Date, "a real date written YYYY-MM-DD"));
    }
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            p.push(Problem::new("valid_to", ProblemKey::EndBeforeStart, "not before the start"));
        }
    }
    if let Some(o) = &g.other_enterprise {
        p.extend(text("enterprise_name", &o.name));
        p.extend(text("obligations", &o.obligations));
        if crate::org::OrgNumber::parse(&o.org_number).is_err() {
            p.push(Problem::new("enterprise_number", ProblemKey::OrgNumber, "a valid organisation number"));
        }
        if g.valid_to.is_empty() {
            p.push(Problem::new(
                "valid_to",
                ProblemKey::CrossEnterpriseEnd,
                "access to another enterprise's data is always time-limited (Normen 5.2.1.3)",
            ));
        }
    }
    p
}

/// A person as entered or imported: the unit by id, dates `YYYY-MM-DD`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonIn {
    pub name: String,
    pub employee_id: String,
    pub hpr: String,
    /// The organisation number of the enterprise they belong to.
    pub enterprise: String,
    pub unit_id: Option<i64>,
    /// Their last day, or empty.
    pub ends_on: String,
    /// Their name in the IAM that provisions them by SCIM (`userName`), or empty.
    pub user_name: String,
    /// The IAM's own id of them (`externalId`), or empty.
    pub external_id: String,
}

/// Every problem with a person: a name, an HPR number of up to nine digits, a valid organisation
/// number, a real last day.
pub fn check_person(p: &PersonIn) -> Vec<Problem> {
    let mut problems: Vec<Problem> = text("name", &p.name).into_iter().collect();
    problems.extend(text("employee_id", &p.employee_id));
    let hpr = p.hpr.trim();
    if !hpr.is_empty() && (hpr.len() > 9 || !hpr.chars().all(|c| c.is_ascii_digit())) {
        problems.push(Problem::new("hpr", ProblemKey::WholeNumber, "the HPR number: up to nine digits"));
    }
    if crate::org::OrgNumber::parse(&p.enterprise).is_err() {
        problems.push(Problem::new("enterprise", ProblemKey::OrgNumber, "a valid organisation number"));
    }
    if !p.ends_on.trim().is_empty() && Date::parse(p.ends_on.trim()).is_none() {
        problems.push(Problem::new("ends_on", ProblemKey::Date, "a real date written YYYY-MM-DD"));
    }
    problems
}

/// The columns of a people import from HR: (field, the headings accepted).
pub const PEOPLE_COLUMNS: &[(&str, &[&str])] = &[
    ("name", &["Navn", "Fullt navn", "name"]),
    ("employee_id", &["Ansattnummer", "Ansattnr", "employee_id"]),
    ("hpr", &["HPR-nummer", "HPR", "hpr"]),
    ("enterprise", &["Virksomhet", "Organisasjonsnummer", "enterprise"]),
    ("unit", &["Enhet", "Avdeling", "unit"]),
    ("ends_on", &["Sluttdato", "Siste arbeidsdag", "ends_on"]),
    ("roles", &["Roller", "Rolle", "Rollemal", "roles"]),
];

/// A date as HR systems write it, as `YYYY-MM-DD`: that form, or `DD.MM.YYYY`; blank stays blank.
fn iso_date(text: &str) -> String {
    let t = text.trim();
    let parts: Vec<&str> = t.split('.').collect();
    match parts.as_slice() {
        [d, m, y] if y.len() == 4 && d.len() <= 2 && m.len() <= 2 => format!("{y}-{m:0>2}-{d:0>2}"),
        _ => t.to_string(),
    }
}

/// People read from a spreadsheet, with the columns the file has (an update leaves the others as
/// they are).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeopleImport {
    pub people: Vec<PersonIn>,
    /// Each person's row in the file.
    pub rows: Vec<usize>,
    /// Each person's role assignments: the role templates (by id) they are to be authorised by.
    pub roles: Vec<Vec<i64>>,
    pub columns: Vec<&'static str>,
}

impl PeopleImport {
    /// `p` with what the file does not have taken from `existing`.
    pub fn merged(&self, mut p: PersonIn, existing: &PersonIn) -> PersonIn {
        let has = |c: &str| self.columns.contains(&c);
        if !has("hpr") {
            p.hpr = existing.hpr.clone();
        }
        if !has("enterprise") {
            p.enterprise = existing.enterprise.clone();
        }
        if !has("unit") {
            p.unit_id = existing.unit_id;
        }
        if !has("ends_on") {
            p.ends_on = existing.ends_on.clone();
        }
        p.user_name = existing.user_name.clone();
        p.external_id = existing.external_id.clone();
        p
    }
}

/// The heading of the people import's column for `field`, as problems name it.
pub fn people_heading(field: &str) -> String {
    PEOPLE_COLUMNS.iter().find(|(k, _)| *k == field).map_or(field, |(_, h)| h[0]).to_string()
}

/// The names an import looks up: the organisation's units and role templates (lower-case name →
/// id).
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub units: std::collections::HashMap<String, i64>,
    pub templates: std::collections::HashMap<String, i64>,
}

/// Reads people from spreadsheet rows (the first holds the headings of [`PEOPLE_COLUMNS`]).
/// Units and role templates are looked up by name in `names`; a person's roles are template
/// names separated by `;`, `,` or line breaks. An empty enterprise is `own_number`. Every row is
/// checked and every problem listed by row and column; an employee number appears once.
pub fn read_people(
    table: &[Vec<String>],
    names: &Names,
    own_number: &str,
) -> Result<PeopleImport, Vec<crate::import::RowError>> {
    use crate::import::{blank, map_headings, overflow, RowError};
    let Some(heading) = table.first() else { return Err(vec![RowError::file(ProblemKey::FileEmpty)]) };
    let mapped = map_headings(heading, PEOPLE_COLUMNS, &["name"])?;
    let heading_of = people_heading;
    let mut errors = Vec::new();
    let mut out: Vec<(usize, PersonIn, Vec<i64>)> = Vec::new();
    for (i, row) in table.iter().enumerate().skip(1) {
        let line = i + 1;
        if blank(row) {
            continue;
        }
        errors.extend(overflow(row, mapped.len(), line));
        let mut p = PersonIn::default();
        let mut roles = Vec::new();
        for (cell, field) in row.iter().zip(&mapped) {
            let value = cell.trim().to_string();
            match field {
                Some("name") => p.name = value,
                Some("employee_id") => p.employee_id = value,
                Some("hpr") => p.hpr = value,
                Some("enterprise") => p.enterprise = value.chars().filter(|c| !c.is_whitespace()).collect(),
                Some("ends_on") => p.ends_on = iso_date(&value),
                Some("roles") => {
                    for name in value.split([';', ',', '\n']).map(str::trim).filter(|n| !n.is_empty()) {
                        match names.templates.get(&name.to_lowercase()) {
                            Some(id) if !roles.contains(id) => roles.push(*id),
                            Some(_) => {}
                            None => errors.push(
                                RowError::new(line, heading_of("roles"), ProblemKey::NoSuchTemplate).arg("name", name),
                            ),
                        }
                    }
                }
                Some("unit") if !value.is_empty() => match names.units.get(&value.to_lowercase()) {
                    Some(id) => p.unit_id = Some(*id),
                    None => {
                        errors.push(RowError::new(line, heading_of("unit"), ProblemKey::NoSuchUnit).arg("name", &value))
                    }
                },
                _ => {}
            }
        }
        if p.enterprise.is_empty() {
            p.enterprise = own_number.to_string();
        }
        for problem in check_person(&p) {
            errors.push(RowError::of(line, heading_of(problem.field), problem));
        }
        if !p.employee_id.is_empty() {
            if let Some((first, _, _)) = out.iter().find(|(_, q, _)| q.employee_id == p.employee_id) {
                errors.push(RowError::new(line, heading_of("employee_id"), ProblemKey::SameAsRow).arg("row", first));
            }
        }
        out.push((line, p, roles));
    }
    if errors.is_empty() {
        let columns = mapped.into_iter().flatten().collect();
        let mut import = PeopleImport { columns, ..PeopleImport::default() };
        for (line, p, roles) in out {
            import.rows.push(line);
            import.people.push(p);
            import.roles.push(roles);
        }
        Ok(import)
    } else {
        Err(errors)
    }
}

/// Whether a grant is in force on `today`: started, not ended, not revoked.
pub fn in_force(g: &Grant, revoked: bool, today: Date) -> bool {
    let started = Date::parse(&g.valid_from).is_some_and(|f| f <= today);
    let ended = Date::parse(&g.valid_to).is_some_and(|t| t < today);
    started && !ended && !revoked
}

/// Whether a person who leaves on `ends_on` (`YYYY-MM-DD`, their last day; empty: not leaving)
/// has left by `today`: every authorisation of theirs is then to be revoked (Normen 5.1.3).
pub fn has_left(ends_on: &str, today: Date) -> bool {
    Date::parse(ends_on).is_some_and(|last| last < today)
}

/// Who may grant and revoke a person's authorisations: the manager of the person's unit, or the
/// security lead, to whom the controller delegates it.
pub fn may_grant(security_lead: bool, managed_units: &[i64], person_unit: Option<i64>) -> bool {
    security_lead || person_unit.is_some_and(|u| managed_units.contains(&u))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn grant() -> Grant {
        Grant {
            role: "Lege".into(),
            purpose: "Helsehjelp i akuttmottaket".into(),
            systems: vec![SystemRights {
                system_id: 1,
                rights: vec![Right::Read, Right::Register],
                break_glass: false,
            }],
            valid_from: "2026-12-01".into(),
            valid_to: String::new(),
            other_enterprise: None,
        }
    }

    #[test]
    fn a_grant_needs_a_purpose_rights_in_the_organisations_systems_and_sane_dates() {
        assert!(check_grant(&grant(), &[1]).is_empty());
        let fields = |g: &Grant, systems: &[i64]| check_grant(g, systems).iter().map(|p| p.field).collect::<Vec<_>>();
        assert_eq!(fields(&grant(), &[2]), ["systems"], "another organisation's system");
        let none = Grant { systems: vec![], purpose: String::new(), ..grant() };
        assert_eq!(fields(&none, &[1]), ["purpose", "systems"]);
        let backwards = Grant { valid_to: "2026-11-01".into(), ..grant() };
        assert_eq!(fields(&backwards, &[1]), ["valid_to"]);
        let other =
            OtherEnterprise { name: "Fjordkommune".into(), org_number: "974760673".into(), obligations: String::new() };
        let open_ended = Grant { other_enterprise: Some(other.clone()), ..grant() };
        assert_eq!(fields(&open_ended, &[1]), ["valid_to"], "cross-enterprise access always ends");
        let limited = Grant { other_enterprise: Some(other), valid_to: "2027-06-30".into(), ..grant() };
        assert!(check_grant(&limited, &[1]).is_empty());
    }

    #[test]
    fn in_force_between_its_dates_and_granted_by_the_units_manager() {
        let today = Date::parse("2026-12-03").unwrap();
        assert!(in_force(&grant(), false, today));
        assert!(!in_force(&grant(), true, today), "revoked");
        assert!(!in_force(&Grant { valid_to: "2026-12-02".into(), ..grant() }, false, today), "ended");
        assert!(!in_force(&Grant { valid_from: "2026-12-04".into(), ..grant() }, false, today), "not yet");
        assert!(may_grant(false, &[3, 4], Some(4)));
        assert!(!may_grant(false, &[3], Some(4)), "another unit's manager");
        assert!(!may_grant(false, &[3], None));
        assert!(may_grant(true, &[], None), "the security lead, by delegation");
        assert!(!has_left("2026-12-03", today), "the last day is still a working day");
        assert!(has_left("2026-12-02", today));
        assert!(!has_left("", today));
    }

    #[test]
    fn people_from_hr_are_read_whole_or_every_problem_is_listed() {
        let row = |cells: &[&str]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let names = Names {
            units: [("akuttmottak".to_string(), 7)].into_iter().collect(),
            templates: [("lege".to_string(), 3), ("sykepleier i akutten".to_string(), 4)].into_iter().collect(),
        };
        let table = vec![
            row(&["Navn", "Ansattnummer", "HPR-nummer", "Enhet", "Sluttdato", "Rolle"]),
            row(&["Kari Lege", "1001", "9144897", "Akuttmottak", "", "Lege; sykepleier i akutten,lege"]),
            row(&["Per Pleier", "1002", "", "", "31.01.2027", ""]),
        ];
        let import = read_people(&table, &names, "974760673").unwrap();
        let people = &import.people;
        assert_eq!((people[0].unit_id, people[1].ends_on.as_str()), (Some(7), "2027-01-31"));
        assert_eq!(people[1].enterprise, "974760673");
        assert_eq!((import.rows, import.roles), (vec![2, 3], vec![vec![3, 4], vec![]]));
        let bad = vec![
            row(&["Navn", "Ansattnummer", "HPR-nummer", "Enhet", "Roller"]),
            row(&["Kari Lege", "1001", "91x", "Ukjent", "Lege;Portør"]),
            row(&["", "1001", "", "", ""]),
        ];
        let errors = read_people(&bad, &names, "974760673").unwrap_err();
        let found: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.field.as_str())).collect();
        assert_eq!(found, [(2, "Enhet"), (2, "Roller"), (2, "HPR-nummer"), (3, "Navn"), (3, "Ansattnummer")]);
    }
}
