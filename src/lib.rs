//! sou (搜): a search engine for folders of Chinese text.
//!
//! Data flows one way: files ([`corpus`]: walk, decode, cut into passages) → terms
//! ([`analysis`]: folding, jieba words, and the gram contract that says what a passage is
//! indexed as and how a string is found in it) → a tantivy index ([`index`]: schema, manifest,
//! incremental sync) → ranked hits ([`search`]: query language, tiers over BM25, highlights) →
//! output ([`render`]: text and JSON). [`Sou`] ties them together for the binary; [`watch`]
//! re-runs a sync when the folder changes. The library never prints and never reads the
//! environment.
#![warn(missing_docs)]

pub mod analysis;
pub mod corpus;
pub mod error;
pub mod index;
pub mod render;
pub mod search;
pub mod watch;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use analysis::dictionary::Dictionary;
use analysis::{SharedAnalyzer, UserDict};
use index::sync::{Limits, SyncOptions, SyncReport};
use index::{SouIndex, Stats};
use search::{Results, Synonyms};

pub use error::{Error, Result};

/// A version string derived from parameters that change what the index holds: `name`, the
/// hand-kept `revision` of the code applying them, and a hash of the parameters themselves, so
/// that changing any of them changes the index fingerprint.
pub(crate) fn derived_version(name: &str, revision: u32, params: &dyn std::fmt::Debug) -> String {
    let hash = xxhash_rust::xxh3::xxh3_64(format!("{params:?}").as_bytes());
    format!("{name}-r{revision}-{hash:016x}")
}

/// The positions of `keys` grouped by key, groups in the order their keys first appear: the
/// hits of one file, to read it once for all of them. A map finds each key's group, so that a
/// search with a large `--limit` does not compare every hit with every group.
pub(crate) fn group_by_key<'a>(keys: impl Iterator<Item = &'a str>) -> Vec<(&'a str, Vec<usize>)> {
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    let mut group_of: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, key) in keys.enumerate() {
        let group = *group_of.entry(key).or_insert_with(|| {
            groups.push((key, Vec::new()));
            groups.len() - 1
        });
        groups[group].1.push(i);
    }
    groups
}

/// Where the corpus and the index are, and how to build.
#[derive(Debug, Clone)]
pub struct Config {
    /// The seeds folder, as the user gave it (paths are shown relative to it).
    pub seeds: PathBuf,
    /// The index folder.
    pub index: PathBuf,
    /// Files larger than this are skipped.
    pub max_file_bytes: u64,
    /// Threads for indexing.
    pub threads: usize,
    /// File extensions that make a file an article (lower case, no dot).
    pub extensions: Vec<String>,
    /// Leave out what `.gitignore` and `.ignore` files exclude.
    pub respect_ignore_files: bool,
    /// Follow symbolic links that lead out of the seeds folder.
    pub follow_outside: bool,
}

impl Config {
    /// A configuration with default limits: every core.
    pub fn new(seeds: impl Into<PathBuf>, index: impl Into<PathBuf>) -> Self {
        Config {
            seeds: seeds.into(),
            index: index.into(),
            max_file_bytes: corpus::DEFAULT_MAX_FILE_BYTES,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            extensions: corpus::DEFAULT_EXTENSIONS.map(String::from).to_vec(),
            respect_ignore_files: true,
            follow_outside: false,
        }
    }

    fn limits(&self) -> Limits {
        Limits {
            listing: corpus::ListOptions {
                max_file_bytes: self.max_file_bytes,
                extensions: self.extensions.clone(),
                respect_ignore_files: self.respect_ignore_files,
                follow_outside: self.follow_outside,
                exclude: Some(self.index.clone()),
            },
            threads: self.threads,
        }
    }
}

/// How to search, besides the query.
#[derive(Clone, Copy)]
pub struct SearchOptions<'a> {
    /// How many hits.
    pub limit: usize,
    /// Bring the index in step first.
    pub sync: bool,
    /// Told how a sync that has much to do is doing.
    pub progress: Option<&'a (dyn Fn(index::sync::Progress) + Sync)>,
    /// Only articles whose key (path in the seeds folder) these globs accept: a glob starting
    /// with `!` leaves out what it matches; when some do not, an article must match one.
    pub globs: &'a [String],
    /// Count every matching passage exactly.
    pub exact_total: bool,
    /// Read each hit's text (not needed for paths or counts).
    pub with_text: bool,
    /// Set (by a Ctrl-C handler) to stop a sync before the search.
    pub interrupt: Option<&'a AtomicBool>,
}

impl Default for SearchOptions<'_> {
    fn default() -> Self {
        SearchOptions {
            limit: 10,
            sync: true,
            progress: None,
            globs: &[],
            exact_total: false,
            with_text: true,
            interrupt: None,
        }
    }
}

/// What a search did besides finding passages.
#[derive(Debug)]
pub struct SearchOutcome {
    /// The results.
    pub results: Results,
    /// The sync before the search, when there was one.
    pub sync: Option<SyncReport>,
    /// Set when the index could not be brought in step because another process holds it.
    pub busy: Option<Error>,
    /// The commit searched does not end a sync: a build was interrupted (or, with `--no-sync`,
    /// is under way), and the index holds only part of the folder.
    pub incomplete: bool,
}

/// sou's operations on one seeds folder and one index folder.
#[derive(Debug)]
pub struct Sou {
    config: Config,
    /// The analyzer and the fingerprint (which covers the user dictionary) it was made for.
    analyzer: Mutex<Option<(String, Arc<SharedAnalyzer>)>>,
}

impl Sou {
    /// Prepares to work on `config`'s folders. Loads nothing yet.
    pub fn new(config: Config) -> Self {
        Sou {
            config,
            analyzer: Mutex::new(None),
        }
    }

    /// The analyzer for the settings `fingerprint` describes: a long-running process whose
    /// user dictionary changed gets a new one.
    fn analyzer(&self, fingerprint: &str) -> Arc<SharedAnalyzer> {
        let mut current = self
            .analyzer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match current.as_ref() {
            Some((made_for, analyzer)) if made_for == fingerprint => analyzer.clone(),
            _ => {
                let dict = self.config.seeds.join(corpus::DICT_FILE);
                let analyzer = match self.settings_place() {
                    Some(place) => SharedAnalyzer::reading(place, dict),
                    None => SharedAnalyzer::new(UserDict::default()),
                };
                *current = Some((fingerprint.to_string(), analyzer.clone()));
                analyzer
            }
        }
    }

    /// Fails when the index folder is the seeds folder or holds it: its own files would be
    /// articles, and every change in the folder a change of the index (one inside the seeds
    /// folder is fine: the listing leaves it out).
    fn check_folders(&self) -> Result<()> {
        let Ok(seeds) = self.config.seeds.canonicalize() else {
            return Ok(());
        };
        let index = &self.config.index;
        let index = index.canonicalize().ok().or_else(|| {
            let parent = index.parent().filter(|p| !p.as_os_str().is_empty());
            let parent = parent.map_or_else(std::env::current_dir, |p| p.canonicalize());
            Some(parent.ok()?.join(index.file_name()?))
        });
        match index {
            Some(index) if seeds.starts_with(&index) => Err(Error::IndexFolder {
                path: self.config.index.clone(),
                reason: format!(
                    "is the seeds folder {} or holds it; keep the index elsewhere (--index DIR)",
                    corpus::display_os(self.config.seeds.as_os_str())
                ),
            }),
            _ => Ok(()),
        }
    }

    /// Where the settings files of the seeds folder may come from.
    fn settings_place(&self) -> Option<corpus::settings::SettingsPlace> {
        corpus::settings::SettingsPlace::of(&self.config.seeds, self.config.follow_outside)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Brings the index in step with the seeds folder, creating it if needed.
    pub fn sync(
        &self,
        rebuild: bool,
        interrupt: Option<&AtomicBool>,
        progress: Option<&(dyn Fn(index::sync::Progress) + Sync)>,
    ) -> Result<SyncReport> {
        self.sync_with(&SyncOptions {
            rebuild,
            interrupt,
            progress,
            ..SyncOptions::default()
        })
    }

    /// Brings the index in step with the seeds folder with all options, within the
    /// configuration's limits.
    pub fn sync_with(&self, options: &SyncOptions<'_>) -> Result<SyncReport> {
        // Check the seeds folder before creating anything in the index folder.
        corpus::check_seeds(&self.config.seeds)?;
        self.check_folders()?;
        let known = index::last_payload(&self.config.index).and_then(|p| p.dict);
        let place = self.settings_place();
        let fingerprint = index::fingerprint(&self.config.seeds, place.as_ref(), known.as_ref());
        let analyzer = self.analyzer(&fingerprint.text);
        guard_index(&self.config.index, || {
            self.sync_index(options, &analyzer, &fingerprint)
        })
        .map_err(|err| write_fault_in(&self.config.index, err))
    }

    fn sync_index(
        &self,
        options: &SyncOptions<'_>,
        analyzer: &SharedAnalyzer,
        fingerprint: &index::Fingerprint,
    ) -> Result<SyncReport> {
        let dir = &self.config.index;
        let seeds = self.canonical_seeds()?;
        if !options.rebuild {
            index::check_owner(dir, &seeds)?;
        }
        // A rebuild writes the new index beside the old one, which searches see until the new
        // one is committed; an old index too damaged to open is replaced at once (there is
        // nothing to search in it anyway).
        let index = match options.rebuild {
            true => match index::check_owner(dir, &seeds)
                .ok()
                .and_then(|()| SouIndex::open_for_rebuild(dir))
            {
                Some(index) => index,
                None => match SouIndex::replace(dir, &seeds)? {
                    Some(index) => index,
                    None => SouIndex::open_or_create(dir, &seeds)?,
                },
            },
            false => SouIndex::open_or_create(dir, &seeds)?,
        };
        index::claim(dir, &seeds);
        let mut report = index::sync::sync(
            &index,
            &self.config.seeds,
            analyzer,
            fingerprint,
            &self.config.limits(),
            options,
        )?;
        // The dictionary is read when something is indexed with it: its warnings come once,
        // with the sync that first reads it.
        if let Some(dict) = analyzer.user_dict_if_read() {
            report.warnings = dict.warnings.clone();
        }
        let place = self.settings_place();
        let synonyms = Synonyms::open(&self.config.seeds, place.as_ref(), Some(&self.config.index));
        report.warnings.extend(synonyms.1);
        Ok(report)
    }

    /// The seeds folder's canonical path: what an index records as the folder it is for.
    fn canonical_seeds(&self) -> Result<PathBuf> {
        self.config
            .seeds
            .canonicalize()
            .map_err(|e| Error::SeedsFolder {
                path: self.config.seeds.clone(),
                reason: e.to_string(),
            })
    }

    /// Checks that the index may serve the seeds folder, when the folder is there to check.
    fn check_owner(&self) -> Result<()> {
        self.check_folders()?;
        match self.config.seeds.canonicalize() {
            Ok(seeds) => index::check_owner(&self.config.index, &seeds),
            Err(_) => Ok(()),
        }
    }

    /// Keeps the index in step with the seeds folder until `stop` is set (see [`watch::watch`]).
    pub fn watch(
        &self,
        stop: &AtomicBool,
        report: &mut dyn FnMut(watch::WatchEvent),
    ) -> Result<()> {
        watch::watch(
            &self.config.seeds,
            &self.config.index,
            stop,
            &mut || self.sync(false, Some(stop), None),
            report,
        )
    }

    /// Parses and runs `raw_query`, first bringing the index in step unless `sync` is false.
    /// A busy index is searched as last committed and reported in the outcome.
    pub fn search(&self, raw_query: &str, options: &SearchOptions<'_>) -> Result<SearchOutcome> {
        let query = search::parse(raw_query)?;
        let SearchOptions {
            limit,
            sync,
            progress,
            ..
        } = *options;
        let mut report = None;
        let mut busy = None;
        if !sync {
            self.check_owner()?;
        }
        if sync {
            match self.sync(false, options.interrupt, progress) {
                Ok(done) => report = Some(done),
                // An index another process is building holds only part of the folder yet: a
                // search of it would answer "not found" for what is still to come.
                Err(err @ Error::IndexBusy { .. }) if !self.holds_a_whole_sync() => {
                    return Err(err);
                }
                // Searching what is committed beats no answer: say why it may be behind.
                Err(err @ (Error::IndexBusy { .. } | Error::CannotWrite { .. })) => {
                    busy = Some(err)
                }
                Err(err) => return Err(err),
            }
        }
        let searched = self.retrying(|| {
            guard_index(&self.config.index, || {
                self.search_index(raw_query, &query, limit, options)
            })
        });
        let (results, complete) = match (searched, busy) {
            // There is no index to search because it could not be made: that is the cause.
            (Err(Error::IndexFolder { .. }), Some(cannot_write @ Error::CannotWrite { .. })) => {
                return Err(cannot_write);
            }
            (searched, still_busy) => {
                busy = still_busy;
                searched?
            }
        };
        Ok(SearchOutcome {
            results,
            sync: report,
            busy,
            incomplete: !complete,
        })
    }

    /// Whether the last commit of the index ends a sync (not the commit of a build under way or
    /// interrupted).
    fn holds_a_whole_sync(&self) -> bool {
        index::last_payload(&self.config.index).is_some_and(|p| p.complete)
    }

    /// Runs `read` on the index, again when it failed on files a commit of another process
    /// deleted meanwhile: tantivy deletes the files of the commits it replaces, and a reader
    /// that read the old commit point a moment before finds them gone.
    fn retrying<T>(&self, read: impl Fn() -> Result<T>) -> Result<T> {
        let commit_point = || std::fs::read(self.config.index.join("meta.json")).ok();
        let mut tries = 0;
        loop {
            let before = commit_point();
            match read() {
                Err(Error::Damaged { .. }) if tries < 5 && commit_point() != before => tries += 1,
                other => return other,
            }
        }
    }

    fn search_index(
        &self,
        raw_query: &str,
        query: &search::Query,
        limit: usize,
        options: &SearchOptions<'_>,
    ) -> Result<(Results, bool)> {
        let index = SouIndex::open(&self.config.index)?;
        let payload = index.payload()?;
        let complete = payload.as_ref().is_some_and(|p| p.complete);
        let place = self.settings_place();
        let (synonyms, _unreadable) =
            Synonyms::open(&self.config.seeds, place.as_ref(), Some(&self.config.index));
        let dictionary =
            match payload.and_then(|p| p.user_words) {
                Some(kept) => {
                    let words = index::sidecar::open_user_words(&self.config.index, &kept)
                        .map_err(|err| Error::Damaged {
                            path: self.config.index.clone(),
                            detail: format!("its user dictionary is unreadable: {err}"),
                        })?;
                    Dictionary::with_kept_words(words, &kept)
                }
                None => Dictionary::new(&Default::default()),
            };
        let reader = index.reader()?;
        let searcher = reader.searcher();
        let articles = match options.globs {
            [] => None,
            globs => Some(articles_matching(&index, &searcher, globs)?),
        };
        let scope = search::Scope {
            articles,
            exact_total: options.exact_total,
            with_text: options.with_text,
        };
        let context = search::Context {
            index: &index,
            searcher: &searcher,
            seeds: &self.config.seeds,
            synonyms: &synonyms,
            dictionary: &dictionary,
            scope: &scope,
        };
        Ok((search::search(&context, raw_query, query, limit)?, complete))
    }

    /// Numbers about the index as last committed.
    pub fn stats(&self) -> Result<Stats> {
        self.check_owner()?;
        let mut stats = self.retrying(|| {
            guard_index(&self.config.index, || {
                SouIndex::open(&self.config.index)?.stats()
            })
        })?;
        let place = self.settings_place();
        stats.settings = corpus::SETTINGS_FILES
            .iter()
            .filter_map(|name| {
                let stat = place.as_ref()?.stat(&self.config.seeds.join(name));
                match stat {
                    Ok(Some(_)) => Some(name.to_string()),
                    Ok(None) => None,
                    Err(err) => Some(format!("{name} (not used: {err})")),
                }
            })
            .collect();
        Ok(stats)
    }
}

/// The keys of the indexed articles that `globs` accept (see [`SearchOptions::globs`]).
fn articles_matching(
    index: &SouIndex,
    searcher: &tantivy::Searcher,
    globs: &[String],
) -> Result<Vec<String>> {
    let mut builder = ignore::overrides::OverrideBuilder::new("/");
    for glob in globs {
        builder.add(glob).map_err(|err| Error::Glob {
            glob: glob.clone(),
            reason: err.to_string(),
        })?;
    }
    let overrides = builder.build().map_err(|err| Error::Glob {
        glob: globs.join(" "),
        reason: err.to_string(),
    })?;
    let manifest = index::manifest::read(searcher, &index.fields)?;
    Ok(manifest
        .into_iter()
        .filter(|(key, known)| {
            !known.skipped
                && !overrides
                    .matched(std::path::Path::new("/").join(key), false)
                    .is_ignore()
        })
        .map(|(key, _)| key)
        .collect())
}

/// Below this much free space, a write to the index that failed is taken to have failed for
/// lack of space: tantivy often reports only that its writer thread died.
const LOW_SPACE_BYTES: u64 = 64 << 20;

/// A failed sync as the user should hear of it: when the index folder cannot be written (a full
/// disk, a read-only one, a permission), that is said rather than tantivy's account of it.
fn write_fault_in(dir: &std::path::Path, err: Error) -> Error {
    use std::io::ErrorKind as K;
    let io = match &err {
        Error::Io { source, path } if path.starts_with(dir) => Some(source),
        Error::Tantivy { source, .. } => error::io_error_of(source),
        _ => return err,
    };
    let free = || {
        fs4::available_space(dir)
            .or_else(|_| fs4::available_space(dir.parent().unwrap_or(dir)))
            .ok()
    };
    let disk_full = |free: Option<u64>| match free {
        Some(free) => format!("the disk is full ({} free)", render::human_bytes(free)),
        None => "the disk is full".to_string(),
    };
    let reason = match io.map(std::io::Error::kind) {
        Some(K::StorageFull | K::QuotaExceeded) => disk_full(free()),
        Some(K::ReadOnlyFilesystem) => "it is on a read-only file system".to_string(),
        Some(K::PermissionDenied) => "permission denied".to_string(),
        _ => match free() {
            Some(free) if free < LOW_SPACE_BYTES => disk_full(Some(free)),
            _ => return err,
        },
    };
    Error::CannotWrite {
        path: dir.to_path_buf(),
        reason,
    }
}

/// Runs `work` on the index in `dir`, turning signs of damaged index files into
/// [`Error::Damaged`]: tantivy errors that only corrupt files cause, and panics, which tantivy
/// raises on some corrupt bytes.
fn guard_index<T>(dir: &std::path::Path, work: impl FnOnce() -> Result<T>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
        Ok(result) => result.map_err(|err| err.damage_in(dir)),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|text| text.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(Error::Damaged {
                path: dir.to_path_buf(),
                detail: format!("reading it failed: {message}"),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn positions_are_grouped_by_key_in_the_order_keys_first_appear() {
        let groups = super::group_by_key(["b", "a", "b", "c", "a", "b"].into_iter());
        assert_eq!(
            groups,
            vec![("b", vec![0, 2, 5]), ("a", vec![1, 4]), ("c", vec![3])]
        );
    }
}
