//! Where alerts go and when: the `[[channels]]`, `[[schedules]]` and `[alerts]` sections of
//! `vigil.toml`. In: their TOML; out: validated `Alerting` (every schedule's cron expression and
//! time zone parsed, every channel a schedule names defined). Secrets (SMTP passwords, webhook
//! signing keys, webhook URLs that embed a token) are only named here, by environment variable
//! or file, and read when a message is sent.

use crate::config::PasswordFrom;
use crate::types::Severity;
use serde::Deserialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How an SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (required; port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same host or in tests.
    None,
}

/// An SMTP server and the envelope of the messages sent through it.
#[derive(Debug, Clone, PartialEq)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<PasswordFrom>,
    /// `Vigil <vigil@court.example>`.
    pub from: String,
    /// Recipients when the schedule names none.
    pub to: Vec<String>,
    /// A PEM file of extra root certificates (an internal mail relay's own authority).
    pub ca_file: Option<PathBuf>,
    pub timeout: Duration,
}

/// The payload a webhook receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookStyle {
    /// Slack incoming webhook (`text` plus Block Kit sections).
    Slack,
    /// Microsoft Teams incoming webhook (an Adaptive Card message).
    Teams,
    /// The digest as JSON, signed: `X-Vigil-Signature: sha256=<hex HMAC of the body>`.
    Json,
}

/// A webhook endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub style: WebhookStyle,
    /// The address, or where to read it (Slack and Teams addresses carry their token).
    pub url: Secretish,
    /// HMAC key for the signature header (generic JSON webhooks).
    pub secret: Option<PasswordFrom>,
    pub timeout: Duration,
}

/// A value given inline or read from the environment or a file when used.
#[derive(Debug, Clone, PartialEq)]
pub enum Secretish {
    Inline(String),
    From(PasswordFrom),
}

impl Secretish {
    /// The value; the error names where it looked, never what it found.
    pub fn read(&self) -> Result<String, String> {
        match self {
            Secretish::Inline(value) => Ok(value.clone()),
            Secretish::From(from) => from.read().map(|s| s.expose().to_string()),
        }
    }
}

/// A folder that receives each message as files (Markdown, HTML and JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct Folder {
    pub path: PathBuf,
}

/// Where a message can go.
#[derive(Debug, Clone, PartialEq)]
pub enum ChannelKind {
    Email(Smtp),
    Webhook(Webhook),
    Folder(Folder),
}

/// A named delivery channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    pub name: String,
    pub kind: ChannelKind,
}

/// A digest schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub name: String,
    /// The cron expression as written (five fields, or six with seconds).
    pub cron_text: String,
    pub cron: croner::Cron,
    pub timezone: chrono_tz::Tz,
    pub channels: Vec<String>,
    /// Email recipients (each email channel's own `to` when empty).
    pub recipients: Vec<String>,
    /// Stored queries covered (all when empty).
    pub queries: Vec<String>,
    /// Least severity covered.
    pub min_severity: Severity,
    /// The period each digest covers; by default, since the schedule's previous slot.
    pub period: Option<Duration>,
}

/// Immediate alerts for urgent narratives.
#[derive(Debug, Clone, PartialEq)]
pub struct Alerts {
    pub channels: Vec<String>,
    pub recipients: Vec<String>,
    /// One alert per narrative per cooldown; growth within it waits for the next update.
    pub cooldown: Duration,
    pub min_severity: Severity,
}

/// Everything about alerting.
#[derive(Debug, Clone, Default)]
pub struct Alerting {
    pub channels: Vec<Channel>,
    pub schedules: Vec<Schedule>,
    pub alerts: Option<Alerts>,
}

impl Alerting {
    pub fn channel(&self, name: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.name == name)
    }

    pub fn schedule(&self, name: &str) -> Option<&Schedule> {
        self.schedules.iter().find(|s| s.name == name)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChannel {
    name: String,
    kind: String,
    // email
    host: Option<String>,
    port: Option<u16>,
    security: Option<Security>,
    username: Option<String>,
    username_env: Option<String>,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
    from: Option<String>,
    #[serde(default)]
    to: Vec<String>,
    ca_file: Option<PathBuf>,
    // webhooks
    url: Option<String>,
    url_env: Option<String>,
    url_file: Option<PathBuf>,
    secret_env: Option<String>,
    secret_file: Option<PathBuf>,
    // folder
    path: Option<PathBuf>,
    timeout: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchedule {
    name: String,
    cron: String,
    timezone: Option<String>,
    channels: Vec<String>,
    #[serde(default)]
    recipients: Vec<String>,
    #[serde(default)]
    queries: Vec<String>,
    min_severity: Option<Severity>,
    period: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAlerts {
    channels: Vec<String>,
    #[serde(default)]
    recipients: Vec<String>,
    cooldown: Option<String>,
    min_severity: Option<Severity>,
}

/// A problem with one key: (key, message).
type Invalid = (String, String);

fn from_env_or_file(
    env: Option<String>,
    file: Option<PathBuf>,
    base: &Path,
) -> Option<PasswordFrom> {
    match (env, file) {
        (Some(name), _) => Some(PasswordFrom::Env(name)),
        (None, Some(path)) => Some(PasswordFrom::File(if path.is_absolute() {
            path
        } else {
            base.join(path)
        })),
        (None, None) => None,
    }
}

fn duration(key: &str, text: Option<String>, default: Duration) -> Result<Duration, Invalid> {
    match text {
        None => Ok(default),
        Some(text) => crate::types::parse_duration(&text).map_err(|e| (key.to_string(), e)),
    }
}

/// An address lettre accepts, `Name <user@host>` or `user@host`.
fn mailbox(key: &str, text: &str) -> Result<(), Invalid> {
    text.parse::<lettre::message::Mailbox>()
        .map(|_| ())
        .map_err(|e| {
            (
                key.to_string(),
                format!("{text:?} is not an email address: {e}"),
            )
        })
}

fn channel(raw: RawChannel, base: &Path) -> Result<Channel, Invalid> {
    let timeout = duration("timeout", raw.timeout, Duration::from_secs(30))?;
    let need = |value: Option<String>, key: &str| {
        value.filter(|v| !v.trim().is_empty()).ok_or_else(|| {
            (
                key.to_string(),
                format!("a {} channel needs {key}", raw.kind),
            )
        })
    };
    let kind = match raw.kind.as_str() {
        "email" => {
            let security = raw.security.unwrap_or(Security::Starttls);
            let from = need(raw.from, "from")?;
            mailbox("from", &from)?;
            for (i, to) in raw.to.iter().enumerate() {
                mailbox(&format!("to[{i}]"), to)?;
            }
            let password = from_env_or_file(raw.password_env, raw.password_file, base);
            let username = match (raw.username, raw.username_env) {
                (Some(user), _) => Some(user),
                (None, Some(env)) => Some(std::env::var(&env).map_err(|_| {
                    (
                        "username_env".to_string(),
                        format!("environment variable {env} is not set"),
                    )
                })?),
                (None, None) => None,
            };
            if password.is_some() != username.is_some() {
                return Err((
                    "username".into(),
                    "set both a username and a password (password_env or password_file), or neither"
                        .into(),
                ));
            }
            ChannelKind::Email(Smtp {
                host: need(raw.host, "host")?,
                port: raw.port.unwrap_or(match security {
                    Security::Starttls => 587,
                    Security::Tls => 465,
                    Security::None => 25,
                }),
                security,
                username,
                password,
                from,
                to: raw.to,
                ca_file: raw
                    .ca_file
                    .map(|p| if p.is_absolute() { p } else { base.join(p) }),
                timeout,
            })
        }
        "slack" | "teams" | "webhook" => {
            let url = match (raw.url, from_env_or_file(raw.url_env, raw.url_file, base)) {
                (Some(url), _) => {
                    let parsed =
                        url::Url::parse(&url).map_err(|e| ("url".to_string(), e.to_string()))?;
                    if !matches!(parsed.scheme(), "http" | "https") {
                        return Err(("url".into(), "a webhook address is http or https".into()));
                    }
                    Secretish::Inline(url)
                }
                (None, Some(from)) => Secretish::From(from),
                (None, None) => {
                    return Err((
                        "url".into(),
                        "a webhook needs url, url_env or url_file".into(),
                    ));
                }
            };
            ChannelKind::Webhook(Webhook {
                style: match raw.kind.as_str() {
                    "slack" => WebhookStyle::Slack,
                    "teams" => WebhookStyle::Teams,
                    _ => WebhookStyle::Json,
                },
                url,
                secret: from_env_or_file(raw.secret_env, raw.secret_file, base),
                timeout,
            })
        }
        "folder" => {
            let path = raw.path.ok_or_else(|| {
                (
                    "path".to_string(),
                    "a folder channel needs path".to_string(),
                )
            })?;
            ChannelKind::Folder(Folder {
                path: if path.is_absolute() {
                    path
                } else {
                    base.join(path)
                },
            })
        }
        other => {
            return Err((
                "kind".into(),
                format!("unknown channel kind {other:?} (email, slack, teams, webhook or folder)"),
            ));
        }
    };
    Ok(Channel {
        name: raw.name,
        kind,
    })
}

fn known_channels(key: &str, names: &[String], channels: &[Channel]) -> Result<(), Invalid> {
    if names.is_empty() {
        return Err((key.to_string(), "name at least one channel".into()));
    }
    for (i, name) in names.iter().enumerate() {
        if !channels.iter().any(|c| &c.name == name) {
            return Err((format!("{key}[{i}]"), format!("no channel named {name:?}")));
        }
    }
    Ok(())
}

fn schedule(raw: RawSchedule, channels: &[Channel]) -> Result<Schedule, Invalid> {
    let cron: croner::Cron = raw.cron.parse().map_err(|e: croner::errors::CronError| {
        ("cron".to_string(), format!("{:?}: {e}", raw.cron))
    })?;
    let timezone: chrono_tz::Tz =
        raw.timezone
            .as_deref()
            .unwrap_or("UTC")
            .parse()
            .map_err(|_| {
                (
                    "timezone".to_string(),
                    format!(
                        "unknown time zone {:?} (an IANA name such as Europe/Amsterdam)",
                        raw.timezone.unwrap_or_default()
                    ),
                )
            })?;
    known_channels("channels", &raw.channels, channels)?;
    for (i, to) in raw.recipients.iter().enumerate() {
        mailbox(&format!("recipients[{i}]"), to)?;
    }
    let period = match raw.period {
        Some(text) => {
            Some(crate::types::parse_duration(&text).map_err(|e| ("period".to_string(), e))?)
        }
        None => None,
    };
    Ok(Schedule {
        name: raw.name,
        cron_text: raw.cron,
        cron,
        timezone,
        channels: raw.channels,
        recipients: raw.recipients,
        queries: raw.queries,
        min_severity: raw.min_severity.unwrap_or(Severity::Info),
        period,
    })
}

/// Validates the alerting sections; errors name the key (`schedules[1].cron`).
pub fn validate(
    channels: Vec<RawChannel>,
    schedules: Vec<RawSchedule>,
    alerts: Option<RawAlerts>,
    base: &Path,
) -> Result<Alerting, Invalid> {
    let mut out = Alerting::default();
    let mut names = HashSet::new();
    for (i, raw) in channels.into_iter().enumerate() {
        let name = raw.name.clone();
        let channel = channel(raw, base).map_err(|(k, m)| (format!("channels[{i}].{k}"), m))?;
        if !names.insert(name.clone()) {
            return Err((
                format!("channels[{i}].name"),
                format!("duplicate channel {name:?}"),
            ));
        }
        out.channels.push(channel);
    }
    let mut names = HashSet::new();
    for (i, raw) in schedules.into_iter().enumerate() {
        let name = raw.name.clone();
        let schedule =
            schedule(raw, &out.channels).map_err(|(k, m)| (format!("schedules[{i}].{k}"), m))?;
        if !names.insert(name.clone()) {
            return Err((
                format!("schedules[{i}].name"),
                format!("duplicate schedule {name:?}"),
            ));
        }
        out.schedules.push(schedule);
    }
    if let Some(raw) = alerts {
        known_channels("alerts.channels", &raw.channels, &out.channels)?;
        for (i, to) in raw.recipients.iter().enumerate() {
            mailbox(&format!("alerts.recipients[{i}]"), to)?;
        }
        out.alerts = Some(Alerts {
            channels: raw.channels,
            recipients: raw.recipients,
            cooldown: duration(
                "alerts.cooldown",
                raw.cooldown,
                Duration::from_secs(6 * 3600),
            )?,
            min_severity: raw.min_severity.unwrap_or(Severity::Watch),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    const BASE: &str = "[crawl]\ncontact_url = \"mailto:press@court.example.org\"\n";
    const MAIL: &str = "[[channels]]\nname = \"mail\"\nkind = \"email\"\nhost = \"smtp.court.example.org\"\nfrom = \"Vigil <vigil@court.example.org>\"\n";

    fn parse(extra: &str) -> Result<Config, String> {
        Config::parse(
            &format!("{BASE}{extra}"),
            Path::new("vigil.toml"),
            Path::new("/srv"),
        )
        .map_err(|e| e.to_string())
    }

    #[test]
    fn errors_name_the_key() {
        let cases: &[(&str, &str)] = &[
            (
                "[[channels]]\nname = \"x\"\nkind = \"pigeon\"\n",
                "channels[0].kind",
            ),
            (
                "[[channels]]\nname = \"x\"\nkind = \"email\"\nhost = \"h\"\n",
                "channels[0].from",
            ),
            (
                "[[channels]]\nname = \"x\"\nkind = \"email\"\nhost = \"h\"\nfrom = \"not an address\"\n",
                "channels[0].from",
            ),
            (
                "[[channels]]\nname = \"x\"\nkind = \"email\"\nhost = \"h\"\nfrom = \"a@b.org\"\npassword_env = \"P\"\n",
                "channels[0].username",
            ),
            (
                "[[channels]]\nname = \"x\"\nkind = \"webhook\"\nurl = \"ftp://h/x\"\n",
                "channels[0].url",
            ),
            (
                "[[channels]]\nname = \"x\"\nkind = \"slack\"\n",
                "channels[0].url",
            ),
            (
                "[[channels]]\nname = \"x\"\nkind = \"folder\"\n",
                "channels[0].path",
            ),
            (
                "[[schedules]]\nname = \"m\"\ncron = \"30 7 * * 1-5\"\nchannels = [\"nowhere\"]\n",
                "schedules[0].channels[0]",
            ),
            (
                "[[schedules]]\nname = \"m\"\ncron = \"61 7 * * *\"\nchannels = [\"mail\"]\n",
                "schedules[0].cron",
            ),
            (
                "[[schedules]]\nname = \"m\"\ncron = \"30 7 * * *\"\ntimezone = \"Mars/Olympus\"\nchannels = [\"mail\"]\n",
                "schedules[0].timezone",
            ),
            (
                "[[schedules]]\nname = \"m\"\ncron = \"30 7 * * *\"\nchannels = []\n",
                "schedules[0].channels",
            ),
            ("[alerts]\nchannels = [\"nowhere\"]\n", "alerts.channels[0]"),
            (
                "[alerts]\nchannels = [\"mail\"]\ncooldown = \"soon\"\n",
                "alerts.cooldown",
            ),
        ];
        for (extra, key) in cases {
            let with_mail = if extra.starts_with("[[channels]]") {
                extra.to_string()
            } else {
                format!("{MAIL}{extra}")
            };
            let error = parse(&with_mail).expect_err(extra);
            assert!(error.contains(key), "{extra}: {error}");
        }
    }

    #[test]
    fn a_full_section_parses_with_defaults() {
        let config = parse(&format!(
            "{MAIL}password_file = \"secrets/smtp\"\nusername = \"vigil\"\n\
             [[channels]]\nname = \"hook\"\nkind = \"webhook\"\nurl_env = \"HOOK_URL\"\nsecret_env = \"HOOK_KEY\"\n\
             [[schedules]]\nname = \"morning\"\ncron = \"30 7 * * 1-5\"\ntimezone = \"Europe/Amsterdam\"\nchannels = [\"mail\", \"hook\"]\n\
             [alerts]\nchannels = [\"mail\"]\n"
        ))
        .unwrap();
        let a = &config.alerting;
        let super::ChannelKind::Email(smtp) = &a.channels[0].kind else {
            panic!()
        };
        assert_eq!((smtp.port, smtp.security), (587, super::Security::Starttls));
        assert_eq!(
            smtp.password,
            Some(crate::config::PasswordFrom::File(
                "/srv/secrets/smtp".into()
            ))
        );
        assert!(
            matches!(&a.channels[1].kind, super::ChannelKind::Webhook(w) if w.style == super::WebhookStyle::Json && w.secret.is_some())
        );
        let s = a.schedule("morning").unwrap();
        assert_eq!(s.timezone, chrono_tz::Europe::Amsterdam);
        assert_eq!(s.min_severity, crate::types::Severity::Info);
        let alerts = a.alerts.as_ref().unwrap();
        assert_eq!(alerts.cooldown, std::time::Duration::from_secs(6 * 3600));
        assert_eq!(alerts.min_severity, crate::types::Severity::Watch);
    }
}
