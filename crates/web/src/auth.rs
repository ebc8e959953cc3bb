//! Who is asking: people through sessions, machines through API tokens; and login throttling.

use crate::error::{ApiError, PageError};
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use normverk_app::access_log::Accessor;
use normverk_core::account::{session_state, FailureWindow, SessionState, ThrottlePolicy};
use normverk_core::org::{role_permits, Action, Role, Scope};
use normverk_store::account::{secret_hash, Session, User};
use normverk_store::org::{Membership, Org};
use normverk_store::OrgId;
use normverk_store::{StoreError, StoreResult};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const SESSION_COOKIE: &str = "nv_session";
pub const CSRF_COOKIE: &str = "nv_csrf";
pub const LANG_COOKIE: &str = "nv_lang";

/// A signed-in person, as loaded for this request.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: User,
    pub session: Session,
    /// The organisation the person is working in now, and their roles there.
    pub org: Option<Membership>,
    /// Every organisation they belong to (for the switcher).
    pub orgs: Vec<Membership>,
}

/// Loads the person behind a session cookie, ending the session when it has expired.
pub async fn load_viewer(state: &AppState, session_secret: &str, now: i64) -> StoreResult<Option<Viewer>> {
    let id_hash = secret_hash(session_secret);
    let Some((session, user)) = state.store.session_with_user(&id_hash).await? else { return Ok(None) };
    let expired =
        session_state(state.config.session, session.created_at, session.last_seen_at, now) != SessionState::Valid;
    if expired || user.disabled_at.is_some() {
        state.store.delete_session(&id_hash).await?;
        return Ok(None);
    }
    // Sliding idle timeout, written at most once a minute so reads stay reads.
    if now - session.last_seen_at >= 60 {
        state.store.touch_session(&id_hash, now).await?;
    }
    let orgs = state.store.orgs_of_user(user.id).await?;
    let org = session.org_id.and_then(|id| orgs.iter().find(|m| m.org.id == id)).or_else(|| orgs.first()).cloned();
    Ok(Some(Viewer { user, session, org, orgs }))
}

/// A signed-in person working in one of their organisations: what most pages need.
#[derive(Debug, Clone)]
pub struct Member {
    pub viewer: Arc<Viewer>,
    pub org: Org,
    pub roles: Vec<Role>,
}

impl Member {
    pub fn may(&self, action: Action) -> bool {
        role_permits(&self.roles, action)
    }

    pub fn require(&self, action: Action) -> Result<(), PageError> {
        if self.may(action) {
            Ok(())
        } else {
            Err(PageError::Forbidden)
        }
    }

    /// The member's roles as normverk's access log records them: in bokmål whatever the
    /// member's language, so every entry reads alike.
    pub fn logged_roles(&self) -> String {
        self.roles.iter().map(|r| crate::i18n::Lang::Nb.role_name(*r)).collect::<Vec<_>>().join(", ")
    }

    /// The member as normverk's access log records who read or changed something.
    pub fn accessor(&self) -> Accessor {
        Accessor::Person {
            user_id: self.viewer.user.id,
            name: self.viewer.user.display_name.clone(),
            role: self.logged_roles(),
        }
    }
}

/// Extracts the signed-in person; sends others to the login page.
pub struct SignedIn(pub Arc<Viewer>);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Arc<Viewer>>().cloned().map(SignedIn).ok_or(PageError::LoginRequired)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Member {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let SignedIn(viewer) = SignedIn::from_request_parts(parts, state).await?;
        let Membership { org, roles } = viewer.org.clone().ok_or(PageError::NoOrganisation)?;
        Ok(Member { viewer, org, roles })
    }
}

/// A machine calling the API with a bearer token; acts for the token's organisation.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub token_id: i64,
    pub org_id: OrgId,
    pub scopes: Vec<Scope>,
}

impl ApiCaller {
    /// Refuses unless the token holds `scope`. Documented operations are checked by
    /// [`require_scope`] from the scope their description names; this is for the few machine
    /// paths outside the document.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(ApiError::forbidden(&format!("the API token lacks the scope {scope}")))
        }
    }
}

/// The token in an `Authorization` header: the `Bearer` scheme, in any case (RFC 9110 11.1).
fn bearer(header: &str) -> Option<&str> {
    let (scheme, secret) = header.split_once(' ')?;
    let secret = secret.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !secret.is_empty()).then_some(secret)
}

/// Authenticates the caller of a documented operation and checks the scope the operation
/// names, before anything of the request is read: no token is 401, a token without the scope
/// 403. The caller is kept for the handler.
pub async fn require_scope(state: &AppState, parts: &mut Parts, scope: Scope) -> Result<(), ApiError> {
    let caller = ApiCaller::from_request_parts(parts, state).await?;
    caller.require(scope)?;
    parts.extensions.insert(caller);
    Ok(())
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(caller) = parts.extensions.get::<ApiCaller>() {
            return Ok(caller.clone());
        }
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .ok_or_else(|| ApiError::unauthorized("send an API token as 'Authorization: Bearer <token>'"))?;
        let secret = bearer(header)
            .ok_or_else(|| ApiError::unauthorized("the Authorization header must use the Bearer scheme"))?;
        let token = match state.store.active_token(&secret_hash(secret)).await {
            Ok(token) => token,
            Err(StoreError::NotFound) => return Err(ApiError::unauthorized("the API token is unknown or revoked")),
            Err(e) => return Err(e.into()),
        };
        let now = state.app.clock.now();
        if state.token_touches.due(token.id, now) {
            state.store.touch_token(token.id, now).await?;
        }
        Ok(ApiCaller { token_id: token.id, org_id: token.org_id, scopes: token.scope_list() })
    }
}

/// Remembers when each token's last use was written, so a busy token costs one write a minute.
#[derive(Default)]
pub struct TouchCache(Mutex<HashMap<i64, i64>>);

impl TouchCache {
    fn due(&self, id: i64, now: i64) -> bool {
        let Ok(mut map) = self.0.lock() else {
            return true;
        };
        match map.get(&id) {
            Some(&at) if now - at < 60 => false,
            _ => {
                if map.len() > 100_000 {
                    map.clear();
                }
                map.insert(id, now);
                true
            }
        }
    }
}

/// Failed sign-ins counted per account and per client address, in memory.
#[derive(Default)]
pub struct Throttle(Mutex<HashMap<String, FailureWindow>>);

impl Throttle {
    /// Seconds to wait before `account` may try again from `address`, if any.
    pub fn wait_s(&self, account: &str, address: &str, now: i64) -> Option<i64> {
        let map = self.0.lock().ok()?;
        let by_account = map.get(&account_key(account)).and_then(|w| w.wait_s(ThrottlePolicy::PER_ACCOUNT, now));
        let by_address = map.get(&address_key(address)).and_then(|w| w.wait_s(ThrottlePolicy::PER_ADDRESS, now));
        by_account.max(by_address)
    }

    pub fn record_failure(&self, account: &str, address: &str, now: i64) {
        let Ok(mut map) = self.0.lock() else { return };
        if map.len() > 100_000 {
            // Bounded memory under a spray of addresses: forget expired windows.
            map.retain(|_, w| now - w.first_failure_at < ThrottlePolicy::PER_ACCOUNT.window_s);
        }
        for (key, policy) in
            [(account_key(account), ThrottlePolicy::PER_ACCOUNT), (address_key(address), ThrottlePolicy::PER_ADDRESS)]
        {
            let window = map.get(&key).copied().unwrap_or_default().record_failure(policy, now);
            map.insert(key, window);
        }
    }

    pub fn record_success(&self, account: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(&account_key(account));
        }
    }
}

fn account_key(account: &str) -> String {
    format!("account:{}", account.trim().to_lowercase())
}

fn address_key(address: &str) -> String {
    format!("address:{address}")
}

/// A `Set-Cookie` value with our defaults: HttpOnly, SameSite=Lax, path /, Secure when on TLS.
pub fn cookie(state: &AppState, name: &str, value: &str, max_age_s: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age_s {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if state.config.secure_cookies {
        c.push_str("; Secure");
    }
    c
}

/// The value of cookie `name` in the request, if sent.
pub fn cookie_value<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}
