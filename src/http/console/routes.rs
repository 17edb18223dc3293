//! The console's JSON routes under `/v1/console/` (admin token): each parses its input, calls
//! one use case of [`crate::app::console`] and answers with what it returns.

use axum::extract::State;
use axum::Json;
use serde::Serialize;

use crate::app::console::explain::{self, Explanation};
use crate::app::console::find::{self, FindQuery};
use crate::app::console::matrix::{self, Matrix};
use crate::app::console::policies::{self, DraftBody, DraftPreview, PolicySetView};
use crate::authz::CheckBody;
use crate::domain::{AccountId, Actor};
use crate::error::Result;
use crate::http::accounts::Account;
use crate::http::extract::{JsonBody, PathIds, QueryParams};
use crate::http::users::User;
use crate::http::AppState;
use crate::store::{Found, ServiceAssignment};

/// What a search found.
#[derive(Debug, Serialize)]
pub struct Matches {
    /// Users whose id, login email or display name matches.
    users: Vec<User>,
    /// Accounts whose id or name matches, or whose owner's id or email matches.
    accounts: Vec<Account>,
}

impl From<Found> for Matches {
    fn from(found: Found) -> Self {
        Matches {
            users: found.users.into_iter().map(User::from).collect(),
            accounts: found.accounts.into_iter().map(Account::from).collect(),
        }
    }
}

/// A service of an account and the members it is assigned to.
#[derive(Debug, Serialize)]
pub struct Assignment {
    /// The portal's service id.
    service_id: String,
    /// Assigned members' user ids, sorted.
    assignees: Vec<String>,
}

impl From<ServiceAssignment> for Assignment {
    fn from(a: ServiceAssignment) -> Self {
        Assignment {
            service_id: a.service_id,
            assignees: a.assignees,
        }
    }
}

/// `GET /v1/console/find?q=…`: `400` naming `q` when it is empty or too long; staff only.
pub async fn find(
    State(state): State<AppState>,
    actor: Actor,
    QueryParams(query): QueryParams<FindQuery>,
) -> Result<Json<Matches>> {
    Ok(Json(find::find(&state.app, &actor, query).await?.into()))
}

/// `GET /v1/console/accounts/{id}/services` (`viewMembers`): the services assigned to
/// someone, with their assignees; `404` for an unknown account.
pub async fn service_assignments(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AccountId>,
) -> Result<Json<Vec<Assignment>>> {
    let assignments = find::service_assignments(&state.app, &actor, &id).await?;
    Ok(Json(
        assignments.into_iter().map(Assignment::from).collect(),
    ))
}

/// `GET /v1/console/accounts/{id}/matrix` (`viewMembers`): `404` for an unknown account.
pub async fn matrix(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AccountId>,
) -> Result<Json<Matrix>> {
    Ok(Json(matrix::show(&state.app, &actor, &id).await?))
}

/// `POST /v1/console/explain`: staff only; a malformed check is a `400` naming its field.
pub async fn explain(
    State(state): State<AppState>,
    actor: Actor,
    JsonBody(body): JsonBody<CheckBody>,
) -> Result<Json<Explanation>> {
    Ok(Json(explain::explain(&state.app, &actor, body).await?))
}

/// `GET /v1/console/policies`: staff only.
pub async fn policies(State(state): State<AppState>, actor: Actor) -> Result<Json<PolicySetView>> {
    Ok(Json(policies::show(&state.app, &actor).await?))
}

/// `POST /v1/console/policies/draft`: staff only. `400` naming `file` for a bad name, `404`
/// for an unknown account, `422` with `file:line` problems when the draft does not validate.
pub async fn draft(
    State(state): State<AppState>,
    actor: Actor,
    JsonBody(body): JsonBody<DraftBody>,
) -> Result<Json<DraftPreview>> {
    Ok(Json(policies::draft(&state.app, &actor, body).await?))
}
