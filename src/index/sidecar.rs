//! Files sou keeps in the index folder beside tantivy's, each derived from a settings file so
//! that a search opens it instead of parsing the settings file again: the user dictionary's
//! words as jieba resolved them (an FST, named after a hash of what it holds, so that a commit
//! names the one it was built with), and the parsed synonyms (see
//! [`crate::search::Synonyms`]). They are written whole to a temporary name and renamed, so a
//! reader sees an old file or a new one, never half of one; `index::folder` counts them as
//! sou's own.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::analysis::UserWords;

/// The name prefix of the user words files.
pub(crate) const WORDS_PREFIX: &str = ".sou-words-";
/// The name of the synonyms cache.
pub(crate) const SYNONYMS_CACHE: &str = ".sou-synonyms";
/// The name of the corpus words by pinyin (see [`keep_pinyin`]).
pub(crate) const PINYIN_FILE: &str = ".sou-pinyin.fst";
/// The suffix of a sidecar being written.
pub(crate) const TEMP_SUFFIX: &str = ".tmp";

/// Whether `name` is one of the files this module writes.
pub(crate) fn is_sidecar(name: &str) -> bool {
    let name = name.strip_suffix(TEMP_SUFFIX).unwrap_or(name);
    name == SYNONYMS_CACHE
        || name == PINYIN_FILE
        || (name.starts_with(WORDS_PREFIX) && name.ends_with(".fst"))
}

/// The bytes of a file, mapped: a search touches only the pages it looks at.
pub(crate) struct Mapped(memmap2::Mmap);

impl AsRef<[u8]> for Mapped {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Maps the file at `path`.
pub(crate) fn map(path: &Path) -> std::io::Result<Mapped> {
    let file = std::fs::File::open(path)?;
    // SAFETY: sidecar files are written whole under a temporary name and renamed into place,
    // never written in place, so the mapped bytes do not change under the map.
    let map = unsafe { memmap2::Mmap::map(&file)? };
    Ok(Mapped(map))
}

/// Writes `bytes` as `dir/name`, whole or not at all.
pub(crate) fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let temp = dir.join(format!("{name}{TEMP_SUFFIX}"));
    std::fs::write(&temp, bytes)?;
    std::fs::rename(&temp, dir.join(name))
}

/// Where a commit's user words are, as its payload records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WordsRef {
    /// The file's name in the index folder.
    pub file: String,
    /// The dictionary's total frequency with the user words added.
    pub total: u64,
    /// The longest user word, in characters.
    pub longest: usize,
}

/// Writes the user words of `words` into `dir` (unless a file with the same words is there) and
/// says where they are; `None` for a dictionary without words.
pub(crate) fn keep_user_words(dir: &Path, words: &UserWords) -> std::io::Result<Option<WordsRef>> {
    if words.words.is_empty() {
        return Ok(None);
    }
    let mut sorted: Vec<(&str, u64)> = words.words.iter().map(|(w, f)| (w.as_str(), *f)).collect();
    sorted.sort_unstable();
    sorted.dedup_by(|a, b| a.0 == b.0);
    let longest = sorted
        .iter()
        .map(|(w, _)| w.chars().count())
        .max()
        .unwrap_or(0);
    let fst = fst::Map::from_iter(sorted).map_err(std::io::Error::other)?;
    let bytes = fst.into_fst().into_inner();
    let hash = xxhash_rust::xxh3::xxh3_64(&bytes);
    let file = format!("{WORDS_PREFIX}{hash:016x}.fst");
    if !dir.join(&file).is_file() {
        write_atomically(dir, &file, &bytes)?;
    }
    Ok(Some(WordsRef {
        file,
        total: words.total,
        longest,
    }))
}

/// Opens the user words a commit names.
pub(crate) fn open_user_words(dir: &Path, words: &WordsRef) -> std::io::Result<fst::Map<Mapped>> {
    let path: PathBuf = dir.join(&words.file);
    fst::Map::new(map(&path)?).map_err(|err| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: {err}", path.display()),
        )
    })
}

/// Deletes the user words files of `dir` other than `keep`'s: they belong to commits no longer
/// the last one.
pub(crate) fn remove_other_words(dir: &Path, keep: Option<&WordsRef>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(WORDS_PREFIX)
            && is_sidecar(name)
            && keep.is_none_or(|keep| keep.file != name)
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A part of a mapped file.
pub(crate) struct Slice {
    mapped: std::sync::Arc<Mapped>,
    range: std::ops::Range<usize>,
}

impl Slice {
    /// The bytes of `mapped` in `range`, or `None` past its end.
    pub fn new(mapped: std::sync::Arc<Mapped>, range: std::ops::Range<usize>) -> Option<Slice> {
        (range.start <= range.end && range.end <= mapped.0.len()).then_some(Slice { mapped, range })
    }
}

impl AsRef<[u8]> for Slice {
    fn as_ref(&self) -> &[u8] {
        &self.mapped.0[self.range.clone()]
    }
}

/// Separates a word's pinyin key from the word in the keys of [`PINYIN_FILE`].
pub(crate) const PINYIN_SEPARATOR: char = '\t';

/// Adds `words` to the corpus words kept by pinyin in `dir` (a set of `key\tword`, one key
/// for each reading, see [`crate::analysis::pinyin::keys`]), or, when `fresh`, replaces them
/// (a rebuild). A word whose articles are gone stays until a rebuild: a search checks that the
/// index holds the words it reads a typo as.
pub(crate) fn keep_pinyin(
    dir: &Path,
    words: crate::index::WordSet,
    fresh: bool,
) -> std::io::Result<()> {
    if words.is_empty() && !fresh {
        return Ok(());
    }
    let mut keys: Vec<String> = Vec::with_capacity(words.len() * 2);
    for word in &words {
        for key in crate::analysis::pinyin::keys(word) {
            let key = crate::analysis::pinyin::stored(&key);
            keys.push(format!("{key}{PINYIN_SEPARATOR}{word}"));
        }
    }
    keys.sort_unstable();
    keys.dedup();
    let path = dir.join(PINYIN_FILE);
    // A rebuild replaces the old words: they are not even read.
    let old = match fresh {
        false => map(&path)
            .ok()
            .and_then(|mapped| fst::Set::new(mapped).ok()),
        true => None,
    };
    let new = fst::Set::from_iter(&keys).map_err(std::io::Error::other)?;
    let bytes = match &old {
        Some(old) => {
            use fst::Streamer;
            let mut builder = fst::SetBuilder::memory();
            let mut union = old.op().add(&new).union();
            while let Some(key) = union.next() {
                builder.insert(key).map_err(std::io::Error::other)?;
            }
            builder.into_inner().map_err(std::io::Error::other)?
        }
        None => new.into_fst().into_inner(),
    };
    write_atomically(dir, PINYIN_FILE, &bytes)
}

/// The corpus words kept by pinyin in `dir`, when there are some.
pub(crate) fn open_pinyin(dir: &Path) -> Option<fst::Set<Mapped>> {
    fst::Set::new(map(&dir.join(PINYIN_FILE)).ok()?).ok()
}
