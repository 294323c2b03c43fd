//! Reading what people mistype. Chinese is typed through pinyin, so the commonest typo is a
//! homophone — the right syllables, the wrong characters: 整型医院 for 整形医院, 欣德里 for
//! 新德里. And people who do not know the characters type the pinyin (`zhengxingyiyuan`).
//! Both are read against the corpus words the index keeps by pinyin (see
//! [`crate::index::sidecar::keep_pinyin`]); every candidate is checked against the index, so
//! what a typo is read as is something a passage holds.
//!
//! A correction adds, it never hides: a term whose string some passages hold is left as typed
//! unless they are very few and its homophone stands, in the same term, far more often; the
//! typed string stays a form of the word it was read as, and as written it still ranks first.

use std::collections::HashMap;

use super::words::{Corpus, Followers};
use crate::analysis::pinyin;

/// A term held by at most this many passages may be a typo; one held by more is a real word.
const RARE: u64 = 2;
/// A rare term is read as its homophone only when that stands this many times as often.
const MORE_COMMON: u64 = 20;
/// Splits of a Latin term into syllables tried.
const MOST_SPLITS: usize = 6;
/// Confusions of a key tried when no word has the key itself.
const MOST_CONFUSIONS: usize = 24;
/// Other readings of a typo kept beside the best.
const MOST_ALTERNATIVES: usize = 8;
/// Homophone candidates are counted up to this many passages, then rank by estimate.
const COUNTED: u64 = 200;
/// Partial readings kept while a Latin term is read syllable by syllable.
const BEAM: usize = 12;
/// Partial readings asked whether they stand together, the commonest first, for each syllable:
/// past a few dozen, the pairs that stand somewhere rarely make a string that does (of 795
/// extensions of 整形 + `yi`, the two kept were the 10th and 51st asked), and each asks a
/// phrase query.
const MOST_ASKED: usize = 64;

/// What a typed string was read as, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    /// What was typed (folded).
    pub typed: String,
    /// What it was read as.
    pub read: String,
    /// Why: `same pinyin`, `similar pinyin` (an input method's usual confusion: z/zh, n/l,
    /// an/ang…) or `pinyin` (a Latin term read as the words it spells).
    pub why: &'static str,
}

/// A term read anew: its characters, and what was corrected in them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reread {
    pub chars: Vec<char>,
    /// The term as typed and as read.
    pub correction: Correction,
    /// The string that was replaced (`整型` of `整型医院`), and what replaced it (`整形`); for
    /// a term read from pinyin, nothing typed and the whole reading.
    pub replaced: (Vec<char>, String),
    /// The replaced string, when some passages hold it: it stays a form of the word read.
    pub typed_held: bool,
    /// Other readings of the replaced string (or of a term read from pinyin), best first: they
    /// count as the word too, and the rarer a word the higher its hits rank.
    pub alternatives: Vec<String>,
}

/// How a term is cut into words, as character ranges (see [`super::words`]).
pub(crate) type WordsOf<'a> = dyn Fn(&[char]) -> Vec<(usize, usize)> + 'a;

/// `chars`, a Chinese term, read as the homophone the corpus holds, when it looks mistyped:
/// no passage holds it (or very few do, while its homophone stands in the same term far more
/// often), and some span of it has the pinyin of a corpus word that, put in its place, stands
/// as a word of the term. Spans that the corpus holds are real words and stay.
pub(crate) fn homophone(
    chars: &[char],
    corpus: &dyn Corpus,
    words_of: &WordsOf<'_>,
    dictionary_words: &WordsOf<'_>,
    in_dictionary: &dyn Fn(&[char]) -> bool,
) -> Option<Reread> {
    if chars.len() < 2 || !chars.iter().all(|&c| pinyin::is_han(c)) {
        return None;
    }
    // The term and its dictionary words are asked next, in one question when each is a round trip.
    let dictionary_cut = dictionary_words(chars);
    corpus.count_ahead(
        std::iter::once((0, chars.len()))
            .chain(dictionary_cut.iter().copied())
            .map(|(start, end)| chars[start..end].to_vec())
            .collect(),
    );
    let held = corpus.passages_up_to(chars, RARE + 1);
    if held > RARE {
        return None;
    }
    // The words of the term as typed that are dictionary words the corpus holds are real (as
    // the dictionary cuts it, before lone characters join a neighbour): a span that cuts one
    // (房什 across 安置 | 房 | 什么时候, 套山 across 套 | 山边) is no typo.
    let real: Vec<(usize, usize)> = dictionary_cut
        .into_iter()
        .filter(|&(start, end)| {
            let word = &chars[start..end];
            in_dictionary(word) && corpus.holds(word)
        })
        .collect();

    // Best first: the corrected term stands as typed somewhere, the same pinyin (not a
    // confusion), a longer span, more characters kept, a commoner word.
    type Rank = (bool, bool, usize, usize, u64);
    let mut accepted: Vec<(Rank, usize, usize, Vec<char>, bool, bool)> = Vec::new();
    let cuts_a_word = |at: usize, len: usize| {
        real.iter()
            .any(|&(start, end)| start < at + len && at < end && !(at <= start && end <= at + len))
    };
    let lengths = || (2..=chars.len().min(8)).rev();
    let starts = |len: usize| (0..=chars.len() - len).filter(move |&at| !cuts_a_word(at, len));
    corpus.count_ahead(
        lengths()
            .flat_map(|len| starts(len).map(move |at| chars[at..at + len].to_vec()))
            .collect(),
    );
    let fixed_with = |at: usize, word: &[char]| {
        let mut fixed = chars.to_vec();
        fixed.splice(at..at + word.len(), word.iter().copied());
        fixed
    };
    for len in lengths() {
        for at in starts(len) {
            let span = &chars[at..at + len];
            let span_held = if len == chars.len() {
                held
            } else {
                corpus.passages_up_to(span, RARE + 1)
            };
            if span_held > RARE {
                continue;
            }
            let span_text: String = span.iter().collect();
            let keys = pinyin::keys(&span_text);
            let mut found: Vec<(String, bool)> = Vec::new();
            for key in &keys {
                found.extend(corpus.words_with_key(key).into_iter().map(|w| (w, true)));
            }
            if found.iter().all(|(w, _)| *w == span_text) {
                for key in &keys {
                    for near in pinyin::confusions(key, MOST_CONFUSIONS) {
                        found.extend(corpus.words_with_key(&near).into_iter().map(|w| (w, false)));
                    }
                }
            }
            // A string the query holds as typed is read anew only for a far commoner one.
            let needed = if held > 0 {
                MORE_COMMON * span_held.max(1)
            } else {
                1
            };
            // Each reading's term as a whole is asked whether it stands as typed somewhere.
            corpus.count_ahead(
                found
                    .iter()
                    .map(|(word, _)| word.chars().collect::<Vec<char>>())
                    .filter(|word| word.len() == len && len < chars.len() && word[..] != span[..])
                    .map(|word| fixed_with(at, &word))
                    .collect(),
            );
            for (word, exact) in found {
                let word_chars: Vec<char> = word.chars().collect();
                if word == span_text || word_chars.len() != len {
                    continue;
                }
                // Counted as far as ranking needs: past it, commoner words rank by estimate
                // (the rarest bigram's passages, exact for a word of two characters), not as
                // ties (画院 and 花园 both past the count on a large corpus).
                let word_held = match corpus.passages_at_most(&word_chars) {
                    0 => 0,
                    estimate => {
                        let counted_to = needed.max(COUNTED);
                        match corpus.passages_up_to(&word_chars, counted_to) {
                            counted if counted < counted_to => counted,
                            _ => estimate,
                        }
                    }
                };
                if word_held == 0 || word_held < needed {
                    continue;
                }
                let fixed = fixed_with(at, &word_chars);
                let whole_held = len == chars.len() || corpus.holds(&fixed);

                // A rare string is a real one unless its homophone stands in the term; a span
                // must be a word of the term read anew (not 红民 across 蒋小红民汉).
                if !whole_held && (span_held > 0 || !words_of(&fixed).contains(&(at, at + len))) {
                    continue;
                }
                // A homophone typo is a character or two of a word, not all of it.
                let shared = span.iter().zip(&word_chars).filter(|(a, b)| a == b).count();
                if 2 * shared < len {
                    continue;
                }
                let penalty = keys
                    .iter()
                    .map(|key| secondary(&word, key))
                    .min()
                    .unwrap_or(0);
                let rank = (
                    whole_held,
                    exact,
                    len,
                    shared,
                    discounted(word_held, penalty),
                );
                accepted.push((rank, at, len, fixed, exact, span_held > 0));
            }
        }
        if !accepted.is_empty() {
            break;
        }
    }
    accepted.sort_by_key(|a| std::cmp::Reverse(a.0));
    let mut accepted = accepted.into_iter();
    let (rank, at, len, fixed, exact, typed_held) = accepted.next()?;
    // The other words for the same characters, as good a kind of match.
    let read: String = fixed[at..at + len].iter().collect();
    let mut alternatives: Vec<String> = Vec::new();
    for other in accepted {
        let same_kind = other.1 == at && other.2 == len && other.4 == exact && other.0.0 == rank.0;
        let word: String = other.3[at..at + len].iter().collect();
        if same_kind && word != read && !alternatives.contains(&word) {
            alternatives.push(word);
        }
    }
    alternatives.truncate(MOST_ALTERNATIVES);
    Some(Reread {
        correction: Correction {
            typed: chars.iter().collect(),
            read: fixed.iter().collect(),
            why: if exact {
                "same pinyin"
            } else {
                "similar pinyin"
            },
        },
        replaced: (
            chars[at..at + len].to_vec(),
            fixed[at..at + len].iter().collect(),
        ),
        chars: fixed,
        typed_held,
        alternatives,
    })
}

/// A Latin term read as the Chinese it spells in pinyin (`zhengxingyiyuan` → 整形医院), when it
/// splits into syllables and spells something the corpus holds: syllable by syllable, keeping
/// the readings whose characters stand together in some passage, the words of two syllables or
/// more among the corpus words, a single syllable as any character that reads so. The reading
/// held by the most passages wins. `None` when the term is no pinyin, or the corpus holds it as
/// a Latin word (`iphone`, `CEO`).
pub(crate) fn from_pinyin(typed: &str, corpus: &dyn Corpus) -> Option<Reread> {
    let letters: Vec<char> = typed.chars().filter(char::is_ascii_alphabetic).collect();
    // Marked as pinyin (`xi'an`, `an4zhi4fang2`, `an zhi fang`), or no word the corpus holds.
    let marked = typed.contains(['\'', ' ']) || typed.chars().any(|c| c.is_ascii_digit());
    if letters.len() < 2 || (!marked && corpus.holds_as_word(&letters)) {
        return None;
    }
    let mut readings: Vec<Spelling> = Vec::new();
    for syllables in pinyin::split(typed, MOST_SPLITS) {
        if syllables.len() < 2 && letters.len() < 4 {
            continue;
        }
        for reading in spell(&syllables, corpus) {
            if !readings.iter().any(|r| r.chars == reading.chars) {
                readings.push(reading);
            }
        }
    }
    readings.sort_by(|a, b| {
        (b.as_word, b.passages)
            .cmp(&(a.as_word, a.passages))
            .then(a.chars.len().cmp(&b.chars.len()))
    });
    let mut readings = readings.into_iter();
    let Spelling { as_word, chars, .. } = readings.next()?;
    // Beside the best, the words every character of which reads so by its commonest reading
    // come first: 集解 for `jijie` before 几家 (家 read jie), however common that is.
    let mut alternatives: Vec<(bool, Vec<char>)> = readings
        .filter(|r| r.as_word == as_word && r.chars.len() == chars.len())
        .map(|r| (r.by_rare_reading, r.chars))
        .collect();
    alternatives.sort_by_key(|&(by_rare_reading, _)| by_rare_reading);
    let alternatives = alternatives
        .into_iter()
        .map(|(_, chars)| chars.iter().collect())
        .take(MOST_ALTERNATIVES)
        .collect();
    Some(Reread {
        correction: Correction {
            typed: typed.to_lowercase(),
            read: chars.iter().collect(),
            why: "pinyin",
        },
        replaced: (Vec::new(), chars.iter().collect()),
        chars,
        typed_held: false,
        alternatives,
    })
}

/// 1 when `key` reads `word` only by a reading other than each character's commonest
/// (董事 as zhongshi: 董 reads zhong rarely), else 0.
fn secondary(word: &str, key: &str) -> u32 {
    let first = pinyin::keys(word).into_iter().next().unwrap_or_default();
    u32::from(pinyin::stored(&first) != pinyin::stored(key))
}

/// `count` made ten times smaller for each word read by a rare reading: 银行 (hang, the second
/// reading of 行) still beats a rare word read by first readings, 董事 no longer beats 重视.
fn discounted(count: u64, penalties: u32) -> u64 {
    count / 10u64.saturating_pow(penalties).max(1)
}

/// A string the corpus holds that some pinyin spells.
struct Spelling {
    /// Whether it stands as a word of its own somewhere (安置房), not only inside longer ones.
    as_word: bool,
    /// How many passages hold it, ten times fewer for each word read by a rare reading.
    passages: u64,
    /// Whether some character or word of it is read by a reading other than its commonest.
    by_rare_reading: bool,
    chars: Vec<char>,
}

/// The strings the corpus holds whose pinyin is `syllables`, in the order they were found.
fn spell(syllables: &[String], corpus: &dyn Corpus) -> Vec<Spelling> {
    // (syllables read, characters, passages holding them, words read by a rare reading):
    // readings held as a whole only.
    let mut beam: Vec<(usize, Vec<char>, u64, u32)> = vec![(0, Vec::new(), u64::MAX, 0)];
    let mut done: Vec<(u64, Vec<char>, bool)> = Vec::new();
    // Which of a lone syllable's characters (any of a hundred) follow a reading's last
    // character, read at once for each character and syllable rather than pair by pair.
    let mut followers: HashMap<(char, usize), Option<Followers>> = HashMap::new();
    while !beam.is_empty() {
        let mut next: Vec<(usize, Vec<char>, u64, u32)> = Vec::new();
        for &(at, ref chars, _, penalties) in &beam {
            for take in 1..=(syllables.len() - at).min(6) {
                // A lone syllable is any of a hundred characters: it follows a word (安置 + 房),
                // never starts a reading of several.
                if take == 1 && chars.is_empty() && syllables.len() > 1 {
                    continue;
                }
                let key = syllables[at..at + take].join(" ");
                let options: Vec<(Vec<char>, u32)> = if take == 1 {
                    pinyin::chars_reading(&key)
                        .iter()
                        .map(|&(c, commonest)| (vec![c], u32::from(!commonest)))
                        .collect()
                } else {
                    corpus
                        .words_with_key(&key)
                        .into_iter()
                        .map(|w| {
                            let penalty = secondary(&w, &key);
                            (w.chars().collect(), penalty)
                        })
                        .collect()
                };
                let after = match (take, chars.last()) {
                    (1, Some(&last)) => followers
                        .entry((last, at))
                        .or_insert_with(|| {
                            let among: Vec<char> = options.iter().map(|(o, _)| o[0]).collect();
                            corpus.followers(last, &among)
                        })
                        .as_ref(),
                    _ => None,
                };
                for (option, penalty) in options {
                    let mut longer = chars.clone();
                    longer.extend(&option);
                    // What the reading so far holds is known: the new characters, from the
                    // last old one, are estimated first (a term lookup a bigram).
                    let new = &longer[chars.len().saturating_sub(1)..];
                    let count = match (after, new) {
                        (Some(after), [_, next]) => after.get(next).copied().unwrap_or(0),
                        _ => corpus.passages_at_most(new),
                    };
                    if count == 0 {
                        continue;
                    }
                    next.push((at + take, longer, count, penalties + penalty));
                }
            }
        }
        // Finished readings leave the beam; the rest keep the commonest. Whether a reading
        // stands together in some passage — a phrase lookup, the costly question, and most
        // readings of a syllable do not — is asked only of those that could be kept, best first.
        let (finished, mut going): (Vec<_>, Vec<_>) = next
            .into_iter()
            .partition(|(at, ..)| *at == syllables.len());
        // Ranked by the estimate, which bounds the passages from above (exact for two
        // characters): counting would cost a phrase lookup each.
        done.extend(finished.into_iter().map(|(_, chars, estimate, penalties)| {
            (discounted(estimate, penalties), chars, penalties > 0)
        }));
        going.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.len().cmp(&b.1.len())));
        let mut kept: Vec<(usize, Vec<char>, u64, u32)> = Vec::with_capacity(BEAM);
        let mut asked = 0;
        for candidate in going {
            if kept.len() == BEAM || asked == MOST_ASKED {
                break;
            }
            let repeated = kept.last().is_some_and(|last| last.1 == candidate.1);
            if repeated {
                continue;
            }
            if candidate.1.len() > 1 {
                asked += 1;
                if !corpus.holds(&candidate.1) {
                    continue;
                }
            }
            kept.push(candidate);
        }
        beam = kept;
    }
    // A reading that stands as a word of its own (安置房, cut 安置 | 房) beats one that stands
    // inside longer words (安置方 of 安置方案), then the commoner: the commonest held readings
    // are looked at until there are enough words of their own for a reading and its
    // alternatives; they are returned in the order they were found.
    let mut by_count: Vec<usize> = (0..done.len())
        .filter(|&i| done[i].0 > 0 && done[i].1.len() >= 2)
        .collect();
    by_count.sort_by_key(|&i| std::cmp::Reverse(done[i].0));
    // Readings by a rare reading of some character (几家 for `jijie`) are counted apart, so that
    // common ones of them do not crowd out rarer words read by the commonest readings (集解).
    let mut held: Vec<(usize, bool)> = Vec::new();
    let mut as_words = [0usize; 2];
    for i in by_count {
        let by_rare_reading = usize::from(done[i].2);
        if as_words[0] > MOST_ALTERNATIVES {
            break;
        }
        if as_words[by_rare_reading] > MOST_ALTERNATIVES || !corpus.holds(&done[i].1) {
            continue;
        }
        let as_word = corpus.holds_as_word(&done[i].1);
        as_words[by_rare_reading] += usize::from(as_word);
        held.push((i, as_word));
    }
    held.sort_unstable();
    held.into_iter()
        .map(|(i, as_word)| Spelling {
            as_word,
            passages: done[i].0,
            by_rare_reading: done[i].2,
            chars: done[i].1.clone(),
        })
        .collect()
}
