//! `portier diff --database-url` on a store with a membership that has run out: the impact it
//! reports is what the check pipeline answers (`portier check --policies NEW`), and an
//! expired and an active membership of the same role and grants are two shapes.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::{policy_copy, portier};
use crate::common::{repo_path, Options, TestApp, TestDatabase};
use portier::authz;

/// Owner `o1` of `a1`; `u2` (billing, expired) and `u3` (billing, active) are members.
async fn seed(database: &TestDatabase) {
    let mut app = TestApp::start(&Options::new(&database.url)).await;
    for user in ["o1", "u2", "u3"] {
        app.user(user).await;
    }
    app.account("a1", "o1").await;
    app.member("a1", "u2", "member", &["billing"]).await;
    app.member("a1", "u3", "member", &["billing"]).await;
    // The API only takes a future limit; the server (and its expiry sweep) stops first so
    // the membership stays, run out, as it does between two sweeps.
    assert!(app.shut_down(Duration::from_secs(5)).await);
    drop(app);
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&database.url).await.unwrap();
    sqlx::query("update membership set expires_at = 1000 where user_id = 'u2'")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

fn run_json(args: &[&str]) -> Value {
    let output = portier(args, &repo_path("."));
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON output")
}

/// `portier check` under the set in `dir`, for `user` of `a1` on the action's sample resource.
fn pipeline_allows(dir: &Path, database_url: &str, user: &str, action: &str) -> bool {
    let (policies, schemas) = (dir.join("policies"), dir.join("schemas"));
    let bundle = authz::load(&policies, &schemas).expect("the new set loads");
    // The account when the action applies to it, else one of the account's invoices,
    // orders or services (written out here, so the test does not lean on the code it checks).
    let (_, types) = bundle.action(action).expect("a declared action");
    let mut names: Vec<String> = types.iter().map(ToString::to_string).collect();
    names.sort();
    let resource = if names.iter().any(|n| n == "Account") {
        "Account::\"a1\"".to_owned()
    } else {
        let ty = names
            .iter()
            .find(|n| ["Invoice", "Order", "Service"].contains(&n.as_str()))
            .expect("an action on the account's things");
        format!("{ty}::\"sample\"")
    };
    let decision = run_json(&[
        "check",
        "--policies",
        policies.to_str().unwrap(),
        "--schemas",
        schemas.to_str().unwrap(),
        "--database-url",
        database_url,
        "--principal",
        user,
        "--action",
        action,
        "--resource",
        &resource,
        "--account",
        "a1",
    ]);
    decision["decision"] == "allow"
}

async fn the_impact_is_what_the_pipeline_answers(database: TestDatabase) {
    seed(&database).await;
    let new = policy_copy();
    std::fs::remove_file(new.path().join("policies/expiry.cedar")).unwrap();
    let new_policies = new.path().join("policies");
    let report = run_json(&[
        "diff",
        "policies",
        new_policies.to_str().unwrap(),
        "--database-url",
        &database.url,
        "--format",
        "json",
    ]);
    let impact = &report["impact"];
    assert_eq!(impact["members"], 3, "{impact}");
    assert_eq!(
        impact["shapes"], 3,
        "expired and active are two shapes: {impact}"
    );

    let changed = impact["changed"].as_array().unwrap();
    let expired_gains: Vec<&str> = changed
        .iter()
        .filter(|s| s["sample_user"] == "u2")
        .flat_map(|s| s["gains"].as_array().unwrap())
        .map(|a| a.as_str().unwrap())
        .collect();
    for action in ["listInvoices", "payInvoice", "viewAccount", "viewInvoice"] {
        assert!(
            !pipeline_allows(new.path(), &database.url, "u2", action),
            "the pipeline allows u2 {action} under the new set"
        );
    }
    assert_eq!(expired_gains, Vec::<&str>::new(), "{impact}");
    // Every gain reported for any shape is an allow of the pipeline for its sample member.
    for shape in changed {
        let user = shape["sample_user"].as_str().unwrap();
        for action in shape["gains"].as_array().unwrap() {
            let action = action.as_str().unwrap();
            assert!(
                pipeline_allows(new.path(), &database.url, user, action),
                "reported gain {action} for {user} is a deny of the pipeline: {impact}"
            );
        }
    }
}

#[tokio::test]
async fn the_impact_of_dropping_expiry_on_sqlite_is_what_portier_check_answers() {
    the_impact_is_what_the_pipeline_answers(TestDatabase::create().await).await;
}

#[tokio::test]
async fn the_impact_of_dropping_expiry_on_postgres_is_what_portier_check_answers() {
    the_impact_is_what_the_pipeline_answers(TestDatabase::postgres().await).await;
}
