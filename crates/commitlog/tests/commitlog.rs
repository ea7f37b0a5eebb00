//! Behaviour of the commitlog: replay, the torn-tail and corruption rules, rollover, discarding,
//! and durability in each sync mode.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::{Duration, Instant};

use commitlog::{CommitLog, CommitLogConfig, CommitLogError, Position, ReplayStats, SyncMode};

const PERIODIC: SyncMode = SyncMode::Periodic { period: Duration::from_secs(3600) };
const HEADER_LEN: u64 = 24;
const FRAME_OVERHEAD: u64 = 12;

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// A minimal executor: polls on the current thread, parking between wake-ups.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park_timeout(Duration::from_secs(5));
    }
}

/// Polls once with a waker that does nothing.
fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    let waker = Waker::from(Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);
    std::pin::Pin::new(future).poll(&mut cx)
}

type Replayed = Vec<(Position, Vec<u8>)>;

fn open_with(dir: &Path, sync: SyncMode, segment_size_bytes: u64) -> (CommitLog, Replayed, ReplayStats) {
    let mut replayed = Vec::new();
    let config = CommitLogConfig { dir: dir.to_owned(), segment_size_bytes, sync, mapped: true };
    let (log, stats) = CommitLog::open(config, &mut |pos, bytes| replayed.push((pos, bytes.to_vec()))).unwrap();
    (log, replayed, stats)
}

fn open(dir: &Path) -> (CommitLog, Replayed, ReplayStats) {
    open_with(dir, PERIODIC, 1 << 20)
}

fn segment_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("CommitLog-{id}.log"))
}

/// The segment ids in `dir`, ascending.
fn segments_on_disk(dir: &Path) -> Vec<u64> {
    let mut ids: Vec<u64> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_prefix("CommitLog-")?.strip_suffix(".log")?.parse().ok()
        })
        .collect();
    ids.sort_unstable();
    ids
}

fn records(replayed: &Replayed) -> Vec<Vec<u8>> {
    replayed.iter().map(|(_, r)| r.clone()).collect()
}

fn record(i: usize) -> Vec<u8> {
    format!("record number {i}").into_bytes()
}

/// Appends `n` records to a fresh log in `dir` and closes it; returns their end positions.
fn write_records(dir: &Path, n: usize) -> Vec<Position> {
    let (log, _, _) = open(dir);
    let positions = (0..n).map(|i| log.append(&record(i)).unwrap()).collect();
    log.close().unwrap();
    positions
}

fn flip_byte(path: &Path, offset: u64) {
    let mut data = std::fs::read(path).unwrap();
    data[offset as usize] ^= 0x40;
    std::fs::write(path, data).unwrap();
}

#[test]
fn a_new_log_starts_a_segment_and_appends_after_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let (log, replayed, stats) = open(dir.path());
    assert!(replayed.is_empty());
    assert_eq!(stats, ReplayStats::default());
    assert_eq!(log.position().offset, HEADER_LEN);
    assert_eq!(segments_on_disk(dir.path()), vec![log.position().segment]);
}

#[test]
fn segment_ids_start_from_the_clock_so_they_survive_a_wiped_directory() {
    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open(dir.path());
    assert!(log.position().segment >= before);
}

#[test]
fn append_returns_the_position_just_after_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open(dir.path());
    let segment = log.position().segment;
    let first = log.append(b"hello").unwrap();
    assert_eq!(first, Position { segment, offset: HEADER_LEN + 5 + FRAME_OVERHEAD });
    let second = log.append(b"").unwrap();
    assert_eq!(second.offset, first.offset + FRAME_OVERHEAD);
    assert_eq!(log.position(), second);
}

#[test]
fn records_replay_in_order_with_their_positions() {
    let dir = tempfile::tempdir().unwrap();
    let positions = write_records(dir.path(), 100);
    let (_log, replayed, stats) = open(dir.path());
    assert_eq!(records(&replayed), (0..100).map(record).collect::<Vec<_>>());
    assert_eq!(replayed.iter().map(|(p, _)| *p).collect::<Vec<_>>(), positions);
    assert_eq!(stats.records, 100);
    assert_eq!((stats.segments, stats.torn_segments, stats.corrupt_segments, stats.skipped_bytes), (1, 0, 0, 0));
}

#[test]
fn reopening_appends_to_a_new_segment_after_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let first = write_records(dir.path(), 3)[0].segment;
    let (log, _, _) = open(dir.path());
    let second = log.position().segment;
    assert!(second > first);
    log.append(b"more").unwrap();
    drop(log);
    let (log, replayed, stats) = open(dir.path());
    assert!(log.position().segment > second);
    assert_eq!(stats.segments, 2);
    assert_eq!(records(&replayed).last().unwrap(), b"more");
}

#[test]
fn a_torn_tail_replays_every_complete_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = segment_path(dir.path(), write_records(dir.path(), 10)[0].segment);
    let len = std::fs::metadata(&path).unwrap().len();
    for cut in [1, 3, 5, 9, 12] {
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(len - cut).unwrap();
        let (log, replayed, stats) = open(dir.path());
        assert_eq!(records(&replayed), (0..9).map(record).collect::<Vec<_>>(), "cut {cut}");
        assert_eq!(stats.torn_segments, 1);
        std::fs::remove_file(segment_path(dir.path(), log.position().segment)).unwrap();
        drop(log);
    }
}

#[test]
fn a_torn_entry_header_replays_every_complete_entry() {
    let dir = tempfile::tempdir().unwrap();
    let positions = write_records(dir.path(), 4);
    let path = segment_path(dir.path(), positions[0].segment);
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(positions[2].offset + 3).unwrap();
    let (_log, replayed, stats) = open(dir.path());
    assert_eq!(records(&replayed), (0..3).map(record).collect::<Vec<_>>());
    assert_eq!((stats.torn_segments, stats.skipped_bytes), (1, 3));
}

#[test]
fn a_flipped_byte_in_the_last_entry_drops_it_and_keeps_the_earlier_ones() {
    let dir = tempfile::tempdir().unwrap();
    let positions = write_records(dir.path(), 5);
    flip_byte(&segment_path(dir.path(), positions[0].segment), positions[3].offset + 8 + 2);
    let (_log, replayed, stats) = open(dir.path());
    assert_eq!(records(&replayed), (0..4).map(record).collect::<Vec<_>>());
    assert_eq!(stats.corrupt_segments, 1);
    assert_eq!(stats.skipped_bytes, positions[4].offset - positions[3].offset);
}

#[test]
fn a_flipped_byte_in_a_middle_entry_stops_that_segments_replay_but_not_the_next_segments() {
    let dir = tempfile::tempdir().unwrap();
    let positions = write_records(dir.path(), 5);
    {
        let (log, _, _) = open(dir.path());
        log.append(b"in segment 2").unwrap();
    }
    flip_byte(&segment_path(dir.path(), positions[0].segment), positions[1].offset + 8);
    let (_log, replayed, stats) = open(dir.path());
    assert_eq!(records(&replayed), vec![record(0), record(1), b"in segment 2".to_vec()]);
    assert_eq!(stats.corrupt_segments, 1);
    assert_eq!(stats.skipped_bytes, positions[4].offset - positions[1].offset);
}

#[test]
fn a_garbled_length_is_detected_by_its_own_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let positions = write_records(dir.path(), 3);
    flip_byte(&segment_path(dir.path(), positions[0].segment), positions[0].offset);
    let (_log, replayed, stats) = open(dir.path());
    assert_eq!(records(&replayed), vec![record(0)]);
    assert_eq!(stats.corrupt_segments, 1);
}

#[test]
fn a_segment_with_a_torn_header_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let first = write_records(dir.path(), 2)[0].segment;
    std::fs::write(segment_path(dir.path(), first + 1), b"SIBYL").unwrap();
    let (log, replayed, stats) = open(dir.path());
    assert_eq!(records(&replayed), vec![record(0), record(1)]);
    assert_eq!((stats.segments, stats.torn_segments), (2, 1));
    assert!(log.position().segment > first + 1);
}

#[test]
fn a_segment_of_an_unknown_version_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = segment_path(dir.path(), write_records(dir.path(), 1)[0].segment);
    let mut data = std::fs::read(&path).unwrap();
    data[8] = 99;
    let crc = crc32fast::hash(&data[..20]);
    data[20..24].copy_from_slice(&crc.to_le_bytes());
    std::fs::write(&path, data).unwrap();
    let config = CommitLogConfig { segment_size_bytes: 1 << 20, sync: PERIODIC, ..CommitLogConfig::new(dir.path()) };
    let err = CommitLog::open(config, &mut |_, _| {}).unwrap_err();
    assert!(matches!(err, CommitLogError::UnsupportedVersion { version: 99, .. }), "{err}");
}

#[test]
fn segments_roll_over_when_full() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open_with(dir.path(), PERIODIC, 1000);
    let s = log.position().segment;
    let record = [1u8; 88]; // a 100-byte frame: 9 fit after the header of a 1000-byte segment
    let positions: Vec<Position> = (0..20).map(|_| log.append(&record).unwrap()).collect();
    assert_eq!(positions[8], Position { segment: s, offset: HEADER_LEN + 900 });
    assert_eq!(positions[9], Position { segment: s + 1, offset: HEADER_LEN + 100 });
    assert_eq!(positions[19].segment, s + 2);
    assert_eq!(log.segment_ids(), vec![s, s + 1, s + 2]);
    assert_eq!(segments_on_disk(dir.path()), vec![s, s + 1, s + 2]);
    drop(log);
    let (_log, replayed, _) = open_with(dir.path(), PERIODIC, 1000);
    assert_eq!(replayed.iter().map(|(p, _)| *p).collect::<Vec<_>>(), positions);
}

#[test]
fn a_record_larger_than_a_segment_gets_a_segment_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open_with(dir.path(), PERIODIC, 100);
    let s = log.position().segment;
    let big = vec![9u8; 500];
    assert_eq!(log.append(&big).unwrap().segment, s);
    assert_eq!(log.append(b"small").unwrap().segment, s + 1);
    drop(log);
    let (_log, replayed, _) = open_with(dir.path(), PERIODIC, 100);
    assert_eq!(records(&replayed), vec![big, b"small".to_vec()]);
}

#[test]
fn discard_before_deletes_older_segments_but_never_the_active_one() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open_with(dir.path(), PERIODIC, 200);
    let s = log.position().segment;
    for _ in 0..6 {
        log.append(&[0u8; 150]).unwrap(); // one per segment
    }
    assert_eq!(log.segment_ids(), (s..s + 6).collect::<Vec<_>>());
    log.discard_before(Position { segment: s + 3, offset: 0 }).unwrap();
    assert_eq!(log.segment_ids(), vec![s + 3, s + 4, s + 5]);
    assert_eq!(segments_on_disk(dir.path()), vec![s + 3, s + 4, s + 5]);
    log.discard_before(Position { segment: s + 100, offset: 0 }).unwrap();
    assert_eq!(log.segment_ids(), vec![s + 5]);
    assert_eq!(segments_on_disk(dir.path()), vec![s + 5]);
    log.append(b"still writable").unwrap();
}

#[test]
fn discarded_segments_are_not_replayed() {
    let dir = tempfile::tempdir().unwrap();
    write_records(dir.path(), 2);
    let (log, replayed, _) = open(dir.path());
    assert_eq!(replayed.len(), 2);
    let flushed_up_to = log.position(); // say the replayed records were flushed to an SSTable here
    log.append(b"kept").unwrap();
    log.discard_before(flushed_up_to).unwrap();
    drop(log);
    let (log, replayed, _) = open(dir.path());
    assert_eq!(records(&replayed), vec![b"kept".to_vec()]);
    assert_eq!(log.segment_ids(), vec![flushed_up_to.segment, log.position().segment]);
}

#[test]
fn durable_resolves_at_once_in_periodic_mode() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open(dir.path());
    let pos = log.append(b"x").unwrap();
    assert!(matches!(poll_once(&mut log.durable(pos)), Poll::Ready(Ok(()))));
}

#[test]
fn periodic_mode_syncs_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open_with(dir.path(), SyncMode::Periodic { period: Duration::from_millis(10) }, 1 << 20);
    let before = log.sync_count();
    log.append(b"x").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while log.sync_count() == before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(log.sync_count() > before);
}

#[test]
fn durable_resolves_after_an_fsync_in_batch_mode() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open_with(dir.path(), SyncMode::Batch, 1 << 20);
    let before = log.sync_count();
    let pos = log.append(b"x").unwrap();
    block_on(log.durable(pos)).unwrap();
    assert!(log.sync_count() > before);
    // Already covered: resolves at the first poll without another fsync.
    let count = log.sync_count();
    assert!(matches!(poll_once(&mut log.durable(pos)), Poll::Ready(Ok(()))));
    assert_eq!(log.sync_count(), count);
}

#[test]
fn durable_resolves_after_the_window_in_group_mode() {
    let dir = tempfile::tempdir().unwrap();
    let window = Duration::from_millis(50);
    let (log, _, _) = open_with(dir.path(), SyncMode::Group { window }, 1 << 20);
    let pos = log.append(b"x").unwrap();
    let start = Instant::now();
    block_on(log.durable(pos)).unwrap();
    assert!(start.elapsed() >= window);
}

#[test]
fn a_sync_covers_every_position_up_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open_with(dir.path(), SyncMode::Group { window: Duration::from_secs(3600) }, 1 << 20);
    let first = log.append(b"a").unwrap();
    let second = log.append(b"b").unwrap();
    let mut durable = log.durable(first);
    assert!(poll_once(&mut durable).is_pending());
    log.sync().unwrap();
    assert!(matches!(poll_once(&mut durable), Poll::Ready(Ok(()))));
    assert!(matches!(poll_once(&mut log.durable(second)), Poll::Ready(Ok(()))));
}

#[test]
fn a_sync_with_nothing_new_does_not_fsync() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open(dir.path());
    log.append(b"a").unwrap();
    log.sync().unwrap();
    let count = log.sync_count();
    log.sync().unwrap();
    assert_eq!(log.sync_count(), count);
}

#[test]
fn concurrent_writers_share_fsyncs_in_batch_mode() {
    const WRITERS: usize = 8;
    const PER_WRITER: usize = 50;
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open_with(dir.path(), SyncMode::Batch, 1 << 20);
    let before = log.sync_count();
    std::thread::scope(|s| {
        for w in 0..WRITERS {
            let log = &log;
            s.spawn(move || {
                for i in 0..PER_WRITER {
                    let pos = log.append(&record(w * PER_WRITER + i)).unwrap();
                    block_on(log.durable(pos)).unwrap();
                }
            });
        }
    });
    let fsyncs = log.sync_count() - before;
    assert!(fsyncs < (WRITERS * PER_WRITER) as u64, "{fsyncs} fsyncs for {} durable appends", WRITERS * PER_WRITER);
    drop(log);
    let (_log, replayed, _) = open(dir.path());
    assert_eq!(replayed.len(), WRITERS * PER_WRITER);
}

#[test]
fn concurrent_writers_share_fsyncs_in_group_mode() {
    const WRITERS: usize = 8;
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open_with(dir.path(), SyncMode::Group { window: Duration::from_millis(20) }, 1 << 20);
    let before = log.sync_count();
    std::thread::scope(|s| {
        for w in 0..WRITERS {
            let log = &log;
            s.spawn(move || {
                for i in 0..10 {
                    let pos = log.append(&record(w * 10 + i)).unwrap();
                    block_on(log.durable(pos)).unwrap();
                }
            });
        }
    });
    let fsyncs = log.sync_count() - before;
    assert!(fsyncs <= 40, "{fsyncs} fsyncs for {} durable appends", WRITERS * 10);
}

#[test]
fn durable_of_a_replayed_position_resolves_at_once() {
    let dir = tempfile::tempdir().unwrap();
    write_records(dir.path(), 1);
    let (log, replayed, _) = open_with(dir.path(), SyncMode::Batch, 1 << 20);
    assert!(matches!(poll_once(&mut log.durable(replayed[0].0)), Poll::Ready(Ok(()))));
}

#[test]
fn a_dropped_durable_does_not_keep_the_sync_thread_busy() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open_with(dir.path(), SyncMode::Batch, 1 << 20);
    let far = Position { segment: u64::MAX, offset: 0 };
    let mut durable = log.durable(far);
    assert!(poll_once(&mut durable).is_pending());
    drop(durable);
    std::thread::sleep(Duration::from_millis(20));
    let count = log.sync_count();
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(log.sync_count(), count);
    let pos = log.append(b"x").unwrap();
    block_on(log.durable(pos)).unwrap();
}

#[test]
fn durable_can_be_awaited_from_a_tokio_task() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open_with(dir.path(), SyncMode::Group { window: Duration::from_millis(5) }, 1 << 20);
    let log = Arc::new(log);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let log = Arc::clone(&log);
                tokio::spawn(async move {
                    let pos = log.append(&record(i)).unwrap();
                    log.durable(pos).await
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
    });
}

#[test]
fn close_resolves_the_waiters_it_covers() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open_with(dir.path(), SyncMode::Group { window: Duration::from_secs(3600) }, 1 << 20);
    let pos = log.append(b"x").unwrap();
    let mut durable = log.durable(pos);
    assert!(poll_once(&mut durable).is_pending());
    log.close().unwrap();
    assert!(matches!(poll_once(&mut durable), Poll::Ready(Ok(()))));
}

#[test]
fn appends_after_close_fail() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open(dir.path());
    log.close().unwrap();
    assert!(matches!(log.append(b"x"), Err(CommitLogError::Closed)));
    log.close().unwrap();
}

#[test]
fn a_segment_size_not_larger_than_the_header_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let config = CommitLogConfig { segment_size_bytes: HEADER_LEN, sync: PERIODIC, ..CommitLogConfig::new(dir.path()) };
    assert!(matches!(CommitLog::open(config, &mut |_, _| {}), Err(CommitLogError::InvalidConfig(_))));
}

#[test]
fn the_log_and_its_futures_can_cross_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send_static<T: Send + 'static>() {}
    assert_send_sync::<CommitLog>();
    assert_send_static::<commitlog::Durable>();
}

/// Appends from `writers` threads, `per_writer` records each; returns every (position, record).
fn append_concurrently(log: &CommitLog, writers: usize, per_writer: usize) -> Vec<(Position, Vec<u8>)> {
    let mut all = Vec::new();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                s.spawn(move || {
                    (0..per_writer)
                        .map(|i| {
                            let r = record(w * per_writer + i);
                            (log.append(&r).unwrap(), r)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            all.extend(h.join().unwrap());
        }
    });
    all.sort();
    all
}

#[test]
fn concurrent_appends_replay_intact() {
    const WRITERS: usize = 8;
    const PER_WRITER: usize = 2000;
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open_with(dir.path(), PERIODIC, 32 << 20);
    let appended = append_concurrently(&log, WRITERS, PER_WRITER);
    assert_eq!(log.write_count(), 0, "mapped segments take copies, not writes");
    drop(log);
    let (_log, replayed, stats) = open(dir.path());
    assert_eq!(stats.torn_segments + stats.corrupt_segments, 0);
    assert_eq!(replayed, appended);
}

#[test]
fn concurrent_appends_roll_segments_without_losing_or_tearing_a_record() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open_with(dir.path(), PERIODIC, 2000);
    let appended = append_concurrently(&log, 6, 300);
    assert!(log.segment_ids().len() > 10);
    drop(log);
    let (_log, replayed, stats) = open_with(dir.path(), PERIODIC, 2000);
    assert_eq!(stats.torn_segments + stats.corrupt_segments, 0);
    assert_eq!(replayed, appended);
}

#[test]
fn a_durable_append_is_covered_by_a_sync_even_while_others_append() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open_with(dir.path(), SyncMode::Batch, 4000);
    std::thread::scope(|s| {
        for w in 0..4 {
            let log = &log;
            s.spawn(move || {
                for i in 0..200 {
                    let pos = log.append(&record(w * 200 + i)).unwrap();
                    block_on(log.durable(pos)).unwrap();
                }
            });
        }
    });
    drop(log);
    let (_log, replayed, _) = open_with(dir.path(), PERIODIC, 4000);
    assert_eq!(replayed.len(), 800);
}

fn open_unmapped(dir: &Path, segment_size_bytes: u64) -> (CommitLog, Replayed, ReplayStats) {
    let mut replayed = Vec::new();
    let config = CommitLogConfig { segment_size_bytes, sync: PERIODIC, mapped: false, ..CommitLogConfig::new(dir) };
    let (log, stats) = CommitLog::open(config, &mut |pos, bytes| replayed.push((pos, bytes.to_vec()))).unwrap();
    (log, replayed, stats)
}

#[test]
fn unmapped_concurrent_appends_share_writes_and_replay_intact() {
    const WRITERS: usize = 8;
    const PER_WRITER: usize = 2000;
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open_unmapped(dir.path(), 32 << 20);
    let appended = append_concurrently(&log, WRITERS, PER_WRITER);
    let writes = log.write_count();
    assert!(
        writes > 0 && writes < (WRITERS * PER_WRITER) as u64,
        "{writes} writes for {} appends",
        WRITERS * PER_WRITER
    );
    drop(log);
    let (_log, replayed, stats) = open_unmapped(dir.path(), 32 << 20);
    assert_eq!(stats.torn_segments + stats.corrupt_segments, 0);
    assert_eq!(replayed, appended);
}

#[test]
fn unmapped_concurrent_appends_roll_segments_intact() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open_unmapped(dir.path(), 2000);
    let appended = append_concurrently(&log, 6, 300);
    drop(log);
    let (_log, replayed, stats) = open_unmapped(dir.path(), 2000);
    assert_eq!(stats.torn_segments + stats.corrupt_segments, 0);
    assert_eq!(replayed, appended);
}

#[test]
fn mapped_appends_make_no_write_calls_and_a_segment_is_cut_to_its_records_when_closed() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open_with(dir.path(), PERIODIC, 1 << 20);
    let positions: Vec<Position> = (0..100).map(|i| log.append(&record(i)).unwrap()).collect();
    assert_eq!(log.write_count(), 0);
    let path = segment_path(dir.path(), positions[0].segment);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 1 << 20, "preallocated while active");
    log.close().unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), positions[99].offset);
}

#[test]
fn the_preallocated_tail_of_a_segment_left_by_a_crash_replays_as_a_clean_end() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open_with(dir.path(), PERIODIC, 1 << 20);
    let positions: Vec<Position> = (0..50).map(|i| log.append(&record(i)).unwrap()).collect();
    // A crash: no close, the file keeps its zeroed tail (the copies are in the page cache).
    std::mem::forget(log);
    let (_log, replayed, stats) = open_with(dir.path(), PERIODIC, 1 << 20);
    assert_eq!(stats.damage, vec![]);
    assert_eq!(replayed.iter().map(|(p, _)| *p).collect::<Vec<_>>(), positions);
    assert_eq!(records(&replayed), (0..50).map(record).collect::<Vec<_>>());
}

#[test]
fn bytes_after_zeros_in_a_segment_tail_are_reported_as_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = open_with(dir.path(), PERIODIC, 1 << 20);
    let positions: Vec<Position> = (0..10).map(|i| log.append(&record(i)).unwrap()).collect();
    std::mem::forget(log);
    flip_byte(&segment_path(dir.path(), positions[0].segment), positions[9].offset + 5000);
    let (_log, replayed, stats) = open_with(dir.path(), PERIODIC, 1 << 20);
    assert_eq!(replayed.len(), 10);
    assert_eq!(stats.corrupt_segments, 1);
    assert_eq!(stats.damage[0].offset, positions[9].offset);
}
