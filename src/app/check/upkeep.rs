//! What keeps the caches true to the store: a write's invalidation of what it touched, and
//! the task that syncs this replica's cache with the revisions every write records in the
//! database (see `cache::sync`).

use super::Checker;
use crate::error::Result;
use crate::store::{Touched, Written};

impl Checker {
    /// Makes every cached decision involving what a committed write touched unreachable.
    pub async fn changed(&self, touched: &Touched) {
        self.cache.bump(touched).await;
    }

    /// Runs a store write (bounded by the database timeout), then invalidates what it
    /// touched: the one way a write reaches the caches.
    pub async fn write<T>(
        &self,
        write: impl std::future::Future<Output = Result<Written<T>>>,
    ) -> Result<T> {
        let (value, touched) = self.store.bounded_write(write).await?.into_parts();
        self.changed(&touched).await;
        Ok(value)
    }

    /// One sync of the cache's revisions with the database's (see [`crate::cache::DecisionCache::sync`]).
    pub async fn sync_revisions(&self) -> Result<()> {
        self.cache.sync(&self.store).await
    }

    /// Keeps this replica's caches in step with the revisions the database records (every
    /// write's, whichever replica made it) until the runtime stops; see
    /// [`crate::cache::DecisionCache::sync`]. Failures are logged and retried at the next tick; until one
    /// succeeds, checks are evaluated without the cache.
    pub fn spawn_revision_sync(&self) -> tokio::task::JoinHandle<()> {
        let checker = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(checker.cache.sync_every());
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut failing = false;
            loop {
                tick.tick().await;
                checker.facts.housekeeping();
                match checker.cache.sync(&checker.store).await {
                    Ok(()) if failing => {
                        tracing::info!("cache revisions in step with the database again");
                        failing = false;
                    }
                    Ok(()) => {}
                    Err(err) if !failing => {
                        tracing::warn!(error = %err, "cannot read the revisions the database records; checks go without cache until it can");
                        failing = true;
                    }
                    Err(_) => {}
                }
            }
        })
    }
}
