//! The stages of one decision, in order: [`Checker::decide_unlogged`] runs them.
//!
//! 1. **cached** — a cached check looks its decision up with the data revisions (one round
//!    trip); a hit is the answer.
//! 2. **facts** — the facts the policies see, from the facts cache kept under those revisions
//!    or from the store ([`super::facts`]); a fresh check always reads the store.
//! 3. **recall** — a verdict remembered over identical facts, when the resource id cannot
//!    matter, is the answer.
//! 4. **evaluate** — entities built from the facts by the one entity builder, the
//!    deny-unknown rule, then Cedar ([`PolicyBundle::evaluate_facts`]).
//!    An allow resting on break-glass alone is recorded in the account's audit trail before
//!    it is answered, and never remembered or cached.
//! 5. **remember** — a verdict without policy errors is remembered over the facts and, for a
//!    cached check, cached with the revisions and the instant its facts stop holding.

use std::sync::Arc;
use std::time::Instant;

use super::{Checker, Decision};
use crate::authz::request::Principal;
use crate::authz::{context, CheckRequest, Consistency, PolicyBundle, Verdict};
use crate::cache::{CacheKey, Cached, Subjects};
use crate::domain::CheckFacts;
use crate::error::Result;
use crate::store::BreakGlass;
use crate::telemetry;

impl Checker {
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
            .and_then(|_| crate::cache::memo_key(bundle, request, gathered.resource()));
        if let (Some(entry), Some(memo_key)) = (&gathered.entry, &memo_key) {
            if let Some(verdict) = entry.remembered(memo_key) {
                return Ok(self.answered(bundle, &verdict, cached.is_some(), started));
            }
        }
        let entry = gathered.entry.clone();
        let facts = gathered.into_facts();
        let (decision, verdict) = self.evaluated(bundle, request, &facts, started)?;
        if bundle.is_break_glass(&verdict) {
            // Never remembered nor cached, and answered only once recorded.
            self.record_break_glass(request).await?;
            return Ok(decision);
        }
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

    /// Records a break-glass allow of `request` in its account's audit trail (once per
    /// agent, account, reason and hour); an error (the database away, the agent's rate of new
    /// reasons passed) stops the allow.
    async fn record_break_glass(&self, request: &CheckRequest) -> Result<()> {
        let (Principal::Agent(agent), Some(account), Some(reason)) = (
            &request.principal,
            &request.account,
            context::reason(&request.context_json),
        ) else {
            return Err(crate::Error::Internal(anyhow::anyhow!(
                "a break-glass allow without an agent, an account or a reason"
            )));
        };
        let glass = BreakGlass {
            agent,
            account,
            reason,
            action: request.action.id().unescaped(),
            resource: &request.resource.to_string(),
        };
        self.store.record_break_glass(glass).await
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
}
