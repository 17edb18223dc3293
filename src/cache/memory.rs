//! The in-process cache (moka) and revision counters, for a single Portier instance.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::{CacheKey, Cached, Revisioned, Revisions, Subjects};

/// Decisions in memory with a TTL, and a revision per changed user or account.
#[derive(Clone)]
pub struct MemoryCache {
    decisions: moka::sync::Cache<Box<[u8]>, Arc<Cached>>,
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

    pub(super) fn get(&self, key: &[u8]) -> Option<Arc<Cached>> {
        self.decisions.get(key)
    }

    pub(super) fn put(&self, key: CacheKey, cached: Cached) {
        self.decisions.insert(key.into_bytes(), Arc::new(cached));
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
