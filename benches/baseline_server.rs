//! The HTTP ceiling for `benches/load.sh`: a minimal axum 0.8 server that parses the same
//! check body as Portier and answers a fixed decision of the same shape, with no policy,
//! store or cache behind it. Usage: `baseline-server 127.0.0.1:PORT`.

use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[allow(dead_code)]
struct CheckBody {
    principal: Value,
    action: String,
    resource: Value,
    account: Option<String>,
    context: Option<Value>,
    consistency: Option<String>,
}

async fn check(Json(body): Json<CheckBody>) -> Json<Value> {
    let allow = body.action.len() % 2 == 0;
    Json(json!({
        "decision": if allow { "allow" } else { "deny" },
        "reasons": [], "errors": [], "decision_id": "0", "policy_revision": "0", "cached": false,
    }))
}

#[tokio::main]
async fn main() {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8181".into());
    let listener = tokio::net::TcpListener::bind(&address).await.expect("bind");
    axum::serve(listener, Router::new().route("/v1/check", post(check)))
        .await
        .expect("serve");
}
