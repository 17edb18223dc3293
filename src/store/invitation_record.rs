//! An invitation as the store returns it ([`InvitationRecord`]) and as a write takes it
//! ([`NewInvitation`]), with the rule that decides whether its token still works.

use super::json_list;
use crate::domain::{Email, Role, Timestamp};
use crate::error::{Error, Result};

/// An invitation as shown (never with its token).
// Serialized only into the audit trail's `before`/`after`; the API has its own types.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InvitationRecord {
    /// Portier's id for it.
    pub id: String,
    /// The account offered.
    pub account_id: String,
    /// Who may accept: the user with this login email.
    pub email: String,
    /// Role offered.
    pub role: String,
    /// Grants offered.
    pub grants: Vec<String>,
    /// `user:<id>` or `staff`.
    pub invited_by: String,
    /// `pending`, `accepted`, `cancelled` or `expired`.
    pub state: String,
    /// The user who accepted.
    pub accepted_by: Option<String>,
    /// When it was sent (or last resent).
    pub created_at: Timestamp,
    /// When the token stops working.
    pub expires_at: Timestamp,
    /// When the access it offers ends: the membership created by accepting it expires then.
    pub membership_expires_at: Option<Timestamp>,
}

impl InvitationRecord {
    /// Whether the token has run out at `now` (Unix milliseconds).
    pub fn is_expired(&self, now: i64) -> bool {
        self.state == "expired" || (self.state == "pending" && now >= self.expires_at.millis())
    }

    /// Refuses a token that cannot be used any more, saying why.
    pub fn check_usable(&self, now: i64) -> Result<()> {
        match self.state.as_str() {
            "accepted" => Err(Error::Conflict(
                "this invitation was already accepted; a token works once".into(),
            )),
            "cancelled" => Err(Error::Gone("this invitation was cancelled".into())),
            _ if self.is_expired(now) => Err(Error::Gone(
                "this invitation has expired; ask for it to be resent".into(),
            )),
            _ => Ok(()),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct InvitationRow {
    invitation_id: String,
    account_id: String,
    email: String,
    role: String,
    grants: String,
    invited_by: String,
    state: String,
    accepted_by: Option<String>,
    created_at: i64,
    expires_at: i64,
    membership_expires_at: Option<i64>,
}

impl From<InvitationRow> for InvitationRecord {
    fn from(row: InvitationRow) -> Self {
        InvitationRecord {
            id: row.invitation_id,
            account_id: row.account_id,
            email: row.email,
            role: row.role,
            grants: json_list(&row.grants),
            invited_by: row.invited_by,
            state: row.state,
            accepted_by: row.accepted_by,
            created_at: row.created_at.into(),
            expires_at: row.expires_at.into(),
            membership_expires_at: row.membership_expires_at.map(Timestamp::from),
        }
    }
}

/// `POST /v1/accounts/{id}/invitations`.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    /// The invitee's login email.
    pub email: Email,
    /// `admin` or `member`.
    pub role: Role,
    /// Grants offered, each declared by the schema.
    pub grants: Vec<String>,
    /// When the access offered ends (RFC 3339, in the future): the membership created by
    /// accepting expires then. Absent: access until removed.
    pub membership_expires_at: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::InvitationRecord;

    fn pending(expires_at: i64) -> InvitationRecord {
        InvitationRecord {
            id: "i".into(),
            account_id: "a".into(),
            email: "e@x.io".into(),
            role: "member".into(),
            grants: vec![],
            invited_by: "staff".into(),
            state: "pending".into(),
            accepted_by: None,
            created_at: 0.into(),
            expires_at: expires_at.into(),
            membership_expires_at: None,
        }
    }

    #[test]
    fn expiry_is_reached_at_expires_at() {
        assert!(!pending(100).is_expired(99));
        assert!(pending(100).is_expired(100));
        assert!(pending(100).check_usable(100).is_err());
        assert!(pending(100).check_usable(50).is_ok());
    }
}
