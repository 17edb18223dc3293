//! Keeping a replica's cache in step with the revisions the database records.
//!
//! Every write stores the revision of what it touched in the database before it is
//! acknowledged (`store::revisions`). Each replica reads the rows past the revision it has
//! seen every [`SyncSettings::every`] and raises them in its cache: in process, its own
//! revision table; with Redis, the shared counters, past a watermark kept in Redis beside
//! them (`rev:seen`: every revision at or below it is in the counters), so a write whose
//! writer died before telling Redis is told by whichever replica syncs next. Without a
//! watermark (a new or flushed Redis) every recorded revision is raised.
//!
//! A replica serves from the cache only while its last complete sync began less than
//! [`SyncSettings::bound`] ago; a sync that fails (the database or Redis away) stops it
//! serving from the cache once that bound has passed, and checks are then evaluated
//! against the store. That bound is the longest any replica may answer from before an
//! acknowledged write.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{DecisionCache, Tier};
use crate::error::Result;
use crate::store::Store;

/// Revision rows read from the database at a time.
const BATCH: i64 = 1000;

/// How often a replica syncs, and how long a sync stays good.
#[derive(Debug, Clone, Copy)]
pub struct SyncSettings {
    /// The interval between syncs.
    pub every: Duration,
    /// How long after a sync began its view of the revisions may be trusted.
    pub bound: Duration,
}

impl SyncSettings {
    /// Syncs every `every`, trusted for four intervals (so one slow or failed sync does not
    /// turn the cache off).
    pub fn every(every: Duration) -> Self {
        SyncSettings {
            every,
            bound: every * 4,
        }
    }
}

impl Default for SyncSettings {
    fn default() -> Self {
        SyncSettings::every(Duration::from_millis(250))
    }
}

/// When the last complete sync began, and what this replica has seen.
pub(super) struct SyncState {
    settings: SyncSettings,
    origin: Instant,
    /// Milliseconds after `origin` at which the last complete sync began, plus one (0: none).
    synced_at: AtomicU64,
    /// Serializes marking a sync complete against [`SyncState::lose`].
    marks: Mutex<u64>,
    /// The in-process cache's highest revision read from the database (`u64::MAX`: none yet).
    seen: AtomicU64,
}

impl SyncState {
    pub(super) fn new(settings: SyncSettings) -> Self {
        SyncState {
            settings,
            origin: Instant::now(),
            synced_at: AtomicU64::new(0),
            marks: Mutex::new(0),
            seen: AtomicU64::new(u64::MAX),
        }
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Whether the revisions this replica reads are known to include every write
    /// acknowledged more than the bound ago.
    pub(super) fn current(&self) -> bool {
        let at = self.synced_at.load(Ordering::Acquire);
        let bound = u64::try_from(self.settings.bound.as_millis()).unwrap_or(u64::MAX);
        at != 0 && self.elapsed_ms().saturating_sub(at - 1) < bound
    }

    /// Stops serving from the cache until a sync that begins after now completes.
    pub(super) fn lose(&self) {
        let mut epoch = self.marks.lock().unwrap_or_else(|p| p.into_inner());
        *epoch += 1;
        self.synced_at.store(0, Ordering::Release);
    }

    /// Starts a sync: its start and the epoch it must complete in.
    fn begin(&self) -> (u64, u64) {
        let epoch = *self.marks.lock().unwrap_or_else(|p| p.into_inner());
        (self.elapsed_ms() + 1, epoch)
    }

    /// Marks a sync complete, unless [`SyncState::lose`] was called since it began.
    fn complete(&self, (started, epoch): (u64, u64)) {
        let current = self.marks.lock().unwrap_or_else(|p| p.into_inner());
        if *current == epoch {
            self.synced_at.store(started, Ordering::Release);
        }
    }
}

impl DecisionCache {
    /// The interval between syncs this cache was built for.
    pub fn sync_every(&self) -> Duration {
        self.sync.settings.every
    }

    /// Reads the revisions recorded since the last sync and raises them in the cache; on
    /// success, the cache may be served from for the bound.
    pub async fn sync(&self, store: &Store) -> Result<()> {
        let began = self.sync.begin();
        let clock = store.revision_clock().await?;
        let synced = match &self.tier {
            Tier::Memory(cache) => {
                cache.housekeeping();
                let seen = self.sync.seen.load(Ordering::Acquire);
                // The first sync starts from now: nothing was cached before it.
                let mut after = if seen == u64::MAX { clock } else { seen };
                while after < clock {
                    let rows = store.revisions_after(after, BATCH).await?;
                    cache.raise(&rows);
                    after = next_after(&rows, clock);
                }
                self.sync.seen.store(clock, Ordering::Release);
                true
            }
            Tier::Redis(cache) => self.sync_redis(cache, store, clock).await?,
        };
        if synced {
            self.sync.complete(began);
        }
        Ok(())
    }

    /// Raises in Redis every revision past its watermark, up to `clock`; `false` when Redis
    /// did not answer.
    async fn sync_redis(
        &self,
        cache: &super::RedisCache,
        store: &Store,
        clock: u64,
    ) -> Result<bool> {
        let (mut after, known) = match cache.watermark().await {
            None => return Ok(false),
            // No watermark: new counters, or emptied ones (a flushed Redis). Raise every
            // recorded revision, so no decision cached meanwhile can outlive a write.
            Some(None) => (0, false),
            Some(Some(watermark)) => (watermark, true),
        };
        if after >= clock {
            return Ok(known || cache.raise(&[], Some(clock)).await);
        }
        while after < clock {
            let rows = store.revisions_after(after, BATCH).await?;
            let next = next_after(&rows, clock);
            if !cache.raise(&rows, Some(next)).await {
                return Ok(false);
            }
            after = next;
        }
        Ok(true)
    }
}

/// The revision every row up to which has been read: `clock` after the last batch; before
/// the highest revision of a full batch otherwise (a write's rows share one revision, and
/// the batch may have cut them).
fn next_after(rows: &[(crate::store::Revisioned, u64)], clock: u64) -> u64 {
    if rows.len() < usize::try_from(BATCH).unwrap_or(usize::MAX) {
        return clock;
    }
    let (first, last) = (rows[0].1, rows[rows.len() - 1].1);
    // A batch of one write's rows alone (never: a write touches a few subjects) moves on.
    if first == last {
        last
    } else {
        last - 1
    }
}
