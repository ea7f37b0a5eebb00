//! SSTables: immutable, sorted files of partitions, written once by [`SstableWriter`] and read through
//! a memory map by [`Sstable`].
//!
//! Owns: the file format (described below and in `docs/sstable-format.md`), its bloom filter and key
//! hash, per-file statistics ([`SstableStats`]), file naming (`<generation>-Data.db`, written as
//! `<generation>-Data.db.tmp` and renamed when complete so a file appears whole or not at all), and
//! cleaning up unfinished files ([`Sstable::list`]).
//!
//! Must not know: tables and schemas, which SSTables are live (the storage engine keeps that set and
//! calls [`Sstable::delete`]), how partitions of several SSTables merge, or the commitlog. Partitions
//! are encoded with `storage_model::codec`; keys are opaque bytes compared with `memcmp`.
//!
//! # File format (version 1)
//!
//! All integers are little-endian; "uvarint" is LEB128. Partitions are encoded back to back into one
//! logical, uncompressed stream, which is cut into chunks ("blocks") of exactly `block_size` bytes
//! (the last may be shorter) regardless of partition boundaries, so a partition may span any number of
//! chunks. Each chunk is compressed on its own and checksummed.
//!
//! ```text
//! +---------------------------------------------------------------------------------------------+
//! | header (24): magic "SIBYLSST" | format version u8 = 1 | codec version u8 | compression u8     |
//! |              | reserved u8 | block_size u32 | generation u64                                 |
//! +---------------------------------------------------------------------------------------------+
//! | chunk 0: codec u8 (0 none, 1 lz4) | uncompressed len u32 | stored len u32 | stored bytes     |
//! |          | crc32 u32 (of the codec byte through the stored bytes)                           |
//! | chunk 1 ...                                                        (the data section)       |
//! +---------------------------------------------------------------------------------------------+ chunks_offset
//! | chunk table: file offset u64 of each chunk; ceil(data_len / block_size) of them             |
//! +---------------------------------------------------------------------------------------------+ index_offset
//! | index offsets: partition_count × (u32 | u64, see offset_width): where each entry starts,    |
//! |                relative to entries_offset                                                   |
//! +---------------------------------------------------------------------------------------------+ entries_offset
//! | index entries, in key order: key_len uvarint | key | stream offset uvarint | length uvarint |
//! +---------------------------------------------------------------------------------------------+ bloom_offset
//! | bloom filter: m (bits) u64 | k u32 | reserved u32 | m/64 words u64                          |
//! +---------------------------------------------------------------------------------------------+ stats_offset
//! | statistics: partition_count, row_count, min_key, max_key, min/max timestamp,                 |
//! |             min/max local deletion time, tombstone_count, data_size (varints)               |
//! +---------------------------------------------------------------------------------------------+ len - 80
//! | footer (80): data_len u64 | chunks_offset u64 | index_offset u64 | entries_offset u64        |
//! |   | bloom_offset u64 | stats_offset u64 | partition_count u64 | offset_width u8 (4 | 8)       |
//! |   | format version u8 | reserved u16 | meta crc32 u32 (header + chunks_offset..footer)      |
//! |   | footer crc32 u32 (of the 64 bytes before) | reserved u32 | magic "SIBYLSST"             |
//! +---------------------------------------------------------------------------------------------+
//! ```
//!
//! Opening checks both magics, the versions, the footer checksum and the metadata checksum; chunk
//! checksums are checked when a chunk is read. A point [`Sstable::get`] probes the bloom filter, binary
//! searches the fixed-width index offsets (reading entries in place from the map: nothing is loaded at
//! open), then reads and decompresses only the chunks holding the partition. A scan decompresses each
//! chunk once.

mod bloom;
mod format;
mod reader;
mod stats;
mod writer;

use std::path::{Path, PathBuf};

pub use reader::{Sstable, SstableScan};
pub use stats::SstableStats;
pub use writer::{SstableWriter, WriterOptions};

/// How data blocks are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    None,
    /// LZ4 block format; a block that does not shrink is stored uncompressed.
    #[default]
    Lz4,
}

/// Errors of writing or reading SSTables.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SstableError {
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("corrupt SSTable {path} at offset {offset}: {reason}")]
    Corrupt { path: PathBuf, offset: u64, reason: String },
    #[error("partition key {key:02x?} added to {path} after {previous:02x?}: keys must be strictly increasing")]
    OutOfOrder { path: PathBuf, previous: Vec<u8>, key: Vec<u8> },
    #[error("invalid SSTable writer options: {0}")]
    InvalidOptions(String),
}

/// fsyncs a directory so that file creations, renames and deletions in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), SstableError> {
    let io = |source| SstableError::Io { path: dir.to_owned(), source };
    std::fs::File::open(dir).map_err(io)?.sync_all().map_err(io)
}
