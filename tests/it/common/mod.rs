//! `TestApp`: a real Portier server on 127.0.0.1 (random port) over a fresh SQLite file,
//! with the repository's policies, driven over HTTP with typed helpers.
#![allow(dead_code)]

pub mod proxy;
pub mod served;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use portier::app::policies::LivePolicies;
use portier::app::{App, AppSettings, Running};
use portier::authz::PolicyFolders;
use portier::domain::Secret;
use portier::http::{self, AppState, Tokens};
use portier::store::Clock;
use reqwest::Method;
use serde_json::{json, Value};
use tokio::sync::oneshot;

pub const ADMIN_TOKEN: &str = "test-admin-token";
pub const CHECK_TOKEN: &str = "test-check-token";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub database_url: String,
    /// The server's clock: starts at the real time and moves only when a test advances it.
    pub clock: Clock,
    /// The server's live policy set (reloads land here).
    pub policies: Arc<LivePolicies>,
    _running: Running,
    database: Option<TestDatabase>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// A fresh database for one test: a SQLite file in a temporary folder, or, when
/// `PORTIER_TEST_DATABASE=postgres`, a new database on `PORTIER_TEST_POSTGRES`, dropped after.
pub struct TestDatabase {
    pub url: String,
    postgres: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl TestDatabase {
    /// The backend `PORTIER_TEST_DATABASE` names (SQLite unless `postgres`).
    pub async fn create() -> TestDatabase {
        if std::env::var("PORTIER_TEST_DATABASE").as_deref() == Ok("postgres") {
            return TestDatabase::postgres().await;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("portier.db").display());
        TestDatabase {
            url,
            postgres: None,
            _dir: dir,
        }
    }

    /// A fresh PostgreSQL database, whatever `PORTIER_TEST_DATABASE` says; dropped after.
    pub async fn postgres() -> TestDatabase {
        let dir = tempfile::tempdir().expect("tempdir");
        let server = std::env::var("PORTIER_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://portier_test:portier_test@127.0.0.1:5432".into());
        let name = format!("portier_test_{}", uuid_like());
        let admin = sqlx::PgPool::connect(&format!("{server}/postgres"))
            .await
            .expect("postgres server");
        sqlx::query(&format!("create database {name}"))
            .execute(&admin)
            .await
            .expect("create database");
        admin.close().await;
        TestDatabase {
            url: format!("{server}/{name}"),
            postgres: Some((server, name)),
            _dir: dir,
        }
    }
}

impl TestDatabase {
    /// The same database reached through `addr` (a proxy in front of the server).
    pub fn via(&self, addr: std::net::SocketAddr) -> String {
        let (scheme_user, rest) = self.url.split_once('@').expect("a server URL with a user");
        let (_, name) = rest.split_once('/').expect("a database name");
        format!("{scheme_user}@{addr}/{name}")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((server, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs outside async; a short-lived runtime on its own thread does the cleanup.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                if let Ok(admin) = sqlx::PgPool::connect(&format!("{server}/postgres")).await {
                    let _ = sqlx::query(&format!("drop database if exists {name} with (force)"))
                        .execute(&admin)
                        .await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}

pub fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos,
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

/// A response: status and JSON body (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    /// The `field` of a JSON error.
    pub fn field(&self) -> &str {
        self.body["error"]["field"].as_str().unwrap_or_default()
    }
}

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn init_logs() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug")
            .try_init();
    }
}

/// How to start a server: which database, which cache, which policies.
pub struct Options {
    pub database_url: String,
    /// `(url, key prefix)` for a Redis cache; in-process cache when `None`.
    pub redis: Option<(String, String)>,
    pub policies: PathBuf,
    pub schemas: PathBuf,
    pub database_timeout: std::time::Duration,
    /// Timeouts and limits of the HTTP server.
    pub limits: http::ServeLimits,
    /// `--public-url` and `--trusted-proxies` (default: neither).
    pub server_url: http::ServerUrl,
}

impl Options {
    pub fn new(database_url: &str) -> Options {
        Options {
            database_url: database_url.to_owned(),
            redis: None,
            policies: repo_path("policies"),
            schemas: repo_path("schemas"),
            database_timeout: std::time::Duration::from_secs(3),
            limits: http::ServeLimits::default(),
            server_url: http::ServerUrl::default(),
        }
    }
}

/// The Redis the suite uses, and a key prefix no other test shares.
pub fn test_redis() -> (String, String) {
    let url =
        std::env::var("PORTIER_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    (url, format!("portier-test:{}:", uuid_like()))
}

impl TestApp {
    /// Starts a server with the repository's policies over a fresh database.
    pub async fn spawn() -> TestApp {
        let database = TestDatabase::create().await;
        let mut app = TestApp::start(&Options::new(&database.url)).await;
        app.database = Some(database);
        app
    }

    /// Starts a server with the given policy and schema folders over a fresh database.
    pub async fn spawn_with(policies: &Path, schemas: &Path) -> TestApp {
        let database = TestDatabase::create().await;
        let mut options = Options::new(&database.url);
        options.policies = policies.to_owned();
        options.schemas = schemas.to_owned();
        let mut app = TestApp::start(&options).await;
        app.database = Some(database);
        app
    }

    /// Starts a server as `options` say (the database must exist; it is migrated).
    pub async fn start(options: &Options) -> TestApp {
        init_logs();
        let clock = Clock::manual(Clock::default().now_ms());
        // Built as `serve` builds it: the same `App`, the same tasks.
        let mut settings = AppSettings::new(
            Secret::new(options.database_url.clone()),
            PolicyFolders {
                policies: options.policies.clone(),
                schemas: options.schemas.clone(),
            },
        );
        settings.database_timeout = options.database_timeout;
        settings.clock = clock.clone();
        if let Some((url, prefix)) = &options.redis {
            settings.cache.redis = Some((
                Secret::new(url.clone()),
                prefix.clone(),
                std::time::Duration::from_millis(100),
            ));
        }
        let app = App::open(&settings).await.expect("app");
        let running = app.start().await.expect("app tasks");
        let policies = Arc::clone(app.policies());
        let tokens = Tokens::new(
            Some(&Secret::new(ADMIN_TOKEN)),
            Some(&Secret::new(CHECK_TOKEN)),
        );
        let state = AppState::new(app, tokens).with_server_url(options.server_url.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel();
        let shutdown = async {
            let _ = rx.await;
        };
        let server = tokio::spawn(http::serve_with(
            listener,
            http::app(state),
            shutdown,
            options.limits,
        ));
        TestApp {
            _running: running,
            base,
            client: reqwest::Client::new(),
            database_url: options.database_url.clone(),
            clock,
            policies,
            database: None,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// Asks the server to shut down and waits (at most `limit`) until it has stopped.
    pub async fn shut_down(&mut self, limit: std::time::Duration) -> bool {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.server.take() {
            Some(server) => tokio::time::timeout(limit, server).await.is_ok(),
            None => true,
        }
    }

    /// Sends a request with a token, an optional actor and an optional JSON body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        actor: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(actor) = actor {
            request = request.header("X-Portier-Actor", actor);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply { status, body }
    }

    /// Staff (admin token, no actor).
    pub async fn staff(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.send(method, path, Some(ADMIN_TOKEN), None, body).await
    }

    /// A user acting through the portal (admin token + actor header).
    pub async fn acting(
        &self,
        actor: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        self.send(method, path, Some(ADMIN_TOKEN), Some(actor), body)
            .await
    }

    /// Creates an active user `id` with email `id@example.com`.
    pub async fn user(&self, id: &str) {
        let body = json!({"id": id, "email": format!("{id}@example.com"), "display_name": id});
        let reply = self.staff(Method::POST, "/v1/users", Some(body)).await;
        assert_eq!(reply.status, 201, "create user {id}: {:?}", reply.body);
    }

    /// Creates account `id` owned by `owner` (who must exist).
    pub async fn account(&self, id: &str, owner: &str) {
        let body = json!({"id": id, "name": format!("Account {id}"), "owner": owner});
        let reply = self.staff(Method::POST, "/v1/accounts", Some(body)).await;
        assert_eq!(reply.status, 201, "create account {id}: {:?}", reply.body);
    }

    /// Makes `user` a member of `account` with `role` and `grants` (as staff).
    pub async fn member(&self, account: &str, user: &str, role: &str, grants: &[&str]) {
        let reply = self
            .staff(
                Method::PUT,
                &format!("/v1/accounts/{account}/members/{user}"),
                Some(json!({"role": role, "grants": grants})),
            )
            .await;
        assert_eq!(reply.status, 200, "put member {user}: {:?}", reply.body);
    }

    /// `user` accepts an invitation with `token` (through the portal, as staff does).
    pub async fn accept(&self, token: &Value, user: &str) -> Reply {
        self.staff(
            Method::POST,
            "/v1/invitations/accept",
            Some(json!({"token": token, "user": user})),
        )
        .await
    }

    /// `POST /v1/check` with the check token.
    pub async fn check_body(&self, body: Value) -> Reply {
        self.send(
            Method::POST,
            "/v1/check",
            Some(CHECK_TOKEN),
            None,
            Some(body),
        )
        .await
    }

    /// `POST /v1/allowed-actions` with the check token.
    pub async fn allowed_actions(&self, body: Value) -> Reply {
        self.send(
            Method::POST,
            "/v1/allowed-actions",
            Some(CHECK_TOKEN),
            None,
            Some(body),
        )
        .await
    }

    /// The decision for `principal` doing `action` on `Type::"id"` of `account`.
    pub async fn check(
        &self,
        principal: &str,
        action: &str,
        resource: (&str, &str),
        account: &str,
    ) -> Value {
        let body = json!({"principal": principal, "action": action, "resource": {"type": resource.0, "id": resource.1}, "account": account});
        let reply = self.check_body(body).await;
        assert_eq!(reply.status, 200, "check: {:?}", reply.body);
        reply.body
    }

    /// Whether the check allows.
    pub async fn allows(
        &self,
        principal: &str,
        action: &str,
        resource: (&str, &str),
        account: &str,
    ) -> bool {
        let decision = self.check(principal, action, resource, account).await;
        match decision["decision"].as_str() {
            Some("allow") => true,
            Some("deny") => false,
            other => panic!("not a decision: {other:?} in {decision}"),
        }
    }

    /// `now + after` by the app's clock, as RFC 3339.
    pub fn at(&self, after: std::time::Duration) -> String {
        let ms = self.clock.now_ms() + i64::try_from(after.as_millis()).unwrap();
        portier::domain::Timestamp::from_millis(ms).to_rfc3339()
    }

    /// The actions of an account's audit trail, newest first, at most `limit` (read as staff).
    pub async fn audit_actions(&self, account: &str, limit: usize) -> Vec<String> {
        let path = format!("/v1/accounts/{account}/audit?limit={limit}");
        let audit = self.staff(Method::GET, &path, None).await;
        assert_eq!(audit.status, 200, "{:?}", audit.body);
        audit.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["action"].as_str().map(str::to_owned))
            .collect()
    }

    /// Two replicas over one fresh PostgreSQL database and one Redis; the database lives as
    /// long as the first value.
    pub async fn replicas() -> (TestDatabase, TestApp, TestApp) {
        let database = TestDatabase::postgres().await;
        let mut options = Options::new(&database.url);
        options.redis = Some(test_redis());
        let a = TestApp::start(&options).await;
        let b = TestApp::start(&options).await;
        (database, a, b)
    }

    /// Rows in a table, read straight from the database (for "nothing was written").
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&self.database_url)
            .await
            .expect("database");
        let count: i64 = sqlx::query_scalar(&format!("select count(*) from {table}"))
            .fetch_one(&pool)
            .await
            .expect("count");
        pool.close().await;
        count
    }
}

/// The grants the shipped schema declares.
pub const GRANTS: [&str; 12] = [
    "billing",
    "billing-view",
    "services",
    "services-view",
    "passwords",
    "orders",
    "orders-view",
    "contacts",
    "profile",
    "domains",
    "domains-view",
    "tickets",
];

/// The standard client area: owner `olivia` of `acct-1`, admin `adam`, billing-only `bill`,
/// plain member `mia`, and `otto` who owns `acct-2`.
pub async fn client_area(app: &TestApp) {
    for user in ["olivia", "adam", "bill", "mia", "otto"] {
        app.user(user).await;
    }
    app.account("acct-1", "olivia").await;
    app.account("acct-2", "otto").await;
    app.member("acct-1", "adam", "admin", &[]).await;
    app.member("acct-1", "bill", "member", &["billing"]).await;
    app.member("acct-1", "mia", "member", &[]).await;
}

/// A copy of the repository's policies and schemas that a test may edit (the top-level
/// files only: no invariants, no policy tests).
pub fn policy_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for folder in ["policies", "schemas"] {
        std::fs::create_dir(dir.path().join(folder)).unwrap();
        for entry in std::fs::read_dir(repo_path(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(
                    &path,
                    dir.path().join(folder).join(path.file_name().unwrap()),
                )
                .unwrap();
            }
        }
    }
    dir
}
