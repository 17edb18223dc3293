//! Authorization with Cedar: the loaded policy set ([`PolicyBundle`]), the entities built for
//! one check, the evaluation, and the policy-test runner behind `portier test`.
//!
//! Portier's code knows only the entity types it builds from its store (`User`, `Account`,
//! `Service`, `Staff`, `Grant`); grants, actions and action groups come from the schema, so a
//! security team extends the model by editing `schemas/` and `policies/` alone.

pub mod context;
mod entities;
mod evaluate;
#[cfg(test)]
pub(crate) mod fixtures;
mod load;
pub mod policy_tests;
mod reload;
pub mod request;
mod sample;
mod sources;
mod symmetry;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;

use cedar_policy::{
    ActionConstraint, Context, Effect, Entity, EntityTypeName, EntityUid, PolicyId, PolicySet,
    Request, Schema,
};

pub use entities::build_entities;
pub use evaluate::{unknown, Unknown, Verdict};
pub use load::{load, LoadError};
pub use reload::{LivePolicies, Reloaded};
pub use request::{CheckBody, CheckRequest, Consistency, EntityRef};
pub use sample::SAMPLE_ID;
pub use sources::{PolicyFile, PolicyOrigin};

/// In the OpenAPI document, a grant name: `/openapi.json` lists the grants the loaded schema
/// declares, so the document follows the policies without a rebuild.
pub struct GrantName;

/// In the OpenAPI document, an action id: `/openapi.json` lists the loaded schema's actions.
pub struct ActionName;

macro_rules! open_string_schema {
    ($name:ident) => {
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::Type::String)
                    .into()
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}
open_string_schema!(GrantName);
open_string_schema!(ActionName);

impl PolicyBundle {
    /// Every requestable action id, sorted.
    pub fn action_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.actions.keys().map(String::as_str).collect();
        ids.sort_unstable();
        ids
    }
}

/// Builds the per-action policy subsets and action entities.
fn index_by_action(
    schema: &Schema,
    policies: &PolicySet,
    types: &CoreTypes,
    actions: &HashMap<String, (EntityUid, HashSet<EntityTypeName>)>,
) -> Result<HashMap<EntityUid, ActionIndex>, String> {
    let action_entities = schema.action_entities().map_err(|e| e.to_string())?;
    let probe =
        EntityUid::from_type_name_and_id(types.user.clone(), cedar_policy::EntityId::new("probe"));
    let mut index = HashMap::new();
    for (uid, resource_types) in actions.values() {
        let groups: HashSet<EntityUid> = action_entities
            .ancestors(uid)
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        let applies = |p: &cedar_policy::Policy| match p.action_constraint() {
            ActionConstraint::Any => true,
            ActionConstraint::Eq(a) => &a == uid,
            ActionConstraint::In(list) => list.iter().any(|g| g == uid || groups.contains(g)),
        };
        let subset = PolicySet::from_policies(policies.policies().filter(|p| applies(p)).cloned())
            .map_err(|e| e.to_string())?;
        let mut by_types = HashMap::new();
        for env in schema.request_envs().filter(|env| env.action() == uid) {
            let types = (env.principal().clone(), env.resource().clone());
            let matching = subset
                .policies()
                .filter(|p| scope_may_match(p, &types.0, &types.1))
                .cloned();
            let matching = PolicySet::from_policies(matching).map_err(|e| e.to_string())?;
            by_types.insert(types, matching);
        }
        let resource = resource_types.iter().next().map(|ty| {
            EntityUid::from_type_name_and_id(ty.clone(), cedar_policy::EntityId::new("probe"))
        });
        let empty_context_ok = resource.is_some_and(|r| {
            Request::new(
                probe.clone(),
                uid.clone(),
                r,
                Context::empty(),
                Some(schema),
            )
            .is_ok()
        });
        let entity = Entity::new_no_attrs(uid.clone(), groups);
        index.insert(
            uid.clone(),
            ActionIndex {
                written: symmetry::WrittenIds::of(&subset),
                policies: subset,
                by_types,
                entity,
                empty_context_ok,
            },
        );
    }
    Ok(index)
}

/// Whether a policy's principal and resource scope can match a request with these types.
fn scope_may_match(
    policy: &cedar_policy::Policy,
    principal: &EntityTypeName,
    resource: &EntityTypeName,
) -> bool {
    use cedar_policy::{PrincipalConstraint as P, ResourceConstraint as R};
    let principal_ok = match policy.principal_constraint() {
        P::Any | P::In(_) => true,
        P::Eq(uid) => uid.type_name() == principal,
        P::Is(ty) | P::IsIn(ty, _) => &ty == principal,
    };
    let resource_ok = match policy.resource_constraint() {
        R::Any | R::In(_) => true,
        R::Eq(uid) => uid.type_name() == resource,
        R::Is(ty) | R::IsIn(ty, _) => &ty == resource,
    };
    principal_ok && resource_ok
}

/// Entity types whose facts Portier keeps; a caller may never supply entities of these types.
pub const STORE_OWNED_TYPES: [&str; 7] = [
    "User",
    "Account",
    "Service",
    "Invitation",
    "Contact",
    "Staff",
    "Grant",
];

/// The entity types Portier's code builds, parsed once.
#[derive(Debug, Clone)]
pub struct CoreTypes {
    /// Principals: people who log in.
    pub user: EntityTypeName,
    /// The billed customer.
    pub account: EntityTypeName,
    /// Products with assignees.
    pub service: EntityTypeName,
    /// Invitations to join an account.
    pub invitation: EntityTypeName,
    /// People who get mail but cannot log in.
    pub contact: EntityTypeName,
    /// Hosting staff.
    pub staff: EntityTypeName,
    /// The grant enum.
    pub grant: EntityTypeName,
}

/// A validated policy set with its schema and what Portier derives from them.
/// Immutable: a reload builds a new bundle and swaps it in whole.
pub struct PolicyBundle {
    schema: Schema,
    policies: PolicySet,
    revision: String,
    grants: BTreeSet<String>,
    /// Action id → the context attributes the schema declares for it.
    context_keys: context::ContextKeys,
    types: CoreTypes,
    /// Action id (`payInvoice`) → its uid and the resource types it applies to.
    actions: HashMap<String, (EntityUid, HashSet<EntityTypeName>)>,
    /// Resource type → actions a `User` may be asked about on it (for allowed-actions).
    actions_by_resource: HashMap<EntityTypeName, Vec<EntityUid>>,
    /// Types that belong to an account (the Account type itself and its children).
    account_scoped: HashSet<EntityTypeName>,
    forbids: HashSet<PolicyId>,
    /// Per action: only the policies whose action scope can match it, and the action's own
    /// entity with its groups. Evaluating the subset gives the same answer as the whole set
    /// (a policy whose scope does not match is never satisfied and never errors), faster.
    by_action: HashMap<EntityUid, ActionIndex>,
    /// Declared entity types by name, so requests need not run the Cedar parser.
    type_names: HashMap<String, EntityTypeName>,
    /// The files the set was loaded from, and where each policy starts in them.
    sources: Arc<sources::Sources>,
}

/// What the evaluation of one action needs from the policy set.
struct ActionIndex {
    policies: PolicySet,
    /// By (principal type, resource type) of the schema's requests: only the policies whose
    /// scope can match such a request (the others are never satisfied and never error).
    by_types: HashMap<(EntityTypeName, EntityTypeName), PolicySet>,
    entity: Entity,
    /// An empty context is valid for this action (no probe request needed).
    empty_context_ok: bool,
    /// The entity ids written in `policies`.
    written: symmetry::WrittenIds,
}

impl PolicyBundle {
    fn new(
        schema: Schema,
        policies: PolicySet,
        revision: String,
        grants: BTreeSet<String>,
        context_keys: context::ContextKeys,
    ) -> Result<Self, String> {
        let declared: HashSet<&EntityTypeName> = schema.entity_types().collect();
        let parse = |name: &str| -> Result<EntityTypeName, String> {
            let ty = EntityTypeName::from_str(name).map_err(|e| e.to_string())?;
            if declared.contains(&ty) {
                Ok(ty)
            } else {
                Err(format!(
                    "schemas: Portier needs the entity type `{name}` to be declared"
                ))
            }
        };
        let types = CoreTypes {
            user: parse("User")?,
            account: parse("Account")?,
            service: parse("Service")?,
            invitation: parse("Invitation")?,
            contact: parse("Contact")?,
            staff: parse("Staff")?,
            grant: parse("Grant")?,
        };
        let mut actions: HashMap<String, (EntityUid, HashSet<EntityTypeName>)> = HashMap::new();
        let mut actions_by_resource: HashMap<EntityTypeName, Vec<EntityUid>> = HashMap::new();
        for env in schema.request_envs() {
            let entry = actions
                .entry(env.action().id().unescaped().to_owned())
                .or_insert_with(|| (env.action().clone(), HashSet::new()));
            entry.1.insert(env.resource().clone());
            if env.principal() == &types.user {
                actions_by_resource
                    .entry(env.resource().clone())
                    .or_default()
                    .push(env.action().clone());
            }
        }
        for list in actions_by_resource.values_mut() {
            list.sort_by(|a, b| a.id().unescaped().cmp(b.id().unescaped()));
            list.dedup();
        }
        let account_scoped = declared
            .iter()
            .filter(|ty| {
                **ty == &types.account
                    || schema
                        .ancestors(ty)
                        .is_some_and(|mut a| a.any(|p| p == &types.account))
            })
            .map(|ty| (*ty).clone())
            .collect();
        let forbids = policies
            .policies()
            .filter(|p| p.effect() == Effect::Forbid)
            .map(|p| p.id().clone())
            .collect();
        let by_action = index_by_action(&schema, &policies, &types, &actions)?;
        let type_names = declared
            .iter()
            .map(|ty| (ty.to_string(), (*ty).clone()))
            .collect();
        Ok(PolicyBundle {
            schema,
            policies,
            revision,
            grants,
            context_keys,
            types,
            actions,
            actions_by_resource,
            account_scoped,
            forbids,
            by_action,
            type_names,
            sources: Arc::default(),
        })
    }

    /// The context attributes the schema declares for the action `action_id`, when known.
    pub fn context_keys(&self, action_id: &str) -> Option<&BTreeSet<String>> {
        self.context_keys.get(action_id)
    }

    /// The policies that can apply to `action` (all of them for an unknown action).
    pub fn policies_for(&self, action: &EntityUid) -> &PolicySet {
        self.by_action
            .get(action)
            .map_or(&self.policies, |index| &index.policies)
    }

    /// The policies that can apply to a request: those of its action whose scope can match
    /// its principal's and resource's types.
    pub fn policies_for_request(&self, request: &Request) -> &PolicySet {
        let (Some(action), Some(principal), Some(resource)) =
            (request.action(), request.principal(), request.resource())
        else {
            return &self.policies;
        };
        let Some(index) = self.by_action.get(action) else {
            return &self.policies;
        };
        let types = (principal.type_name().clone(), resource.type_name().clone());
        index.by_types.get(&types).unwrap_or(&index.policies)
    }

    /// The entity ids written in the policies of `action` (`None`: unknown action).
    fn written_ids(&self, action: &EntityUid) -> Option<&symmetry::WrittenIds> {
        self.by_action.get(action).map(|index| &index.written)
    }

    /// The action's entity, with its groups as parents.
    pub fn action_entity(&self, action: &EntityUid) -> Option<&Entity> {
        self.by_action.get(action).map(|index| &index.entity)
    }

    /// Whether an empty context is valid for `action`.
    pub fn empty_context_ok(&self, action: &EntityUid) -> bool {
        self.by_action
            .get(action)
            .is_some_and(|index| index.empty_context_ok)
    }

    /// A declared entity type by name.
    pub fn type_named(&self, name: &str) -> Option<&EntityTypeName> {
        self.type_names.get(name)
    }

    /// The content hash of the files this bundle was loaded from.
    pub fn revision(&self) -> &str {
        &self.revision
    }

    /// The schema, for building entities and requests.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The policies, renamed to their `@id`s.
    pub fn policies(&self) -> &PolicySet {
        &self.policies
    }

    /// The core entity types.
    pub fn types(&self) -> &CoreTypes {
        &self.types
    }

    /// The grants the schema declares (the values of `entity Grant enum`).
    pub fn grants(&self) -> &BTreeSet<String> {
        &self.grants
    }

    /// Checks each grant against the schema; a `400` names the first unknown one (`grants[i]`).
    pub fn check_grants(&self, grants: &[String]) -> crate::Result<()> {
        match grants.iter().position(|g| !self.grants.contains(g)) {
            None => Ok(()),
            Some(i) => {
                let declared = self.grants.iter().cloned().collect::<Vec<_>>().join(", ");
                let message = format!(
                    "unknown grant {:?}; the schema declares: {declared}",
                    grants[i]
                );
                Err(crate::Error::bad_field(format!("grants[{i}]"), message))
            }
        }
    }

    /// The action with this id, if the schema declares it as a requestable action (not a group).
    pub fn action(&self, id: &str) -> Option<&(EntityUid, HashSet<EntityTypeName>)> {
        self.actions.get(id)
    }

    /// Actions a user may be asked about on this resource type, sorted by name.
    pub fn actions_for_resource(&self, ty: &EntityTypeName) -> &[EntityUid] {
        self.actions_by_resource.get(ty).map_or(&[], Vec::as_slice)
    }

    /// The first action (by name) that applies to the named resource type, if any.
    pub fn first_action_for(&self, name: &str) -> Option<String> {
        let ty = EntityTypeName::from_str(name).ok()?;
        self.actions_for_resource(&ty)
            .first()
            .map(|a| a.id().unescaped().to_owned())
    }

    /// Whether entities of this type belong to an account (so a check needs the account).
    pub fn is_account_scoped(&self, ty: &EntityTypeName) -> bool {
        self.account_scoped.contains(ty)
    }

    /// Whether the schema declares this entity type.
    pub fn declares(&self, ty: &EntityTypeName) -> bool {
        self.schema.entity_types().any(|t| t == ty)
    }

    /// Whether a policy is a `forbid` (its errors make the answer deny: fail closed).
    fn is_forbid(&self, id: &PolicyId) -> bool {
        self.forbids.contains(id)
    }
}
