//! Invitations: the owner invites by email with a role and grants (`inviteUser`,
//! `cancelInvitation`: owner-only), and the invitee accepts with the token, once, as the
//! user whose email was invited (`acceptInvitation`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{JsonBody, PathIds};
use super::AppState;
use crate::cache::Revisioned;
use crate::check::Target;
use crate::domain::{AccountId, Actor, InvitationId, InvitationToken, UserId};
use crate::error::{Error, Result};
use crate::store::{InvitationRecord, NewInvitation};

/// `POST /v1/accounts/{id}/invitations` (`inviteUser`): `201` with the invitation and its
/// token, shown this once. `400` unknown grant, `409` already a member or already invited.
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(account): PathIds<AccountId>,
    JsonBody(new): JsonBody<NewInvitation>,
) -> Result<(StatusCode, Json<Value>)> {
    state
        .checker
        .bundle()
        .check_grants(&new.grants)
        .map_err(|(i, message)| Error::bad_field(format!("grants[{i}]"), message))?;
    state
        .checker
        .authorize(&actor, "inviteUser", Target::Account(&account))
        .await?;
    let token = InvitationToken::generate();
    let invitation = state
        .checker
        .store()
        .create_invitation(&actor, &account, &new, &token.hash(), state.invitation_ttl)
        .await?;
    state
        .checker
        .changed(&[Revisioned::Account(account.to_string())])
        .await;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "invitation": invitation, "token": token.reveal() })),
    ))
}

/// `GET /v1/accounts/{id}/invitations` (`viewMembers`): pending invitations, without tokens.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(account): PathIds<AccountId>,
) -> Result<Json<Value>> {
    state
        .checker
        .authorize(&actor, "viewMembers", Target::Account(&account))
        .await?;
    let invitations = state.checker.store().invitations(&account).await?;
    Ok(Json(json!({ "invitations": invitations })))
}

/// Body of `POST /v1/invitations/accept`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptBody {
    /// The token from the invitation link.
    token: InvitationToken,
    /// The user accepting; their login email must be the invited one.
    user: UserId,
}

/// `POST /v1/invitations/accept` (`acceptInvitation`, as `user`): joins the account with the
/// offered role and grants. `404` unknown (or superseded) token, `409` already used, `410`
/// expired or cancelled, `403` another user's invitation or a suspended user.
pub async fn accept(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<AcceptBody>,
) -> Result<Json<Value>> {
    let store = state.checker.store();
    let invitation = store
        .invitation_by_token(&body.token.hash())
        .await?
        .ok_or_else(|| {
            Error::NotFound(
                "invitation for this token (a resent invitation's old token no longer works)"
                    .into(),
            )
        })?;
    invitation.check_usable(store.now())?;
    let (account, id) = ids_of(&invitation)?;
    state
        .checker
        .authorize(
            &Actor::User(body.user.clone()),
            "acceptInvitation",
            Target::Invitation(&account, &id),
        )
        .await?;
    let accepted = store.accept_invitation(&id, &body.user).await?;
    state
        .checker
        .changed(&[
            Revisioned::User(body.user.to_string()),
            Revisioned::Account(account.to_string()),
        ])
        .await;
    Ok(Json(json!({ "invitation": accepted })))
}

/// `POST /v1/invitations/{iid}/resend` (`inviteUser`): a new token and expiry; the old token dies.
pub async fn resend(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<InvitationId>,
) -> Result<Json<Value>> {
    let invitation = find(&state, &id).await?;
    let (account, _) = ids_of(&invitation)?;
    state
        .checker
        .authorize(&actor, "inviteUser", Target::Account(&account))
        .await?;
    let token = InvitationToken::generate();
    let invitation = state
        .checker
        .store()
        .resend_invitation(&actor, &id, &token.hash(), state.invitation_ttl)
        .await?;
    state
        .checker
        .changed(&[Revisioned::Account(account.to_string())])
        .await;
    Ok(Json(
        json!({ "invitation": invitation, "token": token.reveal() }),
    ))
}

/// `DELETE /v1/invitations/{iid}` (`cancelInvitation`): `204`; the token is refused from now on.
pub async fn cancel(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<InvitationId>,
) -> Result<StatusCode> {
    let invitation = find(&state, &id).await?;
    let (account, _) = ids_of(&invitation)?;
    state
        .checker
        .authorize(&actor, "cancelInvitation", Target::Account(&account))
        .await?;
    state.checker.store().cancel_invitation(&actor, &id).await?;
    state
        .checker
        .changed(&[Revisioned::Account(account.to_string())])
        .await;
    Ok(StatusCode::NO_CONTENT)
}

async fn find(state: &AppState, id: &InvitationId) -> Result<InvitationRecord> {
    state
        .checker
        .store()
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
