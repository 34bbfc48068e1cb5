//! Evidence that holds up: documents archived as WARC 1.1 as they were fetched, a hash-chained
//! log of every record, verification, and bundles for a takedown request or a referral.
//!
//! In: the responses the crawl fetched (`crawl::Captured`, kept in the spool by
//! `spool_batch` for `[evidence] spool_for`, at most `spool_mb`), flagged narratives (those with
//! an urgent alert) and requests on demand (CLI, web); out: WARC files under
//! `<data_dir>/evidence/warc/`, one per archived document, each holding a `warcinfo` record,
//! then per capture a `request`, a `response` (the bytes as fetched, before decoding or
//! extraction) and a `metadata` record (capture time, source, narrative, redirects); one
//! `evidence_log` entry per record with its SHA-256, chained (`store::chain_hash`);
//! `verify` and `export` (a tar of the WARC files, `manifest.json`, `manifest.html` and
//! `SHA256SUMS`).
//!
//! A document is captured twice when it can be: the spooled response from its crawl, and the
//! page fetched again at archive time through the crawler's fetcher (guard, budget, robots).
//! A page gone by then is recorded as such in a metadata record: that is evidence too. The
//! client removes HTTP content-coding while it enforces the size cap, so a response record
//! holds the decoded body with `Content-Encoding` dropped and `Content-Length` set to it (the
//! metadata record says so).

use crate::config::Config;
use crate::crawl::Captured;
use crate::detect::DetectError;
use crate::fetch::{FetchRequest, Fetcher};
use crate::index::reader::StoredDoc;
use crate::model::HttpRecord;
use crate::readside::ReadSide;
use crate::store::evidence::{LogEntry, Original, SpoolIn, Spooled};
use crate::store::{GENESIS, Store, StoreError, chain_hash, sha256_hex};
use chrono::{DateTime, DurationRound, SecondsFormat, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use warc::{RawRecordHeader, RecordType, WarcHeader, WarcWriter};

/// The narrative name of documents archived on demand, outside any narrative.
pub const ON_DEMAND: &str = "on-demand";
/// The narrative name of documents that hold registered confidential material (`leakwatch`):
/// never indexed, so their facts come from the match record.
pub const LEAK: &str = "leak";
/// Days after its last urgent alert during which a narrative's new documents are archived.
const FLAGGED_DAYS: i64 = 30;
/// Largest body read back from the spool (a corrupt size prefix cannot make it allocate more).
const MAX_SPOOLED_BODY: usize = 64 << 20;

/// An archiving failure, naming the document, narrative or file.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Detect(#[from] DetectError),
    #[error("evidence file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no document {0:?} in the index")]
    NoDocument(String),
    #[error("no narrative {0:?}: `vigil narratives` lists them")]
    NoNarrative(String),
    #[error("{0:?} is not a narrative id (letters, digits and dashes)")]
    BadName(String),
    #[error("the archiving task failed: {0}")]
    Task(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ArchiveError + '_ {
    move |source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Keeps the responses that carried documents the writer kept (new or changed): the body
/// compressed (lz4), the exchange as JSON. Responses with no kept document are not kept.
pub fn spool_batch(
    store: &Store,
    captures: &[Captured],
    kept: &HashSet<&str>,
) -> Result<(), StoreError> {
    let mut items = Vec::new();
    for captured in captures {
        let documents: Vec<String> = captured
            .documents
            .iter()
            .filter(|d| kept.contains(d.as_str()))
            .cloned()
            .collect();
        let fetched = &captured.fetched;
        let Some(http) = &fetched.http else {
            continue;
        };
        if documents.is_empty() || fetched.not_modified {
            continue;
        }
        items.push(SpoolIn {
            source: fetched.source.clone(),
            url: crate::text::redact_url(fetched.url.as_str()),
            status: fetched.status,
            fetched_at: fetched.fetched_at,
            http: serde_json::to_string(http.as_ref()).unwrap_or_default(),
            body: lz4_flex::compress_prepend_size(&fetched.body),
            body_bytes: fetched.body.len(),
            documents,
        });
    }
    store.spool(&items)
}

/// One capture of a page: the exchange and the body as fetched.
struct Capture {
    url: String,
    status: u16,
    fetched_at: DateTime<Utc>,
    http: HttpRecord,
    body: Vec<u8>,
    /// `spooled-at-crawl` or `refetched-at-archive`.
    how: &'static str,
    /// The spool's row, for a spooled capture.
    spool_id: Option<i64>,
}

impl Capture {
    fn from_spool(spooled: &Spooled) -> Option<Capture> {
        let size = spooled
            .body
            .get(..4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)?;
        if size > MAX_SPOOLED_BODY {
            return None;
        }
        let body = lz4_flex::decompress_size_prepended(&spooled.body).ok()?;
        Some(Capture {
            url: spooled.url.clone(),
            status: spooled.status,
            fetched_at: spooled.fetched_at,
            http: serde_json::from_str(&spooled.http).ok()?,
            body,
            how: "spooled-at-crawl",
            spool_id: Some(spooled.id),
        })
    }
}

/// Base32 (RFC 4648, padded), the digest encoding WARC readers expect.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    for chunk in bytes.chunks(5) {
        let mut buffer = [0u8; 5];
        buffer[..chunk.len()].copy_from_slice(chunk);
        let bits = buffer
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < chars {
                out.push(ALPHABET[((bits >> (35 - i * 5)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn warc_digest(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    format!("sha256:{}", base32(digest.as_ref()))
}

fn warc_date(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A header value on one line (CR and LF would end the field).
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A record written and what the log needs of it.
struct Written {
    kind: &'static str,
    id: String,
    target: String,
    bytes: Vec<u8>,
}

fn record(
    kind: RecordType,
    id: &str,
    date: DateTime<Utc>,
    target: Option<&str>,
    content_type: &str,
    extra: Vec<(WarcHeader, String)>,
    block: &[u8],
) -> Vec<u8> {
    let mut headers = vec![
        (WarcHeader::WarcType, kind.to_string()),
        (WarcHeader::RecordID, id.to_string()),
        (WarcHeader::Date, warc_date(date)),
        (WarcHeader::ContentType, content_type.to_string()),
        (WarcHeader::ContentLength, block.len().to_string()),
        (WarcHeader::BlockDigest, warc_digest(block)),
    ];
    if let Some(target) = target {
        headers.push((WarcHeader::TargetURI, one_line(target)));
    }
    headers.extend(extra);
    let raw = RawRecordHeader {
        version: "1.1".to_string(),
        headers: headers
            .into_iter()
            .map(|(k, v)| (k, v.into_bytes()))
            .collect(),
    };
    let mut out = Vec::with_capacity(block.len() + 1024);
    // Writing to a Vec cannot fail.
    let _ = WarcWriter::new(&mut out).write_raw(raw, &block);
    out
}

fn record_id() -> String {
    format!("<urn:uuid:{}>", uuid::Uuid::from_u128(random_u128()))
}

/// 128 random bits with the UUIDv4 version and variant set.
fn random_u128() -> u128 {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    // The system's generator; if it failed, a time-based value still keeps ids distinct.
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        bytes = (Utc::now().timestamp_nanos_opt().unwrap_or_default() as u128).to_le_bytes();
    }
    let value = u128::from_be_bytes(bytes);
    (value & !(0xF << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62)
}

/// The request, response and metadata records of one capture.
/// The request, response and metadata records of one capture. A capture already archived under
/// the narrative (a feed page that carried several of its documents) gets a `revisit` record
/// (identical-payload-digest profile) pointing at the first response instead of its body again;
/// a first capture from the spool returns what later ones will point at.
fn capture_records(
    capture: &Capture,
    doc: &StoredDoc,
    narrative: &str,
    archived_at: DateTime<Utc>,
    original: Option<&Original>,
) -> (Vec<Written>, Option<Original>) {
    let url = url::Url::parse(&capture.url).ok();
    let target = capture.url.clone();
    let (request_id, response_id, metadata_id) = (record_id(), record_id(), record_id());
    // The request as sent.
    let path = url.as_ref().map_or("/".to_string(), |u| {
        let mut p = u.path().to_string();
        if let Some(q) = u.query() {
            p.push('?');
            p.push_str(q);
        }
        p
    });
    let mut request = format!(
        "{} {} HTTP/1.1\r\n",
        if capture.http.method.is_empty() {
            "GET"
        } else {
            &capture.http.method
        },
        one_line(&path)
    );
    for (name, value) in &capture.http.request_headers {
        request.push_str(&format!("{}: {}\r\n", one_line(name), one_line(value)));
    }
    request.push_str("\r\n");
    // The response: status line, headers as received less the codings the client removed.
    let version = if capture.http.version.is_empty() {
        "HTTP/1.1"
    } else {
        &capture.http.version
    };
    let mut response = format!(
        "{} {} {}\r\n",
        one_line(version),
        capture.status,
        one_line(&capture.http.reason)
    );
    let mut removed = Vec::new();
    for (name, value) in &capture.http.response_headers {
        let lower = name.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "content-encoding" | "transfer-encoding" | "content-length"
        ) {
            removed.push(format!("{lower}: {}", one_line(value)));
            continue;
        }
        response.push_str(&format!("{}: {}\r\n", one_line(name), one_line(value)));
    }
    response.push_str(&format!("content-length: {}\r\n\r\n", capture.body.len()));
    let head_length = response.len();
    let mut response = response.into_bytes();
    response.extend_from_slice(&capture.body);
    let mut fields = vec![
        ("via".to_string(), format!("Vigil {}", crate::VERSION)),
        ("vigil-capture".to_string(), capture.how.to_string()),
        (
            "vigil-captured-at".to_string(),
            warc_date(capture.fetched_at),
        ),
        ("vigil-archived-at".to_string(), warc_date(archived_at)),
        ("vigil-source".to_string(), doc.source.clone()),
        ("vigil-document".to_string(), doc.id.clone()),
        ("vigil-document-url".to_string(), doc.url.clone()),
        ("vigil-narrative".to_string(), narrative.to_string()),
        (
            "vigil-requested".to_string(),
            capture.http.requested.clone(),
        ),
    ];
    for (status, from) in &capture.http.redirects {
        fields.push(("vigil-redirect".to_string(), format!("{status} {from}")));
    }
    if let Some(peer) = &capture.http.peer {
        fields.push(("vigil-peer".to_string(), peer.clone()));
    }
    // The client removes a content-coding and its headers before Vigil sees them, so the
    // record cannot name it; it says what the bytes are instead.
    fields.push((
        "vigil-note".to_string(),
        "the payload is the body as the HTTP client delivered it: any content-coding (gzip, br, deflate) and chunking removed, Content-Length set to it".to_string(),
    ));
    for header in removed {
        fields.push((
            "vigil-note".to_string(),
            format!("response header {header} dropped: the body is kept as decoded"),
        ));
    }
    let metadata = warc_fields(&fields);
    let date = capture.fetched_at;
    let payload_digest = warc_digest(&capture.body);
    let mut response_extra = vec![(WarcHeader::ConcurrentTo, request_id.clone())];
    if let Some(peer) = &capture.http.peer {
        response_extra.push((WarcHeader::IPAddress, peer.clone()));
    }
    let (response_record, response_kind, first) = match original {
        Some(original) => {
            response_extra.extend([
                (
                    WarcHeader::Profile,
                    "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest".to_string(),
                ),
                (WarcHeader::RefersTo, original.record_id.clone()),
                (
                    WarcHeader::Unknown("WARC-Refers-To-Target-URI".into()),
                    original.target.clone(),
                ),
                (
                    WarcHeader::Unknown("WARC-Refers-To-Date".into()),
                    original.date.clone(),
                ),
                (WarcHeader::PayloadDigest, original.payload_digest.clone()),
            ]);
            let record = record(
                RecordType::Revisit,
                &response_id,
                date,
                Some(&target),
                "application/http;msgtype=response",
                response_extra,
                &response[..head_length],
            );
            (record, "revisit", None)
        }
        None => {
            response_extra.push((WarcHeader::PayloadDigest, payload_digest.clone()));
            let record = record(
                RecordType::Response,
                &response_id,
                date,
                Some(&target),
                "application/http;msgtype=response",
                response_extra,
                &response,
            );
            let first = capture.spool_id.map(|spool_id| Original {
                spool_id,
                record_id: response_id.clone(),
                target: target.clone(),
                date: warc_date(date),
                payload_digest,
            });
            (record, "response", first)
        }
    };
    let records = vec![
        Written {
            kind: "request",
            bytes: record(
                RecordType::Request,
                &request_id,
                date,
                Some(&target),
                "application/http;msgtype=request",
                vec![(WarcHeader::ConcurrentTo, response_id.clone())],
                request.as_bytes(),
            ),
            id: request_id,
            target: target.clone(),
        },
        Written {
            kind: response_kind,
            bytes: response_record,
            id: response_id.clone(),
            target: target.clone(),
        },
        Written {
            kind: "metadata",
            bytes: record(
                RecordType::Metadata,
                &metadata_id,
                date,
                Some(&target),
                "application/warc-fields",
                vec![(WarcHeader::RefersTo, response_id)],
                metadata.as_bytes(),
            ),
            id: metadata_id,
            target,
        },
    ];
    (records, first)
}

fn warc_fields(fields: &[(String, String)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}: {}\r\n", one_line(k), one_line(v)))
        .collect()
}

/// A metadata record saying a page could not be fetched again (deleted, refused, timed out).
fn gone_record(doc: &StoredDoc, narrative: &str, at: DateTime<Utc>, why: &str) -> Written {
    let id = record_id();
    let fields = vec![
        ("via".to_string(), format!("Vigil {}", crate::VERSION)),
        ("vigil-capture".to_string(), "refetch-failed".to_string()),
        ("vigil-captured-at".to_string(), warc_date(at)),
        ("vigil-source".to_string(), doc.source.clone()),
        ("vigil-document".to_string(), doc.id.clone()),
        ("vigil-narrative".to_string(), narrative.to_string()),
        ("vigil-refetch-error".to_string(), why.to_string()),
    ];
    Written {
        kind: "metadata",
        bytes: record(
            RecordType::Metadata,
            &id,
            at,
            Some(&doc.url),
            "application/warc-fields",
            Vec::new(),
            warc_fields(&fields).as_bytes(),
        ),
        id,
        target: doc.url.clone(),
    }
}

fn warcinfo(file: &str, at: DateTime<Utc>) -> Written {
    let id = record_id();
    let fields = vec![
        ("software".to_string(), format!("Vigil {}", crate::VERSION)),
        ("format".to_string(), "WARC File Format 1.1".to_string()),
        (
            "conformsTo".to_string(),
            "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
                .to_string(),
        ),
        (
            "description".to_string(),
            "Evidence captured by Vigil; every record's SHA-256 is in its hash-chained evidence log."
                .to_string(),
        ),
    ];
    Written {
        kind: "warcinfo",
        bytes: record(
            RecordType::WarcInfo,
            &id,
            at,
            None,
            "application/warc-fields",
            vec![(WarcHeader::Filename, file.to_string())],
            warc_fields(&fields).as_bytes(),
        ),
        id,
        target: String::new(),
    }
}

fn check_name(narrative: &str) -> Result<(), ArchiveError> {
    let ok = !narrative.is_empty()
        && narrative.len() <= 64
        && narrative
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ArchiveError::BadName(narrative.to_string()))
    }
}

/// Fetches a document's page again through the crawler's fetcher, with its source's rules.
async fn refetch(fetcher: &Fetcher, config: &Config, doc: &StoredDoc) -> Result<Capture, String> {
    let url = url::Url::parse(&doc.url).map_err(|e| format!("{}: {e}", doc.url))?;
    let private = config
        .sources
        .iter()
        .find(|s| s.name == doc.source)
        .is_some_and(|s| s.private_allowed(&url));
    let request = FetchRequest::plain(&doc.source, url, private, true);
    let fetched = fetcher.fetch(&request).await.map_err(|e| e.to_string())?;
    Ok(Capture {
        url: crate::text::redact_url(fetched.url.as_str()),
        status: fetched.status,
        fetched_at: fetched.fetched_at,
        http: fetched.http.as_deref().cloned().unwrap_or_default(),
        body: fetched.body.to_vec(),
        how: "refetched-at-archive",
        spool_id: None,
    })
}

/// What archiving one document wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Archived {
    pub doc_id: String,
    pub narrative: String,
    pub file: String,
    pub records: usize,
    pub bytes: u64,
    /// Captures from the spool, and whether the page was fetched again.
    pub spooled: usize,
    pub refetched: bool,
    pub refetch_error: Option<String>,
}

/// Archives one document under `narrative`: its spooled responses and (with a fetcher) the
/// page fetched again, in one WARC file, each record logged and chained. The file is complete
/// on disk (written, synced, renamed) before its entries are logged, so a crash leaves at most
/// a file the log does not name, and the request stays queued.
pub async fn archive_document(
    read: &ReadSide,
    store: &Arc<Store>,
    config: &Config,
    fetcher: Option<&Fetcher>,
    doc_id: &str,
    narrative: &str,
    now: DateTime<Utc>,
) -> Result<Archived, ArchiveError> {
    check_name(narrative)?;
    let (doc, spooled, originals) = {
        let (read, store, id) = (read.clone(), store.clone(), doc_id.to_string());
        let narrative_name = narrative.to_string();
        tokio::task::spawn_blocking(move || -> Result<_, ArchiveError> {
            let indexed = read
                .reader
                .docs_by_id(std::slice::from_ref(&id))
                .map_err(DetectError::from)?
                .into_iter()
                .next();
            // A quarantined document is not in the index: its match says where it was.
            let doc = match indexed {
                Some(doc) => doc,
                None => store
                    .leak_match_of(&id)?
                    .map(|m| StoredDoc {
                        id: m.doc_id,
                        url: m.url,
                        source: m.source,
                        title: m.title,
                        published: m.at,
                        ..StoredDoc::default()
                    })
                    .ok_or_else(|| ArchiveError::NoDocument(id.clone()))?,
            };
            let spooled = store.spooled_for(&id)?;
            let ids: Vec<i64> = spooled.iter().map(|s| s.id).collect();
            let originals = store.archived_captures(&ids, &narrative_name)?;
            Ok((doc, spooled, originals))
        })
        .await
        .map_err(|e| ArchiveError::Task(e.to_string()))??
    };
    let mut captures: Vec<Capture> = spooled.iter().filter_map(Capture::from_spool).collect();
    let spooled_count = captures.len();
    let mut refetch_error = None;
    let mut refetched = false;
    if let Some(fetcher) = fetcher.filter(|_| config.evidence.refetch) {
        match refetch(fetcher, config, &doc).await {
            Ok(capture) => {
                captures.push(capture);
                refetched = true;
            }
            Err(why) => refetch_error = Some(why),
        }
    }
    let stamp = now.format("%Y%m%dT%H%M%S%3fZ");
    let file = format!("warc/{narrative}/{stamp}-{}.warc", &doc.id);
    let mut records = vec![warcinfo(&file, now)];
    let mut firsts = Vec::new();
    for capture in &captures {
        let original = capture
            .spool_id
            .and_then(|id| originals.iter().find(|o| o.spool_id == id));
        let (written, first) = capture_records(capture, &doc, narrative, now, original);
        records.extend(written);
        firsts.extend(first);
    }
    if let Some(why) = &refetch_error {
        records.push(gone_record(&doc, narrative, now, why));
    }
    let dir = config.evidence_dir();
    let path = dir.join(&file);
    let mut entries = Vec::new();
    let mut bytes = Vec::new();
    for written in &records {
        entries.push(LogEntry {
            seq: 0,
            at_ms: now.timestamp_millis(),
            file: file.clone(),
            offset: bytes.len() as u64,
            length: written.bytes.len() as u64,
            record_id: written.id.clone(),
            record_type: written.kind.to_string(),
            target_uri: written.target.clone(),
            doc_id: doc.id.clone(),
            narrative: narrative.to_string(),
            sha256: sha256_hex(&written.bytes),
            prev: String::new(),
            hash: String::new(),
        });
        bytes.extend_from_slice(&written.bytes);
    }
    let total = bytes.len() as u64;
    let (store2, doc_id2, narrative2) = (store.clone(), doc.id.clone(), narrative.to_string());
    tokio::task::spawn_blocking(move || -> Result<(), ArchiveError> {
        write_durably(&path, &bytes)?;
        store2.append_evidence(entries, &firsts, &doc_id2, &narrative2, now)?;
        Ok(())
    })
    .await
    .map_err(|e| ArchiveError::Task(e.to_string()))??;
    Ok(Archived {
        doc_id: doc.id,
        narrative: narrative.to_string(),
        file,
        records: records.len(),
        bytes: total,
        spooled: spooled_count,
        refetched,
        refetch_error,
    })
}

/// Writes a file whole or not at all: a temporary file, synced, renamed, the folder synced.
fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), ArchiveError> {
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let temporary = path.with_extension("warc.partial");
    let mut file = std::fs::File::create(&temporary).map_err(io(&temporary))?;
    file.write_all(bytes).map_err(io(&temporary))?;
    file.sync_all().map_err(io(&temporary))?;
    drop(file);
    std::fs::rename(&temporary, path).map_err(io(path))?;
    if let Ok(dir) = std::fs::File::open(parent) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// What one archiving round did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RoundReport {
    pub queued: usize,
    pub archived: Vec<Archived>,
    pub failed: Vec<String>,
    pub spool_dropped: u64,
}

/// One round: the documents of every flagged narrative not yet archived are queued, the spool
/// is pruned, and up to `[evidence] per_round` queued documents are archived (oldest request
/// first). A document that fails stays queued and is reported with its id; the others go on.
pub async fn round(
    read: &ReadSide,
    store: &Arc<Store>,
    config: &Config,
    fetcher: Option<&Fetcher>,
    now: DateTime<Utc>,
) -> Result<RoundReport, ArchiveError> {
    let mut report = RoundReport::default();
    let (r, s, c) = (read.clone(), store.clone(), config.clone());
    let (queued, dropped, queue) =
        tokio::task::spawn_blocking(move || -> Result<_, ArchiveError> {
            let mut queued = 0;
            // Narratives alerted in the last 30 days: a story that has been quiet longer is not
            // swept every minute (its documents were archived while it was active).
            for narrative in s.flagged_narratives(now - chrono::Duration::days(FLAGGED_DAYS))? {
                if check_name(&narrative).is_err() {
                    continue;
                }
                let members: Vec<String> = r
                    .store
                    .cluster_members(&narrative)?
                    .into_iter()
                    .map(|(id, _)| id)
                    .collect();
                let done: HashSet<String> = s
                    .evidence_done_of(&members, &narrative)?
                    .into_iter()
                    .collect();
                let missing: Vec<String> =
                    members.into_iter().filter(|m| !done.contains(m)).collect();
                if !missing.is_empty() {
                    queued += s.queue_evidence(&missing, &narrative, "flagged", now)?;
                }
            }
            let spool_for = chrono::Duration::from_std(c.evidence.spool_for)
                .unwrap_or(chrono::Duration::days(14));
            let dropped = s.prune_spool(now - spool_for, c.evidence.spool_bytes)?;
            let queue = s.evidence_queue(c.evidence.per_round)?;
            Ok((queued, dropped, queue))
        })
        .await
        .map_err(|e| ArchiveError::Task(e.to_string()))??;
    report.queued = queued;
    report.spool_dropped = dropped;
    for (doc, narrative, _) in queue {
        match archive_document(read, store, config, fetcher, &doc, &narrative, now).await {
            Ok(archived) => report.archived.push(archived),
            Err(ArchiveError::NoDocument(_)) => {
                // Gone from the index (retention): nothing left to archive.
                let _ = store.drop_evidence_request(&doc, &narrative);
                report
                    .failed
                    .push(format!("document {doc}: no longer in the index"));
            }
            Err(error) => report.failed.push(format!("document {doc}: {error}")),
        }
    }
    Ok(report)
}

/// Runs archiving rounds every `every` until `shutdown` resolves.
pub async fn run(
    read: ReadSide,
    store: Arc<Store>,
    config: Config,
    fetcher: Arc<Fetcher>,
    every: std::time::Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        match round(&read, &store, &config, Some(&fetcher), Utc::now()).await {
            Ok(report) => {
                if !report.archived.is_empty() || !report.failed.is_empty() {
                    tracing::info!(
                        archived = report.archived.len(),
                        failed = report.failed.len(),
                        "evidence archived"
                    );
                }
                for failure in &report.failed {
                    tracing::warn!(failure = %failure, "evidence not archived; retried next round");
                }
            }
            Err(error) => tracing::warn!(%error, "evidence round failed; retried next round"),
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}

/// What `verify` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verification {
    pub entries: usize,
    pub files: usize,
    /// The chain's last hash.
    pub head: String,
    /// The first entry that does not match, and why.
    pub first_bad: Option<String>,
    pub audit_entries: usize,
    /// Audit entries written before the chain began (not covered).
    pub audit_unchained: usize,
    pub audit_first_bad: Option<String>,
    /// WARC files on disk the log does not name (a crash between writing and logging).
    pub unlogged_files: Vec<String>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.first_bad.is_none() && self.audit_first_bad.is_none()
    }
}

/// Checks the evidence log's chain and every archived record against its file, then the audit
/// log's chain; names the first entry of each that does not match.
pub fn verify(store: &Store, dir: &Path) -> Result<Verification, ArchiveError> {
    let mut out = Verification {
        head: GENESIS.to_string(),
        ..Verification::default()
    };
    let entries = store.evidence_log(None)?;
    out.entries = entries.len();
    let mut files: BTreeMap<String, Option<Vec<u8>>> = BTreeMap::new();
    let mut prev = GENESIS.to_string();
    for (i, entry) in entries.iter().enumerate() {
        let bad = |why: String| Some(format!("evidence entry {}: {why}", entry.seq));
        if entry.seq != i as i64 + 1 {
            out.first_bad = bad(format!("expected entry {} here", i + 1));
            break;
        }
        if entry.prev != prev {
            out.first_bad = bad("its previous hash is not the entry before's hash".into());
            break;
        }
        if chain_hash(&entry.prev, &entry.fields()) != entry.hash {
            out.first_bad = bad("its hash does not match its fields".into());
            break;
        }
        let content = files
            .entry(entry.file.clone())
            .or_insert_with(|| std::fs::read(dir.join(&entry.file)).ok());
        let Some(content) = content else {
            out.first_bad = bad(format!("file {} is missing", entry.file));
            break;
        };
        let record = usize::try_from(entry.offset)
            .ok()
            .zip(usize::try_from(entry.length).ok())
            .and_then(|(o, l)| content.get(o..o.checked_add(l)?));
        match record {
            Some(bytes) if sha256_hex(bytes) == entry.sha256 => {}
            Some(_) => {
                out.first_bad = bad(format!(
                    "record {} in {} does not match its SHA-256",
                    entry.record_id, entry.file
                ));
                break;
            }
            None => {
                out.first_bad = bad(format!("file {} is shorter than logged", entry.file));
                break;
            }
        }
        prev = entry.hash.clone();
        out.head = entry.hash.clone();
    }
    out.files = files.len();
    let logged: HashSet<&String> = files.keys().collect();
    out.unlogged_files = warc_files(dir)
        .into_iter()
        .filter(|f| !logged.contains(f))
        .collect();
    // The audit log's chain.
    let mut prev: Option<String> = None;
    for (entry, entry_prev, hash) in store.audit_chain()? {
        out.audit_entries += 1;
        let Some(hash) = hash else {
            if prev.is_some() {
                out.audit_first_bad = Some(format!("audit entry {}: not chained", entry.id));
                break;
            }
            out.audit_unchained += 1;
            continue;
        };
        let expected_prev = prev.clone().unwrap_or_else(|| GENESIS.to_string());
        if entry_prev.as_deref() != Some(expected_prev.as_str()) {
            out.audit_first_bad = Some(format!(
                "audit entry {}: its previous hash is not the entry before's hash",
                entry.id
            ));
            break;
        }
        if chain_hash(
            &expected_prev,
            &crate::store::accounts::audit_fields(&entry),
        ) != hash
        {
            out.audit_first_bad = Some(format!(
                "audit entry {}: its hash does not match its fields",
                entry.id
            ));
            break;
        }
        prev = Some(hash);
    }
    Ok(out)
}

/// The WARC files under `dir/warc`, as paths relative to `dir`.
fn warc_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(narratives) = std::fs::read_dir(dir.join("warc")) else {
        return out;
    };
    for narrative in narratives.flatten() {
        let Ok(files) = std::fs::read_dir(narrative.path()) else {
            continue;
        };
        for file in files.flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            if name.ends_with(".warc") {
                out.push(format!(
                    "warc/{}/{name}",
                    narrative.file_name().to_string_lossy()
                ));
            }
        }
    }
    out.sort();
    out
}

/// The manifest of an evidence bundle.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub generated: DateTime<Utc>,
    pub generated_by: String,
    pub note: String,
    pub narrative: NarrativeFacts,
    pub files: Vec<FileFact>,
    pub records: Vec<RecordFact>,
    /// The whole chain, so its links can be checked: (seq, prev, fields digest, hash); the
    /// fields of this narrative's entries are in `records`.
    pub chain: Vec<ChainLink>,
    pub chain_head: String,
    pub how_to_verify: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NarrativeFacts {
    pub id: String,
    pub headline: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub documents: usize,
    pub sources: Vec<(String, usize)>,
    pub disarm: Vec<(String, String, String)>,
    pub queries: Vec<(String, usize)>,
    /// Documents per hour, from the first document to the last.
    pub timeline: Vec<(DateTime<Utc>, usize)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileFact {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecordFact {
    pub entry: LogEntry,
    /// The fields the entry's hash covers, as hashed (compact JSON).
    pub fields: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChainLink {
    pub seq: i64,
    pub prev: String,
    pub fields_sha256: String,
    pub hash: String,
}

/// Writes the evidence bundle of a narrative to `out` (a tar): its WARC files, `manifest.json`,
/// `manifest.html` and `SHA256SUMS` (`sha256sum -c SHA256SUMS` checks every file).
pub fn export(
    read: &ReadSide,
    store: &Store,
    dir: &Path,
    narrative: &str,
    generated_by: &str,
    now: DateTime<Utc>,
    out: &mut dyn Write,
) -> Result<Manifest, ArchiveError> {
    check_name(narrative)?;
    let facts = match read.narrative(narrative, now)? {
        Some(n) => narrative_facts(read, &n)?,
        None => {
            // No longer assembled (its documents left the index): its evidence still exports,
            // described from the records themselves.
            let entries = store.evidence_log(Some(narrative))?;
            if entries.is_empty() {
                return Err(ArchiveError::NoNarrative(narrative.to_string()));
            }
            let times = entries
                .iter()
                .filter_map(|e| DateTime::<Utc>::from_timestamp_millis(e.at_ms));
            let first = times.clone().min().unwrap_or(now);
            let docs: HashSet<&str> = entries.iter().map(|e| e.doc_id.as_str()).collect();
            NarrativeFacts {
                id: narrative.to_string(),
                headline: format!("Narrative {narrative} (no longer in the index)"),
                first_seen: first,
                last_seen: times.max().unwrap_or(first),
                documents: docs.len(),
                sources: Vec::new(),
                disarm: Vec::new(),
                queries: Vec::new(),
                timeline: Vec::new(),
            }
        }
    };
    write_bundle(
        store,
        dir,
        |e| e.narrative == narrative,
        facts,
        generated_by,
        now,
        out,
    )
}

/// What a bundle's manifest says of an assembled narrative.
fn narrative_facts(
    read: &ReadSide,
    n: &crate::detect::narrative::Narrative,
) -> Result<NarrativeFacts, ArchiveError> {
    let narrative = n.id.as_str();
    let members: Vec<String> = read
        .store
        .cluster_members(narrative)?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let docs = read
        .reader
        .docs_by_id(&members)
        .map_err(DetectError::from)?;
    let mut hours: BTreeMap<DateTime<Utc>, usize> = BTreeMap::new();
    for d in &docs {
        let hour = d
            .published
            .duration_trunc(chrono::Duration::hours(1))
            .unwrap_or(d.published);
        *hours.entry(hour).or_default() += 1;
    }
    let first_seen = docs
        .iter()
        .map(|d| d.published)
        .min()
        .unwrap_or(n.first_seen.published);
    let last_seen = docs.iter().map(|d| d.published).max().unwrap_or(first_seen);
    let facts = NarrativeFacts {
        id: n.id.clone(),
        headline: n.headline(),
        first_seen,
        last_seen,
        documents: docs.len(),
        sources: n.sources.clone(),
        disarm: n
            .disarm
            .iter()
            .map(|t| (t.id.clone(), t.name.clone(), t.why.clone()))
            .collect(),
        queries: n.queries.clone(),
        timeline: hours.into_iter().collect(),
    };
    Ok(facts)
}

/// Writes the evidence bundle of a document that held registered material (`LEAK`), for the
/// security office.
pub fn export_leak(
    store: &Store,
    dir: &Path,
    doc_id: &str,
    generated_by: &str,
    now: DateTime<Utc>,
    out: &mut dyn Write,
) -> Result<Manifest, ArchiveError> {
    let found = store
        .leak_match_of(doc_id)?
        .ok_or_else(|| ArchiveError::NoDocument(doc_id.to_string()))?;
    let facts = NarrativeFacts {
        id: LEAK.to_string(),
        headline: format!(
            "Registered material \"{}\" found in {}",
            found.label, found.url
        ),
        first_seen: found.at,
        last_seen: found.at,
        documents: 1,
        sources: vec![(found.source.clone(), 1)],
        disarm: Vec::new(),
        queries: Vec::new(),
        timeline: vec![(found.at, 1)],
    };
    write_bundle(
        store,
        dir,
        |e| e.narrative == LEAK && e.doc_id == doc_id,
        facts,
        generated_by,
        now,
        out,
    )
}

fn write_bundle(
    store: &Store,
    dir: &Path,
    keep: impl Fn(&LogEntry) -> bool,
    narrative: NarrativeFacts,
    generated_by: &str,
    now: DateTime<Utc>,
    out: &mut dyn Write,
) -> Result<Manifest, ArchiveError> {
    let all = store.evidence_log(None)?;
    let mine: Vec<&LogEntry> = all.iter().filter(|e| keep(e)).collect();
    let mut file_names: Vec<String> = mine.iter().map(|e| e.file.clone()).collect();
    file_names.sort();
    file_names.dedup();
    let mut tar = tar::Builder::new(out);
    let mut sums = String::new();
    let mut files = Vec::new();
    let mut add = |tar: &mut tar::Builder<&mut dyn Write>,
                   name: &str,
                   bytes: &[u8]|
     -> Result<String, ArchiveError> {
        append(tar, name, bytes, now)?;
        let digest = sha256_hex(bytes);
        sums.push_str(&format!("{digest}  {name}\n"));
        Ok(digest)
    };
    for name in &file_names {
        let path = dir.join(name);
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        let sha256 = add(&mut tar, name, &bytes)?;
        files.push(FileFact {
            name: name.clone(),
            bytes: bytes.len() as u64,
            sha256,
        });
    }
    let manifest = Manifest {
        generated: now,
        generated_by: generated_by.to_string(),
        note: crate::stix::NOT_A_VERDICT.to_string(),
        narrative,
        files,
        records: mine
            .iter()
            .map(|e| RecordFact {
                entry: (*e).clone(),
                fields: e.fields().to_string(),
            })
            .collect(),
        chain: all
            .iter()
            .map(|e| ChainLink {
                seq: e.seq,
                prev: e.prev.clone(),
                fields_sha256: sha256_hex(e.fields().to_string().as_bytes()),
                hash: e.hash.clone(),
            })
            .collect(),
        chain_head: all.last().map_or(GENESIS.to_string(), |e| e.hash.clone()),
        how_to_verify: vec![
            "sha256sum -c SHA256SUMS checks every file of this bundle.".into(),
            "Each record's SHA-256 is that of bytes [offset, offset + length) of its WARC file.".into(),
            "Any WARC reader opens the files, e.g. `warcio check warc/*/*.warc` checks every record's digests.".into(),
            "Chain: for each link, hash = SHA-256(prev + \"\\n\" + fields_sha256) in lower-case hex; each prev is the hash before it, the first is 64 zeros; for this bundle's records, fields_sha256 = SHA-256(fields).".into(),
        ],
    };
    let json = serde_json::to_vec_pretty(&manifest).unwrap_or_default();
    add(&mut tar, "manifest.json", &json)?;
    let html = manifest_html(&manifest);
    add(&mut tar, "manifest.html", html.as_bytes())?;
    append(&mut tar, "SHA256SUMS", sums.as_bytes(), now)?;
    tar.finish().map_err(io(Path::new("bundle")))?;
    Ok(manifest)
}

/// One file into a bundle.
fn append(
    tar: &mut tar::Builder<&mut dyn Write>,
    name: &str,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<(), ArchiveError> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(now.timestamp().max(0) as u64);
    header.set_cksum();
    tar.append_data(&mut header, name, bytes)
        .map_err(io(Path::new(name)))
}

/// The manifest as a page a person reads (no script, every text escaped).
fn manifest_html(m: &Manifest) -> String {
    use crate::text::escape_html as e;
    let mut page = format!(
        "<!doctype html><html lang=en><meta charset=utf-8><title>Evidence: {}</title>\
         <style>body{{font:15px/1.4 system-ui,sans-serif;margin:2em;max-width:72em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}}code{{word-break:break-all}}</style>\
         <h1>Evidence bundle: {}</h1><p><strong>{}</strong></p>\
         <p>Narrative <code>{}</code>: {} documents, first seen {}, last seen {}. Generated {} by {}.</p>\
         <p>Chain head: <code>{}</code></p>",
        e(&m.narrative.headline),
        e(&m.narrative.headline),
        e(&m.note),
        e(&m.narrative.id),
        m.narrative.documents,
        m.narrative.first_seen.format("%Y-%m-%d %H:%M UTC"),
        m.narrative.last_seen.format("%Y-%m-%d %H:%M UTC"),
        m.generated.format("%Y-%m-%d %H:%M UTC"),
        e(&m.generated_by),
        e(&m.chain_head),
    );
    page.push_str("<h2>How to check it</h2><ul>");
    for step in &m.how_to_verify {
        page.push_str(&format!("<li>{}</li>", e(step)));
    }
    page.push_str("</ul><h2>Sources</h2><table><tr><th>source or account<th>documents");
    for (source, count) in &m.narrative.sources {
        page.push_str(&format!("<tr><td>{}<td>{count}", e(source)));
    }
    page.push_str("</table><h2>Behaviour described</h2><ul>");
    for (id, name, why) in &m.narrative.disarm {
        page.push_str(&format!("<li>{} {}: {}</li>", e(id), e(name), e(why)));
    }
    page.push_str("</ul><h2>Timeline (documents per hour)</h2><table>");
    for (hour, count) in &m.narrative.timeline {
        page.push_str(&format!(
            "<tr><td>{}<td>{count}",
            hour.format("%Y-%m-%d %H:00 UTC")
        ));
    }
    page.push_str("</table><h2>Records</h2><table><tr><th>#<th>type<th>captured<th>target<th>file, offset, length<th>SHA-256");
    for r in &m.records {
        let at = DateTime::<Utc>::from_timestamp_millis(r.entry.at_ms).unwrap_or_default();
        page.push_str(&format!(
            "<tr><td>{}<td>{}<td>{}<td><code>{}</code><td><code>{}</code> {} {}<td><code>{}</code>",
            r.entry.seq,
            e(&r.entry.record_type),
            at.format("%Y-%m-%d %H:%M:%S UTC"),
            e(&r.entry.target_uri),
            e(&r.entry.file),
            r.entry.offset,
            r.entry.length,
            e(&r.entry.sha256)
        ));
    }
    page.push_str("</table><h2>Files</h2><table><tr><th>file<th>bytes<th>SHA-256");
    for f in &m.files {
        page.push_str(&format!(
            "<tr><td><code>{}</code><td>{}<td><code>{}</code>",
            e(&f.name),
            f.bytes,
            e(&f.sha256)
        ));
    }
    page.push_str("</table></html>\n");
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_matches_rfc_4648() {
        // RFC 4648 section 10.
        for (input, expected) in [
            ("", ""),
            ("f", "MY======"),
            ("fo", "MZXQ===="),
            ("foo", "MZXW6==="),
            ("foob", "MZXW6YQ="),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI======"),
        ] {
            assert_eq!(base32(input.as_bytes()), expected, "{input:?}");
        }
    }

    #[test]
    fn record_ids_are_uuid_v4_urns() {
        let id = record_id();
        assert!(id.starts_with("<urn:uuid:") && id.ends_with('>'), "{id}");
        let uuid = uuid::Uuid::parse_str(&id[10..id.len() - 1]).unwrap();
        assert_eq!(uuid.get_version_num(), 4);
        assert_ne!(record_id(), record_id());
    }

    #[test]
    fn narrative_names_are_safe_paths() {
        for good in ["n0123456789ab", "on-demand"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "../x", "a/b", "n\n", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn header_values_stay_on_one_line() {
        assert_eq!(one_line("a\r\nWARC-Type: x"), "a  WARC-Type: x");
    }
}
