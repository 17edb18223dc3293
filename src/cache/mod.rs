//! The decision cache and the data revisions that keep it honest.
//!
//! A cached decision is stored under the exact bytes of its request and the policy revision
//! (in process) or their SHA-256 (in Redis), together with the data revisions of the
//! principal and the account it was computed under. A write bumps the revisions it touches
//! after its commit; a lookup reads the current revisions and serves an entry only when
//! they match, so an entry from before a write is never served again. Revisions are read
//! before the store, so a check racing a write can at worst store facts newer than the
//! revisions it records: never older.
//!
//! `facts` keeps the store's facts per principal and account under the same rule.

pub mod facts;
mod key;
mod memory;
mod redis;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use self::facts::{FactsCache, PrincipalEntry};
pub use self::redis::RedisCache;
pub use key::CacheKey;
pub use memory::MemoryCache;

use crate::authz::{CheckRequest, Verdict};

/// Something whose changes invalidate cached decisions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Revisioned {
    /// A user: status, memberships, grants.
    User(String),
    /// An account: status, owner, service assignments, invitations, contacts.
    Account(String),
}

/// The data revisions a decision was computed under: its principal's and its account's.
/// An entity never written has revision 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Revisions {
    /// The principal's.
    pub user: u64,
    /// The account's, when the request names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<u64>,
}

/// Whose revisions a request depends on.
#[derive(Debug, Clone, Copy)]
pub struct Subjects<'a> {
    /// The principal's id.
    pub user: &'a str,
    /// The account's id.
    pub account: Option<&'a str>,
}

impl<'a> Subjects<'a> {
    /// The subjects of `request`: its principal and its account.
    pub fn of(request: &'a CheckRequest) -> Self {
        Subjects {
            user: request.principal_uid.id().unescaped(),
            account: request.account.as_ref().map(|a| a.as_str()),
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

/// What a lookup found: the current revisions (`None` when the cache cannot tell them; then
/// nothing may be cached or served) and a decision stored under them.
#[derive(Debug)]
pub struct Lookup {
    /// The revisions now.
    pub revisions: Option<Revisions>,
    /// The cached decision, if one was stored under exactly these revisions and is still valid.
    pub hit: Option<Cached>,
}

impl DecisionCache {
    /// Looks `key` up: the current revisions of `subjects`, and the decision cached for the
    /// request if it was computed under them and is still valid at `now` (Unix milliseconds).
    /// One round trip to Redis.
    pub async fn lookup(&self, key: &CacheKey, subjects: Subjects<'_>, now: i64) -> Lookup {
        let (revisions, stored) = match self {
            DecisionCache::Memory(cache) => {
                (Some(cache.revisions(subjects)), cache.get(key.as_bytes()))
            }
            DecisionCache::Redis(cache) => match cache.lookup(key, subjects).await {
                Some((revisions, stored)) => (Some(revisions), stored),
                None => (None, None),
            },
        };
        let hit =
            stored.filter(|cached| Some(cached.revisions) == revisions && cached.valid_at(now));
        Lookup { revisions, hit }
    }

    /// Caches a verdict computed under `revisions`, which may be served until `valid_until`
    /// (Unix milliseconds; `None`: until the TTL), when a time-based fact it rested on stops
    /// holding.
    pub async fn put(&self, key: CacheKey, cached: Cached, now: i64) {
        if !cached.valid_at(now) {
            return;
        }
        match self {
            DecisionCache::Memory(cache) => cache.put(key, cached),
            DecisionCache::Redis(cache) => cache.put(&key, &cached, now).await,
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

/// A cached verdict, the revisions it was computed under, and the instant it stops being
/// true by itself: a decision that rested on an invitation being open must not be served
/// once the invitation has expired, whatever the TTL says. Writes are handled by revisions;
/// `valid_until` covers what changes with time alone.
#[derive(Debug, Clone)]
pub struct Cached {
    /// The decision (shared: many cached decisions have the same verdict).
    pub verdict: Arc<Verdict>,
    /// The revisions it was computed under.
    pub revisions: Revisions,
    /// When it stops holding (Unix milliseconds), if it rests on a time-based fact.
    pub valid_until: Option<i64>,
}

impl Cached {
    /// Whether it may be served at `now`.
    pub fn valid_at(&self, now: i64) -> bool {
        self.valid_until.is_none_or(|until| now < until)
    }

    /// Milliseconds it stays valid after `now`, when bounded.
    fn remaining_ms(&self, now: i64) -> Option<u64> {
        self.valid_until
            .map(|until| u64::try_from(until.saturating_sub(now)).unwrap_or(0))
    }
}
