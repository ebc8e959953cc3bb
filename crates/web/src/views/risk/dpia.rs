//! `/risk/dpia`: data protection impact assessments (Normen 3.4) — the list with what each
//! awaits, starting one for one or more processings, the document with the minimum content of
//! 3.4 beside the risk assessment's events and measures, the workflow (to the DPO, the DPO's
//! advice, top management's approval or return, reopening for review), and prior consultation
//! with Datatilsynet (3.5) as a printable document, as JSON, and as dates and advice recorded.

use super::{ids, level, refused, text, value, Level};
use crate::auth::Member;
use crate::error::PageError;
use crate::spreadsheet::json_file;
use crate::views::{render, render_status, Entered, FormErrors, Page, Plain};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use normverk_app::dpia::Read;
use normverk_app::risk::{Person, RiskError};
use normverk_core::dpia::{Consultation, Dpia, Step};
use normverk_core::org::Action;
use normverk_core::risk::{Assessment, Event};
use normverk_store::dpia::DpiaVersion;
use normverk_store::processing::Processing;
use normverk_store::risk::RiskAssessment;
use normverk_store::Named;
use serde_json::json;

#[derive(Template)]
#[template(path = "dpia_list.html")]
struct ListPage<'a> {
    page: &'a Page,
    dpias: Vec<Read>,
    processings: Vec<Named>,
    assessments: Vec<RiskAssessment>,
    /// Processings preselected (from the protokoll's «start a DPIA»).
    chosen: Vec<i64>,
    may_assess: bool,
    errors: FormErrors,
    entered: Entered,
}

impl ListPage<'_> {
    pub fn names(&self, chosen: &[i64]) -> String {
        super::register::names(chosen, &self.processings)
    }

    pub fn has(&self, id: impl Plain<i64>) -> bool {
        self.chosen.contains(&id.plain())
    }
}

/// `?processing=` preselects a processing in the form to start one.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Start {
    #[serde(default)]
    processing: Option<String>,
}

async fn list_page(
    state: &AppState,
    page: &Page,
    member: &Member,
    chosen: Vec<i64>,
    errors: FormErrors,
    entered: Entered,
) -> Result<Response, PageError> {
    let org = member.org.id;
    let t = ListPage {
        page,
        dpias: state.app.dpia.all(org).await?,
        processings: state.store.risk_targets(org).await?.processings,
        assessments: state.store.risk_assessments(org).await?,
        chosen,
        may_assess: member.may(Action::AssessRisk),
        errors,
        entered,
    };
    let status = if t.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(status, &t)
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Query(q): Query<Start>,
) -> Result<Response, PageError> {
    let chosen = q.processing.and_then(|p| p.trim().parse().ok()).into_iter().collect();
    list_page(&state, &page, &member, chosen, FormErrors::default(), Entered::default()).await
}

pub async fn start(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    member.require(Action::AssessRisk)?;
    let assessment = value(&fields, "assessment_id").parse().ok();
    let processings = ids(&fields, "processings");
    let by = Some(member.viewer.user.id);
    let content = Dpia {
        title: value(&fields, "title").to_string(),
        processings: processings.clone(),
        assessment_id: assessment,
        ..Dpia::default()
    };
    match state.app.dpia.start(member.org.id, content, by).await {
        Ok(id) => Ok(Redirect::to(&format!("/risk/dpia/{id}")).into_response()),
        Err(e) => {
            let errors = refused(&page, e)?;
            list_page(&state, &page, &member, processings, errors, Entered::from(&fields)).await
        }
    }
}

/// The risk assessment a DPIA uses, with its events' levels.
pub struct Risks {
    pub a: RiskAssessment,
    pub lines: Vec<(Event, Option<Level>, Option<Level>)>,
}

async fn risks(state: &AppState, member: &Member, d: &Dpia) -> Result<Option<Risks>, PageError> {
    let Some(id) = d.assessment_id else { return Ok(None) };
    let (a, stored_matrix) = match state.app.risk.assessment(member.org.id, id).await {
        Ok(found) => found,
        Err(normverk_store::StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let doc: Assessment = a.assessment()?;
    let m = &stored_matrix.matrix;
    let at = |s: Option<normverk_core::risk::Score>| level(m, s.and_then(|s| m.level(s.likelihood, s.consequence)));
    let lines =
        doc.events.into_iter().map(|e| (at(e.inherent()), at(e.remaining()), e)).map(|(i, r, e)| (e, i, r)).collect();
    Ok(Some(Risks { a, lines }))
}

#[derive(Template)]
#[template(path = "dpia.html")]
struct DpiaPage<'a> {
    page: &'a Page,
    d: Read,
    processings: Vec<Named>,
    assessments: Vec<RiskAssessment>,
    risks: Option<Risks>,
    /// What the minimum content of 3.4 still lacks, in the reader's language.
    missing: Vec<String>,
    versions: Vec<DpiaVersion>,
    has_dpo: bool,
    may_assess: bool,
    may_advise: bool,
    may_decide: bool,
    errors: FormErrors,
    entered: Entered,
}

impl DpiaPage<'_> {
    pub fn editable(&self) -> bool {
        self.d.stored.state.editable() && self.may_assess
    }

    /// What the form shows for `key`: what was entered when it came back with errors, else `stored`.
    pub fn v(&self, key: &str, stored: &str) -> String {
        if self.entered.has(key) { self.entered.get(key) } else { stored }.to_string()
    }

    pub fn has(&self, id: impl Plain<i64>) -> bool {
        self.d.doc.processings.contains(&id.plain())
    }

    pub fn names(&self) -> String {
        let names = super::register::names(&self.d.doc.processings, &self.processings);
        if names.is_empty() {
            "–".into()
        } else {
            names
        }
    }

    pub fn state(&self) -> &'static str {
        self.d.stored.state.as_str()
    }

    pub fn is(&self, state: &str) -> bool {
        self.d.stored.state.as_str() == state
    }

    pub fn linked(&self, id: impl Plain<i64>) -> bool {
        self.d.doc.assessment_id == Some(id.plain())
    }

    pub fn consultation(&self) -> Consultation {
        self.d.doc.consultation.clone().unwrap_or_default()
    }
}

async fn dpia_page(
    state: &AppState,
    page: &Page,
    member: &Member,
    id: i64,
    errors: FormErrors,
    entered: Entered,
) -> Result<Response, PageError> {
    let org = member.org.id;
    let d = state.app.dpia.read(org, id).await?;
    let missing = normverk_core::dpia::missing(&d.doc).into_iter().map(|p| page.problem(p.key, &p.args)).collect();
    let t = DpiaPage {
        page,
        processings: state.store.risk_targets(org).await?.processings,
        assessments: state.store.risk_assessments(org).await?,
        risks: risks(state, member, &d.doc).await?,
        missing,
        versions: state.store.dpia_versions(org, id).await?,
        has_dpo: state.app.dpia.has_dpo(org).await?,
        may_assess: member.may(Action::AssessRisk),
        may_advise: member.may(Action::AdviseDpia),
        may_decide: member.may(Action::DecideRisk),
        d,
        errors,
        entered,
    };
    let status = if t.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(status, &t)
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    dpia_page(&state, &page, &member, id, FormErrors::default(), Entered::default()).await
}

async fn done_or_back(
    state: &AppState,
    page: &Page,
    member: &Member,
    id: i64,
    fields: &[(String, String)],
    outcome: Result<i64, RiskError>,
) -> Result<Response, PageError> {
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!("/risk/dpia/{id}")).into_response()),
        Err(RiskError::Store(normverk_store::StoreError::NotFound)) => Err(PageError::NotFound),
        Err(e) => {
            let errors = refused(page, e)?;
            dpia_page(state, page, member, id, errors, Entered::from(fields)).await
        }
    }
}

/// The content of 3.4, as the form sends it.
pub async fn save(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    state.store.dpia(member.org.id, id).await?;
    member.require(Action::AssessRisk)?;
    let content = Dpia {
        title: value(&fields, "title").to_string(),
        processings: ids(&fields, "processings"),
        assessment_id: value(&fields, "assessment_id").parse().ok(),
        description: text(&fields, "description"),
        purpose: text(&fields, "purpose"),
        necessity: text(&fields, "necessity"),
        risks: text(&fields, "risks"),
        measures: text(&fields, "measures"),
        ..Dpia::default()
    };
    let expected = value(&fields, "version").parse().unwrap_or(-1);
    let outcome = state.app.dpia.save(member.org.id, id, expected, content, Some(member.viewer.user.id)).await;
    done_or_back(&state, &page, &member, id, &fields, outcome).await
}

/// A step of the workflow: each by the role Normen gives it.
pub async fn step(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let current = state.store.dpia(member.org.id, id).await?.state;
    let Ok(step) = value(&fields, "step").parse::<Step>() else {
        return Ok(crate::views::render_error_page(&page, StatusCode::BAD_REQUEST, None));
    };
    match step {
        Step::Send => member.require(Action::AssessRisk)?,
        Step::Advise => member.require(Action::AdviseDpia)?,
        Step::Approve => member.require(Action::DecideRisk)?,
        // The DPO sends back what is with the DPO; once advised, it is management's to return.
        Step::Return if current == normverk_core::dpia::State::WithDpo && member.may(Action::AdviseDpia) => {}
        Step::Return => member.require(Action::DecideRisk)?,
        Step::Reopen => member.require(Action::AssessRisk)?,
    }
    let expected = value(&fields, "version").parse().unwrap_or(-1);
    let by = Person { id: member.viewer.user.id, name: member.viewer.user.display_name.clone() };
    let note = text(&fields, if step == Step::Return { "return_note" } else { "note" });
    let outcome = state.app.dpia.step(member.org.id, id, expected, step, &note, &by).await;
    done_or_back(&state, &page, &member, id, &fields, outcome).await
}

/// Prior consultation: when it was sent, and Datatilsynet's answer.
pub async fn consult(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    state.store.dpia(member.org.id, id).await?;
    member.require(Action::AssessRisk)?;
    let c = Consultation {
        sent_on: value(&fields, "sent_on").to_string(),
        answered_on: value(&fields, "answered_on").to_string(),
        advice: text(&fields, "advice"),
    };
    let expected = value(&fields, "version").parse().unwrap_or(-1);
    let outcome = state.app.dpia.consult(member.org.id, id, expected, c, Some(member.viewer.user.id)).await;
    done_or_back(&state, &page, &member, id, &fields, outcome).await
}

/// What Normen 3.5 says the controller must give Datatilsynet, assembled.
struct Dossier {
    d: Read,
    org_name: String,
    org_number: String,
    processings: Vec<Processing>,
    risks: Option<Risks>,
}

async fn dossier(state: &AppState, member: &Member, id: i64) -> Result<Dossier, PageError> {
    let org = member.org.id;
    let d = state.app.dpia.read(org, id).await?;
    let mut processings = Vec::new();
    for pid in &d.doc.processings {
        match state.store.processing(org, *pid).await {
            Ok(p) => processings.push(p),
            Err(normverk_store::StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let risks = risks(state, member, &d.doc).await?;
    Ok(Dossier { d, org_name: member.org.name.clone(), org_number: member.org.org_number.clone(), processings, risks })
}

#[derive(Template)]
#[template(path = "dpia_consultation.html")]
struct ConsultationPage<'a> {
    page: &'a Page,
    x: Dossier,
}

pub async fn consultation(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let x = dossier(&state, &member, id).await?;
    render(&ConsultationPage { page: &page, x })
}

/// The same, as JSON.
pub async fn consultation_json(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let x = dossier(&state, &member, id).await?;
    let field = |p: &Processing, f: &str| p.record.get(f).to_string();
    let processings: Vec<_> = x
        .processings
        .iter()
        .map(|p| {
            json!({"id": p.id, "name": p.record.name,
                "responsibilities": {"controller": field(p, "controller"), "joint_controllers": field(p, "joint_controllers"), "processors": field(p, "processors")},
                "purposes": field(p, "purposes"), "data_subjects": field(p, "data_subjects"), "data_categories": field(p, "data_categories"),
                "recipients": field(p, "recipients"), "security_measures": field(p, "security_measures"), "dpo": field(p, "dpo")})
        })
        .collect();
    let risks: Vec<_> = x.risks.as_ref().map_or_else(Vec::new, |r| {
        r.lines
            .iter()
            .map(|(e, i, rem)| {
                json!({"title": e.title, "description": e.description, "inherent": i.as_ref().map(|l| &l.label),
                    "remaining": rem.as_ref().map(|l| &l.label),
                    "measures": e.measures.iter().map(|m| json!({"description": m.description, "owner": m.owner, "deadline": m.deadline, "status": m.status})).collect::<Vec<_>>()})
            })
            .collect()
    });
    let doc = &x.d.doc;
    let body = json!({
        "controller": {"name": x.org_name, "org_number": x.org_number},
        "processings": processings,
        "dpia": {"id": x.d.stored.id, "title": doc.title, "state": x.d.stored.state, "version": x.d.stored.version,
            "description": doc.description, "purpose": doc.purpose, "necessity": doc.necessity,
            "risks": doc.risks, "measures": doc.measures, "risk_assessment_id": doc.assessment_id,
            "events": risks, "dpo_advice": doc.dpo_advice, "decision": doc.decision},
        "prior_consultation_required": x.d.needs_consultation,
        "consultation": doc.consultation,
    });
    json_file(&body, &format!("forhandsdrofting-{}", x.d.stored.id))
}

/// The pages of this family.
pub fn routes(r: crate::route::Routes) -> crate::route::Routes {
    r.get("/risk/dpia", list)
        .post("/risk/dpia", start)
        .get("/risk/dpia/{id}", show)
        .post("/risk/dpia/{id}", save)
        .post("/risk/dpia/{id}/step", step)
        .post("/risk/dpia/{id}/consultation", consult)
        .get("/risk/dpia/{id}/consultation", consultation)
        .get("/risk/dpia/{id}/consultation.json", consultation_json)
}
