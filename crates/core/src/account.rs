//! Accounts: password rules, session lifetimes and login throttling.

use serde::{Deserialize, Serialize};

/// Why a new password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("password must be at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("password must be at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
}

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Length is what makes a password strong (NIST SP 800-63B); no composition rules.
pub fn check_new_password(password: &str) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(PasswordError::TooLong);
    }
    Ok(())
}

/// A minimal check that an e-mail address is plausible: one `@`, something on each side, a dot
/// in the domain, no spaces, at most 254 characters. Returns it lower-cased and trimmed.
pub fn normalise_email(input: &str) -> Option<String> {
    let email = input.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let plausible = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    plausible.then_some(email)
}

/// How long sessions live, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionPolicy {
    pub idle_timeout_s: i64,
    pub absolute_timeout_s: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self { idle_timeout_s: 30 * 60, absolute_timeout_s: 12 * 60 * 60 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    Valid,
    IdleExpired,
    AbsoluteExpired,
}

/// Whether a session created at `created_at` and last used at `last_seen_at` is still valid at `now`.
pub fn session_state(policy: SessionPolicy, created_at: i64, last_seen_at: i64, now: i64) -> SessionState {
    if now - created_at >= policy.absolute_timeout_s {
        SessionState::AbsoluteExpired
    } else if now - last_seen_at >= policy.idle_timeout_s {
        SessionState::IdleExpired
    } else {
        SessionState::Valid
    }
}

/// Login throttling: after `max_failures` failed attempts within `window_s`, further attempts
/// are refused until the window has passed since the first failure counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub max_failures: u32,
    pub window_s: i64,
}

impl ThrottlePolicy {
    /// Per account: five wrong passwords lock the account for 15 minutes.
    pub const PER_ACCOUNT: ThrottlePolicy = ThrottlePolicy { max_failures: 5, window_s: 15 * 60 };
    /// Per client address: more generous, since offices share an address behind NAT.
    pub const PER_ADDRESS: ThrottlePolicy = ThrottlePolicy { max_failures: 30, window_s: 15 * 60 };
}

/// Failed attempts counted for one key (an account or a client address).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FailureWindow {
    pub first_failure_at: i64,
    pub failures: u32,
}

impl FailureWindow {
    /// Seconds until another attempt is allowed, or `None` if one is allowed now.
    pub fn wait_s(&self, policy: ThrottlePolicy, now: i64) -> Option<i64> {
        let window_end = self.first_failure_at + policy.window_s;
        (self.failures >= policy.max_failures && now < window_end).then_some(window_end - now)
    }

    /// The window after one more failure at `now`; an expired window starts afresh.
    pub fn record_failure(self, policy: ThrottlePolicy, now: i64) -> FailureWindow {
        if self.failures == 0 || now >= self.first_failure_at + policy.window_s {
            FailureWindow { first_failure_at: now, failures: 1 }
        } else {
            FailureWindow { failures: self.failures.saturating_add(1), ..self }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_judged_by_length() {
        assert_eq!(check_new_password("kort"), Err(PasswordError::TooShort));
        assert_eq!(check_new_password("elleve tegn"), Err(PasswordError::TooShort));
        assert_eq!(check_new_password("tolv tegn!!!"), Ok(()));
        assert_eq!(check_new_password("æøåæøåæøåæøå"), Ok(()));
        assert_eq!(check_new_password(&"x".repeat(257)), Err(PasswordError::TooLong));
    }

    #[test]
    fn emails() {
        assert_eq!(normalise_email(" Kari@Klinikk.NO "), Some("kari@klinikk.no".into()));
        for bad in ["", "kari", "@x.no", "kari@", "kari@no", "ka ri@x.no", "a@b@c.no", "a@.no"] {
            assert_eq!(normalise_email(bad), None, "{bad}");
        }
    }

    #[test]
    fn sessions_expire_when_idle_or_old() {
        let p = SessionPolicy { idle_timeout_s: 100, absolute_timeout_s: 1000 };
        assert_eq!(session_state(p, 0, 0, 99), SessionState::Valid);
        assert_eq!(session_state(p, 0, 0, 100), SessionState::IdleExpired);
        assert_eq!(session_state(p, 0, 950, 1000), SessionState::AbsoluteExpired);
        assert_eq!(session_state(p, 0, 950, 999), SessionState::Valid);
    }

    #[test]
    fn throttling_locks_after_max_failures_and_releases_after_window() {
        let p = ThrottlePolicy { max_failures: 3, window_s: 60 };
        let mut w = FailureWindow::default();
        for t in 0..3 {
            assert_eq!(w.wait_s(p, t), None);
            w = w.record_failure(p, t);
        }
        assert_eq!(w.wait_s(p, 10), Some(50));
        assert_eq!(w.wait_s(p, 60), None);
        let w = w.record_failure(p, 61);
        assert_eq!(w, FailureWindow { first_failure_at: 61, failures: 1 });
    }
}
