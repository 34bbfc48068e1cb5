//! Who may read and change what: users and their roles, passwords (argon2id), browser sessions
//! with their CSRF tokens, API tokens for scripts, login throttling and the audit log. In: names,
//! passwords and tokens from the CLI and the web; out: rows in the state database (only hashes
//! of passwords, session ids and tokens are stored) and verdicts.

use crate::store::{Store, StoreError};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, TimeZone, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// How long a browser session lasts without a new login.
pub const SESSION_HOURS: i64 = 12;

/// What a user may do: viewers read; analysts also edit stored queries and export; admins also
/// manage users and read the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Analyst,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "viewer" => Some(Role::Viewer),
            "analyst" => Some(Role::Analyst),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A user as listed (never with the hash).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub name: String,
    pub role: Role,
    pub created: DateTime<Utc>,
}

/// Someone signed in: through a browser session (with its CSRF token) or an API token.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub user: String,
    pub role: Role,
    /// The session's CSRF token; `None` for API tokens (not cookie-borne, so not forgeable
    /// by another site).
    pub csrf: Option<String>,
}

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

fn time(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
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
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a session id or token, hex: what the database keeps.
pub fn token_hash(token: &str) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref())
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

/// One audit log line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub user: String,
    pub action: String,
    pub detail: String,
    pub address: String,
}

impl Store {
    pub fn add_user(&self, name: &str, role: Role, password: &str) -> Result<(), AuthError> {
        if !valid_name(name) {
            return Err(AuthError::BadName);
        }
        let hash = hash_password(password)?;
        let added = self.with(|c| {
            c.execute(
                "INSERT INTO users (name, role, password_hash, created) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(name) DO NOTHING",
                params![name, role.as_str(), hash, Utc::now().timestamp()],
            )
        })?;
        if added == 0 {
            return Err(AuthError::Exists(name.to_string()));
        }
        Ok(())
    }

    /// Sets a new password and ends the user's sessions.
    pub fn set_password(&self, name: &str, password: &str) -> Result<(), AuthError> {
        let hash = hash_password(password)?;
        let changed = self.with(|c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE users SET password_hash = ?2 WHERE name = ?1",
                params![name, hash],
            )?;
            tx.execute("DELETE FROM sessions WHERE user = ?1", [name])?;
            tx.commit()?;
            Ok(n)
        })?;
        if changed == 0 {
            return Err(AuthError::NoSuchUser(name.to_string()));
        }
        Ok(())
    }

    /// Removes a user with their sessions and API tokens.
    pub fn remove_user(&self, name: &str) -> Result<(), AuthError> {
        let removed = self.with(|c| {
            let tx = c.transaction()?;
            let n = tx.execute("DELETE FROM users WHERE name = ?1", [name])?;
            tx.execute("DELETE FROM sessions WHERE user = ?1", [name])?;
            tx.execute("DELETE FROM api_tokens WHERE user = ?1", [name])?;
            tx.commit()?;
            Ok(n)
        })?;
        if removed == 0 {
            return Err(AuthError::NoSuchUser(name.to_string()));
        }
        Ok(())
    }

    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare("SELECT name, role, created FROM users ORDER BY name")?;
            let rows = statement.query_map([], |r| {
                Ok(User {
                    name: r.get(0)?,
                    role: Role::parse(&r.get::<_, String>(1)?).unwrap_or(Role::Viewer),
                    created: time(r.get(2)?),
                })
            })?;
            rows.collect()
        })
    }

    /// The user's role if `password` is theirs. Unknown users cost a hash check too.
    pub fn check_password(&self, name: &str, password: &str) -> Result<Option<Role>, StoreError> {
        let row: Option<(String, String)> = self.with(|c| {
            c.query_row(
                "SELECT role, password_hash FROM users WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })?;
        Ok(match row {
            Some((role, hash)) if verify_password(password, &hash) => Role::parse(&role),
            Some(_) => None,
            None => {
                verify_password(password, decoy_hash());
                None
            }
        })
    }

    /// Opens a browser session: returns the session id (for the cookie) and its CSRF token.
    pub fn create_session(
        &self,
        user: &str,
        now: DateTime<Utc>,
    ) -> Result<(String, String), StoreError> {
        let (id, csrf) = (random_hex(32), random_hex(32));
        self.with(|c| {
            c.execute("DELETE FROM sessions WHERE expires < ?1", [now.timestamp()])?;
            c.execute(
                "INSERT INTO sessions (token_hash, user, csrf, created, expires) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    token_hash(&id),
                    user,
                    csrf,
                    now.timestamp(),
                    (now + Duration::hours(SESSION_HOURS)).timestamp()
                ],
            )
        })?;
        Ok((id, csrf))
    }

    /// The signed-in user of a session id, if the session is live and the user still exists.
    pub fn session(&self, id: &str, now: DateTime<Utc>) -> Result<Option<Principal>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT s.user, u.role, s.csrf FROM sessions s JOIN users u ON u.name = s.user
                 WHERE s.token_hash = ?1 AND s.expires >= ?2",
                params![token_hash(id), now.timestamp()],
                |r| {
                    Ok(Principal {
                        user: r.get(0)?,
                        role: Role::parse(&r.get::<_, String>(1)?).unwrap_or(Role::Viewer),
                        csrf: Some(r.get(2)?),
                    })
                },
            )
            .optional()
        })
    }

    pub fn end_session(&self, id: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "DELETE FROM sessions WHERE token_hash = ?1",
                [token_hash(id)],
            )
            .map(|_| ())
        })
    }

    /// Creates an API token for a user; the token is shown once and only its hash is kept.
    pub fn create_api_token(&self, user: &str, label: &str) -> Result<String, AuthError> {
        if !self.users()?.iter().any(|u| u.name == user) {
            return Err(AuthError::NoSuchUser(user.to_string()));
        }
        let token = format!("vgl_{}", random_hex(32));
        self.with(|c| {
            c.execute(
                "INSERT INTO api_tokens (token_hash, user, label, created) VALUES (?1, ?2, ?3, ?4)",
                params![token_hash(&token), user, label, Utc::now().timestamp()],
            )
        })?;
        Ok(token)
    }

    /// The user behind an API token.
    pub fn api_token(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Principal>, StoreError> {
        self.with(|c| {
            let found = c
                .query_row(
                    "SELECT t.user, u.role FROM api_tokens t JOIN users u ON u.name = t.user
                     WHERE t.token_hash = ?1",
                    [token_hash(token)],
                    |r| {
                        Ok(Principal {
                            user: r.get(0)?,
                            role: Role::parse(&r.get::<_, String>(1)?).unwrap_or(Role::Viewer),
                            csrf: None,
                        })
                    },
                )
                .optional()?;
            if found.is_some() {
                c.execute(
                    "UPDATE api_tokens SET last_used = ?2 WHERE token_hash = ?1",
                    params![token_hash(token), now.timestamp()],
                )?;
            }
            Ok(found)
        })
    }

    /// Appends to the audit log.
    pub fn audit(
        &self,
        user: &str,
        action: &str,
        detail: &str,
        address: &str,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO audit (at, user, action, detail, address) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    Utc::now().timestamp(),
                    user,
                    action,
                    crate::text::truncate_chars(detail, 2_000),
                    address
                ],
            )
            .map(|_| ())
        })
    }

    /// The audit log since `since`, newest first.
    pub fn audit_log(
        &self,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare(
                "SELECT at, user, action, detail, address FROM audit WHERE at >= ?1
                 ORDER BY id DESC LIMIT ?2",
            )?;
            let rows = statement.query_map(params![since.timestamp(), limit as i64], |r| {
                Ok(AuditEntry {
                    at: time(r.get(0)?),
                    user: r.get(1)?,
                    action: r.get(2)?,
                    detail: r.get(3)?,
                    address: r.get(4)?,
                })
            })?;
            rows.collect()
        })
    }
}

/// Login throttling: at most `per_user` failed logins per account and `per_address` per client
/// address within `window`; successes do not count.
#[derive(Debug)]
pub struct LoginLimiter {
    per_user: usize,
    per_address: usize,
    window: std::time::Duration,
    failures: Mutex<HashMap<String, VecDeque<std::time::Instant>>>,
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
        }
    }

    fn recent(&self, key: &str, now: std::time::Instant) -> usize {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let Some(times) = failures.get_mut(key) else {
            return 0;
        };
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) > self.window)
        {
            times.pop_front();
        }
        times.len()
    }

    /// Whether a login attempt for `user` from `address` may be tried now.
    pub fn allowed(&self, user: &str, address: &str, now: std::time::Instant) -> bool {
        self.recent(&format!("u:{user}"), now) < self.per_user
            && self.recent(&format!("a:{address}"), now) < self.per_address
    }

    pub fn failed(&self, user: &str, address: &str, now: std::time::Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        // Bound the map: an attacker cycling names must not grow it without end.
        if failures.len() > 100_000 {
            failures.clear();
        }
        for key in [format!("u:{user}"), format!("a:{address}")] {
            failures.entry(key).or_default().push_back(now);
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
        store
            .add_user("ana", Role::Analyst, "a long enough password")
            .unwrap();
        assert!(matches!(
            store.add_user("ana", Role::Admin, "another long password"),
            Err(AuthError::Exists(_))
        ));
        assert!(matches!(
            store.add_user("bad name!", Role::Admin, "another long password"),
            Err(AuthError::BadName)
        ));
        assert_eq!(
            store
                .check_password("ana", "a long enough password")
                .unwrap(),
            Some(Role::Analyst)
        );
        assert_eq!(
            store.check_password("ana", "wrong password here").unwrap(),
            None
        );
        assert_eq!(
            store
                .check_password("nobody", "a long enough password")
                .unwrap(),
            None
        );

        let (id, csrf) = store.create_session("ana", now).unwrap();
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
        store.set_password("ana", "a brand new password").unwrap();
        assert!(store.session(&id, now).unwrap().is_none());

        let token = store.create_api_token("ana", "nightly export").unwrap();
        assert_eq!(store.api_token(&token, now).unwrap().unwrap().user, "ana");
        assert!(store.api_token("vgl_guess", now).unwrap().is_none());
        store.remove_user("ana").unwrap();
        assert!(store.api_token(&token, now).unwrap().is_none());
        assert!(matches!(
            store.remove_user("ana"),
            Err(AuthError::NoSuchUser(_))
        ));

        store.audit("ana", "login", "ok", "127.0.0.1").unwrap();
        let log = store.audit_log(now - Duration::minutes(1), 10).unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].action, "login");
    }

    #[test]
    fn logins_are_throttled_per_user_and_per_address() {
        let limiter = LoginLimiter::new(3, 5, std::time::Duration::from_secs(60));
        let t = std::time::Instant::now();
        for _ in 0..3 {
            assert!(limiter.allowed("ana", "10.0.0.1", t));
            limiter.failed("ana", "10.0.0.1", t);
        }
        assert!(!limiter.allowed("ana", "10.0.0.2", t), "per user");
        assert!(limiter.allowed("bob", "10.0.0.1", t));
        limiter.failed("bob", "10.0.0.1", t);
        limiter.failed("cyd", "10.0.0.1", t);
        assert!(!limiter.allowed("dan", "10.0.0.1", t), "per address");
        let later = t + std::time::Duration::from_secs(61);
        assert!(
            limiter.allowed("ana", "10.0.0.1", later),
            "the window passes"
        );
    }
}
