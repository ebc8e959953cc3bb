//! `/deviations`: report a deviation in a minute (on a phone too), follow it from report to
//! closure, and never miss the 72-hour clock. Every read of a deviation is recorded.

use super::{parse_time_input, render, render_status, Page};
use crate::auth::Member;
use crate::error::PageError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use normverk_app::deviation::{self as deviations, Actor, DeviationError};
use normverk_core::deviation::{
    self as rules, AuthorityNotice, Category, DeviationKind, MeasureIn, NewDeviation, NoticeStage, Problem, Severity,
    State as DevState, Step, SubjectDecision, SubjectExemption,
};
use normverk_core::org::Action;
use normverk_store::deviation::{Deviation, Measure, NoticeRecord, ReadRecord, StepRecord};
use normverk_store::org::Unit;
use normverk_store::StoreError;
use std::collections::HashMap;
use std::str::FromStr;

const PAGE_SIZE: i64 = 50;

/// Submitted form fields, kept to fill the form again when something was wrong.
#[derive(Default)]
pub struct Entered(HashMap<String, String>);

impl Entered {
    fn from(fields: &[(String, String)]) -> Entered {
        Entered(fields.iter().cloned().collect())
    }

    pub fn get(&self, key: &str) -> &str {
        self.0.get(key).map_or("", String::as_str)
    }

    pub fn is(&self, key: &str, value: &str) -> bool {
        self.get(key) == value
    }
}

/// Problems by field, for the templates.
#[derive(Default)]
pub struct Problems(Vec<Problem>);

impl Problems {
    pub fn get(&self, field: &str) -> Option<String> {
        let found: Vec<&str> = self.0.iter().filter(|p| p.field == field).map(|p| p.message.as_str()).collect();
        (!found.is_empty()).then(|| found.join("; "))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn all(&self) -> &[Problem] {
        &self.0
    }
}

/// The breach clock as shown: the deadline, and how long is left (negative when passed).
pub struct Clock {
    pub deadline: i64,
    pub left_s: i64,
}

impl Clock {
    fn of(d: &Deviation, now: i64) -> Option<Clock> {
        (d.notice_required && d.notice_complete_at.is_none()).then(|| {
            let deadline = rules::notification_deadline(d.aware_at);
            Clock { deadline, left_s: deadline - now }
        })
    }

    pub fn passed(&self) -> bool {
        self.left_s < 0
    }

    /// "41 t 12 min".
    pub fn left(&self) -> String {
        let s = self.left_s.abs();
        format!("{} t {:02} min", s / 3600, (s % 3600) / 60)
    }

    /// The reminder level: 0 before 24 hours, 1 after 24, 2 after 48, 3 after 66, 4 when passed.
    pub fn level(&self) -> usize {
        let elapsed = rules::NOTIFICATION_WINDOW_S - self.left_s;
        rules::REMINDER_HOURS.iter().filter(|h| elapsed >= *h * 3600).count() + usize::from(self.passed())
    }
}

pub struct Row {
    pub d: Deviation,
    pub clock: Option<Clock>,
}

/// Breaches whose notice is still due, with their clocks, for the dashboard.
pub async fn open_breaches(state: &AppState, org_id: i64) -> Result<Vec<Row>, PageError> {
    let now = state.app.clock.now();
    Ok(state.store.open_breaches(org_id).await?.into_iter().map(|d| Row { clock: Clock::of(&d, now), d }).collect())
}

#[derive(Template)]
#[template(path = "deviations.html")]
struct ListPage<'a> {
    page: &'a Page,
    rows: Vec<Row>,
    all: bool,
    page_no: usize,
    more: bool,
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    axum::extract::Query(q): axum::extract::Query<super::PageQuery>,
) -> Result<Response, PageError> {
    member.require(Action::ReportDeviation)?;
    let page_no = q.number();
    let visible = deviations::visible(member.viewer.user.id, &member.roles);
    let now = state.app.clock.now();
    // One more than a page tells whether there is a next page.
    let mut found =
        state.store.deviations(member.org.id, &visible, PAGE_SIZE + 1, (page_no as i64 - 1) * PAGE_SIZE).await?;
    let more = found.len() as i64 > PAGE_SIZE;
    found.truncate(PAGE_SIZE as usize);
    let rows = found.into_iter().map(|d| Row { clock: Clock::of(&d, now), d }).collect();
    render(&ListPage { page: &page, rows, all: member.may(Action::ReadAllDeviations), page_no, more })
}

#[derive(Template)]
#[template(path = "deviation_new.html")]
struct NewPage<'a> {
    page: &'a Page,
    units: Vec<Unit>,
    entered: Entered,
    problems: Problems,
    categories: &'static [Category],
}

fn now_input(now: i64) -> String {
    let tz = jiff::tz::TimeZone::get("Europe/Oslo").unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_second(now).map(|t| t.to_zoned(tz).strftime("%Y-%m-%dT%H:%M").to_string()).unwrap_or_default()
}

pub async fn new(State(state): State<AppState>, page: Page, member: Member) -> Result<Response, PageError> {
    member.require(Action::ReportDeviation)?;
    let units = state.store.units(member.org.id).await?;
    let now = now_input(state.app.clock.now());
    let entered = Entered(HashMap::from([("occurred_at".to_string(), now.clone()), ("aware_at".to_string(), now)]));
    render(&NewPage { page: &page, units, entered, problems: Problems::default(), categories: Category::ALL })
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    member.require(Action::ReportDeviation)?;
    let entered = Entered::from(&fields);
    let now = state.app.clock.now();
    let mut problems = Vec::new();
    let mut time = |field: &'static str| {
        parse_time_input(entered.get(field)).unwrap_or_else(|| {
            problems.push(Problem { field, message: "not a date and time".into() });
            0
        })
    };
    let (occurred_at, aware_at) = (time("occurred_at"), time("aware_at"));
    let category = Category::from_str(entered.get("category")).map_err(|_| {
        problems.push(Problem { field: "category", message: "choose a category".into() });
    });
    let patients = match entered.get("patients_concerned") {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    if patients.is_none() {
        problems.push(Problem { field: "patients_concerned", message: "answer yes or no".into() });
    }
    let unit_id = entered.get("unit_id").parse::<i64>().ok();
    let report = NewDeviation {
        title: entered.get("title").to_string(),
        description: entered.get("description").to_string(),
        occurred_at,
        aware_at,
        unit_id,
        system: Some(entered.get("system").to_string()),
        category: category.unwrap_or(Category::Other),
        patients_concerned: patients.unwrap_or(false),
        immediate_actions: entered.get("immediate_actions").to_string(),
    };
    if problems.is_empty() {
        problems = rules::check_report(&report, now);
    }
    let created = if problems.is_empty() {
        match state.app.deviation.create(member.org.id, Some(member.viewer.user.id), &report).await {
            Ok(d) => Some(d),
            Err(DeviationError::Invalid(p)) => {
                problems = p;
                None
            }
            Err(other) => return Err(page_error(other)),
        }
    } else {
        None
    };
    match created {
        Some(d) => {
            tracing::info!(org_id = member.org.id, deviation = d.id, by = member.viewer.user.id, "deviation reported");
            Ok(Redirect::to(&format!("/deviations/{}", d.id)).into_response())
        }
        None => {
            let units = state.store.units(member.org.id).await?;
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &NewPage { page: &page, units, entered, problems: Problems(problems), categories: Category::ALL },
            )
        }
    }
}

fn page_error(e: DeviationError) -> PageError {
    match e {
        DeviationError::NotFound => PageError::NotFound,
        DeviationError::Forbidden(_) => PageError::Forbidden,
        DeviationError::Invalid(p) => PageError::Internal(format!("{p:?}")),
        DeviationError::Conflict(m) => PageError::Internal(m),
        DeviationError::Store(e) => e.into(),
    }
}

/// A step as the timeline shows it.
pub struct Taken {
    pub record: StepRecord,
    /// The step's fields, labelled, in the order written.
    pub fields: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "deviation.html")]
struct ShowPage<'a> {
    page: &'a Page,
    d: Deviation,
    unit: Option<String>,
    reporter: Option<String>,
    states: &'static [DevState],
    current: DevState,
    next: Option<DevState>,
    clock: Option<Clock>,
    steps: Vec<Taken>,
    measures: Vec<Measure>,
    measure_statuses: &'static [rules::MeasureStatus],
    notices: Vec<(NoticeRecord, AuthorityNotice)>,
    subjects: Option<SubjectDecision>,
    reads: Vec<ReadRecord>,
    /// Personnel reactions, for the security lead and top management only.
    reactions: Option<Vec<normverk_store::deviation::ReactionRecord>>,
    reaction_kinds: &'static [rules::Reaction],
    may_handle: bool,
    may_adopt: bool,
    show_reads: bool,
    /// Which form the problems and entered values belong to: "step", "notice", "subjects".
    form: &'static str,
    entered: Entered,
    problems: Problems,
    kinds: &'static [DeviationKind],
    severities: &'static [Severity],
    stages: &'static [NoticeStage],
    exemptions: &'static [SubjectExemption],
    notice_default: AuthorityNotice,
    subject_draft: String,
    now_input: String,
    /// The controllers this processor's deviation went to.
    sent_to: Vec<normverk_store::deviation::Forward>,
    /// The processor that reported this deviation, when one did.
    received_from: Option<normverk_store::deviation::Forward>,
    /// The controllers in normverk that take deviations from this organisation, (id, name),
    /// for those who handle it.
    controllers: Vec<(i64, String)>,
}

impl ShowPage<'_> {
    /// A value for a field of `form`: what was entered, or `default`.
    pub fn value<'b>(&'b self, form: &str, key: &str, default: &'b str) -> &'b str {
        if self.form == form && self.entered.0.contains_key(key) {
            self.entered.get(key)
        } else {
            default
        }
    }

    pub fn error(&self, form: &str, field: &str) -> Option<String> {
        (self.form == form).then(|| self.problems.get(field)).flatten()
    }
}

fn labelled(fields_json: &str) -> Vec<(String, String)> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(fields_json) else {
        return Vec::new();
    };
    map.into_iter()
        .filter(|(k, _)| k != "to")
        .map(|(k, v)| {
            let shown = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Bool(b) => (if b { "ja" } else { "nei" }).to_string(),
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|m| {
                        format!(
                            "{} ({}, {})",
                            m["description"].as_str().unwrap_or(""),
                            m["owner"].as_str().unwrap_or(""),
                            m["deadline"].as_str().unwrap_or("")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                other => other.to_string(),
            };
            (k, shown)
        })
        .collect()
}

async fn show_page(
    state: &AppState,
    page: &Page,
    member: &Member,
    d: Deviation,
    form: &'static str,
    entered: Entered,
    problems: Vec<Problem>,
) -> Result<Response, PageError> {
    let org_id = member.org.id;
    let actor = Actor::Person { user_id: member.viewer.user.id, roles: &member.roles };
    let (may_handle, may_adopt) = state.app.deviation.powers(&d, &actor).await?;
    let now = state.app.clock.now();
    let unit = match d.unit_id {
        Some(u) => state.store.unit(org_id, u).await.ok().map(|u| u.name),
        None => None,
    };
    let reporter = match d.reporter_id {
        // The reporter may have left the organisation since; their name stays on the report.
        Some(u) => state.store.user(u).await.ok().map(|u| u.display_name),
        None => None,
    };
    let steps = state
        .store
        .deviation_steps(org_id, d.id)
        .await?
        .into_iter()
        .map(|r| Taken { fields: labelled(&r.fields), record: r })
        .collect();
    let measures = state.store.deviation_measures(org_id, d.id).await?;
    let notices: Vec<(NoticeRecord, AuthorityNotice)> = state
        .store
        .deviation_notices(org_id, d.id)
        .await?
        .into_iter()
        .map(|n| {
            let content = serde_json::from_str(&n.content).unwrap_or_default();
            (n, content)
        })
        .collect();
    let subjects = d.subject_decision.as_deref().and_then(|s| serde_json::from_str(s).ok());
    let show_reads = member.roles.contains(&normverk_core::org::Role::SecurityLead);
    let reads = if show_reads { state.store.deviation_reads(org_id, d.id).await? } else { Vec::new() };
    let reactions = if rules::may_see_reactions(&member.roles) {
        Some(state.store.deviation_reactions(org_id, d.id).await?)
    } else {
        None
    };
    // A later stage starts from what the last notice said.
    let notice_default = notices
        .last()
        .map(|(_, n)| n.clone())
        .unwrap_or_else(|| AuthorityNotice { description: d.description.clone(), ..AuthorityNotice::default() });
    let subject_draft = rules::draft_subject_notice(
        &member.org.name,
        &notice_default.description,
        &notice_default.likely_consequences,
        &notice_default.measures,
        &notice_default.contact,
    );
    let current = deviations::state_of(&d);
    let sent_to = state.store.deviation_sent_to(org_id, d.id).await?;
    let received_from = state.store.deviation_received_from(org_id, d.id).await?;
    let controllers = if may_handle { state.store.controllers_of(&member.org.org_number).await? } else { Vec::new() };
    let status = if problems.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(
        status,
        &ShowPage {
            page,
            sent_to,
            received_from,
            controllers,
            clock: Clock::of(&d, now),
            unit,
            reporter,
            states: DevState::ALL,
            current,
            next: current.next(),
            steps,
            measures,
            measure_statuses: rules::MeasureStatus::ALL,
            notices,
            subjects,
            reads,
            reactions,
            reaction_kinds: rules::Reaction::ALL,
            may_handle,
            may_adopt,
            show_reads,
            form,
            entered,
            problems: Problems(problems),
            kinds: DeviationKind::ALL,
            severities: Severity::ALL,
            stages: NoticeStage::ALL,
            exemptions: SubjectExemption::ALL,
            notice_default,
            subject_draft,
            now_input: now_input(now),
            d,
        },
    )
}

/// Loads a deviation the member may see, recording the read.
async fn load_read(state: &AppState, member: &Member, id: i64) -> Result<Deviation, PageError> {
    let actor = Actor::Person { user_id: member.viewer.user.id, roles: &member.roles };
    let d = state.app.deviation.load(member.org.id, id, &actor).await.map_err(page_error)?;
    state.store.record_deviation_read(member.org.id, id, Some(member.viewer.user.id), state.app.clock.now()).await?;
    Ok(d)
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let d = load_read(&state, &member, id).await?;
    show_page(&state, &page, &member, d, "", Entered::default(), Vec::new()).await
}

fn yes_no(entered: &Entered, key: &'static str, problems: &mut Vec<Problem>) -> bool {
    match entered.get(key) {
        "yes" => true,
        "no" => false,
        _ => {
            problems.push(Problem { field: key, message: "answer yes or no".into() });
            false
        }
    }
}

/// The step a form describes, or what is wrong with the form itself.
fn step_from(entered: &Entered) -> Result<Step, Vec<Problem>> {
    let mut p = Vec::new();
    let text = |k: &str| entered.get(k).to_string();
    let step = match entered.get("to") {
        "facts_gathered" => Step::FactsGathered { timeline: text("timeline") },
        "assessed" => {
            let kind = DeviationKind::from_str(entered.get("kind"));
            let severity = Severity::from_str(entered.get("severity"));
            if kind.is_err() {
                p.push(Problem { field: "kind", message: "choose the kind".into() });
            }
            if severity.is_err() {
                p.push(Problem { field: "severity", message: "choose the severity".into() });
            }
            let personal_data_breach = yes_no(entered, "personal_data_breach", &mut p);
            let consequences = yes_no(entered, "consequences_for_data_subjects", &mut p);
            Step::Assessed {
                kind: kind.unwrap_or(DeviationKind::SecurityBreach),
                confidentiality: entered.is("confidentiality", "on"),
                integrity: entered.is("integrity", "on"),
                availability: entered.is("availability", "on"),
                personal_data_breach,
                consequences_for_data_subjects: consequences,
                severity: severity.unwrap_or(Severity::Low),
                assessment: text("assessment"),
            }
        }
        "measures_proposed" => {
            let measures = entered
                .get("measures")
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    let mut parts = l.split(';').map(str::trim);
                    MeasureIn {
                        description: parts.next().unwrap_or_default().to_string(),
                        owner: parts.next().unwrap_or_default().to_string(),
                        deadline: parts.next().unwrap_or_default().to_string(),
                    }
                })
                .collect();
            Step::MeasuresProposed { measures, alternatives: text("alternatives"), plan: text("plan") }
        }
        "measures_adopted" => Step::MeasuresAdopted { decision: text("decision") },
        "implemented" => Step::Implemented { status_report: text("status_report") },
        "closed" => Step::Closed { conclusion: text("conclusion") },
        _ => return Err(vec![Problem { field: "to", message: "unknown step".into() }]),
    };
    if p.is_empty() {
        Ok(step)
    } else {
        Err(p)
    }
}

/// Runs an action that may be refused; a refusal shows the page again with the problems.
async fn act(
    state: &AppState,
    page: &Page,
    member: &Member,
    d: Deviation,
    form: &'static str,
    entered: Entered,
    result: Result<(), DeviationError>,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/deviations/{}", d.id)).into_response()),
        Err(DeviationError::Invalid(problems)) => show_page(state, page, member, d, form, entered, problems).await,
        Err(DeviationError::Conflict(m)) => {
            show_page(state, page, member, d, form, entered, vec![Problem { field: "to", message: m }]).await
        }
        Err(e) => Err(page_error(e)),
    }
}

pub async fn step(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let d = load_read(&state, &member, id).await?;
    let entered = Entered::from(&fields);
    let actor = Actor::Person { user_id: member.viewer.user.id, roles: &member.roles };
    let result = match step_from(&entered) {
        Ok(step) => state.app.deviation.take_step(&d, &step, &actor).await,
        Err(p) => {
            // Still refuse people who may not act at all, before saying what is missing.
            if !state.app.deviation.powers(&d, &actor).await?.0 {
                return Err(PageError::Forbidden);
            }
            Err(DeviationError::Invalid(p))
        }
    };
    act(&state, &page, &member, d, "step", entered, result).await
}

fn number(entered: &Entered, key: &'static str, p: &mut Vec<Problem>) -> Option<u64> {
    let v = entered.get(key).trim();
    if v.is_empty() {
        return None;
    }
    v.parse().map_err(|_| p.push(Problem { field: key, message: "a whole number".into() })).ok()
}

pub async fn notice(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let d = load_read(&state, &member, id).await?;
    let entered = Entered::from(&fields);
    let mut p = Vec::new();
    let sent_at = parse_time_input(entered.get("sent_at"));
    if sent_at.is_none() {
        p.push(Problem { field: "sent_at", message: "not a date and time".into() });
    }
    let notice = AuthorityNotice {
        stage: NoticeStage::from_str(entered.get("stage")).ok(),
        description: entered.get("description").to_string(),
        data_subject_categories: entered.get("data_subject_categories").to_string(),
        approx_data_subjects: number(&entered, "approx_data_subjects", &mut p),
        personal_data_types: entered.get("personal_data_types").to_string(),
        approx_records: number(&entered, "approx_records", &mut p),
        contact: entered.get("contact").to_string(),
        likely_consequences: entered.get("likely_consequences").to_string(),
        measures: entered.get("measures").to_string(),
        sent_at: sent_at.unwrap_or(0),
        delay_reason: entered.get("delay_reason").to_string(),
    };
    let actor = Actor::Person { user_id: member.viewer.user.id, roles: &member.roles };
    let result = if p.is_empty() {
        state.app.deviation.record_notice(&d, &notice, &actor).await
    } else {
        Err(DeviationError::Invalid(p))
    };
    act(&state, &page, &member, d, "notice", entered, result).await
}

pub async fn subjects(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let d = load_read(&state, &member, id).await?;
    let entered = Entered::from(&fields);
    let mut p = Vec::new();
    let notify = yes_no(&entered, "notify", &mut p);
    let sent_at = match entered.get("subjects_sent_at").trim() {
        "" => None,
        s => parse_time_input(s).or_else(|| {
            p.push(Problem { field: "sent_at", message: "not a date and time".into() });
            None
        }),
    };
    let decision = SubjectDecision {
        notify,
        exemption: SubjectExemption::from_str(entered.get("exemption")).ok(),
        justification: entered.get("justification").to_string(),
        notice_text: entered.get("notice_text").to_string(),
        sent_how: entered.get("sent_how").to_string(),
        sent_at,
    };
    let actor = Actor::Person { user_id: member.viewer.user.id, roles: &member.roles };
    let result = if p.is_empty() {
        state.app.deviation.record_subject_decision(&d, &decision, &actor).await
    } else {
        Err(DeviationError::Invalid(p))
    };
    act(&state, &page, &member, d, "subjects", entered, result).await
}

/// Moves a measure on: planned, in progress, done.
pub async fn measure(
    State(state): State<AppState>,
    member: Member,
    Path((id, measure_id)): Path<(i64, i64)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let d = load_read(&state, &member, id).await?;
    let actor = Actor::Person { user_id: member.viewer.user.id, roles: &member.roles };
    if !state.app.deviation.powers(&d, &actor).await?.0 {
        return Err(PageError::Forbidden);
    }
    let entered = Entered::from(&fields);
    let Ok(status) = rules::MeasureStatus::from_str(entered.get("status")) else {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, "status: planned, in_progress or done").into_response());
    };
    state.store.set_measure_status(member.org.id, d.id, measure_id, status.as_str(), state.app.clock.now()).await?;
    Ok(Redirect::to(&format!("/deviations/{id}")).into_response())
}

/// Records a personnel reaction (security lead and top management only).
pub async fn reaction(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let d = load_read(&state, &member, id).await?;
    if !rules::may_see_reactions(&member.roles) {
        return Err(PageError::Forbidden);
    }
    let entered = Entered::from(&fields);
    let category = Category::from_str(&d.category).unwrap_or(Category::Other);
    let result = match rules::Reaction::from_str(entered.get("reaction")) {
        Err(_) => {
            Err(DeviationError::Invalid(vec![Problem { field: "reaction", message: "choose a reaction".into() }]))
        }
        Ok(kind) => {
            let problems = rules::check_reaction(category, entered.get("person"), kind, entered.get("note"));
            if problems.is_empty() {
                state
                    .store
                    .add_deviation_reaction(
                        member.org.id,
                        d.id,
                        entered.get("person").trim(),
                        kind.as_str(),
                        entered.get("note").trim(),
                        Some(member.viewer.user.id),
                        state.app.clock.now(),
                    )
                    .await
                    .map_err(DeviationError::from)
            } else {
                Err(DeviationError::Invalid(problems))
            }
        }
    };
    act(&state, &page, &member, d, "reaction", entered, result).await
}

#[derive(Template)]
#[template(path = "deviation_notice.html")]
struct NoticePrint<'a> {
    page: &'a Page,
    org_name: String,
    org_number: String,
    d: Deviation,
    deadline: i64,
    notices: Vec<(NoticeRecord, AuthorityNotice)>,
}

async fn notices_of(
    state: &AppState,
    member: &Member,
    id: i64,
) -> Result<(Deviation, Vec<(NoticeRecord, AuthorityNotice)>), PageError> {
    let d = load_read(state, member, id).await?;
    let notices = state
        .store
        .deviation_notices(member.org.id, id)
        .await?
        .into_iter()
        .map(|n| {
            let c = serde_json::from_str(&n.content).unwrap_or_default();
            (n, c)
        })
        .collect();
    Ok((d, notices))
}

/// The notices to Datatilsynet as a printable page, to copy into Datatilsynet's form.
pub async fn notice_html(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (d, notices) = notices_of(&state, &member, id).await?;
    render(&NoticePrint {
        page: &page,
        org_name: member.org.name.clone(),
        org_number: member.org.org_number.clone(),
        deadline: rules::notification_deadline(d.aware_at),
        d,
        notices,
    })
}

/// The same as JSON.
pub async fn notice_json(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (d, notices) = notices_of(&state, &member, id).await?;
    let body = serde_json::json!({
        "controller": {"name": member.org.name, "org_number": member.org.org_number},
        "deviation": {"number": d.number, "title": d.title, "occurred_at": rfc(d.occurred_at), "aware_at": rfc(d.aware_at),
                      "authority_notification_deadline": rfc(rules::notification_deadline(d.aware_at))},
        "notices": notices.iter().map(|(r, n)| serde_json::json!({
            "stage": r.stage, "sent_at": rfc(r.sent_at), "late": r.late, "recorded_by": r.recorded_by_name,
            "recorded_at": rfc(r.recorded_at), "content": n,
        })).collect::<Vec<_>>(),
    });
    json_download(&body, &format!("avvik-{}-melding.json", d.number))
}

/// One bar of a chart: its label, count and geometry.
pub struct Bar {
    pub label: String,
    pub count: i64,
    pub width: u32,
    pub y: u32,
}

/// Bars scaled to 300 pixels for the largest.
fn bars(items: Vec<(String, i64)>) -> Vec<Bar> {
    let max = items.iter().map(|i| i.1).max().unwrap_or(0).max(1);
    items
        .into_iter()
        .enumerate()
        .map(|(i, (label, count))| Bar { label, count, width: (count * 300 / max) as u32, y: i as u32 * 26 })
        .collect()
}

/// A chart with its heading.
pub struct Chart {
    pub id: &'static str,
    pub title_key: &'static str,
    pub bars: Vec<Bar>,
}

impl Chart {
    pub fn height(&self) -> u32 {
        self.bars.len() as u32 * 26 + 4
    }
}

#[derive(Template)]
#[template(path = "deviation_stats.html")]
struct StatsPage<'a> {
    page: &'a Page,
    total: i64,
    closed: i64,
    avg_close_days: Option<String>,
    charts: Vec<Chart>,
    overdue: Vec<normverk_store::deviation::OverdueMeasure>,
    repeats: Vec<rules::Repeat>,
    threshold: i64,
    may_configure: bool,
    /// The processors the organisation takes deviations from, by organisation number.
    processors: Vec<String>,
}

/// The last twelve months, oldest first, as "2026-01" labels with their counts; `times` are
/// (time, count) pairs.
fn per_month(times: &[(i64, i64)], now: i64) -> Vec<(String, i64)> {
    let tz = jiff::tz::TimeZone::get("Europe/Oslo").unwrap_or(jiff::tz::TimeZone::UTC);
    let month = |t: i64| {
        jiff::Timestamp::from_second(t)
            .map(|t| t.to_zoned(tz.clone()).strftime("%Y-%m").to_string())
            .unwrap_or_default()
    };
    let Ok(today) = jiff::Timestamp::from_second(now).map(|t| t.to_zoned(tz.clone()).date()) else { return Vec::new() };
    let first = today.first_of_month();
    let months: Vec<String> = (0..12i32)
        .rev()
        .filter_map(|i| first.checked_sub(jiff::Span::new().months(i)).ok())
        .map(|d| d.strftime("%Y-%m").to_string())
        .collect();
    let mut counts: HashMap<String, i64> = HashMap::new();
    for (t, n) in times {
        *counts.entry(month(*t)).or_default() += n;
    }
    months
        .into_iter()
        .map(|m| {
            let n = counts.get(&m).copied().unwrap_or(0);
            (m, n)
        })
        .collect()
}

pub async fn stats(State(state): State<AppState>, page: Page, member: Member) -> Result<Response, PageError> {
    member.require(Action::ReadAllDeviations)?;
    let now = state.app.clock.now();
    let counts = state.app.deviation.year_counts(member.org.id).await?;
    let (since, groups, days) = (counts.since, &counts.groups, &counts.days);
    let units: HashMap<i64, String> =
        state.store.units(member.org.id).await?.into_iter().map(|u| (u.id, u.name)).collect();
    let none = page.t("dev-none");
    let label = |v: Option<String>| v.unwrap_or_else(|| none.clone());
    // Each day's count lands in its month: the day's start is enough to know which.
    let times: Vec<(i64, i64)> = days.iter().map(|(day, n)| (since + day * 86_400, *n)).collect();
    let charts = vec![
        Chart { id: "month", title_key: "dev-stats-month", bars: bars(per_month(&times, now)) },
        Chart {
            id: "category",
            title_key: "dev-field-category",
            bars: bars(
                deviations::sum_by(groups, |g| g.category.clone())
                    .into_iter()
                    .map(|(c, n)| (page.named("dev-category", &c), n))
                    .collect(),
            ),
        },
        Chart {
            id: "unit",
            title_key: "dev-field-unit",
            bars: bars(
                deviations::sum_by(groups, |g| g.unit_id)
                    .into_iter()
                    .map(|(u, n)| (label(u.and_then(|u| units.get(&u).cloned())), n))
                    .collect(),
            ),
        },
        Chart {
            id: "system",
            title_key: "dev-field-system",
            bars: bars(
                deviations::sum_by(groups, |g| g.system.clone())
                    .into_iter()
                    .take(20)
                    .map(|(v, n)| (label(v), n))
                    .collect(),
            ),
        },
        Chart {
            id: "severity",
            title_key: "dev-field-severity",
            bars: bars(
                deviations::sum_by(groups, |g| g.severity.clone())
                    .into_iter()
                    .map(|(v, n)| (v.map(|v| page.named("dev-severity", &v)).unwrap_or_else(|| none.clone()), n))
                    .collect(),
            ),
        },
    ];
    let total: i64 = groups.iter().map(|g| g.count).sum();
    let closed: i64 = groups.iter().map(|g| g.closed).sum();
    let close_s: i64 = groups.iter().map(|g| g.close_s).sum();
    let overdue = state.store.overdue_measures(member.org.id, &normverk_app::clock::date_in_norway(now)).await?;
    let threshold = state.store.repeat_threshold(member.org.id).await?;
    render(&StatsPage {
        page: &page,
        total,
        closed,
        avg_close_days: (closed > 0).then(|| format!("{:.1}", close_s as f64 / closed as f64 / 86_400.0)),
        charts,
        overdue,
        repeats: deviations::repeats_of(groups, threshold),
        threshold,
        may_configure: member.roles.contains(&normverk_core::org::Role::SecurityLead),
        processors: state.store.deviation_processors(member.org.id).await?,
    })
}

/// Sets how many deviations sharing a category or system call for a new risk assessment.
pub async fn set_threshold(
    State(state): State<AppState>,
    member: Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    if !member.roles.contains(&normverk_core::org::Role::SecurityLead) {
        return Err(PageError::Forbidden);
    }
    let entered = Entered::from(&fields);
    let Some(n) = entered.get("threshold").trim().parse::<i64>().ok().filter(|n| (2..=100).contains(n)) else {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, "threshold: a whole number from 2 to 100").into_response());
    };
    state.app.deviation.set_repeat_threshold(member.org.id, n, Some(member.viewer.user.id)).await?;
    Ok(Redirect::to("/deviations/stats").into_response())
}

const EXPORT_COLUMNS: [&str; 15] = [
    "Nr.",
    "Tittel",
    "Kategori",
    "Enhet",
    "System",
    "Status",
    "Type",
    "Alvorlighet",
    "Skjedde",
    "Oppdaget",
    "Personopplysningsbrudd",
    "Konsekvenser for registrerte",
    "Meldefrist Datatilsynet",
    "Meldt Datatilsynet",
    "Lukket",
];

async fn export_rows(state: &AppState, member: &Member) -> Result<Vec<Vec<String>>, PageError> {
    let units: HashMap<i64, String> =
        state.store.units(member.org.id).await?.into_iter().map(|u| (u.id, u.name)).collect();
    let lang = crate::i18n::Lang::Nb;
    let time = |t: Option<i64>| t.map(|t| lang.datetime(t)).unwrap_or_default();
    let yes_no = |b: Option<bool>| b.map(|b| if b { "ja" } else { "nei" }.to_string()).unwrap_or_default();
    let mut rows = Vec::new();
    let mut offset = 0;
    loop {
        let batch =
            state.store.deviations(member.org.id, &normverk_store::deviation::Visible::All, 5_000, offset).await?;
        let n = batch.len() as i64;
        for d in batch {
            rows.push(vec![
                d.number.to_string(),
                d.title.clone(),
                lang.t(&format!("dev-category-{}", d.category.replace('_', "-"))),
                d.unit_id.and_then(|u| units.get(&u).cloned()).unwrap_or_default(),
                d.system.clone().unwrap_or_default(),
                lang.t(&format!("dev-state-{}", d.state.replace('_', "-"))),
                d.kind.as_deref().map(|k| lang.t(&format!("dev-kind-{}", k.replace('_', "-")))).unwrap_or_default(),
                d.severity.as_deref().map(|k| lang.t(&format!("dev-severity-{k}"))).unwrap_or_default(),
                time(Some(d.occurred_at)),
                time(Some(d.aware_at)),
                yes_no(d.personal_data_breach),
                yes_no(d.consequences),
                time(d.notice_required.then(|| rules::notification_deadline(d.aware_at))),
                time(d.notice_complete_at),
                time(d.closed_at),
            ]);
        }
        if n < 5_000 {
            break;
        }
        offset += n;
    }
    Ok(rows)
}

pub async fn export_csv(State(state): State<AppState>, member: Member) -> Result<Response, PageError> {
    member.require(Action::ReadAllDeviations)?;
    let rows = export_rows(&state, &member).await?;
    let rows: Vec<&[String]> = rows.iter().map(|r| &r[..]).collect();
    let body = crate::spreadsheet::table_csv(&EXPORT_COLUMNS, &rows)?;
    Ok(crate::spreadsheet::download(body, "text/csv; charset=utf-8", &format!("avvik-{}.csv", member.org.org_number)))
}

pub async fn export_xlsx(State(state): State<AppState>, member: Member) -> Result<Response, PageError> {
    member.require(Action::ReadAllDeviations)?;
    let rows = export_rows(&state, &member).await?;
    let rows: Vec<&[String]> = rows.iter().map(|r| &r[..]).collect();
    let widths = [6.0, 40.0, 24.0, 20.0, 14.0, 16.0, 18.0, 12.0, 18.0, 18.0, 12.0, 12.0, 18.0, 18.0, 18.0];
    let body = crate::spreadsheet::table_xlsx(&EXPORT_COLUMNS, &rows, &widths, "Avvik")
        .map_err(|e| PageError::Internal(format!("xlsx: {e}")))?;
    Ok(crate::spreadsheet::download(
        body,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("avvik-{}.xlsx", member.org.org_number),
    ))
}

/// A processor reports its deviation to a controller in the same normverk that takes
/// deviations from it (Normen 5.7, 5.8): a new deviation in the controller's inbox.
pub async fn forward(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let d = load_read(&state, &member, id).await?;
    let actor = Actor::Person { user_id: member.viewer.user.id, roles: &member.roles };
    if !state.app.deviation.powers(&d, &actor).await?.0 {
        return Err(PageError::Forbidden);
    }
    let entered = Entered::from(&fields);
    let controller = entered.get("controller").parse::<i64>().ok();
    let now = state.app.clock.now();
    let outcome = match controller {
        None => Err("choose the controller".to_string()),
        Some(c) => {
            match state.store.forward_deviation(member.org.id, d.id, c, Some(member.viewer.user.id), now).await {
                Ok(_) => Ok(()),
                Err(StoreError::Rejected(m) | StoreError::Conflict(m)) => {
                    Err(m.trim_start_matches("controller: ").to_string())
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/deviations/{id}#forward-heading")).into_response()),
        Err(message) => {
            let problems = vec![Problem { field: "controller", message }];
            show_page(&state, &page, &member, d, "forward", entered, problems).await
        }
    }
}

/// The deviation as a processor's report to a controller outside normverk, as JSON.
pub async fn report_json(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let d = load_read(&state, &member, id).await?;
    let body = serde_json::json!({
        "processor": {"name": member.org.name, "org_number": member.org.org_number},
        "deviation": {
            "number": d.number, "title": d.title, "description": d.description,
            "occurred_at": rfc(d.occurred_at), "processor_aware_at": rfc(d.aware_at),
            "category": d.category, "system": d.system, "patients_concerned": d.patients_concerned,
            "immediate_actions": d.immediate_actions, "state": d.state,
            "personal_data_breach": d.personal_data_breach, "consequences_for_data_subjects": d.consequences,
            "severity": d.severity,
        },
        "reported_at": rfc(state.app.clock.now()),
    });
    json_download(&body, &format!("avvik-{}-til-behandlingsansvarlig.json", d.number))
}

/// A Unix time as RFC 3339, for the JSON exports.
fn rfc(t: i64) -> String {
    jiff::Timestamp::from_second(t).map(|t| t.to_string()).unwrap_or_default()
}

/// A JSON export as a download named `file`.
fn json_download(body: &serde_json::Value, file: &str) -> Result<Response, PageError> {
    let bytes = serde_json::to_vec_pretty(body).map_err(|e| PageError::Internal(format!("json: {e}")))?;
    Ok(crate::spreadsheet::download(bytes, "application/json", file))
}

/// The security lead names the processors whose deviations the organisation takes.
pub async fn set_processor(
    State(state): State<AppState>,
    member: Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    if !member.roles.contains(&normverk_core::org::Role::SecurityLead) {
        return Err(PageError::Forbidden);
    }
    let entered = Entered::from(&fields);
    let Ok(number) = normverk_core::org::OrgNumber::parse(entered.get("org_number")) else {
        return Ok(
            (StatusCode::UNPROCESSABLE_ENTITY, "org_number: nine digits with a valid check digit").into_response()
        );
    };
    let accept = entered.get("accept") != "no";
    let now = state.app.clock.now();
    state
        .store
        .set_deviation_processor(member.org.id, number.as_str(), accept, Some(member.viewer.user.id), now)
        .await?;
    Ok(Redirect::to("/deviations/stats#processors-heading").into_response())
}
