//! `/v1/accounts/{id}/api-keys`: machine principals a person creates for one account
//! (`createApiKey`, `viewApiKeys`, `revokeApiKey`; the shipped policies let the owner, and
//! staff list and revoke),
//! and `/v1/api-keys/verify`, where a gateway turns a presented secret into its key.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{JsonBody, PathIds};
use super::openapi::ApiErrors;
use super::AppState;
use crate::app::manage::api_keys;
use crate::domain::{AccountId, Actor, ApiKeyId, Name, Networks, Timestamp};
use crate::error::{Error, Result};
use crate::store::{ApiKeyRecord, NewApiKey};

/// An API key (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKey {
    /// Portier's id for it; checks name the key as `ApiKey::"<id>"`.
    id: String,
    /// The account it acts on, and only there.
    account: String,
    /// A name for people.
    name: String,
    /// The grants given to it (it uses one only while its creator may).
    grants: Vec<String>,
    /// The user who created it.
    created_by: String,
    /// When it was created.
    created_at: Timestamp,
    /// When it stops working by itself; absent: until revoked.
    expires_at: Option<Timestamp>,
    /// The networks it may be used from (CIDR); empty: anywhere.
    allowed_ips: Vec<String>,
    /// When it was last presented or allowed something (to the minute).
    last_used_at: Option<Timestamp>,
}

impl From<ApiKeyRecord> for ApiKey {
    fn from(r: ApiKeyRecord) -> Self {
        ApiKey {
            id: r.id,
            account: r.account,
            name: r.name,
            grants: r.grants,
            created_by: r.created_by,
            created_at: r.created_at,
            expires_at: r.expires_at,
            allowed_ips: r.allowed_ips,
            last_used_at: r.last_used_at,
        }
    }
}

/// Body of `POST /v1/accounts/{id}/api-keys`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKeyBody {
    /// A name for people (`ci-deploy`).
    name: Name,
    /// Grants, each declared by the schema and held by the creator on the account.
    #[serde(default)]
    #[schema(value_type = Vec<crate::domain::GrantName>)]
    grants: Vec<String>,
    /// When it stops working (RFC 3339, in the future); absent: until revoked.
    #[serde(default)]
    expires_at: Option<Timestamp>,
    /// CIDR ranges (`203.0.113.0/24`, `2001:db8::/32`) it may be used from; absent or empty:
    /// anywhere. A check by a key with ranges must say `context.ip`.
    #[serde(default)]
    allowed_ips: Vec<String>,
}

/// Answer of `POST /v1/accounts/{id}/api-keys`.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedApiKey {
    /// The key.
    api_key: ApiKey,
    /// The secret, shown this once: only its hash is kept.
    secret: String,
}

/// Answer of `GET /v1/accounts/{id}/api-keys`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeys {
    /// The keys that are not revoked, newest first.
    api_keys: Vec<ApiKey>,
}

/// Body of `POST /v1/api-keys/verify`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    /// The secret a client presented.
    #[schema(max_length = 512)]
    secret: String,
}

/// Answer of `POST /v1/api-keys/verify`.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifiedApiKey {
    /// The live key the secret belongs to.
    api_key: ApiKey,
}

/// `POST /v1/accounts/{id}/api-keys` (`createApiKey`, by a user as actor): `201` with the
/// secret, shown once. `403` naming the deciding policy for a grant the creator does not hold
/// or an actor who is not a user; `400` naming the field for a bad grant, range or expiry.
#[utoipa::path(post, path = "/v1/accounts/{id}/api-keys", tag = "api-keys",
    params(("id" = AccountId, Path, description = "Account id")), request_body = NewApiKeyBody,
    responses((status = 201, description = "The key and its secret", body = IssuedApiKey), ApiErrors))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AccountId>,
    JsonBody(body): JsonBody<NewApiKeyBody>,
) -> Result<(StatusCode, Json<IssuedApiKey>)> {
    let allowed_ips =
        Networks::parse(&body.allowed_ips).map_err(|e| Error::bad_field("allowed_ips", e))?;
    let new = NewApiKey {
        name: body.name,
        grants: body.grants,
        expires_at: body.expires_at,
        allowed_ips,
    };
    let issued = api_keys::create(&state.app, &actor, &id, new).await?;
    let answer = IssuedApiKey {
        api_key: issued.api_key.into(),
        secret: issued.secret.reveal().to_owned(),
    };
    Ok((StatusCode::CREATED, Json(answer)))
}

/// `GET /v1/accounts/{id}/api-keys` (`viewApiKeys`): the keys that are not revoked.
#[utoipa::path(get, path = "/v1/accounts/{id}/api-keys", tag = "api-keys",
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, description = "The keys", body = ApiKeys), ApiErrors))]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    PathIds(id): PathIds<AccountId>,
) -> Result<Json<ApiKeys>> {
    let keys = api_keys::list(&state.app, &actor, &id).await?;
    Ok(Json(ApiKeys {
        api_keys: keys.into_iter().map(ApiKey::from).collect(),
    }))
}

/// `GET /v1/accounts/{id}/api-keys/{kid}` (`viewApiKeys`): `404` for a revoked key.
#[utoipa::path(get, path = "/v1/accounts/{id}/api-keys/{kid}", tag = "api-keys",
    params(("id" = AccountId, Path, description = "Account id"), ("kid" = ApiKeyId, Path, description = "Key id")),
    responses((status = 200, description = "The key", body = ApiKey), ApiErrors))]
pub async fn show(
    State(state): State<AppState>,
    actor: Actor,
    PathIds((id, kid)): PathIds<(AccountId, ApiKeyId)>,
) -> Result<Json<ApiKey>> {
    let key = api_keys::show(&state.app, &actor, &id, &kid).await?;
    Ok(Json(key.into()))
}

/// `DELETE /v1/accounts/{id}/api-keys/{kid}` (`revokeApiKey`): `204`; the key is denied from
/// now on. `404` when not a key of the account or already revoked.
#[utoipa::path(delete, path = "/v1/accounts/{id}/api-keys/{kid}", tag = "api-keys",
    params(("id" = AccountId, Path, description = "Account id"), ("kid" = ApiKeyId, Path, description = "Key id")),
    responses((status = 204, description = "Revoked"), ApiErrors))]
pub async fn revoke(
    State(state): State<AppState>,
    actor: Actor,
    PathIds((id, kid)): PathIds<(AccountId, ApiKeyId)>,
) -> Result<StatusCode> {
    api_keys::revoke(&state.app, &actor, &id, &kid).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/api-keys/verify` (check token): the live key a presented secret belongs to;
/// one and the same `401` for a secret that is unknown, revoked or expired.
#[utoipa::path(post, path = "/v1/api-keys/verify", tag = "api-keys", request_body = VerifyBody,
    responses((status = 200, description = "The key", body = VerifiedApiKey), ApiErrors))]
pub async fn verify(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<VerifyBody>,
) -> Result<Json<VerifiedApiKey>> {
    let key = api_keys::verify(&state.app, &body.secret).await?;
    Ok(Json(VerifiedApiKey {
        api_key: key.into(),
    }))
}
