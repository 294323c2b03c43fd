//! Highlights and snippets: where the query's strings stand in a passage, in character offsets of
//! the text the reader sees, and a window of about 160 characters around them.
//!
//! Matching is the gram contract's ([`grams::find`]), exactly as the index matched, so every hit
//! the index found is highlighted (`智慧產業` lights up for `智慧产业`).

use crate::analysis::grams;

/// Characters in a snippet when the passage is longer.
pub const SNIPPET_CHARS: usize = 160;

/// Characters of context kept before the first highlight when the passage is cut.
const LEAD_CHARS: usize = 30;

/// [`Passage::find`] of `text` and `tail`, for tests.
#[cfg(test)]
pub fn find(text: &str, tail: &str, needles: &[Vec<char>]) -> Vec<(usize, usize)> {
    Passage::new(text, tail).find(needles)
}

/// A passage and its tail, folded once for the several finds a hit needs (its highlights,
/// then the match its snippet is placed at).
pub struct Passage {
    matcher: grams::Matcher,
    /// Byte offset in text + tail of each character.
    char_starts: Vec<usize>,
    text_chars: usize,
}

impl Passage {
    /// The passage `text`, followed by `tail`.
    pub fn new(text: &str, tail: &str) -> Self {
        let text_chars = text.chars().count();
        let whole = format!("{text}{tail}");
        Passage {
            matcher: grams::Matcher::new(&whole, text_chars),
            char_starts: whole.char_indices().map(|(b, _)| b).collect(),
            text_chars,
        }
    }

    /// Half-open character ranges in the text where any of `needles` (folded gram characters)
    /// stands, sorted and merged. A match that runs on into the tail (the text after the
    /// passage, see `corpus::Passage::tail`) is highlighted up to the passage's end.
    pub fn find(&self, needles: &[Vec<char>]) -> Vec<(usize, usize)> {
        let to_char = |byte: usize| self.char_starts.partition_point(|&b| b < byte);
        let ranges = self
            .matcher
            .find(needles)
            .into_iter()
            .map(|(from, to)| (to_char(from), to_char(to).min(self.text_chars)))
            .filter(|(start, end)| start < end)
            .collect();
        merge(ranges)
    }
}

fn merge(mut ranges: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

/// A window of a passage with its highlights.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snippet {
    /// The window's text: a substring of the passage.
    pub text: String,
    /// Half-open character ranges in `text`.
    pub highlights: Vec<(usize, usize)>,
    /// The window starts after the passage's start.
    pub cut_start: bool,
    /// The window ends before the passage's end.
    pub cut_end: bool,
}

/// The whole passage when it is short, otherwise `SNIPPET_CHARS` characters starting a little
/// before the first highlight.
#[cfg(test)]
pub fn snippet(text: &str, highlights: &[(usize, usize)]) -> Snippet {
    snippet_at(text, highlights, highlights.first().map_or(0, |h| h.0))
}

/// The whole passage when it is short, otherwise `SNIPPET_CHARS` characters starting a little
/// before the character at `anchor` (the match the snippet is for).
pub fn snippet_at(text: &str, highlights: &[(usize, usize)], anchor: usize) -> Snippet {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= SNIPPET_CHARS {
        return Snippet {
            text: text.to_string(),
            highlights: highlights.to_vec(),
            cut_start: false,
            cut_end: false,
        };
    }
    let first = anchor.min(chars.len());
    let end = (first.saturating_sub(LEAD_CHARS) + SNIPPET_CHARS).min(chars.len());
    let start = end - SNIPPET_CHARS;
    let shifted = highlights
        .iter()
        .filter(|&&(s, e)| e > start && s < end)
        .map(|&(s, e)| (s.max(start) - start, e.min(end) - start))
        .collect();
    Snippet {
        text: chars[start..end].iter().collect(),
        highlights: shifted,
        cut_start: start > 0,
        cut_end: end < chars.len(),
    }
}

/// Like [`snippet_at`], but the window is at most `columns` wide on a terminal (a Chinese
/// character takes two), with the character at `anchor` a fifth of the way in.
pub fn snippet_in_columns(
    text: &str,
    highlights: &[(usize, usize)],
    anchor: usize,
    columns: usize,
) -> Snippet {
    use unicode_width::UnicodeWidthChar;
    let chars: Vec<char> = text.chars().collect();
    let width = |c: &char| c.width().unwrap_or(0);
    if chars.iter().map(width).sum::<usize>() <= columns {
        return Snippet {
            text: text.to_string(),
            highlights: highlights.to_vec(),
            cut_start: false,
            cut_end: false,
        };
    }
    let first = anchor.min(chars.len());
    let mut start = first;
    let mut lead = 0;
    while start > 0 && lead + width(&chars[start - 1]) <= columns / 5 {
        start -= 1;
        lead += width(&chars[start]);
    }
    let mut end = start;
    let mut used = 0;
    while end < chars.len() && used + width(&chars[end]) <= columns {
        used += width(&chars[end]);
        end += 1;
    }
    // Near the end of the passage: fill the window from before.
    while start > 0 && used + width(&chars[start - 1]) <= columns {
        start -= 1;
        used += width(&chars[start]);
    }
    let shifted = highlights
        .iter()
        .filter(|&&(s, e)| e > start && s < end)
        .map(|&(s, e)| (s.max(start) - start, e.min(end) - start))
        .collect();
    Snippet {
        text: chars[start..end].iter().collect(),
        highlights: shifted,
        cut_start: start > 0,
        cut_end: end < chars.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    fn cut(text: &str, range: (usize, usize)) -> String {
        text.chars().skip(range.0).take(range.1 - range.0).collect()
    }

    #[test]
    fn highlights_point_at_original_characters() {
        let text = "发展智慧產業，（扩大）会议";
        let found = find(text, "", &[chars("智慧产业"), chars("(扩大)")]);
        assert_eq!(found.len(), 2);
        assert_eq!(cut(text, found[0]), "智慧產業");
        assert_eq!(cut(text, found[1]), "（扩大）");
    }

    #[test]
    fn spaces_match_any_spacing_and_overlaps_merge() {
        let text = "安置房  建设，安置房建设";
        let found = find(text, "", &[chars("安置房 建设"), chars("建设")]);
        assert_eq!(found, [(0, 7), (11, 13)]);
        assert_eq!(cut(text, found[0]), "安置房  建设");
        assert_eq!(find(text, "", &[chars("房建")]), [(10, 12)]);
    }

    #[test]
    fn a_match_running_into_the_tail_is_highlighted_to_the_end() {
        let found = find(
            "发展目标。",
            "以管理为主",
            &[chars("。以管"), chars("管理")],
        );
        assert_eq!(found, [(4, 5)]);
    }

    #[test]
    fn a_window_in_columns_counts_chinese_characters_twice() {
        let text = format!("{}目标{}", "前".repeat(200), "后".repeat(200));
        let highlights = find(&text, "", &[chars("目标")]);
        let snippet = snippet_in_columns(&text, &highlights, highlights[0].0, 100);
        assert_eq!(snippet.text.chars().count(), 50);
        assert_eq!(cut(&snippet.text, snippet.highlights[0]), "目标");
        assert_eq!(snippet.highlights[0].0, 10);
        let near_end = format!("{}目标", "前".repeat(300));
        let found = find(&near_end, "", &[chars("目标")]);
        let snippet = snippet_in_columns(&near_end, &found, found[0].0, 100);
        assert_eq!(snippet.text.chars().count(), 50);
        assert!(snippet.cut_start && !snippet.cut_end);
        let short = snippet_in_columns("abc目标", &[(3, 5)], 3, 100);
        assert_eq!(short.text, "abc目标");
    }

    #[test]
    fn a_long_passage_gets_a_window_around_the_first_hit() {
        let text = format!("{}目标{}", "前".repeat(200), "后".repeat(200));
        let highlights = find(&text, "", &[chars("目标")]);
        let snippet = snippet(&text, &highlights);
        assert_eq!(snippet.text.chars().count(), SNIPPET_CHARS);
        assert!(snippet.cut_start && snippet.cut_end);
        assert_eq!(snippet.highlights.len(), 1);
        assert_eq!(cut(&snippet.text, snippet.highlights[0]), "目标");
        assert_eq!(snippet.highlights[0].0, LEAD_CHARS);
    }

    #[test]
    fn a_hit_near_the_end_keeps_the_window_full() {
        let text = format!("{}目标", "前".repeat(300));
        let snippet = snippet(&text, &find(&text, "", &[chars("目标")]));
        assert_eq!(snippet.text.chars().count(), SNIPPET_CHARS);
        assert!(snippet.text.ends_with("目标") && !snippet.cut_end);
    }
}
