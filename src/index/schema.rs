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
    /// See [`super::Fields::key`].
    pub const KEY: &str = "key";
    /// See [`super::Fields::line`].
    pub const LINE: &str = "line";
    /// See [`super::Fields::unit`].
    pub const UNIT: &str = "unit";
    /// See [`super::Fields::text_hash`].
    pub const TEXT_HASH: &str = "text_hash";
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
    /// See [`super::Fields::state`].
    pub const STATE: &str = "state";
    /// See [`super::Fields::recheck`].
    pub const RECHECK: &str = "recheck";
    /// See [`super::Fields::reason`].
    pub const REASON: &str = "reason";
    /// See [`super::Fields::kept_text`].
    pub const KEPT_TEXT: &str = "kept_text";
}

/// Handles on the schema's fields.
#[derive(Debug, Clone)]
pub struct Fields {
    /// `article` on article documents; absent on passages.
    pub kind: Field,
    /// Passage: the article's key (its path inside the seeds folder, see
    /// [`crate::corpus::key_of`]). Indexed to delete by it; a fast field, like `line`, so that
    /// ranking and hits read it without the document store.
    pub key: Field,
    /// Passage: 1-based line where it starts.
    pub line: Field,
    /// Passage: where it stands in its article's run of documents (see
    /// [`super::documents::UnitPlace`]).
    pub unit: Field,
    /// Passage: a hash of the text, to show a passage found in several
    /// files once, and to tell that a passage read again from its file (the index keeps no
    /// copy of the text, see [`crate::corpus::read::reread`]) is the one indexed (see
    /// [`super::documents::text_hash`]).
    pub text_hash: Field,
    /// Passage: what the gram contract indexes.
    pub gram: GramFields,
    /// Article: its key.
    pub article: Field,
    /// Article: file size in bytes when indexed.
    pub size: Field,
    /// Article: modification time (ns) when indexed.
    pub mtime: Field,
    /// Article: 1 when the file was modified so close to the sync that it might change again
    /// within the file system's timestamp resolution: its content is checked next time.
    pub recheck: Field,
    /// Article: hash of the file's bytes.
    pub hash: Field,
    /// Article: number of passages.
    pub passages: Field,
    /// Article: whether it is indexed, and if not why (see [`super::documents::EntryState`]).
    pub state: Field,
    /// Article: why it could not be indexed.
    pub reason: Field,
    /// Passage of a file that [`super::documents::keeps_text`] (a long file, a document): its
    /// text, its tail and its origin (see [`super::documents::passage_doc`]),
    /// (see [`crate::corpus::Passage::tail`]), stored. A hit deep in a long
    /// file is then shown from the index instead of by reading and cutting the file up to it
    /// (half a second for the end of a 100 MB file); a document's cannot be read as text
    /// cheaply at all.
    pub kept_text: Field,
}

/// Builds the schema and its field handles.
pub fn build() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let fields = Fields {
        kind: builder.add_text_field(names::KIND, STRING),
        key: builder.add_text_field(names::KEY, STRING | FAST),
        line: builder.add_u64_field(names::LINE, FAST),
        unit: builder.add_u64_field(names::UNIT, FAST),
        text_hash: builder.add_u64_field(names::TEXT_HASH, FAST),
        gram: GramFields::add_to(&mut builder),
        article: builder.add_text_field(names::ARTICLE, STRING | FAST),
        size: builder.add_u64_field(names::SIZE, FAST),
        mtime: builder.add_u64_field(names::MTIME, FAST),
        recheck: builder.add_u64_field(names::RECHECK, FAST),
        hash: builder.add_u64_field(names::HASH, FAST),
        passages: builder.add_u64_field(names::PASSAGES, FAST),
        state: builder.add_u64_field(names::STATE, FAST),
        reason: builder.add_text_field(names::REASON, STORED),
        kept_text: builder.add_text_field(names::KEPT_TEXT, STORED),
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
