//! JSON output of `sou search --json`: one object per query.
//!
//! ```json
//! {
//!   "query": "高新区安置房",       // the query as typed
//!   "words": ["高新区", "安置房"], // the words it was read as
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
//!     "changed": false            // the file changed since it was indexed: no title or text
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
    /// The words it was read as.
    pub words: Vec<String>,
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
}

impl From<&Results> for JsonResults {
    fn from(results: &Results) -> Self {
        JsonResults {
            query: results.query.clone(),
            words: results.words.clone(),
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
