//! Accounts and credentials: Argon2id password hashing (off the async threads), API tokens
//! issued and the one-time setup link. Secrets are shown once and stored as SHA-256 only.

use crate::clock::Clock;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use normverk_core::org::Scope;
use normverk_store::account::{new_secret, secret_hash};
use normverk_store::token::ApiToken;
use normverk_store::OrgId;
use normverk_store::{Store, StoreError};

/// Every API token starts with this, so a leaked one is recognised by scanners.
pub const TOKEN_PREFIX: &str = "nvk_";

/// How long a setup link is valid.
const SETUP_LINK_S: i64 = 3600;

/// Why hashing a password failed (the machine, never the password).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HashError(pub String);

/// Hashes a password with Argon2id and a random salt (PHC string).
pub async fn hash_password(password: String) -> Result<String, HashError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|e| HashError(format!("hashing task failed: {e}")))?
    .map_err(|e| HashError(format!("hashing failed: {e}")))
}

/// Whether `password` matches `phc`. With no hash, a dummy is verified so that unknown accounts
/// take as long as known ones.
pub async fn verify_password(password: String, phc: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let target = phc.unwrap_or_else(|| DUMMY_HASH.to_string());
        let Ok(parsed) = PasswordHash::new(&target) else {
            return false;
        };
        let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        ok && target != DUMMY_HASH
    })
    .await
    .unwrap_or(false)
}

/// The Argon2id hash of a random string nobody knows, with the default parameters.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$OLbOCrXxrm2K7v0AkHxDd5dsdhRTEcOk0T2f4khmjWs";

/// Issues an API token for `org_id` with `scopes`, by `by` (none from the CLI): the secret to
/// show once, and the token as stored (its hash only), issued at `now`.
pub async fn issue_token(
    store: &Store,
    org_id: OrgId,
    name: &str,
    scopes: &[Scope],
    by: Option<i64>,
    now: i64,
) -> Result<(String, ApiToken), StoreError> {
    let secret = new_secret(TOKEN_PREFIX);
    let token = store.create_token(org_id, name, scopes, &secret_hash(&secret), by, now).await?;
    Ok((secret, token))
}

/// Creates a one-time setup link token valid for an hour, when no account exists yet.
/// Returns the token to put in the link (only its hash is stored).
pub async fn setup_token_if_needed(store: &Store, clock: &Clock) -> Result<Option<String>, StoreError> {
    if store.count_users().await? > 0 {
        return Ok(None);
    }
    let token = new_secret("");
    let now = clock.now();
    store.create_setup_token(&secret_hash(&token), now, now + SETUP_LINK_S).await?;
    Ok(Some(token))
}
