//! The property behind "never wider than its creator", through the check pipeline over a
//! real SQLite file: for creators of every role, status, grant set and expiry, and keys with
//! any grants, every request allowed to a key is allowed to its creator. Bounded: 24 random
//! creators × 14 actions, from a fixed seed.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::json;

use super::{create_key, members_create_keys};
use crate::common::GRANTS;
use portier::domain::Timestamp;

const ACTIONS: [(&str, (&str, &str)); 14] = [
    ("payInvoice", ("Invoice", "inv-1")),
    ("viewService", ("Service", "svc-1")),
    ("manageService", ("Service", "svc-1")),
    ("viewServicePassword", ("Service", "svc-1")),
    ("placeOrder", ("Account", "acct-1")),
    ("viewContacts", ("Account", "acct-1")),
    ("editProfile", ("Account", "acct-1")),
    ("viewAccount", ("Account", "acct-1")),
    ("viewInvoice", ("Invoice", "inv-1")),
    ("viewDomain", ("Domain", "example.com")),
    ("manageDomain", ("Domain", "example.com")),
    ("openTicket", ("Account", "acct-1")),
    ("inviteUser", ("Account", "acct-1")),
    ("viewMembers", ("Account", "acct-1")),
];

fn some_grants(rng: &mut StdRng) -> Vec<&'static str> {
    GRANTS
        .iter()
        .copied()
        .filter(|_| rng.random_bool(0.5))
        .collect()
}

#[tokio::test]
async fn whatever_a_key_is_allowed_its_creator_is_allowed() {
    let (_policies, app) = members_create_keys().await;
    let mut rng = StdRng::seed_from_u64(2026);
    let (mut key_allows, mut cases) = (0, 0);
    for n in 0..24 {
        let creator = format!("creator-{n}");
        app.user(&creator).await;
        // Created while a member holding every grant, so the key may hold any of them...
        app.member("acct-1", &creator, "member", &GRANTS).await;
        let key_grants = some_grants(&mut rng);
        let (key, _) = create_key(&app, &creator, json!({"name": "k", "grants": key_grants})).await;
        // ...then the creator's facts change under it.
        let role = *["member", "member", "admin"].choose(&mut rng).unwrap();
        let mut body = json!({"role": role, "grants": some_grants(&mut rng)});
        if rng.random_bool(0.2) {
            let soon = app.clock.now_ms() + 60_000;
            body["expires_at"] = json!(Timestamp::from_millis(soon).to_rfc3339());
        }
        let path = format!("/v1/accounts/acct-1/members/{creator}");
        assert_eq!(
            app.staff(Method::PUT, &path, Some(body.clone()))
                .await
                .status,
            200
        );
        if body.get("expires_at").is_some() {
            app.clock.advance(Duration::from_secs(120));
        }
        if rng.random_bool(0.2) {
            let path = format!("/v1/users/{creator}/suspend");
            assert_eq!(app.staff(Method::POST, &path, None).await.status, 200);
        }
        for (action, resource) in ACTIONS {
            let ask = |principal: serde_json::Value| {
                let body = json!({"principal": principal, "action": action, "account": "acct-1",
                    "resource": {"type": resource.0, "id": resource.1}, "consistency": "fresh"});
                app.check_body(body)
            };
            let by_key = ask(json!({"type": "ApiKey", "id": key})).await.body;
            let by_creator = ask(json!(creator)).await.body;
            cases += 1;
            if by_key["decision"] == "allow" {
                key_allows += 1;
                assert_eq!(
                    by_creator["decision"], "allow",
                    "key {key_grants:?} allowed {action}, its creator ({body}) is not: {by_creator}"
                );
            }
        }
    }
    // Not vacuous: keys were allowed things, and not everything.
    assert!(
        key_allows > 20 && key_allows < cases,
        "{key_allows} of {cases} allowed"
    );
}
