//! The dashboard: the organisation at a glance.

use super::{render, Page};
use crate::auth::Member;
use crate::error::PageError;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use normverk_core::org::{Action, Role};
use normverk_store::org::Org;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage<'a> {
    page: &'a Page,
    org: Org,
    kind: String,
    roles: Vec<Role>,
    units: usize,
    members: usize,
    active_tokens: Option<usize>,
}

pub async fn show(State(state): State<AppState>, page: Page, member: Member) -> Result<Response, PageError> {
    let units = state.store.units(member.org.id).await?.len();
    let members = state.store.members(member.org.id).await?.len();
    let active_tokens = if member.may(Action::ManageAccess) {
        Some(state.store.tokens(member.org.id).await?.iter().filter(|t| t.revoked_at.is_none()).count())
    } else {
        None
    };
    let kind = page.t(&format!("org-kind-{}", member.org.kind.replace('_', "-")));
    render(&DashboardPage { page: &page, org: member.org, kind, roles: member.roles, units, members, active_tokens })
}
