//! The message scanner's settings (versioned) and statistics (counts only).

use crate::db::{read, write_tx, OrgId, Store, StoreResult};
use serde::Serialize;

/// An organisation's current scanner settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DlpSettings {
    pub version: i64,
    /// `dlp::Config` as JSON.
    pub config: String,
    pub changed_by: Option<i64>,
    pub changed_at: i64,
}

/// Counts of scanned messages: for one day (days since 1970-01-01, UTC), channel and verdict.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageCount {
    pub org_id: OrgId,
    pub day: i64,
    pub channel: String,
    pub verdict: String,
}

/// Counts of findings: for one day and kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FindingCount {
    pub org_id: OrgId,
    pub day: i64,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DayMessages {
    pub day: i64,
    pub channel: String,
    pub verdict: String,
    pub messages: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DayFindings {
    pub day: i64,
    pub kind: String,
    pub findings: i64,
}

impl Store {
    pub async fn dlp_settings(&self, org_id: OrgId) -> StoreResult<Option<DlpSettings>> {
        let row = read!(self, |c| {
            sqlx::query_as::<_, DlpSettings>(
                "SELECT version, config, changed_by, changed_at FROM dlp_settings WHERE org_id = $1 \
                 ORDER BY version DESC LIMIT 1",
            )
            .bind(org_id)
            .fetch_optional(c)
            .await?
        });
        Ok(row)
    }

    /// Stores a new version of the settings; earlier versions are kept.
    pub async fn save_dlp_settings(
        &self,
        org_id: OrgId,
        config: &str,
        user_id: Option<i64>,
        now: i64,
    ) -> StoreResult<i64> {
        let version = write_tx!(self, |tx| {
            let version: i64 =
                sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM dlp_settings WHERE org_id = $1")
                    .bind(org_id)
                    .fetch_one(&mut *tx)
                    .await?;
            sqlx::query(
                "INSERT INTO dlp_settings (org_id, version, config, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(org_id)
            .bind(version)
            .bind(config)
            .bind(user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            version
        });
        Ok(version)
    }

    /// Adds counts to the statistics, in one transaction.
    pub async fn add_dlp_stats(
        &self,
        messages: &[(MessageCount, i64)],
        findings: &[(FindingCount, i64)],
    ) -> StoreResult<()> {
        if messages.is_empty() && findings.is_empty() {
            return Ok(());
        }
        write_tx!(self, |tx| {
            for (k, n) in messages {
                sqlx::query(
                    "INSERT INTO dlp_stats (org_id, day, channel, verdict, messages) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (org_id, day, channel, verdict) DO UPDATE SET messages = dlp_stats.messages + excluded.messages",
                )
                .bind(k.org_id)
                .bind(k.day)
                .bind(&k.channel)
                .bind(&k.verdict)
                .bind(n)
                .execute(&mut *tx)
                .await?;
            }
            for (k, n) in findings {
                sqlx::query(
                    "INSERT INTO dlp_stats_kinds (org_id, day, kind, findings) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (org_id, day, kind) DO UPDATE SET findings = dlp_stats_kinds.findings + excluded.findings",
                )
                .bind(k.org_id)
                .bind(k.day)
                .bind(&k.kind)
                .bind(n)
                .execute(&mut *tx)
                .await?;
            }
        });
        Ok(())
    }

    /// Message counts from `since_day` on, oldest first.
    pub async fn dlp_message_stats(&self, org_id: OrgId, since_day: i64) -> StoreResult<Vec<DayMessages>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, DayMessages>(
                "SELECT day, channel, verdict, messages FROM dlp_stats WHERE org_id = $1 AND day >= $2 \
                 ORDER BY day, channel, verdict",
            )
            .bind(org_id)
            .bind(since_day)
            .fetch_all(c)
            .await?
        });
        Ok(rows)
    }

    /// Finding counts from `since_day` on, oldest first.
    pub async fn dlp_finding_stats(&self, org_id: OrgId, since_day: i64) -> StoreResult<Vec<DayFindings>> {
        let rows = read!(self, |c| {
            sqlx::query_as::<_, DayFindings>(
                "SELECT day, kind, findings FROM dlp_stats_kinds WHERE org_id = $1 AND day >= $2 ORDER BY day, kind",
            )
            .bind(org_id)
            .bind(since_day)
            .fetch_all(c)
            .await?
        });
        Ok(rows)
    }
}
