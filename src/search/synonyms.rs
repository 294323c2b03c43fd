//! Synonyms and abbreviations from `synonyms.txt` in the seeds folder: one group of equivalent
//! terms a line (`自创区 自主创新示范区 国家自创示范区`). A query term also finds the other terms
//! of its groups, ranked below passages with the term itself. Lines starting with `#` are comments.
//!
//! The file is read at query time (editing it needs no re-indexing), as a settings file
//! ([`crate::corpus::settings`]). A large one is parsed once per change: its parsed form is kept
//! in the index folder ([`crate::index::sidecar`]), as an FST from each term to what it expands
//! to, and a search opens that instead (a 12 MB file took 2.6 s to parse on every search).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::analysis::fold_str;
use crate::analysis::grams::gram_chars;
use crate::corpus::SYNONYMS_FILE;
use crate::corpus::settings::{MAX_SETTINGS_BYTES, SettingsPlace};
use crate::index::sidecar::{self, SYNONYMS_CACHE, Slice};

/// Files smaller than this are parsed on every search (less than a millisecond) rather than
/// kept parsed in the index folder.
const CACHE_FROM_BYTES: u64 = 64 * 1024;

/// The first bytes of the cache, with its format's version.
const CACHE_MAGIC: &[u8; 16] = b"sou-synonyms-v1\n";

/// Groups of equivalent terms, folded.
#[derive(Debug, Default)]
pub struct Synonyms {
    groups: Vec<Vec<String>>,
    by_term: HashMap<String, Vec<usize>>,
    /// The parsed form kept in the index folder, when it was opened instead of the file.
    kept: Option<Kept>,
}

/// The parsed form of a large synonyms file, as the index folder keeps it.
struct Kept {
    /// Term → where its expansion stands in `expansions` (offset << 32 | length).
    terms: fst::Map<Slice>,
    /// The expansions, each its terms joined by newlines.
    expansions: Slice,
}

impl std::fmt::Debug for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kept")
            .field("terms", &self.terms.len())
            .finish()
    }
}

/// What a synonyms file is, to tell that the kept parsed form is its own.
fn stamp_of(meta: &std::fs::Metadata) -> [u64; 4] {
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        [
            meta.len(),
            mtime,
            meta.ino(),
            meta.ctime() as u64 * 1_000_000_000 + meta.ctime_nsec() as u64,
        ]
    }
    #[cfg(not(unix))]
    {
        [meta.len(), mtime, 0, 0]
    }
}

impl Synonyms {
    /// Loads `synonyms.txt` from `seeds`, read as a settings file of `place`; none is an empty
    /// set. A file that cannot be read is no reason to fail a search: it is an empty set, and a
    /// warning. A large file is kept parsed in `index_dir` (when it can be written there) and
    /// opened from there while it does not change.
    pub fn open(
        seeds: &Path,
        place: Option<&SettingsPlace>,
        index_dir: Option<&Path>,
    ) -> (Synonyms, Option<String>) {
        let path = seeds.join(SYNONYMS_FILE);
        let Some(place) = place else {
            return (Synonyms::default(), None);
        };
        let unusable = |err: &dyn std::fmt::Display| {
            Some(format!("{SYNONYMS_FILE}: {err}; no synonyms are used"))
        };
        match place.stat(&path) {
            Ok(Some(_)) => {}
            Ok(None) => return (Synonyms::default(), None),
            Err(err) => return (Synonyms::default(), unusable(&err)),
        }
        let stamp = std::fs::metadata(&path).ok().map(|meta| stamp_of(&meta));
        let large = stamp.is_some_and(|s| s[0] >= CACHE_FROM_BYTES);
        if large
            && let (Some(dir), Some(stamp)) = (index_dir, stamp)
            && let Some(kept) = Synonyms::open_kept(dir, stamp)
        {
            return (kept, None);
        }
        let text = match place.read_text(&path, MAX_SETTINGS_BYTES) {
            Ok(text) => text.unwrap_or_default(),
            Err(err) => return (Synonyms::default(), unusable(&err)),
        };
        let synonyms = Synonyms::parse(&text);
        // A file written within the last moments may change again with the same size and time.
        let settled = stamp.is_some_and(|s| {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            now.saturating_sub(s[1]) > 2_000_000_000
        });
        if large
            && settled
            && let (Some(dir), Some(stamp)) = (index_dir, stamp)
        {
            // Not written (a read-only index): parsed again next time, nothing lost.
            let _ = synonyms.keep(dir, stamp);
        }
        (synonyms, None)
    }

    /// The parsed form kept in `dir`, when it is that of the file `stamp` describes.
    fn open_kept(dir: &Path, stamp: [u64; 4]) -> Option<Synonyms> {
        Synonyms::from_kept(sidecar::map(&dir.join(SYNONYMS_CACHE)).ok()?, stamp)
    }

    /// The synonyms whose parsed form is `bytes` (see [`Synonyms::kept_bytes`]), when it is
    /// that of the file `stamp` describes.
    pub(crate) fn from_kept(bytes: sidecar::Mapped, stamp: [u64; 4]) -> Option<Synonyms> {
        let mapped = Arc::new(bytes);
        let bytes = mapped.as_ref().as_ref();
        let header = CACHE_MAGIC.len() + 5 * 8;
        if bytes.len() < header || &bytes[..CACHE_MAGIC.len()] != CACHE_MAGIC {
            return None;
        }
        let number = |i: usize| {
            let at = CACHE_MAGIC.len() + 8 * i;
            u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or_default())
        };
        if (0..4).any(|i| number(i) != stamp[i]) {
            return None;
        }
        let fst_end = header.checked_add(usize::try_from(number(4)).ok()?)?;
        let terms = fst::Map::new(Slice::new(mapped.clone(), header..fst_end)?).ok()?;
        let expansions = Slice::new(mapped.clone(), fst_end..bytes.len())?;
        Some(Synonyms {
            kept: Some(Kept { terms, expansions }),
            ..Synonyms::default()
        })
    }

    /// Keeps the parsed form in `dir`, for the file `stamp` describes.
    fn keep(&self, dir: &Path, stamp: [u64; 4]) -> std::io::Result<()> {
        sidecar::write_atomically(dir, SYNONYMS_CACHE, &self.kept_bytes(stamp)?)
    }

    /// The parsed form, for the file `stamp` describes: a header, an FST from each term to
    /// where its expansion stands, and the expansions.
    pub(crate) fn kept_bytes(&self, stamp: [u64; 4]) -> std::io::Result<Vec<u8>> {
        let mut terms: Vec<&String> = self.by_term.keys().collect();
        terms.sort_unstable();
        let mut expansions = Vec::new();
        let mut builder = fst::MapBuilder::memory();
        for term in terms {
            let expansion = self.expand(term).join("\n");
            let value = (expansions.len() as u64) << 32 | expansion.len() as u64;
            expansions.extend_from_slice(expansion.as_bytes());
            builder.insert(term, value).map_err(std::io::Error::other)?;
        }
        let fst = builder.into_inner().map_err(std::io::Error::other)?;
        let mut bytes = CACHE_MAGIC.to_vec();
        for number in stamp.into_iter().chain([fst.len() as u64]) {
            bytes.extend_from_slice(&number.to_le_bytes());
        }
        bytes.extend_from_slice(&fst);
        bytes.extend_from_slice(&expansions);
        Ok(bytes)
    }

    /// Parses the file's text.
    pub fn parse(text: &str) -> Synonyms {
        let mut synonyms = Synonyms::default();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut group: Vec<String> = Vec::new();
            for term in line.split([' ', '\t', ',', '，', '\u{3000}']) {
                let folded: String = gram_chars(&fold_str(term)).into_iter().collect();
                if !folded.is_empty() && !group.contains(&folded) {
                    group.push(folded);
                }
            }
            if group.len() < 2 {
                continue;
            }
            let index = synonyms.groups.len();
            for term in &group {
                synonyms
                    .by_term
                    .entry(term.clone())
                    .or_default()
                    .push(index);
            }
            synonyms.groups.push(group);
        }
        synonyms
    }

    /// The other terms equivalent to `folded` (already folded), in file order.
    pub fn expand(&self, folded: &str) -> Vec<String> {
        if let Some(kept) = &self.kept {
            let Some(value) = kept.terms.get(folded) else {
                return Vec::new();
            };
            let (start, len) = ((value >> 32) as usize, (value & 0xFFFF_FFFF) as usize);
            let text = kept
                .expansions
                .as_ref()
                .get(start..start + len)
                .and_then(|bytes| std::str::from_utf8(bytes).ok())
                .unwrap_or("");
            return text
                .split('\n')
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect();
        }
        let mut out: Vec<String> = Vec::new();
        for &group in self.by_term.get(folded).into_iter().flatten() {
            for term in &self.groups[group] {
                if term != folded && !out.contains(term) {
                    out.push(term.clone());
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_expand_both_ways_and_fold() {
        let synonyms = Synonyms::parse(
            "# abbreviations\n自创区 自主创新示范区 国家自創示范区\n十九大，党的十九大\n单独\n",
        );
        assert_eq!(
            synonyms.expand("自创区"),
            ["自主创新示范区", "国家自创示范区"]
        );
        assert_eq!(
            synonyms.expand("国家自创示范区"),
            ["自创区", "自主创新示范区"]
        );
        assert_eq!(synonyms.expand("党的十九大"), ["十九大"]);
        assert!(synonyms.expand("单独").is_empty());
    }

    /// A 12 MB synonyms.txt made every search take 2.6 s: it was parsed each time.
    #[test]
    fn a_large_file_is_parsed_once_and_opened_after() {
        let dir = tempfile::tempdir().unwrap();
        let seeds = dir.path().join("seeds");
        let index = dir.path().join("index");
        std::fs::create_dir_all(&seeds).unwrap();
        std::fs::create_dir_all(&index).unwrap();
        let mut text = String::from("自创区 自主创新示范区 国家自创示范区\n十九大，党的十九大\n");
        for i in 0..5000 {
            text.push_str(&format!("词{i}甲 词{i}乙\n"));
        }
        let path = seeds.join(SYNONYMS_FILE);
        std::fs::write(&path, &text).unwrap();
        // Old enough to be trusted by its size and time.
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let place = SettingsPlace::of(&seeds, false).unwrap();
        let (parsed, warning) = Synonyms::open(&seeds, Some(&place), Some(&index));
        assert!(warning.is_none() && parsed.kept.is_none());
        assert!(
            index.join(SYNONYMS_CACHE).is_file(),
            "kept after the first parse"
        );
        let (kept, _) = Synonyms::open(&seeds, Some(&place), Some(&index));
        assert!(kept.kept.is_some(), "opened, not parsed");
        for term in ["自创区", "国家自创示范区", "党的十九大", "词4999乙", "单独"]
        {
            assert_eq!(kept.expand(term), parsed.expand(term), "{term}");
        }
        // Edited: parsed again, whatever the kept form says.
        std::fs::write(&path, text.replace("自创区 ", "自创园区 ")).unwrap();
        let (edited, _) = Synonyms::open(&seeds, Some(&place), Some(&index));
        assert!(edited.kept.is_none());
        assert!(edited.expand("自创区").is_empty());
    }
}
