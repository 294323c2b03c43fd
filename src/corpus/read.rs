//! Reading files as streams: one pass to hash a file and decide how to decode it, another to
//! decode it and cut it into passages. Neither holds more than a chunk of the file, so a file of
//! any size is read in bounded memory.

use std::io::Read;
use std::path::Path;

use super::decode::{NotText, Sniffer, TextEncoding};
use std::ops::ControlFlow;

use super::passage::{Cutter, Emit, Passage};
use super::{Format, MarkupReader};

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
    let mut buf = chunk_buffer(&file);
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
    Ok(sniff(&bytes)?.encoding.decode(&bytes).0.into_owned())
}

/// How `bytes` are decoded, as articles are; text that is not is an `InvalidData` error.
fn sniff(bytes: &[u8]) -> std::io::Result<TextEncoding> {
    let mut sniffer = Sniffer::new();
    sniffer.feed(bytes);
    match sniffer.finish() {
        Ok(encoding) => Ok(encoding),
        Err(not_text) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            not_text.to_string(),
        )),
    }
}

/// The text of `path` from the start of each of its 1-based `lines`: that line whole, then
/// whole lines until about `after_bytes` more (empty past the end of the file). One pass finds
/// where the lines start without decoding what comes before, so places deep in a long file are
/// found in the time it takes to count its newlines once. They are counted on the raw bytes,
/// exact in the encodings that keep ASCII as it is (UTF-8, GB18030, Big5); a UTF-16 file is
/// decoded whole.
pub fn texts_from_lines(
    path: &Path,
    lines: &[u64],
    after_bytes: usize,
) -> std::io::Result<Vec<String>> {
    use std::io::BufRead;
    let mut reader = std::io::BufReader::with_capacity(CHUNK_BYTES, open_regular(path)?);
    let head = reader.fill_buf()?;
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        let text = read_text(path)?;
        return texts_from_lines_in(std::io::Cursor::new(text.into_bytes()), lines, after_bytes);
    }
    texts_from_lines_in(reader, lines, after_bytes)
}

/// [`texts_from_lines`] of what `reader` reads, in an encoding that keeps ASCII as it is.
fn texts_from_lines_in(
    mut reader: impl std::io::BufRead + std::io::Seek,
    lines: &[u64],
    after_bytes: usize,
) -> std::io::Result<Vec<String>> {
    // Where each wanted line starts, in one pass.
    let mut wanted: Vec<u64> = lines.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let mut starts = std::collections::HashMap::new();
    let mut pending = wanted.iter().copied().peekable();
    if pending.next_if_eq(&1).is_some() {
        starts.insert(1, 0u64);
    }
    let (mut line, mut offset) = (1u64, 0u64);
    while pending.peek().is_some() {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        for at in memchr::memchr_iter(b'\n', buf) {
            line += 1;
            if pending.next_if_eq(&line).is_some() {
                starts.insert(line, offset + at as u64 + 1);
                if pending.peek().is_none() {
                    break;
                }
            }
        }
        let len = buf.len();
        reader.consume(len);
        offset += len as u64;
    }
    let mut texts = Vec::with_capacity(lines.len());
    for line in lines {
        let Some(&start) = starts.get(line) else {
            texts.push(String::new());
            continue;
        };
        reader.seek(std::io::SeekFrom::Start(start))?;
        let mut bytes = Vec::new();
        reader.read_until(b'\n', &mut bytes)?;
        let first = bytes.len();
        while bytes.len() - first < after_bytes && reader.read_until(b'\n', &mut bytes)? > 0 {}
        let encoding = sniff(&bytes)?.encoding;
        texts.push(encoding.decode_without_bom_handling(&bytes).0.into_owned());
    }
    Ok(texts)
}

/// A buffer for reading `file` a chunk at a time: no larger than the file needs (a zeroed
/// 256 KiB buffer per small file costs more than reading it), never larger than a chunk.
fn chunk_buffer(file: &std::fs::File) -> Vec<u8> {
    let len = file.metadata().map_or(CHUNK_BYTES as u64, |m| m.len());
    // One byte more than the file, so that its end is seen in the same read.
    vec![0u8; (len.saturating_add(1)).clamp(4096, CHUNK_BYTES as u64) as usize]
}

fn read_some(file: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
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
    let mut buf = chunk_buffer(&file);
    cut_stream(
        &mut file,
        &mut buf,
        Format::of(path),
        encoding,
        tail_chars,
        emit,
    )
}

/// Decodes what `source` reads, through `buf`, and emits its passages (see [`read_passages`]).
fn cut_stream(
    source: &mut impl Read,
    buf: &mut [u8],
    format: Format,
    encoding: TextEncoding,
    tail_chars: usize,
    emit: &mut Emit<'_>,
) -> std::io::Result<ControlFlow<()>> {
    let mut decoder = encoding.encoding.new_decoder_with_bom_removal();
    let mut cutter = Cutter::new(tail_chars);
    let mut markup = MarkupReader::new(format);
    let mut text = String::new();
    loop {
        let n = read_some(source, buf)?;
        let last = n == 0;
        text.clear();
        let needed = decoder.max_utf8_buffer_length(n).unwrap_or(n * 3 + 16);
        text.reserve(needed);
        let _ = decoder.decode_to_string(&buf[..n], &mut text, last);
        if let Some(markup) = &mut markup {
            text = markup.push(&text);
            if last {
                text.push_str(&markup.finish());
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

/// Passages read again from their file, with their article's title.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reread {
    /// The article's first passage: its title (`None` for an empty file).
    pub title: Option<String>,
    /// The passages asked for, in the order asked; `None` for one the file no longer holds.
    pub passages: Vec<Option<Passage>>,
}

/// A passage to read again: the line where it starts and the hash of its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wanted {
    /// 1-based line where it starts.
    pub line: u64,
    /// `hash` of its text, as the index kept it.
    pub text_hash: u64,
}

/// Reads `path` again, cut as it was for the index, for the `wanted` passages and the title, in
/// one pass that stops after the last of them. The index keeps no copy of the text: the same
/// bytes cut the same way give the same passages, and a passage whose text does not `hash` as
/// the index kept it (a file changed since it was indexed) is `None`.
pub fn reread(
    path: &Path,
    tail_chars: usize,
    wanted: &[Wanted],
    hash: &dyn Fn(&str) -> u64,
) -> std::io::Result<Reread> {
    reread_reading(path, tail_chars, wanted, hash, REREAD_IN_MEMORY_BYTES)
}

/// [`reread`], reading files up to `in_memory_bytes` in one read and larger ones as the index
/// does.
fn reread_reading(
    path: &Path,
    tail_chars: usize,
    wanted: &[Wanted],
    hash: &dyn Fn(&str) -> u64,
    in_memory_bytes: u64,
) -> std::io::Result<Reread> {
    let mut reread = Reread {
        title: None,
        passages: vec![None; wanted.len()],
    };
    let last_line = wanted.iter().map(|w| w.line).max().unwrap_or(0);
    let mut left = wanted.len();
    let mut emit = |passage: Passage| {
        if reread.title.is_none() {
            reread.title = Some(passage.text.clone());
        }
        if passage.line > last_line || left == 0 {
            return ControlFlow::Break(());
        }
        if wanted.iter().any(|w| w.line == passage.line) {
            let passage_hash = hash(&passage.text);
            for (i, w) in wanted.iter().enumerate() {
                if w.line == passage.line
                    && w.text_hash == passage_hash
                    && reread.passages[i].is_none()
                {
                    reread.passages[i] = Some(passage.clone());
                    left -= 1;
                }
            }
        }
        if left == 0 {
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    };
    // Where the reading stopped does not matter: the passages found say what was found.
    let mut file = open_regular(path)?;
    let len = file.metadata()?.len();
    if len > in_memory_bytes {
        if let Ok(encoding) = inspect(path)?.text {
            let _ = read_passages(path, encoding, tail_chars, &mut emit)?;
        }
        return Ok(reread);
    }
    // A file of usual size is read once, into memory, instead of twice as the index reads it.
    let mut bytes = Vec::with_capacity(len as usize + 1);
    file.read_to_end(&mut bytes)?;
    if let Ok(encoding) = sniff(&bytes) {
        let mut buf = vec![0u8; bytes.len().saturating_add(1).min(CHUNK_BYTES)];
        let _ = cut_stream(
            &mut bytes.as_slice(),
            &mut buf,
            Format::of(path),
            encoding,
            tail_chars,
            &mut emit,
        )?;
    }
    Ok(reread)
}

/// Files up to this size are read again in one read (see [`reread`]).
const REREAD_IN_MEMORY_BYTES: u64 = 4 * 1024 * 1024;

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
    fn texts_from_lines_are_the_files_text_from_there_in_any_encoding() {
        let dir = tempfile::tempdir().unwrap();
        let text = "标题\n\n第三行\r\n第四行说到安置房\n第五行\n";
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        for (name, bytes) in [
            ("utf8.txt", text.as_bytes().to_vec()),
            ("gbk.txt", encoding_rs::GBK.encode(text).0.into_owned()),
            ("utf16.txt", utf16),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            let from = |line| texts_from_lines(&path, &[line], 0).unwrap().remove(0);
            assert_eq!(from(1), "标题\n", "{name}");
            assert_eq!(from(3), "第三行\r\n", "{name}");
            assert!(from(4).starts_with("第四行说到安置房\n"), "{name}");
            assert_eq!(
                texts_from_lines(&path, &[3], 1).unwrap(),
                ["第三行\r\n第四行说到安置房\n"],
                "{name}"
            );
            assert_eq!(from(7), "", "{name}");
            // Several lines, in any order, repeated, in one pass.
            assert_eq!(
                texts_from_lines(&path, &[5, 1, 7, 5], 0).unwrap(),
                ["第五行\n", "标题\n", "", "第五行\n"],
                "{name}"
            );
        }
        // Lines are counted across reads, on a file larger than the reading buffer.
        let path = dir.path().join("long.txt");
        let long: String = (1..=40_000).map(|i| format!("第{i}行\n")).collect();
        assert!(long.len() > CHUNK_BYTES);
        std::fs::write(&path, &long).unwrap();
        assert_eq!(
            texts_from_lines(&path, &[39_999, 2], 0).unwrap(),
            ["第39999行\n", "第2行\n"]
        );
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

    #[test]
    fn passages_are_read_again_as_indexed_and_a_changed_file_is_told() {
        let dir = tempfile::tempdir().unwrap();
        let seed = include_str!("../../seeds/000_bbb0717566f56162.txt");
        // One long line too, whose passages all start on the same line.
        let text = format!("{seed}\n{}\n", "一句很长的话，说了又说。".repeat(400));
        let (gbk, _, _) = encoding_rs::GBK.encode(&text);
        let path = dir.path().join("a.txt");
        std::fs::write(&path, &gbk).unwrap();
        let article = cut_article(&text, 24);
        let hash = |text: &str| xxhash_rust::xxh3::xxh3_64(text.as_bytes());
        let picks: Vec<&Passage> = [1, 7, article.passages.len() - 2, article.passages.len() - 1]
            .iter()
            .map(|&i| &article.passages[i])
            .collect();
        assert_eq!(picks[2].line, picks[3].line, "two passages of one line");
        let wanted: Vec<Wanted> = picks
            .iter()
            .rev()
            .map(|p| Wanted {
                line: p.line,
                text_hash: hash(&p.text),
            })
            .collect();
        for in_memory_bytes in [u64::MAX, 0] {
            let reread = reread_reading(&path, 24, &wanted, &hash, in_memory_bytes).unwrap();
            assert_eq!(reread.title.as_deref(), Some(article.title.as_str()));
            let expected: Vec<Option<Passage>> =
                picks.iter().rev().map(|&p| Some(p.clone())).collect();
            assert_eq!(reread.passages, expected);
        }
        // Edited since: the passage is not there as indexed.
        std::fs::write(&path, text.replace("安置房", "安居房")).unwrap();
        let edited = article
            .passages
            .iter()
            .find(|p| p.text.contains("安置房"))
            .unwrap();
        let wanted = [Wanted {
            line: edited.line,
            text_hash: hash(&edited.text),
        }];
        let reread = reread(&path, 24, &wanted, &hash).unwrap();
        assert_eq!(reread.passages, vec![None]);
    }
}
