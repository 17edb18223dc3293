//! Checks naming resources never asked about before: answered from the facts cache and the
//! verdicts remembered over it, yet never staler than the decision cache, and never for an
//! id a policy or the context singles out.

use crate::common::{client_area, TestApp};
use reqwest::Method;
use serde_json::json;

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[tokio::test]
async fn a_revoked_grant_denies_the_next_never_seen_invoice() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    for invoice in ["inv-101", "inv-102"] {
        let decision = app
            .check("bill", "payInvoice", ("Invoice", invoice), "acct-1")
            .await;
        assert_eq!(decision["decision"], "allow", "{invoice}: {decision}");
    }
    let narrowed = app
        .acting(
            "olivia",
            Method::PUT,
            "/v1/accounts/acct-1/members/bill",
            Some(json!({"role": "member", "grants": ["orders"]})),
        )
        .await;
    assert_eq!(narrowed.status, 200, "{:?}", narrowed.body);
    for invoice in ["inv-102", "inv-103"] {
        let decision = app
            .check("bill", "payInvoice", ("Invoice", invoice), "acct-1")
            .await;
        assert_eq!(decision["decision"], "deny", "{invoice}: {decision}");
    }
}

#[tokio::test]
async fn a_service_s_own_assignees_decide_even_after_another_service_was_checked() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    assert!(
        !app.allows("mia", "viewService", ("Service", "svc-20"), "acct-1")
            .await
    );
    let assign = app
        .staff(
            Method::PUT,
            "/v1/accounts/acct-1/services/svc-21",
            Some(json!({"assignees": ["mia"]})),
        )
        .await;
    assert_eq!(assign.status, 200, "{:?}", assign.body);
    let assigned = app
        .check("mia", "viewService", ("Service", "svc-21"), "acct-1")
        .await;
    assert_eq!(assigned["decision"], "allow", "{assigned}");
    assert_eq!(assigned["reasons"], json!(["assigned-service-view"]));
    for other in ["svc-20", "svc-22"] {
        assert!(
            !app.allows("mia", "viewService", ("Service", other), "acct-1")
                .await,
            "{other}"
        );
    }
}

#[tokio::test]
async fn an_id_written_in_a_policy_or_the_context_is_evaluated_on_its_own() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("policies");
    copy_dir(&root.join("policies"), &policies);
    std::fs::write(
        policies.join("held.cedar"),
        "// One disputed invoice nobody may pay.\n@id(\"disputed-invoice-held\")\nforbid (principal, action == Action::\"payInvoice\", resource == Invoice::\"inv-disputed\");\n",
    )
    .unwrap();
    let app = TestApp::spawn_with(&policies, &root.join("schemas")).await;
    client_area(&app).await;
    assert!(
        app.allows("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    );
    let held = app
        .check("bill", "payInvoice", ("Invoice", "inv-disputed"), "acct-1")
        .await;
    assert_eq!(held["decision"], "deny", "{held}");
    assert_eq!(held["reasons"], json!(["disputed-invoice-held"]));
    assert!(
        app.allows("bill", "payInvoice", ("Invoice", "inv-2"), "acct-1")
            .await
    );
}

#[tokio::test]
async fn a_fresh_check_reuses_no_verdict_once_the_store_says_otherwise() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let pay = |invoice: &str| json!({"principal": "bill", "action": "payInvoice", "resource": {"type": "Invoice", "id": invoice}, "account": "acct-1", "consistency": "fresh"});
    for invoice in ["inv-301", "inv-302"] {
        let reply = app.check_body(pay(invoice)).await.body;
        assert_eq!(reply["decision"], "allow", "{invoice}: {reply}");
        assert_eq!(reply["cached"], false, "{invoice}: {reply}");
    }
    // Changed behind Portier's back, so no revision moves: only the store can tell.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
    sqlx::query("update membership set grants = '[\"orders\"]' where user_id = 'bill'")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    for invoice in ["inv-302", "inv-303"] {
        let reply = app.check_body(pay(invoice)).await.body;
        assert_eq!(reply["decision"], "deny", "{invoice}: {reply}");
    }
}
