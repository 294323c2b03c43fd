//! Bringing the index in step with the seeds folder: articles added, changed or removed since the
//! last commit are indexed, re-indexed or deleted; unchanged ones are not touched. "Unchanged" is
//! decided from size and modification time without reading the file; a file whose time changed
//! but whose bytes did not is only re-recorded.
//!
//! A sync first [`plan`]s — a pure function of the listing, the manifest and the rebuild flag —
//! then [`execute`]s the plan. Files are streamed, cut and analyzed on worker threads, which hand
//! each passage to the writer as soon as it is ready: memory is bounded by the passage and the
//! writer's budget, not the file. The calling thread commits every few tens of megabytes. An
//! article's manifest entry is written after its last passage, so a commit that falls inside an
//! article holds passages without an entry; the next sync sees no entry, deletes those passages
//! by path and indexes the article again. An interrupted build thus keeps what it committed, and
//! the next sync finishes the job with the same result as a clean build.
//!
//! One [`Stop`] is asked before every passage: Ctrl-C or a failed write stops the sync within a
//! passage, not a file.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock, mpsc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tantivy::indexer::UserOperation;
use tantivy::{IndexWriter, TantivyDocument, Term};

use super::manifest::{self, Known, Manifest};
use super::schema::{ARTICLE_KIND, KEEP_TEXT_BYTES, MAX_UNIT_PASSAGES, UnitPlace, text_hash};
use super::{Payload, SouIndex, checked, merge};
use crate::analysis::SharedAnalyzer;
use crate::analysis::grams::TAIL_CHARS;
use crate::corpus::{self, Skipped, SourceFile};
use crate::{Error, Result};

/// Commit after this many bytes of source files, so an interrupted build loses at most this
/// much work (about 15 s). Each commit ends a segment per writer thread: fewer commits make
/// fewer, larger segments, which a search opens faster and no merge has to rewrite.
pub const COMMIT_EVERY_BYTES: u64 = 128 * 1024 * 1024;

/// The writer's memory budget, shared by its threads. Half of what a commit's text would need
/// to fit one segment per thread: a 200 MB build then peaks at 710 MB resident instead of
/// 995 MB, for about a tenth more time (more, smaller segments to merge).
pub const WRITER_BUDGET_BYTES: usize = 256 * 1024 * 1024;

/// A file modified this close to the sync is recorded with time 0: it might change again within
/// the file system's timestamp resolution, so its content is checked next time.
const RACY_WINDOW: Duration = Duration::from_secs(2);

/// How far a sync has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Files read so far.
    pub files_done: usize,
    /// Files to read.
    pub files_total: usize,
    /// Bytes read so far.
    pub bytes_done: u64,
    /// Bytes to read.
    pub bytes_total: u64,
    /// Every file is read, and the segments written are being merged.
    pub merging: bool,
}

/// What a sync lists and how much it may use (see [`crate::Config`]).
#[derive(Debug, Clone)]
pub struct Limits {
    /// What the seeds folder's listing takes in.
    pub listing: corpus::ListOptions,
    /// Worker threads for reading and analysis (and the writer's indexing threads).
    pub threads: usize,
}

/// How one sync runs.
#[derive(Clone, Copy)]
pub struct SyncOptions<'a> {
    /// Re-index every article, whatever the manifest says.
    pub rebuild: bool,
    /// Set (by a Ctrl-C handler) to stop after the current passage.
    pub interrupt: Option<&'a AtomicBool>,
    /// Called after each file read.
    pub progress: Option<&'a (dyn Fn(Progress) + Sync)>,
    /// Commit after this many bytes of source files.
    pub commit_every_bytes: u64,
}

impl Default for SyncOptions<'_> {
    fn default() -> Self {
        SyncOptions {
            rebuild: false,
            interrupt: None,
            progress: None,
            commit_every_bytes: COMMIT_EVERY_BYTES,
        }
    }
}

/// What a sync did.
#[derive(Debug, Default, Clone)]
pub struct SyncReport {
    /// Articles indexed for the first time.
    pub added: usize,
    /// Articles re-indexed because their content changed.
    pub changed: usize,
    /// Articles deleted from the index.
    pub removed: usize,
    /// Articles left as they were.
    pub unchanged: usize,
    /// Passages in the index after the sync.
    pub passages: u64,
    /// Files that could not be indexed, with the reason.
    pub skipped: Vec<Skipped>,
    /// What the settings files (dict.txt, synonyms.txt) hold that cannot be used.
    pub warnings: Vec<String>,
    /// Whether everything was re-indexed (asked for, or the settings changed).
    pub rebuilt: bool,
    /// Files and folders an ignore file left out.
    pub ignored: usize,
    /// How long it took.
    pub elapsed: Duration,
    /// Of which the merges after its last commit (see [`merge`]).
    pub merging: Duration,
}

impl SyncReport {
    /// Whether the index changed.
    pub fn changed_anything(&self) -> bool {
        self.added + self.changed + self.removed > 0 || self.rebuilt
    }
}

/// One listed file the sync must read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Todo {
    pub file: SourceFile,
    /// What the manifest knows of the file, when it was indexed before.
    pub known: Option<Known>,
}

/// What a sync will do, decided from the listing and the manifest alone.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Delete everything first and index every file.
    pub clear: bool,
    /// Articles whose size and time match the manifest: not read.
    pub unchanged: usize,
    /// Files to read: new ones, and known ones whose size or time changed.
    pub todo: Vec<Todo>,
    /// Entries the listing could not use and the manifest does not know so (new broken links,
    /// loops, links out of the seeds folder, files over the limit…): recorded and reported,
    /// with what the manifest knew of them.
    pub new_skips: Vec<(Skipped, Option<Known>)>,
    /// Keys of indexed entries no longer listed, sorted, with their passage counts and whether
    /// they were articles.
    pub removed: Vec<Removed>,
    /// Passages the index holds before the sync (0 when it is cleared).
    pub passages_before: u64,
}

/// An entry of the manifest that is no longer listed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Removed {
    pub key: String,
    pub passages: u64,
    /// It was an article (not a skipped file): it counts as removed.
    pub article: bool,
}

impl Plan {
    /// Whether executing the plan would change nothing.
    pub fn is_empty(&self) -> bool {
        !self.clear && self.todo.is_empty() && self.removed.is_empty() && self.new_skips.is_empty()
    }
}

/// Decides what a sync does. `manifest` is what the index holds, with the reasons it records for
/// the keys the listing skipped (`known_reasons`); `clear` when the index must be rebuilt (asked
/// for, new, or made with other settings), in which case the manifest is ignored.
pub(crate) fn plan(
    listing: corpus::Listing,
    manifest: &Manifest,
    known_reasons: &HashMap<String, String>,
    clear: bool,
) -> Plan {
    let empty = Manifest::default();
    let manifest = if clear { &empty } else { manifest };
    let mut plan = Plan {
        clear,
        passages_before: manifest.values().map(|k| k.passages).sum(),
        ..Plan::default()
    };
    // Entries no listed key finds are removed.
    let mut seen = vec![false; manifest.len()];
    let mut look_up = |key: &str| {
        manifest.find(key).map(|(position, known)| {
            seen[position] = true;
            *known
        })
    };
    for skip in listing.skipped {
        let known = look_up(&skip.key);
        let already =
            known.is_some_and(|k| k.skipped) && known_reasons.get(&skip.key) == Some(&skip.reason);
        if !already {
            plan.new_skips.push((skip, known));
        }
    }
    for file in listing.files {
        let known = look_up(&file.key);
        match known {
            // A file that became an article or stopped being one (`--ext` changed) is read
            // again, or its passages go, whatever its size and time.
            Some(k)
                if !k.recheck
                    && k.size == file.size
                    && k.mtime_ns == file.mtime_ns
                    && k.other_type != file.is_article =>
            {
                if !k.skipped {
                    plan.unchanged += 1;
                }
            }
            _ => plan.todo.push(Todo { file, known }),
        }
    }
    // In key order, as the manifest is.
    plan.removed = manifest
        .iter()
        .zip(seen)
        .filter(|(_, seen)| !seen)
        .map(|((key, known), _)| Removed {
            key: key.to_string(),
            passages: known.passages,
            article: !known.skipped,
        })
        .collect();
    plan
}

/// The one question every worker asks before each passage: should the sync stop? Yes after
/// Ctrl-C (the caller's interrupt flag) or after a failure anywhere.
struct Stop<'a> {
    interrupt: Option<&'a AtomicBool>,
    failed: AtomicBool,
}

impl Stop<'_> {
    fn requested(&self) -> bool {
        self.failed.load(Ordering::Relaxed) || self.interrupted()
    }

    fn interrupted(&self) -> bool {
        self.interrupt
            .is_some_and(|flag| flag.load(Ordering::Relaxed))
    }

    fn fail(&self) {
        self.failed.store(true, Ordering::Relaxed);
    }
}

/// Brings `index` in step with `seeds`: plans, then executes the plan.
pub fn sync(
    index: &SouIndex,
    seeds: &Path,
    analyzer: &SharedAnalyzer,
    fingerprint: &super::Fingerprint,
    limits: &Limits,
    options: &SyncOptions<'_>,
) -> Result<SyncReport> {
    let started = Instant::now();
    let payload = index.payload()?;
    // Without a payload the index is new (or its creation was interrupted): start it clean.
    let settings_changed = payload
        .as_ref()
        .is_some_and(|p| p.fingerprint != fingerprint.text);
    let clear = options.rebuild || settings_changed || payload.is_none();
    // A rebuild never opens the old segments: they may be what is damaged.
    let reader = if clear { None } else { Some(index.reader()?) };
    let searcher = reader.as_ref().map(|reader| reader.searcher());
    // The manifest is read while the folder is listed: on 470,000 files they are the two
    // halves of a no-op sync, one in the kernel's stat calls, one in the index.
    let (listing, manifest) = std::thread::scope(|scope| {
        let manifest = scope.spawn(|| match &searcher {
            Some(searcher) => manifest::read(searcher, &index.fields),
            None => {
                // Every article listed is to be indexed: jieba's dictionary loads (0.1 s) while
                // the folder is listed, not after.
                analyzer.get();
                Ok(Manifest::default())
            }
        });
        let listing = corpus::list_files_until(seeds, &limits.listing, options.interrupt);
        let manifest = manifest
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (listing, manifest)
    });
    let (listing, manifest) = (listing?, manifest?);
    let ignored = listing.ignored;
    let mut known_reasons = HashMap::new();
    if let Some(searcher) = &searcher {
        for skip in &listing.skipped {
            if let Some(known) = manifest.get(&skip.key).filter(|k| k.skipped) {
                let reason = manifest::reason(searcher, &index.fields, known)?;
                known_reasons.insert(skip.key.clone(), reason);
            }
        }
    }
    let plan = plan(listing, &manifest, &known_reasons, clear);
    // Let go of the old segments before writing: a segment merged away and deleted still takes
    // its disk space while it is mapped.
    drop(searcher);
    drop(reader);
    let mut report = SyncReport {
        rebuilt: options.rebuild || settings_changed,
        ignored,
        ..SyncReport::default()
    };
    if plan.is_empty() {
        report.unchanged = plan.unchanged;
        report.passages = plan.passages_before;
        let threads = limits.threads.clamp(1, 8);
        if merge::due(index, threads)? {
            report.merging = finish_merging(index, threads, options)?;
        }
        report.elapsed = started.elapsed();
        return Ok(report);
    }
    execute(
        index,
        analyzer,
        Before {
            fingerprint,
            payload: payload.as_ref(),
        },
        limits,
        options,
        plan,
        &mut report,
    )?;
    report.skipped.sort_by(|a, b| a.key.cmp(&b.key));
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Runs the merges a sync interrupted while merging left undone (see [`merge::due`]), when the
/// writer can be had: a folder that cannot be written is searched as it is, and a writer busy
/// in another process merges when its sync ends.
fn finish_merging(index: &SouIndex, threads: usize, options: &SyncOptions<'_>) -> Result<Duration> {
    let Ok(writer) = index.writer(threads, WRITER_BUDGET_BYTES) else {
        return Ok(Duration::ZERO);
    };
    // tantivy aborts the process on some corrupt bytes: the segments it is to read are checked.
    checked::check(index)?;
    let nothing_read = Progress {
        files_done: 0,
        files_total: 0,
        bytes_done: 0,
        bytes_total: 0,
        merging: true,
    };
    finish(writer, index, threads, options, Some(nothing_read))
}

/// Ends a sync after its last commit: runs the merges [`merge::planned`] calls for when
/// `merging` says how the files stand (not after Ctrl-C), waits for tantivy's own, and records
/// the files as checked, and says how long the merges took. Ctrl-C during the merges leaves
/// them to the next sync.
fn finish(
    mut writer: IndexWriter,
    index: &SouIndex,
    threads: usize,
    options: &SyncOptions<'_>,
    merging: Option<Progress>,
) -> Result<Duration> {
    let started = Instant::now();
    let merges = match merging {
        Some(_) => merge::planned(index, threads)?,
        None => Vec::new(),
    };
    if let (Some(progress), Some(at), false) = (options.progress, merging, merges.is_empty()) {
        progress(at);
    }
    let merged = merge::run(&mut writer, index, &merges, options.interrupt);
    // Interrupted, the merges are dropped with the writer; the documents are committed.
    if !matches!(merged, Err(Error::Interrupted)) {
        writer
            .wait_merging_threads()
            .map_err(|e| Error::tantivy("merging segments", e))?;
    }
    let took = started.elapsed();
    checked::record_all(index)?;
    merged.map(|()| took)
}

/// Books kept while a plan runs: the report, the passage count and progress.
struct Books<'r> {
    report: &'r mut SyncReport,
    passages: u64,
    files_done: usize,
    bytes_done: u64,
    since_commit: u64,
}

impl Books<'_> {
    fn record(&mut self, todo: &Todo, outcome: Outcome) {
        let known = todo.known.filter(|k| !k.skipped);
        let before = known.map_or(0, |k| k.passages);
        match outcome {
            Outcome::Indexed { passages } => {
                self.passages = self.passages - before + passages;
                if known.is_some() {
                    self.report.changed += 1;
                } else {
                    self.report.added += 1;
                }
            }
            Outcome::Same => self.report.unchanged += 1,
            Outcome::StillSkipped => {}
            Outcome::Vanished => {
                self.passages -= before;
                if known.is_some() {
                    self.report.removed += 1;
                }
            }
            Outcome::Skipped(skip) => {
                self.passages -= before;
                if known.is_some() {
                    self.report.removed += 1;
                }
                self.report.skipped.push(skip);
            }
        }
        self.files_done += 1;
        self.bytes_done += todo.file.size;
        self.since_commit += todo.file.size;
    }
}

/// Runs `plan` on `index`: takes the writer, deletes, reads the files to do on worker threads,
/// commits every `commit_every_bytes`, and once more at the end.
fn execute(
    index: &SouIndex,
    analyzer: &SharedAnalyzer,
    before: Before<'_>,
    limits: &Limits,
    options: &SyncOptions<'_>,
    plan: Plan,
    report: &mut SyncReport,
) -> Result<()> {
    // The user words the last commit keeps serve while the settings are the same; otherwise
    // the dictionary is resolved (which reads and parses it) and its words kept anew.
    let Before {
        fingerprint,
        payload: previous,
    } = before;
    let user_words = match previous {
        Some(p) if p.fingerprint == fingerprint.text && !plan.clear => p.user_words.clone(),
        _ => super::sidecar::keep_user_words(&index.dir, analyzer.user_words())
            .map_err(|e| Error::io(&index.dir, e))?,
    };
    let settings = Settings {
        fingerprint: &fingerprint.text,
        user_words,
        dict: fingerprint.dict,
    };
    // Only now is anything written: take the writer (one process at a time).
    let threads = limits.threads.clamp(1, 8);
    let writer = SharedWriter {
        lock: RwLock::new(index.writer(threads, WRITER_BUDGET_BYTES)?),
        index,
    };
    if !plan.clear {
        // tantivy reads the old segments to apply deletes and merge, and aborts the process on
        // some corrupt bytes: make sure they are sound first.
        checked::check(index)?;
    }
    let sync_time = SystemTime::now();
    if plan.clear {
        writer
            .read()
            .delete_all_documents()
            .map_err(|e| Error::tantivy("clearing the index", e))?;
    }
    let mut books = Books {
        passages: plan.passages_before,
        report,
        files_done: 0,
        bytes_done: 0,
        since_commit: 0,
    };
    books.report.unchanged = plan.unchanged;
    for removed in &plan.removed {
        writer.delete_article(&removed.key, true);
        books.passages -= removed.passages;
        books.report.removed += usize::from(removed.article);
    }
    for (skip, known) in &plan.new_skips {
        let record = ArticleRecord {
            hash: 0,
            passages: 0,
            skipped: Some(skip),
        };
        let listed = SourceFile {
            key: skip.key.clone(),
            path: std::path::PathBuf::new(),
            size: 0,
            mtime_ns: 0,
            is_article: false,
        };
        if let Some(known) = known.filter(|k| !k.skipped) {
            books.passages -= known.passages;
            books.report.removed += 1;
        }
        writer.record(&listed, &record, true, sync_time)?;
        books.report.skipped.push(skip.clone());
    }

    // Clearing an index that holds a commit (a rebuild, new settings): searches see the old
    // commit until the new index is whole, so nothing is committed before the end, and an
    // interrupted or killed rebuild leaves the old index as it was.
    let hold_commits = plan.clear && previous.is_some();
    let todo = &plan.todo;
    let bytes_total: u64 = todo.iter().map(|t| t.file.size).sum();
    let stop = Stop {
        interrupt: options.interrupt,
        failed: AtomicBool::new(false),
    };
    let next = AtomicUsize::new(0);
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    let workers = threads.min(todo.len().max(1));
    std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::channel::<(usize, Outcome)>();
        for _ in 0..workers {
            let sender = sender.clone();
            let (next, stop, writer, failure) = (&next, &stop, &writer, &failure);
            scope.spawn(move || {
                while !stop.requested() {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = todo.get(i) else { break };
                    match process(item, analyzer, writer, stop, sync_time) {
                        Ok(Some(outcome)) => {
                            if sender.send((i, outcome)).is_err() {
                                break;
                            }
                        }
                        // Stopped inside the file: its partial passages wait for the next sync.
                        Ok(None) => break,
                        Err(err) => {
                            stop.fail();
                            let mut slot = failure
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner);
                            slot.get_or_insert(err);
                            break;
                        }
                    }
                }
            });
        }
        drop(sender);
        for (i, outcome) in receiver {
            books.record(&todo[i], outcome);
            if let Some(progress) = options.progress {
                progress(Progress {
                    files_done: books.files_done,
                    files_total: todo.len(),
                    bytes_done: books.bytes_done,
                    bytes_total,
                    merging: false,
                });
            }
            if books.since_commit >= options.commit_every_bytes
                && !hold_commits
                && !stop.requested()
            {
                if let Err(err) = writer.commit(&settings, false) {
                    stop.fail();
                    failure
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .get_or_insert(err);
                }
                books.since_commit = 0;
            }
        }
    });
    let passages = books.passages;
    let mut writer = writer
        .lock
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(err) = failure
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        return Err(err);
    }
    // Interrupted: what was written since the last commit is dropped, not committed. A commit
    // would first write out every segment in the writer's memory (seconds, for a large
    // build), and Ctrl-C must stop at once; an interrupted build goes on from its last commit.
    if stop.interrupted() {
        writer
            .rollback()
            .map_err(|e| Error::tantivy("dropping the interrupted work", e))?;
        return Err(Error::Interrupted);
    }
    commit(&mut writer, index, &settings, true)?;
    report.passages = passages;
    let files_read = Progress {
        files_done: todo.len(),
        files_total: todo.len(),
        bytes_done: bytes_total,
        bytes_total,
        merging: true,
    };
    report.merging = finish(writer, index, threads, options, Some(files_read))?;
    Ok(())
}

/// What a worker did with one file.
enum Outcome {
    /// Indexed anew, with this many passages.
    Indexed { passages: u64 },
    /// Same bytes as indexed: only the manifest entry was renewed.
    Same,
    /// Cannot be indexed: recorded with its reason, so it is not read again until it changes.
    Skipped(Skipped),
    /// Could not be indexed before, and still cannot: nothing to report again.
    StillSkipped,
    /// Deleted between the listing and the reading: gone from the index too.
    Vanished,
}

/// The writer, shared: workers add and delete under the read lock (tantivy's writer takes
/// `&self` for both), commits take the write lock between two documents.
struct SharedWriter<'a> {
    lock: RwLock<IndexWriter>,
    index: &'a SouIndex,
}

impl SharedWriter<'_> {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, IndexWriter> {
        self.lock
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn add(&self, doc: TantivyDocument, key: &str) -> Result<()> {
        self.read()
            .add_document(doc)
            .map(|_| ())
            .map_err(|e| Error::tantivy(format!("adding {key}"), e))
    }

    /// Adds the passages of one unit (see [`UnitPlace`]) as one group, which tantivy keeps
    /// together and in order in one segment, recording each one's place in the unit.
    fn add_unit(&self, mut docs: Vec<TantivyDocument>, has_title: bool, key: &str) -> Result<()> {
        let len = docs.len() as u32;
        for (offset, doc) in docs.iter_mut().enumerate() {
            let place = UnitPlace {
                offset: offset as u32,
                len,
                has_title,
            };
            doc.add_u64(self.index.fields.unit, place.pack());
        }
        self.read()
            .run(docs.into_iter().map(UserOperation::Add))
            .map(|_| ())
            .map_err(|e| Error::tantivy(format!("adding {key}"), e))
    }

    /// Deletes the manifest entry of `key`, and its passages when `with_passages`.
    fn delete_article(&self, key: &str, with_passages: bool) {
        let fields = &self.index.fields;
        let writer = self.read();
        writer.delete_term(Term::from_field_text(fields.article, key));
        if with_passages {
            writer.delete_term(Term::from_field_text(fields.path, key));
        }
    }

    /// Replaces the manifest entry of `file` (and, when `with_passages`, drops its passages).
    fn record(
        &self,
        file: &SourceFile,
        record: &ArticleRecord<'_>,
        with_passages: bool,
        sync_time: SystemTime,
    ) -> Result<()> {
        self.delete_article(&file.key, with_passages);
        let doc = article_doc(&self.index.fields, file, record, sync_time);
        self.add(doc, &file.key)
    }

    fn commit(&self, settings: &Settings<'_>, complete: bool) -> Result<()> {
        let mut writer = self
            .lock
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        commit(&mut writer, self.index, settings, complete)
    }
}

/// The settings a sync runs with, and what the last commit recorded of those it ran with.
struct Before<'a> {
    fingerprint: &'a super::Fingerprint,
    payload: Option<&'a Payload>,
}

/// What every commit records of the settings the documents were analyzed with.
struct Settings<'a> {
    fingerprint: &'a str,
    user_words: Option<super::sidecar::WordsRef>,
    dict: Option<super::DictStamp>,
}

fn commit(
    writer: &mut IndexWriter,
    index: &SouIndex,
    settings: &Settings<'_>,
    complete: bool,
) -> Result<()> {
    let payload = Payload {
        fingerprint: settings.fingerprint.to_string(),
        synced_at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        complete,
        user_words: settings.user_words.clone(),
        dict: settings.dict,
    };
    // An empty payload would read as a new index, and the next sync would rebuild it all.
    let payload = serde_json::to_string(&payload).map_err(|e| {
        Error::io(
            &index.dir,
            std::io::Error::other(format!("recording the commit: {e}")),
        )
    })?;
    let context = format!("committing to {}", index.dir.display());
    let mut prepared = writer
        .prepare_commit()
        .map_err(|e| Error::tantivy(context.clone(), e))?;
    prepared.set_payload(&payload);
    prepared.commit().map_err(|e| Error::tantivy(context, e))?;
    // The words files of earlier commits are no one's now.
    super::sidecar::remove_other_words(&index.dir, settings.user_words.as_ref());
    Ok(())
}

/// Reads, cuts and analyzes one file, adding its documents to the writer as they are made.
/// Only a failure of the analyzer or the writer is an error; a file that cannot be read is an
/// outcome. `None` when the sync was asked to stop before the file was done.
fn process(
    item: &Todo,
    analyzer: &SharedAnalyzer,
    writer: &SharedWriter<'_>,
    stop: &Stop<'_>,
    sync_time: SystemTime,
) -> Result<Option<Outcome>> {
    let fields = &writer.index.fields;
    let key = &item.file.key;
    let path = &item.file.path;
    let record_skip = |hash: u64, skip: Skipped| -> Result<Option<Outcome>> {
        let record = ArticleRecord {
            hash,
            passages: 0,
            skipped: Some(&skip),
        };
        writer.record(&item.file, &record, true, sync_time)?;
        // A file reported before and still not indexable is not reported again.
        if item.known.is_some_and(|known| known.skipped) {
            Ok(Some(Outcome::StillSkipped))
        } else {
            Ok(Some(Outcome::Skipped(skip)))
        }
    };
    let problem = |reason: String| Skipped::problem(key.clone(), reason);
    // A file deleted since the listing is gone, not unreadable.
    let vanished = || {
        writer.delete_article(key, true);
        Ok(Some(Outcome::Vanished))
    };
    let is_gone = |err: &std::io::Error| err.kind() == std::io::ErrorKind::NotFound;
    if !item.file.is_article {
        // Not read: its type is its name's.
        return record_skip(0, Skipped::other_type(key.clone()));
    }
    let inspection = match corpus::read::inspect_until(path, &|| stop.requested()) {
        Ok(inspection) => inspection,
        Err(err) if err.kind() == std::io::ErrorKind::Interrupted => return Ok(None),
        Err(err) if is_gone(&err) => return vanished(),
        Err(err) => return record_skip(0, problem(err.to_string())),
    };
    let hash = inspection.hash;
    if let Some(known) = item.known
        && known.hash == hash
        && !known.skipped
    {
        // The same bytes: renew the manifest entry's time, leave the passages.
        let record = ArticleRecord {
            hash,
            passages: known.passages,
            skipped: None,
        };
        writer.record(&item.file, &record, false, sync_time)?;
        return Ok(Some(Outcome::Same));
    }
    let encoding = match inspection.text {
        Ok(encoding) => encoding,
        Err(not_text) => return record_skip(hash, problem(not_text.to_string())),
    };
    let analyzer = analyzer.get();
    // Whatever an earlier, perhaps interrupted, sync left under this path goes first.
    writer.delete_article(key, true);
    let mut number = 0u64;
    let mut failure: Option<Error> = None;
    let mut unit: Vec<TantivyDocument> = Vec::new();
    let mut first_unit = true;
    let keep_text = item.file.size > KEEP_TEXT_BYTES;
    let read = corpus::read::read_passages(path, encoding, TAIL_CHARS, &mut |passage| {
        if stop.requested() {
            return ControlFlow::Break(());
        }
        let terms = analyzer.analyze(&passage.text, &passage.tail);
        let mut doc = TantivyDocument::new();
        doc.add_text(fields.path, key);
        doc.add_u64(fields.line, passage.line);
        doc.add_u64(fields.text_hash, text_hash(&passage.text));
        if keep_text {
            // Text, tail and origin, in this order (see `search::kept_text`).
            doc.add_text(fields.kept_text, &passage.text);
            doc.add_text(fields.kept_text, &passage.tail);
            let origin = serde_json::to_string(&passage.origin).unwrap_or_default();
            doc.add_text(fields.kept_text, &origin);
        }
        fields.gram.add_passage(&mut doc, &terms);
        unit.push(doc);
        number += 1;
        if unit.len() >= MAX_UNIT_PASSAGES {
            let full = std::mem::take(&mut unit);
            if let Err(err) = writer.add_unit(full, std::mem::take(&mut first_unit), key) {
                failure = Some(err);
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    });
    if failure.is_none() && matches!(read, Ok(ControlFlow::Continue(()))) && !unit.is_empty() {
        writer.add_unit(unit, first_unit, key)?;
    }
    if let Some(err) = failure {
        return Err(err);
    }
    match read {
        Ok(ControlFlow::Continue(())) => {}
        Ok(ControlFlow::Break(())) => return Ok(None),
        // Vanished or unreadable mid-read: what was added goes; an unreadable file is reported.
        Err(err) if is_gone(&err) => return vanished(),
        Err(err) => return record_skip(0, problem(err.to_string())),
    }
    let record = ArticleRecord {
        hash,
        passages: number,
        skipped: None,
    };
    // The passages were deleted before they were added: only the manifest entry remains to add.
    let doc = article_doc(fields, &item.file, &record, sync_time);
    writer.add(doc, key)?;
    Ok(Some(Outcome::Indexed { passages: number }))
}

/// What the manifest records of an article besides its listing.
struct ArticleRecord<'a> {
    hash: u64,
    passages: u64,
    skipped: Option<&'a Skipped>,
}

fn article_doc(
    fields: &super::Fields,
    file: &SourceFile,
    record: &ArticleRecord<'_>,
    sync_time: SystemTime,
) -> TantivyDocument {
    let mut doc = TantivyDocument::new();
    doc.add_text(fields.kind, ARTICLE_KIND);
    doc.add_text(fields.article, &file.key);
    doc.add_u64(fields.size, file.size);
    doc.add_u64(fields.mtime, file.mtime_ns);
    doc.add_u64(fields.recheck, u64::from(is_racy(file.mtime_ns, sync_time)));
    doc.add_u64(fields.hash, record.hash);
    doc.add_u64(fields.passages, record.passages);
    let skipped = match record.skipped {
        None => 0,
        Some(skip) if skip.other_type => 2,
        Some(_) => 1,
    };
    doc.add_u64(fields.skipped, skipped);
    if let Some(skip) = record.skipped {
        doc.add_text(fields.reason, &skip.reason);
    }
    doc
}

/// Whether a file modified at `mtime_ns` might change again, unseen, within the file system's
/// timestamp resolution of `sync_time`: its content is checked next time. A time far in the
/// past or the future (a clock, an archive, 0) is no reason: a change would give it a new time.
fn is_racy(mtime_ns: u64, sync_time: SystemTime) -> bool {
    let modified = UNIX_EPOCH + Duration::from_nanos(mtime_ns);
    let distance = match sync_time.duration_since(modified) {
        Ok(age) => age,
        Err(ahead) => ahead.duration(),
    };
    distance < RACY_WINDOW
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::DocAddress;

    fn file(key: &str, size: u64, mtime_ns: u64) -> SourceFile {
        SourceFile {
            key: key.into(),
            path: key.into(),
            size,
            mtime_ns,
            is_article: true,
        }
    }

    fn known(size: u64, mtime_ns: u64, passages: u64) -> Known {
        Known {
            size,
            mtime_ns,
            recheck: mtime_ns == 0,
            hash: 7,
            passages,
            skipped: false,
            other_type: false,
            address: DocAddress::new(0, 0),
        }
    }

    fn listing(files: Vec<SourceFile>, skipped: Vec<Skipped>) -> corpus::Listing {
        corpus::Listing {
            files,
            skipped,
            ignored: 0,
        }
    }

    #[test]
    fn the_plan_reads_only_what_changed_and_removes_what_is_gone() {
        let manifest: Manifest = [
            ("same.txt".to_string(), known(10, 100, 3)),
            ("grown.txt".to_string(), known(10, 100, 4)),
            ("touched.txt".to_string(), known(10, 100, 5)),
            ("racy.txt".to_string(), known(10, 0, 6)),
            ("gone.txt".to_string(), known(10, 100, 7)),
            ("also-gone.txt".to_string(), known(10, 100, 8)),
        ]
        .into_iter()
        .collect();
        let files = vec![
            file("grown.txt", 11, 100),
            file("new.txt", 1, 1),
            file("racy.txt", 10, 0),
            file("same.txt", 10, 100),
            file("touched.txt", 10, 101),
        ];
        let none = HashMap::new();
        let plan = plan(listing(files.clone(), vec![]), &manifest, &none, false);
        assert_eq!(plan.unchanged, 1);
        let todo: Vec<(&str, bool)> = plan
            .todo
            .iter()
            .map(|t| (t.file.key.as_str(), t.known.is_some()))
            .collect();
        assert_eq!(
            todo,
            [
                ("grown.txt", true),
                ("new.txt", false),
                ("racy.txt", true),
                ("touched.txt", true)
            ]
        );
        let removed: Vec<(&str, u64, bool)> = plan
            .removed
            .iter()
            .map(|r| (r.key.as_str(), r.passages, r.article))
            .collect();
        assert_eq!(removed, [("also-gone.txt", 8, true), ("gone.txt", 7, true)]);
        assert_eq!(plan.passages_before, 33);
        assert!(!plan.is_empty());

        // Cleared: every file is read as new, nothing is removed one by one.
        let cleared = super::plan(listing(files, vec![]), &manifest, &none, true);
        assert!(cleared.clear && cleared.removed.is_empty());
        assert_eq!(cleared.todo.len(), 5);
        assert!(cleared.todo.iter().all(|t| t.known.is_none()));
        assert_eq!((cleared.unchanged, cleared.passages_before), (0, 0));
    }

    #[test]
    fn nothing_changed_is_an_empty_plan() {
        let manifest: Manifest = [("a.txt".to_string(), known(10, 100, 3))]
            .into_iter()
            .collect();
        let plan = plan(
            listing(vec![file("a.txt", 10, 100)], vec![]),
            &manifest,
            &HashMap::new(),
            false,
        );
        assert!(plan.is_empty());
        assert_eq!((plan.unchanged, plan.passages_before), (1, 3));
    }

    #[test]
    fn a_file_whose_type_changed_with_the_extensions_is_done_again() {
        let mut page = known(5, 100, 0);
        page.skipped = true;
        page.other_type = true;
        let manifest: Manifest = [
            ("page.html".to_string(), page),
            ("a.txt".to_string(), known(10, 100, 3)),
        ]
        .into_iter()
        .collect();
        // `--ext html` added, `txt` dropped: both files are done again, though unchanged.
        let mut text = file("a.txt", 10, 100);
        text.is_article = false;
        let plan = plan(
            listing(vec![text, file("page.html", 5, 100)], vec![]),
            &manifest,
            &HashMap::new(),
            false,
        );
        let todo: Vec<&str> = plan.todo.iter().map(|t| t.file.key.as_str()).collect();
        assert_eq!(todo, ["a.txt", "page.html"]);
        assert_eq!(plan.unchanged, 0);
    }

    #[test]
    fn a_skip_already_recorded_is_not_recorded_or_reported_again() {
        let mut broken = known(0, 0, 0);
        broken.skipped = true;
        let mut pdf = known(5, 100, 0);
        pdf.skipped = true;
        pdf.other_type = true;
        let manifest: Manifest = [
            ("broken.txt".to_string(), broken),
            ("loop".to_string(), broken),
            ("a.pdf".to_string(), pdf),
            ("a.txt".to_string(), known(10, 100, 3)),
        ]
        .into_iter()
        .collect();
        let reasons: HashMap<String, String> = [
            ("broken.txt".to_string(), "No such file".to_string()),
            ("loop".to_string(), "symbolic link loop".to_string()),
        ]
        .into_iter()
        .collect();
        let mut pdf_file = file("a.pdf", 5, 100);
        pdf_file.is_article = false;
        let skips = vec![
            Skipped::problem("broken.txt".into(), "No such file".into()),
            // The reason changed: recorded and reported again.
            Skipped::problem("loop".into(), "not a regular file".into()),
            Skipped::problem("new-broken.txt".into(), "No such file".into()),
        ];
        let plan = plan(
            listing(vec![file("a.txt", 10, 100), pdf_file], skips),
            &manifest,
            &reasons,
            false,
        );
        let new: Vec<&str> = plan.new_skips.iter().map(|(s, _)| s.key.as_str()).collect();
        assert_eq!(new, ["loop", "new-broken.txt"]);
        // Only articles count: the unchanged PDF does not.
        assert_eq!(plan.unchanged, 1);
        assert!(plan.todo.is_empty() && plan.removed.is_empty());
    }

    #[test]
    fn only_modifications_near_the_sync_are_racy() {
        let now = SystemTime::now();
        let ns = |t: SystemTime| t.duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
        assert!(is_racy(ns(now), now));
        assert!(is_racy(ns(now - Duration::from_millis(500)), now));
        assert!(!is_racy(ns(now - Duration::from_secs(60)), now));
        // Far in the future, or at 0: not checked again and again.
        assert!(!is_racy(ns(now + Duration::from_secs(3600)), now));
        assert!(!is_racy(0, now));
    }
}
