//! The dashboard: the organisation at a glance.

use super::{render, Page};
use crate::auth::Member;
use crate::error::PageError;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use normverk_core::deviation::REPEAT_WINDOW_S;
use normverk_core::dpia::State as DpiaState;
use normverk_core::org::{Action, Role};
use normverk_core::risk::{repeat_trigger, Due, Reason};
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
    /// Risk assessments that are due (Normen 3.3), for those who assess risk.
    due: Vec<Task>,
    /// How many more of each kind than shown.
    due_more: usize,
    /// DPIAs that are due: processings screened as requiring one without an approved one,
    /// approved ones to review, and those awaiting prior consultation.
    dpia_tasks: Vec<LinkTask>,
    /// Access reviews awaiting the reader's answers, overdue, or the yearly one due (Normen 5.2.3).
    review_tasks: Vec<LinkTask>,
}

async fn review_tasks(state: &AppState, page: &Page, member: &Member) -> Result<Vec<LinkTask>, PageError> {
    let org = member.org.id;
    let (answers, starts) = (member.may(Action::GrantAuthorisations), member.may(Action::StartAccessReviews));
    if !answers && !starts {
        return Ok(Vec::new());
    }
    let reviews = state.store.reviews(org).await?;
    let me = member.viewer.user.id;
    let mut out = Vec::new();
    if starts && state.app.reviews.yearly_due(org, &reviews).await? {
        out.push(LinkTask { text: page.t("review-due-yearly"), href: "/authz/reviews".into() });
    }
    for r in reviews.iter().filter(|r| r.closed_at.is_none()) {
        let href = format!("/authz/reviews/{}", r.id);
        if starts && state.app.reviews.overdue(r) {
            out.push(LinkTask { text: page.ta("review-due-overdue", "what", &r.title), href });
        } else if answers {
            let shares = state.store.review_shares(org, r.id).await?;
            if shares.iter().any(|s| s.manager_id == Some(me) && s.answered < s.total) {
                let href = format!("/authz/reviews/{}?manager={me}", r.id);
                out.push(LinkTask { text: page.ta("review-due-answer", "what", &r.title), href });
            }
        }
    }
    out.truncate(TASKS_PER_KIND * 2);
    Ok(out)
}

/// A task that is due (a DPIA, an access review), with where to do it.
pub struct LinkTask {
    pub text: String,
    pub href: String,
}

async fn dpia_tasks(state: &AppState, page: &Page, org_id: normverk_store::OrgId) -> Result<Vec<LinkTask>, PageError> {
    let dpias = state.app.dpia.all(org_id).await?;
    let mut out = Vec::new();
    for p in state.store.processings(org_id).await? {
        let covered = dpias.iter().any(|d| d.doc.processings.contains(&p.id) && d.stored.state == DpiaState::Approved);
        let started = dpias.iter().any(|d| d.doc.processings.contains(&p.id));
        if p.record.dpia == normverk_core::dpia::Outcome::Required.as_str() && !covered {
            let (key, href) = if started {
                ("dpia-due-unapproved", "/risk/dpia".to_string())
            } else {
                ("dpia-due-required", format!("/risk/dpia?processing={}", p.id))
            };
            out.push(LinkTask { text: page.ta(key, "what", &p.record.name), href });
        }
    }
    for d in &dpias {
        let href = format!("/risk/dpia/{}", d.stored.id);
        if d.awaiting_consultation() {
            out.push(LinkTask { text: page.ta("dpia-due-consultation", "what", &d.doc.title), href });
        } else if d.needs_review {
            out.push(LinkTask { text: page.ta("dpia-due-review", "what", &d.doc.title), href });
        }
    }
    out.truncate(TASKS_PER_KIND * 2);
    Ok(out)
}

/// A risk assessment that is due, as a task with the form that opens it.
pub struct Task {
    /// What is due, in the reader's language.
    pub text: String,
    pub reason: &'static str,
    pub title: String,
    pub processing: Option<i64>,
    pub system: Option<i64>,
}

/// At most this many tasks of one kind are listed.
const TASKS_PER_KIND: usize = 5;

/// `between`: the enterprise named by each authorisation to another enterprise's data, by id.
fn tasks(
    page: &Page,
    due: Vec<Due>,
    targets: &normverk_store::risk::Targets,
    between: &std::collections::HashMap<i64, String>,
) -> (Vec<Task>, usize) {
    let name = |of: &[normverk_store::Named], id: i64| {
        of.iter().find(|n| n.id == id).map_or(String::new(), |n| n.name.clone())
    };
    let mut out: Vec<Task> = Vec::new();
    let mut shown: std::collections::HashMap<&'static str, usize> = std::collections::HashMap::new();
    let mut more = 0;
    for d in due {
        let (kind, reason, processing, system, what) = match &d {
            Due::NewProcessing(id) => {
                ("new_processing", Reason::NewProcessing, Some(*id), None, name(&targets.processings, *id))
            }
            Due::ChangedProcessing(id) => {
                ("changed_processing", Reason::Change, Some(*id), None, name(&targets.processings, *id))
            }
            Due::NewSystem(id) => ("new_system", Reason::NewSystem, None, Some(*id), name(&targets.systems, *id)),
            Due::ChangedSystem(id) => ("changed_system", Reason::Change, None, Some(*id), name(&targets.systems, *id)),
            Due::Regular(last) => {
                ("regular", Reason::Regular, None, None, last.map_or_else(String::new, |at| page.datetime(at)))
            }
            Due::AccessBetween(id) => {
                let whom = between.get(id).cloned().unwrap_or_default();
                ("access_between", Reason::AccessBetween, None, None, whom)
            }
            Due::Deviations(_) => continue,
        };
        let n = shown.entry(kind).or_default();
        *n += 1;
        if *n > TASKS_PER_KIND {
            more += 1;
            continue;
        }
        let key = if matches!(d, Due::Regular(None)) {
            "risk-due-regular-never".to_string()
        } else {
            format!("risk-due-{}", kind.replace('_', "-"))
        };
        out.push(Task {
            text: page.ta(&key, "what", &what),
            reason: reason.as_str(),
            // An assessment's title holds at most 200 characters; a long name is cut to fit.
            title: page
                .ta(&format!("risk-due-title-{}", kind.replace('_', "-")), "what", &what)
                .chars()
                .take(200)
                .collect(),
            processing,
            system,
        });
    }
    (out, more)
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
    let review_tasks = review_tasks(&state, &page, &member).await?;
    let dpia_tasks = if may_assess_risk { dpia_tasks(&state, &page, member.org.id).await? } else { Vec::new() };
    let (repeats, due, due_more) = if may_assess_risk || member.may(Action::DecideRisk) {
        let keys: Vec<String> = repeats.iter().map(|r| repeat_trigger(r.by, &r.value)).collect();
        let due = state.app.risk.due(member.org.id, &keys, REPEAT_WINDOW_S).await?;
        let open: Vec<&String> =
            due.iter().filter_map(|d| if let Due::Deviations(k) = d { Some(k) } else { None }).collect();
        let repeats = repeats.into_iter().filter(|r| open.contains(&&repeat_trigger(r.by, &r.value))).collect();
        let targets = state.store.risk_targets(member.org.id).await?;
        let between = state
            .store
            .authorisations(member.org.id, None)
            .await?
            .into_iter()
            .filter_map(|a| Some((a.id, a.grant.other_enterprise?.name)))
            .collect();
        let (due, more) = tasks(&page, due, &targets, &between);
        (repeats, due, more)
    } else {
        (repeats, Vec::new(), 0)
    };
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
        due,
        due_more,
        dpia_tasks,
        review_tasks,
    })
}

/// The pages of this family.
pub fn routes(r: crate::route::Routes) -> crate::route::Routes {
    r.get("/", show)
}
