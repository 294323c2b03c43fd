//! The corpus: which files in the seeds folder are articles, how their bytes become text, and how
//! text becomes passages. Nothing here knows about the index.

pub(crate) mod decode;
pub(crate) mod passage;
pub(crate) mod read;

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::{Error, Result};

pub use passage::{Article, Cutter, Emit, Passage, cut_article};

/// The user dictionary's name in the seeds folder's root (see [`crate::analysis::Analyzer`]).
pub const DICT_FILE: &str = "dict.txt";

/// The synonyms file's name in the seeds folder's root (see [`crate::search::Synonyms`]).
pub const SYNONYMS_FILE: &str = "synonyms.txt";

/// Files in the seeds folder's root that configure sou instead of being articles.
const SETTINGS_FILES: [&str; 2] = [DICT_FILE, SYNONYMS_FILE];

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
}

/// What a walk of the seeds folder found.
#[derive(Debug, Default)]
pub struct Listing {
    /// Articles and other files, sorted by key.
    pub files: Vec<SourceFile>,
    /// Entries that cannot be read (broken links, loops, files over the limit).
    pub skipped: Vec<Skipped>,
}

/// Lists every file below `seeds` (hidden files and folders skipped, symbolic links followed),
/// in a stable order: `.txt` and `.md` files are articles, the others are listed to be reported.
/// Files that cannot be used are listed as skipped, not errors; only an unusable seeds folder is
/// an error.
pub fn list_files(seeds: &Path, max_file_bytes: u64) -> Result<Listing> {
    check_seeds(seeds)?;
    let mut listing = Listing::default();
    let walker = walkdir::WalkDir::new(seeds)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| entry.depth() == 0 || !is_hidden(entry.file_name()));
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let key = err
                    .path()
                    .map(|p| key_of(seeds, p))
                    .unwrap_or_else(|| "?".into());
                let reason = if err.loop_ancestor().is_some() {
                    "symbolic link loop".to_string()
                } else {
                    err.io_error()
                        .map_or_else(|| err.to_string(), |io| io.to_string())
                };
                listing.skipped.push(Skipped { key, reason });
                continue;
            }
        };
        let path = entry.path();
        if entry.file_type().is_dir() {
            continue;
        }
        if entry.depth() == 1
            && SETTINGS_FILES
                .iter()
                .any(|name| entry.file_name() == std::ffi::OsStr::new(name))
        {
            continue;
        }
        let key = key_of(seeds, path);
        let meta = match entry.metadata() {
            Ok(meta) => meta,
            Err(err) => {
                let reason = err
                    .io_error()
                    .map_or_else(|| err.to_string(), |io| io.to_string());
                listing.skipped.push(Skipped { key, reason });
                continue;
            }
        };
        if !meta.is_file() {
            listing.skipped.push(Skipped {
                key,
                reason: "not a regular file".into(),
            });
            continue;
        }
        if meta.len() > max_file_bytes {
            listing.skipped.push(Skipped {
                key,
                reason: format!(
                    "larger than the limit ({} bytes > {max_file_bytes})",
                    meta.len()
                ),
            });
            continue;
        }
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64);
        listing.files.push(SourceFile {
            key,
            path: path.to_path_buf(),
            size: meta.len(),
            mtime_ns,
            is_article: is_article_name(path),
        });
    }
    listing.files.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(listing)
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

/// Whether a file or folder name is hidden (a dot-file): hidden ones are not part of the corpus.
pub fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

fn is_article_name(path: &Path) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| ext.eq_ignore_ascii_case("txt") || ext.eq_ignore_ascii_case("md"))
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

    #[test]
    fn lists_txt_and_md_recursively_in_order_skipping_hidden_and_config() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/c")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        for name in [
            "z.txt",
            "a.md",
            "b/c/d.TXT",
            "b/x.pdf",
            ".hidden.txt",
            ".git/e.txt",
            "dict.txt",
            "synonyms.txt",
            "b/dict.txt",
        ] {
            std::fs::write(root.join(name), "正文").unwrap();
        }
        let listing = list_files(root, DEFAULT_MAX_FILE_BYTES).unwrap();
        let keys: Vec<_> = listing
            .files
            .iter()
            .map(|f| (f.key.as_str(), f.is_article))
            .collect();
        assert_eq!(
            keys,
            [
                ("a.md", true),
                ("b/c/d.TXT", true),
                ("b/dict.txt", true),
                ("b/x.pdf", false),
                ("z.txt", true)
            ]
        );
        assert!(listing.skipped.is_empty());
    }

    #[test]
    fn a_file_over_the_limit_is_skipped_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("big.txt"), "字".repeat(100)).unwrap();
        let listing = list_files(dir.path(), 10).unwrap();
        assert!(listing.files.is_empty());
        assert_eq!(listing.skipped[0].key, "big.txt");
        assert!(listing.skipped[0].reason.contains("limit"));
    }

    #[test]
    fn a_missing_seeds_folder_is_an_error_naming_it() {
        let err = list_files(Path::new("/no/such/seeds"), 1).unwrap_err();
        assert!(err.to_string().contains("/no/such/seeds"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn broken_and_looping_links_are_skipped_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::os::unix::fs::symlink(root.join("nowhere.txt"), root.join("broken.txt")).unwrap();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::os::unix::fs::symlink(root, root.join("sub/loop")).unwrap();
        std::fs::write(root.join("ok.txt"), "正文").unwrap();
        let listing = list_files(root, DEFAULT_MAX_FILE_BYTES).unwrap();
        assert_eq!(listing.files.len(), 1);
        let skipped: Vec<_> = listing.skipped.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(skipped, ["broken.txt", "sub/loop"], "{:?}", listing.skipped);
        assert!(listing.skipped[1].reason.contains("loop"));
    }

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
