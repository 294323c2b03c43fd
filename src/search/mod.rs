//! Searching: turning a parsed query into a tantivy query, ranking, and reading hits back with
//! their highlights. Nothing here needs jieba, so a search process never loads its dictionary.
//!
//! Recall comes from the gram field: a query string matches wherever its characters stand in a
//! row (after folding), like grep. Ranking is in tiers, each a constant added to BM25 (scaled down
//! so it cannot cross a tier):
//! 1. the query as written (its words in a row, no synonym), +2000;
//! 2. each query word standing on jieba word boundaries (`穿着和服的`, not `管理和服务`), +1000
//!    shared among the words (added by the collector in [`rank`], which checks it only for hits
//!    that can still make the list);
//! 3. BM25 over the gram phrases;
//!
//! and ties go to the earlier file and line.

pub(crate) mod highlight;
pub(crate) mod query;
pub(crate) mod rank;
pub(crate) mod synonyms;

use std::path::Path;
use std::time::{Duration, Instant};

use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, EnableScoring, Occur};
use tantivy::schema::{Field, Value};
use tantivy::{Searcher, TantivyDocument};

use crate::analysis::grams::{self, any_of};
use crate::corpus::display_path;
use crate::index::SouIndex;
use crate::{Error, Result};

pub use highlight::Snippet;
pub use query::{Literal, Query, parse};
pub use synonyms::Synonyms;

/// Score added when the query stands in the passage as written.
const AS_WRITTEN_BONUS: f32 = 2000.0;
/// Score shared among the query's words when they stand on word boundaries.
const BOUNDARY_BONUS: f32 = 1000.0;
/// BM25 is scaled by this so that it orders passages within a tier but never crosses one.
const BM25_SCALE: f32 = 1.0 / 128.0;

/// One ranked passage.
#[derive(Debug, Clone)]
pub struct Hit {
    /// 1-based rank.
    pub rank: usize,
    /// The ranking score (tier bonuses plus scaled BM25).
    pub score: f32,
    /// The file as the user can open it: the seeds folder as given joined with the article key.
    pub path: String,
    /// 1-based line where the passage starts.
    pub line: u64,
    /// The article's title.
    pub title: String,
    /// The whole passage.
    pub text: String,
    /// Character ranges of the matches in `text`.
    pub highlights: Vec<(usize, usize)>,
    /// The window shown, with its own highlights.
    pub snippet: Snippet,
}

/// The answer to a query.
#[derive(Debug, Clone)]
pub struct Results {
    /// The query as the user typed it.
    pub query: String,
    /// How many passages match.
    pub total: usize,
    /// The best passages, best first.
    pub hits: Vec<Hit>,
    /// Time spent searching.
    pub took: Duration,
}

fn search_error(err: tantivy::TantivyError) -> Error {
    Error::tantivy("searching", err)
}

/// The alternatives a group matches: each literal and, unless quoted, its synonyms.
fn alternatives(group: &[Literal], synonyms: &Synonyms) -> Vec<Vec<char>> {
    let mut out: Vec<Vec<char>> = Vec::new();
    for literal in group {
        let synonyms = if literal.quoted {
            Vec::new()
        } else {
            synonyms.expand(&literal.folded())
        };
        let forms = std::iter::once(literal.chars.clone())
            .chain(synonyms.iter().map(|other| other.chars().collect()));
        for form in forms {
            if !out.contains(&form) {
                out.push(form);
            }
        }
    }
    out
}

/// Builds the tantivy query that finds and scores the hits, and, for each group, the queries
/// that find its literals on word boundaries (see [`rank`]).
fn build(
    index: &SouIndex,
    query: &Query,
    synonyms: &Synonyms,
) -> (BooleanQuery, Vec<Vec<Box<dyn tantivy::query::Query>>>) {
    let fields = &index.fields.gram;
    let mut clauses: Vec<(Occur, Box<dyn tantivy::query::Query>)> = Vec::new();
    let mut on_boundaries = Vec::with_capacity(query.groups.len());
    let forms: Vec<Vec<Vec<char>>> = query
        .groups
        .iter()
        .map(|group| alternatives(group, synonyms))
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
        clauses.push((Occur::MustNot, grams::contains(fields, &literal.chars)));
    }
    // The query as written: every group a single literal, in a row, with or without a space.
    // One literal without synonyms matches only as written: the bonus would go to every hit.
    let only_as_written = matches!(&forms[..], [only] if only.len() == 1);
    if !only_as_written && query.groups.iter().all(|g| g.len() == 1) {
        let literals: Vec<&[char]> = query.groups.iter().map(|g| &g[0].chars[..]).collect();
        let joined = literals.concat();
        let mut as_written = vec![grams::contains(fields, &joined)];
        if literals.len() > 1 {
            as_written.push(grams::contains(fields, &literals.join(&' ')));
        }
        clauses.push((
            Occur::Should,
            Box::new(ConstScoreQuery::new(any_of(as_written), AS_WRITTEN_BONUS)),
        ));
    }
    (BooleanQuery::new(clauses), on_boundaries)
}

/// Runs `query` on the commit `searcher` sees and returns the best `limit` passages.
/// `seeds` is the seeds folder as the user gave it, for the paths shown.
pub fn search(
    index: &SouIndex,
    searcher: &Searcher,
    seeds: &Path,
    raw_query: &str,
    query: &Query,
    synonyms: &Synonyms,
    limit: usize,
) -> Result<Results> {
    let started = Instant::now();
    let fields = &index.fields;
    let (tantivy_query, on_boundaries) = build(index, query, synonyms);
    let collector = rank::Ranked::new(
        limit,
        BOUNDARY_BONUS,
        &on_boundaries,
        EnableScoring::disabled_from_searcher(searcher),
    )
    .map_err(search_error)?;
    let (ranked, total) = searcher
        .search(&tantivy_query, &collector)
        .map_err(search_error)?;

    let needles: Vec<Vec<char>> = query
        .groups
        .iter()
        .flat_map(|group| alternatives(group, synonyms))
        .collect();
    let mut hits = Vec::with_capacity(ranked.len());
    for (
        i,
        rank::RankedHit {
            score,
            key,
            line,
            address,
        },
    ) in ranked.into_iter().enumerate()
    {
        let doc: TantivyDocument = searcher.doc(address).map_err(search_error)?;
        let text = stored_text(&doc, fields.text);
        let tail = stored_text(&doc, fields.tail);
        let highlights = highlight::find(&text, &tail, &needles);
        let snippet = highlight::snippet(&text, &highlights);
        hits.push(Hit {
            rank: i + 1,
            score,
            path: display_path(seeds, &key),
            line,
            title: stored_text(&doc, fields.title),
            text,
            highlights,
            snippet,
        });
    }
    Ok(Results {
        query: raw_query.to_string(),
        total,
        hits,
        took: started.elapsed(),
    })
}

fn stored_text(doc: &TantivyDocument, field: Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}
