//! Table `support_access`: an owner's consent to the hosting company's agents acting on the
//! account — its grants, one named agent or any, why, and until when. It is a fact of the
//! account: granting and revoking move the account's revision, and a check reads only the
//! accesses current at its instant (`agent_facts`), so one that ends is honoured by no check
//! and no cached decision from that instant; the sweep records `support.expire` once.

use serde_json::json;

use super::audit::{record, Change};
use super::guard::Authorized;
use super::revisions::{Revisioned, Written};
use super::{json_list, Lockable, Store, WriteTx};
use crate::domain::{AccountId, Actor, AgentId, SupportAccessId, Timestamp};
use crate::error::{Error, Result};

/// The longest a support access may last, in milliseconds (30 days).
pub const MAX_SUPPORT_ACCESS_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// The longest reason, in characters.
pub const MAX_SUPPORT_REASON_CHARS: usize = 200;

/// A support access, as shown and audited.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SupportAccessRecord {
    /// Its id.
    pub id: String,
    /// The account it opens.
    pub account: String,
    /// The one agent it is for; absent: any agent.
    pub agent: Option<String>,
    /// What agents may do under it.
    pub grants: Vec<String>,
    /// Why the owner gave it.
    pub reason: String,
    /// Who gave it.
    pub granted_by: String,
    /// When.
    pub created_at: Timestamp,
    /// When it ends by itself.
    pub expires_at: Timestamp,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
}

/// A support access as the owner asks for it.
#[derive(Debug, Clone)]
pub struct NewSupportAccess {
    /// Grants, each declared by the schema, at least one.
    pub grants: Vec<String>,
    /// Why; 1 to 200 characters.
    pub reason: String,
    /// When it ends: ahead, at most 30 days away.
    pub expires_at: Timestamp,
    /// The one agent it is for, or any.
    pub agent: Option<AgentId>,
}

const COLUMNS: &str = "support_access_id, account_id, agent_id, grants, reason, granted_by, \
    created_at, expires_at, revoked_at, revoked_by";

#[derive(sqlx::FromRow)]
struct SupportRow {
    support_access_id: String,
    account_id: String,
    agent_id: Option<String>,
    grants: String,
    reason: String,
    granted_by: String,
    created_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
    revoked_by: Option<String>,
}

impl From<SupportRow> for SupportAccessRecord {
    fn from(row: SupportRow) -> Self {
        SupportAccessRecord {
            id: row.support_access_id,
            account: row.account_id,
            agent: row.agent_id,
            grants: json_list(&row.grants),
            reason: row.reason,
            granted_by: row.granted_by,
            created_at: row.created_at.into(),
            expires_at: row.expires_at.into(),
            revoked_at: row.revoked_at.map(Timestamp::from),
            revoked_by: row.revoked_by,
        }
    }
}

/// `400` naming the field for a support access the contract does not allow.
fn validate(new: &NewSupportAccess, now: i64) -> Result<()> {
    if new.grants.is_empty() {
        return Err(Error::bad_field("grants", "at least one grant"));
    }
    let reason = new.reason.trim();
    if reason.is_empty() {
        return Err(Error::bad_field(
            "reason",
            "required: why the access is given",
        ));
    }
    if new.reason.chars().count() > MAX_SUPPORT_REASON_CHARS {
        return Err(Error::bad_field(
            "reason",
            format!("at most {MAX_SUPPORT_REASON_CHARS} characters"),
        ));
    }
    let at = new.expires_at.millis();
    if at <= now {
        return Err(Error::bad_field(
            "expires_at",
            format!("{} is not in the future", new.expires_at),
        ));
    }
    if at - now > MAX_SUPPORT_ACCESS_MS {
        return Err(Error::bad_field("expires_at", "at most 30 days ahead"));
    }
    Ok(())
}

impl Store {
    /// Grants a support access on `account`: `400` naming the field for grants, reason or end
    /// the contract does not allow, or an unknown named agent; `404` for an unknown account.
    pub async fn grant_support_access(
        &self,
        auth: &Authorized,
        account: &AccountId,
        id: &SupportAccessId,
        new: &NewSupportAccess,
    ) -> Result<Written<SupportAccessRecord>> {
        validate(new, self.now())?;
        let mut tx = self.begin_guarded(auth, Some(account)).await?;
        let now = tx.now;
        validate(new, now)?;
        if let Some(agent) = &new.agent {
            if super::agents::agent_on(&mut tx, agent.as_str())
                .await?
                .is_none()
            {
                return Err(Error::bad_field("agent", format!("no agent {agent}")));
            }
        }
        let mut grants = new.grants.clone();
        grants.sort();
        grants.dedup();
        let row = sqlx::query_as::<_, SupportRow>(&format!(
            "insert into support_access (support_access_id, account_id, agent_id, grants, reason, \
             granted_by, created_at, expires_at) values ($1, $2, $3, $4, $5, $6, $7, $8) \
             returning {COLUMNS}"
        ))
        .bind(id.as_str())
        .bind(account.as_str())
        .bind(new.agent.as_ref().map(AgentId::as_str))
        .bind(json!(grants).to_string())
        .bind(new.reason.trim())
        .bind(auth.actor().to_string())
        .bind(now)
        .bind(new.expires_at.millis())
        .fetch_one(&mut *tx)
        .await?;
        let access = SupportAccessRecord::from(row);
        audit(&mut tx, auth.actor(), "support.grant", None, Some(&access)).await?;
        tx.touch(Revisioned::Account(account.to_string()));
        tx.written(access).await
    }

    /// The account's support accesses, current and past, newest first; `404` for an unknown
    /// account.
    pub async fn support_accesses(&self, account: &AccountId) -> Result<Vec<SupportAccessRecord>> {
        self.bounded(async {
            self.account(account)
                .await?
                .ok_or_else(|| Error::NotFound(format!("account {account}")))?;
            let rows = sqlx::query_as::<_, SupportRow>(&format!(
                "select {COLUMNS} from support_access where account_id = $1 \
                 order by created_at desc, support_access_id desc"
            ))
            .bind(account.as_str())
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.into_iter().map(SupportAccessRecord::from).collect())
        })
        .await
    }

    /// Revokes a current support access: denied to agents from the commit on, on every
    /// replica. `404` when not one of the account's; `409` when it has already ended.
    pub async fn revoke_support_access(
        &self,
        auth: &Authorized,
        account: &AccountId,
        id: &SupportAccessId,
    ) -> Result<Written<SupportAccessRecord>> {
        let mut tx = self.begin_guarded(auth, Some(account)).await?;
        let now = tx.now;
        let before = sqlx::query_as::<_, SupportRow>(&format!(
            "select {COLUMNS} from support_access where account_id = $1 and support_access_id = $2"
        ))
        .bind(account.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .map(SupportAccessRecord::from)
        .ok_or_else(|| Error::NotFound(format!("support access {id} of account {account}")))?;
        if before.revoked_at.is_some() || before.expires_at.millis() <= now {
            return Err(Error::Conflict(format!(
                "support access {id} has already ended"
            )));
        }
        let after = revoke_on(&mut tx, auth.actor(), id.as_str()).await?;
        audit(
            &mut tx,
            auth.actor(),
            "support.revoke",
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.touch(Revisioned::Account(account.to_string()));
        tx.written(after).await
    }

    /// Records the end of up to `limit` support accesses whose time has come
    /// (`support.expire`, once, whichever replica is first). Checks deny from the instant
    /// already; nothing else changes, so nothing is touched.
    pub async fn record_support_expiries(&self, limit: i64) -> Result<usize> {
        let now = self.now();
        let due: Vec<(String, String)> = self
            .bounded(async {
                Ok(sqlx::query_as(
                    "select support_access_id, account_id from support_access \
                     where expires_at <= $1 and expiry_recorded = 0 and revoked_at is null \
                     order by expires_at limit $2",
                )
                .bind(now)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            })
            .await?;
        let mut recorded = 0;
        for (id, account) in due {
            match self
                .bounded_write(self.record_support_expiry(&id, &account))
                .await
            {
                Ok(written) => recorded += usize::from(written.into_parts().0),
                Err(err) => {
                    tracing::warn!(%account, support_access = %id, error = %err, "could not record a support access's end")
                }
            }
        }
        Ok(recorded)
    }

    async fn record_support_expiry(&self, id: &str, account: &str) -> Result<Written<bool>> {
        let mut tx = self.begin_write().await?;
        tx.lock(Lockable::Account, account, true).await?;
        let row = sqlx::query_as::<_, SupportRow>(&format!(
            "update support_access set expiry_recorded = 1 \
             where support_access_id = $1 and expiry_recorded = 0 returning {COLUMNS}"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(access) = row.map(SupportAccessRecord::from) else {
            return tx.written(false).await;
        };
        audit(
            &mut tx,
            &Actor::Portier,
            "support.expire",
            Some(&access),
            None,
        )
        .await?;
        tx.written(true).await
    }
}

/// Revokes one support access in `tx`, returning it as revoked.
async fn revoke_on(tx: &mut WriteTx, actor: &Actor, id: &str) -> Result<SupportAccessRecord> {
    let row = sqlx::query_as::<_, SupportRow>(&format!(
        "update support_access set revoked_at = $2, revoked_by = $3 \
         where support_access_id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(tx.now)
    .bind(actor.to_string())
    .fetch_one(&mut **tx)
    .await?;
    Ok(SupportAccessRecord::from(row))
}

/// Revokes every current support access naming `agent` (the agent is being deleted), each
/// audited in its account's trail and touching its account.
pub(super) async fn revoke_named(tx: &mut WriteTx, actor: &Actor, agent: &str) -> Result<()> {
    let current = sqlx::query_as::<_, SupportRow>(&format!(
        "select {COLUMNS} from support_access \
         where agent_id = $1 and revoked_at is null and expires_at > $2"
    ))
    .bind(agent)
    .bind(tx.now)
    .fetch_all(&mut **tx)
    .await?;
    for before in current.into_iter().map(SupportAccessRecord::from) {
        let after = revoke_on(tx, actor, &before.id).await?;
        audit(tx, actor, "support.revoke", Some(&before), Some(&after)).await?;
        tx.touch(Revisioned::Account(before.account.clone()));
    }
    Ok(())
}

/// A support access's audit row, in its account's trail.
async fn audit(
    tx: &mut WriteTx,
    actor: &Actor,
    action: &str,
    before: Option<&SupportAccessRecord>,
    after: Option<&SupportAccessRecord>,
) -> Result<()> {
    let Some(access) = after.or(before) else {
        return Ok(());
    };
    let change = Change {
        at: tx.now,
        account: Some(access.account.as_str()),
        actor,
        action,
        target: format!("support_access:{}", access.id),
        before: before.map(|a| json!(a)),
        after: after.map(|a| json!(a)),
    };
    record(tx, change).await
}
