//! Data protection impact assessment (DPIA, personvernkonsekvensvurdering; Normen 3.4) and prior
//! consultation with Datatilsynet (3.5): the screening of a processing (the nine criteria of
//! 3.4.1, two or more → required; the mandatory cases of 3.4; the exemption when a general
//! impact assessment was made with the law), the DPIA as a document with the minimum content of
//! 3.4, covering one or more similar processings and using a risk assessment's events and
//! measures, and its workflow: draft → with the DPO → the DPO's advice → approved by top
//! management, or returned for more work; reopened for review when the risk changes. Pure.

use crate::problem::{Problem, ProblemKey};
use crate::text::{Field, Lines};
use serde::{Deserialize, Serialize};

string_enum! {
    /// What the screening asks: the nine criteria of Normen 3.4.1, then the two cases of 3.4
    /// that require a DPIA on their own.
    Criterion {
        Evaluation = "evaluation",
        AutomatedDecisions = "automated_decisions",
        SystematicMonitoring = "systematic_monitoring",
        SensitiveData = "sensitive_data",
        LargeScale = "large_scale",
        CombinedDatasets = "combined_datasets",
        VulnerableSubjects = "vulnerable_subjects",
        NewTechnology = "new_technology",
        PreventsRights = "prevents_rights",
        LargeScaleHealth = "large_scale_health",
        Profiling = "profiling",
    }
}

impl Criterion {
    /// One of the two cases of 3.4 that require a DPIA whatever else holds.
    pub fn mandatory(self) -> bool {
        matches!(self, Criterion::LargeScaleHealth | Criterion::Profiling)
    }
}

impl Criterion {
    /// A short Norwegian name, as the spreadsheet writes it and reads it back.
    pub fn word(self) -> &'static str {
        match self {
            Criterion::Evaluation => "Evaluering eller poengsetting",
            Criterion::AutomatedDecisions => "Automatiserte avgjørelser",
            Criterion::SystematicMonitoring => "Systematisk overvåking",
            Criterion::SensitiveData => "Sensitive personopplysninger",
            Criterion::LargeScale => "Stor skala",
            Criterion::CombinedDatasets => "Sammenstilte datasett",
            Criterion::VulnerableSubjects => "Registrerte med særskilt beskyttelsesbehov",
            Criterion::NewTechnology => "Ny teknologi eller nye formål",
            Criterion::PreventsRights => "Begrenser de registrertes rettigheter",
            Criterion::LargeScaleHealth => "Helseopplysninger i stor skala",
            Criterion::Profiling => "Profilering med rettsvirkning",
        }
    }
}

/// The Norwegian words for `criteria`, separated by semicolons; «Ingen» for none.
pub fn words(criteria: &[Criterion]) -> String {
    if criteria.is_empty() {
        "Ingen".to_string()
    } else {
        criteria.iter().map(|c| c.word()).collect::<Vec<_>>().join("; ")
    }
}

/// How a screening that found none of the criteria is written, so that "screened, none apply"
/// is told apart from "not screened".
pub const NONE: &str = "none";

string_enum! {
    /// What the screening concludes.
    Outcome {
        Required = "required",
        NotRequired = "not_required",
        /// A general impact assessment was made when the law regulating the processing was
        /// adopted (3.4): the requirement may fall away.
        Exempt = "exempt",
    }
}

/// The criteria a screening field holds (codes separated by commas or semicolons, or
/// [`NONE`]); a problem naming what is not a criterion.
pub fn parse_criteria(text: &str) -> Result<Vec<Criterion>, Problem> {
    let mut found = Vec::new();
    for part in text.split([',', ';']).map(str::trim).filter(|p| !p.is_empty()) {
        if part == NONE || part.eq_ignore_ascii_case("ingen") {
            continue;
        }
        let by_word = Criterion::ALL.iter().copied().find(|c| c.word().to_lowercase() == part.to_lowercase());
        let c: Criterion = by_word.map_or_else(|| part.parse(), Ok).map_err(|_| {
            let values = Criterion::ALL.iter().map(|c| c.as_str()).chain([NONE]).collect::<Vec<_>>().join(", ");
            Problem::new("dpia_criteria", ProblemKey::NotOneOf, format!("criteria among {values}"))
                .arg("value", part)
                .arg("values", values)
        })?;
        if !found.contains(&c) {
            found.push(c);
        }
    }
    found.sort();
    Ok(found)
}

/// The criteria as stored: codes in order, or [`NONE`].
pub fn write_criteria(criteria: &[Criterion]) -> String {
    if criteria.is_empty() {
        NONE.to_string()
    } else {
        criteria.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// What a screening concludes: exempt where the law's general impact assessment is named;
/// required on a mandatory case or two or more of the nine; else not required. None when the
/// processing has not been screened (the field is empty).
pub fn outcome(criteria: &str, exemption: &str) -> Result<Option<Outcome>, Problem> {
    if criteria.trim().is_empty() && exemption.trim().is_empty() {
        return Ok(None);
    }
    let found = parse_criteria(criteria)?;
    Ok(Some(if !exemption.trim().is_empty() {
        Outcome::Exempt
    } else if found.iter().any(|c| c.mandatory()) || found.iter().filter(|c| !c.mandatory()).count() >= 2 {
        Outcome::Required
    } else {
        Outcome::NotRequired
    }))
}

string_enum! {
    /// Where a DPIA stands.
    State {
        Draft = "draft",
        /// Sent to the data protection officer for advice.
        WithDpo = "with_dpo",
        /// The DPO's advice recorded; top management decides.
        Advised = "advised",
        Approved = "approved",
        /// Sent back for more work; editable again.
        Returned = "returned",
    }
}

impl State {
    /// Whether the document may be changed.
    pub fn editable(self) -> bool {
        matches!(self, State::Draft | State::Returned)
    }
}

string_enum! {
    /// A step of the workflow.
    Step {
        /// To the DPO for advice.
        Send = "send",
        /// The DPO's advice recorded.
        Advise = "advise",
        Approve = "approve",
        /// Back for more work, with a reason.
        Return = "return",
        /// An approved DPIA opened again for review (the risk changed).
        Reopen = "reopen",
    }
}

/// Where `step` takes a DPIA in `state`; with a DPO (`has_dpo`) approval needs the DPO's
/// advice first, without one a draft goes straight to top management.
pub fn next(state: State, step: Step, has_dpo: bool) -> Result<State, Problem> {
    let out_of_order = || {
        Problem::new("step", ProblemKey::DpiaStep, format!("cannot {} a DPIA that is {}", step, state))
            .arg("step", step)
            .arg("state", state)
    };
    match (step, state) {
        (Step::Send, State::Draft | State::Returned) if has_dpo => Ok(State::WithDpo),
        (Step::Send, State::Draft | State::Returned) => Err(Problem::new(
            "step",
            ProblemKey::NoDpo,
            "the organisation has no data protection officer: top management approves directly",
        )),
        (Step::Advise, State::WithDpo) => Ok(State::Advised),
        (Step::Approve, State::Advised) => Ok(State::Approved),
        (Step::Approve, State::Draft | State::Returned | State::WithDpo) if has_dpo => Err(Problem::new(
            "step",
            ProblemKey::DpoAdviceRequired,
            "the data protection officer's advice must be recorded before approval (Normen 3.4)",
        )),
        (Step::Approve, State::Draft | State::Returned) => Ok(State::Approved),
        (Step::Return, State::WithDpo | State::Advised) => Ok(State::Returned),
        (Step::Reopen, State::Approved) => Ok(State::Draft),
        _ => Err(out_of_order()),
    }
}

/// The DPO's advice, or top management's decision: what was said, by whom, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub text: String,
    pub by: i64,
    pub by_name: String,
    pub at: i64,
}

/// Prior consultation with Datatilsynet (3.5): when the request was sent and the written advice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Consultation {
    /// `YYYY-MM-DD`, empty until sent.
    pub sent_on: String,
    /// `YYYY-MM-DD`, empty until Datatilsynet answered.
    pub answered_on: String,
    /// Datatilsynet's written advice, in short, with its reference.
    pub advice: String,
}

impl Consultation {
    /// Whether Datatilsynet's answer is recorded.
    pub fn answered(&self) -> bool {
        !self.answered_on.is_empty()
    }
}

/// A DPIA as one document: the minimum content of 3.4 and what the workflow recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Dpia {
    pub title: String,
    /// The processings of the protokoll it covers (3.4: one assessment for several similar).
    pub processings: Vec<i64>,
    /// The risk assessment whose unwanted events and measures are the DPIA's risks to the data
    /// subjects and its planned measures.
    pub assessment_id: Option<i64>,
    /// A systematic description of the processing.
    pub description: String,
    pub purpose: String,
    /// Whether the processing is necessary and proportionate to the purpose.
    pub necessity: String,
    /// The risks to the data subjects' rights and freedoms, beyond the assessment's events.
    pub risks: String,
    /// The planned measures, beyond the assessment's.
    pub measures: String,
    pub dpo_advice: Option<Note>,
    /// Top management's approval, or why it was returned.
    pub decision: Option<Note>,
    pub consultation: Option<Consultation>,
}

/// The text fields of a DPIA, its notes and its consultation.
pub const TEXT: &[Field] = &[
    Field::line("title", 200),
    Field::optional("description", Lines::Many, 10000),
    Field::optional("purpose", Lines::Many, 5000),
    Field::optional("necessity", Lines::Many, 10000),
    Field::optional("risks", Lines::Many, 10000),
    Field::optional("measures", Lines::Many, 10000),
    Field::text("note", 10000),
    Field::text("return_note", 10000),
    Field::optional("advice", Lines::Many, 10000),
];

fn text(field: &'static str, value: &str) -> Option<Problem> {
    crate::text::field(TEXT, field).and_then(|f| f.check(value))
}

/// Every problem with a DPIA's content as saved: text fields, processings and the risk
/// assessment not the organisation's (`processings` and `assessments` are its ids).
pub fn check(d: &Dpia, processings: &[i64], assessments: &[i64]) -> Vec<Problem> {
    let mut p = Vec::new();
    for (field, value) in [
        ("title", &d.title),
        ("description", &d.description),
        ("purpose", &d.purpose),
        ("necessity", &d.necessity),
        ("risks", &d.risks),
        ("measures", &d.measures),
    ] {
        p.extend(text(field, value));
    }
    for id in d.processings.iter().filter(|id| !processings.contains(id)) {
        p.push(
            Problem::new("processings", ProblemKey::NoSuchItem, format!("no processing {id} in the organisation"))
                .arg("id", id),
        );
    }
    if let Some(id) = d.assessment_id.filter(|id| !assessments.contains(id)) {
        p.push(
            Problem::new(
                "assessment_id",
                ProblemKey::NoSuchItem,
                format!("no risk assessment {id} in the organisation"),
            )
            .arg("id", id),
        );
    }
    p
}

/// What the DPIA still lacks of the minimum content of 3.4 before it can go to the DPO or top
/// management: a processing, the description, the purpose, the necessity and proportionality,
/// the risks (a risk assessment or text) and the planned measures (ditto).
pub fn missing(d: &Dpia) -> Vec<Problem> {
    let mut p = Vec::new();
    if d.processings.is_empty() {
        p.push(Problem::new("processings", ProblemKey::Required, "at least one processing of the protokoll"));
    }
    for (field, value) in [("description", &d.description), ("purpose", &d.purpose), ("necessity", &d.necessity)] {
        if value.trim().is_empty() {
            p.push(Problem::new(field, ProblemKey::Required, "required before the DPIA goes on"));
        }
    }
    if d.assessment_id.is_none() {
        for (field, value) in [("risks", &d.risks), ("measures", &d.measures)] {
            if value.trim().is_empty() {
                p.push(Problem::new(field, ProblemKey::RisksOrAssessment, "a risk assessment, or the text"));
            }
        }
    }
    p
}

/// Whether Datatilsynet must be consulted before the processing starts (3.5): the risk that
/// remains after the planned measures is at the matrix's highest level for some event.
/// `remaining` is each event's remaining level, `highest` the matrix's highest level.
pub fn needs_consultation(remaining: impl IntoIterator<Item = Option<usize>>, highest: usize) -> bool {
    remaining.into_iter().flatten().any(|level| level >= highest)
}

/// A consultation as recorded, checked: dates that are dates, an answer not before the request,
/// and the advice with its answer.
pub fn check_consultation(c: &Consultation) -> Vec<Problem> {
    use crate::assessment::Date;
    let mut p = Vec::new();
    let sent = Date::parse(&c.sent_on);
    if sent.is_none() {
        p.push(Problem::new("sent_on", ProblemKey::Date, "a real date written YYYY-MM-DD"));
    }
    if !c.answered_on.is_empty() {
        match Date::parse(&c.answered_on) {
            None => p.push(Problem::new("answered_on", ProblemKey::Date, "a real date written YYYY-MM-DD")),
            Some(a) if sent.is_some_and(|s| a < s) => {
                p.push(Problem::new("answered_on", ProblemKey::AnswerBeforeRequest, "not before the request was sent"))
            }
            Some(_) => {}
        }
        if c.advice.trim().is_empty() {
            p.push(Problem::new("advice", ProblemKey::Required, "Datatilsynet's advice, in short"));
        }
    }
    p.extend(text("advice", &c.advice));
    p
}

/// A note's text checked, as the form field `field` (`note`: the DPO's advice or a word with the
/// approval; `return_note`: why a DPIA is returned).
pub fn check_note(field: &'static str, text_: &str) -> Vec<Problem> {
    text(field, text_).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_criteria_or_a_mandatory_case_require_a_dpia_and_the_law_exempts() {
        assert_eq!(outcome("", ""), Ok(None), "not screened");
        assert_eq!(outcome("none", ""), Ok(Some(Outcome::NotRequired)));
        assert_eq!(outcome("sensitive_data", ""), Ok(Some(Outcome::NotRequired)));
        assert_eq!(outcome("sensitive_data; large_scale", ""), Ok(Some(Outcome::Required)));
        assert_eq!(outcome("large_scale_health", ""), Ok(Some(Outcome::Required)));
        assert_eq!(outcome("sensitive_data, large_scale", "Prop. 1 L (2020–2021)"), Ok(Some(Outcome::Exempt)));
        assert!(outcome("sensitive_data, whim", "").is_err());
        assert_eq!(
            parse_criteria(&words(&[Criterion::LargeScale, Criterion::Profiling])),
            Ok(vec![Criterion::LargeScale, Criterion::Profiling])
        );
        assert_eq!(parse_criteria("Ingen"), Ok(vec![]));
        assert_eq!(
            parse_criteria("large_scale, sensitive_data, large_scale").map(|c| write_criteria(&c)),
            Ok("sensitive_data, large_scale".to_string())
        );
    }

    #[test]
    fn approval_needs_the_dpos_advice_where_there_is_one() {
        assert_eq!(next(State::Draft, Step::Send, true), Ok(State::WithDpo));
        assert!(next(State::Draft, Step::Approve, true).is_err());
        assert!(next(State::WithDpo, Step::Approve, true).is_err());
        assert_eq!(next(State::WithDpo, Step::Advise, true), Ok(State::Advised));
        assert_eq!(next(State::Advised, Step::Approve, true), Ok(State::Approved));
        assert_eq!(next(State::Advised, Step::Return, true), Ok(State::Returned));
        assert_eq!(next(State::Returned, Step::Send, true), Ok(State::WithDpo));
        assert_eq!(next(State::Draft, Step::Approve, false), Ok(State::Approved), "no DPO: straight to management");
        assert!(next(State::Draft, Step::Send, false).is_err());
        assert!(next(State::Approved, Step::Advise, true).is_err());
        assert_eq!(next(State::Approved, Step::Reopen, true), Ok(State::Draft));
    }

    #[test]
    fn the_minimum_content_is_asked_for_and_a_consultation_is_checked() {
        let empty = Dpia::default();
        let fields: Vec<_> = missing(&empty).iter().map(|p| p.field).collect();
        assert_eq!(fields, ["processings", "description", "purpose", "necessity", "risks", "measures"]);
        let linked = Dpia { assessment_id: Some(1), ..Dpia::default() };
        assert!(!missing(&linked).iter().any(|p| p.field == "risks"), "the assessment holds the risks");
        assert!(needs_consultation([Some(0), Some(2)], 2));
        assert!(!needs_consultation([Some(1), None], 2));
        let c = Consultation { sent_on: "2026-12-01".into(), answered_on: "2026-11-30".into(), advice: String::new() };
        let fields: Vec<_> = check_consultation(&c).iter().map(|p| p.field).collect();
        assert_eq!(fields, ["answered_on", "advice"]);
    }
}
