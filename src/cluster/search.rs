//! Searching a cluster index: the query is parsed and read into words exactly as locally (the
//! word reading asks the cluster how many passages hold a string, through `_count`), and the
//! tiers become the query DSL over the terms [`super::export`] sent.
//!
//! A one-word query (or one quoted string, or one `OR` group) ranks as locally: the query as
//! written (a phrase over `grams`), a constant for standing on word boundaries (a phrase with
//! boundary markers at both ends) and BM25 scaled below one tier. An index of several shards is
//! searched `dfs_query_then_fetch`, so BM25 counts terms over every shard, not each shard's own. Ties go
//! to the earlier key and line (sorted by the cluster). At most three passages of one article
//! among the first ten while others match: the best passages overall and, when an article has
//! more than three of them, the passages of the best articles (found by `collapse` on the key),
//! ranked by the same pools as a local search ([`crate::search`]), which also fold a text found
//! in several files into one hit.
//!
//! A query read as several words, or as a word other than typed, is a word search
//! ([`super::words`]): the cluster finds the passages, sou ranks them by the local tiers.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Instant;

use serde_json::{Value, json};

use super::{Cluster, files, terms};
use crate::analysis::dictionary::Dictionary;
use crate::index::sidecar::{self, PinyinWords};
use crate::search::pool::{Candidate, PER_ARTICLE, Pools};
use crate::search::rank::ByScore;
use crate::search::{
    self, AS_WRITTEN_BONUS, BM25_SCALE, BOUNDARY_BONUS, DUPLICATE_SLACK, Hit, Query, Results,
    SearchOptions, Synonyms, Tier, highlight, words,
};
use crate::{Error, Result};

/// Most hits a cluster returns to one request (its default `index.max_result_window`).
pub(super) const MOST_HITS: usize = 10_000;
/// Passages asked for at once of the articles that may fill the page.
const PASSAGES_PER_PAGE: usize = 64;
/// Most pages of them: past it, the hits are the best found so far (a handful of articles
/// with thousands of passages each ahead of all others).
const MOST_PAGES: usize = 100;

/// The searches sent to a cluster, one after the other.
pub(super) struct Asked<'a> {
    cluster: &'a Cluster,
    search_type: &'static str,
    /// The filter of the files searched (`-g`, `-t`), when not all are.
    scope: Option<Value>,
    sent: Vec<Value>,
    took_ms: u64,
}

impl<'a> Asked<'a> {
    fn new(cluster: &'a Cluster, search_type: &'static str, scope: Option<Value>) -> Self {
        Asked {
            cluster,
            search_type,
            scope,
            sent: Vec::new(),
            took_ms: 0,
        }
    }

    /// Sends `body`, its query narrowed to the files searched.
    pub(super) fn search(&mut self, body: Value) -> Result<Value> {
        let body = self.scoped(body);
        self.search_whole(body)
    }

    /// `body` with its query narrowed to the files searched.
    fn scoped(&self, mut body: Value) -> Value {
        if let Some(scope) = &self.scope {
            let query = body
                .get("query")
                .cloned()
                .unwrap_or(json!({"match_all": {}}));
            // A filter scores nothing: the query's scores stay as they are.
            body["query"] = json!({"bool": {"must": [query], "filter": [scope]}});
        }
        body
    }

    /// Sends two searches, each narrowed as [`Asked::search`] does, in one round trip
    /// (`_msearch`, which the cluster runs at once); their answers in order.
    pub(super) fn search_both(&mut self, bodies: [Value; 2]) -> Result<[Value; 2]> {
        let bodies = bodies.map(|body| self.scoped(body));
        let mut lines = String::new();
        for body in &bodies {
            lines.push_str("{}\n");
            lines.push_str(&body.to_string());
            lines.push('\n');
        }
        let path = format!("/_msearch?search_type={}", self.search_type);
        let answer = self.cluster.call("POST", &path, Some(&lines))?;
        if !(200..300).contains(&answer.status) {
            return Err(self.cluster.refused(&answer));
        }
        let responses = answer.body["responses"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        // A search the cluster was too busy for is sent again as a single request would be
        // (waited for, see `Cluster::call`): the two one after the other.
        let busy = |one: &Value| matches!(one["status"].as_u64(), Some(429 | 503));
        if responses.iter().any(busy) {
            let [first, second] = bodies;
            return Ok([self.search_whole(first)?, self.search_whole(second)?]);
        }
        let mut answers = Vec::new();
        for one in &responses {
            if one.get("error").is_some() {
                let reason = super::reason_of(one).unwrap_or_default();
                return Err(self.cluster.error(reason));
            }
            self.took_ms += one["took"].as_u64().unwrap_or(0);
            answers.push(one.clone());
        }
        let answers = <[Value; 2]>::try_from(answers).map_err(|answers| {
            self.cluster
                .error(format!("_msearch answered {} searches of 2", answers.len()))
        })?;
        self.sent.extend(bodies);
        Ok(answers)
    }

    /// The `fields` of the stored source of the documents `ids`, by id (see [`by_id`]).
    pub(super) fn sources(
        &mut self,
        ids: Vec<String>,
        fields: &[&str],
    ) -> Result<HashMap<String, Value>> {
        by_id(
            self.cluster,
            ids.into_iter().map(Value::from).collect(),
            fields,
        )
    }

    /// Sends `body` as it is, over every file: BM25's statistics, which a local search too
    /// takes from the whole index whatever files it searches.
    pub(super) fn search_whole(&mut self, body: Value) -> Result<Value> {
        let path = format!("/_search?search_type={}", self.search_type);
        let answer = self.cluster.ok("POST", &path, Some(&body))?;
        self.sent.push(body);
        self.took_ms += answer["took"].as_u64().unwrap_or(0);
        Ok(answer)
    }
}

/// The passages found, each once (by document id), in the order found.
#[derive(Default)]
struct Found {
    hits: Vec<Value>,
    seen: std::collections::HashSet<String>,
}

impl Found {
    /// Takes the hits of a search answer.
    fn take(&mut self, answer: &Value) {
        for hit in answer
            .pointer("/hits/hits")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let id = hit["_id"].as_str().unwrap_or("").to_string();
            if self.seen.insert(id) {
                let mut hit = hit.clone();
                if hit.get("_source").is_none() {
                    // Asked for its columns: read as the source would hold them.
                    let field = |name: &str| hit.pointer(&format!("/fields/{name}/0")).cloned();
                    hit["_source"] = json!({
                        "key": field("key"), "line": field("line"), "text_hash": field("text_hash")
                    });
                }
                self.hits.push(hit);
            }
        }
    }
}

/// A search of a cluster, and what it sent.
#[derive(Debug)]
pub struct ClusterSearch {
    /// The answer, as a local search gives it (paths are the files' keys: their paths inside
    /// the folder that was exported).
    pub results: Results,
    /// The bodies sent to `_search`, in order (for `--explain`).
    pub sent: Vec<Value>,
    /// The cluster's own time for the searches (`took`, ms), summed.
    pub took_ms: u64,
}

/// Most passages counted when word reading compares two strings (as locally: past it, both
/// are common).
const PASSAGES_COUNTED: u64 = 10_000;

/// A count word reading asked for: the string, whether on word boundaries, and up to how many.
type CountAsked = (Vec<char>, bool, u64);

/// Word reading asks the cluster, each string once.
struct ClusterCorpus<'a> {
    cluster: &'a Cluster,
    counts: RefCell<HashMap<CountAsked, u64>>,
    /// Exact counts of strings asked for ahead (see [`ClusterCorpus::first_look`]).
    exact: RefCell<HashMap<Vec<char>, u64>>,
    /// The documents, files' records and passages of the index, as the first look counted them.
    totals: std::cell::Cell<Option<[u64; 4]>>,
    failure: RefCell<Option<Error>>,
    /// The version of the corpus words by pinyin the index keeps, when it keeps some.
    pinyin_head: Option<files::Head>,
    /// Where the bytes of that version are kept once fetched.
    cache: Option<&'a Path>,
    /// Those words, fetched or opened when a term is first read as pinyin or a typo.
    pinyin: std::cell::OnceCell<Option<PinyinWords>>,
}

/// The longest term whose strings are counted ahead, and the longest string counted.
const AHEAD_TERM_CHARS: usize = 12;
const AHEAD_STRING_CHARS: usize = 8;

impl ClusterCorpus<'_> {
    /// The first request of a search: the heads of sou's files in the index (`names`), and
    /// the passages holding each string of two to [`AHEAD_STRING_CHARS`] characters of the
    /// query's terms, counted ahead: reading a term into words asks for many of them one
    /// after the other, and each is a round trip.
    fn first_look(&self, query: &Query, names: &[&str]) -> Result<Vec<Option<files::Head>>> {
        let mut strings: Vec<Vec<char>> = Vec::new();
        for literal in query.groups.iter().flatten() {
            let chars = &literal.chars;
            if chars.len() > AHEAD_TERM_CHARS || chars.iter().any(|c| c.is_whitespace()) {
                continue;
            }
            for from in 0..chars.len() {
                for to in from + 2..=chars.len().min(from + AHEAD_STRING_CHARS) {
                    strings.push(chars[from..to].to_vec());
                }
            }
        }
        let strings = self.not_counted(strings);
        let mut aggs = count_aggregations(&strings);
        aggs.insert("files".into(), files::heads_aggregation(names));
        // The totals a word search weighs its words by.
        super::words::Counted::ask_totals(&mut aggs);
        let body = json!({"size": 0, "track_total_hits": true, "aggs": aggs});
        let answer = self.cluster.ok("POST", "/_search", Some(&body))?;
        self.take_counts(strings, &answer);
        self.totals.set(super::words::Counted::totals_in(&answer));
        Ok(files::heads_from(&answer["aggregations"]["files"], names))
    }

    /// Counts the passages holding each of `strings` not counted yet, in one request.
    fn count_exactly(&self, strings: Vec<Vec<char>>) {
        let strings = self.not_counted(strings);
        if strings.len() < 2 {
            return;
        }
        let body =
            json!({"size": 0, "track_total_hits": false, "aggs": count_aggregations(&strings)});
        // Counting ahead only saves time: a failure leaves each count to be asked alone.
        if let Ok(answer) = self.cluster.ok("POST", "/_search", Some(&body)) {
            self.take_counts(strings, &answer);
        }
    }

    /// `strings` without repeats and without those counted already.
    fn not_counted(&self, mut strings: Vec<Vec<char>>) -> Vec<Vec<char>> {
        strings.sort();
        strings.dedup();
        strings.retain(|chars| !self.exact.borrow().contains_key(chars));
        strings
    }

    /// Keeps the counts of `strings` that `answer` (to [`count_aggregations`]) holds.
    fn take_counts(&self, strings: Vec<Vec<char>>, answer: &Value) {
        let mut exact = self.exact.borrow_mut();
        for (i, chars) in strings.into_iter().enumerate() {
            if let Some(count) = answer
                .pointer(&format!("/aggregations/s{i}/doc_count"))
                .and_then(Value::as_u64)
            {
                exact.insert(chars, count);
            }
        }
    }

    /// How many passages hold `chars` (on word boundaries: `as_word`), counting up to `most`
    /// on each shard.
    fn count(&self, chars: &[char], as_word: bool, most: u64) -> u64 {
        if !as_word && let Some(&count) = self.exact.borrow().get(chars) {
            return count.min(most);
        }
        if let Some(&count) = self.counts.borrow().get(&(chars.to_vec(), as_word, most)) {
            return count;
        }
        let clause = match as_word {
            true => terms::on_boundaries(chars),
            false => terms::contains(chars),
        };
        let body = json!({"query": clause});
        let path = format!("/_count?terminate_after={most}");
        let count = match self.cluster.ok("POST", &path, Some(&body)) {
            Ok(answer) => answer["count"].as_u64().unwrap_or(0),
            Err(err) => {
                self.failure.borrow_mut().get_or_insert(err);
                0
            }
        };
        self.counts
            .borrow_mut()
            .insert((chars.to_vec(), as_word, most), count);
        count
    }
}

/// Aggregations counting the passages holding each of `strings` (`s0`, `s1`, …).
fn count_aggregations(strings: &[Vec<char>]) -> serde_json::Map<String, Value> {
    strings
        .iter()
        .enumerate()
        .map(|(i, chars)| (format!("s{i}"), json!({"filter": terms::contains(chars)})))
        .collect()
}

impl words::Corpus for ClusterCorpus<'_> {
    fn passages(&self, chars: &[char]) -> u64 {
        self.count(chars, false, PASSAGES_COUNTED)
    }

    fn holds(&self, chars: &[char]) -> bool {
        self.count(chars, false, 1) > 0
    }

    fn passages_up_to(&self, chars: &[char], most: u64) -> u64 {
        self.count(chars, false, most.min(PASSAGES_COUNTED))
            .min(most)
    }

    fn holds_as_word(&self, chars: &[char]) -> bool {
        self.count(chars, true, 1) > 0
    }

    fn words_with_key(&self, key: &str) -> Vec<String> {
        let Some(kept) = self.pinyin.get_or_init(|| self.open_pinyin()) else {
            return Vec::new();
        };
        let words = kept.words(&crate::analysis::pinyin::stored(key));
        // Each is counted next, as a reading of the term: all at once.
        self.count_exactly(words.iter().map(|word| word.chars().collect()).collect());
        words
    }

    fn count_ahead(&self, strings: Vec<Vec<char>>) {
        self.count_exactly(strings);
    }
}

impl ClusterCorpus<'_> {
    /// The corpus words by pinyin, from the cache or the index; a failure is said after the
    /// reading.
    fn open_pinyin(&self) -> Option<PinyinWords> {
        let head = self.pinyin_head.as_ref()?;
        match files::local_copy(self.cluster, self.cache, files::PINYIN, head) {
            Ok(bytes) => sidecar::pinyin_words(bytes),
            Err(err) => {
                self.failure.borrow_mut().get_or_insert(err);
                None
            }
        }
    }
}

/// Searches `cluster` for `raw_query` as `options` say (their `globs` and `extensions` narrow
/// the files searched, see [`scope_of`]). The files the index keeps beside the passages (the
/// words by pinyin, the synonyms, the user words) are kept in `cache` once fetched.
pub fn run(
    cluster: &Cluster,
    raw_query: &str,
    options: &SearchOptions<'_>,
    cache: Option<&Path>,
) -> Result<ClusterSearch> {
    let started = Instant::now();
    let query = search::parse_with(raw_query, options)?;
    let mut corpus = ClusterCorpus {
        cluster,
        counts: RefCell::new(HashMap::new()),
        exact: RefCell::new(HashMap::new()),
        totals: std::cell::Cell::new(None),
        failure: RefCell::new(None),
        pinyin_head: None,
        cache,
        pinyin: std::cell::OnceCell::new(),
    };
    // Whether the index is sou's is asked beside the first search, not before it: two round
    // trips at once. The check's error comes first (the search fails on an index that is not
    // there or not sou's).
    let names = [files::SYNONYMS, files::USER_WORDS, files::PINYIN];
    let (checked, looked) = std::thread::scope(|scope| {
        let checking = scope.spawn(|| cluster.check_index());
        let looked = corpus.first_look(&query, &names);
        let checked = checking
            .join()
            .unwrap_or_else(|_| Err(cluster.error("checking the index failed".to_string())));
        (checked, looked)
    });
    let Some(shards) = checked? else {
        return Err(cluster.error(format!(
            "no index {} (sou index --to makes it)",
            cluster.target().index
        )));
    };
    let [synonyms_head, user_words_head, pinyin_head] =
        <[Option<files::Head>; 3]>::try_from(looked?).unwrap_or_default();
    corpus.pinyin_head = pinyin_head;
    let synonyms = match synonyms_head {
        Some(head) => {
            let bytes = files::local_copy(cluster, cache, files::SYNONYMS, &head)?;
            Synonyms::from_kept(bytes, files::STAMP).unwrap_or_default()
        }
        None => Synonyms::default(),
    };
    let user_words = match user_words_head {
        Some(head) => Some(files::local_copy(cluster, cache, files::USER_WORDS, &head)?),
        None => None,
    };
    let dictionary = user_words
        .and_then(|bytes| files::dictionary_of(bytes.as_ref()))
        .unwrap_or_else(|| Dictionary::new(&Default::default()));
    let reading = words::read(&query, &dictionary, &synonyms, &corpus);
    if let Some(err) = corpus.failure.borrow_mut().take() {
        return Err(err);
    }
    // With several shards, BM25's statistics are gathered from all of them first, so that
    // each shard scores as one index would.
    let search_type = if shards > 1 {
        "dfs_query_then_fetch"
    } else {
        "query_then_fetch"
    };
    let scope = scope_of(cluster, options)?;
    let mut asked = Asked::new(cluster, search_type, scope);
    search::check_word_count(&reading)?;
    if reading.words.len() != 1 || reading.split || !reading.corrections.is_empty() {
        let known = corpus.totals.get().and_then(|totals| {
            super::words::Counted::known(totals, &corpus.exact.borrow(), &reading.words)
        });
        return run_words(asked, raw_query, &query, &reading, options, known, started);
    }
    let (clause, as_written_counts) = literal_query(&query, &synonyms, options.word_boundaries);
    let limit = options.limit;
    let pool_size = limit.saturating_add(DUPLICATE_SLACK).min(MOST_HITS);
    let source = SOURCE;
    let sort = json!([{"_score": "desc"}, {"key": "asc"}, {"line": "asc"}]);
    let best = json!({
        "size": pool_size,
        "query": clause,
        "sort": sort,
        "track_scores": true,
        "track_total_hits": true,
        "_source": source,
    });
    let answer = asked.search(best)?;
    let total = answer
        .pointer("/hits/total/value")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let mut found = Found::default();
    found.take(&answer);
    // The best passages with at most three of one article (see `Pools`) are the best ones
    // unless an article has more than three among them. Then they stand among the passages
    // of the articles whose best passage is among the best `pool_size` (each of those
    // articles has one better than any passage of another): the articles first (`collapse`),
    // then their passages.
    let mut per_article: HashMap<&str, usize> = HashMap::new();
    for hit in &found.hits {
        *per_article
            .entry(hit["_source"]["key"].as_str().unwrap_or(""))
            .or_default() += 1;
    }
    if per_article.values().any(|&n| n > PER_ARTICLE) {
        let articles = asked.search(json!({
            "size": pool_size,
            "query": clause,
            "sort": sort,
            "_source": false,
            "collapse": {"field": "key"},
        }))?;
        let keys: Vec<Value> = articles
            .pointer("/hits/hits")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|hit| hit.pointer("/fields/key/0").cloned())
            .collect();
        // Their places only (the columns, not the stored text: the text of the few that make
        // the page is fetched after), page by page in rank order, until the best `pool_size`
        // with at most three of one article are known.
        let mut kept: HashMap<String, usize> = HashMap::new();
        let mut filled = 0;
        let mut pages = 0;
        let body = json!({
            "query": {"bool": {"must": [clause], "filter": [{"terms": {"key": keys}}]}},
            "sort": sort,
            "track_scores": true,
            "track_total_hits": false,
            "_source": false,
            "docvalue_fields": ["key", "line", "text_hash"],
        });
        super::pages(
            |body| asked.search(body),
            body,
            PASSAGES_PER_PAGE,
            |passages, hits| {
                for hit in hits {
                    let key = hit
                        .pointer("/fields/key/0")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    let count = kept.entry(key.to_string()).or_default();
                    if *count < PER_ARTICLE {
                        *count += 1;
                        filled += 1;
                    }
                }
                found.take(passages);
                pages += 1;
                if filled >= pool_size || pages >= MOST_PAGES {
                    std::ops::ControlFlow::Break(())
                } else {
                    std::ops::ControlFlow::Continue(())
                }
            },
        )?;
    }
    let found = found.hits;
    let mut pools: Pools<ByScore> = Pools::new(pool_size);
    for (i, hit) in found.iter().enumerate() {
        let source = &hit["_source"];
        let text_hash = source["text_hash"]
            .as_str()
            .and_then(|hex| u64::from_str_radix(hex, 16).ok())
            .unwrap_or(i as u64);
        pools.offer(Candidate {
            key: ByScore(hit["_score"].as_f64().unwrap_or(0.0) as f32),
            article: source["key"].as_str().unwrap_or("").to_string(),
            line: source["line"].as_u64().unwrap_or(0),
            address: tantivy::DocAddress::new(0, i as u32),
            text: text_hash,
            also: Vec::new(),
        });
    }
    let page: Vec<Shown> = pools
        .into_page()
        .into_iter()
        .take(limit)
        .map(|candidate| {
            let hit = &found[candidate.address.doc_id as usize];
            let score = candidate.key.0;
            let tier = if !as_written_counts || score >= AS_WRITTEN_BONUS {
                Tier::AsWritten
            } else {
                Tier::WordsInPassage
            };
            Shown {
                id: hit["_id"].clone(),
                source: hit["_source"].get("text").map(|_| hit["_source"].clone()),
                score,
                tier,
                matched: u64::MAX,
                article: candidate.article,
                line: candidate.line,
                also: candidate.also,
            }
        })
        .collect();
    let total = total as usize;
    let results = Results {
        query: raw_query.to_string(),
        words: reading.words.iter().map(|w| w.text.clone()).collect(),
        split: reading.split,
        corrections: reading.corrections.clone(),
        all_words: true,
        total,
        total_all_words: total,
        total_exact: true,
        hits: Vec::new(),
        took: Default::default(),
    };
    finish(asked, &query, &reading, options, page, results, started)
}

/// The filter of the files `options`' globs, extensions and paths admit (`-g`, `-t`, paths
/// after the query), as a local search finds them: from the keys of every file the index
/// records; `None` when all are. A path that names no file is an error naming it.
fn scope_of(cluster: &Cluster, options: &SearchOptions<'_>) -> Result<Option<Value>> {
    if options.globs.is_empty() && options.extensions.is_empty() && options.files.is_empty() {
        return Ok(None);
    }
    let admitted = search::ArticleFilter::of(options)?;
    let (mut keys, mut others) = (Vec::new(), Vec::new());
    let body = json!({
        "query": {"term": {"kind": "article"}},
        "sort": [{"key": "asc"}],
        "_source": false,
        "docvalue_fields": ["key"],
    });
    let search = |body: Value| cluster.ok("POST", "/_search", Some(&body));
    super::pages(search, body, RECORDS_PER_PAGE, |_, hits| {
        for key in hits
            .iter()
            .filter_map(|hit| hit.pointer("/fields/key/0")?.as_str())
        {
            match admitted.admits(key) {
                true => keys.push(key.to_string()),
                false => others.push(key.to_string()),
            }
        }
        std::ops::ControlFlow::Continue(())
    })?;
    // A path that names no file is a mistake, not a search of nothing.
    let all = || keys.iter().chain(&others);
    if let Some(file) = options
        .files
        .iter()
        .find(|file| !all().any(|key| search::is_in(key, file)))
    {
        return Err(Error::NotInCluster { path: file.clone() });
    }
    // The shorter list: a terms query takes at most `index.max_terms_count` (65,536) terms.
    Ok(Some(match keys.len() <= others.len() {
        true => json!({"terms": {"key": keys}}),
        false => json!({"bool": {"must_not": [{"terms": {"key": others}}]}}),
    }))
}

/// Records read at once while the files searched are listed.
const RECORDS_PER_PAGE: usize = 5000;

/// A hit of the page, before its text is read.
struct Shown {
    /// The cluster's document id.
    id: Value,
    /// Its stored fields, when they were fetched with it.
    source: Option<Value>,
    score: f32,
    tier: Tier,
    /// The words the passage and its title hold (bit i: word i).
    matched: u64,
    article: String,
    line: u64,
    /// Other files holding the same text.
    also: Vec<String>,
}

/// Passages a twin is looked for with, in [`twins`]: the answer holds this many per twin, so
/// files that repeat a twin's text more often than this on average may leave another twin
/// unplaced (named without its line, as before).
const TWIN_COPIES: usize = 4;

/// Texts whose twins one request of [`twins`] looks for: each is two clauses.
const TWIN_TEXTS_PER_REQUEST: usize = 200;

/// The stored fields a hit is shown from.
pub(super) const SOURCE: [&str; 8] = [
    "key",
    "line",
    "unit",
    "title",
    "text",
    "tail",
    "text_hash",
    "origin",
];

/// Reads the text of the page's hits that came without it, and makes them the hits of
/// `results` (its time taken set here, once every search is done).
fn finish(
    mut asked: Asked<'_>,
    query: &Query,
    reading: &words::Reading,
    options: &SearchOptions<'_>,
    mut page: Vec<Shown>,
    mut results: Results,
    started: Instant,
) -> Result<ClusterSearch> {
    let wanting: Vec<Value> = page
        .iter()
        .filter(|shown| shown.source.is_none())
        .map(|shown| shown.id.clone())
        .collect();
    if !wanting.is_empty() {
        let mut by_id = by_id(asked.cluster, wanting, &SOURCE)?;
        for shown in &mut page {
            if shown.source.is_none() {
                shown.source = shown.id.as_str().and_then(|id| by_id.remove(id));
            }
        }
    }
    let mut twins = if options.with_text {
        twins(&mut asked, &page)?
    } else {
        HashMap::new()
    };
    let needles = search::needles_of(reading, query);
    let neighbours = match options.context {
        (0, 0) => HashMap::new(),
        around => neighbours(asked.cluster, &page, around)?,
    };
    let mut anchors = vec![search::written_forms(query)];
    anchors.extend(reading.words.iter().map(|word| word.forms.clone()));
    for shown in page {
        let source = shown.source.unwrap_or(Value::Null);
        let text = source["text"].as_str().unwrap_or("").to_string();
        let tail = source["tail"].as_str().unwrap_or("");
        let passage = highlight::Passage::new(&text, tail);
        let highlights = passage.find(&needles);
        let anchor = search::anchor_in(&passage, &anchors, &highlights);
        let snippet =
            highlight::snippet_in_columns(&text, &highlights, anchor, options.snippet_columns);
        let location = origin_of(&source).and_then(|origin| origin.locate(&text, anchor));
        let (mut before, mut after) = (Vec::new(), Vec::new());
        if let Some(unit) = source["unit"].as_u64() {
            let around = units_around(unit, options.context);
            for (units, into) in around.into_iter().zip([&mut before, &mut after]) {
                for other in units {
                    let id = super::export::document_id(&shown.article, Some(other as usize));
                    let Some(neighbour) = neighbours.get(&id) else {
                        continue;
                    };
                    let text = neighbour["text"].as_str().unwrap_or("").to_string();
                    let tail = neighbour["tail"].as_str().unwrap_or("");
                    let highlights = highlight::Passage::new(&text, tail).find(&needles);
                    let page = origin_of(neighbour)
                        .and_then(|origin| origin.locate(&text, 0))
                        .and_then(|location| location.page);
                    into.push(search::ArticlePassage {
                        line: neighbour["line"].as_u64().unwrap_or(0),
                        page,
                        text,
                        highlights,
                        changed: false,
                    });
                }
            }
        }
        let mut matched = Vec::new();
        let mut missing = Vec::new();
        for (i, word) in reading.words.iter().enumerate() {
            let held = i >= 64 || shown.matched >> i & 1 == 1;
            if held { &mut matched } else { &mut missing }.push(word.text.clone());
        }
        results.hits.push(Hit {
            rank: results.hits.len() + 1,
            score: shown.score,
            tier: shown.tier,
            matched,
            missing,
            path: std::path::PathBuf::from(&shown.article),
            also: shown
                .also
                .iter()
                .map(|key| {
                    let hash = source["text_hash"].as_str().unwrap_or("").to_string();
                    let twin = twins.remove(&(key.clone(), hash));
                    let line = twin.as_ref().and_then(|t| t["line"].as_u64()).unwrap_or(0);
                    let location = twin
                        .as_ref()
                        .and_then(|twin| origin_of(twin)?.locate(twin["text"].as_str()?, anchor));
                    search::Also {
                        path: std::path::PathBuf::from(key),
                        line,
                        location,
                    }
                })
                .collect(),
            line: shown.line,
            location,
            title: source["title"].as_str().unwrap_or("").to_string(),
            text,
            highlights,
            anchor,
            snippet,
            changed: false,
            before,
            after,
        });
    }
    results.took = started.elapsed();
    Ok(ClusterSearch {
        results,
        sent: asked.sent,
        took_ms: asked.took_ms,
    })
}

/// The other files holding each hit's passage, as a local search places them: of each such
/// file, its first passage of the same text (its line, text and origin), by (file, text hash).
fn twins(asked: &mut Asked<'_>, page: &[Shown]) -> Result<HashMap<(String, String), Value>> {
    // The files to look in, by the text looked for.
    let mut wanted: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for shown in page {
        let hash = shown.source.as_ref().and_then(|s| s["text_hash"].as_str());
        if let Some(hash) = hash.filter(|_| !shown.also.is_empty()) {
            let keys = wanted.entry(hash.to_string()).or_default();
            keys.extend(shown.also.iter().map(String::as_str));
        }
    }
    let wanted: Vec<(String, Vec<&str>)> = wanted.into_iter().collect();
    let mut first = HashMap::new();
    // A few hundred clauses a request: the cluster refuses a query of more than 1,024.
    for texts in wanted.chunks(TWIN_TEXTS_PER_REQUEST) {
        let either: Vec<Value> = texts
            .iter()
            .map(|(hash, keys)| {
                json!({"bool": {"filter": [
                    {"term": {"text_hash": hash}}, {"terms": {"key": keys}}
                ]}})
            })
            .collect();
        let files: usize = texts.iter().map(|(_, keys)| keys.len()).sum();
        let body = json!({
            "size": (files * TWIN_COPIES).min(MOST_HITS),
            "query": {"bool": {
                "filter": [{"term": {"kind": "passage"}}],
                "should": either,
                "minimum_should_match": 1,
            }},
            "sort": [{"key": "asc"}, {"unit": "asc"}],
            "_source": ["key", "line", "text", "text_hash", "origin"],
        });
        let answer = asked.search_whole(body)?;
        for hit in answer
            .pointer("/hits/hits")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let source = &hit["_source"];
            let (Some(key), Some(hash)) = (source["key"].as_str(), source["text_hash"].as_str())
            else {
                continue;
            };
            first
                .entry((key.to_string(), hash.to_string()))
                .or_insert_with(|| source.clone());
        }
    }
    Ok(first)
}

/// The places in its article of the passages shown before and after the passage `unit`,
/// `around` saying how many of each.
fn units_around(unit: u64, (before, after): (usize, usize)) -> [std::ops::Range<u64>; 2] {
    [
        unit.saturating_sub(before as u64)..unit,
        unit + 1..unit + 1 + after as u64,
    ]
}

/// Where a passage's text stands in its file, as the send recorded it: a passage sent without
/// one is its line from the line's start (see `export`). `None` when the source names no line.
fn origin_of(source: &Value) -> Option<crate::corpus::Origin> {
    match source.get("origin") {
        Some(origin) => serde_json::from_value(origin.clone()).ok(),
        None => Some(crate::corpus::Origin::of_line(source["line"].as_u64()?)),
    }
}

/// The passages `around` (before, after) each hit of `page`, by id, in one real-time `_mget`.
fn neighbours(
    cluster: &Cluster,
    page: &[Shown],
    around: (usize, usize),
) -> Result<HashMap<String, Value>> {
    let mut ids = Vec::new();
    for shown in page {
        let Some(unit) = shown.source.as_ref().and_then(|s| s["unit"].as_u64()) else {
            continue;
        };
        for other in units_around(unit, around).into_iter().flatten() {
            ids.push(super::export::document_id(
                &shown.article,
                Some(other as usize),
            ));
        }
    }
    ids.sort();
    ids.dedup();
    by_id(
        cluster,
        ids.into_iter().map(Value::from).collect(),
        &["line", "text", "tail", "origin"],
    )
}

/// The `fields` of the documents `ids` that are there, by id, in one real-time `_mget` (one
/// phase on the shards that hold them, where a search asks every shard twice).
fn by_id(cluster: &Cluster, ids: Vec<Value>, fields: &[&str]) -> Result<HashMap<String, Value>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let body = json!({"ids": ids});
    let path = format!("/_mget?_source_includes={}", fields.join(","));
    let answer = cluster.ok("POST", &path, Some(&body))?;
    Ok(answer["docs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|doc| doc["found"].as_bool() == Some(true))
        .filter_map(|doc| Some((doc["_id"].as_str()?.to_string(), doc["_source"].clone())))
        .collect())
}

/// Searches the cluster for the words `reading` read `query` as (see [`super::words`]).
fn run_words(
    mut asked: Asked<'_>,
    raw_query: &str,
    query: &Query,
    reading: &words::Reading,
    options: &SearchOptions<'_>,
    known: Option<super::words::Counted>,
    started: Instant,
) -> Result<ClusterSearch> {
    let limit = options.limit;
    let pool_size = limit.saturating_add(DUPLICATE_SLACK);
    let mut search = super::words::WordSearch::new(
        &mut asked,
        query,
        &reading.words,
        options.word_boundaries,
        known,
    )?;
    let found = search.run(&mut asked, pool_size)?;
    let (total, total_all_words, total_exact) =
        (found.total, found.total_all_words, found.total_exact);
    let (passages, page) = super::words::page_of(found, reading.words.len(), limit);
    let page: Vec<Shown> = page
        .into_iter()
        .map(|(candidate, score)| {
            let passage = &passages[candidate.address.doc_id as usize];
            Shown {
                id: json!(passage.id),
                // Read with the passages when their text was: no request more for the page.
                source: passage.source.clone(),
                score,
                tier: candidate.key.tier,
                matched: candidate.key.matched,
                article: candidate.article,
                line: candidate.line,
                also: candidate.also,
            }
        })
        .collect();
    let results = Results {
        query: raw_query.to_string(),
        words: reading.words.iter().map(|w| w.text.clone()).collect(),
        split: reading.split,
        corrections: reading.corrections.clone(),
        all_words: page.iter().all(|shown| shown.tier < Tier::SomeWords),
        total,
        total_all_words,
        total_exact,
        hits: Vec::new(),
        took: Default::default(),
    };
    finish(asked, query, reading, options, page, results, started)
}
/// The query DSL of a one-word query (as [`crate::search`] builds it for tantivy): every group
/// found (its BM25 scaled), no exclusion, the query as written and each group on word
/// boundaries as constants; and whether the query as written is a tier of its own.
fn literal_query(query: &Query, synonyms: &Synonyms, word_boundaries: bool) -> (Value, bool) {
    let mut must = Vec::new();
    let mut should = Vec::new();
    let groups = query.groups.len().max(1) as f32;
    let forms: Vec<Vec<Vec<char>>> = query
        .groups
        .iter()
        .map(|group| words::alternatives(group, synonyms))
        .collect();
    for (group, forms) in query.groups.iter().zip(&forms) {
        let recall: Vec<Value> = forms.iter().map(|chars| terms::contains(chars)).collect();
        must.push(
            json!({"bool": {"should": recall, "minimum_should_match": 1, "boost": BM25_SCALE}}),
        );
        let bounded = terms::any_of(
            group
                .iter()
                .map(|literal| terms::on_boundaries(&literal.chars))
                .collect(),
        );
        if word_boundaries {
            must.push(bounded.clone());
        }
        should
            .push(json!({"constant_score": {"filter": bounded, "boost": BOUNDARY_BONUS / groups}}));
    }
    let must_not = terms::excluded(query);
    let only_as_written = matches!(&forms[..], [only] if only.len() == 1);
    let as_written_counts = !only_as_written;
    if as_written_counts && let Some(written) = terms::as_written(query) {
        should.push(json!({"constant_score": {"filter": written, "boost": AS_WRITTEN_BONUS}}));
    }
    (
        json!({"bool": {"must": must, "must_not": must_not, "should": should}}),
        as_written_counts,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::tests::{news_on_stand_in, paths};

    #[test]
    fn two_searches_at_once_are_sent_again_one_by_one_when_the_cluster_is_busy() {
        let busy = r#"{"error":{"type":"es_rejected_execution_exception","reason":"queue full"},"status":429}"#;
        let answered = |n: u64| format!(r#"{{"took":1,"hits":{{"hits":[]}},"n":{n}}}"#);
        let (cluster, server) = news_on_stand_in(vec![
            (
                "200 OK",
                format!(r#"{{"responses":[{busy},{}]}}"#, answered(0)),
            ),
            ("200 OK", answered(1)),
            ("429 Too Many Requests", busy.to_string()),
            ("200 OK", answered(2)),
        ]);
        let mut asked = Asked::new(&cluster, "query_then_fetch", None);
        let [first, second] = asked
            .search_both([json!({"size": 1}), json!({"size": 2})])
            .unwrap();
        assert_eq!(
            (first["n"].as_u64(), second["n"].as_u64()),
            (Some(1), Some(2))
        );
        let seen = server.join().unwrap();
        assert_eq!(
            paths(&seen),
            [
                "/news/_msearch?search_type=query_then_fetch",
                "/news/_search?search_type=query_then_fetch",
                "/news/_search?search_type=query_then_fetch",
                "/news/_search?search_type=query_then_fetch",
            ]
        );
        assert_eq!(asked.sent, [json!({"size": 1}), json!({"size": 2})]);
    }
}
