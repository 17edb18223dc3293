//! Bearer tokens and scopes. A `check` token reaches the check routes only; an `admin`
//! token reaches everything and, without an `X-Portier-Actor` header, acts as hosting staff.
//! Tokens are kept as SHA-256 digests and compared in constant time.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};

use std::sync::Arc;

use crate::config::Secret;
use crate::domain::{Actor, UserId};
use crate::error::Error;

/// The header naming the user a management call acts for.
pub const ACTOR_HEADER: &str = "x-portier-actor";

/// What a token may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The check routes.
    Check,
    /// Every route.
    Admin,
}

/// The configured tokens, as digests.
#[derive(Debug, Default)]
pub struct Tokens {
    entries: Vec<([u8; 32], Scope)>,
}

impl Tokens {
    /// Tokens from configuration; either may be absent.
    pub fn new(admin: Option<&Secret>, check: Option<&Secret>) -> Self {
        let entries = [(admin, Scope::Admin), (check, Scope::Check)]
            .into_iter()
            .filter_map(|(secret, scope)| secret.map(|s| (digest(s.expose()), scope)))
            .collect();
        Tokens { entries }
    }

    /// Whether no token is configured.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn scope_of(&self, token: &str) -> Option<Scope> {
        let presented = digest(token);
        let mut found = None;
        for (known, scope) in &self.entries {
            // Fold every byte so the time taken does not depend on where a mismatch is.
            let diff = known
                .iter()
                .zip(presented.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if diff == 0 {
                found = Some(*scope);
            }
        }
        found
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Middleware: a valid bearer token, or `401`. Records the token's scope for later layers.
pub async fn authenticate(
    State(tokens): State<Arc<Tokens>>,
    mut request: Request,
    next: Next,
) -> Result<Response, Error> {
    let token = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let scope = token
        .and_then(|t| tokens.scope_of(t))
        .ok_or(Error::Unauthorized)?;
    request.extensions_mut().insert(scope);
    Ok(next.run(request).await)
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

    /// The acting user from `X-Portier-Actor`, or staff when the header is absent.
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Error> {
        match parts.headers.get(ACTOR_HEADER) {
            None => Ok(Actor::Staff),
            Some(value) => {
                let text = value
                    .to_str()
                    .map_err(|_| Error::bad_field("X-Portier-Actor", "must be text"))?;
                let id: UserId = text
                    .parse()
                    .map_err(|e| Error::bad_field("X-Portier-Actor", e))?;
                Ok(Actor::User(id))
            }
        }
    }
}
