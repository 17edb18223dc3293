//! Time in the store: where it reads the clock (the system's, or a manual one tests move),
//! and how long it waits for the database before answering `503`.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::domain::Timestamp;
use crate::error::{Error, Result};

/// Where the store reads the time: the system clock, or a manual one tests move forward.
#[derive(Debug, Clone, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    /// A clock at `start_ms` (Unix milliseconds) that moves only when told.
    pub fn manual(start_ms: i64) -> Clock {
        Clock(Some(Arc::new(AtomicI64::new(start_ms))))
    }

    /// Moves a manual clock forward (no effect on the system clock).
    pub fn advance(&self, by: Duration) {
        if let Some(now) = &self.0 {
            now.fetch_add(
                i64::try_from(by.as_millis()).unwrap_or(i64::MAX),
                Ordering::SeqCst,
            );
        }
    }

    /// Now, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        match &self.0 {
            Some(now) => now.load(Ordering::SeqCst),
            None => {
                let since = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
            }
        }
    }
}

/// How many database timeouts a whole write may take: the connection, the writer lock or
/// a row lock, and the statements.
pub(super) const WRITE_WAITS: u32 = 3;

/// `work`, or a `503` once `limit` has passed.
pub(super) async fn bounded<T>(
    limit: Duration,
    work: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    match tokio::time::timeout(limit, work).await {
        Ok(result) => result,
        Err(_) => {
            tracing::warn!(?limit, "the database did not answer in time");
            Err(Error::Unavailable(
                "the database did not answer in time".into(),
            ))
        }
    }
}

/// A `400` naming `field` unless `at` is absent or after `now`.
pub(super) fn require_future(field: &str, at: Option<Timestamp>, now: i64) -> Result<()> {
    match at {
        Some(at) if at.millis() <= now => Err(Error::bad_field(
            field,
            format!("{at} is not in the future"),
        )),
        _ => Ok(()),
    }
}
