//! HTML articles (given with `--ext html`) read as the text a reader sees, before passages are
//! cut: tags, comments and the doctype are not text, nor is what `<script>`, `<style>`,
//! `<noscript>` and `<template>` hold; entities are decoded (`&amp;` reads `&`). The `<title>`
//! comes first in a page, so it is the article's title as a first line is. The tokenizer is
//! html5gum's (WHATWG-compliant: broken markup is read as a browser reads it).
//!
//! Every line of the file gives exactly one line of text (empty when it is all markup), so the
//! line numbers of passages are the file's: newlines inside what is dropped are kept. Where a
//! block element (`<p>`, `<br>`, `<li>`, `<td>`, …) starts or ends inside a line, a space
//! stands for it, so that two paragraphs on one line are not read as one word; inline elements
//! (`<b>`, `<a>`, `<span>`) join their text to what surrounds it (`今年<b>安置房</b>项目` is
//! found by `安置房项目`).
//!
//! A document is read whole (the tokenizer needs all of it to know where a tag ends): an HTML
//! article is held in memory while it is read, unlike a text file, which is read a chunk at a
//! time.

use html5gum::{DefaultEmitter, Token, Tokenizer};

use super::SourceMap;
use super::place::LineMap;

/// Bumped when what an HTML file is read as changes (it changes what is indexed).
pub(crate) const HTML_VERSION: u32 = 2;

/// Elements whose content is not text.
const HIDDEN: &[&[u8]] = &[b"script", b"style", b"noscript", b"template"];

/// Elements that start a new block: a space stands for them inside a line.
const BLOCKS: &[&[u8]] = &[
    b"address",
    b"article",
    b"aside",
    b"blockquote",
    b"br",
    b"caption",
    b"dd",
    b"div",
    b"dl",
    b"dt",
    b"figcaption",
    b"figure",
    b"footer",
    b"form",
    b"h1",
    b"h2",
    b"h3",
    b"h4",
    b"h5",
    b"h6",
    b"header",
    b"hr",
    b"li",
    b"main",
    b"nav",
    b"ol",
    b"option",
    b"p",
    b"pre",
    b"section",
    b"table",
    b"td",
    b"th",
    b"title",
    b"tr",
    b"ul",
];

/// Gathers an HTML file's text as chunks of it arrive, and reads it at the end.
#[derive(Debug, Default)]
pub struct HtmlText {
    source: String,
    maps: Vec<LineMap>,
}

impl super::TextReader for HtmlText {
    /// Takes a chunk of the file; the text comes at the end (see the module documentation).
    fn push(&mut self, chunk: &str) -> String {
        self.source.push_str(chunk);
        String::new()
    }

    /// The text of the whole file.
    fn finish(&mut self) -> String {
        let source = std::mem::take(&mut self.source);
        let visible = visible_text(&source);
        self.maps = visible.line_maps(&source);
        visible.text
    }

    /// How each line's text maps back to the line in the file, where it is not its bytes.
    fn take_maps(&mut self) -> Vec<LineMap> {
        std::mem::take(&mut self.maps)
    }
}

/// The text a reader sees in an HTML document, and where in the document each piece of it
/// comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VisibleHtml {
    /// The text, a line for each line of the document.
    pub text: String,
    /// Where its bytes stand in the document.
    pub map: SourceMap,
}

/// Reads `source` as a reader sees it (see the module documentation).
pub(crate) fn visible_text(source: &str) -> VisibleHtml {
    let mut emitter = DefaultEmitter::<usize>::new_with_span();
    // Script and style content is raw text, not markup to tokenize.
    emitter.naively_switch_states(true);
    let mut text = String::with_capacity(source.len() / 2);
    let mut map = SourceMap::default();
    let mut hidden: Option<Vec<u8>> = None;
    for token in Tokenizer::new_with_emitter(source, emitter) {
        let Ok(token) = token;
        let (span, block) = match &token {
            Token::StartTag(tag) => {
                if hidden.is_none() && !tag.self_closing && HIDDEN.contains(&tag.name.as_slice()) {
                    hidden = Some(tag.name.to_vec());
                }
                (tag.span, BLOCKS.contains(&tag.name.as_slice()))
            }
            Token::EndTag(tag) => {
                if hidden.as_deref() == Some(tag.name.as_slice()) {
                    hidden = None;
                }
                (tag.span, BLOCKS.contains(&tag.name.as_slice()))
            }
            Token::String(string) if hidden.is_none() => {
                let raw = source.get(string.span.start..string.span.end).unwrap_or("");
                let value = String::from_utf8_lossy(&string.value);
                if value == raw {
                    map.push(text.len(), string.span.start, true);
                    text.push_str(raw);
                } else {
                    push_aligned(&mut text, &mut map, raw, string.span.start, &value);
                }
                continue;
            }
            Token::String(string) => (string.span, false),
            Token::Comment(comment) => (comment.span, false),
            Token::Doctype(doctype) => (doctype.span, false),
            Token::Error(_) => continue,
        };
        let dropped = source.get(span.start..span.end).unwrap_or("");
        if block && !text.is_empty() && !text.ends_with(char::is_whitespace) {
            text.push(' ');
        }
        push_newlines(&mut text, dropped);
    }
    VisibleHtml { text, map }
}

impl VisibleHtml {
    /// For each line of the text whose bytes are not those of the document's line, how its
    /// columns map back to the line's (the text keeps the document's lines).
    pub(crate) fn line_maps(&self, source: &str) -> Vec<LineMap> {
        let source_starts: Vec<usize> = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', source.as_bytes()).map(|at| at + 1))
            .collect();
        let mut maps = Vec::new();
        let mut start = 0;
        for (i, line) in self.text.split_inclusive('\n').enumerate() {
            let end = start + line.trim_end_matches('\n').len();
            let source_start = source_starts.get(i).copied().unwrap_or(source.len());
            let map = self.map.slice(start, end, source_start);
            if !map.is_identity() {
                maps.push(LineMap {
                    line: i as u64 + 1,
                    map,
                    ..LineMap::default()
                });
            }
            start += line.len();
        }
        maps
    }
}

/// Appends `value`, the decoded text of the document's `raw` bytes (at `raw_start`), in pieces:
/// what stands as it is in the document, verbatim, and each entity or line end the tokenizer
/// rewrote as a piece of its own, so that a column after `&amp;` counts the entity's bytes.
/// The text keeps the document's newlines where they stand.
fn push_aligned(text: &mut String, map: &mut SourceMap, raw: &str, raw_start: usize, value: &str) {
    let (mut i, mut j) = (0, 0);
    let mut verbatim_open = false;
    while i < raw.len() && j < value.len() {
        let r = &raw[i..];
        let v = &value[j..];
        if r.starts_with('\r') && v.starts_with('\n') {
            // CRLF is the document's line end; a lone CR is one only where a reading turned
            // it into one (see `read::LineEnds`), so the text keeps the document's newlines.
            let crlf = r.starts_with("\r\n");
            map.push(text.len(), raw_start + i, false);
            text.push(if crlf { '\n' } else { ' ' });
            verbatim_open = false;
            i += if crlf { 2 } else { 1 };
            j += 1;
            continue;
        }
        if r.starts_with('&')
            && let Some((raw_len, value_len)) = entity_at(r, v)
        {
            map.push(text.len(), raw_start + i, false);
            text.push_str(&v[..value_len]);
            verbatim_open = false;
            i += raw_len;
            j += value_len;
            continue;
        }
        let (Some(rc), Some(vc)) = (r.chars().next(), v.chars().next()) else {
            break;
        };
        if rc != vc {
            break;
        }
        if !verbatim_open {
            map.push(text.len(), raw_start + i, true);
            verbatim_open = true;
        }
        text.push(rc);
        i += rc.len_utf8();
        j += vc.len_utf8();
    }
    if j < value.len() {
        // Could not be aligned: the rest stands for where it starts, its newlines kept.
        map.push(text.len(), raw_start + i, false);
        text.extend(value[j..].chars().map(|c| if c == '\n' { ' ' } else { c }));
        push_newlines(text, &raw[i..]);
    }
}

/// How many bytes of `raw` (starting with `&`) an entity takes, and how many bytes of `value`
/// it decoded to: the longest entity-like prefix whose decoded text is followed in `value` by
/// what follows it in `raw`. `None` when `raw` holds `&` as it is.
fn entity_at(raw: &str, value: &str) -> Option<(usize, usize)> {
    let name_len = raw[1..]
        .bytes()
        .take(40)
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'#')
        .count();
    let mut entity_end = 1 + name_len;
    if raw.as_bytes().get(entity_end) == Some(&b';') {
        entity_end += 1;
    }
    if name_len == 0 || value.starts_with(&raw[..entity_end]) {
        return None;
    }
    let follows = |raw_len: usize, value_len: usize| {
        let (Some(r), Some(v)) = (raw.get(raw_len..), value.get(value_len..)) else {
            return false;
        };
        // What follows up to the next place the tokenizer may rewrite.
        let next: String = r
            .chars()
            .take(3)
            .take_while(|&c| c != '&' && c != '\r')
            .collect();
        v.starts_with(&next)
    };
    for raw_len in (2..=entity_end).rev() {
        for value_len in value
            .char_indices()
            .skip(1)
            .take(2)
            .map(|(at, _)| at)
            .chain(
                std::iter::once(value.len()).filter(|&len| value.chars().count() <= 2 && len > 0),
            )
        {
            if follows(raw_len, value_len) {
                return Some((raw_len, value_len));
            }
        }
    }
    None
}

/// Appends a newline for each newline of `dropped`, so that the text keeps the document's lines.
fn push_newlines(text: &mut String, dropped: &str) {
    for _ in 0..memchr::memchr_iter(b'\n', dropped.as_bytes()).count() {
        text.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>高新区安置房建设进展</title>\n<style>.a{color:red}</style><script>var x = \"<b>脚本</b>\";</script></head>\n<body><h1>高新区安置房建设进展</h1>\n<p>今年<b>安置房</b>项目全部开工。</p><p>预计明年建成。</p>\n<p>居民&nbsp;陆续&amp;入住。<!-- 注释\n两行 --></p>\n<a\nhref=\"x\">链接</a>\n</body></html>\n";

    #[test]
    fn markup_scripts_and_comments_are_dropped_and_every_line_stays_a_line() {
        let text = visible_text(PAGE).text;
        assert_eq!(
            text.lines().collect::<Vec<_>>(),
            [
                "",
                "高新区安置房建设进展 ",
                "",
                "高新区安置房建设进展 ",
                "今年安置房项目全部开工。 预计明年建成。 ",
                "居民\u{a0}陆续&入住。",
                "",
                "",
                "链接",
                "",
            ]
        );
        assert_eq!(text.lines().count(), PAGE.lines().count());
    }

    #[test]
    fn offsets_in_the_text_map_back_to_the_document() {
        let visible = visible_text(PAGE);
        for word in ["安置房项目", "预计", "链接"] {
            let offset = visible.text.find(word).unwrap();
            let first = word.chars().next().unwrap().to_string();
            assert!(
                PAGE[visible.map.source_offset(offset)..].starts_with(&first),
                "{word}"
            );
        }
        // After an entity, its bytes count.
        let offset = visible.text.find("陆续").unwrap();
        assert!(PAGE[visible.map.source_offset(offset)..].starts_with("陆续&amp;"));
        let offset = visible.text.find("入住").unwrap();
        assert!(PAGE[visible.map.source_offset(offset)..].starts_with("入住"));
    }

    /// `<p>&amp;&amp;&amp;安置房</p>` gave column 4 for 安置房; it stands at byte 19.
    #[test]
    fn columns_after_entities_count_their_bytes() {
        for (source, word, column) in [
            ("<p>&amp;&amp;&amp;安置房</p>", "安置房", 18),
            ("<p>a&lt;b &copy;2024 安置房</p>", "安置房", 21),
            ("<p>&#23433;置房 &#x5B89;置房</p>", "置房", 11),
            ("<p>R&D 安置房</p>", "安置房", 7),
        ] {
            let visible = visible_text(source);
            let offset = visible.text.find(word).unwrap();
            assert_eq!(visible.map.source_offset(offset), column, "{source}");
            assert_eq!(&source[column..column + word.len()], word, "{source}");
        }
    }

    #[test]
    fn chunks_are_read_as_one_document() {
        let text = crate::corpus::format::read_in_chunks(crate::corpus::Format::Html, PAGE, 7);
        assert_eq!(text, visible_text(PAGE).text);
    }

    proptest::proptest! {
        /// Whatever the markup, broken or not, the text keeps the document's lines, and every
        /// offset of the text maps inside the document.
        #[test]
        fn any_document_keeps_its_lines(source in "([<>/!\\-=\"'&;#a-z \r\n安置房]|<p>|<b>|</b>|<script>|</script>|<!--|-->|&amp;|&nbsp){0,60}") {
            let visible = visible_text(&source);
            proptest::prop_assert_eq!(visible.text.matches('\n').count(), source.matches('\n').count());
            for (offset, _) in visible.text.char_indices() {
                proptest::prop_assert!(visible.map.source_offset(offset) <= source.len());
            }
        }
    }
}
