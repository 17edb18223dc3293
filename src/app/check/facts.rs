//! Where a cached check gets its facts: the facts cache when it holds them under the
//! revisions just read, else the store (and then the cache keeps them). Only the resource
//! rows that change per resource and are rare in checks (an invitation, a contact) are read
//! every time; a service's assignees come from its account's assignments.
//!
//! That is for the embedded SQLite file, which cannot become unreachable while Portier runs.
//! A database server can: then a check must answer `503`, not a decision from memory, so
//! with PostgreSQL the facts are read every time and only the verdicts remembered over
//! identical facts are reused. So are they for a `fresh` check, which reads the store every
//! time by definition.

use std::sync::Arc;

use super::{lookup, Checker};
use crate::authz::request::Principal;
use crate::authz::{CheckRequest, PolicyBundle};
use crate::cache::facts::ASSIGNMENT_ROWS;
use crate::cache::{PrincipalEntry, Revisions};
use crate::domain::CheckFacts;
use crate::error::Result;
use crate::store::{Backend, ResourceLookup};

/// The facts of a check as gathered: the facts cache's entry they came from, went to or
/// match, and what was read besides. A verdict remembered by the entry needs only the resource
/// rows, so the whole facts are put together only when the check is evaluated.
pub(super) struct Gathered {
    /// The facts cache's entry (`None` for a principal that is neither a user nor a key).
    pub entry: Option<Arc<PrincipalEntry>>,
    /// The resource rows (to add to the entry's facts), or the whole facts.
    read: CheckFacts,
    /// Whether `read` holds only the resource rows.
    resource_only: bool,
}

impl Gathered {
    /// The facts that tell the resource: `resource_found`, `assignees`, `invitation_email`.
    pub fn resource(&self) -> &CheckFacts {
        &self.read
    }

    /// The whole facts the check is evaluated over.
    pub fn into_facts(self) -> CheckFacts {
        let Some(entry) = self.entry.filter(|_| self.resource_only) else {
            return self.read;
        };
        let resource = self.read;
        let mut facts = entry.facts.clone();
        facts.resource_found = resource.resource_found;
        facts.assignees = resource.assignees;
        facts.invitation_email = resource.invitation_email;
        facts.valid_until = match (facts.valid_until, resource.valid_until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        facts
    }
}

impl Checker {
    /// The facts of `request` under `revisions` (read by the decision cache just before).
    pub(super) async fn cached_facts(
        &self,
        bundle: &PolicyBundle,
        request: &CheckRequest,
        revisions: Revisions,
    ) -> Result<Gathered> {
        let kept = matches!(request.principal, Principal::User(_) | Principal::ApiKey(_));
        if !kept || self.store.backend() != Backend::Sqlite {
            return self.read_facts(bundle, request, Some(revisions)).await;
        }
        let entry = match self.facts.principal(request, revisions, self.store.now()) {
            Some(entry) => entry,
            None => {
                let read = self.principal_facts(request).await?;
                self.facts.keep_principal(request, Some(revisions), read)
            }
        };
        let found = CheckFacts {
            resource_found: true,
            ..CheckFacts::default()
        };
        let resource = match (&request.account, lookup(bundle, request)) {
            (None, _) | (_, ResourceLookup::Nothing) => found,
            (Some(account), ResourceLookup::Service(service)) => CheckFacts {
                assignees: self.assignees(account, revisions.account, service).await?,
                ..found
            },
            (Some(account), other) => self.store.resource_facts(account, other).await?,
        };
        Ok(Gathered {
            entry: Some(entry),
            read: resource,
            resource_only: true,
        })
    }

    /// The facts of `request` read from the store, with the facts cache's entry whose facts
    /// are the same (its remembered verdicts apply); a new entry is kept under `revisions`.
    pub(super) async fn read_facts(
        &self,
        bundle: &PolicyBundle,
        request: &CheckRequest,
        revisions: Option<Revisions>,
    ) -> Result<Gathered> {
        let read = self.facts(bundle, request).await?;
        let entry = match (&request.principal, &read.user, &read.api_key) {
            (Principal::User(_), Some(_), _) | (Principal::ApiKey(_), Some(_), Some(_)) => {
                Some(self.facts.over(request, revisions, &read))
            }
            _ => None,
        };
        Ok(Gathered {
            entry,
            read,
            resource_only: false,
        })
    }

    /// The facts of `request`'s principal (a user, or an API key with its creator) and account,
    /// without the resource's: what a facts-cache entry keeps.
    async fn principal_facts(&self, request: &CheckRequest) -> Result<CheckFacts> {
        let account = request.account.as_ref();
        match &request.principal {
            Principal::ApiKey(key) => {
                self.store
                    .api_key_facts(key, account, ResourceLookup::Nothing)
                    .await
            }
            Principal::User(user) => {
                self.store
                    .check_facts(Some(user), account, ResourceLookup::Nothing)
                    .await
            }
            Principal::Agent(_) | Principal::Staff | Principal::NotAUser => Ok(CheckFacts::found()),
        }
    }

    /// A service's assignees, from its account's assignments kept under the account's
    /// revision; an account with very many assignments is asked about the one service.
    async fn assignees(
        &self,
        account: &crate::domain::AccountId,
        revision: Option<u64>,
        service: &str,
    ) -> Result<Vec<String>> {
        if let Some(assignees) = self.facts.assignees(account.as_str(), revision, service) {
            return Ok(assignees);
        }
        match self
            .store
            .account_assignments(account, ASSIGNMENT_ROWS)
            .await?
        {
            Some(services) => {
                let assignees = services
                    .iter()
                    .find(|(s, _)| s == service)
                    .map(|(_, users)| users.clone())
                    .unwrap_or_default();
                self.facts
                    .keep_assignments(account.as_str(), revision, services);
                Ok(assignees)
            }
            None => Ok(self
                .store
                .resource_facts(account, ResourceLookup::Service(service))
                .await?
                .assignees),
        }
    }
}
