//! Risk management (Normen 2.4 and 3.3): the acceptance level as a matrix that is data
//! (likelihood × consequence, each cell a risk level, the levels up to one acceptable), the
//! risk assessment in Normen's seven steps as one document (preparation, what is assessed,
//! unwanted events, consequence and likelihood, the risk against the level, measures and the
//! residual risk), management's acceptance of a residual risk above the level, and the rules
//! for approving an assessment. Pure: today's date is passed in.

use crate::assessment::Date;
use crate::deviation::MeasureStatus;
use crate::problem::{Problem, ProblemKey};
use crate::text::{Field, Lines};
use serde::{Deserialize, Serialize};

string_enum! {
    /// Where a risk assessment stands: being worked on, or approved and frozen.
    State {
        Draft = "draft",
        Approved = "approved",
    }
}

string_enum! {
    /// Why an assessment is made: the occasions of Normen 3.3.
    Reason {
        NewProcessing = "new_processing",
        NewSystem = "new_system",
        Change = "change",
        AccessBetween = "access_between",
        Deviations = "deviations",
        Regular = "regular",
        Other = "other",
    }
}

/// One step of an axis, or one risk level: a short label and what it means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub label: String,
    #[serde(default)]
    pub description: String,
}

/// The acceptance level: a likelihood × consequence matrix whose cells are risk levels, and
/// the highest level management accepts. `grid[l][c]` is the level (an index into `levels`,
/// lowest first) of likelihood step `l` and consequence step `c`, both counted from the lowest.
/// Consequence is judged for confidentiality, integrity, availability and the data subjects'
/// privacy on the same scale; an event's consequence is the worst of the four.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matrix {
    pub likelihood: Vec<Step>,
    pub consequence: Vec<Step>,
    pub levels: Vec<Step>,
    pub grid: Vec<Vec<usize>>,
    /// The highest acceptable level (an index into `levels`).
    pub acceptable: usize,
}

/// Steps an axis may have.
pub const AXIS_STEPS: std::ops::RangeInclusive<usize> = 2..=7;
/// Risk levels a matrix may have.
pub const LEVEL_COUNT: std::ops::RangeInclusive<usize> = 2..=5;

fn step(label: &str, description: &str) -> Step {
    Step { label: label.into(), description: description.into() }
}

impl Default for Matrix {
    /// Five by five, with three levels (low up to a sum of steps of 5, high from 9), low
    /// accepted.
    fn default() -> Matrix {
        Matrix {
            likelihood: vec![
                step("Svært lite sannsynlig", "Sjeldnere enn hvert tiende år."),
                step("Lite sannsynlig", "Kan skje i løpet av ti år."),
                step("Moderat sannsynlig", "Kan skje i løpet av et år."),
                step("Sannsynlig", "Kan skje i løpet av en måned."),
                step("Svært sannsynlig", "Kan skje i løpet av en uke, eller skjer allerede."),
            ],
            consequence: vec![
                step("Ubetydelig", "Ingen merkbar skade for pasienter, registrerte eller virksomheten."),
                step(
                    "Liten",
                    "Kortvarig ulempe; noen få opplysninger blir kjent for noen med taushetsplikt, eller kan rettes enkelt.",
                ),
                step(
                    "Moderat",
                    "Forsinket helsehjelp uten varig skade; opplysninger om noen registrerte blir kjent for uvedkommende.",
                ),
                step(
                    "Alvorlig",
                    "Feil eller forsinket behandling med mulig skade; opplysninger om mange registrerte kommer på avveie.",
                ),
                step(
                    "Svært alvorlig",
                    "Fare for liv eller varig helseskade; helseopplysninger om et stort antall registrerte blir offentlig kjent.",
                ),
            ],
            levels: vec![
                step("Lav", "Akseptabel risiko. Tiltak vurderes ut fra nytte og kostnad."),
                step("Middels", "Tiltak skal vurderes. Ledelsen må akseptere risikoen hvis den ikke reduseres."),
                step("Høy", "Ikke akseptabel. Tiltak skal iverksettes før behandlingen starter eller fortsetter."),
            ],
            grid: (1..=5).map(|l| (1..=5).map(|c| usize::from(l + c > 5) + usize::from(l + c > 8)).collect()).collect(),
            acceptable: 0,
        }
    }
}

/// The text rule of a step's label and description.
const STEP_TEXT: [Field; 2] = [Field::line("label", 60), Field::optional("description", Lines::Many, 500)];

impl Matrix {
    /// The level of likelihood step `l` and consequence step `c`, both from 1.
    pub fn level(&self, l: u8, c: u8) -> Option<usize> {
        let row = self.grid.get(usize::from(l).checked_sub(1)?)?;
        row.get(usize::from(c).checked_sub(1)?).copied()
    }

    /// Whether a risk at `level` is within the acceptance level.
    pub fn accepts(&self, level: usize) -> bool {
        level <= self.acceptable
    }

    /// Every problem with the matrix: too few or many steps or levels, a label missing, a grid
    /// with gaps or a level unknown, a level that falls as likelihood or consequence rises, an
    /// acceptable level that is not one of them.
    pub fn check(&self) -> Vec<Problem> {
        let mut p = Vec::new();
        for (field, steps, range) in [
            ("likelihood", &self.likelihood, AXIS_STEPS),
            ("consequence", &self.consequence, AXIS_STEPS),
            ("levels", &self.levels, LEVEL_COUNT),
        ] {
            if !range.contains(&steps.len()) {
                p.push(
                    Problem::new(
                        field,
                        ProblemKey::StepCount,
                        format!("from {} to {} steps", range.start(), range.end()),
                    )
                    .arg("min", range.start())
                    .arg("max", range.end()),
                );
            }
            for (i, s) in steps.iter().enumerate() {
                for (rule, value) in STEP_TEXT.iter().zip([&s.label, &s.description]) {
                    if let Some(problem) = rule.check(value) {
                        p.push(Problem { field, ..problem }.arg("step", i + 1));
                    }
                }
            }
        }
        let shaped =
            self.grid.len() == self.likelihood.len() && self.grid.iter().all(|row| row.len() == self.consequence.len());
        if !shaped {
            p.push(
                Problem::new(
                    "grid",
                    ProblemKey::MatrixGap,
                    "one level for every likelihood and consequence: as many rows as likelihood steps, each as long as the consequence steps",
                )
                .arg("rows", self.likelihood.len())
                .arg("columns", self.consequence.len()),
            );
        } else if self.grid.iter().flatten().any(|&v| v >= self.levels.len()) {
            p.push(
                Problem::new(
                    "grid",
                    ProblemKey::OutOfRange,
                    format!("levels from 0 to {}", self.levels.len().saturating_sub(1)),
                )
                .arg("min", 0)
                .arg("max", self.levels.len().saturating_sub(1)),
            );
        } else {
            let falls = self.grid.iter().enumerate().any(|(l, row)| {
                row.iter().enumerate().any(|(c, &v)| {
                    row.get(c + 1).is_some_and(|&next| next < v)
                        || self.grid.get(l + 1).and_then(|r| r.get(c)).is_some_and(|&up| up < v)
                })
            });
            if falls {
                p.push(Problem::new(
                    "grid",
                    ProblemKey::MatrixOrder,
                    "the level may not fall as likelihood or consequence rises",
                ));
            }
        }
        if self.acceptable >= self.levels.len() {
            p.push(
                Problem::new("acceptable", ProblemKey::OutOfRange, "one of the levels")
                    .arg("min", 0)
                    .arg("max", self.levels.len().saturating_sub(1)),
            );
        }
        p
    }
}

/// A likelihood and a consequence, each a step from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Score {
    pub likelihood: u8,
    pub consequence: u8,
}

/// An event's consequence for each aspect, a step from 1, or none where the aspect is not hit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Consequence {
    pub confidentiality: Option<u8>,
    pub integrity: Option<u8>,
    pub availability: Option<u8>,
    /// For the data subjects' privacy.
    pub privacy: Option<u8>,
}

impl Consequence {
    /// The aspects with their values, in the order pages show them.
    pub fn aspects(&self) -> [(&'static str, Option<u8>); 4] {
        [
            ("confidentiality", self.confidentiality),
            ("integrity", self.integrity),
            ("availability", self.availability),
            ("privacy", self.privacy),
        ]
    }

    /// The worst of the four.
    pub fn worst(&self) -> Option<u8> {
        self.aspects().iter().filter_map(|(_, v)| *v).max()
    }
}

/// Management's acceptance of a residual risk above the level (Normen 3.3): why, until when,
/// and who.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acceptance {
    pub justification: String,
    /// `YYYY-MM-DD`: the acceptance ends then and the risk must be looked at again.
    pub expires_on: String,
    pub accepted_by: i64,
    pub accepted_by_name: String,
    pub accepted_at: i64,
}

/// A measure against an event: who does what by when, and how far it has come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    pub id: u32,
    pub description: String,
    #[serde(default)]
    pub owner: String,
    /// `YYYY-MM-DD`, or empty.
    #[serde(default)]
    pub deadline: String,
    pub status: MeasureStatus,
    /// Systems of the register the measure is in.
    #[serde(default)]
    pub systems: Vec<i64>,
}

/// An unwanted event (steps 3–7): what could happen, its consequence per aspect and its
/// likelihood with the reasoning, the measures, and the risk expected after them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Unique within the assessment, kept when the next assessment starts from it.
    pub id: u32,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// A code of the organisation's threat catalogue ([`catalogue`]), or empty for an event
    /// written freely.
    #[serde(default)]
    pub threat: String,
    #[serde(default)]
    pub consequence: Consequence,
    #[serde(default)]
    pub likelihood: Option<u8>,
    #[serde(default)]
    pub reasoning: String,
    #[serde(default)]
    pub measures: Vec<Measure>,
    /// The risk expected once the measures are in place.
    #[serde(default)]
    pub residual: Option<Score>,
    #[serde(default)]
    pub acceptance: Option<Acceptance>,
}

impl Event {
    /// The risk before the measures: the likelihood and the worst consequence.
    pub fn inherent(&self) -> Option<Score> {
        Some(Score { likelihood: self.likelihood?, consequence: self.consequence.worst()? })
    }

    /// The risk that remains: the residual where one is given, else the inherent risk.
    pub fn remaining(&self) -> Option<Score> {
        self.residual.or_else(|| self.inherent())
    }
}

/// A risk assessment as one document, steps 1–7 of Normen 3.3.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assessment {
    /// Step 1: what is assessed and why, who takes part, how.
    pub title: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub participants: String,
    #[serde(default)]
    pub method: String,
    /// Step 2: the processings of the protokoll, systems of the register and assets assessed.
    #[serde(default)]
    pub processings: Vec<i64>,
    #[serde(default)]
    pub systems: Vec<i64>,
    #[serde(default)]
    pub assets: Vec<i64>,
    /// Steps 3–7.
    #[serde(default)]
    pub events: Vec<Event>,
    /// The task it was opened from (see [`due`]): `deviations:category:…`, `deviations:system:…`;
    /// empty otherwise.
    #[serde(default)]
    pub trigger: String,
}

/// At most this many events in one assessment, and measures per event.
pub const MAX_EVENTS: usize = 500;
pub const MAX_MEASURES: usize = 100;

/// The text fields of an assessment, an event, a measure and an acceptance.
pub const TEXT: &[Field] = &[
    Field::line("title", 200),
    Field::optional("scope", Lines::Many, 5000),
    Field::optional("participants", Lines::Many, 2000),
    Field::optional("method", Lines::Many, 2000),
    Field::optional("description", Lines::Many, 5000),
    Field::optional("reasoning", Lines::Many, 5000),
    Field::optional("owner", Lines::One, 200),
    Field::text("justification", 5000),
    Field::optional("trigger", Lines::One, 300),
];

fn text(field: &'static str, value: &str) -> Option<Problem> {
    crate::text::field(TEXT, field).and_then(|f| f.check(value))
}

/// What an assessment's ids must be among: the organisation's processings, systems and assets.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub processings: Vec<i64>,
    pub systems: Vec<i64>,
    pub assets: Vec<i64>,
    /// The codes of the organisation's threat catalogue, retired ones too.
    pub threats: Vec<String>,
}

fn step_range(field: &'static str, value: u8, steps: usize) -> Option<Problem> {
    (value == 0 || usize::from(value) > steps).then(|| {
        Problem::new(field, ProblemKey::OutOfRange, format!("a step from 1 to {steps}")).arg("min", 1).arg("max", steps)
    })
}

/// Every problem with an assessment as saved, against the matrix it uses and what the
/// organisation has: text fields, steps outside the matrix, ids not the organisation's, event
/// and measure ids not unique, unknown threats, deadlines that are not dates, acceptances
/// without a justification or a valid expiry. Problems about an event carry its position
/// (`event`, from 1).
pub fn check(a: &Assessment, matrix: &Matrix, known: &Known) -> Vec<Problem> {
    let mut p = Vec::new();
    for (field, value) in
        [("title", &a.title), ("scope", &a.scope), ("participants", &a.participants), ("method", &a.method)]
    {
        p.extend(text(field, value));
    }
    p.extend(text("trigger", &a.trigger));
    for (field, ids, of) in [
        ("processings", &a.processings, &known.processings),
        ("systems", &a.systems, &known.systems),
        ("assets", &a.assets, &known.assets),
    ] {
        for id in ids.iter().filter(|id| !of.contains(id)) {
            p.push(
                Problem::new(field, ProblemKey::NoSuchItem, format!("no {field} {id} in the organisation"))
                    .arg("id", id),
            );
        }
    }
    if a.events.len() > MAX_EVENTS {
        p.push(Problem::new("events", ProblemKey::TooMany, format!("at most {MAX_EVENTS}")).arg("max", MAX_EVENTS));
    }
    let mut ids = std::collections::HashSet::new();
    for (n, e) in a.events.iter().enumerate() {
        let at = |problem: Problem| problem.arg("event", n + 1);
        if !ids.insert(e.id) {
            p.push(at(Problem::new("id", ProblemKey::Duplicate, "each event's id once")));
        }
        p.extend(text("title", &e.title).map(at));
        p.extend(text("description", &e.description).map(at));
        p.extend(text("reasoning", &e.reasoning).map(at));
        if !e.threat.is_empty() && !known.threats.contains(&e.threat) {
            p.push(at(Problem::new("threat", ProblemKey::NotOneOf, "a threat of the catalogue, or none")
                .arg("value", &e.threat)
                .arg("values", known.threats.join(", "))));
        }
        for (aspect, value) in e.consequence.aspects() {
            p.extend(value.and_then(|v| step_range(aspect, v, matrix.consequence.len())).map(at));
        }
        p.extend(e.likelihood.and_then(|v| step_range("likelihood", v, matrix.likelihood.len())).map(at));
        if let Some(r) = e.residual {
            p.extend(step_range("residual_likelihood", r.likelihood, matrix.likelihood.len()).map(at));
            p.extend(step_range("residual_consequence", r.consequence, matrix.consequence.len()).map(at));
        }
        if e.measures.len() > MAX_MEASURES {
            p.push(at(Problem::new("measures", ProblemKey::TooMany, format!("at most {MAX_MEASURES}"))
                .arg("max", MAX_MEASURES)));
        }
        let mut measure_ids = std::collections::HashSet::new();
        for m in &e.measures {
            if !measure_ids.insert(m.id) {
                p.push(at(Problem::new("measures", ProblemKey::Duplicate, "each measure's id once")));
            }
            if m.description.trim().is_empty() {
                p.push(at(Problem::new(
                    "measures",
                    ProblemKey::MeasureDescription,
                    "every measure needs a description",
                )));
            }
            p.extend(text("description", &m.description).map(at));
            p.extend(text("owner", &m.owner).map(at));
            if !m.deadline.is_empty() && Date::parse(&m.deadline).is_none() {
                p.push(at(Problem::new("deadline", ProblemKey::Date, "a real date written YYYY-MM-DD")));
            }
            for id in m.systems.iter().filter(|id| !known.systems.contains(id)) {
                p.push(at(Problem::new(
                    "systems",
                    ProblemKey::NoSuchItem,
                    format!("no systems {id} in the organisation"),
                )
                .arg("id", id)));
            }
        }
        if let Some(acc) = &e.acceptance {
            p.extend(text("justification", &acc.justification).map(at));
            if Date::parse(&acc.expires_on).is_none() {
                p.push(at(Problem::new("expires_on", ProblemKey::Date, "a real date written YYYY-MM-DD")));
            }
        }
    }
    p
}

/// An acceptance as management enters it, checked against today: a justification and an expiry
/// after today, at most three years ahead.
pub fn check_acceptance(justification: &str, expires_on: &str, today: Date) -> Vec<Problem> {
    let mut p: Vec<Problem> = text("justification", justification).into_iter().collect();
    match Date::parse(expires_on) {
        None => p.push(Problem::new("expires_on", ProblemKey::Date, "a real date written YYYY-MM-DD")),
        Some(d) if d <= today => {
            p.push(Problem::new("expires_on", ProblemKey::NotAfterToday, "a date after today").arg("value", expires_on))
        }
        Some(d) if d > Date { year: today.year + 3, ..today } => p.push(
            Problem::new(
                "expires_on",
                ProblemKey::ExpiryTooFar,
                "at most three years ahead: the risk must be looked at again",
            )
            .arg("value", expires_on),
        ),
        Some(_) => {}
    }
    p
}

string_enum! {
    /// Where an event stands against the acceptance level.
    Standing {
        /// Consequence or likelihood not yet judged.
        Unscored = "unscored",
        /// The remaining risk is within the level.
        Acceptable = "acceptable",
        /// Above the level, accepted by management until the date, which has not passed.
        Accepted = "accepted",
        /// Above the level and neither treated down to it nor (still) accepted.
        Open = "open",
    }
}

/// Where `e` stands on `today`.
pub fn standing(e: &Event, matrix: &Matrix, today: Date) -> Standing {
    let Some(level) = e.remaining().and_then(|s| matrix.level(s.likelihood, s.consequence)) else {
        return Standing::Unscored;
    };
    if matrix.accepts(level) {
        Standing::Acceptable
    } else if e.acceptance.as_ref().and_then(|a| Date::parse(&a.expires_on)).is_some_and(|d| d > today) {
        Standing::Accepted
    } else {
        Standing::Open
    }
}

/// Why an assessment cannot be approved on `today`, if it cannot: no event, an event not
/// scored, a risk above the level neither treated nor accepted.
pub fn check_approval(a: &Assessment, matrix: &Matrix, today: Date) -> Vec<Problem> {
    let mut p = Vec::new();
    if a.events.is_empty() {
        p.push(Problem::new("events", ProblemKey::NoEvents, "at least one unwanted event"));
    }
    for (n, e) in a.events.iter().enumerate() {
        match standing(e, matrix, today) {
            Standing::Unscored => p.push(
                Problem::new(
                    "events",
                    ProblemKey::Unscored,
                    format!("event {} has no likelihood or consequence", n + 1),
                )
                .arg("event", n + 1)
                .arg("title", &e.title),
            ),
            Standing::Open => p.push(
                Problem::new(
                    "events",
                    ProblemKey::RiskNotAccepted,
                    format!("the risk of event {} is above the acceptance level: treat it or have it accepted", n + 1),
                )
                .arg("event", n + 1)
                .arg("title", &e.title),
            ),
            Standing::Acceptable | Standing::Accepted => {}
        }
    }
    p
}

/// The assessment the next one starts from: the same document, every acceptance dropped (each
/// is management's decision for one assessment), measures kept with their status.
pub fn next_from(a: &Assessment) -> Assessment {
    let mut next = a.clone();
    for e in &mut next.events {
        e.acceptance = None;
    }
    next
}

/// `a` with every score outside `matrix` cleared, for an assessment that starts from one made
/// under an earlier acceptance level: those events must be judged again.
pub fn clear_off_scale(a: &mut Assessment, matrix: &Matrix) {
    let (ls, cs) = (matrix.likelihood.len(), matrix.consequence.len());
    let fits = |v: u8, steps: usize| v >= 1 && usize::from(v) <= steps;
    for e in &mut a.events {
        if e.likelihood.is_some_and(|v| !fits(v, ls)) {
            e.likelihood = None;
        }
        let c = &mut e.consequence;
        for v in [&mut c.confidentiality, &mut c.integrity, &mut c.availability, &mut c.privacy] {
            if v.is_some_and(|x| !fits(x, cs)) {
                *v = None;
            }
        }
        if e.residual.is_some_and(|r| !fits(r.likelihood, ls) || !fits(r.consequence, cs)) {
            e.residual = None;
        }
    }
}

/// An approved assessment as the tasks of [`due`] read it: when it was approved, why it was made,
/// the task it was opened from and what it covers.
#[derive(Debug, Clone)]
pub struct Cover {
    pub approved_at: i64,
    pub reason: Reason,
    pub trigger: String,
    pub processings: Vec<i64>,
    pub systems: Vec<i64>,
}

/// Something the organisation has, with when it last changed (Unix seconds).
#[derive(Debug, Clone, Copy)]
pub struct Dated {
    pub id: i64,
    pub updated_at: i64,
}

/// A risk assessment that is due (Normen 3.3): shown as a task until an approved assessment
/// covers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    /// A processing no approved assessment covers (a new processing).
    NewProcessing(i64),
    /// A processing changed after the last approved assessment that covers it.
    ChangedProcessing(i64),
    /// A system no approved assessment covers (a new system).
    NewSystem(i64),
    /// A system changed after the last approved assessment that covers it.
    ChangedSystem(i64),
    /// Repeated deviations (the trigger key), not assessed in the window they are counted in.
    Deviations(String),
    /// Management's regular assessment: none approved within the interval; the last one's time.
    Regular(Option<i64>),
    /// Access to another enterprise's data (an authorisation of Normen 5.2.1.3, by id) granted
    /// after the last approved assessment made for access between enterprises.
    AccessBetween(i64),
}

/// The authorisations to another enterprise's data (`granted`: id and when) that no approved
/// assessment with reason `access_between` followed (Normen 3.3: before access between
/// enterprises).
pub fn access_between_due(approved: &[Cover], granted: &[Dated]) -> Vec<Due> {
    let last = approved.iter().filter(|c| c.reason == Reason::AccessBetween).map(|c| c.approved_at).max();
    granted.iter().filter(|g| last.is_none_or(|at| at < g.updated_at)).map(|g| Due::AccessBetween(g.id)).collect()
}

/// The key of the task a repeat of deviations opens: `deviations:{by}:{value}`.
pub fn repeat_trigger(by: &str, value: &str) -> String {
    format!("deviations:{by}:{value}")
}

/// The assessments that are due at `now`: every processing and system not covered by an
/// approved assessment, or changed since the last one that covers it; every repeat of
/// deviations (trigger keys) without an approved assessment opened from it within
/// `window_s`; and management's regular assessment when none with reason `regular` was
/// approved after `regular_after` (now less the interval, in calendar months).
pub fn due(
    approved: &[Cover],
    processings: &[Dated],
    systems: &[Dated],
    repeats: &[String],
    window_s: i64,
    regular_after: i64,
    now: i64,
) -> Vec<Due> {
    let last = |covers: &dyn Fn(&Cover) -> bool| approved.iter().filter(|c| covers(c)).map(|c| c.approved_at).max();
    let mut out = Vec::new();
    for p in processings {
        match last(&|c: &Cover| c.processings.contains(&p.id)) {
            None => out.push(Due::NewProcessing(p.id)),
            Some(at) if p.updated_at > at => out.push(Due::ChangedProcessing(p.id)),
            Some(_) => {}
        }
    }
    for s in systems {
        match last(&|c: &Cover| c.systems.contains(&s.id)) {
            None => out.push(Due::NewSystem(s.id)),
            Some(at) if s.updated_at > at => out.push(Due::ChangedSystem(s.id)),
            Some(_) => {}
        }
    }
    for key in repeats {
        if last(&|c: &Cover| c.trigger == *key).is_none_or(|at| at <= now - window_s) {
            out.push(Due::Deviations(key.clone()));
        }
    }
    let regular = last(&|c: &Cover| c.reason == Reason::Regular);
    if regular.is_none_or(|at| at <= regular_after) {
        out.push(Due::Regular(regular));
    }
    out
}

/// A threat of the catalogue normverk ships, for health and care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SeedThreat {
    pub code: &'static str,
    pub title: &'static str,
    pub description: &'static str,
}

const fn threat(code: &'static str, title: &'static str, description: &'static str) -> SeedThreat {
    SeedThreat { code, title, description }
}

/// A threat of an organisation's catalogue: one normverk ships, as the organisation may have
/// reworded it, or one of its own. A retired threat is no longer offered, but events that chose
/// it keep it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Threat {
    pub code: String,
    pub title: String,
    pub description: String,
    pub retired: bool,
}

impl From<&SeedThreat> for Threat {
    fn from(t: &SeedThreat) -> Threat {
        Threat { code: t.code.into(), title: t.title.into(), description: t.description.into(), retired: false }
    }
}

/// The prefix of the codes of an organisation's own threats.
pub const OWN_THREAT: &str = "own_";

/// An organisation's catalogue: normverk's threats in order, each as the organisation edited it,
/// then its own in the order they were added.
pub fn catalogue(edited: &[Threat]) -> Vec<Threat> {
    let mut out: Vec<Threat> = THREATS
        .iter()
        .map(|seed| edited.iter().find(|t| t.code == seed.code).cloned().unwrap_or_else(|| seed.into()))
        .collect();
    let mut own: Vec<&Threat> = edited.iter().filter(|t| t.code.starts_with(OWN_THREAT)).collect();
    own.sort_by_key(|t| t.code.trim_start_matches(OWN_THREAT).parse::<u64>().unwrap_or(u64::MAX));
    out.extend(own.into_iter().cloned());
    out
}

/// A threat as an organisation writes it: a title, and a description within bounds.
pub fn check_threat(t: &Threat) -> Vec<Problem> {
    let mut p: Vec<Problem> = text("title", &t.title).into_iter().collect();
    p.extend(text("description", &t.description));
    p
}

/// Unwanted events common in health and care, to choose from in step 3.
pub const THREATS: &[SeedThreat] = &[
    threat(
        "snooping",
        "Ansatte leser journaler uten tjenstlig behov",
        "Helsepersonell eller andre ansatte slår opp i opplysninger om pasienter de ikke yter helsehjelp til (nysgjerrighet, familie, kjente).",
    ),
    threat(
        "lost_device",
        "Mistet eller stjålet utstyr",
        "Bærbar PC, nettbrett, mobil eller minnepinne med helseopplysninger blir borte eller stjålet.",
    ),
    threat(
        "ransomware",
        "Løsepengevirus",
        "Skadevare krypterer journalsystem, filområder eller sikkerhetskopier og stopper driften.",
    ),
    threat(
        "phishing",
        "Phishing og overtatt konto",
        "En ansatt lures til å oppgi passord eller godkjenne pålogging, og en angriper bruker kontoen.",
    ),
    threat(
        "supplier_failure",
        "Leverandøren svikter",
        "Leverandør eller databehandler har driftsstans, går konkurs eller behandler opplysninger i strid med avtalen.",
    ),
    threat(
        "system_outage",
        "Systemet er utilgjengelig",
        "Journalsystem, nett eller strøm faller ut, og helsehjelpen må gis uten systemstøtte.",
    ),
    threat(
        "wrong_patient",
        "Opplysninger på feil pasient",
        "Notat, prøvesvar eller bilde registreres på feil pasient, eller to pasienter blandes sammen.",
    ),
    threat(
        "misdirected_message",
        "Melding til feil mottaker",
        "Epikrise, henvisning, SMS eller e-post med helseopplysninger sendes til feil person eller virksomhet.",
    ),
    threat(
        "unencrypted_transfer",
        "Helseopplysninger sendt ukryptert",
        "Helseopplysninger sendes med vanlig e-post, SMS eller uten sikker kanal (for eksempel utenfor Norsk helsenett).",
    ),
    threat(
        "excess_access",
        "For vide tilganger",
        "Tilganger følger ikke tjenstlig behov, avsluttes ikke ved sluttdato eller gjennomgås ikke.",
    ),
    threat(
        "data_loss",
        "Opplysninger går tapt",
        "Opplysninger slettes ved feil eller går tapt fordi sikkerhetskopier mangler eller ikke kan leses tilbake.",
    ),
    threat(
        "integrity_error",
        "Feil i opplysningene",
        "Opplysninger blir endret, ufullstendige eller feil på grunn av programfeil, integrasjonsfeil eller manuelle feil.",
    ),
    threat(
        "unlawful_processing",
        "Behandling uten grunnlag",
        "Opplysninger brukes til nye formål, lagres lenger enn nødvendig eller utleveres uten rettslig grunnlag.",
    ),
    threat(
        "physical_access",
        "Uvedkommende får fysisk tilgang",
        "Uvedkommende kommer inn i lokaler, arkiv eller serverrom, eller ser skjermer og papirer.",
    ),
    threat(
        "insider_abuse",
        "Misbruk fra innsiden",
        "En ansatt eller innleid med tilgang henter ut, endrer eller sletter opplysninger med vilje.",
    ),
];

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn tasks_stay_until_an_approved_assessment_covers_them() {
        let dated = |id, _created_at: i64, updated_at| Dated { id, updated_at };
        let cover = |approved_at, reason, processings: Vec<i64>, systems: Vec<i64>, trigger: &str| Cover {
            approved_at,
            reason,
            trigger: trigger.into(),
            processings,
            systems,
        };
        let key = repeat_trigger("system", "EPJ");
        let none = due(&[], &[dated(1, 0, 0)], &[dated(7, 0, 0)], std::slice::from_ref(&key), 100, 1000, 5000);
        assert_eq!(
            none,
            vec![Due::NewProcessing(1), Due::NewSystem(7), Due::Deviations(key.clone()), Due::Regular(None)]
        );
        let covers =
            [cover(4500, Reason::Regular, vec![1], vec![7], ""), cover(4950, Reason::Deviations, vec![], vec![], &key)];
        assert!(due(&covers, &[dated(1, 0, 10)], &[dated(7, 0, 10)], std::slice::from_ref(&key), 100, 1000, 5000)
            .is_empty());
        let later = due(&covers, &[dated(1, 0, 4600)], &[dated(7, 0, 10)], std::slice::from_ref(&key), 100, 4100, 5100);
        assert_eq!(
            later,
            vec![Due::ChangedProcessing(1), Due::Deviations(key)],
            "changed since; the repeat window passed"
        );
        let regular = due(&covers, &[], &[], &[], 100, 5000, 6000);
        assert_eq!(regular, vec![Due::Regular(Some(4500))]);
        let between = [cover(4700, Reason::AccessBetween, vec![], vec![], "")];
        assert_eq!(access_between_due(&between, &[dated(3, 0, 4600), dated(4, 0, 4800)]), vec![Due::AccessBetween(4)]);
        assert_eq!(access_between_due(&[], &[dated(3, 0, 4600)]), vec![Due::AccessBetween(3)]);
    }

    const TODAY: Date = Date { year: 2026, month: 12, day: 2 };

    fn event(id: u32, l: Option<u8>, c: Option<u8>) -> Event {
        Event {
            id,
            title: format!("Hendelse {id}"),
            description: String::new(),
            threat: "lost_device".into(),
            consequence: Consequence { confidentiality: c, ..Consequence::default() },
            likelihood: l,
            reasoning: String::new(),
            measures: vec![],
            residual: None,
            acceptance: None,
        }
    }

    fn keys(p: &[Problem]) -> Vec<(&str, ProblemKey)> {
        p.iter().map(|p| (p.field, p.key)).collect()
    }

    #[test]
    fn the_default_matrix_is_valid_and_accepts_only_low() {
        let m = Matrix::default();
        assert_eq!(m.check(), vec![]);
        assert_eq!(m.level(1, 1), Some(0));
        assert_eq!(m.level(2, 3), Some(0));
        assert_eq!(m.level(3, 3), Some(1));
        assert_eq!(m.level(4, 5), Some(2));
        assert_eq!(m.level(5, 5), Some(2));
        assert_eq!(m.level(0, 1), None);
        assert_eq!(m.level(6, 1), None);
        assert!(m.accepts(0) && !m.accepts(1));
    }

    #[test]
    fn a_matrix_with_gaps_levels_out_of_order_or_too_few_steps_is_refused() {
        let mut gap = Matrix::default();
        gap.grid[2].pop();
        assert_eq!(keys(&gap.check()), vec![("grid", ProblemKey::MatrixGap)]);
        let mut order = Matrix::default();
        order.grid[4][4] = 0;
        assert_eq!(keys(&order.check()), vec![("grid", ProblemKey::MatrixOrder)]);
        let mut unknown = Matrix::default();
        unknown.grid[0][0] = 3;
        unknown.acceptable = 3;
        assert_eq!(
            keys(&unknown.check()),
            vec![("grid", ProblemKey::OutOfRange), ("acceptable", ProblemKey::OutOfRange)]
        );
        let mut small = Matrix::default();
        small.likelihood.truncate(1);
        small.levels[1].label = " ".into();
        assert_eq!(
            keys(&small.check()),
            vec![
                ("likelihood", ProblemKey::StepCount),
                ("levels", ProblemKey::Required),
                ("grid", ProblemKey::MatrixGap)
            ]
        );
    }

    #[test]
    fn scores_outside_the_matrix_and_ids_not_the_organisations_are_refused() {
        let m = Matrix::default();
        let known =
            Known { processings: vec![1], systems: vec![2], assets: vec![], threats: vec!["lost_device".into()] };
        let mut a =
            Assessment { title: "Journal".into(), processings: vec![1], systems: vec![2, 9], ..Assessment::default() };
        let mut e = event(1, Some(6), Some(0));
        e.residual = Some(Score { likelihood: 1, consequence: 9 });
        e.measures.push(Measure {
            id: 1,
            description: "Kryptere disker".into(),
            owner: "IT".into(),
            deadline: "2026-02-30".into(),
            status: MeasureStatus::Planned,
            systems: vec![3],
        });
        a.events = vec![e, event(1, None, None)];
        a.events[1].threat = "meteor".into();
        let p = check(&a, &m, &known);
        assert_eq!(
            keys(&p),
            vec![
                ("systems", ProblemKey::NoSuchItem),
                ("confidentiality", ProblemKey::OutOfRange),
                ("likelihood", ProblemKey::OutOfRange),
                ("residual_consequence", ProblemKey::OutOfRange),
                ("deadline", ProblemKey::Date),
                ("systems", ProblemKey::NoSuchItem),
                ("id", ProblemKey::Duplicate),
                ("threat", ProblemKey::NotOneOf),
            ]
        );
        assert!(p[6].args.contains(&("event", "2".into())));
    }

    #[test]
    fn approval_needs_every_event_scored_and_every_risk_above_the_level_treated_or_accepted() {
        let m = Matrix::default();
        let mut a = Assessment { title: "Journal".into(), ..Assessment::default() };
        assert_eq!(keys(&check_approval(&a, &m, TODAY)), vec![("events", ProblemKey::NoEvents)]);
        a.events = vec![event(1, Some(1), Some(2)), event(2, Some(4), None), event(3, Some(4), Some(4))];
        assert_eq!(
            check_approval(&a, &m, TODAY).iter().map(|p| p.key).collect::<Vec<_>>(),
            vec![ProblemKey::Unscored, ProblemKey::RiskNotAccepted]
        );
        a.events[1].consequence.availability = Some(1);
        // Treated: the residual risk is low.
        a.events[2].residual = Some(Score { likelihood: 1, consequence: 4 });
        assert_eq!(check_approval(&a, &m, TODAY), vec![]);
        // Not treated enough, then accepted until a date, which passes.
        a.events[2].residual = Some(Score { likelihood: 3, consequence: 4 });
        assert_eq!(standing(&a.events[2], &m, TODAY), Standing::Open);
        a.events[2].acceptance = Some(Acceptance {
            justification: "Tiltak kommer i neste versjon".into(),
            expires_on: "2027-06-30".into(),
            accepted_by: 1,
            accepted_by_name: "Leder".into(),
            accepted_at: 0,
        });
        assert_eq!(standing(&a.events[2], &m, TODAY), Standing::Accepted);
        assert_eq!(check_approval(&a, &m, TODAY), vec![]);
        assert_eq!(standing(&a.events[2], &m, Date { year: 2027, month: 6, day: 30 }), Standing::Open);
        assert!(next_from(&a).events.iter().all(|e| e.acceptance.is_none()));
    }

    #[test]
    fn an_acceptance_needs_a_justification_and_an_expiry_after_today_within_three_years() {
        assert_eq!(check_acceptance("Kostnad", "2027-01-01", TODAY), vec![]);
        assert_eq!(
            keys(&check_acceptance(" ", "2026-12-02", TODAY)),
            vec![("justification", ProblemKey::Required), ("expires_on", ProblemKey::NotAfterToday)]
        );
        assert_eq!(keys(&check_acceptance("Kostnad", "snart", TODAY)), vec![("expires_on", ProblemKey::Date)]);
        assert_eq!(
            keys(&check_acceptance("Kostnad", "2030-01-01", TODAY)),
            vec![("expires_on", ProblemKey::ExpiryTooFar)]
        );
    }

    #[test]
    fn every_threat_code_is_unique() {
        let mut codes: Vec<_> = THREATS.iter().map(|t| t.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), THREATS.len());
    }
}
