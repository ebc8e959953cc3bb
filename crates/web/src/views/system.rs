//! `/systems`: the register of information systems with their criticality (Normen 5.9), the
//! class each inherits from the systems that depend on it, and a map of its dependencies.

use super::{render_status, FormErrors, Page};
use crate::auth::Member;
use crate::error::PageError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use normverk_app::system::Registered;
use normverk_core::org::Action;
use normverk_core::system::{check_downtime, check_system, test_overdue, Criticality, NewSystem, ProcedureMode};
use normverk_store::{Named, StoreError};
use std::collections::HashMap;
use std::str::FromStr;

#[derive(Template)]
#[template(path = "systems.html")]
struct ListPage<'a> {
    page: &'a Page,
    /// Management's maximum downtime per class, in hours.
    downtime: HashMap<Criticality, i64>,
    may_set_downtime: bool,
    /// Emergency procedures whose yearly test is overdue.
    overdue: usize,
    rows: Vec<Registered>,
    page_no: usize,
    more: bool,
    names: HashMap<i64, String>,
    classes: &'static [Criticality],
    may_manage: bool,
    entered: HashMap<String, String>,
    errors: FormErrors,
}

impl ListPage<'_> {
    pub fn name(&self, id: &i64) -> &str {
        self.names.get(id).map_or("?", String::as_str)
    }

    pub fn value(&self, key: &str) -> &str {
        self.entered.get(key).map_or("", String::as_str)
    }

    pub fn downtime_of(&self, class: &Criticality) -> String {
        self.downtime.get(class).map(i64::to_string).unwrap_or_default()
    }

    pub fn error(&self, key: &str) -> Option<String> {
        self.errors.get(key)
    }
}

/// Systems per page of the register.
const PAGE_SIZE: usize = 100;

async fn list_page(
    state: &AppState,
    page: &Page,
    member: &Member,
    page_no: usize,
    entered: HashMap<String, String>,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let all = state.app.system.register(member.org.id).await?;
    let names = all.iter().map(|r| (r.system.id, r.system.name.clone())).collect();
    let more = all.len() > page_no * PAGE_SIZE;
    let rows: Vec<Registered> = all.iter().skip((page_no - 1) * PAGE_SIZE).take(PAGE_SIZE).cloned().collect();
    let downtime = state
        .store
        .downtimes(member.org.id)
        .await?
        .into_iter()
        .map(|d| (d.criticality, d.max_downtime_hours))
        .collect();
    let now = state.app.clock.now();
    let overdue = state
        .store
        .procedures(member.org.id, None)
        .await?
        .iter()
        .filter(|p| test_overdue(p.last_test, p.created_at, now))
        .count();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(
        status,
        &ListPage {
            page,
            downtime,
            may_set_downtime: member.roles.contains(&normverk_core::org::Role::TopManagement),
            overdue,
            rows,
            page_no,
            more,
            names,
            classes: Criticality::ALL,
            may_manage: member.may(Action::ManageStructure),
            entered,
            errors,
        },
    )
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    axum::extract::Query(q): axum::extract::Query<super::PageQuery>,
) -> Result<Response, PageError> {
    list_page(&state, &page, &member, q.number(), HashMap::new(), FormErrors::default()).await
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    member.require(Action::ManageStructure)?;
    let entered: HashMap<String, String> = fields.into_iter().collect();
    let get = |k: &str| entered.get(k).cloned().unwrap_or_default();
    let Ok(criticality) = Criticality::from_str(&get("criticality")) else {
        let mut errors = FormErrors::default();
        errors.add("criticality", page.t("sys-choose-class"));
        return list_page(&state, &page, &member, 1, entered, errors).await;
    };
    let new = NewSystem {
        name: get("name"),
        description: get("description"),
        owner: get("owner"),
        supplier: get("supplier"),
        hosting: get("hosting"),
        data_types: get("data_types"),
        criticality,
    };
    let problems = check_system(&new);
    if !problems.is_empty() {
        return list_page(&state, &page, &member, 1, entered, FormErrors::of(&page, problems)).await;
    }
    match state.store.create_system(member.org.id, &new, state.app.clock.now()).await {
        Ok(s) => Ok(Redirect::to(&format!("/systems/{}", s.id)).into_response()),
        Err(StoreError::Conflict(_)) => {
            let mut errors = FormErrors::default();
            errors.add("name", page.t("sys-name-taken"));
            list_page(&state, &page, &member, 1, entered, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A box on the dependency map (the lists under the map link to each system).
pub struct Node {
    pub name: String,
    pub class: Criticality,
    pub x: u32,
    pub y: u32,
}

#[derive(Template)]
#[template(path = "system.html")]
struct ShowPage<'a> {
    page: &'a Page,
    r: Registered,
    names: HashMap<i64, String>,
    candidates: Vec<Named>,
    may_manage: bool,
    left: Vec<Node>,
    centre: Node,
    right: Vec<Node>,
    height: u32,
    error: Option<String>,
    procedures: Vec<(normverk_store::system::Procedure, bool)>,
    /// The processings of the protokoll that use the system, (id, name).
    processings: Vec<Named>,
    modes: &'static [ProcedureMode],
    today: String,
    classes: &'static [Criticality],
    /// The edit form's values: the system's own, or what was entered when it was refused.
    edit: NewSystem,
    edit_refused: bool,
}

impl ShowPage<'_> {
    pub fn edit_value(&self, key: &str) -> &str {
        match key {
            "name" => &self.edit.name,
            "owner" => &self.edit.owner,
            "supplier" => &self.edit.supplier,
            "hosting" => &self.edit.hosting,
            "data_types" => &self.edit.data_types,
            "description" => &self.edit.description,
            _ => "",
        }
    }
}

impl ShowPage<'_> {
    pub fn name(&self, id: &i64) -> &str {
        self.names.get(id).map_or("?", String::as_str)
    }
}

/// Box geometry: 180 wide, 36 high, 12 apart; three columns.
const BOX_W: u32 = 180;
const BOX_H: u32 = 36;
const GAP: u32 = 12;

async fn show_page(
    state: &AppState,
    page: &Page,
    member: &Member,
    id: i64,
    error: Option<String>,
) -> Result<Response, PageError> {
    show_page_with(state, page, member, id, error, None).await
}

async fn show_page_with(
    state: &AppState,
    page: &Page,
    member: &Member,
    id: i64,
    error: Option<String>,
    entered: Option<NewSystem>,
) -> Result<Response, PageError> {
    state.store.system(member.org.id, id).await?;
    let all = state.app.system.register(member.org.id).await?;
    let names: HashMap<i64, String> = all.iter().map(|r| (r.system.id, r.system.name.clone())).collect();
    let classes: HashMap<i64, Criticality> = all.iter().map(|r| (r.system.id, r.effective.criticality)).collect();
    let Some(r) = all.iter().find(|r| r.system.id == id).cloned() else { return Err(PageError::NotFound) };
    let column = |ids: &[i64], x: u32| -> Vec<Node> {
        ids.iter()
            .enumerate()
            .map(|(i, id)| Node {
                name: names.get(id).cloned().unwrap_or_default(),
                class: classes.get(id).copied().unwrap_or(Criticality::NotPrioritised),
                x,
                y: i as u32 * (BOX_H + GAP),
            })
            .collect()
    };
    let left = column(&r.needed_by, 0);
    let right = column(&r.depends_on, 2 * (BOX_W + 60));
    let rows = left.len().max(right.len()).max(1) as u32;
    let height = rows * (BOX_H + GAP);
    let centre = Node {
        name: r.system.name.clone(),
        class: r.effective.criticality,
        x: BOX_W + 60,
        y: (height - BOX_H - GAP) / 2,
    };
    // What it could depend on: every other system it does not depend on yet, by name.
    let mut candidates: Vec<Named> = names
        .iter()
        .filter(|(other, _)| **other != id && !r.depends_on.contains(other))
        .map(|(i, n)| Named { id: *i, name: n.clone() })
        .collect();
    candidates.sort_by(|a, b| a.name.cmp(&b.name));
    let now = state.app.clock.now();
    let processings = state.store.processings_of_system(member.org.id, id).await?;
    let procedures = state
        .store
        .procedures(member.org.id, Some(id))
        .await?
        .into_iter()
        .map(|p| {
            let overdue = test_overdue(p.last_test, p.created_at, now);
            (p, overdue)
        })
        .collect();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let edit_refused = entered.is_some();
    let edit = entered.unwrap_or_else(|| NewSystem::from(&r.system));
    render_status(
        status,
        &ShowPage {
            page,
            r,
            names,
            candidates,
            may_manage: member.may(Action::ManageStructure),
            left,
            centre,
            right,
            height,
            error,
            procedures,
            processings,
            modes: ProcedureMode::ALL,
            today: normverk_app::clock::date_in_norway(now),
            classes: Criticality::ALL,
            edit_refused,
            edit,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    show_page(&state, &page, &member, id, None).await
}

pub async fn add_dependency(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    state.store.system(member.org.id, id).await?;
    member.require(Action::ManageStructure)?;
    let depends_on = fields.iter().find(|(k, _)| k == "depends_on").and_then(|(_, v)| v.parse::<i64>().ok());
    let Some(depends_on) = depends_on else {
        return show_page(&state, &page, &member, id, Some(page.t("sys-choose-system"))).await;
    };
    match state.store.add_system_dependency(member.org.id, id, depends_on, state.app.clock.now()).await {
        Ok(()) => Ok(Redirect::to(&format!("/systems/{id}")).into_response()),
        Err(StoreError::Rejected(r)) => show_page(&state, &page, &member, id, Some(page.rejection(&r))).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn remove_dependency(
    State(state): State<AppState>,
    member: Member,
    Path((id, depends_on)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    state.store.system(member.org.id, id).await?;
    member.require(Action::ManageStructure)?;
    state.store.remove_system_dependency(member.org.id, id, depends_on).await?;
    Ok(Redirect::to(&format!("/systems/{id}")).into_response())
}

/// Management sets the maximum downtime per class (Normen 5.9): top management only.
pub async fn set_downtime(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    if !member.roles.contains(&normverk_core::org::Role::TopManagement) {
        return Err(PageError::Forbidden);
    }
    // Every class first, so a wrong one changes nothing.
    let mut set = Vec::new();
    for class in Criticality::ALL {
        let key = format!("hours_{}", class.as_str());
        let Some((_, v)) = fields.iter().find(|(k, _)| *k == key) else { continue };
        if v.trim().is_empty() {
            continue;
        }
        match v.trim().parse::<i64>().map_err(|_| String::new()).and_then(check_downtime) {
            Ok(h) => set.push((class, h)),
            Err(_) => {
                let mut errors = FormErrors::default();
                errors.add("downtime", page.ta("sys-downtime-bad", "class", page.named("sys-class", class.as_str())));
                let entered: HashMap<String, String> = fields.into_iter().collect();
                return list_page(&state, &page, &member, 1, entered, errors).await;
            }
        }
    }
    let now = state.app.clock.now();
    for (class, h) in set {
        state.store.set_downtime(member.org.id, class.as_str(), h, Some(member.viewer.user.id), now).await?;
    }
    Ok(Redirect::to("/systems").into_response())
}

/// Adds an emergency procedure to a system.
pub async fn add_procedure(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    state.store.system(member.org.id, id).await?;
    member.require(Action::ManageStructure)?;
    let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let (title, description) = (get("title"), get("description"));
    let mode = ProcedureMode::from_str(&get("mode"));
    if title.is_empty() || title.chars().count() > 200 || description.chars().count() > 20_000 || mode.is_err() {
        return show_page(&state, &page, &member, id, Some(page.t("sys-procedure-bad"))).await;
    }
    let mode = mode.unwrap_or(ProcedureMode::WithoutSystem);
    state.store.add_procedure(member.org.id, id, &title, mode.as_str(), &description, state.app.clock.now()).await?;
    Ok(Redirect::to(&format!("/systems/{id}")).into_response())
}

/// Records a test of an emergency procedure.
pub async fn add_procedure_test(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path((id, procedure_id)): Path<(i64, i64)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    state.store.system(member.org.id, id).await?;
    member.require(Action::ManageStructure)?;
    let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let now = state.app.clock.now();
    let tested_at = super::parse_time_input(&get("tested_at")).filter(|t| *t <= now + 300);
    let result = get("result");
    let (Some(tested_at), false) = (tested_at, result.is_empty() || result.chars().count() > 20_000) else {
        return show_page(&state, &page, &member, id, Some(page.t("sys-test-bad"))).await;
    };
    state
        .store
        .add_procedure_test(member.org.id, id, procedure_id, tested_at, &result, Some(member.viewer.user.id), now)
        .await?;
    Ok(Redirect::to(&format!("/systems/{id}")).into_response())
}

/// The form's fields as a system; an unknown class is said as the error.
fn system_from_form(page: &Page, fields: &HashMap<String, String>) -> Result<NewSystem, (String, String)> {
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let criticality = Criticality::from_str(&get("criticality"))
        .map_err(|_| ("criticality".to_string(), page.t("sys-choose-class")))?;
    Ok(NewSystem {
        name: get("name"),
        description: get("description"),
        owner: get("owner"),
        supplier: get("supplier"),
        hosting: get("hosting"),
        data_types: get("data_types"),
        criticality,
    })
}

pub async fn update(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    state.store.system(member.org.id, id).await?;
    member.require(Action::ManageStructure)?;
    let fields: HashMap<String, String> = fields.into_iter().collect();
    let system = match system_from_form(&page, &fields) {
        Ok(s) => s,
        Err((_, message)) => {
            let current = NewSystem::from(&state.store.system(member.org.id, id).await?);
            let entered = NewSystem { name: fields.get("name").cloned().unwrap_or_default(), ..current };
            return show_page_with(&state, &page, &member, id, Some(message), Some(entered)).await;
        }
    };
    let problems = check_system(&system);
    if !problems.is_empty() {
        let message = problems
            .iter()
            .map(|p| {
                format!("{}: {}", page.t(&format!("sys-{}", p.field.replace('_', "-"))), page.problem(p.key, &p.args))
            })
            .collect::<Vec<_>>()
            .join(". ");
        return show_page_with(&state, &page, &member, id, Some(message), Some(system)).await;
    }
    match state.store.update_system(member.org.id, id, &system, state.app.clock.now()).await {
        Ok(_) => Ok(Redirect::to(&format!("/systems/{id}")).into_response()),
        Err(StoreError::Conflict(_)) => {
            show_page_with(&state, &page, &member, id, Some(page.t("sys-name-taken")), Some(system)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn export(state: &AppState, member: &Member, ext: &str) -> Result<Response, PageError> {
    let all = state.app.system.register(member.org.id).await?;
    let names: HashMap<i64, &str> = all.iter().map(|r| (r.system.id, r.system.name.as_str())).collect();
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|r| {
            let deps: Vec<String> = r.depends_on.iter().filter_map(|d| names.get(d)).map(|n| n.to_string()).collect();
            normverk_core::system::to_row(&NewSystem::from(&r.system), &deps)
        })
        .collect();
    let rows: Vec<&[String]> = rows.iter().map(Vec::as_slice).collect();
    let headings: Vec<&str> = normverk_core::system::COLUMNS.iter().map(|(_, h)| *h).collect();
    let widths = [30.0, 16.0, 24.0, 24.0, 24.0, 30.0, 40.0, 40.0];
    let stem = format!("systemer-{}", member.org.org_number);
    crate::spreadsheet::table_file(ext, &headings, &rows, &widths, "Systemer", &stem)
}

pub async fn export_xlsx(State(state): State<AppState>, member: Member) -> Result<Response, PageError> {
    export(&state, &member, "xlsx").await
}

pub async fn export_csv(State(state): State<AppState>, member: Member) -> Result<Response, PageError> {
    export(&state, &member, "csv").await
}

/// Imports the register from a spreadsheet: systems matched by name are updated, the rest
/// added, dependencies set from the «Avhenger av» column; one bad row and nothing is saved.
pub async fn import(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    member.require(Action::ManageStructure)?;
    let Ok(mut multipart) = multipart else {
        return Ok(super::render_error_page(&page, StatusCode::BAD_REQUEST, None));
    };
    let existing: std::collections::HashSet<String> =
        state.store.systems(member.org.id).await?.into_iter().map(|s| s.name.to_lowercase()).collect();
    let (_, table) = super::import::read_upload(&mut multipart).await;
    let outcome = match table.and_then(|t| normverk_core::system::read_rows(&t, &existing)) {
        Err(errors) => Err(errors),
        Ok(rows) => Ok(state
            .store
            .import_systems(member.org.id, &rows, state.app.clock.now())
            .await
            .map(|(created, updated)| normverk_store::processing::Saved { created, updated, unchanged: 0 })),
    };
    super::import::result_page(&page, "sys-import", "/systems", outcome)
}

/// The pages of this family.
pub fn routes(r: crate::route::Routes) -> crate::route::Routes {
    r.get("/systems", list)
        .post("/systems", create)
        .get("/systems/export.xlsx", export_xlsx)
        .get("/systems/export.csv", export_csv)
        .upload("/systems/import", import)
        .get("/systems/{id}", show)
        .post("/systems/{id}", update)
        .post("/systems/{id}/dependencies", add_dependency)
        .post("/systems/{id}/dependencies/{depends_on}/remove", remove_dependency)
        .post("/systems/downtime", set_downtime)
        .post("/systems/{id}/procedures", add_procedure)
        .post("/systems/{id}/procedures/{procedure_id}/tests", add_procedure_test)
}
