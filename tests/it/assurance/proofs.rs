//! The shipped invariants, broken ones, and mutations caught with replayable counterexamples.

use std::path::{Path, PathBuf};
use std::process::Command;

use portier::assurance::counterexample::Counterexample;
use portier::assurance::{invariants, prove};
use portier::authz::{self, policy_tests};

use super::{cedar_cli, mutate, policy_copy, verify_folder};
use crate::common::repo_path;

#[tokio::test]
async fn the_shipped_invariants_are_proven_in_every_request_environment() {
    let verification = verify_folder(&repo_path(".")).await;
    let violated: Vec<&str> = verification.violated().map(|p| p.id.as_str()).collect();
    assert!(violated.is_empty(), "violated: {violated:?}");
    assert_eq!(verification.environments, 238);
    assert!(
        verification.proofs.len() >= 17,
        "{} proofs",
        verification.proofs.len()
    );
    assert!(verification
        .proofs
        .iter()
        .any(|p| p.id == prove::NEVER_ERRORS_ID));
    eprintln!(
        "{} promises proven in {} environments in {:.2} s",
        verification.proofs.len(),
        verification.environments,
        verification.elapsed.as_secs_f64()
    );
}

#[test]
fn invariants_are_not_loaded_as_policies() {
    let bundle = authz::load(&repo_path("policies"), &repo_path("schemas")).unwrap();
    let ids: Vec<String> = bundle
        .policies()
        .policies()
        .map(|p| p.id().to_string())
        .collect();
    let found =
        invariants::load(&invariants::folder(&repo_path("policies")), bundle.schema()).unwrap();
    assert!(found.len() >= 16);
    for invariant in &found {
        let twin_of_a_policy = invariant.id == "owner-only-user-management"
            || invariant.id == "closed-account-denied"
            || invariant.id == "closed-account-resources-denied"
            || invariant.id == "agent-closed-account-denied";
        assert!(
            twin_of_a_policy || !ids.contains(&invariant.id),
            "{} was loaded as a policy",
            invariant.id
        );
        assert!(
            !invariant.comment.is_empty(),
            "{} has no comment",
            invariant.id
        );
    }
    let written: usize = std::fs::read_dir(repo_path("policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "cedar"))
        .map(|p| std::fs::read_to_string(p).unwrap().matches("@id(").count())
        .sum();
    assert_eq!(
        ids.len(),
        written,
        "only policies/*.cedar is loaded: {ids:?}"
    );
}

#[test]
fn a_broken_invariant_is_refused_with_its_place() {
    let dir = policy_copy();
    let file = dir.path().join("policies/invariants/broken.cedar");
    std::fs::write(&file, "// nope\n@id(\"broken\")\nforbid (principal is User, action, resource) when { principal.nope };\n").unwrap();
    let bundle = authz::load(&dir.path().join("policies"), &dir.path().join("schemas")).unwrap();
    let problems = invariants::load(
        &invariants::folder(&dir.path().join("policies")),
        bundle.schema(),
    )
    .unwrap_err();
    assert!(problems[0].contains("broken.cedar:2"), "{problems:?}");
}

/// One mutation of the shipped policies and the invariant that must catch it.
struct Mutation {
    name: &'static str,
    file: &'static str,
    from: &'static str,
    to: &'static str,
    caught_by: &'static str,
}

const MUTATIONS: [Mutation; 26] = [
    Mutation {
        name: "drop the owner-only forbid",
        file: "user-management.cedar",
        from: "@id(\"owner-only-user-management\")\nforbid (principal is User, action in Action::\"UserManagement\", resource)\nunless { resource in principal.ownerOf };",
        to: "",
        caught_by: "owner-only-user-management",
    },
    Mutation {
        name: "let admins invite",
        file: "user-management.cedar",
        from: "unless { resource in principal.ownerOf }",
        to: "unless { resource in principal.ownerOf || resource in principal.adminOf }",
        caught_by: "owner-only-user-management",
    },
    Mutation {
        name: "drop the inactive-user forbid",
        file: "status.cedar",
        from: "@id(\"inactive-user-denied\")\nforbid (principal is User, action, resource)\nunless { principal.active || (action == Action::\"acceptInvitation\" && !principal.suspended) };",
        to: "",
        caught_by: "inactive-users-denied",
    },
    Mutation {
        name: "let the billing grant place orders",
        file: "grants.cedar",
        from: "contains(Grant::\"orders\")",
        to: "containsAny([Grant::\"orders\", Grant::\"billing\"])",
        caught_by: "orders-needs-grant",
    },
    Mutation {
        name: "let anyone accept an invitation",
        file: "invitations.cedar",
        from: "unless { principal.email == resource.email };",
        to: "unless { principal.email == resource.email || principal.active };",
        caught_by: "only-invitee-accepts",
    },
    Mutation {
        name: "let a key use the billing grant without its creator holding it",
        file: "api-keys.cedar",
        from: "principal.creator.getTag(resource.accountId).contains(Grant::\"billing\")",
        to: "true",
        caught_by: "api-key-within-creator",
    },
    Mutation {
        name: "turn the keys' user-management forbid into a permit",
        file: "api-keys.cedar",
        from: "@id(\"api-key-no-user-management\")\nforbid (",
        to: "@id(\"api-key-no-user-management\")\npermit (",
        caught_by: "api-key-never-manages-users",
    },
    Mutation {
        name: "let the billing-view grant pay",
        file: "grants.cedar",
        from: "permit (principal, action in Action::\"BillingView\", resource)",
        to: "permit (principal, action in Action::\"Billing\", resource)",
        caught_by: "view-only-never-acts",
    },
    Mutation {
        name: "let the tickets grant manage domains",
        file: "grants.cedar",
        from: "action in Action::\"Tickets\", resource)",
        to: "action in [Action::\"Tickets\", Action::\"Domains\"], resource)",
        caught_by: "domains-needs-grant",
    },
    Mutation {
        name: "let every member handle tickets",
        file: "grants.cedar",
        from: "principal.getTag(resource.accountId).contains(Grant::\"tickets\")",
        to: "true",
        caught_by: "tickets-needs-grant",
    },
    Mutation {
        name: "let a domains-view key view domains whatever its creator holds",
        file: "api-keys.cedar",
        from: "principal.creator.getTag(resource.accountId).containsAny([Grant::\"domains\", Grant::\"domains-view\"])",
        to: "true",
        caught_by: "api-key-within-creator",
    },
    Mutation {
        name: "drop the keys' own-account forbid",
        file: "api-keys.cedar",
        from: "@id(\"api-key-own-account-only\")\nforbid (principal is ApiKey, action, resource)\nunless { resource in principal.account };",
        to: "",
        caught_by: "api-key-own-account",
    },
    Mutation {
        name: "let a sensitive action on the account itself go without a second factor",
        file: "security.cedar",
        from: "(resource.requireMfa == MfaRequirement::\"sensitive\" && action in Action::\"Sensitive\")",
        to: "false",
        caught_by: "sensitive-needs-mfa",
    },
    Mutation {
        name: "let requiring a second factor for all skip what lies in the account",
        file: "security.cedar",
        from: "(resource.account.requireMfa == MfaRequirement::\"all\" ||",
        to: "(false ||",
        caught_by: "all-needs-mfa",
    },
    Mutation {
        name: "let the allowed networks bind the account but not what lies in it",
        file: "security.cedar",
        from: "(resource has account && !resource.account.fromAllowedNetwork)",
        to: "false",
        caught_by: "allowed-networks-only",
    },
    Mutation {
        name: "let API keys act from outside the account's networks",
        file: "security.cedar",
        from: "(principal is User || principal is ApiKey)",
        to: "principal is User",
        caught_by: "api-key-within-account-networks",
    },
    Mutation {
        name: "let requiring a second factor for sensitive actions require it for all on the account",
        file: "security.cedar",
        from: "(resource.requireMfa == MfaRequirement::\"sensitive\" && action in Action::\"Sensitive\")",
        to: "resource.requireMfa == MfaRequirement::\"sensitive\"",
        caught_by: "owner-keeps-control",
    },
    Mutation {
        name: "let the owner reset the security requirements",
        file: "staff.cedar",
        from: "forbid (principal is User, action in Action::\"StaffOnly\", resource);",
        to: "forbid (principal is User, action in Action::\"StaffOnly\", resource)\nunless { action == Action::\"resetSecurity\" };",
        caught_by: "security-reset-staff-only",
    },
    Mutation {
        name: "let agents see every account",
        file: "agents.cedar",
        from: "resource is Account)\nwhen { principal.hasTag(resource.accountId) };",
        to: "resource is Account);",
        caught_by: "agent-tenant-isolation",
    },
    Mutation {
        name: "let agents act on closed accounts",
        file: "agents.cedar",
        from: "@id(\"agent-closed-account-denied\")\nforbid",
        to: "@id(\"agent-closed-account-denied\")\npermit",
        caught_by: "agent-closed-account-denied",
    },
    Mutation {
        name: "break glass without a reason",
        file: "agents.cedar",
        from: "  principal.role == AgentRole::\"supervisor\" &&\n  context has reason && context.reason != \"\"",
        to: "  principal.role == AgentRole::\"supervisor\"",
        caught_by: "agent-tenant-isolation",
    },
    Mutation {
        name: "let support agents break glass",
        file: "agents.cedar",
        from: "  principal.role == AgentRole::\"supervisor\" &&\n",
        to: "",
        caught_by: "break-glass-supervisor-only",
    },
    Mutation {
        name: "let agents manage users",
        file: "agents.cedar",
        from: "@id(\"agent-no-user-management\")\nforbid",
        to: "@id(\"agent-no-user-management\")\npermit",
        caught_by: "agent-never-manages-users",
    },
    Mutation {
        name: "let staff grant support access",
        file: "user-management.cedar",
        from: "unless { principal is User };",
        to: "unless { principal is User || principal is Staff };",
        caught_by: "support-access-owner-only",
    },
    Mutation {
        name: "give staff the account's billing again",
        file: "staff.cedar",
        from: "    Action::\"Contacts\",\n",
        to: "    Action::\"Contacts\",\n    Action::\"Billing\",\n",
        caught_by: "staff-never-does-business",
    },
    Mutation {
        name: "let agents skip the second factor",
        file: "security.cedar",
        from: "(principal is User || principal is Agent) && !(action in Action::\"Mail\")",
        to: "principal is User && !(action in Action::\"Mail\")",
        caught_by: "all-needs-mfa",
    },
];

#[tokio::test]
async fn mutations_are_caught_and_their_counterexamples_replay_as_failing_cedar_tests() {
    let cedar = cedar_cli();
    for mutation in &MUTATIONS {
        let dir = policy_copy();
        mutate(dir.path(), mutation.file, mutation.from, mutation.to);
        let verification = verify_folder(dir.path()).await;
        let proof = verification
            .proofs
            .iter()
            .find(|p| p.id == mutation.caught_by)
            .unwrap();
        let cex: &Counterexample = proof
            .counterexample
            .as_ref()
            .unwrap_or_else(|| panic!("{}: {} was proven", mutation.name, mutation.caught_by));
        let saved = dir.path().join("counterexamples");
        let file = cex.save(&saved, &proof.id, mutation.name).unwrap();

        // Portier's runner and the official CLI both fail the case on the mutated set...
        let mutated =
            authz::load(&dir.path().join("policies"), &dir.path().join("schemas")).unwrap();
        let summary = policy_tests::run(&mutated, &saved, &mut Vec::new()).unwrap();
        assert_eq!(
            (summary.passed, summary.failed),
            (0, 1),
            "{}",
            mutation.name
        );
        assert!(
            !cedar_run_tests(&cedar, &dir.path().join("policies"), &file),
            "{}: cedar passed the case",
            mutation.name
        );
        // ...and pass it on the shipped set, so it stays as a regression test.
        let shipped = authz::load(&repo_path("policies"), &repo_path("schemas")).unwrap();
        let summary = policy_tests::run(&shipped, &saved, &mut Vec::new()).unwrap();
        assert_eq!(
            (summary.passed, summary.failed),
            (1, 0),
            "{}",
            mutation.name
        );
        assert!(
            cedar_run_tests(&cedar, &repo_path("policies"), &file),
            "{}: cedar failed on the shipped set",
            mutation.name
        );
    }
}

/// `cedar run-tests` over every `*.cedar` of `policies`; whether every case passed.
fn cedar_run_tests(cedar: &Path, policies: &Path, tests: &Path) -> bool {
    let scratch = tempfile::tempdir().unwrap();
    let all = scratch.path().join("all.cedar");
    let mut text = String::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(policies)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "cedar"))
        .collect();
    files.sort();
    for file in files {
        text.push_str(&std::fs::read_to_string(file).unwrap());
        text.push('\n');
    }
    std::fs::write(&all, text).unwrap();
    let output = Command::new(cedar)
        .arg("run-tests")
        .arg("--policies")
        .arg(&all)
        .arg("--schema")
        .arg(repo_path("schemas/portier.cedarschema"))
        .arg("--tests")
        .arg(tests)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    // A case that cannot even be read is an error, not a failing case: refuse it here.
    match (
        stdout.contains("1 passed, 0 failed"),
        stdout.contains("0 passed, 1 failed"),
    ) {
        (true, false) => output.status.success(),
        (false, true) => false,
        _ => panic!(
            "unexpected cedar output: {stdout} {}",
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}
