//! Information systems and their dependencies.

use crate::db::{coded_row, decode_all, read, write_tx, OrgId, Rejection, Store, StoreError, StoreResult};
use normverk_core::system::{Criticality, NewSystem, ProcedureMode};
use serde::Serialize;

/// A system and a system it depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Dependency {
    pub system_id: i64,
    pub depends_on: i64,
}

coded_row! {
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct System as RawSystem in "systems" by id {
        pub id: i64,
        pub org_id: OrgId,
        pub name: String,
        pub description: String,
        pub owner: String,
        pub supplier: String,
        pub hosting: String,
        pub data_types: String,
        pub criticality: Criticality = code,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

/// Marks the organisation's register changed; run in every transaction that changes systems or
/// dependencies.
const BUMP: &str = "INSERT INTO system_register_versions (org_id, version) VALUES ($1, 1) \
     ON CONFLICT (org_id) DO UPDATE SET version = system_register_versions.version + 1";

impl From<&System> for NewSystem {
    fn from(s: &System) -> NewSystem {
        NewSystem {
            name: s.name.clone(),
            description: s.description.clone(),
            owner: s.owner.clone(),
            supplier: s.supplier.clone(),
            hosting: s.hosting.clone(),
            data_types: s.data_types.clone(),
            criticality: s.criticality,
        }
    }
}

/// Replaces a system's fields: $1 organisation, $2 id, then name, description, owner, supplier,
/// hosting, data types, class and the time.
const UPDATE: &str = "UPDATE systems SET name = $3, description = $4, owner = $5, supplier = $6, hosting = $7, \
     data_types = $8, criticality = $9, updated_at = $10 WHERE org_id = $1 AND id = $2";

const COLUMNS: &str =
    "id, org_id, name, description, owner, supplier, hosting, data_types, criticality, created_at, updated_at";

impl Store {
    pub async fn create_system(&self, org_id: OrgId, s: &NewSystem, now: i64) -> StoreResult<System> {
        let sql = format!(
            "INSERT INTO systems (org_id, name, description, owner, supplier, hosting, data_types, criticality, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING {COLUMNS}"
        );
        let created = write_tx!(self, |tx| {
            let row = sqlx::query_as::<_, RawSystem>(&sql)
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
                })?;
            sqlx::query(BUMP).bind(org_id).execute(&mut *tx).await?;
            row
        });
        created.try_into()
    }

    /// Replaces the fields of the organisation's system `id`.
    pub async fn update_system(&self, org_id: OrgId, id: i64, s: &NewSystem, now: i64) -> StoreResult<System> {
        let sql = format!("{UPDATE} RETURNING {COLUMNS}");
        let updated = write_tx!(self, |tx| {
            let row = sqlx::query_as::<_, RawSystem>(&sql)
                .bind(org_id)
                .bind(id)
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
                })?;
            sqlx::query(BUMP).bind(org_id).execute(&mut *tx).await?;
            row
        });
        updated.try_into()
    }

    /// Imports systems in one transaction, all or none: a system whose name (ignoring case) is
    /// registered is updated, the rest added; where a row names the systems it depends on, those
    /// become its dependencies (by name, in the file or registered before). Returns how many
    /// were added and how many updated.
    pub async fn import_systems(
        &self,
        org_id: OrgId,
        rows: &[(NewSystem, Option<Vec<String>>)],
        now: i64,
    ) -> StoreResult<(usize, usize)> {
        let out = write_tx!(self, |tx| {
            let mut ids: std::collections::HashMap<String, i64> =
                sqlx::query_as::<_, (i64, String)>("SELECT id, name FROM systems WHERE org_id = $1")
                    .bind(org_id)
                    .fetch_all(&mut *tx)
                    .await?
                    .into_iter()
                    .map(|(id, name)| (name.to_lowercase(), id))
                    .collect();
            let (mut created, mut updated) = (0, 0);
            let update = format!("{UPDATE} RETURNING id");
            for (s, _) in rows {
                let key = s.name.trim().to_lowercase();
                let sql = if ids.contains_key(&key) {
                    update.as_str()
                } else {
                    "INSERT INTO systems (org_id, name, description, owner, supplier, hosting, data_types, criticality, \
                     created_at, updated_at) VALUES ($1, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id"
                };
                let existing = ids.get(&key).copied();
                let id: i64 = sqlx::query_scalar(sql)
                    .bind(org_id)
                    .bind(existing.unwrap_or_default())
                    .bind(s.name.trim())
                    .bind(s.description.trim())
                    .bind(s.owner.trim())
                    .bind(s.supplier.trim())
                    .bind(s.hosting.trim())
                    .bind(s.data_types.trim())
                    .bind(s.criticality.as_str())
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                if existing.is_some() {
                    updated += 1;
                } else {
                    created += 1;
                }
                ids.insert(key, id);
            }
            for (s, depends_on) in rows {
                let Some(names) = depends_on else { continue };
                let id = ids.get(&s.name.trim().to_lowercase()).copied().unwrap_or_default();
                let mut targets = Vec::with_capacity(names.len());
                for name in names {
                    match ids.get(&name.to_lowercase()) {
                        Some(t) if *t != id => targets.push(*t),
                        _ => return Err(StoreError::Rejected(Rejection::NoSystemNamed(name.clone()))),
                    }
                }
                targets.sort_unstable();
                targets.dedup();
                sqlx::query("DELETE FROM system_dependencies WHERE org_id = $1 AND system_id = $2")
                    .bind(org_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                if !targets.is_empty() {
                    let mut insert = sqlx::QueryBuilder::new(
                        "INSERT INTO system_dependencies (org_id, system_id, depends_on, created_at) ",
                    );
                    insert.push_values(&targets, |mut row, t| {
                        row.push_bind(org_id).push_bind(id).push_bind(*t).push_bind(now);
                    });
                    insert.build().execute(&mut *tx).await?;
                }
            }
            sqlx::query(BUMP).bind(org_id).execute(&mut *tx).await?;
            (created, updated)
        });
        Ok(out)
    }

    /// The number of changes to the organisation's systems and dependencies so far.
    pub async fn system_register_version(&self, org_id: OrgId) -> StoreResult<i64> {
        let v = read!(self, |c| {
            sqlx::query_scalar::<_, i64>("SELECT version FROM system_register_versions WHERE org_id = $1")
                .bind(org_id)
                .fetch_optional(c)
                .await?
        });
        Ok(v.unwrap_or(0))
    }

    pub async fn systems(&self, org_id: OrgId) -> StoreResult<Vec<System>> {
        let sql = format!("SELECT {COLUMNS} FROM systems WHERE org_id = $1 ORDER BY name");
        let rows = read!(self, |c| sqlx::query_as::<_, RawSystem>(&sql).bind(org_id).fetch_all(c).await?);
        decode_all(rows)
    }

    pub async fn system(&self, org_id: OrgId, id: i64) -> StoreResult<System> {
        let sql = format!("SELECT {COLUMNS} FROM systems WHERE org_id = $1 AND id = $2");
        let row = read!(self, |c| sqlx::query_as::<_, RawSystem>(&sql).bind(org_id).bind(id).fetch_one(c).await?);
        row.try_into()
    }

    /// Every dependency of the organisation: a system and the system it depends on.
    pub async fn system_dependencies(&self, org_id: OrgId) -> StoreResult<Vec<Dependency>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, Dependency>("SELECT system_id, depends_on FROM system_dependencies WHERE org_id = $1")
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
        org_id: OrgId,
        system_id: i64,
        depends_on: i64,
        now: i64,
    ) -> StoreResult<()> {
        if system_id == depends_on {
            return Err(StoreError::Rejected(Rejection::DependsOnItself));
        }
        write_tx!(self, |tx| {
            let found: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM systems WHERE org_id = $1 AND id IN ($2, $3)")
                .bind(org_id)
                .bind(system_id)
                .bind(depends_on)
                .fetch_one(&mut *tx)
                .await?;
            if found != 2 {
                return Err(StoreError::Rejected(Rejection::NoSuchSystem));
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
            sqlx::query(BUMP).bind(org_id).execute(&mut *tx).await?;
        });
        Ok(())
    }

    pub async fn remove_system_dependency(&self, org_id: OrgId, system_id: i64, depends_on: i64) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("DELETE FROM system_dependencies WHERE org_id = $1 AND system_id = $2 AND depends_on = $3")
                .bind(org_id)
                .bind(system_id)
                .bind(depends_on)
                .execute(&mut *tx)
                .await?;
            sqlx::query(BUMP).bind(org_id).execute(&mut *tx).await?;
        });
        Ok(())
    }
}

coded_row! {
    /// Management's maximum downtime for a criticality class (Normen 5.9).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Downtime as RawDowntime in "criticality_downtime" by criticality {
        pub criticality: Criticality = code,
        pub max_downtime_hours: i64,
    }
}

coded_row! {
    /// An emergency procedure with its latest test.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Procedure as RawProcedure in "emergency_procedures" by id {
        pub id: i64,
        pub system_id: i64,
        pub title: String,
        pub mode: ProcedureMode = code,
        pub description: String,
        pub created_at: i64,
        pub last_test: Option<i64>,
        pub last_result: Option<String>,
    }
}

impl Store {
    /// Management's maximum downtime per class, in hours.
    pub async fn downtimes(&self, org_id: OrgId) -> StoreResult<Vec<Downtime>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, RawDowntime>(
                "SELECT criticality, max_downtime_hours FROM criticality_downtime WHERE org_id = $1 ORDER BY criticality",
            )
            .bind(org_id)
            .fetch_all(c)
            .await?
        });
        decode_all(rows)
    }

    pub async fn set_downtime(
        &self,
        org_id: OrgId,
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
        org_id: OrgId,
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
        org_id: OrgId,
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
    pub async fn procedures(&self, org_id: OrgId, system_id: Option<i64>) -> StoreResult<Vec<Procedure>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, RawProcedure>(
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
        decode_all(rows)
    }
}
