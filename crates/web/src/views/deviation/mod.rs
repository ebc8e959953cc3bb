//! `/deviations`: report a deviation in a minute (on a phone too), follow it from report to
//! closure, and never miss the 72-hour clock. Every read of a deviation is recorded.
//!
//! One module per concern: `report` (the form and the list), `show` (a deviation's page),
//! `workflow` (steps, measures, reactions), `notice` (to Datatilsynet and the data subjects),
//! `stats`, `export` and `processors` (reports between a processor and its controllers). What
//! they share is here.

mod export;
mod notice;
mod processors;
mod report;
mod show;
mod stats;
mod workflow;

pub use export::{export_csv, export_xlsx};
pub use notice::{notice, notice_html, notice_json, subjects};
pub use processors::{forward, report_json, set_processor};
pub use report::{create, list, new};
pub use show::show;
pub use stats::{set_threshold, stats};
pub use workflow::{measure, reaction, step};

use processors::rfc;
use report::now_input;
use show::show_page;
use workflow::{act, number, yes_no};

use super::{parse_time_input, render, render_status, Entered, FormErrors, Page};
use crate::auth::Member;
use crate::error::PageError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use normverk_app::deviation::{self as deviations, Actor, DeviationError};
use normverk_core::deviation::{
    self as rules, AuthorityNotice, Category, DeviationKind, MeasureIn, NewDeviation, NoticeStage, Severity,
    State as DevState, Step, SubjectDecision, SubjectExemption,
};
use normverk_core::org::Action;
use normverk_core::problem::{Problem, ProblemKey};
use normverk_store::deviation::{Deviation, Measure, NoticeRecord, ReadRecord, StepRecord};
use normverk_store::org::Unit;
use normverk_store::OrgId;
use normverk_store::StoreError;
use std::collections::HashMap;
use std::str::FromStr;

const PAGE_SIZE: i64 = 50;

/// The breach clock as shown: the deadline, and how long is left (negative when passed).
pub struct Clock {
    pub deadline: i64,
    pub left_s: i64,
}

impl Clock {
    fn of(d: &Deviation, now: i64) -> Option<Clock> {
        (d.notice_required && d.notice_complete_at.is_none()).then(|| {
            let deadline = rules::notification_deadline(d.aware_at);
            Clock { deadline, left_s: deadline - now }
        })
    }

    pub fn passed(&self) -> bool {
        self.left_s < 0
    }

    /// "41 t 12 min".
    pub fn left(&self) -> String {
        let s = self.left_s.abs();
        format!("{} t {:02} min", s / 3600, (s % 3600) / 60)
    }

    /// The reminder level: 0 before 24 hours, 1 after 24, 2 after 48, 3 after 66, 4 when passed.
    pub fn level(&self) -> usize {
        let elapsed = rules::NOTIFICATION_WINDOW_S - self.left_s;
        rules::REMINDER_HOURS.iter().filter(|h| elapsed >= *h * 3600).count() + usize::from(self.passed())
    }
}

pub struct Row {
    pub d: Deviation,
    pub clock: Option<Clock>,
}

/// Breaches whose notice is still due, with their clocks, for the dashboard.
pub async fn open_breaches(state: &AppState, org_id: OrgId) -> Result<Vec<Row>, PageError> {
    let now = state.app.clock.now();
    Ok(state.store.open_breaches(org_id).await?.into_iter().map(|d| Row { clock: Clock::of(&d, now), d }).collect())
}

fn page_error(e: DeviationError) -> PageError {
    match e {
        DeviationError::NotFound => PageError::NotFound,
        DeviationError::Forbidden(_) => PageError::Forbidden,
        DeviationError::Invalid(p) => PageError::Internal(format!("{p:?}")),
        DeviationError::Rejected(r) => PageError::Internal(r.to_string()),
        DeviationError::Conflict(m) => PageError::Internal(m),
        DeviationError::Store(e) => e.into(),
    }
}

/// The member as the deviation service sees them.
fn actor(member: &Member) -> Actor<'_> {
    Actor::Person { user_id: member.viewer.user.id, roles: &member.roles }
}

/// Loads a deviation the member may see, recording the read.
async fn load_read(state: &AppState, member: &Member, id: i64) -> Result<Deviation, PageError> {
    let d = state.app.deviation.load(member.org.id, id, &actor(member)).await.map_err(page_error)?;
    state.app.deviation.record_read(&d, &member.accessor()).await.map_err(page_error)?;
    Ok(d)
}

/// Loads a deviation the member may handle (the read recorded); one they may only see is
/// forbidden.
async fn load_handled(state: &AppState, member: &Member, id: i64) -> Result<Deviation, PageError> {
    let d = load_read(state, member, id).await?;
    if !state.app.deviation.powers(&d, &actor(member)).await?.0 {
        return Err(PageError::Forbidden);
    }
    Ok(d)
}

/// The pages of this family.
pub fn routes(r: crate::route::Routes) -> crate::route::Routes {
    r.get("/deviations", list)
        .post("/deviations", create)
        .get("/deviations/new", new)
        .get("/deviations/stats", stats)
        .post("/deviations/settings", set_threshold)
        .post("/deviations/processors", set_processor)
        .get("/deviations/export.csv", export_csv)
        .get("/deviations/export.xlsx", export_xlsx)
        .get("/deviations/{id}", show)
        .post("/deviations/{id}/steps", step)
        .post("/deviations/{id}/notices", notice)
        .post("/deviations/{id}/subjects", subjects)
        .post("/deviations/{id}/reactions", reaction)
        .post("/deviations/{id}/measures/{measure_id}", measure)
        .get("/deviations/{id}/notice.html", notice_html)
        .get("/deviations/{id}/notice.json", notice_json)
        .get("/deviations/{id}/report.json", report_json)
        .post("/deviations/{id}/forward", forward)
}
