//! Risk management: the acceptance level (every version kept) and risk assessments, each its
//! current document with every version whole; an approved one is frozen.

use crate::db::{coded_row, read, write_tx, Named, OrgId, Rejection, Store, StoreError, StoreResult};
use normverk_core::risk::{Assessment, Matrix, State, Threat};
use serde::Serialize;

/// A version of the acceptance level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredMatrix {
    pub id: i64,
    pub matrix: Matrix,
    pub set_by: Option<String>,
    pub set_at: i64,
}

coded_row! {
    /// A risk assessment with its current document.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct RiskAssessment as RawRiskAssessment in "risk_assessments" by id {
        pub id: i64,
        pub title: String,
        pub doc: String,
        pub matrix_id: i64,
        pub state: State = code,
        pub previous_id: Option<i64>,
        /// Why it was started: a new system, a change, repeated deviations, management's round …
        pub reason: String,
        pub version: i64,
        pub created_at: i64,
        pub updated_at: i64,
        pub approved_at: Option<i64>,
        pub approved_by: Option<String>,
    }
}

impl RiskAssessment {
    /// The document as stored.
    pub fn assessment(&self) -> StoreResult<Assessment> {
        parse(&self.doc)
    }
}

/// One saved version of an assessment: who, when, what was done and the document as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiskVersion {
    pub version: i64,
    pub state: String,
    pub change: String,
    pub changed_by: Option<String>,
    pub changed_at: i64,
    pub doc: String,
}

fn parse<T: serde::de::DeserializeOwned>(json: &str) -> StoreResult<T> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("stored risk data unreadable: {e}")))
}

fn encode<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("risk data: {e}")))
}

/// Versions of the acceptance level with who set them; the caller adds the filter.
const MATRICES: &str =
    "SELECT m.id, m.matrix, u.display_name, m.set_at FROM risk_matrices m LEFT JOIN users u ON u.id = m.set_by";

const BUMP: &str = "INSERT INTO risk_versions (org_id, version) VALUES ($1, 1) \
     ON CONFLICT (org_id) DO UPDATE SET version = risk_versions.version + 1";

const COLUMNS: &str = "a.id, a.title, a.doc, a.matrix_id, a.state, a.previous_id, a.reason, a.version, a.created_at, \
     a.updated_at, a.approved_at, u.display_name AS approved_by";

const FROM: &str = "FROM risk_assessments a LEFT JOIN users u ON u.id = a.approved_by";

const VERSION: &str = "INSERT INTO risk_assessment_versions \
     (org_id, assessment_id, version, doc, state, change, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// An assessment to start: its document, the matrix version it uses, the approved one it
/// starts from and why.
#[derive(Debug, Clone)]
pub struct NewRiskAssessment {
    pub doc: Assessment,
    pub matrix_id: i64,
    pub previous_id: Option<i64>,
    pub reason: String,
}

/// What an assessment may cover: the organisation's processings, systems and assets (by
/// identifier and model), each by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Targets {
    pub processings: Vec<Named>,
    pub systems: Vec<Named>,
    pub assets: Vec<Named>,
}

impl Store {
    /// The processings, systems and assets an assessment of the organisation may name.
    pub async fn risk_targets(&self, org_id: OrgId) -> StoreResult<Targets> {
        let mut lists = Vec::with_capacity(3);
        for sql in [
            "SELECT id, name FROM processings WHERE org_id = $1 ORDER BY name, id",
            "SELECT id, name FROM systems WHERE org_id = $1 ORDER BY name, id",
            "SELECT id, CASE WHEN model = '' THEN identifier ELSE identifier || ' (' || model || ')' END \
             FROM assets WHERE org_id = $1 ORDER BY identifier, id",
        ] {
            let rows: Vec<(i64, String)> = read!(self, |c| sqlx::query_as(sql).bind(org_id).fetch_all(c).await?);
            lists.push(rows.into_iter().map(|(id, name)| Named { id, name }).collect::<Vec<_>>());
        }
        let assets = lists.pop().unwrap_or_default();
        let systems = lists.pop().unwrap_or_default();
        let processings = lists.pop().unwrap_or_default();
        Ok(Targets { processings, systems, assets })
    }

    /// The organisation's risk version: changes whenever its matrix or an assessment does.
    pub async fn risk_version(&self, org_id: OrgId) -> StoreResult<i64> {
        let v: Option<i64> = read!(self, |c| {
            sqlx::query_scalar("SELECT version FROM risk_versions WHERE org_id = $1")
                .bind(org_id)
                .fetch_optional(c)
                .await?
        });
        Ok(v.unwrap_or(0))
    }

    /// How many months apart management's regular assessment is due, if the organisation set it.
    pub async fn risk_regular_months(&self, org_id: OrgId) -> StoreResult<Option<i64>> {
        Ok(read!(self, |c| {
            sqlx::query_scalar("SELECT regular_months FROM risk_settings WHERE org_id = $1")
                .bind(org_id)
                .fetch_optional(c)
                .await?
        }))
    }

    /// Sets how many months apart management's regular assessment is due (checked by the caller).
    pub async fn set_risk_regular_months(&self, org_id: OrgId, months: i64) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO risk_settings (org_id, regular_months) VALUES ($1, $2) \
                 ON CONFLICT (org_id) DO UPDATE SET regular_months = excluded.regular_months",
            )
            .bind(org_id)
            .bind(months)
            .execute(&mut *tx)
            .await?;
            sqlx::query(BUMP).bind(org_id).execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// The threats the organisation edited or added (see `core::risk::catalogue`).
    pub async fn risk_threats(&self, org_id: OrgId) -> StoreResult<Vec<Threat>> {
        let rows: Vec<(String, String, String, i64)> = read!(self, |c| {
            sqlx::query_as("SELECT code, title, description, retired FROM risk_threats WHERE org_id = $1 ORDER BY code")
                .bind(org_id)
                .fetch_all(c)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(code, title, description, retired)| Threat { code, title, description, retired: retired != 0 })
            .collect())
    }

    /// Adds a threat of the organisation's own (checked by the caller) under the next free code
    /// `{prefix}N`, in one transaction. Returns the code.
    pub async fn add_risk_threat(&self, org_id: OrgId, prefix: &str, t: &Threat) -> StoreResult<String> {
        let code = write_tx!(self, |tx| {
            let codes: Vec<String> = sqlx::query_scalar("SELECT code FROM risk_threats WHERE org_id = $1")
                .bind(org_id)
                .fetch_all(&mut *tx)
                .await?;
            let n = codes.iter().filter_map(|c| c.strip_prefix(prefix)?.parse::<u64>().ok()).max().unwrap_or(0);
            let code = format!("{prefix}{}", n + 1);
            sqlx::query(
                "INSERT INTO risk_threats (org_id, code, title, description, retired) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(org_id)
            .bind(&code)
            .bind(t.title.trim())
            .bind(t.description.trim())
            .bind(i64::from(t.retired))
            .execute(&mut *tx)
            .await?;
            sqlx::query(BUMP).bind(org_id).execute(&mut *tx).await?;
            code
        });
        Ok(code)
    }

    /// Keeps the organisation's version of a threat (checked by the caller).
    pub async fn put_risk_threat(&self, org_id: OrgId, t: &Threat) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO risk_threats (org_id, code, title, description, retired) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (org_id, code) DO UPDATE SET title = excluded.title, \
                 description = excluded.description, retired = excluded.retired",
            )
            .bind(org_id)
            .bind(&t.code)
            .bind(t.title.trim())
            .bind(t.description.trim())
            .bind(i64::from(t.retired))
            .execute(&mut *tx)
            .await?;
            sqlx::query(BUMP).bind(org_id).execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// Every version of the acceptance level, newest first.
    pub async fn risk_matrices(&self, org_id: OrgId) -> StoreResult<Vec<StoredMatrix>> {
        let rows: Vec<(i64, String, Option<String>, i64)> = read!(self, |c| {
            sqlx::query_as(&format!("{MATRICES} WHERE m.org_id = $1 ORDER BY m.id DESC"))
                .bind(org_id)
                .fetch_all(c)
                .await?
        });
        rows.into_iter()
            .map(|(id, m, set_by, set_at)| Ok(StoredMatrix { id, matrix: parse(&m)?, set_by, set_at }))
            .collect()
    }

    /// The organisation's matrix version `id`.
    pub async fn risk_matrix(&self, org_id: OrgId, id: i64) -> StoreResult<StoredMatrix> {
        let row: Option<(i64, String, Option<String>, i64)> = read!(self, |c| {
            sqlx::query_as(&format!("{MATRICES} WHERE m.org_id = $1 AND m.id = $2"))
                .bind(org_id)
                .bind(id)
                .fetch_optional(c)
                .await?
        });
        let (id, m, set_by, set_at) = row.ok_or(StoreError::NotFound)?;
        Ok(StoredMatrix { id, matrix: parse(&m)?, set_by, set_at })
    }

    /// Sets a new version of the acceptance level (checked by the caller). Returns its id.
    pub async fn set_risk_matrix(&self, org_id: OrgId, m: &Matrix, by: Option<i64>, now: i64) -> StoreResult<i64> {
        let json = encode(m)?;
        let id = write_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO risk_matrices (org_id, matrix, set_by, set_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(org_id)
            .bind(&json)
            .bind(by)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(BUMP).bind(org_id).execute(&mut *tx).await?;
            id
        });
        Ok(id)
    }

    /// Every assessment of the organisation, newest first.
    pub async fn risk_assessments(&self, org_id: OrgId) -> StoreResult<Vec<RiskAssessment>> {
        let sql = format!("SELECT {COLUMNS} {FROM} WHERE a.org_id = $1 ORDER BY a.id DESC");
        let rows: Vec<RawRiskAssessment> = read!(self, |c| sqlx::query_as(&sql).bind(org_id).fetch_all(c).await?);
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// The organisation's assessment `id`.
    pub async fn risk_assessment(&self, org_id: OrgId, id: i64) -> StoreResult<RiskAssessment> {
        let sql = format!("SELECT {COLUMNS} {FROM} WHERE a.org_id = $1 AND a.id = $2");
        let row: Option<RawRiskAssessment> =
            read!(self, |c| sqlx::query_as(&sql).bind(org_id).bind(id).fetch_optional(c).await?);
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    /// Starts an assessment as a draft, with its first version. The matrix and the assessment
    /// it starts from must be the organisation's, and that one approved. Returns its id.
    pub async fn create_risk_assessment(
        &self,
        org_id: OrgId,
        new: &NewRiskAssessment,
        by: Option<i64>,
        now: i64,
    ) -> StoreResult<i64> {
        let doc = encode(&new.doc)?;
        let id = write_tx!(self, |tx| {
            let matrix: Option<i64> = sqlx::query_scalar("SELECT id FROM risk_matrices WHERE org_id = $1 AND id = $2")
                .bind(org_id)
                .bind(new.matrix_id)
                .fetch_optional(&mut *tx)
                .await?;
            if matrix.is_none() {
                return Err(StoreError::NotFound);
            }
            if let Some(previous) = new.previous_id {
                let state: Option<String> =
                    sqlx::query_scalar("SELECT state FROM risk_assessments WHERE org_id = $1 AND id = $2")
                        .bind(org_id)
                        .bind(previous)
                        .fetch_optional(&mut *tx)
                        .await?;
                match state.as_deref() {
                    None => return Err(StoreError::NotFound),
                    Some(s) if s != State::Approved.as_str() => {
                        return Err(StoreError::Rejected(Rejection::RiskAssessmentNotApproved))
                    }
                    Some(_) => {}
                }
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO risk_assessments (org_id, title, doc, matrix_id, state, previous_id, reason, version, \
                 created_at, created_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $8) RETURNING id",
            )
            .bind(org_id)
            .bind(new.doc.title.trim())
            .bind(&doc)
            .bind(new.matrix_id)
            .bind(State::Draft.as_str())
            .bind(new.previous_id)
            .bind(&new.reason)
            .bind(now)
            .bind(by)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(VERSION)
                .bind(org_id)
                .bind(id)
                .bind(1_i64)
                .bind(&doc)
                .bind(State::Draft.as_str())
                .bind("started")
                .bind(by)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(BUMP).bind(org_id).execute(&mut *tx).await?;
            id
        });
        Ok(id)
    }

    /// Saves a draft's document as version `expected + 1`, recording `change` (what was done,
    /// as a code such as `event_added`). An approved assessment is refused; one saved by someone
    /// else since `expected` is a conflict. With `approve`, the same transaction approves and
    /// freezes it. Returns the new version.
    #[allow(clippy::too_many_arguments)]
    pub async fn save_risk_assessment(
        &self,
        org_id: OrgId,
        id: i64,
        expected: i64,
        doc: &Assessment,
        change: &str,
        approve: bool,
        by: Option<i64>,
        now: i64,
    ) -> StoreResult<i64> {
        let json = encode(doc)?;
        let state = if approve { State::Approved } else { State::Draft };
        let version = write_tx!(self, |tx| {
            let current: Option<(String, i64)> =
                sqlx::query_as("SELECT state, version FROM risk_assessments WHERE org_id = $1 AND id = $2")
                    .bind(org_id)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let (current_state, version) = current.ok_or(StoreError::NotFound)?;
            if current_state != State::Draft.as_str() {
                return Err(StoreError::Rejected(Rejection::RiskAssessmentApproved));
            }
            if version != expected {
                return Err(StoreError::Conflict(
                    "the risk assessment has changed since it was read; reload it".into(),
                ));
            }
            let next = version + 1;
            sqlx::query(
                "UPDATE risk_assessments SET title = $3, doc = $4, state = $5, version = $6, updated_at = $7, \
                 approved_at = CASE WHEN $8 THEN $7 ELSE NULL END, approved_by = CASE WHEN $8 THEN $9 ELSE NULL END \
                 WHERE org_id = $1 AND id = $2 AND version = $10",
            )
            .bind(org_id)
            .bind(id)
            .bind(doc.title.trim())
            .bind(&json)
            .bind(state.as_str())
            .bind(next)
            .bind(now)
            .bind(approve)
            .bind(by)
            .bind(version)
            .execute(&mut *tx)
            .await?;
            sqlx::query(VERSION)
                .bind(org_id)
                .bind(id)
                .bind(next)
                .bind(&json)
                .bind(state.as_str())
                .bind(change)
                .bind(by)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(BUMP).bind(org_id).execute(&mut *tx).await?;
            next
        });
        Ok(version)
    }

    /// Every version of the organisation's assessment `id`, newest first.
    pub async fn risk_assessment_versions(&self, org_id: OrgId, id: i64) -> StoreResult<Vec<RiskVersion>> {
        let rows: Vec<(i64, String, String, Option<String>, i64, String)> = read!(self, |c| {
            sqlx::query_as(
                "SELECT v.version, v.state, v.change, u.display_name, v.changed_at, v.doc FROM risk_assessment_versions v \
                 LEFT JOIN users u ON u.id = v.changed_by WHERE v.org_id = $1 AND v.assessment_id = $2 \
                 ORDER BY v.version DESC",
            )
            .bind(org_id)
            .bind(id)
            .fetch_all(c)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(version, state, change, changed_by, changed_at, doc)| RiskVersion {
                version,
                state,
                change,
                changed_by,
                changed_at,
                doc,
            })
            .collect())
    }
}
