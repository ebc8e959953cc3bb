//! Deviations (avvik), Normen 5.8: the report every employee files, the workflow from report to
//! closure as a state machine, and the 72-hour clock for notifying Datatilsynet of a personal
//! data breach with consequences for data subjects. Pure: times are Unix seconds (UTC) passed
//! in; shown in Europe/Oslo by the layers above.

use crate::access_log::{identifier, Whose};
use crate::org::Role;
use crate::problem::{Problem, ProblemKey};
use crate::text::{Field, Lines};
use serde::{Deserialize, Serialize};

/// Which deviations a person sees (Normen 5.8; least privilege).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The security lead, the DPO, top management, and auditors (read only).
    All,
    /// A manager: the deviations of the units they manage, and their own reports.
    UnitsAndOwn,
    /// Everyone else: their own reports.
    Own,
}

pub fn reach(roles: &[Role]) -> Reach {
    if roles.iter().any(|r| matches!(r, Role::SecurityLead | Role::Dpo | Role::TopManagement | Role::Auditor)) {
        Reach::All
    } else if roles.contains(&Role::Manager) {
        Reach::UnitsAndOwn
    } else {
        Reach::Own
    }
}

/// Whom the breach clock's reminders go to: those answerable for the notice to Datatilsynet —
/// the security lead, the DPO and top management. Auditors see every deviation too, but act on
/// none, so they are not reminded.
pub fn reminded(roles: &[Role]) -> bool {
    roles.iter().any(|r| matches!(r, Role::SecurityLead | Role::Dpo | Role::TopManagement))
}

/// Who handles a deviation (gathers facts, assesses, proposes, reports, closes, notifies): the
/// security lead, the DPO, or a manager of the deviation's unit.
pub fn may_handle(roles: &[Role], manages_unit: bool) -> bool {
    roles.iter().any(|r| matches!(r, Role::SecurityLead | Role::Dpo))
        || (manages_unit && roles.contains(&Role::Manager))
}

/// Who adopts measures: a manager of the deviation's unit, or the security lead (Normen 5.8.1).
pub fn may_adopt(roles: &[Role], manages_unit: bool) -> bool {
    roles.contains(&Role::SecurityLead) || (manages_unit && roles.contains(&Role::Manager))
}

string_enum! {
    /// Where a deviation is in its handling (Normen 5.8.1), in order.
    State {
        Reported = "reported",
        FactsGathered = "facts_gathered",
        Assessed = "assessed",
        MeasuresProposed = "measures_proposed",
        MeasuresAdopted = "measures_adopted",
        Implemented = "implemented",
        Closed = "closed",
    }
}

string_enum! {
    /// What the deviation was about, as the reporter sees it.
    Category {
        UnauthorisedAccess = "unauthorised_access",
        Confidentiality = "confidentiality",
        EmailSms = "email_sms",
        MisdirectedInformation = "misdirected_information",
        LostEquipment = "lost_equipment",
        SystemFailure = "system_failure",
        SelfAuthorisation = "self_authorisation",
        ProcedureBreach = "procedure_breach",
        MissingProcedure = "missing_procedure",
        Other = "other",
    }
}

string_enum! {
    /// The assessed kind (Normen 5.8.1: security breach, breach of procedure, missing or unfit
    /// procedure).
    DeviationKind {
        SecurityBreach = "security_breach",
        ProcedureBreach = "procedure_breach",
        MissingProcedure = "missing_procedure",
    }
}

string_enum! {
    /// The assessed severity.
    Severity {
        Low = "low",
        Medium = "medium",
        High = "high",
        Critical = "critical",
    }
}

/// How long the controller has to notify Datatilsynet after becoming aware (GDPR art. 33).
pub const NOTIFICATION_WINDOW_S: i64 = 72 * 3600;
/// Reminders before the deadline, in hours after becoming aware.
pub const REMINDER_HOURS: [i64; 3] = [24, 48, 66];
/// Clocks disagree a little: a time this far in the future is still "now".
pub const CLOCK_SKEW_S: i64 = 300;
const MAX_SHORT: usize = 200;
const MAX_LONG: usize = 20_000;

fn problem(problems: &mut Vec<Problem>, field: &'static str, key: ProblemKey, message: impl Into<String>) {
    problems.push(Problem::new(field, key, message));
}

/// A text field: short ones are one line, long ones many.
fn text(problems: &mut Vec<Problem>, field: &'static str, value: &str, required: bool, max: usize) {
    let lines = if max <= MAX_SHORT * 2 { Lines::One } else { Lines::Many };
    if required && value.trim().is_empty() {
        problem(problems, field, ProblemKey::Required, "required");
    } else if let Some(p) = crate::text::check(field, value, lines, max) {
        problems.push(p);
    }
}

/// What the reporter tells: the fixed form of Normen 5.8.1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDeviation {
    pub title: String,
    /// What happened.
    pub description: String,
    /// When it happened (Unix seconds).
    pub occurred_at: i64,
    /// When the organisation became aware of it: the breach clock starts here.
    pub aware_at: i64,
    #[serde(default)]
    pub unit_id: Option<i64>,
    /// The system involved, if any.
    #[serde(default)]
    pub system: Option<String>,
    pub category: Category,
    pub patients_concerned: bool,
    #[serde(default)]
    pub immediate_actions: String,
    /// The patient the deviation concerns, when it is one: a national identity number (with or
    /// without its `fnr:`/`dnr:`/`hnr:` prefix) or `local:<system>:…`. Every read of such a
    /// deviation goes into the access log under this patient.
    #[serde(default)]
    pub patient_id: Option<String>,
}

/// The report's text fields.
pub const REPORT_TEXT: &[Field] = &[
    Field::line("title", MAX_SHORT),
    Field { name: "description", lines: Lines::Many, required: true, max: MAX_LONG },
    Field::optional("immediate_actions", Lines::Many, MAX_LONG),
    Field::optional("system", Lines::One, MAX_SHORT),
    Field::optional("patient_id", Lines::One, MAX_SHORT),
];

/// Checks a report (a title and description, times that are not in the future, awareness not
/// before the event, a patient's identity number whose check digits hold) and puts the patient
/// in the access log's one form (see [`identifier`]); a report naming a patient concerns
/// patients.
pub fn accept_report(d: &mut NewDeviation, now: i64) -> Vec<Problem> {
    let mut p = Vec::new();
    for f in REPORT_TEXT {
        let value = match f.name {
            "title" => &d.title,
            "description" => &d.description,
            "immediate_actions" => &d.immediate_actions,
            "patient_id" => d.patient_id.as_deref().unwrap_or(""),
            _ => d.system.as_deref().unwrap_or(""),
        };
        p.extend(f.check(value));
    }
    let patient = d.patient_id.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if let Some(raw) = patient.filter(|_| p.is_empty()) {
        // People type the eleven digits; the log's form names the kind of number.
        let raw = if raw.bytes().all(|b| b.is_ascii_digit() || b == b' ') {
            format!("fnr:{}", raw.replace(' ', ""))
        } else {
            raw.to_string()
        };
        match identifier("patient_id", &raw, Whose::Patient) {
            Ok(id) => {
                d.patient_id = Some(id);
                d.patients_concerned = true;
            }
            Err(problem) => p.push(problem),
        }
    } else if patient.is_none() {
        d.patient_id = None;
    }
    if d.occurred_at > now + CLOCK_SKEW_S {
        problem(&mut p, "occurred_at", ProblemKey::InFuture, "is in the future");
    }
    if d.aware_at > now + CLOCK_SKEW_S {
        problem(&mut p, "aware_at", ProblemKey::InFuture, "is in the future");
    }
    if d.aware_at < d.occurred_at {
        problem(&mut p, "aware_at", ProblemKey::AwareBeforeOccurred, "is before the deviation occurred");
    }
    p
}

string_enum! {
    /// A personnel reaction to a deviation (Normen 4.1, 5.2.3, 5.4.4).
    Reaction {
        Guidance = "guidance",
        Warning = "warning",
        WrittenWarning = "written_warning",
        AccessRevoked = "access_revoked",
        EmploymentConsequence = "employment_consequence",
    }
}

/// Personnel reactions are seen and recorded only by the security lead and top management.
pub fn may_see_reactions(roles: &[Role]) -> bool {
    roles.iter().any(|r| matches!(r, Role::SecurityLead | Role::TopManagement))
}

/// Checks a personnel reaction: who it concerns, and for a breach of confidentiality at least
/// a written warning (Normen 4.1).
pub fn check_reaction(category: Category, person: &str, reaction: Reaction, note: &str) -> Vec<Problem> {
    let mut p = Vec::new();
    text(&mut p, "person", person, true, MAX_SHORT);
    text(&mut p, "note", note, false, MAX_LONG);
    if category == Category::Confidentiality && matches!(reaction, Reaction::Guidance | Reaction::Warning) {
        problem(
            &mut p,
            "reaction",
            ProblemKey::ReactionTooMild,
            "a breach of confidentiality calls for at least a written warning (Normen 4.1)",
        );
    }
    p
}

/// Repeated deviations call for a new risk assessment (Normen 5.8.1) when at least this many
/// share a category or a system within [`REPEAT_WINDOW_S`], unless the organisation says otherwise.
pub const DEFAULT_REPEAT_THRESHOLD: i64 = 3;
pub const REPEAT_WINDOW_S: i64 = 365 * 86_400;

/// A category or system that deviations keep coming back to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repeat {
    /// "category" or "system".
    pub by: &'static str,
    pub value: String,
    pub count: i64,
}

/// The categories and systems with at least `threshold` deviations, most first; `categories`
/// and `systems` are counts over the last 12 months.
pub fn repeated(categories: &[(String, i64)], systems: &[(String, i64)], threshold: i64) -> Vec<Repeat> {
    let mut out: Vec<Repeat> = categories
        .iter()
        .filter(|(_, n)| *n >= threshold)
        .map(|(v, n)| Repeat { by: "category", value: v.clone(), count: *n })
        .chain(systems.iter().filter(|(v, n)| *n >= threshold && !v.trim().is_empty()).map(|(v, n)| Repeat {
            by: "system",
            value: v.clone(),
            count: *n,
        }))
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    out
}

string_enum! {
    /// How far a measure has come.
    MeasureStatus {
        Planned = "planned",
        InProgress = "in_progress",
        Done = "done",
    }
}

/// A measure: who does what by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureIn {
    pub description: String,
    pub owner: String,
    /// `YYYY-MM-DD`.
    pub deadline: String,
}

/// The fields of one step of the workflow; the step's target state is implied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// The timeline of the event.
    FactsGathered {
        timeline: String,
    },
    Assessed {
        kind: DeviationKind,
        confidentiality: bool,
        integrity: bool,
        availability: bool,
        personal_data_breach: bool,
        /// Whether the breach has consequences for data subjects: then Datatilsynet must be told.
        consequences_for_data_subjects: bool,
        severity: Severity,
        #[serde(default)]
        assessment: String,
    },
    MeasuresProposed {
        measures: Vec<MeasureIn>,
        #[serde(default)]
        alternatives: String,
        plan: String,
    },
    /// By a manager or the security lead.
    MeasuresAdopted {
        decision: String,
    },
    /// The status report to management.
    Implemented {
        status_report: String,
    },
    Closed {
        conclusion: String,
    },
}

impl Step {
    pub fn target(&self) -> State {
        match self {
            Step::FactsGathered { .. } => State::FactsGathered,
            Step::Assessed { .. } => State::Assessed,
            Step::MeasuresProposed { .. } => State::MeasuresProposed,
            Step::MeasuresAdopted { .. } => State::MeasuresAdopted,
            Step::Implemented { .. } => State::Implemented,
            Step::Closed { .. } => State::Closed,
        }
    }
}

impl State {
    /// The state that follows this one, if any.
    pub fn next(self) -> Option<State> {
        let all = State::ALL;
        let i = all.iter().position(|s| *s == self)?;
        all.get(i + 1).copied()
    }
}

/// What a transition needs to know of the deviation besides its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub state: State,
    /// Datatilsynet must be notified (assessed as a breach with consequences).
    pub notice_required: bool,
    /// A complete notice to Datatilsynet has been recorded.
    pub notice_recorded: bool,
    /// The decision on notifying data subjects has been recorded (when one is needed).
    pub subject_decision_recorded: bool,
}

/// Checks a step: it must be the next one, with its mandatory fields; a deviation that must be
/// notified cannot close before a complete notice is recorded. Returns every problem.
pub fn check_step(facts: Facts, step: &Step, today: &str) -> Vec<Problem> {
    let mut p = Vec::new();
    let expected = facts.state.next();
    if expected != Some(step.target()) {
        p.push(match expected {
            Some(next) => Problem::new(
                "to",
                ProblemKey::StepOutOfOrder,
                format!("the deviation is {}; the next step is {}, not {}", facts.state, next, step.target()),
            ),
            None => Problem::new("to", ProblemKey::Closed, "the deviation is closed"),
        });
        return p;
    }
    match step {
        Step::FactsGathered { timeline } => text(&mut p, "timeline", timeline, true, MAX_LONG),
        Step::Assessed { assessment, .. } => text(&mut p, "assessment", assessment, false, MAX_LONG),
        Step::MeasuresProposed { measures, alternatives, plan } => {
            text(&mut p, "plan", plan, true, MAX_LONG);
            text(&mut p, "alternatives", alternatives, false, MAX_LONG);
            if measures.is_empty() {
                problem(&mut p, "measures", ProblemKey::MeasuresNone, "propose at least one measure");
            }
            if measures.len() > 50 {
                problem(&mut p, "measures", ProblemKey::MeasuresTooMany, "at most 50 measures");
            }
            for m in measures {
                if m.description.trim().is_empty() || m.description.chars().count() > MAX_LONG {
                    problem(&mut p, "measures", ProblemKey::MeasureDescription, "every measure needs a description");
                }
                if m.owner.trim().is_empty() || m.owner.chars().count() > MAX_SHORT {
                    problem(&mut p, "measures", ProblemKey::MeasureOwner, "every measure needs an owner");
                }
                match crate::assessment::Date::parse(&m.deadline) {
                    None => p.push(
                        Problem::new(
                            "measures",
                            ProblemKey::MeasureDeadlineNotDate,
                            format!("'{}' is not a date (YYYY-MM-DD)", m.deadline),
                        )
                        .arg("value", &m.deadline),
                    ),
                    Some(d) if crate::assessment::Date::parse(today).is_some_and(|t| d < t) => p.push(
                        Problem::new(
                            "measures",
                            ProblemKey::MeasureDeadlinePassed,
                            format!("the deadline {} has passed", m.deadline),
                        )
                        .arg("value", &m.deadline),
                    ),
                    Some(_) => {}
                }
            }
        }
        Step::MeasuresAdopted { decision } => text(&mut p, "decision", decision, true, MAX_LONG),
        Step::Implemented { status_report } => text(&mut p, "status_report", status_report, true, MAX_LONG),
        Step::Closed { conclusion } => {
            text(&mut p, "conclusion", conclusion, true, MAX_LONG);
            if facts.notice_required && !facts.notice_recorded {
                problem(
                    &mut p,
                    "to",
                    ProblemKey::CloseNeedsNotice,
                    "record the complete notice to Datatilsynet before closing",
                );
            }
            if facts.notice_required && !facts.subject_decision_recorded {
                problem(
                    &mut p,
                    "to",
                    ProblemKey::CloseNeedsSubjectDecision,
                    "record whether the data subjects are to be notified before closing",
                );
            }
        }
    }
    p
}

/// Whether Datatilsynet must be notified: a personal data breach with consequences for data
/// subjects (Normen 5.8.1; a breach without consequences need not be).
pub fn notice_required(personal_data_breach: bool, consequences: bool) -> bool {
    personal_data_breach && consequences
}

/// When the notice to Datatilsynet is due: 72 hours after becoming aware. Computed in UTC, so
/// a daylight-saving change in between moves the local clock time, not the deadline.
pub fn notification_deadline(aware_at: i64) -> i64 {
    aware_at.saturating_add(NOTIFICATION_WINDOW_S)
}

/// The reminders (hours after awareness) that are due by `now` and not yet sent, given the last
/// one sent.
pub fn due_reminders(aware_at: i64, now: i64, last_sent_hours: Option<i64>) -> Vec<i64> {
    REMINDER_HOURS
        .iter()
        .copied()
        .filter(|h| aware_at.saturating_add(h * 3600) <= now && last_sent_hours.is_none_or(|last| *h > last))
        .collect()
}

string_enum! {
    /// A notice to Datatilsynet may come in stages (Normen 5.8.1).
    NoticeStage {
        Initial = "initial",
        FollowUp = "follow_up",
        Final = "final",
    }
}

/// The content of a notice to Datatilsynet (Normen 5.8.1, GDPR art. 33(3)).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorityNotice {
    pub stage: Option<NoticeStage>,
    /// The breach, in words.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub data_subject_categories: String,
    #[serde(default)]
    pub approx_data_subjects: Option<u64>,
    #[serde(default)]
    pub personal_data_types: String,
    #[serde(default)]
    pub approx_records: Option<u64>,
    /// The DPO's or another contact's name and details.
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub likely_consequences: String,
    #[serde(default)]
    pub measures: String,
    /// When the notice was sent in Datatilsynet's form (Unix seconds).
    pub sent_at: i64,
    /// Required when sent after the deadline.
    #[serde(default)]
    pub delay_reason: String,
}

impl AuthorityNotice {
    /// Whether this notice completes the notification: its stage is final, or it is the only
    /// one and holds everything.
    pub fn is_complete(&self) -> bool {
        self.stage == Some(NoticeStage::Final)
    }
}

/// Checks a notice: every stage describes the breach and names a contact; the final stage holds
/// all the content Datatilsynet requires; a notice sent after the deadline says why; nothing
/// is sent before awareness or in the future.
pub fn check_notice(n: &AuthorityNotice, aware_at: i64, now: i64) -> Vec<Problem> {
    let mut p = Vec::new();
    if n.stage.is_none() {
        problem(&mut p, "stage", ProblemKey::StageChoose, "choose initial, follow_up or final");
    }
    text(&mut p, "description", &n.description, true, MAX_LONG);
    text(&mut p, "contact", &n.contact, true, MAX_SHORT * 2);
    let last = n.stage == Some(NoticeStage::Final);
    text(&mut p, "data_subject_categories", &n.data_subject_categories, last, MAX_LONG);
    text(&mut p, "personal_data_types", &n.personal_data_types, last, MAX_LONG);
    text(&mut p, "likely_consequences", &n.likely_consequences, last, MAX_LONG);
    text(&mut p, "measures", &n.measures, last, MAX_LONG);
    if last && n.approx_data_subjects.is_none() {
        problem(&mut p, "approx_data_subjects", ProblemKey::ApproxNumber, "required: an approximate number");
    }
    if last && n.approx_records.is_none() {
        problem(&mut p, "approx_records", ProblemKey::ApproxNumber, "required: an approximate number");
    }
    if n.sent_at > now + CLOCK_SKEW_S {
        problem(&mut p, "sent_at", ProblemKey::InFuture, "is in the future");
    }
    if n.sent_at < aware_at {
        problem(
            &mut p,
            "sent_at",
            ProblemKey::SentBeforeAware,
            "is before the organisation became aware of the breach",
        );
    }
    if n.sent_at > notification_deadline(aware_at) {
        text(&mut p, "delay_reason", &n.delay_reason, true, MAX_LONG);
        if n.delay_reason.trim().is_empty() {
            p.retain(|x| x.field != "delay_reason");
            problem(
                &mut p,
                "delay_reason",
                ProblemKey::DelayReason,
                "the notice is later than 72 hours after awareness: give the reason for the delay",
            );
        }
    } else {
        text(&mut p, "delay_reason", &n.delay_reason, false, MAX_LONG);
    }
    p
}

string_enum! {
    /// Why data subjects need not be notified (Normen 5.8.2): the data were made unintelligible
    /// (e.g. encrypted); measures taken since make harm unlikely; notifying each would take
    /// disproportionate effort (then a public notice instead).
    SubjectExemption {
        Unintelligible = "unintelligible",
        SubsequentMeasures = "subsequent_measures",
        DisproportionateEffort = "disproportionate_effort",
    }
}

/// The decision on notifying data subjects, and the notice when one is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectDecision {
    /// Notify the data subjects (true), or an exemption applies.
    pub notify: bool,
    #[serde(default)]
    pub exemption: Option<SubjectExemption>,
    #[serde(default)]
    pub justification: String,
    /// The notice in plain language: the breach, a contact, the consequences, the measures.
    #[serde(default)]
    pub notice_text: String,
    /// How it was sent (letter, helsenorge.no, public notice …) and when.
    #[serde(default)]
    pub sent_how: String,
    #[serde(default)]
    pub sent_at: Option<i64>,
}

pub fn check_subject_decision(d: &SubjectDecision, now: i64) -> Vec<Problem> {
    let mut p = Vec::new();
    if d.notify {
        if d.exemption.is_some() {
            problem(
                &mut p,
                "exemption",
                ProblemKey::ExemptionWithNotice,
                "no exemption when the data subjects are notified",
            );
        }
        text(&mut p, "notice_text", &d.notice_text, true, MAX_LONG);
    } else {
        if d.exemption.is_none() {
            problem(&mut p, "exemption", ProblemKey::ExemptionChoose, "say which exemption applies");
        }
        text(&mut p, "justification", &d.justification, true, MAX_LONG);
        if d.exemption == Some(SubjectExemption::DisproportionateEffort) {
            text(&mut p, "notice_text", &d.notice_text, true, MAX_LONG);
        }
    }
    text(&mut p, "sent_how", &d.sent_how, d.sent_at.is_some(), MAX_SHORT);
    if d.sent_at.is_some_and(|t| t > now + CLOCK_SKEW_S) {
        problem(&mut p, "sent_at", ProblemKey::InFuture, "is in the future");
    }
    p
}

/// A first draft of the notice to data subjects, in plain Norwegian, from what is known.
pub fn draft_subject_notice(
    org_name: &str,
    description: &str,
    consequences: &str,
    measures: &str,
    contact: &str,
) -> String {
    format!(
        "Melding om brudd på personopplysningssikkerheten\n\n\
         {org_name} har oppdaget et brudd på sikkerheten som gjelder opplysninger om deg.\n\n\
         Hva har skjedd: {description}\n\n\
         Mulige konsekvenser for deg: {consequences}\n\n\
         Hva vi har gjort og vil gjøre: {measures}\n\n\
         Har du spørsmål, kontakt {contact}."
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reminders_go_to_those_answerable_for_the_notice() {
        use crate::org::Role;
        for (roles, expected) in [
            (&[Role::SecurityLead][..], true),
            (&[Role::Dpo], true),
            (&[Role::TopManagement], true),
            (&[Role::Auditor], false),
            (&[Role::Admin, Role::Manager, Role::Employee], false),
        ] {
            assert_eq!(reminded(roles), expected, "{roles:?}");
            // Everyone reminded sees every deviation.
            if expected {
                assert_eq!(reach(roles), Reach::All);
            }
        }
    }

    fn ts(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().unwrap().as_second()
    }

    fn facts(state: State) -> Facts {
        Facts { state, notice_required: false, notice_recorded: false, subject_decision_recorded: false }
    }

    #[test]
    fn the_deadline_is_72_hours_in_utc_across_daylight_saving() {
        // Aware on Friday 27 March 2026 at 10:00 in Oslo (CET, UTC+1); summer time starts on
        // Sunday 29 March. 72 hours later is Monday 30 March at 11:00 Oslo time (CEST, UTC+2).
        let aware = ts("2026-03-27T09:00:00Z");
        let deadline = notification_deadline(aware);
        assert_eq!(deadline - aware, 72 * 3600);
        let oslo = jiff::tz::TimeZone::get("Europe/Oslo").unwrap();
        let local = jiff::Timestamp::from_second(deadline).unwrap().to_zoned(oslo.clone());
        assert_eq!(local.strftime("%Y-%m-%d %H:%M %Z").to_string(), "2026-03-30 11:00 CEST");
        // And in autumn: aware Friday 23 October 2026 10:00 CEST; winter time from Sunday 25.
        let aware = ts("2026-10-23T08:00:00Z");
        let local = jiff::Timestamp::from_second(notification_deadline(aware)).unwrap().to_zoned(oslo);
        assert_eq!(local.strftime("%Y-%m-%d %H:%M %Z").to_string(), "2026-10-26 09:00 CET");
    }

    #[test]
    fn reports_with_impossible_times_are_refused() {
        let now = ts("2026-11-24T12:00:00Z");
        let mut d = NewDeviation {
            title: "Journal sendt til feil mottaker".into(),
            description: "Epikrise sendt til feil fastlege.".into(),
            occurred_at: now - 3600,
            aware_at: now - 60,
            unit_id: None,
            system: Some("DIPS".into()),
            category: Category::MisdirectedInformation,
            patients_concerned: true,
            immediate_actions: String::new(),
            patient_id: None,
        };
        assert!(accept_report(&mut d, now).is_empty());
        d.occurred_at = now + 3600;
        d.aware_at = now + 7200;
        let fields: Vec<&str> = accept_report(&mut d, now).iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["occurred_at", "aware_at"]);
        d.occurred_at = now - 60;
        d.aware_at = now - 3600;
        assert_eq!(accept_report(&mut d, now)[0].message, "is before the deviation occurred");
        d.title = " ".into();
        assert!(accept_report(&mut d, now).iter().any(|p| p.field == "title"));
    }

    #[test]
    fn a_reports_patient_is_checked_and_in_the_logs_form() {
        let now = ts("2026-11-24T12:00:00Z");
        let fnr = fnr::tenor(7);
        let mut d = NewDeviation {
            title: "Feil pasient".into(),
            description: "Prøvesvar lagt i feil journal.".into(),
            occurred_at: now - 3600,
            aware_at: now - 60,
            unit_id: None,
            system: None,
            category: Category::Other,
            patients_concerned: false,
            immediate_actions: String::new(),
            patient_id: Some(format!(" {fnr} ")),
        };
        assert!(accept_report(&mut d, now).is_empty());
        assert_eq!(d.patient_id, identifier("p", &format!("fnr:{fnr}"), Whose::Patient).ok());
        assert!(d.patients_concerned, "a report naming a patient concerns patients");
        d.patient_id = Some("  ".into());
        assert!(accept_report(&mut d, now).is_empty());
        assert_eq!(d.patient_id, None);
        for wrong in ["12345678901", "fnr:Apatient0", "epj:1"] {
            d.patient_id = Some(wrong.into());
            let problems = accept_report(&mut d, now);
            assert_eq!(problems.len(), 1, "{wrong}");
            assert_eq!(problems[0].field, "patient_id");
        }
    }

    #[test]
    fn steps_go_in_order_with_their_fields() {
        let today = "2026-11-24";
        let gather = Step::FactsGathered { timeline: "08:00 sendt, 09:00 oppdaget".into() };
        assert!(check_step(facts(State::Reported), &gather, today).is_empty());
        let close = Step::Closed { conclusion: "ok".into() };
        let p = check_step(facts(State::Reported), &close, today);
        assert_eq!(p[0].message, "the deviation is reported; the next step is facts_gathered, not closed");
        let empty = Step::FactsGathered { timeline: "  ".into() };
        assert_eq!(check_step(facts(State::Reported), &empty, today)[0].field, "timeline");
        let measures = Step::MeasuresProposed {
            measures: vec![MeasureIn {
                description: "Opplæring".into(),
                owner: "Kari".into(),
                deadline: "2026-11-01".into(),
            }],
            alternatives: String::new(),
            plan: "Kurs i desember".into(),
        };
        let p = check_step(facts(State::Assessed), &measures, today);
        assert_eq!(p[0].message, "the deadline 2026-11-01 has passed");
        assert_eq!(check_step(facts(State::Closed), &gather, today)[0].message, "the deviation is closed");
        // A breach that must be notified cannot close without the notice and the decision on
        // data subjects.
        let mut f = facts(State::Implemented);
        f.notice_required = true;
        assert_eq!(check_step(f, &close, today).len(), 2);
        f.notice_recorded = true;
        f.subject_decision_recorded = true;
        assert!(check_step(f, &close, today).is_empty());
        // Every state but the last has a next one, in order.
        assert_eq!(State::Reported.next(), Some(State::FactsGathered));
        assert_eq!(State::Closed.next(), None);
    }

    #[test]
    fn notices_need_their_content_and_a_late_one_its_reason() {
        let aware = ts("2026-11-20T08:00:00Z");
        let now = ts("2026-11-24T12:00:00Z");
        let mut n = AuthorityNotice {
            stage: Some(NoticeStage::Initial),
            description: "Epikrise sendt til feil mottaker".into(),
            contact: "Personvernombud Per, 22 11 22 11".into(),
            sent_at: aware + 3600,
            ..AuthorityNotice::default()
        };
        assert!(check_notice(&n, aware, now).is_empty(), "{:?}", check_notice(&n, aware, now));
        n.stage = Some(NoticeStage::Final);
        let fields: Vec<&str> = check_notice(&n, aware, now).iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            vec![
                "data_subject_categories",
                "personal_data_types",
                "likely_consequences",
                "measures",
                "approx_data_subjects",
                "approx_records"
            ]
        );
        n.stage = Some(NoticeStage::Initial);
        n.sent_at = notification_deadline(aware) + 1;
        assert_eq!(check_notice(&n, aware, now)[0].field, "delay_reason");
        n.delay_reason = "Oppdaget i helgen, ansvarlig var syk".into();
        assert!(check_notice(&n, aware, now).is_empty());
        n.sent_at = aware - 1;
        assert_eq!(check_notice(&n, aware, now)[0].field, "sent_at");
    }

    #[test]
    fn who_sees_and_who_handles() {
        assert_eq!(reach(&[Role::Employee]), Reach::Own);
        assert_eq!(reach(&[Role::Admin]), Reach::Own, "administering accounts is not reading deviations");
        assert_eq!(reach(&[Role::Manager]), Reach::UnitsAndOwn);
        assert_eq!(reach(&[Role::Auditor]), Reach::All);
        assert!(!may_handle(&[Role::Auditor], true), "auditors read only");
        assert!(may_handle(&[Role::Manager], true) && !may_handle(&[Role::Manager], false));
        assert!(may_handle(&[Role::Dpo], false) && !may_adopt(&[Role::Dpo], false));
        assert!(may_adopt(&[Role::SecurityLead], false));
    }

    #[test]
    fn repeated_deviations_by_category_or_system() {
        let cats = [("lost_equipment".to_string(), 3), ("other".to_string(), 2)];
        let systems = [("DIPS".to_string(), 4), ("".to_string(), 9)];
        let r = repeated(&cats, &systems, 3);
        assert_eq!(
            r.iter().map(|x| (x.by, x.value.as_str(), x.count)).collect::<Vec<_>>(),
            vec![("system", "DIPS", 4), ("category", "lost_equipment", 3)]
        );
        assert!(repeated(&cats, &systems, 5).is_empty());
    }

    #[test]
    fn a_breach_of_confidentiality_means_at_least_a_written_warning() {
        let p = check_reaction(Category::Confidentiality, "Ola", Reaction::Warning, "");
        assert_eq!(p[0].field, "reaction");
        assert!(check_reaction(Category::Confidentiality, "Ola", Reaction::WrittenWarning, "").is_empty());
        assert!(check_reaction(Category::EmailSms, "Ola", Reaction::Guidance, "").is_empty());
        assert_eq!(check_reaction(Category::Other, " ", Reaction::Guidance, "")[0].field, "person");
        assert!(may_see_reactions(&[Role::TopManagement]) && !may_see_reactions(&[Role::Dpo, Role::Auditor]));
    }

    #[test]
    fn reminders_at_24_48_and_66_hours() {
        let aware = 1_000_000;
        assert!(due_reminders(aware, aware + 23 * 3600, None).is_empty());
        assert_eq!(due_reminders(aware, aware + 49 * 3600, None), vec![24, 48]);
        assert_eq!(due_reminders(aware, aware + 67 * 3600, Some(48)), vec![66]);
        assert!(notice_required(true, true) && !notice_required(true, false) && !notice_required(false, true));
    }

    #[test]
    fn the_subject_decision_names_an_exemption_or_a_notice() {
        let mut d = SubjectDecision { notify: false, ..SubjectDecision::default() };
        let fields: Vec<&str> = check_subject_decision(&d, 0).iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["exemption", "justification"]);
        d.exemption = Some(SubjectExemption::DisproportionateEffort);
        d.justification = "20 000 berørte".into();
        assert_eq!(check_subject_decision(&d, 0)[0].field, "notice_text", "a public notice instead");
        d = SubjectDecision { notify: true, notice_text: draft_subject_notice("HF", "a", "b", "c", "d"), ..d };
        d.exemption = None;
        assert!(check_subject_decision(&d, 0).is_empty());
    }
}
