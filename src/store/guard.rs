//! Writes apply authorization decisions, and a decision is only as good as the facts it rested
//! on. Authorization runs before the write transaction, so without a guard a decision could be
//! applied after its facts had moved: an owner who has just handed the account over still
//! removing the new owner's membership, two transfers both succeeding, a token accepted twice.
//!
//! So every write takes an [`Authorized`], and inside its transaction it first locks the
//! account it touches (then the acting user), re-reads the facts the decision rested on and
//! refuses with `409` when any of them changed. The comparison is of facts, not of rules: the
//! policies stay the only place that says who may do what.

use super::check::{facts_on, ResourceLookup};
use super::{Lockable, WriteTx};
use crate::domain::CheckFacts;
use crate::domain::{AccountId, Actor, UserId};
use crate::error::{Error, Result};

/// A management call that the policies allowed, with what the decision rested on.
#[derive(Debug, Clone)]
pub struct Authorized {
    actor: Actor,
    basis: Option<Basis>,
    /// The write changes the acting user's own row (accepting activates an invited user):
    /// lock it exclusively from the start, since upgrading a shared lock deadlocks.
    writes_own_row: bool,
}

/// The facts a user's authorization was decided on, and where they were read.
#[derive(Debug, Clone)]
pub struct Basis {
    user: UserId,
    account: Option<AccountId>,
    resource: OwnedLookup,
    facts: CheckFacts,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum OwnedLookup {
    Nothing,
    Service(String),
    Invitation(String),
    Contact(String),
}

impl Basis {
    /// What `user`'s decision on `account` (and the resource behind `resource`) rested on.
    pub fn new(
        user: UserId,
        account: Option<AccountId>,
        resource: ResourceLookup<'_>,
        facts: CheckFacts,
    ) -> Basis {
        let resource = match resource {
            ResourceLookup::Nothing => OwnedLookup::Nothing,
            ResourceLookup::Service(id) => OwnedLookup::Service(id.to_owned()),
            ResourceLookup::Invitation(id) => OwnedLookup::Invitation(id.to_owned()),
            ResourceLookup::Contact(id) => OwnedLookup::Contact(id.to_owned()),
        };
        Basis {
            user,
            account,
            resource,
            facts,
        }
    }

    fn lookup(&self) -> ResourceLookup<'_> {
        match &self.resource {
            OwnedLookup::Nothing => ResourceLookup::Nothing,
            OwnedLookup::Service(id) => ResourceLookup::Service(id),
            OwnedLookup::Invitation(id) => ResourceLookup::Invitation(id),
            OwnedLookup::Contact(id) => ResourceLookup::Contact(id),
        }
    }
}

impl Authorized {
    /// A decision for `actor`; `basis` is `None` for staff, whom no stored fact can stop.
    pub fn new(actor: Actor, basis: Option<Basis>) -> Authorized {
        Authorized {
            actor,
            basis,
            writes_own_row: false,
        }
    }

    /// The same decision for a write that also changes the acting user's own row.
    pub fn writing_own_row(mut self) -> Authorized {
        self.writes_own_row = true;
        self
    }

    /// Hosting staff (the admin token without an actor): always allowed, nothing to re-read.
    pub fn staff() -> Authorized {
        Authorized::new(Actor::Staff, None)
    }

    /// Who acts, as the audit trail records it.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }
}

impl WriteTx {
    /// Locks `account` (when the write touches one), then the acting user, and re-reads the
    /// facts the decision rested on: `409` when they changed since it was made.
    pub(super) async fn guard(
        &mut self,
        auth: &Authorized,
        account: Option<&AccountId>,
    ) -> Result<()> {
        if let Some(account) = account {
            self.lock(Lockable::Account, account.as_str(), true).await?;
        }
        self.now = self.clock.now_ms();
        let Some(basis) = &auth.basis else {
            return Ok(());
        };
        if let Some(other) = basis.account.as_ref().filter(|a| Some(*a) != account) {
            self.lock(Lockable::Account, other.as_str(), true).await?;
        }
        self.lock(Lockable::User, basis.user.as_str(), auth.writes_own_row)
            .await?;
        self.now = self.clock.now_ms();
        let now = self.now;
        let facts = facts_on(
            &mut self.tx,
            now,
            Some(&basis.user),
            basis.account.as_ref(),
            basis.lookup(),
        )
        .await?;
        if facts != basis.facts {
            return Err(Error::Conflict(
                "what this request was authorized on changed while it ran (a concurrent change \
                 to the account, its members or the acting user); send it again"
                    .into(),
            ));
        }
        Ok(())
    }
}
