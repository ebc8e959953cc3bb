//! Information systems and their dependencies.

use crate::db::{read, write_tx, Store, StoreError, StoreResult};
use normverk_core::system::NewSystem;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct System {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub description: String,
    pub owner: String,
    pub supplier: String,
    pub hosting: String,
    pub data_types: String,
    pub criticality: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str =
    "id, org_id, name, description, owner, supplier, hosting, data_types, criticality, created_at, updated_at";

impl Store {
    pub async fn create_system(&self, org_id: i64, s: &NewSystem, now: i64) -> StoreResult<System> {
        let sql = format!(
            "INSERT INTO systems (org_id, name, description, owner, supplier, hosting, data_types, criticality, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING {COLUMNS}"
        );
        let created = write_tx!(self, |tx| {
            sqlx::query_as::<_, System>(&sql)
                .bind(org_id)
                .bind(s.name.trim())
                .bind(s.description.trim())
                .bind(s.owner.trim())
                .bind(s.supplier.trim())
                .bind(s.hosting.trim())
                .bind(s.data_types.trim())
                .bind(s.criticality.as_str())
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| match StoreError::from(e) {
                    StoreError::Conflict(_) => {
                        StoreError::Conflict(format!("a system named '{}' exists", s.name.trim()))
                    }
                    other => other,
                })?
        });
        Ok(created)
    }

    pub async fn systems(&self, org_id: i64) -> StoreResult<Vec<System>> {
        let sql = format!("SELECT {COLUMNS} FROM systems WHERE org_id = $1 ORDER BY name");
        let rows = read!(self, |c| sqlx::query_as::<_, System>(&sql).bind(org_id).fetch_all(c).await?);
        Ok(rows)
    }

    pub async fn system(&self, org_id: i64, id: i64) -> StoreResult<System> {
        let sql = format!("SELECT {COLUMNS} FROM systems WHERE org_id = $1 AND id = $2");
        let row = read!(self, |c| sqlx::query_as::<_, System>(&sql).bind(org_id).bind(id).fetch_one(c).await?);
        Ok(row)
    }

    /// Every dependency of the organisation: (system, the system it depends on).
    pub async fn system_dependencies(&self, org_id: i64) -> StoreResult<Vec<(i64, i64)>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, (i64, i64)>("SELECT system_id, depends_on FROM system_dependencies WHERE org_id = $1")
                .bind(org_id)
                .fetch_all(c)
                .await?
        });
        Ok(rows)
    }

    /// Records that `system_id` depends on `depends_on`; both must be systems of the organisation,
    /// and not the same one.
    pub async fn add_system_dependency(
        &self,
        org_id: i64,
        system_id: i64,
        depends_on: i64,
        now: i64,
    ) -> StoreResult<()> {
        if system_id == depends_on {
            return Err(StoreError::Rejected("depends_on: a system cannot depend on itself".into()));
        }
        write_tx!(self, |tx| {
            let found: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM systems WHERE org_id = $1 AND id IN ($2, $3)")
                .bind(org_id)
                .bind(system_id)
                .bind(depends_on)
                .fetch_one(&mut *tx)
                .await?;
            if found != 2 {
                return Err(StoreError::Rejected("depends_on: no such system in this organisation".into()));
            }
            sqlx::query(
                "INSERT INTO system_dependencies (org_id, system_id, depends_on, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (system_id, depends_on) DO NOTHING",
            )
            .bind(org_id)
            .bind(system_id)
            .bind(depends_on)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    pub async fn remove_system_dependency(&self, org_id: i64, system_id: i64, depends_on: i64) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("DELETE FROM system_dependencies WHERE org_id = $1 AND system_id = $2 AND depends_on = $3")
                .bind(org_id)
                .bind(system_id)
                .bind(depends_on)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }
}

/// An emergency procedure with its latest test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Procedure {
    pub id: i64,
    pub system_id: i64,
    pub title: String,
    pub mode: String,
    pub description: String,
    pub created_at: i64,
    pub last_test: Option<i64>,
    pub last_result: Option<String>,
}

impl Store {
    /// Management's maximum downtime per class, in hours.
    pub async fn downtimes(&self, org_id: i64) -> StoreResult<Vec<(String, i64)>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, (String, i64)>(
                "SELECT criticality, max_downtime_hours FROM criticality_downtime WHERE org_id = $1",
            )
            .bind(org_id)
            .fetch_all(c)
            .await?
        });
        Ok(rows)
    }

    pub async fn set_downtime(
        &self,
        org_id: i64,
        class: &str,
        hours: i64,
        by: Option<i64>,
        now: i64,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO criticality_downtime (org_id, criticality, max_downtime_hours, changed_by, changed_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_id, criticality) DO UPDATE SET \
                 max_downtime_hours = excluded.max_downtime_hours, changed_by = excluded.changed_by, changed_at = excluded.changed_at",
            )
            .bind(org_id)
            .bind(class)
            .bind(hours)
            .bind(by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    pub async fn add_procedure(
        &self,
        org_id: i64,
        system_id: i64,
        title: &str,
        mode: &str,
        description: &str,
        now: i64,
    ) -> StoreResult<i64> {
        let id = write_tx!(self, |tx| {
            let found: Option<i64> = sqlx::query_scalar("SELECT id FROM systems WHERE org_id = $1 AND id = $2")
                .bind(org_id)
                .bind(system_id)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(StoreError::NotFound);
            }
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO emergency_procedures (org_id, system_id, title, mode, description, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(org_id)
            .bind(system_id)
            .bind(title)
            .bind(mode)
            .bind(description)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
        });
        Ok(id)
    }

    /// Records a test of a procedure of the organisation's system `system_id`.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_procedure_test(
        &self,
        org_id: i64,
        system_id: i64,
        procedure_id: i64,
        tested_at: i64,
        result: &str,
        by: Option<i64>,
        now: i64,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let found: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM emergency_procedures WHERE org_id = $1 AND system_id = $2 AND id = $3",
            )
            .bind(org_id)
            .bind(system_id)
            .bind(procedure_id)
            .fetch_optional(&mut *tx)
            .await?;
            if found.is_none() {
                return Err(StoreError::NotFound);
            }
            sqlx::query(
                "INSERT INTO emergency_tests (org_id, procedure_id, tested_at, result, by_user, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(org_id)
            .bind(procedure_id)
            .bind(tested_at)
            .bind(result)
            .bind(by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// The organisation's procedures (of one system, or all), each with its latest test.
    pub async fn procedures(&self, org_id: i64, system_id: Option<i64>) -> StoreResult<Vec<Procedure>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, Procedure>(
                "SELECT p.id, p.system_id, p.title, p.mode, p.description, p.created_at, \
                 (SELECT MAX(t.tested_at) FROM emergency_tests t WHERE t.procedure_id = p.id) AS last_test, \
                 (SELECT t.result FROM emergency_tests t WHERE t.procedure_id = p.id ORDER BY t.tested_at DESC, t.id DESC LIMIT 1) AS last_result \
                 FROM emergency_procedures p WHERE p.org_id = $1 AND ($2 IS NULL OR p.system_id = $2) ORDER BY p.id",
            )
            .bind(org_id)
            .bind(system_id)
            .fetch_all(c)
            .await?
        });
        Ok(rows)
    }
}
