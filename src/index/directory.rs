//! The folder tantivy reads and writes the index in: tantivy's memory-mapped directory, except
//! that an index sou cannot write to (a read-only disk or mount, a folder of another user) can
//! still be searched.
//!
//! tantivy takes a lock file while it opens the segments of a search, so that a writer's
//! cleanup cannot delete them meanwhile; creating that file fails where nothing can be written.
//! There no writer can delete anything either, so the read goes ahead without the lock.

use std::path::Path;
use std::sync::Arc;

use tantivy::directory::error::{
    DeleteError, LockError, OpenDirectoryError, OpenReadError, OpenWriteError,
};
use tantivy::directory::{
    Advice, Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle,
    WritePtr,
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
}

impl IndexDirectory {
    /// The directory of the index folder `dir`, to be read as `access` says.
    pub fn open(dir: &Path, access: Access) -> Result<Self, OpenDirectoryError> {
        let inner = match access {
            Access::Search => MmapDirectory::open_with_madvice(dir, Advice::Random)?,
            Access::Sync => MmapDirectory::open(dir)?,
        };
        Ok(IndexDirectory { inner })
    }
}

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
        self.inner.get_file_handle(path)
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
