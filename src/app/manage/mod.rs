//! The management use cases, one module per thing managed. Each use case reads as
//! authorize (a fresh check of the acting principal, decided by the policies and logged)
//! → one store call → what the write touched, handed to [`Checker::write`], which turns it
//! into cache invalidation: a write has no other way to the caches, so none can forget.
//!
//! [`Checker::write`]: super::check::Checker::write

pub mod accounts;
pub mod agents;
pub mod api_keys;
pub mod audit;
pub mod contacts;
pub mod invitations;
pub mod members;
pub mod roles;
pub mod security;
pub mod services;
pub mod support;
pub mod users;
