//! The in-process cache (moka) and revision counters, for a single Portier instance.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use super::{CacheKey, Cached, Revisioned, Revisions, Subjects};
use crate::authz::Verdict;

/// Distinct verdicts shared at most (policy ids are few; past this, copies are kept).
const DISTINCT_VERDICTS: usize = 4096;

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
    clock: Arc<AtomicU64>,
}

#[derive(Default)]
struct RevisionTable {
    users: HashMap<Box<str>, u64>,
    accounts: HashMap<Box<str>, u64>,
}

impl MemoryCache {
    /// A cache of at most `capacity` decisions, each living at most `ttl`.
    pub fn new(capacity: u64, ttl: Duration) -> Self {
        MemoryCache {
            decisions: moka::sync::Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build(),
            verdicts: Arc::default(),
            revisions: Arc::default(),
            clock: Arc::new(AtomicU64::new(0)),
        }
    }

    pub(super) fn revisions(&self, subjects: Subjects<'_>) -> Revisions {
        let table = self
            .revisions
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Revisions {
            user: table.users.get(subjects.user).copied().unwrap_or(0),
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

    pub(super) fn bump(&self, changed: &[Revisioned]) {
        let mut table = self
            .revisions
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for subject in changed {
            let next = self.clock.fetch_add(1, Ordering::Relaxed) + 1;
            match subject {
                Revisioned::User(id) => table.users.insert(id.as_str().into(), next),
                Revisioned::Account(id) => table.accounts.insert(id.as_str().into(), next),
            };
        }
    }
}
