//! `/risk/assessments/{id}`: one risk assessment in Normen 3.3's seven steps — preparation and
//! what is assessed, the unwanted events, each event's consequence, likelihood, measures and
//! residual risk on its own page, management's acceptance, approval, the printable report and
//! the history. Every change is made on the version the form was drawn from.

use super::{heat_maps, ids, level, refused, step, text, value, Level};
use crate::auth::Member;
use crate::chart::HeatMap;
use crate::error::PageError;
use crate::views::{render, render_status, Entered, FormErrors, Page, Plain};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use normverk_app::risk::{heat, Opening, Person, RiskError};
use normverk_core::deviation::MeasureStatus;
use normverk_core::org::Action;
use normverk_core::risk::{
    self as core, Assessment, Consequence, Event, Measure, Reason, Score, State as RiskState, Threat,
};
use normverk_store::risk::{RiskAssessment, RiskVersion, StoredMatrix, Targets};
use normverk_store::system::System;

/// An assessment as its pages read it.
struct Loaded {
    a: RiskAssessment,
    doc: Assessment,
    matrix: StoredMatrix,
}

async fn load(state: &AppState, member: &Member, id: i64) -> Result<Loaded, PageError> {
    let (a, matrix) = state.app.risk.assessment(member.org.id, id).await?;
    let doc = a.assessment()?;
    Ok(Loaded { a, doc, matrix })
}

/// An event as the assessment page lists it.
pub struct Line {
    pub e: Event,
    pub inherent: Option<Level>,
    pub remaining: Option<Level>,
    pub standing: &'static str,
    pub overdue: usize,
}

fn lines(l: &Loaded, today: normverk_core::assessment::Date) -> Vec<Line> {
    let m = &l.matrix.matrix;
    l.doc
        .events
        .iter()
        .map(|e| Line {
            inherent: level(m, e.inherent().and_then(|s| m.level(s.likelihood, s.consequence))),
            remaining: level(m, e.remaining().and_then(|s| m.level(s.likelihood, s.consequence))),
            standing: super::register::standing_code(core::standing(e, m, today)),
            overdue: e
                .measures
                .iter()
                .filter(|x| x.status != MeasureStatus::Done)
                .filter(|x| normverk_core::assessment::Date::parse(&x.deadline).is_some_and(|d| d < today))
                .count(),
            e: e.clone(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "risk_assessment.html")]
struct AssessmentPage<'a> {
    page: &'a Page,
    a: RiskAssessment,
    doc: Assessment,
    matrix: StoredMatrix,
    targets: Targets,
    systems: Vec<System>,
    lines: Vec<Line>,
    inherent: HeatMap,
    remaining: HeatMap,
    /// Why it cannot be approved yet, in the reader's language.
    blockers: Vec<String>,
    versions: Vec<RiskVersion>,
    /// The catalogue's threats still offered.
    threats: Vec<Threat>,
    may_assess: bool,
    may_decide: bool,
    errors: FormErrors,
    entered: Entered,
}

impl AssessmentPage<'_> {
    pub fn draft(&self) -> bool {
        self.a.state == RiskState::Draft
    }

    /// What the form shows for `key`: what was entered when it came back with errors, else `stored`.
    pub fn v(&self, key: &str, stored: &str) -> String {
        if self.entered.has(key) { self.entered.get(key) } else { stored }.to_string()
    }

    pub fn has(&self, chosen: &[i64], id: impl Plain<i64>) -> bool {
        chosen.contains(&id.plain())
    }

    pub fn criticality(&self, id: &i64) -> String {
        self.systems.iter().find(|s| s.id == *id).map_or(String::new(), |s| s.criticality.as_str().to_string())
    }

    pub fn names(&self, chosen: &[i64], of: &[normverk_store::Named]) -> String {
        let names = super::register::names(chosen, of);
        if names.is_empty() {
            "–".into()
        } else {
            names
        }
    }

    pub fn reason(&self) -> String {
        self.page.named("risk-reason", &self.a.reason)
    }
}

async fn assessment_page(
    state: &AppState,
    page: &Page,
    member: &Member,
    id: i64,
    errors: FormErrors,
    entered: Entered,
    template: PageKind,
) -> Result<Response, PageError> {
    let l = load(state, member, id).await?;
    let today = state.app.risk.today();
    let m = &l.matrix.matrix;
    let (inherent, remaining) = heat_maps(&heat(m, l.doc.events.iter()), m);
    let blockers = if l.a.state == RiskState::Draft {
        core::check_approval(&l.doc, m, today).into_iter().map(|p| page.problem(p.key, &p.args)).collect()
    } else {
        Vec::new()
    };
    let t = AssessmentPage {
        page,
        lines: lines(&l, today),
        targets: state.store.risk_targets(member.org.id).await?,
        systems: state.store.systems(member.org.id).await?,
        versions: state.store.risk_assessment_versions(member.org.id, id).await?,
        a: l.a,
        doc: l.doc,
        matrix: l.matrix,
        inherent,
        remaining,
        blockers,
        threats: state.app.risk.threats(member.org.id).await?.into_iter().filter(|t| !t.retired).collect(),
        may_assess: member.may(Action::AssessRisk),
        may_decide: member.may(Action::DecideRisk),
        errors,
        entered,
    };
    let status = if t.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    match template {
        PageKind::Assessment => render_status(status, &t),
        PageKind::Report => render(&ReportPage { page, t: &t }),
    }
}

/// The same data drawn as the assessment page or as the printable report.
enum PageKind {
    Assessment,
    Report,
}

#[derive(Template)]
#[template(path = "risk_report.html")]
struct ReportPage<'a> {
    page: &'a Page,
    t: &'a AssessmentPage<'a>,
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    assessment_page(&state, &page, &member, id, FormErrors::default(), Entered::default(), PageKind::Assessment).await
}

pub async fn report(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    assessment_page(&state, &page, &member, id, FormErrors::default(), Entered::default(), PageKind::Report).await
}

/// Starts an assessment: a new one, or the next from an approved one.
pub async fn start(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    member.require(Action::AssessRisk)?;
    let reason = value(&fields, "reason").parse::<Reason>().unwrap_or(Reason::Other);
    let from = value(&fields, "from").parse::<i64>().ok();
    let by = Some(member.viewer.user.id);
    let opening = Opening {
        from,
        processings: ids(&fields, "processings"),
        systems: ids(&fields, "systems"),
        trigger: value(&fields, "trigger").to_string(),
        ..Opening::new(value(&fields, "title"), reason)
    };
    match state.app.risk.start(member.org.id, opening, by).await {
        Ok(id) => Ok(Redirect::to(&format!("/risk/assessments/{id}")).into_response()),
        Err(RiskError::Store(normverk_store::StoreError::NotFound)) => Err(PageError::NotFound),
        Err(e) => {
            let errors = refused(&page, e)?;
            super::register::overview_page(&state, &page, &member, errors, Entered::from(&fields)).await
        }
    }
}

/// Where a refused change is shown again.
enum Back {
    Assessment,
    Event(u32),
}

/// Saves `doc` as the change `change` on the version the form carried, then goes to `to`; a
/// refused change draws the page it came from again with what was entered and why.
#[allow(clippy::too_many_arguments)]
async fn save(
    state: &AppState,
    page: &Page,
    member: &Member,
    id: i64,
    fields: &[(String, String)],
    doc: Assessment,
    change: &str,
    back: Back,
    to: String,
) -> Result<Response, PageError> {
    let expected = value(fields, "version").parse().unwrap_or(-1);
    let by = Some(member.viewer.user.id);
    match state.app.risk.save(member.org.id, id, expected, doc, change, by).await {
        Ok(_) => Ok(Redirect::to(&to).into_response()),
        Err(e) => refused_back(state, page, member, id, fields, e, back).await,
    }
}

async fn refused_back(
    state: &AppState,
    page: &Page,
    member: &Member,
    id: i64,
    fields: &[(String, String)],
    e: RiskError,
    back: Back,
) -> Result<Response, PageError> {
    if matches!(e, RiskError::Store(normverk_store::StoreError::NotFound)) {
        return Err(PageError::NotFound);
    }
    let errors = refused(page, e)?;
    let entered = Entered::from(fields);
    match back {
        Back::Assessment => assessment_page(state, page, member, id, errors, entered, PageKind::Assessment).await,
        Back::Event(event) => event_page(state, page, member, id, event, errors, entered).await,
    }
}

/// Steps 1 and 2: the preparation and what is assessed.
pub async fn prepare(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let mut doc = load(&state, &member, id).await?.doc;
    member.require(Action::AssessRisk)?;
    doc.title = value(&fields, "title").to_string();
    doc.scope = text(&fields, "scope");
    doc.participants = text(&fields, "participants");
    doc.method = text(&fields, "method");
    doc.processings = ids(&fields, "processings");
    doc.systems = ids(&fields, "systems");
    doc.assets = ids(&fields, "assets");
    let to = format!("/risk/assessments/{id}#events");
    save(&state, &page, &member, id, &fields, doc, "prepared", Back::Assessment, to).await
}

/// Step 3: an unwanted event from the catalogue or written freely; the catalogue's title and
/// description fill what was left blank.
pub async fn add_event(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let mut doc = load(&state, &member, id).await?.doc;
    member.require(Action::AssessRisk)?;
    let threat = value(&fields, "threat").to_string();
    let catalogue = state.app.risk.threats(member.org.id).await?;
    let known = catalogue.iter().find(|t| t.code == threat);
    let or_threat = |key: &str, from: fn(&Threat) -> &str| {
        let v = text(&fields, key);
        if v.is_empty() {
            known.map_or(String::new(), |t| from(t).to_string())
        } else {
            v
        }
    };
    let event_id = doc.events.iter().map(|e| e.id).max().unwrap_or(0) + 1;
    doc.events.push(Event {
        id: event_id,
        title: or_threat("event_title", |t| &t.title),
        description: or_threat("event_description", |t| &t.description),
        threat,
        consequence: Consequence::default(),
        likelihood: None,
        reasoning: String::new(),
        measures: Vec::new(),
        residual: None,
        acceptance: None,
    });
    let to = format!("/risk/assessments/{id}/events/{event_id}");
    save(&state, &page, &member, id, &fields, doc, "event_added", Back::Assessment, to).await
}

/// Top management approves the assessment, which freezes it.
pub async fn approve(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    load(&state, &member, id).await?;
    member.require(Action::DecideRisk)?;
    let expected = value(&fields, "version").parse().unwrap_or(-1);
    match state.app.risk.approve(member.org.id, id, expected, Some(member.viewer.user.id)).await {
        Ok(_) => Ok(Redirect::to(&format!("/risk/assessments/{id}")).into_response()),
        Err(e) => refused_back(&state, &page, &member, id, &fields, e, Back::Assessment).await,
    }
}

#[derive(Template)]
#[template(path = "risk_event.html")]
struct EventPage<'a> {
    page: &'a Page,
    a: RiskAssessment,
    matrix: StoredMatrix,
    line: Line,
    targets: Targets,
    may_assess: bool,
    may_decide: bool,
    errors: FormErrors,
    entered: Entered,
    statuses: &'static [MeasureStatus],
    threats: Vec<Threat>,
}

impl EventPage<'_> {
    pub fn draft(&self) -> bool {
        self.a.state == RiskState::Draft
    }

    pub fn v(&self, key: &str, stored: &str) -> String {
        if self.entered.has(key) { self.entered.get(key) } else { stored }.to_string()
    }

    /// The step chosen for `key`: what was entered, else `stored`.
    pub fn chosen(&self, key: &str, stored: impl Plain<Option<u8>>) -> Option<usize> {
        if self.entered.has(key) {
            self.entered.get(key).parse().ok()
        } else {
            stored.plain().map(usize::from)
        }
    }

    /// Whether step `n` is the one chosen.
    pub fn is(&self, chosen: impl Plain<Option<usize>>, n: impl Plain<usize>) -> bool {
        chosen.plain() == Some(n.plain())
    }

    pub fn threat_title(&self, code: &str) -> &str {
        self.threats.iter().find(|t| t.code == code).map_or("", |t| t.title.as_str())
    }

    /// Whether management may accept the risk now: it is above the level and not accepted
    /// (or its acceptance ran out).
    pub fn acceptable_now(&self) -> bool {
        self.line.standing == "open" && self.line.e.remaining().is_some()
    }

    pub fn system_names(&self, ids: &[i64]) -> String {
        super::register::names(ids, &self.targets.systems)
    }

    /// Residual scores, as (field, label key, chosen).
    pub fn residual(&self) -> [(&'static str, &'static str, Option<usize>); 2] {
        let r = self.line.e.residual;
        [
            ("residual_likelihood", "risk-likelihood", self.chosen("residual_likelihood", r.map(|r| r.likelihood))),
            ("residual_consequence", "risk-consequence", self.chosen("residual_consequence", r.map(|r| r.consequence))),
        ]
    }

    /// The steps of the axis a residual field is on.
    pub fn axis(&self, key: &str) -> &[normverk_core::risk::Step] {
        let m = &self.matrix.matrix;
        if key == "residual_likelihood" {
            &m.likelihood
        } else {
            &m.consequence
        }
    }

    pub fn aspects(&self) -> Vec<(&'static str, Option<usize>)> {
        self.line.e.consequence.aspects().iter().map(|(k, v)| (*k, self.chosen(k, *v))).collect()
    }
}

async fn event_page(
    state: &AppState,
    page: &Page,
    member: &Member,
    id: i64,
    event_id: u32,
    errors: FormErrors,
    entered: Entered,
) -> Result<Response, PageError> {
    let l = load(state, member, id).await?;
    let today = state.app.risk.today();
    let line = lines(&l, today).into_iter().find(|line| line.e.id == event_id).ok_or(PageError::NotFound)?;
    let t = EventPage {
        page,
        a: l.a,
        matrix: l.matrix,
        line,
        targets: state.store.risk_targets(member.org.id).await?,
        may_assess: member.may(Action::AssessRisk),
        may_decide: member.may(Action::DecideRisk),
        errors,
        entered,
        statuses: MeasureStatus::ALL,
        threats: state.app.risk.threats(member.org.id).await?,
    };
    let status = if t.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(status, &t)
}

pub async fn event(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path((id, event)): Path<(i64, u32)>,
) -> Result<Response, PageError> {
    event_page(&state, &page, &member, id, event, FormErrors::default(), Entered::default()).await
}

/// The event `event_id` of `doc`, or not found.
fn event_mut(doc: &mut Assessment, event_id: u32) -> Result<&mut Event, PageError> {
    doc.events.iter_mut().find(|e| e.id == event_id).ok_or(PageError::NotFound)
}

/// Steps 4–6 and the residual risk of step 7: the event's text, its consequence per aspect, its
/// likelihood with the reasoning, and the risk expected after the measures.
pub async fn score(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path((id, event_id)): Path<(i64, u32)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let mut doc = load(&state, &member, id).await?.doc;
    member.require(Action::AssessRisk)?;
    let e = event_mut(&mut doc, event_id)?;
    e.title = value(&fields, "title").to_string();
    e.description = text(&fields, "description");
    e.reasoning = text(&fields, "reasoning");
    e.likelihood = step(&fields, "likelihood");
    e.consequence = Consequence {
        confidentiality: step(&fields, "confidentiality"),
        integrity: step(&fields, "integrity"),
        availability: step(&fields, "availability"),
        privacy: step(&fields, "privacy"),
    };
    e.residual = match (step(&fields, "residual_likelihood"), step(&fields, "residual_consequence")) {
        (Some(likelihood), Some(consequence)) => Some(Score { likelihood, consequence }),
        (None, None) => None,
        _ => {
            let mut errors = FormErrors::default();
            errors.add("residual_likelihood", page.t("risk-residual-both"));
            return event_page(&state, &page, &member, id, event_id, errors, Entered::from(&fields)).await;
        }
    };
    let to = format!("/risk/assessments/{id}/events/{event_id}");
    save(&state, &page, &member, id, &fields, doc, "event_scored", Back::Event(event_id), to).await
}

pub async fn delete_event(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path((id, event_id)): Path<(i64, u32)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let mut doc = load(&state, &member, id).await?.doc;
    member.require(Action::AssessRisk)?;
    event_mut(&mut doc, event_id)?;
    doc.events.retain(|e| e.id != event_id);
    let to = format!("/risk/assessments/{id}#events");
    save(&state, &page, &member, id, &fields, doc, "event_deleted", Back::Event(event_id), to).await
}

/// Step 7: a measure against the event.
pub async fn add_measure(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path((id, event_id)): Path<(i64, u32)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let mut doc = load(&state, &member, id).await?.doc;
    member.require(Action::AssessRisk)?;
    let e = event_mut(&mut doc, event_id)?;
    let measure_id = e.measures.iter().map(|m| m.id).max().unwrap_or(0) + 1;
    e.measures.push(Measure {
        id: measure_id,
        description: text(&fields, "measure_description"),
        owner: value(&fields, "owner").to_string(),
        deadline: value(&fields, "deadline").to_string(),
        status: value(&fields, "status").parse().unwrap_or(MeasureStatus::Planned),
        systems: ids(&fields, "measure_systems"),
    });
    let to = format!("/risk/assessments/{id}/events/{event_id}#measures");
    save(&state, &page, &member, id, &fields, doc, "measure_added", Back::Event(event_id), to).await
}

/// A measure's status changed, or (with `remove`) the measure taken away.
pub async fn update_measure(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path((id, event_id, measure_id)): Path<(i64, u32, u32)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let mut doc = load(&state, &member, id).await?.doc;
    member.require(Action::AssessRisk)?;
    let e = event_mut(&mut doc, event_id)?;
    let change = if value(&fields, "remove").is_empty() {
        let m = e.measures.iter_mut().find(|m| m.id == measure_id).ok_or(PageError::NotFound)?;
        m.status = value(&fields, "status").parse().unwrap_or(m.status);
        "measure_updated"
    } else {
        let before = e.measures.len();
        e.measures.retain(|m| m.id != measure_id);
        if e.measures.len() == before {
            return Err(PageError::NotFound);
        }
        "measure_removed"
    };
    let to = format!("/risk/assessments/{id}/events/{event_id}#measures");
    save(&state, &page, &member, id, &fields, doc, change, Back::Event(event_id), to).await
}

/// Top management accepts the event's remaining risk above the level, with why and until when.
pub async fn accept(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path((id, event_id)): Path<(i64, u32)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    load(&state, &member, id).await?;
    member.require(Action::DecideRisk)?;
    let expected = value(&fields, "version").parse().unwrap_or(-1);
    let by = Person { id: member.viewer.user.id, name: member.viewer.user.display_name.clone() };
    let justification = text(&fields, "justification");
    let expires = value(&fields, "expires_on");
    match state.app.risk.accept(member.org.id, id, expected, event_id, &justification, expires, &by).await {
        Ok(_) => Ok(Redirect::to(&format!("/risk/assessments/{id}/events/{event_id}")).into_response()),
        Err(e) => refused_back(&state, &page, &member, id, &fields, e, Back::Event(event_id)).await,
    }
}
