//! Records another system hands over (an import, e.g. from WHMCS): what earlier imports
//! wrote, read back by the id prefix they carry, and one transaction that applies a planned
//! set of changes, each audited with the import's own action and each naming what it
//! touched, so caches on every replica drop what the import changed.

use std::collections::BTreeMap;

use serde_json::json;

use super::audit::{record, Change};
use super::import_record::{
    described, ImportChange, Imported, ImportedAccount, ImportedContact, ImportedMember,
    ImportedUser,
};
use super::revisions::{Revisioned, Written};
use super::{json_list, Store, WriteTx};
use crate::domain::Actor;
use crate::error::Result;

impl Store {
    /// What earlier imports wrote: users, accounts and contacts whose ids start with
    /// `prefix`, and the memberships between them (a member added in Portier to an imported
    /// account is Portier's, never the import's to revoke).
    pub async fn imported(&self, prefix: &str) -> Result<Imported> {
        self.bounded(async {
            // A prefix test that is case-sensitive on both backends (SQLite's `like` is not).
            let mut imported = Imported::default();
            let users: Vec<(String, String, String)> = sqlx::query_as(
                "select user_id, email, display_name from app_user where substr(user_id, 1, length($1)) = $1",
            )
            .bind(prefix)
            .fetch_all(&self.pool)
            .await?;
            for (id, email, display_name) in users {
                let user = ImportedUser { id: id.clone(), email, display_name };
                imported.users.insert(id, user);
            }
            let accounts: Vec<(String, String, String, String)> = sqlx::query_as(
                "select account_id, name, status, owner_id from account where substr(account_id, 1, length($1)) = $1",
            )
            .bind(prefix)
            .fetch_all(&self.pool)
            .await?;
            for (id, name, status, owner) in accounts {
                let account = ImportedAccount { id: id.clone(), name, status, owner };
                imported.accounts.insert(id, account);
            }
            let members: Vec<(String, String, String, String, String)> = sqlx::query_as(
                "select account_id, user_id, role, grants, roles from membership \
                 where substr(account_id, 1, length($1)) = $1 and substr(user_id, 1, length($1)) = $1",
            )
            .bind(prefix)
            .fetch_all(&self.pool)
            .await?;
            for (account, user, role, grants, roles) in members {
                let member = ImportedMember { account: account.clone(), user: user.clone(), role, grants: json_list(&grants), roles: json_list(&roles) };
                imported.members.insert((account, user), member);
            }
            let contacts: Vec<(String, String, String, String, Option<String>, String)> = sqlx::query_as(
                "select contact_id, account_id, name, email, phone, topics from contact where substr(contact_id, 1, length($1)) = $1",
            )
            .bind(prefix)
            .fetch_all(&self.pool)
            .await?;
            for (id, account, name, email, phone, topics) in contacts {
                let topics = json_list(&topics);
                let contact = ImportedContact { id: id.clone(), account, name, email, phone, topics };
                imported.contacts.insert(id, contact);
            }
            Ok(imported)
        })
        .await
    }

    /// Which users already log in with each of `emails`.
    pub async fn email_holders(&self, emails: &[String]) -> Result<BTreeMap<String, String>> {
        let mut holders = BTreeMap::new();
        for chunk in emails.chunks(500) {
            let slots: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "select email, user_id from app_user where email in ({})",
                slots.join(", ")
            );
            let mut query = sqlx::query_as::<_, (String, String)>(&sql);
            for email in chunk {
                query = query.bind(email);
            }
            holders.extend(
                self.bounded(async { Ok(query.fetch_all(&self.pool).await?) })
                    .await?,
            );
        }
        Ok(holders)
    }

    /// Applies `changes` in one transaction (in order: users, accounts, memberships,
    /// contacts, as given), each recorded in the audit trail as `action` by staff.
    pub async fn apply_import(
        &self,
        action: &str,
        changes: &[ImportChange],
    ) -> Result<Written<usize>> {
        let mut tx = self.begin_write().await?;
        let now = tx.now;
        for change in changes {
            apply(&mut tx, change, now).await?;
            let (account, target, before, after) = described(change);
            record(
                &mut tx,
                Change {
                    at: now,
                    account,
                    actor: &Actor::Staff,
                    action,
                    target,
                    before,
                    after,
                },
            )
            .await?;
        }
        let touched = tx.commit().await?;
        Ok(Written::new(changes.len(), touched))
    }
}

async fn apply(tx: &mut WriteTx, change: &ImportChange, now: i64) -> Result<()> {
    match change {
        ImportChange::PutUser(_, user) => {
            sqlx::query(
                "insert into app_user (user_id, email, display_name, status, created_at, updated_at) values ($1, $2, $3, 'active', $4, $4) \
                 on conflict (user_id) do update set email = excluded.email, display_name = excluded.display_name, updated_at = excluded.updated_at",
            )
            .bind(&user.id).bind(&user.email).bind(&user.display_name).bind(now)
            .execute(&mut **tx).await?;
            tx.touch(Revisioned::User(user.id.clone()));
        }
        ImportChange::PutAccount(before, account) => {
            sqlx::query(
                "insert into account (account_id, name, status, owner_id, created_at, updated_at) values ($1, $2, $3, $4, $5, $5) \
                 on conflict (account_id) do update set name = excluded.name, status = excluded.status, owner_id = excluded.owner_id, updated_at = excluded.updated_at",
            )
            .bind(&account.id).bind(&account.name).bind(&account.status).bind(&account.owner).bind(now)
            .execute(&mut **tx).await?;
            tx.touch(Revisioned::Account(account.id.clone()));
            tx.touch(Revisioned::User(account.owner.clone()));
            if let Some(before) = before {
                // A former owner's cached decisions rest on owning the account.
                tx.touch(Revisioned::User(before.owner.clone()));
            }
        }
        ImportChange::PutMember(_, member) => {
            sqlx::query(
                "insert into membership (account_id, user_id, role, grants, created_at, updated_at) values ($1, $2, $3, $4, $5, $5) \
                 on conflict (account_id, user_id) do update set role = excluded.role, grants = excluded.grants, roles = '[]', updated_at = excluded.updated_at, \
                 expires_at = case when excluded.role = 'admin' then null else membership.expires_at end",
            )
            .bind(&member.account).bind(&member.user).bind(&member.role).bind(json!(member.grants).to_string()).bind(now)
            .execute(&mut **tx).await?;
            touch_member(tx, &member.account, &member.user);
        }
        ImportChange::RevokeMember(member) => {
            sqlx::query("delete from membership where account_id = $1 and user_id = $2")
                .bind(&member.account)
                .bind(&member.user)
                .execute(&mut **tx)
                .await?;
            touch_member(tx, &member.account, &member.user);
        }
        ImportChange::PutContact(before, contact) => {
            sqlx::query(
                "insert into contact (contact_id, account_id, name, email, phone, topics, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $7) \
                 on conflict (contact_id) do update set account_id = excluded.account_id, name = excluded.name, email = excluded.email, \
                 phone = excluded.phone, topics = excluded.topics, updated_at = excluded.updated_at",
            )
            .bind(&contact.id).bind(&contact.account).bind(&contact.name).bind(&contact.email)
            .bind(&contact.phone).bind(json!(contact.topics).to_string()).bind(now)
            .execute(&mut **tx).await?;
            tx.touch(Revisioned::Account(contact.account.clone()));
            if let Some(before) = before.as_ref().filter(|b| b.account != contact.account) {
                tx.touch(Revisioned::Account(before.account.clone()));
            }
        }
        ImportChange::RemoveContact(contact) => {
            sqlx::query("delete from contact where contact_id = $1")
                .bind(&contact.id)
                .execute(&mut **tx)
                .await?;
            tx.touch(Revisioned::Account(contact.account.clone()));
        }
    }
    Ok(())
}

fn touch_member(tx: &mut WriteTx, account: &str, user: &str) {
    tx.touch(Revisioned::User(user.to_owned()));
    tx.touch(Revisioned::Account(account.to_owned()));
}
