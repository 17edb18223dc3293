//! Table `invitation`: offers to join an account, each for one email, with a single-use token
//! kept only as its hash (the record: `invitation_record`). Accepting creates the membership in
//! the same transaction (`acceptance`).

use std::time::Duration;

use serde_json::json;

use super::audit::{record, Change};
use super::guard::Authorized;
use super::invitation_record::{InvitationRecord, InvitationRow, NewInvitation};
use super::revisions::{Revisioned, Written};
use super::time::require_future;
use super::{Store, WriteTx};
use crate::domain::{AccountId, Actor, InvitationId, Timestamp};
use crate::error::{Error, Result};

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

fn pending_conflict(err: sqlx::Error) -> Error {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => Error::Conflict(
            "a pending invitation for this email to this account exists; resend or cancel it"
                .into(),
        ),
        _ => Error::from(err),
    }
}
