//! The impact of a policy change on stored data: which members gain or lose which actions.
//! Members are read as shapes (owner or not, role, grants, user and account status, counted
//! by the database); each shape is evaluated once per action under the old and the new set,
//! on a resource of the shape's own account. Cost follows the number of shapes, not members.
//!
//! Covered: the actions a member takes on their account and what belongs to it (invoices,
//! orders, contacts, services). Not covered: service assignments (a service is evaluated with
//! no assignees), invitations (they depend on an email) and actions on user records.

use std::collections::{BTreeMap, BTreeSet};

use cedar_policy::{
    Context, Entities, Entity, EntityId, EntityTypeName, EntityUid, Request,
    RestrictedExpression as Expr,
};
use serde::Serialize;

use crate::authz::PolicyBundle;
use crate::store::MembershipShape;

/// What changes for one shape of membership.
#[derive(Debug, Clone, Serialize)]
pub struct ShapeImpact {
    /// `owner`, `admin` or `member`.
    pub role: String,
    /// Grants held.
    pub grants: Vec<String>,
    /// The user's status.
    pub user_status: String,
    /// The account's status.
    pub account_status: String,
    /// Whether the membership has run out.
    pub expired: bool,
    /// How many memberships have this shape.
    pub members: i64,
    /// One of them: user and account ids.
    pub sample_user: String,
    /// The sample's account.
    pub sample_account: String,
    /// Actions the new set allows and the old did not.
    pub gains: Vec<String>,
    /// Actions the old set allowed and the new does not.
    pub losses: Vec<String>,
}

/// The impact over the whole store.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Impact {
    /// Memberships read.
    pub members: i64,
    /// Distinct shapes evaluated.
    pub shapes: usize,
    /// Shapes whose allowed actions change, largest first.
    pub changed: Vec<ShapeImpact>,
    /// Per action: how many memberships gain it.
    pub gains_by_action: BTreeMap<String, i64>,
    /// Per action: how many memberships lose it.
    pub losses_by_action: BTreeMap<String, i64>,
    /// Seconds spent reading the shapes from the database.
    pub read_seconds: f64,
    /// Seconds spent evaluating them.
    pub evaluate_seconds: f64,
}

/// Evaluates every shape under both sets. Fails (rather than counting a deny) when a shape
/// cannot be built as entities the schema accepts: the report would silently be wrong.
pub fn impact(
    old: &PolicyBundle,
    new: &PolicyBundle,
    shapes: &[MembershipShape],
) -> Result<Impact, String> {
    let started = std::time::Instant::now();
    let mut report = Impact {
        shapes: shapes.len(),
        ..Impact::default()
    };
    for shape in shapes {
        report.members += shape.members;
        let before = allowed(old, shape).map_err(|e| format!("the old set: {e}"))?;
        let after = allowed(new, shape).map_err(|e| format!("the new set: {e}"))?;
        let gains: Vec<String> = after.difference(&before).cloned().collect();
        let losses: Vec<String> = before.difference(&after).cloned().collect();
        if gains.is_empty() && losses.is_empty() {
            continue;
        }
        for action in &gains {
            *report.gains_by_action.entry(action.clone()).or_default() += shape.members;
        }
        for action in &losses {
            *report.losses_by_action.entry(action.clone()).or_default() += shape.members;
        }
        report.changed.push(ShapeImpact {
            role: role_of(shape).to_owned(),
            grants: shape.grants.clone(),
            user_status: shape.user_status.clone(),
            account_status: shape.account_status.clone(),
            expired: shape.expired,
            members: shape.members,
            sample_user: shape.sample.0.clone(),
            sample_account: shape.sample.1.clone(),
            gains,
            losses,
        });
    }
    report.changed.sort_by_key(|s| std::cmp::Reverse(s.members));
    report.evaluate_seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

fn role_of(shape: &MembershipShape) -> &str {
    if shape.owner {
        "owner"
    } else {
        &shape.role
    }
}

/// The actions `bundle` allows to a member of this shape, on their own account's resources.
fn allowed(bundle: &PolicyBundle, shape: &MembershipShape) -> Result<BTreeSet<String>, String> {
    let mut allowed = BTreeSet::new();
    for action_id in bundle.action_ids() {
        let Some((action, resource_types)) = bundle.action(action_id) else {
            continue;
        };
        let Some(resource_type) = probe_type(bundle, resource_types) else {
            continue;
        };
        let (request, entities) = probe(bundle, shape, action, resource_type)
            .map_err(|e| format!("{action_id} on {resource_type}: {e}"))?;
        if bundle.evaluate(&request, &entities).allow {
            allowed.insert(action_id.to_owned());
        }
    }
    Ok(allowed)
}

const NO_TAGS: [(String, Expr); 0] = [];

/// The resource type to try an action on: the account itself when it applies, else the
/// first type (by name) that belongs to an account and does not depend on an email.
fn probe_type<'a>(
    bundle: &PolicyBundle,
    types: &'a std::collections::HashSet<EntityTypeName>,
) -> Option<&'a EntityTypeName> {
    let core = bundle.types();
    if let Some(account) = types.iter().find(|t| **t == core.account) {
        return Some(account);
    }
    let mut scoped: Vec<&EntityTypeName> = types
        .iter()
        .filter(|t| bundle.is_account_scoped(t) && **t != core.invitation)
        .collect();
    scoped.sort_by_key(|t| t.to_string());
    scoped.first().copied()
}

/// The request and entities for one shape, action and resource type, as the schema demands.
fn probe(
    bundle: &PolicyBundle,
    shape: &MembershipShape,
    action: &EntityUid,
    resource_type: &EntityTypeName,
) -> Result<(Request, Entities), String> {
    let types = bundle.types();
    let (user_id, account_id) = &shape.sample;
    let account =
        EntityUid::from_type_name_and_id(types.account.clone(), EntityId::new(account_id));
    let user = EntityUid::from_type_name_and_id(types.user.clone(), EntityId::new(user_id));
    let this_account = |yes: bool| {
        Expr::new_set(
            [account.clone()]
                .into_iter()
                .filter(|_| yes)
                .map(Expr::new_entity_uid),
        )
    };
    let grants = shape
        .grants
        .iter()
        .filter(|g| bundle.grants().contains(*g))
        .map(|g| {
            Expr::new_entity_uid(EntityUid::from_type_name_and_id(
                types.grant.clone(),
                EntityId::new(g),
            ))
        });
    let admin = !shape.owner && shape.role == "admin";
    let user_entity = Entity::new_with_tags(
        user.clone(),
        [
            (
                "active".to_owned(),
                Expr::new_bool(shape.user_status == "active"),
            ),
            (
                "suspended".to_owned(),
                Expr::new_bool(shape.user_status == "suspended"),
            ),
            ("email".to_owned(), Expr::new_string(String::new())),
            ("ownerOf".to_owned(), this_account(shape.owner)),
            ("adminOf".to_owned(), this_account(admin)),
            ("expiredIn".to_owned(), this_account(shape.expired)),
        ],
        [],
        [(account_id.clone(), Expr::new_set(grants))],
    )
    .map_err(|e| e.to_string())?;
    let account_entity = Entity::new_with_tags(
        account.clone(),
        [
            ("accountId".to_owned(), Expr::new_string(account_id.clone())),
            (
                "active".to_owned(),
                Expr::new_bool(shape.account_status == "active"),
            ),
        ],
        [],
        NO_TAGS,
    )
    .map_err(|e| e.to_string())?;
    let mut entities = vec![user_entity, account_entity];
    let resource = if resource_type == &types.account {
        account.clone()
    } else {
        let uid = EntityUid::from_type_name_and_id(resource_type.clone(), EntityId::new("probe"));
        let mut attrs = vec![
            ("accountId".to_owned(), Expr::new_string(account_id.clone())),
            ("account".to_owned(), Expr::new_entity_uid(account.clone())),
        ];
        if resource_type == &types.service {
            attrs.push(("assignees".to_owned(), Expr::new_set([])));
        }
        let resource = Entity::new_with_tags(uid.clone(), attrs, [account.clone()], NO_TAGS);
        entities.push(resource.map_err(|e| e.to_string())?);
        uid
    };
    let schema = bundle.schema();
    let entities = Entities::from_entities(entities, Some(schema)).map_err(|e| e.to_string())?;
    let request = Request::new(
        user,
        action.clone(),
        resource,
        Context::empty(),
        Some(schema),
    )
    .map_err(|e| e.to_string())?;
    Ok((request, entities))
}
