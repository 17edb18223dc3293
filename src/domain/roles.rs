//! Roles: named sets of grants. An account's owner names their own; the hosting company ships
//! presets (`policies/roles.json`) that every account may use. A membership's effective
//! grants are its own plus those of the roles it names: a fact derived before Cedar sees the
//! member, as a membership's run-out is, so every policy and invariant over grants holds for
//! roles unchanged.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Role names no account and no preset may take: the membership roles themselves.
pub const RESERVED_ROLE_NAMES: [&str; 3] = ["owner", "admin", "member"];
/// The longest role name.
pub const MAX_ROLE_NAME_LEN: usize = 40;
/// The most roles one account may define.
pub const MAX_ACCOUNT_ROLES: usize = 50;
/// The most roles one membership may name.
pub const MAX_MEMBER_ROLES: usize = 16;
/// The longest description of a role, in characters.
pub const MAX_ROLE_DESCRIPTION: usize = 200;

/// A role's name: lowercase words joined by `-` (`accountant`, `billing-clerk`), at most
/// [`MAX_ROLE_NAME_LEN`] characters, none of [`RESERVED_ROLE_NAMES`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct RoleName(String);

impl RoleName {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for RoleName {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        let words_ok = !raw.is_empty()
            && raw.len() <= MAX_ROLE_NAME_LEN
            && raw
                .split('-')
                .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()));
        if !words_ok {
            return Err(format!(
                "{raw:?}: a role name is lowercase words joined by '-' (a-z), at most {MAX_ROLE_NAME_LEN} characters"
            ));
        }
        if RESERVED_ROLE_NAMES.contains(&raw) {
            return Err(format!("{raw:?} is reserved (owner, admin, member)"));
        }
        Ok(RoleName(raw.to_owned()))
    }
}

impl<'de> Deserialize<'de> for RoleName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

super::string_schema!(RoleName, 40, "^[a-z]+(-[a-z]+)*$");

/// What a role holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleDefinition {
    /// The grants it gives, sorted.
    pub grants: Vec<String>,
    /// What it is for, as the owner or the hosting company wrote it.
    #[serde(default)]
    pub description: String,
}

/// Roles by name.
pub type Roles = BTreeMap<String, RoleDefinition>;

/// Reads an account's stored roles (a JSON object of [`RoleDefinition`]s); stored text that
/// does not read back gives no role (fail closed: nothing is granted by it).
pub fn stored_roles(json: &str) -> Roles {
    serde_json::from_str(json).unwrap_or_default()
}

/// The grants the roles `names` give, looked up first among the account's own roles, then
/// among the presets; a name found in neither (a preset since removed) gives nothing.
pub fn role_grants<'a>(
    names: &'a [String],
    account: &'a Roles,
    presets: &'a Roles,
) -> impl Iterator<Item = &'a String> {
    names
        .iter()
        .filter_map(|name| account.get(name).or_else(|| presets.get(name)))
        .flat_map(|role| role.grants.iter())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lowercase_words_and_not_reserved() {
        for ok in ["accountant", "billing-clerk", "a"] {
            assert_eq!(ok.parse::<RoleName>().unwrap().as_str(), ok);
        }
        for bad in [
            "", "Admin", "owner", "admin", "member", "a--b", "-a", "a-", "a_b", "a1", "a b",
        ] {
            assert!(bad.parse::<RoleName>().is_err(), "{bad:?}");
        }
        assert!("a".repeat(41).parse::<RoleName>().is_err());
    }

    #[test]
    fn account_roles_come_before_presets_and_unknown_names_give_nothing() {
        let role = |g: &str| RoleDefinition {
            grants: vec![g.to_owned()],
            description: String::new(),
        };
        let account = Roles::from([("clerk".to_owned(), role("billing"))]);
        let presets = Roles::from([
            ("clerk".to_owned(), role("orders")),
            ("viewer".to_owned(), role("services-view")),
        ]);
        let names = ["clerk".to_owned(), "viewer".to_owned(), "gone".to_owned()];
        let got: Vec<&String> = role_grants(&names, &account, &presets).collect();
        assert_eq!(got, ["billing", "services-view"]);
    }

    #[test]
    fn unreadable_stored_roles_give_none() {
        assert!(stored_roles("not json").is_empty());
        assert_eq!(
            stored_roles(r#"{"clerk":{"grants":["billing"],"description":"x"}}"#)["clerk"].grants,
            ["billing"]
        );
    }
}
