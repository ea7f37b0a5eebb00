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
//! partition costs `O(log rows)`, not a shift of every row after it.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::{Mutex, RwLock};
use storage_model::merge::{covering_deletion, drop_shadowed, merge_into, merge_rows, normalize, partition_is_empty};
use storage_model::{Partition, Row};

/// How many partitions an iterator takes per visit to the key map.
const ITER_BATCH: usize = 64;

/// A sorted in-memory table of partitions.
#[derive(Debug)]
pub struct Memtable {
    partitions: RwLock<BTreeMap<Bytes, Arc<Mutex<MemPartition>>>>,
    size_bytes: AtomicUsize,
    min_timestamp: AtomicI64,
}

impl Default for Memtable {
    fn default() -> Self {
        Memtable::new()
    }
}

impl Memtable {
    pub fn new() -> Memtable {
        Memtable {
            partitions: RwLock::new(BTreeMap::new()),
            size_bytes: AtomicUsize::new(0),
            min_timestamp: AtomicI64::new(i64::MAX),
        }
    }

    /// Merges `update` into the partition stored under its key (merge rules of
    /// [`storage_model::merge`]). Returns the bytes the memtable grew by: an estimate of the update's
    /// size, counted in full even when it overwrites data (like an arena that only grows).
    pub fn apply(&self, update: &Partition) -> usize {
        if partition_is_empty(update) {
            return 0;
        }
        let delta = estimated_size(update);
        if let Some(ts) = min_timestamp(update) {
            self.min_timestamp.fetch_min(ts, Ordering::Relaxed);
        }
        let existing = self.partitions.read().get(&update.key).cloned();
        let slot = match existing {
            Some(slot) => slot,
            None => {
                let mut map = self.partitions.write();
                match map.get(&update.key) {
                    Some(slot) => slot.clone(),
                    None => {
                        let fresh = MemPartition::new(update.clone());
                        map.insert(update.key.clone(), Arc::new(Mutex::new(fresh)));
                        self.size_bytes.fetch_add(delta, Ordering::Relaxed);
                        return delta;
                    }
                }
            }
        };
        slot.lock().apply(update.clone());
        self.size_bytes.fetch_add(delta, Ordering::Relaxed);
        delta
    }

    /// A copy of the partition stored under `key`.
    pub fn get(&self, key: &[u8]) -> Option<Partition> {
        let slot = self.partitions.read().get(key).cloned()?;
        let p = slot.lock().to_partition();
        Some(p)
    }

    /// Copies of up to `limit_partitions` partitions with keys from `start` on, in key order.
    pub fn scan(&self, start: Bound<&[u8]>, limit_partitions: usize) -> Vec<Partition> {
        let slots: Vec<Arc<Mutex<MemPartition>>> = self
            .partitions
            .read()
            .range::<[u8], _>((start, Bound::Unbounded))
            .take(limit_partitions)
            .map(|(_, slot)| slot.clone())
            .collect();
        slots.iter().map(|slot| slot.lock().to_partition()).collect()
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

    /// Estimated bytes of data applied so far.
    pub fn size_bytes(&self) -> usize {
        self.size_bytes.load(Ordering::Relaxed)
    }

    /// The smallest write or deletion timestamp ever applied, or `None` when nothing was.
    pub fn min_timestamp(&self) -> Option<i64> {
        match self.min_timestamp.load(Ordering::Relaxed) {
            i64::MAX => None,
            ts => Some(ts),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.partitions.read().is_empty()
    }

    /// Number of partitions.
    pub fn len(&self) -> usize {
        self.partitions.read().len()
    }
}

/// A partition as the memtable keeps it: canonical (see [`storage_model::merge`]), with its rows in a
/// map by clustering.
#[derive(Debug)]
struct MemPartition {
    /// Key, partition deletion, range tombstones and static row; never any row.
    header: Partition,
    rows: BTreeMap<Bytes, Row>,
}

impl MemPartition {
    fn new(update: Partition) -> MemPartition {
        let mut header = update;
        normalize(&mut header);
        let rows = std::mem::take(&mut header.rows).into_iter().map(|r| (r.clustering.clone(), r)).collect();
        MemPartition { header, rows }
    }

    /// Merges an update in, with the rules (and result) of [`storage_model::merge::merge_into`].
    fn apply(&mut self, update: Partition) {
        let mut update = update;
        normalize(&mut update);
        let rows = std::mem::take(&mut update.rows);
        let deletion_before = self.header.deletion;
        let adds_range_tombstones = !update.range_tombstones.is_empty();
        merge_into(&mut self.header, update);
        let header = &self.header;
        if header.deletion != deletion_before || adds_range_tombstones {
            self.rows.retain(|clustering, row| {
                !drop_shadowed(row, covering_deletion(header.deletion, &header.range_tombstones, clustering))
            });
        }
        for row in rows {
            let outer = covering_deletion(header.deletion, &header.range_tombstones, &row.clustering);
            match self.rows.entry(row.clustering.clone()) {
                Entry::Vacant(e) => {
                    let mut row = row;
                    if !drop_shadowed(&mut row, outer) {
                        e.insert(row);
                    }
                }
                Entry::Occupied(mut e) => {
                    let mut merged = merge_rows(std::mem::take(e.get_mut()), row);
                    if drop_shadowed(&mut merged, outer) {
                        e.remove();
                    } else {
                        *e.get_mut() = merged;
                    }
                }
            }
        }
    }

    fn to_partition(&self) -> Partition {
        let mut p = self.header.clone();
        p.rows = self.rows.values().cloned().collect();
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
            map.range::<[u8], _>((lower, Bound::Unbounded))
                .take(ITER_BATCH)
                .map(|(k, slot)| (k.clone(), slot.clone()))
                .collect()
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

/// An estimate of the memory a partition (or update) takes.
pub fn estimated_size(p: &Partition) -> usize {
    const PARTITION_OVERHEAD: usize = 96;
    const RANGE_TOMBSTONE_OVERHEAD: usize = 48;
    let mut size = PARTITION_OVERHEAD + p.key.len();
    for rt in &p.range_tombstones {
        size += RANGE_TOMBSTONE_OVERHEAD + rt.start.len() + rt.end.as_ref().map_or(0, Bytes::len);
    }
    size += p.static_row.as_ref().map_or(0, row_size);
    size += p.rows.iter().map(row_size).sum::<usize>();
    size
}

fn row_size(row: &Row) -> usize {
    const ROW_OVERHEAD: usize = 112;
    const CELL_OVERHEAD: usize = 72;
    const COMPLEX_DELETION_OVERHEAD: usize = 32;
    ROW_OVERHEAD
        + row.clustering.len()
        + row
            .cells
            .iter()
            .map(|c| {
                CELL_OVERHEAD
                    + c.column.len()
                    + c.path.as_ref().map_or(0, Bytes::len)
                    + c.cell.value.as_ref().map_or(0, Bytes::len)
            })
            .sum::<usize>()
        + row.complex_deletions.iter().map(|(c, _)| COMPLEX_DELETION_OVERHEAD + c.len()).sum::<usize>()
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
