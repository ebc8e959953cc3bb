//! Access reviews: campaigns with one line per authorisation as it stood when the campaign
//! started, and the answers. An answer that revokes or changes appends to the authorisation's
//! history in the same transaction; a campaign whose lines are all answered is frozen.

use crate::access_log::{log_change, NewAccessEvent};
use crate::db::{read, write_tx, OrgId, Rejection, Store, StoreError, StoreResult};
use normverk_core::authz::Grant;
use serde::Serialize;

/// A campaign, with how far it has come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Review {
    pub id: i64,
    /// `yearly`, `transfer` or `breach`.
    pub kind: String,
    pub title: String,
    /// `YYYY-MM-DD`.
    pub deadline: String,
    pub deviation_id: Option<i64>,
    pub person_id: Option<i64>,
    /// After a breach, the systems reviewed (a JSON array of ids).
    #[serde(skip)]
    pub systems: String,
    pub created_by: Option<String>,
    pub created_at: i64,
    /// When the last answer came and the campaign was frozen.
    pub closed_at: Option<i64>,
    pub total: i64,
    pub answered: i64,
}

impl Review {
    /// The systems a campaign after a breach reviews; empty for all.
    pub fn system_ids(&self) -> Vec<i64> {
        serde_json::from_str(&self.systems).unwrap_or_default()
    }
}

/// A new campaign.
#[derive(Debug, Clone)]
pub struct NewReview<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub deadline: &'a str,
    pub deviation_id: Option<i64>,
    pub person_id: Option<i64>,
    pub systems: &'a [i64],
}

/// One line of a new campaign: the authorisation, whose it is, who answers, and the grant as it
/// stands (JSON).
#[derive(Debug, Clone)]
pub struct NewLine {
    pub authorisation_id: i64,
    pub person_id: i64,
    pub manager_id: Option<i64>,
    pub doc: String,
}

/// A line of a campaign with its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub id: i64,
    pub authorisation_id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub employee_id: String,
    pub unit_id: Option<i64>,
    pub manager_id: Option<i64>,
    pub manager_name: Option<String>,
    /// The authorisation as it stood when the campaign started.
    pub grant: Grant,
    /// `keep`, `revoke`, `change`, or empty while unanswered.
    pub decision: String,
    pub reason: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct LineRow {
    id: i64,
    authorisation_id: i64,
    person_id: i64,
    person_name: String,
    employee_id: String,
    unit_id: Option<i64>,
    manager_id: Option<i64>,
    manager_name: Option<String>,
    doc: String,
    decision: String,
    reason: String,
    decided_by: Option<String>,
    decided_at: Option<i64>,
}

/// One manager's share of a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Share {
    /// None: lines of people in units without a manager, answered by the security lead.
    pub manager_id: Option<i64>,
    pub manager_name: Option<String>,
    pub total: i64,
    pub answered: i64,
}

/// An answer to record: for a revoke or change, the event appended to the register too.
#[derive(Debug, Clone)]
pub struct Answer<'a> {
    pub decision: &'a str,
    pub reason: &'a str,
    /// The register's event: its kind (`revoke`, `change` or `confirm`), the grant after it, and
    /// the reason it records.
    pub event: (&'a str, &'a Grant, &'a str),
    pub by: i64,
    /// The access log's entry for the change, written in its transaction.
    pub record: &'a NewAccessEvent,
}

const REVIEWS: &str = "SELECT r.id, r.kind, r.title, r.deadline, r.deviation_id, r.person_id, r.systems, \
     u.display_name AS created_by, r.created_at, r.closed_at, \
     (SELECT COUNT(*) FROM review_items i WHERE i.review_id = r.id) AS total, \
     (SELECT COUNT(*) FROM review_items i WHERE i.review_id = r.id AND i.decision <> '') AS answered \
     FROM access_reviews r LEFT JOIN users u ON u.id = r.created_by";

const LINES: &str = "SELECT i.id, i.authorisation_id, i.person_id, p.name AS person_name, p.employee_id, p.unit_id, \
     i.manager_id, m.display_name AS manager_name, i.doc, i.decision, i.reason, d.display_name AS decided_by, \
     i.decided_at FROM review_items i JOIN people p ON p.id = i.person_id \
     LEFT JOIN users m ON m.id = i.manager_id LEFT JOIN users d ON d.id = i.decided_by";

const ROWS_PER_INSERT: usize = 1000;

fn line(r: LineRow) -> StoreResult<Line> {
    let grant =
        serde_json::from_str(&r.doc).map_err(|e| StoreError::Corrupt(format!("stored review line unreadable: {e}")))?;
    Ok(Line {
        id: r.id,
        authorisation_id: r.authorisation_id,
        person_id: r.person_id,
        person_name: r.person_name,
        employee_id: r.employee_id,
        unit_id: r.unit_id,
        manager_id: r.manager_id,
        manager_name: r.manager_name,
        grant,
        decision: r.decision,
        reason: r.reason,
        decided_by: r.decided_by,
        decided_at: r.decided_at,
    })
}

impl Store {
    /// Starts a campaign with its lines, in one transaction. Returns its id.
    pub async fn create_review(
        &self,
        org_id: OrgId,
        r: &NewReview<'_>,
        lines: &[NewLine],
        by: Option<i64>,
        now: i64,
    ) -> StoreResult<i64> {
        let systems = serde_json::to_string(r.systems).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let id = write_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO access_reviews (org_id, kind, title, deadline, deviation_id, person_id, systems, \
                 created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(org_id)
            .bind(r.kind)
            .bind(r.title.trim())
            .bind(r.deadline)
            .bind(r.deviation_id)
            .bind(r.person_id)
            .bind(&systems)
            .bind(by)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            for chunk in lines.chunks(ROWS_PER_INSERT) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO review_items (org_id, review_id, authorisation_id, person_id, manager_id, doc, \
                     decision, reason) ",
                );
                insert.push_values(chunk, |mut row, l| {
                    row.push_bind(org_id)
                        .push_bind(id)
                        .push_bind(l.authorisation_id)
                        .push_bind(l.person_id)
                        .push_bind(l.manager_id)
                        .push_bind(&l.doc)
                        .push_bind("")
                        .push_bind("");
                });
                insert.build().execute(&mut *tx).await?;
            }
            id
        });
        Ok(id)
    }

    /// The organisation's campaigns, newest first.
    pub async fn reviews(&self, org_id: OrgId) -> StoreResult<Vec<Review>> {
        let sql = format!("{REVIEWS} WHERE r.org_id = $1 ORDER BY r.id DESC");
        Ok(read!(self, |c| sqlx::query_as(&sql).bind(org_id).fetch_all(c).await?))
    }

    /// The organisation's campaign `id`.
    pub async fn review(&self, org_id: OrgId, id: i64) -> StoreResult<Review> {
        let sql = format!("{REVIEWS} WHERE r.org_id = $1 AND r.id = $2");
        let row: Option<Review> = read!(self, |c| sqlx::query_as(&sql).bind(org_id).bind(id).fetch_optional(c).await?);
        row.ok_or(StoreError::NotFound)
    }

    /// Each manager's share of the organisation's campaign `id`.
    pub async fn review_shares(&self, org_id: OrgId, id: i64) -> StoreResult<Vec<Share>> {
        let sql = "SELECT i.manager_id, MIN(u.display_name) AS manager_name, COUNT(*) AS total, \
             SUM(CASE WHEN i.decision <> '' THEN 1 ELSE 0 END) AS answered FROM review_items i \
             LEFT JOIN users u ON u.id = i.manager_id WHERE i.org_id = $1 AND i.review_id = $2 \
             GROUP BY i.manager_id ORDER BY MIN(u.display_name), i.manager_id";
        Ok(read!(self, |c| sqlx::query_as(sql).bind(org_id).bind(id).fetch_all(c).await?))
    }

    /// The lines of the organisation's campaign `id`: all, or one manager's share
    /// (`Some(None)`: the lines without a manager); by person.
    pub async fn review_lines(&self, org_id: OrgId, id: i64, manager: Option<Option<i64>>) -> StoreResult<Vec<Line>> {
        let filter = match manager {
            None => "",
            Some(None) => " AND i.manager_id IS NULL",
            Some(Some(_)) => " AND i.manager_id = $3",
        };
        let sql =
            format!("{LINES} WHERE i.org_id = $1 AND i.review_id = $2{filter} ORDER BY p.name, i.person_id, i.id");
        let rows: Vec<LineRow> = read!(self, |c| {
            let q = sqlx::query_as(&sql).bind(org_id).bind(id);
            let q = match manager {
                Some(Some(m)) => q.bind(m),
                _ => q,
            };
            q.fetch_all(c).await?
        });
        rows.into_iter().map(line).collect()
    }

    /// The organisation's line `line` of campaign `review`.
    pub async fn review_line(&self, org_id: OrgId, review: i64, line_id: i64) -> StoreResult<Line> {
        let sql = format!("{LINES} WHERE i.org_id = $1 AND i.review_id = $2 AND i.id = $3");
        let row: Option<LineRow> =
            read!(self, |c| sqlx::query_as(&sql).bind(org_id).bind(review).bind(line_id).fetch_optional(c).await?);
        line(row.ok_or(StoreError::NotFound)?)
    }

    /// Records the answer to a line of an open campaign and appends its event to the register
    /// (unless the authorisation was revoked meanwhile: then a revoke is only recorded, and
    /// keeping or changing it is refused). The campaign is frozen when its last line is
    /// answered. Returns whether it was.
    pub async fn answer_review_line(
        &self,
        org_id: OrgId,
        review: i64,
        line_id: i64,
        a: &Answer<'_>,
        now: i64,
    ) -> StoreResult<bool> {
        let doc = serde_json::to_string(a.event.1).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        // On PostgreSQL the review is locked first, then the authorisation, so that answers to
        // one review (and revokes of one authorisation) are made one after the other: the
        // checks below then still hold when the answer is written.
        let review_sql =
            format!("SELECT closed_at FROM access_reviews WHERE org_id = $1 AND id = $2{}", self.engine().for_update());
        let lock_authorisation = crate::authz::lock_authorisation_sql(self.engine());
        let closed = write_tx!(self, |tx| {
            let open: Option<(Option<i64>,)> =
                sqlx::query_as(&review_sql).bind(org_id).bind(review).fetch_optional(&mut *tx).await?;
            match open {
                None => return Err(StoreError::NotFound),
                Some((Some(_),)) => return Err(StoreError::Rejected(Rejection::ReviewClosed)),
                Some((None,)) => {}
            }
            let item: Option<(i64, String)> = sqlx::query_as(
                "SELECT authorisation_id, decision FROM review_items WHERE org_id = $1 AND review_id = $2 AND id = $3",
            )
            .bind(org_id)
            .bind(review)
            .bind(line_id)
            .fetch_optional(&mut *tx)
            .await?;
            let (authorisation, decided) = item.ok_or(StoreError::NotFound)?;
            sqlx::query(&lock_authorisation).bind(org_id).bind(authorisation).execute(&mut *tx).await?;
            if !decided.is_empty() {
                return Err(StoreError::Rejected(Rejection::ReviewAnswered));
            }
            let last: Option<String> = sqlx::query_scalar(
                "SELECT kind FROM authz_events WHERE org_id = $1 AND authorisation_id = $2 ORDER BY id DESC LIMIT 1",
            )
            .bind(org_id)
            .bind(authorisation)
            .fetch_optional(&mut *tx)
            .await?;
            let revoked = last.as_deref() == Some("revoke");
            if revoked && a.event.0 != "revoke" {
                return Err(StoreError::Rejected(Rejection::AuthorisationRevoked));
            }
            if !revoked {
                sqlx::query(crate::authz::EVENT)
                    .bind(org_id)
                    .bind(authorisation)
                    .bind(a.event.0)
                    .bind(&doc)
                    .bind(a.event.2.trim())
                    .bind(a.by)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "UPDATE review_items SET decision = $3, reason = $4, decided_by = $5, decided_at = $6 \
                 WHERE org_id = $1 AND id = $2",
            )
            .bind(org_id)
            .bind(line_id)
            .bind(a.decision)
            .bind(a.reason.trim())
            .bind(a.by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let left: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM review_items WHERE review_id = $1 AND decision = ''")
                    .bind(review)
                    .fetch_one(&mut *tx)
                    .await?;
            if left == 0 {
                sqlx::query("UPDATE access_reviews SET closed_at = $2 WHERE id = $1")
                    .bind(review)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            log_change!(self, tx, a.record, now);
            left == 0
        });
        Ok(closed)
    }

    /// How many months apart the yearly review is due, if the organisation set it.
    pub async fn review_months(&self, org_id: OrgId) -> StoreResult<Option<i64>> {
        Ok(read!(self, |c| {
            sqlx::query_scalar("SELECT review_months FROM authz_settings WHERE org_id = $1")
                .bind(org_id)
                .fetch_optional(c)
                .await?
        }))
    }

    /// Sets how many months apart the yearly review is due.
    pub async fn set_review_months(&self, org_id: OrgId, months: i64) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO authz_settings (org_id, review_months) VALUES ($1, $2) \
                 ON CONFLICT (org_id) DO UPDATE SET review_months = excluded.review_months",
            )
            .bind(org_id)
            .bind(months)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// Claims the reminder `stage` about campaign `review` for `user_id`: true the first time.
    pub async fn claim_review_reminder(&self, review: i64, user_id: i64, stage: &str) -> StoreResult<bool> {
        let done = write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO review_reminders (review_id, user_id, stage) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(review)
            .bind(user_id)
            .bind(stage)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }
}
