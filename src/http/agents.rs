//! `/v1/agents`: the hosting company's staff as named agents (`viewAgents`, `manageAgents`;
//! the shipped policies: staff only, an admin token without an actor or agent). A check names
//! one as `Agent::"<id>"`; a management call made by one carries `X-Portier-Agent`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{JsonBody, PathIds};
use super::openapi::ApiErrors;
use super::AppState;
use crate::app::manage::agents;
use crate::domain::{Actor, AgentId, AgentRole, Email, Name, Timestamp};
use crate::error::Result;
use crate::store::{AgentPatch, AgentRecord, NewAgent};

/// A support agent.
#[derive(Debug, Serialize, ToSchema)]
pub struct Agent {
    /// The hosting company's id for them; checks name them as `Agent::"<id>"`.
    id: String,
    /// Where to reach them.
    email: String,
    /// A name for people; the owner sees it beside a support access.
    display_name: String,
    /// `support` (acts only within a support access) or `supervisor` (may also break glass).
    role: AgentRole,
    /// When created.
    created_at: Timestamp,
    /// When last changed.
    updated_at: Timestamp,
}

impl From<AgentRecord> for Agent {
    fn from(r: AgentRecord) -> Self {
        Agent {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            role: r.role,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Body of `POST /v1/agents`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgentBody {
    /// The hosting company's id for them (`alice`).
    id: AgentId,
    /// Where to reach them.
    email: Email,
    /// A name for people.
    display_name: Name,
    /// `support` or `supervisor`.
    role: AgentRole,
}

/// Body of `PATCH /v1/agents/{id}`: each field present is replaced.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentPatchBody {
    /// A new email.
    email: Option<Email>,
    /// A new name.
    display_name: Option<Name>,
    /// A new role, in force from now on.
    role: Option<AgentRole>,
}

/// Answer of `GET /v1/agents`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Agents {
    /// Every agent, by id.
    agents: Vec<Agent>,
}

/// `POST /v1/agents` (`manageAgents`): `201`; `409` when the id is taken.
#[utoipa::path(post, path = "/v1/agents", tag = "agents", request_body = NewAgentBody,
    responses((status = 201, description = "The agent", body = Agent), ApiErrors))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    JsonBody(body): JsonBody<NewAgentBody>,
) -> Result<(StatusCode, Json<Agent>)> {
    let new = NewAgent {
        id: body.id,
        email: body.email,
        display_name: body.display_name,
        role: body.role,
    };
    let agent = agents::create(&state.app, &actor, new).await?;
    Ok((StatusCode::CREATED, Json(agent.into())))
}

/// `GET /v1/agents` (`viewAgents`): every agent.
#[utoipa::path(get, path = "/v1/agents", tag = "agents",
    responses((status = 200, description = "The agents", body = Agents), ApiErrors))]
pub async fn list(State(state): State<AppState>, actor: Actor) -> Result<Json<Agents>> {
    let found = agents::list(&state.app, &actor).await?;
    Ok(Json(Agents {
        agents: found.into_iter().map(Agent::from).collect(),
    }))
}

/// `GET /v1/agents/{id}` (`viewAgents`).
#[utoipa::path(get, path = "/v1/agents/{id}", tag = "agents",
    params(("id" = AgentId, Path, description = "Agent id")),
    responses((status = 200, description = "The agent", body = Agent), ApiErrors))]
pub async fn show(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AgentId>,
) -> Result<Json<Agent>> {
    Ok(Json(agents::show(&state.app, &actor, &id).await?.into()))
}

/// `PATCH /v1/agents/{id}` (`manageAgents`).
#[utoipa::path(patch, path = "/v1/agents/{id}", tag = "agents",
    params(("id" = AgentId, Path, description = "Agent id")), request_body = AgentPatchBody,
    responses((status = 200, description = "The agent", body = Agent), ApiErrors))]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AgentId>,
    JsonBody(body): JsonBody<AgentPatchBody>,
) -> Result<Json<Agent>> {
    let patch = AgentPatch {
        email: body.email,
        display_name: body.display_name,
        role: body.role,
    };
    Ok(Json(
        agents::update(&state.app, &actor, &id, patch).await?.into(),
    ))
}

/// `DELETE /v1/agents/{id}` (`manageAgents`): `204`; the support accesses naming the agent
/// are revoked with them.
#[utoipa::path(delete, path = "/v1/agents/{id}", tag = "agents",
    params(("id" = AgentId, Path, description = "Agent id")),
    responses((status = 204, description = "Deleted"), ApiErrors))]
pub async fn remove(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AgentId>,
) -> Result<StatusCode> {
    agents::delete(&state.app, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
