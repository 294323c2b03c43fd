//! What the test binaries share: the built `sou` with a clean environment, and a temp folder
//! with `seeds/` to run it in.
#![allow(dead_code)]

pub mod server;
pub mod stand_in;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The seed article, as committed in `seeds/`.
pub const SEED: &str = include_str!("../../seeds/000_bbb0717566f56162.txt");
/// Its file name.
pub const SEED_NAME: &str = "000_bbb0717566f56162.txt";

/// The built binary, with none of sou's environment variables set.
pub fn sou() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sou"));
    for var in ["SOU_SEEDS", "SOU_INDEX", "SOU_EXT", "NO_COLOR", "SOU_CACHE"] {
        command.env_remove(var);
    }
    command
}

/// Runs `sou args` in `dir` and waits for it.
/// Indexes that sou keeps in the user's cache folder go below `dir/.sou-cache` instead.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    sou()
        .args(args)
        .current_dir(dir)
        .env("SOU_CACHE", dir.join(".sou-cache"))
        .output()
        .unwrap()
}

/// Starts `sou args` in `dir` in the background; its output is kept for `wait_with_output`.
pub fn spawn(dir: &Path, args: &[&str]) -> Child {
    sou()
        .args(args)
        .current_dir(dir)
        .env("SOU_CACHE", dir.join(".sou-cache"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// What a process printed on stdout.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What a process printed on stderr.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A temp folder with `seeds/` and a place for `index/`.
pub struct Workspace {
    /// The folder; removed when dropped.
    pub dir: tempfile::TempDir,
}

impl Workspace {
    /// An empty `seeds/`.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("seeds")).unwrap();
        Workspace { dir }
    }

    /// `seeds/` holding the seed article.
    pub fn with_seed() -> Self {
        let ws = Workspace::new();
        ws.write(SEED_NAME, SEED);
        ws
    }

    /// A path inside the workspace.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The seeds folder.
    pub fn seeds(&self) -> PathBuf {
        self.path("seeds")
    }

    /// Writes a file inside the seeds folder, creating its folders.
    pub fn write(&self, name: &str, text: &str) {
        let path = self.seeds().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, text).unwrap();
    }

    /// Runs `sou` in the workspace with the default folders (`./seeds`, `./index`).
    pub fn sou(&self, args: &[&str]) -> Output {
        run(self.dir.path(), args)
    }
}
