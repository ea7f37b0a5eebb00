//! Any file content given to the SSTable reader must open and read or fail with an error, never
//! panic. The first input byte picks a mode: even, the rest of the input is the file as it is; odd, the
//! file's chunk, metadata and footer checksums are recomputed first, so that the parsers behind the
//! checksums (index, row index, statistics, bloom filter, decompression, partition decoding) see the
//! bytes.

#![no_main]

use std::ops::Bound;
use std::sync::Arc;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sstable::{ReadOptions, Sstable};

fn u64_at(b: &[u8], at: usize) -> usize {
    b.get(at..at + 8).map_or(0, |w| u64::from_le_bytes(w.try_into().unwrap_or_default()) as usize)
}

/// Recomputes the checksums of a version 2 file as far as its layout allows.
fn fix_checksums(data: &mut [u8]) {
    let len = data.len();
    if len < 24 + 96 {
        return;
    }
    let footer = len - 96;
    let chunks_offset = u64_at(data, footer + 8);
    let table_end = u64_at(data, footer + 16);
    if chunks_offset <= table_end && table_end <= footer {
        let offsets: Vec<usize> = (chunks_offset..table_end).step_by(8).map(|at| u64_at(data, at)).collect();
        for (i, &start) in offsets.iter().enumerate() {
            let end = offsets.get(i + 1).copied().unwrap_or(chunks_offset);
            if start >= 24 && start.saturating_add(13) <= end && end <= chunks_offset {
                let crc = crc32fast::hash(&data[start..end - 4]);
                data[end - 4..end].copy_from_slice(&crc.to_le_bytes());
            }
        }
    }
    if chunks_offset <= footer {
        let mut meta = crc32fast::Hasher::new();
        meta.update(&data[..24]);
        meta.update(&data[chunks_offset..footer]);
        data[footer + 76..footer + 80].copy_from_slice(&meta.finalize().to_le_bytes());
    }
    let crc = crc32fast::hash(&data[footer..footer + 80]);
    data[footer + 80..footer + 84].copy_from_slice(&crc.to_le_bytes());
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, rest)) = input.split_first() else { return };
    let mut data = rest.to_vec();
    if mode % 2 == 1 {
        fix_checksums(&mut data);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("1-Data.db");
    std::fs::write(&path, &data).expect("write");
    let Ok(table) = Sstable::open_with(&path, &ReadOptions::uncached()) else { return };
    let table = Arc::new(table);
    let keys: Vec<Bytes> = table.scan(Bound::Unbounded).take(1000).filter_map(Result::ok).map(|p| p.key).collect();
    let ranges =
        [(Bytes::from_static(b"\x00\x02"), Some(Bytes::from_static(b"\x00\x30"))), (Bytes::from_static(b"\x01"), None)];
    for key in keys.iter().take(100) {
        let _ = table.get(key);
        let _ = table.get_slice(key, &ranges);
    }
    let _ = table.get(b"absent");
    let _ = table.may_intersect_slice(&ranges);
});
