//! WHMCS's records as Portier's: the accounts, users, memberships and contacts an import is
//! to leave behind, each keeping its WHMCS id under a prefix (`whmcs-c12` for client 12,
//! `whmcs-u7` for user 7, `whmcs-ct3` for contact 3), and a report line for everything that
//! could not be mapped — never dropped silently.

use std::collections::{BTreeMap, BTreeSet};

use super::mapping::{account_status, grant_for, Unmapped, PERMISSIONS, TOPICS};
use super::plan::Desired;
use super::source::{Contact, Link, WhmcsData};
use crate::domain::{Email, Name, Phone};
use crate::store::{ImportedAccount, ImportedContact, ImportedMember, ImportedUser};

/// The prefix of every id an import from WHMCS writes.
pub const PREFIX: &str = "whmcs-";

pub fn client_id(id: i64) -> String {
    format!("{PREFIX}c{id}")
}
pub fn user_id(id: i64) -> String {
    format!("{PREFIX}u{id}")
}
fn contact_id(id: i64) -> String {
    format!("{PREFIX}ct{id}")
}

/// The records WHMCS's data maps to, and the report of what did not map. `taken`: the users
/// who log in with each email now (a WHMCS user whose email another Portier user holds —
/// imported earlier under another id, or not imported — is reported, not imported).
pub fn map(
    data: &WhmcsData,
    declared: &BTreeSet<String>,
    taken: &BTreeMap<String, String>,
) -> (Desired, Vec<String>) {
    let mut desired = Desired::default();
    let mut report = Vec::new();
    let mut emails: BTreeMap<String, i64> = BTreeMap::new();
    for user in &data.users {
        let id = user_id(user.id);
        let email = match Email::try_from(user.email.clone()) {
            Ok(email) => email.as_str().to_owned(),
            Err(err) => {
                report.push(format!(
                    "user {}: {err}; not imported, nor its access",
                    user.id
                ));
                desired.keep_users.insert(id);
                continue;
            }
        };
        if let Some(holder) = taken.get(&email).filter(|holder| **holder != id) {
            report.push(format!("user {}: {email} already logs in as Portier user {holder}; not imported, nor its access", user.id));
            desired.keep_users.insert(id);
            continue;
        }
        if let Some(first) = emails.insert(email.clone(), user.id) {
            report.push(format!(
                "user {}: {email} is also user {first}'s login; not imported, nor its access",
                user.id
            ));
            desired.keep_users.insert(id);
            continue;
        }
        let display_name =
            person(&user.first_name, &user.last_name).unwrap_or_else(|| email.clone());
        desired.records.users.insert(
            id.clone(),
            ImportedUser {
                id,
                email,
                display_name,
            },
        );
    }
    let mut owners: BTreeMap<i64, &Link> = BTreeMap::new();
    for link in data.links.iter().filter(|l| l.owner != 0) {
        owners.entry(link.client_id).or_insert(link);
    }
    for client in &data.clients {
        let id = client_id(client.id);
        desired.present_accounts.insert(id.clone());
        let Some(status) = account_status(&client.status) else {
            report.push(format!(
                "client {}: status {:?} is not Active, Inactive or Closed; not imported",
                client.id, client.status
            ));
            desired.keep_accounts.insert(id);
            continue;
        };
        let owner = owners.get(&client.id).map(|l| user_id(l.auth_user_id));
        let Some(owner) = owner.filter(|o| desired.records.users.contains_key(o)) else {
            report.push(format!("client {}: no owner among the imported users (tblusers_clients.owner); not imported", client.id));
            desired.keep_accounts.insert(id);
            continue;
        };
        let name = Name::try_from(client.companyname.clone())
            .ok()
            .map(String::from)
            .or_else(|| person(&client.firstname, &client.lastname))
            .unwrap_or_else(|| format!("WHMCS client {}", client.id));
        let account = ImportedAccount {
            id: id.clone(),
            name,
            status: status.to_owned(),
            owner,
        };
        desired.records.accounts.insert(id, account);
    }
    map_links(data, declared, &mut desired, &mut report);
    map_contacts(&data.contacts, &mut desired, &mut report);
    (desired, report)
}

/// Memberships from `tblusers_clients`; unmapped permission keys reported once each, with
/// how many links held them.
fn map_links(
    data: &WhmcsData,
    declared: &BTreeSet<String>,
    desired: &mut Desired,
    report: &mut Vec<String>,
) {
    let mut unmapped: BTreeMap<(String, Unmapped), (usize, String)> = BTreeMap::new();
    for link in &data.links {
        let (account, user) = (client_id(link.client_id), user_id(link.auth_user_id));
        let Some(owner) = desired
            .records
            .accounts
            .get(&account)
            .map(|a| a.owner.clone())
        else {
            if !desired.present_accounts.contains(&account) {
                report.push(format!("a link of user {} names client {}, which tblclients does not have; not imported", link.auth_user_id, link.client_id));
            }
            continue;
        };
        if !desired.records.users.contains_key(&user) {
            if !desired.keep_users.contains(&user) {
                report.push(format!(
                    "a link to client {} names user {}, which tblusers does not have; not imported",
                    link.client_id, link.auth_user_id
                ));
            }
            continue;
        }
        let role = if owner == user { "admin" } else { "member" };
        if link.owner != 0 && role == "member" {
            report.push(format!(
                "client {} has more than one owner link; user {} is imported as a member",
                link.client_id, link.auth_user_id
            ));
        }
        let mut grants = BTreeSet::new();
        if role == "member" {
            for key in link
                .permissions
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
            {
                match grant_for(key, declared) {
                    Ok(grant) => {
                        grants.insert(grant.to_owned());
                    }
                    Err(why) => {
                        let seen = unmapped
                            .entry((key.to_owned(), why))
                            .or_insert((0, String::new()));
                        seen.0 += 1;
                        if seen.1.is_empty() {
                            seen.1 =
                                format!("user {} on client {}", link.auth_user_id, link.client_id);
                        }
                    }
                }
            }
        }
        let member = ImportedMember {
            account: account.clone(),
            user: user.clone(),
            role: role.to_owned(),
            grants: grants.into_iter().collect(),
            roles: Vec::new(),
        };
        desired
            .records
            .members
            .entry((account, user))
            .or_insert(member);
    }
    for ((key, why), (count, example)) in unmapped {
        let label = PERMISSIONS
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, label, _)| *label);
        let reason = match (why, label) {
            (Unmapped::UnknownKey, _) => "WHMCS 8 has no such permission".to_owned(),
            (Unmapped::NoGrant, Some(label)) => {
                format!("{label}: Portier has no grant that narrow")
            }
            (Unmapped::NotDeclared(grant), Some(label)) => {
                format!("{label}: would be grant {grant}, which the schema does not declare")
            }
            (_, None) => "unknown".to_owned(),
        };
        report.push(format!(
            "permission {key} ({reason}): not granted on {count} link(s), e.g. {example}"
        ));
    }
}

/// Contacts from `tblcontacts`, their email preferences as topics.
fn map_contacts(contacts: &[Contact], desired: &mut Desired, report: &mut Vec<String>) {
    let (mut affiliate, mut subaccounts) = (0, 0);
    for contact in contacts {
        let account = client_id(contact.userid);
        if !desired.records.accounts.contains_key(&account) {
            if !desired.keep_accounts.contains(&account) {
                report.push(format!(
                    "contact {}: its client {} is not in WHMCS; not imported",
                    contact.id, contact.userid
                ));
            }
            continue;
        }
        let email = match Email::try_from(contact.email.clone()) {
            Ok(email) => email.as_str().to_owned(),
            Err(err) => {
                report.push(format!("contact {}: {err}; not imported", contact.id));
                continue;
            }
        };
        let phone = match contact.phonenumber.trim() {
            "" => None,
            raw => match Phone::try_from(raw.to_owned()) {
                Ok(phone) => Some(String::from(phone)),
                Err(err) => {
                    report.push(format!(
                        "contact {}: {err}; imported without it",
                        contact.id
                    ));
                    None
                }
            },
        };
        let flags = [
            contact.generalemails,
            contact.invoiceemails,
            contact.supportemails,
            contact.productemails,
            contact.domainemails,
            contact.affiliateemails,
        ];
        let mut topics: Vec<String> = TOPICS
            .iter()
            .zip(flags)
            .filter(|(_, on)| *on != 0)
            .filter_map(|((_, topic), _)| topic.map(str::to_owned))
            .collect();
        topics.sort();
        affiliate += usize::from(contact.affiliateemails != 0);
        subaccounts += usize::from(contact.subaccount != 0);
        let name = person(&contact.firstname, &contact.lastname).unwrap_or_else(|| email.clone());
        let id = contact_id(contact.id);
        desired.records.contacts.insert(
            id.clone(),
            ImportedContact {
                id,
                account,
                name,
                email,
                phone,
                topics,
            },
        );
    }
    if affiliate > 0 {
        report.push(format!("affiliate emails: Portier has no such mail topic; {affiliate} contact(s) asked for them"));
    }
    if subaccounts > 0 {
        report.push(format!("{subaccounts} contact(s) were sub-accounts before WHMCS 8: imported as contacts, which cannot log in (logins are tblusers)"));
    }
}

/// "First Last" when it makes a valid name.
fn person(first: &str, last: &str) -> Option<String> {
    Name::try_from(format!("{} {}", first.trim(), last.trim()))
        .ok()
        .map(String::from)
}
