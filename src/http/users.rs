//! `/v1/users`: people who can log in. Creating, deleting and changing a user's status is
//! staff's; users see and edit their own record (policies `self-service`, `staff-only-actions`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{JsonBody, PathIds};
use super::openapi::ApiErrors;
use super::AppState;
use crate::check::Target;
use crate::domain::{Actor, UserId, UserStatus};
use crate::error::{Error, Result};
use crate::store::{NewUser, UserAccount, UserPatch, UserRecord};

/// Answer of `GET /v1/users/{id}/accounts`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserAccounts {
    /// The accounts the user belongs to, with their role there.
    accounts: Vec<UserAccount>,
}

/// `POST /v1/users` (`createUser`): `201` with the user; `409` when the id or email is taken.
#[utoipa::path(post, path = "/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, description = "Created", body = UserRecord), ApiErrors))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    JsonBody(new): JsonBody<NewUser>,
) -> Result<(StatusCode, Json<UserRecord>)> {
    let auth = state
        .checker
        .authorize(&actor, "createUser", Target::User(&new.id))
        .await?;
    let user = state
        .checker
        .write(state.checker.store().create_user(&auth, new))
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// `GET /v1/users/{id}` (`viewUser`): `404` when unknown.
#[utoipa::path(get, path = "/v1/users/{id}", tag = "users", params(("id" = UserId, Path, description = "User id")),
    responses((status = 200, description = "The user", body = UserRecord), ApiErrors))]
pub async fn show(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<UserId>,
) -> Result<Json<UserRecord>> {
    state
        .checker
        .authorize(&actor, "viewUser", Target::User(&id))
        .await?;
    let user = state
        .checker
        .store()
        .user(&id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("user {id}")))?;
    Ok(Json(user))
}

/// `PATCH /v1/users/{id}` (`editUser`; also `changeUserStatus` for `status` and
/// `changeLoginEmail` for `email`, both staff-only).
#[utoipa::path(patch, path = "/v1/users/{id}", tag = "users", params(("id" = UserId, Path, description = "User id")), request_body = UserPatch,
    responses((status = 200, description = "The changed user", body = UserRecord), ApiErrors))]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<UserId>,
    JsonBody(patch): JsonBody<UserPatch>,
) -> Result<Json<UserRecord>> {
    let auth = state
        .checker
        .authorize(&actor, "editUser", Target::User(&id))
        .await?;
    if patch.status.is_some() {
        state
            .checker
            .authorize(&actor, "changeUserStatus", Target::User(&id))
            .await?;
    }
    if patch.email.is_some() {
        // The login email proves who may accept an invitation: only staff (the portal,
        // once it has verified the address) may change it.
        state
            .checker
            .authorize(&actor, "changeLoginEmail", Target::User(&id))
            .await?;
    }
    let user = state
        .checker
        .write(state.checker.store().update_user(&auth, &id, patch))
        .await?;
    Ok(Json(user))
}

/// `POST /v1/users/{id}/activate` (`changeUserStatus`).
#[utoipa::path(post, path = "/v1/users/{id}/activate", tag = "users", params(("id" = UserId, Path, description = "User id")),
    responses((status = 200, description = "The active user", body = UserRecord), ApiErrors))]
pub async fn activate(
    state: State<AppState>,
    actor: Actor,
    id: PathIds<UserId>,
) -> Result<Json<UserRecord>> {
    set_status(state, actor, id, UserStatus::Active).await
}

/// `POST /v1/users/{id}/suspend` (`changeUserStatus`): the user is denied everything at once.
#[utoipa::path(post, path = "/v1/users/{id}/suspend", tag = "users", params(("id" = UserId, Path, description = "User id")),
    responses((status = 200, description = "The suspended user", body = UserRecord), ApiErrors))]
pub async fn suspend(
    state: State<AppState>,
    actor: Actor,
    id: PathIds<UserId>,
) -> Result<Json<UserRecord>> {
    set_status(state, actor, id, UserStatus::Suspended).await
}

async fn set_status(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<UserId>,
    status: UserStatus,
) -> Result<Json<UserRecord>> {
    let auth = state
        .checker
        .authorize(&actor, "changeUserStatus", Target::User(&id))
        .await?;
    let patch = UserPatch {
        status: Some(status),
        ..UserPatch::default()
    };
    let user = state
        .checker
        .write(state.checker.store().update_user(&auth, &id, patch))
        .await?;
    Ok(Json(user))
}

/// `DELETE /v1/users/{id}` (`deleteUser`): `204`; `409` while the user belongs to an account.
#[utoipa::path(delete, path = "/v1/users/{id}", tag = "users", params(("id" = UserId, Path, description = "User id")),
    responses((status = 204, description = "Deleted"), ApiErrors))]
pub async fn remove(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<UserId>,
) -> Result<StatusCode> {
    let auth = state
        .checker
        .authorize(&actor, "deleteUser", Target::User(&id))
        .await?;
    state
        .checker
        .write(state.checker.store().delete_user(&auth, &id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/users/{id}/accounts` (`listUserAccounts`): the accounts to switch between, with role.
#[utoipa::path(get, path = "/v1/users/{id}/accounts", tag = "users", params(("id" = UserId, Path, description = "User id")),
    responses((status = 200, description = "Accounts with role", body = UserAccounts), ApiErrors))]
pub async fn accounts(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<UserId>,
) -> Result<Json<UserAccounts>> {
    state
        .checker
        .authorize(&actor, "listUserAccounts", Target::User(&id))
        .await?;
    let accounts = state.checker.store().user_accounts(&id).await?;
    Ok(Json(UserAccounts { accounts }))
}
