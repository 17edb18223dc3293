//! Support agents over HTTP: acting within the owner's consent and nowhere else, until it ends
//! or is revoked; break-glass for supervisors with a reason, recorded once; bad input.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{client_area, Reply, TestApp, ADMIN_TOKEN};

/// Creates the agents `alice` and `bob` (support) and `sue` (supervisor), as staff.
pub(crate) async fn agents(app: &TestApp) {
    for (id, role) in [
        ("alice", "support"),
        ("bob", "support"),
        ("sue", "supervisor"),
    ] {
        let body = json!({"id": id, "email": format!("{id}@host.example"), "display_name": id, "role": role});
        let reply = app.staff(Method::POST, "/v1/agents", Some(body)).await;
        assert_eq!(reply.status, 201, "create agent {id}: {:?}", reply.body);
    }
}

/// The owner `owner` grants a support access on `account`; its id.
pub(crate) async fn consent(app: &TestApp, owner: &str, account: &str, body: Value) -> String {
    let path = format!("/v1/accounts/{account}/support-access");
    let reply = app.acting(owner, Method::POST, &path, Some(body)).await;
    assert_eq!(reply.status, 201, "grant: {:?}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

/// A check by `Agent::"agent"`, with `context`, cached or fresh.
pub(crate) async fn agent_check(
    app: &TestApp,
    agent: &str,
    action: &str,
    resource: (&str, &str),
    account: &str,
    context: Value,
    fresh: bool,
) -> Reply {
    let body = json!({
        "principal": {"type": "Agent", "id": agent}, "action": action,
        "resource": {"type": resource.0, "id": resource.1}, "account": account,
        "context": context, "consistency": if fresh { "fresh" } else { "cached" },
    });
    app.check_body(body).await
}

/// Whether the agent's check allows (asserting a decision was given).
pub(crate) async fn agent_allows(app: &TestApp, agent: &str, action: &str, fresh: bool) -> bool {
    let reply = agent_check(
        app,
        agent,
        action,
        ("Service", "svc-1"),
        "acct-1",
        json!({}),
        fresh,
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["decision"] == "allow"
}

fn services_for(agent: Option<&str>, app: &TestApp, ahead: Duration) -> Value {
    let mut body = json!({"grants": ["services"], "reason": "ticket #4411: DNS not resolving", "expires_at": app.at(ahead)});
    if let Some(agent) = agent {
        body["agent"] = json!(agent);
    }
    body
}

#[tokio::test]
async fn an_agent_acts_within_the_consent_its_agent_and_account_only() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    agents(&app).await;
    assert!(!agent_allows(&app, "alice", "manageService", false).await);
    consent(
        &app,
        "olivia",
        "acct-1",
        services_for(Some("alice"), &app, Duration::from_secs(3600)),
    )
    .await;
    // Within the grants, cached after the first answer.
    assert!(agent_allows(&app, "alice", "manageService", false).await);
    let again = agent_check(
        &app,
        "alice",
        "manageService",
        ("Service", "svc-1"),
        "acct-1",
        json!({}),
        false,
    )
    .await;
    assert_eq!(again.body["cached"], true);
    assert_eq!(again.body["reasons"], json!(["grant-services"]));
    // Outside them, for another agent, on another account, never user management.
    let pay = agent_check(
        &app,
        "alice",
        "payInvoice",
        ("Invoice", "inv-1"),
        "acct-1",
        json!({}),
        false,
    )
    .await;
    assert_eq!(pay.body["decision"], "deny");
    assert!(!agent_allows(&app, "bob", "manageService", false).await);
    let other = agent_check(
        &app,
        "alice",
        "listServices",
        ("Account", "acct-2"),
        "acct-2",
        json!({}),
        false,
    )
    .await;
    assert_eq!(other.body["decision"], "deny");
    let invite = agent_check(
        &app,
        "alice",
        "inviteUser",
        ("Account", "acct-1"),
        "acct-1",
        json!({}),
        false,
    )
    .await;
    assert_eq!(invite.body["decision"], "deny");
    assert_eq!(invite.body["reasons"], json!(["agent-no-user-management"]));
    // A consent naming no agent opens the account to every agent.
    consent(
        &app,
        "olivia",
        "acct-1",
        services_for(None, &app, Duration::from_secs(600)),
    )
    .await;
    assert!(agent_allows(&app, "bob", "manageService", false).await);
    let listed = app
        .acting(
            "olivia",
            Method::GET,
            "/v1/accounts/acct-1/support-access",
            None,
        )
        .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["support_access"].as_array().unwrap().len(), 2);
    let audit = app.audit_actions("acct-1", 10).await;
    assert_eq!(
        audit.iter().filter(|a| *a == "support.grant").count(),
        2,
        "{audit:?}"
    );
}

#[tokio::test]
async fn an_agent_is_denied_from_the_instant_the_consent_ends_or_is_revoked() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    agents(&app).await;
    consent(
        &app,
        "olivia",
        "acct-1",
        services_for(Some("alice"), &app, Duration::from_secs(600)),
    )
    .await;
    assert!(agent_allows(&app, "alice", "manageService", false).await);
    assert!(agent_allows(&app, "alice", "manageService", false).await);
    app.clock.advance(Duration::from_secs(601));
    for fresh in [false, true] {
        assert!(
            !agent_allows(&app, "alice", "manageService", fresh).await,
            "fresh {fresh}"
        );
    }
    // The sweep records the end once.
    let mut audit = Vec::new();
    for _ in 0..50 {
        audit = app.audit_actions("acct-1", 10).await;
        if audit.contains(&"support.expire".to_owned()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        audit.iter().filter(|a| *a == "support.expire").count(),
        1,
        "{audit:?}"
    );

    let id = consent(
        &app,
        "olivia",
        "acct-1",
        services_for(None, &app, Duration::from_secs(600)),
    )
    .await;
    assert!(agent_allows(&app, "bob", "manageService", false).await);
    let path = format!("/v1/accounts/acct-1/support-access/{id}");
    // Only the owner revokes; then the agent is denied at once, cached or fresh.
    assert_eq!(
        app.acting("adam", Method::DELETE, &path, None).await.status,
        403
    );
    assert_eq!(
        app.acting("olivia", Method::DELETE, &path, None)
            .await
            .status,
        204
    );
    assert_eq!(
        app.acting("olivia", Method::DELETE, &path, None)
            .await
            .status,
        409
    );
    for fresh in [false, true] {
        assert!(
            !agent_allows(&app, "bob", "manageService", fresh).await,
            "fresh {fresh}"
        );
    }
    let listed = app
        .acting(
            "olivia",
            Method::GET,
            "/v1/accounts/acct-1/support-access",
            None,
        )
        .await;
    let accesses = listed.body["support_access"].as_array().unwrap().clone();
    assert!(
        accesses.iter().all(|a| a["current"] == false),
        "{accesses:?}"
    );
    assert_eq!(accesses[0]["revoked_by"], "user:olivia");
    assert!(app
        .audit_actions("acct-1", 10)
        .await
        .contains(&"support.revoke".to_owned()));
}

#[tokio::test]
async fn break_glass_needs_a_supervisor_and_a_reason_and_is_recorded_once_an_hour() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    agents(&app).await;
    let invoice = ("Invoice", "inv-2");
    let glass = |agent: &'static str, context: Value| {
        agent_check(
            &app,
            agent,
            "viewInvoice",
            invoice,
            "acct-2",
            context,
            false,
        )
    };
    assert_eq!(glass("sue", json!({})).await.body["decision"], "deny");
    let support = glass("alice", json!({"reason": "ticket #9"})).await;
    assert_eq!(support.body["decision"], "deny");
    for _ in 0..3 {
        let allowed = glass("sue", json!({"reason": "ticket #9: outage"})).await;
        assert_eq!(allowed.status, 200, "{:?}", allowed.body);
        assert_eq!(allowed.body["decision"], "allow");
        assert_eq!(allowed.body["reasons"], json!(["agent-break-glass"]));
        assert_eq!(allowed.body["cached"], false, "never served from a cache");
    }
    // Once per agent, account, reason and hour; the owner reads it.
    let audit = app
        .acting(
            "otto",
            Method::GET,
            "/v1/accounts/acct-2/audit?limit=20",
            None,
        )
        .await;
    assert_eq!(audit.status, 200, "{:?}", audit.body);
    let events: Vec<&Value> = audit.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "support.break_glass")
        .collect();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["actor"], "agent:sue");
    assert_eq!(events[0]["after"]["reason"], "ticket #9: outage");
    assert_eq!(events[0]["after"]["action"], "viewInvoice");
    assert_eq!(events[0]["after"]["resource"], "Invoice::\"inv-2\"");
    assert_eq!(app.count("break_glass").await, 1);
    // The next hour records it again.
    app.clock.advance(Duration::from_secs(3600));
    glass("sue", json!({"reason": "ticket #9: outage"})).await;
    assert_eq!(app.count("break_glass").await, 2);
    // New reasons beyond the documented rate are refused, and nothing more is recorded.
    let limit = portier::store::BREAK_GLASS_PER_HOUR;
    for i in 1..limit {
        let reply = glass("sue", json!({"reason": format!("ticket #{i}")})).await;
        assert_eq!(reply.body["decision"], "allow", "{i}: {:?}", reply.body);
    }
    let refused = glass("sue", json!({"reason": "one too many"})).await;
    assert_eq!(refused.status, 429, "{:?}", refused.body);
    assert_eq!(refused.body["error"]["field"], "context.reason");
    assert_eq!(app.count("break_glass").await, 1 + limit);
    // A known reason this hour still answers.
    let known = glass("sue", json!({"reason": "ticket #1"})).await;
    assert_eq!(known.body["decision"], "allow");
}

#[tokio::test]
async fn break_glass_is_never_an_allow_without_its_record() {
    let app = TestApp::spawn().await;
    if std::env::var("PORTIER_TEST_DATABASE").as_deref() == Ok("postgres") {
        return; // The file is SQLite's; the replicas test the server case.
    }
    client_area(&app).await;
    agents(&app).await;
    let path = app
        .database_url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    std::fs::remove_file(&path).expect("remove the database file");
    let reply = agent_check(
        &app,
        "sue",
        "viewInvoice",
        ("Invoice", "inv-2"),
        "acct-2",
        json!({"reason": "ticket #9"}),
        false,
    )
    .await;
    assert_eq!(reply.status, 503, "{:?}", reply.body);
}

#[tokio::test]
async fn agents_are_bound_by_the_owners_second_factor_not_by_networks() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    agents(&app).await;
    // Consent first: once the account needs a second factor, so does granting it.
    let expires = app.at(Duration::from_secs(600));
    let grant = json!({"grants": ["services"], "reason": "r", "expires_at": expires});
    consent(&app, "olivia", "acct-1", grant).await;
    let body = json!({"require_mfa": "all", "allowed_ips": ["203.0.113.0/24"]});
    let put = app
        .send(
            Method::PUT,
            "/v1/accounts/acct-1/security",
            Some(ADMIN_TOKEN),
            Some("olivia"),
            Some(body),
        )
        .await;
    assert!(put.status == 200 || put.status == 409, "{:?}", put.body);
    if put.status == 409 {
        // The lockout guard: the call itself must meet the new requirements.
        let mut request = reqwest::Client::new()
            .put(format!("{}/v1/accounts/acct-1/security", app.base))
            .bearer_auth(ADMIN_TOKEN)
            .header("X-Portier-Actor", "olivia")
            .header("X-Portier-MFA", "true")
            .header("X-Portier-Client-IP", "203.0.113.5");
        request = request.json(&json!({"require_mfa": "all", "allowed_ips": ["203.0.113.0/24"]}));
        assert_eq!(request.send().await.unwrap().status(), 200);
    }
    let without = agent_check(
        &app,
        "alice",
        "manageService",
        ("Service", "svc-1"),
        "acct-1",
        json!({}),
        false,
    )
    .await;
    assert_eq!(without.body["decision"], "deny", "{:?}", without.body);
    assert_eq!(without.body["reasons"], json!(["mfa-required"]));
    let with = agent_check(
        &app,
        "alice",
        "manageService",
        ("Service", "svc-1"),
        "acct-1",
        json!({"mfa": true, "ip": "192.0.2.9"}),
        false,
    )
    .await;
    assert_eq!(with.body["decision"], "allow", "{:?}", with.body);
}

#[tokio::test]
async fn an_agent_manages_within_consent_through_the_agent_header() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    agents(&app).await;
    let contacts = |agent: &'static str| {
        let request = reqwest::Client::new()
            .get(format!("{}/v1/accounts/acct-1/contacts", app.base))
            .bearer_auth(ADMIN_TOKEN)
            .header("X-Portier-Agent", agent);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(contacts("alice").await, 403);
    consent(&app, "olivia", "acct-1", json!({"grants": ["contacts"], "reason": "r", "expires_at": app.at(Duration::from_secs(600)), "agent": "alice"})).await;
    assert_eq!(contacts("alice").await, 200);
    assert_eq!(contacts("bob").await, 403);
    let both = reqwest::Client::new()
        .get(format!("{}/v1/accounts/acct-1/contacts", app.base))
        .bearer_auth(ADMIN_TOKEN)
        .header("X-Portier-Agent", "alice")
        .header("X-Portier-Actor", "olivia")
        .send()
        .await
        .unwrap();
    assert_eq!(both.status(), 400);
    let body: Value = both.json().await.unwrap();
    assert_eq!(body["error"]["field"], "X-Portier-Agent");
    // An agent never grants support access, even to themselves.
    let request = reqwest::Client::new()
        .post(format!("{}/v1/accounts/acct-1/support-access", app.base))
        .bearer_auth(ADMIN_TOKEN)
        .header("X-Portier-Agent", "alice")
        .json(&json!({"grants": ["billing"], "reason": "r", "expires_at": app.at(Duration::from_secs(60))}));
    assert_eq!(request.send().await.unwrap().status(), 403);
    // Deleting the agent revokes the consent that names them.
    assert_eq!(
        app.staff(Method::DELETE, "/v1/agents/alice", None)
            .await
            .status,
        204
    );
    assert_eq!(contacts("alice").await, 403);
    let listed = app
        .acting(
            "olivia",
            Method::GET,
            "/v1/accounts/acct-1/support-access",
            None,
        )
        .await;
    assert_eq!(listed.body["support_access"][0]["revoked_by"], "staff");
}

#[tokio::test]
async fn bad_support_access_and_agent_input_is_a_400_naming_the_field() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    agents(&app).await;
    let path = "/v1/accounts/acct-1/support-access";
    let hour = app.at(Duration::from_secs(3600));
    for (body, field) in [
        (
            json!({"grants": ["services"], "expires_at": hour}),
            "reason",
        ),
        (
            json!({"grants": ["services"], "reason": " ", "expires_at": hour}),
            "reason",
        ),
        (
            json!({"grants": ["services"], "reason": "x".repeat(201), "expires_at": hour}),
            "reason",
        ),
        (
            json!({"grants": [], "reason": "r", "expires_at": hour}),
            "grants",
        ),
        (
            json!({"grants": ["nope"], "reason": "r", "expires_at": hour}),
            "grants[0]",
        ),
        (json!({"grants": ["services"], "reason": "r"}), "expires_at"),
        (
            json!({"grants": ["services"], "reason": "r", "expires_at": app.at(Duration::ZERO)}),
            "expires_at",
        ),
        (
            json!({"grants": ["services"], "reason": "r", "expires_at": app.at(Duration::from_secs(31 * 86_400))}),
            "expires_at",
        ),
        (
            json!({"grants": ["services"], "reason": "r", "expires_at": hour, "agent": "nobody"}),
            "agent",
        ),
    ] {
        let reply = app
            .acting("olivia", Method::POST, path, Some(body.clone()))
            .await;
        assert_eq!(reply.status, 400, "{body}: {:?}", reply.body);
        assert_eq!(reply.body["error"]["field"], field, "{body}");
    }
    assert_eq!(app.count("support_access").await, 0);
    let ok = json!({"grants": ["services"], "reason": "r", "expires_at": hour});
    let staff = app.staff(Method::POST, path, Some(ok.clone())).await;
    assert_eq!(staff.status, 403, "{:?}", staff.body);
    assert_eq!(
        staff.body["error"]["reasons"],
        json!(["support-access-by-people-only"])
    );
    assert_eq!(
        app.acting("adam", Method::POST, path, Some(ok))
            .await
            .status,
        403
    );
    // Agents are staff's: a user may not list them; an id is taken once.
    assert_eq!(
        app.acting("olivia", Method::GET, "/v1/agents", None)
            .await
            .status,
        403
    );
    let again =
        json!({"id": "alice", "email": "a@host.example", "display_name": "A", "role": "support"});
    assert_eq!(
        app.staff(Method::POST, "/v1/agents", Some(again))
            .await
            .status,
        409
    );
    let bad_role =
        json!({"id": "zed", "email": "z@host.example", "display_name": "Z", "role": "root"});
    assert_eq!(
        app.staff(Method::POST, "/v1/agents", Some(bad_role))
            .await
            .status,
        400
    );
    let patched = app
        .staff(
            Method::PATCH,
            "/v1/agents/alice",
            Some(json!({"role": "supervisor"})),
        )
        .await;
    assert_eq!(patched.body["role"], "supervisor", "{:?}", patched.body);
    // A check may not supply an agent or state a reason the contract refuses.
    let supplied = app.check_body(json!({
        "principal": "Agent::\"alice\"", "action": "viewAccount", "resource": "Account::\"acct-1\"",
        "entities": [{"uid": {"type": "Agent", "id": "alice"}, "attrs": {"role": {"__entity": {"type": "AgentRole", "id": "supervisor"}}}, "parents": [], "tags": {}}],
    })).await;
    assert_eq!(supplied.status, 400, "{:?}", supplied.body);
    assert_eq!(supplied.body["error"]["field"], "entities[0]");
    let long = agent_check(
        &app,
        "sue",
        "viewAccount",
        ("Account", "acct-1"),
        "acct-1",
        json!({"reason": "x".repeat(201)}),
        false,
    )
    .await;
    assert_eq!(long.status, 400);
    assert_eq!(long.body["error"]["field"], "context.reason");
}

#[tokio::test]
async fn break_glass_is_not_listed_by_allowed_actions_and_a_closed_account_binds_agents() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    agents(&app).await;
    // A menu lists what the consent gives; break-glass is asked per action, and recorded.
    let grant = services_for(None, &app, Duration::from_secs(600));
    consent(&app, "otto", "acct-2", grant).await;
    let body = json!({"principal": {"type": "Agent", "id": "sue"}, "account": "acct-2",
        "resource": {"type": "Service", "id": "svc-2"}, "context": {"reason": "outage"}});
    let listed = app.allowed_actions(body).await;
    assert_eq!(listed.status, 200, "{:?}", listed.body);
    let actions = listed.body["actions"].as_array().unwrap();
    assert!(actions.contains(&json!("manageService")), "{actions:?}");
    assert!(
        !actions.contains(&json!("viewServicePassword")),
        "{actions:?}"
    );
    assert_eq!(app.count("break_glass").await, 0);
    // Closed: neither the consent nor break-glass opens it.
    let close = json!({"status": "closed"});
    let closed = app
        .staff(Method::PATCH, "/v1/accounts/acct-2", Some(close))
        .await;
    assert_eq!(closed.status, 200, "{:?}", closed.body);
    let account = ("Account", "acct-2");
    for (agent, context) in [("alice", json!({})), ("sue", json!({"reason": "outage"}))] {
        let reply = agent_check(
            &app,
            agent,
            "listServices",
            account,
            "acct-2",
            context,
            true,
        )
        .await;
        assert_eq!(reply.body["decision"], "deny", "{agent}: {:?}", reply.body);
        assert_eq!(
            reply.body["reasons"],
            json!(["agent-closed-account-denied"])
        );
    }
}
