//! The audit trail: one row per change, written with the change's own transaction so the
//! record and the change commit or vanish together.

use serde_json::Value;
use sqlx::AnyConnection;

use super::Store;
use crate::domain::{Actor, Timestamp};
use crate::error::Result;

/// One recorded change.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// A UUIDv7: increasing with time; pages go by it.
    pub id: String,
    /// The account the change concerns, if any.
    pub account_id: Option<String>,
    /// `user:<id>` or `staff`.
    pub actor: String,
    /// What was done, e.g. `member.update`.
    pub action: String,
    /// What it was done to, e.g. `user:bob`.
    pub target: String,
    /// State before (absent for a creation): a record, or a list for assignments.
    pub before: Option<Value>,
    /// State after (absent for a deletion): a record, or a list for assignments.
    pub after: Option<Value>,
    /// When.
    pub created_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    audit_event_id: String,
    account_id: Option<String>,
    actor: String,
    action: String,
    target: String,
    before_json: Option<String>,
    after_json: Option<String>,
    created_at: i64,
}

impl From<AuditRow> for AuditEvent {
    fn from(row: AuditRow) -> Self {
        let parse = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
        AuditEvent {
            id: row.audit_event_id,
            account_id: row.account_id,
            actor: row.actor,
            action: row.action,
            target: row.target,
            before: parse(row.before_json),
            after: parse(row.after_json),
            created_at: row.created_at.into(),
        }
    }
}

/// A change to record.
pub(super) struct Change<'a> {
    pub at: i64,
    pub account: Option<&'a str>,
    pub actor: &'a Actor,
    pub action: &'a str,
    pub target: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Writes the audit row for `change` on the transaction's connection.
pub(super) async fn record(conn: &mut AnyConnection, change: Change<'_>) -> Result<()> {
    sqlx::query(
        "insert into audit_event (audit_event_id, account_id, actor, action, target, before_json, after_json, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(change.account)
    .bind(change.actor.to_string())
    .bind(change.action)
    .bind(change.target)
    .bind(change.before.map(|v| v.to_string()))
    .bind(change.after.map(|v| v.to_string()))
    .bind(change.at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whose audit trail to read.
#[derive(Debug, Clone, Copy)]
pub enum AuditScope<'a> {
    /// Every change within an account.
    Account(&'a str),
    /// The changes to a user's own record (they belong to no account).
    User(&'a str),
}

impl Store {
    /// An audit trail, newest first: `limit` events older than `before` (an event id).
    pub async fn audit_events(
        &self,
        scope: AuditScope<'_>,
        before: Option<&str>,
        action: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>> {
        self.bounded(async {
            let (filter, key) = match scope {
                AuditScope::Account(id) => ("account_id = $1", id.to_owned()),
                AuditScope::User(id) => ("account_id is null and target = $1", format!("user:{id}")),
            };
            let rows = sqlx::query_as::<_, AuditRow>(&format!(
                "select audit_event_id, account_id, actor, action, target, before_json, after_json, created_at \
                 from audit_event where {filter} and (cast($2 as text) is null or audit_event_id < cast($2 as text)) \
                 and (cast($3 as text) is null or action = cast($3 as text)) \
                 order by audit_event_id desc limit $4"
            ))
            .bind(key)
            .bind(before)
            .bind(action)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.into_iter().map(AuditEvent::from).collect())
        })
        .await
    }
}
