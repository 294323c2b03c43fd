//! The corpus words a sync collects for the pinyin sidecar (see
//! [`super::sidecar::keep_pinyin`]): each word once, however often the passages hold it.
//!
//! A build asks "seen before?" of every word of every passage (millions at 25 MB) and keeps a
//! few hundred thousand, so the set owns no string per word: the words stand one after another
//! in one buffer, and a table of hashes finds them there. It grew as a `HashSet<String>` per
//! article merged into one shared set, which cost a tenth of a 25 MB build.

use xxhash_rust::xxh3::xxh3_64;

/// A set of words.
#[derive(Default)]
pub(crate) struct WordSet {
    /// The words, one after another.
    text: String,
    /// Each word's hash and where it stands in `text`.
    table: hashbrown::HashTable<(u64, usize, usize)>,
}

impl WordSet {
    /// Adds `word` unless the set holds it.
    pub fn insert(&mut self, word: &str) {
        let hash = xxh3_64(word.as_bytes());
        let text = &self.text;
        let held = |&(h, start, end): &(u64, usize, usize)| h == hash && &text[start..end] == word;
        if self.table.find(hash, held).is_none() {
            let start = self.text.len();
            self.text.push_str(word);
            let entry = (hash, start, self.text.len());
            self.table.insert_unique(hash, entry, |&(h, _, _)| h);
        }
    }

    /// How many words the set holds.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// The words, in no order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.table
            .iter()
            .map(|&(_, start, end)| &self.text[start..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_word_is_held_once() {
        let mut set = WordSet::default();
        assert_eq!(set.len(), 0);
        for word in ["整形", "医院", "整形", "整形医院", "医院", "整"] {
            set.insert(word);
        }
        let mut words: Vec<&str> = set.iter().collect();
        words.sort_unstable();
        assert_eq!(words, ["医院", "整", "整形", "整形医院"]);
        assert_eq!(set.len(), 4);
    }

    #[test]
    fn many_words_survive_the_table_growing() {
        let mut set = WordSet::default();
        for round in 0..2 {
            for n in 0..10_000u32 {
                set.insert(&format!("词{n}"));
            }
            assert_eq!(set.len(), 10_000, "round {round}");
        }
        let held: std::collections::HashSet<&str> = set.iter().collect();
        assert!((0..10_000u32).all(|n| held.contains(format!("词{n}").as_str())));
    }
}
