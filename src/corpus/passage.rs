//! Cutting an article's text into passages: the title, healed paragraphs, and readable pieces of
//! long paragraphs, each with the 1-based line where it starts.
//!
//! Scraped Chinese text breaks paragraphs mid-sentence with blank lines and puts whole articles on
//! one line; a hit should be a readable passage, never a fragment or a whole article. So blank-line
//! breaks that fall inside a sentence are healed (joined with nothing in between, so `近30` + `年`
//! is found as `近30年`), while titles and section headings stay passages of their own.

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
}

/// An article: its title and its passages, the title being the first of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// The first non-empty line, trimmed; empty for an empty file.
    pub title: String,
    /// All passages in reading order; the title is passage 0 when there is one.
    pub passages: Vec<Passage>,
}

/// Paragraphs longer than this many characters are cut at sentence ends.
pub const MAX_PASSAGE_CHARS: usize = 300;

/// Characters of the following text kept as a passage's tail.
pub const TAIL_CHARS: usize = 24;

/// A paragraph no longer than this, with no clause punctuation, is a heading.
const MAX_HEADING_CHARS: usize = 40;

/// Characters that end a sentence. A paragraph ending in one of them is complete.
fn is_sentence_end(c: char) -> bool {
    matches!(
        c,
        '。' | '！' | '？' | '!' | '?' | '…' | '；' | ';' | '.' | '：' | ':' | '．' | '｡'
    )
}

/// Closing quotes and brackets that may follow a sentence end (`。”`).
fn is_closer(c: char) -> bool {
    matches!(
        c,
        '”' | '’' | '"' | '\'' | '）' | ')' | '】' | ']' | '」' | '』' | '》' | '〉' | '］'
    )
}

/// Punctuation that separates clauses; headings have none of it.
fn is_clause_punct(c: char) -> bool {
    is_sentence_end(c) || matches!(c, '，' | ',' | '、' | '﹐' | '､')
}

fn is_blank(line: &str) -> bool {
    line.chars().all(char::is_whitespace)
}

fn trim(line: &str) -> &str {
    line.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
}

/// A run of non-blank lines, joined, with where each line starts in the joined text.
#[derive(Debug)]
struct Paragraph {
    text: String,
    /// (char offset in `text`, 1-based line) for each line joined into `text`.
    line_starts: Vec<(usize, u64)>,
    /// Byte offset in `text` where each entry of `line_starts` begins.
    byte_starts: Vec<usize>,
    chars: usize,
}

impl Paragraph {
    fn new() -> Self {
        Paragraph {
            text: String::new(),
            line_starts: Vec::new(),
            byte_starts: Vec::new(),
            chars: 0,
        }
    }

    fn first_line(&self) -> u64 {
        self.line_starts.first().map_or(1, |&(_, line)| line)
    }

    /// Appends a piece of text that starts on `line`. Pieces are joined with nothing in between,
    /// except a space between two Latin letters or digits, where a word would otherwise be glued.
    fn push(&mut self, piece: &str, line: u64) {
        if piece.is_empty() {
            return;
        }
        let needs_space = matches!(
            (self.text.chars().next_back(), piece.chars().next()),
            (Some(a), Some(b)) if a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric()
        );
        if needs_space {
            self.text.push(' ');
            self.chars += 1;
        }
        self.line_starts.push((self.chars, line));
        self.byte_starts.push(self.text.len());
        self.text.push_str(piece);
        self.chars += piece.chars().count();
    }

    fn append(&mut self, other: Paragraph) {
        for (i, &(_, line)) in other.line_starts.iter().enumerate() {
            let start = other.byte_starts[i];
            let end = other.byte_starts.get(i + 1).copied();
            let piece = &other.text[start..end.unwrap_or(other.text.len())];
            self.push(piece.trim(), line);
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

    fn line_at(&self, char_offset: usize) -> u64 {
        self.line_starts
            .iter()
            .take_while(|&&(offset, _)| offset <= char_offset)
            .last()
            .map_or_else(|| self.first_line(), |&(_, line)| line)
    }
}

/// Cuts `text` (a whole decoded file) into its title and passages.
pub fn cut_article(text: &str) -> Article {
    let mut title = String::new();
    let mut paragraphs: Vec<Paragraph> = Vec::new();
    let mut current = Paragraph::new();
    for (index, raw) in text.split('\n').enumerate() {
        let line = index as u64 + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if is_blank(raw) {
            if !current.text.is_empty() {
                paragraphs.push(std::mem::replace(&mut current, Paragraph::new()));
            }
            continue;
        }
        if title.is_empty() {
            title = trim(raw).to_string();
            let mut heading = Paragraph::new();
            heading.push(&title, line);
            paragraphs.push(heading);
            continue;
        }
        current.push(trim(raw), line);
    }
    if !current.text.is_empty() {
        paragraphs.push(current);
    }

    let mut passages = Vec::new();
    let mut paragraphs = paragraphs.into_iter().peekable();
    let mut is_title = !title.is_empty();
    while let Some(mut paragraph) = paragraphs.next() {
        if is_title {
            // The title stands alone, whatever follows it.
            is_title = false;
            passages.push(Passage {
                line: paragraph.first_line(),
                text: paragraph.text,
                tail: String::new(),
            });
            continue;
        }
        while !paragraph.ends_sentence()
            && !paragraph.is_heading()
            && paragraphs.peek().is_some_and(|next| !next.is_heading())
        {
            if let Some(next) = paragraphs.next() {
                paragraph.append(next);
            }
        }
        split_long(&paragraph, &mut passages);
    }
    Article { title, passages }
}

/// Pushes `paragraph` as one passage, or as several cut at sentence ends when it is long.
fn split_long(paragraph: &Paragraph, out: &mut Vec<Passage>) {
    if paragraph.chars <= MAX_PASSAGE_CHARS {
        out.push(Passage {
            line: paragraph.first_line(),
            text: paragraph.text.clone(),
            tail: String::new(),
        });
        return;
    }
    let chars: Vec<char> = paragraph.text.chars().collect();
    for (start, end) in pack(&chars, 0, chars.len(), &[is_sentence_end, is_clause_punct]) {
        let piece: String = chars[start..end].iter().collect();
        let trimmed_start = piece.len() - piece.trim_start().len();
        let lead = piece[..trimmed_start].chars().count();
        let trimmed = piece.trim();
        if !trimmed.is_empty() {
            // The tail starts right after the trimmed text: the spaces cut off belong to it.
            let kept_end = start + lead + trimmed.chars().count();
            let tail_end = (kept_end + TAIL_CHARS).min(chars.len());
            out.push(Passage {
                line: paragraph.line_at(start + lead),
                text: trimmed.to_string(),
                tail: chars[kept_end..tail_end].iter().collect(),
            });
        }
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

    fn passage_with<'a>(article: &'a Article, needle: &str) -> Vec<&'a Passage> {
        article
            .passages
            .iter()
            .filter(|p| p.text.contains(needle))
            .collect()
    }

    #[test]
    fn the_six_mid_sentence_breaks_of_the_seed_are_healed() {
        let article = cut_article(SEED);
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
        let article = cut_article(SEED);
        let found = passage_with(&article, "近30年");
        assert_eq!(found[0].line, 13);
        let found = passage_with(&article, "边探索实践");
        assert_eq!(found[0].line, 19);
    }

    #[test]
    fn the_title_and_the_two_headings_stay_passages_of_their_own() {
        let article = cut_article(SEED);
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
        let article = cut_article(SEED);
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
        let article = cut_article(&format!("标题\n{line}\n"));
        assert!(article.passages.len() > 3);
        for passage in &article.passages[1..] {
            assert!(passage.text.ends_with('。'), "{}", passage.text);
            assert_eq!(passage.line, 2);
        }
    }

    #[test]
    fn a_cut_passage_keeps_the_start_of_what_follows_as_its_tail() {
        let line = "这是一个用来测试的句子，里面有逗号。".repeat(30);
        let article = cut_article(&format!("标题\n{line}\n"));
        let pieces = &article.passages[1..];
        for pair in pieces.windows(2) {
            assert_eq!(pair[0].tail.chars().count(), TAIL_CHARS);
            assert!(pair[1].text.starts_with(&pair[0].tail));
        }
        assert!(pieces.last().unwrap().tail.is_empty());
        assert!(article.passages[0].tail.is_empty());
    }

    #[test]
    fn a_sentence_without_punctuation_is_still_cut() {
        let line = "字".repeat(1000);
        let article = cut_article(&format!("标题\n\n{line}"));
        assert_eq!(article.passages.len(), 5);
        assert_eq!(article.passages[1].text.chars().count(), MAX_PASSAGE_CHARS);
    }

    #[test]
    fn latin_words_across_a_break_keep_a_space() {
        let article = cut_article("Title\n\nthe quick, brown\n\nfox jumps.");
        assert_eq!(article.passages[1].text, "the quick, brown fox jumps.");
    }

    #[test]
    fn crlf_and_empty_files() {
        let article = cut_article("标题\r\n\r\n正文第一句。\r\n");
        assert_eq!(article.passages[1].text, "正文第一句。");
        assert_eq!(article.passages[1].line, 3);
        assert!(cut_article("").passages.is_empty());
        assert!(cut_article("\n \n\u{3000}\n").passages.is_empty());
    }
}
