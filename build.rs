//! Turns jieba's default dictionary (`data/jieba-dict.txt`, the dictionary jieba-rs embeds) into
//! an FST of word → frequency that the binary embeds: a search looks up the words of its query
//! in it without parsing anything, instead of loading jieba's whole dictionary (~0.1 s).
//! Also writes the dictionary's total frequency, which jieba's word probabilities divide by,
//! and the table of Chinese characters by toneless pinyin that pinyin queries are read with.

use std::io::BufWriter;
use std::path::PathBuf;

#[path = "src/analysis/readings.rs"]
mod readings;

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
    write_syllables(&out);
    // A position-independent `sou` spends a tenth of a short search relocating ~56,000 pointers
    // of its tables (and copying the pages they sit on) before `main`; linked at a fixed address
    // it does not. The binary only: libraries and tests stay position-independent.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo::rustc-link-arg-bins=-no-pie");
    }
}

/// Writes `syllables.rs`: every typed syllable, sorted, with the characters of the CJK Unified
/// Ideographs block that read so (in code point order), each marked with whether the syllable
/// is its commonest reading.
fn write_syllables(out: &std::path::Path) {
    println!("cargo::rerun-if-changed=src/analysis/readings.rs");
    let mut by_syllable: std::collections::BTreeMap<String, Vec<(char, bool)>> = Default::default();
    // And the other way: each character's readings, so that a build reads the pinyin of its
    // corpus words from a table instead of the pinyin data (a tenth of the pinyin work).
    let mut by_char = String::from(
        "/// The readings of each character of the CJK Unified Ideographs block, from U+4E00, \
         commonest first (see `readings::char_readings`).\npub(crate) static CHAR_READINGS: \
         &[&[&str]] = &[\n",
    );
    for c in '\u{4E00}'..='\u{9FFF}' {
        let readings = readings::char_readings(c);
        by_char.push_str(&format!("    &{readings:?},\n"));
        for (i, reading) in readings.into_iter().enumerate() {
            if is_typed_syllable(&reading) {
                by_syllable
                    .entry(reading.into_owned())
                    .or_default()
                    .push((c, i == 0));
            }
        }
    }
    let mut source = String::from(
        "/// Every typed syllable, sorted, with the characters that read so and whether it is \
         their commonest reading.\npub(crate) static SYLLABLES: &[(&str, &[(char, bool)])] = &[\n",
    );
    for (syllable, chars) in &by_syllable {
        source.push_str(&format!("    ({syllable:?}, &["));
        for (c, first) in chars {
            source.push_str(&format!("({c:?}, {first}),"));
        }
        source.push_str("]),\n");
    }
    source.push_str("];\n");
    source.push_str(&by_char);
    source.push_str("];\n");
    std::fs::write(out.join("syllables.rs"), source).expect("writing the syllable table");
}

/// Whether `reading` can be typed as a syllable of its own: not the interjections 嗯 (n, ng),
/// 呒 (m), 哼 (hm, hng), which would split any Latin word.
fn is_typed_syllable(reading: &str) -> bool {
    reading.contains(['a', 'e', 'i', 'o', 'u', 'v'])
        && reading.chars().all(|c| c.is_ascii_lowercase())
}
