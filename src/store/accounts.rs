//! Accounts: users with their role and password hash (`users`), browser sessions with their CSRF
//! tokens (`sessions`), API tokens (`api_tokens`) and the audit log (`audit`). Session ids and
//! tokens are stored only as their SHA-256 (`token_hash`), passwords only as the hash `auth`
//! made; what a name may be, how a password is hashed and checked, and how ids are drawn belong
//! to `auth`.

use super::{Store, StoreError};
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// The tables of this domain (see `super::MIGRATIONS`).
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created INTEGER NOT NULL,
    expires INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
    token_hash TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    label TEXT NOT NULL,
    created INTEGER NOT NULL,
    last_used INTEGER
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    user TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    address TEXT NOT NULL
);
";

/// What a user may do: viewers read; analysts also edit stored queries and export; the
/// security office also sees the leak watch's alerts and matches; admins also manage users and
/// read the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Analyst,
    Security,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Security => "security",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "viewer" => Some(Role::Viewer),
            "analyst" => Some(Role::Analyst),
            "security" => Some(Role::Security),
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

/// One audit log line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// Its place in the log (the chain's order).
    pub id: i64,
    pub at: DateTime<Utc>,
    pub user: String,
    pub action: String,
    pub detail: String,
    pub address: String,
}

/// The fields of an audit entry the chain covers, in a fixed order.
pub fn audit_fields(entry: &AuditEntry) -> serde_json::Value {
    serde_json::json!([
        entry.id,
        entry.at.timestamp(),
        entry.user,
        entry.action,
        entry.detail,
        entry.address
    ])
}

/// Characters of a token's hash that name it in listings and revocations (not a secret: the
/// token cannot be derived from its hash).
pub const TOKEN_ID_CHARS: usize = 12;

/// An API token as listed: its public id, owner, label and times.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenInfo {
    pub id: String,
    pub user: String,
    pub label: String,
    pub created: DateTime<Utc>,
    pub last_used: Option<DateTime<Utc>>,
    pub expires: Option<DateTime<Utc>>,
}

fn time(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a session id or token, hex: what the database keeps.
pub fn token_hash(token: &str) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref())
}

impl Store {
    /// Adds a user with a password hash; false when the name is taken.
    pub fn insert_user(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let added = self.with(|c| {
            c.execute(
                "INSERT INTO users (name, role, password_hash, created) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(name) DO NOTHING",
                params![name, role.as_str(), password_hash, now.timestamp()],
            )
        })?;
        Ok(added > 0)
    }

    /// Replaces a user's password hash and ends their sessions; false for an unknown user.
    pub fn replace_password_hash(&self, name: &str, hash: &str) -> Result<bool, StoreError> {
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
        Ok(changed > 0)
    }

    /// Removes a user with their sessions and API tokens; false for an unknown user.
    pub fn remove_user(&self, name: &str) -> Result<bool, StoreError> {
        let removed = self.with(|c| {
            let tx = c.transaction()?;
            let n = tx.execute("DELETE FROM users WHERE name = ?1", [name])?;
            tx.execute("DELETE FROM sessions WHERE user = ?1", [name])?;
            tx.execute("DELETE FROM api_tokens WHERE user = ?1", [name])?;
            tx.commit()?;
            Ok(n)
        })?;
        Ok(removed > 0)
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

    /// A user's role and password hash.
    pub fn password_hash(&self, name: &str) -> Result<Option<(Role, String)>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT role, password_hash FROM users WHERE name = ?1",
                [name],
                |r| {
                    let role = Role::parse(&r.get::<_, String>(0)?).unwrap_or(Role::Viewer);
                    Ok((role, r.get(1)?))
                },
            )
            .optional()
        })
    }

    /// Stores a browser session (only the hash of its id) with its CSRF token, and drops the
    /// expired ones.
    pub fn insert_session(
        &self,
        id: &str,
        csrf: &str,
        user: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute("DELETE FROM sessions WHERE expires < ?1", [now.timestamp()])?;
            c.execute(
                "INSERT INTO sessions (token_hash, user, csrf, created, expires) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    token_hash(id),
                    user,
                    csrf,
                    now.timestamp(),
                    expires.timestamp()
                ],
            )
            .map(|_| ())
        })
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

    /// Stores an API token (only its hash) for a user, valid until `expires` (or until revoked).
    pub fn insert_api_token(
        &self,
        token: &str,
        user: &str,
        label: &str,
        now: DateTime<Utc>,
        expires: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO api_tokens (token_hash, user, label, created, expires) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    token_hash(token),
                    user,
                    label,
                    now.timestamp(),
                    expires.map(|t| t.timestamp())
                ],
            )
            .map(|_| ())
        })
    }

    /// API tokens, of one user or of all, oldest first (never the tokens themselves).
    pub fn api_tokens(&self, user: Option<&str>) -> Result<Vec<TokenInfo>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare(
                "SELECT token_hash, user, label, created, last_used, expires FROM api_tokens
                 WHERE ?1 IS NULL OR user = ?1 ORDER BY created, token_hash",
            )?;
            let rows = statement.query_map([user], |r| {
                Ok(TokenInfo {
                    id: r
                        .get::<_, String>(0)?
                        .chars()
                        .take(TOKEN_ID_CHARS)
                        .collect(),
                    user: r.get(1)?,
                    label: r.get(2)?,
                    created: time(r.get(3)?),
                    last_used: r.get::<_, Option<i64>>(4)?.map(time),
                    expires: r.get::<_, Option<i64>>(5)?.map(time),
                })
            })?;
            rows.collect()
        })
    }

    /// Revokes the tokens whose id (`TokenInfo::id`) is `id`; how many went.
    pub fn revoke_api_token(&self, id: &str) -> Result<usize, StoreError> {
        if id.len() != TOKEN_ID_CHARS || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(0);
        }
        self.with(|c| {
            c.execute(
                "DELETE FROM api_tokens WHERE substr(token_hash, 1, ?2) = ?1",
                params![id.to_ascii_lowercase(), TOKEN_ID_CHARS as i64],
            )
        })
    }

    /// Revokes every token of `user`; how many went.
    pub fn revoke_user_tokens(&self, user: &str) -> Result<usize, StoreError> {
        self.with(|c| c.execute("DELETE FROM api_tokens WHERE user = ?1", [user]))
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
                     WHERE t.token_hash = ?1 AND (t.expires IS NULL OR t.expires > ?2)",
                    params![token_hash(token), now.timestamp()],
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

    /// Appends to the audit log, chained to the entry before (`super::chain_hash` over
    /// `audit_fields`), in a transaction that holds the write lock so two processes never
    /// chain to the same entry.
    pub fn audit(
        &self,
        user: &str,
        action: &str,
        detail: &str,
        address: &str,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let (last_id, prev): (i64, Option<String>) = tx
                .query_row(
                    "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .unwrap_or((0, None));
            let entry = AuditEntry {
                id: last_id + 1,
                at: time(Utc::now().timestamp()),
                user: user.to_string(),
                action: action.to_string(),
                detail: crate::text::truncate_chars(detail, 2_000).to_string(),
                address: address.to_string(),
            };
            // Entries written before the chain existed have no hash: the chain starts after them.
            let prev = prev.unwrap_or_else(|| super::GENESIS.to_string());
            let hash = super::chain_hash(&prev, &audit_fields(&entry));
            tx.execute(
                "INSERT INTO audit (id, at, user, action, detail, address, prev, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    entry.id,
                    entry.at.timestamp(),
                    entry.user,
                    entry.action,
                    entry.detail,
                    entry.address,
                    prev,
                    hash
                ],
            )?;
            tx.commit()
        })
    }

    /// The whole audit log in order with each entry's `prev` and `hash` (absent before the
    /// chain began), for `archive::verify`.
    pub fn audit_chain(
        &self,
    ) -> Result<Vec<(AuditEntry, Option<String>, Option<String>)>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare(
                "SELECT id, at, user, action, detail, address, prev, hash FROM audit ORDER BY id",
            )?;
            let rows = statement.query_map([], |r| {
                Ok((
                    AuditEntry {
                        id: r.get(0)?,
                        at: time(r.get(1)?),
                        user: r.get(2)?,
                        action: r.get(3)?,
                        detail: r.get(4)?,
                        address: r.get(5)?,
                    },
                    r.get(6)?,
                    r.get(7)?,
                ))
            })?;
            rows.collect()
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
                "SELECT id, at, user, action, detail, address FROM audit WHERE at >= ?1
                 ORDER BY id DESC LIMIT ?2",
            )?;
            let rows = statement.query_map(params![since.timestamp(), limit as i64], |r| {
                Ok(AuditEntry {
                    id: r.get(0)?,
                    at: time(r.get(1)?),
                    user: r.get(2)?,
                    action: r.get(3)?,
                    detail: r.get(4)?,
                    address: r.get(5)?,
                })
            })?;
            rows.collect()
        })
    }
}
