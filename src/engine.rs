//! The engine: one seeds folder and its index, as a front end uses them. It brings the index in
//! step with the folder, opens [`Session`]s that answer many searches from one commit (what a
//! server keeps), and runs a search with a sync before it (what the command line does once).
//! It holds the analyzer, so a long-running process loads jieba's dictionary once, and again
//! only when the user dictionary changes.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use crate::analysis::{SharedAnalyzer, UserDict};
use crate::corpus::settings::{MAX_SETTINGS_BYTES, SettingsPlace};
use crate::corpus::{self, ListOptions};
use crate::index::faults::{guard_index, write_fault_in};
use crate::index::sync::{SyncOptions, SyncReport};
use crate::index::{self, SouIndex, Stats};
use crate::search::{Results, SearchOptions, Session, Synonyms};
use crate::{Error, Result, watch};

/// Where the corpus and the index are, and how to list and build.
#[derive(Debug, Clone)]
pub struct Config {
    /// The seeds folder, as the user gave it (paths are shown relative to it).
    pub seeds: PathBuf,
    /// The index folder.
    pub index: PathBuf,
    /// What the listing of the seeds folder takes in (its `exclude` is the index folder).
    pub listing: ListOptions,
    /// Threads for indexing.
    pub threads: usize,
    /// How PDFs are read: in a process of their own when the caller names the executable
    /// (see [`crate::corpus::document::Isolation`]).
    pub documents: crate::corpus::document::Isolation,
}

impl Config {
    /// A configuration with default limits: every core.
    pub fn new(seeds: impl Into<PathBuf>, index: impl Into<PathBuf>) -> Self {
        let index = index.into();
        Config {
            seeds: seeds.into(),
            listing: ListOptions {
                exclude: Some(index.clone()),
                ..ListOptions::default()
            },
            index,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            documents: crate::corpus::document::Isolation::InProcess,
        }
    }
}

/// What a search with a sync before it did besides finding passages.
#[derive(Debug)]
pub struct SearchOutcome {
    /// The results.
    pub results: Results,
    /// The sync before the search, when there was one.
    pub sync: Option<SyncReport>,
    /// Set when the index could not be brought in step because another process holds it, or
    /// it cannot be written: the last commit was searched.
    pub busy: Option<Error>,
    /// The commit searched does not end a sync: a build was interrupted (or, with no sync, is
    /// under way), and the index holds only part of the folder.
    pub incomplete: bool,
}

/// sou's operations on one seeds folder and one index folder.
#[derive(Debug)]
pub struct Engine {
    config: Config,
    /// The analyzer and the fingerprint (which covers the user dictionary) it was made for.
    analyzer: Mutex<Option<(String, Arc<SharedAnalyzer>)>>,
}

impl Engine {
    /// Prepares to work on `config`'s folders. Loads nothing yet.
    pub fn new(config: Config) -> Self {
        Engine {
            config,
            analyzer: Mutex::new(None),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Sends the folder to a cluster index instead of the local one (see
    /// [`crate::cluster::export`]).
    pub fn export(
        &self,
        cluster: &crate::cluster::Cluster,
        options: &crate::cluster::export::ExportOptions<'_>,
    ) -> Result<crate::cluster::export::ExportReport> {
        let analyzer = self.analyzer("cluster export");
        crate::cluster::export::run(&self.config, &analyzer, cluster, options)
    }

    /// Where the settings files of the seeds folder may come from.
    fn settings_place(&self) -> Option<SettingsPlace> {
        SettingsPlace::of(&self.config.seeds, self.config.listing.follow_outside)
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
                let path = self.config.seeds.join(corpus::DICT_FILE);
                let place = self.settings_place();
                let analyzer = SharedAnalyzer::reading(Box::new(move || match &place {
                    Some(place) => read_user_dict(place, &path),
                    None => UserDict::default(),
                }));
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
                    "is the seeds folder {} or holds it",
                    corpus::display_os(self.config.seeds.as_os_str())
                ),
            }),
            _ => Ok(()),
        }
    }

    /// Checks that the index may serve the seeds folder, when the folder is there to check.
    fn check_owner(&self) -> Result<()> {
        self.check_folders()?;
        match self.config.seeds.canonicalize() {
            Ok(seeds) => index::check_owner(&self.config.index, &seeds),
            Err(_) => Ok(()),
        }
    }

    /// Brings the index in step with the seeds folder, creating it if needed.
    pub fn sync(&self, options: &SyncOptions<'_>) -> Result<SyncReport> {
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
        let seeds = self
            .config
            .seeds
            .canonicalize()
            .map_err(|e| Error::seeds(&self.config.seeds, e))?;
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
            index::sync::Reading {
                listing: &self.config.listing,
                threads: self.config.threads,
                documents: &self.config.documents,
            },
            options,
        )?;
        // The dictionary is read when something is indexed with it: its warnings come once,
        // with the sync that first reads it.
        if let Some(dict) = analyzer.user_dict_if_read() {
            report.warnings = dict.warnings.clone();
        }
        report.warnings.extend(self.synonyms().1);
        Ok(report)
    }

    /// The synonyms of the seeds folder, and why they could not be read.
    fn synonyms(&self) -> (Synonyms, Option<String>) {
        let place = self.settings_place();
        Synonyms::open(&self.config.seeds, place.as_ref(), Some(&self.config.index))
    }

    /// A session on the index as last committed: the reader, the dictionary it was built with
    /// and the folder's synonyms, opened once for any number of searches.
    pub fn session(&self) -> Result<Session> {
        self.check_owner()?;
        self.retrying(|| {
            guard_index(&self.config.index, || {
                let index = SouIndex::open(&self.config.index)?;
                Session::open(index, self.config.seeds.clone(), self.synonyms().0)
            })
        })
    }

    /// Parses and runs `raw_query`, first bringing the index in step with `sync` options
    /// (`None`: search the index as it is). A busy index is searched as last committed and
    /// reported in the outcome; one that another process is building with no whole sync yet
    /// is [`Error::IndexBusy`], for the caller to wait.
    pub fn search(
        &self,
        raw_query: &str,
        options: &SearchOptions<'_>,
        sync: Option<&SyncOptions<'_>>,
    ) -> Result<SearchOutcome> {
        let query = crate::search::parse_with(raw_query, options)?;
        let mut report = None;
        let mut busy = None;
        if let Some(sync) = sync {
            match self.sync(sync) {
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
        let searched = self.session().and_then(|session| {
            let results = guard_index(&self.config.index, || {
                session.search_parsed(raw_query, &query, options)
            })?;
            Ok((results, session.complete()))
        });
        let (results, complete) = match (searched, busy) {
            // There is no index to search because it could not be made: that is the cause.
            (Err(Error::NoIndex { .. }), Some(cannot_write @ Error::CannotWrite { .. })) => {
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

    /// Keeps the index in step with the seeds folder until `stop` is set (see [`watch::watch`]).
    pub fn watch(
        &self,
        stop: &AtomicBool,
        report: &mut dyn FnMut(watch::WatchEvent),
    ) -> Result<()> {
        let options = SyncOptions {
            interrupt: Some(stop),
            ..SyncOptions::default()
        };
        watch::watch(
            &self.config.seeds,
            &self.config.index,
            stop,
            &mut || self.sync(&options),
            report,
        )
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

/// Reads the user dictionary at `path` as a settings file of `place` (see
/// [`crate::corpus::settings`]): a file that cannot be read as one is a warning.
fn read_user_dict(place: &SettingsPlace, path: &std::path::Path) -> UserDict {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    match place.read_text(path, MAX_SETTINGS_BYTES) {
        Ok(Some(text)) => UserDict::parse(&text, &name),
        Ok(None) => UserDict::default(),
        Err(err) => UserDict {
            entries: Vec::new(),
            warnings: vec![format!("{name}: {err}; the dictionary is not used")],
        },
    }
}
