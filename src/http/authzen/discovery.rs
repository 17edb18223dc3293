//! `GET /.well-known/authzen-configuration`: the AuthZEN metadata document. Public, as
//! well-known metadata is by convention (OAuth's, RFC 8414): it names endpoints, each of
//! which still needs a token. The base URL is the one [`ServerUrl`](crate::http::ServerUrl)
//! resolves: a trusted proxy's forwarded headers, else `--public-url`, else `Host`.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Result;
use crate::http::openapi::ApiErrors;
use crate::http::AppState;

/// The AuthZEN Policy Decision Point metadata.
#[derive(Debug, Serialize, ToSchema)]
pub struct PdpMetadata {
    /// This PDP's base URL.
    policy_decision_point: String,
    /// `POST` one decision.
    access_evaluation_endpoint: String,
    /// `POST` many decisions.
    access_evaluations_endpoint: String,
    /// `POST` which subjects may.
    search_subject_endpoint: String,
    /// `POST` which resources a subject may act on.
    search_resource_endpoint: String,
    /// `POST` which actions a subject may do on a resource.
    search_action_endpoint: String,
}

/// `GET /.well-known/authzen-configuration` (no token): where each AuthZEN endpoint is. A
/// host to name that is not a plain host name or address is a `400` naming `Host`.
#[utoipa::path(get, path = "/.well-known/authzen-configuration", tag = "authzen", security(()),
    responses((status = 200, description = "The PDP metadata", body = PdpMetadata), ApiErrors))]
pub async fn configuration(
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<PdpMetadata>> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip());
    let base = state.server_url.resolve(peer, request.headers())?;
    let at = |path: &str| format!("{base}{path}");
    Ok(Json(PdpMetadata {
        access_evaluation_endpoint: at("/access/v1/evaluation"),
        access_evaluations_endpoint: at("/access/v1/evaluations"),
        search_subject_endpoint: at("/access/v1/search/subject"),
        search_resource_endpoint: at("/access/v1/search/resource"),
        search_action_endpoint: at("/access/v1/search/action"),
        policy_decision_point: base,
    }))
}
