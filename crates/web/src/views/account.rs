//! One's own account: password and language.

use super::setup::password_error;
use super::{render_status, FormErrors, Page};
use crate::auth::{cookie, SignedIn, Viewer, LANG_COOKIE};
use crate::error::PageError;
use crate::i18n::Lang;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use normverk_core::account::check_new_password;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    page: &'a Page,
    viewer: &'a Viewer,
    errors: FormErrors,
    notice: Option<String>,
}

fn account_page(
    page: &Page,
    viewer: &Viewer,
    errors: FormErrors,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(status, &AccountPage { page, viewer, errors, notice })
}

pub async fn show(page: Page, SignedIn(viewer): SignedIn) -> Result<Response, PageError> {
    account_page(&page, &viewer, FormErrors::default(), None)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    page: Page,
    SignedIn(viewer): SignedIn,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    let mut errors = FormErrors::default();
    if !normverk_app::account::verify_password(form.current, viewer.user.password_hash.clone()).await {
        errors.add("current", page.t("error-current-password"));
    } else if let Err(e) = check_new_password(&form.password) {
        errors.add("password", password_error(page.lang, &e));
    } else if form.password != form.password_confirm {
        errors.add("password_confirm", page.t("error-password-mismatch"));
    }
    if !errors.is_empty() {
        return account_page(&page, &viewer, errors, None);
    }
    let hash = normverk_app::account::hash_password(form.password).await?;
    state.store.set_password_hash(viewer.user.id, &hash, Some(&viewer.session.id_hash)).await?;
    tracing::info!(user_id = viewer.user.id, "password changed");
    account_page(&page, &viewer, errors, Some(page.t("account-password-changed")))
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    back: String,
}

/// Sets the language: on the account when signed in, in a cookie otherwise.
pub async fn set_language(
    State(state): State<AppState>,
    page: Page,
    Form(form): Form<LanguageForm>,
) -> Result<Response, PageError> {
    let lang = Lang::from_code(&form.lang).ok_or(PageError::NotFound)?;
    // Only paths on this site: never an open redirect.
    let back = if form.back.starts_with('/') && !form.back.starts_with("//") && !form.back.contains('\\') {
        form.back
    } else {
        "/".to_string()
    };
    if let Some(v) = &page.viewer {
        state.store.set_locale(v.user.id, Some(lang.code())).await?;
    }
    let one_year = 365 * 24 * 3600;
    Ok(([(header::SET_COOKIE, cookie(&state, LANG_COOKIE, lang.code(), Some(one_year)))], Redirect::to(&back))
        .into_response())
}

/// The pages of this family.
pub fn routes(r: crate::route::Routes) -> crate::route::Routes {
    r.get("/account", show).post("/account/password", change_password).post("/account/language", set_language)
}
