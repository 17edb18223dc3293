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
use crate::check::Target;
use crate::domain::{AccountId, Actor, Role, Timestamp, Topic, UserId};
use crate::error::Result;
use crate::store::MemberRecord;

/// Body of `PUT /v1/accounts/{id}/members/{user}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberBody {
    /// `admin` or `member`.
    role: Role,
    /// Grants, each declared by the schema.
    #[serde(default)]
    #[schema(value_type = Vec<crate::authz::GrantName>)]
    grants: Vec<String>,
    /// When this access ends by itself (RFC 3339, in the future); absent or `null`: until
    /// removed. A PUT replaces the whole membership, so leaving it out clears a limit.
    #[serde(default)]
    expires_at: Option<Timestamp>,
}

/// Answer of `GET /v1/accounts/{id}/members`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Members {
    /// Owner included, by user id.
    members: Vec<MemberRecord>,
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
    state
        .checker
        .authorize(&actor, "viewMembers", Target::Account(&id))
        .await?;
    let members = state.checker.store().members(&id).await?;
    Ok(Json(Members { members }))
}

/// `PUT /v1/accounts/{id}/members/{user}` (`changeGrants`): adds or changes a member, with
/// an optional `expires_at` after which the access ends by itself.
/// `400` for a grant the schema does not declare, `404` unknown account or user, `409` the owner.
#[utoipa::path(put, path = "/v1/accounts/{id}/members/{user}", tag = "members",
    params(("id" = AccountId, Path, description = "Account id"), ("user" = UserId, Path, description = "User id")), request_body = MemberBody,
    responses((status = 200, description = "The member", body = MemberRecord), ApiErrors))]
pub async fn put(
    State(state): State<AppState>,
    actor: Actor,
    PathIds((id, user)): PathIds<(AccountId, UserId)>,
    JsonBody(body): JsonBody<MemberBody>,
) -> Result<Json<MemberRecord>> {
    state.checker.bundle().check_grants(&body.grants)?;
    let auth = state
        .checker
        .authorize(&actor, "changeGrants", Target::Account(&id))
        .await?;
    let member = state
        .checker
        .write(state.checker.store().put_member(
            &auth,
            &id,
            &user,
            body.role,
            &body.grants,
            body.expires_at,
        ))
        .await?;
    Ok(Json(member))
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
    let auth = state
        .checker
        .authorize(&actor, "removeMember", Target::Account(&id))
        .await?;
    state
        .checker
        .write(state.checker.store().remove_member(&auth, &id, &user))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /v1/accounts/{id}/members/{user}/preferences` (`editUser` on the member: themselves
/// or staff): the member's own mail topics for this account. `404` when not a member.
#[utoipa::path(put, path = "/v1/accounts/{id}/members/{user}/preferences", tag = "members",
    params(("id" = AccountId, Path, description = "Account id"), ("user" = UserId, Path, description = "User id")), request_body = PreferencesBody,
    responses((status = 200, description = "The member", body = MemberRecord), ApiErrors))]
pub async fn preferences(
    State(state): State<AppState>,
    actor: Actor,
    PathIds((id, user)): PathIds<(AccountId, UserId)>,
    JsonBody(body): JsonBody<PreferencesBody>,
) -> Result<Json<MemberRecord>> {
    let auth = state
        .checker
        .authorize(&actor, "editUser", Target::User(&user))
        .await?;
    let member = state
        .checker
        .write(
            state
                .checker
                .store()
                .set_member_topics(&auth, &id, &user, &body.preferences),
        )
        .await?;
    Ok(Json(member))
}
