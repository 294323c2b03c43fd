//! A search session: one commit of the index, with what searching it needs besides the query —
//! the reader, the dictionary the index was built with, the folder's synonyms — opened once and
//! used for any number of searches. The command line opens one per search; a server keeps one
//! and opens another when a sync commits.

use std::path::PathBuf;

use super::{Context, Query, Results, Scope, Synonyms};
use crate::analysis::dictionary::Dictionary;
use crate::index::{self, SouIndex};
use crate::{Error, Result};

/// A snippet's width unless told otherwise: two lines of an 80-column terminal (see
/// [`snippet_columns`]).
pub const DEFAULT_SNIPPET_COLUMNS: usize = snippet_columns(80);

/// The width of a snippet that fills two lines of a `width`-column terminal: less the indent of
/// each line, the two `…`, and a column each line may leave where a character does not fit.
pub const fn snippet_columns(width: usize) -> usize {
    let columns = (2 * width).saturating_sub(12);
    if columns < 20 { 20 } else { columns }
}

/// How to search, besides the query.
#[derive(Debug, Clone, Copy)]
pub struct SearchOptions<'a> {
    /// How many hits.
    pub limit: usize,
    /// Only articles whose key (path in the seeds folder) these globs accept: a glob starting
    /// with `!` leaves out what it matches; when some do not, an article must match one.
    pub globs: &'a [String],
    /// Count every matching passage exactly.
    pub exact_total: bool,
    /// Read each hit's text (not needed for paths or counts).
    pub with_text: bool,
    /// How wide a hit's snippet is, in terminal columns (a Chinese character takes two).
    pub snippet_columns: usize,
    /// The query is one string to find as written (see [`super::parse_fixed`]).
    pub fixed_strings: bool,
    /// Only articles whose file has one of these extensions (any case); empty: all.
    pub extensions: &'a [String],
    /// Only these articles, or the articles in these folders (keys: paths in the seeds
    /// folder); empty: all. And-ed with the globs and extensions.
    pub files: &'a [String],
    /// Only hits whose words stand on jieba word boundaries (as grep's `-w`): `管理和服务`
    /// is no hit for 和服.
    pub word_boundaries: bool,
    /// Passages of each hit's article read with it: this many before and after (as grep's
    /// `-B` and `-A`).
    pub context: (usize, usize),
}

impl Default for SearchOptions<'_> {
    fn default() -> Self {
        SearchOptions {
            limit: 10,
            globs: &[],
            exact_total: false,
            with_text: true,
            snippet_columns: DEFAULT_SNIPPET_COLUMNS,
            fixed_strings: false,
            extensions: &[],
            files: &[],
            word_boundaries: false,
            context: (0, 0),
        }
    }
}

/// One commit of an index, opened for searching.
pub struct Session {
    index: SouIndex,
    /// The commit's searcher: its reader never reloads, so every search sees these segments.
    searcher: tantivy::Searcher,
    /// Their passage columns, opened once for all the session's searches (a server's many).
    columns: super::ColumnCache,
    seeds: PathBuf,
    synonyms: Synonyms,
    dictionary: Dictionary,
    /// The corpus words by pinyin (see [`crate::index::sidecar::keep_pinyin`]).
    pinyin: Option<crate::index::sidecar::PinyinWords>,
    complete: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("index", &self.index)
            .field("complete", &self.complete)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session on the last commit of `index`, whose articles are below `seeds` (the folder as
    /// the user gave it, for the paths of hits).
    pub(crate) fn open(index: SouIndex, seeds: PathBuf, synonyms: Synonyms) -> Result<Session> {
        let payload = index.payload()?;
        let complete = payload.as_ref().is_some_and(|p| p.complete);
        let dictionary = match payload.and_then(|p| p.user_words) {
            Some(kept) => {
                let words = index::sidecar::open_user_words(&index.dir, &kept).map_err(|err| {
                    Error::Damaged {
                        path: index.dir.clone(),
                        detail: format!("its user dictionary is unreadable: {err}"),
                    }
                })?;
                Dictionary::with_kept_words(words, &kept)
            }
            None => Dictionary::new(&Default::default()),
        };
        let searcher = index.reader()?.searcher();
        let columns = super::ColumnCache::new(&searcher);
        let pinyin = index::sidecar::open_pinyin(&index.dir);
        Ok(Session {
            index,
            searcher,
            columns,
            seeds,
            synonyms,
            dictionary,
            pinyin,
            complete,
        })
    }

    /// The session for many searches (a server's): each segment's article keys are read whole
    /// by the first search that needs them and kept, instead of each search reading its hits'.
    pub fn for_many_searches(mut self) -> Self {
        self.columns.keys = Some(Default::default());
        self
    }

    /// Whether the commit ends a sync (not an interrupted build's).
    pub fn complete(&self) -> bool {
        self.complete
    }

    /// Parses and runs `raw_query`.
    pub fn search(&self, raw_query: &str, options: &SearchOptions<'_>) -> Result<Results> {
        let query = super::parse_with(raw_query, options)?;
        self.search_parsed(raw_query, &query, options)
    }

    /// Runs `query`, parsed from `raw_query`.
    pub(crate) fn search_parsed(
        &self,
        raw_query: &str,
        query: &Query,
        options: &SearchOptions<'_>,
    ) -> Result<Results> {
        let searcher = &self.searcher;
        let articles = match (options.globs, options.extensions, options.files) {
            ([], [], []) => None,
            _ => Some(articles_matching(&self.index, searcher, options)?),
        };
        let scope = Scope {
            articles,
            exact_total: options.exact_total,
            with_text: options.with_text,
            snippet_columns: options.snippet_columns,
            word_boundaries: options.word_boundaries,
            context: options.context,
        };
        let context = self.context(&scope);
        super::search(&context, raw_query, query, options.limit)
    }

    /// The article `key` (its path in the seeds folder) with the matches of `raw_query`
    /// highlighted; `None` when the commit holds no such article (see [`super::article`]).
    pub fn article(
        &self,
        key: &str,
        raw_query: Option<&str>,
    ) -> Result<Option<super::ArticleText>> {
        let query = raw_query.map(super::parse).transpose()?;
        let scope = Scope::default();
        let context = self.context(&scope);
        super::article(&context, key, query.as_ref())
    }

    /// What a search of the session's commit within `scope` reads from.
    fn context<'a>(&'a self, scope: &'a Scope) -> Context<'a> {
        Context {
            index: &self.index,
            searcher: &self.searcher,
            seeds: &self.seeds,
            synonyms: &self.synonyms,
            dictionary: &self.dictionary,
            scope,
            columns: &self.columns,
            pinyin: self.pinyin.as_ref(),
        }
    }
}

/// The keys of the indexed articles that `options`' globs accept (see
/// [`SearchOptions::globs`]), that have one of its extensions and are among its files (when
/// some are given).
fn articles_matching(
    index: &SouIndex,
    searcher: &tantivy::Searcher,
    options: &SearchOptions<'_>,
) -> Result<Vec<String>> {
    let admitted = ArticleFilter::of(options)?;
    let manifest =
        index::manifest::read(searcher, &index.fields).map_err(|e| e.damage_in(&index.dir))?;
    Ok(manifest
        .into_iter()
        .filter(|(key, known)| !known.skipped() && admitted.admits(key))
        .map(|(key, _)| key)
        .collect())
}

/// Whether the article `key` is the file `file` or in the folder `file` (both paths in the
/// seeds folder, `/` between their parts).
pub(crate) fn is_in(key: &str, file: &str) -> bool {
    key.strip_prefix(file)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Which articles, by key (path in the seeds folder), `options`' globs, extensions and files
/// admit.
pub(crate) struct ArticleFilter<'a> {
    overrides: ignore::overrides::Override,
    extensions: &'a [String],
    files: &'a [String],
}

impl<'a> ArticleFilter<'a> {
    /// The filter of `options`; a glob that is not one is an error naming it.
    pub fn of(options: &SearchOptions<'a>) -> Result<ArticleFilter<'a>> {
        let globs = options.globs;
        let mut builder = ignore::overrides::OverrideBuilder::new("/");
        for glob in globs {
            builder.add(glob).map_err(|err| Error::Glob {
                glob: glob.clone(),
                reason: err.to_string(),
            })?;
        }
        let overrides = builder.build().map_err(|err| Error::Glob {
            glob: globs.join(" "),
            reason: err.to_string(),
        })?;
        Ok(ArticleFilter {
            overrides,
            extensions: options.extensions,
            files: options.files,
        })
    }

    /// Whether the article `key` is admitted.
    pub fn admits(&self, key: &str) -> bool {
        (self.files.is_empty() || self.files.iter().any(|file| is_in(key, file)))
            && (self.extensions.is_empty()
                || crate::corpus::has_extension(std::path::Path::new(key), self.extensions))
            && !self
                .overrides
                .matched(std::path::Path::new("/").join(key), false)
                .is_ignore()
    }
}
