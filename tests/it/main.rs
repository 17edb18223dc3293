//! The integration tests, one binary (the crate is linked once): a module per area, each
//! against the real thing — SQLite files, PostgreSQL, Redis, the `portier` binary, cvc5 and
//! the `cedar` CLI, headless Chromium — started on 127.0.0.1 by `common`.

mod common;

mod api_keys;
mod assurance;
mod authzen;
mod checks;
mod console;
mod durability;
mod edge;
mod expiry;
mod integrity;
mod management;
mod operations;
mod operators;
mod people;
mod readme;
mod replicas;
