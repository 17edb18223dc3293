//! The facts of a check by a support agent: their row, and the account's support accesses
//! current at the check's instant that name them or no agent (their grants' union, valid until
//! the first of them ends), with the account's and the resource's facts as a user's check reads
//! them (`check.rs`). And the break-glass record: one row per agent, account, reason and clock
//! hour, written with its audit row before a break-glass allow is answered.

use std::collections::BTreeSet;

use sqlx::AnyConnection;

use super::audit::{record, Change};
use super::check::{facts_on, ResourceLookup};
use super::{json_list, Store};
use crate::domain::{AccountId, Actor, AgentFacts, AgentId, AgentRole, CheckFacts, Session};
use crate::error::{Error, Result};

/// The support accesses current at `$3` on account `$1` for agent `$2` (named, or any agent).
const CURRENT_SQL: &str = "select grants, expires_at from support_access \
    where account_id = $1 and (agent_id is null or agent_id = $2) \
    and revoked_at is null and expires_at > $3";

/// New break-glass reasons one agent may record per clock hour (UTC), over all accounts.
pub const BREAK_GLASS_PER_HOUR: i64 = 20;

const HOUR_MS: i64 = 60 * 60 * 1000;

/// A break-glass allow to record before it is answered.
#[derive(Debug, Clone, Copy)]
pub struct BreakGlass<'a> {
    /// The supervisor acting.
    pub agent: &'a AgentId,
    /// The account acted on.
    pub account: &'a AccountId,
    /// The reason the check states.
    pub reason: &'a str,
    /// The action id.
    pub action: &'a str,
    /// The resource, `Type::"id"`.
    pub resource: &'a str,
}

impl Store {
    /// The facts of a check by the agent `id` on `account`. No facts for an unknown agent.
    pub async fn agent_facts(
        &self,
        id: &AgentId,
        account: Option<&AccountId>,
        resource: ResourceLookup<'_>,
    ) -> Result<CheckFacts> {
        let now = self.now();
        self.bounded(async {
            let mut conn = self.pool.acquire().await?;
            agent_facts_on(&mut conn, now, id, account, resource).await
        })
        .await
    }

    /// Records a break-glass allow, once per agent, account, reason and clock hour whatever
    /// the number of replicas (the primary key), with its `support.break_glass` audit row in
    /// the same transaction. A new reason beyond [`BREAK_GLASS_PER_HOUR`] for the agent this
    /// hour is refused (`429`); a database that cannot record is a `503`: either way no allow.
    pub async fn record_break_glass(&self, glass: BreakGlass<'_>) -> Result<()> {
        let write = async {
            let mut tx = self.begin_write().await?;
            let now = tx.now;
            let hour = now.div_euclid(HOUR_MS);
            let inserted = sqlx::query(
                "insert into break_glass (agent_id, account_id, reason, hour, at) \
                 values ($1, $2, $3, $4, $5) on conflict do nothing",
            )
            .bind(glass.agent.as_str())
            .bind(glass.account.as_str())
            .bind(glass.reason)
            .bind(hour)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 0 {
                return tx.written(()).await;
            }
            let (count,): (i64,) = sqlx::query_as(
                "select count(*) from break_glass where agent_id = $1 and hour = $2",
            )
            .bind(glass.agent.as_str())
            .bind(hour)
            .fetch_one(&mut *tx)
            .await?;
            if count > BREAK_GLASS_PER_HOUR {
                return Err(Error::Refused {
                    status: axum::http::StatusCode::TOO_MANY_REQUESTS,
                    field: "context.reason".into(),
                    message: format!(
                        "at most {BREAK_GLASS_PER_HOUR} break-glass reasons per agent per hour"
                    ),
                });
            }
            let change = Change {
                at: now,
                account: Some(glass.account.as_str()),
                actor: &Actor::Agent(glass.agent.clone(), Session::default()),
                action: "support.break_glass",
                target: format!("agent:{}", glass.agent),
                before: None,
                after: Some(serde_json::json!({
                    "agent": glass.agent.as_str(),
                    "reason": glass.reason,
                    "action": glass.action,
                    "resource": glass.resource,
                })),
            };
            record(&mut tx, change).await?;
            tx.written(()).await
        };
        self.bounded_write(write).await.map(drop)
    }
}

/// The facts of an agent's check, read on one connection.
async fn agent_facts_on(
    conn: &mut AnyConnection,
    now: i64,
    id: &AgentId,
    account: Option<&AccountId>,
    resource: ResourceLookup<'_>,
) -> Result<CheckFacts> {
    let row: Option<(String,)> = sqlx::query_as("select role from agent where agent_id = $1")
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    let Some((role,)) = row else {
        return Ok(CheckFacts::found());
    };
    let mut facts = facts_on(conn, now, None, account, resource).await?;
    let current: Vec<(String, i64)> = match account {
        Some(account) => {
            sqlx::query_as(CURRENT_SQL)
                .bind(account.as_str())
                .bind(id.as_str())
                .bind(now)
                .fetch_all(&mut *conn)
                .await?
        }
        None => Vec::new(),
    };
    if let Some(first_end) = current.iter().map(|(_, end)| *end).min() {
        facts.valid_until = Some(facts.valid_until.map_or(first_end, |at| at.min(first_end)));
    }
    let support_grants = (!current.is_empty()).then(|| {
        let grants: BTreeSet<String> = current.iter().flat_map(|(g, _)| json_list(g)).collect();
        grants.into_iter().collect()
    });
    facts.agent = Some(AgentFacts {
        // A role that does not read back is the lesser one (fail closed).
        role: role.parse().unwrap_or(AgentRole::Support),
        support_grants,
    });
    Ok(facts)
}
