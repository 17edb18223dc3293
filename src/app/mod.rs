//! The use cases: what Portier does, between the adapters (HTTP routes, AuthZEN, console
//! routes, CLI commands) and the core (domain, store, the Cedar wrapper, the caches).
//!
//! One [`App`] is built once, by [`App::open`], from [`AppSettings`] — by `serve`, by the CLI
//! commands and by the tests' harness alike — and holds the store, the caches, the live
//! policies and the settings. An adapter parses its input, calls one use case and answers;
//! a use case authorizes (through the check pipeline), writes, and hands what the write
//! touched to [`check::Checker::write`], the one way from a write to the caches.
//!
//! # Layout
//! - `settings`: what an [`App`] is built from, and the tasks that keep it current.
//! - [`check`]: the check pipeline in named stages, the management calls' authorization and
//!   the one decision log.
//! - [`manage`]: one module per management use case (users, accounts, members, services,
//!   invitations, contacts, the audit trail).
//! - [`console`]: the console's logic — find, matrix, explain, draft preview.
//! - [`search`]: the searches (who may, on what): candidates kept where checks allow.
//! - [`policies`]: the live policy set: watching, reloading, the assurance guard.
//! - [`expiry`]: the sweep that ends time-limited memberships.
//! - [`import`]: imports from another system (WHMCS), planned and audited.

pub mod check;
pub mod console;
pub mod expiry;
pub mod import;
pub mod manage;
pub mod policies;
pub mod search;
mod settings;

use std::sync::Arc;
use std::time::Duration;

pub use settings::{AppSettings, CacheSettings, Running};

use crate::authz::PolicyBundle;
use crate::store::Store;
use check::Checker;
use policies::LivePolicies;

/// How long invitation tokens live unless configured otherwise: 7 days.
pub const DEFAULT_INVITATION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// The application: built once, cheap to clone (one pointer).
#[derive(Clone)]
pub struct App(Arc<Parts>);

struct Parts {
    checker: Checker,
    policies: Arc<LivePolicies>,
    invitation_ttl: Duration,
}

impl App {
    /// Wires a check pipeline and the live policies together.
    pub fn new(checker: Checker, policies: Arc<LivePolicies>, invitation_ttl: Duration) -> Self {
        App(Arc::new(Parts {
            checker,
            policies,
            invitation_ttl,
        }))
    }

    /// The check pipeline.
    pub fn checker(&self) -> &Checker {
        &self.0.checker
    }

    /// The store.
    pub fn store(&self) -> &Store {
        self.0.checker.store()
    }

    /// The policy set in force now; hold it for a whole request.
    pub fn bundle(&self) -> Arc<PolicyBundle> {
        self.0.checker.bundle()
    }

    /// The live policy set (reload, assurance).
    pub fn policies(&self) -> &Arc<LivePolicies> {
        &self.0.policies
    }

    /// How long a new or resent invitation token stays valid.
    pub fn invitation_ttl(&self) -> Duration {
        self.0.invitation_ttl
    }
}
