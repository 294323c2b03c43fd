//! jieba's words for a query without loading jieba's dictionary.
//!
//! Loading jieba-rs's dictionary costs about 0.1 s, far above a search's budget. But jieba cuts
//! a sentence using only the dictionary words that stand in it (its word graph has an edge for
//! each), their frequencies, and the dictionary's total frequency. So a `Jieba::empty()` given
//! exactly those words, plus one padding word (a character no text holds) whose frequency makes
//! the total right, cuts the sentence exactly as the full dictionary does. The words come from
//! an FST of jieba's default dictionary built into the binary (see `build.rs`) and from the user
//! dictionary as it was resolved when the index was built ([`UserWords`], kept in the commit).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};

use jieba_rs::Jieba;
use serde::{Deserialize, Serialize};

use super::USER_WORD_FREQ;

/// jieba's default dictionary as an FST of word → frequency.
static DEFAULT_FST: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/jieba-dict.fst"));

include!(concat!(env!("OUT_DIR"), "/jieba-dict-total.rs"));

/// Carries the frequency of every dictionary word not given to a sentence's small jieba: a
/// private-use character, which folded text never holds next to a word.
const PADDING: &str = "\u{10FFFD}";

/// The words of a user dictionary with the frequencies jieba gives them when they are added
/// after its default dictionary, one by one, and the dictionary's total frequency after them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserWords {
    /// Folded word and frequency, in the file's order (a repeated word: its last frequency).
    pub words: Vec<(String, u64)>,
    /// The total frequency of the default dictionary with the user words added.
    pub total: u64,
}

impl UserWords {
    /// Resolves the entries of a user dictionary (see [`super::UserDict::parse`]) as
    /// [`super::Analyzer::new`] adds them to jieba: a word without a frequency gets jieba's
    /// suggestion, at least [`USER_WORD_FREQ`].
    pub fn resolve(entries: &[super::DictEntry]) -> UserWords {
        let mut dictionary = Dictionary::new(&UserWords::default());
        let mut order: Vec<String> = Vec::new();
        for super::DictEntry { word, freq, .. } in entries {
            if word.is_empty() {
                continue;
            }
            let freq = match freq {
                Some(freq) => *freq as u64,
                None => {
                    let jieba = dictionary.jieba_for(word);
                    (jieba.suggest_freq(word) as u64).max(USER_WORD_FREQ as u64)
                }
            };
            let old = dictionary.freq(word).unwrap_or(0);
            dictionary.total = dictionary.total - old + freq;
            // A cutter would hold the old frequencies.
            *dictionary
                .cutter
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner) = None;
            if dictionary.user.insert(word.clone(), freq) {
                order.push(word.clone());
            }
        }
        let words = order
            .into_iter()
            .map(|word| {
                let freq = dictionary.user.get(&word).unwrap_or(0);
                (word, freq)
            })
            .collect();
        UserWords {
            words,
            total: dictionary.total,
        }
    }
}

/// Where the user words of a dictionary are looked up.
enum UserLookup {
    /// Being resolved, or given in memory.
    Map(HashMap<String, u64>),
    /// As an index keeps them (see `index::sidecar`): opened, not parsed.
    Fst(fst::Map<crate::index::sidecar::Mapped>),
}

impl UserLookup {
    fn get(&self, word: &str) -> Option<u64> {
        match self {
            UserLookup::Map(map) => map.get(word).copied(),
            UserLookup::Fst(map) => map.get(word),
        }
    }

    fn insert(&mut self, word: String, freq: u64) -> bool {
        match self {
            UserLookup::Map(map) => map.insert(word, freq).is_none(),
            UserLookup::Fst(_) => false,
        }
    }
}

/// The default dictionary and the user words of an index.
pub struct Dictionary {
    default: fst::Map<&'static [u8]>,
    user: UserLookup,
    /// The longest user word, in characters.
    longest_user: usize,
    total: u64,
    /// The jieba [`Dictionary::cut`] reuses (see [`Cutter`]).
    cutter: Mutex<Option<Cutter>>,
}

/// One small jieba for every text a dictionary cuts: an empty jieba costs a 512 KB table to
/// set up, and a query is cut many times while its typos are read. It holds the dictionary words
/// of the texts cut so far; before each cut the padding word's frequency is set so that the total
/// is the dictionary's again, and words a text does not hold take no part in its cut — so each
/// text is cut as by a jieba of its own words.
struct Cutter {
    jieba: Jieba,
    /// The words given to `jieba` (the padding word aside), and their frequencies' sum.
    words: usize,
    sum: u64,
}

/// Words a [`Cutter`] holds before it starts anew, so that a long-lived process stays small.
const MOST_CUTTER_WORDS: usize = 50_000;

impl std::fmt::Debug for Dictionary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dictionary")
            .field("longest_user", &self.longest_user)
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

impl Dictionary {
    /// The default dictionary with `user` words added.
    pub fn new(user: &UserWords) -> Dictionary {
        // The bytes are the FST build.rs wrote at compile time (a test opens them).
        let default = fst::Map::new(DEFAULT_FST).expect("build.rs writes a valid FST");
        let user_map: HashMap<String, u64> = user.words.iter().cloned().collect();
        Dictionary {
            default,
            longest_user: user_map
                .keys()
                .map(|w| w.chars().count())
                .max()
                .unwrap_or(0),
            total: if user.words.is_empty() {
                DEFAULT_TOTAL
            } else {
                user.total
            },
            user: UserLookup::Map(user_map),
            cutter: Mutex::new(None),
        }
    }

    /// The default dictionary with the user words an index keeps (see `index::sidecar`).
    pub(crate) fn with_kept_words(
        words: fst::Map<crate::index::sidecar::Mapped>,
        kept: &crate::index::sidecar::WordsRef,
    ) -> Dictionary {
        Dictionary {
            default: fst::Map::new(DEFAULT_FST).expect("build.rs writes a valid FST"),
            user: UserLookup::Fst(words),
            longest_user: kept.longest,
            total: kept.total,
            cutter: Mutex::new(None),
        }
    }

    /// Whether `word` is in the dictionary (a word jieba knows, not one its HMM made up).
    pub fn contains(&self, word: &str) -> bool {
        self.freq(word).is_some()
    }

    /// A word's frequency, the user's first.
    fn freq(&self, word: &str) -> Option<u64> {
        self.user.get(word).or_else(|| self.default.get(word))
    }

    /// Every dictionary word that stands in `text`, with its frequency.
    fn words_in(&self, text: &str) -> BTreeMap<String, u64> {
        let mut found = BTreeMap::new();
        let fst = self.default.as_fst();
        let starts: Vec<usize> = text.char_indices().map(|(at, _)| at).collect();
        for (i, &start) in starts.iter().enumerate() {
            let mut node = fst.root();
            let mut output = fst::raw::Output::zero();
            // Walk the FST along the text from `start`; every final state passed at a character
            // boundary ends a word.
            'walk: for (j, &from) in starts[i..].iter().enumerate() {
                let to = starts.get(i + j + 1).copied().unwrap_or(text.len());
                for &byte in &text.as_bytes()[from..to] {
                    let Some(t) = node.find_input(byte) else {
                        break 'walk;
                    };
                    let transition = node.transition(t);
                    output = output.cat(transition.out);
                    node = fst.node(transition.addr);
                }
                if node.is_final() {
                    let freq = output.cat(node.final_output()).value();
                    found.insert(text[start..to].to_string(), freq);
                }
            }
            for len in 1..=self.longest_user.min(starts.len() - i) {
                let end = starts.get(i + len).copied().unwrap_or(text.len());
                let word = &text[start..end];
                if let Some(freq) = self.user.get(word) {
                    found.insert(word.to_string(), freq);
                }
            }
        }
        found
    }

    /// A jieba that cuts `text` (and any text made of its substrings) exactly as one loaded with
    /// the whole dictionary would.
    fn jieba_for(&self, text: &str) -> Jieba {
        let mut jieba = Jieba::empty();
        let mut sum = 0u64;
        for (word, freq) in self.words_in(text) {
            sum += freq;
            jieba.add_word(&word, Some(freq as usize), None);
        }
        let rest = self.total.saturating_sub(sum);
        if rest > 0 {
            jieba.add_word(PADDING, Some(rest as usize), None);
        }
        jieba
    }

    /// jieba's words (HMM on, as the index uses) of folded text, as half-open character ranges.
    pub fn cut(&self, folded: &str) -> Vec<(usize, usize)> {
        // A poisoned lock held a cutter mid-update: start anew rather than trust it.
        let mut guard = self.cutter.lock().unwrap_or_else(|poisoned| {
            let mut guard = poisoned.into_inner();
            *guard = None;
            guard
        });
        if guard.as_ref().is_some_and(|c| c.words > MOST_CUTTER_WORDS) {
            *guard = None;
        }
        let cutter = guard.get_or_insert_with(|| Cutter {
            jieba: Jieba::empty(),
            words: 0,
            sum: 0,
        });
        for (word, freq) in self.words_in(folded) {
            if !cutter.jieba.has_word(&word) {
                cutter.jieba.add_word(&word, Some(freq as usize), None);
                cutter.words += 1;
                cutter.sum += freq;
            }
        }
        let rest = self.total.saturating_sub(cutter.sum);
        cutter.jieba.add_word(PADDING, Some(rest as usize), None);
        cutter
            .jieba
            .cut(folded, true)
            .iter()
            .map(|token| (token.start, token.end))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{Analyzer, UserDict, fold_str};

    const SEED: &str = include_str!("../../seeds/000_bbb0717566f56162.txt");

    /// Sentences, run-together words, questions and odd strings.
    fn samples() -> Vec<String> {
        let mut samples: Vec<String> = [
            "高新区安置房",
            "安置房什么时候建成",
            "智慧产业发展",
            "郑州高新区排名",
            "国务院第二次大督查综述出实招",
            "我们要提高科技水平",
            "中国人民银行发布数据",
            "iPhone手机5G网络COVID-19疫情",
            "穿着和服的样子很美",
            "政府管理和服务水平",
            "",
            "a",
            "。",
        ]
        .map(String::from)
        .to_vec();
        samples.extend(SEED.lines().map(String::from));
        samples.iter().map(|s| fold_str(s)).collect()
    }

    fn full_cut(analyzer: &Analyzer, folded: &str) -> Vec<(usize, usize)> {
        analyzer
            .words(folded)
            .iter()
            .map(|t| (t.start, t.end))
            .collect()
    }

    #[test]
    fn the_small_jieba_cuts_as_the_whole_dictionary_does() {
        let analyzer = crate::analysis::tests::analyzer();
        let dictionary = Dictionary::new(&UserWords::default());
        for sample in samples() {
            assert_eq!(
                dictionary.cut(&sample),
                full_cut(analyzer, &sample),
                "{sample}"
            );
        }
        // One jieba cut them all, holding the words of every sample before each.
        let cutter = dictionary.cutter.lock().unwrap();
        assert!(cutter.as_ref().is_some_and(|c| c.words > 500));
    }

    #[test]
    fn user_words_resolve_as_jieba_adds_them() {
        let text = "高科技\n郑洛新 100 ns\n高新区安置 n\n科技水平\n高科技 7\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dict.txt");
        std::fs::write(&path, text).unwrap();
        let dict = UserDict::read(&path);
        let analyzer = Analyzer::new(&dict);
        let user = UserWords::resolve(&dict.entries);
        assert_eq!(user.words.len(), 4, "{user:?}");
        assert_eq!(user.words[3], ("科技水平".to_string(), user.words[3].1));
        assert!(user.words.iter().any(|(w, f)| w == "高科技" && *f == 7));
        let dictionary = Dictionary::new(&user);
        let plain = Dictionary::new(&UserWords::default());
        let mut changed = 0;
        for sample in samples() {
            let cut = dictionary.cut(&sample);
            assert_eq!(cut, full_cut(&analyzer, &sample), "{sample}");
            changed += usize::from(cut != plain.cut(&sample));
        }
        // The user words must change some cuts, or the test shows nothing.
        assert!(changed > 0);
    }
}
