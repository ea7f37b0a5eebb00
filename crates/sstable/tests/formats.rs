//! Format version 2: compressions, the row index and clustering slices, the block cache, statistics,
//! and reading version 1 files.

use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use proptest::prelude::*;
use sstable::slice::{normalize_ranges, slice_partition};
use sstable::{
    BlockCache, ClusteringBounds, ClusteringRange, Compression, ReadOptions, Sstable, SstableError, SstableWriter,
    WriterOptions,
};
use storage_model::{Cell, ColumnCell, DeletionTime, LivenessInfo, Partition, RangeTombstone, Row, NO_DELETION_TIME};

const TS: i64 = 1_700_000_000_000_000;

fn key(i: u64) -> Bytes {
    let mut k = (i * 10).to_be_bytes().to_vec();
    k.extend_from_slice(b"pk");
    Bytes::from(k)
}

fn ck(c: u32) -> Bytes {
    Bytes::copy_from_slice(&c.to_be_bytes())
}

fn row(c: u32, ts: i64, value: Bytes) -> Row {
    Row {
        clustering: ck(c),
        liveness: Some(LivenessInfo { timestamp: ts, ttl: 0, local_expiration_time: NO_DELETION_TIME }),
        deletion: None,
        cells: vec![ColumnCell { column: Bytes::from_static(b"v"), path: None, cell: Cell::live(ts, value) }],
        complex_deletions: vec![],
    }
}

/// A partition of `rows` rows of about 100 bytes each, clusterings 0, 2, 4, ...
fn wide(i: u64, rows: u32) -> Partition {
    Partition {
        key: key(i),
        rows: (0..rows).map(|c| row(c * 2, TS + i64::from(c % 3), Bytes::from(format!("{c:>96}")))).collect(),
        ..Partition::default()
    }
}

fn write_with(
    dir: &Path,
    generation: u64,
    options: WriterOptions,
    read: &ReadOptions,
    ps: &[Partition],
) -> Arc<Sstable> {
    let mut writer = SstableWriter::create(dir, generation, options).unwrap();
    for p in ps {
        writer.add(p).unwrap();
    }
    Arc::new(writer.finish_with(read).unwrap())
}

fn write(dir: &Path, generation: u64, options: WriterOptions, ps: &[Partition]) -> Arc<Sstable> {
    write_with(dir, generation, options, &ReadOptions::uncached(), ps)
}

fn scan_all(table: &Arc<Sstable>) -> Vec<Partition> {
    table.scan(Bound::Unbounded).collect::<Result<_, _>>().unwrap()
}

fn range(start: u32, end: Option<u32>) -> ClusteringRange {
    (ck(start), end.map(ck))
}

/// The partitions of `tests/data/v1-lz4-512.db`, written by format version 1 with 512-byte LZ4 blocks.
fn v1_fixture_partitions() -> Vec<Partition> {
    (0..40u64)
        .map(|i| {
            let rows = (0..(i % 7) as u32 * 3)
                .map(|c| Row {
                    clustering: ck(c),
                    liveness: Some(LivenessInfo {
                        timestamp: TS + i as i64,
                        ttl: 0,
                        local_expiration_time: NO_DELETION_TIME,
                    }),
                    deletion: None,
                    cells: vec![ColumnCell {
                        column: Bytes::from_static(b"v"),
                        path: None,
                        cell: Cell::live(TS, Bytes::from(format!("value {i}/{c}"))),
                    }],
                    complex_deletions: vec![],
                })
                .collect();
            Partition {
                key: key(i),
                deletion: (i % 5 == 1)
                    .then_some(DeletionTime { marked_for_delete_at: TS - 1, local_deletion_time: 1000 }),
                range_tombstones: if i % 4 == 2 {
                    vec![RangeTombstone {
                        start: ck(1),
                        end: Some(ck(2)),
                        deletion: DeletionTime { marked_for_delete_at: TS - 2, local_deletion_time: 1001 },
                    }]
                } else {
                    vec![]
                },
                static_row: None,
                rows,
            }
        })
        .collect()
}

#[test]
fn version_1_files_are_still_read() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/v1-lz4-512.db");
    let table = Arc::new(Sstable::open(&path).unwrap());
    let expected = v1_fixture_partitions();
    assert_eq!(table.format_version(), 1);
    assert_eq!((table.compression(), table.block_size()), (Compression::Lz4, 512));
    assert_eq!(scan_all(&table), expected);
    for p in &expected {
        assert_eq!(table.get(&p.key).unwrap().as_ref(), Some(p));
        let ranges = [range(1, Some(4))];
        assert_eq!(table.get_slice(&p.key, &ranges).unwrap(), Some(slice_partition(p.clone(), &ranges)));
    }
    // Statistics missing from version 1 are conservative: nothing is skipped.
    let stats = table.stats();
    assert_eq!(stats.clustering_bounds, Some(ClusteringBounds { min: vec![], max: None }));
    assert!(stats.partition_deletion_count >= 8 && stats.static_row_count >= 1);
    assert!(table.may_intersect_slice(&[range(1000, Some(1001))]));
}

#[test]
fn every_compression_round_trips_and_is_recorded_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let partitions: Vec<Partition> = (0..300).map(|i| wide(i, (i % 9) as u32)).collect();
    let mut sizes = Vec::new();
    for (generation, compression) in
        [Compression::None, Compression::Lz4, Compression::Snappy, Compression::Zstd].into_iter().enumerate()
    {
        let options = WriterOptions::default().with_block_size(4096).with_compression(compression);
        let table = write(dir.path(), generation as u64, options, &partitions);
        assert_eq!(table.compression(), compression);
        let reopened = Arc::new(Sstable::open(table.path()).unwrap());
        assert_eq!(reopened.compression(), compression);
        assert_eq!(scan_all(&reopened), partitions, "{compression:?}");
        for p in partitions.iter().step_by(7) {
            assert_eq!(reopened.get(&p.key).unwrap().as_ref(), Some(p), "{compression:?}");
        }
        sizes.push(table.stats().file_size_bytes);
    }
    // The values are padded numbers: every codec shrinks them.
    assert!(sizes[1..].iter().all(|&s| s < sizes[0] / 2), "{sizes:?}");
}

#[test]
fn a_flipped_byte_in_a_compressed_chunk_is_reported_with_the_path_for_every_codec() {
    for compression in [Compression::None, Compression::Lz4, Compression::Snappy, Compression::Zstd] {
        let dir = tempfile::tempdir().unwrap();
        let partitions: Vec<Partition> = (0..50).map(|i| wide(i, 3)).collect();
        let options = WriterOptions::default().with_block_size(1024).with_compression(compression);
        let path = write(dir.path(), 1, options, &partitions).path().to_owned();
        let mut data = std::fs::read(&path).unwrap();
        data[24 + 9 + 5] ^= 0x01; // the first chunk's stored bytes
        std::fs::write(&path, data).unwrap();
        let table = Arc::new(Sstable::open(&path).unwrap());
        let err = table.get(&key(0)).unwrap_err();
        match &err {
            SstableError::Corrupt { path: p, offset, reason } => {
                assert_eq!((p, *offset), (&path, 24), "{compression:?}");
                assert!(reason.contains("checksum"), "{reason}");
            }
            other => panic!("{compression:?}: expected Corrupt, got {other:?}"),
        }
        assert!(err.to_string().contains(&path.display().to_string()));
        assert!(matches!(table.get_slice(&key(0), &[range(0, None)]), Err(SstableError::Corrupt { .. })));
        assert!(table.scan(Bound::Unbounded).any(|r| r.is_err()));
    }
}

#[test]
fn slices_of_a_narrow_partition_filter_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = wide(1, 20);
    p.deletion = Some(DeletionTime { marked_for_delete_at: TS - 100, local_deletion_time: 5 });
    p.static_row = Some(Row { cells: row(0, TS, Bytes::from_static(b"s")).cells, ..Row::default() });
    p.range_tombstones = vec![
        RangeTombstone {
            start: ck(3),
            end: Some(ck(5)),
            deletion: DeletionTime { marked_for_delete_at: TS - 1, local_deletion_time: 6 },
        },
        RangeTombstone {
            start: ck(30),
            end: None,
            deletion: DeletionTime { marked_for_delete_at: TS - 1, local_deletion_time: 6 },
        },
    ];
    let table = write(dir.path(), 1, WriterOptions::default(), &[wide(0, 3), p.clone(), wide(2, 3)]);
    assert_eq!(table.stats().row_indexed_partition_count, 0);
    let got = table.get_slice(&key(1), &[range(4, Some(10)), range(0, Some(1))]).unwrap().unwrap();
    assert_eq!(got.deletion, p.deletion);
    assert_eq!(got.static_row, p.static_row);
    assert_eq!(got.range_tombstones, p.range_tombstones[..1]);
    let clusterings: Vec<Bytes> = got.rows.iter().map(|r| r.clustering.clone()).collect();
    assert_eq!(clusterings, vec![ck(0), ck(4), ck(6), ck(8)]);
    assert_eq!(table.get_slice(&key(7), &[range(0, None)]).unwrap(), None);
    let none = table.get_slice(&key(1), &[]).unwrap().unwrap();
    assert!(none.rows.is_empty() && none.range_tombstones.is_empty() && none.static_row.is_some());
}

#[test]
fn a_wide_partition_gets_a_row_index_and_a_slice_reads_only_the_chunks_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    // About 1 MB of rows in 4 KiB chunks, a row index every 4 KiB.
    let big = wide(1, 10_000);
    let partitions = vec![wide(0, 2), big.clone(), wide(2, 2)];
    let options = WriterOptions::default().with_block_size(4096).with_row_index(16 << 10, 4096);
    let cache = BlockCache::new(64 << 20);
    let table = write_with(dir.path(), 1, options, &ReadOptions::with_cache(cache.clone()), &partitions);
    assert_eq!(table.stats().row_indexed_partition_count, 1);
    assert!(table.stats().max_partition_size_bytes > 1_000_000);

    let ranges = [range(5000, Some(5010))];
    let got = table.get_slice(&key(1), &ranges).unwrap().unwrap();
    assert_eq!(got, slice_partition(big.clone(), &ranges));
    assert_eq!(got.rows.len(), 5);
    let chunks_read = cache.stats().inserts;
    assert!(chunks_read <= 4, "a 5-row slice read {chunks_read} chunks");

    // Two far-apart ranges: two short runs.
    let ranges = [range(100, Some(104)), range(19_990, None)];
    let got = table.get_slice(&key(1), &ranges).unwrap().unwrap();
    assert_eq!(got, slice_partition(big.clone(), &ranges));
    assert!(cache.stats().inserts - chunks_read <= 6);

    // The whole partition still reads back, by get and by a slice covering everything.
    assert_eq!(table.get(&key(1)).unwrap().as_ref(), Some(&big));
    assert_eq!(table.get_slice(&key(1), &[range(0, None)]).unwrap().as_ref(), Some(&big));
    assert_eq!(scan_all(&table), partitions);
}

#[test]
fn the_block_cache_serves_repeated_point_reads() {
    let dir = tempfile::tempdir().unwrap();
    let partitions: Vec<Partition> = (0..1000).map(|i| wide(i, 2)).collect();
    let cache = BlockCache::new(16 << 20);
    let table =
        write_with(dir.path(), 1, WriterOptions::default(), &ReadOptions::with_cache(cache.clone()), &partitions);
    assert_eq!(table.get(&key(10)).unwrap().as_ref(), Some(&partitions[10]));
    let after_first = cache.stats();
    assert_eq!((after_first.hits, after_first.inserts), (0, 1));
    for _ in 0..10 {
        assert_eq!(table.get(&key(10)).unwrap().as_ref(), Some(&partitions[10]));
    }
    let after = cache.stats();
    assert_eq!((after.hits, after.inserts), (10, 1));
    // Scans use the cache but do not fill it.
    assert_eq!(scan_all(&table), partitions);
    assert_eq!(cache.stats().inserts, 1);
    // Reopening the file gets new cache keys: never stale bytes.
    let reopened = Sstable::open_with(table.path(), &ReadOptions::with_cache(cache.clone())).unwrap();
    assert_eq!(reopened.get(&key(10)).unwrap().as_ref(), Some(&partitions[10]));
    assert_eq!(cache.stats().inserts, 2);
    assert!(reopened.block_cache().is_some());
    assert!(Sstable::open_with(table.path(), &ReadOptions::uncached()).unwrap().block_cache().is_none());
}

#[test]
fn statistics_bound_the_clusterings_and_count_tombstones() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = wide(1, 5); // clusterings 0..=8
    a.range_tombstones.push(RangeTombstone {
        start: ck(20),
        end: Some(ck(25)),
        deletion: DeletionTime { marked_for_delete_at: TS, local_deletion_time: 1 },
    });
    let mut b = wide(2, 3);
    b.rows.iter_mut().for_each(|r| r.clustering = ck(u32::from_be_bytes(r.clustering[..].try_into().unwrap()) + 3));
    let table = write(dir.path(), 1, WriterOptions::default(), &[a, b]);
    let stats = table.stats();
    assert_eq!(stats.clustering_bounds, Some(ClusteringBounds { min: ck(0).to_vec(), max: Some(ck(25).to_vec()) }));
    assert_eq!((stats.partition_deletion_count, stats.range_tombstone_count, stats.static_row_count), (0, 1, 0));
    assert_eq!(stats.tombstone_count, 1);
    assert!(table.may_intersect_slice(&[range(25, None)]));
    assert!(table.may_intersect_slice(&[range(100, Some(200)), range(8, Some(9))]));
    assert!(!table.may_intersect_slice(&[range(26, None)]));
    assert!(!table.may_intersect_slice(&[]));

    let mut deleted = wide(3, 1);
    deleted.deletion = Some(DeletionTime { marked_for_delete_at: TS, local_deletion_time: 1 });
    let table = write(dir.path(), 2, WriterOptions::default(), &[deleted]);
    assert_eq!(table.stats().partition_deletion_count, 1);
    assert!(table.may_intersect_slice(&[range(1000, None)]), "a partition deletion matters to every slice");

    let open_ended = Partition {
        key: key(4),
        range_tombstones: vec![RangeTombstone {
            start: ck(7),
            end: None,
            deletion: DeletionTime { marked_for_delete_at: TS, local_deletion_time: 1 },
        }],
        ..Partition::default()
    };
    let table = write(dir.path(), 3, WriterOptions::default(), &[open_ended]);
    assert_eq!(table.stats().clustering_bounds, Some(ClusteringBounds { min: ck(7).to_vec(), max: None }));
    assert!(table.may_intersect_slice(&[range(u32::MAX, None)]));
    assert!(!table.may_intersect_slice(&[range(0, Some(7))]));
}

#[test]
fn invalid_row_index_options_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let result = SstableWriter::create(dir.path(), 1, WriterOptions::default().with_row_index(10, 0));
    assert!(matches!(result, Err(SstableError::InvalidOptions(_))));
}

fn arbitrary_partition() -> impl Strategy<Value = Partition> {
    let deletion =
        (0i64..3, 1i32..4).prop_map(|(d, l)| DeletionTime { marked_for_delete_at: TS - d, local_deletion_time: l });
    (
        proptest::collection::btree_map(0u32..300, (0i64..5, 0usize..150), 0..120),
        proptest::option::of(deletion.clone()),
        proptest::collection::vec((0u32..300, proptest::option::of(1u32..60), deletion), 0..3),
        any::<bool>(),
    )
        .prop_map(|(rows, deletion, rts, has_static)| {
            let mut range_tombstones: Vec<RangeTombstone> = rts
                .into_iter()
                .map(|(start, len, deletion)| RangeTombstone {
                    start: ck(start),
                    end: len.map(|l| ck(start + l)),
                    deletion,
                })
                .collect();
            range_tombstones.sort_by(|a, b| a.start.cmp(&b.start));
            range_tombstones.dedup_by(|a, b| a.start == b.start);
            Partition {
                key: key(1),
                deletion,
                range_tombstones,
                static_row: has_static
                    .then(|| Row { cells: row(0, TS, Bytes::from_static(b"static")).cells, ..Row::default() }),
                rows: rows.into_iter().map(|(c, (ts, len))| row(c, TS + ts, Bytes::from(vec![b'x'; len]))).collect(),
            }
        })
}

fn arbitrary_ranges() -> impl Strategy<Value = Vec<ClusteringRange>> {
    proptest::collection::vec((0u32..320, proptest::option::of(0u32..80)), 0..4)
        .prop_map(|rs| rs.into_iter().map(|(s, len)| range(s, len.map(|l| s + l))).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Whatever the row index spacing, a slice equals the full partition cut to the ranges.
    #[test]
    fn a_slice_is_the_partition_cut_to_its_ranges(
        p in arbitrary_partition(),
        ranges in arbitrary_ranges(),
        block_size in 64usize..2048,
        granularity in 1usize..1024,
        indexed in any::<bool>(),
        compression in prop_oneof![Just(Compression::None), Just(Compression::Lz4), Just(Compression::Snappy), Just(Compression::Zstd)],
    ) {
        let dir = tempfile::tempdir().unwrap();
        let threshold = if indexed { 0 } else { usize::MAX };
        let options = WriterOptions::default()
            .with_block_size(block_size)
            .with_compression(compression)
            .with_row_index(threshold, granularity);
        let partitions = vec![wide(0, 1), p.clone(), wide(2, 1)];
        let table = write_with(dir.path(), 1, options, &ReadOptions::with_cache(BlockCache::new(1 << 20)), &partitions);
        prop_assert_eq!(table.stats().row_indexed_partition_count, u64::from(indexed && !p.rows.is_empty()) + 2 * u64::from(indexed));
        let expected = slice_partition(p.clone(), &normalize_ranges(&ranges));
        prop_assert_eq!(table.get_slice(&p.key, &ranges).unwrap(), Some(expected));
        prop_assert_eq!(table.get(&p.key).unwrap(), Some(p));
        prop_assert_eq!(scan_all(&table), partitions);
    }
}
