//! An account's security requirements (columns `account.require_mfa`, `account.allowed_ips`):
//! when its members must have passed a second factor, and where its members and keys may act
//! from. They are facts of the account that the policies read, so a write moves the
//! account's revision; whether a call would lock its own maker out is decided by the
//! policies before the write (`app::manage::security`), never here.

use serde_json::json;

use super::audit::{record, Change};
use super::guard::Authorized;
use super::revisions::{Revisioned, Written};
use super::Store;
use crate::domain::{AccountId, MfaRequirement, Networks};
use crate::error::{Error, Result};

/// An account's security requirements, as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SecurityRecord {
    /// When members must have passed a second factor.
    pub require_mfa: MfaRequirement,
    /// Where members and keys may act from (CIDR ranges); empty: anywhere.
    pub allowed_ips: Vec<String>,
}

impl Default for SecurityRecord {
    fn default() -> Self {
        SecurityRecord {
            require_mfa: MfaRequirement::None,
            allowed_ips: Vec::new(),
        }
    }
}

impl SecurityRecord {
    /// The requirements with the ranges written back in their canonical form.
    pub fn new(require_mfa: MfaRequirement, networks: &Networks) -> Self {
        SecurityRecord {
            require_mfa,
            allowed_ips: networks.to_strings(),
        }
    }
}

impl Store {
    /// An account's security requirements; `404` for an unknown account.
    pub async fn security(&self, account: &AccountId) -> Result<SecurityRecord> {
        self.bounded(security_on(&self.pool, account)).await
    }

    /// Replaces an account's security requirements (`security.put`), or, with `reset`, puts
    /// back the defaults (`security.reset`, for staff).
    pub async fn put_security(
        &self,
        auth: &Authorized,
        account: &AccountId,
        settings: SecurityRecord,
        reset: bool,
    ) -> Result<Written<SecurityRecord>> {
        let mut tx = self.begin_guarded(auth, Some(account)).await?;
        let before = security_on(&mut *tx, account).await?;
        sqlx::query(
            "update account set require_mfa = $2, allowed_ips = $3, updated_at = $4 where account_id = $1",
        )
        .bind(account.as_str())
        .bind(settings.require_mfa.as_str())
        .bind(json!(settings.allowed_ips).to_string())
        .bind(self.now())
        .execute(&mut *tx)
        .await?;
        let change = Change {
            at: self.now(),
            account: Some(account.as_str()),
            actor: auth.actor(),
            action: if reset {
                "security.reset"
            } else {
                "security.put"
            },
            target: format!("account:{account}"),
            before: Some(json!(before)),
            after: Some(json!(settings)),
        };
        record(&mut tx, change).await?;
        tx.touch(Revisioned::Account(account.to_string()));
        tx.written(settings).await
    }
}

/// The requirements as stored; as the checks do (fail closed), an unreadable requirement
/// reads as `all` and unreadable ranges as one that admits nothing, shown as such.
fn stored(require_mfa: &str, allowed_ips: &str) -> SecurityRecord {
    let ranges: Option<Vec<String>> = serde_json::from_str(allowed_ips).ok();
    SecurityRecord {
        require_mfa: MfaRequirement::stored(require_mfa),
        allowed_ips: ranges.unwrap_or_else(|| vec!["unreadable (admits no address)".to_owned()]),
    }
}

/// The requirements, read through any connection (the pool, or a write transaction).
async fn security_on<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    account: &AccountId,
) -> Result<SecurityRecord> {
    let row: Option<(String, String)> =
        sqlx::query_as("select require_mfa, allowed_ips from account where account_id = $1")
            .bind(account.as_str())
            .fetch_optional(executor)
            .await?;
    row.map(|(mfa, ips)| stored(&mfa, &ips))
        .ok_or_else(|| Error::NotFound(format!("account {account}")))
}
