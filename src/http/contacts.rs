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
use crate::app::manage::contacts;
use crate::domain::{AccountId, Actor, ContactId, Email, Name, Phone, Timestamp, Topic};
use crate::error::Result;
use crate::store::{ContactPatch, ContactRecord, NewContact, Recipient};

/// A contact: receives the account's mail on the topics chosen, cannot log in.
#[derive(Debug, Serialize, ToSchema)]
pub struct Contact {
    /// Portier's id for it.
    id: String,
    /// The account it belongs to.
    account_id: String,
    /// Full name.
    name: String,
    /// Where mail goes.
    email: String,
    /// Phone number.
    phone: Option<String>,
    /// Mail topics the contact opted into.
    preferences: Vec<String>,
    /// When it was created.
    created_at: Timestamp,
    /// When it last changed.
    updated_at: Timestamp,
}

impl From<ContactRecord> for Contact {
    fn from(r: ContactRecord) -> Self {
        Contact {
            id: r.id,
            account_id: r.account_id,
            name: r.name,
            email: r.email,
            phone: r.phone,
            preferences: r.preferences,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Body of `POST /v1/accounts/{id}/contacts`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContactBody {
    /// Full name.
    name: Name,
    /// Where mail goes.
    email: Email,
    /// Phone number.
    #[serde(default)]
    phone: Option<Phone>,
    /// Topics opted into (none by default).
    #[serde(default)]
    preferences: Vec<Topic>,
}

/// Body of `PATCH /v1/accounts/{id}/contacts/{cid}`: only the fields given change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPatchBody {
    /// New name.
    name: Option<Name>,
    /// New email.
    email: Option<Email>,
    /// New phone; `null` clears it.
    #[serde(default, deserialize_with = "crate::domain::present")]
    phone: Option<Option<Phone>>,
    /// New topics (replaces the list).
    preferences: Option<Vec<Topic>>,
}

/// Answer of `GET /v1/accounts/{id}/contacts`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Contacts {
    /// By name.
    contacts: Vec<Contact>,
}

/// Query of `GET /v1/accounts/{id}/recipients`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RecipientsQuery {
    /// `general`, `billing`, `support`, `services` or `domains`.
    topic: Topic,
}

/// Someone who receives a topic's mail.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailRecipient {
    /// `contact` or `member`.
    kind: &'static str,
    /// Contact id or user id.
    id: String,
    /// Name.
    name: String,
    /// Address to use (a member's notification email when set).
    email: String,
}

impl From<Recipient> for MailRecipient {
    fn from(r: Recipient) -> Self {
        MailRecipient {
            kind: r.kind,
            id: r.id,
            name: r.name,
            email: r.email,
        }
    }
}

/// Answer of `GET /v1/accounts/{id}/recipients`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Recipients {
    /// The topic asked about.
    topic: Topic,
    /// One entry per address, contacts first.
    recipients: Vec<MailRecipient>,
}

/// `POST /v1/accounts/{id}/contacts` (`manageContacts`): `201` with the contact.
#[utoipa::path(post, path = "/v1/accounts/{id}/contacts", tag = "contacts", params(("id" = AccountId, Path, description = "Account id")), request_body = NewContactBody,
    responses((status = 201, description = "Created", body = Contact), ApiErrors))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(account): PathIds<AccountId>,
    JsonBody(body): JsonBody<NewContactBody>,
) -> Result<(StatusCode, Json<Contact>)> {
    let new = NewContact {
        name: body.name,
        email: body.email,
        phone: body.phone,
        preferences: body.preferences,
    };
    let contact = contacts::create(&state.app, &actor, &account, new).await?;
    Ok((StatusCode::CREATED, Json(contact.into())))
}

/// `GET /v1/accounts/{id}/contacts` (`viewContacts`).
#[utoipa::path(get, path = "/v1/accounts/{id}/contacts", tag = "contacts", params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, description = "The contacts", body = Contacts), ApiErrors))]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(account): PathIds<AccountId>,
) -> Result<Json<Contacts>> {
    let contacts = contacts::list(&state.app, &actor, &account).await?;
    Ok(Json(Contacts {
        contacts: contacts.into_iter().map(Contact::from).collect(),
    }))
}

/// `GET /v1/accounts/{id}/contacts/{cid}` (`viewContacts` on the contact): `404` when unknown.
#[utoipa::path(get, path = "/v1/accounts/{id}/contacts/{cid}", tag = "contacts",
    params(("id" = AccountId, Path, description = "Account id"), ("cid" = ContactId, Path, description = "Contact id")),
    responses((status = 200, description = "The contact", body = Contact), ApiErrors))]
pub async fn show(
    State(state): State<AppState>,
    actor: Actor,
    PathIds((account, id)): PathIds<(AccountId, ContactId)>,
) -> Result<Json<Contact>> {
    Ok(Json(
        contacts::show(&state.app, &actor, &account, &id)
            .await?
            .into(),
    ))
}

/// `PATCH /v1/accounts/{id}/contacts/{cid}` (`manageContacts` on the contact).
#[utoipa::path(patch, path = "/v1/accounts/{id}/contacts/{cid}", tag = "contacts",
    params(("id" = AccountId, Path, description = "Account id"), ("cid" = ContactId, Path, description = "Contact id")), request_body = ContactPatchBody,
    responses((status = 200, description = "The changed contact", body = Contact), ApiErrors))]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    PathIds((account, id)): PathIds<(AccountId, ContactId)>,
    JsonBody(body): JsonBody<ContactPatchBody>,
) -> Result<Json<Contact>> {
    let patch = ContactPatch {
        name: body.name,
        email: body.email,
        phone: body.phone,
        preferences: body.preferences,
    };
    let contact = contacts::update(&state.app, &actor, &account, &id, patch).await?;
    Ok(Json(contact.into()))
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
    contacts::remove(&state.app, &actor, &account, &id).await?;
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
    let found = contacts::recipients(&state.app, &actor, &account, query.topic).await?;
    Ok(Json(Recipients {
        topic: query.topic,
        recipients: found.into_iter().map(MailRecipient::from).collect(),
    }))
}
