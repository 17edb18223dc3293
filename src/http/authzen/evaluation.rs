//! `POST /access/v1/evaluation`: one AuthZEN decision, made by
//! [`Checker::decide`](crate::app::check::Checker::decide) over the native parsed request, and the
//! AuthZEN shape of a decision shared with the evaluations route.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use super::model::{Action, Entity, Question};
use super::AuthzenJson;
use crate::app::check::{Api, Checker, Decision};
use crate::authz::{CheckRequest, PolicyBundle};
use crate::error::Result;
use crate::http::openapi::ApiErrors;
use crate::http::AppState;

/// Body of `POST /access/v1/evaluation`. Unknown fields are ignored.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EvaluationRequest {
    /// Who asks: `{"type": "user", "id": …}`.
    subject: Entity,
    /// What they want to do.
    action: Action,
    /// On what; `properties.account` is its account (implied for an Account).
    resource: Entity,
    /// The Cedar context, typed by the schema; undeclared keys are ignored.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    context: Option<Map<String, Value>>,
}

/// An AuthZEN decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationResponse {
    /// `true` to permit; `false` on deny and on any problem with this evaluation.
    pub(super) decision: bool,
    /// `decision_id`, `reasons` (deciding policy ids), `errors`, `policy_revision`, `cached`;
    /// or `error` (`status`, `code`, `message`, `field`) for an evaluation that failed.
    #[schema(value_type = Object)]
    pub(super) context: Value,
}

/// `POST /access/v1/evaluation`: one decision. A deny is `200 {"decision": false}`; an
/// undeclared action or type, a missing field or a wrong type is a `400` naming the field.
#[utoipa::path(post, path = "/access/v1/evaluation", tag = "authzen",
    request_body = EvaluationRequest,
    responses((status = 200, description = "The decision", body = EvaluationResponse), ApiErrors))]
pub async fn evaluation(
    State(state): State<AppState>,
    AuthzenJson(body): AuthzenJson<EvaluationRequest>,
) -> Result<Json<EvaluationResponse>> {
    let bundle = state.app.checker().bundle();
    let question = Question {
        subject: &body.subject,
        action: &body.action.name,
        resource: &body.resource,
        context: body.context.as_ref(),
    };
    let request = question.parse(&bundle)?;
    let decision = decide(
        state.app.checker(),
        &bundle,
        &request,
        Api::AuthzenEvaluation,
    )
    .await?;
    Ok(Json(decision))
}

/// Decides a parsed request through the native pipeline, which logs it for `api`.
pub(super) async fn decide(
    checker: &Checker,
    bundle: &PolicyBundle,
    request: &CheckRequest,
    api: Api,
) -> Result<EvaluationResponse> {
    Ok(answer(checker.decide(bundle, request, api).await?))
}

/// The AuthZEN shape of a native decision.
fn answer(decision: Decision) -> EvaluationResponse {
    EvaluationResponse {
        decision: decision.is_allow(),
        context: json!({
            "decision_id": decision.decision_id,
            "reasons": decision.reasons,
            "errors": decision.errors,
            "policy_revision": decision.policy_revision,
            "cached": decision.cached,
        }),
    }
}
