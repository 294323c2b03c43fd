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
    corrections: Vec<JsonCorrection>,
    all_words: bool,
    total: usize,
    total_exact: bool,
    took_ms: f64,
    hits: Vec<JsonHit>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonCorrection {
    typed: String,
    read: String,
    why: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JsonHit {
    rank: usize,
    score: f32,
    tier: String,
    path: String,
    also: Vec<String>,
    line: u64,
    #[serde(default)]
    column: Option<usize>,
    #[serde(default)]
    page: Option<u32>,
    title: String,
    text: String,
    snippet: String,
    highlights: Vec<[usize; 2]>,
    matched: Vec<String>,
    missing: Vec<String>,
    changed: bool,
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
fn hits_are_read_from_their_files_and_a_file_changed_since_is_said_so() {
    let ws = Workspace::new();
    ws.write("a.txt", "标题甲\n\n会议讨论了蝾螈的栖息地。\n\n另一段。\n");
    ws.write("b.txt", "标题乙\n\n第二篇也提到蝾螈。\n");
    assert_eq!(ws.sou(&["index"]).status.code(), Some(0));
    let (code, results) = search_json(&ws, &["--no-sync", "蝾螈"]);
    assert_eq!(code, 0);
    assert_eq!(results.hits.len(), 2);
    for hit in &results.hits {
        assert!(!hit.changed);
        assert!(hit.text.contains("蝾螈"), "{hit:?}");
        assert!(hit.title.starts_with("标题"), "{hit:?}");
        assert_eq!(hit.highlighted(), vec!["蝾螈"]);
    }
    // The index keeps no copy of the text: a passage edited (or its file removed) since the
    // last sync is not shown as if it still stood there.
    ws.write("a.txt", "标题甲\n\n会议讨论了蜥蜴的栖息地。\n\n另一段。\n");
    std::fs::remove_file(ws.seeds().join("b.txt")).unwrap();
    let (code, results) = search_json(&ws, &["--no-sync", "蝾螈"]);
    assert_eq!(code, 0);
    assert_eq!(results.hits.len(), 2);
    for hit in &results.hits {
        assert!(hit.changed, "{hit:?}");
        assert!(hit.text.is_empty() && hit.title.is_empty(), "{hit:?}");
    }
    let out = ws.sou(&["search", "--no-sync", "蝾螈"]);
    assert!(
        stdout(&out).contains("changed since it was indexed"),
        "{}",
        stdout(&out)
    );
    // Only the title changed: the passage is still there, but not the article indexed.
    ws.write("a.txt", "标题丙\n\n会议讨论了蝾螈的栖息地。\n\n另一段。\n");
    let (_, results) = search_json(&ws, &["--no-sync", "蝾螈"]);
    assert!(results.hits.iter().all(|hit| hit.changed), "{results:?}");
    // A sync brings the text back.
    let (_, results) = search_json(&ws, &["蝾螈"]);
    assert_eq!(results.hits.len(), 1);
    assert!(!results.hits[0].changed);
    assert_eq!(results.hits[0].title, "标题丙");
}

/// Sets the modification time of `path` to an hour ago: long enough before a sync that the
/// sync takes its size and time as settled (a file changed within seconds of a sync is checked
/// again by content next time).
fn backdate(path: &Path) -> std::time::SystemTime {
    let past = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(past).unwrap();
    past
}

/// An article over 256 KiB, the size from which the index keeps a file's text: titled 长文标题,
/// then short paragraphs. The line the next paragraph would start on.
fn long_article() -> (String, u64) {
    let mut long = String::from("长文标题\n\n");
    let mut line = 3;
    while long.len() <= 300 * 1024 {
        long.push_str(&format!(
            "第{line}行讲的是城市建设与交通规划的一般情况。\n\n"
        ));
        line += 2;
    }
    (long, line)
}

#[test]
fn a_long_files_hits_come_from_the_index_while_it_has_the_size_and_time_indexed() {
    let ws = Workspace::new();
    let (mut long, line) = long_article();
    long.push_str("最后一段提到了蝾螈的栖息地。\n");
    let short = "短文\n\n短文也提到蝾螈。\n";
    ws.write("long.txt", &long);
    ws.write("short.txt", short);
    let long_path = ws.seeds().join("long.txt");
    let short_path = ws.seeds().join("short.txt");
    let (long_time, short_time) = (backdate(&long_path), backdate(&short_path));
    assert_eq!(ws.sou(&["index"]).status.code(), Some(0));
    let hit_in = |results: &JsonResults, name: &str| {
        results
            .hits
            .iter()
            .find(|hit| hit.path.ends_with(name))
            .unwrap_or_else(|| panic!("no hit in {name}: {results:?}"))
            .clone()
    };
    let (code, results) = search_json(&ws, &["--no-sync", "蝾螈"]);
    assert_eq!(code, 0);
    let hit = hit_in(&results, "long.txt");
    assert!(!hit.changed, "{hit:?}");
    assert_eq!(hit.title, "长文标题");
    assert_eq!(hit.line, line);
    assert_eq!(hit.text, "最后一段提到了蝾螈的栖息地。");
    assert_eq!(hit.highlighted(), vec!["蝾螈"]);

    // Other bytes of the same length under the same time: what a sync takes as unchanged. The
    // long file's hit still shows the text indexed, so it was not read again; the short
    // file's, read again, no longer holds its passage.
    for (path, text, time) in [
        (&long_path, long.as_str(), long_time),
        (&short_path, short, short_time),
    ] {
        std::fs::write(path, text.replace("蝾螈", "蜥蜴")).unwrap();
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(time).unwrap();
    }
    let (_, results) = search_json(&ws, &["--no-sync", "蝾螈"]);
    let hit = hit_in(&results, "long.txt");
    assert!(!hit.changed && hit.text.contains("蝾螈"), "{hit:?}");
    assert!(hit_in(&results, "short.txt").changed, "{results:?}");

    // A new time: the long file is read again, and the change is said.
    backdate(&long_path);
    let (_, results) = search_json(&ws, &["--no-sync", "蝾螈"]);
    let hit = hit_in(&results, "long.txt");
    assert!(hit.changed && hit.text.is_empty(), "{hit:?}");
}

#[test]
fn a_long_file_shows_its_hits_from_the_index_as_it_would_from_the_file() {
    let ws = Workspace::new();
    let (mut long, _) = long_article();
    // One long paragraph, cut into passages at sentence ends.
    for i in 0..300 {
        long.push_str(&format!("第{i}句说明了蝾螈的栖息地和保护措施。"));
    }
    long.push('\n');
    ws.write("long.txt", &long);
    let path = ws.seeds().join("long.txt");
    let time = backdate(&path);
    assert_eq!(ws.sou(&["index"]).status.code(), Some(0));
    // A string running from a passage's end into the next one, found through the passage's
    // tail, and highlighted up to its end.
    let article = sou::corpus::cut_article(&long, sou::analysis::grams::TAIL_CHARS);
    let cut = article
        .passages
        .iter()
        .rev()
        .find(|passage| !passage.tail.is_empty())
        .expect("the long paragraph is cut");
    let end: String = cut
        .text
        .chars()
        .rev()
        .take(3)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let start: String = cut.tail.chars().take(4).collect();
    let across = format!("\"{end}{start}\"");
    let queries = [across.as_str(), "蝾螈", "交通规划"];

    // The title changed under the same size and time: shown as indexed, so from the index.
    std::fs::write(&path, long.replacen("长文标题", "短文标题", 1)).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(time)
        .unwrap();
    let kept: Vec<JsonResults> = queries
        .iter()
        .map(|q| search_json(&ws, &["--no-sync", "--limit", "20", q]).1)
        .collect();
    // The file as indexed under a new time: read again, cut again.
    ws.write("long.txt", &long);
    backdate(&path);
    let reread: Vec<JsonResults> = queries
        .iter()
        .map(|q| search_json(&ws, &["--no-sync", "--limit", "20", q]).1)
        .collect();
    for ((query, kept), reread) in queries.iter().zip(&kept).zip(&reread) {
        assert!(!kept.hits.is_empty(), "{query}");
        assert_eq!(kept.hits.len(), reread.hits.len(), "{query}");
        for (a, b) in kept.hits.iter().zip(&reread.hits) {
            assert!(!a.changed && !b.changed, "{query}: {a:?} {b:?}");
            assert_eq!(a.title, "长文标题");
            assert_eq!(
                (a.line, &a.title, &a.text, &a.highlights, &a.snippet),
                (b.line, &b.title, &b.text, &b.highlights, &b.snippet),
                "{query}"
            );
        }
    }
    let hit = &kept[0].hits[0];
    assert_eq!(hit.text, cut.text);
    let chars = hit.snippet.chars().count();
    assert_eq!(hit.highlights, vec![[chars - 3, chars]], "{hit:?}");
}

#[test]
fn quotes_exclusions_and_or_on_the_command_line() {
    let ws = Workspace::new();
    ws.write(
        "a.txt",
        "标题甲\n\n会议讨论了安置房建设的进度。\n\n另一段只说安置房，然后才谈到建设。\n\n第三段讲智慧社会和智慧产业。\n",
    );
    // Words apart still match; as written ranks first.
    let (_, results) = search_json(&ws, &["安置房 建设"]);
    assert_eq!(results.total, 2);
    assert!(results.hits[0].text.contains("安置房建设"));
    // Quotes keep the words together.
    let (_, results) = search_json(&ws, &["\"安置房建设\""]);
    assert_eq!(results.total, 1);
    // Exclusion, as a separate argument and inside one argument.
    assert_eq!(search_json(&ws, &["智慧产业", "-智慧社会"]).0, 1);
    assert_eq!(search_json(&ws, &["智慧产业 -智慧社会"]).0, 1);
    // OR.
    let (_, results) = search_json(&ws, &["进度 OR 智慧产业"]);
    assert_eq!(results.total, 2);
}

#[test]
fn color_is_used_only_when_asked_or_on_a_terminal() {
    let ws = Workspace::with_seed();
    let out = ws.sou(&["search", "--color", "always", "安置房"]);
    assert!(stdout(&out).contains("\x1b["));
    let out = ws.sou(&["search", "--color", "never", "安置房"]);
    assert!(!stdout(&out).contains("\x1b["));
    // A pipe gets none by itself.
    let out = ws.sou(&["search", "安置房"]);
    assert!(stdout(&out).contains("安置房") && !stdout(&out).contains("\x1b["));
    // A terminal does, unless NO_COLOR says no (`script` gives the command one).
    #[cfg(target_os = "linux")]
    {
        let in_terminal = |no_color: Option<&str>| {
            let script = format!("{} search --no-sync 安置房", env!("CARGO_BIN_EXE_sou"));
            let mut command = std::process::Command::new("script");
            command
                .args(["-qec", &script, "/dev/null"])
                .current_dir(ws.dir.path())
                .env("TERM", "xterm")
                .env_remove("NO_COLOR");
            if let Some(value) = no_color {
                command.env("NO_COLOR", value);
            }
            stdout(&command.output().unwrap())
        };
        let colored = in_terminal(None);
        assert!(
            colored.contains("安置房") && colored.contains("\x1b["),
            "{colored:?}"
        );
        let plain = in_terminal(Some("1"));
        assert!(
            plain.contains("安置房") && !plain.contains("\x1b["),
            "{plain:?}"
        );
        // An empty NO_COLOR is no NO_COLOR.
        assert!(in_terminal(Some("")).contains("\x1b["));
    }
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

// ---- Fitting the hands of terminal users (issue 12) ----

/// Runs `sou ARGS` with the working directory `cwd`, inside the workspace.
fn sou_in(ws: &Workspace, cwd: &str, args: &[&str]) -> Output {
    let mut command = common::sou();
    command
        .args(args)
        .current_dir(ws.path(cwd))
        .env("SOU_CACHE", ws.path(".sou-cache"));
    command.output().unwrap()
}

/// `sou --seeds other search 的` then `sou search 的` wiped and rebuilt one `./index` each
/// time ("3 added … 1 removed"); each folder now keeps its own index, found from anywhere.
#[test]
fn folders_switched_back_and_forth_keep_their_own_index() {
    let ws = Workspace::with_seed();
    std::fs::create_dir_all(ws.path("other")).unwrap();
    std::fs::write(ws.path("other/a.txt"), "别处\n\n别处也有安置房的消息。\n").unwrap();
    let first = ws.sou(&["search", "安置房"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(
        ws.path("index/meta.json").exists(),
        "./index serves ./seeds"
    );
    for round in 0..2 {
        let other = ws.sou(&["--seeds", "other", "search", "安置房"]);
        assert_eq!(other.status.code(), Some(0), "{}", stderr(&other));
        assert!(stdout(&other).contains("other/a.txt"), "{}", stdout(&other));
        assert_eq!(
            stderr(&other).contains("index updated"),
            round == 0,
            "built once: {}",
            stderr(&other)
        );
        let back = ws.sou(&["search", "安置房"]);
        assert!(
            !stderr(&back).contains("index updated"),
            "{}",
            stderr(&back)
        );
        assert!(stdout(&back).contains(SEED_NAME));
    }
    // From another working directory, the seeds folder's own index is found again.
    let elsewhere = sou_in(&ws, "other", &["--seeds", "../seeds", "search", "安置房"]);
    assert_eq!(elsewhere.status.code(), Some(0), "{}", stderr(&elsewhere));
    assert!(
        !stderr(&elsewhere).contains("index updated"),
        "{}",
        stderr(&elsewhere)
    );
    assert!(!ws.path("other/index").exists());
    // stats names the folder an index is for.
    let stats = stdout(&ws.sou(&["--seeds", "other", "stats"]));
    let other = ws.path("other").canonicalize().unwrap();
    assert!(
        stats.contains(&format!("seeds:     {}", other.display())),
        "{stats}"
    );
    // An explicit index of another folder is an error naming both, unless --rebuild.
    let out = ws.sou(&["--seeds", "other", "--index", "index", "search", "安置房"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let seeds = ws.path("seeds").canonicalize().unwrap();
    assert!(
        err.contains(&seeds.display().to_string()) && err.contains(&other.display().to_string()),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let out = ws.sou(&["--seeds", "other", "--index", "index", "index", "--rebuild"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stats = stdout(&ws.sou(&["--seeds", "other", "--index", "index", "stats"]));
    assert!(
        stats.contains(&format!("seeds:     {}", other.display())),
        "{stats}"
    );
}

/// `vim -q` read 0 of 10 entries: `--vimgrep` prints `path:line:column:text`, the column being
/// the byte column of the first match in that line of the file.
#[test]
fn vimgrep_lines_point_at_the_match_in_the_file() {
    let ws = Workspace::with_seed();
    ws.write(
        "healed.txt",
        "标题\n\n第一行没有说完\n\n后面才说到安置房建设。\n",
    );
    // In Markdown the column counts the marks, which the passage's text has not.
    ws.write(
        "policy.md",
        "---\ntitle: 安置房政策\n---\n\n## 总则\n\n各地要加快**保障性住房**建设，[安置房](http://x.cn)年底前开工。\n",
    );
    for query in ["安置房", "建成", "安置房 建设"] {
        let out = ws.sou(&["search", query, "--vimgrep"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(text.lines().count() >= 2, "{text}");
        for entry in text.lines() {
            let mut parts = entry.splitn(4, ':');
            let path = parts.next().unwrap();
            let line: usize = parts.next().unwrap().parse().expect("a line number");
            let column: usize = parts.next().unwrap().parse().expect("a column");
            let rest = parts.next().expect("text after the column");
            assert!(!rest.is_empty() && !rest.contains('\n'));
            let file = std::fs::read_to_string(ws.path(path)).unwrap();
            let at = &file.lines().nth(line - 1).unwrap()[column - 1..];
            let first = query.split(' ').any(|word| at.starts_with(word));
            assert!(first, "{entry}: the line there reads {at:?}");
        }
    }
    // A passage deep in one long line, cut from it: the column is where it stands in the line.
    let sentences: String = (0..400).map(|i| format!("第{i}句讲的是天气。")).collect();
    ws.write(
        "oneline.txt",
        &format!("标题\n\n{sentences}最后才说到蝾螈。\n"),
    );
    let out = ws.sou(&["search", "蝾螈", "--vimgrep"]);
    let entry = stdout(&out);
    let column = format!("标题\n\n{sentences}").len() - "标题\n\n".len() + "最后才说到".len() + 1;
    assert_eq!(
        entry.split(':').take(3).collect::<Vec<_>>(),
        ["./seeds/oneline.txt", "3", column.to_string().as_str()],
        "{entry}"
    );
}

#[test]
fn files_count_and_quiet_print_what_scripts_need() {
    let ws = Workspace::with_seed();
    ws.write("b.txt", "另一篇\n\n这里也写了安置房。\n");
    ws.write("c.txt", "无关\n\n什么也没有。\n");
    let out = ws.sou(&["search", "安置房", "-l"]);
    assert_eq!(out.status.code(), Some(0));
    let files: Vec<String> = stdout(&out).lines().map(String::from).collect();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files.iter().all(|f| ws.path(f).is_file()), "{files:?}");
    let (_, json) = search_json(&ws, &["安置房"]);
    assert_eq!(files[0], json.hits[0].path, "ranked by their best hit");
    assert_eq!(
        stdout(&ws.sou(&["search", "安置房", "-l", "-n", "1"]))
            .lines()
            .count(),
        1
    );

    let out = ws.sou(&["search", "安置房", "-c"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out).trim(), json.total.to_string());
    let out = ws.sou(&["search", "蝾螈", "-c"]);
    assert_eq!((out.status.code(), stdout(&out).trim()), (Some(1), "0"));

    for (query, code) in [("安置房", 0), ("蝾螈", 1)] {
        let out = ws.sou(&["search", query, "-q"]);
        assert_eq!(out.status.code(), Some(code));
        assert!(
            out.stdout.is_empty() && out.stderr.is_empty(),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn a_query_alone_is_a_search_and_a_folder_after_it_is_the_folder() {
    let ws = Workspace::with_seed();
    let out = ws.sou(&["安置房", "-n", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(SEED_NAME));
    std::fs::create_dir_all(ws.path("news")).unwrap();
    std::fs::write(ws.path("news/x.txt"), "快讯\n\n蝾螈出现在新闻里。\n").unwrap();
    // As ripgrep takes them: `./news`, and `news` (no ./seeds needed for either).
    std::fs::remove_dir_all(ws.seeds()).unwrap();
    for folder in ["./news", "news"] {
        let out = ws.sou(&["search", "蝾螈", folder]);
        assert_eq!(out.status.code(), Some(0), "{folder}: {}", stderr(&out));
        assert!(stdout(&out).contains("news/x.txt"), "{}", stdout(&out));
    }
    // The other commands take the folder after them too.
    let out = ws.sou(&["index", "news"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&ws.sou(&["stats", "news"])).contains("articles:  1\n"));
    let out = ws.sou(&["--seeds", "elsewhere", "stats", "news"]);
    assert!(
        stderr(&out).contains("two seeds folders"),
        "{}",
        stderr(&out)
    );
    let help = stdout(&ws.sou(&["--help"]));
    assert!(
        help.contains("Examples:") && help.matches("\n  sou ").count() >= 1,
        "{help}"
    );
    let help = stdout(&ws.sou(&["search", "--help"]));
    assert!(
        help.contains("<QUERY> [PATH]...") && help.contains("Examples:"),
        "{help}"
    );
}

#[test]
fn a_missing_or_empty_seeds_folder_says_what_to_do() {
    let ws = Workspace::new();
    // A seeds folder that was named and is not there is an error saying what to do.
    let out = ws.sou(&["--seeds", "nothere", "search", "安置房"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("nothere") && err.contains("--seeds") && err.contains("SOU_SEEDS"),
        "{err}"
    );
    let out = ws.sou(&["search", "安置房"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("holds no articles"),
        "{}",
        stderr(&out)
    );
    // With no ./seeds, the current folder is searched (as ripgrep does).
    std::fs::remove_dir(ws.seeds()).unwrap();
    std::fs::write(ws.path("here.txt"), "本地\n\n蝾螈在当前文件夹里。\n").unwrap();
    let out = ws.sou(&["蝾螈", "-l"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "./here.txt");
}

#[test]
fn a_title_hit_prints_the_title_once_and_snippets_fit_two_lines() {
    let ws = Workspace::with_seed();
    ws.write("t.txt", "蝾螈专题报道\n\n正文里没有那个词。\n");
    let out = ws.sou(&["search", "蝾螈"]);
    let text = stdout(&out);
    assert_eq!(text.matches("蝾螈专题报道").count(), 1, "{text}");
    assert_eq!(text.trim_end().lines().count(), 1, "{text}");
    // Without a terminal, snippets fit two lines of 80 columns (a Chinese character is two).
    let out = ws.sou(&["search", "安置房"]);
    let width = |line: &str| -> usize {
        line.chars()
            .map(|c| if c as u32 >= 0x1100 { 2 } else { 1 })
            .sum()
    };
    let printed = stdout(&out);
    let snippets: Vec<&str> = printed.lines().filter(|l| l.starts_with("    ")).collect();
    assert!(!snippets.is_empty());
    for line in snippets {
        assert!(width(line) <= 160, "{} columns: {line}", width(line));
    }
}

#[test]
fn completions_for_four_shells_and_a_man_page_name_every_command_and_flag() {
    let ws = Workspace::with_seed();
    let command = <Vec<&str>>::from([
        "index",
        "watch",
        "search",
        "stats",
        "serve",
        "completions",
        "man",
    ]);
    let flags = [
        "seeds",
        "index",
        "ext",
        "no-ignore",
        "limit",
        "json",
        "vimgrep",
        "files-with-matches",
        "count",
        "quiet",
        "glob",
        "no-sync",
        "color",
        "rebuild",
        "port",
        "bind",
    ];
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = ws.sou(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        for name in command.iter().chain(flags.iter()) {
            assert!(script.contains(name), "{shell} completions lack {name}");
        }
    }
    let out = ws.sou(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    let page = stdout(&out);
    assert!(
        page.starts_with(".ie") || page.contains(".TH sou"),
        "{page}"
    );
    for name in &command {
        assert!(page.contains(name), "the man page lacks {name}");
    }
    for flag in ["seeds", "index", "ext", "no\\-ignore"] {
        assert!(
            page.contains(&format!("\\-\\-{flag}")),
            "the man page lacks --{flag}"
        );
    }
    assert!(page.contains(".SH \"EXIT STATUS\""), "{page}");
    // Every page the first one points to exists: `sou man search` is sou-search(1), with its
    // flags, the query language and the exit status.
    for name in &command {
        let out = ws.sou(&["man", name]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        let sub = stdout(&out);
        assert!(sub.contains(&format!(".TH sou-{name} ")), "{name}: {sub}");
        assert!(
            page.contains(&format!("sou\\-{name}(1)")),
            "sou(1) lists sou-{name}(1)"
        );
    }
    let search = stdout(&ws.sou(&["man", "search"]));
    for part in [
        "\\-\\-vimgrep",
        "\\-\\-ignore\\-case",
        "QUERY LANGUAGE",
        "EXIT STATUS",
    ] {
        assert!(search.contains(part), "sou-search(1) lacks {part}");
    }
    assert_eq!(ws.sou(&["man", "nosuch"]).status.code(), Some(2));
}

#[test]
fn ignore_files_globs_extensions_and_other_types_work_as_in_ripgrep() {
    let ws = Workspace::with_seed();
    ws.write(".gitignore", "drafts/\n");
    ws.write("drafts/x.txt", "草稿\n\n蝾螈在草稿里。\n");
    ws.write("policy/a.txt", "政策\n\n政策里的蝾螈。\n");
    ws.write("news/b.txt", "新闻\n\n新闻里的蝾螈。\n");
    ws.write("page.html", "<p>网页里的蝾螈。</p>\n");
    for i in 0..30 {
        ws.write(&format!("docs/{i}.xlsx"), "PK\x03\x04 not text");
    }
    let files = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["search", "蝾螈", "-l"];
        all.extend_from_slice(args);
        let mut files: Vec<String> = stdout(&ws.sou(&all)).lines().map(String::from).collect();
        files.sort();
        files
    };
    assert_eq!(files(&[]), ["./seeds/news/b.txt", "./seeds/policy/a.txt"]);
    assert_eq!(files(&["-g", "policy/**"]), ["./seeds/policy/a.txt"]);
    assert_eq!(files(&["-g", "!policy/**"]), ["./seeds/news/b.txt"]);
    assert_eq!(
        files(&["--no-ignore", "--ext", "txt,html"]),
        [
            "./seeds/drafts/x.txt",
            "./seeds/news/b.txt",
            "./seeds/page.html",
            "./seeds/policy/a.txt"
        ]
    );
    // 30 spreadsheets and a page: one line, not 31 warnings.
    let out = ws.sou(&["index", "--rebuild"]);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("31 files of other types") && err.contains("xlsx ×30"),
        "{err}"
    );
}

/// A page first seen as "not an article" stayed so when `--ext html` came later (its size and
/// time had not changed), and an article dropped from `--ext` stayed in the index: a file's
/// type is now read again whenever the extensions change it.
#[test]
fn widening_or_narrowing_the_extensions_takes_effect_on_unchanged_files() {
    let ws = Workspace::new();
    ws.write("a.txt", "文本\n\n文本里的蝾螈。\n");
    ws.write("page.html", "<p>网页里的蝾螈。</p>\n");
    backdate(&ws.path("seeds/a.txt"));
    backdate(&ws.path("seeds/page.html"));
    let files = |args: &[&str]| -> Vec<String> {
        let mut all = args.to_vec();
        all.extend_from_slice(&["search", "蝾螈", "-l"]);
        let out = ws.sou(&all);
        let mut files: Vec<String> = stdout(&out).lines().map(String::from).collect();
        files.sort();
        files
    };
    assert_eq!(files(&[]), ["./seeds/a.txt"]);
    assert_eq!(
        files(&["--ext", "txt,html"]),
        ["./seeds/a.txt", "./seeds/page.html"]
    );
    assert_eq!(files(&["--ext", "html"]), ["./seeds/page.html"]);
    assert_eq!(files(&[]), ["./seeds/a.txt"]);
    // Set once for all commands.
    let out = common::sou()
        .args(["search", "蝾螈", "-l"])
        .current_dir(ws.dir.path())
        .env("SOU_EXT", "html")
        .output()
        .unwrap();
    assert_eq!(stdout(&out).trim(), "./seeds/page.html", "{}", stderr(&out));
}

#[test]
fn markdown_front_matter_is_the_title_and_markup_does_not_break_matches() {
    let ws = Workspace::new();
    ws.write(
        "post.md",
        "---\nlayout: post\ntitle: \"高新区安置房进展\"\n---\n\n今年**安置房**建设进入[收尾阶段](http://example.cn)。\n",
    );
    ws.write("plain.md", "# 第二篇的标题\n\n正文写了蝾螈。\n");
    let (code, results) = search_json(&ws, &["安置房建设"]);
    assert_eq!(code, 0);
    let hit = &results.hits[0];
    assert_eq!(hit.title, "高新区安置房进展");
    assert!(hit.text.contains("安置房建设进入收尾阶段"), "{}", hit.text);
    assert_eq!(hit.highlighted(), ["安置房建设"]);
    let (code, _) = search_json(&ws, &["layout"]);
    assert_eq!(code, 1, "front matter is not text");
    let (_, results) = search_json(&ws, &["蝾螈"]);
    assert_eq!(results.hits[0].title, "第二篇的标题");
}

/// `--ext html` indexed pages as source: `<!DOCTYPE html>` was the title, CSS and script
/// were text, and `<b>` split words. A page is now read as a browser shows it, line for line.
#[test]
fn html_pages_are_read_as_the_text_a_browser_shows() {
    let ws = Workspace::new();
    let page = "<!DOCTYPE html>\n<html><head><title>高新区安置房建设进展</title>\n<style>.x{color:red}</style>\n<script>var s = \"<p>脚本里的蝾螈</p>\";</script>\n</head><body>\n<!-- 注释里的蝾螈 -->\n<p>今年<b>安置房</b>项目全部开工。</p><p>预计明年建成&amp;入住。</p>\n</body></html>\n";
    ws.write("page.html", page);
    let html = |query: &str| search_json(&ws, &["--ext", "html", "--", query]);
    let (code, results) = html("安置房项目");
    assert_eq!(code, 0);
    let hit = &results.hits[0];
    assert_eq!(hit.title, "高新区安置房建设进展");
    assert_eq!(hit.line, 7, "the file's line");
    assert!(
        hit.text.contains("今年安置房项目全部开工。"),
        "{}",
        hit.text
    );
    assert!(!hit.text.contains('<'), "{}", hit.text);
    for hidden in ["color", "蝾螈", "DOCTYPE", "var"] {
        assert_eq!(html(hidden).0, 1, "{hidden} is not text");
    }
    let (_, results) = html("建成&入住");
    assert_eq!(results.hits.len(), 1, "entities read as characters");
    // Two paragraphs on one line are not one word.
    assert_eq!(html("\"开工。预计\"").0, 1);
    // --vimgrep points at the match in the file's line, tags counted.
    let out = ws.sou(&["--ext", "html", "search", "--vimgrep", "项目全部"]);
    let entry = stdout(&out);
    let line7 = page.lines().nth(6).unwrap();
    let column = line7.find("项目全部").unwrap() + 1;
    assert!(
        entry.starts_with(&format!("./seeds/page.html:7:{column}:")),
        "{entry}"
    );
}

#[test]
fn settings_files_are_read_at_the_top_only_and_stats_lists_them() {
    let ws = Workspace::with_seed();
    ws.write("dict.txt", "蝾螈词 100 n\n");
    ws.write(
        "sub/dict.txt",
        "子目录\n\n这篇文章名叫 dict.txt，里面有蝾螈。\n",
    );
    let out = ws.sou(&["search", "蝾螈", "-l"]);
    assert_eq!(
        stdout(&out).trim(),
        "./seeds/sub/dict.txt",
        "{}",
        stderr(&out)
    );
    let stats = stdout(&ws.sou(&["stats"]));
    assert!(stats.contains("settings:  dict.txt\n"), "{stats}");
}

/// A search that builds a large index first said nothing for 14.6 s; off a terminal it now says
/// what it is doing in one line (shown here without waiting the usual second).
#[test]
fn a_search_that_builds_first_says_so() {
    let ws = Workspace::with_seed();
    let out = common::sou()
        .args(["search", "安置房"])
        .current_dir(ws.dir.path())
        .env("SOU_PROGRESS_AFTER_MS", "0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert_eq!(err.matches("sou: indexing 1 files").count(), 1, "{err}");
    assert!(err.contains("before searching"), "{err}");
    // The second search has nothing to build and says nothing of it.
    let out = ws.sou(&["search", "安置房"]);
    assert!(!stderr(&out).contains("indexing"), "{}", stderr(&out));
}

/// ripgrep's `-i` is accepted and changes nothing (sou always folds case); it was read as an
/// exclusion of the letter i, which dropped every passage holding one.
#[test]
fn dash_i_is_ignore_case_not_an_exclusion() {
    let ws = Workspace::new();
    ws.write("a.txt", "甲\n\n新款iPhone发布。\n");
    ws.write("b.txt", "乙\n\n新款IPHONE降价。\n");
    for args in [
        &["search", "iphone", "-c"][..],
        &["search", "iphone", "-i", "-c"],
        &["search", "iphone", "--ignore-case", "-c"],
        &["search", "-i", "iphone", "-c"],
    ] {
        let out = ws.sou(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert_eq!(stdout(&out), "2\n", "{args:?}");
    }
}

/// `--help` says the limit a search uses when none is given.
#[test]
fn help_says_the_default_limit() {
    let ws = Workspace::new();
    let help = stdout(&ws.sou(&["search", "--help"]));
    assert!(help.contains("[default: 10]"), "{help}");
}

/// `text` without its terminal escapes (`ESC [ … letter`), which take no columns: clap
/// colors help on a terminal unless told not to, and CI's environment may force color.
fn without_escapes(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

/// `--help` is wrapped at the terminal's width (a 60-column terminal here); the examples at
/// its end are laid out by hand. In test builds divan, a dev-dependency, turns on clap's
/// wrap_help whatever sou's Cargo.toml says, so this guards the wrapping (a fixed or maximum
/// width would fail it), not the feature: the release binary without it printed lines of 179
/// columns in the same terminal.
#[cfg(target_os = "linux")]
#[test]
fn help_is_wrapped_at_the_terminal_width() {
    let script = format!(
        "stty rows 40 cols 60; {} search --help",
        env!("CARGO_BIN_EXE_sou")
    );
    let out = Command::new("script")
        .args(["-qec", &script, "/dev/null"])
        .env("CLICOLOR_FORCE", "1")
        .env_remove("COLUMNS")
        .output()
        .unwrap();
    let help = without_escapes(&stdout(&out).replace('\r', ""));
    let options = help.split("Examples:").next().unwrap();
    let long: Vec<&str> = options.lines().filter(|l| l.chars().count() > 60).collect();
    assert!(long.is_empty(), "{long:?}");
    assert!(options.lines().count() > 40, "{help}");
}

/// `-F` finds the query as written, as `rg -F` does: on a folder without case or width
/// variants, `sou -F QUERY -l` lists the files `rg -F -l QUERY` does; where the text has them,
/// sou finds more (it folds), never fewer.
#[test]
fn fixed_strings_list_the_files_ripgrep_lists() {
    let ws = Workspace::new();
    let files = [
        ("a.txt", "安置房建设\n\n高新区的安置房今年交付。\n"),
        (
            "b.txt",
            "标题\n\n高新区安置房项目，-智慧社会 与 OR 都是字。\n",
        ),
        ("c.md", "# 智慧产业\n\n\"智慧产业\" 不是智慧社会。\n"),
        ("d/e.txt", "另一篇\n\n居民在安置房里过年。gdp 增长 5%。\n"),
        ("d/f.txt", "无关\n\n这里什么都没有。\n"),
    ];
    for (name, text) in files {
        ws.write(name, text);
    }
    let rg_lists = |query: &str| -> Vec<String> {
        let out = Command::new("rg")
            .args(["-F", "-l", "--", query, "seeds"])
            .current_dir(ws.dir.path())
            .output()
            .expect("rg (ripgrep) is missing: apt-get install ripgrep (scripts/test does)");
        let mut files: Vec<String> = stdout(&out).lines().map(|l| format!("./{l}")).collect();
        files.sort();
        files
    };
    let sou_lists = |query: &str| -> (Vec<String>, Option<i32>) {
        let out = ws.sou(&["-F", "-l", "--", query]);
        let mut files: Vec<String> = stdout(&out).lines().map(String::from).collect();
        files.sort();
        (files, out.status.code())
    };
    for query in [
        "安置房",
        "高新区安置房",
        "高新区的安置房",
        "-智慧社会",
        "OR",
        "\"智慧产业\"",
        "智慧",
        "gdp 增长",
        "5%",
        "不存在的字符串",
    ] {
        let expected = rg_lists(query);
        let (found, code) = sou_lists(query);
        assert_eq!(found, expected, "-F {query}");
        assert_eq!(
            code,
            Some(if expected.is_empty() { 1 } else { 0 }),
            "{query}"
        );
    }
    // Without -F the same strings are read as the query language: -智慧社会 excludes.
    ws.write("g.txt", "大写\n\nGDP 增长很快。\n");
    let (found, _) = sou_lists("gdp 增长");
    assert!(found.contains(&"./seeds/g.txt".to_string()), "{found:?}");
    assert!(!rg_lists("gdp 增长").contains(&"./seeds/g.txt".to_string()));
    let out = ws.sou(&["-F", "安置房", "-智慧社会"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("-智慧社会"), "{}", stderr(&out));
}

/// `--sort path` shows the same best hits as the rank order, by path and line.
#[test]
fn sort_path_shows_the_best_hits_by_path_and_line() {
    let ws = Workspace::new();
    for (name, copies) in [("b/1.txt", 1), ("a/2.txt", 3), ("a/1.txt", 1), ("c.txt", 2)] {
        let body: String = (0..copies)
            .map(|i| format!("第{i}段写到安置房，{name}。\n\n"))
            .collect();
        ws.write(name, &format!("标题{name}\n\n{body}"));
    }
    let hits = |args: &[&str]| -> Vec<(String, u64)> {
        let out = ws.sou(&[&["安置房", "--json", "-n", "5"][..], args].concat());
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["path"].as_str().unwrap().to_string(),
                    h["line"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let by_rank = hits(&[]);
    let by_path = hits(&["--sort", "path"]);
    assert_eq!(by_rank.len(), 5);
    let mut sorted = by_rank.clone();
    sorted.sort();
    assert_ne!(
        by_rank, sorted,
        "the test needs a rank order that is not the path order"
    );
    assert_eq!(by_path, sorted);
    assert_eq!(hits(&["--sort", "rank"]), by_rank);
    let files = stdout(&ws.sou(&["安置房", "-l", "--sort", "path"]));
    assert_eq!(
        files.lines().collect::<Vec<_>>(),
        [
            "./seeds/a/1.txt",
            "./seeds/a/2.txt",
            "./seeds/b/1.txt",
            "./seeds/c.txt"
        ]
    );
    let bad = ws.sou(&["安置房", "--sort", "size"]);
    assert_eq!(bad.status.code(), Some(2));
}

/// `-m N` keeps at most N hits from one file, as ripgrep's `-m`: the next best files' hits
/// take the places, in rank order.
#[test]
fn max_count_keeps_at_most_n_hits_per_file() {
    let ws = Workspace::new();
    let big: String = (0..8)
        .map(|i| format!("第{i}段：安置房，安置房，安置房。\n\n"))
        .collect();
    ws.write("big.txt", &format!("安置房专题\n\n{big}"));
    for i in 0..5 {
        ws.write(
            &format!("small{i}.txt"),
            &format!("小文{i}\n\n这里也提到安置房{i}。\n"),
        );
    }
    let hits = |args: &[&str]| -> Vec<(u64, String)> {
        let out = ws.sou(&[&["安置房", "--json"][..], args].concat());
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["rank"].as_u64().unwrap(),
                    h["path"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let all = hits(&["-n", "100"]);
    let from_big =
        |hits: &[(u64, String)]| hits.iter().filter(|h| h.1.ends_with("big.txt")).count();
    assert!(
        from_big(&hits(&["-n", "4"])) >= 2,
        "{:?}",
        hits(&["-n", "4"])
    );
    for per_file in [1usize, 2] {
        let capped = hits(&["-n", "4", "-m", &per_file.to_string()]);
        // The rank order's hits with the extra ones of each file left out.
        let mut count: std::collections::HashMap<String, usize> = Default::default();
        let expected: Vec<String> = all
            .iter()
            .filter(|(_, path)| {
                let seen = count.entry(path.clone()).or_default();
                *seen += 1;
                *seen <= per_file
            })
            .take(4)
            .map(|(_, path)| path.clone())
            .collect();
        assert_eq!(
            capped.iter().map(|h| h.1.clone()).collect::<Vec<_>>(),
            expected,
            "-m {per_file}"
        );
        assert_eq!(capped.iter().map(|h| h.0).collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert!(from_big(&capped) <= per_file);
    }
    assert_eq!(ws.sou(&["安置房", "-m", "0"]).status.code(), Some(2));
    assert_eq!(ws.sou(&["安置房", "-m", "1", "-l"]).status.code(), Some(2));
}

/// `-t TYPE` searches files of that format only, as ripgrep's `-t`, together with `-g` (both
/// must accept a file).
#[test]
fn type_keeps_the_files_of_a_format() {
    let ws = Workspace::new();
    ws.write("a.txt", "文本\n\n安置房在文本里。\n");
    ws.write("b.md", "# 标记\n\n安置房在标记里。\n");
    ws.write("c.markdown", "# 另一种\n\n安置房在另一种标记里。\n");
    ws.write("E.MD", "# 大写\n\n安置房在大写扩展名里。\n");
    let files = |args: &[&str]| -> Vec<String> {
        let out = ws.sou(&[&["安置房", "-l", "--ext", "txt,md,markdown"][..], args].concat());
        let mut files: Vec<String> = stdout(&out).lines().map(String::from).collect();
        files.sort();
        files
    };
    let seeds =
        |names: &[&str]| -> Vec<String> { names.iter().map(|n| format!("./seeds/{n}")).collect() };
    assert_eq!(files(&[]), seeds(&["E.MD", "a.txt", "b.md", "c.markdown"]));
    assert_eq!(files(&["-t", "md"]), seeds(&["E.MD", "b.md", "c.markdown"]));
    assert_eq!(files(&["-t", "txt"]), seeds(&["a.txt"]));
    assert_eq!(files(&["--type", "txt", "-t", "md"]), files(&[]));
    assert_eq!(files(&["-t", "md", "-g", "!c.*"]), seeds(&["E.MD", "b.md"]));
    assert_eq!(files(&["-t", "pdf"]), Vec::<String>::new());
    let bad = ws.sou(&["安置房", "-t", "nosuch"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("nosuch"), "{}", stderr(&bad));
}

/// A folder `news` beside `./seeds`, as a ripgrep user has one: articles with 北京, iPhone in
/// two cases, 和服 as a word and inside 管理和服务, and one Markdown file.
fn news_workspace() -> Workspace {
    let ws = Workspace::with_seed();
    let news = ws.path("news");
    std::fs::create_dir_all(&news).unwrap();
    let write = |name: &str, text: &str| std::fs::write(news.join(name), text).unwrap();
    write(
        "0001.txt",
        "北京新闻\n\n北京今天发布了新款iPhone的消息。\n\n第二段讲政府的管理和服务。\n\n第三段：穿着和服的游客来到北京。\n",
    );
    write("0002.md", "# 上海报道\n\n上海的iphone销量排在北京之后。\n");
    write(
        "0003.txt",
        "天津快讯\n\n智慧产业发展，智慧社会建设。\n\n这一段只谈智慧产业。\n",
    );
    ws
}

fn count_of(out: &Output) -> usize {
    stdout(out)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("not a count: {:?} (stderr {})", stdout(out), stderr(out)))
}

/// Every example of issue 25, as typed: flags are flags, a path that is not there is an error,
/// and a file or folder after the query is what is searched.
#[test]
fn ripgrep_habits_mean_what_they_mean_in_ripgrep() {
    let ws = news_workspace();
    // -i changes nothing (sou folds case), and is not an exclusion of the letter i.
    let plain = count_of(&ws.sou(&["北京", "news", "-c"]));
    assert_eq!(plain, 4);
    assert_eq!(count_of(&ws.sou(&["北京", "news", "-i", "-c"])), plain);
    let out = ws.sou(&["iPhone", "news", "-i", "-c"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(count_of(&out), 2);
    // Flags with values keep the folder a folder.
    for flags in [
        &["-A", "2"][..],
        &["-C", "2"],
        &["-m", "1"],
        &["-t", "md"],
        &["-B", "1"],
    ] {
        let mut args = vec!["北京", "news"];
        args.extend_from_slice(flags);
        let out = ws.sou(&args);
        assert_eq!(out.status.code(), Some(0), "{flags:?}: {}", stderr(&out));
        assert!(
            stdout(&out).contains("news/"),
            "{flags:?}: {}",
            stdout(&out)
        );
        assert!(!stdout(&out).contains("seeds/"), "{flags:?}");
    }
    let out = ws.sou(&["-e", "北京", "news", "-c"]);
    assert_eq!(count_of(&out), plain, "{}", stderr(&out));
    // A folder that is not there is an error naming it, never a query word.
    for args in [&["安置房", "newz"][..], &["北京", "news", "odd"]] {
        let out = ws.sou(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let missing = args[args.len() - 1];
        assert_one_line_error(&out, &format!("{missing}: no such file or folder"));
        assert!(stdout(&out).is_empty());
    }
    // A file is searched alone, in the index of its folder.
    let out = ws.sou(&["北京", "news/0002.md"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("news/0002.md") && !stdout(&out).contains("0001"),
        "{}",
        stdout(&out)
    );
    // A file sou does not read is said so, not searched for nothing.
    std::fs::write(ws.path("news/photo.jpg"), "北京").unwrap();
    let out = ws.sou(&["北京", "news/photo.jpg"]);
    assert_eq!(out.status.code(), Some(2));
    assert_one_line_error(&out, "news/photo.jpg: not a file sou reads");
    // A folder with a trailing slash is that folder.
    assert_eq!(count_of(&ws.sou(&["北京", "news/", "-c"])), plain);
    // CJK exclusions, inside the query and as their own argument; Latin ones inside it.
    assert_eq!(count_of(&ws.sou(&["智慧产业", "news", "-c"])), 2);
    assert_eq!(count_of(&ws.sou(&["智慧产业 -智慧社会", "news", "-c"])), 1);
    assert_eq!(
        count_of(&ws.sou(&["智慧产业", "-智慧社会", "news", "-c"])),
        1
    );
    // (an exclusion leaves out the passages holding it: 0001's title and third passage stay)
    assert_eq!(count_of(&ws.sou(&["北京 -iphone", "news", "-c"])), 2);
    let out = ws.sou(&["北京", "-iphone", "news"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("'-iphone'") && stderr(&out).contains("in the query"));
    // A query of several words is quoted: the second word would be a path.
    let out = ws.sou(&["安置房", "建设"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("quote"), "{}", stderr(&out));
}

/// ripgrep's flags, one row each: the arguments after `QUERY news`, and what must hold of the
/// answer (a count, the files, or the JSON).
#[test]
fn the_ripgrep_flags_do_what_ripgrep_users_expect() {
    let ws = news_workspace();
    type Check = fn(&Output) -> Result<(), String>;
    let rows: Vec<(&str, Vec<&str>, Check)> = vec![
        ("-c", vec!["北京", "-c"], |o| expect(count_of(o) == 4, o)),
        ("-l", vec!["北京", "-l", "--sort", "path"], |o| {
            expect(stdout(o) == "news/0001.txt\nnews/0002.md\n", o)
        }),
        ("-q found", vec!["北京", "-q"], |o| {
            expect(o.status.code() == Some(0) && o.stdout.is_empty(), o)
        }),
        ("-q not found", vec!["蝾螈", "-q"], |o| {
            expect(o.status.code() == Some(1) && o.stdout.is_empty(), o)
        }),
        ("-i", vec!["IPHONE", "-i", "-c"], |o| {
            expect(count_of(o) == 2, o)
        }),
        ("-F", vec!["管理和服务", "-F", "-c"], |o| {
            expect(count_of(o) == 1, o)
        }),
        ("-w off", vec!["和服", "-c"], |o| {
            expect(count_of(o) == 2, o)
        }),
        ("-w", vec!["和服", "-w", "--json"], |o| {
            let json = json_of(o);
            let hits = json["hits"].as_array().cloned().unwrap_or_default();
            expect(
                hits.len() == 1 && hits[0]["text"].as_str().unwrap_or("").contains("穿着和服"),
                o,
            )
        }),
        ("-m", vec!["北京", "-m", "1", "-l"], |o| {
            expect(o.status.code() == Some(2), o)
        }),
        ("-m text", vec!["北京", "-m", "1", "--json"], |o| {
            let json = json_of(o);
            let paths: Vec<&str> = json["hits"]
                .as_array()
                .map(|h| h.iter().filter_map(|h| h["path"].as_str()).collect())
                .unwrap_or_default();
            expect(paths.len() == 2 && paths[0] != paths[1], o)
        }),
        ("-t", vec!["北京", "-t", "md", "-l"], |o| {
            expect(stdout(o) == "news/0002.md\n", o)
        }),
        ("-g", vec!["北京", "-g", "*.txt", "-l"], |o| {
            expect(stdout(o) == "news/0001.txt\n", o)
        }),
        ("-g !", vec!["北京", "-g", "!*.txt", "-l"], |o| {
            expect(stdout(o) == "news/0002.md\n", o)
        }),
        ("-n", vec!["北京", "-n", "1", "--json"], |o| {
            expect(json_of(o)["hits"].as_array().map(Vec::len) == Some(1), o)
        }),
        (
            "--sort path",
            vec!["北京", "--sort", "path", "--vimgrep"],
            |o| {
                let places: Vec<(String, u64)> = stdout(o)
                    .lines()
                    .filter_map(|l| {
                        let mut parts = l.split(':');
                        Some((parts.next()?.to_string(), parts.next()?.parse().ok()?))
                    })
                    .collect();
                let mut sorted = places.clone();
                sorted.sort();
                expect(places.len() == 4 && places == sorted, o)
            },
        ),
        ("-A", vec!["发布", "-A", "1", "--json"], |o| {
            let hit = &json_of(o)["hits"][0];
            expect(
                hit["after"][0]["text"] == "第二段讲政府的管理和服务。"
                    && hit.get("before").is_none(),
                o,
            )
        }),
        ("-B", vec!["管理", "-B", "1", "--json"], |o| {
            let hit = &json_of(o)["hits"][0];
            expect(
                hit["before"][0]["text"] == "北京今天发布了新款iPhone的消息。",
                o,
            )
        }),
        ("-C", vec!["管理", "-C", "1"], |o| {
            let text = stdout(o);
            expect(
                text.contains("    3- 北京今天发布") && text.contains("    7- 第三段"),
                o,
            )
        }),
        ("-e", vec!["-e", "iphone", "-c"], |o| {
            expect(count_of(o) == 2, o)
        }),
        ("--json", vec!["北京", "--json"], |o| {
            let json = json_of(o);
            expect(
                json["total"] == 4 && json["hits"].as_array().map(Vec::len) == Some(4),
                o,
            )
        }),
    ];
    for (name, query_and_flags, check) in rows {
        // The query first, then the folder, then the flags: as a ripgrep user types them.
        let mut args = vec![query_and_flags[0]];
        let flags = &query_and_flags[1..];
        if query_and_flags[0] == "-e" {
            args = query_and_flags[..2].to_vec();
            args.push("news");
            args.extend_from_slice(&query_and_flags[2..]);
        } else {
            args.push("news");
            args.extend_from_slice(flags);
        }
        let out = ws.sou(&args);
        if let Err(why) = check(&out) {
            panic!("{name} (sou {}): {why}", args.join(" "));
        }
    }
}

fn expect(holds: bool, out: &Output) -> Result<(), String> {
    match holds {
        true => Ok(()),
        false => Err(format!(
            "exit {:?}\nstdout: {}\nstderr: {}",
            out.status.code(),
            stdout(out),
            stderr(out)
        )),
    }
}

fn json_of(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

/// Several folders are searched together: each keeps its own index, and the hits come in rank
/// order across them, with their counts added up.
#[test]
fn several_folders_are_searched_together_in_rank_order() {
    let ws = news_workspace();
    std::fs::create_dir_all(ws.path("reports")).unwrap();
    std::fs::write(
        ws.path("reports/r.txt"),
        "报告\n\n北京北京北京，北京的报告。\n",
    )
    .unwrap();
    let (code, results) = search_json(&ws, &["北京", "news", "reports", "seeds"]);
    assert_eq!(code, 0);
    assert_eq!(results.total, 5);
    let scores: Vec<f32> = results.hits.iter().map(|h| h.score).collect();
    let mut sorted = scores.clone();
    sorted.sort_by(|a, b| b.total_cmp(a));
    assert_eq!(scores, sorted, "rank order across the folders");
    assert!(results.hits.iter().any(|h| h.path.starts_with("reports/")));
    assert!(results.hits.iter().any(|h| h.path.starts_with("news/")));
    let ranks: Vec<usize> = results.hits.iter().map(|h| h.rank).collect();
    assert_eq!(ranks, (1..=results.hits.len()).collect::<Vec<_>>());
    // Each folder has an index of its own, and -c adds them up.
    assert_eq!(count_of(&ws.sou(&["北京", "reports", "news", "-c"])), 5);
    assert_eq!(count_of(&ws.sou(&["北京", "reports", "-c"])), 1);
    let out = ws.sou(&["北京", "news", "reports", "--index", "one"]);
    assert_eq!(out.status.code(), Some(2));
    assert_one_line_error(&out, "--index");
}

/// Text output fits the terminal: no line is wider than it, wrapped snippet lines keep the
/// indent and never start with a closing mark, a long path is cut from the left, and two hits
/// of one long line say their column.
#[test]
fn text_output_fits_the_terminal_width() {
    let ws = Workspace::new();
    let sentence = "高新区的安置房建设，今年已经完成主体工程（共计十二栋），预计明年交付使用。";
    let long_line: String = (0..30).map(|_| sentence).collect();
    ws.write(
        "一个很长的文件夹名字/另一个也很长的子文件夹名字/关于安置房建设进度的详细报告.txt",
        &format!(
            "安置房建设进度的详细报告，标题也长得超出了终端的宽度很多很多很多\n\n{long_line}\n"
        ),
    );
    for width in [40usize, 60, 80, 120] {
        let out = common::sou()
            .args(["安置房", "-n", "5"])
            .current_dir(ws.dir.path())
            .env("SOU_CACHE", ws.path(".sou-cache"))
            .env("COLUMNS", width.to_string())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = stdout(&out);
        let columns = |line: &str| -> usize {
            use unicode_width::UnicodeWidthStr;
            line.width()
        };
        let mut wrapped = 0;
        for line in text.lines() {
            assert!(
                columns(line) <= width,
                "{width}: {line:?} is {}",
                columns(line)
            );
            if let Some(rest) = line.strip_prefix("    ") {
                let first = rest.chars().next().unwrap_or(' ');
                assert!(!"，。）、！？：；」".contains(first), "{width}: {line:?}");
                wrapped += 1;
            }
        }
        assert!(wrapped >= 2, "{text}");
        // The hits of the long line 3 (the title, line 1, may be one too).
        let heads: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with(' ') && !l.is_empty() && !l.contains(".txt:1  "))
            .collect();
        assert!(heads.len() >= 2, "{text}");
        for head in &heads {
            // Cut from the left: the file name stays as long as the width allows.
            assert!(head.contains("报告.txt:3:"), "{width}: {head}");
            assert!(
                width < 80 || head.contains("/关于安置房建设进度的详细报告.txt:3:"),
                "{width}: {head}"
            );
            assert!(width >= 120 || head.starts_with('…'), "{width}: {head}");
        }
        // Hits cut from one line say their column, and no two say the same.
        let mut places: Vec<&str> = heads.iter().filter_map(|h| h.split("  ").next()).collect();
        places.dedup();
        assert_eq!(places.len(), heads.len(), "{text}");
    }
    // A pipe with no width gets whole lines: one per hit and one per snippet.
    let out = common::sou()
        .args(["安置房", "-n", "1", "--no-sync"])
        .current_dir(ws.dir.path())
        .env("SOU_CACHE", ws.path(".sou-cache"))
        .env_remove("COLUMNS")
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out).trim_end().lines().count(),
        2,
        "{}",
        stdout(&out)
    );
}

/// `sou 安置房 --j<TAB>` completes `--json`: a search without `search` typed.
#[test]
fn completions_work_for_the_short_form() {
    let ws = Workspace::new();
    let script = stdout(&ws.sou(&["completions", "bash"]));
    let path = ws.path("sou.bash");
    std::fs::write(&path, script).unwrap();
    let complete = |words: &str| -> String {
        let shell = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}}-1)); _sou sou \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; echo \"${{COMPREPLY[@]}}\"",
            path.display()
        );
        let out = Command::new("bash").args(["-c", &shell]).output().unwrap();
        stdout(&out).trim().to_string()
    };
    assert_eq!(complete("sou 安置房 --j"), "--json");
    assert_eq!(complete("sou search 安置房 --vim"), "--vimgrep");
    assert_eq!(complete("sou 安置房 news --word"), "--word-regexp");
    assert!(complete("sou st").contains("stats"));
}

/// What could not be indexed is said by the first command that meets it, a search too, and
/// only once.
#[test]
fn a_first_search_warns_about_the_files_it_cannot_index_once() {
    let ws = Workspace::new();
    ws.write("a.txt", "标题\n\n蝾螈在这里。\n");
    let binary: Vec<u8> = (0..3000u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(ws.seeds().join("bad.txt"), binary).unwrap();
    let first = ws.sou(&["蝾螈"]);
    assert_eq!(first.status.code(), Some(0));
    assert!(
        stderr(&first).contains("skipped ./seeds/bad.txt"),
        "{}",
        stderr(&first)
    );
    let again = ws.sou(&["蝾螈"]);
    assert!(!stderr(&again).contains("bad.txt"), "{}", stderr(&again));
    assert!(stdout(&ws.sou(&["stats"])).contains("./seeds/bad.txt"));
}

/// Homophone typos and pinyin are read as the corpus words they sound like, and sou says so;
/// a Latin word the corpus holds, and a correct word, stay as typed.
#[test]
fn typos_and_pinyin_find_the_article_and_say_what_was_read() {
    let ws = Workspace::new();
    ws.write("a.txt", "整形医院调查\n\n记者走访了本市多家整形医院。\n");
    ws.write("b.txt", "印度新闻\n\n新德里今天举行了会议。\n");
    ws.write("c.txt", "住房\n\n安置房今年建成交付。\n");
    ws.write("d.txt", "手机\n\n新款iphone发布，售价不变。\n");
    ws.write("e.txt", "编程\n\n程序里的整型变量要初始化。\n");
    let read_as = |query: &str| -> (i32, JsonResults) {
        let (code, results) = search_json(&ws, &["--", query]);
        (code, results)
    };
    for (typed, read, why, file) in [
        ("整型医院", "整形医院", "same pinyin", "a.txt"),
        ("欣德里", "新德里", "same pinyin", "b.txt"),
        ("zhengxingyiyuan", "整形医院", "pinyin", "a.txt"),
        ("anzhifang", "安置房", "pinyin", "c.txt"),
        ("an zhi fang", "安置房", "pinyin", "c.txt"),
        ("an4zhi4fang2", "安置房", "pinyin", "c.txt"),
        ("xin'deli", "新德里", "pinyin", "b.txt"),
    ] {
        let (code, results) = read_as(typed);
        assert_eq!(code, 0, "{typed}");
        let [correction] = results.corrections.as_slice() else {
            panic!("{typed}: {:?}", results.corrections);
        };
        assert_eq!(
            (
                correction.typed.as_str(),
                correction.read.as_str(),
                correction.why.as_str()
            ),
            (typed, read, why),
            "{typed}"
        );
        assert!(
            results.hits[0].path.ends_with(file),
            "{typed}: {:?}",
            results.hits[0]
        );
        // The words are those searched, not the typo.
        assert!(
            results.words.iter().all(|w| read.contains(w.as_str())),
            "{typed}: {:?}",
            results.words
        );
    }
    // Text output says it in the line before the hits.
    let out = ws.sou(&["整型医院"]);
    assert!(
        stderr(&out).starts_with("整型医院 → 整形医院 (same pinyin)"),
        "{}",
        stderr(&out)
    );
    // A Latin word the corpus holds stays what it is; so does a correct word, and a rare one
    // that stands as typed (整型, in e.txt) is found as typed.
    for (query, file) in [
        ("iphone", "d.txt"),
        ("整形医院", "a.txt"),
        ("整型", "e.txt"),
    ] {
        let (code, results) = read_as(query);
        assert_eq!(code, 0, "{query}");
        assert!(
            results.corrections.is_empty(),
            "{query}: {:?}",
            results.corrections
        );
        assert!(results.hits[0].path.ends_with(file), "{query}");
    }
    // Pinyin read as a function word (其他) is searched as read, not as the Latin typed.
    ws.write("f.txt", "其他\n\n其他的事以后再说。\n");
    let (code, results) = read_as("qita");
    assert_eq!(code, 0, "{:?}", results.corrections);
    assert_eq!(results.corrections[0].read, "其他");
    assert!(results.hits.iter().any(|h| h.path.ends_with("f.txt")));
    // Nothing sounding like it: nothing found.
    let (code, results) = read_as("喵喵汪汪");
    assert_eq!(code, 1);
    assert!(results.corrections.is_empty());
}

/// Among a pinyin word's other readings, the words read by each character's commonest reading
/// come before those that need a rare one, however common these are: for `jijie`, 集解 before
/// 几家 (家 read jie).
#[test]
fn pinyin_readings_by_common_readings_come_before_rare_ones() {
    let ws = Workspace::new();
    for i in 0..40 {
        ws.write(
            &format!("season{i}.txt"),
            &format!("今年的季节变化很大，第{i}次。\n"),
        );
    }
    for i in 0..25 {
        ws.write(
            &format!("shops{i}.txt"),
            &format!("城里有几家商店，第{i}家。\n"),
        );
    }
    ws.write("notes.txt", "这本集解很有名。\n");
    let (code, results) = search_json(&ws, &["jijie"]);
    assert_eq!(code, 0);
    let read: Vec<&str> = results
        .corrections
        .iter()
        .map(|c| c.read.as_str())
        .collect();
    // The 25 files of 几家 outnumber the one of 集解: only the reading puts 集解 first.
    assert_eq!(read, ["季节", "集解", "几家"]);
}

/// Past the passages a reading's count stops at, the commoner reading still comes first: on a
/// large corpus `huayuan` is 花园, not 画院 (which sorts first by its characters) because both
/// were "more than 200".
#[test]
fn the_commoner_of_two_common_readings_comes_first() {
    let ws = Workspace::new();
    let paragraphs = |word: &str, count: usize| -> String {
        (0..count)
            .map(|i| format!("第{i}段说的是{word}的事。\n\n"))
            .collect()
    };
    ws.write("gardens.txt", &paragraphs("花园", 320));
    ws.write("academies.txt", &paragraphs("画院", 240));
    // 花院 shares a character with each.
    for query in ["huayuan", "花院"] {
        let (code, results) = search_json(&ws, &[query]);
        assert_eq!(code, 0, "{query}");
        let read: Vec<&str> = results
            .corrections
            .iter()
            .map(|c| c.read.as_str())
            .collect();
        assert_eq!(read.first(), Some(&"花园"), "{query}: {read:?}");
        assert!(read.contains(&"画院"), "{query}: {read:?}");
    }
}

#[test]
fn an_article_holding_a_rare_reading_of_pinyin_is_weighed_by_that_reading() {
    let ws = Workspace::new();
    // Twelve articles say 季节 twice; one says 集解 once, as long as they are.
    for i in 0..12 {
        ws.write(
            &format!("season{i:02}.txt"),
            &format!("第{i}篇\n\n今年的季节变化很大。\n\n换季节要添衣。\n"),
        );
    }
    ws.write(
        "notes.txt",
        "读书笔记\n\n这本集解很有名。\n\n书店就在路口。\n",
    );
    let (code, results) = search_json(&ws, &["--limit", "50", "jijie"]);
    assert_eq!(code, 0);
    let read: Vec<&str> = results
        .corrections
        .iter()
        .map(|c| c.read.as_str())
        .collect();
    assert_eq!(read, ["季节", "集解"]);
    // Weighed by the word's weight (of both readings together), twice 季节 beat once 集解 and
    // notes.txt came last; 集解 is held by one passage, 季节 by 24.
    let first = &results.hits[0];
    assert!(first.path.ends_with("notes.txt"), "{:?}", results.hits);
    assert!(
        results.hits[1..].iter().all(|h| h.path.contains("season")),
        "季节's passages follow: {:?}",
        results.hits
    );
}
