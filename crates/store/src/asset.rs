//! The asset inventory.

use crate::db::{read, write_tx, Store, StoreError, StoreResult};
use normverk_core::asset::NewAsset;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Asset {
    pub id: i64,
    pub identifier: String,
    pub kind: String,
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

/// The fields as entered, to edit or export.
impl From<&Asset> for NewAsset {
    fn from(a: &Asset) -> NewAsset {
        NewAsset {
            identifier: a.identifier.clone(),
            kind: a.kind.clone(),
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

const FILTER: &str = "org_id = $1 AND ($2 IS NULL OR kind = $2) AND ($3 IS NULL OR LOWER(identifier) LIKE $3 ESCAPE '\\' \
     OR LOWER(model) LIKE $3 ESCAPE '\\' OR LOWER(location) LIKE $3 ESCAPE '\\' OR LOWER(responsible) LIKE $3 ESCAPE '\\')";

impl Store {
    pub async fn create_asset(&self, org_id: i64, a: &NewAsset, now: i64) -> StoreResult<Asset> {
        let (ids, _) = self.put_assets(org_id, std::slice::from_ref(a), false, now).await?;
        self.asset(org_id, ids.first().copied().unwrap_or_default()).await
    }

    /// Saves assets in one transaction, all or none. With `upsert`, an asset whose identifier
    /// (ignoring case) is in the inventory is updated; without, it is a conflict. Returns the
    /// ids in order and how many were new.
    pub async fn put_assets(
        &self,
        org_id: i64,
        assets: &[NewAsset],
        upsert: bool,
        now: i64,
    ) -> StoreResult<(Vec<i64>, usize)> {
        let out = write_tx!(self, |tx| {
            let mut ids = Vec::with_capacity(assets.len());
            let mut created = 0;
            for a in assets {
                let identifier = a.identifier.trim();
                let existing: Option<i64> = if upsert {
                    sqlx::query_scalar("SELECT id FROM assets WHERE org_id = $1 AND LOWER(identifier) = LOWER($2)")
                        .bind(org_id)
                        .bind(identifier)
                        .fetch_optional(&mut *tx)
                        .await?
                } else {
                    None
                };
                let sql = if existing.is_some() {
                    "UPDATE assets SET identifier = $2, kind = $3, model = $4, owner = $5, location = $6, os = $7, \
                     os_version = $8, software = $9, supplier = $10, responsible = $11, updated_at = $12 \
                     WHERE org_id = $1 AND id = $13 RETURNING id"
                } else {
                    "INSERT INTO assets (org_id, identifier, kind, model, owner, location, os, os_version, software, \
                     supplier, responsible, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id"
                };
                let mut q = sqlx::query_scalar::<_, i64>(sql)
                    .bind(org_id)
                    .bind(identifier)
                    .bind(&a.kind)
                    .bind(a.model.trim())
                    .bind(a.owner.trim())
                    .bind(a.location.trim())
                    .bind(a.os.trim())
                    .bind(a.os_version.trim())
                    .bind(a.software.trim())
                    .bind(a.supplier.trim())
                    .bind(a.responsible.trim())
                    .bind(now);
                if let Some(id) = existing {
                    q = q.bind(id);
                } else {
                    created += 1;
                }
                let id = q.fetch_one(&mut *tx).await.map_err(|e| match StoreError::from(e) {
                    StoreError::Conflict(_) => StoreError::Conflict(format!("an asset '{identifier}' exists")),
                    other => other,
                })?;
                ids.push(id);
            }
            (ids, created)
        });
        Ok(out)
    }

    /// Replaces the fields of one asset.
    pub async fn update_asset(&self, org_id: i64, id: i64, a: &NewAsset, now: i64) -> StoreResult<Asset> {
        write_tx!(self, |tx| {
            sqlx::query_scalar::<_, i64>(
                "UPDATE assets SET identifier = $3, kind = $4, model = $5, owner = $6, location = $7, os = $8, \
                 os_version = $9, software = $10, supplier = $11, responsible = $12, updated_at = $13 \
                 WHERE org_id = $1 AND id = $2 RETURNING id",
            )
            .bind(org_id)
            .bind(id)
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
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => StoreError::Conflict(format!("an asset '{}' exists", a.identifier.trim())),
                other => other,
            })?;
        });
        self.asset(org_id, id).await
    }

    pub async fn asset(&self, org_id: i64, id: i64) -> StoreResult<Asset> {
        let sql = format!("SELECT {COLUMNS} FROM assets WHERE org_id = $1 AND id = $2");
        let row = read!(self, |c| sqlx::query_as::<_, Asset>(&sql).bind(org_id).bind(id).fetch_one(c).await?);
        Ok(row)
    }

    /// One page of the inventory by identifier, and whether more follow.
    pub async fn assets_page(
        &self,
        org_id: i64,
        filter: &AssetFilter,
        offset: i64,
        limit: i64,
    ) -> StoreResult<(Vec<Asset>, bool)> {
        let sql = format!("SELECT {COLUMNS} FROM assets WHERE {FILTER} ORDER BY identifier LIMIT $4 OFFSET $5");
        let pattern = filter.pattern();
        let mut rows = read!(self, |c| {
            sqlx::query_as::<_, Asset>(&sql)
                .bind(org_id)
                .bind(filter.kind.as_deref())
                .bind(pattern.as_deref())
                .bind(limit + 1)
                .bind(offset)
                .fetch_all(c)
                .await?
        });
        let more = rows.len() as i64 > limit;
        rows.truncate(limit.max(0) as usize);
        Ok((rows, more))
    }

    /// Every asset matching the filter, by identifier: exports.
    pub async fn assets(&self, org_id: i64, filter: &AssetFilter) -> StoreResult<Vec<Asset>> {
        let sql = format!("SELECT {COLUMNS} FROM assets WHERE {FILTER} ORDER BY identifier");
        let pattern = filter.pattern();
        let rows = read!(self, |c| {
            sqlx::query_as::<_, Asset>(&sql)
                .bind(org_id)
                .bind(filter.kind.as_deref())
                .bind(pattern.as_deref())
                .fetch_all(c)
                .await?
        });
        Ok(rows)
    }

    /// How many assets of each kind.
    pub async fn asset_counts(&self, org_id: i64) -> StoreResult<Vec<(String, i64)>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, (String, i64)>(
                "SELECT kind, COUNT(*) FROM assets WHERE org_id = $1 GROUP BY kind ORDER BY kind",
            )
            .bind(org_id)
            .fetch_all(c)
            .await?
        });
        Ok(rows)
    }
}
