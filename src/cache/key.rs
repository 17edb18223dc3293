//! The exact key of a cached decision: the canonical bytes of everything a decision depends
//! on besides the data revisions (which are stored with the entry and compared on lookup).
//! Every part is length-prefixed, so two different requests never give the same bytes:
//! a collision is impossible, not merely improbable, which matters because callers choose
//! their requests. Redis names the entry by the SHA-256 of these bytes.

use std::io::Write as _;

use cedar_policy::{EntityTypeName, EntityUid};

use crate::authz::CheckRequest;

/// The canonical bytes of a request under a policy revision.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey(Vec<u8>);

impl CacheKey {
    /// The key of `request` evaluated by the policy set `policy_revision`.
    pub fn of(policy_revision: &str, request: &CheckRequest) -> Self {
        let mut key = KeyWriter(Vec::with_capacity(160));
        key.bytes(policy_revision.as_bytes());
        for uid in [&request.principal_uid, &request.action, &request.resource] {
            key.uid(uid);
        }
        key.bytes(
            request
                .account
                .as_ref()
                .map_or("", |a| a.as_str())
                .as_bytes(),
        );
        key.json(&request.context_json);
        for entity in &request.supplied_json {
            key.json(entity);
        }
        CacheKey(key.0)
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes, owned.
    pub fn into_bytes(self) -> Box<[u8]> {
        self.0.into_boxed_slice()
    }
}

/// Writes length-prefixed parts.
pub(crate) struct KeyWriter(pub(crate) Vec<u8>);

impl KeyWriter {
    /// One part given as bytes.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        self.0
            .extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        self.0.extend_from_slice(bytes);
    }

    /// One part written by `write`, prefixed with its length once written.
    fn written(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        let at = self.0.len();
        self.0.extend_from_slice(&[0; 4]);
        write(&mut self.0);
        let len = (self.0.len() - at - 4) as u32;
        self.0[at..at + 4].copy_from_slice(&len.to_le_bytes());
    }

    /// A uid as two parts: its type and its id.
    pub(crate) fn uid(&mut self, uid: &EntityUid) {
        self.type_name(uid.type_name());
        self.bytes(uid.id().unescaped().as_bytes());
    }

    /// An entity type's name.
    pub(crate) fn type_name(&mut self, ty: &EntityTypeName) {
        self.written(|out| {
            let _ = write!(out, "{ty}");
        });
    }

    /// A count, as a part of its own.
    pub(crate) fn count(&mut self, n: usize) {
        self.bytes(&(n as u64).to_le_bytes());
    }

    /// A JSON value, serialized (objects with sorted keys: serde_json's map is ordered).
    pub(crate) fn json(&mut self, value: &serde_json::Value) {
        self.written(|out| {
            let _ = serde_json::to_writer(out, value);
        });
    }
}
