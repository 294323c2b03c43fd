//! The second hostile probe (issue 21): nothing a folder can hold makes sou hang, lose results
//! or lie. Each test is named after the defect it pins and failed on the code that had it.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Workspace, stderr, stdout};

/// Runs `command`, killing it after `limit`: `None` when it had to be killed.
fn run_within(mut command: Command, limit: Duration) -> Option<std::process::Output> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while started.elapsed() < limit {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// `sou ARGS` in the workspace, as `Workspace::sou` runs it, killed after 60 s.
fn sou_within(ws: &Workspace, args: &[&str]) -> std::process::Output {
    let mut command = common::sou();
    command
        .args(args)
        .current_dir(ws.dir.path())
        .env("SOU_CACHE", ws.path(".sou-cache"));
    run_within(command, Duration::from_secs(60))
        .unwrap_or_else(|| panic!("sou {args:?} hung (killed after 60 s)"))
}

fn count(ws: &Workspace, args: &[&str]) -> (Option<i32>, String) {
    let mut all = vec!["search", "-c"];
    all.extend_from_slice(args);
    let out = sou_within(ws, &all);
    (out.status.code(), stdout(&out).trim().to_string())
}

/// Folders linked to each other twice each, 15 deep, one article at the bottom: `sou index`
/// listed the article 2^15 times and grew past 600 MB. Each real folder is listed once, and a
/// link to an ancestor is one loop.
#[cfg(unix)]
#[test]
fn folders_linked_twice_each_are_listed_once() {
    let ws = Workspace::new();
    let seeds = ws.seeds();
    for i in 0..=15 {
        std::fs::create_dir(seeds.join(format!("d{i}"))).unwrap();
    }
    for i in 0..15 {
        for name in ["x", "y"] {
            std::os::unix::fs::symlink(
                format!("../d{}", i + 1),
                seeds.join(format!("d{i}/{name}")),
            )
            .unwrap();
        }
    }
    ws.write("d15/bottom.txt", "底部\n\n链接尽头的蝾螈文章。\n");
    std::os::unix::fs::symlink("..", seeds.join("d7/up")).unwrap();
    let out = sou_within(&ws, &["index"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("1 added"), "{}", stdout(&out));
    assert_eq!(count(&ws, &["蝾螈"]), (Some(0), "1".to_string()));
    let loops = stderr(&out).matches("symbolic link loop").count();
    assert_eq!(loops, 1, "{}", stderr(&out));
}

/// `mkfifo seeds/dict.txt` made every command wait forever; `dict.txt -> /dev/zero` grew
/// 250 MB a second; a `dict.txt` link out of the folder was read while sou said it skipped it.
#[cfg(unix)]
#[test]
fn settings_files_that_are_not_files_are_reported_not_read() {
    let ws = Workspace::with_seed();
    let dict = ws.seeds().join("dict.txt");
    let made = Command::new("mkfifo").arg(&dict).status().unwrap();
    assert!(made.success());
    let out = sou_within(&ws, &["search", "安置房", "-c"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("dict.txt: not a regular file; the dictionary is not used"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_file(&dict).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &dict).unwrap();
    let out = sou_within(&ws, &["index", "--rebuild", "--follow-outside"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        stderr(&out)
    );
    // A link out of the folder: its words are not used, and sou says so.
    std::fs::remove_file(&dict).unwrap();
    std::fs::write(ws.path("outside.txt"), "智慧岛外 100 n\n").unwrap();
    std::os::unix::fs::symlink(ws.path("outside.txt"), &dict).unwrap();
    let out = sou_within(&ws, &["index", "--rebuild"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("outside the seeds folder") && stderr(&out).contains("not used"),
        "{}",
        stderr(&out)
    );
    let index_files: Vec<String> = std::fs::read_dir(ws.path("index"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !index_files.iter().any(|n| n.starts_with(".sou-words")),
        "{index_files:?}"
    );
    let meta = std::fs::read_to_string(ws.path("index/meta.json")).unwrap();
    assert!(!meta.contains("智慧岛外"), "the outside words were read");
    // A FIFO in an ignore file's place does not hang the listing either.
    std::fs::remove_file(&dict).unwrap();
    let made = Command::new("mkfifo")
        .arg(ws.seeds().join(".gitignore"))
        .status()
        .unwrap();
    assert!(made.success());
    let out = sou_within(&ws, &["index"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(".gitignore: not a regular file"),
        "{}",
        stderr(&out)
    );
}

/// The peak resident memory of `command`, in kB, and its output.
#[cfg(target_os = "linux")]
// The child is reaped by `wait4`, which also reports its memory; std's `wait` would reap it
// without the figure.
#[allow(clippy::zombie_processes)]
fn max_rss_kb(mut command: Command) -> (u64, std::process::Output) {
    use std::io::Read;
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    let mut status = 0;
    // SAFETY: an empty rusage for wait4 to fill, for a child this test spawned and that std
    // has not reaped.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: `pid` is our child; `status` and `usage` are valid for writing.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid);
    use std::os::unix::process::ExitStatusExt;
    let output = std::process::Output {
        status: std::process::ExitStatus::from_raw(status),
        stdout: out,
        stderr: Vec::new(),
    };
    (usage.ru_maxrss as u64, output)
}

/// `--vimgrep` read the whole line of each hit: on a file that is one 200 MB line, 2.2 GB
/// where text output took 63 MB. Its memory is bounded by the passage, as the text output's.
#[cfg(target_os = "linux")]
#[test]
fn vimgrep_on_one_long_line_is_bounded_by_the_passage() {
    let ws = Workspace::new();
    let sentence = "一句很长的话说了又说，讲到安置房以外的许多事情。";
    let mut line = String::new();
    while line.len() < 12_000_000 {
        line.push_str(sentence);
    }
    ws.write(
        "one.txt",
        &format!("标题\n{line}最后的红星美凯龙在这里。\n"),
    );
    let out = sou_within(&ws, &["index"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let search = |extra: &[&str]| {
        let mut command = common::sou();
        command
            .args(["search", "--no-sync", "红星美凯龙", "-n", "1"])
            .args(extra)
            .current_dir(ws.dir.path());
        max_rss_kb(command)
    };
    let (text_kb, _) = search(&[]);
    let (vimgrep_kb, out) = search(&["--vimgrep"]);
    let printed = stdout(&out);
    let column = line.len() + "最后的".len() + 1;
    assert_eq!(
        printed.split(':').take(3).collect::<Vec<_>>(),
        ["./seeds/one.txt", "2", &column.to_string()],
        "{printed}"
    );
    assert!(
        vimgrep_kb < text_kb + 20_000,
        "--vimgrep {vimgrep_kb} kB, text {text_kb} kB"
    );
}

/// A large `synonyms.txt` made every search parse it (2.6 s for 12 MB), a large `dict.txt`
/// was parsed out of `meta.json` on every search. Both are parsed once per change and kept
/// with the index.
#[test]
fn large_settings_files_are_parsed_once_per_change() {
    let ws = Workspace::with_seed();
    let mut synonyms = String::from("自创区 自主创新示范区\n");
    for i in 0..20_000 {
        synonyms.push_str(&format!("词{i}甲 词{i}乙\n"));
    }
    ws.write("synonyms.txt", &synonyms);
    let mut dict = String::new();
    for i in 0..20_000 {
        dict.push_str(&format!("用户词{i} 10 n\n"));
    }
    ws.write("dict.txt", &dict);
    // Settled files: a file written this very second may change again unseen.
    let old = std::time::SystemTime::now() - Duration::from_secs(60);
    for name in ["synonyms.txt", "dict.txt"] {
        std::fs::File::options()
            .write(true)
            .open(ws.seeds().join(name))
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    assert_eq!(count(&ws, &["自创区"]).0, Some(0));
    let index = ws.path("index");
    assert!(index.join(".sou-synonyms").is_file(), "synonyms not kept");
    let words = std::fs::read_dir(&index)
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().starts_with(".sou-words-")
        })
        .count();
    assert_eq!(words, 1, "user words not kept beside the index");
    let meta = std::fs::metadata(index.join("meta.json")).unwrap().len();
    assert!(meta < 20_000, "meta.json holds {meta} bytes");
    // The kept forms give the same answers as the files.
    let (code, kept) = count(&ws, &["自创区"]);
    assert_eq!(code, Some(0));
    std::fs::remove_file(index.join(".sou-synonyms")).unwrap();
    assert_eq!(count(&ws, &["--no-sync", "自创区"]), (Some(0), kept));
}

fn corpus(seeds: &Path, articles: usize) {
    std::fs::create_dir_all(seeds).unwrap();
    for i in 0..articles {
        let body = format!(
            "第{i}篇文章\n\n郑州高新区在第{i}年推进安置房建设，记者走访了{}个社区。\n\n每篇独有的标记{i:04}号。\n",
            i * 7
        );
        std::fs::write(seeds.join(format!("{i:04}.txt")), body).unwrap();
    }
}

/// During `sou index --rebuild`, `sou search -c --no-sync` printed 0 with exit 1 (once, "is
/// damaged (….idx is missing)"); a kill -9 of a rebuild left an index of 0 articles. The last
/// commit stays searchable until the rebuild's replaces it.
#[test]
fn searches_during_a_rebuild_see_the_last_commit() {
    let ws = Workspace::new();
    corpus(&ws.seeds(), 1500);
    let out = sou_within(&ws, &["index"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let whole = count(&ws, &["--no-sync", "郑州"]);
    assert_eq!(whole, (Some(0), "1500".to_string()));
    let started = std::time::Instant::now();
    let mut rebuild = common::spawn(ws.dir.path(), &["index", "--rebuild"]);
    let mut during = 0;
    while rebuild.try_wait().unwrap().is_none() {
        let seen = count(&ws, &["--no-sync", "郑州"]);
        if rebuild.try_wait().unwrap().is_none() {
            during += 1;
        }
        assert_eq!(seen, whole, "a search during the rebuild");
    }
    assert!(during > 0, "no search ran during the rebuild");
    assert_eq!(rebuild.wait().unwrap().code(), Some(0));
    // Killed mid-rebuild, at a fifth, two fifths and seven tenths of the time one took (fixed
    // delays let a release build finish first): the last commit is whole.
    let took = started.elapsed();
    let mut killed = 0;
    for share in [0.2, 0.4, 0.7] {
        let delay = took.mul_f64(share);
        let mut rebuild = common::spawn(ws.dir.path(), &["index", "--rebuild"]);
        std::thread::sleep(delay);
        if rebuild.try_wait().unwrap().is_none() {
            killed += 1;
        }
        let _ = rebuild.kill();
        let _ = rebuild.wait();
        assert_eq!(
            count(&ws, &["--no-sync", "郑州"]),
            whole,
            "after kill at {delay:?}"
        );
    }
    assert!(killed > 0, "no kill landed during a rebuild");
}

/// Of eight first searches of a new folder started at once, seven printed 0 with exit 1: they
/// searched the empty index the first was building. They wait for it.
#[test]
fn first_searches_started_at_once_all_find_what_is_there() {
    let ws = Workspace::new();
    corpus(&ws.seeds(), 1500);
    // Long enough articles that the build lasts while the others start.
    let filler = "各区县推进城乡建设，记者走访了许多社区和企业。".repeat(60);
    for i in 0..1500 {
        let path = ws.seeds().join(format!("{i:04}.txt"));
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(&format!("\n{filler}\n"));
        std::fs::write(path, text).unwrap();
    }
    // The first starts the build; the others start once it holds the writer.
    let mut searches = vec![common::spawn(ws.dir.path(), &["search", "-c", "郑州"])];
    let lock = ws.path("index/.tantivy-writer.lock");
    let held = || {
        std::fs::File::open(&lock).is_ok_and(|file| {
            matches!(
                file.try_lock_shared(),
                Err(std::fs::TryLockError::WouldBlock)
            )
        })
    };
    let started = Instant::now();
    while !held() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(5));
    }
    searches.extend((0..7).map(|_| common::spawn(ws.dir.path(), &["search", "-c", "郑州"])));
    let mut waited = 0;
    for search in searches {
        let out = search.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(stdout(&out).trim(), "1500", "{}", stderr(&out));
        waited += usize::from(stderr(&out).contains("waiting for it"));
    }
    assert!(waited > 0, "no search found another building the index");
}

/// A folder named in GBK (`n_\xd0\xc2`, as unzipped from a Windows archive) was indexed once;
/// every later command said its index was another folder's, and `sou search Q DIR` failed on
/// invalid UTF-8.
#[cfg(unix)]
#[test]
fn a_folder_whose_name_is_not_utf8_works_every_time() {
    use std::os::unix::ffi::OsStrExt;
    let ws = Workspace::new();
    let name = std::ffi::OsStr::from_bytes(b"n_\xd0\xc2");
    let folder = ws.dir.path().join(name);
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("a.txt"), "甲\n\n红星美凯龙开业。\n").unwrap();
    let run = |args: &[&std::ffi::OsStr]| {
        let mut command = common::sou();
        command
            .args(args)
            .current_dir(ws.dir.path())
            .env("SOU_CACHE", ws.path(".sou-cache"));
        run_within(command, Duration::from_secs(60)).unwrap()
    };
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    for _ in 0..2 {
        let out = run(&[os("index"), name]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let out = run(&[os("search"), os("-c"), os("红星"), name]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "1");
    let out = run(&[os("stats"), name]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("n_\\xD0\\xC2"), "{}", stdout(&out));
}

/// `---` opening a `.md` without closing it, or a `---` rule at its top, hid the text below
/// from sou (grep finds it).
#[test]
fn markdown_text_after_a_dash_rule_is_found() {
    let ws = Workspace::new();
    ws.write("draft.md", "---\ntitle: 草稿\n\n正文 未闭合标记\n");
    ws.write("rule.md", "---\n第一节 分隔标记\n---\n第二节\n");
    ws.write(
        "real.md",
        "---\ntitle: 真标题\ntags: [a]\n---\n\n正文里的字。\n",
    );
    assert_eq!(count(&ws, &["\"未闭合标记\""]), (Some(0), "1".to_string()));
    assert_eq!(count(&ws, &["\"分隔标记\""]), (Some(0), "1".to_string()));
    // Real front matter is still not text, but its title is the title.
    assert_eq!(count(&ws, &["tags"]).0, Some(1));
    let out = sou_within(&ws, &["search", "--json", "正文里的字"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["hits"][0]["title"], "真标题");
}

/// `"安置房 建设"` found nothing in the seed, which holds 安置房建设 (README: spaces do not
/// matter); `-"中央 路"` excluded nothing.
#[test]
fn a_phrase_and_an_excluded_phrase_match_with_or_without_spaces() {
    let ws = Workspace::with_seed();
    ws.write("a.txt", "甲\n\n路过中央路的车。\n");
    ws.write("b.txt", "乙\n\n中央 路上的车。\n");
    ws.write("c.txt", "丙\n\n别的路上的车。\n");
    let (code, phrase) = count(&ws, &["\"安置房 建设\""]);
    assert_eq!(code, Some(0));
    assert!(phrase.parse::<usize>().unwrap() >= 1);
    assert_eq!(
        count(&ws, &["\"安置房 建设\""]),
        count(&ws, &["\"安置房建设\""])
    );
    // As a shell passes `-"中央 路"`, and with the quotes kept.
    assert_eq!(count(&ws, &["车", "-中央 路"]), (Some(0), "1".to_string()));
    assert_eq!(count(&ws, &["车 -\"中央 路\""]), (Some(0), "1".to_string()));
    assert_eq!(
        count(&ws, &["车", "-\"中央 路\""]),
        (Some(0), "1".to_string())
    );
    assert_eq!(count(&ws, &["车", "-中央路"]), (Some(0), "2".to_string()));
}

/// In a long passage starting `目标明确，` and ending `最后出现目标词乙。`, the snippet of
/// `目标词乙` was centred on 目标明确 and lacked the query; `--vimgrep` said column 1.
#[test]
fn snippet_and_column_point_at_the_query_as_written() {
    let ws = Workspace::new();
    let middle = "中间的话没有标点一直说下去".repeat(18);
    let passage = format!("目标明确，{middle}最后出现目标词乙。");
    ws.write("a.txt", &format!("标题\n\n{passage}\n"));
    let out = sou_within(&ws, &["search", "--json", "目标词乙"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let hit = &json["hits"][0];
    assert!(
        hit["snippet"].as_str().unwrap().contains("目标词乙"),
        "{hit}"
    );
    let column = passage.find("目标词乙").unwrap() + 1;
    assert_eq!(hit["column"], column, "{hit}");
    let out = sou_within(&ws, &["search", "--vimgrep", "目标词乙"]);
    assert!(
        stdout(&out).starts_with(&format!("./seeds/a.txt:3:{column}:")),
        "{}",
        stdout(&out)
    );
}

/// Two files holding the same passage: `--vimgrep -n 100` printed one line and said `1 of 2
/// passages (--limit shows more)`, which no limit changed.
#[test]
fn vimgrep_gives_a_line_for_every_file_holding_the_passage() {
    let ws = Workspace::new();
    ws.write("a.txt", "甲\n\n同样的一段话提到蝾螈。\n");
    ws.write("sub/b.txt", "乙\n\n别的开头\n\n  同样的一段话提到蝾螈。\n");
    let out = sou_within(&ws, &["search", "--vimgrep", "-n", "100", "蝾螈"]);
    assert_eq!(
        stdout(&out).lines().collect::<Vec<_>>(),
        [
            "./seeds/a.txt:3:25:同样的一段话提到蝾螈。",
            "./seeds/sub/b.txt:5:27:同样的一段话提到蝾螈。"
        ]
    );
    assert!(
        !stderr(&out).contains("--limit shows more"),
        "{}",
        stderr(&out)
    );
}

/// A file `back\slash.txt` was printed `back\\slash.txt` by `-l`, `--vimgrep` and `--json`;
/// `<p>&amp;&amp;&amp;安置房</p>` gave column 4 for a match at byte 19.
#[cfg(unix)]
#[test]
fn names_with_backslashes_and_entities_keep_their_paths_and_columns() {
    let ws = Workspace::new();
    ws.write("back\\slash.txt", "甲\n\n蝾螈在这里。\n");
    ws.write(
        "page.html",
        "<html><body>\n<p>&amp;&amp;&amp;安置房</p>\n</body></html>\n",
    );
    let out = sou_within(&ws, &["search", "-l", "蝾螈"]);
    let path = stdout(&out).trim().to_string();
    assert_eq!(path, "./seeds/back\\slash.txt");
    assert!(ws.dir.path().join(&path).is_file());
    let out = sou_within(&ws, &["search", "--json", "蝾螈"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["hits"][0]["path"], "./seeds/back\\slash.txt");
    let out = sou_within(&ws, &["--ext", "html", "search", "--vimgrep", "安置房"]);
    assert!(
        stdout(&out).starts_with("./seeds/page.html:2:19:"),
        "{}",
        stdout(&out)
    );
}

/// `sou index s --index s` was accepted: the index files became articles and `watch` dropped
/// every event.
#[test]
fn an_index_folder_that_is_or_holds_the_seeds_folder_is_refused() {
    let ws = Workspace::with_seed();
    for index in ["seeds", ".", "seeds/../seeds"] {
        let out = sou_within(&ws, &["index", "seeds", "--index", index]);
        assert_eq!(out.status.code(), Some(2), "{index}");
        assert!(
            stderr(&out).contains("is the seeds folder"),
            "{}",
            stderr(&out)
        );
    }
    assert!(!ws.seeds().join("meta.json").exists());
    // Inside the seeds folder is fine, as before.
    let out = sou_within(&ws, &["index", "seeds", "--index", "seeds/.idx"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// `SOU_EXT=,`, `SOU_EXT=` and `--ext ''` removed every article from the index; `SOU_SEEDS=`
/// was clap's "a value is required"; `SOU_SEEDS=w sou search Q c2` said "two seeds folders".
#[test]
fn empty_variables_and_extension_lists_are_not_silent_deletions() {
    let ws = Workspace::with_seed();
    std::fs::create_dir(ws.path("other")).unwrap();
    std::fs::write(ws.path("other/o.txt"), "另\n\n蝾螈在另一个文件夹。\n").unwrap();
    assert_eq!(count(&ws, &["安置房"]).0, Some(0));
    for (var, value, args) in [
        ("SOU_EXT", ",", &["index"][..]),
        ("SOU_EXT", "", &["index", "--ext", ""][..]),
    ] {
        let out = common::sou()
            .args(args)
            .current_dir(ws.dir.path())
            .env(var, value)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}={value} {args:?}");
        let named = if args.len() > 1 { "--ext" } else { var };
        assert!(stderr(&out).contains(named), "{}", stderr(&out));
    }
    assert_eq!(
        count(&ws, &["--no-sync", "安置房"]),
        (Some(0), "1".to_string())
    );
    let out = common::sou()
        .args(["search", "-c", "安置房"])
        .current_dir(ws.dir.path())
        .env("SOU_SEEDS", "")
        .env("SOU_EXT", "")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = common::sou()
        .args(["search", "-c", "蝾螈", "other"])
        .current_dir(ws.dir.path())
        .env("SOU_SEEDS", ws.seeds())
        .env("SOU_CACHE", ws.path(".sou-cache"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "1");
}

/// A `.gitignore` holding `*.txt` gave "holds no articles" without saying why.
#[test]
fn an_ignore_file_that_leaves_out_every_article_is_named() {
    let ws = Workspace::with_seed();
    ws.write(".gitignore", "*.txt\n");
    let out = sou_within(&ws, &["index"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("holds no articles") && stderr(&out).contains(".gitignore"),
        "{}",
        stderr(&out)
    );
}

/// `sou completions bash | (exec 0<&-; true)` said "internal error (… BrokenPipe …); if the
/// index is damaged, sou index --rebuild rebuilds it".
#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_every_command_quietly() {
    let ws = Workspace::with_seed();
    for args in [
        &["completions", "bash"][..],
        &["man"][..],
        &["search", "的"][..],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = common::sou()
            .args(args)
            .current_dir(ws.dir.path())
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("internal error"), "{}", stderr(&out));
    }
}

/// UTF-32 LE with a BOM was read as UTF-16 (a NUL after every character); a file of CR line
/// ends (old Mac) was one line.
#[test]
fn utf32_is_reported_and_a_cr_ends_a_line() {
    let ws = Workspace::new();
    let mut utf32 = vec![0xFF, 0xFE, 0, 0];
    for c in "标题\n\n蝾螈出现了。\n".chars() {
        utf32.extend_from_slice(&(c as u32).to_le_bytes());
    }
    std::fs::write(ws.seeds().join("wide.txt"), utf32).unwrap();
    ws.write("mac.txt", "标题\r\r第一段。\r\r蝾螈在第五行。\r");
    let out = sou_within(&ws, &["index"]);
    assert!(
        stderr(&out).contains("wide.txt: UTF-32LE"),
        "{}",
        stderr(&out)
    );
    let out = sou_within(&ws, &["search", "--vimgrep", "蝾螈"]);
    assert_eq!(stdout(&out).trim(), "./seeds/mac.txt:5:1:蝾螈在第五行。");
}

/// A lone `"` was "empty query"; `-n -1` got clap's tip to write `-- -1`, which makes -1 a
/// query; `-n 0 -l` exited 0 and `-n 0` exited 1.
#[test]
fn odd_arguments_mean_what_they_say() {
    let ws = Workspace::new();
    ws.write("a.txt", "甲\n\n他说\"好\"。\n");
    let out = sou_within(&ws, &["search", "-c", "\""]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "1");
    let out = sou_within(&ws, &["search", "好", "-n", "-1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains("-- -1"), "{}", stderr(&out));
    assert!(stderr(&out).contains("-1"), "{}", stderr(&out));
    for args in [
        &["search", "好", "-n", "0"][..],
        &["search", "好", "-n", "0", "-l"],
    ] {
        assert_eq!(sou_within(&ws, args).status.code(), Some(0), "{args:?}");
    }
    assert_eq!(
        sou_within(&ws, &["search", "乂乂", "-n", "0"])
            .status
            .code(),
        Some(1)
    );
}

/// `TERM=dumb` still got color (ripgrep gives a dumb terminal none).
#[cfg(target_os = "linux")]
#[test]
fn a_dumb_terminal_gets_no_color() {
    let ws = Workspace::with_seed();
    assert_eq!(count(&ws, &["安置房"]).0, Some(0));
    let in_terminal = |term: &str| {
        let script = format!(
            "TERM={term} {} search --no-sync 安置房",
            env!("CARGO_BIN_EXE_sou")
        );
        let out = Command::new("script")
            .args(["-qec", &script, "/dev/null"])
            .current_dir(ws.dir.path())
            .env_remove("NO_COLOR")
            .output()
            .unwrap();
        stdout(&out)
    };
    let colored = in_terminal("xterm");
    assert!(colored.contains("安置房"), "{colored}");
    assert!(
        colored.contains("\x1b["),
        "no color even on a terminal: {colored}"
    );
    let dumb = in_terminal("dumb");
    assert!(
        dumb.contains("安置房") && !dumb.contains("\x1b["),
        "{dumb:?}"
    );
}
