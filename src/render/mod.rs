//! Rendering results for people (text, colored through any `termcolor::WriteColor`) and for
//! programs (JSON). Renderers write to what they are given and never decide color themselves:
//! the binary passes a colored or a plain writer.

mod fit;
pub mod json;

use std::io::{self, Write};
use std::path::Path;

use termcolor::{Color, ColorSpec, WriteColor};

use crate::corpus::display_path;
use crate::index::Stats;
use crate::index::sync::SyncReport;
use crate::search::{Results, Snippet};

/// `text` safe to print on a terminal: control characters (an escape sequence in a title can set
/// the window title, write the clipboard or fake output; a newline in a file name fakes result
/// lines) and the characters that reorder text on screen are shown as `\x1B`, `\n`, `\u{202E}`.
/// JSON output escapes them already.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    let hidden =
        |c: char| c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if hidden(c) && (c as u32) < 0x100 => out.push_str(&format!("\\x{:02X}", c as u32)),
            c if hidden(c) => out.push_str(&format!("\\u{{{:X}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Titles longer than this many characters are shortened in text output.
const TITLE_CHARS: usize = 40;

fn path_spec() -> ColorSpec {
    let mut spec = ColorSpec::new();
    spec.set_fg(Some(Color::Magenta));
    spec
}

fn line_spec() -> ColorSpec {
    let mut spec = ColorSpec::new();
    spec.set_fg(Some(Color::Green));
    spec
}

fn title_spec() -> ColorSpec {
    let mut spec = ColorSpec::new();
    spec.set_bold(true);
    spec
}

fn note_spec() -> ColorSpec {
    let mut spec = ColorSpec::new();
    spec.set_fg(Some(Color::Yellow));
    spec
}

fn match_spec() -> ColorSpec {
    let mut spec = ColorSpec::new();
    spec.set_fg(Some(Color::Red)).set_bold(true);
    spec
}

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let mut short: String = text.chars().take(max_chars).collect();
    short.push('…');
    short
}

/// The line that says how the query was read, when it was not taken as typed: the words it
/// was cut into, and whether the hits are a best effort.
pub fn reading_line(results: &Results) -> Option<String> {
    let words = results.words.join(" · ");
    let mut parts = Vec::new();
    // What was read as something else first: `整型医院 → 整形医院 (same pinyin)`.
    // A typed string's best reading, with its others after `or`.
    let mut read = Vec::new();
    let mut typed_seen: Vec<&str> = Vec::new();
    for correction in &results.corrections {
        if typed_seen.contains(&correction.typed.as_str()) {
            continue;
        }
        typed_seen.push(&correction.typed);
        let others: Vec<&str> = results
            .corrections
            .iter()
            .filter(|c| c.typed == correction.typed && c.read != correction.read)
            .map(|c| c.read.as_str())
            .collect();
        let mut notes: Vec<String> = Vec::new();
        if correction.why != "pinyin" {
            notes.push(correction.why.to_string());
        }
        if !others.is_empty() {
            notes.push(format!("or {}", others.join(", ")));
        }
        let notes = match notes.is_empty() {
            true => String::new(),
            false => format!(" ({})", notes.join("; ")),
        };
        read.push(format!("{} → {}{notes}", correction.typed, correction.read));
    }
    if !read.is_empty() {
        parts.push(read.join(", "));
    }
    if results.split && (results.corrections.is_empty() || results.words.len() > 1) {
        parts.push(format!("{} → {words}", results.query.trim()));
    }
    if !results.some_article_holds_all() && !results.hits.is_empty() {
        parts.push(format!(
            "no article holds all of {words}; showing those with most"
        ));
    }
    (!parts.is_empty()).then(|| visible(&parts.join("; ")).into_owned())
}

/// How text output is laid out.
#[derive(Debug, Clone, Copy, Default)]
pub struct Layout {
    /// The terminal's width in columns: each line fits it (titles and paths cut, snippets
    /// wrapped with their indent). `None` (a pipe): one line per hit and per snippet.
    pub width: Option<usize>,
}

/// The columns a title keeps beside a long path.
const TITLE_ROOM: usize = 12;

/// How far a hit's passage, and its context, are indented.
const INDENT: usize = 4;

/// Writes `text` with the character ranges `highlights` (sorted) in the match color, wrapped
/// to `layout`'s width: the first line has `first` columns left, the others start with the
/// indent. Unwrapped when the width is unknown.
fn write_marked<W: WriteColor>(
    out: &mut W,
    text: &[char],
    highlights: &[(usize, usize)],
    first: usize,
    layout: &Layout,
) -> io::Result<()> {
    let lines = match layout.width {
        Some(width) => fit::wrap(text, first, width.saturating_sub(INDENT)),
        None => std::iter::once(0..text.len()).collect(),
    };
    for (n, line) in lines.into_iter().enumerate() {
        if n > 0 {
            write!(out, "\n{:INDENT$}", "")?;
        }
        let mut at = line.start;
        while at < line.end {
            let mark = highlights.iter().find(|&&(s, e)| s <= at && at < e);
            let end = match mark {
                Some(&(_, e)) => e.min(line.end),
                None => highlights
                    .iter()
                    .map(|&(s, _)| s)
                    .find(|&s| s > at)
                    .unwrap_or(line.end)
                    .min(line.end),
            };
            let piece: String = text[at..end].iter().collect();
            if mark.is_some() {
                out.set_color(&match_spec())?;
                write!(out, "{piece}")?;
                out.reset()?;
            } else {
                write!(out, "{piece}")?;
            }
            at = end;
        }
    }
    Ok(())
}

/// A snippet as the characters shown (control characters made visible, `…` where the passage
/// goes on) and its highlights in them.
fn shown_snippet(snippet: &Snippet) -> (Vec<char>, Vec<(usize, usize)>) {
    shown_marked(
        &snippet.text,
        &snippet.highlights,
        snippet.cut_start,
        snippet.cut_end,
    )
}

fn shown_marked(
    text: &str,
    highlights: &[(usize, usize)],
    cut_start: bool,
    cut_end: bool,
) -> (Vec<char>, Vec<(usize, usize)>) {
    let mut chars = Vec::new();
    // Where each character of `text` starts among the shown ones.
    let mut starts = Vec::new();
    if cut_start {
        chars.push('…');
    }
    for c in text.chars() {
        starts.push(chars.len());
        chars.extend(visible(c.encode_utf8(&mut [0; 4])).chars());
    }
    starts.push(chars.len());
    if cut_end {
        chars.push('…');
    }
    let at = |i: usize| starts.get(i).copied().unwrap_or(starts[starts.len() - 1]);
    let marks = highlights.iter().map(|&(s, e)| (at(s), at(e))).collect();
    (chars, marks)
}

/// Writes the hits for people: `path:line  title` (with the column too when two hits come from
/// one line), then the passage's snippet indented, the passages of context asked for, and the
/// other files holding the passage.
pub fn write_text<W: WriteColor>(
    out: &mut W,
    results: &Results,
    layout: &Layout,
) -> io::Result<()> {
    for hit in &results.hits {
        let same_line = results
            .hits
            .iter()
            .filter(|other| other.path == hit.path && other.line == hit.line)
            .count();
        // A PDF hit names its page; other hits their line (a document's paragraph).
        let place = match (hit.location, same_line > 1) {
            (Some(location), _) if location.page.is_some() => {
                format!(" p.{}", location.page.unwrap_or_default())
            }
            (Some(location), true) => format!(":{}:{}", hit.line, location.column),
            _ => format!(":{}", hit.line),
        };
        let full_path = shown_path(&hit.path);
        let lacks = match hit.missing.is_empty() {
            true => String::new(),
            false => format!("  [lacks {}]", visible(&hit.missing.join(" · "))),
        };
        // The path is cut (from the left: the file name stays) only when it leaves the title
        // fewer than `TITLE_ROOM` columns.
        let path = match layout.width {
            Some(width) => fit::cut_start(
                &full_path,
                width
                    .saturating_sub(fit::columns(&place) + 2 + TITLE_ROOM)
                    .max(8),
            ),
            None => full_path,
        };
        let head = fit::columns(&path) + fit::columns(&place) + 2;
        out.set_color(&path_spec())?;
        write!(out, "{path}")?;
        out.reset()?;
        let (sep, number) = place.split_at(1);
        write!(out, "{sep}")?;
        out.set_color(&line_spec())?;
        write!(out, "{number}")?;
        out.reset()?;
        write!(out, "  ")?;
        let title_hit = !hit.title.is_empty() && hit.text == hit.title;
        let room = layout
            .width
            .map(|width| width.saturating_sub(head + fit::columns(&lacks)));
        if title_hit {
            // What is left of the line, and one line more.
            let columns = match (layout.width, room) {
                (Some(width), Some(room)) => (room + width.saturating_sub(INDENT + 2)).max(20),
                _ => (2 * 80usize).saturating_sub(head + 2),
            };
            let title =
                crate::search::snippet_in_columns(&hit.text, &hit.highlights, hit.anchor, columns);
            let (chars, marks) = shown_snippet(&title);
            out.set_color(&title_spec())?;
            write_marked(out, &chars, &marks, room.unwrap_or(usize::MAX), layout)?;
            out.reset()?;
        } else {
            let title = visible(&hit.title);
            let title = match room {
                Some(room) => fit::cut_end(&title, room),
                None => shorten(&title, TITLE_CHARS),
            };
            out.set_color(&title_spec())?;
            write!(out, "{title}")?;
            out.reset()?;
        }
        if !lacks.is_empty() {
            out.set_color(&note_spec())?;
            write!(out, "{lacks}")?;
            out.reset()?;
        }
        writeln!(out)?;
        let width = layout.width.map(|w| w.saturating_sub(INDENT));
        for passage in &hit.before {
            write_context(out, passage, width, layout)?;
        }
        if hit.changed {
            out.set_color(&note_spec())?;
            write!(
                out,
                "    (the file changed since it was indexed: `sou index` updates the index)"
            )?;
            out.reset()?;
            writeln!(out)?;
        } else if !title_hit {
            write!(out, "{:INDENT$}", "")?;
            let (chars, marks) = shown_snippet(&hit.snippet);
            write_marked(out, &chars, &marks, width.unwrap_or(usize::MAX), layout)?;
            writeln!(out)?;
        }
        for passage in &hit.after {
            write_context(out, passage, width, layout)?;
        }
        if !hit.also.is_empty() {
            out.set_color(&note_spec())?;
            let also: Vec<String> = hit.also.iter().map(|a| shown_path(&a.path)).collect();
            let also = format!("also in {}", also.join(", "));
            let also = match width {
                Some(width) => fit::cut_end(&also, width),
                None => also,
            };
            write!(out, "{:INDENT$}{also}", "")?;
            out.reset()?;
            writeln!(out)?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// A passage shown around a hit (-A, -B, -C): `line-` in the line color (grep's mark of a
/// context line), then as much of its text as a snippet shows, wrapped as a snippet is.
fn write_context<W: WriteColor>(
    out: &mut W,
    passage: &crate::search::ArticlePassage,
    width: Option<usize>,
    layout: &Layout,
) -> io::Result<()> {
    let place = match passage.page {
        Some(page) => format!("p.{page}-"),
        None => format!("{}-", passage.line),
    };
    write!(out, "{:INDENT$}", "")?;
    out.set_color(&line_spec())?;
    write!(out, "{place} ")?;
    out.reset()?;
    // About as much as a hit's snippet shows, from its first match: a passage can be a
    // whole long line.
    let columns = crate::search::snippet_columns(layout.width.unwrap_or(80));
    let anchor = passage.highlights.first().map_or(0, |&(start, _)| start);
    let shown =
        crate::search::snippet_in_columns(&passage.text, &passage.highlights, anchor, columns);
    let (chars, marks) = shown_snippet(&shown);
    let first = width.map_or(usize::MAX, |w| w.saturating_sub(place.len() + 1));
    write_marked(out, &chars, &marks, first, layout)?;
    writeln!(out)
}

/// A path as printed: its bytes as text (see [`crate::corpus::display_os`]), control
/// characters escaped.
pub fn shown_path(path: &Path) -> String {
    visible(&crate::corpus::display_os(path.as_os_str())).into_owned()
}

/// Writes one line per hit and per other file holding its passage, `path:line:column:text`,
/// as `vim -q`, Emacs's grep mode and VS Code's problem matchers read it: the line and byte
/// column of the match the snippet shows (see [`crate::search::Hit::location`]), and the
/// snippet around it on one line. A hit whose file changed since it was indexed points at its
/// passage's line. Hits in documents (PDF, Word…) are left out — an editor cannot open them at
/// a line — and counted in what this returns.
pub fn write_vimgrep<W: Write>(out: &mut W, results: &Results) -> io::Result<usize> {
    let mut left_out = 0;
    for hit in &results.hits {
        if crate::corpus::document::Kind::of(&hit.path).is_some() {
            left_out += 1 + hit.also.len();
            continue;
        }
        let text = visible(&hit.snippet.text);
        let place = |location: Option<crate::corpus::Location>, line: u64| {
            location.map_or((line, 1), |l| (l.line, l.column))
        };
        let (line, column) = place(hit.location, hit.line);
        writeln!(out, "{}:{line}:{column}:{text}", shown_path(&hit.path))?;
        for also in &hit.also {
            let (line, column) = place(also.location, also.line.max(1));
            writeln!(out, "{}:{line}:{column}:{text}", shown_path(&also.path))?;
        }
    }
    Ok(left_out)
}

/// Writes the paths of the files with hits, best first, each once (files holding the same
/// passage follow the file shown for it), at most `limit` of them.
pub fn write_files<W: Write>(out: &mut W, results: &Results, limit: usize) -> io::Result<()> {
    let mut seen = std::collections::HashSet::new();
    // Best-effort hits (tier 5) are not files that hold the query.
    let paths = results
        .hits
        .iter()
        .filter(|hit| hit.tier < crate::search::Tier::SomeWords)
        .flat_map(|hit| std::iter::once(&hit.path).chain(hit.also.iter().map(|a| &a.path)));
    for path in paths.filter(|path| seen.insert(path.as_path())).take(limit) {
        writeln!(out, "{}", shown_path(path))?;
    }
    Ok(())
}

/// `3 passages (1.0 ms)`, or `10 of 57 passages (…; --limit shows more)`; `57+` when the count
/// is a lower bound.
pub fn summary_line(results: &Results) -> String {
    let ms = results.took.as_secs_f64() * 1000.0;
    let plus = if results.total_exact { "" } else { "+" };
    // A passage found in several files is shown once, and counts for each of them.
    let shown: usize = results.hits.iter().map(|hit| 1 + hit.also.len()).sum();
    if shown < results.total {
        format!(
            "{shown} of {}{plus} passages ({ms:.1} ms; --limit shows more)",
            results.total
        )
    } else {
        let noun = if results.total == 1 && results.total_exact {
            "passage"
        } else {
            "passages"
        };
        format!("{}{plus} {noun} ({ms:.1} ms)", results.total)
    }
}

/// Writes what `sou stats` shows. `seeds` is the seeds folder as given, for the paths shown.
pub fn write_stats<W: Write>(
    out: &mut W,
    stats: &Stats,
    index: &Path,
    seeds: &Path,
) -> io::Result<()> {
    writeln!(
        out,
        "index:     {}",
        visible(&crate::corpus::display_os(index.as_os_str()))
    )?;
    if let Some(folder) = &stats.seeds {
        writeln!(
            out,
            "seeds:     {}",
            visible(&crate::corpus::display_os(folder.as_os_str()))
        )?;
    }
    writeln!(out, "articles:  {}", stats.articles)?;
    writeln!(out, "passages:  {}", stats.passages)?;
    writeln!(out, "terms:     {} distinct", stats.distinct_grams)?;
    writeln!(out, "size:      {}", human_bytes(stats.index_bytes))?;
    let synced = stats
        .synced_at
        .map_or_else(|| "never".to_string(), synced_at);
    let state = if stats.being_written {
        " (another sou process is updating it now)"
    } else if stats.complete {
        ""
    } else {
        " (interrupted: run `sou index`)"
    };
    writeln!(out, "synced:    {synced}{state}")?;
    let settings = match stats.settings.as_slice() {
        [] => "none".to_string(),
        names => names.join(", "),
    };
    writeln!(out, "settings:  {settings}")?;
    writeln!(out, "skipped:   {}", stats.skipped.len())?;
    for skipped in &stats.skipped {
        let path = display_path(seeds, &skipped.key);
        writeln!(out, "  {}: {}", visible(&path), visible(&skipped.reason))?;
    }
    Ok(())
}

pub use crate::units::human_bytes;

/// When a sync committed, given in seconds since the epoch, as RFC 3339 (UTC).
pub(crate) fn synced_at(secs: u64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    humantime::format_rfc3339_seconds(time).to_string()
}

/// One line counting the files of other types than articles among `skipped`, by extension:
/// `30 files of other types not indexed (pdf ×28, docx ×2); sou stats lists them`.
pub fn other_types_line(skipped: &[crate::corpus::Skipped]) -> Option<String> {
    let mut by_extension: std::collections::BTreeMap<String, usize> = Default::default();
    for skip in skipped.iter().filter(|s| s.other_type) {
        *by_extension.entry(skip.extension()).or_default() += 1;
    }
    let total: usize = by_extension.values().sum();
    if total == 0 {
        return None;
    }
    let mut counts: Vec<(String, usize)> = by_extension.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let counts: Vec<String> = counts
        .iter()
        .map(|(ext, n)| {
            let ext = if ext.is_empty() { "no extension" } else { ext };
            format!("{} ×{n}", visible(ext))
        })
        .collect();
    let files = if total == 1 {
        "1 file of another type".to_string()
    } else {
        format!("{total} files of other types")
    };
    Some(format!(
        "{files} not indexed ({}); sou stats lists them",
        counts.join(", ")
    ))
}

/// The one-line summary of a sync, with the time its merges took when they took any to speak
/// of.
pub fn sync_summary(report: &SyncReport) -> String {
    let merging = if report.merging >= std::time::Duration::from_millis(10) {
        format!(" (merging {:.2} s)", report.merging.as_secs_f64())
    } else {
        String::new()
    };
    format!(
        "{}{} added, {} changed, {} removed, {} unchanged; {} passages; {:.2} s{merging}",
        if report.rebuilt { "rebuilt: " } else { "" },
        report.added,
        report.changed,
        report.removed,
        report.unchanged,
        report.passages,
        report.elapsed.as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::Hit;
    use std::time::Duration;

    fn results() -> Results {
        let text = "会议明确了安置房建设回迁的目标。".to_string();
        let highlights = vec![(5, 8)];
        Results {
            corrections: Vec::new(),
            query: "安置房".into(),
            words: vec!["安置房".into()],
            split: false,
            all_words: true,
            total: 3,
            total_all_words: 3,
            total_exact: true,
            hits: vec![Hit {
                rank: 1,
                score: 3000.5,
                tier: crate::search::Tier::AsWritten,
                matched: vec!["安置房".into()],
                missing: vec![],
                path: "seeds/a.txt".into(),
                also: vec![],
                line: 7,
                location: None,
                anchor: 5,
                title: "标题".into(),
                snippet: crate::search::highlight::snippet(&text, &highlights),
                text,
                highlights,
                changed: false,
                before: Vec::new(),
                after: Vec::new(),
            }],
            took: Duration::from_millis(2),
        }
    }

    #[test]
    fn a_sync_summary_says_how_long_merging_took_when_it_did() {
        let mut report = SyncReport {
            added: 3,
            passages: 40,
            elapsed: Duration::from_millis(2500),
            ..SyncReport::default()
        };
        assert_eq!(
            sync_summary(&report),
            "3 added, 0 changed, 0 removed, 0 unchanged; 40 passages; 2.50 s"
        );
        report.merging = Duration::from_millis(1250);
        assert!(sync_summary(&report).ends_with("; 2.50 s (merging 1.25 s)"));
    }

    #[test]
    fn plain_text_has_path_line_title_and_snippet() {
        let mut out = termcolor::NoColor::new(Vec::new());
        write_text(&mut out, &results(), &Layout { width: Some(80) }).unwrap();
        let text = String::from_utf8(out.into_inner()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "seeds/a.txt:7  标题");
        assert_eq!(lines[1], "    会议明确了安置房建设回迁的目标。");
        assert_eq!(lines.len(), 3, "{text}");
        assert!(summary_line(&results()).starts_with("1 of 3 passages"));
        assert!(!text.contains('\x1b'));
    }

    #[test]
    fn colored_text_marks_exactly_the_highlight() {
        let mut out = termcolor::Ansi::new(Vec::new());
        write_text(&mut out, &results(), &Layout { width: Some(80) }).unwrap();
        let text = String::from_utf8(out.into_inner()).unwrap();
        assert!(
            text.contains("会议明确了\x1b[0m\x1b[1m\x1b[31m安置房\x1b[0m建设"),
            "{text:?}"
        );
    }

    #[test]
    fn stats_list_skipped_files_as_paths_the_user_can_open() {
        let stats = Stats {
            articles: 2,
            passages: 30,
            distinct_grams: 700,
            index_bytes: 1_500_000,
            synced_at: Some(0),
            complete: false,
            being_written: false,
            seeds: None,
            settings: vec!["dict.txt".into()],
            skipped: vec![crate::corpus::Skipped {
                key: "图/x.png".into(),
                reason: "binary file (image/png)".into(),
                other_type: false,
            }],
        };
        let mut out = Vec::new();
        write_stats(&mut out, &stats, Path::new("idx"), Path::new("./seeds")).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("passages:  30\n"), "{text}");
        assert!(text.contains("size:      1.5 MB\n"), "{text}");
        assert!(
            text.contains("synced:    1970-01-01T00:00:00Z (interrupted"),
            "{text}"
        );
        assert!(
            text.contains("  ./seeds/图/x.png: binary file (image/png)\n"),
            "{text}"
        );
    }

    #[test]
    fn files_of_other_types_are_counted_in_one_line() {
        use crate::corpus::Skipped;
        let mut skipped: Vec<Skipped> = (0..28)
            .map(|i| Skipped::other_type(format!("doc{i}.pdf")))
            .collect();
        skipped.push(Skipped::other_type("a.DOCX".into()));
        skipped.push(Skipped::other_type("b.docx".into()));
        skipped.push(Skipped::other_type("README".into()));
        skipped.push(Skipped::problem("x.txt".into(), "binary file".into()));
        assert_eq!(
            other_types_line(&skipped).unwrap(),
            "31 files of other types not indexed (pdf ×28, docx ×2, no extension ×1); sou stats lists them"
        );
        assert_eq!(other_types_line(&skipped[31..]), None);
    }

    #[test]
    fn escapes_and_newlines_from_files_never_reach_the_terminal() {
        let mut hit_results = results();
        let hit = &mut hit_results.hits[0];
        hit.title = "标题\x1b]0;owned\x07\x1b[2J".into();
        hit.path = "seeds/a\nseeds/fake.txt:1  假的".into();
        hit.text = "会议\x1b]52;c;ZXZpbA==\x07明确\u{202E}了".into();
        hit.highlights = vec![(0, 2)];
        hit.snippet = crate::search::highlight::snippet(&hit.text, &hit.highlights);
        let mut out = termcolor::NoColor::new(Vec::new());
        write_text(&mut out, &hit_results, &Layout { width: Some(80) }).unwrap();
        let text = String::from_utf8(out.into_inner()).unwrap();
        assert!(!text.contains('\x1b') && !text.contains('\x07') && !text.contains('\u{202E}'));
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(text.contains("标题\\x1B]0;owned\\x07"), "{text}");
        assert!(text.contains("seeds/a\\nseeds/fake.txt"), "{text}");
        assert!(text.contains("明确\\u{202E}了"), "{text}");
        assert_eq!(visible("平常的文字"), "平常的文字");
    }

    #[test]
    fn long_titles_are_shortened() {
        assert_eq!(shorten("一二三", 2), "一二…");
        assert_eq!(shorten("一二", 2), "一二");
    }
}
