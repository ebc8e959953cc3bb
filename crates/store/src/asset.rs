//! The asset inventory.

use crate::db::{code, coded_row, decode_all, read, write_tx, OrgId, Store, StoreError, StoreResult};
use normverk_core::asset::{AssetKind, NewAsset};
use serde::Serialize;
use std::collections::HashMap;

/// How many assets of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KindCount {
    pub kind: AssetKind,
    pub count: i64,
}

/// Replaces the fields of the organisation's asset `id` inside a transaction; no such asset is
/// `RowNotFound`. A macro, so that it is written once for both engines' transactions.
macro_rules! update {
    ($tx:expr, $org_id:expr, $id:expr, $a:expr, $now:expr) => {
        sqlx::query_scalar::<_, i64>(
            "UPDATE assets SET identifier = $3, kind = $4, model = $5, owner = $6, location = $7, os = $8, \
             os_version = $9, software = $10, supplier = $11, responsible = $12, updated_at = $13, \
             search = $14 WHERE org_id = $1 AND id = $2 RETURNING id",
        )
        .bind($org_id)
        .bind($id)
        .bind($a.identifier.trim())
        .bind($a.kind.as_str())
        .bind($a.model.trim())
        .bind($a.owner.trim())
        .bind($a.location.trim())
        .bind($a.os.trim())
        .bind($a.os_version.trim())
        .bind($a.software.trim())
        .bind($a.supplier.trim())
        .bind($a.responsible.trim())
        .bind($now)
        .bind(search_text($a))
        .fetch_one($tx)
        .await
    };
}

coded_row! {
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Asset as RawAsset in "assets" by id {
        pub id: i64,
        pub identifier: String,
        pub kind: AssetKind = code,
        pub model: String,
        pub owner: String,
        pub location: String,
        pub os: String,
        pub os_version: String,
        pub software: String,
        pub supplier: String,
        pub responsible: String,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

/// The fields as entered, to edit or export.
impl From<&Asset> for NewAsset {
    fn from(a: &Asset) -> NewAsset {
        NewAsset {
            identifier: a.identifier.clone(),
            kind: a.kind.as_str().to_string(),
            model: a.model.clone(),
            owner: a.owner.clone(),
            location: a.location.clone(),
            os: a.os.clone(),
            os_version: a.os_version.clone(),
            software: a.software.clone(),
            supplier: a.supplier.clone(),
            responsible: a.responsible.clone(),
        }
    }
}

const INSERT: &str = "INSERT INTO assets (org_id, identifier, kind, model, owner, location, os, os_version, \
     software, supplier, responsible, search, created_at, updated_at) ";

const COLUMNS: &str = "id, identifier, kind, model, owner, location, os, os_version, software, supplier, responsible, created_at, updated_at";

/// Which assets a page shows: of one kind, and matching a text in identifier, model, location
/// or responsible person (ignoring case).
#[derive(Debug, Clone, Default)]
pub struct AssetFilter {
    pub kind: Option<String>,
    pub text: Option<String>,
}

impl AssetFilter {
    /// The filter as a LIKE pattern with `%` and `_` taken literally.
    fn pattern(&self) -> Option<String> {
        self.text.as_ref().map(|t| {
            let escaped = t.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            format!("%{escaped}%")
        })
    }
}

impl AssetFilter {
    /// The WHERE clause with only the conditions that are set (so the engine can walk the
    /// identifier index when none are), and the values it binds after the organisation ($1).
    fn clause(&self) -> (String, Vec<String>) {
        let mut sql = "org_id = $1".to_string();
        let mut values = Vec::new();
        if let Some(kind) = &self.kind {
            values.push(kind.clone());
            sql.push_str(&format!(" AND kind = ${}", values.len() + 1));
        }
        if let Some(pattern) = self.pattern() {
            values.push(pattern);
            let n = values.len() + 1;
            sql.push_str(&format!(" AND search LIKE ${n} ESCAPE '\\'"));
        }
        (sql, values)
    }
}

impl Store {
    pub async fn create_asset(&self, org_id: OrgId, a: &NewAsset, now: i64) -> StoreResult<Asset> {
        let sql = format!(
            "{INSERT} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $13, $12, $12) RETURNING {COLUMNS}"
        );
        let created = write_tx!(self, |tx| {
            sqlx::query_as::<_, RawAsset>(&sql)
                .bind(org_id)
                .bind(a.identifier.trim())
                .bind(&a.kind)
                .bind(a.model.trim())
                .bind(a.owner.trim())
                .bind(a.location.trim())
                .bind(a.os.trim())
                .bind(a.os_version.trim())
                .bind(a.software.trim())
                .bind(a.supplier.trim())
                .bind(a.responsible.trim())
                .bind(now)
                .bind(search_text(a))
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| conflict(e, a))?
        });
        created.try_into()
    }

    /// Imports assets in one transaction, all or none: an asset whose identifier (ignoring
    /// case) is in the inventory is updated, the rest are added, many rows to a statement.
    /// Returns how many were added and how many updated.
    pub async fn import_assets(&self, org_id: OrgId, assets: &[NewAsset], now: i64) -> StoreResult<(usize, usize)> {
        /// 14 values a row: well under both engines' limit on bound values.
        const ROWS_PER_INSERT: usize = 500;
        let out = write_tx!(self, |tx| {
            let have: HashMap<String, i64> =
                sqlx::query_as::<_, (i64, String)>("SELECT id, identifier FROM assets WHERE org_id = $1")
                    .bind(org_id)
                    .fetch_all(&mut *tx)
                    .await?
                    .into_iter()
                    .map(|(id, identifier)| (identifier.to_lowercase(), id))
                    .collect();
            let (known, new): (Vec<&NewAsset>, Vec<&NewAsset>) =
                assets.iter().partition(|a| have.contains_key(&a.identifier.trim().to_lowercase()));
            for a in &known {
                let id = have.get(&a.identifier.trim().to_lowercase()).copied().unwrap_or_default();
                update!(&mut *tx, org_id, id, a, now).map_err(|e| conflict(e, a))?;
            }
            for chunk in new.chunks(ROWS_PER_INSERT) {
                let mut insert = sqlx::QueryBuilder::new(INSERT);
                insert.push_values(chunk, |mut row, a| {
                    row.push_bind(org_id)
                        .push_bind(a.identifier.trim())
                        .push_bind(a.kind.as_str())
                        .push_bind(a.model.trim())
                        .push_bind(a.owner.trim())
                        .push_bind(a.location.trim())
                        .push_bind(a.os.trim())
                        .push_bind(a.os_version.trim())
                        .push_bind(a.software.trim())
                        .push_bind(a.supplier.trim())
                        .push_bind(a.responsible.trim())
                        .push_bind(search_text(a))
                        .push_bind(now)
                        .push_bind(now);
                });
                insert.build().execute(&mut *tx).await?;
            }
            (new.len(), known.len())
        });
        Ok(out)
    }

    /// Replaces the fields of one asset.
    pub async fn update_asset(&self, org_id: OrgId, id: i64, a: &NewAsset, now: i64) -> StoreResult<Asset> {
        write_tx!(self, |tx| {
            update!(&mut *tx, org_id, id, a, now).map_err(|e| conflict(e, a))?;
        });
        self.asset(org_id, id).await
    }

    /// Removes a retired asset from the inventory.
    pub async fn delete_asset(&self, org_id: OrgId, id: i64) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let gone = sqlx::query("DELETE FROM assets WHERE org_id = $1 AND id = $2")
                .bind(org_id)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if gone == 0 {
                return Err(StoreError::NotFound);
            }
        });
        Ok(())
    }

    pub async fn asset(&self, org_id: OrgId, id: i64) -> StoreResult<Asset> {
        let sql = format!("SELECT {COLUMNS} FROM assets WHERE org_id = $1 AND id = $2");
        let row = read!(self, |c| sqlx::query_as::<_, RawAsset>(&sql).bind(org_id).bind(id).fetch_one(c).await?);
        row.try_into()
    }

    /// One page of the inventory by identifier, and whether more follow.
    pub async fn assets_page(
        &self,
        org_id: OrgId,
        filter: &AssetFilter,
        offset: i64,
        limit: i64,
    ) -> StoreResult<(Vec<Asset>, bool)> {
        let (clause, values) = filter.clause();
        let n = values.len() + 2;
        let sql =
            format!("SELECT {COLUMNS} FROM assets WHERE {clause} ORDER BY identifier LIMIT ${n} OFFSET ${}", n + 1);
        let mut rows = read!(self, |c| {
            let mut q = sqlx::query_as::<_, RawAsset>(&sql).bind(org_id);
            for v in &values {
                q = q.bind(v);
            }
            q.bind(limit + 1).bind(offset).fetch_all(c).await?
        });
        let more = rows.len() as i64 > limit;
        rows.truncate(limit.max(0) as usize);
        Ok((decode_all(rows)?, more))
    }

    /// Every asset matching the filter, by identifier: exports.
    pub async fn assets(&self, org_id: OrgId, filter: &AssetFilter) -> StoreResult<Vec<Asset>> {
        let (clause, values) = filter.clause();
        let sql = format!("SELECT {COLUMNS} FROM assets WHERE {clause} ORDER BY identifier");
        let rows = read!(self, |c| {
            let mut q = sqlx::query_as::<_, RawAsset>(&sql).bind(org_id);
            for v in &values {
                q = q.bind(v);
            }
            q.fetch_all(c).await?
        });
        decode_all(rows)
    }

    /// How many assets of each kind.
    pub async fn asset_counts(&self, org_id: OrgId) -> StoreResult<Vec<KindCount>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, (String, i64)>(
                "SELECT kind, COUNT(*) FROM assets WHERE org_id = $1 GROUP BY kind ORDER BY kind",
            )
            .bind(org_id)
            .fetch_all(c)
            .await?
        });
        rows.into_iter()
            .map(|(kind, count)| Ok(KindCount { kind: code("assets", "count", "kind", &kind)?, count }))
            .collect()
    }
}

/// What the text filter searches: identifier, model, location and responsible person in lower
/// case, apart by a character nobody types.
fn search_text(a: &NewAsset) -> String {
    [&a.identifier, &a.model, &a.location, &a.responsible].map(|f| f.trim().to_lowercase()).join("\u{1f}")
}

/// A unique identifier taken, said with the identifier.
fn conflict(e: sqlx::Error, a: &NewAsset) -> StoreError {
    match StoreError::from(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("an asset '{}' exists", a.identifier.trim())),
        other => other,
    }
}
