//! The audit trail: one row per change, written with the change's own transaction so the
//! record and the change commit or vanish together.

use serde::Serialize;
use serde_json::Value;
use sqlx::AnyConnection;

use super::Store;
use crate::domain::Actor;
use crate::error::Result;

/// One recorded change.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AuditEvent {
    /// A UUIDv7: increasing with time; pages go by it.
    #[sqlx(rename = "audit_event_id")]
    pub id: String,
    /// The account the change concerns, if any.
    pub account_id: Option<String>,
    /// `user:<id>` or `staff`.
    pub actor: String,
    /// What was done, e.g. `member.update`.
    pub action: String,
    /// What it was done to, e.g. `user:bob`.
    pub target: String,
    /// State before, as JSON text.
    #[serde(skip)]
    pub before_json: Option<String>,
    /// State after, as JSON text.
    #[serde(skip)]
    pub after_json: Option<String>,
    /// When, in Unix milliseconds.
    pub created_at: i64,
}

impl AuditEvent {
    /// The event as the API shows it, with before/after as JSON values.
    pub fn to_json(&self) -> Value {
        let parse = |text: &Option<String>| {
            text.as_deref()
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or(Value::Null)
        };
        let mut value = serde_json::to_value(self).unwrap_or(Value::Null);
        value["before"] = parse(&self.before_json);
        value["after"] = parse(&self.after_json);
        value
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

impl Store {
    /// An account's audit trail, newest first: `limit` events older than `before` (an event id).
    pub async fn audit_events(
        &self,
        account: &str,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>> {
        let rows = sqlx::query_as::<_, AuditEvent>(
            "select audit_event_id, account_id, actor, action, target, before_json, after_json, created_at \
             from audit_event where account_id = $1 and (cast($2 as text) is null or audit_event_id < cast($2 as text)) \
             order by audit_event_id desc limit $3",
        )
        .bind(account)
        .bind(before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }
}
