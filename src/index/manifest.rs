//! The manifest: which articles the last commit holds, with the size, modification time and hash
//! they were indexed at. It is read from the article documents of the commit itself, so it can
//! never disagree with the passages.

use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};

use crate::corpus::Skipped;

use super::documents::{self, ARTICLE_KIND, EntryColumns, EntryState};
use super::schema::{Fields, names};
use crate::error::Op;
use crate::{Error, Result};

pub use super::documents::Known;

/// The manifest: article keys with what the index knows of each, sorted by key. A sorted list
/// rather than a hash map: for the 470,000 files a no-op sync reads it is half the memory (a
/// map's table doubles, to a million slots there), and an entry's position marks it as seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    entries: Vec<(String, Known)>,
}

impl Manifest {
    /// What the manifest knows of `key`.
    pub fn get(&self, key: &str) -> Option<&Known> {
        self.find(key).map(|(_, known)| known)
    }

    /// The position of `key` among the entries (as [`Manifest::iter`] gives them), and what is
    /// known of it.
    pub fn find(&self, key: &str) -> Option<(usize, &Known)> {
        self.entries
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .map(|i| (i, &self.entries[i].1))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The entries, by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Known)> {
        self.entries.iter().map(|(k, known)| (k.as_str(), known))
    }

    /// What is known of each entry, by key.
    pub fn values(&self) -> impl Iterator<Item = &Known> {
        self.entries.iter().map(|(_, known)| known)
    }
}

impl FromIterator<(String, Known)> for Manifest {
    /// Sorts by key; of entries with one key, the last is kept.
    fn from_iter<I: IntoIterator<Item = (String, Known)>>(iter: I) -> Self {
        let mut entries: Vec<(String, Known)> = iter.into_iter().collect();
        // Stable, so that of equal keys the last stays last, and is the one dedup keeps.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                std::mem::swap(later, earlier);
            }
            same
        });
        entries.shrink_to_fit();
        Manifest { entries }
    }
}

impl IntoIterator for Manifest {
    type Item = (String, Known);
    type IntoIter = std::vec::IntoIter<(String, Known)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

fn read_error(err: impl Into<tantivy::TantivyError>) -> Error {
    Error::tantivy(Op::Read, "the manifest", err.into())
}

/// Reads the manifest of the commit `searcher` sees.
pub fn read(searcher: &Searcher, fields: &Fields) -> Result<Manifest> {
    let mut entries = Vec::new();
    let kind = Term::from_field_text(fields.kind, ARTICLE_KIND);
    for (segment_ord, segment) in searcher.segment_readers().iter().enumerate() {
        let inverted = segment.inverted_index(fields.kind).map_err(read_error)?;
        let Some(mut postings) = inverted
            .read_postings(&kind, IndexRecordOption::Basic)
            .map_err(read_error)?
        else {
            continue;
        };
        entries.reserve(postings.doc_freq() as usize);
        let fast = segment.fast_fields();
        let keys = fast
            .str(names::ARTICLE)
            .map_err(read_error)?
            .ok_or_else(|| {
                read_error(tantivy::TantivyError::SchemaError(
                    "no article column".into(),
                ))
            })?;
        let columns = EntryColumns::open(segment)?;
        // The keys in ordinal order, read in one pass: looking each up by ordinal would
        // decompress a dictionary block per article.
        let mut names = Vec::with_capacity(keys.num_terms());
        let mut stream = keys.dictionary().stream().map_err(read_error)?;
        while stream.advance() {
            names.push(Some(String::from_utf8_lossy(stream.key()).into_owned()));
        }
        for doc in super::alive_docs(&mut postings, segment) {
            let key = keys
                .term_ords(doc)
                .next()
                .and_then(|ord| names.get_mut(ord as usize))
                // An alive article is the only one with its key, so its name is taken, not
                // copied (were there two, the first would be kept).
                .and_then(Option::take);
            if let Some(key) = key {
                entries.push((key, columns.known(DocAddress::new(segment_ord as u32, doc))));
            }
        }
    }
    Ok(entries.into_iter().collect())
}

/// What the commit `searcher` sees knows of the article `key`: one entry looked up by itself,
/// for a search that needs a few, not the whole manifest.
pub fn lookup(searcher: &Searcher, fields: &Fields, key: &str) -> Result<Option<Known>> {
    let term = Term::from_field_text(fields.article, key);
    super::find_alive(searcher, &term, read_error, |ord, segment, docs| {
        docs.next()
            .map(|doc| Ok(EntryColumns::open(segment)?.known(DocAddress::new(ord, doc))))
            .transpose()
    })
}

/// The reason recorded for an entry that could not be indexed.
pub fn reason(searcher: &Searcher, fields: &Fields, known: &Known) -> Result<String> {
    let doc: TantivyDocument = searcher.doc(known.address).map_err(read_error)?;
    Ok(documents::reason(fields, &doc))
}

/// The files recorded as not indexable, with their reasons, sorted by key (as the manifest is).
pub fn skipped(searcher: &Searcher, fields: &Fields, manifest: &Manifest) -> Result<Vec<Skipped>> {
    let mut skipped = Vec::new();
    for (key, known) in manifest.iter() {
        if !known.skipped() {
            continue;
        }
        skipped.push(Skipped {
            key: key.to_string(),
            reason: reason(searcher, fields, known)?,
            other_type: known.state == EntryState::OtherType,
        });
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn known(size: u64) -> Known {
        Known {
            record: documents::Record {
                size,
                mtime_ns: 0,
                recheck: false,
                hash: 0,
                passages: 1,
                state: EntryState::Indexed,
            },
            address: DocAddress::new(0, 0),
        }
    }

    #[test]
    fn entries_are_found_by_key_and_the_last_of_a_key_is_kept() {
        let manifest: Manifest = [("b", 1), ("a", 2), ("c", 3), ("b", 4), ("a/b", 5)]
            .into_iter()
            .map(|(key, size)| (key.to_string(), known(size)))
            .collect();
        let keys: Vec<&str> = manifest.iter().map(|(key, _)| key).collect();
        assert_eq!(keys, ["a", "a/b", "b", "c"]);
        assert_eq!(manifest.len(), 4);
        assert_eq!(manifest.get("b").map(|k| k.size), Some(4));
        assert_eq!(manifest.get("a/b").map(|k| k.size), Some(5));
        assert_eq!(manifest.get("d"), None);
        assert_eq!(manifest.get(""), None);
    }
}
