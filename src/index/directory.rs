//! The folder tantivy reads and writes the index in: tantivy's memory-mapped directory, except
//! that an index sou cannot write to (a read-only disk or mount, a folder of another user) can
//! still be searched.
//!
//! tantivy takes a lock file while it opens the segments of a search, so that a writer's
//! cleanup cannot delete them meanwhile; creating that file fails where nothing can be written.
//! There no writer can delete anything either, so the read goes ahead without the lock.
//!
//! It also gives back the pages a merge has read (see [`MappedFiles`]).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tantivy::directory::error::{
    DeleteError, LockError, OpenDirectoryError, OpenReadError, OpenWriteError,
};
use tantivy::directory::{
    Advice, Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, OwnedBytes, WatchCallback,
    WatchHandle, WritePtr,
};

/// How the index files will be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// A search: a few postings, a few documents, scattered over a large index. The kernel is
    /// told not to map the pages around each one read (64 kB of them by default), which only
    /// swell the resident set: a word search on 1.6 GB of text touched 200 MB that way.
    Search,
    /// A sync: manifests read whole, segments merged start to end.
    Sync,
}

/// tantivy's [`MmapDirectory`], readable where it cannot be written.
#[derive(Debug, Clone)]
pub(crate) struct IndexDirectory {
    inner: MmapDirectory,
    mapped: Arc<MappedFiles>,
}

impl IndexDirectory {
    /// The directory of the index folder `dir`, to be read as `access` says.
    pub fn open(dir: &Path, access: Access) -> Result<Self, OpenDirectoryError> {
        let inner = match access {
            Access::Search => MmapDirectory::open_with_madvice(dir, Advice::Random)?,
            Access::Sync => MmapDirectory::open(dir)?,
        };
        Ok(IndexDirectory {
            inner,
            mapped: Arc::default(),
        })
    }

    /// The files this directory maps, for [`MappedFiles::release_while`].
    pub fn mapped(&self) -> Arc<MappedFiles> {
        Arc::clone(&self.mapped)
    }
}

/// How often the pages of the files a merge reads are given back.
const RELEASE_EVERY: Duration = Duration::from_millis(250);

/// The index files opened while a merge runs, whose pages are given back to the kernel as the
/// merge goes.
///
/// A merge reads its segments start to end through their memory maps, and every page it touches
/// stays mapped, and counted in the process's resident set, until the merge drops its maps at
/// the end: merging the 69 segments of 1.6 GB of text into one peaked at 3.7 GB resident, and
/// on 200 MB `RssFile` (in `/proc/PID/status`) grew to 460 MB while `RssAnon` stayed under
/// 50 MB. Those pages belong to the kernel's page cache, not to sou, but a user watching `top`
/// cannot tell, and a memory bound on the process counts them. While
/// [`MappedFiles::release_while`] runs, every file opened is remembered and its pages are
/// unmapped (`MADV_DONTNEED`) every [`RELEASE_EVERY`]: a page read again is mapped again from
/// the page cache, and the resident set holds only what the merge read in the last quarter
/// second.
#[derive(Debug, Default)]
pub(crate) struct MappedFiles {
    recording: AtomicBool,
    files: Mutex<Vec<OwnedBytes>>,
}

impl MappedFiles {
    fn opened(&self, handle: &dyn FileHandle) {
        if !self.recording.load(Ordering::Acquire) {
            return;
        }
        if let Ok(bytes) = handle.read_bytes(0..handle.len()) {
            self.files
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(bytes);
        }
    }

    /// Runs `work`, giving back the pages of the files it opens as it goes. The files stay
    /// mapped until `work` returns.
    pub fn release_while<T>(&self, work: impl FnOnce() -> T) -> T {
        self.recording.store(true, Ordering::Release);
        let done = AtomicBool::new(false);
        let result = std::thread::scope(|scope| {
            scope.spawn(|| {
                let mut waited = Duration::ZERO;
                let step = Duration::from_millis(10);
                while !done.load(Ordering::Acquire) {
                    std::thread::sleep(step);
                    waited += step;
                    if waited >= RELEASE_EVERY {
                        waited = Duration::ZERO;
                        self.release();
                    }
                }
            });
            let result = work();
            done.store(true, Ordering::Release);
            result
        });
        self.recording.store(false, Ordering::Release);
        self.files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        result
    }

    fn release(&self) {
        let files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        for bytes in files.iter() {
            release_pages(bytes.as_slice());
        }
    }
}

/// Unmaps the pages of `mapped`, the whole of a file's read-only memory map, from the process;
/// they stay in the page cache, and a later read maps them again.
#[cfg(unix)]
fn release_pages(mapped: &[u8]) {
    let start = mapped.as_ptr();
    // SAFETY: sysconf has no preconditions.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(0);
    // Only a whole map is released: it starts on a page. A file read into memory instead (an
    // empty one, another directory) is left alone.
    if mapped.is_empty() || page == 0 || !(start as usize).is_multiple_of(page) {
        return;
    }
    // SAFETY: the range is a read-only file mapping kept alive by `mapped`'s owner. Dropping its
    // pages changes no byte anyone reads: the next access maps the same file pages again.
    unsafe {
        libc::madvise(start.cast_mut().cast(), mapped.len(), libc::MADV_DONTNEED);
    }
}

#[cfg(not(unix))]
fn release_pages(_mapped: &[u8]) {}

/// Whether a lock file could not be made because nothing can be written here.
fn cannot_write(err: &LockError) -> bool {
    match err {
        LockError::IoError(io) => matches!(
            io.kind(),
            std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
        ),
        LockError::LockBusy => false,
    }
}

impl Directory for IndexDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        let handle = self.inner.get_file_handle(path)?;
        self.mapped.opened(handle.as_ref());
        Ok(handle)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.inner.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.inner.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.inner.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> std::io::Result<()> {
        self.inner.atomic_write(path, data)
    }

    fn sync_directory(&self) -> std::io::Result<()> {
        self.inner.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        match self.inner.acquire_lock(lock) {
            // Only the reader's lock (the blocking one) is let go; a writer must hold its own.
            Err(err) if lock.is_blocking && cannot_write(&err) => {
                Ok(DirectoryLock::from(Box::new(())))
            }
            other => other,
        }
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(watch_callback)
    }
}
