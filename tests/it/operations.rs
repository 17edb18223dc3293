//! Operating Portier: hot reload of policies (file change, route), what happens with an
//! invalid edit, checks during many reloads, metrics, and graceful shutdown.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{client_area, policy_copy, repo_path, TestApp, CHECK_TOKEN};
use reqwest::Method;
use serde_json::{json, Value};

/// Writes like an editor does: a new file renamed over the old one.
fn replace_file(path: &Path, text: &str) {
    let temporary = path.with_extension("swp");
    std::fs::write(&temporary, text).unwrap();
    std::fs::rename(&temporary, path).unwrap();
}

/// `grants.cedar` with the billing grant no longer letting anyone pay.
fn billing_revoked(original: &str) -> String {
    original.replace(
        "contains(Grant::\"billing\")",
        "contains(Grant::\"orders\")",
    )
}

/// Waits at most 30 s: a starting server runs the policy tests and proofs before it listens,
/// and CI machines are shared.
async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_file_change_flips_decisions_and_an_invalid_edit_keeps_the_old_set() {
    let dir = policy_copy();
    let app = TestApp::spawn_with(&dir.path().join("policies"), &dir.path().join("schemas")).await;
    client_area(&app).await;
    let grants = dir.path().join("policies/grants.cedar");
    let original = std::fs::read_to_string(&grants).unwrap();
    let before = app
        .check("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
        .await;
    assert_eq!(before["decision"], "allow");
    assert_eq!(
        app.check("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await["cached"],
        true
    );

    replace_file(&grants, &billing_revoked(&original));
    wait_for("the edit to be loaded", async || {
        !app.allows("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    })
    .await;
    let after = app
        .check("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
        .await;
    assert_ne!(after["policy_revision"], before["policy_revision"]);

    let revision = after["policy_revision"].clone();
    replace_file(&grants, &format!("{original}\n@id(\"broken\")\npermit (principal, action, resource) when {{ principal.nope }};\n"));
    wait_for("the invalid edit to be reported", async || {
        !app.send(Method::GET, "/readyz", None, None, None)
            .await
            .body["policy_reload_error"]
            .is_null()
    })
    .await;
    let ready = app.send(Method::GET, "/readyz", None, None, None).await;
    assert_eq!(
        (ready.status, &ready.body["policy_revision"]),
        (200, &revision),
        "the old set keeps serving"
    );
    let problem = ready.body["policy_reload_error"][0]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        problem.contains("grants.cedar:") && problem.contains("nope"),
        "{problem}"
    );
    assert!(
        !app.allows("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    );
    let route = app.staff(Method::POST, "/v1/admin/reload", None).await;
    assert_eq!(
        (route.status, route.body["error"]["code"].as_str()),
        (422, Some("invalid_policies"))
    );
    assert!(route.body["error"]["problems"][0]
        .as_str()
        .unwrap()
        .contains("grants.cedar:"));

    replace_file(&grants, &original);
    wait_for("the fixed edit to be loaded", async || {
        app.allows("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    })
    .await;
    assert!(app
        .send(Method::GET, "/readyz", None, None, None)
        .await
        .body["policy_reload_error"]
        .is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_during_fifty_reloads_never_fail_or_see_a_mixed_set() {
    let dir = policy_copy();
    let app = Arc::new(
        TestApp::spawn_with(&dir.path().join("policies"), &dir.path().join("schemas")).await,
    );
    client_area(&app).await;
    let grants = dir.path().join("policies/grants.cedar");
    let original = std::fs::read_to_string(&grants).unwrap();
    let revoked = billing_revoked(&original);
    // Learn each version's revision and the answer it gives.
    let mut expected: HashMap<String, &str> = HashMap::new();
    for (text, decision) in [(&revoked, "deny"), (&original, "allow")] {
        replace_file(&grants, text);
        let reloaded = app.staff(Method::POST, "/v1/admin/reload", None).await;
        expected.insert(
            reloaded.body["policy_revision"]
                .as_str()
                .unwrap()
                .to_owned(),
            decision,
        );
    }
    assert_eq!(expected.len(), 2);

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut checkers = Vec::new();
    for _ in 0..4 {
        let (app, stop) = (Arc::clone(&app), Arc::clone(&stop));
        checkers.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let reply = app
                    .check_body(json!({"principal": "bill", "action": "payInvoice", "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1"}))
                    .await;
                answers.push((reply.status, reply.body["decision"].as_str().map(str::to_owned), reply.body["policy_revision"].as_str().map(str::to_owned)));
            }
            answers
        }));
    }
    for round in 0..50 {
        replace_file(&grants, if round % 2 == 0 { &revoked } else { &original });
        let reloaded = app.staff(Method::POST, "/v1/admin/reload", None).await;
        assert_eq!(reloaded.status, 200, "{:?}", reloaded.body);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut total = 0;
    for checker in checkers {
        for (status, decision, revision) in checker.await.unwrap() {
            total += 1;
            assert_eq!(status, 200);
            let revision = revision.expect("a revision");
            assert_eq!(
                decision.as_deref(),
                Some(expected[&revision]),
                "revision {revision} answered {decision:?}"
            );
        }
    }
    assert!(total >= 50, "only {total} checks ran during the reloads");
}

#[tokio::test]
async fn metrics_count_checks_and_need_a_token() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let metric = |page: &str| -> f64 {
        page.lines()
            .find(|l| {
                l.starts_with("portier_decisions_total{")
                    && l.contains("decision=\"allow\"")
                    && l.contains("cached=\"false\"")
            })
            .and_then(|l| l.rsplit(' ').next())
            .map_or(0.0, |v| v.parse().unwrap())
    };
    let read = || async {
        app.client
            .get(format!("{}/metrics", app.base))
            .bearer_auth(CHECK_TOKEN)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let before = metric(&read().await);
    app.check_body(json!({"principal": "bill", "action": "payInvoice", "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1", "consistency": "fresh"})).await;
    let page = read().await;
    assert!(metric(&page) >= before + 1.0, "{page}");
    for name in [
        "portier_check_duration_seconds_bucket",
        "portier_http_requests_total",
        "portier_policy_info",
    ] {
        assert!(page.contains(name), "{name} missing from /metrics");
    }
    assert!(page.contains("route=\"/v1/check\""));
    assert_eq!(
        app.send(Method::GET, "/metrics", None, None, None)
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish() {
    let mut app = TestApp::spawn().await;
    client_area(&app).await;
    // A request whose body arrives in two parts, with the shutdown signal in between.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    let body = json!({"principal": "bill", "action": "payInvoice", "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1"}).to_string();
    let (first, second) = body.split_at(body.len() / 2);
    tx.send(Ok(first.as_bytes().to_vec())).await.unwrap();
    let stream = futures_stream(rx);
    let request = app
        .client
        .post(format!("{}/v1/check", app.base))
        .bearer_auth(CHECK_TOKEN)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send();
    let pending = tokio::spawn(request);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let shutting = tokio::spawn(async move { app.shut_down(Duration::from_secs(10)).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    tx.send(Ok(second.as_bytes().to_vec())).await.unwrap();
    drop(tx);
    let response = pending
        .await
        .unwrap()
        .expect("the request in flight is answered");
    assert_eq!(response.status().as_u16(), 200);
    let decision: serde_json::Value = response.json().await.unwrap();
    assert_eq!(decision["decision"], "allow");
    assert!(
        shutting.await.unwrap(),
        "the server stopped after the request finished"
    );
}

fn futures_stream(
    rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}

#[tokio::test]
async fn the_binary_logs_one_json_event_per_check_without_secrets_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let secret = "admin-token-that-must-never-be-logged";
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_portier"))
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            &format!("sqlite://{}", dir.path().join("p.db").display()),
        ])
        .current_dir(repo_path(""))
        .env("PORTIER_ADMIN_TOKEN", secret)
        .env("PORTIER_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_for("the server to listen", async || {
        client.get(format!("{base}/healthz")).send().await.is_ok()
    })
    .await;
    let post = |path: &str, body: serde_json::Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(secret)
            .json(&body)
            .send()
    };
    assert_eq!(
        post(
            "/v1/users",
            json!({"id": "olivia", "email": "olivia@example.com", "display_name": "Olivia"})
        )
        .await
        .unwrap()
        .status(),
        201
    );
    assert_eq!(
        post(
            "/v1/accounts",
            json!({"id": "acct-1", "name": "Acme", "owner": "olivia"})
        )
        .await
        .unwrap()
        .status(),
        201
    );
    let decision: serde_json::Value = post("/v1/check", json!({"principal": "olivia", "action": "payInvoice", "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(decision["decision"], "allow");

    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        output.status.success(),
        "exit on SIGTERM: {:?}",
        output.status
    );
    let logs = String::from_utf8_lossy(&output.stderr);
    assert!(!logs.contains(secret), "a token was logged");
    let events: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|e: &serde_json::Value| e["decision_id"].is_string())
        .collect();
    let apis: Vec<&str> = events.iter().filter_map(|e| e["api"].as_str()).collect();
    // The two writes that set the scene are authorized (and logged) too.
    assert_eq!(apis, ["management", "management", "check"], "{logs}");
    let event = &events[2];
    assert_eq!(event["decision_id"], decision["decision_id"]);
    for (field, value) in [
        ("principal", "User::\"olivia\""),
        ("action", "payInvoice"),
        ("decision", "allow"),
        ("account", "acct-1"),
    ] {
        assert_eq!(event[field], value, "{field} in {event}");
    }
    assert!(
        event["latency_us"].is_u64()
            && event["policy_revision"] == decision["policy_revision"]
            && event["cached"] == false,
        "{event}"
    );
}

#[tokio::test]
async fn openapi_lists_every_route_the_router_serves() {
    let app = TestApp::spawn().await;
    let spec = app
        .send(Method::GET, "/openapi.json", None, None, None)
        .await;
    assert_eq!(spec.status, 200);
    let mut listed: Vec<(String, String)> = Vec::new();
    for (path, item) in spec.body["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                listed.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    listed.sort();
    let expected = [
        "DELETE /v1/accounts/{id}/api-keys/{kid}",
        "DELETE /v1/accounts/{id}/contacts/{cid}",
        "DELETE /v1/accounts/{id}/members/{user}",
        "DELETE /v1/accounts/{id}/roles/{name}",
        "DELETE /v1/accounts/{id}/services/{service}",
        "DELETE /v1/accounts/{id}/support-access/{sid}",
        "DELETE /v1/agents/{id}",
        "DELETE /v1/invitations/{iid}",
        "DELETE /v1/users/{id}",
        "GET /.well-known/authzen-configuration",
        "GET /healthz",
        "GET /metrics",
        "GET /openapi.json",
        "GET /readyz",
        "GET /v1/accounts/{id}",
        "GET /v1/accounts/{id}/api-keys",
        "GET /v1/accounts/{id}/api-keys/{kid}",
        "GET /v1/accounts/{id}/audit",
        "GET /v1/accounts/{id}/contacts",
        "GET /v1/accounts/{id}/contacts/{cid}",
        "GET /v1/accounts/{id}/invitations",
        "GET /v1/accounts/{id}/members",
        "GET /v1/accounts/{id}/recipients",
        "GET /v1/accounts/{id}/roles",
        "GET /v1/accounts/{id}/security",
        "GET /v1/accounts/{id}/services/{service}",
        "GET /v1/accounts/{id}/support-access",
        "GET /v1/agents",
        "GET /v1/agents/{id}",
        "GET /v1/role-presets",
        "GET /v1/users/{id}",
        "GET /v1/users/{id}/accounts",
        "GET /v1/users/{id}/audit",
        "PATCH /v1/accounts/{id}",
        "PATCH /v1/accounts/{id}/contacts/{cid}",
        "PATCH /v1/agents/{id}",
        "PATCH /v1/users/{id}",
        "POST /access/v1/evaluation",
        "POST /access/v1/evaluations",
        "POST /access/v1/search/action",
        "POST /access/v1/search/resource",
        "POST /access/v1/search/subject",
        "POST /v1/accounts",
        "POST /v1/accounts/{id}/api-keys",
        "POST /v1/accounts/{id}/contacts",
        "POST /v1/accounts/{id}/invitations",
        "POST /v1/accounts/{id}/security/reset",
        "POST /v1/accounts/{id}/support-access",
        "POST /v1/accounts/{id}/transfer-ownership",
        "POST /v1/admin/reload",
        "POST /v1/agents",
        "POST /v1/allowed-actions",
        "POST /v1/api-keys/verify",
        "POST /v1/check",
        "POST /v1/check/batch",
        "POST /v1/invitations/accept",
        "POST /v1/invitations/{iid}/resend",
        "POST /v1/users",
        "POST /v1/users/{id}/activate",
        "POST /v1/users/{id}/suspend",
        "PUT /v1/accounts/{id}/members/{user}",
        "PUT /v1/accounts/{id}/members/{user}/preferences",
        "PUT /v1/accounts/{id}/roles/{name}",
        "PUT /v1/accounts/{id}/security",
        "PUT /v1/accounts/{id}/services/{service}",
    ];
    let shown: Vec<String> = listed.iter().map(|(m, p)| format!("{m} {p}")).collect();
    assert_eq!(shown, expected);
    // Every reference resolves: a client generator (or a fuzzer) reads them all.
    let mut refs = Vec::new();
    collect_refs(&spec.body, &mut refs);
    assert!(!refs.is_empty());
    for reference in refs {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("a reference outside the schemas: {reference}"));
        assert!(
            spec.body["components"]["schemas"].get(name).is_some(),
            "{reference} is referenced but not defined"
        );
    }
    // Every listed operation reaches a handler: never the router's own 404 or 405.
    for (method, path) in &listed {
        let concrete = path
            .replace("{id}", "acct-x")
            .replace("{user}", "u-x")
            .replace("{cid}", "c-x")
            .replace("{service}", "s-x")
            .replace("{iid}", "i-x")
            .replace("{name}", "clerk");
        let body = (method != "GET" && method != "DELETE").then(|| json!({}));
        let reply = app
            .send(
                method.parse().unwrap(),
                &concrete,
                Some(crate::common::ADMIN_TOKEN),
                None,
                body,
            )
            .await;
        assert_ne!(reply.status, 405, "{method} {path}");
        assert_ne!(
            reply.body["error"]["message"], "route not found",
            "{method} {path} is listed but not served"
        );
    }
    let security = &spec.body["components"]["securitySchemes"]["bearer"];
    assert_eq!(security["scheme"], "bearer");
}

/// Every `$ref` in a JSON document.
fn collect_refs(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                match (key.as_str(), item) {
                    ("$ref", Value::String(target)) => into.push(target.clone()),
                    _ => collect_refs(item, into),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, into)),
        _ => {}
    }
}
