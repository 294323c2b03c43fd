//! The collector that ranks: the best hits by recall score plus the word boundary bonus, and how
//! many hits there are.
//!
//! Whether a hit stands on word boundaries is a phrase with a boundary marker at each end, and
//! boundary markers are the densest term of the index: checking it on every hit of a common
//! query read their positions for thousands of passages and took most of the search (微信 on
//! 200 MB: 9.8 ms with it, 2.7 ms without). So it is checked only for a hit that could still
//! enter the best ones with the bonus, one passage at a time, and the check looks at that
//! passage alone.
//!
//! Ties are broken inside the collector, by article key then line, so the order is exact for any
//! number of tied hits.

use std::cmp::Ordering;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{EnableScoring, Query, Scorer, Weight};
use tantivy::{DocAddress, DocId, DocSet, Score, SegmentOrdinal, SegmentReader};

use super::pool::{Candidate, Pools};
use crate::analysis::grams::{self, GramFields};
use crate::index::documents;

/// The best hits of a query (see [`Pools`]), each with its share of the boundary bonus for every
/// group it matches on word boundaries.
pub(crate) struct Ranked {
    pool_size: usize,
    /// Every segment's keys by ordinal, when the session keeps them.
    keys: Option<std::sync::Arc<KeyTables>>,
    bonus_per_group: Score,
    /// For each query group, the boundary queries of its literals (any one matching earns the
    /// group's share).
    groups: Vec<Vec<Box<dyn Weight>>>,
    /// The gram fields, to pass over the segments that hold no passages.
    fields: GramFields,
}

impl Ranked {
    /// Collects the best `pool_size` hits; `bonus` is shared among the groups of
    /// `boundary_groups`, and a hit earns a group's share when one of the group's queries
    /// matches it.
    pub fn new(
        pool_size: usize,
        bonus: Score,
        boundary_groups: &[Vec<Box<dyn Query>>],
        scoring: EnableScoring<'_>,
        keys: Option<std::sync::Arc<KeyTables>>,
        fields: GramFields,
    ) -> tantivy::Result<Ranked> {
        let groups = boundary_groups
            .iter()
            .map(|queries| {
                queries
                    .iter()
                    .map(|query| query.weight(scoring))
                    .collect::<tantivy::Result<Vec<_>>>()
            })
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Ranked {
            pool_size,
            keys,
            bonus_per_group: bonus / groups.len().max(1) as Score,
            groups,
            fields,
        })
    }
}

/// A score as a sort key: the higher score is the smaller key, so it comes first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ByScore(pub Score);

impl Eq for ByScore {}

impl Ord for ByScore {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0)
    }
}

impl PartialOrd for ByScore {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The best hits and the number of hits.
pub(crate) type RankedHits = tantivy::Result<(Pools<ByScore>, usize)>;

impl Collector for Ranked {
    type Fruit = RankedHits;
    type Child = RankedSegment;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<RankedSegment> {
        let groups = self
            .groups
            .iter()
            .map(|weights| {
                weights
                    .iter()
                    .map(|weight| Ok(Membership::new(weight.scorer(reader, 1.0)?)))
                    .collect::<tantivy::Result<Vec<_>>>()
            })
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(RankedSegment {
            segment,
            bonus_per_group: self.bonus_per_group,
            max_bonus: self.bonus_per_group * groups.len() as Score,
            groups,
            columns: PassageColumns::open(reader, segment, self.keys.as_deref())?,
            pools: Pools::new(self.pool_size),
            count: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    /// As tantivy collects a segment, but a segment of file records is passed over without
    /// asking it for the query's terms (see [`grams::holds_passages`]).
    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<RankedHits> {
        if !grams::holds_passages(reader, &self.fields) {
            return Ok(Ok((Pools::new(self.pool_size), 0)));
        }
        let mut collector = self.for_segment(segment, reader)?;
        let alive = reader.alive_bitset();
        weight.for_each(reader, &mut |doc, score| {
            if alive.is_none_or(|bits| bits.is_alive(doc)) {
                collector.collect(doc, score);
            }
        })?;
        Ok(collector.harvest())
    }

    fn merge_fruits(&self, fruits: Vec<RankedHits>) -> tantivy::Result<RankedHits> {
        let mut all = Pools::new(self.pool_size);
        let mut count = 0;
        for fruit in fruits {
            let (pools, segment_count) = fruit?;
            all.absorb(pools);
            count += segment_count;
        }
        Ok(Ok((all, count)))
    }
}

/// The columns a hit's place is read from: its article (the ordinal of its key in the
/// segment), line, text hash and place in its unit. Keys are read only for the hits that
/// remain.
pub(crate) struct PassageColumns {
    columns: documents::PassageColumns,
    /// The segment's keys by ordinal, when the session keeps them.
    keys: Option<std::sync::Arc<Vec<String>>>,
}

impl PassageColumns {
    /// Opens the columns of segment `segment` (`reader`), with its keys from `tables` when
    /// given.
    pub fn open(
        reader: &SegmentReader,
        segment: SegmentOrdinal,
        tables: Option<&KeyTables>,
    ) -> tantivy::Result<Self> {
        let columns = documents::PassageColumns::open(reader)?;
        let keys = match tables {
            Some(tables) => Some(tables.of(segment, &columns)?),
            None => None,
        };
        Ok(PassageColumns { columns, keys })
    }

    /// Where the passage `doc` stands in its unit.
    pub fn place(&self, doc: DocId) -> documents::UnitPlace {
        self.columns.place(doc)
    }

    /// A candidate for the passage `doc` of segment `segment`, with `key`.
    pub fn candidate<K>(&self, segment: SegmentOrdinal, doc: DocId, key: K) -> Candidate<K, u64> {
        Candidate {
            key,
            article: self.columns.key_ord(doc),
            line: self.columns.line(doc),
            address: DocAddress::new(segment, doc),
            text: self.columns.text_hash(doc),
            also: Vec::new(),
        }
    }

    /// The pools of a segment, with each article's key in place of its ordinal. The keys are
    /// read in one pass over the column's dictionary, in order.
    pub fn with_keys<K: Ord + Clone>(&self, pools: Pools<K, u64>) -> tantivy::Result<Pools<K>> {
        if let Some(keys) = &self.keys {
            return Ok(
                pools.map_articles(|ord| keys.get(ord as usize).cloned().unwrap_or_default())
            );
        }
        let mut ords = pools.articles();
        ords.sort_unstable();
        ords.dedup();
        let mut keys = Vec::with_capacity(ords.len());
        self.columns
            .keys
            .dictionary()
            .sorted_ords_to_term_cb(&ords, |bytes| {
                keys.push(String::from_utf8_lossy(bytes).into_owned());
            })?;
        let by_ord: std::collections::HashMap<u64, String> = ords.into_iter().zip(keys).collect();
        Ok(pools.map_articles(|ord| by_ord.get(&ord).cloned().unwrap_or_default()))
    }
}

/// Every segment's article keys by ordinal, read whole the first time a search of the segment
/// needs them and kept for the session's later searches: a server's session answers thousands,
/// and reading a hit's key from the column's dictionary decompresses a block of it each time.
/// The command line's one search reads only the keys of its hits instead.
#[derive(Default)]
pub(crate) struct KeyTables {
    tables:
        std::sync::Mutex<std::collections::HashMap<SegmentOrdinal, std::sync::Arc<Vec<String>>>>,
}

impl KeyTables {
    /// The keys of segment `segment`, whose columns are `columns`.
    fn of(
        &self,
        segment: SegmentOrdinal,
        columns: &documents::PassageColumns,
    ) -> tantivy::Result<std::sync::Arc<Vec<String>>> {
        if let Some(keys) = self.lock().get(&segment) {
            return Ok(keys.clone());
        }
        let dictionary = columns.keys.dictionary();
        let mut keys = Vec::with_capacity(dictionary.num_terms());
        let mut stream = dictionary.stream()?;
        while stream.advance() {
            keys.push(String::from_utf8_lossy(stream.key()).into_owned());
        }
        let keys = std::sync::Arc::new(keys);
        self.lock().insert(segment, keys.clone());
        Ok(keys)
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<
        '_,
        std::collections::HashMap<SegmentOrdinal, std::sync::Arc<Vec<String>>>,
    > {
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Answers "does this document match?" for increasing documents, looking at each asked
/// document only (tantivy's `seek_danger`), never at the ones between.
pub(crate) struct Membership {
    scorer: Box<dyn Scorer>,
    /// No document before this one matches.
    lower_bound: DocId,
}

impl Membership {
    pub fn new(scorer: Box<dyn Scorer>) -> Self {
        let lower_bound = scorer.doc();
        Membership {
            scorer,
            lower_bound,
        }
    }

    /// Whether `doc` matches; `doc` must grow from call to call.
    pub fn contains(&mut self, doc: DocId) -> bool {
        // TERMINATED, the bound of an exhausted scorer, is above every document.
        if doc < self.lower_bound {
            return false;
        }
        match self.scorer.seek_danger(doc) {
            tantivy::SeekDangerResult::Found => {
                self.lower_bound = doc + 1;
                true
            }
            tantivy::SeekDangerResult::SeekLowerBound(next) => {
                self.lower_bound = next;
                false
            }
        }
    }
}

/// [`Ranked`] in one segment.
pub(crate) struct RankedSegment {
    segment: SegmentOrdinal,
    bonus_per_group: Score,
    max_bonus: Score,
    groups: Vec<Vec<Membership>>,
    columns: PassageColumns,
    pools: Pools<ByScore, u64>,
    count: usize,
}

impl SegmentCollector for RankedSegment {
    type Fruit = RankedHits;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.count += 1;
        if !self.pools.admits(&ByScore(score + self.max_bonus)) {
            return;
        }
        let mut total = score;
        for group in &mut self.groups {
            if group.iter_mut().any(|literal| literal.contains(doc)) {
                total += self.bonus_per_group;
            }
        }
        let candidate = self.columns.candidate(self.segment, doc, ByScore(total));
        self.pools.offer(candidate);
    }

    fn harvest(self) -> RankedHits {
        Ok((self.columns.with_keys(self.pools)?, self.count))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur};

    use super::*;
    use crate::index::SouIndex;
    use crate::search::{Synonyms, build, parse};

    const SENTENCES: [&str; 8] = [
        "她穿着和服的样子很美。",
        "会议要求提升政府管理和服务水平。",
        "我和你都用微信。",
        "微信支付很方便，服务也好。",
        "这是一家和服店，和服很贵。",
        "服务员和顾客聊微信。",
        "信用和服从都重要。",
        "今天天气很好。",
    ];

    /// The best hits as a plain boolean query scores them: the boundary clause evaluated on
    /// every hit. Returns every hit's score and the count.
    fn every_hit_scored(
        searcher: &tantivy::Searcher,
        index: &SouIndex,
        raw: &str,
    ) -> (HashMap<DocAddress, Score>, usize) {
        let query = parse(raw).unwrap();
        let (main, on_boundaries, _) = build(index, &query, &Synonyms::default());
        let share = crate::search::BOUNDARY_BONUS / query.groups.len() as Score;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(main))];
        for group in on_boundaries {
            let any = BooleanQuery::new(group.into_iter().map(|q| (Occur::Should, q)).collect());
            clauses.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(Box::new(any), share)),
            ));
        }
        let (top, count) = searcher
            .search(
                &BooleanQuery::new(clauses),
                &(TopDocs::with_limit(100_000).order_by_score(), Count),
            )
            .unwrap();
        (top.into_iter().map(|(s, a)| (a, s)).collect(), count)
    }

    #[test]
    fn the_lazy_boundary_check_ranks_like_checking_every_hit() {
        let dir = tempfile::tempdir().unwrap();
        let seeds = dir.path().join("seeds");
        std::fs::create_dir_all(&seeds).unwrap();
        // A fixed pseudo-random mix of sentences, so hits of each query stand on and off word
        // boundaries in every order.
        let mut state = 7u64;
        for article in 0..30 {
            let mut text = format!("第{article}篇\n\n");
            for _ in 0..6 {
                for _ in 0..3 {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    text.push_str(SENTENCES[(state >> 33) as usize % SENTENCES.len()]);
                }
                text.push_str("\n\n");
            }
            std::fs::write(seeds.join(format!("{article}.txt")), text).unwrap();
        }
        let options = crate::index::sync::SyncOptions::default();
        crate::index::testing::sync(&seeds, &dir.path().join("index"), 2, &options).unwrap();
        let index = SouIndex::open(&dir.path().join("index")).unwrap();
        let searcher = index.reader().unwrap().searcher();
        // Scored with the statistics of the segments holding passages: as tantivy's own.
        let statistics = grams::PassageStatistics {
            searcher: &searcher,
            fields: &index.fields.gram,
        };

        for raw in [
            "和服",
            "服务",
            "微信",
            "和",
            "管理 服务",
            "和服 OR 服务",
            "微信 -支付",
        ] {
            let (expected, expected_count) = every_hit_scored(&searcher, &index, raw);
            let query = parse(raw).unwrap();
            let (main, on_boundaries, _) = build(&index, &query, &Synonyms::default());
            // Keys read from the column's dictionary per search, and from tables a session keeps.
            let tables = std::sync::Arc::new(KeyTables::default());
            for (limit, keys) in [1, 3, 10]
                .into_iter()
                .flat_map(|limit| [(limit, None), (limit, Some(tables.clone()))])
            {
                let collector = Ranked::new(
                    limit,
                    crate::search::BOUNDARY_BONUS,
                    &on_boundaries,
                    EnableScoring::disabled_from_searcher(&searcher),
                    keys,
                    index.fields.gram,
                )
                .unwrap();
                let (pools, count) = searcher
                    .search_with_statistics_provider(&main, &collector, &statistics)
                    .unwrap()
                    .unwrap();
                let hits = pools.into_page();
                assert_eq!(count, expected_count, "{raw}");
                let mut best: Vec<Score> = expected.values().copied().collect();
                best.sort_by(|a, b| b.total_cmp(a));
                best.truncate(limit);
                assert_eq!(hits.len(), best.len(), "{raw} limit {limit}");
                for (hit, best) in hits.iter().zip(&best) {
                    assert!(
                        (hit.key.0 - expected[&hit.address]).abs() < 1e-3,
                        "{raw}: {:?}",
                        hit.address
                    );
                    assert!(
                        (hit.key.0 - best).abs() < 1e-3,
                        "{raw}: {} vs {best}",
                        hit.key.0
                    );
                }
            }
            // Hits must earn different bonuses, or the test shows nothing.
            let bonuses: std::collections::BTreeSet<u32> =
                expected.values().map(|s| (s / 100.0) as u32).collect();
            assert!(bonuses.len() > 1, "{raw}: {bonuses:?}");
        }
    }
}
