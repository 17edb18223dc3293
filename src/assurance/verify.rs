//! `portier verify`: proves every invariant (and that no policy errors) in every request
//! environment, prints each as proven or violated with the coverage table (which invariants
//! bound each action, see [`super::coverage`]), and saves each counterexample as a
//! `cedar run-tests` case. Text for people, JSON for tools, Markdown for a code review; every
//! format says the same things. Exit status: success only when everything is proven.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::{json, Value};

use super::counterexample::Expected;
use super::coverage::{self, Coverage};
use super::invariants::{self, Promise};
use super::prove::{self, Proof, Verification};
use super::solver::Solver;
use super::ReportFormat;
use crate::authz;
use crate::authz::PolicyFolders;

/// A finished run: the proofs, where each counterexample was saved, and the coverage.
struct Outcome {
    solver: Solver,
    verification: Verification,
    saved: Vec<Option<PathBuf>>,
    saved_to: PathBuf,
    coverage: Coverage,
}

impl Outcome {
    fn violated(&self) -> usize {
        self.verification.violated().count()
    }

    fn summary(&self) -> String {
        let v = &self.verification;
        format!(
            "{} proven, {} violated, in {} request environments ({:.2} s)",
            v.proofs.len() - self.violated(),
            self.violated(),
            v.environments,
            v.elapsed.as_secs_f64()
        )
    }
}

/// What `portier verify` proves and how it reports.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// The policy set, whose `invariants/` folder holds the invariants.
    pub folders: PolicyFolders,
    /// The cvc5 executable (default: `$CVC5`, else `cvc5` on the PATH).
    pub solver: Option<PathBuf>,
    /// Where counterexamples are saved (default: under the system's temporary folder).
    pub counterexamples: Option<PathBuf>,
    /// How the report prints.
    pub format: ReportFormat,
}

/// Runs the proofs and prints the report to stdout; `Ok(false)` on a violation.
pub async fn run(args: &VerifyOptions) -> anyhow::Result<bool> {
    let bundle = authz::load(&args.folders.policies, &args.folders.schemas)?;
    let folder = invariants::folder(&args.folders.policies);
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
    if args.format == ReportFormat::Text {
        writeln!(
            out,
            "verifying {} invariants and \"{}\" with {} ({})",
            found.len(),
            prove::NEVER_ERRORS_ID,
            solver.path.display(),
            solver.version
        )?;
        out.flush()?;
    }
    let verification = prove::verify(bundle.schema(), bundle.policies(), &found, &solver)
        .await
        .context("the solver could not answer")?;
    let saved_to = args.counterexamples.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("portier-counterexamples-{}", bundle.revision()))
    });
    let saved = save_counterexamples(&verification, &saved_to)?;
    let outcome = Outcome {
        coverage: coverage::compute(bundle.schema(), &found),
        solver,
        verification,
        saved,
        saved_to,
    };
    let report = match args.format {
        ReportFormat::Text => text(&outcome),
        ReportFormat::Json => serde_json::to_string_pretty(&as_json(&outcome))? + "\n",
        ReportFormat::Markdown => markdown(&outcome),
    };
    out.write_all(report.as_bytes())?;
    Ok(outcome.violated() == 0)
}

fn save_counterexamples(v: &Verification, dir: &Path) -> anyhow::Result<Vec<Option<PathBuf>>> {
    let save = |proof: &Proof| -> anyhow::Result<Option<PathBuf>> {
        let Some(cex) = &proof.counterexample else {
            return Ok(None);
        };
        let name = format!("counterexample: {} ({})", proof.id, cex.environment);
        let path = cex
            .save(dir, &proof.id, &name)
            .with_context(|| format!("saving the counterexample to {}", dir.display()))?;
        Ok(Some(path))
    };
    v.proofs.iter().map(save).collect()
}

fn demand(proof: &Proof) -> &'static str {
    match proof.promise {
        Some(Promise::NeverAllows) => "must deny",
        Some(Promise::AlwaysAllows) => "must allow",
        None => "must not error",
    }
}

fn text(outcome: &Outcome) -> String {
    let mut out = String::new();
    for (proof, saved) in outcome.verification.proofs.iter().zip(&outcome.saved) {
        let Some(cex) = &proof.counterexample else {
            let _ = writeln!(out, "  proven    {}  ({})", proof.id, proof.place);
            continue;
        };
        let _ = writeln!(out, "  VIOLATED  {}  ({})", proof.id, proof.place);
        if !proof.comment.is_empty() {
            let _ = writeln!(out, "      promise: {}", proof.comment);
        }
        let demand = demand(proof);
        let _ = writeln!(
            out,
            "      counterexample in {} ({demand}):",
            cex.environment
        );
        out.push_str(&cex.describe("        "));
        if let Some(path) = saved {
            let _ = writeln!(out, "      saved as a test case: {}", path.display());
        }
    }
    out.push_str(&outcome.coverage.text());
    let _ = writeln!(out, "{}", outcome.summary());
    if outcome.violated() > 0 {
        let _ = writeln!(
            out,
            "replay: portier test --tests {}   (or cedar run-tests --tests FILE)",
            outcome.saved_to.display()
        );
    }
    out
}

fn as_json(outcome: &Outcome) -> Value {
    let v = &outcome.verification;
    let proofs: Vec<Value> = v
        .proofs
        .iter()
        .zip(&outcome.saved)
        .map(|(proof, saved)| {
            let counterexample = proof.counterexample.as_ref().map(|cex| {
                let expected = match cex.expected {
                    Expected::Deny => "deny",
                    Expected::Allow => "allow",
                    Expected::NoErrors => "no_errors",
                };
                json!({
                    "environment": cex.environment, "request": cex.request,
                    "entities": cex.entities, "expected": expected, "decision": cex.decision,
                    "reasons": cex.reasons, "errors": cex.errors, "saved_as": saved,
                })
            });
            json!({
                "id": proof.id, "comment": proof.comment, "place": proof.place,
                "promise": proof.promise, "proven": proof.proven(),
                "counterexample": counterexample,
            })
        })
        .collect();
    json!({
        "solver": {"path": outcome.solver.path, "version": outcome.solver.version},
        "environments": v.environments,
        "seconds": v.elapsed.as_secs_f64(),
        "proven": v.proofs.len() - outcome.violated(),
        "violated": outcome.violated(),
        "proofs": proofs,
        "coverage": outcome.coverage,
        "counterexamples": (outcome.violated() > 0).then_some(&outcome.saved_to),
    })
}

fn markdown(outcome: &Outcome) -> String {
    let mut out = format!(
        "### Invariants\n\n{} (solver: {}).\n\n| invariant | promise | result | where |\n|---|---|---|---|\n",
        outcome.summary(),
        outcome.solver.version
    );
    for proof in &outcome.verification.proofs {
        let result = match proof.proven() {
            true => "proven",
            false => "**violated**",
        };
        let comment = proof.comment.replace('|', "\\|");
        let _ = writeln!(
            out,
            "| `{}` | {comment} | {result} | `{}` |",
            proof.id, proof.place
        );
    }
    for (proof, saved) in outcome.verification.proofs.iter().zip(&outcome.saved) {
        let Some(cex) = &proof.counterexample else {
            continue;
        };
        let _ = write!(
            out,
            "\n<details><summary><code>{}</code>: counterexample in {} ({})</summary>\n\n```\n{}```\n",
            proof.id,
            cex.environment,
            demand(proof),
            cex.describe("")
        );
        if let Some(path) = saved {
            let _ = writeln!(out, "Saved as a test case: `{}`", path.display());
        }
        out.push_str("</details>\n");
    }
    out.push('\n');
    out.push_str(&outcome.coverage.markdown());
    out
}
