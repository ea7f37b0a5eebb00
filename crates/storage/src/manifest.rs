//! The per-table manifest: which SSTable generations are live, at which level, and how far the
//! commitlog is already reflected in them.
//!
//! ```text
//! MANIFEST (little-endian), version 2
//!   magic "SIBYLMF\n" (8) | version u8 = 2 | count u32 | (generation u64 | level u8) × count
//!   | replay_after.segment u64 | replay_after.offset u64 | crc32 of everything before (4)
//! ```
//!
//! Version 1 (still read; every SSTable is at level 0) has no level byte. The level is the SSTable's
//! level under leveled compaction (0 for a flush and for the other strategies' outputs).
//!
//! It is replaced atomically: written to `MANIFEST.tmp`, fsynced, renamed over `MANIFEST`, and the
//! directory fsynced. A reader therefore sees either the old or the new manifest, never a mix.

use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use commitlog::Position;

use crate::StorageError;

const MAGIC: &[u8; 8] = b"SIBYLMF\n";
const VERSION: u8 = 2;
pub(crate) const FILE_NAME: &str = "MANIFEST";
const TMP_NAME: &str = "MANIFEST.tmp";

/// One live SSTable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ManifestEntry {
    pub generation: u64,
    pub level: u32,
}

/// The durable state of one table's live set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Manifest {
    /// Live SSTables, by ascending generation.
    pub sstables: Vec<ManifestEntry>,
    /// Commitlog records ending at or before this position are already in the live SSTables (or were
    /// truncated away): replay skips them for this table.
    pub replay_after: Position,
}

impl Manifest {
    pub fn empty() -> Manifest {
        Manifest { sstables: Vec::new(), replay_after: Position { segment: 0, offset: 0 } }
    }

    pub fn contains(&self, generation: u64) -> bool {
        self.sstables.iter().any(|e| e.generation == generation)
    }

    #[cfg(test)]
    pub fn level_of(&self, generation: u64) -> u32 {
        self.sstables.iter().find(|e| e.generation == generation).map_or(0, |e| e.level)
    }

    /// Adds an SSTable, keeping the generations in order.
    pub fn add(&mut self, generation: u64, level: u32) {
        self.sstables.retain(|e| e.generation != generation);
        self.sstables.push(ManifestEntry { generation, level });
        self.sstables.sort_unstable_by_key(|e| e.generation);
    }

    pub fn remove(&mut self, generations: &[u64]) {
        self.sstables.retain(|e| !generations.contains(&e.generation));
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 1 + 4 + self.sstables.len() * 9 + 16 + 4);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        let count = u32::try_from(self.sstables.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&count.to_le_bytes());
        for e in self.sstables.iter().take(count as usize) {
            out.extend_from_slice(&e.generation.to_le_bytes());
            out.push(u8::try_from(e.level).unwrap_or(u8::MAX));
        }
        out.extend_from_slice(&self.replay_after.segment.to_le_bytes());
        out.extend_from_slice(&self.replay_after.offset.to_le_bytes());
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    fn decode(buf: &[u8], path: &Path) -> Result<Manifest, StorageError> {
        let corrupt = |what: &str| StorageError::Corrupt(format!("manifest {}: {what}", path.display()));
        if buf.len() < 8 + 1 + 4 + 16 + 4 {
            return Err(corrupt("too short"));
        }
        let (body, crc) = buf.split_at(buf.len() - 4);
        let crc = u32::from_le_bytes(crc.try_into().map_err(|_| corrupt("bad checksum field"))?);
        if crc32fast::hash(body) != crc {
            return Err(corrupt("checksum mismatch"));
        }
        if &body[..8] != MAGIC {
            return Err(corrupt("bad magic"));
        }
        let entry_len = match body[8] {
            1 => 8,
            2 => 9,
            v => return Err(corrupt(&format!("unsupported version {v}"))),
        };
        let count = u32::from_le_bytes([body[9], body[10], body[11], body[12]]) as usize;
        let expected_len =
            count.checked_mul(entry_len).and_then(|n| n.checked_add(13 + 16)).ok_or_else(|| corrupt("bad count"))?;
        if body.len() != expected_len {
            return Err(corrupt("length does not match the generation count"));
        }
        let read_u64 = |at: usize| -> u64 {
            let mut b = [0u8; 8];
            b.copy_from_slice(&body[at..at + 8]);
            u64::from_le_bytes(b)
        };
        let sstables: Vec<ManifestEntry> = (0..count)
            .map(|i| {
                let at = 13 + i * entry_len;
                let level = if entry_len == 9 { u32::from(body[at + 8]) } else { 0 };
                ManifestEntry { generation: read_u64(at), level }
            })
            .collect();
        let tail = 13 + count * entry_len;
        let replay_after = Position { segment: read_u64(tail), offset: read_u64(tail + 8) };
        Ok(Manifest { sstables, replay_after })
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StorageError + '_ {
    move |source| StorageError::Io { path: path.to_path_buf(), source }
}

/// Reads the manifest of a table directory; `None` when there is none.
pub(crate) fn read(dir: &Path) -> Result<Option<Manifest>, StorageError> {
    let path = dir.join(FILE_NAME);
    match fs::read(&path) {
        Ok(buf) => Manifest::decode(&buf, &path).map(Some),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(&path)(e)),
    }
}

/// Atomically replaces the manifest of a table directory.
pub(crate) fn write(dir: &Path, manifest: &Manifest) -> Result<(), StorageError> {
    let tmp: PathBuf = dir.join(TMP_NAME);
    let path = dir.join(FILE_NAME);
    {
        let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
        f.write_all(&manifest.encode()).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
    }
    fs::rename(&tmp, &path).map_err(io_err(&path))?;
    sync_dir(dir)
}

/// fsyncs a directory so that entries created, renamed or removed in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_err(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_manifest_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let m = Manifest {
            sstables: vec![
                ManifestEntry { generation: 1, level: 0 },
                ManifestEntry { generation: 4, level: 2 },
                ManifestEntry { generation: 9, level: 1 },
            ],
            replay_after: Position { segment: 3, offset: 77 },
        };
        write(dir.path(), &m).unwrap();
        assert_eq!(read(dir.path()).unwrap(), Some(m));
    }

    #[test]
    fn a_missing_manifest_reads_as_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()).unwrap(), None);
    }

    #[test]
    fn a_corrupted_manifest_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &Manifest::empty()).unwrap();
        let path = dir.path().join(FILE_NAME);
        let mut bytes = fs::read(&path).unwrap();
        bytes[10] ^= 0xff;
        fs::write(&path, bytes).unwrap();
        assert!(matches!(read(dir.path()), Err(StorageError::Corrupt(_))));
    }

    #[test]
    fn every_truncation_of_a_manifest_is_an_error() {
        let m = Manifest {
            sstables: vec![ManifestEntry { generation: 1, level: 0 }, ManifestEntry { generation: 2, level: 3 }],
            replay_after: Position { segment: 1, offset: 2 },
        };
        let bytes = m.encode();
        for len in 0..bytes.len() {
            assert!(Manifest::decode(&bytes[..len], Path::new("m")).is_err(), "length {len}");
        }
    }

    #[test]
    fn a_version_1_manifest_reads_with_every_sstable_at_level_0() {
        let mut v1 = Vec::new();
        v1.extend_from_slice(MAGIC);
        v1.push(1);
        v1.extend_from_slice(&2u32.to_le_bytes());
        v1.extend_from_slice(&5u64.to_le_bytes());
        v1.extend_from_slice(&7u64.to_le_bytes());
        v1.extend_from_slice(&3u64.to_le_bytes());
        v1.extend_from_slice(&99u64.to_le_bytes());
        let crc = crc32fast::hash(&v1);
        v1.extend_from_slice(&crc.to_le_bytes());
        let m = Manifest::decode(&v1, Path::new("m")).unwrap();
        assert_eq!(
            m,
            Manifest {
                sstables: vec![ManifestEntry { generation: 5, level: 0 }, ManifestEntry { generation: 7, level: 0 }],
                replay_after: Position { segment: 3, offset: 99 },
            }
        );
    }

    #[test]
    fn entries_are_added_in_generation_order_and_removed() {
        let mut m = Manifest::empty();
        m.add(9, 1);
        m.add(3, 0);
        m.add(5, 2);
        assert_eq!(m.sstables.iter().map(|e| e.generation).collect::<Vec<_>>(), vec![3, 5, 9]);
        assert_eq!(m.level_of(5), 2);
        m.remove(&[3, 9]);
        assert!(m.contains(5) && !m.contains(3));
    }
}
