//! Policy assurance against the real solver (cvc5) and the real `cedar` CLI: the shipped
//! invariants are proven; mutated policies are caught with counterexamples that replay as
//! failing `cedar run-tests` cases; `portier diff` reports direction, witnesses and the
//! impact on a seeded database (SQLite and PostgreSQL), equal to the pipeline's answers for a
//! membership that has run out; hot reload refuses a mutated set;
//! cross-tenant widenings are caught by the isolation invariants; `verify` shows which
//! invariants bound each action.
//!
//! Nothing is skipped: without cvc5 or the `cedar` CLI these tests fail and say how to
//! install them.

mod coverage;
mod diff;
mod expired;
mod isolation;
mod proofs;
mod reload;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::repo_path;
use portier::assurance::invariants;
use portier::assurance::prove::{self, Verification};
use portier::assurance::solver::Solver;
use portier::authz;

fn solver() -> Solver {
    Solver::locate(None).unwrap_or_else(|e| {
        panic!("these tests run the real solver: {e} (Debian: apt-get install cvc5)")
    })
}

fn cedar_cli() -> PathBuf {
    let home = PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo/bin/cedar");
    for candidate in [PathBuf::from("cedar"), home] {
        if Command::new(&candidate)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return candidate;
        }
    }
    panic!("these tests replay counterexamples with the official CLI: cargo install --locked cedar-policy-cli --version 4.14.1");
}

/// A copy of `policies/` (with its tests and invariants) and `schemas/` that a test may edit.
fn policy_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo_path("policies"), &dir.path().join("policies"));
    copy_tree(&repo_path("schemas"), &dir.path().join("schemas"));
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// Replaces `from` by `to` in one policy file; the text must be there.
fn mutate(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join("policies").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} does not contain {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

async fn verify_folder(dir: &Path) -> Verification {
    let bundle = authz::load(&dir.join("policies"), &dir.join("schemas")).expect("policies load");
    let found = invariants::load(&invariants::folder(&dir.join("policies")), bundle.schema())
        .expect("invariants load");
    prove::verify(bundle.schema(), bundle.policies(), &found, &solver())
        .await
        .expect("the solver answers")
}

fn portier(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portier"))
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .output()
        .expect("portier runs")
}
