//! The in-memory, sorted table of recent writes of one table: partitions by key, each kept merged in the
//! canonical form of [`storage_model::merge`].
//!
//! Owns: [`Memtable`] (apply, point reads, ordered iteration for scans and flushes, size accounting).
//!
//! Must not know about: the commitlog, SSTables, flushing policy or other tables. The engine decides
//! when a memtable is sealed and flushed, and tracks which commitlog positions it covers.
//!
//! Concurrency: the key map is behind a read-write lock held only to find or insert a partition; each
//! partition has its own mutex held while an update is merged into it or it is cloned. No lock is held
//! across anything slow, and iterators fetch partitions in small batches, holding no lock between calls.
//!
//! Inside a partition, rows are kept in a `BTreeMap` by clustering, so that adding a row to a wide
//! partition costs `O(log rows)`, not a shift of every row after it, and a clustering slice
//! ([`Memtable::get_slice`]) reads only the rows it needs.
//!
//! # Size accounting
//!
//! Sizes are computed from what is stored, with one rule (see [`partition_size`] and [`row_size`]):
//! every struct counts `size_of` its type, every vector its *capacity* times its element size, and
//! every byte string (`Bytes`) its length — as if unshared, since a `Bytes` may share its buffer with
//! other values or the caller; map slots count the key and value they hold (not the B-tree nodes'
//! spare room). Two numbers are kept:
//!
//! * [`Memtable::size_bytes`]: the bytes *applied* — each update counted in full, even when it
//!   overwrites data already here. It only grows, it is what [`Memtable::apply`] returns, and it is
//!   the measure for flushing: it bounds the commitlog data the memtable stands for.
//! * [`Memtable::live_bytes`]: the size of what is held *now*, by the same rule: overwritten and
//!   shadowed data no longer count.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::mem::size_of;
use std::ops::Bound;
use std::sync::atomic::{AtomicI64, AtomicIsize, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::{Mutex, RwLock};
use storage_model::merge::{covering_deletion, drop_shadowed, merge_into, merge_rows, normalize, partition_is_empty};
use storage_model::{ColumnCell, DeletionTime, Partition, RangeTombstone, Row};

/// How many partitions an iterator takes per visit to the key map.
const ITER_BATCH: usize = 64;

/// A sorted in-memory table of partitions.
#[derive(Debug)]
pub struct Memtable {
    partitions: RwLock<KeyMap>,
    size_bytes: AtomicUsize,
    live_bytes: AtomicIsize,
    min_timestamp: AtomicI64,
}

/// What a partition costs in the key map besides its own size: the map slot (key and `Arc`) and the
/// shared, locked allocation around it.
const PARTITION_SLOT_BYTES: usize =
    size_of::<Bytes>() + size_of::<Arc<Mutex<MemPartition>>>() + 2 * size_of::<usize>() + size_of::<Mutex<()>>();

impl Default for Memtable {
    fn default() -> Self {
        Memtable::new()
    }
}

impl Memtable {
    pub fn new() -> Memtable {
        Memtable {
            partitions: RwLock::new(KeyMap::default()),
            size_bytes: AtomicUsize::new(0),
            live_bytes: AtomicIsize::new(0),
            min_timestamp: AtomicI64::new(i64::MAX),
        }
    }

    /// Merges `update` into the partition stored under its key (merge rules of
    /// [`storage_model::merge`]). Returns the bytes applied: the update's size ([`partition_size`]),
    /// counted in full even when it overwrites data; [`Memtable::size_bytes`] is their sum.
    pub fn apply(&self, update: &Partition) -> usize {
        if partition_is_empty(update) {
            return 0;
        }
        let (applied, min_ts) = size_and_min_timestamp(update);
        if let Some(ts) = min_ts {
            self.min_timestamp.fetch_min(ts, Ordering::Relaxed);
        }
        let existing = self.partitions.read().get(&update.key).cloned();
        let live_delta = match existing {
            Some(slot) => slot.lock().apply(update.clone()),
            None => {
                let mut map = self.partitions.write();
                match map.get(&update.key).cloned() {
                    Some(slot) => {
                        drop(map);
                        let delta = slot.lock().apply(update.clone());
                        delta
                    }
                    None => {
                        let fresh = MemPartition::new(update.clone());
                        let size = (fresh.size + PARTITION_SLOT_BYTES) as isize;
                        map.insert(update.key.clone(), Arc::new(Mutex::new(fresh)));
                        size
                    }
                }
            }
        };
        self.live_bytes.fetch_add(live_delta, Ordering::Relaxed);
        self.size_bytes.fetch_add(applied, Ordering::Relaxed);
        applied
    }

    /// A copy of the partition stored under `key`.
    pub fn get(&self, key: &[u8]) -> Option<Partition> {
        let slot = self.partitions.read().get(key).cloned()?;
        let p = slot.lock().to_partition();
        Some(p)
    }

    /// The part of the partition under `key` that a read of the clustering `ranges` needs: its
    /// deletion and static row, the range tombstones overlapping a range, and the rows whose
    /// clustering lies in one (`start <= clustering < end`, `end: None` unbounded). Only those rows
    /// are visited and copied.
    pub fn get_slice(&self, key: &[u8], ranges: &[(Bytes, Option<Bytes>)]) -> Option<Partition> {
        let slot = self.partitions.read().get(key).cloned()?;
        let p = slot.lock().slice(ranges);
        Some(p)
    }

    /// Copies of up to `limit_partitions` partitions with keys from `start` on, in key order.
    pub fn scan(&self, start: Bound<&[u8]>, limit_partitions: usize) -> Vec<Partition> {
        let slots = self.partitions.read().collect_from(start, limit_partitions);
        slots.iter().map(|(_, slot)| slot.lock().to_partition()).collect()
    }

    /// Every partition from `start` on, in key order. Partitions inserted during the iteration after its
    /// position are seen; each partition is copied when reached.
    pub fn iter_from(self: &Arc<Self>, start: Bound<Bytes>) -> MemtableIter {
        MemtableIter { memtable: self.clone(), next: start, buffer: Vec::new().into_iter(), done: false }
    }

    /// Every partition in key order (for flushing).
    pub fn iter_all(self: &Arc<Self>) -> MemtableIter {
        self.iter_from(Bound::Unbounded)
    }

    /// Bytes applied so far: the sum of what [`Memtable::apply`] returned (see the crate doc).
    pub fn size_bytes(&self) -> usize {
        self.size_bytes.load(Ordering::Relaxed)
    }

    /// Bytes held now: the sizes of the partitions as stored, plus their slots in the key map (see the
    /// crate doc).
    pub fn live_bytes(&self) -> usize {
        self.live_bytes.load(Ordering::Relaxed).max(0) as usize
    }

    /// The smallest write or deletion timestamp ever applied, or `None` when nothing was.
    pub fn min_timestamp(&self) -> Option<i64> {
        match self.min_timestamp.load(Ordering::Relaxed) {
            i64::MAX => None,
            ts => Some(ts),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.partitions.read().len == 0
    }

    /// Number of partitions.
    pub fn len(&self) -> usize {
        self.partitions.read().len
    }

    /// [`Memtable::live_bytes`] counted from scratch.
    #[cfg(test)]
    fn recount_live_bytes(&self) -> usize {
        self.partitions
            .read()
            .collect_from(Bound::Unbounded, usize::MAX)
            .iter()
            .map(|(_, slot)| {
                let p = slot.lock();
                head_size(&p.header) + p.rows.size() + PARTITION_SLOT_BYTES
            })
            .sum()
    }
}

type Slot = Arc<Mutex<MemPartition>>;

/// The partitions by key. Keys are looked up by their first 8 bytes first (big-endian, zero-padded —
/// an order consistent with `memcmp`, and for partition keys the token, nearly unique): a B-tree of
/// `u64`s compares keys held in its nodes, where a B-tree of byte strings would follow a pointer out
/// of the node for every comparison. Keys sharing their first 8 bytes share a bucket, sorted.
#[derive(Default)]
struct KeyMap {
    map: BTreeMap<u64, Bucket>,
    len: usize,
}

/// The partitions whose keys share their first 8 bytes, sorted by key.
enum Bucket {
    One(Bytes, Slot),
    Many(Vec<(Bytes, Slot)>),
}

impl std::fmt::Debug for KeyMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyMap").field("len", &self.len).finish()
    }
}

fn key_prefix(key: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    let n = key.len().min(8);
    word[..n].copy_from_slice(&key[..n]);
    u64::from_be_bytes(word)
}

impl KeyMap {
    fn get(&self, key: &[u8]) -> Option<&Slot> {
        match self.map.get(&key_prefix(key))? {
            Bucket::One(k, slot) => (k.as_ref() == key).then_some(slot),
            Bucket::Many(v) => v.iter().find(|(k, _)| k.as_ref() == key).map(|(_, slot)| slot),
        }
    }

    /// Inserts a key known to be absent.
    fn insert(&mut self, key: Bytes, slot: Slot) {
        self.len += 1;
        match self.map.entry(key_prefix(&key)) {
            Entry::Vacant(e) => {
                e.insert(Bucket::One(key, slot));
            }
            Entry::Occupied(mut e) => {
                let bucket = e.get_mut();
                let mut entries = match std::mem::replace(bucket, Bucket::Many(Vec::new())) {
                    Bucket::One(k, s) => vec![(k, s)],
                    Bucket::Many(v) => v,
                };
                let at = entries.partition_point(|(k, _)| *k < key);
                entries.insert(at, (key, slot));
                *bucket = Bucket::Many(entries);
            }
        }
    }

    /// Up to `limit` entries with keys from `start` on, in key order.
    fn collect_from(&self, start: Bound<&[u8]>, limit: usize) -> Vec<(Bytes, Slot)> {
        let after = |k: &[u8]| match start {
            Bound::Included(s) => k >= s,
            Bound::Excluded(s) => k > s,
            Bound::Unbounded => true,
        };
        let from = match start {
            Bound::Included(s) | Bound::Excluded(s) => Bound::Included(key_prefix(s)),
            Bound::Unbounded => Bound::Unbounded,
        };
        let mut out = Vec::new();
        for (_, bucket) in self.map.range((from, Bound::Unbounded)) {
            let mut push = |k: &Bytes, slot: &Slot| {
                if out.len() < limit && after(k) {
                    out.push((k.clone(), slot.clone()));
                }
            };
            match bucket {
                Bucket::One(k, slot) => push(k, slot),
                Bucket::Many(v) => v.iter().for_each(|(k, slot)| push(k, slot)),
            }
            if out.len() >= limit {
                break;
            }
        }
        out
    }
}

/// A partition as the memtable keeps it: canonical (see [`storage_model::merge`]), with its rows
/// sorted by clustering in a [`Rows`].
#[derive(Debug)]
struct MemPartition {
    /// Key, partition deletion, range tombstones and static row; never any row.
    header: Partition,
    rows: Rows,
    /// [`head_size`] of the header plus [`Rows::size`].
    size: usize,
}

/// Partitions with up to this many rows keep them in a sorted vector; larger ones in a B-tree.
const SMALL_ROWS: usize = 16;

/// The rows of a partition by clustering: a sorted vector while small (most partitions have a row or
/// a few: one allocation, no B-tree node of spare slots), a B-tree once wide (`O(log rows)` inserts).
#[derive(Debug)]
enum Rows {
    Small(Vec<Row>),
    Large(BTreeMap<Bytes, Row>),
}

impl Rows {
    fn from_sorted(rows: Vec<Row>) -> Rows {
        if rows.len() <= SMALL_ROWS {
            Rows::Small(rows)
        } else {
            Rows::Large(rows.into_iter().map(|r| (r.clustering.clone(), r)).collect())
        }
    }

    /// The size by the crate's rule: the vector's capacity, or each B-tree slot (key and row).
    fn size(&self) -> usize {
        match self {
            Rows::Small(v) => {
                v.capacity() * size_of::<Row>() + v.iter().map(|r| row_size(r) - size_of::<Row>()).sum::<usize>()
            }
            Rows::Large(m) => m.values().map(row_slot_size).sum(),
        }
    }

    fn capacity_size(&self) -> usize {
        match self {
            Rows::Small(v) => v.capacity() * size_of::<Row>(),
            Rows::Large(_) => 0,
        }
    }

    fn retain(&mut self, mut keep: impl FnMut(&mut Row) -> bool) {
        match self {
            Rows::Small(v) => v.retain_mut(|r| keep(r)),
            Rows::Large(m) => m.retain(|_, r| keep(r)),
        }
    }

    /// Merges `row` into the row with its clustering (or adds it), dropping the result if `outer`
    /// shadows all of it; returns the change of [`Rows::size`].
    fn upsert(&mut self, row: Row, outer: Option<DeletionTime>) -> isize {
        let before_capacity = self.capacity_size() as isize;
        let delta = match self {
            Rows::Small(v) => match v.binary_search_by(|r| r.clustering.cmp(&row.clustering)) {
                Ok(i) => {
                    let old = (row_size(&v[i]) - size_of::<Row>()) as isize;
                    let mut merged = merge_rows(std::mem::take(&mut v[i]), row);
                    if drop_shadowed(&mut merged, outer) {
                        v.remove(i);
                        -old
                    } else {
                        let new = (row_size(&merged) - size_of::<Row>()) as isize;
                        v[i] = merged;
                        new - old
                    }
                }
                Err(i) => {
                    let mut row = row;
                    if drop_shadowed(&mut row, outer) {
                        0
                    } else {
                        let new = (row_size(&row) - size_of::<Row>()) as isize;
                        v.insert(i, row);
                        new
                    }
                }
            },
            Rows::Large(m) => match m.entry(row.clustering.clone()) {
                Entry::Vacant(e) => {
                    let mut row = row;
                    if drop_shadowed(&mut row, outer) {
                        0
                    } else {
                        let new = row_slot_size(&row) as isize;
                        e.insert(row);
                        new
                    }
                }
                Entry::Occupied(mut e) => {
                    let old = row_slot_size(e.get()) as isize;
                    let mut merged = merge_rows(std::mem::take(e.get_mut()), row);
                    if drop_shadowed(&mut merged, outer) {
                        e.remove();
                        -old
                    } else {
                        let new = row_slot_size(&merged) as isize;
                        *e.get_mut() = merged;
                        new - old
                    }
                }
            },
        };
        let mut delta = delta + self.capacity_size() as isize - before_capacity;
        if let Rows::Small(v) = self {
            if v.len() > SMALL_ROWS {
                let before = self.size() as isize;
                let rows = match std::mem::replace(self, Rows::Small(Vec::new())) {
                    Rows::Small(v) => v,
                    Rows::Large(_) => unreachable!("checked above"),
                };
                *self = Rows::from_sorted(rows);
                delta += self.size() as isize - before;
            }
        }
        delta
    }

    /// Copies of the rows with clustering in `lower .. upper`, appended to `out`; returns the
    /// clustering of the last one.
    fn copy_range(&self, lower: Bound<&Bytes>, upper: Bound<&Bytes>, out: &mut Vec<Row>) -> Option<Bytes> {
        let mut last = None;
        match self {
            Rows::Small(v) => {
                let from = match lower {
                    Bound::Included(l) => v.partition_point(|r| r.clustering < *l),
                    Bound::Excluded(l) => v.partition_point(|r| r.clustering <= *l),
                    Bound::Unbounded => 0,
                };
                for r in &v[from..] {
                    let inside = match upper {
                        Bound::Included(u) => r.clustering <= *u,
                        Bound::Excluded(u) => r.clustering < *u,
                        Bound::Unbounded => true,
                    };
                    if !inside {
                        break;
                    }
                    out.push(r.clone());
                    last = Some(r.clustering.clone());
                }
            }
            Rows::Large(m) => {
                for (clustering, row) in m.range::<Bytes, _>((lower, upper)) {
                    out.push(row.clone());
                    last = Some(clustering.clone());
                }
            }
        }
        last
    }
}

impl MemPartition {
    fn new(update: Partition) -> MemPartition {
        let mut header = update;
        normalize(&mut header);
        let rows = Rows::from_sorted(std::mem::take(&mut header.rows));
        let size = head_size(&header) + rows.size();
        MemPartition { header, rows, size }
    }

    /// Merges an update in, with the rules (and result) of [`storage_model::merge::merge_into`];
    /// returns how much [`MemPartition::size`] changed.
    fn apply(&mut self, update: Partition) -> isize {
        let before = self.size as isize;
        let mut update = update;
        normalize(&mut update);
        let rows = std::mem::take(&mut update.rows);
        let deletion_before = self.header.deletion;
        let adds_range_tombstones = !update.range_tombstones.is_empty();
        let changes_head = update.deletion.is_some() || adds_range_tombstones || update.static_row.is_some();
        let mut size = self.size as isize;
        if changes_head {
            size -= head_size(&self.header) as isize;
        }
        merge_into(&mut self.header, update);
        if changes_head {
            size += head_size(&self.header) as isize;
        }
        let header = &self.header;
        if header.deletion != deletion_before || adds_range_tombstones {
            self.rows.retain(|row| {
                !drop_shadowed(row, covering_deletion(header.deletion, &header.range_tombstones, &row.clustering))
            });
            // Shadowing may drop rows or shrink them in place: recount (rare: deletions only).
            size = (head_size(&self.header) + self.rows.size()) as isize;
        }
        for row in rows {
            let outer = covering_deletion(header.deletion, &header.range_tombstones, &row.clustering);
            size += self.rows.upsert(row, outer);
        }
        self.size = size.max(0) as usize;
        self.size as isize - before
    }

    fn to_partition(&self) -> Partition {
        let mut p = self.header.clone();
        match &self.rows {
            Rows::Small(v) => p.rows = v.clone(),
            Rows::Large(m) => p.rows = m.values().cloned().collect(),
        }
        p
    }

    fn slice(&self, ranges: &[(Bytes, Option<Bytes>)]) -> Partition {
        let mut p = self.header.clone();
        p.range_tombstones.retain(|rt| {
            ranges.iter().any(|(start, end)| {
                end.as_ref().is_none_or(|end| rt.start < *end) && rt.end.as_ref().is_none_or(|rt_end| start < rt_end)
            })
        });
        let mut ranges: Vec<&(Bytes, Option<Bytes>)> = ranges.iter().collect();
        ranges.sort_by(|a, b| a.0.cmp(&b.0));
        let mut taken: Option<Bytes> = None; // rows up to it were already taken
        for (start, end) in ranges {
            let lower = match &taken {
                Some(after) if after >= start => Bound::Excluded(after),
                _ => Bound::Included(start),
            };
            let upper = match end {
                Some(end) => Bound::Excluded(end),
                None => Bound::Unbounded,
            };
            if let (Bound::Included(l) | Bound::Excluded(l), Bound::Excluded(u)) = (lower, upper) {
                if l >= u {
                    continue;
                }
            }
            if let Some(last) = self.rows.copy_range(lower, upper, &mut p.rows) {
                taken = Some(last);
            }
        }
        p
    }
}

/// Iterates a memtable in key order without holding a lock between calls.
pub struct MemtableIter {
    memtable: Arc<Memtable>,
    next: Bound<Bytes>,
    buffer: std::vec::IntoIter<Partition>,
    done: bool,
}

impl MemtableIter {
    fn refill(&mut self) {
        let slots: Vec<(Bytes, Arc<Mutex<MemPartition>>)> = {
            let map = self.memtable.partitions.read();
            let lower = match &self.next {
                Bound::Included(k) => Bound::Included(k.as_ref()),
                Bound::Excluded(k) => Bound::Excluded(k.as_ref()),
                Bound::Unbounded => Bound::Unbounded,
            };
            map.collect_from(lower, ITER_BATCH)
        };
        match slots.last() {
            None => self.done = true,
            Some((last, _)) => self.next = Bound::Excluded(last.clone()),
        }
        let copies: Vec<Partition> = slots.iter().map(|(_, slot)| slot.lock().to_partition()).collect();
        self.buffer = copies.into_iter();
    }
}

impl Iterator for MemtableIter {
    type Item = Partition;

    fn next(&mut self) -> Option<Partition> {
        loop {
            if let Some(p) = self.buffer.next() {
                return Some(p);
            }
            if self.done {
                return None;
            }
            self.refill();
        }
    }
}

/// The size of a partition (or an update) by the rule of the crate doc: its head ([`head_size`],
/// which counts the row vector's buffer) and what each row holds beyond its struct.
pub fn partition_size(p: &Partition) -> usize {
    head_size(p) + p.rows.iter().map(|r| row_size(r) - size_of::<Row>()).sum::<usize>()
}

/// The size of the parts of a partition other than its rows: the struct, the key, the range
/// tombstones and the static row (and the row vector's own buffer, empty in the memtable).
fn head_size(p: &Partition) -> usize {
    size_of::<Partition>()
        + p.key.len()
        + p.range_tombstones.capacity() * size_of::<RangeTombstone>()
        + p.range_tombstones.iter().map(|rt| rt.start.len() + rt.end.as_ref().map_or(0, Bytes::len)).sum::<usize>()
        + p.static_row.as_ref().map_or(0, row_size)
        + p.rows.capacity() * size_of::<Row>()
}

/// The size of a row: the struct, its clustering, its cell and complex deletion vectors (by capacity)
/// and the byte strings they hold.
pub fn row_size(row: &Row) -> usize {
    size_of::<Row>()
        + row.clustering.len()
        + row.cells.capacity() * size_of::<ColumnCell>()
        + row
            .cells
            .iter()
            .map(|c| {
                c.column.len() + c.path.as_ref().map_or(0, Bytes::len) + c.cell.value.as_ref().map_or(0, Bytes::len)
            })
            .sum::<usize>()
        + row.complex_deletions.capacity() * size_of::<(Bytes, DeletionTime)>()
        + row.complex_deletions.iter().map(|(c, _)| c.len()).sum::<usize>()
}

/// A row in the row map: the row and its clustering key stored again as the map's key.
fn row_slot_size(row: &Row) -> usize {
    size_of::<Bytes>() + row.clustering.len() + row_size(row)
}

/// [`partition_size`] and [`min_timestamp`] in one pass.
fn size_and_min_timestamp(p: &Partition) -> (usize, Option<i64>) {
    (partition_size(p) + PARTITION_SLOT_BYTES, min_timestamp(p))
}

/// The smallest timestamp (of data or deletion) in a partition.
pub fn min_timestamp(p: &Partition) -> Option<i64> {
    let deletions =
        p.deletion.iter().chain(p.range_tombstones.iter().map(|rt| &rt.deletion)).map(|d| d.marked_for_delete_at);
    let rows = p.static_row.iter().chain(p.rows.iter()).flat_map(|r| {
        r.liveness
            .map(|l| l.timestamp)
            .into_iter()
            .chain(r.deletion.map(|d| d.marked_for_delete_at))
            .chain(r.complex_deletions.iter().map(|(_, d)| d.marked_for_delete_at))
            .chain(r.cells.iter().map(|c| c.cell.timestamp))
    });
    deletions.chain(rows).min()
}

#[cfg(test)]
mod tests;
