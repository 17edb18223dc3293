//! The decision cache and the data revisions that keep it honest.
//!
//! A cached decision is stored under the exact bytes of its request and the policy revision
//! (in process) or their SHA-256 (in Redis, under the identity of the data), together with
//! the data revisions of the principal and the account it was computed under. A write
//! records the revisions it touches in the database, in its own transaction, and raises them
//! here after its commit; a lookup reads the current revisions and serves an entry only when
//! they match, so an entry from before a write is never served again. Revisions are read
//! before the store, so a check racing a write can at worst store facts newer than the
//! revisions it records: never older.
//!
//! A write this process did not see (another replica's), or one whose raise did not reach
//! Redis, is learnt from the database by [`DecisionCache::sync`], which every replica runs
//! every [`SyncSettings::every`]; a replica serves cached decisions only while its last
//! complete sync began less than [`SyncSettings::bound`] ago. So an acknowledged write is
//! never undone: whatever happens to Redis or to the writer, no replica answers from before
//! it for longer than that bound.
//!
//! Every cache has a byte budget; a request whose key is longer than
//! [`DEFAULT_ENTRY_LIMIT`] (configurable) is never cached.
//!
//! `facts` keeps the store's facts per principal and account under the same rule.

pub mod facts;
mod key;
mod memory;
mod redis;
mod sync;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use self::facts::{FactsCache, PrincipalEntry};
pub use self::redis::RedisCache;
pub use key::{memo_key, CacheKey};
pub use memory::{MemoryCache, DEFAULT_CACHE_BYTES};
pub use sync::SyncSettings;

pub use crate::store::Revisioned;
use crate::store::Touched;

use crate::authz::{CheckRequest, Verdict};

/// The data revisions a decision was computed under: its principal's and its account's.
/// An entity never written has revision 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Revisions {
    /// The principal's (a user's, an API key's or an agent's: see [`Subjects`]).
    pub user: u64,
    /// The account's, when the request names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<u64>,
}

/// Whose revisions a request depends on.
#[derive(Debug, Clone, Copy)]
pub struct Subjects<'a> {
    /// The principal's id, of the kind `kind`.
    pub principal: &'a str,
    /// What the principal is; each kind's revisions are kept apart.
    pub kind: PrincipalKind,
    /// The account's id.
    pub account: Option<&'a str>,
}

/// The kinds of principal whose decisions are cached, each with revisions of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    /// A user (or any principal that is not a key or an agent: it has no revision).
    User,
    /// An API key, whose revision moves with every write to the key and to its creator.
    ApiKey,
    /// A support agent, whose revision moves with every write to the agent (consents are
    /// the account's facts, under its revision).
    Agent,
}

impl<'a> Subjects<'a> {
    /// The subjects of `request`: its principal and its account.
    pub fn of(request: &'a CheckRequest) -> Self {
        use crate::authz::request::Principal;
        Subjects {
            principal: request.principal_uid.id().unescaped(),
            kind: match request.principal {
                Principal::ApiKey(_) => PrincipalKind::ApiKey,
                Principal::Agent(_) => PrincipalKind::Agent,
                _ => PrincipalKind::User,
            },
            account: request.account.as_ref().map(|a| a.as_str()),
        }
    }
}

/// The longest request key cached by default, in bytes: a request larger than this (a big
/// context, caller-supplied entities) is evaluated every time rather than kept.
pub const DEFAULT_ENTRY_LIMIT: usize = 4096;

/// The cache Portier runs with: where decisions are kept, and how current this replica's
/// view of the data revisions is.
#[derive(Clone)]
pub struct DecisionCache {
    tier: Tier,
    sync: Arc<sync::SyncState>,
    entry_limit: usize,
}

/// Where decisions are kept.
#[derive(Clone)]
enum Tier {
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
    /// An in-process cache.
    pub fn memory(cache: MemoryCache, settings: SyncSettings) -> Self {
        DecisionCache::with_tier(Tier::Memory(cache), settings)
    }

    /// A cache in Redis, shared by replicas.
    pub fn redis(cache: RedisCache, settings: SyncSettings) -> Self {
        DecisionCache::with_tier(Tier::Redis(cache), settings)
    }

    fn with_tier(tier: Tier, settings: SyncSettings) -> Self {
        DecisionCache {
            tier,
            sync: Arc::new(sync::SyncState::new(settings)),
            entry_limit: DEFAULT_ENTRY_LIMIT,
        }
    }

    /// The same cache keeping only requests whose key has at most `bytes` bytes.
    pub fn with_entry_limit(mut self, bytes: usize) -> Self {
        self.entry_limit = bytes;
        self
    }

    /// Looks `key` up: the current revisions of `subjects`, and the decision cached for the
    /// request if it was computed under them and is still valid at `now` (Unix milliseconds).
    /// One round trip to Redis. Nothing while this replica's revisions are not known to be
    /// current (see [`DecisionCache::sync`]).
    pub async fn lookup(&self, key: &CacheKey, subjects: Subjects<'_>, now: i64) -> Lookup {
        if !self.sync.current() || key.as_bytes().len() > self.entry_limit {
            return Lookup {
                revisions: None,
                hit: None,
            };
        }
        let (revisions, stored) = match &self.tier {
            Tier::Memory(cache) => (Some(cache.revisions(subjects)), cache.get(key.as_bytes())),
            Tier::Redis(cache) => match cache.lookup(key, subjects).await {
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
        if !cached.valid_at(now) || key.as_bytes().len() > self.entry_limit {
            return;
        }
        match &self.tier {
            Tier::Memory(cache) => cache.put(key, cached),
            Tier::Redis(cache) => cache.put(&key, &cached, now).await,
        }
    }

    /// Invalidates every decision that involves what a committed write touched. Should Redis
    /// not take it, this replica serves nothing from the cache until a sync has (the
    /// database has the write's revisions: no other replica depends on this call).
    pub async fn bump(&self, touched: &Touched) {
        if touched.subjects.is_empty() {
            return;
        }
        let raised: Vec<(Revisioned, u64)> = touched
            .subjects
            .iter()
            .map(|subject| (subject.clone(), touched.revision))
            .collect();
        match &self.tier {
            Tier::Memory(cache) => cache.raise(&raised),
            Tier::Redis(cache) => {
                if !cache.raise(&raised, None).await {
                    tracing::warn!(subjects = ?touched.subjects, "could not record a write in Redis; cache reads off here until the next sync");
                    self.sync.lose();
                }
            }
        }
    }

    /// For readiness: `memory`, or whether Redis answers (`ok` / `unavailable`).
    pub async fn status(&self) -> &'static str {
        match &self.tier {
            Tier::Memory(_) => "memory",
            Tier::Redis(cache) if cache.ping().await => "ok",
            Tier::Redis(_) => "unavailable",
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
