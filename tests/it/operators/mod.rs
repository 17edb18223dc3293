//! The operators' commands, run as the `portier` binary against real databases: `copy`
//! between SQLite and PostgreSQL, `backup` and `restore` of a served SQLite file, `import
//! whmcs` from a real MariaDB, and the readiness a systemd unit waits for.

mod backup;
mod copy;
mod systemd;
mod whmcs;

use std::process::Output;

use reqwest::Method;
use serde_json::json;

use crate::common::{client_area, repo_path, TestApp};

/// Runs `portier ARGS` from the repository root (its default policy folders) on a blocking
/// thread; its output.
pub async fn portier(args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_portier"))
            .args(&args)
            .current_dir(repo_path(""))
            .env("RUST_LOG", "error")
            .output()
            .expect("run portier")
    })
    .await
    .unwrap()
}

/// Standard output, or a panic with both streams when the command failed.
pub fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "portier failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error of a command that must have failed.
pub fn failed(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "portier should have failed: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The client area, and one of each other kind of record: an assigned service, a contact,
/// a pending invitation, an API key, a suspended user — so every table holds rows.
pub async fn every_kind_of_record(app: &TestApp) {
    client_area(app).await;
    let calls = [
        (
            "staff",
            Method::PUT,
            "/v1/accounts/acct-1/services/svc-1",
            json!({"assignees": ["mia"]}),
        ),
        (
            "olivia",
            Method::POST,
            "/v1/accounts/acct-1/contacts",
            json!({"name": "Accounts Dept", "email": "ap@acme.example", "phone": "+1 555 0100", "preferences": ["billing"]}),
        ),
        (
            "olivia",
            Method::POST,
            "/v1/accounts/acct-1/invitations",
            json!({"email": "cy@example.com", "role": "member", "grants": ["orders"]}),
        ),
        (
            "olivia",
            Method::POST,
            "/v1/accounts/acct-1/api-keys",
            json!({"name": "billing sync", "grants": ["billing"]}),
        ),
        ("staff", Method::POST, "/v1/users/otto/suspend", json!({})),
    ];
    for (actor, method, path, body) in calls {
        let reply = match actor {
            "staff" => app.staff(method, path, Some(body)).await,
            _ => app.acting(actor, method, path, Some(body)).await,
        };
        assert!(
            reply.status < 300,
            "{path}: {} {:?}",
            reply.status,
            reply.body
        );
    }
}

/// What the standard checks answer on `app`: every person of the client area, and the key,
/// for a spread of actions on `acct-1`.
pub async fn answers(app: &TestApp) -> Vec<(String, String, bool)> {
    let mut answers = Vec::new();
    for principal in ["olivia", "adam", "bill", "mia", "otto"] {
        for (action, resource) in [
            ("viewAccount", ("Account", "acct-1")),
            ("payInvoice", ("Invoice", "inv-1")),
            ("viewService", ("Service", "svc-1")),
            ("placeOrder", ("Account", "acct-1")),
            ("inviteUser", ("Account", "acct-1")),
        ] {
            let allowed = app.allows(principal, action, resource, "acct-1").await;
            answers.push((principal.to_owned(), action.to_owned(), allowed));
        }
    }
    answers
}
