//! `/risk` and `/risk/register`: the overview (heat maps of the risks in force, the
//! assessments, starting one) and the register of unwanted events across assessments, filtered
//! by system, processing, level, measure owner and overdue measures, as a page and as XLSX, CSV
//! and JSON.

use super::{heat_maps, level, Level};
use crate::auth::Member;
use crate::chart::HeatMap;
use crate::error::PageError;
use crate::spreadsheet::{json_file, table_file};
use crate::views::{render, render_status, Entered, FormErrors, Page, PageQuery, Plain};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use normverk_app::risk::{Register, Row};
use normverk_core::org::Action;
use normverk_core::risk::{Reason, Standing, State as RiskState};
use normverk_store::risk::{RiskAssessment, Targets};
use normverk_store::Named;
use serde_json::json;
use std::collections::HashMap;

/// Events per page of the register.
const PAGE_SIZE: usize = 100;

/// The register's filters as the query gives them.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Filter {
    #[serde(default)]
    system: Option<String>,
    #[serde(default)]
    processing: Option<String>,
    #[serde(default)]
    level: Option<String>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    overdue: Option<String>,
    /// Also events of assessments a later approved one replaced.
    #[serde(default)]
    all: Option<String>,
}

fn number<T: std::str::FromStr>(v: &Option<String>) -> Option<T> {
    v.as_deref().and_then(|v| v.trim().parse().ok())
}

impl Filter {
    pub fn system(&self) -> Option<i64> {
        number(&self.system)
    }
    pub fn processing(&self) -> Option<i64> {
        number(&self.processing)
    }
    pub fn level(&self) -> Option<usize> {
        number(&self.level)
    }
    pub fn is_system(&self, id: impl Plain<i64>) -> bool {
        self.system() == Some(id.plain())
    }
    pub fn is_processing(&self, id: impl Plain<i64>) -> bool {
        self.processing() == Some(id.plain())
    }
    pub fn is_level(&self, l: impl Plain<usize>) -> bool {
        self.level() == Some(l.plain())
    }
    pub fn owner(&self) -> &str {
        self.owner.as_deref().map_or("", str::trim)
    }
    pub fn overdue(&self) -> bool {
        self.overdue.as_deref().is_some_and(|v| !v.is_empty())
    }
    pub fn all(&self) -> bool {
        self.all.as_deref().is_some_and(|v| !v.is_empty())
    }

    fn matches(&self, r: &Row) -> bool {
        let owner = self.owner().to_lowercase();
        (self.all() || r.current)
            && self.system().is_none_or(|s| r.systems.contains(&s))
            && self.processing().is_none_or(|p| r.processings.contains(&p))
            && self.level().is_none_or(|l| r.remaining == Some(l))
            && (owner.is_empty() || r.event.measures.iter().any(|m| m.owner.to_lowercase().contains(&owner)))
            && (!self.overdue() || r.overdue > 0)
    }

    /// The query that gives these filters, for the pager and the export links.
    pub fn query(&self) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("system", &self.system),
            ("processing", &self.processing),
            ("level", &self.level),
            ("owner", &self.owner),
            ("overdue", &self.overdue),
            ("all", &self.all),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k, v.as_deref().map(str::trim).filter(|v| !v.is_empty())?)))
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// The counts the overview shows above the heat maps.
#[derive(Default)]
pub struct Counts {
    pub open: usize,
    pub accepted: usize,
    pub acceptable: usize,
    pub unscored: usize,
    pub overdue: usize,
}

fn counts<'a>(rows: impl Iterator<Item = &'a Row>) -> Counts {
    let mut c = Counts::default();
    for r in rows {
        match r.standing {
            Standing::Open => c.open += 1,
            Standing::Accepted => c.accepted += 1,
            Standing::Acceptable => c.acceptable += 1,
            Standing::Unscored => c.unscored += 1,
        }
        c.overdue += r.overdue;
    }
    c
}

/// An assessment in the overview's list.
pub struct Listed {
    pub a: RiskAssessment,
    pub events: usize,
    pub open: usize,
}

#[derive(Template)]
#[template(path = "risk.html")]
struct OverviewPage<'a> {
    page: &'a Page,
    counts: Counts,
    inherent: HeatMap,
    remaining: HeatMap,
    assessments: Vec<Listed>,
    reasons: Vec<&'static str>,
    may_assess: bool,
    errors: FormErrors,
    entered: Entered,
}

impl OverviewPage<'_> {
    /// The approved assessments a new one may start from, newest first.
    pub fn approved(&self) -> impl Iterator<Item = &Listed> {
        self.assessments.iter().filter(|l| l.a.state == RiskState::Approved)
    }
}

pub async fn overview(State(state): State<AppState>, page: Page, member: Member) -> Result<Response, PageError> {
    overview_page(&state, &page, &member, FormErrors::default(), Entered::default()).await
}

/// The overview, with the new assessment's form as entered and what was wrong with it.
pub async fn overview_page(
    state: &AppState,
    page: &Page,
    member: &Member,
    errors: FormErrors,
    entered: Entered,
) -> Result<Response, PageError> {
    let register = state.app.risk.register(member.org.id).await?;
    let current: Vec<&Row> = register.rows.iter().filter(|r| r.current).collect();
    let heat = register.heat(current.iter().copied());
    let (inherent, remaining) = heat_maps(&heat, &register.matrix.matrix);
    let mut per: HashMap<i64, (usize, usize)> = HashMap::new();
    for r in &register.rows {
        let e = per.entry(r.assessment_id).or_default();
        e.0 += 1;
        e.1 += usize::from(r.standing == Standing::Open);
    }
    let assessments = state
        .store
        .risk_assessments(member.org.id)
        .await?
        .into_iter()
        .map(|a| {
            let (events, open) = per.get(&a.id).copied().unwrap_or_default();
            Listed { a, events, open }
        })
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(
        status,
        &OverviewPage {
            page,
            counts: counts(current.into_iter()),
            inherent,
            remaining,
            assessments,
            reasons: Reason::ALL.iter().map(|r| r.as_str()).collect(),
            may_assess: member.may(Action::AssessRisk),
            errors,
            entered,
        },
    )
}

/// A register row as the page draws it.
pub struct Line<'a> {
    pub row: &'a Row,
    pub inherent: Option<Level>,
    pub remaining: Option<Level>,
}

impl Line<'_> {
    pub fn standing(&self) -> &'static str {
        standing_code(self.row.standing)
    }
}

#[derive(Template)]
#[template(path = "risk_register.html")]
struct RegisterPage<'a> {
    page: &'a Page,
    register: &'a Register,
    filter: Filter,
    targets: Targets,
    lines: Vec<Line<'a>>,
    total: usize,
    inherent: HeatMap,
    remaining: HeatMap,
    off_scale: usize,
    page_no: usize,
    more: bool,
}

impl RegisterPage<'_> {
    pub fn pager_path(&self) -> String {
        format!("/risk/register?{}", self.filter.query())
    }
}

pub async fn register(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Query(filter): Query<Filter>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let register = state.app.risk.register(member.org.id).await?;
    let rows: Vec<&Row> = register.rows.iter().filter(|r| filter.matches(r)).collect();
    let heat = register.heat(rows.iter().copied());
    let (inherent, remaining) = heat_maps(&heat, &register.matrix.matrix);
    let page_no = q.number();
    let start = (page_no - 1).saturating_mul(PAGE_SIZE);
    let lines = rows
        .iter()
        .skip(start)
        .take(PAGE_SIZE)
        .map(|r| {
            let m = register.matrix_of(r);
            Line { row: r, inherent: level(m, r.inherent), remaining: level(m, r.remaining) }
        })
        .collect();
    let targets = state.store.risk_targets(member.org.id).await?;
    render(&RegisterPage {
        page: &page,
        register: &register,
        targets,
        lines,
        total: rows.len(),
        inherent,
        remaining,
        off_scale: heat.off_scale,
        more: rows.len() > start.saturating_add(PAGE_SIZE),
        page_no,
        filter,
    })
}

/// The names of `ids` among `named`, joined.
pub(super) fn names(ids: &[i64], named: &[Named]) -> String {
    ids.iter()
        .filter_map(|id| named.iter().find(|n| n.id == *id))
        .map(|n| n.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The export's columns.
const COLUMNS: [&str; 19] = [
    "Risikovurdering",
    "Status",
    "Hendelse",
    "Trussel",
    "Beskrivelse",
    "Konfidensialitet",
    "Integritet",
    "Tilgjengelighet",
    "Personvern",
    "Sannsynlighet",
    "Begrunnelse",
    "Risiko før tiltak",
    "Risiko etter tiltak",
    "Vurdering mot akseptkriteriene",
    "Akseptert til",
    "Tiltak",
    "Forfalte tiltak",
    "Systemer",
    "Behandlinger",
];

async fn export(
    state: &AppState,
    page: &Page,
    member: &Member,
    filter: &Filter,
    ext: &str,
) -> Result<Response, PageError> {
    let register = state.app.risk.register(member.org.id).await?;
    let targets = state.store.risk_targets(member.org.id).await?;
    let threats = state.app.risk.threats(member.org.id).await?;
    let rows: Vec<&Row> = register.rows.iter().filter(|r| filter.matches(r)).collect();
    let stem = format!("risikoregister-{}", member.org.org_number);
    let level_name = |r: &Row, l: Option<usize>| level(register.matrix_of(r), l).map(|l| l.label).unwrap_or_default();
    let step = |v: Option<u8>| v.map(|v| v.to_string()).unwrap_or_default();
    let measure = |m: &normverk_core::risk::Measure| {
        let mut s = m.description.clone();
        let mut details: Vec<String> = Vec::new();
        if !m.owner.is_empty() {
            details.push(m.owner.clone());
        }
        if !m.deadline.is_empty() {
            details.push(m.deadline.clone());
        }
        details.push(page.named("risk-measure-status", m.status.as_str()));
        s.push_str(&format!(" ({})", details.join(", ")));
        s
    };
    if ext == "json" {
        let body: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                json!({
                    "assessment_id": r.assessment_id, "assessment": r.assessment_title, "state": r.state,
                    "event": r.event, "inherent_level": level_name(r, r.inherent),
                    "remaining_level": level_name(r, r.remaining), "standing": r.standing,
                    "overdue_measures": r.overdue, "systems": r.systems, "processings": r.processings,
                })
            })
            .collect();
        return json_file(&json!({"date": register.today.to_string(), "events": body}), &format!("{stem}.json"));
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let e = &r.event;
            let threat = threats.iter().find(|t| t.code == e.threat).map_or("", |t| t.title.as_str());
            vec![
                r.assessment_title.clone(),
                page.named("risk-state", r.state.as_str()),
                e.title.clone(),
                threat.to_string(),
                e.description.clone(),
                step(e.consequence.confidentiality),
                step(e.consequence.integrity),
                step(e.consequence.availability),
                step(e.consequence.privacy),
                step(e.likelihood),
                e.reasoning.clone(),
                level_name(r, r.inherent),
                level_name(r, r.remaining),
                page.named("risk-standing", standing_code(r.standing)),
                e.acceptance.as_ref().map(|a| a.expires_on.clone()).unwrap_or_default(),
                e.measures.iter().map(measure).collect::<Vec<_>>().join("\n"),
                r.overdue.to_string(),
                names(&r.systems, &targets.systems),
                names(&r.processings, &targets.processings),
            ]
        })
        .collect();
    let rows: Vec<&[String]> = table.iter().map(Vec::as_slice).collect();
    let mut widths = vec![14.0; COLUMNS.len()];
    for (i, w) in [(0, 30.0), (2, 30.0), (3, 24.0), (4, 40.0), (10, 40.0), (15, 50.0), (17, 24.0), (18, 24.0)] {
        widths[i] = w;
    }
    table_file(ext, &COLUMNS, &rows, &widths, "Risikoregister", &stem)
}

/// A standing's code, as messages and exports name it.
pub fn standing_code(s: Standing) -> &'static str {
    match s {
        Standing::Unscored => "unscored",
        Standing::Acceptable => "acceptable",
        Standing::Accepted => "accepted",
        Standing::Open => "open",
    }
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Query(filter): Query<Filter>,
) -> Result<Response, PageError> {
    export(&state, &page, &member, &filter, "xlsx").await
}

pub async fn export_csv(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Query(filter): Query<Filter>,
) -> Result<Response, PageError> {
    export(&state, &page, &member, &filter, "csv").await
}

pub async fn export_json(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Query(filter): Query<Filter>,
) -> Result<Response, PageError> {
    export(&state, &page, &member, &filter, "json").await
}
