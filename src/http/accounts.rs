//! `/v1/accounts`: billed customers. Creating one and changing its status is staff's;
//! members see it; the `profile` grant edits its name; the owner transfers ownership.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{JsonBody, PathIds};
use super::openapi::ApiErrors;
use super::AppState;
use crate::app::manage::accounts;
use crate::domain::{AccountId, AccountStatus, Actor, Name, Timestamp, UserId};
use crate::error::Result;
use crate::store::{AccountPatch, AccountRecord, NewAccount};

/// An account.
#[derive(Debug, Serialize, ToSchema)]
pub struct Account {
    /// The portal's id.
    id: String,
    /// Customer name.
    name: String,
    /// `active` or `closed`.
    status: String,
    /// The owner's user id.
    owner_id: String,
    /// When it was created.
    created_at: Timestamp,
    /// When it last changed.
    updated_at: Timestamp,
}

impl From<AccountRecord> for Account {
    fn from(r: AccountRecord) -> Self {
        Account {
            id: r.id,
            name: r.name,
            status: r.status,
            owner_id: r.owner_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Body of `POST /v1/accounts`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccountBody {
    /// The portal's id for the customer.
    id: AccountId,
    /// Customer name.
    name: Name,
    /// The owning user; becomes a member too.
    owner: UserId,
}

/// Body of `PATCH /v1/accounts/{id}`: only the fields given change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountPatchBody {
    /// New customer name.
    name: Option<Name>,
    /// New status (staff only).
    status: Option<AccountStatus>,
}

/// Body of `POST /v1/accounts/{id}/transfer-ownership`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    /// An active member who becomes the owner.
    new_owner: UserId,
}

/// `POST /v1/accounts` (`createAccount`): `201`; the owner becomes a member. `404` for an
/// unknown owner, `409` for a taken id.
#[utoipa::path(post, path = "/v1/accounts", tag = "accounts", request_body = NewAccountBody,
    responses((status = 201, description = "Created", body = Account), ApiErrors))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    JsonBody(body): JsonBody<NewAccountBody>,
) -> Result<(StatusCode, Json<Account>)> {
    let new = NewAccount {
        id: body.id,
        name: body.name,
        owner: body.owner,
    };
    let account = accounts::create(&state.app, &actor, new).await?;
    Ok((StatusCode::CREATED, Json(account.into())))
}

/// `GET /v1/accounts/{id}` (`viewAccount`): `404` when unknown (to staff; others get `403`).
#[utoipa::path(get, path = "/v1/accounts/{id}", tag = "accounts", params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, description = "The account", body = Account), ApiErrors))]
pub async fn show(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AccountId>,
) -> Result<Json<Account>> {
    Ok(Json(accounts::show(&state.app, &actor, &id).await?.into()))
}

/// `PATCH /v1/accounts/{id}` (`editProfile` for `name`, `changeAccountStatus` for `status`).
#[utoipa::path(patch, path = "/v1/accounts/{id}", tag = "accounts", params(("id" = AccountId, Path, description = "Account id")), request_body = AccountPatchBody,
    responses((status = 200, description = "The changed account", body = Account), ApiErrors))]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AccountId>,
    JsonBody(body): JsonBody<AccountPatchBody>,
) -> Result<Json<Account>> {
    let patch = AccountPatch {
        name: body.name,
        status: body.status,
    };
    Ok(Json(
        accounts::update(&state.app, &actor, &id, patch)
            .await?
            .into(),
    ))
}

/// `POST /v1/accounts/{id}/transfer-ownership` (`transferOwnership`): the previous owner stays
/// as an admin. `409` when the new owner is not an active member.
#[utoipa::path(post, path = "/v1/accounts/{id}/transfer-ownership", tag = "accounts", params(("id" = AccountId, Path, description = "Account id")), request_body = TransferBody,
    responses((status = 200, description = "The account with its new owner", body = Account), ApiErrors))]
pub async fn transfer(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AccountId>,
    JsonBody(body): JsonBody<TransferBody>,
) -> Result<Json<Account>> {
    let account = accounts::transfer(&state.app, &actor, &id, &body.new_owner).await?;
    Ok(Json(account.into()))
}
