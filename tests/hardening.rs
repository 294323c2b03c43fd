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
    let out = ws.sou(&["search", "--json", "苹果", "-iphone", "-2020"]);
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
