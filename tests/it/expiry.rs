//! Time-limited access over real HTTP: a membership (or the invitation it came from) with
//! `expires_at` allows until that instant and denies from it, cached and fresh, on one server
//! and on two replicas sharing PostgreSQL and Redis; the expiry is audited exactly once; and
//! every timestamp the API shows is an RFC 3339 UTC string.

use std::time::{Duration, Instant};

use crate::common::{client_area, TestApp};
use portier::domain::Timestamp;
use reqwest::Method;
use serde_json::{json, Value};

const HOUR: Duration = Duration::from_secs(3600);

async fn limit_bill(app: &TestApp, until: &str) {
    let reply = app
        .acting(
            "olivia",
            Method::PUT,
            "/v1/accounts/acct-1/members/bill",
            Some(json!({"role": "member", "grants": ["billing"], "expires_at": until})),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["expires_at"], until);
}

fn pay(fresh: bool) -> Value {
    let mut body = json!({"principal": "bill", "action": "payInvoice", "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1"});
    if fresh {
        body["consistency"] = json!("fresh");
    }
    body
}

async fn decide(app: &TestApp, fresh: bool) -> Value {
    let reply = app.check_body(pay(fresh)).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body
}

/// Waits (at most 5 s) for the sweep to record the expiry, then checks it stays recorded once.
async fn expired_once(app: &TestApp) {
    let count = || async {
        let trail = app
            .acting("olivia", Method::GET, "/v1/accounts/acct-1/audit", None)
            .await;
        let events = trail.body["events"].as_array().unwrap().clone();
        events
            .into_iter()
            .filter(|e| e["action"] == "member.expire")
            .collect::<Vec<_>>()
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while count().await.is_empty() {
        assert!(Instant::now() < deadline, "the expiry was never audited");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let events = count().await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["actor"], "portier");
    assert_eq!(events[0]["target"], "user:bill");
    assert_eq!(events[0]["before"]["grants"], json!(["billing"]));
}

#[tokio::test]
async fn access_ends_at_expires_at_cached_and_fresh_and_is_audited_once() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let until = app.at(HOUR);
    limit_bill(&app, &until).await;
    let members = app
        .acting("olivia", Method::GET, "/v1/accounts/acct-1/members", None)
        .await;
    let bill = members.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == "bill")
        .unwrap()
        .clone();
    assert_eq!(bill["expires_at"], until.as_str());

    assert_eq!(decide(&app, false).await["decision"], "allow");
    let cached = decide(&app, false).await;
    assert_eq!(
        (&cached["decision"], &cached["cached"]),
        (&json!("allow"), &json!(true))
    );
    let billing = "/v1/accounts/acct-1/recipients?topic=billing";
    let mailed = app.acting("olivia", Method::GET, billing, None).await;
    assert!(mailed.body.to_string().contains("bill@example.com"));

    app.clock.advance(HOUR);
    for fresh in [false, true] {
        let after = decide(&app, fresh).await;
        assert_eq!(after["decision"], "deny", "fresh {fresh}: {after}");
        assert_eq!(
            after["reasons"],
            json!(["expired-access-denied"]),
            "{after}"
        );
    }
    let mailed = app.acting("olivia", Method::GET, billing, None).await;
    assert!(
        !mailed.body.to_string().contains("bill@example.com"),
        "{:?}",
        mailed.body
    );
    let switch = app
        .acting("bill", Method::GET, "/v1/users/bill/accounts", None)
        .await;
    assert_eq!(switch.body["accounts"], json!([]), "{:?}", switch.body);

    expired_once(&app).await;
    let members = app
        .acting("olivia", Method::GET, "/v1/accounts/acct-1/members", None)
        .await;
    assert!(
        !members.body.to_string().contains("\"bill\""),
        "{:?}",
        members.body
    );
}

#[tokio::test]
async fn two_replicas_on_postgres_and_redis_deny_from_the_instant_and_audit_once() {
    let (_database, a, b) = TestApp::replicas().await;
    client_area(&a).await;
    b.clock.advance(Duration::from_millis(
        u64::try_from(a.clock.now_ms() - b.clock.now_ms()).unwrap_or(0),
    ));
    limit_bill(&a, &a.at(HOUR)).await;
    assert_eq!(decide(&a, false).await["decision"], "allow");
    let shared = decide(&b, false).await;
    assert_eq!(
        (&shared["decision"], &shared["cached"]),
        (&json!("allow"), &json!(true))
    );

    a.clock.advance(HOUR);
    b.clock.advance(HOUR);
    for app in [&a, &b] {
        for fresh in [false, true] {
            let after = decide(app, fresh).await;
            assert_eq!(after["decision"], "deny", "fresh {fresh}: {after}");
        }
    }
    expired_once(&a).await;
}

#[tokio::test]
async fn a_run_out_membership_gives_nothing_even_without_the_expiry_policy() {
    let policies = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(crate::common::repo_path("policies")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_owned();
        if path.extension().is_some_and(|e| e == "cedar") && name != "expiry.cedar" {
            std::fs::copy(&path, policies.path().join(name)).unwrap();
        }
    }
    let app = TestApp::spawn_with(policies.path(), &crate::common::repo_path("schemas")).await;
    client_area(&app).await;
    limit_bill(&app, &app.at(HOUR)).await;
    assert_eq!(decide(&app, false).await["decision"], "allow");
    app.clock.advance(HOUR);
    for fresh in [false, true] {
        let after = decide(&app, fresh).await;
        assert_eq!(after["decision"], "deny", "fresh {fresh}: {after}");
    }
    assert!(
        !app.allows("bill", "viewAccount", ("Account", "acct-1"), "acct-1")
            .await
    );
}

#[tokio::test]
async fn an_invitation_s_time_limit_passes_to_the_membership() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let until = app.at(HOUR);
    let invited = app
        .acting(
            "olivia",
            Method::POST,
            "/v1/accounts/acct-1/invitations",
            Some(json!({"email": "cy@example.com", "role": "member", "grants": ["orders"], "membership_expires_at": until})),
        )
        .await;
    assert_eq!(invited.status, 201, "{:?}", invited.body);
    assert_eq!(
        invited.body["invitation"]["membership_expires_at"],
        until.as_str()
    );
    app.user("cy").await;
    let accepted = app.accept(&invited.body["token"], "cy").await;
    assert_eq!(accepted.status, 200, "{:?}", accepted.body);
    assert!(
        app.allows("cy", "placeOrder", ("Account", "acct-1"), "acct-1")
            .await
    );
    app.clock.advance(HOUR);
    assert!(
        !app.allows("cy", "placeOrder", ("Account", "acct-1"), "acct-1")
            .await
    );
}

#[tokio::test]
async fn time_limits_must_lie_ahead_and_the_owner_s_access_never_ends() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let put = |body: Value| {
        app.acting(
            "olivia",
            Method::PUT,
            "/v1/accounts/acct-1/members/mia",
            Some(body),
        )
    };
    let past = put(json!({"role": "member", "expires_at": app.at(Duration::ZERO)})).await;
    assert_eq!(
        (past.status, past.field()),
        (400, "expires_at"),
        "{:?}",
        past.body
    );
    let garbled = put(json!({"role": "member", "expires_at": "next friday"})).await;
    assert_eq!(
        (garbled.status, garbled.field()),
        (400, "expires_at"),
        "{:?}",
        garbled.body
    );

    let until = app.at(HOUR);
    assert_eq!(
        put(json!({"role": "member", "expires_at": until}))
            .await
            .status,
        200
    );
    let transfer = app
        .acting(
            "olivia",
            Method::POST,
            "/v1/accounts/acct-1/transfer-ownership",
            Some(json!({"new_owner": "mia"})),
        )
        .await;
    assert_eq!(transfer.status, 200, "{:?}", transfer.body);
    app.clock.advance(2 * HOUR);
    assert!(
        app.allows("mia", "inviteUser", ("Account", "acct-1"), "acct-1")
            .await
    );
}

#[tokio::test]
async fn every_timestamp_is_an_rfc3339_utc_string() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let user = app.staff(Method::GET, "/v1/users/bill", None).await;
    let account = app.staff(Method::GET, "/v1/accounts/acct-1", None).await;
    let trail = app
        .staff(Method::GET, "/v1/accounts/acct-1/audit", None)
        .await;
    let created = trail.body["events"].as_array().unwrap().last().unwrap();
    assert_eq!(created["action"], "account.create");
    let stamps = [
        &user.body["created_at"],
        &user.body["updated_at"],
        &account.body["created_at"],
        &created["created_at"],
        &created["after"]["updated_at"],
    ];
    for stamp in stamps {
        let text = stamp
            .as_str()
            .unwrap_or_else(|| panic!("not a string: {stamp}"));
        assert!(text.ends_with('Z') && text.len() == 24, "{text}");
        let parsed = Timestamp::parse(text).unwrap();
        assert!(
            (parsed.millis() - app.clock.now_ms()).abs() < 60_000,
            "{text}"
        );
    }
    let spec = app
        .send(Method::GET, "/openapi.json", None, None, None)
        .await;
    let schemas = &spec.body["components"]["schemas"];
    let created = &schemas["User"]["properties"]["created_at"];
    assert_eq!(
        created["$ref"], "#/components/schemas/Timestamp",
        "{created}"
    );
    assert_eq!(schemas["Timestamp"]["format"], "date-time");
    assert_eq!(schemas["Timestamp"]["type"], "string");
}
