//! Sending a folder to a cluster index: listed, read, decoded, folded, cut and analyzed as a
//! local build does it, then sent pre-analyzed with `_bulk` (see [`super`]).
//!
//! The record of what was sent lives in the cluster index itself, one `article` document per
//! file (its hash, size, time and number of passages), as the local manifest lives in the local
//! index: whoever exports next, from whichever machine, sends only what changed. A file's record
//! is written only after its passages are all in, so a run stopped anywhere (kill -9, a network
//! error) leaves the file unrecorded or recorded as before, and the next run sends it again.
//! Document ids are derived from the file's key and the passage's place in it: sending again
//! overwrites, never duplicates; a file that shrank has its passages past the new end deleted.
//!
//! The words of the passages sent are added to the corpus words by pinyin the index keeps
//! ([`super::files`]) when the send ends, and the folder's synonyms are sent with them. A send
//! marks the words pending before its first record and clears the mark once they are kept, so
//! the send after one killed midway reads the words of the files recorded before again.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use serde_json::{Value, json};

use super::{Cluster, files, terms};
use crate::analysis::SharedAnalyzer;
use crate::analysis::grams::TAIL_CHARS;
use crate::corpus::{self, Skipped, SourceFile};
use crate::index::WordSet;
use crate::index::sidecar;
use crate::index::sync::Progress;
use crate::{Config, Error, Result};

/// A bulk request is sent when its body reaches this size.
const BULK_BYTES: usize = 8 << 20;
/// Records fetched per request when reading what was sent before.
const RECORDS_PER_PAGE: usize = 5000;
/// Keys per deletion request.
const KEYS_PER_DELETE: usize = 1000;
/// Bulk requests in flight at once.
const SENDERS: usize = 2;

/// How an export runs.
#[derive(Clone, Copy, Default)]
pub struct ExportOptions<'a> {
    /// Delete the cluster index and send everything again.
    pub rebuild: bool,
    /// Primary shards of an index created now.
    pub shards: u32,
    /// Replicas of each shard of an index created now.
    pub replicas: u32,
    /// Set (by a Ctrl-C handler) to stop after the files being read.
    pub interrupt: Option<&'a AtomicBool>,
    /// Called after each file read.
    pub progress: Option<&'a (dyn Fn(Progress) + Sync)>,
    /// A bulk request is sent when its body reaches this size (0: [`BULK_BYTES`]).
    pub bulk_bytes: usize,
}

/// What an export did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExportReport {
    /// Whether the cluster index was created by this export.
    pub created: bool,
    /// Files sent (new or changed).
    pub sent: usize,
    /// Passages sent.
    pub passages: u64,
    /// Files the cluster already holds as they are.
    pub unchanged: usize,
    /// Files gone from the folder, deleted from the cluster.
    pub deleted: usize,
    /// Files that could not be read, and files of other types (not sent).
    pub skipped: Vec<Skipped>,
    /// What was wrong with the folder's settings (the user dictionary, the synonyms), as a
    /// local build says it.
    pub warnings: Vec<String>,
}

/// What the cluster knows of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Record {
    hash: String,
    size: u64,
    mtime: u64,
    passages: u64,
}

/// One file read and analyzed, ready to send.
enum Read {
    /// Its passages' documents (id, source) and its record.
    Passages {
        key: String,
        docs: Vec<(String, Value)>,
        record: Value,
    },
    /// The same bytes as sent before: only the record is renewed.
    Same { key: String, record: Value },
    /// Read for its words only: the cluster holds it as it is.
    WordsOnly,
    /// Not readable as an article.
    Skipped(Skipped),
    /// Gone since the listing.
    Vanished(String),
}

/// Sends the folder of `config` to `cluster`.
pub fn run(
    config: &Config,
    analyzer: &SharedAnalyzer,
    cluster: &Cluster,
    options: &ExportOptions<'_>,
) -> Result<ExportReport> {
    let mut report = ExportReport::default();
    if options.rebuild {
        cluster.delete_index()?;
    }
    // Whether the replicas of an index created now are to be added when the send is done.
    let mut replicas_later = false;
    if cluster.check_index()?.is_none() {
        replicas_later = !cluster.create_index(options.shards.max(1), options.replicas)?;
        report.created = true;
    }
    let listing = corpus::list_files_until(&config.seeds, &config.listing, options.interrupt)?;
    report.skipped.extend(listing.skipped.iter().cloned());
    let records = records(cluster)?;
    // A send stopped before it kept its words: the files it recorded are read for theirs.
    let words_pending = !report.created && files::is_pending(cluster, files::PINYIN)?;
    let mut todo: Vec<(&SourceFile, Option<&Record>, Want)> = Vec::new();
    for file in &listing.files {
        if !file.is_article {
            report.skipped.push(Skipped::other_type(file.key.clone()));
            continue;
        }
        let known = records.get(&file.key);
        match known {
            Some(record) if record.size == file.size && record.mtime == file.mtime_ns => {
                match words_pending {
                    true => todo.push((file, known, Want::Words)),
                    false => report.unchanged += 1,
                }
            }
            _ => todo.push((file, known, Want::Passages)),
        }
    }
    if !todo.is_empty() || report.created {
        files::mark_pending(cluster, files::PINYIN)?;
    }
    let listed: std::collections::HashSet<&str> =
        listing.files.iter().map(|f| f.key.as_str()).collect();
    let gone: Vec<String> = records
        .keys()
        .filter(|key| !listed.contains(key.as_str()))
        .cloned()
        .collect();
    // Files that vanished while being read.
    let mut gone_now: Vec<String> = Vec::new();
    let bytes_total: u64 = todo.iter().map(|(file, _, _)| file.size).sum();
    let (files_done, bytes_done) = (AtomicUsize::new(0), std::sync::atomic::AtomicU64::new(0));
    let failed = AtomicBool::new(false);
    let failure: std::sync::Mutex<Option<Error>> = std::sync::Mutex::new(None);
    let stop = || {
        failed.load(Ordering::Relaxed)
            || options.interrupt.is_some_and(|i| i.load(Ordering::Relaxed))
    };
    let next = AtomicUsize::new(0);
    let (sender, receiver) = mpsc::sync_channel::<Read>(64);
    let (unit_sender, units) = mpsc::sync_channel::<Unit>(1);
    let units = std::sync::Mutex::new(units);
    let landed = Landed::default();
    let workers = config.threads.clamp(1, todo.len().max(1));
    let words = std::thread::scope(|scope| {
        let mut readers = Vec::with_capacity(workers);
        for _ in 0..workers {
            let sender = sender.clone();
            let (todo, next, files_done, bytes_done) = (&todo, &next, &files_done, &bytes_done);
            let stop = &stop;
            readers.push(scope.spawn(move || {
                // The words of what this worker reads, for the pinyin the index keeps.
                let mut words = WordSet::default();
                while !stop() {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(file, known, want)) = todo.get(i) else {
                        break;
                    };
                    let read = match want {
                        Want::Passages => read_file(file, known, config, analyzer, &mut words),
                        // Read whole, as if new, and only its words kept.
                        Want::Words => match read_file(file, None, config, analyzer, &mut words) {
                            Read::Passages { .. } => Read::WordsOnly,
                            other => other,
                        },
                    };
                    let done = files_done.fetch_add(1, Ordering::Relaxed) + 1;
                    let bytes = bytes_done.fetch_add(file.size, Ordering::Relaxed) + file.size;
                    if let Some(progress) = options.progress {
                        progress(Progress {
                            files_done: done,
                            files_total: todo.len(),
                            bytes_done: bytes,
                            bytes_total,
                            merging: false,
                        });
                    }
                    if sender.send(read).is_err() {
                        break;
                    }
                }
                words
            }));
        }
        drop(sender);
        // Two bulk requests in flight: one shard indexes each on a thread of its own.
        for _ in 0..SENDERS {
            let (units, failed, failure, landed) = (&units, &failed, &failure, &landed);
            scope.spawn(move || {
                loop {
                    let unit = match units.lock() {
                        Ok(units) => units.recv(),
                        Err(_) => break,
                    };
                    let Ok(unit) = unit else { break };
                    if failed.load(Ordering::Relaxed) {
                        continue;
                    }
                    if let Err(err) = unit.send(cluster, landed, failed) {
                        failed.store(true, Ordering::Relaxed);
                        let mut slot = failure.lock().unwrap_or_else(|e| e.into_inner());
                        slot.get_or_insert(err);
                    }
                }
            });
        }
        let mut bulk = Bulk::new(options.bulk_bytes, unit_sender);
        for read in receiver {
            match read {
                Read::Passages { key, docs, record } => {
                    report.sent += 1;
                    report.passages += docs.len() as u64;
                    let count = docs.len() as u64;
                    let before = records.get(&key).map_or(0, |r| r.passages);
                    for (id, doc) in docs {
                        bulk.add(&id, &doc);
                    }
                    bulk.after_passages(&key, count, before, record);
                }
                Read::Same { key, record } => {
                    report.unchanged += 1;
                    bulk.after_passages(&key, 0, 0, record);
                }
                Read::WordsOnly => report.unchanged += 1,
                Read::Skipped(skip) => report.skipped.push(skip),
                Read::Vanished(key) => gone_now.push(key),
            }
        }
        // What is complete is sent, stopped or not: the files not recorded are sent again
        // next time.
        bulk.flush();
        drop(bulk);
        readers
            .into_iter()
            .filter_map(|reader| reader.join().ok())
            .collect::<Vec<WordSet>>()
    });
    if let Some(err) = failure.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(err);
    }
    // Stopped: the words of every file recorded are kept all the same.
    report.warnings = keep_files(cluster, config, analyzer, words, report.created)?;
    if stop() {
        return Err(Error::Interrupted);
    }
    gone_now.extend(gone.iter().cloned());
    report.deleted = gone_now.len();
    delete_gone(cluster, &gone_now)?;
    if replicas_later {
        cluster.add_replicas(options.replicas)?;
    }
    report.warnings.extend(cluster.refresh_all_copies()?);
    report.skipped.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(report)
}

/// The records of every file the cluster holds, by key.
fn records(cluster: &Cluster) -> Result<HashMap<String, Record>> {
    let mut records = HashMap::new();
    let body = json!({
        "query": {"term": {"kind": "article"}},
        "_source": ["key", "hash", "size", "mtime", "passages"],
        "sort": [{"key": "asc"}],
    });
    let search = |body: Value| cluster.search_own_writes(&body);
    super::pages(search, body, RECORDS_PER_PAGE, |_, hits| {
        for hit in hits {
            let source = &hit["_source"];
            let (Some(key), Some(hash)) = (source["key"].as_str(), source["hash"].as_str()) else {
                continue;
            };
            records.insert(
                key.to_string(),
                Record {
                    hash: hash.to_string(),
                    size: source["size"].as_u64().unwrap_or(0),
                    mtime: source["mtime"].as_u64().unwrap_or(0),
                    passages: source["passages"].as_u64().unwrap_or(0),
                },
            );
        }
        ControlFlow::Continue(())
    })?;
    Ok(records)
}

/// The id of a file's passage `unit`, or of its record (`None`): stable across exports, short
/// whatever the path's length.
pub(crate) fn document_id(key: &str, unit: Option<usize>) -> String {
    let hash = xxhash_rust::xxh3::xxh3_128(key.as_bytes());
    match unit {
        Some(unit) => format!("{hash:032x}-{unit}"),
        None => format!("{hash:032x}-article"),
    }
}

/// Reads, cuts and analyzes one file as a local build does (see
/// [`crate::index::pipeline`]).
fn read_file(
    file: &SourceFile,
    known: Option<&Record>,
    config: &Config,
    analyzer: &SharedAnalyzer,
    words: &mut WordSet,
) -> Read {
    let key = file.key.clone();
    let problem = |reason: String| Read::Skipped(Skipped::problem(file.key.clone(), reason));
    let is_gone = |err: &std::io::Error| err.kind() == std::io::ErrorKind::NotFound;
    let inspection = match corpus::read::inspect(&file.path) {
        Ok(inspection) => inspection,
        Err(err) if is_gone(&err) => return Read::Vanished(key),
        Err(err) => return problem(err.to_string()),
    };
    let hash = format!("{:016x}", inspection.hash);
    let record = |passages: u64| {
        json!({
            "kind": "article", "key": file.key, "hash": hash, "size": file.size,
            "mtime": file.mtime_ns, "passages": passages, "grams": terms::RECORD_GRAMS,
        })
    };
    if let Some(known) = known
        && known.hash == hash
    {
        return Read::Same {
            key,
            record: record(known.passages),
        };
    }
    let analyzer = analyzer.get();
    let mut docs: Vec<(String, Value)> = Vec::new();
    let mut title = String::new();
    let mut add = |passage: corpus::Passage| {
        let terms = analyzer
            .analyze_keeping_words(&passage.text, &passage.tail, &mut |word| words.insert(word));
        if docs.is_empty() {
            title = passage.text.clone();
        }
        let unit = docs.len();
        let mut doc = json!({
            "kind": "passage",
            "key": file.key,
            "line": passage.line,
            "unit": unit,
            "title": title,
            "text": passage.text,
            "tail": passage.tail,
            "text_hash": format!("{:012x}", crate::index::documents::text_hash(&passage.text)),
            "grams": terms::grams_value(&terms.encoded),
            "grams_count": crate::analysis::grams::token_count(&terms.encoded),
            "solo_words": terms::solo_value(&terms.solo_words),
            "tail_key": terms.tail_keys().collect::<Vec<_>>(),
        });
        // Where the text stands in the file (lines, columns, a document's pages), so that a hit
        // names its match's line, column and page as a local one does, without the file; left
        // out for a passage that is its line from the line's start (most are), which a search
        // takes it to be when it is absent (see `search::origin_of`).
        if passage.origin != corpus::Origin::of_line(passage.line) {
            doc["origin"] = json!(passage.origin);
        }
        docs.push((document_id(&file.key, Some(unit)), doc));
        ControlFlow::Continue(())
    };
    let read = match (corpus::document::Kind::of(&file.path), inspection.text) {
        (Some(kind), _) => {
            corpus::read::read_document(&file.path, kind, &config.documents, TAIL_CHARS, &mut add)
                .map(|(flow, _notes)| flow)
                .map_err(|why| why.to_string())
        }
        (None, Ok(encoding)) => {
            corpus::read::read_passages(&file.path, encoding, TAIL_CHARS, &mut add).map_err(|err| {
                if is_gone(&err) {
                    String::new()
                } else {
                    err.to_string()
                }
            })
        }
        (None, Err(not_text)) => Err(not_text.to_string()),
    };
    match read {
        Ok(_) => {
            let count = docs.len() as u64;
            add_unit_lengths(&mut docs);
            Read::Passages {
                key,
                docs,
                record: record(count),
            }
        }
        Err(reason) if reason.is_empty() => Read::Vanished(key),
        Err(reason) => problem(reason),
    }
}

/// Gives each passage of a file the length of its unit (the file, or the section of a long
/// one that the local index ranks as an article: [`crate::index::documents`]) as the local
/// index reads it, the sum of its passages' stored gram field lengths: an article's BM25 is
/// normalised by it.
fn add_unit_lengths(docs: &mut [(String, Value)]) {
    use crate::analysis::grams::stored_length;
    for unit in docs.chunks_mut(crate::index::documents::MAX_UNIT_PASSAGES) {
        let length: u64 = unit
            .iter()
            .map(|(_, doc)| stored_length(doc["grams_count"].as_u64().unwrap_or(0)))
            .sum();
        for (_, doc) in unit {
            doc["unit_grams"] = json!(length);
        }
    }
}

/// What a worker reads a file for.
#[derive(Clone, Copy)]
enum Want {
    /// Its passages, to send.
    Passages,
    /// Its words only: the cluster holds it as it is, but not its words.
    Words,
}

/// Adds `words` to the corpus words by pinyin the cluster keeps (replaces them, when `fresh`),
/// clears the mark that they are pending, and sends the folder's synonyms, parsed, and the
/// user dictionary the passages were cut with; what was wrong with those two.
fn keep_files(
    cluster: &Cluster,
    config: &Config,
    analyzer: &SharedAnalyzer,
    words: Vec<WordSet>,
    fresh: bool,
) -> Result<Vec<String>> {
    if sidecar::pinyin_changes(&words, fresh) {
        let old = match fresh {
            true => None,
            false => files::fetch(cluster, files::PINYIN)?
                .and_then(|bytes| sidecar::pinyin_words(sidecar::Mapped::Read(bytes))),
        };
        let bytes = sidecar::pinyin_file(old.as_ref(), &words)
            .map_err(|err| cluster.error(format!("the words by pinyin: {err}")))?;
        files::store(cluster, files::PINYIN, &bytes)?;
    }
    files::clear_pending(cluster, files::PINYIN)?;
    // Parsed, as a local index keeps a large file's (a file that cannot be read is none, as
    // for a local search).
    let place = corpus::settings::SettingsPlace::of(&config.seeds, config.listing.follow_outside);
    let (synonyms, synonyms_warning) =
        crate::search::Synonyms::open(&config.seeds, place.as_ref(), None);
    let bytes = synonyms
        .kept_bytes(files::STAMP)
        .map_err(|err| cluster.error(format!("the synonyms: {err}")))?;
    files::store(cluster, files::SYNONYMS, &bytes)?;
    let bytes = files::user_words_bytes(analyzer.user_words())
        .map_err(|err| cluster.error(format!("the user dictionary: {err}")))?;
    files::store(cluster, files::USER_WORDS, &bytes)?;
    // Read by now (its words were just sent): every send says what is wrong with it.
    let mut warnings = analyzer.user_dict().warnings.clone();
    warnings.extend(synonyms_warning);
    Ok(warnings)
}

/// Documents on their way to the cluster, gathered into [`Unit`]s that the senders send.
struct Bulk {
    /// A unit is handed on when its passages reach this size.
    bytes: usize,
    unit: Unit,
    /// Units handed on so far.
    handed: usize,
    out: mpsc::SyncSender<Unit>,
}

/// One bulk request of passages, then the trimming of files that shrank and the records of the
/// files whose passages it completes: a record is written only once its passages are in, its
/// own and those of every unit before it (a file's passages can span units).
#[derive(Default)]
struct Unit {
    /// Its place in the order units are handed on.
    seq: usize,
    passages: String,
    /// Files whose passages from this many on are to be deleted.
    trims: Vec<(String, u64)>,
    records: Vec<(String, Value)>,
}

impl Bulk {
    fn new(bytes: usize, out: mpsc::SyncSender<Unit>) -> Self {
        Bulk {
            bytes: if bytes == 0 { BULK_BYTES } else { bytes },
            unit: Unit::default(),
            handed: 0,
            out,
        }
    }

    fn add(&mut self, id: &str, doc: &Value) {
        let body = &mut self.unit.passages;
        body.push_str(&json!({"index": {"_id": id}}).to_string());
        body.push('\n');
        body.push_str(&doc.to_string());
        body.push('\n');
        if body.len() >= self.bytes {
            self.flush();
        }
    }

    /// Notes that a file's passages (`count` of them, where the cluster held `before`) are all
    /// added.
    fn after_passages(&mut self, key: &str, count: u64, before: u64, record: Value) {
        if before > count {
            self.unit.trims.push((key.to_string(), count));
        }
        self.unit.records.push((document_id(key, None), record));
    }

    /// Hands on what is pending (a sender that failed has said why; the rest are dropped).
    fn flush(&mut self) {
        let mut unit = std::mem::take(&mut self.unit);
        if !unit.passages.is_empty() || !unit.records.is_empty() {
            unit.seq = self.handed;
            self.handed += 1;
            let _ = self.out.send(unit);
        }
    }
}

impl Unit {
    /// Sends the unit, in the order that keeps the records last.
    fn send(self, cluster: &Cluster, landed: &Landed, failed: &AtomicBool) -> Result<()> {
        send_bulk(cluster, self.passages)?;
        if !landed.passages_in(self.seq, failed) {
            // An earlier unit failed: its error is the one said.
            return Ok(());
        }
        if !self.trims.is_empty() {
            cluster.ok("POST", "/_refresh", None)?;
        }
        for trims in self.trims.chunks(KEYS_PER_DELETE) {
            let should: Vec<Value> = trims
                .iter()
                .map(|(key, from)| {
                    json!({"bool": {"filter": [
                        {"term": {"key": key}}, {"range": {"unit": {"gte": from}}}
                    ]}})
                })
                .collect();
            delete_passages(
                cluster,
                json!({"bool": {"should": should, "minimum_should_match": 1}}),
            )?;
        }
        let mut records = String::new();
        for (id, record) in self.records {
            records.push_str(&json!({"index": {"_id": id}}).to_string());
            records.push('\n');
            records.push_str(&record.to_string());
            records.push('\n');
        }
        send_bulk(cluster, records)
    }
}

/// Which units' passages are in the cluster.
#[derive(Default)]
struct Landed {
    /// The first unit whose passages are not known to be in, and those after it that are.
    state: std::sync::Mutex<(usize, std::collections::BTreeSet<usize>)>,
    changed: std::sync::Condvar,
}

impl Landed {
    /// Notes that the passages of unit `seq` are in, and waits until those of every unit
    /// before it are too; false when a sender failed meanwhile.
    fn passages_in(&self, seq: usize, failed: &AtomicBool) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.1.insert(seq);
        loop {
            let first = state.0;
            if !state.1.remove(&first) {
                break;
            }
            state.0 += 1;
        }
        self.changed.notify_all();
        while state.0 <= seq {
            if failed.load(Ordering::Relaxed) {
                return false;
            }
            state = self
                .changed
                .wait_timeout(state, std::time::Duration::from_millis(50))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }
}

/// Deletes the files of `gone` from the cluster.
fn delete_gone(cluster: &Cluster, gone: &[String]) -> Result<()> {
    if !gone.is_empty() {
        cluster.ok("POST", "/_refresh", None)?;
    }
    for keys in gone.chunks(KEYS_PER_DELETE) {
        // The records first: a file whose record is gone is sent again if it comes back,
        // whatever passages a stop here leaves.
        let mut records = String::new();
        for key in keys {
            records.push_str(&json!({"delete": {"_id": document_id(key, None)}}).to_string());
            records.push('\n');
        }
        send_bulk(cluster, records)?;
        delete_passages(cluster, json!({"terms": {"key": keys}}))?;
    }
    Ok(())
}

/// Deletes the passages `query` finds (found by search, then deleted by id in bulk: the
/// delete-by-query endpoint is a module that not every cluster has).
fn delete_passages(cluster: &Cluster, query: Value) -> Result<()> {
    let query = json!({"bool": {"filter": [{"term": {"kind": "passage"}}, query]}});
    let body = json!({
        "query": query,
        "_source": false,
        "sort": [{"key": "asc"}, {"unit": "asc"}],
    });
    let mut ids = Vec::new();
    let search = |body: Value| cluster.search_own_writes(&body);
    super::pages(search, body, RECORDS_PER_PAGE, |_, hits| {
        ids.extend(
            hits.iter()
                .filter_map(|hit| hit["_id"].as_str().map(String::from)),
        );
        ControlFlow::Continue(())
    })?;
    for ids in ids.chunks(RECORDS_PER_PAGE) {
        let mut body = String::new();
        for id in ids {
            body.push_str(&json!({"delete": {"_id": id}}).to_string());
            body.push('\n');
        }
        send_bulk(cluster, body)?;
    }
    Ok(())
}

/// Sends one bulk body, sending again the actions the cluster turned away as too busy (429).
pub(super) fn send_bulk(cluster: &Cluster, body: String) -> Result<()> {
    let mut body = body;
    let mut wait = super::FIRST_WAIT;
    for _ in 0..super::TRIES {
        if body.is_empty() {
            return Ok(());
        }
        let answer = cluster.call("POST", "/_bulk", Some(&body))?;
        if !(200..300).contains(&answer.status) {
            return Err(cluster.refused(&answer));
        }
        if answer.body["errors"].as_bool() != Some(true) {
            return Ok(());
        }
        let lines: Vec<&str> = body.lines().collect();
        let mut again = String::new();
        let items = answer.body["items"].as_array().cloned().unwrap_or_default();
        for (i, item) in items.iter().enumerate() {
            let deleting = item.get("delete").is_some();
            let result = item
                .get("index")
                .or_else(|| item.get("delete"))
                .unwrap_or(item);
            let status = result["status"].as_u64().unwrap_or(0);
            match status {
                200..=299 => {}
                // Deleting what is already gone.
                404 if deleting => {}
                429 => {
                    for line in lines.iter().skip(2 * i).take(2) {
                        again.push_str(line);
                        again.push('\n');
                    }
                }
                _ => {
                    let reason =
                        super::reason_of(result).unwrap_or_else(|| format!("HTTP {status}"));
                    return Err(cluster.error(format!("a document was refused: {reason}")));
                }
            }
        }
        body = again;
        std::thread::sleep(wait);
        wait *= 2;
    }
    Err(cluster.error(format!(
        "the cluster stayed too busy to take documents (429) through {} tries",
        super::TRIES
    )))
}
