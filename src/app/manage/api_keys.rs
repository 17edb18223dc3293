//! An account's API keys: created, listed and revoked by a person acting as themselves
//! (`createApiKey`, `viewApiKeys`, `revokeApiKey`; the shipped policies let the owner, and
//! staff list and revoke),
//! and verified by a gateway that turns a presented secret into the key it names.
//!
//! A key is created only with grants its creator holds (the policies decide, over the grants
//! asked for as the check's context); what it may do afterwards is decided at every check
//! over its own facts and its creator's (see `policies/api-keys.cedar`).

use crate::app::check::Target;
use crate::app::App;
use crate::domain::{AccountId, Actor, ApiKeyId, ApiKeySecret};
use crate::error::{Error, Result};
use crate::store::{ApiKeyRecord, NewApiKey};

/// A new key and its secret, shown once.
pub struct Issued {
    /// The key.
    pub api_key: ApiKeyRecord,
    /// The secret a gateway presents; only its hash is kept.
    pub secret: ApiKeySecret,
}

/// Creates a key (`createApiKey`, with the grants asked for as `context.grants`): `400` for a
/// grant the schema does not declare, `403` naming the deciding policy for one the creator
/// does not hold or a creator who is not a user.
pub async fn create(
    app: &App,
    actor: &Actor,
    account: &AccountId,
    new: NewApiKey,
) -> Result<Issued> {
    let bundle = app.bundle();
    bundle.check_grants(&new.grants)?;
    let grants: Vec<serde_json::Value> = new
        .grants
        .iter()
        .map(|g| serde_json::json!({"__entity": {"type": bundle.types().grant.to_string(), "id": g}}))
        .collect();
    let checker = app.checker();
    let auth = checker
        .authorize_with(
            actor,
            "createApiKey",
            Target::Account(account),
            serde_json::json!({ "grants": grants }),
        )
        .await?;
    let id: ApiKeyId = uuid::Uuid::now_v7()
        .to_string()
        .parse()
        .map_err(|e: String| Error::Internal(anyhow::anyhow!("a new key id: {e}")))?;
    let secret = ApiKeySecret::generate(&id);
    let hash = secret.hash();
    let write = app.store().create_api_key(&auth, account, &id, &new, &hash);
    let api_key = checker.write(write).await?;
    Ok(Issued { api_key, secret })
}

/// The account's keys that are not revoked (`viewApiKeys`).
pub async fn list(app: &App, actor: &Actor, account: &AccountId) -> Result<Vec<ApiKeyRecord>> {
    app.checker()
        .authorize(actor, "viewApiKeys", Target::Account(account))
        .await?;
    app.store().api_keys(account).await
}

/// One key of the account (`viewApiKeys`).
pub async fn show(
    app: &App,
    actor: &Actor,
    account: &AccountId,
    id: &ApiKeyId,
) -> Result<ApiKeyRecord> {
    app.checker()
        .authorize(actor, "viewApiKeys", Target::Account(account))
        .await?;
    app.store().api_key(account, id).await
}

/// Revokes a key (`revokeApiKey`): denied from now on, on every replica.
pub async fn revoke(app: &App, actor: &Actor, account: &AccountId, id: &ApiKeyId) -> Result<()> {
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "revokeApiKey", Target::Account(account))
        .await?;
    checker
        .write(app.store().revoke_api_key(&auth, account, id))
        .await
        .map(drop)
}

/// The live key a presented secret belongs to; one and the same `401` for a secret that is
/// malformed, unknown, revoked or expired. The hash is compared in constant time, against a
/// stand-in when no key matches the id, so the answer's timing tells nothing either.
pub async fn verify(app: &App, presented: &str) -> Result<ApiKeyRecord> {
    let refused = || Error::BadCredential("not a live API key".into());
    let Some(secret) = ApiKeySecret::parse(presented) else {
        return Err(refused());
    };
    let found = app.store().live_api_key(secret.id()).await?;
    let stored = found
        .as_ref()
        .map_or(STAND_IN_HASH, |(_, hash)| hash.as_str());
    let matches = secret.matches(stored);
    match found {
        Some((key, _)) if matches => {
            app.checker().key_used(secret.id());
            Ok(key)
        }
        _ => Err(refused()),
    }
}

/// A hash no secret has (not hex), compared when no key has the presented id.
const STAND_IN_HASH: &str = "----------------------------------------------------------------";
