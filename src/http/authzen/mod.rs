//! The OpenID AuthZEN Authorization API 1.0, served beside the native API so any AuthZEN
//! client (portal, API gateway, SDK) can ask Portier without Portier-specific code.
//!
//! It is a thin translation ([`model`]) onto the native check pipeline: the same parsing,
//! decision cache, data revisions and fail-closed rules decide every answer. Routes:
//! one evaluation ([`evaluation`]), many ([`evaluations`]), the three searches ([`search`], paged by
//! [`paging`]) and the metadata document ([`discovery`]). Both the check and the admin token
//! reach them.
//!
//! Protocol rules kept here: the body must be `application/json` holding a JSON object, else
//! `400`; unknown fields are ignored; a deny is `200 {"decision": false}`; `X-Request-ID` is
//! echoed by the edge layer.

mod discovery;
mod evaluation;
mod evaluations;
mod model;
mod paging;
mod search;

use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{parse_json, read_body};
use super::AppState;
use crate::error::Error;

/// The AuthZEN routes with their OpenAPI entries; mounted with the check routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(discovery::configuration))
        .routes(routes!(evaluation::evaluation))
        .routes(routes!(evaluations::evaluations))
        .routes(routes!(search::subject))
        .routes(routes!(search::resource))
        .routes(routes!(search::action))
}

/// An AuthZEN request body: `Content-Type: application/json` and a JSON object, else a `400`
/// naming what is wrong (`Content-Type`, `body`, or the field at fault).
pub struct AuthzenJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for AuthzenJson<T> {
    type Rejection = Error;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Error> {
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !is_json(content_type) {
            return Err(Error::bad_field("Content-Type", "must be application/json"));
        }
        let bytes = read_body(request).await?;
        match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            None => Err(Error::bad_field("body", "empty: expected a JSON object")),
            Some(b'{') => parse_json(&bytes).map(AuthzenJson),
            Some(_) => Err(Error::bad_field("body", "must be a JSON object")),
        }
    }
}

/// Whether a `Content-Type` value is `application/json` (parameters such as `charset` allowed).
fn is_json(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

#[cfg(test)]
mod tests {
    use super::is_json;

    #[test]
    fn json_content_types_are_recognised() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/jsonx"));
        assert!(!is_json(""));
    }
}
