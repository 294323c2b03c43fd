//! Fitting text to a terminal: display columns (a Chinese character takes two), cuts marked
//! with `…`, and wrapping where Unicode's line breaking rules allow a break (UAX #14, from
//! `unicode-linebreak`): between Chinese characters, at spaces, and never before a closing mark
//! such as `，` `。` `）` `」`, so that no wrapped line starts with one.

use std::ops::Range;

use unicode_linebreak::{BreakClass, BreakOpportunity, break_property, linebreaks};
use unicode_width::UnicodeWidthChar;

/// The columns `c` takes on a terminal.
pub fn char_columns(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// The columns `text` takes on a terminal.
pub fn columns(text: &str) -> usize {
    text.chars().map(char_columns).sum()
}

/// `text` in at most `max` columns: cut at the end, with `…` when something was cut.
pub fn cut_end(text: &str, max: usize) -> String {
    if columns(text) <= max {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = char_columns(c);
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// `text` in at most `max` columns: cut at the start, with `…` (for paths: the file name is
/// what stays).
pub fn cut_start(text: &str, max: usize) -> String {
    if columns(text) <= max {
        return text.to_string();
    }
    let mut kept: Vec<char> = Vec::new();
    let mut used = 0;
    for c in text.chars().rev() {
        let w = char_columns(c);
        if used + w + 1 > max {
            break;
        }
        kept.push(c);
        used += w;
    }
    let mut out = String::from(if max > 0 { "…" } else { "" });
    out.extend(kept.into_iter().rev());
    out
}

/// Whether a line may not start with `c`: closing punctuation and marks that stand after what
/// they follow (`，` `。` `）` `」` `！` `：` `ー`).
fn closes(c: char) -> bool {
    matches!(
        break_property(c as u32),
        BreakClass::ClosePunctuation
            | BreakClass::CloseParenthesis
            | BreakClass::Exclamation
            | BreakClass::InfixSeparator
            | BreakClass::NonStarter
    )
}

/// The lines `chars` is wrapped into: the first at most `first` columns wide, the others at
/// most `rest`. Lines break where UAX #14 allows; a run with no such place (a long URL) is cut
/// between characters, but not before a closing mark. Spaces at a break are left out.
pub fn wrap(chars: &[char], first: usize, rest: usize) -> Vec<Range<usize>> {
    let text: String = chars.iter().collect();
    // Break opportunities as character indices: a line may end before each.
    let mut byte_to_char = vec![0; text.len() + 1];
    for (i, (byte, _)) in text.char_indices().enumerate() {
        byte_to_char[byte] = i;
    }
    byte_to_char[text.len()] = chars.len();
    let mut allowed = vec![false; chars.len() + 1];
    for (byte, opportunity) in linebreaks(&text) {
        if matches!(
            opportunity,
            BreakOpportunity::Allowed | BreakOpportunity::Mandatory
        ) {
            allowed[byte_to_char[byte]] = true;
        }
    }
    let mut lines = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let budget = if lines.is_empty() { first } else { rest }.max(2);
        let mut used = 0;
        let mut end = start;
        while end < chars.len() && used + char_columns(chars[end]) <= budget {
            used += char_columns(chars[end]);
            end += 1;
        }
        // Spaces may hang past the end: they are left out at a break.
        while end < chars.len() && chars[end] == ' ' {
            end += 1;
        }
        if end < chars.len() {
            // The last place a break is allowed, else a cut that leaves no closing mark first.
            let at = (start + 1..=end)
                .rev()
                .find(|&i| allowed[i])
                .or_else(|| (start + 1..=end).rev().find(|&i| !closes(chars[i])));
            end = at.unwrap_or(end.max(start + 1));
        }
        let mut shown_end = end;
        while shown_end > start && chars[shown_end - 1] == ' ' {
            shown_end -= 1;
        }
        lines.push(start..shown_end);
        start = end;
        while start < chars.len() && chars[start] == ' ' {
            start += 1;
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrapped(text: &str, first: usize, rest: usize) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        wrap(&chars, first, rest)
            .into_iter()
            .map(|r| chars[r].iter().collect())
            .collect()
    }

    #[test]
    fn lines_fit_and_never_start_with_a_closing_mark() {
        let text = "高新区安置房项目建设，目前已完成主体工程。预计明年（2027年）交付使用，届时将安置居民三千户。";
        for width in 6..40 {
            let lines = wrapped(text, width, width);
            assert_eq!(lines.concat(), text, "at {width}");
            for line in &lines {
                assert!(columns(line) <= width, "{line} wider than {width}");
                let first = line.chars().next().unwrap();
                assert!(!"，。）、！？：；」".contains(first), "{line:?} at {width}");
            }
        }
        // Latin words break at spaces, which are left out.
        assert_eq!(wrapped("hello big world", 9, 9), ["hello big", "world"]);
        // A first line narrower than the rest.
        let lines = wrapped(text, 10, 30);
        assert!(columns(&lines[0]) <= 10 && columns(&lines[1]) > 10);
    }

    #[test]
    fn cuts_fit_their_columns() {
        assert_eq!(cut_end("安置房建设", 6), "安置…");
        assert_eq!(cut_end("安置房", 6), "安置房");
        assert_eq!(cut_start("news/policy/0001.txt", 10), "…/0001.txt");
        assert!(columns(&cut_start("新闻/政策/安置房.txt", 9)) <= 9);
    }
}
