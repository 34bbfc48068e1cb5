//! The only place index fields are declared. Every other module names fields through the
//! constants and the `Fields` handles here, so a field rename is one edit.

use tantivy::Index;
use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, IndexRecordOption, NumericOptions, STORED, STRING,
    Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenStream, SimpleTokenizer,
    Stemmer, TextAnalyzer, Token, TokenStream, Tokenizer,
};

pub const ID: &str = "id";
pub const URL: &str = "url";
pub const SOURCE: &str = "source";
pub const KIND: &str = "kind";
pub const TITLE: &str = "title";
pub const BODY: &str = "body";
pub const AUTHOR: &str = "author";
pub const LANG: &str = "lang";
pub const PUBLISHED: &str = "published";
pub const FETCHED: &str = "fetched";
pub const SEQ: &str = "seq";
pub const CONTENT_HASH: &str = "content_hash";
pub const SIMHASH: &str = "simhash";
pub const DUP_GROUP: &str = "dup_group";
pub const HASHTAG: &str = "hashtag";
pub const MENTION: &str = "mention";
pub const LINK: &str = "link";
pub const LINK_DOMAIN: &str = "link_domain";
pub const SITE: &str = "site";
pub const SHARED_OF: &str = "shared_of";
pub const REPOSTS: &str = "reposts";
pub const LIKES: &str = "likes";
pub const REPLIES: &str = "replies";
pub const VIEWS: &str = "views";

/// The analyzer of full-text fields: words, lowercased, accents folded, so `Cour pénale`
/// matches `cour penale`.
pub const TEXT_ANALYZER: &str = "vigil_text";

/// The languages with a stemmer, by ISO 639-1 code. Each has its own field (`stem_<code>`)
/// holding the title and body of that language's documents, analysed lowercase → stem →
/// accent-fold; documents in other languages are only in `title` and `body`.
pub const STEMMED_LANGUAGES: &[(&str, Language)] = &[
    ("ar", Language::Arabic),
    ("da", Language::Danish),
    ("nl", Language::Dutch),
    ("en", Language::English),
    ("fi", Language::Finnish),
    ("fr", Language::French),
    ("de", Language::German),
    ("el", Language::Greek),
    ("hu", Language::Hungarian),
    ("it", Language::Italian),
    ("nb", Language::Norwegian),
    ("pt", Language::Portuguese),
    ("ro", Language::Romanian),
    ("ru", Language::Russian),
    ("es", Language::Spanish),
    ("sv", Language::Swedish),
    ("ta", Language::Tamil),
    ("tr", Language::Turkish),
];

/// The name of a language's stemmed field and of its analyzer.
pub fn stem_field_name(code: &str) -> String {
    format!("stem_{code}")
}

/// Field handles resolved once from the schema.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub url: Field,
    pub source: Field,
    pub kind: Field,
    pub title: Field,
    pub body: Field,
    pub author: Field,
    pub lang: Field,
    pub published: Field,
    pub fetched: Field,
    pub seq: Field,
    pub content_hash: Field,
    pub simhash: Field,
    pub dup_group: Field,
    pub hashtag: Field,
    pub mention: Field,
    pub link: Field,
    pub link_domain: Field,
    pub site: Field,
    pub shared_of: Field,
    pub reposts: Field,
    pub likes: Field,
    pub replies: Field,
    pub views: Field,
    /// (language code, stemmed field), in `STEMMED_LANGUAGES` order.
    pub stemmed: [(&'static str, Field); 18],
}

/// The document schema.
pub fn schema() -> Schema {
    let mut builder = Schema::builder();
    let text = TextOptions::default().set_stored().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TEXT_ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let date = DateOptions::default()
        .set_indexed()
        .set_stored()
        .set_fast()
        .set_precision(DateTimePrecision::Seconds);
    let seq = NumericOptions::default()
        .set_indexed()
        .set_stored()
        .set_fast();
    let hash = NumericOptions::default().set_stored().set_fast();
    builder.add_text_field(ID, STRING | STORED | FAST);
    builder.add_text_field(URL, STRING | STORED);
    builder.add_text_field(SOURCE, STRING | STORED | FAST);
    builder.add_text_field(KIND, STRING | STORED | FAST);
    builder.add_text_field(TITLE, text.clone());
    builder.add_text_field(BODY, text.clone());
    builder.add_text_field(AUTHOR, text);
    builder.add_text_field(LANG, STRING | STORED | FAST);
    builder.add_date_field(PUBLISHED, date.clone());
    builder.add_date_field(FETCHED, date);
    builder.add_u64_field(SEQ, seq);
    builder.add_u64_field(CONTENT_HASH, hash.clone());
    builder.add_u64_field(SIMHASH, hash);
    builder.add_text_field(DUP_GROUP, STRING | STORED | FAST);
    // Social fields: exact values, several per document, so queries (`hashtag:icc`) and
    // coordination detection can join on them.
    builder.add_text_field(HASHTAG, STRING | STORED | FAST);
    builder.add_text_field(MENTION, STRING | STORED | FAST);
    builder.add_text_field(LINK, STRING | STORED);
    builder.add_text_field(LINK_DOMAIN, STRING | FAST);
    // The document's host and each parent domain, so `site:example.org` covers subdomains.
    builder.add_text_field(SITE, STRING | FAST);
    builder.add_text_field(SHARED_OF, STRING | STORED);
    for counter in [REPOSTS, LIKES, REPLIES, VIEWS] {
        builder.add_u64_field(counter, NumericOptions::default().set_stored().set_fast());
    }
    for (code, _) in STEMMED_LANGUAGES {
        let name = stem_field_name(code);
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(&name)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        builder.add_text_field(&name, options);
    }
    builder.build()
}

impl Fields {
    /// The stemmed field of a language, if it has a stemmer.
    pub fn stemmed_for(&self, lang: &str) -> Option<Field> {
        self.stemmed
            .iter()
            .find(|(code, _)| *code == lang)
            .map(|(_, field)| *field)
    }

    /// Every field a free-text query searches: title, body and each stemmed field.
    pub fn default_search_fields(&self) -> Vec<Field> {
        let mut fields = vec![self.title, self.body];
        fields.extend(self.stemmed.iter().map(|(_, field)| *field));
        fields
    }

    /// Adds the searchable text of a document: title and body, and both again in the stemmed
    /// field of its language.
    pub fn add_text(
        &self,
        doc: &mut tantivy::schema::TantivyDocument,
        title: &str,
        body: &str,
        lang: &str,
    ) {
        doc.add_text(self.title, title);
        doc.add_text(self.body, body);
        if let Some(stemmed) = self.stemmed_for(lang) {
            doc.add_text(stemmed, format!("{title}{TITLE_BODY_SEPARATOR}{body}"));
        }
    }

    /// Resolves the handles; the schema must be the one `schema()` builds.
    pub fn new(schema: &Schema) -> Fields {
        let field = |name: &str| {
            schema
                .get_field(name)
                .unwrap_or_else(|_| panic!("index schema lacks field {name}: the index folder holds another program's index"))
        };
        Fields {
            id: field(ID),
            url: field(URL),
            source: field(SOURCE),
            kind: field(KIND),
            title: field(TITLE),
            body: field(BODY),
            author: field(AUTHOR),
            lang: field(LANG),
            published: field(PUBLISHED),
            fetched: field(FETCHED),
            seq: field(SEQ),
            content_hash: field(CONTENT_HASH),
            simhash: field(SIMHASH),
            dup_group: field(DUP_GROUP),
            hashtag: field(HASHTAG),
            mention: field(MENTION),
            link: field(LINK),
            link_domain: field(LINK_DOMAIN),
            site: field(SITE),
            shared_of: field(SHARED_OF),
            reposts: field(REPOSTS),
            likes: field(LIKES),
            replies: field(REPLIES),
            views: field(VIEWS),
            stemmed: std::array::from_fn(|i| {
                let code = STEMMED_LANGUAGES[i].0;
                (code, field(&stem_field_name(code)))
            }),
        }
    }
}

/// Separates title from body in a stemmed field's single value; the body's words are numbered
/// from `TITLE_BODY_GAP` on, so no phrase or NEAR (at most `syntax::MAX_DISTANCE` words) spans
/// both.
pub const TITLE_BODY_SEPARATOR: char = '\u{1F}';
const TITLE_BODY_GAP: usize = 1_000;

/// `SimpleTokenizer`, with the title/body gap.
#[derive(Clone, Default)]
struct SeparatedTokenizer(SimpleTokenizer);

struct SeparatedStream<'a> {
    inner: SimpleTokenStream<'a>,
    split: Option<usize>,
}

impl Tokenizer for SeparatedTokenizer {
    type TokenStream<'a> = SeparatedStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> SeparatedStream<'a> {
        SeparatedStream {
            split: text.find(TITLE_BODY_SEPARATOR),
            inner: self.0.token_stream(text),
        }
    }
}

impl TokenStream for SeparatedStream<'_> {
    fn advance(&mut self) -> bool {
        // The inner stream numbers each token from the previous one's position: undo the gap
        // before it counts on, then apply it again.
        let split = self.split.unwrap_or(usize::MAX);
        let shifted = self.inner.token().offset_from > split;
        if shifted {
            self.inner.token_mut().position -= TITLE_BODY_GAP;
        }
        if !self.inner.advance() {
            return false;
        }
        let token = self.inner.token_mut();
        if token.offset_from > split {
            token.position += TITLE_BODY_GAP;
        }
        true
    }
    fn token(&self) -> &Token {
        self.inner.token()
    }
    fn token_mut(&mut self) -> &mut Token {
        self.inner.token_mut()
    }
}

/// Registers Vigil's analyzers on an index (they are not persisted by tantivy).
pub fn register_analyzers(index: &Index) {
    let analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build();
    index.tokenizers().register(TEXT_ANALYZER, analyzer);
    for (code, language) in STEMMED_LANGUAGES {
        let stemming = TextAnalyzer::builder(SeparatedTokenizer::default())
            .filter(RemoveLongFilter::limit(48))
            .filter(LowerCaser)
            .filter(Stemmer::new(*language))
            .filter(AsciiFoldingFilter)
            .build();
        index
            .tokenizers()
            .register(&stem_field_name(code), stemming);
    }
}
