//! `/v1/accounts`: billed customers. Creating one and changing its status is staff's;
//! members see it; the `profile` grant edits its name; the owner transfers ownership.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use super::extract::{JsonBody, PathIds};
use super::openapi::ApiErrors;
use super::AppState;
use crate::check::Target;
use crate::domain::{AccountId, Actor, UserId};
use crate::error::{Error, Result};
use crate::store::{AccountPatch, AccountRecord, NewAccount};

/// `POST /v1/accounts` (`createAccount`): `201`; the owner becomes a member. `404` for an
/// unknown owner, `409` for a taken id.
#[utoipa::path(post, path = "/v1/accounts", tag = "accounts", request_body = NewAccount,
    responses((status = 201, description = "Created", body = AccountRecord), ApiErrors))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    JsonBody(new): JsonBody<NewAccount>,
) -> Result<(StatusCode, Json<AccountRecord>)> {
    let auth = state
        .checker
        .authorize(&actor, "createAccount", Target::Account(&new.id))
        .await?;
    let account = state
        .checker
        .write(state.checker.store().create_account(&auth, new))
        .await?;
    Ok((StatusCode::CREATED, Json(account)))
}

/// `GET /v1/accounts/{id}` (`viewAccount`): `404` when unknown (to staff; others get `403`).
#[utoipa::path(get, path = "/v1/accounts/{id}", tag = "accounts", params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, description = "The account", body = AccountRecord), ApiErrors))]
pub async fn show(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AccountId>,
) -> Result<Json<AccountRecord>> {
    state
        .checker
        .authorize(&actor, "viewAccount", Target::Account(&id))
        .await?;
    let account = state
        .checker
        .store()
        .account(&id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("account {id}")))?;
    Ok(Json(account))
}

/// `PATCH /v1/accounts/{id}` (`editProfile` for `name`, `changeAccountStatus` for `status`).
#[utoipa::path(patch, path = "/v1/accounts/{id}", tag = "accounts", params(("id" = AccountId, Path, description = "Account id")), request_body = AccountPatch,
    responses((status = 200, description = "The changed account", body = AccountRecord), ApiErrors))]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AccountId>,
    JsonBody(patch): JsonBody<AccountPatch>,
) -> Result<Json<AccountRecord>> {
    let needed = [
        (patch.name.is_some(), "editProfile"),
        (patch.status.is_some(), "changeAccountStatus"),
    ];
    let mut auth = None;
    for (_, action) in needed.into_iter().filter(|(wanted, _)| *wanted) {
        auth = Some(
            state
                .checker
                .authorize(&actor, action, Target::Account(&id))
                .await?,
        );
    }
    let Some(auth) = auth else {
        // Nothing to change: answer the account as it is, like any PATCH.
        return show(State(state), actor, PathIds(id)).await;
    };
    let account = state
        .checker
        .write(state.checker.store().update_account(&auth, &id, patch))
        .await?;
    Ok(Json(account))
}

/// Body of `POST /v1/accounts/{id}/transfer-ownership`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    /// An active member who becomes the owner.
    new_owner: UserId,
}

/// `POST /v1/accounts/{id}/transfer-ownership` (`transferOwnership`): the previous owner stays
/// as an admin. `409` when the new owner is not an active member.
#[utoipa::path(post, path = "/v1/accounts/{id}/transfer-ownership", tag = "accounts", params(("id" = AccountId, Path, description = "Account id")), request_body = TransferBody,
    responses((status = 200, description = "The account with its new owner", body = AccountRecord), ApiErrors))]
pub async fn transfer(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AccountId>,
    JsonBody(body): JsonBody<TransferBody>,
) -> Result<Json<AccountRecord>> {
    let auth = state
        .checker
        .authorize(&actor, "transferOwnership", Target::Account(&id))
        .await?;
    let account = state
        .checker
        .write(
            state
                .checker
                .store()
                .transfer_ownership(&auth, &id, &body.new_owner),
        )
        .await?;
    Ok(Json(account))
}
