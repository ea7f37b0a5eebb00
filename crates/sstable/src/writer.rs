//! [`SstableWriter`]: streams sorted partitions into a new SSTable file.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use storage_model::codec::{self, write_ivarint, write_uvarint, RowMark};
use storage_model::Partition;
use tracing::{debug, warn};

use crate::compress::{Compressor, CODEC_NONE};
use crate::format::{self, Footer, Header, CHUNK_HEADER_LEN, MAX_BLOCK_SIZE};
use crate::{bloom, Compression, ReadOptions, Sstable, SstableError, SstableStats};

/// Default uncompressed chunk size; see `docs/sstable-format.md` for the measurements behind it.
pub const DEFAULT_BLOCK_SIZE_BYTES: usize = 8 << 10;

/// How a new SSTable is laid out. Nothing here is needed to read the file back: the choices are
/// recorded in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WriterOptions {
    /// Uncompressed size of a data block (chunk), the unit of compression, checksumming and caching
    /// (Cassandra's `chunk_length_in_kb`).
    pub block_size_bytes: usize,
    pub compression: Compression,
    /// Target false-positive chance of the bloom filter (Cassandra's `bloom_filter_fp_chance`),
    /// clamped to `[1e-9, 1]`.
    pub bloom_fp_chance: f64,
    /// A partition whose encoding is larger than this gets a row index, so that clustering slices
    /// ([`Sstable::get_slice`]) read only the chunks they need.
    pub row_index_threshold_bytes: usize,
    /// Spacing of the row index: one entry (first clustering of a run of rows) per this many bytes of
    /// the partition.
    pub row_index_granularity_bytes: usize,
}

impl Default for WriterOptions {
    /// 8 KiB blocks, LZ4, 1% bloom filter false positives, a row index every 8 KiB in partitions larger
    /// than 32 KiB.
    fn default() -> Self {
        WriterOptions {
            block_size_bytes: DEFAULT_BLOCK_SIZE_BYTES,
            compression: Compression::Lz4,
            bloom_fp_chance: 0.01,
            row_index_threshold_bytes: 32 << 10,
            row_index_granularity_bytes: DEFAULT_BLOCK_SIZE_BYTES,
        }
    }
}

impl WriterOptions {
    pub fn with_block_size(self, block_size_bytes: usize) -> WriterOptions {
        WriterOptions { block_size_bytes, ..self }
    }

    pub fn with_compression(self, compression: Compression) -> WriterOptions {
        WriterOptions { compression, ..self }
    }

    pub fn with_bloom_fp_chance(self, bloom_fp_chance: f64) -> WriterOptions {
        WriterOptions { bloom_fp_chance, ..self }
    }

    /// Partitions larger than `threshold_bytes` get a row index entry every `granularity_bytes`.
    pub fn with_row_index(self, threshold_bytes: usize, granularity_bytes: usize) -> WriterOptions {
        WriterOptions {
            row_index_threshold_bytes: threshold_bytes,
            row_index_granularity_bytes: granularity_bytes,
            ..self
        }
    }
}

/// Writes one SSTable: [`SstableWriter::add`] partitions in key order, then [`SstableWriter::finish`].
/// Dropped without finishing, it deletes its temporary file.
pub struct SstableWriter {
    dir: PathBuf,
    tmp_path: PathBuf,
    final_path: PathBuf,
    options: WriterOptions,
    header: Header,
    /// `None` once the file is complete (or failed while completing).
    out: Option<BufWriter<File>>,
    /// Renamed to its final name: nothing to clean up.
    finished: bool,
    /// Bytes written to the file so far.
    file_offset: u64,
    /// Uncompressed bytes of the chunk being filled.
    chunk: Vec<u8>,
    compressor: Compressor,
    chunk_offsets: Vec<u64>,
    /// Length of the uncompressed partition stream so far.
    data_len: u64,
    entries: Vec<u8>,
    entry_offsets: Vec<u64>,
    /// Row index blocks of the wide partitions written so far.
    row_index: Vec<u8>,
    row_index_count: u64,
    key_hashes: Vec<u64>,
    last_key: Option<Bytes>,
    encoded: Vec<u8>,
    marks: Vec<RowMark>,
    stats: SstableStats,
}

impl SstableWriter {
    /// Starts `dir/<generation>-Data.db` under a temporary name (`<generation>-Data.db.tmp`).
    /// Fails if the final file already exists.
    pub fn create(dir: &Path, generation: u64, options: WriterOptions) -> Result<SstableWriter, SstableError> {
        let block_size = u32::try_from(options.block_size_bytes)
            .ok()
            .filter(|&b| b > 0 && b <= MAX_BLOCK_SIZE)
            .ok_or_else(|| {
                SstableError::InvalidOptions(format!(
                    "block size {} is not between 1 and {MAX_BLOCK_SIZE}",
                    options.block_size_bytes
                ))
            })?;
        if options.row_index_granularity_bytes == 0 {
            return Err(SstableError::InvalidOptions("row index granularity must not be zero".into()));
        }
        let final_path = dir.join(format::data_file_name(generation));
        let tmp_path = dir.join(format::tmp_file_name(generation));
        if final_path.exists() {
            return Err(SstableError::Io {
                path: final_path,
                source: std::io::Error::new(std::io::ErrorKind::AlreadyExists, "SSTable generation already exists"),
            });
        }
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp_path)
            .map_err(|source| SstableError::Io { path: tmp_path.clone(), source })?;
        let header = Header {
            format_version: format::FORMAT_VERSION,
            codec_version: codec::FORMAT_VERSION,
            compression: options.compression,
            block_size,
            generation,
        };
        let mut writer = SstableWriter {
            dir: dir.to_owned(),
            tmp_path,
            final_path,
            options,
            header,
            out: Some(BufWriter::with_capacity(256 << 10, file)),
            finished: false,
            file_offset: 0,
            chunk: Vec::with_capacity(options.block_size_bytes.min(16 << 20)),
            compressor: Compressor::new(options.compression),
            chunk_offsets: Vec::new(),
            data_len: 0,
            entries: Vec::new(),
            entry_offsets: Vec::new(),
            row_index: Vec::new(),
            row_index_count: 0,
            key_hashes: Vec::new(),
            last_key: None,
            encoded: Vec::new(),
            marks: Vec::new(),
            stats: SstableStats::default(),
        };
        writer.write(&header.encode())?;
        Ok(writer)
    }

    /// The file being written (its temporary name until finished).
    pub fn path(&self) -> &Path {
        &self.tmp_path
    }

    /// Partitions added so far.
    pub fn partition_count(&self) -> u64 {
        self.stats.partition_count
    }

    /// Bytes written to the file so far (grows a block at a time), for sizing compaction outputs.
    pub fn bytes_written(&self) -> u64 {
        self.file_offset
    }

    /// Adds a partition; keys must be strictly increasing (memcmp) — an out-of-order key is an error
    /// (and the partition is not added).
    pub fn add(&mut self, partition: &Partition) -> Result<(), SstableError> {
        if let Some(last) = &self.last_key {
            if partition.key <= *last {
                return Err(SstableError::OutOfOrder {
                    path: self.tmp_path.clone(),
                    previous: last.to_vec(),
                    key: partition.key.to_vec(),
                });
            }
        }
        let mut encoded = std::mem::take(&mut self.encoded);
        encoded.clear();
        self.marks.clear();
        codec::encode_partition_marked(
            partition,
            &mut encoded,
            self.options.row_index_granularity_bytes,
            &mut self.marks,
        );
        let row_index =
            if encoded.len() > self.options.row_index_threshold_bytes { self.write_row_index() } else { None };

        self.entry_offsets.push(self.entries.len() as u64);
        write_uvarint(&mut self.entries, partition.key.len() as u64);
        self.entries.extend_from_slice(&partition.key);
        write_uvarint(&mut self.entries, self.data_len);
        write_uvarint(&mut self.entries, encoded.len() as u64);
        write_uvarint(&mut self.entries, row_index.map_or(0, |at| at + 1));
        self.key_hashes.push(bloom::hash64(&partition.key));
        self.stats.add(partition, encoded.len(), row_index.is_some());
        self.last_key = Some(partition.key.clone());

        let block_size = self.options.block_size_bytes;
        let mut rest: &[u8] = &encoded;
        while !rest.is_empty() {
            let take = (block_size - self.chunk.len()).min(rest.len());
            self.chunk.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.chunk.len() == block_size {
                self.flush_chunk()?;
            }
        }
        self.data_len += encoded.len() as u64;
        if encoded.capacity() > 4 << 20 {
            encoded = Vec::new();
        }
        self.encoded = encoded;
        Ok(())
    }

    /// Appends the row index block of the partition just encoded (its marks) to the row index
    /// section; returns its offset there, or `None` when the partition has no rows to index.
    ///
    /// `mark_count uvarint | mark_count × u32 (start of each mark, from the end of this array) | marks`,
    /// `mark := clustering_len uvarint | clustering | offset uvarint | row uvarint | timestamp zigzag |
    /// local_time zigzag`.
    fn write_row_index(&mut self) -> Option<u64> {
        if self.marks.is_empty() {
            return None;
        }
        let mut body = Vec::new();
        let mut starts = Vec::with_capacity(self.marks.len());
        for mark in &self.marks {
            starts.push(u32::try_from(body.len()).ok()?);
            write_uvarint(&mut body, mark.clustering.len() as u64);
            body.extend_from_slice(&mark.clustering);
            write_uvarint(&mut body, mark.offset as u64);
            write_uvarint(&mut body, mark.row);
            write_ivarint(&mut body, mark.state.timestamp);
            write_ivarint(&mut body, i64::from(mark.state.local_time));
        }
        let at = self.row_index.len() as u64;
        write_uvarint(&mut self.row_index, starts.len() as u64);
        for start in starts {
            self.row_index.extend_from_slice(&start.to_le_bytes());
        }
        self.row_index.extend_from_slice(&body);
        self.row_index_count += 1;
        Some(at)
    }

    /// Writes index, bloom filter, statistics and footer, fsyncs, renames to the final name, fsyncs
    /// the directory, and opens the result (with the shared block cache).
    pub fn finish(self) -> Result<Sstable, SstableError> {
        self.finish_with(&ReadOptions::default())
    }

    /// [`SstableWriter::finish`], opening the result with `read` options.
    pub fn finish_with(mut self, read: &ReadOptions) -> Result<Sstable, SstableError> {
        if !self.chunk.is_empty() {
            self.flush_chunk()?;
        }
        let mut footer = Footer {
            data_len: self.data_len,
            partition_count: self.stats.partition_count,
            chunks_offset: self.file_offset,
            ..Footer::default()
        };
        let mut meta = crc32fast::Hasher::new();
        meta.update(&self.header.encode());

        let mut section = Vec::with_capacity(self.chunk_offsets.len() * 8);
        for offset in &self.chunk_offsets {
            section.extend_from_slice(&offset.to_le_bytes());
        }
        self.write_meta(&section, &mut meta)?;

        footer.index_offset = self.file_offset;
        footer.offset_width = if self.entries.len() <= u32::MAX as usize { 4 } else { 8 };
        section.clear();
        for &offset in &self.entry_offsets {
            if footer.offset_width == 4 {
                section.extend_from_slice(&(offset as u32).to_le_bytes());
            } else {
                section.extend_from_slice(&offset.to_le_bytes());
            }
        }
        self.write_meta(&section, &mut meta)?;
        footer.entries_offset = self.file_offset;
        let entries = std::mem::take(&mut self.entries);
        self.write_meta(&entries, &mut meta)?;

        footer.row_index_offset = self.file_offset;
        footer.row_index_count = self.row_index_count;
        let row_index = std::mem::take(&mut self.row_index);
        self.write_meta(&row_index, &mut meta)?;

        footer.bloom_offset = self.file_offset;
        let filter = bloom::build(&self.key_hashes, self.options.bloom_fp_chance);
        self.write_meta(&filter, &mut meta)?;

        footer.stats_offset = self.file_offset;
        section.clear();
        self.stats.encode(&mut section);
        self.write_meta(&section, &mut meta)?;

        footer.meta_crc = meta.finalize();
        self.write(&footer.encode())?;

        let out = self.out.take().ok_or_else(|| {
            self.io_error(std::io::Error::other("the writer has finished or an earlier write failed"))
        })?;
        let file = out.into_inner().map_err(|e| self.io_error(e.into_error()))?;
        file.sync_all().map_err(|e| self.io_error(e))?;
        drop(file);
        std::fs::rename(&self.tmp_path, &self.final_path)
            .map_err(|source| SstableError::Io { path: self.final_path.clone(), source })?;
        self.finished = true;
        crate::sync_dir(&self.dir)?;
        debug!(path = %self.final_path.display(), partitions = footer.partition_count, bytes = self.file_offset,
            "SSTable written");
        Sstable::open_with(&self.final_path, read)
    }

    fn io_error(&self, source: std::io::Error) -> SstableError {
        SstableError::Io { path: self.tmp_path.clone(), source }
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), SstableError> {
        write_to(&mut self.out, &mut self.file_offset, &self.tmp_path, bytes)
    }

    fn write_meta(&mut self, bytes: &[u8], meta: &mut crc32fast::Hasher) -> Result<(), SstableError> {
        meta.update(bytes);
        self.write(bytes)
    }

    /// Compresses and writes the pending chunk: `codec | uncompressed len | stored len | stored | crc32`.
    fn flush_chunk(&mut self) -> Result<(), SstableError> {
        let (codec, stored): (u8, &[u8]) = match self.compressor.compress(&self.chunk) {
            Some((codec, compressed)) => (codec, compressed),
            None => (CODEC_NONE, &self.chunk),
        };
        let mut header = [0u8; CHUNK_HEADER_LEN];
        header[0] = codec;
        header[1..5].copy_from_slice(&(self.chunk.len() as u32).to_le_bytes());
        header[5..9].copy_from_slice(&(stored.len() as u32).to_le_bytes());
        let mut crc = crc32fast::Hasher::new();
        crc.update(&header);
        crc.update(stored);
        self.chunk_offsets.push(self.file_offset);
        for part in [&header[..], stored, &crc.finalize().to_le_bytes()] {
            write_to(&mut self.out, &mut self.file_offset, &self.tmp_path, part)?;
        }
        self.chunk.clear();
        Ok(())
    }
}

fn write_to(
    out: &mut Option<BufWriter<File>>,
    offset: &mut u64,
    path: &Path,
    bytes: &[u8],
) -> Result<(), SstableError> {
    let io = |source| SstableError::Io { path: path.to_owned(), source };
    let Some(writer) = out.as_mut() else {
        return Err(io(std::io::Error::other("the writer has finished or an earlier write failed")));
    };
    if let Err(e) = writer.write_all(bytes) {
        // The file no longer matches what was added: refuse everything from now on.
        *out = None;
        return Err(io(e));
    }
    *offset += bytes.len() as u64;
    Ok(())
}

impl Drop for SstableWriter {
    fn drop(&mut self) {
        if !self.finished {
            drop(self.out.take());
            match std::fs::remove_file(&self.tmp_path) {
                Ok(()) => debug!(path = %self.tmp_path.display(), "unfinished SSTable deleted"),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => warn!(path = %self.tmp_path.display(), error = %e, "could not delete an unfinished SSTable"),
            }
        }
    }
}
