//! [`ServeLimits`]: what one client may hold or send, and how long it may take. The server
//! enforces the connection count; each connection its clocks and sizes (`connection`).

use std::time::Duration;

/// Limits on what one client may hold or send. The defaults are far above what a portal does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// A request head must arrive in full this long after its first byte (or, for a new
    /// connection, after the connection opened).
    pub header_timeout: Duration,
    /// A request body must arrive in full this long after its head; then `408`.
    pub body_timeout: Duration,
    /// A connection with nothing in flight and no new request for this long is closed.
    pub idle_timeout: Duration,
    /// Connections open at once; past it, the server stops accepting until one closes.
    pub max_connections: usize,
    /// Longest request line (method, target, version); longer is `414`.
    pub max_request_line: usize,
    /// Most bytes of header lines in one request; more is `431`.
    pub max_header_bytes: usize,
    /// Most header lines in one request; more is `431`.
    pub max_headers: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            max_request_line: 8 * 1024,
            max_header_bytes: 16 * 1024,
            max_headers: 100,
        }
    }
}
