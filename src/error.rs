//! The library's error type: every variant names the file, folder or argument at fault, so the
//! binary can print one clear line without knowing where it came from. Variants say what
//! happened, typed so that a caller can tell them apart (a damaged index, one of another
//! version, a busy one, which operation failed); what the user should do about it is the
//! binary's to say, next to the flags it names.

use std::path::PathBuf;

/// What a panic said, when it said it in text (`panic!("…")` gives a `&str` or a `String`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> Option<String> {
    payload
        .downcast_ref::<&str>()
        .map(|text| text.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
}

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The seeds folder does not exist or is not a folder.
    #[error("seeds folder {}: {reason}", crate::corpus::display_os(path.as_os_str()))]
    SeedsFolder {
        /// The folder as the user gave it.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// The index folder cannot be used (a file, a foreign folder, unreadable).
    #[error("index folder {}: {reason}", crate::corpus::display_os(path.as_os_str()))]
    IndexFolder {
        /// The folder as the user gave it.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// The index files are damaged (truncated, overwritten, partly deleted): only a rebuild helps.
    #[error("index folder {} is damaged ({detail})", crate::corpus::display_os(path.as_os_str()))]
    Damaged {
        /// The index folder.
        path: PathBuf,
        /// What was found wrong, in a few words.
        detail: String,
    },
    /// The index cannot be written: the disk is full, read-only, or not ours to write.
    #[error("cannot write the index in {}: {reason}", crate::corpus::display_os(path.as_os_str()))]
    CannotWrite {
        /// The index folder.
        path: PathBuf,
        /// Why, in a few words.
        reason: String,
    },
    /// The index folder holds no index yet.
    #[error(
        "index folder {} holds no index yet",
        crate::corpus::display_os(path.as_os_str())
    )]
    NoIndex {
        /// The index folder.
        path: PathBuf,
    },
    /// The index folder holds an index sou made with another schema (another version).
    #[error(
        "index folder {} was built by another version of sou",
        crate::corpus::display_os(path.as_os_str())
    )]
    OtherVersion {
        /// The index folder.
        path: PathBuf,
    },
    /// The index folder holds the index of another seeds folder.
    #[error(
        "index folder {} holds the index of {}, not of {}",
        crate::corpus::display_os(index.as_os_str()),
        crate::corpus::display_os(owner.as_os_str()),
        crate::corpus::display_os(seeds.as_os_str())
    )]
    IndexOfAnotherFolder {
        /// The index folder.
        index: PathBuf,
        /// The seeds folder it was made for.
        owner: PathBuf,
        /// The seeds folder it was asked to serve.
        seeds: PathBuf,
    },
    /// Another process holds the index writer.
    #[error("index folder {} is busy: another sou process is updating it", crate::corpus::display_os(path.as_os_str()))]
    IndexBusy {
        /// The index folder.
        path: PathBuf,
    },
    /// A cluster refused a request or could not be reached.
    #[error("cluster {node}: {reason}")]
    Cluster {
        /// The node asked (`host:port`).
        node: String,
        /// Its reason, in one line.
        reason: String,
    },
    /// A query that cannot be run.
    #[error("query: {0}")]
    Query(String),
    /// A path after the query that names no file of a cluster index.
    #[error(
        "{path}: the cluster index holds no file there (with --server a path names files by their path in the folder sent)"
    )]
    NotInCluster {
        /// The path as given.
        path: String,
    },
    /// A `--glob` that is not a glob.
    #[error("--glob {glob}: {reason}")]
    Glob {
        /// The glob as given.
        glob: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Watching the seeds folder for changes failed.
    #[error("watching {}: {reason}", crate::corpus::display_os(path.as_os_str()))]
    Watch {
        /// The folder watched.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// An I/O error on a named path.
    #[error("{}: {source}", crate::corpus::display_os(path.as_os_str()))]
    Io {
        /// The file or folder being read or written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An error from tantivy, with what sou was doing.
    #[error("index {op} {what}: {source}")]
    Tantivy {
        /// The operation that failed.
        op: Op,
        /// What it was done on (a folder, the manifest, an article).
        what: String,
        /// The underlying error.
        source: tantivy::TantivyError,
    },
    /// Indexing was interrupted (Ctrl-C) after the last commit.
    #[error("interrupted; the index holds everything committed before the interruption")]
    Interrupted,
    /// `sou serve` could not listen where it was asked to.
    #[error("cannot listen on {address}: {reason}")]
    Listen {
        /// The address asked for.
        address: std::net::SocketAddr,
        /// Why.
        reason: String,
    },
}

/// What sou was doing with the index when tantivy failed: reading operations meet damaged
/// files, writing ones meet the machine's faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Opening the index, its reader or its writer.
    Open,
    /// Reading what it holds (the manifest, documents, segments' metadata).
    Read,
    /// Searching it.
    Search,
    /// Creating a new one.
    Create,
    /// Adding or deleting documents.
    Write,
    /// Committing.
    Commit,
    /// Merging segments.
    Merge,
}

impl Op {
    /// Whether the operation only reads the index.
    pub fn reads(self) -> bool {
        matches!(self, Op::Open | Op::Read | Op::Search)
    }
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Op::Open => "opening",
            Op::Read => "reading",
            Op::Search => "searching",
            Op::Create => "creating",
            Op::Write => "writing",
            Op::Commit => "committing to",
            Op::Merge => "merging",
        })
    }
}

impl Error {
    /// A seeds folder that cannot be used, and why.
    pub fn seeds(path: &std::path::Path, reason: impl std::fmt::Display) -> Self {
        Error::SeedsFolder {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// This error as seen from the index in `dir`: a tantivy error that can only come from
    /// damaged files becomes [`Error::Damaged`]; anything else is returned as it is.
    pub fn damage_in(self, dir: &std::path::Path) -> Self {
        match self {
            Error::Tantivy { source, op, .. } if is_damage(op, &source) => Error::Damaged {
                path: dir.to_path_buf(),
                detail: damage_detail(&source),
            },
            other => other,
        }
    }

    /// A tantivy error while doing `op` on `what`.
    pub fn tantivy(op: Op, what: impl std::fmt::Display, source: tantivy::TantivyError) -> Self {
        Error::Tantivy {
            op,
            what: what.to_string(),
            source,
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Whether an I/O error met while reading the index comes from its bytes rather than from the
/// machine (a full disk, a permission, no memory), which a rebuild would not cure.
fn is_damaged_data(err: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    !matches!(
        err.kind(),
        K::PermissionDenied
            | K::StorageFull
            | K::QuotaExceeded
            | K::ReadOnlyFilesystem
            | K::FileTooLarge
            | K::OutOfMemory
            | K::Interrupted
            | K::WouldBlock
            | K::ResourceBusy
            | K::TimedOut
    )
}

/// Whether `err`, met while doing `op`, means the index files are not what tantivy wrote:
/// corrupt, cut short, or gone. Faults of the machine (a full disk, a permission), and any I/O
/// error while writing, are not damage: a rebuild would not help.
fn is_damage(op: Op, err: &tantivy::TantivyError) -> bool {
    use tantivy::TantivyError as T;
    use tantivy::directory::error::OpenReadError;
    match err {
        T::DataCorruption(_) | T::IncompatibleIndex(_) | T::SchemaError(_) => true,
        T::DeserializeError(_) => true,
        T::InternalError(_) => true,
        // sou's schema has every field it asks for: a column missing from a segment's fast
        // fields is a damaged file (seen with flipped bytes in a `.fast` file).
        T::FieldNotFound(_) => op.reads(),
        T::OpenReadError(
            OpenReadError::FileDoesNotExist(_) | OpenReadError::IncompatibleIndex(_),
        ) => true,
        T::OpenReadError(OpenReadError::IoError { io_error, .. }) => is_damaged_data(io_error),
        T::IoError(io_error) => op.reads() && is_damaged_data(io_error),
        _ => false,
    }
}

/// The I/O error inside a tantivy error, if there is one.
pub(crate) fn io_error_of(err: &tantivy::TantivyError) -> Option<&std::io::Error> {
    use tantivy::TantivyError as T;
    use tantivy::directory::error::{LockError, OpenDirectoryError, OpenWriteError};
    match err {
        T::IoError(io) => Some(io),
        T::OpenReadError(tantivy::directory::error::OpenReadError::IoError {
            io_error, ..
        }) => Some(io_error),
        T::OpenWriteError(OpenWriteError::IoError { io_error, .. }) => Some(io_error),
        T::LockFailure(LockError::IoError(io), _) => Some(io),
        T::OpenDirectoryError(OpenDirectoryError::IoError { io_error, .. }) => Some(io_error),
        _ => None,
    }
}

/// A few words on what is wrong: the file at fault when tantivy names it.
fn damage_detail(err: &tantivy::TantivyError) -> String {
    use tantivy::TantivyError as T;
    use tantivy::directory::error::OpenReadError;
    match err {
        T::DataCorruption(corruption) => {
            // tantivy 0.27 gives no accessor for the file, only this Debug text (which also
            // holds the file's first bytes): keep only its name.
            let text = format!("{corruption:?}");
            match text
                .split_once("in file `\"")
                .and_then(|(_, rest)| rest.split_once('"'))
            {
                Some((file, _)) => format!("{file} is corrupt"),
                None => "corrupt data".to_string(),
            }
        }
        T::OpenReadError(OpenReadError::FileDoesNotExist(path)) => {
            format!("{} is missing", path.display())
        }
        T::OpenReadError(OpenReadError::IoError { filepath, .. }) => {
            format!("{} is corrupt or cut short", filepath.display())
        }
        T::IncompatibleIndex(_) | T::OpenReadError(OpenReadError::IncompatibleIndex(_)) => {
            "a file is corrupt or from another version".to_string()
        }
        _ => "a file is corrupt or cut short".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panics_text_is_read_whether_literal_or_formatted() {
        let literal = std::panic::catch_unwind(|| panic!("literal")).unwrap_err();
        let formatted = std::panic::catch_unwind(|| panic!("formatted {}", 2)).unwrap_err();
        let other = std::panic::catch_unwind(|| std::panic::panic_any(7u8)).unwrap_err();
        assert_eq!(panic_message(literal.as_ref()).as_deref(), Some("literal"));
        assert_eq!(
            panic_message(formatted.as_ref()).as_deref(),
            Some("formatted 2")
        );
        assert_eq!(panic_message(other.as_ref()), None);
    }
}
