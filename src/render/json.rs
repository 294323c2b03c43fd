//! JSON output of `sou search --json`: one object per query.
//!
//! ```json
//! {
//!   "query": "安置房",            // the query as typed
//!   "total": 1,                   // passages that match
//!   "took_ms": 1.7,               // time spent searching
//!   "hits": [{
//!     "rank": 1,                  // 1-based
//!     "score": 3000.08,           // ranking score: tier bonuses + scaled BM25
//!     "path": "./seeds/a.txt",    // seeds folder as given + path inside it
//!     "line": 33,                 // 1-based line where the passage starts
//!     "title": "…",               // the article's title
//!     "text": "…",                // the whole passage as a reader sees it
//!     "snippet": "…",             // the window shown (the whole passage when short)
//!     "highlights": [[12, 15]]    // half-open Unicode character offsets into snippet
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
    /// How many passages match.
    pub total: usize,
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
    /// The file: the seeds folder as given joined with the path inside it.
    pub path: String,
    /// 1-based line where the passage starts.
    pub line: u64,
    /// The article's title.
    pub title: String,
    /// The whole passage.
    pub text: String,
    /// The window shown.
    pub snippet: String,
    /// Half-open `[start, end]` Unicode character offsets into `snippet`.
    pub highlights: Vec<[usize; 2]>,
}

impl From<&Results> for JsonResults {
    fn from(results: &Results) -> Self {
        JsonResults {
            query: results.query.clone(),
            total: results.total,
            took_ms: (results.took.as_secs_f64() * 1e6).round() / 1e3,
            hits: results
                .hits
                .iter()
                .map(|hit| JsonHit {
                    rank: hit.rank,
                    score: hit.score,
                    path: hit.path.clone(),
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
