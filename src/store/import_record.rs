//! The records an import hands over, by kind, and the one planned change of each: what the
//! use case plans and [`super::import`] writes and audits.

use std::collections::BTreeMap;

use serde::Serialize;

/// A person who can log in, as imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedUser {
    pub id: String,
    pub email: String,
    pub display_name: String,
}

/// A billed customer, as imported: `status` is `active` or `closed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedAccount {
    pub id: String,
    pub name: String,
    pub status: String,
    pub owner: String,
}

/// A user's place on an account: role `admin` for the owner, `member` for the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedMember {
    pub account: String,
    pub user: String,
    pub role: String,
    /// Sorted, without repeats.
    pub grants: Vec<String>,
    /// Roles the membership names: none from WHMCS, so an import clears any given since.
    pub roles: Vec<String>,
}

/// Someone who receives an account's mail on the topics named, and cannot log in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedContact {
    pub id: String,
    pub account: String,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    /// Sorted, without repeats.
    pub topics: Vec<String>,
}

/// Everything of one import's kind, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    pub users: BTreeMap<String, ImportedUser>,
    pub accounts: BTreeMap<String, ImportedAccount>,
    pub members: BTreeMap<(String, String), ImportedMember>,
    pub contacts: BTreeMap<String, ImportedContact>,
}

/// One planned change. A put carries the record as stored (`None`: new) and as it is to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportChange {
    PutUser(Option<ImportedUser>, ImportedUser),
    PutAccount(Option<ImportedAccount>, ImportedAccount),
    PutMember(Option<ImportedMember>, ImportedMember),
    /// A membership the other system no longer grants.
    RevokeMember(ImportedMember),
    PutContact(Option<ImportedContact>, ImportedContact),
    /// A contact the other system no longer has.
    RemoveContact(ImportedContact),
}

/// The audit row's account, target, before and after for a change.
pub(super) fn described(
    change: &ImportChange,
) -> (
    Option<&str>,
    String,
    Option<serde_json::Value>,
    Option<serde_json::Value>,
) {
    fn value<T: Serialize>(record: Option<&T>) -> Option<serde_json::Value> {
        record.and_then(|r| serde_json::to_value(r).ok())
    }
    match change {
        ImportChange::PutUser(before, after) => (
            None,
            format!("user:{}", after.id),
            value(before.as_ref()),
            value(Some(after)),
        ),
        ImportChange::PutAccount(before, after) => (
            Some(after.id.as_str()),
            format!("account:{}", after.id),
            value(before.as_ref()),
            value(Some(after)),
        ),
        ImportChange::PutMember(before, after) => (
            Some(after.account.as_str()),
            format!("user:{}", after.user),
            value(before.as_ref()),
            value(Some(after)),
        ),
        ImportChange::RevokeMember(before) => (
            Some(before.account.as_str()),
            format!("user:{}", before.user),
            value(Some(before)),
            None,
        ),
        ImportChange::PutContact(before, after) => (
            Some(after.account.as_str()),
            format!("contact:{}", after.id),
            value(before.as_ref()),
            value(Some(after)),
        ),
        ImportChange::RemoveContact(before) => (
            Some(before.account.as_str()),
            format!("contact:{}", before.id),
            value(Some(before)),
            None,
        ),
    }
}
