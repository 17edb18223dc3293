//! Persistence through sqlx's `Any` driver, so one set of queries (`$1` placeholders, portable
//! SQL) serves the embedded SQLite file and PostgreSQL. One file per table; each write that
//! touches several rows is one transaction, and its audit row is written inside it.
//!
//! SQLite allows one writer at a time; writes take an in-process lock before `BEGIN` so two
//! transactions never fight for the file lock (a replica setup uses PostgreSQL instead).

mod acceptance;
mod accounts;
mod audit;
mod check;
mod contacts;
mod invitations;
mod memberships;
mod recipients;
mod services;
mod shapes;
mod users;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Connection, Executor};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use accounts::{AccountPatch, AccountRecord, NewAccount, UserAccount};
pub use audit::AuditEvent;
pub use check::{AccountFacts, CheckFacts, MembershipFacts, ResourceLookup, UserFacts};
pub use contacts::{ContactPatch, ContactRecord, NewContact};
pub use invitations::{InvitationRecord, NewInvitation};
pub use memberships::MemberRecord;
pub use recipients::Recipient;
pub use shapes::MembershipShape;
pub use users::{NewUser, UserPatch, UserRecord};

use crate::error::{Error, Result};

/// `migrations/`, the same SQL for SQLite and PostgreSQL.
static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!();

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
    writer: Option<Arc<Mutex<()>>>,
    clock: Clock,
}

/// Where the store reads the time: the system clock, or a manual one tests move forward.
#[derive(Clone, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    /// A clock at `start_ms` (Unix milliseconds) that moves only when told.
    pub fn manual(start_ms: i64) -> Clock {
        Clock(Some(Arc::new(AtomicI64::new(start_ms))))
    }

    /// Moves a manual clock forward (no effect on the system clock).
    pub fn advance(&self, by: Duration) {
        if let Some(now) = &self.0 {
            now.fetch_add(
                i64::try_from(by.as_millis()).unwrap_or(i64::MAX),
                Ordering::SeqCst,
            );
        }
    }

    /// Now, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        match &self.0 {
            Some(now) => now.load(Ordering::SeqCst),
            None => {
                let since = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
            }
        }
    }
}

impl Store {
    /// Connects (creating a missing SQLite file) and applies the migrations.
    pub async fn open(url: &str) -> anyhow::Result<Store> {
        Store::open_with(url, Duration::from_secs(3)).await
    }

    /// Like [`Store::open`], waiting at most `acquire_timeout` for a connection on each call;
    /// past it the call fails with `503`.
    pub async fn open_with(url: &str, acquire_timeout: Duration) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            anyhow::bail!("DATABASE_URL must start with sqlite: or postgres://");
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") && !url.contains(":memory:") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_owned(),
        };
        let options: AnyConnectOptions = url
            .parse::<AnyConnectOptions>()?
            .disable_statement_logging();
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(acquire_timeout)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("pragma journal_mode = wal; pragma synchronous = normal; pragma foreign_keys = on; pragma busy_timeout = 5000;").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        MIGRATIONS.run(&pool).await?;
        let writer = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Ok(Store {
            pool,
            backend,
            writer,
            clock: Clock::default(),
        })
    }

    /// The same store reading time from `clock`.
    pub fn with_clock(mut self, clock: Clock) -> Store {
        self.clock = clock;
        self
    }

    /// Now, by the store's clock, in Unix milliseconds.
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The database behind this store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        conn.ping().await?;
        Ok(())
    }

    /// Starts a write transaction (holding the SQLite writer lock until it ends).
    async fn begin_write(&self) -> Result<WriteTx> {
        let guard = match &self.writer {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        Ok(WriteTx {
            tx: self.pool.begin().await?,
            _guard: guard,
        })
    }
}

/// A write transaction; commits explicitly, rolls back when dropped.
struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _guard: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    async fn commit(self) -> Result<()> {
        self.tx.commit().await.map_err(Error::from)
    }
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
