//! Deviations: the report, each step of the workflow, measures, notices to Datatilsynet, the
//! decision on data subjects, and a record of every read.

use crate::db::{coded_row, decode_all, read, write_tx, OrgId, Rejection, Store, StoreError, StoreResult};
use normverk_core::deviation::{
    Category, DeviationKind, MeasureIn, MeasureStatus, NewDeviation, NoticeStage, Reaction, Severity, State,
};
use serde::Serialize;

/// How many deviations became known on one day, counted from a starting time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DayCount {
    pub day: i64,
    pub count: i64,
}

/// A controller in this normverk that takes deviations from a processor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Controller {
    pub id: OrgId,
    pub name: String,
}

coded_row! {
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Deviation as RawDeviation in "deviations" by id {
        pub id: i64,
        pub org_id: OrgId,
        pub number: i64,
        pub title: String,
        pub description: String,
        pub occurred_at: i64,
        pub aware_at: i64,
        pub unit_id: Option<i64>,
        pub system: Option<String>,
        pub category: Category = code,
        pub patients_concerned: bool,
        pub immediate_actions: String,
        pub reporter_id: Option<i64>,
        pub state: State = code,
        pub kind: Option<DeviationKind> = code_opt,
        pub severity: Option<Severity> = code_opt,
        pub personal_data_breach: Option<bool>,
        pub consequences: Option<bool>,
        pub notice_required: bool,
        pub notice_complete_at: Option<i64>,
        /// `core::deviation::SubjectDecision` as JSON.
        pub subject_decision: Option<String>,
        pub created_at: i64,
        pub updated_at: i64,
        pub closed_at: Option<i64>,
        /// The patient it concerns, in the access log's form (`fnr:…`).
        pub patient_id: Option<String>,
    }
}

/// Marks the organisation's deviations changed for the statistics; run in every transaction that
/// adds a deviation or takes a step.
const BUMP: &str = "INSERT INTO deviation_versions (org_id, version) VALUES ($1, 1) \
     ON CONFLICT (org_id) DO UPDATE SET version = deviation_versions.version + 1";

const COLUMNS: &str = "id, org_id, number, title, description, occurred_at, aware_at, unit_id, system, category, \
     patients_concerned, immediate_actions, reporter_id, state, kind, severity, personal_data_breach, consequences, \
     notice_required, notice_complete_at, subject_decision, created_at, updated_at, closed_at, patient_id";

/// An open breach as the reminders see it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DueBreach {
    pub id: i64,
    pub org_id: OrgId,
    pub number: i64,
    pub aware_at: i64,
    /// The last reminder sent, in hours after awareness.
    pub last_reminder: Option<i64>,
}

coded_row! {
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct StepRecord as RawStepRecord in "deviation_steps" by id {
        pub id: i64,
        pub to_state: State = code,
        /// The step's fields as JSON.
        pub fields: String,
        pub by_user: Option<i64>,
        pub by_name: Option<String>,
        pub at: i64,
    }
}

coded_row! {
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Measure as RawMeasure in "deviation_measures" by id {
        pub id: i64,
        pub description: String,
        pub owner: String,
        pub deadline: String,
        pub status: MeasureStatus = code,
        pub updated_at: i64,
    }
}

coded_row! {
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct NoticeRecord as RawNoticeRecord in "deviation_notices" by id {
        pub id: i64,
        pub stage: NoticeStage = code,
        /// `core::deviation::AuthorityNotice` as JSON.
        pub content: String,
        pub sent_at: i64,
        pub late: bool,
        pub recorded_by: Option<i64>,
        pub recorded_by_name: Option<String>,
        pub recorded_at: i64,
    }
}

coded_row! {
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct ReactionRecord as RawReactionRecord in "deviation_reactions" by person {
        pub person: String,
        pub reaction: Reaction = code,
        pub note: String,
        pub by_name: Option<String>,
        pub at: i64,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ReadRecord {
    pub user_id: Option<i64>,
    pub name: Option<String>,
    pub at: i64,
}

/// Which deviations a person may see: all, those of the units they manage and their own, or
/// their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visible {
    All,
    UnitsAndOwn { user_id: i64 },
    Own { user_id: i64 },
}

/// What a step changes besides the state: the assessment, the measures.
#[derive(Debug, Clone, Default)]
pub struct StepChanges {
    pub kind: Option<DeviationKind>,
    pub severity: Option<Severity>,
    pub personal_data_breach: Option<bool>,
    pub consequences: Option<bool>,
    pub notice_required: Option<bool>,
    pub measures: Vec<MeasureIn>,
}

impl Store {
    /// Files a report; the organisation's next number is its name in conversation ("avvik 17").
    pub async fn create_deviation(
        &self,
        org_id: OrgId,
        reporter_id: Option<i64>,
        d: &NewDeviation,
        now: i64,
    ) -> StoreResult<Deviation> {
        let sql = format!(
            "INSERT INTO deviations (org_id, number, title, description, occurred_at, aware_at, unit_id, system, category, \
             patients_concerned, immediate_actions, reporter_id, state, notice_required, created_at, updated_at, patient_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16) RETURNING {COLUMNS}"
        );
        let created = write_tx!(self, |tx| {
            if let Some(unit) = d.unit_id {
                let found: Option<i64> = sqlx::query_scalar("SELECT id FROM units WHERE id = $1 AND org_id = $2")
                    .bind(unit)
                    .bind(org_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if found.is_none() {
                    return Err(StoreError::Rejected(Rejection::NoSuchUnit));
                }
            }
            let number: i64 =
                sqlx::query_scalar("SELECT COALESCE(MAX(number), 0) + 1 FROM deviations WHERE org_id = $1")
                    .bind(org_id)
                    .fetch_one(&mut *tx)
                    .await?;
            let created = sqlx::query_as::<_, RawDeviation>(&sql)
                .bind(org_id)
                .bind(number)
                .bind(d.title.trim())
                .bind(d.description.trim())
                .bind(d.occurred_at)
                .bind(d.aware_at)
                .bind(d.unit_id)
                .bind(d.system.as_deref().map(str::trim).filter(|s| !s.is_empty()))
                .bind(d.category.as_str())
                .bind(d.patients_concerned)
                .bind(d.immediate_actions.trim())
                .bind(reporter_id)
                .bind(State::Reported.as_str())
                .bind(false)
                .bind(now)
                .bind(d.patient_id.as_deref())
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(BUMP).bind(org_id).execute(&mut *tx).await?;
            created
        });
        created.try_into()
    }

    /// The number of changes the statistics count in the organisation's deviations so far.
    pub async fn deviation_version(&self, org_id: OrgId) -> StoreResult<i64> {
        let v = read!(self, |c| {
            sqlx::query_scalar::<_, i64>("SELECT version FROM deviation_versions WHERE org_id = $1")
                .bind(org_id)
                .fetch_optional(c)
                .await?
        });
        Ok(v.unwrap_or(0))
    }

    pub async fn deviation(&self, org_id: OrgId, id: i64) -> StoreResult<Deviation> {
        let sql = format!("SELECT {COLUMNS} FROM deviations WHERE org_id = $1 AND id = $2");
        let d = read!(self, |c| sqlx::query_as::<_, RawDeviation>(&sql).bind(org_id).bind(id).fetch_one(c).await?);
        d.try_into()
    }

    /// The deviations a person may see, newest first.
    pub async fn deviations(
        &self,
        org_id: OrgId,
        visible: &Visible,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<Deviation>> {
        let (filter, user) = match visible {
            Visible::All => ("", 0),
            Visible::Own { user_id } => (" AND reporter_id = $2", *user_id),
            Visible::UnitsAndOwn { user_id } => (
                " AND (reporter_id = $2 OR unit_id IN (SELECT unit_id FROM manager_units WHERE org_id = $1 AND user_id = $2))",
                *user_id,
            ),
        };
        let sql =
            format!("SELECT {COLUMNS} FROM deviations WHERE org_id = $1{filter} ORDER BY id DESC LIMIT $3 OFFSET $4");
        let rows = read!(self, |c| {
            sqlx::query_as::<_, RawDeviation>(&sql)
                .bind(org_id)
                .bind(user)
                .bind(limit)
                .bind(offset)
                .fetch_all(c)
                .await?
        });
        decode_all(rows)
    }

    /// Whether `user_id` manages the unit `unit_id`.
    pub async fn manages_unit(&self, org_id: OrgId, user_id: i64, unit_id: i64) -> StoreResult<bool> {
        let found: Option<i64> = read!(self, |c| {
            sqlx::query_scalar("SELECT unit_id FROM manager_units WHERE org_id = $1 AND user_id = $2 AND unit_id = $3")
                .bind(org_id)
                .bind(user_id)
                .bind(unit_id)
                .fetch_optional(c)
                .await?
        });
        Ok(found.is_some())
    }

    /// Breaches whose notice to Datatilsynet is still due, soonest deadline first.
    pub async fn open_breaches(&self, org_id: OrgId) -> StoreResult<Vec<Deviation>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM deviations WHERE org_id = $1 AND notice_required = $2 AND notice_complete_at IS NULL \
             ORDER BY aware_at LIMIT 50"
        );
        let rows =
            read!(self, |c| sqlx::query_as::<_, RawDeviation>(&sql).bind(org_id).bind(true).fetch_all(c).await?);
        decode_all(rows)
    }

    /// Every organisation's breaches whose notice is still due and whose deadline (`aware_at` +
    /// `window_s`) has not passed.
    pub async fn breaches_for_reminders(&self, now: i64, window_s: i64) -> StoreResult<Vec<DueBreach>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, DueBreach>(
                "SELECT d.id, d.org_id, d.number, d.aware_at, (SELECT MAX(r.hours) FROM deviation_reminders r WHERE r.deviation_id = d.id) AS last_reminder \
                 FROM deviations d WHERE d.notice_required = $1 AND d.notice_complete_at IS NULL AND d.aware_at > $2 \
                 ORDER BY d.aware_at",
            )
            .bind(true)
            .bind(now - window_s)
            .fetch_all(c)
            .await?
        });
        Ok(rows)
    }

    /// Claims the reminders `hours` of a deviation for sending: true for the one caller that
    /// recorded them first.
    pub async fn claim_reminders(
        &self,
        org_id: OrgId,
        deviation_id: i64,
        hours: &[i64],
        recipients: usize,
        now: i64,
    ) -> StoreResult<bool> {
        let claimed = write_tx!(self, |tx| {
            let mut claimed = false;
            for h in hours {
                let n = sqlx::query(
                    "INSERT INTO deviation_reminders (deviation_id, hours, org_id, recipients, sent_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (deviation_id, hours) DO NOTHING",
                )
                .bind(deviation_id)
                .bind(h)
                .bind(org_id)
                .bind(recipients as i64)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                claimed |= n == 1;
            }
            claimed
        });
        Ok(claimed)
    }

    /// Takes one step: the state moves from `from` to `to` only if nobody moved it first; the
    /// step's fields are kept with who and when.
    #[allow(clippy::too_many_arguments)]
    pub async fn apply_deviation_step(
        &self,
        org_id: OrgId,
        id: i64,
        from: State,
        to: State,
        fields_json: &str,
        changes: &StepChanges,
        by: Option<i64>,
        now: i64,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let closed_at = (to == State::Closed).then_some(now);
            let moved = sqlx::query(
                "UPDATE deviations SET state = $1, updated_at = $2, closed_at = COALESCE($3, closed_at), \
                 kind = COALESCE($4, kind), severity = COALESCE($5, severity), \
                 personal_data_breach = COALESCE($6, personal_data_breach), consequences = COALESCE($7, consequences), \
                 notice_required = COALESCE($8, notice_required) \
                 WHERE org_id = $9 AND id = $10 AND state = $11",
            )
            .bind(to.as_str())
            .bind(now)
            .bind(closed_at)
            .bind(changes.kind.map(DeviationKind::as_str))
            .bind(changes.severity.map(Severity::as_str))
            .bind(changes.personal_data_breach)
            .bind(changes.consequences)
            .bind(changes.notice_required)
            .bind(org_id)
            .bind(id)
            .bind(from.as_str())
            .execute(&mut *tx)
            .await?;
            if moved.rows_affected() == 0 {
                return Err(StoreError::Conflict("the deviation has moved on; reload it".into()));
            }
            sqlx::query(BUMP).bind(org_id).execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO deviation_steps (deviation_id, org_id, to_state, fields, by_user, at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(org_id)
            .bind(to.as_str())
            .bind(fields_json)
            .bind(by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            for MeasureIn { description, owner, deadline } in &changes.measures {
                sqlx::query(
                    "INSERT INTO deviation_measures (deviation_id, org_id, description, owner, deadline, status, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, 'planned', $6)",
                )
                .bind(id)
                .bind(org_id)
                .bind(description)
                .bind(owner)
                .bind(deadline)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        });
        Ok(())
    }

    pub async fn deviation_steps(&self, org_id: OrgId, id: i64) -> StoreResult<Vec<StepRecord>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, RawStepRecord>(
                "SELECT s.id, s.to_state, s.fields, s.by_user, u.display_name AS by_name, s.at FROM deviation_steps s \
                 LEFT JOIN users u ON u.id = s.by_user WHERE s.org_id = $1 AND s.deviation_id = $2 ORDER BY s.id",
            )
            .bind(org_id)
            .bind(id)
            .fetch_all(c)
            .await?
        });
        decode_all(rows)
    }

    /// Sets a measure's status; the measure must belong to the deviation in this organisation.
    pub async fn set_measure_status(
        &self,
        org_id: OrgId,
        id: i64,
        measure_id: i64,
        status: MeasureStatus,
        now: i64,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let done = sqlx::query(
                "UPDATE deviation_measures SET status = $1, updated_at = $2 WHERE org_id = $3 AND deviation_id = $4 AND id = $5",
            )
            .bind(status.as_str())
            .bind(now)
            .bind(org_id)
            .bind(id)
            .bind(measure_id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
        });
        Ok(())
    }

    pub async fn deviation_measures(&self, org_id: OrgId, id: i64) -> StoreResult<Vec<Measure>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, RawMeasure>(
                "SELECT id, description, owner, deadline, status, updated_at FROM deviation_measures \
                 WHERE org_id = $1 AND deviation_id = $2 ORDER BY id",
            )
            .bind(org_id)
            .bind(id)
            .fetch_all(c)
            .await?
        });
        decode_all(rows)
    }

    /// Records a notice to Datatilsynet; a final one completes the notification.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_deviation_notice(
        &self,
        org_id: OrgId,
        id: i64,
        stage: &str,
        content_json: &str,
        sent_at: i64,
        late: bool,
        complete: bool,
        by: Option<i64>,
        now: i64,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO deviation_notices (deviation_id, org_id, stage, content, sent_at, late, recorded_by, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id)
            .bind(org_id)
            .bind(stage)
            .bind(content_json)
            .bind(sent_at)
            .bind(late)
            .bind(by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let complete_at = complete.then_some(sent_at);
            sqlx::query(
                "UPDATE deviations SET notice_complete_at = COALESCE(notice_complete_at, $1), updated_at = $2 \
                 WHERE org_id = $3 AND id = $4",
            )
            .bind(complete_at)
            .bind(now)
            .bind(org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    pub async fn deviation_notices(&self, org_id: OrgId, id: i64) -> StoreResult<Vec<NoticeRecord>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, RawNoticeRecord>(
                "SELECT n.id, n.stage, n.content, n.sent_at, n.late, n.recorded_by, u.display_name AS recorded_by_name, \
                 n.recorded_at FROM deviation_notices n LEFT JOIN users u ON u.id = n.recorded_by \
                 WHERE n.org_id = $1 AND n.deviation_id = $2 ORDER BY n.id",
            )
            .bind(org_id)
            .bind(id)
            .fetch_all(c)
            .await?
        });
        decode_all(rows)
    }

    pub async fn set_subject_decision(&self, org_id: OrgId, id: i64, decision_json: &str, now: i64) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("UPDATE deviations SET subject_decision = $1, updated_at = $2 WHERE org_id = $3 AND id = $4")
                .bind(decision_json)
                .bind(now)
                .bind(org_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn add_deviation_reaction(
        &self,
        org_id: OrgId,
        id: i64,
        person: &str,
        reaction: &str,
        note: &str,
        by: Option<i64>,
        now: i64,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO deviation_reactions (deviation_id, org_id, person, reaction, note, by_user, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(org_id)
            .bind(person)
            .bind(reaction)
            .bind(note)
            .bind(by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    pub async fn deviation_reactions(&self, org_id: OrgId, id: i64) -> StoreResult<Vec<ReactionRecord>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, RawReactionRecord>(
                "SELECT r.person, r.reaction, r.note, u.display_name AS by_name, r.at FROM deviation_reactions r \
                 LEFT JOIN users u ON u.id = r.by_user WHERE r.org_id = $1 AND r.deviation_id = $2 ORDER BY r.id",
            )
            .bind(org_id)
            .bind(id)
            .fetch_all(c)
            .await?
        });
        decode_all(rows)
    }

    /// The organisation's threshold for repeated deviations.
    pub async fn repeat_threshold(&self, org_id: OrgId) -> StoreResult<i64> {
        let n: Option<i64> = read!(self, |c| {
            sqlx::query_scalar("SELECT repeat_threshold FROM deviation_settings WHERE org_id = $1")
                .bind(org_id)
                .fetch_optional(c)
                .await?
        });
        Ok(n.unwrap_or(normverk_core::deviation::DEFAULT_REPEAT_THRESHOLD))
    }

    pub async fn set_repeat_threshold(
        &self,
        org_id: OrgId,
        threshold: i64,
        by: Option<i64>,
        now: i64,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO deviation_settings (org_id, repeat_threshold, changed_by, changed_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (org_id) DO UPDATE SET repeat_threshold = excluded.repeat_threshold, \
                 changed_by = excluded.changed_by, changed_at = excluded.changed_at",
            )
            .bind(org_id)
            .bind(threshold)
            .bind(by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// Deviations since `since`, counted per category, system, severity and unit, with how many
    /// are closed and their total time to close.
    pub async fn deviation_groups(&self, org_id: OrgId, since: i64) -> StoreResult<Vec<DeviationGroup>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, RawDeviationGroup>(
                "SELECT category, system, severity, unit_id, COUNT(*) AS count, \
                 CAST(COALESCE(SUM(CASE WHEN closed_at IS NULL THEN 0 ELSE 1 END), 0) AS BIGINT) AS closed, \
                 CAST(COALESCE(SUM(CASE WHEN closed_at IS NULL THEN 0 ELSE closed_at - aware_at END), 0) AS BIGINT) AS close_s \
                 FROM deviations WHERE org_id = $1 AND aware_at >= $2 GROUP BY category, system, severity, unit_id",
            )
            .bind(org_id)
            .bind(since)
            .fetch_all(c)
            .await?
        });
        decode_all(rows)
    }

    /// Deviations since `since`, counted per day after it (day 0 starts at `since`).
    pub async fn deviation_days(&self, org_id: OrgId, since: i64) -> StoreResult<Vec<DayCount>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, DayCount>(
                "SELECT (aware_at - $2) / 86400 AS day, COUNT(*) AS count FROM deviations WHERE org_id = $1 AND aware_at >= $2 \
                 GROUP BY (aware_at - $2) / 86400",
            )
            .bind(org_id)
            .bind(since)
            .fetch_all(c)
            .await?
        });
        Ok(rows)
    }

    pub async fn record_deviation_read(
        &self,
        org_id: OrgId,
        id: i64,
        user_id: Option<i64>,
        now: i64,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("INSERT INTO deviation_reads (deviation_id, org_id, user_id, at) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(org_id)
                .bind(user_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// The latest reads of a deviation, newest first.
    pub async fn deviation_reads(&self, org_id: OrgId, id: i64) -> StoreResult<Vec<ReadRecord>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, ReadRecord>(
                "SELECT r.user_id, u.display_name AS name, r.at FROM deviation_reads r LEFT JOIN users u ON u.id = r.user_id \
                 WHERE r.org_id = $1 AND r.deviation_id = $2 ORDER BY r.at DESC LIMIT 200",
            )
            .bind(org_id)
            .bind(id)
            .fetch_all(c)
            .await?
        });
        Ok(rows)
    }
}

coded_row! {
    /// Deviations sharing a category, system, severity and unit.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct DeviationGroup as RawDeviationGroup in "deviations" by category {
        pub category: Category = code,
        pub system: Option<String>,
        pub severity: Option<Severity> = code_opt,
        pub unit_id: Option<i64>,
        pub count: i64,
        pub closed: i64,
        /// Seconds from awareness to closure, summed over the closed ones.
        pub close_s: i64,
    }
}

/// A measure past its deadline and not done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct OverdueMeasure {
    pub deviation_id: i64,
    pub number: i64,
    pub description: String,
    pub owner: String,
    pub deadline: String,
}

impl Store {
    /// Measures past their deadline (`today`, YYYY-MM-DD) and not done, oldest first.
    pub async fn overdue_measures(&self, org_id: OrgId, today: &str) -> StoreResult<Vec<OverdueMeasure>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, OverdueMeasure>(
                "SELECT m.deviation_id, d.number, m.description, m.owner, m.deadline FROM deviation_measures m \
                 JOIN deviations d ON d.id = m.deviation_id WHERE m.org_id = $1 AND m.status <> 'done' AND m.deadline < $2 \
                 ORDER BY m.deadline LIMIT 200",
            )
            .bind(org_id)
            .bind(today)
            .fetch_all(c)
            .await?
        });
        Ok(rows)
    }
}

/// A processor's deviation as its controller received it, or where the processor sent one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Forward {
    /// The other organisation: the controller for the processor, the processor for the
    /// controller.
    pub org_name: String,
    pub org_number: String,
    /// The deviation's number in the processor's organisation.
    pub processor_number: i64,
    pub at: i64,
}

impl Store {
    /// The organisation numbers of the processors the organisation takes deviations from.
    pub async fn deviation_processors(&self, org_id: OrgId) -> StoreResult<Vec<String>> {
        let rows = read!(self, |c| {
            sqlx::query_scalar::<_, String>(
                "SELECT processor_org_number FROM deviation_processors WHERE org_id = $1 ORDER BY processor_org_number",
            )
            .bind(org_id)
            .fetch_all(c)
            .await?
        });
        Ok(rows)
    }

    /// Adds or removes a processor the organisation takes deviations from.
    pub async fn set_deviation_processor(
        &self,
        org_id: OrgId,
        org_number: &str,
        accept: bool,
        by: Option<i64>,
        now: i64,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            if accept {
                sqlx::query(
                    "INSERT INTO deviation_processors (org_id, processor_org_number, added_by, added_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (org_id, processor_org_number) DO NOTHING",
                )
                .bind(org_id)
                .bind(org_number)
                .bind(by)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            } else {
                sqlx::query("DELETE FROM deviation_processors WHERE org_id = $1 AND processor_org_number = $2")
                    .bind(org_id)
                    .bind(org_number)
                    .execute(&mut *tx)
                    .await?;
            }
        });
        Ok(())
    }

    /// The controllers in this normverk that take deviations from the processor with this
    /// organisation number, by name.
    pub async fn controllers_of(&self, processor_org_number: &str) -> StoreResult<Vec<Controller>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, Controller>(
                "SELECT o.id, o.name FROM deviation_processors p JOIN orgs o ON o.id = p.org_id \
                 WHERE p.processor_org_number = $1 ORDER BY o.name",
            )
            .bind(processor_org_number)
            .fetch_all(c)
            .await?
        });
        Ok(rows)
    }

    /// Reports the processor's deviation `id` to a controller that takes deviations from it: a
    /// new deviation in the controller's organisation, aware from `now` (the controller learns
    /// of it now), reported by nobody there. Returns the controller's deviation id.
    pub async fn forward_deviation(
        &self,
        org_id: OrgId,
        id: i64,
        controller_org_id: OrgId,
        by: Option<i64>,
        now: i64,
    ) -> StoreResult<i64> {
        let sql = format!("SELECT {COLUMNS} FROM deviations WHERE org_id = $1 AND id = $2");
        let created = write_tx!(self, |tx| {
            let d = sqlx::query_as::<_, RawDeviation>(&sql).bind(org_id).bind(id).fetch_one(&mut *tx).await?;
            let accepts: Option<String> = sqlx::query_scalar(
                "SELECT p.processor_org_number FROM deviation_processors p JOIN orgs o ON o.org_number = p.processor_org_number \
                 WHERE p.org_id = $1 AND o.id = $2",
            )
            .bind(controller_org_id)
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await?;
            if accepts.is_none() || controller_org_id == org_id {
                return Err(StoreError::Rejected(Rejection::NotAController));
            }
            let sent: Option<i64> = sqlx::query_scalar(
                "SELECT controller_deviation_id FROM deviation_forwards WHERE deviation_id = $1 AND controller_org_id = $2",
            )
            .bind(id)
            .bind(controller_org_id)
            .fetch_optional(&mut *tx)
            .await?;
            if sent.is_some() {
                return Err(StoreError::Conflict("the deviation has been reported to that controller".into()));
            }
            let number: i64 =
                sqlx::query_scalar("SELECT COALESCE(MAX(number), 0) + 1 FROM deviations WHERE org_id = $1")
                    .bind(controller_org_id)
                    .fetch_one(&mut *tx)
                    .await?;
            let created: i64 = sqlx::query_scalar(
                "INSERT INTO deviations (org_id, number, title, description, occurred_at, aware_at, unit_id, system, category, \
                 patients_concerned, immediate_actions, reporter_id, state, notice_required, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8, $9, $10, NULL, 'reported', $11, $12, $12) RETURNING id",
            )
            .bind(controller_org_id)
            .bind(number)
            .bind(&d.title)
            .bind(&d.description)
            .bind(d.occurred_at)
            .bind(now.max(d.aware_at))
            .bind(&d.system)
            .bind(&d.category)
            .bind(d.patients_concerned)
            .bind(&d.immediate_actions)
            .bind(false)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO deviation_forwards (deviation_id, org_id, controller_org_id, controller_deviation_id, by_user, at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(org_id)
            .bind(controller_org_id)
            .bind(created)
            .bind(by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(BUMP).bind(controller_org_id).execute(&mut *tx).await?;
            created
        });
        Ok(created)
    }

    /// Where the organisation's deviation `id` was reported to: each controller.
    pub async fn deviation_sent_to(&self, org_id: OrgId, id: i64) -> StoreResult<Vec<Forward>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, Forward>(
                "SELECT o.name AS org_name, o.org_number, d.number AS processor_number, f.at FROM deviation_forwards f \
                 JOIN orgs o ON o.id = f.controller_org_id JOIN deviations d ON d.id = f.deviation_id \
                 WHERE f.org_id = $1 AND f.deviation_id = $2 ORDER BY f.at",
            )
            .bind(org_id)
            .bind(id)
            .fetch_all(c)
            .await?
        });
        Ok(rows)
    }

    /// Which processor reported the organisation's deviation `id`, if one did.
    pub async fn deviation_received_from(&self, org_id: OrgId, id: i64) -> StoreResult<Option<Forward>> {
        let row = read!(self, |c| {
            sqlx::query_as::<_, Forward>(
                "SELECT o.name AS org_name, o.org_number, d.number AS processor_number, f.at FROM deviation_forwards f \
                 JOIN orgs o ON o.id = f.org_id JOIN deviations d ON d.id = f.deviation_id \
                 WHERE f.controller_org_id = $1 AND f.controller_deviation_id = $2",
            )
            .bind(org_id)
            .bind(id)
            .fetch_optional(c)
            .await?
        });
        Ok(row)
    }
}
