//! The facts of a check by an API key: the key's row, as policies see it at the check's
//! instant (`live`, its networks), and its creator's facts seen from the check's account —
//! read here once, for the check pipeline and the SQLite reader alike.

use std::str::FromStr;

use super::{json_list, ResourceLookup, Store};
use crate::domain::{AccountId, ApiKeyFacts, ApiKeyId, CheckFacts, Networks, UserId};
use crate::error::Result;

/// A key's facts for a check: `$1` the key.
pub(super) const KEY_FACTS_SQL: &str = "select account_id, created_by, grants, allowed_ips, \
    expires_at, revoked_at from api_key where api_key_id = $1";

/// One row of [`KEY_FACTS_SQL`].
#[derive(sqlx::FromRow)]
pub(super) struct KeyFactsRow {
    pub(super) account_id: String,
    pub(super) created_by: String,
    pub(super) grants: String,
    pub(super) allowed_ips: String,
    pub(super) expires_at: Option<i64>,
    pub(super) revoked_at: Option<i64>,
}

impl KeyFactsRow {
    /// The key as policies see it at `now`, and the instant that stops holding (its expiry).
    fn into_facts(self, now: i64) -> (ApiKeyFacts, Option<i64>) {
        let expired = self.expires_at.is_some_and(|at| at <= now);
        let live = self.revoked_at.is_none() && !expired;
        let networks = Networks::stored(&json_list(&self.allowed_ips));
        let facts = ApiKeyFacts {
            account: self.account_id,
            creator: self.created_by,
            grants: json_list(&self.grants),
            live,
            networks,
        };
        (facts, self.expires_at.filter(|_| live))
    }
}

impl Store {
    /// The facts of a check by the key `id` on `account`: the key's, and its creator's seen from
    /// that account (the principal of the user facts). No facts for an unknown key.
    pub async fn api_key_facts(
        &self,
        id: &ApiKeyId,
        account: Option<&AccountId>,
        resource: ResourceLookup<'_>,
    ) -> Result<CheckFacts> {
        let now = self.now();
        let row = match self.reader(|r| r.api_key(id)) {
            Some(read) => read?,
            None => {
                self.bounded(async {
                    Ok(sqlx::query_as::<_, KeyFactsRow>(KEY_FACTS_SQL)
                        .bind(id.as_str())
                        .fetch_optional(&self.pool)
                        .await?)
                })
                .await?
            }
        };
        let Some(row) = row else {
            return Ok(CheckFacts::found());
        };
        let (key, until) = row.into_facts(now);
        let creator = UserId::from_str(&key.creator).ok();
        let mut facts = self
            .check_facts(creator.as_ref(), account, resource)
            .await?;
        facts.valid_until = match (facts.valid_until, until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        facts.api_key = Some(key);
        Ok(facts)
    }
}
