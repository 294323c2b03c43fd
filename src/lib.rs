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

/// What a search did besides finding passages.
#[derive(Debug)]
pub struct SearchOutcome {
    /// The results.
    pub results: Results,
    /// The sync before the search, when there was one.
    pub sync: Option<SyncReport>,
    /// Set when the index could not be brought in step because another process holds it.
    pub busy: Option<Error>,
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
                let dict = UserDict::read(&self.config.seeds.join(corpus::DICT_FILE));
                let analyzer = SharedAnalyzer::new(dict);
                *current = Some((fingerprint.to_string(), analyzer.clone()));
                analyzer
            }
        }
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
        let fingerprint = index::fingerprint(&self.config.seeds)?;
        let analyzer = self.analyzer(&fingerprint);
        let index = SouIndex::open_or_create(&self.config.index)?;
        let mut report = index::sync::sync(
            &index,
            &self.config.seeds,
            &analyzer,
            &fingerprint,
            &self.config.limits(),
            options,
        )?;
        report.warnings = analyzer.user_dict().warnings.clone();
        report.warnings.extend(Synonyms::load(&self.config.seeds).1);
        Ok(report)
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
    pub fn search(&self, raw_query: &str, limit: usize, sync: bool) -> Result<SearchOutcome> {
        let query = search::parse(raw_query)?;
        let mut report = None;
        let mut busy = None;
        if sync {
            match self.sync(false, None, None) {
                Ok(done) => report = Some(done),
                Err(err @ Error::IndexBusy { .. }) => busy = Some(err),
                Err(err) => return Err(err),
            }
        }
        let index = SouIndex::open(&self.config.index)?;
        let (synonyms, _unreadable) = Synonyms::load(&self.config.seeds);
        let user_words = index.payload()?.map(|p| p.user_words).unwrap_or_default();
        let dictionary = Dictionary::new(&user_words);
        let reader = index.reader()?;
        let searcher = reader.searcher();
        let context = search::Context {
            index: &index,
            searcher: &searcher,
            seeds: &self.config.seeds,
            synonyms: &synonyms,
            dictionary: &dictionary,
        };
        let results = search::search(&context, raw_query, &query, limit)?;
        Ok(SearchOutcome {
            results,
            sync: report,
            busy,
        })
    }

    /// Numbers about the index as last committed.
    pub fn stats(&self) -> Result<Stats> {
        SouIndex::open(&self.config.index)?.stats()
    }
}
