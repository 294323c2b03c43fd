//! Toneless pinyin, for reading what people mistype: a homophone typo (整型医院 for 整形医院)
//! and a query typed in pinyin (`zhengxingyiyuan`). Readings come from the `pinyin` crate (every
//! reading of a heteronym, 行 → xing, hang); `ü` is written `v`, as input methods take it.
//! A word's key is its syllables joined by spaces (`zheng xing`).

pub use super::readings::char_readings;

/// At most this many keys for one word: combinations of its characters' readings.
const MOST_READINGS: usize = 4;
/// Readings of one character used in a word's keys: its commonest (the pinyin data lists
/// them commonest first). 和 has six, most of them rare; two keep 行 (xing, hang).
const READINGS_PER_CHAR: usize = 2;

/// The keys of `word` (`整形` → `zheng xing`): one per combination of its characters'
/// readings, at most [`MOST_READINGS`]; none when a character has no reading.
pub fn keys(word: &str) -> Vec<String> {
    keys_joined(word, " ")
}

/// The keys of `word` as the index stores them (see [`stored`]), in the order of [`keys`].
pub fn stored_keys(word: &str) -> Vec<String> {
    keys_joined(word, "")
}

/// The keys of `word`, their syllables joined by `separator`.
fn keys_joined(word: &str, separator: &str) -> Vec<String> {
    let mut keys = vec![String::new()];
    for c in word.chars() {
        let next = with_readings(c, |readings| {
            let readings = &readings[..readings.len().min(READINGS_PER_CHAR)];
            let mut next = Vec::with_capacity((keys.len() * readings.len()).min(MOST_READINGS));
            for key in &keys {
                for reading in readings {
                    if next.len() >= MOST_READINGS {
                        break;
                    }
                    let mut longer = String::with_capacity(key.len() + 24);
                    longer.push_str(key);
                    if !longer.is_empty() {
                        longer.push_str(separator);
                    }
                    longer.push_str(reading);
                    next.push(longer);
                }
            }
            next
        });
        // No reading for a character: no key for the word.
        if next.is_empty() {
            return Vec::new();
        }
        keys = next;
    }
    keys
}

/// Calls `f` with the readings of `c`: from the table `build.rs` made, for the characters it
/// holds; from the pinyin data for the others (the rare extension blocks).
fn with_readings<R>(c: char, f: impl FnOnce(&[&str]) -> R) -> R {
    let tabled = (c as usize)
        .checked_sub(0x4E00)
        .and_then(|at| CHAR_READINGS.get(at));
    match tabled {
        Some(readings) => f(readings),
        None => {
            let readings = char_readings(c);
            let readings: Vec<&str> = readings.iter().map(AsRef::as_ref).collect();
            f(&readings)
        }
    }
}

/// Whether `word` is a word whose pinyin is kept: two to six Chinese characters.
pub fn is_kept_word(word: &str) -> bool {
    let count = word.chars().count();
    (2..=6).contains(&count) && word.chars().all(is_han)
}

/// A key as the index stores it: its syllables run together (`zhengxing`), which is shorter
/// and as good for looking a word up by its whole pinyin.
pub fn stored(key: &str) -> String {
    key.replace(' ', "")
}

/// Whether `c` is a Chinese character (the CJK blocks the pinyin data covers).
pub fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

include!(concat!(env!("OUT_DIR"), "/syllables.rs"));

/// The characters of the CJK Unified Ideographs block that read as `syllable` (tabulated from
/// the `pinyin` data by `build.rs`), each with whether it is the character's commonest reading.
pub fn chars_reading(syllable: &str) -> &'static [(char, bool)] {
    SYLLABLES
        .binary_search_by(|(s, _)| (*s).cmp(syllable))
        .map_or(&[], |at| SYLLABLES[at].1)
}

/// Whether `syllable` is a pinyin syllable.
pub fn is_syllable(syllable: &str) -> bool {
    SYLLABLES
        .binary_search_by(|(s, _)| (*s).cmp(syllable))
        .is_ok()
}

/// The ways `typed` splits into pinyin syllables, fewest syllables first, at most `most`:
/// `xian` is `xian` and `xi an`; apostrophes and spaces split where they stand
/// (`xi'an`), tone digits are dropped (`an4zhi4fang2`), case does not matter. Empty when
/// `typed` is no pinyin.
pub fn split(typed: &str, most: usize) -> Vec<Vec<String>> {
    let lower = typed.to_lowercase();
    let mut parts: Vec<String> = Vec::new();
    for part in lower.split(['\'', ' ', '’']) {
        let letters: String = part.chars().filter(|c| !c.is_ascii_digit()).collect();
        // Tone digits only at syllable ends: `a1b` is not `ab`.
        if part.chars().any(|c| !c.is_ascii_alphanumeric()) || letters.is_empty() {
            if part.is_empty() {
                continue;
            }
            return Vec::new();
        }
        parts.push(part.to_string());
    }
    if parts.is_empty() {
        return Vec::new();
    }
    // Each part splits on its own; the splits of all parts are combined.
    let mut all: Vec<Vec<String>> = vec![Vec::new()];
    for part in &parts {
        let splits = split_part(part, most);
        if splits.is_empty() {
            return Vec::new();
        }
        let mut next = Vec::new();
        for head in &all {
            for tail in &splits {
                if next.len() < most {
                    next.push([head.clone(), tail.clone()].concat());
                }
            }
        }
        all = next;
    }
    all.sort_by_key(Vec::len);
    all
}

/// The splits of one part (letters, perhaps with a tone digit after each syllable).
fn split_part(part: &str, most: usize) -> Vec<Vec<String>> {
    let chars: Vec<char> = part.chars().collect();
    let mut out = Vec::new();
    let mut stack: Vec<(usize, Vec<String>)> = vec![(0, Vec::new())];
    while let Some((at, done)) = stack.pop() {
        if out.len() >= most * 4 {
            break;
        }
        if at == chars.len() {
            out.push(done);
            continue;
        }
        // The longest syllables first: pinyin syllables are at most six letters.
        for end in (at + 1..=(at + 6).min(chars.len())).rev() {
            let syllable: String = chars[at..end].iter().collect();
            if !is_syllable(&syllable) {
                continue;
            }
            let mut next = end;
            if chars.get(next).is_some_and(|c| ('1'..='5').contains(c)) {
                next += 1;
            }
            if chars[next.min(chars.len())..]
                .first()
                .is_some_and(char::is_ascii_digit)
            {
                continue;
            }
            let mut longer = done.clone();
            longer.push(syllable);
            stack.push((next, longer));
        }
    }
    out.sort_by_key(Vec::len);
    out.truncate(most);
    out
}

/// Keys an input method's usual confusions make of `key` (z/zh, c/ch, s/sh, n/l, an/ang,
/// en/eng, in/ing), one syllable changed at a time then two, at most `most`; only keys whose
/// every syllable is one.
pub fn confusions(key: &str, most: usize) -> Vec<String> {
    let syllables: Vec<&str> = key.split(' ').collect();
    let variants: Vec<Vec<String>> = syllables
        .iter()
        .map(|s| {
            syllable_confusions(s)
                .into_iter()
                .filter(|v| is_syllable(v))
                .collect()
        })
        .collect();
    let mut out: Vec<String> = Vec::new();
    let join = |parts: &[String]| parts.join(" ");
    let base: Vec<String> = syllables.iter().map(|s| s.to_string()).collect();
    for (i, options) in variants.iter().enumerate() {
        for option in options {
            let mut changed = base.clone();
            changed[i] = option.clone();
            out.push(join(&changed));
        }
    }
    for (i, first) in variants.iter().enumerate() {
        for (j, second) in variants.iter().enumerate().skip(i + 1) {
            for a in first {
                for b in second {
                    let mut changed = base.clone();
                    changed[i] = a.clone();
                    changed[j] = b.clone();
                    out.push(join(&changed));
                }
            }
        }
    }
    out.dedup();
    out.truncate(most);
    out
}

/// The syllables one confusion away from `syllable` (not all of them are syllables).
fn syllable_confusions(syllable: &str) -> Vec<String> {
    let initial_len = ["zh", "ch", "sh"]
        .iter()
        .find(|i| syllable.starts_with(*i))
        .map(|i| i.len())
        .or_else(|| {
            syllable
                .chars()
                .next()
                .filter(|c| "bpmfdtnlgkhjqxrzcsyw".contains(*c))
                .map(|_| 1)
        })
        .unwrap_or(0);
    let (initial, rest) = syllable.split_at(initial_len);
    let initials: &[&str] = match initial {
        "z" => &["zh"],
        "zh" => &["z"],
        "c" => &["ch"],
        "ch" => &["c"],
        "s" => &["sh"],
        "sh" => &["s"],
        "n" => &["l"],
        "l" => &["n"],
        _ => &[],
    };
    let mut out: Vec<String> = initials.iter().map(|i| format!("{i}{rest}")).collect();
    for (from, to) in [("ang", "an"), ("eng", "en"), ("ing", "in")] {
        if let Some(stem) = rest.strip_suffix(from) {
            out.push(format!("{initial}{stem}{to}"));
        } else if let Some(stem) = rest.strip_suffix(to) {
            out.push(format!("{initial}{stem}{from}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_have_every_reading_of_their_characters() {
        assert_eq!(keys("整形"), ["zheng xing"]);
        assert!(keys("银行").contains(&"yin hang".to_string()));
        assert!(keys("行业").contains(&"hang ye".to_string()));
        assert!(keys("女子").contains(&"nv zi".to_string()));
        assert!(keys("abc").is_empty());
        assert!(is_kept_word("整形医院") && !is_kept_word("房") && !is_kept_word("iPhone"));
        assert_eq!(stored_keys("银行"), ["yinxing", "yinhang"]);
        // Outside the table's block: from the pinyin data.
        assert_eq!(
            keys("㐀㐀").len(),
            usize::from(!char_readings('㐀').is_empty())
        );
    }

    #[test]
    fn the_table_holds_the_pinyin_datas_readings() {
        let mut tabled = 0;
        for c in '\u{4E00}'..='\u{9FFF}' {
            let data = char_readings(c);
            let data: Vec<&str> = data.iter().map(AsRef::as_ref).collect();
            with_readings(c, |readings| assert_eq!(readings, data.as_slice(), "{c}"));
            tabled += usize::from(!data.is_empty());
        }
        assert!(tabled > 20_000, "{tabled}");
    }

    #[test]
    fn latin_splits_into_syllables_or_not_at_all() {
        assert!(split("zhengxingyiyuan", 8).contains(&vec![
            "zheng".to_string(),
            "xing".into(),
            "yi".into(),
            "yuan".into()
        ]));
        let xian = split("xian", 8);
        assert_eq!(xian[0], ["xian"]);
        assert!(xian.contains(&vec!["xi".to_string(), "an".into()]));
        assert_eq!(split("xi'an", 8), [["xi", "an"]]);
        assert_eq!(split("an4zhi4fang2", 8)[0], ["an", "zhi", "fang"]);
        assert_eq!(split("An Zhi Fang", 8)[0], ["an", "zhi", "fang"]);
        assert!(split("iphone", 8).is_empty());
        // (`ceo` splits, as 策哦: that the corpus holds CEO keeps it a Latin word.)
        assert!(!split("ceo", 8).is_empty());
        assert!(split("qwrt", 8).is_empty());
    }

    #[test]
    fn confusions_are_the_input_methods() {
        let near = confusions("zu zhou", 32);
        assert!(near.contains(&"zhu zhou".to_string()), "{near:?}");
        assert!(near.contains(&"zhu zou".to_string()), "{near:?}");
        let near = confusions("xin de li", 32);
        assert!(near.contains(&"xing de li".to_string()), "{near:?}");
        assert!(near.contains(&"xin de ni".to_string()), "{near:?}");
        assert!(confusions("lan", 8).contains(&"nan".to_string()));
        assert!(confusions("lan", 8).contains(&"lang".to_string()));
        assert!(confusions("lang", 8).contains(&"lan".to_string()));
    }
}
