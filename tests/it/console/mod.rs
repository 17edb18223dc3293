//! The console: its page and security headers, who may call its JSON routes, and search
//! (here); its decisions — matrix, explain, drafts, the policies page — (`console/decisions.rs`);
//! and the page itself in headless Chromium (`console/browser.rs`).

mod browser;
mod decisions;
mod support;
mod webdriver;

use crate::common::{client_area, TestApp, ADMIN_TOKEN, CHECK_TOKEN};
use reqwest::Method;
use serde_json::{json, Value};

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// A contact, a pending invitation and a service assignment on `acct-1`.
pub async fn seed_extras(app: &TestApp) {
    let contact =
        json!({"name": "Carla Books", "email": "carla@example.com", "preferences": ["billing"]});
    let reply = app
        .staff(Method::POST, "/v1/accounts/acct-1/contacts", Some(contact))
        .await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    let invite = json!({"email": "nina@example.com", "role": "member", "grants": ["orders"]});
    let reply = app
        .staff(
            Method::POST,
            "/v1/accounts/acct-1/invitations",
            Some(invite),
        )
        .await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    let assign = json!({"assignees": ["mia"]});
    let reply = app
        .staff(
            Method::PUT,
            "/v1/accounts/acct-1/services/vps-7",
            Some(assign),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
}

/// `grants.cedar` with the billing permit asking for the orders grant instead.
pub fn billing_needs_orders() -> String {
    let text = std::fs::read_to_string(crate::common::repo_path("policies/grants.cedar")).unwrap();
    let (head, tail) = text.split_at(text.find("Grant::\"billing\"").unwrap());
    format!(
        "{head}Grant::\"orders\"{}",
        &tail["Grant::\"billing\"".len()..]
    )
}

async fn get_raw(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(format!("{}{path}", app.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request")
}

#[tokio::test]
async fn the_page_is_public_without_inline_code_and_every_console_answer_carries_a_strict_csp() {
    let app = TestApp::spawn().await;
    for (path, kind) in [
        ("/console", "text/html"),
        ("/console/app.js", "text/javascript"),
        ("/console/app.css", "text/css"),
        ("/v1/console/find?q=x", "application/json"),
    ] {
        let response = get_raw(&app, path, None).await;
        let headers = response.headers().clone();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
        };
        assert_eq!(header("content-security-policy"), CSP, "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
        assert!(
            header("content-type").starts_with(kind),
            "{path}: {}",
            header("content-type")
        );
    }
    let html = get_raw(&app, "/console", None).await.text().await.unwrap();
    assert!(html.contains("<script src=\"/console/app.js\" defer></script>"));
    assert_eq!(html.matches("<script").count(), 1, "no inline script");
    assert!(
        !html.contains("style=") && !html.contains("<style"),
        "no inline style"
    );
    for handler in ["onclick", "onload", "onsubmit", "javascript:"] {
        assert!(!html.contains(handler), "no inline handler {handler}");
    }
    let js = get_raw(&app, "/console/app.js", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(js.contains("sessionStorage") && !js.contains("localStorage"));
    assert!(!js.contains("innerHTML"), "text is never parsed as HTML");
}

#[tokio::test]
async fn the_icon_the_browser_asks_for_is_public_and_an_image() {
    let app = TestApp::spawn().await;
    for path in ["/favicon.ico", "/console/favicon.svg"] {
        let response = get_raw(&app, path, None).await;
        assert_eq!(response.status().as_u16(), 200, "{path} without a token");
        let kind = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(kind.starts_with("image/"), "{path}: {kind}");
        let body = response.bytes().await.unwrap();
        assert!(body.starts_with(b"<svg"), "{path}: an SVG icon");
    }
    let html = get_raw(&app, "/console", None).await.text().await.unwrap();
    assert!(
        html.contains(r#"<link rel="icon" href="/console/favicon.svg" type="image/svg+xml">"#),
        "the page names its icon"
    );
}

#[tokio::test]
async fn console_routes_need_the_admin_token() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let routes = [
        (Method::GET, "/v1/console/find?q=bill"),
        (Method::GET, "/v1/console/accounts/acct-1/matrix"),
        (Method::GET, "/v1/console/accounts/acct-1/services"),
        (Method::GET, "/v1/console/policies"),
        (Method::POST, "/v1/console/explain"),
        (Method::POST, "/v1/console/policies/draft"),
    ];
    for (method, path) in routes {
        let none = app.send(method.clone(), path, None, None, None).await;
        assert_eq!(none.status, 401, "{path}");
        let check = app
            .send(method.clone(), path, Some(CHECK_TOKEN), None, None)
            .await;
        assert_eq!(check.status, 403, "{path}");
    }
    let as_user = app
        .send(
            Method::GET,
            "/v1/console/find?q=bill",
            Some(ADMIN_TOKEN),
            Some("olivia"),
            None,
        )
        .await;
    assert_eq!(as_user.status, 403, "search is staff's: {:?}", as_user.body);
}

#[tokio::test]
async fn find_matches_users_and_accounts_by_id_email_and_name() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let ids = |body: &Value, key: &str| -> Vec<String> {
        body[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let by_id = app
        .staff(Method::GET, "/v1/console/find?q=BILL", None)
        .await;
    assert_eq!(ids(&by_id.body, "users"), ["bill"]);
    let by_email = app
        .staff(Method::GET, "/v1/console/find?q=olivia%40example", None)
        .await;
    assert_eq!(ids(&by_email.body, "users"), ["olivia"]);
    assert_eq!(
        ids(&by_email.body, "accounts"),
        ["acct-1"],
        "accounts by owner email"
    );
    let by_name = app
        .staff(Method::GET, "/v1/console/find?q=account%20acct-2", None)
        .await;
    assert_eq!(ids(&by_name.body, "accounts"), ["acct-2"]);
    let wildcard = app.staff(Method::GET, "/v1/console/find?q=%25", None).await;
    assert_eq!(
        ids(&wildcard.body, "users").len(),
        0,
        "% is matched literally"
    );
    let empty = app.staff(Method::GET, "/v1/console/find?q=%20", None).await;
    assert_eq!((empty.status, empty.field()), (400, "q"));
    let missing = app.staff(Method::GET, "/v1/console/find", None).await;
    assert_eq!((missing.status, missing.field()), (400, "q"));
}
