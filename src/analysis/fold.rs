//! Folding: the one normal form text and queries are compared in. Width and compatibility forms
//! (NFKC: `ＡＢＣ１２３` → `ABC123`, `（` → `(`), Latin case, and traditional → simplified Chinese
//! (fast2s, MIT). Every folded character remembers the original bytes it came from, so hits found
//! in folded text are highlighted on the characters the reader sees.
//!
//! Folding goes character by character, never looking at neighbours: then a text that contains
//! a string still contains it once both are folded, which grep-complete recall rests on. (fast2s
//! on its own keeps `乾` in `乾隆` but folds a lone `乾` to `干`; a query `乾` would then miss
//! `乾隆`.)

use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

/// The first and last characters fast2s may convert (it leaves all others alone).
const T2S_FIRST: u32 = 0x0800;
const T2S_LAST: u32 = 0xFFFF;

/// Per-character conversions, tabulated once for processes that fold a lot of text.
static T2S_TABLE: OnceLock<Vec<char>> = OnceLock::new();

/// Characters fast2s converts only in some contexts that are also standard simplified
/// characters (`乾隆`, `覆盖`, `瞭望`, `狼藉`, `什麽`/`幺`): converted out of context they would
/// fold a common simplified character (`干`, `复`) onto them, and a search for `覆` would bring
/// every `复`. They are left as they are.
const KEPT: &[char] = &['乾', '覆', '瞭', '藉', '麽', '幺'];

/// Traditional → simplified for one character, out of context.
fn t2s_alone(c: char) -> char {
    if KEPT.contains(&c) {
        return c;
    }
    let mut buf = [0u8; 4];
    fast2s::convert(c.encode_utf8(&mut buf))
        .chars()
        .next()
        .unwrap_or(c)
}

fn t2s(c: char) -> char {
    let code = c as u32;
    if !(T2S_FIRST..=T2S_LAST).contains(&code) {
        return c;
    }
    match T2S_TABLE.get() {
        Some(table) => table[(code - T2S_FIRST) as usize],
        None => t2s_alone(c),
    }
}

/// Tabulates the character conversions (a few milliseconds), so that folding a corpus does not
/// call fast2s for every character. Folding gives the same result with or without it.
pub fn prepare() {
    T2S_TABLE.get_or_init(|| {
        (T2S_FIRST..=T2S_LAST)
            .map(|code| char::from_u32(code).map_or('\u{FFFD}', t2s_alone))
            .collect()
    });
}

/// Folded text with a map back to the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folded {
    /// The folded text.
    pub text: String,
    /// For each character of `text`, the byte range in the original it was folded from.
    /// Several folded characters may share one original range (`㎡` → `m2`).
    pub origin: Vec<(usize, usize)>,
}

impl Folded {
    /// The original byte range covered by folded characters `start..end` (character indices).
    pub fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        debug_assert!(start < end && end <= self.origin.len());
        (self.origin[start].0, self.origin[end - 1].1)
    }
}

/// Folds one character into `out`: NFKC, lower case, then traditional → simplified.
fn fold_char_into(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
        // The CJK Unified Ideographs block has no compatibility decompositions: skip NFKC.
        out.push(t2s(c));
    } else {
        for n in std::iter::once(c).nfkc() {
            for lower in n.to_lowercase() {
                out.push(t2s(lower));
            }
        }
    }
}

/// Folds `original`, keeping for each folded character where it came from.
pub fn fold(original: &str) -> Folded {
    let mut text = String::with_capacity(original.len());
    let mut origin = Vec::with_capacity(original.len() / 2);
    let mut buf = String::new();
    for (byte, c) in original.char_indices() {
        buf.clear();
        fold_char_into(c, &mut buf);
        let range = (byte, byte + c.len_utf8());
        origin.extend(std::iter::repeat_n(range, buf.chars().count()));
        text.push_str(&buf);
    }
    debug_assert_eq!(text.chars().count(), origin.len());
    Folded { text, origin }
}

/// Folds a string when no map back is needed (queries, dictionary words, synonyms).
pub fn fold_str(original: &str) -> String {
    let mut text = String::with_capacity(original.len());
    for c in original.chars() {
        fold_char_into(c, &mut text);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_case_and_script_are_folded() {
        assert_eq!(fold_str("ＡＢＣ１２３"), "abc123");
        assert_eq!(fold_str("（扩大）"), "(扩大)");
        assert_eq!(fold_str("COVID-19"), "covid-19");
        assert_eq!(fold_str("智慧產業"), "智慧产业");
        assert_eq!(fold_str("棚戶區改造"), "棚户区改造");
        assert_eq!(fold_str("\u{3000}"), " ");
    }

    #[test]
    fn offsets_point_back_into_multibyte_originals() {
        let original = "（扩大）ＡＢ㎡產業";
        let folded = fold(original);
        assert_eq!(folded.text, "(扩大)abm2产业");
        let chars: Vec<char> = folded.text.chars().collect();
        assert_eq!(chars.len(), folded.origin.len());
        // `扩大` is folded chars 1..3 and original bytes 3..9.
        let (s, e) = folded.original_range(1, 3);
        assert_eq!(&original[s..e], "扩大");
        // Both characters of `m2` come from `㎡`.
        let (s, e) = folded.original_range(6, 8);
        assert_eq!(&original[s..e], "㎡");
        let (s, e) = folded.original_range(8, 10);
        assert_eq!(&original[s..e], "產業");
    }

    #[test]
    fn folding_ignores_context_so_containment_survives_it() {
        // fast2s alone keeps 乾 in 乾隆 and folds a lone 乾 to 干; 畫 becomes 划 in 計畫 and 画
        // elsewhere. Folded per character, a text still contains what it contained.
        for (text, part) in [("乾隆年间", "乾"), ("計畫書", "畫"), ("覆盖面", "覆")] {
            let folded = fold_str(text);
            assert!(folded.contains(&fold_str(part)), "{text} / {part}");
            assert_eq!(fold(text).text, folded);
        }
        // Simplified characters fast2s converts only in context stay themselves.
        assert_eq!(fold_str("乾覆"), "乾覆");
        assert_eq!(fold_str("於畫"), "于画");
    }

    #[test]
    fn the_table_agrees_with_converting_each_character() {
        prepare();
        for code in (T2S_FIRST..=T2S_LAST).step_by(7) {
            if let Some(c) = char::from_u32(code) {
                assert_eq!(t2s(c), t2s_alone(c), "U+{code:04X}");
            }
        }
    }

    #[test]
    fn fold_and_fold_str_agree() {
        let original = "郑州高新區ＣＥＯ說：“2.0版”";
        assert_eq!(fold(original).text, fold_str(original));
    }
}
