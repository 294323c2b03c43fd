//! The terms a passage is sent to the cluster as, and the query clauses that find a string in
//! them: the gram contract ([`crate::analysis::grams`]) laid out for Lucene (see the module
//! documentation of [`super`]). Both sides live here because they must agree exactly.

use serde_json::{Value, json};

use crate::analysis::grams::{FLAG, TAIL_CHARS, TAIL_KEY_PREFIXES, query_grams};

/// The token a stop filter removes, leaving a hole: the marker slot of a character where no word
/// starts, and the places of a phrase that may hold anything.
pub(crate) const HOLE: &str = "\\_";
/// The word boundary marker.
const BOUNDARY: &str = "\\b";
/// The token after a passage's last character.
const END: &str = "\\e";

/// The `grams` of a file's record: one token that no query looks for, so that Lucene's BM25,
/// which counts the documents holding the field, counts the records as tantivy counts its
/// article documents (every document is counted there): the same number of documents, and so
/// the same idf, as the local index of the same folder.
pub(crate) const RECORD_GRAMS: &str = "\\r";

/// A gram or character as one whitespace-free token that no marker equals: a backslash is
/// doubled and whitespace and control characters are written as `\s` or `\u{…}`, so every
/// escape starts with a backslash followed by `\`, `s` or `u` (never `_`, `b` or `e`), and no
/// token holds a character Java's whitespace tokenizer splits at.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ' ' => out.push_str("\\s"),
            c if c.is_whitespace() || c.is_control() => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// The `grams` value of a passage whose gram field is `encoded` (see
/// [`crate::analysis::grams::PassageTerms::encoded`]): for stream character `i`, at position
/// `2i` its boundary marker or a hole and at `2i + 1` its bigram (the last one its unigram);
/// after the last, the end's boundary and [`END`].
pub(crate) fn grams_value(encoded: &str) -> String {
    let mut chars: Vec<(char, bool)> = Vec::with_capacity(encoded.len());
    let mut boundary = false;
    for c in encoded.chars() {
        if c == FLAG {
            boundary = true;
        } else {
            chars.push((c, boundary));
            boundary = false;
        }
    }
    let mut tokens: Vec<String> = Vec::with_capacity(chars.len() * 2 + 2);
    for (i, &(c, boundary_before)) in chars.iter().enumerate() {
        tokens.push(if boundary_before { BOUNDARY } else { HOLE }.to_string());
        tokens.push(match chars.get(i + 1) {
            Some(&(next, _)) => escape(&format!("{c}{next}")),
            None if c != ' ' => escape(&c.to_string()),
            None => HOLE.to_string(),
        });
    }
    if !chars.is_empty() {
        tokens.push(if boundary { BOUNDARY } else { HOLE }.to_string());
        tokens.push(END.to_string());
    }
    tokens.join(" ")
}

/// The `solo_words` value: each character a token.
pub(crate) fn solo_value(solo_words: &str) -> String {
    let tokens: Vec<String> = solo_words.chars().map(|c| escape(&c.to_string())).collect();
    tokens.join(" ")
}

/// A phrase over `grams` of tokens at positions, the places between them holes.
fn phrase(mut tokens: Vec<(usize, String)>) -> Value {
    tokens.sort_by_key(|(position, _)| *position);
    let first = tokens.first().map_or(0, |(position, _)| *position);
    let mut words: Vec<String> = Vec::new();
    for (position, token) in tokens {
        while first + words.len() < position {
            words.push(HOLE.to_string());
        }
        words.push(token);
    }
    json!({"match_phrase": {"grams": {"query": words.join(" ")}}})
}

/// The grams of `chars` at the cluster positions of their characters.
fn gram_tokens(chars: &[char]) -> Vec<(usize, String)> {
    query_grams(chars)
        .into_iter()
        .map(|(offset, gram)| (2 * offset + 1, escape(&gram)))
        .collect()
}

/// What any of `clauses` matches.
pub(crate) fn any_of(mut clauses: Vec<Value>) -> Value {
    if clauses.len() == 1 {
        return clauses.remove(0);
    }
    json!({"bool": {"should": clauses, "minimum_should_match": 1}})
}

/// The passages where `chars` (gram characters of a folded string) stand in a row, including a
/// match that runs on past a cut into the tail (as [`crate::analysis::grams::contains`]).
pub(crate) fn contains(chars: &[char]) -> Value {
    if let [c] = chars {
        return json!({"prefix": {"grams": {"value": escape(&c.to_string())}}});
    }
    let mut clauses = vec![phrase(gram_tokens(chars))];
    for k in (1..chars.len()).filter(|&k| chars.len() - k <= TAIL_CHARS) {
        let mut ending = gram_tokens(&chars[..k]);
        ending.push((2 * k + 1, END.to_string()));
        let rest: String = chars[k..].iter().collect();
        let tail = if TAIL_KEY_PREFIXES.contains(&chars[k..].len()) {
            json!({"term": {"tail_key": rest}})
        } else {
            json!({"prefix": {"tail_key": {"value": rest}}})
        };
        clauses.push(json!({"bool": {"must": [phrase(ending), tail]}}));
    }
    any_of(clauses)
}

/// The passages where `chars` stand on word boundaries (as
/// [`crate::analysis::grams::on_boundaries`]).
pub(crate) fn on_boundaries(chars: &[char]) -> Value {
    if let [c] = chars {
        return json!({"term": {"solo_words": escape(&c.to_string())}});
    }
    let mut tokens = gram_tokens(chars);
    tokens.push((0, BOUNDARY.to_string()));
    tokens.push((2 * chars.len(), BOUNDARY.to_string()));
    phrase(tokens)
}

/// The passages holding the query as written, when every group is one literal: its literals in
/// a row, with or without a space between them (as the local `as_written`).
pub(crate) fn as_written(query: &crate::search::Query) -> Option<Value> {
    if !query.groups.iter().all(|group| group.len() == 1) {
        return None;
    }
    let literals: Vec<&[char]> = query.groups.iter().map(|g| &g[0].chars[..]).collect();
    let mut written = vec![contains(&literals.concat())];
    if literals.len() > 1 {
        written.push(contains(&literals.join(&' ')));
    }
    Some(any_of(written))
}

/// One clause per form of each excluded literal.
pub(crate) fn excluded(query: &crate::search::Query) -> Vec<Value> {
    query
        .excluded
        .iter()
        .flat_map(|literal| literal.forms())
        .map(|chars| contains(&chars))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_tokens_never_split_and_never_equal_a_marker() {
        for text in ["a b", "\\_", "\\b", "\\", "\u{3000}", "\t", "\\e"] {
            let escaped = escape(text);
            assert!(
                !escaped.contains(char::is_whitespace),
                "{text:?} → {escaped}"
            );
            assert!(
                ![HOLE, BOUNDARY, END].contains(&escaped.as_str()),
                "{text:?}"
            );
        }
        assert_eq!(escape("a\\b"), "a\\\\b");
    }

    #[test]
    fn a_passage_is_laid_out_two_positions_a_character() {
        // 安置房 cut as 安置 | 房: boundaries before 安 and 房, and at the end.
        let encoded = format!("{FLAG}安置{FLAG}房{FLAG}");
        assert_eq!(grams_value(&encoded), "\\b 安置 \\_ 置房 \\b 房 \\b \\e");
        assert_eq!(grams_value(""), "");
    }

    #[test]
    fn phrases_put_the_grams_where_the_passage_has_them() {
        // 安置房: grams at offsets 0 and 1 (every other one and the last): positions 1 and 3.
        assert_eq!(
            on_boundaries(&['安', '置', '房']),
            json!({"match_phrase": {"grams": {"query": "\\b 安置 \\_ 置房 \\_ \\_ \\b"}}})
        );
        let found = contains(&['安', '置']);
        assert_eq!(
            found["bool"]["should"][0],
            json!({"match_phrase": {"grams": {"query": "安置"}}})
        );
        // Cut after 安: its unigram, then END; the tail starts with 置.
        assert_eq!(
            found["bool"]["should"][1]["bool"]["must"][0],
            json!({"match_phrase": {"grams": {"query": "安 \\_ \\e"}}})
        );
        assert_eq!(
            contains(&['安']),
            json!({"prefix": {"grams": {"value": "安"}}})
        );
    }
}
