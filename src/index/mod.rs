//! The index folder: creating and opening the tantivy index, telling a sou index from anything
//! else, the fingerprint of the settings it was built with, and the commit payload that records
//! it. Syncing with the seeds folder lives in [`sync`], reading what is indexed in [`manifest`],
//! which segments are merged and when in [`merge`].

mod checked;
mod directory;
pub(crate) mod documents;
pub(crate) mod faults;
mod folder;
pub(crate) mod manifest;
mod merge;
mod pipeline;
mod plan;
pub(crate) mod schema;
pub(crate) mod sidecar;
pub mod sync;
mod word_set;
mod writer;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tantivy::{Index, IndexReader, IndexSettings, IndexWriter, ReloadPolicy, TantivyDocument};

use crate::analysis::{ANALYSIS_VERSION, grams};
use crate::corpus::settings::{MAX_SETTINGS_BYTES, SettingsPlace};
use crate::corpus::{self, DICT_FILE};
use crate::error::Op;
use crate::{Error, Result};

pub use schema::Fields;
pub use sync::WRITER_BUDGET_BYTES;

use folder::{MARKER, Survey};

/// What each commit records in `meta.json`, atomically with the documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// The settings the documents were analyzed with.
    pub fingerprint: String,
    /// When the commit was made (seconds since the epoch).
    pub synced_at: u64,
    /// Whether the commit ends a sync (false for the intermediate commits of a long build).
    #[serde(default)]
    pub complete: bool,
    /// Where the user dictionary the documents were analyzed with is kept, as jieba resolved
    /// it: a search cuts its query with the same words.
    #[serde(default)]
    pub user_words: Option<sidecar::WordsRef>,
    /// The user dictionary file as the fingerprint saw it.
    #[serde(default)]
    pub dict: Option<DictStamp>,
}

/// The user dictionary file as a fingerprint saw it: a file with the same size and time is
/// taken to hold the same words, without reading it again (a 16 MB `dict.txt` took a
/// noticeable share of every search to hash).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DictStamp {
    /// Its size.
    pub size: u64,
    /// Its modification time (ns since the epoch).
    pub mtime_ns: u64,
    /// A hash of its bytes.
    pub hash: u64,
    /// When it was hashed (ns since the epoch): a file modified close to that is hashed again.
    pub seen_at_ns: u64,
}

/// The fingerprint of everything that changes what the index holds (see [`fingerprint`]), and
/// how it saw the user dictionary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// The fingerprint.
    pub text: String,
    /// The user dictionary file, when there is one that can be used.
    pub dict: Option<DictStamp>,
}

/// The payload of the last commit in `dir`, read from `meta.json` without opening the index;
/// `None` when there is none or it cannot be read.
pub fn last_payload(dir: &Path) -> Option<Payload> {
    #[derive(Deserialize)]
    struct Meta {
        payload: Option<String>,
    }
    let bytes = std::fs::read(dir.join(folder::META)).ok()?;
    let meta: Meta = serde_json::from_slice(&bytes).ok()?;
    serde_json::from_str(&meta.payload?).ok()
}

/// The first document holding `term` that is alive and that `accept` takes, segment by segment:
/// `accept` gets each segment's ordinal, reader and its alive documents holding the term, in
/// order, and says what it found. tantivy's errors are told by `error`.
pub(crate) fn find_alive<T>(
    searcher: &tantivy::Searcher,
    term: &tantivy::Term,
    error: fn(tantivy::TantivyError) -> Error,
    mut accept: impl FnMut(
        u32,
        &tantivy::SegmentReader,
        &mut dyn Iterator<Item = tantivy::DocId>,
    ) -> Result<Option<T>>,
) -> Result<Option<T>> {
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let inverted = segment.inverted_index(term.field()).map_err(error)?;
        let Some(mut postings) = inverted
            .read_postings(term, tantivy::schema::IndexRecordOption::Basic)
            .map_err(|e| error(e.into()))?
        else {
            continue;
        };
        let mut docs = alive_docs(&mut postings, segment);
        if let Some(found) = accept(ord as u32, segment, &mut docs)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// The documents of `docs` (postings, a query's scorer) that are alive in `segment`, in order:
/// the one walk over live documents that every reader of the index uses.
pub(crate) fn alive_docs<'a>(
    docs: &'a mut dyn tantivy::DocSet,
    segment: &'a tantivy::SegmentReader,
) -> impl Iterator<Item = tantivy::DocId> + 'a {
    let alive = segment.alive_bitset();
    std::iter::from_fn(move || {
        while docs.doc() != tantivy::TERMINATED {
            let doc = docs.doc();
            docs.advance();
            if alive.is_none_or(|bits| bits.is_alive(doc)) {
                return Some(doc);
            }
        }
        None
    })
}

/// The fingerprint of everything that changes what the index holds: schema, analysis, the gram
/// contract, passage cutting and the user dictionary of `seeds`, read as settings files are
/// (`place`; `None` when the folder cannot be resolved). A dictionary whose size and time are
/// those of `known` is not read again.
pub fn fingerprint(
    seeds: &Path,
    place: Option<&SettingsPlace>,
    known: Option<&DictStamp>,
) -> Fingerprint {
    let dict_path = seeds.join(DICT_FILE);
    let mut stamp = None;
    let dict = match place.map(|place| (place, place.stat(&dict_path))) {
        None | Some((_, Ok(None))) => "none".to_string(),
        // The analyzer says why when it reads the file.
        Some((_, Err(_))) => "unusable".to_string(),
        Some((place, Ok(Some((size, mtime_ns))))) => {
            let now = now_ns();
            let same = known.filter(|k| {
                k.size == size
                    && k.mtime_ns == mtime_ns
                    && k.seen_at_ns.abs_diff(mtime_ns) > RACY_NS
            });
            let hash = match same {
                Some(known) => Some(known.hash),
                None => place
                    .read(&dict_path, MAX_SETTINGS_BYTES)
                    .ok()
                    .flatten()
                    .map(|bytes| xxhash_rust::xxh3::xxh3_64(&bytes)),
            };
            match hash {
                Some(hash) => {
                    stamp = Some(DictStamp {
                        size,
                        mtime_ns,
                        hash,
                        seen_at_ns: same.map_or(now, |k| k.seen_at_ns),
                    });
                    format!("{hash:016x}")
                }
                None => "unusable".to_string(),
            }
        }
    };
    Fingerprint {
        text: format!(
            "{};{};{};{};md{};html{};docs{};dict-{}",
            schema::version(),
            ANALYSIS_VERSION,
            grams::version(),
            corpus::passage::version(),
            corpus::markdown::MARKDOWN_VERSION,
            corpus::html::HTML_VERSION,
            corpus::document::DOCUMENTS_VERSION,
            dict
        ),
        dict: stamp,
    }
}

/// A file modified this close to when it was looked at may change again unseen, within the
/// file system's timestamp resolution.
const RACY_NS: u64 = 2_000_000_000;

fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Numbers about an index.
#[derive(Debug, Clone)]
pub struct Stats {
    /// Articles indexed.
    pub articles: u64,
    /// Passages indexed.
    pub passages: u64,
    /// Distinct terms in the gram field.
    pub distinct_grams: u64,
    /// Bytes on disk.
    pub index_bytes: u64,
    /// When the last sync committed (seconds since the epoch).
    pub synced_at: Option<u64>,
    /// Whether the last commit ended a sync (false after an interrupted build).
    pub complete: bool,
    /// Whether another sou process is writing the index right now (a build or a sync).
    pub being_written: bool,
    /// The seeds folder the index is for, when it records it.
    pub seeds: Option<PathBuf>,
    /// The settings files (`dict.txt`, `synonyms.txt`) at the top of the seeds folder.
    pub settings: Vec<String>,
    /// Files that are not indexed, with the reason.
    pub skipped: Vec<corpus::Skipped>,
}

/// An open sou index.
pub struct SouIndex {
    /// The tantivy index.
    pub index: Index,
    /// The schema's fields.
    pub fields: Fields,
    /// The index folder.
    pub dir: PathBuf,
    /// The files the index maps, whose pages a merge gives back.
    pub(crate) mapped: Arc<directory::MappedFiles>,
}

impl std::fmt::Debug for SouIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SouIndex")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn folder_error(dir: &Path, reason: impl Into<String>) -> Error {
    Error::IndexFolder {
        path: dir.to_path_buf(),
        reason: reason.into(),
    }
}

fn tantivy_error(dir: &Path, op: Op) -> impl FnOnce(tantivy::TantivyError) -> Error {
    let what = dir.display().to_string();
    move |err| Error::tantivy(op, what, err)
}

/// A failure to take the writer of the index in `dir`: busy when another process holds it.
fn writer_error(dir: &Path, err: tantivy::TantivyError) -> Error {
    match err {
        tantivy::TantivyError::LockFailure(tantivy::directory::error::LockError::LockBusy, _) => {
            Error::IndexBusy {
                path: dir.to_path_buf(),
            }
        }
        other => Error::tantivy(Op::Open, format!("the writer of {}", dir.display()), other),
    }
}

/// The seeds folder the index in `dir` was made for, when its marker records it.
pub fn seeds_of(dir: &Path) -> Option<PathBuf> {
    folder::marker_seeds(dir)
}

/// Checks that the index in `dir` may serve the seeds folder `seeds` (canonical): an index made
/// for another folder never silently switches to this one.
pub fn check_owner(dir: &Path, seeds: &Path) -> Result<()> {
    match folder::marker_seeds(dir) {
        Some(owner) if owner != seeds => Err(Error::IndexOfAnotherFolder {
            index: dir.to_path_buf(),
            owner,
            seeds: seeds.to_path_buf(),
        }),
        _ => Ok(()),
    }
}

/// Records in the index in `dir` that it is the index of `seeds` (canonical).
pub(crate) fn claim(dir: &Path, seeds: &Path) {
    folder::claim_marker(dir, seeds);
}

pub(crate) use word_set::WordSet;

/// Whether `index` is the index folder of `seeds`, as its marker says: how a file given to
/// search finds the indexed folder it belongs to.
pub fn is_index_of(index: &Path, seeds: &Path) -> bool {
    match (folder::marker_seeds(index), seeds.canonicalize()) {
        (Some(owner), Ok(seeds)) => owner == seeds,
        _ => false,
    }
}

/// Where the index of the seeds folder `seeds` is kept when the user names no index folder:
/// an `index` folder beside it that holds its index (the project layout, found from any
/// working directory); `./index` for `./seeds` in the working directory `cwd`, unless that
/// folder is another folder's index or holds something else; otherwise a folder of its own
/// below `cache`, named after the folder and a hash of its canonical path.
pub fn default_location(seeds: &Path, cwd: &Path, cache: &Path) -> PathBuf {
    let Ok(canonical) = seeds.canonicalize() else {
        // No such folder: the command will say so; any place will do meanwhile.
        return cwd.join("index");
    };
    if let Some(parent) = canonical.parent() {
        let beside = parent.join("index");
        if folder::marker_seeds(&beside).as_deref() == Some(canonical.as_path()) {
            return beside;
        }
    }
    if cwd.join("seeds").canonicalize().ok().as_deref() == Some(canonical.as_path()) {
        let local = cwd.join("index");
        let usable = match Survey::of(&local) {
            // Another folder's index (or files that are not sou's): not ours to take.
            Ok(survey) if survey.marker => {
                folder::marker_seeds(&local).is_none_or(|owner| owner == canonical)
            }
            Ok(survey) => survey.foreign.is_empty() && !survey.meta,
            Err(_) => !local.exists(),
        };
        if usable {
            return PathBuf::from("./index");
        }
    }
    let name: String = canonical
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    let hash = xxhash_rust::xxh3::xxh3_64(canonical.as_os_str().as_encoded_bytes());
    cache.join("indexes").join(format!("{name}-{hash:016x}"))
}

impl SouIndex {
    /// Opens the index in `dir`, which must exist and be a sou index, to search it.
    pub fn open(dir: &Path) -> Result<SouIndex> {
        Self::open_with(dir, directory::Access::Search)
    }

    /// Opens the index in `dir` for `access`.
    fn open_with(dir: &Path, access: directory::Access) -> Result<SouIndex> {
        match std::fs::metadata(dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(folder_error(dir, "not a folder")),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NoIndex {
                    path: dir.to_path_buf(),
                });
            }
            Err(err) => return Err(Error::io(dir, err)),
        }
        let survey = Survey::of(dir)?;
        match (survey.marker, survey.meta) {
            (true, true) => Self::open_tantivy(dir, access),
            (false, true) => Err(folder_error(
                dir,
                "holds an index that sou did not make; choose another folder",
            )),
            _ => Err(Error::NoIndex {
                path: dir.to_path_buf(),
            }),
        }
    }

    /// The index in `dir`, to rebuild beside its last commit: `None` unless it is a sou index
    /// of this version whose commit opens (its segments are not read).
    pub fn open_for_rebuild(dir: &Path) -> Option<SouIndex> {
        let survey = Survey::of(dir).ok()?;
        if !(survey.marker && survey.meta) {
            return None;
        }
        let index = Self::open_tantivy(dir, directory::Access::Sync).ok()?;
        index.payload().ok().flatten()?;
        Some(index)
    }

    /// A new, empty index in place of the one in `dir`, made without opening the old one, which
    /// may be too damaged to open: the files sou wrote there are deleted while holding the
    /// writer's lock, so that no other sou process is writing them. `None` when `dir` holds no
    /// sou index (nothing, or files that are not sou's): [`SouIndex::open_or_create`] decides.
    pub fn replace(dir: &Path, seeds: &Path) -> Result<Option<SouIndex>> {
        if !std::fs::metadata(dir).is_ok_and(|meta| meta.is_dir()) {
            return Ok(None);
        }
        let survey = Survey::of(dir)?;
        if !(survey.marker && survey.meta) {
            return Ok(None);
        }
        let _lock = folder::lock_writer(dir)?;
        folder::clear(&Survey::of(dir)?)?;
        folder::claim_marker(dir, seeds);
        Self::create(dir).map(Some)
    }

    /// Opens the index in `dir`, creating the folder and an empty index when there is none.
    /// A folder with other files in it (dot-files aside) and no sou index is refused untouched.
    /// An index with another schema (an older sou) is replaced by an empty one.
    pub fn open_or_create(dir: &Path, seeds: &Path) -> Result<SouIndex> {
        match std::fs::metadata(dir) {
            Ok(meta) if !meta.is_dir() => return Err(folder_error(dir, "not a folder")),
            Ok(_) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            }
            Err(err) => return Err(Error::io(dir, err)),
        }
        let before = Survey::of(dir)?;
        if before.marker && before.meta {
            // The common case, which writes nothing: an index that may only need searching
            // opens even where nothing can be written.
            match Self::open_tantivy(dir, directory::Access::Sync) {
                Ok(opened) => return Ok(opened),
                Err(Error::OtherVersion { .. }) => {}
                Err(err) => return Err(err),
            }
        }
        if !before.marker {
            if before.meta {
                return Err(folder_error(
                    dir,
                    "holds an index that sou did not make; choose another folder",
                ));
            }
            if !before.foreign.is_empty() || !before.ours.is_empty() {
                return Err(folder_error(
                    dir,
                    format!(
                        "holds files sou did not write ({}); choose an empty or new folder",
                        before.foreign_names()
                    ),
                ));
            }
        }
        // Two processes may find no index at once: the marker's lock lets one create it while
        // the other waits, then opens what the first made.
        let marker = dir.join(MARKER);
        let marker_file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&marker)
            .map_err(|e| Error::io(&marker, e))?;
        marker_file.lock().map_err(|e| Error::io(&marker, e))?;
        if marker_file.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
            (&marker_file)
                .write_all(folder::marker_text(seeds).as_bytes())
                .map_err(|e| Error::io(&marker, e))?;
        }
        let survey = Survey::of(dir)?;
        if survey.meta {
            match Self::open_tantivy(dir, directory::Access::Sync) {
                Ok(opened) => return Ok(opened),
                Err(Error::OtherVersion { .. }) => {
                    // An index from another version of sou: replace it, once no one writes to it.
                    let old = Index::open_in_dir(dir).map_err(tantivy_error(dir, Op::Open))?;
                    let writer = old
                        .writer_with_num_threads::<TantivyDocument>(1, 15_000_000)
                        .map_err(|err| writer_error(dir, err))?;
                    drop(writer);
                    folder::clear(&Survey::of(dir)?)?;
                }
                Err(err) => return Err(err),
            }
        } else if !survey.foreign.is_empty() {
            // The index is gone (deleted by hand?) and other files took its place: they are not
            // ours to write beside, let alone to delete.
            return Err(folder_error(
                dir,
                format!(
                    "holds no index but files sou did not write ({}); choose an empty or new folder",
                    survey.foreign_names()
                ),
            ));
        } else {
            // A creation that was interrupted, or an index whose files were deleted: what is
            // left of it is ours and incomplete.
            folder::clear(&survey)?;
        }
        Self::create(dir)
    }

    /// A new, empty index in `dir`, which holds none.
    fn create(dir: &Path) -> Result<SouIndex> {
        let (schema, fields) = schema::build();
        // The document store holds why a file could not be indexed and the text of long files
        // only (other hits are read again from their files, see `corpus::read::reread`).
        // zstd keeps that text in 0.54 of its size where lz4 took 0.71 (a 100 MB file of inews
        // articles), and searches on inews measured no slower for it.
        let settings = IndexSettings {
            docstore_compression: tantivy::store::Compressor::Zstd(
                tantivy::store::ZstdCompressor::default(),
            ),
            ..IndexSettings::default()
        };
        let directory = directory::IndexDirectory::open(dir, directory::Access::Sync)
            .map_err(|e| tantivy_error(dir, Op::Create)(e.into()))?;
        let mapped = directory.mapped();
        if Index::exists(&directory).map_err(|e| tantivy_error(dir, Op::Create)(e.into()))? {
            return Err(folder_error(dir, "already holds an index"));
        }
        let index =
            Index::create(directory, schema, settings).map_err(tantivy_error(dir, Op::Create))?;
        let sou = SouIndex {
            index,
            fields,
            dir: dir.to_path_buf(),
            mapped,
        };
        sou.register_tokenizers()?;
        Ok(sou)
    }

    fn open_tantivy(dir: &Path, access: directory::Access) -> Result<SouIndex> {
        let directory = directory::IndexDirectory::open(dir, access)
            .map_err(|e| tantivy_error(dir, Op::Open)(e.into()))?;
        let mapped = directory.mapped();
        let index = Index::open(directory).map_err(tantivy_error(dir, Op::Open))?;
        let (expected, fields) = schema::build();
        if !same_schema(&index.schema(), &expected) {
            return Err(Error::OtherVersion {
                path: dir.to_path_buf(),
            });
        }
        let sou = SouIndex {
            index,
            fields,
            dir: dir.to_path_buf(),
            mapped,
        };
        sou.register_tokenizers()?;
        Ok(sou)
    }

    /// Tokenizers are not stored in the index: register them on every open.
    fn register_tokenizers(&self) -> Result<()> {
        grams::register_tokenizers(self.index.tokenizers())
            .map_err(tantivy_error(&self.dir, Op::Open))
    }

    /// The payload of the last commit, if it is sou's.
    pub fn payload(&self) -> Result<Option<Payload>> {
        let metas = self
            .index
            .load_metas()
            .map_err(tantivy_error(&self.dir, Op::Read))?;
        Ok(metas
            .payload
            .and_then(|p| serde_json::from_str::<Payload>(&p).ok()))
    }

    /// A reader on the last commit.
    pub fn reader(&self) -> Result<IndexReader> {
        self.index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(tantivy_error(&self.dir, Op::Read))
    }

    /// The writer; only one process at a time may hold it.
    pub fn writer(&self, threads: usize, budget_bytes: usize) -> Result<IndexWriter> {
        let writer = self
            .index
            .writer_with_num_threads::<TantivyDocument>(threads, budget_bytes)
            .map_err(|err| writer_error(&self.dir, err))?;
        writer.set_merge_policy(Box::new(merge::small_segments_policy()));
        Ok(writer)
    }

    /// Numbers about the index as last committed.
    pub fn stats(&self) -> Result<Stats> {
        let reader = self.reader()?;
        let searcher = reader.searcher();
        let manifest = manifest::read(&searcher, &self.fields)?;
        let skipped = manifest::skipped(&searcher, &self.fields, &manifest)?;
        let payload = self.payload()?;
        Ok(Stats {
            articles: manifest.values().filter(|k| !k.skipped()).count() as u64,
            passages: manifest.values().map(|k| k.passages).sum(),
            distinct_grams: manifest::distinct_terms(&searcher, self.fields.gram.grams)?,
            index_bytes: self.size_on_disk()?,
            synced_at: payload.as_ref().map(|p| p.synced_at),
            complete: payload.is_some_and(|p| p.complete),
            being_written: folder::being_written(&self.dir),
            seeds: folder::marker_seeds(&self.dir),
            settings: Vec::new(),
            skipped,
        })
    }

    /// Total size in bytes of the files in the index folder.
    pub fn size_on_disk(&self) -> Result<u64> {
        let mut total = 0;
        for entry in std::fs::read_dir(&self.dir).map_err(|e| Error::io(&self.dir, e))? {
            let entry = entry.map_err(|e| Error::io(&self.dir, e))?;
            if let Ok(meta) = entry.metadata()
                && meta.is_file()
            {
                total += meta.len();
            }
        }
        Ok(total)
    }
}

fn same_schema(a: &tantivy::schema::Schema, b: &tantivy::schema::Schema) -> bool {
    serde_json::to_string(a).ok() == serde_json::to_string(b).ok()
}

/// What unit tests of the index need without the engine above it: a folder synced into an
/// index, and the passages holding a string.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::Path;

    use super::sync::{SyncOptions, SyncReport};
    use super::{SouIndex, documents::PassageColumns};
    use crate::Result;
    use crate::analysis::{SharedAnalyzer, UserDict};

    /// Brings the index in `dir` in step with `seeds`, with `threads` writer threads.
    pub fn sync(
        seeds: &Path,
        dir: &Path,
        threads: usize,
        options: &SyncOptions<'_>,
    ) -> Result<SyncReport> {
        let canonical = seeds.canonicalize().unwrap();
        let index = SouIndex::open_or_create(dir, &canonical)?;
        let fingerprint = super::fingerprint(seeds, None, None);
        let analyzer = SharedAnalyzer::new(UserDict::default());
        let listing = crate::corpus::ListOptions {
            exclude: Some(dir.to_path_buf()),
            ..Default::default()
        };
        let reading = super::sync::Reading {
            listing: &listing,
            threads,
            documents: &Default::default(),
        };
        super::sync::sync(&index, seeds, &analyzer, &fingerprint, reading, options)
    }

    /// The passages of the last commit in `dir` that hold `text`, as (key, line), sorted.
    pub fn passages_holding(dir: &Path, text: &str) -> Vec<(String, u64)> {
        use tantivy::DocSet;
        let index = SouIndex::open(dir).unwrap();
        let searcher = index.reader().unwrap().searcher();
        let chars = crate::analysis::grams::gram_chars(&crate::analysis::fold_str(text));
        let query = crate::analysis::grams::contains(&index.fields.gram, &chars);
        let weight = query
            .weight(tantivy::query::EnableScoring::disabled_from_searcher(
                &searcher,
            ))
            .unwrap();
        let mut found = Vec::new();
        for segment in searcher.segment_readers() {
            let columns = PassageColumns::open(segment).unwrap();
            let mut keys = Vec::new();
            let mut stream = columns.keys.dictionary().stream().unwrap();
            while stream.advance() {
                keys.push(String::from_utf8_lossy(stream.key()).into_owned());
            }
            let mut scorer = weight.scorer(segment, 1.0).unwrap();
            while scorer.doc() != tantivy::TERMINATED {
                let doc = scorer.doc();
                if segment.alive_bitset().is_none_or(|bits| bits.is_alive(doc)) {
                    let key = keys[columns.key_ord(doc) as usize].clone();
                    found.push((key, columns.line(doc)));
                }
                scorer.advance();
            }
        }
        found.sort();
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_with_other_files_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let err = SouIndex::open_or_create(dir.path(), Path::new("/seeds")).unwrap_err();
        assert!(
            err.to_string().contains("did not write (notes.txt)"),
            "{err}"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn placeholders_do_not_count_and_a_file_is_not_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".gitignore"), "*").unwrap();
        SouIndex::open_or_create(dir.path(), Path::new("/seeds")).unwrap();
        assert!(dir.path().join("meta.json").exists());
        // Opening again finds the same index.
        SouIndex::open(dir.path()).unwrap();

        let file = dir.path().join("a-file");
        std::fs::write(&file, "x").unwrap();
        let err = SouIndex::open_or_create(&file, Path::new("/seeds")).unwrap_err();
        assert!(err.to_string().contains("not a folder"), "{err}");
    }

    #[test]
    fn a_folder_of_dot_files_is_not_an_empty_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".bashrc"), "alias x=y").unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        let err = SouIndex::open_or_create(dir.path(), Path::new("/seeds")).unwrap_err();
        assert!(err.to_string().contains(".bashrc, .git"), "{err}");
        assert!(!dir.path().join(MARKER).exists());
        assert!(!dir.path().join("meta.json").exists());
    }

    /// `sou index --index box; rm box/*; echo thesis > box/thesis.docx; sou search --index box`
    /// deleted thesis.docx: the marker survived `rm *`, and every visible file was cleared.
    #[test]
    fn a_users_file_in_an_emptied_index_folder_is_never_deleted() {
        let dir = tempfile::tempdir().unwrap();
        SouIndex::open_or_create(dir.path(), Path::new("/seeds")).unwrap();
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if !path.file_name().unwrap().to_string_lossy().starts_with('.') {
                std::fs::remove_file(path).unwrap();
            }
        }
        std::fs::write(dir.path().join("thesis.docx"), "thesis").unwrap();
        let err = SouIndex::open_or_create(dir.path(), Path::new("/seeds")).unwrap_err();
        assert!(err.to_string().contains("thesis.docx"), "{err}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("thesis.docx")).unwrap(),
            "thesis"
        );
        // Without the user's file, the folder is ours again and a new index is made.
        std::fs::remove_file(dir.path().join("thesis.docx")).unwrap();
        SouIndex::open_or_create(dir.path(), Path::new("/seeds")).unwrap();
        assert!(dir.path().join("meta.json").exists());
    }

    #[test]
    fn an_index_of_another_schema_is_replaced_only_when_marked_ours() {
        let dir = tempfile::tempdir().unwrap();
        let mut builder = tantivy::schema::Schema::builder();
        builder.add_text_field("old", tantivy::schema::TEXT);
        Index::create_in_dir(dir.path(), builder.build()).unwrap();
        // Not marked: someone else's index, left alone.
        assert!(SouIndex::open_or_create(dir.path(), Path::new("/seeds")).is_err());
        std::fs::write(dir.path().join(MARKER), "sou index\n").unwrap();
        let err = SouIndex::open(dir.path()).unwrap_err();
        assert!(matches!(err, Error::OtherVersion { .. }), "{err}");
        let index = SouIndex::open_or_create(dir.path(), Path::new("/seeds")).unwrap();
        assert!(index.index.schema().get_field("grams").is_ok());
    }

    #[test]
    fn the_fingerprint_follows_the_user_dictionary() {
        let dir = tempfile::tempdir().unwrap();
        let place = SettingsPlace::of(dir.path(), false);
        let without = fingerprint(dir.path(), place.as_ref(), None).text;
        std::fs::write(dir.path().join(DICT_FILE), "郑洛新 100\n").unwrap();
        let seen = fingerprint(dir.path(), place.as_ref(), None);
        let with = seen.text.clone();
        assert_ne!(without, with);
        // Seen long enough ago, the same size and time are taken as the same words.
        let mut stamp = seen.dict.unwrap();
        stamp.seen_at_ns = stamp.mtime_ns + 10 * RACY_NS;
        stamp.hash = 7;
        let trusted = fingerprint(dir.path(), place.as_ref(), Some(&stamp));
        assert!(
            trusted.text.ends_with("dict-0000000000000007"),
            "{}",
            trusted.text
        );
        // Seen right after it was written: read again.
        stamp.seen_at_ns = stamp.mtime_ns;
        assert_eq!(
            fingerprint(dir.path(), place.as_ref(), Some(&stamp)).text,
            with
        );
        for part in [
            schema::version(),
            ANALYSIS_VERSION.to_string(),
            grams::version(),
            corpus::passage::version(),
        ] {
            assert!(with.contains(&part), "{with} lacks {part}");
        }
    }
}
