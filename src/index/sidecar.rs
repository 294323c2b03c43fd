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

/// The bytes of a file, mapped (a search touches only the pages it looks at), or read whole
/// (a file that came from a cluster index, see [`crate::cluster`]).
pub(crate) enum Mapped {
    File(memmap2::Mmap),
    Read(Vec<u8>),
}

impl AsRef<[u8]> for Mapped {
    fn as_ref(&self) -> &[u8] {
        match self {
            Mapped::File(map) => map,
            Mapped::Read(bytes) => bytes,
        }
    }
}

/// Maps the file at `path`.
pub(crate) fn map(path: &Path) -> std::io::Result<Mapped> {
    let file = std::fs::File::open(path)?;
    // SAFETY: sidecar files are written whole under a temporary name and renamed into place,
    // never written in place, so the mapped bytes do not change under the map.
    let map = unsafe { memmap2::Mmap::map(&file)? };
    Ok(Mapped::File(map))
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
    let Some((bytes, longest)) = user_words_fst(words)? else {
        return Ok(None);
    };
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

/// The user words of `words` as an FST from each word to its frequency, and the longest word
/// in characters; `None` for a dictionary without words.
pub(crate) fn user_words_fst(words: &UserWords) -> std::io::Result<Option<(Vec<u8>, usize)>> {
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
    Ok(Some((fst.into_fst().into_inner(), longest)))
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
        (range.start <= range.end && range.end <= (*mapped).as_ref().len())
            .then_some(Slice { mapped, range })
    }
}

impl AsRef<[u8]> for Slice {
    fn as_ref(&self) -> &[u8] {
        &self.mapped.as_ref().as_ref()[self.range.clone()]
    }
}

/// Separates a word's pinyin key from the word where the two are one string: in the entries
/// [`keep_pinyin`] sorts, and in the keys of the first form of [`PINYIN_FILE`].
pub(crate) const PINYIN_SEPARATOR: char = '\t';
/// How [`PINYIN_FILE`] starts in the form [`keep_pinyin`] writes. Without it, the file is the
/// first form, a set of `key\tword` (an FST), which is read still.
const PINYIN_MAGIC: &[u8] = b"sou-pinyin 2\n";

/// Adds `words` (the sets of a sync's workers) to the corpus words kept by pinyin in `dir`, or,
/// when `fresh`, replaces them (a rebuild). A word whose articles are gone stays until a
/// rebuild: a search checks that the index holds the words it reads a typo as.
///
/// The file is [`PINYIN_MAGIC`], the length of an FST as 8 bytes (little-endian), the FST, and
/// the words: the FST maps each pinyin key (see [`crate::analysis::pinyin::stored_keys`]) to
/// where its words start after it, each word its length in one byte and its bytes, a 0 after
/// the last. An FST of the keys alone builds in a fourth of the time an FST of `key\tword` took
/// (0.13 s against 0.48 s for inews's 304,030 entries), which was a tenth of a build.
pub(crate) fn keep_pinyin(
    dir: &Path,
    words: Vec<crate::index::WordSet>,
    fresh: bool,
) -> std::io::Result<()> {
    if !pinyin_changes(&words, fresh) {
        return Ok(());
    }
    // A rebuild replaces the old words: they are not even read.
    let old = match fresh {
        false => open_pinyin(dir),
        true => None,
    };
    write_atomically(dir, PINYIN_FILE, &pinyin_file(old.as_ref(), &words)?)
}

/// Whether keeping `words` changes the corpus words by pinyin: a rebuild (`fresh`) replaces
/// them, an update adds to them only when it has words.
pub(crate) fn pinyin_changes(words: &[crate::index::WordSet], fresh: bool) -> bool {
    fresh || words.iter().any(|set| set.len() > 0)
}

/// The bytes of [`PINYIN_FILE`] holding the words of `old` (when given) and of `words`.
pub(crate) fn pinyin_file(
    old: Option<&PinyinWords>,
    words: &[crate::index::WordSet],
) -> std::io::Result<Vec<u8>> {
    let count: usize = words.iter().map(crate::index::WordSet::len).sum();
    let mut entries: Vec<String> = Vec::with_capacity(count * 2);
    for word in words.iter().flat_map(crate::index::WordSet::iter) {
        for mut key in crate::analysis::pinyin::stored_keys(word) {
            key.push(PINYIN_SEPARATOR);
            key.push_str(word);
            entries.push(key);
        }
    }
    // The separator sorts below every letter: `key\tword` sorts as (key, word) does.
    entries.sort_unstable();
    entries.dedup();
    match old {
        Some(old) => pinyin_bytes(merge_sorted(old.entries(), entries)),
        None => pinyin_bytes(entries),
    }
}

/// The sorted, distinct entries of `a` and `b`, both sorted and distinct.
fn merge_sorted(a: Vec<String>, b: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x < y => a.next(),
            (Some(x), Some(y)) if x > y => b.next(),
            (Some(_), Some(_)) => {
                b.next();
                a.next()
            }
            (Some(_), None) => a.next(),
            (None, _) => b.next(),
        };
        match next {
            Some(entry) => out.push(entry),
            None => return out,
        }
    }
}

/// The bytes of [`PINYIN_FILE`] holding `entries` (`key\tword`, sorted, distinct).
fn pinyin_bytes(entries: Vec<String>) -> std::io::Result<Vec<u8>> {
    let mut map = fst::MapBuilder::memory();
    let mut words: Vec<u8> = Vec::new();
    let mut last_key: Option<&str> = None;
    for entry in &entries {
        let Some((key, word)) = entry.split_once(PINYIN_SEPARATOR) else {
            continue;
        };
        // A kept word is at most six characters: its length always fits a byte.
        let Ok(length) = u8::try_from(word.len()) else {
            continue;
        };
        if length == 0 {
            continue;
        }
        if last_key != Some(key) {
            if last_key.is_some() {
                words.push(0);
            }
            map.insert(key, words.len() as u64)
                .map_err(std::io::Error::other)?;
            last_key = Some(key);
        }
        words.push(length);
        words.extend_from_slice(word.as_bytes());
    }
    if last_key.is_some() {
        words.push(0);
    }
    let map = map.into_inner().map_err(std::io::Error::other)?;
    let mut bytes = Vec::with_capacity(PINYIN_MAGIC.len() + 8 + map.len() + words.len());
    bytes.extend_from_slice(PINYIN_MAGIC);
    bytes.extend_from_slice(&(map.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&map);
    bytes.extend_from_slice(&words);
    Ok(bytes)
}

/// The corpus words kept by pinyin in an index folder (see [`keep_pinyin`]).
pub(crate) enum PinyinWords {
    /// The form [`keep_pinyin`] writes: the keys, and where their words are in `words`.
    Grouped { keys: fst::Map<Slice>, words: Slice },
    /// The first form: a set of `key\tword`.
    Listed(fst::Set<Mapped>),
}

impl PinyinWords {
    /// The words whose stored pinyin key (`zhengxing`) is `key`.
    pub fn words(&self, key: &str) -> Vec<String> {
        match self {
            PinyinWords::Grouped { keys, words } => match keys.get(key) {
                Some(at) => group(words.as_ref(), at as usize)
                    .map(str::to_string)
                    .collect(),
                None => Vec::new(),
            },
            PinyinWords::Listed(set) => {
                use fst::{IntoStreamer, Streamer};
                let from = format!("{key}{PINYIN_SEPARATOR}");
                // The entries of `key` are those below the separator's successor.
                let to = format!("{key}{}", char::from(PINYIN_SEPARATOR as u8 + 1));
                let mut stream = set.range().ge(&from).lt(&to).into_stream();
                let mut found = Vec::new();
                while let Some(entry) = stream.next() {
                    if let Some(word) = std::str::from_utf8(entry)
                        .ok()
                        .and_then(|e| e.strip_prefix(from.as_str()))
                    {
                        found.push(word.to_string());
                    }
                }
                found
            }
        }
    }

    /// Every entry, as `key\tword`, sorted.
    fn entries(&self) -> Vec<String> {
        use fst::Streamer;
        let mut out = Vec::new();
        match self {
            PinyinWords::Grouped { keys, words } => {
                let mut stream = keys.stream();
                while let Some((key, at)) = stream.next() {
                    let Ok(key) = std::str::from_utf8(key) else {
                        continue;
                    };
                    for word in group(words.as_ref(), at as usize) {
                        out.push(format!("{key}{PINYIN_SEPARATOR}{word}"));
                    }
                }
            }
            PinyinWords::Listed(set) => {
                let mut stream = set.stream();
                while let Some(entry) = stream.next() {
                    if let Ok(entry) = std::str::from_utf8(entry) {
                        out.push(entry.to_string());
                    }
                }
            }
        }
        out
    }
}

/// The words of the group at `at` in `words`: each its length in a byte and its bytes, up to
/// a 0 (or the end, or a length past the end, of damaged bytes).
fn group(words: &[u8], at: usize) -> impl Iterator<Item = &str> {
    let mut at = at;
    std::iter::from_fn(move || {
        let length = usize::from(*words.get(at).filter(|&&l| l > 0)?);
        let word = words.get(at + 1..at + 1 + length)?;
        at += 1 + length;
        std::str::from_utf8(word).ok()
    })
}

/// The corpus words kept by pinyin in `dir`, when there are some.
pub(crate) fn open_pinyin(dir: &Path) -> Option<PinyinWords> {
    pinyin_words(map(&dir.join(PINYIN_FILE)).ok()?)
}

/// The corpus words kept by pinyin in `bytes`, a [`PINYIN_FILE`]; `None` when they are
/// damaged past reading.
pub(crate) fn pinyin_words(bytes: Mapped) -> Option<PinyinWords> {
    if !bytes.as_ref().starts_with(PINYIN_MAGIC) {
        return fst::Set::new(bytes).ok().map(PinyinWords::Listed);
    }
    let keys_start = PINYIN_MAGIC.len() + 8;
    let length = u64::from_le_bytes(
        bytes
            .as_ref()
            .get(PINYIN_MAGIC.len()..keys_start)?
            .try_into()
            .ok()?,
    );
    let keys_end = keys_start.checked_add(usize::try_from(length).ok()?)?;
    let end = bytes.as_ref().len();
    let bytes = std::sync::Arc::new(bytes);
    let keys = Slice::new(bytes.clone(), keys_start..keys_end)?;
    let words = Slice::new(bytes, keys_end..end)?;
    Some(PinyinWords::Grouped {
        keys: fst::Map::new(keys).ok()?,
        words,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_of(words: &[&str]) -> crate::index::WordSet {
        let mut set = crate::index::WordSet::default();
        for word in words {
            set.insert(word);
        }
        set
    }

    #[test]
    fn words_are_found_by_their_pinyin_and_added_to() {
        let dir = tempfile::tempdir().unwrap();
        keep_pinyin(
            dir.path(),
            vec![set_of(&["整形", "整型"]), set_of(&["银行", "整形"])],
            true,
        )
        .unwrap();
        let kept = open_pinyin(dir.path()).unwrap();
        assert_eq!(kept.words("zhengxing"), ["整型", "整形"]);
        assert_eq!(kept.words("yinhang"), ["银行"]);
        assert_eq!(kept.words("yinxing"), ["银行"]);
        assert!(kept.words("zheng").is_empty() && kept.words("zz").is_empty());
        // A sync adds its words to those kept; a rebuild replaces them.
        keep_pinyin(dir.path(), vec![set_of(&["正行", "医院"])], false).unwrap();
        let kept = open_pinyin(dir.path()).unwrap();
        assert_eq!(kept.words("zhengxing"), ["整型", "整形", "正行"]);
        assert_eq!(kept.words("yiyuan"), ["医院"]);
        keep_pinyin(dir.path(), vec![set_of(&["医院"])], true).unwrap();
        let kept = open_pinyin(dir.path()).unwrap();
        assert!(kept.words("zhengxing").is_empty());
        assert_eq!(kept.words("yiyuan"), ["医院"]);
    }

    #[test]
    fn the_first_form_is_read_and_carried_over() {
        let dir = tempfile::tempdir().unwrap();
        let old = fst::Set::from_iter(["yiyuan\t医院", "zhengxing\t整形"]).unwrap();
        std::fs::write(dir.path().join(PINYIN_FILE), old.as_fst().as_bytes()).unwrap();
        let kept = open_pinyin(dir.path()).unwrap();
        assert!(matches!(kept, PinyinWords::Listed(_)));
        assert_eq!(kept.words("zhengxing"), ["整形"]);
        keep_pinyin(dir.path(), vec![set_of(&["整型"])], false).unwrap();
        let kept = open_pinyin(dir.path()).unwrap();
        assert!(matches!(kept, PinyinWords::Grouped { .. }));
        assert_eq!(kept.words("zhengxing"), ["整型", "整形"]);
        assert_eq!(kept.words("yiyuan"), ["医院"]);
    }

    #[test]
    fn damaged_bytes_are_no_words_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        keep_pinyin(dir.path(), vec![set_of(&["整形", "医院"])], true).unwrap();
        let path = dir.path().join(PINYIN_FILE);
        let whole = std::fs::read(&path).unwrap();
        for cut in [
            5,
            PINYIN_MAGIC.len() + 4,
            PINYIN_MAGIC.len() + 12,
            whole.len() - 3,
        ] {
            std::fs::write(&path, &whole[..cut]).unwrap();
            if let Some(kept) = open_pinyin(dir.path()) {
                let _ = kept.words("zhengxing");
            }
        }
        assert!(group(&[5, b'a'], 0).next().is_none());
    }
}
