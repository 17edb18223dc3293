//! The check routes over real HTTP against a real SQLite file: the client-area scenarios,
//! caching and revocation, batches, allowed actions, and bad input.

pub(crate) mod agents;
mod decision_log;
mod model;
pub(crate) mod roles;
mod security;
mod unseen;

use crate::common::{client_area, TestApp, ADMIN_TOKEN, CHECK_TOKEN};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn owner_may_do_everything_on_their_account() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    for (action, resource) in [
        ("payInvoice", ("Invoice", "inv-1")),
        ("viewServicePassword", ("Service", "svc-1")),
        ("placeOrder", ("Account", "acct-1")),
        ("manageContacts", ("Account", "acct-1")),
        ("editProfile", ("Account", "acct-1")),
        ("inviteUser", ("Account", "acct-1")),
        ("transferOwnership", ("Account", "acct-1")),
    ] {
        let decision = app.check("olivia", action, resource, "acct-1").await;
        assert_eq!(decision["decision"], "allow", "{action}: {decision}");
        assert_eq!(
            decision["reasons"],
            json!(["owner-full-access"]),
            "{action}"
        );
    }
}

#[tokio::test]
async fn billing_only_member_pays_invoices_but_sees_no_passwords() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let pay = app
        .check("bill", "payInvoice", ("Invoice", "inv-9"), "acct-1")
        .await;
    assert_eq!(pay["decision"], "allow");
    assert_eq!(pay["reasons"], json!(["grant-billing"]));
    assert!(
        !app.allows(
            "bill",
            "viewServicePassword",
            ("Service", "svc-1"),
            "acct-1"
        )
        .await
    );
    assert!(
        !app.allows("bill", "viewService", ("Service", "svc-1"), "acct-1")
            .await
    );
    assert!(
        !app.allows("bill", "placeOrder", ("Account", "acct-1"), "acct-1")
            .await
    );
}

#[tokio::test]
async fn admin_has_full_access_but_cannot_manage_users() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    assert!(
        app.allows("adam", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    );
    assert!(
        app.allows(
            "adam",
            "changeServicePassword",
            ("Service", "svc-1"),
            "acct-1"
        )
        .await
    );
    let invite = app
        .check("adam", "inviteUser", ("Account", "acct-1"), "acct-1")
        .await;
    assert_eq!(invite["decision"], "deny");
    assert_eq!(invite["reasons"], json!(["owner-only-user-management"]));
}

#[tokio::test]
async fn member_sees_only_assigned_services() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let assign = app
        .staff(
            Method::PUT,
            "/v1/accounts/acct-1/services/svc-1",
            Some(json!({"assignees": ["mia"]})),
        )
        .await;
    assert_eq!(assign.status, 200, "{:?}", assign.body);
    let view = app
        .check("mia", "viewService", ("Service", "svc-1"), "acct-1")
        .await;
    assert_eq!(view["decision"], "allow");
    assert_eq!(view["reasons"], json!(["assigned-service-view"]));
    assert!(
        !app.allows("mia", "viewService", ("Service", "svc-2"), "acct-1")
            .await
    );
    assert!(
        !app.allows("mia", "cancelService", ("Service", "svc-1"), "acct-1")
            .await
    );
    // Unassigning takes effect on the next check.
    let clear = app
        .staff(Method::DELETE, "/v1/accounts/acct-1/services/svc-1", None)
        .await;
    assert_eq!(clear.status, 204);
    assert!(
        !app.allows("mia", "viewService", ("Service", "svc-1"), "acct-1")
            .await
    );
}

#[tokio::test]
async fn suspended_user_is_denied_until_activated() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    assert!(
        app.allows("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    );
    assert_eq!(
        app.staff(Method::POST, "/v1/users/bill/suspend", None)
            .await
            .status,
        200
    );
    let denied = app
        .check("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
        .await;
    assert_eq!(denied["decision"], "deny");
    assert_eq!(denied["reasons"], json!(["inactive-user-denied"]));
    assert_eq!(
        app.staff(Method::POST, "/v1/users/bill/activate", None)
            .await
            .status,
        200
    );
    assert!(
        app.allows("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    );
}

#[tokio::test]
async fn closed_account_denies_even_its_owner() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let close = app
        .staff(
            Method::PATCH,
            "/v1/accounts/acct-1",
            Some(json!({"status": "closed"})),
        )
        .await;
    assert_eq!(close.status, 200, "{:?}", close.body);
    let invoice = app
        .check("olivia", "payInvoice", ("Invoice", "inv-1"), "acct-1")
        .await;
    assert_eq!(
        invoice["reasons"],
        json!(["closed-account-resources-denied"])
    );
    let profile = app
        .check("olivia", "viewProfile", ("Account", "acct-1"), "acct-1")
        .await;
    assert_eq!(profile["decision"], "deny");
    assert_eq!(profile["reasons"], json!(["closed-account-denied"]));
}

#[tokio::test]
async fn grants_on_one_account_give_nothing_on_another() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    assert!(
        app.allows("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    );
    assert!(
        !app.allows("bill", "payInvoice", ("Invoice", "inv-1"), "acct-2")
            .await
    );
    assert!(
        !app.allows("olivia", "payInvoice", ("Invoice", "inv-7"), "acct-2")
            .await
    );
    assert!(
        app.allows("otto", "payInvoice", ("Invoice", "inv-7"), "acct-2")
            .await
    );
}

#[tokio::test]
async fn contacts_and_unknown_principals_are_denied() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let contact = app
        .check_body(json!({"principal": {"type": "Contact", "id": "c-1"}, "action": "viewInvoice", "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1"}))
        .await;
    assert_eq!(
        (contact.status, contact.body["decision"].as_str()),
        (200, Some("deny"))
    );
    assert!(
        !app.allows("c-1", "viewInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    );
    assert!(
        !app.allows(
            "olivia",
            "viewInvoice",
            ("Invoice", "inv-1"),
            "no-such-account"
        )
        .await
    );
    // Staff cannot be claimed through the check route.
    let staff = app
        .check_body(json!({"principal": "Staff::\"staff\"", "action": "payInvoice", "resource": "Invoice::\"inv-1\"", "account": "acct-1"}))
        .await;
    assert_eq!(staff.body["decision"], "deny");
}

#[tokio::test]
async fn removing_a_member_denies_them_at_once_despite_the_cache() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    assert!(
        app.allows("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    );
    let again = app
        .check("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
        .await;
    assert_eq!(
        again["cached"], true,
        "second identical check comes from the cache"
    );
    let removed = app
        .acting(
            "olivia",
            Method::DELETE,
            "/v1/accounts/acct-1/members/bill",
            None,
        )
        .await;
    assert_eq!(removed.status, 204, "{:?}", removed.body);
    let after = app
        .check("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
        .await;
    assert_eq!(
        (after["decision"].as_str(), after["cached"].as_bool()),
        (Some("deny"), Some(false))
    );
}

#[tokio::test]
async fn widening_grants_allows_on_the_next_check() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    assert!(
        !app.allows("bill", "placeOrder", ("Account", "acct-1"), "acct-1")
            .await
    );
    let widen = app
        .acting(
            "olivia",
            Method::PUT,
            "/v1/accounts/acct-1/members/bill",
            Some(json!({"role": "member", "grants": ["billing", "orders"]})),
        )
        .await;
    assert_eq!(widen.status, 200, "{:?}", widen.body);
    assert!(
        app.allows("bill", "placeOrder", ("Account", "acct-1"), "acct-1")
            .await
    );
}

#[tokio::test]
async fn fresh_consistency_bypasses_the_cache_and_answers_carry_ids() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let body = json!({"principal": "User::\"bill\"", "action": "Action::\"payInvoice\"", "resource": "Invoice::\"inv-1\"", "account": "acct-1"});
    let first = app.check_body(body.clone()).await.body;
    let second = app.check_body(body.clone()).await.body;
    let mut fresh_body = body;
    fresh_body["consistency"] = json!("fresh");
    let fresh = app.check_body(fresh_body).await.body;
    assert_eq!(
        [&first["cached"], &second["cached"], &fresh["cached"]],
        [&json!(false), &json!(true), &json!(false)]
    );
    assert_ne!(first["decision_id"], second["decision_id"]);
    assert_eq!(first["policy_revision"].as_str().map(str::len), Some(16));
    assert_eq!(first["errors"], json!([]));
}

#[tokio::test]
async fn batch_answers_in_order() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let item = |principal: &str, action: &str| json!({"principal": principal, "action": action, "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1"});
    let body = json!({"checks": [item("bill", "payInvoice"), item("mia", "payInvoice"), item("olivia", "viewInvoice")]});
    let reply = app
        .send(
            Method::POST,
            "/v1/check/batch",
            Some(CHECK_TOKEN),
            None,
            Some(body),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let decisions: Vec<&str> = reply.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["decision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions, ["allow", "deny", "allow"]);
}

#[tokio::test]
async fn allowed_actions_lists_what_the_menu_may_show() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let body = json!({"principal": "bill", "resource": {"type": "Account", "id": "acct-1"}});
    let reply = app.allowed_actions(body).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let actions: Vec<&str> = reply.body["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a.as_str())
        .collect();
    // Billing holders receive billing mail too, and every member general and support mail.
    assert_eq!(
        actions,
        [
            "listInvoices",
            "receiveBillingMail",
            "receiveGeneralMail",
            "receiveSupportMail",
            "viewAccount"
        ]
    );
    let owner = app
        .send(
            Method::POST,
            "/v1/allowed-actions",
            Some(CHECK_TOKEN),
            None,
            Some(json!({"principal": "olivia", "resource": "Account::\"acct-1\""})),
        )
        .await;
    let owner_actions = owner.body["actions"].as_array().unwrap();
    assert!(
        owner_actions.contains(&json!("inviteUser"))
            && !owner_actions.contains(&json!("createAccount")),
        "{owner_actions:?}"
    );
}

#[tokio::test]
async fn caller_entities_cannot_move_a_resource_to_another_account() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    // otto holds billing (as owner) on acct-2 only; the invoice claims to belong to acct-2.
    let forged = json!({"uid": {"type": "Invoice", "id": "inv-1"}, "attrs": {"accountId": "acct-2", "account": {"__entity": {"type": "Account", "id": "acct-2"}}}, "parents": []});
    let body = json!({"principal": "otto", "action": "payInvoice", "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1", "entities": [forged]});
    let reply = app.check_body(body).await;
    assert_eq!(
        (reply.status, reply.body["decision"].as_str()),
        (200, Some("deny")),
        "{:?}",
        reply.body
    );
    let user = json!({"uid": {"type": "User", "id": "otto"}, "attrs": {"active": true, "ownerOf": [], "adminOf": []}, "parents": []});
    let body = json!({"principal": "otto", "action": "payInvoice", "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1", "entities": [user]});
    let reply = app.check_body(body).await;
    assert_eq!(
        (reply.status, reply.field()),
        (400, "entities[0]"),
        "{:?}",
        reply.body
    );
}

#[tokio::test]
async fn bad_checks_get_a_400_naming_the_field() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let ok = json!({"principal": "bill", "action": "payInvoice", "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1"});
    let with = |key: &str, value: serde_json::Value| {
        let mut body = ok.clone();
        if value.is_null() {
            body.as_object_mut().unwrap().remove(key);
        } else {
            body[key] = value;
        }
        body
    };
    let cases = [
        (with("action", json!(null)), "action"),
        (with("action", json!("fly")), "action"),
        (with("action", json!("Billing")), "action"),
        (
            with("resource", json!({"type": "Spaceship", "id": "x"})),
            "resource.type",
        ),
        (
            with("resource", json!({"type": "Service", "id": "svc-1"})),
            "resource",
        ),
        (with("resource", json!("inv-1")), "resource"),
        (with("account", json!(null)), "account"),
        (with("context", json!({"mfa": "yes"})), "context"),
        (with("context", json!([1])), "context"),
        (with("principal", json!(42)), "principal"),
        (with("principal", json!("")), "principal.id"),
        (with("consistency", json!("eventual")), "consistency"),
        (with("acount", json!("acct-1")), "acount"),
    ];
    for (body, field) in cases {
        let reply = app.check_body(body.clone()).await;
        assert_eq!(reply.status, 400, "{body} → {:?}", reply.body);
        assert_eq!(reply.field(), field, "{body} → {:?}", reply.body);
        assert_eq!(reply.body["error"]["code"], "invalid_request");
    }
    let raw = app
        .client
        .post(format!("{}/v1/check", app.base))
        .bearer_auth(CHECK_TOKEN)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    let error: serde_json::Value = raw.json().await.unwrap();
    assert_eq!(error["error"]["field"], "body");

    let too_many = json!({"checks": vec![ok.clone(); 101]});
    let reply = app
        .send(
            Method::POST,
            "/v1/check/batch",
            Some(CHECK_TOKEN),
            None,
            Some(too_many),
        )
        .await;
    assert_eq!((reply.status, reply.field()), (400, "checks"));
    let bad_item = json!({"checks": [ok.clone(), with("action", json!("fly"))]});
    let reply = app
        .send(
            Method::POST,
            "/v1/check/batch",
            Some(CHECK_TOKEN),
            None,
            Some(bad_item),
        )
        .await;
    assert_eq!((reply.status, reply.field()), (400, "checks[1].action"));
}

#[tokio::test]
async fn check_routes_need_a_token_and_health_routes_do_not() {
    let app = TestApp::spawn().await;
    let body = json!({"principal": "bill", "action": "payInvoice", "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1"});
    assert_eq!(
        app.send(Method::POST, "/v1/check", None, None, Some(body.clone()))
            .await
            .status,
        401
    );
    assert_eq!(
        app.send(
            Method::POST,
            "/v1/check",
            Some("wrong"),
            None,
            Some(body.clone())
        )
        .await
        .status,
        401
    );
    assert_eq!(
        app.send(
            Method::POST,
            "/v1/check",
            Some(ADMIN_TOKEN),
            None,
            Some(body)
        )
        .await
        .status,
        200
    );
    assert_eq!(
        app.send(Method::GET, "/healthz", None, None, None)
            .await
            .status,
        200
    );
    let ready = app.send(Method::GET, "/readyz", None, None, None).await;
    assert_eq!(
        (ready.status, ready.body["database"].as_str()),
        (200, Some("ok"))
    );
}

/// A request whose cache key is past the entry limit (here: a large caller-supplied entity
/// riding along) is answered but never kept, so requests cannot fill the caches with bytes;
/// the same check without it is cached as usual.
#[tokio::test]
async fn requests_too_large_to_cache_are_evaluated_every_time() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let padding = "x".repeat(8 * 1024);
    let order = json!({"uid": {"type": "Order", "id": "o-1"}, "attrs": {"accountId": padding, "account": {"__entity": {"type": "Account", "id": "acct-1"}}}, "parents": []});
    let big = json!({"principal": "bill", "action": "payInvoice", "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1", "entities": [order]});
    for _ in 0..3 {
        let reply = app.check_body(big.clone()).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        assert_eq!(
            (
                reply.body["decision"].as_str(),
                reply.body["cached"].as_bool()
            ),
            (Some("allow"), Some(false))
        );
    }
    app.check("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
        .await;
    let small = app
        .check("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
        .await;
    assert_eq!(small["cached"], true);
}
