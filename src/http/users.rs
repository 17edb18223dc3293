//! `/v1/users`: people who can log in. Creating, deleting and changing a user's status is
//! staff's; users see and edit their own record (policies `self-service`, `staff-only-actions`).
//! The bodies are this file's own types, apart from what the store keeps.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{JsonBody, PathIds};
use super::openapi::ApiErrors;
use super::AppState;
use crate::app::manage::users;
use crate::domain::{Actor, Email, Name, Timestamp, UserId, UserStatus};
use crate::error::Result;
use crate::store::{NewUser, UserAccount, UserPatch, UserRecord};

/// A user.
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    /// The portal's id.
    id: String,
    /// Login email.
    email: String,
    /// Name shown to others.
    display_name: String,
    /// Where mail goes, when not the login email.
    notification_email: Option<String>,
    /// `invited`, `active` or `suspended`.
    status: String,
    /// When it was created.
    created_at: Timestamp,
    /// When it last changed.
    updated_at: Timestamp,
}

impl From<UserRecord> for User {
    fn from(r: UserRecord) -> Self {
        User {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            notification_email: r.notification_email,
            status: r.status,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Body of `POST /v1/users`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    /// The portal's id for the person.
    id: UserId,
    /// Login email, unique whatever its case.
    email: Email,
    /// Name shown to others.
    display_name: Name,
    /// Where mail goes, when not the login email.
    #[serde(default)]
    notification_email: Option<Email>,
    /// Defaults to `active`.
    #[serde(default)]
    status: Option<UserStatus>,
}

/// Body of `PATCH /v1/users/{id}`: only the fields given change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatchBody {
    /// New login email (staff only).
    email: Option<Email>,
    /// New display name.
    display_name: Option<Name>,
    /// New notification email; `null` clears it.
    #[serde(default, deserialize_with = "crate::domain::present")]
    notification_email: Option<Option<Email>>,
    /// New status (staff only).
    status: Option<UserStatus>,
}

/// An account a user belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountOfUser {
    /// The account's id.
    account_id: String,
    /// Customer name.
    name: String,
    /// `active` or `closed`.
    status: String,
    /// `owner`, `admin` or `member`.
    role: String,
}

impl From<UserAccount> for AccountOfUser {
    fn from(a: UserAccount) -> Self {
        AccountOfUser {
            account_id: a.account_id,
            name: a.name,
            status: a.status,
            role: a.role,
        }
    }
}

/// Answer of `GET /v1/users/{id}/accounts`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserAccounts {
    /// The accounts the user belongs to, with their role there.
    accounts: Vec<AccountOfUser>,
}

/// `POST /v1/users` (`createUser`): `201` with the user; `409` when the id or email is taken.
#[utoipa::path(post, path = "/v1/users", tag = "users", request_body = NewUserBody,
    responses((status = 201, description = "Created", body = User), ApiErrors))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    JsonBody(body): JsonBody<NewUserBody>,
) -> Result<(StatusCode, Json<User>)> {
    let new = NewUser {
        id: body.id,
        email: body.email,
        display_name: body.display_name,
        notification_email: body.notification_email,
        status: body.status,
    };
    let user = users::create(&state.app, &actor, new).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// `GET /v1/users/{id}` (`viewUser`): `404` when unknown.
#[utoipa::path(get, path = "/v1/users/{id}", tag = "users", params(("id" = UserId, Path, description = "User id")),
    responses((status = 200, description = "The user", body = User), ApiErrors))]
pub async fn show(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<UserId>,
) -> Result<Json<User>> {
    Ok(Json(users::show(&state.app, &actor, &id).await?.into()))
}

/// `PATCH /v1/users/{id}` (`editUser`; also `changeUserStatus` for `status` and
/// `changeLoginEmail` for `email`, both staff-only).
#[utoipa::path(patch, path = "/v1/users/{id}", tag = "users", params(("id" = UserId, Path, description = "User id")), request_body = UserPatchBody,
    responses((status = 200, description = "The changed user", body = User), ApiErrors))]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<UserId>,
    JsonBody(body): JsonBody<UserPatchBody>,
) -> Result<Json<User>> {
    let patch = UserPatch {
        email: body.email,
        display_name: body.display_name,
        notification_email: body.notification_email,
        status: body.status,
    };
    Ok(Json(
        users::update(&state.app, &actor, &id, patch).await?.into(),
    ))
}

/// `POST /v1/users/{id}/activate` (`changeUserStatus`).
#[utoipa::path(post, path = "/v1/users/{id}/activate", tag = "users", params(("id" = UserId, Path, description = "User id")),
    responses((status = 200, description = "The active user", body = User), ApiErrors))]
pub async fn activate(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<UserId>,
) -> Result<Json<User>> {
    let user = users::set_status(&state.app, &actor, &id, UserStatus::Active).await?;
    Ok(Json(user.into()))
}

/// `POST /v1/users/{id}/suspend` (`changeUserStatus`): the user is denied everything at once.
#[utoipa::path(post, path = "/v1/users/{id}/suspend", tag = "users", params(("id" = UserId, Path, description = "User id")),
    responses((status = 200, description = "The suspended user", body = User), ApiErrors))]
pub async fn suspend(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<UserId>,
) -> Result<Json<User>> {
    let user = users::set_status(&state.app, &actor, &id, UserStatus::Suspended).await?;
    Ok(Json(user.into()))
}

/// `DELETE /v1/users/{id}` (`deleteUser`): `204`; `409` while the user belongs to an account.
#[utoipa::path(delete, path = "/v1/users/{id}", tag = "users", params(("id" = UserId, Path, description = "User id")),
    responses((status = 204, description = "Deleted"), ApiErrors))]
pub async fn remove(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<UserId>,
) -> Result<StatusCode> {
    users::remove(&state.app, &actor, &id).await?;
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
    let accounts = users::accounts(&state.app, &actor, &id).await?;
    Ok(Json(UserAccounts {
        accounts: accounts.into_iter().map(AccountOfUser::from).collect(),
    }))
}
