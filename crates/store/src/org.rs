//! Organisations, units and memberships.

use crate::db::{read, write_tx, OrgId, Rejection, Store, StoreError, StoreResult};
use normverk_core::org::{OrgKind, OrgNumber, Role};
use serde::Serialize;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Org {
    pub id: OrgId,
    pub name: String,
    pub org_number: String,
    pub kind: String,
    pub parent_id: Option<OrgId>,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewOrg {
    pub name: String,
    pub org_number: OrgNumber,
    pub kind: OrgKind,
    pub parent_id: Option<OrgId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Unit {
    pub id: i64,
    pub org_id: OrgId,
    pub parent_id: Option<i64>,
    pub name: String,
    pub created_at: i64,
}

/// An organisation a person belongs to, with their roles in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub org: Org,
    pub roles: Vec<Role>,
}

/// A unit a manager leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ManagedUnit {
    pub user_id: i64,
    pub unit_id: i64,
}

/// Counts shown on the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct OrgSummary {
    pub units: i64,
    pub members: i64,
    pub active_tokens: i64,
}

/// A person's membership of one organisation, with all the roles they hold there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    pub disabled: bool,
    pub roles: Vec<Role>,
}

/// Roles stored as text; a name this binary does not know is skipped rather than trusted.
fn parse_roles(names: impl IntoIterator<Item = String>) -> Vec<Role> {
    let mut roles: Vec<Role> = names.into_iter().filter_map(|n| Role::from_str(&n).ok()).collect();
    roles.sort();
    roles.dedup();
    roles
}

pub(crate) const INSERT_ORG: &str = "INSERT INTO orgs (name, org_number, kind, parent_id, created_at) \
     VALUES ($1, $2, $3, $4, $5) RETURNING id, name, org_number, kind, parent_id, created_at";

/// Binds a `NewOrg` to `INSERT_ORG`.
macro_rules! bind_new_org {
    ($query:expr, $org:expr, $now:expr) => {
        $query
            .bind($org.name.clone())
            .bind($org.org_number.to_string())
            .bind($org.kind.as_str())
            .bind($org.parent_id)
            .bind($now)
    };
}
pub(crate) use bind_new_org;

pub(crate) fn org_conflict(org: &NewOrg) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |e| match StoreError::from(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("organisation number {}", org.org_number)),
        other => other,
    }
}

impl Store {
    pub async fn create_org(&self, org: &NewOrg, now: i64) -> StoreResult<Org> {
        let created = write_tx!(self, |tx| {
            if let Some(parent) = org.parent_id {
                let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM orgs WHERE id = $1")
                    .bind(parent)
                    .fetch_optional(&mut *tx)
                    .await?;
                if exists.is_none() {
                    return Err(StoreError::Rejected(Rejection::NoParentOrganisation(parent.0)));
                }
            }
            bind_new_org!(sqlx::query_as::<_, Org>(INSERT_ORG), org, now)
                .fetch_one(&mut *tx)
                .await
                .map_err(org_conflict(org))?
        });
        Ok(created)
    }

    pub async fn org(&self, org_id: OrgId) -> StoreResult<Org> {
        let sql = "SELECT id, name, org_number, kind, parent_id, created_at FROM orgs WHERE id = $1";
        Ok(read!(self, |c| sqlx::query_as::<_, Org>(sql).bind(org_id).fetch_one(c).await?))
    }

    /// Every organisation, by id.
    pub async fn orgs(&self) -> StoreResult<Vec<Org>> {
        let sql = "SELECT id, name, org_number, kind, parent_id, created_at FROM orgs ORDER BY id";
        Ok(read!(self, |c| sqlx::query_as::<_, Org>(sql).fetch_all(c).await?))
    }

    /// Finds an organisation by its number or, failing that, by its exact name.
    pub async fn find_org(&self, number_or_name: &str) -> StoreResult<Org> {
        let key = number_or_name.trim();
        let compact: String = key.chars().filter(|c| !c.is_whitespace()).collect();
        let sql = "SELECT id, name, org_number, kind, parent_id, created_at FROM orgs \
                   WHERE org_number = $1 OR name = $2 ORDER BY org_number = $1 DESC, id LIMIT 1";
        Ok(read!(self, |c| sqlx::query_as::<_, Org>(sql).bind(&compact).bind(key).fetch_one(c).await?))
    }

    /// The organisations a person belongs to, with their roles in each, by name.
    pub async fn orgs_of_user(&self, user_id: i64) -> StoreResult<Vec<Membership>> {
        let sql = "SELECT o.id, o.name, o.org_number, o.kind, o.parent_id, o.created_at, m.role \
                   FROM memberships m JOIN orgs o ON o.id = m.org_id WHERE m.user_id = $1 ORDER BY o.name, o.id";
        let rows: Vec<OrgRole> = read!(self, |c| sqlx::query_as(sql).bind(user_id).fetch_all(c).await?);
        let mut out: Vec<(Org, Vec<String>)> = Vec::new();
        for row in rows {
            match out.last_mut() {
                Some((org, roles)) if org.id == row.org.id => roles.push(row.role),
                _ => out.push((row.org, vec![row.role])),
            }
        }
        Ok(out.into_iter().map(|(org, roles)| Membership { org, roles: parse_roles(roles) }).collect())
    }

    /// The roles a person holds in an organisation (empty when not a member).
    pub async fn roles(&self, org_id: OrgId, user_id: i64) -> StoreResult<Vec<Role>> {
        let sql = "SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2";
        let names: Vec<String> =
            read!(self, |c| sqlx::query_scalar(sql).bind(org_id).bind(user_id).fetch_all(c).await?);
        Ok(parse_roles(names))
    }

    /// Replaces a person's roles in an organisation. An empty list removes them from it.
    /// Refuses to leave the organisation without an administrator.
    pub async fn set_roles(&self, org_id: OrgId, user_id: i64, roles: &[Role], now: i64) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2")
                .bind(org_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            for role in roles {
                sqlx::query("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(org_id)
                    .bind(user_id)
                    .bind(role.as_str())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            if !roles.contains(&Role::Manager) {
                sqlx::query("DELETE FROM manager_units WHERE org_id = $1 AND user_id = $2")
                    .bind(org_id)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let admins: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id \
                 WHERE m.org_id = $1 AND m.role = 'admin' AND u.disabled_at IS NULL",
            )
            .bind(org_id)
            .fetch_one(&mut *tx)
            .await?;
            if admins == 0 {
                return Err(StoreError::Rejected(Rejection::LastAdministrator));
            }
        });
        Ok(())
    }

    /// Everyone who holds a role in the organisation, by name.
    pub async fn members(&self, org_id: OrgId) -> StoreResult<Vec<Member>> {
        let sql = "SELECT u.id, u.email, u.display_name, u.disabled_at, m.role FROM memberships m \
                   JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 ORDER BY u.display_name, u.id";
        let rows: Vec<(i64, String, String, Option<i64>, String)> =
            read!(self, |c| sqlx::query_as(sql).bind(org_id).fetch_all(c).await?);
        let mut out: Vec<(Member, Vec<String>)> = Vec::new();
        for (user_id, email, display_name, disabled_at, role) in rows {
            match out.last_mut() {
                Some((m, roles)) if m.user_id == user_id => roles.push(role),
                _ => out.push((
                    Member { user_id, email, display_name, disabled: disabled_at.is_some(), roles: Vec::new() },
                    vec![role],
                )),
            }
        }
        Ok(out.into_iter().map(|(m, roles)| Member { roles: parse_roles(roles), ..m }).collect())
    }

    /// One member of the organisation; `NotFound` for a person who is not a member.
    pub async fn member(&self, org_id: OrgId, user_id: i64) -> StoreResult<Member> {
        self.members(org_id).await?.into_iter().find(|m| m.user_id == user_id).ok_or(StoreError::NotFound)
    }

    /// How many units, members and live API tokens the organisation has, in one query.
    pub async fn org_summary(&self, org_id: OrgId) -> StoreResult<OrgSummary> {
        let sql = "SELECT (SELECT COUNT(*) FROM units WHERE org_id = $1) AS units, \
                   (SELECT COUNT(DISTINCT user_id) FROM memberships WHERE org_id = $1) AS members, \
                   (SELECT COUNT(*) FROM api_tokens WHERE org_id = $1 AND revoked_at IS NULL) AS active_tokens";
        Ok(read!(self, |c| sqlx::query_as::<_, OrgSummary>(sql).bind(org_id).fetch_one(c).await?))
    }

    /// Which units each manager in the organisation leads, by person and unit.
    pub async fn managed_units(&self, org_id: OrgId) -> StoreResult<Vec<ManagedUnit>> {
        let sql = "SELECT user_id, unit_id FROM manager_units WHERE org_id = $1 ORDER BY user_id, unit_id";
        Ok(read!(self, |c| sqlx::query_as(sql).bind(org_id).fetch_all(c).await?))
    }

    /// Replaces the units a manager leads. The person must hold the manager role in the
    /// organisation, and every unit must be the organisation's own.
    pub async fn set_managed_units(&self, org_id: OrgId, user_id: i64, unit_ids: &[i64]) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let is_manager: Option<String> = sqlx::query_scalar(
                "SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2 AND role = 'manager'",
            )
            .bind(org_id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
            if is_manager.is_none() {
                return Err(StoreError::Rejected(Rejection::NotAManager));
            }
            sqlx::query("DELETE FROM manager_units WHERE org_id = $1 AND user_id = $2")
                .bind(org_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            for unit_id in unit_ids {
                let own: Option<i64> = sqlx::query_scalar("SELECT id FROM units WHERE org_id = $1 AND id = $2")
                    .bind(org_id)
                    .bind(unit_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if own.is_none() {
                    return Err(StoreError::Rejected(Rejection::NoUnit(*unit_id)));
                }
                sqlx::query(
                    "INSERT INTO manager_units (org_id, user_id, unit_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                )
                .bind(org_id)
                .bind(user_id)
                .bind(unit_id)
                .execute(&mut *tx)
                .await?;
            }
        });
        Ok(())
    }

    pub async fn create_unit(&self, org_id: OrgId, name: &str, parent_id: Option<i64>, now: i64) -> StoreResult<Unit> {
        let unit = write_tx!(self, |tx| {
            if let Some(parent) = parent_id {
                let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM units WHERE id = $1 AND org_id = $2")
                    .bind(parent)
                    .bind(org_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if exists.is_none() {
                    return Err(StoreError::Rejected(Rejection::NoParentUnit(parent)));
                }
            }
            sqlx::query_as::<_, Unit>(
                "INSERT INTO units (org_id, parent_id, name, created_at) VALUES ($1, $2, $3, $4) \
                 RETURNING id, org_id, parent_id, name, created_at",
            )
            .bind(org_id)
            .bind(parent_id)
            .bind(name)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
        });
        Ok(unit)
    }

    pub async fn units(&self, org_id: OrgId) -> StoreResult<Vec<Unit>> {
        let sql = "SELECT id, org_id, parent_id, name, created_at FROM units WHERE org_id = $1 ORDER BY name, id";
        Ok(read!(self, |c| sqlx::query_as::<_, Unit>(sql).bind(org_id).fetch_all(c).await?))
    }

    pub async fn unit(&self, org_id: OrgId, unit_id: i64) -> StoreResult<Unit> {
        let sql = "SELECT id, org_id, parent_id, name, created_at FROM units WHERE org_id = $1 AND id = $2";
        Ok(read!(self, |c| sqlx::query_as::<_, Unit>(sql).bind(org_id).bind(unit_id).fetch_one(c).await?))
    }

    /// The organisation's unit named `name` (case-insensitively), if any.
    pub async fn unit_named(&self, org_id: OrgId, name: &str) -> StoreResult<Option<Unit>> {
        let sql =
            "SELECT id, org_id, parent_id, name, created_at FROM units WHERE org_id = $1 AND LOWER(name) = LOWER($2) \
                   ORDER BY id LIMIT 1";
        Ok(read!(self, |c| sqlx::query_as::<_, Unit>(sql).bind(org_id).bind(name.trim()).fetch_optional(c).await?))
    }

    /// Deletes a unit that has no sub-units and no managers.
    pub async fn delete_unit(&self, org_id: OrgId, unit_id: i64) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let children: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM units WHERE org_id = $1 AND parent_id = $2")
                .bind(org_id)
                .bind(unit_id)
                .fetch_one(&mut *tx)
                .await?;
            if children > 0 {
                return Err(StoreError::InUse("sub-units"));
            }
            let deviations: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM deviations WHERE org_id = $1 AND unit_id = $2")
                    .bind(org_id)
                    .bind(unit_id)
                    .fetch_one(&mut *tx)
                    .await?;
            if deviations > 0 {
                return Err(StoreError::InUse("deviations"));
            }
            sqlx::query("DELETE FROM manager_units WHERE org_id = $1 AND unit_id = $2")
                .bind(org_id)
                .bind(unit_id)
                .execute(&mut *tx)
                .await?;
            let done = sqlx::query("DELETE FROM units WHERE org_id = $1 AND id = $2")
                .bind(org_id)
                .bind(unit_id)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
        });
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct OrgRole {
    #[sqlx(flatten)]
    org: Org,
    role: String,
}
