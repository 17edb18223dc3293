//! Authorization with Cedar: the loaded policy set ([`PolicyBundle`]), the entities built for
//! one check, the evaluation, and the policy-test runner behind `portier test`.
//!
//! Portier's code knows only the entity types it builds from its store (`User`, `Account`,
//! `Service`, `Staff`, `Grant`); grants, actions and action groups come from the schema, so a
//! security team extends the model by editing `schemas/` and `policies/` alone.

mod bundle;
mod check_body;
pub mod context;
mod entities;
mod evaluate;
#[cfg(test)]
pub(crate) mod fixtures;
mod index;
mod load;
pub mod policy_tests;
mod presets;
pub mod request;
mod sample;
mod sources;
mod symmetry;
mod types;

pub use bundle::PolicyBundle;
pub use entities::build_entities;
pub use evaluate::{unknown, Unknown, Verdict};
pub use load::{load, LoadError, PolicyFolders};
pub use presets::PRESETS_FILE;
pub use request::{CheckBody, CheckRequest, Consistency, EntityRef};
pub use sample::SAMPLE_ID;
pub use sources::{PolicyFile, PolicyOrigin};
pub use types::{CoreTypes, STORE_OWNED_TYPES};
