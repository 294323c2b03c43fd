//! A second floor for indexing: tantivy alone indexing every character bigram of every `.txt`
//! file below a folder (one document a file, each bigram at its character position, text
//! stored), with sou's writer threads and budget and no merging — no folding, no jieba, no word
//! boundaries. Any index that finds every string grep finds by bigram phrases pays at least
//! this. Files are read before the clock starts; the index goes to a temporary folder.
//!
//! Until 2026-11-28 this floor used tantivy's `NgramTokenizer`, which puts every gram at
//! position 0: its positions cost nothing to write or store, and no phrase query could have
//! been answered from them. On inews (25 MB) that floor built 47 MB; with real positions the
//! same documents take 57 MB, in about the same time.
//!
//! `cargo run --release --example tantivy_floor -- DIR` prints one JSON line:
//! `{"files":…,"bytes":…,"threads":…,"index_bytes":…,"seconds":…}`.

mod common;

use std::time::Instant;

use tantivy::indexer::NoMergePolicy;
use tantivy::schema::{IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy::{Index, TantivyDocument};

fn main() -> tantivy::Result<()> {
    let texts = common::texts_from_args("tantivy_floor");
    let bytes: usize = texts.iter().map(String::len).sum();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let folder = tempfile::tempdir()?;

    let started = Instant::now();
    let mut builder = Schema::builder();
    let stored = builder.add_text_field("text", STORED);
    let bigrams = builder.add_text_field(
        "bigrams",
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("bigrams")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        ),
    );
    let index = Index::create_in_dir(folder.path(), builder.build())?;
    index
        .tokenizers()
        .register("bigrams", PositionedBigrams::default());
    let mut writer = index
        .writer_with_num_threads::<TantivyDocument>(threads, sou::index::WRITER_BUDGET_BYTES)?;
    writer.set_merge_policy(Box::new(NoMergePolicy));
    for text in &texts {
        let mut doc = TantivyDocument::new();
        doc.add_text(stored, text);
        doc.add_text(bigrams, text);
        writer.add_document(doc)?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    let seconds = started.elapsed().as_secs_f64();

    let index_bytes: u64 = std::fs::read_dir(folder.path())?
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "{{\"files\":{},\"bytes\":{bytes},\"threads\":{threads},\"index_bytes\":{index_bytes},\"seconds\":{seconds:.4}}}",
        texts.len()
    );
    Ok(())
}

/// Every character bigram of a text at its character position. tantivy's `NgramTokenizer` puts
/// every gram at position 0, which stores no usable positions: a phrase query of bigrams could
/// not be answered from such an index, so it would be no floor for one that answers them.
#[derive(Clone, Default)]
struct PositionedBigrams {
    chars: Vec<(usize, char)>,
    token: Token,
}

struct BigramStream<'a> {
    text: &'a str,
    chars: &'a [(usize, char)],
    next: usize,
    token: &'a mut Token,
}

impl Tokenizer for PositionedBigrams {
    type TokenStream<'a> = BigramStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> BigramStream<'a> {
        self.chars.clear();
        self.chars.extend(text.char_indices());
        self.token.reset();
        BigramStream {
            text,
            chars: &self.chars,
            next: 0,
            token: &mut self.token,
        }
    }
}

impl TokenStream for BigramStream<'_> {
    fn advance(&mut self) -> bool {
        let Some(&[(from, _), (second, c)]) = self.chars.get(self.next..self.next + 2) else {
            return false;
        };
        let to = second + c.len_utf8();
        self.token.text.clear();
        self.token.text.push_str(&self.text[from..to]);
        self.token.position = self.next;
        self.token.offset_from = from;
        self.token.offset_to = to;
        self.next += 1;
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}
