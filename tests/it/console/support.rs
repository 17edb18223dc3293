//! Support access in the console: the matrix shows the agents a current consent covers, each
//! cell the check path's answer; the account's break-glass events are read by action.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::checks::agents::{agent_check, agents, consent};
use crate::common::{client_area, TestApp};

fn rows(matrix: &Value) -> Vec<(&str, &str)> {
    matrix["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["role"] == "agent")
        .map(|r| {
            (
                r["user_id"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_matrix_shows_the_agents_a_current_consent_covers_as_the_check_answers() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    agents(&app).await;
    let path = "/v1/console/accounts/acct-1/matrix";
    assert!(rows(&app.staff(Method::GET, path, None).await.body).is_empty());
    let ends = app.at(Duration::from_secs(600));
    let named = json!({"grants": ["services"], "reason": "ticket #1", "expires_at": ends, "agent": "alice"});
    let access = consent(&app, "olivia", "acct-1", named).await;
    let matrix = app.staff(Method::GET, path, None).await;
    assert_eq!(matrix.status, 200, "{:?}", matrix.body);
    assert_eq!(rows(&matrix.body), [("alice", "support")]);
    let columns = matrix.body["columns"].as_array().unwrap();
    let alice = matrix.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["user_id"] == "alice")
        .unwrap();
    assert_eq!(alice["principal"], "Agent::\"alice\"");
    assert_eq!(alice["grants"], json!(["services"]));
    let mut allowed = Vec::new();
    for (column, cell) in columns.iter().zip(alice["cells"].as_array().unwrap()) {
        let action = column["action"].as_str().unwrap();
        let resource = (
            column["resource_type"].as_str().unwrap(),
            column["resource_id"].as_str().unwrap(),
        );
        let context = json!({"mfa": true});
        let checked = agent_check(&app, "alice", action, resource, "acct-1", context, true).await;
        assert_eq!(cell["decision"], checked.body["decision"], "{action}");
        if cell["decision"] == "allow" {
            allowed.push(action);
        }
    }
    assert!(allowed.contains(&"manageService"), "{allowed:?}");
    assert!(!allowed.contains(&"payInvoice") && !allowed.contains(&"inviteUser"));
    // A consent for any agent covers every agent; once revoked and ended, none.
    let any = json!({"grants": ["billing"], "reason": "ticket #2", "expires_at": ends});
    let any_id = consent(&app, "olivia", "acct-1", any).await;
    let matrix = app.staff(Method::GET, path, None).await;
    assert_eq!(
        rows(&matrix.body),
        [
            ("alice", "support"),
            ("bob", "support"),
            ("sue", "supervisor")
        ]
    );
    for id in [access, any_id] {
        let revoke = format!("/v1/accounts/acct-1/support-access/{id}");
        let reply = app.acting("olivia", Method::DELETE, &revoke, None).await;
        assert_eq!(reply.status, 204, "{:?}", reply.body);
    }
    assert!(rows(&app.staff(Method::GET, path, None).await.body).is_empty());
}

#[tokio::test]
async fn the_audit_trail_answers_one_action_and_refuses_a_malformed_one() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    agents(&app).await;
    let invoice = ("Invoice", "inv-2");
    let context = json!({"reason": "outage"});
    let glass = agent_check(
        &app,
        "sue",
        "viewInvoice",
        invoice,
        "acct-2",
        context,
        false,
    )
    .await;
    assert_eq!(glass.body["decision"], "allow", "{:?}", glass.body);
    let path = "/v1/accounts/acct-2/audit?action=support.break_glass";
    let page = app.acting("otto", Method::GET, path, None).await;
    assert_eq!(page.status, 200, "{:?}", page.body);
    let actions: Vec<&Value> = page.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["action"])
        .collect();
    assert_eq!(actions, [&json!("support.break_glass")]);
    let everything = app
        .acting("otto", Method::GET, "/v1/accounts/acct-2/audit", None)
        .await;
    assert!(everything.body["events"].as_array().unwrap().len() > 1);
    for bad in ["Member.Update", "member%20update", ""] {
        let path = format!("/v1/accounts/acct-2/audit?action={bad}");
        let reply = app.acting("otto", Method::GET, &path, None).await;
        assert_eq!(reply.status, 400, "{bad}: {:?}", reply.body);
        assert_eq!(reply.body["error"]["field"], "action", "{bad}");
    }
}
