//! Tenant isolation: widenings a security probe found hot-loading with every invariant proven
//! are now caught by `portier verify` and refused by the reload guard, each naming the
//! isolation invariant it breaks.

use std::path::Path;

use reqwest::Method;
use serde_json::json;

use super::{policy_copy, portier};
use crate::common::{client_area, TestApp};

/// A policy file added to `policies/`, the invariants it must break, and a request (against
/// the standard client area, where `otto` owns only `acct-2`, plus `sam`, a member of
/// `acct-2` with a support address) it would wrongly allow.
struct Widening {
    policy: &'static str,
    caught_by: &'static [&'static str],
    probe: (
        &'static str,
        &'static str,
        (&'static str, &'static str),
        Option<&'static str>,
    ),
}

/// Any user with a second factor may see any account.
const MFA_VIEWS_ANY_ACCOUNT: Widening = Widening {
    policy: "// Widening under test.\n@id(\"mfa-view-account\")\npermit (principal is User, action == Action::\"viewAccount\", resource) when { context has mfa && context.mfa };\n",
    caught_by: &["user-tenant-isolation"],
    probe: ("otto", "viewAccount", ("Account", "acct-1"), Some("acct-1")),
};

/// Any user with a second factor may use self-service on anyone's record.
const MFA_SELF_SERVICE_ON_ANYONE: Widening = Widening {
    policy: "// Widening under test.\n@id(\"mfa-self-service\")\npermit (principal is User, action in Action::\"SelfService\", resource is User) when { context has mfa && context.mfa };\n",
    caught_by: &["user-own-record-only"],
    probe: ("otto", "editUser", ("User", "olivia"), None),
};

/// Anyone with a support address may view any account and edit any user.
const SUPPORT_EMAIL_SEES_EVERYTHING: Widening = Widening {
    policy: "// Widening under test.\n@id(\"support-email\")\npermit (principal is User, action in [Action::\"viewAccount\", Action::\"viewUser\", Action::\"editUser\", Action::\"listUserAccounts\"], resource) when { principal.email like \"*@support.example.com\" };\n",
    caught_by: &["user-tenant-isolation", "user-own-record-only"],
    probe: ("sam", "viewAccount", ("Account", "acct-1"), Some("acct-1")),
};

fn write_widening(dir: &Path, widening: &Widening) {
    std::fs::write(dir.join("policies/widening.cedar"), widening.policy).unwrap();
}

/// `portier verify --policies COPY` exits 1 and names every invariant the widening breaks.
fn verify_names_the_broken_invariants(widening: &Widening) {
    let dir = policy_copy();
    write_widening(dir.path(), widening);
    let policies = dir.path().join("policies");
    let schemas = dir.path().join("schemas");
    let saved = dir.path().join("found");
    let args = [
        "verify",
        "--policies",
        policies.to_str().unwrap(),
        "--schemas",
        schemas.to_str().unwrap(),
        "--counterexamples",
        saved.to_str().unwrap(),
    ];
    let output = portier(&args, dir.path());
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for id in widening.caught_by {
        assert!(text.contains(&format!("VIOLATED  {id}")), "{text}");
        assert!(
            saved.join(format!("counterexample-{id}.json")).is_file(),
            "{text}"
        );
    }
}

/// A server on a copy (without example tests, so only the invariants can refuse) refuses to
/// hot-load the widening, names the invariant, and keeps denying the probe.
async fn reload_is_refused(widening: &Widening) {
    let dir = policy_copy();
    std::fs::remove_dir_all(dir.path().join("policies/tests")).unwrap();
    let app = TestApp::spawn_with(&dir.path().join("policies"), &dir.path().join("schemas")).await;
    client_area(&app).await;
    // `sam`, from support, is a member of `acct-2` only.
    let sam = json!({"id": "sam", "email": "sam@support.example.com", "display_name": "Sam"});
    let created = app.staff(Method::POST, "/v1/users", Some(sam)).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    app.member("acct-2", "sam", "member", &[]).await;
    let (principal, action, (ty, id), account) = widening.probe;
    let probe = json!({
        "principal": principal, "action": action, "resource": {"type": ty, "id": id},
        "account": account, "context": {"mfa": true},
    });
    let before = app.check_body(probe.clone()).await;
    assert_eq!(before.body["decision"], "deny", "{:?}", before.body);

    write_widening(dir.path(), widening);
    let route = app.staff(Method::POST, "/v1/admin/reload", None).await;
    assert_eq!(route.status, 422, "{:?}", route.body);
    let problems = route.body["error"]["problems"].to_string();
    for id in widening.caught_by {
        assert!(problems.contains(&format!("invariant {id}")), "{problems}");
    }
    let after = app.check_body(probe).await;
    assert_eq!(after.body["decision"], "deny", "{:?}", after.body);
}

#[test]
fn verify_catches_a_second_factor_standing_in_for_membership() {
    verify_names_the_broken_invariants(&MFA_VIEWS_ANY_ACCOUNT);
}

#[test]
fn verify_catches_self_service_on_another_users_record() {
    verify_names_the_broken_invariants(&MFA_SELF_SERVICE_ON_ANYONE);
}

#[test]
fn verify_catches_an_email_domain_standing_in_for_membership() {
    verify_names_the_broken_invariants(&SUPPORT_EMAIL_SEES_EVERYTHING);
}

#[tokio::test]
async fn reload_refuses_a_second_factor_standing_in_for_membership() {
    reload_is_refused(&MFA_VIEWS_ANY_ACCOUNT).await;
}

#[tokio::test]
async fn reload_refuses_self_service_on_another_users_record() {
    reload_is_refused(&MFA_SELF_SERVICE_ON_ANYONE).await;
}

#[tokio::test]
async fn reload_refuses_an_email_domain_standing_in_for_membership() {
    reload_is_refused(&SUPPORT_EMAIL_SEES_EVERYTHING).await;
}
