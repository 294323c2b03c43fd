//! Analysis: from a passage's text to the terms the index holds, and from a query string to the
//! terms it looks up. Positions are chosen so that phrase queries work.
//!
//! One folding and one jieba pass make the gram field: every pair of neighbouring characters as
//! a bigram (and the last character as a unigram), at the character's index in the gram stream
//! (whitespace runs folded to one space, see [`gram_stream`]), plus a word boundary marker at
//! every index where a jieba word starts and at the end; the characters jieba leaves as words by
//! themselves go to a field of their own, and the start of the text that follows a cut passage
//! to a key (see [`Analysis::tail_key`]). A query string is found exactly where its bigrams
//! stand in a row, whatever jieba made of the text around it, or where the passage ends with its
//! start and the key begins with the rest; and found "on word boundaries" when the markers stand
//! at both of its ends (a one-character query: when it is a word by itself).
//!
//! There is no field of jieba words: the grams find everything a word would, and a word field
//! cost 40 % of the indexing time and a fifth of the index for one ranking signal the boundary
//! markers already give.
//!
//! The analysis runs on sou's worker threads and hands tantivy the field as a compact encoded
//! string (see [`tokenizers`]); the tokenizer registered on the index only decodes it, in
//! tantivy's own indexing threads, without allocating per token. (Pre-tokenized values would
//! be serialized to JSON and back inside tantivy: a fifth of the indexing time.)

pub mod fold;
pub mod tokenizers;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use jieba_rs::Jieba;

pub use fold::{Folded, fold, fold_str};
pub use tokenizers::GramsTokenizer;

use crate::{Error, Result};

/// The frequency given to a user dictionary word listed without one: high enough to win against
/// common words around it.
pub const USER_WORD_FREQ: usize = 100_000;

/// The term marking a word boundary in the gram field. Grams are built from non-control
/// characters only, so no gram can be this term.
pub const BOUNDARY: &str = "\u{0}";

/// The term after a passage's last character: a query string that runs on past a cut into the
/// next passage ends there in the gram field, and goes on in the tail key (see
/// [`Analysis::tail_key`]).
pub const END: &str = "\u{1}";

/// What changes the terms: part of the index fingerprint.
pub const ANALYSIS_VERSION: &str = "analysis-v7;jieba-rs-0.11;cut;hmm;nfkc;lower;fast2s-0.3-per-char-kept6;grams-2-last1-space-boundary-solo-end;tailkey;positions-char";

/// The segmenter with its dictionary; load once per process and share.
pub struct Analyzer {
    jieba: Jieba,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer").finish_non_exhaustive()
    }
}

impl Analyzer {
    /// Loads jieba's dictionary (~0.1 s) and the user dictionary, if any (jieba format:
    /// `word [freq] [tag]` a line; a word without a frequency gets one that makes it win).
    pub fn new(user_dict: Option<&Path>) -> Result<Self> {
        fold::prepare();
        let mut jieba = Jieba::new();
        if let Some(path) = user_dict {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
            for (word, freq, tag) in parse_dict(&text) {
                // jieba's own suggestion only makes the word win when it stands alone; in a
                // sentence a common neighbour (提高 before 高科技) still takes its characters.
                // A user who lists a word means it to be one.
                let freq = freq.unwrap_or_else(|| jieba.suggest_freq(&word).max(USER_WORD_FREQ));
                jieba.add_word(&word, Some(freq), tag);
            }
        }
        Ok(Analyzer { jieba })
    }

    /// Analyzes one passage. `tail` is the text that follows it in the same paragraph (see
    /// [`crate::corpus::Passage::tail`]).
    pub fn analyze(&self, text: &str, tail: &str) -> Analysis {
        let folded = fold_str(text);
        // jieba's tokens tile the text, so a word starts where the previous one ends.
        let words = self.jieba.cut(&folded, true);
        let starts: Vec<usize> = words.iter().map(|word| word.start).collect();
        let solo_words = words
            .iter()
            .filter_map(|word| {
                let mut chars = word.word.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) if c.is_alphanumeric() => Some(c),
                    _ => None,
                }
            })
            .collect();
        Analysis {
            grams: tokenizers::encode_grams(&folded, &starts),
            solo_words,
            tail_key: tail_key(tail),
        }
    }
}

/// One passage analyzed: what its indexed fields get.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Analysis {
    /// The gram field's encoded value (see [`tokenizers`]).
    pub grams: String,
    /// The characters jieba leaves as words by themselves (`和` in `管理和服务`, not in `和服`),
    /// one a time they occur: what a one-character query looks for to stand on word
    /// boundaries. A field of its own without positions, which such a query does not need.
    pub solo_words: String,
    /// The tail as the gram stream sees it, indexed as one term: a query string that starts in
    /// the passage and runs on past the cut is found where the passage ends with its first part
    /// ([`END`] after it) and the tail key starts with the rest. A string wholly inside the tail
    /// is left to the next passage. One term a passage instead of the tail's grams: those took
    /// 8 % of the postings and a fifth of the term dictionary.
    pub tail_key: String,
}

impl Analysis {
    /// The terms the tail key is indexed as: itself, and its first one and two characters, so
    /// that a query whose rest is that short looks up one term instead of every key starting
    /// with it (see [`TAIL_KEY_PREFIXES`]).
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

/// The lengths of the tail key prefixes indexed as terms of their own.
pub const TAIL_KEY_PREFIXES: [usize; 2] = [1, 2];

/// The tail key of `tail` (see [`Analysis::tail_key`]): folded, in gram stream characters, and
/// starting with a space when the tail does, as the whitespace between passage and tail stands
/// in the stream as one space.
pub fn tail_key(tail: &str) -> String {
    let folded = fold_str(tail);
    let mut key: String = gram_chars(&folded).into_iter().collect();
    if !key.is_empty() && folded.starts_with(char::is_whitespace) {
        key.insert(0, ' ');
    }
    key
}

/// An analyzer loaded on first use and shared by every thread of the process: searching never
/// needs jieba, so a search process never pays for its dictionary.
#[derive(Debug)]
pub struct SharedAnalyzer {
    user_dict: Option<PathBuf>,
    cell: OnceLock<std::result::Result<Analyzer, String>>,
}

impl SharedAnalyzer {
    /// An analyzer that will load jieba and `user_dict` when first asked for.
    pub fn new(user_dict: Option<PathBuf>) -> Arc<Self> {
        Arc::new(SharedAnalyzer {
            user_dict,
            cell: OnceLock::new(),
        })
    }

    /// The analyzer, loading it now if this is the first call (other threads asking meanwhile
    /// wait for it rather than load a second copy).
    pub fn get(&self) -> Result<&Analyzer> {
        let loaded = self.cell.get_or_init(|| {
            Analyzer::new(self.user_dict.as_deref()).map_err(|err| err.to_string())
        });
        loaded.as_ref().map_err(|reason| Error::Config {
            path: self.user_dict.clone().unwrap_or_default(),
            reason: reason.clone(),
        })
    }
}

/// Parses a jieba user dictionary, folding its words like the text they will meet.
fn parse_dict(text: &str) -> Vec<(String, Option<usize>, Option<&str>)> {
    let mut entries = Vec::new();
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        let Some(word) = fields.next() else { continue };
        if word.starts_with('#') {
            continue;
        }
        let mut freq = None;
        let mut tag = None;
        for field in fields {
            match field.parse::<usize>() {
                Ok(f) if freq.is_none() && tag.is_none() => freq = Some(f),
                _ => tag = tag.or(Some(field)),
            }
        }
        entries.push((fold_str(word), freq, tag));
    }
    entries
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

/// The characters of a folded query string that its grams are made of (see [`gram_stream`]).
pub fn gram_chars(folded: &str) -> Vec<char> {
    gram_stream(folded).into_iter().map(|(_, c)| c).collect()
}

/// The gram terms (with their offsets) that find `chars` exactly: the character itself for one,
/// otherwise bigrams at every other offset plus the last one, which cover every character.
pub fn query_grams(chars: &[char]) -> Vec<(usize, String)> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::tokenizer::{TokenStream, Tokenizer};

    pub(crate) fn analyzer() -> &'static Analyzer {
        static ANALYZER: OnceLock<Analyzer> = OnceLock::new();
        ANALYZER.get_or_init(|| Analyzer::new(None).unwrap())
    }

    fn decode<T: Tokenizer>(mut tokenizer: T, encoded: &str) -> Vec<(usize, String)> {
        let mut stream = tokenizer.token_stream(encoded);
        let mut out = Vec::new();
        while stream.advance() {
            out.push((stream.token().position, stream.token().text.clone()));
        }
        out
    }

    fn grams(text: &str, tail: &str) -> Vec<(usize, String)> {
        decode(
            GramsTokenizer::default(),
            &analyzer().analyze(text, tail).grams,
        )
    }

    fn has(tokens: &[(usize, String)], position: usize, text: &str) -> bool {
        tokens.iter().any(|(p, t)| *p == position && t == text)
    }

    #[test]
    fn characters_standing_as_words_are_listed() {
        let solo = |text: &str| analyzer().analyze(text, "").solo_words;
        assert!(solo("我和你").contains('和'));
        assert!(!solo("穿着和服").contains('和'));
        // Punctuation and spaces are no words to look for; repeats count.
        assert_eq!(solo("好。 好"), "好好");
    }

    #[test]
    fn grams_are_folded() {
        let grams = grams("（扩大）会议， 全面ＡＢＣ", "");
        assert!(has(&grams, 0, "(扩"), "{grams:?}");
        assert!(grams.iter().any(|(_, g)| g == "ab"), "{grams:?}");
        assert!(grams.iter().any(|(_, g)| g == "bc"), "{grams:?}");
    }

    #[test]
    fn grams_fold_spaces_and_carry_boundaries() {
        let grams = grams("穿着和服 \u{3000} 的人", "");
        let at = |pos: usize| -> Vec<&str> {
            grams
                .iter()
                .filter(|t| t.0 == pos)
                .map(|t| t.1.as_str())
                .collect()
        };
        // 穿着 | 和服 | ␠ | 的 | 人, the three spaces standing as one: boundary markers before
        // 穿, 和, the space, 的, 人 and at the end (7).
        assert_eq!(at(0), [BOUNDARY, "穿着"]);
        assert_eq!(at(2), [BOUNDARY, "和服"]);
        assert_eq!(at(3), ["服 "]);
        assert_eq!(at(4), [BOUNDARY, " 的"]);
        assert_eq!(at(5), [BOUNDARY, "的人"]);
        assert_eq!(at(6), [BOUNDARY, "人"]);
        assert_eq!(at(7), [BOUNDARY, END]);
        assert_eq!(
            gram_chars(" 安置房\t\n 建设 "),
            ['安', '置', '房', ' ', '建', '设']
        );
    }

    #[test]
    fn the_tail_gives_a_key_and_no_grams() {
        let analysis = analyzer().analyze("发展目标。", " 以管理");
        let grams = decode(GramsTokenizer::default(), &analysis.grams);
        // The passage ends after 。 (position 4): its unigram, a boundary and END, nothing after.
        assert!(has(&grams, 4, "。"));
        assert!(has(&grams, 5, BOUNDARY));
        assert!(has(&grams, 5, END));
        assert!(grams.iter().all(|(p, g)| *p <= 5 && !g.contains('以')));
        // The whitespace between passage and tail stands as one space.
        assert_eq!(analysis.tail_key, " 以管理");
        assert_eq!(tail_key("管理Ａ\n\n"), "管理a");
        assert_eq!(tail_key(""), "");
        let keys = |key: &str| -> Vec<String> {
            let analysis = Analysis {
                tail_key: key.to_string(),
                ..Analysis::default()
            };
            analysis.tail_keys().map(str::to_string).collect()
        };
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
        let two: Vec<char> = "5g".chars().collect();
        assert_eq!(query_grams(&two), [(0, "5g".into())]);
    }

    #[test]
    fn a_user_word_without_frequency_wins_in_a_sentence() {
        let dir = tempfile::tempdir().unwrap();
        let dict = dir.path().join("dict.txt");
        std::fs::write(&dict, "高科技\n").unwrap();
        let with_dict = Analyzer::new(Some(&dict)).unwrap();
        // 我们|要|提高|科技|水平 without the dictionary, 我们|要|提|高科技|水平 with it.
        let boundaries = |analyzer: &Analyzer| -> Vec<usize> {
            decode(
                GramsTokenizer::default(),
                &analyzer.analyze("我们要提高科技水平", "").grams,
            )
            .into_iter()
            .filter(|(_, g)| g == BOUNDARY)
            .map(|(p, _)| p)
            .collect()
        };
        assert_eq!(boundaries(analyzer()), [0, 2, 3, 5, 7, 9]);
        assert_eq!(boundaries(&with_dict), [0, 2, 3, 4, 7, 9]);
    }

    #[test]
    fn user_dictionary_lines_parse_with_and_without_frequency() {
        let entries = parse_dict("郑洛新 100 ns\n自創區\n# comment\n\n智慧产业 n\n");
        assert_eq!(
            entries,
            [
                ("郑洛新".to_string(), Some(100), Some("ns")),
                ("自创区".to_string(), None, None),
                ("智慧产业".to_string(), None, Some("n")),
            ]
        );
    }
}
