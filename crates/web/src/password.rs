//! Argon2id password hashing, off the async threads.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Hashes a password with Argon2id and a random salt (PHC string).
pub async fn hash(password: String) -> Result<String, crate::error::Internal> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|e| crate::error::Internal(format!("hashing task failed: {e}")))?
    .map_err(|e| crate::error::Internal(format!("hashing failed: {e}")))
}

/// Whether `password` matches `phc`. With no hash, a dummy is verified so that unknown accounts
/// take as long as known ones.
pub async fn verify(password: String, phc: Option<String>) -> bool {
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
