//! The facts of one check, as policies see them: the principal, the account, the resource
//! rows a check needs. The check's read (`store::check`) and the membership shapes
//! of `portier diff` (`store::shapes`) make them through the constructors here, so
//! a rule such as "a membership that has run out carries no grant" is written once.

use std::borrow::Cow;

use super::{role_grants, MfaRequirement, Networks, Role, Roles};

/// What the store knows about a check's principal, account and resource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckFacts {
    /// The principal; `None` when unknown (or not a user). For an API key: its creator,
    /// seen from the check's account.
    pub user: Option<UserFacts>,
    /// The principal when it is an API key; `None` when unknown (or not a key).
    pub api_key: Option<ApiKeyFacts>,
    /// The principal when it is a support agent; `None` when unknown (or not an agent).
    pub agent: Option<AgentFacts>,
    /// The account; `None` when unknown or not involved.
    pub account: Option<AccountFacts>,
    /// Whether a resource the store keeps (invitation, contact) exists in the account;
    /// always true for resources it does not keep.
    pub resource_found: bool,
    /// Members the resource service is assigned to (services only).
    pub assignees: Vec<String>,
    /// The invited email, lowercased (invitations only).
    pub invitation_email: Option<String>,
    /// When a time-based fact read here stops holding (Unix milliseconds): an invitation's,
    /// a membership's or a support access's expiry. No decision resting on these facts may be
    /// served from a cache after it.
    pub valid_until: Option<i64>,
}

/// A user, seen from one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFacts {
    /// Status is `active`.
    pub active: bool,
    /// Status is `suspended`.
    pub suspended: bool,
    /// Login email, lowercased.
    pub email: String,
    /// The user's membership in the check's account, if any.
    pub membership: Option<MembershipFacts>,
}

/// A membership, as policies see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipFacts {
    /// The user owns the account.
    pub owner: bool,
    /// The user is an admin (and not the owner).
    pub admin: bool,
    /// Grants held: the membership's own and those of the account's own roles it names,
    /// sorted, without repeats.
    pub grants: Vec<String>,
    /// The roles it names that the account does not define: presets, whose grants come with
    /// the policies ([`MembershipFacts::effective_grants`]).
    pub preset_roles: Vec<String>,
    /// The membership had a time limit, and it has passed.
    pub expired: bool,
}

/// An API key, as policies see it: whose it is, what it holds, whether it may be used now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyFacts {
    /// The account the key belongs to.
    pub account: String,
    /// The user who created it.
    pub creator: String,
    /// The grants given to the key.
    pub grants: Vec<String>,
    /// Neither revoked nor past its expiry at the check's instant.
    pub live: bool,
    /// Where the key may be used from.
    pub networks: super::Networks,
}

/// A support agent, as policies see them from the check's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentFacts {
    /// Support or supervisor.
    pub role: super::AgentRole,
    /// The grants of the account's support accesses current at the check's instant that
    /// name this agent or no agent (their union, sorted); `None` when there is none.
    pub support_grants: Option<Vec<String>>,
}

/// An account, as policies see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFacts {
    /// Status is `active`.
    pub active: bool,
    /// When its members must have passed a second factor.
    pub require_mfa: MfaRequirement,
    /// Where its members and keys may act from (none: anywhere).
    pub networks: Networks,
}

impl MembershipFacts {
    /// A membership as policies see it, from its row's owner flag, role, grants, the roles it
    /// names (`roles`, among the account's own `account_roles` or the presets) and whether its
    /// time limit has passed. One that has run out carries no role and no grant: whatever the
    /// policies say, it gives nothing; `expired` still tells them why (`expiredIn`).
    pub fn new(
        owner: bool,
        role: &str,
        grants: Vec<String>,
        roles: &[String],
        account_roles: &Roles,
        expired: bool,
    ) -> Self {
        if expired {
            return MembershipFacts {
                owner,
                admin: false,
                grants: Vec::new(),
                preset_roles: Vec::new(),
                expired,
            };
        }
        let mut grants = grants;
        grants.extend(role_grants(roles, account_roles, &Roles::new()).cloned());
        grants.sort();
        grants.dedup();
        let mut preset_roles: Vec<String> = roles
            .iter()
            .filter(|name| !account_roles.contains_key(*name))
            .cloned()
            .collect();
        preset_roles.sort();
        preset_roles.dedup();
        MembershipFacts {
            owner,
            admin: !owner && role == Role::Admin.as_str(),
            grants,
            preset_roles,
            expired,
        }
    }

    /// Every grant the membership gives: [`MembershipFacts::grants`] and the grants of its
    /// preset roles, looked up in `presets` (the loaded policies'), sorted, without repeats.
    /// Borrowed when it names no preset, as on most checks.
    pub fn effective_grants(&self, presets: &Roles) -> Cow<'_, [String]> {
        if self.preset_roles.is_empty() {
            return Cow::Borrowed(&self.grants);
        }
        let mut grants = self.grants.clone();
        grants.extend(role_grants(&self.preset_roles, &Roles::new(), presets).cloned());
        grants.sort();
        grants.dedup();
        Cow::Owned(grants)
    }
}

impl UserFacts {
    /// A user from their stored status (`invited`, `active`, `suspended`), email and
    /// membership in the check's account.
    pub fn new(status: &str, email: String, membership: Option<MembershipFacts>) -> Self {
        UserFacts {
            active: status == "active",
            suspended: status == "suspended",
            email,
            membership,
        }
    }
}

impl AccountFacts {
    /// An account from its stored status (`active` or `closed`), second-factor requirement
    /// and allowed ranges (a JSON list). A stored requirement that does not read back
    /// requires a second factor for everything, and ranges that do not read back admit no
    /// address (fail closed).
    pub fn new(status: &str, require_mfa: &str, allowed_ips: &str) -> Self {
        AccountFacts {
            active: status == "active",
            require_mfa: MfaRequirement::stored(require_mfa),
            networks: Networks::stored_json(allowed_ips),
        }
    }
}

impl CheckFacts {
    /// No facts yet, and a resource that counts as found (one the store does not keep).
    pub(crate) fn found() -> Self {
        CheckFacts {
            resource_found: true,
            ..CheckFacts::default()
        }
    }

    /// Takes an invitation's row ([`INVITATION_SQL`]): found when open, valid until it
    /// expires.
    pub(crate) fn take_invitation(&mut self, row: Option<(String, i64)>) {
        self.resource_found = row.is_some();
        self.valid_until = row.as_ref().map(|(_, expires_at)| *expires_at);
        self.invitation_email = row.map(|(email, _)| email);
    }
}
