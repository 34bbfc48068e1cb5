//! Signing in and out: the login form (with its own CSRF token, a double-submit cookie), login
//! throttling per user and per address, the session cookie, and finding the signed-in user of a
//! request from its cookie or its API token.

use super::{AppState, Client, refuse};
use crate::auth::Principal;
use crate::store::Store;
use crate::text::escape_html;
use axum::Extension;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;

pub const SESSION_COOKIE: &str = "vigil_session";
const LOGIN_COOKIE: &str = "vigil_login";

/// A cookie's value from the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The signed-in user: an API token (`Authorization: Bearer`) or a session cookie.
pub fn principal(store: &Store, headers: &HeaderMap) -> Option<Principal> {
    let now = Utc::now();
    if let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return store.api_token(token.trim(), now).ok().flatten();
    }
    let id = cookie(headers, SESSION_COOKIE)?;
    store.session(id, now).ok().flatten()
}

/// Compares secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Whether a form's CSRF token is the session's. API-token requests carry no cookie, so
/// another site cannot forge them, and need none.
pub fn csrf_ok(principal: &Principal, token: &str) -> bool {
    match &principal.csrf {
        None => true,
        Some(expected) => same_secret(expected, token),
    }
}

fn cookie_header(
    state: &AppState,
    headers: &HeaderMap,
    name: &str,
    value: &str,
    max_age: i64,
) -> HeaderValue {
    let secure = state.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let text = format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// Only a plain local path may be a redirect target: no scheme, no authority in any spelling
/// (`//host`, `/\\host`, `/<TAB>/host`, which browsers read as `//host`), no control character.
/// The target is resolved as a browser would resolve it, against a placeholder origin, and must
/// stay there; it comes back as the resolved, percent-encoded path and query.
fn local_target(next: Option<&str>) -> String {
    let Some(next) = next else {
        return "/".to_string();
    };
    let plain = next.starts_with('/')
        && !next.starts_with("//")
        && !next
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    let origin = url::Url::parse("http://vigil.invalid/").expect("a constant URL");
    match origin.join(next) {
        Ok(url) if plain && url.origin() == origin.origin() && url.username().is_empty() => {
            match url.query() {
                Some(query) => format!("{}?{query}", url.path()),
                None => url.path().to_string(),
            }
        }
        _ => "/".to_string(),
    }
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
}

fn login_form(token: &str, next: &str, message: Option<&str>) -> String {
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width,initial-scale=1\"><title>Sign in · Vigil</title><link rel=stylesheet href=\"/style.css\"></head>\
         <body><main id=main class=narrow><h1>Vigil</h1>{}<form class=card method=post action=\"/login\">\
         <p><label for=user>User</label><br><input id=user name=user autocomplete=username required autofocus></p>\
         <p><label for=password>Password</label><br><input id=password name=password type=password autocomplete=current-password required></p>\
         <input type=hidden name=csrf value=\"{}\"><input type=hidden name=next value=\"{}\"><button type=submit>Sign in</button></form></main></body></html>",
        message
            .map(|m| format!("<p class=error role=alert>{}</p>", escape_html(m)))
            .unwrap_or_default(),
        escape_html(token),
        escape_html(next)
    )
}

pub async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Response {
    let token = crate::auth::random_hex(16);
    let next = local_target(query.next.as_deref());
    let mut response = Html(login_form(&token, &next, None)).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        cookie_header(&state, &headers, LOGIN_COOKIE, &token, 3_600),
    );
    response
}

#[derive(Deserialize)]
pub struct LoginForm {
    user: String,
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: Option<String>,
}

/// How long a throttled sign-in waits before its refusal is sent.
const THROTTLED_DELAY: std::time::Duration = std::time::Duration::from_secs(1);

/// How long a sign-in waits for a free password check before it is told to retry.
const LOGIN_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

fn login_refused(
    form: &LoginForm,
    next: &str,
    message: &str,
    retry_secs: &'static str,
) -> Response {
    let mut response = Html(login_form(&form.csrf, next, Some(message))).into_response();
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static(retry_secs));
    response
}

pub async fn login(
    State(state): State<AppState>,
    Extension(Client(address)): Extension<Client>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = local_target(form.next.as_deref());
    // The login form's token must match its cookie: another site cannot sign a browser in
    // under the attacker's account.
    if !cookie(&headers, LOGIN_COOKIE).is_some_and(|c| same_secret(c, &form.csrf)) {
        return refuse(
            StatusCode::FORBIDDEN,
            "The sign-in form expired or came from another site. Reload the page and try again.",
        );
    }
    let user: String = form.user.trim().chars().take(64).collect();
    let now = std::time::Instant::now();
    let Some(attempt) = state.limiter.begin(&user, &address, now) else {
        // Once a minute per user and address in the audit log, not once per attempt: a flood
        // must not grow the database by a row a request.
        if state.limiter.report_refusal(&user, &address, now) {
            let store = state.store.clone();
            let (u, a) = (user.clone(), address.clone());
            let _ = tokio::task::spawn_blocking(move || {
                store.audit(
                    &u,
                    "login throttled",
                    "further refusals within a minute not logged",
                    &a,
                )
            })
            .await;
        }
        // Answered late: a client that floods sign-ins waits for each refusal, so its flood
        // slows to a trickle at the cost of one timer here.
        tokio::time::sleep(THROTTLED_DELAY).await;
        return login_refused(
            &form,
            &next,
            "Too many failed sign-ins. Wait a few minutes and try again.",
            "900",
        );
    };
    // A few password checks at a time (argon2id holds 19 MiB for each); the rest wait briefly.
    let permit = match tokio::time::timeout(LOGIN_WAIT, state.logins.clone().acquire_owned()).await
    {
        Ok(Ok(permit)) => permit,
        _ => {
            state.limiter.succeeded(attempt);
            return login_refused(
                &form,
                &next,
                "The server is busy with other sign-ins. Try again in a moment.",
                "2",
            );
        }
    };
    let store = state.store.clone();
    let (u, password, a) = (user.clone(), form.password.clone(), address.clone());
    let outcome = tokio::task::spawn_blocking(move || {
        let role = crate::auth::check_password(&store, &u, &password);
        drop(permit);
        match role? {
            Some(_) => {
                let (id, _) = crate::auth::create_session(&store, &u, Utc::now())?;
                store.audit(&u, "login", "ok", &a)?;
                Ok::<_, crate::store::StoreError>(Some(id))
            }
            None => {
                store.audit(&u, "login failed", "", &a)?;
                Ok(None)
            }
        }
    })
    .await;
    match outcome {
        Ok(Ok(Some(id))) => {
            state.limiter.succeeded(attempt);
            let mut response = Redirect::to(&next).into_response();
            let headers_out = response.headers_mut();
            headers_out.append(
                header::SET_COOKIE,
                cookie_header(
                    &state,
                    &headers,
                    SESSION_COOKIE,
                    &id,
                    crate::auth::SESSION_HOURS * 3_600,
                ),
            );
            headers_out.append(
                header::SET_COOKIE,
                cookie_header(&state, &headers, LOGIN_COOKIE, "", 0),
            );
            response
        }
        Ok(Ok(None)) => {
            let mut response = Html(login_form(
                &form.csrf,
                &next,
                Some("Unknown user or wrong password."),
            ))
            .into_response();
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            response
        }
        _ => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Signing in failed; see the server log.",
        ),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !csrf_ok(&principal, &form.csrf) {
        return refuse(StatusCode::FORBIDDEN, "The form expired; reload the page.");
    }
    if let Some(id) = cookie(&headers, SESSION_COOKIE).map(str::to_string) {
        let store = state.store.clone();
        let user = principal.user.clone();
        let _ = tokio::task::spawn_blocking(move || {
            let _ = store.end_session(&id);
            store.audit(&user, "logout", "", "")
        })
        .await;
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        cookie_header(&state, &headers, SESSION_COOKIE, "", 0),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_stay_on_this_site_and_cookies_parse() {
        let cases = [
            (Some("/narratives?since=7d"), "/narratives?since=7d"),
            (Some("//evil.example.org/x"), "/"),
            (Some("https://evil.example.org/"), "/"),
            (Some("/\\evil.example.org"), "/"),
            (Some("/\t/evil.example"), "/"),
            (Some("/\n/evil.example"), "/"),
            (Some("/x\r\nSet-Cookie: a=b"), "/"),
            (Some("/%09/evil.example"), "/%09/evil.example"),
            (Some("https:evil.example"), "/"),
            (Some("/ /evil.example"), "/"),
            (Some("/\u{3000}/evil.example"), "/"),
            (Some("/queries/a b"), "/"),
            (
                Some("/search?q=caf%C3%A9&since=7d#frag"),
                "/search?q=caf%C3%A9&since=7d",
            ),
            (Some("/../../etc/passwd"), "/etc/passwd"),
            (Some("/narratives/é"), "/narratives/%C3%A9"),
            (None, "/"),
        ];
        for (next, expected) in cases {
            assert_eq!(local_target(next), expected, "{next:?}");
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; vigil_session=abc; b=2"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "missing"), None);
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("a", "ab"));
    }
}
