//! A check as the portal sends it ([`CheckBody`]) and as Portier evaluates it
//! ([`CheckRequest`]): parsing resolves every name against the schema and reports the first
//! problem as a 400 naming its field.

use std::str::FromStr;

use cedar_policy::{Context, Entity, EntityId, EntityTypeName, EntityUid, Request};
use serde_json::Value;

pub use super::check_body::{CheckBody, Consistency, EntityRef, MAX_SUPPLIED_ENTITIES};
use super::{PolicyBundle, STORE_OWNED_TYPES};
use crate::domain::{check_id, AccountId, AgentId, ApiKeyId, UserId};
use crate::error::{Error, Result};

/// Who a request is evaluated for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Principal {
    /// A portal user, looked up in the store.
    User(UserId),
    /// An API key, looked up in the store with its creator.
    ApiKey(ApiKeyId),
    /// A support agent, looked up in the store with the account's current support access.
    Agent(AgentId),
    /// Hosting staff (admin token, no actor). Never reachable from the check routes.
    Staff,
    /// Any other entity (a contact, say): never allowed anything.
    NotAUser,
}

/// A check resolved against the schema, ready for the store and Cedar.
#[derive(Debug, Clone)]
pub struct CheckRequest {
    /// Who asks.
    pub principal: Principal,
    /// The principal as a Cedar uid.
    pub principal_uid: EntityUid,
    /// The action uid.
    pub action: EntityUid,
    /// The resource uid.
    pub resource: EntityUid,
    /// The account involved, when the resource belongs to one.
    pub account: Option<AccountId>,
    /// Context, validated for the action.
    pub context: Context,
    /// Context as sent (canonical JSON: keys sorted), for the cache key.
    pub context_json: Value,
    /// Caller-supplied entities, validated.
    pub supplied: Vec<Entity>,
    /// Supplied entities as sent, for the cache key.
    pub supplied_json: Vec<Value>,
    /// Whether the cache may answer.
    pub consistency: Consistency,
}

impl CheckRequest {
    /// The request Cedar evaluates. Parsing already checked the action, the resource type
    /// and the context against the schema; checking them again would only cost time.
    pub fn to_cedar(&self) -> Result<Request> {
        Request::new(
            self.principal_uid.clone(),
            self.action.clone(),
            self.resource.clone(),
            self.context.clone(),
            None,
        )
        .map_err(|e| Error::Internal(anyhow::anyhow!("building a checked request: {e}")))
    }
}

/// Resolves a portal's check. Only `User`, `ApiKey` and `Agent` principals are evaluated: any other
/// type is parsed but denied, and `Staff` can never be claimed from outside.
pub(super) fn parse_check(bundle: &PolicyBundle, body: CheckBody) -> Result<CheckRequest> {
    let principal_uid = entity_uid(
        bundle,
        &body.principal,
        Some(&bundle.types().user),
        "principal",
    )?;
    let principal_id = principal_uid.id().unescaped();
    let principal = if principal_uid.type_name() == &bundle.types().user {
        Principal::User(
            UserId::from_str(principal_id).map_err(|e| Error::bad_field("principal.id", e))?,
        )
    } else if principal_uid.type_name() == &bundle.types().api_key {
        Principal::ApiKey(
            ApiKeyId::from_str(principal_id).map_err(|e| Error::bad_field("principal.id", e))?,
        )
    } else if principal_uid.type_name() == &bundle.types().agent {
        Principal::Agent(
            AgentId::from_str(principal_id).map_err(|e| Error::bad_field("principal.id", e))?,
        )
    } else {
        Principal::NotAUser
    };
    let action_id = body
        .action
        .strip_prefix("Action::\"")
        .and_then(|a| a.strip_suffix('"'))
        .unwrap_or(&body.action);
    let Some((action, resource_types)) = bundle.action(action_id) else {
        return Err(Error::bad_field(
            "action",
            format!(
                "unknown action {:?}: the schema declares no such requestable action",
                body.action
            ),
        ));
    };
    let resource = entity_uid(bundle, &body.resource, None, "resource")?;
    if !resource_types.contains(resource.type_name()) {
        return Err(Error::bad_field(
            "resource",
            format!(
                "action {action_id} does not apply to resource type {}",
                resource.type_name()
            ),
        ));
    }
    let account = resolve_account(bundle, &resource, body.account)?;
    let context_json = body
        .context
        .unwrap_or_else(|| Value::Object(Default::default()));
    let Some(keys) = context_json.as_object() else {
        return Err(Error::bad_field("context", "must be a JSON object"));
    };
    super::context::check_size(keys, "context")?;
    super::context::check_reason(keys, "context")?;
    let context = bundle.parse_context(&context_json, action, &resource)?;
    let supplied_json = body.entities.unwrap_or_default();
    let supplied = parse_supplied(bundle, &supplied_json)?;
    Ok(CheckRequest {
        principal,
        principal_uid,
        action: action.clone(),
        resource,
        account,
        context,
        context_json,
        supplied,
        supplied_json,
        consistency: body.consistency,
    })
}

/// Context typed against the action's context type. Cedar checks the types only when a
/// request is built, so build one here (as a user) to report a bad context as such.
pub(super) fn parse_context(
    bundle: &PolicyBundle,
    json: &Value,
    action: &EntityUid,
    resource: &EntityUid,
) -> Result<Context> {
    if json.as_object().is_some_and(|o| o.is_empty()) && bundle.empty_context_ok(action) {
        return Ok(Context::empty());
    }
    let invalid = |e: String| Error::bad_field("context", e);
    let context = Context::from_json_value(json.clone(), Some((bundle.schema(), action)))
        .map_err(|e| invalid(e.to_string()))?;
    let probe = EntityUid::from_type_name_and_id(
        bundle.types().user.clone(),
        EntityId::new("context-probe"),
    );
    Request::new(
        probe,
        action.clone(),
        resource.clone(),
        context.clone(),
        Some(bundle.schema()),
    )
    .map_err(|e| invalid(e.to_string()))?;
    Ok(context)
}

/// The uid of a declared entity type; `default_type` applies to bare ids.
fn entity_uid(
    bundle: &PolicyBundle,
    reference: &EntityRef,
    default_type: Option<&EntityTypeName>,
    field: &str,
) -> Result<EntityUid> {
    let (ty, id) = match reference {
        EntityRef::Typed { ty, id } => match bundle.type_named(ty) {
            Some(declared) => (declared.clone(), id.clone()),
            None => {
                let ty = EntityTypeName::from_str(ty)
                    .map_err(|e| Error::bad_field(format!("{field}.type"), e.to_string()))?;
                (ty, id.clone())
            }
        },
        EntityRef::Text(text) if text.contains("::") => {
            let uid = EntityUid::from_str(text)
                .map_err(|e| Error::bad_field(field, format!("expected Type::\"id\": {e}")))?;
            (uid.type_name().clone(), uid.id().unescaped().to_owned())
        }
        EntityRef::Text(id) => match default_type {
            Some(ty) => (ty.clone(), id.clone()),
            None => {
                return Err(Error::bad_field(
                    field,
                    "expected {\"type\", \"id\"} or Type::\"id\"",
                ))
            }
        },
    };
    if !bundle.declares(&ty) {
        return Err(Error::bad_field(
            format!("{field}.type"),
            format!("entity type {ty} is not declared in the schema"),
        ));
    }
    check_id(&id).map_err(|e| Error::bad_field(format!("{field}.id"), e))?;
    Ok(EntityUid::from_type_name_and_id(ty, EntityId::new(id)))
}

fn resolve_account(
    bundle: &PolicyBundle,
    resource: &EntityUid,
    account: Option<String>,
) -> Result<Option<AccountId>> {
    let ty = resource.type_name();
    if ty == &bundle.types().account {
        let id = resource.id().unescaped();
        if account.as_deref().is_some_and(|a| a != id) {
            return Err(Error::bad_field(
                "account",
                "differs from the Account given as resource",
            ));
        }
        return Ok(Some(
            AccountId::from_str(id).map_err(|e| Error::bad_field("resource.id", e))?,
        ));
    }
    if !bundle.is_account_scoped(ty) {
        return Ok(None);
    }
    match account {
        Some(id) => Ok(Some(
            AccountId::from_str(&id).map_err(|e| Error::bad_field("account", e))?,
        )),
        None => Err(Error::bad_field(
            "account",
            format!("required: a {ty} belongs to an account"),
        )),
    }
}

fn parse_supplied(bundle: &PolicyBundle, values: &[Value]) -> Result<Vec<Entity>> {
    if values.len() > MAX_SUPPLIED_ENTITIES {
        return Err(Error::bad_field(
            "entities",
            format!("at most {MAX_SUPPLIED_ENTITIES} entities"),
        ));
    }
    let store_owned = |uid: &EntityUid| STORE_OWNED_TYPES.contains(&uid.type_name().basename());
    values
        .iter()
        .enumerate()
        .map(|(i, value)| {
            let field = format!("entities[{i}]");
            let entity = Entity::from_json_value(value.clone(), Some(bundle.schema()))
                .map_err(|e| Error::bad_field(&field, e.to_string()))?;
            if store_owned(&entity.uid()) {
                return Err(Error::bad_field(&field, format!("{} entities come from Portier's store and cannot be supplied", entity.uid().type_name())));
            }
            // Cedar only hands out parents by value; look at a copy, keep the entity as sent.
            let (_, _, parents) = entity.clone().into_inner();
            if parents.iter().any(store_owned) {
                return Err(Error::bad_field(format!("{field}.parents"), "parents of a type Portier stores cannot be supplied; the resource's account comes from `account`"));
            }
            Ok(entity)
        })
        .collect()
}
