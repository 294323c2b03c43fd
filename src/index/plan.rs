//! What a sync will do, decided from the listing and the manifest alone: a pure function, tested
//! without any file or index.

use std::collections::HashMap;

use super::documents::{EntryState, Known};
use super::manifest::Manifest;
use crate::corpus::{self, Skipped, SourceFile};

/// One listed file the sync must read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Todo {
    pub file: SourceFile,
    /// What the manifest knows of the file, when it was indexed before.
    pub known: Option<Known>,
}

/// What a sync will do, decided from the listing and the manifest alone.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Delete everything first and index every file.
    pub clear: bool,
    /// Articles whose size and time match the manifest: not read.
    pub unchanged: usize,
    /// Files to read: new ones, and known ones whose size or time changed.
    pub todo: Vec<Todo>,
    /// Entries the listing could not use and the manifest does not know so (new broken links,
    /// loops, links out of the seeds folder, files over the limit…): recorded and reported,
    /// with what the manifest knew of them.
    pub new_skips: Vec<(Skipped, Option<Known>)>,
    /// Keys of indexed entries no longer listed, sorted, with their passage counts and whether
    /// they were articles.
    pub removed: Vec<Removed>,
    /// Passages the index holds before the sync (0 when it is cleared).
    pub passages_before: u64,
}

/// An entry of the manifest that is no longer listed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Removed {
    pub key: String,
    pub passages: u64,
    /// It was an article (not a skipped file): it counts as removed.
    pub article: bool,
}

impl Plan {
    /// Whether executing the plan would change nothing.
    pub fn is_empty(&self) -> bool {
        !self.clear && self.todo.is_empty() && self.removed.is_empty() && self.new_skips.is_empty()
    }
}

/// Decides what a sync does. `manifest` is what the index holds, with the reasons it records for
/// the keys the listing skipped (`known_reasons`); `clear` when the index must be rebuilt (asked
/// for, new, or made with other settings), in which case the manifest is ignored.
pub(crate) fn plan(
    listing: corpus::Listing,
    manifest: &Manifest,
    known_reasons: &HashMap<String, String>,
    clear: bool,
) -> Plan {
    let empty = Manifest::default();
    let manifest = if clear { &empty } else { manifest };
    let mut plan = Plan {
        clear,
        passages_before: manifest.values().map(|k| k.passages).sum(),
        ..Plan::default()
    };
    // Entries no listed key finds are removed.
    let mut seen = vec![false; manifest.len()];
    let mut look_up = |key: &str| {
        manifest.find(key).map(|(position, known)| {
            seen[position] = true;
            *known
        })
    };
    for skip in listing.skipped {
        let known = look_up(&skip.key);
        let already = known.is_some_and(|k| k.skipped())
            && known_reasons.get(&skip.key) == Some(&skip.reason);
        if !already {
            plan.new_skips.push((skip, known));
        }
    }
    for file in listing.files {
        let known = look_up(&file.key);
        match known {
            // A file that became an article or stopped being one (`--ext` changed) is read
            // again, or its passages go, whatever its size and time.
            Some(k)
                if !k.recheck
                    && k.size == file.size
                    && k.mtime_ns == file.mtime_ns
                    && (k.state == EntryState::OtherType) != file.is_article =>
            {
                if !k.skipped() {
                    plan.unchanged += 1;
                }
            }
            _ => plan.todo.push(Todo { file, known }),
        }
    }
    // In key order, as the manifest is.
    plan.removed = manifest
        .iter()
        .zip(seen)
        .filter(|(_, seen)| !seen)
        .map(|((key, known), _)| Removed {
            key: key.to_string(),
            passages: known.passages,
            article: !known.skipped(),
        })
        .collect();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::DocAddress;

    fn file(key: &str, size: u64, mtime_ns: u64) -> SourceFile {
        SourceFile {
            key: key.into(),
            path: key.into(),
            size,
            mtime_ns,
            is_article: true,
        }
    }

    fn known(size: u64, mtime_ns: u64, passages: u64) -> Known {
        Known {
            record: crate::index::documents::Record {
                size,
                mtime_ns,
                recheck: mtime_ns == 0,
                hash: 7,
                passages,
                state: EntryState::Indexed,
            },
            address: DocAddress::new(0, 0),
        }
    }

    fn listing(files: Vec<SourceFile>, skipped: Vec<Skipped>) -> corpus::Listing {
        corpus::Listing {
            files,
            skipped,
            ignored: 0,
        }
    }

    #[test]
    fn the_plan_reads_only_what_changed_and_removes_what_is_gone() {
        let manifest: Manifest = [
            ("same.txt".to_string(), known(10, 100, 3)),
            ("grown.txt".to_string(), known(10, 100, 4)),
            ("touched.txt".to_string(), known(10, 100, 5)),
            ("racy.txt".to_string(), known(10, 0, 6)),
            ("gone.txt".to_string(), known(10, 100, 7)),
            ("also-gone.txt".to_string(), known(10, 100, 8)),
        ]
        .into_iter()
        .collect();
        let files = vec![
            file("grown.txt", 11, 100),
            file("new.txt", 1, 1),
            file("racy.txt", 10, 0),
            file("same.txt", 10, 100),
            file("touched.txt", 10, 101),
        ];
        let none = HashMap::new();
        let plan = plan(listing(files.clone(), vec![]), &manifest, &none, false);
        assert_eq!(plan.unchanged, 1);
        let todo: Vec<(&str, bool)> = plan
            .todo
            .iter()
            .map(|t| (t.file.key.as_str(), t.known.is_some()))
            .collect();
        assert_eq!(
            todo,
            [
                ("grown.txt", true),
                ("new.txt", false),
                ("racy.txt", true),
                ("touched.txt", true)
            ]
        );
        let removed: Vec<(&str, u64, bool)> = plan
            .removed
            .iter()
            .map(|r| (r.key.as_str(), r.passages, r.article))
            .collect();
        assert_eq!(removed, [("also-gone.txt", 8, true), ("gone.txt", 7, true)]);
        assert_eq!(plan.passages_before, 33);
        assert!(!plan.is_empty());

        // Cleared: every file is read as new, nothing is removed one by one.
        let cleared = super::plan(listing(files, vec![]), &manifest, &none, true);
        assert!(cleared.clear && cleared.removed.is_empty());
        assert_eq!(cleared.todo.len(), 5);
        assert!(cleared.todo.iter().all(|t| t.known.is_none()));
        assert_eq!((cleared.unchanged, cleared.passages_before), (0, 0));
    }

    #[test]
    fn nothing_changed_is_an_empty_plan() {
        let manifest: Manifest = [("a.txt".to_string(), known(10, 100, 3))]
            .into_iter()
            .collect();
        let plan = plan(
            listing(vec![file("a.txt", 10, 100)], vec![]),
            &manifest,
            &HashMap::new(),
            false,
        );
        assert!(plan.is_empty());
        assert_eq!((plan.unchanged, plan.passages_before), (1, 3));
    }

    #[test]
    fn a_file_whose_type_changed_with_the_extensions_is_done_again() {
        let mut page = known(5, 100, 0);
        page.state = EntryState::OtherType;
        let manifest: Manifest = [
            ("page.html".to_string(), page),
            ("a.txt".to_string(), known(10, 100, 3)),
        ]
        .into_iter()
        .collect();
        // `--ext html` added, `txt` dropped: both files are done again, though unchanged.
        let mut text = file("a.txt", 10, 100);
        text.is_article = false;
        let plan = plan(
            listing(vec![text, file("page.html", 5, 100)], vec![]),
            &manifest,
            &HashMap::new(),
            false,
        );
        let todo: Vec<&str> = plan.todo.iter().map(|t| t.file.key.as_str()).collect();
        assert_eq!(todo, ["a.txt", "page.html"]);
        assert_eq!(plan.unchanged, 0);
    }

    #[test]
    fn a_skip_already_recorded_is_not_recorded_or_reported_again() {
        let mut broken = known(0, 0, 0);
        broken.state = EntryState::Skipped;
        let mut pdf = known(5, 100, 0);
        pdf.state = EntryState::OtherType;
        let manifest: Manifest = [
            ("broken.txt".to_string(), broken),
            ("loop".to_string(), broken),
            ("a.pdf".to_string(), pdf),
            ("a.txt".to_string(), known(10, 100, 3)),
        ]
        .into_iter()
        .collect();
        let reasons: HashMap<String, String> = [
            ("broken.txt".to_string(), "No such file".to_string()),
            ("loop".to_string(), "symbolic link loop".to_string()),
        ]
        .into_iter()
        .collect();
        let mut pdf_file = file("a.pdf", 5, 100);
        pdf_file.is_article = false;
        let skips = vec![
            Skipped::problem("broken.txt".into(), "No such file".into()),
            // The reason changed: recorded and reported again.
            Skipped::problem("loop".into(), "not a regular file".into()),
            Skipped::problem("new-broken.txt".into(), "No such file".into()),
        ];
        let plan = plan(
            listing(vec![file("a.txt", 10, 100), pdf_file], skips),
            &manifest,
            &reasons,
            false,
        );
        let new: Vec<&str> = plan.new_skips.iter().map(|(s, _)| s.key.as_str()).collect();
        assert_eq!(new, ["loop", "new-broken.txt"]);
        // Only articles count: the unchanged PDF does not.
        assert_eq!(plan.unchanged, 1);
        assert!(plan.todo.is_empty() && plan.removed.is_empty());
    }
}
