//! `/systems`: the register of information systems with their criticality (Normen 5.9), the
//! class each inherits from the systems that depend on it, and a map of its dependencies.

use super::{render_status, Page};
use crate::auth::Member;
use crate::error::PageError;
use crate::systems::{register, Registered};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use normverk_core::org::Action;
use normverk_core::system::{check_downtime, check_system, test_overdue, Criticality, NewSystem, ProcedureMode};
use normverk_store::StoreError;
use std::collections::HashMap;
use std::str::FromStr;

#[derive(Template)]
#[template(path = "systems.html")]
struct ListPage<'a> {
    page: &'a Page,
    /// Management's maximum downtime per class, in hours.
    downtime: HashMap<String, i64>,
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
    errors: Vec<(String, String)>,
}

impl ListPage<'_> {
    pub fn name(&self, id: &i64) -> &str {
        self.names.get(id).map_or("?", String::as_str)
    }

    pub fn value(&self, key: &str) -> &str {
        self.entered.get(key).map_or("", String::as_str)
    }

    pub fn downtime_of(&self, class: &Criticality) -> String {
        self.downtime.get(class.as_str()).map(i64::to_string).unwrap_or_default()
    }

    pub fn error(&self, key: &str) -> Option<&str> {
        self.errors.iter().find(|(k, _)| k == key).map(|(_, m)| m.as_str())
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
    errors: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let all = register(state, member.org.id).await?;
    let names = all.iter().map(|r| (r.system.id, r.system.name.clone())).collect();
    let more = all.len() > page_no * PAGE_SIZE;
    let rows: Vec<Registered> = all.into_iter().skip((page_no - 1) * PAGE_SIZE).take(PAGE_SIZE).collect();
    let downtime = state.store.downtimes(member.org.id).await?.into_iter().collect();
    let now = normverk_store::unix_now();
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
    list_page(&state, &page, &member, q.number(), HashMap::new(), Vec::new()).await
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
        let errors = vec![("criticality".to_string(), page.t("sys-choose-class"))];
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
        let errors = problems.into_iter().map(|p| (p.field.to_string(), p.message)).collect();
        return list_page(&state, &page, &member, 1, entered, errors).await;
    }
    match state.store.create_system(member.org.id, &new, normverk_store::unix_now()).await {
        Ok(s) => Ok(Redirect::to(&format!("/systems/{}", s.id)).into_response()),
        Err(StoreError::Conflict(m)) => list_page(&state, &page, &member, 1, entered, vec![("name".into(), m)]).await,
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
    candidates: Vec<(i64, String)>,
    may_manage: bool,
    left: Vec<Node>,
    centre: Node,
    right: Vec<Node>,
    height: u32,
    error: Option<String>,
    procedures: Vec<(normverk_store::system::Procedure, bool)>,
    /// The processings of the protokoll that use the system, (id, name).
    processings: Vec<(i64, String)>,
    modes: &'static [ProcedureMode],
    today: String,
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
    state.store.system(member.org.id, id).await?;
    let mut all = register(state, member.org.id).await?;
    let names: HashMap<i64, String> = all.iter().map(|r| (r.system.id, r.system.name.clone())).collect();
    let classes: HashMap<i64, Criticality> = all.iter().map(|r| (r.system.id, r.effective.criticality)).collect();
    let Some(pos) = all.iter().position(|r| r.system.id == id) else { return Err(PageError::NotFound) };
    let r = all.swap_remove(pos);
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
    let mut candidates: Vec<(i64, String)> = names
        .iter()
        .filter(|(other, _)| **other != id && !r.depends_on.contains(other))
        .map(|(i, n)| (*i, n.clone()))
        .collect();
    candidates.sort_by(|a, b| a.1.cmp(&b.1));
    let now = normverk_store::unix_now();
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
            today: crate::deviations::today(now),
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
    match state.store.add_system_dependency(member.org.id, id, depends_on, normverk_store::unix_now()).await {
        Ok(()) => Ok(Redirect::to(&format!("/systems/{id}")).into_response()),
        Err(StoreError::Rejected(m)) => show_page(&state, &page, &member, id, Some(m)).await,
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
                let errors = vec![(
                    "downtime".to_string(),
                    page.ta("sys-downtime-bad", "class", page.named("sys-class", class.as_str())),
                )];
                let entered: HashMap<String, String> = fields.into_iter().collect();
                return list_page(&state, &page, &member, 1, entered, errors).await;
            }
        }
    }
    let now = normverk_store::unix_now();
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
    state
        .store
        .add_procedure(member.org.id, id, &title, mode.as_str(), &description, normverk_store::unix_now())
        .await?;
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
    let now = normverk_store::unix_now();
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
