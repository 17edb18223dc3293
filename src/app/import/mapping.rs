//! How WHMCS 8's records become Portier's, as one documented table each: permission keys to
//! grants (never wider: a key maps to a grant that allows no more than WHMCS did, or to
//! nothing), client statuses to account statuses, and contacts' email preferences to mail
//! topics. The README's "Importing from WHMCS" shows the same tables.

use std::collections::BTreeSet;

/// Every permission key of WHMCS 8's client area, what it allows there, and the grant that
/// allows no more in Portier (`None`: Portier has no grant that narrow).
pub const PERMISSIONS: [(&str, &str, Option<&str>); 13] = [
    ("profile", "Modify Master Account Profile", Some("profile")),
    ("contacts", "View & Manage Contacts", Some("contacts")),
    (
        "products",
        "View Products & Services",
        Some("services-view"),
    ),
    (
        "manageproducts",
        "View & Modify Product Passwords",
        Some("passwords"),
    ),
    ("productsso", "Perform Single Sign-On", None),
    ("domains", "View Domains", Some("domains-view")),
    ("managedomains", "Manage Domain Settings", Some("domains")),
    ("invoices", "View & Pay Invoices", Some("billing")),
    ("quotes", "View & Accept Quotes", None),
    ("tickets", "View & Open Support Tickets", Some("tickets")),
    ("affiliates", "View & Manage Affiliate Account", None),
    ("emails", "View Emails", None),
    (
        "orders",
        "Place New Orders/Upgrades/Cancellations",
        Some("orders"),
    ),
];

/// Why a permission key grants nothing in Portier.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unmapped {
    /// WHMCS 8 has no such key.
    UnknownKey,
    /// No Portier grant is as narrow.
    NoGrant,
    /// Its grant is not declared by the loaded schema.
    NotDeclared(&'static str),
}

/// The grant a WHMCS permission key becomes under a schema declaring `declared`.
pub fn grant_for(key: &str, declared: &BTreeSet<String>) -> Result<&'static str, Unmapped> {
    let (_, _, grant) = PERMISSIONS
        .iter()
        .find(|(name, _, _)| *name == key)
        .ok_or(Unmapped::UnknownKey)?;
    let grant = grant.ok_or(Unmapped::NoGrant)?;
    if declared.contains(grant) {
        Ok(grant)
    } else {
        Err(Unmapped::NotDeclared(grant))
    }
}

/// A client's status as an account's: Active and Inactive clients are active accounts (an
/// inactive client has no active product, yet its people still reach it), Closed is closed.
pub fn account_status(whmcs: &str) -> Option<&'static str> {
    match whmcs {
        "Active" | "Inactive" => Some("active"),
        "Closed" => Some("closed"),
        _ => None,
    }
}

/// A contact's email preference columns and the mail topic each becomes (`None`: Portier
/// has no such topic).
pub const TOPICS: [(&str, Option<&str>); 6] = [
    ("generalemails", Some("general")),
    ("invoiceemails", Some("billing")),
    ("supportemails", Some("support")),
    ("productemails", Some("services")),
    ("domainemails", Some("domains")),
    ("affiliateemails", None),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn a_view_only_key_never_becomes_a_grant_that_also_acts() {
        let today = declared(&[
            "billing",
            "services",
            "passwords",
            "orders",
            "contacts",
            "profile",
        ]);
        assert_eq!(
            grant_for("products", &today),
            Err(Unmapped::NotDeclared("services-view"))
        );
        assert_eq!(
            grant_for("domains", &today),
            Err(Unmapped::NotDeclared("domains-view"))
        );
        let wider = declared(&["services", "services-view"]);
        assert_eq!(grant_for("products", &wider), Ok("services-view"));
        assert_eq!(grant_for("invoices", &today), Ok("billing"));
        assert_eq!(grant_for("productsso", &today), Err(Unmapped::NoGrant));
        assert_eq!(grant_for("billing", &today), Err(Unmapped::UnknownKey));
    }

    #[test]
    fn statuses_map_and_unknown_ones_do_not() {
        assert_eq!(account_status("Inactive"), Some("active"));
        assert_eq!(account_status("Closed"), Some("closed"));
        assert_eq!(account_status("Fraud"), None);
    }
}
