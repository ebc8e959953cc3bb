//! API tokens: scoped, stored hashed, revocable, with their last use recorded.

use crate::db::{read, write_tx, OrgId, Store, StoreError, StoreResult};
use normverk_core::org::Scope;
use serde::Serialize;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub org_id: OrgId,
    pub name: String,
    /// Space-separated scope names.
    pub scopes: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl ApiToken {
    /// The scopes this binary knows; unknown names grant nothing.
    pub fn scope_list(&self) -> Vec<Scope> {
        self.scopes.split_whitespace().filter_map(|s| Scope::from_str(s).ok()).collect()
    }
}

const TOKEN_COLUMNS: &str = "id, org_id, name, scopes, created_by, created_at, last_used_at, revoked_at";

impl Store {
    pub async fn create_token(
        &self,
        org_id: OrgId,
        name: &str,
        scopes: &[Scope],
        token_hash: &str,
        created_by: Option<i64>,
        now: i64,
    ) -> StoreResult<ApiToken> {
        let scopes: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
        let sql = format!(
            "INSERT INTO api_tokens (org_id, name, scopes, token_hash, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {TOKEN_COLUMNS}"
        );
        let token = write_tx!(self, |tx| {
            sqlx::query_as::<_, ApiToken>(&sql)
                .bind(org_id)
                .bind(name)
                .bind(scopes.join(" "))
                .bind(token_hash)
                .bind(created_by)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?
        });
        Ok(token)
    }

    /// The live (not revoked) token with this hash.
    pub async fn active_token(&self, token_hash: &str) -> StoreResult<ApiToken> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL");
        Ok(read!(self, |c| sqlx::query_as::<_, ApiToken>(&sql).bind(token_hash).fetch_one(c).await?))
    }

    pub async fn tokens(&self, org_id: OrgId) -> StoreResult<Vec<ApiToken>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE org_id = $1 ORDER BY created_at DESC, id DESC");
        Ok(read!(self, |c| sqlx::query_as::<_, ApiToken>(&sql).bind(org_id).fetch_all(c).await?))
    }

    pub async fn token(&self, org_id: OrgId, token_id: i64) -> StoreResult<ApiToken> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE org_id = $1 AND id = $2");
        Ok(read!(self, |c| sqlx::query_as::<_, ApiToken>(&sql).bind(org_id).bind(token_id).fetch_one(c).await?))
    }

    pub async fn revoke_token(&self, org_id: OrgId, token_id: i64, now: i64) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let done = sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE org_id = $2 AND id = $3 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(org_id)
            .bind(token_id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
        });
        Ok(())
    }

    /// Records that a token was used, at most once a minute per token to spare the writer.
    pub async fn touch_token(&self, token_id: i64, now: i64) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
            )
            .bind(now)
            .bind(token_id)
            .bind(now - 60)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }
}
