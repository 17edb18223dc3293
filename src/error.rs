//! The one error type. Every failure a caller can see is a variant here, and every variant
//! renders as `{"error": {"code", "message", "field"?, "reasons"?}}` with its status code.
//! Internal errors are logged once, here, and answered with a generic message.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Result with Portier's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in terms a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed; `field` names the offending part (`resource.type`, `grants[1]`).
    #[error("{message}")]
    BadRequest {
        field: Option<String>,
        message: String,
    },
    /// No or unknown bearer token.
    #[error("missing or invalid bearer token")]
    Unauthorized,
    /// A presented credential (an API key's secret) that is malformed, unknown, revoked or
    /// expired: one answer for all, so it tells nothing about which.
    #[error("{0}")]
    BadCredential(String),
    /// The caller is not allowed; `reasons` are the ids of the deciding Cedar policies.
    #[error("{message}")]
    Forbidden {
        message: String,
        reasons: Vec<String>,
    },
    /// The named thing does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The request clashes with what is stored (duplicate, the owner's membership, ...).
    #[error("{0}")]
    Conflict(String),
    /// A change that would lock out the call making it (security requirements it would not
    /// meet): a `409` naming the field, with the policies that would deny.
    #[error("{message}")]
    Lockout {
        field: String,
        message: String,
        reasons: Vec<String>,
    },
    /// The thing existed but is no longer usable (an expired or cancelled invitation).
    #[error("{0}")]
    Gone(String),
    /// A policy set that failed to load; one `file:line:col: message` per problem.
    #[error("the policy set is invalid; the previous set keeps serving")]
    InvalidPolicies(Vec<String>),
    /// A dependency (the database) cannot answer now; retry later. Never turned into an allow.
    #[error("{0}")]
    Unavailable(String),
    /// Refused before any handler: a method the route lacks (405), a body too slow (408) or
    /// too large (413), a request line (414) or header section (431) too large. `field`
    /// names the part (`method`, `body`, `uri`, `headers`).
    #[error("{message}")]
    Refused {
        status: StatusCode,
        field: String,
        message: String,
    },
    /// Anything else: logged, answered with a generic 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Error {
    /// A 400 naming `field`.
    pub fn bad_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::BadRequest {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// A 403 explained by the policies that decided.
    pub fn forbidden(action: &str, reasons: Vec<String>) -> Self {
        Error::Forbidden {
            message: format!("{action} is not allowed for this actor"),
            reasons,
        }
    }

    /// Prefixes the field of a 400 with `prefix` (`checks[3]` + `action` → `checks[3].action`).
    pub fn in_field(self, prefix: &str) -> Self {
        match self {
            Error::BadRequest { field, message } => Error::BadRequest {
                field: Some(field.map_or_else(|| prefix.to_owned(), |f| format!("{prefix}.{f}"))),
                message,
            },
            other => other,
        }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Error::BadRequest { .. } => (StatusCode::BAD_REQUEST, "invalid_request"),
            Error::Unauthorized | Error::BadCredential(_) => {
                (StatusCode::UNAUTHORIZED, "unauthorized")
            }
            Error::Forbidden { .. } => (StatusCode::FORBIDDEN, "forbidden"),
            Error::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Error::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Error::Lockout { .. } => (StatusCode::CONFLICT, "lockout"),
            Error::Gone(_) => (StatusCode::GONE, "gone"),
            Error::InvalidPolicies(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_policies"),
            Error::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            Error::Refused { status, .. } => (*status, refusal_code(*status)),
        }
    }
}

/// The `code` of a [`Error::Refused`] answer.
fn refusal_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::URI_TOO_LONG => "uri_too_long",
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "headers_too_large",
        other if other.is_server_error() => "internal",
        _ => "invalid_request",
    }
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        use sqlx::Error as E;
        match &err {
            E::RowNotFound => Error::NotFound("row".into()),
            E::Database(db) if db.is_unique_violation() => {
                Error::Conflict("a record with the same key already exists".into())
            }
            E::Database(db) if db.is_foreign_key_violation() => {
                Error::Conflict("the record is still referenced, or refers to a missing one".into())
            }
            E::Database(db) if db.code().as_deref() == Some("55P03") => Error::Unavailable(
                "the database is busy with other writes to the same records".into(),
            ),
            E::Database(db) if matches!(db.code().as_deref(), Some("40001" | "40P01")) => {
                Error::Conflict(
                    "a concurrent change to the same records won; send the request again".into(),
                )
            }
            E::Database(db) if server_away(db.as_ref()) => {
                tracing::warn!(error = %err, "database unavailable");
                Error::Unavailable("the database is unavailable".into())
            }
            E::Database(db) => match storage_fault(db.as_ref()) {
                Some(problem) => {
                    tracing::error!(error = %err, "database file fault");
                    Error::Unavailable(format!("the database cannot be written: {problem}"))
                }
                None => Error::Internal(err.into()),
            },
            E::PoolTimedOut
            | E::PoolClosed
            | E::Io(_)
            | E::Tls(_)
            | E::WorkerCrashed
            | E::Protocol(_) => {
                tracing::warn!(error = %err, "database unavailable");
                Error::Unavailable("the database is unavailable".into())
            }
            _ => Error::Internal(err.into()),
        }
    }
}

/// PostgreSQL's codes for a server that cannot serve this connection now: its backend was
/// terminated or the server is shutting down (class 57), the connection broke (08), or the
/// server lacks resources (53). The request may succeed when retried: a `503`, not a `500`.
fn server_away(db: &dyn sqlx::error::DatabaseError) -> bool {
    let Some(postgres) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() else {
        return false;
    };
    let code = postgres.code();
    ["57", "08", "53"]
        .iter()
        .any(|class| code.starts_with(class))
}

/// SQLite's answers that mean the file itself is in trouble (read-only, deleted, full,
/// damaged, unreadable): the request cannot succeed until an operator acts, so it is a `503`
/// that says so, not a generic `500`.
fn storage_fault(db: &dyn sqlx::error::DatabaseError) -> Option<&'static str> {
    let sqlite = db.try_downcast_ref::<sqlx::sqlite::SqliteError>()?;
    sqlite_fault(sqlx::error::DatabaseError::code(sqlite)?.parse().ok()?)
}

/// What an SQLite result code says about the file, when it says the file is in trouble.
pub(crate) fn sqlite_fault(code: i64) -> Option<&'static str> {
    Some(match code & 0xff {
        3 | 8 => "the file or its folder is read-only",
        5 | 6 => "the file is locked by another writer",
        10 => "a disk I/O error",
        11 | 26 => "the file is damaged or not a database",
        13 => "the disk is full",
        14 => "the file cannot be opened",
        _ => return None,
    })
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let mut body = json!({ "code": code, "message": self.to_string() });
        match &self {
            Error::BadRequest {
                field: Some(field), ..
            } => body["field"] = json!(field),
            Error::Forbidden { reasons, .. } => body["reasons"] = json!(reasons),
            Error::Lockout { field, reasons, .. } => {
                body["field"] = json!(field);
                body["reasons"] = json!(reasons);
            }
            Error::Refused { field, .. } => body["field"] = json!(field),
            Error::InvalidPolicies(problems) => body["problems"] = json!(problems),
            Error::Internal(err) => {
                tracing::error!(error = ?err, "internal error");
                body["message"] = json!("internal error");
            }
            _ => {}
        }
        let mut response = (status, Json(json!({ "error": body }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            // RFC 6750: a 401 names the scheme the caller should use.
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}
