//! The documents the index holds, encoded and decoded in this one place: one per passage, and
//! one per article recording what was indexed (the manifest, [`super::manifest`]). Whatever
//! reads a passage's place, an article's entry or a long file's kept text goes through the
//! types here, never through field positions or numbers of its own.

use tantivy::columnar::{Column, StrColumn};
use tantivy::schema::Value;
use tantivy::{DocAddress, DocId, SegmentReader, TantivyDocument};

use super::schema::{Fields, names};
use crate::corpus::{Passage, SourceFile};
use crate::{Error, Result};

/// The value of `kind` on article documents.
pub(crate) const ARTICLE_KIND: &str = "article";

/// Files larger than this keep their passages' text in the index (see [`Fields::kept_text`]).
/// Reading a file of this size again and cutting it to its end takes about 1.5 ms, as long
/// as the rest of a search. Articles are rarely so long (inews has none over 94 KB), so
/// the index of most folders keeps no text at all.
pub(crate) const KEEP_TEXT_BYTES: u64 = 256 * 1024;

/// Whether the passages of the file at `path`, of `size` bytes, keep their text in the index:
/// a long file's (see [`KEEP_TEXT_BYTES`]), and a document's, which cannot be read again as
/// text cheaply. What a sync writes and what a search reads back both ask this.
pub(crate) fn keeps_text(path: &std::path::Path, size: u64) -> bool {
    size > KEEP_TEXT_BYTES || crate::corpus::document::Kind::of(path).is_some()
}

/// Most passages of one article indexed as one run of documents: a longer article is indexed
/// (and matched, see [`crate::search`]) in sections of this many passages.
pub(crate) const MAX_UNIT_PASSAGES: usize = 1000;

/// The hash of a passage's text kept in [`Fields::text_hash`]: 48 bits, which the column packs
/// in six bytes instead of eight, and which two texts share by chance once in 2^48.
pub(crate) fn text_hash(text: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(text.as_bytes()) >> 16
}

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
    fn pack(self) -> u64 {
        u64::from(self.has_title)
            | (u64::from(self.offset) & Self::MASK) << 1
            | (u64::from(self.len) & Self::MASK) << (1 + Self::BITS)
    }

    /// From the fast field.
    fn unpack(packed: u64) -> UnitPlace {
        UnitPlace {
            has_title: packed & 1 == 1,
            offset: ((packed >> 1) & Self::MASK) as u32,
            len: ((packed >> (1 + Self::BITS)) & Self::MASK) as u32,
        }
    }

    /// The documents of the unit of the passage `doc`, and whether the first is the title. The
    /// range always holds `doc`, so a reader moves on even when the stored place is damaged.
    pub fn span(self, doc: DocId, max_doc: DocId) -> (DocId, DocId, bool) {
        let start = doc - self.offset.min(doc);
        let end = start.saturating_add(self.len.max(1)).min(max_doc);
        if end <= doc {
            return (doc, doc + 1, false);
        }
        (start, end, self.has_title)
    }
}

/// The passage document of `passage` of the article `key`, without its place in its unit
/// (added by [`place_in_unit`] when the unit is complete). A passage of a file that
/// [`keeps_text`] keeps its text, tail and origin.
pub(crate) fn passage_doc(
    fields: &Fields,
    key: &str,
    passage: &Passage,
    terms: &crate::analysis::PassageTerms,
    keep_text: bool,
) -> TantivyDocument {
    let mut doc = TantivyDocument::new();
    doc.add_text(fields.key, key);
    doc.add_u64(fields.line, passage.line);
    doc.add_u64(fields.text_hash, text_hash(&passage.text));
    if keep_text {
        // Text, tail and origin, in this order (see `kept_passage`).
        doc.add_text(fields.kept_text, &passage.text);
        doc.add_text(fields.kept_text, &passage.tail);
        let origin = serde_json::to_string(&passage.origin).unwrap_or_default();
        doc.add_text(fields.kept_text, &origin);
    }
    fields.gram.add_passage(&mut doc, terms);
    doc
}

/// Records in each passage document of a unit where it stands in it.
pub(crate) fn place_in_unit(fields: &Fields, docs: &mut [TantivyDocument], has_title: bool) {
    let len = docs.len() as u32;
    for (offset, doc) in docs.iter_mut().enumerate() {
        let place = UnitPlace {
            offset: offset as u32,
            len,
            has_title,
        };
        doc.add_u64(fields.unit, place.pack());
    }
}

/// The passage a long file's passage document keeps (see [`passage_doc`]): `None` when it keeps
/// no text. Its line is not in the stored document: the caller has it from the column.
pub(crate) fn kept_passage(fields: &Fields, doc: &TantivyDocument) -> Option<Passage> {
    let mut values = doc
        .get_all(fields.kept_text)
        .filter_map(|value| value.as_str());
    let text = values.next()?;
    let tail = values.next().unwrap_or("");
    let origin = values
        .next()
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default();
    Some(Passage {
        line: 0,
        text: text.to_string(),
        tail: tail.to_string(),
        origin,
    })
}

/// The columns a passage document is read from in one segment.
pub(crate) struct PassageColumns {
    /// The article's key, by ordinal.
    pub keys: StrColumn,
    lines: Column<u64>,
    texts: Column<u64>,
    units: Column<u64>,
}

impl PassageColumns {
    /// Opens the columns of a segment.
    pub fn open(reader: &SegmentReader) -> tantivy::Result<Self> {
        let fast = reader.fast_fields();
        let keys = fast
            .str(names::KEY)?
            .ok_or_else(|| tantivy::TantivyError::FieldNotFound(names::KEY.into()))?;
        Ok(PassageColumns {
            keys,
            lines: fast.u64(names::LINE)?,
            texts: fast.u64(names::TEXT_HASH)?,
            units: fast.u64(names::UNIT)?,
        })
    }

    /// The ordinal of the passage's article key in the segment's key column.
    pub fn key_ord(&self, doc: DocId) -> u64 {
        self.keys.term_ords(doc).next().unwrap_or(u64::MAX)
    }

    /// The passage's 1-based line.
    pub fn line(&self, doc: DocId) -> u64 {
        self.lines.first(doc).unwrap_or(0)
    }

    /// The hash of the passage's text (see [`text_hash`]).
    pub fn text_hash(&self, doc: DocId) -> u64 {
        self.texts.first(doc).unwrap_or(0)
    }

    /// Where the passage stands in its unit.
    pub fn place(&self, doc: DocId) -> UnitPlace {
        UnitPlace::unpack(self.units.first(doc).unwrap_or(0))
    }
}

/// What an entry of the manifest says of its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryState {
    /// Indexed: its passages are in the index.
    Indexed,
    /// Could not be indexed (binary, unreadable, a broken link…): the reason is stored.
    Skipped,
    /// A file of another type than articles (by its extension): only counted.
    OtherType,
}

impl EntryState {
    fn code(self) -> u64 {
        match self {
            EntryState::Indexed => 0,
            EntryState::Skipped => 1,
            EntryState::OtherType => 2,
        }
    }

    fn from_code(code: u64) -> EntryState {
        match code {
            0 => EntryState::Indexed,
            2 => EntryState::OtherType,
            _ => EntryState::Skipped,
        }
    }
}

/// What an entry of the manifest records of its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    /// Size in bytes when listed.
    pub size: u64,
    /// Modification time in ns when listed.
    pub mtime_ns: u64,
    /// The content must be checked next time, whatever the size and time say.
    pub recheck: bool,
    /// Hash of the bytes that were read (0 when not read).
    pub hash: u64,
    /// Number of passages indexed.
    pub passages: u64,
    /// Whether it is indexed, and if not, why not.
    pub state: EntryState,
}

/// An entry of the manifest, as a sync writes it.
#[derive(Debug, Clone)]
pub(crate) struct Entry<'a> {
    /// The article's key.
    pub key: &'a str,
    /// What it records.
    pub record: Record,
    /// Why it is not indexed.
    pub reason: Option<&'a str>,
}

impl<'a> Entry<'a> {
    /// The entry of a file that is not indexed: `skip` says why.
    pub fn skipped(file: &'a SourceFile, skip: &'a crate::corpus::Skipped, hash: u64) -> Self {
        Entry {
            key: &file.key,
            record: Record {
                size: file.size,
                mtime_ns: file.mtime_ns,
                recheck: false,
                hash,
                passages: 0,
                state: if skip.other_type {
                    EntryState::OtherType
                } else {
                    EntryState::Skipped
                },
            },
            reason: Some(&skip.reason),
        }
    }

    /// The entry of a listing's skip that names no file to read (a broken link, a loop): no
    /// size or time, so that any change reads it again.
    pub fn unlisted(skip: &'a crate::corpus::Skipped) -> Self {
        Entry {
            key: &skip.key,
            record: Record {
                size: 0,
                mtime_ns: 0,
                recheck: false,
                hash: 0,
                passages: 0,
                state: EntryState::Skipped,
            },
            reason: Some(&skip.reason),
        }
    }

    /// The article document that records it.
    pub fn doc(&self, fields: &Fields) -> TantivyDocument {
        let record = &self.record;
        let mut doc = TantivyDocument::new();
        doc.add_text(fields.kind, ARTICLE_KIND);
        doc.add_text(fields.article, self.key);
        doc.add_u64(fields.size, record.size);
        doc.add_u64(fields.mtime, record.mtime_ns);
        doc.add_u64(fields.recheck, u64::from(record.recheck));
        doc.add_u64(fields.hash, record.hash);
        doc.add_u64(fields.passages, record.passages);
        doc.add_u64(fields.state, record.state.code());
        if let Some(reason) = self.reason {
            doc.add_text(fields.reason, reason);
        }
        doc
    }
}

/// What the index knows of one article, read back from its entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    /// What the entry records.
    pub record: Record,
    /// The article document, in the commit it was read from.
    pub address: DocAddress,
}

impl std::ops::Deref for Known {
    type Target = Record;

    fn deref(&self) -> &Record {
        &self.record
    }
}

impl std::ops::DerefMut for Known {
    fn deref_mut(&mut self) -> &mut Record {
        &mut self.record
    }
}

impl Record {
    /// Whether the file is not indexed (it could not be, or is of another type).
    pub fn skipped(&self) -> bool {
        self.state != EntryState::Indexed
    }
}

/// The columns of one segment an entry is read from.
pub(crate) struct EntryColumns {
    size: Column<u64>,
    mtime: Column<u64>,
    recheck: Column<u64>,
    hash: Column<u64>,
    passages: Column<u64>,
    state: Column<u64>,
}

impl EntryColumns {
    /// Opens the columns of a segment.
    pub fn open(segment: &SegmentReader) -> Result<EntryColumns> {
        let fast = segment.fast_fields();
        let column = |name: &str| {
            fast.u64(name)
                .map_err(|e| Error::tantivy(super::Op::Read, "the manifest", e))
        };
        Ok(EntryColumns {
            size: column(names::SIZE)?,
            mtime: column(names::MTIME)?,
            recheck: column(names::RECHECK)?,
            hash: column(names::HASH)?,
            passages: column(names::PASSAGES)?,
            state: column(names::STATE)?,
        })
    }

    /// The entry of the article document at `address` (in this segment).
    pub fn known(&self, address: DocAddress) -> Known {
        let doc = address.doc_id;
        Known {
            record: Record {
                size: self.size.first(doc).unwrap_or(0),
                mtime_ns: self.mtime.first(doc).unwrap_or(0),
                recheck: self.recheck.first(doc).unwrap_or(1) == 1,
                hash: self.hash.first(doc).unwrap_or(0),
                passages: self.passages.first(doc).unwrap_or(0),
                state: EntryState::from_code(self.state.first(doc).unwrap_or(1)),
            },
            address,
        }
    }
}

/// The reason an entry that is not indexed records.
pub(crate) fn reason(fields: &Fields, doc: &TantivyDocument) -> String {
    doc.get_first(fields.reason)
        .and_then(|v| v.as_str())
        .unwrap_or("not indexable")
        .to_string()
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

    #[test]
    fn entry_states_round_trip() {
        for state in [
            EntryState::Indexed,
            EntryState::Skipped,
            EntryState::OtherType,
        ] {
            assert_eq!(EntryState::from_code(state.code()), state);
        }
    }
}
