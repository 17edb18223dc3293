//! The coverage table of `portier verify`: every action of the schema with the invariants
//! whose scope can match it, in text, JSON and Markdown; actions no invariant bounds are
//! listed as unbound.

use std::collections::BTreeSet;
use std::path::Path;

use cedar_policy::{Policy, PolicyId, Schema};
use portier::assurance::coverage;
use portier::assurance::invariants::{Invariant, Promise};
use portier::authz;
use serde_json::Value;

use super::{policy_copy, portier};
use crate::common::repo_path;

/// Every action a request of the shipped schema can name, by id.
fn schema_actions() -> BTreeSet<String> {
    let bundle = authz::load(&repo_path("policies"), &repo_path("schemas")).unwrap();
    bundle
        .schema()
        .request_envs()
        .map(|env| env.action().id().unescaped().to_owned())
        .collect()
}

fn verify(format: &str, dir: &Path) -> String {
    let output = portier(&["verify", "--format", format], dir);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The `coverage` of `portier verify --format json`, keyed by action.
fn json_coverage(dir: &Path) -> (Value, Vec<(String, Vec<String>)>) {
    let report: Value = serde_json::from_str(&verify("json", dir)).expect("JSON output");
    assert_eq!(report["violated"], 0, "{report}");
    let coverage = report["coverage"].clone();
    let rows = coverage["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let ids = a["invariants"].as_array().unwrap();
            let ids = ids.iter().map(|i| i.as_str().unwrap().to_owned());
            (a["action"].as_str().unwrap().to_owned(), ids.collect())
        })
        .collect();
    (coverage, rows)
}

fn bound_by(rows: &[(String, Vec<String>)], action: &str) -> Vec<String> {
    rows.iter()
        .find(|(a, _)| a == action)
        .unwrap_or_else(|| panic!("{action} is not in the table"))
        .1
        .clone()
}

#[test]
fn verify_shows_which_invariants_bound_every_action_in_three_formats() {
    let (coverage, rows) = json_coverage(&repo_path("."));
    let listed: BTreeSet<String> = rows.iter().map(|(a, _)| a.clone()).collect();
    assert_eq!(listed, schema_actions());
    assert_eq!(coverage["unbound_actions"], serde_json::json!([]));
    assert_eq!(coverage["unbound_principals"], serde_json::json!([]));
    assert!(bound_by(&rows, "payInvoice").contains(&"staff-never-does-business".to_owned()));
    assert!(bound_by(&rows, "manageService").contains(&"agent-tenant-isolation".to_owned()));
    assert!(bound_by(&rows, "viewAccount").contains(&"user-tenant-isolation".to_owned()));
    assert!(bound_by(&rows, "editUser").contains(&"user-own-record-only".to_owned()));
    assert!(bound_by(&rows, "payInvoice").contains(&"billing-needs-grant".to_owned()));
    assert!(!bound_by(&rows, "viewAccount").contains(&"billing-needs-grant".to_owned()));

    let text = verify("text", &repo_path("."));
    assert!(text.contains("coverage: "), "{text}");
    for action in schema_actions() {
        assert!(text.contains(&format!("\n  {action} ")), "{action}: {text}");
    }
    assert!(text.contains("actions no invariant bounds: none"), "{text}");
    assert!(
        text.contains(" 0 violated, in 238 request environments"),
        "{text}"
    );

    let markdown = verify("markdown", &repo_path("."));
    assert!(markdown.contains("#### Coverage"), "{markdown}");
    for action in schema_actions() {
        assert!(
            markdown.contains(&format!("| `{action}` | `User` |")),
            "{markdown}"
        );
    }
}

#[test]
fn actions_no_remaining_invariant_bounds_are_listed_as_unbound() {
    // One file fewer: editUser is no longer bound by the own-record invariant.
    let dir = policy_copy();
    let folder = dir.path().join("policies/invariants");
    std::fs::remove_file(folder.join("tenant-isolation-user-records.cedar")).unwrap();
    let (_, rows) = json_coverage(dir.path());
    assert!(!bound_by(&rows, "editUser").contains(&"user-own-record-only".to_owned()));

    // Only the staff-only and invitee invariants left: every other action is unbound.
    for entry in std::fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name != "staff-only-actions.cedar" && name != "invitee-only.cedar" {
            std::fs::remove_file(path).unwrap();
        }
    }
    let (coverage, rows) = json_coverage(dir.path());
    let unbound: Vec<&str> = coverage["unbound_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(unbound.contains(&"viewAccount"), "{unbound:?}");
    assert!(unbound.contains(&"editUser"), "{unbound:?}");
    assert!(!unbound.contains(&"createUser"), "{unbound:?}");
    assert!(!unbound.contains(&"acceptInvitation"), "{unbound:?}");
    assert_eq!(
        bound_by(&rows, "acceptInvitation"),
        vec!["only-invitee-accepts"]
    );
    let text = verify("text", dir.path());
    assert!(
        text.contains("viewAccount") && text.contains("UNBOUND"),
        "{text}"
    );
    assert!(
        text.contains("actions no invariant bounds: ") && text.contains("viewAccount, "),
        "{text}"
    );
}

fn invariant(id: &str, text: &str) -> Invariant {
    Invariant {
        id: id.to_owned(),
        comment: String::new(),
        promise: Promise::NeverAllows,
        place: format!("{id}.cedar:1"),
        matcher: Policy::parse(Some(PolicyId::new(id)), text).unwrap(),
    }
}

#[test]
fn coverage_follows_action_groups_and_entity_hierarchy_from_the_scope_alone() {
    let (schema, _) = Schema::from_cedarschema_str(
        "entity Org; entity Team in [Org]; entity Person in [Team]; entity Doc in [Org];
         action Read, Write; action Reading;
         action read in [Reading] appliesTo { principal: [Person, Team], resource: [Doc, Org] };
         action write appliesTo { principal: [Person], resource: [Doc] };",
    )
    .unwrap();
    let found = [
        invariant(
            "reading",
            r#"forbid (principal, action in Action::"Reading", resource);"#,
        ),
        invariant(
            "in-an-org",
            r#"forbid (principal in Org::"o", action, resource is Doc) when { false };"#,
        ),
        invariant(
            "teams-write",
            r#"forbid (principal is Team, action == Action::"write", resource);"#,
        ),
    ];
    let table = coverage::compute(&schema, &found);
    let actions: Vec<&str> = table.actions.iter().map(|a| a.action.as_str()).collect();
    // Read and Write are actions no request can name and nothing groups: listed, unbound.
    assert_eq!(actions, ["Read", "Write", "read", "write"]);
    let read = &table.actions[2];
    assert_eq!(read.invariants, ["in-an-org", "reading"]);
    let doc_by_person = read
        .environments
        .iter()
        .find(|e| e.principal == "Person" && e.resource == "Doc")
        .unwrap();
    assert_eq!(doc_by_person.invariants, ["reading", "in-an-org"]);
    // A team cannot write (the schema says so), so `teams-write` bounds nothing.
    assert_eq!(table.actions[3].invariants, ["in-an-org"]);
    assert_eq!(table.unbound_actions, ["Read", "Write"]);
    assert!(table.unbound_principals.is_empty());
    assert!(table.text().contains("UNBOUND"));
    assert!(table.markdown().contains("| `read` | `Person` |"));
}
