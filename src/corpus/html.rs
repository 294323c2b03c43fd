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

/// Bumped when what an HTML file is read as changes (it changes what is indexed).
pub(crate) const HTML_VERSION: u32 = 1;

/// Whether a file with this name is read as HTML.
pub fn is_html(path: &std::path::Path) -> bool {
    super::has_extension(path, &["html", "htm", "xhtml"])
}

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
}

impl HtmlText {
    /// Takes a chunk of the file; the text comes at the end (see the module documentation).
    pub fn push(&mut self, chunk: &str) -> String {
        self.source.push_str(chunk);
        String::new()
    }

    /// The text of the whole file.
    pub fn finish(&mut self) -> String {
        let source = std::mem::take(&mut self.source);
        visible_text(&source).text
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
                    // Decoded entities and line ends: the newlines are the document's.
                    map.push(text.len(), string.span.start, false);
                    text.extend(value.chars().map(|c| if c == '\n' { ' ' } else { c }));
                    push_newlines(&mut text, raw);
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
        // In a piece with an entity: where the piece starts.
        let offset = visible.text.find("陆续").unwrap();
        assert!(PAGE[visible.map.source_offset(offset)..].starts_with("居民&nbsp;"));
    }

    #[test]
    fn chunks_are_read_as_one_document() {
        let text = crate::corpus::read_in_chunks(crate::corpus::Format::Html, PAGE, 7);
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
