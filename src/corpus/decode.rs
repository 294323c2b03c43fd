//! Turning a file's bytes into text: UTF-8 (with or without BOM), UTF-16 with a BOM, and the
//! legacy Chinese encodings (GB18030/GBK, Big5) guessed by chardetng. Binary files are refused
//! with a reason; invalid bytes inside a text file are replaced, never a reason to drop it.

use encoding_rs::{Encoding, UTF_8};

/// Why a file's bytes are not text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotText {
    /// A NUL byte, or a known binary signature, in the first bytes.
    Binary,
}

impl std::fmt::Display for NotText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotText::Binary => f.write_str("binary file"),
        }
    }
}

/// How many leading bytes are inspected for binary content.
const SNIFF_BYTES: usize = 8192;

/// Decoded text and the name of the encoding it was read as.
#[derive(Debug)]
pub struct Decoded {
    /// The text, with any BOM removed and invalid sequences replaced by U+FFFD.
    pub text: String,
    /// The encoding's WHATWG name (`UTF-8`, `GBK`, `Big5`, `UTF-16LE`, …).
    pub encoding: &'static str,
}

/// Decodes a whole file.
pub fn decode(bytes: &[u8]) -> Result<Decoded, NotText> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return Ok(Decoded {
            text: text.into_owned(),
            encoding: encoding.name(),
        });
    }
    if looks_binary(bytes) {
        return Err(NotText::Binary);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Decoded {
            text: text.to_string(),
            encoding: UTF_8.name(),
        });
    }
    // A UTF-8 file with a few broken bytes is still UTF-8: only a file where broken sequences
    // are common is decoded as a legacy encoding.
    if mostly_utf8(bytes) {
        return Ok(Decoded {
            text: String::from_utf8_lossy(bytes).into_owned(),
            encoding: UTF_8.name(),
        });
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let encoding = detector.guess(None, chardetng::Utf8Detection::Deny);
    let (text, _, _) = encoding.decode(bytes);
    Ok(Decoded {
        text: text.into_owned(),
        encoding: encoding.name(),
    })
}

/// Whether fewer than one in ten non-ASCII bytes belongs to an invalid UTF-8 sequence. Legacy
/// Chinese encodings almost never form valid UTF-8, so in a GBK or Big5 file nearly all of them do.
fn mostly_utf8(mut bytes: &[u8]) -> bool {
    let non_ascii = bytes.iter().filter(|b| !b.is_ascii()).count();
    let mut invalid = 0;
    while let Err(err) = std::str::from_utf8(bytes) {
        let bad = err.error_len().unwrap_or(bytes.len() - err.valid_up_to());
        invalid += bad;
        bytes = &bytes[err.valid_up_to() + bad..];
    }
    invalid * 10 < non_ascii
}

fn looks_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    head.contains(&0)
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
    fn nul_bytes_mean_binary() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(decode(png).unwrap_err(), NotText::Binary);
    }
}
