//! People who can log in: creating, deleting and changing a user's status is staff's; users
//! see and edit their own record (policies `self-service`, `staff-only-actions`).

use crate::app::check::Target;
use crate::app::App;
use crate::domain::{Actor, UserId, UserStatus};
use crate::error::{Error, Result};
use crate::store::{NewUser, UserAccount, UserPatch, UserRecord};

/// Creates a user (`createUser`); `409` when the id or email is taken.
pub async fn create(app: &App, actor: &Actor, new: NewUser) -> Result<UserRecord> {
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "createUser", Target::User(&new.id))
        .await?;
    checker.write(app.store().create_user(&auth, new)).await
}

/// A user's record (`viewUser`); `404` when unknown.
pub async fn show(app: &App, actor: &Actor, id: &UserId) -> Result<UserRecord> {
    app.checker()
        .authorize(actor, "viewUser", Target::User(id))
        .await?;
    app.store()
        .user(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("user {id}")))
}

/// Changes a user (`editUser`; also `changeUserStatus` for the status and `changeLoginEmail`
/// for the email — the login email proves who may accept an invitation).
pub async fn update(app: &App, actor: &Actor, id: &UserId, patch: UserPatch) -> Result<UserRecord> {
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "editUser", Target::User(id))
        .await?;
    if patch.status.is_some() {
        checker
            .authorize(actor, "changeUserStatus", Target::User(id))
            .await?;
    }
    if patch.email.is_some() {
        checker
            .authorize(actor, "changeLoginEmail", Target::User(id))
            .await?;
    }
    checker
        .write(app.store().update_user(&auth, id, patch))
        .await
}

/// Activates or suspends a user (`changeUserStatus`); a suspended user is denied everything
/// at once.
pub async fn set_status(
    app: &App,
    actor: &Actor,
    id: &UserId,
    status: UserStatus,
) -> Result<UserRecord> {
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "changeUserStatus", Target::User(id))
        .await?;
    let patch = UserPatch {
        status: Some(status),
        ..UserPatch::default()
    };
    checker
        .write(app.store().update_user(&auth, id, patch))
        .await
}

/// Deletes a user (`deleteUser`); `409` while the user belongs to an account.
pub async fn remove(app: &App, actor: &Actor, id: &UserId) -> Result<()> {
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "deleteUser", Target::User(id))
        .await?;
    checker.write(app.store().delete_user(&auth, id)).await
}

/// The accounts a user belongs to, with the role there (`listUserAccounts`).
pub async fn accounts(app: &App, actor: &Actor, id: &UserId) -> Result<Vec<UserAccount>> {
    app.checker()
        .authorize(actor, "listUserAccounts", Target::User(id))
        .await?;
    app.store().user_accounts(id).await
}
