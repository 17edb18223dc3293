//! The authorization of management calls: the acting principal doing a management action
//! on a [`Target`], always fresh, never cached, logged like every decision. An allow carries
//! the facts it rested on, which the write re-reads under lock ([`Authorized`]).

use std::time::Instant;

use cedar_policy::Context;

use super::{log, lookup, new_decision_id, uid, Api, Checker};
use crate::authz::request::Principal;
use crate::authz::{CheckRequest, Consistency, PolicyBundle};
#[cfg(doc)]
use crate::domain::Session;
use crate::domain::{AccountId, Actor, ContactId, InvitationId, ServiceId, UserId};
use crate::error::{Error, Result};
use crate::store::{Authorized, Basis};
use crate::telemetry;

impl Checker {
    /// Authorizes a management call: `actor` doing `action` on `target`. Never cached.
    /// A deny is a `403` naming the deciding policies; an allow carries the facts it rested
    /// on, which the write re-reads under lock (see [`Authorized`]).
    pub async fn authorize(
        &self,
        actor: &Actor,
        action: &str,
        target: Target<'_>,
    ) -> Result<Authorized> {
        self.authorize_with(actor, action, target, serde_json::json!({}))
            .await
    }

    /// [`Checker::authorize`] with a context for the policies (what is asked for, such as the
    /// grants of a new API key), typed by the action's context in the schema.
    pub async fn authorize_with(
        &self,
        actor: &Actor,
        action: &str,
        target: Target<'_>,
        context: serde_json::Value,
    ) -> Result<Authorized> {
        let bundle = self.bundle();
        let request = management_check(&bundle, actor, action, target, context)?;
        let facts = self.facts(&bundle, &request).await?;
        self.decide_management(&bundle, actor, action, request, facts)
    }

    /// What the policies would answer `actor` doing `action` on `target` once `change` is
    /// applied to the facts read now: a what-if, neither logged nor cached (a write uses it
    /// to refuse a change that would lock out the very call making it).
    pub async fn what_if(
        &self,
        actor: &Actor,
        action: &str,
        target: Target<'_>,
        change: impl FnOnce(&mut crate::domain::CheckFacts),
    ) -> Result<crate::authz::Verdict> {
        let bundle = self.bundle();
        let request = management_check(&bundle, actor, action, target, serde_json::json!({}))?;
        let mut facts = self.facts(&bundle, &request).await?;
        change(&mut facts);
        bundle.evaluate_facts(&request, &facts)
    }

    /// Decides a management check over the facts read for it: a deny is a `403` naming the
    /// deciding policies, an allow carries the facts.
    fn decide_management(
        &self,
        bundle: &PolicyBundle,
        actor: &Actor,
        action: &str,
        request: CheckRequest,
        facts: crate::domain::CheckFacts,
    ) -> Result<Authorized> {
        let started = Instant::now();
        let verdict = bundle.evaluate_facts(&request, &facts)?;
        telemetry::policy_errors(verdict.errors.len());
        telemetry::check_decided(verdict.allow, false, started.elapsed());
        if log::enabled() {
            let decision_id = new_decision_id();
            log::Event {
                api: Api::Management,
                decision_id: &decision_id,
                principal: &request.principal_uid,
                action: &log::ActionId(&request.action),
                resource: &request.resource,
                account: &log::account(&request),
                allow: verdict.allow,
                reasons: &verdict.reasons,
                cached: false,
                latency: started.elapsed(),
                policy_revision: bundle.revision(),
                evaluated: 1,
            }
            .write();
        }
        if !verdict.allow {
            return Err(Error::forbidden(action, verdict.reasons));
        }
        let basis = match actor {
            Actor::User(id, _) => Some(Basis::new(
                id.clone(),
                request.account.clone(),
                lookup(bundle, &request),
                facts,
            )),
            // An agent's consent is the account's fact, re-read by the guard's account lock.
            Actor::Agent(..) | Actor::Staff | Actor::Portier => None,
        };
        Ok(Authorized::new(actor.clone(), basis))
    }
}

/// The check behind a management call: `actor` doing `action` on `target`, always fresh,
/// with the acting person's session ([`Session`]) in the context beside `context`.
fn management_check(
    bundle: &PolicyBundle,
    actor: &Actor,
    action: &str,
    target: Target<'_>,
    context: serde_json::Value,
) -> Result<CheckRequest> {
    let mut request = management_request(bundle, actor, action, target)?;
    let mut context = match context {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    if let Actor::User(_, session) | Actor::Agent(_, session) = actor {
        context.extend(session.context());
    }
    if !context.is_empty() {
        let context = serde_json::Value::Object(context);
        request.context = bundle.parse_context(&context, &request.action, &request.resource)?;
        request.context_json = context;
    }
    Ok(request)
}

/// The check of `actor` doing `action` on `target`, with an empty context.
fn management_request(
    bundle: &PolicyBundle,
    actor: &Actor,
    action: &str,
    target: Target<'_>,
) -> Result<CheckRequest> {
    let types = bundle.types();
    let (resource, account) = match target {
        Target::User(id) => (uid(&types.user, id.as_str()), None),
        Target::Staff => (uid(&types.staff, "staff"), None),
        Target::Account(id) => (uid(&types.account, id.as_str()), Some(id)),
        Target::Service(account, id) => (uid(&types.service, id.as_str()), Some(account)),
        Target::Invitation(account, id) => (uid(&types.invitation, id.as_str()), Some(account)),
        Target::Contact(account, id) => (uid(&types.contact, id.as_str()), Some(account)),
    };
    let (action_uid, _) = bundle
        .action(action)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("the schema lacks the action {action}")))?;
    let (principal, principal_uid) = match actor {
        Actor::User(id, _) => (Principal::User(id.clone()), uid(&types.user, id.as_str())),
        Actor::Agent(id, _) => (Principal::Agent(id.clone()), uid(&types.agent, id.as_str())),
        Actor::Staff => (Principal::Staff, uid(&types.staff, "staff")),
        Actor::Portier => (Principal::NotAUser, uid(&types.staff, "portier")),
    };
    Ok(CheckRequest {
        principal,
        principal_uid,
        action: action_uid.clone(),
        resource,
        account: account.cloned(),
        context: Context::empty(),
        context_json: serde_json::json!({}),
        supplied: Vec::new(),
        supplied_json: Vec::new(),
        consistency: Consistency::Fresh,
    })
}

/// What a management call acts on.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// A user's own record.
    User(&'a UserId),
    /// The hosting company's staff (its agents).
    Staff,
    /// An account (and user management within it).
    Account(&'a AccountId),
    /// A service of an account.
    Service(&'a AccountId, &'a ServiceId),
    /// An invitation to an account.
    Invitation(&'a AccountId, &'a InvitationId),
    /// A contact of an account.
    Contact(&'a AccountId, &'a ContactId),
}
