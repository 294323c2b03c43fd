//! Nothing a folder, a file, a flag or a fault can do makes sou delete data, hang, spin, crash or
//! lie. Each test is named after the defect it pins and fails on the code that had it.

mod common;

use common::{Workspace, stderr, stdout};

/// `sou index --index box; rm box/*; echo thesis > box/thesis.docx; sou search --index box 安置房`
/// deleted thesis.docx: the hidden marker survived `rm *`, and the next sync cleared every
/// visible file of a folder it took for a half-made index.
#[test]
fn a_file_put_in_an_emptied_index_folder_is_never_deleted() {
    let ws = Workspace::with_seed();
    assert_eq!(ws.sou(&["index", "--index", "box"]).status.code(), Some(0));
    for entry in std::fs::read_dir(ws.path("box")).unwrap() {
        let path = entry.unwrap().path();
        if !path.file_name().unwrap().to_string_lossy().starts_with('.') {
            std::fs::remove_file(path).unwrap();
        }
    }
    std::fs::write(ws.path("box/thesis.docx"), "thesis").unwrap();
    for args in [
        &["search", "--index", "box", "安置房"][..],
        &["index", "--index", "box"][..],
        &["index", "--rebuild", "--index", "box"][..],
    ] {
        let out = ws.sou(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("thesis.docx"), "{}", stderr(&out));
        assert_eq!(
            std::fs::read_to_string(ws.path("box/thesis.docx")).unwrap(),
            "thesis",
            "{args:?}"
        );
    }
}

/// A folder holding only dot-files (a home folder, a fresh git checkout) was taken for an empty
/// index folder and filled with an index.
#[test]
fn a_folder_of_dot_files_is_not_taken_for_an_empty_index_folder() {
    let ws = Workspace::with_seed();
    std::fs::create_dir_all(ws.path("home/.config")).unwrap();
    std::fs::write(ws.path("home/.profile"), "export X=1").unwrap();
    let out = ws.sou(&["index", "--index", "home"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(".config, .profile"),
        "{}",
        stderr(&out)
    );
    let names: Vec<_> = std::fs::read_dir(ws.path("home")).unwrap().collect();
    assert_eq!(names.len(), 2, "nothing written");
}

/// OSC 0/8/52 and CSI sequences in a title, a passage or a file name were printed raw (also
/// with `--color never`), and a newline in a file name printed fake result lines.
#[cfg(unix)]
#[test]
fn escape_codes_and_newlines_from_files_never_reach_the_terminal() {
    let ws = Workspace::new();
    let title = "标题\x1b]0;owned\x07\x1b]52;c;ZXZpbA==\x07\x1b[2J";
    ws.write(
        "evil\nseeds/fake.txt:1  假的.txt",
        &format!("{title}\n\n正文里有\x1b]8;;http://evil\x07链接\x1b]8;;\x07和蝾螈。\n"),
    );
    ws.write("bin\n.png", "\u{89}PNG\r\n\u{1a}\n\0\0\0\rIHDR");
    for args in [
        &["search", "--color", "never", "蝾螈"][..],
        &["search", "--color", "always", "蝾螈"][..],
        &["index", "--rebuild"][..],
        &["stats"][..],
    ] {
        let out = ws.sou(args);
        assert!(
            out.status.code().is_some_and(|c| c < 2),
            "{args:?}: {}",
            stderr(&out)
        );
        for (name, printed) in [("stdout", stdout(&out)), ("stderr", stderr(&out))] {
            // Colors are sou's own: ESC [ digits m. Anything else from a file is escaped.
            let without_colors = regex_free_colors(&printed);
            assert!(
                !without_colors.contains('\x1b') && !without_colors.contains('\x07'),
                "{args:?} {name}: {printed:?}"
            );
            assert!(
                !printed.lines().any(|l| l.starts_with("seeds/fake.txt")),
                "{args:?} {name}: a fake line: {printed}"
            );
        }
    }
    let out = ws.sou(&["search", "--color", "never", "蝾螈"]);
    assert!(
        stdout(&out).contains("evil\\nseeds/fake.txt"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("标题\\x1B]0;owned\\x07"),
        "{}",
        stdout(&out)
    );
}

/// Removes sou's own color sequences (`ESC [ n ; n m`).
fn regex_free_colors(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("\x1b[") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let end = after
            .find(|c: char| !c.is_ascii_digit() && c != ';')
            .unwrap_or(after.len());
        if after[end..].starts_with('m') {
            rest = &after[end + 1..];
        } else {
            out.push_str("\x1b[");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// `--limit 1000000000000` aborted allocating 8 TB; `--limit 18446744073709551584` overflowed to
/// zero hits with exit 0.
#[test]
fn any_limit_works_capped_by_the_matches() {
    let ws = Workspace::with_seed();
    for limit in [
        "1000000000000",
        "18446744073709551584",
        "18446744073709551615",
    ] {
        let out = ws.sou(&["search", "--json", "--limit", limit, "高新区"]);
        assert_eq!(out.status.code(), Some(0), "{limit}: {}", stderr(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let hits = json["hits"].as_array().unwrap().len();
        assert!(hits > 5, "{limit}: {hits} hits");
        assert_eq!(hits as u64, json["total"].as_u64().unwrap(), "{limit}");
    }
}

/// `sou index | true` and `2>/dev/full` exited 101: println! and eprintln! panic when they
/// cannot write.
#[cfg(unix)]
#[test]
fn output_that_cannot_be_written_ends_quietly_or_with_one_error() {
    use std::process::Stdio;
    let ws = Workspace::with_seed();
    // A closed pipe: quiet, as grep.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = common::sou()
        .args(["index"])
        .current_dir(ws.dir.path())
        .stdout(writer)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    // A full disk behind stderr: the search still works.
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let out = common::sou()
        .args(["search", "安置房"])
        .current_dir(ws.dir.path())
        .stderr(full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // A full disk behind stdout: exit 2, and one line that says so.
    let out = common::sou()
        .args(["search", "安置房"])
        .current_dir(ws.dir.path())
        .stdout(full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).trim(),
        "sou: writing the output: No space left on device (os error 28)"
    );
}

/// Errors were doubled: `Not a directory (os error 20): Not a directory (os error 20)`.
#[test]
fn an_error_names_its_cause_once() {
    let ws = Workspace::with_seed();
    std::fs::write(ws.path("afile"), "x").unwrap();
    for args in [
        &["index", "--index", "afile/below"][..],
        &["index", "--seeds", "afile/below"][..],
    ] {
        let out = ws.sou(args);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert_eq!(err.matches("os error").count(), 1, "{args:?}: {err}");
    }
}

/// `sou search 苹果 -iphone` and `-2020` were clap errors instead of exclusions.
#[test]
fn latin_and_number_exclusions_are_exclusions() {
    let ws = Workspace::new();
    ws.write("a.txt", "甲\n\n苹果发布了新款iphone。\n");
    ws.write("b.txt", "乙\n\n苹果在2020年丰收。\n");
    ws.write("c.txt", "丙\n\n苹果很甜。\n");
    // A dash and a Latin letter is an option, as in ripgrep: an unknown one is an error that
    // says where a Latin exclusion goes.
    let out = ws.sou(&["search", "--json", "苹果", "-iphone", "-2020"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("'-iphone'") && stderr(&out).contains("in the query"));
    let out = ws.sou(&["search", "--json", "苹果 -iphone", "-2020"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths: Vec<&str> = json["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["./seeds/c.txt"]);
}

/// `seeds/x.txt → /any/file` was indexed: links leave the seeds folder only when asked.
#[cfg(unix)]
#[test]
fn a_link_out_of_the_seeds_folder_is_skipped_unless_asked() {
    let ws = Workspace::new();
    std::fs::write(ws.path("private.txt"), "私密\n\n工资单上写着蝾螈。\n").unwrap();
    std::os::unix::fs::symlink(ws.path("private.txt"), ws.seeds().join("x.txt")).unwrap();
    ws.write("a.txt", "甲\n\n正文。\n");
    let out = ws.sou(&["index"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("x.txt: link to")
            && stderr(&out).contains("outside the seeds folder"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        ws.sou(&["search", "--no-sync", "蝾螈"]).status.code(),
        Some(1)
    );
    let out = ws.sou(&["index", "--follow-outside"]);
    assert!(stdout(&out).starts_with("1 added"), "{}", stdout(&out));
    assert_eq!(
        ws.sou(&["search", "--no-sync", "蝾螈"]).status.code(),
        Some(0)
    );
}

/// `sou --seeds . search …` (the default ./index inside .) committed "6 removed" on every run,
/// warned about its own files, and stats listed them.
#[cfg(unix)]
#[test]
fn an_index_inside_the_seeds_folder_is_never_part_of_the_corpus() {
    let ws = Workspace::with_seed();
    let seeds = ws.seeds();
    std::os::unix::fs::symlink(seeds.join("idx"), seeds.join("link-to-index")).unwrap();
    let run = |args: &[&str]| {
        common::sou()
            .args(args)
            .args(["--seeds", ".", "--index", "idx"])
            .current_dir(&seeds)
            .output()
            .unwrap()
    };
    let first = run(&["index"]);
    assert!(stdout(&first).starts_with("1 added"), "{}", stdout(&first));
    for _ in 0..2 {
        let again = run(&["index"]);
        assert!(
            stdout(&again).starts_with("0 added, 0 changed, 0 removed, 1 unchanged"),
            "{}",
            stdout(&again)
        );
        assert!(stderr(&again).is_empty(), "{}", stderr(&again));
    }
    let stats = stdout(&run(&["stats"]));
    assert!(stats.contains("skipped:   0"), "{stats}");
}

/// Broken links, loops, FIFOs and files over the limit were warned about on every run and not
/// shown by stats, although README promised "once" and "listed by stats".
#[cfg(unix)]
#[test]
fn a_file_that_cannot_be_listed_is_warned_about_once_and_listed_by_stats() {
    let ws = Workspace::with_seed();
    std::os::unix::fs::symlink(ws.seeds().join("gone.txt"), ws.seeds().join("broken.txt")).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(ws.seeds().join("pipe.txt"))
        .status()
        .unwrap();
    assert!(made.success());
    let first = ws.sou(&["index"]);
    assert_eq!(first.status.code(), Some(0));
    for name in ["broken.txt", "pipe.txt"] {
        assert!(stderr(&first).contains(name), "{}", stderr(&first));
    }
    let again = ws.sou(&["index"]);
    assert!(stderr(&again).is_empty(), "{}", stderr(&again));
    assert!(
        stdout(&again).starts_with("0 added, 0 changed, 0 removed, 1 unchanged"),
        "{}",
        stdout(&again)
    );
    let stats = stdout(&ws.sou(&["stats"]));
    assert!(stats.contains("skipped:   2"), "{stats}");
    assert!(
        stats.contains("./seeds/pipe.txt: not a regular file"),
        "{stats}"
    );
    // Fixed, it is indexed and no longer listed.
    std::fs::remove_file(ws.seeds().join("broken.txt")).unwrap();
    ws.write("broken.txt", "修好了\n\n现在能读了。\n");
    let fixed = ws.sou(&["index"]);
    assert!(stdout(&fixed).starts_with("1 added"), "{}", stdout(&fixed));
    assert!(stdout(&ws.sou(&["stats"])).contains("skipped:   1"));
}

/// A UTF-8 file named `caf\xE9.txt` and a file whose name has the byte 0xE9 got the same key:
/// one shadowed the other, and every sync reported "1 changed".
#[cfg(unix)]
#[test]
fn two_names_never_share_a_key() {
    use std::os::unix::ffi::OsStrExt;
    let ws = Workspace::new();
    std::fs::write(ws.seeds().join("caf\\xE9.txt"), "甲\n\n写着蝾螈。\n").unwrap();
    let byte_name = std::ffi::OsStr::from_bytes(b"caf\xE9.txt");
    std::fs::write(ws.seeds().join(byte_name), "乙\n\n写着大熊猫。\n").unwrap();
    let first = ws.sou(&["index"]);
    assert!(stdout(&first).starts_with("2 added"), "{}", stdout(&first));
    let again = ws.sou(&["index"]);
    assert!(
        stdout(&again).starts_with("0 added, 0 changed, 0 removed, 2 unchanged"),
        "{}",
        stdout(&again)
    );
    for word in ["蝾螈", "大熊猫"] {
        assert_eq!(
            ws.sou(&["search", "--no-sync", word]).status.code(),
            Some(0)
        );
    }
}

/// Summary counts included files that are not articles ("3 unchanged" with 1 article), and
/// files with time 0 or in the future were re-read and re-committed on every search.
#[cfg(unix)]
#[test]
fn counts_are_of_articles_and_odd_times_are_not_checked_again_and_again() {
    let ws = Workspace::with_seed();
    ws.write("scan.pdf", "%PDF-1.7");
    ws.write("photo.png", "png");
    ws.write("epoch.txt", "零\n\n时间为零的文件。\n");
    ws.write("future.txt", "未来\n\n来自未来的文件。\n");
    // The others far enough in the past that they are not checked again for being new.
    for (name, time) in [
        ("epoch.txt", "@0"),
        ("future.txt", "2200-01-01"),
        (common::SEED_NAME, "2020-01-01"),
        ("scan.pdf", "2020-01-01"),
        ("photo.png", "2020-01-01"),
    ] {
        let touched = std::process::Command::new("touch")
            .args(["-d", time])
            .arg(ws.seeds().join(name))
            .status()
            .unwrap();
        assert!(touched.success());
    }
    let first = ws.sou(&["index"]);
    assert!(
        stdout(&first).starts_with("3 added, 0 changed, 0 removed, 0 unchanged"),
        "{}",
        stdout(&first)
    );
    let meta = std::fs::read_to_string(ws.path("index/meta.json")).unwrap();
    let again = ws.sou(&["index"]);
    assert!(
        stdout(&again).starts_with("0 added, 0 changed, 0 removed, 3 unchanged"),
        "{}",
        stdout(&again)
    );
    let after = std::fs::read_to_string(ws.path("index/meta.json")).unwrap();
    assert!(after == meta, "nothing was committed");
}

/// A 100 KB query of 8,297 words took 1.6 GB and 7 s; 3,000 copies of one word 2.9 GB.
#[test]
fn long_queries_are_bounded() {
    let ws = Workspace::with_seed();
    assert_eq!(ws.sou(&["index"]).status.code(), Some(0));
    let many: String = (0..8297).map(|i| format!("词{i} ")).collect();
    let out = ws.sou(&["search", "--no-sync", &many]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1);
    assert!(
        stderr(&out).contains("too many terms (8297; at most 32)"),
        "{}",
        stderr(&out)
    );
    let copies = "安置房建设 ".repeat(3000);
    let out = ws.sou(&["search", "--no-sync", "--json", &copies]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let long = "安置房".repeat(10_000);
    let out = ws.sou(&["search", "--no-sync", &long]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is too long"), "{}", stderr(&out));
}

/// A dict.txt in GBK (common from Windows) broke every search and index.
#[test]
fn a_gbk_dictionary_works_and_a_bad_line_is_a_warning() {
    let ws = Workspace::with_seed();
    let (gbk, _, _) = encoding_rs::GBK.encode("高新区安置房\n高科技 99999999999999999999999\n");
    std::fs::write(ws.seeds().join("dict.txt"), &gbk).unwrap();
    std::fs::write(
        ws.seeds().join("synonyms.txt"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
    )
    .unwrap();
    let out = ws.sou(&["index"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("dict.txt:2: frequency 99999999999999999999999 is too large"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("synonyms.txt: binary file"),
        "{}",
        stderr(&out)
    );
    let out = ws.sou(&["search", "--json", "高新区安置房"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "read as the user's one word: {}",
        stderr(&out)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["words"], serde_json::json!(["高新区安置房"]));
}

/// The files of the built index in `box` whose names end in `ext`.
fn segment_files(ws: &Workspace, ext: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(ws.path("index"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files
}

/// Asserts that `args` fail in one line that says the index is damaged and how to recover.
fn assert_damage_reported(ws: &Workspace, args: &[&str]) {
    let out = ws.sou(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
    assert!(
        err.contains("damaged") && err.contains("sou index --rebuild"),
        "{args:?}: {err}"
    );
}

/// A truncated `meta.json` or segment file gave raw tantivy errors ("Footer magic byte
/// mismatch… use tantivy 0.15", three times), and `sou index --rebuild` failed the same way.
#[test]
fn a_truncated_index_is_reported_in_one_line_and_rebuild_recovers() {
    let ws = Workspace::with_seed();
    assert_eq!(ws.sou(&["index"]).status.code(), Some(0));
    std::fs::write(ws.path("index/notes.txt"), "mine").unwrap();
    let pristine = ws.path("pristine");
    std::fs::create_dir(&pristine).unwrap();
    for entry in std::fs::read_dir(ws.path("index")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, pristine.join(path.file_name().unwrap())).unwrap();
    }
    let mut damaged = vec![ws.path("index/meta.json")];
    damaged.extend(
        ["idx", "term", "store", "fast"]
            .iter()
            .map(|ext| segment_files(&ws, ext)[0].clone()),
    );
    for file in damaged {
        let len = std::fs::metadata(&file).unwrap().len();
        let file_name = file.file_name().unwrap().to_owned();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&file)
            .unwrap()
            .set_len(len / 2)
            .unwrap();
        for args in [
            &["search", "安置房"][..],
            &["search", "--no-sync", "安置房"][..],
            &["stats"][..],
            &["index"][..],
        ] {
            assert_damage_reported(&ws, args);
        }
        let out = ws.sou(&["index", "--rebuild"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{file_name:?}: {}",
            stderr(&out)
        );
        let out = ws.sou(&["search", "--no-sync", "安置房"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{file_name:?}: {}",
            stderr(&out)
        );
        assert_eq!(
            std::fs::read_to_string(ws.path("index/notes.txt")).unwrap(),
            "mine"
        );
        // Back to the index the next file is cut from.
        std::fs::remove_dir_all(ws.path("index")).unwrap();
        std::fs::create_dir(ws.path("index")).unwrap();
        for entry in std::fs::read_dir(&pristine).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, ws.path("index").join(path.file_name().unwrap())).unwrap();
        }
    }
}

/// Flipped bytes made searches panic (exit 101) and `sou index` abort (134): tantivy panics on
/// some corrupt bytes, on its commit threads too, where a panic aborts the process.
#[test]
fn flipped_bytes_never_crash_or_hang_and_rebuild_recovers() {
    let ws = Workspace::with_seed();
    ws.write(
        "more.txt",
        "经济发展\n\n安置房建设加快，高新区的经济发展很快。\n",
    );
    assert_eq!(ws.sou(&["index"]).status.code(), Some(0));
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    let mut damage_reported = 0;
    let extensions = ["idx", "fast", "term", "pos", "store", "fieldnorm"];
    for round in 0..18 {
        let files = segment_files(&ws, extensions[round % extensions.len()]);
        let file = &files[round % files.len()];
        let mut bytes = std::fs::read(file).unwrap();
        let before = bytes.clone();
        for _ in 0..8 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let at = (rng % bytes.len() as u64) as usize;
            bytes[at] ^= 1 << (rng >> 60 & 7);
        }
        assert_ne!(bytes, before, "the flips happened");
        std::fs::write(file, &bytes).unwrap();
        // A changed article makes the sync write: deletes and a commit over the damaged files.
        ws.write(
            "more.txt",
            &format!("经济发展\n\n第{round}次修改：安置房建设加快。\n"),
        );
        for args in [
            &["search", "--no-sync", "经济发展"][..],
            &["search", "--no-sync", "安置房什么时候建成"][..],
            &["stats"][..],
            &["index"][..],
        ] {
            let out = ws.sou(args);
            let err = stderr(&out);
            assert!(
                matches!(out.status.code(), Some(0..=2)),
                "{args:?}: {:?} {err}",
                out.status
            );
            assert!(
                !err.contains("internal error") && !err.contains("panicked"),
                "{err}"
            );
            if out.status.code() == Some(2) {
                assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
                assert!(err.contains("damaged"), "{args:?}: {err}");
                damage_reported += 1;
            }
        }
        let out = ws.sou(&["index", "--rebuild"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(
            ws.sou(&["search", "--no-sync", "安置房"]).status.code(),
            Some(0)
        );
    }
    assert!(damage_reported > 0, "some damage was noticed and reported");
}

/// Runs `script` with sh in a private mount namespace (as root there: no privileges needed), in
/// the workspace, with `$SOU` the binary: the place to mount a small tmpfs or a read-only view.
#[cfg(target_os = "linux")]
fn in_mount_namespace(ws: &Workspace, script: &str) -> String {
    let out = std::process::Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-ec", script])
        .current_dir(ws.dir.path())
        .env("SOU", env!("CARGO_BIN_EXE_sou"))
        .env("NO_COLOR", "1")
        .output()
        .expect("unshare runs");
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(out.status.success(), "the script ran: {text}");
    text
}

/// A full disk during the sync inside `search` gave "An index writer was killed… A worker thread
/// encountered an error" and exit 2, never "No space left on device".
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_named_and_search_falls_back_to_the_last_commit() {
    let ws = Workspace::with_seed();
    std::fs::create_dir(ws.path("small")).unwrap();
    let text = in_mount_namespace(
        &ws,
        r#"
        mount -t tmpfs -o size=2m tmpfs small
        "$SOU" --index small/index index >/dev/null 2>&1
        # Fill the disk, and check that it is full.
        dd if=/dev/zero of=small/filler bs=64k count=100 2>/dev/null || true
        if echo probe > small/probe 2>/dev/null; then echo "NOT FULL"; fi
        i=0
        while [ $i -lt 40 ]; do
          echo "新文章第$i段：高新区安置房建设正在加快，预计明年建成交付使用。" >> seeds/new.txt
          echo >> seeds/new.txt
          i=$((i+1))
        done
        set +e
        "$SOU" --index small/index search 安置房 > out.txt 2> err.txt
        echo "search exit $?"
        cat err.txt
        "$SOU" --index small/index index > /dev/null 2> err.txt
        echo "index exit $?"
        cat err.txt
        "$SOU" --index small/index stats > /dev/null 2> err.txt
        echo "stats exit $?"
        "#,
    );
    assert!(!text.contains("NOT FULL"), "the disk was full: {text}");
    assert!(
        text.contains("search exit 0"),
        "the last commit is searched: {text}"
    );
    assert!(
        text.contains("the disk is full") && text.contains("searching the index as last committed"),
        "{text}"
    );
    assert!(text.contains("index exit 2"), "{text}");
    assert!(
        !text.contains("killed") && !text.contains("worker thread"),
        "{text}"
    );
    assert!(text.contains("stats exit 0"), "{text}");
}

/// A read-only index (a read-only mount, a folder of another user) could not be searched at
/// all: tantivy's reader creates a lock file.
#[cfg(target_os = "linux")]
#[test]
fn a_read_only_index_can_be_searched() {
    let ws = Workspace::with_seed();
    assert_eq!(ws.sou(&["index"]).status.code(), Some(0));
    let text = in_mount_namespace(
        &ws,
        r#"
        mount --bind index index
        mount -o remount,ro,bind index
        if touch index/probe 2>/dev/null; then echo "NOT READ-ONLY"; fi
        set +e
        "$SOU" search --no-sync 安置房 > /dev/null 2> err.txt; echo "no-sync exit $?"; cat err.txt
        "$SOU" stats > /dev/null 2> err.txt; echo "stats exit $?"; cat err.txt
        "$SOU" search 安置房 > /dev/null 2> err.txt; echo "unchanged search exit $?"; cat err.txt
        echo "新文章：安置房" > seeds/new.txt
        "$SOU" search 安置房 > /dev/null 2> err.txt; echo "changed search exit $?"; cat err.txt
        "$SOU" index > /dev/null 2> err.txt; echo "index exit $?"; cat err.txt
        "#,
    );
    assert!(
        !text.contains("NOT READ-ONLY"),
        "the index was read-only: {text}"
    );
    for line in [
        "no-sync exit 0",
        "stats exit 0",
        "unchanged search exit 0",
        "changed search exit 0",
        "index exit 2",
    ] {
        assert!(text.contains(line), "{line}: {text}");
    }
    assert!(text.contains("read-only file system"), "{text}");
}
