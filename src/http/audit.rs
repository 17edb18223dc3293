//! The audit trail, paged newest first: an account's (`viewAudit`: the owner and staff) and a
//! user's own record (`viewUser`: the user and staff) — creation, profile and status
//! changes, login-email changes (which decide who may accept invitations), deletion.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::extract::{PathIds, QueryParams};
use super::openapi::ApiErrors;
use super::AppState;
use crate::app::manage::audit::{self, Events, Page};
use crate::domain::{AccountId, Actor, Timestamp, UserId};
use crate::error::{Error, Result};
use crate::store::AuditEvent;

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
    /// Only events of this action, e.g. `support.break_glass` (lowercase letters, `_` and
    /// `.`, at most 64 characters).
    action: Option<String>,
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

/// A change, as the audit trail records it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Event {
    /// A UUIDv7: increasing with time; pages go by it.
    id: String,
    /// The account the change concerns, if any.
    account_id: Option<String>,
    /// `user:<id>` or `staff`.
    actor: String,
    /// What was done, e.g. `member.update`.
    action: String,
    /// What it was done to, e.g. `user:bob`.
    target: String,
    /// State before (absent for a creation): a record, or a list for assignments.
    #[schema(value_type = Option<Value>)]
    before: Option<Value>,
    /// State after (absent for a deletion): a record, or a list for assignments.
    #[schema(value_type = Option<Value>)]
    after: Option<Value>,
    /// When.
    created_at: Timestamp,
}

impl From<AuditEvent> for Event {
    fn from(e: AuditEvent) -> Self {
        Event {
            id: e.id,
            account_id: e.account_id,
            actor: e.actor,
            action: e.action,
            target: e.target,
            before: e.before,
            after: e.after,
            created_at: e.created_at,
        }
    }
}

impl From<Events> for AuditPage {
    fn from(page: Events) -> Self {
        AuditPage {
            events: page.events.into_iter().map(Event::from).collect(),
            next_before: page.next_before,
        }
    }
}

/// A page of the audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// Newest first.
    events: Vec<Event>,
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
    QueryParams(query): QueryParams<AuditQuery>,
) -> Result<Json<AuditPage>> {
    let page = page(&query)?;
    Ok(Json(
        audit::account(&state.app, &actor, &id, page).await?.into(),
    ))
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
    QueryParams(query): QueryParams<AuditQuery>,
) -> Result<Json<AuditPage>> {
    let page = page(&query)?;
    Ok(Json(
        audit::user(&state.app, &actor, &id, page).await?.into(),
    ))
}

/// The page asked for: `400` naming `limit` outside 1 to 200 (default 50).
fn page(query: &AuditQuery) -> Result<Page<'_>> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(Error::bad_field("limit", "must be 1 to 200"));
    }
    let action = query.action.as_deref();
    let well_formed = |a: &str| {
        (1..=64).contains(&a.len())
            && a.bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'.')
    };
    if action.is_some_and(|a| !well_formed(a)) {
        return Err(Error::bad_field(
            "action",
            "an audit action such as member.update: lowercase letters, '_' and '.', at most 64",
        ));
    }
    Ok(Page {
        before: query.before.as_ref().map(EventCursor::as_str),
        limit,
        action,
    })
}
