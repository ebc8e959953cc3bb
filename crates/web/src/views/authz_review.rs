//! `/authz/reviews`: access reviews (Normen 5.2.3). The security lead or top management starts
//! the yearly campaign (or one after a breach, for the systems it touched); a transfer raises one
//! by itself. Each manager answers keep, revoke or change for the people of their units; the
//! answers apply to the register; a completed campaign is frozen, with its report and exports as
//! evidence for the self-assessment and the security audit.

use super::authz::{granter, has, record_read, refused, system_rights, value, Names};
use super::{render_status, Entered, FormErrors, Page};
use crate::auth::Member;
use crate::error::PageError;
use crate::spreadsheet::{json_file, table_file};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use normverk_app::access_review::{Reply, Start};
use normverk_app::authz::AuthzError;
use normverk_core::access_review::{Decision, Kind};
use normverk_core::authz::{Grant, Right};
use normverk_core::org::{Action, Role};
use normverk_store::access_review::{Line, Review, Share};

/// The deviations a campaign after a breach can be started from: (id, "number: title").
async fn deviations(state: &AppState, member: &Member) -> Result<Vec<(i64, String)>, PageError> {
    let all = normverk_store::deviation::Visible::All;
    Ok(state
        .store
        .deviations(member.org.id, &all, 200, 0)
        .await?
        .into_iter()
        .map(|d| (d.id, format!("{}: {}", d.number, d.title)))
        .collect())
}

#[derive(Template)]
#[template(path = "authz_reviews.html")]
struct ListPage<'a> {
    page: &'a Page,
    reviews: Vec<Review>,
    yearly_due: bool,
    months: i64,
    may_start: bool,
    deviations: Vec<(i64, String)>,
    names: Names,
    errors: FormErrors,
    entered: Entered,
    fields: Vec<(String, String)>,
    overdue: Vec<i64>,
}

impl ListPage<'_> {
    pub fn kind(&self, r: &Review) -> String {
        self.page.named("review-kind", &r.kind)
    }
    pub fn is_overdue(&self, r: &Review) -> bool {
        self.overdue.contains(&r.id)
    }
    pub fn system_checked(&self, id: impl super::Plain<i64>) -> bool {
        has(&self.fields, "systems", &id.plain().to_string())
    }
}

async fn list_page(
    state: &AppState,
    page: &Page,
    member: &Member,
    errors: FormErrors,
    fields: Vec<(String, String)>,
) -> Result<Response, PageError> {
    member.require(Action::ReadAuthorisations)?;
    let org = member.org.id;
    let reviews = state.store.reviews(org).await?;
    let reviews_svc = &state.app.reviews;
    let overdue = reviews.iter().filter(|r| reviews_svc.overdue(r)).map(|r| r.id).collect();
    let may_start = member.may(Action::StartAccessReviews);
    let t = ListPage {
        page,
        yearly_due: reviews_svc.yearly_due(org, &reviews).await?,
        months: reviews_svc.months(org).await?,
        deviations: if may_start { deviations(state, member).await? } else { Vec::new() },
        names: Names { systems: state.store.systems(org).await?, units: Vec::new() },
        reviews,
        may_start,
        errors,
        entered: Entered::from(&fields),
        fields,
        overdue,
    };
    let status = if t.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(status, &t)
}

pub async fn list(State(state): State<AppState>, page: Page, member: Member) -> Result<Response, PageError> {
    list_page(&state, &page, &member, FormErrors::default(), Vec::new()).await
}

/// A campaign started: yearly, or after a breach for the systems chosen.
pub async fn start(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    member.require(Action::StartAccessReviews)?;
    let kind = if value(&fields, "kind") == Kind::Breach.as_str() { Kind::Breach } else { Kind::Yearly };
    let s = Start {
        kind,
        title: value(&fields, "title").into(),
        deadline: value(&fields, "deadline").into(),
        deviation_id: value(&fields, "deviation_id").parse().ok(),
        systems: fields.iter().filter(|(k, _)| k == "systems").filter_map(|(_, v)| v.trim().parse().ok()).collect(),
        person_id: None,
    };
    match state.app.reviews.start(member.org.id, &s, Some(member.viewer.user.id)).await {
        Ok(Some(id)) => Ok(Redirect::to(&format!("/authz/reviews/{id}")).into_response()),
        Ok(None) => {
            let mut errors = FormErrors::default();
            errors.add("state", page.t("review-nothing"));
            list_page(&state, &page, &member, errors, fields).await
        }
        Err(e) => {
            let errors = refused(&page, e)?;
            list_page(&state, &page, &member, errors, fields).await
        }
    }
}

/// How many months apart the yearly review is due.
pub async fn settings(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    member.require(Action::StartAccessReviews)?;
    let months = value(&fields, "review_months").parse().unwrap_or(0);
    match state.app.reviews.set_months(member.org.id, months).await {
        Ok(()) => Ok(Redirect::to("/authz/reviews").into_response()),
        Err(e) => {
            let errors = refused(&page, e)?;
            list_page(&state, &page, &member, errors, fields).await
        }
    }
}

/// `?manager=` the share shown: a user's id, or `none` for the lines without a manager.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ShareQuery {
    #[serde(default)]
    manager: Option<String>,
}

#[derive(Template)]
#[template(path = "authz_review.html")]
struct ReviewPage<'a> {
    page: &'a Page,
    r: Review,
    shares: Vec<Share>,
    /// The share shown.
    chosen: Option<Option<i64>>,
    lines: Vec<Line>,
    names: Names,
    rights: &'static [Right],
    overdue: bool,
    user_id: i64,
    security_lead: bool,
    /// The line a refused answer was for, with its fields.
    failed: Option<i64>,
    fields: Vec<(String, String)>,
    errors: FormErrors,
}

impl ReviewPage<'_> {
    pub fn kind(&self) -> String {
        self.page.named("review-kind", &self.r.kind)
    }
    pub fn rights_of(&self, g: &Grant) -> String {
        self.names.rights(self.page, g)
    }
    pub fn unit(&self, id: impl super::Plain<Option<i64>>) -> String {
        self.names.unit(id.plain())
    }
    pub fn system(&self, id: impl super::Plain<i64>) -> String {
        let id = id.plain();
        self.names.systems.iter().find(|s| s.id == id).map_or_else(|| "?".into(), |s| s.name.clone())
    }
    pub fn may_answer(&self, l: &Line) -> bool {
        self.r.closed_at.is_none()
            && l.decision.is_empty()
            && (self.security_lead || l.manager_id == Some(self.user_id))
    }
    pub fn decision(&self, l: &Line) -> String {
        self.page.named("review-decision", &l.decision)
    }
    pub fn share_name(&self, s: &Share) -> String {
        s.manager_name.clone().unwrap_or_else(|| self.page.t("review-no-manager"))
    }
    pub fn share_key(&self, s: &Share) -> String {
        s.manager_id.map_or_else(|| "none".into(), |m| m.to_string())
    }
    pub fn is_chosen(&self, s: &Share) -> bool {
        self.chosen == Some(s.manager_id)
    }
    pub fn failed_on(&self, l: &Line) -> bool {
        self.failed == Some(l.id)
    }
    /// Whether line `l`'s change form has `right` in `system`: as entered, or as granted.
    pub fn checked(&self, l: &Line, system: impl super::Plain<i64>, right: &Right) -> bool {
        let system = system.plain();
        if self.failed == Some(l.id) {
            return has(&self.fields, &format!("s{system}"), right.as_str());
        }
        l.grant.systems.iter().any(|s| s.system_id == system && s.rights.contains(right))
    }
    pub fn chose(&self, l: &Line, decision: &str) -> bool {
        self.failed == Some(l.id) && value(&self.fields, "decision") == decision
    }
    pub fn entered_reason(&self, l: &Line) -> String {
        if self.failed == Some(l.id) {
            value(&self.fields, "reason").to_string()
        } else {
            String::new()
        }
    }
}

/// A refused answer: the line, the fields as sent, what was wrong.
type Refused = (i64, Vec<(String, String)>, FormErrors);

fn chosen_share(q: &ShareQuery, shares: &[Share], user_id: i64) -> Option<Option<i64>> {
    match q.manager.as_deref().map(str::trim) {
        Some("none") => Some(None),
        Some(m) => m.parse().ok().map(Some),
        None if shares.iter().any(|s| s.manager_id == Some(user_id)) => Some(Some(user_id)),
        None => shares.first().map(|s| s.manager_id),
    }
}

async fn review_page(
    state: &AppState,
    page: &Page,
    member: &Member,
    id: i64,
    q: &ShareQuery,
    refused: Option<Refused>,
) -> Result<Response, PageError> {
    let (failed, fields, errors) = match refused {
        Some((line, fields, errors)) => (Some(line), fields, errors),
        None => (None, Vec::new(), FormErrors::default()),
    };
    member.require(Action::ReadAuthorisations)?;
    let org = member.org.id;
    let r = state.store.review(org, id).await?;
    record_read(state, member, None).await?;
    let shares = state.store.review_shares(org, id).await?;
    let chosen = chosen_share(q, &shares, member.viewer.user.id);
    let lines = match chosen {
        Some(share) => state.store.review_lines(org, id, Some(share)).await?,
        None => Vec::new(),
    };
    let t = ReviewPage {
        page,
        overdue: state.app.reviews.overdue(&r),
        r,
        shares,
        chosen,
        lines,
        names: Names { systems: state.store.systems(org).await?, units: state.store.units(org).await? },
        rights: Right::ALL,
        user_id: member.viewer.user.id,
        security_lead: member.roles.contains(&Role::SecurityLead),
        failed,
        fields,
        errors,
    };
    let status = if t.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(status, &t)
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Query(q): Query<ShareQuery>,
) -> Result<Response, PageError> {
    review_page(&state, &page, &member, id, &q, None).await
}

/// A manager's answer about one line: keep, revoke or change (with a reason, and for a change
/// the rights per system), applied to the register.
pub async fn answer(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path((id, line)): Path<(i64, i64)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let org = member.org.id;
    let l = state.store.review_line(org, id, line).await?;
    member.require(Action::GrantAuthorisations)?;
    let by = granter(&state, &member).await?;
    let share = l.manager_id.map_or_else(|| "none".to_string(), |m| m.to_string());
    let decision = value(&fields, "decision").parse::<Decision>();
    let outcome = match decision {
        Err(_) => Err(AuthzError::Invalid(vec![normverk_core::problem::Problem::new(
            "decision",
            normverk_core::problem::ProblemKey::Required,
            "keep, revoke or change",
        )])),
        Ok(decision) => {
            let systems = state.store.systems(org).await?;
            let new = (decision == Decision::Change).then(|| system_rights(&fields, &systems));
            let reply = Reply { decision, reason: value(&fields, "reason").into(), systems: new };
            state.app.reviews.answer(org, id, line, reply, &by).await
        }
    };
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!("/authz/reviews/{id}?manager={share}#line-{line}")).into_response()),
        Err(e) => {
            let errors = refused(&page, e)?;
            let q = ShareQuery { manager: Some(share) };
            review_page(&state, &page, &member, id, &q, Some((line, fields, errors))).await
        }
    }
}

#[derive(Template)]
#[template(path = "authz_review_report.html")]
struct ReportPage<'a> {
    page: &'a Page,
    r: Review,
    lines: Vec<Line>,
    names: Names,
}

impl ReportPage<'_> {
    pub fn kind(&self) -> String {
        self.page.named("review-kind", &self.r.kind)
    }
    pub fn rights_of(&self, g: &Grant) -> String {
        self.names.rights(self.page, g)
    }
    pub fn unit(&self, id: impl super::Plain<Option<i64>>) -> String {
        self.names.unit(id.plain())
    }
    pub fn decision(&self, l: &Line) -> String {
        self.page.named("review-decision", &l.decision)
    }
}

/// The whole campaign on one printable page, as evidence.
pub async fn report(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    member.require(Action::ReadAuthorisations)?;
    let org = member.org.id;
    let r = state.store.review(org, id).await?;
    record_read(&state, &member, None).await?;
    let t = ReportPage {
        page: &page,
        lines: state.store.review_lines(org, id, None).await?,
        names: Names { systems: state.store.systems(org).await?, units: state.store.units(org).await? },
        r,
    };
    render_status(StatusCode::OK, &t)
}

const COLUMNS: [&str; 10] = [
    "Person",
    "Ansattnummer",
    "Enhet",
    "Rolle",
    "Formål",
    "Rettigheter per system",
    "Leder",
    "Svar",
    "Begrunnelse",
    "Besvart",
];

async fn export(state: &AppState, page: &Page, member: &Member, id: i64, ext: &str) -> Result<Response, PageError> {
    member.require(Action::ReadAuthorisations)?;
    let org = member.org.id;
    let r = state.store.review(org, id).await?;
    record_read(state, member, None).await?;
    let lines = state.store.review_lines(org, id, None).await?;
    let names = Names { systems: state.store.systems(org).await?, units: state.store.units(org).await? };
    let stem = format!("tilgangskontroll-{id}");
    let answered = |l: &Line| l.decided_at.map(|at| page.datetime(at)).unwrap_or_default();
    if ext == "json" {
        let body: Vec<serde_json::Value> = lines
            .iter()
            .map(|l| {
                serde_json::json!({
                    "person_id": l.person_id, "person": l.person_name, "employee_id": l.employee_id,
                    "unit": names.unit(l.unit_id), "authorisation_id": l.authorisation_id, "grant": l.grant,
                    "manager": l.manager_name, "decision": l.decision, "reason": l.reason,
                    "decided_by": l.decided_by, "decided_at": l.decided_at,
                })
            })
            .collect();
        let head = serde_json::json!({
            "id": r.id, "kind": r.kind, "title": r.title, "deadline": r.deadline, "created_at": r.created_at,
            "closed_at": r.closed_at, "total": r.total, "answered": r.answered, "lines": body,
        });
        return json_file(&head, &format!("{stem}.json"));
    }
    let table: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            vec![
                l.person_name.clone(),
                l.employee_id.clone(),
                names.unit(l.unit_id),
                l.grant.role.clone(),
                l.grant.purpose.clone(),
                names.rights(page, &l.grant),
                l.manager_name.clone().unwrap_or_else(|| page.t("review-no-manager")),
                if l.decision.is_empty() {
                    page.t("review-unanswered")
                } else {
                    page.named("review-decision", &l.decision)
                },
                l.reason.clone(),
                answered(l),
            ]
        })
        .collect();
    let rows: Vec<&[String]> = table.iter().map(Vec::as_slice).collect();
    let widths = [24.0, 14.0, 20.0, 18.0, 30.0, 40.0, 20.0, 14.0, 30.0, 18.0];
    table_file(ext, &COLUMNS, &rows, &widths, "Tilgangskontroll", &stem)
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    export(&state, &page, &member, id, "xlsx").await
}

pub async fn export_csv(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    export(&state, &page, &member, id, "csv").await
}

pub async fn export_json(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    export(&state, &page, &member, id, "json").await
}

/// The pages of this family.
pub fn routes(r: crate::route::Routes) -> crate::route::Routes {
    r.get("/authz/reviews", list)
        .post("/authz/reviews", start)
        .post("/authz/reviews/settings", settings)
        .get("/authz/reviews/{id}", show)
        .get("/authz/reviews/{id}/report", report)
        .get("/authz/reviews/{id}/export.xlsx", export_xlsx)
        .get("/authz/reviews/{id}/export.csv", export_csv)
        .get("/authz/reviews/{id}/export.json", export_json)
        .post("/authz/reviews/{id}/lines/{line}", answer)
}
