//! The analysis chain, per passage: folding, jieba search mode, and the encoded word and gram
//! fields (`cargo bench --bench analysis`). Throughput is in bytes of passage text.

use divan::counter::BytesCount;
use sou::analysis::{Analyzer, fold};
use sou::corpus::cut_article;

const SEED: &str = include_str!("../seeds/000_bbb0717566f56162.txt");

fn main() {
    divan::main();
}

fn passages() -> Vec<(String, String)> {
    cut_article(SEED)
        .passages
        .into_iter()
        .map(|p| (p.text, p.tail))
        .collect()
}

#[divan::bench]
fn analyze_seed(bencher: divan::Bencher) {
    let analyzer = Analyzer::new(None).expect("jieba's embedded dictionary loads");
    let passages = passages();
    let bytes: usize = passages.iter().map(|(t, _)| t.len()).sum();
    bencher.counter(BytesCount::new(bytes)).bench(|| {
        for (text, tail) in &passages {
            divan::black_box(analyzer.analyze(text, tail));
        }
    });
}

#[divan::bench]
fn fold_seed(bencher: divan::Bencher) {
    let passages = passages();
    let bytes: usize = passages.iter().map(|(t, _)| t.len()).sum();
    bencher.counter(BytesCount::new(bytes)).bench(|| {
        for (text, _) in &passages {
            divan::black_box(fold(text));
        }
    });
}

#[divan::bench]
fn cut_seed(bencher: divan::Bencher) {
    bencher
        .counter(BytesCount::new(SEED.len()))
        .bench(|| divan::black_box(cut_article(SEED)));
}
