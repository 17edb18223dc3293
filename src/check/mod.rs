//! The check pipeline, shared by the HTTP routes, the management routes' own authorization
//! and `portier check`: cache → store → entities → Cedar → cache.
//!
//! Fail closed: a store error is an error (503/500), never a decision; an unknown principal
//! or account is a deny; a forbid that failed to evaluate turns an allow into a deny.
//!
//! A cached check reads the data revisions (with the cached decision, in one round trip),
//! then the facts from the facts cache kept under those revisions (`facts`), then the verdict
//! remembered over those facts when the resource id cannot matter; only what is missing is
//! read from the store or evaluated. A fresh check reads the store every time, and reuses
//! only a verdict remembered over facts identical to the ones it read.
//!
//! Every entry point below takes the [`Api`] that asks and writes the decision log ([`log`])
//! itself, so no caller logs a decision and none is logged twice.

mod facts;
pub mod log;
mod upkeep;

use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;
use cedar_policy::{Context, EntityId, EntityTypeName, EntityUid};
use serde::Serialize;

use crate::authz::request::Principal;
use crate::authz::{CheckBody, CheckRequest, Consistency, PolicyBundle, Verdict};
use crate::cache::{CacheKey, Cached, DecisionCache, FactsCache, Subjects};
use crate::domain::{AccountId, Actor, ContactId, InvitationId, ServiceId, UserId};
use crate::error::{Error, Result};
use crate::store::{Authorized, Basis, CheckFacts, ResourceLookup, Store};
use crate::telemetry;

pub use log::Api;

/// A decision as the API returns it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Decision {
    /// `allow` or `deny`.
    pub decision: &'static str,
    /// Ids of the deciding policies.
    pub reasons: Vec<String>,
    /// Policies that failed to evaluate.
    pub errors: Vec<String>,
    /// Unique per answer, for correlating with the decision log.
    pub decision_id: String,
    /// The policy set that decided.
    pub policy_revision: String,
    /// Whether the answer came from the cache.
    pub cached: bool,
}

impl Decision {
    fn new(verdict: &Verdict, policy_revision: &str, cached: bool) -> Self {
        Decision {
            decision: if verdict.allow { "allow" } else { "deny" },
            reasons: verdict.reasons.clone(),
            errors: verdict.errors.clone(),
            decision_id: new_decision_id(),
            policy_revision: policy_revision.to_owned(),
            cached,
        }
    }

    /// Whether the decision is allow.
    pub fn is_allow(&self) -> bool {
        self.decision == "allow"
    }
}

/// A new decision id: a UUID (version 7, so ids sort by time), written without the
/// formatting machinery.
fn new_decision_id() -> String {
    let mut text = uuid::Uuid::encode_buffer();
    uuid::Uuid::now_v7()
        .hyphenated()
        .encode_lower(&mut text)
        .to_owned()
}

/// Decides checks. Cheap to clone.
#[derive(Clone)]
pub struct Checker {
    store: Store,
    cache: DecisionCache,
    facts: FactsCache,
    policies: Arc<ArcSwap<PolicyBundle>>,
}

impl Checker {
    /// A checker over a store, a cache and the current policy set.
    pub fn new(store: Store, cache: DecisionCache, policies: Arc<ArcSwap<PolicyBundle>>) -> Self {
        Checker {
            store,
            cache,
            facts: FactsCache::default(),
            policies,
        }
    }

    /// The same checker with a facts cache of its own (a byte budget other than the default).
    pub fn with_facts_cache(mut self, facts: FactsCache) -> Self {
        self.facts = facts;
        self
    }

    /// The policy set in force now. Hold the returned `Arc` for a whole request, so a reload
    /// in between never mixes two sets.
    pub fn bundle(&self) -> Arc<PolicyBundle> {
        self.policies.load_full()
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The decision cache.
    pub fn cache(&self) -> &DecisionCache {
        &self.cache
    }

    /// Parses and decides a portal's check, logged as asked by `api` (the latency counts the
    /// parsing).
    pub async fn check(&self, body: CheckBody, api: Api) -> Result<Decision> {
        let started = Instant::now();
        let bundle = self.bundle();
        let request = bundle.parse_check(body)?;
        self.decide_logged(&bundle, &request, api, started).await
    }

    /// Decides a parsed check: one decision-log event for `api`.
    pub async fn decide(
        &self,
        bundle: &PolicyBundle,
        request: &CheckRequest,
        api: Api,
    ) -> Result<Decision> {
        self.decide_logged(bundle, request, api, Instant::now())
            .await
    }

    async fn decide_logged(
        &self,
        bundle: &PolicyBundle,
        request: &CheckRequest,
        api: Api,
        started: Instant,
    ) -> Result<Decision> {
        let decision = self.decide_unlogged(bundle, request, started).await?;
        log::decided(api, request, &decision, started.elapsed());
        Ok(decision)
    }

    /// Decides candidates of a search (concurrently, the store reads overlapping): `true`
    /// where allowed, and one decision-log event for the whole search. Any failure fails the
    /// search: a partial list is never passed off as the answer.
    pub async fn sift(
        &self,
        bundle: &PolicyBundle,
        requests: &[CheckRequest],
        api: Api,
    ) -> Result<Vec<bool>> {
        let started = Instant::now();
        let decisions = requests
            .iter()
            .map(|request| self.decide_unlogged(bundle, request, started));
        let decided = futures_util::future::try_join_all(decisions).await?;
        if log::enabled() {
            let allowed = || decided.iter().filter(|d| d.is_allow());
            let reasons = log::union(allowed().map(|d| &d.reasons[..]));
            let decision_id = new_decision_id();
            log::Event {
                api,
                decision_id: &decision_id,
                principal: &log::Common(requests, |r| &r.principal_uid),
                action: &log::Common(requests, |r| log::ActionId(&r.action)),
                resource: &log::Common(requests, |r| &r.resource),
                account: &log::Common(requests, log::account),
                allow: allowed().next().is_some(),
                reasons: &reasons,
                cached: !decided.is_empty() && decided.iter().all(|d| d.cached),
                latency: started.elapsed(),
                policy_revision: bundle.revision(),
                evaluated: requests.len(),
            }
            .write();
        }
        Ok(decided.iter().map(|d| d.is_allow()).collect())
    }

    /// Decides a parsed check without a decision-log event: for console views that ask
    /// hypothetical questions in bulk (the access matrix, possibly under a draft policy set),
    /// where nobody is granted or refused anything and a page is hundreds of cells. Every
    /// answer a caller acts on goes through [`Checker::decide`] instead.
    pub async fn decide_unlogged(
        &self,
        bundle: &PolicyBundle,
        request: &CheckRequest,
        started: Instant,
    ) -> Result<Decision> {
        let cached = match request.consistency {
            Consistency::Cached => {
                let key = CacheKey::of(bundle.revision(), request);
                let lookup = self
                    .cache
                    .lookup(&key, Subjects::of(request), self.store.now())
                    .await;
                telemetry::cache_lookup(lookup.hit.is_some());
                if let Some(cached) = lookup.hit {
                    return Ok(self.answered(bundle, &cached.verdict, true, started));
                }
                lookup.revisions.map(|revisions| (key, revisions))
            }
            Consistency::Fresh => None,
        };
        // Fresh, or the cache cannot tell the revisions: the facts are read from the store
        // and no decision is kept; only a verdict remembered over identical facts is reused.
        let gathered = match cached {
            Some((_, revisions)) => self.cached_facts(bundle, request, revisions).await?,
            None => self.read_facts(bundle, request, None).await?,
        };
        let memo_key = gathered
            .entry
            .as_ref()
            .and_then(|_| crate::cache::facts::memo_key(bundle, request, gathered.resource()));
        if let (Some(entry), Some(memo_key)) = (&gathered.entry, &memo_key) {
            if let Some(verdict) = entry.remembered(memo_key) {
                return Ok(self.answered(bundle, &verdict, cached.is_some(), started));
            }
        }
        let entry = gathered.entry.clone();
        let facts = gathered.into_facts();
        let (decision, verdict) = self.evaluated(bundle, request, &facts, started)?;
        if verdict.errors.is_empty() {
            if let (Some(entry), Some(memo_key)) = (entry, memo_key) {
                entry.remember(memo_key, &verdict);
            }
            if let Some((key, revisions)) = cached {
                let cached = Cached {
                    verdict: Arc::new(verdict),
                    revisions,
                    valid_until: facts.valid_until,
                };
                self.cache.put(key, cached, self.store.now()).await;
            }
        }
        Ok(decision)
    }

    /// Evaluates `request` over `facts`: the decision, and the verdict for the caches.
    fn evaluated(
        &self,
        bundle: &PolicyBundle,
        request: &CheckRequest,
        facts: &CheckFacts,
        started: Instant,
    ) -> Result<(Decision, Verdict)> {
        let verdict = bundle.evaluate_facts(request, facts)?;
        telemetry::policy_errors(verdict.errors.len());
        Ok((self.answered(bundle, &verdict, false, started), verdict))
    }

    /// The decision for a verdict, counted.
    fn answered(
        &self,
        bundle: &PolicyBundle,
        verdict: &Verdict,
        cached: bool,
        started: Instant,
    ) -> Decision {
        telemetry::check_decided(verdict.allow, cached, started.elapsed());
        Decision::new(verdict, bundle.revision(), cached)
    }

    /// Every action the schema applies to the request's resource type that is allowed,
    /// evaluated over one read of the store. `request.action` is ignored. One decision-log
    /// event for the call, listing the allowed actions.
    pub async fn allowed_actions(
        &self,
        bundle: &PolicyBundle,
        request: &CheckRequest,
        api: Api,
    ) -> Result<Vec<String>> {
        let started = Instant::now();
        let facts = self.facts(bundle, request).await?;
        let logged = log::enabled();
        let mut allowed = Vec::new();
        let mut reasons = Vec::new();
        let mut evaluated = 0;
        for action in bundle.actions_for_resource(request.resource.type_name()) {
            let mut one = request.clone();
            one.action = action.clone();
            one.context = bundle.parse_context(&request.context_json, action, &request.resource)?;
            let verdict = bundle.evaluate_facts(&one, &facts)?;
            evaluated += 1;
            if verdict.allow {
                allowed.push(action.id().unescaped().to_owned());
                if logged {
                    reasons.extend(verdict.reasons);
                }
            }
        }
        if logged {
            reasons.sort_unstable();
            reasons.dedup();
            let decision_id = new_decision_id();
            log::Event {
                api,
                decision_id: &decision_id,
                principal: &request.principal_uid,
                action: &allowed.join(","),
                resource: &request.resource,
                account: &log::account(request),
                allow: !allowed.is_empty(),
                reasons: &reasons,
                cached: false,
                latency: started.elapsed(),
                policy_revision: bundle.revision(),
                evaluated,
            }
            .write();
        }
        Ok(allowed)
    }

    /// Authorizes a management call: `actor` doing `action` on `target`. Never cached.
    /// A deny is a `403` naming the deciding policies; an allow carries the facts it rested
    /// on, which the write re-reads under lock (see [`Authorized`]).
    pub async fn authorize(
        &self,
        actor: &Actor,
        action: &str,
        target: Target<'_>,
    ) -> Result<Authorized> {
        let started = Instant::now();
        let bundle = self.bundle();
        let request = management_request(&bundle, actor, action, target)?;
        let facts = self.facts(&bundle, &request).await?;
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
            Actor::User(id) => Some(Basis::new(
                id.clone(),
                request.account.clone(),
                lookup(&bundle, &request),
                facts,
            )),
            Actor::Staff | Actor::Portier => None,
        };
        Ok(Authorized::new(actor.clone(), basis))
    }

    /// The store's facts a check of `request` is evaluated over (what explaining a decision
    /// shows, as the entities built from them).
    pub async fn facts(&self, bundle: &PolicyBundle, request: &CheckRequest) -> Result<CheckFacts> {
        let user = match &request.principal {
            Principal::User(id) => Some(id),
            Principal::Staff => None,
            Principal::NotAUser => return Ok(CheckFacts::default()),
        };
        self.store
            .check_facts(user, request.account.as_ref(), lookup(bundle, request))
            .await
    }
}

/// The resource rows a request needs besides its principal and account.
fn lookup<'r>(bundle: &PolicyBundle, request: &'r CheckRequest) -> ResourceLookup<'r> {
    let types = bundle.types();
    let (ty, id) = (
        request.resource.type_name(),
        request.resource.id().unescaped(),
    );
    if ty == &types.service {
        ResourceLookup::Service(id)
    } else if ty == &types.invitation {
        ResourceLookup::Invitation(id)
    } else if ty == &types.contact {
        ResourceLookup::Contact(id)
    } else {
        ResourceLookup::Nothing
    }
}

/// The check behind a management call: `actor` doing `action` on `target`, always fresh.
fn management_request(
    bundle: &PolicyBundle,
    actor: &Actor,
    action: &str,
    target: Target<'_>,
) -> Result<CheckRequest> {
    let types = bundle.types();
    let (resource, account) = match target {
        Target::User(id) => (uid(&types.user, id.as_str()), None),
        Target::Account(id) => (uid(&types.account, id.as_str()), Some(id)),
        Target::Service(account, id) => (uid(&types.service, id.as_str()), Some(account)),
        Target::Invitation(account, id) => (uid(&types.invitation, id.as_str()), Some(account)),
        Target::Contact(account, id) => (uid(&types.contact, id.as_str()), Some(account)),
    };
    let (action_uid, _) = bundle
        .action(action)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("the schema lacks the action {action}")))?;
    let (principal, principal_uid) = match actor {
        Actor::User(id) => (Principal::User(id.clone()), uid(&types.user, id.as_str())),
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
    /// An account (and user management within it).
    Account(&'a AccountId),
    /// A service of an account.
    Service(&'a AccountId, &'a ServiceId),
    /// An invitation to an account.
    Invitation(&'a AccountId, &'a InvitationId),
    /// A contact of an account.
    Contact(&'a AccountId, &'a ContactId),
}

/// The entity uid `Type::"id"`.
pub fn uid(ty: &EntityTypeName, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(ty.clone(), EntityId::new(id))
}
