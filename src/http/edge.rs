//! The edge layer, the one middleware around every route (one, because each layer costs
//! every check a boxed service and future). It observes the request (`observe`: id, span,
//! metrics); refuses a request line or header section past the [`ServeLimits`] (`414`,
//! `431`), a body announced larger than allowed (`413`, before waiting for it), and a header
//! Portier reads that is sent twice (`400`: which copy counts would depend on the reader);
//! authenticates every route but the [`PUBLIC_ROUTES`] (`401`), recording the token's
//! [`Scope`]; turns the bodiless errors the router makes itself (`404`, `413`, ...) into the
//! documented JSON error, so every error has one shape; and gives every answer on a console
//! route the console's security headers, its own refusals included. A `405` is the
//! exception: the router writes its `Allow` header only after this layer has seen the
//! answer, so [`name_allowed_methods`], wrapped around the whole router, makes its JSON.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use super::auth::{self, Scope, ACTOR_HEADER, AGENT_HEADER, CLIENT_IP_HEADER, MFA_HEADER};
use super::console;
use super::limits::ServeLimits;
use super::observe::{Observed, REQUEST_ID_HEADER};
use super::Tokens;
use crate::error::Error;

/// The routes anyone may call without a token: the probes, the API's description, the
/// AuthZEN metadata (well-known metadata is public by convention; the endpoints it names are
/// not), the site icon, and the console's page and assets (the JSON routes the page calls
/// need the admin token). Every other route needs one, including any added later until it
/// is listed here; a path that matches no route goes on to the `404`.
pub const PUBLIC_ROUTES: [&str; 10] = [
    "/healthz",
    "/readyz",
    "/openapi.json",
    "/.well-known/authzen-configuration",
    "/favicon.ico",
    "/console",
    "/console/",
    "/console/app.js",
    "/console/app.css",
    "/console/favicon.svg",
];

/// Headers read by Portier that must appear at most once, with the name errors give them.
static SINGLE_HEADERS: [(HeaderName, &str); 7] = [
    (header::AUTHORIZATION, "Authorization"),
    (HeaderName::from_static(ACTOR_HEADER), "X-Portier-Actor"),
    (HeaderName::from_static(AGENT_HEADER), "X-Portier-Agent"),
    (HeaderName::from_static(MFA_HEADER), "X-Portier-MFA"),
    (
        HeaderName::from_static(CLIENT_IP_HEADER),
        "X-Portier-Client-IP",
    ),
    (header::CONTENT_TYPE, "Content-Type"),
    (HeaderName::from_static(REQUEST_ID_HEADER), "X-Request-Id"),
];

/// Middleware: observes the request, refuses it as above or runs the route, and gives an
/// error answer the JSON shape.
pub async fn edge(State(tokens): State<Arc<Tokens>>, mut request: Request, next: Next) -> Response {
    let observed = Observed::start(&mut request);
    let limits = request
        .extensions()
        .get::<ServeLimits>()
        .copied()
        .unwrap_or_default();
    let refusal = within_limits(&request, &limits)
        .and_then(|()| single_headers(request.headers()))
        .and_then(|()| authenticate(&mut request, observed.route(), &tokens));
    let mut response = match refusal {
        Err(refusal) => refusal.into_response(),
        Ok(()) => {
            let method = request.method().clone();
            let answer = next.run(request).instrument(observed.span()).await;
            as_json_error(answer, &method)
        }
    };
    if observed.route().is_some_and(console::is_console_route) {
        console::secure(response.headers_mut());
    }
    observed.finish(response)
}

/// `414` for a request line longer than allowed, `413` for a `Content-Length` over the body
/// limit, `431` for too many or too large headers.
fn within_limits(request: &Request, limits: &ServeLimits) -> Result<(), Error> {
    let uri = request.uri();
    let target = uri.path_and_query().map_or(1, |p| p.as_str().len())
        + uri.authority().map_or(0, |a| a.as_str().len());
    // "METHOD SP target SP HTTP/1.1"
    let line = request.method().as_str().len() + target + 10;
    if line > limits.max_request_line {
        return Err(Error::Refused {
            status: StatusCode::URI_TOO_LONG,
            field: "uri".into(),
            message: format!(
                "the request line is longer than {} bytes",
                limits.max_request_line
            ),
        });
    }
    let headers = request.headers();
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|length| length > super::MAX_BODY_BYTES as u64) {
        return Err(Error::Refused {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            field: "body".into(),
            message: format!("larger than {} bytes", super::MAX_BODY_BYTES),
        });
    }
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if headers.len() > limits.max_headers || bytes > limits.max_header_bytes {
        return Err(Error::Refused {
            status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            field: "headers".into(),
            message: format!(
                "at most {} header lines of {} bytes in all",
                limits.max_headers, limits.max_header_bytes
            ),
        });
    }
    Ok(())
}

/// Records the token's [`Scope`] on a request to a route that is not public, or `401`.
fn authenticate(request: &mut Request, route: Option<&str>, tokens: &Tokens) -> Result<(), Error> {
    if route.is_none_or(|route| PUBLIC_ROUTES.contains(&route)) {
        return Ok(());
    }
    let scope: Scope = auth::scope(request.headers(), tokens)?;
    request.extensions_mut().insert(scope);
    Ok(())
}

/// `400` naming a header Portier reads that was sent more than once.
fn single_headers(headers: &HeaderMap) -> Result<(), Error> {
    for (name, shown) in &SINGLE_HEADERS {
        if headers.get_all(name).iter().nth(1).is_some() {
            return Err(Error::bad_field(*shown, "must be sent at most once"));
        }
    }
    Ok(())
}

/// The method of a `405` the edge let through for [`name_allowed_methods`] to explain.
#[derive(Debug, Clone)]
struct NotAllowed(Method);

/// An error answer without a JSON body becomes the JSON error for its status; its other
/// headers are kept. A `405` is only marked with its method: its `Allow` header comes later.
fn as_json_error(mut response: Response, method: &Method) -> Response {
    let status = response.status();
    if is_json(&response) || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    if status == StatusCode::METHOD_NOT_ALLOWED {
        response.extensions_mut().insert(NotAllowed(method.clone()));
        return response;
    }
    let (field, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ("body", "the body is too large".to_owned()),
        other => (
            "request",
            other.canonical_reason().unwrap_or("refused").to_owned(),
        ),
    };
    replace_body(response, status, field, message)
}

/// Around the whole router: a `405` the edge marked becomes the JSON error naming the
/// methods of its `Allow` header, which the router has written by now.
pub(super) fn name_allowed_methods(mut response: Response) -> Response {
    let Some(NotAllowed(method)) = response.extensions_mut().remove::<NotAllowed>() else {
        return response;
    };
    if is_json(&response) {
        return response;
    }
    let allowed = response
        .headers()
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let message = format!("{method} is not allowed here; allowed: {allowed}");
    replace_body(response, StatusCode::METHOD_NOT_ALLOWED, "method", message)
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"))
}

/// The JSON error for `status`, with the other headers of `response`.
fn replace_body(response: Response, status: StatusCode, field: &str, message: String) -> Response {
    let (parts, _) = response.into_parts();
    let mut answer = Error::Refused {
        status,
        field: field.into(),
        message,
    }
    .into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            answer.headers_mut().append(name.clone(), value.clone());
        }
    }
    answer
}
