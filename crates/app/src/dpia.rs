//! Data protection impact assessments as the pages and the API share them: drafts checked
//! against the organisation's processings and risk assessments, the workflow's steps as
//! `core::dpia` rules them (the DPO's advice required where the organisation has a DPO), prior
//! consultation with Datatilsynet when the risk that remains is high, and what each processing
//! still needs.

use crate::risk::{Person, RiskError, Risks};
use normverk_core::dpia::{self as core, Consultation, Dpia, Note, State, Step};
use normverk_core::org::Role;
use normverk_core::problem::{Problem, ProblemKey};
use normverk_core::risk::{Standing, State as RiskState};
use normverk_store::dpia::StoredDpia;
use normverk_store::{OrgId, Store, StoreError};
use std::sync::Arc;

/// A DPIA as read: the stored row, its document, and what follows from the risk assessment it
/// uses on today's date.
#[derive(Debug, Clone)]
pub struct Read {
    pub stored: StoredDpia,
    pub doc: Dpia,
    /// The risk that remains after the measures is high: Datatilsynet must be consulted before
    /// the processing starts (3.5).
    pub needs_consultation: bool,
    /// Approved, but the risk has changed since: the risk assessment it uses was changed after
    /// the approval or replaced by a later one, or an accepted risk's acceptance ran out (3.4:
    /// review).
    pub needs_review: bool,
}

impl Read {
    /// Waiting for Datatilsynet's advice: consultation needed and no answer recorded.
    pub fn awaiting_consultation(&self) -> bool {
        self.needs_consultation && !self.doc.consultation.as_ref().is_some_and(Consultation::answered)
    }
}

/// The DPIA service.
pub struct Dpias {
    store: Store,
    risk: Arc<Risks>,
}

fn invalid_unless(problems: Vec<Problem>) -> Result<(), RiskError> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(RiskError::Invalid(problems))
    }
}

impl Dpias {
    pub fn new(store: Store, risk: Arc<Risks>) -> Self {
        Dpias { store, risk }
    }

    fn now(&self) -> i64 {
        self.risk.now()
    }

    /// Whether the organisation has a data protection officer (a member with the role).
    pub async fn has_dpo(&self, org_id: OrgId) -> Result<bool, StoreError> {
        Ok(self.store.members(org_id).await?.iter().any(|m| !m.disabled && m.roles.contains(&Role::Dpo)))
    }

    async fn check(&self, org_id: OrgId, d: &Dpia) -> Result<(), RiskError> {
        let processings: Vec<i64> = self.store.risk_targets(org_id).await?.processings.iter().map(|p| p.id).collect();
        let assessments: Vec<i64> = self.store.risk_assessments(org_id).await?.iter().map(|a| a.id).collect();
        invalid_unless(core::check(d, &processings, &assessments))
    }

    /// Starts a draft with `content` (the workflow's records are not taken from it).
    pub async fn start(&self, org_id: OrgId, content: Dpia, by: Option<i64>) -> Result<i64, RiskError> {
        let doc = Dpia {
            title: content.title.trim().to_string(),
            dpo_advice: None,
            decision: None,
            consultation: None,
            ..content
        };
        self.check(org_id, &doc).await?;
        Ok(self.store.create_dpia(org_id, &doc, by, self.now()).await?)
    }

    /// A DPIA with what follows from its risk assessment.
    pub async fn read(&self, org_id: OrgId, id: i64) -> Result<Read, StoreError> {
        let stored = self.store.dpia(org_id, id).await?;
        self.judge(org_id, stored).await
    }

    async fn judge(&self, org_id: OrgId, stored: StoredDpia) -> Result<Read, StoreError> {
        let doc = stored.dpia()?;
        let (mut needs_consultation, mut needs_review) = (false, false);
        if let Some(aid) = doc.assessment_id {
            let register = self.risk.register(org_id).await?;
            let rows: Vec<_> = register.rows.iter().filter(|r| r.assessment_id == aid).collect();
            needs_consultation = rows.iter().any(|r| {
                let highest = register.matrix_of(r).levels.len().saturating_sub(1);
                core::needs_consultation([r.remaining], highest)
            });
            let replaced = rows.iter().any(|r| !r.current && r.state == RiskState::Approved);
            let lapsed = rows.iter().any(|r| r.standing == Standing::Open && r.event.acceptance.is_some());
            let approved_at = doc.decision.as_ref().map_or(stored.updated_at, |d| d.at);
            let changed = match self.store.risk_assessment(org_id, aid).await {
                Ok(a) => a.updated_at > approved_at,
                Err(StoreError::NotFound) => false,
                Err(e) => return Err(e),
            };
            needs_review = stored.state == State::Approved && (replaced || lapsed || changed);
        }
        Ok(Read { stored, doc, needs_consultation, needs_review })
    }

    /// Every DPIA of the organisation, newest first, judged.
    pub async fn all(&self, org_id: OrgId) -> Result<Vec<Read>, StoreError> {
        let mut out = Vec::new();
        for stored in self.store.dpias(org_id).await? {
            out.push(self.judge(org_id, stored).await?);
        }
        Ok(out)
    }

    /// The DPIAs that cover processing `id`.
    pub async fn of_processing(&self, org_id: OrgId, id: i64) -> Result<Vec<Read>, StoreError> {
        Ok(self.all(org_id).await?.into_iter().filter(|d| d.doc.processings.contains(&id)).collect())
    }

    /// Saves a draft's content as sent: the workflow's records (advice, decision, consultation)
    /// stay as stored. Only a draft or a returned DPIA is changed. Returns the new version.
    pub async fn save(
        &self,
        org_id: OrgId,
        id: i64,
        expected: i64,
        content: Dpia,
        by: Option<i64>,
    ) -> Result<i64, RiskError> {
        let stored = self.store.dpia(org_id, id).await?;
        if !stored.state.editable() {
            return Err(RiskError::Invalid(vec![Problem::new(
                "state",
                ProblemKey::DpiaLocked,
                "only a draft, or one returned for more work, is changed",
            )]));
        }
        let before = stored.dpia()?;
        let doc = Dpia {
            dpo_advice: before.dpo_advice,
            decision: before.decision,
            consultation: before.consultation,
            ..content
        };
        self.check(org_id, &doc).await?;
        Ok(self.store.save_dpia(org_id, id, expected, &doc, stored.state, "edited", by, self.now()).await?)
    }

    /// Takes `step` with `note` (the DPO's advice; why it is returned; an optional word with the
    /// approval). The caller has checked the person's role for the step. Returns the new version.
    pub async fn step(
        &self,
        org_id: OrgId,
        id: i64,
        expected: i64,
        step: Step,
        note: &str,
        by: &Person,
    ) -> Result<i64, RiskError> {
        let stored = self.store.dpia(org_id, id).await?;
        let mut doc = stored.dpia()?;
        let next =
            core::next(stored.state, step, self.has_dpo(org_id).await?).map_err(|p| RiskError::Invalid(vec![p]))?;
        let note = note.trim().replace("\r\n", "\n");
        let mut problems = Vec::new();
        if matches!(step, Step::Send | Step::Approve) {
            problems.extend(core::missing(&doc));
        }
        if matches!(step, Step::Advise | Step::Return) || !note.is_empty() {
            problems.extend(core::check_note(if step == Step::Return { "return_note" } else { "note" }, &note));
        }
        invalid_unless(problems)?;
        let signed = Note { text: note, by: by.id, by_name: by.name.clone(), at: self.now() };
        match step {
            Step::Advise => doc.dpo_advice = Some(signed),
            Step::Approve | Step::Return => doc.decision = Some(signed),
            Step::Reopen => {
                doc.dpo_advice = None;
                doc.decision = None;
            }
            Step::Send => {}
        }
        Ok(self.store.save_dpia(org_id, id, expected, &doc, next, step.as_str(), Some(by.id), self.now()).await?)
    }

    /// Records the prior consultation: when it was sent to Datatilsynet and, once it came,
    /// the written advice. Only for a DPIA whose remaining risk is high.
    pub async fn consult(
        &self,
        org_id: OrgId,
        id: i64,
        expected: i64,
        consultation: Consultation,
        by: Option<i64>,
    ) -> Result<i64, RiskError> {
        let read = self.read(org_id, id).await?;
        if !read.needs_consultation {
            return Err(RiskError::Invalid(vec![Problem::new(
                "consultation",
                ProblemKey::NoConsultation,
                "prior consultation is for a DPIA whose remaining risk is high",
            )]));
        }
        invalid_unless(core::check_consultation(&consultation))?;
        let mut doc = read.doc;
        doc.consultation = Some(Consultation {
            sent_on: consultation.sent_on.trim().to_string(),
            answered_on: consultation.answered_on.trim().to_string(),
            advice: consultation.advice.trim().replace("\r\n", "\n"),
        });
        Ok(self.store.save_dpia(org_id, id, expected, &doc, read.stored.state, "consultation", by, self.now()).await?)
    }
}
