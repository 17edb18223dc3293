//! `GET /v1/console/find?q=`: users and accounts by id, email or name (staff only); and
//! `GET /v1/console/accounts/{id}/services`: the account's service assignments.

use serde::Deserialize;

use super::staff_only;
use crate::app::check::Target;
use crate::app::App;
use crate::domain::{AccountId, Actor};
use crate::error::{Error, Result};
use crate::store::{Found, ServiceAssignment};

/// Longest search text accepted.
const MAX_QUERY_CHARS: usize = 200;

/// The query string of a search.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindQuery {
    /// An id, part of an email or part of a name.
    pub q: String,
}

/// `GET /v1/console/find?q=…`: `400` naming `q` when it is empty or too long; staff only.
pub async fn find(app: &App, actor: &Actor, query: FindQuery) -> Result<Found> {
    let text = query.q.trim();
    if text.is_empty() || text.chars().count() > MAX_QUERY_CHARS {
        return Err(Error::bad_field(
            "q",
            format!("type 1 to {MAX_QUERY_CHARS} characters: an id, an email or a name"),
        ));
    }
    staff_only(actor)?;
    app.store().find(text).await
}

/// `GET /v1/console/accounts/{id}/services` (`viewMembers`): the services assigned to
/// someone, with their assignees; `404` for an unknown account.
pub async fn service_assignments(
    app: &App,
    actor: &Actor,
    id: &AccountId,
) -> Result<Vec<ServiceAssignment>> {
    app.checker()
        .authorize(actor, "viewMembers", Target::Account(id))
        .await?;
    let store = app.store();
    store
        .account(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("account {id}")))?;
    store.service_assignments(id).await
}
