//! Operations: liveness and readiness (no token), metrics, and policy reload.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::AppState;
use crate::error::Error;
use crate::telemetry;

/// `GET /healthz`: the process answers.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: `200` when the database answers and policies are loaded, else `503`.
/// The cache is reported but does not decide readiness: without it checks are slower, not wrong.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let (database, cache) =
        tokio::join!(state.checker.store().ping(), state.checker.cache().status());
    let bundle = state.checker.bundle();
    let ready = database.is_ok();
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "database": if ready { "ok" } else { "unavailable" },
        "cache": cache,
        "policy_revision": bundle.revision(),
        "policy_reload_error": state.policies.last_error().map(|e| e.problems),
    });
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
pub async fn metrics() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        telemetry::render_metrics(),
    )
}

/// `POST /v1/admin/reload` (admin token): loads `policies/` and `schemas/` again. `200` with
/// the revision serving; `422` with `file:line:col` problems when the new set is invalid
/// (the previous set keeps serving).
pub async fn reload(State(state): State<AppState>) -> Result<Json<Value>, Error> {
    let policies = Arc::clone(&state.policies);
    let outcome = tokio::task::spawn_blocking(move || policies.reload())
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("reload task: {e}")))?;
    match outcome {
        Ok(done) => Ok(Json(
            json!({ "policy_revision": done.revision, "changed": done.changed }),
        )),
        Err(err) => Err(Error::InvalidPolicies(err.problems)),
    }
}

/// Middleware: counts every answer by method, matched route and status.
pub async fn count_requests(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let response = next.run(request).await;
    telemetry::http_request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}
