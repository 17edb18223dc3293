//! Recipients: who to mail about a topic for an account, joining the contacts who opted in
//! with the members who opted in, are active and hold the grant the topic needs.

use std::collections::HashSet;

use super::{json_list, Store};
use crate::domain::{AccountId, Topic};
use crate::error::Result;

/// Someone to mail about a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// `contact` or `member`.
    pub kind: &'static str,
    /// Contact id or user id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Address to use (a member's notification email when set).
    pub email: String,
}

#[derive(sqlx::FromRow)]
struct MemberMailRow {
    user_id: String,
    display_name: String,
    email: String,
    status: String,
    role: String,
    grants: String,
    topics: String,
    owner_id: String,
}

impl Store {
    /// Who to mail about `topic` for an account: contacts who opted in, and active members
    /// (owner included) who opted in and hold the grant the topic needs (owner and admins
    /// hold all); a member whose access has run out is none from that instant. One entry per
    /// address, contacts first.
    pub async fn recipients(&self, account: &AccountId, topic: Topic) -> Result<Vec<Recipient>> {
        self.bounded(async {
            let contacts = self.contacts(account).await?;
            let members = sqlx::query_as::<_, MemberMailRow>(
                "select u.user_id, u.display_name, coalesce(u.notification_email, u.email) as email, u.status, m.role, m.grants, m.topics, a.owner_id \
                 from membership m join app_user u on u.user_id = m.user_id join account a on a.account_id = m.account_id \
                 where m.account_id = $1 and (m.expires_at is null or m.expires_at > $2) order by u.user_id",
            )
            .bind(account.as_str())
            .bind(self.now())
            .fetch_all(&self.pool)
            .await?;
            let wants = |topics: &[String]| topics.iter().any(|t| t == topic.as_str());
            let from_contacts = contacts
                .into_iter()
                .filter(|c| wants(&c.preferences))
                .map(|c| Recipient {
                    kind: "contact",
                    id: c.id,
                    name: c.name,
                    email: c.email,
                });
            let from_members = members.into_iter().filter(|m| {
                let all_grants = m.owner_id == m.user_id || m.role == "admin";
                let holds = topic
                    .required_grant()
                    .is_none_or(|g| all_grants || json_list(&m.grants).iter().any(|h| h == g));
                m.status == "active" && holds && wants(&json_list(&m.topics))
            });
            let from_members = from_members.map(|m| Recipient {
                kind: "member",
                id: m.user_id,
                name: m.display_name,
                email: m.email,
            });
            let mut seen = HashSet::new();
            Ok(from_contacts
                .chain(from_members)
                .filter(|r| seen.insert(r.email.to_lowercase()))
                .collect())
        })
        .await
    }
}
