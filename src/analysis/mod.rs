//! Analysis: folding, and jieba's words for a passage, turned into the terms the index holds by
//! the gram contract ([`grams`]), which also owns the queries that look them up.

pub mod dictionary;
pub(crate) mod fold;
pub mod grams;
pub mod pinyin;
mod readings;

use std::sync::{Arc, OnceLock};

use jieba_rs::Jieba;

pub use dictionary::UserWords;
pub use fold::{Folded, fold, fold_str};
pub use grams::{GramsTokenizer, PassageTerms};

/// The frequency given to a user dictionary word listed without one: high enough to win against
/// common words around it.
pub const USER_WORD_FREQ: usize = 100_000;

/// What changes the terms besides the gram contract and the user dictionary: the segmenter and
/// the folding. Part of the index fingerprint.
pub const ANALYSIS_VERSION: &str =
    "analysis-v8;jieba-rs-0.11;cut;hmm;nfkc;lower;fast2s-0.3-per-char-kept6;pinyin-0.11-words";

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
    /// Loads jieba's dictionary (~0.1 s) and the user dictionary's words (a word without a
    /// frequency gets one that makes it win).
    pub fn new(user_dict: &UserDict) -> Self {
        fold::prepare();
        let mut jieba = Jieba::new();
        for entry in &user_dict.entries {
            // jieba's own suggestion only makes the word win when it stands alone; in a
            // sentence a common neighbour (提高 before 高科技) still takes its characters. A
            // user who lists a word means it to be one.
            let freq = entry
                .freq
                .unwrap_or_else(|| jieba.suggest_freq(&entry.word).max(USER_WORD_FREQ));
            jieba.add_word(&entry.word, Some(freq), entry.tag.as_deref());
        }
        Analyzer { jieba }
    }

    /// Analyzes one passage. `tail` is the text that follows it in the same paragraph (see
    /// [`crate::corpus::Passage::tail`]).
    pub fn analyze(&self, text: &str, tail: &str) -> PassageTerms {
        self.analyze_keeping_words(text, tail, &mut |_| {})
    }

    /// Analyzes one passage as [`Analyzer::analyze`] does, giving `keep` each word whose pinyin
    /// the index keeps (see [`pinyin::is_kept_word`]).
    pub fn analyze_keeping_words(
        &self,
        text: &str,
        tail: &str,
        keep: &mut dyn FnMut(&str),
    ) -> PassageTerms {
        let folded = fold_str(text);
        // jieba's tokens tile the text, so a word starts where the previous one ends.
        let words = self.jieba.cut(&folded, true);
        for word in &words {
            if pinyin::is_kept_word(word.word) {
                keep(word.word);
            }
        }
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
/// needs jieba, so a search process never pays for its dictionary. The user dictionary is read
/// on first use too: a sync that indexes nothing never parses it.
pub struct SharedAnalyzer {
    /// Reads the user dictionary when it is first needed.
    source: Option<DictSource>,
    user_dict: OnceLock<UserDict>,
    cell: OnceLock<Analyzer>,
    user_words: OnceLock<UserWords>,
}

/// Where a [`SharedAnalyzer`] gets its user dictionary from, when first needed.
pub type DictSource = Box<dyn Fn() -> UserDict + Send + Sync>;

impl std::fmt::Debug for SharedAnalyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedAnalyzer")
            .field("user_dict", &self.user_dict.get())
            .finish_non_exhaustive()
    }
}

impl SharedAnalyzer {
    /// An analyzer that will load jieba and `user_dict`'s words when first asked for.
    pub fn new(user_dict: UserDict) -> Arc<Self> {
        Arc::new(SharedAnalyzer {
            source: None,
            user_dict: OnceLock::from(user_dict),
            cell: OnceLock::new(),
            user_words: OnceLock::new(),
        })
    }

    /// An analyzer whose user dictionary `source` gives, asked when first needed.
    pub fn reading(source: DictSource) -> Arc<Self> {
        Arc::new(SharedAnalyzer {
            source: Some(source),
            user_dict: OnceLock::new(),
            cell: OnceLock::new(),
            user_words: OnceLock::new(),
        })
    }

    /// The user dictionary, with any lines it could not use (read now if it was not yet).
    pub fn user_dict(&self) -> &UserDict {
        self.user_dict.get_or_init(|| match &self.source {
            Some(source) => source(),
            None => UserDict::default(),
        })
    }

    /// The user dictionary, if something needed it.
    pub fn user_dict_if_read(&self) -> Option<&UserDict> {
        self.user_dict.get()
    }

    /// The user dictionary's words as jieba resolves them (see [`UserWords`]), for searches to
    /// cut queries as the index was cut; worked out on first use, without loading jieba.
    pub fn user_words(&self) -> &UserWords {
        self.user_words
            .get_or_init(|| UserWords::resolve(&self.user_dict().entries))
    }

    /// The analyzer, loading it now if this is the first call (other threads asking meanwhile
    /// wait for it rather than load a second copy).
    pub fn get(&self) -> &Analyzer {
        self.cell.get_or_init(|| Analyzer::new(self.user_dict()))
    }
}

/// One word of a user dictionary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DictEntry {
    /// The word, folded like the text it will meet.
    pub word: String,
    /// Its frequency, when the line gives one.
    pub freq: Option<usize>,
    /// Its part-of-speech tag, when the line gives one.
    pub tag: Option<String>,
}

/// A user dictionary (`dict.txt` in jieba's format: `word [frequency] [tag]` a line, `#` starts
/// a comment), and the lines it could not use, each named by its line number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserDict {
    /// The words, in the file's order.
    pub entries: Vec<DictEntry>,
    /// What could not be used, one line each (`dict.txt:3: …`).
    pub warnings: Vec<String>,
}

impl UserDict {
    /// Reads and parses the user dictionary at `path` (tests only: sou reads it as a settings
    /// file, see `crate::corpus::settings`).
    #[cfg(test)]
    pub fn read(path: &std::path::Path) -> UserDict {
        let bytes = std::fs::read(path).unwrap_or_default();
        match crate::corpus::read::decode_whole(&bytes) {
            Ok(text) => UserDict::parse(&text, "dict.txt"),
            Err(err) => UserDict {
                entries: Vec::new(),
                warnings: vec![format!("dict.txt: {err}; the dictionary is not used")],
            },
        }
    }

    /// Parses a user dictionary's text; `name` names the file in warnings.
    pub fn parse(text: &str, name: &str) -> UserDict {
        let mut dict = UserDict::default();
        for (number, line) in text.lines().enumerate() {
            let mut fields = line.split_whitespace();
            let Some(word) = fields.next() else { continue };
            if word.starts_with('#') {
                continue;
            }
            let warn = |why: &str| format!("{name}:{}: {why}; line ignored", number + 1);
            if word.contains('\u{FFFD}') {
                dict.warnings.push(warn("bytes that are not text"));
                continue;
            }
            let rest: Vec<&str> = fields.collect();
            if rest.len() > 2 {
                dict.warnings
                    .push(warn("expected a word, a frequency and a tag at most"));
                continue;
            }
            let mut freq = None;
            let mut tag = None;
            let mut bad = None;
            for field in rest {
                if field.bytes().all(|b| b.is_ascii_digit()) && freq.is_none() && tag.is_none() {
                    match field.parse::<usize>() {
                        Ok(f) => freq = Some(f),
                        Err(_) => bad = Some(format!("frequency {field} is too large")),
                    }
                } else {
                    tag = tag.or(Some(field.to_string()));
                }
            }
            if let Some(why) = bad {
                dict.warnings.push(warn(&why));
                continue;
            }
            dict.entries.push(DictEntry {
                word: fold_str(word),
                freq,
                tag,
            });
        }
        dict
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use grams::{BOUNDARY, END, gram_chars};
    use tantivy::tokenizer::{TokenStream, Tokenizer};

    pub(crate) fn analyzer() -> &'static Analyzer {
        static ANALYZER: OnceLock<Analyzer> = OnceLock::new();
        ANALYZER.get_or_init(|| Analyzer::new(&UserDict::default()))
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
        let with_dict = Analyzer::new(&UserDict::read(&dict));
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
        let dict = UserDict::parse(
            "郑洛新 100 ns\n自創區\n# comment\n\n智慧产业 n\n",
            "dict.txt",
        );
        let entries: Vec<(&str, Option<usize>, Option<&str>)> = dict
            .entries
            .iter()
            .map(|e| (e.word.as_str(), e.freq, e.tag.as_deref()))
            .collect();
        assert_eq!(
            entries,
            [
                ("郑洛新", Some(100), Some("ns")),
                ("自创区", None, None),
                ("智慧产业", None, Some("n")),
            ]
        );
        assert!(dict.warnings.is_empty());
    }

    /// A dict.txt saved in GBK (common from Windows) broke every search and index.
    #[test]
    fn a_gbk_dictionary_reads_and_bad_lines_are_warnings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dict.txt");
        let text =
            "郑洛新 100 ns\n高科技 99999999999999999999999\n智慧岛 1 n extra\n高新区安置房\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        std::fs::write(&path, &gbk).unwrap();
        let dict = UserDict::read(&path);
        let words: Vec<&str> = dict.entries.iter().map(|e| e.word.as_str()).collect();
        assert_eq!(words, ["郑洛新", "高新区安置房"]);
        assert_eq!(
            dict.warnings,
            [
                "dict.txt:2: frequency 99999999999999999999999 is too large; line ignored",
                "dict.txt:3: expected a word, a frequency and a tag at most; line ignored",
            ]
        );
        // A binary file is a warning, not a failure.
        std::fs::write(&path, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
        let dict = UserDict::read(&path);
        assert!(dict.entries.is_empty());
        assert!(dict.warnings[0].contains("not used"), "{:?}", dict.warnings);
    }
}
