//! The hosting company's agents: created, listed, changed and deleted by staff
//! (`viewAgents`, `manageAgents` on the staff itself; the shipped policies: staff only).

use crate::app::check::Target;
use crate::app::App;
use crate::domain::{Actor, AgentId};
use crate::error::Result;
use crate::store::{AgentPatch, AgentRecord, NewAgent};

/// Creates an agent (`manageAgents`); `409` when the id is taken.
pub async fn create(app: &App, actor: &Actor, new: NewAgent) -> Result<AgentRecord> {
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "manageAgents", Target::Staff)
        .await?;
    checker.write(app.store().create_agent(&auth, &new)).await
}

/// Every agent (`viewAgents`).
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<AgentRecord>> {
    app.checker()
        .authorize(actor, "viewAgents", Target::Staff)
        .await?;
    app.store().agents().await
}

/// One agent (`viewAgents`).
pub async fn show(app: &App, actor: &Actor, id: &AgentId) -> Result<AgentRecord> {
    app.checker()
        .authorize(actor, "viewAgents", Target::Staff)
        .await?;
    app.store().agent(id).await
}

/// Changes an agent (`manageAgents`): a new role holds from the commit on.
pub async fn update(
    app: &App,
    actor: &Actor,
    id: &AgentId,
    patch: AgentPatch,
) -> Result<AgentRecord> {
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "manageAgents", Target::Staff)
        .await?;
    checker
        .write(app.store().update_agent(&auth, id, &patch))
        .await
}

/// Deletes an agent and revokes the support accesses that name them (`manageAgents`).
pub async fn delete(app: &App, actor: &Actor, id: &AgentId) -> Result<()> {
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "manageAgents", Target::Staff)
        .await?;
    checker.write(app.store().delete_agent(&auth, id)).await
}
