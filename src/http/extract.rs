//! Extractors that turn every malformed input into the JSON error naming the field:
//! [`JsonBody`] for bodies (with the path of the bad field, e.g. `checks[3].action`),
//! [`PathIds`] for ids in the URL, [`QueryParams`] for query strings. Every body is read by
//! [`read_body`], within [`MAX_BODY_BYTES`](super::MAX_BODY_BYTES).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::de::DeserializeOwned;

use crate::error::Error;

/// A JSON body; errors name the offending field.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Error;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Error> {
        parse_json(&read_body(request).await?).map(JsonBody)
    }
}

/// The whole body of `request`, or why it could not be read: too large (`413`, also when
/// it was not announced), too slow (`408`), or broken (`400`).
pub async fn read_body(request: Request) -> Result<Bytes, Error> {
    let limited = Limited::new(request.into_body(), super::MAX_BODY_BYTES);
    let failure = match limited.collect().await {
        Ok(collected) => return Ok(collected.to_bytes()),
        Err(failure) => failure,
    };
    let refused = |status, message: String| Error::Refused {
        status,
        field: "body".into(),
        message,
    };
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(failure.as_ref());
    while let Some(err) = source {
        if err.is::<LengthLimitError>() {
            return Err(refused(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("larger than {} bytes", super::MAX_BODY_BYTES),
            ));
        }
        if err.is::<super::BodyTimedOut>() {
            return Err(refused(StatusCode::REQUEST_TIMEOUT, err.to_string()));
        }
        source = err.source();
    }
    Err(Error::bad_field(
        "body",
        format!("the body could not be read: {failure}"),
    ))
}

/// Parses one JSON value and nothing after it (but white space), reporting the path of the
/// first bad field. A body that parses takes the plain parser; only a bad one is parsed
/// again while tracking the path, which costs an allocation per key.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *deserializer).map_err(|err| {
        let path = err.path().to_string();
        let message = err.inner().to_string();
        // serde reports a missing field at its parent; name the field itself.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|m| m.split('`').next());
        // `?` is where a syntax error leaves the path: the body as a whole.
        let field = match (path.as_str(), missing) {
            ("." | "?", Some(name)) => name.to_owned(),
            (parent, Some(name)) => format!("{parent}.{name}"),
            ("." | "?" | "", None) => "body".to_owned(),
            (path, None) => path.to_owned(),
        };
        Error::BadRequest {
            field: Some(field),
            message,
        }
    })?;
    deserializer.end().map_err(|err| {
        Error::bad_field(
            "body",
            format!("unexpected data after the JSON value: {err}"),
        )
    })?;
    Ok(value)
}

/// Ids from the URL path, parsed into domain types.
pub struct PathIds<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathIds<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(ids)| PathIds(ids))
            .map_err(|e| Error::bad_field("path", e.body_text()))
    }
}

/// Query string parameters; errors name the parameter.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Error> {
        parse_query(parts.uri.query().unwrap_or_default()).map(QueryParams)
    }
}

/// Parses a query string; errors name the parameter.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, Error> {
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let message = err.inner().to_string();
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|m| m.split('`').next());
        let field = match (err.path().to_string().as_str(), missing) {
            (_, Some(name)) => name.to_owned(),
            ("." | "?" | "", None) => "query".to_owned(),
            (path, None) => path.to_owned(),
        };
        Error::BadRequest {
            field: Some(field),
            message,
        }
    })
}
