//! The facts of a check by an API key, in one round trip like a user's: the key's row, as
//! policies see it at the check's instant (`live`, its networks), and its creator's facts
//! seen from the check's account (the same columns and row-to-facts code as a user's check,
//! `check.rs`) — for the check pipeline and the SQLite reader alike.

use sqlx::AnyConnection;

use super::check::{resource_facts, FactsRow};
use super::{json_list, ResourceLookup, Store};
use crate::domain::{AccountId, ApiKeyFacts, ApiKeyId, CheckFacts, Networks, UserId};
use crate::error::Result;

/// A key's row and its creator's on the check's account: `$1` the key, `$2` the account
/// (named in that order first, as SQLite numbers them by first use). The first six columns
/// are the key's, the rest those of `check::FACTS_SQL`.
pub(super) const KEY_FACTS_SQL: &str = "select k.account_id as key_account, k.created_by, \
        k.grants as key_grants, k.allowed_ips, k.expires_at as key_expires_at, k.revoked_at, \
        u.status as user_status, u.email as user_email, a.status as account_status, a.owner_id, \
        a.require_mfa as account_mfa, a.allowed_ips as account_ips, m.role, m.grants, \
        m.roles as member_roles, case when m.roles <> '[]' then a.roles end as account_roles, \
        m.expires_at \
    from (select cast($1 as text) as api_key_id, cast($2 as text) as account_id) q \
    join api_key k on k.api_key_id = q.api_key_id \
    left join app_user u on u.user_id = k.created_by \
    left join account a on a.account_id = q.account_id \
    left join membership m on m.user_id = k.created_by and m.account_id = q.account_id";

/// The key's columns of a [`KEY_FACTS_SQL`] row.
#[derive(sqlx::FromRow)]
pub(super) struct KeyFactsRow {
    pub(super) key_account: String,
    pub(super) created_by: String,
    pub(super) key_grants: String,
    pub(super) allowed_ips: String,
    pub(super) key_expires_at: Option<i64>,
    pub(super) revoked_at: Option<i64>,
}

/// A whole [`KEY_FACTS_SQL`] row.
#[derive(sqlx::FromRow)]
pub(super) struct KeyCheckRow {
    #[sqlx(flatten)]
    pub(super) key: KeyFactsRow,
    #[sqlx(flatten)]
    pub(super) creator: FactsRow,
}

impl KeyCheckRow {
    /// The check's facts at `now`: the creator's (as a user's check reads them) added to the
    /// resource's, with the key's, valid until the first of the instants they stop holding.
    pub(super) fn into_facts(self, now: i64, resource: CheckFacts) -> CheckFacts {
        let key = self.key;
        let expired = key.key_expires_at.is_some_and(|at| at <= now);
        let live = key.revoked_at.is_none() && !expired;
        let creator = key.created_by.parse::<UserId>().ok();
        let mut facts = self.creator.into_facts(now, creator.as_ref(), resource);
        if let Some(at) = key.key_expires_at.filter(|_| live) {
            facts.valid_until = Some(facts.valid_until.map_or(at, |other| other.min(at)));
        }
        facts.api_key = Some(ApiKeyFacts {
            account: key.key_account,
            creator: key.created_by,
            grants: json_list(&key.key_grants),
            live,
            networks: Networks::stored_json(&key.allowed_ips),
        });
        facts
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
        if let Some(read) = self.reader(|r| r.api_key_facts(now, id, account, resource)) {
            return read;
        }
        self.bounded(async {
            let mut conn = self.pool.acquire().await?;
            key_facts_on(&mut conn, now, id, account, resource).await
        })
        .await
    }
}

async fn key_facts_on(
    conn: &mut AnyConnection,
    now: i64,
    id: &ApiKeyId,
    account: Option<&AccountId>,
    resource: ResourceLookup<'_>,
) -> Result<CheckFacts> {
    let row = sqlx::query_as::<_, KeyCheckRow>(KEY_FACTS_SQL)
        .bind(id.as_str())
        .bind(account.map(AccountId::as_str))
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else {
        return Ok(CheckFacts::found());
    };
    let resource = match account {
        Some(account) => resource_facts(conn, now, account, resource).await?,
        None => CheckFacts::found(),
    };
    Ok(row.into_facts(now, resource))
}
