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
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = state.checker.store().ping().await;
    let bundle = state.checker.bundle();
    let ready = database.is_ok();
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "database": if ready { "ok" } else { "unavailable" },
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
