//! The model's breadth is the policies' business: view-only grants view and never act, and a
//! grant, a resource type and its actions added to a copy of the policy folders work at once,
//! mail included — with no change to Portier.

use reqwest::Method;
use serde_json::json;

use crate::common::{client_area, policy_copy, TestApp};

fn edit(path: &std::path::Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// The addresses `GET /v1/accounts/acct-1/recipients?topic=…` answers.
async fn recipients(app: &TestApp, topic: &str) -> Vec<String> {
    let path = format!("/v1/accounts/acct-1/recipients?topic={topic}");
    let reply = app.staff(Method::GET, &path, None).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["email"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn view_only_grants_view_receive_their_mail_and_never_act() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    app.user("vera").await;
    app.member(
        "acct-1",
        "vera",
        "member",
        &["billing-view", "services-view", "domains-view"],
    )
    .await;
    for (action, resource, allowed) in [
        ("viewInvoice", ("Invoice", "inv-1"), true),
        ("listInvoices", ("Account", "acct-1"), true),
        ("payInvoice", ("Invoice", "inv-1"), false),
        ("viewService", ("Service", "svc-1"), true),
        ("manageService", ("Service", "svc-1"), false),
        ("viewDomain", ("Domain", "example.com"), true),
        ("manageDomain", ("Domain", "example.com"), false),
        ("placeOrder", ("Account", "acct-1"), false),
    ] {
        assert_eq!(
            app.allows("vera", action, resource, "acct-1").await,
            allowed,
            "vera {action}"
        );
    }
    assert!(recipients(&app, "billing")
        .await
        .contains(&"vera@example.com".to_owned()));
    assert!(recipients(&app, "domains")
        .await
        .contains(&"vera@example.com".to_owned()));
    // bill (billing) receives billing mail, not domain mail.
    assert!(recipients(&app, "billing")
        .await
        .contains(&"bill@example.com".to_owned()));
    assert!(!recipients(&app, "domains")
        .await
        .contains(&"bill@example.com".to_owned()));
}

#[tokio::test]
async fn a_grant_and_a_resource_type_added_to_the_policies_work_without_a_code_change() {
    let dir = policy_copy();
    let schema = dir.path().join("schemas/portier.cedarschema");
    edit(&schema, "\"tickets\"\n];", "\"tickets\", \"backups\"\n];");
    edit(
        &schema,
        "// Any member may see the account exists",
        "entity Backup in [Account] { accountId: String, account: Account };\n\
         action Backups;\n\
         action restoreBackup in [Backups]\n  \
         appliesTo { principal: [User, Staff, ApiKey], resource: [Backup], context: CheckContext };\n\n\
         // Any member may see the account exists",
    );
    edit(
        &schema,
        "action receiveServicesMail in [ServicesView, Mail]",
        "action receiveServicesMail in [ServicesView, Mail, Backups]",
    );
    let grants = dir.path().join("policies/grants.cedar");
    let mut text = std::fs::read_to_string(&grants).unwrap();
    text.push_str(
        "\n// Backups grant: restore the account's backups.\n@id(\"grant-backups\")\n\
         permit (principal is User, action in Action::\"Backups\", resource)\n\
         when { principal.hasTag(resource.accountId) && principal.getTag(resource.accountId).contains(Grant::\"backups\") };\n",
    );
    std::fs::write(&grants, text).unwrap();

    let app = TestApp::spawn_with(&dir.path().join("policies"), &dir.path().join("schemas")).await;
    client_area(&app).await;
    app.member("acct-1", "mia", "member", &["backups"]).await;
    let backup = ("Backup", "nightly-1");
    assert!(app.allows("mia", "restoreBackup", backup, "acct-1").await);
    assert!(!app.allows("bill", "restoreBackup", backup, "acct-1").await);
    let elsewhere = app.check("mia", "restoreBackup", backup, "acct-2").await;
    assert_eq!(elsewhere["decision"], "deny", "{elsewhere}");
    let services = recipients(&app, "services").await;
    assert!(
        services.contains(&"mia@example.com".to_owned()),
        "{services:?}"
    );
    assert!(
        !services.contains(&"bill@example.com".to_owned()),
        "{services:?}"
    );
    let unknown = app
        .acting(
            "olivia",
            Method::PUT,
            "/v1/accounts/acct-1/members/bill",
            Some(json!({"role": "member", "grants": ["archives"]})),
        )
        .await;
    assert_eq!((unknown.status, unknown.field()), (400, "grants[0]"));
}
