//! `/v1/accounts/{id}/members`: who belongs to an account, with role and grants. Owner-only
//! (policy `owner-only-user-management`); the owner's own membership cannot be edited here.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{JsonBody, PathIds};
use super::openapi::ApiErrors;
use super::AppState;
use crate::app::manage::members;
use crate::domain::{AccountId, Actor, Role, RoleName, Timestamp, Topic, UserId};
use crate::error::Result;
use crate::store::{MemberRecord, MembershipChange};

/// A member of an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    /// The member's user id.
    user_id: String,
    /// Login email.
    email: String,
    /// Name shown to others.
    display_name: String,
    /// The user's status.
    status: String,
    /// `owner`, `admin` or `member`.
    role: String,
    /// Grants the membership itself holds on this account (the owner and admins implicitly
    /// hold all).
    grants: Vec<String>,
    /// Roles it names (the account's own or presets), whose grants add to `grants`.
    roles: Vec<String>,
    /// Mail topics the member opted into for this account.
    preferences: Vec<String>,
    /// When the membership ends by itself; absent: until removed (always for the owner).
    expires_at: Option<Timestamp>,
}

impl From<MemberRecord> for Member {
    fn from(r: MemberRecord) -> Self {
        Member {
            user_id: r.user_id,
            email: r.email,
            display_name: r.display_name,
            status: r.status,
            role: r.role,
            grants: r.grants,
            roles: r.roles,
            preferences: r.preferences,
            expires_at: r.expires_at,
        }
    }
}

/// Body of `PUT /v1/accounts/{id}/members/{user}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberBody {
    /// `admin` or `member`.
    role: Role,
    /// Grants, each declared by the schema.
    #[serde(default)]
    #[schema(value_type = Vec<crate::domain::GrantName>)]
    grants: Vec<String>,
    /// Roles, each the account's own or a preset: their grants add to `grants`, and a change
    /// to a role changes every holder at once.
    #[serde(default)]
    roles: Vec<RoleName>,
    /// When this access ends by itself (RFC 3339, in the future); absent or `null`: until
    /// removed. A PUT replaces the whole membership, so leaving it out clears a limit.
    #[serde(default)]
    expires_at: Option<Timestamp>,
}

/// Answer of `GET /v1/accounts/{id}/members`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Members {
    /// Owner included, by user id.
    members: Vec<Member>,
}

/// Body of `PUT /v1/accounts/{id}/members/{user}/preferences`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesBody {
    /// Mail topics the member wants for this account.
    preferences: Vec<Topic>,
}

/// `GET /v1/accounts/{id}/members` (`viewMembers`).
#[utoipa::path(get, path = "/v1/accounts/{id}/members", tag = "members", params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, description = "The members", body = Members), ApiErrors))]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AccountId>,
) -> Result<Json<Members>> {
    let members = members::list(&state.app, &actor, &id).await?;
    Ok(Json(Members {
        members: members.into_iter().map(Member::from).collect(),
    }))
}

/// `PUT /v1/accounts/{id}/members/{user}` (`changeGrants`): adds or changes a member, with
/// an optional `expires_at` after which the access ends by itself.
/// `400` for a grant the schema does not declare or an unknown role (`roles[i]`), `404`
/// unknown account or user, `409` the owner.
#[utoipa::path(put, path = "/v1/accounts/{id}/members/{user}", tag = "members",
    params(("id" = AccountId, Path, description = "Account id"), ("user" = UserId, Path, description = "User id")), request_body = MemberBody,
    responses((status = 200, description = "The member", body = Member), ApiErrors))]
pub async fn put(
    State(state): State<AppState>,
    actor: Actor,
    PathIds((id, user)): PathIds<(AccountId, UserId)>,
    JsonBody(body): JsonBody<MemberBody>,
) -> Result<Json<Member>> {
    let change = MembershipChange {
        role: body.role,
        grants: body.grants,
        roles: body.roles,
        expires_at: body.expires_at,
    };
    let member = members::put(&state.app, &actor, &id, &user, change).await?;
    Ok(Json(member.into()))
}

/// `DELETE /v1/accounts/{id}/members/{user}` (`removeMember`): `204`; the member is denied at
/// once. `404` when not a member, `409` for the owner.
#[utoipa::path(delete, path = "/v1/accounts/{id}/members/{user}", tag = "members",
    params(("id" = AccountId, Path, description = "Account id"), ("user" = UserId, Path, description = "User id")),
    responses((status = 204, description = "Removed"), ApiErrors))]
pub async fn remove(
    State(state): State<AppState>,
    actor: Actor,
    PathIds((id, user)): PathIds<(AccountId, UserId)>,
) -> Result<StatusCode> {
    members::remove(&state.app, &actor, &id, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /v1/accounts/{id}/members/{user}/preferences` (`editUser` on the member: themselves
/// or staff): the member's own mail topics for this account. `404` when not a member.
#[utoipa::path(put, path = "/v1/accounts/{id}/members/{user}/preferences", tag = "members",
    params(("id" = AccountId, Path, description = "Account id"), ("user" = UserId, Path, description = "User id")), request_body = PreferencesBody,
    responses((status = 200, description = "The member", body = Member), ApiErrors))]
pub async fn preferences(
    State(state): State<AppState>,
    actor: Actor,
    PathIds((id, user)): PathIds<(AccountId, UserId)>,
    JsonBody(body): JsonBody<PreferencesBody>,
) -> Result<Json<Member>> {
    let member = members::set_topics(&state.app, &actor, &id, &user, &body.preferences).await?;
    Ok(Json(member.into()))
}
