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
//! # Per-table options, compaction and back-pressure
//!
//! [`Storage::set_table_options`] gives each table its [`TableOptions`]: compaction strategy
//! (size-tiered, leveled or time-window, planned by the `compaction` crate), compression, chunk length,
//! bloom filter false-positive chance, `gc_grace_seconds`. Compactions run on one background thread,
//! throttled to `compaction_throughput_mib_per_sec`; writers never wait for them. Writers do wait for
//! memory: when every memtable together holds more than `memtable_space_bytes`, the [`WriteAck`] of a
//! write resolves only once flushes have made room (see `budget.rs`).
//!
//! # Background failures
//!
//! An error or a panic in a flush or compaction is logged and *poisons* the engine: every later
//! [`Storage::apply`] fails with [`StorageError::Poisoned`] instead of accepting writes that might
//! never reach an SSTable. A memtable whose flush failed stays readable and keeps its commitlog segments.

mod budget;
mod engine;
mod manifest;
mod options;
mod scan;
mod snapshot;
mod table;
mod throttle;

use std::collections::HashMap;
use std::fmt;
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
pub use compaction::{
    CompactionParams, LeveledOptions, OptionsError, SizeTieredOptions, Strategy, TimeWindowOptions,
    TimestampResolution, WindowUnit,
};
pub use options::{Clock, TableOptions, DEFAULT_CHUNK_LENGTH_BYTES, DEFAULT_GC_GRACE_SECONDS};
pub use sstable::Compression;

use crate::budget::{MemoryBudget, RoomWait, CLOSED};
use crate::engine::{CompactionMsg, FlushMsg, Inner, Poison};
use crate::scan::{MergeIter, Source};
use crate::table::Table;
use crate::throttle::Throttle;

#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// Table data lives under `data_dir/<table-id>/`.
    pub data_dir: PathBuf,
    pub commitlog_dir: PathBuf,
    pub sync: SyncMode,
    pub commitlog_segment_size_bytes: u64,
    /// A table's memtable past this size is flushed to an SSTable.
    pub memtable_flush_threshold_bytes: u64,
    /// Size-tiered tables: merge all SSTables when there are more than this many and no bucket of
    /// similar sizes qualifies.
    pub compaction_threshold: usize,
    /// Compaction writes at most this many MiB per second (cassandra.yaml `compaction_throughput`);
    /// 0 = unthrottled. Changeable at run time with [`Storage::set_compaction_throughput`].
    pub compaction_throughput_mib_per_sec: u64,
    /// Memory all memtables together may hold (like cassandra.yaml `memtable_heap_space`, which
    /// defaults to a quarter of the heap); past it, acknowledgements wait for flushes to make room.
    /// 0 = unlimited.
    pub memtable_space_bytes: u64,
    /// Snapshot a table before TRUNCATE and DROP (cassandra.yaml `auto_snapshot`), unless the table's
    /// `allow_auto_snapshot` is false.
    pub auto_snapshot: bool,
    /// Server time for purging tombstones and expired data.
    pub clock: Clock,
}

/// The default [`StorageConfig::memtable_space_bytes`]: a quarter of a 2 GiB heap.
pub const DEFAULT_MEMTABLE_SPACE_BYTES: u64 = 512 << 20;
/// The default [`StorageConfig::compaction_throughput_mib_per_sec`] (Cassandra's).
pub const DEFAULT_COMPACTION_THROUGHPUT_MIB_PER_SEC: u64 = 64;

impl StorageConfig {
    /// Defaults under one directory: `data/` and `commitlog/` in it, periodic sync every 10 s, 32 MiB
    /// commitlog segments, 64 MiB memtables within 512 MiB of memtable space, compaction past 8
    /// SSTables at up to 64 MiB/s, no automatic snapshots.
    pub fn new(base_dir: impl Into<PathBuf>) -> StorageConfig {
        let base = base_dir.into();
        StorageConfig {
            data_dir: base.join("data"),
            commitlog_dir: base.join("commitlog"),
            sync: SyncMode::Periodic { period: std::time::Duration::from_secs(10) },
            commitlog_segment_size_bytes: 32 << 20,
            memtable_flush_threshold_bytes: 64 << 20,
            compaction_threshold: 8,
            compaction_throughput_mib_per_sec: DEFAULT_COMPACTION_THROUGHPUT_MIB_PER_SEC,
            memtable_space_bytes: DEFAULT_MEMTABLE_SPACE_BYTES,
            auto_snapshot: false,
            clock: Clock::system(),
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

/// Resolves when a write is durable (per the sync mode) and the memtables have room for more (see
/// [`StorageConfig::memtable_space_bytes`]).
pub struct WriteAck(Option<AckFuture>);

impl fmt::Debug for WriteAck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "WriteAck(pending)" } else { "WriteAck(ready)" })
    }
}

impl WriteAck {
    pub fn ready() -> WriteAck {
        WriteAck(None)
    }

    pub(crate) fn from_future(f: impl Future<Output = Result<(), StorageError>> + Send + 'static) -> WriteAck {
        WriteAck(Some(Box::pin(f)))
    }

    /// True when the ack needs no waiting at all.
    pub fn is_ready(&self) -> bool {
        self.0.is_none()
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
            mapped: true,
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

        let budget = Arc::new(MemoryBudget::new(config.memtable_space_bytes));
        budget.add(loaded.values().map(|t| t.version().active.accounted()).sum());
        let (flush_tx, flush_rx) = std::sync::mpsc::channel();
        let (compaction_tx, compaction_rx) = std::sync::mpsc::channel();
        let throttle = Throttle::new(config.compaction_throughput_mib_per_sec);
        let inner = Arc::new(Inner {
            config,
            commitlog,
            tables: RwLock::new(loaded),
            write_barrier: RwLock::new(()),
            poison: Arc::new(Poison::new(budget.clone())),
            budget,
            throttle,
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

        // Replay may have filled memtables past the threshold. Compaction waits for the tables' options
        // (set_table_options), a flush, or the compaction thread's periodic check, so that a table is
        // not compacted with another strategy than its own right after a restart.
        let tables: Vec<Arc<Table>> = storage.inner.tables.read().values().cloned().collect();
        for t in &tables {
            storage.inner.seal(t, false);
        }
        storage.inner.relieve_memory();
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

    /// Forgets the table and deletes its files. With [`StorageConfig::auto_snapshot`] (and the table's
    /// `allow_auto_snapshot`), its data is first snapshotted as `dropped-<millis>-<table id>`, and its
    /// directory then keeps only `snapshots/`.
    pub fn drop_table(&self, table: TableId) -> Result<(), StorageError> {
        let t = self.inner.table(table)?;
        let keep = self.auto_snapshot_wanted(&t);
        if keep {
            self.snapshot_table(&t, &snapshot::auto_name("dropped", &t))?;
        }
        self.inner.drop_table(table, keep)
    }

    /// Removes all the table's data. With [`StorageConfig::auto_snapshot`] (and the table's
    /// `allow_auto_snapshot`), it is first snapshotted as `truncated-<millis>-<table id>`.
    pub fn truncate_table(&self, table: TableId) -> Result<(), StorageError> {
        let t = self.inner.table(table)?;
        if self.auto_snapshot_wanted(&t) {
            self.snapshot_table(&t, &snapshot::auto_name("truncated", &t))?;
        }
        self.inner.truncate(&t)
    }

    fn auto_snapshot_wanted(&self, table: &Table) -> bool {
        self.inner.config.auto_snapshot && table.options().allow_auto_snapshot
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
        let mut grown = 0u64;
        let pos = {
            let _barrier = inner.write_barrier.read();
            let pos = inner.commitlog.append(&record).map_err(|e| inner.commitlog_failure(e))?;
            for (m, table) in mutations.iter().zip(&tables) {
                let active = table.version().active.clone();
                grown += active.apply(&m.partition, pos.segment);
                if active.memtable.size_bytes() as u64 >= threshold && !full.iter().any(|t| Arc::ptr_eq(t, table)) {
                    full.push(table.clone());
                }
            }
            pos
        };
        inner.budget.add(grown);
        for table in &full {
            inner.seal(table, false);
        }
        inner.relieve_memory();

        let room = (!inner.budget.has_room()).then(|| RoomWait(inner.budget.clone()));
        if matches!(inner.config.sync, SyncMode::Periodic { .. }) {
            return Ok(match room {
                None => WriteAck::ready(),
                Some(room) => WriteAck::from_future(room),
            });
        }
        let durable = inner.commitlog.durable(pos);
        let poison = inner.poison.clone();
        Ok(WriteAck::from_future(async move {
            durable.await.map_err(|e| {
                if !matches!(e, CommitLogError::Closed) {
                    poison.set(format!("commitlog sync: {e}"));
                }
                StorageError::CommitLog(e)
            })?;
            match room {
                None => Ok(()),
                Some(room) => room.await,
            }
        }))
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

    /// The part of a partition that a read of the clustering `ranges` needs, merged over memtables and
    /// SSTables like [`Storage::read_partition`]: its deletion and static row, the range tombstones
    /// overlapping a range, and the rows with a clustering in a range (`start <= clustering < end`,
    /// `end: None` unbounded). SSTables whose statistics show they cannot contribute
    /// (`Sstable::may_intersect_slice`) are skipped, and wide partitions are read only where the
    /// ranges fall. `None` when no source holds the key (or none that can contribute).
    pub fn read_partition_slice(
        &self,
        table: TableId,
        key: &[u8],
        ranges: &[(Bytes, Option<Bytes>)],
    ) -> Result<Option<Partition>, StorageError> {
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
            if let Some(p) = slot.memtable.get_slice(key, ranges) {
                add(p);
            }
        }
        for s in &version.sstables {
            if s.sstable.may_intersect_slice(ranges) && s.sstable.may_contain(key) {
                if let Some(p) = s.sstable.get_slice(key, ranges)? {
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
        inner.budget.fail(CLOSED.into());
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

    /// Compacts all the table's SSTables together and waits for it (`nodetool compact`): into one
    /// SSTable, or, for a leveled table, into `sstable_size_in_mb` SSTables in the lowest level that
    /// holds them all.
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
        let infos = Inner::sstable_infos(&t.version());
        let Some(task) = compaction::plan_major(&infos, &self.inner.compaction_params(&t)) else {
            t.compacting.store(false, Ordering::SeqCst);
            return Ok(());
        };
        self.inner.queue_compaction(&t, task);
        self.inner.wait_for_queues();
        self.inner.poison.check()
    }

    /// Runs the table's strategy now, as a flush would, and waits until it has nothing more to do.
    pub fn run_background_compactions(&self, table: TableId) -> Result<(), StorageError> {
        let t = self.inner.table(table)?;
        self.inner.maybe_compact(&t);
        self.wait_for_background_work();
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

    /// The table's live SSTables as `(generation, level, size in bytes)`, by ascending generation.
    pub fn sstable_levels(&self, table: TableId) -> Result<Vec<(u64, u32, u64)>, StorageError> {
        let version = self.inner.table(table)?.version();
        Ok(version.sstables.iter().map(|s| (s.generation(), s.level(), s.sstable.stats().file_size_bytes)).collect())
    }

    /// Sets the table's options (compaction strategy, compression, bloom filter, gc grace, ...). They
    /// apply to SSTables written and compactions planned from now on; a compaction the new strategy
    /// calls for is queued at once. The query layer calls it when it opens the engine and on
    /// CREATE/ALTER TABLE.
    pub fn set_table_options(&self, table: TableId, options: TableOptions) -> Result<(), StorageError> {
        let t = self.inner.table(table)?;
        if *t.options() != options {
            t.set_options(options);
            self.inner.maybe_compact(&t);
        }
        Ok(())
    }

    /// The table's current options.
    pub fn table_options(&self, table: TableId) -> Result<TableOptions, StorageError> {
        Ok((*self.inner.table(table)?.options()).clone())
    }

    /// Sets only the table's `gc_grace_seconds` (default 864000): how long compaction keeps tombstones.
    pub fn set_gc_grace_seconds(&self, table: TableId, seconds: i32) -> Result<(), StorageError> {
        self.inner.table(table)?.update_options(|o| o.gc_grace_seconds = seconds);
        Ok(())
    }

    /// Changes the compaction throughput limit (MiB/s, 0 = unthrottled; `nodetool setcompactionthroughput`).
    pub fn set_compaction_throughput(&self, mib_per_sec: u64) {
        self.inner.throttle.set_mib_per_second(mib_per_sec);
    }

    /// The compaction throughput limit (MiB/s, 0 = unthrottled).
    pub fn compaction_throughput(&self) -> u64 {
        self.inner.throttle.mib_per_second()
    }

    /// Bytes held by every memtable of every table (what [`StorageConfig::memtable_space_bytes`] bounds).
    pub fn memtable_memory_used(&self) -> u64 {
        self.inner.budget.used()
    }

    /// Flushes the table and hard-links its SSTables into `<table dir>/snapshots/<name>/`, with a
    /// manifest of its own (`nodetool snapshot`). Returns the snapshot's directory. Fails if a snapshot
    /// of that name exists.
    pub fn snapshot(&self, table: TableId, name: &str) -> Result<PathBuf, StorageError> {
        snapshot::check_name(name)?;
        let t = self.inner.table(table)?;
        self.snapshot_table(&t, name)
    }

    fn snapshot_table(&self, t: &Arc<Table>, name: &str) -> Result<PathBuf, StorageError> {
        self.inner.seal(t, true);
        self.inner.wait_for_queues();
        self.inner.poison.check()?;
        snapshot::take(t, name)
    }

    /// The names of the table's snapshots, sorted.
    pub fn list_snapshots(&self, table: TableId) -> Result<Vec<String>, StorageError> {
        snapshot::list(&self.table_dir(table))
    }

    /// Deletes one of the table's snapshots (`nodetool clearsnapshot -t <name>`).
    pub fn clear_snapshot(&self, table: TableId, name: &str) -> Result<(), StorageError> {
        snapshot::clear(&self.table_dir(table), name)
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
        self.inner.budget.fail(CLOSED.into());
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
