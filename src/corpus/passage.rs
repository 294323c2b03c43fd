//! Cutting an article's text into passages: the title, healed paragraphs, and readable pieces of
//! long paragraphs, each with the 1-based line where it starts. The [`Cutter`] takes the text in
//! pieces of any size and emits passages as soon as they are settled, so a file of any size is
//! cut in bounded memory.
//!
//! Scraped Chinese text breaks paragraphs mid-sentence with blank lines and puts whole articles on
//! one line; a hit should be a readable passage, never a fragment or a whole article. So blank-line
//! breaks that fall inside a sentence are healed (joined with nothing in between, so `近30` + `年`
//! is found as `近30年`), while titles and section headings stay passages of their own.
//!
//! Passages go to a callback that returns [`ControlFlow`]: a consumer that is done (an
//! interruption, a failed write) says so with the passage it refuses, and cutting stops there.

use std::ops::ControlFlow;

use super::place::{Origin, Start};

/// Where the cutter hands passages; `Break` stops the cutting.
pub type Emit<'a> = dyn FnMut(Passage) -> ControlFlow<()> + 'a;

/// A passage of an article as a reader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    /// The 1-based line of the file where the passage starts.
    pub line: u64,
    /// The passage's text: the original lines, trimmed and joined.
    pub text: String,
    /// The first characters that follow the passage in the same paragraph, when a long paragraph
    /// was cut after it (empty otherwise). Not shown; indexed so that a string straddling the
    /// cut is still found, as grep would find it on the line.
    pub tail: String,
    /// Where its text stands in the file.
    pub origin: Origin,
}

/// An article: its title and its passages, the title being the first of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// The first non-empty line, trimmed; empty for an empty file.
    pub title: String,
    /// All passages in reading order; the title is passage 0 when there is one.
    pub passages: Vec<Passage>,
}

/// The rules that decide where passages start and end. They change what is indexed, so the index
/// fingerprint carries [`CutRules::version`], derived from them (and `revision`, bumped by hand
/// when the code that applies them changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CutRules {
    /// Paragraphs longer than this many characters are cut at sentence ends.
    pub max_passage_chars: usize,
    /// A paragraph that grows past this many characters before it ends (a whole article on one
    /// line) has its leading passages cut off and emitted, so memory stays bounded by the
    /// passage, not the file.
    pub flush_chars: usize,
    /// A paragraph no longer than this, with no clause punctuation, is a heading.
    pub max_heading_chars: usize,
    /// Characters that end a sentence. A paragraph ending in one of them is complete.
    pub sentence_ends: &'static [char],
    /// Closing quotes and brackets that may follow a sentence end (`。”`).
    pub closers: &'static [char],
    /// Punctuation that separates clauses, besides sentence ends; headings have none of it.
    pub clause_marks: &'static [char],
    /// Bumped when the cutting code changes what it makes of a text.
    pub revision: u32,
}

/// The rules in force.
pub(crate) const RULES: CutRules = CutRules {
    max_passage_chars: 300,
    flush_chars: 8 * 300,
    max_heading_chars: 40,
    sentence_ends: &[
        '。', '！', '？', '!', '?', '…', '；', ';', '.', '：', ':', '．', '｡',
    ],
    closers: &[
        '”', '’', '"', '\'', '）', ')', '】', ']', '」', '』', '》', '〉', '］',
    ],
    clause_marks: &['，', ',', '、', '﹐', '､'],
    revision: 2,
};

impl CutRules {
    /// A short string that changes whenever any rule does.
    pub fn version(&self) -> String {
        crate::version::derived("cut", self.revision, self)
    }
}

/// The version of the cutting rules in force: part of the index fingerprint.
pub fn version() -> String {
    RULES.version()
}

/// Paragraphs longer than this many characters are cut at sentence ends.
pub const MAX_PASSAGE_CHARS: usize = RULES.max_passage_chars;

const FLUSH_CHARS: usize = RULES.flush_chars;

/// A line longer than this many bytes is fed to the paragraph in pieces (how text is read, not
/// where passages end).
const LINE_PIECE_BYTES: usize = 64 * 1024;

const MAX_HEADING_CHARS: usize = RULES.max_heading_chars;

fn is_sentence_end(c: char) -> bool {
    RULES.sentence_ends.contains(&c)
}

fn is_closer(c: char) -> bool {
    RULES.closers.contains(&c)
}

fn is_clause_punct(c: char) -> bool {
    is_sentence_end(c) || RULES.clause_marks.contains(&c)
}

fn is_blank(line: &str) -> bool {
    line.chars().all(char::is_whitespace)
}

/// Space at a line's ends, which is not part of a passage.
fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

fn trim(line: &str) -> &str {
    line.trim_matches(is_space)
}

/// A run of non-blank lines, joined, with where each line starts in the joined text.
#[derive(Debug, Default)]
struct Paragraph {
    text: String,
    chars: usize,
    /// (char offset, byte offset, 1-based line, 0-based byte column in the line) where each
    /// joined piece starts.
    starts: Vec<(usize, usize, u64, usize)>,
}

impl Paragraph {
    fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Appends a piece that starts on `line` at byte `column`. Pieces of different lines are
    /// joined with nothing in between, except a space between two Latin letters or digits,
    /// where a word would otherwise be glued; a piece continuing the same line is appended as
    /// it is.
    fn push(&mut self, piece: &str, line: u64, column: usize, same_line: bool) {
        if piece.is_empty() {
            return;
        }
        if !same_line {
            let needs_space = matches!(
                (self.text.chars().next_back(), piece.chars().next()),
                (Some(a), Some(b)) if a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric()
            );
            if needs_space {
                self.text.push(' ');
                self.chars += 1;
            }
            self.starts
                .push((self.chars, self.text.len(), line, column));
        } else if self.starts.is_empty() {
            self.starts
                .push((self.chars, self.text.len(), line, column));
        }
        self.text.push_str(piece);
        self.chars += piece.chars().count();
    }

    fn append(&mut self, other: Paragraph) {
        for (i, &(_, byte, line, column)) in other.starts.iter().enumerate() {
            let end = other.starts.get(i + 1).map_or(other.text.len(), |s| s.1);
            let piece = &other.text[byte..end];
            let trimmed = piece.trim_start();
            let lead = piece.len() - trimmed.len();
            self.push(trimmed.trim_end(), line, column + lead, false);
        }
    }

    fn is_heading(&self) -> bool {
        self.chars <= MAX_HEADING_CHARS && !self.text.chars().any(is_clause_punct)
    }

    fn ends_sentence(&self) -> bool {
        self.text
            .chars()
            .rev()
            .find(|&c| !is_closer(c))
            .is_some_and(is_sentence_end)
    }

    /// The line and byte column where the character at `char_offset` (at byte `byte_offset`)
    /// of the paragraph stands.
    fn place_at(&self, char_offset: usize, byte_offset: usize) -> (u64, usize) {
        // The starts are sorted by offset.
        let after = self
            .starts
            .partition_point(|&(offset, _, _, _)| offset <= char_offset);
        match after.checked_sub(1).map(|i| self.starts[i]) {
            Some((_, byte, line, column)) => (line, column + byte_offset.saturating_sub(byte)),
            None => (self.starts.first().map_or(1, |s| s.2), 0),
        }
    }

    /// The origin of the passage made of the paragraph's characters `start..end` (at bytes
    /// `start_byte`…).
    fn origin(&self, start: usize, start_byte: usize, end: usize) -> Origin {
        let (line, column) = self.place_at(start, start_byte);
        let mut starts = vec![Start {
            offset: 0,
            line,
            column,
        }];
        for &(offset, _, line, column) in &self.starts {
            if offset > start && offset < end {
                starts.push(Start {
                    offset: offset - start,
                    line,
                    column,
                });
            }
        }
        Origin {
            starts,
            lines: Vec::new(),
        }
    }

    /// Cuts the paragraph into passages and emits them, each with the `tail_chars` characters
    /// that follow it; when `keep_last`, the last piece is not emitted but kept as the paragraph
    /// (more text of it may follow).
    fn cut(&mut self, keep_last: bool, tail_chars: usize, emit: &mut Emit<'_>) -> ControlFlow<()> {
        let chars: Vec<char> = self.text.chars().collect();
        let mut pieces = pack(&chars, 0, chars.len(), &[is_sentence_end, is_clause_punct]);
        let kept = if keep_last { pieces.pop() } else { None };
        // Byte offsets of the pieces' starts, counted as the pieces go.
        let (mut counted, mut counted_bytes) = (0, 0);
        let mut byte_of = |char_offset: usize| {
            counted_bytes += chars[counted..char_offset]
                .iter()
                .map(|c| c.len_utf8())
                .sum::<usize>();
            counted = char_offset;
            counted_bytes
        };
        for (start, end) in pieces {
            let piece: String = chars[start..end].iter().collect();
            let trimmed = piece.trim();
            if trimmed.is_empty() {
                continue;
            }
            let lead = piece[..piece.len() - piece.trim_start().len()]
                .chars()
                .count();
            // The tail starts right after the trimmed text: the spaces cut off belong to it.
            let kept_end = start + lead + trimmed.chars().count();
            let tail_end = (kept_end + tail_chars).min(chars.len());
            let origin = self.origin(start + lead, byte_of(start + lead), kept_end);
            emit(Passage {
                line: origin.first_line().unwrap_or(1),
                text: trimmed.to_string(),
                tail: chars[kept_end..tail_end].iter().collect(),
                origin,
            })?;
        }
        match kept {
            Some((start, _)) => {
                let byte = byte_of(start);
                let (line, column) = self.place_at(start, byte);
                let mut rest = Paragraph {
                    text: self.text[byte..].to_string(),
                    chars: chars.len() - start,
                    starts: vec![(0, 0, line, column)],
                };
                for &(offset, b, line, column) in &self.starts {
                    if offset > start {
                        rest.starts.push((offset - start, b - byte, line, column));
                    }
                }
                *self = rest;
            }
            None => *self = Paragraph::default(),
        }
        ControlFlow::Continue(())
    }
}

/// Cuts text into passages as it arrives. Feed it with [`Cutter::push`], end with
/// [`Cutter::finish`]; passages come out through the callback in reading order.
#[derive(Debug, Default)]
pub struct Cutter {
    /// The 1-based number of the line being read.
    line: u64,
    /// The part of the current line not yet given to a paragraph.
    line_buf: String,
    /// Some of the current line was already given to the paragraph.
    line_started: bool,
    /// Bytes of the current line already taken from `line_buf` (given to the paragraph, or
    /// leading space).
    line_taken: usize,
    /// The title, once known.
    title: Option<String>,
    /// The first text is long: its first passage will be the title.
    title_from_first_passage: bool,
    /// A finished paragraph, held until the next one shows whether to heal the break.
    pending: Option<Paragraph>,
    /// The paragraph being read.
    current: Paragraph,
    /// Characters of the following text kept as a passage's tail.
    tail_chars: usize,
}

impl Cutter {
    /// A cutter at the start of a file, keeping `tail_chars` characters of what follows a cut
    /// passage as its tail.
    pub fn new(tail_chars: usize) -> Self {
        Cutter {
            line: 1,
            tail_chars,
            ..Cutter::default()
        }
    }

    /// The title, once the first non-empty line has been read.
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    /// Feeds more text.
    pub fn push(&mut self, mut text: &str, emit: &mut Emit<'_>) -> ControlFlow<()> {
        while let Some(newline) = text.find('\n') {
            self.line_buf.push_str(&text[..newline]);
            self.end_line(emit)?;
            text = &text[newline + 1..];
        }
        self.line_buf.push_str(text);
        if self.line_buf.len() > LINE_PIECE_BYTES {
            self.feed_line_piece(emit)?;
        }
        ControlFlow::Continue(())
    }

    /// Ends the text: emits what is left.
    pub fn finish(&mut self, emit: &mut Emit<'_>) -> ControlFlow<()> {
        if !self.line_buf.is_empty() || self.line_started {
            self.end_line(emit)?;
        }
        self.end_paragraph(emit)?;
        if let Some(mut last) = self.pending.take() {
            self.emit_all(&mut last, false, emit)?;
        }
        ControlFlow::Continue(())
    }

    /// Gives the long line read so far to the paragraph, keeping a possibly partial character
    /// sequence (`\r`) for later.
    fn feed_line_piece(&mut self, emit: &mut Emit<'_>) -> ControlFlow<()> {
        let mut whole = std::mem::take(&mut self.line_buf);
        // A `\r` at the end may be the first half of a line end.
        if whole.ends_with('\r') {
            whole.pop();
            self.line_buf.push('\r');
        }
        let taken = self.line_taken;
        self.line_taken += whole.len();
        let piece = if self.line_started {
            whole.as_str()
        } else {
            whole.trim_start_matches(is_space)
        };
        if piece.is_empty() {
            return ControlFlow::Continue(());
        }
        if self.title.is_none() {
            self.title_from_first_passage = true;
        }
        let same_line = self.line_started;
        let column = taken + (whole.len() - piece.len());
        self.current.push(piece, self.line, column, same_line);
        self.line_started = true;
        self.grow(emit)
    }

    fn end_line(&mut self, emit: &mut Emit<'_>) -> ControlFlow<()> {
        let raw = std::mem::take(&mut self.line_buf);
        let raw = raw.strip_suffix('\r').unwrap_or(&raw);
        let line = self.line;
        let continued = std::mem::take(&mut self.line_started);
        let taken = std::mem::take(&mut self.line_taken);
        self.line += 1;
        if !continued && is_blank(raw) {
            return self.end_paragraph(emit);
        }
        let piece = if continued { raw.trim_end() } else { trim(raw) };
        let column = match continued {
            true => taken,
            false => taken + (raw.len() - raw.trim_start_matches(is_space).len()),
        };
        if self.title.is_none() && !self.title_from_first_passage && !continued {
            if piece.chars().count() <= MAX_PASSAGE_CHARS {
                self.title = Some(piece.to_string());
                return emit(Passage {
                    line,
                    text: piece.to_string(),
                    tail: String::new(),
                    origin: Origin {
                        starts: vec![Start {
                            offset: 0,
                            line,
                            column,
                        }],
                        lines: Vec::new(),
                    },
                });
            }
            self.title_from_first_passage = true;
        }
        self.current.push(piece, line, column, continued);
        self.grow(emit)
    }

    /// Emits the settled head of a paragraph that has grown long.
    fn grow(&mut self, emit: &mut Emit<'_>) -> ControlFlow<()> {
        if self.current.chars <= FLUSH_CHARS {
            return ControlFlow::Continue(());
        }
        // So long a paragraph is no heading: whether it heals onto the pending one is known.
        if let Some(mut pending) = self.pending.take() {
            if !pending.ends_sentence() && !pending.is_heading() {
                pending.append(std::mem::take(&mut self.current));
                self.current = pending;
            } else {
                self.emit_all(&mut pending, false, emit)?;
            }
        }
        let mut current = std::mem::take(&mut self.current);
        let flow = self.emit_all(&mut current, true, emit);
        self.current = current;
        flow
    }

    fn end_paragraph(&mut self, emit: &mut Emit<'_>) -> ControlFlow<()> {
        if self.current.is_empty() {
            return ControlFlow::Continue(());
        }
        let next = std::mem::take(&mut self.current);
        match self.pending.take() {
            Some(mut pending)
                if !pending.ends_sentence() && !pending.is_heading() && !next.is_heading() =>
            {
                pending.append(next);
                // Paragraphs healed one onto another (scraped text without sentence ends) grow
                // without bound: emit the settled head, as a long line's is.
                let flow = if pending.chars > FLUSH_CHARS {
                    self.emit_all(&mut pending, true, emit)
                } else {
                    ControlFlow::Continue(())
                };
                self.pending = Some(pending);
                flow?;
            }
            Some(mut pending) => {
                self.emit_all(&mut pending, false, emit)?;
                self.pending = Some(next);
            }
            None => self.pending = Some(next),
        }
        ControlFlow::Continue(())
    }

    fn emit_all(
        &mut self,
        paragraph: &mut Paragraph,
        keep_last: bool,
        emit: &mut Emit<'_>,
    ) -> ControlFlow<()> {
        let title = &mut self.title;
        let from_first = &mut self.title_from_first_passage;
        paragraph.cut(keep_last, self.tail_chars, &mut |passage| {
            if *from_first && title.is_none() {
                *title = Some(passage.text.clone());
                *from_first = false;
            }
            emit(passage)
        })
    }
}

/// Cuts `text` (a whole decoded file) into its title and passages, keeping `tail_chars`
/// characters of what follows a cut passage as its tail.
pub fn cut_article(text: &str, tail_chars: usize) -> Article {
    let mut passages = Vec::new();
    let mut cutter = Cutter::new(tail_chars);
    let mut keep = |p| {
        passages.push(p);
        ControlFlow::Continue(())
    };
    let _ = cutter.push(text, &mut keep);
    let _ = cutter.finish(&mut keep);
    Article {
        title: cutter.title.unwrap_or_default(),
        passages,
    }
}

/// Cuts `chars[start..end]` into ranges of at most `MAX_PASSAGE_CHARS`, ending each after a
/// character accepted by the first splitter; a unit still too long is cut by the next splitter,
/// and as a last resort at the length limit.
fn pack(
    chars: &[char],
    start: usize,
    end: usize,
    splitters: &[fn(char) -> bool],
) -> Vec<(usize, usize)> {
    let Some((&split, finer)) = splitters.split_first() else {
        return (start..end)
            .step_by(MAX_PASSAGE_CHARS)
            .map(|s| (s, (s + MAX_PASSAGE_CHARS).min(end)))
            .collect();
    };
    // Units: runs ending after a splitting character (and any closers after it).
    let mut units = Vec::new();
    let mut unit_start = start;
    let mut i = start;
    while i < end {
        if split(chars[i]) {
            let mut j = i + 1;
            while j < end && (is_closer(chars[j]) || split(chars[j])) {
                j += 1;
            }
            units.push((unit_start, j));
            unit_start = j;
            i = j;
        } else {
            i += 1;
        }
    }
    if unit_start < end {
        units.push((unit_start, end));
    }

    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut piece: Option<(usize, usize)> = None;
    for (s, e) in units {
        if e - s > MAX_PASSAGE_CHARS {
            out.extend(piece.take());
            out.extend(pack(chars, s, e, finer));
            continue;
        }
        piece = match piece {
            Some((ps, _)) if e - ps <= MAX_PASSAGE_CHARS => Some((ps, e)),
            Some(done) => {
                out.push(done);
                Some((s, e))
            }
            None => Some((s, e)),
        };
    }
    out.extend(piece);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = include_str!("../../seeds/000_bbb0717566f56162.txt");
    const TAIL: usize = 24;

    fn passage_with<'a>(article: &'a Article, needle: &str) -> Vec<&'a Passage> {
        article
            .passages
            .iter()
            .filter(|p| p.text.contains(needle))
            .collect()
    }

    #[test]
    fn the_six_mid_sentence_breaks_of_the_seed_are_healed() {
        let article = cut_article(SEED, TAIL);
        for joined in [
            "历经近30年的艰辛耕耘",
            "边探索实践,边论证谋划",
            "伟大旗帜,全面贯彻落实",
            "人力资源协同发展",
            "着力营造和谐稳定的发展环境。坚持以人民为中心",
            "《郑州高新技术产业开发区2018年工作要点》,结合自身工作实际",
        ] {
            let found = passage_with(&article, joined);
            assert_eq!(found.len(), 1, "{joined} should be in exactly one passage");
        }
    }

    #[test]
    fn healed_passages_start_on_the_line_of_their_first_part() {
        let article = cut_article(SEED, TAIL);
        let found = passage_with(&article, "近30年");
        assert_eq!(found[0].line, 13);
        let found = passage_with(&article, "边探索实践");
        assert_eq!(found[0].line, 19);
    }

    #[test]
    fn the_title_and_the_two_headings_stay_passages_of_their_own() {
        let article = cut_article(SEED, TAIL);
        assert!(
            article
                .title
                .starts_with("郑州高新区:开启全面建设国家自创区新征程")
        );
        assert_eq!(article.passages[0].text, article.title);
        assert_eq!(article.passages[0].line, 3);
        for heading in [
            "全面完成2018年各项目标任务 着力发展更加宜创宜业宜居智慧新城",
            "扎实做好保障和改善民生工作 着力营造和谐稳定的发展环境",
        ] {
            let found: Vec<_> = article
                .passages
                .iter()
                .filter(|p| p.text == heading)
                .collect();
            assert_eq!(found.len(), 1, "heading {heading} should stand alone");
        }
        // The byline before the first heading is not glued to it.
        assert!(passage_with(&article, "赵翔宇")[0].text.ends_with("赵翔宇"));
    }

    #[test]
    fn no_passage_is_longer_than_the_limit_and_nothing_is_lost() {
        let article = cut_article(SEED, TAIL);
        for passage in &article.passages {
            assert!(
                passage.text.chars().count() <= MAX_PASSAGE_CHARS,
                "{passage:?}"
            );
        }
        let all: String = article.passages.iter().map(|p| p.text.as_str()).collect();
        let source: String = SEED.chars().filter(|c| !c.is_whitespace()).collect();
        let kept: String = all.chars().filter(|c| !c.is_whitespace()).collect();
        assert_eq!(kept, source);
    }

    #[test]
    fn a_long_line_is_cut_at_sentence_ends() {
        let sentence = "这是一个用来测试的句子，里面有逗号。";
        let line = sentence.repeat(60);
        let article = cut_article(&format!("标题\n{line}\n"), TAIL);
        assert!(article.passages.len() > 3);
        for passage in &article.passages[1..] {
            assert!(passage.text.ends_with('。'), "{}", passage.text);
            assert_eq!(passage.line, 2);
        }
    }

    #[test]
    fn a_cut_passage_keeps_the_start_of_what_follows_as_its_tail() {
        let line = "这是一个用来测试的句子，里面有逗号。".repeat(30);
        let article = cut_article(&format!("标题\n{line}\n"), TAIL);
        let pieces = &article.passages[1..];
        for pair in pieces.windows(2) {
            assert_eq!(pair[0].tail.chars().count(), TAIL);
            assert!(pair[1].text.starts_with(&pair[0].tail));
        }
        assert!(pieces.last().unwrap().tail.is_empty());
        assert!(article.passages[0].tail.is_empty());
    }

    #[test]
    fn a_sentence_without_punctuation_is_still_cut() {
        let line = "字".repeat(1000);
        let article = cut_article(&format!("标题\n\n{line}"), TAIL);
        assert_eq!(article.passages.len(), 5);
        assert_eq!(article.passages[1].text.chars().count(), MAX_PASSAGE_CHARS);
    }

    #[test]
    fn latin_words_across_a_break_keep_a_space() {
        let article = cut_article("Title\n\nthe quick, brown\n\nfox jumps.", TAIL);
        assert_eq!(article.passages[1].text, "the quick, brown fox jumps.");
    }

    #[test]
    fn text_fed_in_pieces_cuts_like_text_fed_whole() {
        let whole = cut_article(SEED, TAIL);
        for size in [1, 7, 100, 4096] {
            let mut passages = Vec::new();
            let mut keep = |p| {
                passages.push(p);
                ControlFlow::Continue(())
            };
            let mut cutter = Cutter::new(TAIL);
            let chars: Vec<char> = SEED.chars().collect();
            for chunk in chars.chunks(size) {
                let chunk: String = chunk.iter().collect();
                let _ = cutter.push(&chunk, &mut keep);
            }
            let _ = cutter.finish(&mut keep);
            assert_eq!(passages, whole.passages, "chunks of {size}");
            assert_eq!(cutter.title(), Some(whole.title.as_str()));
        }
    }

    #[test]
    fn a_huge_single_line_streams_out_in_bounded_pieces() {
        let sentence = "这是一个用来测试流式切分的句子，它会重复很多次。";
        let mut cutter = Cutter::new(TAIL);
        let mut count = 0usize;
        let mut max_buffered = 0usize;
        for _ in 0..20_000 {
            let _ = cutter.push(sentence, &mut |p| {
                assert!(p.text.chars().count() <= MAX_PASSAGE_CHARS);
                assert_eq!(p.line, 1);
                count += 1;
                ControlFlow::Continue(())
            });
            max_buffered = max_buffered.max(cutter.current.text.len() + cutter.line_buf.len());
        }
        let _ = cutter.finish(&mut |_| {
            count += 1;
            ControlFlow::Continue(())
        });
        assert!(count > 1000, "{count}");
        assert!(
            max_buffered < 2 * LINE_PIECE_BYTES + FLUSH_CHARS * 4,
            "{max_buffered}"
        );
        let title = cutter.title().unwrap();
        assert!(
            title.starts_with("这是一个用来测试") && title.chars().count() <= MAX_PASSAGE_CHARS
        );
    }

    /// 16 MB of blank-line separated paragraphs without a sentence end were healed into one
    /// paragraph that grew to the whole file: 2.5 s, and 32.6 s for 64 MB.
    #[test]
    fn healed_paragraphs_stream_out_in_bounded_pieces() {
        let mut cutter = Cutter::new(TAIL);
        let mut count = 0usize;
        let mut max_buffered = 0usize;
        let paragraph = "没有句号的一段文字，接着又是一段\n\n";
        for _ in 0..20_000 {
            let _ = cutter.push(paragraph, &mut |p| {
                assert!(p.text.chars().count() <= MAX_PASSAGE_CHARS);
                count += 1;
                ControlFlow::Continue(())
            });
            let pending = cutter.pending.as_ref().map_or(0, |p| p.text.len());
            max_buffered = max_buffered.max(pending + cutter.current.text.len());
        }
        assert!(count > 1000, "{count}");
        assert!(max_buffered < FLUSH_CHARS * 8, "{max_buffered}");
    }

    #[test]
    fn a_consumer_that_breaks_gets_no_more_passages() {
        let mut cutter = Cutter::new(TAIL);
        let mut seen = 0;
        let mut take_three = |_| {
            seen += 1;
            if seen == 3 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        assert!(cutter.push(SEED, &mut take_three).is_break());
        assert_eq!(seen, 3);
    }

    #[test]
    fn crlf_and_empty_files() {
        let article = cut_article("标题\r\n\r\n正文第一句。\r\n", TAIL);
        assert_eq!(article.passages[1].text, "正文第一句。");
        assert_eq!(article.passages[1].line, 3);
        assert!(cut_article("", TAIL).passages.is_empty());
        assert!(cut_article("\n \n\u{3000}\n", TAIL).passages.is_empty());
    }
}
