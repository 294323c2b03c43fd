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

pub mod highlight;
pub mod query;
pub mod rank;
pub mod synonyms;

use std::path::Path;
use std::time::{Duration, Instant};

use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, EnableScoring, Occur, PhraseQuery,
    RegexQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{Searcher, TantivyDocument, Term};

use crate::analysis::{BOUNDARY, END, TAIL_KEY_PREFIXES, query_grams};
use crate::corpus::passage::TAIL_CHARS;
use crate::index::{Fields, SouIndex};
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

/// A query that finds `chars` in a row starting in a passage, including a match that runs on
/// past a cut into the passage's tail.
fn gram_query(fields: &Fields, chars: &[char]) -> Box<dyn tantivy::query::Query> {
    if let [c] = chars {
        // Every gram that starts with the character: the bigrams, and the unigram of a passage's
        // last character.
        return regex_query(fields.grams, &format!("{}.*", escaped(&[*c])));
    }
    let across = (1..chars.len())
        .filter(|&k| chars.len() - k <= TAIL_CHARS)
        .map(|k| across_cut(fields, chars, k));
    let mut queries = vec![phrase_or_term(gram_terms(fields, query_grams(chars)))];
    queries.extend(across);
    any_of(queries)
}

/// `chars` cut after `k` characters by the end of a passage: the passage ends with the first
/// part and its tail key starts with the rest.
fn across_cut(fields: &Fields, chars: &[char], k: usize) -> Box<dyn tantivy::query::Query> {
    let mut ending = gram_terms(fields, query_grams(&chars[..k]));
    ending.push((k, Term::from_field_text(fields.grams, END)));
    let rest = &chars[k..];
    let rest = if TAIL_KEY_PREFIXES.contains(&rest.len()) {
        let term = Term::from_field_text(fields.tail_key, &rest.iter().collect::<String>());
        Box::new(TermQuery::new(term, IndexRecordOption::Basic))
    } else {
        regex_query(fields.tail_key, &format!("{}.*", escaped(rest)))
    };
    Box::new(BooleanQuery::new(vec![
        (Occur::Must, phrase_or_term(ending)),
        (Occur::Must, rest),
    ]))
}

/// `chars` as a regular expression that matches them literally.
fn escaped(chars: &[char]) -> String {
    chars
        .iter()
        .map(|&c| format!("\\x{{{:X}}}", c as u32))
        .collect()
}

fn regex_query(field: Field, pattern: &str) -> Box<dyn tantivy::query::Query> {
    match RegexQuery::from_pattern(pattern, field) {
        Ok(query) => Box::new(query),
        Err(_) => Box::new(EmptyQuery),
    }
}

/// A query that finds `chars` standing on word boundaries: boundary markers at both ends, or,
/// for one character, the character as a word of its own.
fn boundary_query(fields: &Fields, chars: &[char]) -> Box<dyn tantivy::query::Query> {
    if let [c] = chars {
        let term = Term::from_field_text(fields.solo_words, &c.to_string());
        return Box::new(TermQuery::new(term, IndexRecordOption::Basic));
    }
    let mut terms = gram_terms(fields, query_grams(chars));
    terms.push((0, Term::from_field_text(fields.grams, BOUNDARY)));
    terms.push((chars.len(), Term::from_field_text(fields.grams, BOUNDARY)));
    phrase_or_term(terms)
}

fn gram_terms(fields: &Fields, grams: Vec<(usize, String)>) -> Vec<(usize, Term)> {
    grams
        .into_iter()
        .map(|(offset, gram)| (offset, Term::from_field_text(fields.grams, &gram)))
        .collect()
}

fn phrase_or_term(mut terms: Vec<(usize, Term)>) -> Box<dyn tantivy::query::Query> {
    match terms.len() {
        0 => Box::new(EmptyQuery),
        1 => Box::new(TermQuery::new(
            terms.remove(0).1,
            IndexRecordOption::WithFreqs,
        )),
        _ => Box::new(PhraseQuery::new_with_offset(terms)),
    }
}

fn any_of(queries: Vec<Box<dyn tantivy::query::Query>>) -> Box<dyn tantivy::query::Query> {
    if queries.len() == 1 {
        return queries
            .into_iter()
            .next()
            .unwrap_or_else(|| Box::new(EmptyQuery));
    }
    Box::new(BooleanQuery::new(
        queries.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
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
    let fields = &index.fields;
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
            .map(|chars| gram_query(fields, chars))
            .collect();
        clauses.push((
            Occur::Must,
            Box::new(BoostQuery::new(any_of(recall), BM25_SCALE)),
        ));
        on_boundaries.push(
            group
                .iter()
                .map(|literal| boundary_query(fields, &literal.chars))
                .collect(),
        );
    }
    for literal in &query.excluded {
        clauses.push((Occur::MustNot, gram_query(fields, &literal.chars)));
    }
    // The query as written: every group a single literal, in a row, with or without a space.
    // One literal without synonyms matches only as written: the bonus would go to every hit.
    let only_as_written = matches!(&forms[..], [only] if only.len() == 1);
    if !only_as_written && query.groups.iter().all(|g| g.len() == 1) {
        let literals: Vec<&[char]> = query.groups.iter().map(|g| &g[0].chars[..]).collect();
        let joined = literals.concat();
        let mut as_written = vec![gram_query(fields, &joined)];
        if literals.len() > 1 {
            as_written.push(gram_query(fields, &literals.join(&' ')));
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
    // A few more than asked for, so that ties at the cut are broken by path and line.
    let collector = rank::Ranked::new(
        limit + 32,
        BOUNDARY_BONUS,
        &on_boundaries,
        EnableScoring::disabled_from_searcher(searcher),
    )
    .map_err(search_error)?;
    let (top, total) = searcher
        .search(&tantivy_query, &collector)
        .map_err(search_error)?;

    // Ties are broken by path and line, read from fast fields: only the hits shown are read
    // from the document store.
    let mut ranked = Vec::with_capacity(top.len());
    let mut columns = std::collections::HashMap::new();
    for (score, address) in top {
        let (paths, lines) = match columns.entry(address.segment_ord) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                let fast = searcher.segment_reader(address.segment_ord).fast_fields();
                let paths = fast.str("path").map_err(search_error)?.ok_or_else(|| {
                    search_error(tantivy::TantivyError::FieldNotFound("path".into()))
                })?;
                let lines = fast.u64("line").map_err(search_error)?;
                entry.insert((paths, lines))
            }
        };
        let mut key = String::new();
        if let Some(ord) = paths.term_ords(address.doc_id).next() {
            paths
                .ord_to_str(ord, &mut key)
                .map_err(|e| search_error(e.into()))?;
        }
        let line = lines.first(address.doc_id).unwrap_or(0);
        ranked.push((score, key, line, address));
    }
    ranked.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| a.1.cmp(&b.1))
            .then_with(|| a.2.cmp(&b.2))
    });
    ranked.truncate(limit);

    let needles: Vec<Vec<char>> = query
        .groups
        .iter()
        .flat_map(|group| alternatives(group, synonyms))
        .collect();
    let mut hits = Vec::with_capacity(ranked.len());
    for (i, (score, key, line, address)) in ranked.into_iter().enumerate() {
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

/// The seeds folder as given joined with an article key.
pub fn display_path(seeds: &Path, key: &str) -> String {
    let seeds = seeds.to_string_lossy();
    if seeds.is_empty() {
        return key.to_string();
    }
    if seeds.ends_with('/') {
        format!("{seeds}{key}")
    } else {
        format!("{seeds}/{key}")
    }
}
