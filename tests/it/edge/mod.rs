//! The HTTP edge, probed as an attacker and a careless client would: metric labels from a
//! fixed set, size limits (414, 431, 413, also for bodies sent in chunks), one JSON shape
//! for every error, repeated headers, the routes that need no token, the bearer scheme,
//! data after the JSON body, look-alike ids and names, slow clients, file-descriptor
//! exhaustion, token settings, what the edge echoes (the `405`'s methods, request ids), query
//! cursors, and property tests of every parser.

mod answers;
mod bodies;
mod cli;
mod process;
mod props;
mod public;
mod raw;
mod slow;

use crate::common::{client_area, TestApp, ADMIN_TOKEN, CHECK_TOKEN};
use raw::exchange;
use reqwest::Method;
use serde_json::json;

fn get(path: &str, extra: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: portier\r\nConnection: close\r\n{extra}\r\n").into_bytes()
}

#[tokio::test]
async fn metric_labels_come_from_a_fixed_set() {
    let app = TestApp::spawn().await;
    for i in 0..40 {
        let method = format!("PROBE{i}X");
        let path = if i % 2 == 0 {
            "/healthz"
        } else {
            "/no/such/route"
        };
        let request =
            format!("{method} {path} HTTP/1.1\r\nHost: portier\r\nConnection: close\r\n\r\n");
        exchange(&app.base, request.as_bytes()).await;
    }
    let long_method = "M".repeat(4000);
    exchange(
        &app.base,
        format!("{long_method} /healthz HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .await;
    let metrics = app
        .send(Method::GET, "/metrics", Some(CHECK_TOKEN), None, None)
        .await;
    let text = metrics.body.as_str().expect("metrics text").to_owned();
    assert!(
        !text.contains("PROBE"),
        "client-chosen methods became label values"
    );
    assert!(!text.contains("MMMM"), "a long method became a label value");
    assert!(
        text.contains(r#"method="other""#),
        "unknown methods count as other"
    );
    for line in text
        .lines()
        .filter(|l| l.starts_with("portier_http_requests_total"))
    {
        let route = line
            .split("route=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_default();
        assert!(
            route == "unmatched" || route.starts_with('/'),
            "route label {route:?}"
        );
    }
}

#[tokio::test]
async fn oversized_request_lines_and_headers_are_refused_as_json() {
    let app = TestApp::spawn().await;
    let long_uri = format!("/healthz?{}", "a".repeat(9000));
    let reply = exchange(&app.base, &get(&long_uri, "")).await;
    assert_eq!(
        (reply.status, reply.code(), reply.field()),
        (414, "uri_too_long", "uri"),
        "{reply:?}"
    );

    let method = "X".repeat(9000);
    let request = format!("{method} /healthz HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n");
    assert_eq!(exchange(&app.base, request.as_bytes()).await.status, 414);

    let big_header = format!("X-Filler: {}\r\n", "b".repeat(17_000));
    let reply = exchange(&app.base, &get("/healthz", &big_header)).await;
    assert_eq!(
        (reply.status, reply.code(), reply.field()),
        (431, "headers_too_large", "headers"),
        "{reply:?}"
    );

    let many: String = (0..150).map(|i| format!("X-Many-{i}: v\r\n")).collect();
    assert_eq!(
        exchange(&app.base, &get("/healthz", &many)).await.status,
        431
    );

    // Far past the limits, the connection's buffer limit answers before any route does.
    let huge = format!("X-Filler: {}\r\n", "c".repeat(400_000));
    let reply = exchange(&app.base, &get("/healthz", &huge)).await;
    assert_eq!(reply.status, 431, "{reply:?}");

    let fine = format!("X-Filler: {}\r\n", "d".repeat(4000));
    assert_eq!(
        exchange(&app.base, &get("/healthz", &fine)).await.status,
        200
    );
}

#[tokio::test]
async fn every_error_is_the_json_error() {
    let app = TestApp::spawn().await;
    let reply = exchange(
        &app.base,
        &get(
            "/v1/check",
            &format!("Authorization: Bearer {CHECK_TOKEN}\r\n"),
        ),
    )
    .await;
    assert_eq!(
        (reply.status, reply.code(), reply.field()),
        (405, "method_not_allowed", "method"),
        "{reply:?}"
    );
    assert!(
        reply.head.to_ascii_lowercase().contains("allow: post"),
        "{}",
        reply.head
    );

    let announced = format!(
        "POST /v1/check HTTP/1.1\r\nHost: p\r\nConnection: close\r\nAuthorization: Bearer {CHECK_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\n\r\n"
    );
    let reply = exchange(&app.base, announced.as_bytes()).await;
    assert_eq!(
        (reply.status, reply.code(), reply.field()),
        (413, "payload_too_large", "body"),
        "{reply:?}"
    );

    let sent = app
        .client
        .post(format!("{}/v1/check", app.base))
        .bearer_auth(CHECK_TOKEN)
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await;
    if let Ok(response) = sent {
        assert_eq!(response.status(), 413);
    }
}

#[tokio::test]
async fn data_after_the_json_body_is_refused() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let check = json!({"principal": "bill", "action": "payInvoice", "resource": {"type": "Invoice", "id": "inv-9"}, "account": "acct-1"});
    for tail in [r#"{"principal":"mallory"} junk"#, "x", "[]", "1"] {
        let body = format!("{check}{tail}");
        let reply = app
            .client
            .post(format!("{}/v1/check", app.base))
            .bearer_auth(CHECK_TOKEN)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 400, "tail {tail:?}");
        let error: serde_json::Value = reply.json().await.unwrap();
        assert_eq!(error["error"]["field"], "body", "{error}");
    }
    let spaced = app
        .client
        .post(format!("{}/v1/check", app.base))
        .bearer_auth(CHECK_TOKEN)
        .body(format!(" {check} \n"))
        .send()
        .await
        .unwrap();
    assert_eq!(spaced.status(), 200, "white space around the JSON is fine");
}

#[tokio::test]
async fn repeated_identity_headers_are_refused() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let two_actors = format!("Authorization: Bearer {ADMIN_TOKEN}\r\nX-Portier-Actor: olivia\r\nX-Portier-Actor: mia\r\n");
    let reply = exchange(&app.base, &get("/v1/accounts/acct-1", &two_actors)).await;
    assert_eq!(
        (reply.status, reply.field()),
        (400, "X-Portier-Actor"),
        "{reply:?}"
    );

    let two_tokens =
        format!("Authorization: Bearer {CHECK_TOKEN}\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n");
    let reply = exchange(&app.base, &get("/v1/users/olivia", &two_tokens)).await;
    assert_eq!(
        (reply.status, reply.field()),
        (400, "Authorization"),
        "{reply:?}"
    );

    let one = format!("Authorization: Bearer {ADMIN_TOKEN}\r\nX-Portier-Actor: olivia\r\n");
    assert_eq!(
        exchange(&app.base, &get("/v1/accounts/acct-1", &one))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = TestApp::spawn().await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let header = format!("Authorization: {scheme} {ADMIN_TOKEN}\r\n");
        let reply = exchange(&app.base, &get("/v1/users/nobody", &header)).await;
        assert_eq!(reply.status, 404, "{scheme}: {reply:?}");
    }
    for wrong in [
        format!("Basic {ADMIN_TOKEN}"),
        format!("Bearer{ADMIN_TOKEN}"),
        "Bearer".to_owned(),
    ] {
        let reply = exchange(
            &app.base,
            &get("/v1/users/nobody", &format!("Authorization: {wrong}\r\n")),
        )
        .await;
        assert_eq!(reply.status, 401, "{wrong}: {reply:?}");
    }
}

#[tokio::test]
async fn look_alike_ids_and_names_are_refused_and_accepted_ids_work_in_every_form() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    for (id, name) in [
        ("bill\u{200b}", "Bill"),
        ("x\u{202e}y", "X"),
        ("a::b", "A"),
        ("ok-user", "a\u{202e}b"),
        ("ok-user", "z\u{2066}"),
    ] {
        let body = json!({"id": id, "email": "lookalike@example.com", "display_name": name});
        let reply = app.staff(Method::POST, "/v1/users", Some(body)).await;
        assert_eq!(reply.status, 400, "{id:?} / {name:?}: {:?}", reply.body);
        let field = if id == "ok-user" {
            "display_name"
        } else {
            "id"
        };
        assert_eq!(reply.field(), field, "{:?}", reply.body);
    }
    let patch = app
        .staff(
            Method::PATCH,
            "/v1/users/mia",
            Some(json!({"display_name": "M\u{200f}ia"})),
        )
        .await;
    assert_eq!(
        (patch.status, patch.field()),
        (400, "display_name"),
        "{:?}",
        patch.body
    );
    let account = json!({"id": "acct\u{feff}", "name": "Acct", "owner": "olivia"});
    assert_eq!(
        app.staff(Method::POST, "/v1/accounts", Some(account))
            .await
            .status,
        400
    );

    app.user("a:b").await;
    app.member("acct-1", "a:b", "member", &["billing"]).await;
    let resource = json!({"type": "Invoice", "id": "inv-9"});
    for principal in [
        json!("a:b"),
        json!("User::\"a:b\""),
        json!({"type": "User", "id": "a:b"}),
    ] {
        let reply = app.check_body(json!({"principal": principal, "action": "payInvoice", "resource": resource, "account": "acct-1"})).await;
        assert_eq!(reply.status, 200, "{principal}: {:?}", reply.body);
        assert_eq!(
            reply.body["decision"], "allow",
            "{principal}: {:?}",
            reply.body
        );
    }
}
