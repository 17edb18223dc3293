//! The embedded database's file, watched: SQLite keeps writing into a file that was deleted
//! or replaced under it (the open descriptor still works), and those writes are lost at the
//! next start. So before each write, and for readiness, Portier checks that the path still
//! names the very file it opened and that the file may still be written; readiness also
//! proves that a write goes through.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The file a `sqlite:` URL names, whether or not it exists (`None` for other URLs and
/// in-memory databases).
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = Path::new(rest.split('?').next()?);
    if path.as_os_str().is_empty() || rest.starts_with(":memory:") {
        return None;
    }
    Some(path.to_owned())
}

/// The SQLite file as opened: its path and identity (device and inode).
#[derive(Debug)]
pub(super) struct DatabaseFile {
    path: PathBuf,
    identity: (u64, u64),
}

impl DatabaseFile {
    /// The file behind a `sqlite:` URL, once it exists (`None` for in-memory databases).
    pub(super) fn of_url(url: &str) -> Option<DatabaseFile> {
        let path = sqlite_path(url)?;
        let meta = std::fs::metadata(&path).ok()?;
        Some(DatabaseFile {
            path,
            identity: (meta.dev(), meta.ino()),
        })
    }

    /// The file's path.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// `503` when the path no longer names the file that was opened, or that file can no
    /// longer be written (permissions, the immutable attribute, a read-only mount). Asked
    /// with `access(2)`, which opens nothing: opening and closing the file would drop
    /// SQLite's own locks on it.
    pub(super) fn check(&self) -> Result<()> {
        let problem = match std::fs::metadata(&self.path) {
            Ok(meta) if (meta.dev(), meta.ino()) == self.identity => {
                match rustix::fs::access(&self.path, rustix::fs::Access::WRITE_OK) {
                    Ok(()) => return Ok(()),
                    Err(_) => "became read-only",
                }
            }
            Ok(_) => "was replaced by another file",
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => "was deleted",
            Err(_) => "cannot be read",
        };
        tracing::error!(path = %self.path.display(), problem, "database file fault");
        Err(Error::Unavailable(format!(
            "the database file {} {problem} while Portier was running; writes are refused so \
             that none is lost. Restore the file (and restart Portier if it was replaced)",
            self.path.display()
        )))
    }
}
