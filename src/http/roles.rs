//! `/v1/accounts/{id}/roles` and `/v1/role-presets`: the account's own roles (named sets of
//! grants its owner defines; `viewRoles`, `manageRoles`) and the hosting company's presets
//! every account may use. A membership names roles in `PUT …/members/{user}` (`roles`).

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{JsonBody, PathIds};
use super::openapi::ApiErrors;
use super::AppState;
use crate::app::manage::roles;
use crate::domain::{AccountId, Actor, RoleDefinition, RoleName, Roles};
use crate::error::Result;
use crate::store::RoleRecord;

/// A role: a named set of grants (schema `NamedRole`; `Role` is a membership's admin/member).
#[derive(Debug, Serialize, ToSchema)]
pub struct NamedRole {
    /// Its name.
    name: String,
    /// The grants it gives.
    #[schema(value_type = Vec<crate::domain::GrantName>)]
    grants: Vec<String>,
    /// What it is for.
    description: String,
}

impl From<RoleRecord> for NamedRole {
    fn from(r: RoleRecord) -> Self {
        NamedRole {
            name: r.name,
            grants: r.grants,
            description: r.description,
        }
    }
}

/// Roles by name, sorted.
fn listed(roles: Roles) -> Vec<NamedRole> {
    roles
        .into_iter()
        .map(|(name, role)| NamedRole {
            name,
            grants: role.grants,
            description: role.description,
        })
        .collect()
}

/// Body of `PUT /v1/accounts/{id}/roles/{name}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    /// Grants, each declared by the schema.
    #[schema(value_type = Vec<crate::domain::GrantName>)]
    grants: Vec<String>,
    /// What the role is for (at most 200 characters).
    #[serde(default)]
    #[schema(max_length = 200)]
    description: String,
}

/// Answer of `GET /v1/accounts/{id}/roles` and `GET /v1/role-presets`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleList {
    /// By name.
    roles: Vec<NamedRole>,
}

/// `GET /v1/accounts/{id}/roles` (`viewRoles`): the roles the account defines.
#[utoipa::path(get, path = "/v1/accounts/{id}/roles", tag = "roles", params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, description = "The account's roles", body = RoleList), ApiErrors))]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AccountId>,
) -> Result<Json<RoleList>> {
    let roles = roles::list(&state.app, &actor, &id).await?;
    Ok(Json(RoleList {
        roles: listed(roles),
    }))
}

/// `PUT /v1/accounts/{id}/roles/{name}` (`manageRoles`): defines or replaces a role; every
/// member holding it gains or loses at once. `400` unknown grant or a preset's name.
#[utoipa::path(put, path = "/v1/accounts/{id}/roles/{name}", tag = "roles",
    params(("id" = AccountId, Path, description = "Account id"), ("name" = RoleName, Path, description = "Role name: lowercase words joined by '-'; not owner, admin, member or a preset's")),
    request_body = RoleBody,
    responses((status = 200, description = "The role", body = NamedRole), ApiErrors))]
pub async fn put(
    State(state): State<AppState>,
    actor: Actor,
    PathIds((id, name)): PathIds<(AccountId, RoleName)>,
    JsonBody(body): JsonBody<RoleBody>,
) -> Result<Json<NamedRole>> {
    let role = RoleDefinition {
        grants: body.grants,
        description: body.description,
    };
    let role = roles::put(&state.app, &actor, &id, &name, role).await?;
    Ok(Json(role.into()))
}

/// `DELETE /v1/accounts/{id}/roles/{name}` (`manageRoles`): `204`; `404` when the account
/// defines no such role, `409` while a member holds it.
#[utoipa::path(delete, path = "/v1/accounts/{id}/roles/{name}", tag = "roles",
    params(("id" = AccountId, Path, description = "Account id"), ("name" = RoleName, Path, description = "Role name")),
    responses((status = 204, description = "Deleted"), ApiErrors))]
pub async fn remove(
    State(state): State<AppState>,
    actor: Actor,
    PathIds((id, name)): PathIds<(AccountId, RoleName)>,
) -> Result<StatusCode> {
    roles::delete(&state.app, &actor, &id, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/role-presets`: the hosting company's preset roles (`policies/roles.json`), which
/// every account may name.
#[utoipa::path(get, path = "/v1/role-presets", tag = "roles",
    responses((status = 200, description = "The presets", body = RoleList), ApiErrors))]
pub async fn presets(State(state): State<AppState>) -> Result<Json<RoleList>> {
    let presets: BTreeMap<_, _> = roles::presets(&state.app);
    Ok(Json(RoleList {
        roles: listed(presets),
    }))
}
