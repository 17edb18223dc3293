//! Accepting an invitation: the one transaction that turns an invitation into a membership.

use serde_json::json;

use super::audit::{record, Change};
use super::guard::Authorized;
use super::invitation_record::InvitationRecord;
use super::revisions::{Revisioned, Written};
use super::Store;
use crate::domain::{InvitationId, UserId};
use crate::error::{Error, Result};

impl Store {
    /// Accepts an invitation for `user`, in one transaction: marks it accepted (once, and
    /// only while `token_hash` is still its token), creates or updates the membership with the
    /// offered role and grants, and activates an invited user. `auth` is the user's
    /// `acceptInvitation` decision; the facts it rested on (the user's email and status, the
    /// invitation still open) are re-read under the account's lock, so a change racing the
    /// acceptance, or a second acceptance of the same token, makes it fail, not succeed.
    pub async fn accept_invitation(
        &self,
        auth: &Authorized,
        id: &InvitationId,
        user: &UserId,
        token_hash: &str,
    ) -> Result<Written<InvitationRecord>> {
        let actor = auth.actor();
        let auth = auth.clone().writing_own_row();
        let (mut tx, invitation) = self.invitation_tx(&auth, id).await?;
        let now = tx.now;
        invitation.check_usable(now)?;
        if let Some(ended) = invitation
            .membership_expires_at
            .filter(|t| t.millis() <= now)
        {
            return Err(Error::Gone(format!(
                "the access this invitation offered ended at {ended}"
            )));
        }
        let owner: Option<(String,)> =
            sqlx::query_as("select owner_id from account where account_id = $1 and owner_id = $2")
                .bind(&invitation.account_id)
                .bind(user.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        if owner.is_some() {
            return Err(Error::Conflict(format!(
                "{user} owns account {}; an invitation cannot change the owner's membership",
                invitation.account_id
            )));
        }
        let taken = sqlx::query(
            "update invitation set state = 'accepted', accepted_by = $2, updated_at = $3 \
             where invitation_id = $1 and state = 'pending' and token_hash = $4",
        )
        .bind(id.as_str())
        .bind(user.as_str())
        .bind(now)
        .bind(token_hash)
        .execute(&mut *tx)
        .await?;
        if taken.rows_affected() != 1 {
            return Err(Error::Conflict(
                "this invitation was already used, or its token replaced by a resend".into(),
            ));
        }
        sqlx::query(
            "insert into membership (account_id, user_id, role, grants, created_at, updated_at, expires_at) values ($1, $2, $3, $4, $5, $5, $6) \
             on conflict (account_id, user_id) do update set role = excluded.role, grants = excluded.grants, \
             roles = '[]', updated_at = excluded.updated_at, expires_at = excluded.expires_at",
        )
        .bind(&invitation.account_id)
        .bind(user.as_str())
        .bind(&invitation.role)
        .bind(json!(invitation.grants).to_string())
        .bind(now)
        .bind(invitation.membership_expires_at.map(|t| t.millis()))
        .execute(&mut *tx)
        .await?;
        sqlx::query("update app_user set status = 'active', updated_at = $2 where user_id = $1 and status = 'invited'")
            .bind(user.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let after = InvitationRecord {
            state: "accepted".into(),
            accepted_by: Some(user.to_string()),
            ..invitation.clone()
        };
        let change = Change {
            at: now,
            account: Some(&invitation.account_id),
            actor,
            action: "invitation.accept",
            target: format!("user:{user}"),
            before: Some(json!(invitation)),
            after: Some(json!(after)),
        };
        record(&mut tx, change).await?;
        tx.touch(Revisioned::User(user.to_string()));
        tx.touch(Revisioned::Account(after.account_id.clone()));
        tx.written(after).await
    }
}
