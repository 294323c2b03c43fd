//! Searching: reading a query, finding and ranking passages, and reading hits back with their
//! highlights. Nothing here loads jieba's dictionary: queries are cut with the words they hold
//! (see [`crate::analysis::dictionary`]).
//!
//! Recall comes from the gram field: a string matches wherever its characters stand in a row
//! (after folding), like grep. A query of one word (or one quoted string, or one `OR` group) is
//! ranked by constants added to BM25 (scaled down so it cannot cross a tier): the query as
//! written (+2000, when a synonym or an alternative could match instead), standing on jieba word
//! boundaries (`穿着和服的`, not `管理和服务`; +1000, checked by the collector in [`rank`] only
//! for hits that can still make the list), then BM25. A query of several words is a word search
//! ([`articles`]): the article is the unit of matching, and hits are ranked in tiers from the
//! query as written down to some of the words.
//!
//! Either way ties go to the earlier file and line, the first page holds at most three passages
//! of one article while others match ([`pool`]), and a passage whose text is the same in several
//! files is shown once, with the other paths.

pub(crate) mod articles;
pub(crate) mod highlight;
pub(crate) mod pool;
pub(crate) mod query;
pub(crate) mod rank;
mod session;
pub(crate) mod synonyms;
pub(crate) mod typos;
pub(crate) mod words;

use std::path::Path;
use std::time::{Duration, Instant};

use tantivy::Searcher;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, EnableScoring, Occur};

use crate::analysis::dictionary::Dictionary;
use crate::analysis::grams::{self, any_of};
use crate::corpus::Passage;
use crate::corpus::read::Wanted;
use crate::error::Op;
use crate::index::SouIndex;
use crate::index::documents::{self, PassageColumns, text_hash};
use crate::{Error, Result};

pub use articles::Tier;
pub use highlight::{Snippet, snippet_at, snippet_in_columns};
pub use query::{Literal, Query, parse, parse_fixed};
pub(crate) use session::{ArticleFilter, is_in};
pub use session::{SearchOptions, Session, snippet_columns};
pub use synonyms::Synonyms;
pub use typos::Correction;

/// `raw_query` parsed as `options` say: the query language, or one fixed string.
pub fn parse_with(raw_query: &str, options: &SearchOptions<'_>) -> Result<Query> {
    if options.fixed_strings {
        parse_fixed(raw_query)
    } else {
        parse(raw_query)
    }
}

/// Candidates kept beyond the limit, to fill the places of duplicates folded into one hit.
pub(crate) const DUPLICATE_SLACK: usize = 16;

/// Score added when the query stands in the passage as written.
pub(crate) const AS_WRITTEN_BONUS: f32 = 2000.0;
/// Score shared among the query's words when they stand on word boundaries.
pub(crate) const BOUNDARY_BONUS: f32 = 1000.0;
/// BM25 is scaled by this so that it orders passages within a tier but never crosses one.
pub(crate) const BM25_SCALE: f32 = 1.0 / 128.0;

/// One ranked passage.
#[derive(Debug, Clone)]
pub struct Hit {
    /// 1-based rank.
    pub rank: usize,
    /// The ranking score: tier bonuses plus scaled BM25 (see README).
    pub score: f32,
    /// The tier the hit ranks in.
    pub tier: Tier,
    /// The query words the passage or its title holds.
    pub matched: Vec<String>,
    /// The query words neither the passage nor its title holds.
    pub missing: Vec<String>,
    /// The file, as the user can open it: the seeds folder as given joined with its path there.
    pub path: std::path::PathBuf,
    /// Other files holding a passage with the same text.
    pub also: Vec<Also>,
    /// 1-based line where the passage starts.
    pub line: u64,
    /// Where the match the snippet shows stands in the file (the query as written when the
    /// passage holds it, else its rarest word): line, byte column, page. `None` when the file
    /// changed since it was indexed.
    pub location: Option<crate::corpus::Location>,
    /// The article's title.
    pub title: String,
    /// The whole passage.
    pub text: String,
    /// Character ranges of the matches in `text`.
    pub highlights: Vec<(usize, usize)>,
    /// The character of `text` the snippet is placed at (see [`Hit::location`]).
    pub anchor: usize,
    /// The window shown: about two lines of a terminal (see
    /// [`SearchOptions::snippet_columns`]) around the match [`Hit::location`] points at, with
    /// its own highlights. Text and JSON output show this same window.
    pub snippet: Snippet,
    /// The file no longer holds the passage as indexed (changed or gone since the index was
    /// synced): `title`, `text` and the highlights are empty.
    pub changed: bool,
    /// The passages of the article before this one, as many as asked for (see
    /// [`SearchOptions::context`]), in reading order.
    pub before: Vec<ArticlePassage>,
    /// The passages after it.
    pub after: Vec<ArticlePassage>,
}

/// Another file holding a hit's passage.
#[derive(Debug, Clone)]
pub struct Also {
    /// The file, as the user can open it.
    pub path: std::path::PathBuf,
    /// 1-based line where the passage starts in it.
    pub line: u64,
    /// Where the hit's match stands in it (see [`Hit::location`]).
    pub location: Option<crate::corpus::Location>,
}

/// The answer to a query.
#[derive(Debug, Clone)]
pub struct Results {
    /// The query as the user typed it.
    pub query: String,
    /// The words it was read as.
    pub words: Vec<String>,
    /// Whether a term was cut into words or had words dropped.
    pub split: bool,
    /// What was read as other than typed (homophone typos, pinyin): the words searched are
    /// `words`.
    pub corrections: Vec<Correction>,
    /// Whether every hit's article holds every word.
    pub all_words: bool,
    /// How many passages match.
    pub total: usize,
    /// How many of them are in articles that hold every word (tiers 1 to 4): what a script is
    /// told was found (`-c`, `-q`, the exit status); best-effort hits (tier 5) are not.
    pub total_all_words: usize,
    /// Whether `total` counts every match (false: at least this many).
    pub total_exact: bool,
    /// The best passages, best first.
    pub hits: Vec<Hit>,
    /// Time spent searching.
    pub took: Duration,
}

impl Results {
    /// Whether some article holds every word (false: best effort, the articles holding the
    /// most).
    pub fn some_article_holds_all(&self) -> bool {
        self.total_all_words > 0
    }
}

pub(crate) fn search_error(err: tantivy::TantivyError) -> Error {
    Error::tantivy(Op::Search, "", err)
}

/// Builds the tantivy query that finds and scores the hits of a one-word query, for each group
/// the queries that find its literals on word boundaries (see [`rank`]), and whether the query
/// as written is a tier of its own (not when every hit holds it).
fn build(
    index: &SouIndex,
    query: &Query,
    synonyms: &Synonyms,
) -> (BooleanQuery, Vec<Vec<Box<dyn tantivy::query::Query>>>, bool) {
    let fields = &index.fields.gram;
    let mut clauses: Vec<(Occur, Box<dyn tantivy::query::Query>)> = Vec::new();
    let mut on_boundaries = Vec::with_capacity(query.groups.len());
    let forms: Vec<Vec<Vec<char>>> = query
        .groups
        .iter()
        .map(|group| words::alternatives(group, synonyms))
        .collect();
    for (group, forms) in query.groups.iter().zip(&forms) {
        let recall = forms
            .iter()
            .map(|chars| grams::contains(fields, chars))
            .collect();
        clauses.push((
            Occur::Must,
            Box::new(BoostQuery::new(any_of(recall), BM25_SCALE)),
        ));
        on_boundaries.push(
            group
                .iter()
                .map(|literal| grams::on_boundaries(fields, &literal.chars))
                .collect(),
        );
    }
    for literal in &query.excluded {
        let forms = literal.forms();
        let any = any_of(forms.iter().map(|f| grams::contains(fields, f)).collect());
        clauses.push((Occur::MustNot, any));
    }
    // One literal without synonyms matches only as written: the bonus would go to every hit.
    let only_as_written = matches!(&forms[..], [only] if only.len() == 1);
    let as_written_counts = !only_as_written;
    if as_written_counts && let Some(as_written) = as_written(fields, query) {
        clauses.push((
            Occur::Should,
            Box::new(ConstScoreQuery::new(as_written, AS_WRITTEN_BONUS)),
        ));
    }
    (BooleanQuery::new(clauses), on_boundaries, as_written_counts)
}

/// What a search needs besides the query: the index, the commit to read, how paths are shown,
/// and how words are read.
pub(crate) struct Context<'a> {
    /// The index.
    pub index: &'a SouIndex,
    /// The commit searched.
    pub searcher: &'a Searcher,
    /// The seeds folder as the user gave it, for the paths shown.
    pub seeds: &'a Path,
    /// Synonyms from the seeds folder.
    pub synonyms: &'a Synonyms,
    /// The dictionary the index was built with.
    pub dictionary: &'a Dictionary,
    /// Which articles and what of them the search returns.
    pub scope: &'a Scope,
    /// The segments' passage columns, opened once for the search.
    pub columns: &'a ColumnCache,
    /// The corpus words by pinyin, when the index keeps them.
    pub pinyin: Option<&'a crate::index::sidecar::PinyinWords>,
}

/// The passage columns of a commit's segments, each opened the first time a hit's title, twins
/// or place needs it and kept for the rest of the search: opening a column parses its header
/// and block index, which ten hits and their lookups did dozens of times.
pub(crate) struct ColumnCache {
    opened: std::sync::Mutex<Vec<Option<std::sync::Arc<PassageColumns>>>>,
    /// The segments' keys, when kept (see [`rank::KeyTables`]).
    pub keys: Option<std::sync::Arc<rank::KeyTables>>,
}

impl ColumnCache {
    /// An empty cache for the segments of `searcher`.
    pub fn new(searcher: &Searcher) -> Self {
        ColumnCache {
            opened: std::sync::Mutex::new(vec![None; searcher.segment_readers().len()]),
            keys: None,
        }
    }

    /// The columns of segment `ord` of `searcher`.
    fn of(&self, searcher: &Searcher, ord: u32) -> Result<std::sync::Arc<PassageColumns>> {
        let mut opened = self.opened.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(Some(columns)) = opened.get(ord as usize) {
            return Ok(columns.clone());
        }
        let columns = std::sync::Arc::new(
            PassageColumns::open(searcher.segment_reader(ord)).map_err(search_error)?,
        );
        if let Some(slot) = opened.get_mut(ord as usize) {
            *slot = Some(columns.clone());
        }
        Ok(columns)
    }
}

/// What a search covers and returns beyond its query.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    /// Only these articles (keys), when set.
    pub articles: Option<Vec<String>>,
    /// Count every matching passage, even when that takes longer than ranking the best.
    pub exact_total: bool,
    /// Read each hit's text, title and highlights (not needed for paths or counts).
    pub with_text: bool,
    /// How wide a snippet is, in terminal columns.
    pub snippet_columns: usize,
    /// Only hits whose words stand on word boundaries.
    pub word_boundaries: bool,
    /// Passages read with each hit, before and after it.
    pub context: (usize, usize),
}

impl Default for Scope {
    fn default() -> Self {
        Scope {
            articles: None,
            exact_total: false,
            with_text: true,
            snippet_columns: session::DEFAULT_SNIPPET_COLUMNS,
            word_boundaries: false,
            context: (0, 0),
        }
    }
}

impl Scope {
    /// The query that finds the passages of the articles in scope, scoring nothing.
    fn articles_query(&self, index: &SouIndex) -> Option<Box<dyn tantivy::query::Query>> {
        let keys = self.articles.as_ref()?;
        let terms = keys
            .iter()
            .map(|key| tantivy::Term::from_field_text(index.fields.key, key));
        let set = tantivy::query::TermSetQuery::new(terms);
        Some(Box::new(ConstScoreQuery::new(Box::new(set), 0.0)))
    }
}

/// Most passages counted when word reading compares two strings: past it, both are common.
const PASSAGES_COUNTED: u64 = 10_000;

/// Word reading asks the index.
impl words::Corpus for Context<'_> {
    /// Counted, not estimated from the rarest gram: `国务院大` has no rare gram (`院大` stands
    /// in 学院大学), yet 3 passages hold it, against 8 for `大督查`.
    fn passages(&self, chars: &[char]) -> u64 {
        self.count_holding(chars, PASSAGES_COUNTED)
    }

    fn passages_at_most(&self, chars: &[char]) -> u64 {
        grams::doc_freq_estimate(self.searcher, &self.index.fields.gram, chars).unwrap_or(0)
    }

    fn holds(&self, chars: &[char]) -> bool {
        self.count_holding(chars, 1) > 0
    }

    fn followers(&self, first: char, among: &[char]) -> Option<words::Followers> {
        grams::followers(self.searcher, &self.index.fields.gram, first, among).ok()
    }

    fn passages_up_to(&self, chars: &[char], most: u64) -> u64 {
        self.count_holding(chars, most)
    }

    fn holds_as_word(&self, chars: &[char]) -> bool {
        let query = grams::on_boundaries(&self.index.fields.gram, chars);
        self.count_found(query.as_ref(), 1) > 0
    }

    fn words_with_key(&self, key: &str) -> Vec<String> {
        self.pinyin.map_or_else(Vec::new, |kept| {
            kept.words(&crate::analysis::pinyin::stored(key))
        })
    }
}

impl Context<'_> {
    /// How many live passages hold `chars`, counting up to `most`.
    fn count_holding(&self, chars: &[char], most: u64) -> u64 {
        let estimate = grams::doc_freq_estimate(self.searcher, &self.index.fields.gram, chars);
        if estimate.unwrap_or(0) == 0 {
            return 0;
        }
        let query = grams::contains(&self.index.fields.gram, chars);
        self.count_found(query.as_ref(), most)
    }

    /// The live passages `query` finds, counted up to `most`.
    fn count_found(&self, query: &dyn tantivy::query::Query, most: u64) -> u64 {
        let Ok(weight) = query.weight(EnableScoring::disabled_from_searcher(self.searcher)) else {
            return 0;
        };
        let mut count = 0;
        for (_, reader) in grams::passage_segments(self.searcher, &self.index.fields.gram) {
            let Ok(mut scorer) = weight.scorer(reader, 1.0) else {
                continue;
            };
            for _ in crate::index::alive_docs(scorer.as_mut(), reader) {
                count += 1;
                if count >= most {
                    return count;
                }
            }
        }
        count
    }
}

/// One hit before it is read from the store: where, how it ranks, what it holds.
struct Found {
    article: String,
    line: u64,
    address: tantivy::DocAddress,
    /// The hash of the passage's text, as the index keeps it.
    text_hash: u64,
    /// Other articles holding the same text (keys).
    also: Vec<String>,
    score: f32,
    tier: Tier,
    /// The words the passage and its title hold (bit i: word i).
    matched: u64,
}

impl Found {
    fn new<K>(candidate: pool::Candidate<K>, score: f32, tier: Tier, matched: u64) -> Self {
        Found {
            article: candidate.article,
            line: candidate.line,
            address: candidate.address,
            text_hash: candidate.text,
            also: candidate.also,
            score,
            tier,
            matched,
        }
    }
}

/// A query read as more words than a passage's word mask holds is refused.
pub(crate) fn check_word_count(reading: &words::Reading) -> Result<()> {
    if reading.words.len() > articles::MAX_WORDS {
        return Err(Error::Query(format!(
            "too many words ({}; at most {})",
            reading.words.len(),
            articles::MAX_WORDS
        )));
    }
    Ok(())
}

/// Runs `query` and returns the best `limit` passages.
pub(crate) fn search(
    context: &Context<'_>,
    raw_query: &str,
    query: &Query,
    limit: usize,
) -> Result<Results> {
    let started = Instant::now();
    let reading = words::read(query, context.dictionary, context.synonyms, context);
    check_word_count(&reading)?;
    let pool_size = limit.saturating_add(DUPLICATE_SLACK);
    // A word read anew (a typo, pinyin) is not the query's literal: a word search finds it.
    let as_typed = reading.corrections.is_empty();
    let (found, total, total_exact, total_all_words) =
        if reading.words.len() == 1 && !reading.split && as_typed {
            let (found, total) = search_literal(context, query, pool_size)?;
            (found, total, true, total)
        } else {
            search_words(context, query, &reading.words, pool_size)?
        };
    let needles = needles_of(&reading, query);
    let found: Vec<Found> = found.into_iter().take(limit).collect();
    // The strings that place a hit's snippet and column: the query as written, then each word
    // from the rarest.
    let mut anchors: Vec<Vec<Vec<char>>> = vec![written_forms(query)];
    let mut by_rarity: Vec<(u64, &words::Word)> = reading
        .words
        .iter()
        .map(|word| {
            let fields = &context.index.fields.gram;
            let count = grams::doc_freq_estimate(context.searcher, fields, word.chars());
            (count.unwrap_or(u64::MAX), word)
        })
        .collect();
    by_rarity.sort_by_key(|&(count, _)| count);
    anchors.extend(by_rarity.into_iter().map(|(_, word)| word.forms.clone()));
    // The other files holding each hit's passage, read with the hits.
    let mut twins: Vec<(usize, Found)> = Vec::new();
    if context.scope.with_text {
        for (i, hit) in found.iter().enumerate() {
            for key in &hit.also {
                if let Some(twin) = twin_in(context, key, hit)? {
                    twins.push((i, twin));
                }
            }
        }
    }
    let mut texts = if context.scope.with_text {
        let all: Vec<&Found> = found.iter().chain(twins.iter().map(|(_, t)| t)).collect();
        reread(context, &all)?
    } else {
        Vec::new()
    };
    let twin_texts = texts.split_off(found.len().min(texts.len()));
    let mut also_of: Vec<Vec<Also>> = vec![Vec::new(); found.len()];
    let mut anchor_of: Vec<Option<usize>> = vec![None; found.len()];
    let mut hits: Vec<Hit> = Vec::with_capacity(found.len());
    for (i, found) in found.iter().enumerate() {
        let path = crate::corpus::path_of(context.seeds, &found.article);
        let changed = context.scope.with_text && texts[i].is_none();
        let (title, text, highlights, snippet, location) =
            match texts.get_mut(i).and_then(Option::take) {
                Some((title, passage)) => {
                    let text = passage.text;
                    let folded = highlight::Passage::new(&text, &passage.tail);
                    let highlights = folded.find(&needles);
                    let anchor = anchor_in(&folded, &anchors, &highlights);
                    anchor_of[i] = Some(anchor);
                    let snippet = highlight::snippet_in_columns(
                        &text,
                        &highlights,
                        anchor,
                        context.scope.snippet_columns,
                    );
                    let location = passage.origin.locate(&text, anchor);
                    (title, text, highlights, snippet, location)
                }
                None => Default::default(),
            };
        let mut matched = Vec::new();
        let mut missing = Vec::new();
        for (i, word) in reading.words.iter().enumerate() {
            let held = i < 64 && found.matched >> i & 1 == 1;
            if held { &mut matched } else { &mut missing }.push(word.text.clone());
        }
        hits.push(Hit {
            rank: hits.len() + 1,
            score: found.score,
            tier: found.tier,
            matched,
            missing,
            path,
            also: Vec::new(),
            line: found.line,
            location,
            title,
            text,
            highlights,
            anchor: anchor_of[i].unwrap_or(0),
            snippet,
            changed,
            before: Vec::new(),
            after: Vec::new(),
        });
    }
    if context.scope.with_text && context.scope.context != (0, 0) {
        add_context(context, query, &found, &mut hits)?;
    }
    for ((i, twin), text) in twins.iter().zip(twin_texts) {
        let location = match (text, anchor_of[*i]) {
            (Some((_, passage)), Some(anchor)) => passage.origin.locate(&passage.text, anchor),
            _ => None,
        };
        also_of[*i].push(Also {
            path: crate::corpus::path_of(context.seeds, &twin.article),
            line: twin.line,
            location,
        });
    }
    for (hit, (found, mut also)) in hits.iter_mut().zip(found.iter().zip(also_of)) {
        // A twin that could not be placed (no text asked for) is still named.
        for key in &found.also {
            let path = crate::corpus::path_of(context.seeds, key);
            if !also.iter().any(|a| a.path == path) {
                also.push(Also {
                    path,
                    line: 0,
                    location: None,
                });
            }
        }
        hit.also = also;
    }
    Ok(Results {
        query: raw_query.to_string(),
        words: reading.words.iter().map(|w| w.text.clone()).collect(),
        split: reading.split,
        corrections: reading.corrections,
        all_words: hits.iter().all(|hit| hit.tier < Tier::SomeWords),
        total,
        total_all_words,
        total_exact,
        hits,
        took: started.elapsed(),
    })
}

/// Gives each hit the passages around it in its article (see [`Scope::context`]), each
/// article read once however many of its passages are hits.
fn add_context(
    context: &Context<'_>,
    query: &Query,
    found: &[Found],
    hits: &mut [Hit],
) -> Result<()> {
    let (before, after) = context.scope.context;
    let mut articles: std::collections::HashMap<&str, Option<ArticleText>> = Default::default();
    for (hit, found) in hits.iter_mut().zip(found) {
        if !articles.contains_key(found.article.as_str()) {
            let text = article(context, &found.article, Some(query))?;
            articles.insert(&found.article, text);
        }
        let Some(Some(article)) = articles.get(found.article.as_str()) else {
            continue;
        };
        let passages = &article.passages;
        // A long line is cut into several passages: the one with the hit's text.
        let at = passages
            .iter()
            .position(|p| p.line == hit.line && p.text == hit.text)
            .or_else(|| passages.iter().position(|p| p.line == hit.line));
        if let Some(at) = at {
            hit.before = passages[at.saturating_sub(before)..at].to_vec();
            hit.after = passages[at + 1..passages.len().min(at + 1 + after)].to_vec();
        }
    }
    Ok(())
}

/// The strings a hit highlights: every form of every word the query was read as, and of its
/// literals.
pub(crate) fn needles_of(reading: &words::Reading, query: &Query) -> Vec<Vec<char>> {
    reading
        .words
        .iter()
        .flat_map(|word| word.forms.iter().cloned())
        .chain(
            query
                .groups
                .iter()
                .flat_map(|group| group.iter().flat_map(Literal::forms)),
        )
        .collect()
}

/// An indexed article as a reader reads it: every passage, with a query's matches.
#[derive(Debug, Clone)]
pub struct ArticleText {
    /// The file, as the user can open it (as [`Hit::path`]).
    pub path: std::path::PathBuf,
    /// The article's title (its first passage).
    pub title: String,
    /// The words the query was read as (empty without a query).
    pub words: Vec<String>,
    /// Every passage, in reading order.
    pub passages: Vec<ArticlePassage>,
}

/// One passage of an [`ArticleText`].
#[derive(Debug, Clone)]
pub struct ArticlePassage {
    /// 1-based line where it starts (a document's paragraph).
    pub line: u64,
    /// 1-based page, for documents with pages.
    pub page: Option<u32>,
    /// The passage's text; empty when `changed`.
    pub text: String,
    /// Half-open character ranges in `text` of the query's matches.
    pub highlights: Vec<(usize, usize)>,
    /// The file no longer holds the passage as indexed.
    pub changed: bool,
}

/// The article `key` with the matches of `query` highlighted, when the commit holds it as an
/// article: `None` for a key it does not hold, a file it skipped, and a file whose path now
/// leads out of the seeds folder (a link put in its place): nothing but indexed articles is
/// read, whatever the key names.
pub(crate) fn article(
    context: &Context<'_>,
    key: &str,
    query: Option<&Query>,
) -> Result<Option<ArticleText>> {
    let known = crate::index::manifest::lookup(context.searcher, &context.index.fields, key)?;
    if known.is_none_or(|known| known.skipped()) {
        return Ok(None);
    }
    let path = crate::corpus::path_of(context.seeds, key);
    let inside = match (path.canonicalize(), context.seeds.canonicalize()) {
        (Ok(file), Ok(seeds)) => file.starts_with(seeds),
        _ => false,
    };
    if !inside {
        return Ok(None);
    }
    let term = tantivy::Term::from_field_text(context.index.fields.key, key);
    let mut found: Vec<Found> = Vec::new();
    crate::index::find_alive(context.searcher, &term, search_error, |ord, _, docs| {
        let columns = context.columns.of(context.searcher, ord)?;
        for doc in docs {
            found.push(Found {
                article: key.to_string(),
                line: columns.line(doc),
                address: tantivy::DocAddress::new(ord, doc),
                text_hash: columns.text_hash(doc),
                also: Vec::new(),
                score: 0.0,
                tier: Tier::SomeWords,
                matched: 0,
            });
        }
        Ok(None::<()>)
    })?;
    found.sort_by_key(|hit| (hit.line, hit.address.segment_ord, hit.address.doc_id));
    let (words, needles) = match query {
        Some(query) => {
            let reading = words::read(query, context.dictionary, context.synonyms, context);
            let words = reading.words.iter().map(|w| w.text.clone()).collect();
            (words, needles_of(&reading, query))
        }
        None => (Vec::new(), Vec::new()),
    };
    let all: Vec<&Found> = found.iter().collect();
    let texts = reread(context, &all)?;
    let mut title = String::new();
    let passages = found
        .iter()
        .zip(texts)
        .map(|(hit, text)| match text {
            Some((article_title, passage)) => {
                title = article_title;
                let folded = highlight::Passage::new(&passage.text, &passage.tail);
                let page = passage.origin.locate(&passage.text, 0).and_then(|l| l.page);
                ArticlePassage {
                    line: hit.line,
                    page,
                    highlights: folded.find(&needles),
                    text: passage.text,
                    changed: false,
                }
            }
            None => ArticlePassage {
                line: hit.line,
                page: None,
                text: String::new(),
                highlights: Vec::new(),
                changed: true,
            },
        })
        .collect();
    Ok(Some(ArticleText {
        path,
        title,
        words,
        passages,
    }))
}

/// The strings that are the query as written: a one-group query's literals, or the literals of
/// every group in a row, with or without a space between them.
pub(crate) fn written_forms(query: &Query) -> Vec<Vec<char>> {
    match &query.groups[..] {
        [group] => group.iter().flat_map(Literal::forms).collect(),
        groups if groups.iter().all(|g| g.len() == 1) => {
            let literals: Vec<&[char]> = groups.iter().map(|g| &g[0].chars[..]).collect();
            vec![literals.concat(), literals.join(&' ')]
        }
        _ => Vec::new(),
    }
}

/// Where a passage's snippet and column are placed: the first of `anchors` (the query as
/// written, then each word from the rarest) that the passage holds, at its first place; else
/// the first highlight.
pub(crate) fn anchor_in(
    passage: &highlight::Passage,
    anchors: &[Vec<Vec<char>>],
    highlights: &[(usize, usize)],
) -> usize {
    for forms in anchors.iter().filter(|forms| !forms.is_empty()) {
        if let Some(&(start, _)) = passage.find(forms).first() {
            return start;
        }
    }
    highlights.first().map_or(0, |h| h.0)
}

/// The passage of article `key` whose text is `hit`'s: where a hit's twin stands.
fn twin_in(context: &Context<'_>, key: &str, hit: &Found) -> Result<Option<Found>> {
    let twin = passage_of(context, key, |columns, doc| {
        columns.text_hash(doc) == hit.text_hash
    })?;
    Ok(twin.map(|(address, line)| Found {
        article: key.to_string(),
        line,
        address,
        text_hash: hit.text_hash,
        also: Vec::new(),
        score: hit.score,
        tier: hit.tier,
        matched: hit.matched,
    }))
}

/// The first live passage of article `key` that `accept` takes, and its line.
fn passage_of(
    context: &Context<'_>,
    key: &str,
    accept: impl Fn(&PassageColumns, tantivy::DocId) -> bool,
) -> Result<Option<(tantivy::DocAddress, u64)>> {
    let term = tantivy::Term::from_field_text(context.index.fields.key, key);
    crate::index::find_alive(context.searcher, &term, search_error, |ord, _, docs| {
        let columns = context.columns.of(context.searcher, ord)?;
        for doc in docs {
            if accept(&columns, doc) {
                let address = tantivy::DocAddress::new(ord, doc);
                return Ok(Some((address, columns.line(doc))));
            }
        }
        Ok(None)
    })
}

/// A query of one word: tantivy's boolean query with the boundary bonus added by [`rank`].
fn search_literal(
    context: &Context<'_>,
    query: &Query,
    pool_size: usize,
) -> Result<(Vec<Found>, usize)> {
    let (built, on_boundaries, as_written_counts) = build(context.index, query, context.synonyms);
    let mut tantivy_query: Box<dyn tantivy::query::Query> = Box::new(built);
    if context.scope.word_boundaries {
        // Each group's literals on word boundaries, or nothing: the group as a word.
        let bounded = query.groups.iter().map(|group| {
            let literals = group
                .iter()
                .map(|literal| grams::on_boundaries(&context.index.fields.gram, &literal.chars))
                .collect();
            (Occur::Must, any_of(literals))
        });
        tantivy_query = Box::new(BooleanQuery::new(
            std::iter::once((Occur::Must, tantivy_query))
                .chain(bounded)
                .collect(),
        ));
    }
    if let Some(in_scope) = context.scope.articles_query(context.index) {
        tantivy_query = Box::new(BooleanQuery::new(vec![
            (Occur::Must, tantivy_query),
            (Occur::Must, in_scope),
        ]));
    }
    let collector = rank::Ranked::new(
        pool_size,
        BOUNDARY_BONUS,
        &on_boundaries,
        EnableScoring::disabled_from_searcher(context.searcher),
        context.columns.keys.clone(),
        context.index.fields.gram,
    )
    .map_err(search_error)?;
    let statistics = grams::PassageStatistics {
        searcher: context.searcher,
        fields: &context.index.fields.gram,
    };
    let (pools, total) = context
        .searcher
        .search_with_statistics_provider(tantivy_query.as_ref(), &collector, &statistics)
        .and_then(|fruit| fruit)
        .map_err(search_error)?;
    let found = pools
        .into_page()
        .into_iter()
        .map(|candidate| {
            let score = candidate.key.0;
            let tier = if !as_written_counts || score >= AS_WRITTEN_BONUS {
                Tier::AsWritten
            } else {
                Tier::WordsInPassage
            };
            Found::new(candidate, score, tier, 1)
        })
        .collect();
    Ok((found, total))
}

/// A query of several words (see [`articles`]).
fn search_words(
    context: &Context<'_>,
    query: &Query,
    words: &[words::Word],
    pool_size: usize,
) -> Result<(Vec<Found>, usize, bool, usize)> {
    let fields = &context.index.fields.gram;
    let excluded: Vec<Vec<char>> = query.excluded.iter().flat_map(Literal::forms).collect();
    let mut search = articles::WordSearch::new(
        context.searcher,
        fields,
        words,
        as_written(fields, query),
        &excluded,
    )?;
    search.limit_to(
        context.scope.articles_query(context.index),
        context.searcher,
    )?;
    search.exact_total = context.scope.exact_total;
    let kind = tantivy::Term::from_field_text(
        context.index.fields.kind,
        crate::index::documents::ARTICLE_KIND,
    );
    let articles = context
        .searcher
        .doc_freq(&kind)
        .map_err(search_error)?
        .max(1);
    let statistics = grams::PassageStatistics {
        searcher: context.searcher,
        fields,
    };
    let tokens =
        tantivy::query::Bm25StatisticsProvider::total_num_tokens(&statistics, fields.grams)
            .map_err(search_error)?
            .max(1);
    search.average_article = tokens as f32 / articles as f32;
    let passages = context.searcher.num_docs().saturating_sub(articles).max(1);
    search.average_passages = passages as f32 / articles as f32;
    search.word_boundaries = context.scope.word_boundaries;
    let found = search.run(context.searcher, pool_size, context.columns.keys.as_deref())?;
    let total_weight = search.total_weight();
    let hits = found
        .pools
        .into_page()
        .into_iter()
        .map(|candidate| {
            let key = candidate.key;
            let score = summary_score(&key, words.len(), total_weight);
            Found::new(candidate, score, key.tier, key.matched)
        })
        .collect();
    Ok((hits, found.total, found.total_exact, found.total_all_words))
}

/// The query as written, when every group is one literal: its literals in a row, with or
/// without a space between them.
fn as_written(fields: &grams::GramFields, query: &Query) -> Option<Box<dyn tantivy::query::Query>> {
    if !query.groups.iter().all(|g| g.len() == 1) {
        return None;
    }
    let literals: Vec<&[char]> = query.groups.iter().map(|g| &g[0].chars[..]).collect();
    let mut forms = vec![grams::contains(fields, &literals.concat())];
    if literals.len() > 1 {
        forms.push(grams::contains(fields, &literals.join(&' ')));
    }
    Some(any_of(forms))
}

/// A word-search hit's score, on the scale of a one-word query's: tiers 1 to 3 get the as-written
/// and boundary bonuses, tier 4 is below 0, tier 5 below -1000; the share of the words held
/// orders tiers 4 and 5.
pub(crate) fn summary_score(key: &articles::WordKey, words: usize, total_weight: f32) -> f32 {
    let bm25 = key.bm25 * BM25_SCALE;
    let share = |weight: f32| {
        if total_weight > 0.0 {
            weight / total_weight
        } else {
            0.0
        }
    };
    let boundaries = BOUNDARY_BONUS * key.on_boundaries as f32 / words.max(1) as f32;
    match key.tier {
        Tier::AsWritten => AS_WRITTEN_BONUS + boundaries + bm25,
        Tier::WordsOnBoundaries | Tier::WordsInPassage => boundaries + bm25,
        Tier::WordsInArticle => -1000.0 + 500.0 * share(key.coverage) + bm25,
        Tier::SomeWords => -2000.0 + 500.0 * share(key.article_weight) + bm25,
    }
}

/// The title document of the article of the passage at `address`, and its text's hash, when
/// the passage is in the article's first unit (see [`documents::UnitPlace`]); a passage of a
/// later unit of a long article does not know it.
fn title_of(
    context: &Context<'_>,
    address: tantivy::DocAddress,
) -> Result<Option<(tantivy::DocAddress, u64)>> {
    let segment = context.searcher.segment_reader(address.segment_ord);
    let columns = context.columns.of(context.searcher, address.segment_ord)?;
    let (first, _, has_title) = columns
        .place(address.doc_id)
        .span(address.doc_id, segment.max_doc());
    if !has_title {
        return Ok(None);
    }
    let first = tantivy::DocAddress::new(address.segment_ord, first);
    Ok(Some((first, columns.text_hash(first.doc_id))))
}

/// The title document of article `key`: the first of its first unit, found among its passages.
fn title_document(context: &Context<'_>, key: &str) -> Result<Option<tantivy::DocAddress>> {
    let title = passage_of(context, key, |columns, doc| {
        let place = columns.place(doc);
        place.has_title && place.offset == 0
    })?;
    Ok(title.map(|(address, _)| address))
}

/// The passage the index keeps at `address`: its text, tail and origin (see
/// [`documents::keeps_text`]).
fn kept_text(context: &Context<'_>, address: tantivy::DocAddress) -> Result<Option<Passage>> {
    let doc: tantivy::TantivyDocument = context.searcher.doc(address).map_err(search_error)?;
    Ok(documents::kept_passage(&context.index.fields, &doc))
}

/// The title and the passages of `hits`, all of article `key`, from the text the index keeps
/// of a long file or a document (see [`documents::keeps_text`]) while the file is as it was
/// indexed: the size and time a sync would take as unchanged. `None` when the file keeps no
/// text, has changed, or its text was not kept: then it is read again. `title` is the title document and its hash, when
/// a hit knows it.
fn kept(
    context: &Context<'_>,
    key: &str,
    path: &Path,
    hits: &[&Found],
    title: Option<(tantivy::DocAddress, u64)>,
) -> Result<Option<(String, Vec<Option<Passage>>)>> {
    let Ok((size, mtime_ns)) = crate::corpus::size_and_mtime(path) else {
        return Ok(None);
    };
    if !documents::keeps_text(path, size) {
        return Ok(None);
    }
    let Some(known) = crate::index::manifest::lookup(context.searcher, &context.index.fields, key)?
    else {
        return Ok(None);
    };
    // A document's text is only ever in the index: one whose time is recent is shown from it.
    let recheck = known.recheck && crate::corpus::document::Kind::of(path).is_none();
    if recheck || known.skipped() || known.size != size || known.mtime_ns != mtime_ns {
        return Ok(None);
    }
    let title_at = match title {
        Some((address, _)) => Some(address),
        None => title_document(context, key)?,
    };
    let Some(Passage {
        text: title_text, ..
    }) = title_at
        .map(|at| kept_text(context, at))
        .transpose()?
        .flatten()
    else {
        return Ok(None);
    };
    if title.is_some_and(|(_, hash)| text_hash(&title_text) != hash) {
        return Ok(None);
    }
    let mut passages = Vec::with_capacity(hits.len());
    for hit in hits {
        let Some(mut passage) = kept_text(context, hit.address)? else {
            return Ok(None);
        };
        passage.line = hit.line;
        let as_indexed = text_hash(&passage.text) == hit.text_hash;
        passages.push(as_indexed.then_some(passage));
    }
    Ok(Some((title_text, passages)))
}

/// Each hit's title and passage, from the text the index keeps of a long file (see [`kept`]) or
/// read again from its file (each file read once, as far as its last hit): `None` for a hit whose file no longer holds them as indexed (changed or gone
/// since; a search after a sync meets this only when a file changes between the two).
fn reread(context: &Context<'_>, found: &[&Found]) -> Result<Vec<Option<(String, Passage)>>> {
    let mut texts = vec![None; found.len()];
    for (key, hits) in group_by_key(found.iter().map(|hit| hit.article.as_str())) {
        let hits_found: Vec<&Found> = hits.iter().map(|&i| found[i]).collect();
        // The title is the first passage of the article's first unit; a hit in a later unit of
        // a long article does not know it, and only its passage is checked.
        let mut title = None;
        for hit in &hits_found {
            title = title_of(context, hit.address)?;
            if title.is_some() {
                break;
            }
        }
        let path = crate::corpus::path_of(context.seeds, key);
        let (title_text, passages) = match kept(context, key, &path, &hits_found, title)? {
            Some(kept) => kept,
            // A document changed since it was indexed: its hits stand, their text cannot be
            // shown until the next sync.
            None if crate::corpus::document::Kind::of(&path).is_some() => continue,
            None => {
                let wanted: Vec<Wanted> = hits_found
                    .iter()
                    .map(|hit| Wanted {
                        line: hit.line,
                        text_hash: hit.text_hash,
                    })
                    .collect();
                // Unreadable now counts as changed: the hits stand, their text cannot be shown.
                let Ok(reread) =
                    crate::corpus::read::reread(&path, grams::TAIL_CHARS, &wanted, &text_hash)
                else {
                    continue;
                };
                let Some(title_text) = reread.title else {
                    continue;
                };
                if title.is_some_and(|(_, hash)| text_hash(&title_text) != hash) {
                    continue;
                }
                (title_text, reread.passages)
            }
        };
        for (&i, passage) in hits.iter().zip(passages) {
            texts[i] = passage.map(|passage| (title_text.clone(), passage));
        }
    }
    Ok(texts)
}

/// The positions of `keys` grouped by key, groups in the order their keys first appear: the
/// hits of one file, to read it once for all of them. A map finds each key's group, so that a
/// search with a large `--limit` does not compare every hit with every group.
fn group_by_key<'a>(keys: impl Iterator<Item = &'a str>) -> Vec<(&'a str, Vec<usize>)> {
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    let mut group_of: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, key) in keys.enumerate() {
        let group = *group_of.entry(key).or_insert_with(|| {
            groups.push((key, Vec::new()));
            groups.len() - 1
        });
        groups[group].1.push(i);
    }
    groups
}

#[cfg(test)]
mod tests {
    #[test]
    fn positions_are_grouped_by_key_in_the_order_keys_first_appear() {
        let groups = super::group_by_key(["b", "a", "b", "c", "a", "b"].into_iter());
        assert_eq!(
            groups,
            vec![("b", vec![0, 2, 5]), ("a", vec![1, 4]), ("c", vec![3])]
        );
    }
}
