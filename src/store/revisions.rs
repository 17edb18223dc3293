//! Data revisions, kept in the database: what a write touched, recorded in the write's own
//! transaction, and read back by every replica to invalidate its caches.
//!
//! A write transaction names the users and accounts it changes ([`WriteTx::touch`]); its
//! commit moves the revision clock forward by one and stores that revision for each of them
//! (table `data_revision`). The clock's row stays locked until the commit, so revisions
//! commit in the order they are numbered: a reader that has seen revision N has seen every
//! write numbered N or below. The write hands what it touched back as [`Written`], which
//! the caller must turn into cache invalidation; and because the record is durable before
//! the write is acknowledged, a replica that never heard of the write (Redis was away, the
//! writer crashed) still learns of it by reading [`Store::revisions_after`].

use sqlx::Row;

use super::{Store, WriteTx};
use crate::error::Result;

/// Something whose changes invalidate cached decisions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Revisioned {
    /// A user: status, memberships, grants.
    User(String),
    /// An account: status, owner, service assignments, invitations, contacts.
    Account(String),
    /// An API key: its own row, and everything about its creator (a key's decisions rest on
    /// both, so a write to a user names that user's keys too).
    ApiKey(String),
    /// A support agent: their row (role, existence). The consents they act under are their
    /// account's facts, under the account's revision.
    Agent(String),
}

impl Revisioned {
    /// The subject as stored in `data_revision`: `u:<id>`, `a:<id>`, `k:<id>` or `g:<id>`.
    fn stored(&self) -> String {
        match self {
            Revisioned::User(id) => format!("u:{id}"),
            Revisioned::Account(id) => format!("a:{id}"),
            Revisioned::ApiKey(id) => format!("k:{id}"),
            Revisioned::Agent(id) => format!("g:{id}"),
        }
    }

    /// The subject a stored name stands for.
    fn from_stored(text: &str) -> Option<Revisioned> {
        match text.split_once(':')? {
            ("u", id) => Some(Revisioned::User(id.to_owned())),
            ("a", id) => Some(Revisioned::Account(id.to_owned())),
            ("k", id) => Some(Revisioned::ApiKey(id.to_owned())),
            ("g", id) => Some(Revisioned::Agent(id.to_owned())),
            _ => None,
        }
    }
}

/// What a committed write touched, and the revision it was given (0: it touched nothing
/// a decision reads).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    /// The write's revision, stored for each subject.
    pub revision: u64,
    /// The users and accounts it changed.
    pub subjects: Vec<Revisioned>,
}

/// A write's result and what it touched. Its parts are private: the value is reached only
/// through [`Written::into_parts`], which hands over what was touched with it, so a caller
/// cannot take the one and drop the other unseen (the use-case layer's `Checker::write` is
/// the place that turns it into cache invalidation).
#[derive(Debug)]
#[must_use = "what a write touched must invalidate the caches"]
pub struct Written<T> {
    value: T,
    touched: Touched,
}

impl<T> Written<T> {
    pub(super) fn new(value: T, touched: Touched) -> Self {
        Written { value, touched }
    }

    /// What the write returns, and what it changed.
    pub fn into_parts(self) -> (T, Touched) {
        (self.value, self.touched)
    }
}

impl WriteTx {
    /// Names a subject this transaction changes; recorded when it commits.
    pub(super) fn touch(&mut self, subject: Revisioned) {
        if !self.touched.contains(&subject) {
            self.touched.push(subject);
        }
    }

    /// Commits, recording the revision of what the transaction touched in it first.
    pub(super) async fn commit(mut self) -> Result<Touched> {
        self.touch_creators_keys().await?;
        let subjects = std::mem::take(&mut self.touched);
        let mut revision = 0;
        if !subjects.is_empty() {
            // Last in the transaction, so the clock's row is held as briefly as possible.
            let row = sqlx::query(
                "update revision_clock set revision = revision + 1 where revision_clock_id = 1 returning revision",
            )
            .fetch_one(&mut *self.tx)
            .await?;
            revision = row.try_get::<i64, _>(0)?;
            for subject in &subjects {
                sqlx::query(
                    "insert into data_revision (subject, revision) values ($1, $2) \
                     on conflict (subject) do update set revision = excluded.revision",
                )
                .bind(subject.stored())
                .bind(revision)
                .execute(&mut *self.tx)
                .await?;
            }
        }
        self.tx.commit().await?;
        Ok(Touched {
            revision: u64::try_from(revision).unwrap_or(0),
            subjects,
        })
    }

    /// Names the keys of every user this transaction touches: what a key may do rests on what
    /// its creator may do, so whatever changes a user changes their keys' decisions.
    async fn touch_creators_keys(&mut self) -> Result<()> {
        let users: Vec<String> = self
            .touched
            .iter()
            .filter_map(|subject| match subject {
                Revisioned::User(id) => Some(id.clone()),
                _ => None,
            })
            .collect();
        for user in users {
            let keys: Vec<(String,)> = sqlx::query_as(
                "select api_key_id from api_key where created_by = $1 and revoked_at is null",
            )
            .bind(&user)
            .fetch_all(&mut *self.tx)
            .await?;
            for (key,) in keys {
                self.touch(Revisioned::ApiKey(key));
            }
        }
        Ok(())
    }

    /// Commits and pairs `value` with what the transaction touched.
    pub(super) async fn written<T>(self, value: T) -> Result<Written<T>> {
        let touched = self.commit().await?;
        Ok(Written::new(value, touched))
    }
}

impl Store {
    /// The revision of the last committed write (every write at or below it is visible).
    pub async fn revision_clock(&self) -> Result<u64> {
        self.bounded(async {
            let row =
                sqlx::query("select revision from revision_clock where revision_clock_id = 1")
                    .fetch_one(&self.pool)
                    .await?;
            Ok(u64::try_from(row.try_get::<i64, _>(0)?).unwrap_or(0))
        })
        .await
    }

    /// Up to `limit` subjects written after revision `after`, lowest revision first.
    pub async fn revisions_after(&self, after: u64, limit: i64) -> Result<Vec<(Revisioned, u64)>> {
        self.bounded(async {
            let rows = sqlx::query(
                "select subject, revision from data_revision where revision > $1 order by revision limit $2",
            )
            .bind(i64::try_from(after).unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
            let mut found = Vec::with_capacity(rows.len());
            for row in rows {
                let subject: String = row.try_get(0)?;
                let revision: i64 = row.try_get(1)?;
                if let Some(subject) = Revisioned::from_stored(&subject) {
                    found.push((subject, u64::try_from(revision).unwrap_or(0)));
                }
            }
            Ok(found)
        })
        .await
    }
}
