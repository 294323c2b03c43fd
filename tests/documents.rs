//! Documents as a user keeps them: PDF, Word, OpenDocument and EPUB files in the folder are
//! searched like any article, a PDF hit names its page, and files that cannot be read (scanned,
//! password-protected, damaged, old binary formats) are reported once and listed by `stats`.
//! The fixtures are made by `scripts/make_fixtures.py`, which says what each holds.

mod common;

use std::path::{Path, PathBuf};

use common::{Workspace, stderr, stdout};
use proptest::prelude::*;
use serde_json::Value;
use sou::corpus::document::{self, DocError, Kind};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/documents")
        .join(name)
}

/// A workspace whose `seeds/` holds the named fixtures.
fn with_fixtures(names: &[&str]) -> Workspace {
    let ws = Workspace::new();
    for name in names {
        std::fs::copy(fixture(name), ws.seeds().join(name)).unwrap();
    }
    ws
}

/// The hits of `sou search QUERY --json` (with `extra` arguments).
fn hits(ws: &Workspace, query: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["search", query, "--json"];
    args.extend_from_slice(extra);
    let out = ws.sou(&args);
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    json["hits"].as_array().cloned().unwrap_or_default()
}

#[test]
fn a_string_across_a_pdf_page_break_is_found_on_the_page_it_starts_on() {
    let ws = with_fixtures(&["wrapped.pdf"]);
    // "…分配工" ends page 1 and "作要求…" starts page 2, below the running header.
    let across = hits(&ws, "\"分配工作要求\"", &[]);
    assert_eq!(across.len(), 1, "{across:?}");
    assert_eq!(across[0]["path"], "./seeds/wrapped.pdf");
    assert_eq!(across[0]["page"], 1);
    assert_eq!(across[0]["tier"], "as_written");
    assert_eq!(across[0]["title"], "关于做好安置房分配工作的通知");
    // Strings wholly on page 2, in the same paragraph, name page 2.
    let later = hits(&ws, "\"分配方案须经群众代表讨论\"", &[]);
    assert_eq!(later[0]["page"], 2, "{later:?}");
    // Across a wrapped line within page 1.
    let wrapped = hits(&ws, "\"被征收群众的合法权益\"", &[]);
    assert_eq!(wrapped[0]["page"], 1, "{wrapped:?}");
    // A Latin word hyphenated at the line end is whole again, with a space between words.
    let latin = hits(&ws, "\"information sheet\"", &[]);
    assert_eq!(latin[0]["page"], 2, "{latin:?}");
    assert!(
        latin[0]["text"]
            .as_str()
            .unwrap()
            .contains("submit the information sheet")
    );
    // The running header and the page numbers are not text of the document: had they stayed,
    // the sentence over the page break would have been split by them.
    let header = ws.sou(&["search", "\"某某市人民政府公报\""]);
    assert_eq!(header.status.code(), Some(1), "{}", stdout(&header));
}

#[test]
fn text_output_names_the_page_and_count_and_list_work_for_pdfs() {
    let ws = with_fixtures(&["wrapped.pdf"]);
    ws.write("note.txt", "安置房分配工作要求另见通知。\n");
    let out = ws.sou(&["search", "\"分配方案\""]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.lines()
            .next()
            .unwrap()
            .starts_with("./seeds/wrapped.pdf p.2  "),
        "{text}"
    );
    let listed = stdout(&ws.sou(&["search", "\"分配工作要求\"", "-l"]));
    let mut listed: Vec<&str> = listed.lines().collect();
    listed.sort();
    assert_eq!(listed, ["./seeds/note.txt", "./seeds/wrapped.pdf"]);
    let counted = stdout(&ws.sou(&["search", "\"分配工作要求\"", "-c"]));
    assert_eq!(counted.trim(), "2");
    // A hit in a .txt has no page.
    let txt = hits(&ws, "\"另见通知\"", &[]);
    assert_eq!(txt[0]["path"], "./seeds/note.txt");
    assert!(txt[0].get("page").is_none(), "{:?}", txt[0]);
}

#[test]
fn a_cid_font_through_a_predefined_gbk_cmap_decodes() {
    let ws = with_fixtures(&["gbk-cmap.pdf"]);
    // The two drawn lines are one paragraph, joined without a space.
    let found = hits(&ws, "\"价格指数十一月份\"", &[]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["page"], 1);
    assert_eq!(
        found[0]["title"],
        "国家统计局发布居民消费价格指数十一月份同比上涨百分之二。"
    );
}

#[test]
fn an_owner_password_pdf_is_read_as_the_same_text() {
    let ws = with_fixtures(&["owner-password.pdf"]);
    let found = hits(&ws, "\"分配工作要求\"", &[]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["page"], 1);
    let ours = document::read_here(&fixture("wrapped.pdf"), Kind::Pdf).unwrap();
    let theirs = document::read_here(&fixture("owner-password.pdf"), Kind::Pdf).unwrap();
    assert_eq!(ours, theirs);
}

#[test]
fn word_tables_footnotes_and_paragraph_lines() {
    let ws = with_fixtures(&["report.docx", "notice.odt", "book.epub"]);
    let cell = hits(&ws, "城西片区", &[]);
    assert_eq!(cell[0]["path"], "./seeds/report.docx");
    // Its paragraph, counting the table's cells: title, two paragraphs, two cells before it.
    assert_eq!(cell[0]["line"], 5, "{cell:?}");
    assert_eq!(cell[0]["title"], "安置房建设进度报告");
    assert!(cell[0].get("page").is_none());
    let footnote = hits(&ws, "\"来源于市住房保障局\"", &[]);
    assert_eq!(footnote[0]["path"], "./seeds/report.docx", "{footnote:?}");
    let text = stdout(&ws.sou(&["search", "\"分配工作将于明年\""]));
    assert!(text.starts_with("./seeds/report.docx:7  "), "{text}");
    assert_eq!(
        hits(&ws, "\"城南片区周六停水\"", &[])[0]["title"],
        "停水通知"
    );
    let epub = hits(&ws, "\"历史街区的保护\"", &[]);
    assert_eq!(epub[0]["path"], "./seeds/book.epub");
    assert_eq!(epub[0]["title"], "城市更新十讲");
}

#[test]
fn files_that_cannot_be_read_are_reported_once_and_listed_by_stats() {
    let unread = [
        ("scanned.pdf", "no text layer (scanned?)"),
        ("user-password.pdf", "needs a password"),
        ("truncated.pdf", "cannot be read"),
        ("garbage.pdf", "cannot be read"),
        ("truncated.docx", "cannot be read"),
        ("old.doc", "not readable (convert to .docx)"),
    ];
    let mut names: Vec<&str> = unread.iter().map(|(name, _)| *name).collect();
    names.push("wrapped.pdf");
    let ws = with_fixtures(&names);
    let first = ws.sou(&["index"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let said = stderr(&first);
    for (name, why) in unread {
        let lines: Vec<&str> = said.lines().filter(|l| l.contains(name)).collect();
        assert_eq!(lines.len(), 1, "{name}: {said}");
        assert!(lines[0].contains(why), "{name}: {}", lines[0]);
        assert!(!lines[0].contains("panic"), "{}", lines[0]);
    }
    assert!(stdout(&first).starts_with("1 added"), "{}", stdout(&first));
    // Once: the next sync has nothing new to say.
    let again = ws.sou(&["index"]);
    assert_eq!(stderr(&again), "", "{}", stderr(&again));
    let stats = stdout(&ws.sou(&["stats"]));
    assert!(stats.contains("skipped:   6"), "{stats}");
    for (name, why) in unread {
        assert!(
            stats.lines().any(|l| l.contains(name) && l.contains(why)),
            "{name}: {stats}"
        );
    }
    // The readable one is searched as ever.
    assert_eq!(hits(&ws, "\"分配工作要求\"", &[]).len(), 1);
}

#[test]
fn vimgrep_leaves_documents_out_and_says_so() {
    let ws = with_fixtures(&["wrapped.pdf", "report.docx"]);
    ws.write("note.txt", "第一行\n安置房分配方案另行公布。\n");
    let out = ws.sou(&["search", "分配方案", "--vimgrep"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines: Vec<String> = stdout(&out).lines().map(String::from).collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("./seeds/note.txt:2:"), "{lines:?}");
    assert!(
        stderr(&out).contains("in documents (PDF, Word, …) left out"),
        "{}",
        stderr(&out)
    );
}

/// Broken documents, each one made from a good fixture: cut short, bytes flipped, or random
/// bytes after the format's first bytes.
#[derive(Debug, Clone)]
enum Damage {
    Truncate(usize),
    Flip(Vec<(usize, u8)>),
    Random(Vec<u8>),
}

fn damaged(source: &[u8], magic: &[u8], damage: &Damage) -> Vec<u8> {
    match damage {
        Damage::Truncate(at) => source[..at % source.len()].to_vec(),
        Damage::Flip(flips) => {
            let mut bytes = source.to_vec();
            for (at, xor) in flips {
                let at = at % bytes.len();
                bytes[at] ^= xor.max(&1);
            }
            bytes
        }
        Damage::Random(tail) => [magic, tail].concat(),
    }
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        any::<usize>().prop_map(Damage::Truncate),
        prop::collection::vec((any::<usize>(), any::<u8>()), 1..40).prop_map(Damage::Flip),
        prop::collection::vec(any::<u8>(), 0..4096).prop_map(Damage::Random),
    ]
}

/// How many broken files each format's property test reads: a short run in `cargo test`;
/// `scripts/fuzz-documents` sets `SOU_FUZZ_CASES` for a long one.
fn cases() -> u32 {
    std::env::var("SOU_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(48)
}

/// Reads a broken file on a thread of its own and waits at most `limit`: it must answer (text
/// or a reason), never panic past the reader and never hang.
fn read_broken(bytes: &[u8], kind: Kind, ext: &str) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("broken.{ext}"));
    std::fs::write(&path, bytes).unwrap();
    let (send, receive) = std::sync::mpsc::channel();
    let reading = path.clone();
    std::thread::spawn(move || {
        let _ = send.send(document::read_here(&reading, kind));
    });
    let limit = std::time::Duration::from_secs(20);
    match receive.recv_timeout(limit) {
        Ok(Ok(_)) | Ok(Err(DocError::NoText | DocError::NeedsPassword)) => Ok(()),
        Ok(Err(DocError::Unreadable(why))) => {
            prop_assert!(!why.is_empty() && !why.contains('\n'), "{why:?}");
            Ok(())
        }
        Err(_) => {
            let kept = std::env::temp_dir().join(format!("sou-hang.{ext}"));
            let _ = std::fs::write(&kept, bytes);
            Err(TestCaseError::fail(format!(
                "no answer in {limit:?}; the file is kept at {}",
                kept.display()
            )))
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn broken_pdfs_are_answered_never_panic_or_hang(damage in damage(), source in 0..2usize) {
        let good = std::fs::read(fixture(["wrapped.pdf", "owner-password.pdf"][source])).unwrap();
        read_broken(&damaged(&good, b"%PDF-1.4\n", &damage), Kind::Pdf, "pdf")?;
    }

    #[test]
    fn broken_office_files_are_answered_never_panic_or_hang(damage in damage(), source in 0..3usize) {
        let (name, kind, ext) = [
            ("report.docx", Kind::Docx, "docx"),
            ("notice.odt", Kind::Odt, "odt"),
            ("book.epub", Kind::Epub, "epub"),
        ][source];
        let good = std::fs::read(fixture(name)).unwrap();
        read_broken(&damaged(&good, b"PK\x03\x04", &damage), kind, ext)?;
    }
}

/// The reader process a build reads PDFs in answers as reading in place does: the same text,
/// and a one-line reason for a file it cannot read.
#[test]
fn the_reader_child_reports_a_file_it_cannot_read_in_one_line() {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_sou"));
    let isolation = document::Isolation::Child(exe);
    let read = document::read(&fixture("garbage.pdf"), Kind::Pdf, &isolation);
    match read {
        Err(DocError::Unreadable(why)) => assert!(!why.contains('\n'), "{why}"),
        other => panic!("{other:?}"),
    }
    // One reader serves one thread's documents in turn, each answered as its own.
    let here = document::read_here(&fixture("wrapped.pdf"), Kind::Pdf).unwrap();
    for _ in 0..3 {
        let good = document::read(&fixture("wrapped.pdf"), Kind::Pdf, &isolation).unwrap();
        assert_eq!(good, here);
        let scanned = document::read(&fixture("scanned.pdf"), Kind::Pdf, &isolation);
        assert_eq!(scanned, Err(DocError::NoText));
    }
    // A reader that dies answers nothing: the document is reported, and the next one gets a
    // reader of its own.
    #[cfg(unix)]
    {
        let dying = document::Isolation::Child(PathBuf::from("/bin/true"));
        match document::read(&fixture("wrapped.pdf"), Kind::Pdf, &dying) {
            Err(DocError::Unreadable(why)) => assert!(why.contains("reader stopped"), "{why}"),
            other => panic!("{other:?}"),
        }
        let again = document::read(&fixture("wrapped.pdf"), Kind::Pdf, &isolation).unwrap();
        assert_eq!(again, here);
    }
}
