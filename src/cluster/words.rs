//! Word search on a cluster: a query read as several words (or as a word other than typed) is
//! ranked by the tiers of a local word search ([`crate::search::articles`]), with the cluster
//! finding the passages and sou ranking them.
//!
//! Lucene cannot say that an article's passages together hold every word, so the articles are
//! found as a local search finds them, from the rarest word: the keys of the files whose
//! passages hold it (a `composite` aggregation), narrowed by each other word in turn. Every
//! passage of those files that holds a word (or the query as written) is then fetched by its
//! columns and text, and each clause it matches is named (`matched_queries`): which words it
//! holds, which on word boundaries, which pairs typed together stand together, whether it holds
//! the query as written or something excluded. From those, sou ranks each article's passages
//! exactly as the local index does (the tier, the band of common words, the weights, the title
//! counting for every passage, an article's hits the passages holding as much as its best one).
//! Articles holding only some of the words (tier 5) are looked for only while the page has room:
//! the best of them by the words their passages hold (a `collapse` on the key), ranked the same.
//!
//! An article's BM25 is read as locally too: how often its passages say a word of one form
//! (counted in their text, fetched with them) over the article's gram length (sent with each
//! passage, see [`super::export`]); a word of several forms by the passages holding it. What
//! differs from a local index: BM25 within a passage is Lucene's (scaled otherwise, and over
//! the cluster's statistics).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Value, json};

use super::search::Asked;
use super::terms;
use crate::Result;
use crate::search::articles::{MAX_WORDS, Tier, WordKey, article_term, length_norm, weight_of};
use crate::search::pool::{Candidate, Pools};
use crate::search::words::Word;
use crate::search::{Query, summary_score};

/// Keys asked for at once, in a `terms` filter or an aggregation page.
const KEYS_PER_REQUEST: usize = 10_000;
/// Passages holding the rarest word, per place in the pools, up to which the best files holding
/// some words are asked for ahead (see [`WordSearch::run`]).
const GUESSED_PASSAGES_PER_POOL: usize = 4;
/// Passages fetched per page.
const PASSAGES_PER_PAGE: usize = 5_000;
/// Files whose passages holding the rarest word lack another word, up to which they are fetched
/// with those holding every word (ranked as locally: tier 4 when another passage holds it, else
/// tier 5) rather than asked about first: a round trip saved for a few passages more.
const UNCERTAIN_FETCHED: usize = 32;
/// Passages holding a word, at most, whose text is fetched with them: past it, only those of the
/// articles whose BM25 can still decide their place on the page are read, afterwards (see
/// [`WordSearch::rank_exactly`]).
const TEXT_WITH_PASSAGES: u64 = 1_000;
/// Most passages fetched for one query: past it, the hits are the best of those fetched and
/// the total is a lower bound.
const MOST_PASSAGES: usize = 200_000;
/// Passages an article may have in one unit (as the local index cuts a long article into
/// sections: [`crate::index::documents`]).
const UNIT_PASSAGES: u64 = crate::index::documents::MAX_UNIT_PASSAGES as u64;

/// A passage as the cluster found it: where it is and which named clauses it matched.
#[derive(Debug, Clone)]
pub(super) struct Passage {
    pub id: String,
    pub key: String,
    pub line: u64,
    unit: u64,
    pub text_hash: u64,
    /// The length of its unit's gram fields, as the local index reads it (0: not sent).
    unit_grams: u64,
    /// Per word counted by how often it is said (see [`WordSearch::counted_by_times_said`])
    /// that it holds: how many times it says it (0 otherwise), once its text is read.
    said: Vec<f32>,
    /// Its stored fields a hit is shown from ([`super::search::SOURCE`]), text included, once
    /// read.
    pub source: Option<Value>,
    /// BM25 of the words in the passage (Lucene's).
    bm25: f32,
    /// Words held (bit i: word i).
    words: u64,
    /// Words held on word boundaries.
    bounded: u64,
    /// Per word of several forms: the forms held (bit j: form j).
    forms: Vec<u64>,
    /// Pairs typed together that stand together (bit i: word i and the next).
    together: u64,
    /// Holds the query as written.
    written: bool,
    /// Holds something excluded.
    excluded: bool,
}

impl Passage {
    /// Whether its text was read (with it, or afterwards for the articles that need it).
    fn has_text(&self) -> bool {
        self.source.is_some()
    }
}

/// What a word search on a cluster found.
pub(super) struct WordHits {
    /// The passages fetched; a candidate's address is its index here.
    pub passages: Vec<Passage>,
    /// The best hits.
    pub pools: Pools<WordKey>,
    /// Passages found (of articles holding every word, and of those holding some that were
    /// examined).
    pub total: usize,
    /// Passages of articles holding every word.
    pub total_all_words: usize,
    /// Whether `total` counts every passage holding a word.
    pub total_exact: bool,
    /// The weight of every word together.
    pub total_weight: f32,
}

/// A word search's clauses and statistics.
pub(super) struct WordSearch<'a> {
    words: &'a [Word],
    /// Per word: any of its forms (scored).
    contains: Vec<Value>,
    /// Per word: any of its forms on word boundaries.
    on_boundaries: Vec<Value>,
    /// The query as written (each group one literal), with or without spaces between them.
    as_written: Option<Value>,
    excluded: Vec<Value>,
    weights: Vec<f32>,
    /// Per word of several forms: each form's clause and weight, the rarest first (its index
    /// among the word's forms is its bit in [`Passage::forms`]).
    form_weights: Vec<Vec<(usize, f32)>>,
    average_passages: f32,
    /// The gram tokens an article has on average.
    average_article: f32,
    /// Whether passages are fetched with their text (see [`TEXT_WITH_PASSAGES`]).
    with_text: bool,
    word_boundaries: bool,
    banded: bool,
    /// Passages of each file fetched (from its record).
    lengths: HashMap<String, u64>,
    /// Per word: the documents holding it.
    doc_freqs: Vec<f64>,
}

/// The counts BM25's weights are made of: the documents, the files' records and the passages
/// of the index, the tokens of its gram fields, and the passages holding each word (`w{i}`)
/// and each form of a word of several (`f{i}.{j}`).
#[derive(Debug)]
pub(super) struct Counted {
    pub documents: u64,
    pub articles: u64,
    pub passages: u64,
    pub tokens: u64,
    /// By name: `w{i}`, `f{i}.{j}`.
    strings: HashMap<String, u64>,
}

impl Counted {
    /// The counts of `words` from what the first request of a search counted (the index's
    /// `totals` and the passages holding each of `strings`), when every one is there: a word
    /// of one form counted as a string (a word of several is counted as any of its forms,
    /// which the strings do not say).
    pub fn known(
        totals: [u64; 4],
        strings: &HashMap<Vec<char>, u64>,
        words: &[Word],
    ) -> Option<Counted> {
        let [documents, articles, passages, tokens] = totals;
        if documents == 0 {
            return None;
        }
        let mut named = HashMap::new();
        for (i, word) in words.iter().enumerate() {
            let [form] = &word.forms[..] else {
                return None;
            };
            named.insert(format!("w{i}"), *strings.get(form)?);
        }
        Some(Counted {
            documents,
            articles,
            passages,
            tokens,
            strings: named,
        })
    }

    /// Adds to `aggs` the counts of the index's files' records and passages and the tokens
    /// of its gram fields, which a search answering them with `track_total_hits` gives to
    /// [`Counted::totals_in`].
    pub fn ask_totals(aggs: &mut serde_json::Map<String, Value>) {
        for (name, kind) in [("articles", "article"), ("passages", "passage")] {
            aggs.insert(name.into(), json!({"filter": {"term": {"kind": kind}}}));
        }
        aggs.insert("tokens".into(), json!({"sum": {"field": "grams_count"}}));
    }

    /// The documents, records, passages and gram tokens `answer` counted (see
    /// [`Counted::ask_totals`]).
    pub fn totals_in(answer: &Value) -> Option<[u64; 4]> {
        let total = |pointer: &str| answer.pointer(pointer).and_then(Value::as_u64);
        let tokens = answer.pointer("/aggregations/tokens/value")?.as_f64()?;
        Some([
            total("/hits/total/value")?,
            total("/aggregations/articles/doc_count")?,
            total("/aggregations/passages/doc_count")?,
            tokens as u64,
        ])
    }

    /// Counts, in one request, what `words` (matched by `contains`) need.
    fn ask(asked: &mut Asked<'_>, words: &[Word], contains: &[Value]) -> Result<Counted> {
        let mut aggs = serde_json::Map::new();
        Counted::ask_totals(&mut aggs);
        let mut names = Vec::new();
        for (i, (word, clause)) in words.iter().zip(contains).enumerate() {
            aggs.insert(format!("w{i}"), json!({"filter": clause}));
            names.push(format!("w{i}"));
            if word.forms.len() > 1 {
                for (j, form) in word.forms.iter().enumerate() {
                    aggs.insert(
                        format!("f{i}.{j}"),
                        json!({"filter": terms::contains(form)}),
                    );
                    names.push(format!("f{i}.{j}"));
                }
            }
        }
        let answer = asked.search_whole(json!({
            "size": 0,
            "track_total_hits": true,
            "query": {"match_all": {}},
            "aggs": aggs,
        }))?;
        let counted = |name: &str| {
            answer
                .pointer(&format!("/aggregations/{name}/doc_count"))
                .and_then(Value::as_u64)
                .unwrap_or(0)
        };
        let [documents, articles, passages, tokens] =
            Counted::totals_in(&answer).unwrap_or_default();
        Ok(Counted {
            documents,
            articles,
            passages,
            tokens,
            strings: names
                .into_iter()
                .map(|name| {
                    let count = counted(&name);
                    (name, count)
                })
                .collect(),
        })
    }
}

impl<'a> WordSearch<'a> {
    /// The clauses of `words` and their statistics, counted on the cluster.
    pub fn new(
        asked: &mut Asked<'_>,
        query: &Query,
        words: &'a [Word],
        word_boundaries: bool,
        known: Option<Counted>,
    ) -> Result<WordSearch<'a>> {
        let any = |chars: &[Vec<char>], clause: fn(&[char]) -> Value| {
            terms::any_of(chars.iter().map(|form| clause(form)).collect())
        };
        let contains: Vec<Value> = words
            .iter()
            .map(|word| any(&word.forms, terms::contains))
            .collect();
        let counts = match known {
            Some(counts) => counts,
            None => Counted::ask(asked, words, &contains)?,
        };
        let counted = |name: &str| counts.strings.get(name).copied().unwrap_or(0);
        let documents = counts.documents.max(1) as f64;
        let articles = counts.articles.max(1);
        let passages = counts.passages.max(1);
        let idf = |df: f64| (1.0 + (documents - df + 0.5) / (df + 0.5)).ln() as f32;
        let mut search = WordSearch {
            words,
            contains: Vec::new(),
            on_boundaries: Vec::new(),
            as_written: None,
            excluded: Vec::new(),
            weights: Vec::new(),
            form_weights: Vec::new(),
            average_passages: passages as f32 / articles as f32,
            average_article: counts.tokens as f32 / articles as f32,
            with_text: true,
            word_boundaries,
            banded: false,
            lengths: HashMap::new(),
            doc_freqs: Vec::new(),
        };
        let mut doc_freqs = Vec::new();
        for (i, (word, contains)) in words.iter().zip(contains).enumerate() {
            let df = (counted(&format!("w{i}")) as f64).min(documents);
            doc_freqs.push(df);
            let weight = idf(df);
            let mut forms = Vec::new();
            if word.forms.len() > 1 {
                for j in 0..word.forms.len() {
                    let df = (counted(&format!("f{i}.{j}")).max(1) as f64).min(documents);
                    forms.push((j, idf(df).max(weight)));
                }
                forms.sort_by(|a, b| b.1.total_cmp(&a.1));
            }
            search.contains.push(contains);
            search
                .on_boundaries
                .push(any(&word.forms, terms::on_boundaries));
            search.weights.push(weight);
            search.form_weights.push(forms);
        }
        // As locally: several words common enough that chance alone could put them together in
        // a passage rank tiers 2 to 4 as one band.
        search.banded = crate::search::articles::banded(documents, doc_freqs.iter().copied());
        search.doc_freqs = doc_freqs;
        search.as_written = terms::as_written(query);
        search.excluded = terms::excluded(query);
        Ok(search)
    }

    /// The weight of the words of `mask`.
    fn weight_of(&self, mask: u64) -> f32 {
        weight_of(&self.weights, mask)
    }

    fn total_weight(&self) -> f32 {
        self.weights.iter().sum()
    }

    /// Every word's bit.
    fn all(&self) -> u64 {
        if self.words.len() >= MAX_WORDS {
            u64::MAX
        } else {
            (1 << self.words.len()) - 1
        }
    }

    /// What a passage must match to be fetched: a word (as a word, with `-w`), or the query as
    /// written.
    fn found_by(&self) -> Value {
        let words = if self.word_boundaries {
            &self.on_boundaries
        } else {
            &self.contains
        };
        let mut any: Vec<Value> = words.clone();
        if let Some(written) = &self.as_written
            && !self.word_boundaries
        {
            any.push(written.clone());
        }
        terms::any_of(any)
    }

    /// The query that fetches the passages of the files `keys` (all when `None`) with every
    /// clause named.
    fn fetch_query(&self, keys: Option<&[String]>) -> Value {
        let named =
            |name: String, clause: &Value| json!({"bool": {"filter": [clause], "_name": name}});
        // Scored, each word's BM25 summed as locally.
        let mut found: Vec<Value> = self
            .contains
            .iter()
            .enumerate()
            .map(|(i, clause)| {
                json!({"bool": {"should": [clause], "minimum_should_match": 1, "_name": format!("w{i}")}})
            })
            .collect();
        let mut should = Vec::new();
        if let Some(written) = &self.as_written {
            found.push(named("a".into(), written));
        }
        for (i, (word, bounded)) in self.words.iter().zip(&self.on_boundaries).enumerate() {
            should.push(named(format!("b{i}"), bounded));
            if word.forms.len() > 1 {
                for (j, form) in word.forms.iter().enumerate() {
                    should.push(named(format!("f{i}.{j}"), &terms::contains(form)));
                }
            }
            if word.joined_to_next
                && let Some(next) = self.words.get(i + 1)
            {
                let pair = [word.chars(), next.chars()].concat();
                should.push(named(format!("t{i}"), &terms::contains(&pair)));
            }
        }
        for (k, excluded) in self.excluded.iter().enumerate() {
            should.push(named(format!("x{k}"), excluded));
        }
        // Without `-w` the words found by are those scored: the same clauses again as a filter
        // would cost as much again.
        let mut filter = Vec::new();
        if self.word_boundaries {
            filter.push(self.found_by());
        }
        if let Some(keys) = keys {
            filter.push(json!({"terms": {"key": keys}}));
        }
        let passages = json!({"bool": {
            "must": [{"bool": {"should": found, "minimum_should_match": 1}}],
            "filter": filter,
            "should": should,
        }});
        let Some(keys) = keys else {
            return passages;
        };
        // The files' records with them (after each file's passages): how many passages each has.
        let records =
            json!({"bool": {"filter": [{"term": {"kind": "article"}}, {"terms": {"key": keys}}]}});
        json!({"bool": {"should": [passages, records], "minimum_should_match": 1}})
    }

    /// Reads a fetched hit.
    fn passage(&self, hit: &Value) -> Passage {
        let field = |name: &str| hit.pointer(&format!("/fields/{name}/0"));
        let mut passage = Passage {
            id: hit["_id"].as_str().unwrap_or("").to_string(),
            key: field("key")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            line: field("line").and_then(Value::as_u64).unwrap_or(0),
            unit: field("unit").and_then(Value::as_u64).unwrap_or(0),
            text_hash: field("text_hash")
                .and_then(Value::as_str)
                .and_then(|hex| u64::from_str_radix(hex, 16).ok())
                .unwrap_or(0),
            unit_grams: field("unit_grams").and_then(Value::as_u64).unwrap_or(0),
            said: vec![0.0; self.words.len()],
            source: None,
            bm25: hit["_score"].as_f64().unwrap_or(0.0) as f32,
            words: 0,
            bounded: 0,
            forms: vec![0; self.words.len()],
            together: 0,
            written: false,
            excluded: false,
        };
        let names = hit["matched_queries"].as_array().into_iter().flatten();
        for name in names.filter_map(Value::as_str) {
            let number = |rest: &str| rest.parse::<usize>().ok().filter(|&i| i < 64);
            match name.split_at(1) {
                ("a", _) => passage.written = true,
                ("x", _) => passage.excluded = true,
                ("w", i) => passage.words |= number(i).map_or(0, |i| 1 << i),
                ("b", i) => passage.bounded |= number(i).map_or(0, |i| 1 << i),
                ("t", i) => passage.together |= number(i).map_or(0, |i| 1 << i),
                ("f", rest) => {
                    if let Some((i, j)) = rest.split_once('.')
                        && let (Some(i), Some(j)) = (number(i), number(j))
                        && i < passage.forms.len()
                    {
                        passage.forms[i] |= 1 << j;
                    }
                }
                _ => {}
            }
        }
        if let Some(source) = hit.get("_source") {
            self.read_text(&mut passage, source);
        }
        passage
    }

    /// Reads how often `passage` says each word of one form it holds from its stored `source`
    /// (its `text` and `tail`), when that holds the text.
    fn read_text(&self, passage: &mut Passage, source: &Value) {
        let Some(text) = source["text"].as_str() else {
            return;
        };
        let tail = source["tail"].as_str().unwrap_or("");
        for (i, word) in self.words.iter().enumerate() {
            if self.counted_by_times_said(i) && passage.words >> i & 1 == 1 {
                let times = crate::analysis::grams::times_said(text, tail, &word.forms[0]);
                passage.said[i] = times.max(1) as f32;
            }
        }
        passage.source = Some(source.clone());
    }

    /// Whether word `i` counts in an article's BM25 by how often it is said (as the local index
    /// reads it back from a phrase's score): a word of one form of two characters or more.
    fn counted_by_times_said(&self, i: usize) -> bool {
        matches!(&self.words[i].forms[..], [form] if form.len() > 1)
    }

    /// The word the fewest passages hold.
    fn rarest(&self) -> Option<usize> {
        (0..self.words.len())
            .max_by(|&a, &b| self.weights[a].total_cmp(&self.weights[b]).then(b.cmp(&a)))
    }

    /// The files whose passages hold every word (or one passage the query as written): the
    /// files holding the rarest word (or the query as written), one `composite` bucket each,
    /// with a count of their passages holding each other word; and at most how many of their
    /// passages hold a word. A few files whose passages holding the rarest word lack another
    /// (see [`UNCERTAIN_FETCHED`]) are among them too: their passages, fetched, say which they
    /// are. `along` is sent in the same round trip as the first request, its
    /// answer returned.
    fn files_holding_all(
        &self,
        asked: &mut Asked<'_>,
        mut along: Option<Value>,
    ) -> Result<(Vec<String>, u64, Option<Value>)> {
        let clauses = if self.word_boundaries {
            &self.on_boundaries
        } else {
            &self.contains
        };
        let Some(rarest) = self.rarest() else {
            return Ok((Vec::new(), 0, None));
        };
        let written = self.as_written.as_ref().filter(|_| !self.word_boundaries);
        let mut subs = serde_json::Map::new();
        for (i, clause) in clauses.iter().enumerate().filter(|&(i, _)| i != rarest) {
            subs.insert(format!("w{i}"), json!({"filter": clause}));
        }
        let mut found = vec![clauses[rarest].clone()];
        if let Some(written) = written {
            subs.insert("a".into(), json!({"filter": written}));
            subs.insert(format!("w{rarest}"), json!({"filter": clauses[rarest]}));
            found.push(written.clone());
        }
        let counted = |bucket: &Value, name: &str| {
            bucket
                .pointer(&format!("/{name}/doc_count"))
                .and_then(Value::as_u64)
                .unwrap_or(1)
        };
        let mut keys = Vec::new();
        let mut holding = 0;
        let mut uncertain = Vec::new();
        let mut after: Option<Value> = None;
        let mut along_answer = None;
        loop {
            let mut composite = json!({
                "size": KEYS_PER_REQUEST,
                "sources": [{"key": {"terms": {"field": "key"}}}],
            });
            if let Some(after) = after.take() {
                composite["after"] = after;
            }
            let body = json!({
                "size": 0,
                "track_total_hits": false,
                "query": {"bool": {"filter": [terms::any_of(found.clone())]}},
                "aggs": {"keys": {"composite": composite, "aggs": subs}},
            });
            let answer = match along.take() {
                Some(along) => {
                    let [answer, other] = asked.search_both([body, along])?;
                    along_answer = Some(other);
                    answer
                }
                None => asked.search(body)?,
            };
            let buckets = answer
                .pointer("/aggregations/keys/buckets")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for bucket in &buckets {
                let every_word = (0..clauses.len()).all(|i| counted(bucket, &format!("w{i}")) > 0);
                let as_written = written.is_some() && counted(bucket, "a") > 0;
                let Some(key) = bucket.pointer("/key/key").and_then(Value::as_str) else {
                    continue;
                };
                let here = bucket["doc_count"].as_u64().unwrap_or(0);
                if every_word || as_written {
                    keys.push(key.to_string());
                    let others: u64 = (0..clauses.len())
                        .filter(|&i| i != rarest)
                        .map(|i| counted(bucket, &format!("w{i}")))
                        .sum();
                    holding += here + others;
                } else {
                    // Counted in the passages holding the rarest word only: the file may say
                    // the others in other passages (tier 4).
                    let missing = (0..clauses.len())
                        .filter(|&i| counted(bucket, &format!("w{i}")) == 0)
                        .fold(0u64, |mask, i| mask | 1 << i);
                    uncertain.push((key.to_string(), missing, here));
                }
            }
            match answer.pointer("/aggregations/keys/after_key") {
                Some(next) if buckets.len() == KEYS_PER_REQUEST => after = Some(next.clone()),
                _ => break,
            }
        }
        if uncertain.len() <= UNCERTAIN_FETCHED {
            for (key, _, here) in uncertain {
                keys.push(key);
                holding += here;
            }
        } else {
            let (more, more_holding) = Self::holding_the_rest(asked, clauses, &uncertain)?;
            keys.extend(more);
            holding += more_holding;
        }
        keys.sort();
        keys.dedup();
        Ok((keys, holding, along_answer))
    }

    /// Of the files `uncertain` (each with the words its passages holding the rarest word lack,
    /// a bit each, and how many passages hold that word), those whose other passages hold the
    /// words lacking: asked in one request per [`KEYS_PER_REQUEST`] files. With how many
    /// passages, at most, hold a word in them.
    fn holding_the_rest(
        asked: &mut Asked<'_>,
        clauses: &[Value],
        uncertain: &[(String, u64, u64)],
    ) -> Result<(Vec<String>, u64)> {
        let mut keys = Vec::new();
        let mut holding = 0;
        for chunk in uncertain.chunks(KEYS_PER_REQUEST) {
            let missing = chunk.iter().fold(0, |mask, (_, lacking, _)| mask | lacking);
            let words: Vec<usize> = (0..clauses.len())
                .filter(|&i| missing >> i & 1 == 1)
                .collect();
            let subs: serde_json::Map<String, Value> = words
                .iter()
                .map(|&i| (format!("w{i}"), json!({"filter": clauses[i]})))
                .collect();
            let names: Vec<&str> = chunk.iter().map(|(key, _, _)| key.as_str()).collect();
            let any = terms::any_of(words.iter().map(|&i| clauses[i].clone()).collect());
            let answer = asked.search(json!({
                "size": 0,
                "track_total_hits": false,
                "query": {"bool": {"filter": [{"terms": {"key": names}}, any]}},
                "aggs": {"keys": {
                    "terms": {"field": "key", "size": chunk.len()},
                    "aggs": subs,
                }},
            }))?;
            let buckets: HashMap<&str, &Value> = answer
                .pointer("/aggregations/keys/buckets")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|bucket| Some((bucket["key"].as_str()?, bucket)))
                .collect();
            for (key, lacking, here) in chunk {
                let Some(bucket) = buckets.get(key.as_str()) else {
                    continue;
                };
                let counts: Vec<u64> = (0..clauses.len())
                    .filter(|&i| lacking >> i & 1 == 1)
                    .map(|i| {
                        bucket
                            .pointer(&format!("/w{i}/doc_count"))
                            .and_then(Value::as_u64)
                            .unwrap_or(0)
                    })
                    .collect();
                if counts.iter().all(|&count| count > 0) {
                    keys.push(key.clone());
                    holding += here + counts.iter().sum::<u64>();
                }
            }
        }
        Ok((keys, holding))
    }

    /// Fetches the passages `query` finds, by their columns, in file and place order, and
    /// the passage counts of the records it finds; whether every one was fetched.
    fn fetch(
        &mut self,
        asked: &mut Asked<'_>,
        query: Value,
        into: &mut Vec<Passage>,
    ) -> Result<bool> {
        let body = json!({
            "query": query,
            "sort": [{"key": "asc"}, {"unit": "asc"}],
            "track_scores": true,
            "track_total_hits": false,
            // The text, to read how often a passage says each word of one form (and the rest
            // a hit is shown from).
            "_source": if self.with_text { json!(super::search::SOURCE) } else { json!(false) },
            "docvalue_fields": ["key", "line", "unit", "text_hash", "passages", "unit_grams"],
        });
        let mut complete = true;
        let mut lengths = Vec::new();
        let search = &*self;
        super::pages(
            |body| asked.search(body),
            body,
            PASSAGES_PER_PAGE,
            |_, hits| {
                for hit in hits {
                    let field = |name: &str| hit.pointer(&format!("/fields/{name}/0"));
                    match (field("key").and_then(Value::as_str), field("passages")) {
                        (Some(key), Some(passages)) => {
                            lengths.push((key.to_string(), passages.as_u64().unwrap_or(0)));
                        }
                        _ => into.push(search.passage(hit)),
                    }
                }
                if into.len() >= MOST_PASSAGES {
                    complete = false;
                    std::ops::ControlFlow::Break(())
                } else {
                    std::ops::ControlFlow::Continue(())
                }
            },
        )?;
        self.lengths.extend(lengths);
        Ok(complete)
    }

    /// Runs the search; `pool_size` hits are kept (see [`Pools`]).
    pub fn run(&mut self, asked: &mut Asked<'_>, pool_size: usize) -> Result<WordHits> {
        let mut passages = Vec::new();
        let mut counts = Counts::default();
        let mut pools: Pools<WordKey> = Pools::new(pool_size);
        let mut complete = true;
        // When the rarest word is rare, the page will likely have room for articles holding
        // some of the words: the best of them are asked for with the files holding all, at a
        // size guessed from the rarest word, and their passages fetched with those of the
        // files holding all. Had they not been needed, they are left unranked.
        let guessed = self
            .rarest()
            .map(|rarest| self.doc_freqs[rarest] as usize)
            .filter(|&held| held <= GUESSED_PASSAGES_PER_POOL * pool_size)
            .map(|held| Self::best_files_size(pool_size, held));
        let along = guessed.map(|size| self.best_files_query(size));
        let (all_keys, holding, along) = self.files_holding_all(asked, along)?;
        self.with_text = holding <= TEXT_WITH_PASSAGES;
        let held: HashSet<&str> = all_keys.iter().map(String::as_str).collect();
        let needed = Self::best_files_size(pool_size, held.len());
        // Asked for at least `needed`, the answer says what one of that size would: the first
        // `pool_size` files not held are the same (the first `needed` hold at most
        // `held.len()` held ones), and whether every file was found is whether fewer than
        // `needed` were.
        let asked_ahead = along
            .zip(guessed)
            .filter(|&(_, size)| size >= needed)
            .map(|(answer, _)| answer);
        let mut ahead = None;
        if let Some(answer) = &asked_ahead {
            let (some, every) = Self::best_files_in(answer, needed, pool_size, &held);
            let keys: Vec<String> = all_keys.iter().chain(&some).cloned().collect();
            let mut fetched = Vec::new();
            if keys.len() <= KEYS_PER_REQUEST
                && self.fetch(asked, self.fetch_query(Some(&keys)), &mut fetched)?
            {
                let (all, others): (Vec<Passage>, Vec<Passage>) = fetched
                    .into_iter()
                    .partition(|passage| held.contains(passage.key.as_str()));
                passages = all;
                ahead = Some((every, others));
            }
        }
        if ahead.is_some() {
            self.rank(&passages, 0, &mut |c| pools.offer(c), &mut counts);
        } else {
            for keys in all_keys.chunks(KEYS_PER_REQUEST) {
                let from = passages.len();
                let query = self.fetch_query(Some(keys));
                complete &= self.fetch(asked, query, &mut passages)?;
                self.rank(&passages, from, &mut |c| pools.offer(c), &mut counts);
                if !complete {
                    break;
                }
            }
        }
        // Articles holding some of the words, while one could still make the page.
        let hopeful = WordKey {
            tier: Tier::SomeWords,
            article_weight: f32::MAX,
            coverage: f32::MAX,
            article_bm25: f32::MAX,
            together: u32::MAX,
            on_boundaries: u32::MAX,
            bm25: f32::MAX,
            matched: 0,
            banded: self.banded,
        };
        let mut examined_all = true;
        if complete && pools.admits(&hopeful) {
            if let Some((every, others)) = ahead {
                examined_all = every;
                let from = passages.len();
                passages.extend(others);
                self.rank(&passages, from, &mut |c| pools.offer(c), &mut counts);
            } else {
                let answer = match asked_ahead {
                    Some(answer) => answer,
                    None => asked.search(self.best_files_query(needed))?,
                };
                let some = Self::best_files_in(&answer, needed, pool_size, &held);
                examined_all = some.1;
                for keys in some.0.chunks(KEYS_PER_REQUEST) {
                    let from = passages.len();
                    let query = self.fetch_query(Some(keys));
                    complete &= self.fetch(asked, query, &mut passages)?;
                    self.rank(&passages, from, &mut |c| pools.offer(c), &mut counts);
                }
            }
        } else if !all_keys.is_empty() {
            // Not looked at: whether other files hold some of the words.
            examined_all = false;
        }
        if (0..self.words.len()).any(|i| self.counted_by_times_said(i))
            && passages.iter().any(|passage| !passage.has_text())
        {
            pools = self.rank_exactly(asked, &mut passages, &pools, pool_size)?;
        }
        Ok(WordHits {
            passages,
            pools,
            total: counts.all_words + counts.some_words,
            total_all_words: counts.all_words,
            total_exact: complete && examined_all,
            total_weight: self.total_weight(),
        })
    }

    /// The hits of `passages`, fetched without their text and ranked into `pools`, ranked again
    /// once the text is read of those whose article's BM25 can still decide their place: the
    /// passages of every article ranked past the query as written that could make the page if
    /// it were about the words more than any other (the articles in the band of the last hit
    /// kept, or a better one). Of the others, none could.
    fn rank_exactly(
        &self,
        asked: &mut Asked<'_>,
        passages: &mut [Passage],
        pools: &Pools<WordKey>,
        pool_size: usize,
    ) -> Result<Pools<WordKey>> {
        let ids = self.contested(passages, pools);
        let mut sources = HashMap::new();
        for ids in ids.chunks(KEYS_PER_REQUEST) {
            sources.extend(asked.sources(ids.to_vec(), &super::search::SOURCE)?);
        }
        for passage in passages.iter_mut() {
            if let Some(source) = sources.get(&passage.id) {
                self.read_text(passage, source);
            }
        }
        let mut exact = Pools::new(pool_size);
        self.rank(passages, 0, &mut |c| exact.offer(c), &mut Counts::default());
        Ok(exact)
    }

    /// The ids of the passages of `passages` whose text [`WordSearch::rank_exactly`] reads:
    /// those holding a word counted by how often it is said (see
    /// [`WordSearch::counted_by_times_said`]), unread, of an article
    /// ranked past the query as written that `pools` would admit were it more about the words
    /// than any other.
    fn contested(&self, passages: &[Passage], pools: &Pools<WordKey>) -> Vec<String> {
        let mut contested: HashSet<(&str, u64)> = HashSet::new();
        let mut look = |candidate: Candidate<WordKey>| {
            let most_about = WordKey {
                article_bm25: f32::MAX,
                ..candidate.key
            };
            if candidate.key.tier > Tier::AsWritten && pools.admits(&most_about) {
                let p = &passages[candidate.address.doc_id as usize];
                contested.insert((p.key.as_str(), p.unit / UNIT_PASSAGES));
            }
        };
        self.rank(passages, 0, &mut look, &mut Counts::default());
        passages
            .iter()
            .filter(|p| {
                !p.has_text() && contested.contains(&(p.key.as_str(), p.unit / UNIT_PASSAGES))
            })
            .filter(|p| {
                (0..self.words.len())
                    .any(|i| self.counted_by_times_said(i) && p.words >> i & 1 == 1)
            })
            .map(|p| p.id.clone())
            .collect()
    }

    /// The search for the best files holding some of the words, by the words their passages
    /// hold (by weight): the first `size`, one hit each.
    fn best_files_query(&self, size: usize) -> Value {
        let weighed: Vec<Value> = self
            .contains
            .iter()
            .zip(&self.weights)
            .map(|(clause, weight)| json!({"constant_score": {"filter": clause, "boost": weight.max(f32::MIN_POSITIVE)}}))
            .collect();
        json!({
            "size": size.min(super::search::MOST_HITS),
            "query": {"bool": {"filter": [self.found_by()], "should": weighed}},
            "sort": [{"_score": "desc"}, {"key": "asc"}],
            "_source": false,
            "collapse": {"field": "key"},
        })
    }

    /// How many best files to ask for so that `most` are not among `held`.
    fn best_files_size(most: usize, held: usize) -> usize {
        most.saturating_add(held).min(super::search::MOST_HITS)
    }

    /// The files holding some but not all of the words whose passages hold the most of them
    /// (by weight), at most `most` beyond those of `held`, from the `answer` to
    /// [`WordSearch::best_files_query`] of `size` (see [`WordSearch::best_files_size`]);
    /// whether they are every such file.
    fn best_files_in(
        answer: &Value,
        size: usize,
        most: usize,
        held: &HashSet<&str>,
    ) -> (Vec<String>, bool) {
        let hits: &[Value] = answer
            .pointer("/hits/hits")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice);
        let every = hits.len() < size;
        let keys = hits
            .iter()
            .filter_map(|hit| hit.pointer("/fields/key/0")?.as_str())
            .filter(|key| !held.contains(key))
            .take(most)
            .map(str::to_string)
            .collect();
        (keys, every)
    }

    /// Ranks the articles of `passages[from..]` (sorted by file and place), offering their hits
    /// to `pools`.
    fn rank(
        &self,
        passages: &[Passage],
        from: usize,
        offer: &mut dyn FnMut(Candidate<WordKey>),
        counts: &mut Counts,
    ) {
        let mut start = from;
        while start < passages.len() {
            fn unit(p: &Passage) -> (&str, u64) {
                (p.key.as_str(), p.unit / UNIT_PASSAGES)
            }
            let this = unit(&passages[start]);
            let end = start
                + passages[start..]
                    .iter()
                    .position(|p| unit(p) != this)
                    .unwrap_or(passages.len() - start);
            self.article(passages, start..end, offer, counts);
            start = end;
        }
    }

    /// Ranks the passages `range` of one article (or section of a long one), as
    /// [`crate::search::articles`] does.
    fn article(
        &self,
        passages: &[Passage],
        range: std::ops::Range<usize>,
        offer: &mut dyn FnMut(Candidate<WordKey>),
        counts: &mut Counts,
    ) {
        let all = self.all();
        let section = passages[range.start].unit / UNIT_PASSAGES;
        // What each passage holds (as words only, with -w); kept when it holds a word or, but
        // with -w, the query as written.
        let held_by: BTreeMap<usize, u64> = range
            .clone()
            .filter_map(|i| {
                let p = &passages[i];
                let mask = if self.word_boundaries {
                    p.words & p.bounded
                } else {
                    p.words
                };
                (mask != 0 || (p.written && !self.word_boundaries)).then_some((i, mask))
            })
            .collect();
        if held_by.is_empty() {
            return;
        }
        // The article's first passage is its title (not for a later section of a long one).
        let title = held_by
            .iter()
            .find(|&(&i, _)| section == 0 && passages[i].unit == 0)
            .map_or(0, |(_, &mask)| mask);
        let held = held_by.values().fold(0, |acc, &mask| acc | mask);
        let holds_all =
            held == all || (!self.word_boundaries && held_by.keys().any(|&i| passages[i].written));
        let article_weight = self.weight_of(held);
        let length = self.section_length(passages, &range, section);
        let article_bm25 = self.article_bm25(passages, &held_by, length) * article_weight
            / self.total_weight().max(f32::MIN_POSITIVE);
        let shown: Vec<(usize, u64, u64)> = held_by
            .iter()
            .filter(|&(&i, _)| !passages[i].excluded)
            .map(|(&i, &mask)| {
                let matched = if passages[i].written {
                    all
                } else {
                    mask | title
                };
                (i, mask, matched)
            })
            .collect();
        let best = shown
            .iter()
            .map(|&(_, _, matched)| self.weight_of(matched))
            .fold(f32::MIN, f32::max);
        for (i, mask, matched) in shown {
            if self.weight_of(matched) < best {
                continue;
            }
            let p = &passages[i];
            let on_boundaries = if self.word_boundaries {
                mask.count_ones()
            } else {
                (mask & p.bounded).count_ones()
            };
            let tier = if p.written {
                Tier::AsWritten
            } else if mask == all {
                if on_boundaries == mask.count_ones() {
                    Tier::WordsOnBoundaries
                } else {
                    Tier::WordsInPassage
                }
            } else if holds_all {
                Tier::WordsInArticle
            } else {
                Tier::SomeWords
            };
            let pairs = (0..self.words.len())
                .filter(|&w| mask >> w & 0b11 == 0b11 && p.together >> w & 1 == 1)
                .count() as u32;
            if holds_all {
                counts.all_words += 1;
            } else {
                counts.some_words += 1;
            }
            let key = WordKey {
                tier,
                article_weight,
                coverage: self.weight_of(matched),
                article_bm25,
                together: pairs,
                on_boundaries,
                bm25: p.bm25,
                matched,
                banded: self.banded,
            };
            offer(Candidate {
                key,
                article: p.key.clone(),
                line: p.line,
                address: tantivy::DocAddress::new(0, i as u32),
                text: p.text_hash,
                also: Vec::new(),
            });
        }
    }

    /// How many passages the article (or section) has: its last passage fetched is a lower
    /// bound, and a section is full but for the last.
    fn section_length(
        &self,
        passages: &[Passage],
        range: &std::ops::Range<usize>,
        section: u64,
    ) -> f32 {
        let last = passages[range.end - 1].unit;
        let known = last - section * UNIT_PASSAGES + 1;
        self.lengths
            .get(&passages[range.start].key)
            .map_or(known, |&total| {
                total
                    .saturating_sub(section * UNIT_PASSAGES)
                    .min(UNIT_PASSAGES)
                    .max(known)
            }) as f32
    }

    /// The BM25 of the words over an article of `length` passages, those of `held_by` holding
    /// some, as the local index reads it: a word of one form (of two characters or more) by how
    /// often its passages say it over the article's gram tokens; any other by the passages
    /// holding it over the article's passages. A word weighs as the rarest of its forms the
    /// article holds.
    fn article_bm25(
        &self,
        passages: &[Passage],
        held_by: &BTreeMap<usize, u64>,
        length: f32,
    ) -> f32 {
        let by_passages = length_norm(length, self.average_passages);
        let unit_grams = held_by.keys().next().map_or(0, |&i| passages[i].unit_grams);
        let by_grams =
            (unit_grams > 0).then(|| length_norm(unit_grams as f32, self.average_article));
        let mut total = 0.0;
        for word in 0..self.words.len() {
            let holding: Vec<usize> = held_by
                .iter()
                .filter(|&(_, &mask)| mask >> word & 1 == 1)
                .map(|(&i, _)| i)
                .collect();
            if holding.is_empty() {
                continue;
            }
            // Exact once the text of every passage holding it was read (see
            // `rank_exactly`); till then as the passages holding it.
            let by_times =
                self.counted_by_times_said(word) && holding.iter().all(|&i| passages[i].has_text());
            let (said, norm) = match by_grams.filter(|_| by_times) {
                Some(by_grams) => (
                    holding.iter().map(|&i| passages[i].said[word]).sum(),
                    by_grams,
                ),
                None => (holding.len() as f32, by_passages),
            };
            let weight = self.form_weights[word]
                .iter()
                .find(|&&(form, _)| {
                    form < 64
                        && holding
                            .iter()
                            .any(|&i| passages[i].forms[word] >> form & 1 == 1)
                })
                .map_or(self.weights[word], |&(_, weight)| weight);
            total += article_term(weight, said, norm);
        }
        total
    }
}

/// Passages counted as a word search goes.
#[derive(Default)]
struct Counts {
    all_words: usize,
    some_words: usize,
}

/// The hits of a word search's page, with the score a local search gives them.
pub(super) fn page_of(
    hits: WordHits,
    words: usize,
    limit: usize,
) -> (Vec<Passage>, Vec<(Candidate<WordKey>, f32)>) {
    let total_weight = hits.total_weight;
    let page = hits
        .pools
        .into_page()
        .into_iter()
        .take(limit)
        .map(|candidate| {
            let score = summary_score(&candidate.key, words, total_weight);
            (candidate, score)
        })
        .collect();
    (hits.passages, page)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str) -> Word {
        Word {
            text: text.to_string(),
            forms: vec![text.chars().collect()],
            term: 0,
            joined_to_next: false,
        }
    }

    /// A search of `words` with the given weights, as [`WordSearch::new`] would count them.
    fn search<'a>(words: &'a [Word], weights: &[f32]) -> WordSearch<'a> {
        WordSearch {
            words,
            contains: vec![json!({}); words.len()],
            on_boundaries: vec![json!({}); words.len()],
            as_written: None,
            excluded: Vec::new(),
            weights: weights.to_vec(),
            form_weights: vec![Vec::new(); words.len()],
            average_passages: 4.0,
            average_article: 100.0,
            with_text: true,
            word_boundaries: false,
            banded: false,
            lengths: HashMap::new(),
            doc_freqs: vec![1.0; words.len()],
        }
    }

    #[test]
    fn counts_of_the_first_look_serve_words_of_one_form_only() {
        let strings: HashMap<Vec<char>, u64> = [("安置房", 7), ("建设", 40)]
            .into_iter()
            .map(|(text, count)| (text.chars().collect(), count))
            .collect();
        let totals = [100, 10, 80, 4000];
        let words = [word("安置房"), word("建设")];
        let counted = Counted::known(totals, &strings, &words).expect("every word counted");
        assert_eq!(
            (counted.documents, counted.articles, counted.passages),
            (100, 10, 80)
        );
        assert_eq!(counted.strings.get("w0"), Some(&7));
        assert_eq!(counted.strings.get("w1"), Some(&40));
        // A word not counted, a word of several forms (counted as any of them), or no totals:
        // the cluster is asked.
        assert!(Counted::known(totals, &strings, &[word("回迁")]).is_none());
        let mut several = word("安置房");
        several.forms.push("回迁房".chars().collect());
        assert!(Counted::known(totals, &strings, &[several]).is_none());
        assert!(Counted::known([0, 0, 0, 0], &strings, &words).is_none());
    }

    /// A passage of `key` at `unit` holding the words of `words` (those of `bounded` on word
    /// boundaries).
    fn passage(key: &str, unit: u64, words: u64, bounded: u64) -> Passage {
        Passage {
            id: format!("{key}#{unit}"),
            key: key.to_string(),
            line: 1 + 2 * unit,
            unit,
            // Each passage its own text.
            text_hash: unit + 1000 * u64::from(key.as_bytes()[0]),
            unit_grams: 0,
            said: vec![0.0; 2],
            source: None,
            bm25: 1.0,
            words,
            bounded,
            forms: vec![0; 2],
            together: 0,
            written: false,
            excluded: false,
        }
    }

    fn ranked(search: &WordSearch<'_>, passages: &[Passage]) -> (Vec<(String, u64, Tier)>, Counts) {
        let mut pools = Pools::new(20);
        let mut counts = Counts::default();
        search.rank(passages, 0, &mut |c| pools.offer(c), &mut counts);
        let page = pools
            .into_page()
            .into_iter()
            .map(|c| (c.article, c.line, c.key.tier))
            .collect();
        (page, counts)
    }

    #[test]
    fn an_article_ranks_by_its_tiers_and_shows_the_passages_holding_the_most() {
        let words = [word("高新区"), word("安置房")];
        let search = search(&words, &[2.0, 3.0]);
        let passages = [
            // a.txt: both words on boundaries in one passage; another holds one word only.
            passage("a.txt", 0, 0b00, 0b00),
            passage("a.txt", 1, 0b11, 0b11),
            passage("a.txt", 2, 0b10, 0b10),
            // b.txt: the words in two passages (tier 4); 安置房 weighs more, so only the
            // passage holding it is shown.
            passage("b.txt", 1, 0b01, 0b01),
            passage("b.txt", 2, 0b10, 0b00),
            // c.txt: the title holds 安置房, counting for its passage holding 高新区 (which
            // would weigh less than the title without it).
            passage("c.txt", 0, 0b10, 0b10),
            passage("c.txt", 3, 0b01, 0b01),
            // d.txt: one word only (tier 5).
            passage("d.txt", 1, 0b10, 0b10),
        ];
        let (page, counts) = ranked(&search, &passages);
        let tiers: Vec<(&str, u64, Tier)> =
            page.iter().map(|(a, l, t)| (a.as_str(), *l, *t)).collect();
        assert_eq!(tiers[0], ("a.txt", 3, Tier::WordsOnBoundaries));
        assert!(tiers.contains(&("b.txt", 5, Tier::WordsInArticle)));
        assert!(!tiers.iter().any(|&(a, l, _)| a == "b.txt" && l == 3));
        // The title's word counts for c.txt's passage, which then holds more than the title.
        assert!(tiers.contains(&("c.txt", 7, Tier::WordsInArticle)));
        assert!(!tiers.iter().any(|&(a, l, _)| a == "c.txt" && l == 1));
        assert_eq!(tiers.last().map(|t| t.2), Some(Tier::SomeWords));
        // a.txt's passage holding one word is not a hit: its best holds both.
        assert!(!tiers.iter().any(|&(a, l, _)| a == "a.txt" && l == 5));
        assert_eq!((counts.all_words, counts.some_words), (3, 1));
        assert_eq!(page.len(), 4);
    }

    #[test]
    fn matched_clauses_are_read_back_by_name() {
        let words = [word("高新区"), word("安置房")];
        let search = search(&words, &[1.0, 1.0]);
        let hit = json!({
            "_id": "x", "_score": 2.5,
            "fields": {
                "key": ["a.txt"], "line": [7], "unit": [3], "text_hash": ["00ff"],
                "unit_grams": [120],
            },
            "_source": {"text": "安置房、安置房和高新区", "tail": ""},
            "matched_queries": ["w1", "b1", "t0", "a", "x0", "f1.2"],
        });
        let p = search.passage(&hit);
        assert_eq!(
            (p.key.as_str(), p.line, p.unit, p.text_hash),
            ("a.txt", 7, 3, 255)
        );
        assert_eq!((p.words, p.bounded, p.together), (0b10, 0b10, 0b01));
        assert!(p.written && p.excluded);
        assert_eq!(p.forms, vec![0, 0b100]);
        assert_eq!(p.bm25, 2.5);
        // How often it says the words it holds, from its text: 高新区 was not matched.
        assert_eq!((p.unit_grams, p.said.clone()), (120, vec![0.0, 2.0]));
        assert!(p.has_text());
    }

    #[test]
    fn only_articles_that_could_make_the_page_by_their_bm25_have_their_text_read() {
        let words = [word("高新区"), word("安置房")];
        let search = search(&words, &[2.0, 3.0]);
        let written = Passage {
            written: true,
            ..passage("a.txt", 0, 0b11, 0b11)
        };
        let passages = [
            // The query as written: its article's BM25 does not rank it.
            written,
            // Both words on boundaries in one passage (tier 2), twice.
            passage("b.txt", 0, 0b11, 0b11),
            passage("c.txt", 0, 0b11, 0b11),
            // The words in different passages (tier 4): a worse tier than the last hit kept.
            passage("d.txt", 0, 0b01, 0b01),
            passage("d.txt", 1, 0b10, 0b10),
        ];
        let mut pools = Pools::new(2);
        search.rank(
            &passages,
            0,
            &mut |c| pools.offer(c),
            &mut Counts::default(),
        );
        // Kept: a.txt and one of tier 2, whose place its BM25 decides against the other.
        assert_eq!(search.contested(&passages, &pools), ["b.txt#0", "c.txt#0"]);
        // Read already, a passage is not read again.
        let mut read = passages.clone();
        read[1].source = Some(json!({"text": ""}));
        assert_eq!(search.contested(&read, &pools), ["c.txt#0"]);
        // With room for every hit, every article past the query as written is read.
        let mut pools = Pools::new(10);
        search.rank(
            &passages,
            0,
            &mut |c| pools.offer(c),
            &mut Counts::default(),
        );
        assert_eq!(
            search.contested(&passages, &pools),
            ["b.txt#0", "c.txt#0", "d.txt#0", "d.txt#1"]
        );
    }

    #[test]
    fn an_article_saying_the_words_more_often_for_its_length_ranks_first() {
        let words = [word("高新区"), word("安置房")];
        let search = search(&words, &[2.0, 3.0]);
        let said = |key: &str, times: f32, unit_grams: u64| Passage {
            said: vec![times; 2],
            source: Some(json!({"text": ""})),
            unit_grams,
            ..passage(key, 0, 0b11, 0b11)
        };
        // As many passages each, of the same length: the one saying them thrice first.
        let (page, _) = ranked(&search, &[said("a.txt", 1.0, 80), said("b.txt", 3.0, 80)]);
        let files: Vec<&str> = page.iter().map(|(key, _, _)| key.as_str()).collect();
        assert_eq!(files, ["b.txt", "a.txt"]);
        // Saying them as often, the shorter article first.
        let (page, _) = ranked(&search, &[said("a.txt", 2.0, 400), said("b.txt", 2.0, 80)]);
        let files: Vec<&str> = page.iter().map(|(key, _, _)| key.as_str()).collect();
        assert_eq!(files, ["b.txt", "a.txt"]);
    }
}
