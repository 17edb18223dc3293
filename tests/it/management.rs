//! Management routes over real HTTP against a real SQLite file: every call authorized
//! through Cedar for its actor, bad input refused with nothing written, and the CLI.

use crate::common::{client_area, repo_path, TestApp, ADMIN_TOKEN, CHECK_TOKEN};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn only_the_owner_changes_grants() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let body = json!({"role": "member", "grants": ["billing", "passwords", "services"]});
    for actor in ["adam", "bill", "otto"] {
        let reply = app
            .acting(
                actor,
                Method::PUT,
                "/v1/accounts/acct-1/members/mia",
                Some(body.clone()),
            )
            .await;
        assert_eq!(reply.status, 403, "{actor}: {:?}", reply.body);
        assert_eq!(
            reply.body["error"]["reasons"],
            json!(["owner-only-user-management"]),
            "{actor}"
        );
    }
    let members = app
        .staff(Method::GET, "/v1/accounts/acct-1/members", None)
        .await;
    let mia = members.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == "mia")
        .unwrap()
        .clone();
    assert_eq!(mia["grants"], json!([]), "a refused change writes nothing");
    let reply = app
        .acting(
            "olivia",
            Method::PUT,
            "/v1/accounts/acct-1/members/mia",
            Some(body),
        )
        .await;
    assert_eq!(
        (reply.status, &reply.body["grants"]),
        (200, &json!(["billing", "passwords", "services"]))
    );
    assert!(
        app.allows("mia", "viewServicePassword", ("Service", "svc-1"), "acct-1")
            .await
    );
}

#[tokio::test]
async fn members_list_shows_roles_and_the_owner_cannot_be_edited() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let members = app
        .acting("olivia", Method::GET, "/v1/accounts/acct-1/members", None)
        .await;
    assert_eq!(members.status, 200);
    let roles: Vec<(String, String)> = members.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["user_id"].as_str().unwrap().to_owned(),
                m["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("adam", "admin"),
        ("bill", "member"),
        ("mia", "member"),
        ("olivia", "owner"),
    ];
    assert_eq!(roles, expected.map(|(u, r)| (u.to_owned(), r.to_owned())));
    let edit_owner = app
        .acting(
            "olivia",
            Method::PUT,
            "/v1/accounts/acct-1/members/olivia",
            Some(json!({"role": "member"})),
        )
        .await;
    assert_eq!(edit_owner.status, 409, "{:?}", edit_owner.body);
    let remove_owner = app
        .staff(Method::DELETE, "/v1/accounts/acct-1/members/olivia", None)
        .await;
    assert_eq!(remove_owner.status, 409);
    assert!(
        app.allows("olivia", "inviteUser", ("Account", "acct-1"), "acct-1")
            .await
    );
    let not_member = app
        .staff(Method::DELETE, "/v1/accounts/acct-1/members/otto", None)
        .await;
    assert_eq!(not_member.status, 404);
}

#[tokio::test]
async fn users_see_their_own_record_and_accounts_to_switch_between() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    app.member("acct-2", "bill", "admin", &[]).await;
    let accounts = app
        .acting("bill", Method::GET, "/v1/users/bill/accounts", None)
        .await;
    assert_eq!(accounts.status, 200, "{:?}", accounts.body);
    let listed: Vec<(&str, &str)> = accounts.body["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["account_id"].as_str().unwrap(),
                a["role"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(listed, [("acct-1", "member"), ("acct-2", "admin")]);
    assert_eq!(
        app.acting("bill", Method::GET, "/v1/users/bill", None)
            .await
            .body["email"],
        "bill@example.com"
    );
    let other = app.acting("bill", Method::GET, "/v1/users/mia", None).await;
    assert_eq!(other.status, 403);
    let own_status = app
        .acting("bill", Method::POST, "/v1/users/bill/activate", None)
        .await;
    assert_eq!(
        (own_status.status, &own_status.body["error"]["reasons"]),
        (403, &json!(["staff-only-actions"]))
    );
    let rename = app
        .acting(
            "bill",
            Method::PATCH,
            "/v1/users/bill",
            Some(json!({"display_name": "Bill B.", "notification_email": "billing@example.com"})),
        )
        .await;
    assert_eq!(
        (rename.status, rename.body["notification_email"].as_str()),
        (200, Some("billing@example.com"))
    );
}

#[tokio::test]
async fn accounts_are_created_by_staff_and_edited_with_the_profile_grant() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let by_user = app
        .acting(
            "olivia",
            Method::POST,
            "/v1/accounts",
            Some(json!({"id": "acct-3", "name": "Three", "owner": "olivia"})),
        )
        .await;
    assert_eq!(by_user.status, 403, "{:?}", by_user.body);
    let rename = app
        .acting(
            "bill",
            Method::PATCH,
            "/v1/accounts/acct-1",
            Some(json!({"name": "Renamed"})),
        )
        .await;
    assert_eq!(rename.status, 403);
    app.member("acct-1", "bill", "member", &["profile"]).await;
    let rename = app
        .acting(
            "bill",
            Method::PATCH,
            "/v1/accounts/acct-1",
            Some(json!({"name": "Renamed"})),
        )
        .await;
    assert_eq!(
        (rename.status, rename.body["name"].as_str()),
        (200, Some("Renamed"))
    );
    let close = app
        .acting(
            "olivia",
            Method::PATCH,
            "/v1/accounts/acct-1",
            Some(json!({"status": "closed"})),
        )
        .await;
    assert_eq!(
        (close.status, &close.body["error"]["reasons"]),
        (403, &json!(["staff-only-actions"]))
    );
    let seen = app
        .acting("mia", Method::GET, "/v1/accounts/acct-1", None)
        .await;
    assert_eq!(
        (seen.status, seen.body["owner_id"].as_str()),
        (200, Some("olivia"))
    );
    assert_eq!(
        app.acting("mia", Method::GET, "/v1/accounts/acct-2", None)
            .await
            .status,
        403
    );
    assert_eq!(
        app.staff(Method::GET, "/v1/accounts/nope", None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn every_change_is_audited_in_its_transaction() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    app.acting(
        "olivia",
        Method::PUT,
        "/v1/accounts/acct-1/members/bill",
        Some(json!({"role": "member", "grants": ["orders"]})),
    )
    .await;
    let audit = app
        .acting(
            "olivia",
            Method::GET,
            "/v1/accounts/acct-1/audit?limit=2",
            None,
        )
        .await;
    assert_eq!(audit.status, 200, "{:?}", audit.body);
    let newest = &audit.body["events"][0];
    assert_eq!(
        (
            newest["action"].as_str(),
            newest["actor"].as_str(),
            newest["target"].as_str()
        ),
        (
            Some("member.update"),
            Some("user:olivia"),
            Some("user:bill")
        )
    );
    assert_eq!(
        (&newest["before"]["grants"], &newest["after"]["grants"]),
        (&json!(["billing"]), &json!(["orders"]))
    );
    let next = audit.body["next_before"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let older = app
        .acting(
            "olivia",
            Method::GET,
            &format!("/v1/accounts/acct-1/audit?before={next}&limit=200"),
            None,
        )
        .await;
    let actions: Vec<&str> = older.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["member.add", "member.add", "account.create"]);
    assert_eq!(
        app.acting("adam", Method::GET, "/v1/accounts/acct-1/audit", None)
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn bad_management_input_is_refused_and_writes_nothing() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let users_before = app.count("app_user").await;
    let audit_before = app.count("audit_event").await;
    let cases = [
        (
            Method::POST,
            "/v1/users",
            json!({"id": "eve", "email": "not-an-email", "display_name": "Eve"}),
            400,
            "email",
        ),
        (
            Method::POST,
            "/v1/users",
            json!({"id": "eve", "display_name": "Eve"}),
            400,
            "email",
        ),
        (
            Method::POST,
            "/v1/users",
            json!({"id": "e ve", "email": "eve@example.com", "display_name": "Eve"}),
            400,
            "id",
        ),
        (
            Method::POST,
            "/v1/users",
            json!({"id": "eve", "email": "BILL@example.com", "display_name": "Eve"}),
            409,
            "",
        ),
        (
            Method::POST,
            "/v1/users",
            json!({"id": "bill", "email": "eve@example.com", "display_name": "Eve"}),
            409,
            "",
        ),
        (
            Method::POST,
            "/v1/users",
            json!({"id": "eve", "email": "eve@example.com", "display_name": "Eve", "status": "god"}),
            400,
            "status",
        ),
        (
            Method::PUT,
            "/v1/accounts/acct-1/members/mia",
            json!({"role": "member", "grants": ["billing", "backups"]}),
            400,
            "grants[1]",
        ),
        (
            Method::PUT,
            "/v1/accounts/acct-1/members/mia",
            json!({"role": "owner"}),
            400,
            "role",
        ),
        (
            Method::PUT,
            "/v1/accounts/acct-1/members/ghost",
            json!({"role": "member"}),
            404,
            "",
        ),
        (
            Method::POST,
            "/v1/accounts",
            json!({"id": "acct-9", "name": "Nine", "owner": "ghost"}),
            404,
            "",
        ),
        (
            Method::POST,
            "/v1/accounts",
            json!({"id": "acct-1", "name": "Again", "owner": "olivia"}),
            409,
            "",
        ),
        (
            Method::PUT,
            "/v1/accounts/acct-1/services/svc-1",
            json!({"assignees": ["mia", "otto"]}),
            400,
            "assignees[1]",
        ),
        (
            Method::PATCH,
            "/v1/accounts/acct-1",
            json!({"status": "deleted"}),
            400,
            "status",
        ),
        (Method::DELETE, "/v1/users/bill", json!(null), 409, ""),
    ];
    for (method, path, body, status, field) in cases {
        let body = (!body.is_null()).then_some(body);
        let reply = app.staff(method.clone(), path, body.clone()).await;
        assert_eq!(
            reply.status, status,
            "{method} {path} {body:?} → {:?}",
            reply.body
        );
        assert!(
            reply.body["error"]["message"].is_string(),
            "JSON error for {path}: {:?}",
            reply.body
        );
        assert_eq!(reply.field(), field, "{method} {path} {body:?}");
    }
    assert_eq!(app.count("app_user").await, users_before);
    assert_eq!(app.count("account").await, 2);
    assert_eq!(app.count("service_assignment").await, 0);
    assert_eq!(
        app.count("audit_event").await,
        audit_before,
        "no audit row for a refused change"
    );
    let mia = app
        .staff(Method::GET, "/v1/accounts/acct-1/members", None)
        .await
        .body["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == "mia")
        .unwrap()
        .clone();
    assert_eq!(mia["grants"], json!([]));

    let huge = json!({"id": "eve", "email": "eve@example.com", "display_name": "x".repeat(2 * 1024 * 1024)});
    let reply = app.staff(Method::POST, "/v1/users", Some(huge)).await;
    assert_eq!(
        (reply.status, reply.field()),
        (413, "body"),
        "{:?}",
        reply.body
    );
    let bad_actor = app
        .send(
            Method::GET,
            "/v1/users/bill",
            Some(ADMIN_TOKEN),
            Some("a b"),
            None,
        )
        .await;
    assert_eq!(
        (bad_actor.status, bad_actor.field()),
        (400, "X-Portier-Actor")
    );
    let bad_path = app
        .staff(Method::GET, &format!("/v1/users/{}", "x".repeat(200)), None)
        .await;
    assert_eq!((bad_path.status, bad_path.field()), (400, "path"));
}

#[tokio::test]
async fn deleting_a_user_needs_no_memberships_left() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    assert_eq!(
        app.staff(Method::DELETE, "/v1/users/mia", None)
            .await
            .status,
        409
    );
    assert_eq!(
        app.acting(
            "olivia",
            Method::DELETE,
            "/v1/accounts/acct-1/members/mia",
            None
        )
        .await
        .status,
        204
    );
    assert_eq!(
        app.staff(Method::DELETE, "/v1/users/mia", None)
            .await
            .status,
        204
    );
    assert_eq!(
        app.staff(Method::GET, "/v1/users/mia", None).await.status,
        404
    );
}

#[tokio::test]
async fn the_check_token_cannot_manage_and_unknown_routes_are_json_404s() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let reply = app
        .send(Method::GET, "/v1/users/bill", Some(CHECK_TOKEN), None, None)
        .await;
    assert_eq!(
        (reply.status, reply.body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    assert_eq!(
        app.send(Method::GET, "/v1/users/bill", None, None, None)
            .await
            .status,
        401
    );
    let missing = app.staff(Method::GET, "/v1/nothing-here", None).await;
    assert_eq!(
        (missing.status, missing.body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
}

#[test]
fn cli_validates_tests_and_refuses_to_run_open() {
    let bin = env!("CARGO_BIN_EXE_portier");
    let run = |args: &[&str]| {
        std::process::Command::new(bin)
            .args(args)
            .current_dir(repo_path(""))
            .env_remove("PORTIER_ADMIN_TOKEN")
            .env_remove("PORTIER_CHECK_TOKEN")
            .output()
            .expect("run portier")
    };
    let validate = run(&["validate"]);
    assert!(
        validate.status.success(),
        "{}",
        String::from_utf8_lossy(&validate.stderr)
    );
    let test = run(&["test"]);
    let out = String::from_utf8_lossy(&test.stdout);
    assert!(
        test.status.success() && out.trim_end().ends_with(" passed, 0 failed"),
        "{out}"
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::write(
        dir.path().join("policies/bad.cedar"),
        "@id(\"bad\")\npermit (principal, action, resource)\nwhen { principal.nope };\n",
    )
    .unwrap();
    let policies = dir.path().join("policies");
    let invalid = run(&["validate", "--policies", policies.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&invalid.stderr);
    assert!(
        !invalid.status.success() && err.contains("bad.cedar:3:"),
        "{err}"
    );

    let db = dir.path().join("open.db");
    let open = run(&[
        "serve",
        "--bind",
        "0.0.0.0:0",
        "--database-url",
        &format!("sqlite://{}", db.display()),
    ]);
    let err = String::from_utf8_lossy(&open.stderr);
    assert!(
        !open.status.success() && err.contains("no token configured"),
        "{err}"
    );
}

#[tokio::test]
async fn accounts_of_a_deleted_user_are_not_found() {
    let app = TestApp::spawn().await;
    app.user("gina").await;
    let none = app
        .staff(Method::GET, "/v1/users/gina/accounts", None)
        .await;
    assert_eq!(
        (none.status, none.body["accounts"].clone()),
        (200, json!([]))
    );
    assert_eq!(
        app.staff(Method::DELETE, "/v1/users/gina", None)
            .await
            .status,
        204
    );
    assert_eq!(
        app.staff(Method::GET, "/v1/users/gina/accounts", None)
            .await
            .status,
        404
    );
    let empty_patch = app
        .staff(Method::PATCH, "/v1/accounts/nope", Some(json!({})))
        .await;
    assert_eq!(
        empty_patch.status, 404,
        "an empty patch still names a missing account"
    );
}
