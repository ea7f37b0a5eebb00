//! Damage is reported with the segment's path and offset; no file content panics replay; a writer
//! never waits for an fsync its record does not need.

use std::future::Future;
use std::path::Path;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use commitlog::{CommitLog, CommitLogConfig, CommitLogError, SyncMode};

const PERIODIC: SyncMode = SyncMode::Periodic { period: Duration::from_secs(3600) };

struct Noop;

impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    let waker = Waker::from(Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);
    pin!(future).as_mut().poll(&mut cx)
}

fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park_timeout(Duration::from_secs(5));
    }
}

fn config(dir: &Path, sync: SyncMode) -> CommitLogConfig {
    CommitLogConfig { segment_size_bytes: 1 << 20, sync, ..CommitLogConfig::new(dir) }
}

/// splitmix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[test]
fn a_flipped_byte_in_an_entry_is_reported_with_the_segment_path_and_the_entry_offset() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = CommitLog::open(config(dir.path(), PERIODIC), &mut |_, _| {}).unwrap();
    let first = log.append(b"first record").unwrap();
    log.append(b"second record").unwrap();
    log.close().unwrap();
    let path = dir.path().join(format!("CommitLog-{}.log", first.segment));
    let mut data = std::fs::read(&path).unwrap();
    data[first.offset as usize + 8 + 3] ^= 0x01; // inside the second record's payload
    std::fs::write(&path, data).unwrap();

    let mut replayed = Vec::new();
    let (_log, stats) = CommitLog::open(config(dir.path(), PERIODIC), &mut |_, r| replayed.push(r.to_vec())).unwrap();
    assert_eq!(replayed, vec![b"first record".to_vec()]);
    assert_eq!(stats.damage.len(), 1);
    let damage = &stats.damage[0];
    assert_eq!((&damage.path, damage.offset, damage.corrupt), (&path, first.offset, true));
    assert!(damage.to_string().contains(&path.display().to_string()), "{damage}");
}

#[test]
fn a_torn_tail_is_reported_as_torn() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = CommitLog::open(config(dir.path(), PERIODIC), &mut |_, _| {}).unwrap();
    let first = log.append(b"first record").unwrap();
    log.append(b"second record").unwrap();
    log.close().unwrap();
    let path = dir.path().join(format!("CommitLog-{}.log", first.segment));
    let len = std::fs::metadata(&path).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(len - 3).unwrap();
    let (_log, stats) = CommitLog::open(config(dir.path(), PERIODIC), &mut |_, _| {}).unwrap();
    assert_eq!(stats.damage.len(), 1);
    assert_eq!((&stats.damage[0].path, stats.damage[0].offset, stats.damage[0].corrupt), (&path, first.offset, false));
}

#[test]
fn garbage_segments_never_panic_replay() {
    let mut rng = Rng(5);
    for round in 0..200u64 {
        let dir = tempfile::tempdir().unwrap();
        let id = 1_000 + round;
        let len = (rng.next() % 400) as usize;
        let mut data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if round % 2 == 0 && len >= 24 {
            // A valid header, so that entry parsing runs on the garbage after it.
            data[..8].copy_from_slice(b"SIBYLCL\n");
            data[8] = 1;
            data[9..12].fill(0);
            data[12..20].copy_from_slice(&id.to_le_bytes());
            let crc = crc32fast::hash(&data[..20]);
            data[20..24].copy_from_slice(&crc.to_le_bytes());
            if round % 4 == 0 && len >= 32 {
                // ... and a valid entry length checksum.
                let entry_len = (rng.next() % 64) as u32;
                data[24..28].copy_from_slice(&entry_len.to_le_bytes());
                let crc = crc32fast::hash(&data[24..28]);
                data[28..32].copy_from_slice(&crc.to_le_bytes());
            }
        }
        std::fs::write(dir.path().join(format!("CommitLog-{id}.log")), &data).unwrap();
        let mut records = 0;
        match CommitLog::open(config(dir.path(), PERIODIC), &mut |_, _| records += 1) {
            Ok((_log, stats)) => assert!(records == 0 || stats.damage.len() <= 1),
            Err(CommitLogError::UnsupportedVersion { path, .. }) => {
                assert_eq!(path, dir.path().join(format!("CommitLog-{id}.log")))
            }
            Err(e) => panic!("round {round}: unexpected error {e}"),
        }
    }
}

#[test]
fn a_writer_covered_by_an_earlier_fsync_neither_waits_nor_causes_another() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = CommitLog::open(config(dir.path(), SyncMode::Batch), &mut |_, _| {}).unwrap();
    let a = log.append(b"a").unwrap();
    let b = log.append(b"b").unwrap();
    block_on(log.durable(b)).unwrap();
    let fsyncs = log.sync_count();
    // `a` was appended before the fsync that made `b` durable: it is durable already.
    assert!(matches!(poll_once(log.durable(a)), Poll::Ready(Ok(()))));
    assert!(matches!(poll_once(log.durable(b)), Poll::Ready(Ok(()))));
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(log.sync_count(), fsyncs);

    // In group mode too: a covered writer does not wait for the window.
    let dir = tempfile::tempdir().unwrap();
    let group = SyncMode::Group { window: Duration::from_secs(3600) };
    let (log, _) = CommitLog::open(config(dir.path(), group), &mut |_, _| {}).unwrap();
    let a = log.append(b"a").unwrap();
    log.sync().unwrap();
    assert!(matches!(poll_once(log.durable(a)), Poll::Ready(Ok(()))));
}
