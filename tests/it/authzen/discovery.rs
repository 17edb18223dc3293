//! Discovery level: `GET /.well-known/authzen-configuration` names this server and every
//! endpoint, each of which answers; the OpenAPI document lists the AuthZEN routes. The
//! server's address comes from a trusted proxy's forwarded headers, else the configured
//! public URL, else the `Host` header.

use portier::http::ServerUrl;

use super::*;
use crate::common::served::Served;

async fn metadata_via(app: &TestApp, headers: &[(&str, &str)]) -> Answer {
    let mut request = app
        .client
        .get(format!("{}/.well-known/authzen-configuration", app.base))
        .bearer_auth(CHECK_TOKEN);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    answer(request.send().await.expect("request")).await
}

/// Scenario C-6: `200` JSON with `policy_decision_point` equal to the base URL used and
/// every endpoint under it, with or without a token; forwarded headers from a peer that is
/// not a trusted proxy change nothing.
pub async fn metadata(h: &Hosting) {
    let app = &h.app;
    let reply = metadata_via(app, &[("X-Request-ID", "meta-1")]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(reply.headers["x-request-id"], "meta-1");
    assert_eq!(reply.body["policy_decision_point"], app.base.as_str());
    let endpoints = [
        ("access_evaluation_endpoint", "/access/v1/evaluation"),
        ("access_evaluations_endpoint", "/access/v1/evaluations"),
        ("search_subject_endpoint", "/access/v1/search/subject"),
        ("search_resource_endpoint", "/access/v1/search/resource"),
        ("search_action_endpoint", "/access/v1/search/action"),
    ];
    for (key, path) in endpoints {
        let url = reply.body[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} in {}", reply.body));
        assert_eq!(url, format!("{}{path}", app.base));
        let probe = app
            .client
            .post(url)
            .bearer_auth(CHECK_TOKEN)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            probe.status().as_u16(),
            400,
            "{key} answers (an empty query is a 400)"
        );
    }
    // Forwarded headers are believed from a configured trusted proxy only (see below).
    let forged = metadata_via(
        app,
        &[
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", "evil.example"),
        ],
    )
    .await;
    assert_eq!(forged.status, 200, "{}", forged.body);
    assert!(
        !forged.body.to_string().contains("evil.example"),
        "an untrusted peer named the server: {}",
        forged.body
    );
    assert_eq!(forged.body["policy_decision_point"], app.base.as_str());
    // Well-known metadata is public, like OAuth's (RFC 8414); the endpoints it names are not.
    let anonymous = app
        .client
        .get(format!("{}/.well-known/authzen-configuration", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 200);
    let named: Value = anonymous.json().await.unwrap();
    assert_eq!(named["policy_decision_point"], app.base.as_str());
    let unauthenticated = app
        .client
        .post(format!("{}/access/v1/evaluation", app.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status().as_u16(), 401);
    let spec = app
        .send(Method::GET, "/openapi.json", None, None, None)
        .await;
    for (_, path) in endpoints {
        assert!(
            spec.body["paths"][path]["post"].is_object(),
            "{path} in /openapi.json"
        );
    }
    assert!(spec.body["paths"]["/.well-known/authzen-configuration"]["get"].is_object());
}

/// The metadata as anyone gets it: no token, `headers` added.
async fn anonymous(client: &reqwest::Client, base: &str, headers: &[(&str, &str)]) -> Value {
    let mut request = client.get(format!("{base}/.well-known/authzen-configuration"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request");
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.expect("JSON metadata")
}

const FORGED: [(&str, &str); 2] = [
    ("X-Forwarded-Proto", "https"),
    ("X-Forwarded-Host", "evil.example"),
];

/// A server over a fresh database naming itself as `server_url` says.
async fn naming(server_url: ServerUrl) -> (TestApp, TestDatabase) {
    let database = TestDatabase::create().await;
    let mut options = Options::new(&database.url);
    options.server_url = server_url;
    (TestApp::start(&options).await, database)
}

#[tokio::test]
async fn forwarded_headers_name_the_server_only_from_a_trusted_proxy() {
    let trusted = ServerUrl::new(None, vec!["127.0.0.0/8".parse().unwrap()]);
    let (app, _database) = naming(trusted).await;
    let named = anonymous(&app.client, &app.base, &FORGED).await;
    assert_eq!(named["policy_decision_point"], "https://evil.example");
    assert_eq!(
        named["search_action_endpoint"],
        "https://evil.example/access/v1/search/action"
    );

    let elsewhere = ServerUrl::new(None, vec!["10.0.0.0/8".parse().unwrap()]);
    let (app, _database) = naming(elsewhere).await;
    let named = anonymous(&app.client, &app.base, &FORGED).await;
    assert!(!named.to_string().contains("evil.example"), "{named}");
    assert_eq!(named["policy_decision_point"], app.base.as_str());

    let public = "https://pdp.example.com/authz".parse().unwrap();
    let configured = ServerUrl::new(Some(public), vec!["10.0.0.0/8".parse().unwrap()]);
    let (app, _database) = naming(configured).await;
    let named = anonymous(&app.client, &app.base, &FORGED).await;
    assert_eq!(
        named["policy_decision_point"],
        "https://pdp.example.com/authz"
    );
    assert_eq!(
        named["access_evaluation_endpoint"],
        "https://pdp.example.com/authz/access/v1/evaluation"
    );
}

#[tokio::test]
async fn serve_reads_the_public_url_and_the_trusted_proxies_from_its_flags() {
    let database = TestDatabase::create().await;
    let flags = [
        "--public-url",
        "https://PDP.example.com/",
        "--trusted-proxies",
        "10.0.0.0/8",
    ];
    let served = Served::start(&database.url, &flags).await;
    let named = anonymous(&served.client, &served.base, &FORGED).await;
    assert_eq!(named["policy_decision_point"], "https://pdp.example.com");
    drop(served);

    let database = TestDatabase::create().await;
    let flags = ["--trusted-proxies", "192.0.2.0/24,127.0.0.1"];
    let served = Served::start(&database.url, &flags).await;
    let named = anonymous(&served.client, &served.base, &FORGED).await;
    assert_eq!(named["policy_decision_point"], "https://evil.example");

    for (flag, value) in [
        ("--trusted-proxies", "proxy.local"),
        ("--public-url", "pdp.example.com"),
    ] {
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_portier"))
            .args(["serve", flag, value])
            .output()
            .expect("portier binary");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(
            !run.status.success() && stderr.contains(flag),
            "{flag} {value}: {stderr}"
        );
    }
}
