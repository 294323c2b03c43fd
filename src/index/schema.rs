//! The index schema: one document per passage, plus one per article that records what was indexed
//! (the manifest lives in the same commits as the passages, so the two can never disagree).

use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

/// Bumped whenever the schema or what a field holds changes: part of the fingerprint.
pub const SCHEMA_VERSION: &str = "schema-v6";

/// The tokenizer name of the gram field.
pub const GRAMS_TOKENIZER: &str = "sou_grams";
/// The tokenizer name of the solo word field: each character a token.
pub const CHARS_TOKENIZER: &str = "sou_chars";

/// The value of `kind` on article documents.
pub const ARTICLE_KIND: &str = "article";

/// Handles on the schema's fields.
#[derive(Debug, Clone)]
pub struct Fields {
    /// `article` on article documents; absent on passages.
    pub kind: Field,
    /// Passage: the article's key (path inside the seeds folder). Indexed to delete by it; a
    /// fast field, like `line`, so that ranking and hits read it without the document store.
    pub path: Field,
    /// Passage: 1-based line where it starts.
    pub line: Field,
    /// Passage: the article's title.
    pub title: Field,
    /// Passage: the text as a reader sees it.
    pub text: Field,
    /// Passage: the start of the text that follows it in the paragraph (see `Passage::tail`).
    pub tail: Field,
    /// Passage: bigrams, word boundary markers and the END term (see [`crate::analysis`]).
    pub grams: Field,
    /// Passage: the characters that are words by themselves (see
    /// [`crate::analysis::Analysis::solo_words`]).
    pub solo_words: Field,
    /// Passage: the tail's key, one term (see [`crate::analysis::Analysis::tail_key`]).
    pub tail_key: Field,
    /// Article: its key.
    pub article: Field,
    /// Article: file size in bytes when indexed.
    pub size: Field,
    /// Article: modification time (ns) when indexed; 0 forces a content check next time.
    pub mtime: Field,
    /// Article: hash of the file's bytes.
    pub hash: Field,
    /// Article: number of passages.
    pub passages: Field,
    /// Article: 1 when the file could not be indexed (binary, unreadable), else 0.
    pub skipped: Field,
    /// Article: why it could not be indexed.
    pub reason: Field,
}

/// Builds the schema and its field handles.
pub fn build() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let positions = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    // Fields only ever asked "does this passage hold the term?": no frequencies, positions or
    // norms.
    let presence = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::Basic)
                .set_fieldnorms(false),
        )
    };
    let fields = Fields {
        kind: builder.add_text_field("kind", STRING),
        path: builder.add_text_field("path", STRING | FAST),
        line: builder.add_u64_field("line", FAST),
        title: builder.add_text_field("title", STORED),
        text: builder.add_text_field("text", STORED),
        tail: builder.add_text_field("tail", STORED),
        grams: builder.add_text_field("grams", positions(GRAMS_TOKENIZER)),
        solo_words: builder.add_text_field("solo_words", presence(CHARS_TOKENIZER)),
        tail_key: builder.add_text_field("tail_key", presence("raw")),
        article: builder.add_text_field("article", STRING | FAST),
        size: builder.add_u64_field("size", FAST),
        mtime: builder.add_u64_field("mtime", FAST),
        hash: builder.add_u64_field("hash", FAST),
        passages: builder.add_u64_field("passages", FAST),
        skipped: builder.add_u64_field("skipped", FAST),
        reason: builder.add_text_field("reason", STORED),
    };
    (builder.build(), fields)
}
