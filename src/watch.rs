//! Keeping the index in step while the process runs: file system events on the seeds folder,
//! debounced, trigger a sync. A sync that fails (the index busy, the folder gone for a moment) is
//! reported and tried again; the watch ends when the stop flag is set.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use notify_debouncer_mini::notify::RecursiveMode;
use notify_debouncer_mini::{DebounceEventResult, new_debouncer};

use crate::index::sync::SyncReport;
use crate::{Error, Result, Sou};

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

/// Syncs now and after every change below the seeds folder until `stop` is set. Each sync's
/// outcome goes to `on_sync`.
pub fn watch(
    sou: &Sou,
    stop: &AtomicBool,
    on_sync: &mut dyn FnMut(Result<SyncReport>),
) -> Result<()> {
    let seeds = &sou.config().seeds;
    let seeds_abs = seeds.canonicalize().map_err(|e| Error::SeedsFolder {
        path: seeds.clone(),
        reason: e.to_string(),
    })?;
    let index_abs = sou.config().index.canonicalize().ok();
    let (sender, receiver) = mpsc::channel::<DebounceEventResult>();
    let mut debouncer = new_debouncer(DEBOUNCE, sender).map_err(watch_error)?;
    debouncer
        .watcher()
        .watch(&seeds_abs, RecursiveMode::Recursive)
        .map_err(|err| Error::SeedsFolder {
            path: seeds.clone(),
            reason: err.to_string(),
        })?;

    let run = |on_sync: &mut dyn FnMut(Result<SyncReport>)| -> bool {
        let result = sou.sync(false, Some(stop), None);
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
