//! `portier diff OLD [NEW]`: for every request environment of NEW's schema, whether NEW is
//! equivalent to OLD, only more permissive, only less permissive, or both, each direction
//! with a witness request from the solver; with `--database-url`, who gains or loses what.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use cedar_policy::{RequestEnv, Schema};
use cedar_policy_symcc::{CedarSymCompiler, CompiledPolicySet};
use serde::Serialize;

use super::counterexample::{Counterexample, Expected};
use super::impact::Impact;
use super::prove::environment_label;
use super::sides::Side;
use super::solver::Solver;
use crate::authz::PolicyBundle;

/// How NEW relates to OLD in one environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// The same decision on every request.
    Equivalent,
    /// NEW allows some requests OLD denied, and denies nothing OLD allowed.
    MorePermissive,
    /// NEW denies some requests OLD allowed, and allows nothing OLD denied.
    LessPermissive,
    /// Both of the above.
    Both,
}

/// One environment's comparison.
#[derive(Debug, Clone)]
pub struct EnvironmentDiff {
    /// `principal type, action, resource type`.
    pub environment: String,
    /// The direction.
    pub change: Change,
    /// A request NEW allows and OLD denies (evaluated under NEW).
    pub newly_allowed: Option<Counterexample>,
    /// A request OLD allows and NEW denies (evaluated under NEW).
    pub newly_denied: Option<Counterexample>,
}

/// The whole comparison.
pub struct PolicyDiff {
    /// OLD's label.
    pub old: String,
    /// NEW's label.
    pub new: String,
    /// Environments compared.
    pub environments: usize,
    /// Those that changed.
    pub changed: Vec<EnvironmentDiff>,
    /// Time spent proving.
    pub elapsed: Duration,
    /// The data impact, when a database was given.
    pub impact: Option<Impact>,
}

/// Compares OLD with NEW in every request environment of NEW's schema (OLD's policies must
/// validate against it).
pub async fn compare(old: &Side, new: &Side, solver: &Solver) -> anyhow::Result<PolicyDiff> {
    let started = Instant::now();
    let schema = new.bundle.schema();
    let process = solver.start().context("starting the solver")?;
    let mut compiler = CedarSymCompiler::new(process).map_err(|e| anyhow::anyhow!("{e}"))?;
    let environments: Vec<RequestEnv> = schema.request_envs().collect();
    let mut changed = Vec::new();
    for env in &environments {
        let found = compare_env(&mut compiler, &old.bundle, &new.bundle, schema, env).await?;
        if found.change != Change::Equivalent {
            changed.push(found);
        }
    }
    Ok(PolicyDiff {
        old: old.label.clone(),
        new: new.label.clone(),
        environments: environments.len(),
        changed,
        elapsed: started.elapsed(),
        impact: None,
    })
}

async fn compare_env(
    compiler: &mut CedarSymCompiler<cedar_policy_symcc::solver::LocalSolver>,
    old: &PolicyBundle,
    new: &PolicyBundle,
    schema: &Schema,
    env: &RequestEnv,
) -> anyhow::Result<EnvironmentDiff> {
    let label = environment_label(env);
    let old_set = CompiledPolicySet::compile(old.policies(), env, schema)
        .with_context(|| format!("the old policies against the new schema, for {label}"))?;
    let new_set = CompiledPolicySet::compile(new.policies(), env, schema)
        .with_context(|| format!("the new policies, for {label}"))?;
    let more = compiler
        .check_implies_with_counterexample_opt(&new_set, &old_set)
        .await
        .with_context(|| format!("comparing {label}"))?;
    let less = compiler
        .check_implies_with_counterexample_opt(&old_set, &new_set)
        .await
        .with_context(|| format!("comparing {label}"))?;
    let witness = |found: Option<cedar_policy_symcc::Env>, expected| {
        found.map(|env| Counterexample::new(&env, label.clone(), expected, new.policies()))
    };
    let newly_allowed = witness(more, Expected::Deny);
    let newly_denied = witness(less, Expected::Allow);
    let change = match (newly_allowed.is_some(), newly_denied.is_some()) {
        (false, false) => Change::Equivalent,
        (true, false) => Change::MorePermissive,
        (false, true) => Change::LessPermissive,
        (true, true) => Change::Both,
    };
    Ok(EnvironmentDiff {
        environment: label,
        change,
        newly_allowed,
        newly_denied,
    })
}
