//! Configuration: the command line and its `PORTIER_*` / `DATABASE_URL` environment twins,
//! parsed once by clap into typed structs. Secrets are [`Secret`], which never prints; the
//! network settings (`--public-url`, `--trusted-proxies`) are parsed by their domain types.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::app::AppSettings;
use crate::assurance::diff_command::DiffOptions;
use crate::assurance::verify::VerifyOptions;
use crate::assurance::ReportFormat;
use crate::authz::PolicyFolders;
use crate::domain::Secret;
use crate::telemetry::LogFormat;

mod operate;
mod serve;

pub use operate::{
    BackupArgs, CopyArgs, ImportArgs, ImportSource, MigrateArgs, RestoreArgs, WhmcsArgs,
};
pub use serve::ServeArgs;

/// Portier: the authorization sidecar of a hosting client area.
#[derive(Debug, Parser)]
#[command(name = "portier", version, about)]
pub struct Cli {
    /// Log format: `text` for people, `json` for collectors.
    #[arg(long, env = "PORTIER_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API.
    Serve(ServeArgs),
    /// Parse and strictly validate the policies against the schemas; exit non-zero on error.
    Validate(PolicyArgs),
    /// Run the policy tests in `<policies>/tests/*.json` (the `cedar run-tests` format).
    Test(TestArgs),
    /// Decide one check against the database, print the answer as JSON.
    Check(CheckArgs),
    /// Create the database if missing (a SQLite file, or a PostgreSQL database) and apply
    /// the migrations.
    Migrate(MigrateArgs),
    /// Copy every table from one database into an empty one (SQLite to PostgreSQL or back),
    /// in one transaction, with row counts and checksums compared before it commits.
    Copy(CopyArgs),
    /// Write a consistent snapshot of a SQLite database to a file, while a server runs on it.
    Backup(BackupArgs),
    /// Replace a stopped SQLite database with a backup, under a new data identity.
    Restore(RestoreArgs),
    /// Import accounts, users, grants and contacts from another system; re-running it
    /// updates what changed.
    Import(ImportArgs),
    /// Prove the invariants of `<policies>/invariants/*.cedar` for every possible request.
    Verify(VerifyArgs),
    /// Compare two policy sets (folders or git revisions) for every possible request, and
    /// show who gains or loses what in a database.
    Diff(DiffArgs),
}

/// Where the policies and schemas live.
#[derive(Debug, Clone, Args)]
pub struct PolicyArgs {
    /// Folder of `*.cedar` policy files (default `policies`).
    #[arg(long, env = "PORTIER_POLICIES", default_value = "policies")]
    pub policies: PathBuf,
    /// Folder of `*.cedarschema` files (default `schemas`).
    #[arg(long, env = "PORTIER_SCHEMAS", default_value = "schemas")]
    pub schemas: PathBuf,
}

impl PolicyArgs {
    /// The two folders.
    pub fn folders(&self) -> PolicyFolders {
        PolicyFolders {
            policies: self.policies.clone(),
            schemas: self.schemas.clone(),
        }
    }
}

/// `portier test`.
#[derive(Debug, Clone, Args)]
pub struct TestArgs {
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Folder of test files to run instead of `<policies>/tests` (e.g. saved counterexamples).
    #[arg(long)]
    pub tests: Option<PathBuf>,
}

/// `portier verify`.
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// The cvc5 executable (default: `$CVC5`, else `cvc5` on the PATH).
    #[arg(long, env = "PORTIER_SOLVER")]
    pub solver: Option<PathBuf>,
    /// Folder to save counterexamples in, as `cedar run-tests` files (default: a folder under
    /// the system's temporary directory).
    #[arg(long)]
    pub counterexamples: Option<PathBuf>,
    /// Output of the proofs and the coverage table: `text`, `json`, or `markdown`.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// `portier diff`.
#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// The old side: a folder of `*.cedar` files (typed by `--schemas`) or a git revision.
    pub old: String,
    /// The new side, likewise (default: the working tree's `--policies` and `--schemas`).
    pub new: Option<String>,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// The cvc5 executable (default: `$CVC5`, else `cvc5` on the PATH).
    #[arg(long, env = "PORTIER_SOLVER")]
    pub solver: Option<PathBuf>,
    /// A database (`sqlite://FILE` or `postgres://…`) to report which members gain or lose what.
    #[arg(long)]
    pub database_url: Option<Secret>,
    /// Output: `text` for people, `json`, or `markdown` for a code-review comment.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// `portier check`: one decision from the command line.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The user asking, e.g. `alice` or `User::"alice"`.
    #[arg(long)]
    pub principal: String,
    /// The action, e.g. `payInvoice`.
    #[arg(long)]
    pub action: String,
    /// The resource, e.g. `Invoice::"inv-9"`.
    #[arg(long)]
    pub resource: String,
    /// The account the resource belongs to (implied when the resource is an Account).
    #[arg(long)]
    pub account: Option<String>,
    /// Context as a JSON object.
    #[arg(long, default_value = "{}")]
    pub context: String,
}

impl VerifyArgs {
    /// What `portier verify` is asked to do.
    pub fn options(&self) -> VerifyOptions {
        VerifyOptions {
            folders: self.policy.folders(),
            solver: self.solver.clone(),
            counterexamples: self.counterexamples.clone(),
            format: self.format,
        }
    }
}

impl DiffArgs {
    /// What `portier diff` is asked to do.
    pub fn options(&self) -> DiffOptions {
        DiffOptions {
            old: self.old.clone(),
            new: self.new.clone(),
            folders: self.policy.folders(),
            solver: self.solver.clone(),
            database_url: self.database_url.clone(),
            format: self.format,
        }
    }
}

/// Which database.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://FILE` (created when missing) or `postgres://…` (default `sqlite://portier.db`).
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://portier.db")]
    pub database_url: Secret,
    /// Longest wait for a database connection, in milliseconds, before answering 503 (default 3000).
    #[arg(long, env = "PORTIER_DATABASE_TIMEOUT_MS", default_value_t = crate::store::DEFAULT_DATABASE_TIMEOUT.as_millis() as u64)]
    pub database_timeout_ms: u64,
}

impl DatabaseArgs {
    /// An application over this database and these policies, the rest at defaults.
    pub fn app_settings(&self, policy: &PolicyArgs) -> AppSettings {
        AppSettings {
            database_timeout: self.timeout(),
            ..AppSettings::new(self.database_url.clone(), policy.folders())
        }
    }

    /// The connection wait as a duration.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.database_timeout_ms)
    }
}
