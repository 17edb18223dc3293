//! Table `api_key`: machine principals a user creates for one account, the secret kept only
//! as its hash. A check by a key reads its row and its creator's facts (`api_key_facts`), so
//! a key never outlives what its creator may do; a write to the creator names the creator's
//! keys too (`revisions`), so no cached decision of a key outlives it either.

use serde_json::json;

use super::audit::{record, Change};
use super::guard::Authorized;
use super::revisions::{Revisioned, Written};
use super::time::require_future;
use super::{json_list, Store, WriteTx};
use crate::domain::{AccountId, Actor, ApiKeyId, Name, Networks, Timestamp};
use crate::error::{Error, Result};

/// An API key, as shown (never its secret).
// Serialized only into the audit trail's `before`/`after`; the API has its own types.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiKeyRecord {
    /// The key's id.
    pub id: String,
    /// The account it acts on.
    pub account: String,
    /// A name for people.
    pub name: String,
    /// The grants given to it.
    pub grants: Vec<String>,
    /// The user who created it.
    pub created_by: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it stops working by itself; absent: until revoked.
    pub expires_at: Option<Timestamp>,
    /// The networks it may be used from; empty: anywhere.
    pub allowed_ips: Vec<String>,
    /// When it was last presented or checked (to the minute).
    pub last_used_at: Option<Timestamp>,
}

/// A key as its creator asks for it.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    /// A name for people.
    pub name: Name,
    /// Grants, each declared by the schema.
    pub grants: Vec<String>,
    /// When it stops working; must lie ahead.
    pub expires_at: Option<Timestamp>,
    /// Where it may be used from.
    pub allowed_ips: Networks,
}

const COLUMNS: &str = "api_key_id, account_id, name, grants, created_by, created_at, expires_at, allowed_ips, last_used_at";

#[derive(sqlx::FromRow)]
struct ApiKeyRow {
    api_key_id: String,
    account_id: String,
    name: String,
    grants: String,
    created_by: String,
    created_at: i64,
    expires_at: Option<i64>,
    allowed_ips: String,
    last_used_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct LiveKeyRow {
    #[sqlx(flatten)]
    key: ApiKeyRow,
    secret_hash: String,
}

impl From<ApiKeyRow> for ApiKeyRecord {
    fn from(row: ApiKeyRow) -> Self {
        ApiKeyRecord {
            id: row.api_key_id,
            account: row.account_id,
            name: row.name,
            grants: json_list(&row.grants),
            created_by: row.created_by,
            created_at: Timestamp::from(row.created_at),
            expires_at: row.expires_at.map(Timestamp::from),
            allowed_ips: json_list(&row.allowed_ips),
            last_used_at: row.last_used_at.map(Timestamp::from),
        }
    }
}

impl Store {
    /// Creates a key whose secret hashes to `secret_hash`; `404` for an unknown account, `400`
    /// for an expiry that does not lie ahead.
    pub async fn create_api_key(
        &self,
        auth: &Authorized,
        account: &AccountId,
        id: &ApiKeyId,
        new: &NewApiKey,
        secret_hash: &str,
    ) -> Result<Written<ApiKeyRecord>> {
        require_future("expires_at", new.expires_at, self.now())?;
        let actor = auth.actor();
        // The policies let people only; a key without a person behind it would answer to no one.
        let Actor::User(creator, _) = actor else {
            return Err(Error::forbidden("createApiKey", Vec::new()));
        };
        let mut tx = self.begin_guarded(auth, Some(account)).await?;
        let now = tx.now;
        let mut grants = new.grants.clone();
        grants.sort();
        grants.dedup();
        let row = sqlx::query_as::<_, ApiKeyRow>(&format!(
            "insert into api_key (api_key_id, account_id, name, grants, allowed_ips, created_by, created_at, expires_at, secret_hash) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning {COLUMNS}"
        ))
        .bind(id.as_str())
        .bind(account.as_str())
        .bind(new.name.as_str())
        .bind(json!(grants).to_string())
        .bind(json!(new.allowed_ips.to_strings()).to_string())
        .bind(creator.as_str())
        .bind(now)
        .bind(new.expires_at.map(Timestamp::millis))
        .bind(secret_hash)
        .fetch_one(&mut *tx)
        .await?;
        let key = ApiKeyRecord::from(row);
        audit(&mut tx, now, actor, "api_key.create", None, Some(&key)).await?;
        tx.touch(Revisioned::ApiKey(id.to_string()));
        tx.written(key).await
    }

    /// The account's keys that are not revoked, newest first; `404` for an unknown account.
    pub async fn api_keys(&self, account: &AccountId) -> Result<Vec<ApiKeyRecord>> {
        self.bounded(async {
            self.account(account)
                .await?
                .ok_or_else(|| Error::NotFound(format!("account {account}")))?;
            let rows = sqlx::query_as::<_, ApiKeyRow>(&format!(
                "select {COLUMNS} from api_key where account_id = $1 and revoked_at is null \
                 order by created_at desc, api_key_id desc"
            ))
            .bind(account.as_str())
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.into_iter().map(ApiKeyRecord::from).collect())
        })
        .await
    }

    /// One key of the account that is not revoked; `404` otherwise.
    pub async fn api_key(&self, account: &AccountId, id: &ApiKeyId) -> Result<ApiKeyRecord> {
        self.bounded(async {
            sqlx::query_as::<_, ApiKeyRow>(&format!(
                "select {COLUMNS} from api_key where account_id = $1 and api_key_id = $2 and revoked_at is null"
            ))
            .bind(account.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .map(ApiKeyRecord::from)
            .ok_or_else(|| Error::NotFound(format!("api key {id} of account {account}")))
        })
        .await
    }

    /// Revokes a key: denied from the commit on. `404` when not a key of the account (or
    /// already revoked).
    pub async fn revoke_api_key(
        &self,
        auth: &Authorized,
        account: &AccountId,
        id: &ApiKeyId,
    ) -> Result<Written<ApiKeyRecord>> {
        let mut tx = self.begin_guarded(auth, Some(account)).await?;
        let now = tx.now;
        let row = sqlx::query_as::<_, ApiKeyRow>(&format!(
            "update api_key set revoked_at = $3 where account_id = $1 and api_key_id = $2 and revoked_at is null returning {COLUMNS}"
        ))
        .bind(account.as_str())
        .bind(id.as_str())
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| Error::NotFound(format!("api key {id} of account {account}")))?;
        let key = ApiKeyRecord::from(row);
        audit(
            &mut tx,
            now,
            auth.actor(),
            "api_key.revoke",
            Some(&key),
            None,
        )
        .await?;
        tx.touch(Revisioned::ApiKey(id.to_string()));
        tx.written(key).await
    }

    /// A key that is neither revoked nor expired, with the hash of its secret, for verifying a
    /// presented secret.
    pub async fn live_api_key(&self, id: &ApiKeyId) -> Result<Option<(ApiKeyRecord, String)>> {
        let now = self.now();
        self.bounded(async {
            // One query whether or not the key exists, so the answer's timing tells nothing.
            let row = sqlx::query_as::<_, LiveKeyRow>(&format!(
                "select {COLUMNS}, secret_hash from api_key where api_key_id = $1 \
                 and revoked_at is null and (expires_at is null or expires_at > $2)"
            ))
            .bind(id.as_str())
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.map(|row| (ApiKeyRecord::from(row.key), row.secret_hash)))
        })
        .await
    }

    /// Records that a key was used at `at`. Not a fact any decision rests on: no revision.
    pub async fn mark_api_key_used(&self, id: &ApiKeyId, at: i64) -> Result<()> {
        let write = async {
            let mut tx = self.begin_write().await?;
            sqlx::query("update api_key set last_used_at = $2 where api_key_id = $1")
                .bind(id.as_str())
                .bind(at)
                .execute(&mut *tx)
                .await?;
            tx.written(()).await
        };
        self.bounded_write(write).await.map(drop)
    }
}

/// The key's audit row, in the account's trail.
async fn audit(
    tx: &mut WriteTx,
    at: i64,
    actor: &Actor,
    action: &str,
    before: Option<&ApiKeyRecord>,
    after: Option<&ApiKeyRecord>,
) -> Result<()> {
    let key = after
        .or(before)
        .map(|k| (k.account.as_str(), k.id.as_str()));
    let Some((account, id)) = key else {
        return Ok(());
    };
    let change = Change {
        at,
        account: Some(account),
        actor,
        action,
        target: format!("api_key:{id}"),
        before: before.map(|k| json!(k)),
        after: after.map(|k| json!(k)),
    };
    record(tx, change).await
}
