//! Sending one message on one channel: SMTP through lettre (STARTTLS, TLS or plain, with
//! credentials read from the environment or a file when sending and never logged), webhooks
//! (Slack, Microsoft Teams, or generic JSON signed with an HMAC-SHA256 header) and a folder of
//! files. In: a channel and an envelope (idempotency key, recipients, rendered message); out:
//! success or a `DeliveryError` naming the channel and its target, never a secret.
//!
//! Every message carries its idempotency key: as the email's Message-ID (and an
//! `X-Vigil-Idempotency-Key` header), as the webhook's `Idempotency-Key` header, as the folder
//! file's name; a receiver seeing it twice can drop the repeat.

use super::render::Rendered;
use crate::config::alerting::{
    Channel, ChannelKind, Folder, Security, Smtp, Webhook, WebhookStyle,
};
use std::time::Duration;

/// What is sent.
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'a> {
    pub key: &'a str,
    pub recipients: &'a [String],
    pub rendered: &'a Rendered,
}

/// A failed delivery.
#[derive(Debug, thiserror::Error)]
#[error("channel {channel} ({target}): {message}")]
pub struct DeliveryError {
    pub channel: String,
    /// The server or host sent to (a webhook's path is left out: it may hold its token).
    pub target: String,
    pub message: String,
}

/// Largest webhook response read (its body only feeds the error message).
const MAX_RESPONSE_BYTES: usize = 4 * 1024;

/// Builds the HTTP client for webhooks: no redirects (a webhook that redirects is misconfigured,
/// and following it would carry the signed body elsewhere), bounded time.
pub fn http_client() -> Result<reqwest::Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("Vigil/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())
}

/// Sends `envelope` on `channel`.
pub async fn send(
    channel: &Channel,
    envelope: &Envelope<'_>,
    http: &reqwest::Client,
) -> Result<(), DeliveryError> {
    match &channel.kind {
        ChannelKind::Email(smtp) => send_email(&channel.name, smtp, envelope).await,
        ChannelKind::Webhook(hook) => send_webhook(&channel.name, hook, envelope, http).await,
        ChannelKind::Folder(folder) => write_folder(&channel.name, folder, envelope),
    }
}

/// The Message-ID of a key: stable, so a resend carries the same one.
pub fn message_id(key: &str, from: &str) -> String {
    let domain = from
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>').trim())
        .filter(|d| !d.is_empty())
        .unwrap_or("vigil.invalid");
    format!(
        "<{:016x}.{:016x}@{domain}>",
        xxhash_rust::xxh3::xxh3_64(key.as_bytes()),
        xxhash_rust::xxh3::xxh3_64_with_seed(key.as_bytes(), 1)
    )
}

/// The email message itself: multipart/alternative with the plain text first and the HTML.
pub fn email_message(smtp: &Smtp, envelope: &Envelope<'_>) -> Result<lettre::Message, String> {
    use lettre::message::header::{HeaderName, HeaderValue};
    let recipients: &[String] = if envelope.recipients.is_empty() {
        &smtp.to
    } else {
        envelope.recipients
    };
    if recipients.is_empty() {
        return Err(
            "no recipients: set `to` on the channel or `recipients` on the schedule".into(),
        );
    }
    let mut builder = lettre::Message::builder()
        .from(smtp.from.parse().map_err(|e| format!("from: {e}"))?)
        .subject(envelope.rendered.subject.clone())
        .message_id(Some(message_id(envelope.key, &smtp.from)))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("X-Vigil-Idempotency-Key"),
            envelope.key.to_string(),
        ))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".to_string(),
        ));
    for to in recipients {
        builder = builder.to(to.parse().map_err(|e| format!("recipient {to:?}: {e}"))?);
    }
    builder
        .multipart(lettre::message::MultiPart::alternative_plain_html(
            envelope.rendered.text.clone(),
            envelope.rendered.html.clone(),
        ))
        .map_err(|e| e.to_string())
}

async fn send_email(name: &str, smtp: &Smtp, envelope: &Envelope<'_>) -> Result<(), DeliveryError> {
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
    use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
    let fail = |message: String| DeliveryError {
        channel: name.to_string(),
        target: format!("smtp {}:{}", smtp.host, smtp.port),
        message,
    };
    let message = email_message(smtp, envelope).map_err(fail)?;
    let tls = || -> Result<TlsParameters, String> {
        let mut builder = TlsParameters::builder(smtp.host.clone());
        if let Some(file) = &smtp.ca_file {
            let pem = std::fs::read_to_string(file)
                .map_err(|e| format!("ca_file {}: {e}", file.display()))?;
            for block in pem.split_inclusive("-----END CERTIFICATE-----") {
                if block.contains("-----BEGIN CERTIFICATE-----") {
                    let certificate = Certificate::from_pem(block.trim().as_bytes())
                        .map_err(|e| format!("ca_file {}: {e}", file.display()))?;
                    builder = builder.add_root_certificate(certificate);
                }
            }
        }
        builder.build_rustls().map_err(|e| e.to_string())
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
        .port(smtp.port)
        .timeout(Some(smtp.timeout));
    builder = match smtp.security {
        Security::Starttls => builder.tls(Tls::Required(tls().map_err(fail)?)),
        Security::Tls => builder.tls(Tls::Wrapper(tls().map_err(fail)?)),
        Security::None => builder.tls(Tls::None),
    };
    if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
        let password = password.read().map_err(fail)?;
        builder = builder.credentials(Credentials::new(
            user.clone(),
            password.expose().to_string(),
        ));
    }
    let transport = builder.build();
    // lettre's timeout covers each read and write; bound the whole exchange too.
    let total = smtp.timeout * 4;
    match tokio::time::timeout(total, transport.send(message)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(fail(error_chain(&error))),
        Err(_) => Err(fail(format!("no answer within {total:?}"))),
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        out.push_str(": ");
        out.push_str(&e.to_string());
        source = e.source();
    }
    out
}

/// `sha256=<hex>`: the HMAC-SHA256 of the body under the secret.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let tag = ring::hmac::sign(&key, body);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// `text` with a webhook's address hidden in any spelling: the address as configured and as
/// parsed (lower-cased scheme and host, normalised), its path and query (where Slack and Teams
/// keep the token) and any credentials in it.
fn hide_webhook(text: &str, url: &str) -> String {
    let mut secrets = crate::text::url_secrets(url);
    secrets.push(url.to_string());
    if let Ok(parsed) = url::Url::parse(url) {
        secrets.push(parsed.to_string());
        let path = parsed.path();
        if path.len() > 1 {
            secrets.push(path.to_string());
        }
        if let Some(query) = parsed.query() {
            secrets.push(query.to_string());
        }
    }
    secrets.retain(|s| s.len() >= 4);
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let scrubbed = crate::text::scrub(text, &secrets);
    // Case-insensitively too: an upper-case scheme or host must not escape.
    let lower = scrubbed.to_lowercase();
    if secrets.iter().any(|s| lower.contains(&s.to_lowercase())) {
        return "(details withheld: they would show the webhook's address)".to_string();
    }
    scrubbed
}

async fn send_webhook(
    name: &str,
    hook: &Webhook,
    envelope: &Envelope<'_>,
    http: &reqwest::Client,
) -> Result<(), DeliveryError> {
    let mut target = "webhook".to_string();
    let fail = |target: &str, message: String| DeliveryError {
        channel: name.to_string(),
        target: target.to_string(),
        message,
    };
    let url = hook.url.read().map_err(|e| fail(&target, e))?;
    let parsed = url::Url::parse(&url).map_err(|e| fail(&target, format!("bad address: {e}")))?;
    target = format!(
        "{}://{}{}",
        parsed.scheme(),
        parsed.host_str().unwrap_or(""),
        parsed.port().map(|p| format!(":{p}")).unwrap_or_default()
    );
    let body = match hook.style {
        WebhookStyle::Slack => envelope.rendered.slack.clone(),
        WebhookStyle::Teams => envelope.rendered.teams.clone(),
        WebhookStyle::Json => envelope.rendered.json.clone(),
    };
    let mut request = http
        .post(parsed)
        .timeout(hook.timeout)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("Idempotency-Key", envelope.key);
    if let Some(secret) = &hook.secret {
        let secret = secret.read().map_err(|e| fail(&target, e))?;
        request = request.header(
            "X-Vigil-Signature",
            signature(secret.expose().as_bytes(), body.as_bytes()),
        );
    }
    let response = request
        .body(body)
        .send()
        .await
        .map_err(|e| fail(&target, hide_webhook(&error_chain(&e.without_url()), &url)))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let mut text = Vec::new();
    let mut stream = response;
    while let Ok(Some(chunk)) = stream.chunk().await {
        text.extend_from_slice(&chunk);
        if text.len() >= MAX_RESPONSE_BYTES {
            break;
        }
    }
    text.truncate(MAX_RESPONSE_BYTES);
    let said = crate::text::for_terminal(&String::from_utf8_lossy(&text));
    Err(fail(
        &target,
        format!(
            "answered {status}{}",
            if said.trim().is_empty() {
                String::new()
            } else {
                format!(": {}", crate::text::truncate_chars(said.trim(), 300))
            }
        ),
    ))
}

/// A file name from a key: letters, digits, `-` and `_` only.
fn file_stem(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn write_folder(name: &str, folder: &Folder, envelope: &Envelope<'_>) -> Result<(), DeliveryError> {
    let fail = |message: String| DeliveryError {
        channel: name.to_string(),
        target: folder.path.display().to_string(),
        message,
    };
    std::fs::create_dir_all(&folder.path).map_err(|e| fail(e.to_string()))?;
    let stem = file_stem(envelope.key);
    for (extension, content) in [
        ("md", &envelope.rendered.markdown),
        ("html", &envelope.rendered.html),
        ("json", &envelope.rendered.json),
    ] {
        // Written beside, then renamed: a reader never sees half a file.
        let path = folder.path.join(format!("{stem}.{extension}"));
        let partial = folder.path.join(format!(".{stem}.{extension}.partial"));
        std::fs::write(&partial, content)
            .map_err(|e| fail(format!("{}: {e}", partial.display())))?;
        std::fs::rename(&partial, &path).map_err(|e| fail(format!("{}: {e}", path.display())))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_address_never_shows_in_an_error_however_it_was_written() {
        let configured = "HTTPS://Hooks.Example.COM/services/T0/B0/XyZsecret";
        for message in [
            "error sending request for url (https://hooks.example.com/services/T0/B0/XyZsecret)",
            "POST HTTPS://Hooks.Example.COM/services/T0/B0/XyZsecret: connection refused",
            "path /services/T0/B0/XyZsecret not found",
            "at HTTPS://HOOKS.EXAMPLE.COM/SERVICES/T0/B0/XYZSECRET",
        ] {
            let shown = hide_webhook(message, configured);
            assert!(!shown.to_lowercase().contains("xyzsecret"), "{shown}");
        }
        assert_eq!(
            hide_webhook("connection refused", configured),
            "connection refused"
        );
    }

    #[test]
    fn signatures_match_the_rfc_4231_vectors() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn message_ids_are_stable_per_key() {
        let a = message_id(
            "digest-morning-20261130T0630Z/mail",
            "Vigil <vigil@court.example.org>",
        );
        assert_eq!(
            a,
            message_id(
                "digest-morning-20261130T0630Z/mail",
                "Vigil <vigil@court.example.org>"
            )
        );
        assert_ne!(
            a,
            message_id(
                "digest-morning-20261201T0630Z/mail",
                "Vigil <vigil@court.example.org>"
            )
        );
        assert!(a.ends_with("@court.example.org>"), "{a}");
        assert!(message_id("k", "nobody").ends_with("@vigil.invalid>"));
        assert_eq!(file_stem("digest-a/b:c ../x"), "digest-a_b_c____x");
    }

    #[test]
    fn emails_have_both_parts_and_the_key() {
        let smtp = Smtp {
            host: "127.0.0.1".into(),
            port: 25,
            security: Security::None,
            username: None,
            password: None,
            from: "Vigil <vigil@court.example.org>".into(),
            to: vec!["press@court.example.org".into()],
            ca_file: None,
            timeout: Duration::from_secs(5),
        };
        let rendered = Rendered {
            subject: "Vigil digest".into(),
            text: "plain body".into(),
            html: "<p>html body</p>".into(),
            markdown: String::new(),
            json: String::new(),
            slack: String::new(),
            teams: String::new(),
        };
        let envelope = Envelope {
            key: "k1/mail",
            recipients: &[],
            rendered: &rendered,
        };
        let raw = String::from_utf8(email_message(&smtp, &envelope).unwrap().formatted()).unwrap();
        for expected in [
            "Message-ID: <",
            "X-Vigil-Idempotency-Key: k1/mail",
            "multipart/alternative",
            "text/plain",
            "text/html",
            "To: press@court.example.org",
        ] {
            assert!(raw.contains(expected), "{expected} missing from\n{raw}");
        }
        let none = Smtp { to: vec![], ..smtp };
        assert!(email_message(&none, &envelope).is_err());
    }
}
