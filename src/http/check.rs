//! The check routes: what portals call before each action.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::extract::JsonBody;
use super::openapi::ApiErrors;
use super::AppState;
use crate::app::check::{Api, Decision};
use crate::authz::{CheckBody, EntityRef};
use crate::error::{Error, Result};

/// Most checks in one batch.
pub const MAX_BATCH: usize = 100;

/// `POST /v1/check`: allow or deny, with the deciding policies. Unknown principals, accounts
/// and resources are a deny; undeclared actions or types and malformed bodies a `400`.
#[utoipa::path(post, path = "/v1/check", tag = "checks", request_body = CheckBody,
    responses((status = 200, description = "The decision", body = Decision), ApiErrors))]
pub async fn check(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CheckBody>,
) -> Result<Json<Decision>> {
    let decision = state.app.checker().check(body, Api::Check).await?;
    Ok(Json(decision))
}

/// Body of `POST /v1/check/batch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchBody {
    /// Up to 100 checks.
    checks: Vec<CheckBody>,
}

/// Answer of `POST /v1/check/batch`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResults {
    /// One decision per check, in order.
    results: Vec<Decision>,
}

/// `POST /v1/check/batch`: up to 100 checks, answered in order. A malformed item fails the
/// whole batch with a `400` naming it (`checks[3].action`).
#[utoipa::path(post, path = "/v1/check/batch", tag = "checks", request_body = BatchBody,
    responses((status = 200, description = "Decisions in order", body = BatchResults), ApiErrors))]
pub async fn batch(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<BatchBody>,
) -> Result<Json<BatchResults>> {
    if body.checks.len() > MAX_BATCH {
        return Err(Error::bad_field(
            "checks",
            format!("at most {MAX_BATCH} checks per batch"),
        ));
    }
    let bundle = state.app.checker().bundle();
    let requests = body
        .checks
        .into_iter()
        .enumerate()
        .map(|(i, check)| {
            bundle
                .parse_check(check)
                .map_err(|e| e.in_field(&format!("checks[{i}]")))
        })
        .collect::<Result<Vec<_>>>()?;
    // Decided concurrently (the store reads overlap), answered in order.
    let decisions = requests
        .iter()
        .map(|request| state.app.checker().decide(&bundle, request, Api::Batch));
    let results = futures_util::future::try_join_all(decisions).await?;
    Ok(Json(BatchResults { results }))
}

/// Body of `POST /v1/allowed-actions`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllowedActionsBody {
    /// Who asks.
    principal: EntityRef,
    /// On what.
    resource: EntityRef,
    /// The account the resource belongs to; implied for an Account.
    #[serde(default)]
    account: Option<String>,
    /// Request context, typed by the schema.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    context: Option<Value>,
}

/// Answer of `POST /v1/allowed-actions`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AllowedActions {
    /// Allowed action ids, sorted.
    actions: Vec<String>,
    /// The policy set that decided.
    policy_revision: String,
}

/// `POST /v1/allowed-actions`: every action the schema applies to the resource's type that
/// the principal may do, for drawing the portal's menus in one call.
#[utoipa::path(post, path = "/v1/allowed-actions", tag = "checks", request_body = AllowedActionsBody,
    responses((status = 200, description = "The allowed actions", body = AllowedActions), ApiErrors))]
pub async fn allowed_actions(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<AllowedActionsBody>,
) -> Result<Json<AllowedActions>> {
    let bundle = state.app.checker().bundle();
    let resource_type = match &body.resource {
        EntityRef::Typed { ty, .. } => ty.clone(),
        EntityRef::Text(text) => text.split("::").next().unwrap_or_default().to_owned(),
    };
    let Some(first) = bundle.first_action_for(&resource_type) else {
        return Err(Error::bad_field(
            "resource.type",
            format!("no action applies to {resource_type:?}"),
        ));
    };
    let probe = CheckBody {
        principal: body.principal,
        action: first,
        resource: body.resource,
        account: body.account,
        context: body.context,
        entities: None,
        consistency: Default::default(),
    };
    let request = bundle.parse_check(probe)?;
    let actions = state
        .app
        .checker()
        .allowed_actions(&bundle, &request, Api::AllowedActions)
        .await?;
    Ok(Json(AllowedActions {
        actions,
        policy_revision: bundle.revision().to_owned(),
    }))
}
