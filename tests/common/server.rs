//! A `sou serve` started by a test on a free port, and a client that speaks raw HTTP to it
//! (so that paths reach it exactly as written, `../` and all).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Workspace, sou};

/// A running `sou serve` and where it listens.
pub struct Server {
    child: Child,
    pub address: String,
    /// What it printed on stdout after the line with its address, read by a thread.
    lines: std::sync::Mutex<std::sync::mpsc::Receiver<String>>,
}

impl Server {
    /// Starts `sou serve --port 0 extra…` in `ws` and waits until it answers searches.
    pub fn start(ws: &Workspace, extra: &[&str]) -> Server {
        let mut child = sou()
            .args(["serve", "--port", "0"])
            .args(extra)
            .current_dir(ws.dir.path())
            .env("SOU_CACHE", ws.path(".sou-cache"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        let address = first
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("no address in {first:?}"))
            .to_string();
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                let _ = send.send(line);
            }
        });
        let server = Server {
            child,
            address,
            lines: std::sync::Mutex::new(lines),
        };
        server.wait_until_ready();
        server
    }

    /// Waits until the first sync has committed and searches answer.
    fn wait_until_ready(&self) {
        let started = Instant::now();
        while self.get("/api/search?q=x").status == 503 {
            assert!(started.elapsed() < Duration::from_secs(60), "never ready");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `GET target` with a Host of this machine.
    pub fn get(&self, target: &str) -> Answer {
        self.request(&format!(
            "GET {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.address
        ))
    }

    /// Sends `raw` as it is and reads the whole answer.
    pub fn request(&self, raw: &str) -> Answer {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        stream.write_all(raw.as_bytes()).unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).unwrap();
        Answer::parse(&bytes)
    }

    /// The next line the server prints on stdout, within `wait`.
    pub fn next_line(&self, wait: Duration) -> Option<String> {
        self.lines.lock().unwrap().recv_timeout(wait).ok()
    }

    /// Sends Ctrl-C and waits for the process: its exit status and stderr.
    pub fn interrupt(mut self) -> (Option<i32>, String) {
        let pid = self.child.id() as i32;
        // SAFETY: kill() is called with the pid of a child this test owns.
        unsafe { libc::kill(pid, libc::SIGINT) };
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "still running 10 s after Ctrl-C"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut err = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            let _ = stderr.read_to_string(&mut err);
        }
        (status.code(), err)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    fn parse(bytes: &[u8]) -> Answer {
        let text = String::from_utf8_lossy(bytes);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
            .collect();
        Answer {
            status,
            headers,
            body: body.to_string(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// `text` percent-encoded for a query string.
pub fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
