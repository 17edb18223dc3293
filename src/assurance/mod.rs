//! Policy assurance: proofs about the policy set, for every possible request, rather than the
//! examples the policy tests try. Security engineers write invariants as plain Cedar in
//! `policies/invariants/`; `portier verify` proves them with `cedar-policy-symcc` and the cvc5
//! solver, `portier diff` shows what a change of policies allows or denies that the old set
//! did not (and, over a database, who gains or loses what), and the guard refuses to serve a
//! set whose tests fail or whose invariants do not hold.
//!
//! It lives beside the evaluation code, not in it: it reads the same [`crate::authz`] bundle
//! and never changes how a check is decided.
//!
//! - [`invariants`]: reading `policies/invariants/*.cedar`.
//! - [`solver`]: finding cvc5.
//! - [`prove`]: the proofs, per request environment.
//! - [`counterexample`]: counterexamples, readable and as `cedar run-tests` cases.
//! - [`coverage`]: which invariants bound each action of the schema, from their scopes.
//! - [`verify`]: the `portier verify` command.
//! - [`guard`]: the check on load and hot reload, and what `/readyz` reports.
//! - [`sides`], [`diff`], [`impact`], [`report`]: comparing two sets; [`diff_command`]: the
//!   `portier diff` command.

pub mod counterexample;
pub mod coverage;
pub mod diff;
pub mod diff_command;
pub mod guard;
pub mod impact;
pub mod invariants;
pub mod prove;
pub mod report;
pub mod sides;
pub mod solver;
pub mod verify;

pub use guard::{assess, Assurance};
pub use report::ReportFormat;
