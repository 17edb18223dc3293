//! Health routes, without a token: liveness and readiness for orchestrators.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::AppState;

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
