//! The pipeline's stages one by one over a real SQLite file: the facts a check reads, the
//! entities built from them, the decision, and the cached decision a write makes unreachable.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;

use super::{Api, Checker};
use crate::authz::fixtures::shipped;
use crate::authz::{build_entities, CheckRequest, Consistency, PolicyBundle};
use crate::cache::{DecisionCache, MemoryCache, SyncSettings};
use crate::domain::{Email, Name, Role, Roles, Timestamp};
use crate::store::{Authorized, Clock, MembershipChange, NewAccount, NewUser, Store};

/// A store on a fresh SQLite file with owner `olivia`, `bill` (billing, no end) and `tess`
/// (billing until one second from now) in `acct-1`, on a clock that moves when told.
async fn seeded(dir: &tempfile::TempDir) -> (Store, Clock) {
    let clock = Clock::manual(Clock::default().now_ms());
    let url = format!("sqlite://{}", dir.path().join("portier.db").display());
    let store = Store::open(&url).await.unwrap().with_clock(clock.clone());
    let staff = Authorized::staff();
    for id in ["olivia", "bill", "tess"] {
        let user = NewUser {
            id: id.parse().unwrap(),
            email: Email::try_from(format!("{id}@example.com")).unwrap(),
            display_name: Name::try_from(id.to_owned()).unwrap(),
            notification_email: None,
            status: None,
        };
        let _ = store.create_user(&staff, user).await.unwrap();
    }
    let account = NewAccount {
        id: "acct-1".parse().unwrap(),
        name: Name::try_from("Acme".to_owned()).unwrap(),
        owner: "olivia".parse().unwrap(),
    };
    let _ = store.create_account(&staff, account).await.unwrap();
    let acct = "acct-1".parse().unwrap();
    let soon = Some(Timestamp::from_millis(clock.now_ms() + 1_000));
    for (user, until) in [("bill", None), ("tess", soon)] {
        let user = user.parse().unwrap();
        let change = MembershipChange {
            role: Role::Member,
            grants: vec!["billing".to_owned()],
            roles: Vec::new(),
            expires_at: until,
        };
        let _ = store
            .put_member(&staff, &acct, &user, change, &Roles::new())
            .await
            .unwrap();
    }
    (store, clock)
}

fn checker(store: &Store, bundle: PolicyBundle) -> Checker {
    let cache = DecisionCache::memory(
        MemoryCache::new(1 << 20, Duration::from_secs(300)),
        SyncSettings::default(),
    );
    Checker::new(
        store.clone(),
        cache,
        Arc::new(ArcSwap::from_pointee(bundle)),
    )
}

fn pays(bundle: &PolicyBundle, user: &str, consistency: Consistency) -> CheckRequest {
    let body = serde_json::from_value(serde_json::json!({"principal": user, "action": "payInvoice", "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1"})).unwrap();
    let mut request = bundle.parse_check(body).unwrap();
    request.consistency = consistency;
    request
}

#[tokio::test]
async fn facts_are_read_from_the_file_and_an_expiry_takes_the_grants() {
    let dir = tempfile::tempdir().unwrap();
    let (store, clock) = seeded(&dir).await;
    let checker = checker(&store, shipped());
    let bundle = checker.bundle();
    let tess = pays(&bundle, "tess", Consistency::Fresh);
    let before = checker.facts(&bundle, &tess).await.unwrap();
    let membership = before
        .user
        .as_ref()
        .and_then(|u| u.membership.clone())
        .unwrap();
    assert_eq!(membership.grants, ["billing"]);
    assert!(!membership.expired);
    assert_eq!(before.valid_until, Some(clock.now_ms() + 1_000));
    clock.advance(Duration::from_secs(2));
    let after = checker.facts(&bundle, &tess).await.unwrap();
    let membership = after.user.and_then(|u| u.membership).unwrap();
    assert!(membership.expired);
    assert!(membership.grants.is_empty());
}

#[tokio::test]
async fn entities_carry_the_grants_the_facts_hold() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _clock) = seeded(&dir).await;
    let checker = checker(&store, shipped());
    let bundle = checker.bundle();
    let bill = pays(&bundle, "bill", Consistency::Fresh);
    let facts = checker.facts(&bundle, &bill).await.unwrap();
    let entities = build_entities(&bundle, &bill, &facts).unwrap();
    let json = entities.to_json_value().unwrap().to_string();
    assert!(json.contains("\"billing\""), "{json}");
    assert!(json.contains("\"acct-1\""), "{json}");
}

#[tokio::test]
async fn decisions_follow_the_facts_and_unknown_principals_are_denied() {
    let dir = tempfile::tempdir().unwrap();
    let (store, clock) = seeded(&dir).await;
    let checker = checker(&store, shipped());
    let bundle = checker.bundle();
    let decide = |user: &str| {
        let request = pays(&bundle, user, Consistency::Fresh);
        let checker = checker.clone();
        let bundle = Arc::clone(&bundle);
        async move { checker.decide(&bundle, &request, Api::Check).await.unwrap() }
    };
    assert!(decide("bill").await.is_allow());
    assert!(decide("tess").await.is_allow());
    let nobody = decide("nobody").await;
    assert!(!nobody.is_allow());
    assert!(nobody.reasons.is_empty(), "{:?}", nobody.reasons);
    clock.advance(Duration::from_secs(2));
    assert!(!decide("tess").await.is_allow());
}

#[tokio::test]
async fn a_cached_decision_is_served_until_a_write_touches_its_facts() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _clock) = seeded(&dir).await;
    let checker = checker(&store, shipped());
    checker.sync_revisions().await.unwrap();
    let bundle = checker.bundle();
    let bill = pays(&bundle, "bill", Consistency::Cached);
    let first = checker.decide(&bundle, &bill, Api::Check).await.unwrap();
    let second = checker.decide(&bundle, &bill, Api::Check).await.unwrap();
    assert!(first.is_allow() && !first.cached);
    assert!(second.is_allow() && second.cached);
    let (acct, user) = ("acct-1".parse().unwrap(), "bill".parse().unwrap());
    checker
        .write(store.remove_member(&Authorized::staff(), &acct, &user))
        .await
        .unwrap();
    let third = checker.decide(&bundle, &bill, Api::Check).await.unwrap();
    assert!(!third.is_allow(), "a removed member must be denied at once");
    assert!(!third.cached);
}
