//! [`Sstable`]: an open, immutable SSTable read through a memory map, and [`SstableScan`].

use std::fs::File;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::Mmap;
use storage_model::codec::{self, read_uvarint};
use storage_model::Partition;
use tracing::{debug, info};

use crate::bloom::BloomView;
use crate::format::{
    self, u32_at, u64_at, Footer, Header, CHUNK_HEADER_LEN, CHUNK_TRAILER_LEN, FOOTER_LEN, HEADER_LEN,
};
use crate::{SstableError, SstableStats};

/// An open SSTable. Immutable, `Send + Sync`; share it as `Arc<Sstable>`.
pub struct Sstable {
    path: PathBuf,
    generation: u64,
    map: Mmap,
    header: Header,
    footer: Footer,
    bloom: BloomView,
    chunk_count: u64,
    stats: SstableStats,
}

/// Where a partition's bytes are in the uncompressed stream.
struct Entry<'a> {
    key: &'a [u8],
    offset: u64,
    len: u64,
    /// File offset of the index entry, for error reports.
    at: u64,
}

impl Sstable {
    /// Opens and maps the file; checks the magic numbers, versions, the footer checksum and the
    /// checksum of the metadata (header, index, bloom filter, statistics). Data blocks are checked
    /// when read.
    pub fn open(path: &Path) -> Result<Sstable, SstableError> {
        let io = |source| SstableError::Io { path: path.to_owned(), source };
        let corrupt = |offset: u64, reason: String| SstableError::Corrupt { path: path.to_owned(), offset, reason };
        let file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len < (HEADER_LEN + FOOTER_LEN) as u64 {
            return Err(corrupt(0, format!("file of {len} bytes is too short to be an SSTable")));
        }
        // SAFETY: SSTable files are immutable once renamed to their final name; nothing in this
        // process writes to them, and they are replaced only by deleting them (the mapping then keeps
        // the old contents alive). A file truncated by another process would fault on access, as it
        // would for any memory-mapped reader.
        let map = unsafe { Mmap::map(&file) }.map_err(io)?;
        let len = map.len() as u64;
        let footer_start = len - FOOTER_LEN as u64;
        let footer = Footer::decode(&map[footer_start as usize..]).map_err(|(o, r)| corrupt(footer_start + o, r))?;
        let header = Header::decode(&map[..HEADER_LEN]).map_err(|(o, r)| corrupt(o, r))?;

        let f = &footer;
        let ordered = [HEADER_LEN as u64, f.chunks_offset, f.index_offset, f.entries_offset, f.bloom_offset]
            .windows(2)
            .all(|w| w[0] <= w[1])
            && f.bloom_offset <= f.stats_offset
            && f.stats_offset <= footer_start;
        if !ordered {
            return Err(corrupt(footer_start, "footer section offsets out of order".into()));
        }
        let chunk_count = f.data_len.div_ceil(u64::from(header.block_size));
        if f.index_offset - f.chunks_offset != chunk_count.saturating_mul(8) {
            return Err(corrupt(f.chunks_offset, "chunk table size does not match the data length".into()));
        }
        if f.entries_offset - f.index_offset != f.partition_count.saturating_mul(u64::from(f.offset_width)) {
            return Err(corrupt(f.index_offset, "index size does not match the partition count".into()));
        }
        let mut meta = crc32fast::Hasher::new();
        meta.update(&map[..HEADER_LEN]);
        meta.update(&map[f.chunks_offset as usize..footer_start as usize]);
        if meta.finalize() != f.meta_crc {
            return Err(corrupt(f.chunks_offset, "metadata checksum mismatch".into()));
        }
        let bloom = BloomView::parse(&map[f.bloom_offset as usize..f.stats_offset as usize])
            .map_err(|r| corrupt(f.bloom_offset, r.into()))?;
        let stats = SstableStats::decode(&map[f.stats_offset as usize..footer_start as usize], len)
            .map_err(|r| corrupt(f.stats_offset, r))?;
        if stats.partition_count != f.partition_count || stats.data_size_bytes != f.data_len {
            return Err(corrupt(f.stats_offset, "statistics disagree with the footer".into()));
        }
        let generation = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(format::parse_data_file_name)
            .unwrap_or(header.generation);
        debug!(path = %path.display(), partitions = stats.partition_count, "SSTable opened");
        Ok(Sstable { path: path.to_owned(), generation, map, header, footer, bloom, chunk_count, stats })
    }

    /// Final SSTables in `dir` sorted by generation; deletes leftover temporary files. A missing
    /// directory holds none. Call it at startup only: it deletes the files of writers still running.
    pub fn list(dir: &Path) -> Result<Vec<(u64, PathBuf)>, SstableError> {
        let io = |source| SstableError::Io { path: dir.to_owned(), source };
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(e)),
        };
        let mut tables = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io)?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(generation) = format::parse_data_file_name(name) {
                tables.push((generation, entry.path()));
            } else if format::parse_tmp_file_name(name).is_some() {
                let path = entry.path();
                info!(path = %path.display(), "deleting an unfinished SSTable");
                std::fs::remove_file(&path).map_err(|source| SstableError::Io { path, source })?;
            }
        }
        tables.sort_unstable();
        Ok(tables)
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// False when the key is certainly not in this SSTable (bloom filter).
    pub fn may_contain(&self, key: &[u8]) -> bool {
        let section = &self.map[self.footer.bloom_offset as usize..self.footer.stats_offset as usize];
        self.bloom.may_contain(section, key)
    }

    /// The partition with this key, if present: one bloom filter probe, one binary search of the
    /// index, then the blocks holding the partition.
    pub fn get(&self, key: &[u8]) -> Result<Option<Partition>, SstableError> {
        if !self.may_contain(key) {
            return Ok(None);
        }
        match self.search(key)? {
            Ok(i) => {
                let entry = self.entry(i)?;
                self.read_partition(&entry, &mut ChunkCache::default()).map(Some)
            }
            Err(_) => Ok(None),
        }
    }

    /// Partitions with key >= / > start (Unbounded = from the first), in key order. Holds the Arc.
    pub fn scan(self: &Arc<Self>, start: Bound<Vec<u8>>) -> SstableScan {
        self.scan_range(start, Bound::Unbounded)
    }

    /// Partitions with keys between `start` and `end`, in key order.
    pub fn scan_range(self: &Arc<Self>, start: Bound<Vec<u8>>, end: Bound<Vec<u8>>) -> SstableScan {
        let first = match &start {
            Bound::Unbounded => Ok(0),
            Bound::Included(k) => self.search(k).map(|r| r.unwrap_or_else(|i| i)),
            Bound::Excluded(k) => self.search(k).map(|r| r.map_or_else(|i| i, |i| i + 1)),
        };
        let (next, pending_error) = match first {
            Ok(i) => (i, None),
            Err(e) => (self.footer.partition_count as usize, Some(e)),
        };
        SstableScan { table: Arc::clone(self), next, end, cache: ChunkCache::default(), pending_error, done: false }
    }

    /// Statistics stored in the file (and its size).
    pub fn stats(&self) -> &SstableStats {
        &self.stats
    }

    /// Deletes the file (the caller has removed it from the live set). Open mappings (this one and
    /// running scans) stay readable until dropped.
    pub fn delete(&self) -> Result<(), SstableError> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(SstableError::Io { path: self.path.clone(), source }),
        }
        debug!(path = %self.path.display(), "SSTable deleted");
        if let Some(dir) = self.path.parent() {
            crate::sync_dir(dir)?;
        }
        Ok(())
    }

    fn corrupt(&self, offset: u64, reason: impl Into<String>) -> SstableError {
        SstableError::Corrupt { path: self.path.clone(), offset, reason: reason.into() }
    }

    /// Binary search of the index: `Ok(i)` when entry `i` has the key, `Err(i)` where it would go.
    fn search(&self, key: &[u8]) -> Result<Result<usize, usize>, SstableError> {
        let (mut lo, mut hi) = (0usize, self.footer.partition_count as usize);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.entry(mid)?.key.cmp(key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(Ok(mid)),
            }
        }
        Ok(Err(lo))
    }

    /// Index entry `i`: `key_len uvarint | key | data offset uvarint | data length uvarint`.
    fn entry(&self, i: usize) -> Result<Entry<'_>, SstableError> {
        let f = &self.footer;
        let width = usize::from(f.offset_width);
        let slot = f.index_offset as usize + i * width;
        let relative = if width == 4 { u64::from(u32_at(&self.map, slot)) } else { u64_at(&self.map, slot) };
        let entries = &self.map[f.entries_offset as usize..f.bloom_offset as usize];
        let at = f.entries_offset.saturating_add(relative);
        let bad = |reason: &str| self.corrupt(at, format!("index entry {i}: {reason}"));
        let mut pos = usize::try_from(relative)
            .ok()
            .filter(|&p| p < entries.len())
            .ok_or_else(|| bad("offset past the index"))?;
        let key_len = read_uvarint(entries, &mut pos).map_err(|e| bad(&e.to_string()))?;
        let key_end = usize::try_from(key_len)
            .ok()
            .and_then(|l| pos.checked_add(l))
            .filter(|&end| end <= entries.len())
            .ok_or_else(|| bad("key past the index"))?;
        let key = &entries[pos..key_end];
        pos = key_end;
        let offset = read_uvarint(entries, &mut pos).map_err(|e| bad(&e.to_string()))?;
        let len = read_uvarint(entries, &mut pos).map_err(|e| bad(&e.to_string()))?;
        if len == 0 || offset.checked_add(len).is_none_or(|end| end > f.data_len) {
            return Err(bad("partition extent outside the data"));
        }
        Ok(Entry { key, offset, len, at })
    }

    /// File offset and extent of chunk `i`.
    fn chunk_extent(&self, i: u64) -> Result<(usize, usize), SstableError> {
        let f = &self.footer;
        let table = f.chunks_offset as usize;
        let start = u64_at(&self.map, table + i as usize * 8);
        let end =
            if i + 1 < self.chunk_count { u64_at(&self.map, table + (i as usize + 1) * 8) } else { f.chunks_offset };
        if start < HEADER_LEN as u64 || start > end || end > f.chunks_offset {
            return Err(self.corrupt(table as u64 + i * 8, format!("chunk {i} has a bad extent {start}..{end}")));
        }
        Ok((start as usize, end as usize))
    }

    /// Checks chunk `i` and makes its uncompressed bytes available: in place in the map when stored
    /// uncompressed, else decompressed into `scratch`.
    fn read_chunk(&self, i: u64, scratch: &mut Vec<u8>) -> Result<ChunkData, SstableError> {
        let (start, end) = self.chunk_extent(i)?;
        let at = start as u64;
        let chunk = &self.map[start..end];
        if chunk.len() < CHUNK_HEADER_LEN + CHUNK_TRAILER_LEN {
            return Err(self.corrupt(at, format!("chunk {i} is too short")));
        }
        let stored_len = u32_at(chunk, 5) as usize;
        if CHUNK_HEADER_LEN + stored_len + CHUNK_TRAILER_LEN != chunk.len() {
            return Err(self.corrupt(at, format!("chunk {i} length does not match its extent")));
        }
        let body_end = CHUNK_HEADER_LEN + stored_len;
        if crc32fast::hash(&chunk[..body_end]) != u32_at(chunk, body_end) {
            return Err(self.corrupt(at, format!("chunk {i} checksum mismatch")));
        }
        let block_size = u64::from(self.header.block_size);
        let expected = (self.footer.data_len - i * block_size).min(block_size) as usize;
        let uncompressed_len = u32_at(chunk, 1) as usize;
        if uncompressed_len != expected {
            return Err(self.corrupt(at, format!("chunk {i} holds {uncompressed_len} bytes, expected {expected}")));
        }
        let stored = &chunk[CHUNK_HEADER_LEN..body_end];
        match chunk[0] {
            format::CODEC_NONE if stored_len == expected => {
                Ok(ChunkData::Mapped(start + CHUNK_HEADER_LEN, start + body_end))
            }
            format::CODEC_LZ4 => {
                scratch.resize(expected, 0);
                match lz4_flex::block::decompress_into(stored, scratch) {
                    Ok(n) if n == expected => Ok(ChunkData::Scratch),
                    Ok(n) => Err(self.corrupt(at, format!("chunk {i} decompresses to {n} bytes, expected {expected}"))),
                    Err(e) => Err(self.corrupt(at, format!("chunk {i} does not decompress: {e}"))),
                }
            }
            other => Err(self.corrupt(at, format!("chunk {i} has bad codec {other} or length"))),
        }
    }

    /// Decodes the partition of an index entry, reading the chunks it spans (through `cache`).
    fn read_partition(&self, entry: &Entry<'_>, cache: &mut ChunkCache) -> Result<Partition, SstableError> {
        let block_size = u64::from(self.header.block_size);
        let first = entry.offset / block_size;
        let last = (entry.offset + entry.len - 1) / block_size;
        let in_first = (entry.offset - first * block_size) as usize;
        let len = entry.len as usize;
        let chunk_at = |i: u64| self.chunk_extent(i).map_or(0, |(start, _)| start as u64);
        let decoded = if first == last {
            let chunk = cache.load(self, first)?;
            codec::decode_partition(&chunk[in_first..in_first + len])
        } else {
            let mut bytes = Vec::with_capacity(len);
            for i in first..=last {
                let chunk = cache.load(self, i)?;
                let from = if i == first { in_first } else { 0 };
                let to = chunk.len().min(from + len - bytes.len());
                bytes.extend_from_slice(&chunk[from..to]);
            }
            codec::decode_partition(&bytes)
        };
        let (partition, used) = decoded
            .map_err(|e| self.corrupt(chunk_at(first), format!("partition at data offset {}: {e}", entry.offset)))?;
        if used as u64 != entry.len || partition.key != entry.key {
            return Err(self.corrupt(entry.at, "index entry does not match the partition it points to"));
        }
        Ok(partition)
    }
}

impl std::fmt::Debug for Sstable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sstable")
            .field("path", &self.path)
            .field("generation", &self.generation)
            .field("stats", &self.stats)
            .finish()
    }
}

/// Where the uncompressed bytes of a chunk are.
#[derive(Clone, Copy)]
enum ChunkData {
    /// This range of the map (a chunk stored uncompressed).
    Mapped(usize, usize),
    /// The scratch buffer it was decompressed into.
    Scratch,
}

/// The last chunk read, so that a scan decompresses each chunk once.
#[derive(Default)]
struct ChunkCache {
    loaded: Option<(u64, ChunkData)>,
    scratch: Vec<u8>,
}

impl ChunkCache {
    fn load<'a>(&'a mut self, table: &'a Sstable, i: u64) -> Result<&'a [u8], SstableError> {
        let data = match self.loaded {
            Some((loaded, data)) if loaded == i => data,
            _ => {
                self.loaded = None;
                let data = table.read_chunk(i, &mut self.scratch)?;
                self.loaded = Some((i, data));
                data
            }
        };
        Ok(match data {
            ChunkData::Mapped(start, end) => &table.map[start..end],
            ChunkData::Scratch => &self.scratch,
        })
    }
}

/// Partitions of one SSTable in key order; see [`Sstable::scan`]. After an error it ends.
pub struct SstableScan {
    table: Arc<Sstable>,
    next: usize,
    end: Bound<Vec<u8>>,
    cache: ChunkCache,
    pending_error: Option<SstableError>,
    done: bool,
}

impl Iterator for SstableScan {
    type Item = Result<Partition, SstableError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.pending_error.take() {
            self.done = true;
            return Some(Err(e));
        }
        if self.done || self.next as u64 >= self.table.footer.partition_count {
            return None;
        }
        let result = self.table.entry(self.next).and_then(|entry| {
            let past_end = match &self.end {
                Bound::Unbounded => false,
                Bound::Included(end) => entry.key > end.as_slice(),
                Bound::Excluded(end) => entry.key >= end.as_slice(),
            };
            if past_end {
                return Ok(None);
            }
            self.table.read_partition(&entry, &mut self.cache).map(Some)
        });
        self.next += 1;
        match result {
            Ok(Some(p)) => Some(Ok(p)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}
