//! The manifest: which articles the last commit holds, with the size, modification time and hash
//! they were indexed at. It is read from the article documents of the commit itself, so it can
//! never disagree with the passages.

use std::collections::HashMap;

use tantivy::schema::IndexRecordOption;
use tantivy::schema::{Field, Value};
use tantivy::{DocAddress, DocSet, Searcher, TERMINATED, TantivyDocument, Term};

use crate::corpus::Skipped;

use super::schema::{ARTICLE_KIND, Fields, names};
use crate::{Error, Result};

/// What the index knows of one article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    /// Size in bytes when indexed.
    pub size: u64,
    /// Modification time in ns when indexed.
    pub mtime_ns: u64,
    /// The content must be checked next time, whatever the size and time say.
    pub recheck: bool,
    /// Hash of the bytes that were indexed.
    pub hash: u64,
    /// Number of passages indexed.
    pub passages: u64,
    /// The file could not be indexed (the reason is stored on its document).
    pub skipped: bool,
    /// The file is of another type than articles (and `skipped`).
    pub other_type: bool,
    /// The article document, in the commit it was read from.
    pub address: DocAddress,
}

/// The manifest, keyed by article key.
/// (foldhash: the manifest of 470,000 files is built and probed on every sync, and SipHash was
/// a tenth of a no-op sync.)
pub type Manifest = HashMap<String, Known, foldhash::fast::RandomState>;

fn read_error(err: impl Into<tantivy::TantivyError>) -> Error {
    Error::tantivy("reading the manifest", err.into())
}

/// Reads the manifest of the commit `searcher` sees.
pub fn read(searcher: &Searcher, fields: &Fields) -> Result<Manifest> {
    let mut manifest = Manifest::default();
    let kind = Term::from_field_text(fields.kind, ARTICLE_KIND);
    for (segment_ord, segment) in searcher.segment_readers().iter().enumerate() {
        let inverted = segment.inverted_index(fields.kind).map_err(read_error)?;
        let Some(mut postings) = inverted
            .read_postings(&kind, IndexRecordOption::Basic)
            .map_err(read_error)?
        else {
            continue;
        };
        let fast = segment.fast_fields();
        let keys = fast
            .str(names::ARTICLE)
            .map_err(read_error)?
            .ok_or_else(|| {
                read_error(tantivy::TantivyError::SchemaError(
                    "no article column".into(),
                ))
            })?;
        let size = fast.u64(names::SIZE).map_err(read_error)?;
        let mtime = fast.u64(names::MTIME).map_err(read_error)?;
        let recheck = fast.u64(names::RECHECK).map_err(read_error)?;
        let hash = fast.u64(names::HASH).map_err(read_error)?;
        let passages = fast.u64(names::PASSAGES).map_err(read_error)?;
        let skipped = fast.u64(names::SKIPPED).map_err(read_error)?;
        let alive = segment.alive_bitset();
        // The keys in ordinal order, read in one pass: looking each up by ordinal would
        // decompress a dictionary block per article.
        let mut names = Vec::with_capacity(keys.num_terms());
        let mut stream = keys.dictionary().stream().map_err(read_error)?;
        while stream.advance() {
            names.push(String::from_utf8_lossy(stream.key()).into_owned());
        }
        let mut doc = postings.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|bits| bits.is_alive(doc))
                && let Some(key) = keys
                    .term_ords(doc)
                    .next()
                    .and_then(|ord| names.get(ord as usize))
            {
                manifest.insert(
                    key.clone(),
                    Known {
                        size: size.first(doc).unwrap_or(0),
                        mtime_ns: mtime.first(doc).unwrap_or(0),
                        recheck: recheck.first(doc).unwrap_or(1) == 1,
                        hash: hash.first(doc).unwrap_or(0),
                        passages: passages.first(doc).unwrap_or(0),
                        skipped: skipped.first(doc).unwrap_or(0) != 0,
                        other_type: skipped.first(doc).unwrap_or(0) == 2,
                        address: DocAddress::new(segment_ord as u32, doc),
                    },
                );
            }
            doc = postings.advance();
        }
    }
    Ok(manifest)
}

/// The reason recorded for an entry that could not be indexed.
pub fn reason(searcher: &Searcher, fields: &Fields, known: &Known) -> Result<String> {
    let doc: TantivyDocument = searcher.doc(known.address).map_err(read_error)?;
    Ok(doc
        .get_first(fields.reason)
        .and_then(|v| v.as_str())
        .unwrap_or("not indexable")
        .to_string())
}

/// The files recorded as not indexable, with their reasons, sorted by key.
pub fn skipped(searcher: &Searcher, fields: &Fields, manifest: &Manifest) -> Result<Vec<Skipped>> {
    let mut skipped = Vec::new();
    for (key, known) in manifest {
        if !known.skipped {
            continue;
        }
        skipped.push(Skipped {
            key: key.clone(),
            reason: reason(searcher, fields, known)?,
            other_type: known.other_type,
        });
    }
    skipped.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(skipped)
}

/// How many distinct terms `field` holds across all segments.
pub fn distinct_terms(searcher: &Searcher, field: Field) -> Result<u64> {
    let segments = searcher.segment_readers();
    if let [segment] = segments {
        let inverted = segment.inverted_index(field).map_err(read_error)?;
        return Ok(inverted.terms().num_terms() as u64);
    }
    let mut terms = std::collections::HashSet::new();
    for segment in segments {
        let inverted = segment.inverted_index(field).map_err(read_error)?;
        let mut stream = inverted.terms().stream().map_err(read_error)?;
        while stream.advance() {
            if !terms.contains(stream.key()) {
                terms.insert(stream.key().to_vec());
            }
        }
    }
    Ok(terms.len() as u64)
}
