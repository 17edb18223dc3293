//! `/v1/accounts/{id}/security`: an account's security requirements, set by its owner
//! (`viewSecurity`, `manageSecurity`) and reset by staff (`resetSecurity`, `…/security/reset`). The policies read
//! them with each check's `context.mfa` and `context.ip` (for management calls: the
//! `X-Portier-MFA` and `X-Portier-Client-IP` headers).

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{JsonBody, PathIds};
use super::openapi::ApiErrors;
use super::AppState;
use crate::app::manage::security;
use crate::domain::{AccountId, Actor, MfaRequirement};
use crate::error::Result;
use crate::store::SecurityRecord;

/// An account's security requirements.
#[derive(Debug, Serialize, ToSchema)]
pub struct Security {
    /// When members must have passed a second factor: `none`, `sensitive` (product
    /// passwords, user management, orders and upgrades, API keys) or `all`.
    require_mfa: MfaRequirement,
    /// Where members and API keys may act from (CIDR ranges); empty: anywhere.
    allowed_ips: Vec<String>,
}

impl From<SecurityRecord> for Security {
    fn from(r: SecurityRecord) -> Self {
        Security {
            require_mfa: r.require_mfa,
            allowed_ips: r.allowed_ips,
        }
    }
}

/// Body of `PUT /v1/accounts/{id}/security`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityBody {
    /// `none`, `sensitive` or `all`.
    require_mfa: MfaRequirement,
    /// CIDR ranges (`198.51.100.0/24`, `2001:db8::/32`; a bare address is its own range),
    /// at most 64; empty or absent: anywhere.
    #[serde(default)]
    #[schema(max_items = 64)]
    allowed_ips: Vec<String>,
}

/// `GET /v1/accounts/{id}/security` (`viewSecurity`).
#[utoipa::path(get, path = "/v1/accounts/{id}/security", tag = "security", params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, description = "The requirements", body = Security), ApiErrors))]
pub async fn show(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AccountId>,
) -> Result<Json<Security>> {
    Ok(Json(security::show(&state.app, &actor, &id).await?.into()))
}

/// `PUT /v1/accounts/{id}/security` (`manageSecurity`): replaces the requirements. `400` a
/// range that is not one (`allowed_ips[i]`); `409` (`code` `lockout`, naming the field) when
/// this very call would not meet them.
#[utoipa::path(put, path = "/v1/accounts/{id}/security", tag = "security", params(("id" = AccountId, Path, description = "Account id")),
    request_body = SecurityBody,
    responses((status = 200, description = "The requirements", body = Security), ApiErrors))]
pub async fn put(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AccountId>,
    JsonBody(body): JsonBody<SecurityBody>,
) -> Result<Json<Security>> {
    let saved = security::put(&state.app, &actor, &id, body.require_mfa, &body.allowed_ips).await?;
    Ok(Json(saved.into()))
}

/// `POST /v1/accounts/{id}/security/reset` (`resetSecurity`, staff only): back to no
/// requirement, for an owner locked out by them.
#[utoipa::path(post, path = "/v1/accounts/{id}/security/reset", tag = "security", params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, description = "The requirements, reset", body = Security), ApiErrors))]
pub async fn reset(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AccountId>,
) -> Result<Json<Security>> {
    Ok(Json(security::reset(&state.app, &actor, &id).await?.into()))
}
