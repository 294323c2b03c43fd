//! The two halves of one HTTP exchange as a stand-in for a cluster node sees them: the tests
//! in `tests/` and sou's own unit tests (`src/cluster`, through `#[path]`) share them.

use std::io::{Read, Write};
use std::net::TcpStream;

/// Reads one request from `stream`: its head, lowercased, and its body. The body is read too:
/// a socket closed with unread bytes is reset, not answered.
pub fn read_request(stream: &mut TcpStream) -> (String, Vec<u8>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_lowercase();
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length: "))
        .and_then(|n| n.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).unwrap();
    (head, body)
}

/// Answers on `stream` with `status` (`200 OK`) and the JSON `body`, and closes.
pub fn write_answer(stream: &mut TcpStream, status: &str, body: &str) {
    let answer = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(answer.as_bytes()).unwrap();
}
