//! The operators' commands: `migrate`, `copy`, `backup`, `restore` and `import whmcs`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{DatabaseArgs, PolicyArgs};
use crate::domain::Secret;

/// `portier migrate`.
#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Also give the data a new identity, after restoring a PostgreSQL dump with pg_restore:
    /// no cached decision from before the restore answers again.
    #[arg(long)]
    pub new_identity: bool,
}

/// `portier copy`.
#[derive(Debug, Clone, Args)]
pub struct CopyArgs {
    /// The database to copy from: `sqlite://FILE` or `postgres://…` (migrated first).
    #[arg(long)]
    pub from: Secret,
    /// The database to copy into, which must hold no data (created when missing).
    #[arg(long)]
    pub to: Secret,
}

/// `portier backup`.
#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The backup file to write; it must not exist.
    #[arg(long)]
    pub to: PathBuf,
}

/// `portier restore`.
#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    /// A backup file written by `portier backup`.
    #[arg(long)]
    pub from: PathBuf,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// `portier import`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub source: ImportSource,
}

/// Where to import from.
#[derive(Debug, Clone, Subcommand)]
pub enum ImportSource {
    /// Client accounts, users with their permissions, and contacts with their email
    /// preferences from a WHMCS 8 database (MySQL or MariaDB).
    Whmcs(WhmcsArgs),
}

/// `portier import whmcs`.
#[derive(Debug, Clone, Args)]
pub struct WhmcsArgs {
    /// The WHMCS database: `mysql://USER:PASSWORD@HOST/DATABASE`.
    #[arg(long)]
    pub from: Secret,
    /// Print what the import would change, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
}
