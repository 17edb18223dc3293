//! Closed sets of words: statuses, roles, requirements and mail topics, stored and shown as lowercase words.

use serde::{Deserialize, Serialize};

macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
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

word_enum!(
    /// When an account's members must have passed a second factor (`context.mfa`).
    MfaRequirement {
        /// Never.
        None = "none",
        /// For the sensitive actions: product passwords, user management, orders and
        /// upgrades, API keys.
        Sensitive = "sensitive",
        /// For every action.
        All = "all",
    }
);

word_enum!(
    /// What a support agent is: every agent acts within an owner's consent; a supervisor may
    /// also break glass (act without one, stating why).
    AgentRole {
        /// Acts only within a support access.
        Support = "support",
        /// Acts within a support access, or by break-glass with a reason.
        Supervisor = "supervisor",
    }
);

word_enum!(
    /// A mail topic, the one list of them: contacts and members opt into topics.
    Topic {
        /// Account news and anything without a better topic.
        General = "general",
        /// Invoices and payments.
        Billing = "billing",
        /// Support tickets.
        Support = "support",
        /// Products and services.
        Services = "services",
        /// Domain names.
        Domains = "domains",
    }
);

impl MfaRequirement {
    /// A requirement read back from the store; one that does not read back requires a second
    /// factor for everything (fail closed).
    pub fn stored(text: &str) -> MfaRequirement {
        text.parse().unwrap_or(MfaRequirement::All)
    }
}

impl Topic {
    /// Every topic, in a stable order.
    pub const ALL: [Topic; 5] = [
        Topic::General,
        Topic::Billing,
        Topic::Support,
        Topic::Services,
        Topic::Domains,
    ];

    /// The action whose permit decides who among the members receives this topic's mail:
    /// `receive<Topic>Mail` (`receiveBillingMail`), declared by the schema.
    pub fn mail_action(self) -> String {
        let name = self.as_str();
        let mut chars = name.chars();
        let first = chars
            .next()
            .map(|c| c.to_ascii_uppercase())
            .unwrap_or_default();
        format!("receive{first}{}Mail", chars.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for s in ["invited", "active", "suspended"] {
            assert_eq!(s.parse::<UserStatus>().unwrap().as_str(), s);
        }
        assert!("owner".parse::<Role>().is_err());
        assert!("Closed".parse::<AccountStatus>().is_err());
        assert_eq!(Topic::Billing.mail_action(), "receiveBillingMail");
        assert_eq!(Topic::Domains.mail_action(), "receiveDomainsMail");
    }
}
