//! The console's decisions over a real server: every matrix cell against `/v1/check`,
//! explanations (deciding policies, facts, unmet conditions), draft previews and the
//! policies page.

use reqwest::Method;
use serde_json::{json, Value};

use super::billing_needs_orders;
use crate::common::{client_area, TestApp};

#[tokio::test]
async fn every_matrix_cell_is_what_the_check_route_answers() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let matrix = app
        .staff(Method::GET, "/v1/console/accounts/acct-1/matrix", None)
        .await;
    assert_eq!(matrix.status, 200, "{:?}", matrix.body);
    let columns = matrix.body["columns"].as_array().unwrap();
    let rows = matrix.body["rows"].as_array().unwrap();
    let users: Vec<&str> = rows
        .iter()
        .map(|r| r["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["adam", "bill", "mia", "olivia"]);
    assert!(columns.len() >= 20, "{} columns", columns.len());
    assert_eq!(columns[0]["group"], "billing", "grant groups come first");
    let (mut allows, mut denies) = (0, 0);
    for row in rows {
        for (column, cell) in columns.iter().zip(row["cells"].as_array().unwrap()) {
            let resource = (
                column["resource_type"].as_str().unwrap(),
                column["resource_id"].as_str().unwrap(),
            );
            let user = row["user_id"].as_str().unwrap();
            let action = column["action"].as_str().unwrap();
            let checked = app.check(user, action, resource, "acct-1").await;
            assert_eq!(cell["decision"], checked["decision"], "{user} {action}");
            assert_eq!(cell["reasons"], checked["reasons"], "{user} {action}");
            if cell["decision"] == "allow" {
                allows += 1
            } else {
                denies += 1
            }
        }
    }
    assert!(allows > 0 && denies > 0, "{allows} allows, {denies} denies");
    let unknown = app
        .staff(Method::GET, "/v1/console/accounts/nope/matrix", None)
        .await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn explain_shows_deciding_policies_with_file_line_and_the_facts_used() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let body = json!({"principal": "olivia", "action": "payInvoice",
        "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1"});
    let reply = app
        .staff(Method::POST, "/v1/console/explain", Some(body))
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["decision"]["decision"], "allow");
    let deciding = &reply.body["deciding"][0];
    assert_eq!(deciding["id"], "owner-full-access");
    assert_eq!(
        (deciding["file"].as_str(), deciding["line"].as_u64()),
        (Some("owner.cedar"), Some(4))
    );
    assert!(deciding["text"]
        .as_str()
        .unwrap()
        .contains("resource in principal.ownerOf"));
    assert!(deciding["text"]
        .as_str()
        .unwrap()
        .starts_with("// The owner may do anything"));
    let entities = reply.body["entities"].as_array().unwrap();
    let olivia = entities
        .iter()
        .find(|e| e["uid"]["id"] == "olivia")
        .expect("principal entity");
    assert_eq!(olivia["attrs"]["ownerOf"][0]["__entity"]["id"], "acct-1");
    assert!(entities.iter().any(|e| e["uid"]["type"] == "Invoice"));
    assert_eq!(reply.body["permits"], json!([]));
}

#[tokio::test]
async fn explain_lists_the_unmet_conditions_of_a_deny_no_policy_decided() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let body = json!({"principal": "mia", "action": "payInvoice",
        "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1"});
    let reply = app
        .staff(Method::POST, "/v1/console/explain", Some(body))
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["decision"]["decision"], "deny");
    assert_eq!(reply.body["deciding"], json!([]));
    let permits = reply.body["permits"].as_array().unwrap();
    let ids: Vec<&str> = permits
        .iter()
        .map(|p| p["policy"]["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"grant-billing") && ids.contains(&"owner-full-access"),
        "{ids:?}"
    );
    assert!(
        !ids.contains(&"grant-orders"),
        "only permits covering the action: {ids:?}"
    );
    let billing = permits
        .iter()
        .find(|p| p["policy"]["id"] == "grant-billing")
        .unwrap();
    assert_eq!(billing["policy"]["file"], "grants.cedar");
    let conditions = billing["conditions"].as_array().unwrap();
    let met: Vec<(&str, bool)> = conditions
        .iter()
        .map(|c| (c["kind"].as_str().unwrap(), c["met"].as_bool().unwrap()))
        .collect();
    // Members and agents: the principal's kind, its tag for the account, then the grant.
    let expected = [
        ("scope", true),
        ("when", true),
        ("when", true),
        ("when", false),
    ];
    assert_eq!(met, expected);
    assert!(conditions[3]["text"]
        .as_str()
        .unwrap()
        .contains("Grant::\"billing\""));

    let forbid = json!({"principal": "olivia", "action": "deleteUser",
        "resource": {"type": "User", "id": "mia"}});
    let reply = app
        .staff(Method::POST, "/v1/console/explain", Some(forbid))
        .await;
    assert_eq!(reply.body["deciding"][0]["id"], "staff-only-actions");
    assert_eq!(reply.body["deciding"][0]["effect"], "forbid");
    assert_eq!(
        reply.body["permits"],
        json!([]),
        "a forbid decided; nothing missed"
    );

    let stranger = json!({"principal": "nobody", "action": "viewAccount",
        "resource": {"type": "Account", "id": "acct-1"}});
    let reply = app
        .staff(Method::POST, "/v1/console/explain", Some(stranger))
        .await;
    assert!(reply.body["note"]
        .as_str()
        .unwrap()
        .contains("not a user Portier knows"));
    let bad = json!({"principal": "mia", "action": "fly", "resource": {"type": "Account", "id": "acct-1"}});
    let reply = app
        .staff(Method::POST, "/v1/console/explain", Some(bad))
        .await;
    assert_eq!((reply.status, reply.field()), (400, "action"));
}

#[tokio::test]
async fn a_draft_lists_the_cells_that_would_flip_and_deploys_nothing() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let serving = app.policies.current().load().revision().to_owned();
    let body = json!({"account": "acct-1", "file": "grants.cedar", "text": billing_needs_orders()});
    let reply = app
        .staff(Method::POST, "/v1/console/policies/draft", Some(body))
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let flips: Vec<(String, String, String)> = reply.body["flips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["user_id"].as_str().unwrap().into(),
                f["action"].as_str().unwrap().into(),
                f["after"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected: Vec<(String, String, String)> = [
        "listInvoices",
        "payInvoice",
        "receiveBillingMail",
        "viewInvoice",
    ]
    .iter()
    .map(|a| ("bill".into(), (*a).into(), "deny".into()))
    .collect();
    assert_eq!(flips, expected);
    assert_eq!(reply.body["serving_revision"], serving);
    assert_ne!(reply.body["draft_revision"], serving);
    assert_eq!(
        app.policies.current().load().revision(),
        serving,
        "nothing deployed"
    );
    assert!(
        app.allows("bill", "payInvoice", ("Invoice", "i"), "acct-1")
            .await
    );

    let broken = json!({"account": "acct-1", "file": "grants.cedar", "text": "permit (principal, action, resource) when { principal.nope };"});
    let reply = app
        .staff(Method::POST, "/v1/console/policies/draft", Some(broken))
        .await;
    assert_eq!(reply.status, 422, "{:?}", reply.body);
    let problems = reply.body["error"]["problems"].as_array().unwrap();
    assert!(
        problems[0].as_str().unwrap().starts_with("grants.cedar:1"),
        "{problems:?}"
    );
    let escape = json!({"account": "acct-1", "file": "../schemas/x.cedar", "text": ""});
    let reply = app
        .staff(Method::POST, "/v1/console/policies/draft", Some(escape))
        .await;
    assert_eq!((reply.status, reply.field()), (400, "file"));
    let unknown =
        json!({"account": "nope", "file": "grants.cedar", "text": billing_needs_orders()});
    let reply = app
        .staff(Method::POST, "/v1/console/policies/draft", Some(unknown))
        .await;
    assert_eq!(reply.status, 404);
}

#[tokio::test]
async fn the_policies_page_shows_revision_files_tests_and_the_last_reload_error() {
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("policies");
    copy_dir(&crate::common::repo_path("policies"), &policies);
    let app = TestApp::spawn_with(&policies, &crate::common::repo_path("schemas")).await;
    let reply = app.staff(Method::GET, "/v1/console/policies", None).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let revision = app.policies.current().load().revision().to_owned();
    assert_eq!(reply.body["revision"], revision);
    assert_eq!(reply.body["last_reload_error"], Value::Null);
    assert_eq!(reply.body["tests"]["failed"], 0, "{}", reply.body["tests"]);
    assert!(reply.body["tests"]["passed"].as_u64().unwrap() > 20);
    let names: Vec<&str> = reply.body["policy_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"grants.cedar") && names.contains(&"status.cedar"),
        "{names:?}"
    );
    let invariants = &reply.body["invariants"];
    assert_eq!(invariants["status"], "proven", "{invariants}");
    assert_eq!(invariants["violated"], json!([]), "{invariants}");
    assert!(
        invariants["proven"].as_array().unwrap().len() > 10,
        "{invariants}"
    );

    std::fs::write(
        policies.join("zz-broken.cedar"),
        "permit (principal, action, resource) when { 1 };",
    )
    .unwrap();
    assert!(app.policies.reload().is_err());
    let reply = app.staff(Method::GET, "/v1/console/policies", None).await;
    let problems = reply.body["last_reload_error"]
        .as_array()
        .expect("the reload's problems");
    assert!(
        problems[0].as_str().unwrap().contains("zz-broken.cedar:1"),
        "{problems:?}"
    );
    assert_eq!(
        reply.body["revision"], revision,
        "the old set keeps serving"
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}
