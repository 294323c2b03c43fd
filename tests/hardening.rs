//! Nothing a folder, a file, a flag or a fault can do makes sou delete data, hang, spin, crash or
//! lie. Each test is named after the defect it pins and fails on the code that had it.

mod common;

use common::{Workspace, stderr};

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
