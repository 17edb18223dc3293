//! Portier: the authorization sidecar of a hosting client area.
//!
//! The portal asks "may user U do action A on resource R of account C?" and Portier answers
//! allow or deny from Cedar policies kept as files (`policies/`, typed by `schemas/`) over the
//! people, accounts, memberships, grants and service assignments it stores.
//!
//! # Layout
//! - [`config`]: command line and environment (`PORTIER_*`), typed.
//! - [`error`]: the one error type; it renders as the JSON error every route answers with.
//! - [`domain`]: parsed ids, emails, roles, statuses; handlers only see these.
//! - [`authz`]: loading and validating policies, building entities, evaluating, policy tests.
//! - [`assurance`]: invariants proven with an SMT solver, policy diffs, the load guard.
//! - [`store`]: sqlx queries per table, transactions; SQLite embedded, PostgreSQL for replicas.
//!   Each write returns what it touched ([`store::Written`]) and records its revision in the
//!   database in the same transaction.
//! - [`cache`]: the decision and facts caches (byte budgets), and the data revisions that keep
//!   them honest, synced from the database by every replica.
//! - [`check`]: the check pipeline (cache → store → Cedar), shared by HTTP and the CLI, and
//!   the decision log it writes for every API (`check::log`).
//! - [`expiry`]: the task that ends time-limited memberships and records it once.
//! - [`console`]: the web console at `/console` (embedded page, its JSON routes).
//! - [`http`]: the axum router, one file per resource, and `serve`.
//! - [`commands`]: the subcommands `main` dispatches to.
//! - [`telemetry`]: tracing setup.

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
