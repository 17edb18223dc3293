//! The AuthZEN 1.0 information model as Portier reads it (subject, action, resource,
//! context) and its translation into the native [`CheckBody`], so every AuthZEN decision is
//! made by the one check pipeline (same parsing, cache, revisions and fail-closed rules).
//!
//! Mapping: entity types match the schema's types case-insensitively (`user` → `User`,
//! `service` → `Service`); `resource.properties.account` is the account of the resource
//! (implied for an Account); `context` is the Cedar context, typed by the schema, with the
//! keys the schema does not declare dropped (AuthZEN asks receivers to ignore what they do
//! not understand). Every other property is ignored: the facts Portier stores always decide,
//! so a caller can never talk itself into an allow by sending `properties`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::authz::context::{check_size, declared_only};
use crate::authz::{CheckBody, CheckRequest, EntityRef, PolicyBundle};
use crate::error::{Error, Result};

/// A subject or a resource: `{"type", "id", "properties"}`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct Entity {
    /// The type, matched to the schema's entity types case-insensitively (`user` → `User`).
    #[serde(rename = "type")]
    pub ty: String,
    /// The id; omitted for the entity a search looks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Only `account` is read (on a resource: the account it belongs to); others are ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub properties: Option<Map<String, Value>>,
}

/// An action: `{"name", "properties"}`; the name is a schema action id such as `payInvoice`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct Action {
    /// The action id.
    pub name: String,
    /// Ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub properties: Option<Map<String, Value>>,
}

/// One access question, before translation.
#[derive(Debug, Clone, Copy)]
pub struct Question<'a> {
    /// Who asks.
    pub subject: &'a Entity,
    /// The action id.
    pub action: &'a str,
    /// On what.
    pub resource: &'a Entity,
    /// The environment, if sent.
    pub context: Option<&'a Map<String, Value>>,
}

impl Question<'_> {
    /// Resolves the question against the schema, as the native check would; a `400` names
    /// the AuthZEN field at fault (`subject.id`, `action.name`, `resource.properties.account`).
    pub fn parse(&self, bundle: &PolicyBundle) -> Result<CheckRequest> {
        let body = self.check_body(bundle)?;
        bundle.parse_check(body).map_err(authzen_field)
    }

    /// The native check body this question is.
    pub fn check_body(&self, bundle: &PolicyBundle) -> Result<CheckBody> {
        let subject_id = required_id(self.subject, "subject")?;
        let resource_id = required_id(self.resource, "resource")?;
        if let Some(context) = self.context {
            check_size(context, "context")?;
        }
        Ok(CheckBody {
            principal: EntityRef::Typed {
                ty: schema_type(bundle, &self.subject.ty)
                    .unwrap_or_else(|| self.subject.ty.clone()),
                id: subject_id.to_owned(),
            },
            action: self.action.to_owned(),
            resource: EntityRef::Typed {
                ty: schema_type(bundle, &self.resource.ty)
                    .unwrap_or_else(|| self.resource.ty.clone()),
                id: resource_id.to_owned(),
            },
            account: account_property(self.resource)?,
            context: self.context.map(|c| declared_only(bundle, self.action, c)),
            entities: None,
            consistency: Default::default(),
        })
    }
}

/// The entity's id, or a `400` naming `{field}.id`.
pub fn required_id<'a>(entity: &'a Entity, field: &str) -> Result<&'a str> {
    entity
        .id
        .as_deref()
        .ok_or_else(|| Error::bad_field(format!("{field}.id"), "required"))
}

/// `resource.properties.account`, which must be a string when present.
pub fn account_property(resource: &Entity) -> Result<Option<String>> {
    match resource.properties.as_ref().and_then(|p| p.get("account")) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(account)) => Ok(Some(account.clone())),
        Some(_) => Err(Error::bad_field(
            "resource.properties.account",
            "must be a string: the id of the account the resource belongs to",
        )),
    }
}

/// AuthZEN's names for the principal types Portier keeps, and their schema types.
const AUTHZEN_TYPES: [(&str, &str); 2] = [("user", "User"), ("api_key", "ApiKey")];

/// The schema's spelling of an entity type: AuthZEN's name for it ([`AUTHZEN_TYPES`]), or
/// its name written in any case, if declared.
pub fn schema_type(bundle: &PolicyBundle, name: &str) -> Option<String> {
    if let Some((_, ty)) = AUTHZEN_TYPES.iter().find(|(authzen, _)| *authzen == name) {
        return bundle.type_named(ty).map(|_| (*ty).to_owned());
    }
    if bundle.type_named(name).is_some() {
        return Some(name.to_owned());
    }
    bundle
        .schema()
        .entity_types()
        .map(ToString::to_string)
        .find(|ty| ty.eq_ignore_ascii_case(name))
}

/// Renames the native check's fields to AuthZEN's (`principal` → `subject`, `action` →
/// `action.name`, `account` → `resource.properties.account`).
pub fn authzen_field(err: Error) -> Error {
    let Error::BadRequest {
        field: Some(field),
        message,
    } = err
    else {
        return err;
    };
    let field = match field.as_str() {
        "action" => "action.name".to_owned(),
        "account" => "resource.properties.account".to_owned(),
        other => match other.strip_prefix("principal") {
            Some(rest) => format!("subject{rest}"),
            None => other.to_owned(),
        },
    };
    Error::BadRequest {
        field: Some(field),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn undeclared_context_keys_are_dropped_and_declared_ones_kept() {
        let bundle = crate::authz::fixtures::shipped();
        let sent = map(json!({"time": "2025-06-27T18:03-07:00", "ip": "192.168.1.1", "mfa": true}));
        assert_eq!(
            declared_only(&bundle, "payInvoice", &sent),
            json!({"ip": "192.168.1.1", "mfa": true})
        );
        let wrong = map(json!({"mfa": "yes", "origin": "192.168.1.1"}));
        assert_eq!(
            declared_only(&bundle, "payInvoice", &wrong),
            json!({"mfa": "yes"})
        );
        let unknown_action = map(json!({"ip": "192.168.1.1"}));
        assert_eq!(
            declared_only(&bundle, "launchRocket", &unknown_action),
            json!({"ip": "192.168.1.1"})
        );
    }

    #[test]
    fn types_match_the_schema_case_insensitively() {
        let bundle = crate::authz::fixtures::shipped();
        assert_eq!(schema_type(&bundle, "user").as_deref(), Some("User"));
        assert_eq!(schema_type(&bundle, "api_key").as_deref(), Some("ApiKey"));
        assert_eq!(schema_type(&bundle, "INVOICE").as_deref(), Some("Invoice"));
        assert_eq!(schema_type(&bundle, "Service").as_deref(), Some("Service"));
        assert_eq!(schema_type(&bundle, "spaceship"), None);
    }

    #[test]
    fn native_fields_are_renamed_to_authzen_ones() {
        let renamed = |field: &str| match authzen_field(Error::bad_field(field, "x")) {
            Error::BadRequest { field, .. } => field.unwrap_or_default(),
            _ => String::new(),
        };
        assert_eq!(renamed("principal.id"), "subject.id");
        assert_eq!(renamed("principal"), "subject");
        assert_eq!(renamed("action"), "action.name");
        assert_eq!(renamed("account"), "resource.properties.account");
        assert_eq!(renamed("resource.type"), "resource.type");
    }
}
