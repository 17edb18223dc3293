//! Rendering a policy diff: plain text for people, JSON for tools, Markdown for a code-review
//! comment. Every format says the same things: the direction per changed environment with its
//! witnesses, and (with a database) the members gaining or losing each action.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::counterexample::Counterexample;
use super::diff::{Change, PolicyDiff};
use super::impact::Impact;

/// The diff in the chosen format.
pub fn render(diff: &PolicyDiff, format: ReportFormat) -> String {
    match format {
        ReportFormat::Text => text(diff),
        ReportFormat::Json => {
            serde_json::to_string_pretty(&as_json(diff)).unwrap_or_default() + "\n"
        }
        ReportFormat::Markdown => markdown(diff),
    }
}

fn change_words(change: Change) -> &'static str {
    match change {
        Change::Equivalent => "equivalent",
        Change::MorePermissive => "more permissive",
        Change::LessPermissive => "less permissive",
        Change::Both => "more and less permissive",
    }
}

fn headline(diff: &PolicyDiff) -> String {
    format!(
        "{} → {}: {} of {} request environments changed ({:.2} s)",
        diff.old,
        diff.new,
        diff.changed.len(),
        diff.environments,
        diff.elapsed.as_secs_f64()
    )
}

fn text(diff: &PolicyDiff) -> String {
    let mut out = headline(diff) + "\n";
    for env in &diff.changed {
        let _ = writeln!(out, "  {}: {}", env.environment, change_words(env.change));
        for (what, witness) in [
            ("now allowed", &env.newly_allowed),
            ("now denied", &env.newly_denied),
        ] {
            if let Some(w) = witness {
                let _ = writeln!(out, "    {what}, for example:");
                out.push_str(&w.describe("      "));
            }
        }
    }
    if let Some(impact) = &diff.impact {
        out.push_str(&impact_text(impact));
    }
    out
}

fn impact_summary(impact: &Impact) -> String {
    format!(
        "{} memberships in {} shapes, {} shapes change (read in {:.2} s, evaluated in {:.3} s)",
        impact.members,
        impact.shapes,
        impact.changed.len(),
        impact.read_seconds,
        impact.evaluate_seconds
    )
}

fn impact_text(impact: &Impact) -> String {
    let mut out = format!("impact on stored data: {}\n", impact_summary(impact));
    for (action, members) in &impact.gains_by_action {
        let _ = writeln!(out, "  + {action}: {members} members gain it");
    }
    for (action, members) in &impact.losses_by_action {
        let _ = writeln!(out, "  - {action}: {members} members lose it");
    }
    for shape in &impact.changed {
        let _ = writeln!(
            out,
            "  {} members: {} [{}], user {}, account {}{} (e.g. user {} in account {})",
            shape.members,
            shape.role,
            shape.grants.join(", "),
            shape.user_status,
            shape.account_status,
            if shape.expired {
                ", access run out"
            } else {
                ""
            },
            shape.sample_user,
            shape.sample_account
        );
        if !shape.gains.is_empty() {
            let _ = writeln!(out, "      gain: {}", shape.gains.join(", "));
        }
        if !shape.losses.is_empty() {
            let _ = writeln!(out, "      lose: {}", shape.losses.join(", "));
        }
    }
    out
}

fn witness_json(witness: &Option<Counterexample>) -> Value {
    witness.as_ref().map_or(Value::Null, |w| {
        json!({"request": w.request, "entities": w.entities, "new_decision": w.decision, "new_reasons": w.reasons})
    })
}

fn as_json(diff: &PolicyDiff) -> Value {
    let environments: Vec<Value> = diff
        .changed
        .iter()
        .map(|env| {
            json!({
                "environment": env.environment,
                "change": env.change,
                "newly_allowed": witness_json(&env.newly_allowed),
                "newly_denied": witness_json(&env.newly_denied),
            })
        })
        .collect();
    json!({
        "old": diff.old,
        "new": diff.new,
        "environments": diff.environments,
        "equivalent": diff.changed.is_empty(),
        "changed": environments,
        "seconds": diff.elapsed.as_secs_f64(),
        "impact": diff.impact,
    })
}

fn markdown(diff: &PolicyDiff) -> String {
    let mut out = format!("### Policy diff\n\n{}\n\n", headline(diff));
    if !diff.changed.is_empty() {
        out.push_str("| request environment | change | example now allowed | example now denied |\n|---|---|---|---|\n");
        for env in &diff.changed {
            let example = |w: &Option<Counterexample>| {
                w.as_ref().map_or("—".to_owned(), |w| {
                    format!(
                        "`{}` → `{}` on `{}`",
                        w.request["principal"].as_str().unwrap_or("?"),
                        w.request["action"].as_str().unwrap_or("?"),
                        w.request["resource"].as_str().unwrap_or("?")
                    )
                })
            };
            let _ = writeln!(
                out,
                "| `{}` | **{}** | {} | {} |",
                env.environment,
                change_words(env.change),
                example(&env.newly_allowed),
                example(&env.newly_denied)
            );
        }
        out.push_str("\n<details><summary>Witnesses (request and entities)</summary>\n\n```\n");
        out.push_str(&text(&PolicyDiff {
            impact: None,
            old: diff.old.clone(),
            new: diff.new.clone(),
            environments: diff.environments,
            changed: diff.changed.clone(),
            elapsed: diff.elapsed,
        }));
        out.push_str("```\n</details>\n");
    }
    if let Some(impact) = &diff.impact {
        let _ = write!(
            out,
            "\n#### Impact on stored data\n\n{}.\n\n",
            impact_summary(impact)
        );
        if !impact.changed.is_empty() {
            out.push_str("| members | role | grants | user | account | gain | lose | sample |\n|---:|---|---|---|---|---|---|---|\n");
            for s in &impact.changed {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} | `{}` in `{}` |",
                    s.members,
                    s.role,
                    s.grants.join(", "),
                    s.user_status,
                    s.account_status,
                    s.gains.join(", "),
                    s.losses.join(", "),
                    s.sample_user,
                    s.sample_account
                );
            }
        }
    }
    out
}

/// How `portier diff` and `portier verify` print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Lines for people.
    Text,
    /// One JSON document.
    Json,
    /// A Markdown comment.
    Markdown,
}
