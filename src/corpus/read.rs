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
    let mut file = open_regular(path)?;
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

/// Opens `path` for reading without ever waiting: a FIFO put in a file's place between the
/// listing and the reading, or a device file, would block `open` or `read` forever (holding
/// the index's writer lock, so every later sync would wait too). The handle must be a regular
/// file; one that would block on reading (`/proc/kmsg`) fails with "would block".
fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    Ok(file)
}

/// Reads a whole small file (a settings file) as text, decoded as articles are: UTF-8, UTF-16
/// with a BOM, GB18030/GBK or Big5. A binary file is an error.
pub fn read_text(path: &Path) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    open_regular(path)?.read_to_end(&mut bytes)?;
    let mut sniffer = Sniffer::new();
    sniffer.feed(&bytes);
    match sniffer.finish() {
        Ok(TextEncoding { encoding }) => {
            let (text, _, _) = encoding.decode(&bytes);
            Ok(text.into_owned())
        }
        Err(not_text) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            not_text.to_string(),
        )),
    }
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
    let mut file = open_regular(path)?;
    let mut decoder = encoding.encoding.new_decoder_with_bom_removal();
    let mut cutter = Cutter::new(tail_chars);
    let mut markdown =
        super::markdown::is_markdown(path).then(super::markdown::MarkdownText::default);
    let mut buf = vec![0u8; CHUNK_BYTES];
    let mut text = String::new();
    loop {
        let n = read_some(&mut file, &mut buf)?;
        let last = n == 0;
        text.clear();
        let needed = decoder.max_utf8_buffer_length(n).unwrap_or(n * 3 + 16);
        text.reserve(needed);
        let _ = decoder.decode_to_string(&buf[..n], &mut text, last);
        if let Some(markdown) = &mut markdown {
            text = markdown.push(&text);
            if last {
                text.push_str(&markdown.finish());
            }
        }
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
    fn a_png_is_binary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.png");
        std::fs::write(&path, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0").unwrap();
        assert!(inspect(&path).unwrap().text.is_err());
    }

    /// A file replaced by a FIFO between listing and reading hung `sou index` forever.
    #[cfg(unix)]
    #[test]
    fn a_fifo_in_a_files_place_is_an_error_not_a_wait() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.txt");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let err = inspect(&fifo).unwrap_err();
        assert_eq!(err.to_string(), "not a regular file");
        let err = read_passages(
            &fifo,
            TextEncoding {
                encoding: encoding_rs::UTF_8,
            },
            24,
            &mut |_| ControlFlow::Continue(()),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "not a regular file");
    }
}
