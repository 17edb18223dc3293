//! The entity types Portier's own code knows: those it builds from its store. Everything else
//! (grants, actions, action groups, further resource types) comes from the schema.

use cedar_policy::EntityTypeName;

/// Entity types whose facts Portier keeps; a caller may never supply entities of these types.
pub const STORE_OWNED_TYPES: [&str; 11] = [
    "User",
    "ApiKey",
    "Agent",
    "AgentRole",
    "Account",
    "Service",
    "Invitation",
    "Contact",
    "Staff",
    "Grant",
    "MfaRequirement",
];

/// The entity types Portier's code builds, parsed once.
#[derive(Debug, Clone)]
pub struct CoreTypes {
    /// Principals: people who log in.
    pub user: EntityTypeName,
    /// The billed customer.
    pub account: EntityTypeName,
    /// Products with assignees.
    pub service: EntityTypeName,
    /// Invitations to join an account.
    pub invitation: EntityTypeName,
    /// People who get mail but cannot log in.
    pub contact: EntityTypeName,
    /// Hosting staff.
    pub staff: EntityTypeName,
    /// Machine principals of one account.
    pub api_key: EntityTypeName,
    /// The hosting company's staff as named people.
    pub agent: EntityTypeName,
    /// The enum of what an agent is (support, supervisor).
    pub agent_role: EntityTypeName,
    /// The grant enum.
    pub grant: EntityTypeName,
    /// The enum of an account's second-factor requirements.
    pub mfa_requirement: EntityTypeName,
}
