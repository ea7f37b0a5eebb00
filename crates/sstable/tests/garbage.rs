//! Fuzz-style tests: no file content makes the reader panic. Random garbage must fail to open;
//! valid files with random bytes changed — with their checksums recomputed, so that the parsers behind
//! the checksums see the damage — must open and read or fail with an error, never panic.

use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use sstable::{BlockCache, Compression, ReadOptions, Sstable, SstableError, SstableWriter, WriterOptions};
use storage_model::{Cell, ColumnCell, DeletionTime, Partition, RangeTombstone, Row};

const TS: i64 = 1_700_000_000_000_000;

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

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn sample_partitions() -> Vec<Partition> {
    (0..30u32)
        .map(|i| Partition {
            key: Bytes::from(format!("key{i:04}")),
            deletion: (i % 7 == 3).then_some(DeletionTime { marked_for_delete_at: TS, local_deletion_time: 9 }),
            range_tombstones: if i % 5 == 0 {
                vec![RangeTombstone {
                    start: Bytes::from_static(b"\x00\x05"),
                    end: Some(Bytes::from_static(b"\x00\x09")),
                    deletion: DeletionTime { marked_for_delete_at: TS, local_deletion_time: 9 },
                }]
            } else {
                vec![]
            },
            static_row: None,
            rows: (0..(if i == 10 { 400 } else { i % 4 }))
                .map(|c: u32| Row {
                    clustering: Bytes::copy_from_slice(&(c as u16).to_be_bytes()),
                    cells: vec![ColumnCell {
                        column: Bytes::from_static(b"v"),
                        path: None,
                        cell: Cell::live(TS + i64::from(c), Bytes::from(format!("value {i} {c}"))),
                    }],
                    ..Row::default()
                })
                .collect(),
        })
        .collect()
}

fn write_sample(dir: &Path, generation: u64, compression: Compression) -> Vec<u8> {
    let options = WriterOptions::default().with_block_size(256).with_compression(compression).with_row_index(1024, 200);
    let mut writer = SstableWriter::create(dir, generation, options).unwrap();
    for p in sample_partitions() {
        writer.add(&p).unwrap();
    }
    let table = writer.finish_with(&ReadOptions::uncached()).unwrap();
    assert_eq!(table.stats().row_indexed_partition_count, 1);
    std::fs::read(table.path()).unwrap()
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8).map_or(0, |w| u64::from_le_bytes(w.try_into().unwrap()))
}

/// Recomputes the checksums of a version 2 file as far as its (maybe damaged) layout allows: every
/// chunk's crc32, the metadata crc and the footer crc.
fn fix_checksums(data: &mut [u8]) {
    let len = data.len();
    if len < 24 + 96 {
        return;
    }
    let footer = len - 96;
    let chunks_offset = u64_at(data, footer + 8) as usize;
    // Chunks: follow the chunk table while it makes sense.
    let table_end = u64_at(data, footer + 16) as usize;
    if chunks_offset <= table_end && table_end <= footer {
        let offsets: Vec<usize> = (chunks_offset..table_end).step_by(8).map(|at| u64_at(data, at) as usize).collect();
        for (i, &start) in offsets.iter().enumerate() {
            let end = offsets.get(i + 1).copied().unwrap_or(chunks_offset);
            if start >= 24 && start + 13 <= end && end <= chunks_offset {
                let crc = crc32fast::hash(&data[start..end - 4]);
                data[end - 4..end].copy_from_slice(&crc.to_le_bytes());
            }
        }
    }
    if chunks_offset <= footer {
        let mut meta = crc32fast::Hasher::new();
        meta.update(&data[..24]);
        meta.update(&data[chunks_offset..footer]);
        let tail = footer + 72;
        data[tail + 4..tail + 8].copy_from_slice(&meta.finalize().to_le_bytes());
    }
    let crc = crc32fast::hash(&data[footer..footer + 80]);
    data[footer + 80..footer + 84].copy_from_slice(&crc.to_le_bytes());
}

/// Opens the file and reads everything in every way; returns whether it opened.
fn exercise(path: &Path, cache: &BlockCache) -> bool {
    let table = match Sstable::open_with(path, &ReadOptions::with_cache(cache.clone())) {
        Ok(t) => Arc::new(t),
        Err(SstableError::Corrupt { path: p, .. }) => {
            assert_eq!(p, path);
            return false;
        }
        Err(e) => panic!("unexpected error kind {e:?}"),
    };
    let _ = table.stats();
    let keys: Vec<Bytes> = table.scan(Bound::Unbounded).filter_map(Result::ok).map(|p| p.key).collect();
    let _ = table.scan_range(Bound::Excluded(b"key0005".to_vec()), Bound::Included(b"key0020".to_vec())).count();
    let ranges = [
        (Bytes::from_static(b"\x00\x02"), Some(Bytes::from_static(b"\x00\x30"))),
        (Bytes::from_static(b"\x01\x00"), None),
    ];
    for key in keys.iter().map(|k| k.to_vec()).chain((0..32).map(|i| format!("key{i:04}").into_bytes())) {
        let _ = table.get(&key);
        let _ = table.get_slice(&key, &ranges);
        let _ = table.may_intersect_slice(&ranges);
    }
    true
}

#[test]
fn random_garbage_never_panics_the_reader() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("1-Data.db");
    let cache = BlockCache::new(1 << 20);
    let mut rng = Rng(1);
    for round in 0..300 {
        let len = rng.below(600);
        let mut data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if round % 2 == 0 && len >= 8 {
            // Give it the magic at the end so that more of the footer parsing runs.
            let n = data.len();
            data[n - 8..].copy_from_slice(b"SIBYLSST");
            if round % 4 == 0 && n >= 24 {
                data[n - 23] = 2;
                fix_checksums(&mut data);
            }
        }
        std::fs::write(&path, &data).unwrap();
        assert!(!exercise(&path, &cache) || len >= 120, "round {round}: {len} random bytes opened");
    }
}

#[test]
fn damaged_files_with_recomputed_checksums_never_panic_the_reader() {
    let dir = tempfile::tempdir().unwrap();
    let cache = BlockCache::new(1 << 20);
    let mut rng = Rng(99);
    let mut opened = 0;
    for (generation, compression) in
        [Compression::None, Compression::Lz4, Compression::Snappy, Compression::Zstd].into_iter().enumerate()
    {
        let original = write_sample(dir.path(), 100 + generation as u64, compression);
        let path = dir.path().join(format!("{generation}-Data.db"));
        for _ in 0..250 {
            let mut data = original.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(data.len());
                match rng.below(3) {
                    0 => data[at] ^= 1 << rng.below(8),
                    1 => data[at] = rng.next() as u8,
                    _ => data[at] = [0, 1, 0x7f, 0x80, 0xff][rng.below(5)],
                }
            }
            fix_checksums(&mut data);
            std::fs::write(&path, &data).unwrap();
            opened += usize::from(exercise(&path, &cache));
        }
    }
    // Most damage lands in the data, so most files still open (and fail or not when read).
    assert!(opened > 300, "only {opened} damaged files opened");
}

#[test]
fn truncated_and_extended_files_never_panic_the_reader() {
    let dir = tempfile::tempdir().unwrap();
    let original = write_sample(dir.path(), 100, Compression::Lz4);
    let path = dir.path().join("1-Data.db");
    let cache = BlockCache::new(1 << 20);
    for cut in (0..original.len()).step_by(17) {
        std::fs::write(&path, &original[..cut]).unwrap();
        assert!(!exercise(&path, &cache), "a file cut to {cut} bytes opened");
    }
    let mut extended = original.clone();
    extended.extend_from_slice(&[0; 100]);
    std::fs::write(&path, &extended).unwrap();
    assert!(!exercise(&path, &cache));
}
