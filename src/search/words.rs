//! Reading a query as words, the way people type: `高新区安置房` is 高新区 and 安置房, and
//! `安置房什么时候建成` is 安置房 and 建成. Each unquoted term is cut into jieba's words (the
//! index's dictionary, `dict.txt` included, see [`Dictionary`]); punctuation and the words in
//! `stopwords.txt` (particles, pronouns, question words, …) are dropped, unless nothing else is
//! left. A quoted term, an `OR` group and a term of `synonyms.txt` stay whole. Every word is
//! still matched as a string, so no difference between how jieba cuts the query and the text
//! loses a passage.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use super::Synonyms;
use super::query::{Literal, Query};
use crate::analysis::dictionary::Dictionary;
use crate::analysis::fold_str;

/// The words that never decide a match, one a line (see the file's header).
const STOPWORDS: &str = include_str!("stopwords.txt");

/// Whether `word` (folded) is in [`STOPWORDS`].
pub(crate) fn is_stopword(word: &str) -> bool {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| {
        STOPWORDS
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .flat_map(str::split_whitespace)
            .map(fold_str)
            .collect()
    })
    .contains(word)
}

/// One word of the query: what a passage must hold for the word to count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    /// The word as shown (folded).
    pub text: String,
    /// The strings that count as the word: itself first, then its synonyms (gram characters).
    pub forms: Vec<Vec<char>>,
    /// The query term it was read from.
    pub term: usize,
    /// Typed right before the next word, in one term (`高新区` in `高新区安置房`, not `安置房` in
    /// `安置房什么时候建成`): a passage where the two stand together as typed ranks higher.
    pub joined_to_next: bool,
}

impl Word {
    /// The word's own characters (its first form).
    pub fn chars(&self) -> &[char] {
        &self.forms[0]
    }
}

/// How a query was read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Reading {
    /// The words, each once, in query order.
    pub words: Vec<Word>,
    /// Whether any term was cut into words or had words dropped.
    pub split: bool,
    /// What was read as something other than typed: homophone typos and pinyin (see
    /// [`super::typos`]), each term's best reading first, then the others.
    pub corrections: Vec<super::typos::Correction>,
}

/// The alternatives a group matches: each literal and, unless quoted, its synonyms.
pub(crate) fn alternatives(group: &[Literal], synonyms: &Synonyms) -> Vec<Vec<char>> {
    let mut out: Vec<Vec<char>> = Vec::new();
    for literal in group {
        let synonyms = if literal.quoted {
            Vec::new()
        } else {
            synonyms.expand(&literal.folded())
        };
        let forms = literal
            .forms()
            .into_iter()
            .chain(synonyms.iter().map(|other| other.chars().collect()));
        for form in forms {
            if !out.contains(&form) {
                out.push(form);
            }
        }
    }
    out
}

/// What word reading asks of the corpus.
pub(crate) trait Corpus {
    /// How many passages hold `chars` (counting may stop at some large number); 0 when none
    /// does.
    fn passages(&self, chars: &[char]) -> u64;
    /// How many passages hold `chars` at most, cheaply and without a cap (for a word of two
    /// characters, exactly). A corpus that counts cheaply says [`Corpus::passages`].
    fn passages_at_most(&self, chars: &[char]) -> u64 {
        self.passages(chars)
    }
    /// Whether some passage holds `chars`.
    fn holds(&self, chars: &[char]) -> bool;
    /// How many passages hold `chars`, counting up to `most` at most (cheaper than
    /// [`Corpus::passages`] for a common string).
    fn passages_up_to(&self, chars: &[char], most: u64) -> u64 {
        self.passages(chars).min(most)
    }
    /// Whether some passage holds `chars` as a word of its own (on word boundaries).
    fn holds_as_word(&self, chars: &[char]) -> bool {
        self.holds(chars)
    }
    /// The corpus words whose pinyin key (`zheng xing`) is `key` (see
    /// [`crate::analysis::pinyin::keys`]); none when the index keeps no pinyin.
    fn words_with_key(&self, _key: &str) -> Vec<String> {
        Vec::new()
    }
    /// For each of `among` that follows `first` somewhere, [`Corpus::passages_at_most`] of the
    /// two together, when the corpus lists them at once; `None` when each pair is asked alone.
    fn followers(&self, _first: char, _among: &[char]) -> Option<Followers> {
        None
    }
    /// Says that the passages holding each of `strings` are about to be asked for (whether
    /// any does, or how many): a corpus whose every question is a round trip (a cluster) counts
    /// them in one. A local index answers each as cheaply alone.
    fn count_ahead(&self, _strings: Vec<Vec<char>>) {}
}

/// What [`Corpus::followers`] answers: each character that follows, with the pair's passages.
pub(crate) type Followers = HashMap<char, u64>;

/// Answers kept, by question.
type Memo<K, V> = RefCell<HashMap<K, V>>;

/// A corpus whose answers are kept: reading a query asks the same questions many times (each
/// split of a pinyin term spells the same syllables; each span of a typo is counted while the
/// term is cut), and each answer is an index lookup (or, for a cluster, a request).
struct Remembered<'a> {
    corpus: &'a dyn Corpus,
    passages: Memo<Vec<char>, u64>,
    at_most: Memo<Vec<char>, u64>,
    holds: Memo<Vec<char>, bool>,
    up_to: Memo<(Vec<char>, u64), u64>,
    as_word: Memo<Vec<char>, bool>,
    with_key: Memo<String, Vec<String>>,
    followers: Memo<(char, Vec<char>), Option<Followers>>,
}

impl<'a> Remembered<'a> {
    fn new(corpus: &'a dyn Corpus) -> Self {
        Remembered {
            corpus,
            passages: Default::default(),
            at_most: Default::default(),
            holds: Default::default(),
            up_to: Default::default(),
            as_word: Default::default(),
            with_key: Default::default(),
            followers: Default::default(),
        }
    }
}

/// The answer `ask` gives for `key`, asked once.
fn remembered<K: std::hash::Hash + Eq, V: Clone>(
    kept: &Memo<K, V>,
    key: K,
    ask: impl FnOnce(&K) -> V,
) -> V {
    if let Some(value) = kept.borrow().get(&key) {
        return value.clone();
    }
    let value = ask(&key);
    kept.borrow_mut().insert(key, value.clone());
    value
}

impl Corpus for Remembered<'_> {
    fn passages(&self, chars: &[char]) -> u64 {
        remembered(&self.passages, chars.to_vec(), |c| self.corpus.passages(c))
    }
    fn passages_at_most(&self, chars: &[char]) -> u64 {
        remembered(&self.at_most, chars.to_vec(), |c| {
            self.corpus.passages_at_most(c)
        })
    }
    fn holds(&self, chars: &[char]) -> bool {
        remembered(&self.holds, chars.to_vec(), |c| self.corpus.holds(c))
    }
    fn passages_up_to(&self, chars: &[char], most: u64) -> u64 {
        remembered(&self.up_to, (chars.to_vec(), most), |(c, most)| {
            self.corpus.passages_up_to(c, *most)
        })
    }
    fn holds_as_word(&self, chars: &[char]) -> bool {
        remembered(&self.as_word, chars.to_vec(), |c| {
            self.corpus.holds_as_word(c)
        })
    }
    fn words_with_key(&self, key: &str) -> Vec<String> {
        remembered(&self.with_key, key.to_string(), |k| {
            self.corpus.words_with_key(k)
        })
    }
    fn followers(&self, first: char, among: &[char]) -> Option<Followers> {
        remembered(&self.followers, (first, among.to_vec()), |(c, among)| {
            self.corpus.followers(*c, among)
        })
    }
    fn count_ahead(&self, strings: Vec<Vec<char>>) {
        self.corpus.count_ahead(strings)
    }
}

/// Joins each one-character word of a term to the word typed before or after it when the two
/// stand together somewhere in the corpus (`安置` + `房` = `安置房`, which jieba's dictionary
/// lacks): a lone character matches nearly every article. Of two such joins, the one that
/// holds the larger share of its word's passages wins: `安置房` (12 of the 137 inews articles
/// with 安置) over `房建设` (17 of 1,163 with 建设), where counts alone would glue 房 to the
/// commoner word. When no passage holds either join, the character still joins the side whose
/// neighbouring character it stands with somewhere (`千` + `所在` in `培养目标千所在哪里`, for
/// 千所): the joined word, which no passage holds, is then re-read from the corpus.
fn join_characters(
    chars: &[char],
    mut words: Vec<(usize, usize)>,
    corpus: &dyn Corpus,
) -> Vec<(usize, usize)> {
    let mut i = 0;
    while i < words.len() {
        let (start, end) = words[i];
        if end - start != 1 || words.len() == 1 {
            i += 1;
            continue;
        }
        let before = i
            .checked_sub(1)
            .map(|p| words[p])
            .filter(|&(_, prev_end)| prev_end == start);
        let after = words
            .get(i + 1)
            .copied()
            .filter(|&(next_start, _)| next_start == end);
        // The share of the word's passages that hold the join.
        let share = |join: (usize, usize), word: (usize, usize)| {
            let joined = corpus.passages(&chars[join.0..join.1]);
            let of_word = corpus.passages_at_most(&chars[word.0..word.1]).max(joined);
            if joined == 0 {
                0.0
            } else {
                joined as f64 / of_word as f64
            }
        };
        let mut with_before = before.map_or(0.0, |word| share((word.0, end), word));
        let mut with_after = after.map_or(0.0, |word| share((start, word.1), word));
        if with_before == 0.0 && with_after == 0.0 {
            let count = |from: usize, to: usize| corpus.passages(&chars[from..to]) as f64;
            with_before = before.map_or(0.0, |_| count(start - 1, end));
            with_after = after.map_or(0.0, |_| count(start, end + 1));
        }
        if with_before > 0.0 && with_before >= with_after {
            words[i - 1].1 = end;
            words.remove(i);
        } else if with_after > 0.0 {
            words[i + 1].0 = start;
            words.remove(i);
        } else {
            i += 1;
        }
    }
    words
}

/// Most characters a string no passage holds is re-read from (see [`split_by_corpus`]).
const MAX_RESPLIT_CHARS: usize = 24;

/// `chars[start..end]`, which no passage holds as a whole (a name jieba's HMM glued to its
/// neighbour, `蒋小红民汉`), read as the longest pieces of two characters or more that some
/// passage holds, left to right: `蒋小红` and `民汉`. Characters no such piece covers are left
/// out: alone, they would match nearly every article.
fn split_by_corpus(
    chars: &[char],
    start: usize,
    end: usize,
    corpus: &dyn Corpus,
) -> Vec<(usize, usize)> {
    let end = end.min(start + MAX_RESPLIT_CHARS);
    let mut pieces = Vec::new();
    let mut at = start;
    while at < end {
        match (at + 2..=end)
            .rev()
            .find(|&to| corpus.holds(&chars[at..to]))
        {
            Some(to) => {
                if is_content(&chars[at..to]) {
                    pieces.push((at, to));
                }
                at = to;
            }
            None => at += 1,
        }
    }
    pieces
}

/// `chars[start..end]`, Latin letters no passage holds (`droptable`, `vimviimproved`: a title's
/// Latin words typed run together), read as the fewest Latin words of two letters or more that
/// stand as words in the corpus, `drop` and `table`; empty when no such words cover it all, or
/// only short ones do, or it is longer than [`MAX_RESPLIT_CHARS`] (cut short, its last words
/// would be lost or read as pieces: `sele` of select).
fn split_latin(
    chars: &[char],
    start: usize,
    end: usize,
    corpus: &dyn Corpus,
) -> Vec<(usize, usize)> {
    if end - start > MAX_RESPLIT_CHARS {
        return Vec::new();
    }
    // fewest[i]: the fewest words covering chars[start..i], and where the last one starts.
    let mut fewest: Vec<Option<(usize, usize)>> = vec![None; end - start + 1];
    fewest[0] = Some((0, start));
    for from in start..end {
        let Some((count, _)) = fewest[from - start] else {
            continue;
        };
        for to in from + 2..=end {
            // A string no passage holds is in no longer one either.
            if !corpus.holds(&chars[from..to]) {
                break;
            }
            let better = fewest[to - start].is_none_or(|(best, _)| count + 1 < best);
            if better && corpus.holds_as_word(&chars[from..to]) {
                fewest[to - start] = Some((count + 1, from));
            }
        }
    }
    let mut pieces = Vec::new();
    let mut at = end;
    while at > start {
        let Some((_, from)) = fewest[at - start] else {
            return Vec::new();
        };
        pieces.push((from, at));
        at = from;
    }
    pieces.reverse();
    // Short pieces are found in nearly any run of letters (`iphone` is ip, ho, ne somewhere):
    // at most one of two letters (`vi` of vimviimproved), three letters a piece on average.
    let short = pieces.iter().filter(|(from, to)| to - from < 3).count();
    if short > 1 || (end - start) < 3 * pieces.len() {
        return Vec::new();
    }
    pieces
}

/// Whether `c` is a Chinese character (CJK Unified Ideographs and their extension A).
fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

/// Whether a word counts: it has a letter or digit and is no function word.
fn is_content(chars: &[char]) -> bool {
    let word: String = chars.iter().collect();
    word.chars().any(char::is_alphanumeric) && !is_stopword(&word)
}

/// The words of one unquoted term, as character ranges of `chars`: jieba's words without the
/// function words, and lone characters joined to their neighbours. A word jieba's HMM made up
/// (not in the dictionary) that no passage holds is re-read from the corpus; a dictionary word
/// no passage holds stays, and is missing; so does a Latin word no passage holds, unless it is
/// Latin words run together (see [`split_latin`]). A term jieba cuts into lone characters only
/// is read from the corpus whole (`升为` is `升` and the function word `为` to jieba).
fn term_words(chars: &[char], dictionary: &Dictionary, corpus: &dyn Corpus) -> Vec<(usize, usize)> {
    let text: String = chars.iter().collect();
    let content: Vec<(usize, usize)> = dictionary
        .cut(&text)
        .into_iter()
        .filter(|&(start, end)| is_content(&chars[start..end]))
        .collect();
    if chars.len() > 1 && content.iter().all(|&(start, end)| end - start == 1) {
        let pieces = split_by_corpus(chars, 0, chars.len(), corpus);
        if !pieces.is_empty() {
            return pieces;
        }
    }
    join_characters(chars, content, corpus)
        .into_iter()
        .flat_map(|(start, end)| {
            let word = &chars[start..end];
            // Only Chinese: a Latin word or a number is not glued from others.
            let made_up = word.iter().all(|&c| is_han(c))
                && !dictionary.contains(&word.iter().collect::<String>());
            let latin = word.len() >= 4 && word.iter().all(char::is_ascii_lowercase);
            if word.len() > 1 && made_up && !corpus.holds(word) {
                split_by_corpus(chars, start, end, corpus)
            } else if latin && !corpus.holds(word) {
                let pieces = split_latin(chars, start, end, corpus);
                if pieces.len() > 1 {
                    pieces
                } else {
                    vec![(start, end)]
                }
            } else {
                vec![(start, end)]
            }
        })
        .collect()
}

/// Reads `query` as words (see the module documentation), asking `corpus` which strings its
/// passages hold.
pub(crate) fn read(
    query: &Query,
    dictionary: &Dictionary,
    synonyms: &Synonyms,
    corpus: &dyn Corpus,
) -> Reading {
    let remembered = Remembered::new(corpus);
    let corpus: &dyn Corpus = &remembered;
    let mut reading = Reading::default();
    let groups = &query.groups;
    // The other readings of the corrections, said after every term's best.
    let mut also_read: Vec<super::typos::Correction> = Vec::new();
    let mut term = 0;
    while term < groups.len() {
        let group = &groups[term];
        let whole = || Word {
            text: group
                .iter()
                .map(Literal::folded)
                .collect::<Vec<_>>()
                .join(" OR "),
            forms: alternatives(group, synonyms),
            term,
            joined_to_next: false,
        };
        let [literal] = group.as_slice() else {
            push(&mut reading.words, whole());
            term += 1;
            continue;
        };
        if literal.quoted || !synonyms.expand(&literal.folded()).is_empty() {
            push(&mut reading.words, whole());
            term += 1;
            continue;
        }
        // Pinyin, perhaps over several terms (`an zhi fang`), or a homophone typo.
        let (reread, terms_read) = match pinyin_run(groups, term, corpus) {
            Some((reread, run)) => (Some(reread), run),
            None => {
                let words_of = |chars: &[char]| term_words(chars, dictionary, corpus);
                let dictionary_words =
                    |chars: &[char]| dictionary.cut(&chars.iter().collect::<String>());
                let in_dictionary =
                    |chars: &[char]| dictionary.contains(&chars.iter().collect::<String>());
                let reread = super::typos::homophone(
                    &literal.chars,
                    corpus,
                    &words_of,
                    &dictionary_words,
                    &in_dictionary,
                );
                (reread, 1)
            }
        };
        // The word read anew, and its other forms: the typed string when some passages hold
        // it, the other readings.
        let mut extra_forms: Option<(String, Vec<Vec<char>>)> = None;
        let chars: Vec<char> = match reread {
            Some(reread) => {
                let (typed, read) = reread.replaced.clone();
                let mut forms: Vec<Vec<char>> = Vec::new();
                if reread.typed_held {
                    forms.push(typed);
                }
                forms.extend(reread.alternatives.iter().map(|a| a.chars().collect()));
                for alternative in &reread.alternatives {
                    let mut also = reread.correction.clone();
                    also.read = also.read.replacen(&read, alternative, 1);
                    also_read.push(also);
                }
                extra_forms = Some((read, forms));
                reading.corrections.push(reread.correction);
                reread.chars
            }
            None => literal.chars.clone(),
        };
        let chars = &chars;
        let mut words = term_words(chars, dictionary, corpus);
        // A word read anew with other readings is one word, whatever the cut: its readings are
        // readings of the whole (`dashiji` is 大师级 or 大事记, not 大师 and the 及 of 大师及).
        if let Some((read, extra)) = &extra_forms
            && !extra.is_empty()
        {
            let read: Vec<char> = read.chars().collect();
            let span = (0..=chars.len().saturating_sub(read.len()))
                .find(|&at| chars[at..].starts_with(&read))
                .map(|at| (at, at + read.len()));
            if let Some((at, end)) = span.filter(|span| !words.contains(span)) {
                words.retain(|&(start, stop)| stop <= at || end <= start);
                let place = words.partition_point(|&(start, _)| start < at);
                words.insert(place, (at, end));
            }
        }
        if words.is_empty() {
            // Only function words (`的`, `什么`): the term is its own word — as read, when it
            // was read anew (`jita` → 其他, or 其它, 吉他…), not the Latin typed.
            let word = match extra_forms {
                Some((read, extra)) => {
                    let text: String = chars.iter().collect();
                    let extra = if read == text { extra } else { Vec::new() };
                    Word {
                        text,
                        forms: std::iter::once(chars.to_vec()).chain(extra).collect(),
                        term,
                        joined_to_next: false,
                    }
                }
                None => whole(),
            };
            push(&mut reading.words, word);
            term += terms_read;
            continue;
        }
        reading.split |= words.len() > 1 || words[0] != (0, chars.len());
        let next_starts: Vec<Option<usize>> = words
            .iter()
            .skip(1)
            .map(|&(start, _)| Some(start))
            .chain([None])
            .collect();
        for ((start, end), next_start) in words.drain(..).zip(next_starts) {
            let word: String = chars[start..end].iter().collect();
            // Where the word is read anew, its other readings, and the typed string when some
            // passages hold it, count as the word too.
            let extra = extra_forms
                .as_ref()
                .filter(|(read, _)| *read == word)
                .map(|(_, forms)| forms.clone())
                .unwrap_or_default();
            let forms = std::iter::once(chars[start..end].to_vec())
                .chain(extra)
                .chain(synonyms.expand(&word).iter().map(|s| s.chars().collect()))
                .collect();
            push(
                &mut reading.words,
                Word {
                    text: word,
                    forms,
                    term,
                    joined_to_next: next_start == Some(end),
                },
            );
        }
        term += terms_read;
    }
    reading.corrections.extend(also_read);
    reading
}

/// The terms from `first` on that read together as pinyin (`an zhi fang`, `anzhifang`): the
/// longest run of unquoted Latin terms that the corpus does not hold, read as one; its reading
/// and how many terms it took.
fn pinyin_run(
    groups: &[Vec<Literal>],
    first: usize,
    corpus: &dyn Corpus,
) -> Option<(super::typos::Reread, usize)> {
    let latin = |group: &Vec<Literal>| -> Option<String> {
        let [literal] = group.as_slice() else {
            return None;
        };
        let text = literal.folded();
        let pinyin_like = !literal.quoted
            && text.chars().any(|c| c.is_ascii_alphabetic())
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '\'');
        pinyin_like.then_some(text)
    };
    let mut run: Vec<String> = Vec::new();
    for group in &groups[first..] {
        match latin(group) {
            Some(text) if run.len() < 8 => run.push(text),
            _ => break,
        }
    }
    while !run.is_empty() {
        if let Some(reread) = super::typos::from_pinyin(&run.join(" "), corpus) {
            return Some((reread, run.len()));
        }
        run.pop();
    }
    None
}

/// Adds `word` unless the same word is already there.
fn push(words: &mut Vec<Word>, word: Word) {
    if !words.iter().any(|w| w.forms == word.forms) {
        words.push(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::dictionary::UserWords;
    use crate::search::parse;

    /// A corpus holding every string of two or more characters, and no single character.
    struct Everything;

    impl Corpus for Everything {
        fn passages(&self, chars: &[char]) -> u64 {
            u64::from(chars.len() > 1)
        }
        fn holds(&self, chars: &[char]) -> bool {
            chars.len() > 1
        }
    }

    /// A corpus of a few texts, asked as grep would.
    struct Texts(&'static [&'static str]);

    impl Corpus for Texts {
        fn passages(&self, chars: &[char]) -> u64 {
            let needle: String = chars.iter().collect();
            self.0.iter().filter(|t| t.contains(&needle)).count() as u64
        }
        fn holds(&self, chars: &[char]) -> bool {
            self.passages(chars) > 0
        }
    }

    const IN_CORPUS: &Everything = &Everything;

    /// [`Texts`] with words by pinyin, that keeps the strings counted ahead and the strings of
    /// `length` characters asked about without being counted ahead.
    struct Announced {
        texts: Texts,
        words: &'static [&'static str],
        length: usize,
        ahead: RefCell<Vec<Vec<char>>>,
        not_ahead: RefCell<Vec<String>>,
    }

    impl Announced {
        fn asked(&self, chars: &[char]) {
            if chars.len() == self.length && !self.ahead.borrow().iter().any(|s| s == chars) {
                self.not_ahead.borrow_mut().push(chars.iter().collect());
            }
        }
    }

    impl Corpus for Announced {
        fn passages(&self, chars: &[char]) -> u64 {
            self.asked(chars);
            self.texts.passages(chars)
        }
        fn holds(&self, chars: &[char]) -> bool {
            self.passages(chars) > 0
        }
        fn words_with_key(&self, key: &str) -> Vec<String> {
            let keyed = |word: &&&str| crate::analysis::pinyin::keys(word).iter().any(|k| k == key);
            self.words
                .iter()
                .filter(keyed)
                .map(|w| w.to_string())
                .collect()
        }
        fn count_ahead(&self, strings: Vec<Vec<char>>) {
            self.ahead.borrow_mut().extend(strings);
        }
    }

    #[test]
    fn a_typo_term_read_anew_is_counted_ahead_with_each_reading_in_place() {
        // Each question is a round trip on a cluster: the term with each homophone in its
        // place is counted in one, not asked about one by one.
        let corpus = Announced {
            texts: Texts(&["细雨是不是同心圆", "西域的风", "喜雨来了", "同心圆"]),
            words: &["细雨", "西域", "喜雨"],
            length: "习雨是不是同心圆".chars().count(),
            ahead: RefCell::default(),
            not_ahead: RefCell::default(),
        };
        let dictionary = Dictionary::new(&UserWords::default());
        let query = parse("习雨是不是同心圆").unwrap();
        let reading = read(&query, &dictionary, &Synonyms::default(), &corpus);
        let read: Vec<&str> = reading
            .corrections
            .iter()
            .map(|c| c.read.as_str())
            .collect();
        assert_eq!(read, ["细雨是不是同心圆"]);
        let ahead = corpus.ahead.borrow();
        for reading in ["细雨是不是同心圆", "喜雨是不是同心圆"] {
            let chars: Vec<char> = reading.chars().collect();
            assert!(ahead.contains(&chars), "{reading} not counted ahead");
        }
        assert_eq!(*corpus.not_ahead.borrow(), Vec::<String>::new());
    }

    #[test]
    fn latin_words_run_together_split_whole_or_not_at_all() {
        let corpus = Texts(&["drop table", "update table", "select rows"]);
        let split = |typed: &str| -> Vec<String> {
            let chars: Vec<char> = typed.chars().collect();
            split_latin(&chars, 0, chars.len(), &corpus)
                .into_iter()
                .map(|(from, to)| chars[from..to].iter().collect())
                .collect()
        };
        assert_eq!(split("droptableupdate"), ["drop", "table", "update"]);
        // 30 letters: past the 24 read, select would be cut to `sele` and `rows` lost.
        assert!(split("droptableupdatetableselectrows").is_empty());
    }

    fn words(query: &str) -> (Vec<String>, bool) {
        let dictionary = Dictionary::new(&UserWords::default());
        let reading = read(
            &parse(query).unwrap(),
            &dictionary,
            &Synonyms::default(),
            IN_CORPUS,
        );
        (
            reading.words.iter().map(|w| w.text.clone()).collect(),
            reading.split,
        )
    }

    #[test]
    fn run_together_words_questions_and_titles_are_read_as_words() {
        assert_eq!(
            words("高新区安置房"),
            (vec!["高新区".into(), "安置房".into()], true)
        );
        assert_eq!(words("安置房什么时候建成").0, ["安置房", "建成"]);
        assert_eq!(words("郑州高新区排名").0, ["郑州", "高新区", "排名"]);
        assert_eq!(words("为什么房价会上涨？").0, ["房价", "上涨"]);
        // One word, as typed: nothing was split.
        assert_eq!(words("安置房"), (vec!["安置房".into()], false));
    }

    #[test]
    fn quotes_or_groups_synonyms_and_function_words_stay_whole() {
        assert_eq!(words("\"高新区安置房\"").0, ["高新区安置房"]);
        assert_eq!(words("郑州 OR 洛阳").0, ["郑州 OR 洛阳"]);
        assert_eq!(words("的").0, ["的"]);
        assert_eq!(words("什么时候").0, ["什么时候"]);
        let dictionary = Dictionary::new(&UserWords::default());
        let synonyms = Synonyms::parse("自创区 自主创新示范区\n");
        let reading = read(&parse("自创区").unwrap(), &dictionary, &synonyms, IN_CORPUS);
        assert_eq!(reading.words.len(), 1);
        assert_eq!(reading.words[0].forms.len(), 2);
        // A repeated word is read once.
        assert_eq!(words("安置房 安置房").0, ["安置房"]);
    }

    #[test]
    fn words_typed_together_are_marked_as_pairs() {
        let dictionary = Dictionary::new(&UserWords::default());
        let reading = read(
            &parse("高新区安置房 郑州").unwrap(),
            &dictionary,
            &Synonyms::default(),
            IN_CORPUS,
        );
        let joined: Vec<bool> = reading.words.iter().map(|w| w.joined_to_next).collect();
        assert_eq!(joined, [true, false, false]);
        // A dropped function word between two words parts them.
        let reading = read(
            &parse("安置房什么时候建成").unwrap(),
            &dictionary,
            &Synonyms::default(),
            IN_CORPUS,
        );
        assert!(reading.words.iter().all(|w| !w.joined_to_next));
    }

    #[test]
    fn a_lone_character_joins_the_word_it_stands_with_in_the_corpus() {
        let chars: Vec<char> = "大督查出实招".chars().collect();
        // 大|督查|出|实招: 大 joins 督查; 出 joins the neighbour more passages hold.
        let corpus = Texts(&["大督查", "督查出", "出实招", "出实招", "出实招"]);
        let joined = join_characters(&chars, vec![(0, 1), (1, 3), (3, 4), (4, 6)], &corpus);
        assert_eq!(joined, [(0, 3), (3, 6)]);
        // Nothing to join with in the corpus: the character stays a word.
        let nowhere = Texts(&[]);
        assert_eq!(
            join_characters(&chars, vec![(0, 1), (1, 3)], &nowhere).len(),
            2
        );
        // Not typed together: not joined.
        assert_eq!(
            join_characters(&chars, vec![(0, 1), (2, 3)], &corpus),
            [(0, 1), (2, 3)]
        );
        // 安置房 holds two of the three passages with 安置; 房建设 more passages, but a third of
        // those with 建设: 房 joins 安置.
        let chars: Vec<char> = "安置房建设".chars().collect();
        let corpus = Texts(&[
            "安置房",
            "安置房",
            "安置",
            "住房建设",
            "住房建设",
            "住房建设",
            "建设",
            "建设",
            "建设",
            "建设",
            "建设",
            "建设",
        ]);
        let joined = join_characters(&chars, vec![(0, 2), (2, 3), (3, 5)], &corpus);
        assert_eq!(joined, [(0, 3), (3, 5)]);
        // Neither join stands anywhere: the character joins the side its neighbouring character
        // stands with (千所, not 标千), to be re-read from the corpus.
        let chars: Vec<char> = "培养目标千所在".chars().collect();
        let corpus = Texts(&["培养目标", "近千所本科", "所在地"]);
        let joined = join_characters(&chars, vec![(0, 4), (4, 5), (5, 7)], &corpus);
        assert_eq!(joined, [(0, 4), (4, 7)]);
        let reading = read(
            &parse("培养目标千所在哪里").unwrap(),
            &Dictionary::new(&UserWords::default()),
            &Synonyms::default(),
            &corpus,
        );
        let words: Vec<&str> = reading.words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(words, ["培养目标", "千所"]);
    }

    #[test]
    fn words_no_passage_holds_are_read_from_the_corpus() {
        let dictionary = Dictionary::new(&UserWords::default());
        let corpus = Texts(&[
            "记者蒋小红报道",
            "新疆民汉合一",
            "产量升为第一",
            "cov",
            "vid",
        ]);
        let words = |query: &str| -> Vec<String> {
            read(
                &parse(query).unwrap(),
                &dictionary,
                &Synonyms::default(),
                &corpus,
            )
            .words
            .iter()
            .map(|w| w.text.clone())
            .collect()
        };
        assert_eq!(words("蒋小红民汉在哪里"), ["蒋小红", "民汉"]);
        assert_eq!(words("升为"), ["升为"]);
        // A dictionary word the corpus lacks is missing, not cut into characters; so is a Latin
        // word.
        assert_eq!(words("上海"), ["上海"]);
        assert_eq!(words("covid"), ["covid"]);
        assert_eq!(words("大熊猫基地"), ["大熊猫", "基地"]);
    }

    #[test]
    fn the_stopword_list_reads_folded_words() {
        assert!(is_stopword("什么") && is_stopword("的") && is_stopword("为什么"));
        assert!(!is_stopword("安置房") && !is_stopword("#"));
    }
}
