//! The documents people keep — PDF, Word (`.docx`), OpenDocument (`.odt`) and EPUB — read as
//! the text a reader sees: paragraphs in reading order, each with the page it stands on (PDF)
//! and its number in the document, which a hit shows as its line.
//!
//! A document's reader gives a [`DocText`]; [`DocText::to_text`] turns it into the text the
//! passage cutter reads — a line for each paragraph, a blank line between two — with a
//! [`LineMap`] for each line that says which paragraph and page it is. So a document is cut,
//! indexed and located like any text, and a match deep in a paragraph that runs on to the next
//! page names the page it stands on.
//!
//! Reading a document is reading a file format made by others, often badly: a damaged,
//! truncated or hostile file must never crash sou, hang it or take its memory. The Office
//! formats are zip archives of XML, read here with the bytes inflated from a document capped
//! ([`MAX_XML_BYTES`]) and XML read as a stream of events, never a tree. A PDF is read in a
//! process of its own when the caller names the executable to run ([`Isolation`]): the child
//! caps its own memory and the parent kills it past a time limit, so a stack overflow, an
//! abort or an endless loop in the PDF library costs one file, reported, never the build.

mod child;
mod office;
mod pdf;

pub use child::{
    CHILD_ARGUMENT, CHILD_ENVIRONMENT, FILES_PER_READER, SERVE_ARGUMENT, serve_children, serve_one,
};

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::place::LineMap;

/// Bumped when what a document is read as changes (it changes what is indexed).
pub(crate) const DOCUMENTS_VERSION: u32 = 2;

/// Most bytes of XML inflated from one Office or EPUB archive, all its parts together: a
/// `.docx` whose XML inflates to gigabytes is cut there and reported.
pub const MAX_XML_BYTES: u64 = 256 * 1024 * 1024;

/// The memory a PDF's reading process may take (its address space).
pub const MAX_PDF_MEMORY_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// How long a PDF's reading may take: this much, and a second more per megabyte of the file.
pub const PDF_TIME_BASE: Duration = Duration::from_secs(20);

/// The kinds of document sou reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// PDF.
    Pdf,
    /// Word's Office Open XML.
    Docx,
    /// OpenDocument text.
    Odt,
    /// EPUB (a zip of XHTML chapters).
    Epub,
}

impl Kind {
    /// The kind of a file, from its name: `None` for a file that is not a document.
    pub fn of(path: &Path) -> Option<Kind> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "pdf" => Kind::Pdf,
            "docx" => Kind::Docx,
            "odt" => Kind::Odt,
            "epub" => Kind::Epub,
            _ => return None,
        })
    }
}

/// Old binary formats sou does not read: reported as such, once, like other skipped files.
pub fn unreadable_format(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "doc" | "wps" => Some("not readable (convert to .docx)"),
        "et" | "xls" | "ppt" | "dps" => Some("not readable (not an article format)"),
        _ => None,
    }
}

/// One paragraph of a document, as its reader found it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paragraph {
    /// Its text, its lines joined as a reader reads them.
    pub text: String,
    /// The 1-based page it starts on, for formats with pages.
    pub page: Option<u32>,
    /// Where it goes on to a later page: (byte offset in `text`, page).
    pub pages: Vec<(usize, u32)>,
}

/// A document's text, as its reader found it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocText {
    /// The title its metadata gives, when it is a real title.
    pub title: Option<String>,
    /// Its paragraphs, in reading order.
    pub paragraphs: Vec<Paragraph>,
    /// What was read but not indexed (pages that cannot be mapped to Unicode, a part cut at
    /// the size limit), one line each.
    pub notes: Vec<String>,
}

/// Why a document's text cannot be indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocError {
    /// No text at all: a scanned document, images only.
    NoText,
    /// Encrypted with a password the user must give.
    NeedsPassword,
    /// Damaged, unsupported or hostile: why, in a few words.
    Unreadable(String),
}

impl std::fmt::Display for DocError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DocError::NoText => f.write_str("no text layer (scanned?)"),
            DocError::NeedsPassword => f.write_str("encrypted: it needs a password to be read"),
            DocError::Unreadable(why) => write!(f, "cannot be read: {why}"),
        }
    }
}

impl DocText {
    /// The text the passage cutter reads (a line for each paragraph, a blank line between two,
    /// the metadata title first when the text does not start with it), and a map of each line
    /// to its paragraph (numbered from 1, the title 0) and page.
    pub fn to_text(&self) -> (String, Vec<LineMap>) {
        let mut text = String::new();
        let mut maps = Vec::new();
        let mut line = 1u64;
        let mut push = |paragraph: &Paragraph, number: u64, text: &mut String| {
            let flat: String = paragraph
                .text
                .chars()
                .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
                .collect();
            if flat.trim().is_empty() {
                return;
            }
            text.push_str(&flat);
            text.push_str("\n\n");
            maps.push(LineMap {
                line,
                page: paragraph.page,
                source_line: Some(number),
                pages: paragraph.pages.clone(),
                ..LineMap::default()
            });
            line += 2;
        };
        let first = self.paragraphs.first().map(|p| p.text.trim());
        if let Some(title) = &self.title
            && first.is_none_or(|first| !first.starts_with(title.trim()))
        {
            let page = self.paragraphs.first().and_then(|p| p.page);
            let title = Paragraph {
                text: title.clone(),
                page,
                pages: Vec::new(),
            };
            push(&title, 0, &mut text);
        }
        for (i, paragraph) in self.paragraphs.iter().enumerate() {
            push(paragraph, i as u64 + 1, &mut text);
        }
        (text, maps)
    }
}

/// Whether a title from a document's metadata is a real one, not a producer's placeholder
/// (`Microsoft Word - 通知.doc`, `untitled`, a file name).
pub(crate) fn real_title(title: &str) -> Option<String> {
    let title = title.trim().trim_matches('\u{0}');
    let lower = title.to_lowercase();
    let placeholder = lower.is_empty()
        || lower.starts_with("microsoft word")
        || lower.starts_with("untitled")
        || lower == "无标题"
        || [
            ".doc", ".docx", ".pdf", ".wps", ".txt", ".htm", ".html", ".odt",
        ]
        .iter()
        .any(|ext| lower.ends_with(ext));
    let letters = title.chars().filter(|c| c.is_alphanumeric()).count();
    (!placeholder && letters >= 2).then(|| title.to_string())
}

/// How a PDF is read: in this process, or in a process of its own.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Isolation {
    /// In this process, panics caught (a library's tests, callers that have no executable).
    #[default]
    InProcess,
    /// In a reader process that runs this executable (see [`serve_children`]), one per
    /// thread that reads.
    Child(PathBuf),
}

/// Reads the document at `path` of `kind`.
pub fn read(path: &Path, kind: Kind, isolation: &Isolation) -> Result<DocText, DocError> {
    match (kind, isolation) {
        (Kind::Pdf, Isolation::Child(exe)) => child::read_in_child(exe, path),
        _ => read_here(path, kind),
    }
}

/// Reads the document in this process, a panic in a parsing library turned into a report.
pub fn read_here(path: &Path, kind: Kind) -> Result<DocText, DocError> {
    let read = std::panic::catch_unwind(|| match kind {
        Kind::Pdf => pdf::read(path),
        Kind::Docx => office::read_docx(path),
        Kind::Odt => office::read_odt(path),
        Kind::Epub => office::read_epub(path),
    });
    let read = read.unwrap_or_else(|payload| {
        let message =
            crate::error::panic_message(payload.as_ref()).unwrap_or_else(|| "a panic".to_string());
        Err(DocError::Unreadable(format!(
            "the reader failed ({message})"
        )))
    });
    // Libraries' messages span lines; a report is one.
    read.map_err(|err| match err {
        DocError::Unreadable(why) => DocError::Unreadable(one_line(&why)),
        other => other,
    })
}

/// A library's message as one line of a report: its whitespace (newlines too) made single
/// spaces, at most 200 characters.
fn one_line(message: &str) -> String {
    let mut line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((at, _)) = line.char_indices().nth(200) {
        line.truncate(at);
        line.push('…');
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_reads_as_a_line_a_paragraph_each_with_its_page() {
        let doc = DocText {
            title: Some("关于安置房的通知".into()),
            paragraphs: vec![
                Paragraph {
                    text: "第一段。".into(),
                    page: Some(1),
                    pages: vec![],
                },
                Paragraph {
                    text: "第二段跨页继续".into(),
                    page: Some(1),
                    pages: vec![(9, 2)],
                },
            ],
            notes: vec![],
        };
        let (text, maps) = doc.to_text();
        assert_eq!(text, "关于安置房的通知\n\n第一段。\n\n第二段跨页继续\n\n");
        let lines: Vec<(u64, Option<u64>, Option<u32>)> = maps
            .iter()
            .map(|m| (m.line, m.source_line, m.page))
            .collect();
        assert_eq!(
            lines,
            [
                (1, Some(0), Some(1)),
                (3, Some(1), Some(1)),
                (5, Some(2), Some(1))
            ]
        );
        assert_eq!(maps[2].page_at(3), Some(1));
        assert_eq!(maps[2].page_at(12), Some(2));
        // A title the text starts with is not said twice.
        let mut same = doc.clone();
        same.title = Some("第一段".into());
        assert!(same.to_text().0.starts_with("第一段。\n\n"));
    }

    #[test]
    fn placeholder_titles_are_not_titles() {
        for title in [
            "Microsoft Word - 通知.doc",
            "untitled",
            "报告.pdf",
            " ",
            "x",
        ] {
            assert_eq!(real_title(title), None, "{title}");
        }
        assert_eq!(
            real_title(" 政府工作报告 ").as_deref(),
            Some("政府工作报告")
        );
    }
}
