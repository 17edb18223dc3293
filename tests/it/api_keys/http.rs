//! API keys on one server over SQLite: creation, listing, verification, revocation, expiry,
//! allow-lists, AuthZEN, and a creator whose access changes under the key.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use super::{bills_billing_key, create_key, key_allows, key_check, members_create_keys, verify};
use crate::common::{client_area, TestApp, CHECK_TOKEN};

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test]
async fn a_key_is_allowed_within_its_grants_on_its_own_account_only() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let body =
        json!({"name": "ci-deploy", "grants": ["services", "billing"], "expires_at": app.at(HOUR)});
    let created = app
        .acting(
            "olivia",
            Method::POST,
            "/v1/accounts/acct-1/api-keys",
            Some(body),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let key = &created.body["api_key"];
    let (id, secret) = (
        key["id"].as_str().unwrap(),
        created.body["secret"].as_str().unwrap(),
    );
    assert_eq!(key["account"], "acct-1");
    assert_eq!(key["name"], "ci-deploy");
    assert_eq!(key["grants"], json!(["billing", "services"]));
    assert_eq!(key["created_by"], "olivia");
    assert_eq!(key["allowed_ips"], json!([]));
    assert_eq!(key["last_used_at"], Value::Null);
    assert!(secret.starts_with("ptk_"), "{secret}");

    // Only the hash is kept; the list and the key never show the secret.
    let listed = app
        .acting("olivia", Method::GET, "/v1/accounts/acct-1/api-keys", None)
        .await;
    assert_eq!(listed.status, 200, "{:?}", listed.body);
    assert_eq!(listed.body["api_keys"][0]["id"], id);
    let shown = app
        .acting(
            "olivia",
            Method::GET,
            &format!("/v1/accounts/acct-1/api-keys/{id}"),
            None,
        )
        .await;
    assert_eq!(shown.body["name"], "ci-deploy");
    // Hosting staff see (and may revoke) an account's keys: a leaked key must be revocable.
    let by_staff = app
        .staff(Method::GET, "/v1/accounts/acct-1/api-keys", None)
        .await;
    assert_eq!(by_staff.status, 200, "{:?}", by_staff.body);
    assert_eq!(by_staff.body["api_keys"][0]["id"], id);
    let by_member = app
        .acting("bill", Method::GET, "/v1/accounts/acct-1/api-keys", None)
        .await;
    assert_eq!(by_member.status, 403, "{:?}", by_member.body);
    for reply in [&listed, &shown] {
        assert!(!reply.body.to_string().contains(secret));
    }

    assert!(key_allows(&app, id, "payInvoice", ("Invoice", "inv-1")).await);
    assert!(key_allows(&app, id, "manageService", ("Service", "svc-1")).await);
    assert!(key_allows(&app, id, "viewAccount", ("Account", "acct-1")).await);
    let cached = key_check(
        &app,
        id,
        "payInvoice",
        ("Invoice", "inv-1"),
        json!({}),
        false,
    )
    .await;
    assert_eq!(cached["cached"], true, "{cached}");
    assert_eq!(cached["reasons"], json!(["api-key-grant-billing"]));
    for (action, resource) in [
        ("placeOrder", ("Account", "acct-1")),
        ("viewContacts", ("Account", "acct-1")),
        ("inviteUser", ("Account", "acct-1")),
        ("viewMembers", ("Account", "acct-1")),
    ] {
        assert!(!key_allows(&app, id, action, resource).await, "{action}");
    }
    let invite = key_check(
        &app,
        id,
        "inviteUser",
        ("Account", "acct-1"),
        json!({}),
        true,
    )
    .await;
    assert_eq!(invite["reasons"], json!(["api-key-no-user-management"]));
    let elsewhere = app
        .check_body(json!({"principal": format!("ApiKey::\"{id}\""), "action": "viewAccount", "resource": {"type": "Account", "id": "acct-2"}}))
        .await;
    assert_eq!(elsewhere.body["decision"], "deny", "{:?}", elsewhere.body);
    assert_eq!(
        elsewhere.body["reasons"],
        json!(["api-key-own-account-only"])
    );

    // The trail has the creation; the console's matrix has a row for the key.
    let trail = app
        .acting("olivia", Method::GET, "/v1/accounts/acct-1/audit", None)
        .await;
    assert!(
        trail.body.to_string().contains("api_key.create"),
        "{:?}",
        trail.body
    );
    let matrix = app
        .staff(Method::GET, "/v1/console/accounts/acct-1/matrix", None)
        .await;
    assert_eq!(matrix.status, 200, "{:?}", matrix.body);
    let columns = matrix.body["columns"].as_array().unwrap();
    let row = matrix.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["principal"] == format!("ApiKey::\"{id}\""))
        .expect("a row for the key")
        .clone();
    assert_eq!(row["display_name"], "ci-deploy");
    let pay = columns
        .iter()
        .position(|c| c["action"] == "payInvoice")
        .unwrap();
    let order = columns
        .iter()
        .position(|c| c["action"] == "placeOrder")
        .unwrap();
    assert_eq!(row["cells"][pay]["decision"], "allow");
    assert_eq!(row["cells"][order]["decision"], "deny");
}

#[tokio::test]
async fn creation_refuses_grants_the_creator_lacks_non_users_and_bad_fields() {
    let (_policies, app) = members_create_keys().await;
    let path = "/v1/accounts/acct-1/api-keys";
    bills_billing_key(&app).await;

    let wider = json!({"name": "too wide", "grants": ["billing", "services"]});
    let refused = app
        .acting("bill", Method::POST, path, Some(wider.clone()))
        .await;
    assert_eq!(refused.status, 403, "{:?}", refused.body);
    assert_eq!(
        refused.body["error"]["reasons"],
        json!(["api-key-grants-held-by-creator"])
    );
    let staff = app.staff(Method::POST, path, Some(wider)).await;
    assert_eq!(staff.status, 403, "{:?}", staff.body);
    assert_eq!(
        staff.body["error"]["reasons"],
        json!(["api-keys-created-by-people"])
    );

    let now = app.at(Duration::ZERO);
    for (body, field) in [
        (json!({"name": "x", "grants": ["spaceships"]}), "grants[0]"),
        (
            json!({"name": "x", "allowed_ips": ["10.0.0.0/8", "nowhere"]}),
            "allowed_ips",
        ),
        (json!({"name": "x", "expires_at": now}), "expires_at"),
        (json!({"name": "", "grants": []}), "name"),
    ] {
        let reply = app
            .acting("olivia", Method::POST, path, Some(body.clone()))
            .await;
        assert_eq!(reply.status, 400, "{body}: {:?}", reply.body);
        assert_eq!(reply.field(), field, "{body}: {:?}", reply.body);
    }
    assert_eq!(app.count("api_key").await, 1, "nothing else was written");

    // On the shipped policies, a member creates nothing either.
    let shipped = TestApp::spawn().await;
    client_area(&shipped).await;
    let member = shipped
        .acting(
            "bill",
            Method::POST,
            path,
            Some(json!({"name": "x", "grants": ["billing"]})),
        )
        .await;
    assert_eq!(member.status, 403);
    assert_eq!(
        member.body["error"]["reasons"],
        json!(["owner-only-user-management"])
    );
}

#[tokio::test]
async fn what_the_creator_loses_the_key_loses_at_once_cached_and_fresh() {
    let (_policies, app) = members_create_keys().await;
    let (id, _) = bills_billing_key(&app).await;
    let pays = || key_allows(&app, &id, "payInvoice", ("Invoice", "inv-1"));
    let set_bill = |grants: Value, expires: Option<String>| {
        let body = json!({"role": "member", "grants": grants, "expires_at": expires});
        app.acting(
            "olivia",
            Method::PUT,
            "/v1/accounts/acct-1/members/bill",
            Some(body),
        )
    };
    assert_eq!(set_bill(json!([]), None).await.status, 200);
    assert!(!pays().await, "the creator lost billing");
    assert_eq!(set_bill(json!(["billing"]), None).await.status, 200);
    assert!(pays().await);

    let suspend = app
        .staff(Method::POST, "/v1/users/bill/suspend", None)
        .await;
    assert_eq!(suspend.status, 200, "{:?}", suspend.body);
    assert!(!pays().await, "the creator is suspended");
    assert_eq!(
        app.staff(Method::POST, "/v1/users/bill/activate", None)
            .await
            .status,
        200
    );
    assert!(pays().await);

    assert_eq!(
        set_bill(json!(["billing"]), Some(app.at(HOUR)))
            .await
            .status,
        200
    );
    assert!(pays().await);
    app.clock.advance(HOUR);
    assert!(!pays().await, "the creator's membership ran out");
    assert_eq!(set_bill(json!(["billing"]), None).await.status, 200);
    assert!(pays().await);

    let removed = app
        .acting(
            "olivia",
            Method::DELETE,
            "/v1/accounts/acct-1/members/bill",
            None,
        )
        .await;
    assert_eq!(removed.status, 204, "{:?}", removed.body);
    assert!(!pays().await, "the creator left the account");
}

#[tokio::test]
async fn revoked_and_expired_keys_are_denied_and_verify_answers_one_401() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let (expiring, expiring_secret) = create_key(
        &app,
        "olivia",
        json!({"name": "short", "grants": ["billing"], "expires_at": app.at(HOUR)}),
    )
    .await;
    let (revoked, revoked_secret) =
        create_key(&app, "olivia", json!({"name": "ci", "grants": ["billing"]})).await;

    let verified = verify(&app, &expiring_secret).await;
    assert_eq!(verified.status, 200, "{:?}", verified.body);
    assert_eq!(verified.body["api_key"]["id"], expiring);
    assert_eq!(verified.body["api_key"]["grants"], json!(["billing"]));
    assert!(key_allows(&app, &revoked, "payInvoice", ("Invoice", "inv-1")).await);

    let path = format!("/v1/accounts/acct-1/api-keys/{revoked}");
    let deleted = app.acting("olivia", Method::DELETE, &path, None).await;
    assert_eq!(deleted.status, 204, "{:?}", deleted.body);
    assert!(!key_allows(&app, &revoked, "payInvoice", ("Invoice", "inv-1")).await);
    let denied = key_check(
        &app,
        &revoked,
        "payInvoice",
        ("Invoice", "inv-1"),
        json!({}),
        false,
    )
    .await;
    assert_eq!(denied["reasons"], json!(["api-key-not-live-denied"]));
    assert_eq!(
        app.acting("olivia", Method::DELETE, &path, None)
            .await
            .status,
        404
    );

    app.clock.advance(HOUR);
    assert!(!key_allows(&app, &expiring, "payInvoice", ("Invoice", "inv-1")).await);

    let mut unknown = revoked_secret.clone();
    unknown.replace_range(unknown.len() - 4.., "0000");
    let nonsense = "ptk_nonsense".to_owned();
    let mut bodies = Vec::new();
    for secret in [&expiring_secret, &revoked_secret, &unknown, &nonsense] {
        let reply = verify(&app, secret).await;
        assert_eq!(reply.status, 401, "{:?}", reply.body);
        bodies.push(reply.body);
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "one and the same 401: {bodies:?}"
    );

    // The trail records the revocation, and the expiry once.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let trail = app
            .acting("olivia", Method::GET, "/v1/accounts/acct-1/audit", None)
            .await;
        let actions: Vec<String> = trail.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect();
        assert!(
            actions.contains(&"api_key.revoke".to_owned()),
            "{actions:?}"
        );
        let expired = actions.iter().filter(|a| *a == "api_key.expire").count();
        if expired == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the expiry was never audited: {actions:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn allowed_networks_admit_ipv4_and_ipv6_addresses_within_them_only() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let body = json!({"name": "deploy", "grants": ["services"], "allowed_ips": ["203.0.113.0/24", "2001:db8::/32"]});
    let (id, secret) = create_key(&app, "olivia", body).await;
    let listed = verify(&app, &secret).await;
    assert_eq!(
        listed.body["api_key"]["allowed_ips"],
        json!(["203.0.113.0/24", "2001:db8::/32"])
    );
    let service = ("Service", "svc-1");
    for (context, allowed) in [
        (json!({"ip": "203.0.113.7"}), true),
        (json!({"ip": "2001:db8:ab::1"}), true),
        (
            json!({"ip": {"__extn": {"fn": "ip", "arg": "203.0.113.9"}}}),
            true,
        ),
        (json!({"ip": "198.51.100.7"}), false),
        (json!({"ip": "2001:db9::1"}), false),
        (json!({"ip": "203.0.113.0/24"}), false),
        (json!({}), false),
    ] {
        for fresh in [false, true, false] {
            let decision =
                key_check(&app, &id, "viewService", service, context.clone(), fresh).await;
            assert_eq!(
                decision["decision"] == "allow",
                allowed,
                "{context} fresh {fresh}: {decision}"
            );
            if !allowed {
                assert_eq!(
                    decision["reasons"],
                    json!(["api-key-outside-allowed-networks"])
                );
            }
        }
    }
}

#[tokio::test]
async fn authzen_names_a_key_api_key_and_no_caller_supplies_one() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let (id, secret) = create_key(
        &app,
        "olivia",
        json!({"name": "billing", "grants": ["billing"]}),
    )
    .await;
    let evaluate = |action: &str| {
        let body = json!({
            "subject": {"type": "api_key", "id": id},
            "action": {"name": action},
            "resource": {"type": "account", "id": "acct-1"},
        });
        app.send(
            Method::POST,
            "/access/v1/evaluation",
            Some(CHECK_TOKEN),
            None,
            Some(body),
        )
    };
    let list = evaluate("listInvoices").await;
    assert_eq!(list.status, 200, "{:?}", list.body);
    assert_eq!(list.body["decision"], true, "{:?}", list.body);
    let order = evaluate("placeOrder").await;
    assert_eq!(order.body["decision"], false, "{:?}", order.body);

    let search = json!({"subject": {"type": "api_key", "id": id}, "resource": {"type": "account", "id": "acct-1"}});
    let actions = app
        .send(
            Method::POST,
            "/access/v1/search/action",
            Some(CHECK_TOKEN),
            None,
            Some(search),
        )
        .await;
    assert_eq!(actions.status, 200, "{:?}", actions.body);
    let names: Vec<&str> = actions.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["listInvoices", "viewAccount"], "{:?}", actions.body);

    let forged = json!({
        "principal": "User::\"mia\"", "action": "payInvoice", "resource": {"type": "Invoice", "id": "inv-1"},
        "account": "acct-1",
        "entities": [{"uid": {"type": "ApiKey", "id": "forged"}, "attrs": {}, "parents": []}],
    });
    let reply = app.check_body(forged).await;
    assert_eq!(reply.status, 400, "{:?}", reply.body);
    assert_eq!(reply.field(), "entities[0]");

    // A check that allowed something, and the verification, are recorded as the key's last use.
    assert_eq!(verify(&app, &secret).await.status, 200);
    let deadline = Instant::now() + Duration::from_secs(5);
    let path = format!("/v1/accounts/acct-1/api-keys/{id}");
    while app.acting("olivia", Method::GET, &path, None).await.body["last_used_at"].is_null() {
        assert!(Instant::now() < deadline, "last use never recorded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn revoking_an_unknown_key_leaves_the_next_writes_unhindered() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let started = Instant::now();
    for n in 0..4 {
        let path = format!("/v1/accounts/acct-1/api-keys/no-such-key-{n}");
        let reply = app.acting("olivia", Method::DELETE, &path, None).await;
        assert_eq!(reply.status, 404, "{:?}", reply.body);
        let member = app
            .acting(
                "olivia",
                Method::PUT,
                "/v1/accounts/acct-1/members/mia",
                Some(json!({"role": "member", "grants": []})),
            )
            .await;
        assert_eq!(
            member.status, 200,
            "a write after a refused revocation: {:?}",
            member.body
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_deleted_creator_s_keys_stay_dead_when_the_id_is_used_again() {
    let (_policies, app) = members_create_keys().await;
    let (id, secret) = bills_billing_key(&app).await;
    let removed = app
        .acting(
            "olivia",
            Method::DELETE,
            "/v1/accounts/acct-1/members/bill",
            None,
        )
        .await;
    assert_eq!(removed.status, 204, "{:?}", removed.body);
    let deleted = app.staff(Method::DELETE, "/v1/users/bill", None).await;
    assert_eq!(deleted.status, 204, "{:?}", deleted.body);
    // Another person, given the same id later, with the same grant.
    app.user("bill").await;
    app.member("acct-1", "bill", "member", &["billing"]).await;
    assert!(!key_allows(&app, &id, "payInvoice", ("Invoice", "inv-1")).await);
    assert_eq!(verify(&app, &secret).await.status, 401);
}
