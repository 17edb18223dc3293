//! Imports from another system: `portier import whmcs`. An import reads the source, maps it
//! onto Portier's records ([`whmcs`], by the tables of [`mapping`]), plans the changes from
//! what earlier imports wrote ([`plan`]) and, unless it is a dry run, writes them in one
//! transaction, each audited as `import.whmcs` and each invalidating what it touched.

mod mapping;
mod plan;
mod source;
mod whmcs;

use std::fmt;

use super::App;
use crate::domain::Email;
use crate::store::ImportChange;

pub use mapping::{PERMISSIONS, TOPICS};
pub use whmcs::PREFIX;

/// The audit action of every change an import from WHMCS writes.
pub const AUDIT_ACTION: &str = "import.whmcs";

/// What an import read, planned, wrote (or would write) and could not map.
#[derive(Debug, Clone)]
pub struct ImportReport {
    /// What was read, e.g. `3 clients, 5 users, 6 links, 4 contacts`.
    pub read: String,
    pub changes: Vec<ImportChange>,
    /// One line per record or permission that did not map.
    pub unmapped: Vec<String>,
    /// Whether the changes were written (`false`: a dry run).
    pub written: bool,
}

/// Imports the WHMCS 8 database at `from` (`mysql://…`) into `app`'s store.
pub async fn import_whmcs(app: &App, from: &str, dry_run: bool) -> anyhow::Result<ImportReport> {
    let data = source::read(from)
        .await
        .map_err(|e| anyhow::anyhow!("reading WHMCS: {e}"))?;
    let emails: Vec<String> = data
        .users
        .iter()
        .filter_map(|u| Email::try_from(u.email.clone()).ok())
        .map(String::from)
        .collect();
    let taken = app.store().email_holders(&emails).await?;
    let (desired, unmapped) = whmcs::map(&data, app.bundle().grants(), &taken);
    let current = app.store().imported(PREFIX).await?;
    let changes = plan::plan(&current, &desired);
    let written = !dry_run && !changes.is_empty();
    if written {
        // Not bounded like a portal's write: an import of many clients is one long transaction.
        let (_, touched) = app
            .store()
            .apply_import(AUDIT_ACTION, &changes)
            .await?
            .into_parts();
        app.checker().changed(&touched).await;
    }
    Ok(ImportReport {
        read: format!(
            "{} clients, {} users, {} links, {} contacts",
            data.clients.len(),
            data.users.len(),
            data.links.len(),
            data.contacts.len()
        ),
        changes,
        unmapped,
        written,
    })
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "read from WHMCS: {}", self.read)?;
        for change in &self.changes {
            writeln!(f, "  {}", describe(change))?;
        }
        let verb = if self.written {
            "written"
        } else if self.changes.is_empty() {
            "nothing to change"
        } else {
            "dry run: nothing written"
        };
        writeln!(f, "{} change(s); {verb}", self.changes.len())?;
        if !self.unmapped.is_empty() {
            writeln!(f, "not mapped ({}):", self.unmapped.len())?;
            for line in &self.unmapped {
                writeln!(f, "  {line}")?;
            }
        }
        Ok(())
    }
}

/// One line for a change: `+` new, `~` changed, `-` revoked or removed.
fn describe(change: &ImportChange) -> String {
    let sign = |before: bool| if before { "~" } else { "+" };
    match change {
        ImportChange::PutUser(before, u) => format!(
            "{} user {} <{}> {:?}",
            sign(before.is_some()),
            u.id,
            u.email,
            u.display_name
        ),
        ImportChange::PutAccount(before, a) => format!(
            "{} account {} {:?} ({}, owner {})",
            sign(before.is_some()),
            a.id,
            a.name,
            a.status,
            a.owner
        ),
        ImportChange::PutMember(before, m) => {
            let was = before
                .as_ref()
                .map(|b| format!(" (was {} [{}])", b.role, b.grants.join(", ")))
                .unwrap_or_default();
            format!(
                "{} member {} on {}: {} [{}]{was}",
                sign(before.is_some()),
                m.user,
                m.account,
                m.role,
                m.grants.join(", ")
            )
        }
        ImportChange::RevokeMember(m) => format!(
            "- member {} on {}: access revoked (no longer in WHMCS)",
            m.user, m.account
        ),
        ImportChange::PutContact(before, c) => format!(
            "{} contact {} on {} <{}> [{}]",
            sign(before.is_some()),
            c.id,
            c.account,
            c.email,
            c.topics.join(", ")
        ),
        ImportChange::RemoveContact(c) => format!(
            "- contact {} on {}: removed (no longer in WHMCS)",
            c.id, c.account
        ),
    }
}
