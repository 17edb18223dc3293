//! Support access on two replicas sharing PostgreSQL and Redis: a consent given on one opens
//! the account on the other, a revocation or an end on one closes it on both, cached or
//! fresh, and break-glass is recorded once however many replicas answer it.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::checks::agents::{agent_allows, agent_check, agents, consent};
use crate::common::{client_area, TestApp};

#[tokio::test]
async fn a_consent_revoked_or_ended_on_one_replica_is_denied_on_the_other_at_once() {
    let (_database, a, b) = TestApp::replicas().await;
    client_area(&a).await;
    agents(&a).await;
    let body = json!({"grants": ["services"], "reason": "ticket #1", "expires_at": a.at(Duration::from_secs(600)), "agent": "alice"});
    let id = consent(&a, "olivia", "acct-1", body).await;
    assert!(agent_allows(&b, "alice", "manageService", false).await);
    assert!(agent_allows(&b, "alice", "manageService", false).await);
    let path = format!("/v1/accounts/acct-1/support-access/{id}");
    assert_eq!(
        b.acting("olivia", Method::DELETE, &path, None).await.status,
        204
    );
    for fresh in [false, true] {
        assert!(
            !agent_allows(&a, "alice", "manageService", fresh).await,
            "a, fresh {fresh}"
        );
        assert!(
            !agent_allows(&b, "alice", "manageService", fresh).await,
            "b, fresh {fresh}"
        );
    }
    // An end by time: both clocks pass it; the cached allow on either is not served.
    let body = json!({"grants": ["services"], "reason": "ticket #2", "expires_at": a.at(Duration::from_secs(300))});
    consent(&b, "olivia", "acct-1", body).await;
    assert!(agent_allows(&a, "bob", "manageService", false).await);
    assert!(agent_allows(&b, "bob", "manageService", false).await);
    a.clock.advance(Duration::from_secs(301));
    b.clock.advance(Duration::from_secs(301));
    for fresh in [false, true] {
        assert!(
            !agent_allows(&a, "bob", "manageService", fresh).await,
            "a, fresh {fresh}"
        );
        assert!(
            !agent_allows(&b, "bob", "manageService", fresh).await,
            "b, fresh {fresh}"
        );
    }
}

#[tokio::test]
async fn break_glass_on_both_replicas_is_recorded_once() {
    let (_database, a, b) = TestApp::replicas().await;
    client_area(&a).await;
    agents(&a).await;
    let context = json!({"reason": "ticket #7: outage"});
    for app in [&a, &b, &a, &b] {
        let reply = agent_check(
            app,
            "sue",
            "viewInvoice",
            ("Invoice", "inv-2"),
            "acct-2",
            context.clone(),
            false,
        )
        .await;
        assert_eq!(reply.body["decision"], "allow", "{:?}", reply.body);
    }
    let audit = a.audit_actions("acct-2", 20).await;
    assert_eq!(
        audit.iter().filter(|x| *x == "support.break_glass").count(),
        1,
        "{audit:?}"
    );
}
