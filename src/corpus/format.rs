//! Which reader reads a file, chosen in this one place from its name, and the interface every
//! reader of text formats has: decoded text in, chunk by chunk, the text a reader sees out,
//! with a map back to the file's lines for each line whose text is not the line's bytes (see
//! [`super::place`]). Plain text needs no reader; Markdown and HTML each are one.

use std::path::Path;

use super::place::LineMap;
use super::{html, markdown};

/// How a file's text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Plain text, read as it is.
    Text,
    /// Markdown (see [`markdown`]).
    Markdown,
    /// HTML (see [`html`]).
    Html,
}

impl Format {
    /// The format of a file, from its name.
    pub fn of(path: &Path) -> Format {
        if super::has_extension(path, &["md", "markdown"]) {
            Format::Markdown
        } else if super::has_extension(path, &["html", "htm", "xhtml"]) {
            Format::Html
        } else {
            Format::Text
        }
    }

    /// The reader of the format; `None` for plain text, which is read as it is.
    pub fn reader(self) -> Option<Box<dyn TextReader>> {
        match self {
            Format::Text => None,
            Format::Markdown => Some(Box::<markdown::MarkdownText>::default()),
            Format::Html => Some(Box::<html::HtmlText>::default()),
        }
    }
}

/// A reader of a text format: the decoded file in chunks split anywhere, the text a reader
/// sees out, a line of text for each line of the file.
pub(crate) trait TextReader: Send {
    /// The text of what `chunk` completes.
    fn push(&mut self, chunk: &str) -> String;

    /// The text of what is left.
    fn finish(&mut self) -> String;

    /// How the lines read so far map back to the file, where their text is not its bytes.
    fn take_maps(&mut self) -> Vec<LineMap>;
}

/// The text of `source` in `format`, given to its reader in chunks of `chunk_chars`
/// characters, split anywhere (lines and tags included).
#[cfg(test)]
pub(crate) fn read_in_chunks(format: Format, source: &str, chunk_chars: usize) -> String {
    let Some(mut reader) = format.reader() else {
        return source.to_string();
    };
    let chars: Vec<char> = source.chars().collect();
    let mut text = String::new();
    for chunk in chars.chunks(chunk_chars) {
        text.push_str(&reader.push(&chunk.iter().collect::<String>()));
    }
    text.push_str(&reader.finish());
    text
}
