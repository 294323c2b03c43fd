//! Writing a sync's documents: the writer shared by the workers, and the commit that records,
//! atomically with the documents, the settings they were made with ([`Payload`]).

use std::sync::RwLock;
use std::time::{SystemTime, UNIX_EPOCH};

use tantivy::indexer::UserOperation;
use tantivy::{IndexWriter, TantivyDocument, Term};

use super::documents::{self, Entry};
use super::{DictStamp, Payload, SouIndex, sidecar};
use crate::error::Op;
use crate::{Error, Result};

/// The writer, shared: workers add and delete under the read lock (tantivy's writer takes
/// `&self` for both), commits take the write lock between two documents.
pub(crate) struct SharedWriter<'a> {
    lock: RwLock<IndexWriter>,
    pub index: &'a SouIndex,
    /// The words of the passages added since the pinyin words were last kept (see
    /// [`sidecar::keep_pinyin`]), one set for each worker: a worker adds to its own, so no two
    /// wait for each other and no set is merged into another.
    words: Vec<std::sync::Mutex<super::WordSet>>,
}

impl<'a> SharedWriter<'a> {
    /// Shares `writer`, which writes `index`, among `workers` workers.
    pub fn new(writer: IndexWriter, index: &'a SouIndex, workers: usize) -> Self {
        SharedWriter {
            lock: RwLock::new(writer),
            index,
            words: (0..workers.max(1)).map(|_| Default::default()).collect(),
        }
    }

    /// The words whose pinyin is kept that worker `worker` adds to (the last set for a
    /// worker beyond those the writer was made for).
    pub fn words_of(&self, worker: usize) -> std::sync::MutexGuard<'_, super::WordSet> {
        let slot = &self.words[worker.min(self.words.len() - 1)];
        slot.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The words added since the last call, each worker's set.
    pub fn take_words(&self) -> Vec<super::WordSet> {
        (0..self.words.len())
            .map(|worker| std::mem::take(&mut *self.words_of(worker)))
            .collect()
    }

    /// The writer back, once no worker uses it.
    pub fn into_inner(self) -> IndexWriter {
        self.lock
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, IndexWriter> {
        self.lock
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn add(&self, doc: TantivyDocument, key: &str) -> Result<()> {
        self.read()
            .add_document(doc)
            .map(|_| ())
            .map_err(|e| Error::tantivy(Op::Write, key, e))
    }

    /// Adds the passages of one unit (see [`documents::UnitPlace`]) as one group, which tantivy
    /// keeps together and in order in one segment, recording each one's place in the unit.
    pub fn add_unit(
        &self,
        mut docs: Vec<TantivyDocument>,
        has_title: bool,
        key: &str,
    ) -> Result<()> {
        documents::place_in_unit(&self.index.fields, &mut docs, has_title);
        self.read()
            .run(docs.into_iter().map(UserOperation::Add))
            .map(|_| ())
            .map_err(|e| Error::tantivy(Op::Write, key, e))
    }

    /// Deletes the manifest entry of `key`, and its passages when `with_passages`.
    pub fn delete_article(&self, key: &str, with_passages: bool) {
        let fields = &self.index.fields;
        let writer = self.read();
        writer.delete_term(Term::from_field_text(fields.article, key));
        if with_passages {
            writer.delete_term(Term::from_field_text(fields.key, key));
        }
    }

    /// Adds the manifest entry of an article whose passages were just added.
    pub fn add_entry(&self, entry: &Entry<'_>) -> Result<()> {
        self.add(entry.doc(&self.index.fields), entry.key)
    }

    /// Replaces the manifest entry of `entry`'s article (and, when `with_passages`, drops its
    /// passages).
    pub fn record(&self, entry: &Entry<'_>, with_passages: bool) -> Result<()> {
        self.delete_article(entry.key, with_passages);
        self.add_entry(entry)
    }

    /// Deletes every document: the first step of a rebuild.
    pub fn clear(&self) -> Result<()> {
        self.read()
            .delete_all_documents()
            .map(|_| ())
            .map_err(|e| Error::tantivy(Op::Write, self.index.dir.display(), e))
    }

    /// Commits what was written so far, recording `settings`; `complete` when it ends a sync.
    pub fn commit(&self, settings: &Settings, complete: bool) -> Result<()> {
        let mut writer = self
            .lock
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        commit(&mut writer, self.index, settings, complete)
    }
}

/// What every commit records of the settings the documents were analyzed with.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub fingerprint: String,
    pub user_words: Option<sidecar::WordsRef>,
    pub dict: Option<DictStamp>,
}

/// Commits what `writer` wrote to `index`, recording `settings`.
pub(crate) fn commit(
    writer: &mut IndexWriter,
    index: &SouIndex,
    settings: &Settings,
    complete: bool,
) -> Result<()> {
    let payload = Payload {
        fingerprint: settings.fingerprint.clone(),
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
    let what = index.dir.display().to_string();
    let mut prepared = writer
        .prepare_commit()
        .map_err(|e| Error::tantivy(Op::Commit, &what, e))?;
    prepared.set_payload(&payload);
    prepared
        .commit()
        .map_err(|e| Error::tantivy(Op::Commit, what, e))?;
    // The words files of earlier commits are no one's now.
    sidecar::remove_other_words(&index.dir, settings.user_words.as_ref());
    Ok(())
}
