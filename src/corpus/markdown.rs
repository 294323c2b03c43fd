//! Markdown articles read as Markdown: the text a reader sees, line by line, before passages
//! are cut. Front matter (`---` YAML `---` at the top) is not text, but its `title:` is the
//! article's title; heading marks, emphasis, code and link markup are dropped so that
//! `**安置房**建设` is found as `安置房建设` (and shown as it reads); fence lines go, the code
//! between them stays.
//!
//! Front matter is front matter only when it is closed and reads as a YAML mapping: a file
//! that opens with a `---` rule, or whose `---` is never closed, is text (grep finds what it
//! holds, and so must sou). So the lines after an opening `---` are held until they are known
//! to be front matter or not — at most [`FRONT_MATTER_LINES`] of them.
//!
//! Every line of the file gives exactly one line of text (empty when it is all markup), so the
//! line numbers of passages are the file's, and each line whose text is not the line's own
//! bytes comes with a map back to them ([`LineMap`]). Inline markup is parsed by
//! pulldown-cmark, one line at a time: a construct spanning lines (emphasis opened on one line,
//! closed on the next) is rare in articles and keeps its marks.

use std::ops::Range;

use pulldown_cmark::{Event, Parser, Tag};

use super::SourceMap;
use super::place::LineMap;

/// Bumped when what a Markdown file is read as changes (it changes what is indexed).
pub(crate) const MARKDOWN_VERSION: u32 = 2;

/// Most lines held while front matter may be open: a longer block is text.
const FRONT_MATTER_LINES: usize = 500;

/// Where the reader is in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first line: front matter may start.
    Start,
    /// After an opening `---`: the lines are held until it is closed.
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
    /// The lines after an opening `---`, held until the block is known to be front matter.
    held: Vec<String>,
    /// The number of the next line to read.
    line: u64,
    /// The maps of the lines read whose text is not their bytes.
    maps: Vec<LineMap>,
}

impl Default for MarkdownText {
    fn default() -> Self {
        MarkdownText {
            state: State::Start,
            pending: String::new(),
            held: Vec::new(),
            line: 1,
            maps: Vec::new(),
        }
    }
}

impl super::TextReader for MarkdownText {
    /// The text of the complete lines in `pending + chunk`, each ending in `\n`.
    fn push(&mut self, chunk: &str) -> String {
        self.pending.push_str(chunk);
        let Some(last_newline) = self.pending.rfind('\n') else {
            return String::new();
        };
        let rest = self.pending.split_off(last_newline + 1);
        let complete = std::mem::replace(&mut self.pending, rest);
        let mut out = String::with_capacity(complete.len());
        for line in complete.split_inclusive('\n') {
            self.line(line.trim_end_matches(['\n', '\r']), &mut out, true);
        }
        out
    }

    /// The text of what is left: a last line without a newline, and held lines of front matter
    /// that was never closed.
    fn finish(&mut self) -> String {
        let last = std::mem::take(&mut self.pending);
        let mut out = String::new();
        if !last.is_empty() {
            self.line(&last, &mut out, false);
        }
        if self.state == State::FrontMatter {
            self.release_as_text(&mut out, last.is_empty());
        }
        out
    }

    /// The maps of the lines read so far whose text is not their bytes (see [`LineMap`]).
    fn take_maps(&mut self) -> Vec<LineMap> {
        std::mem::take(&mut self.maps)
    }
}

impl MarkdownText {
    /// Reads one line (without its line end) into `out`, with a newline after it when
    /// `newline`.
    fn line(&mut self, line: &str, out: &mut String, newline: bool) {
        let trimmed = line.trim();
        match self.state {
            State::Start if trimmed == "---" => {
                self.state = State::FrontMatter;
                self.held.push(line.to_string());
                return;
            }
            State::FrontMatter => {
                self.held.push(line.to_string());
                if trimmed == "---" || trimmed == "..." {
                    self.release(out);
                } else if self.held.len() > FRONT_MATTER_LINES {
                    self.release_as_text(out, true);
                }
                return;
            }
            _ => {}
        }
        self.text_line(line, out);
        if newline {
            out.push('\n');
        }
    }

    /// One line read as text (not front matter), its number the next.
    fn text_line(&mut self, line: &str, out: &mut String) {
        let number = self.line;
        self.line += 1;
        let trimmed = line.trim();
        match self.state {
            State::Code(fence) => {
                if trimmed.starts_with(&format!("{fence}{fence}{fence}")) {
                    self.state = State::Text;
                } else {
                    out.push_str(line);
                }
            }
            State::Start | State::Text | State::FrontMatter => {
                self.state = State::Text;
                if let Some(fence) = ['`', '~']
                    .into_iter()
                    .find(|&f| trimmed.starts_with(&format!("{f}{f}{f}")))
                {
                    self.state = State::Code(fence);
                    return;
                }
                let visible = VisibleLine::new(line);
                if !visible.map.is_identity() {
                    self.maps.push(LineMap {
                        line: number,
                        map: visible.map,
                        ..LineMap::default()
                    });
                }
                out.push_str(&visible.text);
            }
        }
    }

    /// The held block, closed: front matter when it reads as a YAML mapping (its lines read
    /// as nothing but the title), text otherwise.
    fn release(&mut self, out: &mut String) {
        let held = std::mem::take(&mut self.held);
        let body = held[1..held.len() - 1].join("\n");
        let is_mapping = match yaml_rust2::YamlLoader::load_from_str(&body) {
            Ok(docs) => matches!(docs.as_slice(), [yaml_rust2::Yaml::Hash(_)]),
            Err(_) => false,
        };
        if !is_mapping {
            self.held = held;
            self.release_as_text(out, true);
            return;
        }
        for line in &held {
            let number = self.line;
            self.line += 1;
            // Only the title is text; a quoted title loses its quotes.
            if let Some(title) = line.trim_start().strip_prefix("title:") {
                let value = title.trim().trim_matches(|c| c == '"' || c == '\'');
                if let Some(at) = line.find(value).filter(|_| !value.is_empty()) {
                    let mut map = SourceMap::default();
                    map.push(0, at, true);
                    self.maps.push(LineMap {
                        line: number,
                        map,
                        ..LineMap::default()
                    });
                    out.push_str(value);
                }
            }
            out.push('\n');
        }
        self.state = State::Text;
    }

    /// The held lines read as text: the block was no front matter. The last gets a newline
    /// after it when `newline`.
    fn release_as_text(&mut self, out: &mut String, newline: bool) {
        let held = std::mem::take(&mut self.held);
        self.state = State::Text;
        let count = held.len();
        for (i, line) in held.iter().enumerate() {
            self.text_line(line, out);
            if newline || i + 1 < count {
                out.push('\n');
            }
        }
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

/// The text a reader sees on one line of a Markdown file: what its text and code events hold, without marks (an
/// image counts as its alt text, a link as its text; HTML tags are dropped), and where in
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
        crate::corpus::format::read_in_chunks(crate::corpus::Format::Markdown, markdown, 3)
    }

    /// A `.md` opening with a `---` rule, or with a `---` never closed, hid its text: grep
    /// finds both.
    #[test]
    fn front_matter_that_is_not_closed_or_not_yaml_is_text() {
        let unclosed = read("---\ntitle: 草稿\n\n正文 未闭合标记\n");
        assert_eq!(unclosed, "\ntitle: 草稿\n\n正文 未闭合标记\n");
        let rule = read("---\n第一节 分隔标记\n---\n第二节\n");
        assert_eq!(rule, "\n第一节 分隔标记\n\n第二节\n");
        // Without a newline at the end, too.
        assert_eq!(read("---\n正文"), "\n正文");
        // Closed and a mapping: front matter.
        assert_eq!(read("---\ntitle: 标题\n---\n正文\n"), "\n标题\n\n正文\n");
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
