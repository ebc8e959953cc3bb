//! Access reviews (Normen 5.2.3) as the pages share them: campaigns started yearly by the
//! security lead or top management, raised by a transfer or a change of employment, or after a
//! breach for the systems it touched; split by the manager of each person's unit; answered by
//! that manager (or the security lead, by delegation), each answer applied to the register. The
//! reminders by e-mail are `reminder::send_review_reminders`.

use crate::clock::{date_in_norway, Clock};
use crate::grant::{AuthzError, Granter, RegisterLog};
use normverk_core::access_log::AccessAction;
use normverk_core::access_review::{self as core, Decision, Kind};
use normverk_core::assessment::Date;
use normverk_core::authz::SystemRights;
use normverk_core::problem::{Problem, ProblemKey};
use normverk_store::access_review::{Answer, NewLine, NewReview, Review};
use normverk_store::{OrgId, Store, StoreError};

/// What starts a campaign.
#[derive(Debug, Clone)]
pub struct Start {
    pub kind: Kind,
    pub title: String,
    /// `YYYY-MM-DD`.
    pub deadline: String,
    /// After a breach: the deviation, and the systems it touched.
    pub deviation_id: Option<i64>,
    pub systems: Vec<i64>,
    /// On a transfer: the person.
    pub person_id: Option<i64>,
}

/// A manager's answer about one line: with a reason for a revoke or change, and for a change the
/// rights per system it is to have.
#[derive(Debug, Clone)]
pub struct Reply {
    pub decision: Decision,
    pub reason: String,
    pub systems: Option<Vec<SystemRights>>,
}

/// The campaigns' service.
pub struct Reviews {
    store: Store,
    clock: Clock,
    log: RegisterLog,
}

fn invalid(field: &'static str, key: ProblemKey, message: &str) -> AuthzError {
    AuthzError::Invalid(vec![Problem::new(field, key, message)])
}

impl Reviews {
    pub fn new(store: Store, clock: Clock, log: RegisterLog) -> Self {
        Reviews { store, clock, log }
    }

    fn today(&self) -> Option<Date> {
        Date::parse(&date_in_norway(self.clock.now()))
    }

    /// Starts a campaign over the authorisations standing now (after a breach, those with a
    /// right in its systems; on a transfer, the person's), each line given to the manager of the
    /// person's unit. Returns its id, or None when there is nothing to review.
    pub async fn start(&self, org_id: OrgId, s: &Start, by: Option<i64>) -> Result<Option<i64>, AuthzError> {
        let today = self.today().ok_or_else(|| invalid("deadline", ProblemKey::Date, "today"))?;
        let mut problems = core::check_campaign(&s.title, &s.deadline, today);
        let systems: Vec<i64> = self.store.systems(org_id).await?.iter().map(|x| x.id).collect();
        if s.kind == Kind::Breach {
            if s.systems.is_empty() {
                problems.push(Problem::new("systems", ProblemKey::Required, "the systems the breach touched"));
            }
            if let Some(d) = s.deviation_id {
                match self.store.deviation(org_id, d).await {
                    Ok(_) => {}
                    Err(StoreError::NotFound) => {
                        problems.push(Problem::new("deviation_id", ProblemKey::NoSuchItem, "no such deviation"))
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
        for id in s.systems.iter().filter(|id| !systems.contains(id)) {
            problems.push(
                Problem::new("systems", ProblemKey::NoSuchItem, format!("no system {id} in the organisation"))
                    .arg("id", id),
            );
        }
        if !problems.is_empty() {
            return Err(AuthzError::Invalid(problems));
        }
        let people = self.store.people(org_id).await?;
        let unit_of: std::collections::HashMap<i64, Option<i64>> = people.iter().map(|p| (p.id, p.unit_id)).collect();
        let current = self.store.authorisations(org_id, s.person_id).await?;
        let standing: Vec<core::Standing> = current
            .iter()
            .filter(|a| !a.revoked)
            .map(|a| core::Standing {
                authorisation_id: a.id,
                person_id: a.person_id,
                unit_id: unit_of.get(&a.person_id).copied().flatten(),
                grant: &a.grant,
            })
            .collect();
        let managers: Vec<(i64, i64)> =
            self.store.managed_units(org_id).await?.iter().map(|m| (m.user_id, m.unit_id)).collect();
        let breach_systems = if s.kind == Kind::Breach { s.systems.as_slice() } else { &[] };
        let docs: std::collections::HashMap<i64, &normverk_core::authz::Grant> =
            current.iter().map(|a| (a.id, &a.grant)).collect();
        let mut lines = Vec::new();
        for l in core::split(&standing, &managers, breach_systems) {
            let doc = serde_json::to_string(docs[&l.authorisation_id])
                .map_err(|e| AuthzError::Store(StoreError::Corrupt(e.to_string())))?;
            lines.push(NewLine {
                authorisation_id: l.authorisation_id,
                person_id: l.person_id,
                manager_id: l.manager,
                doc,
            });
        }
        if lines.is_empty() {
            return Ok(None);
        }
        let new = NewReview {
            kind: s.kind.as_str(),
            title: &s.title,
            deadline: &s.deadline,
            deviation_id: s.deviation_id,
            person_id: s.person_id,
            systems: breach_systems,
        };
        Ok(Some(self.store.create_review(org_id, &new, &lines, by, self.clock.now()).await?))
    }

    /// Raises a review of each changed person's authorisations (a transfer, a change of
    /// employment), due in [`core::RAISED_DAYS`] days, to the manager of their new unit.
    /// `changed`: (person id, name). Returns how many campaigns were started.
    pub async fn raise_for_transfers(&self, org_id: OrgId, changed: &[(i64, String)]) -> Result<usize, AuthzError> {
        let deadline = date_in_norway(self.clock.now() + core::RAISED_DAYS * 86_400);
        let mut started = 0;
        for (person, name) in changed {
            let s = Start {
                kind: Kind::Transfer,
                title: format!("Endret enhet eller tilsetting: {name}").chars().take(200).collect(),
                deadline: deadline.clone(),
                deviation_id: None,
                systems: Vec::new(),
                person_id: Some(*person),
            };
            if self.start(org_id, &s, None).await?.is_some() {
                started += 1;
            }
        }
        Ok(started)
    }

    /// Answers line `line` of campaign `review` and applies it to the register: keep confirms
    /// the authorisation, revoke revokes it, change gives it `systems` instead. Only the manager
    /// the line is given to, or the security lead, answers. Returns whether the campaign is now
    /// complete (and frozen).
    pub async fn answer(
        &self,
        org_id: OrgId,
        review: i64,
        line: i64,
        reply: Reply,
        by: &Granter,
    ) -> Result<bool, AuthzError> {
        let Reply { decision, reason, systems } = reply;
        let reason = reason.as_str();
        let l = self.store.review_line(org_id, review, line).await?;
        if !(by.security_lead || l.manager_id == Some(by.user_id)) {
            return Err(AuthzError::NotTheirManager);
        }
        let current = self
            .store
            .authorisations(org_id, Some(l.person_id))
            .await?
            .into_iter()
            .find(|a| a.id == l.authorisation_id)
            .ok_or(StoreError::NotFound)?;
        let mut problems = core::check_answer(decision, reason, &current.grant, systems.as_deref());
        let mut grant = current.grant.clone();
        if let (Decision::Change, Some(new)) = (decision, systems) {
            let known: Vec<i64> = self.store.systems(org_id).await?.iter().map(|s| s.id).collect();
            grant.systems = new;
            problems
                .extend(normverk_core::authz::check_grant(&grant, &known).into_iter().filter(|p| p.field == "systems"));
        }
        if !problems.is_empty() {
            return Err(AuthzError::Invalid(problems));
        }
        let kind = match decision {
            Decision::Keep => "confirm",
            Decision::Revoke => "revoke",
            Decision::Change => "change",
        };
        // The register's history names the review an answer came from.
        let title = self.store.review(org_id, review).await?.title;
        let recorded = if reason.trim().is_empty() { title } else { format!("{}: {}", title, reason.trim()) };
        let record = &self.log.leaf(org_id, Some(l.person_id), AccessAction::Update, &by.actor()).await?;
        let event = (kind, &grant, recorded.as_str());
        let answer = Answer { decision: decision.as_str(), reason, event, by: by.user_id, record };
        let closed = self.store.answer_review_line(org_id, review, line, &answer, self.clock.now()).await?;
        self.log.appended();
        Ok(closed)
    }

    /// How many months apart the yearly review is due.
    pub async fn months(&self, org_id: OrgId) -> Result<i64, StoreError> {
        Ok(self.store.review_months(org_id).await?.unwrap_or(core::YEARLY_MONTHS))
    }

    /// Sets how many months apart the yearly review is due: 1 to 24 (Normen: at least yearly,
    /// so more than 12 only with a reason of the organisation's own).
    pub async fn set_months(&self, org_id: OrgId, months: i64) -> Result<(), AuthzError> {
        if !(1..=24).contains(&months) {
            return Err(AuthzError::Invalid(vec![Problem::new(
                "review_months",
                ProblemKey::OutOfRange,
                "a whole number of months from 1 to 24",
            )
            .arg("min", 1)
            .arg("max", 24)]));
        }
        Ok(self.store.set_review_months(org_id, months).await?)
    }

    /// Whether the yearly review is due: none started within the interval.
    pub async fn yearly_due(&self, org_id: OrgId, reviews: &[Review]) -> Result<bool, StoreError> {
        let Some(today) = self.today() else { return Ok(false) };
        let last = reviews
            .iter()
            .filter(|r| r.kind == Kind::Yearly.as_str())
            .map(|r| r.created_at)
            .max()
            .and_then(|at| Date::parse(&date_in_norway(at)));
        Ok(core::yearly_due(last, self.months(org_id).await?, today))
    }

    /// Whether campaign `r` is past its deadline and not complete.
    pub fn overdue(&self, r: &Review) -> bool {
        r.closed_at.is_none() && self.today().is_some_and(|t| core::overdue(&r.deadline, t))
    }
}
