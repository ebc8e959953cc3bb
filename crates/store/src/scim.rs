//! What SCIM provisioning keeps beyond the register's people: the IAM's names for them
//! (`userName`, `externalId`, in `people`), and its groups with their members.

use crate::access_log::{log_change, NewAccessEvent};
use crate::authz::Person;
use crate::db::{read, write_tx, OrgId, Rejection, Store, StoreError, StoreResult};
use normverk_core::authz::PersonIn;
use normverk_core::scim::Group;

/// A group as stored, with its members' ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimGroup {
    pub id: i64,
    pub display_name: String,
    pub external_id: String,
    pub members: Vec<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An attribute a person is found by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonKey {
    UserName,
    ExternalId,
    EmployeeId,
}

const PEOPLE: &str = "SELECT id, name, employee_id, hpr, enterprise, unit_id, ends_on, user_name, external_id, \
     created_at, updated_at FROM people";

fn taken(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict("taken".into()),
        _ => e.into(),
    }
}

impl Store {
    /// The organisation's people provisioned by SCIM (with a `userName`), by id.
    pub async fn scim_people(&self, org_id: OrgId) -> StoreResult<Vec<Person>> {
        let sql = format!("{PEOPLE} WHERE org_id = $1 AND user_name <> '' ORDER BY id");
        Ok(read!(self, |c| sqlx::query_as(&sql).bind(org_id).fetch_all(c).await?))
    }

    /// The organisation's person with `key` = `value` (a `userName` case-insensitively), if any.
    pub async fn person_by(&self, org_id: OrgId, key: PersonKey, value: &str) -> StoreResult<Option<Person>> {
        let filter = match key {
            PersonKey::UserName => "LOWER(user_name) = LOWER($2) AND user_name <> ''",
            PersonKey::ExternalId => "external_id = $2 AND external_id <> ''",
            PersonKey::EmployeeId => "employee_id = $2 AND employee_id <> ''",
        };
        let sql = format!("{PEOPLE} WHERE org_id = $1 AND {filter} ORDER BY id LIMIT 1");
        Ok(read!(self, |c| sqlx::query_as(&sql).bind(org_id).bind(value.trim()).fetch_optional(c).await?))
    }

    /// Adds a person to the organisation (`id` is `None`) or replaces what is kept of its person
    /// `id`, and appends `record(id)`, the change's entry in the access log, in the same
    /// transaction: neither is kept without the other. The unit must be the organisation's; a
    /// `userName` another's is a conflict. Returns the id.
    pub async fn save_person(
        &self,
        org_id: OrgId,
        id: Option<i64>,
        p: &PersonIn,
        record: impl FnOnce(i64) -> NewAccessEvent + Send,
        now: i64,
    ) -> StoreResult<i64> {
        let id = write_tx!(self, |tx| {
            if let Some(unit) = p.unit_id {
                let own: Option<i64> = sqlx::query_scalar("SELECT id FROM units WHERE org_id = $1 AND id = $2")
                    .bind(org_id)
                    .bind(unit)
                    .fetch_optional(&mut *tx)
                    .await?;
                if own.is_none() {
                    return Err(StoreError::Rejected(Rejection::NoUnit(unit)));
                }
            }
            let id: Option<i64> = sqlx::query_scalar(match id {
                Some(_) => {
                    "UPDATE people SET name = $3, employee_id = $4, hpr = $5, enterprise = $6, unit_id = $7, \
                     ends_on = $8, user_name = $9, external_id = $10, updated_at = $11 \
                     WHERE org_id = $1 AND id = $2 RETURNING id"
                }
                None => {
                    "INSERT INTO people (org_id, name, employee_id, hpr, enterprise, unit_id, ends_on, user_name, \
                     external_id, created_at, updated_at) \
                     SELECT $1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11 WHERE $2 IS NULL RETURNING id"
                }
            })
            .bind(org_id)
            .bind(id)
            .bind(p.name.trim())
            .bind(p.employee_id.trim())
            .bind(p.hpr.trim())
            .bind(p.enterprise.trim())
            .bind(p.unit_id)
            .bind(p.ends_on.trim())
            .bind(p.user_name.trim())
            .bind(p.external_id.trim())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await
            .map_err(taken)?;
            let id = id.ok_or(StoreError::NotFound)?;
            log_change!(self, tx, &record(id), now);
            id
        });
        Ok(id)
    }

    /// The organisation's groups, by id.
    pub async fn scim_groups(&self, org_id: OrgId) -> StoreResult<Vec<ScimGroup>> {
        let groups: Vec<(i64, String, String, i64, i64)> = read!(self, |c| {
            sqlx::query_as(
                "SELECT id, display_name, external_id, created_at, updated_at FROM scim_groups WHERE org_id = $1 ORDER BY id",
            )
            .bind(org_id)
            .fetch_all(c)
            .await?
        });
        let members: Vec<(i64, i64)> = read!(self, |c| {
            sqlx::query_as(
                "SELECT m.group_id, m.person_id FROM scim_members m JOIN scim_groups g ON g.id = m.group_id \
                 WHERE g.org_id = $1 ORDER BY m.group_id, m.person_id",
            )
            .bind(org_id)
            .fetch_all(c)
            .await?
        });
        Ok(groups
            .into_iter()
            .map(|(id, display_name, external_id, created_at, updated_at)| ScimGroup {
                id,
                display_name,
                external_id,
                members: members.iter().filter(|(g, _)| *g == id).map(|(_, p)| *p).collect(),
                created_at,
                updated_at,
            })
            .collect())
    }

    /// The names of the organisation's groups person `person_id` is a member of.
    pub async fn person_groups(&self, org_id: OrgId, person_id: i64) -> StoreResult<Vec<String>> {
        Ok(read!(self, |c| {
            sqlx::query_scalar(
                "SELECT g.display_name FROM scim_members m JOIN scim_groups g ON g.id = m.group_id \
                 WHERE g.org_id = $1 AND m.person_id = $2 ORDER BY g.display_name",
            )
            .bind(org_id)
            .bind(person_id)
            .fetch_all(c)
            .await?
        }))
    }

    /// The organisation's group `id`.
    pub async fn scim_group(&self, org_id: OrgId, id: i64) -> StoreResult<ScimGroup> {
        self.scim_groups(org_id).await?.into_iter().find(|g| g.id == id).ok_or(StoreError::NotFound)
    }

    /// Saves a group with its members (each the organisation's person): a new one, or the
    /// organisation's `id`. Another of the same name is a conflict; an unknown member is
    /// refused. Returns its id.
    pub async fn save_scim_group(&self, org_id: OrgId, id: Option<i64>, g: &Group, now: i64) -> StoreResult<i64> {
        let id = write_tx!(self, |tx| {
            for person in &g.members {
                let own: Option<i64> = sqlx::query_scalar("SELECT id FROM people WHERE org_id = $1 AND id = $2")
                    .bind(org_id)
                    .bind(person)
                    .fetch_optional(&mut *tx)
                    .await?;
                if own.is_none() {
                    return Err(StoreError::Rejected(Rejection::NoSuchPerson(*person)));
                }
            }
            let id = match id {
                Some(id) => {
                    let done = sqlx::query(
                        "UPDATE scim_groups SET display_name = $3, external_id = $4, updated_at = $5 \
                         WHERE org_id = $1 AND id = $2",
                    )
                    .bind(org_id)
                    .bind(id)
                    .bind(g.display_name.trim())
                    .bind(g.external_id.trim())
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(taken)?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    sqlx::query("DELETE FROM scim_members WHERE group_id = $1").bind(id).execute(&mut *tx).await?;
                    id
                }
                None => sqlx::query_scalar(
                    "INSERT INTO scim_groups (org_id, display_name, external_id, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $4) RETURNING id",
                )
                .bind(org_id)
                .bind(g.display_name.trim())
                .bind(g.external_id.trim())
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(taken)?,
            };
            for person in &g.members {
                sqlx::query("INSERT INTO scim_members (group_id, person_id) VALUES ($1, $2)")
                    .bind(id)
                    .bind(person)
                    .execute(&mut *tx)
                    .await?;
            }
            id
        });
        Ok(id)
    }

    /// Deletes the organisation's group `id` (the people stay).
    pub async fn delete_scim_group(&self, org_id: OrgId, id: i64) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let own: Option<i64> = sqlx::query_scalar("SELECT id FROM scim_groups WHERE org_id = $1 AND id = $2")
                .bind(org_id)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            own.ok_or(StoreError::NotFound)?;
            sqlx::query("DELETE FROM scim_members WHERE group_id = $1").bind(id).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM scim_groups WHERE id = $1").bind(id).execute(&mut *tx).await?;
        });
        Ok(())
    }
}
