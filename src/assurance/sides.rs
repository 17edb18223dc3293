//! The two sides of `portier diff`: each a policy folder on disk or a git revision of the
//! repository the policy folder is in. A revision's `policies/*.cedar` and
//! `schemas/*.cedarschema` (the same folders as on disk, found by their place in the
//! repository) are copied to a temporary folder, loaded and validated, then removed.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context as _};

use crate::authz::PolicyFolders;
use crate::authz::{self, PolicyBundle};

/// One side, loaded.
pub struct Side {
    /// What the user named (`HEAD~1`, `policies`, `working tree`).
    pub label: String,
    /// The policy set.
    pub bundle: PolicyBundle,
}

/// The working tree's folders.
pub fn working_tree(folders: &PolicyFolders) -> anyhow::Result<Side> {
    Ok(Side {
        label: "working tree".to_owned(),
        bundle: authz::load(&folders.policies, &folders.schemas)?,
    })
}

/// A folder of `*.cedar` files (with the schema of `folders`), or a git revision.
pub fn open(spec: &str, folders: &PolicyFolders) -> anyhow::Result<Side> {
    let as_folder = Path::new(spec);
    let bundle = if as_folder.is_dir() {
        authz::load(as_folder, &folders.schemas)?
    } else {
        at_revision(spec, folders)?
    };
    Ok(Side {
        label: spec.to_owned(),
        bundle,
    })
}

fn at_revision(revision: &str, folders: &PolicyFolders) -> anyhow::Result<PolicyBundle> {
    let repo = &folders.policies;
    let commit = git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{revision}^{{commit}}"),
        ],
    )
    .with_context(|| format!("{revision:?} is neither a folder nor a git revision"))?;
    let scratch = std::env::temp_dir().join(format!(
        "portier-diff-{}-{}",
        std::process::id(),
        commit.trim()
    ));
    let copied = copy_folder(
        commit.trim(),
        &folders.policies,
        "cedar",
        &scratch.join("policies"),
    )
    .and_then(|()| {
        copy_folder(
            commit.trim(),
            &folders.schemas,
            "cedarschema",
            &scratch.join("schemas"),
        )
    })
    .and_then(|()| {
        authz::load(&scratch.join("policies"), &scratch.join("schemas"))
            .with_context(|| format!("the policies at {revision}"))
    });
    let _ = std::fs::remove_dir_all(&scratch);
    copied
}

/// Copies the `*.{ext}` files of `folder` as they are at `commit` into `into`.
fn copy_folder(commit: &str, folder: &Path, ext: &str, into: &PathBuf) -> anyhow::Result<()> {
    std::fs::create_dir_all(into)?;
    let prefix = git(folder, &["rev-parse", "--show-prefix"])?;
    let tree = format!("{commit}:{}", prefix.trim());
    let names = git(folder, &["ls-tree", "--full-tree", "--name-only", &tree])?;
    let wanted = |n: &&str| n.ends_with(&format!(".{ext}")) || *n == crate::authz::PRESETS_FILE;
    for name in names.lines().filter(wanted) {
        let text = git(folder, &["show", &format!("{tree}{name}")])?;
        std::fs::write(into.join(name), text)?;
    }
    Ok(())
}

/// Runs git in `dir`; its stdout, or an error with its stderr.
fn git(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .context("running git")?;
    if !output.status.success() {
        bail!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
