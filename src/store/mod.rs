//! Persistence through sqlx's `Any` driver, so one set of queries (`$1` placeholders, portable
//! SQL) serves the embedded SQLite file and PostgreSQL. One file per table; each write that
//! touches several rows is one transaction, and its audit row is written inside it, as is
//! the revision of what it touched (`revisions`): a write returns that as [`Written`].
//! Every wait for the database is bounded on Portier's side ([`Store::bounded`]).
//!
//! SQLite allows one writer at a time; writes take an in-process lock before `BEGIN` so two
//! transactions never fight for the file lock (a replica setup uses PostgreSQL instead).

mod acceptance;
mod accounts;
mod agent_facts;
mod agents;
mod api_key_facts;
mod api_keys;
mod audit;
pub mod backup;
mod check;
mod console;
mod contacts;
mod expiry;
mod file;
mod guard;
mod import;
mod import_record;
mod invitation_record;
mod invitations;
mod memberships;
mod migrate;
mod open;
mod reader;
mod recipients;
mod revisions;
mod roles;
mod search;
mod security;
mod services;
mod shapes;
mod support;
mod time;
pub mod transfer;
mod users;

use std::sync::Arc;
use std::time::Duration;

use sqlx::{AnyPool, Connection};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use accounts::{AccountPatch, AccountRecord, NewAccount, UserAccount};
pub use agent_facts::{BreakGlass, BREAK_GLASS_PER_HOUR};
pub use agents::{AgentPatch, AgentRecord, NewAgent};
pub use api_keys::{ApiKeyRecord, NewApiKey};
pub use audit::{AuditEvent, AuditScope};
pub use check::ResourceLookup;
pub use console::{Found, ServiceAssignment, FIND_LIMIT};
pub use contacts::{ContactPatch, ContactRecord, NewContact};
pub use guard::{Authorized, Basis};
pub use import_record::{
    ImportChange, Imported, ImportedAccount, ImportedContact, ImportedMember, ImportedUser,
};
pub use invitation_record::{InvitationRecord, NewInvitation};
pub use memberships::{MemberRecord, MembershipChange};
pub use open::DEFAULT_DATABASE_TIMEOUT;
pub use recipients::{MailCandidates, Recipient};
pub use revisions::{Revisioned, Touched, Written};
pub use roles::RoleRecord;
pub use search::{Candidate, Reachable, MAX_CANDIDATES};
pub use security::SecurityRecord;
pub use shapes::MembershipShape;
pub use support::{
    NewSupportAccess, SupportAccessRecord, MAX_SUPPORT_ACCESS_MS, MAX_SUPPORT_REASON_CHARS,
};
pub use time::Clock;
use time::{bounded, WRITE_WAITS};
pub use users::{NewUser, UserPatch, UserRecord};

use crate::domain::AccountId;
use crate::error::{Error, Result};

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded file; one process.
    Sqlite,
    /// Shared server; several replicas.
    Postgres,
}

/// The store: a connection pool, its clock and, for SQLite, the writer lock.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The SQLite file, watched for deletion or replacement.
    file: Option<Arc<file::DatabaseFile>>,
    /// The longest wait for a connection, the writer lock or a row lock.
    wait: Duration,
    writer: Option<Arc<Mutex<()>>>,
    /// SQLite: the check reads' own connections.
    reader: Option<Arc<reader::SqliteReader>>,
    /// The identity of the data (see [`Store::identity`]).
    identity: Arc<str>,
    clock: Clock,
}

impl Store {
    /// The same store reading time from `clock`.
    pub fn with_clock(mut self, clock: Clock) -> Store {
        self.clock = clock;
        self
    }

    /// Now, by the store's clock, in Unix milliseconds.
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// A check read through the SQLite reader, when there is one and a connection of it is
    /// free (`None`: read through the pool).
    fn reader<T>(
        &self,
        read: impl FnOnce(&reader::SqliteReader) -> Option<Result<T>>,
    ) -> Option<Result<T>> {
        self.reader.as_deref().and_then(read)
    }

    /// The identity of the data in this database: a random id chosen when it was first
    /// migrated. Caches shared by several databases (one Redis) keep each one's apart by it.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// `work`, bounded by the database timeout: a database that stops answering (a stalled
    /// connection as much as a refused one) is a `503` after that long, never a wait.
    pub async fn bounded<T>(
        &self,
        work: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        bounded(self.wait, work).await
    }

    /// A write, bounded as a whole: its waits (connection, writer lock, row locks) are each
    /// bounded by the database timeout, so the whole is bounded by a few of them.
    pub async fn bounded_write<T>(
        &self,
        work: impl std::future::Future<Output = Result<Written<T>>>,
    ) -> Result<Written<T>> {
        bounded(self.wait * WRITE_WAITS, work).await
    }

    /// Closes every connection (a transaction a failed write left open rolls back now, so a
    /// second store on the same SQLite file never holds its lock longer than needed).
    pub async fn close(&self) {
        // The read-only connections first: the last read-write connection to close then
        // checkpoints the WAL and removes the `-wal` and `-shm` files.
        if let Some(reader) = &self.reader {
            reader.close();
        }
        self.pool.close().await;
    }

    /// The database behind this store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database answers and, for SQLite, whether its file is still the one
    /// opened and takes a write (a real one, to a probe row).
    pub async fn ping(&self) -> Result<()> {
        self.bounded(async {
            if self.backend == Backend::Postgres {
                let mut conn = self.pool.acquire().await?;
                conn.ping().await?;
                return Ok(());
            }
            let mut tx = self.begin_write().await?;
            sqlx::query("update store_probe set probed_at = $1 where store_probe_id = 1")
                .bind(self.now())
                .execute(&mut *tx)
                .await?;
            tx.commit().await.map(drop)
        })
        .await
    }

    /// Starts a write transaction that applies `auth`: locks `account` (when the write
    /// touches one) and re-reads what the decision rested on (see [`Authorized`]).
    async fn begin_guarded(
        &self,
        auth: &Authorized,
        account: Option<&AccountId>,
    ) -> Result<WriteTx> {
        let mut tx = self.begin_write().await?;
        tx.guard(auth, account).await?;
        Ok(tx)
    }

    /// Starts a write transaction (holding the SQLite writer lock until it ends).
    async fn begin_write(&self) -> Result<WriteTx> {
        if let Some(file) = &self.file {
            file.check()?;
        }
        let guard = match &self.writer {
            Some(lock) => Some(
                tokio::time::timeout(self.wait, lock.clone().lock_owned())
                    .await
                    .map_err(|_| {
                        Error::Unavailable("the database is busy with other writes".into())
                    })?,
            ),
            None => None,
        };
        Ok(WriteTx {
            // SQLite: take the write lock at the start (waiting up to the busy timeout). A
            // deferred transaction that read first fails at once, without waiting, when another
            // connection to the file (another process's) committed in between.
            tx: self
                .bounded(async {
                    Ok(match self.backend {
                        Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
                        Backend::Postgres => self.pool.begin().await?,
                    })
                })
                .await?,
            touched: Vec::new(),
            backend: self.backend,
            now: self.now(),
            clock: self.clock.clone(),
            _guard: guard,
        })
    }
}

/// A write transaction; commits explicitly, rolls back when dropped.
struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    /// What the transaction changes, recorded at its commit (see [`revisions`]).
    touched: Vec<Revisioned>,
    backend: Backend,
    /// The store's clock once the transaction holds its locks (see [`WriteTx::guard`]):
    /// what time-based facts are judged by, so a wait for a lock never makes an expired
    /// membership or invitation look current.
    now: i64,
    clock: Clock,
    _guard: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    /// Locks a row until the transaction ends, so writes that read and then write what one
    /// invariant spans run one after the other: `for update` (or `for share`) on PostgreSQL;
    /// on SQLite the writer lock already makes every write transaction run alone.
    async fn lock(&mut self, table: Lockable, id: &str, exclusive: bool) -> Result<bool> {
        let (table, key) = match table {
            Lockable::Account => ("account", "account_id"),
            Lockable::User => ("app_user", "user_id"),
        };
        let mode = match (self.backend, exclusive) {
            (Backend::Sqlite, _) => "",
            (Backend::Postgres, true) => " for update",
            (Backend::Postgres, false) => " for share",
        };
        let sql = format!("select {key} from {table} where {key} = $1{mode}");
        let row: Option<(String,)> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row.is_some())
    }
}

/// Rows that serialize writes: an account (its owner, memberships, grants, assignments and
/// invitations) and a user (status, login email, existence).
#[derive(Debug, Clone, Copy)]
enum Lockable {
    Account,
    User,
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// A stored list of names (grants, topics): a JSON array.
fn json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}
