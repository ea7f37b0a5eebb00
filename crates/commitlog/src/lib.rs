//! The commitlog: an append-only, segmented write-ahead log of opaque records, with group commit.
//!
//! Owns: segment files `CommitLog-<id>.log` in one directory, framing and checksumming of records,
//! replay after a restart, rolling to a new segment when one is full, deleting segments whose records
//! are all flushed elsewhere ([`CommitLog::discard_before`]), and making appends durable: a dedicated
//! sync thread runs the fsyncs so that one fsync serves every waiter it covers.
//!
//! Must not know: what a record means (the storage engine encodes mutations with
//! `storage_model::codec`), tables, memtables, or any async runtime — [`Durable`] is a plain
//! [`std::future::Future`] woken by the sync thread.
//!
//! # On-disk format
//!
//! [`CommitLog::open`] names its new segment `max(largest id found + 1, milliseconds since the Unix
//! epoch)`, and each roll adds one. So ids increase for the life of the directory and, unless the clock
//! goes back, even across a wiped directory: [`Position`]s kept elsewhere (a flush manifest) stay
//! comparable with new ones, and positions order as the records were appended. Integers are
//! little-endian.
//!
//! ```text
//! CommitLog-<id>.log
//! +--------------------------------------------------------------------------+
//! | header (24 bytes)                                                        |
//! |   magic "SIBYLCL\n" (8) | version u8 = 1 | reserved (3) | segment id u64 |
//! |   crc32 of the 20 bytes before (4)                                       |
//! +--------------------------------------------------------------------------+
//! | entry: len u32 | crc32(len) u32 | payload (len bytes) | crc32(payload) u32|
//! +--------------------------------------------------------------------------+
//! | entry ...                                                                |
//! +--------------------------------------------------------------------------+
//! ```
//!
//! The length has its own checksum so a torn or garbled length is never trusted to skip ahead. A
//! segment usually grows up to `segment_size_bytes`; a record too big to fit an empty segment gets a
//! segment of its own.
//!
//! # Replay rule
//!
//! Segments are replayed in id order, entries in file order. In each segment, replay stops at the
//! first entry that is incomplete (a torn tail: the file ends inside it) or fails either checksum
//! (corruption): every entry before it is replayed, it and everything after it *in that segment* are
//! skipped with a warning (counted in [`ReplayStats`]), and replay goes on with the next segment.
//! Framing after a bad entry cannot be trusted, so nothing after it is guessed at. A segment whose
//! header is torn or corrupt is skipped whole; one of an unknown version is an error.
//!
//! # Appending and syncing
//!
//! **Mapped segments (the default, [`CommitLogConfig::mapped`]).** A new segment file is preallocated
//! to `segment_size_bytes` with `posix_fallocate` (its blocks are reserved, so a full disk is an error
//! when the segment is created, never a `SIGBUS` while copying) and mapped shared. An append copies its
//! frame into the map under the writer mutex: no system call, and on return the bytes are in the OS
//! page cache, so they survive a crash of the process (as Cassandra's memory-mapped segments). The
//! file's `fdatasync` writes the mapped pages out like written ones. When a segment is closed (rolled,
//! or the log closed) it is unmapped and cut to its last frame; the active segment of a process that
//! died keeps its zeroed tail, which replay takes as a clean end (zeros followed by anything else fail
//! the length checksum: corruption).
//!
//! **Written segments** (`mapped: false`, a file system that cannot preallocate, or a record larger
//! than a segment). An append frames its record into the writer's pending buffer under the writer
//! mutex, releases it, then takes the I/O mutex. If its frame was written meanwhile, it is done;
//! otherwise it takes the *whole* pending buffer — its frame and those of every append that queued
//! behind it — and writes it with one positional write (`pwrite`), holding the I/O mutex but not the
//! writer mutex, so appends keep queueing frames during the write (group write, as LevelDB's writer
//! queue): N concurrent appends cost as few as one system call. A failed write is sticky (that append,
//! and every later one, fails): frames after it were already placed at offsets that assumed it
//! succeeded. Locks are always taken I/O mutex first, writer mutex second; rolling to a new segment
//! holds both, after writing what is pending.
//!
//! The sync thread never holds the writer mutex while fsyncing: it snapshots the position written or
//! copied (not frames still pending in the buffer) and the files under the lock, releases it, then
//! `fdatasync`s (closed segments first, then the directory when a segment was created, then the
//! active one) and only then marks the snapshot durable and wakes the [`Durable`] futures it covers.
//! Appends continue meanwhile. In [`SyncMode::Periodic`] the thread syncs every `period` and `durable`
//! resolves at once; in [`SyncMode::Batch`] it syncs as soon as a waiter exists; in
//! [`SyncMode::Group`] it waits `window` after the first waiter to gather more.
//!
//! A failed fsync is sticky: the log then refuses appends and every `durable` fails, since the
//! kernel may have dropped the dirty pages (retrying the fsync would falsely succeed).

mod durable;
mod segment;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::Waker;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};
use tracing::{debug, error, info, warn};

pub use durable::Durable;
use segment::{ActiveSegment, FRAME_OVERHEAD, HEADER_LEN, MAX_RECORD_LEN};

/// How appends are made durable (cassandra.yaml `commitlog_sync`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    /// fsync every `period`; [`CommitLog::durable`] resolves at once.
    Periodic { period: Duration },
    /// fsync as soon as someone waits; one fsync covers every waiter gathered meanwhile.
    Batch,
    /// Like `Batch`, but wait up to `window` after the first waiter to gather more.
    Group { window: Duration },
}

/// Where and how the log is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitLogConfig {
    pub dir: PathBuf,
    /// A segment is closed (and a new one started) once the next entry would make it larger.
    pub segment_size_bytes: u64,
    pub sync: SyncMode,
    /// Preallocate and map segments, so that an append is a copy into the page cache (true, the
    /// default); false, or a file system that cannot preallocate, writes each batch of frames.
    pub mapped: bool,
}

impl CommitLogConfig {
    /// The default segment size, 32 MiB.
    pub const DEFAULT_SEGMENT_SIZE_BYTES: u64 = 32 << 20;

    /// 32 MiB segments synced every 10 seconds (Cassandra's defaults).
    pub fn new(dir: impl Into<PathBuf>) -> CommitLogConfig {
        CommitLogConfig {
            dir: dir.into(),
            segment_size_bytes: Self::DEFAULT_SEGMENT_SIZE_BYTES,
            sync: SyncMode::Periodic { period: Duration::from_secs(10) },
            mapped: true,
        }
    }
}

/// A place in the log: `offset` bytes into segment `segment`. Positions order as records were appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub segment: u64,
    pub offset: u64,
}

/// What [`CommitLog::open`] found while replaying.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayStats {
    /// Segment files read.
    pub segments: usize,
    /// Records handed to the replay callback.
    pub records: u64,
    /// Payload bytes handed to the replay callback.
    pub bytes: u64,
    /// Segments whose replay ended early at an incomplete entry or header (a crash mid-write).
    pub torn_segments: usize,
    /// Segments whose replay ended early at an entry or header failing its checksum.
    pub corrupt_segments: usize,
    /// Bytes not replayed because of the above.
    pub skipped_bytes: u64,
    /// Where each torn or corrupt segment's replay stopped, and why (also logged as warnings).
    pub damage: Vec<SegmentDamage>,
}

/// A segment whose replay stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentDamage {
    pub path: PathBuf,
    /// Offset in the file of the header or entry that could not be replayed.
    pub offset: u64,
    /// `true` for a checksum failure (corruption), `false` for an incomplete header or entry (a torn
    /// write).
    pub corrupt: bool,
    pub reason: &'static str,
}

impl std::fmt::Display for SegmentDamage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at offset {}: {}", self.path.display(), self.offset, self.reason)
    }
}

/// Errors of the commitlog.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CommitLogError {
    #[error("commitlog I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("commitlog segment {path} has unsupported format version {version}")]
    UnsupportedVersion { path: PathBuf, version: u8 },
    #[error("commitlog record of {len} bytes is larger than the maximum of {max}")]
    RecordTooLarge { len: usize, max: usize },
    #[error("invalid commitlog configuration: {0}")]
    InvalidConfig(String),
    #[error("an fsync of the commitlog failed, so it accepts no more writes: {0}")]
    SyncFailed(String),
    #[error("a write to the commitlog failed, so it accepts no more writes: {0}")]
    WriteFailed(String),
    #[error("the commitlog is closed")]
    Closed,
}

/// The append-only log. `Send + Sync`: share it behind an `Arc`.
pub struct CommitLog {
    inner: Arc<Inner>,
    sync_thread: Mutex<Option<JoinHandle<()>>>,
}

/// State shared with the sync thread and the [`Durable`] futures.
pub(crate) struct Inner {
    config: CommitLogConfig,
    writer: Mutex<Writer>,
    /// Serialises sync passes (the thread's and [`CommitLog::sync`]'s); never taken by appends.
    sync_lock: Mutex<()>,
    pub(crate) state: Mutex<SyncState>,
    /// Wakes the sync thread (new waiters, shutdown).
    pub(crate) cond: Condvar,
    /// Serialises writes of pending frames; taken before `writer` when both are held.
    io: Mutex<Io>,
    failed: AtomicBool,
    sync_count: AtomicU64,
    write_count: AtomicU64,
}

struct Writer {
    active: ActiveSegment,
    /// Closed segments not yet fsynced since their last write.
    unsynced: Vec<(PathBuf, Arc<File>)>,
    /// A segment file was created since the last directory fsync.
    dir_dirty: bool,
    /// Segment ids on disk, the active one included.
    segments: BTreeSet<u64>,
    /// Frames appended but not yet written, to go at `pending_at` in the active segment; they end at
    /// `active.offset`.
    pending: Vec<u8>,
    pending_at: u64,
    /// Everything before this position was copied into a mapped segment.
    mapped: Position,
    closed: bool,
}

/// The write side, under the I/O mutex.
struct Io {
    /// Everything before this position has been written to the OS.
    written: Position,
    /// An emptied buffer kept for the next batch.
    spare: Vec<u8>,
    /// Set by a failed write; sticky.
    failed: Option<String>,
}

/// Where [`Writer::place`] put a frame; both carry the position just past it.
enum Placed {
    /// Copied into the mapped segment: nothing left to write.
    Mapped(Position),
    /// Queued in `pending` for the next shared write.
    Pending(Position),
}

impl Writer {
    /// Puts a frame in the active segment: straight into the mapping when nothing is queued before
    /// it and it fits there, else at the end of the pending batch.
    fn place(&mut self, record: &[u8], frame_len: u64) -> Placed {
        if self.pending.is_empty() && self.active.fits_map(frame_len) {
            self.active.copy_frame(record);
            self.mapped = self.active.position();
            return Placed::Mapped(self.mapped);
        }
        if self.pending.is_empty() {
            self.pending_at = self.active.offset;
        }
        segment::encode_frame(record, &mut self.pending);
        self.active.offset += frame_len;
        Placed::Pending(self.active.position())
    }
}

/// Takes the pending frames out of the writer: `(frames, offset, file, path, segment id)`.
fn take_pending(io: &mut Io, w: &mut Writer) -> (Vec<u8>, u64, Arc<File>, PathBuf, u64) {
    let batch = std::mem::replace(&mut w.pending, std::mem::take(&mut io.spare));
    (batch, w.pending_at, Arc::clone(&w.active.file), w.active.path.clone(), w.active.id)
}

pub(crate) struct SyncState {
    /// Everything before this position is fsynced.
    pub(crate) synced: Position,
    /// Pending [`Durable`]s by (position, id).
    pub(crate) waiters: BTreeMap<(Position, u64), Waker>,
    pub(crate) next_waiter_id: u64,
    /// A waiter arrived since the last sync pass started.
    pub(crate) requested: bool,
    /// When the oldest unserved request arrived (group mode waits `window` from it).
    pub(crate) requested_since: Option<Instant>,
    /// Set by a failed fsync; sticky.
    pub(crate) failed: Option<String>,
    /// The sync thread must stop.
    shutdown: bool,
    /// The log is closed: the final sync is done.
    pub(crate) closed: bool,
}

impl CommitLog {
    /// Replays every record of the existing segments, oldest first, calling
    /// `replay(position_after_record, record_bytes)`; a torn or corrupt entry ends that segment's replay
    /// with a warning (see the crate doc for the rule); then starts a new segment for appending.
    pub fn open(
        config: CommitLogConfig,
        replay: &mut dyn FnMut(Position, &[u8]),
    ) -> Result<(CommitLog, ReplayStats), CommitLogError> {
        validate(&config)?;
        let dir = config.dir.clone();
        std::fs::create_dir_all(&dir).map_err(|source| CommitLogError::Io { path: dir.clone(), source })?;

        let existing = segment::list_segments(&dir)?;
        let mut stats = ReplayStats::default();
        for (id, path) in &existing {
            segment::replay_segment(*id, path, replay, &mut stats)?;
        }
        if !existing.is_empty() {
            info!(dir = %dir.display(), ?stats, "commitlog replayed");
        }

        let next_id = match existing.last() {
            None => 1,
            Some((id, path)) => id.checked_add(1).ok_or_else(|| {
                CommitLogError::InvalidConfig(format!("segment id of {} leaves no room for more", path.display()))
            })?,
        }
        .max(unix_millis());
        let active = ActiveSegment::create(&dir, next_id, config.mapped.then_some(config.segment_size_bytes))?;
        let start = active.position();
        let mut segments: BTreeSet<u64> = existing.iter().map(|(id, _)| *id).collect();
        segments.insert(next_id);

        let inner = Arc::new(Inner {
            config,
            writer: Mutex::new(Writer {
                active,
                unsynced: Vec::new(),
                dir_dirty: true,
                segments,
                pending: Vec::new(),
                pending_at: start.offset,
                mapped: start,
                closed: false,
            }),
            io: Mutex::new(Io { written: start, spare: Vec::new(), failed: None }),
            sync_lock: Mutex::new(()),
            state: Mutex::new(SyncState {
                synced: Position { segment: next_id, offset: 0 },
                waiters: BTreeMap::new(),
                next_waiter_id: 0,
                requested: false,
                requested_since: None,
                failed: None,
                shutdown: false,
                closed: false,
            }),
            cond: Condvar::new(),
            failed: AtomicBool::new(false),
            sync_count: AtomicU64::new(0),
            write_count: AtomicU64::new(0),
        });
        // The new segment's header and directory entry are durable before anyone waits on it.
        inner.sync_pass()?;
        debug_assert!(inner.state.lock().synced >= start);

        let thread_inner = Arc::clone(&inner);
        let handle = std::thread::Builder::new()
            .name("commitlog-sync".into())
            .spawn(move || thread_inner.run_sync_thread())
            .map_err(|source| CommitLogError::Io { path: dir, source })?;
        Ok((CommitLog { inner, sync_thread: Mutex::new(Some(handle)) }, stats))
    }

    /// Appends one record (opaque bytes); returns the position just after it. On return the bytes have
    /// reached the OS (they survive a SIGKILL of the process), not necessarily the disk. Rolls to a new
    /// segment when full. Concurrent appends share one write (see the crate doc).
    pub fn append(&self, record: &[u8]) -> Result<Position, CommitLogError> {
        if record.len() > MAX_RECORD_LEN {
            return Err(CommitLogError::RecordTooLarge { len: record.len(), max: MAX_RECORD_LEN });
        }
        self.inner.check_failed()?;
        let frame_len = (record.len() + FRAME_OVERHEAD) as u64;
        let end = {
            let mut w = self.inner.writer.lock();
            if w.closed {
                return Err(CommitLogError::Closed);
            }
            if self.inner.needs_roll(&w, frame_len) {
                drop(w);
                return self.inner.append_rolling(record);
            }
            match w.place(record, frame_len) {
                Placed::Mapped(end) => return Ok(end),
                Placed::Pending(end) => end,
            }
        };
        self.inner.write_through(end)?;
        Ok(end)
    }

    /// Resolves once everything up to `pos` is fsynced — immediately in Periodic mode. One fsync serves
    /// every waiter it covers (group commit): Batch syncs as soon as there are waiters; Group waits up to
    /// `window` to gather more.
    pub fn durable(&self, pos: Position) -> Durable {
        let immediate = matches!(self.inner.config.sync, SyncMode::Periodic { .. });
        Durable::new(Arc::clone(&self.inner), pos, immediate)
    }

    /// fsync now (used on shutdown and by tests).
    pub fn sync(&self) -> Result<(), CommitLogError> {
        self.inner.sync_pass()
    }

    /// Deletes every segment all of whose records are before `pos` (i.e. segment id < pos.segment).
    /// Never the active one.
    pub fn discard_before(&self, pos: Position) -> Result<(), CommitLogError> {
        let victims: Vec<u64> = {
            let mut w = self.inner.writer.lock();
            let active = w.active.id;
            let victims: Vec<u64> = w.segments.range(..pos.segment).copied().filter(|&id| id != active).collect();
            for id in &victims {
                w.segments.remove(id);
            }
            victims
        };
        for (i, id) in victims.iter().enumerate() {
            let path = self.inner.config.dir.join(segment::segment_file_name(*id));
            match std::fs::remove_file(&path) {
                Ok(()) => debug!(path = %path.display(), "commitlog segment discarded"),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    // Keep the ones not deleted so a later call tries again.
                    self.inner.writer.lock().segments.extend(&victims[i..]);
                    return Err(CommitLogError::Io { path, source });
                }
            }
        }
        Ok(())
    }

    /// The position the next record will start at (just after the last one appended).
    pub fn position(&self) -> Position {
        self.inner.writer.lock().active.position()
    }

    /// The ids of the segments on disk (replayed and not yet discarded, and the active one), ascending.
    pub fn segment_ids(&self) -> Vec<u64> {
        self.inner.writer.lock().segments.iter().copied().collect()
    }

    /// How many fsync passes have run (one pass fsyncs every file with unsynced writes).
    pub fn sync_count(&self) -> u64 {
        self.inner.sync_count.load(Ordering::Relaxed)
    }

    /// How many writes appends have issued (one write carries every frame pending when it starts).
    pub fn write_count(&self) -> u64 {
        self.inner.write_count.load(Ordering::Relaxed)
    }

    /// Syncs and stops the background sync thread. Also done on Drop. Later appends fail with
    /// [`CommitLogError::Closed`]; calling it again does nothing.
    pub fn close(&self) -> Result<(), CommitLogError> {
        let Some(handle) = self.sync_thread.lock().take() else {
            return Ok(());
        };
        self.inner.writer.lock().closed = true;
        {
            self.inner.state.lock().shutdown = true;
            self.inner.cond.notify_all();
        }
        if handle.join().is_err() {
            error!("commitlog sync thread panicked");
        }
        let mut result = self.inner.sync_pass();
        if result.is_ok() {
            // No append copies any more (closed is set): cut the preallocated tail.
            let _io = self.inner.io.lock();
            result = self.inner.writer.lock().active.seal();
        }
        let wakers: Vec<Waker> = {
            let mut st = self.inner.state.lock();
            st.closed = true;
            std::mem::take(&mut st.waiters).into_values().collect()
        };
        wakers.into_iter().for_each(Waker::wake);
        result
    }
}

impl Drop for CommitLog {
    fn drop(&mut self) {
        if let Err(e) = self.close() {
            error!(error = %e, "closing the commitlog failed");
        }
    }
}

impl std::fmt::Debug for CommitLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommitLog").field("config", &self.inner.config).field("position", &self.position()).finish()
    }
}

fn validate(config: &CommitLogConfig) -> Result<(), CommitLogError> {
    if config.segment_size_bytes <= HEADER_LEN {
        return Err(CommitLogError::InvalidConfig(format!(
            "segment_size_bytes must be larger than the {HEADER_LEN}-byte segment header"
        )));
    }
    if let SyncMode::Periodic { period } = config.sync {
        if period.is_zero() {
            return Err(CommitLogError::InvalidConfig("the periodic sync period must not be zero".into()));
        }
    }
    Ok(())
}

impl Inner {
    fn check_failed(&self) -> Result<(), CommitLogError> {
        if self.failed.load(Ordering::Acquire) {
            let message = self.state.lock().failed.clone().unwrap_or_default();
            return Err(CommitLogError::SyncFailed(message));
        }
        Ok(())
    }

    /// Whether a frame of `frame_len` bytes must go to a new segment.
    fn needs_roll(&self, w: &Writer, frame_len: u64) -> bool {
        w.active.offset > HEADER_LEN && w.active.offset + frame_len > self.config.segment_size_bytes
    }

    /// Returns once everything before `end` is written, writing every pending frame if needed (see
    /// the crate doc).
    fn write_through(&self, end: Position) -> Result<(), CommitLogError> {
        let mut io = self.io.lock();
        if io.written >= end {
            return Ok(());
        }
        if let Some(message) = &io.failed {
            return Err(CommitLogError::WriteFailed(message.clone()));
        }
        let pending = take_pending(&mut io, &mut self.writer.lock());
        self.write_batch(&mut io, pending)
    }

    /// Writes a batch taken by [`take_pending`] (under the I/O mutex).
    fn write_batch(&self, io: &mut Io, pending: (Vec<u8>, u64, Arc<File>, PathBuf, u64)) -> Result<(), CommitLogError> {
        let (mut batch, at, file, path, segment) = pending;
        if batch.is_empty() {
            io.spare = batch;
            return Ok(());
        }
        self.write_count.fetch_add(1, Ordering::Relaxed);
        match file.write_all_at(&batch, at) {
            Ok(()) => {
                io.written = Position { segment, offset: at + batch.len() as u64 };
                batch.clear();
                if batch.capacity() <= 1 << 20 {
                    io.spare = batch;
                }
                Ok(())
            }
            Err(source) => {
                error!(path = %path.display(), error = %source, "commitlog write failed; refusing further writes");
                io.failed = Some(source.to_string());
                Err(CommitLogError::Io { path, source })
            }
        }
    }

    /// An append that may need a new segment: under both mutexes, writes what is pending to the
    /// current segment, rolls if still needed, then appends and writes the record.
    fn append_rolling(&self, record: &[u8]) -> Result<Position, CommitLogError> {
        let mut io = self.io.lock();
        if let Some(message) = &io.failed {
            return Err(CommitLogError::WriteFailed(message.clone()));
        }
        let mut w = self.writer.lock();
        if w.closed {
            return Err(CommitLogError::Closed);
        }
        let frame_len = (record.len() + FRAME_OVERHEAD) as u64;
        if self.needs_roll(&w, frame_len) {
            let pending = take_pending(&mut io, &mut w);
            self.write_batch(&mut io, pending)?;
            self.roll(&mut w)?;
            io.written = w.active.position();
            w.mapped = w.active.position();
        }
        let end = match w.place(record, frame_len) {
            Placed::Mapped(end) => return Ok(end),
            Placed::Pending(end) => end,
        };
        let pending = take_pending(&mut io, &mut w);
        drop(w);
        self.write_batch(&mut io, pending)?;
        Ok(end)
    }

    /// Closes the active segment and starts the next one (under the writer lock, nothing pending).
    fn roll(&self, w: &mut Writer) -> Result<(), CommitLogError> {
        let id =
            w.active.id.checked_add(1).ok_or_else(|| CommitLogError::InvalidConfig("segment ids exhausted".into()))?;
        let next =
            ActiveSegment::create(&self.config.dir, id, self.config.mapped.then_some(self.config.segment_size_bytes))?;
        debug!(segment = next.id, "commitlog rolled to a new segment");
        let mut old = std::mem::replace(&mut w.active, next);
        old.seal()?;
        w.unsynced.push((old.path, old.file));
        w.pending_at = w.active.offset;
        w.segments.insert(w.active.id);
        w.dir_dirty = true;
        Ok(())
    }

    /// One fsync pass: makes everything written so far durable, then wakes the waiters it covers.
    fn sync_pass(&self) -> Result<(), CommitLogError> {
        let _pass = self.sync_lock.lock();
        self.check_failed()?;
        let (target, closed, active, dir_dirty) = {
            let io = self.io.lock();
            let mut w = self.writer.lock();
            let dir_dirty = std::mem::replace(&mut w.dir_dirty, false);
            (
                // Only what has been written or copied: frames still pending belong to appends not yet
                // returned.
                io.written.max(w.mapped),
                std::mem::take(&mut w.unsynced),
                (w.active.path.clone(), w.active.file.clone()),
                dir_dirty,
            )
        };
        if closed.is_empty() && !dir_dirty && target <= self.state.lock().synced {
            return Ok(());
        }
        let sync_file = |(path, file): &(PathBuf, Arc<File>)| {
            file.sync_data().map_err(|source| CommitLogError::Io { path: path.clone(), source })
        };
        let result = (|| {
            closed.iter().try_for_each(sync_file)?;
            if dir_dirty {
                sync_dir(&self.config.dir)?;
            }
            sync_file(&active)
        })();
        self.sync_count.fetch_add(1, Ordering::Relaxed);
        let wakers: Vec<Waker> = {
            let mut st = self.state.lock();
            match &result {
                Ok(()) => {
                    st.synced = st.synced.max(target);
                    let first_pending = (next_position(st.synced), 0);
                    let pending = st.waiters.split_off(&first_pending);
                    std::mem::replace(&mut st.waiters, pending).into_values().collect()
                }
                Err(e) => {
                    error!(error = %e, "commitlog fsync failed; refusing further writes");
                    st.failed = Some(e.to_string());
                    self.failed.store(true, Ordering::Release);
                    std::mem::take(&mut st.waiters).into_values().collect()
                }
            }
        };
        wakers.into_iter().for_each(Waker::wake);
        result
    }

    fn run_sync_thread(&self) {
        let mode = self.config.sync;
        let mut next_periodic = Instant::now();
        let mut st = self.state.lock();
        loop {
            if st.shutdown {
                return;
            }
            let now = Instant::now();
            let due = match mode {
                SyncMode::Periodic { period } => {
                    if now >= next_periodic {
                        next_periodic = now + period;
                        true
                    } else {
                        self.cond.wait_until(&mut st, next_periodic);
                        false
                    }
                }
                // Waiters still registered are exactly those no pass has covered yet.
                SyncMode::Batch => {
                    if st.waiters.is_empty() {
                        st.requested = false;
                    }
                    if !st.requested {
                        self.cond.wait(&mut st);
                    }
                    st.requested && !st.waiters.is_empty()
                }
                SyncMode::Group { window } => match st.requested_since {
                    Some(_) if st.waiters.is_empty() => {
                        st.requested = false;
                        st.requested_since = None;
                        false
                    }
                    Some(since) if now >= since + window => true,
                    Some(since) => {
                        self.cond.wait_until(&mut st, since + window);
                        false
                    }
                    None => {
                        self.cond.wait(&mut st);
                        false
                    }
                },
            };
            if !due || st.shutdown {
                continue;
            }
            st.requested = false;
            st.requested_since = None;
            if st.failed.is_some() {
                continue;
            }
            let result = MutexGuard::unlocked(&mut st, || self.sync_pass());
            if let Err(e) = result {
                warn!(error = %e, "commitlog sync pass failed");
            }
        }
    }
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
fn unix_millis() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// The smallest position after `p`, for splitting the waiters at `<= p`.
fn next_position(p: Position) -> Position {
    match p.offset.checked_add(1) {
        Some(offset) => Position { segment: p.segment, offset },
        None => Position { segment: p.segment.saturating_add(1), offset: 0 },
    }
}

fn sync_dir(dir: &std::path::Path) -> Result<(), CommitLogError> {
    let io = |source| CommitLogError::Io { path: dir.to_owned(), source };
    File::open(dir).map_err(io)?.sync_all().map_err(io)
}
