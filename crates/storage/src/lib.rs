//! The storage engine: ties commitlog, memtables, SSTables and compaction into one LSM tree per table.
//!
//! Owns: the write path (one commitlog record per batch, then the memtables), the read paths (merging
//! memtables and SSTables), sealing and flushing memtables on a background thread, running compactions
//! on another, the per-table manifest of live SSTables, truncation and dropping of tables, and deciding
//! which commitlog segments may be deleted. `docs/storage.md` describes the design.
//!
//! Must not know about: CQL, schemas or types. Tables are [`TableId`]s, keys and clusterings opaque
//! bytes. Reads return merged data *with* tombstones and expired cells: the caller applies
//! [`storage_model::purge::live_view`].
//!
//! # Crash safety
//!
//! Each table directory `data_dir/<table-id>/` holds a `MANIFEST` (replaced atomically: tmp file,
//! fsync, rename, directory fsync) naming the live SSTable generations and the commitlog position up to
//! which the table's records are already in them (`replay_after`). A flush writes its SSTable, then
//! the manifest, and only then lets the commitlog drop segments; a compaction writes its output, then
//! the manifest, and only then deletes its inputs (once no reader uses them). At open, SSTables not in
//! the manifest are deleted: they are the output of a flush or compaction that crashed before its
//! manifest update (whose data is still in the commitlog or the inputs), or inputs whose deletion was
//! pending. Truncation writes a manifest with no SSTables and `replay_after` at the commitlog's current
//! position, so replay does not bring truncated data back.
//!
//! # Background failures
//!
//! An error or a panic in a flush or compaction is logged and *poisons* the engine: every later
//! [`Storage::apply`] fails with [`StorageError::Poisoned`] instead of accepting writes that might
//! never reach an SSTable. A memtable whose flush failed stays readable and keeps its commitlog segments.

mod engine;
mod manifest;
mod scan;
mod table;

use std::collections::HashMap;
use std::future::Future;
use std::ops::Bound;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::JoinHandle;

use bytes::Bytes;
use commitlog::{CommitLog, CommitLogConfig, CommitLogError};
use parking_lot::{Mutex, RwLock};
use sstable::SstableError;
use storage_model::merge::{merge_into, normalize};
use storage_model::{codec, ModelError, Mutation, Partition, TableId};
use tracing::{info, warn};

pub use commitlog::SyncMode;

use crate::engine::{CompactionMsg, FlushMsg, Inner, Poison};
use crate::scan::{MergeIter, Source};
use crate::table::Table;

#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// Table data lives under `data_dir/<table-id>/`.
    pub data_dir: PathBuf,
    pub commitlog_dir: PathBuf,
    pub sync: SyncMode,
    pub commitlog_segment_size_bytes: u64,
    /// A table's memtable past this size is flushed to an SSTable.
    pub memtable_flush_threshold_bytes: u64,
    /// Compact a table when it has more than this many SSTables.
    pub compaction_threshold: usize,
}

impl StorageConfig {
    /// Defaults under one directory: `data/` and `commitlog/` in it, periodic sync every 10 s, 32 MiB
    /// commitlog segments, 64 MiB memtables, compaction past 8 SSTables.
    pub fn new(base_dir: impl Into<PathBuf>) -> StorageConfig {
        let base = base_dir.into();
        StorageConfig {
            data_dir: base.join("data"),
            commitlog_dir: base.join("commitlog"),
            sync: SyncMode::Periodic { period: std::time::Duration::from_secs(10) },
            commitlog_segment_size_bytes: 32 << 20,
            memtable_flush_threshold_bytes: 64 << 20,
            compaction_threshold: 8,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    #[error("unknown table {0}")]
    UnknownTable(TableId),
    #[error("{0}")]
    Other(String),
    #[error(transparent)]
    CommitLog(#[from] CommitLogError),
    #[error(transparent)]
    Sstable(#[from] SstableError),
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// A background flush or compaction, or the commitlog, failed earlier: writes are refused.
    #[error("storage engine refuses writes after an earlier failure: {0}")]
    Poisoned(String),
    /// The engine was shut down.
    #[error("storage engine is shut down")]
    Closed,
}

impl From<ModelError> for StorageError {
    fn from(e: ModelError) -> Self {
        StorageError::Corrupt(e.to_string())
    }
}

type AckFuture = Pin<Box<dyn Future<Output = Result<(), StorageError>> + Send>>;

/// Resolves when a write is durable.
pub struct WriteAck(Option<AckFuture>);

impl WriteAck {
    pub fn ready() -> WriteAck {
        WriteAck(None)
    }

    /// Blocks the calling thread until the write is durable (for callers outside an async runtime).
    pub fn wait(self) -> Result<(), StorageError> {
        struct ThreadWaker(std::thread::Thread);
        impl Wake for ThreadWaker {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut ack = self;
        loop {
            if let Poll::Ready(r) = Pin::new(&mut ack).poll(&mut cx) {
                return r;
            }
            std::thread::park();
        }
    }
}

impl Future for WriteAck {
    type Output = Result<(), StorageError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.0.as_mut() {
            None => Poll::Ready(Ok(())),
            Some(f) => f.as_mut().poll(cx),
        }
    }
}

/// Merged partitions of a table in key order.
pub type Scan = Box<dyn Iterator<Item = Result<Partition, StorageError>> + Send>;

/// The storage engine. `Send + Sync`: share it behind an `Arc`.
///
/// Dropping it without [`Storage::shutdown`] stops the background threads without flushing (like a
/// crash of the process after the commitlog writes returned): the next open replays the commitlog.
pub struct Storage {
    inner: Arc<Inner>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl Storage {
    /// Opens the engine: loads the SSTables of `tables` and replays the commitlog into their memtables
    /// (records of tables not listed are skipped).
    pub fn open(config: StorageConfig, tables: &[TableId]) -> Result<Storage, StorageError> {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|source| StorageError::Io { path: config.data_dir.clone(), source })?;
        let mut loaded: HashMap<TableId, Arc<Table>> = HashMap::new();
        for id in tables {
            if !loaded.contains_key(id) {
                loaded.insert(*id, Arc::new(Table::load(*id, table_dir(&config, *id))?));
            }
        }

        let replay_from: HashMap<TableId, commitlog::Position> =
            loaded.iter().map(|(id, t)| (*id, t.files.lock().replay_after)).collect();
        let mut replay_error: Option<StorageError> = None;
        let mut replayed = 0u64;
        let log_config = CommitLogConfig {
            dir: config.commitlog_dir.clone(),
            segment_size_bytes: config.commitlog_segment_size_bytes,
            sync: config.sync,
        };
        let (commitlog, stats) = CommitLog::open(log_config, &mut |pos, record| {
            if replay_error.is_some() {
                return;
            }
            match codec::decode_mutations(record) {
                Ok(mutations) => {
                    for m in mutations {
                        let (Some(table), Some(after)) = (loaded.get(&m.table), replay_from.get(&m.table)) else {
                            continue;
                        };
                        if pos > *after {
                            table.version().active.apply(&m.partition, pos.segment);
                            replayed += 1;
                        }
                    }
                }
                Err(e) => {
                    replay_error = Some(StorageError::Corrupt(format!(
                        "commitlog record ending at segment {} offset {}: {e}",
                        pos.segment, pos.offset
                    )))
                }
            }
        })?;
        if let Some(e) = replay_error {
            let _ = commitlog.close();
            return Err(e);
        }
        if stats.torn_segments > 0 || stats.corrupt_segments > 0 {
            warn!(?stats, "commitlog replay skipped a torn or corrupt tail");
        }
        let position = commitlog.position();
        for (id, after) in &replay_from {
            if *after > position {
                warn!(table = %id, ?after, ?position, "manifest is ahead of the commitlog: was the commitlog directory replaced?");
            }
        }
        info!(tables = loaded.len(), mutations = replayed, "storage opened");

        let (flush_tx, flush_rx) = std::sync::mpsc::channel();
        let (compaction_tx, compaction_rx) = std::sync::mpsc::channel();
        let inner = Arc::new(Inner {
            config,
            commitlog,
            tables: RwLock::new(loaded),
            write_barrier: RwLock::new(()),
            poison: Arc::new(Poison::default()),
            flush_tx,
            compaction_tx,
            closed: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
        });
        let spawn = |name: &str, work: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name.into())
                .spawn(work)
                .map_err(|source| StorageError::Io { path: PathBuf::from(name), source })
        };
        let flusher = {
            let inner = inner.clone();
            spawn("storage-flush", Box::new(move || inner.flush_loop(flush_rx)))?
        };
        let compactor = {
            let inner = inner.clone();
            spawn("storage-compaction", Box::new(move || inner.compaction_loop(compaction_rx)))?
        };
        let storage = Storage { inner, workers: Mutex::new(vec![flusher, compactor]) };

        // Replay may have filled memtables past the threshold; tables may be due for compaction.
        let tables: Vec<Arc<Table>> = storage.inner.tables.read().values().cloned().collect();
        for t in &tables {
            storage.inner.seal(t, false);
            storage.inner.maybe_compact(t);
        }
        Ok(storage)
    }

    /// Creates the table's (empty) storage; a table that exists already is left as it is.
    pub fn create_table(&self, table: TableId) -> Result<(), StorageError> {
        if self.inner.tables.read().contains_key(&table) {
            return Ok(());
        }
        let loaded = Arc::new(Table::load(table, table_dir(&self.inner.config, table))?);
        self.inner.tables.write().entry(table).or_insert(loaded);
        Ok(())
    }

    /// Forgets the table and deletes its files.
    pub fn drop_table(&self, table: TableId) -> Result<(), StorageError> {
        self.inner.drop_table(table)
    }

    /// Removes all the table's data.
    pub fn truncate_table(&self, table: TableId) -> Result<(), StorageError> {
        let t = self.inner.table(table)?;
        self.inner.truncate(&t)
    }

    /// Applies the mutations atomically: one commitlog record, then the memtables.
    pub fn apply(&self, mutations: &[Mutation]) -> Result<WriteAck, StorageError> {
        let inner = &self.inner;
        if inner.closed.load(Ordering::SeqCst) {
            return Err(StorageError::Closed);
        }
        inner.poison.check()?;
        if mutations.is_empty() {
            return Ok(WriteAck::ready());
        }
        let tables: Vec<Arc<Table>> = {
            let map = inner.tables.read();
            mutations
                .iter()
                .map(|m| map.get(&m.table).cloned().ok_or(StorageError::UnknownTable(m.table)))
                .collect::<Result<_, _>>()?
        };
        let mut record = Vec::new();
        codec::encode_mutations(mutations, &mut record);

        let threshold = inner.config.memtable_flush_threshold_bytes;
        let mut full: Vec<Arc<Table>> = Vec::new();
        let pos = {
            let _barrier = inner.write_barrier.read();
            let pos = inner.commitlog.append(&record).map_err(|e| inner.commitlog_failure(e))?;
            for (m, table) in mutations.iter().zip(&tables) {
                let active = table.version().active.clone();
                active.apply(&m.partition, pos.segment);
                if active.memtable.size_bytes() as u64 >= threshold && !full.iter().any(|t| Arc::ptr_eq(t, table)) {
                    full.push(table.clone());
                }
            }
            pos
        };
        for table in &full {
            inner.seal(table, false);
        }

        if matches!(inner.config.sync, SyncMode::Periodic { .. }) {
            return Ok(WriteAck::ready());
        }
        let durable = inner.commitlog.durable(pos);
        let poison = inner.poison.clone();
        Ok(WriteAck(Some(Box::pin(async move {
            durable.await.map_err(|e| {
                if !matches!(e, CommitLogError::Closed) {
                    poison.set(format!("commitlog sync: {e}"));
                }
                StorageError::CommitLog(e)
            })
        }))))
    }

    /// The partition merged over memtables and SSTables (tombstones and expired cells included; the
    /// caller purges with `storage_model::purge`).
    pub fn read_partition(&self, table: TableId, key: &[u8]) -> Result<Option<Partition>, StorageError> {
        let version = self.inner.table(table)?.version();
        let mut merged: Option<Partition> = None;
        let mut add = |p: Partition| match merged.as_mut() {
            None => {
                let mut p = p;
                normalize(&mut p);
                merged = Some(p);
            }
            Some(m) => merge_into(m, p),
        };
        for slot in version.memtables() {
            if let Some(p) = slot.memtable.get(key) {
                add(p);
            }
        }
        for s in &version.sstables {
            if s.sstable.may_contain(key) {
                if let Some(p) = s.sstable.get(key)? {
                    add(p);
                }
            }
        }
        Ok(merged)
    }

    /// Partitions with keys in the range, merged, in key order.
    pub fn scan(&self, table: TableId, start: Bound<Bytes>, end: Bound<Bytes>) -> Result<Scan, StorageError> {
        let version = self.inner.table(table)?.version();
        let to_vec = |b: &Bound<Bytes>| match b {
            Bound::Included(k) => Bound::Included(k.to_vec()),
            Bound::Excluded(k) => Bound::Excluded(k.to_vec()),
            Bound::Unbounded => Bound::Unbounded,
        };
        let (sstable_start, sstable_end) = (to_vec(&start), to_vec(&end));
        let mut sources: Vec<Source> = Vec::new();
        for slot in version.memtables() {
            sources.push(Box::new(slot.memtable.iter_from(start.clone()).map(Ok)));
        }
        for s in &version.sstables {
            let scan = s.sstable.scan_range(sstable_start.clone(), sstable_end.clone());
            sources.push(Box::new(scan.map(|r| r.map_err(StorageError::from))));
        }
        Ok(Box::new(MergeIter::new(sources, end, Some(version))))
    }

    /// Flushes every memtable and syncs the commitlog (clean shutdown). Later writes fail with
    /// [`StorageError::Closed`]; reads keep working. Calling it again does nothing.
    pub fn shutdown(&self) -> Result<(), StorageError> {
        let inner = &self.inner;
        if inner.closed.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let tables: Vec<Arc<Table>> = inner.tables.read().values().cloned().collect();
        for t in &tables {
            inner.seal(t, true);
        }
        // Flushes first (they may queue compactions), then stop compacting.
        let (tx, rx) = std::sync::mpsc::channel();
        if inner.flush_tx.send(FlushMsg::Barrier(tx)).is_ok() {
            let _ = rx.recv();
        }
        self.stop_workers();
        let synced = inner.commitlog.sync().map_err(StorageError::from);
        let discarded = if inner.poison.check().is_ok() { inner.discard_commitlog() } else { Ok(()) };
        let closed = inner.commitlog.close().map_err(StorageError::from);
        info!("storage shut down");
        inner.poison.check()?;
        synced?;
        discarded?;
        closed
    }

    fn stop_workers(&self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        let _ = self.inner.compaction_tx.send(CompactionMsg::Stop);
        let _ = self.inner.flush_tx.send(FlushMsg::Stop);
        for handle in self.workers.lock().drain(..) {
            if handle.join().is_err() {
                self.inner.poison.set("a storage background thread panicked".into());
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Beyond the interface the query layer codes against: maintenance and introspection.
    // ------------------------------------------------------------------------------------------

    /// Flushes the table's memtable to an SSTable now and waits for it (`nodetool flush`).
    pub fn flush_table(&self, table: TableId) -> Result<(), StorageError> {
        let t = self.inner.table(table)?;
        self.inner.seal(&t, true);
        self.inner.wait_for_queues();
        self.inner.poison.check()
    }

    /// Compacts all the table's SSTables into one and waits for it (`nodetool compact`).
    pub fn compact_table(&self, table: TableId) -> Result<(), StorageError> {
        let t = self.inner.table(table)?;
        loop {
            self.inner.wait_for_queues();
            self.inner.poison.check()?;
            if !t.compacting.swap(true, Ordering::SeqCst) {
                break;
            }
            std::thread::yield_now();
        }
        let generations: Vec<u64> = t.version().sstables.iter().map(|s| s.generation()).collect();
        if generations.len() < 2 {
            t.compacting.store(false, Ordering::SeqCst);
            return Ok(());
        }
        self.inner.queue_compaction(&t, generations);
        self.inner.wait_for_queues();
        self.inner.poison.check()
    }

    /// Waits until queued flushes and compactions (and those they queue in turn) are done.
    pub fn wait_for_background_work(&self) {
        loop {
            self.inner.wait_for_queues();
            let busy = self.inner.tables.read().values().any(|t| t.compacting.load(Ordering::SeqCst));
            if !busy || self.inner.stopping.load(Ordering::SeqCst) {
                return;
            }
        }
    }

    /// The generations of the table's live SSTables, ascending.
    pub fn sstable_generations(&self, table: TableId) -> Result<Vec<u64>, StorageError> {
        Ok(self.inner.table(table)?.version().sstables.iter().map(|s| s.generation()).collect())
    }

    /// Sets the table's `gc_grace_seconds` (default 864000): how long compaction keeps tombstones.
    pub fn set_gc_grace_seconds(&self, table: TableId, seconds: i32) -> Result<(), StorageError> {
        self.inner.table(table)?.set_gc_grace_seconds(seconds);
        Ok(())
    }

    /// The directory holding the table's files.
    pub fn table_dir(&self, table: TableId) -> PathBuf {
        table_dir(&self.inner.config, table)
    }

    /// Fails when an earlier background failure poisoned the engine.
    pub fn health(&self) -> Result<(), StorageError> {
        self.inner.poison.check()
    }
}

impl Drop for Storage {
    fn drop(&mut self) {
        self.stop_workers();
    }
}

fn table_dir(config: &StorageConfig, table: TableId) -> PathBuf {
    config.data_dir.join(table.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send_sync<T: Send + Sync + 'static>() {}
    fn send<T: Send + 'static>() {}

    #[test]
    fn the_engine_is_shareable_across_threads_and_its_acks_and_scans_can_move_between_them() {
        send_sync::<Storage>();
        send::<WriteAck>();
        send::<Scan>();
        send_sync::<StorageError>();
    }
}
