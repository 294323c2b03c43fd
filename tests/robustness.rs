//! The index follows the seeds folder safely: odd files, encodings, kill -9 in the middle of a
//! build, two builds at once, `sou watch`, and queries that try to break the parser.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::{SEED, run, spawn, stderr, stdout};

fn total(dir: &Path, args: &[&str]) -> (i32, usize) {
    let mut all = vec!["search", "--json", "--no-sync"];
    all.extend_from_slice(args);
    let out = run(dir, &all);
    let code = out.status.code().unwrap();
    if code == 2 {
        return (2, 0);
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (code, json["total"].as_u64().unwrap() as usize)
}

fn passages(dir: &Path, index: &str) -> u64 {
    let out = run(dir, &["stats", "--index", index]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let line = text
        .lines()
        .find(|l| l.starts_with("passages:"))
        .unwrap()
        .to_string();
    line["passages:".len()..].trim().parse().unwrap()
}

#[test]
fn gbk_utf16_big5_empty_spaced_names_index_and_a_png_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let seeds = dir.path().join("seeds");
    std::fs::create_dir(&seeds).unwrap();
    let (gbk, _, _) =
        encoding_rs::GBK.encode("国标文章\n\n这篇文章用国标码保存，提到了铜锣湾书店。\n");
    std::fs::write(seeds.join("gbk.txt"), &gbk).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in "十六位文章\n\n这篇文章提到了白鹭洲公园。\n".encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    std::fs::write(seeds.join("utf16.txt"), &utf16).unwrap();
    let (big5, _, _) = encoding_rs::BIG5.encode("繁體文章\n\n這篇文章提到了淡水老街的碼頭。\n");
    std::fs::write(seeds.join("big5.txt"), &big5).unwrap();
    std::fs::write(
        seeds.join("image.png"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10",
    )
    .unwrap();
    std::fs::write(seeds.join("empty.txt"), b"").unwrap();
    std::fs::write(
        seeds.join("新 闻 1.txt"),
        "新闻标题\n\n空格文件名里写着九寨沟。\n",
    )
    .unwrap();

    let out = run(dir.path(), &["index"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let warnings = stderr(&out);
    assert_eq!(warnings.lines().count(), 1, "{warnings}");
    assert_eq!(
        warnings.trim(),
        "sou: 1 file of another type not indexed (png ×1); sou stats lists them"
    );
    assert!(stdout(&out).starts_with("5 added"), "{}", stdout(&out));

    for (query, file) in [
        ("铜锣湾书店", "gbk.txt"),
        ("白鹭洲公园", "utf16.txt"),
        ("淡水老街", "big5.txt"),
        ("淡水老街的码头", "big5.txt"),
        ("九寨沟", "新 闻 1.txt"),
    ] {
        let out = run(dir.path(), &["search", "--json", query]);
        assert_eq!(out.status.code(), Some(0), "{query}: {}", stderr(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            json["hits"][0]["path"],
            format!("./seeds/{file}"),
            "{query}"
        );
    }
    // The highlight is on the original (traditional) characters.
    let out = run(dir.path(), &["search", "--color", "always", "码头"]);
    assert!(stdout(&out).contains("碼頭"), "{}", stdout(&out));

    let stats = stdout(&run(dir.path(), &["stats"]));
    assert!(stats.contains("skipped:   1"), "{stats}");
    assert!(
        stats.contains("./seeds/image.png: not an article (.png)"),
        "{stats}"
    );
    // The warning is not repeated for a file that did not change.
    let again = run(dir.path(), &["index"]);
    assert!(stderr(&again).is_empty(), "{}", stderr(&again));
}

#[cfg(unix)]
#[test]
fn binary_txt_broken_links_loops_and_odd_names_are_reported_not_fatal() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let seeds = dir.path().join("seeds");
    std::fs::create_dir_all(seeds.join("sub")).unwrap();
    std::fs::write(seeds.join("a.txt"), SEED).unwrap();
    std::fs::write(seeds.join("binary.txt"), b"abc\0\0\0def").unwrap();
    std::os::unix::fs::symlink(seeds.join("gone.txt"), seeds.join("broken.txt")).unwrap();
    std::os::unix::fs::symlink(&seeds, seeds.join("sub/loop")).unwrap();
    let odd = std::ffi::OsStr::from_bytes(b"caf\xE9.txt");
    std::fs::write(seeds.join(odd), "标题\n\n奇怪的文件名里写着鼓浪屿。\n").unwrap();

    let out = run(dir.path(), &["index"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let warnings = stderr(&out);
    for needle in ["binary.txt: binary file", "broken.txt", "sub/loop"] {
        assert!(warnings.contains(needle), "{needle}: {warnings}");
    }
    let out = run(dir.path(), &["search", "--json", "鼓浪屿"]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["hits"][0]["path"], "./seeds/caf\\xE9.txt");
    assert_eq!(total(dir.path(), &["安置房"]).0, 0);
}

/// A corpus of `files` articles made from the seed's sentences, each with a unique word.
fn corpus(seeds: &Path, files: usize) {
    std::fs::create_dir_all(seeds).unwrap();
    let sentences: Vec<&str> = SEED
        .split_inclusive(['。', ','])
        .filter(|s| s.chars().count() > 4)
        .collect();
    for i in 0..files {
        let mut text = format!("第{i}篇文章\n\n");
        for j in 0..40 {
            text.push_str(sentences[(i * 7 + j * 3) % sentences.len()].trim());
            if j % 5 == 4 {
                text.push_str("\n\n");
            }
        }
        text.push_str(&format!("\n\n独有标记{i:04}号。\n"));
        let sub = seeds.join(format!("{:03}", i % 10));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(format!("{i:04}.txt")), text).unwrap();
    }
}

fn clean_build(dir: &Path) -> (u64, usize) {
    let out = run(dir, &["index", "--index", "clean"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (_, hits) = total(dir, &["--index", "clean", "郑州"]);
    (passages(dir, "clean"), hits)
}

/// Whether the index in `dir/index` holds a commit of a build that has not finished: what a
/// kill or an interruption must have left for the test to mean anything.
fn mid_build(dir: &Path) -> bool {
    let out = run(dir, &["stats"]);
    match out.status.code() {
        Some(0) => stdout(&out).contains("(interrupted"),
        _ => stderr(&out).contains("no index yet"),
    }
}

/// Starts `sou index` committing often and waits until it has committed part of the build
/// (so that it is surely still running); panics if it ends first.
fn start_build_and_wait_for_a_commit(dir: &Path) -> Child {
    let mut child = spawn(dir, &["index", "--commit-every", "20000"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the build ended before a partial commit was seen: make the corpus larger"
        );
        let out = run(dir, &["stats"]);
        let text = stdout(&out);
        if out.status.code() == Some(0)
            && text.contains("updating it now")
            && !text.contains("never")
        {
            return child;
        }
        assert!(Instant::now() < deadline, "no partial commit in a minute");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `stats` during a first build said "interrupted: run `sou index`" of a build still running.
#[cfg(unix)]
#[test]
fn stats_during_a_build_says_it_is_being_built() {
    let dir = tempfile::tempdir().unwrap();
    corpus(&dir.path().join("seeds"), 400);
    let child = start_build_and_wait_for_a_commit(dir.path());
    let out = run(dir.path(), &["stats"]);
    let during = stdout(&out);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!during.contains("interrupted"), "{during}");
    let after = stdout(&run(dir.path(), &["stats"]));
    assert!(
        !after.contains("updating") && !after.contains("interrupted"),
        "{after}"
    );
}

#[cfg(unix)]
#[test]
fn kill_9_during_builds_leaves_a_usable_index_and_the_next_build_finishes() {
    let dir = tempfile::tempdir().unwrap();
    corpus(&dir.path().join("seeds"), 400);
    let (clean_passages, clean_hits) = clean_build(dir.path());

    // Commit often, so that kills fall between commits and inside articles.
    let delays = [150, 300, 450, 250, 600, 100];
    let mut landed_mid_build = 0;
    let mut made_progress = false;
    for delay in delays {
        let mut child = spawn(dir.path(), &["index", "--commit-every", "20000"]);
        std::thread::sleep(Duration::from_millis(delay));
        let running = child.try_wait().unwrap().is_none();
        let _ = child.kill();
        let _ = child.wait();
        if running && mid_build(dir.path()) {
            landed_mid_build += 1;
        }
        let out = run(dir.path(), &["search", "--no-sync", "--json", "郑州"]);
        match out.status.code() {
            Some(0) | Some(1) => made_progress = true,
            // Nothing committed yet, or nothing found in the part committed: said, never a
            // silent "not found".
            Some(2) => assert!(
                stderr(&out).contains("no index yet") || stderr(&out).contains("is incomplete"),
                "{}",
                stderr(&out)
            ),
            other => panic!("search after kill: {other:?}"),
        }
    }
    assert!(
        landed_mid_build > 0,
        "no kill landed in the middle of a build"
    );
    assert!(made_progress, "no kill left a committed index to search");
    let out = run(dir.path(), &["index"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(passages(dir.path(), "index"), clean_passages);
    assert_eq!(total(dir.path(), &["郑州"]), (0, clean_hits));
    assert_eq!(total(dir.path(), &["\"独有标记0399号\""]), (0, 1));
}

/// README promises that a second `sou index` waits for the first; the test used to accept an
/// error from it, and could not tell whether the two builds overlapped at all.
#[test]
fn a_second_build_waits_for_the_first_and_both_end_well() {
    let dir = tempfile::tempdir().unwrap();
    corpus(&dir.path().join("seeds"), 1500);
    let (clean_passages, clean_hits) = clean_build(dir.path());
    let first = start_build_and_wait_for_a_commit(dir.path());
    let second = spawn(dir.path(), &["index"]);
    let first = first.wait_with_output().unwrap();
    let second = second.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("waiting for it to finish"),
        "the second build did not wait: {}",
        stderr(&second)
    );
    assert_eq!(passages(dir.path(), "index"), clean_passages);
    assert_eq!(total(dir.path(), &["郑州"]), (0, clean_hits));
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_build_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    corpus(&dir.path().join("seeds"), 1500);
    let (clean_passages, _) = clean_build(dir.path());
    let child = start_build_and_wait_for_a_commit(dir.path());
    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
    assert!(mid_build(dir.path()), "the interrupted build says so");
    let out = run(dir.path(), &["index"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(passages(dir.path(), "index"), clean_passages);
}

#[cfg(unix)]
fn interrupt(child: &Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait_for(dir: &Path, query: &str, expected: i32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if total(dir, &[query]).0 == expected {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[cfg(unix)]
#[test]
fn watch_follows_an_added_an_edited_and_a_removed_file() {
    let dir = tempfile::tempdir().unwrap();
    let seeds: PathBuf = dir.path().join("seeds");
    std::fs::create_dir(&seeds).unwrap();
    std::fs::write(seeds.join("seed.txt"), SEED).unwrap();
    let child = spawn(dir.path(), &["watch"]);
    assert!(wait_for(dir.path(), "安置房", 0), "initial sync");

    std::fs::write(seeds.join("new.txt"), "新文章\n\n蝾螈出现在这里。\n").unwrap();
    assert!(wait_for(dir.path(), "蝾螈", 0), "added file");
    std::fs::write(seeds.join("new.txt"), "新文章\n\n改写后只剩大熊猫。\n").unwrap();
    assert!(wait_for(dir.path(), "大熊猫", 0), "edited file");
    assert_eq!(total(dir.path(), &["蝾螈"]).0, 1, "old words gone");
    std::fs::remove_file(seeds.join("new.txt")).unwrap();
    assert!(wait_for(dir.path(), "大熊猫", 1), "removed file");

    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines = stdout(&out);
    assert!(lines.lines().count() >= 4, "a line per sync: {lines}");
}

/// `mv seeds old; mkdir seeds`: the watch moves to the new folder, says so, and indexes what
/// is written there (issue 11, item 13: it used to go on watching `old` in silence).
#[cfg(unix)]
#[test]
fn watch_follows_a_replaced_seeds_folder() {
    let dir = tempfile::tempdir().unwrap();
    let seeds: PathBuf = dir.path().join("seeds");
    std::fs::create_dir(&seeds).unwrap();
    std::fs::write(seeds.join("seed.txt"), SEED).unwrap();
    let child = spawn(dir.path(), &["watch"]);
    assert!(wait_for(dir.path(), "安置房", 0), "initial sync");

    std::fs::rename(&seeds, dir.path().join("old")).unwrap();
    std::fs::create_dir(&seeds).unwrap();
    std::fs::write(seeds.join("new.txt"), "新文章\n\n蝾螈出现在这里。\n").unwrap();
    assert!(
        wait_for(dir.path(), "蝾螈", 0),
        "a file in the new folder is indexed"
    );
    assert!(
        wait_for(dir.path(), "安置房", 1),
        "the old folder's article is gone"
    );
    std::fs::write(seeds.join("more.txt"), "又一篇\n\n大熊猫在这里。\n").unwrap();
    assert!(
        wait_for(dir.path(), "大熊猫", 0),
        "the new folder is watched"
    );

    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("watching it"),
        "the replacement is reported: {}",
        stderr(&out)
    );
}

/// A small deterministic generator, so the fuzzing below is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % bound
    }
}

#[test]
fn hostile_queries_never_crash() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("seeds")).unwrap();
    std::fs::write(dir.path().join("seeds/seed.txt"), SEED).unwrap();
    assert_eq!(run(dir.path(), &["index"]).status.code(), Some(0));
    let pieces = [
        "\"",
        "-",
        "OR",
        " ",
        "安置房",
        "智慧",
        "（",
        "）",
        "\u{0}",
        "\u{7}",
        "\u{200b}",
        "\u{feff}",
        "\u{3000}",
        "𠀋",
        "é",
        "e\u{301}",
        "ＡＢＣ",
        "*",
        "?",
        "\\",
        "\u{1}",
        "\u{2}",
        "\u{1e}",
        "\u{1f}",
        "--",
        "-\"",
        "年",
        "2.0",
        "\t",
        "\n",
    ];
    let mut rng = Lcg(7);
    let mut queries: Vec<String> = vec![
        "\"".into(),
        "-".into(),
        "OR OR".into(),
        "\"\"\"".into(),
        "- - -".into(),
        "-\"".into(),
        "安置房".repeat(2000),
        "\u{0}".into(),
        "OR".into(),
        "a OR".into(),
    ];
    for _ in 0..60 {
        let n = 1 + rng.next(8);
        queries.push((0..n).map(|_| pieces[rng.next(pieces.len())]).collect());
    }
    for query in queries {
        for extra in [&[][..], &["--json"][..]] {
            let mut args = vec!["search", "--no-sync"];
            args.extend_from_slice(extra);
            args.extend_from_slice(&["--", query.as_str()]);
            // A query with a NUL cannot be an argument: the parser has its own test for those.
            if query.contains('\u{0}') {
                continue;
            }
            let out = run(dir.path(), &args);
            let code = out.status.code();
            assert!(matches!(code, Some(0..=2)), "{query:?}: {code:?}");
            // The panic hook turns a panic into one line and exit 2: that line must not come.
            assert!(
                !stderr(&out).contains("panicked") && !stderr(&out).contains("internal error"),
                "{query:?}: {}",
                stderr(&out)
            );
            if code == Some(2) {
                assert_eq!(
                    stderr(&out).lines().count(),
                    1,
                    "{query:?}: {}",
                    stderr(&out)
                );
            }
        }
    }
}
