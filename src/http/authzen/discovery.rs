//! `GET /.well-known/authzen-configuration`: the AuthZEN metadata document. The base URL is
//! the one the caller used: the `Host` (or `X-Forwarded-Host`) header, with the scheme from
//! `X-Forwarded-Proto` when a TLS proxy in front of Portier sets it, else `http`.

use axum::http::HeaderMap;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::http::openapi::ApiErrors;

/// The AuthZEN Policy Decision Point metadata.
#[derive(Debug, Serialize, ToSchema)]
pub struct PdpMetadata {
    /// This PDP's base URL.
    policy_decision_point: String,
    /// `POST` one decision.
    access_evaluation_endpoint: String,
    /// `POST` many decisions.
    access_evaluations_endpoint: String,
    /// `POST` which subjects may.
    search_subject_endpoint: String,
    /// `POST` which resources a subject may act on.
    search_resource_endpoint: String,
    /// `POST` which actions a subject may do on a resource.
    search_action_endpoint: String,
}

/// `GET /.well-known/authzen-configuration` (check or admin token): where each AuthZEN
/// endpoint is. A `Host` that is not a plain host name or address is a `400`.
#[utoipa::path(get, path = "/.well-known/authzen-configuration", tag = "authzen",
    responses((status = 200, description = "The PDP metadata", body = PdpMetadata), ApiErrors))]
pub async fn configuration(headers: HeaderMap) -> Result<Json<PdpMetadata>> {
    let base = base_url(&headers)?;
    let at = |path: &str| format!("{base}{path}");
    Ok(Json(PdpMetadata {
        access_evaluation_endpoint: at("/access/v1/evaluation"),
        access_evaluations_endpoint: at("/access/v1/evaluations"),
        search_subject_endpoint: at("/access/v1/search/subject"),
        search_resource_endpoint: at("/access/v1/search/resource"),
        search_action_endpoint: at("/access/v1/search/action"),
        policy_decision_point: base,
    }))
}

/// `scheme://host[:port]` as the caller addressed this server.
fn base_url(headers: &HeaderMap) -> Result<String> {
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let scheme = match first("x-forwarded-proto") {
        Some(proto) if proto.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    let host = first("x-forwarded-host")
        .or_else(|| first("host"))
        .ok_or_else(|| Error::bad_field("Host", "required to name this server's URL"))?;
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    if !host.chars().all(plain) {
        return Err(Error::bad_field("Host", "not a host name or address"));
    }
    Ok(format!("{scheme}://{}", host.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::base_url;
    use axum::http::HeaderMap;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn the_base_url_is_the_one_the_caller_used() {
        let direct = headers(&[("host", "127.0.0.1:8080")]);
        assert_eq!(base_url(&direct).unwrap(), "http://127.0.0.1:8080");
        let proxied = headers(&[
            ("host", "10.0.0.5"),
            ("x-forwarded-host", "PDP.example.com"),
            ("x-forwarded-proto", "https"),
        ]);
        assert_eq!(base_url(&proxied).unwrap(), "https://pdp.example.com");
        assert!(base_url(&headers(&[("host", "evil.com/path?x")])).is_err());
        assert!(base_url(&HeaderMap::new()).is_err());
    }
}
