//! `portier test`: runs `policies/tests/*.json`, written in the official `cedar run-tests`
//! format, so the same files also run with the `cedar` CLI. A case is a JSON object
//! `{name, request: {principal, action, resource, context}, entities, decision, reason,
//! num_errors}`; `entities` is an array or a path relative to the test file. A case passes
//! when the decision matches, every listed reason is among Cedar's reasons and the number
//! of erroring policies is exact — the CLI's rules.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use cedar_policy::{Authorizer, Context, Decision, Entities, EntityUid, Request};
use serde::Deserialize;
use serde_json::Value;

use super::PolicyBundle;

#[derive(Debug, Deserialize)]
struct TestCase {
    name: String,
    request: TestRequest,
    entities: Value,
    decision: String,
    reason: Vec<String>,
    num_errors: usize,
}

#[derive(Debug, Deserialize)]
struct TestRequest {
    principal: String,
    action: String,
    resource: String,
    #[serde(default)]
    context: Value,
}

/// Counts of one run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed or could not be read.
    pub failed: usize,
}

/// Runs every `*.json` file of `tests_dir` against `bundle`, printing a line per failing case
/// to `out` and the summary `N passed, N failed` last.
pub fn run(
    bundle: &PolicyBundle,
    tests_dir: &Path,
    out: &mut impl std::io::Write,
) -> std::io::Result<Summary> {
    let mut summary = Summary::default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(tests_dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for file in files {
        let cases = match read_cases(&file) {
            Ok(cases) => cases,
            Err(problem) => {
                summary.failed += 1;
                writeln!(out, "FAIL {}: {problem}", file.display())?;
                continue;
            }
        };
        for case in cases {
            match run_case(bundle, &file, &case) {
                Ok(()) => summary.passed += 1,
                Err(problem) => {
                    summary.failed += 1;
                    writeln!(out, "FAIL {} :: {}: {problem}", file.display(), case.name)?;
                }
            }
        }
    }
    writeln!(out, "{} passed, {} failed", summary.passed, summary.failed)?;
    Ok(summary)
}

fn read_cases(file: &Path) -> Result<Vec<TestCase>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| format!("not a cedar run-tests file: {e}"))
}

fn run_case(bundle: &PolicyBundle, file: &Path, case: &TestCase) -> Result<(), String> {
    let schema = bundle.schema();
    let uid = |field: &str, text: &str| {
        EntityUid::from_str(text).map_err(|e| format!("request.{field}: {e}"))
    };
    let action = uid("action", &case.request.action)?;
    let context_json = match &case.request.context {
        Value::Null => Value::Object(Default::default()),
        other => other.clone(),
    };
    let context = Context::from_json_value(context_json, Some((schema, &action)))
        .map_err(|e| format!("request.context: {e}"))?;
    let request = Request::new(
        uid("principal", &case.request.principal)?,
        action,
        uid("resource", &case.request.resource)?,
        context,
        Some(schema),
    )
    .map_err(|e| format!("request: {e}"))?;
    let entities_json = match &case.entities {
        Value::String(path) => {
            let path = file.parent().unwrap_or(Path::new(".")).join(path);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("entities {}: {e}", path.display()))?;
            serde_json::from_str(&text).map_err(|e| format!("entities {}: {e}", path.display()))?
        }
        inline => inline.clone(),
    };
    let entities = Entities::from_json_value(entities_json, Some(schema))
        .map_err(|e| format!("entities: {e}"))?;

    let response = Authorizer::new().is_authorized(&request, bundle.policies(), &entities);
    let expected = match case.decision.as_str() {
        "allow" => Decision::Allow,
        "deny" => Decision::Deny,
        other => {
            return Err(format!(
                "decision must be \"allow\" or \"deny\", not {other:?}"
            ))
        }
    };
    let mut problems = Vec::new();
    if response.decision() != expected {
        problems.push(format!(
            "expected {}, got {:?}",
            case.decision,
            response.decision()
        ));
    }
    let reasons: BTreeSet<String> = response
        .diagnostics()
        .reason()
        .map(ToString::to_string)
        .collect();
    let missing: Vec<&String> = case
        .reason
        .iter()
        .filter(|r| !reasons.contains(*r))
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "missing reason(s) {missing:?}; Cedar gave {reasons:?}"
        ));
    }
    let errors: Vec<String> = response
        .diagnostics()
        .errors()
        .map(ToString::to_string)
        .collect();
    if errors.len() != case.num_errors {
        problems.push(format!(
            "expected {} error(s), got {}: {errors:?}",
            case.num_errors,
            errors.len()
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}
