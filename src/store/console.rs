//! Reads for the console: finding users and accounts by id, email or name, and listing an
//! account's service assignments. Searches are bounded (`FIND_LIMIT` rows each) and match
//! case-insensitively; `%` and `_` typed by staff are matched literally.

use std::collections::BTreeMap;

use super::{AccountRecord, Store, UserRecord};
use crate::domain::AccountId;
use crate::error::Result;

/// Most users, and most accounts, one search returns.
pub const FIND_LIMIT: i64 = 20;

/// What a search found.
#[derive(Debug, Clone)]
pub struct Found {
    /// Users whose id, login email or display name matches.
    pub users: Vec<UserRecord>,
    /// Accounts whose id or name matches, or whose owner's id or email matches.
    pub accounts: Vec<AccountRecord>,
}

/// A service of an account and the members it is assigned to.
#[derive(Debug, Clone)]
pub struct ServiceAssignment {
    /// The portal's service id.
    pub service_id: String,
    /// Assigned members' user ids, sorted.
    pub assignees: Vec<String>,
}

/// `%text%` for `like … escape '\'`, with the wildcards typed by a person escaped.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl Store {
    /// Users and accounts matching `text`: exact ids first, then by name or email.
    pub async fn find(&self, text: &str) -> Result<Found> {
        self.bounded(async {
            let exact = text.to_lowercase();
            let pattern = contains_pattern(text);
            let users = sqlx::query_as::<_, UserRecord>(
                "select user_id, email, display_name, notification_email, status, created_at, updated_at \
                 from app_user \
                 where lower(user_id) = $1 or lower(email) like $2 escape '\\' or lower(display_name) like $2 escape '\\' \
                 order by case when lower(user_id) = $1 then 0 else 1 end, user_id limit $3",
            )
            .bind(&exact)
            .bind(&pattern)
            .bind(FIND_LIMIT)
            .fetch_all(&self.pool)
            .await?;
            let accounts = sqlx::query_as::<_, AccountRecord>(
                "select a.account_id, a.name, a.status, a.owner_id, a.created_at, a.updated_at \
                 from account a join app_user o on o.user_id = a.owner_id \
                 where lower(a.account_id) = $1 or lower(a.name) like $2 escape '\\' \
                    or lower(o.user_id) = $1 or lower(o.email) like $2 escape '\\' \
                 order by case when lower(a.account_id) = $1 then 0 else 1 end, a.account_id limit $3",
            )
            .bind(&exact)
            .bind(&pattern)
            .bind(FIND_LIMIT)
            .fetch_all(&self.pool)
            .await?;
            Ok(Found { users, accounts })
        })
        .await
    }

    /// Every service of `account` that is assigned to someone, with its assignees.
    pub async fn service_assignments(&self, account: &AccountId) -> Result<Vec<ServiceAssignment>> {
        self.bounded(async {
            let rows: Vec<(String, String)> = sqlx::query_as(
                "select service_id, user_id from service_assignment where account_id = $1 \
                 order by service_id, user_id",
            )
            .bind(account.as_str())
            .fetch_all(&self.pool)
            .await?;
            let mut services: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (service, user) in rows {
                services.entry(service).or_default().push(user);
            }
            Ok(services
                .into_iter()
                .map(|(service_id, assignees)| ServiceAssignment {
                    service_id,
                    assignees,
                })
                .collect())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn wildcards_typed_by_staff_match_literally() {
        assert_eq!(contains_pattern("Bill"), "%bill%");
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
