//! The pages people read: search (facets, a volume chart drawn by the server, paging, export
//! links), narratives and one narrative, sources and digests. Every page is rendered on a
//! blocking thread from the read side; every piece of crawled text goes through `escape_html`.

use super::error::WebError;
use super::search::{self, SearchParams};
use super::{AppState, doc_link, layout, refuse, url_encode};
use crate::auth::Principal;
use crate::detect::narrative::Narrative;
use crate::text::escape_html;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use std::fmt::Write;

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Runs a page renderer on a blocking thread; a panic or join error becomes a 500 page.
pub(crate) async fn blocking<F>(f: F) -> Response
where
    F: FnOnce() -> Response + Send + 'static,
{
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|_| {
        refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The page failed; see the server log.",
        )
    })
}

/// `blocking`, for pages whose cost follows what the user typed: through the gate, under the
/// request budget; a spent budget or a busy server is a 503 page saying so.
pub(crate) async fn budgeted<F>(state: &AppState, f: F) -> Response
where
    F: FnOnce() -> Response + Send + 'static,
{
    match state.gate.run(f).await {
        Ok(response) => response,
        Err(error) => refuse(error.status(), &error.public_message()),
    }
}

/// The query string of `params` with one key replaced (or removed when `value` is empty).
fn with_param(params: &SearchParams, key: &str, value: &str) -> String {
    let mut pairs: Vec<(&str, String)> = vec![
        ("q", params.q.clone()),
        ("since", params.since.clone().unwrap_or_default()),
        ("until", params.until.clone().unwrap_or_default()),
        ("source", params.source.clone().unwrap_or_default()),
        ("kind", params.kind.clone().unwrap_or_default()),
        ("lang", params.lang.clone().unwrap_or_default()),
        ("query", params.query.clone().unwrap_or_default()),
        ("narrative", params.narrative.clone().unwrap_or_default()),
        (
            "sort",
            match params.sort.unwrap_or_default() {
                crate::index::reader::Sort::Relevance => "relevance".into(),
                crate::index::reader::Sort::Newest => String::new(),
            },
        ),
    ];
    for pair in &mut pairs {
        if pair.0 == key {
            pair.1 = value.to_string();
        }
    }
    if key == "offset" && !value.is_empty() {
        pairs.push(("offset", value.to_string()));
    }
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", url_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn option(value: &str, label: &str, selected: bool) -> String {
    format!(
        "<option value=\"{}\"{}>{}</option>",
        escape_html(value),
        if selected { " selected" } else { "" },
        escape_html(label)
    )
}

pub async fn search_page(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<SearchParams>,
) -> Response {
    let gate = state.clone();
    budgeted(&gate, move || render_search(&state, &principal, &params)).await
}

fn render_search(state: &AppState, principal: &Principal, params: &SearchParams) -> Response {
    let read = &state.read;
    let mut out = String::new();
    let sort_relevance = params.sort == Some(crate::index::reader::Sort::Relevance);
    let _ = write!(
        out,
        "<h1>Search</h1><form class=search method=get action=\"/\" role=search>\
         <input type=search name=q value=\"{}\" placeholder='\"Karim Khan\" NEAR/5 (bribe* OR corrupt*)' aria-label=\"query\" autofocus>\
         <input name=since value=\"{}\" placeholder=\"since: 7d or 2026-11-01\" size=16 aria-label=\"since\">\
         <input name=until value=\"{}\" placeholder=\"until\" size=12 aria-label=\"until\">",
        escape_html(&params.q),
        escape_html(params.since.as_deref().unwrap_or("")),
        escape_html(params.until.as_deref().unwrap_or("")),
    );
    let _ = write!(
        out,
        "<select name=query aria-label=\"stored query\">{}",
        option("", "any stored query", false)
    );
    for q in read.queries().iter() {
        out.push_str(&option(
            &q.id,
            &q.title,
            params.query.as_deref() == Some(q.id.as_str()),
        ));
    }
    let _ = write!(
        out,
        "</select><select name=sort aria-label=\"sort\">{}{}</select>",
        option("newest", "newest", !sort_relevance),
        option("relevance", "relevance", sort_relevance)
    );
    for (name, value) in [
        ("source", &params.source),
        ("kind", &params.kind),
        ("lang", &params.lang),
        ("narrative", &params.narrative),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            let _ = write!(
                out,
                "<input type=hidden name={name} value=\"{}\">",
                escape_html(v)
            );
        }
    }
    out.push_str("<button type=submit>Search</button></form>");
    if params.is_empty() {
        out.push_str("<p class=meta>Search the coverage with the query language (<code>AND</code>, <code>OR</code>, <code>NOT</code>, <code>\"phrases\"</code>, <code>NEAR/5</code>, <code>word*</code>, <code>title:</code>, <code>site:</code>, <code>lang:</code>, <code>$officials</code>), or pick a stored query.</p>");
        let _ = write!(
            out,
            "<p class=meta>{} documents indexed.</p>",
            read.reader.num_docs()
        );
        return layout("Search", principal, "Search", &out).into_response();
    }
    let results = match search::run(read, params, search::MAX_LIMIT) {
        Ok(results) => results,
        Err(WebError::BadRequest(message)) => {
            let _ = write!(
                out,
                "<pre class=error role=alert>{}</pre>",
                escape_html(&message)
            );
            return layout("Search", principal, "Search", &out).into_response();
        }
        Err(error) => return refuse(error.status(), &error.public_message()),
    };
    for note in crate::query::syntax::reading_notes(&params.q) {
        let _ = write!(
            out,
            "<p class=meta role=note>Note: {}</p>",
            escape_html(&note)
        );
    }
    let stats = search::stats(read, params).ok();
    let query_string = with_param(params, "", "");
    let _ = write!(
        out,
        "<p class=meta>{} results · export <a href=\"/export.csv?{qs}\">CSV</a> · <a href=\"/api/search?{qs}&amp;limit=200\">JSON</a></p>",
        results.total,
        qs = escape_html(&query_string)
    );
    if let Some(stats) = &stats {
        let bars: Vec<(String, usize)> = stats
            .volume
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let t = stats.volume_start + Duration::seconds(stats.bucket_secs * i as i64);
                let label = if stats.bucket_secs >= 86_400 {
                    t.format("%m-%d").to_string()
                } else {
                    t.format("%d %Hh").to_string()
                };
                (label, *n as usize)
            })
            .collect();
        let _ = write!(
            out,
            "<div class=chart>{}</div>",
            crate::chart::bars_svg("Results over time", &bars)
        );
    }
    out.push_str("<div class=layout><section aria-label=\"results\">");
    for hit in &results.hits {
        let _ = write!(
            out,
            "<article class=hit><div>{}</div><div class=meta>{} · {} · {} · {}</div><div>{}</div></article>",
            doc_link(&hit.title.to_html(), &hit.url),
            escape_html(&hit.source),
            escape_html(&hit.kind),
            time(hit.published),
            escape_html(&hit.lang),
            hit.snippet.to_html()
        );
    }
    let offset = params.offset.unwrap_or(0);
    let limit = params.limit.unwrap_or(20).clamp(1, search::MAX_LIMIT);
    out.push_str("<nav class=pager aria-label=\"pages\">");
    if offset > 0 {
        let _ = write!(
            out,
            "<a rel=prev href=\"/?{}\">← newer</a>",
            escape_html(&with_param(
                params,
                "offset",
                &offset.saturating_sub(limit).to_string()
            ))
        );
    }
    if offset + limit < results.total {
        let _ = write!(
            out,
            "<a rel=next href=\"/?{}\">older →</a>",
            escape_html(&with_param(params, "offset", &(offset + limit).to_string()))
        );
    }
    out.push_str("</nav></section><aside class=facets aria-label=\"filters\">");
    if let Some(stats) = &stats {
        for (title, key, values, current) in [
            ("Sources", "source", &stats.sources, &params.source),
            ("Kinds", "kind", &stats.kinds, &params.kind),
            ("Languages", "lang", &stats.langs, &params.lang),
        ] {
            let _ = write!(out, "<h3>{title}</h3><ul>");
            if current.as_deref().is_some_and(|c| !c.is_empty()) {
                let _ = write!(
                    out,
                    "<li><a href=\"/?{}\">× any</a></li>",
                    escape_html(&with_param(params, key, ""))
                );
            }
            for (value, n) in values.iter().take(12) {
                let _ = write!(
                    out,
                    "<li><a href=\"/?{}\">{}</a> <span class=meta>{n}</span></li>",
                    escape_html(&with_param(params, key, value)),
                    escape_html(value)
                );
            }
            out.push_str("</ul>");
        }
    }
    out.push_str("</aside></div>");
    layout("Search", principal, "Search", &out).into_response()
}

#[derive(Deserialize, Default)]
pub struct SinceParams {
    #[serde(default)]
    pub since: Option<String>,
}

/// Narratives active since `since` (default a week), most urgent first.
pub fn narratives_since(state: &AppState, since: Option<&str>) -> Result<Vec<Narrative>, WebError> {
    let now = Utc::now();
    let start = search::parse_time(since.unwrap_or("7d"), now)
        .map_err(|e| WebError::BadRequest(format!("since: {e}")))?;
    if now - start > chrono::Duration::days(search::MAX_NARRATIVE_DAYS) {
        return Err(WebError::BadRequest(format!(
            "since: narratives cover at most the last {} days",
            search::MAX_NARRATIVE_DAYS
        )));
    }
    Ok(state.read.narratives(start, now)?)
}

fn badges(n: &Narrative) -> String {
    let mut out = String::new();
    if n.urgent {
        out.push_str("<span class=\"badge urgent\">urgent</span>");
    }
    let _ = write!(out, "<span class=badge>{}</span>", n.state.as_str());
    if !n.amplifiers.is_empty() {
        let _ = write!(
            out,
            "<span class=badge title=\"amplifier networks\">coordinated: {}</span>",
            n.amplifiers.iter().map(|a| a.members.len()).sum::<usize>()
        );
    }
    if n.copy_paste.iter().any(|c| !c.syndicated) {
        out.push_str("<span class=badge>copy-paste</span>");
    } else if !n.copy_paste.is_empty() {
        out.push_str(
            "<span class=badge title=\"outlets carrying the same report\">syndicated</span>",
        );
    }
    for t in &n.disarm {
        let _ = write!(
            out,
            "<span class=badge title=\"{}\">{}</span>",
            escape_html(&t.name),
            escape_html(&t.id)
        );
    }
    out
}

fn spark(n: &Narrative) -> String {
    let counts: Vec<usize> = n.volume.iter().map(|c| *c as usize).collect();
    crate::query::tune::sparkline(&counts)
}

pub async fn narratives_page(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<SinceParams>,
) -> Response {
    blocking(move || {
        let mut out = format!(
            "<h1>Narratives</h1><p class=meta>{}</p>",
            escape_html(crate::alert::render::JUDGE)
        );
        let since = params.since.clone().unwrap_or_else(|| "7d".into());
        let _ = write!(
            out,
            "<form class=search method=get action=\"/narratives\"><label>Active since <input name=since value=\"{}\" size=10></label><button type=submit>Show</button></form>",
            escape_html(&since)
        );
        match narratives_since(&state, Some(&since)) {
            Err(WebError::BadRequest(message)) => {
                let _ = write!(out, "<p class=error>{}</p>", escape_html(&message));
            }
            Err(error) => return refuse(error.status(), &error.public_message()),
            Ok(list) if list.is_empty() => out.push_str("<p>No narratives in this period.</p>"),
            Ok(list) => {
                out.push_str("<table><thead><tr><th>Narrative</th><th>72 h</th><th>First seen</th><th>Documents</th><th>Sources</th><th>Languages</th></tr></thead><tbody>");
                for n in &list {
                    let _ = write!(
                        out,
                        "<tr><td class=headline><a href=\"/narratives/{}\">{}</a><br>{}</td><td class=spark>{}</td><td>{}<br><span class=meta>{}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        escape_html(&url_encode(&n.id)),
                        escape_html(&n.headline()),
                        badges(n),
                        spark(n),
                        time(n.first_seen.published),
                        escape_html(&n.first_seen.source),
                        n.documents,
                        n.sources.len(),
                        escape_html(&n.languages.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>().join(", "))
                    );
                }
                out.push_str("</tbody></table>");
            }
        }
        layout("Narratives", &principal, "Narratives", &out).into_response()
    })
    .await
}

fn tally(out: &mut String, title: &str, items: &[(String, usize)]) {
    let _ = write!(out, "<h3>{title}</h3><p>");
    let shown: Vec<String> = items
        .iter()
        .take(15)
        .map(|(k, n)| format!("{} ({n})", escape_html(k)))
        .collect();
    out.push_str(&shown.join(", "));
    out.push_str("</p>");
}

pub async fn narrative_page(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Response {
    blocking(move || {
        let found = state.read.narrative(&id, Utc::now());
        let n = match found {
            Ok(Some(n)) => n,
            Ok(None) => return refuse(StatusCode::NOT_FOUND, "No such narrative."),
            Err(e) => {
                let error = WebError::from(e);
                return refuse(error.status(), &error.public_message());
            }
        };
        let mut out = String::new();
        let _ = write!(
            out,
            "<h1>{}</h1><p>{}</p><p class=meta>{} documents · id {} · <a href=\"/?narrative={}\">search its documents</a></p><p class=meta>{}</p>",
            escape_html(&n.headline()),
            badges(&n),
            n.documents,
            escape_html(&n.id),
            escape_html(&url_encode(&n.id)),
            escape_html(crate::alert::render::JUDGE)
        );
        let bars: Vec<(String, usize)> = n
            .volume
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let t = n.volume_start + Duration::hours(i as i64);
                (t.format("%d %Hh").to_string(), *c as usize)
            })
            .collect();
        let _ = write!(out, "<div class=chart>{}</div>", crate::chart::bars_svg("Documents per hour, last 72 hours", &bars));
        let _ = write!(
            out,
            "<div class=card><p><strong>First seen</strong> {} in {}: {}</p><p><strong>Representative</strong>: {}</p></div>",
            time(n.first_seen.published),
            escape_html(&n.first_seen.source),
            doc_link(&escape_html(&n.first_seen.title), &n.first_seen.url),
            doc_link(&escape_html(&n.representative.title), &n.representative.url)
        );
        for r in &n.rebuttals {
            let target = match &r.url {
                Some(url) => doc_link(&escape_html(&r.text), url),
                None => escape_html(&r.text),
            };
            let _ = write!(out, "<div class=card><strong>Rebuttal</strong> ({}) {target}", escape_html(&r.query));
            if let (Some(article), Some(text)) = (&r.article, &r.article_text) {
                let _ = write!(out, "<details><summary>{}</summary><p>{}</p></details>", escape_html(article), escape_html(text));
            }
            out.push_str("</div>");
        }
        if let Some(visible) = &n.visible {
            let _ = write!(out, "<p class=\"visible\">{}</p>", escape_html(&visible.describe()));
        }
        if let Some(among) = &n.among_accounts {
            let _ = write!(out, "<p class=\"visible\">{}</p>", escape_html(&among.describe()));
        }
        if !n.spikes.is_empty() {
            out.push_str("<h2>Spikes</h2><ul>");
            for e in crate::detect::spike::episodes(&n.spikes) {
                let s = &e.peak;
                let when = if e.hours == 1 {
                    format!("the {} h to {}", s.window_hours, time(e.start))
                } else {
                    format!("{} to {} ({} hours)", time(e.start), time(e.end), e.hours)
                };
                let _ = write!(
                    out,
                    "<li>{when}: peak {} in {} h (expected {:.1}, p = {:.1e}){}{}</li>",
                    s.count,
                    s.window_hours,
                    s.expected,
                    s.p_value,
                    if s.urgent { " — <strong>unexplained burst</strong>" } else { "" },
                    s.event.as_deref().map(|e| format!(" — during {}", escape_html(e))).unwrap_or_default()
                );
            }
            out.push_str("</ul>");
        }
        if !n.disarm.is_empty() {
            out.push_str("<h2>DISARM techniques</h2><ul>");
            for t in &n.disarm {
                let _ = write!(out, "<li><strong>{}</strong> {}: {}</li>", escape_html(&t.id), escape_html(&t.name), escape_html(&t.why));
            }
            out.push_str("</ul>");
        }
        if !n.amplifiers.is_empty() {
            out.push_str("<h2>Amplifier networks</h2>");
            for (i, a) in n.amplifiers.iter().enumerate() {
                let _ = write!(
                    out,
                    "<div class=card><strong>Network {}</strong>: {} accounts<p>{}</p><p class=meta>shared: {}</p></div>",
                    i + 1,
                    a.members.len(),
                    a.members.iter().map(|m| escape_html(m)).collect::<Vec<_>>().join(", "),
                    a.objects.iter().take(10).map(|o| escape_html(o)).collect::<Vec<_>>().join(" · ")
                );
            }
        }
        if !n.copy_paste.is_empty() {
            out.push_str("<h2>Copies</h2><ul>");
            for c in &n.copy_paste {
                let _ = write!(
                    out,
                    "<li><strong>{}</strong>: {} ({} documents; {}), e.g. {}</li>",
                    if c.syndicated { "syndicated" } else { "copy-paste" },
                    escape_html(&c.evidence),
                    c.documents,
                    escape_html(&c.platforms.join(", ")),
                    doc_link(&escape_html(&c.example.title), &c.example.url)
                );
            }
            out.push_str("</ul>");
        }
        out.push_str("<h2>Where</h2>");
        tally(&mut out, "Sources", &n.sources);
        tally(&mut out, "Domains", &n.domains);
        tally(&mut out, "Platforms", &n.platforms);
        tally(&mut out, "Languages", &n.languages);
        tally(&mut out, "Stored queries", &n.queries);
        out.push_str(&super::evidence::panel(&state, &principal, &n.id));
        out.push_str("<h2>Newest documents</h2>");
        for d in &n.samples {
            let _ = write!(
                out,
                "<article class=hit><div>{}</div><div class=meta>{} · {}</div></article>",
                doc_link(&escape_html(&d.title), &d.url),
                escape_html(&d.source),
                time(d.published)
            );
        }
        layout(&n.headline(), &principal, "Narratives", &out).into_response()
    })
    .await
}

pub async fn sources_page(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Response {
    blocking(move || {
        let mut out = String::from("<h1>Sources</h1>");
        match crate::health::source_statuses(&state.config, &state.read, Utc::now()) {
            Err(e) => {
                let _ = write!(out, "<p class=error>{}</p>", escape_html(&e.to_string()));
            }
            Ok(rows) => {
                out.push_str("<table><thead><tr><th>Source</th><th>Health</th><th>Items/day</th><th>Last success</th><th>Next poll</th><th>Last error</th></tr></thead><tbody>");
                let t = |t: Option<DateTime<Utc>>| t.map(time).unwrap_or_else(|| "—".into());
                for r in &rows {
                    let _ = write!(
                        out,
                        "<tr><td>{}<br><span class=meta>{}</span></td><td><span class=badge>{}</span></td><td>{:.1}</td><td>{}</td><td>{}</td><td class=meta>{}</td></tr>",
                        escape_html(&r.name),
                        escape_html(&crate::text::link_domain(&r.url)),
                        r.health.as_str(),
                        r.items_per_day,
                        t(r.last_success),
                        t(r.next_poll),
                        escape_html(&crate::text::truncate_chars(
                            &r.last_error.clone().or_else(|| r.losses()).unwrap_or_default(),
                            200
                        ))
                    );
                }
                out.push_str("</tbody></table>");
            }
        }
        layout("Sources", &principal, "Sources", &out).into_response()
    })
    .await
}

pub async fn digests_page(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Response {
    blocking(move || {
        let mut out = String::from("<h1>Digests</h1>");
        let schedules = &state.config.alerting.schedules;
        out.push_str("<h2>Next digests</h2>");
        if schedules.is_empty() {
            out.push_str("<p>No schedules configured (<code>[[schedules]]</code> in vigil.toml). <a href=\"/digests/preview\">Preview a digest of the last 24 hours</a>.</p>");
        }
        for s in schedules {
            let next = crate::alert::schedule::next_slot(s, Utc::now());
            let _ = write!(
                out,
                "<p><strong>{}</strong> <code>{}</code> ({}) next {} → {} · <a href=\"/digests/preview?schedule={}\">preview</a></p>",
                escape_html(&s.name),
                escape_html(&s.cron_text),
                escape_html(s.timezone.name()),
                next.map(time).unwrap_or_else(|| "—".into()),
                escape_html(&s.channels.join(", ")),
                escape_html(&url_encode(&s.name))
            );
        }
        out.push_str("<h2>Sent and pending</h2>");
        match state
            .read
            .store
            .outbox_without(100, super::hidden_origin(&principal))
        {
            Err(e) => {
                let _ = write!(out, "<p class=error>{}</p>", escape_html(&e.to_string()));
            }
            Ok(entries) if entries.is_empty() => out.push_str("<p>Nothing sent yet.</p>"),
            Ok(entries) => {
                out.push_str("<table><thead><tr><th>Created</th><th>What</th><th>Channel</th><th>State</th><th>Subject</th></tr></thead><tbody>");
                for e in &entries {
                    let state_text = match e.state.as_str() {
                        "sent" => format!("sent {}", e.sent_at.map(time).unwrap_or_default()),
                        "pending" if e.attempts > 0 => format!(
                            "pending: attempt {} failed ({}), next {}",
                            e.attempts,
                            e.last_error.as_deref().unwrap_or(""),
                            time(e.next_attempt)
                        ),
                        other => format!("{other} {}", e.last_error.as_deref().unwrap_or("")),
                    };
                    let _ = write!(
                        out,
                        "<tr><td>{}</td><td>{} ({})</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        time(e.created),
                        escape_html(&e.kind),
                        escape_html(&e.origin),
                        escape_html(&e.channel),
                        escape_html(&state_text),
                        escape_html(&e.subject)
                    );
                }
                out.push_str("</tbody></table>");
            }
        }
        layout("Digests", &principal, "Digests", &out).into_response()
    })
    .await
}

#[derive(Deserialize, Default)]
pub struct PreviewParams {
    #[serde(default)]
    pub schedule: Option<String>,
}

/// The digest a schedule would send now (or of the last 24 hours), built over the period since
/// its last slot.
pub fn preview(
    state: &AppState,
    schedule: Option<&str>,
) -> Result<crate::alert::digest::Digest, WebError> {
    let now = Utc::now();
    match schedule.filter(|s| !s.is_empty()) {
        Some(name) => {
            let s = state
                .config
                .alerting
                .schedule(name)
                .ok_or_else(|| WebError::BadRequest(format!("no schedule {name:?}")))?;
            let last = state.read.store.schedule_last_slot(name)?;
            let (start, _) = crate::alert::schedule::period(s, now, last);
            Ok(crate::alert::schedule_digest(
                &state.read,
                &state.config,
                s,
                start,
                now,
            )?)
        }
        None => Ok(crate::alert::digest::build(
            &state.read,
            &state.config,
            &crate::alert::digest::Selection::all(),
            now - Duration::hours(24),
            now,
        )?),
    }
}

/// The preview as the email's HTML: its inline styles are allowed on this page only, and it
/// still runs no script.
pub async fn digest_preview(
    State(state): State<AppState>,
    Extension(_principal): Extension<Principal>,
    Query(params): Query<PreviewParams>,
) -> Response {
    blocking(move || match preview(&state, params.schedule.as_deref()) {
        Err(error) => refuse(error.status(), &error.public_message()),
        Ok(digest) => {
            let mut response = Html(crate::alert::render::html(&digest)).into_response();
            response.headers_mut().insert(
                "content-security-policy",
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
                ),
            );
            response
        }
    })
    .await
}
