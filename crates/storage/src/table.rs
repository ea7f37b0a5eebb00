//! One table's state: its immutable, atomically swapped [`TableVersion`] (memtables and live SSTables),
//! its manifest, and the counters that order flushes, compactions and truncations.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use commitlog::Position;
use memtable::Memtable;
use parking_lot::{Mutex, RwLock};
use sstable::Sstable;
use storage_model::{Partition, TableId};
use tracing::{debug, info, warn};

use crate::manifest::{self, Manifest, ManifestEntry};
use crate::{StorageError, TableOptions};

/// A memtable and the commitlog range it covers.
#[derive(Debug)]
pub(crate) struct MemtableSlot {
    pub memtable: Arc<Memtable>,
    /// The oldest commitlog segment holding a record applied here (`u64::MAX` when none).
    min_segment: AtomicU64,
    /// Bytes counted against the engine's memtable budget (returned to it when the slot leaves its
    /// table).
    accounted: AtomicU64,
    /// The commitlog position when the memtable was sealed: every record ending at or before it that
    /// concerns this table is in this memtable or an older one.
    sealed_at: OnceLock<Position>,
}

impl MemtableSlot {
    pub fn new() -> Arc<MemtableSlot> {
        Arc::new(MemtableSlot {
            memtable: Arc::new(Memtable::new()),
            min_segment: AtomicU64::new(u64::MAX),
            accounted: AtomicU64::new(0),
            sealed_at: OnceLock::new(),
        })
    }

    /// Applies an update that the commitlog holds in segment `segment`; returns the bytes the memtable
    /// grew by.
    pub fn apply(&self, update: &Partition, segment: u64) -> u64 {
        self.min_segment.fetch_min(segment, Ordering::SeqCst);
        let grown = self.memtable.apply(update) as u64;
        self.accounted.fetch_add(grown, Ordering::SeqCst);
        grown
    }

    /// Bytes this memtable holds against the budget.
    pub fn accounted(&self) -> u64 {
        self.accounted.load(Ordering::SeqCst)
    }

    /// Takes this memtable's bytes out of the budget's count (once).
    pub fn take_accounted(&self) -> u64 {
        self.accounted.swap(0, Ordering::SeqCst)
    }

    pub fn min_segment(&self) -> Option<u64> {
        match self.min_segment.load(Ordering::SeqCst) {
            u64::MAX => None,
            s => Some(s),
        }
    }

    pub fn seal(&self, at: Position) {
        let _ = self.sealed_at.set(at);
    }

    pub fn sealed_at(&self) -> Option<Position> {
        self.sealed_at.get().copied()
    }
}

/// A live SSTable. Once replaced by a compaction or truncation it is marked obsolete, and its files are
/// deleted when the last reader lets go of it.
pub(crate) struct LiveSstable {
    pub sstable: Arc<Sstable>,
    /// Its level (leveled compaction), as the manifest records it; changed only under the manifest lock.
    level: AtomicU32,
    obsolete: AtomicBool,
    /// When the file was written (its modification time), in seconds since the epoch; `i64::MAX` if
    /// unknown (then never old enough for a tombstone compaction).
    pub created_at_seconds: i64,
}

impl LiveSstable {
    pub fn new(sstable: Sstable, level: u32) -> Arc<LiveSstable> {
        let created_at_seconds = std::fs::metadata(sstable.path())
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(i64::MAX, |d| d.as_secs() as i64);
        Arc::new(LiveSstable {
            sstable: Arc::new(sstable),
            level: AtomicU32::new(level),
            obsolete: AtomicBool::new(false),
            created_at_seconds,
        })
    }

    pub fn generation(&self) -> u64 {
        self.sstable.generation()
    }

    pub fn level(&self) -> u32 {
        self.level.load(Ordering::SeqCst)
    }

    pub fn set_level(&self, level: u32) {
        self.level.store(level, Ordering::SeqCst);
    }

    pub fn mark_obsolete(&self) {
        self.obsolete.store(true, Ordering::SeqCst);
    }
}

impl Drop for LiveSstable {
    fn drop(&mut self) {
        if self.obsolete.load(Ordering::SeqCst) {
            match self.sstable.delete() {
                Ok(()) => debug!(path = %self.sstable.path().display(), "obsolete sstable deleted"),
                Err(e) => {
                    warn!(path = %self.sstable.path().display(), error = %e, "deleting an obsolete sstable failed")
                }
            }
        }
    }
}

/// What a reader sees of a table at one instant. Never modified: changes build a new one.
pub(crate) struct TableVersion {
    /// Receives writes.
    pub active: Arc<MemtableSlot>,
    /// Sealed, waiting to be flushed, oldest first.
    pub sealed: Vec<Arc<MemtableSlot>>,
    /// Ascending generation.
    pub sstables: Vec<Arc<LiveSstable>>,
}

impl TableVersion {
    pub fn empty() -> TableVersion {
        TableVersion { active: MemtableSlot::new(), sealed: Vec::new(), sstables: Vec::new() }
    }

    /// Active and sealed memtables.
    pub fn memtables(&self) -> impl Iterator<Item = &Arc<MemtableSlot>> {
        std::iter::once(&self.active).chain(self.sealed.iter())
    }
}

pub(crate) struct Table {
    pub id: TableId,
    pub dir: PathBuf,
    version: RwLock<Arc<TableVersion>>,
    /// The manifest as last written. Its lock serialises every change of the live SSTable set (flush
    /// and compaction installs, truncation, drop).
    pub files: Mutex<Manifest>,
    /// Bumped by truncation and drop: flushes and compactions begun under an older epoch are abandoned.
    epoch: AtomicU64,
    pub dropped: AtomicBool,
    next_generation: AtomicU64,
    pub compacting: AtomicBool,
    options: RwLock<Arc<TableOptions>>,
}

impl Table {
    /// Opens (or creates) a table directory: reads its manifest, deletes SSTables not in it (left by a
    /// flush or compaction that crashed before its manifest update, or by one whose inputs' deletion was
    /// pending), and opens the live ones.
    pub fn load(id: TableId, dir: PathBuf) -> Result<Table, StorageError> {
        let created = !dir.exists();
        fs::create_dir_all(&dir).map_err(|source| StorageError::Io { path: dir.clone(), source })?;
        if created {
            if let Some(parent) = dir.parent() {
                manifest::sync_dir(parent)?;
            }
        }
        let listed = Sstable::list(&dir)?;
        let manifest = match manifest::read(&dir)? {
            Some(m) => m,
            None => {
                if !listed.is_empty() {
                    warn!(table = %id, count = listed.len(), "table directory without a manifest: adopting its sstables");
                }
                let m = Manifest {
                    sstables: listed.iter().map(|(g, _)| ManifestEntry { generation: *g, level: 0 }).collect(),
                    ..Manifest::empty()
                };
                manifest::write(&dir, &m)?;
                m
            }
        };
        let mut sstables = Vec::with_capacity(manifest.sstables.len());
        for ManifestEntry { generation, level } in &manifest.sstables {
            let Some((_, path)) = listed.iter().find(|(g, _)| g == generation) else {
                return Err(StorageError::Corrupt(format!(
                    "table {id}: sstable generation {generation} is in the manifest but missing from {}",
                    dir.display()
                )));
            };
            sstables.push(LiveSstable::new(Sstable::open(path)?, *level));
        }
        for (generation, path) in &listed {
            if !manifest.contains(*generation) {
                info!(table = %id, generation, path = %path.display(), "deleting an sstable not in the manifest");
                remove_path(path)?;
            }
        }
        let max_generation =
            listed.iter().map(|(g, _)| *g).chain(manifest.sstables.iter().map(|e| e.generation)).max().unwrap_or(0);
        Ok(Table {
            id,
            dir,
            version: RwLock::new(Arc::new(TableVersion { sstables, ..TableVersion::empty() })),
            files: Mutex::new(manifest),
            epoch: AtomicU64::new(0),
            dropped: AtomicBool::new(false),
            next_generation: AtomicU64::new(max_generation + 1),
            compacting: AtomicBool::new(false),
            options: RwLock::new(Arc::new(TableOptions::default())),
        })
    }

    pub fn version(&self) -> Arc<TableVersion> {
        self.version.read().clone()
    }

    /// Replaces the version with what `change` builds from the current one (`None`: no change), as one
    /// atomic step with respect to every other change.
    pub fn update_version(&self, change: impl FnOnce(&TableVersion) -> Option<TableVersion>) -> Arc<TableVersion> {
        let mut guard = self.version.write();
        if let Some(next) = change(&guard) {
            *guard = Arc::new(next);
        }
        guard.clone()
    }

    /// Swaps in `next`, returning the version it replaced.
    pub fn replace_version(&self, next: TableVersion) -> Arc<TableVersion> {
        std::mem::replace(&mut *self.version.write(), Arc::new(next))
    }

    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    pub fn bump_epoch(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// True when work begun under `epoch` must be abandoned.
    pub fn superseded(&self, epoch: u64) -> bool {
        self.dropped.load(Ordering::SeqCst) || self.epoch() != epoch
    }

    pub fn next_generation(&self) -> u64 {
        self.next_generation.fetch_add(1, Ordering::SeqCst)
    }

    pub fn options(&self) -> Arc<TableOptions> {
        self.options.read().clone()
    }

    pub fn set_options(&self, options: TableOptions) {
        *self.options.write() = Arc::new(options);
    }

    /// Changes the options with `change` (one atomic step with respect to other changes).
    pub fn update_options(&self, change: impl FnOnce(&mut TableOptions)) {
        let mut guard = self.options.write();
        let mut next = (**guard).clone();
        change(&mut next);
        *guard = Arc::new(next);
    }
}

/// Removes a file or a directory; a missing one is fine.
pub(crate) fn remove_path(path: &Path) -> Result<(), StorageError> {
    let result = if path.is_dir() { fs::remove_dir_all(path) } else { fs::remove_file(path) };
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(source) => Err(StorageError::Io { path: path.to_path_buf(), source }),
    }
}
