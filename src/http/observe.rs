//! Per-request observability, started and finished by the edge layer around every route:
//! the request id echoed on the answer (the caller's `X-Request-Id` when it is at most
//! [`MAX_REQUEST_ID_LEN`] characters of `A-Z a-z 0-9 . _ : -`, else a new UUID, so what a
//! client sends cannot fill logs or answers with kilobytes or raw bytes), a
//! tracing span carrying it (built only when a subscriber wants it), a log line for every
//! `5xx`, and the request metrics by method, matched route and status.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::response::Response;
use tracing::Span;

use crate::telemetry;

/// The header carrying the request id.
pub(super) const REQUEST_ID_HEADER: &str = "x-request-id";

/// The longest request id echoed; a longer one is replaced.
pub(super) const MAX_REQUEST_ID_LEN: usize = 128;

static X_REQUEST_ID: HeaderName = HeaderName::from_static(REQUEST_ID_HEADER);

/// A request being observed, from its arrival to its answer.
pub(super) struct Observed {
    started: Instant,
    id: HeaderValue,
    method: &'static str,
    route: Option<MatchedPath>,
    span: Span,
}

impl Observed {
    /// Starts observing `request`: gives it a new id when it has none or one not echoed.
    pub(super) fn start(request: &mut Request) -> Self {
        let started = Instant::now();
        let sent = request.headers().get(&X_REQUEST_ID);
        let id = match sent.filter(|id| is_plain_id(id.as_bytes())) {
            Some(id) => id.clone(),
            None => {
                let id = new_request_id();
                request
                    .headers_mut()
                    .insert(X_REQUEST_ID.clone(), id.clone());
                id
            }
        };
        let span = tracing::debug_span!("request", method = %request.method(), uri = %request.uri(), request_id = ?id);
        Observed {
            started,
            id,
            method: method_label(request.method()),
            route: request.extensions().get::<MatchedPath>().cloned(),
            span,
        }
    }

    /// The route the request matched, if any.
    pub(super) fn route(&self) -> Option<&str> {
        self.route.as_ref().map(MatchedPath::as_str)
    }

    /// The request's span, for what runs on its behalf.
    pub(super) fn span(&self) -> Span {
        self.span.clone()
    }

    /// Logs a failure, counts the request and echoes its id on `response`.
    pub(super) fn finish(self, mut response: Response) -> Response {
        let status = response.status();
        if status.is_server_error() {
            let elapsed = self.started.elapsed().as_secs_f64() * 1000.0;
            self.span.in_scope(|| {
                tracing::error!(
                    status = status.as_u16(),
                    latency_ms = elapsed,
                    "response failed"
                )
            });
        }
        telemetry::http_request(
            self.method,
            self.route().unwrap_or("unmatched"),
            status.as_u16(),
            self.started.elapsed(),
        );
        response
            .headers_mut()
            .entry(&X_REQUEST_ID)
            .or_insert(self.id);
        response
    }
}

/// Whether a caller's request id is echoed: 1 to [`MAX_REQUEST_ID_LEN`] bytes of letters,
/// digits, `.`, `_`, `:` and `-` (a UUID, a trace id, `host:pid:seq` all fit).
fn is_plain_id(id: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// A new request id: a UUID (version 7, so ids sort by time).
fn new_request_id() -> HeaderValue {
    let mut text = uuid::Uuid::encode_buffer();
    let text = uuid::Uuid::now_v7().hyphenated().encode_lower(&mut text);
    HeaderValue::from_str(text).expect("a UUID is a valid header value")
}

/// The method as a metric label: the standard ones by name, anything else `other`, so what
/// a client sends cannot add label values (each is a series kept for the process's life).
fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::{is_plain_id, MAX_REQUEST_ID_LEN};

    #[test]
    fn only_short_plain_ids_are_echoed() {
        for id in [
            "meta-1",
            "0190b2c4-7d3e-7c1a-9f00-123456789abc",
            "host:42:7",
            "a.b_c",
        ] {
            assert!(is_plain_id(id.as_bytes()), "{id}");
        }
        let longest = "x".repeat(MAX_REQUEST_ID_LEN);
        assert!(is_plain_id(longest.as_bytes()));
        let too_long = "x".repeat(MAX_REQUEST_ID_LEN + 1);
        for id in [
            &b""[..],
            b"has space",
            b"caf\xe9",
            b"a;b",
            b"<x>",
            too_long.as_bytes(),
        ] {
            assert!(!is_plain_id(id), "{id:?}");
        }
    }
}
