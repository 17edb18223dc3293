//! Table `contact`: people who receive an account's mail by topic but cannot log in, and the
//! recipients query that joins them with the members who opted in.

use serde_json::json;

use super::audit::{record, Change};
use super::guard::Authorized;
use super::revisions::{Revisioned, Written};
use super::{json_list, Store, WriteTx};
use crate::domain::{AccountId, ContactId, Email, Name, Phone, Timestamp, Topic};
use crate::error::{Error, Result};

/// A contact as stored and shown.
// Serialized only into the audit trail's `before`/`after`; the API has its own types.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ContactRecord {
    /// Portier's id for it.
    pub id: String,
    /// The account it belongs to.
    pub account_id: String,
    /// Full name.
    pub name: String,
    /// Where mail goes.
    pub email: String,
    /// Phone number.
    pub phone: Option<String>,
    /// Mail topics the contact opted into.
    pub preferences: Vec<String>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct ContactRow {
    contact_id: String,
    account_id: String,
    name: String,
    email: String,
    phone: Option<String>,
    topics: String,
    created_at: i64,
    updated_at: i64,
}

impl From<ContactRow> for ContactRecord {
    fn from(row: ContactRow) -> Self {
        ContactRecord {
            id: row.contact_id,
            account_id: row.account_id,
            name: row.name,
            email: row.email,
            phone: row.phone,
            preferences: json_list(&row.topics),
            created_at: row.created_at.into(),
            updated_at: row.updated_at.into(),
        }
    }
}

/// `POST /v1/accounts/{id}/contacts`.
#[derive(Debug, Clone)]
pub struct NewContact {
    /// Full name.
    pub name: Name,
    /// Where mail goes.
    pub email: Email,
    /// Phone number.
    pub phone: Option<Phone>,
    /// Topics opted into (none by default).
    pub preferences: Vec<Topic>,
}

/// `PATCH /v1/accounts/{id}/contacts/{cid}`: only the fields present change.
#[derive(Debug, Clone, Default)]
pub struct ContactPatch {
    /// New name.
    pub name: Option<Name>,
    /// New email.
    pub email: Option<Email>,
    /// New phone; `null` clears it.
    pub phone: Option<Option<Phone>>,
    /// New topics (replaces the list).
    pub preferences: Option<Vec<Topic>>,
}

/// Topics as stored: a sorted JSON array of names.
pub(super) fn topics_json(topics: &[Topic]) -> String {
    let mut names: Vec<&str> = topics.iter().map(|t| t.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    json!(names).to_string()
}

const COLUMNS: &str = "contact_id, account_id, name, email, phone, topics, created_at, updated_at";

impl Store {
    /// Adds a contact to an account; `404` for an unknown account.
    pub async fn create_contact(
        &self,
        auth: &Authorized,
        account: &AccountId,
        new: NewContact,
    ) -> Result<Written<ContactRecord>> {
        let now = self.now();
        let id = uuid::Uuid::now_v7().to_string();
        let actor = auth.actor();
        let mut tx = self.begin_guarded(auth, Some(account)).await?;
        let row = sqlx::query_as::<_, ContactRow>(&format!(
            "insert into contact ({COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $7) returning {COLUMNS}"
        ))
        .bind(&id)
        .bind(account.as_str())
        .bind(new.name.as_str())
        .bind(new.email.as_str())
        .bind(new.phone.map(String::from))
        .bind(topics_json(&new.preferences))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => Error::NotFound(format!("account {account}")),
            _ => Error::from(e),
        })?;
        let contact = ContactRecord::from(row);
        let change = Change {
            at: now,
            account: Some(account.as_str()),
            actor,
            action: "contact.create",
            target: format!("contact:{id}"),
            before: None,
            after: Some(json!(contact)),
        };
        record(&mut tx, change).await?;
        tx.touch(Revisioned::Account(account.to_string()));
        tx.written(contact).await
    }

    /// An account's contacts, by name.
    pub async fn contacts(&self, account: &AccountId) -> Result<Vec<ContactRecord>> {
        self.bounded(async {
            let rows = sqlx::query_as::<_, ContactRow>(&format!(
                "select {COLUMNS} from contact where account_id = $1 order by name, contact_id"
            ))
            .bind(account.as_str())
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.into_iter().map(ContactRecord::from).collect())
        })
        .await
    }

    /// One contact of an account, if it exists there.
    pub async fn contact(
        &self,
        account: &AccountId,
        id: &ContactId,
    ) -> Result<Option<ContactRecord>> {
        self.bounded(async {
            let row = sqlx::query_as::<_, ContactRow>(&format!(
                "select {COLUMNS} from contact where account_id = $1 and contact_id = $2"
            ))
            .bind(account.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.map(ContactRecord::from))
        })
        .await
    }

    /// Applies a patch; `404` when the contact is not in the account.
    pub async fn update_contact(
        &self,
        auth: &Authorized,
        account: &AccountId,
        id: &ContactId,
        patch: ContactPatch,
    ) -> Result<Written<ContactRecord>> {
        let now = self.now();
        let actor = auth.actor();
        let mut tx = self.begin_guarded(auth, Some(account)).await?;
        let before = contact_in(&mut tx, account, id).await?;
        let phone = match patch.phone {
            Some(value) => value.map(String::from),
            None => before.phone.clone(),
        };
        let topics = match &patch.preferences {
            Some(topics) => topics_json(topics),
            None => json!(before.preferences).to_string(),
        };
        let row = sqlx::query_as::<_, ContactRow>(&format!(
            "update contact set name = $3, email = $4, phone = $5, topics = $6, updated_at = $7 where account_id = $1 and contact_id = $2 returning {COLUMNS}"
        ))
        .bind(account.as_str())
        .bind(id.as_str())
        .bind(patch.name.as_ref().map_or(before.name.as_str(), Name::as_str))
        .bind(patch.email.as_ref().map_or(before.email.as_str(), Email::as_str))
        .bind(phone)
        .bind(topics)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let after = ContactRecord::from(row);
        let change = Change {
            at: now,
            account: Some(account.as_str()),
            actor,
            action: "contact.update",
            target: format!("contact:{id}"),
            before: Some(json!(before)),
            after: Some(json!(after)),
        };
        record(&mut tx, change).await?;
        tx.written(after).await
    }

    /// Deletes a contact; `404` when it is not in the account.
    pub async fn delete_contact(
        &self,
        auth: &Authorized,
        account: &AccountId,
        id: &ContactId,
    ) -> Result<Written<()>> {
        let now = self.now();
        let actor = auth.actor();
        let mut tx = self.begin_guarded(auth, Some(account)).await?;
        let before = contact_in(&mut tx, account, id).await?;
        sqlx::query("delete from contact where account_id = $1 and contact_id = $2")
            .bind(account.as_str())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        let change = Change {
            at: now,
            account: Some(account.as_str()),
            actor,
            action: "contact.delete",
            target: format!("contact:{id}"),
            before: Some(json!(before)),
            after: None,
        };
        record(&mut tx, change).await?;
        tx.touch(Revisioned::Account(account.to_string()));
        tx.written(()).await
    }
}

/// One contact of an account, read inside a write transaction; `404` when not there.
async fn contact_in(
    tx: &mut WriteTx,
    account: &AccountId,
    id: &ContactId,
) -> Result<ContactRecord> {
    let sql = format!("select {COLUMNS} from contact where account_id = $1 and contact_id = $2");
    let row = sqlx::query_as::<_, ContactRow>(&sql)
        .bind(account.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    row.map(ContactRecord::from)
        .ok_or_else(|| Error::NotFound(format!("contact {id}")))
}
