//! Transport and consistency, for every level: `X-Request-ID`, JSON answers, `401` with
//! `WWW-Authenticate`, both tokens, idempotency, and the native check's cache and revisions.

use super::*;

/// Scenario C-2-5, C-2-6 and the transport rules: `X-Request-ID` echoed, JSON answers, `401`
/// with `WWW-Authenticate`, both tokens accepted, the same answer every time (from the cache
/// after the first).
pub async fn headers_tokens_and_idempotency(h: &Hosting) {
    let app = &h.app;
    let body = ask(
        user("bill"),
        "payInvoice",
        of_account("invoice", "inv-1", "acct-1"),
    )
    .to_string();
    let id = "bfe9eb29-ab87-4ca3-be83-a1d5d8305716";
    let echoed = raw(
        app,
        "/access/v1/evaluation",
        "application/json",
        &body,
        &[("X-Request-ID", id)],
    )
    .await;
    assert_eq!(echoed.status, 200);
    assert_eq!(echoed.headers["x-request-id"], id);
    assert!(echoed.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let unnamed = raw(app, "/access/v1/evaluation", "application/json", &body, &[]).await;
    assert_eq!(unnamed.status, 200);
    assert!(unnamed
        .headers
        .get("x-request-id")
        .is_some_and(|v| !v.is_empty()));
    let failed = raw(
        app,
        "/access/v1/evaluation",
        "text/plain",
        &body,
        &[("X-Request-ID", "req-400")],
    )
    .await;
    assert_eq!(
        (failed.status, &failed.headers["x-request-id"]),
        (400, &"req-400".parse().unwrap())
    );
    for token in [None, Some("not-a-token")] {
        let mut request = app
            .client
            .post(format!("{}/access/v1/evaluation", app.base))
            .header("content-type", "application/json")
            .header("X-Request-ID", "req-401")
            .body(body.clone());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let reply = answer(request.send().await.unwrap()).await;
        assert_eq!(reply.status, 401, "{token:?}");
        assert_eq!(reply.headers["www-authenticate"], "Bearer");
        assert_eq!(reply.headers["x-request-id"], "req-401");
        assert_eq!(reply.body["error"]["code"], "unauthorized");
    }
    let admin = app
        .client
        .post(format!("{}/access/v1/evaluation", app.base))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body(body.clone());
    let admin = answer(admin.send().await.unwrap()).await;
    assert_eq!((admin.status, &admin.body["decision"]), (200, &json!(true)));
    let request: Value = serde_json::from_str(&body).unwrap();
    let mut cached = Vec::new();
    for _ in 0..3 {
        let reply = evaluate(app, request.clone()).await;
        assert_eq!(reply.body["decision"], json!(true));
        cached.push(reply.body["context"]["cached"].as_bool().unwrap());
    }
    assert_eq!(
        cached,
        [true, true, true],
        "answered from the decision cache"
    );
}

/// Same cache and revisions as the native check: a write through the API is seen by the
/// next evaluation, and native and AuthZEN calls share cached answers.
pub async fn decisions_follow_writes_through_the_same_cache(h: &Hosting) {
    let app = &h.app;
    let pay = ask(
        user("bill"),
        "payInvoice",
        of_account("invoice", "inv-7", "acct-1"),
    );
    let first = evaluate(app, pay.clone()).await;
    assert_eq!(
        (
            first.body["decision"].clone(),
            first.body["context"]["cached"].clone()
        ),
        (json!(true), json!(false))
    );
    let native = app
        .check("bill", "payInvoice", ("Invoice", "inv-7"), "acct-1")
        .await;
    assert_eq!(
        (native["decision"].clone(), native["cached"].clone()),
        (json!("allow"), json!(true))
    );
    app.member("acct-1", "bill", "member", &["orders"]).await;
    assert!(
        !decision(app, pay.clone()).await,
        "revoked billing must deny at once"
    );
    assert!(decision(app, ask(user("bill"), "placeOrder", account("acct-1"))).await);
    let suspended = app
        .staff(Method::POST, "/v1/users/bill/suspend", None)
        .await;
    assert_eq!(suspended.status, 200, "{:?}", suspended.body);
    assert!(!decision(app, ask(user("bill"), "placeOrder", account("acct-1"))).await);
}
