//! What a search covers: the paths after its query, resolved to the seeds folders that keep an
//! index and the files searched in each (ripgrep's `PATH...`). A path that does not exist is an
//! error, never a query word.

use std::path::{Path, PathBuf};

use anyhow::bail;

/// One seeds folder to search, and which of its articles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The folder as the user gave it (hits are shown below it).
    pub seeds: PathBuf,
    /// Only these articles (paths in the folder, `/`-separated); empty: all of them.
    pub files: Vec<String>,
}

/// The folders and files `paths` name, each file in the indexed folder that holds it.
/// `seeds` is the folder given by `--seeds` (`flag`: a folder path must then be that one) or
/// `$SOU_SEEDS` (which paths override); `is_indexed` says whether a folder already has its
/// index (where a file looks for the folder it belongs to).
///
/// With no path: `seeds`, else `./seeds` when it exists, else the current folder. A file is
/// searched in `seeds` when it is inside it, else in its nearest indexed parent folder, else in
/// the folder holding it.
pub fn resolve(
    paths: &[PathBuf],
    seeds: Option<&Path>,
    flag: bool,
    is_indexed: impl Fn(&Path) -> bool,
) -> anyhow::Result<Vec<Target>> {
    if paths.is_empty() {
        let folder = match seeds {
            Some(seeds) => seeds.to_path_buf(),
            None if Path::new("./seeds").is_dir() => PathBuf::from("./seeds"),
            None => PathBuf::from("."),
        };
        return Ok(vec![Target {
            seeds: folder,
            files: Vec::new(),
        }]);
    }
    // Each folder once, by its canonical path: (canonical, target, whole folder).
    let mut targets: Vec<(PathBuf, Target, bool)> = Vec::new();
    let mut add = |folder: &Path, file: Option<String>| -> anyhow::Result<()> {
        let canonical = canonical(folder)?;
        let at = match targets.iter().position(|(c, _, _)| *c == canonical) {
            Some(at) => at,
            None => {
                let target = Target {
                    seeds: folder.to_path_buf(),
                    files: Vec::new(),
                };
                targets.push((canonical, target, false));
                targets.len() - 1
            }
        };
        let (_, target, whole) = &mut targets[at];
        match file {
            None => {
                *whole = true;
                target.files.clear();
            }
            Some(key) if !*whole && !target.files.contains(&key) => target.files.push(key),
            Some(_) => {}
        }
        Ok(())
    };
    for path in paths {
        let metadata = match std::fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => bail!(
                "{}: no such file or folder (the query is one argument: quote a query of several words, as in sou '安置房 建设')",
                shown(path)
            ),
            Err(err) => bail!("{}: {err}", shown(path)),
        };
        if metadata.is_dir() {
            if let Some(seeds) = seeds.filter(|_| flag)
                && canonical(seeds)? != canonical(path)?
            {
                bail!(
                    "two seeds folders: {} (--seeds) and {} (a path)",
                    shown(seeds),
                    shown(path)
                );
            }
            add(path, None)?;
            continue;
        }
        let file = canonical(path)?;
        let inside_seeds = match seeds {
            Some(seeds) => file
                .starts_with(canonical(seeds)?)
                .then(|| seeds.to_path_buf()),
            None => None,
        };
        let parents = || {
            path.ancestors().skip(1).map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
        };
        let folder = inside_seeds
            .or_else(|| parents().find(|p| is_indexed(p)).map(Path::to_path_buf))
            .or_else(|| parents().next().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("."));
        let key = key_in(&file, &canonical(&folder)?).ok_or_else(|| {
            anyhow::anyhow!(
                "{}: not inside {}, the folder it would be searched in (give that folder instead)",
                shown(path),
                shown(&folder)
            )
        })?;
        add(&folder, Some(key))?;
    }
    Ok(targets.into_iter().map(|(_, target, _)| target).collect())
}

/// `file`'s path in `folder` as the index keys it (`/`-separated), when it is inside it and
/// the path is text.
fn key_in(file: &Path, folder: &Path) -> Option<String> {
    let relative = file.strip_prefix(folder).ok()?;
    let parts: Option<Vec<&str>> = relative
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect();
    parts
        .filter(|parts| !parts.is_empty())
        .map(|parts| parts.join("/"))
}

fn canonical(path: &Path) -> anyhow::Result<PathBuf> {
    path.canonicalize()
        .map_err(|err| anyhow::anyhow!("{}: {err}", shown(path)))
}

fn shown(path: &Path) -> String {
    sou::render::visible(&sou::corpus::display_os(path.as_os_str())).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_and_files_resolve_to_targets_and_missing_paths_are_errors() {
        let root = std::env::temp_dir().join(format!("sou-paths-{}", std::process::id()));
        let news = root.join("news");
        std::fs::create_dir_all(news.join("sub")).unwrap();
        std::fs::write(news.join("a.txt"), "甲").unwrap();
        std::fs::write(news.join("sub/b.txt"), "乙").unwrap();
        let other = root.join("other");
        std::fs::create_dir_all(&other).unwrap();

        let targets = resolve(
            &[news.clone(), other.clone(), news.clone()],
            None,
            false,
            |_| false,
        )
        .unwrap();
        assert_eq!(
            targets,
            [
                Target {
                    seeds: news.clone(),
                    files: vec![]
                },
                Target {
                    seeds: other.clone(),
                    files: vec![]
                }
            ]
        );
        // A file is searched in its nearest indexed folder, else its own folder.
        let b = news.join("sub/b.txt");
        let indexed = |p: &Path| p == news;
        let targets = resolve(&[b.clone(), news.join("a.txt")], None, false, indexed).unwrap();
        assert_eq!(
            targets,
            [Target {
                seeds: news.clone(),
                files: vec!["sub/b.txt".into(), "a.txt".into()]
            }]
        );
        let targets = resolve(std::slice::from_ref(&b), None, false, |_| false).unwrap();
        assert_eq!(
            targets,
            [Target {
                seeds: news.join("sub"),
                files: vec!["b.txt".into()]
            }]
        );
        // A folder given too covers its files.
        let targets = resolve(&[b.clone(), news.clone()], None, false, indexed).unwrap();
        assert_eq!(
            targets,
            [Target {
                seeds: news.clone(),
                files: vec![]
            }]
        );
        // --seeds holds the file.
        let targets = resolve(std::slice::from_ref(&b), Some(&news), false, |_| false).unwrap();
        assert_eq!(
            targets,
            [Target {
                seeds: news.clone(),
                files: vec!["sub/b.txt".into()]
            }]
        );

        let err = resolve(&[root.join("newz")], None, false, |_| false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("newz: no such file or folder"), "{err}");
        let err = resolve(std::slice::from_ref(&other), Some(&news), true, |_| false).unwrap_err();
        assert!(err.to_string().contains("two seeds folders"), "{err}");
        // $SOU_SEEDS is a default: a path given wins.
        let targets = resolve(std::slice::from_ref(&other), Some(&news), false, |_| false).unwrap();
        assert_eq!(
            targets,
            [Target {
                seeds: other.clone(),
                files: vec![]
            }]
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
