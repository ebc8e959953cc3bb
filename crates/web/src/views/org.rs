//! The organisation: its units, its members and their roles, and switching between
//! organisations.

use super::setup::{name_error, password_error};
use super::{render, render_status, FormErrors, Page, Plain};
use crate::auth::{Member, SignedIn};
use crate::error::PageError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use normverk_core::account::{check_new_password, normalise_email};
use normverk_core::org::{clean_name, Action, Role};
use normverk_store::account::NewUser;
use normverk_store::org::{Member as OrgMember, Unit};
use normverk_store::OrgId;
use normverk_store::StoreError;
use std::str::FromStr;

/// A unit with its place in the tree spelled out ("Klinikk › Avdeling").
pub struct UnitRow {
    pub unit: Unit,
    pub path: String,
}

/// Units in tree order, each with its full path. Cycles cannot occur (a parent must exist
/// before its child), but the walk is bounded all the same.
pub fn unit_rows(units: Vec<Unit>) -> Vec<UnitRow> {
    let name_of = |id: i64| units.iter().find(|u| u.id == id);
    let mut rows: Vec<UnitRow> = units
        .iter()
        .map(|u| {
            let mut names = vec![u.name.clone()];
            let mut parent = u.parent_id;
            while let (Some(p), true) = (parent.and_then(name_of), names.len() < 32) {
                names.push(p.name.clone());
                parent = p.parent_id;
            }
            names.reverse();
            UnitRow { unit: u.clone(), path: names.join(" › ") }
        })
        .collect();
    rows.sort_by_key(|r| r.path.to_lowercase());
    rows
}

#[derive(Template)]
#[template(path = "units.html")]
struct UnitsPage<'a> {
    page: &'a Page,
    rows: Vec<UnitRow>,
    may_edit: bool,
    entered_name: String,
    parent_id: Option<i64>,
    errors: FormErrors,
}

impl UnitsPage<'_> {
    fn is_parent(&self, id: impl Plain<i64>) -> bool {
        self.parent_id == Some(id.plain())
    }
}

pub async fn units(State(state): State<AppState>, page: Page, member: Member) -> Result<Response, PageError> {
    let rows = unit_rows(state.store.units(member.org.id).await?);
    let may_edit = member.may(Action::ManageStructure);
    render(&UnitsPage {
        page: &page,
        rows,
        may_edit,
        entered_name: String::new(),
        parent_id: None,
        errors: FormErrors::default(),
    })
}

#[derive(serde::Deserialize)]
pub struct UnitForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    parent_id: String,
}

pub async fn create_unit(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Form(form): Form<UnitForm>,
) -> Result<Response, PageError> {
    member.require(Action::ManageStructure)?;
    let mut errors = FormErrors::default();
    let parent_id = match form.parent_id.trim() {
        "" => None,
        p => match p.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.add("parent_id", page.t("error-choose-one"));
                None
            }
        },
    };
    let name = clean_name(&form.name).map_err(|e| errors.add("name", name_error(page.lang, &e))).ok();
    if let (Some(name), true) = (name, errors.is_empty()) {
        match state.store.create_unit(member.org.id, &name, parent_id, state.app.clock.now()).await {
            Ok(unit) => return Ok(Redirect::to(&format!("/org/units/{}", unit.id)).into_response()),
            Err(StoreError::Rejected(_)) => errors.add("parent_id", page.t("error-choose-one")),
            Err(e) => return Err(e.into()),
        }
    }
    let rows = unit_rows(state.store.units(member.org.id).await?);
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &UnitsPage { page: &page, rows, may_edit: true, entered_name: form.name, parent_id, errors },
    )
}

#[derive(Template)]
#[template(path = "unit.html")]
struct UnitPage<'a> {
    page: &'a Page,
    row: UnitRow,
    children: Vec<UnitRow>,
    may_edit: bool,
    error: Option<String>,
}

async fn unit_page(
    state: &AppState,
    page: &Page,
    member: &Member,
    unit_id: i64,
    error: Option<String>,
) -> Result<Response, PageError> {
    state.store.unit(member.org.id, unit_id).await?;
    let rows = unit_rows(state.store.units(member.org.id).await?);
    let (mine, others): (Vec<UnitRow>, Vec<UnitRow>) = rows.into_iter().partition(|r| r.unit.id == unit_id);
    let row = mine.into_iter().next().ok_or(PageError::NotFound)?;
    let children = others.into_iter().filter(|r| r.unit.parent_id == Some(unit_id)).collect();
    let status = if error.is_some() { StatusCode::CONFLICT } else { StatusCode::OK };
    render_status(status, &UnitPage { page, row, children, may_edit: member.may(Action::ManageStructure), error })
}

pub async fn unit(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(unit_id): Path<i64>,
) -> Result<Response, PageError> {
    unit_page(&state, &page, &member, unit_id, None).await
}

pub async fn delete_unit(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(unit_id): Path<i64>,
) -> Result<Response, PageError> {
    state.store.unit(member.org.id, unit_id).await?;
    member.require(Action::ManageStructure)?;
    match state.store.delete_unit(member.org.id, unit_id).await {
        Ok(()) => Ok(Redirect::to("/org/units").into_response()),
        Err(StoreError::InUse("sub-units")) => {
            unit_page(&state, &page, &member, unit_id, Some(page.t("unit-has-children"))).await
        }
        Err(StoreError::InUse(_)) => unit_page(&state, &page, &member, unit_id, Some(page.t("unit-in-use"))).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage<'a> {
    page: &'a Page,
    members: Vec<OrgMember>,
    may_edit: bool,
    all_roles: &'static [Role],
    form: NewMemberForm,
    errors: FormErrors,
}

#[derive(Default)]
pub struct NewMemberForm {
    pub email: String,
    pub name: String,
    pub roles: Vec<Role>,
}

impl NewMemberForm {
    pub fn has_role(&self, role: impl Plain<Role>) -> bool {
        self.roles.contains(&role.plain())
    }
}

pub async fn members(State(state): State<AppState>, page: Page, member: Member) -> Result<Response, PageError> {
    let members = state.store.members(member.org.id).await?;
    let form = NewMemberForm { roles: vec![Role::Employee], ..NewMemberForm::default() };
    render(&MembersPage {
        page: &page,
        members,
        may_edit: member.may(Action::ManageAccess),
        all_roles: Role::ALL,
        form,
        errors: FormErrors::default(),
    })
}

/// Fields of a form that may repeat (role checkboxes).
type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

fn roles_of(fields: &Fields) -> Vec<Role> {
    let mut roles: Vec<Role> =
        fields.iter().filter(|(k, _)| k == "role").filter_map(|(_, v)| Role::from_str(v).ok()).collect();
    roles.sort();
    roles.dedup();
    roles
}

pub async fn add_member(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    member.require(Action::ManageAccess)?;
    let mut errors = FormErrors::default();
    let email = normalise_email(field(&fields, "email"));
    if email.is_none() {
        errors.add("email", page.t("error-email"));
    }
    let roles = roles_of(&fields);
    if roles.is_empty() {
        errors.add("roles", page.t("error-choose-role"));
    }
    let password = field(&fields, "password").to_string();
    let existing = match &email {
        Some(e) => match state.store.user_by_email(e).await {
            Ok(u) => Some(u),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let mut name = None;
    if existing.is_none() {
        name = clean_name(field(&fields, "name")).map_err(|e| errors.add("name", name_error(page.lang, &e))).ok();
        if let Err(e) = check_new_password(&password) {
            errors.add("password", password_error(page.lang, &e));
        }
    } else if let Some(u) = &existing {
        if !state.store.roles(member.org.id, u.id).await?.is_empty() {
            errors.add("email", page.t("member-already"));
        }
    }
    if errors.is_empty() {
        let user_id = match (existing, email, name) {
            (Some(u), _, _) => {
                state.store.set_roles(member.org.id, u.id, &roles, state.app.clock.now()).await?;
                u.id
            }
            (None, Some(email), Some(display_name)) => {
                let password_hash = Some(normverk_app::account::hash_password(password).await?);
                let new = NewUser { email, display_name, password_hash };
                match state.store.create_user(member.org.id, &new, &roles, state.app.clock.now()).await {
                    Ok(u) => u.id,
                    Err(StoreError::Conflict(_)) => {
                        return Err(PageError::Internal("user appeared concurrently".into()))
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            _ => return Err(PageError::Internal("member form inconsistent".into())),
        };
        tracing::info!(org_id = member.org.id.0, user_id, by = member.viewer.user.id, "member added");
        return Ok(Redirect::to(&format!("/org/members/{user_id}")).into_response());
    }
    let members = state.store.members(member.org.id).await?;
    let form = NewMemberForm { email: field(&fields, "email").into(), name: field(&fields, "name").into(), roles };
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &MembersPage { page: &page, members, may_edit: true, all_roles: Role::ALL, form, errors },
    )
}

#[derive(Template)]
#[template(path = "member.html")]
struct MemberPage<'a> {
    page: &'a Page,
    person: OrgMember,
    /// The organisation's units and the ones this person leads (for managers).
    units: Vec<UnitRow>,
    managed: Vec<i64>,
    may_edit: bool,
    all_roles: &'static [Role],
    errors: FormErrors,
    notice: Option<String>,
}

impl MemberPage<'_> {
    fn has_role(&self, role: impl Plain<Role>) -> bool {
        self.person.roles.contains(&role.plain())
    }

    fn leads(&self, unit_id: impl Plain<i64>) -> bool {
        self.managed.contains(&unit_id.plain())
    }

    fn is_manager(&self) -> bool {
        self.person.roles.contains(&Role::Manager)
    }
}

async fn member_page(
    state: &AppState,
    page: &Page,
    member: &Member,
    user_id: i64,
    errors: FormErrors,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let person = state.store.member(member.org.id, user_id).await?;
    let units = unit_rows(state.store.units(member.org.id).await?);
    let managed = state
        .store
        .managed_units(member.org.id)
        .await?
        .into_iter()
        .filter(|m| m.user_id == user_id)
        .map(|m| m.unit_id)
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let may_edit = member.may(Action::ManageAccess);
    render_status(status, &MemberPage { page, person, units, managed, may_edit, all_roles: Role::ALL, errors, notice })
}

pub async fn member(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(user_id): Path<i64>,
) -> Result<Response, PageError> {
    member_page(&state, &page, &member, user_id, FormErrors::default(), None).await
}

pub async fn set_roles(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(user_id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    state.store.member(member.org.id, user_id).await?;
    member.require(Action::ManageAccess)?;
    let roles = roles_of(&fields);
    let mut errors = FormErrors::default();
    match state.store.set_roles(member.org.id, user_id, &roles, state.app.clock.now()).await {
        Ok(()) if roles.is_empty() => return Ok(Redirect::to("/org/members").into_response()),
        Ok(()) => {
            tracing::info!(org_id = member.org.id.0, user_id, by = member.viewer.user.id, "roles changed");
            return member_page(&state, &page, &member, user_id, errors, Some(page.t("member-roles-saved"))).await;
        }
        Err(StoreError::Rejected(_)) => errors.add("roles", page.t("error-last-admin")),
        Err(e) => return Err(e.into()),
    }
    member_page(&state, &page, &member, user_id, errors, None).await
}

pub async fn set_units(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(user_id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    state.store.member(member.org.id, user_id).await?;
    member.require(Action::ManageAccess)?;
    let unit_ids: Vec<i64> =
        fields.iter().filter(|(k, _)| k == "unit_id").filter_map(|(_, v)| v.parse().ok()).collect();
    match state.store.set_managed_units(member.org.id, user_id, &unit_ids).await {
        Ok(()) => {
            tracing::info!(org_id = member.org.id.0, user_id, by = member.viewer.user.id, "managed units changed");
            member_page(&state, &page, &member, user_id, FormErrors::default(), Some(page.t("member-units-saved")))
                .await
        }
        Err(StoreError::Rejected(_)) => {
            let mut errors = FormErrors::default();
            errors.add("units", page.t("error-choose-one"));
            member_page(&state, &page, &member, user_id, errors, None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn reset_password(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(user_id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    state.store.member(member.org.id, user_id).await?;
    member.require(Action::ManageAccess)?;
    let password = field(&fields, "password").to_string();
    if let Err(e) = check_new_password(&password) {
        let mut errors = FormErrors::default();
        errors.add("password", password_error(page.lang, &e));
        return member_page(&state, &page, &member, user_id, errors, None).await;
    }
    let hash = normverk_app::account::hash_password(password).await?;
    state.store.set_password_hash(user_id, &hash, None).await?;
    tracing::info!(org_id = member.org.id.0, user_id, by = member.viewer.user.id, "password reset by admin");
    member_page(&state, &page, &member, user_id, FormErrors::default(), Some(page.t("member-password-reset"))).await
}

pub async fn switch(
    State(state): State<AppState>,
    SignedIn(viewer): SignedIn,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let org_id = OrgId(field(&fields, "org_id").parse().map_err(|_| PageError::NotFound)?);
    if !viewer.orgs.iter().any(|m| m.org.id == org_id) {
        return Err(PageError::NotFound);
    }
    state.store.set_session_org(&viewer.session.id_hash, org_id).await?;
    Ok(Redirect::to("/").into_response())
}

/// The pages of this family.
pub fn routes(r: crate::route::Routes) -> crate::route::Routes {
    r.post("/org/switch", switch)
        .get("/org/units", units)
        .post("/org/units", create_unit)
        .get("/org/units/{unit_id}", unit)
        .post("/org/units/{unit_id}/delete", delete_unit)
        .get("/org/members", members)
        .post("/org/members", add_member)
        .get("/org/members/{user_id}", member)
        .post("/org/members/{user_id}/roles", set_roles)
        .post("/org/members/{user_id}/units", set_units)
        .post("/org/members/{user_id}/password", reset_password)
}
