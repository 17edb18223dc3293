//! An account's own roles (column `account.roles`): named sets of grants its owner defines,
//! which memberships name (column `membership.roles`). A role is a fact of its account, so a
//! write to one moves the account's revision, and every cached decision on the account,
//! every holder's included, is re-decided at once on every replica.

use serde_json::json;

use super::audit::{record, Change};
use super::guard::Authorized;
use super::revisions::{Revisioned, Written};
use super::{json_list, Store, WriteTx};
use crate::domain::{stored_roles, AccountId, RoleDefinition, RoleName, Roles, MAX_ACCOUNT_ROLES};
use crate::error::{Error, Result};

/// A role as the audit trail records it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RoleRecord {
    /// Its name.
    pub name: String,
    /// The grants it gives, sorted.
    pub grants: Vec<String>,
    /// What it is for.
    pub description: String,
}

impl Store {
    /// The roles an account defines, by name; `404` for an unknown account.
    pub async fn account_roles(&self, account: &AccountId) -> Result<Roles> {
        self.bounded(async {
            let row: Option<(String,)> =
                sqlx::query_as("select roles from account where account_id = $1")
                    .bind(account.as_str())
                    .fetch_optional(&self.pool)
                    .await?;
            row.map(|(roles,)| stored_roles(&roles))
                .ok_or_else(|| Error::NotFound(format!("account {account}")))
        })
        .await
    }

    /// Defines or replaces the role `name` of `account` (grants already checked against the
    /// schema): `400` naming `name` for a preset's name (unless the account defined its own
    /// before the preset came), `409` past [`MAX_ACCOUNT_ROLES`].
    pub async fn put_role(
        &self,
        auth: &Authorized,
        account: &AccountId,
        name: &RoleName,
        role: RoleDefinition,
        presets: &Roles,
    ) -> Result<Written<RoleRecord>> {
        let mut tx = self.begin_guarded(auth, Some(account)).await?;
        let mut roles = roles_in(&mut tx, account).await?;
        if !roles.contains_key(name.as_str()) {
            if presets.contains_key(name.as_str()) {
                return Err(Error::bad_field(
                    "name",
                    format!("{name} is a preset every account may use; choose another name"),
                ));
            }
            if roles.len() >= MAX_ACCOUNT_ROLES {
                return Err(Error::Conflict(format!(
                    "an account defines at most {MAX_ACCOUNT_ROLES} roles; delete one first"
                )));
            }
            // Members may still name a role of that name that no longer exists (a preset
            // since removed): a new role must not hand its grants to people never given it.
            let named = holders(&mut tx, account, name).await?;
            if !named.is_empty() {
                return Err(Error::Conflict(format!(
                    "{} still name a role {name} that no longer exists: change their memberships first",
                    named.join(", ")
                )));
            }
        }
        let mut grants = role.grants;
        grants.sort();
        grants.dedup();
        let role = RoleDefinition {
            grants,
            description: role.description,
        };
        let before = roles
            .insert(name.to_string(), role.clone())
            .map(|old| record_of(name.as_str(), old));
        let after = record_of(name.as_str(), role);
        write_roles(&mut tx, account, &roles, self.now()).await?;
        let change = Change {
            at: self.now(),
            account: Some(account.as_str()),
            actor: auth.actor(),
            action: "role.put",
            target: format!("role:{name}"),
            before: before.map(|b| json!(b)),
            after: Some(json!(after)),
        };
        record(&mut tx, change).await?;
        tx.touch(Revisioned::Account(account.to_string()));
        tx.written(after).await
    }

    /// Deletes the role `name` of `account`: `404` when it defines none by that name, `409`
    /// while a member holds it (naming them).
    pub async fn delete_role(
        &self,
        auth: &Authorized,
        account: &AccountId,
        name: &RoleName,
    ) -> Result<Written<()>> {
        let mut tx = self.begin_guarded(auth, Some(account)).await?;
        let mut roles = roles_in(&mut tx, account).await?;
        let Some(old) = roles.remove(name.as_str()) else {
            return Err(Error::NotFound(format!("role {name} of account {account}")));
        };
        let holders = holders(&mut tx, account, name).await?;
        if !holders.is_empty() {
            return Err(Error::Conflict(format!(
                "role {name} is held by {}: change their memberships first",
                holders.join(", ")
            )));
        }
        write_roles(&mut tx, account, &roles, self.now()).await?;
        let change = Change {
            at: self.now(),
            account: Some(account.as_str()),
            actor: auth.actor(),
            action: "role.delete",
            target: format!("role:{name}"),
            before: Some(json!(record_of(name.as_str(), old))),
            after: None,
        };
        record(&mut tx, change).await?;
        tx.touch(Revisioned::Account(account.to_string()));
        tx.written(()).await
    }
}

fn record_of(name: &str, role: RoleDefinition) -> RoleRecord {
    RoleRecord {
        name: name.to_owned(),
        grants: role.grants,
        description: role.description,
    }
}

/// The account's roles, read inside a write transaction; `404` for an unknown account. Stored
/// text that does not read back is an error here, never an empty set a write would save over.
pub(super) async fn roles_in(tx: &mut WriteTx, account: &AccountId) -> Result<Roles> {
    let row: Option<(String,)> = sqlx::query_as("select roles from account where account_id = $1")
        .bind(account.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    let (text,) = row.ok_or_else(|| Error::NotFound(format!("account {account}")))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::Internal(anyhow::anyhow!(
            "account {account}: stored roles unreadable: {e}"
        ))
    })
}

async fn write_roles(tx: &mut WriteTx, account: &AccountId, roles: &Roles, now: i64) -> Result<()> {
    sqlx::query("update account set roles = $2, updated_at = $3 where account_id = $1")
        .bind(account.as_str())
        .bind(json!(roles).to_string())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The members of `account` whose membership names the role `name`, by user id.
async fn holders(tx: &mut WriteTx, account: &AccountId, name: &RoleName) -> Result<Vec<String>> {
    // Names are lowercase words, so the quoted name matches exactly one list element.
    let rows: Vec<(String, String)> = sqlx::query_as(
        "select user_id, roles from membership where account_id = $1 and roles like $2 order by user_id",
    )
    .bind(account.as_str())
    .bind(format!("%\"{name}\"%"))
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, roles)| json_list(roles).iter().any(|r| r == name.as_str()))
        .map(|(user, _)| user)
        .collect())
}
