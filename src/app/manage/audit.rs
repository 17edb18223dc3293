//! The audit trail, paged newest first: an account's (`viewAudit`: the owner and staff) and a
//! user's own record (`viewUser`: the user and staff).

use crate::app::check::Target;
use crate::app::App;
use crate::domain::{AccountId, Actor, UserId};
use crate::error::{Error, Result};
use crate::store::{AuditEvent, AuditScope};

/// One page of events older than `before` (an event id), at most `limit` (1 to 200).
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// Events before this one.
    pub before: Option<&'a str>,
    /// The most events answered.
    pub limit: i64,
    /// Only events of this action, e.g. `support.break_glass`.
    pub action: Option<&'a str>,
}

/// A page of events, and the id to ask the next one before, when the page is full.
#[derive(Debug)]
pub struct Events {
    /// Newest first.
    pub events: Vec<AuditEvent>,
    /// The last event's id when the page is full.
    pub next_before: Option<String>,
}

/// An account's events (`viewAudit`).
pub async fn account(app: &App, actor: &Actor, id: &AccountId, page: Page<'_>) -> Result<Events> {
    app.checker()
        .authorize(actor, "viewAudit", Target::Account(id))
        .await?;
    read(app, AuditScope::Account(id.as_str()), page).await
}

/// A user's events (`viewUser`). Like every route under a user, it ends with the user (a
/// reused id starts afresh too): `404` once deleted.
pub async fn user(app: &App, actor: &Actor, id: &UserId, page: Page<'_>) -> Result<Events> {
    app.checker()
        .authorize(actor, "viewUser", Target::User(id))
        .await?;
    if app.store().user(id).await?.is_none() {
        return Err(Error::NotFound(format!("user {id}")));
    }
    read(app, AuditScope::User(id.as_str()), page).await
}

async fn read(app: &App, scope: AuditScope<'_>, page: Page<'_>) -> Result<Events> {
    let events = app
        .store()
        .audit_events(scope, page.before, page.action, page.limit)
        .await?;
    let full = i64::try_from(events.len()).is_ok_and(|n| n == page.limit);
    let next_before = if full {
        events.last().map(|e| e.id.clone())
    } else {
        None
    };
    Ok(Events {
        events,
        next_before,
    })
}
