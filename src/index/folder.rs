//! What an index folder holds, and which of it sou may delete. sou deletes only files it can
//! prove it wrote: its marker, its record of checked files, tantivy's bookkeeping files, the files tantivy lists as its own in
//! `.managed.json`, and files named as tantivy names segment files (`<32 hex digits>.idx`, …).
//! Anything else in the folder is someone else's and is never touched; a folder that holds such
//! files and no index is refused.

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// A dot-file that marks a folder as holding a sou index (or one being created).
pub(crate) const MARKER: &str = ".sou-index";

/// tantivy's commit point.
pub(crate) const META: &str = "meta.json";

/// tantivy's list of the files it manages.
const MANAGED: &str = ".managed.json";

/// The lock file tantivy's writer holds (an OS file lock) while it writes.
pub(crate) const WRITER_LOCK: &str = ".tantivy-writer.lock";

/// tantivy's lock files: ours, but kept when the index is replaced, since a replacement happens
/// while holding the writer's lock.
const TANTIVY_LOCKS: [&str; 2] = [".tantivy-meta.lock", WRITER_LOCK];

/// Files that keep an empty folder in version control or that the system drops into any folder:
/// a folder holding only these counts as empty, and they are never deleted.
const PLACEHOLDERS: [&str; 4] = [".gitignore", ".gitkeep", ".keep", ".DS_Store"];

/// The extensions of tantivy's segment files (`<uuid>.<ext>`; deletes are `<uuid>.<n>.del`).
const SEGMENT_EXTENSIONS: [&str; 7] = ["idx", "pos", "term", "store", "fast", "fieldnorm", "temp"];

/// What one entry of an index folder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// sou's marker.
    Marker,
    /// Written by tantivy for sou: may be deleted when the index is replaced.
    Ours,
    /// tantivy's lock files: ours, never deleted.
    Lock,
    /// A placeholder (`.gitignore`): left alone, and does not make the folder foreign.
    Placeholder,
    /// Anything else: not sou's, never deleted.
    Foreign,
}

/// Whether `name` is a tantivy segment file name: 32 lower-case hex digits, then `.idx`, `.pos`,
/// … or `.<digits>.del`, or `.store.temp`.
fn is_segment_file(name: &str) -> bool {
    let Some((uuid, rest)) = name.split_once('.') else {
        return false;
    };
    if uuid.len() != 32 || !uuid.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return false;
    }
    match rest.split_once('.') {
        None => SEGMENT_EXTENSIONS.contains(&rest),
        Some(("store", "temp")) => true,
        Some((opstamp, "del")) => {
            !opstamp.is_empty() && opstamp.bytes().all(|b| b.is_ascii_digit())
        }
        Some(_) => false,
    }
}

fn classify(name: &OsStr, managed: &HashSet<OsString>) -> Kind {
    let Some(text) = name.to_str() else {
        return Kind::Foreign;
    };
    if text == MARKER {
        Kind::Marker
    } else if PLACEHOLDERS.contains(&text) {
        Kind::Placeholder
    } else if TANTIVY_LOCKS.contains(&text) {
        Kind::Lock
    } else if text == META
        || text == MANAGED
        || text == super::checked::CHECKED
        || super::sidecar::is_sidecar(text)
        || managed.contains(name)
        || is_segment_file(text)
    {
        Kind::Ours
    } else {
        Kind::Foreign
    }
}

/// The entries of an index folder, sorted into what sou may delete and what it may not.
#[derive(Debug, Default)]
pub(crate) struct Survey {
    /// The folder carries sou's marker.
    pub marker: bool,
    /// The folder has a commit point (`meta.json`).
    pub meta: bool,
    /// Files sou may delete when it replaces the index.
    pub ours: Vec<PathBuf>,
    /// Names of entries that are not sou's, sorted.
    pub foreign: Vec<OsString>,
}

impl Survey {
    /// Looks at every entry of `dir` (which must be a folder).
    pub fn of(dir: &Path) -> Result<Survey> {
        let managed = managed_files(dir);
        let mut survey = Survey::default();
        let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let name = entry.file_name();
            let is_file = entry.file_type().is_ok_and(|t| t.is_file());
            match classify(&name, &managed) {
                Kind::Marker => survey.marker = true,
                Kind::Placeholder | Kind::Lock => {}
                // A folder named like one of tantivy's files is still not one of them.
                Kind::Ours if is_file => {
                    survey.meta |= name == META;
                    survey.ours.push(entry.path());
                }
                Kind::Ours | Kind::Foreign => survey.foreign.push(name),
            }
        }
        survey.ours.sort();
        survey.foreign.sort();
        Ok(survey)
    }

    /// The first few foreign names, for an error message.
    pub fn foreign_names(&self) -> String {
        const SHOWN: usize = 3;
        let mut names: Vec<String> = self
            .foreign
            .iter()
            .take(SHOWN)
            .map(|n| crate::corpus::key_of(Path::new(""), Path::new(n)))
            .collect();
        if self.foreign.len() > SHOWN {
            names.push(format!("and {} more", self.foreign.len() - SHOWN));
        }
        names.join(", ")
    }
}

/// The files tantivy lists in `.managed.json` (none when it is missing or unreadable).
fn managed_files(dir: &Path) -> HashSet<OsString> {
    let Ok(bytes) = std::fs::read(dir.join(MANAGED)) else {
        return HashSet::new();
    };
    serde_json::from_slice::<Vec<PathBuf>>(&bytes)
        .map(|paths| {
            paths
                .into_iter()
                // Only plain names: a listed path that leaves the folder is not tantivy's.
                .filter(|p| p.components().count() == 1 && p.file_name().is_some())
                .map(PathBuf::into_os_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Deletes the files of `survey` that sou wrote, leaving the marker, placeholders and anything
/// foreign where they are.
pub(crate) fn clear(survey: &Survey) -> Result<()> {
    for path in &survey.ours {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(Error::io(path, err)),
        }
    }
    Ok(())
}

/// The seeds folder the index in `dir` was made for, as its marker names it. `None` when there
/// is no marker, or it is from a sou that did not record the folder.
pub(crate) fn marker_seeds(dir: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(dir.join(MARKER)).ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix("seeds: "))
        .map(|escaped| PathBuf::from(crate::corpus::unescape(escaped)))
}

/// The marker's text for an index of the seeds folder `seeds` (canonical), its bytes kept
/// whatever they are (see [`crate::corpus::escape_os`]).
pub(crate) fn marker_text(seeds: &Path) -> String {
    format!(
        "sou index\nseeds: {}\n",
        crate::corpus::escape_os(seeds.as_os_str())
    )
}

/// Makes the marker of the index in `dir` name `seeds`, when it names another folder or none.
/// Only a record for the user: failing to write it (a read-only folder) loses nothing.
pub(crate) fn claim_marker(dir: &Path, seeds: &Path) {
    if marker_seeds(dir).as_deref() != Some(seeds) {
        let _ = std::fs::write(dir.join(MARKER), marker_text(seeds));
    }
}

/// Whether another process holds the writer's lock on the index in `dir` right now.
pub(crate) fn being_written(dir: &Path) -> bool {
    let Ok(lock) = std::fs::File::open(dir.join(WRITER_LOCK)) else {
        return false;
    };
    // A shared lock is refused only while a writer holds the exclusive one.
    matches!(
        lock.try_lock_shared(),
        Err(std::fs::TryLockError::WouldBlock)
    )
}

/// Takes the writer's lock on the index in `dir`, as tantivy's writer does, so that sou can
/// replace the index files with no other sou process writing them. Released when dropped.
pub(crate) fn lock_writer(dir: &Path) -> Result<std::fs::File> {
    let path = dir.join(WRITER_LOCK);
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    match lock.try_lock() {
        Ok(()) => Ok(lock),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::IndexBusy {
            path: dir.to_path_buf(),
        }),
        Err(std::fs::TryLockError::Error(err)) => Err(Error::io(&path, err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder whose name is not UTF-8 worked once: every later command said the index was
    /// another folder's, since the marker kept the name with its bytes replaced.
    #[cfg(unix)]
    #[test]
    fn the_marker_keeps_any_folder_name() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        for name in [&b"n_\xd0\xc2"[..], b"a\\b", "新闻".as_bytes()] {
            let seeds = Path::new("/data").join(std::ffi::OsStr::from_bytes(name));
            std::fs::write(dir.path().join(MARKER), marker_text(&seeds)).unwrap();
            assert_eq!(marker_seeds(dir.path()).as_deref(), Some(seeds.as_path()));
        }
    }

    #[test]
    fn only_tantivy_names_are_ours() {
        let managed: HashSet<OsString> = [OsString::from("listed.bin")].into_iter().collect();
        let uuid = "0123456789abcdef0123456789abcdef";
        for name in [
            format!("{uuid}.idx"),
            format!("{uuid}.fieldnorm"),
            format!("{uuid}.12.del"),
            format!("{uuid}.store.temp"),
            "meta.json".into(),
            ".managed.json".into(),
            ".sou-checked".into(),
            "listed.bin".into(),
        ] {
            assert_eq!(classify(OsStr::new(&name), &managed), Kind::Ours, "{name}");
        }
        for name in [
            "thesis.docx".to_string(),
            format!("{uuid}.docx"),
            format!("{uuid}x.idx"),
            "0123456789ABCDEF0123456789ABCDEF.idx".into(),
            format!("{uuid}.x.del"),
            format!("{uuid}..del"),
            ".bashrc".into(),
            "meta.json.bak".into(),
        ] {
            assert_eq!(
                classify(OsStr::new(&name), &managed),
                Kind::Foreign,
                "{name}"
            );
        }
        assert_eq!(
            classify(OsStr::new(".gitignore"), &managed),
            Kind::Placeholder
        );
        assert_eq!(
            classify(OsStr::new(".tantivy-writer.lock"), &managed),
            Kind::Lock
        );
        assert_eq!(classify(OsStr::new(MARKER), &managed), Kind::Marker);
    }

    #[test]
    fn clearing_deletes_what_is_ours_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let uuid = "0123456789abcdef0123456789abcdef";
        for name in [
            MARKER,
            "meta.json",
            ".gitignore",
            "thesis.docx",
            ".bashrc",
            &format!("{uuid}.idx"),
        ] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        std::fs::create_dir(dir.path().join(format!("{uuid}.pos"))).unwrap();
        let survey = Survey::of(dir.path()).unwrap();
        assert!(survey.marker && survey.meta);
        clear(&survey).unwrap();
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                ".bashrc",
                ".gitignore",
                MARKER,
                &format!("{uuid}.pos"),
                "thesis.docx"
            ]
        );
    }
}
