//! Deviations as both the pages and the API handle them: who may see and do what, taking a
//! step, recording notices. The rules themselves are in `core::deviation`.

use crate::AppState;
use normverk_core::deviation::{
    self, check_notice, check_step, check_subject_decision, AuthorityNotice, Facts, Problem, Reach, State, Step,
    SubjectDecision,
};
use normverk_core::org::Role;
use normverk_store::deviation::{Deviation, StepChanges, Visible};
use normverk_store::StoreError;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the dashboard's list of repeated deviations is reused: it scans a year of
/// deviations, and a new report in this process clears it at once.
const REPEATS_TTL: Duration = Duration::from_secs(60);

/// Per organisation: when the repeated deviations were counted, and what was found.
#[derive(Default)]
pub struct RepeatsCache(Mutex<HashMap<i64, (Instant, Vec<deviation::Repeat>)>>);

impl RepeatsCache {
    pub fn forget(&self, org_id: i64) {
        if let Ok(mut c) = self.0.lock() {
            c.remove(&org_id);
        }
    }
}

/// What the statistics page counts over a year of deviations (the costly part), per
/// organisation, with the store's deviation version it was counted at and when.
#[derive(Default)]
pub struct StatsCache(Mutex<HashMap<i64, Counted>>);

/// Counts with the version they were counted at and when.
type Counted = (i64, Instant, Arc<YearCounts>);

/// A year of deviations counted: the groups, the days after `since`, and `since`.
pub struct YearCounts {
    pub since: i64,
    pub groups: Vec<normverk_store::deviation::DeviationGroup>,
    pub days: Vec<(i64, i64)>,
}

/// How long counts are reused while nothing changed: the year's window slides on, and a
/// deviation leaving it a minute late changes nothing anyone acts on.
const STATS_TTL: Duration = Duration::from_secs(60);

/// The organisation's last twelve months counted, reused until a report or step changes them
/// (on any instance: the version lives in the store) or a minute has passed.
pub async fn year_counts(state: &AppState, org_id: i64, now: i64) -> Result<Arc<YearCounts>, StoreError> {
    let version = state.store.deviation_version(org_id).await?;
    let cached = state.stats.0.lock().ok().and_then(|c| c.get(&org_id).cloned());
    if let Some((v, at, counts)) = cached {
        if v == version && at.elapsed() < STATS_TTL {
            return Ok(counts);
        }
    }
    let since = now - deviation::REPEAT_WINDOW_S;
    let counts = Arc::new(YearCounts {
        since,
        groups: state.store.deviation_groups(org_id, since).await?,
        days: state.store.deviation_days(org_id, since).await?,
    });
    if let Ok(mut cache) = state.stats.0.lock() {
        cache.insert(org_id, (version, Instant::now(), counts.clone()));
    }
    Ok(counts)
}

/// Files a report (already checked), so the dashboard counts it at once.
pub async fn create(
    state: &AppState,
    org_id: i64,
    reporter: Option<i64>,
    report: &deviation::NewDeviation,
    now: i64,
) -> Result<Deviation, DeviationError> {
    let d = state.store.create_deviation(org_id, reporter, report, now).await?;
    state.repeats.forget(org_id);
    Ok(d)
}

/// Sets the threshold for repeated deviations.
pub async fn set_repeat_threshold(
    state: &AppState,
    org_id: i64,
    n: i64,
    by: Option<i64>,
    now: i64,
) -> Result<(), StoreError> {
    state.store.set_repeat_threshold(org_id, n, by, now).await?;
    state.repeats.forget(org_id);
    Ok(())
}

/// The categories and systems that call for a new risk assessment (Normen 5.8.1).
pub async fn repeats(state: &AppState, org_id: i64) -> Result<Vec<deviation::Repeat>, StoreError> {
    if let Ok(c) = state.repeats.0.lock() {
        if let Some((at, found)) = c.get(&org_id) {
            if at.elapsed() < REPEATS_TTL {
                return Ok(found.clone());
            }
        }
    }
    let since = normverk_store::unix_now() - deviation::REPEAT_WINDOW_S;
    let groups = state.store.deviation_groups(org_id, since).await?;
    let threshold = state.store.repeat_threshold(org_id).await?;
    let found = crate::views::deviation::repeats_of(&groups, threshold);
    if let Ok(mut c) = state.repeats.0.lock() {
        c.insert(org_id, (Instant::now(), found.clone()));
    }
    Ok(found)
}

/// Who acts: a person with roles, or an API token (which acts for the organisation but adopts
/// nothing: adopting measures is a person's decision).
#[derive(Debug, Clone)]
pub enum Actor<'a> {
    Person { user_id: i64, roles: &'a [Role] },
    Token,
}

impl Actor<'_> {
    fn user_id(&self) -> Option<i64> {
        match self {
            Actor::Person { user_id, .. } => Some(*user_id),
            Actor::Token => None,
        }
    }
}

#[derive(Debug)]
pub enum DeviationError {
    NotFound,
    Forbidden(&'static str),
    Invalid(Vec<Problem>),
    Conflict(String),
    Store(StoreError),
}

impl From<StoreError> for DeviationError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => DeviationError::NotFound,
            StoreError::Conflict(m) => DeviationError::Conflict(m),
            StoreError::Rejected(m) => {
                let (field, message) = m.split_once(": ").unwrap_or(("", m.as_str()));
                let field = if field == "unit_id" { "unit_id" } else { "" };
                DeviationError::Invalid(vec![Problem { field, message: message.to_string() }])
            }
            other => DeviationError::Store(other),
        }
    }
}

/// The deviations `roles` may list.
pub fn visible(user_id: i64, roles: &[Role]) -> Visible {
    match deviation::reach(roles) {
        Reach::All => Visible::All,
        Reach::UnitsAndOwn => Visible::UnitsAndOwn { user_id },
        Reach::Own => Visible::Own { user_id },
    }
}

async fn manages(state: &AppState, d: &Deviation, user_id: i64) -> Result<bool, StoreError> {
    match d.unit_id {
        Some(unit) => state.store.manages_unit(d.org_id, user_id, unit).await,
        None => Ok(false),
    }
}

/// A deviation the actor may see; one they may not see is "not found", so its existence is not
/// told either.
pub async fn load(state: &AppState, org_id: i64, id: i64, actor: &Actor<'_>) -> Result<Deviation, DeviationError> {
    let d = state.store.deviation(org_id, id).await?;
    let Actor::Person { user_id, roles } = actor else { return Ok(d) };
    let seen = match deviation::reach(roles) {
        Reach::All => true,
        Reach::UnitsAndOwn => d.reporter_id == Some(*user_id) || manages(state, &d, *user_id).await?,
        Reach::Own => d.reporter_id == Some(*user_id),
    };
    if seen {
        Ok(d)
    } else {
        Err(DeviationError::NotFound)
    }
}

/// What the actor may do with `d`: handle it, adopt its measures.
pub async fn powers(state: &AppState, d: &Deviation, actor: &Actor<'_>) -> Result<(bool, bool), StoreError> {
    match actor {
        Actor::Token => Ok((true, false)),
        Actor::Person { user_id, roles } => {
            let manages = manages(state, d, *user_id).await?;
            Ok((deviation::may_handle(roles, manages), deviation::may_adopt(roles, manages)))
        }
    }
}

pub fn state_of(d: &Deviation) -> State {
    State::from_str(&d.state).unwrap_or(State::Reported)
}

fn facts(d: &Deviation) -> Facts {
    Facts {
        state: state_of(d),
        notice_required: d.notice_required,
        notice_recorded: d.notice_complete_at.is_some(),
        subject_decision_recorded: d.subject_decision.is_some(),
    }
}

/// Today's date in Oslo, `YYYY-MM-DD`, for deadlines of measures.
pub fn today(now: i64) -> String {
    let tz = jiff::tz::TimeZone::get("Europe/Oslo").unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_second(now).map(|t| t.to_zoned(tz).date().to_string()).unwrap_or_default()
}

/// Takes one step of the workflow, or says why not; a refused step changes nothing.
pub async fn take_step(
    state: &AppState,
    d: &Deviation,
    step: &Step,
    actor: &Actor<'_>,
    now: i64,
) -> Result<(), DeviationError> {
    let (handle, adopt) = powers(state, d, actor).await?;
    if matches!(step, Step::MeasuresAdopted { .. }) {
        if !adopt {
            return Err(DeviationError::Forbidden(match actor {
                Actor::Token => "measures are adopted by a manager or the security lead, in normverk",
                Actor::Person { .. } => "measures are adopted by the unit's manager or the security lead",
            }));
        }
    } else if !handle {
        return Err(DeviationError::Forbidden(
            "deviations are handled by the security lead, the DPO or the unit's manager",
        ));
    }
    let problems = check_step(facts(d), step, &today(now));
    if !problems.is_empty() {
        return Err(DeviationError::Invalid(problems));
    }
    let mut changes = StepChanges::default();
    match step {
        Step::Assessed { kind, personal_data_breach, consequences_for_data_subjects, severity, .. } => {
            changes.kind = Some(kind.as_str().to_string());
            changes.severity = Some(severity.as_str().to_string());
            changes.personal_data_breach = Some(*personal_data_breach);
            changes.consequences = Some(*consequences_for_data_subjects);
            changes.notice_required =
                Some(deviation::notice_required(*personal_data_breach, *consequences_for_data_subjects));
        }
        Step::MeasuresProposed { measures, .. } => {
            changes.measures = measures
                .iter()
                .map(|m| (m.description.trim().to_string(), m.owner.trim().to_string(), m.deadline.trim().to_string()))
                .collect();
        }
        _ => {}
    }
    let fields = serde_json::to_string(step).unwrap_or_default();
    let to = step.target();
    state.store.apply_deviation_step(d.org_id, d.id, state_of(d), to, &fields, &changes, actor.user_id(), now).await?;
    tracing::info!(org_id = d.org_id, deviation = d.id, to = to.as_str(), "deviation step taken");
    Ok(())
}

/// Records a notice to Datatilsynet (content checked; a late one needs its reason).
pub async fn record_notice(
    state: &AppState,
    d: &Deviation,
    notice: &AuthorityNotice,
    actor: &Actor<'_>,
    now: i64,
) -> Result<(), DeviationError> {
    if !powers(state, d, actor).await?.0 {
        return Err(DeviationError::Forbidden(
            "notices are recorded by the security lead, the DPO or the unit's manager",
        ));
    }
    let problems = check_notice(notice, d.aware_at, now);
    if !problems.is_empty() {
        return Err(DeviationError::Invalid(problems));
    }
    let stage = notice.stage.map(|s| s.as_str()).unwrap_or("initial");
    let late = notice.sent_at > deviation::notification_deadline(d.aware_at);
    let content = serde_json::to_string(notice).unwrap_or_default();
    state
        .store
        .add_deviation_notice(
            d.org_id,
            d.id,
            stage,
            &content,
            notice.sent_at,
            late,
            notice.is_complete(),
            actor.user_id(),
            now,
        )
        .await?;
    tracing::info!(org_id = d.org_id, deviation = d.id, stage, late, "notice to Datatilsynet recorded");
    Ok(())
}

/// Records whether and how the data subjects are notified.
pub async fn record_subject_decision(
    state: &AppState,
    d: &Deviation,
    decision: &SubjectDecision,
    actor: &Actor<'_>,
    now: i64,
) -> Result<(), DeviationError> {
    if !powers(state, d, actor).await?.0 {
        return Err(DeviationError::Forbidden("this decision is for the security lead, the DPO or the unit's manager"));
    }
    let problems = check_subject_decision(decision, now);
    if !problems.is_empty() {
        return Err(DeviationError::Invalid(problems));
    }
    let json = serde_json::to_string(decision).unwrap_or_default();
    state.store.set_subject_decision(d.org_id, d.id, &json, now).await?;
    Ok(())
}
