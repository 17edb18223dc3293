//! The proofs behind `portier verify` and the load guard. For every request environment the
//! schema allows (principal type, action, resource type), the policy set and each invariant
//! are compiled to SMT with `cedar-policy-symcc` and handed to the solver:
//! - a `forbid` invariant holds when no request is both allowed by the set and matched by
//!   the invariant (disjointness);
//! - a `permit` invariant holds when every request it matches is allowed (implication);
//! - "no policy ever errors" holds when no policy can error on any well-formed request.
//!
//! Each answer covers every possible request and entity store of that environment; a "no"
//! comes with the solver's counterexample.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use cedar_policy::{PolicySet, RequestEnv, Schema};
use cedar_policy_symcc::solver::LocalSolver;
use cedar_policy_symcc::{CedarSymCompiler, CompiledPolicy, CompiledPolicySet, Env};

use super::counterexample::{Counterexample, Expected};
use super::invariants::{Invariant, Promise};
use super::solver::Solver;

/// The id of the built-in promise that no policy ever errors.
pub const NEVER_ERRORS_ID: &str = "no-policy-errors";

/// One promise and whether it holds.
#[derive(Debug, Clone)]
pub struct Proof {
    /// The invariant's `@id` (or [`NEVER_ERRORS_ID`]).
    pub id: String,
    /// Its comment.
    pub comment: String,
    /// Where it is written (`built in` for the never-errors promise).
    pub place: String,
    /// What it promises; `None` for the never-errors promise.
    pub promise: Option<Promise>,
    /// The first counterexample found, when it does not hold.
    pub counterexample: Option<Counterexample>,
}

impl Proof {
    /// Whether the promise holds in every environment.
    pub fn proven(&self) -> bool {
        self.counterexample.is_none()
    }
}

/// All proofs of one run.
#[derive(Debug, Clone)]
pub struct Verification {
    /// One per invariant, then the never-errors promise.
    pub proofs: Vec<Proof>,
    /// How many request environments the schema allows.
    pub environments: usize,
    /// How long the run took.
    pub elapsed: Duration,
}

impl Verification {
    /// The proofs that failed.
    pub fn violated(&self) -> impl Iterator<Item = &Proof> {
        self.proofs.iter().filter(|p| !p.proven())
    }
}

/// Why the proofs could not be run (not a violation: the answer is unknown).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct ProofError(pub String);

fn fail(what: &str, err: impl std::fmt::Display) -> ProofError {
    ProofError(format!("{what}: {err}"))
}

/// Proves every invariant, and that no policy errors, in every request environment.
pub async fn verify(
    schema: &Schema,
    policies: &PolicySet,
    invariants: &[Invariant],
    solver: &Solver,
) -> Result<Verification, ProofError> {
    let started = Instant::now();
    let process = solver.start().map_err(|e| fail("starting the solver", e))?;
    let mut compiler = CedarSymCompiler::new(process).map_err(|e| fail("solver", e))?;
    let mut proofs: Vec<Proof> = invariants.iter().map(proof_of).collect();
    proofs.push(Proof {
        id: NEVER_ERRORS_ID.to_owned(),
        comment: "No policy ever errors, on any request the schema allows.".to_owned(),
        place: "built in".to_owned(),
        promise: None,
        counterexample: None,
    });
    let environments: Vec<RequestEnv> = schema.request_envs().collect();
    let invariant_scopes: Vec<HashSet<String>> = invariants
        .iter()
        .map(|i| scope(&i.matcher, schema))
        .collect();
    for env in &environments {
        let label = environment_label(env);
        let set = CompiledPolicySet::compile(policies, env, schema)
            .map_err(|e| fail(&format!("compiling the policies for {label}"), e))?;
        for ((proof, invariant), applies) in
            proofs.iter_mut().zip(invariants).zip(&invariant_scopes)
        {
            // Outside its scope an invariant matches nothing, so it holds there trivially.
            if !proof.proven() || !applies.contains(&label) {
                continue;
            }
            let found =
                check_invariant(&mut compiler, &set, invariant, env, schema, &label).await?;
            proof.counterexample = found.map(|(cex, expected)| {
                Counterexample::new(&cex, label.clone(), expected, policies)
            });
        }
        let never_errors = proofs.last_mut().filter(|p| p.proven());
        if let Some(proof) = never_errors {
            if let Some(cex) = first_error(&mut compiler, policies, env, schema, &label).await? {
                proof.counterexample = Some(Counterexample::new(
                    &cex,
                    label.clone(),
                    Expected::NoErrors,
                    policies,
                ));
            }
        }
    }
    Ok(Verification {
        proofs,
        environments: environments.len(),
        elapsed: started.elapsed(),
    })
}

fn proof_of(invariant: &Invariant) -> Proof {
    Proof {
        id: invariant.id.clone(),
        comment: invariant.comment.clone(),
        place: invariant.place.clone(),
        promise: Some(invariant.promise),
        counterexample: None,
    }
}

/// A counterexample to one invariant in one environment, with what it should have been.
async fn check_invariant(
    compiler: &mut CedarSymCompiler<LocalSolver>,
    set: &CompiledPolicySet,
    invariant: &Invariant,
    env: &RequestEnv,
    schema: &Schema,
    label: &str,
) -> Result<Option<(Env, Expected)>, ProofError> {
    let matcher = CompiledPolicy::compile(&invariant.matcher, env, schema)
        .map_err(|e| {
            fail(
                &format!("compiling invariant {} for {label}", invariant.id),
                e,
            )
        })?
        .into_compiled_policyset();
    let what = || format!("proving {} for {label}", invariant.id);
    match invariant.promise {
        Promise::NeverAllows => compiler
            .check_disjoint_with_counterexample_opt(set, &matcher)
            .await
            .map(|cex| cex.map(|c| (c, Expected::Deny)))
            .map_err(|e| fail(&what(), e)),
        Promise::AlwaysAllows => compiler
            .check_implies_with_counterexample_opt(&matcher, set)
            .await
            .map(|cex| cex.map(|c| (c, Expected::Allow)))
            .map_err(|e| fail(&what(), e)),
    }
}

/// A request on which some policy of the set errors, if any.
async fn first_error(
    compiler: &mut CedarSymCompiler<LocalSolver>,
    policies: &PolicySet,
    env: &RequestEnv,
    schema: &Schema,
    label: &str,
) -> Result<Option<Env>, ProofError> {
    for policy in policies.policies() {
        // A policy whose scope cannot match this environment is never evaluated in it.
        if !scope(policy, schema).contains(label) {
            continue;
        }
        let compiled = CompiledPolicy::compile(policy, env, schema)
            .map_err(|e| fail(&format!("compiling {} for {label}", policy.id()), e))?;
        let found = compiler
            .check_never_errors_with_counterexample_opt(&compiled)
            .await
            .map_err(|e| {
                fail(
                    &format!("proving {} never errors for {label}", policy.id()),
                    e,
                )
            })?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// The environments a policy's scope can match, by label.
fn scope(policy: &cedar_policy::Policy, schema: &Schema) -> HashSet<String> {
    policy
        .get_valid_request_envs(schema)
        .map(|env| environment_label(&env))
        .collect()
}

/// `User, Action::"payInvoice", Invoice`.
pub fn environment_label(env: &RequestEnv) -> String {
    format!("{}, {}, {}", env.principal(), env.action(), env.resource())
}
