//! Who belongs to an account, with role and grants. Owner-only (policy
//! `owner-only-user-management`); the owner's own membership cannot be edited here.

use crate::app::check::Target;
use crate::app::App;
use crate::domain::{AccountId, Actor, RoleName, Topic, UserId, MAX_MEMBER_ROLES};
use crate::error::{Error, Result};
use crate::store::{MemberRecord, MembershipChange};

/// The account's members, owner included (`viewMembers`).
pub async fn list(app: &App, actor: &Actor, account: &AccountId) -> Result<Vec<MemberRecord>> {
    app.checker()
        .authorize(actor, "viewMembers", Target::Account(account))
        .await?;
    app.store().members(account).await
}

/// Adds or changes a member (`changeGrants`): `400` for a grant the schema does not declare
/// or a role neither the account nor the presets define.
pub async fn put(
    app: &App,
    actor: &Actor,
    account: &AccountId,
    user: &UserId,
    change: MembershipChange,
) -> Result<MemberRecord> {
    let bundle = app.bundle();
    bundle.check_grants(&change.grants)?;
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "changeGrants", Target::Account(account))
        .await?;
    let distinct: std::collections::BTreeSet<&RoleName> = change.roles.iter().collect();
    if distinct.len() > MAX_MEMBER_ROLES {
        return Err(Error::bad_field(
            "roles",
            format!("at most {MAX_MEMBER_ROLES} roles"),
        ));
    }
    let write = app
        .store()
        .put_member(&auth, account, user, change, bundle.presets());
    checker.write(write).await
}

/// Removes a member (`removeMember`); the member is denied at once.
pub async fn remove(app: &App, actor: &Actor, account: &AccountId, user: &UserId) -> Result<()> {
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "removeMember", Target::Account(account))
        .await?;
    checker
        .write(app.store().remove_member(&auth, account, user))
        .await
}

/// Sets the member's own mail topics for this account (`editUser` on the member:
/// themselves or staff).
pub async fn set_topics(
    app: &App,
    actor: &Actor,
    account: &AccountId,
    user: &UserId,
    topics: &[Topic],
) -> Result<MemberRecord> {
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "editUser", Target::User(user))
        .await?;
    checker
        .write(app.store().set_member_topics(&auth, account, user, topics))
        .await
}
