//! Roles named by the owner, and the hosting company's presets: a membership's grants are its
//! own plus its roles', a change to a role flips every holder at once (cached and fresh; on a
//! second replica: `replicas::roles`), a preset serves every account, and bad names or grants are `400`s.

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{client_area, policy_copy, TestApp};

/// `PUT /v1/accounts/{account}/roles/{name}` as `actor`.
pub(crate) async fn put_role(
    app: &TestApp,
    actor: &str,
    account: &str,
    name: &str,
    body: Value,
) -> Value {
    let path = format!("/v1/accounts/{account}/roles/{name}");
    let reply = app.acting(actor, Method::PUT, &path, Some(body)).await;
    assert_eq!(reply.status, 200, "put role {name}: {:?}", reply.body);
    reply.body
}

/// Makes `user` a member of `account` holding only the roles `roles`.
pub(crate) async fn holds(app: &TestApp, account: &str, user: &str, roles: &[&str]) {
    let path = format!("/v1/accounts/{account}/members/{user}");
    let body = json!({"role": "member", "roles": roles, "grants": []});
    let reply = app.staff(Method::PUT, &path, Some(body)).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["roles"], json!(roles), "{:?}", reply.body);
}

/// The decision for `user` paying an invoice of acct-1, cached or fresh.
pub(crate) async fn pays(app: &TestApp, user: &str, fresh: bool) -> Value {
    let mut body = json!({"principal": user, "action": "payInvoice", "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1"});
    if fresh {
        body["consistency"] = json!("fresh");
    }
    let reply = app.check_body(body).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body
}

#[tokio::test]
async fn a_role_change_flips_every_holder_at_once_cached_and_fresh() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    app.user("cleo").await;
    let role = put_role(
        &app,
        "olivia",
        "acct-1",
        "clerk",
        json!({"grants": ["billing"], "description": "Pays invoices"}),
    )
    .await;
    assert_eq!(
        role,
        json!({"name": "clerk", "grants": ["billing"], "description": "Pays invoices"})
    );
    holds(&app, "acct-1", "mia", &["clerk"]).await;
    holds(&app, "acct-1", "cleo", &["clerk"]).await;
    for user in ["mia", "cleo"] {
        assert_eq!(pays(&app, user, false).await["decision"], "allow", "{user}");
        let again = pays(&app, user, false).await;
        assert_eq!(
            (&again["decision"], &again["cached"]),
            (&json!("allow"), &json!(true))
        );
    }
    // The role becomes view-only: both holders lose paying on their next check.
    put_role(
        &app,
        "olivia",
        "acct-1",
        "clerk",
        json!({"grants": ["billing-view"]}),
    )
    .await;
    for user in ["mia", "cleo"] {
        for fresh in [false, true] {
            assert_eq!(
                pays(&app, user, fresh).await["decision"],
                "deny",
                "{user} fresh {fresh}"
            );
        }
        assert!(
            app.allows(user, "viewInvoice", ("Invoice", "inv-1"), "acct-1")
                .await
        );
    }
    // Own grants and roles add up.
    let path = "/v1/accounts/acct-1/members/mia";
    let both = json!({"role": "member", "roles": ["clerk"], "grants": ["orders"]});
    assert_eq!(app.staff(Method::PUT, path, Some(both)).await.status, 200);
    assert!(
        app.allows("mia", "placeOrder", ("Account", "acct-1"), "acct-1")
            .await
    );
    assert!(
        app.allows("mia", "viewInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    );

    let listed = app
        .acting("olivia", Method::GET, "/v1/accounts/acct-1/roles", None)
        .await;
    assert_eq!(listed.status, 200, "{:?}", listed.body);
    assert_eq!(listed.body["roles"][0]["name"], "clerk");
    // Deleting a held role is refused, naming the holders; once unheld it goes.
    let delete_clerk = || {
        app.acting(
            "olivia",
            Method::DELETE,
            "/v1/accounts/acct-1/roles/clerk",
            None,
        )
    };
    let held = delete_clerk().await;
    assert_eq!(held.status, 409, "{:?}", held.body);
    assert!(
        held.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cleo, mia"),
        "{:?}",
        held.body
    );
    holds(&app, "acct-1", "mia", &[]).await;
    holds(&app, "acct-1", "cleo", &[]).await;
    let gone = delete_clerk().await;
    assert_eq!(gone.status, 204, "{:?}", gone.body);
    let again = delete_clerk().await;
    assert_eq!(again.status, 404);
    let actions = app.audit_actions("acct-1", 100).await;
    assert_eq!(
        actions.iter().filter(|a| *a == "role.put").count(),
        2,
        "{actions:?}"
    );
    assert_eq!(
        actions.iter().filter(|a| *a == "role.delete").count(),
        1,
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_preset_serves_two_accounts_and_is_listed() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    app.user("ana").await;
    holds(&app, "acct-1", "mia", &["accountant"]).await;
    holds(&app, "acct-2", "ana", &["accountant"]).await;
    for (user, account, invoice) in [("mia", "acct-1", "inv-1"), ("ana", "acct-2", "inv-7")] {
        assert!(
            app.allows(user, "payInvoice", ("Invoice", invoice), account)
                .await,
            "{user}"
        );
        assert!(
            app.allows(user, "viewOrder", ("Order", "o-1"), account)
                .await,
            "{user}"
        );
        assert!(
            !app.allows(user, "placeOrder", ("Account", account), account)
                .await,
            "{user}"
        );
    }
    // A preset gives nothing on an account the member does not belong to.
    assert!(
        !app.allows("ana", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    );
    let presets = app.staff(Method::GET, "/v1/role-presets", None).await;
    assert_eq!(presets.status, 200, "{:?}", presets.body);
    let accountant = presets.body["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "accountant")
        .cloned();
    assert_eq!(
        accountant.map(|r| r["grants"].clone()),
        Some(json!(["billing", "orders-view"]))
    );
}

#[tokio::test]
async fn roles_are_the_owners_and_bad_names_or_grants_name_the_field() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let put = |actor: &'static str, name: &'static str, body: Value| {
        let path = format!("/v1/accounts/acct-1/roles/{name}");
        let app = &app;
        async move { app.acting(actor, Method::PUT, &path, Some(body)).await }
    };
    let admin = put("adam", "clerk", json!({"grants": ["billing"]})).await;
    assert_eq!(
        (admin.status, &admin.body["error"]["reasons"]),
        (403, &json!(["owner-only-user-management"]))
    );
    let member_lists = app
        .acting("bill", Method::GET, "/v1/accounts/acct-1/roles", None)
        .await;
    assert_eq!(member_lists.status, 403);
    for (name, body, field) in [
        ("accountant", json!({"grants": ["billing"]}), "name"),
        (
            "clerk",
            json!({"grants": ["billing", "rockets"]}),
            "grants[1]",
        ),
        (
            "clerk",
            json!({"grants": [], "description": "x".repeat(201)}),
            "description",
        ),
        ("clerk", json!({"grants": [], "colour": "red"}), "colour"),
    ] {
        let reply = put("olivia", name, body.clone()).await;
        assert_eq!(
            (reply.status, reply.field()),
            (400, field),
            "{name} {body}: {:?}",
            reply.body
        );
    }
    for name in ["admin", "Clerk", "clerk_1"] {
        let reply = put("olivia", name, json!({"grants": []})).await;
        assert_eq!(reply.status, 400, "{name}: {:?}", reply.body);
    }
    let unknown = app
        .staff(
            Method::PUT,
            "/v1/accounts/acct-1/members/mia",
            Some(json!({"role": "member", "roles": ["accountant", "nobody"]})),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.field()),
        (400, "roles[1]"),
        "{:?}",
        unknown.body
    );
}

#[tokio::test]
async fn a_removed_preset_still_named_gives_nothing_and_cannot_come_back_as_an_account_role() {
    let dir = policy_copy();
    let app = TestApp::spawn_with(&dir.path().join("policies"), &dir.path().join("schemas")).await;
    client_area(&app).await;
    holds(&app, "acct-1", "mia", &["viewer"]).await;
    assert!(
        app.allows("mia", "viewInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    );
    // The hosting company drops the preset: mia still names it, and it gives nothing.
    let presets = dir.path().join("policies/roles.json");
    let mut all: serde_json::Map<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(&presets).unwrap()).unwrap();
    all.remove("viewer");
    std::fs::write(&presets, Value::Object(all).to_string()).unwrap();
    let reload = app.staff(Method::POST, "/v1/admin/reload", None).await;
    assert_eq!(reload.status, 200, "{:?}", reload.body);
    assert!(
        !app.allows("mia", "viewInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    );
    // An account role of that name would hand its grants to mia unasked: refused.
    let path = "/v1/accounts/acct-1/roles/viewer";
    let body = json!({"grants": ["billing"]});
    let refused = app
        .acting("olivia", Method::PUT, path, Some(body.clone()))
        .await;
    assert_eq!(refused.status, 409, "{:?}", refused.body);
    assert!(
        !app.allows("mia", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    );
    holds(&app, "acct-1", "mia", &[]).await;
    let defined = app.acting("olivia", Method::PUT, path, Some(body)).await;
    assert_eq!(defined.status, 200, "{:?}", defined.body);
}
