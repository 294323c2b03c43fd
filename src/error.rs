//! The library's error type: every variant names the file, folder or argument at fault, so the
//! binary can print one clear line without knowing where it came from.

use std::path::PathBuf;

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The seeds folder does not exist or is not a folder.
    #[error("seeds folder {path}: {reason}")]
    SeedsFolder {
        /// The folder as the user gave it.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// The index folder cannot be used (a file, a foreign folder, unreadable).
    #[error("index folder {path}: {reason}")]
    IndexFolder {
        /// The folder as the user gave it.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// Another process holds the index writer.
    #[error("index folder {path} is busy: another sou process is updating it")]
    IndexBusy {
        /// The index folder.
        path: PathBuf,
    },
    /// A query that cannot be run.
    #[error("query: {0}")]
    Query(String),
    /// A configuration file in the seeds folder (dict.txt, synonyms.txt) is unusable.
    #[error("{path}: {reason}")]
    Config {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// An I/O error on a named path.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder being read or written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An error from tantivy, with what we were doing.
    #[error("index {context}: {source}")]
    Tantivy {
        /// What sou was doing.
        context: String,
        /// The underlying error.
        source: tantivy::TantivyError,
    },
    /// Indexing was interrupted (Ctrl-C) after the last commit.
    #[error("interrupted; the index holds everything committed before the interruption")]
    Interrupted,
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A tantivy error while doing `context`.
    pub fn tantivy(context: impl Into<String>, source: tantivy::TantivyError) -> Self {
        Error::Tantivy {
            context: context.into(),
            source,
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
