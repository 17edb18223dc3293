//! Invitations: the owner invites by email with a role and grants (`inviteUser`,
//! `cancelInvitation`: owner-only), and the invitee accepts with the token, once, as the
//! user whose email was invited (`acceptInvitation`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{JsonBody, PathIds};
use super::openapi::ApiErrors;
use super::AppState;
use crate::check::Target;
use crate::domain::{AccountId, Actor, InvitationId, InvitationToken, UserId};
use crate::error::{Error, Result};
use crate::store::{InvitationRecord, NewInvitation};

/// An invitation with its token: the only time the token is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedInvitation {
    /// The invitation.
    invitation: InvitationRecord,
    /// 64 hex digits, for the invitation link. Not stored; cannot be shown again.
    token: String,
}

/// Answer of `GET /v1/accounts/{id}/invitations`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Invitations {
    /// Pending invitations, newest first, without tokens.
    invitations: Vec<InvitationRecord>,
}

/// Answer of `POST /v1/invitations/accept`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// The invitation, now accepted.
    invitation: InvitationRecord,
}

/// `POST /v1/accounts/{id}/invitations` (`inviteUser`): `201` with the invitation and its
/// token, shown this once. `400` unknown grant, `409` already a member or already invited.
#[utoipa::path(post, path = "/v1/accounts/{id}/invitations", tag = "invitations", params(("id" = AccountId, Path, description = "Account id")), request_body = NewInvitation,
    responses((status = 201, description = "Invited", body = IssuedInvitation), ApiErrors))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(account): PathIds<AccountId>,
    JsonBody(new): JsonBody<NewInvitation>,
) -> Result<(StatusCode, Json<IssuedInvitation>)> {
    state.checker.bundle().check_grants(&new.grants)?;
    let auth = state
        .checker
        .authorize(&actor, "inviteUser", Target::Account(&account))
        .await?;
    let token = InvitationToken::generate();
    let invitation = state
        .checker
        .write(state.checker.store().create_invitation(
            &auth,
            &account,
            &new,
            &token.hash(),
            state.invitation_ttl,
        ))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedInvitation {
            invitation,
            token: token.reveal().to_owned(),
        }),
    ))
}

/// `GET /v1/accounts/{id}/invitations` (`viewMembers`): pending invitations, without tokens.
#[utoipa::path(get, path = "/v1/accounts/{id}/invitations", tag = "invitations", params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, description = "Pending invitations", body = Invitations), ApiErrors))]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(account): PathIds<AccountId>,
) -> Result<Json<Invitations>> {
    state
        .checker
        .authorize(&actor, "viewMembers", Target::Account(&account))
        .await?;
    let invitations = state.checker.store().invitations(&account).await?;
    Ok(Json(Invitations { invitations }))
}

/// Body of `POST /v1/invitations/accept`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptBody {
    /// The token from the invitation link.
    #[schema(value_type = String, pattern = "^[0-9a-fA-F]{64}$")]
    token: InvitationToken,
    /// The user accepting; their login email must be the invited one.
    user: UserId,
}

/// `POST /v1/invitations/accept` (`acceptInvitation`, as `user`): joins the account with the
/// offered role and grants. `404` unknown (or superseded) token, `409` already used, `410`
/// expired or cancelled, `403` another user's invitation or a suspended user.
#[utoipa::path(post, path = "/v1/invitations/accept", tag = "invitations", request_body = AcceptBody,
    responses((status = 200, description = "Accepted", body = Accepted), ApiErrors))]
pub async fn accept(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<AcceptBody>,
) -> Result<Json<Accepted>> {
    let token_hash = body.token.hash();
    let store = state.checker.store();
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
    let user = Actor::User(body.user.clone());
    let accepted = match state
        .checker
        .authorize(&user, "acceptInvitation", Target::Invitation(&account, &id))
        .await
    {
        Ok(auth) => {
            state
                .checker
                .write(store.accept_invitation(&auth, &id, &body.user, &token_hash))
                .await
        }
        Err(err) => Err(err),
    };
    // Several acceptances of one token race: the losers see the invitation gone from under
    // their decision. Each of them gets the answer the token now deserves (409 used, 410
    // cancelled or expired), not whichever step noticed first.
    let invitation = match accepted {
        Ok(invitation) => invitation,
        Err(err) => return Err(now_unusable(&state, &id).await.unwrap_or(err)),
    };
    Ok(Json(Accepted { invitation }))
}

/// `POST /v1/invitations/{iid}/resend` (`inviteUser`): a new token and expiry; the old token dies.
#[utoipa::path(post, path = "/v1/invitations/{iid}/resend", tag = "invitations", params(("iid" = InvitationId, Path, description = "Invitation id")),
    responses((status = 200, description = "Resent", body = IssuedInvitation), ApiErrors))]
pub async fn resend(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<InvitationId>,
) -> Result<Json<IssuedInvitation>> {
    let invitation = find(&state, &id).await?;
    let (account, _) = ids_of(&invitation)?;
    let auth = state
        .checker
        .authorize(&actor, "inviteUser", Target::Account(&account))
        .await?;
    let token = InvitationToken::generate();
    let invitation = state
        .checker
        .write(state.checker.store().resend_invitation(
            &auth,
            &id,
            &token.hash(),
            state.invitation_ttl,
        ))
        .await?;
    Ok(Json(IssuedInvitation {
        invitation,
        token: token.reveal().to_owned(),
    }))
}

/// `DELETE /v1/invitations/{iid}` (`cancelInvitation`): `204`; the token is refused from now on.
#[utoipa::path(delete, path = "/v1/invitations/{iid}", tag = "invitations", params(("iid" = InvitationId, Path, description = "Invitation id")),
    responses((status = 204, description = "Cancelled"), ApiErrors))]
pub async fn cancel(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<InvitationId>,
) -> Result<StatusCode> {
    let invitation = find(&state, &id).await?;
    let (account, _) = ids_of(&invitation)?;
    let auth = state
        .checker
        .authorize(&actor, "cancelInvitation", Target::Account(&account))
        .await?;
    state
        .checker
        .write(state.checker.store().cancel_invitation(&auth, &id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Why an invitation can no longer be accepted, if it cannot.
async fn now_unusable(state: &AppState, id: &InvitationId) -> Option<Error> {
    match find(state, id).await {
        Ok(invitation) => invitation.check_usable(state.checker.store().now()).err(),
        Err(err) => Some(err),
    }
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
