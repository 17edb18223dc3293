//! Domain types parsed at the edge: ids, emails, names, roles, statuses, topics, tokens,
//! instants. A handler that holds a `UserId` or an `Email` knows it is well formed; the
//! parsing rules live here, once, with their tests.

/// Implements the OpenAPI schema of a string newtype: 1 to `max` characters matching
/// `pattern` (the rule its parser applies, as far as a pattern can say it).
macro_rules! string_schema {
    ($name:ident, $max:expr, $pattern:expr) => {
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::Type::String)
                    .min_length(Some(1))
                    .max_length(Some($max))
                    .pattern(Some($pattern))
                    .into()
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}
use string_schema;

mod api_key;
mod chars;
mod facts;
mod ids;
mod net;
#[cfg(test)]
mod props;
mod roles;
mod secret;
mod text;
mod time;
mod words;

use std::fmt;

use serde::Deserialize;

pub use api_key::{ApiKeySecret, Networks};
pub use facts::{AccountFacts, AgentFacts, ApiKeyFacts, CheckFacts, MembershipFacts, UserFacts};
pub use ids::{
    check_id, parse_id, AccountId, AgentId, ApiKeyId, ContactId, InvitationId, ServiceId,
    SupportAccessId, UserId, MAX_ID_LEN,
};
pub use net::{is_host, PublicUrl, TrustedProxy};
pub use roles::{
    role_grants, stored_roles, RoleDefinition, RoleName, Roles, MAX_ACCOUNT_ROLES,
    MAX_MEMBER_ROLES, MAX_ROLE_DESCRIPTION, RESERVED_ROLE_NAMES,
};
pub use secret::Secret;
pub use text::{Email, InvitationToken, Name, Phone};
pub use time::Timestamp;
pub use words::{AccountStatus, AgentRole, MfaRequirement, Role, Topic, UserStatus};

/// For `Option<Option<T>>` patch fields: absent → `None`, `null` → `Some(None)`.
pub fn present<'de, T, D>(deserializer: D) -> Result<Option<T>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Who performs a management call: a portal user (`X-Portier-Actor`), a support agent
/// (`X-Portier-Agent`) or hosting staff.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A user acting through the portal, in the session the portal vouches for; authorized
    /// by the policies.
    User(UserId, Session),
    /// A named member of the hosting company's staff, acting on an account within its owner's
    /// consent; authorized by the policies like a user.
    Agent(AgentId, Session),
    /// Hosting staff: an admin token without an actor header.
    Staff,
    /// Portier itself, applying what time decides (an access that ran out). Authorized
    /// for nothing; it appears in the audit trail only.
    Portier,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::User(id, _) => write!(f, "user:{id}"),
            Actor::Agent(id, _) => write!(f, "agent:{id}"),
            Actor::Staff => f.write_str("staff"),
            Actor::Portier => f.write_str("portier"),
        }
    }
}

/// What the portal vouches for about the session of the person acting (headers
/// `X-Portier-MFA` and `X-Portier-Client-IP`, trusted only with the admin token): whether it
/// passed a second factor, and the address it came from. The policies read them as a check's
/// `context.mfa` and `context.ip`, so an account's requirements bind management calls too.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Session {
    /// The session passed a second factor.
    pub mfa: bool,
    /// The address the person acts from.
    pub ip: Option<std::net::IpAddr>,
}

impl Session {
    /// A session that meets an account's requirements: it passed a second factor and comes
    /// from within `networks` (what the console's matrix and `portier diff` ask about).
    pub fn meeting(networks: &Networks) -> Session {
        Session {
            mfa: true,
            ip: networks.sample(),
        }
    }

    /// The session as a check's context: `{"mfa": …, "ip": "…"}` (`ip` only when known).
    pub fn context(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut context = serde_json::Map::new();
        context.insert("mfa".into(), self.mfa.into());
        if let Some(ip) = self.ip {
            // Cedar reads IPv4 written as IPv6 (`::ffff:198.51.100.7`) as no address at all.
            context.insert("ip".into(), ip.to_canonical().to_string().into());
        }
        context
    }
}

/// In the OpenAPI document, a grant name: `/openapi.json` lists the grants the loaded schema
/// declares, so the document follows the policies without a rebuild.
pub struct GrantName;

/// In the OpenAPI document, an action id: `/openapi.json` lists the loaded schema's actions.
pub struct ActionName;

macro_rules! open_string_schema {
    ($name:ident) => {
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::Type::String)
                    .into()
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}
open_string_schema!(GrantName);
open_string_schema!(ActionName);
