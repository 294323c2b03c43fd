//! Which segments are merged, and when.
//!
//! Two rules. While a sync writes, tantivy's log merge policy merges the small segments that
//! commits leave, three at a time, but never one past [`SMALL_DOCS`]: a full build does not
//! stop to merge what it has just written, and a small edit never waits for a large merge.
//! After the last commit of a sync that wrote at least a large segment's worth (a build, a big
//! change), [`run`] merges the large segments, which a build leaves one per writer thread and 128 MB of arena
//! (69 of them for 1.6 GB of text): a search pays for every segment it opens, and each segment
//! repeats the term dictionary. On 1.6 GB, one segment instead of 69 took a search of `微信`
//! from 62 to 11 ms and the index from 3.8 to 2.9 GB.
//!
//! Large segments are grouped by size in levels a factor of [`LEVEL_RATIO`] apart, and a level
//! is merged once it holds [`MERGE_AT`] segments, into one segment per writer thread (merged at
//! the same time). A build thus ends with one segment per thread; a sync that adds a little
//! leaves the large segments alone; and each document is merged again only when its level
//! fills up, a logarithmic number of times over the life of the index. The segments between
//! small and large that such a sync finds (the last one of each writer thread) go into its
//! smaller merge, or are merged together when it runs none.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use tantivy::index::SegmentId;
use tantivy::indexer::LogMergePolicy;
use tantivy::{IndexWriter, SegmentMeta};

use super::SouIndex;
use crate::error::Op;
use crate::{Error, Result};

/// Segments with more documents than this are left to [`planned`] (about 12 MB of text).
const MAX_DOCS_TO_MERGE: usize = 20_000;

#[cfg(test)]
thread_local! {
    /// A size of large segment a test sets, so that a few documents make one.
    pub(crate) static LARGE_DOCS: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Segments with more documents than this are large: [`MAX_DOCS_TO_MERGE`], unless a test
/// says otherwise.
pub(crate) fn large_docs() -> usize {
    #[cfg(test)]
    if let Some(docs) = LARGE_DOCS.with(std::cell::Cell::get) {
        return docs;
    }
    MAX_DOCS_TO_MERGE
}

/// Sizes within this factor of each other are one level.
const LEVEL_RATIO: u32 = 4;

/// Large segments of one level that start a merge.
const MERGE_AT: usize = 4;

/// Segments with more documents than this are left alone by tantivy's policy, which a sync
/// waits for: merging a whole small index into each 1-file edit's segment took 0.6 s of a
/// 0.7 s edit at 2,000 files. Between this and [`large_docs`], a segment stays as it is until
/// a sync that wrote a large segment's worth ends (see [`plan`]).
const SMALL_DOCS: usize = 4_000;

/// tantivy's merge policy for the small segments that commits leave: every sync that changes
/// something commits one, and a search opens every segment, so they are merged three at a time
/// rather than tantivy's eight — but never a segment past [`SMALL_DOCS`], so that a small
/// change never waits for a large merge.
pub(crate) fn small_segments_policy() -> LogMergePolicy {
    let mut policy = LogMergePolicy::default();
    policy.set_min_num_segments(3);
    policy.set_max_docs_before_merge(SMALL_DOCS.min(large_docs()));
    policy
}

/// A segment, as the consolidation sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SegmentSize<Id> {
    pub id: Id,
    /// Live documents: what tantivy's policy counts too, so that a segment is either small, and
    /// its policy's to merge, or large, and [`planned`]'s — never both at once.
    pub docs: u32,
}

/// The level of a large segment: 0 for those up to [`LEVEL_RATIO`] times the smallest large
/// size, then one more for each factor of [`LEVEL_RATIO`].
fn level(docs: u32) -> u32 {
    let times = docs / u32::try_from(large_docs()).unwrap_or(u32::MAX);
    times.max(1).ilog(LEVEL_RATIO)
}

/// The merges to run: for each level holding [`MERGE_AT`] or more large segments, and twice
/// `ways` at least (so that the `ways` segments a merge leaves do not call for another), its
/// segments in up to `ways` groups of about equal size, two segments at least in each. With
/// `middle`, the segments between small and large (the last of each writer thread's, and what
/// tantivy's policy makes of small ones) go too: into the merge with the fewest documents when
/// there is one, else into one of their own when they are two or more. Each segment costs a
/// search its lookups: a build of 200 MB left three of 10,000–17,000 documents beside its two
/// large ones, and the median typo query there took 14.5 ms on those five, 13.4 on three and
/// 12.2 on two (with `rg -F -l` at 250 ms).
pub(crate) fn plan<Id: Copy>(
    segments: &[SegmentSize<Id>],
    ways: usize,
    middle: bool,
) -> Vec<Vec<Id>> {
    let ways = ways.max(1);
    let mut by_level: std::collections::BTreeMap<u32, Vec<SegmentSize<Id>>> = Default::default();
    let mut between = Vec::new();
    for segment in segments {
        let docs = segment.docs as usize;
        if docs > large_docs() {
            by_level
                .entry(level(segment.docs))
                .or_default()
                .push(*segment);
        } else if docs > SMALL_DOCS.min(large_docs()) {
            between.push(*segment);
        }
    }
    // Each merge with the documents it holds.
    let mut merges: Vec<(u64, Vec<Id>)> = Vec::new();
    for (_, mut level) in by_level {
        if level.len() < MERGE_AT.max(2 * ways) {
            continue;
        }
        let ways = ways.clamp(1, level.len() / 2);
        // Largest first, each to the group with fewest documents so far.
        level.sort_by_key(|s| std::cmp::Reverse(s.docs));
        let mut groups: Vec<(u64, Vec<Id>)> = vec![(0, Vec::new()); ways];
        for segment in level {
            if let Some(group) = groups.iter_mut().min_by_key(|(docs, _)| *docs) {
                group.0 += u64::from(segment.docs);
                group.1.push(segment.id);
            }
        }
        merges.extend(groups);
    }
    if middle {
        let docs: u64 = between.iter().map(|s| u64::from(s.docs)).sum();
        let ids = between.iter().map(|s| s.id);
        match merges.iter_mut().min_by_key(|(docs, _)| *docs) {
            Some(group) if !between.is_empty() => {
                group.0 += docs;
                group.1.extend(ids);
            }
            None if between.len() >= 2 => merges.push((docs, ids.collect())),
            _ => {}
        }
    }
    merges.into_iter().map(|(_, ids)| ids).collect()
}

/// Whether [`planned`] has merges of large segments to run: after a sync interrupted while
/// merging, the next one finishes the work even when no file changed. Segments between small
/// and large alone do not make it due: a sync that changed nothing never waits for them.
pub(crate) fn due(index: &SouIndex, ways: usize) -> Result<bool> {
    Ok(!plan(&sizes(index)?, ways, false).is_empty())
}

/// The merges [`plan`] picks among the index's searchable segments, for [`run`] after a sync
/// that wrote a large segment's worth: those between small and large included.
pub(crate) fn planned(index: &SouIndex, ways: usize) -> Result<Vec<Vec<SegmentId>>> {
    Ok(plan(&sizes(index)?, ways, true))
}

/// The searchable segments' sizes. Only ids are kept: a segment whose metadata is held is not
/// deleted once merged away.
fn sizes(index: &SouIndex) -> Result<Vec<SegmentSize<SegmentId>>> {
    Ok(index
        .index
        .searchable_segment_metas()
        .map_err(|e| merge_error(index, e))?
        .iter()
        .map(|meta: &SegmentMeta| SegmentSize {
            id: meta.id(),
            docs: meta.num_docs(),
        })
        .collect())
}

fn merge_error(index: &SouIndex, err: tantivy::TantivyError) -> Error {
    Error::tantivy(Op::Merge, index.dir.display(), err)
}

/// Runs `merges` (see [`planned`]) at the same time and waits for them. The pages they read are given back as
/// they go (see [`super::directory::MappedFiles`]). When `interrupt` is raised, returns
/// [`Error::Interrupted`] at once: the index is as last committed, and the merges are dropped
/// with the writer.
pub(crate) fn run(
    writer: &mut IndexWriter,
    index: &SouIndex,
    merges: &[Vec<SegmentId>],
    interrupt: Option<&AtomicBool>,
) -> Result<()> {
    if merges.is_empty() {
        return Ok(());
    }
    // Ctrl-C during the last commit: no merge is started.
    if interrupt.is_some_and(|i| i.load(Ordering::Relaxed)) {
        return Err(Error::Interrupted);
    }
    index.mapped.release_while(|| {
        let (done, finished) = mpsc::channel();
        for ids in merges {
            let merge = writer.merge(ids);
            let done = done.clone();
            // A merge is waited for on a thread of its own, so that Ctrl-C is heard meanwhile;
            // the thread ends with the merge, or with the process.
            std::thread::spawn(move || {
                let _ = done.send(merge.wait());
            });
        }
        drop(done);
        let mut left = merges.len();
        while left > 0 {
            if interrupt.is_some_and(|i| i.load(Ordering::Relaxed)) {
                return Err(Error::Interrupted);
            }
            match finished.recv_timeout(Duration::from_millis(50)) {
                Ok(result) => {
                    match result {
                        // A segment already in another merge, or merged away meanwhile: the
                        // index is as committed, and the next sync plans again.
                        Ok(_) | Err(tantivy::TantivyError::InvalidArgument(_)) => {}
                        Err(err) => return Err(merge_error(index, err)),
                    }
                    left -= 1;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::sync::SyncOptions;
    use crate::index::testing;

    /// An empty seeds folder and its index on one writer thread (one segment a commit).
    struct Folder {
        dir: tempfile::TempDir,
        seeds: std::path::PathBuf,
    }

    impl Folder {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let seeds = dir.path().join("seeds");
            std::fs::create_dir_all(&seeds).unwrap();
            Folder { dir, seeds }
        }

        fn index(&self) -> std::path::PathBuf {
            self.dir.path().join("index")
        }

        fn sync(&self, options: &SyncOptions<'_>) -> Result<crate::index::sync::SyncReport> {
            testing::sync(&self.seeds, &self.index(), 1, options)
        }

        fn hits(&self, text: &str) -> Vec<(String, u64)> {
            testing::passages_holding(&self.index(), text)
        }
    }

    /// A small index written by two syncs, so in two segments (tantivy's policy merges three).
    fn two_segments() -> Folder {
        let folder = Folder::new();
        for half in [0..6, 6..12] {
            for i in half {
                let text =
                    format!("第{i}号通知\n\n高新区安置房第{i}期今年建成。\n\n其他内容{i}。\n");
                std::fs::write(folder.seeds.join(format!("{i:02}.txt")), text).unwrap();
            }
            folder.sync(&SyncOptions::default()).unwrap();
        }
        folder
    }

    #[test]
    fn a_merge_keeps_the_commit_and_deletes_what_it_merged() {
        let folder = two_segments();
        let index_dir = folder.index();
        let before = (folder.hits("安置房"), folder.hits("第7号"));
        let index = SouIndex::open_or_create(&index_dir, &folder.seeds).unwrap();
        let payload = index.payload().unwrap();
        let ids = index.index.searchable_segment_ids().unwrap();
        assert_eq!(ids.len(), 2, "the syncs left {} segments", ids.len());

        let mut writer = index.writer(1, 50_000_000).unwrap();
        run(&mut writer, &index, std::slice::from_ref(&ids), None).unwrap();
        writer.wait_merging_threads().unwrap();

        let after = index.index.searchable_segment_ids().unwrap();
        assert_eq!(after.len(), 1);
        assert!(!ids.contains(&after[0]));
        let files: Vec<String> = std::fs::read_dir(&index_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        for id in &ids {
            let name = id.uuid_string();
            assert!(
                !files.iter().any(|f| f.starts_with(&name)),
                "{name} merged away but still on disk"
            );
        }
        assert_eq!(index.payload().unwrap(), payload);
        assert_eq!((folder.hits("安置房"), folder.hits("第7号")), before);
        assert_eq!(before.0.len(), 12);
    }

    #[test]
    fn an_interrupt_leaves_the_merge_and_the_index_as_committed() {
        let folder = two_segments();
        let before = folder.hits("安置房");
        let index = SouIndex::open_or_create(&folder.index(), &folder.seeds).unwrap();
        let ids = index.index.searchable_segment_ids().unwrap();
        assert_eq!(ids.len(), 2);
        let interrupt = AtomicBool::new(true);
        let mut writer = index.writer(1, 50_000_000).unwrap();
        let outcome = run(&mut writer, &index, &[ids], Some(&interrupt));
        assert!(matches!(outcome, Err(Error::Interrupted)), "{outcome:?}");
        drop(writer);
        assert_eq!(folder.hits("安置房"), before);
    }

    fn sized(docs: &[u32]) -> Vec<SegmentSize<usize>> {
        docs.iter()
            .enumerate()
            .map(|(id, &docs)| SegmentSize { id, docs })
            .collect()
    }

    fn docs_of(segments: &[SegmentSize<usize>], ids: &[usize]) -> u64 {
        ids.iter().map(|&i| u64::from(segments[i].docs)).sum()
    }

    #[test]
    fn a_sync_with_nothing_to_read_runs_the_merges_an_interrupt_left() {
        // Segments of more than ten documents are large here: each sync below makes one of 12.
        LARGE_DOCS.with(|d| d.set(Some(10)));
        let folder = Folder::new();
        let seeds = &folder.seeds;
        let interrupt = AtomicBool::new(false);
        let interrupt_when_merging = |p: crate::index::sync::Progress| {
            if p.merging {
                interrupt.store(true, Ordering::Relaxed);
            }
        };
        for round in 0..4 {
            for i in 0..3 {
                let text =
                    format!("第{round}轮第{i}号\n\n高新区安置房{round}{i}期建成。\n\n内容。\n");
                let path = seeds.join(format!("{round}-{i}.txt"));
                std::fs::write(&path, text).unwrap();
                // An hour old: not a file the sync must look at again for being written as it
                // ran, which would add documents to the later segments.
                let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
                let file = std::fs::File::options().write(true).open(&path).unwrap();
                file.set_modified(hour_ago).unwrap();
            }
            let options = crate::index::sync::SyncOptions {
                interrupt: Some(&interrupt),
                progress: Some(&interrupt_when_merging),
                ..Default::default()
            };
            let synced = folder.sync(&options);
            // The fourth large segment starts a merge, and Ctrl-C comes as it starts.
            assert_eq!(synced.is_err(), round == 3, "round {round}: {synced:?}");
        }
        assert!(interrupt.load(Ordering::Relaxed), "the merge was reached");
        let before = folder.hits("安置房");
        assert_eq!(before.len(), 12);
        let index = SouIndex::open_or_create(&folder.index(), seeds).unwrap();
        let merged = index.index.searchable_segment_ids().unwrap();
        assert_eq!(merged.len(), 4);
        assert!(due(&index, 1).unwrap());

        let report = folder.sync(&SyncOptions::default()).unwrap();
        assert_eq!((report.added, report.unchanged), (0, 12));
        assert_eq!(index.index.searchable_segment_ids().unwrap().len(), 1);
        // It says how long the merge took, within the sync's time.
        assert!(
            report.merging > Duration::ZERO && report.merging <= report.elapsed,
            "{report:?}"
        );
        // What was merged away is deleted: nothing in the sync held on to it.
        let files: Vec<String> = std::fs::read_dir(folder.index())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        for id in &merged {
            let name = id.uuid_string();
            assert!(!files.iter().any(|f| f.starts_with(&name)), "{name} left");
        }
        assert!(!due(&index, 1).unwrap());
        assert_eq!(folder.hits("安置房"), before);
        // Nothing left to merge: nothing merged.
        let report = folder.sync(&SyncOptions::default()).unwrap();
        assert_eq!(report.merging, Duration::ZERO);
    }

    #[test]
    fn a_build_ends_with_one_segment_per_way() {
        // 69 segments of about 48,000 documents: what 1.6 GB of text leaves on two threads.
        let docs: Vec<u32> = (0..69).map(|i| 47_000 + (i % 5) * 500).collect();
        let segments = sized(&docs);
        let merges = plan(&segments, 2, true);
        assert_eq!(merges.len(), 2);
        let mut all: Vec<usize> = merges.concat();
        all.sort_unstable();
        assert_eq!(all, (0..69).collect::<Vec<_>>(), "every segment, once");
        // Balanced: apart by no more than one segment.
        let (a, b) = (
            docs_of(&segments, &merges[0]),
            docs_of(&segments, &merges[1]),
        );
        assert!(a.abs_diff(b) <= 49_000, "balanced: {a} and {b}");
    }

    #[test]
    fn what_a_merge_leaves_does_not_call_for_another() {
        // On eight threads a build leaves eight groups; eight of a level are not merged again.
        let docs: Vec<u32> = (0..69).map(|i| 47_000 + (i % 5) * 500).collect();
        let merges = plan(&sized(&docs), 8, true);
        assert_eq!(merges.len(), 8);
        let left: Vec<u32> = merges
            .iter()
            .map(|group| group.iter().map(|&i| docs[i]).sum())
            .collect();
        assert!(plan(&sized(&left), 8, true).is_empty(), "{left:?}");
        // Sixteen of a level are.
        assert_eq!(plan(&sized(&[400_000; 16]), 8, true).len(), 8);
    }

    #[test]
    fn small_segments_and_few_large_ones_are_left_alone() {
        // Small ones are tantivy's policy's; two large ones are what a build leaves.
        assert!(plan(&sized(&[3_000, 4_000, 3, 60_000, 61_000]), 2, true).is_empty());
        // Three large segments of one level wait for a fourth.
        assert!(plan(&sized(&[30_000, 40_000, 50_000]), 2, true).is_empty());
        // One between small and large has nothing to merge with.
        assert!(plan(&sized(&[12_000, 3_000, 60_000, 61_000]), 2, true).is_empty());
    }

    #[test]
    fn segments_between_small_and_large_go_with_the_merges_of_a_large_sync() {
        // What a build of 200 MB left on two threads, its large segments merged: the three
        // between are merged into one.
        let segments = sized(&[194_184, 170_522, 16_795, 15_526, 10_181, 2_000]);
        assert_eq!(plan(&segments, 2, true), [vec![2, 3, 4]]);
        // Not for a sync that wrote little: it never waits for them.
        assert!(plan(&segments, 2, false).is_empty());
        // A build merging its large segments takes them into its smaller merge.
        let docs: Vec<u32> = [50_000, 48_000, 46_000, 45_000, 5_000, 20_000].into();
        let merges = plan(&sized(&docs), 2, true);
        assert_eq!(merges, [vec![0, 3], vec![1, 2, 4, 5]]);
        assert!(plan(&sized(&docs), 2, false).iter().all(|g| g.len() == 2));
    }

    #[test]
    fn a_little_added_to_a_large_index_does_not_merge_it_again() {
        // Two segments of a consolidated 1.6 GB index, and four new large ones.
        let segments = sized(&[1_600_000, 1_650_000, 30_000, 35_000, 40_000, 45_000]);
        let merges = plan(&segments, 2, true);
        let merged: Vec<usize> = merges.concat();
        assert!(!merged.contains(&0) && !merged.contains(&1), "{merges:?}");
        assert_eq!(merged.len(), 4);
        assert!(merges.iter().all(|group| group.len() >= 2), "{merges:?}");
    }

    #[test]
    fn levels_are_a_factor_of_four_apart() {
        assert_eq!(level(20_001), 0);
        assert_eq!(level(79_999), 0);
        assert_eq!(level(80_000), 1);
        assert_eq!(level(319_999), 1);
        assert_eq!(level(320_000), 2);
        // Each level's merges run on their own: four of level 0 and four of level 1.
        let segments = sized(&[
            30_000, 30_000, 30_000, 30_000, 90_000, 90_000, 90_000, 90_000,
        ]);
        let merges = plan(&segments, 1, true);
        assert_eq!(merges.len(), 2);
        assert!(merges.iter().all(|g| g.len() == 4));
    }
}
