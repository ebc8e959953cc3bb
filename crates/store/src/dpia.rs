//! Data protection impact assessments: each its current document and workflow state, with every
//! version whole.

use crate::db::{coded_row, read, write_tx, OrgId, Store, StoreError, StoreResult};
use normverk_core::dpia::{Dpia, State};
use serde::Serialize;

coded_row! {
    /// A DPIA with its current document.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct StoredDpia as RawDpia in "dpias" by id {
        pub id: i64,
        pub title: String,
        pub doc: String,
        pub state: State = code,
        pub version: i64,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

impl StoredDpia {
    /// The document as stored.
    pub fn dpia(&self) -> StoreResult<Dpia> {
        serde_json::from_str(&self.doc).map_err(|e| StoreError::Corrupt(format!("stored DPIA unreadable: {e}")))
    }
}

/// One saved version of a DPIA: who, when, what was done and the document as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DpiaVersion {
    pub version: i64,
    pub state: State,
    pub change: String,
    pub changed_by: Option<String>,
    pub changed_at: i64,
    pub doc: String,
}

fn encode(d: &Dpia) -> StoreResult<String> {
    serde_json::to_string(d).map_err(|e| StoreError::Corrupt(format!("DPIA: {e}")))
}

const COLUMNS: &str = "SELECT id, title, doc, state, version, created_at, updated_at FROM dpias";

const VERSION: &str =
    "INSERT INTO dpia_versions (org_id, dpia_id, version, doc, state, change, changed_by, changed_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

impl Store {
    /// Every DPIA of the organisation, newest first.
    pub async fn dpias(&self, org_id: OrgId) -> StoreResult<Vec<StoredDpia>> {
        let sql = format!("{COLUMNS} WHERE org_id = $1 ORDER BY id DESC");
        let rows: Vec<RawDpia> = read!(self, |c| sqlx::query_as(&sql).bind(org_id).fetch_all(c).await?);
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// The organisation's DPIA `id`.
    pub async fn dpia(&self, org_id: OrgId, id: i64) -> StoreResult<StoredDpia> {
        let sql = format!("{COLUMNS} WHERE org_id = $1 AND id = $2");
        let row: Option<RawDpia> =
            read!(self, |c| sqlx::query_as(&sql).bind(org_id).bind(id).fetch_optional(c).await?);
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    /// Starts a DPIA as a draft (checked by the caller), with its first version. Returns its id.
    pub async fn create_dpia(&self, org_id: OrgId, doc: &Dpia, by: Option<i64>, now: i64) -> StoreResult<i64> {
        let json = encode(doc)?;
        let id = write_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO dpias (org_id, title, doc, state, version, created_at, created_by, updated_at) \
                 VALUES ($1, $2, $3, $4, 1, $5, $6, $5) RETURNING id",
            )
            .bind(org_id)
            .bind(doc.title.trim())
            .bind(&json)
            .bind(State::Draft.as_str())
            .bind(now)
            .bind(by)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(VERSION)
                .bind(org_id)
                .bind(id)
                .bind(1_i64)
                .bind(&json)
                .bind(State::Draft.as_str())
                .bind("started")
                .bind(by)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            id
        });
        Ok(id)
    }

    /// Saves a DPIA as version `expected + 1` in `state`, recording `change`. One saved by
    /// someone else since `expected` is a conflict. Returns the new version.
    #[allow(clippy::too_many_arguments)]
    pub async fn save_dpia(
        &self,
        org_id: OrgId,
        id: i64,
        expected: i64,
        doc: &Dpia,
        state: State,
        change: &str,
        by: Option<i64>,
        now: i64,
    ) -> StoreResult<i64> {
        let json = encode(doc)?;
        let version = write_tx!(self, |tx| {
            let current: Option<i64> = sqlx::query_scalar("SELECT version FROM dpias WHERE org_id = $1 AND id = $2")
                .bind(org_id)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let version = current.ok_or(StoreError::NotFound)?;
            if version != expected {
                return Err(StoreError::Conflict("the DPIA has changed since it was read; reload it".into()));
            }
            let next = version + 1;
            sqlx::query(
                "UPDATE dpias SET title = $3, doc = $4, state = $5, version = $6, updated_at = $7 \
                 WHERE org_id = $1 AND id = $2 AND version = $8",
            )
            .bind(org_id)
            .bind(id)
            .bind(doc.title.trim())
            .bind(&json)
            .bind(state.as_str())
            .bind(next)
            .bind(now)
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
            next
        });
        Ok(version)
    }

    /// Every version of the organisation's DPIA `id`, newest first.
    pub async fn dpia_versions(&self, org_id: OrgId, id: i64) -> StoreResult<Vec<DpiaVersion>> {
        let rows: Vec<(i64, String, String, Option<String>, i64, String)> = read!(self, |c| {
            sqlx::query_as(
                "SELECT v.version, v.state, v.change, u.display_name, v.changed_at, v.doc FROM dpia_versions v \
                 LEFT JOIN users u ON u.id = v.changed_by WHERE v.org_id = $1 AND v.dpia_id = $2 \
                 ORDER BY v.version DESC",
            )
            .bind(org_id)
            .bind(id)
            .fetch_all(c)
            .await?
        });
        rows.into_iter()
            .map(|(version, state, change, changed_by, changed_at, doc)| {
                let state = crate::db::code("dpia_versions", version, "state", &state)?;
                Ok(DpiaVersion { version, state, change, changed_by, changed_at, doc })
            })
            .collect()
    }
}
