//! What a portal asks, as it is written: the body of `POST /v1/check` (one item of a batch,
//! `portier check`'s arguments, the console's explain), before the schema resolves it into a
//! [`CheckRequest`](super::CheckRequest).

use serde::Deserialize;
use serde_json::Value;

/// Most caller-supplied entities accepted in one check.
pub const MAX_SUPPLIED_ENTITIES: usize = 50;

/// An entity reference: `"alice"` (principal only), `"User::\"alice\""`, or `{"type","id"}`.
#[derive(Debug, Clone, utoipa::ToSchema)]
#[serde(untagged)]
pub enum EntityRef {
    /// `Type::"id"`, or a bare id where a default type applies.
    Text(String),
    /// `{"type": "Invoice", "id": "inv-9"}`.
    Typed {
        /// Entity type name.
        #[serde(rename = "type")]
        ty: String,
        /// Entity id.
        id: String,
    },
}

impl<'de> Deserialize<'de> for EntityRef {
    /// A string or a `{type, id}` object, decided by the JSON token itself (an untagged enum
    /// would buffer the value and build an error for each variant it rules out).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = EntityRef;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(r#"an entity: "id", "Type::\"id\"" or {"type": …, "id": …}"#)
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<EntityRef, E> {
                Ok(EntityRef::Text(text.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<EntityRef, A::Error> {
                let (mut ty, mut id) = (None, None);
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match key.as_ref() {
                        "type" => ty = Some(map.next_value::<String>()?),
                        "id" => id = Some(map.next_value::<String>()?),
                        other => {
                            return Err(serde::de::Error::unknown_field(other, &["type", "id"]))
                        }
                    }
                }
                let ty = ty.ok_or_else(|| serde::de::Error::missing_field("type"))?;
                let id = id.ok_or_else(|| serde::de::Error::missing_field("id"))?;
                Ok(EntityRef::Typed { ty, id })
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Whether a check may be answered from the cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Consistency {
    /// From the cache when a valid entry exists.
    #[default]
    Cached,
    /// Always evaluated against the store.
    Fresh,
}

/// The body of `POST /v1/check`, and one item of a batch.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    /// Who asks: a user.
    pub principal: EntityRef,
    /// What they want to do: an action id such as `payInvoice`.
    #[schema(value_type = crate::domain::ActionName)]
    pub action: String,
    /// On what.
    pub resource: EntityRef,
    /// The account the resource belongs to; implied when the resource is an Account.
    #[serde(default)]
    pub account: Option<String>,
    /// Request context, typed by the schema.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub context: Option<Value>,
    /// Extra entities in Cedar's JSON entity format, of types Portier does not store.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub entities: Option<Vec<Value>>,
    /// `fresh` bypasses the cache.
    #[serde(default)]
    pub consistency: Consistency,
}
