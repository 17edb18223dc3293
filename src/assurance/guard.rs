//! The guard on load and hot reload: a policy set is served only when its policy tests pass
//! and, with a solver available, its invariants are proven. A refused set is reported like an
//! invalid one (the old set keeps serving; the reload route answers 422; `/readyz` says why),
//! which closes the window where an editor's half-written file yields a valid but wrong set.
//!
//! The proofs run on a thread of their own with a small runtime, so the guard can be called
//! from synchronous code (the reload) and from inside the server's runtime alike. The outcome
//! is remembered per content (policy revision, every file under the policy folder, the
//! solver), so reloading a set already judged, or starting many servers on the same files,
//! costs one hash.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use sha2::{Digest, Sha256};

use serde::Serialize;
use utoipa::ToSchema;

use super::invariants;
use super::prove::{self, Verification};
use super::solver::{Solver, SolverMissing};
use crate::authz::{policy_tests, PolicyBundle};

/// What is known about the policy set serving: its tests and its invariants.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Assurance {
    /// `policies/tests/*.json` against this set.
    pub policy_tests: TestsStatus,
    /// `policies/invariants/*.cedar` (and "no policy ever errors") against this set.
    pub invariants: InvariantsStatus,
    /// Why the set must not serve; empty when it may.
    #[serde(skip)]
    pub problems: Vec<String>,
}

/// The policy tests' outcome.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TestsStatus {
    /// `passed`, `failed`, or `none` (no `tests` folder).
    pub status: &'static str,
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
}

/// The invariants' outcome.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvariantsStatus {
    /// `proven`, `violated`, `not_checked` (no solver) or `error` (unreadable invariants or
    /// the solver failed).
    pub status: &'static str,
    /// Ids of the promises proven.
    pub proven: Vec<String>,
    /// Ids of the promises violated.
    pub violated: Vec<String>,
    /// Why they were not checked, or what went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Assurance {
    /// Nothing assessed: for a one-off command that decides without serving.
    pub fn not_assessed() -> Self {
        let reason = Some("not assessed: a one-off command, not a serving set".to_owned());
        Assurance {
            policy_tests: TestsStatus {
                status: "none",
                passed: 0,
                failed: 0,
            },
            invariants: InvariantsStatus {
                status: "not_checked",
                proven: Vec::new(),
                violated: Vec::new(),
                reason,
            },
            problems: Vec::new(),
        }
    }
}

/// Most outcomes remembered; the memory is emptied when full.
const REMEMBERED: usize = 32;

/// Runs the policy tests and the proofs for `bundle`, read from `policies_dir` (or recalls
/// the outcome for the same content).
pub fn assess(bundle: &PolicyBundle, policies_dir: &Path) -> Assurance {
    static KNOWN: OnceLock<Mutex<HashMap<String, Assurance>>> = OnceLock::new();
    let known = KNOWN.get_or_init(Mutex::default);
    let key = content_key(bundle, policies_dir);
    let recalled = known
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&key)
        .cloned();
    if let Some(assurance) = recalled {
        return assurance;
    }
    let assurance = assess_now(bundle, policies_dir);
    if assurance.invariants.status == "error" {
        return assurance; // perhaps a passing solver failure: try again next time
    }
    let mut known = known.lock().unwrap_or_else(|p| p.into_inner());
    if known.len() >= REMEMBERED {
        known.clear();
    }
    known.insert(key, assurance.clone());
    assurance
}

/// A hash of everything the outcome depends on.
fn content_key(bundle: &PolicyBundle, policies_dir: &Path) -> String {
    let mut hash = Sha256::new();
    hash.update(bundle.revision().as_bytes());
    let solver = Solver::locate(None).map(|s| (s.path, s.version));
    hash.update(format!("{solver:?}").as_bytes());
    let mut files = Vec::new();
    list_files(policies_dir, 3, &mut files);
    files.sort();
    for file in files {
        hash.update(file.to_string_lossy().as_bytes());
        hash.update([0]);
        hash.update(std::fs::read(&file).unwrap_or_default());
        hash.update([0]);
    }
    hex::encode(hash.finalize())
}

/// Every file under `dir`, `depth` folders deep at most.
fn list_files(dir: &Path, depth: usize, into: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if path.is_dir() && depth > 0 {
            list_files(&path, depth - 1, into);
        } else if path.is_file() {
            into.push(path);
        }
    }
}

fn assess_now(bundle: &PolicyBundle, policies_dir: &Path) -> Assurance {
    let mut problems = Vec::new();
    let policy_tests = run_tests(bundle, policies_dir, &mut problems);
    let invariants = prove_invariants(bundle, policies_dir, &mut problems);
    Assurance {
        policy_tests,
        invariants,
        problems,
    }
}

fn run_tests(
    bundle: &PolicyBundle,
    policies_dir: &Path,
    problems: &mut Vec<String>,
) -> TestsStatus {
    let dir = policies_dir.join("tests");
    if !dir.is_dir() {
        return TestsStatus {
            status: "none",
            passed: 0,
            failed: 0,
        };
    }
    let mut out = Vec::new();
    let summary = match policy_tests::run(bundle, &dir, &mut out) {
        Ok(summary) => summary,
        Err(e) => {
            problems.push(format!("{}: {e}", dir.display()));
            policy_tests::Summary {
                passed: 0,
                failed: 1,
            }
        }
    };
    let report = String::from_utf8_lossy(&out);
    problems.extend(
        report
            .lines()
            .filter(|l| l.starts_with("FAIL "))
            .map(|l| format!("policy test {l}")),
    );
    TestsStatus {
        status: if summary.failed == 0 {
            "passed"
        } else {
            "failed"
        },
        passed: summary.passed,
        failed: summary.failed,
    }
}

fn prove_invariants(
    bundle: &PolicyBundle,
    policies_dir: &Path,
    problems: &mut Vec<String>,
) -> InvariantsStatus {
    let status = |status, reason: Option<String>| InvariantsStatus {
        status,
        proven: Vec::new(),
        violated: Vec::new(),
        reason,
    };
    let solver = match Solver::locate(None) {
        Ok(solver) => solver,
        Err(missing @ (SolverMissing::TurnedOff | SolverMissing::NotFound { .. })) => {
            return status("not_checked", Some(missing.to_string()))
        }
    };
    let found = match invariants::load(&invariants::folder(policies_dir), bundle.schema()) {
        Ok(found) => found,
        Err(mut found_problems) => {
            problems.append(&mut found_problems);
            return status("error", Some("the invariants do not load".into()));
        }
    };
    let proved = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| prove::ProofError(format!("runtime: {e}")))?;
                runtime.block_on(prove::verify(
                    bundle.schema(),
                    bundle.policies(),
                    &found,
                    &solver,
                ))
            })
            .join()
            .unwrap_or_else(|_| Err(prove::ProofError("the proof thread panicked".into())))
    });
    match proved {
        Ok(verification) => outcome(&verification, problems),
        Err(e) => {
            problems.push(format!("invariants could not be proven: {e}"));
            status("error", Some(e.to_string()))
        }
    }
}

fn outcome(verification: &Verification, problems: &mut Vec<String>) -> InvariantsStatus {
    let (proven, violated): (Vec<_>, Vec<_>) = verification.proofs.iter().partition(|p| p.proven());
    for proof in &violated {
        if let Some(cex) = &proof.counterexample {
            problems.push(format!(
                "invariant {} ({}) is violated in {}: {} does {} on {}",
                proof.id,
                proof.place,
                cex.environment,
                cex.request["principal"].as_str().unwrap_or("?"),
                cex.request["action"].as_str().unwrap_or("?"),
                cex.request["resource"].as_str().unwrap_or("?"),
            ));
        }
    }
    InvariantsStatus {
        status: if violated.is_empty() {
            "proven"
        } else {
            "violated"
        },
        proven: proven.iter().map(|p| p.id.clone()).collect(),
        violated: violated.iter().map(|p| p.id.clone()).collect(),
        reason: None,
    }
}
