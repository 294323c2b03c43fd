//! Reading files as streams: one pass to hash a file and decide how to decode it, another to
//! decode it and cut it into passages. Neither holds more than a chunk of the file, so a file of
//! any size is read in bounded memory.

use std::io::Read;
use std::path::Path;

use super::decode::{NotText, Sniffer, TextEncoding};
use std::ops::ControlFlow;

use super::Format;
use super::passage::{Cutter, Emit, Passage};
use super::place::LineMap;

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
    inspect_until(path, &|| false)
}

/// [`inspect`], failing with [`std::io::ErrorKind::Interrupted`] between two chunks once
/// `stop` says so: a file of hundreds of megabytes takes a while to hash.
pub fn inspect_until(path: &Path, stop: &dyn Fn() -> bool) -> std::io::Result<Inspection> {
    let mut file = open_regular(path)?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut sniffer = Sniffer::new();
    let mut buf = chunk_buffer(&file);
    loop {
        if stop() {
            return Err(std::io::ErrorKind::Interrupted.into());
        }
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
pub(crate) fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
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

/// `bytes` decoded as an article's are: UTF-8, UTF-16 with a BOM, GB18030/GBK or Big5. A
/// binary file is an error.
pub(crate) fn decode_whole(bytes: &[u8]) -> std::io::Result<String> {
    Ok(sniff(bytes)?.encoding.decode(bytes).0.into_owned())
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
    let mut markup = format.reader();
    let mut text = String::new();
    let mut line_ends = LineEnds::default();
    // The maps of the lines of markup not yet in an emitted passage, by line.
    let mut maps: std::collections::VecDeque<LineMap> = Default::default();
    loop {
        let n = read_some(source, buf)?;
        let last = n == 0;
        text.clear();
        let needed = decoder.max_utf8_buffer_length(n).unwrap_or(n * 3 + 16);
        text.reserve(needed);
        let _ = decoder.decode_to_string(&buf[..n], &mut text, last);
        line_ends.normalize(&mut text, last);
        if let Some(markup) = &mut markup {
            text = markup.push(&text);
            if last {
                text.push_str(&markup.finish());
            }
            maps.extend(markup.take_maps());
        }
        let mut emit_mapped = |passage| emit(with_maps(&mut maps, passage));
        if cutter.push(&text, &mut emit_mapped).is_break() {
            return Ok(ControlFlow::Break(()));
        }
        if last {
            return Ok(cutter.finish(&mut emit_mapped));
        }
    }
}

/// `passage` with the maps of its lines, taken from `maps`, which lose those of earlier lines:
/// passages come in the order of their lines.
fn with_maps(maps: &mut std::collections::VecDeque<LineMap>, mut passage: Passage) -> Passage {
    if maps.is_empty() {
        return passage;
    }
    let first = passage.origin.first_line().unwrap_or(passage.line);
    let last = passage.origin.last_line().unwrap_or(passage.line);
    while maps.front().is_some_and(|m| m.line < first) {
        maps.pop_front();
    }
    passage.origin.lines = maps
        .iter()
        .take_while(|m| m.line <= last)
        .cloned()
        .collect();
    passage
}

/// Turns each line end that is a lone CR (old Mac files) into a newline, keeping CRLF: the
/// same number of bytes, so columns do not move. A CR at the end of a chunk waits for the
/// next one, which may start with its LF.
#[derive(Debug, Default)]
struct LineEnds {
    /// The last chunk ended in a CR, held back.
    held_cr: bool,
}

impl LineEnds {
    fn normalize(&mut self, text: &mut String, last: bool) {
        if !self.held_cr && !text.contains('\r') {
            return;
        }
        let mut out = String::with_capacity(text.len() + 1);
        let mut chars = text.chars().peekable();
        if std::mem::take(&mut self.held_cr) {
            out.push(if chars.peek() == Some(&'\n') {
                '\r'
            } else {
                '\n'
            });
        }
        while let Some(c) = chars.next() {
            if c != '\r' {
                out.push(c);
                continue;
            }
            match chars.peek() {
                Some('\n') => out.push('\r'),
                Some(_) => out.push('\n'),
                None if last => out.push('\n'),
                None => self.held_cr = true,
            }
        }
        *text = out;
    }
}

/// Reads the document at `path` (see [`super::document`]) and emits its passages in order,
/// each knowing its paragraph (as its line) and page; the notes say what was read but not
/// indexed. Stops when `emit` breaks.
pub fn read_document(
    path: &Path,
    kind: super::document::Kind,
    isolation: &super::document::Isolation,
    tail_chars: usize,
    emit: &mut Emit<'_>,
) -> Result<(ControlFlow<()>, Vec<String>), super::document::DocError> {
    let doc = super::document::read(path, kind, isolation)?;
    let (text, maps) = doc.to_text();
    let mut maps: std::collections::VecDeque<LineMap> = maps.into();
    let mut cutter = Cutter::new(tail_chars);
    let mut emit_mapped = |passage| {
        let mut passage = with_maps(&mut maps, passage);
        if let Some(line) = passage.origin.shown_line() {
            passage.line = line;
        }
        emit(passage)
    };
    let flow = match cutter.push(&text, &mut emit_mapped) {
        ControlFlow::Continue(()) => cutter.finish(&mut emit_mapped),
        stop => stop,
    };
    Ok((flow, doc.notes))
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

    /// A file of CR line ends (old Mac files) was one line.
    #[test]
    fn a_lone_cr_ends_a_line_and_crlf_stays_one() {
        let text = "标题\r\r第一段。\r第二行\r\n第三行\r";
        let mut passages = Vec::new();
        for chunk in [1usize, 2, 3, 1000] {
            passages.clear();
            let mut buf = vec![0u8; chunk];
            let _ = cut_stream(
                &mut text.as_bytes(),
                &mut buf,
                Format::Text,
                TextEncoding {
                    encoding: encoding_rs::UTF_8,
                },
                24,
                &mut |p| {
                    passages.push((p.line, p.text));
                    ControlFlow::Continue(())
                },
            )
            .unwrap();
            assert_eq!(
                passages,
                [
                    (1, "标题".to_string()),
                    (3, "第一段。第二行第三行".to_string())
                ],
                "chunks of {chunk}"
            );
        }
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
        let long: String = (0..400)
            .map(|i| format!("第{i}句很长的话，说了又说。"))
            .collect();
        let text = format!("{seed}\n{long}\n");
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
