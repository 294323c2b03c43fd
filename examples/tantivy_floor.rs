//! A second floor for indexing: tantivy alone indexing every character bigram of every `.txt`
//! file below a folder (one document a file, positions on, text stored), with sou's writer
//! threads and budget and no merging — no folding, no jieba, no word boundaries. Any index that
//! finds every string grep finds by bigram phrases pays at least this. Files are read before the
//! clock starts; the index goes to a temporary folder.
//!
//! `cargo run --release --example tantivy_floor -- DIR` prints one JSON line:
//! `{"files":…,"bytes":…,"threads":…,"index_bytes":…,"seconds":…}`.

mod common;

use std::time::Instant;

use tantivy::indexer::NoMergePolicy;
use tantivy::schema::{IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::NgramTokenizer;
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
        .register("bigrams", NgramTokenizer::all_ngrams(2, 2)?);
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
