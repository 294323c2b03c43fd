//! The corpus: which files in the seeds folder are articles, how their bytes become text, and how
//! text becomes passages. Nothing here knows about the index.

pub(crate) mod decode;
pub(crate) mod passage;
pub(crate) mod read;
mod walk;

use std::path::{Path, PathBuf};

use crate::{Error, Result};

pub use passage::{Article, Cutter, Emit, Passage, cut_article};
pub use walk::{ListOptions, Listing, list_files};

/// The file extensions that make a file an article unless told otherwise.
pub const DEFAULT_EXTENSIONS: [&str; 2] = ["txt", "md"];

/// The user dictionary's name in the seeds folder's root (see [`crate::analysis::Analyzer`]).
pub const DICT_FILE: &str = "dict.txt";

/// The synonyms file's name in the seeds folder's root (see [`crate::search::Synonyms`]).
pub const SYNONYMS_FILE: &str = "synonyms.txt";

/// Files in the seeds folder's root that configure sou instead of being articles.
pub(crate) const SETTINGS_FILES: [&str; 2] = [DICT_FILE, SYNONYMS_FILE];

/// Files larger than this are skipped unless the caller sets another limit.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// A file below the seeds folder that is an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The path inside the seeds folder, `/`-separated: the key the index knows it by.
    pub key: String,
    /// The path to open it by.
    pub path: PathBuf,
    /// Size in bytes when listed.
    pub size: u64,
    /// Modification time in nanoseconds since the epoch when listed (0 if unknown).
    pub mtime_ns: u64,
    /// Whether it is an article (`.txt`, `.md`) or another file, which is only reported.
    pub is_article: bool,
}

/// A file that is not indexed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The path inside the seeds folder, as displayed.
    pub key: String,
    /// Why it was skipped.
    pub reason: String,
    /// Whether it is a file of another type (not an article by its extension) rather than one
    /// sou could not use: those are counted, not warned about one by one.
    pub other_type: bool,
}

impl Skipped {
    /// A file sou could not use.
    pub fn problem(key: String, reason: String) -> Self {
        Skipped {
            key,
            reason,
            other_type: false,
        }
    }

    /// A file of another type than articles.
    pub fn other_type(key: String) -> Self {
        let reason = match key.rsplit_once('.') {
            Some((_, ext)) if !ext.contains('/') => format!("not an article (.{ext})"),
            _ => "not an article (no extension)".to_string(),
        };
        Skipped {
            key,
            reason,
            other_type: true,
        }
    }

    /// The file's extension, lower case, for counting files of other types.
    pub fn extension(&self) -> String {
        match self.key.rsplit_once('.') {
            Some((_, ext)) if !ext.contains('/') => ext.to_lowercase(),
            _ => String::new(),
        }
    }
}

/// Fails unless `seeds` is a folder that can be read.
pub fn check_seeds(seeds: &Path) -> Result<()> {
    let meta = std::fs::metadata(seeds).map_err(|e| Error::SeedsFolder {
        path: seeds.to_path_buf(),
        reason: e.to_string(),
    })?;
    if !meta.is_dir() {
        return Err(Error::SeedsFolder {
            path: seeds.to_path_buf(),
            reason: "not a folder".into(),
        });
    }
    Ok(())
}

/// The seeds folder as given joined with an article key: the path a user can open.
pub fn display_path(seeds: &Path, key: &str) -> String {
    let seeds = seeds.to_string_lossy();
    if seeds.is_empty() {
        return key.to_string();
    }
    if seeds.ends_with('/') {
        format!("{seeds}{key}")
    } else {
        format!("{seeds}/{key}")
    }
}

/// The key of `path` inside `root`: its components joined by `/`. A component that is not valid
/// UTF-8 keeps its valid parts and shows each invalid byte as `\xNN`, so that two different names
/// never share a key and the key still reads as the name.
pub fn key_of(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let mut key = String::new();
    for component in relative.components() {
        if !key.is_empty() {
            key.push('/');
        }
        push_escaped(&mut key, component.as_os_str().as_encoded_bytes());
    }
    key
}

/// Appends a name's bytes: valid UTF-8 as it is, but for a backslash, which is doubled; each
/// invalid byte as `\xNN`. So `caf\xE9` typed as text (`caf\\xE9`) and the byte 0xE9
/// (`caf\xE9`) never share a key.
fn push_escaped(out: &mut String, mut bytes: &[u8]) {
    let push_valid = |out: &mut String, valid: &str| {
        for c in valid.chars() {
            if c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    };
    loop {
        match std::str::from_utf8(bytes) {
            Ok(valid) => {
                push_valid(out, valid);
                return;
            }
            Err(err) => {
                let (valid, rest) = bytes.split_at(err.valid_up_to());
                push_valid(out, std::str::from_utf8(valid).unwrap_or_default());
                let bad = err.error_len().unwrap_or(rest.len());
                for byte in &rest[..bad] {
                    out.push_str(&format!("\\x{byte:02X}"));
                }
                bytes = &rest[bad..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn non_utf8_names_get_distinct_readable_keys() {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"caf\xE9 \xE4\xB8\xAD.txt");
        let key = key_of(Path::new("/s"), &Path::new("/s").join(name));
        assert_eq!(key, "caf\\xE9 中.txt");
        // The same characters typed in a valid name make another key.
        let typed = key_of(Path::new("/s"), Path::new("/s/caf\\xE9 中.txt"));
        assert_eq!(typed, "caf\\\\xE9 中.txt");
        assert_ne!(key, typed);
    }
}
