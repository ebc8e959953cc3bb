//! `/authz`: the authorization register (Normen 5.2.1.1) — every authorisation with its rights
//! per system, the people it is about, and each person's page where the manager of their unit
//! (or the security lead) grants and revokes, with the history of every change. Every read and
//! change by a person is written to the tamper-evident access log.

use super::{render_status, Entered, FormErrors, Page, Plain};
use crate::auth::Member;
use crate::error::PageError;
use crate::AppState;
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use normverk_app::authz::{AuthzError, Granter};
use normverk_core::authz::PersonIn;
use normverk_core::authz::{Grant, OtherEnterprise, Right, SystemRights, Template as RoleTemplate};
use normverk_core::org::{Action, Role};
use normverk_store::authz::{Authorisation, AuthzEvent, Person, RegisterFilter, RegisterRow, StoredTemplate};
use normverk_store::org::Unit;
use normverk_store::system::System;

pub(super) fn value<'a>(fields: &'a [(String, String)], key: &str) -> &'a str {
    fields.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.trim())
}

pub(super) fn has(fields: &[(String, String)], key: &str, v: &str) -> bool {
    fields.iter().any(|(k, x)| k == key && x.trim() == v)
}

/// The member as the register knows who grants, without the units they manage.
fn granter_unscoped(member: &Member) -> Granter {
    Granter {
        user_id: member.viewer.user.id,
        name: member.viewer.user.display_name.clone(),
        roles: member.logged_roles(),
        security_lead: member.roles.contains(&Role::SecurityLead),
        managed_units: Vec::new(),
    }
}

/// The member as the register knows who grants: the security lead, or the units they manage.
pub(super) async fn granter(state: &AppState, member: &Member) -> Result<Granter, PageError> {
    let managed_units = state.app.authz.managed_units(member.org.id, member.viewer.user.id).await?;
    Ok(Granter { managed_units, ..granter_unscoped(member) })
}

/// Writes the member's read of the register to the access log; a failure fails the request.
pub(super) async fn record_read(state: &AppState, member: &Member, person: Option<i64>) -> Result<(), PageError> {
    match state.app.authz.record_read(member.org.id, person, &member.accessor()).await {
        Ok(()) => Ok(()),
        Err(AuthzError::Store(e)) => Err(e.into()),
        Err(e) => Err(PageError::Internal(format!("recording the register's read: {e}"))),
    }
}

/// What a refused change means for the form; anything else is the page's error.
pub(super) fn refused(page: &Page, e: AuthzError) -> Result<FormErrors, PageError> {
    match e {
        AuthzError::Invalid(problems) => Ok(FormErrors::of(page, problems)),
        AuthzError::NotTheirManager => Err(PageError::Forbidden),
        AuthzError::Store(normverk_store::StoreError::NotFound) => Err(PageError::NotFound),
        AuthzError::Store(normverk_store::StoreError::Rejected(r)) => {
            let mut errors = FormErrors::default();
            errors.add("state", page.rejection(&r));
            Ok(errors)
        }
        AuthzError::Log(why) => Err(PageError::Internal(format!("the register's access-log entry: {why}"))),
        AuthzError::Store(e) => Err(e.into()),
    }
}

/// Names and rights as the pages show them.
pub(super) struct Names {
    pub(super) systems: Vec<System>,
    pub(super) units: Vec<Unit>,
}

impl Names {
    pub(super) async fn load(state: &AppState, member: &Member) -> Result<Names, PageError> {
        let org = member.org.id;
        Ok(Names { systems: state.store.systems(org).await?, units: state.store.units(org).await? })
    }

    pub(super) fn unit(&self, id: Option<i64>) -> String {
        id.and_then(|id| self.units.iter().find(|u| u.id == id)).map_or_else(|| "–".into(), |u| u.name.clone())
    }

    pub(super) fn rights(&self, page: &Page, g: &Grant) -> String {
        g.systems
            .iter()
            .filter(|s| !s.rights.is_empty())
            .map(|s| {
                let name = self.systems.iter().find(|x| x.id == s.system_id).map_or("?", |x| x.name.as_str());
                let rights: Vec<String> = s.rights.iter().map(|r| page.named("authz-right", r.as_str())).collect();
                let glass =
                    if s.break_glass { format!(" ({})", page.t("authz-break-glass-short")) } else { String::new() };
                format!("{name}: {}{glass}", rights.join(", "))
            })
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

/// How many authorisations, and people, one page of the register shows.
const PER_PAGE: i64 = 50;

/// The register's filters: a person's name or employee number, a unit, a system, the state;
/// and the page.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct RegisterQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    system: String,
    /// `standing` or `revoked`; empty for both.
    #[serde(default)]
    state: String,
    #[serde(default)]
    page: Option<String>,
}

impl RegisterQuery {
    fn filter(&self) -> RegisterFilter {
        RegisterFilter {
            q: self.q.trim().chars().take(200).collect(),
            unit_id: self.unit.trim().parse().ok(),
            system_id: self.system.trim().parse().ok(),
            revoked: match self.state.trim() {
                "standing" => Some(false),
                "revoked" => Some(true),
                _ => None,
            },
        }
    }

    fn page_no(&self) -> i64 {
        self.page.as_deref().and_then(|p| p.trim().parse().ok()).filter(|p| (1..=100_000).contains(p)).unwrap_or(1)
    }

    /// The page's address with these filters, for the pager.
    pub fn path(&self) -> String {
        let pairs = [
            ("q", self.q.trim()),
            ("unit", self.unit.trim()),
            ("system", self.system.trim()),
            ("state", self.state.trim()),
        ];
        let kept: Vec<(&str, &str)> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        match serde_urlencoded::to_string(kept) {
            Ok(q) if !q.is_empty() => format!("/authz?{q}"),
            _ => "/authz".into(),
        }
    }
}

#[derive(Template)]
#[template(path = "authz.html")]
struct RegisterPage<'a> {
    page: &'a Page,
    rows: Vec<RegisterRow>,
    people: Vec<Person>,
    names: Names,
    today: String,
    /// People whose last day has passed and who still hold an authorisation not revoked.
    leavers: Vec<Person>,
    may_grant: bool,
    may_import: bool,
    errors: FormErrors,
    entered: Entered,
    query: RegisterQuery,
    page_no: i64,
    more: bool,
}

impl RegisterPage<'_> {
    pub fn rights(&self, g: &Grant) -> String {
        self.names.rights(self.page, g)
    }
    pub fn unit(&self, id: impl Plain<Option<i64>>) -> String {
        self.names.unit(id.plain())
    }
    pub fn in_force(&self, a: &Authorisation) -> bool {
        normverk_core::assessment::Date::parse(&self.today)
            .is_some_and(|today| normverk_core::authz::in_force(&a.grant, a.revoked, today))
    }
    pub fn chosen(&self, key: &str, value: impl std::fmt::Display) -> bool {
        let v = value.to_string();
        match key {
            "unit" => self.query.unit.trim() == v,
            "system" => self.query.system.trim() == v,
            _ => self.query.state.trim() == v,
        }
    }
}

async fn register_page(
    state: &AppState,
    page: &Page,
    member: &Member,
    query: RegisterQuery,
    errors: FormErrors,
    entered: Entered,
) -> Result<Response, PageError> {
    member.require(Action::ReadAuthorisations)?;
    record_read(state, member, None).await?;
    let org = member.org.id;
    let page_no = query.page_no();
    let filter = query.filter();
    let mut rows = state.store.register_page(org, &filter, PER_PAGE + 1, (page_no - 1) * PER_PAGE).await?;
    let more = rows.len() as i64 > PER_PAGE;
    rows.truncate(PER_PAGE as usize);
    let today = state.app.authz.today();
    let t = RegisterPage {
        page,
        rows,
        people: state.store.people_page(org, &filter.q, PER_PAGE, 0).await?,
        names: Names::load(state, member).await?,
        leavers: state.store.leavers(org, &today).await?,
        today,
        may_grant: member.may(Action::GrantAuthorisations),
        may_import: member.may(Action::ManageRoleTemplates),
        errors,
        entered,
        query,
        page_no,
        more,
    };
    let status = if t.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(status, &t)
}

pub async fn register(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Query(query): Query<RegisterQuery>,
) -> Result<Response, PageError> {
    register_page(&state, &page, &member, query, FormErrors::default(), Entered::default()).await
}

/// A person added to the register.
pub async fn add_person(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    member.require(Action::GrantAuthorisations)?;
    let p = PersonIn {
        name: value(&fields, "name").into(),
        employee_id: value(&fields, "employee_id").into(),
        hpr: value(&fields, "hpr").into(),
        enterprise: value(&fields, "enterprise").into(),
        unit_id: value(&fields, "unit_id").parse().ok(),
        ends_on: value(&fields, "ends_on").into(),
        ..PersonIn::default()
    };
    let by = granter(&state, &member).await?;
    match state.app.authz.add_person(member.org.id, &member.org.org_number, p, &by).await {
        Ok(id) => Ok(Redirect::to(&format!("/authz/people/{id}")).into_response()),
        Err(AuthzError::Store(normverk_store::StoreError::Rejected(_))) => {
            let mut errors = FormErrors::default();
            errors.add("unit_id", page.t("authz-no-such-unit"));
            register_page(&state, &page, &member, RegisterQuery::default(), errors, Entered::from(&fields)).await
        }
        Err(e) => {
            let errors = refused(&page, e)?;
            register_page(&state, &page, &member, RegisterQuery::default(), errors, Entered::from(&fields)).await
        }
    }
}

#[derive(Template)]
#[template(path = "authz_person.html")]
struct PersonPage<'a> {
    page: &'a Page,
    p: Person,
    rows: Vec<Authorisation>,
    history: Vec<AuthzEvent>,
    names: Names,
    today: String,
    rights: &'static [Right],
    templates: Vec<StoredTemplate>,
    /// The IAM's groups the person is in, each with the role template of the same name.
    groups: Vec<(String, Option<i64>)>,
    may_grant: bool,
    errors: FormErrors,
    entered: Entered,
    /// The form's fields as entered or taken from a template, for the check boxes (several
    /// values per key).
    fields: Vec<(String, String)>,
}

impl PersonPage<'_> {
    pub fn rights_of(&self, g: &Grant) -> String {
        self.names.rights(self.page, g)
    }
    pub fn unit(&self) -> String {
        self.names.unit(self.p.unit_id)
    }
    pub fn checked(&self, system: impl Plain<i64>, right: &Right) -> bool {
        has(&self.fields, &format!("s{}", system.plain()), right.as_str())
    }
    pub fn glass(&self, system: impl Plain<i64>) -> bool {
        has(&self.fields, &format!("g{}", system.plain()), "1")
    }
    pub fn in_force(&self, a: &Authorisation) -> bool {
        normverk_core::assessment::Date::parse(&self.today)
            .is_some_and(|today| normverk_core::authz::in_force(&a.grant, a.revoked, today))
    }
    pub fn v(&self, key: &str, default: &str) -> String {
        if self.entered.has(key) { self.entered.get(key) } else { default }.to_string()
    }
}

async fn person_page(
    state: &AppState,
    page: &Page,
    member: &Member,
    id: i64,
    errors: FormErrors,
    fields: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let entered = Entered::from(&fields);
    member.require(Action::ReadAuthorisations)?;
    let org = member.org.id;
    let p = state.store.person(org, id).await?;
    record_read(state, member, Some(id)).await?;
    let g = granter(state, member).await?;
    let templates = state.store.role_templates(org).await?;
    let groups = state
        .store
        .person_groups(org, id)
        .await?
        .into_iter()
        .map(|name| {
            let template = templates.iter().find(|t| t.template.name.eq_ignore_ascii_case(&name)).map(|t| t.id);
            (name, template)
        })
        .collect();
    let t = PersonPage {
        page,
        rows: state.store.authorisations(org, Some(id)).await?,
        history: state.store.authorisation_history(org, id).await?,
        names: Names::load(state, member).await?,
        today: state.app.authz.today(),
        rights: Right::ALL,
        templates,
        groups,
        may_grant: normverk_core::authz::may_grant(g.security_lead, &g.managed_units, p.unit_id)
            && member.may(Action::GrantAuthorisations),
        p,
        errors,
        entered,
        fields,
    };
    let status = if t.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(status, &t)
}

/// `?template=` fills the grant form from a role template.
#[derive(Debug, Default, serde::Deserialize)]
pub struct FromTemplate {
    #[serde(default)]
    template: Option<String>,
}

/// A template as the grant form's fields.
fn template_fields(t: &RoleTemplate) -> Vec<(String, String)> {
    let mut f = vec![("role".to_string(), t.role.clone()), ("purpose".to_string(), t.purpose.clone())];
    for s in &t.systems {
        f.extend(s.rights.iter().map(|r| (format!("s{}", s.system_id), r.as_str().to_string())));
        if s.break_glass {
            f.push((format!("g{}", s.system_id), "1".into()));
        }
    }
    f
}

pub async fn person(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Query(q): Query<FromTemplate>,
) -> Result<Response, PageError> {
    let chosen = q.template.and_then(|t| t.trim().parse::<i64>().ok());
    let fields = match chosen {
        Some(tid) => state
            .store
            .role_templates(member.org.id)
            .await?
            .into_iter()
            .find(|t| t.id == tid)
            .map(|t| template_fields(&t.template))
            .unwrap_or_default(),
        None => Vec::new(),
    };
    person_page(&state, &page, &member, id, FormErrors::default(), fields).await
}

/// The rights per system a form sends (`s{id}` = right, `g{id}` = 1 for break-glass); only the
/// organisation's systems are read.
pub(super) fn system_rights(fields: &[(String, String)], systems: &[System]) -> Vec<SystemRights> {
    systems
        .iter()
        .map(|s| SystemRights {
            system_id: s.id,
            rights: Right::ALL.iter().copied().filter(|r| has(fields, &format!("s{}", s.id), r.as_str())).collect(),
            break_glass: has(fields, &format!("g{}", s.id), "1"),
        })
        .filter(|s| !s.rights.is_empty() || s.break_glass)
        .collect()
}

/// The grant form: rights per system (`s{id}` = right, `g{id}` for break-glass), the dates and,
/// for another enterprise's data, whose and the obligations.
fn read_grant(fields: &[(String, String)], systems: &[System]) -> Grant {
    let other =
        (!value(fields, "enterprise_name").is_empty() || !value(fields, "enterprise_number").is_empty()).then(|| {
            OtherEnterprise {
                name: value(fields, "enterprise_name").into(),
                org_number: value(fields, "enterprise_number").into(),
                obligations: value(fields, "obligations").replace("\r\n", "\n"),
            }
        });
    Grant {
        role: value(fields, "role").into(),
        purpose: value(fields, "purpose").replace("\r\n", "\n"),
        systems: system_rights(fields, systems),
        valid_from: value(fields, "valid_from").into(),
        valid_to: value(fields, "valid_to").into(),
        other_enterprise: other,
    }
}

pub async fn grant(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    state.store.person(member.org.id, id).await?;
    member.require(Action::GrantAuthorisations)?;
    let systems = state.store.systems(member.org.id).await?;
    let g = read_grant(&fields, &systems);
    let by = granter(&state, &member).await?;
    match state.app.authz.grant(member.org.id, id, g, &by).await {
        Ok(_) => Ok(Redirect::to(&format!("/authz/people/{id}")).into_response()),
        Err(e) => {
            let errors = refused(&page, e)?;
            person_page(&state, &page, &member, id, errors, fields).await
        }
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path((id, authorisation)): Path<(i64, i64)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    state.store.person(member.org.id, id).await?;
    member.require(Action::GrantAuthorisations)?;
    let by = granter(&state, &member).await?;
    let mine = state.store.authorisations(member.org.id, Some(id)).await?.iter().any(|a| a.id == authorisation);
    if !mine {
        return Err(PageError::NotFound);
    }
    match state.app.authz.revoke(member.org.id, authorisation, value(&fields, "reason"), &by).await {
        Ok(()) => Ok(Redirect::to(&format!("/authz/people/{id}")).into_response()),
        Err(e) => {
            let errors = refused(&page, e)?;
            person_page(&state, &page, &member, id, errors, fields).await
        }
    }
}

#[derive(Template)]
#[template(path = "authz_templates.html")]
struct TemplatesPage<'a> {
    page: &'a Page,
    templates: Vec<StoredTemplate>,
    names: Names,
    rights: &'static [Right],
    may_manage: bool,
    /// The template a refused change was for (0: the new one), with its fields.
    failed: Option<i64>,
    fields: Vec<(String, String)>,
    errors: FormErrors,
}

impl TemplatesPage<'_> {
    pub fn rights_of(&self, t: &RoleTemplate) -> String {
        let g = Grant { systems: t.systems.clone(), ..Grant::default() };
        self.names.rights(self.page, &g)
    }
    /// Whether template `id`'s form (0: the new one) has `right` in `system`.
    pub fn checked(
        &self,
        id: impl Plain<i64>,
        t: Option<&RoleTemplate>,
        system: impl Plain<i64>,
        right: &Right,
    ) -> bool {
        let (id, system) = (id.plain(), system.plain());
        if self.failed == Some(id) {
            return has(&self.fields, &format!("s{system}"), right.as_str());
        }
        t.is_some_and(|t| t.systems.iter().any(|s| s.system_id == system && s.rights.contains(right)))
    }
    pub fn glass(&self, id: impl Plain<i64>, t: Option<&RoleTemplate>, system: impl Plain<i64>) -> bool {
        let (id, system) = (id.plain(), system.plain());
        if self.failed == Some(id) {
            return has(&self.fields, &format!("g{system}"), "1");
        }
        t.is_some_and(|t| t.systems.iter().any(|s| s.system_id == system && s.break_glass))
    }
    pub fn failed_on(&self, id: impl Plain<i64>) -> bool {
        self.failed == Some(id.plain())
    }
    pub fn v(&self, id: impl Plain<i64>, key: &str, stored: &str) -> String {
        if self.failed == Some(id.plain()) { value(&self.fields, key) } else { stored }.to_string()
    }
}

async fn templates_page(
    state: &AppState,
    page: &Page,
    member: &Member,
    failed: Option<i64>,
    fields: Vec<(String, String)>,
    errors: FormErrors,
) -> Result<Response, PageError> {
    member.require(Action::ReadAuthorisations)?;
    let t = TemplatesPage {
        page,
        templates: state.store.role_templates(member.org.id).await?,
        names: Names::load(state, member).await?,
        rights: Right::ALL,
        may_manage: member.may(Action::ManageRoleTemplates),
        failed,
        fields,
        errors,
    };
    let status = if t.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(status, &t)
}

pub async fn templates(State(state): State<AppState>, page: Page, member: Member) -> Result<Response, PageError> {
    templates_page(&state, &page, &member, None, Vec::new(), FormErrors::default()).await
}

async fn save_template(
    state: &AppState,
    page: &Page,
    member: &Member,
    id: Option<i64>,
    fields: Vec<(String, String)>,
) -> Result<Response, PageError> {
    member.require(Action::ManageRoleTemplates)?;
    let systems = state.store.systems(member.org.id).await?;
    let t = RoleTemplate {
        name: value(&fields, "name").into(),
        role: value(&fields, "role").into(),
        purpose: value(&fields, "purpose").replace("\r\n", "\n"),
        systems: system_rights(&fields, &systems),
    };
    match state.app.authz.save_template(member.org.id, id, t).await {
        Ok(_) => Ok(Redirect::to("/authz/templates").into_response()),
        Err(e) => {
            let errors = refused(page, e)?;
            templates_page(state, page, member, Some(id.unwrap_or(0)), fields, errors).await
        }
    }
}

pub async fn add_template(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    save_template(&state, &page, &member, None, fields).await
}

pub async fn update_template(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    if !state.store.role_templates(member.org.id).await?.iter().any(|t| t.id == id) {
        return Err(PageError::NotFound);
    }
    save_template(&state, &page, &member, Some(id), fields).await
}

/// People from HR's spreadsheet, all or nothing (updated by employee number, the rest added).
pub async fn import(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    member.require(Action::ManageRoleTemplates)?;
    let Ok(mut multipart) = multipart else {
        return Ok(super::render_error_page(&page, StatusCode::BAD_REQUEST, None));
    };
    let (_, table) = super::import::read_upload(&mut multipart).await;
    let outcome = match table {
        Err(errors) => Err(errors),
        Ok(table) => {
            let by = granter(&state, &member).await?;
            state.app.authz.import_people(member.org.id, &member.org.org_number, &table, &by).await
        }
    };
    super::import::result_page(&page, "authz-import", "/authz", outcome)
}

/// The pages of this family.
pub fn routes(r: crate::route::Routes) -> crate::route::Routes {
    r.get("/authz", register)
        .post("/authz/people", add_person)
        .upload("/authz/people/import", import)
        .get("/authz/people/{id}", person)
        .post("/authz/people/{id}/grants", grant)
        .post("/authz/people/{id}/grants/{authorisation}/revoke", revoke)
        .get("/authz/templates", templates)
        .post("/authz/templates", add_template)
        .post("/authz/templates/{id}", update_template)
}
