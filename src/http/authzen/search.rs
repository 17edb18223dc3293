//! The AuthZEN searches. Each lists candidates from the store (the account's owner and
//! members; the accounts, assigned services, invitations and contacts a user can reach; the
//! actions the schema applies to a resource type) and keeps those the native check pipeline
//! allows, so a search result never claims more than an evaluation would answer.
//!
//! A type or action the schema does not know is an empty result, not an error (AuthZEN asks
//! for that); a missing input id or a malformed body is a `400`.

use std::str::FromStr;

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use super::model::{account_property, required_id, schema_type, Action, Entity, Question};
use super::paging::{PageRequest, PageResponse, Window};
use super::AuthzenJson;
use crate::app::check::Api;
use crate::app::search::{self, Resources, Subjects};
use crate::authz::PolicyBundle;
use crate::domain::{AccountId, UserId};
use crate::error::{Error, Result};
use crate::http::openapi::ApiErrors;
use crate::http::AppState;
use crate::store::{Candidate, Reachable};

/// Body of the search routes. The searched-for entity needs only its `type` (an `id` there
/// is ignored); the action search takes no `action`. Unknown fields are ignored.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct SearchRequest {
    /// The subject: `{"type": "user", "id": …}`, or just the type for a subject search.
    subject: Entity,
    /// The action; required by the subject and resource searches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    action: Option<Action>,
    /// The resource, with `properties.account` for account resources; just the type for a
    /// resource search.
    resource: Entity,
    /// The Cedar context, as for an evaluation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    context: Option<Map<String, Value>>,
    /// Which page.
    #[serde(default, skip_serializing)]
    page: Option<PageRequest>,
}

/// A search answer: one page of results.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResponse {
    /// The page; `next_token` is `""` on the last one.
    page: PageResponse,
    /// Subjects or resources (`{"type", "id", "properties"?}`) or actions (`{"name"}`).
    #[schema(value_type = Vec<Object>)]
    results: Vec<Value>,
}

/// `POST /access/v1/search/subject`: the users (the account's owner and members) who may do
/// `action` on `resource`.
#[utoipa::path(post, path = "/access/v1/search/subject", tag = "authzen",
    request_body = SearchRequest,
    responses((status = 200, description = "Allowed subjects", body = SearchResponse), ApiErrors))]
pub async fn subject(
    State(state): State<AppState>,
    AuthzenJson(body): AuthzenJson<SearchRequest>,
) -> Result<Json<SearchResponse>> {
    let window = Window::of("subject", &query_of(&body)?, body.page.as_ref())?;
    let action = required_action(&body)?;
    let resource_id = required_id(&body.resource, "resource")?;
    let bundle = state.app.checker().bundle();
    if !is_user(&bundle, &body.subject.ty) || !applies(&bundle, &action.name, &body.resource.ty) {
        return Ok(Json(respond(&window, Vec::new())));
    }
    let among = subjects_of(&bundle, &body.resource, resource_id)?;
    let ask = |id: &str| {
        let subject = entity(&body.subject.ty, id.to_owned(), None);
        question(&subject, &action.name, &body.resource, &body).parse(&bundle)
    };
    let allowed =
        search::subjects(&state.app, &bundle, among, ask, Api::AuthzenSearchSubject).await?;
    let results = allowed
        .into_iter()
        .map(|id| json!(entity(&body.subject.ty, id, None)))
        .collect();
    Ok(Json(respond(&window, results)))
}

/// `POST /access/v1/search/resource`: the resources of the given type — accounts, services
/// with assignments, invitations, contacts, the user itself — that the subject may `action`.
#[utoipa::path(post, path = "/access/v1/search/resource", tag = "authzen",
    request_body = SearchRequest,
    responses((status = 200, description = "Allowed resources", body = SearchResponse), ApiErrors))]
pub async fn resource(
    State(state): State<AppState>,
    AuthzenJson(body): AuthzenJson<SearchRequest>,
) -> Result<Json<SearchResponse>> {
    let window = Window::of("resource", &query_of(&body)?, body.page.as_ref())?;
    let action = required_action(&body)?;
    let subject_id = required_id(&body.subject, "subject")?;
    let bundle = state.app.checker().bundle();
    if !is_user(&bundle, &body.subject.ty) || !applies(&bundle, &action.name, &body.resource.ty) {
        return Ok(Json(respond(&window, Vec::new())));
    }
    let user = UserId::from_str(subject_id).map_err(|e| Error::bad_field("subject.id", e))?;
    let Some(among) = resources_of(&bundle, &body.resource.ty) else {
        return Ok(Json(respond(&window, Vec::new())));
    };
    let scoped = !matches!(
        among,
        Resources::Reachable(Reachable::Accounts) | Resources::OwnRecord
    );
    let as_entity = |c: &Candidate| {
        let account = scoped.then(|| c.account.clone());
        entity(&body.resource.ty, c.id.clone(), account)
    };
    let ask = |c: &Candidate| {
        let resource = as_entity(c);
        question(&body.subject, &action.name, &resource, &body).parse(&bundle)
    };
    let allowed = search::resources(
        &state.app,
        &bundle,
        &user,
        among,
        ask,
        Api::AuthzenSearchResource,
    )
    .await?;
    let results = allowed.iter().map(|c| json!(as_entity(c))).collect();
    Ok(Json(respond(&window, results)))
}

/// `POST /access/v1/search/action`: the actions the schema applies to the resource's type
/// that the subject may do on it (the native allowed-actions, in AuthZEN's shape).
#[utoipa::path(post, path = "/access/v1/search/action", tag = "authzen",
    request_body = SearchRequest,
    responses((status = 200, description = "Allowed actions", body = SearchResponse), ApiErrors))]
pub async fn action(
    State(state): State<AppState>,
    AuthzenJson(body): AuthzenJson<SearchRequest>,
) -> Result<Json<SearchResponse>> {
    let window = Window::of("action", &query_of(&body)?, body.page.as_ref())?;
    required_id(&body.subject, "subject")?;
    required_id(&body.resource, "resource")?;
    let bundle = state.app.checker().bundle();
    let first = schema_type(&bundle, &body.resource.ty).and_then(|ty| bundle.first_action_for(&ty));
    let (true, Some(first)) = (decided_for(&bundle, &body.subject.ty), first) else {
        return Ok(Json(respond(&window, Vec::new())));
    };
    let probe = Question {
        subject: &body.subject,
        action: &first,
        resource: &body.resource,
        context: body.context.as_ref(),
    };
    let request = probe.parse(&bundle)?;
    let names = state
        .app
        .checker()
        .allowed_actions(&bundle, &request, Api::AuthzenSearchAction)
        .await?;
    let results = names
        .into_iter()
        .map(|name| json!({ "name": name }))
        .collect();
    Ok(Json(respond(&window, results)))
}

/// Whose access a subject search on `resource` weighs: the owner and members of the
/// resource's account; for a `User` resource, that user.
fn subjects_of(bundle: &PolicyBundle, resource: &Entity, resource_id: &str) -> Result<Subjects> {
    let types = bundle.types();
    let ty = schema_type(bundle, &resource.ty).unwrap_or_default();
    let account = if ty == types.account.to_string() {
        Some(resource_id.to_owned())
    } else {
        account_property(resource)?
    };
    let Some(account) = account else {
        if ty == types.user.to_string() {
            return Ok(Subjects::Only(resource_id.to_owned()));
        }
        return Err(Error::bad_field(
            "resource.properties.account",
            format!("required: a {ty} belongs to an account"),
        ));
    };
    let account = AccountId::from_str(&account)
        .map_err(|e| Error::bad_field("resource.properties.account", e))?;
    Ok(Subjects::MembersOf(account))
}

/// What a resource search of the named type weighs; `None` for a type Portier keeps no
/// resources of.
fn resources_of(bundle: &PolicyBundle, requested_type: &str) -> Option<Resources> {
    let types = bundle.types();
    let ty = schema_type(bundle, requested_type).unwrap_or_default();
    if ty == types.user.to_string() {
        return Some(Resources::OwnRecord);
    }
    [
        (&types.account, Reachable::Accounts),
        (&types.service, Reachable::Services),
        (&types.invitation, Reachable::Invitations),
        (&types.contact, Reachable::Contacts),
    ]
    .into_iter()
    .find(|(known, _)| known.to_string() == ty)
    .map(|(_, kind)| Resources::Reachable(kind))
}

/// The question a search asks of one candidate.
fn question<'a>(
    subject: &'a Entity,
    action: &'a str,
    resource: &'a Entity,
    body: &'a SearchRequest,
) -> Question<'a> {
    Question {
        subject,
        action,
        resource,
        context: body.context.as_ref(),
    }
}

fn entity(ty: &str, id: String, account: Option<String>) -> Entity {
    Entity {
        ty: ty.to_owned(),
        id: Some(id),
        properties: account.map(|a| Map::from_iter([("account".to_owned(), Value::String(a))])),
    }
}

fn respond(window: &Window, results: Vec<Value>) -> SearchResponse {
    let (results, page) = window.slice(&results);
    SearchResponse { page, results }
}

/// The request without its page, for binding page tokens to it.
/// The query a page token is bound to; a context past the key limit is refused first.
fn query_of(body: &SearchRequest) -> Result<Value> {
    if let Some(context) = &body.context {
        crate::authz::context::check_size(context, "context")?;
    }
    serde_json::to_value(body).map_err(|e| Error::Internal(e.into()))
}

fn required_action(body: &SearchRequest) -> Result<&Action> {
    body.action
        .as_ref()
        .ok_or_else(|| Error::bad_field("action", "required"))
}

/// Whether the named type is one Portier decides for: `User` or `ApiKey` (an action search
/// asks the check pipeline only, so it serves both).
fn decided_for(bundle: &PolicyBundle, ty: &str) -> bool {
    let types = bundle.types();
    schema_type(bundle, ty)
        .is_some_and(|t| t == types.user.to_string() || t == types.api_key.to_string())
}

/// Whether the named type is the schema's `User` (the subjects and resources searches weigh:
/// they list what a person can reach through memberships).
fn is_user(bundle: &PolicyBundle, ty: &str) -> bool {
    schema_type(bundle, ty).is_some_and(|t| t == bundle.types().user.to_string())
}

/// Whether the schema declares the action and applies it to the named resource type.
fn applies(bundle: &PolicyBundle, action: &str, resource_type: &str) -> bool {
    let Some(ty) = schema_type(bundle, resource_type) else {
        return false;
    };
    bundle
        .action(action)
        .is_some_and(|(_, types)| types.iter().any(|t| t.to_string() == ty))
}
