//! An account's security requirements: the owner sets them (`manageSecurity`) and sees them
//! (`viewSecurity`); staff resets them (`resetSecurity`, staff-only by policy) for an owner
//! they locked out. Before a change is written, the policies are asked whether the very call
//! making it would still be allowed under it, so a typo in a range or a second factor the
//! owner has not passed is a `409` naming the field, not a locked account.

use crate::app::check::Target;
use crate::app::App;
use crate::domain::{AccountId, Actor, MfaRequirement, Networks};
use crate::error::{Error, Result};
use crate::store::SecurityRecord;

/// The forbids that name a missing requirement, and the field each one is about.
const LOCKOUT_FIELDS: [(&str, &str); 2] = [
    ("mfa-required", "require_mfa"),
    ("network-not-allowed", "allowed_ips"),
];

/// The account's requirements (`viewSecurity`).
pub async fn show(app: &App, actor: &Actor, account: &AccountId) -> Result<SecurityRecord> {
    app.checker()
        .authorize(actor, "viewSecurity", Target::Account(account))
        .await?;
    app.store().security(account).await
}

/// Replaces the account's requirements (`manageSecurity`): `400` for a range that is not one
/// (`allowed_ips[i]`), `409` naming the field when the call itself would be denied under the
/// new requirements.
pub async fn put(
    app: &App,
    actor: &Actor,
    account: &AccountId,
    require_mfa: MfaRequirement,
    allowed_ips: &[String],
) -> Result<SecurityRecord> {
    let networks = parse_networks(allowed_ips)?;
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "manageSecurity", Target::Account(account))
        .await?;
    let under_new = checker
        .what_if(actor, "manageSecurity", Target::Account(account), |facts| {
            if let Some(account) = facts.account.as_mut() {
                account.require_mfa = require_mfa;
                account.networks = networks.clone();
            }
        })
        .await?;
    if !under_new.allow {
        let field = LOCKOUT_FIELDS
            .iter()
            .find(|(policy, _)| under_new.reasons.iter().any(|r| r == policy))
            .map_or("require_mfa", |(_, field)| field);
        return Err(Error::Lockout {
            field: field.to_owned(),
            message: format!(
                "{field}: this call would not meet the new requirements, so saving them would \
                 lock its maker out; pass a second factor or act from an allowed network first"
            ),
            reasons: under_new.reasons,
        });
    }
    let settings = SecurityRecord::new(require_mfa, &networks);
    checker
        .write(app.store().put_security(&auth, account, settings, false))
        .await
}

/// Puts back the defaults, no requirement (`resetSecurity`, staff's).
pub async fn reset(app: &App, actor: &Actor, account: &AccountId) -> Result<SecurityRecord> {
    let checker = app.checker();
    let auth = checker
        .authorize(actor, "resetSecurity", Target::Account(account))
        .await?;
    let write = app
        .store()
        .put_security(&auth, account, SecurityRecord::default(), true);
    checker.write(write).await
}

/// The ranges as [`Networks`]; a `400` names the first one that is not a range.
fn parse_networks(ranges: &[String]) -> Result<Networks> {
    Networks::parse_each(ranges).map_err(|(at, message)| match at {
        Some(i) => Error::bad_field(format!("allowed_ips[{i}]"), message),
        None => Error::bad_field("allowed_ips", message),
    })
}
