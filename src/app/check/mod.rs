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
//! Every entry point takes the [`Api`] that asks and writes the decision log ([`log`])
//! itself, so no caller logs a decision and none is logged twice.
//!
//! - this file: [`Checker`], the single-check entry points, the facts a check is read with.
//! - `stages`: the stages of one decision (cached → facts → recall → evaluate → remember).
//! - `facts`: where a cached check's facts come from (facts cache or store).
//! - `bulk`: a search's candidates and the allowed actions of one resource.
//! - `management`: the authorization of management calls ([`Target`]).
//! - [`log`]: the one decision log. `upkeep`: writes → cache invalidation, revision sync.
//! - `key_use`: when each API key was last used, written at most once a minute.

mod bulk;
mod facts;
mod key_use;
pub mod log;
mod management;
mod stages;
#[cfg(test)]
mod tests;
mod upkeep;

use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;
use cedar_policy::{EntityId, EntityTypeName, EntityUid};
use serde::Serialize;

use crate::authz::request::Principal;
use crate::authz::{CheckBody, CheckRequest, PolicyBundle, Verdict};
use crate::cache::{DecisionCache, FactsCache};
use crate::domain::CheckFacts;
use crate::error::Result;
use crate::store::{ResourceLookup, Store};

pub use log::Api;
pub use management::Target;

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
    key_use: Arc<key_use::KeyUse>,
}

impl Checker {
    /// A checker over a store, a cache and the current policy set.
    pub fn new(store: Store, cache: DecisionCache, policies: Arc<ArcSwap<PolicyBundle>>) -> Self {
        Checker {
            store,
            cache,
            facts: FactsCache::default(),
            policies,
            key_use: Arc::default(),
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

    /// Records that the API key `id` was used (see `key_use`).
    pub fn key_used(&self, id: &crate::domain::ApiKeyId) {
        self.key_use.mark(&self.store, id);
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
        if let (Principal::ApiKey(id), true) = (&request.principal, decision.is_allow()) {
            self.key_used(id);
        }
        Ok(decision)
    }

    /// The store's facts a check of `request` is evaluated over (what explaining a decision
    /// shows, as the entities built from them).
    pub async fn facts(&self, bundle: &PolicyBundle, request: &CheckRequest) -> Result<CheckFacts> {
        let user = match &request.principal {
            Principal::User(id) => Some(id),
            Principal::ApiKey(id) => {
                let lookup = lookup(bundle, request);
                return self
                    .store
                    .api_key_facts(id, request.account.as_ref(), lookup)
                    .await;
            }
            Principal::Agent(id) => {
                let lookup = lookup(bundle, request);
                return self
                    .store
                    .agent_facts(id, request.account.as_ref(), lookup)
                    .await;
            }
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

/// The entity uid `Type::"id"`.
pub fn uid(ty: &EntityTypeName, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(ty.clone(), EntityId::new(id))
}
