//! Listing the seeds folder: which files are articles, which are other files to report once,
//! and which cannot be used, and why. Hidden files and folders and what `.gitignore` and
//! `.ignore` files exclude are left out (with gitignore's rules, from the `ignore` crate, as
//! ripgrep and fd use them); the index folder, when it lies inside, is sou's own and never part
//! of the corpus.
//!
//! Symbolic links to files are followed. A link to a folder is followed after the walk of the
//! real folders, in key order, and only to a folder not listed yet, told by device and inode: a
//! folder reached by many links (folders linked to each other twice each, which multiply paths
//! without end) is listed once, a link to one of its own ancestors is reported as a loop, and a
//! link to a folder listed at its own path adds nothing. Links out of the seeds folder are
//! reported, not followed, unless asked.
//!
//! sou reads the ignore files itself, as it reads its other settings files (see
//! [`super::settings`]): the `ignore` crate would open a FIFO in a `.gitignore`'s place and
//! wait forever, or read a link to `/dev/zero` without end.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::UNIX_EPOCH;

use ignore::gitignore::{Gitignore, GitignoreBuilder};

use super::settings::{MAX_IGNORE_BYTES, SettingsPlace};
use super::{SETTINGS_FILES, Skipped, SourceFile, check_seeds, key_of};
use crate::{Error, Result};

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
    /// seeds folder, FIFOs, unreadable ignore files and the like), sorted by key.
    pub skipped: Vec<Skipped>,
    /// Files and folders left out because an ignore file excludes them.
    pub ignored: usize,
}

/// The same file or folder, told by device and inode (unix), or by canonical path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Identity {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg(not(unix))]
    Path(PathBuf),
}

/// The identity of what `path` names, links followed.
fn identity(path: &Path) -> Option<Identity> {
    identity_of(path, &std::fs::metadata(path).ok()?)
}

fn identity_of(path: &Path, meta: &std::fs::Metadata) -> Option<Identity> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = path;
        Some(Identity::Inode(meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        path.canonicalize().ok().map(Identity::Path)
    }
}

/// Lists every file below `seeds` (see the module documentation) in a stable order. Files that
/// cannot be used are listed as skipped, not errors; only an unusable seeds folder is an error.
pub fn list_files(seeds: &Path, options: &ListOptions) -> Result<Listing> {
    list_files_until(seeds, options, None)
}

/// [`list_files`], stopping with [`Error::Interrupted`] soon after `interrupt` is set.
pub fn list_files_until(
    seeds: &Path,
    options: &ListOptions,
    interrupt: Option<&AtomicBool>,
) -> Result<Listing> {
    check_seeds(seeds)?;
    let root = seeds.canonicalize().map_err(|e| Error::seeds(seeds, e))?;
    let walk = Walk {
        seeds,
        place: SettingsPlace {
            root: root.clone(),
            follow_outside: options.follow_outside,
        },
        options,
        excluded: options.exclude.as_deref().and_then(identity),
        interrupt,
        ignores: Mutex::default(),
        visited: Mutex::default(),
        linked: Mutex::default(),
        ignored: AtomicUsize::new(0),
        stopped: AtomicBool::new(false),
    };
    let mut listing = Listing::default();
    if let Some(id) = identity(&root) {
        walk.lock_visited().insert(id);
    }
    walk.run(seeds, &mut listing);
    // Links to folders, in key order: each folder not listed yet is listed below the first
    // link that reaches it.
    let mut queue = walk.take_linked();
    while let Some(link) = queue.pop() {
        if walk.stopped() {
            break;
        }
        if let Some(skip) = walk.follow(&link) {
            listing.skipped.push(skip);
            continue;
        }
        if walk.followable(&link) {
            walk.run(&link.path, &mut listing);
            let mut more = walk.take_linked();
            // `queue` pops from its end: keep it sorted backwards.
            queue.append(&mut more);
            queue.sort_by(|a, b| b.key.cmp(&a.key));
        }
    }
    if walk.stopped() {
        return Err(Error::Interrupted);
    }
    listing.ignored = walk.ignored.load(Ordering::Relaxed);
    // Keys are unique, so an unstable sort gives one order.
    listing.files.sort_unstable_by(|a, b| a.key.cmp(&b.key));
    listing.files.dedup_by(|a, b| a.key == b.key);
    listing.skipped.sort_by(|a, b| a.key.cmp(&b.key));
    listing.skipped.dedup_by(|a, b| a.key == b.key);
    Ok(listing)
}

/// A symbolic link to a folder, met during a walk and followed after it.
#[derive(Debug)]
struct LinkedFolder {
    key: String,
    /// The link, as walked.
    path: PathBuf,
}

/// The matchers of one folder's ignore files: `.ignore` and `.gitignore`.
#[derive(Debug, Default)]
struct FolderIgnores {
    ignore: Option<Gitignore>,
    gitignore: Option<Gitignore>,
}

/// One listing of a seeds folder: what every walk thread shares.
struct Walk<'a> {
    /// The seeds folder as given: keys are relative to it.
    seeds: &'a Path,
    /// Where links and settings files may lead.
    place: SettingsPlace,
    options: &'a ListOptions,
    excluded: Option<Identity>,
    interrupt: Option<&'a AtomicBool>,
    /// The ignore files of each folder walked, by its path as walked.
    ignores: Mutex<HashMap<PathBuf, Arc<FolderIgnores>>>,
    /// The real folders listed so far.
    visited: Mutex<HashSet<Identity>>,
    /// Links to folders met and not yet followed.
    linked: Mutex<Vec<LinkedFolder>>,
    ignored: AtomicUsize,
    stopped: AtomicBool,
}

/// What the walk found at one entry.
enum Found {
    File(SourceFile),
    Skipped(Skipped),
}

impl Walk<'_> {
    fn lock_visited(&self) -> std::sync::MutexGuard<'_, HashSet<Identity>> {
        self.visited.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn stopped(&self) -> bool {
        if self
            .interrupt
            .is_some_and(|flag| flag.load(Ordering::Relaxed))
        {
            self.stopped.store(true, Ordering::Relaxed);
        }
        self.stopped.load(Ordering::Relaxed)
    }

    /// The links met so far, sorted backwards by key (the queue pops from its end).
    fn take_linked(&self) -> Vec<LinkedFolder> {
        let mut linked =
            std::mem::take(&mut *self.linked.lock().unwrap_or_else(|e| e.into_inner()));
        linked.sort_by(|a, b| b.key.cmp(&a.key));
        linked
    }

    /// Walks the folder at `start` (the seeds folder, or a link to a folder), adding what it
    /// finds to `listing`.
    fn run(&self, start: &Path, listing: &mut Listing) {
        let mut builder = ignore::WalkBuilder::new(start);
        builder
            .follow_links(false)
            .hidden(true)
            .parents(false)
            .ignore(false)
            .git_ignore(false)
            .git_exclude(false)
            .git_global(false)
            .require_git(false);
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
                if self.stopped() {
                    return ignore::WalkState::Quit;
                }
                let (state, one) = self.visit(entry, &mut folder);
                if let Some(one) = one {
                    mine.found.push(one);
                }
                state
            })
        });
        let found = found.into_inner().unwrap_or_else(|e| e.into_inner());
        listing
            .files
            .reserve(found.iter().map(Vec::len).sum::<usize>());
        for one in found.into_iter().flatten() {
            match one {
                Found::File(file) => listing.files.push(file),
                Found::Skipped(skipped) => listing.skipped.push(skipped),
            }
        }
    }

    /// What one entry of a walk is, and whether to go into it.
    fn visit(
        &self,
        entry: std::result::Result<ignore::DirEntry, ignore::Error>,
        folder: &mut OpenFolder,
    ) -> (ignore::WalkState, Option<Found>) {
        use ignore::WalkState::{Continue, Skip};
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let (path, reason) = describe(&err);
                let key = path.map_or_else(|| "?".into(), |p| key_of(self.seeds, &p));
                return (
                    Continue,
                    Some(Found::Skipped(Skipped::problem(key, reason))),
                );
            }
        };
        let path = entry.path();
        let is_link = entry.path_is_symlink();
        let is_dir = match is_link {
            // A broken link is no folder: listing it as a file reports it.
            true => std::fs::metadata(path).is_ok_and(|m| m.is_dir()),
            false => entry.file_type().is_some_and(|t| t.is_dir()),
        };
        if entry.depth() == 0 {
            if !is_link && let Some(id) = entry.metadata().ok().and_then(|m| identity_of(path, &m))
            {
                self.lock_visited().insert(id);
            }
            let skip = self.read_ignore_files(path);
            return (Continue, skip.map(Found::Skipped));
        }
        if self.is_ignored(path, is_dir) {
            self.ignored.fetch_add(1, Ordering::Relaxed);
            return (Skip, None);
        }
        // The settings files are read as such (see `super::settings`), never listed.
        if !is_dir
            && entry.depth() == 1
            && path.parent() == Some(self.seeds)
            && SETTINGS_FILES
                .iter()
                .any(|name| entry.file_name() == std::ffi::OsStr::new(name))
        {
            return (Continue, None);
        }
        let key = key_of(self.seeds, path);
        if is_link && !self.options.follow_outside {
            match path.canonicalize() {
                Ok(target) if !target.starts_with(&self.place.root) => {
                    let reason = format!(
                        "link to {}, outside the seeds folder (--follow-outside follows it)",
                        super::display_os(target.as_os_str())
                    );
                    return (Skip, Some(Found::Skipped(Skipped::problem(key, reason))));
                }
                _ => {}
            }
        }
        if is_dir {
            if is_link {
                let link = LinkedFolder {
                    key,
                    path: path.to_path_buf(),
                };
                self.linked
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(link);
                return (Skip, None);
            }
            let id = entry.metadata().ok().and_then(|m| identity_of(path, &m));
            if id.is_some() && id == self.excluded {
                return (Skip, None);
            }
            if let Some(id) = id
                && !self.lock_visited().insert(id)
            {
                // A bind mount or a hard-linked folder seen before.
                return (Skip, None);
            }
            let skip = self.read_ignore_files(path);
            return (Continue, skip.map(Found::Skipped));
        }
        let found = match examine(path, key, self.options, folder) {
            Ok(file) => Found::File(file),
            Err(skip) => Found::Skipped(skip),
        };
        (Continue, Some(found))
    }

    /// Why the link to a folder `link` is not followed, when that is to be reported: a loop, or
    /// a target that cannot be reached.
    fn follow(&self, link: &LinkedFolder) -> Option<Skipped> {
        let problem = |reason: String| Some(Skipped::problem(link.key.clone(), reason));
        let target = match link.path.canonicalize() {
            Ok(target) => target,
            Err(err) => return problem(err.to_string()),
        };
        let Some(id) = identity(&target) else {
            return problem("cannot be read".into());
        };
        if Some(&id) == self.excluded.as_ref() {
            return None;
        }
        let inside_target = link
            .path
            .parent()
            .and_then(|parent| parent.canonicalize().ok())
            .is_some_and(|parent| parent.starts_with(&target));
        if inside_target {
            return problem("symbolic link loop".into());
        }
        None
    }

    /// Whether the link to a folder `link` leads to one not listed yet, which is then listed
    /// below it.
    fn followable(&self, link: &LinkedFolder) -> bool {
        let Some(id) = identity(&link.path) else {
            return false;
        };
        Some(&id) != self.excluded.as_ref() && self.lock_visited().insert(id)
    }

    /// Reads the ignore files of the folder at `dir` (as walked) for the walk below it; one
    /// that cannot be read is reported.
    fn read_ignore_files(&self, dir: &Path) -> Option<Skipped> {
        if !self.options.respect_ignore_files {
            return None;
        }
        let mut problem = None;
        let mut read = |name: &str| -> Option<Gitignore> {
            let path = dir.join(name);
            let text = match self.place.read_text(&path, MAX_IGNORE_BYTES) {
                Ok(text) => text?,
                Err(err) => {
                    problem = Some(Skipped::problem(
                        key_of(self.seeds, &path),
                        format!("{err}; its rules are not used"),
                    ));
                    return None;
                }
            };
            let mut builder = GitignoreBuilder::new(dir);
            for line in text.lines() {
                // A line that is not a glob is ignored, as git ignores it.
                let _ = builder.add_line(None, line);
            }
            builder.build().ok().filter(|g| !g.is_empty())
        };
        let ignores = FolderIgnores {
            ignore: read(".ignore"),
            gitignore: read(".gitignore"),
        };
        if ignores.ignore.is_some() || ignores.gitignore.is_some() {
            self.ignores
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(dir.to_path_buf(), Arc::new(ignores));
        }
        problem
    }

    /// Whether the ignore files of the folders above `path`, up to the seeds folder, exclude
    /// it: the nearest rule decides, and a rule of `.ignore` beats one of `.gitignore`, as in
    /// ripgrep.
    fn is_ignored(&self, path: &Path, is_dir: bool) -> bool {
        if !self.options.respect_ignore_files {
            return false;
        }
        let chain: Vec<Arc<FolderIgnores>> = {
            let ignores = self.ignores.lock().unwrap_or_else(|e| e.into_inner());
            if ignores.is_empty() {
                return false;
            }
            let mut chain = Vec::new();
            for folder in path.ancestors().skip(1) {
                if let Some(found) = ignores.get(folder) {
                    chain.push(found.clone());
                }
                if folder == self.seeds {
                    break;
                }
            }
            chain
        };
        let decide = |pick: fn(&FolderIgnores) -> Option<&Gitignore>| {
            chain.iter().find_map(|folder| {
                let matched = pick(folder)?.matched(path, is_dir);
                (!matched.is_none()).then(|| matched.is_ignore())
            })
        };
        decide(|f| f.ignore.as_ref())
            .or_else(|| decide(|f| f.gitignore.as_ref()))
            .unwrap_or(false)
    }
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

/// What a file of the walk is: one to list, or one to report (a FIFO, a broken link, one over
/// the size limit).
fn examine(
    path: &Path,
    key: String,
    options: &ListOptions,
    folder: &mut OpenFolder,
) -> std::result::Result<SourceFile, Skipped> {
    // A broken link has no target to stat.
    let meta = match folder.stat(path) {
        Ok(meta) => meta,
        Err(err) => return Err(Skipped::problem(key, err.to_string())),
    };
    if !meta.is_file {
        return Err(Skipped::problem(key, "not a regular file".into()));
    }
    if let Some(reason) = super::document::unreadable_format(path) {
        return Err(Skipped::problem(key, reason.into()));
    }
    if meta.len > options.max_file_bytes {
        let reason = format!(
            "larger than the limit ({} bytes > {})",
            meta.len, options.max_file_bytes
        );
        return Err(Skipped::problem(key, reason));
    }
    let is_article = super::has_extension(path, &options.extensions);
    Ok(SourceFile {
        key,
        path: path.to_path_buf(),
        size: meta.len,
        mtime_ns: meta.mtime_ns,
        is_article,
    })
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
            "b/x.png",
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
                ("b/x.png", false),
                ("z.txt", true)
            ]
        );
        assert!(listing.skipped.is_empty(), "{:?}", listing.skipped);
        // Without ignore files, the ignored files are articles too; more extensions count.
        let options = ListOptions {
            respect_ignore_files: false,
            extensions: vec!["txt".into(), "md".into(), "png".into()],
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

    /// Folders linked to each other twice each, fifteen deep: `sou index` added the one file at
    /// the bottom 32,767 times and ran out of memory with a level more.
    #[cfg(unix)]
    #[test]
    fn folders_linked_many_times_are_listed_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for i in 0..=15 {
            std::fs::create_dir(root.join(format!("d{i}"))).unwrap();
        }
        for i in 0..15 {
            for name in ["x", "y"] {
                std::os::unix::fs::symlink(
                    format!("../d{}", i + 1),
                    root.join(format!("d{i}/{name}")),
                )
                .unwrap();
            }
        }
        std::fs::write(root.join("d15/bottom.txt"), "底部").unwrap();
        // A link to an ancestor is a loop, reported once.
        std::os::unix::fs::symlink("..", root.join("d3/up")).unwrap();
        let started = std::time::Instant::now();
        let listing = list_files(root, &ListOptions::default()).unwrap();
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        let files: Vec<&str> = listing.files.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(files, ["d15/bottom.txt"]);
        let skipped: Vec<(&str, &str)> = listing
            .skipped
            .iter()
            .map(|s| (s.key.as_str(), s.reason.as_str()))
            .collect();
        assert_eq!(skipped, [("d3/up", "symbolic link loop")]);
    }

    /// A folder reached only through links is listed below the first link in key order, the
    /// same on every run.
    #[cfg(unix)]
    #[test]
    fn a_folder_reached_only_through_links_is_listed_below_the_first() {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("seeds");
        std::fs::create_dir_all(root.join(".archive/2024")).unwrap();
        std::fs::write(root.join(".archive/2024/a.txt"), "旧文").unwrap();
        std::os::unix::fs::symlink(".archive", root.join("b-link")).unwrap();
        std::os::unix::fs::symlink(".archive", root.join("a-link")).unwrap();
        std::fs::create_dir(outer.path().join("out")).unwrap();
        std::fs::write(outer.path().join("out/o.txt"), "外").unwrap();
        std::os::unix::fs::symlink(outer.path().join("out"), root.join("o1")).unwrap();
        std::os::unix::fs::symlink(outer.path().join("out"), root.join("o2")).unwrap();
        for _ in 0..3 {
            let listing = list_files(&root, &ListOptions::default()).unwrap();
            let files: Vec<&str> = listing.files.iter().map(|f| f.key.as_str()).collect();
            assert_eq!(files, ["a-link/2024/a.txt"]);
            let outside = listing
                .skipped
                .iter()
                .filter(|s| s.reason.contains("outside"));
            assert_eq!(outside.count(), 2);
            let options = ListOptions {
                follow_outside: true,
                ..ListOptions::default()
            };
            let listing = list_files(&root, &options).unwrap();
            let files: Vec<&str> = listing.files.iter().map(|f| f.key.as_str()).collect();
            assert_eq!(files, ["a-link/2024/a.txt", "o1/o.txt"]);
        }
    }

    /// A FIFO in a `.gitignore`'s place hung every command: the ignore crate read it.
    #[cfg(unix)]
    #[test]
    fn ignore_files_that_are_not_files_are_reported_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::fs::write(root.join("a.txt"), "正文").unwrap();
        std::fs::write(root.join("sub/b.txt"), "正文").unwrap();
        std::fs::write(root.join("sub/c.txt"), "正文").unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(root.join(".gitignore"))
            .status()
            .unwrap();
        assert!(made.success());
        std::os::unix::fs::symlink("/dev/zero", root.join("sub/.ignore")).unwrap();
        std::fs::write(root.join("sub/.gitignore"), "c.txt\n").unwrap();
        let listing = list_files(root, &ListOptions::default()).unwrap();
        let files: Vec<&str> = listing.files.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(files, ["a.txt", "sub/b.txt"]);
        assert_eq!(listing.ignored, 1);
        let skipped: Vec<(&str, &str)> = listing
            .skipped
            .iter()
            .map(|s| (s.key.as_str(), s.reason.as_str()))
            .collect();
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert_eq!(skipped[0].0, ".gitignore");
        assert!(
            skipped[0].1.starts_with("not a regular file"),
            "{skipped:?}"
        );
        assert_eq!(skipped[1].0, "sub/.ignore");
        assert!(
            skipped[1].1.contains("outside the seeds folder"),
            "{skipped:?}"
        );
    }

    #[test]
    fn ignore_rules_follow_gitignore_precedence() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("keep/deep")).unwrap();
        for name in [
            "a.txt",
            "b.txt",
            "keep/a.txt",
            "keep/deep/a.txt",
            "keep/deep/b.txt",
        ] {
            std::fs::write(root.join(name), "正文").unwrap();
        }
        std::fs::write(root.join(".gitignore"), "a.txt\nb.txt\n").unwrap();
        // A nearer rule wins; a rule of .ignore beats one of .gitignore.
        std::fs::write(root.join("keep/.gitignore"), "!a.txt\n").unwrap();
        std::fs::write(root.join(".ignore"), "!b.txt\n").unwrap();
        let listing = list_files(root, &ListOptions::default()).unwrap();
        let files: Vec<&str> = listing.files.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(
            files,
            ["b.txt", "keep/a.txt", "keep/deep/a.txt", "keep/deep/b.txt"]
        );
        assert_eq!(listing.ignored, 1);
    }

    #[test]
    fn an_interrupted_listing_stops() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "正文").unwrap();
        let stop = AtomicBool::new(true);
        let err = list_files_until(dir.path(), &ListOptions::default(), Some(&stop)).unwrap_err();
        assert!(matches!(err, Error::Interrupted), "{err}");
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
