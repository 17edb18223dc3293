//! Invariants: the rules a policy set must keep, written by security engineers as plain Cedar
//! in `policies/invariants/*.cedar`. The policy loader reads only `policies/*.cedar`, so these
//! files are never loaded as policies; they are read here, strictly validated against the
//! same schema, and turned into questions for the solver.
//!
//! A `forbid` invariant names requests the set must never allow; a `permit` invariant names
//! requests it must always allow. Either way, the requests the invariant *matches* are what
//! its own `permit` twin would allow, which is what the proofs compare with the set.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use cedar_policy::{Effect, Policy, PolicyId, PolicySet, Schema, ValidationMode, Validator};

/// What an invariant promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Promise {
    /// A `forbid` invariant: the set never allows what it matches.
    NeverAllows,
    /// A `permit` invariant: the set always allows what it matches.
    AlwaysAllows,
}

/// One invariant read from a file.
#[derive(Debug, Clone)]
pub struct Invariant {
    /// Its `@id`.
    pub id: String,
    /// The `//` comment above it, in one line.
    pub comment: String,
    /// Forbid or permit.
    pub promise: Promise,
    /// `file:line` where it is written.
    pub place: String,
    /// The invariant as a `permit`: it allows exactly the requests the invariant matches.
    pub matcher: Policy,
}

/// The folder of invariants beside the policies: `<policies>/invariants`.
pub fn folder(policies_dir: &Path) -> PathBuf {
    policies_dir.join("invariants")
}

/// Reads and strictly validates every `*.cedar` file of `dir`, sorted by name. A missing
/// folder means no invariants; every other problem is one `file:line: message` line.
pub fn load(dir: &Path, schema: &Schema) -> Result<Vec<Invariant>, Vec<String>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "cedar"))
        .collect();
    paths.sort();
    let mut invariants = Vec::new();
    let mut problems = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for path in paths {
        match read_file(&path) {
            Ok(found) => {
                for invariant in found {
                    if let Some(first) = seen.insert(invariant.id.clone(), invariant.place.clone())
                    {
                        problems.push(format!(
                            "{}: @id(\"{}\") is also used at {first}",
                            invariant.place, invariant.id
                        ));
                    }
                    invariants.push(invariant);
                }
            }
            Err(mut more) => problems.append(&mut more),
        }
    }
    if problems.is_empty() {
        problems = validate(&invariants, schema);
    }
    if problems.is_empty() {
        Ok(invariants)
    } else {
        Err(problems)
    }
}

fn read_file(path: &Path) -> Result<Vec<Invariant>, Vec<String>> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| vec![format!("{shown}: {e}")])?;
    let parsed = PolicySet::from_str(&text).map_err(|errs| {
        errs.iter()
            .map(|e| format!("{shown}: {e}"))
            .collect::<Vec<_>>()
    })?;
    if parsed.templates().next().is_some() {
        return Err(vec![format!("{shown}: an invariant cannot be a template")]);
    }
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for policy in parsed.policies() {
        let Some(id) = policy.annotation("id") else {
            problems.push(format!(
                "{shown}: an invariant has no @id(\"...\") annotation"
            ));
            continue;
        };
        let line = line_of(&text, id);
        let place = format!("{shown}:{line}");
        match permit_twin(policy, id) {
            Ok(matcher) => found.push(Invariant {
                id: id.to_owned(),
                comment: comment_above(&text, line),
                promise: match policy.effect() {
                    Effect::Forbid => Promise::NeverAllows,
                    Effect::Permit => Promise::AlwaysAllows,
                },
                place,
                matcher,
            }),
            Err(e) => problems.push(format!("{place}: {e}")),
        }
    }
    if problems.is_empty() {
        Ok(found)
    } else {
        Err(problems)
    }
}

/// The same scope and conditions as `policy`, as a `permit` named `id`.
fn permit_twin(policy: &Policy, id: &str) -> Result<Policy, String> {
    let mut json = policy.to_json().map_err(|e| e.to_string())?;
    json["effect"] = serde_json::Value::from("permit");
    Policy::from_json(Some(PolicyId::new(id)), json).map_err(|e| e.to_string())
}

/// Strict validation of every invariant against the schema, as for policies.
fn validate(invariants: &[Invariant], schema: &Schema) -> Vec<String> {
    let set = match PolicySet::from_policies(invariants.iter().map(|i| i.matcher.clone())) {
        Ok(set) => set,
        Err(e) => return vec![format!("invariants: {e}")],
    };
    let places: HashMap<&str, &str> = invariants
        .iter()
        .map(|i| (i.id.as_str(), i.place.as_str()))
        .collect();
    let result = Validator::new(schema.clone()).validate(&set, ValidationMode::Strict);
    let place = |id: &PolicyId| {
        let key: &str = id.as_ref();
        places.get(key).copied().unwrap_or("invariants")
    };
    let mut problems: Vec<String> = result
        .validation_errors()
        .map(|e| format!("{}: {e}", place(e.policy_id())))
        .collect();
    problems.extend(
        result
            .validation_warnings()
            .map(|w| format!("{}: {w}", place(w.policy_id()))),
    );
    problems
}

/// The line of the `@id("...")` annotation (1 when not found).
fn line_of(text: &str, id: &str) -> usize {
    text.find(&format!("@id(\"{id}\")"))
        .map_or(1, |at| text[..at].matches('\n').count() + 1)
}

/// The `//` lines right above `line` (skipping other annotations), joined into one line.
fn comment_above(text: &str, line: usize) -> String {
    let lines: Vec<&str> = text.lines().take(line.saturating_sub(1)).collect();
    let mut comment: Vec<&str> = lines
        .iter()
        .rev()
        .map(|l| l.trim())
        .take_while(|l| l.starts_with("//") || l.starts_with('@'))
        .filter_map(|l| l.strip_prefix("//"))
        .map(str::trim)
        .collect();
    comment.reverse();
    comment.join(" ")
}

#[cfg(test)]
mod tests {
    use super::comment_above;

    #[test]
    fn the_comment_is_the_lines_just_above() {
        let text =
            "// header\n\n// first\n// second\n@id(\"x\")\nforbid (principal, action, resource);";
        assert_eq!(comment_above(text, 5), "first second");
        assert_eq!(
            comment_above("@id(\"x\")\npermit (principal, action, resource);", 1),
            ""
        );
    }
}
