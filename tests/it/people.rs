//! The people around an account over real HTTP: invitations from invite to accept, tokens
//! that must be refused, contacts and mail recipients, ownership transfer, and the audit trail.

use std::time::Duration;

use crate::common::{client_area, Reply, TestApp};
use reqwest::Method;
use serde_json::json;

async fn invite(app: &TestApp, actor: &str, email: &str, grants: &[&str]) -> Reply {
    let body = json!({"email": email, "role": "member", "grants": grants});
    app.acting(
        actor,
        Method::POST,
        "/v1/accounts/acct-1/invitations",
        Some(body),
    )
    .await
}

async fn invited_user(app: &TestApp, id: &str, email: &str) {
    let body = json!({"id": id, "email": email, "display_name": id, "status": "invited"});
    assert_eq!(
        app.staff(Method::POST, "/v1/users", Some(body))
            .await
            .status,
        201
    );
}

async fn audit_actions(app: &TestApp, owner: &str) -> Vec<String> {
    let audit = app
        .acting(
            owner,
            Method::GET,
            "/v1/accounts/acct-1/audit?limit=200",
            None,
        )
        .await;
    audit.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn invite_accept_pay_then_widen_then_revoke() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let invitation = invite(&app, "olivia", "Carol@Example.com", &["billing"]).await;
    assert_eq!(invitation.status, 201, "{:?}", invitation.body);
    let token = invitation.body["token"].clone();
    assert_eq!(token.as_str().map(str::len), Some(64));
    let listed = app
        .acting(
            "olivia",
            Method::GET,
            "/v1/accounts/acct-1/invitations",
            None,
        )
        .await;
    // Stored in the normal form: what any later comparison uses.
    assert_eq!(listed.body["invitations"][0]["email"], "carol@example.com");
    assert!(
        listed.body["invitations"][0].get("token").is_none()
            && !listed.body.to_string().contains(token.as_str().unwrap())
    );

    invited_user(&app, "carol", "carol@example.com").await;
    let accepted = app.accept(&token, "carol").await;
    assert_eq!(
        (
            accepted.status,
            accepted.body["invitation"]["state"].as_str()
        ),
        (200, Some("accepted")),
        "{:?}",
        accepted.body
    );
    assert_eq!(
        app.staff(Method::GET, "/v1/users/carol", None).await.body["status"],
        "active",
        "accepting activates an invited user"
    );
    assert!(
        app.allows("carol", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    );
    assert!(
        !app.allows(
            "carol",
            "viewServicePassword",
            ("Service", "svc-1"),
            "acct-1"
        )
        .await
    );

    let widen = json!({"role": "member", "grants": ["billing", "services", "passwords"]});
    assert_eq!(
        app.acting(
            "olivia",
            Method::PUT,
            "/v1/accounts/acct-1/members/carol",
            Some(widen)
        )
        .await
        .status,
        200
    );
    assert!(
        app.allows(
            "carol",
            "viewServicePassword",
            ("Service", "svc-1"),
            "acct-1"
        )
        .await
    );
    assert_eq!(
        app.acting(
            "olivia",
            Method::DELETE,
            "/v1/accounts/acct-1/members/carol",
            None
        )
        .await
        .status,
        204
    );
    assert!(
        !app.allows("carol", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    );

    let actions = audit_actions(&app, "olivia").await;
    assert_eq!(
        &actions[..4],
        [
            "member.remove",
            "member.update",
            "invitation.accept",
            "invitation.create"
        ]
    );
}

#[tokio::test]
async fn only_the_owner_invites_and_only_the_invitee_accepts() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let by_admin = invite(&app, "adam", "dan@example.com", &[]).await;
    assert_eq!(
        (by_admin.status, &by_admin.body["error"]["reasons"]),
        (403, &json!(["owner-only-user-management"]))
    );
    let token = invite(&app, "olivia", "dan@example.com", &["billing"])
        .await
        .body["token"]
        .clone();
    // The link forwarded to mia (another email) is useless, even to a member of the account.
    let forwarded = app.accept(&token, "mia").await;
    assert_eq!(
        (forwarded.status, &forwarded.body["error"]["reasons"]),
        (403, &json!(["invitation-only-for-invitee"]))
    );
    // A suspended invitee cannot accept.
    invited_user(&app, "dan", "dan@example.com").await;
    assert_eq!(
        app.staff(Method::POST, "/v1/users/dan/suspend", None)
            .await
            .status,
        200
    );
    let suspended = app.accept(&token, "dan").await;
    assert_eq!(
        (suspended.status, &suspended.body["error"]["reasons"]),
        (403, &json!(["inactive-user-denied"]))
    );
    assert_eq!(
        app.staff(Method::POST, "/v1/users/dan/activate", None)
            .await
            .status,
        200
    );
    assert_eq!(app.accept(&token, "dan").await.status, 200);
    assert!(
        app.allows("dan", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    );
}

#[tokio::test]
async fn used_expired_cancelled_and_superseded_tokens_are_refused() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    invited_user(&app, "erin", "erin@example.com").await;

    let first = invite(&app, "olivia", "erin@example.com", &[]).await;
    let again = invite(&app, "olivia", "ERIN@example.com", &[]).await;
    assert_eq!(
        again.status, 409,
        "one pending invitation per account and email"
    );
    let iid = first.body["invitation"]["id"].as_str().unwrap().to_owned();
    let resent = app
        .acting(
            "olivia",
            Method::POST,
            &format!("/v1/invitations/{iid}/resend"),
            None,
        )
        .await;
    assert_eq!(resent.status, 200, "{:?}", resent.body);
    let old = app.accept(&first.body["token"], "erin").await;
    assert_eq!(
        old.status, 404,
        "the token from before the resend is dead: {:?}",
        old.body
    );

    app.clock.advance(Duration::from_secs(7 * 24 * 3600 + 1));
    let expired = app.accept(&resent.body["token"], "erin").await;
    assert_eq!(
        (expired.status, expired.body["error"]["code"].as_str()),
        (410, Some("gone"))
    );
    let revived = app
        .acting(
            "olivia",
            Method::POST,
            &format!("/v1/invitations/{iid}/resend"),
            None,
        )
        .await;
    assert_eq!(revived.status, 200);
    assert_eq!(app.accept(&revived.body["token"], "erin").await.status, 200);
    let reused = app.accept(&revived.body["token"], "erin").await;
    assert_eq!(reused.status, 409, "a token works once");

    let cancelled = invite(&app, "olivia", "frank@example.com", &[]).await;
    let cid = cancelled.body["invitation"]["id"].as_str().unwrap();
    assert_eq!(
        app.acting(
            "adam",
            Method::DELETE,
            &format!("/v1/invitations/{cid}"),
            None
        )
        .await
        .status,
        403
    );
    assert_eq!(
        app.acting(
            "olivia",
            Method::DELETE,
            &format!("/v1/invitations/{cid}"),
            None
        )
        .await
        .status,
        204
    );
    invited_user(&app, "frank", "frank@example.com").await;
    assert_eq!(
        app.accept(&cancelled.body["token"], "frank").await.status,
        410
    );
    assert_eq!(
        invite(&app, "olivia", "bill@example.com", &[]).await.status,
        409,
        "already a member"
    );
    let bad = app.accept(&json!("not-a-token"), "frank").await;
    assert_eq!((bad.status, bad.field()), (400, "token"));
}

#[tokio::test]
async fn contacts_need_the_contacts_grant_and_never_act() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let contact = json!({"name": "Accounts Dept", "email": "ap@acme.example", "phone": "+1 555 0100", "preferences": ["billing"]});
    assert_eq!(
        app.acting(
            "bill",
            Method::POST,
            "/v1/accounts/acct-1/contacts",
            Some(contact.clone())
        )
        .await
        .status,
        403
    );
    app.member("acct-1", "mia", "member", &["contacts"]).await;
    let created = app
        .acting(
            "mia",
            Method::POST,
            "/v1/accounts/acct-1/contacts",
            Some(contact),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let cid = created.body["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/accounts/acct-1/contacts/{cid}");
    let patched = app
        .acting(
            "mia",
            Method::PATCH,
            &path,
            Some(json!({"phone": null, "preferences": ["billing", "support"]})),
        )
        .await;
    assert_eq!(
        (
            patched.body["phone"].clone(),
            patched.body["preferences"].clone()
        ),
        (json!(null), json!(["billing", "support"]))
    );
    assert!(
        app.allows("mia", "manageContacts", ("Contact", &cid), "acct-1")
            .await
    );
    assert!(
        !app.allows(
            "mia",
            "manageContacts",
            ("Contact", "no-such-contact"),
            "acct-1"
        )
        .await
    );
    assert_eq!(
        app.acting("otto", Method::GET, &path, None).await.status,
        403
    );
    // A contact is never a principal.
    let as_principal = app.check_body(json!({"principal": {"type": "Contact", "id": cid}, "action": "viewInvoice", "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1"})).await;
    assert_eq!(as_principal.body["decision"], "deny");
    assert!(
        !app.allows(&cid, "viewInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    );
    assert_eq!(
        app.acting("mia", Method::DELETE, &path, None).await.status,
        204
    );
    assert_eq!(app.staff(Method::GET, &path, None).await.status, 404);
}

#[tokio::test]
async fn recipients_follow_preferences_grants_and_status() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let contact = json!({"name": "Accounts Dept", "email": "ap@acme.example", "preferences": ["billing", "general"]});
    assert_eq!(
        app.staff(Method::POST, "/v1/accounts/acct-1/contacts", Some(contact))
            .await
            .status,
        201
    );
    let notify = json!({"notification_email": "bill.notices@example.com"});
    assert_eq!(
        app.acting("bill", Method::PATCH, "/v1/users/bill", Some(notify))
            .await
            .status,
        200
    );
    let opt_out = json!({"preferences": ["general"]});
    assert_eq!(
        app.acting(
            "adam",
            Method::PUT,
            "/v1/accounts/acct-1/members/adam/preferences",
            Some(opt_out.clone())
        )
        .await
        .status,
        200
    );
    assert_eq!(
        app.acting(
            "bill",
            Method::PUT,
            "/v1/accounts/acct-1/members/adam/preferences",
            Some(opt_out)
        )
        .await
        .status,
        403
    );

    let emails = |reply: Reply| -> Vec<String> {
        reply.body["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["email"].as_str().unwrap().to_owned())
            .collect()
    };
    let paths: Vec<String> = [
        "billing", "general", "services", "domains", "support", "spam",
    ]
    .iter()
    .map(|t| format!("/v1/accounts/acct-1/recipients?topic={t}"))
    .collect();
    let for_topic = |topic: &str| {
        let path = paths
            .iter()
            .find(|p| p.ends_with(&format!("={topic}")))
            .unwrap();
        app.staff(Method::GET, path, None)
    };
    assert_eq!(
        emails(for_topic("billing").await),
        [
            "ap@acme.example",
            "bill.notices@example.com",
            "olivia@example.com"
        ]
    );
    assert_eq!(
        emails(for_topic("general").await),
        [
            "ap@acme.example",
            "adam@example.com",
            "bill.notices@example.com",
            "mia@example.com",
            "olivia@example.com"
        ]
    );
    assert_eq!(emails(for_topic("services").await), ["olivia@example.com"]);
    assert_eq!(emails(for_topic("domains").await), ["olivia@example.com"]);
    assert_eq!(
        emails(for_topic("support").await),
        [
            "bill.notices@example.com",
            "mia@example.com",
            "olivia@example.com"
        ]
    );
    assert_eq!(
        app.staff(Method::POST, "/v1/users/bill/suspend", None)
            .await
            .status,
        200
    );
    assert_eq!(
        emails(for_topic("billing").await),
        ["ap@acme.example", "olivia@example.com"]
    );
    let unknown = for_topic("spam").await;
    assert_eq!((unknown.status, unknown.field()), (400, "topic"));
    let missing = app
        .staff(Method::GET, "/v1/accounts/acct-1/recipients", None)
        .await;
    assert_eq!((missing.status, missing.field()), (400, "topic"));
}

#[tokio::test]
async fn ownership_transfer_moves_user_management() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let by_admin = app
        .acting(
            "adam",
            Method::POST,
            "/v1/accounts/acct-1/transfer-ownership",
            Some(json!({"new_owner": "adam"})),
        )
        .await;
    assert_eq!(by_admin.status, 403);
    let to_outsider = app
        .acting(
            "olivia",
            Method::POST,
            "/v1/accounts/acct-1/transfer-ownership",
            Some(json!({"new_owner": "otto"})),
        )
        .await;
    assert_eq!(to_outsider.status, 409);
    assert!(
        app.allows("olivia", "inviteUser", ("Account", "acct-1"), "acct-1")
            .await
    );
    let moved = app
        .acting(
            "olivia",
            Method::POST,
            "/v1/accounts/acct-1/transfer-ownership",
            Some(json!({"new_owner": "adam"})),
        )
        .await;
    assert_eq!(
        (moved.status, moved.body["owner_id"].as_str()),
        (200, Some("adam")),
        "{:?}",
        moved.body
    );
    let old_owner = invite(&app, "olivia", "gina@example.com", &[]).await;
    assert_eq!(
        (old_owner.status, &old_owner.body["error"]["reasons"]),
        (403, &json!(["owner-only-user-management"]))
    );
    assert!(
        app.allows("olivia", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await,
        "the previous owner stays an admin"
    );
    assert!(
        app.allows("adam", "inviteUser", ("Account", "acct-1"), "acct-1")
            .await
    );
    let roles = app
        .staff(Method::GET, "/v1/accounts/acct-1/members", None)
        .await;
    let olivia = roles.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == "olivia")
        .unwrap()
        .clone();
    assert_eq!(olivia["role"], "admin");
    assert_eq!(audit_actions(&app, "adam").await[0], "account.transfer");
    assert_eq!(
        app.acting("olivia", Method::GET, "/v1/accounts/acct-1/audit", None)
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn bad_people_input_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let (invitations, contacts, audit) = (
        app.count("invitation").await,
        app.count("contact").await,
        app.count("audit_event").await,
    );
    let cases = [
        (
            "/v1/accounts/acct-1/invitations",
            json!({"email": "nope", "role": "member"}),
            "email",
        ),
        (
            "/v1/accounts/acct-1/invitations",
            json!({"email": "x@example.com", "role": "member", "grants": ["backups"]}),
            "grants[0]",
        ),
        (
            "/v1/accounts/acct-1/invitations",
            json!({"email": "x@example.com", "role": "owner"}),
            "role",
        ),
        (
            "/v1/accounts/acct-1/contacts",
            json!({"name": "X", "email": "x@example.com", "preferences": ["spam"]}),
            "preferences[0]",
        ),
        (
            "/v1/accounts/acct-1/contacts",
            json!({"name": "  ", "email": "x@example.com"}),
            "name",
        ),
        (
            "/v1/accounts/acct-1/contacts",
            json!({"name": "X", "email": "x@example.com", "phone": "call me"}),
            "phone",
        ),
        (
            "/v1/accounts/acct-1/contacts",
            json!({"name": "X", "email": "x@example.com", "note": "hi"}),
            "note",
        ),
    ];
    for (path, body, field) in cases {
        let reply = app
            .acting("olivia", Method::POST, path, Some(body.clone()))
            .await;
        assert_eq!(
            (reply.status, reply.field()),
            (400, field),
            "{path} {body}: {:?}",
            reply.body
        );
    }
    let huge = json!({"name": "X", "email": "x@example.com", "phone": "1".repeat(2 * 1024 * 1024)});
    let reply = app
        .acting(
            "olivia",
            Method::POST,
            "/v1/accounts/acct-1/contacts",
            Some(huge),
        )
        .await;
    assert_eq!((reply.status, reply.field()), (413, "body"));
    let prefs = app
        .acting(
            "mia",
            Method::PUT,
            "/v1/accounts/acct-1/members/mia/preferences",
            Some(json!({"preferences": ["news"]})),
        )
        .await;
    assert_eq!((prefs.status, prefs.field()), (400, "preferences[0]"));
    assert_eq!(
        (
            app.count("invitation").await,
            app.count("contact").await,
            app.count("audit_event").await
        ),
        (invitations, contacts, audit)
    );
}

#[tokio::test]
async fn a_forwarded_link_stays_useless_even_if_the_holder_edits_their_email() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    let token = invite(&app, "olivia", "dan@example.com", &["billing"])
        .await
        .body["token"]
        .clone();
    // mia holds the forwarded link and tries to take dan's address for a moment.
    let swap = app
        .acting(
            "mia",
            Method::PATCH,
            "/v1/users/mia",
            Some(json!({"email": "dan@example.com"})),
        )
        .await;
    assert_eq!(
        (swap.status, &swap.body["error"]["reasons"]),
        (403, &json!(["staff-only-actions"]))
    );
    assert_eq!(app.accept(&token, "mia").await.status, 403);
    // Staff (the portal, after verifying the address) may change a login email.
    let verified = app
        .staff(
            Method::PATCH,
            "/v1/users/mia",
            Some(json!({"email": "mia.new@example.com"})),
        )
        .await;
    assert_eq!(
        (verified.status, verified.body["email"].as_str()),
        (200, Some("mia.new@example.com"))
    );
}

#[tokio::test]
async fn checks_treat_used_cancelled_and_expired_invitations_as_unknown() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    invited_user(&app, "erin", "erin@example.com").await;
    let issued = invite(&app, "olivia", "erin@example.com", &[]).await;
    let iid = issued.body["invitation"]["id"].as_str().unwrap().to_owned();
    assert!(
        app.allows("erin", "acceptInvitation", ("Invitation", &iid), "acct-1")
            .await
    );
    assert_eq!(app.accept(&issued.body["token"], "erin").await.status, 200);
    assert!(
        !app.allows("erin", "acceptInvitation", ("Invitation", &iid), "acct-1")
            .await,
        "used"
    );

    let later = invite(&app, "olivia", "frank@example.com", &[]).await;
    let lid = later.body["invitation"]["id"].as_str().unwrap().to_owned();
    invited_user(&app, "frank", "frank@example.com").await;
    assert!(
        app.allows("frank", "acceptInvitation", ("Invitation", &lid), "acct-1")
            .await
    );
    app.clock.advance(Duration::from_secs(8 * 24 * 3600));
    let fresh = json!({"principal": "frank", "action": "acceptInvitation", "resource": {"type": "Invitation", "id": lid}, "account": "acct-1", "consistency": "fresh"});
    assert_eq!(
        app.check_body(fresh).await.body["decision"],
        "deny",
        "expired"
    );
}

#[tokio::test]
async fn a_token_replaced_by_a_resend_cannot_consume_the_invitation() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    invited_user(&app, "gail", "gail@example.com").await;
    let first = invite(&app, "olivia", "gail@example.com", &[]).await;
    let iid: portier::domain::InvitationId = first.body["invitation"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let old_token: portier::domain::InvitationToken =
        serde_json::from_value(first.body["token"].clone()).unwrap();
    let resent = app
        .acting(
            "olivia",
            Method::POST,
            &format!("/v1/invitations/{iid}/resend"),
            None,
        )
        .await;
    assert_eq!(resent.status, 200);
    // As if the old token had been looked up just before the resend landed.
    let store = portier::store::Store::open(&app.database_url)
        .await
        .unwrap();
    let gail: portier::domain::UserId = "gail".parse().unwrap();
    let decided = portier::store::Authorized::new(
        portier::domain::Actor::User(gail.clone(), Default::default()),
        None,
    );
    let raced = store
        .accept_invitation(&decided, &iid, &gail, &old_token.hash())
        .await;
    assert!(
        matches!(raced, Err(portier::Error::Conflict(_))),
        "{raced:?}"
    );
    // The raced write took the file's write lock before it failed; release it as a process
    // that stopped would.
    store.close().await;
    assert_eq!(app.accept(&resent.body["token"], "gail").await.status, 200);
}
