//! Where a passage's text stands in its file: the line and byte column of each of its pieces,
//! and, for a format whose text is not the file's bytes (Markdown, HTML), how a line's text maps
//! back to the line in the file. The reader that cuts a passage records this, so that a hit
//! knows its line and column (and page) without the file being read again to find them.

use serde::{Deserialize, Serialize};

/// Where the text read from a line or document of markup comes from: for each piece of the
/// text, where it starts in the text and in the source, and whether it is the source's bytes as
/// they are (not so where the parser rewrote it: an escape, an entity, a line end).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceMap {
    pieces: Vec<(usize, usize, bool)>,
}

impl SourceMap {
    /// Notes that the text from `text_start` on comes from the source at `source_start`.
    pub fn push(&mut self, text_start: usize, source_start: usize, verbatim: bool) {
        self.pieces.push((text_start, source_start, verbatim));
    }

    /// Where the byte at `offset` of the text stands in the source: in a piece the parser
    /// rewrote, where the piece starts.
    pub fn source_offset(&self, offset: usize) -> usize {
        let at = self
            .pieces
            .partition_point(|&(start, _, _)| start <= offset);
        match at.checked_sub(1).map(|i| self.pieces[i]) {
            Some((start, from, true)) => from + (offset - start),
            Some((_, from, false)) => from,
            None => offset,
        }
    }

    /// The part of the map for the text from `start` to `end`, with offsets from `start` in the
    /// text and from `source_start` in the source.
    pub(crate) fn slice(&self, start: usize, end: usize, source_start: usize) -> SourceMap {
        let mut part = SourceMap::default();
        let first = self
            .pieces
            .partition_point(|&(at, _, _)| at <= start)
            .saturating_sub(1);
        for &(at, from, verbatim) in &self.pieces[first.min(self.pieces.len())..] {
            if at >= end {
                break;
            }
            let (at, from) = if at < start {
                // A piece that began on an earlier line.
                (start, if verbatim { from + (start - at) } else { from })
            } else {
                (at, from)
            };
            part.push(at - start, from.saturating_sub(source_start), verbatim);
        }
        part
    }

    /// Whether every byte of the text is the source's byte at the same offset.
    pub fn is_identity(&self) -> bool {
        self.pieces
            .iter()
            .all(|&(at, from, verbatim)| verbatim && at == from)
    }
}

/// Where one piece of a passage starts: its character offset in the passage, and the line and
/// the 0-based byte column in that line of the text the reader gave for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Start {
    /// Character offset in the passage.
    pub offset: usize,
    /// 1-based line.
    pub line: u64,
    /// 0-based byte column in the line's text.
    pub column: usize,
}

/// How the text of one line maps back to the line of the file, where it is not the file's
/// bytes; and the page the line is on, for formats with pages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineMap {
    /// 1-based line of the text.
    pub line: u64,
    /// From byte columns of the line's text to byte columns of the line in the file.
    pub map: SourceMap,
    /// The 1-based page, for formats with pages: where the line starts.
    pub page: Option<u32>,
    /// The line as the file numbers it, where that is not the text's line: a document's
    /// paragraph (see [`super::document`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_line: Option<u64>,
    /// Where the line goes on to a later page: (byte offset in the line's text, page).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pages: Vec<(usize, u32)>,
}

impl LineMap {
    /// The page the byte `column` of the line's text stands on.
    pub fn page_at(&self, column: usize) -> Option<u32> {
        let later = self.pages.partition_point(|&(at, _)| at <= column);
        match later.checked_sub(1) {
            Some(i) => Some(self.pages[i].1),
            None => self.page,
        }
    }
}

/// Where a passage's text comes from in its file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// Where each piece of the passage starts, in order: one per line it is made of.
    pub starts: Vec<Start>,
    /// The maps of its lines whose text is not the file's (markup), by line.
    pub lines: Vec<LineMap>,
}

/// Where a character of a passage stands in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// 1-based line.
    pub line: u64,
    /// 1-based byte column in the line, as editors jump to it (markup counted).
    pub column: usize,
    /// 1-based page, for formats with pages.
    pub page: Option<u32>,
}

impl Origin {
    /// The origin of a passage that is one line's text from the line's start.
    pub fn of_line(line: u64) -> Origin {
        Origin {
            starts: vec![Start {
                offset: 0,
                line,
                column: 0,
            }],
            lines: Vec::new(),
        }
    }

    /// Where the character at `offset` of the passage `text` (whose origin this is) stands in
    /// the file; `None` for a passage without an origin.
    pub fn locate(&self, text: &str, offset: usize) -> Option<Location> {
        let at = self.starts.partition_point(|s| s.offset <= offset);
        let start = self.starts.get(at.checked_sub(1)?)?;
        let bytes: usize = text
            .chars()
            .skip(start.offset)
            .take(offset - start.offset)
            .map(char::len_utf8)
            .sum();
        let column = start.column + bytes;
        let (line, column, page) = match self.lines.iter().find(|m| m.line == start.line) {
            Some(map) => (
                map.source_line.unwrap_or(start.line),
                map.map.source_offset(column),
                map.page_at(column),
            ),
            None => (start.line, column, None),
        };
        Some(Location {
            line,
            column: column + 1,
            page,
        })
    }

    /// The line the passage starts on, as the file numbers its lines.
    pub fn shown_line(&self) -> Option<u64> {
        let first = self.starts.first()?;
        let map = self.lines.iter().find(|m| m.line == first.line);
        Some(map.and_then(|m| m.source_line).unwrap_or(first.line))
    }

    /// The first line the passage stands on.
    pub fn first_line(&self) -> Option<u64> {
        self.starts.first().map(|s| s.line)
    }

    /// The last line the passage stands on.
    pub fn last_line(&self) -> Option<u64> {
        self.starts.last().map(|s| s.line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_character_is_located_on_its_line_and_byte_column() {
        // "第一句话。安置房" on line 3 from column 2, then "接着" on line 4 from column 0.
        let origin = Origin {
            starts: vec![
                Start {
                    offset: 0,
                    line: 3,
                    column: 2,
                },
                Start {
                    offset: 8,
                    line: 4,
                    column: 0,
                },
            ],
            lines: vec![],
        };
        let text = "第一句话。安置房接着";
        assert_eq!(
            origin.locate(text, 5),
            Some(Location {
                line: 3,
                column: 2 + 5 * 3 + 1,
                page: None
            })
        );
        assert_eq!(
            origin.locate(text, 9).map(|l| (l.line, l.column)),
            Some((4, 4))
        );
        assert_eq!(Origin::default().locate(text, 0), None);
    }

    #[test]
    fn a_line_of_markup_maps_its_columns_back() {
        // `**安置房**建设` reads 安置房建设.
        let mut map = SourceMap::default();
        map.push(0, 2, true);
        map.push(9, 13, true);
        let origin = Origin {
            starts: vec![Start {
                offset: 0,
                line: 1,
                column: 0,
            }],
            lines: vec![LineMap {
                line: 1,
                map,
                page: Some(2),
                ..LineMap::default()
            }],
        };
        let text = "安置房建设";
        assert_eq!(origin.locate(text, 0).map(|l| l.column), Some(3));
        assert_eq!(
            origin.locate(text, 3).map(|l| (l.column, l.page)),
            Some((14, Some(2)))
        );
    }

    #[test]
    fn a_slice_of_a_map_is_relative_to_its_line() {
        let mut map = SourceMap::default();
        map.push(0, 0, true);
        map.push(10, 14, false);
        map.push(11, 19, true);
        let line = map.slice(8, 20, 8);
        assert_eq!(line.source_offset(0), 0);
        assert_eq!(line.source_offset(2), 6);
        assert_eq!(line.source_offset(3), 11);
        assert_eq!(line.source_offset(4), 12);
    }
}
