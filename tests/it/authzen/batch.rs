//! Batch level: `POST /access/v1/evaluations` — defaults merged into items, order, the three
//! evaluation semantics, item errors, and the backwards-compatible single evaluation.

use super::*;

async fn evaluations(app: &TestApp, body: Value) -> Answer {
    post(app, "/access/v1/evaluations", body).await
}

/// The `decision` of every item, in order.
fn decisions(reply: &Answer) -> Vec<bool> {
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply.body.get("decision").is_none(),
        "no top-level decision: {}",
        reply.body
    );
    let items = reply.body["evaluations"]
        .as_array()
        .expect("evaluations array");
    items
        .iter()
        .map(|i| i["decision"].as_bool().expect("boolean decision"))
        .collect()
}

/// Scenario C-3-2, C-3-3, C-3-4-2/3: defaults (subject, action, resource, context) merged
/// into items and replaced whole by an item's own, answers in request order, and no items
/// meaning one evaluation.
pub async fn defaults_merge_and_order(h: &Hosting) {
    let app = &h.app;
    // Shared subject and action, per-item resources.
    let shared = json!({
        "subject": user("mia"), "action": {"name": "viewService"},
        "evaluations": [
            {"resource": of_account("service", "svc-1", "acct-1")},
            {"resource": of_account("service", "svc-2", "acct-1")}
        ]
    });
    assert_eq!(decisions(&evaluations(app, shared).await), [true, false]);
    // Shared subject and resource, per-item actions: order is kept.
    let actions = json!({
        "subject": user("bill"), "resource": account("acct-1"),
        "evaluations": [{"action": {"name": "listInvoices"}}, {"action": {"name": "placeOrder"}}, {"action": {"name": "viewAccount"}}]
    });
    assert_eq!(
        decisions(&evaluations(app, actions).await),
        [true, false, true]
    );
    // Fully specified items, no defaults.
    let full = json!({"evaluations": [
        ask(user("olivia"), "inviteUser", account("acct-1")),
        ask(user("adam"), "inviteUser", account("acct-1")),
    ]});
    let reply = evaluations(app, full).await;
    assert_eq!(decisions(&reply), [true, false]);
    assert_eq!(
        reply.body["evaluations"][1]["context"]["reasons"],
        json!(["owner-only-user-management"])
    );
    // Context: the top-level default, replaced whole by an item's own (a bad declared value
    // in the override fails that item only).
    let context = json!({
        "subject": user("olivia"), "action": {"name": "viewAccount"}, "context": {"mfa": true, "time": "2025-06-27T18:03-07:00"},
        "evaluations": [
            {"resource": account("acct-1")},
            {"resource": account("acct-1"), "context": {"time": "2025-06-27T19:00-07:00", "source": "batch-override"}},
            {"resource": account("acct-1"), "context": {"mfa": "yes"}}
        ]
    });
    let reply = evaluations(app, context).await;
    assert_eq!(decisions(&reply), [true, true, false]);
    assert_eq!(
        reply.body["evaluations"][2]["context"]["error"]["field"],
        "evaluations[2].context"
    );
    // `{}` inherits everything; an item's resource replaces the default whole.
    let inherit = json!({
        "subject": user("mia"), "action": {"name": "viewService"}, "resource": of_account("service", "svc-1", "acct-1"),
        "evaluations": [{}, {"resource": of_account("service", "svc-2", "acct-1")}, {"resource": {"type": "service", "id": "svc-1"}}]
    });
    let reply = evaluations(app, inherit).await;
    assert_eq!(decisions(&reply), [true, false, false]);
    assert_eq!(
        reply.body["evaluations"][2]["context"]["error"]["field"],
        "evaluations[2].resource.properties.account"
    );
    // No items, or an empty list: the top level is one evaluation, answered as such.
    let single = ask(user("olivia"), "viewAccount", account("acct-1"));
    for body in [
        single.clone(),
        json!({"evaluations": [], "subject": user("olivia"), "action": {"name": "viewAccount"}, "resource": account("acct-1")}),
    ] {
        let reply = evaluations(app, body).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["decision"], json!(true));
        assert!(reply.body.get("evaluations").is_none(), "{}", reply.body);
        assert!(reply.body["context"]["decision_id"].is_string());
    }
    let incomplete = evaluations(app, json!({"subject": user("olivia"), "evaluations": []})).await;
    assert_eq!((incomplete.status, incomplete.field()), (400, "action"));
}

/// Scenario C-3-4-1 and the semantics: under `execute_all` a bad item is its own
/// `decision: false` with the error in its context; `deny_on_first_deny` stops after the
/// first deny, `permit_on_first_permit` after the first permit; a bad semantic, a malformed
/// top level or too many items fail the request.
pub async fn semantics_and_item_errors(h: &Hosting) {
    let app = &h.app;
    let body = |semantic: &str, accounts: [&str; 3]| {
        let items: Vec<Value> = accounts
            .iter()
            .map(|a| json!({"resource": account(a)}))
            .collect();
        json!({"subject": user("otto"), "action": {"name": "viewAccount"}, "options": {"evaluations_semantic": semantic, "another_option": 1}, "evaluations": items})
    };
    let all = evaluations(app, body("execute_all", ["acct-2", "acct-1", "acct-2"])).await;
    assert_eq!(decisions(&all), [true, false, true]);
    let deny = evaluations(
        app,
        body("deny_on_first_deny", ["acct-2", "acct-1", "acct-2"]),
    )
    .await;
    assert_eq!(decisions(&deny), [true, false]);
    assert_eq!(
        deny.body["evaluations"][1]["context"]["reason"],
        "deny_on_first_deny"
    );
    let permit = evaluations(
        app,
        body("permit_on_first_permit", ["acct-1", "acct-2", "acct-1"]),
    )
    .await;
    assert_eq!(decisions(&permit), [false, true]);
    assert_eq!(
        permit.body["evaluations"][1]["context"]["reason"],
        "permit_on_first_permit"
    );
    let never = evaluations(
        app,
        body("permit_on_first_permit", ["acct-1", "acct-1", "acct-1"]),
    )
    .await;
    assert_eq!(decisions(&never), [false, false, false]);
    let no_semantic = evaluations(app, json!({"subject": user("otto"), "action": {"name": "viewAccount"}, "evaluations": [{"resource": account("acct-1")}, {"resource": account("acct-2")}]})).await;
    assert_eq!(
        decisions(&no_semantic),
        [false, true],
        "execute_all is the default"
    );
    // Item problems: missing after defaults, wrong type, undeclared action, not an object.
    let items = json!({
        "subject": user("olivia"), "action": {"name": "viewAccount"},
        "options": {"evaluations_semantic": "execute_all"},
        "evaluations": [
            {"resource": account("acct-1")}, {}, {"resource": account("acct-1"), "subject": "olivia"},
            {"resource": account("acct-1"), "action": {"name": "launchRocket"}}, 7
        ]
    });
    let reply = evaluations(app, items).await;
    assert_eq!(decisions(&reply), [true, false, false, false, false]);
    let fields: Vec<&str> = reply.body["evaluations"].as_array().unwrap()[1..]
        .iter()
        .map(|i| i["context"]["error"]["field"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        fields,
        [
            "evaluations[1].resource",
            "evaluations[2].subject",
            "evaluations[3].action.name",
            "evaluations[4]"
        ]
    );
    assert_eq!(
        reply.body["evaluations"][1]["context"]["error"]["status"],
        400
    );
    // A failed item is a deny for deny_on_first_deny too.
    let stops = json!({"subject": user("olivia"), "action": {"name": "viewAccount"}, "options": {"evaluations_semantic": "deny_on_first_deny"},
        "evaluations": [{}, {"resource": account("acct-1")}]});
    assert_eq!(decisions(&evaluations(app, stops).await), [false]);
    // Whole-request problems are 400s.
    let too_many: Vec<Value> = (0..101).map(|_| json!({})).collect();
    let cases = [
        (
            body("first_come", ["acct-1", "acct-1", "acct-1"]),
            "options.evaluations_semantic",
        ),
        (json!({"subject": "olivia", "evaluations": [{}]}), "subject"),
        (
            json!({"evaluations": {"resource": account("acct-1")}}),
            "evaluations",
        ),
        (
            json!({"subject": user("olivia"), "action": {"name": "viewAccount"}, "resource": account("acct-1"), "evaluations": too_many}),
            "evaluations",
        ),
    ];
    for (body, field) in cases {
        let reply = evaluations(app, body.clone()).await;
        assert_eq!(
            (reply.status, reply.field()),
            (400, field),
            "{body}: {}",
            reply.body
        );
    }
    let not_json = raw(
        app,
        "/access/v1/evaluations",
        "text/plain",
        "{}",
        &[("X-Request-ID", "batch-1")],
    )
    .await;
    assert_eq!(
        (not_json.status, &not_json.headers["x-request-id"]),
        (400, &"batch-1".parse().unwrap())
    );
}
