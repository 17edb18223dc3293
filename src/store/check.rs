//! The facts one check needs, read by primary key in one round trip (plus one for a
//! service's assignees), so the cost of a check does not grow with the store. The SQL and
//! how rows become facts live here once; on SQLite a check reads them through the
//! [`reader`](super::reader), a write's re-read and PostgreSQL through sqlx.

use sqlx::AnyConnection;

use super::{json_list, Store};
use crate::domain::{stored_roles, AccountFacts, CheckFacts, MembershipFacts, UserFacts};
use crate::domain::{AccountId, UserId};
use crate::error::Result;

/// Which resource rows a check needs besides the principal and account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceLookup<'a> {
    /// Nothing more.
    Nothing,
    /// A service's assignees.
    Service(&'a str),
    /// An invitation's email.
    Invitation(&'a str),
    /// Whether a contact exists.
    Contact(&'a str),
}

/// The principal's and account's row of a check: `$1` the user, `$2` the account.
pub(super) const FACTS_SQL: &str = "select u.status as user_status, u.email as user_email, \
        a.status as account_status, a.owner_id, a.require_mfa as account_mfa, \
        a.allowed_ips as account_ips, m.role, m.grants, m.roles as member_roles, \
        case when m.roles <> '[]' then a.roles end as account_roles, m.expires_at \
    from (select cast($1 as text) as user_id, cast($2 as text) as account_id) q \
    left join app_user u on u.user_id = q.user_id \
    left join account a on a.account_id = q.account_id \
    left join membership m on m.user_id = q.user_id and m.account_id = q.account_id";
/// A service's assignees, sorted: `$1` the account, `$2` the service.
pub(super) const ASSIGNEES_SQL: &str = "select user_id from service_assignment \
    where account_id = $1 and service_id = $2 order by user_id";
/// An open invitation's email and expiry: `$1` the account, `$2` the invitation, `$3` now.
pub(super) const INVITATION_SQL: &str = "select email, expires_at from invitation \
    where account_id = $1 and invitation_id = $2 and state = 'pending' and expires_at > $3";
/// Whether a contact exists: `$1` the account, `$2` the contact.
pub(super) const CONTACT_SQL: &str =
    "select contact_id from contact where account_id = $1 and contact_id = $2";
/// An account's assignment rows by service: `$1` the account, `$2` the most rows to read.
pub(super) const ACCOUNT_ASSIGNMENTS_SQL: &str = "select service_id, user_id \
    from service_assignment where account_id = $1 order by service_id, user_id limit $2";

/// One row of [`FACTS_SQL`] (the account's roles only when the membership names some).
#[derive(sqlx::FromRow)]
pub(super) struct FactsRow {
    pub(super) user_status: Option<String>,
    pub(super) user_email: Option<String>,
    pub(super) account_status: Option<String>,
    pub(super) owner_id: Option<String>,
    pub(super) account_mfa: Option<String>,
    pub(super) account_ips: Option<String>,
    pub(super) role: Option<String>,
    pub(super) grants: Option<String>,
    pub(super) member_roles: Option<String>,
    pub(super) account_roles: Option<String>,
    pub(super) expires_at: Option<i64>,
}

impl FactsRow {
    /// The check's facts: this row's, at `now`, added to the resource's (`resource`).
    pub(super) fn into_facts(
        self,
        now: i64,
        user: Option<&UserId>,
        mut facts: CheckFacts,
    ) -> CheckFacts {
        let owner = user.is_some() && self.owner_id.as_deref() == user.map(UserId::as_str);
        let limit = self.expires_at.filter(|_| self.role.is_some() && !owner);
        let expired = limit.is_some_and(|at| at <= now);
        if let Some(at) = limit.filter(|_| !expired) {
            facts.valid_until = Some(facts.valid_until.map_or(at, |other| other.min(at)));
        }
        let membership = self.role.map(|role| {
            let grants = self.grants.as_deref().map(json_list).unwrap_or_default();
            let roles = self
                .member_roles
                .as_deref()
                .map(json_list)
                .unwrap_or_default();
            let account_roles = self
                .account_roles
                .as_deref()
                .map(stored_roles)
                .unwrap_or_default();
            MembershipFacts::new(owner, &role, grants, &roles, &account_roles, expired)
        });
        facts.user = self
            .user_status
            .map(|status| UserFacts::new(&status, self.user_email.unwrap_or_default(), membership));
        facts.account = self.account_status.map(|status| {
            AccountFacts::new(
                &status,
                self.account_mfa.as_deref().unwrap_or_default(),
                self.account_ips.as_deref().unwrap_or_default(),
            )
        });
        facts
    }
}

/// Groups [`ACCOUNT_ASSIGNMENTS_SQL`] rows by service, or `None` when there were more than
/// `limit`.
pub(super) fn by_service(
    rows: Vec<(String, String)>,
    limit: usize,
) -> Option<Vec<(String, Vec<String>)>> {
    if rows.len() > limit {
        return None;
    }
    let mut services: Vec<(String, Vec<String>)> = Vec::new();
    for (service, user) in rows {
        match services.last_mut() {
            Some((last, users)) if *last == service => users.push(user),
            _ => services.push((service, vec![user])),
        }
    }
    Some(services)
}

/// The row limit that tells "more than `limit`" apart.
pub(super) fn one_past(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1)
}

impl Store {
    /// Reads the facts for a check of `user` on `account` and the resource rows it needs.
    pub async fn check_facts(
        &self,
        user: Option<&UserId>,
        account: Option<&AccountId>,
        resource: ResourceLookup<'_>,
    ) -> Result<CheckFacts> {
        let now = self.now();
        if let Some(read) = self.reader(|r| r.facts(now, user, account, resource)) {
            return read;
        }
        self.bounded(async {
            let mut conn = self.pool.acquire().await?;
            facts_on(&mut conn, now, user, account, resource).await
        })
        .await
    }

    /// Reads only the resource rows of a check (see [`CheckFacts`]: `resource_found`,
    /// `assignees`, `invitation_email`, `valid_until`).
    pub async fn resource_facts(
        &self,
        account: &AccountId,
        resource: ResourceLookup<'_>,
    ) -> Result<CheckFacts> {
        let now = self.now();
        if let Some(read) = self.reader(|r| r.resource_facts(now, account, resource)) {
            return read;
        }
        self.bounded(async {
            let mut conn = self.pool.acquire().await?;
            resource_facts(&mut conn, now, account, resource).await
        })
        .await
    }

    /// Every service assignment of an account as (service, assignees sorted), or `None` when
    /// it has more than `limit` assignment rows.
    pub async fn account_assignments(
        &self,
        account: &AccountId,
        limit: usize,
    ) -> Result<Option<Vec<(String, Vec<String>)>>> {
        if let Some(read) = self.reader(|r| r.assignment_rows(account, one_past(limit))) {
            return Ok(by_service(read?, limit));
        }
        self.bounded(async {
            let rows: Vec<(String, String)> = sqlx::query_as(ACCOUNT_ASSIGNMENTS_SQL)
                .bind(account.as_str())
                .bind(one_past(limit))
                .fetch_all(&self.pool)
                .await?;
            Ok(by_service(rows, limit))
        })
        .await
    }
}

/// The facts for a check, read on one connection: the pool's for a check, a write
/// transaction's when a write re-reads what its authorization rested on.
pub(super) async fn facts_on(
    conn: &mut AnyConnection,
    now: i64,
    user: Option<&UserId>,
    account: Option<&AccountId>,
    resource: ResourceLookup<'_>,
) -> Result<CheckFacts> {
    let row = sqlx::query_as::<_, FactsRow>(FACTS_SQL)
        .bind(user.map(UserId::as_str))
        .bind(account.map(AccountId::as_str))
        .fetch_one(&mut *conn)
        .await?;
    let resource = match account {
        Some(account) => resource_facts(conn, now, account, resource).await?,
        None => CheckFacts::found(),
    };
    Ok(row.into_facts(now, user, resource))
}

/// The rows of the resource itself: a service's assignees, an open invitation's email,
/// whether a contact exists. Always scoped to the account, so another account's rows are
/// never found; a used, cancelled or expired invitation counts as not found.
pub(super) async fn resource_facts(
    conn: &mut AnyConnection,
    now: i64,
    account: &AccountId,
    resource: ResourceLookup<'_>,
) -> Result<CheckFacts> {
    let mut facts = CheckFacts::found();
    match resource {
        ResourceLookup::Nothing => {}
        ResourceLookup::Service(id) => {
            facts.assignees = assignees_on(&mut *conn, account.as_str(), id).await?
        }
        ResourceLookup::Invitation(id) => {
            let row: Option<(String, i64)> = sqlx::query_as(INVITATION_SQL)
                .bind(account.as_str())
                .bind(id)
                .bind(now)
                .fetch_optional(&mut *conn)
                .await?;
            facts.take_invitation(row);
        }
        ResourceLookup::Contact(id) => {
            let row: Option<(String,)> = sqlx::query_as(CONTACT_SQL)
                .bind(account.as_str())
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
            facts.resource_found = row.is_some();
        }
    }
    Ok(facts)
}

/// A service's assignees, sorted, read through any connection (the pool or a transaction).
pub(super) async fn assignees_on<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    account: &str,
    service: &str,
) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(ASSIGNEES_SQL)
        .bind(account)
        .bind(service)
        .fetch_all(executor)
        .await?;
    Ok(rows.into_iter().map(|(u,)| u).collect())
}
