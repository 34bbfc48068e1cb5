//! Digests that arrive on time, once: the demo corpus is crawled, digests are scheduled, queued
//! and delivered to a real SMTP server on 127.0.0.1 (the `mailin` protocol engine, over plain
//! SMTP with AUTH, STARTTLS and implicit TLS with the test's own certificate authority), to a
//! local webhook receiver (Slack, Teams and signed JSON) and to a folder. The process is killed
//! between sending and marking, and the message goes out exactly once more with the same
//! Message-ID.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::{Duration, Utc};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use vigil::alert::outbox::deliver_due;

// --- A real SMTP server -----------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
struct Mail {
    from: String,
    to: Vec<String>,
    data: String,
    user: Option<String>,
    tls: bool,
}

#[derive(Clone, Default)]
struct Mailbox(Arc<Mutex<Vec<Mail>>>);

impl Mailbox {
    fn all(&self) -> Vec<Mail> {
        self.0.lock().unwrap().clone()
    }
}

struct Handler {
    mailbox: Mailbox,
    current: Mail,
    user: Option<String>,
    tls: Arc<std::sync::atomic::AtomicBool>,
}

impl mailin::Handler for Handler {
    fn data_start(&mut self, _: &str, from: &str, _: bool, to: &[String]) -> mailin::Response {
        self.current = Mail {
            from: from.to_string(),
            to: to.to_vec(),
            user: self.user.clone(),
            tls: self.tls.load(std::sync::atomic::Ordering::SeqCst),
            ..Mail::default()
        };
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.data.push_str(&String::from_utf8_lossy(buf));
        Ok(())
    }

    fn data_end(&mut self) -> mailin::Response {
        self.mailbox
            .0
            .lock()
            .unwrap()
            .push(std::mem::take(&mut self.current));
        mailin::response::OK
    }

    fn auth_plain(&mut self, _: &str, user: &str, password: &str) -> mailin::Response {
        if user == "vigil" && password == "s3cret-pass" {
            self.user = Some(user.to_string());
            mailin::response::AUTH_OK
        } else {
            mailin::response::INVALID_CREDENTIALS
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Secure {
    Plain,
    StartTls,
    Wrapper,
}

enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

struct SmtpSink {
    addr: SocketAddr,
    mailbox: Mailbox,
}

fn tls_config(certified: &rcgen::CertifiedKey<rcgen::KeyPair>) -> Arc<rustls::ServerConfig> {
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap(),
    )
}

impl SmtpSink {
    fn start(secure: Secure, tls: Option<Arc<rustls::ServerConfig>>) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mailbox = Mailbox::default();
        let inbox = mailbox.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (inbox, tls) = (inbox.clone(), tls.clone());
                std::thread::spawn(move || {
                    let _ = serve_smtp(stream, secure, tls, inbox);
                });
            }
        });
        SmtpSink { addr, mailbox }
    }
}

fn serve_smtp(
    stream: TcpStream,
    secure: Secure,
    tls: Option<Arc<rustls::ServerConfig>>,
    mailbox: Mailbox,
) -> std::io::Result<()> {
    let peer = stream.peer_addr()?.ip();
    let mut builder = mailin::SessionBuilder::new("sink.example.org");
    builder.enable_auth(mailin::AuthMechanism::Plain);
    let mut conn = Conn::Plain(stream);
    match secure {
        Secure::Plain => {
            builder.insecure_enable_plaintext_auth();
        }
        Secure::StartTls => {
            builder.enable_start_tls();
        }
        Secure::Wrapper => {
            // The protocol engine cannot tell the socket is TLS from the first byte.
            builder.insecure_enable_plaintext_auth();
            let Conn::Plain(tcp) = conn else {
                unreachable!()
            };
            let server = rustls::ServerConnection::new(tls.clone().unwrap()).unwrap();
            conn = Conn::Tls(Box::new(rustls::StreamOwned::new(server, tcp)));
        }
    }
    let upgraded = Arc::new(std::sync::atomic::AtomicBool::new(
        secure == Secure::Wrapper,
    ));
    let handler = Handler {
        mailbox,
        current: Mail::default(),
        user: None,
        tls: upgraded.clone(),
    };
    let mut session = builder.build(peer, handler);
    let mut reader = BufReader::new(conn);
    session.greeting().write_to(reader.get_mut())?;
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let response = session.process(&line);
        match response.action {
            mailin::Action::Reply => response.write_to(reader.get_mut())?,
            mailin::Action::NoReply => {}
            mailin::Action::Close => {
                response.write_to(reader.get_mut())?;
                return Ok(());
            }
            mailin::Action::UpgradeTls => {
                response.write_to(reader.get_mut())?;
                let Conn::Plain(tcp) = reader.into_inner() else {
                    return Ok(());
                };
                let server = rustls::ServerConnection::new(tls.clone().unwrap()).unwrap();
                reader = BufReader::new(Conn::Tls(Box::new(rustls::StreamOwned::new(server, tcp))));
                session.tls_active();
                upgraded.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
    }
}

// --- A webhook receiver -----------------------------------------------------------------------

#[derive(Clone, Default)]
struct Hooks {
    received: Arc<Mutex<Vec<(String, HeaderMap, String)>>>,
    /// Requests still to refuse with 503.
    refuse: Arc<Mutex<usize>>,
}

async fn receive(
    State(hooks): State<Hooks>,
    axum::extract::Path(name): axum::extract::Path<String>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    {
        let mut refuse = hooks.refuse.lock().unwrap();
        if *refuse > 0 {
            *refuse -= 1;
            return StatusCode::SERVICE_UNAVAILABLE;
        }
    }
    hooks.received.lock().unwrap().push((name, headers, body));
    StatusCode::OK
}

async fn hook_server(hooks: Hooks) -> String {
    let app = Router::new()
        .route("/hook/{name}", post(receive))
        .with_state(hooks);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

/// The demo configuration plus channels to the sinks and a weekday-morning schedule.
fn alerting_toml(smtp: &SmtpSink, hooks: &str, folder: &Path) -> String {
    format!(
        r#"
[[channels]]
name = "press-email"
kind = "email"
host = "127.0.0.1"
port = {port}
security = "none"
username = "vigil"
password_env = "VIGIL_TEST_SMTP_PASSWORD"
from = "Vigil <vigil@court.example.org>"
to = ["press@court.example.org"]

[[channels]]
name = "slack"
kind = "slack"
url = "{hooks}/hook/slack"

[[channels]]
name = "teams"
kind = "teams"
url = "{hooks}/hook/teams"

[[channels]]
name = "siem"
kind = "webhook"
url = "{hooks}/hook/siem"
secret_env = "VIGIL_TEST_HOOK_SECRET"

[[channels]]
name = "archive"
kind = "folder"
path = "{folder}"

[[schedules]]
name = "morning"
cron = "30 7 * * 1-5"
timezone = "Europe/Amsterdam"
channels = ["press-email", "slack", "teams", "siem", "archive"]
recipients = ["press@court.example.org", "Spokesperson <spokes@court.example.org>"]

[alerts]
channels = ["press-email"]
cooldown = "6h"
min_severity = "info"
"#,
        port = smtp.addr.port(),
        folder = folder.display()
    )
}

fn set_secrets() {
    // SAFETY: set once, the same value in every test, before any thread reads them.
    unsafe {
        std::env::set_var("VIGIL_TEST_SMTP_PASSWORD", "s3cret-pass");
        std::env::set_var("VIGIL_TEST_HOOK_SECRET", "hook-key");
    }
}

fn header<'a>(mail: &'a str, name: &str) -> Option<&'a str> {
    mail.lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        })
        .map(|l| l[name.len() + 1..].trim())
}

/// The demo corpus served, its configuration with the alerting channels appended, and the
/// sinks those channels deliver to.
struct Setup {
    data: tempfile::TempDir,
    server: vigil::demo::DemoServer,
    smtp: SmtpSink,
    hooks: Hooks,
    folder: std::path::PathBuf,
    config_path: std::path::PathBuf,
}

async fn setup() -> Setup {
    set_secrets();
    let data = tempfile::tempdir().unwrap();
    let (server, _) = crate::support::demo_corpus(data.path()).await;
    let smtp = SmtpSink::start(Secure::Plain, None);
    let hooks = Hooks::default();
    let hook_base = hook_server(hooks.clone()).await;
    let folder = data.path().join("digests");
    let config_path = crate::support::write_demo_config(
        data.path(),
        &data.path().join("index"),
        &server.base_url,
    );
    let mut toml = std::fs::read_to_string(&config_path).unwrap();
    toml.push_str(&alerting_toml(&smtp, &hook_base, &folder));
    std::fs::write(&config_path, toml).unwrap();
    Setup {
        data,
        server,
        smtp,
        hooks,
        folder,
        config_path,
    }
}

#[tokio::test]
async fn scheduled_digests_reach_every_channel_once_and_are_retried() {
    let Setup {
        data: _data,
        server,
        smtp,
        hooks,
        folder,
        config_path,
    } = setup().await;
    let config = vigil::config::Config::load(&config_path).unwrap();
    let pipeline = vigil::pipeline::Pipeline::open(config.clone()).unwrap();
    pipeline.crawl(&config.sources, None).await.unwrap();
    let read = pipeline.read_side();
    let http = vigil::alert::deliver::http_client().unwrap();

    // A new schedule starts now and waits for its next slot.
    let monday = chrono::DateTime::parse_from_rfc3339("2026-11-30T05:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    assert!(
        vigil::alert::tick_schedules(read, pipeline.store(), &config, monday)
            .unwrap()
            .is_empty()
    );
    // 07:30 in Amsterdam (06:30 UTC in winter): one digest, queued for five channels.
    let slot = monday + Duration::minutes(90);
    let keys =
        vigil::alert::tick_schedules(read, pipeline.store(), &config, slot + Duration::minutes(1))
            .unwrap();
    assert_eq!(keys, vec!["digest-morning-20261130T063000Z".to_string()]);
    assert!(
        vigil::alert::tick_schedules(read, pipeline.store(), &config, slot + Duration::hours(3))
            .unwrap()
            .is_empty()
    );

    // The Slack receiver refuses the first attempt.
    *hooks.refuse.lock().unwrap() = 1;
    let now = slot + Duration::minutes(1);
    let first = deliver_due(pipeline.store(), &config.alerting, &http, now)
        .await
        .unwrap();
    assert_eq!((first.sent, first.failed), (4, 1), "{first:?}");
    let mails = smtp.mailbox.all();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(
        mail.user.as_deref(),
        Some("vigil"),
        "AUTH PLAIN with the password from the environment"
    );
    assert_eq!(mail.to.len(), 2, "the schedule's recipients: {:?}", mail.to);
    assert!(mail.from.contains("vigil@court.example.org"));
    for part in [
        "multipart/alternative",
        "text/plain",
        "text/html",
        "X-Vigil-Idempotency-Key: digest-morning-20261130T063000Z/press-email",
    ] {
        assert!(mail.data.contains(part), "{part} missing");
    }
    let message_id = header(&mail.data, "Message-ID").unwrap().to_string();
    assert!(message_id.ends_with("@court.example.org>"), "{message_id}");
    assert!(!mail.data.contains("s3cret-pass"));

    let received = hooks.received.lock().unwrap().clone();
    let by_name = |name: &str| received.iter().find(|(n, _, _)| n == name).cloned();
    assert!(by_name("slack").is_none(), "refused the first time");
    let (_, teams_headers, teams) = by_name("teams").expect("teams payload");
    let teams: serde_json::Value = serde_json::from_str(&teams).unwrap();
    assert_eq!(
        teams["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(
        teams_headers["idempotency-key"],
        "digest-morning-20261130T063000Z/teams"
    );
    let (_, siem_headers, siem) = by_name("siem").expect("signed JSON");
    assert_eq!(
        siem_headers["x-vigil-signature"].to_str().unwrap(),
        vigil::alert::deliver::signature(b"hook-key", siem.as_bytes())
    );
    let digest: serde_json::Value = serde_json::from_str(&siem).unwrap();
    assert_eq!(digest["schedule"], "morning");
    assert_eq!(digest["period_end"], "2026-11-30T06:30:00Z");
    // The first digest covers the weekend: since Friday's slot.
    assert_eq!(digest["period_start"], "2026-11-27T06:30:00Z");
    for ext in ["md", "html", "json"] {
        assert!(
            folder
                .join(format!("digest-morning-20261130T063000Z_archive.{ext}"))
                .exists()
        );
    }

    // Nothing more until the backoff has passed; then the refused message goes through.
    let early = deliver_due(
        pipeline.store(),
        &config.alerting,
        &http,
        now + Duration::seconds(30),
    )
    .await
    .unwrap();
    assert_eq!(early.sent + early.failed, 0);
    let retry = deliver_due(
        pipeline.store(),
        &config.alerting,
        &http,
        now + Duration::seconds(61),
    )
    .await
    .unwrap();
    assert_eq!((retry.sent, retry.failed), (1, 0));
    let (_, slack_headers, slack) = hooks
        .received
        .lock()
        .unwrap()
        .iter()
        .find(|(n, _, _)| n == "slack")
        .cloned()
        .unwrap();
    let slack: serde_json::Value = serde_json::from_str(&slack).unwrap();
    assert!(
        slack["text"]
            .as_str()
            .unwrap()
            .starts_with("Vigil digest (morning)"),
        "{slack}"
    );
    assert_eq!(slack["blocks"][0]["type"], "header");
    assert_eq!(
        slack_headers["idempotency-key"],
        "digest-morning-20261130T063000Z/slack"
    );
    let entries = read.store.outbox(20).unwrap();
    assert_eq!(entries.len(), 5);
    assert!(entries.iter().all(|e| e.state == "sent"), "{entries:?}");
    assert_eq!(
        entries
            .iter()
            .find(|e| e.channel == "slack")
            .unwrap()
            .attempts,
        2
    );

    // Down from Tuesday to Thursday noon: one digest on return, Thursday's, covering since
    // Monday's slot.
    let thursday = slot + Duration::days(3) + Duration::hours(5);
    let keys = vigil::alert::tick_schedules(read, pipeline.store(), &config, thursday).unwrap();
    assert_eq!(keys, vec!["digest-morning-20261203T063000Z".to_string()]);
    let again = vigil::alert::tick_schedules(
        read,
        pipeline.store(),
        &config,
        thursday + Duration::minutes(5),
    )
    .unwrap();
    assert!(again.is_empty());
    deliver_due(pipeline.store(), &config.alerting, &http, thursday)
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(folder.join("digest-morning-20261203T063000Z_archive.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(json["period_start"], "2026-11-30T06:30:00Z");
    assert_eq!(smtp.mailbox.all().len(), 2);
    drop(server);
}

#[tokio::test]
async fn smtp_over_starttls_and_tls_trusts_the_configured_authority() {
    set_secrets();
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, certified.cert.pem()).unwrap();
    let tls = tls_config(&certified);
    let rendered = vigil::alert::render::Rendered {
        subject: "Vigil digest".into(),
        text: "plain".into(),
        html: "<p>html</p>".into(),
        markdown: String::new(),
        json: "{}".into(),
        slack: "{}".into(),
        teams: "{}".into(),
    };
    let http = vigil::alert::deliver::http_client().unwrap();
    for (secure, security) in [
        (
            Secure::StartTls,
            vigil::config::alerting::Security::Starttls,
        ),
        (Secure::Wrapper, vigil::config::alerting::Security::Tls),
    ] {
        let sink = SmtpSink::start(secure, Some(tls.clone()));
        let channel = vigil::config::alerting::Channel {
            name: "mail".into(),
            kind: vigil::config::alerting::ChannelKind::Email(vigil::config::alerting::Smtp {
                host: "127.0.0.1".into(),
                port: sink.addr.port(),
                security,
                username: Some("vigil".into()),
                password: Some(vigil::config::PasswordFrom::Env(
                    "VIGIL_TEST_SMTP_PASSWORD".into(),
                )),
                from: "vigil@court.example.org".into(),
                to: vec!["press@court.example.org".into()],
                ca_file: Some(ca.clone()),
                timeout: std::time::Duration::from_secs(10),
            }),
        };
        let envelope = vigil::alert::deliver::Envelope {
            key: "k/mail",
            recipients: &[],
            rendered: &rendered,
        };
        vigil::alert::deliver::send(&channel, &envelope, &http)
            .await
            .unwrap();
        let mails = sink.mailbox.all();
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].user.as_deref(), Some("vigil"));
        assert_eq!(
            mails[0].tls,
            secure == Secure::Wrapper || secure == Secure::StartTls
        );
        // Without the authority the server's certificate is refused, and the error says where.
        let untrusted = vigil::config::alerting::Channel {
            kind: match &channel.kind {
                vigil::config::alerting::ChannelKind::Email(smtp) => {
                    vigil::config::alerting::ChannelKind::Email(vigil::config::alerting::Smtp {
                        ca_file: None,
                        ..smtp.clone()
                    })
                }
                other => other.clone(),
            },
            ..channel.clone()
        };
        let error = vigil::alert::deliver::send(&untrusted, &envelope, &http)
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains("channel mail (smtp 127.0.0.1:"), "{error}");
        assert!(!error.contains("s3cret-pass"));
        assert_eq!(sink.mailbox.all().len(), 1);
    }
}

#[tokio::test]
#[cfg_attr(
    not(feature = "fault-injection"),
    ignore = "needs the fault-injection feature: run scripts/test"
)]
async fn a_crash_between_sending_and_marking_sends_once_more_with_the_same_message_id() {
    let Setup {
        data,
        server,
        smtp,
        hooks,
        folder,
        config_path: _,
    } = setup().await;
    let dir = data.path().to_path_buf();
    let vigil = move |args: &'static [&'static str], crash: bool| {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || vigil_command(&dir, args, crash))
    };
    let crawl = vigil(&["crawl"], false).await.unwrap();
    assert!(
        crawl.status.success(),
        "{}",
        String::from_utf8_lossy(&crawl.stderr)
    );

    // `digest send` queues the digest for five channels and starts delivering; the process
    // dies right after the first message is sent, before it is marked.
    let crashed = vigil(&["digest", "send", "morning"], true).await.unwrap();
    assert!(!crashed.status.success(), "the process was killed");
    assert_eq!(
        smtp.mailbox.all().len(),
        1,
        "the email went out before the crash"
    );
    assert!(hooks.received.lock().unwrap().is_empty());
    assert!(!folder.exists());

    // The next run sends everything, the crashed message once more (after its backoff, or now
    // when asked), and a third run sends nothing.
    let delivered = (
        vigil(&["digest", "deliver", "--now"], false).await.unwrap(),
        vigil(&["digest", "deliver", "--now"], false).await.unwrap(),
    );
    let out = String::from_utf8_lossy(&delivered.0.stdout).to_string();
    assert!(
        out.contains("sent 5, failed 0"),
        "{out}{}",
        String::from_utf8_lossy(&delivered.0.stderr)
    );
    assert!(String::from_utf8_lossy(&delivered.1.stdout).contains("sent 0, failed 0"));
    let mails = smtp.mailbox.all();
    let hooks_received = hooks.received.lock().unwrap().clone();
    // The email went first (channel order): twice, with one Message-ID, so the receiver can
    // drop the repeat; every other channel once.
    assert_eq!(mails.len(), 2);
    assert_eq!(
        header(&mails[0].data, "Message-ID"),
        header(&mails[1].data, "Message-ID")
    );
    assert_eq!(hooks_received.len(), 3);
    let list = vigil(&["digest", "list", "--json"], false).await.unwrap();
    let entries: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 5);
    assert!(entries.iter().all(|e| e["state"] == "sent"), "{entries:?}");
    let listed = vigil(&["digest", "list"], false).await.unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout).to_string();
    assert!(
        listed.contains("press-email") && listed.contains("sent"),
        "{listed}"
    );

    // On-demand rendering in every format.
    let formats: [(&'static [&'static str], &str); 4] = [
        (
            &["digest", "--since", "30d", "--format", "md"],
            "# Vigil digest",
        ),
        (
            &["digest", "--since", "30d", "--format", "html"],
            "<!DOCTYPE html>",
        ),
        (
            &["digest", "--since", "30d", "--format", "text"],
            "EMERGING NARRATIVES",
        ),
        (
            &["digest", "--since", "30d", "--format", "json"],
            "\"volumes\"",
        ),
    ];
    for (format, marker) in formats {
        let out = vigil(format, false).await.unwrap();
        assert!(out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(marker),
            "{format:?}"
        );
    }
    drop(server);
}

fn vigil_command(dir: &Path, args: &[&str], crash: bool) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"));
    command
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "off")
        .env("VIGIL_TEST_SMTP_PASSWORD", "s3cret-pass")
        .env("VIGIL_TEST_HOOK_SECRET", "hook-key");
    if crash {
        command.env("VIGIL_CRASH_AFTER_SEND", "1");
    }
    command.output().unwrap()
}

#[tokio::test]
async fn urgent_narratives_alert_at_once_then_updates_wait_for_the_cooldown() {
    let Setup {
        data: _data,
        server,
        smtp,
        config_path,
        ..
    } = setup().await;
    let config = vigil::config::Config::load(&config_path).unwrap();
    let pipeline = vigil::pipeline::Pipeline::open(config.clone()).unwrap();
    pipeline.crawl(&config.sources, None).await.unwrap();
    let read = pipeline.read_side();
    let http = vigil::alert::deliver::http_client().unwrap();
    let now = Utc::now();

    // The demo's campaigns are urgent now: one alert each, at once.
    let alerts = vigil::alert::tick_alerts(read, pipeline.store(), &config, now).unwrap();
    assert!(!alerts.is_empty());
    assert!(
        alerts
            .iter()
            .all(|k| k.starts_with("alert-n") && k.ends_with("-1")),
        "{alerts:?}"
    );
    let report = deliver_due(pipeline.store(), &config.alerting, &http, now)
        .await
        .unwrap();
    assert_eq!(report.sent, alerts.len());
    let mails = smtp.mailbox.all();
    assert!(
        mails
            .iter()
            .all(|m| header(&m.data, "Subject").is_some_and(|s| s.contains("urgent")))
    );
    // Within the cooldown nothing more is sent, grown or not.
    assert!(
        vigil::alert::tick_alerts(read, pipeline.store(), &config, now + Duration::minutes(5))
            .unwrap()
            .is_empty()
    );
    // Pretend the first alert went out seven hours ago with one document: the narrative has
    // grown since and the cooldown (6 h) has passed, so every such narrative joins one update.
    let id = alerts[0]
        .trim_start_matches("alert-")
        .trim_end_matches("-1")
        .to_string();
    pipeline
        .store()
        .enqueue(
            &[],
            &[vigil::alert::outbox::Mark::Narrative {
                id: id.clone(),
                at: now - Duration::hours(7),
                documents: 1,
            }],
            now,
        )
        .unwrap();
    let updates = vigil::alert::tick_alerts(read, pipeline.store(), &config, now).unwrap();
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert!(updates[0].starts_with("update-"));
    assert_eq!(
        read.store.narrative_alert(&id).unwrap().map(|a| a.2),
        Some(3)
    );
    assert!(
        vigil::alert::tick_alerts(read, pipeline.store(), &config, now)
            .unwrap()
            .is_empty()
    );
    deliver_due(pipeline.store(), &config.alerting, &http, now)
        .await
        .unwrap();
    let last = smtp.mailbox.all().pop().unwrap();
    assert!(
        header(&last.data, "Subject").unwrap().contains("update"),
        "{}",
        last.data
    );
    drop(server);
}
