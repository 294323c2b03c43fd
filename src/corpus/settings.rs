//! Opening the files that configure sou rather than being articles — `dict.txt` and
//! `synonyms.txt` at the top of the seeds folder, and the `.gitignore` and `.ignore` files of
//! every folder — the way articles are opened: regular files only, never waiting (a FIFO or a
//! device in a settings file's place would hang every command), no larger than a documented
//! cap (a link to `/dev/zero` would grow without end), and not through a link that leads out of
//! the seeds folder unless the user asked for that (`--follow-outside`).

use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest `dict.txt` or `synonyms.txt` read. Both are parsed once per change, not per search
/// (see [`crate::search::Synonyms`] and [`crate::analysis::dictionary`]), so the cap only keeps
/// a wrong file (a corpus saved under the wrong name, a link to a device) from taking the
/// machine's memory.
pub const MAX_SETTINGS_BYTES: u64 = 64 * 1024 * 1024;

/// Largest ignore file read: ignore files are read on every listing.
pub const MAX_IGNORE_BYTES: u64 = 1024 * 1024;

/// Why a settings file could not be read.
#[derive(Debug)]
pub enum SettingsError {
    /// Not a regular file (a FIFO, a socket, a device, a folder).
    NotRegular,
    /// A link whose target lies outside the seeds folder.
    Outside(PathBuf),
    /// Larger than the cap.
    TooLarge {
        /// The file's size.
        size: u64,
        /// The cap.
        cap: u64,
    },
    /// The file could not be opened or read.
    Io(std::io::Error),
}

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SettingsError::NotRegular => f.write_str("not a regular file"),
            SettingsError::Outside(target) => write!(
                f,
                "a link to {}, outside the seeds folder (--follow-outside follows it)",
                crate::corpus::display_os(target.as_os_str())
            ),
            SettingsError::TooLarge { size, cap } => {
                write!(f, "larger than the limit ({size} bytes > {cap})")
            }
            SettingsError::Io(err) => write!(f, "{err}"),
        }
    }
}

/// Where a settings file may come from.
#[derive(Debug, Clone)]
pub struct SettingsPlace {
    /// The seeds folder, canonical: a link must stay inside it.
    pub root: PathBuf,
    /// Links may lead out of the seeds folder.
    pub follow_outside: bool,
}

impl SettingsPlace {
    /// The place of the settings of `seeds`; `None` when the folder cannot be resolved (the
    /// command reports that on its own).
    pub fn of(seeds: &Path, follow_outside: bool) -> Option<SettingsPlace> {
        Some(SettingsPlace {
            root: seeds.canonicalize().ok()?,
            follow_outside,
        })
    }

    /// What a settings file is, without reading it: its size and time when it is a file that
    /// may be read, `Ok(None)` when there is none.
    pub fn stat(&self, path: &Path) -> Result<Option<(u64, u64)>, SettingsError> {
        let link = match std::fs::symlink_metadata(path) {
            Ok(meta) => meta,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(SettingsError::Io(err)),
        };
        if link.file_type().is_symlink() && !self.follow_outside {
            let target = path.canonicalize().map_err(SettingsError::Io)?;
            if !target.starts_with(&self.root) {
                return Err(SettingsError::Outside(target));
            }
        }
        let meta = std::fs::metadata(path).map_err(SettingsError::Io)?;
        if !meta.is_file() {
            return Err(SettingsError::NotRegular);
        }
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64);
        Ok(Some((meta.len(), mtime)))
    }

    /// The bytes of the settings file at `path`, at most `cap` of them; `Ok(None)` when there is
    /// no such file.
    pub fn read(&self, path: &Path, cap: u64) -> Result<Option<Vec<u8>>, SettingsError> {
        let Some((size, _)) = self.stat(path)? else {
            return Ok(None);
        };
        if size > cap {
            return Err(SettingsError::TooLarge { size, cap });
        }
        let file = super::read::open_regular(path).map_err(|err| match err.kind() {
            std::io::ErrorKind::NotFound => SettingsError::Io(err),
            _ if err.to_string() == "not a regular file" => SettingsError::NotRegular,
            _ => SettingsError::Io(err),
        })?;
        // The size may have changed since the stat: never read past the cap.
        let mut bytes = Vec::with_capacity(size.min(cap) as usize);
        file.take(cap + 1)
            .read_to_end(&mut bytes)
            .map_err(SettingsError::Io)?;
        if bytes.len() as u64 > cap {
            return Err(SettingsError::TooLarge {
                size: bytes.len() as u64,
                cap,
            });
        }
        Ok(Some(bytes))
    }

    /// The text of the settings file at `path`, decoded as articles are (a GBK file saved on
    /// Windows works); `Ok(None)` when there is none.
    pub fn read_text(&self, path: &Path, cap: u64) -> Result<Option<String>, SettingsError> {
        let Some(bytes) = self.read(path, cap)? else {
            return Ok(None);
        };
        super::read::decode_whole(&bytes)
            .map(Some)
            .map_err(SettingsError::Io)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn place(dir: &Path) -> SettingsPlace {
        SettingsPlace::of(dir, false).unwrap()
    }

    #[test]
    fn a_fifo_a_device_and_a_folder_are_refused_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("dict.txt");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let place = place(dir.path());
        assert!(matches!(
            place.read(&fifo, MAX_SETTINGS_BYTES),
            Err(SettingsError::NotRegular)
        ));
        std::fs::create_dir(dir.path().join("synonyms.txt")).unwrap();
        assert!(matches!(
            place.read(&dir.path().join("synonyms.txt"), MAX_SETTINGS_BYTES),
            Err(SettingsError::NotRegular)
        ));
        // A link to a device, allowed out of the folder: still not a file.
        let zero = dir.path().join("zero.txt");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let anywhere = SettingsPlace {
            follow_outside: true,
            ..place.clone()
        };
        assert!(matches!(
            anywhere.read(&zero, MAX_SETTINGS_BYTES),
            Err(SettingsError::NotRegular)
        ));
        assert!(matches!(
            place.read(&zero, MAX_SETTINGS_BYTES),
            Err(SettingsError::Outside(_))
        ));
        assert!(
            place
                .read(&dir.path().join("none.txt"), 10)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_link_out_of_the_folder_and_a_file_over_the_cap_are_refused() {
        let outer = tempfile::tempdir().unwrap();
        let seeds = outer.path().join("seeds");
        std::fs::create_dir(&seeds).unwrap();
        std::fs::write(outer.path().join("words.txt"), "外面的词\n").unwrap();
        std::os::unix::fs::symlink(outer.path().join("words.txt"), seeds.join("dict.txt")).unwrap();
        let place = place(&seeds);
        let err = place.read(&seeds.join("dict.txt"), 100).unwrap_err();
        assert!(
            err.to_string().contains("outside the seeds folder"),
            "{err}"
        );
        let anywhere = SettingsPlace {
            follow_outside: true,
            ..place.clone()
        };
        assert_eq!(
            anywhere
                .read_text(&seeds.join("dict.txt"), 100)
                .unwrap()
                .unwrap(),
            "外面的词\n"
        );
        std::fs::write(seeds.join("synonyms.txt"), "一 二\n".repeat(10)).unwrap();
        let err = place.read(&seeds.join("synonyms.txt"), 20).unwrap_err();
        assert!(err.to_string().contains("larger than the limit"), "{err}");
        // A link inside the folder is fine.
        std::os::unix::fs::symlink(seeds.join("synonyms.txt"), seeds.join("inside.txt")).unwrap();
        assert!(
            place
                .read(&seeds.join("inside.txt"), 1000)
                .unwrap()
                .is_some()
        );
    }
}
