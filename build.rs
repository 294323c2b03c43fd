//! Turns jieba's default dictionary (`data/jieba-dict.txt`, the dictionary jieba-rs embeds) into
//! an FST of word → frequency that the binary embeds: a search looks up the words of its query
//! in it without parsing anything, instead of loading jieba's whole dictionary (~0.1 s).
//! Also writes the dictionary's total frequency, which jieba's word probabilities divide by.

use std::io::BufWriter;
use std::path::PathBuf;

fn main() {
    let source = "data/jieba-dict.txt";
    println!("cargo::rerun-if-changed={source}");
    let text = std::fs::read_to_string(source).unwrap_or_else(|e| panic!("{source}: {e}"));
    // jieba loads every line (a repeated word's last frequency wins, every line counts in the
    // total); a line without a frequency counts 0.
    let mut total: u64 = 0;
    let mut words: Vec<(&str, u64)> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let mut fields = line.split_ascii_whitespace();
        let Some(word) = fields.next() else { continue };
        let freq = match fields.next() {
            Some(freq) => freq
                .parse::<u64>()
                .unwrap_or_else(|e| panic!("{source}:{}: {e}", number + 1)),
            None => 0,
        };
        total += freq;
        words.push((word, freq));
    }
    // Stable sort keeps file order among equal words: the last one is the one kept.
    words.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut unique: Vec<(&str, u64)> = Vec::with_capacity(words.len());
    for (word, freq) in words {
        match unique.last_mut() {
            Some(last) if last.0 == word => last.1 = freq,
            _ => unique.push((word, freq)),
        }
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let file = std::fs::File::create(out.join("jieba-dict.fst")).expect("writing the FST");
    let mut builder = fst::MapBuilder::new(BufWriter::new(file)).expect("an FST builder");
    for (word, freq) in unique {
        builder.insert(word, freq).expect("words in order");
    }
    builder.finish().expect("writing the FST");
    std::fs::write(
        out.join("jieba-dict-total.rs"),
        format!("/// The sum of every frequency in jieba's default dictionary.\npub(crate) const DEFAULT_TOTAL: u64 = {total};\n"),
    )
    .expect("writing the total");
}
