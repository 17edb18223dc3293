//! Backup and restore of the embedded SQLite file, while a server runs on it.
//!
//! A backup is SQLite's `VACUUM INTO`: one read transaction, so it is a consistent snapshot
//! holding every write committed before it began, taken without stopping the writers (WAL).
//! It is written beside the destination first, checked with `pragma integrity_check`, and
//! renamed into place, so the destination is never a torn file. A restore refuses a database
//! a server has open (SQLite keeps `-wal` and `-shm` beside it while any connection is open,
//! and Portier removes them when it stops cleanly), checks the backup, gives the restored
//! data a new identity (so no cached decision from before answers again), and renames it
//! into place. PostgreSQL has its own tools for both (README, "Deploying").

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use rusqlite::{Connection, OpenFlags};

use super::file::sqlite_path;
use super::migrate::known_versions;

/// The SQLite file of `database_url`, or why a backup or restore cannot work on it.
fn file_of(database_url: &str) -> anyhow::Result<PathBuf> {
    sqlite_path(database_url).ok_or_else(|| {
        anyhow::anyhow!(
            "backup and restore work on a SQLite file (sqlite://FILE); for PostgreSQL use pg_dump and pg_restore, then `portier migrate --new-identity` (README, \"Deploying\")"
        )
    })
}

/// Writes a consistent snapshot of the database at `database_url` to `to` (which must not
/// exist); its size in bytes.
pub fn backup(database_url: &str, to: &Path) -> anyhow::Result<u64> {
    let path = file_of(database_url)?;
    if !path.exists() {
        anyhow::bail!("{} does not exist", path.display());
    }
    if to.exists() {
        anyhow::bail!("{} exists; a backup never overwrites a file", to.display());
    }
    let partial = beside(to, &format!("partial-{}", uuid::Uuid::new_v4().simple()));
    let source = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    source.busy_timeout(std::time::Duration::from_secs(10))?;
    let written = source
        .execute("vacuum into ?1", [partial.to_string_lossy().as_ref()])
        .map_err(anyhow::Error::from)
        .and_then(|_| integrity(&partial));
    drop(source);
    if let Err(err) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(err.context("writing the backup"));
    }
    // A hard link never replaces a file that appeared at `to` meanwhile.
    std::fs::File::open(&partial)?.sync_all()?;
    let linked = std::fs::hard_link(&partial, to);
    let _ = std::fs::remove_file(&partial);
    linked.with_context(|| format!("{} appeared while the backup was written", to.display()))?;
    sync_folder(to)?;
    Ok(std::fs::metadata(to)?.len())
}

/// Replaces the database at `database_url` with the backup `from`; the restored data's new
/// identity.
pub fn restore(from: &Path, database_url: &str) -> anyhow::Result<String> {
    let path = file_of(database_url)?;
    for leftover in [beside(&path, "-wal"), beside(&path, "-shm")] {
        if leftover.exists() {
            anyhow::bail!(
                "{} exists: a server has the database open, or one stopped without closing it; stop every server on it (a clean stop removes the file) and restore again",
                leftover.display()
            );
        }
    }
    integrity(from).with_context(|| from.display().to_string())?;
    let versions = backup_versions(from).with_context(|| from.display().to_string())?;
    let known = known_versions();
    if let Some(newer) = versions.iter().find(|v| !known.contains(v)) {
        anyhow::bail!(
            "{} was written by a newer portier (migration {newer}); restore it with that version",
            from.display()
        );
    }
    let restoring = beside(
        &path,
        &format!("restoring-{}", uuid::Uuid::new_v4().simple()),
    );
    std::fs::copy(from, &restoring)?;
    let identity = uuid::Uuid::new_v4().simple().to_string();
    let renewed =
        renew_identity(&restoring, &identity).and_then(|()| keep_owner_and_mode(&path, &restoring));
    if let Err(err) = renewed {
        let _ = std::fs::remove_file(&restoring);
        return Err(err.context("preparing the restored file"));
    }
    put_in_place(&restoring, &path)?;
    Ok(identity)
}

/// Gives the data in `path` the identity `identity`; exactly one row holds it.
fn renew_identity(path: &Path, identity: &str) -> anyhow::Result<()> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    let changed = conn.execute(
        "update data_identity set identity = ?1 where data_identity_id = 1",
        [identity],
    )?;
    conn.close().map_err(|(_, err)| err)?;
    if changed != 1 {
        anyhow::bail!("the backup has no data identity row");
    }
    Ok(())
}

/// The restored file keeps the owner and mode of the file it replaces, so the service's own
/// user can still write it when an administrator ran the restore.
fn keep_owner_and_mode(replaced: &Path, restored: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(replaced) else {
        return Ok(());
    };
    std::fs::set_permissions(restored, meta.permissions())?;
    std::os::unix::fs::chown(restored, Some(meta.uid()), Some(meta.gid())).with_context(|| {
        format!(
            "giving {} the owner of {}",
            restored.display(),
            replaced.display()
        )
    })
}

/// `pragma integrity_check` answers `ok` for the file.
fn integrity(path: &Path) -> anyhow::Result<()> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let answer: String = conn.query_row("pragma integrity_check", [], |row| row.get(0))?;
    if answer != "ok" {
        anyhow::bail!("SQLite's integrity check fails: {answer}");
    }
    Ok(())
}

/// The migrations a backup has applied; an error when it is not a Portier database.
fn backup_versions(path: &Path) -> anyhow::Result<Vec<i64>> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut query = conn
        .prepare("select version from _sqlx_migrations where success order by version")
        .map_err(|_| anyhow::anyhow!("not a Portier database (no migrations recorded)"))?;
    let versions = query
        .query_map([], |row| row.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    let has_identity: i64 = conn.query_row(
        "select count(*) from sqlite_master where type = 'table' and name = 'data_identity'",
        [],
        |row| row.get(0),
    )?;
    if has_identity == 0 {
        anyhow::bail!("not a Portier database of this era (no data identity)");
    }
    Ok(versions)
}

/// `path` with `suffix` appended to its file name (`portier.db` → `portier.db-wal`).
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    if !suffix.starts_with('-') {
        name.push(".");
    }
    name.push(suffix);
    path.with_file_name(name)
}

/// Flushes `from` and renames it to `to` (atomic on one file system), then flushes the folder
/// so the rename itself survives a crash.
fn put_in_place(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::File::open(from)?.sync_all()?;
    std::fs::rename(from, to)?;
    sync_folder(to)
}

/// Flushes the folder holding `path`, so a new name in it survives a crash.
fn sync_folder(path: &Path) -> anyhow::Result<()> {
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::File::open(folder)?.sync_all()?;
    }
    Ok(())
}
