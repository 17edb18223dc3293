//! Basic level: `POST /access/v1/evaluation` — decisions, properties, errors, headers,
//! idempotency — and the promise that it decides exactly as the native check does.

use super::*;

/// Scenario C-2-2-1..3, C-2-2-8, C-2-2-9, C-2-3: permit and deny, optional context, extra
/// properties and unknown fields accepted, and every decision equal to `POST /v1/check`.
pub async fn decisions_match_the_native_check(h: &Hosting) {
    let app = &h.app;
    let cases = [
        ("olivia", "viewAccount", account("acct-1"), true),
        (
            "bill",
            "payInvoice",
            of_account("invoice", "inv-1", "acct-1"),
            true,
        ),
        ("bill", "placeOrder", account("acct-1"), false),
        (
            "mia",
            "viewService",
            of_account("service", "svc-1", "acct-1"),
            true,
        ),
        (
            "mia",
            "viewService",
            of_account("service", "svc-2", "acct-1"),
            false,
        ),
        ("otto", "viewAccount", account("acct-1"), false),
        ("adam", "inviteUser", account("acct-1"), false),
        (
            "ivy",
            "acceptInvitation",
            of_account("invitation", &h.invitation, "acct-1"),
            true,
        ),
        ("nobody", "viewAccount", account("acct-1"), false),
    ];
    for (who, action, resource, expected) in cases {
        let reply = evaluate(app, ask(user(who), action, resource.clone())).await;
        assert_eq!(reply.status, 200, "{who} {action}: {}", reply.body);
        assert_eq!(
            reply.body["decision"],
            json!(expected),
            "{who} {action} {resource}"
        );
        let context = &reply.body["context"];
        assert!(
            context["decision_id"]
                .as_str()
                .is_some_and(|id| !id.is_empty()),
            "{context}"
        );
        let native = app
            .check(
                who,
                action,
                (&native_type(&resource), resource["id"].as_str().unwrap()),
                resource["properties"]["account"]
                    .as_str()
                    .unwrap_or("acct-1"),
            )
            .await;
        assert_eq!(
            native["decision"] == "allow",
            expected,
            "native {who} {action}"
        );
        assert_eq!(context["reasons"], native["reasons"], "{who} {action}");
    }
    let owner = evaluate(app, ask(user("olivia"), "inviteUser", account("acct-1"))).await;
    assert_eq!(
        owner.body["context"]["reasons"],
        json!(["owner-full-access"])
    );
    // Optional context (declared `mfa` kept, undeclared keys ignored): same decision.
    let mut with_context = ask(user("olivia"), "viewAccount", account("acct-1"));
    with_context["context"] =
        json!({"time": "2025-06-27T18:03-07:00", "ip": "192.168.1.1", "mfa": true});
    assert!(decision(app, with_context).await);
    // Additional properties and unknown fields are accepted and change nothing.
    let extra = json!({
        "subject": {"type": "user", "id": "olivia", "properties": {"department": "Sales", "role": "manager"}},
        "action": {"name": "viewAccount", "properties": {"method": "GET"}},
        "resource": {"type": "account", "id": "acct-1", "properties": {"status": "active", "owner": "bob"}},
        "foo": "bar",
        "futureField": {"nested": true}
    });
    assert!(decision(app, extra).await);
    // Types match the schema's case-insensitively.
    assert!(
        decision(
            app,
            ask(
                json!({"type": "USER", "id": "bill"}),
                "payInvoice",
                of_account("Invoice", "inv-1", "acct-1")
            )
        )
        .await
    );
}

/// Caller-supplied properties never override what Portier stores: a subject claiming to be
/// an admin or owner, or a resource claiming another account, decides nothing.
pub async fn properties_never_override_stored_facts(h: &Hosting) {
    let app = &h.app;
    let claims = json!({"type": "user", "id": "bill", "properties": {"role": "admin", "grants": ["orders"], "active": true, "ownerOf": ["acct-1"]}});
    assert!(!decision(app, ask(claims, "placeOrder", account("acct-1"))).await);
    let stolen = json!({"type": "account", "id": "acct-2", "properties": {"account": "acct-2", "owner": "bill"}});
    assert!(!decision(app, ask(user("bill"), "listInvoices", stolen)).await);
    // Staff cannot be claimed from outside: a `staff` subject is decided as a non-user.
    let staff = json!({"type": "staff", "id": "staff"});
    assert!(!decision(app, ask(staff, "createAccount", account("acct-9"))).await);
    // The account named must be the Account itself.
    let mismatched =
        json!({"type": "account", "id": "acct-1", "properties": {"account": "acct-2"}});
    let reply = evaluate(app, ask(user("olivia"), "viewAccount", mismatched)).await;
    assert_eq!(
        (reply.status, reply.field()),
        (400, "resource.properties.account")
    );
    // A service of another account is judged by that account's facts.
    assert!(
        !decision(
            app,
            ask(
                user("mia"),
                "viewService",
                of_account("service", "svc-1", "acct-2")
            )
        )
        .await
    );
}

/// Scenario C-2-4: missing fields and sub-fields, wrong types, content type, malformed and
/// empty bodies are `400` with Portier's JSON error naming the field.
pub async fn errors_are_400_naming_the_field(h: &Hosting) {
    let app = &h.app;
    let good = ask(user("olivia"), "viewAccount", account("acct-1"));
    let without = |key: &str| {
        let mut body = good.clone();
        body.as_object_mut().unwrap().remove(key);
        body
    };
    let cases = [
        (without("subject"), "subject"),
        (without("action"), "action"),
        (without("resource"), "resource"),
        (
            json!({"subject": {"id": "olivia"}, "action": {"name": "viewAccount"}, "resource": account("acct-1")}),
            "subject.type",
        ),
        (
            json!({"subject": {"type": "user"}, "action": {"name": "viewAccount"}, "resource": account("acct-1")}),
            "subject.id",
        ),
        (
            json!({"subject": user("olivia"), "action": {}, "resource": account("acct-1")}),
            "action.name",
        ),
        (
            json!({"subject": user("olivia"), "action": {"name": "viewAccount"}, "resource": {"id": "acct-1"}}),
            "resource.type",
        ),
        (
            json!({"subject": user("olivia"), "action": {"name": "viewAccount"}, "resource": {"type": "account"}}),
            "resource.id",
        ),
        (
            json!({"subject": "olivia", "action": {"name": "viewAccount"}, "resource": account("acct-1")}),
            "subject",
        ),
        (
            json!({"subject": user("olivia"), "action": {"name": 123}, "resource": account("acct-1")}),
            "action.name",
        ),
        (
            json!({"subject": user("olivia"), "action": {"name": "viewAccount"}, "resource": account("acct-1"), "context": "x"}),
            "context",
        ),
        (
            ask(user("olivia"), "launchRocket", account("acct-1")),
            "action.name",
        ),
        (
            ask(
                user("olivia"),
                "viewAccount",
                json!({"type": "spaceship", "id": "x"}),
            ),
            "resource.type",
        ),
        (
            ask(
                user("bill"),
                "payInvoice",
                json!({"type": "invoice", "id": "inv-1"}),
            ),
            "resource.properties.account",
        ),
        (
            ask(
                user("bill"),
                "payInvoice",
                json!({"type": "invoice", "id": "inv-1", "properties": {"account": 7}}),
            ),
            "resource.properties.account",
        ),
        (
            json!({"subject": user("olivia"), "action": {"name": "viewAccount"}, "resource": account("acct-1"), "context": {"mfa": "yes"}}),
            "context",
        ),
    ];
    for (body, field) in cases {
        let reply = evaluate(app, body.clone()).await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.body);
        assert_eq!(reply.body["error"]["code"], "invalid_request", "{body}");
        assert_eq!(reply.field(), field, "{body}: {}", reply.body);
    }
    let text = good.to_string();
    for (content_type, body, field) in [
        ("text/plain", text.as_str(), "Content-Type"),
        (
            "application/x-www-form-urlencoded",
            text.as_str(),
            "Content-Type",
        ),
        ("application/json", "{\"subject\": ", "subject"),
        ("application/json", "{\"subject\" {}}", "body"),
        ("application/json", "", "body"),
        ("application/json", "[1, 2]", "body"),
    ] {
        let reply = raw(app, "/access/v1/evaluation", content_type, body, &[]).await;
        assert_eq!(
            (reply.status, reply.field()),
            (400, field),
            "{content_type} {body:?}: {}",
            reply.body
        );
    }
    // No content type at all is not JSON either.
    let bare = app
        .client
        .post(format!("{}/access/v1/evaluation", app.base))
        .bearer_auth(CHECK_TOKEN)
        .body(text.clone());
    let reply = answer(bare.send().await.unwrap()).await;
    assert_eq!((reply.status, reply.field()), (400, "Content-Type"));
    let charset = raw(
        app,
        "/access/v1/evaluation",
        "application/json; charset=utf-8",
        &text,
        &[],
    )
    .await;
    assert_eq!(charset.status, 200, "{}", charset.body);
}
