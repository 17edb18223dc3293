//! The coverage table as people and reviews read it: one row per action and principal type
//! (principal types no invariant bounds anywhere are summed up once, not repeated per action),
//! an invariant that bounds only some of the action's resource types followed by them in
//! brackets, and the unbound actions and principal types at the end. JSON is [`Coverage`]'s
//! own serialization.

use std::fmt::Write as _;

use super::{ActionCoverage, Coverage, EnvironmentCoverage};

impl ActionCoverage {
    /// Per principal type (those some invariant bounds anywhere), the invariants bounding
    /// this action, each followed by `[resource types]` when it bounds only some of them.
    fn rows<'a>(&'a self, unbound: &'a [String]) -> Vec<(&'a str, Vec<String>)> {
        let mut by_principal: Vec<(&str, Vec<&EnvironmentCoverage>)> = Vec::new();
        for env in &self.environments {
            match by_principal.iter_mut().find(|(p, _)| *p == env.principal) {
                Some((_, envs)) => envs.push(env),
                None => by_principal.push((&env.principal, vec![env])),
            }
        }
        by_principal
            .into_iter()
            .filter(|(p, _)| !unbound.iter().any(|u| u == p))
            .map(|(principal, envs)| {
                let mut ids: Vec<&String> = envs.iter().flat_map(|e| &e.invariants).collect();
                ids.sort();
                ids.dedup();
                let named = ids.into_iter().map(|id| {
                    let only: Vec<&str> = envs
                        .iter()
                        .filter(|e| e.invariants.contains(id))
                        .map(|e| e.resource.as_str())
                        .collect();
                    match only.len() == envs.len() {
                        true => id.clone(),
                        false => format!("{id} [{}]", only.join(", ")),
                    }
                });
                (principal, named.collect())
            })
            .collect()
    }
}

fn list_or_none(items: &[String], quote: &str) -> String {
    match items.is_empty() {
        true => "none".to_owned(),
        false => items
            .iter()
            .map(|i| format!("{quote}{i}{quote}"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

impl Coverage {
    /// The table for people: one line per action and principal type.
    pub fn text(&self) -> String {
        let width = self
            .actions
            .iter()
            .map(|a| a.action.len())
            .max()
            .unwrap_or(0);
        let mut out =
            "coverage: the invariants whose scope can match each action, per principal type\n"
                .to_owned();
        for action in &self.actions {
            let rows = action.rows(&self.unbound_principals);
            if action.invariants.is_empty() || rows.is_empty() {
                let _ = writeln!(
                    out,
                    "  {:width$}  UNBOUND: no invariant's scope matches it",
                    action.action
                );
                continue;
            }
            let pw = rows.iter().map(|(p, _)| p.len()).max().unwrap_or(0);
            for (n, (principal, ids)) in rows.iter().enumerate() {
                let name = if n == 0 { action.action.as_str() } else { "" };
                let shown = if ids.is_empty() {
                    "—".to_owned()
                } else {
                    ids.join(", ")
                };
                let _ = writeln!(out, "  {name:width$}  {principal:pw$}  {shown}");
            }
        }
        let _ = writeln!(
            out,
            "actions no invariant bounds: {}",
            list_or_none(&self.unbound_actions, "")
        );
        let _ = writeln!(
            out,
            "principal types no invariant bounds: {}",
            list_or_none(&self.unbound_principals, "")
        );
        out
    }

    /// The same table in Markdown.
    pub fn markdown(&self) -> String {
        let mut out = "#### Coverage\n\nThe invariants whose scope can match each action, per principal type.\n\n| action | principal | bounded by |\n|---|---|---|\n".to_owned();
        for action in &self.actions {
            let rows = action.rows(&self.unbound_principals);
            if action.invariants.is_empty() || rows.is_empty() {
                let _ = writeln!(out, "| `{}` | — | **unbound** |", action.action);
                continue;
            }
            for (principal, ids) in rows {
                let shown: Vec<String> = ids.iter().map(|i| format!("`{i}`")).collect();
                let shown = if shown.is_empty() {
                    "**none**".to_owned()
                } else {
                    shown.join(", ")
                };
                let _ = writeln!(out, "| `{}` | `{principal}` | {shown} |", action.action);
            }
        }
        let _ = write!(
            out,
            "\nActions no invariant bounds: {}. Principal types no invariant bounds: {}.\n",
            list_or_none(&self.unbound_actions, "`"),
            list_or_none(&self.unbound_principals, "`")
        );
        out
    }
}
