//! Data integrity under pressure, over real HTTP: concurrent writes on one account (one and
//! two replicas), racing acceptances of one token, invitations made stale by later member
//! changes, emails with non-ASCII capitals, cached decisions that must end with an
//! invitation's expiry, and the audit trail of a user's own record. Each runs on the
//! backend `PORTIER_TEST_DATABASE` names; the replica races always run on PostgreSQL.

use std::time::Duration;

use crate::common::{client_area, Options, Reply, TestApp, TestDatabase};
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};

/// Two servers on one database (for SQLite, the same server twice: one process is the only
/// supported writer of a file).
async fn two_servers(database: &TestDatabase) -> (TestApp, Option<TestApp>) {
    let first = TestApp::start(&Options::new(&database.url)).await;
    let second = if database.url.starts_with("postgres") {
        Some(TestApp::start(&Options::new(&database.url)).await)
    } else {
        None
    };
    (first, second)
}

async fn owner_of(app: &TestApp, account: &str) -> String {
    let reply = app
        .staff(Method::GET, &format!("/v1/accounts/{account}"), None)
        .await;
    reply.body["owner_id"].as_str().unwrap().to_owned()
}

async fn roles(app: &TestApp, account: &str) -> Vec<(String, String)> {
    let reply = app
        .staff(
            Method::GET,
            &format!("/v1/accounts/{account}/members"),
            None,
        )
        .await;
    reply.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let field = |f: &str| m[f].as_str().unwrap().to_owned();
            (field("user_id"), field("role"))
        })
        .collect()
}

/// Transfer to `m` and removal of `m`, both by the owner `o`, at the same moment on two
/// replicas: exactly one may win, and the account always keeps an owner who is a member.
async fn transfer_races_removal(database: TestDatabase, rounds: usize) {
    let (a, b) = two_servers(&database).await;
    let b = b.as_ref().unwrap_or(&a);
    for round in 0..rounds {
        let (o, m, account) = (
            format!("o{round}"),
            format!("m{round}"),
            format!("r{round}"),
        );
        a.user(&o).await;
        a.user(&m).await;
        a.account(&account, &o).await;
        a.member(&account, &m, "member", &["billing"]).await;
        let (transfer_path, member_path) = (
            format!("/v1/accounts/{account}/transfer-ownership"),
            format!("/v1/accounts/{account}/members/{m}"),
        );
        let transfer = a.acting(
            &o,
            Method::POST,
            &transfer_path,
            Some(json!({"new_owner": m})),
        );
        let remove = b.acting(&o, Method::DELETE, &member_path, None);
        let (transfer, remove) = tokio::join!(transfer, remove);
        let won = [transfer.status, remove.status].map(|s| (200..300).contains(&s));
        assert_eq!(
            won.iter().filter(|w| **w).count(),
            1,
            "round {round}: transfer {:?}, remove {:?}",
            (transfer.status, &transfer.body),
            (remove.status, &remove.body)
        );
        // The loser was decided after the winner committed (403: no longer the owner's to
        // do) or raced it (409: the facts it was decided on changed before its write).
        let loser = if won[0] { &remove } else { &transfer };
        assert!(
            [403, 409].contains(&loser.status),
            "round {round}: {:?}",
            loser.body
        );
        let owner = owner_of(&a, &account).await;
        let members = roles(&a, &account).await;
        assert!(
            members.contains(&(owner.clone(), "owner".into())),
            "round {round}: owner {owner} is no member: {members:?}"
        );
        let expected = if won[0] { &m } else { &o };
        assert_eq!(&owner, expected, "round {round}");
    }
}

#[tokio::test]
async fn a_transfer_and_a_removal_racing_on_one_account_never_both_win() {
    transfer_races_removal(TestDatabase::create().await, 10).await;
}

#[tokio::test]
async fn a_transfer_and_a_removal_racing_on_two_replicas_never_both_win() {
    transfer_races_removal(TestDatabase::postgres().await, 30).await;
}

#[tokio::test]
async fn two_transfers_by_one_owner_racing_on_two_replicas_one_wins() {
    let database = TestDatabase::postgres().await;
    let (a, b) = two_servers(&database).await;
    let b = b.as_ref().unwrap();
    for round in 0..15 {
        let account = format!("t{round}");
        let (o, m1, m2) = (
            format!("o{round}"),
            format!("x{round}"),
            format!("y{round}"),
        );
        for user in [&o, &m1, &m2] {
            a.user(user).await;
        }
        a.account(&account, &o).await;
        a.member(&account, &m1, "member", &[]).await;
        a.member(&account, &m2, "member", &[]).await;
        let path = format!("/v1/accounts/{account}/transfer-ownership");
        let (first, second) = tokio::join!(
            a.acting(&o, Method::POST, &path, Some(json!({"new_owner": m1}))),
            b.acting(&o, Method::POST, &path, Some(json!({"new_owner": m2}))),
        );
        let mut statuses = [first.status, second.status];
        statuses.sort_unstable();
        assert!(
            statuses == [200, 403] || statuses == [200, 409],
            "round {round}: {first:?} {second:?}"
        );
        let owner = owner_of(&a, &account).await;
        assert!(owner == m1 || owner == m2, "round {round}: owner {owner}");
        let members = roles(&a, &account).await;
        assert!(
            members.contains(&(o.clone(), "admin".into())),
            "{members:?}"
        );
    }
}

async fn issue_invitation(app: &TestApp, email: &str, role: &str) -> Value {
    let reply = app
        .acting(
            "olivia",
            Method::POST,
            "/v1/accounts/acct-1/invitations",
            Some(json!({"email": email, "role": role, "grants": []})),
        )
        .await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    reply.body
}

#[tokio::test]
async fn sixteen_acceptances_of_one_token_one_wins_every_loser_gets_the_same_409() {
    let database = TestDatabase::create().await;
    let (a, b) = two_servers(&database).await;
    client_area(&a).await;
    let issued = issue_invitation(&a, "fay@example.com", "member").await;
    a.user("fay").await;
    let servers: Vec<&TestApp> = (0..16)
        .map(|i| match (&b, i % 2) {
            (Some(b), 1) => b,
            _ => &a,
        })
        .collect();
    let replies = join_all(
        servers
            .iter()
            .map(|app| app.accept(&issued["token"], "fay")),
    )
    .await;
    let winners = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(winners, 1, "{replies:?}");
    for loser in replies.iter().filter(|r| r.status != 200) {
        assert_eq!(loser.status, 409, "{:?}", loser.body);
        assert_eq!(loser.body["error"]["code"], "conflict");
        assert!(
            loser.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("already accepted"),
            "{:?}",
            loser.body
        );
    }
}

#[tokio::test]
async fn a_member_change_cancels_that_email_s_pending_invitation() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let issued = issue_invitation(&app, "fay@example.com", "admin").await;
    app.user("fay").await;
    let set = app
        .acting(
            "olivia",
            Method::PUT,
            "/v1/accounts/acct-1/members/fay",
            Some(json!({"role": "member", "grants": ["billing"]})),
        )
        .await;
    assert_eq!(set.status, 200, "{:?}", set.body);

    let stale = app.accept(&issued["token"], "fay").await;
    assert_eq!(stale.status, 410, "{:?}", stale.body);
    assert!(roles(&app, "acct-1")
        .await
        .contains(&("fay".into(), "member".into())));
    assert!(
        !app.allows("fay", "placeOrder", ("Account", "acct-1"), "acct-1")
            .await
    );

    let events = app
        .acting("olivia", Method::GET, "/v1/accounts/acct-1/audit", None)
        .await;
    let superseded: Vec<&Value> = events.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "invitation.supersede")
        .collect();
    assert_eq!(superseded.len(), 1, "{:?}", events.body);
    assert_eq!(superseded[0]["actor"], "user:olivia");
    assert_eq!(superseded[0]["after"]["state"], "cancelled");
}

#[tokio::test]
async fn a_removed_member_cannot_come_back_with_an_old_invitation() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let issued = issue_invitation(&app, "gus@example.com", "admin").await;
    app.user("gus").await;
    app.member("acct-1", "gus", "member", &[]).await;
    let removed = app
        .acting(
            "olivia",
            Method::DELETE,
            "/v1/accounts/acct-1/members/gus",
            None,
        )
        .await;
    assert_eq!(removed.status, 204);
    let stale = app.accept(&issued["token"], "gus").await;
    assert_eq!(stale.status, 410, "{:?}", stale.body);
    assert!(!roles(&app, "acct-1").await.iter().any(|(u, _)| u == "gus"));
}

#[tokio::test]
async fn emails_with_non_ascii_capitals_are_one_address() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let create = |id: &str, email: &str| {
        app.staff(
            Method::POST,
            "/v1/users",
            Some(json!({"id": id, "email": email, "display_name": id, "status": "invited"})),
        )
    };
    let eva = create("eva", "Éva@Example.com").await;
    assert_eq!(eva.status, 201, "{:?}", eva.body);
    assert_eq!(eva.body["email"], "éva@example.com");
    let twin = create("eva2", "éva@example.com").await;
    assert_eq!(twin.status, 409, "{:?}", twin.body);
    let decomposed = create("eva3", "E\u{301}VA@EXAMPLE.COM").await;
    assert_eq!(decomposed.status, 409, "{:?}", decomposed.body);

    let issued = issue_invitation(&app, "ÉVA@example.com", "member").await;
    let accepted = app.accept(&issued["token"], "eva").await;
    assert_eq!(accepted.status, 200, "{:?}", accepted.body);
    assert!(
        app.allows("eva", "viewAccount", ("Account", "acct-1"), "acct-1")
            .await
    );
}

#[tokio::test]
async fn a_cached_allow_ends_with_the_invitation_it_rested_on() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let issued = issue_invitation(&app, "hal@example.com", "member").await;
    let iid = issued["invitation"]["id"].as_str().unwrap();
    let body = json!({"email": "hal@example.com", "id": "hal", "display_name": "Hal", "status": "invited"});
    assert_eq!(
        app.staff(Method::POST, "/v1/users", Some(body))
            .await
            .status,
        201
    );
    let may_accept = || app.check("hal", "acceptInvitation", ("Invitation", iid), "acct-1");
    assert_eq!(may_accept().await["decision"], "allow");
    let cached = may_accept().await;
    assert_eq!(
        (&cached["decision"], &cached["cached"]),
        (&json!("allow"), &json!(true))
    );

    app.clock.advance(Duration::from_secs(7 * 24 * 3600 + 1));
    let after = may_accept().await;
    assert_eq!(after["decision"], "deny", "{after}");
}

#[tokio::test]
async fn a_user_s_own_audit_trail_has_every_change_to_their_record() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let patch = |body: Value| app.staff(Method::PATCH, "/v1/users/bill", Some(body));
    assert_eq!(patch(json!({"display_name": "William"})).await.status, 200);
    assert_eq!(
        patch(json!({"email": "william@example.com"})).await.status,
        200
    );
    let suspended = app
        .staff(Method::POST, "/v1/users/bill/suspend", None)
        .await;
    assert_eq!(suspended.status, 200);

    let own = app
        .acting("mia", Method::GET, "/v1/users/mia/audit", None)
        .await;
    assert_eq!(own.status, 200, "{:?}", own.body);
    let other = app
        .acting("mia", Method::GET, "/v1/users/bill/audit", None)
        .await;
    assert_eq!(other.status, 403, "{:?}", other.body);

    let trail = app
        .staff(Method::GET, "/v1/users/bill/audit?limit=2", None)
        .await;
    assert_eq!(trail.status, 200, "{:?}", trail.body);
    let actions = |page: &Reply| -> Vec<String> {
        page.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(actions(&trail), ["user.status", "user.login_email"]);
    let before = trail.body["next_before"].as_str().unwrap();
    let rest = app
        .staff(
            Method::GET,
            &format!("/v1/users/bill/audit?before={before}"),
            None,
        )
        .await;
    assert_eq!(actions(&rest), ["user.update", "user.create"]);
    let email_change = &trail.body["events"][1];
    assert_eq!(email_change["before"]["email"], "bill@example.com");
    assert_eq!(email_change["after"]["email"], "william@example.com");
    assert!(email_change["account_id"].is_null());

    // Like every route under a user, the trail ends with the user.
    assert_eq!(
        app.staff(Method::DELETE, "/v1/users/ivy", None)
            .await
            .status,
        404
    );
    app.user("ivy").await;
    assert_eq!(
        app.staff(Method::DELETE, "/v1/users/ivy", None)
            .await
            .status,
        204
    );
    let gone = app.staff(Method::GET, "/v1/users/ivy/audit", None).await;
    assert_eq!(gone.status, 404, "{:?}", gone.body);
}
