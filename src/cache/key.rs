//! The exact key of a cached decision: the canonical bytes of everything a decision depends
//! on besides the data revisions (which are stored with the entry and compared on lookup).
//! Every part is length-prefixed, so two different requests never give the same bytes:
//! a collision is impossible, not merely improbable, which matters because callers choose
//! their requests. Redis names the entry by the SHA-256 of these bytes.

use cedar_policy::{EntityTypeName, EntityUid};

use crate::authz::{CheckRequest, PolicyBundle};
use crate::domain::CheckFacts;

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
        key.account(request);
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

/// `n` in LEB128: its bytes, and how many of them are used.
fn leb128(mut n: usize) -> ([u8; 10], usize) {
    let mut bytes = [0; 10];
    let mut len = 0;
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        bytes[len] = low | if n == 0 { 0 } else { 0x80 };
        len += 1;
        if n == 0 {
            return (bytes, len);
        }
    }
}

/// Writes length-prefixed parts (LEB128 lengths: keys stay short in memory).
pub(crate) struct KeyWriter(pub(crate) Vec<u8>);

impl KeyWriter {
    /// One part given as bytes.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        self.length(bytes.len());
        self.0.extend_from_slice(bytes);
    }

    /// A length as LEB128 (one byte below 128): no length's bytes are a prefix of another's.
    fn length(&mut self, n: usize) {
        let (bytes, len) = leb128(n);
        self.0.extend_from_slice(&bytes[..len]);
    }

    /// One part written by `write`, prefixed with its length once written.
    fn written(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        let at = self.0.len();
        write(&mut self.0);
        let (bytes, len) = leb128(self.0.len() - at);
        self.0.splice(at..at, bytes[..len].iter().copied());
    }

    /// The request's account id (empty when none).
    pub(crate) fn account(&mut self, request: &CheckRequest) {
        self.bytes(
            request
                .account
                .as_ref()
                .map_or("", |a| a.as_str())
                .as_bytes(),
        );
    }

    pub(crate) fn uid(&mut self, uid: &EntityUid) {
        self.type_name(uid.type_name());
        self.bytes(uid.id().unescaped().as_bytes());
    }

    /// An entity type's name: its namespace's components, then its base name.
    pub(crate) fn type_name(&mut self, ty: &EntityTypeName) {
        self.length(ty.namespace_components().count());
        for component in ty.namespace_components() {
            self.bytes(component.as_bytes());
        }
        self.bytes(ty.basename().as_bytes());
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

/// The longest memo key kept: a verdict over a larger request (a big context) is not
/// remembered, so an entry's weight stays what the weigher charged for it.
pub(super) const MEMO_KEY_LIMIT: usize = 160;

/// The memo key of `request` over the resource facts `facts` (only `resource_found`,
/// `invitation_email` and `assignees` are read): everything its verdict depends on besides
/// the principal's and account's facts (the entry's) and the resource id. `None` when the
/// resource id could change the answer, or caller-supplied entities are involved.
pub fn memo_key(
    bundle: &PolicyBundle,
    request: &CheckRequest,
    facts: &CheckFacts,
) -> Option<Box<[u8]>> {
    if !request.supplied.is_empty() || bundle.resource_id_matters(request) {
        return None;
    }
    let mut key = KeyWriter(Vec::with_capacity(96));
    key.bytes(bundle.revision().as_bytes());
    key.uid(&request.action);
    key.type_name(request.resource.type_name());
    key.bytes(&[u8::from(facts.resource_found)]);
    key.bytes(
        facts
            .invitation_email
            .as_deref()
            .unwrap_or_default()
            .as_bytes(),
    );
    key.count(facts.assignees.len());
    for assignee in &facts.assignees {
        key.bytes(assignee.as_bytes());
    }
    key.json(&request.context_json);
    (key.0.len() <= MEMO_KEY_LIMIT).then(|| key.0.into_boxed_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(parts: &[&[u8]]) -> Vec<u8> {
        let mut key = KeyWriter(Vec::new());
        for part in parts {
            key.bytes(part);
        }
        key.0
    }

    #[test]
    fn lengths_are_leb128() {
        for (n, bytes) in [
            (0, &[0x00][..]),
            (127, &[0x7f]),
            (128, &[0x80, 0x01]),
            (300, &[0xac, 0x02]),
            (16_384, &[0x80, 0x80, 0x01]),
        ] {
            let (encoded, len) = leb128(n);
            assert_eq!(&encoded[..len], bytes, "{n}");
        }
    }

    #[test]
    fn parts_split_differently_never_give_the_same_key() {
        assert_ne!(parts(&[b"ab", b"c"]), parts(&[b"a", b"bc"]));
        assert_ne!(parts(&[b"", b"x"]), parts(&[b"x", b""]));
        let long = [7u8; 200];
        assert_ne!(parts(&[&long, b""]), parts(&[&long[..199], &[7]]));
    }

    #[test]
    fn type_names_with_different_namespaces_never_give_the_same_key() {
        let names = [
            "User",
            "A::User",
            "AUser",
            "A::B::User",
            "AB::User",
            "A::BUser",
        ];
        let keys: std::collections::HashSet<Vec<u8>> = names
            .iter()
            .map(|name| {
                let mut key = KeyWriter(Vec::new());
                key.type_name(&name.parse().unwrap());
                key.0
            })
            .collect();
        assert_eq!(keys.len(), names.len());
    }

    #[test]
    fn a_written_part_is_prefixed_like_the_same_bytes_given() {
        let value = serde_json::json!({"note": "x".repeat(150)});
        let mut written = KeyWriter(vec![1, 2]);
        written.json(&value);
        let mut given = KeyWriter(vec![1, 2]);
        given.bytes(serde_json::to_string(&value).unwrap().as_bytes());
        assert_eq!(written.0, given.0);
    }
}
