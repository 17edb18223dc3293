//! `/v1/accounts/{id}/services/{service}`: the members a service is assigned to. Assigning is
//! user management, so owner-only (`assignService`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{JsonBody, PathIds};
use super::openapi::ApiErrors;
use super::AppState;
use crate::app::manage::services;
use crate::domain::{AccountId, Actor, ServiceId, UserId};
use crate::error::Result;

/// Body of `PUT /v1/accounts/{id}/services/{service}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssigneesBody {
    /// Members to assign the service to (replaces the list).
    assignees: Vec<UserId>,
}

/// A service and the members it is assigned to.
#[derive(Debug, Serialize, ToSchema)]
pub struct Assignees {
    /// The service id.
    service: ServiceId,
    /// Member user ids, sorted.
    assignees: Vec<String>,
}

/// `GET /v1/accounts/{id}/services/{service}` (`viewService`): the assignees.
#[utoipa::path(get, path = "/v1/accounts/{id}/services/{service}", tag = "services",
    params(("id" = AccountId, Path, description = "Account id"), ("service" = ServiceId, Path, description = "Service id")),
    responses((status = 200, description = "The assignees", body = Assignees), ApiErrors))]
pub async fn show(
    State(state): State<AppState>,
    actor: Actor,
    PathIds((id, service)): PathIds<(AccountId, ServiceId)>,
) -> Result<Json<Assignees>> {
    let assignees = services::assignees(&state.app, &actor, &id, &service).await?;
    Ok(Json(Assignees { service, assignees }))
}

/// `PUT /v1/accounts/{id}/services/{service}` (`assignService`): replaces the assignees; each
/// must be a member (`400` naming `assignees[i]`).
#[utoipa::path(put, path = "/v1/accounts/{id}/services/{service}", tag = "services",
    params(("id" = AccountId, Path, description = "Account id"), ("service" = ServiceId, Path, description = "Service id")), request_body = AssigneesBody,
    responses((status = 200, description = "The assignees", body = Assignees), ApiErrors))]
pub async fn put(
    State(state): State<AppState>,
    actor: Actor,
    PathIds((id, service)): PathIds<(AccountId, ServiceId)>,
    JsonBody(body): JsonBody<AssigneesBody>,
) -> Result<Json<Assignees>> {
    let assignees = services::assign(&state.app, &actor, &id, &service, &body.assignees).await?;
    Ok(Json(Assignees { service, assignees }))
}

/// `DELETE /v1/accounts/{id}/services/{service}` (`assignService`): unassigns everyone; `204`.
#[utoipa::path(delete, path = "/v1/accounts/{id}/services/{service}", tag = "services",
    params(("id" = AccountId, Path, description = "Account id"), ("service" = ServiceId, Path, description = "Service id")),
    responses((status = 204, description = "Unassigned"), ApiErrors))]
pub async fn clear(
    State(state): State<AppState>,
    actor: Actor,
    PathIds((id, service)): PathIds<(AccountId, ServiceId)>,
) -> Result<StatusCode> {
    services::assign(&state.app, &actor, &id, &service, &[]).await?;
    Ok(StatusCode::NO_CONTENT)
}
