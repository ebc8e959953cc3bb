//! Self-assessment rounds, answers with their history, and evidence files.

use crate::db::{coded_row, decode_all, read, write_tx, OrgId, Rejection, Store, StoreError, StoreResult};
use normverk_core::assessment::{Answer, Status};
use serde::Serialize;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Round {
    pub id: i64,
    pub org_id: OrgId,
    pub name: String,
    pub catalog: String,
    pub catalog_version: String,
    pub previous_round_id: Option<i64>,
    pub started_at: i64,
    pub started_by: Option<i64>,
    pub frozen_at: Option<i64>,
    pub frozen_by: Option<i64>,
}

coded_row! {
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct AnswerRow as RawAnswer in "assessment_answers" by requirement_id {
        pub requirement_id: String,
        pub status: Status = code,
        pub justification: Option<String>,
        pub comment: Option<String>,
        pub responsible_user_id: Option<i64>,
        pub due_date: Option<String>,
        pub evidence_link: Option<String>,
        pub updated_at: i64,
        pub updated_by: Option<i64>,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct HistoryRow {
    pub id: i64,
    pub requirement_id: String,
    pub changed_at: i64,
    pub changed_by: Option<i64>,
    pub before_json: Option<String>,
    pub after_json: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Evidence {
    pub id: i64,
    pub round_id: i64,
    pub requirement_id: String,
    pub sha256: String,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    pub uploaded_at: i64,
    pub uploaded_by: Option<i64>,
}

const ROUND_COLUMNS: &str =
    "id, org_id, name, catalog, catalog_version, previous_round_id, started_at, started_by, frozen_at, frozen_by";
const ANSWER_COLUMNS: &str =
    "requirement_id, status, justification, comment, responsible_user_id, due_date, evidence_link, updated_at, updated_by";
const EVIDENCE_COLUMNS: &str =
    "id, round_id, requirement_id, sha256, file_name, media_type, size, uploaded_at, uploaded_by";

/// Refuses with `NotFound` a round of another organisation, and with `Rejected` a frozen one.
macro_rules! require_open_round {
    ($tx:ident, $org_id:expr, $round_id:expr) => {{
        let frozen: Option<Option<i64>> =
            sqlx::query_scalar("SELECT frozen_at FROM assessment_rounds WHERE org_id = $1 AND id = $2")
                .bind($org_id)
                .bind($round_id)
                .fetch_optional(&mut *$tx)
                .await?;
        match frozen {
            None => return Err(StoreError::NotFound),
            Some(Some(_)) => return Err(StoreError::Rejected(Rejection::RoundFrozen)),
            Some(None) => {}
        }
    }};
}

/// Inserts one answer row of a round.
macro_rules! insert_answer {
    ($tx:ident, $org_id:expr, $round_id:expr, $row:expr) => {{
        let row: &AnswerRow = $row;
        sqlx::query(
            "INSERT INTO assessment_answers (org_id, round_id, requirement_id, status, justification, comment, \
             responsible_user_id, due_date, evidence_link, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind($org_id)
        .bind($round_id)
        .bind(&row.requirement_id)
        .bind(row.status.as_str())
        .bind(&row.justification)
        .bind(&row.comment)
        .bind(row.responsible_user_id)
        .bind(&row.due_date)
        .bind(&row.evidence_link)
        .bind(row.updated_at)
        .bind(row.updated_by)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// An accepted answer as the row it is stored as.
fn answer_row(requirement_id: &str, a: &Answer, now: i64, by: Option<i64>) -> AnswerRow {
    AnswerRow {
        requirement_id: requirement_id.to_string(),
        status: a.status,
        justification: a.justification.clone(),
        comment: a.comment.clone(),
        responsible_user_id: a.responsible_user_id,
        due_date: a.due_date.map(|d| d.to_string()),
        evidence_link: a.evidence_link.clone(),
        updated_at: now,
        updated_by: by,
    }
}

/// The answer as stored in the history: the fields a person sets.
fn answer_json(a: &AnswerRow) -> String {
    serde_json::json!({
        "status": a.status,
        "justification": a.justification,
        "comment": a.comment,
        "responsible_user_id": a.responsible_user_id,
        "due_date": a.due_date,
        "evidence_link": a.evidence_link,
    })
    .to_string()
}

impl Store {
    pub async fn rounds(&self, org_id: OrgId) -> StoreResult<Vec<Round>> {
        let sql = format!(
            "SELECT {ROUND_COLUMNS} FROM assessment_rounds WHERE org_id = $1 ORDER BY started_at DESC, id DESC"
        );
        Ok(read!(self, |c| sqlx::query_as::<_, Round>(&sql).bind(org_id).fetch_all(c).await?))
    }

    pub async fn round(&self, org_id: OrgId, round_id: i64) -> StoreResult<Round> {
        let sql = format!("SELECT {ROUND_COLUMNS} FROM assessment_rounds WHERE org_id = $1 AND id = $2");
        Ok(read!(self, |c| sqlx::query_as::<_, Round>(&sql).bind(org_id).bind(round_id).fetch_one(c).await?))
    }

    /// The newest round, open or frozen.
    pub async fn latest_round(&self, org_id: OrgId) -> StoreResult<Option<Round>> {
        Ok(self.rounds(org_id).await?.into_iter().next())
    }

    /// Starts a round. Refused while another round is open. Without `seed`, the answers and
    /// evidence of the newest round carry over as they are (same catalogue); with `seed` (a
    /// later catalogue, answers already mapped onto it) exactly those answers start the round.
    #[allow(clippy::too_many_arguments)]
    pub async fn start_round(
        &self,
        org_id: OrgId,
        name: &str,
        catalog: &str,
        catalog_version: &str,
        seed: Option<&[(String, Answer)]>,
        by: Option<i64>,
        now: i64,
    ) -> StoreResult<Round> {
        let round = write_tx!(self, |tx| {
            let open: Option<i64> =
                sqlx::query_scalar("SELECT id FROM assessment_rounds WHERE org_id = $1 AND frozen_at IS NULL")
                    .bind(org_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if open.is_some() {
                return Err(StoreError::Rejected(Rejection::RoundAlreadyOpen));
            }
            let previous: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM assessment_rounds WHERE org_id = $1 ORDER BY started_at DESC, id DESC LIMIT 1",
            )
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await?;
            let sql = format!(
                "INSERT INTO assessment_rounds (org_id, name, catalog, catalog_version, previous_round_id, started_at, started_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {ROUND_COLUMNS}"
            );
            let round: Round = sqlx::query_as(&sql)
                .bind(org_id)
                .bind(name)
                .bind(catalog)
                .bind(catalog_version)
                .bind(previous)
                .bind(now)
                .bind(by)
                .fetch_one(&mut *tx)
                .await?;
            if let Some(seed) = seed {
                for (requirement_id, a) in seed {
                    insert_answer!(tx, org_id, round.id, &answer_row(requirement_id, a, now, by));
                }
            } else if let Some(prev) = previous {
                sqlx::query(
                    "INSERT INTO assessment_answers (org_id, round_id, requirement_id, status, justification, comment, \
                     responsible_user_id, due_date, evidence_link, updated_at, updated_by) \
                     SELECT org_id, $1, requirement_id, status, justification, comment, responsible_user_id, due_date, \
                     evidence_link, updated_at, updated_by FROM assessment_answers WHERE round_id = $2 AND org_id = $3",
                )
                .bind(round.id)
                .bind(prev)
                .bind(org_id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO assessment_evidence (org_id, round_id, requirement_id, sha256, file_name, media_type, size, \
                     uploaded_at, uploaded_by) SELECT org_id, $1, requirement_id, sha256, file_name, media_type, size, \
                     uploaded_at, uploaded_by FROM assessment_evidence WHERE round_id = $2 AND org_id = $3",
                )
                .bind(round.id)
                .bind(prev)
                .bind(org_id)
                .execute(&mut *tx)
                .await?;
            }
            round
        });
        Ok(round)
    }

    /// Freezes a round: from now on it is read-only.
    pub async fn freeze_round(&self, org_id: OrgId, round_id: i64, by: Option<i64>, now: i64) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let done = sqlx::query(
                "UPDATE assessment_rounds SET frozen_at = $1, frozen_by = $2 WHERE org_id = $3 AND id = $4 AND frozen_at IS NULL",
            )
            .bind(now)
            .bind(by)
            .bind(org_id)
            .bind(round_id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Rejected(Rejection::RoundNotOpen));
            }
        });
        Ok(())
    }

    pub async fn answers(&self, org_id: OrgId, round_id: i64) -> StoreResult<Vec<AnswerRow>> {
        let sql = format!(
            "SELECT {ANSWER_COLUMNS} FROM assessment_answers WHERE org_id = $1 AND round_id = $2 ORDER BY requirement_id"
        );
        decode_all(read!(self, |c| sqlx::query_as::<_, RawAnswer>(&sql)
            .bind(org_id)
            .bind(round_id)
            .fetch_all(c)
            .await?))
    }

    pub async fn answer(&self, org_id: OrgId, round_id: i64, requirement_id: &str) -> StoreResult<Option<AnswerRow>> {
        let sql = format!(
            "SELECT {ANSWER_COLUMNS} FROM assessment_answers WHERE org_id = $1 AND round_id = $2 AND requirement_id = $3"
        );
        read!(self, |c| sqlx::query_as::<_, RawAnswer>(&sql)
            .bind(org_id)
            .bind(round_id)
            .bind(requirement_id)
            .fetch_optional(c)
            .await?)
        .map(AnswerRow::try_from)
        .transpose()
    }

    /// Saves answers to an open round in one transaction, recording each change in the
    /// history. A responsible person must be a member of the organisation. Nothing is saved
    /// when anything is refused.
    pub async fn save_answers(
        &self,
        org_id: OrgId,
        round_id: i64,
        answers: &[(String, Answer)],
        by: Option<i64>,
        now: i64,
    ) -> StoreResult<usize> {
        let changed = write_tx!(self, |tx| {
            require_open_round!(tx, org_id, round_id);
            let mut changed = 0;
            for (requirement_id, a) in answers {
                if let Some(user) = a.responsible_user_id {
                    let member: Option<String> =
                        sqlx::query_scalar("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2 LIMIT 1")
                            .bind(org_id)
                            .bind(user)
                            .fetch_optional(&mut *tx)
                            .await?;
                    if member.is_none() {
                        return Err(StoreError::Rejected(Rejection::ResponsibleNotMember {
                            requirement_id: requirement_id.clone(),
                        }));
                    }
                }
                let sql = format!(
                    "SELECT {ANSWER_COLUMNS} FROM assessment_answers WHERE org_id = $1 AND round_id = $2 AND requirement_id = $3"
                );
                let before: Option<RawAnswer> = sqlx::query_as(&sql)
                    .bind(org_id)
                    .bind(round_id)
                    .bind(requirement_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let before = before.map(AnswerRow::try_from).transpose()?;
                let after = answer_row(requirement_id, a, now, by);
                let (before_json, after_json) = (before.as_ref().map(answer_json), answer_json(&after));
                if before_json.as_deref() == Some(after_json.as_str()) {
                    continue;
                }
                sqlx::query(
                    "DELETE FROM assessment_answers WHERE org_id = $1 AND round_id = $2 AND requirement_id = $3",
                )
                .bind(org_id)
                .bind(round_id)
                .bind(requirement_id)
                .execute(&mut *tx)
                .await?;
                insert_answer!(tx, org_id, round_id, &after);
                sqlx::query(
                    "INSERT INTO assessment_history (org_id, round_id, requirement_id, changed_at, changed_by, before_json, after_json) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(org_id)
                .bind(round_id)
                .bind(requirement_id)
                .bind(now)
                .bind(by)
                .bind(&before_json)
                .bind(&after_json)
                .execute(&mut *tx)
                .await?;
                changed += 1;
            }
            changed
        });
        Ok(changed)
    }

    /// The changes to one answer, newest first.
    pub async fn answer_history(
        &self,
        org_id: OrgId,
        round_id: i64,
        requirement_id: &str,
    ) -> StoreResult<Vec<HistoryRow>> {
        let sql = "SELECT id, requirement_id, changed_at, changed_by, before_json, after_json FROM assessment_history \
                   WHERE org_id = $1 AND round_id = $2 AND requirement_id = $3 ORDER BY changed_at DESC, id DESC";
        Ok(read!(self, |c| sqlx::query_as::<_, HistoryRow>(sql)
            .bind(org_id)
            .bind(round_id)
            .bind(requirement_id)
            .fetch_all(c)
            .await?))
    }

    /// Stores an evidence file for an answer in an open round. The content is kept once per
    /// SHA-256, however many answers point at it.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_evidence(
        &self,
        org_id: OrgId,
        round_id: i64,
        requirement_id: &str,
        file_name: &str,
        media_type: &str,
        content: &[u8],
        by: Option<i64>,
        now: i64,
    ) -> StoreResult<Evidence> {
        let sha256: String = Sha256::digest(content).iter().map(|b| format!("{b:02x}")).collect();
        let size = i64::try_from(content.len()).unwrap_or(i64::MAX);
        let evidence = write_tx!(self, |tx| {
            require_open_round!(tx, org_id, round_id);
            sqlx::query(
                "INSERT INTO blobs (sha256, size, content) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING",
            )
            .bind(&sha256)
            .bind(size)
            .bind(content)
            .execute(&mut *tx)
            .await?;
            let sql = format!(
                "INSERT INTO assessment_evidence (org_id, round_id, requirement_id, sha256, file_name, media_type, size, \
                 uploaded_at, uploaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {EVIDENCE_COLUMNS}"
            );
            sqlx::query_as::<_, Evidence>(&sql)
                .bind(org_id)
                .bind(round_id)
                .bind(requirement_id)
                .bind(&sha256)
                .bind(file_name)
                .bind(media_type)
                .bind(size)
                .bind(now)
                .bind(by)
                .fetch_one(&mut *tx)
                .await?
        });
        Ok(evidence)
    }

    pub async fn evidence_for(&self, org_id: OrgId, round_id: i64, requirement_id: &str) -> StoreResult<Vec<Evidence>> {
        let sql = format!(
            "SELECT {EVIDENCE_COLUMNS} FROM assessment_evidence WHERE org_id = $1 AND round_id = $2 AND requirement_id = $3 ORDER BY id"
        );
        Ok(read!(self, |c| sqlx::query_as::<_, Evidence>(&sql)
            .bind(org_id)
            .bind(round_id)
            .bind(requirement_id)
            .fetch_all(c)
            .await?))
    }

    /// An evidence file and its content.
    pub async fn evidence_file(&self, org_id: OrgId, evidence_id: i64) -> StoreResult<(Evidence, Vec<u8>)> {
        let sql = format!("SELECT {EVIDENCE_COLUMNS} FROM assessment_evidence WHERE org_id = $1 AND id = $2");
        let evidence: Evidence =
            read!(self, |c| sqlx::query_as::<_, Evidence>(&sql).bind(org_id).bind(evidence_id).fetch_one(c).await?);
        let content: Vec<u8> = read!(self, |c| sqlx::query_scalar("SELECT content FROM blobs WHERE sha256 = $1")
            .bind(&evidence.sha256)
            .fetch_one(c)
            .await?);
        Ok((evidence, content))
    }
}
