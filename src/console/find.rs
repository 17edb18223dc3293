//! `GET /v1/console/find?q=`: users and accounts by id, email or name (staff only); and
//! `GET /v1/console/accounts/{id}/services`: the account's service assignments.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use super::staff_only;
use crate::check::Target;
use crate::domain::{AccountId, Actor};
use crate::error::{Error, Result};
use crate::http::extract::{PathIds, QueryParams};
use crate::http::AppState;
use crate::store::{Found, ServiceAssignment};

/// Longest search text accepted.
const MAX_QUERY_CHARS: usize = 200;

/// The query string of a search.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindQuery {
    /// An id, part of an email or part of a name.
    q: String,
}

/// `GET /v1/console/find?q=…`: `400` naming `q` when it is empty or too long; staff only.
pub async fn find(
    State(state): State<AppState>,
    actor: Actor,
    QueryParams(query): QueryParams<FindQuery>,
) -> Result<Json<Found>> {
    let text = query.q.trim();
    if text.is_empty() || text.chars().count() > MAX_QUERY_CHARS {
        return Err(Error::bad_field(
            "q",
            format!("type 1 to {MAX_QUERY_CHARS} characters: an id, an email or a name"),
        ));
    }
    staff_only(&actor)?;
    Ok(Json(state.checker.store().find(text).await?))
}

/// `GET /v1/console/accounts/{id}/services` (`viewMembers`): the services assigned to
/// someone, with their assignees; `404` for an unknown account.
pub async fn service_assignments(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AccountId>,
) -> Result<Json<Vec<ServiceAssignment>>> {
    state
        .checker
        .authorize(&actor, "viewMembers", Target::Account(&id))
        .await?;
    let store = state.checker.store();
    store
        .account(&id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("account {id}")))?;
    Ok(Json(store.service_assignments(&id).await?))
}
