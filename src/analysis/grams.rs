//! The gram contract: what a passage is indexed as, and the queries that find a string in it.
//! Both sides live here because they must agree exactly; the index fingerprint carries
//! [`version`], derived from the parameters below, so that changing any of them rebuilds the
//! index instead of silently missing matches.
//!
//! A passage is folded and read as its *gram stream*: its characters with control characters
//! dropped and each run of whitespace standing as one space (see [`gram_stream`]). The passage
//! is indexed as:
//! - in the gram field, at each stream position, the bigram of that character and the next (the
//!   last character gets its unigram), a [`BOUNDARY`] marker where a jieba word starts, and after
//!   the last character a boundary and [`END`];
//! - in the solo field, the characters jieba leaves as words by themselves (`和` in `管理和服务`,
//!   not in `和服`), without positions;
//! - in the tail key field, the first [`TAIL_CHARS`] stream characters of the text that follows
//!   the passage when a long paragraph was cut after it, as one term, plus its first one and two
//!   characters ([`TAIL_KEY_PREFIXES`]).
//!
//! A query string is found exactly where its bigrams stand in a row, whatever jieba made of the
//! text around it — or where a passage ends with its start and the tail key starts with the
//! rest. It stands "on word boundaries" when markers stand at both of its ends (one character:
//! when it is a word by itself).
//!
//! The analysis runs on sou's worker threads and hands tantivy the gram field as a compact
//! encoded string: the stream's characters, each preceded by [`FLAG`] where a word starts, and a
//! final flag (a passage ends on a boundary). [`GramsTokenizer`], registered on the index, only
//! decodes it inside tantivy's indexing threads, reusing one token buffer. (Pre-tokenized values
//! would be serialized to JSON and back inside tantivy: a fifth of the indexing time.)

use std::collections::HashMap;
use std::ops::Bound;

use tantivy::query::{
    Bm25Weight, BooleanQuery, EmptyQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, SchemaBuilder, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{NgramTokenizer, Token, TokenStream, Tokenizer, TokenizerManager};
use tantivy::{Score, TantivyDocument, Term};

/// The parameters of the contract. Everything the index and the queries must agree on that is
/// a value is here; [`version`] is derived from them (and `revision`, bumped by hand when the
/// code that applies them changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Contract {
    /// The term marking a word boundary in the gram field.
    pub boundary: &'static str,
    /// The term after a passage's last character.
    pub end: &'static str,
    /// The character that flags a word start in the encoded field value.
    pub flag: char,
    /// Stream characters of the following text kept as a passage's tail.
    pub tail_chars: usize,
    /// Lengths of the tail key prefixes indexed as terms of their own.
    pub tail_key_prefixes: [usize; 2],
    /// The gram field's name.
    pub grams_field: &'static str,
    /// The solo word field's name.
    pub solo_field: &'static str,
    /// The tail key field's name.
    pub tail_key_field: &'static str,
    /// Bumped when the code that applies these parameters changes what is indexed.
    pub revision: u32,
}

/// The contract in force.
pub(crate) const CONTRACT: Contract = Contract {
    boundary: "\u{0}",
    end: "\u{1}",
    flag: '\u{2}',
    tail_chars: 24,
    tail_key_prefixes: [1, 2],
    grams_field: "grams",
    solo_field: "solo_words",
    tail_key_field: "tail_key",
    revision: 8,
};

/// The term marking a word boundary. Grams are built from non-control characters only, so no
/// gram can be this term.
pub const BOUNDARY: &str = CONTRACT.boundary;

/// The term after a passage's last character: a query string that runs on past a cut into the
/// next passage ends there in the gram field, and goes on in the tail key.
pub const END: &str = CONTRACT.end;

/// Flags a word start in the encoded gram field value. Distinct from both markers: the stream
/// holds no control character, so the flag cannot be confused with text.
pub(crate) const FLAG: char = CONTRACT.flag;

/// Characters of the following text kept as a passage's tail.
pub const TAIL_CHARS: usize = CONTRACT.tail_chars;

/// The lengths of the tail key prefixes indexed as terms of their own, so that a query whose
/// rest after a cut is that short looks up one term instead of every key starting with it.
pub(crate) const TAIL_KEY_PREFIXES: [usize; 2] = CONTRACT.tail_key_prefixes;

/// The tokenizer name of the gram field.
const GRAMS_TOKENIZER: &str = "sou_grams";
/// The tokenizer name of the solo word field: each character a token.
const CHARS_TOKENIZER: &str = "sou_chars";

impl Contract {
    /// A short string that changes whenever any parameter does.
    pub fn version(&self) -> String {
        crate::version::derived("grams", self.revision, self)
    }
}

/// The version of the contract in force: part of the index fingerprint.
pub fn version() -> String {
    CONTRACT.version()
}

/// The fields a passage's grams are indexed in.
#[derive(Debug, Clone, Copy)]
pub struct GramFields {
    /// Bigrams, word boundary markers and the END term, with positions.
    pub grams: Field,
    /// The characters that are words by themselves, without positions.
    pub solo_words: Field,
    /// The tail's key and its short prefixes, without positions.
    pub tail_key: Field,
}

impl GramFields {
    /// Adds the gram fields to a schema being built.
    pub(crate) fn add_to(builder: &mut SchemaBuilder) -> GramFields {
        let positions = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(GRAMS_TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        // Fields only ever asked "does this passage hold the term?": no frequencies, positions
        // or norms.
        let presence = |tokenizer: &str| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer)
                    .set_index_option(IndexRecordOption::Basic)
                    .set_fieldnorms(false),
            )
        };
        GramFields {
            grams: builder.add_text_field(CONTRACT.grams_field, positions),
            solo_words: builder.add_text_field(CONTRACT.solo_field, presence(CHARS_TOKENIZER)),
            tail_key: builder.add_text_field(CONTRACT.tail_key_field, presence("raw")),
        }
    }

    /// Adds a passage's terms to its document.
    pub(crate) fn add_passage(&self, doc: &mut TantivyDocument, terms: &PassageTerms) {
        doc.add_text(self.grams, &terms.encoded);
        doc.add_text(self.solo_words, &terms.solo_words);
        for key in terms.tail_keys() {
            doc.add_text(self.tail_key, key);
        }
    }
}

/// Registers the gram field's tokenizers: tokenizers are not stored in an index, so this runs on
/// every open.
pub(crate) fn register_tokenizers(manager: &TokenizerManager) -> tantivy::Result<()> {
    manager.register(GRAMS_TOKENIZER, GramsTokenizer::default());
    manager.register(CHARS_TOKENIZER, NgramTokenizer::all_ngrams(1, 1)?);
    Ok(())
}

/// What one passage is indexed as (see the module documentation).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PassageTerms {
    /// The gram field's encoded value.
    pub encoded: String,
    /// The characters jieba leaves as words by themselves, one a time they occur.
    pub solo_words: String,
    /// The tail as the gram stream sees it.
    pub tail_key: String,
}

impl PassageTerms {
    /// The terms of a passage whose folded text is `folded`, where jieba words start at the
    /// folded character offsets `word_starts` (sorted), of which the one-character words are
    /// `solo_words`; `tail` is the text that follows the passage (see
    /// [`crate::corpus::Passage::tail`]).
    pub fn new(folded: &str, word_starts: &[usize], solo_words: String, tail: &str) -> Self {
        PassageTerms {
            encoded: encode(folded, word_starts),
            solo_words,
            tail_key: tail_key(tail),
        }
    }

    /// The terms the tail key is indexed as: its prefixes, then itself.
    pub fn tail_keys(&self) -> impl Iterator<Item = &str> {
        let key = self.tail_key.as_str();
        let prefixes =
            TAIL_KEY_PREFIXES.map(|n| key.char_indices().nth(n).map(|(at, _)| &key[..at]));
        prefixes
            .into_iter()
            .flatten()
            .chain((!key.is_empty()).then_some(key))
    }
}

/// The characters grams are made of, with their index in the folded text: control characters
/// dropped, and each run of whitespace standing as one space (none at either end). Queries and
/// highlights use the same stream, so `安置房 建设` (quoted) finds the words with any spacing
/// between them, and `安置房` does not find `安置 房` — what grep would say, after folding.
pub fn gram_stream(folded: &str) -> Vec<(usize, char)> {
    let mut stream: Vec<(usize, char)> = Vec::with_capacity(folded.len() / 2);
    let mut pending_space = None;
    for (index, c) in folded.chars().enumerate() {
        if c.is_whitespace() {
            if !stream.is_empty() && pending_space.is_none() {
                pending_space = Some(index);
            }
        } else if !c.is_control() {
            if let Some(space) = pending_space.take() {
                stream.push((space, ' '));
            }
            stream.push((index, c));
        }
    }
    stream
}

/// How many tokens the gram field of a passage encoded as `encoded` (see
/// [`PassageTerms::encoded`]) holds: what its field norm counts, and so its length for BM25.
pub fn token_count(encoded: &str) -> u64 {
    let mut tokenizer = GramsTokenizer::default();
    let mut stream = tokenizer.token_stream(encoded);
    let mut count = 0;
    while stream.advance() {
        count += 1;
    }
    count
}

/// A passage's length of `tokens` as the index keeps it: field norms are rounded to one of 256
/// values, and BM25 reads the rounded one.
pub fn stored_length(tokens: u64) -> u64 {
    let tokens = u32::try_from(tokens).unwrap_or(u32::MAX);
    u64::from(tantivy::fieldnorm::FieldNormReader::constant(1, tokens).fieldnorm(0))
}

/// How many times the passage `text`, followed by `tail`, says `chars` (folded gram stream
/// characters) as the gram field finds it: at each place the string starts (overlapping, as a
/// phrase matches), and once for each way it runs across the passage's end into the tail.
pub fn times_said(text: &str, tail: &str, chars: &[char]) -> usize {
    if chars.is_empty() {
        return 0;
    }
    let stream = gram_chars(&super::fold_str(text));
    let inside = stream.windows(chars.len()).filter(|w| *w == chars).count();
    let tail: Vec<char> = tail_key(tail).chars().collect();
    let across = (1..chars.len())
        .filter(|&k| stream.ends_with(&chars[..k]) && tail.starts_with(&chars[k..]))
        .count();
    inside + across
}

/// The characters of a folded query string that its grams are made of (see [`gram_stream`]).
pub fn gram_chars(folded: &str) -> Vec<char> {
    gram_stream(folded).into_iter().map(|(_, c)| c).collect()
}

/// The tail key of `tail`: folded, in gram stream characters, and starting with a space when the tail does, as the whitespace between passage and tail
/// stands in the stream as one space.
fn tail_key(tail: &str) -> String {
    let folded = super::fold_str(tail);
    let mut key: String = gram_chars(&folded).into_iter().collect();
    if !key.is_empty() && folded.starts_with(char::is_whitespace) {
        key.insert(0, ' ');
    }
    key
}

/// Encodes the gram field value of folded text (see the module documentation).
fn encode(folded: &str, word_starts: &[usize]) -> String {
    let stream = gram_stream(folded);
    let mut out = String::with_capacity(folded.len() + word_starts.len() + 2);
    let mut next_start = word_starts.iter().peekable();
    for &(index, c) in &stream {
        // A word that starts on a space or control character starts, for the stream, at the
        // next character.
        let mut is_start = false;
        while next_start.next_if(|&&s| s <= index).is_some() {
            is_start = true;
        }
        if is_start {
            out.push(FLAG);
        }
        out.push(c);
    }
    if !stream.is_empty() {
        out.push(FLAG);
    }
    out
}

/// Decodes the gram field.
#[derive(Clone, Default)]
pub struct GramsTokenizer {
    chars: Vec<StreamChar>,
    token: Token,
}

/// One character of the gram stream, decoded.
#[derive(Clone, Copy, Debug)]
struct StreamChar {
    c: char,
    boundary_before: bool,
}

/// Where [`GramsStream`] is in the tokens of one position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// The boundary marker, if a word starts here.
    Boundary,
    /// The unigram of the last character (after it: [`END`]).
    Last,
    /// The bigram.
    Bigram,
    /// After END.
    Done,
}

/// The gram field's tokens: at each position a boundary marker (if a word starts there), then
/// the bigram with the next character — or, for the last character, which has none, its
/// unigram; after the last, a boundary marker and [`END`].
pub struct GramsStream<'a> {
    chars: &'a [StreamChar],
    end_boundary: bool,
    position: usize,
    phase: Phase,
    token: &'a mut Token,
}

impl Tokenizer for GramsTokenizer {
    type TokenStream<'a> = GramsStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> GramsStream<'a> {
        self.chars.clear();
        let mut boundary = false;
        for c in text.chars() {
            if c == FLAG {
                boundary = true;
            } else {
                self.chars.push(StreamChar {
                    c,
                    boundary_before: boundary,
                });
                boundary = false;
            }
        }
        self.token.reset();
        GramsStream {
            chars: &self.chars,
            end_boundary: boundary,
            position: 0,
            phase: Phase::Boundary,
            token: &mut self.token,
        }
    }
}

impl GramsStream<'_> {
    fn emit(&mut self, position: usize, length: usize, parts: &[&str]) {
        self.token.text.clear();
        for part in parts {
            self.token.text.push_str(part);
        }
        self.token.position = position;
        self.token.position_length = length;
        self.token.offset_from = position;
        self.token.offset_to = position + length;
    }
}

impl TokenStream for GramsStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            let Some(&here) = self.chars.get(self.position) else {
                // After the last character: the passage's end is a boundary, then END.
                match self.phase {
                    Phase::Boundary => {
                        self.phase = Phase::Last;
                        if self.end_boundary {
                            self.emit(self.position, 1, &[BOUNDARY]);
                            return true;
                        }
                    }
                    Phase::Last => {
                        self.phase = Phase::Done;
                        if !self.chars.is_empty() {
                            self.emit(self.position, 1, &[END]);
                            return true;
                        }
                    }
                    Phase::Bigram | Phase::Done => return false,
                }
                continue;
            };
            let next = self.chars.get(self.position + 1).copied();
            let mut buf = [0u8; 4];
            match self.phase {
                Phase::Boundary => {
                    self.phase = Phase::Last;
                    if here.boundary_before {
                        self.emit(self.position, 1, &[BOUNDARY]);
                        return true;
                    }
                }
                Phase::Last => {
                    self.phase = Phase::Bigram;
                    if next.is_none() && here.c != ' ' {
                        let c = here.c.encode_utf8(&mut buf);
                        self.emit(self.position, 1, &[c]);
                        return true;
                    }
                }
                Phase::Bigram | Phase::Done => {
                    self.phase = Phase::Boundary;
                    let position = self.position;
                    self.position += 1;
                    if let Some(next) = next {
                        let mut next_buf = [0u8; 4];
                        let c = here.c.encode_utf8(&mut buf);
                        let n = next.c.encode_utf8(&mut next_buf);
                        self.emit(position, 2, &[c, n]);
                        return true;
                    }
                }
            }
        }
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// The gram terms (with their offsets) that find `chars` exactly: the character itself for one,
/// otherwise bigrams at every other offset plus the last one, which cover every character.
pub(crate) fn query_grams(chars: &[char]) -> Vec<(usize, String)> {
    match chars.len() {
        0 => Vec::new(),
        1 => vec![(0, chars[0].to_string())],
        n => {
            let mut offsets: Vec<usize> = (0..n - 1).step_by(2).collect();
            if offsets.last() != Some(&(n - 2)) {
                offsets.push(n - 2);
            }
            offsets
                .into_iter()
                .map(|i| (i, chars[i..i + 2].iter().collect()))
                .collect()
        }
    }
}

/// A query that finds the passages where `chars` (gram characters of a folded string, see
/// [`gram_chars`]) stand in a row, starting in the passage — including a match that runs on
/// past a cut into the passage's tail.
pub fn contains(fields: &GramFields, chars: &[char]) -> Box<dyn Query> {
    if let [c] = chars {
        // Every gram that starts with the character: the bigrams, and the unigram of a passage's
        // last character.
        return starting_with(fields.grams, &[*c]);
    }
    let across = (1..chars.len())
        .filter(|&k| chars.len() - k <= TAIL_CHARS)
        .map(|k| across_cut(fields, chars, k));
    let mut queries = vec![phrase_or_term(gram_terms(fields, query_grams(chars)))];
    queries.extend(across);
    any_of(queries)
}

/// The BM25 weight the phrase of [`contains`] scores a passage with, for reading back how often
/// the passage says `chars` (see [`occurrences`]); `None` for one character, whose query is a
/// range of grams.
pub fn phrase_bm25(
    searcher: &tantivy::Searcher,
    fields: &GramFields,
    chars: &[char],
) -> tantivy::Result<Option<Bm25Weight>> {
    if chars.len() < 2 {
        return Ok(None);
    }
    let terms: Vec<Term> = gram_terms(fields, query_grams(chars))
        .into_iter()
        .map(|(_, term)| term)
        .collect();
    Bm25Weight::for_terms(&PassageStatistics { searcher, fields }, &terms).map(Some)
}

/// How many times a passage of field norm `fieldnorm_id` says a string, from the `score`
/// `weight` (its [`phrase_bm25`]) gave it: BM25's term-frequency factor solved for the
/// frequency. At least 1 (the passage holds it); a score past the phrase's own (a match across
/// a cut added to it) reads as a few.
pub fn occurrences(weight: &Bm25Weight, fieldnorm_id: u8, score: Score) -> Score {
    // The score of a passage of this length that says it without end. Not `max_score`, which
    // is that of the longest passage there can be: its norm is not this one's, and reading
    // with it read four where a passage says three (哈哈 in 哈哈哈哈).
    let most = weight.score(fieldnorm_id, u32::MAX);
    let once = weight.score(fieldnorm_id, 1);
    if most <= 0.0 || once <= 0.0 {
        return 1.0;
    }
    // score = most · tf / (tf + norm), and once = most / (1 + norm).
    let norm = most / once - 1.0;
    let factor = (score / most).min(0.99);
    (norm * factor / (1.0 - factor)).round().max(1.0)
}

/// `chars` cut after `k` characters by the end of a passage: the passage ends with the first
/// part and its tail key starts with the rest.
fn across_cut(fields: &GramFields, chars: &[char], k: usize) -> Box<dyn Query> {
    let mut ending = gram_terms(fields, query_grams(&chars[..k]));
    ending.push((k, Term::from_field_text(fields.grams, END)));
    let rest = &chars[k..];
    let rest = if TAIL_KEY_PREFIXES.contains(&rest.len()) {
        let term = Term::from_field_text(fields.tail_key, &rest.iter().collect::<String>());
        Box::new(TermQuery::new(term, IndexRecordOption::Basic))
    } else {
        starting_with(fields.tail_key, rest)
    };
    Box::new(BooleanQuery::new(vec![
        (Occur::Must, phrase_or_term(ending)),
        (Occur::Must, rest),
    ]))
}

/// Whether `segment` holds passages: the file records' segments hold none. tantivy keeps the
/// inverted index of a field a segment has, but builds an empty one anew each time a segment
/// lacking the field is asked for it; a pinyin query asks for hundreds of terms, and that cost
/// a tenth of its time. Segments never change, so what is known of one stays true.
pub fn holds_passages(segment: &tantivy::SegmentReader, fields: &GramFields) -> bool {
    use std::sync::{Mutex, OnceLock};
    static KNOWN: OnceLock<Mutex<HashMap<(tantivy::index::SegmentId, Field), bool>>> =
        OnceLock::new();
    let known = KNOWN.get_or_init(Default::default);
    let place = (segment.segment_id(), fields.grams);
    if let Some(&holds) = known.lock().ok().as_ref().and_then(|k| k.get(&place)) {
        return holds;
    }
    // An error is left to the search that reads the field, which reports it.
    let holds = segment
        .inverted_index(fields.grams)
        .map_or(true, |inverted| inverted.terms().num_terms() > 0);
    if let Ok(mut known) = known.lock() {
        known.insert(place, holds);
    }
    holds
}

/// BM25's statistics as `searcher` gives them, read from the segments that hold passages only
/// (the others add nothing to them, but asking them costs; see [`holds_passages`]).
pub struct PassageStatistics<'a> {
    /// The index as searched.
    pub searcher: &'a tantivy::Searcher,
    /// Its gram fields, by which a segment is known to hold passages.
    pub fields: &'a GramFields,
}

impl tantivy::query::Bm25StatisticsProvider for PassageStatistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        let mut total = 0;
        for (_, segment) in passage_segments(self.searcher, self.fields) {
            total += segment.inverted_index(field)?.total_num_tokens();
        }
        Ok(total)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        tantivy::query::Bm25StatisticsProvider::total_num_docs(self.searcher)
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        let mut total = 0;
        for (_, segment) in passage_segments(self.searcher, self.fields) {
            total += u64::from(segment.inverted_index(term.field())?.doc_freq(term)?);
        }
        Ok(total)
    }
}

/// The segments of `searcher` that hold passages (see [`holds_passages`]), with their ordinals.
pub fn passage_segments<'a>(
    searcher: &'a tantivy::Searcher,
    fields: &'a GramFields,
) -> impl Iterator<Item = (tantivy::SegmentOrdinal, &'a tantivy::SegmentReader)> + 'a {
    searcher
        .segment_readers()
        .iter()
        .enumerate()
        .filter(move |(_, segment)| holds_passages(segment, fields))
        .map(|(ordinal, segment)| (ordinal as tantivy::SegmentOrdinal, segment))
}

/// How many passages hold `chars`, at most (each gram of it is held by at least the passages
/// that hold it): the fewest passages holding one of its grams, or, for one character, the
/// passages holding a gram that starts with it, counted once per gram.
pub fn doc_freq_estimate(
    searcher: &tantivy::Searcher,
    fields: &GramFields,
    chars: &[char],
) -> tantivy::Result<u64> {
    if let [c] = chars {
        let mut total = 0;
        grams_starting_with(searcher, fields, *c, |_, doc_freq| total += doc_freq)?;
        return Ok(total);
    }
    let mut fewest = u64::MAX;
    for (_, gram) in query_grams(chars) {
        let term = Term::from_field_text(fields.grams, &gram);
        let mut doc_freq = 0;
        for (_, segment) in passage_segments(searcher, fields) {
            doc_freq += u64::from(segment.inverted_index(fields.grams)?.doc_freq(&term)?);
        }
        fewest = fewest.min(doc_freq);
    }
    Ok(if fewest == u64::MAX { 0 } else { fewest })
}

/// For each of `among` that follows `first` in some passage, how many passages hold the two
/// together: what [`doc_freq_estimate`] says of each such pair, read in one walk of the term
/// dictionary that visits only those pairs' terms (a common character starts thousands of
/// grams; a syllable reads as a hundred characters).
pub fn followers(
    searcher: &tantivy::Searcher,
    fields: &GramFields,
    first: char,
    among: &[char],
) -> tantivy::Result<HashMap<char, u64>> {
    let pairs = OneOf::new(
        among
            .iter()
            .map(|&next| format!("{first}{next}").into_bytes()),
    );
    let mut counts: HashMap<char, u64> = HashMap::new();
    for (_, segment) in passage_segments(searcher, fields) {
        let inverted = segment.inverted_index(fields.grams)?;
        let mut stream = inverted.terms().search(&pairs).into_stream()?;
        while stream.advance() {
            let mut chars = std::str::from_utf8(stream.key())
                .into_iter()
                .flat_map(str::chars);
            if let (Some(_), Some(next)) = (chars.next(), chars.next()) {
                *counts.entry(next).or_default() += u64::from(stream.value().doc_freq);
            }
        }
    }
    Ok(counts)
}

/// The automaton that accepts exactly a set of byte strings: its state is the range of the
/// sorted strings that start with the bytes read so far, and how many were read.
struct OneOf {
    sorted: Vec<Vec<u8>>,
}

impl OneOf {
    fn new(strings: impl Iterator<Item = Vec<u8>>) -> Self {
        let mut sorted: Vec<Vec<u8>> = strings.collect();
        sorted.sort_unstable();
        sorted.dedup();
        OneOf { sorted }
    }
}

impl tantivy_fst::Automaton for &OneOf {
    /// (first, end, bytes read): the strings `sorted[first..end]` share those bytes.
    type State = (usize, usize, usize);

    fn start(&self) -> Self::State {
        (0, self.sorted.len(), 0)
    }

    fn is_match(&self, &(first, end, read): &Self::State) -> bool {
        // The shortest string of a range sorts first.
        first < end && self.sorted[first].len() == read
    }

    fn can_match(&self, &(first, end, _): &Self::State) -> bool {
        first < end
    }

    fn accept(&self, &(first, end, read): &Self::State, byte: u8) -> Self::State {
        let range = &self.sorted[first..end];
        let from = range.partition_point(|s| s.get(read).is_none_or(|&b| b < byte));
        let to = range.partition_point(|s| s.get(read).is_none_or(|&b| b <= byte));
        (first + from, first + to, read + 1)
    }
}

/// Calls `visit` with every gram term that starts with `c` and its passages, segment by segment.
fn grams_starting_with(
    searcher: &tantivy::Searcher,
    fields: &GramFields,
    c: char,
    mut visit: impl FnMut(&[u8], u64),
) -> tantivy::Result<()> {
    let lower = c.to_string();
    let upper = (c as u32 + 1..=char::MAX as u32)
        .find_map(char::from_u32)
        .map(|next| next.to_string());
    for (_, segment) in passage_segments(searcher, fields) {
        let inverted = segment.inverted_index(fields.grams)?;
        let mut range = inverted.terms().range().ge(lower.as_bytes());
        if let Some(upper) = &upper {
            range = range.lt(upper.as_bytes());
        }
        let mut stream = range.into_stream()?;
        while stream.advance() {
            visit(stream.key(), u64::from(stream.value().doc_freq));
        }
    }
    Ok(())
}

/// A query that finds `chars` standing on word boundaries: boundary markers at both ends, or,
/// for one character, the character as a word of its own.
pub fn on_boundaries(fields: &GramFields, chars: &[char]) -> Box<dyn Query> {
    if let [c] = chars {
        let term = Term::from_field_text(fields.solo_words, &c.to_string());
        return Box::new(TermQuery::new(term, IndexRecordOption::Basic));
    }
    let mut terms = gram_terms(fields, query_grams(chars));
    terms.push((0, Term::from_field_text(fields.grams, BOUNDARY)));
    terms.push((chars.len(), Term::from_field_text(fields.grams, BOUNDARY)));
    phrase_or_term(terms)
}

/// Every term of `field` that starts with `prefix`: the terms from `prefix` up to, not
/// including, `prefix` with its last character raised by one (UTF-8 sorts as code points do).
/// A range over the term dictionary costs no automaton to build, as a regular expression would.
fn starting_with(field: Field, prefix: &[char]) -> Box<dyn Query> {
    let Some((&last, head)) = prefix.split_last() else {
        return Box::new(EmptyQuery);
    };
    let lower = Term::from_field_text(field, &prefix.iter().collect::<String>());
    let next = (last as u32 + 1..=char::MAX as u32).find_map(char::from_u32);
    let upper = match next {
        Some(next) => {
            let mut upper: String = head.iter().collect();
            upper.push(next);
            Bound::Excluded(Term::from_field_text(field, &upper))
        }
        None => Bound::Unbounded,
    };
    Box::new(RangeQuery::new(Bound::Included(lower), upper))
}

fn gram_terms(fields: &GramFields, grams: Vec<(usize, String)>) -> Vec<(usize, Term)> {
    grams
        .into_iter()
        .map(|(offset, gram)| (offset, Term::from_field_text(fields.grams, &gram)))
        .collect()
}

fn phrase_or_term(mut terms: Vec<(usize, Term)>) -> Box<dyn Query> {
    match terms.len() {
        0 => Box::new(EmptyQuery),
        1 => Box::new(TermQuery::new(
            terms.remove(0).1,
            IndexRecordOption::WithFreqs,
        )),
        _ => Box::new(PhraseQuery::new_with_offset(terms)),
    }
}

/// A query matching what any of `queries` matches.
pub fn any_of(queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
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

/// Where any of `needles` (gram characters, see [`gram_chars`]) stands in `text`, as half-open
/// byte ranges of `text`, exactly as [`contains`] matches: on the folded gram stream. A match
/// that starts in the first `shown_chars` characters of `text` may run on to its end.
pub fn find(text: &str, shown_chars: usize, needles: &[Vec<char>]) -> Vec<(usize, usize)> {
    Matcher::new(text, shown_chars).find(needles)
}

/// A text folded once, to find several sets of needles in it (see [`find`]).
pub struct Matcher {
    folded: super::Folded,
    stream: Vec<(usize, char)>,
    shown_end: usize,
}

impl Matcher {
    /// Folds `text`; matches are kept that start in its first `shown_chars` characters.
    pub fn new(text: &str, shown_chars: usize) -> Self {
        let folded = super::fold(text);
        let stream = gram_stream(&folded.text);
        let shown_end = text
            .char_indices()
            .nth(shown_chars)
            .map_or(text.len(), |(byte, _)| byte);
        Matcher {
            folded,
            stream,
            shown_end,
        }
    }

    /// The byte ranges of the text where any of `needles` stands (see [`find`]).
    pub fn find(&self, needles: &[Vec<char>]) -> Vec<(usize, usize)> {
        let stream = &self.stream;
        let mut ranges = Vec::new();
        for needle in needles.iter().filter(|n| !n.is_empty()) {
            if needle.len() > stream.len() {
                continue;
            }
            for start in 0..=stream.len() - needle.len() {
                let window = &stream[start..start + needle.len()];
                if window.iter().map(|&(_, c)| c).eq(needle.iter().copied()) {
                    let first = window[0].0;
                    let last = window[needle.len() - 1].0;
                    let (from, to) = self.folded.original_range(first, last + 1);
                    if from < self.shown_end {
                        ranges.push((from, to));
                    }
                }
            }
        }
        ranges
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(text: &str) -> Vec<(usize, String)> {
        let mut tokenizer = GramsTokenizer::default();
        let mut stream = tokenizer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push((stream.token().position, stream.token().text.clone()));
        }
        out
    }

    #[test]
    fn grams_carry_boundaries_and_the_end() {
        // 和服 | 的 | 人
        let encoded = encode("和服的人", &[0, 2, 3]);
        assert_eq!(encoded, "\u{2}和服\u{2}的\u{2}人\u{2}");
        let expected: Vec<(usize, String)> = [
            (0, BOUNDARY),
            (0, "和服"),
            (1, "服的"),
            (2, BOUNDARY),
            (2, "的人"),
            (3, BOUNDARY),
            (3, "人"),
            (4, BOUNDARY),
            (4, END),
        ]
        .into_iter()
        .map(|(p, t)| (p, t.to_string()))
        .collect();
        assert_eq!(collect(&encoded), expected);
    }

    #[test]
    fn spaces_only_join() {
        let tokens = collect(&encode("a  b", &[0, 1, 3]));
        let texts: Vec<&str> = tokens.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            texts,
            [BOUNDARY, "a ", BOUNDARY, " b", BOUNDARY, "b", BOUNDARY, END]
        );
        assert_eq!(tokens.last().unwrap().0, 3);
        assert!(collect("").is_empty());
    }

    #[test]
    fn the_markers_and_the_flag_are_three_different_characters() {
        let flag = FLAG.to_string();
        assert!(BOUNDARY != END && BOUNDARY != flag && END != flag);
        for marker in [BOUNDARY, END, &flag] {
            assert!(gram_chars(marker).is_empty(), "{marker:?} would be text");
        }
    }

    #[test]
    fn the_tail_key_is_folded() {
        let terms = |tail: &str| PassageTerms::new("", &[], String::new(), tail);
        assert_eq!(terms(" 以管理").tail_key, " 以管理");
        assert_eq!(terms("管理Ａ\n\n").tail_key, "管理a");
        assert_eq!(terms("").tail_key, "");
        let keys =
            |tail: &str| -> Vec<String> { terms(tail).tail_keys().map(str::to_string).collect() };
        assert_eq!(keys("以管理"), ["以", "以管", "以管理"]);
        assert_eq!(keys("以管"), ["以", "以管"]);
        assert_eq!(keys("以"), ["以"]);
        assert!(keys("").is_empty());
    }

    #[test]
    fn query_grams_cover_every_character() {
        let chars: Vec<char> = "高科技园区".chars().collect();
        assert_eq!(
            query_grams(&chars),
            [(0, "高科".into()), (2, "技园".into()), (3, "园区".into())]
        );
        assert_eq!(query_grams(&['上']), [(0, "上".into())]);
    }

    #[test]
    fn any_parameter_changes_the_version() {
        // Destructured so that a new parameter cannot be added without being listed here.
        let Contract {
            boundary: _,
            end: _,
            flag: _,
            tail_chars,
            tail_key_prefixes,
            grams_field: _,
            solo_field: _,
            tail_key_field: _,
            revision,
        } = CONTRACT;
        let changed = [
            Contract {
                boundary: "\u{3}",
                ..CONTRACT
            },
            Contract {
                end: "\u{3}",
                ..CONTRACT
            },
            Contract {
                flag: '\u{3}',
                ..CONTRACT
            },
            Contract {
                tail_chars: tail_chars + 1,
                ..CONTRACT
            },
            Contract {
                tail_key_prefixes: [tail_key_prefixes[0], 3],
                ..CONTRACT
            },
            Contract {
                grams_field: "g",
                ..CONTRACT
            },
            Contract {
                solo_field: "s",
                ..CONTRACT
            },
            Contract {
                tail_key_field: "t",
                ..CONTRACT
            },
            Contract {
                revision: revision + 1,
                ..CONTRACT
            },
        ];
        let mut versions: Vec<String> = changed.iter().map(Contract::version).collect();
        versions.push(version());
        let count = versions.len();
        versions.sort();
        versions.dedup();
        assert_eq!(versions.len(), count, "every change gives its own version");
    }
}

/// The contract pinned on an in-memory index: random passages (Chinese, Latin, digits,
/// punctuation, spaces, full-width forms, cut paragraphs) are indexed as sync indexes them, and
/// every substring query finds exactly the passages where it starts, and the boundary query
/// holds exactly where jieba's words say so.
#[cfg(test)]
mod contract {
    use std::collections::BTreeSet;
    use std::ops::ControlFlow;

    use proptest::prelude::*;
    use tantivy::collector::DocSetCollector;
    use tantivy::schema::Schema;
    use tantivy::{Index, Searcher};

    use super::*;
    use crate::analysis::{fold_str, tests::analyzer};
    use crate::corpus::{Cutter, Passage};

    /// Pieces random passages are made of: words jieba knows, words it splits, Latin, digits,
    /// punctuation that ends sentences and clauses, spaces, full-width and traditional forms.
    const PIECES: &[&str] = &[
        "安置房",
        "建设",
        "和服",
        "管理",
        "和",
        "服务",
        "高科技",
        "园区",
        "郑州",
        "高新区",
        "智慧产业",
        "的",
        "了",
        "是",
        "提高",
        "科技",
        "水平",
        "中国人",
        "民银行",
        "iPhone",
        "5G",
        "2.0版",
        "COVID-19",
        "ＡＢＣ",
        "１２３",
        "（扩大）",
        "產業",
        "，",
        "。",
        "、",
        "；",
        "！",
        " ",
        "  ",
        "\u{3000}",
        "\t",
        "a",
        "b",
        "19",
        "世界一流",
        "近30年",
    ];

    fn passages(pieces: &[usize]) -> Vec<Passage> {
        let text: String = pieces.iter().map(|&i| PIECES[i % PIECES.len()]).collect();
        let mut out = Vec::new();
        let mut cutter = crate::corpus::Cutter::new(TAIL_CHARS);
        let mut keep = |p| {
            out.push(p);
            ControlFlow::Continue(())
        };
        let _ = Cutter::push(&mut cutter, &format!("标题\n\n{text}\n"), &mut keep);
        let _ = cutter.finish(&mut keep);
        out
    }

    #[test]
    fn what_a_passage_says_and_its_length_read_from_its_text_are_what_the_index_reads() {
        // (text, tail): repeats that overlap, full-width and traditional forms that fold, a
        // string run across the passage's end into its tail, and one split by a space.
        let passages = [
            ("安置房安置房的安置。安置房", ""),
            ("哈哈哈哈", ""),
            ("ＡＢ安置房建設，安置房", "房子"),
            ("新建的安置", "房已交付"),
            ("安置 房", ""),
            ("没有它", "安置房"),
        ];
        let needles = ["安置房", "哈哈", "安置", "房建设"];
        let (searcher, fields) = index_of_texts(&passages);
        let encoded: Vec<String> = passages
            .iter()
            .map(|(text, tail)| analyzer().analyze(text, tail).encoded)
            .collect();
        let segment = &searcher.segment_readers()[0];
        let norms = segment.get_fieldnorms_reader(fields.grams).unwrap();
        for (doc, encoded) in encoded.iter().enumerate() {
            let tokens = token_count(encoded);
            assert_eq!(
                stored_length(tokens),
                u64::from(norms.fieldnorm(doc as u32)),
                "{doc}"
            );
        }
        let mut compared = 0;
        for needle in needles {
            let chars: Vec<char> = needle.chars().collect();
            let phrase = phrase_bm25(&searcher, &fields, &chars).unwrap().unwrap();
            let query = contains(&fields, &chars);
            let weight = query
                .weight(tantivy::query::EnableScoring::enabled_from_searcher(
                    &searcher,
                ))
                .unwrap();
            let mut scorer = weight.scorer(segment, 1.0).unwrap();
            let mut read = vec![0; passages.len()];
            while scorer.doc() != tantivy::TERMINATED {
                let doc = scorer.doc();
                let times = occurrences(&phrase, norms.fieldnorm_id(doc), scorer.score());
                read[doc as usize] = times as usize;
                scorer.advance();
            }
            let said: Vec<usize> = passages
                .iter()
                .map(|(text, tail)| times_said(text, tail, &chars))
                .collect();
            assert_eq!(said, read, "{needle}");
            compared += read.iter().filter(|&&n| n > 1).count();
        }
        // Repeats were read, not only presence.
        assert!(compared >= 3, "{compared}");
    }

    fn index(passages: &[Passage]) -> (Searcher, GramFields) {
        let texts: Vec<(&str, &str)> = passages
            .iter()
            .map(|passage| (passage.text.as_str(), passage.tail.as_str()))
            .collect();
        index_of_texts(&texts)
    }

    /// An index of one segment holding a passage of each (text, tail).
    fn index_of_texts(texts: &[(&str, &str)]) -> (Searcher, GramFields) {
        let mut builder = Schema::builder();
        let fields = GramFields::add_to(&mut builder);
        let index = Index::create_in_ram(builder.build());
        register_tokenizers(index.tokenizers()).unwrap();
        let mut writer = index
            .writer_with_num_threads::<TantivyDocument>(1, 15_000_000)
            .unwrap();
        for (text, tail) in texts {
            let mut doc = TantivyDocument::new();
            fields.add_passage(&mut doc, &analyzer().analyze(text, tail));
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 1);
        (searcher, fields)
    }

    #[test]
    fn segments_without_passages_are_passed_over_and_the_statistics_stay_whole() {
        let mut builder = Schema::builder();
        let fields = GramFields::add_to(&mut builder);
        let size = builder.add_u64_field("size", tantivy::schema::FAST);
        let index = Index::create_in_ram(builder.build());
        register_tokenizers(index.tokenizers()).unwrap();
        let mut writer = index
            .writer_with_num_threads::<TantivyDocument>(1, 15_000_000)
            .unwrap();
        for passage in passages(&[0, 1, 7, 8]) {
            let mut doc = TantivyDocument::new();
            fields.add_passage(&mut doc, &analyzer().analyze(&passage.text, &passage.tail));
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        // Records of files only, as sou writes them apart from passages.
        for bytes in [10u64, 20] {
            let mut doc = TantivyDocument::new();
            doc.add_u64(size, bytes);
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let holding: Vec<bool> = searcher
            .segment_readers()
            .iter()
            .map(|segment| holds_passages(segment, &fields))
            .collect();
        assert_eq!(holding.len(), 2, "{holding:?}");
        assert_eq!(holding.iter().filter(|&&h| h).count(), 1, "{holding:?}");
        assert_eq!(passage_segments(&searcher, &fields).count(), 1);
        let statistics = PassageStatistics {
            searcher: &searcher,
            fields: &fields,
        };
        use tantivy::query::Bm25StatisticsProvider as _;
        for field in [fields.grams, fields.solo_words, fields.tail_key] {
            assert_eq!(
                statistics.total_num_tokens(field).unwrap(),
                searcher.total_num_tokens(field).unwrap()
            );
        }
        assert_eq!(
            statistics.total_num_docs().unwrap(),
            searcher.total_num_docs().unwrap()
        );
        for (_, gram) in query_grams(&stream_chars("安置房")) {
            let term = Term::from_field_text(fields.grams, &gram);
            assert!(searcher.doc_freq(&term).unwrap() > 0, "{gram}");
            assert_eq!(
                statistics.doc_freq(&term).unwrap(),
                searcher.doc_freq(&term).unwrap()
            );
        }
        assert_eq!(
            doc_freq_estimate(&searcher, &fields, &stream_chars("安置房")).unwrap(),
            1
        );
    }

    fn found(searcher: &Searcher, query: &dyn Query) -> BTreeSet<u32> {
        searcher
            .search(query, &DocSetCollector)
            .unwrap()
            .into_iter()
            .map(|address| address.doc_id)
            .collect()
    }

    fn stream_chars(text: &str) -> Vec<char> {
        gram_chars(&fold_str(text))
    }

    /// What the oracle needs of a passage, computed once from its text and jieba's words.
    struct Expected {
        /// The passage's stream followed by its tail's.
        whole: Vec<char>,
        /// How many of `whole` are the passage's.
        shown: usize,
        /// For each position of the passage's stream and its end: whether a word starts there.
        word_start: Vec<bool>,
        /// The alphanumeric one-character words.
        solo: BTreeSet<char>,
    }

    impl Expected {
        fn new(passage: &Passage) -> Self {
            let folded = fold_str(&passage.text);
            let words = analyzer().words(&folded);
            let stream = gram_stream(&folded);
            // A stream character starts a word when a word starts at it or among the
            // characters the stream dropped before it.
            let starts: BTreeSet<usize> = words.iter().map(|w| w.start).collect();
            let mut word_start = vec![false; stream.len() + 1];
            let mut from = 0;
            for (at, &(index, _)) in stream.iter().enumerate() {
                word_start[at] = starts.range(from..=index).next().is_some();
                from = index + 1;
            }
            word_start[stream.len()] = true;
            let mut solo = BTreeSet::new();
            for word in &words {
                let mut chars = word.word.chars();
                if let (Some(c), None) = (chars.next(), chars.next())
                    && c.is_alphanumeric()
                {
                    solo.insert(c);
                }
            }
            Expected {
                whole: stream_chars(&format!("{}{}", passage.text, passage.tail)),
                shown: stream.len(),
                word_start,
                solo,
            }
        }

        /// Whether `needle` stands in the stream followed by the tail, starting in the passage:
        /// what grep finds on the line.
        fn contains(&self, needle: &[char]) -> bool {
            (0..self.shown).any(|i| self.whole[i..].starts_with(needle))
        }

        /// Whether `needle` stands in the passage with a jieba word starting at each end (the
        /// end of the passage counts), or, for one character, is a jieba word of the passage.
        fn on_boundaries(&self, needle: &[char]) -> bool {
            if let [c] = needle {
                return self.solo.contains(c);
            }
            let chars = &self.whole[..self.shown];
            (0..chars.len()).any(|i| {
                chars[i..].starts_with(needle)
                    && self.word_start[i]
                    && self.word_start[i + needle.len()]
            })
        }
    }

    #[test]
    fn followers_are_the_estimates_of_each_pair() {
        let pieces: Vec<usize> = (0..400).map(|i| i * 7 % 1000).collect();
        let passages = passages(&pieces);
        let (searcher, fields) = index(&passages);
        let texts: Vec<Vec<char>> = passages.iter().map(|p| stream_chars(&p.text)).collect();
        let firsts: BTreeSet<char> = texts
            .iter()
            .flatten()
            .copied()
            .filter(|c| crate::analysis::pinyin::is_han(*c))
            .collect();
        assert!(firsts.len() > 20, "{firsts:?}");
        // Every character of the passages, and some no passage holds.
        let mut among: Vec<char> = texts.iter().flatten().copied().collect();
        among.extend(['鑫', '龘', 'z']);
        among.sort_unstable();
        among.dedup();
        for &first in &firsts {
            let after = followers(&searcher, &fields, first, &among).unwrap();
            let seen: BTreeSet<char> = texts
                .iter()
                .flat_map(|text| text.windows(2))
                .filter(|pair| pair[0] == first)
                .map(|pair| pair[1])
                .collect();
            for next in &seen {
                let estimate = doc_freq_estimate(&searcher, &fields, &[first, *next]).unwrap();
                assert!(estimate > 0, "{first}{next}");
                assert_eq!(after.get(next), Some(&estimate), "{first}{next}");
            }
            for (next, count) in &after {
                assert_eq!(
                    *count,
                    doc_freq_estimate(&searcher, &fields, &[first, *next]).unwrap(),
                    "{first}{next}"
                );
            }
            // Asked of some characters, exactly those of them that follow.
            let some: Vec<char> = among.iter().copied().step_by(3).collect();
            let of_some = followers(&searcher, &fields, first, &some).unwrap();
            let expected: BTreeSet<char> = seen
                .intersection(&some.iter().copied().collect())
                .copied()
                .collect();
            assert_eq!(
                of_some.keys().copied().collect::<BTreeSet<char>>(),
                expected,
                "{first}"
            );
            assert!(
                of_some
                    .iter()
                    .all(|(next, count)| after.get(next) == Some(count))
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn every_substring_is_found_where_it_starts_and_boundaries_match_jieba(
            pieces in proptest::collection::vec(0usize..1000, 20..260)
        ) {
            let passages = passages(&pieces);
            let (searcher, fields) = index(&passages);
            let expected: Vec<Expected> = passages.iter().map(Expected::new).collect();
            let mut needles: BTreeSet<Vec<char>> = BTreeSet::new();
            for passage in &expected {
                let whole = &passage.whole;
                for start in 0..whole.len() {
                    for len in [1, 2, 3, 5, 9, 17] {
                        if start + len <= whole.len() && (start + len) % 3 != 1 {
                            needles.insert(whole[start..start + len].to_vec());
                        }
                    }
                }
            }
            let docs = 0..passages.len() as u32;
            for needle in &needles {
                let contained: BTreeSet<u32> = docs
                    .clone()
                    .filter(|&i| expected[i as usize].contains(needle))
                    .collect();
                prop_assert_eq!(
                    found(&searcher, contains(&fields, needle).as_ref()),
                    contained,
                    "contains {:?}",
                    needle.iter().collect::<String>()
                );
                let bounded: BTreeSet<u32> = docs
                    .clone()
                    .filter(|&i| expected[i as usize].on_boundaries(needle))
                    .collect();
                prop_assert_eq!(
                    found(&searcher, on_boundaries(&fields, needle).as_ref()),
                    bounded,
                    "on boundaries {:?}",
                    needle.iter().collect::<String>()
                );
            }
        }
    }
}
