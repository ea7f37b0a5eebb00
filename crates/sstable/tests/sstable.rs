//! Behaviour of SSTables: round trips, point reads, scans, the bloom filter, corruption, naming.

use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use proptest::prelude::*;
use sstable::{Compression, Sstable, SstableError, SstableWriter, WriterOptions};
use storage_model::{Cell, ColumnCell, DeletionTime, LivenessInfo, Partition, RangeTombstone, Row, NO_DELETION_TIME};

const TS: i64 = 1_700_000_000_000_000;

fn key(i: u64) -> Vec<u8> {
    let mut k = (i * 10).to_be_bytes().to_vec();
    k.extend_from_slice(b"pk");
    k
}

fn row(clustering: u32, value: Bytes) -> Row {
    Row {
        clustering: Bytes::copy_from_slice(&clustering.to_be_bytes()),
        liveness: Some(LivenessInfo { timestamp: TS, ttl: 0, local_expiration_time: NO_DELETION_TIME }),
        deletion: None,
        cells: vec![ColumnCell { column: Bytes::from_static(b"v"), path: None, cell: Cell::live(TS, value) }],
        complex_deletions: vec![],
    }
}

fn partition(i: u64, rows: u32) -> Partition {
    Partition {
        key: Bytes::from(key(i)),
        rows: (0..rows).map(|c| row(c, Bytes::from(format!("value {i}/{c}")))).collect(),
        ..Partition::default()
    }
}

fn options(block_size_bytes: usize, compression: Compression) -> WriterOptions {
    WriterOptions::default().with_block_size(block_size_bytes).with_compression(compression)
}

fn write(dir: &Path, generation: u64, options: WriterOptions, partitions: &[Partition]) -> Arc<Sstable> {
    let mut writer = SstableWriter::create(dir, generation, options).unwrap();
    for p in partitions {
        writer.add(p).unwrap();
    }
    Arc::new(writer.finish().unwrap())
}

fn sample(n: u64) -> Vec<Partition> {
    (0..n).map(|i| partition(i, (i % 5) as u32)).collect()
}

fn scan_all(table: &Arc<Sstable>, start: Bound<Vec<u8>>) -> Vec<Partition> {
    table.scan(start).collect::<Result<_, _>>().unwrap()
}

fn flip_byte(path: &Path, offset: usize) {
    let mut data = std::fs::read(path).unwrap();
    data[offset] ^= 0x10;
    std::fs::write(path, data).unwrap();
}

/// splitmix64: a small deterministic generator for the statistical tests.
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
fn written_partitions_scan_back_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let partitions = sample(500);
    let table = write(dir.path(), 1, options(1024, Compression::Lz4), &partitions);
    assert_eq!(scan_all(&table, Bound::Unbounded), partitions);
}

#[test]
fn uncompressed_sstables_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let partitions = sample(300);
    let table = write(dir.path(), 1, options(512, Compression::None), &partitions);
    assert_eq!(scan_all(&table, Bound::Unbounded), partitions);
    assert_eq!(table.get(&key(123)).unwrap().as_ref(), Some(&partitions[123]));
}

#[test]
fn incompressible_blocks_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(7);
    let partitions: Vec<Partition> = (0..50)
        .map(|i| {
            let noise: Vec<u8> = (0..300).map(|_| rng.next() as u8).collect();
            Partition { key: Bytes::from(key(i)), rows: vec![row(0, Bytes::from(noise))], ..Partition::default() }
        })
        .collect();
    let table = write(dir.path(), 1, options(1024, Compression::Lz4), &partitions);
    assert_eq!(scan_all(&table, Bound::Unbounded), partitions);
}

#[test]
fn get_returns_a_present_partition() {
    let dir = tempfile::tempdir().unwrap();
    let partitions = sample(1000);
    let table = write(dir.path(), 1, WriterOptions::default(), &partitions);
    for i in [0, 1, 499, 998, 999] {
        assert_eq!(table.get(&key(i)).unwrap(), Some(partitions[i as usize].clone()), "partition {i}");
    }
}

#[test]
fn get_of_an_absent_key_is_none() {
    let dir = tempfile::tempdir().unwrap();
    let table = write(dir.path(), 1, WriterOptions::default(), &sample(100));
    let mut between = key(50);
    between.push(0);
    for absent in [vec![], b"\0".to_vec(), between, key(100), vec![0xff; 12]] {
        assert_eq!(table.get(&absent).unwrap(), None, "{absent:?}");
    }
}

#[test]
fn scan_from_an_included_bound_starts_at_that_key() {
    let dir = tempfile::tempdir().unwrap();
    let partitions = sample(100);
    let table = write(dir.path(), 1, options(700, Compression::Lz4), &partitions);
    assert_eq!(scan_all(&table, Bound::Included(key(40))), partitions[40..]);
}

#[test]
fn scan_from_an_excluded_bound_starts_after_that_key() {
    let dir = tempfile::tempdir().unwrap();
    let partitions = sample(100);
    let table = write(dir.path(), 1, options(700, Compression::Lz4), &partitions);
    assert_eq!(scan_all(&table, Bound::Excluded(key(40))), partitions[41..]);
}

#[test]
fn scan_from_a_key_between_partitions_starts_at_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let partitions = sample(100);
    let table = write(dir.path(), 1, options(700, Compression::Lz4), &partitions);
    let mut between = key(40);
    between.push(0);
    assert_eq!(scan_all(&table, Bound::Included(between.clone())), partitions[41..]);
    assert_eq!(scan_all(&table, Bound::Excluded(between)), partitions[41..]);
    assert!(scan_all(&table, Bound::Included(vec![0xff])).is_empty());
    assert_eq!(scan_all(&table, Bound::Included(vec![])), partitions);
}

#[test]
fn scan_range_stops_at_the_end_bound() {
    let dir = tempfile::tempdir().unwrap();
    let partitions = sample(100);
    let table = write(dir.path(), 1, options(700, Compression::Lz4), &partitions);
    let range = |end| table.scan_range(Bound::Included(key(10)), end).collect::<Result<Vec<_>, _>>().unwrap();
    assert_eq!(range(Bound::Excluded(key(20))), partitions[10..20]);
    assert_eq!(range(Bound::Included(key(20))), partitions[10..21]);
    assert_eq!(range(Bound::Unbounded), partitions[10..]);
}

#[test]
fn a_scan_keeps_reading_after_its_table_is_dropped_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let partitions = sample(50);
    let table = write(dir.path(), 1, options(256, Compression::Lz4), &partitions);
    let scan = table.scan(Bound::Unbounded);
    table.delete().unwrap();
    drop(table);
    assert_eq!(scan.collect::<Result<Vec<_>, _>>().unwrap(), partitions);
}

#[test]
fn scans_can_be_sent_to_other_threads() {
    fn assert_send<T: Send>(_: &T) {}
    fn assert_send_sync<T: Send + Sync>() {}
    let dir = tempfile::tempdir().unwrap();
    let table = write(dir.path(), 1, WriterOptions::default(), &sample(3));
    let scan = table.scan(Bound::Unbounded);
    assert_send(&scan);
    assert_send_sync::<Sstable>();
    assert_eq!(std::thread::spawn(move || scan.count()).join().unwrap(), 3);
}

#[test]
fn large_partitions_spanning_blocks_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let partitions: Vec<Partition> = (0..20).map(|i| partition(i, if i % 3 == 0 { 200 } else { 1 })).collect();
    let block_size = 256;
    let table = write(dir.path(), 1, options(block_size, Compression::Lz4), &partitions);
    assert!(table.stats().data_size_bytes > 20 * block_size as u64);
    assert_eq!(scan_all(&table, Bound::Unbounded), partitions);
    for (i, p) in partitions.iter().enumerate() {
        assert_eq!(table.get(&p.key).unwrap().as_ref(), Some(p), "partition {i}");
    }
}

#[test]
fn a_partition_larger_than_the_default_block_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let big = Partition {
        key: Bytes::from(key(1)),
        rows: (0..50).map(|c| row(c, Bytes::from(vec![c as u8; 10_000]))).collect(),
        ..Partition::default()
    };
    let partitions = vec![partition(0, 1), big, partition(2, 1)];
    let table = write(dir.path(), 1, WriterOptions::default(), &partitions);
    assert_eq!(table.get(&key(1)).unwrap().as_ref(), Some(&partitions[1]));
    assert_eq!(scan_all(&table, Bound::Unbounded), partitions);
}

#[test]
fn the_bloom_filter_admits_every_key_written() {
    let dir = tempfile::tempdir().unwrap();
    let partitions = sample(2000);
    let table = write(dir.path(), 1, WriterOptions::default(), &partitions);
    assert!(partitions.iter().all(|p| table.may_contain(&p.key)));
}

#[test]
fn the_bloom_filter_false_positive_rate_is_near_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(42);
    let mut keys: Vec<Vec<u8>> = (0..10_000).map(|_| rng.next().to_be_bytes().to_vec()).collect();
    keys.sort();
    keys.dedup();
    let partitions: Vec<Partition> =
        keys.iter().map(|k| Partition { key: Bytes::from(k.clone()), ..Partition::default() }).collect();
    let table = write(dir.path(), 1, WriterOptions { bloom_fp_chance: 0.01, ..WriterOptions::default() }, &partitions);
    let probes = 100_000;
    let false_positives = (0..probes)
        .map(|_| {
            let mut k = rng.next().to_be_bytes().to_vec();
            k.push(1); // nine bytes: never one of the keys written
            k
        })
        .filter(|k| table.may_contain(k))
        .count();
    let rate = false_positives as f64 / probes as f64;
    assert!((0.006..=0.014).contains(&rate), "false-positive rate {rate}");
}

#[test]
fn a_flipped_byte_in_a_data_block_is_corrupt_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let partitions = sample(100);
    let path = write(dir.path(), 1, options(1024, Compression::Lz4), &partitions).path().to_owned();
    flip_byte(&path, 24 + 9 + 20); // inside the first chunk's stored bytes
    let table = Arc::new(Sstable::open(&path).unwrap());
    match table.get(&key(0)) {
        Err(SstableError::Corrupt { path: p, offset, .. }) => assert_eq!((p, offset), (path.clone(), 24)),
        other => panic!("expected Corrupt, got {other:?}"),
    }
    let mut scan = table.scan(Bound::Unbounded);
    assert!(matches!(scan.next(), Some(Err(SstableError::Corrupt { .. }))));
    assert!(scan.next().is_none());
}

#[test]
fn a_truncated_file_fails_to_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), 1, WriterOptions::default(), &sample(100)).path().to_owned();
    let len = std::fs::metadata(&path).unwrap().len();
    for cut in [1, 7, 80, 81, len / 2, len - 10, len] {
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(len - cut).unwrap();
        match Sstable::open(&path) {
            Err(SstableError::Corrupt { path: p, .. }) => assert_eq!(p, path),
            other => panic!("cut {cut}: expected Corrupt, got {other:?}"),
        }
    }
}

#[test]
fn a_flipped_byte_in_the_metadata_fails_to_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), 1, WriterOptions::default(), &sample(100)).path().to_owned();
    let len = std::fs::metadata(&path).unwrap().len() as usize;
    flip_byte(&path, len - 96 - 30); // in the statistics
    assert!(matches!(Sstable::open(&path), Err(SstableError::Corrupt { .. })));
}

#[test]
fn a_flipped_byte_in_the_header_fails_to_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), 1, WriterOptions::default(), &sample(10)).path().to_owned();
    flip_byte(&path, 16); // the generation: caught by the metadata checksum
    assert!(matches!(Sstable::open(&path), Err(SstableError::Corrupt { .. })));
}

#[test]
fn an_out_of_order_key_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = SstableWriter::create(dir.path(), 1, WriterOptions::default()).unwrap();
    writer.add(&partition(5, 1)).unwrap();
    let err = writer.add(&partition(4, 1)).unwrap_err();
    assert!(
        matches!(err, SstableError::OutOfOrder { ref previous, ref key, .. } if *previous == self::key(5) && *key == self::key(4))
    );
    // The rejected partition was not added: the writer goes on.
    writer.add(&partition(6, 1)).unwrap();
    let table = Arc::new(writer.finish().unwrap());
    assert_eq!(scan_all(&table, Bound::Unbounded), vec![partition(5, 1), partition(6, 1)]);
}

#[test]
fn a_repeated_key_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = SstableWriter::create(dir.path(), 1, WriterOptions::default()).unwrap();
    writer.add(&partition(5, 1)).unwrap();
    assert!(matches!(writer.add(&partition(5, 2)), Err(SstableError::OutOfOrder { .. })));
}

#[test]
fn list_returns_final_sstables_by_generation_and_deletes_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    for generation in [10, 2, 33] {
        write(dir.path(), generation, WriterOptions::default(), &sample(3));
    }
    std::fs::write(dir.path().join("7-Data.db.tmp"), b"half written").unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"not ours").unwrap();
    let listed = Sstable::list(dir.path()).unwrap();
    assert_eq!(
        listed,
        vec![
            (2, dir.path().join("2-Data.db")),
            (10, dir.path().join("10-Data.db")),
            (33, dir.path().join("33-Data.db"))
        ]
    );
    assert!(!dir.path().join("7-Data.db.tmp").exists());
    assert!(dir.path().join("notes.txt").exists());
}

#[test]
fn list_of_a_missing_directory_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    assert!(Sstable::list(&dir.path().join("absent")).unwrap().is_empty());
}

#[test]
fn a_file_appears_under_its_final_name_only_when_finished() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = SstableWriter::create(dir.path(), 4, WriterOptions::default()).unwrap();
    writer.add(&partition(1, 1)).unwrap();
    assert!(!dir.path().join("4-Data.db").exists());
    assert!(dir.path().join("4-Data.db.tmp").exists());
    let table = writer.finish().unwrap();
    assert_eq!(table.path(), dir.path().join("4-Data.db"));
    assert_eq!(table.generation(), 4);
    assert!(!dir.path().join("4-Data.db.tmp").exists());
}

#[test]
fn dropping_an_unfinished_writer_deletes_its_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = SstableWriter::create(dir.path(), 4, WriterOptions::default()).unwrap();
    writer.add(&partition(1, 1)).unwrap();
    drop(writer);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn create_refuses_an_existing_generation() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), 3, WriterOptions::default(), &sample(1));
    assert!(matches!(SstableWriter::create(dir.path(), 3, WriterOptions::default()), Err(SstableError::Io { .. })));
}

#[test]
fn a_zero_block_size_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let result = SstableWriter::create(dir.path(), 1, options(0, Compression::Lz4));
    assert!(matches!(result, Err(SstableError::InvalidOptions(_))));
}

#[test]
fn delete_removes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let table = write(dir.path(), 1, WriterOptions::default(), &sample(1));
    table.delete().unwrap();
    assert!(!table.path().exists());
    assert!(Sstable::list(dir.path()).unwrap().is_empty());
}

#[test]
fn reopening_reads_the_same_contents() {
    let dir = tempfile::tempdir().unwrap();
    let partitions = sample(200);
    let written = write(dir.path(), 9, options(2048, Compression::Lz4), &partitions);
    let reopened = Arc::new(Sstable::open(written.path()).unwrap());
    assert_eq!(reopened.generation(), 9);
    assert_eq!(reopened.stats(), written.stats());
    assert_eq!(scan_all(&reopened, Bound::Unbounded), partitions);
}

#[test]
fn an_empty_sstable_holds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let table = write(dir.path(), 1, WriterOptions::default(), &[]);
    assert_eq!(table.stats().partition_count, 0);
    assert_eq!(table.get(b"anything").unwrap(), None);
    assert!(scan_all(&table, Bound::Unbounded).is_empty());
}

#[test]
fn stats_describe_the_contents() {
    let dir = tempfile::tempdir().unwrap();
    let deletion = DeletionTime { marked_for_delete_at: TS - 10, local_deletion_time: 1_000 };
    let mut tombstoned = partition(1, 2);
    tombstoned.deletion = Some(deletion);
    tombstoned.range_tombstones.push(RangeTombstone {
        start: Bytes::from_static(b"a"),
        end: None,
        deletion: DeletionTime { marked_for_delete_at: TS + 5, local_deletion_time: 2_000 },
    });
    tombstoned.rows[0].cells.push(ColumnCell {
        column: Bytes::from_static(b"w"),
        path: None,
        cell: Cell::tombstone(TS + 1, 1_500),
    });
    let partitions = vec![partition(0, 1), tombstoned, partition(2, 0)];
    let table = write(dir.path(), 1, WriterOptions::default(), &partitions);
    let stats = table.stats();
    assert_eq!(stats.partition_count, 3);
    assert_eq!(stats.row_count, 3);
    assert_eq!((stats.min_key.clone(), stats.max_key.clone()), (key(0), key(2)));
    assert_eq!((stats.min_timestamp, stats.max_timestamp), (TS - 10, TS + 5));
    assert_eq!((stats.min_local_deletion_time, stats.max_local_deletion_time), (1_000, NO_DELETION_TIME));
    assert_eq!(stats.tombstone_count, 3);
    assert_eq!(stats.file_size_bytes, std::fs::metadata(table.path()).unwrap().len());
    let mut encoded = Vec::new();
    for p in &partitions {
        storage_model::codec::encode_partition(p, &mut encoded);
    }
    assert_eq!(stats.data_size_bytes, encoded.len() as u64);
}

fn arbitrary_partition_set() -> impl Strategy<Value = Vec<Partition>> {
    proptest::collection::btree_map(
        proptest::collection::vec(any::<u8>(), 0..12),
        (0u32..20, proptest::collection::vec(any::<u8>(), 0..200)),
        0..40,
    )
    .prop_map(|map| {
        map.into_iter()
            .map(|(k, (rows, value))| Partition {
                key: Bytes::from(k),
                rows: (0..rows).map(|c| row(c, Bytes::from(value.clone()))).collect(),
                ..Partition::default()
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_sorted_partitions_round_trip(
        partitions in arbitrary_partition_set(),
        block_size in 1usize..3000,
        lz4 in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let compression = if lz4 { Compression::Lz4 } else { Compression::None };
        let table = write(dir.path(), 1, options(block_size, compression), &partitions);
        prop_assert_eq!(scan_all(&table, Bound::Unbounded), partitions.clone());
        for p in &partitions {
            prop_assert_eq!(table.get(&p.key).unwrap(), Some(p.clone()));
        }
    }
}
