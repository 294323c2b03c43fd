//! Turning a file's bytes into text: UTF-8 (with or without BOM), UTF-16 with a BOM, and the
//! legacy Chinese encodings (GB18030/GBK, Big5) guessed by chardetng. Binary files (a NUL byte
//! or a known binary signature, such as an image or an archive, at the start) are refused with a
//! reason; invalid bytes inside a text file are replaced, never a reason to drop it.
//!
//! Files are read as a stream: a [`Sniffer`] sees every chunk once (hashing is done beside it)
//! and then decides how to decode; decoding streams too (see [`super::read`]).

use encoding_rs::{Encoding, UTF_8};
use infer::MatcherType;

/// Why a file's bytes are not text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotText {
    /// A NUL byte, or a known binary signature, in the first bytes.
    Binary(Option<&'static str>),
    /// Text in an encoding sou does not read (UTF-32, told by its BOM).
    Unsupported(&'static str),
}

impl std::fmt::Display for NotText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotText::Binary(Some(mime)) => write!(f, "binary file ({mime})"),
            NotText::Binary(None) => f.write_str("binary file"),
            NotText::Unsupported(encoding) => {
                write!(
                    f,
                    "{encoding} text, which sou does not read (save it as UTF-8)"
                )
            }
        }
    }
}

/// How many leading bytes are inspected for binary content.
const SNIFF_BYTES: usize = 8192;

/// How to decode a file (a BOM, if any, is removed while decoding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextEncoding {
    /// The encoding.
    pub encoding: &'static Encoding,
}

/// Watches a file's bytes go by and decides whether and how they are text.
#[derive(Default)]
pub struct Sniffer {
    head: Vec<u8>,
    /// Bytes of an incomplete UTF-8 sequence at the end of the last chunk.
    carry: Vec<u8>,
    seen: usize,
    non_ascii: usize,
    invalid_utf8: usize,
    detector: Option<chardetng::EncodingDetector>,
}

impl std::fmt::Debug for Sniffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sniffer").finish_non_exhaustive()
    }
}

impl Sniffer {
    /// A sniffer at the start of a file.
    pub fn new() -> Self {
        Sniffer::default()
    }

    /// Sees the next chunk of the file.
    pub fn feed(&mut self, chunk: &[u8]) {
        self.seen += chunk.len();
        if self.head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.non_ascii += chunk.iter().filter(|b| !b.is_ascii()).count();
        let carried = self.carry.len();
        let mut bytes = std::mem::take(&mut self.carry);
        bytes.extend_from_slice(chunk);
        let mut rest = &bytes[..];
        let mut saw_invalid = false;
        loop {
            match std::str::from_utf8(rest) {
                Ok(_) => break,
                Err(err) => match err.error_len() {
                    Some(bad) => {
                        self.invalid_utf8 += bad;
                        saw_invalid = true;
                        rest = &rest[err.valid_up_to() + bad..];
                    }
                    None => {
                        self.carry = rest[err.valid_up_to()..].to_vec();
                        break;
                    }
                },
            }
        }
        // Legacy encodings are guessed from the first chunk that is not UTF-8 on (from the start
        // when all of it is still at hand), so UTF-8 files never pay for the guessing.
        match &mut self.detector {
            Some(detector) => {
                detector.feed(chunk, false);
            }
            None if saw_invalid => {
                let mut detector =
                    chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
                if self.seen == self.head.len() {
                    detector.feed(&self.head, false);
                } else {
                    detector.feed(&bytes[..carried + chunk.len()], false);
                }
                self.detector = Some(detector);
            }
            None => {}
        }
    }

    /// Decides, after the last chunk.
    pub fn finish(mut self) -> Result<TextEncoding, NotText> {
        // UTF-32's BOMs: the little-endian one starts like UTF-16's, which would read the
        // text with a NUL after every character.
        if self.head.starts_with(&[0xFF, 0xFE, 0, 0]) {
            return Err(NotText::Unsupported("UTF-32LE"));
        }
        if self.head.starts_with(&[0, 0, 0xFE, 0xFF]) {
            return Err(NotText::Unsupported("UTF-32BE"));
        }
        if let Some((encoding, _)) = Encoding::for_bom(&self.head) {
            return Ok(TextEncoding { encoding });
        }
        if let Some(kind) = infer::get(&self.head)
            && kind.matcher_type() != MatcherType::Text
        {
            return Err(NotText::Binary(Some(kind.mime_type())));
        }
        if self.head.contains(&0) {
            return Err(NotText::Binary(None));
        }
        // An incomplete sequence at the very end is one invalid sequence.
        if !self.carry.is_empty() {
            self.invalid_utf8 += self.carry.len();
        }
        // A UTF-8 file with a few broken bytes is still UTF-8. Legacy Chinese encodings almost
        // never form valid UTF-8, so in a GBK or Big5 file nearly every non-ASCII byte is invalid.
        if self.invalid_utf8 * 10 < self.non_ascii || self.invalid_utf8 == 0 {
            return Ok(TextEncoding { encoding: UTF_8 });
        }
        let encoding = match self.detector.as_mut() {
            Some(detector) => {
                detector.feed(&[], true);
                detector.guess(None, chardetng::Utf8Detection::Deny)
            }
            None => UTF_8,
        };
        Ok(TextEncoding { encoding })
    }
}

/// Decoded text and the name of the encoding it was read as.
#[cfg(test)]
#[derive(Debug)]
pub struct Decoded {
    /// The text, with any BOM removed and invalid sequences replaced by U+FFFD.
    pub text: String,
    /// The encoding's WHATWG name (`UTF-8`, `GBK`, `Big5`, `UTF-16LE`, …).
    pub encoding: &'static str,
}

/// Decodes a whole file held in memory, as the streaming reader would.
#[cfg(test)]
pub fn decode(bytes: &[u8]) -> Result<Decoded, NotText> {
    let mut sniffer = Sniffer::new();
    sniffer.feed(bytes);
    let TextEncoding { encoding } = sniffer.finish()?;
    let (text, actual, _) = encoding.decode(bytes);
    Ok(Decoded {
        text: text.into_owned(),
        encoding: actual.name(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "郑州高新区召开领导干部会议，深入贯彻党的十九大精神。";

    #[test]
    fn utf8_with_and_without_bom() {
        let plain = decode(SAMPLE.as_bytes()).unwrap();
        assert_eq!(plain.text, SAMPLE);
        let mut with_bom = b"\xEF\xBB\xBF".to_vec();
        with_bom.extend_from_slice(SAMPLE.as_bytes());
        assert_eq!(decode(&with_bom).unwrap().text, SAMPLE);
    }

    /// UTF-32 LE with a BOM was read as UTF-16: NULs in the title and the text.
    #[test]
    fn utf32_is_reported_not_read_as_utf16() {
        for (bom, name) in [
            ([0xFF, 0xFE, 0, 0], "UTF-32LE"),
            ([0, 0, 0xFE, 0xFF], "UTF-32BE"),
        ] {
            let mut bytes = bom.to_vec();
            for c in SAMPLE.chars() {
                let unit = c as u32;
                bytes.extend_from_slice(&if name.ends_with("LE") {
                    unit.to_le_bytes()
                } else {
                    unit.to_be_bytes()
                });
            }
            let err = decode(&bytes).unwrap_err();
            assert_eq!(err, NotText::Unsupported(name));
            assert!(err.to_string().contains(name));
        }
    }

    #[test]
    fn utf16_both_byte_orders() {
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for unit in SAMPLE.encode_utf16() {
            le.extend_from_slice(&unit.to_le_bytes());
            be.extend_from_slice(&unit.to_be_bytes());
        }
        assert_eq!(decode(&le).unwrap().text, SAMPLE);
        assert_eq!(decode(&be).unwrap().text, SAMPLE);
    }

    #[test]
    fn gbk_and_big5_are_detected() {
        let (gbk, _, _) = encoding_rs::GBK.encode(SAMPLE);
        let decoded = decode(&gbk).unwrap();
        assert_eq!(decoded.text, SAMPLE);
        assert_eq!(decoded.encoding, "GBK");

        let traditional = "鄭州高新區召開領導幹部會議，深入貫徹黨的十九大精神。";
        let (big5, _, _) = encoding_rs::BIG5.encode(traditional);
        assert_eq!(decode(&big5).unwrap().text, traditional);
    }

    #[test]
    fn a_few_invalid_bytes_do_not_drop_a_utf8_file() {
        let mut bytes = SAMPLE.as_bytes().to_vec();
        bytes.insert(6, 0xFF);
        let decoded = decode(&bytes).unwrap();
        assert!(decoded.text.contains('\u{FFFD}'));
        assert!(decoded.text.contains("十九大精神"));
    }

    #[test]
    fn chunks_of_any_size_decide_like_the_whole() {
        let utf8 = SAMPLE.repeat(50);
        let (gbk, _, _) = encoding_rs::GBK.encode(&utf8);
        for bytes in [&gbk[..], utf8.as_bytes()] {
            let whole = {
                let mut s = Sniffer::new();
                s.feed(bytes);
                s.finish().unwrap()
            };
            for size in [1, 2, 3, 1000] {
                let mut s = Sniffer::new();
                for chunk in bytes.chunks(size) {
                    s.feed(chunk);
                }
                assert_eq!(s.finish().unwrap(), whole, "chunks of {size}");
            }
        }
    }

    #[test]
    fn nul_bytes_mean_binary() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(decode(png).unwrap_err(), NotText::Binary(Some("image/png")));
        assert_eq!(decode(b"abc\0def").unwrap_err(), NotText::Binary(None));
        // A PDF has no NUL byte up front; its signature gives it away.
        let pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj";
        assert!(decode(pdf).is_err());
    }
}
