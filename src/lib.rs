//! Portier: the authorization sidecar of a hosting client area.
//!
//! The portal asks "may user U do action A on resource R of account C?" and Portier answers
//! allow or deny from Cedar policies kept as files (`policies/`, typed by `schemas/`) over the
//! people, accounts, memberships, grants and service assignments it stores.
//!
//! # Layout
//! Dependencies run downward in this list's reverse; no module imports one above it.
//! - [`domain`]: parsed ids, emails, names, instants, URLs, secrets (an API key's among
//!   them), and the facts policies see ([`domain::CheckFacts`]); handlers only see these.
//! - [`error`]: the one error type; it renders as the JSON error every route answers with.
//! - [`telemetry`]: tracing setup and metrics.
//! - [`store`]: sqlx queries per table, transactions; SQLite embedded, PostgreSQL for replicas.
//!   Each write returns what it touched ([`store::Written`]) and records its revision in the
//!   database in the same transaction.
//! - [`authz`]: the Cedar wrapper: the policy bundle, parsing a check, the one entity builder,
//!   evaluation, policy tests.
//! - [`assurance`]: invariants proven with an SMT solver, policy diffs and their impact, the
//!   load guard.
//! - [`cache`]: the decision and facts caches (byte budgets), and the data revisions that keep
//!   them honest, synced from the database by every replica.
//! - [`app`]: the use cases over one [`app::App`]: the check pipeline and its decision log,
//!   the management use cases (authorize → write → what it touched), the console's logic,
//!   the live policies, the expiry sweep.
//! - [`http`]: adapters: the axum router, one file per resource with its own bodies, AuthZEN,
//!   the console's routes and page, and `serve`.
//! - [`config`]: command line and environment (`PORTIER_*`), typed, into [`app::AppSettings`].
//! - [`commands`]: the subcommands `main` dispatches to.

pub mod app;
pub mod assurance;
pub mod authz;
pub mod cache;
pub mod commands;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod store;
pub mod telemetry;

pub use error::{Error, Result};
