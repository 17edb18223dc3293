//! The decision cache and the data revisions that keep it honest.
//!
//! A cached decision is keyed by the policy revision, the current data revisions of the
//! principal and the account involved, and the whole request. A write bumps the revisions
//! it touches after its commit, so the next check computes a new key and misses: an old
//! decision is never looked up again, it only ages out. Revisions are read before the store,
//! so a check racing a write can at worst cache under the old key, which nobody reads.

mod memory;
mod redis;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use self::redis::RedisCache;
pub use memory::MemoryCache;

use crate::authz::{CheckRequest, Verdict};

/// Something whose changes invalidate cached decisions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Revisioned {
    /// A user: status, memberships, grants.
    User(String),
    /// An account: status, owner, service assignments.
    Account(String),
}

impl Revisioned {
    pub(crate) fn key(&self) -> String {
        match self {
            Revisioned::User(id) => format!("u:{id}"),
            Revisioned::Account(id) => format!("a:{id}"),
        }
    }
}

/// The cache Portier runs with.
#[derive(Clone)]
pub enum DecisionCache {
    /// In-process, for a single instance.
    Memory(MemoryCache),
    /// Shared by replicas.
    Redis(RedisCache),
}

/// A cache key: 256 bits over everything a decision depends on.
pub type CacheKey = [u8; 32];

impl DecisionCache {
    /// The cache key for `request` under the current revisions, or `None` when the cache
    /// cannot tell the revisions (then the check is evaluated and not cached).
    pub async fn key_for(&self, policy_revision: &str, request: &CheckRequest) -> Option<CacheKey> {
        let subjects = subjects(request);
        let revisions = match self {
            DecisionCache::Memory(cache) => cache.revisions(&subjects),
            DecisionCache::Redis(cache) => cache.revisions(&subjects).await?,
        };
        // Every part is length-prefixed, so no two different requests hash the same bytes.
        let mut hash = Sha256::new();
        let mut part = |bytes: &[u8]| {
            hash.update((bytes.len() as u64).to_le_bytes());
            hash.update(bytes);
        };
        part(policy_revision.as_bytes());
        for rev in revisions {
            part(&rev.to_le_bytes());
        }
        for uid in [&request.principal_uid, &request.action, &request.resource] {
            part(uid.type_name().to_string().as_bytes());
            part(uid.id().unescaped().as_bytes());
        }
        part(
            request
                .account
                .as_ref()
                .map_or("", |a| a.as_str())
                .as_bytes(),
        );
        part(request.context_json.to_string().as_bytes());
        for entity in &request.supplied_json {
            part(entity.to_string().as_bytes());
        }
        Some(hash.finalize().into())
    }

    /// The cached verdict for `key`, if any is still valid at `now` (Unix milliseconds).
    pub async fn get(&self, key: &CacheKey, now: i64) -> Option<Verdict> {
        let cached = match self {
            DecisionCache::Memory(cache) => cache.get(key).await,
            DecisionCache::Redis(cache) => cache.get(key).await,
        }?;
        cached.valid_at(now).then_some(cached.verdict)
    }

    /// Caches a verdict that may be served until `valid_until` (Unix milliseconds; `None`:
    /// until the TTL), when a time-based fact it rested on stops holding.
    pub async fn put(&self, key: CacheKey, verdict: &Verdict, valid_until: Option<i64>, now: i64) {
        let cached = Cached {
            verdict: verdict.clone(),
            valid_until,
        };
        if !cached.valid_at(now) {
            return;
        }
        match self {
            DecisionCache::Memory(cache) => cache.put(key, cached).await,
            DecisionCache::Redis(cache) => cache.put(key, &cached, now).await,
        }
    }

    /// Invalidates every decision that involves one of `changed`. Call after the commit.
    pub async fn bump(&self, changed: &[Revisioned]) {
        match self {
            DecisionCache::Memory(cache) => cache.bump(changed),
            DecisionCache::Redis(cache) => cache.bump(changed).await,
        }
    }

    /// For readiness: `memory`, or whether Redis answers (`ok` / `unavailable`).
    pub async fn status(&self) -> &'static str {
        match self {
            DecisionCache::Memory(_) => "memory",
            DecisionCache::Redis(cache) if cache.ping().await => "ok",
            DecisionCache::Redis(_) => "unavailable",
        }
    }
}

/// A cached verdict with the instant it stops being true by itself: a decision that rested on
/// an invitation being open must not be served once the invitation has expired, whatever the
/// TTL says. Writes are handled by revisions; this covers what changes with time alone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cached {
    #[serde(flatten)]
    verdict: Verdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    valid_until: Option<i64>,
}

impl Cached {
    fn valid_at(&self, now: i64) -> bool {
        self.valid_until.is_none_or(|until| now < until)
    }

    /// Milliseconds it stays valid after `now`, when bounded.
    fn remaining_ms(&self, now: i64) -> Option<u64> {
        self.valid_until
            .map(|until| u64::try_from(until.saturating_sub(now)).unwrap_or(0))
    }
}

/// What a request's decision depends on besides the policies: its principal and account.
fn subjects(request: &CheckRequest) -> Vec<Revisioned> {
    let mut subjects = vec![Revisioned::User(
        request.principal_uid.id().unescaped().to_owned(),
    )];
    if let Some(account) = &request.account {
        subjects.push(Revisioned::Account(account.as_str().to_owned()));
    }
    subjects
}
