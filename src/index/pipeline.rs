//! The reading pipeline of a sync: worker threads take the files to read one at a time, stream,
//! cut and analyze each, and hand each passage's document to the writer as soon as it is made,
//! so memory is bounded by the passage and the writer's budget, not the file. Each file's
//! outcome goes back to the calling thread, which keeps the books and decides the commits.
//!
//! One [`Stop`] is asked before every passage: Ctrl-C or a failed write stops the sync within a
//! passage, not a file.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tantivy::TantivyDocument;

use super::documents::{self, Entry, EntryState, MAX_UNIT_PASSAGES, Record};
use super::plan::Todo;
use super::writer::SharedWriter;
use crate::analysis::SharedAnalyzer;
use crate::analysis::grams::TAIL_CHARS;
use crate::corpus::{self, Skipped};
use crate::{Error, Result};

/// A file modified this close to the sync is recorded to be checked again: it might change
/// again within the file system's timestamp resolution, unseen by its size and time.
const RACY_WINDOW: Duration = Duration::from_secs(2);

/// The one question every worker asks before each passage: should the sync stop? Yes after
/// Ctrl-C (the caller's interrupt flag) or after a failure anywhere.
pub(crate) struct Stop<'a> {
    interrupt: Option<&'a AtomicBool>,
    failed: AtomicBool,
}

impl<'a> Stop<'a> {
    /// A stop that Ctrl-C raises through `interrupt`.
    pub fn new(interrupt: Option<&'a AtomicBool>) -> Self {
        Stop {
            interrupt,
            failed: AtomicBool::new(false),
        }
    }

    /// Whether the sync should stop.
    pub fn requested(&self) -> bool {
        self.failed.load(Ordering::Relaxed) || self.interrupted()
    }

    /// Whether the user asked to stop.
    pub fn interrupted(&self) -> bool {
        self.interrupt
            .is_some_and(|flag| flag.load(Ordering::Relaxed))
    }

    /// Stops the sync after a failure.
    pub fn fail(&self) {
        self.failed.store(true, Ordering::Relaxed);
    }
}

/// What a file is read as: a document (by its name), or text in the encoding it was found in.
enum Source {
    Document(corpus::document::Kind),
    Text(corpus::decode::TextEncoding),
}

/// What a worker did with one file.
pub(crate) enum Outcome {
    /// Indexed anew, with this many passages; the notes say what was read but not indexed.
    Indexed { passages: u64, notes: Vec<String> },
    /// Same bytes as indexed: only the manifest entry was renewed.
    Same,
    /// Cannot be indexed: recorded with its reason, so it is not read again until it changes.
    Skipped(Skipped),
    /// Could not be indexed before, and still cannot: nothing to report again.
    StillSkipped,
    /// Deleted between the listing and the reading: gone from the index too.
    Vanished,
}

/// Reads the files of `todo` on `workers` threads, sending each file's outcome (with its place
/// in `todo`) to `outcomes` as it is done. Returns the first failure, after every worker has
/// stopped; a worker stopped inside a file leaves its partial passages for the next sync.
pub(crate) fn read_all(
    todo: &[Todo],
    workers: usize,
    documents: &corpus::document::Isolation,
    analyzer: &SharedAnalyzer,
    writer: &SharedWriter<'_>,
    stop: &Stop<'_>,
    outcomes: mpsc::Sender<(usize, Outcome)>,
) -> Option<Error> {
    let sync_time = SystemTime::now();
    let next = AtomicUsize::new(0);
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for worker in 0..workers.min(todo.len()).max(1) {
            let outcomes = outcomes.clone();
            let (next, failure) = (&next, &failure);
            scope.spawn(move || {
                while !stop.requested() {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = todo.get(i) else { break };
                    let worker = Worker { writer, worker };
                    match process(item, documents, analyzer, worker, stop, sync_time) {
                        Ok(Some(outcome)) => {
                            if outcomes.send((i, outcome)).is_err() {
                                break;
                            }
                        }
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
        drop(outcomes);
    });
    failure
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The writer, as one worker uses it: the words it collects go to the worker's own set.
#[derive(Clone, Copy)]
struct Worker<'w, 'i> {
    writer: &'w SharedWriter<'i>,
    worker: usize,
}

/// Reads, cuts and analyzes one file, adding its documents to the writer as they are made.
/// Only a failure of the analyzer or the writer is an error; a file that cannot be read is an
/// outcome. `None` when the sync was asked to stop before the file was done.
fn process(
    item: &Todo,
    documents: &corpus::document::Isolation,
    analyzer: &SharedAnalyzer,
    Worker { writer, worker }: Worker<'_, '_>,
    stop: &Stop<'_>,
    sync_time: SystemTime,
) -> Result<Option<Outcome>> {
    let fields = &writer.index.fields;
    let file = &item.file;
    let key = &file.key;
    let recheck = is_racy(file.mtime_ns, sync_time);
    let record_skip = |hash: u64, skip: Skipped| -> Result<Option<Outcome>> {
        let mut entry = Entry::skipped(file, &skip, hash);
        entry.record.recheck = recheck;
        writer.record(&entry, true)?;
        // A file reported before and still not indexable is not reported again.
        if item.known.is_some_and(|known| known.skipped()) {
            Ok(Some(Outcome::StillSkipped))
        } else {
            Ok(Some(Outcome::Skipped(skip)))
        }
    };
    let indexed = |hash: u64, passages: u64| Entry {
        key,
        record: Record {
            size: file.size,
            mtime_ns: file.mtime_ns,
            recheck,
            hash,
            passages,
            state: EntryState::Indexed,
        },
        reason: None,
    };
    let problem = |reason: String| Skipped::problem(key.clone(), reason);
    // A file deleted since the listing is gone, not unreadable.
    let vanished = || {
        writer.delete_article(key, true);
        Ok(Some(Outcome::Vanished))
    };
    let is_gone = |err: &std::io::Error| err.kind() == std::io::ErrorKind::NotFound;
    if !file.is_article {
        // Not read: its type is its name's.
        return record_skip(0, Skipped::other_type(key.clone()));
    }
    let inspection = match corpus::read::inspect_until(&file.path, &|| stop.requested()) {
        Ok(inspection) => inspection,
        Err(err) if err.kind() == std::io::ErrorKind::Interrupted => return Ok(None),
        Err(err) if is_gone(&err) => return vanished(),
        Err(err) => return record_skip(0, problem(err.to_string())),
    };
    let hash = inspection.hash;
    if let Some(known) = item.known
        && known.hash == hash
        && !known.skipped()
    {
        // The same bytes: renew the manifest entry's time, leave the passages.
        writer.record(&indexed(hash, known.passages), false)?;
        return Ok(Some(Outcome::Same));
    }
    let source = match (corpus::document::Kind::of(&file.path), inspection.text) {
        (Some(kind), _) => Source::Document(kind),
        (None, Ok(encoding)) => Source::Text(encoding),
        (None, Err(not_text)) => return record_skip(hash, problem(not_text.to_string())),
    };
    let analyzer = analyzer.get();
    // Whatever an earlier, perhaps interrupted, sync left under this path goes first.
    writer.delete_article(key, true);
    let mut number = 0u64;
    let mut failure: Option<Error> = None;
    let mut unit: Vec<TantivyDocument> = Vec::new();
    let mut first_unit = true;
    let keep_text = documents::keeps_text(&file.path, file.size);
    let mut notes = Vec::new();
    let mut add = |passage: corpus::Passage| {
        if stop.requested() {
            return ControlFlow::Break(());
        }
        // Words of a file that fails later stay: a search checks the index holds what it reads.
        let terms = {
            let mut words = writer.words_of(worker);
            let mut keep = |word: &str| words.insert(word);
            analyzer.analyze_keeping_words(&passage.text, &passage.tail, &mut keep)
        };
        unit.push(documents::passage_doc(
            fields, key, &passage, &terms, keep_text,
        ));
        number += 1;
        if unit.len() >= MAX_UNIT_PASSAGES {
            let full = std::mem::take(&mut unit);
            if let Err(err) = writer.add_unit(full, std::mem::take(&mut first_unit), key) {
                failure = Some(err);
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    };
    let read = match source {
        Source::Document(kind) => {
            match corpus::read::read_document(&file.path, kind, documents, TAIL_CHARS, &mut add) {
                Ok((flow, read_notes)) => {
                    notes = read_notes;
                    Ok(flow)
                }
                Err(why) => {
                    return record_skip(hash, problem(why.to_string()));
                }
            }
        }
        Source::Text(encoding) => {
            corpus::read::read_passages(&file.path, encoding, TAIL_CHARS, &mut add)
        }
    };
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
    // The passages were deleted before they were added: only the manifest entry remains to add.
    writer.add_entry(&indexed(hash, number))?;
    Ok(Some(Outcome::Indexed {
        passages: number,
        notes,
    }))
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
