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
        out.push_str(&format!(
            "<form method=post action=\"/narratives/{id}/evidence/archive\" class=inline><input type=hidden name=csrf value=\"{csrf}\"><button>Archive its documents now</button></form> \
             <form method=post action=\"/narratives/{id}/evidence\" class=inline><input type=hidden name=csrf value=\"{csrf}\"><button>Download the evidence bundle</button></form>"
        ));
    }
    out
}

fn only_analysts(principal: &Principal) -> Option<Response> {
    (!allowed(principal, Role::Analyst)).then(|| {
        refuse(
            StatusCode::FORBIDDEN,
            "Archiving and exporting evidence is for analysts and admins.",
        )
    })
}

/// `POST /narratives/{id}/evidence/archive`: queues the narrative's documents for archiving.
pub async fn archive_narrative(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Extension(Client(address)): Extension<Client>,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(refused) = only_analysts(&principal) {
        return refused;
    }
    if !csrf_ok(&principal, &form.csrf) {
        return refuse(
            StatusCode::FORBIDDEN,
            "The form expired or came from another site; reload the page.",
        );
    }
    let back = format!("/narratives/{}", super::url_encode(&id));
    let result = tokio::task::spawn_blocking(move || -> Result<usize, WebError> {
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
    .await
    .map_err(|join| WebError::internal("queueing evidence", join))
    .and_then(|r| r);
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
    if let Some(refused) = only_analysts(&principal) {
        return refused;
    }
    if !csrf_ok(&principal, &form.csrf) {
        return refuse(
            StatusCode::FORBIDDEN,
            "The form expired or came from another site; reload the page.",
        );
    }
    let result = tokio::task::spawn_blocking(move || -> Result<(String, Vec<u8>), WebError> {
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
    .await
    .map_err(|join| WebError::internal("the evidence bundle", join))
    .and_then(|r| r);
    match result {
        Ok((id, bytes)) => {
            let mut response = bytes.into_response();
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-tar"),
            );
            // A narrative id that exists is letters and digits, safe in a header.
            if let Ok(value) =
                HeaderValue::from_str(&format!("attachment; filename=\"vigil-evidence-{id}.tar\""))
            {
                h.insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
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
    let result = tokio::task::spawn_blocking(move || -> Result<usize, WebError> {
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
    .await
    .map_err(|join| WebError::internal("queueing evidence", join))
    .and_then(|r| r);
    match result {
        Ok(queued) => Json(serde_json::json!({
            "queued": queued,
            "note": "archived by the crawler's next archiving round (every minute)",
        }))
        .into_response(),
        Err(error) => json_error(error.status(), &error.public_message()),
    }
}
