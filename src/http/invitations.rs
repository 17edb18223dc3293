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
use crate::app::manage::invitations::{self, Issued};
use crate::domain::{
    AccountId, Actor, Email, InvitationId, InvitationToken, Role, Session, Timestamp, UserId,
};
use crate::error::Result;
use crate::store::{InvitationRecord, NewInvitation};

/// An invitation.
#[derive(Debug, Serialize, ToSchema)]
pub struct Invitation {
    /// Portier's id for it.
    id: String,
    /// The account offered.
    account_id: String,
    /// Who may accept: the user with this login email.
    email: String,
    /// Role offered.
    role: String,
    /// Grants offered.
    grants: Vec<String>,
    /// `user:<id>` or `staff`.
    invited_by: String,
    /// `pending`, `accepted`, `cancelled` or `expired`.
    state: String,
    /// The user who accepted.
    accepted_by: Option<String>,
    /// When it was sent (or last resent).
    created_at: Timestamp,
    /// When the token stops working.
    expires_at: Timestamp,
    /// When the access it offers ends: the membership created by accepting it expires then.
    membership_expires_at: Option<Timestamp>,
}

impl From<InvitationRecord> for Invitation {
    fn from(r: InvitationRecord) -> Self {
        Invitation {
            id: r.id,
            account_id: r.account_id,
            email: r.email,
            role: r.role,
            grants: r.grants,
            invited_by: r.invited_by,
            state: r.state,
            accepted_by: r.accepted_by,
            created_at: r.created_at,
            expires_at: r.expires_at,
            membership_expires_at: r.membership_expires_at,
        }
    }
}

/// Body of `POST /v1/accounts/{id}/invitations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvitationBody {
    /// The invitee's login email.
    email: Email,
    /// `admin` or `member`.
    role: Role,
    /// Grants offered, each declared by the schema.
    #[serde(default)]
    #[schema(value_type = Vec<crate::domain::GrantName>)]
    grants: Vec<String>,
    /// When the access offered ends (RFC 3339, in the future): the membership created by
    /// accepting expires then. Absent: access until removed.
    #[serde(default)]
    membership_expires_at: Option<Timestamp>,
}

/// An invitation with its token: the only time the token is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedInvitation {
    /// The invitation.
    invitation: Invitation,
    /// 64 hex digits, for the invitation link. Not stored; cannot be shown again.
    token: String,
}

impl From<Issued> for IssuedInvitation {
    fn from(issued: Issued) -> Self {
        IssuedInvitation {
            token: issued.token.reveal().to_owned(),
            invitation: issued.invitation.into(),
        }
    }
}

/// Answer of `GET /v1/accounts/{id}/invitations`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Invitations {
    /// Pending invitations, newest first, without tokens.
    invitations: Vec<Invitation>,
}

/// Answer of `POST /v1/invitations/accept`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// The invitation, now accepted.
    invitation: Invitation,
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

/// `POST /v1/accounts/{id}/invitations` (`inviteUser`): `201` with the invitation and its
/// token, shown this once. `400` unknown grant, `409` already a member or already invited.
#[utoipa::path(post, path = "/v1/accounts/{id}/invitations", tag = "invitations", params(("id" = AccountId, Path, description = "Account id")), request_body = NewInvitationBody,
    responses((status = 201, description = "Invited", body = IssuedInvitation), ApiErrors))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(account): PathIds<AccountId>,
    JsonBody(body): JsonBody<NewInvitationBody>,
) -> Result<(StatusCode, Json<IssuedInvitation>)> {
    let new = NewInvitation {
        email: body.email,
        role: body.role,
        grants: body.grants,
        membership_expires_at: body.membership_expires_at,
    };
    let issued = invitations::create(&state.app, &actor, &account, new).await?;
    Ok((StatusCode::CREATED, Json(issued.into())))
}

/// `GET /v1/accounts/{id}/invitations` (`viewMembers`): pending invitations, without tokens.
#[utoipa::path(get, path = "/v1/accounts/{id}/invitations", tag = "invitations", params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, description = "Pending invitations", body = Invitations), ApiErrors))]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(account): PathIds<AccountId>,
) -> Result<Json<Invitations>> {
    let invitations = invitations::list(&state.app, &actor, &account).await?;
    Ok(Json(Invitations {
        invitations: invitations.into_iter().map(Invitation::from).collect(),
    }))
}

/// `POST /v1/invitations/accept` (`acceptInvitation`, as `user`): joins the account with the
/// offered role and grants. `404` unknown (or superseded) token, `409` already used, `410`
/// expired or cancelled, `403` another user's invitation or a suspended user.
#[utoipa::path(post, path = "/v1/invitations/accept", tag = "invitations", request_body = AcceptBody,
    responses((status = 200, description = "Accepted", body = Accepted), ApiErrors))]
pub async fn accept(
    State(state): State<AppState>,
    session: Session,
    JsonBody(body): JsonBody<AcceptBody>,
) -> Result<Json<Accepted>> {
    let invitation = invitations::accept(&state.app, &body.token, &body.user, session).await?;
    Ok(Json(Accepted {
        invitation: invitation.into(),
    }))
}

/// `POST /v1/invitations/{iid}/resend` (`inviteUser`): a new token and expiry; the old token dies.
#[utoipa::path(post, path = "/v1/invitations/{iid}/resend", tag = "invitations", params(("iid" = InvitationId, Path, description = "Invitation id")),
    responses((status = 200, description = "Resent", body = IssuedInvitation), ApiErrors))]
pub async fn resend(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<InvitationId>,
) -> Result<Json<IssuedInvitation>> {
    Ok(Json(
        invitations::resend(&state.app, &actor, &id).await?.into(),
    ))
}

/// `DELETE /v1/invitations/{iid}` (`cancelInvitation`): `204`; the token is refused from now on.
#[utoipa::path(delete, path = "/v1/invitations/{iid}", tag = "invitations", params(("iid" = InvitationId, Path, description = "Invitation id")),
    responses((status = 204, description = "Cancelled"), ApiErrors))]
pub async fn cancel(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<InvitationId>,
) -> Result<StatusCode> {
    invitations::cancel(&state.app, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
