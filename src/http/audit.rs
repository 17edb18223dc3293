//! The audit trail, paged newest first: an account's (`viewAudit`: the owner and staff) and a
//! user's own record (`viewUser`: the user and staff) — creation, profile and status
//! changes, login-email changes (which decide who may accept invitations), deletion.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{PathIds, QueryParams};
use super::openapi::ApiErrors;
use super::AppState;
use crate::check::Target;
use crate::domain::{AccountId, Actor, UserId};
use crate::error::{Error, Result};
use crate::store::{AuditEvent, AuditScope};

/// Paging of an audit trail.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only events older than this event id (the previous page's `next_before`); anything
    /// but an event id is a `400`.
    #[param(value_type = Option<String>)]
    before: Option<EventCursor>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

/// An event id given as `before`: a UUID, written as the store writes ids (lowercase,
/// hyphenated), since pages compare ids as text. Anything else would compare as text too
/// and answer a page that is no page at all (`zzz` sorts after every id: the newest events).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct EventCursor(String);

impl EventCursor {
    /// The id, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EventCursor {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        uuid::Uuid::try_parse(&raw)
            .map(|id| EventCursor(id.hyphenated().to_string()))
            .map_err(|_| "not an event id: pass a page's next_before".to_owned())
    }
}

/// A page of the audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// Newest first.
    events: Vec<AuditEvent>,
    /// Pass as `before` for the next page; absent on the last.
    next_before: Option<String>,
}

/// `GET /v1/accounts/{id}/audit` (`viewAudit`): newest first; `next_before` pages on.
#[utoipa::path(get, path = "/v1/accounts/{id}/audit", tag = "accounts", params(("id" = AccountId, Path, description = "Account id"), AuditQuery),
    responses((status = 200, description = "A page of events", body = AuditPage), ApiErrors))]
pub async fn account(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AccountId>,
    QueryParams(page): QueryParams<AuditQuery>,
) -> Result<Json<AuditPage>> {
    let limit = page_size(&page)?;
    state
        .checker
        .authorize(&actor, "viewAudit", Target::Account(&id))
        .await?;
    let scope = AuditScope::Account(id.as_str());
    read(&state, scope, page.before.as_ref(), limit).await
}

/// `GET /v1/users/{id}/audit` (`viewUser`: the user themself, or staff): the changes to the
/// user's own record, which belong to no account. Newest first; `next_before` pages on.
/// `404` once the user is deleted.
#[utoipa::path(get, path = "/v1/users/{id}/audit", tag = "users", params(("id" = UserId, Path, description = "User id"), AuditQuery),
    responses((status = 200, description = "A page of events", body = AuditPage), ApiErrors))]
pub async fn user(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<UserId>,
    QueryParams(page): QueryParams<AuditQuery>,
) -> Result<Json<AuditPage>> {
    let limit = page_size(&page)?;
    state
        .checker
        .authorize(&actor, "viewUser", Target::User(&id))
        .await?;
    // Like every route under a user, it ends with the user (a reused id starts afresh too).
    if state.checker.store().user(&id).await?.is_none() {
        return Err(Error::NotFound(format!("user {id}")));
    }
    let scope = AuditScope::User(id.as_str());
    read(&state, scope, page.before.as_ref(), limit).await
}

fn page_size(page: &AuditQuery) -> Result<i64> {
    let limit = page.limit.unwrap_or(50);
    if (1..=200).contains(&limit) {
        Ok(limit)
    } else {
        Err(Error::bad_field("limit", "must be 1 to 200"))
    }
}

async fn read(
    state: &AppState,
    scope: AuditScope<'_>,
    before: Option<&EventCursor>,
    limit: i64,
) -> Result<Json<AuditPage>> {
    let events = state
        .checker
        .store()
        .audit_events(scope, before.map(EventCursor::as_str), limit)
        .await?;
    let full = i64::try_from(events.len()).is_ok_and(|n| n == limit);
    let next_before = if full {
        events.last().map(|e| e.id.clone())
    } else {
        None
    };
    Ok(Json(AuditPage {
        events,
        next_before,
    }))
}
