//! Keeping the index in step while the process runs: file system events on the seeds folder,
//! debounced, trigger a sync. A sync that fails (the index busy, the folder gone for a moment) is
//! reported and tried again; the watch ends when the stop flag is set.
//!
//! Only events that can change what is indexed count: a sync opens and reads every changed file,
//! and if those opens counted, each sync would trigger the next and an idle watch would never go
//! idle. The seeds folder itself is checked every second: when it is moved away and another
//! folder takes its name, the watch moves to the new folder.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};

use crate::index::sync::SyncReport;
use crate::{Error, Result};

/// How long the folder must be quiet before a sync.
const DEBOUNCE: Duration = Duration::from_millis(200);
/// The longest a change waits for the folder to go quiet (a file written without pause).
const MAX_DELAY: Duration = Duration::from_secs(2);
/// How often the stop flag and failed syncs are looked at.
const TICK: Duration = Duration::from_millis(100);
/// How long to wait before trying a failed sync again.
const RETRY_AFTER: Duration = Duration::from_millis(500);
/// How often the seeds folder is checked for having been replaced or removed.
const FOLDER_CHECK: Duration = Duration::from_secs(1);

/// What the watch reports as it runs.
#[derive(Debug)]
pub enum WatchEvent {
    /// A sync ran, with its outcome.
    Synced(Result<SyncReport>),
    /// The seeds folder is gone (moved or removed); the watch waits for it to come back.
    FolderGone,
    /// A folder is at the seeds path again (a new one, or the old one moved back) and is watched.
    FolderBack,
}

/// Which folder a path names right now: device and inode where the platform has them, so a
/// folder moved away and replaced by another of the same name is told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FolderIdentity(u64, u64);

fn folder_identity(path: &Path) -> Option<FolderIdentity> {
    let meta = std::fs::metadata(path).ok().filter(|m| m.is_dir())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(FolderIdentity(meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        Some(FolderIdentity(0, 0))
    }
}

/// Whether `event` may change what is indexed: not a mere open, read or close, and not inside
/// the index folder (which may lie in the seeds folder; its changes are sou's own).
fn may_change_corpus(event: &Event, index: Option<&Path>) -> bool {
    if event.need_rescan() {
        return true;
    }
    if matches!(event.kind, EventKind::Access(_)) {
        return false;
    }
    event.paths.is_empty()
        || event
            .paths
            .iter()
            .any(|path| index.is_none_or(|index| !path.starts_with(index)))
}

/// Runs `sync` now and after every change below `seeds` until `stop` is set; every sync's
/// outcome and every change of the seeds folder itself goes to `report`.
pub fn watch(
    seeds: &Path,
    index: &Path,
    stop: &AtomicBool,
    sync: &mut dyn FnMut() -> Result<SyncReport>,
    report: &mut dyn FnMut(WatchEvent),
) -> Result<()> {
    let seeds_abs = seeds.canonicalize().map_err(|e| Error::seeds(seeds, e))?;
    let index_abs = index.canonicalize().ok();
    let (sender, receiver) = mpsc::channel::<notify::Result<Event>>();
    // Links are not followed: folders linked to each other many times would be walked once
    // per path (2^15 walks for fifteen folders linked twice each), as the listing once did.
    let config = notify::Config::default().with_follow_symlinks(false);
    // Opens and reads (a search reading its hits' files, in `sou serve` hundreds a second) are
    // dropped on notify's thread, without waking this one.
    let handler = move |event: notify::Result<Event>| {
        let access =
            matches!(&event, Ok(e) if matches!(e.kind, EventKind::Access(_)) && !e.need_rescan());
        if !access {
            let _ = sender.send(event);
        }
    };
    let mut watcher = RecommendedWatcher::new(handler, config).map_err(|err| Error::Watch {
        path: seeds.to_path_buf(),
        reason: err.to_string(),
    })?;
    let start_watching = |watcher: &mut RecommendedWatcher| {
        watcher
            .watch(&seeds_abs, RecursiveMode::Recursive)
            .map_err(|err| Error::seeds(seeds, err))
    };
    start_watching(&mut watcher)?;
    let mut identity = folder_identity(&seeds_abs);

    let mut run = |report: &mut dyn FnMut(WatchEvent)| -> bool {
        let result = sync();
        let failed = matches!(
            result,
            Err(Error::IndexBusy { .. } | Error::Io { .. } | Error::SeedsFolder { .. })
        );
        report(WatchEvent::Synced(result));
        failed
    };
    let mut retry = run(report);
    let mut last_run = Instant::now();
    // The first and the latest change not yet synced.
    let mut pending: Option<(Instant, Instant)> = None;
    let mut last_folder_check = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        match receiver.recv_timeout(TICK) {
            Ok(Ok(event)) => {
                if may_change_corpus(&event, index_abs.as_deref()) {
                    let now = Instant::now();
                    pending = Some((pending.map_or(now, |(first, _)| first), now));
                }
            }
            // The watcher lost track (a queue overflow, say): look at everything again.
            Ok(Err(_)) => pending = Some((Instant::now(), Instant::now())),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        let due = pending.is_some_and(|(first, last)| {
            last.elapsed() >= DEBOUNCE || first.elapsed() >= MAX_DELAY
        });
        // Before a sync too: a moved folder shows as events, and the sync must list the new one
        // with the watch already on it.
        if due || last_folder_check.elapsed() >= FOLDER_CHECK {
            last_folder_check = Instant::now();
            let now_identity = folder_identity(&seeds_abs);
            if now_identity != identity {
                // The old watch follows the moved folder; drop it (it may already be gone).
                let _ = watcher.unwatch(&seeds_abs);
                match now_identity {
                    None => {
                        report(WatchEvent::FolderGone);
                        identity = None;
                    }
                    Some(_) => match start_watching(&mut watcher) {
                        Ok(()) => {
                            report(WatchEvent::FolderBack);
                            identity = now_identity;
                            pending = Some((Instant::now(), Instant::now()));
                        }
                        // Replaced again while being watched: the next check tries again.
                        Err(_) => identity = None,
                    },
                }
            }
        }
        if due || (retry && identity.is_some() && last_run.elapsed() >= RETRY_AFTER) {
            pending = None;
            retry = run(report);
            last_run = Instant::now();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn temp_seeds() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("seeds")).expect("seeds");
        std::fs::write(dir.path().join("seeds/a.txt"), "安置房").expect("write");
        dir
    }

    /// A sync reads every file, as the real one does: those reads must not trigger more syncs.
    #[test]
    fn reading_the_folder_does_not_trigger_a_sync() {
        let dir = temp_seeds();
        let seeds = dir.path().join("seeds");
        let stop = AtomicBool::new(false);
        let syncs = AtomicUsize::new(0);
        let mut sync = || {
            for entry in std::fs::read_dir(&seeds).expect("list") {
                std::fs::read(entry.expect("entry").path()).expect("read");
            }
            syncs.fetch_add(1, Ordering::Relaxed);
            Ok(SyncReport::default())
        };
        let stopper = || {
            std::thread::sleep(Duration::from_millis(1500));
            stop.store(true, Ordering::Relaxed);
        };
        std::thread::scope(|scope| {
            scope.spawn(stopper);
            watch(
                &seeds,
                &dir.path().join("index"),
                &stop,
                &mut sync,
                &mut |_| {},
            )
            .expect("watch");
        });
        assert_eq!(
            syncs.load(Ordering::Relaxed),
            1,
            "only the first sync may run"
        );
    }

    /// The check above could pass with a watch that never syncs at all: a write must sync, and
    /// after the folder is replaced, a write in the new folder must sync too.
    #[test]
    fn a_write_triggers_a_sync_and_a_replaced_folder_is_watched_again() {
        let dir = temp_seeds();
        let seeds = dir.path().join("seeds");
        let stop = AtomicBool::new(false);
        let syncs = AtomicUsize::new(0);
        let events = std::sync::Mutex::new(Vec::new());
        let mut sync = || {
            syncs.fetch_add(1, Ordering::Relaxed);
            Ok(SyncReport::default())
        };
        let wait_until = |done: &dyn Fn() -> bool| {
            let deadline = Instant::now() + Duration::from_secs(20);
            while !done() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            done()
        };
        let synced_after = |count: usize| wait_until(&|| syncs.load(Ordering::Relaxed) > count);
        let seen = std::thread::scope(|scope| {
            let driver = scope.spawn(|| {
                let mut seen = vec![synced_after(0)];
                let before = syncs.load(Ordering::Relaxed);
                std::fs::write(seeds.join("b.txt"), "高新区").expect("write");
                seen.push(synced_after(before));
                std::fs::rename(&seeds, dir.path().join("old")).expect("move away");
                std::fs::create_dir(&seeds).expect("new seeds");
                let back = || {
                    let events = events.lock().expect("events");
                    events.iter().any(|e| matches!(e, WatchEvent::FolderBack))
                };
                seen.push(wait_until(&back));
                // Let the syncs the replacement caused run, then write in the new folder.
                std::thread::sleep(Duration::from_millis(500));
                let before = syncs.load(Ordering::Relaxed);
                std::fs::write(seeds.join("d.txt"), "时候").expect("write");
                seen.push(synced_after(before));
                stop.store(true, Ordering::Relaxed);
                seen
            });
            watch(
                &seeds,
                &dir.path().join("index"),
                &stop,
                &mut sync,
                &mut |event| events.lock().expect("events").push(event),
            )
            .expect("watch");
            driver.join().expect("driver")
        });
        assert_eq!(seen, vec![true, true, true, true]);
    }
}
