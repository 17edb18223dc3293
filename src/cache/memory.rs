//! The in-process cache (moka, bounded in bytes) and the revisions of the users and
//! accounts this process has learnt were written (by its own writes, and from the database
//! by the sync).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use super::{CacheKey, Cached, PrincipalKind, Revisioned, Revisions, Subjects};
use crate::authz::Verdict;

/// What an entry costs besides its key, roughly: the entry, moka's bookkeeping.
const ENTRY_OVERHEAD: usize = 160;

/// Distinct verdicts shared at most (policy ids are few; past this, copies are kept).
const DISTINCT_VERDICTS: usize = 4096;

/// Bytes the in-process decision cache takes unless configured otherwise: 64 MiB.
pub const DEFAULT_CACHE_BYTES: u64 = 64 << 20;

/// Decisions in memory with a TTL, and a revision per changed user or account.
#[derive(Clone)]
pub struct MemoryCache {
    decisions: moka::sync::Cache<Box<[u8]>, Cached>,
    /// One copy of each distinct verdict, shared by the decisions that have it: a cache of a
    /// million decisions holds a handful of verdicts.
    verdicts: Arc<Mutex<HashSet<Arc<Verdict>>>>,
    /// Revisions only ever grow; an entity never written has revision 0. Entries are never
    /// evicted, since forgetting one would bring back entries from before its last write.
    revisions: Arc<RwLock<RevisionTable>>,
}

#[derive(Default)]
struct RevisionTable {
    users: HashMap<Box<str>, u64>,
    accounts: HashMap<Box<str>, u64>,
    api_keys: HashMap<Box<str>, u64>,
    agents: HashMap<Box<str>, u64>,
}

impl MemoryCache {
    /// A cache of decisions taking at most about `max_bytes`, each living at most `ttl`.
    // moka hands its weigher the keys as stored.
    #[allow(clippy::borrowed_box)]
    pub fn new(max_bytes: u64, ttl: Duration) -> Self {
        MemoryCache {
            decisions: moka::sync::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|key: &Box<[u8]>, _: &Cached| {
                    u32::try_from(key.len() + ENTRY_OVERHEAD).unwrap_or(u32::MAX)
                })
                .time_to_live(ttl)
                .build(),
            verdicts: Arc::default(),
            revisions: Arc::default(),
        }
    }

    /// The bytes the decisions take now, roughly (after pending evictions have run).
    pub fn weighed_bytes(&self) -> u64 {
        self.decisions.run_pending_tasks();
        self.decisions.weighted_size()
    }

    /// Runs moka's pending work: entries past their TTL are dropped even when nothing reads.
    pub(super) fn housekeeping(&self) {
        self.decisions.run_pending_tasks();
    }

    pub(super) fn revisions(&self, subjects: Subjects<'_>) -> Revisions {
        let table = self
            .revisions
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Revisions {
            user: match subjects.kind {
                PrincipalKind::User => table.users.get(subjects.principal),
                PrincipalKind::ApiKey => table.api_keys.get(subjects.principal),
                PrincipalKind::Agent => table.agents.get(subjects.principal),
            }
            .copied()
            .unwrap_or(0),
            account: subjects
                .account
                .map(|a| table.accounts.get(a).copied().unwrap_or(0)),
        }
    }

    pub(super) fn get(&self, key: &[u8]) -> Option<Cached> {
        self.decisions.get(key)
    }

    pub(super) fn put(&self, key: CacheKey, mut cached: Cached) {
        cached.verdict = self.shared(cached.verdict);
        self.decisions.insert(key.into_bytes(), cached);
    }

    /// The shared copy of `verdict` (kept from now on, while fewer than
    /// [`DISTINCT_VERDICTS`] are).
    fn shared(&self, verdict: Arc<Verdict>) -> Arc<Verdict> {
        let mut verdicts = self
            .verdicts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(shared) = verdicts.get(&verdict) {
            return Arc::clone(shared);
        }
        if verdicts.len() < DISTINCT_VERDICTS {
            verdicts.insert(Arc::clone(&verdict));
        }
        verdict
    }

    /// Raises each subject's revision to the one given, when higher.
    pub(super) fn raise(&self, raised: &[(Revisioned, u64)]) {
        if raised.is_empty() {
            return;
        }
        let mut table = self
            .revisions
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for (subject, revision) in raised {
            let (map, id) = match subject {
                Revisioned::User(id) => (&mut table.users, id),
                Revisioned::Account(id) => (&mut table.accounts, id),
                Revisioned::ApiKey(id) => (&mut table.api_keys, id),
                Revisioned::Agent(id) => (&mut table.agents, id),
            };
            let current = map.entry(id.as_str().into()).or_insert(0);
            *current = (*current).max(*revision);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cached() -> Cached {
        Cached {
            verdict: Arc::new(Verdict::deny_unknown()),
            revisions: Revisions::default(),
            valid_until: None,
        }
    }

    #[test]
    fn decisions_stay_within_the_byte_budget() {
        let budget = 64 << 10;
        let cache = MemoryCache::new(budget, Duration::from_secs(60));
        for i in 0..1000u32 {
            let mut key = vec![0u8; 1024];
            key[..4].copy_from_slice(&i.to_be_bytes());
            cache.decisions.insert(key.into_boxed_slice(), cached());
        }
        let used = cache.weighed_bytes();
        assert!(used <= budget, "{used} bytes kept, budget {budget}");
        assert!(used > budget / 2, "the budget is used: {used}");
    }

    #[test]
    fn revisions_only_grow() {
        let cache = MemoryCache::new(1 << 20, Duration::from_secs(60));
        let bill = || Revisioned::User("bill".into());
        cache.raise(&[(bill(), 7)]);
        cache.raise(&[(bill(), 3)]);
        let now = cache.revisions(Subjects {
            kind: PrincipalKind::User,
            principal: "bill",
            account: Some("acct-1"),
        });
        assert_eq!((now.user, now.account), (7, Some(0)));
    }
}
