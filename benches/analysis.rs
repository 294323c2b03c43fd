//! The analysis chain, per passage: folding, jieba's cut, the encoded gram field and its tokens
//! as tantivy receives them (`cargo bench --bench analysis`). Throughput is in bytes of passage
//! text and in gram tokens.

use divan::counter::{BytesCount, ItemsCount};
use sou::analysis::grams::TAIL_CHARS;
use sou::analysis::{Analyzer, GramsTokenizer, UserDict, fold};
use sou::corpus::cut_article;
use tantivy::tokenizer::{TokenStream, Tokenizer};

const SEED: &str = include_str!("../seeds/000_bbb0717566f56162.txt");

fn main() {
    divan::main();
}

fn passages() -> Vec<(String, String)> {
    cut_article(SEED, TAIL_CHARS)
        .passages
        .into_iter()
        .map(|p| (p.text, p.tail))
        .collect()
}

/// Analyzes a passage and runs the gram tokenizer over the result; returns the token count.
fn analyze_and_tokenize(
    analyzer: &Analyzer,
    tokenizer: &mut GramsTokenizer,
    text: &str,
    tail: &str,
) -> usize {
    let analysis = analyzer.analyze(text, tail);
    let mut stream = tokenizer.token_stream(&analysis.encoded);
    let mut tokens = 0;
    while stream.advance() {
        tokens += 1;
    }
    tokens + analysis.solo_words.chars().count() + analysis.tail_keys().count()
}

#[divan::bench]
fn analyze_seed(bencher: divan::Bencher) {
    let analyzer = Analyzer::new(&UserDict::default());
    let mut tokenizer = GramsTokenizer::default();
    let passages = passages();
    let bytes: usize = passages.iter().map(|(t, _)| t.len()).sum();
    let tokens: usize = passages
        .iter()
        .map(|(text, tail)| analyze_and_tokenize(&analyzer, &mut tokenizer, text, tail))
        .sum();
    bencher
        .counter(BytesCount::new(bytes))
        .counter(ItemsCount::new(tokens))
        .bench_local(|| {
            for (text, tail) in &passages {
                divan::black_box(analyze_and_tokenize(&analyzer, &mut tokenizer, text, tail));
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
        .bench(|| divan::black_box(cut_article(SEED, TAIL_CHARS)));
}
