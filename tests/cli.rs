//! `sou` as a user runs it: a fresh temp folder per test, the built binary, exit codes, and JSON
//! parsed into strict structs so that a renamed field fails a test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Deserialize;

const SEED: &str = include_str!("../seeds/000_bbb0717566f56162.txt");
const SEED_NAME: &str = "000_bbb0717566f56162.txt";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JsonResults {
    query: String,
    total: usize,
    took_ms: f64,
    hits: Vec<JsonHit>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JsonHit {
    rank: usize,
    score: f32,
    path: String,
    line: u64,
    title: String,
    text: String,
    snippet: String,
    highlights: Vec<[usize; 2]>,
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

/// A temp folder with `seeds/` and a place for `index/`.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("seeds")).unwrap();
        Workspace { dir }
    }

    fn with_seed() -> Self {
        let ws = Workspace::new();
        ws.write(SEED_NAME, SEED);
        ws
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn seeds(&self) -> PathBuf {
        self.path("seeds")
    }

    fn write(&self, name: &str, text: &str) {
        let path = self.seeds().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, text).unwrap();
    }

    /// Runs `sou` in the workspace with the default folders (`./seeds`, `./index`).
    fn sou(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_sou"))
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("SOU_SEEDS")
            .env_remove("SOU_INDEX")
            .env_remove("NO_COLOR")
            .output()
            .unwrap()
    }

    fn search_json(&self, args: &[&str]) -> (i32, JsonResults) {
        let mut all = vec!["search", "--json"];
        all.extend_from_slice(args);
        let out = self.sou(&all);
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
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
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
    let (code, results) = ws.search_json(&["智慧产业"]);
    assert_eq!(code, 0);
    assert_eq!(results.query, "智慧产业");
    assert_eq!(results.total, 3);
    for (i, hit) in results.hits.iter().enumerate() {
        assert_eq!(hit.rank, i + 1);
        assert!(hit.text.contains("智慧产业"));
        assert!(hit.text.contains(&hit.snippet));
        assert_eq!(hit.highlighted(), ["智慧产业"]);
        assert_eq!(hit.path, format!("./seeds/{SEED_NAME}"));
        assert!(hit.title.starts_with("郑州高新区"));
    }
}

#[test]
fn healed_passages_are_found_and_absent_words_exit_1() {
    let ws = Workspace::with_seed();
    let (code, results) = ws.search_json(&["近30年"]);
    assert_eq!(code, 0);
    assert_eq!(results.hits.len(), 1);
    assert!(results.hits[0].text.contains("历经近30年的艰辛耕耘"));
    assert_eq!(results.hits[0].line, 13);

    let out = ws.sou(&["search", "上海"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("0 passages"), "{}", stdout(&out));
    let (code, results) = ws.search_json(&["上海"]);
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
    let (code, results) = ws.search_json(&["蝾螈保护区"]);
    assert_eq!(code, 0);
    assert_eq!(results.hits[0].path, "./seeds/new/晚报.txt");
    assert_eq!(results.hits[0].line, 3);

    // Edit: the old words go, the new ones come. Sizes differ, so this does not depend on the
    // file system's timestamp resolution.
    ws.write("new/晚报.txt", "晚报标题\n\n改写以后只剩下了大熊猫基地。\n");
    assert_eq!(ws.search_json(&["蝾螈保护区"]).0, 1);
    assert_eq!(ws.search_json(&["大熊猫基地"]).0, 0);

    std::fs::remove_file(ws.seeds().join("new/晚报.txt")).unwrap();
    assert_eq!(ws.search_json(&["大熊猫基地"]).0, 1);
    // The seed is still there.
    assert_eq!(ws.search_json(&["安置房"]).0, 0);
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
    assert_eq!(ws.search_json(&["--no-sync", "蝾螈"]).0, 1);
    assert_eq!(ws.search_json(&["蝾螈"]).0, 0);
}

#[test]
fn quotes_exclusions_and_or_on_the_command_line() {
    let ws = Workspace::new();
    ws.write(
        "a.txt",
        "标题甲\n\n会议讨论了安置房建设的进度。\n\n另一段只说安置房，然后才谈到建设。\n\n第三段讲智慧社会和智慧产业。\n",
    );
    // Words apart still match; as written ranks first.
    let (_, results) = ws.search_json(&["安置房", "建设"]);
    assert_eq!(results.total, 2);
    assert!(results.hits[0].text.contains("安置房建设"));
    // Quotes keep the words together.
    let (_, results) = ws.search_json(&["\"安置房建设\""]);
    assert_eq!(results.total, 1);
    // Exclusion, as a separate argument and inside one argument.
    assert_eq!(ws.search_json(&["智慧产业", "-智慧社会"]).0, 1);
    assert_eq!(ws.search_json(&["智慧产业 -智慧社会"]).0, 1);
    // OR.
    let (_, results) = ws.search_json(&["进度", "OR", "智慧产业"]);
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
    let (_, results) = ws.search_json(&["安置房"]);
    let path = Path::new(&results.hits[0].path);
    let text = std::fs::read_to_string(ws.dir.path().join(path)).unwrap();
    assert!(text.contains("安置房建设回迁"));
}
