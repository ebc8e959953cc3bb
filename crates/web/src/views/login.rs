//! Signing in and out.

use super::{render, render_status, FormErrors, Page};
use crate::auth::{cookie, SESSION_COOKIE};
use crate::error::PageError;
use crate::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use normverk_store::account::{new_secret, secret_hash, Session};
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    page: &'a Page,
    email: String,
    error: Option<String>,
    not_set_up: bool,
    /// The login form reports one error for the whole form, never per field.
    no_errors: FormErrors,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn show(State(state): State<AppState>, page: Page) -> Result<Response, PageError> {
    if page.viewer.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let not_set_up = state.store.count_users().await? == 0;
    render(&LoginPage { page: &page, email: String::new(), error: None, not_set_up, no_errors: FormErrors::default() })
}

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    page: Page,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let now = state.app.clock.now();
    let address = addr.ip().to_string();
    let email = form.email.trim().to_lowercase();
    let refuse = |error: String| {
        render_status(
            StatusCode::UNAUTHORIZED,
            &LoginPage {
                page: &page,
                email: form.email.chars().take(254).collect(),
                error: Some(error),
                not_set_up: false,
                no_errors: FormErrors::default(),
            },
        )
    };
    if let Some(wait) = state.throttle.wait_s(&email, &address, now) {
        let minutes = (wait + 59) / 60;
        return refuse(page.ta("login-throttled", "minutes", minutes));
    }
    let user = match state.store.user_by_email(&email).await {
        Ok(u) if u.disabled_at.is_none() => Some(u),
        Ok(_) | Err(normverk_store::StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let password_ok =
        normverk_app::account::verify_password(form.password, user.as_ref().and_then(|u| u.password_hash.clone()))
            .await;
    let Some(user) = user.filter(|_| password_ok) else {
        state.throttle.record_failure(&email, &address, now);
        tracing::warn!(client = %address, "failed sign-in");
        return refuse(page.t("login-failed"));
    };
    state.throttle.record_success(&email);
    let cookie = start_session(&state, user.id, now).await?;
    tracing::info!(user_id = user.id, "signed in");
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response())
}

/// Creates a fresh session (never reusing an id, against session fixation) in the person's
/// first organisation, and returns the `Set-Cookie` value for it.
pub async fn start_session(state: &AppState, user_id: i64, now: i64) -> Result<String, PageError> {
    let secret = new_secret("");
    let org_id = state.store.orgs_of_user(user_id).await?.first().map(|m| m.org.id);
    let session = Session {
        id_hash: secret_hash(&secret),
        user_id,
        org_id,
        csrf_token: new_secret(""),
        created_at: now,
        last_seen_at: now,
    };
    state.store.create_session(&session).await?;
    // Clear out sessions that have timed out, now and then, as people sign in.
    let policy = state.config.session;
    state.store.delete_stale_sessions(now - policy.absolute_timeout_s, now - policy.idle_timeout_s).await?;
    Ok(cookie(state, SESSION_COOKIE, &secret, None))
}

pub async fn logout(State(state): State<AppState>, page: Page) -> Result<Response, PageError> {
    if let Some(v) = &page.viewer {
        state.store.delete_session(&v.session.id_hash).await?;
    }
    Ok(([(header::SET_COOKIE, cookie(&state, SESSION_COOKIE, "", Some(0)))], Redirect::to("/login")).into_response())
}

/// The pages of this family.
pub fn routes(r: crate::route::Routes) -> crate::route::Routes {
    r.get("/login", show).post("/login", submit).post("/logout", logout)
}
