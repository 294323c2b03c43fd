//! Listing the seeds folder: which files are articles, which are other files to report once,
//! and which cannot be used, and why. Hidden files and folders and what `.gitignore` and
//! `.ignore` files exclude are left out (the `ignore` crate, as ripgrep and fd use it); symbolic
//! links are followed, but not out of the seeds folder unless asked; the index folder, when it
//! lies inside, is sou's own and never part of the corpus.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::UNIX_EPOCH;

use super::{SETTINGS_FILES, Skipped, SourceFile, check_seeds, key_of};
use crate::Result;

/// What a listing takes in and leaves out.
#[derive(Debug, Clone)]
pub struct ListOptions {
    /// Files larger than this are skipped.
    pub max_file_bytes: u64,
    /// File extensions (lower case, without the dot) that make a file an article.
    pub extensions: Vec<String>,
    /// Leave out what `.gitignore` and `.ignore` files exclude.
    pub respect_ignore_files: bool,
    /// Follow symbolic links that lead out of the seeds folder.
    pub follow_outside: bool,
    /// A folder never to list (the index folder).
    pub exclude: Option<PathBuf>,
}

impl Default for ListOptions {
    fn default() -> Self {
        ListOptions {
            max_file_bytes: super::DEFAULT_MAX_FILE_BYTES,
            extensions: super::DEFAULT_EXTENSIONS
                .iter()
                .map(|e| e.to_string())
                .collect(),
            respect_ignore_files: true,
            follow_outside: false,
            exclude: None,
        }
    }
}

/// What a walk of the seeds folder found.
#[derive(Debug, Default)]
pub struct Listing {
    /// Articles and other files, sorted by key.
    pub files: Vec<SourceFile>,
    /// Entries that cannot be used (broken links, loops, files over the limit, links out of the
    /// seeds folder, FIFOs and the like), sorted by key.
    pub skipped: Vec<Skipped>,
}

/// The same file or folder, told by device and inode (unix), or by canonical path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Identity {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg(not(unix))]
    Path(PathBuf),
}

fn identity(path: &Path) -> Option<Identity> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).ok()?;
        Some(Identity::Inode(meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        path.canonicalize().ok().map(Identity::Path)
    }
}

/// Lists every file below `seeds` (see the module documentation) in a stable order. Files that
/// cannot be used are listed as skipped, not errors; only an unusable seeds folder is an error.
pub fn list_files(seeds: &Path, options: &ListOptions) -> Result<Listing> {
    check_seeds(seeds)?;
    let root = seeds
        .canonicalize()
        .map_err(|e| crate::Error::SeedsFolder {
            path: seeds.to_path_buf(),
            reason: e.to_string(),
        })?;
    let excluded = options.exclude.as_deref().and_then(identity);
    // Links found leading out of the seeds folder, reported by the filter that leaves them out.
    let outside: Arc<Mutex<Vec<Skipped>>> = Arc::default();
    let mut builder = ignore::WalkBuilder::new(seeds);
    builder
        .follow_links(true)
        .hidden(true)
        .parents(false)
        .ignore(options.respect_ignore_files)
        .git_ignore(options.respect_ignore_files)
        .git_exclude(false)
        .git_global(false)
        .require_git(false);
    {
        let (seeds, root, outside) = (seeds.to_path_buf(), root.clone(), outside.clone());
        let follow_outside = options.follow_outside;
        builder.filter_entry(move |entry| {
            if entry.depth() == 0 {
                return true;
            }
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if is_dir && excluded.is_some() && identity(entry.path()).as_ref() == excluded.as_ref()
            {
                return false;
            }
            if entry.path_is_symlink()
                && !follow_outside
                && let Ok(target) = entry.path().canonicalize()
                && !target.starts_with(&root)
            {
                let key = key_of(&seeds, entry.path());
                let mut outside = outside.lock().unwrap_or_else(|e| e.into_inner());
                outside.push(Skipped::problem(
                    key,
                    format!(
                        "link to {}, outside the seeds folder (--follow-outside follows it)",
                        target.display()
                    ),
                ));
                return false;
            }
            true
        });
    }
    // Two threads or more list faster than one: most of the time goes to the file system's
    // lookups, which run in parallel (470,000 files: 2.5 s on one thread).
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
    builder.threads(threads);
    // Each thread keeps what it finds and hands it over once, when the walk drops it.
    let found: Mutex<Vec<Vec<Found>>> = Mutex::default();
    builder.build_parallel().run(|| {
        let mut mine = Handover {
            found: Vec::new(),
            to: &found,
        };
        let mut folder = OpenFolder::default();
        Box::new(move |entry| {
            if let Some(one) = examine(entry, seeds, options, &mut folder) {
                mine.found.push(one);
            }
            ignore::WalkState::Continue
        })
    });
    let found = found.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut listing = Listing::default();
    listing
        .files
        .reserve(found.iter().map(Vec::len).sum::<usize>());
    for one in found.into_iter().flatten() {
        match one {
            Found::File(file) => listing.files.push(file),
            Found::Skipped(skipped) => listing.skipped.push(skipped),
        }
    }
    listing
        .skipped
        .extend(outside.lock().unwrap_or_else(|e| e.into_inner()).drain(..));
    // Keys are unique, so an unstable sort gives one order.
    listing.files.sort_unstable_by(|a, b| a.key.cmp(&b.key));
    listing.skipped.sort_by(|a, b| a.key.cmp(&b.key));
    listing.skipped.dedup_by(|a, b| a.key == b.key);
    Ok(listing)
}

/// What one thread of the walk found, handed over when the thread is done with it.
struct Handover<'a> {
    found: Vec<Found>,
    to: &'a Mutex<Vec<Vec<Found>>>,
}

impl Drop for Handover<'_> {
    fn drop(&mut self) {
        let found = std::mem::take(&mut self.found);
        self.to
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(found);
    }
}

/// What the walk found at one entry.
enum Found {
    File(SourceFile),
    Skipped(Skipped),
}

/// What one entry of the walk is: a file to list, one to report, or nothing (a folder, the seeds
/// folder itself, a settings file).
fn examine(
    entry: std::result::Result<ignore::DirEntry, ignore::Error>,
    seeds: &Path,
    options: &ListOptions,
    folder: &mut OpenFolder,
) -> Option<Found> {
    let entry = match entry {
        Ok(entry) => entry,
        Err(err) => {
            let (path, reason) = describe(&err);
            let key = path.map_or_else(|| "?".into(), |p| key_of(seeds, &p));
            return Some(Found::Skipped(Skipped::problem(key, reason)));
        }
    };
    if entry.depth() == 0 || entry.file_type().is_some_and(|t| t.is_dir()) {
        return None;
    }
    let path = entry.path();
    if entry.depth() == 1
        && SETTINGS_FILES
            .iter()
            .any(|name| entry.file_name() == std::ffi::OsStr::new(name))
    {
        return None;
    }
    let key = key_of(seeds, path);
    // A broken link has no target to stat.
    let meta = match folder.stat(path) {
        Ok(meta) => meta,
        Err(err) => return Some(Found::Skipped(Skipped::problem(key, err.to_string()))),
    };
    if !meta.is_file {
        return Some(Found::Skipped(Skipped::problem(
            key,
            "not a regular file".into(),
        )));
    }
    if meta.len > options.max_file_bytes {
        let reason = format!(
            "larger than the limit ({} bytes > {})",
            meta.len, options.max_file_bytes
        );
        return Some(Found::Skipped(Skipped::problem(key, reason)));
    }
    let is_article = super::has_extension(path, &options.extensions);
    Some(Found::File(SourceFile {
        key,
        path: entry.into_path(),
        size: meta.len,
        mtime_ns: meta.mtime_ns,
        is_article,
    }))
}

/// What the listing needs to know of a file, links followed.
struct FileStat {
    is_file: bool,
    len: u64,
    mtime_ns: u64,
}

/// The folder of the last file one walk thread stat'ed, kept open so that the next file in it is
/// stat'ed relative to it: a stat by full path looks up every component again, a fifth of a
/// no-op sync over 470,000 files. Dropped with its thread, at the end of the walk.
#[derive(Default)]
struct OpenFolder {
    #[cfg(unix)]
    open: Option<(PathBuf, std::os::fd::OwnedFd)>,
}

impl OpenFolder {
    /// Stats `path`, links followed.
    #[cfg(unix)]
    fn stat(&mut self, path: &Path) -> std::io::Result<FileStat> {
        use std::ffi::CString;
        use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
        use std::os::unix::ffi::OsStrExt;

        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return stat_by_path(path);
        };
        let Ok(name) = CString::new(name.as_bytes()) else {
            return stat_by_path(path);
        };
        if self.open.as_ref().is_none_or(|(open, _)| open != parent) {
            self.open = None;
            let Ok(c_parent) = CString::new(parent.as_os_str().as_bytes()) else {
                return stat_by_path(path);
            };
            // SAFETY: a valid NUL-terminated path; the descriptor returned is checked and owned.
            let fd = unsafe {
                libc::open(
                    c_parent.as_ptr(),
                    libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
                )
            };
            if fd < 0 {
                return stat_by_path(path);
            }
            // SAFETY: `fd` was just opened and nothing else owns it.
            self.open = Some((parent.to_path_buf(), unsafe { OwnedFd::from_raw_fd(fd) }));
        }
        let Some((_, fd)) = self.open.as_ref() else {
            return stat_by_path(path);
        };
        let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: an open folder descriptor, a NUL-terminated name and room for the result.
        let rc = unsafe { libc::fstatat(fd.as_raw_fd(), name.as_ptr(), st.as_mut_ptr(), 0) };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: fstatat succeeded, so it filled `st`.
        let st = unsafe { st.assume_init() };
        let mtime = (st.st_mtime as i128) * 1_000_000_000 + st.st_mtime_nsec as i128;
        Ok(FileStat {
            is_file: st.st_mode & libc::S_IFMT == libc::S_IFREG,
            len: st.st_size as u64,
            mtime_ns: u64::try_from(mtime).unwrap_or(0),
        })
    }

    #[cfg(not(unix))]
    fn stat(&mut self, path: &Path) -> std::io::Result<FileStat> {
        stat_by_path(path)
    }
}

/// The size and modification time of `path` (links followed), as the listing records them.
pub fn size_and_mtime(path: &Path) -> std::io::Result<(u64, u64)> {
    stat_by_path(path).map(|stat| (stat.len, stat.mtime_ns))
}

fn stat_by_path(path: &Path) -> std::io::Result<FileStat> {
    let meta = std::fs::metadata(path)?;
    Ok(FileStat {
        is_file: meta.is_file(),
        len: meta.len(),
        mtime_ns: meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64),
    })
}

/// The path an error of the walk is about, and why, in words.
fn describe(err: &ignore::Error) -> (Option<PathBuf>, String) {
    match err {
        ignore::Error::WithPath { path, err } => (Some(path.clone()), describe(err).1),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            describe(err)
        }
        ignore::Error::Loop { child, .. } => (Some(child.clone()), "symbolic link loop".into()),
        ignore::Error::Io(io) => (None, io.to_string()),
        ignore::Error::Partial(errors) => errors
            .first()
            .map_or((None, "unreadable ignore file".into()), describe),
        other => (None, other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(listing: &Listing) -> Vec<(&str, bool)> {
        listing
            .files
            .iter()
            .map(|f| (f.key.as_str(), f.is_article))
            .collect()
    }

    #[test]
    fn lists_articles_recursively_in_order_skipping_hidden_ignored_and_settings() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/c")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("drafts")).unwrap();
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
            "drafts/draft.txt",
            "old.txt",
        ] {
            std::fs::write(root.join(name), "正文").unwrap();
        }
        std::fs::write(root.join(".gitignore"), "drafts/\n").unwrap();
        std::fs::write(root.join(".ignore"), "old.txt\n").unwrap();
        let listing = list_files(root, &ListOptions::default()).unwrap();
        assert_eq!(
            keys(&listing),
            [
                ("a.md", true),
                ("b/c/d.TXT", true),
                ("b/dict.txt", true),
                ("b/x.pdf", false),
                ("z.txt", true)
            ]
        );
        assert!(listing.skipped.is_empty(), "{:?}", listing.skipped);
        // Without ignore files, the ignored files are articles too; more extensions count.
        let options = ListOptions {
            respect_ignore_files: false,
            extensions: vec!["txt".into(), "md".into(), "pdf".into()],
            ..ListOptions::default()
        };
        let listing = list_files(root, &options).unwrap();
        let all: Vec<&str> = listing.files.iter().map(|f| f.key.as_str()).collect();
        assert!(all.contains(&"drafts/draft.txt") && all.contains(&"old.txt"));
        assert!(listing.files.iter().all(|f| f.is_article));
    }

    #[test]
    fn a_file_over_the_limit_is_skipped_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("big.txt"), "字".repeat(100)).unwrap();
        let options = ListOptions {
            max_file_bytes: 10,
            ..ListOptions::default()
        };
        let listing = list_files(dir.path(), &options).unwrap();
        assert!(listing.files.is_empty());
        assert_eq!(listing.skipped[0].key, "big.txt");
        assert!(listing.skipped[0].reason.contains("limit"));
    }

    #[test]
    fn a_missing_seeds_folder_is_an_error_naming_it() {
        let err = list_files(Path::new("/no/such/seeds"), &ListOptions::default()).unwrap_err();
        assert!(err.to_string().contains("/no/such/seeds"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn broken_looping_and_outside_links_are_skipped_with_a_reason() {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("seeds");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(outer.path().join("secret.txt"), "密").unwrap();
        std::os::unix::fs::symlink(root.join("nowhere.txt"), root.join("broken.txt")).unwrap();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::os::unix::fs::symlink(&root, root.join("sub/loop")).unwrap();
        std::os::unix::fs::symlink(outer.path().join("secret.txt"), root.join("x.txt")).unwrap();
        std::os::unix::fs::symlink(root.join("ok.txt"), root.join("inside.txt")).unwrap();
        std::fs::write(root.join("ok.txt"), "正文").unwrap();
        let listing = list_files(&root, &ListOptions::default()).unwrap();
        let files: Vec<&str> = listing.files.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(files, ["inside.txt", "ok.txt"]);
        let skipped: Vec<&str> = listing.skipped.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(
            skipped,
            ["broken.txt", "sub/loop", "x.txt"],
            "{:?}",
            listing.skipped
        );
        assert!(listing.skipped[1].reason.contains("loop"));
        assert!(
            listing.skipped[2]
                .reason
                .contains("outside the seeds folder")
        );
        // Asked to, sou follows it.
        let options = ListOptions {
            follow_outside: true,
            ..ListOptions::default()
        };
        let listing = list_files(&root, &options).unwrap();
        assert!(listing.files.iter().any(|f| f.key == "x.txt"));
    }

    #[cfg(unix)]
    #[test]
    fn the_index_folder_and_links_to_it_are_never_listed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("idx")).unwrap();
        std::fs::write(root.join("idx/meta.json"), "{}").unwrap();
        std::fs::write(root.join("idx/abc.txt"), "x").unwrap();
        std::os::unix::fs::symlink(root.join("idx"), root.join("link")).unwrap();
        std::fs::write(root.join("a.txt"), "正文").unwrap();
        let options = ListOptions {
            exclude: Some(root.join("idx")),
            ..ListOptions::default()
        };
        let listing = list_files(root, &options).unwrap();
        let files: Vec<&str> = listing.files.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(files, ["a.txt"]);
        assert!(listing.skipped.is_empty(), "{:?}", listing.skipped);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_skipped_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.txt");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let listing = list_files(dir.path(), &ListOptions::default()).unwrap();
        assert!(listing.files.is_empty());
        assert_eq!(listing.skipped[0].reason, "not a regular file");
    }
}
