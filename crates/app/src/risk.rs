//! Risk management as the pages and the API share it: the acceptance level (the default saved as
//! the first version the first time it is read), assessments checked against the matrix they use
//! and what the organisation has, management's acceptances and approval, and the register across
//! assessments with its heat map, kept in memory per organisation and day until anything changes.

use crate::cache::Cache;
use crate::clock::{date_in_norway, Clock};
use normverk_core::assessment::Date;
use normverk_core::deviation::MeasureStatus;
use normverk_core::problem::{Problem, ProblemKey};
use normverk_core::risk::{
    self as core, Acceptance, Assessment, Cover, Dated, Due, Event, Known, Matrix, Reason, Standing, State, Threat,
};
use normverk_store::risk::{NewRiskAssessment, RiskAssessment, StoredMatrix};
use normverk_store::{OrgId, Store, StoreError};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Why a risk change was not saved.
#[derive(Debug)]
pub enum RiskError {
    /// What is wrong, field by field; nothing was stored.
    Invalid(Vec<Problem>),
    Store(StoreError),
}

impl From<StoreError> for RiskError {
    fn from(e: StoreError) -> Self {
        RiskError::Store(e)
    }
}

fn invalid_unless(problems: Vec<Problem>) -> Result<(), RiskError> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(RiskError::Invalid(problems))
    }
}

/// Months between management's regular assessments unless the organisation sets another.
pub const REGULAR_MONTHS: i64 = 12;

/// What a new assessment starts with: its title and reason, the approved assessment it follows,
/// the processings and systems it covers, and the task it was opened from (see `core::risk::due`).
#[derive(Debug, Clone)]
pub struct Opening {
    pub title: String,
    pub reason: Reason,
    pub from: Option<i64>,
    pub processings: Vec<i64>,
    pub systems: Vec<i64>,
    pub trigger: String,
}

impl Opening {
    /// A new assessment with `title`, for `reason`, covering nothing yet.
    pub fn new(title: &str, reason: Reason) -> Opening {
        Opening {
            title: title.to_string(),
            reason,
            from: None,
            processings: Vec::new(),
            systems: Vec::new(),
            trigger: String::new(),
        }
    }
}

/// Who decides: the person's id and name, as an acceptance records them.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: i64,
    pub name: String,
}

/// One unwanted event of the register, with its assessment and where it stands.
#[derive(Debug, Clone)]
pub struct Row {
    pub assessment_id: i64,
    pub assessment_title: String,
    pub state: State,
    /// Not replaced by a later approved assessment that started from it.
    pub current: bool,
    pub event: Event,
    /// Levels (indexes into the assessment's matrix's levels) before and after the measures.
    pub inherent: Option<usize>,
    pub remaining: Option<usize>,
    pub standing: Standing,
    /// The assessment's processings, and its systems with those its measures are in.
    pub processings: Vec<i64>,
    pub systems: Vec<i64>,
    /// Measures past their deadline and not done.
    pub overdue: usize,
    /// Whether the scores are on the current matrix's scale (drawn on its heat map).
    pub on_scale: bool,
}

/// The register of an organisation on one day.
#[derive(Debug, Clone)]
pub struct Register {
    pub today: Date,
    /// The acceptance level in force.
    pub matrix: StoredMatrix,
    /// Each assessment's matrix, by id.
    pub matrices: HashMap<i64, Matrix>,
    pub rows: Vec<Row>,
}

/// Events per cell, `[likelihood − 1][consequence − 1]`, before and after the measures, of the
/// rows given; rows scored on another scale are counted apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heat {
    pub inherent: Vec<Vec<usize>>,
    pub remaining: Vec<Vec<usize>>,
    pub off_scale: usize,
}

/// The heat map of `events` on `m`; events scored outside it are counted apart.
pub fn heat<'a>(m: &Matrix, events: impl Iterator<Item = &'a Event>) -> Heat {
    let (ls, cs) = (m.likelihood.len(), m.consequence.len());
    let empty = vec![vec![0; cs]; ls];
    let mut heat = Heat { inherent: empty.clone(), remaining: empty, off_scale: 0 };
    for e in events {
        let cell = |s: Option<core::Score>| {
            s.map(|s| (usize::from(s.likelihood), usize::from(s.consequence)))
                .filter(|(l, c)| (1..=ls).contains(l) && (1..=cs).contains(c))
        };
        let (inherent, remaining) = (cell(e.inherent()), cell(e.remaining()));
        if e.remaining().is_some() && remaining.is_none() {
            heat.off_scale += 1;
        }
        for (grid, at) in [(&mut heat.inherent, inherent), (&mut heat.remaining, remaining)] {
            if let Some((l, c)) = at {
                grid[l - 1][c - 1] += 1;
            }
        }
    }
    heat
}

impl Register {
    /// The heat map of `rows` on the current matrix; rows of assessments on a matrix of
    /// another shape are counted apart.
    pub fn heat<'a>(&self, rows: impl Iterator<Item = &'a Row>) -> Heat {
        let mut off = 0;
        let on: Vec<&Event> = rows
            .filter(|r| {
                off += usize::from(!r.on_scale);
                r.on_scale
            })
            .map(|r| &r.event)
            .collect();
        let mut h = heat(&self.matrix.matrix, on.into_iter());
        h.off_scale += off;
        h
    }

    /// The matrix of the row's assessment.
    pub fn matrix_of(&self, row: &Row) -> &Matrix {
        self.matrices.get(&row.assessment_id).unwrap_or(&self.matrix.matrix)
    }
}

/// The risk service.
pub struct Risks {
    store: Store,
    clock: Clock,
    registers: Cache<(OrgId, String), Arc<Register>>,
}

impl Risks {
    pub fn new(store: Store, clock: Clock) -> Self {
        Risks { store, clock, registers: Cache::new(None) }
    }

    /// Now, in Unix seconds.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Today in Norway.
    pub fn today(&self) -> Date {
        let today = date_in_norway(self.clock.now());
        Date::parse(&today).unwrap_or(Date { year: 1970, month: 1, day: 1 })
    }

    /// The acceptance level in force: the newest version, or the default saved as the first.
    pub async fn matrix(&self, org_id: OrgId) -> Result<StoredMatrix, StoreError> {
        if let Some(m) = self.store.risk_matrices(org_id).await?.into_iter().next() {
            return Ok(m);
        }
        let id = self.store.set_risk_matrix(org_id, &Matrix::default(), None, self.clock.now()).await?;
        self.store.risk_matrix(org_id, id).await
    }

    /// Sets a new version of the acceptance level (top management's decision; the caller checks).
    pub async fn set_matrix(&self, org_id: OrgId, m: &Matrix, by: Option<i64>) -> Result<i64, RiskError> {
        invalid_unless(m.check())?;
        Ok(self.store.set_risk_matrix(org_id, m, by, self.clock.now()).await?)
    }

    /// The ids and threat codes an assessment of the organisation may name.
    pub async fn known(&self, org_id: OrgId) -> Result<Known, StoreError> {
        let targets = self.store.risk_targets(org_id).await?;
        let ids = |v: &[normverk_store::Named]| v.iter().map(|n| n.id).collect();
        Ok(Known {
            processings: ids(&targets.processings),
            systems: ids(&targets.systems),
            assets: ids(&targets.assets),
            threats: self.threats(org_id).await?.into_iter().map(|t| t.code).collect(),
        })
    }

    /// The organisation's threat catalogue: normverk's as the organisation edited it, then its own.
    pub async fn threats(&self, org_id: OrgId) -> Result<Vec<Threat>, StoreError> {
        Ok(core::catalogue(&self.store.risk_threats(org_id).await?))
    }

    /// Saves a threat of the catalogue: with `code`, normverk's or the organisation's own
    /// threat reworded or retired (an unknown code is not found); without, a new one of its own.
    /// Returns its code.
    pub async fn save_threat(
        &self,
        org_id: OrgId,
        code: Option<&str>,
        title: &str,
        description: &str,
        retired: bool,
    ) -> Result<String, RiskError> {
        let t = Threat {
            code: code.unwrap_or_default().to_string(),
            title: title.trim().to_string(),
            description: description.trim().replace("\r\n", "\n"),
            retired,
        };
        invalid_unless(core::check_threat(&t))?;
        match code {
            None => Ok(self.store.add_risk_threat(org_id, core::OWN_THREAT, &t).await?),
            Some(code) if self.threats(org_id).await?.iter().any(|x| x.code == code) => {
                self.store.put_risk_threat(org_id, &t).await?;
                Ok(t.code)
            }
            Some(_) => Err(StoreError::NotFound.into()),
        }
    }

    /// Starts a draft on the acceptance level in force: a new one, or (with `from`) a copy of an
    /// approved assessment without its acceptances, scores off the current scale cleared; with
    /// what it covers and the task it was opened from. Returns its id.
    pub async fn start(&self, org_id: OrgId, opening: Opening, by: Option<i64>) -> Result<i64, RiskError> {
        let matrix = self.matrix(org_id).await?;
        let mut doc = match opening.from {
            Some(id) => {
                let previous = self.store.risk_assessment(org_id, id).await?;
                if previous.state != State::Approved {
                    return Err(StoreError::Rejected(normverk_store::Rejection::RiskAssessmentNotApproved).into());
                }
                core::next_from(&previous.assessment()?)
            }
            None => Assessment::default(),
        };
        if !opening.title.trim().is_empty() || opening.from.is_none() {
            doc.title = opening.title.trim().to_string();
        }
        for (ids, more) in [(&mut doc.processings, opening.processings), (&mut doc.systems, opening.systems)] {
            for id in more {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        doc.trigger = opening.trigger;
        core::clear_off_scale(&mut doc, &matrix.matrix);
        let known = self.known(org_id).await?;
        invalid_unless(core::check(&doc, &matrix.matrix, &known))?;
        let new = NewRiskAssessment {
            doc,
            matrix_id: matrix.id,
            previous_id: opening.from,
            reason: opening.reason.as_str().into(),
        };
        Ok(self.store.create_risk_assessment(org_id, &new, by, self.clock.now()).await?)
    }

    /// How many months apart management's regular assessment is due.
    pub async fn regular_months(&self, org_id: OrgId) -> Result<i64, StoreError> {
        Ok(self.store.risk_regular_months(org_id).await?.unwrap_or(REGULAR_MONTHS))
    }

    /// Sets how many months apart management's regular assessment is due: 1 to 36.
    pub async fn set_regular_months(&self, org_id: OrgId, months: i64) -> Result<(), RiskError> {
        if !(1..=36).contains(&months) {
            return Err(RiskError::Invalid(vec![Problem::new(
                "regular_months",
                ProblemKey::OutOfRange,
                "a whole number of months from 1 to 36",
            )
            .arg("min", 1)
            .arg("max", 36)]));
        }
        Ok(self.store.set_risk_regular_months(org_id, months).await?)
    }

    /// The assessments due now (Normen 3.3): processings and systems new or changed since an
    /// approved assessment covered them, the repeats of deviations given (trigger keys, counted
    /// over `window_s`) not yet assessed, management's regular assessment, and access to another
    /// enterprise's data granted since the last assessment of access between enterprises.
    pub async fn due(&self, org_id: OrgId, repeats: &[String], window_s: i64) -> Result<Vec<Due>, StoreError> {
        let mut approved = Vec::new();
        for a in self.store.risk_assessments(org_id).await?.into_iter().filter(|a| a.state == State::Approved) {
            let doc = a.assessment()?;
            approved.push(Cover {
                approved_at: a.approved_at.unwrap_or(a.updated_at),
                reason: a.reason.parse().unwrap_or(Reason::Other),
                trigger: doc.trigger,
                processings: doc.processings,
                systems: doc.systems,
            });
        }
        let processings: Vec<Dated> = self
            .store
            .processings(org_id)
            .await?
            .iter()
            .map(|p| Dated { id: p.id, updated_at: p.updated_at })
            .collect();
        let systems: Vec<Dated> =
            self.store.systems(org_id).await?.iter().map(|s| Dated { id: s.id, updated_at: s.updated_at }).collect();
        let months = self.regular_months(org_id).await?;
        let now = self.clock.now();
        let span = jiff::Span::new().try_months(months).unwrap_or_default();
        let regular_after = crate::clock::in_norway(now)
            .and_then(|z| z.checked_sub(span).ok())
            .map_or(now - months * 30 * 86_400, |z| z.timestamp().as_second());
        let granted: Vec<Dated> = self
            .store
            .authorisations(org_id, None)
            .await?
            .iter()
            .filter(|a| !a.revoked && a.grant.other_enterprise.is_some())
            .map(|a| Dated { id: a.id, updated_at: a.granted_at })
            .collect();
        let mut due = core::due(&approved, &processings, &systems, repeats, window_s, regular_after, now);
        due.extend(core::access_between_due(&approved, &granted));
        Ok(due)
    }

    /// An assessment with its matrix.
    pub async fn assessment(&self, org_id: OrgId, id: i64) -> Result<(RiskAssessment, StoredMatrix), StoreError> {
        let a = self.store.risk_assessment(org_id, id).await?;
        let m = self.store.risk_matrix(org_id, a.matrix_id).await?;
        Ok((a, m))
    }

    /// Saves a draft's document as sent, except the task it was opened from (kept) and the
    /// acceptances: those are management's, so each
    /// event keeps the one it had while its remaining risk is unchanged, and loses it when the
    /// risk changed. `expected` is the version the change was made on. Returns the new version.
    pub async fn save(
        &self,
        org_id: OrgId,
        id: i64,
        expected: i64,
        mut doc: Assessment,
        change: &str,
        by: Option<i64>,
    ) -> Result<i64, RiskError> {
        let (stored, matrix) = self.assessment(org_id, id).await?;
        if stored.state == State::Approved {
            return Err(StoreError::Rejected(normverk_store::Rejection::RiskAssessmentApproved).into());
        }
        let before = stored.assessment()?;
        doc.trigger = before.trigger.clone();
        for e in &mut doc.events {
            e.acceptance = before
                .events
                .iter()
                .find(|b| b.id == e.id && b.remaining() == e.remaining())
                .and_then(|b| b.acceptance.clone());
        }
        let known = self.known(org_id).await?;
        invalid_unless(core::check(&doc, &matrix.matrix, &known))?;
        Ok(self.store.save_risk_assessment(org_id, id, expected, &doc, change, false, by, self.clock.now()).await?)
    }

    /// Top management accepts the remaining risk of event `event_id`, above the level, with a
    /// justification until `expires_on`. Returns the new version.
    #[allow(clippy::too_many_arguments)]
    pub async fn accept(
        &self,
        org_id: OrgId,
        id: i64,
        expected: i64,
        event_id: u32,
        justification: &str,
        expires_on: &str,
        by: &Person,
    ) -> Result<i64, RiskError> {
        let (stored, matrix) = self.assessment(org_id, id).await?;
        let mut doc = stored.assessment()?;
        let today = self.today();
        let Some(event) = doc.events.iter_mut().find(|e| e.id == event_id) else {
            return Err(StoreError::NotFound.into());
        };
        let mut problems = core::check_acceptance(justification, expires_on, today);
        if matches!(core::standing(event, &matrix.matrix, today), Standing::Acceptable | Standing::Unscored) {
            problems.push(Problem::new(
                "event",
                ProblemKey::NotOneOf,
                "only a scored risk above the acceptance level is accepted",
            ));
        }
        invalid_unless(problems)?;
        event.acceptance = Some(Acceptance {
            justification: justification.trim().replace("\r\n", "\n"),
            expires_on: expires_on.trim().to_string(),
            accepted_by: by.id,
            accepted_by_name: by.name.clone(),
            accepted_at: self.clock.now(),
        });
        Ok(self
            .store
            .save_risk_assessment(org_id, id, expected, &doc, "risk_accepted", false, Some(by.id), self.clock.now())
            .await?)
    }

    /// Approves and freezes a draft that meets the rules of approval on today's date.
    pub async fn approve(&self, org_id: OrgId, id: i64, expected: i64, by: Option<i64>) -> Result<i64, RiskError> {
        let (stored, matrix) = self.assessment(org_id, id).await?;
        let doc = stored.assessment()?;
        invalid_unless(core::check_approval(&doc, &matrix.matrix, self.today()))?;
        Ok(self.store.save_risk_assessment(org_id, id, expected, &doc, "approved", true, by, self.clock.now()).await?)
    }

    /// Every event of every assessment, newest assessment first, on today's date.
    pub async fn register(&self, org_id: OrgId) -> Result<Arc<Register>, StoreError> {
        let today = self.today();
        let version = self.store.risk_version(org_id).await?;
        let key = (org_id, today.to_string());
        self.registers.get_or_load(key, version, async { Ok(Arc::new(self.compute(org_id, today).await?)) }).await
    }

    async fn compute(&self, org_id: OrgId, today: Date) -> Result<Register, StoreError> {
        let matrix = self.matrix(org_id).await?;
        let versions: HashMap<i64, Matrix> =
            self.store.risk_matrices(org_id).await?.into_iter().map(|m| (m.id, m.matrix)).collect();
        let assessments = self.store.risk_assessments(org_id).await?;
        let replaced: HashSet<i64> =
            assessments.iter().filter(|a| a.state == State::Approved).filter_map(|a| a.previous_id).collect();
        let (ls, cs) = (matrix.matrix.likelihood.len(), matrix.matrix.consequence.len());
        let mut matrices = HashMap::new();
        let mut rows = Vec::new();
        for a in assessments {
            let doc = a.assessment()?;
            let m = versions.get(&a.matrix_id).cloned().unwrap_or_else(|| matrix.matrix.clone());
            let same_scale = m.likelihood.len() == ls && m.consequence.len() == cs;
            for event in doc.events {
                let level = |s: Option<core::Score>| s.and_then(|s| m.level(s.likelihood, s.consequence));
                let mut systems = doc.systems.clone();
                for id in event.measures.iter().flat_map(|x| &x.systems) {
                    if !systems.contains(id) {
                        systems.push(*id);
                    }
                }
                let overdue = event
                    .measures
                    .iter()
                    .filter(|x| x.status != MeasureStatus::Done)
                    .filter(|x| Date::parse(&x.deadline).is_some_and(|d| d < today))
                    .count();
                rows.push(Row {
                    assessment_id: a.id,
                    assessment_title: doc.title.clone(),
                    state: a.state,
                    current: !replaced.contains(&a.id),
                    inherent: level(event.inherent()),
                    remaining: level(event.remaining()),
                    standing: core::standing(&event, &m, today),
                    processings: doc.processings.clone(),
                    systems,
                    overdue,
                    on_scale: same_scale,
                    event,
                });
            }
            matrices.insert(a.id, m);
        }
        Ok(Register { today, matrix, matrices, rows })
    }
}
