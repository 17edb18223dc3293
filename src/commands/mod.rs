//! The subcommands behind `main`: each takes its parsed arguments and does one job.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use tokio::net::TcpListener;

use crate::app::check::Api;
use crate::app::policies::LivePolicies;
use crate::app::{App, AppSettings};
use crate::authz::{self, policy_tests, CheckBody, EntityRef, PolicyBundle};
use crate::config::{CheckArgs, DatabaseArgs, PolicyArgs, ServeArgs, TestArgs};
use crate::http::{self, AppState};
use crate::store::Store;

mod operate;
mod systemd;

pub use operate::{backup, copy, import, migrate, restore};

/// `portier serve`: build the application (refusing an invalid set or one whose tests or
/// invariants fail), start its tasks, listen.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let (tokens, generated) =
        http::tokens_from_settings(args.admin_tokens(), args.check_tokens(), args.bind)
            .map_err(anyhow::Error::msg)?;
    let app = App::open(&args.app_settings()).await?;
    let problems = &app.policies().assurance().problems;
    if !problems.is_empty() {
        bail!(
            "refusing to serve this policy set:\n  {}",
            problems.join("\n  ")
        );
    }
    let _running = app.start().await?;
    reload_on_hangup(Arc::clone(app.policies()));
    let revision = app.bundle().revision().to_owned();
    let server_url = http::ServerUrl::new(args.public_url.clone(), args.trusted_proxies.clone());
    let state = AppState::new(app.clone(), tokens).with_server_url(server_url);
    let listener = TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("binding {}", args.bind))?;
    tracing::info!(address = %listener.local_addr()?, policy_revision = %revision, "portier listening");
    if let Some(token) = generated {
        println!("No token configured; generated an admin token for this run (shown once, loopback only):\n{}", token.expose());
    }
    let limits = http::ServeLimits {
        header_timeout: std::time::Duration::from_millis(args.header_timeout_ms),
        body_timeout: std::time::Duration::from_millis(args.body_timeout_ms),
        idle_timeout: std::time::Duration::from_millis(args.idle_timeout_ms),
        max_connections: args.max_connections as usize,
        ..http::ServeLimits::default()
    };
    // Policies proven, database open, socket bound: ready.
    systemd::ready();
    let shutdown = async {
        http::shutdown_signal().await;
        systemd::stopping();
    };
    let served = http::serve_with(listener, http::app(state), shutdown, limits).await;
    // A clean stop closes every connection, so SQLite leaves no `-wal`/`-shm` behind.
    drop(_running);
    app.store().close().await;
    served?;
    Ok(())
}

/// Reloads the policies on every `SIGHUP`.
fn reload_on_hangup(policies: Arc<LivePolicies>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hangups) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while hangups.recv().await.is_some() {
            let policies = Arc::clone(&policies);
            systemd::reloading();
            let _ = tokio::task::spawn_blocking(move || policies.reload()).await;
            systemd::ready();
        }
    });
}

/// `portier validate`: print `file:line:col: message` per problem; error when any.
pub fn validate(args: &PolicyArgs) -> anyhow::Result<()> {
    let bundle = load_policies(args)?;
    println!(
        "ok: {} policies valid against the schema (revision {})",
        bundle.policies().policies().count(),
        bundle.revision()
    );
    Ok(())
}

/// `portier test`: run the policy tests; `Ok(false)` when any case failed.
pub fn test(args: &TestArgs) -> anyhow::Result<bool> {
    let bundle = load_policies(&args.policy)?;
    let tests_dir = args
        .tests
        .clone()
        .unwrap_or_else(|| args.policy.policies.join("tests"));
    let summary = policy_tests::run(&bundle, &tests_dir, &mut std::io::stdout().lock())
        .with_context(|| format!("reading {}", tests_dir.display()))?;
    Ok(summary.failed == 0 && summary.passed > 0)
}

/// `portier check`: one decision against the database, printed as JSON.
pub async fn check(args: CheckArgs) -> anyhow::Result<()> {
    let settings = AppSettings {
        assess: false,
        ..args.database.app_settings(&args.policy)
    };
    let app = App::open(&settings).await?;
    let body = CheckBody {
        principal: EntityRef::Text(args.principal),
        action: args.action,
        resource: EntityRef::Text(args.resource),
        account: args.account,
        context: Some(
            serde_json::from_str(&args.context).context("--context must be a JSON object")?,
        ),
        entities: None,
        consistency: authz::Consistency::Fresh,
    };
    let decision = app
        .checker()
        .check(body, Api::Cli)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{}", serde_json::to_string_pretty(&decision)?);
    app.store().close().await;
    Ok(())
}

/// Opens (creating and migrating) the database, every connection wait bounded by
/// `--database-timeout-ms`.
pub(crate) async fn open_store(args: &DatabaseArgs) -> anyhow::Result<Store> {
    Store::open_with(args.database_url.expose(), args.timeout())
        .await
        .context("opening the database")
}

fn load_policies(args: &PolicyArgs) -> anyhow::Result<PolicyBundle> {
    authz::load(Path::new(&args.policies), Path::new(&args.schemas)).map_err(anyhow::Error::from)
}
