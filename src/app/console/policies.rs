//! `GET /v1/console/policies`: the serving set — revision, files, the last reload's
//! problems, the policy tests' result (and invariants, once a verifier exists).
//! `POST /v1/console/policies/draft`: a pasted policy file, loaded in memory in place of the
//! serving file of that name and validated like a reload; the answer lists the matrix cells
//! of one account that would flip. Nothing is deployed or cached.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::matrix::{build, Matrix};
use super::staff_only;
use crate::app::App;
use crate::assurance::Assurance;
use crate::authz::{policy_tests, PolicyBundle, PolicyFile};
use crate::domain::{AccountId, Actor};
use crate::error::{Error, Result};

/// The serving policy set, for the policies page.
#[derive(Debug, Serialize)]
pub struct PolicySetView {
    /// The revision serving now.
    pub revision: String,
    /// Policy files, in load order.
    pub policy_files: Vec<PolicyFile>,
    /// Schema files, in load order.
    pub schema_files: Vec<PolicyFile>,
    /// The problems of the last reload, when it failed and none succeeded since.
    pub last_reload_error: Option<Vec<String>>,
    /// The policy tests (`policies/tests/*.json`) run against the serving set.
    pub tests: Value,
    /// The invariants (`policies/invariants/`): their files and what the proofs found.
    pub invariants: Value,
}

/// `GET /v1/console/policies`: staff only.
pub async fn show(app: &App, actor: &Actor) -> Result<PolicySetView> {
    staff_only(actor)?;
    let bundle = app.bundle();
    let dir = bundle.policies_dir().map(Path::to_path_buf);
    let tests = {
        let bundle = bundle.clone();
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || run_tests(&bundle, dir.as_deref()))
            .await
            .map_err(|e| Error::Internal(anyhow::anyhow!("policy tests: {e}")))?
    };
    Ok(PolicySetView {
        revision: bundle.revision().to_owned(),
        policy_files: bundle.policy_files(),
        schema_files: bundle.schema_files(),
        last_reload_error: app.policies().last_error().map(|e| e.problems),
        tests,
        invariants: invariants(dir.as_deref(), &app.policies().assurance()),
    })
}

/// The policy tests' summary and the lines of failing cases.
fn run_tests(bundle: &PolicyBundle, dir: Option<&Path>) -> Value {
    let Some(tests) = dir.map(|d| d.join("tests")).filter(|d| d.is_dir()) else {
        return json!({"ran": false, "note": "no policies/tests folder"});
    };
    let mut out = Vec::new();
    match policy_tests::run(bundle, &tests, &mut out) {
        Ok(summary) => json!({
            "ran": true,
            "passed": summary.passed,
            "failed": summary.failed,
            "output": String::from_utf8_lossy(&out),
        }),
        Err(e) => json!({"ran": false, "note": format!("could not run: {e}")}),
    }
}

/// Invariants: the `*.cedar` files of `policies/invariants/` when the folder exists, and what
/// the proofs run when this set was loaded (`portier verify`'s) found: proven, violated,
/// not checked (no solver), with the ids of each.
fn invariants(dir: Option<&Path>, assurance: &Assurance) -> Value {
    let folder = dir.map(|d| d.join("invariants"));
    let mut files: Vec<String> = folder
        .as_deref()
        .and_then(|f| std::fs::read_dir(f).ok())
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".cedar"))
        .collect();
    files.sort();
    let proofs = &assurance.invariants;
    let status = if files.is_empty() {
        "none"
    } else {
        proofs.status
    };
    json!({
        "files": files,
        "status": status,
        "proven": proofs.proven,
        "violated": proofs.violated,
        "reason": proofs.reason,
    })
}

/// The body of a draft preview.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftBody {
    /// Whose matrix to compare.
    pub account: AccountId,
    /// The policy file replaced (or added), e.g. `grants.cedar`.
    pub file: String,
    /// Its new text.
    pub text: String,
}

/// A cell that would change.
#[derive(Debug, Serialize)]
pub struct Flip {
    /// The member.
    pub user_id: String,
    /// The action.
    pub action: String,
    /// Decision now.
    pub before: &'static str,
    /// Decision under the draft.
    pub after: &'static str,
    /// Deciding policies under the draft.
    pub reasons_after: Vec<String>,
}

/// What a draft would change.
#[derive(Debug, Serialize)]
pub struct DraftPreview {
    /// The serving revision compared against.
    pub serving_revision: String,
    /// The draft's revision (never served).
    pub draft_revision: String,
    /// Cells compared.
    pub cells: usize,
    /// Cells whose decision differs.
    pub flips: Vec<Flip>,
}

/// `POST /v1/console/policies/draft`: staff only. `400` naming `file` for a bad name, `404`
/// for an unknown account, `422` with `file:line` problems when the draft does not validate.
pub async fn draft(app: &App, actor: &Actor, body: DraftBody) -> Result<DraftPreview> {
    check_file_name(&body.file)?;
    staff_only(actor)?;
    let serving = app.bundle();
    let candidate = {
        let serving = serving.clone();
        tokio::task::spawn_blocking(move || serving.with_policy_file(&body.file, &body.text))
            .await
            .map_err(|e| Error::Internal(anyhow::anyhow!("loading a draft: {e}")))?
            .map_err(|e| Error::InvalidPolicies(e.problems))?
    };
    let members = app.store().members(&body.account).await?;
    let keys = app.store().api_keys(&body.account).await?;
    let before = build(
        app.checker(),
        &serving,
        &body.account,
        members.clone(),
        keys.clone(),
    )
    .await?;
    let after = build(app.checker(), &candidate, &body.account, members, keys).await?;
    Ok(compare(&before, &after))
}

/// A policy file name: `name.cedar`, letters, digits, `-`, `_` and `.`, no folder.
fn check_file_name(name: &str) -> Result<()> {
    let stem = name.strip_suffix(".cedar").unwrap_or_default();
    let fine = !stem.is_empty()
        && name.len() <= 100
        && !stem.starts_with('.')
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if fine {
        Ok(())
    } else {
        Err(Error::bad_field(
            "file",
            "a policy file name such as grants.cedar (letters, digits, - _ .)",
        ))
    }
}

/// The cells whose decision differs between two matrices of the same account.
fn compare(before: &Matrix, after: &Matrix) -> DraftPreview {
    let mut flips = Vec::new();
    let mut cells = 0;
    for (row_before, row_after) in before.rows.iter().zip(&after.rows) {
        let pairs = row_before.cells.iter().zip(&row_after.cells);
        for (column, (was, now)) in before.columns.iter().zip(pairs) {
            cells += 1;
            if was.decision != now.decision {
                flips.push(Flip {
                    user_id: row_before.user_id.clone(),
                    action: column.action.clone(),
                    before: was.decision,
                    after: now.decision,
                    reasons_after: now.reasons.clone(),
                });
            }
        }
    }
    DraftPreview {
        serving_revision: before.policy_revision.clone(),
        draft_revision: after.policy_revision.clone(),
        cells,
        flips,
    }
}

#[cfg(test)]
mod tests {
    use super::check_file_name;

    #[test]
    fn file_names_stay_in_the_policies_folder() {
        assert!(check_file_name("grants.cedar").is_ok());
        assert!(check_file_name("new_rule-2.cedar").is_ok());
        for bad in [
            "../grants.cedar",
            "grants",
            ".cedar",
            "a/b.cedar",
            ".hidden.cedar",
        ] {
            assert!(check_file_name(bad).is_err(), "{bad}");
        }
    }
}
