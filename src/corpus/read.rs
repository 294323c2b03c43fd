//! Reading files as streams: one pass to hash a file and decide how to decode it, another to
//! decode it and cut it into passages. Neither holds more than a chunk of the file, so a file of
//! any size is read in bounded memory.

use std::io::Read;
use std::path::Path;

use super::decode::{NotText, Sniffer, TextEncoding};
use std::ops::ControlFlow;

use super::passage::{Cutter, Emit};

/// Bytes read at a time.
const CHUNK_BYTES: usize = 256 * 1024;

/// What one pass over a file's bytes tells.
#[derive(Debug)]
pub struct Inspection {
    /// Hash of the bytes.
    pub hash: u64,
    /// How to decode them, or why they are not text.
    pub text: Result<TextEncoding, NotText>,
}

/// Hashes `path` and decides how to decode it.
pub fn inspect(path: &Path) -> std::io::Result<Inspection> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut sniffer = Sniffer::new();
    let mut buf = vec![0u8; CHUNK_BYTES];
    loop {
        let n = read_some(&mut file, &mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        sniffer.feed(&buf[..n]);
    }
    Ok(Inspection {
        hash: hasher.digest(),
        text: sniffer.finish(),
    })
}

/// Whether the start of a file that is not an article looks binary, and why.
pub fn sniff_head(path: &Path) -> std::io::Result<Option<NotText>> {
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 8192];
    let n = read_some(&mut file, &mut buf)?;
    let mut sniffer = Sniffer::new();
    sniffer.feed(&buf[..n]);
    Ok(sniffer.finish().err())
}

fn read_some(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match file.read(buf) {
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Decodes `path` as `encoding` and emits its passages in order, each with `tail_chars`
/// characters of what follows it when it was cut (see [`Cutter`]). Stops reading when `emit`
/// breaks, and says whether it did.
pub fn read_passages(
    path: &Path,
    encoding: TextEncoding,
    tail_chars: usize,
    emit: &mut Emit<'_>,
) -> std::io::Result<ControlFlow<()>> {
    let mut file = std::fs::File::open(path)?;
    let mut decoder = encoding.encoding.new_decoder_with_bom_removal();
    let mut cutter = Cutter::new(tail_chars);
    let mut buf = vec![0u8; CHUNK_BYTES];
    let mut text = String::new();
    loop {
        let n = read_some(&mut file, &mut buf)?;
        let last = n == 0;
        text.clear();
        let needed = decoder.max_utf8_buffer_length(n).unwrap_or(n * 3 + 16);
        text.reserve(needed);
        let _ = decoder.decode_to_string(&buf[..n], &mut text, last);
        if cutter.push(&text, emit).is_break() {
            return Ok(ControlFlow::Break(()));
        }
        if last {
            break;
        }
    }
    Ok(cutter.finish(emit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::cut_article;

    #[test]
    fn a_gbk_file_streams_into_the_same_passages_as_its_text() {
        let dir = tempfile::tempdir().unwrap();
        let text = include_str!("../../seeds/000_bbb0717566f56162.txt");
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let path = dir.path().join("gbk.txt");
        std::fs::write(&path, &gbk).unwrap();

        let inspection = inspect(&path).unwrap();
        assert_eq!(inspection.hash, xxhash_rust::xxh3::xxh3_64(&gbk));
        let encoding = inspection.text.unwrap();
        assert_eq!(encoding.encoding.name(), "GBK");
        let mut passages = Vec::new();
        let flow = read_passages(&path, encoding, 24, &mut |p| {
            passages.push(p);
            ControlFlow::Continue(())
        })
        .unwrap();
        assert!(flow.is_continue());
        assert_eq!(passages, cut_article(text, 24).passages);
    }

    #[test]
    fn a_png_is_binary_from_its_head() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.png");
        std::fs::write(&path, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0").unwrap();
        assert!(sniff_head(&path).unwrap().is_some());
        assert!(inspect(&path).unwrap().text.is_err());
    }
}
