//! `/v1/accounts`: billed customers. Creating one and changing its status is staff's;
//! members see it; the `profile` grant edits its name; the owner transfers ownership and
//! reads the audit trail.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{JsonBody, PathIds, QueryParams};
use super::openapi::ApiErrors;
use super::AppState;
use crate::cache::Revisioned;
use crate::check::Target;
use crate::domain::{AccountId, Actor, UserId};
use crate::error::{Error, Result};
use crate::store::{AccountPatch, AccountRecord, AuditEvent, NewAccount};

/// `POST /v1/accounts` (`createAccount`): `201`; the owner becomes a member. `404` for an
/// unknown owner, `409` for a taken id.
#[utoipa::path(post, path = "/v1/accounts", tag = "accounts", request_body = NewAccount,
    responses((status = 201, description = "Created", body = AccountRecord), ApiErrors))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    JsonBody(new): JsonBody<NewAccount>,
) -> Result<(StatusCode, Json<AccountRecord>)> {
    state
        .checker
        .authorize(&actor, "createAccount", Target::Account(&new.id))
        .await?;
    let owner = new.owner.to_string();
    let account = state.checker.store().create_account(&actor, new).await?;
    state
        .checker
        .changed(&[
            Revisioned::Account(account.id.clone()),
            Revisioned::User(owner),
        ])
        .await;
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
    if patch.name.is_none() && patch.status.is_none() {
        // Nothing to change: answer the account as it is, like any PATCH.
        return show(State(state), actor, PathIds(id)).await;
    }
    if patch.name.is_some() {
        state
            .checker
            .authorize(&actor, "editProfile", Target::Account(&id))
            .await?;
    }
    if patch.status.is_some() {
        state
            .checker
            .authorize(&actor, "changeAccountStatus", Target::Account(&id))
            .await?;
    }
    let account = state
        .checker
        .store()
        .update_account(&actor, &id, patch)
        .await?;
    state
        .checker
        .changed(&[Revisioned::Account(id.to_string())])
        .await;
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
    state
        .checker
        .authorize(&actor, "transferOwnership", Target::Account(&id))
        .await?;
    let (account, previous) = state
        .checker
        .store()
        .transfer_ownership(&actor, &id, &body.new_owner)
        .await?;
    let changed = [
        Revisioned::Account(id.to_string()),
        Revisioned::User(previous),
        Revisioned::User(body.new_owner.to_string()),
    ];
    state.checker.changed(&changed).await;
    Ok(Json(account))
}

/// Paging of `GET /v1/accounts/{id}/audit`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only events older than this event id (the previous page's `next_before`).
    before: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

/// A page of the audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// Newest first.
    events: Vec<AuditEvent>,
    /// Pass as `before` for the next page; absent on the last.
    next_before: Option<String>,
}

/// `GET /v1/accounts/{id}/audit` (`viewAudit`): newest first; `next_before` pages on.
#[utoipa::path(get, path = "/v1/accounts/{id}/audit", tag = "accounts", params(("id" = AccountId, Path, description = "Account id"), AuditQuery),
    responses((status = 200, description = "A page of events", body = AuditPage), ApiErrors))]
pub async fn audit(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AccountId>,
    QueryParams(page): QueryParams<AuditQuery>,
) -> Result<Json<AuditPage>> {
    let limit = page.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(Error::bad_field("limit", "must be 1 to 200"));
    }
    state
        .checker
        .authorize(&actor, "viewAudit", Target::Account(&id))
        .await?;
    let events = state
        .checker
        .store()
        .audit_events(id.as_str(), page.before.as_deref(), limit)
        .await?;
    let full = i64::try_from(events.len()).is_ok_and(|n| n == limit);
    let next_before = if full {
        events.last().map(|e| e.id.clone())
    } else {
        None
    };
    Ok(Json(AuditPage {
        events,
        next_before,
    }))
}
