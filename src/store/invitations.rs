//! Table `invitation`: offers to join an account, each for one email, with a single-use token
//! kept only as its hash. Accepting creates the membership in the same transaction.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::audit::{record, Change};
use super::guard::Authorized;
use super::revisions::{Revisioned, Written};
use super::{json_list, Store, WriteTx};
use crate::domain::{AccountId, Actor, Email, InvitationId, Role, Timestamp};
use crate::error::{Error, Result};

/// An invitation as shown (never with its token).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InvitationRecord {
    /// Portier's id for it.
    pub id: String,
    /// The account offered.
    pub account_id: String,
    /// Who may accept: the user with this login email.
    pub email: String,
    /// Role offered.
    pub role: String,
    /// Grants offered.
    pub grants: Vec<String>,
    /// `user:<id>` or `staff`.
    pub invited_by: String,
    /// `pending`, `accepted`, `cancelled` or `expired`.
    pub state: String,
    /// The user who accepted.
    pub accepted_by: Option<String>,
    /// When it was sent (or last resent).
    pub created_at: Timestamp,
    /// When the token stops working.
    pub expires_at: Timestamp,
    /// When the access it offers ends: the membership created by accepting it expires then.
    pub membership_expires_at: Option<Timestamp>,
}

impl InvitationRecord {
    /// Whether the token has run out at `now` (Unix milliseconds).
    pub fn is_expired(&self, now: i64) -> bool {
        self.state == "expired" || (self.state == "pending" && now >= self.expires_at.millis())
    }

    /// Refuses a token that cannot be used any more, saying why.
    pub fn check_usable(&self, now: i64) -> Result<()> {
        match self.state.as_str() {
            "accepted" => Err(Error::Conflict(
                "this invitation was already accepted; a token works once".into(),
            )),
            "cancelled" => Err(Error::Gone("this invitation was cancelled".into())),
            _ if self.is_expired(now) => Err(Error::Gone(
                "this invitation has expired; ask for it to be resent".into(),
            )),
            _ => Ok(()),
        }
    }
}

#[derive(sqlx::FromRow)]
struct InvitationRow {
    invitation_id: String,
    account_id: String,
    email: String,
    role: String,
    grants: String,
    invited_by: String,
    state: String,
    accepted_by: Option<String>,
    created_at: i64,
    expires_at: i64,
    membership_expires_at: Option<i64>,
}

impl From<InvitationRow> for InvitationRecord {
    fn from(row: InvitationRow) -> Self {
        InvitationRecord {
            id: row.invitation_id,
            account_id: row.account_id,
            email: row.email,
            role: row.role,
            grants: json_list(&row.grants),
            invited_by: row.invited_by,
            state: row.state,
            accepted_by: row.accepted_by,
            created_at: row.created_at.into(),
            expires_at: row.expires_at.into(),
            membership_expires_at: row.membership_expires_at.map(Timestamp::from),
        }
    }
}

/// `POST /v1/accounts/{id}/invitations`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvitation {
    /// The invitee's login email.
    pub email: Email,
    /// `admin` or `member`.
    pub role: Role,
    /// Grants offered, each declared by the schema.
    #[serde(default)]
    #[schema(value_type = Vec<crate::authz::GrantName>)]
    pub grants: Vec<String>,
    /// When the access offered ends (RFC 3339, in the future): the membership created by
    /// accepting expires then. Absent: access until removed.
    #[serde(default)]
    pub membership_expires_at: Option<Timestamp>,
}

const COLUMNS: &str = "invitation_id, account_id, email, role, grants, invited_by, state, accepted_by, created_at, expires_at, membership_expires_at";

impl Store {
    /// Records an invitation whose token hashes to `token_hash`, valid for `ttl`. `409` when
    /// the email already belongs to a member or has a pending invitation to this account.
    pub async fn create_invitation(
        &self,
        auth: &Authorized,
        account: &AccountId,
        new: &NewInvitation,
        token_hash: &str,
        ttl: Duration,
    ) -> Result<Written<InvitationRecord>> {
        let actor = auth.actor();
        require_future(
            "membership_expires_at",
            new.membership_expires_at,
            self.now(),
        )?;
        let mut tx = self.begin_guarded(auth, Some(account)).await?;
        let now = tx.now;
        let exists: Option<(String,)> =
            sqlx::query_as("select account_id from account where account_id = $1")
                .bind(account.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        exists.ok_or_else(|| Error::NotFound(format!("account {account}")))?;
        let member: Option<(String,)> = sqlx::query_as(
            "select m.user_id from membership m join app_user u on u.user_id = m.user_id where m.account_id = $1 and u.email = $2",
        )
        .bind(account.as_str())
        .bind(new.email.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((user,)) = member {
            return Err(Error::Conflict(format!(
                "{} is already a member of account {account} (user {user})",
                new.email.as_str()
            )));
        }
        expire_pending(&mut tx, now, account.as_str(), new.email.as_str()).await?;
        let mut grants = new.grants.clone();
        grants.sort();
        grants.dedup();
        let id = uuid::Uuid::now_v7().to_string();
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let row = sqlx::query_as::<_, InvitationRow>(&format!(
            "insert into invitation (invitation_id, account_id, email, role, grants, invited_by, token_hash, state, created_at, expires_at, updated_at, membership_expires_at) \
             values ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $8, $10) returning {COLUMNS}"
        ))
        .bind(&id)
        .bind(account.as_str())
        .bind(new.email.as_str())
        .bind(new.role.as_str())
        .bind(json!(grants).to_string())
        .bind(actor.to_string())
        .bind(token_hash)
        .bind(now)
        .bind(now.saturating_add(ttl_ms))
        .bind(new.membership_expires_at.map(Timestamp::millis))
        .fetch_one(&mut *tx)
        .await
        .map_err(pending_conflict)?;
        let invitation = InvitationRecord::from(row);
        let change = Change {
            at: now,
            account: Some(account.as_str()),
            actor,
            action: "invitation.create",
            target: format!("invitation:{id}"),
            before: None,
            after: Some(json!(invitation)),
        };
        record(&mut tx, change).await?;
        tx.touch(Revisioned::Account(account.to_string()));
        tx.written(invitation).await
    }

    /// Pending, unexpired invitations of an account, newest first.
    pub async fn invitations(&self, account: &AccountId) -> Result<Vec<InvitationRecord>> {
        self.bounded(async {
            let rows = sqlx::query_as::<_, InvitationRow>(&format!(
                "select {COLUMNS} from invitation where account_id = $1 and state = 'pending' and expires_at > $2 order by created_at desc, invitation_id desc"
            ))
            .bind(account.as_str())
            .bind(self.now())
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.into_iter().map(InvitationRecord::from).collect())
        })
        .await
    }

    /// The invitation with this id, if any.
    pub async fn invitation(&self, id: &InvitationId) -> Result<Option<InvitationRecord>> {
        self.bounded(async {
            let row = sqlx::query_as::<_, InvitationRow>(&format!(
                "select {COLUMNS} from invitation where invitation_id = $1"
            ))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.map(InvitationRecord::from))
        })
        .await
    }

    /// The invitation whose token hashes to `token_hash`, if any (a resent one's old token finds nothing).
    pub async fn invitation_by_token(&self, token_hash: &str) -> Result<Option<InvitationRecord>> {
        self.bounded(async {
            let row = sqlx::query_as::<_, InvitationRow>(&format!(
                "select {COLUMNS} from invitation where token_hash = $1"
            ))
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.map(InvitationRecord::from))
        })
        .await
    }

    /// Gives a pending or expired invitation a new token and expiry; the old token dies.
    pub async fn resend_invitation(
        &self,
        auth: &Authorized,
        id: &InvitationId,
        token_hash: &str,
        ttl: Duration,
    ) -> Result<Written<InvitationRecord>> {
        let actor = auth.actor();
        let (mut tx, before) = self.invitation_tx(auth, id).await?;
        let now = tx.now;
        if before.state == "accepted" || before.state == "cancelled" {
            return Err(Error::Conflict(format!(
                "invitation {id} was {}; invite again instead",
                before.state
            )));
        }
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let row = sqlx::query_as::<_, InvitationRow>(&format!(
            "update invitation set token_hash = $2, state = 'pending', expires_at = $3, updated_at = $4 where invitation_id = $1 returning {COLUMNS}"
        ))
        .bind(id.as_str())
        .bind(token_hash)
        .bind(now.saturating_add(ttl_ms))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(pending_conflict)?;
        let after = InvitationRecord::from(row);
        let change = Change {
            at: now,
            account: Some(&after.account_id),
            actor,
            action: "invitation.resend",
            target: format!("invitation:{id}"),
            before: Some(json!(before)),
            after: Some(json!(after)),
        };
        record(&mut tx, change).await?;
        tx.touch(Revisioned::Account(before.account_id.clone()));
        tx.written(after).await
    }

    /// Cancels a pending invitation; its token is refused from now on. `409` when not pending.
    pub async fn cancel_invitation(
        &self,
        auth: &Authorized,
        id: &InvitationId,
    ) -> Result<Written<()>> {
        let actor = auth.actor();
        let now = self.now();
        let (mut tx, before) = self.invitation_tx(auth, id).await?;
        if before.state != "pending" {
            return Err(Error::Conflict(format!(
                "invitation {id} is {}, not pending",
                before.state
            )));
        }
        sqlx::query(
            "update invitation set state = 'cancelled', updated_at = $2 where invitation_id = $1",
        )
        .bind(id.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let change = Change {
            at: now,
            account: Some(&before.account_id),
            actor,
            action: "invitation.cancel",
            target: format!("invitation:{id}"),
            before: Some(json!(before)),
            after: None,
        };
        record(&mut tx, change).await?;
        tx.touch(Revisioned::Account(before.account_id.clone()));
        tx.written(()).await
    }
}

impl Store {
    /// A write transaction on an invitation: its account locked and the decision re-checked
    /// (see [`Authorized`]), then the invitation read again under that lock.
    pub(super) async fn invitation_tx(
        &self,
        auth: &Authorized,
        id: &InvitationId,
    ) -> Result<(WriteTx, InvitationRecord)> {
        let found = self
            .invitation(id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("invitation {id}")))?;
        let account: AccountId = found.account_id.parse().map_err(|e: String| {
            Error::Internal(anyhow::anyhow!(
                "stored invitation has a bad account id: {e}"
            ))
        })?;
        let mut tx = self.begin_guarded(auth, Some(&account)).await?;
        let invitation = invitation_in(&mut tx, id).await?;
        Ok((tx, invitation))
    }
}

pub(super) async fn invitation_in(tx: &mut WriteTx, id: &InvitationId) -> Result<InvitationRecord> {
    let row = sqlx::query_as::<_, InvitationRow>(&format!(
        "select {COLUMNS} from invitation where invitation_id = $1"
    ))
    .bind(id.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    row.map(InvitationRecord::from)
        .ok_or_else(|| Error::NotFound(format!("invitation {id}")))
}

/// Cancels an email's pending invitations to an account, each with its audit row: adding,
/// changing or removing that member is a later decision than any invitation sent before, so
/// an old token must not bring back a role or grants the owner has since changed or removed.
pub(super) async fn supersede_invitations(
    tx: &mut WriteTx,
    actor: &Actor,
    account: &str,
    email: &str,
) -> Result<()> {
    let pending = sqlx::query_as::<_, InvitationRow>(&format!(
        "select {COLUMNS} from invitation where account_id = $1 and email = $2 and state = 'pending'"
    ))
    .bind(account)
    .bind(email)
    .fetch_all(&mut **tx)
    .await?;
    for row in pending {
        let before = InvitationRecord::from(row);
        sqlx::query(
            "update invitation set state = 'cancelled', updated_at = $2 where invitation_id = $1",
        )
        .bind(&before.id)
        .bind(tx.now)
        .execute(&mut **tx)
        .await?;
        let after = InvitationRecord {
            state: "cancelled".into(),
            ..before.clone()
        };
        let change = Change {
            at: tx.now,
            account: Some(account),
            actor,
            action: "invitation.supersede",
            target: format!("invitation:{}", before.id),
            before: Some(json!(before)),
            after: Some(json!(after)),
        };
        record(tx, change).await?;
    }
    Ok(())
}

/// Marks an email's pending invitations to an account that ran out as expired, so a new one may be sent.
async fn expire_pending(tx: &mut WriteTx, now: i64, account: &str, email: &str) -> Result<()> {
    sqlx::query("update invitation set state = 'expired', updated_at = $1 where account_id = $2 and email = $3 and state = 'pending' and expires_at <= $1")
        .bind(now)
        .bind(account)
        .bind(email)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A `400` naming `field` unless `at` is absent or after `now`.
pub(super) fn require_future(field: &str, at: Option<Timestamp>, now: i64) -> Result<()> {
    match at {
        Some(at) if at.millis() <= now => Err(Error::bad_field(
            field,
            format!("{at} is not in the future"),
        )),
        _ => Ok(()),
    }
}

fn pending_conflict(err: sqlx::Error) -> Error {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => Error::Conflict(
            "a pending invitation for this email to this account exists; resend or cancel it"
                .into(),
        ),
        _ => Error::from(err),
    }
}

#[cfg(test)]
mod tests {
    use super::InvitationRecord;

    fn pending(expires_at: i64) -> InvitationRecord {
        InvitationRecord {
            id: "i".into(),
            account_id: "a".into(),
            email: "e@x.io".into(),
            role: "member".into(),
            grants: vec![],
            invited_by: "staff".into(),
            state: "pending".into(),
            accepted_by: None,
            created_at: 0.into(),
            expires_at: expires_at.into(),
            membership_expires_at: None,
        }
    }

    #[test]
    fn expiry_is_reached_at_expires_at() {
        assert!(!pending(100).is_expired(99));
        assert!(pending(100).is_expired(100));
        assert!(pending(100).check_usable(100).is_err());
        assert!(pending(100).check_usable(50).is_ok());
    }
}
