//! The facts one check needs, read by primary key in one round trip (plus one for a
//! service's assignees), so the cost of a check does not grow with the store.

use super::{grants_from_json, Store};
use crate::domain::{AccountId, Role, UserId};
use crate::error::Result;

/// What the store knows about a check's principal, account and resource.
#[derive(Debug, Clone, Default)]
pub struct CheckFacts {
    /// The principal; `None` when unknown (or not a user).
    pub user: Option<UserFacts>,
    /// The account; `None` when unknown or not involved.
    pub account: Option<AccountFacts>,
    /// Members the resource service is assigned to (services only).
    pub assignees: Vec<String>,
}

/// A user, seen from one account.
#[derive(Debug, Clone)]
pub struct UserFacts {
    /// Status is `active`.
    pub active: bool,
    /// The user's membership in the check's account, if any.
    pub membership: Option<MembershipFacts>,
}

/// A membership, as policies see it.
#[derive(Debug, Clone)]
pub struct MembershipFacts {
    /// The user owns the account.
    pub owner: bool,
    /// The user is an admin (and not the owner).
    pub admin: bool,
    /// Grants held.
    pub grants: Vec<String>,
}

/// An account, as policies see it.
#[derive(Debug, Clone)]
pub struct AccountFacts {
    /// Status is `active`.
    pub active: bool,
}

#[derive(sqlx::FromRow)]
struct FactsRow {
    user_status: Option<String>,
    account_status: Option<String>,
    owner_id: Option<String>,
    role: Option<String>,
    grants: Option<String>,
}

impl Store {
    /// Reads the facts for a check of `user` on `account` (and `service`'s assignees).
    pub async fn check_facts(
        &self,
        user: Option<&UserId>,
        account: Option<&AccountId>,
        service: Option<&str>,
    ) -> Result<CheckFacts> {
        let row = sqlx::query_as::<_, FactsRow>(
            "select u.status as user_status, a.status as account_status, a.owner_id, m.role, m.grants \
             from (select cast($1 as text) as user_id, cast($2 as text) as account_id) q \
             left join app_user u on u.user_id = q.user_id \
             left join account a on a.account_id = q.account_id \
             left join membership m on m.user_id = q.user_id and m.account_id = q.account_id",
        )
        .bind(user.map(UserId::as_str))
        .bind(account.map(AccountId::as_str))
        .fetch_one(&self.pool)
        .await?;
        let assignees = match (account, service) {
            (Some(account), Some(service)) => {
                let rows: Vec<(String,)> = sqlx::query_as("select user_id from service_assignment where account_id = $1 and service_id = $2")
                    .bind(account.as_str())
                    .bind(service)
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map(|(u,)| u).collect()
            }
            _ => Vec::new(),
        };
        let owner = user.is_some() && row.owner_id.as_deref() == user.map(UserId::as_str);
        let membership = row.role.map(|role| MembershipFacts {
            owner,
            admin: !owner && role == Role::Admin.as_str(),
            grants: row
                .grants
                .as_deref()
                .map(grants_from_json)
                .unwrap_or_default(),
        });
        Ok(CheckFacts {
            user: row.user_status.map(|status| UserFacts {
                active: status == "active",
                membership,
            }),
            account: row.account_status.map(|status| AccountFacts {
                active: status == "active",
            }),
            assignees,
        })
    }
}
