//! Writing 100k partitions, a full scan, point reads (with and without the block cache, for several
//! block sizes and codecs), and clustering slices of a wide partition (with and without a row index).

use std::ops::Bound;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use sstable::{BlockCache, Compression, ReadOptions, Sstable, SstableWriter, WriterOptions};
use storage_model::{Cell, ColumnCell, LivenessInfo, Partition, Row, NO_DELETION_TIME};

const PARTITIONS: u64 = 100_000;
const TS: i64 = 1_700_000_000_000_000;

fn key(i: u64) -> Bytes {
    let mut k = i.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes().to_vec();
    k.extend_from_slice(&i.to_be_bytes());
    Bytes::from(k)
}

fn row(c: u32, value: String) -> Row {
    Row {
        clustering: Bytes::copy_from_slice(&c.to_be_bytes()),
        liveness: Some(LivenessInfo { timestamp: TS, ttl: 0, local_expiration_time: NO_DELETION_TIME }),
        cells: vec![ColumnCell {
            column: Bytes::from_static(b"value"),
            path: None,
            cell: Cell::live(TS, Bytes::from(value)),
        }],
        ..Row::default()
    }
}

fn partitions() -> Vec<Partition> {
    let mut keys: Vec<Bytes> = (0..PARTITIONS).map(key).collect();
    keys.sort();
    keys.into_iter()
        .enumerate()
        .map(|(i, key)| Partition {
            key,
            rows: (0..2u32).map(|c| row(c, format!("some value {i} {c}"))).collect(),
            ..Partition::default()
        })
        .collect()
}

fn write(
    dir: &std::path::Path,
    generation: u64,
    options: WriterOptions,
    read: &ReadOptions,
    ps: &[Partition],
) -> Sstable {
    let mut writer = SstableWriter::create(dir, generation, options).expect("create");
    for p in ps {
        writer.add(p).expect("add");
    }
    writer.finish_with(read).expect("finish")
}

fn bench(c: &mut Criterion) {
    let partitions = partitions();
    let dir = tempfile::tempdir().expect("tempdir");
    let uncached = ReadOptions::uncached();

    let mut group = c.benchmark_group("sstable");
    group.sample_size(10);
    group.throughput(Throughput::Elements(PARTITIONS));
    let mut generation = 0;
    for compression in [Compression::None, Compression::Lz4, Compression::Snappy, Compression::Zstd] {
        let options = WriterOptions::default().with_compression(compression);
        group.bench_function(BenchmarkId::new("write_100k_partitions", compression.name()), |b| {
            b.iter_batched(
                || {
                    generation += 1;
                    generation
                },
                |generation| write(dir.path(), generation, options, &uncached, &partitions).delete().expect("delete"),
                BatchSize::SmallInput,
            )
        });
    }
    let table = Arc::new(write(dir.path(), u64::MAX, WriterOptions::default(), &uncached, &partitions));
    group.bench_function("scan_100k_partitions", |b| {
        b.iter(|| table.scan(Bound::Unbounded).map(|p| p.expect("scan").rows.len()).sum::<usize>())
    });
    group.finish();

    let mut group = c.benchmark_group("sstable_get");
    group.throughput(Throughput::Elements(1));
    for block_kib in [4usize, 8, 16, 64] {
        let options = WriterOptions::default().with_block_size(block_kib << 10);
        generation += 1;
        let uncached_table = write(dir.path(), generation, options, &uncached, &partitions);
        generation += 1;
        let cache = BlockCache::new(256 << 20);
        let cached_table = write(dir.path(), generation, options, &ReadOptions::with_cache(cache), &partitions);
        for (name, table) in [("uncached", &uncached_table), ("cached", &cached_table)] {
            let mut i = 0u64;
            group.bench_function(BenchmarkId::new(format!("present_{name}"), format!("{block_kib}KiB")), |b| {
                b.iter(|| {
                    i = (i + 7919) % PARTITIONS;
                    table.get(&key(i)).expect("get").expect("present")
                })
            });
        }
    }
    for compression in [Compression::Snappy, Compression::Zstd] {
        generation += 1;
        let options = WriterOptions::default().with_compression(compression);
        let table = write(dir.path(), generation, options, &uncached, &partitions);
        let mut i = 0u64;
        group.bench_function(BenchmarkId::new("present_uncached", compression.name()), |b| {
            b.iter(|| {
                i = (i + 7919) % PARTITIONS;
                table.get(&key(i)).expect("get").expect("present")
            })
        });
    }
    let mut i = 0u64;
    group.bench_function("absent", |b| {
        b.iter(|| {
            i += 1;
            table.get(&key(PARTITIONS + i)).expect("get")
        })
    });
    group.finish();

    // One partition of 100k rows (about 3.5 MB), sliced 10 rows at a time.
    let wide = Partition {
        key: Bytes::from_static(b"wide"),
        rows: (0..100_000u32).map(|c| row(c, format!("value of row {c}"))).collect(),
        ..Partition::default()
    };
    let mut group = c.benchmark_group("sstable_slice");
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);
    for (name, threshold) in [("row_index", 32usize << 10), ("no_row_index", usize::MAX)] {
        generation += 1;
        let options = WriterOptions::default().with_row_index(threshold, 8 << 10);
        let table = write(
            dir.path(),
            generation,
            options,
            &ReadOptions::with_cache(BlockCache::new(256 << 20)),
            std::slice::from_ref(&wide),
        );
        let mut start = 0u32;
        group.bench_function(BenchmarkId::new("10_rows_of_100k", name), |b| {
            b.iter(|| {
                start = (start + 7919) % 99_990;
                let range = (
                    Bytes::copy_from_slice(&start.to_be_bytes()),
                    Some(Bytes::copy_from_slice(&(start + 10).to_be_bytes())),
                );
                let p = table.get_slice(b"wide", &[range]).expect("slice").expect("present");
                assert_eq!(p.rows.len(), 10);
                p
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
