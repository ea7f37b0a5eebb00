//! The per-table manifest: which SSTable generations are live, and how far the commitlog is already
//! reflected in them.
//!
//! ```text
//! MANIFEST (little-endian)
//!   magic "SIBYLMF\n" (8) | version u8 = 1 | count u32 | generation u64 × count
//!   | replay_after.segment u64 | replay_after.offset u64 | crc32 of everything before (4)
//! ```
//!
//! It is replaced atomically: written to `MANIFEST.tmp`, fsynced, renamed over `MANIFEST`, and the
//! directory fsynced. A reader therefore sees either the old or the new manifest, never a mix.

use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use commitlog::Position;

use crate::StorageError;

const MAGIC: &[u8; 8] = b"SIBYLMF\n";
const VERSION: u8 = 1;
pub(crate) const FILE_NAME: &str = "MANIFEST";
const TMP_NAME: &str = "MANIFEST.tmp";

/// The durable state of one table's live set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Manifest {
    /// Live SSTable generations, ascending.
    pub generations: Vec<u64>,
    /// Commitlog records ending at or before this position are already in the live SSTables (or were
    /// truncated away): replay skips them for this table.
    pub replay_after: Position,
}

impl Manifest {
    pub fn empty() -> Manifest {
        Manifest { generations: Vec::new(), replay_after: Position { segment: 0, offset: 0 } }
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 1 + 4 + self.generations.len() * 8 + 16 + 4);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        let count = u32::try_from(self.generations.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&count.to_le_bytes());
        for g in self.generations.iter().take(count as usize) {
            out.extend_from_slice(&g.to_le_bytes());
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
        if body[8] != VERSION {
            return Err(corrupt(&format!("unsupported version {}", body[8])));
        }
        let count = u32::from_le_bytes([body[9], body[10], body[11], body[12]]) as usize;
        let expected_len =
            count.checked_mul(8).and_then(|n| n.checked_add(13 + 16)).ok_or_else(|| corrupt("bad count"))?;
        if body.len() != expected_len {
            return Err(corrupt("length does not match the generation count"));
        }
        let read_u64 = |at: usize| -> u64 {
            let mut b = [0u8; 8];
            b.copy_from_slice(&body[at..at + 8]);
            u64::from_le_bytes(b)
        };
        let generations: Vec<u64> = (0..count).map(|i| read_u64(13 + i * 8)).collect();
        let tail = 13 + count * 8;
        let replay_after = Position { segment: read_u64(tail), offset: read_u64(tail + 8) };
        Ok(Manifest { generations, replay_after })
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
        let m = Manifest { generations: vec![1, 4, 9], replay_after: Position { segment: 3, offset: 77 } };
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
        let m = Manifest { generations: vec![1, 2], replay_after: Position { segment: 1, offset: 2 } };
        let bytes = m.encode();
        for len in 0..bytes.len() {
            assert!(Manifest::decode(&bytes[..len], Path::new("m")).is_err(), "length {len}");
        }
    }
}
