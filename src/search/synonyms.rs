//! Synonyms and abbreviations from `synonyms.txt` in the seeds folder: one group of equivalent
//! terms a line (`自创区 自主创新示范区 国家自创示范区`). A query term also finds the other terms
//! of its groups, ranked below passages with the term itself. Lines starting with `#` are comments.

use std::collections::HashMap;
use std::path::Path;

use crate::analysis::fold_str;
use crate::analysis::grams::gram_chars;
use crate::corpus::SYNONYMS_FILE;

/// Groups of equivalent terms, folded.
#[derive(Debug, Default, Clone)]
pub struct Synonyms {
    groups: Vec<Vec<String>>,
    by_term: HashMap<String, Vec<usize>>,
}

impl Synonyms {
    /// Loads `synonyms.txt` from `seeds`, decoded as articles are; none is an empty set. A file
    /// that cannot be read is no reason to fail a search: it is an empty set, and a warning.
    pub fn load(seeds: &Path) -> (Synonyms, Option<String>) {
        let path = seeds.join(SYNONYMS_FILE);
        match crate::corpus::read::read_text(&path) {
            Ok(text) => (Synonyms::parse(&text), None),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => (Synonyms::default(), None),
            Err(err) => (
                Synonyms::default(),
                Some(format!("{SYNONYMS_FILE}: {err}; no synonyms are used")),
            ),
        }
    }

    /// Parses the file's text.
    pub fn parse(text: &str) -> Synonyms {
        let mut synonyms = Synonyms::default();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut group: Vec<String> = Vec::new();
            for term in line.split([' ', '\t', ',', '，', '\u{3000}']) {
                let folded: String = gram_chars(&fold_str(term)).into_iter().collect();
                if !folded.is_empty() && !group.contains(&folded) {
                    group.push(folded);
                }
            }
            if group.len() < 2 {
                continue;
            }
            let index = synonyms.groups.len();
            for term in &group {
                synonyms
                    .by_term
                    .entry(term.clone())
                    .or_default()
                    .push(index);
            }
            synonyms.groups.push(group);
        }
        synonyms
    }

    /// The other terms equivalent to `folded` (already folded), in file order.
    pub fn expand(&self, folded: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for &group in self.by_term.get(folded).into_iter().flatten() {
            for term in &self.groups[group] {
                if term != folded && !out.contains(term) {
                    out.push(term.clone());
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_expand_both_ways_and_fold() {
        let synonyms = Synonyms::parse(
            "# abbreviations\n自创区 自主创新示范区 国家自創示范区\n十九大，党的十九大\n单独\n",
        );
        assert_eq!(
            synonyms.expand("自创区"),
            ["自主创新示范区", "国家自创示范区"]
        );
        assert_eq!(
            synonyms.expand("国家自创示范区"),
            ["自创区", "自主创新示范区"]
        );
        assert_eq!(synonyms.expand("党的十九大"), ["十九大"]);
        assert!(synonyms.expand("单独").is_empty());
    }
}
