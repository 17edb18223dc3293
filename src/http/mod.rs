//! The HTTP API (axum): [`app`] builds the router over an [`AppState`], [`serve`] runs it on
//! a bound listener until a shutdown signal (`server` and `connection`: hyper with timeouts
//! and a connection cap; `edge`, the one layer around every route: size limits, one JSON
//! shape for every error, and through `observe` request ids, tracing and metrics; `extract`:
//! bodies read within [`MAX_BODY_BYTES`]; `limits`: what one client may hold or send).
//!
//! Adapters only: one file per resource, with its own request and response bodies (so a
//! store column can be renamed without changing the API); every handler reads as parse →
//! one use case of [`crate::app`] → answer. `authzen/` and `console/` are adapters too.

pub(crate) mod accounts;
mod agents;
mod api_keys;
mod audit;
mod auth;
mod authzen;
mod check;
mod connection;
pub mod console;
mod contacts;
mod edge;
#[cfg(test)]
mod edge_props;
pub(crate) mod extract;
mod invitations;
mod limits;
mod members;
mod observe;
mod openapi;
mod ops;
mod roles;
mod security;
mod server;
mod server_url;
mod services;
mod support;
mod tokens;
pub(crate) mod users;

use std::sync::Arc;

use axum::{middleware, Router};
use tower::util::MapResponseLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use connection::BodyTimedOut;
pub use edge::PUBLIC_ROUTES;
pub use limits::ServeLimits;
pub use server::{serve, serve_with};
pub use server_url::ServerUrl;
pub use tokens::from_settings as tokens_from_settings;
pub use tokens::{Tokens, MIN_TOKEN_LEN};

use crate::app::App;
use crate::error::Error;

/// Largest request body accepted (a full batch of checks with entities fits).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler can reach: the application and what only HTTP needs. One pointer:
/// every layer and handler clones it per request.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The parts of [`AppState`].
#[derive(Clone)]
pub struct Shared {
    /// The use cases, and through them the store, the caches and the policies.
    pub app: App,
    /// Accepted bearer tokens.
    pub tokens: Arc<Tokens>,
    /// How this server names its own URL (the AuthZEN metadata).
    pub server_url: Arc<ServerUrl>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// The application served with these tokens.
    pub fn new(app: App, tokens: Tokens) -> Self {
        AppState(Arc::new(Shared {
            app,
            tokens: Arc::new(tokens),
            server_url: Arc::default(),
        }))
    }

    /// The same state naming its URL as `server_url` says (default: the `Host` header).
    pub fn with_server_url(mut self, server_url: ServerUrl) -> Self {
        Arc::make_mut(&mut self.0).server_url = Arc::new(server_url);
        self
    }
}

/// The router: check routes (check or admin token), management routes (admin token),
/// operations, and `/openapi.json` describing them all.
pub fn app(state: AppState) -> Router {
    let tokens = Arc::clone(&state.tokens);
    let routes = Router::from(api_router())
        .merge(console_router())
        .fallback(|| async { Error::NotFound("route".into()) })
        .with_state(state)
        .layer(middleware::from_fn_with_state(tokens, edge::edge));
    // The router writes a 405's `Allow` header outside its routes' layers, so the message
    // listing the same methods is written around the whole router.
    Router::new()
        .fallback_service(routes)
        .layer(MapResponseLayer::new(edge::name_allowed_methods))
}

/// The OpenAPI document, as served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_router().into_openapi()
}

/// Every route with its OpenAPI entry, registered together so they cannot drift apart.
/// The edge layer authenticates all but [`edge::PUBLIC_ROUTES`].
fn api_router() -> OpenApiRouter<AppState> {
    let check_routes = OpenApiRouter::new()
        .routes(routes!(check::check))
        .routes(routes!(check::batch))
        .routes(routes!(check::allowed_actions))
        .routes(routes!(api_keys::verify))
        .routes(routes!(ops::metrics))
        .merge(authzen::routes());
    let admin_routes = OpenApiRouter::new()
        .routes(routes!(users::create))
        .routes(routes!(users::show, users::update, users::remove))
        .routes(routes!(users::accounts))
        .routes(routes!(users::activate))
        .routes(routes!(users::suspend))
        .routes(routes!(accounts::create))
        .routes(routes!(accounts::show, accounts::update))
        .routes(routes!(accounts::transfer))
        .routes(routes!(audit::account))
        .routes(routes!(audit::user))
        .routes(routes!(members::list))
        .routes(routes!(members::put, members::remove))
        .routes(routes!(members::preferences))
        .routes(routes!(roles::list))
        .routes(routes!(roles::put, roles::remove))
        .routes(routes!(roles::presets))
        .routes(routes!(security::show, security::put))
        .routes(routes!(security::reset))
        .routes(routes!(api_keys::create, api_keys::list))
        .routes(routes!(api_keys::show, api_keys::revoke))
        .routes(routes!(support::grant, support::list))
        .routes(routes!(support::revoke))
        .routes(routes!(agents::create, agents::list))
        .routes(routes!(agents::show, agents::update, agents::remove))
        .routes(routes!(services::show, services::put, services::clear))
        .routes(routes!(invitations::create, invitations::list))
        .routes(routes!(invitations::accept))
        .routes(routes!(invitations::resend))
        .routes(routes!(invitations::cancel))
        .routes(routes!(contacts::create, contacts::list))
        .routes(routes!(contacts::show, contacts::update, contacts::remove))
        .routes(routes!(contacts::recipients))
        .routes(routes!(ops::reload))
        .route_layer(middleware::from_fn(auth::require_admin));
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(check_routes)
        .merge(admin_routes)
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::openapi_document))
}

/// The console (`/console`): its page and assets are public; the JSON routes it calls need
/// the admin token. The edge layer gives every console answer its security headers.
fn console_router() -> Router<AppState> {
    crate::http::console::api()
        .route_layer(middleware::from_fn(auth::require_admin))
        .merge(crate::http::console::pages())
}

/// How long requests in flight may take to finish once shutdown starts.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
