//! Snapshots: hard links to a table's live SSTables in `<table dir>/snapshots/<name>/`.
//!
//! A snapshot costs no copy: SSTables are immutable, and a hard link keeps a file's data alive after
//! compaction or truncation deletes its name in the table directory. Each snapshot also gets its own
//! `MANIFEST` listing the SSTables (with their levels), so that restoring one is copying its files
//! into an empty table directory.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::info;

use crate::manifest::{self, Manifest};
use crate::table::Table;
use crate::StorageError;

/// The directory of a table's snapshots, inside its own directory.
pub(crate) const SNAPSHOTS_DIR: &str = "snapshots";

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StorageError + '_ {
    move |source| StorageError::Io { path: path.to_path_buf(), source }
}

/// Refuses names that are not a single, ordinary path component.
pub(crate) fn check_name(name: &str) -> Result<(), StorageError> {
    let ok = !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0']) && name.len() <= 200;
    if ok {
        Ok(())
    } else {
        Err(StorageError::Other(format!("invalid snapshot name {name:?}")))
    }
}

/// A name for an automatic snapshot, like Cassandra's `truncated-<millis>-<table>`.
pub(crate) fn auto_name(what: &str, table: &Table) -> String {
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    format!("{what}-{millis}-{}", table.id)
}

/// Links the table's live SSTables into `snapshots/<name>/`. Holds the manifest lock, so the set is
/// one the table really had and none of its files is deleted meanwhile.
pub(crate) fn take(table: &Table, name: &str) -> Result<PathBuf, StorageError> {
    check_name(name)?;
    let files = table.files.lock();
    let root = table.dir.join(SNAPSHOTS_DIR);
    let dir = root.join(name);
    if dir.exists() {
        return Err(StorageError::Other(format!("Snapshot {name} already exists.")));
    }
    fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    let version = table.version();
    let mut snapshot = Manifest { sstables: Vec::new(), replay_after: files.replay_after };
    for s in &version.sstables {
        let generation = s.generation();
        snapshot.add(generation, s.level());
        for component in components(&table.dir, generation)? {
            let Some(file_name) = component.file_name() else { continue };
            let link = dir.join(file_name);
            fs::hard_link(&component, &link).map_err(io_err(&link))?;
        }
    }
    manifest::write(&dir, &snapshot)?;
    manifest::sync_dir(&root)?;
    manifest::sync_dir(&table.dir)?;
    info!(table = %table.id, snapshot = name, sstables = snapshot.sstables.len(), "snapshot taken");
    Ok(dir)
}

/// The files of one SSTable: every finished file named `<generation>-...` (the data file and any
/// component the sstable crate writes beside it).
fn components(dir: &Path, generation: u64) -> Result<Vec<PathBuf>, StorageError> {
    let prefix = format!("{generation}-");
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_err(dir))? {
        let entry = entry.map_err(io_err(dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(&prefix) && !name.ends_with(".tmp") && entry.path().is_file() {
            out.push(entry.path());
        }
    }
    Ok(out)
}

/// The names of the table's snapshots, sorted.
pub(crate) fn list(table_dir: &Path) -> Result<Vec<String>, StorageError> {
    let root = table_dir.join(SNAPSHOTS_DIR);
    let entries = match fs::read_dir(&root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(&root)(e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_err(&root))?;
        if entry.path().is_dir() {
            if let Ok(name) = entry.file_name().into_string() {
                names.push(name);
            }
        }
    }
    names.sort();
    Ok(names)
}

/// Deletes one snapshot (missing: nothing to do).
pub(crate) fn clear(table_dir: &Path, name: &str) -> Result<(), StorageError> {
    check_name(name)?;
    let root = table_dir.join(SNAPSHOTS_DIR);
    crate::table::remove_path(&root.join(name))?;
    if root.exists() {
        manifest::sync_dir(&root)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_names_must_be_single_path_components() {
        for bad in ["", ".", "..", "a/b", "a\\b", "x\0"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        check_name("before-upgrade_1").unwrap();
    }
}
