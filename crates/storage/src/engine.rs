//! The engine's shared state and its background work: sealing and flushing memtables, compacting,
//! truncating, and deleting commitlog segments no memtable needs any more.

use std::collections::HashMap;
use std::ops::Bound;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::Duration;

use commitlog::{CommitLog, CommitLogError, Position};
use compaction::{CompactionParams, CompactionReason, CompactionTask, PlanContext, SstableInfo, TaskKind};
use parking_lot::{Mutex, RwLock};
use sstable::{Sstable, SstableWriter, WriterOptions};
use storage_model::merge::partition_is_empty;
use storage_model::purge::{purge_tombstones_with, PurgePolicy};
use storage_model::TableId;
use tracing::{debug, error, info, warn};

use crate::budget::MemoryBudget;
use crate::manifest::{self, Manifest};
use crate::scan::{MergeIter, Source};
use crate::table::{remove_path, LiveSstable, MemtableSlot, Table, TableVersion};
use crate::throttle::Throttle;
use crate::{StorageConfig, StorageError};

/// How often the compaction thread looks at every table even without flushes (TTLs and gc grace
/// expire with time alone).
const PERIODIC_COMPACTION_CHECK: Duration = Duration::from_secs(60);

/// A failure that makes every later write fail.
#[derive(Debug)]
pub(crate) struct Poison {
    reason: Mutex<Option<String>>,
    /// Writers waiting for memtable room would wait forever: they are told.
    budget: Arc<MemoryBudget>,
}

impl Poison {
    pub fn new(budget: Arc<MemoryBudget>) -> Poison {
        Poison { reason: Mutex::new(None), budget }
    }

    pub fn set(&self, why: String) {
        error!(reason = %why, "storage engine poisoned: writes are refused from now on");
        {
            let mut slot = self.reason.lock();
            if slot.is_none() {
                *slot = Some(why.clone());
            }
        }
        self.budget.fail(why);
    }

    pub fn check(&self) -> Result<(), StorageError> {
        match &*self.reason.lock() {
            None => Ok(()),
            Some(why) => Err(StorageError::Poisoned(why.clone())),
        }
    }
}

pub(crate) struct FlushJob {
    table: Arc<Table>,
    slot: Arc<MemtableSlot>,
    epoch: u64,
}

pub(crate) enum FlushMsg {
    Flush(FlushJob),
    /// Answered once every message before it is handled.
    Barrier(Sender<()>),
    Stop,
}

pub(crate) struct CompactionJob {
    table: Arc<Table>,
    task: CompactionTask,
    epoch: u64,
}

pub(crate) enum CompactionMsg {
    Compact(CompactionJob),
    Barrier(Sender<()>),
    Stop,
}

pub(crate) struct Inner {
    pub config: StorageConfig,
    pub commitlog: CommitLog,
    pub tables: RwLock<HashMap<TableId, Arc<Table>>>,
    /// Writers hold it shared from their commitlog append until their memtable updates are done.
    /// Sealing a memtable, truncating, and computing which commitlog segments may go hold it exclusively,
    /// so they never see a record appended but not yet in a memtable.
    pub write_barrier: RwLock<()>,
    pub poison: Arc<Poison>,
    /// Memory held by every memtable, against `memtable_space_bytes`.
    pub budget: Arc<MemoryBudget>,
    pub throttle: Throttle,
    pub flush_tx: Sender<FlushMsg>,
    pub compaction_tx: Sender<CompactionMsg>,
    /// No new writes (shutdown began).
    pub closed: AtomicBool,
    /// Background work must stop (compactions abort).
    pub stopping: AtomicBool,
}

impl Inner {
    pub fn table(&self, id: TableId) -> Result<Arc<Table>, StorageError> {
        self.tables.read().get(&id).cloned().ok_or(StorageError::UnknownTable(id))
    }

    /// Turns a commitlog failure into a storage error, poisoning the engine when the log may have lost
    /// or half-written data.
    pub fn commitlog_failure(&self, e: CommitLogError) -> StorageError {
        match e {
            CommitLogError::Closed => StorageError::Closed,
            e @ (CommitLogError::Io { .. } | CommitLogError::SyncFailed(_) | CommitLogError::WriteFailed(_)) => {
                self.poison.set(format!("commitlog: {e}"));
                StorageError::CommitLog(e)
            }
            e => StorageError::CommitLog(e),
        }
    }

    /// How the table's new SSTables are laid out (its compression, chunk length and bloom filter).
    pub fn writer_options(&self, table: &Table) -> WriterOptions {
        let o = table.options();
        WriterOptions::default()
            .with_block_size(o.chunk_length_bytes)
            .with_compression(o.compression)
            .with_bloom_fp_chance(o.bloom_filter_fp_chance)
    }

    /// Seals the table's active memtable and queues its flush: when it passed the flush threshold, or
    /// whenever it holds anything if `force`.
    pub fn seal(&self, table: &Arc<Table>, force: bool) {
        let threshold = self.config.memtable_flush_threshold_bytes;
        let _barrier = self.write_barrier.write();
        let mut job = None;
        table.update_version(|v| {
            let size = v.active.memtable.size_bytes() as u64;
            if v.active.memtable.is_empty() || (!force && size < threshold) {
                return None;
            }
            v.active.seal(self.commitlog.position());
            job = Some(FlushJob { table: table.clone(), slot: v.active.clone(), epoch: table.epoch() });
            let mut sealed = v.sealed.clone();
            sealed.push(v.active.clone());
            Some(TableVersion { active: MemtableSlot::new(), sealed, sstables: v.sstables.clone() })
        });
        // Sent under the barrier so that flushes of one table are queued in the order they were sealed.
        if let Some(job) = job {
            self.budget.sealed(job.slot.accounted());
            debug!(table = %table.id, "memtable sealed");
            if self.flush_tx.send(FlushMsg::Flush(job)).is_err() {
                self.poison.set("the flush thread is gone".into());
            }
        }
    }

    /// When the active memtables hold more than the cleanup share of the memtable budget, seals the
    /// largest one so that its flush makes room.
    pub fn relieve_memory(&self) {
        if !self.budget.should_clean() {
            return;
        }
        let largest = self
            .tables
            .read()
            .values()
            .map(|t| (t.version().active.accounted(), t.clone()))
            .max_by_key(|(bytes, _)| *bytes);
        if let Some((bytes, table)) = largest {
            if bytes > 0 {
                debug!(table = %table.id, bytes, used = self.budget.used(), "sealing the largest memtable to make room");
                self.seal(&table, true);
            }
        }
        self.budget.cleaned();
    }

    /// Returns the memory of memtables that left their table to the budget.
    pub fn release_memtables<'a>(&self, slots: impl IntoIterator<Item = &'a Arc<MemtableSlot>>) {
        for slot in slots {
            self.budget.release(slot.take_accounted(), slot.sealed_at().is_some());
        }
    }

    /// Runs background work, turning an error or a panic into a poisoned engine.
    fn guarded(&self, what: &str, work: impl FnOnce() -> Result<(), StorageError>) {
        match catch_unwind(AssertUnwindSafe(work)) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => self.poison.set(format!("{what} failed: {e}")),
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into());
                self.poison.set(format!("{what} panicked: {msg}"));
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Flush
    // ------------------------------------------------------------------------------------------

    pub fn flush_loop(self: Arc<Self>, rx: Receiver<FlushMsg>) {
        while let Ok(msg) = rx.recv() {
            match msg {
                // Stopping without a shutdown (the engine was dropped): the commitlog keeps the data.
                FlushMsg::Flush(_) if self.stopping.load(Ordering::SeqCst) => {}
                FlushMsg::Flush(job) => self.guarded("flush", || self.flush(job)),
                FlushMsg::Barrier(done) => {
                    let _ = done.send(());
                }
                FlushMsg::Stop => break,
            }
        }
        debug!("flush thread stopped");
    }

    fn flush(&self, job: FlushJob) -> Result<(), StorageError> {
        let FlushJob { table, slot, epoch } = job;
        if table.superseded(epoch) {
            return Ok(());
        }
        let written = if slot.memtable.is_empty() {
            None
        } else {
            match self.write_memtable(&table, &slot) {
                Ok(s) => Some(s),
                Err(e) if table.superseded(epoch) => {
                    debug!(table = %table.id, error = %e, "flush of a truncated or dropped table abandoned");
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        };
        if self.install_flush(&table, &slot, written, epoch)? {
            self.discard_commitlog()?;
            self.maybe_compact(&table);
        }
        Ok(())
    }

    fn write_memtable(&self, table: &Table, slot: &MemtableSlot) -> Result<Sstable, StorageError> {
        let generation = table.next_generation();
        let mut writer = SstableWriter::create(&table.dir, generation, self.writer_options(table))?;
        let mut partitions = 0u64;
        for p in slot.memtable.iter_all() {
            writer.add(&p)?;
            partitions += 1;
        }
        let sstable = writer.finish()?;
        info!(table = %table.id, generation, partitions, "memtable flushed");
        Ok(sstable)
    }

    /// Makes a flushed SSTable live (at level 0) and forgets its memtable. False when the flush was
    /// abandoned.
    fn install_flush(
        &self,
        table: &Table,
        slot: &Arc<MemtableSlot>,
        written: Option<Sstable>,
        epoch: u64,
    ) -> Result<bool, StorageError> {
        let mut files = table.files.lock();
        if table.superseded(epoch) {
            if let Some(s) = written {
                delete_quietly(&s);
            }
            return Ok(false);
        }
        let current = table.version();
        let sealed_at = slot.sealed_at();
        // Commitlog replay may only skip what this memtable covers if no older one is still unflushed.
        let older_unflushed =
            current.sealed.iter().any(|s| !Arc::ptr_eq(s, slot) && s.sealed_at().is_none_or_before(sealed_at));
        let mut next = files.clone();
        if let Some(s) = &written {
            next.add(s.generation(), 0);
        }
        match sealed_at {
            Some(at) if !older_unflushed && at > next.replay_after => next.replay_after = at,
            _ => {}
        }
        if next != *files {
            manifest::write(&table.dir, &next)?;
            *files = next;
        }
        let live = written.map(|s| LiveSstable::new(s, 0));
        table.update_version(|v| {
            let mut sstables = v.sstables.clone();
            sstables.extend(live);
            Some(TableVersion {
                active: v.active.clone(),
                sealed: v.sealed.iter().filter(|s| !Arc::ptr_eq(s, slot)).cloned().collect(),
                sstables,
            })
        });
        drop(files);
        self.release_memtables([slot]);
        Ok(true)
    }

    /// Deletes the commitlog segments that no memtable of any table still needs.
    pub fn discard_commitlog(&self) -> Result<(), StorageError> {
        let keep_from = {
            let _barrier = self.write_barrier.write();
            let mut keep_from = self.commitlog.position().segment;
            for table in self.tables.read().values() {
                for slot in table.version().memtables() {
                    if let Some(s) = slot.min_segment() {
                        keep_from = keep_from.min(s);
                    }
                }
            }
            keep_from
        };
        self.commitlog.discard_before(Position { segment: keep_from, offset: 0 }).map_err(|e| self.commitlog_failure(e))
    }

    // ------------------------------------------------------------------------------------------
    // Compaction
    // ------------------------------------------------------------------------------------------

    /// The table's compaction settings, with the engine's `compaction_threshold`.
    pub fn compaction_params(&self, table: &Table) -> CompactionParams {
        CompactionParams {
            merge_all_above: Some(self.config.compaction_threshold),
            ..table.options().compaction.clone()
        }
    }

    /// What the planner knows of a table version's SSTables.
    pub fn sstable_infos(version: &TableVersion) -> Vec<SstableInfo> {
        version
            .sstables
            .iter()
            .map(|s| {
                let stats = s.sstable.stats();
                SstableInfo {
                    generation: s.generation(),
                    size_bytes: stats.file_size_bytes,
                    level: s.level(),
                    min_key: stats.min_key.clone(),
                    max_key: stats.max_key.clone(),
                    min_timestamp: stats.min_timestamp,
                    max_timestamp: stats.max_timestamp,
                    max_local_deletion_time: stats.max_local_deletion_time,
                    partition_count: stats.partition_count,
                    cell_count: stats.cell_count,
                    tombstone_drop_times: stats.tombstone_drop_times.bins(),
                    created_at_seconds: s.created_at_seconds,
                }
            })
            .collect()
    }

    fn plan_context(&self, table: &Table, version: &TableVersion) -> PlanContext {
        let now = self.config.clock.now_seconds();
        PlanContext {
            gc_before: now.saturating_sub(table.options().gc_grace_seconds),
            now_seconds: i64::from(now),
            memtable_min_timestamp: version
                .memtables()
                .filter_map(|m| m.memtable.min_timestamp())
                .min()
                .unwrap_or(i64::MAX),
        }
    }

    /// Queues a compaction of the table if the planner picks one and none is running for it.
    pub fn maybe_compact(&self, table: &Arc<Table>) {
        if self.stopping.load(Ordering::SeqCst) || table.dropped.load(Ordering::SeqCst) {
            return;
        }
        if table.compacting.swap(true, Ordering::SeqCst) {
            return;
        }
        let version = table.version();
        let task = compaction::plan(
            &Self::sstable_infos(&version),
            &self.compaction_params(table),
            &self.plan_context(table, &version),
        );
        match task {
            Some(task) => self.queue_compaction(table, task),
            None => table.compacting.store(false, Ordering::SeqCst),
        }
    }

    /// Queues a compaction; the caller has set the table's `compacting` flag.
    pub fn queue_compaction(&self, table: &Arc<Table>, task: CompactionTask) {
        debug!(table = %table.id, ?task, "compaction queued");
        let job = CompactionJob { table: table.clone(), task, epoch: table.epoch() };
        if self.compaction_tx.send(CompactionMsg::Compact(job)).is_err() {
            table.compacting.store(false, Ordering::SeqCst);
        }
    }

    pub fn compaction_loop(self: Arc<Self>, rx: Receiver<CompactionMsg>) {
        loop {
            let msg = match rx.recv_timeout(PERIODIC_COMPACTION_CHECK) {
                Ok(msg) => msg,
                Err(RecvTimeoutError::Timeout) => {
                    let tables: Vec<Arc<Table>> = self.tables.read().values().cloned().collect();
                    for t in &tables {
                        self.maybe_compact(t);
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            };
            match msg {
                CompactionMsg::Compact(job) => {
                    let table = job.table.clone();
                    // A tombstone compaction's output is new: with a zero tombstone_compaction_interval
                    // planning again at once could rewrite it forever; the periodic check comes back.
                    let replan = job.task.reason != CompactionReason::Tombstones
                        || table.options().compaction.tombstones.interval_seconds > 0;
                    let mut progressed = false;
                    self.guarded("compaction", || {
                        progressed = self.compact(job)?;
                        Ok(())
                    });
                    table.compacting.store(false, Ordering::SeqCst);
                    if progressed && replan {
                        self.maybe_compact(&table);
                    }
                }
                CompactionMsg::Barrier(done) => {
                    let _ = done.send(());
                }
                CompactionMsg::Stop => break,
            }
        }
        debug!("compaction thread stopped");
    }

    /// Carries out a task. True when its result was installed.
    fn compact(&self, job: CompactionJob) -> Result<bool, StorageError> {
        let CompactionJob { table, task, epoch } = job;
        let version = table.version();
        let inputs: Vec<Arc<LiveSstable>> =
            version.sstables.iter().filter(|s| task.inputs.contains(&s.generation())).cloned().collect();
        if inputs.len() != task.inputs.len() || inputs.is_empty() {
            return Ok(false);
        }
        let result = match task.kind {
            TaskKind::Drop => self.install_compaction(&table, &inputs, Vec::new(), 0, epoch),
            TaskKind::Move => self.install_move(&table, &inputs[0], task.output_level, epoch),
            TaskKind::Merge => self.merge(&table, &version, &inputs, &task, epoch),
        };
        match result {
            Ok(true) => {
                info!(table = %table.id, kind = ?task.kind, reason = ?task.reason, inputs = ?task.inputs,
                      level = task.output_level, "compaction done");
                Ok(true)
            }
            Err(e) if table.superseded(epoch) || self.stopping.load(Ordering::SeqCst) => {
                debug!(table = %table.id, error = %e, "compaction abandoned");
                Ok(false)
            }
            other => other,
        }
    }

    /// Merges the inputs (purging what may go), writes the result into SSTables of at most
    /// `max_output_bytes` each at the task's level, and installs them.
    fn merge(
        &self,
        table: &Arc<Table>,
        version: &TableVersion,
        inputs: &[Arc<LiveSstable>],
        task: &CompactionTask,
        epoch: u64,
    ) -> Result<bool, StorageError> {
        // Tombstones may only go if nothing outside this compaction could hold data they shadow.
        let outside_memtables = version.memtables().filter_map(|m| m.memtable.min_timestamp());
        let outside_sstables = version
            .sstables
            .iter()
            .filter(|s| !task.inputs.contains(&s.generation()))
            .map(|s| s.sstable.stats().min_timestamp);
        let max_purgeable_timestamp = outside_memtables.chain(outside_sstables).min().unwrap_or(i64::MAX);
        let now = self.config.clock.now_seconds();
        let policy = PurgePolicy {
            now,
            gc_before: now.saturating_sub(table.options().gc_grace_seconds),
            max_purgeable_timestamp,
        };

        let sources: Vec<Source> = inputs
            .iter()
            .map(|s| Box::new(s.sstable.scan(Bound::Unbounded).map(|r| r.map_err(StorageError::from))) as Source)
            .collect();
        let options = self.writer_options(table);
        let abort = || table.superseded(epoch) || self.stopping.load(Ordering::SeqCst);
        let mut outputs: Vec<Sstable> = Vec::new();
        let mut writer: Option<SstableWriter> = None;
        let run = || -> Result<bool, StorageError> {
            for (i, merged) in MergeIter::new(sources, Bound::Unbounded, None).enumerate() {
                if i % 64 == 0 && abort() {
                    debug!(table = %table.id, "compaction interrupted");
                    return Ok(false);
                }
                let purged = purge_tombstones_with(merged?, &policy);
                if partition_is_empty(&purged) {
                    continue;
                }
                let w = match writer.as_mut() {
                    Some(w) => w,
                    None => writer.insert(SstableWriter::create(&table.dir, table.next_generation(), options)?),
                };
                let before = w.bytes_written();
                w.add(&purged)?;
                let written = w.bytes_written();
                self.throttle.acquire(written - before, abort);
                if task.max_output_bytes.is_some_and(|max| written >= max) {
                    if let Some(full) = writer.take() {
                        outputs.push(full.finish()?);
                    }
                }
            }
            if let Some(last) = writer.take() {
                outputs.push(last.finish()?);
            }
            Ok(!abort())
        };
        let completed = run();
        drop(writer); // an unfinished writer deletes its temporary file
        match completed {
            Ok(true) => self.install_compaction(table, inputs, outputs, task.output_level, epoch),
            Ok(false) => {
                outputs.iter().for_each(delete_quietly);
                Ok(false)
            }
            Err(e) => {
                outputs.iter().for_each(delete_quietly);
                Err(e)
            }
        }
    }

    /// Replaces `inputs` with `outputs` (at `level`): the manifest first, then the version; the inputs
    /// are deleted once no reader holds them. False (outputs deleted) when the table was truncated or
    /// dropped meanwhile.
    fn install_compaction(
        &self,
        table: &Table,
        inputs: &[Arc<LiveSstable>],
        outputs: Vec<Sstable>,
        level: u32,
        epoch: u64,
    ) -> Result<bool, StorageError> {
        let mut files = table.files.lock();
        let current = table.version();
        let still_live = inputs.iter().all(|i| current.sstables.iter().any(|s| Arc::ptr_eq(s, i)));
        if table.superseded(epoch) || !still_live {
            outputs.iter().for_each(delete_quietly);
            return Ok(false);
        }
        let input_generations: Vec<u64> = inputs.iter().map(|s| s.generation()).collect();
        let mut next = files.clone();
        next.remove(&input_generations);
        for s in &outputs {
            next.add(s.generation(), level);
        }
        if let Err(e) = manifest::write(&table.dir, &next) {
            outputs.iter().for_each(delete_quietly);
            return Err(e);
        }
        *files = next;
        let outputs: Vec<Arc<LiveSstable>> = outputs.into_iter().map(|s| LiveSstable::new(s, level)).collect();
        table.update_version(|v| {
            let mut sstables: Vec<Arc<LiveSstable>> =
                v.sstables.iter().filter(|s| !input_generations.contains(&s.generation())).cloned().collect();
            sstables.extend(outputs);
            sstables.sort_by_key(|s| s.generation());
            Some(TableVersion { active: v.active.clone(), sealed: v.sealed.clone(), sstables })
        });
        for input in inputs {
            input.mark_obsolete();
        }
        Ok(true)
    }

    /// Moves one SSTable to another level: a manifest change only.
    fn install_move(
        &self,
        table: &Table,
        input: &Arc<LiveSstable>,
        level: u32,
        epoch: u64,
    ) -> Result<bool, StorageError> {
        let mut files = table.files.lock();
        let still_live = table.version().sstables.iter().any(|s| Arc::ptr_eq(s, input));
        if table.superseded(epoch) || !still_live {
            return Ok(false);
        }
        let mut next = files.clone();
        next.add(input.generation(), level);
        manifest::write(&table.dir, &next)?;
        *files = next;
        input.set_level(level);
        Ok(true)
    }

    // ------------------------------------------------------------------------------------------
    // Truncate and drop
    // ------------------------------------------------------------------------------------------

    pub fn truncate(&self, table: &Arc<Table>) -> Result<(), StorageError> {
        table.bump_epoch(); // abandon flushes and compactions in flight
        let mut files = table.files.lock();
        let (old, truncated_at) = {
            let _barrier = self.write_barrier.write();
            // Memtables sealed since the first bump carry its epoch: bump again to abandon them too.
            table.bump_epoch();
            (table.replace_version(TableVersion::empty()), self.commitlog.position())
        };
        self.release_memtables(old.memtables());
        let next = Manifest { sstables: Vec::new(), replay_after: truncated_at.max(files.replay_after) };
        if let Err(e) = manifest::write(&table.dir, &next) {
            self.poison.set(format!("truncating table {}: {e}", table.id));
            return Err(e);
        }
        *files = next;
        for s in &old.sstables {
            s.mark_obsolete();
        }
        drop(files);
        drop(old);
        info!(table = %table.id, "table truncated");
        self.discard_commitlog()
    }

    /// Forgets the table and deletes its files; with `keep_snapshots`, its `snapshots/` directory stays.
    pub fn drop_table(&self, id: TableId, keep_snapshots: bool) -> Result<(), StorageError> {
        let table = self.tables.write().remove(&id).ok_or(StorageError::UnknownTable(id))?;
        table.dropped.store(true, Ordering::SeqCst);
        table.bump_epoch();
        let files = table.files.lock();
        let old = table.replace_version(TableVersion::empty());
        self.release_memtables(old.memtables());
        let snapshots = table.dir.join(crate::snapshot::SNAPSHOTS_DIR);
        if keep_snapshots && snapshots.is_dir() {
            // The manifest goes first: what is left is no table, only its snapshots.
            remove_path(&table.dir.join(manifest::FILE_NAME))?;
            let entries =
                std::fs::read_dir(&table.dir).map_err(|source| StorageError::Io { path: table.dir.clone(), source })?;
            for entry in entries {
                let entry = entry.map_err(|source| StorageError::Io { path: table.dir.clone(), source })?;
                if entry.path() != snapshots {
                    remove_path(&entry.path())?;
                }
            }
            manifest::sync_dir(&table.dir)?;
        } else {
            remove_path(&table.dir)?;
            if let Some(parent) = table.dir.parent() {
                manifest::sync_dir(parent)?;
            }
        }
        drop(files);
        info!(table = %id, "table dropped");
        self.discard_commitlog()
    }

    /// Waits until the flush queue, and then the compaction queue, have handled what was sent before.
    pub fn wait_for_queues(&self) {
        let (tx, rx) = std::sync::mpsc::channel();
        if self.flush_tx.send(FlushMsg::Barrier(tx)).is_ok() {
            let _ = rx.recv();
        }
        let (tx, rx) = std::sync::mpsc::channel();
        if self.compaction_tx.send(CompactionMsg::Barrier(tx)).is_ok() {
            let _ = rx.recv();
        }
    }
}

fn delete_quietly(s: &Sstable) {
    if let Err(e) = s.delete() {
        warn!(path = %s.path().display(), error = %e, "deleting an unused sstable failed");
    }
}

trait PositionExt {
    fn is_none_or_before(&self, other: Option<Position>) -> bool;
}

impl PositionExt for Option<Position> {
    /// An unsealed (unknown) position counts as older.
    fn is_none_or_before(&self, other: Option<Position>) -> bool {
        match (self, other) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(a), Some(b)) => *a < b,
        }
    }
}
