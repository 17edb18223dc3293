//! The impact of a policy change on stored data: which members gain or lose which actions.
//! Members are read as shapes (owner or not, role, grants, user and account status, expiry,
//! counted by the database); each shape is evaluated once per action under the old and the
//! new set, on the sample resource of the shape's own account that the console's matrix asks
//! about. Cost follows the number of shapes, not members.
//!
//! A shape is evaluated exactly as a check of its sample member is: the shape's facts
//! ([`MembershipShape::facts`]) and a parsed check go through
//! [`PolicyBundle::evaluate_facts`], so a gain reported here is an allow `portier check`
//! gives under the new set.
//!
//! Covered: the actions a member takes on their account and what belongs to it (invoices,
//! orders, contacts, services). Not covered: service assignments (a service is evaluated with
//! no assignees), invitations (they depend on an email) and actions on user records.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use serde::Serialize;

use crate::authz::{CheckBody, Consistency, EntityRef, PolicyBundle};
use crate::domain::AccountId;
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

/// Evaluates every shape under both sets. Fails (rather than counting a deny) when a shape's
/// check cannot be parsed or its entities built: the report would silently be wrong.
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
    let (user, account) = &shape.sample;
    let account_id = AccountId::from_str(account).map_err(|e| format!("account {account}: {e}"))?;
    let facts = shape.facts();
    let mut allowed = BTreeSet::new();
    for action_id in bundle.action_ids() {
        let Some(resource) = bundle.sample_resource(action_id, &account_id) else {
            continue;
        };
        let body = CheckBody {
            principal: EntityRef::Text(user.clone()),
            action: action_id.to_owned(),
            resource: EntityRef::Typed {
                ty: resource.type_name().to_string(),
                id: resource.id().unescaped().to_owned(),
            },
            account: Some(account.clone()),
            // A shape is seen from within the account's networks (shapes.rs); with a second
            // factor too, so what a policy change does under the requirements shows.
            context: Some(serde_json::Value::Object(
                crate::domain::Session::meeting(&crate::domain::Networks::default()).context(),
            )),
            entities: None,
            consistency: Consistency::Fresh,
        };
        let verdict = bundle
            .parse_check(body)
            .and_then(|request| bundle.evaluate_facts(&request, &facts))
            .map_err(|e| format!("{action_id} on {resource}: {e}"))?;
        if verdict.allow {
            allowed.insert(action_id.to_owned());
        }
    }
    Ok(allowed)
}
