//! Bodies that do not announce their length: past the limit they are refused as they
//! arrive, with the same `413` naming `body` as a body announced too large, on the native
//! and the AuthZEN routes alike.

use portier::http::MAX_BODY_BYTES;

use super::raw::exchange;
use crate::common::{client_area, TestApp, CHECK_TOKEN};

/// A chunked request whose chunks add up to `size` bytes of a JSON string.
fn chunked(path: &str, size: usize) -> Vec<u8> {
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: portier\r\nConnection: close\r\n\
         Authorization: Bearer {CHECK_TOKEN}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    let mut body = Vec::with_capacity(size);
    body.extend_from_slice(b"{\"note\":\"");
    body.resize(size - 2, b'x');
    body.extend_from_slice(b"\"}");
    for chunk in body.chunks(64 * 1024) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    request
}

#[tokio::test]
async fn unannounced_bodies_past_the_limit_are_refused_as_too_large() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    for path in ["/v1/check", "/v1/check/batch", "/access/v1/evaluation"] {
        let reply = exchange(&app.base, &chunked(path, MAX_BODY_BYTES + 1)).await;
        assert_eq!(
            (reply.status, reply.code(), reply.field()),
            (413, "payload_too_large", "body"),
            "{path}: {reply:?}"
        );
        // Just within the limit, the same body is read and refused for what it says.
        let reply = exchange(&app.base, &chunked(path, MAX_BODY_BYTES)).await;
        assert_eq!(reply.status, 400, "{path}: {reply:?}");
        assert_ne!(reply.field(), "body", "{path}: {reply:?}");
    }
}
