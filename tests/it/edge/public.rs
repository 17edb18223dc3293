//! Which routes answer without a token: the public ones only. Every route the OpenAPI
//! document lists, with every method it lists, is called without a token.

use portier::http::PUBLIC_ROUTES;
use reqwest::Method;

use crate::common::TestApp;

#[tokio::test]
async fn every_route_but_the_public_ones_needs_a_token() {
    let app = TestApp::spawn().await;
    let document = app
        .send(Method::GET, "/openapi.json", None, None, None)
        .await;
    assert_eq!(document.status, 200, "the API description is public");
    let paths = document.body["paths"].as_object().expect("paths");
    let mut called = 0;
    for (template, item) in paths {
        // `/v1/users/{id}` → `/v1/users/x1`: any id will do, the token is asked first.
        let path: String = template
            .split('/')
            .map(|part| if part.starts_with('{') { "x1" } else { part })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().expect("operations").keys() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let reply = app.send(method.clone(), &path, None, None, None).await;
            if PUBLIC_ROUTES.contains(&template.as_str()) {
                assert_ne!(reply.status, 401, "{method} {path} is public");
            } else {
                assert_eq!(
                    (reply.status, reply.body["error"]["code"].as_str()),
                    (401, Some("unauthorized")),
                    "{method} {path} without a token"
                );
            }
            called += 1;
        }
    }
    assert!(called > 30, "only {called} operations in the document");
    for path in [
        "/healthz",
        "/readyz",
        "/console",
        "/console/app.js",
        "/favicon.ico",
        "/.well-known/authzen-configuration",
    ] {
        let reply = app.send(Method::GET, path, None, None, None).await;
        assert_eq!(reply.status, 200, "{path} without a token");
    }
    let unknown = app.send(Method::GET, "/v1/nothing", None, None, None).await;
    assert_eq!(unknown.status, 404, "an unknown path is not a route");
}
