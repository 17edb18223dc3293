//! API keys on two replicas sharing PostgreSQL and Redis: a key's decision cached on one is
//! shared by the other, and a change to the creator or a revocation on one denies at once on
//! the other, cached and fresh.

use reqwest::Method;
use serde_json::json;

use super::{create_key, key_check, verify};
use crate::common::{client_area, TestApp};

#[tokio::test]
async fn the_other_replica_denies_a_key_at_once_when_its_creator_loses_access_or_it_is_revoked() {
    let (_database, a, b) = TestApp::replicas().await;
    client_area(&a).await;
    a.member("acct-1", "mia", "admin", &[]).await;
    // The shipped policies let only the owner create keys: make mia the owner for a moment.
    let transfer = |to: &'static str| {
        a.staff(
            Method::POST,
            "/v1/accounts/acct-1/transfer-ownership",
            Some(json!({"new_owner": to})),
        )
    };
    let moved = transfer("mia").await;
    assert_eq!(moved.status, 200, "{:?}", moved.body);
    let (id, secret) = create_key(&a, "mia", json!({"name": "ops", "grants": ["billing"]})).await;
    let invoice = ("Invoice", "inv-1");
    let decide = |app: &'static str, fresh: bool| {
        let app = if app == "a" { &a } else { &b };
        let id = id.clone();
        async move { key_check(app, &id, "payInvoice", invoice, json!({}), fresh).await }
    };
    assert_eq!(decide("a", false).await["decision"], "allow");
    let shared = decide("b", false).await;
    assert_eq!(
        (&shared["decision"], &shared["cached"]),
        (&json!("allow"), &json!(true)),
        "{shared}"
    );
    assert_eq!(verify(&b, &secret).await.status, 200);

    // Back to olivia: mia stays an admin (every grant), so the key keeps working...
    assert_eq!(transfer("olivia").await.status, 200);
    assert_eq!(decide("b", false).await["decision"], "allow");
    // ...until mia is a plain member without billing: denied on b at once, cached and fresh.
    a.member("acct-1", "mia", "member", &["services"]).await;
    for fresh in [false, true] {
        let after = decide("b", fresh).await;
        assert_eq!(after["decision"], "deny", "fresh {fresh}: {after}");
    }
    a.member("acct-1", "mia", "member", &["billing"]).await;
    assert_eq!(decide("b", false).await["decision"], "allow");
    assert_eq!(decide("b", false).await["cached"], true);

    let path = format!("/v1/accounts/acct-1/api-keys/{id}");
    let revoked = b.acting("olivia", Method::DELETE, &path, None).await;
    assert_eq!(revoked.status, 204, "{:?}", revoked.body);
    for app in ["a", "b"] {
        for fresh in [false, true] {
            let after = decide(app, fresh).await;
            assert_eq!(after["decision"], "deny", "{app} fresh {fresh}: {after}");
        }
    }
    assert_eq!(verify(&a, &secret).await.status, 401);
}
