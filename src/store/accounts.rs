//! Table `account`: billed customers, each with exactly one owner.

use serde_json::json;

use super::audit::{record, Change};
use super::guard::Authorized;
use super::revisions::{Revisioned, Written};
use super::Lockable;
use super::{Store, WriteTx};
use crate::domain::{AccountId, AccountStatus, Name, Role, Timestamp, UserId};
use crate::error::{Error, Result};

/// An account as stored and shown.
// Serialized only into the audit trail's `before`/`after`; the API has its own types.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct AccountRecord {
    /// The portal's id.
    #[sqlx(rename = "account_id")]
    pub id: String,
    /// Customer name.
    pub name: String,
    /// `active` or `closed`.
    pub status: String,
    /// The owner's user id.
    pub owner_id: String,
    /// When it was created.
    #[sqlx(try_from = "i64")]
    pub created_at: Timestamp,
    /// When it last changed.
    #[sqlx(try_from = "i64")]
    pub updated_at: Timestamp,
}

/// `POST /v1/accounts`.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// The portal's id for the customer.
    pub id: AccountId,
    /// Customer name.
    pub name: Name,
    /// The owning user; becomes a member too.
    pub owner: UserId,
}

/// `PATCH /v1/accounts/{id}`: only the fields present change.
#[derive(Debug, Clone, Default)]
pub struct AccountPatch {
    /// New customer name.
    pub name: Option<Name>,
    /// New status (staff only).
    pub status: Option<AccountStatus>,
}

/// An account a user can switch to, with the user's role there.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserAccount {
    /// The account's id.
    pub account_id: String,
    /// Customer name.
    pub name: String,
    /// `active` or `closed`.
    pub status: String,
    /// `owner`, `admin` or `member`.
    pub role: String,
}

const ACCOUNT_COLUMNS: &str = "account_id, name, status, owner_id, created_at, updated_at";

impl Store {
    /// Creates an account and the owner's membership; `404` for an unknown owner, `409` for a taken id.
    pub async fn create_account(
        &self,
        auth: &Authorized,
        new: NewAccount,
    ) -> Result<Written<AccountRecord>> {
        let actor = auth.actor();
        let now = self.now();
        let mut tx = self.begin_guarded(auth, None).await?;
        if !tx.lock(Lockable::User, new.owner.as_str(), false).await? {
            return Err(Error::NotFound(format!("owner: user {}", new.owner)));
        }
        let account = sqlx::query_as::<_, AccountRecord>(&format!(
            "insert into account (account_id, name, status, owner_id, created_at, updated_at) \
             values ($1, $2, 'active', $3, $4, $4) returning {ACCOUNT_COLUMNS}"
        ))
        .bind(new.id.as_str())
        .bind(new.name.as_str())
        .bind(new.owner.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Error::Conflict(format!("account {} already exists", new.id))
            }
            _ => Error::from(e),
        })?;
        sqlx::query("insert into membership (account_id, user_id, role, grants, created_at, updated_at) values ($1, $2, $3, '[]', $4, $4)")
            .bind(new.id.as_str())
            .bind(new.owner.as_str())
            .bind(Role::Admin.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let change = Change {
            at: self.now(),
            account: Some(new.id.as_str()),
            actor,
            action: "account.create",
            target: format!("account:{}", new.id),
            before: None,
            after: Some(json!(account)),
        };
        record(&mut tx, change).await?;
        tx.touch(Revisioned::Account(account.id.clone()));
        tx.touch(Revisioned::User(new.owner.to_string()));
        tx.written(account).await
    }

    /// The account with this id, if any.
    pub async fn account(&self, id: &AccountId) -> Result<Option<AccountRecord>> {
        self.bounded(async {
            let account = sqlx::query_as::<_, AccountRecord>(&format!(
                "select {ACCOUNT_COLUMNS} from account where account_id = $1"
            ))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
            Ok(account)
        })
        .await
    }

    /// Applies a patch; `404` for an unknown account.
    pub async fn update_account(
        &self,
        auth: &Authorized,
        id: &AccountId,
        patch: AccountPatch,
    ) -> Result<Written<AccountRecord>> {
        let actor = auth.actor();
        let mut tx = self.begin_guarded(auth, Some(id)).await?;
        let before = account_in(&mut tx, id).await?;
        let after = sqlx::query_as::<_, AccountRecord>(&format!(
            "update account set name = $2, status = $3, updated_at = $4 where account_id = $1 returning {ACCOUNT_COLUMNS}"
        ))
        .bind(id.as_str())
        .bind(patch.name.as_ref().map_or(before.name.as_str(), Name::as_str))
        .bind(patch.status.map_or_else(|| before.status.clone(), |s| s.as_str().to_owned()))
        .bind(self.now())
        .fetch_one(&mut *tx)
        .await?;
        let change = Change {
            at: self.now(),
            account: Some(id.as_str()),
            actor,
            action: "account.update",
            target: format!("account:{id}"),
            before: Some(json!(before)),
            after: Some(json!(after)),
        };
        record(&mut tx, change).await?;
        tx.touch(Revisioned::Account(id.to_string()));
        tx.written(after).await
    }

    /// Hands the account to `new_owner`, who must be an active member; the previous owner
    /// stays as an admin. One transaction. Returns the previous owner's id.
    pub async fn transfer_ownership(
        &self,
        auth: &Authorized,
        id: &AccountId,
        new_owner: &UserId,
    ) -> Result<Written<AccountRecord>> {
        let actor = auth.actor();
        let mut tx = self.begin_guarded(auth, Some(id)).await?;
        let now = tx.now;
        let before = account_in(&mut tx, id).await?;
        tx.lock(Lockable::User, new_owner.as_str(), false).await?;
        if before.owner_id == new_owner.as_str() {
            return Err(Error::Conflict(format!(
                "{new_owner} already owns account {id}"
            )));
        }
        let candidate: Option<(String,)> = sqlx::query_as(
            "select u.status from membership m join app_user u on u.user_id = m.user_id \
             where m.account_id = $1 and m.user_id = $2 and (m.expires_at is null or m.expires_at > $3)",
        )
        .bind(id.as_str())
        .bind(new_owner.as_str())
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        if candidate.as_ref().map(|(status,)| status.as_str()) != Some("active") {
            return Err(Error::Conflict(format!(
                "the new owner must be an active member of account {id}"
            )));
        }
        sqlx::query("update membership set role = 'admin', updated_at = $3 where account_id = $1 and user_id = $2")
            .bind(id.as_str())
            .bind(&before.owner_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        // The owner's access never ends by itself.
        sqlx::query("update membership set expires_at = null, updated_at = $3 where account_id = $1 and user_id = $2")
            .bind(id.as_str())
            .bind(new_owner.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let after = sqlx::query_as::<_, AccountRecord>(&format!(
            "update account set owner_id = $2, updated_at = $3 where account_id = $1 returning {ACCOUNT_COLUMNS}"
        ))
        .bind(id.as_str())
        .bind(new_owner.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let change = Change {
            at: now,
            account: Some(id.as_str()),
            actor,
            action: "account.transfer",
            target: format!("account:{id}"),
            before: Some(json!(before)),
            after: Some(json!(after)),
        };
        record(&mut tx, change).await?;
        tx.touch(Revisioned::Account(id.to_string()));
        tx.touch(Revisioned::User(before.owner_id.clone()));
        tx.touch(Revisioned::User(new_owner.to_string()));
        tx.written(after).await
    }

    /// The accounts a user belongs to, with their role: what the portal offers to switch to
    /// (not those where their access has run out).
    /// `404` for an unknown user (a user in no account gets an empty list).
    pub async fn user_accounts(&self, user: &UserId) -> Result<Vec<UserAccount>> {
        self.bounded(async {
            let rows = sqlx::query_as::<_, UserAccount>(
                "select a.account_id, a.name, a.status, \
                        case when a.owner_id = m.user_id then 'owner' else m.role end as role \
                 from membership m join account a on a.account_id = m.account_id \
                 where m.user_id = $1 and (m.expires_at is null or m.expires_at > $2) \
                 order by a.name, a.account_id",
            )
            .bind(user.as_str())
            .bind(self.now())
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() && self.user(user).await?.is_none() {
                return Err(Error::NotFound(format!("user {user}")));
            }
            Ok(rows)
        })
        .await
    }
}

/// One account, read inside a write transaction; `404` when unknown.
async fn account_in(tx: &mut WriteTx, id: &AccountId) -> Result<AccountRecord> {
    let sql = format!("select {ACCOUNT_COLUMNS} from account where account_id = $1");
    let account = sqlx::query_as::<_, AccountRecord>(&sql)
        .bind(id.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    account.ok_or_else(|| Error::NotFound(format!("account {id}")))
}
