//! `/v1/accounts`: billed customers. Creating one and changing its status is staff's;
//! members see it; the `profile` grant edits its name; the owner reads its audit trail.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{JsonBody, PathIds, QueryParams};
use super::AppState;
use crate::cache::Revisioned;
use crate::check::Target;
use crate::domain::{AccountId, Actor, UserId};
use crate::error::{Error, Result};
use crate::store::{AccountPatch, AccountRecord, NewAccount};

/// `POST /v1/accounts` (`createAccount`): `201`; the owner becomes a member. `404` for an
/// unknown owner, `409` for a taken id.
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
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AccountId>,
    JsonBody(patch): JsonBody<AccountPatch>,
) -> Result<Json<AccountRecord>> {
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
    if patch.name.is_none() && patch.status.is_none() {
        return Err(Error::bad_field(
            "body",
            "nothing to change: give name and/or status",
        ));
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    /// An active member who becomes the owner.
    new_owner: UserId,
}

/// `POST /v1/accounts/{id}/transfer-ownership` (`transferOwnership`): the previous owner stays
/// as an admin. `409` when the new owner is not an active member.
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditPage {
    /// Only events older than this event id.
    before: Option<String>,
    /// Page size, 1..=200 (default 50).
    limit: Option<i64>,
}

/// `GET /v1/accounts/{id}/audit` (`viewAudit`): newest first; `next_before` pages on.
pub async fn audit(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AccountId>,
    QueryParams(page): QueryParams<AuditPage>,
) -> Result<Json<Value>> {
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
    let next_before = (events.len() as i64 == limit)
        .then(|| events.last().map(|e| e.id.clone()))
        .flatten();
    let events: Vec<Value> = events.iter().map(|e| e.to_json()).collect();
    Ok(Json(
        json!({ "events": events, "next_before": next_before }),
    ))
}
