//! The console's use cases: what the console at `/console` shows, computed here so that the
//! console routes (`http::console`) only parse and answer. Every decision shown comes from
//! the check pipeline itself, so the console cannot disagree with `/v1/check`.
//!
//! - [`find`]: users and accounts by id, email or name; an account's service assignments.
//! - [`matrix`]: an account's members × actions, each cell decided by the check pipeline.
//! - [`explain`]: one decision with its deciding policies, their text and `file:line`, the
//!   entities it was evaluated over, and for an unexplained deny the permits that missed.
//! - `conditions`: splitting a permit into conditions and evaluating each alone.
//! - [`policies`]: the serving set, its tests, and a draft's preview (cells that would flip).

mod conditions;
pub mod explain;
pub mod find;
pub mod matrix;
pub mod policies;

use crate::domain::Actor;
use crate::error::{Error, Result};

/// Console views that look across accounts (search, the policy set, drafts) are for hosting
/// staff: an admin token acting as no particular user.
fn staff_only(actor: &Actor) -> Result<()> {
    match actor {
        Actor::Staff => Ok(()),
        Actor::User(..) | Actor::Agent(..) | Actor::Portier => Err(Error::Forbidden {
            message: "the console's cross-account routes are for hosting staff only".into(),
            reasons: Vec::new(),
        }),
    }
}
