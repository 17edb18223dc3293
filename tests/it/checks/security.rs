//! An account's security requirements, decided by policy: `sensitive` and `all` with and
//! without a second factor, allowed IPv4 and IPv6 ranges, deny reasons that name the missing
//! factor or network, management calls bound through the session headers, the lockout guard,
//! and staff's reset.

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{client_area, TestApp, ADMIN_TOKEN};

/// A management call as `actor` with the session headers the portal would send.
async fn as_session(
    app: &TestApp,
    actor: &str,
    session: (Option<&str>, Option<&str>),
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(ADMIN_TOKEN)
        .header("X-Portier-Actor", actor);
    if let Some(mfa) = session.0 {
        request = request.header("X-Portier-MFA", mfa);
    }
    if let Some(ip) = session.1 {
        request = request.header("X-Portier-Client-IP", ip);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Sets acct-1's requirements as staff (no lockout guard binds staff).
async fn require(app: &TestApp, body: Value) {
    let reply = app
        .staff(Method::PUT, "/v1/accounts/acct-1/security", Some(body))
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
}

/// The decision for `user` doing `action` on `resource` of acct-1 with `context`.
async fn decide(
    app: &TestApp,
    user: &str,
    action: &str,
    resource: (&str, &str),
    context: Value,
) -> Value {
    let body = json!({"principal": user, "action": action, "resource": {"type": resource.0, "id": resource.1}, "account": "acct-1", "context": context});
    let reply = app.check_body(body).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body
}

#[tokio::test]
async fn sensitive_and_all_need_a_second_factor_and_the_deny_names_it() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    app.member("acct-1", "mia", "member", &["services", "passwords"])
        .await;
    let password = ("Service", "svc-1");
    assert_eq!(
        decide(&app, "mia", "viewServicePassword", password, json!({})).await["decision"],
        "allow"
    );
    require(&app, json!({"require_mfa": "sensitive"})).await;
    let denied = decide(&app, "mia", "viewServicePassword", password, json!({})).await;
    assert_eq!(
        (&denied["decision"], &denied["reasons"]),
        (&json!("deny"), &json!(["mfa-required"]))
    );
    assert_eq!(
        decide(
            &app,
            "mia",
            "viewServicePassword",
            password,
            json!({"mfa": true})
        )
        .await["decision"],
        "allow"
    );
    assert_eq!(
        decide(&app, "mia", "viewService", password, json!({})).await["decision"],
        "allow"
    );
    assert_eq!(
        decide(
            &app,
            "olivia",
            "inviteUser",
            ("Account", "acct-1"),
            json!({})
        )
        .await["reasons"],
        json!(["mfa-required"])
    );

    require(&app, json!({"require_mfa": "all"})).await;
    for (user, action, resource) in [
        ("mia", "viewService", password),
        ("olivia", "viewAccount", ("Account", "acct-1")),
        ("bill", "viewInvoice", ("Invoice", "inv-1")),
    ] {
        let without = decide(&app, user, action, resource, json!({"mfa": false})).await;
        assert_eq!(
            without["reasons"],
            json!(["mfa-required"]),
            "{user} {action}: {without}"
        );
        assert_eq!(
            decide(&app, user, action, resource, json!({"mfa": true})).await["decision"],
            "allow",
            "{user} {action}"
        );
    }
    // Mail is not a session's doing: members still receive it.
    let recipients = app
        .staff(
            Method::GET,
            "/v1/accounts/acct-1/recipients?topic=billing",
            None,
        )
        .await;
    assert!(
        recipients.body.to_string().contains("bill@example.com"),
        "{:?}",
        recipients.body
    );
    // Staff's own automation is not bound.
    let staff = app
        .staff(Method::GET, "/v1/accounts/acct-1/members", None)
        .await;
    assert_eq!(staff.status, 200);
}

#[tokio::test]
async fn allowed_ranges_bind_members_and_keys_in_ipv4_and_ipv6() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    require(
        &app,
        json!({"require_mfa": "none", "allowed_ips": ["198.51.100.0/24", "2001:db8::/32"]}),
    )
    .await;
    let invoice = ("Invoice", "inv-1");
    for (ip, allowed) in [
        (json!("198.51.100.7"), true),
        (json!("2001:db8::1"), true),
        (json!("203.0.113.5"), false),
        (json!("2001:db9::1"), false),
    ] {
        let decision = decide(&app, "bill", "payInvoice", invoice, json!({"ip": ip})).await;
        assert_eq!(decision["decision"] == "allow", allowed, "{ip}: {decision}");
        if !allowed {
            assert_eq!(decision["reasons"], json!(["network-not-allowed"]), "{ip}");
        }
    }
    let nowhere = decide(
        &app,
        "olivia",
        "viewAccount",
        ("Account", "acct-1"),
        json!({}),
    )
    .await;
    assert_eq!(
        nowhere["reasons"],
        json!(["network-not-allowed"]),
        "no address: {nowhere}"
    );
    // acct-2 has no ranges: the same address is fine there.
    let body = json!({"principal": "otto", "action": "payInvoice", "resource": {"type": "Invoice", "id": "inv-7"}, "account": "acct-2", "context": {"ip": "203.0.113.5"}});
    assert_eq!(app.check_body(body).await.body["decision"], "allow");
    // Management calls carry the session's address.
    let path = "/v1/accounts/acct-1/members";
    assert_eq!(
        as_session(
            &app,
            "olivia",
            (None, Some("198.51.100.7")),
            Method::GET,
            path,
            None
        )
        .await
        .0,
        200
    );
    let (status, body) = as_session(
        &app,
        "olivia",
        (None, Some("203.0.113.5")),
        Method::GET,
        path,
        None,
    )
    .await;
    assert_eq!(
        (status, &body["error"]["reasons"]),
        (403, &json!(["network-not-allowed"])),
        "{body}"
    );
    let (status, body) =
        as_session(&app, "olivia", (Some("yes"), None), Method::GET, path, None).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("X-Portier-MFA"))
    );
    let (status, body) = as_session(
        &app,
        "olivia",
        (None, Some("10.0.0.0/8")),
        Method::GET,
        path,
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("X-Portier-Client-IP"))
    );
}

#[tokio::test]
async fn the_owner_cannot_lock_themselves_out_and_staff_resets() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let path = "/v1/accounts/acct-1/security";
    let inside = (Some("true"), Some("198.51.100.7"));
    // Requiring a second factor the call itself has not passed: refused, naming the field.
    let (status, body) = as_session(
        &app,
        "olivia",
        (None, Some("198.51.100.7")),
        Method::PUT,
        path,
        Some(json!({"require_mfa": "sensitive"})),
    )
    .await;
    assert_eq!(
        (
            status,
            body["error"]["code"].as_str(),
            body["error"]["field"].as_str()
        ),
        (409, Some("lockout"), Some("require_mfa")),
        "{body}"
    );
    // Ranges that leave out the call's own address: refused, naming the field.
    let outside = json!({"require_mfa": "none", "allowed_ips": ["203.0.113.0/24"]});
    let (status, body) = as_session(&app, "olivia", inside, Method::PUT, path, Some(outside)).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (409, Some("allowed_ips")),
        "{body}"
    );
    let (status, body) = as_session(&app, "olivia", inside, Method::GET, path, None).await;
    assert_eq!(
        (status, &body),
        (200, &json!({"require_mfa": "none", "allowed_ips": []})),
        "nothing was saved"
    );
    // A setting the call meets is saved, ranges in their canonical form.
    let fine = json!({"require_mfa": "all", "allowed_ips": ["198.51.100.9/24"]});
    let (status, body) = as_session(&app, "olivia", inside, Method::PUT, path, Some(fine)).await;
    assert_eq!(
        (status, &body),
        (
            200,
            &json!({"require_mfa": "all", "allowed_ips": ["198.51.100.0/24"]})
        ),
        "{body}"
    );
    let (status, body) = as_session(
        &app,
        "olivia",
        inside,
        Method::PUT,
        path,
        Some(json!({"require_mfa": "all", "allowed_ips": ["nope"]})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("allowed_ips[0]")),
        "{body}"
    );
    // Without the second factor the owner is out, and may not reset; staff may.
    let (status, _) = as_session(
        &app,
        "olivia",
        (None, Some("198.51.100.7")),
        Method::GET,
        path,
        None,
    )
    .await;
    assert_eq!(status, 403);
    let reset_path = "/v1/accounts/acct-1/security/reset";
    let (status, body) = as_session(&app, "olivia", inside, Method::POST, reset_path, None).await;
    assert_eq!(
        (status, &body["error"]["reasons"]),
        (403, &json!(["staff-only-actions"])),
        "{body}"
    );
    let reset = app.staff(Method::POST, reset_path, None).await;
    assert_eq!(
        (reset.status, &reset.body),
        (200, &json!({"require_mfa": "none", "allowed_ips": []}))
    );
    assert!(
        app.allows("olivia", "viewAccount", ("Account", "acct-1"), "acct-1")
            .await
    );
    let actions = app.audit_actions("acct-1", 10).await;
    assert_eq!(
        &actions[..2],
        ["security.reset", "security.put"],
        "{actions:?}"
    );
}
