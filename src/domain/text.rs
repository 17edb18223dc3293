//! Free text with rules: emails, names, phone numbers, and invitation tokens.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An email address with one `@`, a non-empty local part and a dotted domain, held in one
/// normal form: trimmed, lowercased by Unicode's rules and composed (NFC). Normalizing once,
/// here, makes uniqueness and "is this the invited address" plain equality on every backend
/// (SQLite's `lower()` folds ASCII only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

super::string_schema!(
    Email,
    254,
    r"^\s*[^\s@\x00-\x1f\x7f-\x9f]+@[^\s@.\x00-\x1f\x7f-\x9f][^\s@\x00-\x1f\x7f-\x9f]*\.[^\s@\x00-\x1f\x7f-\x9f]*[^\s@.\x00-\x1f\x7f-\x9f]\s*$"
);

impl Email {
    /// The address in its normal form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The normal form of an address: lowercased (all of Unicode, not only ASCII), composed.
    pub fn normalize(address: &str) -> String {
        use unicode_normalization::UnicodeNormalization;
        address.trim().to_lowercase().nfc().collect()
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
            Ok(Email(Email::normalize(trimmed)))
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

/// A name shown to people (user, account, contact): trimmed, 1 to 200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Name(String);

super::string_schema!(
    Name,
    200,
    r"^[^\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]*[^\s\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff][^\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]*$"
);

impl Name {
    /// The name, trimmed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Name {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        let trimmed = raw.trim();
        match trimmed.chars().count() {
            0 => Err("must not be empty".into()),
            n if n > 200 => Err("must be at most 200 characters".into()),
            _ if trimmed.chars().any(char::is_control) => {
                Err("must not contain control characters".into())
            }
            _ if trimmed.chars().any(super::chars::is_deceptive) => {
                Err("must not contain invisible or bidirectional control characters".into())
            }
            _ => Ok(Name(trimmed.to_owned())),
        }
    }
}

impl From<Name> for String {
    fn from(name: Name) -> String {
        name.0
    }
}

/// A phone number: digits with optional `+`, spaces, dots, dashes and parentheses, 3 to 32 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

super::string_schema!(Phone, 32, r"^[ +\-.()]*([0-9][ +\-.()]*){3,}$");

impl TryFrom<String> for Phone {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        let trimmed = raw.trim();
        let allowed = trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || " +-.()".contains(c));
        let digits = trimmed.chars().filter(char::is_ascii_digit).count();
        if allowed && digits >= 3 && trimmed.len() <= 32 {
            Ok(Phone(trimmed.to_owned()))
        } else {
            Err(format!("{raw:?} is not a phone number"))
        }
    }
}

impl From<Phone> for String {
    fn from(phone: Phone) -> String {
        phone.0
    }
}

/// An invitation token: 256 random bits as 64 hex digits. Shown once; stored as its SHA-256.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct InvitationToken(String);

impl InvitationToken {
    /// A new random token.
    pub fn generate() -> Self {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        InvitationToken(hex::encode(bytes))
    }

    /// The token itself, to hand to the inviter once.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// What the store keeps: the SHA-256 of the token, hex.
    pub fn hash(&self) -> String {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(self.0.as_bytes()))
    }
}

impl TryFrom<String> for InvitationToken {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(InvitationToken(raw.to_ascii_lowercase()))
        } else {
            Err("is not an invitation token (64 hex digits)".into())
        }
    }
}

impl fmt::Debug for InvitationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InvitationToken(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_need_local_part_and_dotted_domain() {
        assert_eq!(
            Email::try_from(" Bo@Example.com ".to_string())
                .unwrap()
                .as_str(),
            "bo@example.com"
        );
        let composed = Email::try_from("\u{c9}va@example.com".to_string()).unwrap();
        let decomposed = Email::try_from("E\u{301}VA@Example.COM".to_string()).unwrap();
        assert_eq!(composed, decomposed);
        assert_eq!(composed.as_str(), "\u{e9}va@example.com");
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
    fn names_phones_and_tokens_parse_at_the_edge() {
        assert_eq!(
            Name::try_from("  Ada  ".to_string()).unwrap().as_str(),
            "Ada"
        );
        assert!(Name::try_from("   ".to_string()).is_err());
        assert!(Name::try_from("a\u{202e}b".to_string()).is_err());
        assert!(Name::try_from("a\u{200b}".to_string()).is_err());
        assert!(Phone::try_from("+44 (20) 7946-0958".to_string()).is_ok());
        assert!(Phone::try_from("call me".to_string()).is_err());
        let token = InvitationToken::generate();
        assert_eq!(token.reveal().len(), 64);
        assert_ne!(token.hash(), token.reveal());
        assert_eq!(
            InvitationToken::try_from(token.reveal().to_uppercase())
                .unwrap()
                .hash(),
            token.hash()
        );
        assert!(InvitationToken::try_from("abc".to_string()).is_err());
    }
}
