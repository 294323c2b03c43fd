//! The index schema: one document per passage, plus one per article that records what was indexed
//! (the manifest lives in the same commits as the passages, so the two can never disagree). The
//! gram fields are the gram contract's ([`crate::analysis::grams`]); the names of the others are
//! defined here once, for the code that reads their columns.

use tantivy::schema::{FAST, Field, STORED, STRING, Schema};

use crate::analysis::grams::GramFields;

/// Field names, for the readers of fast field columns.
pub(crate) mod names {
    /// See [`super::Fields::kind`].
    pub const KIND: &str = "kind";
    /// See [`super::Fields::path`].
    pub const PATH: &str = "path";
    /// See [`super::Fields::line`].
    pub const LINE: &str = "line";
    /// See [`super::Fields::title`].
    pub const TITLE: &str = "title";
    /// See [`super::Fields::text`].
    pub const TEXT: &str = "text";
    /// See [`super::Fields::tail`].
    pub const TAIL: &str = "tail";
    /// See [`super::Fields::article`].
    pub const ARTICLE: &str = "article";
    /// See [`super::Fields::size`].
    pub const SIZE: &str = "size";
    /// See [`super::Fields::mtime`].
    pub const MTIME: &str = "mtime";
    /// See [`super::Fields::hash`].
    pub const HASH: &str = "hash";
    /// See [`super::Fields::passages`].
    pub const PASSAGES: &str = "passages";
    /// See [`super::Fields::skipped`].
    pub const SKIPPED: &str = "skipped";
    /// See [`super::Fields::reason`].
    pub const REASON: &str = "reason";
}

/// The value of `kind` on article documents.
pub(crate) const ARTICLE_KIND: &str = "article";

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
    /// Passage: what the gram contract indexes.
    pub gram: GramFields,
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
    let fields = Fields {
        kind: builder.add_text_field(names::KIND, STRING),
        path: builder.add_text_field(names::PATH, STRING | FAST),
        line: builder.add_u64_field(names::LINE, FAST),
        title: builder.add_text_field(names::TITLE, STORED),
        text: builder.add_text_field(names::TEXT, STORED),
        tail: builder.add_text_field(names::TAIL, STORED),
        gram: GramFields::add_to(&mut builder),
        article: builder.add_text_field(names::ARTICLE, STRING | FAST),
        size: builder.add_u64_field(names::SIZE, FAST),
        mtime: builder.add_u64_field(names::MTIME, FAST),
        hash: builder.add_u64_field(names::HASH, FAST),
        passages: builder.add_u64_field(names::PASSAGES, FAST),
        skipped: builder.add_u64_field(names::SKIPPED, FAST),
        reason: builder.add_text_field(names::REASON, STORED),
    };
    (builder.build(), fields)
}

/// A version of the schema derived from the schema itself: part of the index fingerprint.
pub fn version() -> String {
    let (schema, _) = build();
    let json = serde_json::to_string(&schema).unwrap_or_default();
    format!(
        "schema-{:016x}",
        xxhash_rust::xxh3::xxh3_64(json.as_bytes())
    )
}
