//! The floor that indexing is compared to: jieba-rs `cut_for_search` (HMM on) over every `.txt`
//! file below a folder, on all cores. Files are read before the clock starts.
//!
//! `cargo run --release --example segment -- DIR` prints one JSON line:
//! `{"files":…,"bytes":…,"tokens":…,"threads":…,"seconds":…}`.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

fn main() {
    let texts = common::texts_from_args("segment");
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
