//! Opening a store: the backend from the URL, the pool and its per-connection settings
//! (WAL and foreign keys on SQLite, a lock timeout on PostgreSQL), the migrations, and on
//! SQLite the writer lock and the read connections.

use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{ConnectOptions, Executor};
use tokio::sync::Mutex;

use super::{file, migrate, reader, Backend, Clock, Store};

/// The longest wait for a database connection unless configured otherwise: 3 s.
pub const DEFAULT_DATABASE_TIMEOUT: Duration = Duration::from_secs(3);

impl Store {
    /// Creates the PostgreSQL database `url` names when it does not exist (`true` when it
    /// created one). A SQLite file is created by [`Store::open`] itself.
    pub async fn create_database(url: &str) -> anyhow::Result<bool> {
        use sqlx::migrate::MigrateDatabase;
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Ok(false);
        }
        if sqlx::Postgres::database_exists(url).await? {
            return Ok(false);
        }
        sqlx::Postgres::create_database(url).await?;
        Ok(true)
    }

    /// Connects (creating a missing SQLite file) and applies the migrations.
    pub async fn open(url: &str) -> anyhow::Result<Store> {
        Store::open_with(url, DEFAULT_DATABASE_TIMEOUT).await
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
        let wait_ms = acquire_timeout.as_millis().max(1);
        let mut pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(acquire_timeout)
            // The pool already pings every connection handed back, and closes one that does
            // not answer; a second ping before each use would cost a round trip per query.
            .test_before_acquire(false)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    let setup = match backend {
                        Backend::Sqlite => format!("pragma journal_mode = wal; pragma synchronous = normal; pragma foreign_keys = on; pragma busy_timeout = {wait_ms};"),
                        Backend::Postgres => format!("set lock_timeout = {wait_ms}"),
                    };
                    conn.execute(setup.as_str()).await?;
                    Ok(())
                })
            });
        if backend == Backend::Sqlite {
            // Connections are opened by path: one opened after the file was deleted would
            // create an empty database there. Keep the ones opened at start.
            pool = pool
                .idle_timeout(None)
                .max_lifetime(None)
                .min_connections(1);
        }
        let pool = pool.connect_with(options).await?;
        migrate::migrate(&pool, backend).await?;
        let identity = migrate::identity(&pool).await?.into();
        let writer = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        let file = match backend {
            Backend::Sqlite => file::DatabaseFile::of_url(&url).map(Arc::new),
            Backend::Postgres => None,
        };
        // One read connection per thread that may run a check at once.
        let readers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
        let reader = file
            .as_ref()
            .map(|file| reader::SqliteReader::open(file.path(), readers, acquire_timeout))
            .transpose()?
            .map(Arc::new);
        Ok(Store {
            pool,
            backend,
            file,
            wait: acquire_timeout,
            writer,
            reader,
            identity,
            clock: Clock::default(),
        })
    }
}
