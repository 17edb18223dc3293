//! The text a policy set was loaded from, kept with the set: where each policy starts
//! (`file:line`) and its source text, for explaining a decision; and the files themselves,
//! for showing the set that serves and for previewing a draft. A draft is the serving files
//! with one policy file replaced, loaded in memory under exactly the rules of a reload, and
//! never swapped in.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use cedar_policy::{PolicyId, PolicySet};
use serde::Serialize;

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
    pub(super) schema_files: Vec<SourceFile>,
    pub(super) policy_files: Vec<SourceFile>,
    /// `roles.json`, when the folder has one.
    pub(super) presets_file: Option<SourceFile>,
    origins: HashMap<PolicyId, PolicyOrigin>,
}

impl Sources {
    /// Records the files and, for each policy, its origin (`origin`: policy → file index).
    pub(super) fn new(
        schema_files: Vec<SourceFile>,
        policy_files: Vec<SourceFile>,
        presets_file: Option<SourceFile>,
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
            presets_file,
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

/// The last component of a path, as text.
pub(super) fn file_name(path: &Path) -> String {
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

/// Where the policy `id` is written, and its text.
pub(super) fn origin<'a>(bundle: &'a PolicyBundle, id: &str) -> Option<&'a PolicyOrigin> {
    bundle.sources.origins.get(&PolicyId::new(id))
}

/// The policy files of the set, in load order.
pub(super) fn policy_files(bundle: &PolicyBundle) -> Vec<PolicyFile> {
    listed(&bundle.sources.policy_files)
}

/// The schema files of the set, in load order.
pub(super) fn schema_files(bundle: &PolicyBundle) -> Vec<PolicyFile> {
    listed(&bundle.sources.schema_files)
}

/// The folder the policy files were read from (its `tests/` holds the policy tests).
pub(super) fn policies_dir(bundle: &PolicyBundle) -> Option<&Path> {
    bundle.sources.policy_files.first()?.path.parent()
}

/// A source file: its path and text.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

/// The line and column (from 1) of a byte offset in `text`.
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1)
        + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::line_col;

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }
}
