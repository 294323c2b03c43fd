//! Word search: the article is the unit of matching, the passage the unit of display.
//!
//! An article matches when its passages together hold every word of the query; its hits are
//! its passages that hold some, and the title counts for every passage of its article. Each
//! hit is ranked by tier:
//! 1. the query as written stands in the passage;
//! 2. every word stands in the passage, each on word boundaries;
//! 3. every word stands in the passage;
//! 4. every word stands in the article;
//! 5. some of the words.
//!
//! Tiers 1 and 5 stand apart; for a query of several words, unless they are so rare that their
//! meeting in a passage is itself what was meant ([`banded`]), tiers 2 to 4 (every word in the
//! article) rank as one band. Next comes how much the article as a whole is about the words (its
//! BM25: a word's frequency is how often its passages say it, the length the article's grams;
//! scaled by the share of the query's weight it holds, which is all of it but in tier 5; tiers 2
//! to 5), then the tier, then how rare the words the passage and its title hold are,
//! how rare the words the article holds are, how many pairs of words typed together stand
//! together, how many words stand on word boundaries, the passage's BM25, and then file and
//! line. (Two common words meet in one passage of many articles by chance, 发放 and 老板; the
//! article about them may say them in different passages. Rare words together, 千岁 震感
//! 中东部, are no chance. Between two articles as much about the words, the one saying them
//! together still comes first.)
//!
//! An article is a run of consecutive documents in one segment (see
//! [`crate::index::documents::UnitPlace`]), so every article that holds all the words is found
//! from the passages of its rarest word, and its other words are looked up in its run alone.
//! Articles that hold only some of the words come next, rarest word first, and the search stops
//! as soon as no article lacking the words taken so far could still make the list.

use std::collections::BTreeMap;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::query::{Bm25Weight, EnableScoring, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, Searcher, SegmentOrdinal, SegmentReader, TERMINATED};

use super::pool::Pools;
use super::rank::{Membership, PassageColumns};
use super::{search_error, words::Word};
use crate::Result;
use crate::analysis::grams::{self, GramFields};

/// Words whose passages are estimated at most this many are counted exactly, to weigh them.
const COUNT_BELOW: u64 = 20_000;

/// BM25's term-frequency saturation and length normalisation, for an article's BM25 (how often
/// its passages say a word is its frequency, the grams of its passages its length).
const K1: Score = 1.2;
const B: Score = 0.75;

/// BM25's length normalisation of an article `length` long (in grams, or in passages) where
/// articles are `average` long.
pub(crate) fn length_norm(length: Score, average: f32) -> Score {
    K1 * (1.0 - B + B * length / average.max(1.0))
}

/// A word's part of an article's BM25: its `weight`, said `said` times in an article of length
/// norm `norm` (see [`length_norm`]).
pub(crate) fn article_term(weight: Score, said: Score, norm: Score) -> Score {
    weight * said * (K1 + 1.0) / (said + norm)
}

/// Most words a query is read as: a passage's words are a bit mask.
pub(crate) const MAX_WORDS: usize = 64;

/// The tier of a hit (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// The query as written stands in the passage.
    AsWritten = 1,
    /// Every word stands in the passage on word boundaries.
    WordsOnBoundaries = 2,
    /// Every word stands in the passage.
    WordsInPassage = 3,
    /// Every word stands in the article.
    WordsInArticle = 4,
    /// Some of the words stand in the article.
    SomeWords = 5,
}

impl Tier {
    /// The tier's name in JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Tier::AsWritten => "as_written",
            Tier::WordsOnBoundaries => "words_on_boundaries",
            Tier::WordsInPassage => "words_in_passage",
            Tier::WordsInArticle => "words_in_article",
            Tier::SomeWords => "some_words",
        }
    }
}

/// How a word-search hit ranks: smaller is better. `matched` (the words the passage and its
/// title hold) is carried along for display and takes no part in the order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WordKey {
    pub tier: Tier,
    /// The weight of the words the article holds.
    pub article_weight: Score,
    /// The weight of the words the passage and its title hold.
    pub coverage: Score,
    /// The BM25 of the words over the whole article (see [`SegmentSearch::article_bm25`]), so that
    /// the article most about them comes first (tiers 2 to 5).
    pub article_bm25: Score,
    /// Pairs of words typed together that stand together in the passage.
    pub together: u32,
    /// Words that stand on word boundaries in the passage.
    pub on_boundaries: u32,
    /// BM25 of the words in the passage.
    pub bm25: Score,
    /// The words the passage and its title hold (bit i: word i).
    pub matched: u64,
    /// Whether tiers 2 to 4 rank as one band (see [`WordSearch`]'s `banded`).
    pub banded: bool,
}

impl WordKey {
    fn order(&self) -> impl Ord {
        use super::rank::ByScore;
        use std::cmp::Reverse;
        // Past the query as written, the article most about the words comes first: on long
        // documents (manuals, reports) a passage's own signals tie across articles, and the
        // one that mentions the words once among a thousand passages is not what was meant.
        let about = if self.tier > Tier::AsWritten {
            self.article_bm25
        } else {
            0.0
        };
        // Banded, tiers 2 to 4 (every word in the article) rank together by how much the
        // article is about the words, then by tier: two common words meet in one passage of
        // many articles by chance (发放 and 老板), and the article about them may say them
        // apart. One word meets nothing: where it stands as a word (tier 2) says more than
        // where its characters stand inside others (tier 3), above all for a typo's readings.
        let band = match self.tier {
            Tier::WordsInPassage | Tier::WordsInArticle if self.banded => Tier::WordsOnBoundaries,
            tier => tier,
        };
        (
            band,
            ByScore(about),
            self.tier,
            ByScore(self.coverage),
            ByScore(self.article_weight),
            Reverse(self.together),
            Reverse(self.on_boundaries),
            ByScore(self.bm25),
        )
    }
}

impl PartialEq for WordKey {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for WordKey {}

impl PartialOrd for WordKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for WordKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.order().cmp(&other.order())
    }
}

/// The queries of a word search, ready for every segment.
pub(crate) struct WordSearch {
    /// Per word: finds it (as a string, scored by BM25).
    contains: Vec<Box<dyn Weight>>,
    /// Per word, per form: finds it on word boundaries. Each form is asked alone: a union of
    /// phrase queries matches every document of every form ahead of the one asked, reading
    /// the positions of the boundary marker (in every passage) for each.
    on_boundaries: Vec<Vec<Box<dyn Weight>>>,
    /// The query as written, when it differs from the words.
    as_written: Option<Box<dyn Weight>>,
    /// Pairs of words typed together: the index of the first, and the pair as one string.
    together: Vec<(usize, Box<dyn Weight>)>,
    /// Anything excluded.
    excluded: Vec<Box<dyn Weight>>,
    /// How rare each word is (inverse document frequency).
    weights: Vec<Score>,
    /// Per word of several forms (a synonym, the other readings of a typo or of pinyin): each
    /// form's query and weight, the rarest first; empty for a word of one form.
    forms: Vec<Vec<(Box<dyn Weight>, Score)>>,
    /// Per word: the most it weighs in an article's BM25 (its rarest form's weight).
    most_weights: Vec<Score>,
    /// Estimated passages holding each word.
    doc_freqs: Vec<u64>,
    /// Per word of one form: its phrase's BM25 weight, to read how often a passage says it
    /// from the passage's score (see [`grams::occurrences`]); `None` counts each passage once.
    phrase_weights: Vec<Option<Bm25Weight>>,
    /// The gram fields: their norms normalised those scores.
    fields: GramFields,
    /// Only passages this finds, when set (the articles in scope).
    allowed: Option<Box<dyn Weight>>,
    /// Examine every article holding a word, so that the total is exact.
    pub exact_total: bool,
    /// Grams an article has on average: an article's BM25 is normalised by its length.
    pub average_article: f32,
    /// Passages an article has on average, for words counted by passage.
    pub average_passages: f32,
    /// A passage holds a word only where it stands on word boundaries.
    pub word_boundaries: bool,
    /// Whether tiers 2 to 4 rank as one band (see [`banded`]).
    banded: bool,
}

/// What a word search found.
#[derive(Debug)]
pub(crate) struct WordHits {
    /// The best hits.
    pub pools: Pools<WordKey>,
    /// Passages found: every one of articles holding every word (each such article is
    /// examined), and those of the other articles examined before the search could stop.
    pub total: usize,
    /// Passages found in articles holding every word (tiers 1 to 4), all of them.
    pub total_all_words: usize,
    /// Whether `total` counts every passage holding a word.
    pub total_exact: bool,
}

impl WordSearch {
    /// Prepares the queries of `words`. `as_written` is the query as typed, when it is more than
    /// one word; `excluded` the strings a passage must not hold.
    pub fn new(
        searcher: &Searcher,
        fields: &GramFields,
        words: &[Word],
        as_written: Option<Box<dyn Query>>,
        excluded: &[Vec<char>],
    ) -> Result<WordSearch> {
        let statistics = grams::PassageStatistics { searcher, fields };
        let scored = EnableScoring::enabled_from_statistics_provider(&statistics, searcher);
        let unscored = EnableScoring::disabled_from_searcher(searcher);
        let weight = |query: Box<dyn Query>, scoring| query.weight(scoring).map_err(search_error);
        let mut search = WordSearch {
            contains: Vec::new(),
            on_boundaries: Vec::new(),
            as_written: as_written.map(|q| weight(q, unscored)).transpose()?,
            together: Vec::new(),
            excluded: Vec::new(),
            weights: Vec::new(),
            forms: Vec::new(),
            most_weights: Vec::new(),
            doc_freqs: Vec::new(),
            phrase_weights: Vec::new(),
            fields: *fields,
            allowed: None,
            exact_total: false,
            word_boundaries: false,
            average_article: 1.0,
            average_passages: 1.0,
            banded: false,
        };
        let passages = searcher.num_docs().max(1) as f64;
        for (i, word) in words.iter().enumerate() {
            let forms = word
                .forms
                .iter()
                .map(|form| grams::contains(fields, form))
                .collect();
            search.contains.push(weight(grams::any_of(forms), scored)?);
            // Any of its forms (a synonym, another reading of a typo) standing as a word.
            let bounded = word
                .forms
                .iter()
                .map(|form| weight(grams::on_boundaries(fields, form), unscored))
                .collect::<Result<_>>()?;
            search.on_boundaries.push(bounded);
            let estimates: Vec<u64> = word
                .forms
                .iter()
                .map(|form| grams::doc_freq_estimate(searcher, fields, form))
                .collect::<tantivy::Result<_>>()
                .map_err(search_error)?;
            let estimate: u64 = estimates.iter().sum();
            // The estimate is the rarest gram's count: far too high for a long word of common
            // grams (对外经济贸易大学). Counting costs about as much as the estimate, so words
            // estimated rare enough are counted.
            let df = if estimate <= COUNT_BELOW {
                let mut count = 0u64;
                for (_, reader) in grams::passage_segments(searcher, fields) {
                    count += u64::from(search.contains[i].count(reader).map_err(search_error)?);
                }
                count
            } else {
                estimate
            };
            let df = (df as f64).min(passages);
            search.doc_freqs.push(df as u64);
            let idf = |df: f64| (1.0 + (passages - df + 0.5) / (df + 0.5)).ln() as Score;
            let word_weight = idf(df);
            search.weights.push(word_weight);
            // An article holding a rare reading of a word (集解 of `jijie`) is weighed by that
            // form, not by the commonest (季节): the word's weight is of all its forms together.
            let mut forms = Vec::new();
            if word.forms.len() > 1 {
                for (form, &estimate) in word.forms.iter().zip(&estimates) {
                    let df = estimate.max(1) as f64;
                    let query = weight(grams::contains(fields, form), unscored)?;
                    forms.push((query, idf(df.min(passages)).max(word_weight)));
                }
                forms.sort_by(|a, b| b.1.total_cmp(&a.1));
            }
            search
                .most_weights
                .push(forms.first().map_or(word_weight, |&(_, w)| w));
            search.forms.push(forms);
            // A word of several forms is scored by the sum of its forms' phrases: how often it
            // is said cannot be read back from that.
            search.phrase_weights.push(match word.forms.as_slice() {
                [form] => grams::phrase_bm25(searcher, fields, form).map_err(search_error)?,
                _ => None,
            });
            if word.joined_to_next
                && let Some(next) = words.get(i + 1)
            {
                let pair = [word.chars(), next.chars()].concat();
                search
                    .together
                    .push((i, weight(grams::contains(fields, &pair), unscored)?));
            }
        }
        search.banded = banded(passages, search.doc_freqs.iter().map(|&df| df as f64));
        for chars in excluded {
            search
                .excluded
                .push(weight(grams::contains(fields, chars), unscored)?);
        }
        Ok(search)
    }

    /// Keeps to the passages `scope` finds, when there is one.
    pub fn limit_to(&mut self, scope: Option<Box<dyn Query>>, searcher: &Searcher) -> Result<()> {
        self.allowed = scope
            .map(|query| {
                query
                    .weight(EnableScoring::disabled_from_searcher(searcher))
                    .map_err(search_error)
            })
            .transpose()?;
        Ok(())
    }

    /// Runs the search; `pool_size` hits are kept (see [`Pools`]).
    pub fn run(
        &self,
        searcher: &Searcher,
        pool_size: usize,
        keys: Option<&super::rank::KeyTables>,
    ) -> Result<WordHits> {
        let all: u64 = if self.contains.len() >= 64 {
            u64::MAX
        } else {
            (1 << self.contains.len()) - 1
        };
        let mut pools = Pools::new(pool_size);
        let mut state = State {
            all,
            pools: Pools::new(pool_size),
            all_words_count: 0,
            some_words_count: 0,
            skipped_some: false,
        };
        for (ordinal, segment) in grams::passage_segments(searcher, &self.fields) {
            // Each segment ranks its own articles by ordinal; keys are read for the best only.
            state.pools = Pools::new(pool_size);
            let mut segment_search = SegmentSearch::open(self, segment, ordinal, keys)?;
            segment_search.search(&mut state)?;
            let segment_pools = std::mem::replace(&mut state.pools, Pools::new(0));
            let with_keys = segment_search.columns.with_keys(segment_pools);
            pools.absorb(with_keys.map_err(search_error)?);
        }
        Ok(WordHits {
            pools,
            total: state.all_words_count + state.some_words_count,
            total_all_words: state.all_words_count,
            total_exact: !state.skipped_some,
        })
    }

    /// The words an article must hold one of to make the list, once nothing worse than
    /// `worst` can: every article holding all the words holds the rarest one; and an article
    /// holding only words whose BM25 over the article could not reach `worst`'s cannot rank
    /// (MaxScore, at the article level).
    fn essential_words(&self, worst: Option<&WordKey>) -> Vec<usize> {
        let mut by_weight: Vec<usize> = (0..self.weights.len()).collect();
        by_weight.sort_by(|&a, &b| self.weights[a].total_cmp(&self.weights[b]).then(a.cmp(&b)));
        let Some(worst) = worst.filter(|_| !self.exact_total) else {
            return by_weight;
        };
        if worst.tier < Tier::SomeWords {
            return by_weight.split_off(by_weight.len().saturating_sub(1));
        }
        let mut below = 0.0;
        let mut inessential = 0;
        for &word in &by_weight {
            // A word adds less than its weight times K1 + 1 to an article's BM25.
            if (below + self.most_weights[word]) * (K1 + 1.0) >= worst.article_bm25 {
                break;
            }
            below += self.most_weights[word];
            inessential += 1;
        }
        by_weight.split_off(inessential.min(by_weight.len().saturating_sub(1)))
    }

    /// The weight of every word together.
    pub fn total_weight(&self) -> Score {
        self.weights.iter().sum()
    }

    fn weight_of(&self, mask: u64) -> Score {
        weight_of(&self.weights, mask)
    }
}

/// When the passages expected to hold every word, were words to fall into passages
/// independently, are at least this many, tiers 2 to 4 rank as one band. Where two words that
/// dozens of articles each hold meet says less than how much an article is about them (on
/// inews 委屈 and 打人 are expected together in 0.15 passages, 发放 and 老板 in 2.6); three rare
/// words meeting is what was meant (千岁 震感 中东部: a millionth). Measured with
/// `scripts/natural.py` on inews and on man pages, seeds 3, 7 and 11: lowering the bar from 1 to
/// this, the common-word shapes gain and no shape loses more than 0.001 of MRR; at 0 (every query
/// of several words) the rare words' shapes lose.
const BAND_BY_CHANCE: f64 = 0.001;

/// A word fewer passages than this hold is rare whatever the folder's size: its meeting another
/// word is what was meant. (In a folder of a few dozen passages, [`BAND_BY_CHANCE`] alone would
/// band nearly any two words.) `scripts/natural.py`, both corpora, seeds 3, 7 and 11: the same
/// figures with this floor as without, but one man-pages question at seed 7 (MRR 0.892, 0.887).
const BAND_MIN_PASSAGES: f64 = 10.0;

/// Whether a query's words, held by `doc_freqs` of `passages` passages each, rank tiers 2 to 4
/// as one band: they are several, and not so rare that their meeting is what was meant (see
/// [`BAND_BY_CHANCE`] and [`BAND_MIN_PASSAGES`]). One word meets nothing: where it stands as a
/// word (tier 2) says more than where its characters stand inside others (tier 3), above all
/// for a typo's readings.
pub(crate) fn banded(passages: f64, doc_freqs: impl ExactSizeIterator<Item = f64>) -> bool {
    let words = doc_freqs.len();
    let mut fewest = f64::MAX;
    let by_chance = doc_freqs.fold(passages, |expected, df| {
        fewest = fewest.min(df);
        expected * df / passages.max(1.0)
    });
    words > 1 && by_chance >= BAND_BY_CHANCE && fewest >= BAND_MIN_PASSAGES
}

/// The weight of the words of `mask` (bit i: word i), each weighing `weights[i]`.
pub(crate) fn weight_of(weights: &[Score], mask: u64) -> Score {
    weights
        .iter()
        .enumerate()
        .filter(|(w, _)| mask >> w & 1 == 1)
        .map(|(_, weight)| weight)
        .sum()
}

/// What the passes of all segments gather.
struct State {
    /// Every word's bit.
    all: u64,
    /// The best hits of the segment being searched.
    pools: Pools<WordKey, u64>,
    /// Passages of articles holding every word.
    all_words_count: usize,
    /// Passages of articles holding some of the words, among those examined.
    some_words_count: usize,
    /// Whether articles holding only words that could not make the list were left unexamined.
    skipped_some: bool,
}

/// A [`Membership`] opened on first use: most checks are never needed, and opening one reads
/// the term dictionary for each of its terms.
struct Lazy<'a> {
    weight: &'a dyn Weight,
    open: Option<Membership>,
}

impl<'a> Lazy<'a> {
    fn new(weight: &'a dyn Weight) -> Self {
        Lazy { weight, open: None }
    }

    /// Whether `doc` matches (`doc` must grow from call to call).
    fn contains(&mut self, reader: &SegmentReader, doc: DocId) -> Result<bool> {
        let membership = match &mut self.open {
            Some(membership) => membership,
            None => {
                let scorer = self.weight.scorer(reader, 1.0).map_err(search_error)?;
                self.open.insert(Membership::new(scorer))
            }
        };
        Ok(membership.contains(doc))
    }
}

/// Whether any of several queries matches a document, each asked only of the documents asked.
struct AnyOf<'a>(Vec<Lazy<'a>>);

impl AnyOf<'_> {
    /// Whether `doc` matches one of them (`doc` must grow from call to call).
    fn contains(&mut self, reader: &SegmentReader, doc: DocId) -> Result<bool> {
        for one in &mut self.0 {
            if one.contains(reader, doc)? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// The search of one segment.
struct SegmentSearch<'a> {
    search: &'a WordSearch,
    reader: &'a SegmentReader,
    ordinal: SegmentOrdinal,
    contains: Vec<Box<dyn Scorer>>,
    on_boundaries: Vec<AnyOf<'a>>,
    /// The passages that hold the query as written, in order.
    as_written: Vec<DocId>,
    together: Vec<(usize, Lazy<'a>)>,
    excluded: Vec<Lazy<'a>>,
    /// Per word of several forms: each form, the rarest first, with its weight.
    forms: Vec<Vec<(Lazy<'a>, Score)>>,
    allowed: Option<Lazy<'a>>,
    columns: PassageColumns,
    /// The gram field's norms, to read how often a passage says a word.
    norms: FieldNormReader,
    /// Of the article being ranked: (passage, word, how often the passage says it).
    said: Vec<(DocId, usize, Score)>,
}

impl<'a> SegmentSearch<'a> {
    fn open(
        search: &'a WordSearch,
        reader: &'a SegmentReader,
        ordinal: SegmentOrdinal,
        keys: Option<&super::rank::KeyTables>,
    ) -> Result<Self> {
        let scorer = |weight: &dyn Weight| weight.scorer(reader, 1.0).map_err(search_error);
        Ok(SegmentSearch {
            search,
            reader,
            ordinal,
            contains: search
                .contains
                .iter()
                .map(|weight| scorer(weight.as_ref()))
                .collect::<Result<_>>()?,
            on_boundaries: search
                .on_boundaries
                .iter()
                .map(|forms| AnyOf(forms.iter().map(|w| Lazy::new(w.as_ref())).collect()))
                .collect(),
            as_written: match &search.as_written {
                Some(weight) => {
                    let mut scorer = scorer(weight.as_ref())?;
                    crate::index::alive_docs(scorer.as_mut(), reader).collect()
                }
                None => Vec::new(),
            },
            together: search
                .together
                .iter()
                .map(|(first, weight)| (*first, Lazy::new(weight.as_ref())))
                .collect(),
            excluded: search
                .excluded
                .iter()
                .map(|weight| Lazy::new(weight.as_ref()))
                .collect(),
            forms: search
                .forms
                .iter()
                .map(|forms| {
                    forms
                        .iter()
                        .map(|(weight, w)| (Lazy::new(weight.as_ref()), *w))
                        .collect()
                })
                .collect(),
            allowed: search.allowed.as_ref().map(|w| Lazy::new(w.as_ref())),
            columns: PassageColumns::open(reader, ordinal, keys).map_err(search_error)?,
            norms: reader
                .get_fieldnorms_reader(search.fields.grams)
                .map_err(search_error)?,
            said: Vec::new(),
        })
    }

    /// Examines the articles of the segment that may make the list: those holding the query as
    /// written, then, in document order, those holding an essential word (see
    /// [`WordSearch::essential_words`]).
    fn search(&mut self, state: &mut State) -> Result<()> {
        let max_doc = self.reader.max_doc();
        let alive = self.reader.alive_bitset();
        let mut next_written = 0;
        let all_words = self.contains.len();
        let mut essential = self.search.essential_words(state.pools.threshold());
        let mut threshold_seen = state.pools.threshold().cloned();
        loop {
            if state.pools.threshold() != threshold_seen.as_ref() {
                threshold_seen = state.pools.threshold().cloned();
                essential = self.search.essential_words(threshold_seen.as_ref());
            }
            state.skipped_some |= essential.len() < all_words;
            let written = self.as_written.get(next_written).copied();
            let Some(doc) = essential
                .iter()
                .map(|&word| self.contains[word].doc())
                .chain(written)
                .min()
                .filter(|&doc| doc != TERMINATED)
            else {
                return Ok(());
            };
            let (start, end, has_title) = self.unit_of(doc, max_doc);
            // An article is deleted whole.
            if alive.is_none_or(|bits| bits.is_alive(doc)) {
                self.article(start, end, has_title, state)?;
            }
            if end >= max_doc {
                return Ok(());
            }
            next_written += self.as_written[next_written..].partition_point(|&d| d < end);
            for &word in &essential {
                if self.contains[word].doc() < end {
                    self.contains[word].seek(end);
                }
            }
        }
    }

    /// The unit (article, or section of a long one) holding `doc`: its documents and whether
    /// its first is the title. The unit always holds `doc`, so the search moves on even when the
    /// stored place is damaged.
    fn unit_of(&self, doc: DocId, max_doc: DocId) -> (DocId, DocId, bool) {
        self.columns.place(doc).span(doc, max_doc)
    }

    /// The BM25 of the words over the article in documents `start..end`, `passages` those
    /// holding some: a word's frequency is how often its passages say it, over the article's
    /// grams; for a word of several forms, whose occurrences cannot be read, the passages
    /// holding it over the article's passages. Its weight is that of the rarest of its forms
    /// the article holds.
    fn article_bm25(
        &mut self,
        passages: &BTreeMap<DocId, (u64, Score)>,
        start: DocId,
        end: DocId,
    ) -> Result<Score> {
        let search = self.search;
        let reader = self.reader;
        let by_passages = length_norm((end - start) as Score, search.average_passages);
        // How often each word is said, in the passages that hold it (still, with -w).
        let mut said_by_word = [0.0; MAX_WORDS];
        for &(doc, word, times) in &self.said {
            if passages
                .get(&doc)
                .is_some_and(|(mask, _)| mask >> word & 1 == 1)
            {
                said_by_word[word] += times;
            }
        }
        // The article's grams are a pass over its documents: read only when a word is counted
        // by what its passages say.
        let by_grams = (!self.said.is_empty()).then(|| {
            let grams: Score = (start..end)
                .map(|doc| self.norms.fieldnorm(doc) as Score)
                .sum();
            length_norm(grams, search.average_article)
        });
        let mut total = 0.0;
        for (word, forms) in self.forms.iter_mut().enumerate() {
            // Counted, and walked for its forms, without a list per word and article: this runs
            // for every article examined.
            let holding = || {
                passages
                    .iter()
                    .filter(move |(_, (mask, _))| mask >> word & 1 == 1)
                    .map(|(&doc, _)| doc)
            };
            let count = holding().count();
            if count == 0 {
                continue;
            }
            let (said, norm) = match by_grams.filter(|_| search.phrase_weights[word].is_some()) {
                Some(by_grams) => (said_by_word[word], by_grams),
                None => (count as Score, by_passages),
            };
            let mut weight = search.weights[word];
            'forms: for (form, form_weight) in forms.iter_mut() {
                for doc in holding() {
                    if form.contains(reader, doc)? {
                        weight = *form_weight;
                        break 'forms;
                    }
                }
            }
            total += article_term(weight, said, norm);
        }
        Ok(total)
    }

    /// Ranks the passages of the article in documents `start..end` that hold some word.
    fn article(
        &mut self,
        start: DocId,
        end: DocId,
        has_title: bool,
        state: &mut State,
    ) -> Result<()> {
        let mut passages: BTreeMap<DocId, (u64, Score)> = BTreeMap::new();
        self.said.clear();
        for (word, scorer) in self.contains.iter_mut().enumerate() {
            if scorer.doc() < start {
                scorer.seek(start);
            }
            while scorer.doc() < end {
                let doc = scorer.doc();
                let score = scorer.score();
                let entry = passages.entry(doc).or_insert((0, 0.0));
                entry.0 |= 1 << word;
                entry.1 += score;
                if let Some(weight) = &self.search.phrase_weights[word] {
                    let times = grams::occurrences(weight, self.norms.fieldnorm_id(doc), score);
                    self.said.push((doc, word, times));
                }
                scorer.advance();
            }
        }
        if self.search.word_boundaries {
            // A word off boundaries (和服 in 管理和服务) is not held: the passage keeps the
            // words it holds as words, and goes when it holds none.
            let reader = self.reader;
            for (&doc, entry) in passages.iter_mut() {
                for (word, bounded) in self.on_boundaries.iter_mut().enumerate() {
                    if entry.0 >> word & 1 == 1 && !bounded.contains(reader, doc)? {
                        entry.0 &= !(1 << word);
                    }
                }
            }
            passages.retain(|_, entry| entry.0 != 0);
        }
        let title = if has_title {
            passages.get(&start).map_or(0, |&(mask, _)| mask)
        } else {
            0
        };
        // A passage holding the query as written counts even when it does not hold its words.
        let written_from = self.as_written.partition_point(|&d| d < start);
        let written_to = self.as_written.partition_point(|&d| d < end);
        // Only as words, with -w: a passage holding the query as written holds its words, and
        // was kept above when they stand on boundaries.
        let counted_to = if self.search.word_boundaries {
            written_from
        } else {
            written_to
        };
        for &doc in &self.as_written[written_from..counted_to] {
            passages.entry(doc).or_insert((0, 0.0));
        }
        let held = passages.values().fold(0, |acc, &(mask, _)| acc | mask);
        let holds_all = held == state.all || written_from < counted_to;
        let search = self.search;
        let article_weight = search.weight_of(held);
        // Scaled by the share of the query's weight the article holds (1 in tiers 1 to 4): of
        // articles holding some of the words, a short one saying one of them twice is not
        // more about the query than a long one holding three of four.
        let article_bm25 = self.article_bm25(&passages, start, end)? * article_weight
            / search.total_weight().max(Score::MIN_POSITIVE);
        let reader = self.reader;
        // The passages that may be shown (in scope, not excluded) and what of the query each
        // holds, its article's title counting for every one.
        let mut shown: Vec<(DocId, u64, Score, bool, u64)> = Vec::with_capacity(passages.len());
        'passage: for (&doc, &(mask, bm25)) in &passages {
            if let Some(allowed) = &mut self.allowed
                && !allowed.contains(reader, doc)?
            {
                continue 'passage;
            }
            for excluded in &mut self.excluded {
                if excluded.contains(reader, doc)? {
                    continue 'passage;
                }
            }
            let as_written = self.as_written[written_from..written_to]
                .binary_search(&doc)
                .is_ok();
            let matched = if as_written { state.all } else { mask | title };
            shown.push((doc, mask, bm25, as_written, matched));
        }
        // An article's hits are its passages that hold as much of the query (by weight) as
        // its best one does: not, beside three passages holding 智慧产业, every passage that
        // holds 智慧 or 产业 alone.
        let best = shown
            .iter()
            .map(|&(_, _, _, _, matched)| search.weight_of(matched))
            .fold(Score::MIN, Score::max);
        for (doc, mask, bm25, as_written, matched) in shown {
            if search.weight_of(matched) < best {
                continue;
            }
            let pairs_held = self
                .together
                .iter()
                .filter(|(first, _)| mask >> first & 0b11 == 0b11)
                .count() as u32;
            // The best this passage could rank, before the checks that read positions.
            let hopeful = WordKey {
                tier: match (as_written, mask == state.all, holds_all) {
                    (true, _, _) => Tier::AsWritten,
                    (false, true, _) => Tier::WordsOnBoundaries,
                    (false, false, true) => Tier::WordsInArticle,
                    (false, false, false) => Tier::SomeWords,
                },
                article_weight,
                coverage: search.weight_of(matched),
                article_bm25,
                together: pairs_held,
                on_boundaries: mask.count_ones(),
                bm25,
                matched,
                banded: search.banded,
            };
            if holds_all {
                state.all_words_count += 1;
            } else {
                state.some_words_count += 1;
            }
            let pools = &mut state.pools;
            if !pools.admits(&hopeful) {
                continue;
            }
            let mut key = hopeful;
            key.together = 0;
            for (first, pair) in &mut self.together {
                if mask >> *first & 0b11 == 0b11 && pair.contains(reader, doc)? {
                    key.together += 1;
                }
            }
            key.on_boundaries = 0;
            if search.word_boundaries {
                // Checked above: what the passage holds stands on boundaries.
                key.on_boundaries = mask.count_ones();
            }
            for (word, bounded) in self.on_boundaries.iter_mut().enumerate() {
                if !search.word_boundaries
                    && mask >> word & 1 == 1
                    && bounded.contains(reader, doc)?
                {
                    key.on_boundaries += 1;
                }
            }
            if !as_written && mask == state.all {
                key.tier = if key.on_boundaries == mask.count_ones() {
                    Tier::WordsOnBoundaries
                } else {
                    Tier::WordsInPassage
                };
            }
            let candidate = self.columns.candidate(self.ordinal, doc, key);
            pools.offer(candidate);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::banded;

    #[test]
    fn only_several_words_that_meet_by_chance_rank_as_one_band() {
        // Two words dozens of articles hold, in inews's 110,000 passages: 0.18 expected together.
        assert!(banded(110_000.0, [100.0, 200.0].into_iter()));
        // One word meets nothing.
        assert!(!banded(110_000.0, [5_000.0].into_iter()));
        // Three rare words: a millionth of a passage.
        assert!(!banded(110_000.0, [30.0, 40.0, 50.0].into_iter()));
        // In a folder of 35 passages two words held by 2 and 3 are "expected" together in 0.17
        // of a passage, yet each is rare: their meeting is what was meant.
        assert!(!banded(35.0, [2.0, 3.0].into_iter()));
        // Held by a dozen passages each, in 240: common there.
        assert!(banded(240.0, [14.0, 15.0, 14.0].into_iter()));
    }
}
