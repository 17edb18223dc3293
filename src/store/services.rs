//! Table `service_assignment`: which members a product or service is assigned to.

use serde_json::json;

use super::audit::{record, Change};
use super::check::assignees_on;
use super::guard::Authorized;
use super::revisions::{Revisioned, Written};
use super::Store;
use crate::domain::{AccountId, ServiceId, UserId};
use crate::error::{Error, Result};

impl Store {
    /// Replaces the assignees of a service. Each must be a member of the account: the error
    /// names the first who is not (`assignees[i]`).
    pub async fn set_assignees(
        &self,
        auth: &Authorized,
        account: &AccountId,
        service: &ServiceId,
        assignees: &[UserId],
    ) -> Result<Written<Vec<String>>> {
        let actor = auth.actor();
        let mut tx = self.begin_guarded(auth, Some(account)).await?;
        let members: Vec<(String,)> =
            sqlx::query_as("select user_id from membership where account_id = $1")
                .bind(account.as_str())
                .fetch_all(&mut *tx)
                .await?;
        if members.is_empty() {
            return Err(Error::NotFound(format!("account {account}")));
        }
        if let Some(i) = assignees
            .iter()
            .position(|a| !members.iter().any(|(m,)| m == a.as_str()))
        {
            return Err(Error::bad_field(
                format!("assignees[{i}]"),
                format!("{} is not a member of account {account}", assignees[i]),
            ));
        }
        let before = assignees_on(&mut *tx, account.as_str(), service.as_str()).await?;
        sqlx::query("delete from service_assignment where account_id = $1 and service_id = $2")
            .bind(account.as_str())
            .bind(service.as_str())
            .execute(&mut *tx)
            .await?;
        let now = self.now();
        let mut after: Vec<String> = assignees.iter().map(|a| a.as_str().to_owned()).collect();
        after.sort();
        after.dedup();
        for user in &after {
            sqlx::query("insert into service_assignment (account_id, service_id, user_id, created_at) values ($1, $2, $3, $4)")
                .bind(account.as_str())
                .bind(service.as_str())
                .bind(user)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        let change = Change {
            at: self.now(),
            account: Some(account.as_str()),
            actor,
            action: "service.assign",
            target: format!("service:{service}"),
            before: Some(json!(before)),
            after: Some(json!(after)),
        };
        record(&mut tx, change).await?;
        tx.touch(Revisioned::Account(account.to_string()));
        tx.written(after).await
    }

    /// The members a service is assigned to, sorted.
    pub async fn assignees(&self, account: &AccountId, service: &ServiceId) -> Result<Vec<String>> {
        self.bounded(async { assignees_on(&self.pool, account.as_str(), service.as_str()).await })
            .await
    }
}
