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

use pulldown_cmark::{Event, Parser, Tag};

/// Bumped when what a Markdown file is read as changes (it changes what is indexed).
pub(crate) const MARKDOWN_VERSION: u32 = 1;

/// Whether a file with this name is read as Markdown.
pub fn is_markdown(path: &std::path::Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
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
    // Most lines of an article hold no mark at all: no need to parse them.
    let marks = [
        '*', '_', '`', '[', '#', '>', '-', '+', '<', '~', '|', '\\', '!',
    ];
    if !line.contains(marks) && !line.trim_start().starts_with(|c: char| c.is_ascii_digit()) {
        return line.to_string();
    }
    let mut text = String::with_capacity(line.len());
    for event in Parser::new(line) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::Start(Tag::Item) if !text.is_empty() => text.push(' '),
            _ => {}
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(markdown: &str) -> String {
        let mut reader = MarkdownText::default();
        let mut out = String::new();
        let chars: Vec<char> = markdown.chars().collect();
        // Chunks split anywhere, lines included.
        for chunk in chars.chunks(3) {
            out.push_str(&reader.push(&chunk.iter().collect::<String>()));
        }
        out.push_str(&reader.finish());
        out
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
    fn plain_lines_are_left_alone() {
        assert_eq!(
            read("这是一行。\n2018年的计划\n"),
            "这是一行。\n2018年的计划\n"
        );
    }
}
