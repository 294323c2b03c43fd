//! `sou` as a user runs it: a fresh temp folder per test, the built binary, exit codes, and JSON
//! parsed into strict structs so that a renamed field fails a test.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde::Deserialize;

use common::{SEED_NAME, Workspace, stderr, stdout};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JsonResults {
    query: String,
    words: Vec<String>,
    all_words: bool,
    total: usize,
    total_exact: bool,
    took_ms: f64,
    hits: Vec<JsonHit>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JsonHit {
    rank: usize,
    score: f32,
    tier: String,
    path: String,
    also: Vec<String>,
    line: u64,
    title: String,
    text: String,
    snippet: String,
    highlights: Vec<[usize; 2]>,
    matched: Vec<String>,
    missing: Vec<String>,
}

impl JsonHit {
    fn highlighted(&self) -> Vec<String> {
        let chars: Vec<char> = self.snippet.chars().collect();
        self.highlights
            .iter()
            .map(|&[s, e]| chars[s..e].iter().collect())
            .collect()
    }
}

/// Runs `sou search --json ARGS` in the workspace; the exit code and the strictly parsed JSON.
fn search_json(ws: &Workspace, args: &[&str]) -> (i32, JsonResults) {
    let mut all = vec!["search", "--json"];
    all.extend_from_slice(args);
    let out = ws.sou(&all);
    let code = out.status.code().unwrap();
    let results: JsonResults = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bad JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, results)
}

#[test]
fn search_builds_the_index_and_prints_the_best_passage_first() {
    let ws = Workspace::with_seed();
    let out = ws.sou(&["search", "安置房"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let first_hit: Vec<&str> = text.lines().take(2).collect();
    assert_eq!(
        first_hit[0].split("  ").next(),
        Some("./seeds/000_bbb0717566f56162.txt:33")
    );
    assert!(first_hit[1].contains("安置房建设回迁"), "{text}");
    assert!(
        !text.contains('\x1b'),
        "no color when stdout is not a terminal"
    );
    assert!(ws.path("index/meta.json").exists());
}

#[test]
fn json_output_parses_strictly_and_highlights_the_query() {
    let ws = Workspace::with_seed();
    let (code, results) = search_json(&ws, &["\"智慧产业\""]);
    assert_eq!(code, 0);
    assert_eq!(results.query, "\"智慧产业\"");
    assert_eq!(results.words, ["智慧产业"]);
    assert!(results.all_words && results.total_exact);
    assert_eq!(results.total, 3);
    for (i, hit) in results.hits.iter().enumerate() {
        assert_eq!(hit.rank, i + 1);
        assert_eq!(hit.tier, "as_written");
        assert!(hit.text.contains("智慧产业"));
        assert!(hit.text.contains(&hit.snippet));
        assert_eq!(hit.highlighted(), ["智慧产业"]);
        assert_eq!(hit.path, format!("./seeds/{SEED_NAME}"));
        assert!(hit.title.starts_with("郑州高新区"));
        assert_eq!(hit.matched, ["智慧产业"]);
        assert!(hit.missing.is_empty() && hit.also.is_empty());
    }
}

#[test]
fn healed_passages_are_found_and_absent_words_exit_1() {
    let ws = Workspace::with_seed();
    let (code, results) = search_json(&ws, &["近30年"]);
    assert_eq!(code, 0);
    assert_eq!(results.hits.len(), 1);
    assert!(results.hits[0].text.contains("历经近30年的艰辛耕耘"));
    assert_eq!(results.hits[0].line, 13);

    let out = ws.sou(&["search", "上海"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    assert!(stderr(&out).starts_with("0 passages"), "{}", stderr(&out));
    let (code, results) = search_json(&ws, &["上海"]);
    assert_eq!((code, results.total, results.hits.len()), (1, 0, 0));
}

#[test]
fn an_empty_query_is_an_error_on_one_line() {
    let ws = Workspace::with_seed();
    for query in ["", "  ", "-智慧社会"] {
        let out = ws.sou(&["search", query]);
        assert_eq!(out.status.code(), Some(2), "{query:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("sou: query:"), "{err}");
        assert!(stdout(&out).is_empty());
    }
}

#[test]
fn the_index_follows_added_edited_and_deleted_files_without_sou_index() {
    let ws = Workspace::with_seed();
    assert_eq!(ws.sou(&["index"]).status.code(), Some(0));

    ws.write(
        "new/晚报.txt",
        "晚报标题\n\n这里提到了独一无二的蝾螈保护区。\n",
    );
    let (code, results) = search_json(&ws, &["蝾螈保护区"]);
    assert_eq!(code, 0);
    assert_eq!(results.hits[0].path, "./seeds/new/晚报.txt");
    assert_eq!(results.hits[0].line, 3);

    // Edit: the old words go, the new ones come. Sizes differ, so this does not depend on the
    // file system's timestamp resolution.
    ws.write("new/晚报.txt", "晚报标题\n\n改写以后只剩下了大熊猫基地。\n");
    assert_eq!(search_json(&ws, &["蝾螈保护区"]).0, 1);
    assert_eq!(search_json(&ws, &["大熊猫基地"]).0, 0);

    std::fs::remove_file(ws.seeds().join("new/晚报.txt")).unwrap();
    assert_eq!(search_json(&ws, &["大熊猫基地"]).0, 1);
    // The seed is still there.
    assert_eq!(search_json(&ws, &["安置房"]).0, 0);
}

#[test]
fn sou_index_reports_what_it_did_and_a_second_run_touches_nothing() {
    let ws = Workspace::with_seed();
    let first = ws.sou(&["index"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(
        stdout(&first).contains("1 added, 0 changed, 0 removed, 0 unchanged"),
        "{}",
        stdout(&first)
    );
    let second = ws.sou(&["index"]);
    assert!(
        stdout(&second).contains("0 added, 0 changed, 0 removed, 1 unchanged"),
        "{}",
        stdout(&second)
    );
    let rebuilt = ws.sou(&["index", "--rebuild"]);
    assert!(
        stdout(&rebuilt).starts_with("rebuilt: 1 added"),
        "{}",
        stdout(&rebuilt)
    );

    let stats = ws.sou(&["stats"]);
    assert_eq!(stats.status.code(), Some(0));
    let text = stdout(&stats);
    assert!(text.contains("articles:  1"), "{text}");
    assert!(text.contains("passages:  15"), "{text}");
}

#[test]
fn folders_come_from_options_or_the_environment() {
    let ws = Workspace::with_seed();
    let elsewhere = ws.path("elsewhere");
    std::fs::rename(ws.seeds(), &elsewhere).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sou"))
        .args(["search", "--json", "智慧产业"])
        .current_dir(ws.dir.path())
        .env("SOU_SEEDS", &elsewhere)
        .env("SOU_INDEX", ws.path("idx"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(ws.path("idx/meta.json").exists());
    let out = ws.sou(&[
        "search",
        "--seeds",
        "elsewhere",
        "--index",
        "idx",
        "智慧产业",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).starts_with("elsewhere/000_"),
        "{}",
        stdout(&out)
    );
}

fn assert_one_line_error(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(needle), "{err}");
}

#[test]
fn bad_folders_are_one_line_errors_and_nothing_is_written() {
    let ws = Workspace::with_seed();
    // A missing seeds folder.
    let out = ws.sou(&["search", "--seeds", "nope", "安置房"]);
    assert_one_line_error(&out, "nope");
    assert!(
        !ws.path("index").exists(),
        "nothing created for a missing seeds folder"
    );

    // An index path that is a file.
    std::fs::write(ws.path("afile"), "keep me").unwrap();
    let out = ws.sou(&["index", "--index", "afile"]);
    assert_one_line_error(&out, "not a folder");
    assert_eq!(
        std::fs::read_to_string(ws.path("afile")).unwrap(),
        "keep me"
    );

    // An index folder holding someone else's files.
    std::fs::create_dir(ws.path("theirs")).unwrap();
    std::fs::write(ws.path("theirs/notes.txt"), "mine").unwrap();
    for args in [
        &["index", "--index", "theirs"][..],
        &["search", "--index", "theirs", "安置房"][..],
        &["search", "--no-sync", "--index", "theirs", "安置房"][..],
        &["stats", "--index", "theirs"][..],
    ] {
        let out = ws.sou(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(
            stderr(&out).lines().count(),
            1,
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let names: Vec<_> = std::fs::read_dir(ws.path("theirs")).unwrap().collect();
    assert_eq!(names.len(), 1, "nothing written into a foreign folder");

    // No index yet and --no-sync.
    let out = ws.sou(&["search", "--no-sync", "安置房"]);
    assert_one_line_error(&out, "sou index");
}

#[test]
fn no_sync_searches_the_last_commit() {
    let ws = Workspace::with_seed();
    assert_eq!(ws.sou(&["index"]).status.code(), Some(0));
    ws.write("late.txt", "迟到\n\n迟到的文章提到蝾螈。\n");
    assert_eq!(search_json(&ws, &["--no-sync", "蝾螈"]).0, 1);
    assert_eq!(search_json(&ws, &["蝾螈"]).0, 0);
}

#[test]
fn quotes_exclusions_and_or_on_the_command_line() {
    let ws = Workspace::new();
    ws.write(
        "a.txt",
        "标题甲\n\n会议讨论了安置房建设的进度。\n\n另一段只说安置房，然后才谈到建设。\n\n第三段讲智慧社会和智慧产业。\n",
    );
    // Words apart still match; as written ranks first.
    let (_, results) = search_json(&ws, &["安置房", "建设"]);
    assert_eq!(results.total, 2);
    assert!(results.hits[0].text.contains("安置房建设"));
    // Quotes keep the words together.
    let (_, results) = search_json(&ws, &["\"安置房建设\""]);
    assert_eq!(results.total, 1);
    // Exclusion, as a separate argument and inside one argument.
    assert_eq!(search_json(&ws, &["智慧产业", "-智慧社会"]).0, 1);
    assert_eq!(search_json(&ws, &["智慧产业 -智慧社会"]).0, 1);
    // OR.
    let (_, results) = search_json(&ws, &["进度", "OR", "智慧产业"]);
    assert_eq!(results.total, 2);
}

#[test]
fn color_is_used_only_when_asked_or_on_a_terminal() {
    let ws = Workspace::with_seed();
    let out = ws.sou(&["search", "--color", "always", "安置房"]);
    assert!(stdout(&out).contains("\x1b["));
    let out = ws.sou(&["search", "--color", "never", "安置房"]);
    assert!(!stdout(&out).contains("\x1b["));
}

#[test]
fn a_user_can_open_the_printed_path() {
    let ws = Workspace::with_seed();
    let (_, results) = search_json(&ws, &["安置房"]);
    let path = Path::new(&results.hits[0].path);
    let text = std::fs::read_to_string(ws.dir.path().join(path)).unwrap();
    assert!(text.contains("安置房建设回迁"));
}

/// "Ties go to the earlier file and line" held for up to 32 tied hits: the collector kept
/// `limit + 32` candidates in index order and re-sorted those.
#[test]
fn fifty_tied_files_come_in_path_order() {
    let ws = Workspace::new();
    // Added in reverse path order over several syncs, so that index order is not path order.
    // The passages differ in a digit only: same length, same words, the same score.
    for batch in (0..10).rev() {
        for i in (0..5).rev() {
            let n = batch * 5 + i;
            let text = format!("第{n:02}篇\n\n这段文字提到了独角兽企业，编号{n:02}号。\n");
            ws.write(&format!("copy{n:02}.txt"), &text);
        }
        assert_eq!(ws.sou(&["index"]).status.code(), Some(0));
    }
    for limit in ["10", "50"] {
        let (code, results) = search_json(&ws, &["--limit", limit, "独角兽企业"]);
        assert_eq!(code, 0);
        assert_eq!(results.total, 50);
        let paths: Vec<&str> = results.hits.iter().map(|h| h.path.as_str()).collect();
        let expected: Vec<String> = (0..limit.parse().unwrap())
            .map(|i| format!("./seeds/copy{i:02}.txt"))
            .collect();
        assert_eq!(paths, expected, "limit {limit}");
        // The tie happened: every hit has the same score.
        assert!(
            results
                .hits
                .iter()
                .all(|h| h.score == results.hits[0].score)
        );
    }
}

/// inews holds 99 files twice: the same passage is shown once, with the other paths, in order.
#[test]
fn fifty_identical_files_are_one_hit_with_the_other_paths_in_order() {
    let ws = Workspace::new();
    let text = "同一篇文章\n\n这段文字在五十个文件里一模一样，提到了独角兽企业。\n";
    for batch in (0..10).rev() {
        for i in (0..5).rev() {
            ws.write(&format!("copy{:02}.txt", batch * 5 + i), text);
        }
        assert_eq!(ws.sou(&["index"]).status.code(), Some(0));
    }
    ws.write(
        "other.txt",
        "另一篇\n\n这里也提到了独角兽企业，但文字不同。\n",
    );
    let (code, results) = search_json(&ws, &["独角兽企业"]);
    assert_eq!(code, 0);
    let mut paths: Vec<&str> = results.hits.iter().map(|h| h.path.as_str()).collect();
    paths.sort();
    assert_eq!(paths, ["./seeds/copy00.txt", "./seeds/other.txt"]);
    let expected: Vec<String> = (1..50).map(|i| format!("./seeds/copy{i:02}.txt")).collect();
    for hit in &results.hits {
        if hit.path.ends_with("copy00.txt") {
            assert_eq!(hit.also, expected);
        } else {
            assert!(hit.also.is_empty());
        }
    }
    let text = ws.sou(&["search", "独角兽企业"]);
    assert!(
        stdout(&text).contains("also in ./seeds/copy01.txt, ./seeds/copy02.txt"),
        "{}",
        stdout(&text)
    );
}
