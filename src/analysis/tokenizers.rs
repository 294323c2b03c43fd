//! The tokenizer registered on the index, and the encoding it reads.
//!
//! sou analyzes passages on its own threads and hands tantivy the gram field as an encoded
//! string; this tokenizer turns it back into tokens inside tantivy's indexing threads, reusing
//! one token buffer, so no per-token allocation happens.
//!
//! The encoding: the gram stream's characters in order, each preceded by `\u{1}` when a word
//! starts there; `\u{2}` before the first character of the passage's tail; a final `\u{1}` when
//! the passage (without tail) ends on a boundary. The stream holds no control characters, so the
//! flags cannot be confused with text.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::{BOUNDARY, SOLO, TAIL, gram_stream};

const BOUNDARY_FLAG: char = '\u{1}';
const TAIL_FLAG: char = '\u{2}';

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

/// The gram field's tokens: at each position a boundary marker (if a word starts there), the
/// [`SOLO`] term (if the character is a word by itself), then the bigram with the next
/// character — or, for the last character, which has none, its unigram. A one-character query
/// looks for every gram that starts with its character.
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

/// Where [`GramsStream`] is in the tokens of one position.
const MARKER: u8 = 0;
const SOLO_TERM: u8 = 1;
const UNIGRAM: u8 = 2;
const BIGRAM: u8 = 3;
const DONE: u8 = 4;

impl TokenStream for GramsStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            let Some(&entry) = self.entries.get(self.position) else {
                if self.phase == MARKER && self.end_boundary {
                    self.phase = DONE;
                    self.emit(self.position, 1, &[BOUNDARY]);
                    return true;
                }
                return false;
            };
            let prefix = if entry.tail { TAIL } else { "" };
            let next = self.entries.get(self.position + 1).copied();
            let mut buf = [0u8; 4];
            match self.phase {
                MARKER => {
                    self.phase = SOLO_TERM;
                    if entry.boundary_before {
                        self.emit(self.position, 1, &[BOUNDARY]);
                        return true;
                    }
                }
                SOLO_TERM => {
                    self.phase = UNIGRAM;
                    let word_ends = next.map_or(self.end_boundary, |e| e.boundary_before);
                    if entry.boundary_before
                        && word_ends
                        && !entry.tail
                        && entry.c.is_alphanumeric()
                    {
                        let c = entry.c.encode_utf8(&mut buf);
                        self.emit(self.position, 1, &[SOLO, c]);
                        return true;
                    }
                }
                UNIGRAM => {
                    self.phase = BIGRAM;
                    if next.is_none() && entry.c != ' ' {
                        let c = entry.c.encode_utf8(&mut buf);
                        self.emit(self.position, 1, &[prefix, c]);
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
                        self.emit(position, 2, &[prefix, c, n]);
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
            (2, "\u{2}的"),
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
            [
                BOUNDARY,
                "\u{2}a",
                "a ",
                BOUNDARY,
                " b",
                BOUNDARY,
                "\u{2}b",
                "b",
                BOUNDARY
            ]
        );
        assert_eq!(tokens.last().unwrap().0, 3);
        assert!(collect(&mut GramsTokenizer::default(), "").is_empty());
    }
}
