//! First run: the one-time setup link creates the first organisation and its administrator.

use super::{render, render_status, FormErrors, Page};
use crate::error::PageError;
use crate::i18n::Lang;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use normverk_core::account::{check_new_password, normalise_email, PasswordError};
use normverk_core::org::{clean_name, NameError, OrgKind, OrgNumber, OrgNumberError};
use normverk_store::account::{secret_hash, NewUser, SetupTokenState};
use normverk_store::org::NewOrg;
use normverk_store::StoreError;
use serde::Deserialize;
use std::str::FromStr;

#[derive(Debug, Default, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub org_name: String,
    #[serde(default)]
    pub org_number: String,
    #[serde(default)]
    pub org_kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub password_confirm: String,
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage<'a> {
    page: &'a Page,
    form: SetupForm,
    errors: FormErrors,
    kinds: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "setup_unavailable.html")]
struct SetupUnavailable<'a> {
    page: &'a Page,
    reason: String,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

fn kinds(page: &Page) -> Vec<(&'static str, String)> {
    OrgKind::ALL.iter().map(|k| (k.as_str(), page.t(&format!("org-kind-{}", k.as_str().replace('_', "-"))))).collect()
}

/// Why a setup link cannot be used, or `None` when it can.
async fn unavailable_reason(state: &AppState, token: &str) -> Result<Option<&'static str>, PageError> {
    if state.store.count_users().await? > 0 {
        return Ok(Some("setup-already-done"));
    }
    Ok(match state.store.setup_token_state(&secret_hash(token), state.app.clock.now()).await? {
        SetupTokenState::Valid => None,
        SetupTokenState::Used => Some("setup-link-used"),
        SetupTokenState::Expired => Some("setup-link-expired"),
        SetupTokenState::Unknown => Some("setup-link-unknown"),
    })
}

fn unavailable(page: &Page, reason: &str) -> Result<Response, PageError> {
    render_status(StatusCode::GONE, &SetupUnavailable { page, reason: page.t(reason) })
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<TokenQuery>,
) -> Result<Response, PageError> {
    if let Some(reason) = unavailable_reason(&state, &q.token).await? {
        return unavailable(&page, reason);
    }
    let form = SetupForm { token: q.token, org_kind: OrgKind::GpOffice.as_str().into(), ..SetupForm::default() };
    render(&SetupPage { kinds: kinds(&page), page: &page, form, errors: FormErrors::default() })
}

pub async fn submit(
    State(state): State<AppState>,
    page: Page,
    Form(form): Form<SetupForm>,
) -> Result<Response, PageError> {
    if let Some(reason) = unavailable_reason(&state, &form.token).await? {
        return unavailable(&page, reason);
    }
    let mut errors = FormErrors::default();
    let org_name = clean_name(&form.org_name).map_err(|e| errors.add("org_name", name_error(page.lang, &e))).ok();
    let org_number =
        OrgNumber::parse(&form.org_number).map_err(|e| errors.add("org_number", org_number_error(page.lang, &e))).ok();
    let kind = OrgKind::from_str(&form.org_kind).map_err(|_| errors.add("org_kind", page.t("error-choose-one"))).ok();
    let name = clean_name(&form.name).map_err(|e| errors.add("name", name_error(page.lang, &e))).ok();
    let email = normalise_email(&form.email);
    if email.is_none() {
        errors.add("email", page.t("error-email"));
    }
    if let Err(e) = check_new_password(&form.password) {
        errors.add("password", password_error(page.lang, &e));
    } else if form.password != form.password_confirm {
        errors.add("password_confirm", page.t("error-password-mismatch"));
    }
    let (Some(org_name), Some(org_number), Some(kind), Some(name), Some(email), true) =
        (org_name, org_number, kind, name, email, errors.is_empty())
    else {
        return again(&page, form, errors);
    };
    let hash = normverk_app::account::hash_password(form.password.clone()).await?;
    let org = NewOrg { name: org_name, org_number, kind, parent_id: None };
    let admin = NewUser { email, display_name: name, password_hash: Some(hash) };
    let now = state.app.clock.now();
    let (_, user) = match state.store.complete_setup(&secret_hash(&form.token), now, &org, &admin).await {
        Ok(created) => created,
        Err(StoreError::Rejected(_)) => return unavailable(&page, "setup-link-used"),
        Err(e) => return Err(e.into()),
    };
    let cookie = super::login::start_session(&state, user.id, now).await?;
    tracing::info!(user_id = user.id, "setup completed");
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response())
}

fn again(page: &Page, mut form: SetupForm, errors: FormErrors) -> Result<Response, PageError> {
    form.password.clear();
    form.password_confirm.clear();
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &SetupPage { kinds: kinds(page), page, form, errors })
}

pub fn name_error(lang: Lang, e: &NameError) -> String {
    lang.t(match e {
        NameError::Empty => "error-required",
        NameError::TooLong => "error-too-long",
        NameError::ControlCharacter => "error-control-chars",
    })
}

pub fn org_number_error(lang: Lang, e: &OrgNumberError) -> String {
    match e {
        OrgNumberError::Length(n) => lang.t_args("error-org-number-length", &[("count", n.to_string())]),
        OrgNumberError::NotDigits => lang.t("error-org-number-digits"),
        OrgNumberError::CheckDigit { .. } | OrgNumberError::NeverIssued => lang.t("error-org-number-check"),
    }
}

pub fn password_error(lang: Lang, e: &PasswordError) -> String {
    match e {
        PasswordError::TooShort => {
            lang.t_args("error-password-short", &[("min", normverk_core::account::MIN_PASSWORD_CHARS.to_string())])
        }
        PasswordError::TooLong => lang.t("error-too-long"),
    }
}

/// The pages of this family.
pub fn routes(r: crate::route::Routes) -> crate::route::Routes {
    r.get("/setup", show).post("/setup", submit)
}
