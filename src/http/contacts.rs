//! Contacts of an account (`viewContacts`, `manageContacts`: the `contacts` grant) and the
//! recipients of mail by topic.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{JsonBody, PathIds, QueryParams};
use super::AppState;
use crate::cache::Revisioned;
use crate::check::Target;
use crate::domain::{AccountId, Actor, ContactId, Topic};
use crate::error::{Error, Result};
use crate::store::{ContactPatch, ContactRecord, NewContact};

/// `POST /v1/accounts/{id}/contacts` (`manageContacts`): `201` with the contact.
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(account): PathIds<AccountId>,
    JsonBody(new): JsonBody<NewContact>,
) -> Result<(StatusCode, Json<ContactRecord>)> {
    state
        .checker
        .authorize(&actor, "manageContacts", Target::Account(&account))
        .await?;
    let contact = state
        .checker
        .store()
        .create_contact(&actor, &account, new)
        .await?;
    state
        .checker
        .changed(&[Revisioned::Account(account.to_string())])
        .await;
    Ok((StatusCode::CREATED, Json(contact)))
}

/// `GET /v1/accounts/{id}/contacts` (`viewContacts`).
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(account): PathIds<AccountId>,
) -> Result<Json<Value>> {
    state
        .checker
        .authorize(&actor, "viewContacts", Target::Account(&account))
        .await?;
    let contacts = state.checker.store().contacts(&account).await?;
    Ok(Json(json!({ "contacts": contacts })))
}

/// `GET /v1/accounts/{id}/contacts/{cid}` (`viewContacts` on the contact): `404` when unknown.
pub async fn show(
    State(state): State<AppState>,
    actor: Actor,
    PathIds((account, id)): PathIds<(AccountId, ContactId)>,
) -> Result<Json<ContactRecord>> {
    state
        .checker
        .authorize(&actor, "viewContacts", Target::Contact(&account, &id))
        .await?;
    let contact = state
        .checker
        .store()
        .contact(&account, &id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("contact {id}")))?;
    Ok(Json(contact))
}

/// `PATCH /v1/accounts/{id}/contacts/{cid}` (`manageContacts` on the contact).
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    PathIds((account, id)): PathIds<(AccountId, ContactId)>,
    JsonBody(patch): JsonBody<ContactPatch>,
) -> Result<Json<ContactRecord>> {
    state
        .checker
        .authorize(&actor, "manageContacts", Target::Contact(&account, &id))
        .await?;
    let contact = state
        .checker
        .store()
        .update_contact(&actor, &account, &id, patch)
        .await?;
    Ok(Json(contact))
}

/// `DELETE /v1/accounts/{id}/contacts/{cid}` (`manageContacts` on the contact): `204`.
pub async fn remove(
    State(state): State<AppState>,
    actor: Actor,
    PathIds((account, id)): PathIds<(AccountId, ContactId)>,
) -> Result<StatusCode> {
    state
        .checker
        .authorize(&actor, "manageContacts", Target::Contact(&account, &id))
        .await?;
    state
        .checker
        .store()
        .delete_contact(&actor, &account, &id)
        .await?;
    state
        .checker
        .changed(&[Revisioned::Account(account.to_string())])
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Query of `GET /v1/accounts/{id}/recipients`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipientsQuery {
    /// `general`, `billing`, `support`, `services` or `domains`.
    topic: Topic,
}

/// `GET /v1/accounts/{id}/recipients?topic=billing` (`viewContacts`): the addresses to mail.
/// `400` naming `topic` for an unknown topic.
pub async fn recipients(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(account): PathIds<AccountId>,
    QueryParams(query): QueryParams<RecipientsQuery>,
) -> Result<Json<Value>> {
    state
        .checker
        .authorize(&actor, "viewContacts", Target::Account(&account))
        .await?;
    state
        .checker
        .store()
        .account(&account)
        .await?
        .ok_or_else(|| Error::NotFound(format!("account {account}")))?;
    let recipients = state
        .checker
        .store()
        .recipients(&account, query.topic)
        .await?;
    Ok(Json(
        json!({ "topic": query.topic, "recipients": recipients }),
    ))
}
