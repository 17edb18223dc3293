//! Billed customers: creating one and changing its status is staff's; members see it; the
//! `profile` grant edits its name; the owner transfers ownership.

use crate::app::check::Target;
use crate::app::App;
use crate::domain::{AccountId, Actor, UserId};
use crate::error::{Error, Result};
use crate::store::{AccountPatch, AccountRecord, NewAccount};

/// Creates an account with its owner (`createAccount`).
pub async fn create(app: &App, actor: &Actor, new: NewAccount) -> Result<AccountRecord> {
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "createAccount", Target::Account(&new.id))
        .await?;
    checker.write(app.store().create_account(&auth, new)).await
}

/// An account (`viewAccount`); `404` when unknown.
pub async fn show(app: &App, actor: &Actor, id: &AccountId) -> Result<AccountRecord> {
    app.checker()
        .authorize(actor, "viewAccount", Target::Account(id))
        .await?;
    app.store()
        .account(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("account {id}")))
}

/// Changes an account: `editProfile` for the name, `changeAccountStatus` for the status.
/// A patch that changes nothing answers the account as it is, like any PATCH.
pub async fn update(
    app: &App,
    actor: &Actor,
    id: &AccountId,
    patch: AccountPatch,
) -> Result<AccountRecord> {
    let needed = [
        (patch.name.is_some(), "editProfile"),
        (patch.status.is_some(), "changeAccountStatus"),
    ];
    let mut auth = None;
    for (_, action) in needed.into_iter().filter(|(wanted, _)| *wanted) {
        auth = Some(
            app.checker()
                .authorize(actor, action, Target::Account(id))
                .await?,
        );
    }
    let Some(auth) = auth else {
        return show(app, actor, id).await;
    };
    app.checker()
        .write(app.store().update_account(&auth, id, patch))
        .await
}

/// Makes another member the owner (`transferOwnership`).
pub async fn transfer(
    app: &App,
    actor: &Actor,
    id: &AccountId,
    new_owner: &UserId,
) -> Result<AccountRecord> {
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "transferOwnership", Target::Account(id))
        .await?;
    checker
        .write(app.store().transfer_ownership(&auth, id, new_owner))
        .await
}
