//! Check reads on the embedded SQLite file, done on the calling thread. sqlx runs every
//! SQLite query on its connection's own worker thread, and the hand-off there and back costs
//! far more than reading a few rows by primary key from SQLite's page cache; a check reads
//! only such rows. So checks read through a few read-only connections of their own, opened
//! at start (by path, like the pool's: see `Store::open_with`), with the same SQL and the same
//! row-to-facts code as every other reader (`check.rs`). In WAL mode a reader never waits
//! for the writer, and each read sees every commit made before it began.
//!
//! When every connection is in use the caller falls back to the pool, so a read never waits
//! here. Writes, and a write's re-read of its facts, stay on the pool's connections.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::api_key_facts::{KeyCheckRow, KeyFactsRow, KEY_FACTS_SQL};
use super::check::{
    FactsRow, ResourceLookup, ACCOUNT_ASSIGNMENTS_SQL, ASSIGNEES_SQL, CONTACT_SQL, FACTS_SQL,
    INVITATION_SQL,
};
use crate::domain::CheckFacts;
use crate::domain::{AccountId, ApiKeyId, UserId};
use crate::error::{sqlite_fault, Error, Result};

/// Idle read-only connections to the SQLite file.
pub(super) struct SqliteReader {
    idle: Mutex<Vec<Connection>>,
}

impl SqliteReader {
    /// `count` read-only connections to the file at `path`, each waiting at most `busy` for a
    /// lock SQLite takes briefly (a checkpoint).
    pub(super) fn open(path: &Path, count: usize, busy: Duration) -> anyhow::Result<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connections = (0..count)
            .map(|_| {
                let conn = Connection::open_with_flags(path, flags)?;
                conn.busy_timeout(busy)?;
                conn.set_prepared_statement_cache_capacity(8);
                Ok(conn)
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(SqliteReader {
            idle: Mutex::new(connections),
        })
    }

    /// Closes the idle connections (at shutdown; a read after it goes to the pool).
    pub(super) fn close(&self) {
        self.lock().clear();
    }

    /// Runs `read` on an idle connection; `None` when every connection is in use.
    fn with<T>(&self, read: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Option<Result<T>> {
        let conn = self.lock().pop()?;
        let outcome = read(&conn).map_err(fault);
        self.lock().push(conn);
        Some(outcome)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// As `check::facts_on`.
    pub(super) fn facts(
        &self,
        now: i64,
        user: Option<&UserId>,
        account: Option<&AccountId>,
        resource: ResourceLookup<'_>,
    ) -> Option<Result<CheckFacts>> {
        self.with(|conn| {
            let row = conn.prepare_cached(FACTS_SQL)?.query_row(
                (user.map(UserId::as_str), account.map(AccountId::as_str)),
                |row| facts_row(row, 0),
            )?;
            let resource = match account {
                Some(account) => resource_facts(conn, now, account, resource)?,
                None => CheckFacts::found(),
            };
            Ok(row.into_facts(now, user, resource))
        })
    }

    /// As `api_key_facts::key_facts_on`.
    pub(super) fn api_key_facts(
        &self,
        now: i64,
        id: &ApiKeyId,
        account: Option<&AccountId>,
        resource: ResourceLookup<'_>,
    ) -> Option<Result<CheckFacts>> {
        self.with(|conn| {
            let row = conn
                .prepare_cached(KEY_FACTS_SQL)?
                .query_row((id.as_str(), account.map(AccountId::as_str)), |row| {
                    Ok(KeyCheckRow {
                        key: KeyFactsRow {
                            key_account: row.get(0)?,
                            created_by: row.get(1)?,
                            key_grants: row.get(2)?,
                            allowed_ips: row.get(3)?,
                            key_expires_at: row.get(4)?,
                            revoked_at: row.get(5)?,
                        },
                        creator: facts_row(row, 6)?,
                    })
                })
                .optional()?;
            let Some(row) = row else {
                return Ok(CheckFacts::found());
            };
            let resource = match account {
                Some(account) => resource_facts(conn, now, account, resource)?,
                None => CheckFacts::found(),
            };
            Ok(row.into_facts(now, resource))
        })
    }

    /// As `check::resource_facts`.
    pub(super) fn resource_facts(
        &self,
        now: i64,
        account: &AccountId,
        resource: ResourceLookup<'_>,
    ) -> Option<Result<CheckFacts>> {
        self.with(|conn| resource_facts(conn, now, account, resource))
    }

    /// The rows of [`ACCOUNT_ASSIGNMENTS_SQL`], at most `limit`.
    pub(super) fn assignment_rows(
        &self,
        account: &AccountId,
        limit: i64,
    ) -> Option<Result<Vec<(String, String)>>> {
        self.with(|conn| {
            conn.prepare_cached(ACCOUNT_ASSIGNMENTS_SQL)?
                .query_map((account.as_str(), limit), |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })?
                .collect()
        })
    }
}

/// The columns of `check::FACTS_SQL`, from the one at `at` on.
fn facts_row(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<FactsRow> {
    Ok(FactsRow {
        user_status: row.get(at)?,
        user_email: row.get(at + 1)?,
        account_status: row.get(at + 2)?,
        owner_id: row.get(at + 3)?,
        account_mfa: row.get(at + 4)?,
        account_ips: row.get(at + 5)?,
        role: row.get(at + 6)?,
        grants: row.get(at + 7)?,
        member_roles: row.get(at + 8)?,
        account_roles: row.get(at + 9)?,
        expires_at: row.get(at + 10)?,
    })
}

fn resource_facts(
    conn: &Connection,
    now: i64,
    account: &AccountId,
    resource: ResourceLookup<'_>,
) -> rusqlite::Result<CheckFacts> {
    let mut facts = CheckFacts::found();
    let account = account.as_str();
    match resource {
        ResourceLookup::Nothing => {}
        ResourceLookup::Service(id) => {
            facts.assignees = conn
                .prepare_cached(ASSIGNEES_SQL)?
                .query_map((account, id), |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?;
        }
        ResourceLookup::Invitation(id) => {
            let row = conn
                .prepare_cached(INVITATION_SQL)?
                .query_row((account, id, now), |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()?;
            facts.take_invitation(row);
        }
        ResourceLookup::Contact(id) => {
            facts.resource_found = conn.prepare_cached(CONTACT_SQL)?.exists((account, id))?;
        }
    }
    Ok(facts)
}

/// A failed read: `503` when the file is in trouble or busy, else an internal error. Never
/// a decision.
fn fault(err: rusqlite::Error) -> Error {
    let code = match &err {
        rusqlite::Error::SqliteFailure(failure, _) => Some(failure.extended_code),
        _ => None,
    };
    match code.and_then(|code| sqlite_fault(i64::from(code))) {
        Some(problem) => {
            tracing::error!(error = %err, "database file fault");
            Error::Unavailable(format!("the database cannot be read: {problem}"))
        }
        None => Error::Internal(err.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAL file holding one value (1), its writer, and a reader of `count` connections.
    fn reader_of_value(dir: &tempfile::TempDir, count: usize) -> (Connection, SqliteReader) {
        let path = dir.path().join("reader.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "pragma journal_mode = wal; create table t (v integer); insert into t values (1);",
            )
            .unwrap();
        let reader = SqliteReader::open(&path, count, Duration::from_secs(1)).unwrap();
        (writer, reader)
    }

    fn value(reader: &SqliteReader) -> Option<Result<i64>> {
        reader.with(|conn| conn.query_row("select v from t", [], |row| row.get(0)))
    }

    #[test]
    fn each_read_sees_every_earlier_commit() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, reader) = reader_of_value(&dir, 2);
        assert_eq!(value(&reader).unwrap().unwrap(), 1);
        writer.execute("update t set v = 2", []).unwrap();
        assert_eq!(value(&reader).unwrap().unwrap(), 2);
    }

    #[test]
    fn a_busy_reader_sends_the_caller_elsewhere_and_gets_its_connection_back() {
        let dir = tempfile::tempdir().unwrap();
        let (_writer, reader) = reader_of_value(&dir, 1);
        let nested = reader.with(|_| Ok(value(&reader).is_none())).unwrap();
        assert!(nested.unwrap(), "the only connection was in use");
        assert_eq!(value(&reader).unwrap().unwrap(), 1);
    }

    #[test]
    fn connections_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let (_writer, reader) = reader_of_value(&dir, 1);
        let write = reader.with(|conn| conn.execute("update t set v = 3", []));
        assert!(write.unwrap().is_err());
        assert_eq!(value(&reader).unwrap().unwrap(), 1);
    }
}
