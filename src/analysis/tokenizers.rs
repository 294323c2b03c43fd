//! The tokenizer registered on the index, and the encoding it reads.
//!
//! sou analyzes passages on its own threads and hands tantivy the gram field as an encoded
//! string; this tokenizer turns it back into tokens inside tantivy's indexing threads, reusing
//! one token buffer, so no per-token allocation happens.
//!
//! The encoding: the gram stream's characters in order, each preceded by `\u{1}` when a word
//! starts there, and a final `\u{1}`: a passage ends on a boundary. The stream holds no control
//! characters, so the flags cannot be confused with text.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::{BOUNDARY, END, gram_stream};

const BOUNDARY_FLAG: char = '\u{1}';

/// Encodes the gram field value of folded text: `word_starts` are the folded character offsets
/// where jieba words start (sorted).
pub fn encode_grams(folded: &str, word_starts: &[usize]) -> String {
    let stream = gram_stream(folded);
    let mut out = String::with_capacity(folded.len() + word_starts.len() + 2);
    let mut next_start = word_starts.iter().peekable();
    for &(index, c) in &stream {
        // A word that starts on a space or control character starts, for the stream, at the
        // next character.
        let mut is_start = false;
        while next_start.next_if(|&&s| s <= index).is_some() {
            is_start = true;
        }
        if is_start {
            out.push(BOUNDARY_FLAG);
        }
        out.push(c);
    }
    if !stream.is_empty() {
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

/// One character of the gram stream, decoded.
#[derive(Clone, Copy, Debug)]
struct Entry {
    c: char,
    boundary_before: bool,
}

/// Decodes the gram field.
#[derive(Clone, Default)]
pub struct GramsTokenizer {
    entries: Vec<Entry>,
    token: Token,
}

/// The gram field's tokens: at each position a boundary marker (if a word starts there), then
/// the bigram with the next character — or, for the last character, which has none, its
/// unigram; after the last, a boundary marker and [`END`]. A one-character query looks for
/// every gram that starts with its character.
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
        for c in text.chars() {
            if c == BOUNDARY_FLAG {
                boundary = true;
            } else {
                self.entries.push(Entry {
                    c,
                    boundary_before: boundary,
                });
                boundary = false;
            }
        }
        self.token.reset();
        GramsStream {
            entries: &self.entries,
            end_boundary: boundary,
            position: 0,
            phase: MARKER,
            token: &mut self.token,
        }
    }
}

impl GramsStream<'_> {
    fn emit(&mut self, position: usize, length: usize, parts: &[&str]) {
        self.token.text.clear();
        for part in parts {
            self.token.text.push_str(part);
        }
        set_token(self.token, position, length);
    }
}

/// Where [`GramsStream`] is in the tokens of one position: the boundary marker, the unigram of
/// the last character (or, after it, [`END`]), the bigram.
const MARKER: u8 = 0;
const LAST: u8 = 1;
const BIGRAM: u8 = 2;
const DONE: u8 = 3;

impl TokenStream for GramsStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            let Some(&entry) = self.entries.get(self.position) else {
                // After the last character: the passage's end is a boundary, then END.
                match self.phase {
                    MARKER => {
                        self.phase = LAST;
                        if self.end_boundary {
                            self.emit(self.position, 1, &[BOUNDARY]);
                            return true;
                        }
                    }
                    LAST => {
                        self.phase = DONE;
                        if !self.entries.is_empty() {
                            self.emit(self.position, 1, &[END]);
                            return true;
                        }
                    }
                    _ => return false,
                }
                continue;
            };
            let next = self.entries.get(self.position + 1).copied();
            let mut buf = [0u8; 4];
            match self.phase {
                MARKER => {
                    self.phase = LAST;
                    if entry.boundary_before {
                        self.emit(self.position, 1, &[BOUNDARY]);
                        return true;
                    }
                }
                LAST => {
                    self.phase = BIGRAM;
                    if next.is_none() && entry.c != ' ' {
                        let c = entry.c.encode_utf8(&mut buf);
                        self.emit(self.position, 1, &[c]);
                        return true;
                    }
                }
                _ => {
                    self.phase = MARKER;
                    let position = self.position;
                    self.position += 1;
                    if let Some(next) = next {
                        let mut next_buf = [0u8; 4];
                        let c = entry.c.encode_utf8(&mut buf);
                        let n = next.c.encode_utf8(&mut next_buf);
                        self.emit(position, 2, &[c, n]);
                        return true;
                    }
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
    fn grams_carry_boundaries_and_the_end() {
        // 和服 | 的 | 人
        let encoded = encode_grams("和服的人", &[0, 2, 3]);
        assert_eq!(encoded, "\u{1}和服\u{1}的\u{1}人\u{1}");
        let tokens = collect(&mut GramsTokenizer::default(), &encoded);
        let expected: Vec<(usize, String)> = [
            (0, BOUNDARY),
            (0, "和服"),
            (1, "服的"),
            (2, BOUNDARY),
            (2, "的人"),
            (3, BOUNDARY),
            (3, "人"),
            (4, BOUNDARY),
            (4, END),
        ]
        .into_iter()
        .map(|(p, t)| (p, t.to_string()))
        .collect();
        assert_eq!(tokens, expected);
    }

    #[test]
    fn spaces_only_join() {
        let encoded = encode_grams("a  b", &[0, 1, 3]);
        let tokens = collect(&mut GramsTokenizer::default(), &encoded);
        let texts: Vec<&str> = tokens.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            texts,
            [BOUNDARY, "a ", BOUNDARY, " b", BOUNDARY, "b", BOUNDARY, END]
        );
        assert_eq!(tokens.last().unwrap().0, 3);
        assert!(collect(&mut GramsTokenizer::default(), "").is_empty());
    }
}
