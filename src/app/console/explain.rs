//! `POST /v1/console/explain`: one check, explained. The body is a check's
//! (`principal`, `action`, `resource`, `account`, `context`); the answer is the decision of
//! the check pipeline (fresh), each deciding policy with its text and `file:line`, the
//! entities Portier built for the evaluation (Cedar's JSON entity format), and — for a deny
//! no policy decided — every permit that covers the action with the conditions the facts
//! did not meet.

use cedar_policy::{Effect, PolicyId};
use serde::Serialize;
use serde_json::Value;

use super::conditions::{permits_for, PermitParts};
use super::staff_only;
use crate::app::check::{Api, Decision};
use crate::app::App;
use crate::authz::{build_entities, CheckBody, CheckRequest, Consistency, PolicyBundle};
use crate::domain::Actor;
use crate::domain::CheckFacts;
use crate::error::{Error, Result};

/// A policy named in an explanation.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyShown {
    /// Its `@id`.
    pub id: String,
    /// `permit` or `forbid`.
    pub effect: &'static str,
    /// File name in the policies folder.
    pub file: String,
    /// Line of its `@id`.
    pub line: usize,
    /// Its text, with the comment above it.
    pub text: String,
}

/// A permit that covers the action but did not apply, and why.
#[derive(Debug, Clone, Serialize)]
pub struct MissedPermit {
    /// Where it is and what it says.
    pub policy: PolicyShown,
    /// Its scope and conditions, each marked met or not.
    pub conditions: Vec<super::conditions::Condition>,
}

/// The answer of `POST /v1/console/explain`.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The decision, exactly as `/v1/check` gives it.
    pub decision: Decision,
    /// The deciding policies.
    pub deciding: Vec<PolicyShown>,
    /// The entities the evaluation used, in Cedar's JSON entity format.
    pub entities: Value,
    /// For a deny no policy decided: the permits covering the action, and their conditions.
    pub permits: Vec<MissedPermit>,
    /// When Portier denied before evaluating (unknown user, account or resource), why.
    pub note: Option<String>,
}

/// `POST /v1/console/explain`: staff only; a malformed check is a `400` naming its field.
pub async fn explain(app: &App, actor: &Actor, body: CheckBody) -> Result<Explanation> {
    staff_only(actor)?;
    let bundle = app.bundle();
    let mut request = bundle.parse_check(body)?;
    request.consistency = Consistency::Fresh;
    let decision = app
        .checker()
        .decide(&bundle, &request, Api::ConsoleExplain)
        .await?;
    let facts = app.checker().facts(&bundle, &request).await?;
    let deciding = decision
        .reasons
        .iter()
        .map(|id| shown(&bundle, id))
        .collect();
    let note = crate::authz::unknown(&request, &facts).map(|why| why.to_string());
    let (entities, permits) = match note {
        Some(_) => (Value::Array(Vec::new()), Vec::new()),
        None => evaluated(&bundle, &request, &facts, &decision)?,
    };
    Ok(Explanation {
        decision,
        deciding,
        entities,
        permits,
        note,
    })
}

/// The entities built for the request, and the missed permits when no policy decided a deny.
fn evaluated(
    bundle: &PolicyBundle,
    request: &CheckRequest,
    facts: &CheckFacts,
    decision: &Decision,
) -> Result<(Value, Vec<MissedPermit>)> {
    let entities = build_entities(bundle, request, facts)?;
    let json = entities
        .to_json_value()
        .map_err(|e| Error::Internal(anyhow::anyhow!("entities as JSON: {e}")))?;
    if decision.is_allow() || !decision.reasons.is_empty() {
        return Ok((json, Vec::new()));
    }
    let cedar_request = request.to_cedar()?;
    let permits = permits_for(bundle, &cedar_request, &entities)
        .into_iter()
        .map(|PermitParts { id, conditions }| MissedPermit {
            policy: shown(bundle, &id),
            conditions,
        })
        .collect();
    Ok((json, permits))
}

/// A policy of the bundle, with where it is written.
fn shown(bundle: &PolicyBundle, id: &str) -> PolicyShown {
    let policy = bundle.policies().policy(&PolicyId::new(id));
    let effect = match policy.map(|p| p.effect()) {
        Some(Effect::Forbid) => "forbid",
        _ => "permit",
    };
    let origin = bundle.origin(id);
    PolicyShown {
        id: id.to_owned(),
        effect,
        file: origin.map(|o| o.file.clone()).unwrap_or_default(),
        line: origin.map_or(0, |o| o.line),
        text: origin.map(|o| o.text.clone()).unwrap_or_default(),
    }
}
