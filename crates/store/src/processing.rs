//! The record of processing: entries with every version, and the systems each uses.

use crate::db::{read, write_tx, Named, OrgId, Rejection, Store, StoreError, StoreResult};
use normverk_core::processing::Record;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// A processing and a system it runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ProcessingSystem {
    pub processing_id: i64,
    pub system_id: i64,
}

/// An entry as listed: no record body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Listed {
    pub id: i64,
    pub name: String,
    pub role: String,
    /// How many minimum fields it lacks.
    pub missing: i64,
    pub version: i64,
    pub updated_at: i64,
}

/// An entry with its current record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Processing {
    pub id: i64,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub record: Record,
}

/// One saved version: who saved it, when, and the whole record as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Version {
    pub version: i64,
    pub changed_by: Option<String>,
    pub changed_at: i64,
    pub record: Record,
}

/// Which entry a save writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A new entry; a name already in use is a conflict.
    New,
    /// The entry with this id.
    Id(i64),
    /// The entry of the same name (ignoring case) if there is one, else a new one: imports.
    ByName,
}

/// An entry to save: its record, how many minimum fields it lacks, and its systems (None keeps
/// the systems it has).
#[derive(Debug, Clone)]
pub struct Put {
    pub target: Target,
    pub record: Record,
    pub missing: usize,
    pub systems: Option<Vec<i64>>,
}

/// What a save did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Saved {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

fn parse(json: &str) -> StoreResult<Record> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("stored processing unreadable: {e}")))
}

fn encode(record: &Record) -> StoreResult<String> {
    serde_json::to_string(record).map_err(|e| StoreError::Corrupt(format!("processing: {e}")))
}

impl Store {
    /// Saves entries in one transaction: all of them or, on any error, none. Each change
    /// writes a new version; an entry saved unchanged keeps its version. Returns the ids in
    /// order with what was done.
    pub async fn put_processings(
        &self,
        org_id: OrgId,
        puts: &[Put],
        by: Option<i64>,
        now: i64,
    ) -> StoreResult<(Vec<i64>, Saved)> {
        let mut encoded = Vec::with_capacity(puts.len());
        for p in puts {
            encoded.push(encode(&p.record)?);
        }
        let out = write_tx!(self, |tx| {
            // What the organisation has, read once: its systems, its entries by name, their links.
            let known: HashSet<i64> = sqlx::query_scalar::<_, i64>("SELECT id FROM systems WHERE org_id = $1")
                .bind(org_id)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .collect();
            let mut by_name: HashMap<String, i64> =
                sqlx::query_as::<_, (i64, String)>("SELECT id, name FROM processings WHERE org_id = $1")
                    .bind(org_id)
                    .fetch_all(&mut *tx)
                    .await?
                    .into_iter()
                    .map(|(id, name)| (name.to_lowercase(), id))
                    .collect();
            let mut links: HashMap<i64, Vec<i64>> = HashMap::new();
            for (p, s) in sqlx::query_as::<_, (i64, i64)>(
                "SELECT processing_id, system_id FROM processing_systems WHERE org_id = $1 ORDER BY system_id",
            )
            .bind(org_id)
            .fetch_all(&mut *tx)
            .await?
            {
                links.entry(p).or_default().push(s);
            }
            let mut ids = Vec::with_capacity(puts.len());
            let mut saved = Saved::default();
            for (p, json) in puts.iter().zip(&encoded) {
                let name = p.record.name.trim();
                let existing_id = match p.target {
                    Target::New => None,
                    Target::Id(id) => Some(id),
                    Target::ByName => by_name.get(&name.to_lowercase()).copied(),
                };
                let conflict = |e: sqlx::Error| match StoreError::from(e) {
                    StoreError::Conflict(_) => StoreError::Conflict(format!("a processing named '{name}' exists")),
                    other => other,
                };
                let (id, version, created, changed) = match existing_id {
                    None => {
                        let id: i64 = sqlx::query_scalar(
                            "INSERT INTO processings (org_id, name, role, record, missing, version, created_at, updated_at, updated_by) \
                             VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $7) RETURNING id",
                        )
                        .bind(org_id)
                        .bind(name)
                        .bind(&p.record.role)
                        .bind(json)
                        .bind(p.missing as i64)
                        .bind(now)
                        .bind(by)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(conflict)?;
                        (id, 1, true, true)
                    }
                    Some(id) => {
                        let (version, old): (i64, String) =
                            sqlx::query_as("SELECT version, record FROM processings WHERE org_id = $1 AND id = $2")
                                .bind(org_id)
                                .bind(id)
                                .fetch_one(&mut *tx)
                                .await?;
                        let changed = old != *json;
                        if changed {
                            sqlx::query(
                                "UPDATE processings SET name = $3, role = $4, record = $5, missing = $6, version = $7, \
                                 updated_at = $8, updated_by = $9 WHERE org_id = $1 AND id = $2",
                            )
                            .bind(org_id)
                            .bind(id)
                            .bind(name)
                            .bind(&p.record.role)
                            .bind(json)
                            .bind(p.missing as i64)
                            .bind(version + 1)
                            .bind(now)
                            .bind(by)
                            .execute(&mut *tx)
                            .await
                            .map_err(conflict)?;
                        }
                        (id, if changed { version + 1 } else { version }, false, changed)
                    }
                };
                by_name.insert(name.to_lowercase(), id);
                if changed {
                    sqlx::query(
                        "INSERT INTO processing_versions (org_id, processing_id, version, record, changed_by, changed_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(org_id)
                    .bind(id)
                    .bind(version)
                    .bind(json)
                    .bind(by)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                let mut relinked = false;
                if let Some(systems) = &p.systems {
                    let mut wanted = systems.clone();
                    wanted.sort_unstable();
                    wanted.dedup();
                    if links.get(&id).map_or(&[][..], Vec::as_slice) != wanted.as_slice() {
                        if let Some(unknown) = wanted.iter().find(|s| !known.contains(s)) {
                            return Err(StoreError::Rejected(Rejection::NoSystem(*unknown)));
                        }
                        sqlx::query("DELETE FROM processing_systems WHERE org_id = $1 AND processing_id = $2")
                            .bind(org_id)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        if !wanted.is_empty() {
                            let mut insert = sqlx::QueryBuilder::new(
                                "INSERT INTO processing_systems (org_id, processing_id, system_id) ",
                            );
                            insert.push_values(&wanted, |mut row, system_id| {
                                row.push_bind(org_id).push_bind(id).push_bind(*system_id);
                            });
                            insert.build().execute(&mut *tx).await?;
                        }
                        links.insert(id, wanted);
                        relinked = true;
                    }
                }
                if created {
                    saved.created += 1;
                } else if changed || relinked {
                    saved.updated += 1;
                } else {
                    saved.unchanged += 1;
                }
                ids.push(id);
            }
            (ids, saved)
        });
        Ok(out)
    }

    /// One page of the register by name, and whether more follow.
    pub async fn processings_page(&self, org_id: OrgId, offset: i64, limit: i64) -> StoreResult<(Vec<Listed>, bool)> {
        let mut rows = read!(self, |c| {
            sqlx::query_as::<_, Listed>(
                "SELECT id, name, role, missing, version, updated_at FROM processings WHERE org_id = $1 \
                 ORDER BY name LIMIT $2 OFFSET $3",
            )
            .bind(org_id)
            .bind(limit + 1)
            .bind(offset)
            .fetch_all(c)
            .await?
        });
        let more = rows.len() as i64 > limit;
        rows.truncate(limit.max(0) as usize);
        Ok((rows, more))
    }

    /// How many entries there are, and how many lack nothing.
    pub async fn processing_counts(&self, org_id: OrgId) -> StoreResult<(i64, i64)> {
        let row = read!(self, |c| {
            sqlx::query_as::<_, (i64, i64)>(
                "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN missing = 0 THEN 1 ELSE 0 END), 0) AS BIGINT) \
                 FROM processings WHERE org_id = $1",
            )
            .bind(org_id)
            .fetch_one(c)
            .await?
        });
        Ok(row)
    }

    /// Every entry with its record, by name.
    pub async fn processings(&self, org_id: OrgId) -> StoreResult<Vec<Processing>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, (i64, i64, i64, i64, String)>(
                "SELECT id, version, created_at, updated_at, record FROM processings WHERE org_id = $1 ORDER BY name",
            )
            .bind(org_id)
            .fetch_all(c)
            .await?
        });
        rows.into_iter()
            .map(|(id, version, created_at, updated_at, json)| {
                Ok(Processing { id, version, created_at, updated_at, record: parse(&json)? })
            })
            .collect()
    }

    pub async fn processing(&self, org_id: OrgId, id: i64) -> StoreResult<Processing> {
        let (id, version, created_at, updated_at, json) = read!(self, |c| {
            sqlx::query_as::<_, (i64, i64, i64, i64, String)>(
                "SELECT id, version, created_at, updated_at, record FROM processings WHERE org_id = $1 AND id = $2",
            )
            .bind(org_id)
            .bind(id)
            .fetch_one(c)
            .await?
        });
        Ok(Processing { id, version, created_at, updated_at, record: parse(&json)? })
    }

    /// Every version of an entry, newest first.
    pub async fn processing_versions(&self, org_id: OrgId, id: i64) -> StoreResult<Vec<Version>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, (i64, Option<String>, i64, String)>(
                "SELECT v.version, u.display_name, v.changed_at, v.record FROM processing_versions v \
                 LEFT JOIN users u ON u.id = v.changed_by WHERE v.org_id = $1 AND v.processing_id = $2 \
                 ORDER BY v.version DESC",
            )
            .bind(org_id)
            .bind(id)
            .fetch_all(c)
            .await?
        });
        rows.into_iter()
            .map(|(version, changed_by, changed_at, json)| {
                Ok(Version { version, changed_by, changed_at, record: parse(&json)? })
            })
            .collect()
    }

    /// Every link of the organisation between a processing and a system it runs in.
    pub async fn processing_systems(&self, org_id: OrgId) -> StoreResult<Vec<ProcessingSystem>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, ProcessingSystem>(
                "SELECT processing_id, system_id FROM processing_systems WHERE org_id = $1 ORDER BY processing_id, system_id",
            )
            .bind(org_id)
            .fetch_all(c)
            .await?
        });
        Ok(rows)
    }

    /// The systems of one entry, by name.
    pub async fn systems_of_processing(&self, org_id: OrgId, id: i64) -> StoreResult<Vec<Named>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, Named>(
                "SELECT s.id, s.name FROM processing_systems l JOIN systems s ON s.id = l.system_id \
                 WHERE l.org_id = $1 AND l.processing_id = $2 ORDER BY s.name",
            )
            .bind(org_id)
            .bind(id)
            .fetch_all(c)
            .await?
        });
        Ok(rows)
    }

    /// The entries a system supports, by name.
    pub async fn processings_of_system(&self, org_id: OrgId, system_id: i64) -> StoreResult<Vec<Named>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, Named>(
                "SELECT p.id, p.name FROM processing_systems l JOIN processings p ON p.id = l.processing_id \
                 WHERE l.org_id = $1 AND l.system_id = $2 ORDER BY p.name",
            )
            .bind(org_id)
            .bind(system_id)
            .fetch_all(c)
            .await?
        });
        Ok(rows)
    }
}
