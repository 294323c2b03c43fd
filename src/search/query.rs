//! The query language, as people type it into Baidu: words separated by spaces must all match,
//! `"double quotes"` match the words in a row as written (a space between them in the query
//! matching a space or none in the text), `-word` excludes, and `OR`
//! between two words accepts either. Parsing never fails on odd input: an unbalanced quote runs
//! to the end, a lone `-` or a dangling `OR` is an ordinary word.

use crate::analysis::fold_str;
use crate::analysis::grams::gram_chars;
use crate::{Error, Result};

/// One string to look for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Literal {
    /// As the user typed it (quotes removed).
    pub text: String,
    /// The folded characters that must stand in a row (whitespace runs as one space).
    pub chars: Vec<char>,
    /// Typed in double quotes: matched exactly, never widened by synonyms.
    pub quoted: bool,
}

impl Literal {
    fn new(text: &str, quoted: bool) -> Option<Literal> {
        let chars = gram_chars(&fold_str(text));
        (!chars.is_empty()).then(|| Literal {
            text: text.to_string(),
            chars,
            quoted,
        })
    }

    /// The folded characters as a string.
    pub fn folded(&self) -> String {
        self.chars.iter().collect()
    }

    /// The strings that count as the literal: itself, and, where it holds spaces (a quoted
    /// phrase), the same with its spaces left out — the words in a row, a space between them
    /// or none, as grep users expect of `"安置房 建设"`. Up to three spaces, every mix of the
    /// two; past that, all kept, all left out, and one alone left out or kept (a line wrapped at
    /// a space, in a PDF, loses that one space).
    pub fn forms(&self) -> Vec<Vec<char>> {
        let spaces: Vec<usize> = (0..self.chars.len())
            .filter(|&i| self.chars[i] == ' ')
            .collect();
        if spaces.is_empty() {
            return vec![self.chars.clone()];
        }
        let masks: Vec<u32> = match spaces.len() {
            n @ 1..=3 => (0..1u32 << n).collect(),
            n => {
                let all = (1u32 << n.min(31)) - 1;
                let mut masks = vec![0, all];
                for k in 0..n.min(31) {
                    masks.extend([1 << k, all & !(1 << k)]);
                }
                masks
            }
        };
        masks
            .into_iter()
            .map(|dropped| {
                self.chars
                    .iter()
                    .enumerate()
                    .filter(|&(i, _)| {
                        spaces
                            .iter()
                            .position(|&at| at == i)
                            .is_none_or(|k| k >= 31 || dropped >> k & 1 == 0)
                    })
                    .map(|(_, &c)| c)
                    .collect()
            })
            .collect()
    }
}

/// A parsed query: every group must match (any one of its alternatives), no excluded literal may.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    /// Groups of alternatives (`a OR b` is one group of two).
    pub groups: Vec<Vec<Literal>>,
    /// Literals a passage must not contain.
    pub excluded: Vec<Literal>,
}

/// A piece of the query string before OR is resolved.
#[derive(Debug)]
enum Piece {
    Word(Literal),
    Excluded(Literal),
    Or,
}

/// Splits the query into pieces: whitespace separates, quotes group, `-` excludes.
fn pieces(input: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut chars = input.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else { break };
        let mut excluded = false;
        if first == '-' {
            chars.next();
            match chars.peek() {
                Some(&c) if !c.is_whitespace() => excluded = true,
                // A lone `-` is searched for as it is.
                _ => {
                    if let Some(literal) = Literal::new("-", false) {
                        pieces.push(Piece::Word(literal));
                    }
                    continue;
                }
            }
        }
        let (text, quoted) = if chars.peek() == Some(&'"') {
            chars.next();
            let mut text = String::new();
            let mut closed = false;
            for c in chars.by_ref() {
                if c == '"' {
                    closed = true;
                    break;
                }
                text.push(c);
            }
            if !closed && text.trim().is_empty() {
                // A lone `"` is searched for as typed.
                (format!("\"{text}"), false)
            } else {
                (text, true)
            }
        } else {
            let mut text = String::new();
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                text.push(c);
            }
            (text, false)
        };
        if !excluded && !quoted && text == "OR" {
            pieces.push(Piece::Or);
            continue;
        }
        if let Some(literal) = Literal::new(&text, quoted) {
            pieces.push(if excluded {
                Piece::Excluded(literal)
            } else {
                Piece::Word(literal)
            });
        }
    }
    pieces
}

/// Parses `input`. Fails only when nothing is left to search for.
pub fn parse(input: &str) -> Result<Query> {
    let pieces = pieces(input);
    let mut query = Query::default();
    let mut pending_or = false;
    for (i, piece) in pieces.iter().enumerate() {
        match piece {
            Piece::Excluded(literal) => query.excluded.push(literal.clone()),
            Piece::Word(literal) => {
                match query.groups.last_mut() {
                    Some(group) if pending_or => group.push(literal.clone()),
                    _ => query.groups.push(vec![literal.clone()]),
                }
                pending_or = false;
            }
            Piece::Or => {
                let after_word = i > 0 && matches!(pieces[i - 1], Piece::Word(_)) && !pending_or;
                let before_word = matches!(pieces.get(i + 1), Some(Piece::Word(_)));
                if after_word && before_word {
                    pending_or = true;
                } else if let Some(literal) = Literal::new("OR", false) {
                    // Not between two words: the word "OR" itself.
                    match query.groups.last_mut() {
                        Some(group) if pending_or => group.push(literal),
                        _ => query.groups.push(vec![literal]),
                    }
                    pending_or = false;
                }
            }
        }
    }
    if query.groups.is_empty() {
        return Err(Error::Query(if query.excluded.is_empty() {
            "empty query: give at least one word to search for".into()
        } else {
            "only excluded words: give at least one word to search for".into()
        }));
    }
    // The same term twice adds nothing but work.
    let mut seen = std::collections::HashSet::new();
    query.groups.retain(|group| seen.insert(group.clone()));
    let mut seen = std::collections::HashSet::new();
    query
        .excluded
        .retain(|literal| seen.insert(literal.clone()));
    let terms = query.groups.iter().map(Vec::len).sum::<usize>() + query.excluded.len();
    if terms > MAX_TERMS {
        return Err(Error::Query(format!(
            "too many terms ({terms}; at most {MAX_TERMS})"
        )));
    }
    let longest = query
        .groups
        .iter()
        .flatten()
        .chain(&query.excluded)
        .map(|l| l.chars.len())
        .max()
        .unwrap_or(0);
    if longest > MAX_TERM_CHARS {
        return Err(Error::Query(format!(
            "a term of {longest} characters is too long (at most {MAX_TERM_CHARS}): quote a shorter part"
        )));
    }
    Ok(query)
}

/// `input` as one string to find as written (`-F`, grep's fixed strings): no words, no
/// exclusions, no `OR`, quotes and spaces as typed; folded as every query is.
pub fn parse_fixed(input: &str) -> Result<Query> {
    let Some(literal) = Literal::new(input, true) else {
        return Err(Error::Query(
            "empty query: give at least one character to search for".into(),
        ));
    };
    if literal.chars.len() > MAX_TERM_CHARS {
        return Err(Error::Query(format!(
            "a string of {} characters is too long (at most {MAX_TERM_CHARS})",
            literal.chars.len()
        )));
    }
    Ok(Query {
        groups: vec![vec![literal]],
        excluded: Vec::new(),
    })
}

/// Most terms a query may have: each is a string to look up, and a query of thousands took
/// gigabytes.
pub const MAX_TERMS: usize = 32;

/// Most characters a term may have.
pub const MAX_TERM_CHARS: usize = 200;

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(query: &Query) -> Vec<Vec<&str>> {
        query
            .groups
            .iter()
            .map(|g| g.iter().map(|l| l.text.as_str()).collect())
            .collect()
    }

    #[test]
    fn a_lone_quote_is_searched_as_typed() {
        let query = parse("\"").unwrap();
        assert_eq!(query.groups[0][0].text, "\"");
        assert!(parse("\"\"").is_err());
    }

    #[test]
    fn a_phrase_matches_with_or_without_its_spaces() {
        let query = parse(r#""安置房 建设" -"中央 路""#).unwrap();
        let forms: Vec<String> = query.groups[0][0]
            .forms()
            .iter()
            .map(|f| f.iter().collect())
            .collect();
        assert_eq!(forms, ["安置房 建设", "安置房建设"]);
        assert_eq!(query.excluded[0].forms().len(), 2);
        let three = parse(r#""a b c d""#).unwrap();
        assert_eq!(three.groups[0][0].forms().len(), 8);
        assert_eq!(parse("安置房").unwrap().groups[0][0].forms().len(), 1);
        // Past three spaces: all, none, and each one alone kept or dropped.
        let many = parse("\"开房门。 ? ? ? ?\"").unwrap().groups[0][0].forms();
        assert_eq!(many.len(), 10);
        assert!(many.contains(&"开房门。? ? ? ?".chars().collect()));
        assert!(many.contains(&"开房门。 ????".chars().collect()));
    }

    #[test]
    fn words_quotes_exclusions_and_or() {
        let query = parse(r#"智慧产业 -智慧社会 "安置房 建设" 郑州 OR 洛阳"#).unwrap();
        assert_eq!(
            texts(&query),
            [vec!["智慧产业"], vec!["安置房 建设"], vec!["郑州", "洛阳"]]
        );
        assert!(query.groups[1][0].quoted);
        assert_eq!(query.groups[1][0].folded(), "安置房 建设");
        assert_eq!(query.excluded[0].text, "智慧社会");
    }

    #[test]
    fn folding_applies_to_query_words() {
        let query = parse("智慧產業 （扩大） ＡＢＣ").unwrap();
        let folded: Vec<String> = query.groups.iter().map(|g| g[0].folded()).collect();
        assert_eq!(folded, ["智慧产业", "(扩大)", "abc"]);
    }

    #[test]
    fn odd_input_is_searched_not_rejected() {
        assert_eq!(texts(&parse("OR OR").unwrap()), [vec!["OR"]]);
        assert_eq!(texts(&parse("a OR").unwrap()), [vec!["a"], vec!["OR"]]);
        assert_eq!(texts(&parse("- 上海").unwrap()), [vec!["-"], vec!["上海"]]);
        assert_eq!(
            texts(&parse("\"未闭合 引号").unwrap()),
            [vec!["未闭合 引号"]]
        );
        assert_eq!(texts(&parse("a OR b OR c").unwrap()), [vec!["a", "b", "c"]]);
    }

    #[test]
    fn repeated_terms_count_once_and_too_many_or_too_long_is_an_error() {
        let query = parse(&"安置房建设 ".repeat(3000)).unwrap();
        assert_eq!(texts(&query), [vec!["安置房建设"]]);
        let many: String = (0..40).map(|i| format!("词{i} ")).collect();
        let err = parse(&many).unwrap_err().to_string();
        assert!(err.contains("too many terms (40; at most 32)"), "{err}");
        let err = parse(&"字".repeat(300)).unwrap_err().to_string();
        assert!(err.contains("300 characters is too long"), "{err}");
    }

    #[test]
    fn nothing_to_search_for_is_an_error() {
        for input in ["", "   ", "\"\"", "-上海", "\u{3000}"] {
            assert!(parse(input).is_err(), "{input:?} should be rejected");
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_input_parses_or_is_refused_without_panicking(input in "\\PC*|[\"\\- OR\u{0}-\u{1f}安置房（）]{0,40}") {
            if let Ok(query) = parse(&input) {
                prop_assert!(!query.groups.is_empty());
                for literal in query.groups.iter().flatten().chain(&query.excluded) {
                    prop_assert!(!literal.chars.is_empty());
                    prop_assert!(literal.chars.iter().all(|c| !c.is_control()));
                    prop_assert!(literal.chars.first() != Some(&' ') && literal.chars.last() != Some(&' '));
                }
            }
        }
    }
}
