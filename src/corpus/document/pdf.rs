//! PDF text as a reader reads it. pdf_oxide (MIT OR Apache-2.0) parses the file, decrypts
//! what an owner password protects (the user password empty, as "copy-protected" government
//! documents are), and decodes each font's characters — ToUnicode maps, the predefined Adobe
//! CJK CMaps (UniGB-UCS2-H, GBK-EUC-H, …), Type 3 fonts — into text spans with their boxes.
//! From the spans this module makes paragraphs: spans on one baseline are a line (a space
//! between two Latin words, none between Chinese characters); a line wrapped at the page edge
//! joins the next into one paragraph, a hyphen at a line end rejoining the word; a paragraph
//! ends at a wider gap, an indented line or a short one; running headers and footers (the same
//! first or last line on most pages, page numbers) are dropped, so that a sentence that goes on
//! to the next page is one paragraph. Pages whose characters cannot be mapped to Unicode are
//! left out and noted, never indexed as mojibake.

use std::path::Path;

use pdf_oxide::PdfDocument;
use pdf_oxide::extractors::SpanMergingConfig;

use super::{DocError, DocText, Paragraph, one_line, real_title};

/// One line of a page: its text and where it stands.
#[derive(Debug, Clone)]
struct Line {
    text: String,
    left: f32,
    right: f32,
    /// The middle of its height, in page coordinates (up is more).
    middle: f32,
    size: f32,
}

/// Reads the PDF at `path`.
pub fn read(path: &Path) -> Result<DocText, DocError> {
    let unreadable = |e: pdf_oxide::Error| DocError::Unreadable(e.to_string());
    let doc = PdfDocument::open(path).map_err(unreadable)?;
    if doc.is_encrypted() && !doc.authenticate(b"").unwrap_or(false) {
        return Err(DocError::NeedsPassword);
    }
    let pages = doc.page_count().map_err(unreadable)?;
    let mut lines_of_pages: Vec<Vec<Line>> = Vec::with_capacity(pages);
    let mut notes = Vec::new();
    let mut unmapped = Vec::new();
    for page in 0..pages {
        // The spans as the page draws them. pdf_oxide's `extract_spans` goes on to sort them
        // into its reading order, mark running headers and stamp each glyph's position (a
        // second pass over the page): sou makes its own lines and drops its own running lines,
        // and that work was two fifths of a browser-printed PDF's reading time.
        let raw = doc.extract_spans_with_config(page, SpanMergingConfig::default());
        let spans = match raw {
            Ok(spans) => spans,
            Err(err) => {
                notes.push(format!("page {}: {}", page + 1, one_line(&err.to_string())));
                lines_of_pages.push(Vec::new());
                continue;
            }
        };
        let lines = lines_of(&spans);
        if is_unmapped(&lines) {
            unmapped.push(page + 1);
            lines_of_pages.push(Vec::new());
        } else {
            lines_of_pages.push(lines);
        }
    }
    if !unmapped.is_empty() {
        notes.push(format!(
            "{} {}: characters that cannot be mapped to Unicode, not indexed",
            if unmapped.len() == 1 { "page" } else { "pages" },
            unmapped
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    drop_running_lines(&mut lines_of_pages);
    let paragraphs = paragraphs_of(&lines_of_pages);
    if paragraphs.is_empty() {
        if !unmapped.is_empty() {
            return Err(DocError::Unreadable(
                "its characters cannot be mapped to Unicode".into(),
            ));
        }
        if let Some(note) = notes.first() {
            return Err(DocError::Unreadable(note.clone()));
        }
        // "Scanned" is said of pages that draw something (an image): a truncated file whose
        // page contents are lost, or a blank one, is not a scan.
        let draws = (0..pages).any(|page| {
            doc.get_page_content_data(page)
                .is_ok_and(|data| data.iter().any(|b| !b.is_ascii_whitespace()))
        });
        return Err(if draws {
            DocError::NoText
        } else {
            DocError::Unreadable("its pages hold nothing (damaged, or blank)".into())
        });
    }
    Ok(DocText {
        title: info_title(&doc),
        paragraphs,
        notes,
    })
}

/// The lines of a page's spans: spans in the order the page draws them, a new line where one
/// no longer stands on the same baseline as the last.
fn lines_of(spans: &[pdf_oxide::layout::TextSpan]) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    for span in spans {
        if span.artifact_type.is_some() || span.text.is_empty() {
            // Marked as a header, footer or page number by a tagged PDF.
            continue;
        }
        let size = span.bbox.height.abs().max(span.font_size).max(1.0);
        let middle = span.bbox.y + span.bbox.height / 2.0;
        let left = span.bbox.x;
        let right = span.bbox.x + span.bbox.width;
        match lines.last_mut() {
            Some(line)
                if (line.middle - middle).abs() < 0.5 * line.size.min(size)
                    && left >= line.left - 0.5 * size =>
            {
                let gap = left - line.right;
                let latin = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
                if gap > 0.2 * size
                    && latin(line.text.chars().next_back())
                    && latin(span.text.chars().next())
                {
                    line.text.push(' ');
                }
                line.text.push_str(&span.text);
                line.right = line.right.max(right);
                line.size = line.size.max(size);
            }
            _ => {
                if span.text.trim().is_empty() {
                    continue;
                }
                lines.push(Line {
                    text: span.text.clone(),
                    left,
                    right,
                    middle,
                    size,
                });
            }
        }
    }
    for line in &mut lines {
        line.text = without_cjk_spaces(line.text.trim());
    }
    lines.retain(|line| !line.text.is_empty());
    lines
}

/// Whether `c` is a Chinese, Japanese or Korean character or punctuation mark: text in which
/// a space is no word break.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF | 0x3000..=0x303F | 0x3040..=0x30FF | 0x3100..=0x31BF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF
        | 0x20000..=0x3FFFF)
        || matches!(c, '“' | '”' | '‘' | '’' | '…' | '—' | '·')
}

/// `text` without the spaces that stand between two CJK characters: a PDF producer's spacing
/// (justified lines, punctuation set in half its width) that a reader does not see as spaces,
/// but that would keep a string from matching the text it is.
fn without_cjk_spaces(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            let end = (i..chars.len())
                .find(|&j| !chars[j].is_whitespace())
                .unwrap_or(chars.len());
            let before = out.chars().next_back();
            let after = chars.get(end).copied();
            if !(before.is_some_and(is_cjk) && after.is_some_and(is_cjk)) {
                out.push(' ');
            }
            i = end;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Whether a page's text is mostly characters no font mapped to Unicode: replacement
/// characters, private-use code points, control characters.
fn is_unmapped(lines: &[Line]) -> bool {
    let (mut all, mut bad) = (0usize, 0usize);
    for c in lines.iter().flat_map(|l| l.text.chars()) {
        if c.is_whitespace() {
            continue;
        }
        all += 1;
        if c == '\u{FFFD}' || ('\u{E000}'..='\u{F8FF}').contains(&c) || c.is_control() {
            bad += 1;
        }
    }
    all >= 8 && bad * 10 > all * 3
}

/// A line's text with its digits as `#`: a running header or footer is the same on every page
/// but for its page number.
fn shape(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Whether a line is a page number alone (`3`, `- 3 -`, `第3页`, `3/10`, `Page 3 of 10`).
fn is_page_number(text: &str) -> bool {
    let rest: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '–' | '—' | '·' | '/' | '(' | ')'))
        .collect();
    let rest = rest.to_lowercase();
    let rest = rest
        .trim_start_matches("page")
        .trim_start_matches('第')
        .trim_end_matches('页');
    let rest = rest.replace("of", "").replace("共", "");
    !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit())
}

/// Drops running headers and footers: the first or last lines of pages that most pages share
/// (their digits aside), and page numbers standing alone at a page's top or bottom.
fn drop_running_lines(pages: &mut [Vec<Line>]) {
    let with_text = pages.iter().filter(|p| !p.is_empty()).count();
    let mut counts: std::collections::HashMap<(bool, String), usize> = Default::default();
    for page in pages.iter() {
        let edges = [(true, page.first()), (false, page.last())];
        for (top, line) in edges {
            if let Some(line) = line {
                *counts.entry((top, shape(&line.text))).or_default() += 1;
            }
        }
    }
    let running = |top: bool, line: &Line| {
        let count = counts.get(&(top, shape(&line.text))).copied().unwrap_or(0);
        is_page_number(&line.text) || (count >= 2 && count * 2 > with_text)
    };
    for page in pages.iter_mut() {
        // A header or footer may take two lines (a title and a rule of dashes, a date and a
        // number): look at two at each end.
        for _ in 0..2 {
            if page.first().is_some_and(|l| running(true, l)) {
                page.remove(0);
            }
            if page.len() > 1 && page.last().is_some_and(|l| running(false, l)) {
                page.pop();
            }
        }
    }
}

/// The paragraphs of the pages' lines (see the module documentation).
fn paragraphs_of(pages: &[Vec<Line>]) -> Vec<Paragraph> {
    let mut paragraphs: Vec<Paragraph> = Vec::new();
    let mut previous: Option<Line> = None;
    for (index, page) in pages.iter().enumerate() {
        let number = index as u32 + 1;
        if page.is_empty() {
            continue;
        }
        let left = page.iter().map(|l| l.left).fold(f32::INFINITY, f32::min);
        let mut gaps: Vec<f32> = page
            .windows(2)
            .map(|w| (w[0].middle - w[1].middle).abs())
            .filter(|g| *g > 0.0)
            .collect();
        gaps.sort_by(f32::total_cmp);
        let spacing = gaps.get(gaps.len() / 2).copied().unwrap_or(0.0);
        for (i, line) in page.iter().enumerate() {
            let indented = line.left > left + 1.0 * line.size;
            // Only a clear sign ends a paragraph: an indented first line, a gap wider than
            // the page's lines have and than the lines' own height asks (a large heading's
            // lines stand farther apart), or type a fifth larger or smaller (a heading and
            // the text under it). A line that ends short does not: CJK lines break early
            // before a closing mark, and two paragraphs read as one lose no string, where one
            // paragraph read as two loses those across the cut.
            let starts_new = match &previous {
                None => true,
                Some(last) => {
                    let gap = (last.middle - line.middle).abs();
                    let wide_gap = i > 0
                        && spacing > 0.0
                        && gap > (1.6 * spacing).max(1.5 * last.size.max(line.size));
                    let resized = last.size.max(line.size) > 1.2 * last.size.min(line.size);
                    indented || wide_gap || resized
                }
            };
            if starts_new || paragraphs.is_empty() {
                paragraphs.push(Paragraph {
                    text: line.text.clone(),
                    page: Some(number),
                    pages: Vec::new(),
                });
            } else if let Some(paragraph) = paragraphs.last_mut() {
                let crosses_page =
                    paragraph.pages.last().map_or(paragraph.page, |p| Some(p.1)) != Some(number);
                join_line(&mut paragraph.text, &line.text);
                if crosses_page {
                    let at = paragraph.text.len() - line.text.len();
                    paragraph.pages.push((at, number));
                }
            }
            previous = Some(line.clone());
        }
    }
    paragraphs
}

/// Appends a wrapped line to its paragraph: Chinese without a space, Latin words with one, a
/// word hyphenated at the line end joined back, and a web address or code too long for its line
/// (broken anywhere, not at a space) joined back without one.
fn join_line(paragraph: &mut String, line: &str) {
    let last = paragraph.chars().next_back();
    let next = line.chars().next();
    match (last, next) {
        (Some(_), Some(b)) if is_latin(b) && ends_in_long_token(paragraph) => {}
        (Some('-'), Some(n)) if n.is_ascii_lowercase() => {
            let before_hyphen = paragraph.chars().rev().nth(1);
            if before_hyphen.is_some_and(|c| c.is_ascii_alphabetic()) {
                paragraph.pop();
            }
        }
        (Some(a), Some(b)) if is_latin(a) && is_latin(b) => paragraph.push(' '),
        (Some(',' | '.' | ';' | ':'), Some(b)) if is_latin(b) => paragraph.push(' '),
        _ => {}
    }
    paragraph.push_str(line);
}

fn is_latin(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// Whether the text ends in an address or code: 16 or more ASCII characters without a space,
/// holding a digit or a URL's punctuation (a long English word has neither).
fn ends_in_long_token(text: &str) -> bool {
    let token: Vec<char> = text
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_graphic())
        .take(64)
        .collect();
    token.len() >= 16
        && token
            .iter()
            .any(|c| c.is_ascii_digit() || "/:._=?&%#".contains(*c))
}

/// The title the document's Info dictionary gives, when it is a real one.
fn info_title(doc: &PdfDocument) -> Option<String> {
    let info = doc.trailer().as_dict()?.get("Info")?.clone();
    let info = doc.resolve_object(&info).ok()?;
    let title = info.as_dict()?.get("Title")?.clone();
    let title = doc.resolve_object(&title).ok()?;
    real_title(&text_string(title.as_string()?))
}

/// A PDF text string: UTF-16 with its byte-order mark, UTF-8 with its own, else
/// PDFDocEncoding (Latin-1 near enough for a title).
fn text_string(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|p| u16::from_be_bytes([p[0], p[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, left: f32, right: f32, middle: f32) -> Line {
        Line {
            text: text.into(),
            left,
            right,
            middle,
            size: 12.0,
        }
    }

    #[test]
    fn wrapped_lines_join_and_a_page_break_does_not_split_a_sentence() {
        let pages = vec![
            vec![
                line("标题", 200.0, 260.0, 800.0),
                line("一段很长的话从这里开始，写到页边", 72.0, 520.0, 760.0),
                line("然后接着写下去，", 72.0, 520.0, 744.0),
                line("跨过这一页的底部", 72.0, 520.0, 728.0),
            ],
            vec![
                line("在下一页继续，直到句子结束。", 72.0, 300.0, 800.0),
                line("新的一段缩进开始。", 96.0, 400.0, 784.0),
            ],
        ];
        let paragraphs = paragraphs_of(&pages);
        let texts: Vec<&str> = paragraphs.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "标题",
                "一段很长的话从这里开始，写到页边然后接着写下去，跨过这一页的底部在下一页继续，直到句子结束。",
                "新的一段缩进开始。"
            ]
        );
        assert_eq!(paragraphs[1].page, Some(1));
        let at = paragraphs[1].text.find("在下一页").unwrap();
        assert_eq!(paragraphs[1].pages, [(at, 2)]);
        assert_eq!(paragraphs[2].page, Some(2));
    }

    #[test]
    fn a_heading_in_larger_type_is_a_paragraph_of_its_own() {
        // Set close above the text, not indented: only its size tells it apart.
        let mut heading = line("关于做好安置房分配工作的通知", 72.0, 400.0, 800.0);
        heading.size = 15.0;
        let pages = vec![vec![
            heading,
            line("各区人民政府：", 72.0, 200.0, 782.0),
            line("现将有关事项通知如下，请遵照执", 72.0, 520.0, 764.0),
            line("行。", 72.0, 100.0, 746.0),
        ]];
        let texts: Vec<String> = paragraphs_of(&pages).into_iter().map(|p| p.text).collect();
        assert_eq!(
            texts,
            [
                "关于做好安置房分配工作的通知",
                "各区人民政府：现将有关事项通知如下，请遵照执行。"
            ]
        );
    }

    #[test]
    fn spaces_between_chinese_characters_go_and_others_stay() {
        assert_eq!(
            without_cjk_spaces("代购” 忙转型 【重罚】"),
            "代购”忙转型【重罚】"
        );
        assert_eq!(
            without_cjk_spaces("使用 iPhone  手机 5 G"),
            "使用 iPhone 手机 5 G"
        );
    }

    #[test]
    fn latin_lines_join_with_a_space_hyphens_and_addresses_rejoin() {
        let mut text = "the inter-".to_string();
        join_line(&mut text, "national trade");
        assert_eq!(text, "the international trade");
        join_line(&mut text, "of goods");
        assert_eq!(text, "the international trade of goods");
        let mut cn = "中文".to_string();
        join_line(&mut cn, "继续");
        assert_eq!(cn, "中文继续");
        let mut url = String::from("网址：http://www.example.com/news.php?id=7e877284c");
        join_line(&mut url, "4c396d76购买");
        assert_eq!(
            url,
            "网址：http://www.example.com/news.php?id=7e877284c4c396d76购买"
        );
        let mut long_word = String::from("internationalization");
        join_line(&mut long_word, "matters");
        assert_eq!(long_word, "internationalization matters");
    }

    #[test]
    fn running_headers_footers_and_page_numbers_are_dropped() {
        let page = |n: u32| {
            vec![
                line("某某市人民政府文件", 200.0, 400.0, 820.0),
                line(&format!("第{n}页的正文内容。"), 72.0, 520.0, 760.0),
                line(&format!("- {n} -"), 290.0, 310.0, 40.0),
            ]
        };
        let mut pages: Vec<Vec<Line>> = (1..=4).map(page).collect();
        drop_running_lines(&mut pages);
        for (i, page) in pages.iter().enumerate() {
            let texts: Vec<&str> = page.iter().map(|l| l.text.as_str()).collect();
            assert_eq!(texts, [format!("第{}页的正文内容。", i + 1)]);
        }
        assert!(
            is_page_number("第 3 页") && is_page_number("Page 3 of 10") && is_page_number("12")
        );
        assert!(!is_page_number("2018年工作要点"));
    }

    #[test]
    fn a_page_of_unmapped_glyphs_is_told() {
        let bad = vec![line(
            "\u{E001}\u{E002}\u{E003}\u{E004}\u{E005}\u{E006}\u{E007}\u{E008}\u{E009}",
            0.0,
            1.0,
            1.0,
        )];
        assert!(is_unmapped(&bad));
        assert!(!is_unmapped(&[line(
            "正常的中文文字，一共十几个字。",
            0.0,
            1.0,
            1.0
        )]));
    }

    #[test]
    fn title_strings_decode() {
        let mut utf16 = vec![0xFE, 0xFF];
        for unit in "政府工作报告".encode_utf16() {
            utf16.extend_from_slice(&unit.to_be_bytes());
        }
        assert_eq!(text_string(&utf16), "政府工作报告");
        assert_eq!(text_string(b"Report"), "Report");
    }
}
