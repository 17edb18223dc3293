//! Raw HTTP/1.1 over TCP, for requests no client library sends: repeated headers, odd
//! methods, oversized heads, bodies announced and never sent.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An answer read off the wire.
#[derive(Debug)]
pub struct RawReply {
    pub status: u16,
    pub head: String,
    pub body: Value,
}

impl RawReply {
    /// The `error.field` of a JSON error.
    pub fn field(&self) -> &str {
        self.body["error"]["field"].as_str().unwrap_or_default()
    }
    /// The `error.code` of a JSON error.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }
}

/// `host:port` of a `http://host:port` base.
pub fn address(base: &str) -> String {
    base.trim_start_matches("http://").to_owned()
}

/// Sends `request` as is on a new connection and reads until the server closes it (ask for
/// `Connection: close`), at most 10 s.
pub async fn exchange(base: &str, request: &[u8]) -> RawReply {
    let mut stream = TcpStream::connect(address(base)).await.expect("connect");
    // The server may answer and close before reading all of a large request.
    let _ = stream.write_all(request).await;
    let Some(bytes) = read_to_close(&mut stream, Duration::from_secs(10)).await else {
        let line =
            String::from_utf8_lossy(request.split(|b| *b == b'\n').next().unwrap_or_default());
        panic!("no answer and close within 10 s to {line}");
    };
    parse(&bytes)
        .unwrap_or_else(|| panic!("not an HTTP answer: {:?}", String::from_utf8_lossy(&bytes)))
}

/// Everything the server sends until it closes the connection; `None` if it has not closed
/// within `limit`.
pub async fn read_to_close(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    let read = tokio::time::timeout(limit, async {
        let mut chunk = [0u8; 8192];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    read.ok().map(|()| bytes)
}

/// Reads one answer with a `Content-Length` from a connection kept open.
pub async fn read_one(stream: &mut TcpStream) -> RawReply {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(reply) = parse(&bytes).filter(|r| complete(&bytes, r)) {
            return reply;
        }
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .expect("an answer in time")
            .expect("read");
        assert!(
            n > 0,
            "closed before a full answer: {:?}",
            String::from_utf8_lossy(&bytes)
        );
        bytes.extend_from_slice(&chunk[..n]);
    }
}

fn complete(bytes: &[u8], reply: &RawReply) -> bool {
    let length = reply
        .head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().to_owned())
        })
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let head_end = reply.head.len() + 4;
    bytes.len() >= head_end + length
}

/// Splits status, head and JSON body (`Null` when empty or not JSON).
pub fn parse(bytes: &[u8]) -> Option<RawReply> {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some(RawReply {
        status,
        head: head.to_owned(),
        body: serde_json::from_str(body).unwrap_or(Value::Null),
    })
}
