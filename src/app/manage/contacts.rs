//! Contacts of an account (`viewContacts`, `manageContacts`: the `contacts` grant) and the
//! recipients of the account's mail by topic.

use std::collections::HashSet;

use crate::app::check::{Api, Target};
use crate::app::App;
use crate::authz::{CheckBody, Consistency, EntityRef};
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
/// The contacts who opted in, and the members who opted in and whom the policies allow
/// `receive<Topic>Mail` on the account (a member whose access ran out, a suspended one, or
/// one without the grant the policies ask for receives nothing). One entry per address.
pub async fn recipients(
    app: &App,
    actor: &Actor,
    account: &AccountId,
    topic: Topic,
) -> Result<Vec<Recipient>> {
    let checker = app.checker();
    checker
        .authorize(actor, "viewContacts", Target::Account(account))
        .await?;
    let store = app.store();
    store
        .account(account)
        .await?
        .ok_or_else(|| Error::NotFound(format!("account {account}")))?;
    let candidates = store.mail_candidates(account, topic).await?;
    let mut found = candidates.contacts;
    for member in candidates.members {
        let body = CheckBody {
            principal: EntityRef::Typed {
                ty: "User".into(),
                id: member.id.clone(),
            },
            action: topic.mail_action(),
            resource: EntityRef::Typed {
                ty: "Account".into(),
                id: account.to_string(),
            },
            account: Some(account.to_string()),
            context: None,
            entities: None,
            consistency: Consistency::Cached,
        };
        if checker.check(body, Api::Recipients).await?.is_allow() {
            found.push(member);
        }
    }
    let mut seen = HashSet::new();
    found.retain(|r| seen.insert(r.email.to_lowercase()));
    Ok(found)
}
