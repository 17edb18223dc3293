//! Contacts of an account (`viewContacts`, `manageContacts`: the `contacts` grant) and the
//! recipients of the account's mail by topic.

use crate::app::check::Target;
use crate::app::App;
use crate::domain::{AccountId, Actor, ContactId, Topic};
use crate::error::{Error, Result};
use crate::store::{ContactPatch, ContactRecord, NewContact, Recipient};

/// Adds a contact (`manageContacts`).
pub async fn create(
    app: &App,
    actor: &Actor,
    account: &AccountId,
    new: NewContact,
) -> Result<ContactRecord> {
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "manageContacts", Target::Account(account))
        .await?;
    checker
        .write(app.store().create_contact(&auth, account, new))
        .await
}

/// The account's contacts (`viewContacts`).
pub async fn list(app: &App, actor: &Actor, account: &AccountId) -> Result<Vec<ContactRecord>> {
    app.checker()
        .authorize(actor, "viewContacts", Target::Account(account))
        .await?;
    app.store().contacts(account).await
}

/// One contact (`viewContacts`); `404` when unknown.
pub async fn show(
    app: &App,
    actor: &Actor,
    account: &AccountId,
    id: &ContactId,
) -> Result<ContactRecord> {
    app.checker()
        .authorize(actor, "viewContacts", Target::Contact(account, id))
        .await?;
    app.store()
        .contact(account, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("contact {id}")))
}

/// Changes a contact (`manageContacts`).
pub async fn update(
    app: &App,
    actor: &Actor,
    account: &AccountId,
    id: &ContactId,
    patch: ContactPatch,
) -> Result<ContactRecord> {
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "manageContacts", Target::Contact(account, id))
        .await?;
    checker
        .write(app.store().update_contact(&auth, account, id, patch))
        .await
}

/// Deletes a contact (`manageContacts`).
pub async fn remove(app: &App, actor: &Actor, account: &AccountId, id: &ContactId) -> Result<()> {
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "manageContacts", Target::Contact(account, id))
        .await?;
    checker
        .write(app.store().delete_contact(&auth, account, id))
        .await
}

/// Who receives the account's mail on `topic` (`viewContacts`); `404` for an unknown account.
pub async fn recipients(
    app: &App,
    actor: &Actor,
    account: &AccountId,
    topic: Topic,
) -> Result<Vec<Recipient>> {
    app.checker()
        .authorize(actor, "viewContacts", Target::Account(account))
        .await?;
    let store = app.store();
    store
        .account(account)
        .await?
        .ok_or_else(|| Error::NotFound(format!("account {account}")))?;
    store.recipients(account, topic).await
}
