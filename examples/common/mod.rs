//! What the floor examples share: the folder named on the command line, and its `.txt` files
//! read into memory before any clock starts.

/// The texts of every `.txt` file below the folder given as the first argument; exits with a
/// usage line naming `example` when there is none.
pub fn texts_from_args(example: &str) -> Vec<String> {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: {example} DIR");
        std::process::exit(2);
    };
    walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "txt"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect()
}
