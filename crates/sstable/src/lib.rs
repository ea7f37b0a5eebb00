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
//! # File format (version 2)
//!
//! All integers are little-endian; "uvarint" is LEB128. Partitions are encoded back to back into one
//! logical, uncompressed stream, which is cut into chunks ("blocks") of exactly `block_size` bytes
//! (the last may be shorter) regardless of partition boundaries, so a partition may span any number of
//! chunks. Each chunk is compressed on its own (none, LZ4, Snappy or zstd: its codec byte says) and
//! checksummed. `docs/sstable-format.md` has the byte-level description and the measurements.
//!
//! ```text
//! header (24)     magic | format version = 2 | codec version | compression | block_size | generation
//! data            chunk := codec u8 | uncompressed len u32 | stored len u32 | stored | crc32
//! chunk table     file offset u64 of each chunk
//! index offsets   partition_count × (u32 | u64): where each index entry starts
//! index entries   key | stream offset | length | row index (0, or 1 + offset in the row index)
//! row index       per wide partition: its marks (first clustering of a run of rows → offset, delta state)
//! bloom filter    m | k | words
//! statistics      counts, key and clustering bounds, timestamps, tombstone counts (varints)
//! footer (96)     section offsets, counts, offset width, version, meta crc32, footer crc32, magic
//! ```
//!
//! Opening checks both magics, the versions, the footer checksum and the metadata checksum (header,
//! chunk table, index, row index, bloom filter, statistics); chunk checksums are checked when a chunk
//! is read. A point [`Sstable::get`] probes the bloom filter, narrows the search with an in-memory
//! summary of every 16th key, binary searches the fixed-width index offsets (reading entries in place
//! from the map), then reads only the chunks holding the partition — from the shared [`BlockCache`] of
//! decompressed chunks when they are there. [`Sstable::get_slice`] reads a clustering slice: for a
//! partition with a row index, only its head and the runs of rows the ranges fall in. A scan
//! decompresses each chunk once and does not fill the cache. Version 1 files (no row index, fewer
//! statistics, an 80-byte footer, LZ4 only) are still read.

mod bloom;
mod cache;
mod compress;
mod format;
mod reader;
pub mod slice;
mod stats;
mod writer;

use std::path::{Path, PathBuf};

pub use cache::{BlockCache, BlockCacheStats, DEFAULT_SHARED_CAPACITY_BYTES};
pub use compress::ZSTD_LEVEL;
pub use reader::{ReadOptions, Sstable, SstableScan};
pub use slice::ClusteringRange;
pub use stats::{ClusteringBounds, SstableStats, TombstoneHistogram};
pub use writer::{SstableWriter, WriterOptions, DEFAULT_BLOCK_SIZE_BYTES};

/// How data blocks are compressed (Cassandra's `compression = {'class': ...}`). Each chunk records
/// its codec, so readers need no option; a chunk that does not shrink is stored uncompressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    None,
    /// LZ4 block format.
    #[default]
    Lz4,
    /// Snappy raw format.
    Snappy,
    /// Zstandard at level [`ZSTD_LEVEL`].
    Zstd,
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
