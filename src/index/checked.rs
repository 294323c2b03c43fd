//! Which of the index's files are known to be as tantivy wrote them.
//!
//! tantivy panics on some corrupt bytes, and when that happens on its commit or merge threads
//! the process aborts: no error, no message, and the next run aborts again. Every tantivy file
//! ends in a checksum, so a sync checks the files it is about to make tantivy read before it
//! writes; but checking them all costs a read of the whole index. Files this process checked or
//! wrote itself are remembered by name, length and modification time in `.sou-checked`, and only
//! the others are checked: usually none.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use tantivy::index::SegmentComponent;

use super::SouIndex;
use crate::{Error, Result};

/// The record of checked files, in the index folder.
pub(crate) const CHECKED: &str = ".sou-checked";

/// A file's length and modification time (nanoseconds since the epoch): a file changed by
/// anyone since it was checked no longer matches.
type Stamp = (u64, u128);

#[derive(Debug, Default, Serialize, Deserialize)]
struct Record {
    files: BTreeMap<String, Stamp>,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    let mtime = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    Some((meta.len(), mtime.as_nanos()))
}

/// The files of the last commit, relative to the index folder.
fn committed_files(index: &SouIndex) -> Result<Vec<PathBuf>> {
    const COMPONENTS: [SegmentComponent; 6] = [
        SegmentComponent::Postings,
        SegmentComponent::Positions,
        SegmentComponent::FastFields,
        SegmentComponent::FieldNorms,
        SegmentComponent::Terms,
        SegmentComponent::Store,
    ];
    let metas = index
        .index
        .searchable_segment_metas()
        .map_err(|e| Error::tantivy(crate::error::Op::Read, index.dir.display(), e))?;
    let mut files = Vec::new();
    for meta in metas {
        files.extend(COMPONENTS.iter().map(|c| meta.relative_path(c.clone())));
        if meta.has_deletes() {
            files.push(meta.relative_path(SegmentComponent::Delete));
        }
    }
    Ok(files)
}

fn read_record(dir: &Path) -> Record {
    // A record that cannot be read only costs checking everything again.
    std::fs::read(dir.join(CHECKED))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Checks every file of the last commit that is not known sound: [`Error::Damaged`] names the
/// first that fails its checksum or is missing. Files that pass are recorded.
pub(crate) fn check(index: &SouIndex) -> Result<()> {
    let dir = &index.dir;
    let mut record = read_record(dir);
    let mut newly_checked = false;
    for file in committed_files(index)? {
        let name = file.to_string_lossy().into_owned();
        let Some(now) = stamp(&dir.join(&file)) else {
            return Err(Error::Damaged {
                path: dir.clone(),
                detail: format!("{name} is missing"),
            });
        };
        if record.files.get(&name) == Some(&now) {
            continue;
        }
        let sound = index
            .index
            .directory()
            .validate_checksum(&file)
            .is_ok_and(|ok| ok);
        if !sound {
            return Err(Error::Damaged {
                path: dir.clone(),
                detail: format!("{name} fails its checksum"),
            });
        }
        record.files.insert(name, now);
        newly_checked = true;
    }
    if newly_checked {
        write_record(dir, &record);
    }
    Ok(())
}

/// Records every file of the last commit as sound: called by the process that holds the writer,
/// after its last commit, when each file is one it checked or wrote.
pub(crate) fn record_all(index: &SouIndex) -> Result<()> {
    let mut record = Record::default();
    for file in committed_files(index)? {
        if let Some(now) = stamp(&index.dir.join(&file)) {
            record
                .files
                .insert(file.to_string_lossy().into_owned(), now);
        }
    }
    write_record(&index.dir, &record);
    Ok(())
}

fn write_record(dir: &Path, record: &Record) {
    // Not writing it (a full disk, a read-only folder) only costs checking again next time.
    if let Ok(bytes) = serde_json::to_vec(record) {
        let _ = std::fs::write(dir.join(CHECKED), bytes);
    }
}
