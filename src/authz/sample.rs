//! The sample resource an action is asked about when the question is "what may this member
//! do with their account's things in general": the console's matrix (and its draft preview)
//! and the impact of a policy diff ask the same question, so they pick the resource here,
//! once.
//!
//! The account itself when the action applies to it; else a resource with id [`SAMPLE_ID`]
//! of the first account-scoped type (by name) whose rows the store does not need (an
//! invitation or a contact must exist to be asked about, and a sample one does not).

use cedar_policy::{EntityId, EntityTypeName, EntityUid};

use super::PolicyBundle;
use crate::domain::AccountId;

/// The id of the sample invoice, order or service an action is asked about.
pub const SAMPLE_ID: &str = "sample";

/// The resource of `account` that action `action_id` is asked about, or `None` when the
/// action is not one on an account's things (or not a requestable action).
pub(super) fn sample_resource(
    bundle: &PolicyBundle,
    action_id: &str,
    account: &AccountId,
) -> Option<EntityUid> {
    let (_, types) = bundle.action(action_id)?;
    let core = bundle.types();
    if types.contains(&core.account) {
        return Some(EntityUid::from_type_name_and_id(
            core.account.clone(),
            EntityId::new(account.as_str()),
        ));
    }
    let mut candidates: Vec<&EntityTypeName> = types
        .iter()
        .filter(|ty| {
            bundle.is_account_scoped(ty) && **ty != core.invitation && **ty != core.contact
        })
        .collect();
    candidates.sort_by_key(|ty| ty.to_string());
    let ty = candidates.first()?;
    Some(EntityUid::from_type_name_and_id(
        (*ty).clone(),
        EntityId::new(SAMPLE_ID),
    ))
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_account_when_it_applies_else_a_sample_of_the_accounts_things() {
        let bundle = crate::authz::fixtures::shipped();
        let account = "acct-1".parse().unwrap();
        let sample = |action| {
            bundle
                .sample_resource(action, &account)
                .map(|r| r.to_string())
        };
        assert_eq!(
            sample("listInvoices").as_deref(),
            Some("Account::\"acct-1\"")
        );
        assert_eq!(
            sample("viewContacts").as_deref(),
            Some("Account::\"acct-1\"")
        );
        assert_eq!(sample("payInvoice").as_deref(), Some("Invoice::\"sample\""));
        assert_eq!(
            sample("manageService").as_deref(),
            Some("Service::\"sample\"")
        );
        // Invitations must exist to be asked about; user records belong to no account.
        assert_eq!(sample("acceptInvitation"), None);
        assert_eq!(sample("viewUser"), None);
    }
}
