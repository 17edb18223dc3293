//! The reads behind the AuthZEN search endpoints: who may be asked about on an account, and
//! which stored resources a user could reach. They only list candidates; every candidate is
//! then decided through the one check pipeline, so nothing here grants anything.
//!
//! Each read is bounded by [`MAX_CANDIDATES`], so a search costs at most that many checks.

use super::Store;
use crate::domain::{AccountId, UserId};
use crate::error::Result;

/// Most candidates one search considers.
pub const MAX_CANDIDATES: i64 = 10_000;

/// A kind of stored resource a user can be asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reachable {
    /// Accounts the user is a member of (owner included).
    Accounts,
    /// Services with at least one assignee, in those accounts.
    Services,
    /// Pending, unexpired invitations of those accounts or to the user's email.
    Invitations,
    /// Contacts of those accounts.
    Contacts,
}

/// A stored resource: the account it belongs to and its id (the same for an account).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    /// The account the resource belongs to.
    pub account: String,
    /// The resource's id.
    pub id: String,
}

impl Store {
    /// The owner and members of an account, sorted; empty for an unknown account.
    pub async fn account_member_ids(&self, account: &AccountId) -> Result<Vec<String>> {
        self.bounded(async {
            let sql = "select user_id from membership where account_id = $1 \
                       union select owner_id from account where account_id = $2 \
                       order by 1 limit $3";
            let rows: Vec<(String,)> = sqlx::query_as(sql)
                .bind(account.as_str())
                .bind(account.as_str())
                .bind(MAX_CANDIDATES)
                .fetch_all(&self.pool)
                .await?;
            Ok(rows.into_iter().map(|(id,)| id).collect())
        })
        .await
    }

    /// Resources of one kind that `user` could be allowed on, sorted by account then id.
    pub async fn reachable(&self, user: &UserId, kind: Reachable) -> Result<Vec<Candidate>> {
        self.bounded(async {
            let mine = "select account_id from membership where user_id = $1";
            let sql = match kind {
                Reachable::Accounts => {
                    "select account_id, account_id from membership where user_id = $1 \
                     order by 1 limit $2"
                        .to_owned()
                }
                Reachable::Services => format!(
                    "select distinct account_id, service_id from service_assignment \
                     where account_id in ({mine}) order by 1, 2 limit $2"
                ),
                Reachable::Contacts => format!(
                    "select account_id, contact_id from contact \
                     where account_id in ({mine}) order by 1, 2 limit $2"
                ),
                // The invitee is not a member yet: invitations to the user's email count too.
                Reachable::Invitations => format!(
                    "select account_id, invitation_id from invitation \
                     where state = 'pending' and expires_at > $3 \
                     and (account_id in ({mine}) \
                          or email = (select email from app_user where user_id = $1)) \
                     order by 1, 2 limit $2"
                ),
            };
            let query = sqlx::query_as(&sql)
                .bind(user.as_str())
                .bind(MAX_CANDIDATES);
            let query = match kind {
                Reachable::Invitations => query.bind(self.now()),
                _ => query,
            };
            let rows: Vec<(String, String)> = query.fetch_all(&self.pool).await?;
            Ok(rows
                .into_iter()
                .map(|(account, id)| Candidate { account, id })
                .collect())
        })
        .await
    }
}
