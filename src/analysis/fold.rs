//! Folding: the one normal form text and queries are compared in. Width and compatibility forms
//! (NFKC: `ＡＢＣ１２３` → `ABC123`, `（` → `(`), Latin case, and traditional → simplified Chinese
//! (fast2s, MIT). Every folded character remembers the original bytes it came from, so hits found
//! in folded text are highlighted on the characters the reader sees.

use unicode_normalization::UnicodeNormalization;

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

/// Folds one character into `out`: NFKC, then lower case.
fn fold_char_into(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
        // The CJK Unified Ideographs block has no compatibility decompositions: skip NFKC.
        out.push(c);
    } else {
        for n in std::iter::once(c).nfkc() {
            out.extend(n.to_lowercase());
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
    // fast2s converts character for character (looking at neighbours for context), so the
    // origin map stays aligned.
    let text = fast2s::convert(&text);
    debug_assert_eq!(text.chars().count(), origin.len());
    Folded { text, origin }
}

/// Folds a string when no map back is needed (queries, dictionary words, synonyms).
pub fn fold_str(original: &str) -> String {
    let mut text = String::with_capacity(original.len());
    for c in original.chars() {
        fold_char_into(c, &mut text);
    }
    fast2s::convert(&text)
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
    fn fold_and_fold_str_agree() {
        let original = "郑州高新區ＣＥＯ說：“2.0版”";
        assert_eq!(fold(original).text, fold_str(original));
    }
}
