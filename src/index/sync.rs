//! Bringing the index in step with the seeds folder: articles added, changed or removed since the
//! last commit are indexed, re-indexed or deleted; unchanged ones are not touched. "Unchanged" is
//! decided from size and modification time without reading the file; a file whose time changed
//! but whose bytes did not is only re-recorded.
//!
//! Files are streamed, cut and analyzed on worker threads, which hand each passage to the writer
//! as soon as it is ready: memory is bounded by the passage and the writer's budget, not the
//! file. The calling thread commits every few tens of megabytes. An article's manifest entry is
//! written after its last passage, so a commit that falls inside an article holds passages
//! without an entry; the next sync sees no entry, deletes those passages by path and indexes the
//! article again. An interrupted build thus keeps what it committed, and the next sync finishes
//! the job with the same result as a clean build.

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{RwLock, mpsc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tantivy::{IndexWriter, TantivyDocument, Term};

use super::manifest::{self, Entry, Manifest};
use super::schema::ARTICLE_KIND;
use super::{Payload, SouIndex};
use crate::analysis::SharedAnalyzer;
use crate::corpus::{self, Skipped, SourceFile};
use crate::{Error, Result};

/// Commit after this many bytes of source files, so an interrupted build loses at most this
/// much work (about 15 s). Each commit ends a segment per writer thread: fewer commits make
/// fewer, larger segments, which a search opens faster and no merge has to rewrite.
pub const COMMIT_EVERY_BYTES: u64 = 128 * 1024 * 1024;

/// The writer's memory budget, shared by its threads: large enough that a thread's share of a
/// commit fits in one segment. Peak memory of a 200 MB build stays under 900 MB (865-875 MB
/// measured).
pub const WRITER_BUDGET_BYTES: usize = 512 * 1024 * 1024;

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
}

/// How a sync runs.
#[derive(Clone, Copy)]
pub struct SyncOptions<'a> {
    /// Re-index every article, whatever the manifest says.
    pub rebuild: bool,
    /// Files larger than this are skipped.
    pub max_file_bytes: u64,
    /// Worker threads for reading and analysis (and the writer's indexing threads).
    pub threads: usize,
    /// The writer's memory budget in bytes, shared by its threads.
    pub writer_budget: usize,
    /// Set (by a Ctrl-C handler) to stop after the current commit step.
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
            max_file_bytes: corpus::DEFAULT_MAX_FILE_BYTES,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            writer_budget: WRITER_BUDGET_BYTES,
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
    /// Whether everything was re-indexed (asked for, or the settings changed).
    pub rebuilt: bool,
    /// How long it took.
    pub elapsed: Duration,
}

impl SyncReport {
    /// Whether the index changed.
    pub fn changed_anything(&self) -> bool {
        self.added + self.changed + self.removed > 0 || self.rebuilt
    }
}

/// What to do with one listed file.
struct Todo {
    file: SourceFile,
    /// The manifest entry when the file was indexed before.
    known: Option<Entry>,
}

/// What a worker did with one file.
enum Outcome {
    /// Indexed anew, with this many passages.
    Indexed { passages: u64 },
    /// Same bytes as indexed: only the manifest entry was renewed.
    Same,
    /// Cannot be indexed: recorded with its reason, so it is not read again until it changes.
    Skipped(String),
    /// Deleted between the listing and the reading: gone from the index too.
    Vanished,
}

fn now() -> SystemTime {
    SystemTime::now()
}

fn unix_secs(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
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
        record: &Record<'_>,
        with_passages: bool,
        sync_time: SystemTime,
    ) -> Result<()> {
        self.delete_article(&file.key, with_passages);
        let doc = article_doc(&self.index.fields, file, record, sync_time);
        self.add(doc, &file.key)
    }

    fn commit(&self, fingerprint: &str, complete: bool) -> Result<()> {
        let mut writer = self
            .lock
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        commit(&mut writer, self.index, fingerprint, complete)
    }
}

/// Brings `index` in step with `seeds`.
pub fn sync(
    index: &SouIndex,
    seeds: &Path,
    analyzer: &SharedAnalyzer,
    fingerprint: &str,
    options: &SyncOptions<'_>,
) -> Result<SyncReport> {
    let started = Instant::now();
    let sync_time = now();
    let listing = corpus::list_articles(seeds, options.max_file_bytes)?;
    let reader = index.reader()?;
    let searcher = reader.searcher();
    let payload = index.payload()?;
    // Without a payload the index is new (or its creation was interrupted): start it clean.
    let settings_changed = payload
        .as_ref()
        .is_some_and(|p| p.fingerprint != fingerprint);
    let rebuild = options.rebuild || settings_changed || payload.is_none();
    let manifest = if rebuild {
        Manifest::new()
    } else {
        manifest::read(&searcher, &index.fields)?
    };

    let mut report = SyncReport {
        skipped: listing.skipped,
        rebuilt: options.rebuild || settings_changed,
        ..SyncReport::default()
    };
    let listed: HashSet<&str> = listing.files.iter().map(|f| f.key.as_str()).collect();
    let mut removed: Vec<String> = manifest
        .keys()
        .filter(|key| !listed.contains(key.as_str()))
        .cloned()
        .collect();
    removed.sort();
    let mut todo = Vec::new();
    for file in listing.files {
        let known = manifest.get(&file.key).copied();
        match known {
            Some(entry)
                if entry.mtime_ns != 0
                    && entry.size == file.size
                    && entry.mtime_ns == file.mtime_ns =>
            {
                report.unchanged += 1;
            }
            _ => todo.push(Todo { file, known }),
        }
    }
    let indexed_passages: u64 = manifest.values().map(|e| e.passages).sum();
    if todo.is_empty() && removed.is_empty() && !rebuild {
        report.passages = indexed_passages;
        report.elapsed = started.elapsed();
        return Ok(report);
    }

    // Only now is anything written: take the writer (one process at a time).
    let threads = options.threads.clamp(1, 8);
    let writer = SharedWriter {
        lock: RwLock::new(index.writer(threads, options.writer_budget)?),
        index,
    };
    let mut passages_now = indexed_passages;
    if rebuild {
        writer
            .read()
            .delete_all_documents()
            .map_err(|e| Error::tantivy("clearing the index", e))?;
        passages_now = 0;
    }
    for key in &removed {
        writer.delete_article(key, true);
        passages_now -= manifest.get(key).map_or(0, |e| e.passages);
        report.removed += 1;
    }

    let total_bytes: u64 = todo.iter().map(|t| t.file.size).sum();
    let mut done_bytes = 0u64;
    let mut done_files = 0usize;
    let mut since_commit = 0u64;
    let mut interrupted = false;
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let workers = threads.min(todo.len().max(1));
    let result: Result<()> = std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::channel::<(usize, Result<Outcome>)>();
        for _ in 0..workers {
            let sender = sender.clone();
            let (todo, next, stop, writer) = (&todo, &next, &stop, &writer);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = todo.get(i) else { break };
                    let outcome = process(item, analyzer, writer, stop, sync_time);
                    if sender.send((i, outcome)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        for (i, outcome) in receiver {
            let item = &todo[i];
            match outcome {
                Ok(Outcome::Indexed { passages }) => {
                    match item.known {
                        Some(known) if !known.skipped => {
                            passages_now -= known.passages;
                            report.changed += 1;
                        }
                        _ => report.added += 1,
                    }
                    passages_now += passages;
                }
                Ok(Outcome::Same) => report.unchanged += 1,
                Ok(Outcome::Vanished) => {
                    if let Some(known) = item.known {
                        passages_now -= known.passages;
                        report.removed += 1;
                    }
                }
                Ok(Outcome::Skipped(reason)) => {
                    if let Some(known) = item.known {
                        passages_now -= known.passages;
                        if !known.skipped {
                            report.removed += 1;
                        }
                    }
                    report.skipped.push(Skipped {
                        key: item.file.key.clone(),
                        reason,
                    });
                }
                Err(Error::Interrupted) => {}
                Err(err) => {
                    stop.store(true, Ordering::Relaxed);
                    return Err(err);
                }
            }
            done_bytes += item.file.size;
            done_files += 1;
            since_commit += item.file.size;
            if let Some(progress) = options.progress {
                progress(Progress {
                    files_done: done_files,
                    files_total: todo.len(),
                    bytes_done: done_bytes,
                    bytes_total: total_bytes,
                });
            }
            if options
                .interrupt
                .is_some_and(|flag| flag.load(Ordering::Relaxed))
            {
                interrupted = true;
                stop.store(true, Ordering::Relaxed);
            }
            if since_commit >= options.commit_every_bytes && !interrupted {
                writer.commit(fingerprint, false)?;
                since_commit = 0;
            }
        }
        Ok(())
    });
    let mut writer = writer
        .lock
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    result?;
    interrupted |= options
        .interrupt
        .is_some_and(|flag| flag.load(Ordering::Relaxed));
    commit(&mut writer, index, fingerprint, !interrupted)?;
    writer
        .wait_merging_threads()
        .map_err(|e| Error::tantivy("merging segments", e))?;
    report.skipped.sort_by(|a, b| a.key.cmp(&b.key));
    report.passages = passages_now;
    report.elapsed = started.elapsed();
    if interrupted {
        return Err(Error::Interrupted);
    }
    Ok(report)
}

fn commit(
    writer: &mut IndexWriter,
    index: &SouIndex,
    fingerprint: &str,
    complete: bool,
) -> Result<()> {
    let payload = Payload {
        fingerprint: fingerprint.to_string(),
        synced_at: unix_secs(now()),
        complete,
    };
    let payload = serde_json::to_string(&payload).unwrap_or_default();
    let context = format!("committing to {}", index.dir.display());
    let mut prepared = writer
        .prepare_commit()
        .map_err(|e| Error::tantivy(context.clone(), e))?;
    prepared.set_payload(&payload);
    prepared.commit().map_err(|e| Error::tantivy(context, e))?;
    Ok(())
}

/// Reads, cuts and analyzes one file, adding its documents to the writer as they are made.
/// Only a failure of the analyzer or the writer is an error; a file that cannot be read is an
/// outcome.
fn process(
    item: &Todo,
    analyzer: &SharedAnalyzer,
    writer: &SharedWriter<'_>,
    stop: &AtomicBool,
    sync_time: SystemTime,
) -> Result<Outcome> {
    let fields = &writer.index.fields;
    let key = &item.file.key;
    let path = &item.file.path;
    let record_skip = |hash: u64, reason: String| -> Result<Outcome> {
        let record = Record {
            hash,
            passages: 0,
            skipped: Some(&reason),
        };
        writer.record(&item.file, &record, true, sync_time)?;
        // A file reported before and still not indexable is not reported again.
        if item.known.is_some_and(|known| known.skipped) {
            Ok(Outcome::Same)
        } else {
            Ok(Outcome::Skipped(reason))
        }
    };
    // A file deleted since the listing is gone, not unreadable.
    let vanished = || {
        writer.delete_article(key, true);
        Ok(Outcome::Vanished)
    };
    let is_gone = |err: &std::io::Error| err.kind() == std::io::ErrorKind::NotFound;
    if !item.file.is_article {
        return match corpus::read::sniff_head(path) {
            Ok(Some(not_text)) => record_skip(0, not_text.to_string()),
            Ok(None) => record_skip(0, "not a .txt or .md file".into()),
            Err(err) if is_gone(&err) => vanished(),
            Err(err) => record_skip(0, err.to_string()),
        };
    }
    let inspection = match corpus::read::inspect(path) {
        Ok(inspection) => inspection,
        Err(err) if is_gone(&err) => return vanished(),
        Err(err) => return record_skip(0, err.to_string()),
    };
    let hash = inspection.hash;
    if let Some(known) = item.known
        && known.hash == hash
        && !known.skipped
    {
        // The same bytes: renew the manifest entry's time, leave the passages.
        let record = Record {
            hash,
            passages: known.passages,
            skipped: None,
        };
        writer.record(&item.file, &record, false, sync_time)?;
        return Ok(Outcome::Same);
    }
    let encoding = match inspection.text {
        Ok(encoding) => encoding,
        Err(not_text) => return record_skip(hash, not_text.to_string()),
    };
    let analyzer = analyzer.get()?;
    // Whatever an earlier, perhaps interrupted, sync left under this path goes first.
    writer.delete_article(key, true);
    let mut number = 0usize;
    let mut title: Option<String> = None;
    let mut failure: Option<Error> = None;
    let read = corpus::read::read_passages(path, encoding, &mut |passage| {
        if failure.is_some() {
            return;
        }
        if stop.load(Ordering::Relaxed) {
            failure = Some(Error::Interrupted);
            return;
        }
        // The first passage is the title, or starts the article when it has none.
        let title = title.get_or_insert_with(|| passage.text.clone());
        let analysis = analyzer.analyze(&passage.text, &passage.tail);
        let mut doc = TantivyDocument::new();
        doc.add_text(fields.path, key);
        doc.add_u64(fields.line, passage.line);
        doc.add_text(fields.title, title.as_str());
        doc.add_text(fields.text, &passage.text);
        if !passage.tail.is_empty() {
            doc.add_text(fields.tail, &passage.tail);
        }
        doc.add_text(fields.grams, &analysis.grams);
        doc.add_text(fields.solo_words, &analysis.solo_words);
        for key in analysis.tail_keys() {
            doc.add_text(fields.tail_key, key);
        }
        if let Err(err) = writer.add(doc, key) {
            failure = Some(err);
        }
        number += 1;
    });
    if let Some(err) = failure {
        return Err(err);
    }
    if let Err(err) = read {
        // Vanished or unreadable mid-read: what was added goes; an unreadable file is reported.
        return if is_gone(&err) {
            vanished()
        } else {
            record_skip(0, err.to_string())
        };
    }
    let record = Record {
        hash,
        passages: number as u64,
        skipped: None,
    };
    // The passages were deleted before they were added: only the manifest entry remains to add.
    let doc = article_doc(fields, &item.file, &record, sync_time);
    writer.add(doc, key)?;
    Ok(Outcome::Indexed {
        passages: number as u64,
    })
}

/// What the manifest records of an article besides its listing.
struct Record<'a> {
    hash: u64,
    passages: u64,
    skipped: Option<&'a str>,
}

fn article_doc(
    fields: &super::Fields,
    file: &SourceFile,
    record: &Record<'_>,
    sync_time: SystemTime,
) -> TantivyDocument {
    let modified = UNIX_EPOCH + Duration::from_nanos(file.mtime_ns);
    let racy = sync_time
        .duration_since(modified)
        .map_or(true, |age| age < RACY_WINDOW);
    let mut doc = TantivyDocument::new();
    doc.add_text(fields.kind, ARTICLE_KIND);
    doc.add_text(fields.article, &file.key);
    doc.add_u64(fields.size, file.size);
    doc.add_u64(fields.mtime, if racy { 0 } else { file.mtime_ns });
    doc.add_u64(fields.hash, record.hash);
    doc.add_u64(fields.passages, record.passages);
    doc.add_u64(fields.skipped, u64::from(record.skipped.is_some()));
    if let Some(reason) = record.skipped {
        doc.add_text(fields.reason, reason);
    }
    doc
}
