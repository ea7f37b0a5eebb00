//! Memtable insert and point-read throughput.

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use memtable::Memtable;
use storage_model::{Cell, ColumnCell, Partition, Row};

fn update(key: u64, clustering: u64) -> Partition {
    Partition {
        key: Bytes::copy_from_slice(&key.to_be_bytes()),
        rows: vec![Row {
            clustering: Bytes::copy_from_slice(&clustering.to_be_bytes()),
            cells: vec![ColumnCell {
                column: Bytes::from_static(b"value"),
                path: None,
                cell: Cell::live(1, Bytes::from(vec![7u8; 64])),
            }],
            ..Row::default()
        }],
        ..Partition::default()
    }
}

fn spread(i: u64) -> u64 {
    i.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

fn inserts(c: &mut Criterion) {
    const N: u64 = 10_000;
    let updates: Vec<Partition> = (0..N).map(|i| update(spread(i), 0)).collect();
    let mut group = c.benchmark_group("memtable_insert");
    group.throughput(Throughput::Elements(N));
    group.bench_function("distinct_partitions", |b| {
        b.iter_batched(
            Memtable::new,
            |m| {
                for u in &updates {
                    m.apply(u);
                }
                m
            },
            BatchSize::LargeInput,
        )
    });
    let rows: Vec<Partition> = (0..N).map(|i| update(1, spread(i))).collect();
    group.bench_function("rows_of_one_partition", |b| {
        b.iter_batched(
            Memtable::new,
            |m| {
                for u in &rows {
                    m.apply(u);
                }
                m
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn gets(c: &mut Criterion) {
    const N: u64 = 10_000;
    let m = Memtable::new();
    for i in 0..N {
        m.apply(&update(spread(i), 0));
    }
    let keys: Vec<[u8; 8]> = (0..N).map(|i| spread(i).to_be_bytes()).collect();
    let mut group = c.benchmark_group("memtable_get");
    group.throughput(Throughput::Elements(N));
    group.bench_function("hit", |b| {
        b.iter(|| {
            let mut found = 0;
            for k in &keys {
                found += usize::from(m.get(k).is_some());
            }
            found
        })
    });
    group.finish();
}

criterion_group!(benches, inserts, gets);
criterion_main!(benches);
