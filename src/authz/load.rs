//! Reading `schemas/*.cedarschema`, `policies/*.cedar` and `policies/roles.json` from disk
//! into a validated
//! [`PolicyBundle`]. Every problem is reported as `file:line:col: message`, so a security
//! engineer can jump to it; the set is accepted only when strict validation has no error
//! and no warning (the same bar as `cedar run-tests` with a schema).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use cedar_policy::{PolicyId, PolicySet, Schema, SchemaFragment, ValidationMode, Validator};

use super::context::ContextKeys;
use miette::Diagnostic;
use sha2::{Digest, Sha256};

use super::sources::{file_name, line_col, SourceFile, Sources};
use super::{presets, PolicyBundle};

/// Why a policy set was refused: one line per problem, each `file:line:col: message`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid policy set:\n  {}", problems.join("\n  "))]
pub struct LoadError {
    /// The problems, in file order.
    pub problems: Vec<String>,
}

impl LoadError {
    fn one(problem: String) -> Self {
        LoadError {
            problems: vec![problem],
        }
    }
}

/// Where a policy set lives: a folder of `*.cedar` policy files and one of `*.cedarschema`
/// files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyFolders {
    /// The policy files' folder.
    pub policies: std::path::PathBuf,
    /// The schema files' folder.
    pub schemas: std::path::PathBuf,
}

/// Loads and strictly validates the schema and policy files of two folders.
pub fn load(policies_dir: &Path, schemas_dir: &Path) -> Result<PolicyBundle, LoadError> {
    let schema_files = read_files(schemas_dir, "cedarschema")?;
    let policy_files = read_files(policies_dir, "cedar")?;
    let presets_file = presets::read(policies_dir).map_err(LoadError::one)?;
    load_sources(schema_files, policy_files, presets_file)
}

/// Loads and strictly validates files already in memory (a draft is checked this way, with
/// exactly the rules of a reload). The bundle keeps the files, for explaining its decisions.
pub(crate) fn load_sources(
    schema_files: Vec<SourceFile>,
    policy_files: Vec<SourceFile>,
    presets_file: Option<SourceFile>,
) -> Result<PolicyBundle, LoadError> {
    let (schema, grants, context_keys) = parse_schema(&schema_files)?;
    let (policies, origin) = parse_policies(&policy_files)?;
    validate(&schema, &policies, &origin, &policy_files)?;
    let presets = presets::parse(presets_file.as_ref(), &grants)
        .map_err(|problems| LoadError { problems })?;
    let revision = revision(
        schema_files
            .iter()
            .chain(&policy_files)
            .chain(&presets_file),
    );
    let sources = Sources::new(schema_files, policy_files, presets_file, &policies, &origin);
    let bundle = PolicyBundle::new(schema, policies, revision, grants, context_keys)
        .map_err(LoadError::one)?;
    Ok(bundle.with_sources(sources).with_presets(presets))
}

/// Reads every `*.{ext}` file of a folder, sorted by name so the set is deterministic.
fn read_files(dir: &Path, ext: &str) -> Result<Vec<SourceFile>, LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        let tried = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        LoadError::one(format!(
            "{}: cannot read folder {}: {e}",
            dir.display(),
            tried.display()
        ))
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == ext))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(LoadError::one(format!(
            "{}: no *.{ext} files",
            dir.display()
        )));
    }
    paths
        .into_iter()
        .map(|path| match std::fs::read_to_string(&path) {
            Ok(text) => Ok(SourceFile { path, text }),
            Err(e) => Err(LoadError::one(format!("{}: {e}", path.display()))),
        })
        .collect()
}

/// Parses the schema files into one schema, and lists the values of the `Grant` enum and
/// the context attributes of each action.
fn parse_schema(
    files: &[SourceFile],
) -> Result<(Schema, BTreeSet<String>, ContextKeys), LoadError> {
    let mut fragments = Vec::new();
    let mut grants = BTreeSet::new();
    let mut problems = Vec::new();
    for file in files {
        match SchemaFragment::from_cedarschema_str(&file.text) {
            Ok((fragment, warnings)) => {
                problems.extend(warnings.map(|w| locate(&w, file)));
                grants.extend(grant_values(&fragment));
                fragments.push(fragment);
            }
            Err(err) => problems.push(locate(&err, file)),
        }
    }
    if !problems.is_empty() {
        return Err(LoadError { problems });
    }
    let context_keys = super::context::context_keys(&fragments);
    let schema = Schema::from_schema_fragments(fragments).map_err(|err| {
        let folder = files[0].path.parent().unwrap_or(Path::new("."));
        LoadError::one(format!("{}: {}", folder.display(), message(&err)))
    })?;
    Ok((schema, grants, context_keys))
}

/// The values of `entity Grant enum [...]` in a fragment, in any namespace.
fn grant_values(fragment: &SchemaFragment) -> Vec<String> {
    let json: serde_json::Value = fragment
        .to_json_string()
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let namespaces = json.as_object().into_iter().flat_map(|ns| ns.values());
    namespaces
        .filter_map(|ns| ns.pointer("/entityTypes/Grant/enum")?.as_array())
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// Parses each file, renames every policy to its `@id` and remembers which file it came from.
fn parse_policies(
    files: &[SourceFile],
) -> Result<(PolicySet, HashMap<PolicyId, usize>), LoadError> {
    let mut set = PolicySet::new();
    let mut origin = HashMap::new();
    let mut problems = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let parsed = match PolicySet::from_str(&file.text) {
            Ok(parsed) => parsed,
            Err(errs) => {
                problems.extend(errs.iter().map(|e| locate(e, file)));
                continue;
            }
        };
        for policy in parsed.policies() {
            let line = policy.source_loc_line(&file.text);
            let Some(id) = policy.annotation("id") else {
                problems.push(format!(
                    "{}:{line}: policy has no @id(\"...\") annotation",
                    file.path.display()
                ));
                continue;
            };
            let id = PolicyId::new(id);
            if let Some(&other) = origin.get(&id) {
                let first: &SourceFile = &files[other];
                problems.push(format!(
                    "{}:{line}: @id(\"{id}\") is also used in {}",
                    file.path.display(),
                    first.path.display()
                ));
                continue;
            }
            if let Err(e) = set.add(policy.new_id(id.clone())) {
                problems.push(format!("{}:{line}: {e}", file.path.display()));
                continue;
            }
            origin.insert(id, index);
        }
    }
    if problems.is_empty() {
        Ok((set, origin))
    } else {
        Err(LoadError { problems })
    }
}

fn validate(
    schema: &Schema,
    policies: &PolicySet,
    origin: &HashMap<PolicyId, usize>,
    files: &[SourceFile],
) -> Result<(), LoadError> {
    let result = Validator::new(schema.clone()).validate(policies, ValidationMode::Strict);
    let place = |id: &PolicyId, diag: &dyn Diagnostic| match origin.get(id) {
        Some(&i) => locate(diag, &files[i]),
        None => format!("policy {id}: {}", message(diag)),
    };
    let mut problems: Vec<String> = result
        .validation_errors()
        .map(|e| place(e.policy_id(), e))
        .collect();
    problems.extend(
        result
            .validation_warnings()
            .map(|w| place(w.policy_id(), w)),
    );
    if problems.is_empty() {
        Ok(())
    } else {
        Err(LoadError { problems })
    }
}

/// The content hash of every file read: the policy revision, stable across replicas.
fn revision<'a>(files: impl Iterator<Item = &'a SourceFile>) -> String {
    let mut hash = Sha256::new();
    for file in files {
        let name = file
            .path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        hash.update(name.as_bytes());
        hash.update([0]);
        hash.update(file.text.as_bytes());
        hash.update([0]);
    }
    hex::encode(&hash.finalize()[..8])
}

/// `file:line:col: message`, from the first labelled span of a diagnostic.
fn locate(diag: &dyn Diagnostic, file: &SourceFile) -> String {
    let offset = diag
        .labels()
        .and_then(|mut labels| labels.next())
        .map(|l| l.offset());
    let (line, col) = offset.map_or((1, 1), |o| line_col(&file.text, o));
    format!("{}:{line}:{col}: {}", file.path.display(), message(diag))
}

fn message(diag: &dyn Diagnostic) -> String {
    match diag.help() {
        Some(help) => format!("{diag} ({help})"),
        None => diag.to_string(),
    }
}

trait PolicyLine {
    fn source_loc_line(&self, text: &str) -> usize;
}

impl PolicyLine for cedar_policy::Policy {
    /// The line a policy starts on: found by its `@id` text, good enough for error messages.
    fn source_loc_line(&self, text: &str) -> usize {
        self.annotation("id")
            .and_then(|id| text.find(&format!("@id(\"{id}\")")))
            .map_or(1, |offset| line_col(text, offset).0)
    }
}

/// The set with the policy file `name` replaced by `text` (added when no file has that
/// name), loaded and validated in memory like a reload. Problems name files relative to
/// the policies folder (`grants.cedar:12:3: …`). Nothing is swapped in or cached.
pub(super) fn with_policy_file(
    bundle: &PolicyBundle,
    name: &str,
    text: &str,
) -> Result<PolicyBundle, LoadError> {
    let dir = bundle
        .policies_dir()
        .map_or_else(PathBuf::new, Path::to_path_buf);
    let mut files = bundle.sources.policy_files.clone();
    let draft = SourceFile {
        path: dir.join(name),
        text: text.to_owned(),
    };
    match files.iter_mut().find(|f| file_name(&f.path) == name) {
        Some(file) => *file = draft,
        None => {
            files.push(draft);
            files.sort_by(|a, b| a.path.cmp(&b.path));
        }
    }
    let prefix = format!("{}/", dir.display());
    let presets_file = bundle.sources.presets_file.clone();
    load_sources(bundle.sources.schema_files.clone(), files, presets_file).map_err(|err| {
        LoadError {
            problems: err
                .problems
                .into_iter()
                .map(|p| p.strip_prefix(&prefix).map_or(p.clone(), str::to_owned))
                .collect(),
        }
    })
}
