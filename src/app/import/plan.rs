//! From what an import is to leave behind to the changes that get there: every record that
//! differs is put, every membership and contact the other system no longer has is revoked,
//! and an account it no longer has is closed (never deleted: its trail stays). Records the
//! import could not map are kept as they are, so a problem in the source never takes
//! access away. Running the same import twice plans nothing the second time.

use std::collections::BTreeSet;

use crate::store::{ImportChange, Imported, ImportedAccount};

/// What an import is to leave behind.
#[derive(Debug, Clone, Default)]
pub struct Desired {
    pub records: Imported,
    /// Every account the source has, mapped or not.
    pub present_accounts: BTreeSet<String>,
    /// Accounts the source has but could not be mapped: left untouched.
    pub keep_accounts: BTreeSet<String>,
    /// Users the source has but could not be mapped: their access is left untouched.
    pub keep_users: BTreeSet<String>,
}

/// The changes that turn `current` (what earlier imports wrote) into `desired`, in the
/// order they can be written: users, accounts, memberships, revocations, contacts.
pub fn plan(current: &Imported, desired: &Desired) -> Vec<ImportChange> {
    let wanted = &desired.records;
    let mut changes = Vec::new();
    for (id, user) in &wanted.users {
        if current.users.get(id) != Some(user) {
            changes.push(ImportChange::PutUser(
                current.users.get(id).cloned(),
                user.clone(),
            ));
        }
    }
    for (id, account) in &wanted.accounts {
        if current.accounts.get(id) != Some(account) {
            changes.push(ImportChange::PutAccount(
                current.accounts.get(id).cloned(),
                account.clone(),
            ));
        }
    }
    for (id, account) in &current.accounts {
        if !desired.present_accounts.contains(id) && account.status != "closed" {
            let closed = ImportedAccount {
                status: "closed".into(),
                ..account.clone()
            };
            changes.push(ImportChange::PutAccount(Some(account.clone()), closed));
        }
    }
    for (key, member) in &wanted.members {
        if current.members.get(key) != Some(member) {
            changes.push(ImportChange::PutMember(
                current.members.get(key).cloned(),
                member.clone(),
            ));
        }
    }
    for ((account, user), member) in &current.members {
        let decided = wanted.accounts.contains_key(account) && !desired.keep_users.contains(user);
        if decided
            && !wanted
                .members
                .contains_key(&(account.clone(), user.clone()))
        {
            changes.push(ImportChange::RevokeMember(member.clone()));
        }
    }
    for (id, contact) in &wanted.contacts {
        if current.contacts.get(id) != Some(contact) {
            changes.push(ImportChange::PutContact(
                current.contacts.get(id).cloned(),
                contact.clone(),
            ));
        }
    }
    for (id, contact) in &current.contacts {
        if !wanted.contacts.contains_key(id) && !desired.keep_accounts.contains(&contact.account) {
            changes.push(ImportChange::RemoveContact(contact.clone()));
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ImportedMember, ImportedUser};

    fn member(user: &str, grants: &[&str]) -> ImportedMember {
        ImportedMember {
            account: "whmcs-c1".into(),
            user: user.into(),
            role: "member".into(),
            grants: grants.iter().map(|g| g.to_string()).collect(),
            roles: Vec::new(),
        }
    }

    fn desired() -> Desired {
        let mut desired = Desired::default();
        let records = &mut desired.records;
        records.users.insert(
            "whmcs-u1".into(),
            ImportedUser {
                id: "whmcs-u1".into(),
                email: "o@example.com".into(),
                display_name: "O".into(),
            },
        );
        records.accounts.insert(
            "whmcs-c1".into(),
            ImportedAccount {
                id: "whmcs-c1".into(),
                name: "C".into(),
                status: "active".into(),
                owner: "whmcs-u1".into(),
            },
        );
        records.members.insert(
            ("whmcs-c1".into(), "whmcs-u2".into()),
            member("whmcs-u2", &["billing"]),
        );
        desired.present_accounts.insert("whmcs-c1".into());
        desired
    }

    #[test]
    fn a_second_run_plans_nothing_and_a_lost_grant_is_a_put() {
        let desired = desired();
        assert_eq!(plan(&Imported::default(), &desired).len(), 3);
        assert!(plan(&desired.records, &desired).is_empty());
        let mut fewer = desired.clone();
        fewer.records.members.insert(
            ("whmcs-c1".into(), "whmcs-u2".into()),
            member("whmcs-u2", &[]),
        );
        assert_eq!(
            plan(&desired.records, &fewer),
            [ImportChange::PutMember(
                Some(member("whmcs-u2", &["billing"])),
                member("whmcs-u2", &[])
            )]
        );
    }

    #[test]
    fn a_link_gone_is_revoked_unless_its_user_could_not_be_mapped() {
        let mut gone = desired();
        gone.records.members.clear();
        let current = desired().records;
        assert_eq!(
            plan(&current, &gone),
            [ImportChange::RevokeMember(member("whmcs-u2", &["billing"]))]
        );
        gone.keep_users.insert("whmcs-u2".into());
        assert!(plan(&current, &gone).is_empty());
    }

    #[test]
    fn an_account_gone_from_the_source_is_closed_once() {
        let current = desired().records;
        let plans = plan(&current, &Desired::default());
        assert!(
            matches!(&plans[..], [ImportChange::PutAccount(Some(_), after)] if after.status == "closed")
        );
    }
}
