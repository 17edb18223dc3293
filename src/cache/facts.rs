//! The store's facts per principal (a user, or an API key with its creator) and account,
//! kept in process and exact by construction: an entry is read under the data revisions the
//! decision cache reads first, and is used
//! only while those revisions are unchanged (and before any time-based fact in it runs
//! out), so it is never staler than a cached decision may be. `fresh` checks never take
//! facts from it.
//!
//! Each entry also remembers the verdicts computed over its facts for requests whose
//! resource id cannot change the answer (see `PolicyBundle::resource_id_matters`): a check
//! naming an invoice never seen before is then answered without evaluating again. Services
//! are looked up in the account's assignments, kept under the account's revision. A check
//! that has just read its facts from the store (`fresh`, or any check on PostgreSQL) reuses
//! the verdicts of the entry whose facts are identical to the ones it read: evaluating
//! again over the same facts could only give the same verdict.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::key::{KeyWriter, MEMO_KEY_LIMIT};
use super::Revisions;
use crate::authz::{CheckRequest, Verdict};
use crate::domain::CheckFacts;

/// Bytes the facts cache takes by default, roughly: three quarters for the principal
/// entries (their verdict memos included), a quarter for the accounts' assignments.
pub const DEFAULT_FACTS_BYTES: u64 = 16 << 20;

/// An account's assignments are kept when it has at most this many rows.
pub const ASSIGNMENT_ROWS: usize = 512;
/// Verdicts remembered per entry; the memo starts over when full.
const MEMO_LIMIT: usize = 32;
/// What one remembered verdict costs at most, roughly, for the weigher: its key (at most
/// [`MEMO_KEY_LIMIT`]) and the verdict.
const MEMO_ENTRY_BYTES: u32 = MEMO_KEY_LIMIT as u32 + 64;
/// The longest an entry lives, whatever its revisions say (as the decision TTL bounds a
/// decision a failed Redis bump could leave behind).
const TTL: Duration = Duration::from_secs(60);

/// Facts per (principal, account) and assignments per account.
#[derive(Clone)]
pub struct FactsCache {
    principals: moka::sync::Cache<Box<[u8]>, Arc<PrincipalEntry>>,
    assignments: moka::sync::Cache<Box<str>, Arc<Assignments>>,
}

impl Default for FactsCache {
    fn default() -> Self {
        FactsCache::new(DEFAULT_FACTS_BYTES)
    }
}

impl FactsCache {
    /// A facts cache taking at most about `max_bytes`.
    // moka hands its weigher the keys as stored.
    #[allow(clippy::borrowed_box)]
    pub fn new(max_bytes: u64) -> Self {
        FactsCache {
            principals: moka::sync::Cache::builder()
                .max_capacity(max_bytes / 4 * 3)
                .weigher(|key: &Box<[u8]>, entry: &Arc<PrincipalEntry>| entry.weight(key))
                .time_to_live(TTL)
                .build(),
            assignments: moka::sync::Cache::builder()
                .max_capacity(max_bytes / 4)
                .weigher(|key: &Box<str>, entry: &Arc<Assignments>| entry.weight(key))
                .time_to_live(TTL)
                .build(),
        }
    }

    /// Runs moka's pending work: entries past their TTL are dropped even when nothing reads.
    pub fn housekeeping(&self) {
        self.principals.run_pending_tasks();
        self.assignments.run_pending_tasks();
    }
}

/// The facts of one principal in one account (resource facts left out), read under
/// `revisions` (`None`: read by a check that reads the store anyway, so they may not stand
/// in for a read), and the verdicts computed over them.
pub struct PrincipalEntry {
    revisions: Option<Revisions>,
    /// The facts, as [`crate::store::Store::check_facts`] reads them with no resource.
    pub facts: CheckFacts,
    memo: Mutex<HashMap<Box<[u8]>, Verdict>>,
}

impl PrincipalEntry {
    fn weight(&self, key: &[u8]) -> u32 {
        let user = self.facts.user.as_ref();
        let grants = user.and_then(|u| u.membership.as_ref()).map_or(0, |m| {
            m.grants
                .iter()
                .chain(&m.preset_roles)
                .map(|g| g.len() + 24)
                .sum::<usize>()
        });
        let networks = self
            .facts
            .account
            .as_ref()
            .map_or(0, |a| a.networks.len() * 40);
        let key_grants = self.facts.api_key.as_ref().map_or(0, |k| {
            k.creator.len() + k.account.len() + k.grants.iter().map(|g| g.len() + 24).sum::<usize>()
        });
        let bytes =
            256 + key.len() + user.map_or(0, |u| u.email.len()) + grants + key_grants + networks;
        u32::try_from(bytes).unwrap_or(u32::MAX) + MEMO_LIMIT as u32 * MEMO_ENTRY_BYTES
    }

    /// The verdict remembered for `memo_key`.
    pub fn remembered(&self, memo_key: &[u8]) -> Option<Verdict> {
        lock(&self.memo).get(memo_key).cloned()
    }

    /// Remembers a verdict computed over these facts.
    pub fn remember(&self, memo_key: Box<[u8]>, verdict: &Verdict) {
        let mut memo = lock(&self.memo);
        if memo.len() >= MEMO_LIMIT {
            memo.clear();
        }
        memo.insert(memo_key, verdict.clone());
    }
}

/// An account's service assignments, read under the account's revision.
struct Assignments {
    revision: Option<u64>,
    services: HashMap<Box<str>, Vec<String>>,
}

impl Assignments {
    fn weight(&self, key: &str) -> u32 {
        let bytes: usize = self
            .services
            .iter()
            .map(|(s, users)| 64 + s.len() + users.iter().map(|u| u.len() + 24).sum::<usize>())
            .sum();
        u32::try_from(128 + key.len() + bytes).unwrap_or(u32::MAX)
    }
}

impl FactsCache {
    /// The entry of `request`'s principal and account, if it was read under `revisions` and
    /// nothing in it has run out at `now`.
    pub fn principal(
        &self,
        request: &CheckRequest,
        revisions: Revisions,
        now: i64,
    ) -> Option<Arc<PrincipalEntry>> {
        let entry = self.principals.get(&principal_key(request)[..])?;
        let fresh = entry.revisions == Some(revisions)
            && entry.facts.valid_until.is_none_or(|until| now < until);
        fresh.then_some(entry)
    }

    /// Keeps the facts read for `request` under `revisions`.
    pub fn keep_principal(
        &self,
        request: &CheckRequest,
        revisions: Option<Revisions>,
        facts: CheckFacts,
    ) -> Arc<PrincipalEntry> {
        self.keep(principal_key(request), revisions, facts)
    }

    fn keep(
        &self,
        key: Vec<u8>,
        revisions: Option<Revisions>,
        facts: CheckFacts,
    ) -> Arc<PrincipalEntry> {
        let entry = Arc::new(PrincipalEntry {
            revisions,
            facts,
            memo: Mutex::default(),
        });
        self.principals.insert(key.into(), Arc::clone(&entry));
        entry
    }

    /// The entry of `request`'s principal and account whose principal and account facts are
    /// those of `read` (just read from the store), whatever revisions it was kept under; else
    /// a new one over `read`, kept under `revisions`.
    pub fn over(
        &self,
        request: &CheckRequest,
        revisions: Option<Revisions>,
        read: &CheckFacts,
    ) -> Arc<PrincipalEntry> {
        let key = principal_key(request);
        match self.principals.get(&key[..]) {
            Some(entry)
                if entry.facts.user == read.user
                    && entry.facts.api_key == read.api_key
                    && entry.facts.account == read.account =>
            {
                entry
            }
            _ => {
                let facts = CheckFacts {
                    user: read.user.clone(),
                    api_key: read.api_key.clone(),
                    account: read.account.clone(),
                    resource_found: true,
                    valid_until: read.valid_until,
                    ..CheckFacts::default()
                };
                self.keep(key, revisions, facts)
            }
        }
    }

    /// The assignees of `service` in `account`, if the account's assignments were read under
    /// `revision` (`Some(vec![])`: the service has none).
    pub fn assignees(
        &self,
        account: &str,
        revision: Option<u64>,
        service: &str,
    ) -> Option<Vec<String>> {
        let entry = self.assignments.get(account)?;
        (entry.revision == revision)
            .then(|| entry.services.get(service).cloned().unwrap_or_default())
    }

    /// Keeps an account's assignments read under `revision`.
    pub fn keep_assignments(
        &self,
        account: &str,
        revision: Option<u64>,
        services: Vec<(String, Vec<String>)>,
    ) {
        let services = services
            .into_iter()
            .map(|(service, users)| (service.into_boxed_str(), users))
            .collect();
        self.assignments
            .insert(account.into(), Arc::new(Assignments { revision, services }));
    }
}

fn principal_key(request: &CheckRequest) -> Vec<u8> {
    let mut key = KeyWriter(Vec::with_capacity(48));
    // A user and a key may share an id; their entries must not.
    key.bytes(request.principal_uid.type_name().basename().as_bytes());
    key.bytes(request.principal_uid.id().unescaped().as_bytes());
    key.account(request);
    key.0
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::fixtures::bill_pays;
    use crate::domain::{AccountFacts, UserFacts};

    fn read(active: bool) -> CheckFacts {
        CheckFacts {
            user: Some(UserFacts {
                active,
                suspended: false,
                email: "bill@example.com".into(),
                membership: None,
            }),
            account: Some(AccountFacts::new("active", "none", "[]")),
            resource_found: true,
            ..CheckFacts::default()
        }
    }

    #[test]
    fn a_read_finds_the_entry_over_identical_facts_and_only_that_one() {
        let (bundle, request) = bill_pays();
        let cache = FactsCache::default();
        let memo_key = super::super::memo_key(&bundle, &request, &read(true)).unwrap();
        let verdict = Verdict::deny_unknown();
        cache
            .over(&request, None, &read(true))
            .remember(memo_key.clone(), &verdict);
        let same = cache.over(&request, None, &read(true));
        assert_eq!(same.remembered(&memo_key), Some(verdict));
        let changed = cache.over(&request, None, &read(false));
        assert_eq!(changed.remembered(&memo_key), None);
        assert_eq!(changed.facts.user, read(false).user);
    }

    #[test]
    fn facts_kept_by_a_read_never_stand_in_for_one() {
        let (_, request) = bill_pays();
        let cache = FactsCache::default();
        let revisions = Revisions::default();
        cache.over(&request, None, &read(true));
        assert!(cache.principal(&request, revisions, 0).is_none());
        cache.over(&request, Some(revisions), &read(false));
        assert!(cache.principal(&request, revisions, 0).is_some());
    }
}
