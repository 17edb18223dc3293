//! Support access: an account owner's consent to the hosting company's agents acting on the
//! account (`grantSupportAccess`, `viewSupportAccess`, `revokeSupportAccess`; the shipped
//! policies: the owner only). What an agent may do under it is decided at every check
//! (`policies/agents.cedar`).

use crate::app::check::Target;
use crate::app::App;
use crate::domain::{AccountId, Actor, SupportAccessId};
use crate::error::{Error, Result};
use crate::store::{NewSupportAccess, SupportAccessRecord};

/// Grants a support access: `400` naming the field for an undeclared grant or what the
/// store refuses (reason, end, agent).
pub async fn grant(
    app: &App,
    actor: &Actor,
    account: &AccountId,
    new: NewSupportAccess,
) -> Result<SupportAccessRecord> {
    app.bundle().check_grants(&new.grants)?;
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "grantSupportAccess", Target::Account(account))
        .await?;
    let id: SupportAccessId = uuid::Uuid::now_v7()
        .to_string()
        .parse()
        .map_err(|e: String| Error::Internal(anyhow::anyhow!("a new support access id: {e}")))?;
    checker
        .write(app.store().grant_support_access(&auth, account, &id, &new))
        .await
}

/// The account's support accesses, current and past (`viewSupportAccess`).
pub async fn list(
    app: &App,
    actor: &Actor,
    account: &AccountId,
) -> Result<Vec<SupportAccessRecord>> {
    app.checker()
        .authorize(actor, "viewSupportAccess", Target::Account(account))
        .await?;
    app.store().support_accesses(account).await
}

/// Revokes a current support access (`revokeSupportAccess`): agents are denied under it
/// from the commit on, on every replica.
pub async fn revoke(
    app: &App,
    actor: &Actor,
    account: &AccountId,
    id: &SupportAccessId,
) -> Result<SupportAccessRecord> {
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "revokeSupportAccess", Target::Account(account))
        .await?;
    checker
        .write(app.store().revoke_support_access(&auth, account, id))
        .await
}
