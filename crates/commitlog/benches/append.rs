//! Appending 100-byte records: one writer in periodic mode, and 8 or 64 concurrent writers in batch
//! and group mode, each waiting for its record to be durable (group commit). The durable benchmarks
//! print how many records each fsync covered.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::{Duration, Instant};

use commitlog::{CommitLog, CommitLogConfig, SyncMode};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}

fn open(dir: &std::path::Path, sync: SyncMode, mapped: bool) -> CommitLog {
    let config = CommitLogConfig { dir: dir.to_owned(), segment_size_bytes: 32 << 20, sync, mapped };
    CommitLog::open(config, &mut |_, _| {}).expect("open commitlog").0
}

fn append_periodic(c: &mut Criterion) {
    let record = [7u8; 100];
    let mut group = c.benchmark_group("append_100b");
    group.throughput(Throughput::Elements(1));
    // Mapped segments (the default: a copy into the page cache) and written ones (`pwrite` per batch).
    for (suffix, mapped) in [("", true), ("_unmapped", false)] {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = open(dir.path(), SyncMode::Periodic { period: Duration::from_secs(10) }, mapped);
        group.bench_function(format!("periodic_1_writer{suffix}"), |b| b.iter(|| log.append(&record).expect("append")));
        let _ = log.discard_before(log.position());
        // Concurrent writers: their appends share writes (group write) when segments are not mapped.
        for writers in [2u64, 8] {
            let writes_before = log.write_count();
            let mut records = 0u64;
            group.bench_function(format!("periodic_{writers}_writers{suffix}"), |b| {
                b.iter_custom(|iters| {
                    let per_writer = iters.div_ceil(writers);
                    records += per_writer * writers;
                    let start = Instant::now();
                    std::thread::scope(|s| {
                        for _ in 0..writers {
                            let log = &log;
                            s.spawn(move || {
                                for _ in 0..per_writer {
                                    log.append(&record).expect("append");
                                }
                            });
                        }
                    });
                    start.elapsed().mul_f64(iters as f64 / (per_writer * writers) as f64)
                })
            });
            let writes = log.write_count().saturating_sub(writes_before);
            if writes > 0 {
                eprintln!(
                    "periodic{suffix}, {writers} writers: {records} appends, {writes} writes, {:.1} records per write",
                    records as f64 / writes as f64
                );
            }
            let _ = log.discard_before(log.position());
        }
    }
    group.finish();
}

fn append_durable(c: &mut Criterion) {
    let mut group = c.benchmark_group("append_100b");
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    let modes = [("batch", SyncMode::Batch), ("group_1ms", SyncMode::Group { window: Duration::from_millis(1) })];
    for (mode_name, mode) in modes {
        for writers in [8u64, 64] {
            let dir = tempfile::tempdir().expect("tempdir");
            let log = Arc::new(open(dir.path(), mode, true));
            let (mut records, syncs_before) = (0u64, log.sync_count());
            group.bench_function(format!("{mode_name}_{writers}_writers_durable"), |b| {
                b.iter_custom(|iters| {
                    let per_writer = iters.div_ceil(writers);
                    records += per_writer * writers;
                    let start = Instant::now();
                    std::thread::scope(|s| {
                        for _ in 0..writers {
                            let log = &log;
                            s.spawn(move || {
                                let record = [7u8; 100];
                                for _ in 0..per_writer {
                                    let pos = log.append(&record).expect("append");
                                    block_on(log.durable(pos)).expect("durable");
                                }
                            });
                        }
                    });
                    start.elapsed().mul_f64(iters as f64 / (per_writer * writers) as f64)
                })
            });
            let syncs = log.sync_count() - syncs_before;
            eprintln!(
                "{mode_name}, {writers} writers: {records} durable appends, {syncs} fsyncs, {:.1} records per fsync",
                records as f64 / syncs.max(1) as f64
            );
            let _ = log.discard_before(log.position());
        }
    }
    group.finish();
}

criterion_group!(benches, append_periodic, append_durable);
criterion_main!(benches);
