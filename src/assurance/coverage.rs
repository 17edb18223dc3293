//! Coverage: which invariants bound each action of the schema, so a reviewer sees the actions
//! no promise speaks about. An invariant *bounds* an action when its scope (principal, action
//! and resource constraints) can match a request with that action in one of the schema's
//! request environments. Only the scope is read, never the conditions: an invariant counts
//! wherever it can apply. Nothing is written per action or per invariant, so a new action or
//! invariant changes the table by itself. `portier verify` prints it in text, JSON, Markdown.

use std::collections::BTreeMap;

use cedar_policy::{
    ActionConstraint, Entities, EntityTypeName, EntityUid, Policy, PrincipalConstraint,
    ResourceConstraint, Schema,
};
use serde::Serialize;

use super::invariants::Invariant;

mod table;

/// One request environment of an action and the invariants whose scope matches it.
#[derive(Debug, Clone, Serialize)]
pub struct EnvironmentCoverage {
    /// The principal type.
    pub principal: String,
    /// The resource type.
    pub resource: String,
    /// Ids of the invariants whose scope matches, in the order they are read.
    pub invariants: Vec<String>,
}

/// One action of the schema and what bounds it.
#[derive(Debug, Clone, Serialize)]
pub struct ActionCoverage {
    /// The action's id (`viewAccount`).
    pub action: String,
    /// Ids of the invariants bounding it in at least one environment, sorted.
    pub invariants: Vec<String>,
    /// Its request environments, each with the invariants bounding it there.
    pub environments: Vec<EnvironmentCoverage>,
}

/// The coverage of a schema's actions by a set of invariants.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// Every action a request can name (and any other action that is not a group), by id.
    pub actions: Vec<ActionCoverage>,
    /// The actions no invariant bounds, in any environment.
    pub unbound_actions: Vec<String>,
    /// The principal types no invariant bounds, with any action.
    pub unbound_principals: Vec<String>,
}

/// A principal or resource constraint of a scope.
enum Slot {
    Any,
    Is(EntityTypeName),
    Eq(EntityUid),
    In(EntityUid),
    IsIn(EntityTypeName, EntityUid),
}

impl Slot {
    fn of_principal(policy: &Policy) -> Slot {
        match policy.principal_constraint() {
            PrincipalConstraint::Any => Slot::Any,
            PrincipalConstraint::Is(t) => Slot::Is(t),
            PrincipalConstraint::Eq(e) => Slot::Eq(e),
            PrincipalConstraint::In(e) => Slot::In(e),
            PrincipalConstraint::IsIn(t, e) => Slot::IsIn(t, e),
        }
    }

    fn of_resource(policy: &Policy) -> Slot {
        match policy.resource_constraint() {
            ResourceConstraint::Any => Slot::Any,
            ResourceConstraint::Is(t) => Slot::Is(t),
            ResourceConstraint::Eq(e) => Slot::Eq(e),
            ResourceConstraint::In(e) => Slot::In(e),
            ResourceConstraint::IsIn(t, e) => Slot::IsIn(t, e),
        }
    }

    /// Whether an entity of type `ty` can satisfy this constraint.
    fn admits(&self, ty: &EntityTypeName, schema: &Schema) -> bool {
        let can_be_in = |ancestor: &EntityTypeName| {
            ty == ancestor
                || schema
                    .ancestors(ty)
                    .is_some_and(|mut a| a.any(|t| t == ancestor))
        };
        match self {
            Slot::Any => true,
            Slot::Is(t) => t == ty,
            Slot::Eq(e) => e.type_name() == ty,
            Slot::In(e) => can_be_in(e.type_name()),
            Slot::IsIn(t, e) => t == ty && can_be_in(e.type_name()),
        }
    }
}

/// Whether the action constraint `constraint` matches `action` (groups followed).
fn admits_action(constraint: &ActionConstraint, action: &EntityUid, groups: &Entities) -> bool {
    match constraint {
        ActionConstraint::Any => true,
        ActionConstraint::Eq(a) => a == action,
        ActionConstraint::In(list) => list
            .iter()
            .any(|g| g == action || groups.is_ancestor_of(g, action)),
    }
}

/// The coverage of every action of `schema` by `invariants`, from their scopes.
pub fn compute(schema: &Schema, invariants: &[Invariant]) -> Coverage {
    let groups = schema
        .action_entities()
        .unwrap_or_else(|_| Entities::empty());
    let scope = |m: &Policy| {
        (
            Slot::of_principal(m),
            m.action_constraint(),
            Slot::of_resource(m),
        )
    };
    let scopes: Vec<_> = invariants
        .iter()
        .map(|i| (&i.id, scope(&i.matcher)))
        .collect();
    let mut by_action: BTreeMap<String, Vec<EnvironmentCoverage>> = BTreeMap::new();
    let grouping: Vec<&EntityUid> = schema.action_groups().collect();
    for action in schema.actions().filter(|a| !grouping.contains(a)) {
        by_action
            .entry(action.id().unescaped().to_owned())
            .or_default();
    }
    for env in schema.request_envs() {
        let invariants = scopes
            .iter()
            .filter(|(_, (p, a, r))| {
                p.admits(env.principal(), schema)
                    && admits_action(a, env.action(), &groups)
                    && r.admits(env.resource(), schema)
            })
            .map(|(id, _)| (*id).clone())
            .collect();
        by_action
            .entry(env.action().id().unescaped().to_owned())
            .or_default()
            .push(EnvironmentCoverage {
                principal: env.principal().to_string(),
                resource: env.resource().to_string(),
                invariants,
            });
    }
    let actions: Vec<ActionCoverage> = by_action
        .into_iter()
        .map(|(action, mut environments)| {
            environments
                .sort_by(|a, b| (&a.principal, &a.resource).cmp(&(&b.principal, &b.resource)));
            let mut invariants: Vec<String> = environments
                .iter()
                .flat_map(|e| e.invariants.clone())
                .collect();
            invariants.sort();
            invariants.dedup();
            ActionCoverage {
                action,
                invariants,
                environments,
            }
        })
        .collect();
    let mut principals: BTreeMap<&str, bool> = BTreeMap::new();
    for env in actions.iter().flat_map(|a| &a.environments) {
        *principals.entry(env.principal.as_str()).or_default() |= !env.invariants.is_empty();
    }
    Coverage {
        unbound_actions: actions
            .iter()
            .filter(|a| a.invariants.is_empty())
            .map(|a| a.action.clone())
            .collect(),
        unbound_principals: principals
            .into_iter()
            .filter(|(_, bound)| !bound)
            .map(|(p, _)| p.to_owned())
            .collect(),
        actions,
    }
}
