//! People's accounts, their sessions, and the one-time setup link.

use crate::db::{read, write_tx, OrgId, Rejection, Store, StoreError, StoreResult};
use crate::org::{bind_new_org, org_conflict, NewOrg, Org, INSERT_ORG};
use base64::Engine as _;
use normverk_core::org::Role;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub locale: Option<String>,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    /// An Argon2id PHC string; `None` for accounts that sign in only through an identity provider.
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Session {
    pub id_hash: String,
    pub user_id: i64,
    pub org_id: Option<OrgId>,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

/// What became of a setup link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupTokenState {
    Valid,
    Used,
    Expired,
    Unknown,
}

/// A new random secret (256 bits, URL-safe), optionally with a prefix that tells what it is.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// How a secret is stored: its SHA-256, hex. Secrets are 256-bit random, so no salt or slow hash
/// is needed; the database never holds a usable session id, token or setup link.
pub fn secret_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

const USER_COLUMNS: &str = "id, email, display_name, password_hash, locale, created_at, disabled_at";
const INSERT_USER: &str = "INSERT INTO users (email, display_name, password_hash, created_at) VALUES ($1, $2, $3, $4) \
     RETURNING id, email, display_name, password_hash, locale, created_at, disabled_at";
const INSERT_MEMBERSHIP: &str = "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)";

fn user_conflict(email: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |e| match StoreError::from(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("a user with e-mail {email}")),
        other => other,
    }
}

impl Store {
    pub async fn count_users(&self) -> StoreResult<i64> {
        Ok(read!(self, |c| sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(c).await?))
    }

    /// Creates an account and gives it `roles` in the organisation, in one transaction.
    pub async fn create_user(&self, org_id: OrgId, user: &NewUser, roles: &[Role], now: i64) -> StoreResult<User> {
        let created = write_tx!(self, |tx| {
            let created: User = sqlx::query_as(INSERT_USER)
                .bind(&user.email)
                .bind(&user.display_name)
                .bind(&user.password_hash)
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(user_conflict(&user.email))?;
            for role in roles {
                sqlx::query(INSERT_MEMBERSHIP)
                    .bind(org_id)
                    .bind(created.id)
                    .bind(role.as_str())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            created
        });
        Ok(created)
    }

    pub async fn user(&self, user_id: i64) -> StoreResult<User> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        Ok(read!(self, |c| sqlx::query_as::<_, User>(&sql).bind(user_id).fetch_one(c).await?))
    }

    pub async fn user_by_email(&self, email: &str) -> StoreResult<User> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        Ok(read!(self, |c| sqlx::query_as::<_, User>(&sql).bind(email).fetch_one(c).await?))
    }

    /// Sets a new password and ends the person's sessions, except `keep_session` (their own,
    /// when they changed it themselves).
    pub async fn set_password_hash(&self, user_id: i64, hash: &str, keep_session: Option<&str>) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(hash)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
                .bind(user_id)
                .bind(keep_session.unwrap_or(""))
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    pub async fn set_locale(&self, user_id: i64, locale: Option<&str>) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("UPDATE users SET locale = $1 WHERE id = $2")
                .bind(locale)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    pub async fn create_setup_token(&self, token_hash: &str, now: i64, expires_at: i64) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("INSERT INTO setup_tokens (token_hash, created_at, expires_at) VALUES ($1, $2, $3)")
                .bind(token_hash)
                .bind(now)
                .bind(expires_at)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    pub async fn setup_token_state(&self, token_hash: &str, now: i64) -> StoreResult<SetupTokenState> {
        let sql = "SELECT expires_at, used_at FROM setup_tokens WHERE token_hash = $1";
        let row: Option<(i64, Option<i64>)> =
            read!(self, |c| sqlx::query_as(sql).bind(token_hash).fetch_optional(c).await?);
        Ok(match row {
            None => SetupTokenState::Unknown,
            Some((_, Some(_))) => SetupTokenState::Used,
            Some((expires_at, None)) if expires_at <= now => SetupTokenState::Expired,
            Some(_) => SetupTokenState::Valid,
        })
    }

    /// Spends a setup link: creates the first organisation and its administrator. Refused when
    /// the link is not valid or someone already has an account.
    pub async fn complete_setup(
        &self,
        token_hash: &str,
        now: i64,
        org: &NewOrg,
        admin: &NewUser,
    ) -> StoreResult<(Org, User)> {
        let created = write_tx!(self, |tx| {
            let spent = sqlx::query(
                "UPDATE setup_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
            )
            .bind(now)
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
            if spent.rows_affected() != 1 {
                return Err(StoreError::Rejected(Rejection::SetupLinkUsed));
            }
            let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&mut *tx).await?;
            if users > 0 {
                return Err(StoreError::Rejected(Rejection::AlreadySetUp));
            }
            let org: Org = bind_new_org!(sqlx::query_as(INSERT_ORG), org, now)
                .fetch_one(&mut *tx)
                .await
                .map_err(org_conflict(org))?;
            let user: User = sqlx::query_as(INSERT_USER)
                .bind(&admin.email)
                .bind(&admin.display_name)
                .bind(&admin.password_hash)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(INSERT_MEMBERSHIP)
                .bind(org.id)
                .bind(user.id)
                .bind(Role::Admin.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            (org, user)
        });
        Ok(created)
    }

    pub async fn create_session(&self, session: &Session) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO sessions (id_hash, user_id, org_id, csrf_token, created_at, last_seen_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&session.id_hash)
            .bind(session.user_id)
            .bind(session.org_id)
            .bind(&session.csrf_token)
            .bind(session.created_at)
            .bind(session.last_seen_at)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    pub async fn session(&self, id_hash: &str) -> StoreResult<Option<Session>> {
        let sql =
            "SELECT id_hash, user_id, org_id, csrf_token, created_at, last_seen_at FROM sessions WHERE id_hash = $1";
        Ok(read!(self, |c| sqlx::query_as::<_, Session>(sql).bind(id_hash).fetch_optional(c).await?))
    }

    /// A session together with its person, in one query (every signed-in request needs both).
    pub async fn session_with_user(&self, id_hash: &str) -> StoreResult<Option<(Session, User)>> {
        let sql = "SELECT s.id_hash, s.user_id, s.org_id, s.csrf_token, s.created_at, s.last_seen_at, \
                   u.email, u.display_name, u.password_hash, u.locale, u.created_at AS user_created_at, u.disabled_at \
                   FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1";
        let row: Option<SessionUserRow> = read!(self, |c| sqlx::query_as(sql).bind(id_hash).fetch_optional(c).await?);
        Ok(row.map(|r| {
            let user = User {
                id: r.session.user_id,
                email: r.email,
                display_name: r.display_name,
                password_hash: r.password_hash,
                locale: r.locale,
                created_at: r.user_created_at,
                disabled_at: r.disabled_at,
            };
            (r.session, user)
        }))
    }

    pub async fn touch_session(&self, id_hash: &str, now: i64) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
                .bind(now)
                .bind(id_hash)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    pub async fn set_session_org(&self, id_hash: &str, org_id: OrgId) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("UPDATE sessions SET org_id = $1 WHERE id_hash = $2")
                .bind(org_id)
                .bind(id_hash)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    pub async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// Removes sessions created before `created_before` or idle since before `idle_before`.
    pub async fn delete_stale_sessions(&self, created_before: i64, idle_before: i64) -> StoreResult<u64> {
        let deleted = write_tx!(self, |tx| {
            sqlx::query("DELETE FROM sessions WHERE created_at < $1 OR last_seen_at < $2")
                .bind(created_before)
                .bind(idle_before)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        });
        Ok(deleted)
    }
}

#[derive(sqlx::FromRow)]
struct SessionUserRow {
    #[sqlx(flatten)]
    session: Session,
    email: String,
    display_name: String,
    password_hash: Option<String>,
    locale: Option<String>,
    user_created_at: i64,
    disabled_at: Option<i64>,
}
