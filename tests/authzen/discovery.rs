//! Discovery level: `GET /.well-known/authzen-configuration` names this server and every
//! endpoint, each of which answers; the OpenAPI document lists the AuthZEN routes.

use super::*;

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
/// every endpoint under it; behind a TLS proxy, the proxy's `https` URL.
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
    let proxied = metadata_via(
        app,
        &[
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", "pdp.example.com"),
        ],
    )
    .await;
    assert_eq!(
        proxied.body["policy_decision_point"],
        "https://pdp.example.com"
    );
    assert_eq!(
        proxied.body["access_evaluation_endpoint"],
        "https://pdp.example.com/access/v1/evaluation"
    );
    let anonymous = app
        .client
        .get(format!("{}/.well-known/authzen-configuration", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
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
