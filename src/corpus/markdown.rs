//! Markdown articles read as Markdown: the text a reader sees, line by line, before passages
//! are cut. Front matter (`---` YAML `---` at the top) is not text, but its `title:` is the
//! article's title; heading marks, emphasis, code and link markup are dropped so that
//! `**安置房**建设` is found as `安置房建设` (and shown as it reads); fence lines go, the code
//! between them stays.
//!
//! Every line of the file gives exactly one line of text (empty when it is all markup), so the
//! line numbers of passages are the file's. Inline markup is parsed by pulldown-cmark, one line
//! at a time: a construct spanning lines (emphasis opened on one line, closed on the next) is
//! rare in articles and keeps its marks.

use std::ops::Range;

use pulldown_cmark::{Event, Parser, Tag};

use super::SourceMap;

/// Bumped when what a Markdown file is read as changes (it changes what is indexed).
pub(crate) const MARKDOWN_VERSION: u32 = 1;

/// Whether a file with this name is read as Markdown.
pub fn is_markdown(path: &std::path::Path) -> bool {
    super::has_extension(path, &["md", "markdown"])
}

/// Where the reader is in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first line: front matter may start.
    Start,
    /// Inside front matter.
    FrontMatter,
    /// Inside a fenced code block opened with this fence character.
    Code(char),
    /// Ordinary text.
    Text,
}

/// Turns a Markdown file into its text, line by line, as chunks of it arrive.
#[derive(Debug)]
pub struct MarkdownText {
    state: State,
    /// An incomplete last line, waiting for the rest of it.
    pending: String,
}

impl Default for MarkdownText {
    fn default() -> Self {
        MarkdownText {
            state: State::Start,
            pending: String::new(),
        }
    }
}

impl MarkdownText {
    /// The text of the complete lines in `pending + chunk`, each ending in `\n`.
    pub fn push(&mut self, chunk: &str) -> String {
        self.pending.push_str(chunk);
        let Some(last_newline) = self.pending.rfind('\n') else {
            return String::new();
        };
        let rest = self.pending.split_off(last_newline + 1);
        let complete = std::mem::replace(&mut self.pending, rest);
        let mut out = String::with_capacity(complete.len());
        for line in complete.split_inclusive('\n') {
            out.push_str(&self.line(line.trim_end_matches(['\n', '\r'])));
            out.push('\n');
        }
        out
    }

    /// The text of what is left: a last line without a newline.
    pub fn finish(&mut self) -> String {
        let last = std::mem::take(&mut self.pending);
        if last.is_empty() {
            return last;
        }
        self.line(&last)
    }

    fn line(&mut self, line: &str) -> String {
        let trimmed = line.trim();
        match self.state {
            State::Start if trimmed == "---" => {
                self.state = State::FrontMatter;
                String::new()
            }
            State::FrontMatter => {
                if trimmed == "---" || trimmed == "..." {
                    self.state = State::Text;
                    return String::new();
                }
                // Only the title is text; a quoted title loses its quotes.
                match trimmed.strip_prefix("title:") {
                    Some(title) => title
                        .trim()
                        .trim_matches(|c| c == '"' || c == '\'')
                        .to_string(),
                    None => String::new(),
                }
            }
            State::Code(fence) => {
                if trimmed.starts_with(&format!("{fence}{fence}{fence}")) {
                    self.state = State::Text;
                    String::new()
                } else {
                    line.to_string()
                }
            }
            State::Start | State::Text => {
                self.state = State::Text;
                if let Some(fence) = ['`', '~']
                    .into_iter()
                    .find(|&f| trimmed.starts_with(&format!("{f}{f}{f}")))
                {
                    self.state = State::Code(fence);
                    return String::new();
                }
                inline_text(line)
            }
        }
    }
}

/// The text of one line of Markdown: what its text and code events hold, without marks; an
/// image counts as its alt text, a link as its text; HTML tags are dropped.
fn inline_text(line: &str) -> String {
    match inline_pieces(line) {
        None => line.to_string(),
        Some(pieces) => pieces.iter().map(|(text, _)| text.as_ref()).collect(),
    }
}

/// Whether a line can hold no mark: most lines of an article, which need no parsing.
fn is_plain(line: &str) -> bool {
    let marks = [
        '*', '_', '`', '[', '#', '>', '-', '+', '<', '~', '|', '\\', '!',
    ];
    !line.contains(marks) && !line.trim_start().starts_with(|c: char| c.is_ascii_digit())
}

/// The pieces of text a line of Markdown reads as, each with where in the line it comes from
/// (an empty range for a space that stands for a break). `None` for a line without marks,
/// which reads as itself.
fn inline_pieces(line: &str) -> Option<Vec<(pulldown_cmark::CowStr<'_>, Range<usize>)>> {
    if is_plain(line) {
        return None;
    }
    let mut pieces = Vec::new();
    for (event, range) in Parser::new(line).into_offset_iter() {
        match event {
            Event::Text(t) | Event::Code(t) => pieces.push((t, range)),
            Event::SoftBreak | Event::HardBreak => {
                pieces.push((" ".into(), range.start..range.start))
            }
            Event::Start(Tag::Item) if !pieces.is_empty() => {
                pieces.push((" ".into(), range.start..range.start));
            }
            _ => {}
        }
    }
    Some(pieces)
}

/// The text a reader sees on one line of a Markdown file (see [`inline_text`]), and where in
/// the line each piece of it comes from.
pub(crate) struct VisibleLine {
    /// The text a reader sees.
    pub text: String,
    /// Where its bytes stand in the line.
    pub map: SourceMap,
}

impl VisibleLine {
    /// Reads one line (without its newline).
    pub fn new(line: &str) -> Self {
        let mut map = SourceMap::default();
        let Some(pieces) = inline_pieces(line) else {
            map.push(0, 0, true);
            return VisibleLine {
                text: line.to_string(),
                map,
            };
        };
        let mut text = String::new();
        for (piece, range) in pieces {
            let verbatim = line.get(range.clone()) == Some(piece.as_ref());
            map.push(text.len(), range.start, verbatim);
            text.push_str(&piece);
        }
        VisibleLine { text, map }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(markdown: &str) -> String {
        crate::corpus::read_in_chunks(crate::corpus::Format::Markdown, markdown, 3)
    }

    #[test]
    fn front_matter_gives_the_title_and_nothing_else() {
        let text = read("---\nlayout: post\ntitle: \"高新区安置房\"\ntags: [a]\n---\n\n正文。\n");
        assert_eq!(text, "\n\n高新区安置房\n\n\n\n正文。\n");
    }

    #[test]
    fn markup_is_dropped_and_every_line_stays_a_line() {
        let text = read(
            "# 标题\n\n**安置房**建设、[链接文字](http://x.cn)和`代码`。\n\n- 列表项\n> 引用\n```rust\nlet x = 1;\n```\n![图](a.png)\n",
        );
        assert_eq!(
            text,
            "标题\n\n安置房建设、链接文字和代码。\n\n列表项\n引用\n\nlet x = 1;\n\n图\n"
        );
    }

    #[test]
    fn a_visible_offset_maps_back_to_the_line_marks_included() {
        let line = "## **安置房**建设 [链接](http://x.cn) a\\*b";
        let visible = VisibleLine::new(line);
        assert_eq!(visible.text, "安置房建设 链接 a*b");
        for (word, in_line) in [
            ("安置房", "安置房"),
            ("建设", "建设"),
            ("链接", "链接"),
            ("a", "a\\"),
        ] {
            let offset = visible.text.find(word).unwrap();
            assert_eq!(
                &line[visible.map.source_offset(offset)..][..in_line.len()],
                in_line,
                "{word}"
            );
        }
        // A byte inside a piece keeps its distance from the piece's start.
        let offset = visible.text.find("房").unwrap();
        assert_eq!(&line[visible.map.source_offset(offset)..][..3], "房");
        let plain = VisibleLine::new("没有标记的一行");
        assert_eq!(plain.map.source_offset(6), 6);
    }

    #[test]
    fn plain_lines_are_left_alone() {
        assert_eq!(
            read("这是一行。\n2018年的计划\n"),
            "这是一行。\n2018年的计划\n"
        );
    }
}
