//! The background task that ends time-limited access: every [`SWEEP_EVERY`] it removes the
//! memberships whose `expires_at` has passed (each with its `member.expire` audit row,
//! written once whichever replica sweeps first) and invalidates their cached decisions, and
//! records each API key's expiry (`api_key.expire`) and each support access's end
//! (`support.expire`) once.
//!
//! Nothing waits for it: from the instant of expiry, checks already deny and caches already
//! refuse to serve older decisions. The sweep makes the store say what checks already do.

use std::time::Duration;

use crate::app::check::Checker;

/// How often expired memberships are looked for.
pub const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// At most this many memberships are ended per sweep; the rest wait for the next one.
const PER_SWEEP: i64 = 500;

/// Runs the sweep until the runtime stops. Errors (the database away) are logged and retried
/// at the next tick.
pub fn spawn_sweeper(checker: Checker) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SWEEP_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match checker.store().expire_memberships(PER_SWEEP).await {
                Ok(ended) => {
                    for touched in ended {
                        checker.changed(&touched).await;
                    }
                }
                Err(err) => tracing::warn!(error = %err, "expiry sweep failed; retrying"),
            }
            if let Err(err) = checker.store().record_api_key_expiries(PER_SWEEP).await {
                tracing::warn!(error = %err, "api key expiry sweep failed; retrying");
            }
            if let Err(err) = checker.store().record_support_expiries(PER_SWEEP).await {
                tracing::warn!(error = %err, "support access expiry sweep failed; retrying");
            }
        }
    })
}
