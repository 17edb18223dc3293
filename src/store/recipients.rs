//! Mail candidates: who opted into a topic's mail for an account — the contacts, and the
//! members (owner included). Which members receive it is the policies' call (the action
//! `receive<Topic>Mail`, asked by the use case); this file only reads who opted in.

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
    topics: String,
}

/// Who opted into a topic: contacts first, then members by user id.
#[derive(Debug, Clone, Default)]
pub struct MailCandidates {
    pub contacts: Vec<Recipient>,
    pub members: Vec<Recipient>,
}

impl Store {
    /// The contacts and the members of an account who opted into `topic`'s mail.
    pub async fn mail_candidates(
        &self,
        account: &AccountId,
        topic: Topic,
    ) -> Result<MailCandidates> {
        self.bounded(async {
            let contacts = self.contacts(account).await?;
            let members = sqlx::query_as::<_, MemberMailRow>(
                "select u.user_id, u.display_name, coalesce(u.notification_email, u.email) as email, m.topics \
                 from membership m join app_user u on u.user_id = m.user_id \
                 where m.account_id = $1 order by u.user_id",
            )
            .bind(account.as_str())
            .fetch_all(&self.pool)
            .await?;
            let wants = |topics: &[String]| topics.iter().any(|t| t == topic.as_str());
            Ok(MailCandidates {
                contacts: contacts
                    .into_iter()
                    .filter(|c| wants(&c.preferences))
                    .map(|c| Recipient { kind: "contact", id: c.id, name: c.name, email: c.email })
                    .collect(),
                members: members
                    .into_iter()
                    .filter(|m| wants(&json_list(&m.topics)))
                    .map(|m| Recipient { kind: "member", id: m.user_id, name: m.display_name, email: m.email })
                    .collect(),
            })
        })
        .await
    }
}
