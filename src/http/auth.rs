//! Bearer tokens and scopes. Every route but the public ones needs a token (the edge layer
//! asks [`scope`] and records the answer); a `check` token reaches the check routes only;
//! an `admin` token reaches everything and, without an `X-Portier-Actor` header, acts as
//! hosting staff. The tokens themselves, and how they are checked, live in `tokens`.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::Response;

use super::Tokens;
use crate::domain::{Actor, AgentId, Session, UserId};
use crate::error::Error;

/// The header naming the user a management call acts for.
pub const ACTOR_HEADER: &str = "x-portier-actor";
/// The header naming the support agent a management call acts for (never with an actor).
pub const AGENT_HEADER: &str = "x-portier-agent";
/// The header saying the acting user's session passed a second factor (`true`/`false`).
pub const MFA_HEADER: &str = "x-portier-mfa";
/// The header giving the address the acting user's session comes from.
pub const CLIENT_IP_HEADER: &str = "x-portier-client-ip";

/// What a token may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The check routes.
    Check,
    /// Every route.
    Admin,
}

/// The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive
/// (RFC 9110, section 11.1).
pub(super) fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim_matches(' '))
}

/// The scope of the request's bearer token, or `401`.
pub(super) fn scope(headers: &HeaderMap, tokens: &Tokens) -> Result<Scope, Error> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
        .and_then(|token| tokens.scope_of(token))
        .ok_or(Error::Unauthorized)
}

/// Middleware for management routes: the admin scope, or `403`.
pub async fn require_admin(request: Request, next: Next) -> Result<Response, Error> {
    match request.extensions().get::<Scope>() {
        Some(Scope::Admin) => Ok(next.run(request).await),
        _ => Err(Error::Forbidden {
            message: "this route needs an admin token".into(),
            reasons: Vec::new(),
        }),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Actor {
    type Rejection = Error;

    /// The acting user from `X-Portier-Actor`, or the acting agent from `X-Portier-Agent`,
    /// in the session the portal vouches for; staff when both are absent, a `400` when both
    /// are present.
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let session = Session::from_request_parts(parts, state).await?;
        let agent = parts.headers.get(AGENT_HEADER);
        if agent.is_some() && parts.headers.contains_key(ACTOR_HEADER) {
            return Err(Error::bad_field(
                "X-Portier-Agent",
                "an agent and an actor cannot act together",
            ));
        }
        if let Some(value) = agent {
            let text = value
                .to_str()
                .map_err(|_| Error::bad_field("X-Portier-Agent", "must be text"))?;
            let id: AgentId = text
                .parse()
                .map_err(|e| Error::bad_field("X-Portier-Agent", e))?;
            return Ok(Actor::Agent(id, session));
        }
        match parts.headers.get(ACTOR_HEADER) {
            None => Ok(Actor::Staff),
            Some(value) => {
                let text = value
                    .to_str()
                    .map_err(|_| Error::bad_field("X-Portier-Actor", "must be text"))?;
                let id: UserId = text
                    .parse()
                    .map_err(|e| Error::bad_field("X-Portier-Actor", e))?;
                Ok(Actor::User(id, session))
            }
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = Error;

    /// The acting person's session: `X-Portier-MFA: true` when it passed a second factor,
    /// `X-Portier-Client-IP` the address it comes from. Read only on admin routes, whose token
    /// vouches for them.
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Error> {
        let text = |name: &str, shown: &str| -> Result<Option<String>, Error> {
            parts
                .headers
                .get(name)
                .map(|v| {
                    v.to_str()
                        .map(|t| t.trim().to_owned())
                        .map_err(|_| Error::bad_field(shown, "must be text"))
                })
                .transpose()
        };
        let mfa = match text(MFA_HEADER, "X-Portier-MFA")?.as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(Error::bad_field("X-Portier-MFA", "must be true or false")),
        };
        let ip = text(CLIENT_IP_HEADER, "X-Portier-Client-IP")?
            .map(|raw| {
                raw.parse::<std::net::IpAddr>().map_err(|_| {
                    Error::bad_field(
                        "X-Portier-Client-IP",
                        format!("{raw:?} is not an IPv4 or IPv6 address"),
                    )
                })
            })
            .transpose()?;
        Ok(Session { mfa, ip })
    }
}
