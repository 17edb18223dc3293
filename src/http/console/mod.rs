//! The console at `/console`: a web page for hosting staff and security teams to see who may
//! do what on an account, and why. Same binary, no build step: the page, its script, its
//! style sheet and its icon (`assets/`) are compiled in with `include_str!`.
//!
//! The page is public HTML with no secret in it. It asks for the admin token, keeps it in
//! the tab's `sessionStorage` and sends it as `Authorization: Bearer` to the JSON routes
//! under `/v1/console/` (and to the existing management routes); it never puts it in a URL.
//! Every console response, the edge layer's refusals included, carries a strict
//! Content-Security-Policy: no inline script or style, nothing loaded from elsewhere, no
//! framing.
//!
//! # Layout
//! - this file: the page, its assets (the icon also at `/favicon.ico`), the security
//!   headers, the routers.
//! - `routes`: the JSON routes, each calling one use case of [`crate::app::console`].

mod routes;

use axum::http::header::{self, HeaderValue};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::http::AppState;

/// The console's Content-Security-Policy: only this origin's own script, style and JSON.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");
const FAVICON_SVG: &str = include_str!("assets/favicon.svg");

/// The page and its assets; public (they hold no secret). The icon is also served at
/// `/favicon.ico`, where browsers and crawlers look for one unasked (SVG under that name:
/// browsers go by the content type).
pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/console", get(index))
        .route("/console/", get(index))
        .route("/console/app.js", get(script))
        .route("/console/app.css", get(style))
        .route("/console/favicon.svg", get(icon))
        .route("/favicon.ico", get(icon))
}

/// The JSON routes the page calls. The caller wraps them in the admin-token check.
pub fn api() -> Router<AppState> {
    Router::new()
        .route("/v1/console/find", get(routes::find))
        .route(
            "/v1/console/accounts/{id}/services",
            get(routes::service_assignments),
        )
        .route("/v1/console/accounts/{id}/matrix", get(routes::matrix))
        .route("/v1/console/explain", post(routes::explain))
        .route("/v1/console/policies", get(routes::policies))
        .route("/v1/console/policies/draft", post(routes::draft))
}

/// Whether a route is the console's: its page, its assets or its JSON routes.
pub fn is_console_route(route: &str) -> bool {
    route == "/console" || route.starts_with("/console/") || route.starts_with("/v1/console/")
}

/// Gives a console answer the CSP and its companions. The edge layer calls it for every
/// answer on a console route, its own refusals (`401`, ...) included.
pub fn secure(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

async fn index() -> Response {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

async fn style() -> Response {
    asset("text/css; charset=utf-8", APP_CSS)
}

async fn icon() -> Response {
    asset("image/svg+xml", FAVICON_SVG)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}
