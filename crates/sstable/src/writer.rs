//! [`SstableWriter`]: streams sorted partitions into a new SSTable file.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use storage_model::codec::{self, write_uvarint};
use storage_model::Partition;
use tracing::{debug, warn};

use crate::format::{self, Footer, Header, CHUNK_HEADER_LEN, CODEC_LZ4, CODEC_NONE};
use crate::{bloom, Compression, Sstable, SstableError, SstableStats};

/// The largest block size accepted (1 GiB).
const MAX_BLOCK_SIZE: u32 = 1 << 30;

/// How a new SSTable is laid out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WriterOptions {
    /// Uncompressed size of a data block (chunk), the unit of compression and checksumming.
    pub block_size_bytes: usize,
    pub compression: Compression,
    /// Target false-positive chance of the bloom filter, clamped to `[1e-9, 1]`.
    pub bloom_fp_chance: f64,
}

impl Default for WriterOptions {
    /// 64 KiB blocks, LZ4, 1% bloom filter false positives.
    fn default() -> Self {
        WriterOptions { block_size_bytes: 64 << 10, compression: Compression::Lz4, bloom_fp_chance: 0.01 }
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
    compressed: Vec<u8>,
    chunk_offsets: Vec<u64>,
    /// Length of the uncompressed partition stream so far.
    data_len: u64,
    entries: Vec<u8>,
    entry_offsets: Vec<u64>,
    key_hashes: Vec<u64>,
    last_key: Option<Bytes>,
    encoded: Vec<u8>,
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
            compressed: Vec::new(),
            chunk_offsets: Vec::new(),
            data_len: 0,
            entries: Vec::new(),
            entry_offsets: Vec::new(),
            key_hashes: Vec::new(),
            last_key: None,
            encoded: Vec::new(),
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
        codec::encode_partition(partition, &mut encoded);

        self.entry_offsets.push(self.entries.len() as u64);
        write_uvarint(&mut self.entries, partition.key.len() as u64);
        self.entries.extend_from_slice(&partition.key);
        write_uvarint(&mut self.entries, self.data_len);
        write_uvarint(&mut self.entries, encoded.len() as u64);
        self.key_hashes.push(bloom::hash64(&partition.key));
        self.stats.add(partition, encoded.len());
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

    /// Writes index, bloom filter, statistics and footer, fsyncs, renames to the final name, fsyncs
    /// the directory, and opens the result.
    pub fn finish(mut self) -> Result<Sstable, SstableError> {
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
        Sstable::open(&self.final_path)
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
        let mut codec = CODEC_NONE;
        if self.options.compression == Compression::Lz4 {
            self.compressed.resize(lz4_flex::block::get_maximum_output_size(self.chunk.len()), 0);
            match lz4_flex::block::compress_into(&self.chunk, &mut self.compressed) {
                // Incompressible chunks are stored as they are.
                Ok(n) if n < self.chunk.len() => {
                    self.compressed.truncate(n);
                    codec = CODEC_LZ4;
                }
                Ok(_) => {}
                Err(e) => warn!(error = %e, "LZ4 compression failed; storing the block uncompressed"),
            }
        }
        let stored: &[u8] = if codec == CODEC_LZ4 { &self.compressed } else { &self.chunk };
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
