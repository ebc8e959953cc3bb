//! Information systems and their criticality (Normen 5.9): five classes, dependencies between
//! systems, and the rule that a system another system depends on — directly or through others —
//! is at least as critical as that system. Pure.

use crate::problem::{Problem, ProblemKey};
use crate::text::{Field, Lines};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};

string_enum! {
    /// Criticality classes of Normen 5.9, most critical first.
    Criticality {
        /// Failure is life-threatening for patients or critical for operations.
        Critical = "critical",
        /// Failure can cause wrong treatment, much extra work, lost efficiency or income.
        Serious = "serious",
        /// Failure weakens patients' trust.
        ReducedTrust = "reduced_trust",
        /// A longer stop is acceptable.
        Tolerable = "tolerable",
        NotPrioritised = "not_prioritised",
    }
}

/// A system's class after inheritance, and the chain that caused it: from the system whose own
/// class it is, through the systems that depend on each other, to this one. Empty when the
/// class is the system's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Effective {
    pub criticality: Criticality,
    pub inherited_from: Vec<i64>,
}

/// The effective criticality of every system. `systems` are (id, own class); `depends_on` are
/// (system, the system it depends on). Edges to unknown systems are ignored; cycles are fine.
/// Each class is spread from its systems along the dependencies, most critical class first, so
/// every system is reached once per class at most: O(5 · (systems + dependencies)).
pub fn effective_criticality(systems: &[(i64, Criticality)], depends_on: &[(i64, i64)]) -> HashMap<i64, Effective> {
    let index: HashMap<i64, usize> = systems.iter().enumerate().map(|(i, (id, _))| (*id, i)).collect();
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); systems.len()];
    for (from, to) in depends_on {
        if let (Some(&f), Some(&t)) = (index.get(from), index.get(to)) {
            if f != t {
                edges[f].push(t);
            }
        }
    }
    let mut class: Vec<Option<Criticality>> = vec![None; systems.len()];
    let mut parent: Vec<Option<usize>> = vec![None; systems.len()];
    for &c in Criticality::ALL {
        let mut queue: VecDeque<usize> = VecDeque::new();
        for (i, (_, own)) in systems.iter().enumerate() {
            if *own == c && class[i].is_none() {
                class[i] = Some(c);
                queue.push_back(i);
            }
        }
        while let Some(i) = queue.pop_front() {
            for &j in &edges[i] {
                if class[j].is_none() {
                    class[j] = Some(c);
                    parent[j] = Some(i);
                    queue.push_back(j);
                }
            }
        }
    }
    systems
        .iter()
        .enumerate()
        .map(|(i, (id, own))| {
            let mut chain = Vec::new();
            let mut at = parent[i];
            while let Some(p) = at {
                chain.push(systems[p].0);
                at = parent[p];
            }
            chain.reverse();
            (*id, Effective { criticality: class[i].unwrap_or(*own), inherited_from: chain })
        })
        .collect()
}

string_enum! {
    /// How an emergency procedure keeps the work going (Normen 5.9).
    ProcedureMode {
        WithoutSystem = "without_system",
        PartialSupport = "partial_support",
    }
}

/// Emergency procedures are tested at least yearly (Normen 5.9).
pub const TEST_INTERVAL_S: i64 = 365 * 86_400;

/// Whether a procedure last tested at `last_test` (never: None) is due for its yearly test.
pub fn test_overdue(last_test: Option<i64>, created_at: i64, now: i64) -> bool {
    now - last_test.unwrap_or(created_at) > TEST_INTERVAL_S || (last_test.is_none() && now - created_at > 30 * 86_400)
}

/// Checks a maximum downtime set by management: whole hours, from 0 to a year.
pub fn check_downtime(hours: i64) -> Result<i64, String> {
    if (0..=8760).contains(&hours) {
        Ok(hours)
    } else {
        Err("whole hours from 0 to 8760".into())
    }
}

/// A system as registered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewSystem {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Who owns the system in the organisation (systemeier).
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub supplier: String,
    /// Where it runs: on premises, the supplier's cloud, Norsk helsenett …
    #[serde(default)]
    pub hosting: String,
    /// What kinds of data it holds.
    #[serde(default)]
    pub data_types: String,
    pub criticality: Criticality,
}

impl NewSystem {
    /// A system with a name and a criticality, every other field empty.
    pub fn new(name: impl Into<String>, criticality: Criticality) -> NewSystem {
        NewSystem {
            name: name.into(),
            description: String::new(),
            owner: String::new(),
            supplier: String::new(),
            hosting: String::new(),
            data_types: String::new(),
            criticality,
        }
    }
}

/// A system's text fields: a name of 1–200 characters, other fields at most 200 or 2,000.
pub const SYSTEM_TEXT: &[Field] = &[
    Field::line("name", 200),
    Field::optional("description", Lines::Many, 2000),
    Field::optional("owner", Lines::One, 200),
    Field::optional("supplier", Lines::One, 200),
    Field::optional("hosting", Lines::One, 200),
    Field::optional("data_types", Lines::One, 2000),
];

/// Checks a system's text fields.
pub fn check_system(s: &NewSystem) -> Vec<Problem> {
    let value = |name: &str| match name {
        "name" => &s.name,
        "description" => &s.description,
        "owner" => &s.owner,
        "supplier" => &s.supplier,
        "hosting" => &s.hosting,
        _ => &s.data_types,
    };
    SYSTEM_TEXT.iter().filter_map(|f| f.check(value(f.name))).collect()
}

/// The Norwegian names of the classes, as the register and its spreadsheet show them.
pub const CLASS_NAMES: &[(Criticality, &str)] = &[
    (Criticality::Critical, "Kritisk"),
    (Criticality::Serious, "Alvorlig"),
    (Criticality::ReducedTrust, "Redusert tillit"),
    (Criticality::Tolerable, "Tålelig"),
    (Criticality::NotPrioritised, "Ikke prioritert"),
];

/// The spreadsheet of the register: (field, heading). `depends_on` holds the names of the
/// systems it depends on, separated by `;`.
pub const COLUMNS: &[(&str, &str)] = &[
    ("name", "System"),
    ("criticality", "Kritikalitet"),
    ("owner", "Systemeier"),
    ("supplier", "Leverandør"),
    ("hosting", "Drift og plassering"),
    ("data_types", "Opplysninger i systemet"),
    ("description", "Beskrivelse"),
    ("depends_on", "Avhenger av"),
];

/// A class from its code or its Norwegian name, ignoring case.
pub fn parse_class(text: &str) -> Option<Criticality> {
    let lower = text.trim().to_lowercase();
    lower.parse().ok().or_else(|| CLASS_NAMES.iter().find(|(_, n)| n.to_lowercase() == lower).map(|(c, _)| *c))
}

/// A system as a spreadsheet row, with the names of the systems it depends on.
pub fn to_row(s: &NewSystem, depends_on: &[String]) -> Vec<String> {
    let class = CLASS_NAMES.iter().find(|(c, _)| *c == s.criticality).map_or("", |(_, n)| n);
    vec![
        s.name.clone(),
        class.to_string(),
        s.owner.clone(),
        s.supplier.clone(),
        s.hosting.clone(),
        s.data_types.clone(),
        s.description.clone(),
        depends_on.join("; "),
    ]
}

/// A system read from a spreadsheet row: the system, and the names it depends on (None when
/// the file has no such column).
pub type ImportedSystem = (NewSystem, Option<Vec<String>>);

/// Reads systems from spreadsheet rows (the first holds the headings of [`COLUMNS`], or the
/// field names). Every problem is listed by row and column: a missing name or class, an unknown
/// class, a name twice in the file, a system depending on itself, or on a system that is
/// neither in the file nor in `existing` (lower-case names of the organisation's systems).
pub fn read_rows(
    table: &[Vec<String>],
    existing: &std::collections::HashSet<String>,
) -> Result<Vec<ImportedSystem>, Vec<crate::import::RowError>> {
    use crate::import::RowError;
    let Some(heading) = table.first() else { return Err(vec![RowError::file(ProblemKey::FileEmpty)]) };
    let columns: Vec<(&'static str, [&str; 2])> = COLUMNS.iter().map(|(f, h)| (*f, [*h, *f])).collect();
    let columns: Vec<(&'static str, &[&str])> = columns.iter().map(|(f, n)| (*f, &n[..])).collect();
    let mapped = crate::import::map_headings(heading, &columns, &["name", "criticality"])?;
    let heading_of = |f: &str| COLUMNS.iter().find(|(k, _)| *k == f).map_or("", |(_, h)| *h).to_string();
    let mut errors = Vec::new();
    let rows: Vec<(usize, std::collections::HashMap<&str, String>)> = table
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, row)| !crate::import::blank(row))
        .map(|(i, row)| {
            errors.extend(crate::import::overflow(row, mapped.len(), i + 1));
            let cells = row.iter().zip(&mapped).filter_map(|(c, f)| f.map(|f| (f, c.trim().to_string()))).collect();
            (i + 1, cells)
        })
        .collect();
    let in_file: std::collections::HashSet<String> =
        rows.iter().filter_map(|(_, c)| c.get("name")).map(|n| n.to_lowercase()).collect();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for (line, cells) in rows {
        let get = |f: &str| cells.get(f).cloned().unwrap_or_default();
        let criticality = parse_class(&get("criticality"));
        if criticality.is_none() {
            let names: Vec<&str> = CLASS_NAMES.iter().map(|(_, n)| *n).collect();
            let given = get("criticality");
            let error = if given.is_empty() {
                RowError::new(line, heading_of("criticality"), ProblemKey::Required)
            } else {
                RowError::new(line, heading_of("criticality"), ProblemKey::NotOneOf).arg("value", given)
            };
            errors.push(error.arg("values", names.join(", ")));
        }
        let system = NewSystem {
            name: get("name"),
            description: get("description"),
            owner: get("owner"),
            supplier: get("supplier"),
            hosting: get("hosting"),
            data_types: get("data_types"),
            criticality: criticality.unwrap_or(Criticality::NotPrioritised),
        };
        for p in check_system(&system) {
            errors.push(RowError::of(line, heading_of(p.field), p));
        }
        let key = system.name.to_lowercase();
        if let Some(first) = seen.insert(key.clone(), line).filter(|_| !key.is_empty()) {
            errors.push(RowError::new(line, heading_of("name"), ProblemKey::SameAsRow).arg("row", first));
        }
        let depends_on = cells.get("depends_on").map(|text| {
            text.split(';').map(str::trim).filter(|n| !n.is_empty()).map(str::to_string).collect::<Vec<_>>()
        });
        for name in depends_on.iter().flatten() {
            let lower = name.to_lowercase();
            let error = if lower == key {
                RowError::new(line, heading_of("depends_on"), ProblemKey::DependsOnItself)
            } else if !in_file.contains(&lower) && !existing.contains(&lower) {
                RowError::new(line, heading_of("depends_on"), ProblemKey::NoSuchSystem).arg("name", name)
            } else {
                continue;
            };
            errors.push(error);
        }
        out.push((system, depends_on));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use Criticality::*;

    #[test]
    fn a_dependency_of_a_critical_system_is_critical_with_its_path() {
        // EPJ (critical) → integration engine → database server; a printer on its own.
        let systems = [(1, Critical), (2, Tolerable), (3, NotPrioritised), (4, Serious)];
        let deps = [(1, 2), (2, 3), (4, 3)];
        let e = effective_criticality(&systems, &deps);
        assert_eq!(e[&3], Effective { criticality: Critical, inherited_from: vec![1, 2] });
        assert_eq!(e[&2].inherited_from, vec![1]);
        assert_eq!(e[&1], Effective { criticality: Critical, inherited_from: vec![] });
        assert_eq!(e[&4].criticality, Serious, "depending on something does not raise one's own class");
    }

    #[test]
    fn the_register_reads_back_from_its_spreadsheet_and_bad_rows_are_named() {
        let epj = NewSystem {
            name: "EPJ".into(),
            description: "Journal".into(),
            owner: "Klinikksjef".into(),
            supplier: "DIPS AS".into(),
            hosting: "Norsk helsenett".into(),
            data_types: "Helseopplysninger".into(),
            criticality: Critical,
        };
        let heading: Vec<String> = COLUMNS.iter().map(|(_, h)| h.to_string()).collect();
        let table = vec![heading.clone(), to_row(&epj, &["Database".into()])];
        let existing = ["database".to_string()].into_iter().collect();
        assert_eq!(read_rows(&table, &existing).unwrap(), vec![(epj.clone(), Some(vec!["Database".to_string()]))]);
        assert_eq!(parse_class("redusert TILLIT"), Some(ReducedTrust));
        let t = |rows: &[&[&str]]| {
            rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect::<Vec<Vec<String>>>()
        };
        let errors = read_rows(
            &t(&[
                &["System", "Kritikalitet", "Avhenger av"],
                &["Lab", "Middels", ""],
                &["Røntgen", "alvorlig", "Røntgen; Ukjent; Lab"],
                &["lab", "critical", ""],
            ]),
            &Default::default(),
        )
        .unwrap_err();
        let got: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.field.as_str())).collect();
        assert_eq!(got, vec![(2, "Kritikalitet"), (3, "Avhenger av"), (3, "Avhenger av"), (4, "System")], "{errors:?}");
    }

    #[test]
    fn procedures_are_tested_yearly() {
        let day = 86_400;
        assert!(!test_overdue(None, 0, 10 * day), "a new procedure has a month before its first test");
        assert!(test_overdue(None, 0, 31 * day));
        assert!(!test_overdue(Some(100 * day), 0, 400 * day));
        assert!(test_overdue(Some(0), 0, 366 * day));
        assert_eq!(check_downtime(4), Ok(4));
        assert!(check_downtime(-1).is_err() && check_downtime(9000).is_err());
    }

    #[test]
    fn cycles_self_loops_and_unknown_systems_are_handled() {
        let systems = [(1, Serious), (2, Tolerable), (3, NotPrioritised)];
        let deps = [(1, 2), (2, 3), (3, 1), (2, 2), (3, 99)];
        let e = effective_criticality(&systems, &deps);
        assert!(e.values().all(|x| x.criticality == Serious));
        assert_eq!(e[&3].inherited_from, vec![1, 2]);
    }

    /// The naive closure: a system's class is the most critical own class among the systems
    /// that reach it (itself included).
    fn naive(systems: &[(i64, Criticality)], deps: &[(i64, i64)]) -> HashMap<i64, Criticality> {
        let mut out = HashMap::new();
        for (target, own) in systems {
            let mut best = *own;
            for (source, class) in systems {
                let mut seen = vec![*source];
                let mut stack = vec![*source];
                while let Some(s) = stack.pop() {
                    if s == *target && class < &best {
                        best = *class;
                    }
                    for (f, t) in deps {
                        if *f == s && !seen.contains(t) {
                            seen.push(*t);
                            stack.push(*t);
                        }
                    }
                }
            }
            out.insert(*target, best);
        }
        out
    }

    #[test]
    fn random_graphs_agree_with_the_naive_closure_and_paths_are_real() {
        // A small deterministic generator: no dependency needed for randomness.
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..400 {
            let n = 1 + next(30) as i64;
            let systems: Vec<(i64, Criticality)> =
                (0..n).map(|i| (i * 7 + 1, Criticality::ALL[next(5) as usize])).collect();
            let edge_count = next((n * n) as u64 / 2 + 1);
            let deps: Vec<(i64, i64)> = (0..edge_count)
                .map(|_| (systems[next(n as u64) as usize].0, systems[next(n as u64) as usize].0))
                .collect();
            let fast = effective_criticality(&systems, &deps);
            let slow = naive(&systems, &deps);
            for (id, own) in &systems {
                let e = &fast[id];
                assert_eq!(e.criticality, slow[id], "system {id} in {systems:?} with {deps:?}");
                if e.inherited_from.is_empty() {
                    assert_eq!(e.criticality, *own);
                } else {
                    // The chain starts at a system of that own class and follows real edges to here.
                    let first = e.inherited_from[0];
                    assert_eq!(systems.iter().find(|s| s.0 == first).unwrap().1, e.criticality);
                    let mut walk = e.inherited_from.clone();
                    walk.push(*id);
                    assert!(walk.windows(2).all(|w| deps.contains(&(w[0], w[1]))), "{walk:?}");
                }
            }
        }
    }
}
