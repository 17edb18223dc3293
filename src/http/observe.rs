//! Per-request observability, started and finished by the edge layer around every route:
//! the request id (the caller's `X-Request-Id`, or a new UUID) echoed on the answer, a
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
    /// Starts observing `request`: gives it an id when it has none.
    pub(super) fn start(request: &mut Request) -> Self {
        let started = Instant::now();
        let id = match request.headers().get(&X_REQUEST_ID) {
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
