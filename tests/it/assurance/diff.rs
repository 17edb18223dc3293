//! `portier diff`: direction and witnesses per request environment, folders and git
//! revisions as sides, the three output formats, and the impact on a seeded database.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::{mutate, policy_copy, portier};
use crate::common::{client_area, Options, TestApp, TestDatabase};

/// `grants.cedar` letting the billing grant place orders too.
fn billing_places_orders(dir: &Path) {
    mutate(
        dir,
        "grants.cedar",
        "contains(Grant::\"orders\")",
        "containsAny([Grant::\"orders\", Grant::\"billing\"])",
    );
}

fn json_diff(args: &[&str], dir: &Path) -> Value {
    let output = portier(args, dir);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON output")
}

fn changes(diff: &Value) -> Vec<(String, String)> {
    diff["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["environment"].as_str().unwrap().to_owned(),
                c["change"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_folder_diff_names_the_direction_and_a_witness_each_way() {
    let old = policy_copy();
    let new = policy_copy();
    billing_places_orders(new.path());
    let (old_dir, new_dir) = (old.path().join("policies"), new.path().join("policies"));
    let (old_arg, new_arg) = (old_dir.to_str().unwrap(), new_dir.to_str().unwrap());

    let wider = json_diff(&["diff", old_arg, new_arg, "--format", "json"], old.path());
    let changed = changes(&wider);
    assert!(!changed.is_empty());
    assert!(
        changed.iter().all(|(_, c)| c == "more_permissive"),
        "{changed:?}"
    );
    assert!(
        changed.iter().any(|(e, _)| e.contains("placeOrder")),
        "{changed:?}"
    );
    assert!(
        !changed.iter().any(|(e, _)| e.contains("payInvoice")),
        "{changed:?}"
    );
    // A grant is a member's and an agent's with consent: both widen.
    for kind in ["User", "Agent"] {
        assert!(
            changed.iter().any(|(e, _)| e.starts_with(kind)),
            "{kind}: {changed:?}"
        );
    }
    let witness = &wider["changed"][0]["newly_allowed"];
    assert_eq!(witness["new_decision"], "allow");
    let principal = witness["request"]["principal"].as_str().unwrap();
    let environment = wider["changed"][0]["environment"].as_str().unwrap();
    let kind = environment.split([' ', ',', ':']).next().unwrap();
    assert!(
        principal.starts_with(&format!("{kind}::")),
        "{principal} in {environment}"
    );
    assert!(wider["changed"][0]["newly_denied"].is_null());
    assert_eq!(wider["environments"], 238);

    let narrower = json_diff(&["diff", new_arg, old_arg, "--format", "json"], old.path());
    let changed = changes(&narrower);
    assert!(
        changed.iter().all(|(_, c)| c == "less_permissive"),
        "{changed:?}"
    );
    assert_eq!(
        narrower["changed"][0]["newly_denied"]["new_decision"],
        "deny"
    );

    let same = json_diff(&["diff", old_arg, old_arg, "--format", "json"], old.path());
    assert_eq!(same["equivalent"], true);
}

#[test]
fn a_git_revision_is_a_side_and_markdown_is_a_review_comment() {
    let repo = policy_copy();
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(repo.path())
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "shipped policies"]);
    billing_places_orders(repo.path());
    mutate(
        repo.path(),
        "status.cedar",
        "unless { resource.active };",
        "unless { resource.active || action == Action::\"viewAccount\" };",
    );

    let both = json_diff(&["diff", "HEAD", "--format", "json"], repo.path());
    let changed = changes(&both);
    assert!(
        changed
            .iter()
            .any(|(e, c)| e.contains("placeOrder") && c == "more_permissive"),
        "{changed:?}"
    );
    assert!(
        changed.iter().any(|(e, _)| e.contains("viewAccount")),
        "{changed:?}"
    );
    assert_eq!(both["old"], "HEAD");

    let output = portier(&["diff", "HEAD", "--format", "markdown"], repo.path());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("### Policy diff"), "{text}");
    assert!(
        text.contains("| `User, Action::\"placeOrder\", Account` | **more permissive** |"),
        "{text}"
    );

    let missing = portier(&["diff", "no-such-revision"], repo.path());
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("neither a folder nor a git revision")
    );
}

async fn impact_on(database: TestDatabase) {
    let app = TestApp::start(&Options::new(&database.url)).await;
    client_area(&app).await;
    for (user, grants) in [
        ("bea", vec!["billing"]),
        ("ben", vec!["billing", "services"]),
        ("ola", vec!["orders"]),
    ] {
        app.user(user).await;
        app.member("acct-2", user, "member", &grants).await;
    }
    let new = policy_copy();
    billing_places_orders(new.path());
    let new_dir = new.path().join("policies");
    let report = json_diff(
        &[
            "diff",
            common_policies(),
            new_dir.to_str().unwrap(),
            "--database-url",
            &database.url,
            "--format",
            "json",
        ],
        &crate::common::repo_path("."),
    );
    let impact = &report["impact"];
    // bill (acct-1), bea and ben (acct-2) hold billing without orders; ola already had orders.
    let orders = ["cancelService", "placeOrder", "upgradeService", "viewOrder"];
    for action in orders {
        assert_eq!(impact["gains_by_action"][action], 3, "{impact}");
    }
    assert!(
        impact["losses_by_action"].as_object().unwrap().is_empty(),
        "{impact}"
    );
    let shapes = impact["changed"].as_array().unwrap();
    assert_eq!(shapes.len(), 2, "{impact}");
    assert!(
        shapes
            .iter()
            .all(|s| s["role"] == "member" && s["gains"] == serde_json::json!(orders)),
        "{impact}"
    );
    assert!(shapes
        .iter()
        .any(|s| s["members"] == 2 && s["grants"] == serde_json::json!(["billing"])));
    assert!(shapes.iter().all(|s| s["sample_user"]
        .as_str()
        .is_some_and(|u| ["bill", "bea", "ben"].contains(&u))));
    assert_eq!(impact["members"], 8, "{impact}");
}

fn common_policies() -> &'static str {
    "policies"
}

#[tokio::test]
async fn the_impact_on_a_seeded_sqlite_database_counts_who_gains_what() {
    impact_on(TestDatabase::create().await).await;
}

#[tokio::test]
async fn the_impact_on_a_seeded_postgres_database_counts_who_gains_what() {
    impact_on(TestDatabase::postgres().await).await;
}
