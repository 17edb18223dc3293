//! The guard on load and hot reload: a set whose policy tests fail or whose invariants are
//! violated is refused like an invalid one, and `/readyz` reports what is known of the set
//! serving. Also `portier verify` end to end.

use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;

use super::{mutate, policy_copy, portier};
use crate::common::{client_area, repo_path, TestApp};

async fn readyz(app: &TestApp) -> Value {
    app.send(Method::GET, "/readyz", None, None, None)
        .await
        .body
}

/// Writes like an editor that truncates the file and then writes it.
fn truncate_then_write(path: &Path) {
    std::fs::write(path, "").unwrap();
}

async fn wait_for_reload_error(app: &TestApp) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let problems = readyz(app).await["policy_reload_error"].clone();
        if let Some(list) = problems.as_array() {
            return list
                .iter()
                .map(|p| p.as_str().unwrap().to_owned())
                .collect();
        }
        assert!(
            Instant::now() < deadline,
            "the refused reload was never reported"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn readyz_reports_the_tests_and_proofs_of_the_set_serving() {
    let app = TestApp::spawn().await;
    let ready = readyz(&app).await;
    let assurance = &ready["policy_assurance"];
    assert_eq!(assurance["policy_tests"]["status"], "passed", "{ready}");
    assert!(assurance["policy_tests"]["passed"].as_u64().unwrap() >= 50);
    assert_eq!(assurance["invariants"]["status"], "proven", "{ready}");
    let proven = assurance["invariants"]["proven"].as_array().unwrap();
    assert!(proven.iter().any(|p| p == "owner-only-user-management"));
    assert!(proven.iter().any(|p| p == "no-policy-errors"));
    assert!(assurance["invariants"]["violated"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_half_written_status_file_is_refused_and_suspended_users_stay_denied() {
    let dir = policy_copy();
    let app = TestApp::spawn_with(&dir.path().join("policies"), &dir.path().join("schemas")).await;
    client_area(&app).await;
    let suspended = app
        .staff(Method::POST, "/v1/users/bill/suspend", None)
        .await;
    assert_eq!(suspended.status, 200, "{:?}", suspended.body);
    let revision = readyz(&app).await["policy_revision"].clone();
    assert!(
        !app.allows("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    );

    truncate_then_write(&dir.path().join("policies/status.cedar"));
    let problems = wait_for_reload_error(&app).await;
    assert!(
        problems.iter().any(|p| p.starts_with("policy test FAIL")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("invariant inactive-users-denied")),
        "{problems:?}"
    );
    let ready = readyz(&app).await;
    assert_eq!(
        ready["policy_revision"], revision,
        "the old set keeps serving"
    );
    assert_eq!(ready["policy_assurance"]["invariants"]["status"], "proven");
    assert!(
        !app.allows("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    );

    let route = app.staff(Method::POST, "/v1/admin/reload", None).await;
    assert_eq!(
        (route.status, route.body["error"]["code"].as_str()),
        (422, Some("invalid_policies"))
    );
    assert!(route.body["error"]["problems"]
        .to_string()
        .contains("inactive-users-denied"));
}

#[tokio::test]
async fn a_violated_invariant_alone_refuses_a_reload() {
    let dir = policy_copy();
    // No example test covers this change: only the invariant can refuse it.
    std::fs::remove_dir_all(dir.path().join("policies/tests")).unwrap();
    let app = TestApp::spawn_with(&dir.path().join("policies"), &dir.path().join("schemas")).await;
    assert_eq!(
        readyz(&app).await["policy_assurance"]["policy_tests"]["status"],
        "none"
    );
    mutate(
        dir.path(),
        "invitations.cedar",
        "unless { principal.email == resource.email };",
        "unless { principal.email == resource.email || principal.active };",
    );

    let route = app.staff(Method::POST, "/v1/admin/reload", None).await;
    assert_eq!(route.status, 422, "{:?}", route.body);
    let problems = route.body["error"]["problems"].to_string();
    assert!(
        problems.contains("invariant only-invitee-accepts"),
        "{problems}"
    );
    assert!(problems.contains("acceptInvitation"), "{problems}");

    mutate(
        dir.path(),
        "invitations.cedar",
        "unless { principal.email == resource.email || principal.active };",
        "unless { principal.email == resource.email };",
    );
    let route = app.staff(Method::POST, "/v1/admin/reload", None).await;
    assert_eq!(route.status, 200, "{:?}", route.body);
    assert!(readyz(&app).await["policy_reload_error"].is_null());
}

#[test]
fn verify_proves_the_shipped_set_and_reports_a_mutation_with_a_replayable_case() {
    let shipped = portier(&["verify"], &repo_path("."));
    let text = String::from_utf8_lossy(&shipped.stdout);
    assert!(
        shipped.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&shipped.stderr)
    );
    assert!(
        text.contains("proven    owner-only-user-management"),
        "{text}"
    );
    assert!(
        text.contains(" 0 violated, in 238 request environments"),
        "{text}"
    );

    let dir = policy_copy();
    mutate(
        dir.path(),
        "user-management.cedar",
        "unless { resource in principal.ownerOf }",
        "unless { resource in principal.ownerOf || resource in principal.adminOf }",
    );
    let saved = dir.path().join("found");
    let args = ["verify", "--counterexamples", saved.to_str().unwrap()];
    let mutated = portier(&args, dir.path());
    let text = String::from_utf8_lossy(&mutated.stdout);
    assert_eq!(mutated.status.code(), Some(1), "{text}");
    assert!(
        text.contains("VIOLATED  owner-only-user-management"),
        "{text}"
    );
    assert!(text.contains("request: User::"), "{text}");
    assert!(saved
        .join("counterexample-owner-only-user-management.json")
        .is_file());

    let replay = portier(&["test", "--tests", saved.to_str().unwrap()], dir.path());
    assert!(!replay.status.success());
    assert!(String::from_utf8_lossy(&replay.stdout).contains("0 passed"));
    let fixed = portier(
        &["test", "--tests", saved.to_str().unwrap()],
        &repo_path("."),
    );
    assert!(
        fixed.status.success(),
        "{}",
        String::from_utf8_lossy(&fixed.stdout)
    );
}

#[test]
fn verify_without_a_solver_says_how_to_install_one() {
    let output = portier(
        &["verify", "--solver", "/nonexistent/cvc5"],
        &repo_path("."),
    );
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("no SMT solver found") && error.contains("apt-get install cvc5"),
        "{error}"
    );
}

#[test]
fn serve_refuses_to_start_with_a_violated_invariant() {
    let dir = policy_copy();
    mutate(
        dir.path(),
        "user-management.cedar",
        "unless { resource in principal.ownerOf }",
        "unless { resource in principal.ownerOf || resource in principal.adminOf }",
    );
    let database = format!("sqlite://{}", dir.path().join("portier.db").display());
    let args = [
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--database-url",
        &database,
    ];
    let output = portier(&args, dir.path());
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("refusing to serve this policy set")
            && error.contains("invariant owner-only-user-management"),
        "{error}"
    );
}
