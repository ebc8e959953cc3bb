//! The access log's storage: leaves (index, leaf hash, salt) that can never change, and the
//! events apart from them. Sequencing happens here, in the transaction that makes the events
//! durable.

use crate::db::{read, write_tx, Store, StoreError, StoreResult};

/// One event ready to store: its leaf hash and salt, and the payload with the fields that
/// searches use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccessEvent {
    pub leaf_hash: [u8; 32],
    pub salt: [u8; 16],
    pub occurred_at: i64,
    pub patient_id: String,
    pub user_id: String,
    pub unit: String,
    /// The event's canonical JSON.
    pub event_json: String,
}

impl Store {
    /// Appends events in one transaction and returns the index of the first; the rest follow
    /// in order. On SQLite the single writer serialises appends; on PostgreSQL a table lock
    /// does, so indexes are dense and never reused.
    pub async fn append_access_events(&self, org_id: i64, events: &[NewAccessEvent], now: i64) -> StoreResult<u64> {
        let first = write_tx!(self, |tx| {
            if matches!(self.engine(), crate::Engine::Postgres) {
                sqlx::query("LOCK TABLE access_leaves IN EXCLUSIVE MODE").execute(&mut *tx).await?;
            }
            let next: i64 =
                sqlx::query_scalar("SELECT COALESCE(MAX(idx) + 1, 0) FROM access_leaves").fetch_one(&mut *tx).await?;
            for (i, e) in events.iter().enumerate() {
                let idx = next + i64::try_from(i).unwrap_or(i64::MAX);
                sqlx::query(
                    "INSERT INTO access_leaves (idx, org_id, leaf_hash, salt, received_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(idx)
                .bind(org_id)
                .bind(e.leaf_hash.as_slice())
                .bind(e.salt.as_slice())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO access_payloads (idx, org_id, occurred_at, patient_id, user_id, unit, event_json) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(idx)
                .bind(org_id)
                .bind(e.occurred_at)
                .bind(&e.patient_id)
                .bind(&e.user_id)
                .bind(&e.unit)
                .bind(&e.event_json)
                .execute(&mut *tx)
                .await?;
            }
            next
        });
        u64::try_from(first).map_err(|_| StoreError::Rejected("negative log index".into()))
    }

    /// How many leaves the log holds.
    pub async fn access_log_size(&self) -> StoreResult<u64> {
        let n: i64 = read!(self, |c| sqlx::query_scalar("SELECT COUNT(*) FROM access_leaves").fetch_one(c).await?);
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The leaf hashes of indexes `from..to`, in order.
    pub async fn access_leaf_hashes(&self, from: u64, to: u64) -> StoreResult<Vec<[u8; 32]>> {
        let (from, to) = (i64::try_from(from).unwrap_or(i64::MAX), i64::try_from(to).unwrap_or(i64::MAX));
        let rows: Vec<Vec<u8>> = read!(self, |c| sqlx::query_scalar(
            "SELECT leaf_hash FROM access_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx"
        )
        .bind(from)
        .bind(to)
        .fetch_all(c)
        .await?);
        rows.into_iter()
            .map(|h| {
                <[u8; 32]>::try_from(h.as_slice())
                    .map_err(|_| StoreError::Rejected("a stored leaf hash is not 32 bytes".into()))
            })
            .collect()
    }
}
