//! The floor that indexing is compared to: jieba-rs `cut_for_search` (HMM on) over every `.txt`
//! file below a folder, on all cores. Files are read before the clock starts.
//!
//! `cargo run --release --example segment -- DIR` prints one JSON line:
//! `{"files":…,"bytes":…,"tokens":…,"threads":…,"seconds":…}`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: segment DIR");
        std::process::exit(2);
    };
    let texts: Vec<String> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "txt"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let jieba = jieba_rs::Jieba::new();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let next = AtomicUsize::new(0);
    let tokens = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut count = 0;
                while let Some(text) = texts.get(next.fetch_add(1, Ordering::Relaxed)) {
                    count += jieba.cut_for_search(text, true).len();
                }
                tokens.fetch_add(count, Ordering::Relaxed);
            });
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{{\"files\":{},\"bytes\":{bytes},\"tokens\":{},\"threads\":{threads},\"seconds\":{seconds:.4}}}",
        texts.len(),
        tokens.load(Ordering::Relaxed)
    );
}
