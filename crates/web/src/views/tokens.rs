//! API tokens for machines: issued by administrators, shown once, revocable.

use super::setup::name_error;
use super::{render_status, FormErrors, Page};
use crate::auth::Member;
use crate::error::PageError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use normverk_core::org::{clean_name, Action, Scope};
use normverk_store::token::ApiToken;
use std::str::FromStr;

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage<'a> {
    page: &'a Page,
    tokens: Vec<ApiToken>,
    all_scopes: &'static [Scope],
    entered_name: String,
    errors: FormErrors,
    created: Option<String>,
}

async fn tokens_page(
    state: &AppState,
    page: &Page,
    member: &Member,
    name: String,
    errors: FormErrors,
    created: Option<String>,
) -> Result<Response, PageError> {
    let tokens = state.store.tokens(member.org.id).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(status, &TokensPage { page, tokens, all_scopes: Scope::ALL, entered_name: name, errors, created })
}

pub async fn list(State(state): State<AppState>, page: Page, member: Member) -> Result<Response, PageError> {
    member.require(Action::ManageAccess)?;
    tokens_page(&state, &page, &member, String::new(), FormErrors::default(), None).await
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    member.require(Action::ManageAccess)?;
    let mut errors = FormErrors::default();
    let raw_name = fields.iter().find(|(k, _)| k == "name").map_or("", |(_, v)| v.as_str());
    let name = clean_name(raw_name).map_err(|e| errors.add("name", name_error(page.lang, &e))).ok();
    let mut scopes: Vec<Scope> =
        fields.iter().filter(|(k, _)| k == "scope").filter_map(|(_, v)| Scope::from_str(v).ok()).collect();
    scopes.sort();
    scopes.dedup();
    if scopes.is_empty() {
        errors.add("scopes", page.t("error-choose-scope"));
    }
    let (Some(name), true) = (name, errors.is_empty()) else {
        return tokens_page(&state, &page, &member, raw_name.to_string(), errors, None).await;
    };
    let (secret, token) = normverk_app::account::issue_token(
        &state.store,
        member.org.id,
        &name,
        &scopes,
        Some(member.viewer.user.id),
        state.app.clock.now(),
    )
    .await?;
    tracing::info!(org_id = member.org.id.0, token_id = token.id, by = member.viewer.user.id, "API token issued");
    tokens_page(&state, &page, &member, String::new(), FormErrors::default(), Some(secret)).await
}

pub async fn revoke(
    State(state): State<AppState>,
    member: Member,
    Path(token_id): Path<i64>,
) -> Result<Response, PageError> {
    let token = state.store.token(member.org.id, token_id).await?;
    member.require(Action::ManageAccess)?;
    if token.revoked_at.is_none() {
        state.store.revoke_token(member.org.id, token_id, state.app.clock.now()).await?;
        tracing::info!(org_id = member.org.id.0, token_id, by = member.viewer.user.id, "API token revoked");
    }
    Ok(Redirect::to("/org/tokens").into_response())
}

/// The pages of this family.
pub fn routes(r: crate::route::Routes) -> crate::route::Routes {
    r.get("/org/tokens", list).post("/org/tokens", create).post("/org/tokens/{token_id}/revoke", revoke)
}
