//! `GET /v1/console/accounts/{id}/matrix`: the account's members, API keys and the agents a
//! current support access covers (rows) × the
//! actions a principal can be asked about on the account (columns, grouped by the action group, i.e. the
//! grant, that holds them). Every cell is a decision of the check pipeline itself
//! ([`Checker::decide_unlogged`], fresh, never cached), so the matrix cannot disagree with
//! `/v1/check`; cells are what-if answers, kept out of the decision log.
//!
//! An action that applies to the account is asked on the account; one that applies to an
//! invoice, order or service is asked on a sample one (assigned to nobody), so a cell says
//! what a member may do with the account's things in general. The sample is chosen by
//! [`PolicyBundle::sample_resource`], as the impact of a policy diff chooses it.

use cedar_policy::EntityUid;
use serde::Serialize;

use crate::app::check::{Checker, Target};
use crate::app::App;
use crate::authz::{CheckBody, Consistency, EntityRef, PolicyBundle};
use crate::domain::{AccountId, Actor, MembershipFacts, Networks, Session};
use crate::error::Result;
use crate::store::{ApiKeyRecord, MemberRecord};

/// Most members shown; the rest are counted, not evaluated.
pub const MAX_ROWS: usize = 200;

/// One column: an action asked on one resource.
#[derive(Debug, Clone, Serialize)]
pub struct Column {
    /// The action id, e.g. `payInvoice`.
    pub action: String,
    /// The grant or action group holding it (`billing`, `UserManagement`), or empty.
    pub group: String,
    /// The resource type asked about.
    pub resource_type: String,
    /// The resource id: the account's own, or [`crate::authz::SAMPLE_ID`].
    pub resource_id: String,
}

/// One cell: the decision and the policies behind it.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// `allow` or `deny`.
    pub decision: &'static str,
    /// The deciding policies.
    pub reasons: Vec<String>,
    /// Policies that failed to evaluate.
    pub errors: Vec<String>,
}

/// One row: a member, an API key or an agent with consent, and a cell per column.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The member's user id, the key's id or the agent's id.
    pub user_id: String,
    /// The principal as a check names it: the user id, `ApiKey::"<id>"` or `Agent::"<id>"`.
    pub principal: String,
    /// Name shown.
    pub display_name: String,
    /// `owner`, `admin` or `member`; `api key` for a key; `agent` for an agent.
    pub role: String,
    /// The user's status.
    pub status: String,
    /// Effective grants: its own and its roles' (owner and admins hold all implicitly); an
    /// agent's are those of the support accesses that cover them now.
    pub grants: Vec<String>,
    /// The roles a membership names (none for a key).
    pub roles: Vec<String>,
    /// In column order.
    pub cells: Vec<Cell>,
}

/// The whole matrix.
#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    /// The account.
    pub account: String,
    /// The policy set that decided every cell.
    pub policy_revision: String,
    /// The columns, grouped: consecutive columns share a group.
    pub columns: Vec<Column>,
    /// A row per member (owner included), by user id, then one per API key, then one per
    /// agent a current support access covers.
    pub rows: Vec<Row>,
    /// Members and keys left out past [`MAX_ROWS`].
    pub members_not_shown: usize,
}

/// `GET /v1/console/accounts/{id}/matrix` (`viewMembers`): `404` for an unknown account.
pub async fn show(app: &App, actor: &Actor, id: &AccountId) -> Result<Matrix> {
    app.checker()
        .authorize(actor, "viewMembers", Target::Account(id))
        .await?;
    let members = app.store().members(id).await?;
    let keys = app.store().api_keys(id).await?;
    build(app.checker(), &app.bundle(), id, members, keys).await
}

/// Evaluates the matrix of `account` under `bundle` (the serving set, or a draft).
pub async fn build(
    checker: &Checker,
    bundle: &PolicyBundle,
    account: &AccountId,
    members: Vec<MemberRecord>,
    keys: Vec<ApiKeyRecord>,
) -> Result<Matrix> {
    let now = checker.store().now();
    let account_roles = checker.store().account_roles(account).await?;
    let people = members.into_iter().map(|m| {
        // The grants a check sees, by the rule the check's facts are made with.
        let membership = MembershipFacts::new(
            m.role == "owner",
            &m.role,
            m.grants,
            &m.roles,
            &account_roles,
            false,
        );
        let grants = membership.effective_grants(bundle.presets()).into_owned();
        Row {
            principal: m.user_id.clone(),
            user_id: m.user_id,
            display_name: m.display_name,
            role: m.role,
            status: m.status,
            grants,
            roles: m.roles,
            cells: Vec::new(),
        }
    });
    let keys = keys.into_iter().map(|k| Row {
        principal: format!("ApiKey::{:?}", k.id),
        user_id: k.id,
        display_name: k.name,
        role: "api key".to_owned(),
        status: match k.expires_at {
            Some(at) if at.millis() <= now => "expired".to_owned(),
            _ => "active".to_owned(),
        },
        grants: k.grants,
        roles: Vec::new(),
        cells: Vec::new(),
    });
    let agents = agent_rows(checker, account, now).await?;
    let mut rows: Vec<Row> = people.chain(keys).chain(agents).collect();
    let members_not_shown = rows.len().saturating_sub(MAX_ROWS);
    rows.truncate(MAX_ROWS);
    let columns = columns(bundle, account);
    // Each cell is asked as a session meeting the account's requirements would ask it.
    let security = checker.store().security(account).await?;
    let session = Session::meeting(&Networks::stored(&security.allowed_ips));
    let context = serde_json::Value::Object(session.context());
    for row in &mut rows {
        for column in &columns {
            let cell = decide(checker, bundle, account, &row.principal, column, &context).await?;
            row.cells.push(cell);
        }
    }
    Ok(Matrix {
        account: account.to_string(),
        policy_revision: bundle.revision().to_owned(),
        columns,
        rows,
        members_not_shown,
    })
}

/// A row per agent a current support access of `account` covers: the one it names, or every
/// agent when it names none. Their grants are the union of those accesses' grants.
async fn agent_rows(checker: &Checker, account: &AccountId, now: i64) -> Result<Vec<Row>> {
    let current: Vec<_> = checker
        .store()
        .support_accesses(account)
        .await?
        .into_iter()
        .filter(|a| a.revoked_at.is_none() && a.expires_at.millis() > now)
        .collect();
    if current.is_empty() {
        return Ok(Vec::new());
    }
    let rows = checker
        .store()
        .agents()
        .await?
        .into_iter()
        .filter_map(|agent| {
            let mut grants: Vec<String> = current
                .iter()
                .filter(|a| a.agent.as_ref().is_none_or(|named| *named == agent.id))
                .flat_map(|a| a.grants.iter().cloned())
                .collect();
            grants.sort();
            grants.dedup();
            (!grants.is_empty()).then(|| Row {
                principal: format!("Agent::{:?}", agent.id),
                user_id: agent.id,
                display_name: agent.display_name,
                role: "agent".to_owned(),
                status: agent.role.as_str().to_owned(),
                grants,
                roles: Vec::new(),
                cells: Vec::new(),
            })
        });
    Ok(rows.collect())
}

/// One cell, through the check pipeline (fresh: neither read from nor written to the cache).
async fn decide(
    checker: &Checker,
    bundle: &PolicyBundle,
    account: &AccountId,
    principal: &str,
    column: &Column,
    context: &serde_json::Value,
) -> Result<Cell> {
    let body = CheckBody {
        principal: EntityRef::Text(principal.to_owned()),
        action: column.action.clone(),
        resource: EntityRef::Typed {
            ty: column.resource_type.clone(),
            id: column.resource_id.clone(),
        },
        account: Some(account.to_string()),
        context: Some(context.clone()),
        entities: None,
        consistency: Consistency::Fresh,
    };
    let request = bundle.parse_check(body)?;
    let decision = checker
        .decide_unlogged(bundle, &request, std::time::Instant::now())
        .await?;
    Ok(Cell {
        decision: decision.decision,
        reasons: decision.reasons,
        errors: decision.errors,
    })
}

/// The columns: every action with a resource in the account, grants' groups first.
pub fn columns(bundle: &PolicyBundle, account: &AccountId) -> Vec<Column> {
    let mut columns: Vec<(u8, Column)> = bundle
        .action_ids()
        .into_iter()
        .filter_map(|id| {
            let (uid, _) = bundle.action(id)?;
            let resource = bundle.sample_resource(id, account)?;
            let (rank, group) = group_of(bundle, uid);
            let column = Column {
                action: id.to_owned(),
                group,
                resource_type: resource.type_name().to_string(),
                resource_id: resource.id().unescaped().to_owned(),
            };
            Some((rank, column))
        })
        .collect();
    columns.sort_by(|(ra, a), (rb, b)| (ra, &a.group, &a.action).cmp(&(rb, &b.group, &b.action)));
    columns.into_iter().map(|(_, column)| column).collect()
}

/// The group an action sits in, and its rank: 0 for a grant's group (`billing`), 1 for
/// another group (`UserManagement`), 2 for none.
fn group_of(bundle: &PolicyBundle, action: &EntityUid) -> (u8, String) {
    let Some(entity) = bundle.action_entity(action) else {
        return (2, String::new());
    };
    let (_, _, parents) = entity.clone().into_inner();
    let mut names: Vec<String> = parents
        .iter()
        .map(|p| p.id().unescaped().to_owned())
        .collect();
    names.sort();
    // An action in several groups (`Passwords` and `Sensitive`) is shown under its grant's.
    let grant = names
        .iter()
        .find(|name| bundle.grants().contains(&name.to_lowercase()));
    match (grant, names.first()) {
        (Some(name), _) => (0, name.to_lowercase()),
        (None, Some(name)) => (1, name.clone()),
        (None, None) => (2, String::new()),
    }
}
