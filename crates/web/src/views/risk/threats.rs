//! `/risk/threats`: the organisation's threat catalogue — normverk's threats for health and
//! care, reworded or retired as the organisation sees fit, and its own added.

use super::{refused, text, value};
use crate::auth::Member;
use crate::error::PageError;
use crate::views::{render_status, Entered, FormErrors, Page};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use normverk_app::risk::RiskError;
use normverk_core::org::Action;
use normverk_core::risk::Threat;

#[derive(Template)]
#[template(path = "risk_threats.html")]
struct ThreatsPage<'a> {
    page: &'a Page,
    threats: Vec<Threat>,
    may_edit: bool,
    /// The threat a refused change was for (none: the new one).
    failed: Option<String>,
    errors: FormErrors,
    entered: Entered,
}

impl ThreatsPage<'_> {
    /// What the form for `code` shows for `key`: what was entered if it was refused, else `stored`.
    pub fn v(&self, code: &str, key: &str, stored: &str) -> String {
        if self.failed.as_deref() == Some(code) && self.entered.has(key) { self.entered.get(key) } else { stored }
            .to_string()
    }
}

async fn threats_page(
    state: &AppState,
    page: &Page,
    member: &Member,
    failed: Option<String>,
    errors: FormErrors,
    entered: Entered,
) -> Result<Response, PageError> {
    let threats = state.app.risk.threats(member.org.id).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let may_edit = member.may(Action::AssessRisk);
    render_status(status, &ThreatsPage { page, threats, may_edit, failed, errors, entered })
}

pub async fn show(State(state): State<AppState>, page: Page, member: Member) -> Result<Response, PageError> {
    threats_page(&state, &page, &member, None, FormErrors::default(), Entered::default()).await
}

async fn save(
    state: &AppState,
    page: &Page,
    member: &Member,
    code: Option<String>,
    fields: Vec<(String, String)>,
) -> Result<Response, PageError> {
    member.require(Action::AssessRisk)?;
    let retired = !value(&fields, "retired").is_empty();
    let saved = state
        .app
        .risk
        .save_threat(member.org.id, code.as_deref(), value(&fields, "title"), &text(&fields, "description"), retired)
        .await;
    match saved {
        Ok(_) => Ok(Redirect::to("/risk/threats").into_response()),
        Err(RiskError::Store(normverk_store::StoreError::NotFound)) => Err(PageError::NotFound),
        Err(e) => {
            let errors = refused(page, e)?;
            let failed = Some(code.unwrap_or_default());
            threats_page(state, page, member, failed, errors, Entered::from(&fields)).await
        }
    }
}

/// A threat of the organisation's own.
pub async fn add(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    save(&state, &page, &member, None, fields).await
}

/// A threat reworded, or retired from the choices.
pub async fn update(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    save(&state, &page, &member, Some(code), fields).await
}
