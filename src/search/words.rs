//! Reading a query as words, the way people type: `高新区安置房` is 高新区 and 安置房, and
//! `安置房什么时候建成` is 安置房 and 建成. Each unquoted term is cut into jieba's words (the
//! index's dictionary, `dict.txt` included, see [`Dictionary`]); punctuation and the words in
//! `stopwords.txt` (particles, pronouns, question words, …) are dropped, unless nothing else is
//! left. A quoted term, an `OR` group and a term of `synonyms.txt` stay whole. Every word is
//! still matched as a string, so no difference between how jieba cuts the query and the text
//! loses a passage.

use std::collections::HashSet;
use std::sync::OnceLock;

use super::Synonyms;
use super::query::{Literal, Query};
use crate::analysis::dictionary::Dictionary;
use crate::analysis::fold_str;
use crate::analysis::grams::gram_chars;

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

/// Joins each one-character word of a term to the word typed before or after it when the two
/// stand together somewhere in the corpus (`安置` + `房` = `安置房`, which jieba's dictionary
/// lacks): a lone character matches nearly every article. Of two such joins, the one more
/// passages hold wins. `passages` tells how many passages hold a string, at most.
fn join_characters(
    chars: &[char],
    mut words: Vec<(usize, usize)>,
    passages: &dyn Fn(&[char]) -> u64,
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
            .filter(|&(_, prev_end)| prev_end == start)
            .map(|(prev_start, _)| passages(&chars[prev_start..end]))
            .unwrap_or(0);
        let after = words
            .get(i + 1)
            .filter(|&&(next_start, _)| next_start == end)
            .map(|&(_, next_end)| passages(&chars[start..next_end]))
            .unwrap_or(0);
        if before > 0 && before >= after {
            words[i - 1].1 = end;
            words.remove(i);
        } else if after > 0 {
            words[i + 1].0 = start;
            words.remove(i);
        } else {
            i += 1;
        }
    }
    words
}

/// Reads `query` as words (see the module documentation). `passages` tells how many passages
/// hold a string, at most (see [`join_characters`]).
pub(crate) fn read(
    query: &Query,
    dictionary: &Dictionary,
    synonyms: &Synonyms,
    passages: &dyn Fn(&[char]) -> u64,
) -> Reading {
    let mut reading = Reading::default();
    for (term, group) in query.groups.iter().enumerate() {
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
            continue;
        };
        if literal.quoted || !synonyms.expand(&literal.folded()).is_empty() {
            push(&mut reading.words, whole());
            continue;
        }
        let text = literal.folded();
        let chars: Vec<char> = text.chars().collect();
        let content: Vec<(usize, usize)> = dictionary
            .cut(&text)
            .into_iter()
            .filter(|&(start, end)| {
                let word: String = chars[start..end].iter().collect();
                word.chars().any(char::is_alphanumeric) && !is_stopword(&word)
            })
            .collect();
        let mut words = join_characters(&chars, content, passages);
        if words.is_empty() {
            // Only function words (`的`, `什么`): the term is its own word.
            push(&mut reading.words, whole());
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
            let forms = std::iter::once(gram_chars(&word))
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
    }
    reading
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

    /// Every string of two or more characters is in the corpus; no single character is.
    fn in_corpus(chars: &[char]) -> u64 {
        u64::from(chars.len() > 1)
    }

    fn words(query: &str) -> (Vec<String>, bool) {
        let dictionary = Dictionary::new(&UserWords::default());
        let reading = read(
            &parse(query).unwrap(),
            &dictionary,
            &Synonyms::default(),
            &in_corpus,
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
        let reading = read(
            &parse("自创区").unwrap(),
            &dictionary,
            &synonyms,
            &in_corpus,
        );
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
            &in_corpus,
        );
        let joined: Vec<bool> = reading.words.iter().map(|w| w.joined_to_next).collect();
        assert_eq!(joined, [true, false, false]);
        // A dropped function word between two words parts them.
        let reading = read(
            &parse("安置房什么时候建成").unwrap(),
            &dictionary,
            &Synonyms::default(),
            &in_corpus,
        );
        assert!(reading.words.iter().all(|w| !w.joined_to_next));
    }

    #[test]
    fn a_lone_character_joins_the_word_it_stands_with_in_the_corpus() {
        let chars: Vec<char> = "大督查出实招".chars().collect();
        // 大|督查|出|实招: 大 joins 督查; 出 joins the neighbour more passages hold.
        let more_after = |s: &[char]| match s.iter().collect::<String>().as_str() {
            "督查出" => 2,
            "出实招" => 5,
            _ => u64::from(s.len() > 1),
        };
        let joined = join_characters(&chars, vec![(0, 1), (1, 3), (3, 4), (4, 6)], &more_after);
        assert_eq!(joined, [(0, 3), (3, 6)]);
        // Nothing to join with in the corpus: the character stays a word.
        let nowhere = |_: &[char]| 0;
        assert_eq!(
            join_characters(&chars, vec![(0, 1), (1, 3)], &nowhere).len(),
            2
        );
        // Not typed together: not joined.
        assert_eq!(
            join_characters(&chars, vec![(0, 1), (2, 3)], &more_after),
            [(0, 1), (2, 3)]
        );
    }

    #[test]
    fn the_stopword_list_reads_folded_words() {
        assert!(is_stopword("什么") && is_stopword("的") && is_stopword("为什么"));
        assert!(!is_stopword("安置房") && !is_stopword("#"));
    }
}
