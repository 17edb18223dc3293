//! Decisions asked in bulk: a search's candidates ([`Checker::sift`], one decision-log event
//! for the whole search) and every action allowed on one resource
//! ([`Checker::allowed_actions`], one read of the store, one event listing them).

use std::time::Instant;

use super::{log, new_decision_id, Api, Checker};
use crate::authz::{CheckRequest, PolicyBundle};
use crate::error::Result;

impl Checker {
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

    /// Every action the schema applies to the request's principal and resource types that is allowed,
    /// evaluated over one read of the store. `request.action` is ignored. One decision-log
    /// event for the call, listing the allowed actions. An action allowed by break-glass alone
    /// is not listed: break-glass is asked for one action through a check, which records it
    /// before it answers.
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
        for action in bundle.actions_for(
            request.principal_uid.type_name(),
            request.resource.type_name(),
        ) {
            let mut one = request.clone();
            one.action = action.clone();
            one.context = bundle.parse_context(&request.context_json, action, &request.resource)?;
            let verdict = bundle.evaluate_facts(&one, &facts)?;
            evaluated += 1;
            if verdict.allow && !bundle.is_break_glass(&verdict) {
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
}
