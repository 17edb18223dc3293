//! API keys over real HTTP: created by the owner with grants they hold, verified by secret,
//! allowed within their grants and their creator's access only, denied from the instant they
//! are revoked, expire or their creator loses access — on one SQLite server, and on two
//! replicas sharing PostgreSQL and Redis — with a property test through the check pipeline
//! that whatever a key is allowed, its creator is too.

mod http;
mod props;
mod replicas;

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{repo_path, TestApp, CHECK_TOKEN};

/// `olivia` (owner of `acct-1`) creates a key with `body`; the reply's `(key id, secret)`.
async fn create_key(app: &TestApp, actor: &str, body: Value) -> (String, String) {
    let reply = app
        .acting(
            actor,
            Method::POST,
            "/v1/accounts/acct-1/api-keys",
            Some(body),
        )
        .await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    let id = reply.body["api_key"]["id"].as_str().unwrap().to_owned();
    let secret = reply.body["secret"].as_str().unwrap().to_owned();
    (id, secret)
}

/// The decision for the key `id` doing `action` on `resource` of `acct-1`, with `context`.
async fn key_check(
    app: &TestApp,
    id: &str,
    action: &str,
    resource: (&str, &str),
    context: Value,
    fresh: bool,
) -> Value {
    let mut body = json!({
        "principal": {"type": "ApiKey", "id": id}, "action": action,
        "resource": {"type": resource.0, "id": resource.1}, "account": "acct-1", "context": context,
    });
    if fresh {
        body["consistency"] = json!("fresh");
    }
    let reply = app.check_body(body).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body
}

/// Whether the key is allowed, asked cached and then fresh (both must agree).
async fn key_allows(app: &TestApp, id: &str, action: &str, resource: (&str, &str)) -> bool {
    let cached = key_check(app, id, action, resource, json!({}), false).await;
    let fresh = key_check(app, id, action, resource, json!({}), true).await;
    assert_eq!(cached["decision"], fresh["decision"], "{cached} / {fresh}");
    cached["decision"] == "allow"
}

/// `POST /v1/api-keys/verify` with the check token.
async fn verify(app: &TestApp, secret: &str) -> crate::common::Reply {
    app.send(
        Method::POST,
        "/v1/api-keys/verify",
        Some(CHECK_TOKEN),
        None,
        Some(json!({ "secret": secret })),
    )
    .await
}

/// The shipped policies, plus one that lets any member create keys (so a creator can lack a
/// grant): the owner-only forbid spares `createApiKey`, and a permit gives it to members.
fn policies_members_create_keys() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(repo_path("policies")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "cedar") {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let file = dir.path().join("user-management.cedar");
    let text = std::fs::read_to_string(&file).unwrap();
    let from = "unless { resource in principal.ownerOf };";
    assert!(text.contains(from));
    let to = "unless { resource in principal.ownerOf || action == Action::\"createApiKey\" };";
    std::fs::write(&file, text.replace(from, to)).unwrap();
    std::fs::write(
        dir.path().join("member-keys.cedar"),
        "// Members create keys.\n@id(\"members-create-keys\")\npermit (principal is User, action == Action::\"createApiKey\", resource is Account)\nwhen { principal.hasTag(resource.accountId) };\n",
    )
    .unwrap();
    dir
}

/// A server over [`policies_members_create_keys`] with the standard client area (the folder
/// lives as long as the server is in use).
pub(super) async fn members_create_keys() -> (tempfile::TempDir, TestApp) {
    let policies = policies_members_create_keys();
    let app = TestApp::spawn_with(policies.path(), &repo_path("schemas")).await;
    crate::common::client_area(&app).await;
    (policies, app)
}

/// Bill (a member holding billing) creates a billing key, which pays invoices: `(id, secret)`.
pub(super) async fn bills_billing_key(app: &TestApp) -> (String, String) {
    let body = json!({"name": "export", "grants": ["billing"]});
    let (id, secret) = create_key(app, "bill", body).await;
    assert!(key_allows(app, &id, "payInvoice", ("Invoice", "inv-1")).await);
    (id, secret)
}
