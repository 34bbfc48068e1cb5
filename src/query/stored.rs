//! Stored queries: one TOML file per query in `queries/`, owned by analysts. Each file carries
//! the query, its severity, its emergence thresholds and examples that must or must not match.
//! Loading validates everything and compiles the query; an invalid file stops start-up with its
//! name and the error. `run_examples` checks every example against a throw-away index with the
//! same analyzers as the real one, so an example means what a crawled document would.

use crate::index::schema::Fields;
use crate::query::QueryError;
use crate::query::lists::Lists;
use crate::query::settings::{EmergenceSettings, SpikeSettings};
use crate::types::Severity;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tantivy::IndexWriter;
use tantivy::collector::DocSetCollector;
use tantivy::query::Query;
use tantivy::schema::{TantivyDocument, Value};

/// An example document a stored query must (or must not) match.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    #[serde(default)]
    pub title: Option<String>,
    pub text: String,
    #[serde(default)]
    pub lang: Option<String>,
    pub must_match: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueryFile {
    id: String,
    title: String,
    #[serde(default)]
    description: String,
    query: String,
    severity: Severity,
    #[serde(default)]
    claim: Option<bool>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    languages: Vec<String>,
    #[serde(default)]
    disarm: Vec<String>,
    #[serde(default)]
    rebuttal: Option<Rebuttal>,
    #[serde(default)]
    emergence: RawEmergence,
    #[serde(default)]
    spike: SpikeSettings,
    #[serde(default)]
    examples: Vec<Example>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawEmergence {
    window: Option<String>,
    baseline: Option<String>,
    min_count: Option<u32>,
    min_ratio: Option<f64>,
}

/// What answers a narrative: the court's statement (a link) and/or a Rome Statute article.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rebuttal {
    /// One or two sentences a press officer can use.
    #[serde(default)]
    pub text: String,
    /// The court's statement or fact sheet.
    #[serde(default)]
    pub url: Option<String>,
    /// A Rome Statute article number, e.g. "58".
    #[serde(default)]
    pub article: Option<String>,
}

/// A loaded, validated stored query.
pub struct StoredQuery {
    pub id: String,
    pub title: String,
    pub description: String,
    pub query_text: String,
    pub severity: Severity,
    /// Whether a match says which claim a document makes, for story clustering: a query rated
    /// watch or urgent does unless its file says `claim = false` (a query about how something
    /// is said, such as unnamed sourcing, raises urgency but is no claim of its own).
    pub claim: bool,
    pub owner: Option<String>,
    /// Matches are limited to documents in these languages (and those whose language is
    /// unknown); empty means every language.
    pub languages: Vec<String>,
    /// DISARM technique ids the analyst associates with the narrative.
    pub disarm: Vec<String>,
    /// The statement or Statute article that answers the narrative, shown beside it.
    pub rebuttal: Option<Rebuttal>,
    /// Spike thresholds for this query's hourly volume.
    pub spike: SpikeSettings,
    pub emergence: EmergenceSettings,
    pub examples: Vec<Example>,
    pub path: PathBuf,
    /// The name lists the query was compiled with.
    pub lists: Arc<Lists>,
    /// Compiled against the index schema and analyzers, language filter included.
    pub query: Box<dyn Query>,
    /// Terms one of which every match holds: the percolator skips the query for a batch
    /// holding none of them. `None` when unknown (the query always runs).
    pub anchors: Option<crate::query::compile::Anchors>,
    /// `query`, prepared for unscored matching once (it does not depend on the searcher).
    pub weight: Arc<dyn tantivy::query::Weight>,
}

/// Prepares an unscored query's weight once, for every batch to come.
pub fn prepare_weight(
    index: &tantivy::Index,
    query: &dyn Query,
) -> Result<Arc<dyn tantivy::query::Weight>, QueryError> {
    let schema = index.schema();
    query
        .weight(tantivy::query::EnableScoring::disabled_from_schema(&schema))
        .map(Arc::from)
        .map_err(|e| QueryError {
            message: e.to_string(),
            at: None,
            hint: None,
        })
}

impl StoredQuery {
    /// Compiles this query's text against another index (same schema), with the same lists
    /// and language limits: what examples, backtests and tuning tools run.
    pub fn compile_for(&self, index: &tantivy::Index) -> Result<Box<dyn Query>, QueryError> {
        compile_stored(index, &self.query_text, &self.lists, &self.languages).map(|c| c.query)
    }
}

/// Compiles a stored query's text: the language's query, limited to `languages` (plus
/// documents of unknown language) when any are given.
pub fn compile_stored(
    index: &tantivy::Index,
    text: &str,
    lists: &Lists,
    languages: &[String],
) -> Result<crate::query::Compiled, QueryError> {
    let mut compiled = crate::query::compile_with(
        index,
        text,
        lists,
        languages,
        crate::query::Scoring::Unscored,
    )?;
    if !languages.is_empty() {
        let field = Fields::new(&index.schema()).lang;
        let terms = languages
            .iter()
            .map(String::as_str)
            .chain(["und"])
            .map(|l| tantivy::Term::from_field_text(field, l));
        let filter = tantivy::query::TermSetQuery::new(terms);
        compiled.query = Box::new(tantivy::query::BooleanQuery::new(vec![
            (tantivy::query::Occur::Must, compiled.query),
            (tantivy::query::Occur::Must, Box::new(filter)),
        ]));
    }
    Ok(compiled)
}

/// A stored query file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct StoredQueryError {
    pub path: PathBuf,
    pub message: String,
}

/// An example that did not behave.
#[derive(Debug, Clone, PartialEq)]
pub struct ExampleFailure {
    pub query_id: String,
    pub path: PathBuf,
    /// 1-based position among the file's examples.
    pub example: usize,
    pub text: String,
    pub must_match: bool,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let expected = if self.must_match {
            "should match but did not"
        } else {
            "matched but must not"
        };
        write!(
            f,
            "{}: query {:?}, example {}: {expected}: {:?}",
            self.path.display(),
            self.query_id,
            self.example,
            crate::text::truncate_chars(&self.text, 120)
        )
    }
}

/// Loads the name lists of a stored-query folder (`dir/lists/*.toml`).
pub fn load_lists(dir: &Path) -> Result<Lists, StoredQueryError> {
    Lists::load_dir(&dir.join("lists")).map_err(|e| StoredQueryError {
        path: PathBuf::from(e.path),
        message: e.message,
    })
}

/// Id of the stored query made from the sources marked `court_focused` in `vigil.toml`.
pub const COURT_FOCUSED_ID: &str = "court-focused-sources";

/// The stored query that makes every document of the court-focused sources court coverage, so
/// a claim that grows among them reaches clustering and narratives even when no narrower query
/// anticipated it. Made from the configuration, not a file (`path` is where such a file would
/// be); `None` when no source is marked.
pub fn court_focused(
    sources: &[String],
    dir: &Path,
    index: &tantivy::Index,
    lists: &Arc<Lists>,
) -> Result<Option<StoredQuery>, StoredQueryError> {
    if sources.is_empty() {
        return Ok(None);
    }
    let terms: Vec<String> = sources
        .iter()
        .map(|name| format!("source:\"{}\"", name.replace(['"', '\\'], "")))
        .collect();
    let text = format!(
        "id = {id:?}\ntitle = \"Everything from court-focused sources\"\n\
         description = \"Sources marked court_focused = true in vigil.toml ({names}): all their documents are court coverage.\"\n\
         query = {query:?}\nseverity = \"info\"\n",
        id = COURT_FOCUSED_ID,
        names = sources.join(", ").replace(['"', '\\'], ""),
        query = terms.join(" OR "),
    );
    load_text(
        &text,
        &dir.join(format!("{COURT_FOCUSED_ID}.toml")),
        index,
        lists,
    )
    .map(Some)
}

/// File stems in the stored-query folder that are not queries: the calendar of scheduled
/// events, the name-list folder, and the workbench's pages for a new query and for vendor
/// queries. No query may take
/// one as its id, so saving a query can never overwrite them.
pub const RESERVED_IDS: &[&str] = &["calendar", "lists", "new-query", "lint"];

/// Whether `id` names one of the reserved files (`RESERVED_IDS`).
pub fn reserved_id(id: &str) -> bool {
    RESERVED_IDS.contains(&id)
}

/// Loads every `*.toml` file directly in `dir` (sub-folders such as `lists/` are not queries),
/// sorted by id, with the lists of `dir/lists/`; the first file that fails fails the folder
/// (for `vigil queries test`, where every file must load).
pub fn load_dir(dir: &Path, index: &tantivy::Index) -> Result<Vec<StoredQuery>, StoredQueryError> {
    let (queries, mut failures) = load_dir_skipping(dir, index)?;
    match failures.is_empty() {
        true => Ok(queries),
        false => Err(failures.remove(0)),
    }
}

/// Loads the folder's stored queries, skipping each file that fails (reported beside the
/// ones that loaded): one analyst's broken file must not stop percolation, search or the
/// digest for everybody. The folder itself failing (unreadable, broken lists) is an error.
pub fn load_dir_skipping(
    dir: &Path,
    index: &tantivy::Index,
) -> Result<(Vec<StoredQuery>, Vec<StoredQueryError>), StoredQueryError> {
    let lists = Arc::new(load_lists(dir)?);
    let entries = std::fs::read_dir(dir).map_err(|e| StoredQueryError {
        path: dir.to_path_buf(),
        message: format!("cannot read the stored-query folder: {e}"),
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
        .filter(|p| {
            !p.file_stem()
                .and_then(|n| n.to_str())
                .is_some_and(reserved_id)
        })
        .collect();
    paths.sort();
    let mut queries = Vec::with_capacity(paths.len());
    let mut failures = Vec::new();
    for path in paths {
        let query = match load_file(&path, index, &lists) {
            Ok(query) => query,
            Err(error) => {
                failures.push(error);
                continue;
            }
        };
        if let Some(other) = queries.iter().find(|q: &&StoredQuery| q.id == query.id) {
            failures.push(StoredQueryError {
                message: format!(
                    "id {:?} is already used by {}",
                    query.id,
                    other.path.display()
                ),
                path,
            });
            continue;
        }
        queries.push(query);
    }
    queries.sort_by(|a, b| a.id.cmp(&b.id));
    Ok((queries, failures))
}

/// Loads and validates one stored query file.
pub fn load_file(
    path: &Path,
    index: &tantivy::Index,
    lists: &Arc<Lists>,
) -> Result<StoredQuery, StoredQueryError> {
    let text = std::fs::read_to_string(path).map_err(|e| StoredQueryError {
        path: path.to_path_buf(),
        message: format!("cannot read: {e}"),
    })?;
    load_text(&text, path, index, lists)
}

/// A stored query from its TOML text, as if read from `path` (its file name must match the id):
/// the workbench checks an edit before it is saved.
pub fn load_text(
    text: &str,
    path: &Path,
    index: &tantivy::Index,
    lists: &Arc<Lists>,
) -> Result<StoredQuery, StoredQueryError> {
    let fail = |message: String| StoredQueryError {
        path: path.to_path_buf(),
        message,
    };
    let file: QueryFile = toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map(|s| format!("at byte {}: ", s.start))
            .unwrap_or_default();
        fail(format!("{at}{}", e.message().trim()))
    })?;
    let valid_id = !file.id.is_empty()
        && file.id.len() <= 64
        && file
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !valid_id {
        return Err(fail(format!(
            "id {:?}: use 1 to 64 of a-z, 0-9, - and _",
            file.id
        )));
    }
    if reserved_id(&file.id) {
        return Err(fail(format!(
            "id {:?} is reserved for another file of the folder ({})",
            file.id,
            RESERVED_IDS.join(", ")
        )));
    }
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if stem != file.id {
        return Err(fail(format!(
            "id {:?} must equal the file name ({stem}.toml)",
            file.id
        )));
    }
    let defaults = EmergenceSettings::default();
    let duration = |key: &str, value: Option<String>, default| match value {
        None => Ok(default),
        Some(text) => {
            crate::types::parse_duration(&text).map_err(|m| fail(format!("emergence.{key}: {m}")))
        }
    };
    let emergence = EmergenceSettings {
        window: duration("window", file.emergence.window, defaults.window)?,
        baseline: duration("baseline", file.emergence.baseline, defaults.baseline)?,
        min_count: file.emergence.min_count.unwrap_or(defaults.min_count),
        min_ratio: file.emergence.min_ratio.unwrap_or(defaults.min_ratio),
    };
    emergence
        .validate()
        .map_err(|m| fail(format!("emergence: {m}")))?;
    for lang in &file.languages {
        let valid = (2..=3).contains(&lang.len()) && lang.chars().all(|c| c.is_ascii_lowercase());
        if !valid {
            return Err(fail(format!(
                "languages: {lang:?} is not a language code such as \"en\" or \"fr\""
            )));
        }
    }
    crate::disarm::check_ids(&file.disarm).map_err(|m| fail(format!("disarm: {m}")))?;
    file.spike
        .validate()
        .map_err(|m| fail(format!("spike: {m}")))?;
    if let Some(rebuttal) = &file.rebuttal {
        if let Some(url) = &rebuttal.url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(fail(format!(
                "rebuttal.url {url:?}: use an http(s) address"
            )));
        }
        if let Some(article) = &rebuttal.article
            && crate::statute::article(article).is_none()
        {
            return Err(fail(format!(
                "rebuttal.article {article:?}: no such article in the Rome Statute"
            )));
        }
        if rebuttal.text.trim().is_empty() && rebuttal.url.is_none() && rebuttal.article.is_none() {
            return Err(fail("rebuttal: give text, url or article".into()));
        }
    }
    let compiled = compile_stored(index, &file.query, lists, &file.languages)
        .map_err(|e| fail(format!("query: {}", e.render(&file.query))))?;
    Ok(StoredQuery {
        id: file.id,
        title: file.title,
        description: file.description,
        query_text: file.query,
        severity: file.severity,
        claim: file.claim.unwrap_or(file.severity > Severity::Info),
        owner: file.owner,
        languages: file.languages,
        disarm: file.disarm,
        rebuttal: file.rebuttal,
        spike: file.spike,
        emergence,
        examples: file.examples,
        path: path.to_path_buf(),
        lists: Arc::clone(lists),
        weight: prepare_weight(index, &*compiled.query)
            .map_err(|e| fail(format!("query: {}", e.message)))?,
        query: compiled.query,
        anchors: compiled.anchors,
    })
}

/// Runs every example of every query; returns those that did not behave.
pub fn run_examples(
    queries: &[StoredQuery],
) -> Result<Vec<ExampleFailure>, crate::index::IndexError> {
    let mut failures = Vec::new();
    for query in queries {
        if query.examples.is_empty() {
            continue;
        }
        let index = crate::index::in_memory();
        let fields = Fields::new(&index.schema());
        let mut writer: IndexWriter<TantivyDocument> =
            index.writer_with_num_threads(1, 15_000_000)?;
        for (position, example) in query.examples.iter().enumerate() {
            let mut doc = TantivyDocument::default();
            doc.add_u64(fields.seq, position as u64);
            let title = example.title.as_deref().unwrap_or_default();
            let lang = match example
                .lang
                .as_deref()
                .and_then(crate::normalise::language_from_tag)
            {
                Some(lang) => lang,
                None => crate::normalise::detect_language(title, &example.text),
            };
            fields.add_text(&mut doc, title, &example.text, &lang);
            doc.add_text(fields.lang, &lang);
            writer.add_document(doc)?;
        }
        writer.commit()?;
        let searcher = index.reader()?.searcher();
        // The stored query was compiled against another index; recompile against this one so
        // term lookups use its analyzers.
        let compiled = query.compile_for(&index).map_err(|e| {
            crate::index::IndexError::Tantivy(tantivy::TantivyError::InvalidArgument(e.message))
        })?;
        let mut matched = std::collections::HashSet::new();
        for address in searcher.search(&*compiled, &DocSetCollector)? {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(position) = doc.get_first(fields.seq).and_then(|v| v.as_u64()) {
                matched.insert(position as usize);
            }
        }
        for (position, example) in query.examples.iter().enumerate() {
            if matched.contains(&position) != example.must_match {
                failures.push(ExampleFailure {
                    query_id: query.id.clone(),
                    path: query.path.clone(),
                    example: position + 1,
                    text: example.text.clone(),
                    must_match: example.must_match,
                });
            }
        }
    }
    Ok(failures)
}

/// The stored queries that weigh in story clustering.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClaimQueries {
    /// What is claimed: queries rated watch or urgent (unless their file says `claim = false`),
    /// as opposed to coverage (rated info: all mentions, hearings, the court by reference).
    pub claims: std::collections::HashSet<String>,
    /// How it is said: queries rated watch or urgent whose file says `claim = false` (unnamed
    /// sources, rumours). Two documents said alike lean together, but a document on hearsay is
    /// not held to stories on hearsay.
    pub manners: std::collections::HashSet<String>,
    /// The court's own channels (sources marked `official`): a story one of their documents
    /// begins is the court's word, whatever claims its coverage matches.
    pub official_sources: std::collections::HashSet<String>,
}

impl ClaimQueries {
    /// The claims alone, no manners (tests and tools).
    pub fn of(claims: &[&str]) -> ClaimQueries {
        ClaimQueries {
            claims: claims.iter().map(|c| c.to_string()).collect(),
            ..Default::default()
        }
    }

    /// Whether a query's matches weigh at all (a claim or a manner).
    pub fn weighs(&self, query: &str) -> bool {
        self.claims.contains(query) || self.manners.contains(query)
    }
}

/// Sorts the stored queries into claims and manners (`ClaimQueries`).
pub fn claim_queries(queries: &[StoredQuery]) -> ClaimQueries {
    let mut out = ClaimQueries::default();
    for q in queries {
        if q.claim {
            out.claims.insert(q.id.clone());
        } else if q.severity > Severity::Info {
            out.manners.insert(q.id.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn write(dir: &Path, name: &str, body: &str) -> std::io::Result<PathBuf> {
        let path = dir.join(name);
        std::fs::write(&path, body)?;
        Ok(path)
    }

    #[test]
    fn loads_validates_and_runs_examples() -> TestResult {
        let dir = tempfile::tempdir()?;
        let index = crate::index::in_memory();
        write(
            dir.path(),
            "void-warrant.toml",
            r#"
id = "void-warrant"
title = "The warrant is void"
query = '(warrant OR mandat) AND (void OR nul)'
severity = "watch"
[[examples]]
text = "Le mandat d'arrêt est nul et non avenu"
must_match = true
[[examples]]
text = "The warrant was issued on Monday"
must_match = false
[[examples]]
text = "The court hearing is void of any substance"
must_match = true
"#,
        )?;
        let queries = load_dir(dir.path(), &index)?;
        assert_eq!(queries.len(), 1);
        let failures = run_examples(&queries)?;
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert_eq!(failures[0].example, 3);
        assert!(failures[0].to_string().contains(
            "void-warrant.toml: query \"void-warrant\", example 3: should match but did not"
        ));
        Ok(())
    }

    #[test]
    fn claims_are_watch_and_urgent_queries_unless_a_file_says_otherwise() -> TestResult {
        let dir = tempfile::tempdir()?;
        let index = crate::index::in_memory();
        // (id, severity, claim line, a claim, a manner)
        let cases = [
            ("coverage", "info", "", false, false),
            ("criticism", "watch", "", true, false),
            ("bribery", "urgent", "", true, false),
            ("hearsay", "watch", "claim = false\n", false, true),
            ("marked", "info", "claim = true\n", true, false),
        ];
        for (id, severity, claim, _, _) in cases {
            write(
                dir.path(),
                &format!("{id}.toml"),
                &format!(
                    "id = \"{id}\"\ntitle = \"t\"\nquery = \"x\"\nseverity = \"{severity}\"\n{claim}"
                ),
            )?;
        }
        let sorted = claim_queries(&load_dir(dir.path(), &index)?);
        for (id, _, _, claim, manner) in cases {
            assert_eq!(sorted.claims.contains(id), claim, "{id}");
            assert_eq!(sorted.manners.contains(id), manner, "{id}");
        }
        Ok(())
    }

    #[test]
    fn bad_files_name_themselves() -> TestResult {
        let cases = [
            (
                "a.toml",
                "id = \"b\"\ntitle = \"t\"\nquery = \"x\"\nseverity = \"info\"\n",
                "must equal the file name",
            ),
            (
                "a.toml",
                "id = \"a\"\ntitle = \"t\"\nquery = \"x AND (\"\nseverity = \"info\"\n",
                "query: ",
            ),
            (
                "a.toml",
                "id = \"a\"\ntitle = \"t\"\nquery = \"x\"\nseverity = \"loud\"\n",
                "unknown variant",
            ),
            (
                "a.toml",
                "id = \"a\"\ntitle = \"t\"\nquery = \"x\"\nseverity = \"info\"\n[emergence]\nmin_ratio = 0.5\n",
                "emergence: ",
            ),
        ];
        for (name, body, expected) in cases {
            let dir = tempfile::tempdir()?;
            write(dir.path(), name, body)?;
            let error = load_dir(dir.path(), &crate::index::in_memory())
                .err()
                .unwrap()
                .to_string();
            assert!(error.contains(name) && error.contains(expected), "{error}");
        }
        Ok(())
    }
}
