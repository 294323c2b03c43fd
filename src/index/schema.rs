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
    /// See [`super::Fields::skipped`].
    pub const SKIPPED: &str = "skipped";
    /// See [`super::Fields::recheck`].
    pub const RECHECK: &str = "recheck";
    /// See [`super::Fields::reason`].
    pub const REASON: &str = "reason";
    /// See [`super::Fields::kept_text`].
    pub const KEPT_TEXT: &str = "kept_text";
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
    /// Passage: where it stands in its article's run of documents (see [`UnitPlace`]).
    pub unit: Field,
    /// Passage: a hash of the text (see [`text_hash`]), to show a passage found in several
    /// files once, and to tell that a passage read again from its file (the index keeps no
    /// copy of the text, see [`crate::corpus::read::reread`]) is the one indexed.
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
    /// Article: 0 when indexed; 1 when it could not be (binary, unreadable, a broken link…);
    /// 2 when it is a file of another type than articles.
    pub skipped: Field,
    /// Article: why it could not be indexed.
    pub reason: Field,
    /// Passage of a file over [`KEEP_TEXT_BYTES`]: its text, then its tail when it has one
    /// (see [`crate::corpus::Passage::tail`]), stored. A hit deep in a long
    /// file is then shown from the index instead of by reading and cutting the file up to it
    /// (half a second for the end of a 100 MB file).
    pub kept_text: Field,
}

/// Files larger than this keep their passages' text in the index (see [`Fields::kept_text`]).
/// Reading a file of this size again and cutting it to its end takes about 1.5 ms, as long
/// as the rest of a search. Articles are rarely so long (inews has none over 94 KB), so
/// the index of most folders keeps no text at all.
pub(crate) const KEEP_TEXT_BYTES: u64 = 256 * 1024;

/// The hash of a passage's text kept in [`Fields::text_hash`]: 48 bits, which the column packs
/// in six bytes instead of eight, and which two texts share by chance once in 2^48.
pub(crate) fn text_hash(text: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(text.as_bytes()) >> 16
}

/// Most passages of one article indexed as one run of documents: a longer article is indexed
/// (and matched, see [`crate::search`]) in sections of this many passages.
pub(crate) const MAX_UNIT_PASSAGES: usize = 1000;

/// An article's passages are handed to the writer as one group, which tantivy keeps together in
/// one segment, in order, through merges too: the article is a run of consecutive documents, a
/// *unit*. Each passage records where it stands in its unit, so a search finds the whole
/// article from any of its passages without reading anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UnitPlace {
    /// The passage's place in the unit, from 0.
    pub offset: u32,
    /// How many passages the unit has.
    pub len: u32,
    /// Whether the unit's first passage is the article's title (false for the later sections of
    /// a long article).
    pub has_title: bool,
}

impl UnitPlace {
    const BITS: u32 = 10;
    const MASK: u64 = (1 << Self::BITS) - 1;

    /// As stored in the fast field: small numbers pack into few bits.
    pub fn pack(self) -> u64 {
        u64::from(self.has_title)
            | (u64::from(self.offset) & Self::MASK) << 1
            | (u64::from(self.len) & Self::MASK) << (1 + Self::BITS)
    }

    /// From the fast field.
    pub fn unpack(packed: u64) -> UnitPlace {
        UnitPlace {
            has_title: packed & 1 == 1,
            offset: ((packed >> 1) & Self::MASK) as u32,
            len: ((packed >> (1 + Self::BITS)) & Self::MASK) as u32,
        }
    }
}

/// Builds the schema and its field handles.
pub fn build() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let fields = Fields {
        kind: builder.add_text_field(names::KIND, STRING),
        path: builder.add_text_field(names::PATH, STRING | FAST),
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
        skipped: builder.add_u64_field(names::SKIPPED, FAST),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_places_round_trip_up_to_the_largest_unit() {
        const { assert!(MAX_UNIT_PASSAGES < 1 << UnitPlace::BITS) };
        for (offset, len, has_title) in [(0, 1, true), (5, 17, false), (999, 1000, true)] {
            let place = UnitPlace {
                offset,
                len,
                has_title,
            };
            assert_eq!(UnitPlace::unpack(place.pack()), place);
        }
    }
}
