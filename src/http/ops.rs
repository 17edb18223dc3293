//! Operations: liveness and readiness (no token), metrics, and policy reload.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::openapi::ApiErrors;
use super::AppState;
use crate::error::Error;
use crate::telemetry;

/// Answer of `GET /healthz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    status: &'static str,
}

/// Answer of `GET /readyz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `unavailable`.
    status: &'static str,
    /// `ok` or `unavailable`.
    database: &'static str,
    /// What is wrong with the database, when it is unavailable.
    database_problem: Option<String>,
    /// `memory`, `ok` or `unavailable` (Redis); does not decide readiness.
    cache: &'static str,
    /// The policy set serving.
    policy_revision: String,
    /// Problems of the last policy reload, when it failed (the previous set keeps serving).
    policy_reload_error: Option<Vec<String>>,
    /// The set serving: its policy tests, and its invariants proven, violated or not checked.
    policy_assurance: crate::assurance::Assurance,
}

/// Answer of `POST /v1/admin/reload`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReloadAnswer {
    /// The policy set serving now.
    policy_revision: String,
    /// Whether it differs from the one before.
    changed: bool,
}

/// `GET /healthz`: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", security(()),
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// `GET /readyz`: `200` when the database answers and policies are loaded, else `503`.
/// The cache is reported but does not decide readiness: without it checks are slower, not wrong.
#[utoipa::path(get, path = "/readyz", tag = "operations", security(()),
    responses((status = 200, description = "Ready", body = Readiness), (status = 503, description = "Not ready", body = Readiness)))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let (database, cache) = tokio::join!(
        state.app.store().ping(),
        state.app.checker().cache().status()
    );
    let ready = database.is_ok();
    let body = Readiness {
        status: if ready { "ready" } else { "unavailable" },
        database: if ready { "ok" } else { "unavailable" },
        database_problem: database.err().map(|err| match err {
            Error::Unavailable(problem) => problem,
            _ => "the database does not answer".to_owned(),
        }),
        cache,
        policy_revision: state.app.checker().bundle().revision().to_owned(),
        policy_reload_error: state.app.policies().last_error().map(|e| e.problems),
        policy_assurance: (*state.app.policies().assurance()).clone(),
    };
    (
        if ready {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        Json(body),
    )
}

/// `GET /metrics` (any token): Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"), ApiErrors))]
pub async fn metrics() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        telemetry::render_metrics(),
    )
}

/// `POST /v1/admin/reload` (admin token): loads `policies/` and `schemas/` again. `200` with
/// the revision serving; `422` with `file:line:col` problems when the new set is invalid
/// (the previous set keeps serving).
#[utoipa::path(post, path = "/v1/admin/reload", tag = "operations",
    responses((status = 200, description = "Reloaded", body = ReloadAnswer), ApiErrors))]
pub async fn reload(State(state): State<AppState>) -> Result<Json<ReloadAnswer>, Error> {
    let policies = Arc::clone(state.app.policies());
    let outcome = tokio::task::spawn_blocking(move || policies.reload())
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("reload task: {e}")))?;
    match outcome {
        Ok(done) => Ok(Json(ReloadAnswer {
            policy_revision: done.revision,
            changed: done.changed,
        })),
        Err(err) => Err(Error::InvalidPolicies(err.problems)),
    }
}

/// `GET /openapi.json` (no token): this API's OpenAPI document, with the grants and actions
/// of the policy set in force.
#[utoipa::path(get, path = "/openapi.json", tag = "operations", security(()),
    responses((status = 200, description = "The OpenAPI document", body = Object)))]
pub async fn openapi_document(State(state): State<AppState>) -> Json<utoipa::openapi::OpenApi> {
    static DOCUMENT: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    let document = DOCUMENT.get_or_init(super::openapi).clone();
    Json(super::openapi::with_policy_names(
        document,
        &state.app.checker().bundle(),
    ))
}
