//! The decision log: one `tracing` event (target `portier::decision`, level `INFO`) per
//! decision Portier makes, written here and nowhere else, so every API logs the same fields
//! in the same format and an auditor can read one stream.
//!
//! Every event has exactly these fields: `api` (which entry point asked, [`Api`]),
//! `decision_id`, `principal`, `action` (the action id, without `Action::`), `resource`,
//! `account` (empty when none), `decision` (`allow` or `deny`), `reasons` (the deciding
//! policy ids), `cached`, `latency_us`, `policy_revision` and `evaluated` (how many
//! evaluations the event stands for). Principals and resources are written as Cedar uids
//! (`User::"olivia"`), whatever shape the caller sent.
//!
//! A single decision (a check, a batch item, an AuthZEN evaluation or evaluations item, a
//! management call, a console explanation) is one event with `evaluated=1`. A call that
//! evaluates many candidates and answers with a list is one event for the call, because the
//! list is what the caller was told:
//! - allowed actions (native or AuthZEN action search): `action` lists the allowed actions
//!   (comma-separated, as answered), `decision` is `allow` when any is, `reasons` the policies
//!   that allowed them, `evaluated` the number of actions considered;
//! - subject and resource searches: the field that varies over the candidates is `*`,
//!   `decision` is `allow` when any candidate is allowed, `evaluated` the number of candidates.
//!
//! The fields are built from what the pipeline already holds (the parsed request and the
//! decision), so a logged check allocates nothing beyond the formatting `tracing` does when the
//! event is enabled; summaries that need work first ask [`enabled`].

use std::fmt::{self, Display};
use std::time::Duration;

use cedar_policy::EntityUid;

use super::Decision;
use crate::authz::CheckRequest;

/// The `tracing` target of the decision log.
pub const TARGET: &str = "portier::decision";

/// Which API made a decision: the `api` field of its event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `POST /v1/check`.
    Check,
    /// An item of `POST /v1/check/batch`.
    Batch,
    /// `POST /v1/allowed-actions` (one event per call).
    AllowedActions,
    /// `POST /access/v1/evaluation`.
    AuthzenEvaluation,
    /// An item of `POST /access/v1/evaluations` (or its single top-level evaluation).
    AuthzenEvaluations,
    /// `POST /access/v1/search/subject` (one event per search).
    AuthzenSearchSubject,
    /// `POST /access/v1/search/resource` (one event per search).
    AuthzenSearchResource,
    /// `POST /access/v1/search/action` (one event per search).
    AuthzenSearchAction,
    /// `POST /v1/console/explain`.
    ConsoleExplain,
    /// `portier check` on the command line.
    Cli,
    /// Whether a member receives a topic's mail (`GET /v1/accounts/{id}/recipients`, one event
    /// per member who opted in).
    Recipients,
    /// The authorization of a management call ([`Checker::authorize`](super::Checker::authorize)).
    Management,
}

impl Api {
    /// The `api` field's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Api::Check => "check",
            Api::Batch => "batch",
            Api::Recipients => "recipients",
            Api::AllowedActions => "allowed-actions",
            Api::AuthzenEvaluation => "authzen-evaluation",
            Api::AuthzenEvaluations => "authzen-evaluations",
            Api::AuthzenSearchSubject => "authzen-search-subject",
            Api::AuthzenSearchResource => "authzen-search-resource",
            Api::AuthzenSearchAction => "authzen-search-action",
            Api::ConsoleExplain => "console-explain",
            Api::Cli => "cli",
            Api::Management => "management",
        }
    }
}

/// Whether decision events are written (for summaries that cost work to build).
pub fn enabled() -> bool {
    tracing::enabled!(target: TARGET, tracing::Level::INFO)
}

/// One decision event. Every event goes through here.
pub(super) struct Event<'a> {
    pub api: Api,
    pub decision_id: &'a str,
    pub principal: &'a dyn Display,
    pub action: &'a dyn Display,
    pub resource: &'a dyn Display,
    pub account: &'a dyn Display,
    pub allow: bool,
    pub reasons: &'a [String],
    pub cached: bool,
    pub latency: Duration,
    pub policy_revision: &'a str,
    pub evaluated: usize,
}

impl Event<'_> {
    /// Writes the event (a no-op when the target is off).
    pub fn write(&self) {
        tracing::info!(
            target: TARGET,
            api = self.api.as_str(),
            decision_id = self.decision_id,
            principal = %self.principal,
            action = %self.action,
            resource = %self.resource,
            account = %self.account,
            decision = if self.allow { "allow" } else { "deny" },
            reasons = ?self.reasons,
            cached = self.cached,
            latency_us = u64::try_from(self.latency.as_micros()).unwrap_or(u64::MAX),
            policy_revision = self.policy_revision,
            evaluated = self.evaluated as u64,
        );
    }
}

/// The event of one decided request.
pub(super) fn decided(api: Api, request: &CheckRequest, decision: &Decision, latency: Duration) {
    Event {
        api,
        decision_id: &decision.decision_id,
        principal: &request.principal_uid,
        action: &ActionId(&request.action),
        resource: &request.resource,
        account: &account(request),
        allow: decision.is_allow(),
        reasons: &decision.reasons,
        cached: decision.cached,
        latency,
        policy_revision: &decision.policy_revision,
        evaluated: 1,
    }
    .write();
}

/// The request's account id, or `""`.
pub(super) fn account(request: &CheckRequest) -> &str {
    request
        .account
        .as_ref()
        .map(|a| a.as_str())
        .unwrap_or_default()
}

/// An action uid written as its id alone: `payInvoice`, not `Action::"payInvoice"`.
#[derive(PartialEq)]
pub(super) struct ActionId<'a>(pub &'a EntityUid);

impl Display for ActionId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.id().unescaped())
    }
}

/// One value when every item shows the same, else `*`: the field a search varies over.
pub(super) struct Common<'a, T, V>(pub &'a [T], pub fn(&'a T) -> V);

impl<'a, T, V: PartialEq + Display> Display for Common<'a, T, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut values = self.0.iter().map(self.1);
        match values.next() {
            Some(first) if values.all(|v| v == first) => Display::fmt(&first, f),
            _ => f.write_str("*"),
        }
    }
}

/// The policy ids in `lists`, sorted, each once.
pub(super) fn union<'a>(lists: impl Iterator<Item = &'a [String]>) -> Vec<String> {
    let mut all: Vec<String> = lists.flatten().cloned().collect();
    all.sort_unstable();
    all.dedup();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uid(text: &str) -> EntityUid {
        text.parse().unwrap()
    }

    #[test]
    fn actions_are_written_without_their_type() {
        let action = uid(r#"Portier::Action::"payInvoice""#);
        assert_eq!(ActionId(&action).to_string(), "payInvoice");
    }

    #[test]
    fn a_field_that_varies_is_a_star() {
        let same = [uid(r#"User::"a""#), uid(r#"User::"a""#)];
        let differ = [uid(r#"User::"a""#), uid(r#"User::"b""#)];
        assert_eq!(Common(&same, |u| u).to_string(), r#"User::"a""#);
        assert_eq!(Common(&differ, |u| u).to_string(), "*");
        assert_eq!(Common(&[] as &[EntityUid], |u| u).to_string(), "*");
    }

    #[test]
    fn reasons_are_merged_once_each() {
        let a = ["b".to_owned(), "a".to_owned()];
        let b = ["a".to_owned()];
        assert_eq!(union([&a[..], &b[..]].into_iter()), ["a", "b"]);
    }
}
