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
    units: i64,
    members: i64,
    active_tokens: Option<i64>,
    /// Personal data breaches whose notice to Datatilsynet is still due, soonest first.
    breaches: Vec<super::deviation::Row>,
    /// Categories and systems with repeated deviations: a new risk assessment is due.
    repeats: Vec<normverk_core::deviation::Repeat>,
    /// The latest check of the whole access log, for those who may read it.
    log_check: Option<normverk_store::access_log::Verification>,
    /// Whether the reader may open a risk assessment from a task.
    may_assess_risk: bool,
}

pub async fn show(State(state): State<AppState>, page: Page, member: Member) -> Result<Response, PageError> {
    let summary = state.store.org_summary(member.org.id).await?;
    let (units, members) = (summary.units, summary.members);
    let active_tokens = member.may(Action::ManageAccess).then_some(summary.active_tokens);
    let kind = page.t(&format!("org-kind-{}", member.org.kind.replace('_', "-")));
    let (breaches, repeats) = if member.may(Action::ReadAllDeviations) {
        (
            super::deviation::open_breaches(&state, member.org.id).await?,
            state.app.deviation.repeats(member.org.id).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let log_check =
        if member.may(Action::ReadAccessLog) { state.store.last_access_verification().await? } else { None };
    let may_assess_risk = member.may(Action::AssessRisk);
    render(&DashboardPage {
        page: &page,
        org: member.org,
        kind,
        roles: member.roles,
        units,
        members,
        active_tokens,
        breaches,
        repeats,
        log_check,
        may_assess_risk,
    })
}

/// The pages of this family.
pub fn routes(r: crate::route::Routes) -> crate::route::Routes {
    r.get("/", show)
}
