//! The members a service is assigned to. Assigning is user management, so owner-only
//! (`assignService`).

use crate::app::check::Target;
use crate::app::App;
use crate::domain::{AccountId, Actor, ServiceId, UserId};
use crate::error::Result;

/// The service's assignees (`viewService`).
pub async fn assignees(
    app: &App,
    actor: &Actor,
    account: &AccountId,
    service: &ServiceId,
) -> Result<Vec<String>> {
    app.checker()
        .authorize(actor, "viewService", Target::Service(account, service))
        .await?;
    app.store().assignees(account, service).await
}

/// Replaces the service's assignees (`assignService`); an empty list clears them.
pub async fn assign(
    app: &App,
    actor: &Actor,
    account: &AccountId,
    service: &ServiceId,
    assignees: &[UserId],
) -> Result<Vec<String>> {
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "assignService", Target::Service(account, service))
        .await?;
    checker
        .write(
            app.store()
                .set_assignees(&auth, account, service, assignees),
        )
        .await
}
