//! The account's own roles and the hosting company's presets: the owner defines roles
//! (`manageRoles`) and sees them (`viewRoles`), both decided by the policies (the shipped
//! ones: the owner's alone). A role's grants add to every membership naming it, so a change
//! here re-decides every holder at once; the write moves the account's revision.

use crate::app::check::Target;
use crate::app::App;
use crate::domain::{AccountId, Actor, RoleDefinition, RoleName, Roles, MAX_ROLE_DESCRIPTION};
use crate::error::{Error, Result};
use crate::store::RoleRecord;

/// The account's own roles (`viewRoles`).
pub async fn list(app: &App, actor: &Actor, account: &AccountId) -> Result<Roles> {
    app.checker()
        .authorize(actor, "viewRoles", Target::Account(account))
        .await?;
    app.store().account_roles(account).await
}

/// Defines or replaces a role (`manageRoles`): `400` for a grant the schema does not declare
/// (`grants[i]`), a preset's name (`name`, checked in the write) or a description past
/// [`MAX_ROLE_DESCRIPTION`] characters.
pub async fn put(
    app: &App,
    actor: &Actor,
    account: &AccountId,
    name: &RoleName,
    role: RoleDefinition,
) -> Result<RoleRecord> {
    let bundle = app.bundle();
    bundle.check_grants(&role.grants)?;
    if role.description.chars().count() > MAX_ROLE_DESCRIPTION {
        return Err(Error::bad_field(
            "description",
            format!("at most {MAX_ROLE_DESCRIPTION} characters"),
        ));
    }
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "manageRoles", Target::Account(account))
        .await?;
    let write = app
        .store()
        .put_role(&auth, account, name, role, bundle.presets());
    checker.write(write).await
}

/// Deletes a role (`manageRoles`): `404` when the account defines none by that name, `409`
/// while a member holds it.
pub async fn delete(app: &App, actor: &Actor, account: &AccountId, name: &RoleName) -> Result<()> {
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "manageRoles", Target::Account(account))
        .await?;
    checker
        .write(app.store().delete_role(&auth, account, name))
        .await
}

/// The presets of the policies that serve, by name: every account may name them.
pub fn presets(app: &App) -> Roles {
    app.bundle().presets().clone()
}
