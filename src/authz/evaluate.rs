//! Evaluating one request against the bundle: Cedar's answer, plus Portier's fail-closed
//! rules. [`PolicyBundle::evaluate_facts`] is the one way from a check and the store's facts
//! to a verdict (deny what is unknown, build the entities, ask Cedar): the check pipeline,
//! the console's explanation and matrix, and the impact of a policy diff all go through it,
//! so none of them can answer differently from `/v1/check`.

use std::fmt;

use serde::{Deserialize, Serialize};

use cedar_policy::{AuthorizationError, Authorizer, Decision, Entities, Request};

use super::request::{CheckRequest, Principal};
use super::{build_entities, PolicyBundle};
use crate::domain::CheckFacts;
use crate::error::Result;

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

/// Why a check is denied before Cedar runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknown {
    /// The principal is not a user (a contact, say): only users are allowed anything.
    NotAUser,
    /// The user is not one the store knows.
    User,
    /// The API key is not one the store knows, or its creator is not.
    ApiKey,
    /// The agent is not one the store knows.
    Agent,
    /// The request names an account the store does not know.
    Account,
    /// The resource is one the store keeps (invitation, contact) and it is not there.
    Resource,
}

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unknown::NotAUser => "only users, API keys and agents are ever allowed anything",
            Unknown::User => "the principal is not a user Portier knows",
            Unknown::ApiKey => "the principal is not an API key Portier knows (with its creator)",
            Unknown::Agent => "the principal is not an agent Portier knows",
            Unknown::Account => "the account is not one Portier knows",
            Unknown::Resource => {
                "the resource is not an open one of this account in Portier's store"
            }
        })
    }
}

/// What of `request` the store does not know, if anything: such a check is denied without
/// evaluating. Staff is always evaluated (it creates accounts that do not exist yet).
pub fn unknown(request: &CheckRequest, facts: &CheckFacts) -> Option<Unknown> {
    match request.principal {
        Principal::Staff => None,
        Principal::NotAUser => Some(Unknown::NotAUser),
        Principal::User(_) if facts.user.is_none() => Some(Unknown::User),
        Principal::ApiKey(_) if facts.api_key.is_none() || facts.user.is_none() => {
            Some(Unknown::ApiKey)
        }
        Principal::Agent(_) if facts.agent.is_none() => Some(Unknown::Agent),
        Principal::User(_) | Principal::ApiKey(_) | Principal::Agent(_)
            if request.account.is_some() && facts.account.is_none() =>
        {
            Some(Unknown::Account)
        }
        Principal::User(_) | Principal::ApiKey(_) | Principal::Agent(_)
            if !facts.resource_found =>
        {
            Some(Unknown::Resource)
        }
        Principal::User(_) | Principal::ApiKey(_) | Principal::Agent(_) => None,
    }
}

/// Decides `request` over the store's `facts`: a deny when something is [`unknown`],
/// else Cedar's answer over the entities [`build_entities`] makes of the facts.
pub(super) fn evaluate_facts(
    bundle: &PolicyBundle,
    request: &CheckRequest,
    facts: &CheckFacts,
) -> Result<Verdict> {
    if unknown(request, facts).is_some() {
        return Ok(Verdict::deny_unknown());
    }
    let entities = build_entities(bundle, request, facts)?;
    Ok(bundle.evaluate(&request.to_cedar()?, &entities))
}

/// Evaluates every policy. Cedar skips a policy that errors; when a skipped one is a
/// `forbid`, an allow would rest on a rule that could not be checked, so the answer
/// becomes deny with that forbid as the reason.
pub(super) fn evaluate(bundle: &PolicyBundle, request: &Request, entities: &Entities) -> Verdict {
    let policies = bundle.policies_for_request(request);
    let response = Authorizer::new().is_authorized(request, policies, entities);
    let diagnostics = response.diagnostics();
    let errors: Vec<String> = diagnostics.errors().map(ToString::to_string).collect();
    let mut failed_forbids: Vec<String> = diagnostics
        .errors()
        .map(|e| match e {
            AuthorizationError::PolicyEvaluationError(e) => e.policy_id(),
        })
        .filter(|id| bundle.is_forbid(id))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::fixtures::bill_pays;
    use crate::domain::{AccountFacts, MembershipFacts, UserFacts};

    fn billing(expired: bool) -> CheckFacts {
        let membership = MembershipFacts::new(
            false,
            "member",
            vec!["billing".into()],
            &[],
            &crate::domain::Roles::new(),
            expired,
        );
        CheckFacts {
            user: Some(UserFacts::new("active", String::new(), Some(membership))),
            account: Some(AccountFacts::new("active", "none", "[]")),
            resource_found: true,
            ..CheckFacts::default()
        }
    }

    #[test]
    fn what_the_store_does_not_know_is_denied_before_cedar() {
        let (bundle, request) = bill_pays();
        assert_eq!(unknown(&request, &billing(false)), None);
        let no_user = CheckFacts {
            user: None,
            ..billing(false)
        };
        let no_account = CheckFacts {
            account: None,
            ..billing(false)
        };
        let no_resource = CheckFacts {
            resource_found: false,
            ..billing(false)
        };
        assert_eq!(unknown(&request, &no_user), Some(Unknown::User));
        assert_eq!(unknown(&request, &no_account), Some(Unknown::Account));
        assert_eq!(unknown(&request, &no_resource), Some(Unknown::Resource));
        let denied = bundle.evaluate_facts(&request, &no_account).unwrap();
        assert_eq!(denied, Verdict::deny_unknown());
    }

    #[test]
    fn an_expired_membership_pays_nothing_and_an_active_one_pays() {
        let (bundle, request) = bill_pays();
        assert!(
            bundle
                .evaluate_facts(&request, &billing(false))
                .unwrap()
                .allow
        );
        assert!(
            !bundle
                .evaluate_facts(&request, &billing(true))
                .unwrap()
                .allow
        );
    }
}
