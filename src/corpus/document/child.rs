//! PDFs read in a process of their own: a reader process, the sou executable run with
//! [`SERVE_ARGUMENT`], caps its own memory and reads the PDFs whose paths its parent sends,
//! answering each with its text (or why not) as JSON. Each thread that reads documents (a
//! build's workers) keeps one reader for its life, so a folder of a thousand PDFs costs a few
//! process starts, not a thousand (5 ms each, as much as reading a short PDF).
//!
//! The parent bounds each document's time and kills the reader past it; a reader that dies
//! (a stack overflow, an abort, the memory cap) costs the document it was reading. Since a
//! reader that has read other files may die of what they left (memory its allocator kept), a
//! document that kills a reader is read once more by a fresh one before it is reported. A reader
//! is replaced after [`FILES_PER_READER`] documents for the same reason.
//!
//! Messages are frames: a 4-byte little-endian length, then that many bytes — a path's bytes
//! from the parent, JSON from the reader.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::{DocError, DocText, Kind, MAX_PDF_MEMORY_BYTES, PDF_TIME_BASE, read_here};

/// The argument that makes the sou executable a reader process for its parent (not a command
/// for people).
pub const SERVE_ARGUMENT: &str = "--read-documents";

/// The argument that makes the sou executable read one PDF and print its text as JSON: what
/// `scripts/documents.py` times against `pdftotext`, one process a file.
pub const CHILD_ARGUMENT: &str = "--read-document";

/// The environment a reader runs in: mimalloc commits its arena at once, so that a process
/// that allocates much in little time is not slowed by many small commits.
pub const CHILD_ENVIRONMENT: [(&str, &str); 1] = [("MIMALLOC_ARENA_EAGER_COMMIT", "1")];

/// Documents a reader reads before it is replaced.
pub const FILES_PER_READER: u32 = 200;

/// Most bytes of one frame a reader accepts as a path.
const MAX_PATH_FRAME: u32 = 64 * 1024;

thread_local! {
    /// This thread's reader, started by its first PDF.
    static READER: RefCell<Option<Reader>> = const { RefCell::new(None) };
}

/// A reader process and what reads its answers.
struct Reader {
    exe: PathBuf,
    child: Child,
    /// `None` once the reader is stopping (dropping it closes the reader's input).
    input: Option<ChildStdin>,
    /// Its answers, frame by frame; `None` when its output ended.
    answers: mpsc::Receiver<Option<Vec<u8>>>,
    served: u32,
}

impl Reader {
    fn start(exe: &Path) -> Result<Reader, DocError> {
        let mut child = Command::new(exe)
            .arg(SERVE_ARGUMENT)
            .envs(CHILD_ENVIRONMENT.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| DocError::Unreadable(format!("the reader could not start ({e})")))?;
        let input = child.stdin.take();
        let mut output = child.stdout.take();
        let (send, answers) = mpsc::channel();
        // Answers are read as they come, so that a large one never fills the pipe while the
        // parent waits with a deadline.
        std::thread::spawn(move || {
            while let Some(frame) = output.as_mut().and_then(|out| read_frame(out, u32::MAX)) {
                if send.send(Some(frame)).is_err() {
                    return;
                }
            }
            let _ = send.send(None);
        });
        Ok(Reader {
            exe: exe.to_path_buf(),
            child,
            input,
            answers,
            served: 0,
        })
    }

    /// Sends `path` and waits at most `limit` for its answer.
    fn ask(&mut self, path: &Path, limit: Duration) -> Answer {
        let sent = self
            .input
            .as_mut()
            .is_some_and(|input| write_frame(input, &path_bytes(path)).is_ok());
        if !sent {
            return Answer::Died;
        }
        self.served += 1;
        match self.answers.recv_timeout(limit) {
            Ok(Some(bytes)) => Answer::Read(
                serde_json::from_slice::<Result<DocText, DocError>>(&bytes).unwrap_or_else(|e| {
                    Err(DocError::Unreadable(format!("the reader's answer: {e}")))
                }),
            ),
            Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => Answer::Died,
            Err(mpsc::RecvTimeoutError::Timeout) => Answer::TimedOut,
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        // A reader between two documents ends when its input closes; one that is not (timed
        // out, or dying) is killed.
        self.input = None;
        if !matches!(self.child.try_wait(), Ok(Some(_))) {
            let ended = (0..100).any(|_| {
                std::thread::sleep(Duration::from_millis(2));
                matches!(self.child.try_wait(), Ok(Some(_)))
            });
            if !ended {
                let _ = self.child.kill();
            }
        }
        let _ = self.child.wait();
    }
}

enum Answer {
    Read(Result<DocText, DocError>),
    Died,
    TimedOut,
}

/// Reads the PDF at `path` in this thread's reader process, which runs `exe` (see the module
/// documentation).
pub fn read_in_child(exe: &Path, path: &Path) -> Result<DocText, DocError> {
    let size_mb = std::fs::metadata(path).map_or(0, |m| m.len() / (1024 * 1024));
    let limit = PDF_TIME_BASE + Duration::from_secs(size_mb);
    READER.with(|slot| {
        let mut slot = slot.borrow_mut();
        for attempt in 0..2 {
            let mut reader = match slot.take() {
                Some(reader) if reader.exe == exe && reader.served < FILES_PER_READER => reader,
                _ => Reader::start(exe)?,
            };
            let fresh = reader.served == 0;
            match reader.ask(path, limit) {
                Answer::Read(result) => {
                    *slot = Some(reader);
                    return result;
                }
                Answer::TimedOut => {
                    return Err(DocError::Unreadable(format!(
                        "reading it took longer than {} s",
                        limit.as_secs()
                    )));
                }
                // A fresh reader that dies died of this file; one that had read others is
                // replaced and the file read once more.
                Answer::Died if fresh || attempt == 1 => break,
                Answer::Died => {}
            }
        }
        Err(DocError::Unreadable(
            "the reader stopped (out of memory, or the file crashed it)".into(),
        ))
    })
}

/// What a reader process runs (see [`SERVE_ARGUMENT`]): caps its own memory, then reads each
/// PDF whose path comes on `input` and writes its text (or why not) to `out`, until `input`
/// ends.
pub fn serve_children(input: &mut dyn Read, out: &mut dyn Write) -> std::io::Result<()> {
    cap_memory();
    while let Some(frame) = read_frame(input, MAX_PATH_FRAME) {
        write_frame(out, &answer(&path_of_bytes(frame))?)?;
    }
    Ok(())
}

/// What `sou --read-document PATH` runs: the one PDF's text, or why not, as JSON on `out`.
pub fn serve_one(path: &Path, out: &mut dyn Write) -> std::io::Result<()> {
    cap_memory();
    out.write_all(&answer(path)?)?;
    out.flush()
}

/// The PDF's text, or why it cannot be read, as JSON.
fn answer(path: &Path) -> std::io::Result<Vec<u8>> {
    serde_json::to_vec(&read_here(path, Kind::Pdf)).map_err(std::io::Error::other)
}

fn cap_memory() {
    #[cfg(unix)]
    {
        let limit = libc::rlimit {
            rlim_cur: MAX_PDF_MEMORY_BYTES as libc::rlim_t,
            rlim_max: MAX_PDF_MEMORY_BYTES as libc::rlim_t,
        };
        // SAFETY: setrlimit reads a valid rlimit; lowering this process's own limit is safe.
        unsafe {
            libc::setrlimit(libc::RLIMIT_AS, &limit);
        }
    }
}

/// A frame's bytes; `None` at the end of the stream, on a short read or past `max` bytes.
fn read_frame(input: &mut dyn Read, max: u32) -> Option<Vec<u8>> {
    let mut length = [0u8; 4];
    input.read_exact(&mut length).ok()?;
    let length = u32::from_le_bytes(length);
    if length > max {
        return None;
    }
    let mut bytes = vec![0u8; length as usize];
    input.read_exact(&mut bytes).ok()?;
    Some(bytes)
}

fn write_frame(out: &mut dyn Write, bytes: &[u8]) -> std::io::Result<()> {
    let length = u32::try_from(bytes.len()).map_err(std::io::Error::other)?;
    out.write_all(&length.to_le_bytes())?;
    out.write_all(bytes)?;
    out.flush()
}

/// A path as bytes, exactly (a name that is not UTF-8 too, on Unix).
fn path_bytes(path: &Path) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().as_bytes().to_vec()
    }
}

fn path_of_bytes(bytes: Vec<u8>) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        PathBuf::from(std::ffi::OsString::from_vec(bytes))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_carry_any_bytes_and_a_short_or_long_one_ends_the_stream() {
        let mut stream = Vec::new();
        write_frame(&mut stream, b"/tmp/\xE9t\xE9.pdf").unwrap();
        write_frame(&mut stream, b"").unwrap();
        let mut input = stream.as_slice();
        assert_eq!(
            read_frame(&mut input, 100).as_deref(),
            Some(&b"/tmp/\xE9t\xE9.pdf"[..])
        );
        assert_eq!(read_frame(&mut input, 100).as_deref(), Some(&b""[..]));
        assert_eq!(read_frame(&mut input, 100), None);
        let mut long = Vec::new();
        write_frame(&mut long, &[b'x'; 101]).unwrap();
        assert_eq!(read_frame(&mut long.as_slice(), 100), None);
        assert_eq!(read_frame(&mut &long[..10], 1000), None);
    }
}
