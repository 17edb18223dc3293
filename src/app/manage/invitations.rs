//! Invitations: the owner invites by email with a role and grants (`inviteUser`,
//! `cancelInvitation`: owner-only), and the invitee accepts with the token, once, as the
//! user whose email was invited (`acceptInvitation`).

use crate::app::check::Target;
use crate::app::App;
use crate::domain::{AccountId, Actor, InvitationId, InvitationToken, Session, UserId};
use crate::error::{Error, Result};
use crate::store::{InvitationRecord, NewInvitation};

/// An invitation and its token, shown once.
#[derive(Debug)]
pub struct Issued {
    /// The invitation.
    pub invitation: InvitationRecord,
    /// The token the invitee accepts with; only its hash is kept.
    pub token: InvitationToken,
}

/// Invites by email (`inviteUser`): `400` for a grant the schema does not declare.
pub async fn create(
    app: &App,
    actor: &Actor,
    account: &AccountId,
    new: NewInvitation,
) -> Result<Issued> {
    app.bundle().check_grants(&new.grants)?;
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "inviteUser", Target::Account(account))
        .await?;
    let token = InvitationToken::generate();
    let hash = token.hash();
    let write = app
        .store()
        .create_invitation(&auth, account, &new, &hash, app.invitation_ttl());
    let invitation = checker.write(write).await?;
    Ok(Issued { invitation, token })
}

/// The account's invitations (`viewMembers`).
pub async fn list(app: &App, actor: &Actor, account: &AccountId) -> Result<Vec<InvitationRecord>> {
    app.checker()
        .authorize(actor, "viewMembers", Target::Account(account))
        .await?;
    app.store().invitations(account).await
}

/// Accepts an invitation as `user` (`acceptInvitation`: the user whose email was invited).
/// Several acceptances of one token race: each loser gets the answer the token now
/// deserves (`409` used, `410` cancelled or expired), not whichever step noticed first.
pub async fn accept(
    app: &App,
    token: &InvitationToken,
    user: &UserId,
    session: Session,
) -> Result<InvitationRecord> {
    let token_hash = token.hash();
    let store = app.store();
    let invitation = store
        .invitation_by_token(&token_hash)
        .await?
        .ok_or_else(|| {
            Error::NotFound(
                "invitation for this token (a resent invitation's old token no longer works)"
                    .into(),
            )
        })?;
    invitation.check_usable(store.now())?;
    let (account, id) = ids_of(&invitation)?;
    let actor = Actor::User(user.clone(), session);
    let accepted = match app
        .checker()
        .authorize(
            &actor,
            "acceptInvitation",
            Target::Invitation(&account, &id),
        )
        .await
    {
        Ok(auth) => {
            app.checker()
                .write(store.accept_invitation(&auth, &id, user, &token_hash))
                .await
        }
        Err(err) => Err(err),
    };
    match accepted {
        Ok(invitation) => Ok(invitation),
        Err(err) => Err(now_unusable(app, &id).await.unwrap_or(err)),
    }
}

/// Issues a new token for an invitation, the old one no longer working (`inviteUser`).
pub async fn resend(app: &App, actor: &Actor, id: &InvitationId) -> Result<Issued> {
    let invitation = find(app, id).await?;
    let (account, _) = ids_of(&invitation)?;
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "inviteUser", Target::Account(&account))
        .await?;
    let token = InvitationToken::generate();
    let hash = token.hash();
    let write = app
        .store()
        .resend_invitation(&auth, id, &hash, app.invitation_ttl());
    let invitation = checker.write(write).await?;
    Ok(Issued { invitation, token })
}

/// Cancels an open invitation (`cancelInvitation`).
pub async fn cancel(app: &App, actor: &Actor, id: &InvitationId) -> Result<()> {
    let invitation = find(app, id).await?;
    let (account, _) = ids_of(&invitation)?;
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "cancelInvitation", Target::Account(&account))
        .await?;
    checker
        .write(app.store().cancel_invitation(&auth, id))
        .await
}

/// Why the invitation cannot be used now, if it cannot.
async fn now_unusable(app: &App, id: &InvitationId) -> Option<Error> {
    match find(app, id).await {
        Ok(invitation) => invitation.check_usable(app.store().now()).err(),
        Err(err) => Some(err),
    }
}

async fn find(app: &App, id: &InvitationId) -> Result<InvitationRecord> {
    app.store()
        .invitation(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("invitation {id}")))
}

fn ids_of(invitation: &InvitationRecord) -> Result<(AccountId, InvitationId)> {
    let stored =
        |e: String| Error::Internal(anyhow::anyhow!("stored invitation has a bad id: {e}"));
    Ok((
        invitation.account_id.parse().map_err(stored)?,
        invitation.id.parse().map_err(stored)?,
    ))
}
