//! Table `app_user`: people who can log in.

use serde_json::json;

use super::audit::{record, Change};
use super::guard::Authorized;
use super::revisions::{Revisioned, Written};
use super::Lockable;
use super::{Store, WriteTx};
use crate::domain::{Email, Name, Timestamp, UserId, UserStatus};
use crate::error::{Error, Result};

/// A user as stored and shown.
// Serialized only into the audit trail's `before`/`after`; the API has its own types.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct UserRecord {
    /// The portal's id.
    #[sqlx(rename = "user_id")]
    pub id: String,
    /// Login email.
    pub email: String,
    /// Name shown to others.
    pub display_name: String,
    /// Where mail goes, when not the login email.
    pub notification_email: Option<String>,
    /// `invited`, `active` or `suspended`.
    pub status: String,
    /// When it was created.
    #[sqlx(try_from = "i64")]
    pub created_at: Timestamp,
    /// When it last changed.
    #[sqlx(try_from = "i64")]
    pub updated_at: Timestamp,
}

/// `POST /v1/users`.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The portal's id for the person.
    pub id: UserId,
    /// Login email, unique whatever its case.
    pub email: Email,
    /// Name shown to others.
    pub display_name: Name,
    /// Where mail goes, when not the login email.
    pub notification_email: Option<Email>,
    /// Defaults to `active`.
    pub status: Option<UserStatus>,
}

/// `PATCH /v1/users/{id}`: only the fields present change.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    /// New login email.
    pub email: Option<Email>,
    /// New display name.
    pub display_name: Option<Name>,
    /// New notification email; `null` clears it.
    pub notification_email: Option<Option<Email>>,
    /// New status (staff only).
    pub status: Option<UserStatus>,
}

const USER_COLUMNS: &str =
    "user_id, email, display_name, notification_email, status, created_at, updated_at";

impl Store {
    /// Creates a user; `409` when the id or the email is taken.
    pub async fn create_user(
        &self,
        auth: &Authorized,
        new: NewUser,
    ) -> Result<Written<UserRecord>> {
        let actor = auth.actor();
        let now = self.now();
        let status = new.status.unwrap_or(UserStatus::Active);
        let mut tx = self.begin_guarded(auth, None).await?;
        let user = sqlx::query_as::<_, UserRecord>(&format!(
            "insert into app_user (user_id, email, display_name, notification_email, status, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $6) returning {USER_COLUMNS}"
        ))
        .bind(new.id.as_str())
        .bind(new.email.as_str())
        .bind(new.display_name.as_str())
        .bind(new.notification_email.as_ref().map(Email::as_str))
        .bind(status.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(user_conflict)?;
        let target = format!("user:{}", user.id);
        record(
            &mut tx,
            Change {
                at: self.now(),
                account: None,
                actor,
                action: "user.create",
                target,
                before: None,
                after: Some(json!(user)),
            },
        )
        .await?;
        tx.touch(Revisioned::User(user.id.clone()));
        tx.written(user).await
    }

    /// The user with this id, if any.
    pub async fn user(&self, id: &UserId) -> Result<Option<UserRecord>> {
        self.bounded(async {
            let user = sqlx::query_as::<_, UserRecord>(&format!(
                "select {USER_COLUMNS} from app_user where user_id = $1"
            ))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
            Ok(user)
        })
        .await
    }

    /// Applies a patch; `404` for an unknown user, `409` for a taken email.
    pub async fn update_user(
        &self,
        auth: &Authorized,
        id: &UserId,
        patch: UserPatch,
    ) -> Result<Written<UserRecord>> {
        let actor = auth.actor();
        let mut tx = self.locked_user(auth, id).await?;
        let before = user_in(&mut tx, id).await?;
        let notification_email = match &patch.notification_email {
            Some(value) => value.as_ref().map(|e| e.as_str().to_owned()),
            None => before.notification_email.clone(),
        };
        let after = sqlx::query_as::<_, UserRecord>(&format!(
            "update app_user set email = $2, display_name = $3, notification_email = $4, status = $5, updated_at = $6 \
             where user_id = $1 returning {USER_COLUMNS}"
        ))
        .bind(id.as_str())
        .bind(patch.email.as_ref().map_or(before.email.as_str(), Email::as_str))
        .bind(patch.display_name.as_ref().map_or(before.display_name.as_str(), Name::as_str))
        .bind(notification_email)
        .bind(patch.status.map_or_else(|| before.status.clone(), |s| s.as_str().to_owned()))
        .bind(self.now())
        .fetch_one(&mut *tx)
        .await
        .map_err(user_conflict)?;
        // The login email decides who may accept invitations, and the status who may act at
        // all: each gets an action of its own in the trail.
        let action = if after.email != before.email {
            "user.login_email"
        } else if after.status != before.status {
            "user.status"
        } else {
            "user.update"
        };
        let change = Change {
            at: self.now(),
            account: None,
            actor,
            action,
            target: format!("user:{id}"),
            before: Some(json!(before)),
            after: Some(json!(after)),
        };
        record(&mut tx, change).await?;
        tx.touch(Revisioned::User(id.to_string()));
        tx.written(after).await
    }

    /// Deletes a user who belongs to no account; `409` while they still do.
    pub async fn delete_user(&self, auth: &Authorized, id: &UserId) -> Result<Written<()>> {
        let actor = auth.actor();
        let mut tx = self.locked_user(auth, id).await?;
        let accounts: Vec<(String,)> = sqlx::query_as(
            "select account_id from membership where user_id = $1 order by account_id",
        )
        .bind(id.as_str())
        .fetch_all(&mut *tx)
        .await?;
        if !accounts.is_empty() {
            let names: Vec<String> = accounts.into_iter().map(|(a,)| a).collect();
            return Err(Error::Conflict(format!(
                "user {id} still belongs to: {}; remove those memberships first",
                names.join(", ")
            )));
        }
        let before = user_in(&mut tx, id).await?;
        sqlx::query("delete from app_user where user_id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        let change = Change {
            at: self.now(),
            account: None,
            actor,
            action: "user.delete",
            target: format!("user:{id}"),
            before: Some(json!(before)),
            after: None,
        };
        record(&mut tx, change).await?;
        // The user's API keys end with them: a user later created with the same id must not
        // find them alive.
        let keys: Vec<(String,)> = sqlx::query_as(
            "update api_key set revoked_at = $2 where created_by = $1 and revoked_at is null returning api_key_id",
        )
        .bind(id.as_str())
        .bind(self.now())
        .fetch_all(&mut *tx)
        .await?;
        for (key,) in keys {
            tx.touch(Revisioned::ApiKey(key));
        }
        tx.touch(Revisioned::User(id.to_string()));
        tx.written(()).await
    }
}

impl Store {
    /// A write transaction on one user's row: the row is locked first (status, login email
    /// and existence are what other writes check), then the decision is re-checked.
    async fn locked_user(&self, auth: &Authorized, id: &UserId) -> Result<WriteTx> {
        let mut tx = self.begin_write().await?;
        tx.lock(Lockable::User, id.as_str(), true).await?;
        tx.guard(auth, None).await?;
        // `guard` locked only the acting user; the row written here is locked above.
        Ok(tx)
    }
}

/// Unique violations on users name the clashing field.
fn user_conflict(err: sqlx::Error) -> Error {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            let text = format!("{} {}", db.constraint().unwrap_or_default(), db.message());
            if text.contains("email") {
                Error::Conflict("email is already used by another user".into())
            } else {
                Error::Conflict("a user with this id already exists".into())
            }
        }
        _ => Error::from(err),
    }
}

/// One user, read inside a write transaction; `404` when unknown.
async fn user_in(tx: &mut WriteTx, id: &UserId) -> Result<UserRecord> {
    let sql = format!("select {USER_COLUMNS} from app_user where user_id = $1");
    let user = sqlx::query_as::<_, UserRecord>(&sql)
        .bind(id.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    user.ok_or_else(|| Error::NotFound(format!("user {id}")))
}
