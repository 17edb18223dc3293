//! The HTTP API (axum): [`app`] builds the router over an [`AppState`], [`serve`] runs it on
//! a bound listener until a shutdown signal. One file per resource; every handler reads as
//! parse → authorize (through Cedar) → one store call → answer.

mod accounts;
mod auth;
mod check;
mod contacts;
mod extract;
mod invitations;
mod members;
mod ops;
mod services;
mod users;

use std::future::Future;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::{middleware, Router};
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use auth::Tokens;

use crate::authz::LivePolicies;
use crate::cache::DecisionCache;
use crate::check::Checker;
use crate::error::Error;
use crate::store::Store;

/// How long invitation tokens live unless configured otherwise: 7 days.
pub const DEFAULT_INVITATION_TTL: std::time::Duration =
    std::time::Duration::from_secs(7 * 24 * 3600);

/// Largest request body accepted (a full batch of checks with entities fits).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The check pipeline (and through it the store, the cache and the policies).
    pub checker: Checker,
    /// Accepted bearer tokens.
    pub tokens: Arc<Tokens>,
    /// How long a new or resent invitation token stays valid.
    pub invitation_ttl: std::time::Duration,
    /// The policy set in force and its reloading.
    pub policies: Arc<LivePolicies>,
}

impl AppState {
    /// Wires a store, the live policy set, a cache and the tokens together.
    pub fn new(
        store: Store,
        policies: Arc<LivePolicies>,
        cache: DecisionCache,
        tokens: Tokens,
    ) -> Self {
        AppState {
            checker: Checker::new(store, cache, policies.current()),
            tokens: Arc::new(tokens),
            invitation_ttl: DEFAULT_INVITATION_TTL,
            policies,
        }
    }

    /// The same state with another invitation lifetime.
    pub fn with_invitation_ttl(mut self, ttl: std::time::Duration) -> Self {
        self.invitation_ttl = ttl;
        self
    }
}

/// The router: check routes (check or admin token), management routes (admin token),
/// and the unauthenticated health routes.
pub fn app(state: AppState) -> Router {
    let check_routes = Router::new()
        .route("/v1/check", post(check::check))
        .route("/v1/check/batch", post(check::batch))
        .route("/v1/allowed-actions", post(check::allowed_actions));
    let admin_routes = Router::new()
        .route("/v1/users", post(users::create))
        .route(
            "/v1/users/{id}",
            get(users::show).patch(users::update).delete(users::remove),
        )
        .route("/v1/users/{id}/accounts", get(users::accounts))
        .route("/v1/users/{id}/activate", post(users::activate))
        .route("/v1/users/{id}/suspend", post(users::suspend))
        .route("/v1/accounts", post(accounts::create))
        .route(
            "/v1/accounts/{id}",
            get(accounts::show).patch(accounts::update),
        )
        .route("/v1/accounts/{id}/members", get(members::list))
        .route(
            "/v1/accounts/{id}/members/{user}",
            put(members::put).delete(members::remove),
        )
        .route(
            "/v1/accounts/{id}/services/{service}",
            get(services::show)
                .put(services::put)
                .delete(services::clear),
        )
        .route(
            "/v1/accounts/{id}/members/{user}/preferences",
            put(members::preferences),
        )
        .route(
            "/v1/accounts/{id}/transfer-ownership",
            post(accounts::transfer),
        )
        .route(
            "/v1/accounts/{id}/invitations",
            post(invitations::create).get(invitations::list),
        )
        .route("/v1/invitations/accept", post(invitations::accept))
        .route("/v1/invitations/{iid}/resend", post(invitations::resend))
        .route(
            "/v1/invitations/{iid}",
            axum::routing::delete(invitations::cancel),
        )
        .route(
            "/v1/accounts/{id}/contacts",
            post(contacts::create).get(contacts::list),
        )
        .route(
            "/v1/accounts/{id}/contacts/{cid}",
            get(contacts::show)
                .patch(contacts::update)
                .delete(contacts::remove),
        )
        .route("/v1/accounts/{id}/recipients", get(contacts::recipients))
        .route("/v1/accounts/{id}/audit", get(accounts::audit))
        .route("/v1/admin/reload", post(ops::reload))
        .route_layer(middleware::from_fn(auth::require_admin));
    Router::new()
        .merge(check_routes)
        .merge(admin_routes)
        .route("/metrics", get(ops::metrics))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .fallback(|| async { Error::NotFound("route".into()) })
        .with_state(state)
        .layer(middleware::from_fn(ops::count_requests))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// Serves `app` on `listener` until `shutdown` completes, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

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
