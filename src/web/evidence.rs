//! Evidence from the web: the narrative page's evidence panel (what is archived), and for
//! analysts and admins, archiving a narrative's documents or one document on demand (queued for
//! the crawler's next archiving round, which fetches under the crawl's rules) and downloading a
//! narrative's evidence bundle (`archive::export`). Every such action is audited.

use super::error::WebError;
use super::session::csrf_ok;
use super::{AppState, Client, allowed, json_error, refuse};
use crate::auth::{Principal, Role};
use crate::text::escape_html;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use chrono::Utc;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// The evidence panel of a narrative page: documents archived, and the buttons for those
/// allowed to use them.
pub fn panel(state: &AppState, principal: &Principal, narrative: &str) -> String {
    let members: Vec<String> = state
        .read
        .store
        .cluster_members(narrative)
        .map(|m| m.into_iter().map(|(id, _)| id).collect())
        .unwrap_or_default();
    let archived = state
        .read
        .store
        .evidence_done_of(&members, narrative)
        .map_or(0, |d| d.len());
    let mut out = format!(
        "<h2>Evidence</h2><p>{archived} of {} documents archived as WARC (the pages as fetched, and fetched again when archived). A narrative with an urgent alert is archived automatically.</p>",
        members.len()
    );
    if allowed(principal, Role::Analyst) {
        let csrf = escape_html(principal.csrf.as_deref().unwrap_or(""));
        let id = escape_html(&super::url_encode(narrative));
        if archived < members.len() {
            out.push_str(&format!(
                "<form method=post action=\"/narratives/{id}/evidence/archive\" class=inline><input type=hidden name=csrf value=\"{csrf}\"><button>Archive its documents now</button></form> "
            ));
        }
        // A bundle with nothing archived would hold no record: no button until there is one.
        if archived > 0 {
            out.push_str(&format!(
                "<form method=post action=\"/narratives/{id}/evidence\" class=inline><input type=hidden name=csrf value=\"{csrf}\"><button>Download the evidence bundle</button></form>"
            ));
        }
    }
    out
}

/// A form post's refusal, if any: a role below `role` (with `why`), or a CSRF token that does
/// not match the session's.
fn refused(principal: &Principal, role: Role, why: &str, form: &CsrfForm) -> Option<Response> {
    if !allowed(principal, role) {
        return Some(refuse(StatusCode::FORBIDDEN, why));
    }
    (!csrf_ok(principal, &form.csrf)).then(|| {
        refuse(
            StatusCode::FORBIDDEN,
            "The form expired or came from another site; reload the page.",
        )
    })
}

const ANALYSTS_ONLY: &str = "Archiving and exporting evidence is for analysts and admins.";
const SECURITY_ONLY: &str = "The leak watch is for the security office (role security or admin).";

/// Runs blocking work (the state database, the index, files) off the async threads.
async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|join| WebError::internal("the evidence request", join))
        .and_then(|r| r)
}

/// An evidence bundle as a download.
fn tar_download(bytes: Vec<u8>, name: &str) -> Response {
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-tar"),
    );
    // Names are made of ids that exist (letters and digits), safe in a header.
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `POST /narratives/{id}/evidence/archive`: queues the narrative's documents for archiving.
pub async fn archive_narrative(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Extension(Client(address)): Extension<Client>,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(refusal) = refused(&principal, Role::Analyst, ANALYSTS_ONLY, &form) {
        return refusal;
    }
    let back = format!("/narratives/{}", super::url_encode(&id));
    let result = off_thread(move || -> Result<usize, WebError> {
        let members: Vec<String> = state
            .read
            .store
            .cluster_members(&id)?
            .into_iter()
            .map(|(d, _)| d)
            .collect();
        if members.is_empty() {
            return Err(WebError::NotFound(format!("no narrative {id:?}")));
        }
        let queued = state
            .store
            .queue_evidence(&members, &id, &principal.user, Utc::now())?;
        let _ = state.store.audit(
            &principal.user,
            "evidence-archive",
            &format!("narrative {id}, {queued} documents queued"),
            &address,
        );
        Ok(queued)
    })
    .await;
    match result {
        Ok(_) => Redirect::to(&back).into_response(),
        Err(error) => refuse(error.status(), &error.public_message()),
    }
}

/// `POST /narratives/{id}/evidence`: the narrative's evidence bundle (a tar), audited.
pub async fn download_bundle(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Extension(Client(address)): Extension<Client>,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(refusal) = refused(&principal, Role::Analyst, ANALYSTS_ONLY, &form) {
        return refusal;
    }
    let result = off_thread(move || -> Result<(String, Vec<u8>), WebError> {
        let mut bytes = Vec::new();
        let manifest = crate::archive::export(
            &state.read,
            &state.store,
            &state.config.evidence_dir(),
            &id,
            &format!("web:{}", principal.user),
            Utc::now(),
            &mut bytes,
        )
        .map_err(|e| match e {
            crate::archive::ArchiveError::NoNarrative(_)
            | crate::archive::ArchiveError::BadName(_) => {
                WebError::NotFound(format!("no narrative {id:?}"))
            }
            other => WebError::internal("the evidence bundle", other),
        })?;
        let _ = state.store.audit(
            &principal.user,
            "evidence-export",
            &format!("narrative {id}, {} records", manifest.records.len()),
            &address,
        );
        Ok((manifest.narrative.id, bytes))
    })
    .await;
    match result {
        Ok((id, bytes)) => tar_download(bytes, &format!("vigil-evidence-{id}.tar")),
        Err(error) => refuse(error.status(), &error.public_message()),
    }
}

/// `POST /api/documents/{id}/evidence`: archives one document on demand (queued for the next
/// archiving round), for analysts and admins; audited.
pub async fn archive_document(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Extension(Client(address)): Extension<Client>,
    Path(id): Path<String>,
) -> Response {
    if !allowed(&principal, Role::Analyst) {
        return json_error(
            StatusCode::FORBIDDEN,
            "archiving evidence is for analysts and admins",
        );
    }
    let result = off_thread(move || -> Result<usize, WebError> {
        let found = state
            .read
            .reader
            .docs_by_id(std::slice::from_ref(&id))
            .map_err(|e| WebError::internal("the index", e))?;
        if found.is_empty() {
            return Err(WebError::NotFound(format!("no document {id:?}")));
        }
        let queued = state.store.queue_evidence(
            std::slice::from_ref(&id),
            crate::archive::ON_DEMAND,
            &principal.user,
            Utc::now(),
        )?;
        let _ = state.store.audit(
            &principal.user,
            "evidence-archive",
            &format!("document {id}"),
            &address,
        );
        Ok(queued)
    })
    .await;
    match result {
        Ok(queued) => Json(serde_json::json!({
            "queued": queued,
            "note": "archived by the crawler's next archiving round (every minute)",
        }))
        .into_response(),
        Err(error) => json_error(error.status(), &error.public_message()),
    }
}

/// `/security`: the leak watch for the security office: matches (where the court's registered
/// material was found, how much, the evidence archived) and the registered documents (labels,
/// never their text).
pub async fn security_page(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Response {
    if !allowed(&principal, Role::Security) {
        return refuse(StatusCode::FORBIDDEN, SECURITY_ONLY);
    }
    super::pages::blocking(move || {
        let store = &state.read.store;
        let mut out = String::from("<h1>Leak watch</h1><p class=meta>Documents holding the court's registered confidential material. They are not indexed: no search, digest or narrative shows them. Vigil describes what it found; a person judges.</p>");
        let matches = store.leak_matches(200);
        let evidence = store.evidence_log(Some(crate::archive::LEAK));
        match (matches, evidence) {
            (Ok(matches), Ok(evidence)) if !matches.is_empty() => {
                let csrf = escape_html(principal.csrf.as_deref().unwrap_or(""));
                out.push_str("<h2>Found</h2><table><thead><tr><th>Seen</th><th>Registered document</th><th>Found</th><th>Source</th><th>Page</th><th>Evidence</th></tr></thead><tbody>");
                for m in &matches {
                    let records = evidence.iter().filter(|e| e.doc_id == m.doc_id).count();
                    let evidence_cell = if records == 0 {
                        "queued".to_string()
                    } else {
                        format!(
                            "{records} WARC records <form method=post action=\"/security/evidence/{}\" class=inline><input type=hidden name=csrf value=\"{csrf}\"><button>Download</button></form>",
                            escape_html(&super::url_encode(&m.doc_id))
                        )
                    };
                    out.push_str(&format!(
                        "<tr><td>{}</td><td>{}</td><td>{} of {} fingerprints ({:.0}%)</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        m.at.format("%Y-%m-%d %H:%M UTC"),
                        escape_html(&m.label),
                        m.matched,
                        m.total,
                        100.0 * m.matched as f64 / m.total.max(1) as f64,
                        escape_html(&m.source),
                        super::doc_link(&escape_html(&m.title), &m.url),
                        evidence_cell
                    ));
                }
                out.push_str("</tbody></table>");
            }
            (Ok(_), Ok(_)) => out.push_str("<p>No registered material found so far.</p>"),
            (Err(e), _) | (_, Err(e)) => {
                let error = WebError::from(e);
                return refuse(error.status(), &error.public_message());
            }
        }
        match store.leak_labels() {
            Ok(labels) => {
                out.push_str("<h2>Registered documents</h2>");
                if labels.is_empty() {
                    out.push_str("<p>None: `vigil leakwatch add FILE --label NAME` registers one (fingerprints only).</p>");
                } else {
                    out.push_str("<table><thead><tr><th>Label</th><th>Fingerprints</th><th>Added</th><th>By</th><th>Found</th></tr></thead><tbody>");
                    for l in &labels {
                        out.push_str(&format!(
                            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                            escape_html(&l.label),
                            l.prints,
                            l.added_at.format("%Y-%m-%d %H:%M UTC"),
                            escape_html(&l.added_by),
                            l.matches
                        ));
                    }
                    out.push_str("</tbody></table>");
                }
            }
            Err(e) => {
                let error = WebError::from(e);
                return refuse(error.status(), &error.public_message());
            }
        }
        super::layout("Leak watch", &principal, "Security", &out).into_response()
    })
    .await
}

/// `POST /security/evidence/{doc}`: the evidence bundle of a document that held registered
/// material, for the security office; audited.
pub async fn leak_bundle(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Extension(Client(address)): Extension<Client>,
    Path(doc): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(refusal) = refused(&principal, Role::Security, SECURITY_ONLY, &form) {
        return refusal;
    }
    let result = off_thread(move || -> Result<Vec<u8>, WebError> {
        let mut bytes = Vec::new();
        let manifest = crate::archive::export_leak(
            &state.store,
            &state.config.evidence_dir(),
            &doc,
            &format!("web:{}", principal.user),
            Utc::now(),
            &mut bytes,
        )
        .map_err(|e| match e {
            crate::archive::ArchiveError::NoDocument(_) => {
                WebError::NotFound(format!("no leak-watch match for {doc:?}"))
            }
            other => WebError::internal("the evidence bundle", other),
        })?;
        let _ = state.store.audit(
            &principal.user,
            "evidence-export",
            &format!(
                "leak watch, document {doc}, {} records",
                manifest.records.len()
            ),
            &address,
        );
        Ok(bytes)
    })
    .await;
    match result {
        Ok(bytes) => tar_download(bytes, "vigil-leak-evidence.tar"),
        Err(error) => refuse(error.status(), &error.public_message()),
    }
}
