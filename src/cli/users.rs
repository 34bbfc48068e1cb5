//! `vigil user` and `vigil audit`: manage who may use the web UI and API, and read what they
//! did. Passwords are read from standard input (one line) or a file, never from the command
//! line, where other users of the machine could see them.

use super::Span;
use anyhow::{Context, Result, bail};
use std::io::BufRead;
use std::path::PathBuf;
use vigil::auth::Role;
use vigil::readside::ReadSide;
use vigil::store::Store;
use vigil::text::for_terminal;

#[derive(clap::Subcommand)]
pub enum Action {
    /// Add a user; the password is read from standard input (or --password-file).
    Add {
        name: String,
        /// viewer, analyst, security (analyst and the leak watch) or admin.
        #[arg(long, default_value = "viewer")]
        role: String,
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
    /// Set a user's password (ends their sessions and revokes their API tokens).
    Passwd {
        name: String,
        #[arg(long)]
        password_file: Option<PathBuf>,
        /// Keep the user's API tokens (by default a new password revokes them).
        #[arg(long)]
        keep_tokens: bool,
    },
    /// Remove a user, their sessions and API tokens.
    Remove { name: String },
    /// List users and roles.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Create an API token for a user's scripts; printed once, stored hashed.
    Token {
        name: String,
        /// What the token is for.
        #[arg(long, default_value = "script")]
        label: String,
        /// How long it lasts (e.g. 30d, 1y), or "never".
        #[arg(long, default_value = "90d")]
        expires: String,
    },
    /// List API tokens (of one user, or of all): id, owner, label, created, last used, expiry.
    Tokens {
        name: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Revoke an API token by the id `vigil user tokens` shows, or every token of a user
    /// with --all.
    Revoke {
        /// A token id, or with --all a user name.
        target: String,
        #[arg(long)]
        all: bool,
    },
}

/// A token's lifetime from `--expires`: a span, or `never`.
fn lifetime(text: &str) -> Result<Option<chrono::Duration>> {
    if text.eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    let span = vigil::types::parse_duration(text).map_err(|e| anyhow::anyhow!("--expires: {e}"))?;
    let span = chrono::Duration::from_std(span)
        .ok()
        .filter(|d| *d > chrono::Duration::zero() && *d <= chrono::Duration::days(3_660))
        .ok_or_else(|| {
            anyhow::anyhow!("--expires {text:?}: use a span up to 10 years, or never")
        })?;
    Ok(Some(span))
}

fn read_password(file: Option<&PathBuf>) -> Result<String> {
    let line = match file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .lines()
            .next()
            .unwrap_or_default()
            .to_string(),
        None => {
            eprintln!("password (one line on standard input):");
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line
        }
    };
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

pub fn run(store: &Store, action: Action) -> Result<()> {
    match action {
        Action::Add {
            name,
            role,
            password_file,
        } => {
            let Some(role) = Role::parse(&role) else {
                bail!("--role {role:?}: use viewer, analyst, security or admin");
            };
            let password = read_password(password_file.as_ref())?;
            vigil::auth::add_user(&store, &name, role, &password)?;
            store.audit(
                "cli",
                "user add",
                &format!("{name} as {}", role.as_str()),
                "",
            )?;
            println!("added {} ({})", for_terminal(&name), role.as_str());
        }
        Action::Passwd {
            name,
            password_file,
            keep_tokens,
        } => {
            let password = read_password(password_file.as_ref())?;
            vigil::auth::set_password(&store, &name, &password)?;
            let revoked = if keep_tokens {
                0
            } else {
                store.revoke_user_tokens(&name)?
            };
            store.audit(
                "cli",
                "user passwd",
                &format!("{name}; {revoked} API tokens revoked"),
                "",
            )?;
            println!(
                "password changed; {}'s sessions ended, {revoked} API tokens revoked",
                for_terminal(&name)
            );
        }
        Action::Remove { name } => {
            vigil::auth::remove_user(&store, &name)?;
            store.audit("cli", "user remove", &name, "")?;
            println!("removed {}", for_terminal(&name));
        }
        Action::List { json } => {
            let users = store.users()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&users)?);
            } else {
                for u in users {
                    println!(
                        "{:<24} {:<8} since {}",
                        for_terminal(&u.name),
                        u.role.as_str(),
                        u.created.format("%Y-%m-%d")
                    );
                }
            }
        }
        Action::Token {
            name,
            label,
            expires,
        } => {
            let lifetime = lifetime(&expires)?;
            let token = vigil::auth::create_api_token(&store, &name, &label, lifetime)?;
            store.audit(
                "cli",
                "token create",
                &format!("{name}: {label}, expires {expires}"),
                "",
            )?;
            println!("{token}");
            eprintln!("shown once; send it as `Authorization: Bearer <token>`");
        }
        Action::Tokens { name, json } => {
            let tokens = store.api_tokens(name.as_deref())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&tokens)?);
            } else {
                let day = |t: Option<chrono::DateTime<chrono::Utc>>, none: &str| {
                    t.map_or_else(|| none.to_string(), |t| t.format("%Y-%m-%d").to_string())
                };
                println!(
                    "{:<12}  {:<16} {:<24} {:<10} {:<10} expires",
                    "id", "user", "label", "created", "last used"
                );
                for t in tokens {
                    println!(
                        "{:<12}  {:<16} {:<24} {:<10} {:<10} {}",
                        t.id,
                        for_terminal(&t.user),
                        for_terminal(&t.label),
                        t.created.format("%Y-%m-%d"),
                        day(t.last_used, "never"),
                        day(t.expires, "never")
                    );
                }
            }
        }
        Action::Revoke { target, all } => {
            let revoked = if all {
                store.revoke_user_tokens(&target)?
            } else {
                store.revoke_api_token(&target)?
            };
            if revoked == 0 {
                bail!(
                    "no API token {} {:?}; `vigil user tokens` lists them",
                    if all { "of user" } else { "with id" },
                    for_terminal(&target)
                );
            }
            store.audit("cli", "token revoke", &format!("{target}: {revoked}"), "")?;
            println!("revoked {revoked} API token(s)");
        }
    }
    Ok(())
}

/// `vigil audit`: logins, query edits, exports and account changes, newest first.
pub fn audit(read: &ReadSide, since: &Span, json: bool) -> Result<()> {
    let from = since.start(chrono::Utc::now());
    let entries = read.store.audit_log(from, 10_000)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
        return Ok(());
    }
    for e in entries {
        println!(
            "{}  {:<16} {:<14} {}{}",
            e.at.format("%Y-%m-%d %H:%M:%S"),
            for_terminal(&e.user),
            for_terminal(&e.action),
            for_terminal(&e.detail),
            if e.address.is_empty() {
                String::new()
            } else {
                format!("  ({})", for_terminal(&e.address))
            }
        );
    }
    Ok(())
}
