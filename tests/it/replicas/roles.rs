//! A role change on one replica flips its holders on another at once, cached and fresh.

use serde_json::json;

use crate::checks::roles::{holds, pays, put_role};
use crate::common::{client_area, TestApp};

#[tokio::test]
async fn a_second_replica_sees_a_role_change_at_once() {
    let (_database, a, b) = TestApp::replicas().await;
    client_area(&a).await;
    put_role(
        &a,
        "olivia",
        "acct-1",
        "clerk",
        json!({"grants": ["billing"]}),
    )
    .await;
    holds(&a, "acct-1", "mia", &["clerk"]).await;
    assert_eq!(pays(&b, "mia", false).await["decision"], "allow");
    assert_eq!(pays(&b, "mia", false).await["cached"], true);
    put_role(&a, "olivia", "acct-1", "clerk", json!({"grants": []})).await;
    for fresh in [false, true] {
        assert_eq!(
            pays(&b, "mia", fresh).await["decision"],
            "deny",
            "fresh {fresh}"
        );
        assert_eq!(
            pays(&a, "mia", fresh).await["decision"],
            "deny",
            "fresh {fresh}"
        );
    }
}
