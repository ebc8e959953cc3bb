//! The access log for auditors: the latest signed checkpoint, the verifier key, whether the
//! stored log still leads to the signed root, and a search of the organisation's events.

use super::setup::org_number_error;
use super::{render, render_status, FormErrors, Page};
use crate::auth::Member;
use crate::error::PageError;
use crate::params::{EventQuery, MAX_PAGE, PAGE_SIZE};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use normverk_core::access_log::{AccessEvent, Retirement, RetirementEntry};
use normverk_core::org::{Action, OrgNumber};
use normverk_store::access_log::{Delegation, StoredCheckpoint, Verification};
use normverk_store::StoreError;

/// What the page says about the log's state.
pub struct Status {
    /// The latest checkpoint's signature verifies with the log's key, and the stored tiles lead
    /// to its root.
    pub sound: bool,
    /// Why not, when not.
    pub problem: Option<String>,
    /// Events stored but not yet in a signed checkpoint.
    pub waiting: u64,
    /// Events stored but not yet searchable.
    pub unindexed: u64,
}

/// What the page was sent back with after a form.
#[derive(serde::Deserialize)]
pub struct Flags {
    checking: Option<String>,
}

/// One row of the search results: an access event, or the log's record of a retirement.
pub struct Row {
    pub index: u64,
    pub occurred_at: i64,
    pub event: Option<AccessEvent>,
    pub retirement: Option<Retirement>,
}

#[derive(Template)]
#[template(path = "access_log.html")]
struct AccessLogPage<'a> {
    page: &'a Page,
    origin: String,
    verifier_key: String,
    head: Option<StoredCheckpoint>,
    status: Status,
    /// The latest check of the whole log.
    checked: Option<Verification>,
    /// A check was asked for just now.
    check_asked: bool,
    query: EventQuery,
    query_error: Option<String>,
    rows: Vec<Row>,
    page_no: u64,
    more: bool,
    deeper: bool,
    searched: bool,
}

impl AccessLogPage<'_> {
    /// The query string of the search with another page number.
    fn page_link(&self, page: u64) -> String {
        let q = &self.query;
        let pairs: Vec<(&str, &str)> = [
            ("patient_id", q.patient_id.as_deref()),
            ("user_id", q.user_id.as_deref()),
            ("unit", q.unit.as_deref()),
            ("from", q.from.as_deref()),
            ("to", q.to.as_deref()),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v)))
        .collect();
        let mut s = serde_urlencoded::to_string(pairs).unwrap_or_default();
        if !s.is_empty() {
            s.push('&');
        }
        format!("?{s}page={page}")
    }

    /// What the latest check found, in a sentence.
    fn check_said(&self, c: &Verification) -> String {
        let args = [
            ("count", c.leaves.to_string()),
            ("time", self.page.datetime(c.finished_at)),
            ("event", c.bad_index.map_or_else(String::new, |i| (i + 1).to_string())),
        ];
        let key = match (c.outcome.as_str(), c.leaves) {
            ("ok", 0) => "access-log-check-ok-empty".to_string(),
            (outcome, _) => format!("access-log-check-{outcome}"),
        };
        self.page.lang.t_args(&key, &args)
    }

    /// A retirement entry, in a sentence: how many events, from before when.
    fn retirement_said(&self, r: &Retirement) -> String {
        let before = r.before.parse::<jiff::Timestamp>().map(|t| self.page.datetime(t.as_second())).unwrap_or_default();
        self.page.lang.t_args("access-log-retirement", &[("count", r.count.to_string()), ("before", before)])
    }

    fn action_label(&self, e: &AccessEvent) -> String {
        self.page.t(&format!("access-action-{}", e.action.as_str()))
    }

    fn basis_label(&self, e: &AccessEvent) -> String {
        self.page.t(&format!("access-basis-{}", e.basis.as_str()))
    }
}

async fn status(state: &AppState, head: Option<&StoredCheckpoint>) -> Result<Status, PageError> {
    let size = state.store.access_log_size().await?;
    let unindexed = size.saturating_sub(state.store.access_indexed_until().await?);
    let Some(head) = head else {
        return Ok(Status { sound: true, problem: None, waiting: size, unindexed });
    };
    let waiting = size.saturating_sub(head.size);
    let signed = tlog::note::open(head.note.as_bytes(), &[state.app.access_log.verifier()]).is_ok();
    let problem = if !signed {
        Some("the latest checkpoint's signature does not verify with the log's key".to_string())
    } else {
        match normverk_app::access_log::root_from_tiles(&state.store, head.size).await {
            Ok(root) if root == head.root => None,
            Ok(_) => Some("the stored tiles no longer lead to the signed root".to_string()),
            Err(e) => Some(e.to_string()),
        }
    };
    Ok(Status { sound: problem.is_none(), problem, waiting, unindexed })
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Query(query): Query<EventQuery>,
    Query(flags): Query<Flags>,
) -> Result<Response, PageError> {
    member.require(Action::ReadAccessLog)?;
    let head = state.store.access_log_head().await?;
    let status = status(&state, head.as_ref()).await?;
    let searched = [&query.patient_id, &query.user_id, &query.unit, &query.from, &query.to]
        .iter()
        .any(|v| v.as_deref().is_some_and(|s| !s.trim().is_empty()));
    let page_no = query.page();
    let (rows, more, query_error) = match query.filter() {
        Err((field, _)) => (Vec::new(), false, Some(field.to_string())),
        Ok(filter) => {
            // One more than a page tells whether there is a next page.
            let mut found = state
                .store
                .access_events(member.org.id, &filter, PAGE_SIZE + 1, (page_no - 1) * u64::from(PAGE_SIZE))
                .await?;
            let more = found.len() > PAGE_SIZE as usize;
            found.truncate(PAGE_SIZE as usize);
            let rows = found
                .into_iter()
                .map(|r| Row {
                    index: r.index,
                    occurred_at: r.occurred_at,
                    event: normverk_app::access_log::read_event(&r.event_json, r.openings.as_deref()),
                    retirement: RetirementEntry::of(&r.event_json).map(|e| e.retirement),
                })
                .collect();
            (rows, more, None)
        }
    };
    render(&AccessLogPage {
        page: &page,
        origin: state.app.access_log.origin().to_string(),
        verifier_key: state.app.access_log.verifier().key_string(),
        head,
        status,
        checked: state.store.last_access_verification().await?,
        check_asked: flags.checking.is_some(),
        query,
        query_error,
        rows,
        page_no,
        // Matches beyond the deepest page are found by narrowing the search.
        more: more && page_no < MAX_PAGE,
        deeper: more && page_no >= MAX_PAGE,
        searched,
    })
}

/// Asks for the whole log to be checked now; the page says when it has been.
pub async fn check(State(state): State<AppState>, member: Member) -> Result<Response, PageError> {
    member.require(Action::ReadAccessLog)?;
    state.app.access_log.request_check();
    tracing::info!(org_id = member.org.id.0, user_id = member.viewer.user.id, "access log check asked for");
    Ok(axum::response::Redirect::to("/access-log?checking=1").into_response())
}

#[derive(Template)]
#[template(path = "access_log_settings.html")]
struct SettingsPage<'a> {
    page: &'a Page,
    /// Organisations this one has authorised to log for it (and those it did), newest first.
    granted: Vec<Delegation>,
    /// Organisations that have authorised this one to log for them.
    received: Vec<Delegation>,
    may_manage: bool,
    entered_number: String,
    /// Days the payloads are kept (`None`: kept), and when that was set.
    retention: Option<(Option<i64>, i64)>,
    /// Events retired so far, and the latest retirement's time.
    retired: (i64, Option<i64>),
    entered_years: String,
    errors: FormErrors,
}

impl SettingsPage<'_> {
    /// The retention in force, in words.
    fn retention_said(&self) -> String {
        match self.retention.and_then(|(days, _)| days) {
            None => self.page.t("log-retention-keep"),
            Some(days) if days % DAYS_PER_YEAR == 0 => {
                self.page.lang.t_args("log-retention-years", &[("count", (days / DAYS_PER_YEAR).to_string())])
            }
            Some(days) => self.page.lang.t_args("log-retention-days", &[("count", days.to_string())]),
        }
    }

    /// How many events were retired and when last, if any were.
    fn retired_said(&self) -> Option<String> {
        let (count, Some(at)) = self.retired else { return None };
        let args = [("count", count.to_string()), ("time", self.page.datetime(at))];
        (count > 0).then(|| self.page.lang.t_args("log-retention-retired", &args))
    }
}

/// A year of retention, in days.
const DAYS_PER_YEAR: i64 = 365;
/// The longest retention that can be set, in years.
const MAX_RETENTION_YEARS: i64 = 100;

async fn settings_page(
    state: &AppState,
    page: &Page,
    member: &Member,
    entered_number: String,
    entered_years: String,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let (granted, received) =
        state.store.log_delegations(member.org.id).await?.into_iter().partition(|d| d.org_id == member.org.id);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(
        status,
        &SettingsPage {
            page,
            granted,
            received,
            may_manage: member.may(Action::ManageAccessLog),
            entered_number,
            retention: state.store.access_retention(member.org.id).await?,
            retired: state.store.access_retired_count(member.org.id).await?,
            entered_years,
            errors,
        },
    )
}

#[derive(serde::Deserialize)]
pub struct RetentionForm {
    #[serde(default)]
    keep_years: String,
}

/// Sets how many years the organisation's events are kept (blank: kept).
pub async fn set_retention(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Form(form): Form<RetentionForm>,
) -> Result<Response, PageError> {
    member.require(Action::ManageAccessLog)?;
    let years = match form.keep_years.trim() {
        "" => Ok(None),
        y => y.parse::<i64>().ok().filter(|y| (1..=MAX_RETENTION_YEARS).contains(y)).map(Some).ok_or(()),
    };
    let Ok(years) = years else {
        let mut errors = FormErrors::default();
        errors.add("keep_years", page.lang.t_args("log-retention-bad", &[("max", MAX_RETENTION_YEARS.to_string())]));
        return settings_page(&state, &page, &member, String::new(), form.keep_years, errors).await;
    };
    let days = years.map(|y| y * DAYS_PER_YEAR);
    state.store.set_access_retention(member.org.id, days, Some(member.viewer.user.id), state.app.clock.now()).await?;
    tracing::info!(org_id = member.org.id.0, keep_days = ?days, "access log retention set");
    Ok(Redirect::to("/access-log/settings#retention-heading").into_response())
}

/// Who logs for the organisation and whom it logs for.
pub async fn settings(State(state): State<AppState>, page: Page, member: Member) -> Result<Response, PageError> {
    if !member.may(Action::ManageAccessLog) {
        member.require(Action::ReadAccessLog)?;
    }
    settings_page(&state, &page, &member, String::new(), String::new(), FormErrors::default()).await
}

#[derive(serde::Deserialize)]
pub struct DelegateForm {
    #[serde(default)]
    org_number: String,
}

/// Authorises another organisation to log accesses for this one.
pub async fn delegate(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Form(form): Form<DelegateForm>,
) -> Result<Response, PageError> {
    member.require(Action::ManageAccessLog)?;
    let mut errors = FormErrors::default();
    match OrgNumber::parse(&form.org_number) {
        Err(e) => errors.add("org_number", org_number_error(page.lang, &e)),
        Ok(number) => {
            let by = Some(member.viewer.user.id);
            match state.store.grant_log_delegation(member.org.id, number.as_str(), by, state.app.clock.now()).await {
                Ok(d) => {
                    tracing::info!(
                        org_id = member.org.id.0,
                        delegate = d.delegate_org_id.0,
                        "access log delegation granted"
                    );
                    return Ok(Redirect::to("/access-log/settings#delegations-heading").into_response());
                }
                Err(StoreError::Rejected(r)) => errors.add("org_number", page.rejection(&r)),
                Err(e) => return Err(e.into()),
            }
        }
    }
    settings_page(&state, &page, &member, form.org_number, String::new(), errors).await
}

/// Ends an authorisation this organisation granted.
pub async fn revoke(State(state): State<AppState>, member: Member, Path(id): Path<i64>) -> Result<Response, PageError> {
    member.require(Action::ManageAccessLog)?;
    state.store.revoke_log_delegation(member.org.id, id, Some(member.viewer.user.id), state.app.clock.now()).await?;
    tracing::info!(org_id = member.org.id.0, delegation = id, "access log delegation revoked");
    Ok(Redirect::to("/access-log/settings#delegations-heading").into_response())
}

/// The pages of this family.
pub fn routes(r: crate::route::Routes) -> crate::route::Routes {
    r.get("/access-log", show)
        .post("/access-log/check", check)
        .get("/access-log/settings", settings)
        .post("/access-log/delegations", delegate)
        .post("/access-log/delegations/{id}/revoke", revoke)
        .post("/access-log/retention", set_retention)
}
