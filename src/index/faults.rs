//! Faults of the machine and of the index files, told as the user should hear of them: a write
//! that failed because the disk is full or read-only is said so, rather than by tantivy's
//! account of it; tantivy errors and panics that only damaged files cause are a damaged index.

use crate::{Error, Result};

/// Below this much free space, a write to the index that failed is taken to have failed for
/// lack of space: tantivy often reports only that its writer thread died.
const LOW_SPACE_BYTES: u64 = 64 << 20;

/// A failed sync as the user should hear of it: when the index folder cannot be written (a full
/// disk, a read-only one, a permission), that is said rather than tantivy's account of it.
pub(crate) fn write_fault_in(dir: &std::path::Path, err: Error) -> Error {
    use std::io::ErrorKind as K;
    let io = match &err {
        Error::Io { source, path } if path.starts_with(dir) => Some(source),
        Error::Tantivy { source, .. } => crate::error::io_error_of(source),
        _ => return err,
    };
    let free = || {
        fs4::available_space(dir)
            .or_else(|_| fs4::available_space(dir.parent().unwrap_or(dir)))
            .ok()
    };
    let disk_full = |free: Option<u64>| match free {
        Some(free) => format!(
            "the disk is full ({} free)",
            crate::units::human_bytes(free)
        ),
        None => "the disk is full".to_string(),
    };
    let reason = match io.map(std::io::Error::kind) {
        Some(K::StorageFull | K::QuotaExceeded) => disk_full(free()),
        Some(K::ReadOnlyFilesystem) => "it is on a read-only file system".to_string(),
        Some(K::PermissionDenied) => "permission denied".to_string(),
        _ => match free() {
            Some(free) if free < LOW_SPACE_BYTES => disk_full(Some(free)),
            _ => return err,
        },
    };
    Error::CannotWrite {
        path: dir.to_path_buf(),
        reason,
    }
}

/// Runs `work` on the index in `dir`, turning signs of damaged index files into
/// [`Error::Damaged`]: tantivy errors that only corrupt files cause, and panics, which tantivy
/// raises on some corrupt bytes.
pub(crate) fn guard_index<T>(dir: &std::path::Path, work: impl FnOnce() -> Result<T>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
        Ok(result) => result.map_err(|err| err.damage_in(dir)),
        Err(payload) => {
            let message = crate::error::panic_message(payload.as_ref()).unwrap_or_default();
            Err(Error::Damaged {
                path: dir.to_path_buf(),
                detail: format!("reading it failed: {message}"),
            })
        }
    }
}
