//! Bringing the index in step with the seeds folder: articles added, changed or removed since the
//! last commit are indexed, re-indexed or deleted; unchanged ones are not touched. "Unchanged" is
//! decided from size and modification time without reading the file; a file whose time changed
//! but whose bytes did not is only re-recorded.
//!
//! A sync lists the folder and reads the manifest, then [`super::plan`]s — a pure function of
//! the listing, the manifest and the rebuild flag — then executes the plan: the reading
//! [`super::pipeline`] feeds the [`super::writer`], and this module keeps the books, commits
//! every few tens of megabytes and once at the end, and decides the merges after
//! ([`super::merge`]). An article's manifest entry is written after its last passage, so a
//! commit that falls inside an article holds passages without an entry; the next sync sees no
//! entry, deletes those passages by key and indexes the article again. An interrupted build
//! thus keeps what it committed, and the next sync finishes the job with the same result as a
//! clean build.
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tantivy::IndexWriter;

use super::documents::Entry;
use super::manifest::{self, Manifest};
use super::pipeline::{Outcome, Stop, read_all};
use super::plan::{Plan, Todo, plan};
use super::writer::{Settings, SharedWriter, commit};
use super::{Payload, SouIndex, checked, merge};
use crate::analysis::SharedAnalyzer;
use crate::corpus::{self, Skipped};
use crate::error::Op;
use crate::{Error, Result};

/// Commit after this many bytes of source files, so an interrupted build loses at most this
/// much work (about 15 s). Each commit ends a segment per writer thread: fewer commits make
/// fewer, larger segments, which a search opens faster and no merge has to rewrite.
pub const COMMIT_EVERY_BYTES: u64 = 128 * 1024 * 1024;

/// The writer's memory budget, shared by its threads. Half of what a commit's text would need
/// to fit one segment per thread: a 200 MB build then peaks at 710 MB resident instead of
/// 995 MB, for about a tenth more time (more, smaller segments to merge).
pub const WRITER_BUDGET_BYTES: usize = 256 * 1024 * 1024;

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
    /// What was read of an article but not indexed (a PDF's pages that cannot be mapped to
    /// Unicode), by article key.
    pub notes: Vec<(String, String)>,
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

/// What a sync reads and how.
#[derive(Debug, Clone, Copy)]
pub struct Reading<'a> {
    /// What the folder's listing takes in.
    pub listing: &'a corpus::ListOptions,
    /// How many workers read (and tantivy indexes with).
    pub threads: usize,
    /// How PDFs are read.
    pub documents: &'a corpus::document::Isolation,
}

/// Brings `index` in step with `seeds`: plans, then executes the plan.
pub fn sync(
    index: &SouIndex,
    seeds: &Path,
    analyzer: &SharedAnalyzer,
    fingerprint: &super::Fingerprint,
    reading: Reading<'_>,
    options: &SyncOptions<'_>,
) -> Result<SyncReport> {
    let started = Instant::now();
    let threads = writer_threads(reading.threads);
    let listing = reading.listing;
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
    let (listed, manifest) = std::thread::scope(|scope| {
        let manifest = scope.spawn(|| match &searcher {
            Some(searcher) => manifest::read(searcher, &index.fields),
            None => {
                // Every article listed is to be indexed: jieba's dictionary loads (0.1 s) while
                // the folder is listed, not after.
                analyzer.get();
                Ok(Manifest::default())
            }
        });
        let listed = corpus::list_files_until(seeds, listing, options.interrupt);
        let manifest = manifest
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (listed, manifest)
    });
    let (listed, manifest) = (listed?, manifest?);
    let ignored = listed.ignored;
    let mut known_reasons = HashMap::new();
    if let Some(searcher) = &searcher {
        for skip in &listed.skipped {
            if let Some(known) = manifest.get(&skip.key).filter(|k| k.skipped()) {
                let reason = manifest::reason(searcher, &index.fields, known)?;
                known_reasons.insert(skip.key.clone(), reason);
            }
        }
    }
    let plan = plan(listed, &manifest, &known_reasons, clear);
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
        if merge::due(index, threads)? {
            report.merging = finish_merging(index, threads, options)?;
        }
        report.elapsed = started.elapsed();
        return Ok(report);
    }
    let before = Before {
        fingerprint,
        payload: payload.as_ref(),
    };
    let reading = Reading { threads, ..reading };
    execute(index, analyzer, before, reading, options, plan, &mut report)?;
    report.skipped.sort_by(|a, b| a.key.cmp(&b.key));
    report.elapsed = started.elapsed();
    Ok(report)
}

/// The writer's indexing threads (and the sync's workers) for `threads` asked for: at least
/// one, and no more than eight, past which tantivy's segments only get smaller.
pub(crate) fn writer_threads(threads: usize) -> usize {
    threads.clamp(1, 8)
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
/// `merging` says how the files stand (`None`: a small sync, which never waits for a large
/// merge), waits for tantivy's own, records the files as checked, and says how long the merges
/// took. Ctrl-C during the merges leaves them to the next sync.
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
            .map_err(|e| Error::tantivy(Op::Merge, index.dir.display(), e))?;
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
        let known = todo.known.filter(|k| !k.skipped());
        let before = known.map_or(0, |k| k.passages);
        match outcome {
            Outcome::Indexed { passages, notes } => {
                self.passages = self.passages - before + passages;
                let key = &todo.file.key;
                self.report
                    .notes
                    .extend(notes.into_iter().map(|note| (key.clone(), note)));
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

/// The settings a sync runs with, and what the last commit recorded of those it ran with.
struct Before<'a> {
    fingerprint: &'a super::Fingerprint,
    payload: Option<&'a Payload>,
}

/// Runs `plan` on `index`: takes the writer, deletes, reads the files to do on worker threads,
/// commits every `commit_every_bytes`, and once more at the end.
fn execute(
    index: &SouIndex,
    analyzer: &SharedAnalyzer,
    before: Before<'_>,
    reading: Reading<'_>,
    options: &SyncOptions<'_>,
    plan: Plan,
    report: &mut SyncReport,
) -> Result<()> {
    let threads = reading.threads;
    let Before {
        fingerprint,
        payload: previous,
    } = before;
    // The user words the last commit keeps serve while the settings are the same; otherwise
    // the dictionary is resolved (which reads and parses it) and its words kept anew.
    let user_words = match previous {
        Some(p) if p.fingerprint == fingerprint.text && !plan.clear => p.user_words.clone(),
        _ => super::sidecar::keep_user_words(&index.dir, analyzer.user_words())
            .map_err(|e| Error::io(&index.dir, e))?,
    };
    let settings = Settings {
        fingerprint: fingerprint.text.clone(),
        user_words,
        dict: fingerprint.dict,
    };
    // Only now is anything written: take the writer (one process at a time).
    let writer = SharedWriter::new(index.writer(threads, WRITER_BUDGET_BYTES)?, index, threads);
    if !plan.clear {
        // tantivy reads the old segments to apply deletes and merge, and aborts the process on
        // some corrupt bytes: make sure they are sound first.
        checked::check(index)?;
    }
    if plan.clear {
        writer.clear()?;
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
        if let Some(known) = known.filter(|k| !k.skipped()) {
            books.passages -= known.passages;
            books.report.removed += 1;
        }
        writer.record(&Entry::unlisted(skip), true)?;
        books.report.skipped.push(skip.clone());
    }
    // Clearing an index that holds a commit (a rebuild, new settings): searches see the old
    // commit until the new index is whole, so nothing is committed before the end, and an
    // interrupted or killed rebuild leaves the old index as it was.
    let hold_commits = plan.clear && previous.is_some();
    let todo = &plan.todo;
    let bytes_total: u64 = todo.iter().map(|t| t.file.size).sum();
    let stop = Stop::new(options.interrupt);
    let mut written = 0u64;
    // Whether this sync kept the pinyin of its words once already (a rebuild replaces the old).
    let mut pinyin_kept = false;
    let failure = std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::channel::<(usize, Outcome)>();
        let workers = scope.spawn(|| {
            read_all(
                todo,
                threads,
                reading.documents,
                analyzer,
                &writer,
                &stop,
                sender,
            )
        });
        let mut failure = None;
        for (i, outcome) in receiver {
            // Documents, as segments count them: the passages and the manifest entry.
            written += 1 + match &outcome {
                Outcome::Indexed { passages, .. } => *passages,
                _ => 0,
            };
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
                if let Err(err) = writer.commit(&settings, false).and_then(|()| {
                    keep_pinyin(index, writer.take_words(), plan.clear && !pinyin_kept)
                }) {
                    stop.fail();
                    failure.get_or_insert(err);
                }
                pinyin_kept = true;
                books.since_commit = 0;
            }
        }
        let read = workers
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        failure.or(read)
    });
    let passages = books.passages;
    let words = writer.take_words();
    let mut writer = writer.into_inner();
    if let Some(err) = failure {
        return Err(err);
    }
    // Interrupted: what was written since the last commit is dropped, not committed. A commit
    // would first write out every segment in the writer's memory (seconds, for a large
    // build), and Ctrl-C must stop at once; an interrupted build goes on from its last commit.
    if stop.interrupted() {
        writer
            .rollback()
            .map_err(|e| Error::tantivy(Op::Write, index.dir.display(), e))?;
        return Err(Error::Interrupted);
    }
    // The pinyin of the words is worked out while the last segments are written.
    let fresh = plan.clear && !pinyin_kept;
    std::thread::scope(|scope| {
        let pinyin = scope.spawn(|| keep_pinyin(index, words, fresh));
        let committed = commit(&mut writer, index, &settings, true);
        let kept = pinyin
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        committed.and(kept)
    })?;
    report.passages = passages;
    // A small change never waits for a large merge: only a sync that wrote as much as a large
    // segment holds plans the merges of large segments (a 1-file edit at 2,000 files spent
    // 0.6 s of its 0.7 s merging before).
    let files_read = (plan.clear || written >= merge::large_docs() as u64).then_some(Progress {
        files_done: todo.len(),
        files_total: todo.len(),
        bytes_done: bytes_total,
        bytes_total,
        merging: true,
    });
    report.merging = finish(writer, index, threads, options, files_read)?;
    Ok(())
}

/// Keeps the pinyin of the words just committed (see [`super::sidecar::keep_pinyin`]).
fn keep_pinyin(index: &SouIndex, words: Vec<super::WordSet>, fresh: bool) -> Result<()> {
    super::sidecar::keep_pinyin(&index.dir, words, fresh).map_err(|e| Error::io(&index.dir, e))
}
