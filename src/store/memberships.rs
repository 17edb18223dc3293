//! Table `membership`: a user's role, grants and named roles on one account.

use serde_json::json;

use super::audit::{record, Change};
use super::contacts::topics_json;
use super::guard::Authorized;
use super::invitations::supersede_invitations;
use super::revisions::{Revisioned, Written};
use super::roles::roles_in;
use super::{json_list, Lockable, Store, WriteTx};
use crate::domain::{AccountId, Role, RoleName, Roles, Timestamp, Topic, UserId};
use crate::error::{Error, Result};

/// A member of an account, as shown.
// Serialized only into the audit trail's `before`/`after`; the API has its own types.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MemberRecord {
    /// The member's user id.
    pub user_id: String,
    /// Login email.
    pub email: String,
    /// Name shown to others.
    pub display_name: String,
    /// The user's status.
    pub status: String,
    /// `owner`, `admin` or `member`.
    pub role: String,
    /// Grants held on this account by the membership itself (the owner and admins
    /// implicitly hold all).
    pub grants: Vec<String>,
    /// Roles named: the account's own or presets; their grants add to `grants`.
    pub roles: Vec<String>,
    /// Mail topics the member opted into for this account.
    pub preferences: Vec<String>,
    /// When the membership ends by itself; absent: until removed (always for the owner).
    pub expires_at: Option<Timestamp>,
}

#[derive(sqlx::FromRow)]
pub(super) struct MemberRow {
    user_id: String,
    email: String,
    display_name: String,
    status: String,
    role: String,
    grants: String,
    roles: String,
    topics: String,
    expires_at: Option<i64>,
}

impl From<MemberRow> for MemberRecord {
    fn from(row: MemberRow) -> Self {
        MemberRecord {
            user_id: row.user_id,
            email: row.email,
            display_name: row.display_name,
            status: row.status,
            role: row.role,
            grants: json_list(&row.grants),
            roles: json_list(&row.roles),
            preferences: json_list(&row.topics),
            expires_at: row.expires_at.map(Timestamp::from),
        }
    }
}

pub(super) const SELECT_MEMBER: &str = "select u.user_id, u.email, u.display_name, u.status, \
        case when a.owner_id = m.user_id then 'owner' else m.role end as role, m.grants, m.roles, m.topics, m.expires_at \
     from membership m join app_user u on u.user_id = m.user_id join account a on a.account_id = m.account_id";

/// A membership as the owner sets it: a PUT replaces all of it.
#[derive(Debug, Clone)]
pub struct MembershipChange {
    /// `admin` or `member`.
    pub role: Role,
    /// Grants, each already checked against the schema.
    pub grants: Vec<String>,
    /// Roles named, each the account's own or a preset (checked in the write, against the
    /// account's roles as they are then and `presets`).
    pub roles: Vec<RoleName>,
    /// When this access ends by itself; `None`: until removed.
    pub expires_at: Option<Timestamp>,
}

impl Store {
    /// The members of an account, owner included; `404` for an unknown account.
    pub async fn members(&self, account: &AccountId) -> Result<Vec<MemberRecord>> {
        self.bounded(async {
            self.account(account)
                .await?
                .ok_or_else(|| Error::NotFound(format!("account {account}")))?;
            let rows = sqlx::query_as::<_, MemberRow>(&format!(
                "{SELECT_MEMBER} where m.account_id = $1 order by u.user_id"
            ))
            .bind(account.as_str())
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.into_iter().map(MemberRecord::from).collect())
        })
        .await
    }

    /// Adds a member or replaces their role, grants, roles and expiry. The owner's
    /// membership is not editable (`409`); a role neither the account nor `presets` defines
    /// is a `400` naming `roles[i]`.
    pub async fn put_member(
        &self,
        auth: &Authorized,
        account: &AccountId,
        user: &UserId,
        change: MembershipChange,
        presets: &Roles,
    ) -> Result<Written<MemberRecord>> {
        super::time::require_future("expires_at", change.expires_at, self.now())?;
        let actor = auth.actor();
        let mut tx = self.begin_guarded(auth, Some(account)).await?;
        let before = member_in(&mut tx, account, user).await?;
        refuse_owner(&before, user)?;
        if !tx.lock(Lockable::User, user.as_str(), false).await? {
            return Err(Error::NotFound(format!("user {user}")));
        }
        let defined = roles_in(&mut tx, account).await?;
        let unknown = change.roles.iter().position(|name| {
            !defined.contains_key(name.as_str()) && !presets.contains_key(name.as_str())
        });
        if let Some(i) = unknown {
            return Err(Error::bad_field(
                format!("roles[{i}]"),
                format!(
                    "{}: neither a role of account {account} nor a preset",
                    change.roles[i]
                ),
            ));
        }
        let mut grants = change.grants;
        grants.sort();
        grants.dedup();
        let mut roles: Vec<&str> = change.roles.iter().map(RoleName::as_str).collect();
        roles.sort();
        roles.dedup();
        let now = self.now();
        sqlx::query(
            "insert into membership (account_id, user_id, role, grants, roles, created_at, updated_at, expires_at) values ($1, $2, $3, $4, $5, $6, $6, $7) \
             on conflict (account_id, user_id) do update set role = excluded.role, grants = excluded.grants, \
             roles = excluded.roles, updated_at = excluded.updated_at, expires_at = excluded.expires_at",
        )
        .bind(account.as_str())
        .bind(user.as_str())
        .bind(change.role.as_str())
        .bind(json!(grants).to_string())
        .bind(json!(roles).to_string())
        .bind(now)
        .bind(change.expires_at.map(Timestamp::millis))
        .execute(&mut *tx)
        .await?;
        let after = member_in(&mut tx, account, user)
            .await?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("membership vanished")))?;
        supersede_invitations(&mut tx, actor, account.as_str(), &after.email).await?;
        let action = if before.is_some() {
            "member.update"
        } else {
            "member.add"
        };
        let change = Change {
            at: self.now(),
            account: Some(account.as_str()),
            actor,
            action,
            target: format!("user:{user}"),
            before: before.map(|b| json!(b)),
            after: Some(json!(after)),
        };
        record(&mut tx, change).await?;
        tx.touch(Revisioned::User(user.to_string()));
        tx.touch(Revisioned::Account(account.to_string()));
        tx.written(after).await
    }

    /// Removes a membership and its service assignments; `404` when not a member, `409` for the owner.
    pub async fn remove_member(
        &self,
        auth: &Authorized,
        account: &AccountId,
        user: &UserId,
    ) -> Result<Written<()>> {
        let actor = auth.actor();
        let mut tx = self.begin_guarded(auth, Some(account)).await?;
        let before = member_in(&mut tx, account, user).await?;
        refuse_owner(&before, user)?;
        let Some(before) = before else {
            return Err(Error::NotFound(format!(
                "member {user} of account {account}"
            )));
        };
        sqlx::query("delete from service_assignment where account_id = $1 and user_id = $2")
            .bind(account.as_str())
            .bind(user.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query("delete from membership where account_id = $1 and user_id = $2")
            .bind(account.as_str())
            .bind(user.as_str())
            .execute(&mut *tx)
            .await?;
        supersede_invitations(&mut tx, actor, account.as_str(), &before.email).await?;
        let change = Change {
            at: self.now(),
            account: Some(account.as_str()),
            actor,
            action: "member.remove",
            target: format!("user:{user}"),
            before: Some(json!(before)),
            after: None,
        };
        record(&mut tx, change).await?;
        tx.touch(Revisioned::User(user.to_string()));
        tx.touch(Revisioned::Account(account.to_string()));
        tx.written(()).await
    }

    /// Sets a member's own mail topics for the account; `404` when not a member.
    pub async fn set_member_topics(
        &self,
        auth: &Authorized,
        account: &AccountId,
        user: &UserId,
        topics: &[Topic],
    ) -> Result<Written<MemberRecord>> {
        let actor = auth.actor();
        let mut tx = self.begin_guarded(auth, Some(account)).await?;
        let before = member_in(&mut tx, account, user)
            .await?
            .ok_or_else(|| Error::NotFound(format!("member {user} of account {account}")))?;
        sqlx::query("update membership set topics = $3, updated_at = $4 where account_id = $1 and user_id = $2")
            .bind(account.as_str())
            .bind(user.as_str())
            .bind(topics_json(topics))
            .bind(self.now())
            .execute(&mut *tx)
            .await?;
        let after = member_in(&mut tx, account, user)
            .await?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("membership vanished")))?;
        let change = Change {
            at: self.now(),
            account: Some(account.as_str()),
            actor,
            action: "member.preferences",
            target: format!("user:{user}"),
            before: Some(json!(before)),
            after: Some(json!(after)),
        };
        record(&mut tx, change).await?;
        tx.written(after).await
    }
}

/// One member, read inside a write transaction; `404` when the account does not exist.
async fn member_in(
    tx: &mut WriteTx,
    account: &AccountId,
    user: &UserId,
) -> Result<Option<MemberRecord>> {
    let exists: Option<(String,)> =
        sqlx::query_as("select account_id from account where account_id = $1")
            .bind(account.as_str())
            .fetch_optional(&mut **tx)
            .await?;
    if exists.is_none() {
        return Err(Error::NotFound(format!("account {account}")));
    }
    let row = sqlx::query_as::<_, MemberRow>(&format!(
        "{SELECT_MEMBER} where m.account_id = $1 and m.user_id = $2"
    ))
    .bind(account.as_str())
    .bind(user.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(MemberRecord::from))
}

fn refuse_owner(member: &Option<MemberRecord>, user: &UserId) -> Result<()> {
    if member.as_ref().is_some_and(|m| m.role == "owner") {
        return Err(Error::Conflict(format!("{user} owns the account: the owner's membership cannot be changed or removed (transfer ownership first)")));
    }
    Ok(())
}
