//! Membership shapes: the memberships grouped by everything a policy can see of them (owner
//! or not, role, grants with those of the roles named, the user's and the account's status,
//! the account's second-factor requirement, expired or not), counted, with one sample each.
//! A shape is seen from within the account's allowed networks (the network a member acts
//! from is the request's, not the membership's). `portier diff --database-url` evaluates each shape once instead of every
//! member, so its cost follows the number of distinct shapes, not the number of people.
//!
//! A shape turns into the same [`CheckFacts`] a check of its sample reads ([`MembershipShape::facts`],
//! through the constructors the check's own read uses), so what a shape is allowed is what
//! `portier check` answers for each of its members.

use super::{json_list, Store};
use crate::domain::{stored_roles, AccountFacts, CheckFacts, MembershipFacts, Roles, UserFacts};
use crate::error::Result;

/// One group of memberships that every policy sees alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipShape {
    /// The user owns the account.
    pub owner: bool,
    /// `admin` or `member`.
    pub role: String,
    /// Grants held, its own and its account-defined roles', sorted.
    pub grants: Vec<String>,
    /// The preset roles it names, sorted.
    pub preset_roles: Vec<String>,
    /// `invited`, `active` or `suspended`.
    pub user_status: String,
    /// `active` or `closed`.
    pub account_status: String,
    /// The account's second-factor requirement.
    pub require_mfa: String,
    /// A time-limited membership that has run out (never the owner's).
    pub expired: bool,
    /// How many memberships have this shape.
    pub members: i64,
    /// One of them: `(user id, account id)`.
    pub sample: (String, String),
}

#[derive(sqlx::FromRow)]
struct ShapeRow {
    owner: i32,
    role: String,
    grants: String,
    member_roles: String,
    account_roles: Option<String>,
    user_status: String,
    account_status: String,
    require_mfa: String,
    expired: i32,
    members: i64,
    /// `account user`: ids hold no whitespace, so one space separates a real pair.
    sample: String,
}

impl Store {
    /// Every membership shape with its count, in one grouped query.
    pub async fn membership_shapes(&self) -> Result<Vec<MembershipShape>> {
        self.bounded(async {
            let rows = sqlx::query_as::<_, ShapeRow>(
                "select case when a.owner_id = m.user_id then 1 else 0 end as owner, m.role, m.grants, \
                        m.roles as member_roles, case when m.roles <> '[]' then a.roles end as account_roles, \
                        u.status as user_status, a.status as account_status, a.require_mfa, \
                        case when m.expires_at <= $1 and a.owner_id <> m.user_id then 1 else 0 end as expired, \
                        count(*) as members, min(m.account_id || ' ' || m.user_id) as sample \
                 from membership m \
                 join account a on a.account_id = m.account_id \
                 join app_user u on u.user_id = m.user_id \
                 group by case when a.owner_id = m.user_id then 1 else 0 end, m.role, m.grants, m.roles, \
                          case when m.roles <> '[]' then a.roles end, u.status, a.status, a.require_mfa, \
                          case when m.expires_at <= $1 and a.owner_id <> m.user_id then 1 else 0 end",
            )
            .bind(self.now())
            .fetch_all(&self.pool)
            .await?;
            let mut shapes: Vec<MembershipShape> = Vec::with_capacity(rows.len());
            for row in rows {
                let account_roles = row.account_roles.as_deref().map(stored_roles);
                let membership = MembershipFacts::new(
                    row.owner == 1,
                    &row.role,
                    json_list(&row.grants),
                    &json_list(&row.member_roles),
                    &account_roles.unwrap_or_default(),
                    false,
                );
                let shape = MembershipShape {
                    owner: row.owner == 1,
                    role: row.role,
                    grants: membership.grants,
                    preset_roles: membership.preset_roles,
                    user_status: row.user_status,
                    account_status: row.account_status,
                    require_mfa: row.require_mfa,
                    expired: row.expired == 1,
                    members: row.members,
                    sample: split_sample(&row.sample),
                };
                // The same grants written in another order, or given by a role, are the same shape.
                match shapes.iter_mut().find(|s| s.same_shape(&shape)) {
                    Some(known) => known.members += shape.members,
                    None => shapes.push(shape),
                }
            }
            Ok(shapes)
        })
        .await
    }
}

fn split_sample(text: &str) -> (String, String) {
    let (account, user) = text.split_once(' ').unwrap_or((text, ""));
    (user.to_owned(), account.to_owned())
}

impl MembershipShape {
    /// The facts a check of this shape's members reads about them and their account, on a
    /// resource of the account that needs no row of its own (no assignees, no email).
    pub fn facts(&self) -> CheckFacts {
        let membership = MembershipFacts::new(
            self.owner,
            &self.role,
            self.grants.clone(),
            &self.preset_roles,
            &Roles::new(),
            self.expired,
        );
        CheckFacts {
            user: Some(UserFacts::new(
                &self.user_status,
                String::new(),
                Some(membership),
            )),
            account: Some(AccountFacts::new(
                &self.account_status,
                &self.require_mfa,
                "[]",
            )),
            ..CheckFacts::found()
        }
    }

    /// Whether two shapes are seen alike by every policy: all they hold but the count and
    /// the sample. Destructured, so a fact added to the shape cannot be left out here.
    fn same_shape(&self, other: &MembershipShape) -> bool {
        let MembershipShape {
            owner,
            role,
            grants,
            preset_roles,
            user_status,
            account_status,
            require_mfa,
            expired,
            members: _,
            sample: _,
        } = self;
        (
            (owner, role, grants, preset_roles),
            (user_status, account_status, require_mfa, expired),
        ) == (
            (
                &other.owner,
                &other.role,
                &other.grants,
                &other.preset_roles,
            ),
            (
                &other.user_status,
                &other.account_status,
                &other.require_mfa,
                &other.expired,
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(expired: bool) -> MembershipShape {
        MembershipShape {
            owner: false,
            role: "member".into(),
            grants: vec!["billing".into()],
            preset_roles: Vec::new(),
            user_status: "active".into(),
            account_status: "active".into(),
            require_mfa: "none".into(),
            expired,
            members: 1,
            sample: ("u2".into(), "a1".into()),
        }
    }

    #[test]
    fn an_expired_and_an_active_membership_are_two_shapes() {
        assert!(!shape(true).same_shape(&shape(false)));
        assert!(shape(true).same_shape(&MembershipShape {
            members: 7,
            sample: ("u3".into(), "a2".into()),
            ..shape(true)
        }));
    }

    #[test]
    fn an_expired_shape_has_the_facts_of_an_expired_membership() {
        let facts = shape(true).facts();
        let membership = facts.user.and_then(|u| u.membership).unwrap();
        assert!(membership.expired && membership.grants.is_empty() && !membership.admin);
        assert_eq!(
            shape(false)
                .facts()
                .user
                .unwrap()
                .membership
                .unwrap()
                .grants,
            ["billing"]
        );
        assert!(shape(false).facts().resource_found);
    }
}
