//! Memberships that end by themselves. From its `expires_at` on, a check no longer honours a
//! membership (the facts say `expired`, the policy `expired-access-denied` denies, and no
//! cached decision outlives the instant); the sweep here then removes the row and records
//! `member.expire` in the account's trail. Exactly once, whichever replica gets there first:
//! the delete is conditional, and only a delete that removed the row writes its audit row, in
//! the same transaction.

use serde_json::json;

use super::audit::{record, Change};
use super::memberships::{MemberRow, SELECT_MEMBER};
use super::{Lockable, MemberRecord, Revisioned, Store, Touched, Written};
use crate::domain::Actor;
use crate::error::Result;

impl Store {
    /// Ends up to `limit` memberships whose time has come. Returns what each one this call
    /// ended touched (its user and account), for the caller to invalidate.
    pub async fn expire_memberships(&self, limit: i64) -> Result<Vec<Touched>> {
        let now = self.now();
        let due = self
            .bounded(async {
                Ok(sqlx::query_as::<_, (String, String)>(
                    "select account_id, user_id from membership \
                     where expires_at is not null and expires_at <= $1 order by expires_at limit $2",
                )
                .bind(now)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            })
            .await?;
        let mut ended = Vec::with_capacity(due.len());
        for (account, user) in due {
            match self
                .bounded_write(self.expire_one(&account, &user, now))
                .await
            {
                Ok(written) => {
                    let (was_due, touched) = written.into_parts();
                    if was_due {
                        tracing::info!(%account, %user, "membership expired");
                        ended.push(touched);
                    }
                }
                // One row that cannot be ended must not hold up the ones behind it.
                Err(err) => {
                    tracing::warn!(%account, %user, error = %err, "could not end an expired membership")
                }
            }
        }
        Ok(ended)
    }

    /// Removes one membership if it is (still) due; `false` when another replica was first.
    async fn expire_one(&self, account: &str, user: &str, now: i64) -> Result<Written<bool>> {
        let mut tx = self.begin_write().await?;
        tx.lock(Lockable::Account, account, true).await?;
        let before = sqlx::query_as::<_, MemberRow>(&format!(
            "{SELECT_MEMBER} where m.account_id = $1 and m.user_id = $2 \
             and m.expires_at is not null and m.expires_at <= $3"
        ))
        .bind(account)
        .bind(user)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(before) = before.map(MemberRecord::from) else {
            return tx.written(false).await;
        };
        for table in ["service_assignment", "membership"] {
            sqlx::query(&format!(
                "delete from {table} where account_id = $1 and user_id = $2"
            ))
            .bind(account)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        }
        let change = Change {
            at: now,
            account: Some(account),
            actor: &Actor::Portier,
            action: "member.expire",
            target: format!("user:{user}"),
            before: Some(json!(before)),
            after: None,
        };
        record(&mut tx, change).await?;
        tx.touch(Revisioned::User(user.to_owned()));
        tx.touch(Revisioned::Account(account.to_owned()));
        tx.written(true).await
    }

    /// Records the expiry of up to `limit` keys whose time has come (`api_key.expire`, once,
    /// whichever replica is first). Checks deny them from the instant already; nothing else
    /// changes, so nothing is touched.
    pub async fn record_api_key_expiries(&self, limit: i64) -> Result<usize> {
        let now = self.now();
        let due = self
            .bounded(async {
                Ok(sqlx::query_as::<_, (String, String)>(
                    "select api_key_id, account_id from api_key where expires_at is not null \
                     and expires_at <= $1 and expiry_recorded = 0 and revoked_at is null \
                     order by expires_at limit $2",
                )
                .bind(now)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            })
            .await?;
        let mut recorded = 0;
        for (key, account) in due {
            match self
                .bounded_write(self.record_key_expiry(&key, &account, now))
                .await
            {
                Ok(written) => {
                    let (was_due, _) = written.into_parts();
                    if was_due {
                        tracing::info!(%account, api_key = %key, "api key expired");
                        recorded += 1;
                    }
                }
                Err(err) => {
                    tracing::warn!(%account, api_key = %key, error = %err, "could not record an api key's expiry")
                }
            }
        }
        Ok(recorded)
    }

    /// Marks one key's expiry as recorded, with its audit row; `false` when another replica was
    /// first.
    async fn record_key_expiry(&self, key: &str, account: &str, now: i64) -> Result<Written<bool>> {
        let mut tx = self.begin_write().await?;
        tx.lock(Lockable::Account, account, true).await?;
        let marked = sqlx::query(
            "update api_key set expiry_recorded = 1 where api_key_id = $1 and expiry_recorded = 0",
        )
        .bind(key)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if marked == 0 {
            return tx.written(false).await;
        }
        let change = Change {
            at: now,
            account: Some(account),
            actor: &Actor::Portier,
            action: "api_key.expire",
            target: format!("api_key:{key}"),
            before: None,
            after: None,
        };
        record(&mut tx, change).await?;
        tx.written(true).await
    }
}
