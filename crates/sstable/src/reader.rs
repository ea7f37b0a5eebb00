//! [`Sstable`]: an open, immutable SSTable read through a memory map (and a [`BlockCache`] of
//! decompressed chunks), and [`SstableScan`].

use std::fs::File;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use memmap2::Mmap;
use storage_model::codec::{self, read_ivarint, read_uvarint, DeltaState, RowDecoder};
use storage_model::{ModelError, Partition};
use tracing::{debug, info};

use crate::bloom::BloomView;
use crate::cache::{next_file_id, BlockCache};
use crate::compress::{self, CODEC_NONE};
use crate::format::{self, u32_at, u64_at, Footer, Header, CHUNK_HEADER_LEN, CHUNK_TRAILER_LEN, HEADER_LEN};
use crate::slice::{self, ClusteringRange};
use crate::{Compression, SstableError, SstableStats};

/// How an SSTable is read.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Where decompressed chunks read by point reads are kept; `None` decompresses on every read.
    /// Scans look chunks up but do not fill the cache.
    pub block_cache: Option<BlockCache>,
}

impl Default for ReadOptions {
    /// The process-wide [`BlockCache::shared`].
    fn default() -> Self {
        ReadOptions { block_cache: Some(BlockCache::shared()) }
    }
}

impl ReadOptions {
    /// No block cache.
    pub fn uncached() -> ReadOptions {
        ReadOptions { block_cache: None }
    }

    /// A given block cache.
    pub fn with_cache(cache: BlockCache) -> ReadOptions {
        ReadOptions { block_cache: Some(cache) }
    }
}

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
    /// This open file's id in block cache keys.
    file_id: u64,
    cache: Option<BlockCache>,
    summary: OnceLock<Option<Summary>>,
}

/// One partition key in this many is copied into the in-memory [`Summary`].
const SUMMARY_INTERVAL: usize = 16;

/// Keys of index entries `0, SUMMARY_INTERVAL, 2·SUMMARY_INTERVAL, ...`, back to back in one buffer:
/// a small, contiguous array to binary search before touching the (much larger) index itself. Each
/// sampled key's first 8 bytes are also kept as a number ([`key_prefix`], in key order): the search
/// compares those in place, and whole keys only among samples sharing the searched key's prefix
/// (partition keys start with their token, so rarely more than one).
#[derive(Default)]
struct Summary {
    keys: Vec<u8>,
    /// End of each sampled key in `keys`.
    ends: Vec<usize>,
    prefixes: Vec<u64>,
}

/// The first 8 bytes of a key, zero-padded, as a big-endian number: if `a <= b` then
/// `key_prefix(a) <= key_prefix(b)`.
fn key_prefix(key: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    let n = key.len().min(8);
    word[..n].copy_from_slice(&key[..n]);
    u64::from_be_bytes(word)
}

impl Summary {
    fn push(&mut self, key: &[u8]) {
        self.keys.extend_from_slice(key);
        self.ends.push(self.keys.len());
        self.prefixes.push(key_prefix(key));
    }

    fn key(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.keys[start..self.ends[i]]
    }

    /// How many sampled keys are `<= key`.
    fn partition_point_le(&self, key: &[u8]) -> usize {
        let prefix = key_prefix(key);
        // Samples with a smaller prefix are smaller keys, those with a larger one larger keys.
        let mut lo = self.prefixes.partition_point(|&p| p < prefix);
        let mut hi = lo + self.prefixes[lo..].partition_point(|&p| p == prefix);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.key(mid) <= key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

/// Where a partition's bytes are in the uncompressed stream.
struct Entry<'a> {
    key: &'a [u8],
    offset: u64,
    len: u64,
    /// Offset of the partition's row index block in the row index section.
    row_index: Option<u64>,
    /// File offset of the index entry, for error reports.
    at: u64,
}

/// One mark of a row index: rows from `offset` (relative to the partition's start) on have a
/// clustering of at least `clustering`.
struct Mark<'a> {
    clustering: &'a [u8],
    offset: u64,
    state: DeltaState,
}

/// Where the uncompressed bytes of one chunk are.
enum ChunkBytes {
    /// This range of the map (a chunk stored uncompressed).
    Mapped(usize, usize),
    /// Decompressed (maybe shared with the block cache).
    Owned(Bytes),
    /// Decompressed into the cursor's scratch buffer (reads that do not fill the cache: scans).
    Scratch,
}

/// The last chunk loaded, so that consecutive reads of one chunk (a scan, the parts of a slice) load
/// it once, and a buffer that reads not filling the cache decompress into.
#[derive(Default)]
struct ChunkCursor {
    loaded: Option<(u64, ChunkBytes)>,
    scratch: Vec<u8>,
}

impl Sstable {
    /// Opens and maps the file with the shared block cache ([`ReadOptions::default`]); checks the
    /// magic numbers, versions, the footer checksum and the checksum of the metadata (header, index,
    /// row index, bloom filter, statistics). Data blocks are checked when read.
    pub fn open(path: &Path) -> Result<Sstable, SstableError> {
        Sstable::open_with(path, &ReadOptions::default())
    }

    /// [`Sstable::open`] with the given read options.
    pub fn open_with(path: &Path, options: &ReadOptions) -> Result<Sstable, SstableError> {
        let io = |source| SstableError::Io { path: path.to_owned(), source };
        let corrupt = |offset: u64, reason: String| SstableError::Corrupt { path: path.to_owned(), offset, reason };
        let file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len < (HEADER_LEN + format::FOOTER_LEN_V1) as u64 {
            return Err(corrupt(0, format!("file of {len} bytes is too short to be an SSTable")));
        }
        // SAFETY: SSTable files are immutable once renamed to their final name; nothing in this
        // process writes to them, and they are replaced only by deleting them (the mapping then keeps
        // the old contents alive). A file truncated by another process would fault on access, as it
        // would for any memory-mapped reader.
        let map = unsafe { Mmap::map(&file) }.map_err(io)?;
        let len = map.len() as u64;
        let (footer, footer_len) = Footer::decode(&map).map_err(|(o, r)| corrupt(o, r))?;
        let footer_start = len - footer_len as u64;
        let header = Header::decode(&map[..HEADER_LEN]).map_err(|(o, r)| corrupt(o, r))?;
        if header.format_version != footer.format_version {
            return Err(corrupt(8, "the header and the footer disagree on the format version".into()));
        }

        let f = &footer;
        let ordered = [
            HEADER_LEN as u64,
            f.chunks_offset,
            f.index_offset,
            f.entries_offset,
            f.row_index_offset,
            f.bloom_offset,
            f.stats_offset,
            footer_start,
        ]
        .windows(2)
        .all(|w| w[0] <= w[1]);
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
        let stats =
            SstableStats::decode(&map[f.stats_offset as usize..footer_start as usize], len, header.format_version)
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
        Ok(Sstable {
            path: path.to_owned(),
            generation,
            map,
            header,
            footer,
            bloom,
            chunk_count,
            stats,
            file_id: next_file_id(),
            cache: options.block_cache.clone(),
            summary: OnceLock::new(),
        })
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

    /// The compression the file was written with (individual chunks that did not shrink are stored
    /// uncompressed).
    pub fn compression(&self) -> Compression {
        self.header.compression
    }

    /// Uncompressed size of the data chunks.
    pub fn block_size(&self) -> u32 {
        self.header.block_size
    }

    /// Version of the file's layout (1 or 2).
    pub fn format_version(&self) -> u8 {
        self.header.format_version
    }

    /// The block cache point reads use, if any.
    pub fn block_cache(&self) -> Option<&BlockCache> {
        self.cache.as_ref()
    }

    /// False when the key is certainly not in this SSTable (bloom filter).
    pub fn may_contain(&self, key: &[u8]) -> bool {
        let section = &self.map[self.footer.bloom_offset as usize..self.footer.stats_offset as usize];
        self.bloom.may_contain(section, key)
    }

    /// False when no partition of this SSTable can contribute anything to a read of the clustering
    /// `ranges` (see [`Sstable::get_slice`]): it holds no partition deletion and no static row, and
    /// its clustering bounds ([`SstableStats::clustering_bounds`]) miss every range.
    pub fn may_intersect_slice(&self, ranges: &[ClusteringRange]) -> bool {
        let s = &self.stats;
        if s.partition_deletion_count > 0 || s.static_row_count > 0 {
            return true;
        }
        match &s.clustering_bounds {
            None => false,
            Some(bounds) => ranges.iter().any(|(start, end)| bounds.intersects(start, end.as_deref())),
        }
    }

    /// The partition with this key, if present: one bloom filter probe, one binary search of the
    /// index, then the chunks holding the partition (from the block cache when there).
    pub fn get(&self, key: &[u8]) -> Result<Option<Partition>, SstableError> {
        if !self.may_contain(key) {
            return Ok(None);
        }
        match self.search(key)? {
            Ok(i) => {
                let entry = self.entry(i)?;
                self.read_partition(&entry, &mut ChunkCursor::default(), true).map(Some)
            }
            Err(_) => Ok(None),
        }
    }

    /// The part of the partition with this key that a read of the clustering `ranges` needs: its
    /// deletion and static row, the range tombstones overlapping a range, and the rows whose
    /// clustering lies in a range (`start <= clustering < end`, `end: None` unbounded; ranges may be
    /// unsorted and overlap). `None` when the partition is not here. A partition written with a row
    /// index (larger than [`crate::WriterOptions::row_index_threshold_bytes`]) is read only where
    /// the ranges fall, plus its head (deletion, range tombstones, static row).
    pub fn get_slice(&self, key: &[u8], ranges: &[ClusteringRange]) -> Result<Option<Partition>, SstableError> {
        if !self.may_contain(key) {
            return Ok(None);
        }
        let i = match self.search(key)? {
            Ok(i) => i,
            Err(_) => return Ok(None),
        };
        let entry = self.entry(i)?;
        let ranges = slice::normalize_ranges(ranges);
        let mut cursor = ChunkCursor::default();
        match entry.row_index {
            None => {
                let p = self.read_partition(&entry, &mut cursor, true)?;
                Ok(Some(slice::slice_partition(p, &ranges)))
            }
            Some(at) => self.read_indexed_slice(&entry, at, &ranges, &mut cursor).map(Some),
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
        SstableScan { table: Arc::clone(self), next, end, cursor: ChunkCursor::default(), pending_error, done: false }
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

    /// The index summary, built at first use; `None` when the index is too damaged to sample.
    fn summary(&self) -> Option<&Summary> {
        self.summary
            .get_or_init(|| {
                let n = self.footer.partition_count as usize;
                let mut summary = Summary::default();
                for i in (0..n).step_by(SUMMARY_INTERVAL) {
                    summary.push(self.entry_key(i).ok()?);
                }
                Some(summary)
            })
            .as_ref()
    }

    /// Binary search of the index: `Ok(i)` when entry `i` has the key, `Err(i)` where it would go.
    /// The summary narrows it down to one group of [`SUMMARY_INTERVAL`] entries first.
    fn search(&self, key: &[u8]) -> Result<Result<usize, usize>, SstableError> {
        let n = self.footer.partition_count as usize;
        let (mut lo, mut hi) = (0usize, n);
        if let Some(summary) = self.summary() {
            let samples = summary.partition_point_le(key);
            if samples == 0 {
                return Ok(Err(0));
            }
            lo = (samples - 1) * SUMMARY_INTERVAL;
            hi = (samples * SUMMARY_INTERVAL).min(n);
        }
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.entry_key(mid)?.cmp(key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(Ok(mid)),
            }
        }
        Ok(Err(lo))
    }

    /// Where index entry `i` starts, relative to `entries_offset` and as a file offset.
    fn entry_start(&self, i: usize) -> (u64, u64) {
        let f = &self.footer;
        let width = usize::from(f.offset_width);
        let slot = f.index_offset as usize + i * width;
        let relative = if width == 4 { u64::from(u32_at(&self.map, slot)) } else { u64_at(&self.map, slot) };
        (relative, f.entries_offset.saturating_add(relative))
    }

    fn entries(&self) -> &[u8] {
        &self.map[self.footer.entries_offset as usize..self.footer.row_index_offset as usize]
    }

    /// The key of index entry `i` and the position just after it in the entries section.
    fn entry_key_at(&self, i: usize) -> Result<(&[u8], usize), SstableError> {
        let (relative, at) = self.entry_start(i);
        let entries = self.entries();
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
        Ok((&entries[pos..key_end], key_end))
    }

    fn entry_key(&self, i: usize) -> Result<&[u8], SstableError> {
        self.entry_key_at(i).map(|(key, _)| key)
    }

    /// Index entry `i`: `key_len uvarint | key | data offset uvarint | data length uvarint`, then in
    /// version 2 `row_index uvarint` (0: none, else 1 + offset in the row index section).
    fn entry(&self, i: usize) -> Result<Entry<'_>, SstableError> {
        let (key, mut pos) = self.entry_key_at(i)?;
        let at = self.entry_start(i).1;
        let entries = self.entries();
        let bad = |reason: &str| self.corrupt(at, format!("index entry {i}: {reason}"));
        let offset = read_uvarint(entries, &mut pos).map_err(|e| bad(&e.to_string()))?;
        let len = read_uvarint(entries, &mut pos).map_err(|e| bad(&e.to_string()))?;
        if len == 0 || offset.checked_add(len).is_none_or(|end| end > self.footer.data_len) {
            return Err(bad("partition extent outside the data"));
        }
        let row_index = if self.header.format_version >= 2 {
            match read_uvarint(entries, &mut pos).map_err(|e| bad(&e.to_string()))? {
                0 => None,
                n => Some(n - 1),
            }
        } else {
            None
        };
        Ok(Entry { key, offset, len, row_index, at })
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

    /// Chunk `i`, uncompressed: from the block cache, in place in the map when stored uncompressed, or
    /// checked and decompressed — into a new buffer then cached when `fill_cache`, else into `scratch`.
    fn load_chunk(&self, i: u64, fill_cache: bool, scratch: &mut Vec<u8>) -> Result<ChunkBytes, SstableError> {
        if i >= self.chunk_count {
            return Err(self.corrupt(self.footer.chunks_offset, format!("chunk {i} past the last chunk")));
        }
        let key = (self.file_id, i);
        if let Some(cache) = &self.cache {
            if let Some(bytes) = cache.get(&key) {
                return Ok(ChunkBytes::Owned(bytes));
            }
        }
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
        let codec = chunk[0];
        let stored = &chunk[CHUNK_HEADER_LEN..body_end];
        if codec == CODEC_NONE {
            if stored_len != expected {
                return Err(
                    self.corrupt(at, format!("uncompressed chunk {i} has {stored_len} bytes, expected {expected}"))
                );
            }
            return Ok(ChunkBytes::Mapped(start + CHUNK_HEADER_LEN, start + body_end));
        }
        if self.header.format_version < 2 && codec > compress::CODEC_LZ4 {
            return Err(self.corrupt(at, format!("chunk {i} has bad codec {codec}")));
        }
        let corrupt = |reason| self.corrupt(at, format!("chunk {i}: {reason}"));
        let cache = self.cache.as_ref().filter(|_| fill_cache);
        let Some(cache) = cache else {
            scratch.resize(expected, 0);
            compress::decompress(codec, stored, scratch).map_err(corrupt)?;
            return Ok(ChunkBytes::Scratch);
        };
        let mut out = vec![0u8; expected];
        compress::decompress(codec, stored, &mut out).map_err(corrupt)?;
        let bytes = Bytes::from(out);
        cache.insert(key, bytes.clone());
        Ok(ChunkBytes::Owned(bytes))
    }

    /// Calls `f` with bytes `from..to` of the uncompressed stream: in place when they lie in one
    /// chunk, else copied out of the chunks they span.
    fn with_stream<R>(
        &self,
        from: u64,
        to: u64,
        cursor: &mut ChunkCursor,
        fill_cache: bool,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<R, SstableError> {
        debug_assert!(from < to && to <= self.footer.data_len);
        let block_size = u64::from(self.header.block_size);
        let first = from / block_size;
        let last = (to - 1) / block_size;
        let in_first = (from - first * block_size) as usize;
        if first == last {
            let bytes = cursor.load(self, first, fill_cache)?;
            let end = in_first + (to - from) as usize;
            let part = bytes.get(in_first..end).ok_or_else(|| self.corrupt(0, "chunk shorter than its extent"))?;
            return Ok(f(part));
        }
        let len = (to - from) as usize;
        // Grown as chunks are read: a damaged length is not trusted with an allocation.
        let mut bytes = Vec::with_capacity(len.min(1 << 20));
        for i in first..=last {
            let data = cursor.load(self, i, fill_cache)?;
            let skip = if i == first { in_first } else { 0 };
            let take = data.len().saturating_sub(skip).min(len - bytes.len());
            let part = data.get(skip..skip + take).ok_or_else(|| self.corrupt(0, "chunk shorter than its extent"))?;
            bytes.extend_from_slice(part);
        }
        Ok(f(&bytes))
    }

    /// The file offset of the chunk holding stream offset `offset`, for error reports.
    fn chunk_file_offset(&self, offset: u64) -> u64 {
        self.chunk_extent(offset / u64::from(self.header.block_size)).map_or(0, |(start, _)| start as u64)
    }

    /// Decodes the partition of an index entry, reading the chunks it spans.
    fn read_partition(
        &self,
        entry: &Entry<'_>,
        cursor: &mut ChunkCursor,
        fill_cache: bool,
    ) -> Result<Partition, SstableError> {
        let decoded = self.with_stream(entry.offset, entry.offset + entry.len, cursor, fill_cache, |bytes| {
            codec::decode_partition(bytes)
        })?;
        let (partition, used) = decoded.map_err(|e| {
            self.corrupt(
                self.chunk_file_offset(entry.offset),
                format!("partition at data offset {}: {e}", entry.offset),
            )
        })?;
        if used as u64 != entry.len || partition.key != entry.key {
            return Err(self.corrupt(entry.at, "index entry does not match the partition it points to"));
        }
        Ok(partition)
    }

    /// The row index block at `at` in the row index section: its mark count, and where the marks'
    /// start offsets and the marks begin (as section offsets).
    fn row_index_block(&self, at: u64) -> Result<(usize, usize, usize), SstableError> {
        let section = self.row_index_section();
        let file_at = self.footer.row_index_offset.saturating_add(at);
        let bad = |reason: &str| self.corrupt(file_at, format!("row index: {reason}"));
        let mut pos = usize::try_from(at).ok().filter(|&p| p < section.len()).ok_or_else(|| bad("past the section"))?;
        let count = read_uvarint(section, &mut pos).map_err(|e| bad(&e.to_string()))?;
        let marks_at = usize::try_from(count)
            .ok()
            .and_then(|c| c.checked_mul(4))
            .and_then(|n| pos.checked_add(n))
            .filter(|&end| end <= section.len())
            .ok_or_else(|| bad("mark count past the section"))?;
        if count == 0 {
            return Err(bad("no marks"));
        }
        Ok((count as usize, pos, marks_at))
    }

    fn row_index_section(&self) -> &[u8] {
        &self.map[self.footer.row_index_offset as usize..self.footer.bloom_offset as usize]
    }

    /// Mark `i` of the block whose start offsets are at `starts` and marks at `marks_at`.
    fn mark(&self, starts: usize, marks_at: usize, i: usize) -> Result<Mark<'_>, SstableError> {
        let section = self.row_index_section();
        let start = u32_at(section, starts + i * 4) as usize;
        let file_at = self.footer.row_index_offset + (marks_at + start) as u64;
        let bad = |e: &dyn std::fmt::Display| self.corrupt(file_at, format!("row index mark {i}: {e}"));
        let mut pos =
            marks_at.checked_add(start).filter(|&p| p < section.len()).ok_or_else(|| bad(&"past the section"))?;
        let len = read_uvarint(section, &mut pos).map_err(|e| bad(&e))?;
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| pos.checked_add(l))
            .filter(|&end| end <= section.len())
            .ok_or_else(|| bad(&"clustering past the section"))?;
        let clustering = &section[pos..end];
        pos = end;
        let offset = read_uvarint(section, &mut pos).map_err(|e| bad(&e))?;
        let _row = read_uvarint(section, &mut pos).map_err(|e| bad(&e))?;
        let timestamp = read_ivarint(section, &mut pos).map_err(|e| bad(&e))?;
        let local_time = i32::try_from(read_ivarint(section, &mut pos).map_err(|e| bad(&e))?).map_err(|e| bad(&e))?;
        Ok(Mark { clustering, offset, state: DeltaState { timestamp, local_time } })
    }

    /// Number of marks of the block whose clustering satisfies `pred`, which must hold for a prefix.
    fn mark_partition_point(
        &self,
        starts: usize,
        marks_at: usize,
        count: usize,
        pred: impl Fn(&[u8]) -> bool,
    ) -> Result<usize, SstableError> {
        let (mut lo, mut hi) = (0, count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pred(self.mark(starts, marks_at, mid)?.clustering) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }

    /// [`Sstable::get_slice`] of a partition with a row index: its head, then only the runs of rows
    /// the ranges fall in.
    fn read_indexed_slice(
        &self,
        entry: &Entry<'_>,
        at: u64,
        ranges: &[ClusteringRange],
        cursor: &mut ChunkCursor,
    ) -> Result<Partition, SstableError> {
        let (count, starts, marks_at) = self.row_index_block(at)?;
        let block_at = self.footer.row_index_offset + at;
        let data_at = self.chunk_file_offset(entry.offset);
        let model = |e: ModelError| self.corrupt(data_at, format!("partition at data offset {}: {e}", entry.offset));

        let head_len = self.mark(starts, marks_at, 0)?.offset;
        if head_len == 0 || head_len >= entry.len {
            return Err(self.corrupt(block_at, "row index: first row outside the partition"));
        }
        let head = self.with_stream(entry.offset, entry.offset + head_len, cursor, true, |bytes| {
            codec::decode_partition_head(bytes)
        })?;
        let head = head.map_err(model)?;
        if head.partition.key != entry.key || head.len as u64 != head_len {
            return Err(self.corrupt(entry.at, "index entry does not match the partition it points to"));
        }
        let mut partition = head.partition;
        partition.range_tombstones.retain(|rt| slice::overlaps(ranges, rt));

        // The runs of marks each range needs, merged: (first mark, last mark) inclusive.
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for (start, end) in ranges {
            let first = self.mark_partition_point(starts, marks_at, count, |c| c <= start.as_ref())?.saturating_sub(1);
            let last = match end {
                None => count,
                Some(end) => self.mark_partition_point(starts, marks_at, count, |c| c < end.as_ref())?,
            };
            if last == 0 {
                continue; // every row is at or after the end
            }
            let last = last - 1;
            if last < first {
                continue;
            }
            match spans.last_mut() {
                Some((_, prev_last)) if first <= *prev_last + 1 => *prev_last = (*prev_last).max(last),
                _ => spans.push((first, last)),
            }
        }

        let mut previous: Option<Bytes> = None;
        for (first, last) in spans {
            let from_mark = self.mark(starts, marks_at, first)?;
            let from = from_mark.offset;
            let to = if last + 1 < count { self.mark(starts, marks_at, last + 1)?.offset } else { entry.len };
            if from < head_len || from >= to || to > entry.len {
                return Err(self.corrupt(block_at, format!("row index: bad run of rows {from}..{to}")));
            }
            let state = from_mark.state;
            // Ranges are sorted: no row at or past the end of the last one is needed.
            let last_end = ranges.last().and_then(|(_, end)| end.as_ref());
            let rows = self.with_stream(entry.offset + from, entry.offset + to, cursor, true, |bytes| {
                let mut decoder = RowDecoder::new(bytes, state);
                let mut rows = Vec::new();
                while let Some(clustering) = decoder.peek_clustering()? {
                    if last_end.is_some_and(|end| clustering >= end.as_ref()) {
                        break;
                    }
                    if slice::contains(ranges, clustering) {
                        rows.extend(decoder.next_row()?);
                    } else {
                        decoder.skip_row()?;
                    }
                }
                Ok::<_, ModelError>(rows)
            })?;
            for row in rows.map_err(model)? {
                if previous.as_ref().is_some_and(|p| row.clustering <= *p) {
                    return Err(self.corrupt(data_at, "rows out of clustering order"));
                }
                previous = Some(row.clustering.clone());
                partition.rows.push(row);
            }
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

impl ChunkCursor {
    /// The uncompressed bytes of chunk `i`.
    fn load<'a>(&'a mut self, table: &'a Sstable, i: u64, fill_cache: bool) -> Result<&'a [u8], SstableError> {
        if !matches!(self.loaded, Some((loaded, _)) if loaded == i) {
            self.loaded = None;
            let chunk = table.load_chunk(i, fill_cache, &mut self.scratch)?;
            self.loaded = Some((i, chunk));
        }
        Ok(match &self.loaded {
            Some((_, ChunkBytes::Mapped(start, end))) => &table.map[*start..*end],
            Some((_, ChunkBytes::Owned(bytes))) => bytes,
            Some((_, ChunkBytes::Scratch)) => &self.scratch,
            None => &[],
        })
    }
}

/// Partitions of one SSTable in key order; see [`Sstable::scan`]. After an error it ends.
pub struct SstableScan {
    table: Arc<Sstable>,
    next: usize,
    end: Bound<Vec<u8>>,
    cursor: ChunkCursor,
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
            self.table.read_partition(&entry, &mut self.cursor, false).map(Some)
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

#[cfg(test)]
mod summary_tests {
    use super::Summary;

    #[test]
    fn the_summary_counts_samples_up_to_a_key_whatever_their_prefixes() {
        let samples: Vec<&[u8]> = vec![
            b"",
            b"a",
            b"abcdefgh",
            b"abcdefgh\x00",
            b"abcdefghij",
            b"abcdefgi",
            b"b",
            b"\xff\xff\xff\xff\xff\xff\xff\xff\xff",
        ];
        let mut summary = Summary::default();
        samples.iter().for_each(|k| summary.push(k));
        let probes: Vec<&[u8]> = vec![
            b"",
            b"\x00",
            b"a",
            b"a\x00",
            b"abcdefgh",
            b"abcdefgh\x00",
            b"abcdefghi",
            b"abcdefghij",
            b"abcdefghz",
            b"abcdefgi",
            b"abcdefgj",
            b"b",
            b"c",
            b"\xff\xff\xff\xff\xff\xff\xff\xff",
            b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
        ];
        for probe in probes {
            let expected = samples.iter().filter(|k| **k <= probe).count();
            assert_eq!(summary.partition_point_le(probe), expected, "{probe:?}");
        }
    }
}
