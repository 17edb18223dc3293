//! Domain types parsed at the edge: ids, emails, roles and statuses. A handler that holds a
//! `UserId` or an `Email` knows it is well formed; the parsing rules live here, once.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest id accepted for users, accounts, services and other resources.
pub const MAX_ID_LEN: usize = 128;

/// Parses an id given by the portal: 1..=128 printable characters, no whitespace or quotes,
/// so ids read the same in URLs, logs and Cedar entity references.
pub fn parse_id(raw: &str) -> Result<String, String> {
    if raw.is_empty() || raw.len() > MAX_ID_LEN {
        return Err(format!("must be 1 to {MAX_ID_LEN} characters"));
    }
    if raw
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '"' || c == '\\')
    {
        return Err(
            "must not contain whitespace, quotes, backslashes or control characters".into(),
        );
    }
    Ok(raw.to_owned())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The id as the portal gave it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(raw: String) -> Result<Self, String> {
                parse_id(&raw).map(Self)
            }
        }
        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(raw: &str) -> Result<Self, String> {
                parse_id(raw).map(Self)
            }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A user's id: the portal's own id for the person.
    UserId
);
id_type!(
    /// An account's id: the portal's id for the billed customer.
    AccountId
);
id_type!(
    /// A product or service's id in the portal.
    ServiceId
);

/// An email address: trimmed, with one `@`, a non-empty local part and a dotted domain.
/// Comparison for uniqueness is case-insensitive (done by the store's index on `lower(email)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// The address as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        let trimmed = raw.trim();
        let valid = trimmed.len() <= 254
            && !trimmed.chars().any(|c| c.is_whitespace() || c.is_control())
            && matches!(trimmed.split_once('@'), Some((local, domain))
                if !local.is_empty() && !domain.contains('@') && domain.contains('.')
                    && !domain.starts_with('.') && !domain.ends_with('.'));
        if valid {
            Ok(Email(trimmed.to_owned()))
        } else {
            Err(format!("{raw:?} is not an email address"))
        }
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// The word stored in the database and shown in JSON.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(raw: &str) -> Result<Self, String> {
                match raw {
                    $($word => Ok($name::$variant),)+
                    _ => Err(format!(concat!("expected one of: ", $($word, " "),+), )),
                }
            }
        }
    };
}

word_enum!(
    /// A user's lifecycle: only `active` users are allowed anything.
    UserStatus {
        /// Created by an invitation, not yet accepted.
        Invited = "invited",
        /// May log in and act.
        Active = "active",
        /// Switched off by staff; denied everything.
        Suspended = "suspended",
    }
);

word_enum!(
    /// An account's lifecycle: a closed account denies everything to its users.
    AccountStatus {
        /// In business.
        Active = "active",
        /// Closed; kept for the record.
        Closed = "closed",
    }
);

word_enum!(
    /// The role stored for a membership. The owner is recorded on the account, not here.
    Role {
        /// Every grant, but no user management.
        Admin = "admin",
        /// Exactly the grants given.
        Member = "member",
    }
);

/// For `Option<Option<T>>` patch fields: absent → `None`, `null` → `Some(None)`.
pub fn present<'de, T, D>(deserializer: D) -> Result<Option<T>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Who performs a management call: a portal user (`X-Portier-Actor`) or hosting staff.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A user acting through the portal; authorized by the policies.
    User(UserId),
    /// Hosting staff: an admin token without an actor header.
    Staff,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::User(id) => write!(f, "user:{id}"),
            Actor::Staff => f.write_str("staff"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_reject_empty_long_and_quoted() {
        assert!("alice".parse::<UserId>().is_ok());
        assert!("".parse::<UserId>().is_err());
        assert!("a".repeat(MAX_ID_LEN + 1).parse::<UserId>().is_err());
        assert!("a\"b".parse::<AccountId>().is_err());
        assert!("a b".parse::<ServiceId>().is_err());
    }

    #[test]
    fn emails_need_local_part_and_dotted_domain() {
        assert_eq!(
            Email::try_from(" Bo@Example.com ".to_string())
                .unwrap()
                .as_str(),
            "Bo@Example.com"
        );
        for bad in [
            "",
            "bob",
            "@example.com",
            "bob@",
            "bob@example",
            "a@b@c.d",
            "bo b@x.io",
        ] {
            assert!(Email::try_from(bad.to_string()).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn words_round_trip() {
        for s in ["invited", "active", "suspended"] {
            assert_eq!(s.parse::<UserStatus>().unwrap().as_str(), s);
        }
        assert!("owner".parse::<Role>().is_err());
        assert!("Closed".parse::<AccountStatus>().is_err());
    }
}
