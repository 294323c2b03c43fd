//! JSON output of `sou search --json`: one object per query.
//!
//! ```json
//! {
//!   "query": "高新区安置房",       // the query as typed
//!   "words": ["高新区", "安置房"], // the words it was read as: the words searched
//!   "corrections": [],            // what was read as other than typed: {typed, read, why}
//!   "all_words": true,            // every hit's article holds every word (false: best effort)
//!   "total": 1,                   // passages that match
//!   "total_exact": true,          // false: at least `total` (best effort stopped early)
//!   "took_ms": 1.7,               // time spent searching
//!   "hits": [{
//!     "rank": 1,                  // 1-based
//!     "score": 1000.08,           // ranking score: tier bonuses + scaled BM25
//!     "tier": "words_in_article", // as_written, words_on_boundaries, words_in_passage,
//!                                 // words_in_article or some_words
//!     "path": "./seeds/a.txt",    // seeds folder as given + path inside it
//!     "also": [],                 // other files with a passage of the same text
//!     "line": 33,                 // 1-based line where the passage starts
//!     "column": 200,              // byte column of the match the snippet shows (in its line)
//!     "title": "…",               // the article's title
//!     "text": "…",                // the whole passage as a reader sees it
//!     "snippet": "…",             // the window shown (the whole passage when short)
//!     "highlights": [[12, 15]],   // half-open Unicode character offsets into snippet
//!     "matched": ["高新区", "安置房"], // words the passage or its title holds
//!     "missing": [],              // words neither holds
//!     "changed": false,           // the file changed since it was indexed: no title or text
//!     "before": [], "after": []   // with -B/-A/-C only: the passages around it, each
//!                                 // {line, page?, text, highlights, changed}
//!   }]
//! }
//! ```

use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::search::Results;

/// The whole answer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonResults {
    /// The query as typed.
    pub query: String,
    /// The words it was read as: the words searched.
    pub words: Vec<String>,
    /// What was read as other than typed (a homophone typo, pinyin).
    #[serde(default)]
    pub corrections: Vec<JsonCorrection>,
    /// Whether every hit's article holds every word.
    pub all_words: bool,
    /// How many passages match.
    pub total: usize,
    /// Whether `total` counts every match (false: at least that many).
    pub total_exact: bool,
    /// Milliseconds spent searching.
    pub took_ms: f64,
    /// The best passages, best first.
    pub hits: Vec<JsonHit>,
}

/// A string read as other than typed.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonCorrection {
    /// What was typed.
    pub typed: String,
    /// What it was read as.
    pub read: String,
    /// Why: `same pinyin`, `similar pinyin` or `pinyin`.
    pub why: String,
}

/// One hit.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonHit {
    /// 1-based rank.
    pub rank: usize,
    /// The ranking score.
    pub score: f32,
    /// The tier the hit ranks in.
    pub tier: String,
    /// The file: the seeds folder as given joined with the path inside it.
    pub path: String,
    /// Other files holding a passage of the same text.
    pub also: Vec<String>,
    /// 1-based line where the passage starts.
    pub line: u64,
    /// 1-based byte column, in the line of the match the snippet shows, of that match (absent
    /// when the file changed since it was indexed).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub column: Option<usize>,
    /// 1-based page of that match, for formats with pages.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub page: Option<u32>,
    /// The article's title.
    pub title: String,
    /// The whole passage.
    pub text: String,
    /// The window shown.
    pub snippet: String,
    /// Half-open `[start, end]` Unicode character offsets into `snippet`.
    pub highlights: Vec<[usize; 2]>,
    /// The query words the passage or its title holds.
    pub matched: Vec<String>,
    /// The query words neither the passage nor its title holds.
    pub missing: Vec<String>,
    /// The file no longer holds the passage as indexed: `title`, `text` and `snippet` are
    /// empty.
    pub changed: bool,
    /// With `-B`/`-C`: the passages of the article before this one, in reading order.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub before: Vec<JsonArticlePassage>,
    /// With `-A`/`-C`: the passages after it.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub after: Vec<JsonArticlePassage>,
}

impl From<&Results> for JsonResults {
    fn from(results: &Results) -> Self {
        JsonResults {
            query: results.query.clone(),
            words: results.words.clone(),
            corrections: results
                .corrections
                .iter()
                .map(|c| JsonCorrection {
                    typed: c.typed.clone(),
                    read: c.read.clone(),
                    why: c.why.to_string(),
                })
                .collect(),
            all_words: results.all_words,
            total: results.total,
            total_exact: results.total_exact,
            took_ms: (results.took.as_secs_f64() * 1e6).round() / 1e3,
            hits: results
                .hits
                .iter()
                .map(|hit| JsonHit {
                    rank: hit.rank,
                    score: hit.score,
                    tier: hit.tier.name().to_string(),
                    path: crate::corpus::display_os(hit.path.as_os_str()),
                    also: hit
                        .also
                        .iter()
                        .map(|a| crate::corpus::display_os(a.path.as_os_str()))
                        .collect(),
                    column: hit.location.map(|l| l.column),
                    page: hit.location.and_then(|l| l.page),
                    line: hit.line,
                    title: hit.title.clone(),
                    text: hit.text.clone(),
                    snippet: hit.snippet.text.clone(),
                    highlights: hit
                        .snippet
                        .highlights
                        .iter()
                        .map(|&(s, e)| [s, e])
                        .collect(),
                    matched: hit.matched.clone(),
                    missing: hit.missing.clone(),
                    changed: hit.changed,
                    before: hit.before.iter().map(JsonArticlePassage::from).collect(),
                    after: hit.after.iter().map(JsonArticlePassage::from).collect(),
                })
                .collect(),
        }
    }
}

/// Writes `results` as one line of JSON.
pub fn write_json<W: Write>(out: &mut W, results: &Results) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &JsonResults::from(results))?;
    writeln!(out)
}

/// What `sou stats --json` prints (and `sou serve` answers at `/api/stats`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonStats {
    /// The index folder, as given.
    pub index: String,
    /// The seeds folder the index records, when it records one.
    pub seeds: Option<String>,
    /// Articles indexed.
    pub articles: u64,
    /// Passages indexed.
    pub passages: u64,
    /// Distinct terms of the gram field.
    pub terms: u64,
    /// Bytes the index takes on disk.
    pub index_bytes: u64,
    /// When the last sync committed, RFC 3339 (UTC); `null` when never.
    pub synced_at: Option<String>,
    /// Whether the last commit ended a sync (false: a build was interrupted).
    pub complete: bool,
    /// Whether another sou process is writing the index now.
    pub being_written: bool,
    /// The settings files at the top of the seeds folder.
    pub settings: Vec<String>,
    /// Files not indexed, with why.
    pub skipped: Vec<JsonSkipped>,
}

/// A file `sou stats --json` lists as not indexed.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonSkipped {
    /// The file, as the user can open it.
    pub path: String,
    /// Why it is not indexed.
    pub reason: String,
}

impl JsonStats {
    /// The numbers of `stats`, with paths shown as `index` and `seeds` were given.
    pub fn new(stats: &crate::Stats, index: &std::path::Path, seeds: &std::path::Path) -> Self {
        JsonStats {
            index: crate::corpus::display_os(index.as_os_str()),
            seeds: stats
                .seeds
                .as_ref()
                .map(|s| crate::corpus::display_os(s.as_os_str())),
            articles: stats.articles,
            passages: stats.passages,
            terms: stats.distinct_grams,
            index_bytes: stats.index_bytes,
            synced_at: stats.synced_at.map(super::synced_at),
            complete: stats.complete,
            being_written: stats.being_written,
            settings: stats.settings.clone(),
            skipped: stats
                .skipped
                .iter()
                .map(|s| JsonSkipped {
                    path: crate::corpus::display_path(seeds, &s.key),
                    reason: s.reason.clone(),
                })
                .collect(),
        }
    }
}

/// An article as `sou serve` answers at `/api/article`: every passage, with a query's matches.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonArticle {
    /// The file, as in the search JSON's `path`.
    pub path: String,
    /// The article's title.
    pub title: String,
    /// The words the query was read as (empty without one).
    pub words: Vec<String>,
    /// Every passage, in reading order.
    pub passages: Vec<JsonArticlePassage>,
}

/// One passage of a [`JsonArticle`].
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonArticlePassage {
    /// 1-based line where it starts, as a hit's `line`.
    pub line: u64,
    /// 1-based page, for documents with pages.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub page: Option<u32>,
    /// The passage's text.
    pub text: String,
    /// Half-open Unicode character offsets into `text` of the query's matches.
    pub highlights: Vec<[usize; 2]>,
    /// The file changed since it was indexed: no text.
    pub changed: bool,
}

impl From<&crate::search::ArticleText> for JsonArticle {
    fn from(article: &crate::search::ArticleText) -> Self {
        JsonArticle {
            path: crate::corpus::display_os(article.path.as_os_str()),
            title: article.title.clone(),
            words: article.words.clone(),
            passages: article
                .passages
                .iter()
                .map(JsonArticlePassage::from)
                .collect(),
        }
    }
}

impl From<&crate::search::ArticlePassage> for JsonArticlePassage {
    fn from(p: &crate::search::ArticlePassage) -> Self {
        JsonArticlePassage {
            line: p.line,
            page: p.page,
            text: p.text.clone(),
            highlights: p.highlights.iter().map(|&(s, e)| [s, e]).collect(),
            changed: p.changed,
        }
    }
}
