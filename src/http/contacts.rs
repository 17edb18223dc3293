//! Contacts of an account (`viewContacts`, `manageContacts`: the `contacts` grant) and the
//! recipients of mail by topic.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{JsonBody, PathIds, QueryParams};
use super::openapi::ApiErrors;
use super::AppState;
use crate::check::Target;
use crate::domain::{AccountId, Actor, ContactId, Topic};
use crate::error::{Error, Result};
use crate::store::{ContactPatch, ContactRecord, NewContact, Recipient};

/// Answer of `GET /v1/accounts/{id}/contacts`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Contacts {
    /// By name.
    contacts: Vec<ContactRecord>,
}

/// Query of `GET /v1/accounts/{id}/recipients`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RecipientsQuery {
    /// `general`, `billing`, `support`, `services` or `domains`.
    topic: Topic,
}

/// Answer of `GET /v1/accounts/{id}/recipients`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Recipients {
    /// The topic asked about.
    topic: Topic,
    /// One entry per address, contacts first.
    recipients: Vec<Recipient>,
}

/// `POST /v1/accounts/{id}/contacts` (`manageContacts`): `201` with the contact.
#[utoipa::path(post, path = "/v1/accounts/{id}/contacts", tag = "contacts", params(("id" = AccountId, Path, description = "Account id")), request_body = NewContact,
    responses((status = 201, description = "Created", body = ContactRecord), ApiErrors))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(account): PathIds<AccountId>,
    JsonBody(new): JsonBody<NewContact>,
) -> Result<(StatusCode, Json<ContactRecord>)> {
    let auth = state
        .checker
        .authorize(&actor, "manageContacts", Target::Account(&account))
        .await?;
    let contact = state
        .checker
        .write(state.checker.store().create_contact(&auth, &account, new))
        .await?;
    Ok((StatusCode::CREATED, Json(contact)))
}

/// `GET /v1/accounts/{id}/contacts` (`viewContacts`).
#[utoipa::path(get, path = "/v1/accounts/{id}/contacts", tag = "contacts", params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, description = "The contacts", body = Contacts), ApiErrors))]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(account): PathIds<AccountId>,
) -> Result<Json<Contacts>> {
    state
        .checker
        .authorize(&actor, "viewContacts", Target::Account(&account))
        .await?;
    let contacts = state.checker.store().contacts(&account).await?;
    Ok(Json(Contacts { contacts }))
}

/// `GET /v1/accounts/{id}/contacts/{cid}` (`viewContacts` on the contact): `404` when unknown.
#[utoipa::path(get, path = "/v1/accounts/{id}/contacts/{cid}", tag = "contacts",
    params(("id" = AccountId, Path, description = "Account id"), ("cid" = ContactId, Path, description = "Contact id")),
    responses((status = 200, description = "The contact", body = ContactRecord), ApiErrors))]
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
#[utoipa::path(patch, path = "/v1/accounts/{id}/contacts/{cid}", tag = "contacts",
    params(("id" = AccountId, Path, description = "Account id"), ("cid" = ContactId, Path, description = "Contact id")), request_body = ContactPatch,
    responses((status = 200, description = "The changed contact", body = ContactRecord), ApiErrors))]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    PathIds((account, id)): PathIds<(AccountId, ContactId)>,
    JsonBody(patch): JsonBody<ContactPatch>,
) -> Result<Json<ContactRecord>> {
    let auth = state
        .checker
        .authorize(&actor, "manageContacts", Target::Contact(&account, &id))
        .await?;
    let contact = state
        .checker
        .write(
            state
                .checker
                .store()
                .update_contact(&auth, &account, &id, patch),
        )
        .await?;
    Ok(Json(contact))
}

/// `DELETE /v1/accounts/{id}/contacts/{cid}` (`manageContacts` on the contact): `204`.
#[utoipa::path(delete, path = "/v1/accounts/{id}/contacts/{cid}", tag = "contacts",
    params(("id" = AccountId, Path, description = "Account id"), ("cid" = ContactId, Path, description = "Contact id")),
    responses((status = 204, description = "Deleted"), ApiErrors))]
pub async fn remove(
    State(state): State<AppState>,
    actor: Actor,
    PathIds((account, id)): PathIds<(AccountId, ContactId)>,
) -> Result<StatusCode> {
    let auth = state
        .checker
        .authorize(&actor, "manageContacts", Target::Contact(&account, &id))
        .await?;
    state
        .checker
        .write(state.checker.store().delete_contact(&auth, &account, &id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/accounts/{id}/recipients?topic=billing` (`viewContacts`): the addresses to mail.
/// `400` naming `topic` for an unknown topic.
#[utoipa::path(get, path = "/v1/accounts/{id}/recipients", tag = "contacts", params(("id" = AccountId, Path, description = "Account id"), RecipientsQuery),
    responses((status = 200, description = "Who to mail", body = Recipients), ApiErrors))]
pub async fn recipients(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(account): PathIds<AccountId>,
    QueryParams(query): QueryParams<RecipientsQuery>,
) -> Result<Json<Recipients>> {
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
    Ok(Json(Recipients {
        topic: query.topic,
        recipients,
    }))
}
