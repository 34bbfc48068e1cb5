//! The query workbench for analysts: a stored query's file edited in place, then run before it
//! is saved: its backtest chart and newest matches, the explain tree with each clause's count,
//! the difference against the stored version, and its examples. Saving (analysts and admins)
//! writes `queries/<id>.toml` whole, so comments survive, and goes into the audit log;
//! downloading gives the edited TOML.

use super::pages::blocking;
use super::session::csrf_ok;
use super::{AppState, Client, allowed, doc_link, layout, refuse, url_encode};
use crate::auth::{Principal, Role};
use crate::query::stored::StoredQuery;
use crate::text::escape_html;
use axum::Extension;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use std::fmt::Write;
use std::sync::Arc;

/// Largest query file accepted from the form.
const MAX_TOML_BYTES: usize = 64 * 1024;

/// A query id: 1 to 64 of a-z, 0-9, `-` and `_`, and not a reserved file's name.
fn valid_id(id: &str) -> bool {
    !crate::query::stored::reserved_id(id)
        && (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn file_of(state: &AppState, id: &str) -> std::path::PathBuf {
    state.config.queries_dir.join(format!("{id}.toml"))
}

/// Parses and compiles an edited file as if it were `queries/<id>.toml`.
fn check(state: &AppState, id: &str, text: &str) -> Result<StoredQuery, String> {
    let lists = Arc::clone(&state.read.lists);
    crate::query::stored::load_text(text, &file_of(state, id), state.read.reader.index(), &lists)
        .map_err(|e| e.message)
}

pub async fn list_page(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Response {
    blocking(move || {
        let mut out = String::from("<h1>Stored queries</h1>");
        if allowed(&principal, Role::Analyst) {
            out.push_str("<p><a href=\"/queries/new\">New query</a> · <a href=\"/queries/lint\">Bring a query from Brandwatch, Meltwater or Talkwalker</a></p>");
        }
        // Read from the folder, so a query saved a moment ago is listed with its new text.
        let lists = Arc::clone(&state.read.lists);
        let mut files: Vec<_> = std::fs::read_dir(&state.config.queries_dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        out.push_str("<table><thead><tr><th>Query</th><th>Severity</th><th>Matches, 7 days</th><th>Query text</th></tr></thead><tbody>");
        let now = Utc::now();
        for path in files {
            if path.extension().is_none_or(|e| e != "toml")
                || path
                    .file_stem()
                    .and_then(|n| n.to_str())
                    .is_some_and(crate::query::stored::reserved_id)
            {
                continue;
            }
            match crate::query::stored::load_file(&path, state.read.reader.index(), &lists) {
                Ok(q) => {
                    let count = state
                        .read
                        .store
                        .count_matches_between(&q.id, now - chrono::Duration::days(7), now)
                        .unwrap_or(0);
                    let _ = write!(
                        out,
                        "<tr><td><a href=\"/queries/{}\">{}</a><br><span class=meta>{}</span></td><td>{}</td><td><a href=\"/?query={}&amp;since=7d\">{count}</a></td><td><code>{}</code></td></tr>",
                        escape_html(&url_encode(&q.id)),
                        escape_html(&q.title),
                        escape_html(&q.id),
                        q.severity.as_str(),
                        escape_html(&url_encode(&q.id)),
                        escape_html(&crate::text::truncate_chars(&q.query_text, 160))
                    );
                }
                Err(e) => {
                    let _ = write!(
                        out,
                        "<tr><td colspan=4 class=error>{}: {} (skipped: the other queries keep running)</td></tr>",
                        escape_html(&path.display().to_string()),
                        escape_html(&e.message)
                    );
                }
            }
        }
        out.push_str("</tbody></table>");
        layout("Queries", &principal, "Queries", &out).into_response()
    })
    .await
}

const TEMPLATE: &str = "id = \"ID\"\ntitle = \"What this query watches\"\ndescription = \"\"\"\nWhy it matters and what it should catch.\n\"\"\"\nquery = '''\n(court OR tribunal) AND (\"void warrant\" OR illegal*)\n'''\nseverity = \"watch\"\n\n[[examples]]\ntitle = \"A headline that must match\"\ntext = \"The court's warrant is void, says the minister.\"\n";

pub async fn new_page(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Response {
    if !allowed(&principal, Role::Analyst) {
        return refuse(
            StatusCode::FORBIDDEN,
            "Only analysts and admins create queries.",
        );
    }
    let body = editor(&state, &principal, None, TEMPLATE, "30d", "");
    layout("New query", &principal, "Queries", &body).into_response()
}

#[derive(Deserialize, Default)]
pub struct LintParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    dialect: String,
}

/// Paste a Brandwatch, Meltwater or Talkwalker query: its Vigil spelling, each change made,
/// what has no equivalent, and whether Vigil reads it (with the caret when not).
pub async fn lint_page(
    Extension(principal): Extension<Principal>,
    axum::extract::Query(params): axum::extract::Query<LintParams>,
) -> Response {
    use crate::query::dialect::{Dialect, translate};
    let dialect = Dialect::parse(&params.dialect).unwrap_or(Dialect::Brandwatch);
    let mut out = String::from("<h1>Bring a query from another tool</h1>");
    let _ = write!(
        out,
        "<form class=search method=get action=\"/queries/lint\"><textarea name=q rows=4 aria-label=\"vendor query\" placeholder='\u{201c}hacked files\u{201d} AND khan NEAR/3f corrupt'>{}</textarea><select name=dialect aria-label=\"dialect\">",
        escape_html(&params.q)
    );
    for (value, label) in [
        ("brandwatch", "Brandwatch"),
        ("meltwater", "Meltwater"),
        ("talkwalker", "Talkwalker"),
    ] {
        let selected = if Dialect::parse(value) == Some(dialect) {
            " selected"
        } else {
            ""
        };
        let _ = write!(out, "<option value={value}{selected}>{label}</option>");
    }
    out.push_str("</select><button type=submit>Translate</button></form>");
    if !params.q.trim().is_empty() {
        if params.q.len() > crate::query::MAX_QUERY_CHARS {
            return refuse(StatusCode::PAYLOAD_TOO_LARGE, "The query is too long.");
        }
        let t = translate(&params.q, dialect);
        out.push_str(&translation_html(&t));
        let verdict = crate::query::syntax::parse(&t.query, &Default::default())
            .and_then(|tree| crate::query::cost::check(&tree));
        match verdict {
            Ok(()) => out.push_str("<p class=ok role=status>Vigil reads it. Paste it into a new query to test it on the index.</p>"),
            Err(e) => {
                let _ = write!(
                    out,
                    "<pre class=error role=alert>{}</pre>",
                    escape_html(&e.render(&t.query))
                );
            }
        }
    }
    layout("Bring a query", &principal, "Queries", &out).into_response()
}

pub async fn edit_page(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Response {
    if !valid_id(&id) {
        return refuse(StatusCode::NOT_FOUND, "No such query.");
    }
    blocking(move || {
        let Ok(text) = std::fs::read_to_string(file_of(&state, &id)) else {
            return refuse(StatusCode::NOT_FOUND, "No such query.");
        };
        let results = run(&state, &id, &text, "30d");
        let body = editor(&state, &principal, Some(&id), &text, "30d", &results);
        layout(&id, &principal, "Queries", &body).into_response()
    })
    .await
}

/// The edit form.
fn editor(
    _state: &AppState,
    principal: &Principal,
    id: Option<&str>,
    text: &str,
    since: &str,
    results: &str,
) -> String {
    let mut out = String::new();
    let action = match id {
        Some(id) => format!("/queries/{}", url_encode(id)),
        None => "/queries/new-query".to_string(),
    };
    let _ = write!(
        out,
        "<h1>{}</h1><form method=post action=\"{}\"><input type=hidden name=csrf value=\"{}\">",
        escape_html(id.unwrap_or("New query")),
        escape_html(&action),
        escape_html(principal.csrf.as_deref().unwrap_or(""))
    );
    if id.is_none() {
        out.push_str("<p><label>Id (the file name: a-z, 0-9, - and _) <input name=id required pattern=\"[a-z0-9_-]{1,64}\"></label></p>");
    }
    let _ = write!(
        out,
        "<p><label for=toml>The query file (TOML)</label><textarea id=toml name=toml rows=18 spellcheck=false>{}</textarea></p>\
         <p><label>Backtest since <input name=since value=\"{}\" size=8></label> \
         <button type=submit name=action value=run>Run</button> ",
        escape_html(text),
        escape_html(since)
    );
    if allowed(principal, Role::Analyst) {
        out.push_str("<button type=submit name=action value=save>Save</button> ");
    }
    out.push_str(
        "<button type=submit name=action value=download>Download TOML</button> \
         <span class=meta>Pasted from another tool? Read it as \
         <button type=submit name=action value=lint-brandwatch>Brandwatch</button> \
         <button type=submit name=action value=lint-meltwater>Meltwater</button> \
         <button type=submit name=action value=lint-talkwalker>Talkwalker</button></span></p></form>",
    );
    out.push_str(results);
    out
}

/// The query of an edited file read as a vendor's: its Vigil spelling, what changed and what
/// has no equivalent (the file is left as it is, for the analyst to take the new text).
fn lint_file(text: &str, dialect: crate::query::dialect::Dialect) -> String {
    let query = toml::from_str::<toml::Table>(text)
        .ok()
        .and_then(|t| t.get("query").and_then(|q| q.as_str()).map(str::to_string));
    let Some(query) = query else {
        return "<p class=error role=alert>The file has no query = \"…\" to read.</p>".into();
    };
    let mut out = translation_html(&crate::query::dialect::translate(&query, dialect));
    out.push_str("<p class=meta>Copy it into the query above, then Run.</p>");
    out
}

/// A vendor query in Vigil's spelling, with each change and each missing equivalent, as HTML.
fn translation_html(t: &crate::query::dialect::Translation) -> String {
    let mut out = format!(
        "<h2>In Vigil's spelling</h2><pre>{}</pre><ul>",
        escape_html(&t.query)
    );
    for change in &t.changes {
        let _ = write!(out, "<li>Changed: {}</li>", escape_html(change));
    }
    for missing in &t.no_equivalent {
        let _ = write!(
            out,
            "<li class=error>No equivalent: {}</li>",
            escape_html(missing)
        );
    }
    out.push_str("</ul>");
    out
}

/// Runs an edited file: compile errors, or backtest, explain, diff and examples, as HTML.
fn run(state: &AppState, id: &str, text: &str, since: &str) -> String {
    let read = &state.read;
    let mut out = String::new();
    let query = match check(state, id, text) {
        Ok(q) => q,
        Err(message) => {
            let _ = write!(
                out,
                "<pre class=error role=alert>{}</pre>",
                escape_html(&message)
            );
            return out;
        }
    };
    let now = Utc::now();
    let since_at = match super::search::backtest_since(Some(since), now) {
        Ok(t) => t,
        Err(e) => {
            let _ = write!(out, "<p class=error>{}</p>", escape_html(&e.to_string()));
            return out;
        }
    };
    let index = read.reader.index();
    let compiled = match crate::query::stored::compile_stored(
        index,
        &query.query_text,
        &read.lists,
        &query.languages,
    ) {
        Ok(c) => c,
        Err(e) => {
            let _ = write!(
                out,
                "<pre class=error>{}</pre>",
                escape_html(&e.render(&query.query_text))
            );
            return out;
        }
    };
    // Examples.
    match crate::query::stored::run_examples(std::slice::from_ref(&query)) {
        Ok(failures) if failures.is_empty() => {
            let _ = write!(
                out,
                "<p class=ok>All {} examples behave.</p>",
                query.examples.len()
            );
        }
        Ok(failures) => {
            out.push_str(
                "<div class=error role=alert><strong>Examples that do not behave</strong><ul>",
            );
            for f in failures {
                let _ = write!(out, "<li>{}</li>", escape_html(&f.to_string()));
            }
            out.push_str("</ul></div>");
        }
        Err(e) => {
            let _ = write!(out, "<p class=error>{}</p>", escape_html(&e.to_string()));
        }
    }
    // Backtest.
    // Each stage is shown only when the budget held through it (a stopped count is wrong).
    if let Ok(bt) = crate::query::tune::backtest(&read.reader, &compiled, since_at, now)
        && crate::budget::spent().is_none()
    {
        let bars: Vec<(String, usize)> = bt
            .per_day
            .iter()
            .map(|(d, n)| (d.format("%m-%d").to_string(), *n))
            .collect();
        let _ = write!(
            out,
            "<h2>Backtest: {} matches since {}</h2><div class=chart>{}</div>",
            bt.total,
            since_at.format("%Y-%m-%d"),
            crate::chart::bars_svg("Matches per day", &bars)
        );
        let sources: Vec<String> = bt
            .top_sources
            .iter()
            .map(|(s, n)| format!("{} ({n})", escape_html(s)))
            .collect();
        let _ = write!(
            out,
            "<p class=meta>Top sources: {}</p><h2>Newest matches</h2>",
            sources.join(", ")
        );
        for hit in &bt.samples {
            let _ = write!(
                out,
                "<article class=hit><div>{}</div><div class=meta>{} · {}</div><div>{}</div></article>",
                doc_link(&hit.title.to_html(), &hit.url),
                escape_html(&hit.source),
                hit.published.format("%Y-%m-%d %H:%M UTC"),
                hit.snippet.to_html()
            );
        }
    }
    // Explain.
    if let Ok(clauses) = crate::query::tune::explain(
        &read.reader,
        &compiled.tree,
        &query.query_text,
        &query.languages,
        since_at,
    ) && crate::budget::spent().is_none()
    {
        out.push_str("<h2>Explain</h2><table><thead><tr><th>Clause</th><th>Matches on its own</th></tr></thead><tbody>");
        for c in clauses {
            let _ = write!(
                out,
                "<tr><td>{}<code>{}</code> <span class=meta>{}</span></td><td>{}</td></tr>",
                "&nbsp;&nbsp;&nbsp;".repeat(c.depth),
                escape_html(&c.text),
                escape_html(&c.kind),
                c.matches
            );
        }
        out.push_str("</tbody></table>");
    }
    if let Some(spent) = crate::budget::spent() {
        // What follows would stop at once too; say what was cut short instead.
        let _ = write!(
            out,
            "<p class=error role=alert>Stopped early: {}</p>",
            escape_html(&spent.to_string())
        );
        return out;
    }
    // Against the stored version.
    if let Ok(stored_text) = std::fs::read_to_string(file_of(state, id))
        && let Ok(stored) = check(state, id, &stored_text)
        && stored.query_text != query.query_text
        && let Ok(old) = crate::query::stored::compile_stored(
            index,
            &stored.query_text,
            &read.lists,
            &stored.languages,
        )
        && let Ok(diff) = crate::query::tune::diff(&read.reader, &old, &compiled, since_at)
    {
        let _ = write!(
            out,
            "<h2>Against the stored version</h2><p>{} → {} matches: {} gained, {} lost.</p>",
            diff.old_total, diff.new_total, diff.gained, diff.lost
        );
        for (title, samples) in [
            ("Gained", &diff.gained_samples),
            ("Lost", &diff.lost_samples),
        ] {
            if samples.is_empty() {
                continue;
            }
            let _ = write!(out, "<h3>{title}</h3>");
            for hit in samples {
                let _ = write!(
                    out,
                    "<div class=hit>{} <span class=meta>{}</span></div>",
                    doc_link(&hit.title.to_html(), &hit.url),
                    escape_html(&hit.source)
                );
            }
        }
    }
    out
}

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    toml: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    action: String,
    /// New queries only.
    #[serde(default)]
    id: Option<String>,
}

pub async fn edit_post(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(path_id): Path<String>,
    Extension(Client(address)): Extension<Client>,
    Form(form): Form<EditForm>,
) -> Response {
    if !csrf_ok(&principal, &form.csrf) {
        return refuse(
            StatusCode::FORBIDDEN,
            "The form expired or came from another site; reload the page.",
        );
    }
    if form.toml.len() > MAX_TOML_BYTES {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The query file is too large.",
        );
    }
    let creating = path_id == "new-query";
    let id = if creating {
        form.id.clone().unwrap_or_default().trim().to_string()
    } else {
        path_id
    };
    if !valid_id(&id) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "An id is 1 to 64 of a-z, 0-9, - and _, and not calendar, lists, lint or new-query (reserved).",
        );
    }
    let since = if form.since.trim().is_empty() {
        "30d".to_string()
    } else {
        form.since.clone()
    };
    let gate = state.gate.clone();
    let page = gate.run_reporting(move || {
        match form.action.as_str() {
            "download" => {
                toml_download(&state, &principal, &address, &id, form.toml.clone())
            }
            "save" => {
                if !allowed(&principal, Role::Analyst) {
                    return refuse(StatusCode::FORBIDDEN, "Only analysts and admins save queries.");
                }
                let path = file_of(&state, &id);
                if creating && path.exists() {
                    return refuse(StatusCode::CONFLICT, "A query with this id exists; open it instead.");
                }
                let message = match check(&state, &id, &form.toml) {
                    Err(e) => Err(e),
                    Ok(q) => match crate::query::stored::run_examples(std::slice::from_ref(&q)) {
                        Ok(failures) if failures.is_empty() => Ok(q),
                        Ok(failures) => Err(format!(
                            "{} example(s) do not behave; they are listed below.",
                            failures.len()
                        )),
                        Err(e) => Err(e.to_string()),
                    },
                };
                let body = match message {
                    Err(e) => format!("<pre class=error role=alert>Not saved: {}</pre>{}", escape_html(&e), run(&state, &id, &form.toml, &since)),
                    Ok(q) => {
                        let old = std::fs::read_to_string(&path).ok();
                        let partial = path.with_extension("toml.partial");
                        let written = std::fs::write(&partial, &form.toml).and_then(|_| std::fs::rename(&partial, &path));
                        match written {
                            Err(e) => format!("<p class=error>Not saved: {}</p>", escape_html(&e.to_string())),
                            Ok(()) => {
                                let detail = format!(
                                    "{id}: {} → {}",
                                    old.as_deref().and_then(|t| check(&state, &id, t).ok()).map(|o| o.query_text).unwrap_or_else(|| "(new)".into()),
                                    q.query_text
                                );
                                let _ = state.store.audit(&principal.user, "query edit", &detail, &address);
                                format!(
                                    "<p class=ok role=status>Saved to {}. Percolation picks it up with the next batch.</p>{}",
                                    escape_html(&path.display().to_string()),
                                    run(&state, &id, &form.toml, &since)
                                )
                            }
                        }
                    }
                };
                let page = editor(&state, &principal, Some(&id), &form.toml, &since, &body);
                layout(&id, &principal, "Queries", &page).into_response()
            }
            action if action.starts_with("lint-") => {
                let dialect = crate::query::dialect::Dialect::parse(&action[5..])
                    .unwrap_or(crate::query::dialect::Dialect::Brandwatch);
                let results = lint_file(&form.toml, dialect);
                let shown_id = if creating { None } else { Some(id.as_str()) };
                let page = editor(&state, &principal, shown_id, &form.toml, &since, &results);
                layout(&id, &principal, "Queries", &page).into_response()
            }
            _ => {
                let results = run(&state, &id, &form.toml, &since);
                let shown_id = if creating { None } else { Some(id.as_str()) };
                let page = editor(&state, &principal, shown_id, &form.toml, &since, &results);
                layout(&id, &principal, "Queries", &page).into_response()
            }
        }
    })
    .await;
    match page {
        Ok((page, _)) => page,
        Err(error) => refuse(error.status(), &error.public_message()),
    }
}

/// The stored file as a download.
pub async fn download(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Extension(Client(address)): Extension<Client>,
) -> Response {
    if !valid_id(&id) {
        return refuse(StatusCode::NOT_FOUND, "No such query.");
    }
    let Ok(text) = std::fs::read_to_string(file_of(&state, &id)) else {
        return refuse(StatusCode::NOT_FOUND, "No such query.");
    };
    toml_download(&state, &principal, &address, &id, text)
}

/// A query file as a download, recorded in the audit log as an export.
fn toml_download(
    state: &AppState,
    principal: &Principal,
    address: &str,
    id: &str,
    text: String,
) -> Response {
    let _ = state.store.audit(
        &principal.user,
        "export",
        &format!("query file {id}"),
        address,
    );
    let mut response = text.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/toml; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{id}.toml\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}
