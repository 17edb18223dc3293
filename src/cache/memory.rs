//! The in-process cache (moka) and revision counters, for a single Portier instance.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::{CacheKey, Cached, Revisioned};

/// Decisions in memory with a TTL, and a revision per changed user or account.
#[derive(Clone)]
pub struct MemoryCache {
    decisions: moka::future::Cache<CacheKey, Arc<Cached>>,
    /// Revisions only ever grow; an entity never written has revision 0. Entries are never
    /// evicted, since forgetting one would bring back keys from before its last write.
    revisions: Arc<RwLock<HashMap<String, u64>>>,
    clock: Arc<AtomicU64>,
}

impl MemoryCache {
    /// A cache of at most `capacity` decisions, each living at most `ttl`.
    pub fn new(capacity: u64, ttl: Duration) -> Self {
        MemoryCache {
            decisions: moka::future::Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build(),
            revisions: Arc::default(),
            clock: Arc::new(AtomicU64::new(0)),
        }
    }

    pub(super) fn revisions(&self, subjects: &[Revisioned]) -> Vec<u64> {
        let map = self
            .revisions
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        subjects
            .iter()
            .map(|s| map.get(&s.key()).copied().unwrap_or(0))
            .collect()
    }

    pub(super) async fn get(&self, key: &CacheKey) -> Option<Cached> {
        self.decisions.get(key).await.map(|v| (*v).clone())
    }

    pub(super) async fn put(&self, key: CacheKey, cached: Cached) {
        self.decisions.insert(key, Arc::new(cached)).await;
    }

    pub(super) fn bump(&self, changed: &[Revisioned]) {
        let mut map = self
            .revisions
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for subject in changed {
            let next = self.clock.fetch_add(1, Ordering::Relaxed) + 1;
            map.insert(subject.key(), next);
        }
    }
}
