//! Who may read and change what: users and their roles, passwords (argon2id), browser sessions
//! with their CSRF tokens, API tokens for scripts, login throttling and the audit log. In: names,
//! passwords and tokens from the CLI and the web; out: rows in the state database (only hashes
//! of passwords, session ids and tokens are stored) and verdicts.

pub use crate::store::accounts::{AuditEntry, Principal, Role, User, token_hash};
use crate::store::{Store, StoreError};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// How long a browser session lasts without a new login.
pub const SESSION_HOURS: i64 = 12;

/// A failed account operation.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    WeakPassword,
    #[error("a user name is 1 to 64 letters, digits, '.', '-', '_' or '@'")]
    BadName,
    #[error("no user named {0:?}")]
    NoSuchUser(String),
    #[error("a user named {0:?} exists already")]
    Exists(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// `n` random bytes from the system's generator, hex-encoded.
pub fn random_hex(n: usize) -> String {
    use ring::rand::SecureRandom;
    let mut bytes = vec![0u8; n];
    // The system generator does not fail on a working Linux; if it did, a zeroed token would be
    // guessable, so refuse to go on.
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        panic!("the system random number generator failed");
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An argon2id hash in PHC format, with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AuthError::WeakPassword);
    }
    use ring::rand::SecureRandom;
    let mut salt = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut salt)
        .map_err(|_| AuthError::Hash("no randomness for the salt".into()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AuthError::Hash(e.to_string()))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether `password` matches the stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash to verify against when the user does not exist, so a login for an unknown name takes
/// as long as one for a known name.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password, never matches").unwrap_or_default())
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'))
}

/// Adds a user after checking the name and the password's length; stores only its hash.
pub fn add_user(store: &Store, name: &str, role: Role, password: &str) -> Result<(), AuthError> {
    if !valid_name(name) {
        return Err(AuthError::BadName);
    }
    let hash = hash_password(password)?;
    if !store.insert_user(name, role, &hash, Utc::now())? {
        return Err(AuthError::Exists(name.to_string()));
    }
    Ok(())
}

/// Sets a new password and ends the user's sessions.
pub fn set_password(store: &Store, name: &str, password: &str) -> Result<(), AuthError> {
    let hash = hash_password(password)?;
    if !store.replace_password_hash(name, &hash)? {
        return Err(AuthError::NoSuchUser(name.to_string()));
    }
    Ok(())
}

/// Removes a user with their sessions and API tokens.
pub fn remove_user(store: &Store, name: &str) -> Result<(), AuthError> {
    if !store.remove_user(name)? {
        return Err(AuthError::NoSuchUser(name.to_string()));
    }
    Ok(())
}

/// The user's role if `password` is theirs. Unknown users cost a hash check too.
pub fn check_password(
    store: &Store,
    name: &str,
    password: &str,
) -> Result<Option<Role>, StoreError> {
    Ok(match store.password_hash(name)? {
        Some((role, hash)) if verify_password(password, &hash) => Some(role),
        Some(_) => None,
        None => {
            verify_password(password, decoy_hash());
            None
        }
    })
}

/// Opens a browser session: returns the session id (for the cookie) and its CSRF token.
pub fn create_session(
    store: &Store,
    user: &str,
    now: DateTime<Utc>,
) -> Result<(String, String), StoreError> {
    let (id, csrf) = (random_hex(32), random_hex(32));
    store.insert_session(&id, &csrf, user, now, now + Duration::hours(SESSION_HOURS))?;
    Ok((id, csrf))
}

/// How long an API token lasts unless its creator says otherwise.
pub const DEFAULT_TOKEN_DAYS: i64 = 90;

/// Creates an API token for a user, valid for `lifetime` (`None`: until revoked); the token is
/// shown once and only its hash is kept.
pub fn create_api_token(
    store: &Store,
    user: &str,
    label: &str,
    lifetime: Option<Duration>,
) -> Result<String, AuthError> {
    if !store.users()?.iter().any(|u| u.name == user) {
        return Err(AuthError::NoSuchUser(user.to_string()));
    }
    let token = format!("vgl_{}", random_hex(32));
    let now = Utc::now();
    let expires = lifetime.and_then(|d| now.checked_add_signed(d));
    store.insert_api_token(&token, user, label, now, expires)?;
    Ok(token)
}

/// Login throttling: at most `per_user` failed logins per account and `per_address` per client
/// address within `window`; successes do not count. An attempt counts as a failure from the
/// moment it is let through (`begin`), and only a success takes it back (`succeeded`), so
/// parallel guesses cannot all pass the check before any of them is recorded.
#[derive(Debug)]
pub struct LoginLimiter {
    per_user: usize,
    per_address: usize,
    window: std::time::Duration,
    failures: Mutex<HashMap<String, VecDeque<std::time::Instant>>>,
    /// When a refusal was last reported for a user and address.
    reported: Mutex<HashMap<String, std::time::Instant>>,
}

/// An attempt let through by `LoginLimiter::begin`, counted as a failure until it succeeds.
#[derive(Debug)]
#[must_use = "a successful attempt must be handed back with `succeeded`"]
pub struct Attempt {
    keys: [String; 2],
    at: std::time::Instant,
}

impl Default for LoginLimiter {
    fn default() -> LoginLimiter {
        LoginLimiter::new(5, 20, std::time::Duration::from_secs(15 * 60))
    }
}

impl LoginLimiter {
    pub fn new(per_user: usize, per_address: usize, window: std::time::Duration) -> LoginLimiter {
        LoginLimiter {
            per_user,
            per_address,
            window,
            failures: Mutex::new(HashMap::new()),
            reported: Mutex::new(HashMap::new()),
        }
    }

    /// Whether a refusal for `user` from `address` should be reported (logged): the first, and
    /// then at most one a minute.
    pub fn report_refusal(&self, user: &str, address: &str, now: std::time::Instant) -> bool {
        const EVERY: std::time::Duration = std::time::Duration::from_secs(60);
        let mut reported = self.reported.lock().unwrap_or_else(|p| p.into_inner());
        if reported.len() > 100_000 {
            reported.retain(|_, at| now.duration_since(*at) < EVERY);
        }
        let key = format!("{user}\u{0}{address}");
        match reported.get(&key) {
            Some(at) if now.duration_since(*at) < EVERY => false,
            _ => {
                reported.insert(key, now);
                true
            }
        }
    }

    /// Lets an attempt for `user` from `address` through, counting it as a failure now, or
    /// `None` when either has too many recent failures. The check and the count are one step.
    pub fn begin(&self, user: &str, address: &str, now: std::time::Instant) -> Option<Attempt> {
        let keys = [format!("u:{user}"), format!("a:{address}")];
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for (key, limit) in keys.iter().zip([self.per_user, self.per_address]) {
            if let Some(times) = failures.get_mut(key) {
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) > self.window)
                {
                    times.pop_front();
                }
                if times.len() >= limit {
                    return None;
                }
            }
        }
        // Bound the map: an attacker cycling names must not grow it without end.
        if failures.len() > 100_000 {
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) <= self.window)
            });
        }
        for key in &keys {
            failures.entry(key.clone()).or_default().push_back(now);
        }
        Some(Attempt { keys, at: now })
    }

    /// Takes back an attempt that succeeded, or that could not be tried (the server was busy).
    pub fn succeeded(&self, attempt: Attempt) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for key in &attempt.keys {
            if let Some(times) = failures.get_mut(key)
                && let Some(at) = times.iter().rposition(|t| *t == attempt.at)
            {
                times.remove(at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_verify_and_refuse_short_ones() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("x", "not a hash"));
        assert!(matches!(
            hash_password("short"),
            Err(AuthError::WeakPassword)
        ));
        assert_ne!(
            hash,
            hash_password("correct horse battery").unwrap(),
            "salted"
        );
    }

    #[test]
    fn users_sessions_tokens_and_audit() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state.sqlite")).unwrap();
        let now = Utc::now();
        super::add_user(&store, "ana", Role::Analyst, "a long enough password").unwrap();
        assert!(matches!(
            super::add_user(&store, "ana", Role::Admin, "another long password"),
            Err(AuthError::Exists(_))
        ));
        assert!(matches!(
            super::add_user(&store, "bad name!", Role::Admin, "another long password"),
            Err(AuthError::BadName)
        ));
        assert_eq!(
            super::check_password(&store, "ana", "a long enough password").unwrap(),
            Some(Role::Analyst)
        );
        assert_eq!(
            super::check_password(&store, "ana", "wrong password here").unwrap(),
            None
        );
        assert_eq!(
            super::check_password(&store, "nobody", "a long enough password").unwrap(),
            None
        );

        let (id, csrf) = super::create_session(&store, "ana", now).unwrap();
        let principal = store.session(&id, now).unwrap().unwrap();
        assert_eq!(
            (principal.user.as_str(), principal.role),
            ("ana", Role::Analyst)
        );
        assert_eq!(principal.csrf.as_deref(), Some(csrf.as_str()));
        assert!(
            store
                .session(&id, now + Duration::hours(SESSION_HOURS + 1))
                .unwrap()
                .is_none()
        );
        assert!(store.session("forged", now).unwrap().is_none());
        // A new password ends every session.
        super::set_password(&store, "ana", "a brand new password").unwrap();
        assert!(store.session(&id, now).unwrap().is_none());

        let token = super::create_api_token(&store, "ana", "nightly export", None).unwrap();
        assert_eq!(store.api_token(&token, now).unwrap().unwrap().user, "ana");
        assert!(store.api_token("vgl_guess", now).unwrap().is_none());
        // Tokens expire, can be listed (never shown) and revoked one by one or all at once.
        let short =
            super::create_api_token(&store, "ana", "one day", Some(Duration::days(1))).unwrap();
        assert!(store.api_token(&short, now).unwrap().is_some());
        assert!(
            store
                .api_token(&short, now + Duration::days(2))
                .unwrap()
                .is_none(),
            "expired"
        );
        let listed = store.api_tokens(Some("ana")).unwrap();
        assert_eq!(listed.len(), 2);
        assert!(
            listed
                .iter()
                .all(|t| !token.contains(&t.id) && !short.contains(&t.id))
        );
        let day = listed.iter().find(|t| t.label == "one day").unwrap();
        assert!(day.expires.is_some());
        assert!(
            listed
                .iter()
                .any(|t| t.label == "nightly export" && t.expires.is_none())
        );
        assert_eq!(store.revoke_api_token("not-an-id").unwrap(), 0);
        assert_eq!(store.revoke_api_token(&day.id).unwrap(), 1);
        assert!(store.api_token(&short, now).unwrap().is_none(), "revoked");
        assert!(
            store.api_token(&token, now).unwrap().is_some(),
            "the other stays"
        );
        assert_eq!(store.revoke_user_tokens("ana").unwrap(), 1);
        assert!(store.api_token(&token, now).unwrap().is_none());
        let token = super::create_api_token(&store, "ana", "again", None).unwrap();
        super::remove_user(&store, "ana").unwrap();
        assert!(store.api_token(&token, now).unwrap().is_none());
        assert!(matches!(
            super::remove_user(&store, "ana"),
            Err(AuthError::NoSuchUser(_))
        ));

        store.audit("ana", "login", "ok", "127.0.0.1").unwrap();
        let log = store.audit_log(now - Duration::minutes(1), 10).unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].action, "login");
    }

    #[test]
    fn logins_are_throttled_per_user_and_per_address() {
        let limiter = LoginLimiter::new(3, 3, std::time::Duration::from_secs(60));
        let t = std::time::Instant::now();
        // Three attempts in flight at once: each counts before any verdict.
        let attempts: Vec<Attempt> = (0..3)
            .map(|_| {
                limiter
                    .begin("ana", "10.0.0.1", t)
                    .expect("under the limit")
            })
            .collect();
        assert!(limiter.begin("ana", "10.0.0.2", t).is_none(), "per user");
        // A success takes its own attempt back.
        let mut attempts = attempts.into_iter();
        limiter.succeeded(attempts.next().unwrap());
        let again = limiter
            .begin("ana", "10.0.0.2", t)
            .expect("one failure fewer");
        assert!(limiter.begin("ana", "10.0.0.2", t).is_none());
        drop((again, attempts));
        let _bob = limiter.begin("bob", "10.0.0.1", t).unwrap();
        assert!(limiter.begin("cyd", "10.0.0.1", t).is_none(), "per address");
        assert!(limiter.report_refusal("cyd", "10.0.0.1", t));
        assert!(
            !limiter.report_refusal("cyd", "10.0.0.1", t),
            "once a minute"
        );
        assert!(limiter.report_refusal("dan", "10.0.0.1", t));
        let later = t + std::time::Duration::from_secs(61);
        assert!(limiter.report_refusal("cyd", "10.0.0.1", later));
        assert!(
            limiter.begin("ana", "10.0.0.1", later).is_some(),
            "the window passes"
        );
    }
}
