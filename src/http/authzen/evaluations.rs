//! `POST /access/v1/evaluations`: many AuthZEN decisions in one call. Top-level fields are
//! defaults each item may replace whole; items run under one of the three evaluation
//! semantics; an item's own problem is that item's `decision: false`, while a failure of
//! Portier itself (the store down) fails the whole request with its status code.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use super::evaluation::{decide, EvaluationResponse};
use super::model::{Action, Entity, Question};
use super::AuthzenJson;
use crate::app::check::{Api, Checker};
use crate::authz::context::check_size;
use crate::authz::{CheckRequest, PolicyBundle};
use crate::error::{Error, Result};
use crate::http::check::MAX_BATCH;
use crate::http::extract::parse_json;
use crate::http::openapi::ApiErrors;
use crate::http::AppState;

/// How an evaluations request runs its items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Semantic {
    /// Every item, answered in order.
    #[default]
    ExecuteAll,
    /// In order, stopping after the first deny (or failed item).
    DenyOnFirstDeny,
    /// In order, stopping after the first permit.
    PermitOnFirstPermit,
}

/// `options` of an evaluations request; unknown options are ignored.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct EvaluationsOptions {
    /// `execute_all` (default), `deny_on_first_deny` or `permit_on_first_permit`.
    #[serde(default)]
    evaluations_semantic: Option<Semantic>,
}

/// Body of `POST /access/v1/evaluations`: top-level `subject`, `action`, `resource` and
/// `context` are defaults each item may replace whole.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EvaluationsRequest {
    /// Default subject.
    #[serde(default)]
    subject: Option<Entity>,
    /// Default action.
    #[serde(default)]
    action: Option<Action>,
    /// Default resource.
    #[serde(default)]
    resource: Option<Entity>,
    /// Default context.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    context: Option<Map<String, Value>>,
    /// Up to 100 items, each with any of `subject`, `action`, `resource`, `context`. Absent or
    /// empty: the top-level fields are one evaluation.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    evaluations: Option<Vec<Value>>,
    /// How to run the items.
    #[serde(default)]
    options: Option<EvaluationsOptions>,
}

/// One item of an evaluations request, after its own parsing.
#[derive(Debug, Default, Deserialize)]
struct Item {
    #[serde(default)]
    subject: Option<Entity>,
    #[serde(default)]
    action: Option<Action>,
    #[serde(default)]
    resource: Option<Entity>,
    #[serde(default)]
    context: Option<Map<String, Value>>,
}

/// Answer of `POST /access/v1/evaluations`: `evaluations` in request order, or, when the
/// request had no items, the single decision's `decision` and `context`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationsResponse {
    /// One decision per item, in order (fewer when a short-circuit semantic stopped early).
    #[serde(skip_serializing_if = "Option::is_none")]
    evaluations: Option<Vec<EvaluationResponse>>,
    /// The decision, when the request had no items.
    #[serde(skip_serializing_if = "Option::is_none")]
    decision: Option<bool>,
    /// Its context, when the request had no items.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    context: Option<Value>,
}

/// `POST /access/v1/evaluations`: up to 100 decisions in order. An item's own problem (a
/// missing field after defaults, an undeclared action) is that item's `decision: false` with
/// `context.error`, not a failed request; a malformed top level or `options` is a `400`.
#[utoipa::path(post, path = "/access/v1/evaluations", tag = "authzen",
    request_body = EvaluationsRequest,
    responses((status = 200, description = "The decisions", body = EvaluationsResponse), ApiErrors))]
pub async fn evaluations(
    State(state): State<AppState>,
    AuthzenJson(mut body): AuthzenJson<EvaluationsRequest>,
) -> Result<Json<EvaluationsResponse>> {
    let items = body.evaluations.take().unwrap_or_default();
    if items.len() > MAX_BATCH {
        let message = format!("at most {MAX_BATCH} evaluations per request");
        return Err(Error::bad_field("evaluations", message));
    }
    if let Some(context) = &body.context {
        check_size(context, "context")?;
    }
    let bundle = state.app.checker().bundle();
    if items.is_empty() {
        let request = with_defaults(&bundle, &body, Item::default())?;
        let one = decide(
            state.app.checker(),
            &bundle,
            &request,
            Api::AuthzenEvaluations,
        )
        .await?;
        return Ok(Json(EvaluationsResponse {
            evaluations: None,
            decision: Some(one.decision),
            context: Some(one.context),
        }));
    }
    let requests: Vec<Result<CheckRequest>> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            parse_item(&bundle, &body, item).map_err(|e| e.in_field(&format!("evaluations[{i}]")))
        })
        .collect();
    let semantic = body
        .options
        .and_then(|o| o.evaluations_semantic)
        .unwrap_or_default();
    let results = match semantic {
        Semantic::ExecuteAll => {
            let all = requests
                .iter()
                .map(|r| decide_item(state.app.checker(), &bundle, r));
            futures_util::future::try_join_all(all).await?
        }
        stopping => short_circuit(state.app.checker(), &bundle, &requests, stopping).await?,
    };
    Ok(Json(EvaluationsResponse {
        evaluations: Some(results),
        decision: None,
        context: None,
    }))
}

/// Runs items in order until the first deny (`deny_on_first_deny`) or permit
/// (`permit_on_first_permit`); the stopping item's context says why.
async fn short_circuit(
    checker: &Checker,
    bundle: &PolicyBundle,
    requests: &[Result<CheckRequest>],
    semantic: Semantic,
) -> Result<Vec<EvaluationResponse>> {
    let (stop_on, reason) = match semantic {
        Semantic::DenyOnFirstDeny => (false, "deny_on_first_deny"),
        _ => (true, "permit_on_first_permit"),
    };
    let mut results = Vec::with_capacity(requests.len());
    for request in requests {
        let mut result = decide_item(checker, bundle, request).await?;
        let stop = result.decision == stop_on;
        if stop {
            result.context["reason"] = json!(reason);
        }
        results.push(result);
        if stop {
            break;
        }
    }
    Ok(results)
}

/// One item: its own JSON (a bad item is that item's problem) over the defaults.
fn parse_item(
    bundle: &PolicyBundle,
    body: &EvaluationsRequest,
    item: &Value,
) -> Result<CheckRequest> {
    if !item.is_object() {
        return Err(Error::bad_field(
            "",
            "each evaluation must be a JSON object",
        ));
    }
    let bytes = serde_json::to_vec(item).map_err(|e| Error::Internal(e.into()))?;
    let item: Item = parse_json(&bytes)?;
    with_defaults(bundle, body, item)
}

/// The item's fields, each replaced whole by the top-level default where absent.
fn with_defaults(
    bundle: &PolicyBundle,
    body: &EvaluationsRequest,
    item: Item,
) -> Result<CheckRequest> {
    let required = |field: &str| {
        Error::bad_field(
            field,
            "required (in the evaluation or as a top-level default)",
        )
    };
    let subject = item
        .subject
        .as_ref()
        .or(body.subject.as_ref())
        .ok_or_else(|| required("subject"))?;
    let action = item
        .action
        .as_ref()
        .or(body.action.as_ref())
        .ok_or_else(|| required("action"))?;
    let resource = item
        .resource
        .as_ref()
        .or(body.resource.as_ref())
        .ok_or_else(|| required("resource"))?;
    let question = Question {
        subject,
        action: &action.name,
        resource,
        context: item.context.as_ref().or(body.context.as_ref()),
    };
    question.parse(bundle)
}

/// An item's decision; its own `400` becomes `decision: false` with the error in its
/// context. Any other failure (the store down) fails the whole request: never an allow.
async fn decide_item(
    checker: &Checker,
    bundle: &PolicyBundle,
    request: &Result<CheckRequest>,
) -> Result<EvaluationResponse> {
    let error = match request {
        Ok(request) => return decide(checker, bundle, request, Api::AuthzenEvaluations).await,
        Err(error) => error,
    };
    let Error::BadRequest { field, message } = error else {
        return Err(Error::Internal(anyhow::anyhow!(
            "unexpected item error: {error}"
        )));
    };
    let field = field.as_deref().map(|f| f.trim_end_matches('.'));
    Ok(EvaluationResponse {
        decision: false,
        context: json!({"error": {"status": 400, "code": "invalid_request", "message": message, "field": field}}),
    })
}
