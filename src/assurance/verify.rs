//! `portier verify`: proves every invariant (and that no policy errors) in every request
//! environment, prints each as proven or violated, and saves each counterexample as a
//! `cedar run-tests` case. Exit status: success only when everything is proven.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::invariants::{self, Promise};
use super::prove::{self, Proof};
use super::solver::Solver;
use crate::authz;
use crate::config::VerifyArgs;

/// Runs the proofs and prints the report to stdout; `Ok(false)` on a violation.
pub async fn run(args: &VerifyArgs) -> anyhow::Result<bool> {
    let bundle = authz::load(&args.policy.policies, &args.policy.schemas)?;
    let folder = invariants::folder(&args.policy.policies);
    let found = invariants::load(&folder, bundle.schema())
        .map_err(|problems| anyhow::anyhow!("invalid invariants:\n  {}", problems.join("\n  ")))?;
    if found.is_empty() {
        anyhow::bail!(
            "no invariants in {}: write them as *.cedar files there",
            folder.display()
        );
    }
    let solver = Solver::locate(args.solver.as_deref())?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "verifying {} invariants and \"{}\" with {} ({})",
        found.len(),
        prove::NEVER_ERRORS_ID,
        solver.path.display(),
        solver.version
    )?;
    let verification = prove::verify(bundle.schema(), bundle.policies(), &found, &solver)
        .await
        .context("the solver could not answer")?;
    let saved_to = args.counterexamples.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("portier-counterexamples-{}", bundle.revision()))
    });
    for proof in &verification.proofs {
        print_proof(&mut out, proof, &saved_to)?;
    }
    let violated = verification.violated().count();
    writeln!(
        out,
        "{} proven, {violated} violated, in {} request environments ({:.2} s)",
        verification.proofs.len() - violated,
        verification.environments,
        verification.elapsed.as_secs_f64()
    )?;
    if violated > 0 {
        writeln!(
            out,
            "replay: portier test --tests {}   (or cedar run-tests --tests FILE)",
            saved_to.display()
        )?;
    }
    Ok(violated == 0)
}

fn print_proof(out: &mut impl Write, proof: &Proof, dir: &Path) -> anyhow::Result<()> {
    let Some(cex) = &proof.counterexample else {
        writeln!(out, "  proven    {}  ({})", proof.id, proof.place)?;
        return Ok(());
    };
    writeln!(out, "  VIOLATED  {}  ({})", proof.id, proof.place)?;
    if !proof.comment.is_empty() {
        writeln!(out, "      promise: {}", proof.comment)?;
    }
    let demand = match proof.promise {
        Some(Promise::NeverAllows) => "must deny",
        Some(Promise::AlwaysAllows) => "must allow",
        None => "must not error",
    };
    writeln!(
        out,
        "      counterexample in {} ({demand}):",
        cex.environment
    )?;
    write!(out, "{}", cex.describe("        "))?;
    let name = format!("counterexample: {} ({})", proof.id, cex.environment);
    let path: PathBuf = cex
        .save(dir, &proof.id, &name)
        .with_context(|| format!("saving the counterexample to {}", dir.display()))?;
    writeln!(out, "      saved as a test case: {}", path.display())?;
    Ok(())
}
