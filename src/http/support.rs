//! `/v1/accounts/{id}/support-access`: the owner's consent to the hosting company's agents
//! acting on the account (`grantSupportAccess`, `viewSupportAccess`, `revokeSupportAccess`;
//! the shipped policies: the owner only, as actor).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{JsonBody, PathIds};
use super::openapi::ApiErrors;
use super::AppState;
use crate::app::manage::support;
use crate::domain::{AccountId, Actor, AgentId, SupportAccessId, Timestamp};
use crate::error::Result;
use crate::store::{NewSupportAccess, SupportAccessRecord};

/// A support access.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupportAccess {
    /// Its id.
    id: String,
    /// The account it opens.
    account: String,
    /// The one agent it is for; absent: any agent.
    agent: Option<String>,
    /// What agents may do under it.
    #[schema(value_type = Vec<crate::domain::GrantName>)]
    grants: Vec<String>,
    /// Why the owner gave it.
    reason: String,
    /// Who gave it (`user:<id>`).
    granted_by: String,
    /// When.
    created_at: Timestamp,
    /// When it ends by itself.
    expires_at: Timestamp,
    /// When it was revoked, if it was.
    revoked_at: Option<Timestamp>,
    /// Who revoked it.
    revoked_by: Option<String>,
    /// Whether agents may act under it now: neither revoked nor past its end.
    current: bool,
}

impl SupportAccess {
    fn new(r: SupportAccessRecord, now: i64) -> Self {
        SupportAccess {
            current: r.revoked_at.is_none() && r.expires_at.millis() > now,
            id: r.id,
            account: r.account,
            agent: r.agent,
            grants: r.grants,
            reason: r.reason,
            granted_by: r.granted_by,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            revoked_by: r.revoked_by,
        }
    }
}

/// Body of `POST /v1/accounts/{id}/support-access`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSupportAccessBody {
    /// Grants, each declared by the schema, at least one.
    #[schema(value_type = Vec<crate::domain::GrantName>, min_items = 1)]
    grants: Vec<String>,
    /// Why (`ticket #4411: DNS not resolving`), 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    reason: String,
    /// When it ends (RFC 3339): ahead, at most 30 days away.
    expires_at: Timestamp,
    /// The one agent it is for; absent: any agent, support or supervisor.
    #[serde(default)]
    agent: Option<AgentId>,
}

/// Answer of `GET /v1/accounts/{id}/support-access`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupportAccesses {
    /// Current and past, newest first.
    support_access: Vec<SupportAccess>,
}

/// `POST /v1/accounts/{id}/support-access` (`grantSupportAccess`, the owner as actor): `201`.
/// `400` naming the field for a bad grant, reason, end or agent.
#[utoipa::path(post, path = "/v1/accounts/{id}/support-access", tag = "support-access",
    params(("id" = AccountId, Path, description = "Account id")), request_body = NewSupportAccessBody,
    responses((status = 201, description = "The support access", body = SupportAccess), ApiErrors))]
pub async fn grant(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AccountId>,
    JsonBody(body): JsonBody<NewSupportAccessBody>,
) -> Result<(StatusCode, Json<SupportAccess>)> {
    let new = NewSupportAccess {
        grants: body.grants,
        reason: body.reason,
        expires_at: body.expires_at,
        agent: body.agent,
    };
    let access = support::grant(&state.app, &actor, &id, new).await?;
    let now = state.app.store().now();
    Ok((StatusCode::CREATED, Json(SupportAccess::new(access, now))))
}

/// `GET /v1/accounts/{id}/support-access` (`viewSupportAccess`): current and past.
#[utoipa::path(get, path = "/v1/accounts/{id}/support-access", tag = "support-access",
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, description = "The support accesses", body = SupportAccesses), ApiErrors))]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AccountId>,
) -> Result<Json<SupportAccesses>> {
    let found = support::list(&state.app, &actor, &id).await?;
    let now = state.app.store().now();
    Ok(Json(SupportAccesses {
        support_access: found
            .into_iter()
            .map(|r| SupportAccess::new(r, now))
            .collect(),
    }))
}

/// `DELETE /v1/accounts/{id}/support-access/{sid}` (`revokeSupportAccess`): `204`; agents
/// are denied under it from now on. `409` when it has already ended.
#[utoipa::path(delete, path = "/v1/accounts/{id}/support-access/{sid}", tag = "support-access",
    params(("id" = AccountId, Path, description = "Account id"), ("sid" = SupportAccessId, Path, description = "Support access id")),
    responses((status = 204, description = "Revoked"), ApiErrors))]
pub async fn revoke(
    State(state): State<AppState>,
    actor: Actor,
    PathIds((id, sid)): PathIds<(AccountId, SupportAccessId)>,
) -> Result<StatusCode> {
    support::revoke(&state.app, &actor, &id, &sid).await?;
    Ok(StatusCode::NO_CONTENT)
}
