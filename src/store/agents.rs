//! Table `agent`: the hosting company's staff as named people, managed by staff alone. An
//! agent's check reads their row and the account's current support access (`agent_facts`);
//! a write to an agent moves the agent's revision, and deleting one also revokes the consents
//! that name them (their accounts' revisions move).

use serde_json::json;

use super::audit::{record, Change};
use super::guard::Authorized;
use super::revisions::{Revisioned, Written};
use super::{Store, WriteTx};
use crate::domain::{AgentId, AgentRole, Email, Name, Timestamp};
use crate::error::{Error, Result};

/// An agent, as shown and audited.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AgentRecord {
    /// The agent's id.
    pub id: String,
    /// Where to reach them.
    pub email: String,
    /// A name for people (the owner sees it beside a support access).
    pub display_name: String,
    /// Support or supervisor.
    pub role: AgentRole,
    /// When created.
    pub created_at: Timestamp,
    /// When last changed.
    pub updated_at: Timestamp,
}

/// A new agent.
#[derive(Debug, Clone)]
pub struct NewAgent {
    /// The hosting company's id for them.
    pub id: AgentId,
    /// Where to reach them.
    pub email: Email,
    /// A name for people.
    pub display_name: Name,
    /// Support or supervisor.
    pub role: AgentRole,
}

/// A change to an agent: each field present is replaced.
#[derive(Debug, Clone, Default)]
pub struct AgentPatch {
    /// A new email.
    pub email: Option<Email>,
    /// A new name.
    pub display_name: Option<Name>,
    /// A new role.
    pub role: Option<AgentRole>,
}

const COLUMNS: &str = "agent_id, email, display_name, role, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct AgentRow {
    agent_id: String,
    email: String,
    display_name: String,
    role: String,
    created_at: i64,
    updated_at: i64,
}

impl From<AgentRow> for AgentRecord {
    fn from(row: AgentRow) -> Self {
        AgentRecord {
            id: row.agent_id,
            email: row.email,
            display_name: row.display_name,
            // A role that does not read back is the lesser one (fail closed).
            role: row.role.parse().unwrap_or(AgentRole::Support),
            created_at: row.created_at.into(),
            updated_at: row.updated_at.into(),
        }
    }
}

impl Store {
    /// Creates an agent; `409` when the id is taken.
    pub async fn create_agent(
        &self,
        auth: &Authorized,
        new: &NewAgent,
    ) -> Result<Written<AgentRecord>> {
        let mut tx = self.begin_write().await?;
        let now = tx.now;
        let row = sqlx::query_as::<_, AgentRow>(&format!(
            "insert into agent ({COLUMNS}) values ($1, $2, $3, $4, $5, $5) \
             on conflict (agent_id) do nothing returning {COLUMNS}"
        ))
        .bind(new.id.as_str())
        .bind(new.email.as_str())
        .bind(new.display_name.as_str())
        .bind(new.role.as_str())
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| Error::Conflict(format!("agent {} exists", new.id)))?;
        let agent = AgentRecord::from(row);
        audit(&mut tx, auth, "agent.create", None, Some(&agent)).await?;
        tx.touch(Revisioned::Agent(agent.id.clone()));
        tx.written(agent).await
    }

    /// Every agent, by id.
    pub async fn agents(&self) -> Result<Vec<AgentRecord>> {
        self.bounded(async {
            let rows = sqlx::query_as::<_, AgentRow>(&format!(
                "select {COLUMNS} from agent order by agent_id"
            ))
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.into_iter().map(AgentRecord::from).collect())
        })
        .await
    }

    /// One agent; `404` when unknown.
    pub async fn agent(&self, id: &AgentId) -> Result<AgentRecord> {
        self.bounded(async {
            let mut conn = self.pool.acquire().await?;
            agent_on(&mut conn, id.as_str())
                .await?
                .ok_or_else(|| Error::NotFound(format!("agent {id}")))
        })
        .await
    }

    /// Changes an agent; `404` when unknown.
    pub async fn update_agent(
        &self,
        auth: &Authorized,
        id: &AgentId,
        patch: &AgentPatch,
    ) -> Result<Written<AgentRecord>> {
        let mut tx = self.begin_write().await?;
        let now = tx.now;
        let before = agent_on(&mut tx, id.as_str())
            .await?
            .ok_or_else(|| Error::NotFound(format!("agent {id}")))?;
        let row = sqlx::query_as::<_, AgentRow>(&format!(
            "update agent set email = $2, display_name = $3, role = $4, updated_at = $5 \
             where agent_id = $1 returning {COLUMNS}"
        ))
        .bind(id.as_str())
        .bind(
            patch
                .email
                .as_ref()
                .map_or(before.email.as_str(), Email::as_str),
        )
        .bind(
            patch
                .display_name
                .as_ref()
                .map_or(before.display_name.as_str(), Name::as_str),
        )
        .bind(patch.role.unwrap_or(before.role).as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let after = AgentRecord::from(row);
        audit(&mut tx, auth, "agent.update", Some(&before), Some(&after)).await?;
        tx.touch(Revisioned::Agent(id.to_string()));
        tx.written(after).await
    }

    /// Deletes an agent and revokes the current support accesses that name them (each
    /// recorded as `support.revoke` in its account's trail); `404` when unknown.
    pub async fn delete_agent(&self, auth: &Authorized, id: &AgentId) -> Result<Written<()>> {
        let mut tx = self.begin_write().await?;
        let before = agent_on(&mut tx, id.as_str())
            .await?
            .ok_or_else(|| Error::NotFound(format!("agent {id}")))?;
        sqlx::query("delete from agent where agent_id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        super::support::revoke_named(&mut tx, auth.actor(), id.as_str()).await?;
        audit(&mut tx, auth, "agent.delete", Some(&before), None).await?;
        tx.touch(Revisioned::Agent(id.to_string()));
        tx.written(()).await
    }
}

/// One agent, read on any connection.
pub(super) async fn agent_on(
    conn: &mut sqlx::AnyConnection,
    id: &str,
) -> Result<Option<AgentRecord>> {
    let row =
        sqlx::query_as::<_, AgentRow>(&format!("select {COLUMNS} from agent where agent_id = $1"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.map(AgentRecord::from))
}

/// An agent's audit row: staff's doing, in no account's trail.
async fn audit(
    tx: &mut WriteTx,
    auth: &Authorized,
    action: &str,
    before: Option<&AgentRecord>,
    after: Option<&AgentRecord>,
) -> Result<()> {
    let Some(id) = after.or(before).map(|a| a.id.clone()) else {
        return Ok(());
    };
    let change = Change {
        at: tx.now,
        account: None,
        actor: auth.actor(),
        action,
        target: format!("agent:{id}"),
        before: before.map(|a| json!(a)),
        after: after.map(|a| json!(a)),
    };
    record(tx, change).await
}
