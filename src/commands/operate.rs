//! The operators' subcommands: `migrate`, `copy`, `backup`, `restore`, `import`.

use std::io::IsTerminal;

use anyhow::Context as _;

use super::open_store;
use crate::app::{import, App, AppSettings};
use crate::config::{BackupArgs, CopyArgs, ImportArgs, ImportSource, MigrateArgs, RestoreArgs};
use crate::store::{backup as snapshot, Store};

/// `portier migrate`: create the database if needed, apply migrations, and with
/// `--new-identity` give the data a new identity.
pub async fn migrate(args: MigrateArgs) -> anyhow::Result<()> {
    if Store::create_database(args.database.database_url.expose())
        .await
        .context("creating the database")?
    {
        println!("created the database");
    }
    let store = open_store(&args.database).await?;
    if args.new_identity {
        let identity = store.renew_identity().await?;
        println!("the data's new identity: {identity}");
    }
    store.close().await;
    println!("ok: database migrated");
    Ok(())
}

/// `portier copy`: every table into an empty database, with counts and checksums printed.
pub async fn copy(args: CopyArgs) -> anyhow::Result<()> {
    let source = Store::open(args.from.expose())
        .await
        .context("opening the source (--from)")?;
    Store::create_database(args.to.expose())
        .await
        .context("creating the target (--to)")?;
    let target = Store::open(args.to.expose())
        .await
        .context("opening the target (--to)")?;
    let terminal = std::io::stderr().is_terminal();
    let mut progress = |table: &str, done: u64, total: u64| {
        if terminal {
            eprint!("\r\x1b[Kcopying {table}: {done} of {total} rows");
        }
    };
    let copied = source.copy_into(&target, &mut progress).await;
    if terminal {
        eprint!("\r\x1b[K");
    }
    source.close().await;
    target.close().await;
    let report = copied?;
    println!(
        "{:<20} {:>10}  checksum (equal on both sides)",
        "table", "rows"
    );
    for table in &report.tables {
        println!("{:<20} {:>10}  {}", table.table, table.rows, table.checksum);
    }
    let rows: u64 = report.tables.iter().map(|t| t.rows).sum();
    println!(
        "ok: copied {} tables, {rows} rows; the copy's data identity is {}",
        report.tables.len(),
        report.identity
    );
    Ok(())
}

/// `portier backup`: a consistent snapshot of a SQLite file.
pub async fn backup(args: BackupArgs) -> anyhow::Result<()> {
    let url = args.database.database_url.expose().to_owned();
    let to = args.to.clone();
    let bytes = tokio::task::spawn_blocking(move || snapshot::backup(&url, &to)).await??;
    println!(
        "ok: backup written to {} ({bytes} bytes, integrity check ok)",
        args.to.display()
    );
    Ok(())
}

/// `portier restore`: a backup in place of a stopped SQLite database.
pub async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let url = args.database.database_url.expose().to_owned();
    let from = args.from.clone();
    let identity = tokio::task::spawn_blocking(move || snapshot::restore(&from, &url)).await??;
    println!(
        "ok: restored {} to {}; the data's new identity is {identity}",
        args.from.display(),
        args.database.database_url.expose()
    );
    Ok(())
}

/// `portier import whmcs`: print what changed (or would change) and what did not map.
pub async fn import(args: ImportArgs) -> anyhow::Result<bool> {
    let ImportSource::Whmcs(args) = args.source;
    let settings = AppSettings {
        assess: false,
        ..args.database.app_settings(&args.policy)
    };
    let app = App::open(&settings).await?;
    let report = import::import_whmcs(&app, args.from.expose(), args.dry_run).await;
    app.store().close().await;
    print!("{}", report?);
    Ok(true)
}
