//! The tokenizers registered on the index, and the encodings they read.
//!
//! sou analyzes passages on its own threads (one jieba pass for both fields) and hands tantivy
//! each indexed field as an encoded string; these tokenizers turn it back into tokens inside
//! tantivy's indexing threads, reusing one token buffer, so no per-token allocation happens.
//!
//! - word field: `position \u{1F} word \u{1E}` for each word, in position order;
//! - gram field: the gram stream's characters in order, each preceded by `\u{1}` when a word
//!   starts there; `\u{2}` before the first character of the passage's tail; a final `\u{1}`
//!   when the passage (without tail) ends on a boundary. The stream holds no control characters,
//!   so the flags cannot be confused with text.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::{BOUNDARY, TAIL, gram_stream};

const WORD_SEPARATOR: char = '\u{1F}';
const WORD_END: char = '\u{1E}';
const BOUNDARY_FLAG: char = '\u{1}';
const TAIL_FLAG: char = '\u{2}';

/// Appends one word at `position` to an encoded word field value.
pub fn encode_word(out: &mut String, position: usize, word: &str) {
    use std::fmt::Write;
    let _ = write!(out, "{position}{WORD_SEPARATOR}{word}{WORD_END}");
}

/// Encodes the gram field value of folded text: `word_starts` are the folded character offsets
/// where jieba words start (sorted); characters from folded offset `text_end` on are the tail.
pub fn encode_grams(folded: &str, word_starts: &[usize], text_end: usize) -> String {
    let stream = gram_stream(folded);
    let mut out = String::with_capacity(folded.len() + word_starts.len() + 2);
    let mut next_start = word_starts.iter().peekable();
    let mut in_tail = false;
    for &(index, c) in &stream {
        // A word that starts on a space or control character starts, for the stream, at the
        // next character.
        let mut is_start = false;
        while next_start.next_if(|&&s| s <= index).is_some() {
            is_start = true;
        }
        if !in_tail && index >= text_end {
            // The passage ends here: a boundary, then the tail.
            out.push(BOUNDARY_FLAG);
            out.push(TAIL_FLAG);
            in_tail = true;
        } else if is_start && !in_tail {
            out.push(BOUNDARY_FLAG);
        }
        out.push(c);
    }
    if !in_tail && !stream.is_empty() {
        out.push(BOUNDARY_FLAG);
    }
    out
}

fn set_token(token: &mut Token, position: usize, length: usize) {
    token.position = position;
    token.position_length = length;
    token.offset_from = position;
    token.offset_to = position + length;
}

/// Decodes the word field.
#[derive(Clone, Default)]
pub struct WordsTokenizer {
    token: Token,
}

/// The word field's tokens.
pub struct WordsStream<'a> {
    rest: &'a str,
    token: &'a mut Token,
}

impl Tokenizer for WordsTokenizer {
    type TokenStream<'a> = WordsStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordsStream<'a> {
        self.token.reset();
        WordsStream {
            rest: text,
            token: &mut self.token,
        }
    }
}

impl TokenStream for WordsStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            let Some((entry, rest)) = self.rest.split_once(WORD_END) else {
                return false;
            };
            self.rest = rest;
            let Some((position, word)) = entry.split_once(WORD_SEPARATOR) else {
                continue;
            };
            let Ok(position) = position.parse::<usize>() else {
                continue;
            };
            self.token.text.clear();
            self.token.text.push_str(word);
            set_token(self.token, position, word.chars().count());
            return true;
        }
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// One character of the gram stream, decoded.
#[derive(Clone, Copy, Debug)]
struct Entry {
    c: char,
    boundary_before: bool,
    tail: bool,
}

/// Decodes the gram field.
#[derive(Clone, Default)]
pub struct GramsTokenizer {
    entries: Vec<Entry>,
    token: Token,
}

/// The gram field's tokens: at each position a boundary marker (if any), then the bigram with
/// the next character — or, for the last character, which has none, its unigram. A
/// one-character query looks for every gram that starts with its character.
pub struct GramsStream<'a> {
    entries: &'a [Entry],
    end_boundary: bool,
    position: usize,
    phase: u8,
    token: &'a mut Token,
}

impl Tokenizer for GramsTokenizer {
    type TokenStream<'a> = GramsStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> GramsStream<'a> {
        self.entries.clear();
        let mut boundary = false;
        let mut tail = false;
        for c in text.chars() {
            match c {
                BOUNDARY_FLAG => boundary = true,
                TAIL_FLAG => tail = true,
                c => {
                    self.entries.push(Entry {
                        c,
                        boundary_before: boundary,
                        tail,
                    });
                    boundary = false;
                }
            }
        }
        self.token.reset();
        GramsStream {
            entries: &self.entries,
            end_boundary: boundary,
            position: 0,
            phase: 0,
            token: &mut self.token,
        }
    }
}

impl GramsStream<'_> {
    fn emit(&mut self, length: usize, parts: &[&str]) {
        self.token.text.clear();
        for part in parts {
            self.token.text.push_str(part);
        }
        set_token(self.token, self.position, length);
    }
}

impl TokenStream for GramsStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            let Some(&entry) = self.entries.get(self.position) else {
                if self.phase == 0 && self.end_boundary {
                    self.phase = 3;
                    self.emit(1, &[BOUNDARY]);
                    return true;
                }
                return false;
            };
            let prefix = if entry.tail { TAIL } else { "" };
            let mut buf = [0u8; 4];
            match self.phase {
                0 => {
                    self.phase = 1;
                    if entry.boundary_before {
                        self.emit(1, &[BOUNDARY]);
                        return true;
                    }
                }
                1 => {
                    self.phase = 2;
                    let last = self.position + 1 == self.entries.len();
                    if last && entry.c != ' ' {
                        let c = entry.c.encode_utf8(&mut buf);
                        self.emit(1, &[prefix, c]);
                        return true;
                    }
                }
                _ => {
                    self.phase = 0;
                    let next = self.entries.get(self.position + 1).map(|e| e.c);
                    if let Some(next) = next {
                        let mut next_buf = [0u8; 4];
                        let c = entry.c.encode_utf8(&mut buf);
                        let n = next.encode_utf8(&mut next_buf);
                        self.emit(2, &[prefix, c, n]);
                        self.position += 1;
                        return true;
                    }
                    self.position += 1;
                }
            }
        }
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect<T: Tokenizer>(tokenizer: &mut T, text: &str) -> Vec<(usize, String)> {
        let mut stream = tokenizer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push((stream.token().position, stream.token().text.clone()));
        }
        out
    }

    #[test]
    fn words_round_trip() {
        let mut encoded = String::new();
        encode_word(&mut encoded, 0, "科技");
        encode_word(&mut encoded, 0, "科技园区");
        encode_word(&mut encoded, 2, "园区");
        let tokens = collect(&mut WordsTokenizer::default(), &encoded);
        assert_eq!(
            tokens,
            [
                (0, "科技".into()),
                (0, "科技园区".into()),
                (2, "园区".into())
            ]
        );
        assert!(collect(&mut WordsTokenizer::default(), "").is_empty());
    }

    #[test]
    fn grams_carry_boundaries_and_the_tail() {
        // 和服 | 的 as the passage, 人 as the tail.
        let encoded = encode_grams("和服的人", &[0, 2, 3], 3);
        assert_eq!(encoded, "\u{1}和服\u{1}的\u{1}\u{2}人");
        let tokens = collect(&mut GramsTokenizer::default(), &encoded);
        let expected: Vec<(usize, String)> = [
            (0, BOUNDARY),
            (0, "和服"),
            (1, "服的"),
            (2, BOUNDARY),
            (2, "的人"),
            (3, BOUNDARY),
            (3, "\u{1}人"),
        ]
        .into_iter()
        .map(|(p, t)| (p, t.to_string()))
        .collect();
        assert_eq!(tokens, expected);
    }

    #[test]
    fn a_passage_without_tail_ends_on_a_boundary_and_spaces_only_join() {
        let encoded = encode_grams("a  b", &[0, 1, 3], 4);
        let tokens = collect(&mut GramsTokenizer::default(), &encoded);
        let texts: Vec<&str> = tokens.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            texts,
            [BOUNDARY, "a ", BOUNDARY, " b", BOUNDARY, "b", BOUNDARY]
        );
        assert_eq!(tokens.last().unwrap().0, 3);
        assert!(collect(&mut GramsTokenizer::default(), "").is_empty());
    }
}
