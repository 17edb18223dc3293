//! The `portier diff` command: open both sides, compare them, and over a database tell which
//! members gain or lose what; print the report.

use std::time::Instant;

use anyhow::Context as _;

use super::diff::compare;
use super::impact;
use super::report::{self, ReportFormat};
use super::sides;
use super::solver::Solver;
use crate::authz::PolicyFolders;
use crate::domain::Secret;
use crate::store::Store;

/// What `portier diff` compares and how it reports.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// The old side: a folder of `*.cedar` files or a git revision.
    pub old: String,
    /// The new side, likewise (default: the working tree's `folders`).
    pub new: Option<String>,
    /// The working tree's policy and schema folders.
    pub folders: PolicyFolders,
    /// The cvc5 executable (default: `$CVC5`, else `cvc5` on the PATH).
    pub solver: Option<std::path::PathBuf>,
    /// A database whose members' gains and losses to report.
    pub database_url: Option<Secret>,
    /// How the report prints.
    pub format: ReportFormat,
}

/// Runs the comparison and prints it; `Ok(true)` whatever it finds (a diff is a report).
pub async fn run(args: &DiffOptions) -> anyhow::Result<bool> {
    let old = sides::open(&args.old, &args.folders)?;
    let new = match &args.new {
        Some(spec) => sides::open(spec, &args.folders)?,
        None => sides::working_tree(&args.folders)?,
    };
    let solver = Solver::locate(args.solver.as_deref())?;
    let mut diff = compare(&old, &new, &solver).await?;
    if let Some(url) = &args.database_url {
        let started = Instant::now();
        let store = Store::open(url.expose())
            .await
            .context("opening the database")?;
        let shapes = store
            .membership_shapes()
            .await
            .map_err(|e| anyhow::anyhow!("reading membership shapes: {e}"))?;
        let read_seconds = started.elapsed().as_secs_f64();
        let mut found = impact::impact(&old.bundle, &new.bundle, &shapes)
            .map_err(|e| anyhow::anyhow!("cannot evaluate the stored memberships: {e}"))?;
        found.read_seconds = read_seconds;
        diff.impact = Some(found);
    }
    print!("{}", report::render(&diff, args.format));
    Ok(true)
}
