//! Why a permit did not apply: a permit is split into its scope (principal, action and
//! resource constraints) and its conditions — each top-level `&&` conjunct of a `when`, and
//! each `unless` whole — and each part is evaluated alone, as a policy of its own, over the
//! same request and entities. A part that evaluates to false (or fails) is one the facts did
//! not meet. The split is done on the policy's JSON form, so it follows Cedar's own parse.

use cedar_policy::{Authorizer, Decision, Effect, Entities, Policy, PolicySet, Request};
use serde::Serialize;
use serde_json::{json, Value};

use crate::authz::PolicyBundle;

/// One part of a permit and whether the facts met it.
#[derive(Debug, Clone, Serialize)]
pub struct Condition {
    /// `scope`, `when` or `unless`.
    pub kind: &'static str,
    /// The part in Cedar syntax.
    pub text: String,
    /// Whether it held for this request.
    pub met: bool,
    /// Cedar's message when it could not be evaluated (counts as not met).
    pub error: Option<String>,
}

/// A permit that applies to the action, and its parts.
#[derive(Debug, Clone, Serialize)]
pub struct PermitParts {
    /// The policy id.
    pub id: String,
    /// Every part, scope first.
    pub conditions: Vec<Condition>,
}

/// Every permit whose action scope covers the request's action, split and evaluated.
pub fn permits_for(
    bundle: &PolicyBundle,
    request: &Request,
    entities: &Entities,
) -> Vec<PermitParts> {
    let Some(action) = request.action() else {
        return Vec::new();
    };
    let mut permits: Vec<PermitParts> = bundle
        .policies_for(action)
        .policies()
        .filter(|p| p.effect() == Effect::Permit)
        .filter_map(|p| {
            Some(PermitParts {
                id: p.id().to_string(),
                conditions: parts(p.to_json().ok()?, request, entities),
            })
        })
        .collect();
    permits.sort_by(|a, b| a.id.cmp(&b.id));
    permits
}

fn parts(policy: Value, request: &Request, entities: &Entities) -> Vec<Condition> {
    let mut scope = policy.clone();
    scope["conditions"] = json!([]);
    scope["annotations"] = json!({});
    let mut found = vec![evaluate("scope", scope, request, entities)];
    let conditions = policy["conditions"].as_array().cloned().unwrap_or_default();
    for condition in conditions {
        let body = condition["body"].clone();
        let (kind, bodies) = match condition["kind"].as_str() {
            Some("when") => ("when", conjuncts(body)),
            _ => ("unless", vec![body]),
        };
        for body in bodies {
            let alone = json!({
                "effect": "permit",
                "principal": {"op": "All"},
                "action": {"op": "All"},
                "resource": {"op": "All"},
                "conditions": [{"kind": kind, "body": body}],
            });
            found.push(evaluate(kind, alone, request, entities));
        }
    }
    found
}

/// The top-level `&&` conjuncts of an expression, left to right.
fn conjuncts(expr: Value) -> Vec<Value> {
    match expr.get("&&") {
        Some(and) => {
            let mut left = conjuncts(and["left"].clone());
            left.extend(conjuncts(and["right"].clone()));
            left
        }
        None => vec![expr],
    }
}

/// Evaluates one part as a policy of its own: met when that policy alone allows.
fn evaluate(
    kind: &'static str,
    policy: Value,
    request: &Request,
    entities: &Entities,
) -> Condition {
    let policy = match Policy::from_json(None, policy) {
        Ok(policy) => policy,
        Err(e) => {
            return Condition {
                kind,
                text: String::new(),
                met: false,
                error: Some(e.to_string()),
            }
        }
    };
    let text = part_text(kind, &policy.to_string());
    let set = match PolicySet::from_policies([policy]) {
        Ok(set) => set,
        Err(e) => {
            return Condition {
                kind,
                text,
                met: false,
                error: Some(e.to_string()),
            }
        }
    };
    let response = Authorizer::new().is_authorized(request, &set, entities);
    let error = response
        .diagnostics()
        .errors()
        .next()
        .map(|e| e.to_string());
    Condition {
        kind,
        text,
        met: response.decision() == Decision::Allow,
        error,
    }
}

/// The readable part of a one-part policy: the scope's `(…)`, or the condition's `{…}`.
fn part_text(kind: &str, policy: &str) -> String {
    let inner = if kind == "scope" {
        policy
            .find('(')
            .zip(policy.rfind(')'))
            .map(|(open, close)| &policy[open + 1..close])
    } else {
        policy
            .find('{')
            .zip(policy.rfind('}'))
            .map(|(open, close)| &policy[open + 1..close])
    };
    let text = inner.unwrap_or(policy);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conjuncts_split_only_the_top_level_and() {
        let policy: Policy = r#"permit(principal, action, resource) when { (1 == 1 && 2 == 2) && (3 == 3 || 4 == 4) };"#
            .parse()
            .unwrap();
        let json = policy.to_json().unwrap();
        let parts = conjuncts(json["conditions"][0]["body"].clone());
        assert_eq!(parts.len(), 3);
        assert!(parts[2].get("||").is_some());
    }

    #[test]
    fn part_text_reads_the_condition_or_the_scope() {
        let policy = "permit(\n  principal is User,\n  action,\n  resource\n) when {\n  principal.active\n};";
        assert_eq!(part_text("when", policy), "principal.active");
        assert_eq!(
            part_text("scope", policy),
            "principal is User, action, resource"
        );
    }
}
