//! Keeping the index in step while the process runs: file system events on the seeds folder,
//! debounced, trigger a sync. A sync that fails (the index busy, the folder gone for a moment) is
//! reported and tried again; the watch ends when the stop flag is set.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use notify_debouncer_mini::notify::RecursiveMode;
use notify_debouncer_mini::{DebounceEventResult, new_debouncer};

use crate::index::sync::SyncReport;
use crate::{Error, Result};

/// How long the folder must be quiet before a sync.
const DEBOUNCE: Duration = Duration::from_millis(200);
/// How often the stop flag and failed syncs are looked at.
const TICK: Duration = Duration::from_millis(100);
/// How long to wait before trying a failed sync again.
const RETRY_AFTER: Duration = Duration::from_millis(500);

fn watch_error(err: impl std::fmt::Display) -> Error {
    Error::Io {
        path: PathBuf::from("(watch)"),
        source: std::io::Error::other(err.to_string()),
    }
}

/// Runs `sync` now and after every change below `seeds` until `stop` is set. Each sync's
/// outcome goes to `on_sync`. Changes inside `index` (when it lies in the seeds folder) are
/// sou's own and trigger nothing.
pub fn watch(
    seeds: &Path,
    index: &Path,
    stop: &AtomicBool,
    sync: &mut dyn FnMut() -> Result<SyncReport>,
    on_sync: &mut dyn FnMut(Result<SyncReport>),
) -> Result<()> {
    let seeds_abs = seeds.canonicalize().map_err(|e| Error::SeedsFolder {
        path: seeds.to_path_buf(),
        reason: e.to_string(),
    })?;
    let index_abs = index.canonicalize().ok();
    let (sender, receiver) = mpsc::channel::<DebounceEventResult>();
    let mut debouncer = new_debouncer(DEBOUNCE, sender).map_err(watch_error)?;
    debouncer
        .watcher()
        .watch(&seeds_abs, RecursiveMode::Recursive)
        .map_err(|err| Error::SeedsFolder {
            path: seeds.to_path_buf(),
            reason: err.to_string(),
        })?;

    let mut run = |on_sync: &mut dyn FnMut(Result<SyncReport>)| -> bool {
        let result = sync();
        let failed = matches!(
            result,
            Err(Error::IndexBusy { .. } | Error::Io { .. } | Error::SeedsFolder { .. })
        );
        on_sync(result);
        failed
    };
    let mut retry = run(on_sync);
    let mut waited = Duration::ZERO;
    while !stop.load(Ordering::Relaxed) {
        match receiver.recv_timeout(TICK) {
            Ok(Ok(events)) => {
                // Changes inside the index folder (when it lies in the seeds folder) are ours.
                let relevant = events.iter().any(|event| {
                    index_abs
                        .as_ref()
                        .is_none_or(|index| !event.path.starts_with(index))
                });
                if relevant {
                    retry = run(on_sync);
                    waited = Duration::ZERO;
                }
            }
            Ok(Err(err)) => on_sync(Err(watch_error(err))),
            Err(RecvTimeoutError::Timeout) => {
                waited += TICK;
                if retry && waited >= RETRY_AFTER {
                    retry = run(on_sync);
                    waited = Duration::ZERO;
                }
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    Ok(())
}
