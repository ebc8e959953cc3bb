//! Deviations as the pages and the API handle them: who may see and do what, filing a report,
//! taking a step, recording notices, and the counts behind the dashboard and the statistics.
//! The rules themselves are in `core::deviation`.

use crate::access_log::{AccessLog, Accessor, OwnAccess};
use crate::cache::Cache;
use crate::clock::{date_in_norway, Clock};
use normverk_core::access_log::{AccessAction, Basis};
use normverk_core::deviation::{
    self, check_notice, check_step, check_subject_decision, AuthorityNotice, Facts, MeasureIn, Reach, Repeat, Step,
    SubjectDecision,
};
use normverk_core::org::Role;
use normverk_core::problem::Problem;
use normverk_store::deviation::{DayCount, Deviation, DeviationGroup, StepChanges, Visible};
use normverk_store::OrgId;
use normverk_store::{Rejection, Store, StoreError};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// How long the dashboard's list of repeated deviations is reused: it scans a year of
/// deviations, and a new report in this process clears it at once.
const REPEATS_TTL: Duration = Duration::from_secs(60);

/// How long counts are reused while nothing changed: the year's window slides on, and a
/// deviation leaving it a minute late changes nothing anyone acts on.
const STATS_TTL: Duration = Duration::from_secs(60);

/// A year of deviations counted: the groups, the days after `since`, and `since`.
pub struct YearCounts {
    pub since: i64,
    pub groups: Vec<DeviationGroup>,
    pub days: Vec<DayCount>,
}

/// The deviation service: the store, the clock, the access log its reads go into, and what it
/// keeps counted per organisation.
pub struct Deviations {
    store: Store,
    clock: Clock,
    log: Arc<AccessLog>,
    repeats: Cache<OrgId, Vec<Repeat>>,
    stats: Cache<OrgId, Arc<YearCounts>>,
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

/// The information type of a deviation's read in the access log.
pub const READ_INFORMATION_TYPE: &str = "avviksmelding";

#[derive(Debug)]
pub enum DeviationError {
    NotFound,
    Forbidden(&'static str),
    Invalid(Vec<Problem>),
    /// The store refused it (a unit of another organisation, say).
    Rejected(Rejection),
    Conflict(String),
    Store(StoreError),
}

impl From<StoreError> for DeviationError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => DeviationError::NotFound,
            StoreError::Conflict(m) => DeviationError::Conflict(m),
            StoreError::Rejected(r) => DeviationError::Rejected(r),
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

fn facts(d: &Deviation) -> Facts {
    Facts {
        state: d.state,
        notice_required: d.notice_required,
        notice_recorded: d.notice_complete_at.is_some(),
        subject_decision_recorded: d.subject_decision.is_some(),
    }
}

/// Sums `groups` by a key, largest first.
pub fn sum_by<K: std::hash::Hash + Eq + Clone + Ord>(
    groups: &[DeviationGroup],
    key: impl Fn(&DeviationGroup) -> K,
) -> Vec<(K, i64)> {
    let mut sums: HashMap<K, i64> = HashMap::new();
    for g in groups {
        *sums.entry(key(g)).or_default() += g.count;
    }
    let mut out: Vec<(K, i64)> = sums.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// The categories and systems that call for a new risk assessment.
pub fn repeats_of(groups: &[DeviationGroup], threshold: i64) -> Vec<Repeat> {
    let categories = sum_by(groups, |g| g.category.as_str().to_string());
    let systems: Vec<(String, i64)> =
        sum_by(groups, |g| g.system.clone()).into_iter().filter_map(|(s, n)| Some((s?, n))).collect();
    deviation::repeated(&categories, &systems, threshold)
}

impl Deviations {
    pub fn new(store: Store, clock: Clock, log: Arc<AccessLog>) -> Self {
        Deviations { store, clock, log, repeats: Cache::new(Some(REPEATS_TTL)), stats: Cache::new(Some(STATS_TTL)) }
    }

    /// Records that `reader` opened `d`: in its list of reads and, when it names a patient, in
    /// the tamper-evident access log as an access to that patient's information (Normen 5.4.4
    /// asks this of every system that shows health data, normverk too). The log's record is
    /// durable before the deviation is shown; if it cannot be written, the read fails.
    pub async fn record_read(&self, d: &Deviation, reader: &Accessor) -> Result<(), DeviationError> {
        let now = self.clock.now();
        if let Some(patient_id) = &d.patient_id {
            let org = self.store.org(d.org_id).await?;
            let unit = match d.unit_id {
                Some(unit) => self.store.unit(d.org_id, unit).await?.name,
                None => org.name.clone(),
            };
            let access = OwnAccess {
                by: reader,
                action: AccessAction::Read,
                basis: Basis::QualityAssurance,
                basis_reason: format!("Avviksbehandling, avvik {}", d.number),
                information_type: READ_INFORMATION_TYPE,
                patient_id: patient_id.clone(),
                org_number: org.org_number,
                unit,
            };
            let event = access.event(now).map_err(DeviationError::Invalid)?;
            self.log.append(d.org_id, vec![(d.org_id, event)], None).await?;
        }
        self.store.record_deviation_read(d.org_id, d.id, reader.user_id(), now).await?;
        Ok(())
    }

    /// Today's date in Norway, `YYYY-MM-DD`, for deadlines of measures.
    pub fn today(&self) -> String {
        date_in_norway(self.clock.now())
    }

    /// The organisation's last twelve months counted, reused until a report or step changes them
    /// (on any instance: the version lives in the store) or a minute has passed.
    pub async fn year_counts(&self, org_id: OrgId) -> Result<Arc<YearCounts>, StoreError> {
        let version = self.store.deviation_version(org_id).await?;
        let since = self.clock.now() - deviation::REPEAT_WINDOW_S;
        self.stats
            .get_or_load(org_id, version, async {
                Ok(Arc::new(YearCounts {
                    since,
                    groups: self.store.deviation_groups(org_id, since).await?,
                    days: self.store.deviation_days(org_id, since).await?,
                }))
            })
            .await
    }

    /// Files a report (already checked), so the dashboard counts it at once.
    pub async fn create(
        &self,
        org_id: OrgId,
        reporter: Option<i64>,
        report: &deviation::NewDeviation,
    ) -> Result<Deviation, DeviationError> {
        let d = self.store.create_deviation(org_id, reporter, report, self.clock.now()).await?;
        self.repeats.forget(&org_id);
        Ok(d)
    }

    /// Sets the threshold for repeated deviations.
    pub async fn set_repeat_threshold(&self, org_id: OrgId, n: i64, by: Option<i64>) -> Result<(), StoreError> {
        self.store.set_repeat_threshold(org_id, n, by, self.clock.now()).await?;
        self.repeats.forget(&org_id);
        Ok(())
    }

    /// The categories and systems that call for a new risk assessment (Normen 5.8.1).
    pub async fn repeats(&self, org_id: OrgId) -> Result<Vec<Repeat>, StoreError> {
        let since = self.clock.now() - deviation::REPEAT_WINDOW_S;
        self.repeats
            .get_or_load(org_id, 0, async {
                let groups = self.store.deviation_groups(org_id, since).await?;
                let threshold = self.store.repeat_threshold(org_id).await?;
                Ok(repeats_of(&groups, threshold))
            })
            .await
    }

    async fn manages(&self, d: &Deviation, user_id: i64) -> Result<bool, StoreError> {
        match d.unit_id {
            Some(unit) => self.store.manages_unit(d.org_id, user_id, unit).await,
            None => Ok(false),
        }
    }

    /// A deviation the actor may see; one they may not see is "not found", so its existence is
    /// not told either.
    pub async fn load(&self, org_id: OrgId, id: i64, actor: &Actor<'_>) -> Result<Deviation, DeviationError> {
        let d = self.store.deviation(org_id, id).await?;
        let Actor::Person { user_id, roles } = actor else { return Ok(d) };
        let seen = match deviation::reach(roles) {
            Reach::All => true,
            Reach::UnitsAndOwn => d.reporter_id == Some(*user_id) || self.manages(&d, *user_id).await?,
            Reach::Own => d.reporter_id == Some(*user_id),
        };
        if seen {
            Ok(d)
        } else {
            Err(DeviationError::NotFound)
        }
    }

    /// What the actor may do with `d`: handle it, adopt its measures.
    pub async fn powers(&self, d: &Deviation, actor: &Actor<'_>) -> Result<(bool, bool), StoreError> {
        match actor {
            Actor::Token => Ok((true, false)),
            Actor::Person { user_id, roles } => {
                let manages = self.manages(d, *user_id).await?;
                Ok((deviation::may_handle(roles, manages), deviation::may_adopt(roles, manages)))
            }
        }
    }

    /// Takes one step of the workflow, or says why not; a refused step changes nothing.
    pub async fn take_step(&self, d: &Deviation, step: &Step, actor: &Actor<'_>) -> Result<(), DeviationError> {
        let (handle, adopt) = self.powers(d, actor).await?;
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
        let now = self.clock.now();
        let problems = check_step(facts(d), step, &date_in_norway(now));
        if !problems.is_empty() {
            return Err(DeviationError::Invalid(problems));
        }
        let mut changes = StepChanges::default();
        match step {
            Step::Assessed { kind, personal_data_breach, consequences_for_data_subjects, severity, .. } => {
                changes.kind = Some(*kind);
                changes.severity = Some(*severity);
                changes.personal_data_breach = Some(*personal_data_breach);
                changes.consequences = Some(*consequences_for_data_subjects);
                changes.notice_required =
                    Some(deviation::notice_required(*personal_data_breach, *consequences_for_data_subjects));
            }
            Step::MeasuresProposed { measures, .. } => {
                changes.measures = measures
                    .iter()
                    .map(|m| MeasureIn {
                        description: m.description.trim().to_string(),
                        owner: m.owner.trim().to_string(),
                        deadline: m.deadline.trim().to_string(),
                    })
                    .collect();
            }
            _ => {}
        }
        let fields = serde_json::to_string(step).unwrap_or_default();
        let to = step.target();
        self.store.apply_deviation_step(d.org_id, d.id, d.state, to, &fields, &changes, actor.user_id(), now).await?;
        tracing::info!(org_id = d.org_id.0, deviation = d.id, to = to.as_str(), "deviation step taken");
        Ok(())
    }

    /// Records a notice to Datatilsynet (content checked; a late one needs its reason).
    pub async fn record_notice(
        &self,
        d: &Deviation,
        notice: &AuthorityNotice,
        actor: &Actor<'_>,
    ) -> Result<(), DeviationError> {
        if !self.powers(d, actor).await?.0 {
            return Err(DeviationError::Forbidden(
                "notices are recorded by the security lead, the DPO or the unit's manager",
            ));
        }
        let now = self.clock.now();
        let problems = check_notice(notice, d.aware_at, now);
        if !problems.is_empty() {
            return Err(DeviationError::Invalid(problems));
        }
        let stage = notice.stage.map(|s| s.as_str()).unwrap_or("initial");
        let late = notice.sent_at > deviation::notification_deadline(d.aware_at);
        let content = serde_json::to_string(notice).unwrap_or_default();
        self.store
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
        tracing::info!(org_id = d.org_id.0, deviation = d.id, stage, late, "notice to Datatilsynet recorded");
        Ok(())
    }

    /// Records whether and how the data subjects are notified.
    pub async fn record_subject_decision(
        &self,
        d: &Deviation,
        decision: &SubjectDecision,
        actor: &Actor<'_>,
    ) -> Result<(), DeviationError> {
        if !self.powers(d, actor).await?.0 {
            return Err(DeviationError::Forbidden(
                "this decision is for the security lead, the DPO or the unit's manager",
            ));
        }
        let now = self.clock.now();
        let problems = check_subject_decision(decision, now);
        if !problems.is_empty() {
            return Err(DeviationError::Invalid(problems));
        }
        let json = serde_json::to_string(decision).unwrap_or_default();
        self.store.set_subject_decision(d.org_id, d.id, &json, now).await?;
        Ok(())
    }
}
