//! The per-action index of a policy set, built once when it loads: for each action, only the
//! policies whose scope can match it (by principal and resource type too), its entity with
//! its groups, and whether an empty context suits it. Evaluating the subset gives the same
//! answer as the whole set (a policy whose scope does not match is never satisfied and never
//! errors), faster.

use std::collections::{HashMap, HashSet};

use cedar_policy::{
    ActionConstraint, Context, Entity, EntityTypeName, EntityUid, PolicySet, Request, Schema,
};

use super::symmetry;
use super::types::CoreTypes;

/// What the evaluation of one action needs from the policy set.
pub(super) struct ActionIndex {
    pub policies: PolicySet,
    /// By (principal type, resource type) of the schema's requests: only the policies whose
    /// scope can match such a request (the others are never satisfied and never error).
    pub by_types: HashMap<(EntityTypeName, EntityTypeName), PolicySet>,
    pub entity: Entity,
    /// An empty context is valid for this action (no probe request needed).
    pub empty_context_ok: bool,
    /// The entity ids written in `policies`.
    pub written: symmetry::WrittenIds,
}

/// Builds the per-action policy subsets and action entities.
pub(super) fn index_by_action(
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

/// Principal type → resource type → the actions that may be asked about for them, sorted by
/// name (nested, so a lookup borrows both names instead of building a key).
pub(super) type ActionsByPair = HashMap<EntityTypeName, HashMap<EntityTypeName, Vec<EntityUid>>>;

/// Requestable action id → its uid and the resource types it applies to; and the actions by
/// principal and resource type.
pub(super) type Actions = (
    HashMap<String, (EntityUid, HashSet<EntityTypeName>)>,
    ActionsByPair,
);

/// The schema's requestable actions, both ways round.
pub(super) fn actions(schema: &Schema) -> Actions {
    let mut actions: HashMap<String, (EntityUid, HashSet<EntityTypeName>)> = HashMap::new();
    let mut by_pair: ActionsByPair = HashMap::new();
    for env in schema.request_envs() {
        let entry = actions
            .entry(env.action().id().unescaped().to_owned())
            .or_insert_with(|| (env.action().clone(), HashSet::new()));
        entry.1.insert(env.resource().clone());
        by_pair
            .entry(env.principal().clone())
            .or_default()
            .entry(env.resource().clone())
            .or_default()
            .push(env.action().clone());
    }
    for list in by_pair.values_mut().flat_map(HashMap::values_mut) {
        list.sort_by(|a, b| a.id().unescaped().cmp(b.id().unescaped()));
        list.dedup();
    }
    (actions, by_pair)
}

/// The types that belong to an account: the Account type itself and its descendants.
pub(super) fn account_scoped(
    schema: &Schema,
    declared: &HashSet<&EntityTypeName>,
    types: &CoreTypes,
) -> HashSet<EntityTypeName> {
    declared
        .iter()
        .filter(|ty| {
            **ty == &types.account
                || schema
                    .ancestors(ty)
                    .is_some_and(|mut a| a.any(|p| p == &types.account))
        })
        .map(|ty| (*ty).clone())
        .collect()
}
