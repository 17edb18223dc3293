//! Evaluating one request against the bundle: Cedar's answer, plus Portier's fail-closed rule.

use serde::{Deserialize, Serialize};

use cedar_policy::{AuthorizationError, Authorizer, Decision, Entities, Request};

use super::PolicyBundle;

/// The outcome of one evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Verdict {
    /// Whether the action is allowed.
    pub allow: bool,
    /// Ids of the policies that decided: the permits behind an allow, the forbids behind a deny.
    pub reasons: Vec<String>,
    /// Policies that failed to evaluate, with Cedar's message.
    pub errors: Vec<String>,
}

impl Verdict {
    /// A deny decided before Cedar runs (unknown principal or account): no policy involved.
    pub fn deny_unknown() -> Self {
        Verdict {
            allow: false,
            reasons: Vec::new(),
            errors: Vec::new(),
        }
    }
}

impl PolicyBundle {
    /// Evaluates every policy. Cedar skips a policy that errors; when a skipped one is a
    /// `forbid`, an allow would rest on a rule that could not be checked, so the answer
    /// becomes deny with that forbid as the reason.
    pub fn evaluate(&self, request: &Request, entities: &Entities) -> Verdict {
        let policies = self.policies_for_request(request);
        let response = Authorizer::new().is_authorized(request, policies, entities);
        let diagnostics = response.diagnostics();
        let errors: Vec<String> = diagnostics.errors().map(ToString::to_string).collect();
        let mut failed_forbids: Vec<String> = diagnostics
            .errors()
            .map(|e| match e {
                AuthorizationError::PolicyEvaluationError(e) => e.policy_id(),
            })
            .filter(|id| self.is_forbid(id))
            .map(ToString::to_string)
            .collect();
        if response.decision() == Decision::Allow && !failed_forbids.is_empty() {
            failed_forbids.sort();
            return Verdict {
                allow: false,
                reasons: failed_forbids,
                errors,
            };
        }
        let mut reasons: Vec<String> = diagnostics.reason().map(ToString::to_string).collect();
        reasons.sort();
        Verdict {
            allow: response.decision() == Decision::Allow,
            reasons,
            errors,
        }
    }
}
