//! The text a policy set was loaded from, kept with the set: where each policy starts
//! (`file:line`) and its source text, for explaining a decision; and the files themselves,
//! for showing the set that serves and for previewing a draft. A draft is the serving files
//! with one policy file replaced, loaded in memory under exactly the rules of a reload, and
//! never swapped in.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cedar_policy::{PolicyId, PolicySet};
use serde::Serialize;

use super::load::{line_col, load_sources, LoadError, SourceFile};
use super::PolicyBundle;

/// Where a policy comes from.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyOrigin {
    /// File name within the policies folder, e.g. `grants.cedar`.
    pub file: String,
    /// The line of its `@id` annotation, from 1.
    pub line: usize,
    /// The policy as written, with the `//` comment lines right above it.
    pub text: String,
}

/// One file of the set: its name and text.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyFile {
    /// File name within its folder.
    pub name: String,
    /// Its content.
    pub text: String,
}

/// The files of a bundle and each policy's origin in them.
#[derive(Debug, Default)]
pub(super) struct Sources {
    schema_files: Vec<SourceFile>,
    policy_files: Vec<SourceFile>,
    origins: HashMap<PolicyId, PolicyOrigin>,
}

impl Sources {
    /// Records the files and, for each policy, its origin (`origin`: policy → file index).
    pub(super) fn new(
        schema_files: Vec<SourceFile>,
        policy_files: Vec<SourceFile>,
        policies: &PolicySet,
        origin: &HashMap<PolicyId, usize>,
    ) -> Self {
        let origins = policies
            .policies()
            .filter_map(|policy| {
                let file = &policy_files[*origin.get(policy.id())?];
                Some((policy.id().clone(), locate(policy, file)))
            })
            .collect();
        Sources {
            schema_files,
            policy_files,
            origins,
        }
    }
}

/// The origin of one policy: the line of its `@id` and its text with the comment above.
fn locate(policy: &cedar_policy::Policy, file: &SourceFile) -> PolicyOrigin {
    let marker = format!("@id(\"{}\")", policy.id());
    let line = file
        .text
        .find(&marker)
        .map_or(1, |offset| line_col(&file.text, offset).0);
    let lines: Vec<&str> = file.text.lines().collect();
    let comment: Vec<&str> = lines[..line.saturating_sub(1).min(lines.len())]
        .iter()
        .rev()
        .take_while(|l| l.trim_start().starts_with("//"))
        .copied()
        .collect();
    let mut text: String = comment.iter().rev().map(|l| format!("{l}\n")).collect();
    text.push_str(&policy.to_string());
    PolicyOrigin {
        file: file_name(&file.path),
        line,
        text,
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn listed(files: &[SourceFile]) -> Vec<PolicyFile> {
    files
        .iter()
        .map(|f| PolicyFile {
            name: file_name(&f.path),
            text: f.text.clone(),
        })
        .collect()
}

impl PolicyBundle {
    /// Keeps the files the bundle was loaded from.
    pub(super) fn with_sources(mut self, sources: Sources) -> Self {
        self.sources = Arc::new(sources);
        self
    }

    /// Where the policy `id` is written, and its text.
    pub fn origin(&self, id: &str) -> Option<&PolicyOrigin> {
        self.sources.origins.get(&PolicyId::new(id))
    }

    /// The policy files of the set, in load order.
    pub fn policy_files(&self) -> Vec<PolicyFile> {
        listed(&self.sources.policy_files)
    }

    /// The schema files of the set, in load order.
    pub fn schema_files(&self) -> Vec<PolicyFile> {
        listed(&self.sources.schema_files)
    }

    /// The folder the policy files were read from (its `tests/` holds the policy tests).
    pub fn policies_dir(&self) -> Option<&Path> {
        self.sources.policy_files.first()?.path.parent()
    }

    /// The set with the policy file `name` replaced by `text` (added when no file has that
    /// name), loaded and validated in memory like a reload. Problems name files relative to
    /// the policies folder (`grants.cedar:12:3: …`). Nothing is swapped in or cached.
    pub fn with_policy_file(&self, name: &str, text: &str) -> Result<PolicyBundle, LoadError> {
        let dir = self
            .policies_dir()
            .map_or_else(PathBuf::new, Path::to_path_buf);
        let mut files = self.sources.policy_files.clone();
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
        load_sources(self.sources.schema_files.clone(), files).map_err(|err| LoadError {
            problems: err
                .problems
                .into_iter()
                .map(|p| p.strip_prefix(&prefix).map_or(p.clone(), str::to_owned))
                .collect(),
        })
    }
}
