//! Analysis: folding, and jieba's words for a passage, turned into the terms the index holds by
//! the gram contract ([`grams`]), which also owns the queries that look them up.

pub mod dictionary;
pub(crate) mod fold;
pub mod grams;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use jieba_rs::Jieba;

pub use dictionary::UserWords;
pub use fold::{Folded, fold, fold_str};
pub use grams::{GramsTokenizer, PassageTerms};

use crate::{Error, Result};

/// The frequency given to a user dictionary word listed without one: high enough to win against
/// common words around it.
pub const USER_WORD_FREQ: usize = 100_000;

/// What changes the terms besides the gram contract and the user dictionary: the segmenter and
/// the folding. Part of the index fingerprint.
pub const ANALYSIS_VERSION: &str =
    "analysis-v7;jieba-rs-0.11;cut;hmm;nfkc;lower;fast2s-0.3-per-char-kept6";

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
    pub fn analyze(&self, text: &str, tail: &str) -> PassageTerms {
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
        PassageTerms::new(&folded, &starts, solo_words, tail)
    }

    /// jieba's words of folded text, as they decide word boundaries.
    #[cfg(test)]
    pub(crate) fn words<'a>(&self, folded: &'a str) -> Vec<jieba_rs::Token<'a>> {
        self.jieba.cut(folded, true)
    }
}

/// An analyzer loaded on first use and shared by every thread of the process: searching never
/// needs jieba, so a search process never pays for its dictionary.
#[derive(Debug)]
pub struct SharedAnalyzer {
    user_dict: Option<PathBuf>,
    cell: OnceLock<std::result::Result<Analyzer, String>>,
    user_words: OnceLock<std::result::Result<UserWords, String>>,
}

impl SharedAnalyzer {
    /// An analyzer that will load jieba and `user_dict` when first asked for.
    pub fn new(user_dict: Option<PathBuf>) -> Arc<Self> {
        Arc::new(SharedAnalyzer {
            user_dict,
            cell: OnceLock::new(),
            user_words: OnceLock::new(),
        })
    }

    /// The user dictionary's words as jieba resolves them (see [`UserWords`]), for searches to
    /// cut queries as the index was cut; worked out on first use, without loading jieba.
    pub fn user_words(&self) -> Result<&UserWords> {
        let resolved = self.user_words.get_or_init(|| match &self.user_dict {
            None => Ok(UserWords::default()),
            Some(path) => std::fs::read_to_string(path)
                .map(|text| UserWords::resolve(&parse_dict(&text)))
                .map_err(|err| err.to_string()),
        });
        resolved.as_ref().map_err(|reason| Error::Config {
            path: self.user_dict.clone().unwrap_or_default(),
            reason: reason.clone(),
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
pub(crate) fn parse_dict(text: &str) -> Vec<(String, Option<usize>, Option<&str>)> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use grams::{BOUNDARY, END, gram_chars};
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
            &analyzer().analyze(text, tail).encoded,
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
        let grams = decode(GramsTokenizer::default(), &analysis.encoded);
        // The passage ends after 。 (position 4): its unigram, a boundary and END, nothing after.
        assert!(has(&grams, 4, "。"));
        assert!(has(&grams, 5, BOUNDARY));
        assert!(has(&grams, 5, END));
        assert!(grams.iter().all(|(p, g)| *p <= 5 && !g.contains('以')));
        // The whitespace between passage and tail stands as one space.
        assert_eq!(analysis.tail_key, " 以管理");
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
                &analyzer.analyze("我们要提高科技水平", "").encoded,
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
