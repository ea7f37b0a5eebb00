//! [`BlockCache`]: a bounded, sharded cache of decompressed chunks, shared by every SSTable opened
//! with it.
//!
//! Entries are keyed by `(file id, chunk index)`, where the file id is unique to each [`crate::Sstable`]
//! opened in this process, so a deleted or reopened file can never be served stale bytes; the entries
//! of a closed file are simply never hit again and age out. Each shard is a CLOCK (second-chance) cache
//! behind its own mutex: a hit sets the entry's reference bit, and eviction sweeps a hand over the
//! entries, clearing set bits and evicting the first entry found clear. The charge of an entry is its
//! length plus `ENTRY_OVERHEAD` (96 bytes).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use parking_lot::Mutex;

/// Bytes charged per entry on top of its data: key, slot, map entry and the buffer's header.
pub(crate) const ENTRY_OVERHEAD: usize = 96;

/// Capacity of [`BlockCache::shared`] unless resized.
pub const DEFAULT_SHARED_CAPACITY_BYTES: usize = 64 << 20;

const SHARDS: usize = 16;

/// A handle on a block cache; clones share the same cache.
#[derive(Clone)]
pub struct BlockCache {
    inner: Arc<Inner>,
}

struct Inner {
    shards: Vec<Mutex<Shard>>,
    hits: AtomicU64,
    misses: AtomicU64,
    inserts: AtomicU64,
    evictions: AtomicU64,
}

/// Counters of a [`BlockCache`] since it was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockCacheStats {
    pub hits: u64,
    pub misses: u64,
    pub inserts: u64,
    pub evictions: u64,
    /// Bytes charged for the entries held now.
    pub size_bytes: usize,
    pub capacity_bytes: usize,
    pub entries: usize,
}

pub(crate) type CacheKey = (u64, u64);

/// A new, process-unique file id for cache keys.
pub(crate) fn next_file_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl BlockCache {
    /// A cache holding at most `capacity_bytes` (data plus 96 bytes of overhead per entry). A capacity
    /// of 0 caches nothing.
    pub fn new(capacity_bytes: usize) -> BlockCache {
        let per_shard = capacity_bytes / SHARDS;
        BlockCache {
            inner: Arc::new(Inner {
                shards: (0..SHARDS).map(|_| Mutex::new(Shard::new(per_shard))).collect(),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
                inserts: AtomicU64::new(0),
                evictions: AtomicU64::new(0),
            }),
        }
    }

    /// The process-wide cache that [`crate::Sstable::open`] uses, created on first use with
    /// [`DEFAULT_SHARED_CAPACITY_BYTES`]; [`BlockCache::resize`] it to configure it.
    pub fn shared() -> BlockCache {
        static SHARED: OnceLock<BlockCache> = OnceLock::new();
        SHARED.get_or_init(|| BlockCache::new(DEFAULT_SHARED_CAPACITY_BYTES)).clone()
    }

    /// Changes the capacity, evicting at once what no longer fits.
    pub fn resize(&self, capacity_bytes: usize) {
        let per_shard = capacity_bytes / SHARDS;
        for shard in &self.inner.shards {
            let mut shard = shard.lock();
            shard.capacity = per_shard;
            let evicted = shard.evict_until_fits(0);
            self.inner.evictions.fetch_add(evicted, Ordering::Relaxed);
        }
    }

    /// Drops every entry.
    pub fn clear(&self) {
        for shard in &self.inner.shards {
            let mut shard = shard.lock();
            let capacity = shard.capacity;
            *shard = Shard::new(capacity);
        }
    }

    pub fn stats(&self) -> BlockCacheStats {
        let mut stats = BlockCacheStats {
            hits: self.inner.hits.load(Ordering::Relaxed),
            misses: self.inner.misses.load(Ordering::Relaxed),
            inserts: self.inner.inserts.load(Ordering::Relaxed),
            evictions: self.inner.evictions.load(Ordering::Relaxed),
            ..BlockCacheStats::default()
        };
        for shard in &self.inner.shards {
            let shard = shard.lock();
            stats.size_bytes += shard.charge;
            stats.capacity_bytes += shard.capacity;
            stats.entries += shard.map.len();
        }
        stats
    }

    fn shard(&self, key: &CacheKey) -> &Mutex<Shard> {
        &self.inner.shards[(mix(key.0, key.1) >> 60) as usize % SHARDS]
    }

    pub(crate) fn get(&self, key: &CacheKey) -> Option<Bytes> {
        let found = self.shard(key).lock().get(key);
        let counter = if found.is_some() { &self.inner.hits } else { &self.inner.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    pub(crate) fn insert(&self, key: CacheKey, value: Bytes) {
        let evicted = self.shard(&key).lock().insert(key, value);
        self.inner.inserts.fetch_add(1, Ordering::Relaxed);
        if evicted > 0 {
            self.inner.evictions.fetch_add(evicted, Ordering::Relaxed);
        }
    }
}

impl std::fmt::Debug for BlockCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockCache").field("stats", &self.stats()).finish()
    }
}

fn mix(a: u64, b: u64) -> u64 {
    let x = (a ^ b.rotate_left(32)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (x ^ (x >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ b
}

/// Hashes a [`CacheKey`] with two multiplies (the keys are not attacker-chosen).
#[derive(Default)]
struct KeyHasher {
    state: u64,
}

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        let x = self.state;
        (x ^ (x >> 31)).wrapping_mul(0x94d0_49bb_1331_11eb)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.state = (self.state ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.state = (self.state.rotate_left(23) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

struct Slot {
    key: CacheKey,
    value: Bytes,
    referenced: bool,
    charge: usize,
}

struct Shard {
    map: HashMap<CacheKey, usize, BuildHasherDefault<KeyHasher>>,
    /// `None` slots are free (listed in `free`).
    slots: Vec<Option<Slot>>,
    free: Vec<usize>,
    hand: usize,
    charge: usize,
    capacity: usize,
}

impl Shard {
    fn new(capacity: usize) -> Shard {
        Shard { map: HashMap::default(), slots: Vec::new(), free: Vec::new(), hand: 0, charge: 0, capacity }
    }

    fn get(&mut self, key: &CacheKey) -> Option<Bytes> {
        let &i = self.map.get(key)?;
        let slot = self.slots[i].as_mut()?;
        slot.referenced = true;
        Some(slot.value.clone())
    }

    /// Inserts (or replaces) an entry; returns how many entries were evicted to make room.
    fn insert(&mut self, key: CacheKey, value: Bytes) -> u64 {
        let charge = value.len() + ENTRY_OVERHEAD;
        if let Some(&i) = self.map.get(&key) {
            self.remove_slot(i);
        }
        if charge > self.capacity {
            return 0;
        }
        let evicted = self.evict_until_fits(charge);
        let slot = Slot { key, value, referenced: false, charge };
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i] = Some(slot);
                i
            }
            None => {
                self.slots.push(Some(slot));
                self.slots.len() - 1
            }
        };
        self.map.insert(key, i);
        self.charge += charge;
        evicted
    }

    fn remove_slot(&mut self, i: usize) {
        if let Some(slot) = self.slots[i].take() {
            self.map.remove(&slot.key);
            self.charge -= slot.charge;
            self.free.push(i);
        }
    }

    /// Evicts entries (CLOCK) until `extra` more bytes fit; returns how many went.
    fn evict_until_fits(&mut self, extra: usize) -> u64 {
        let mut evicted = 0;
        // Two sweeps clear every reference bit, so this ends; the bound is a guard.
        let mut budget = self.slots.len() * 2 + 1;
        while self.charge + extra > self.capacity && !self.map.is_empty() && budget > 0 {
            budget -= 1;
            if self.hand >= self.slots.len() {
                self.hand = 0;
            }
            let i = self.hand;
            self.hand += 1;
            match &mut self.slots[i] {
                None => {}
                Some(slot) if slot.referenced => slot.referenced = false,
                Some(_) => {
                    self.remove_slot(i);
                    evicted += 1;
                }
            }
        }
        if self.map.is_empty() {
            self.slots.clear();
            self.free.clear();
            self.hand = 0;
        }
        evicted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(n: usize, fill: u8) -> Bytes {
        Bytes::from(vec![fill; n])
    }

    #[test]
    fn hits_return_what_was_inserted() {
        let cache = BlockCache::new(1 << 20);
        cache.insert((1, 2), value(100, 7));
        assert_eq!(cache.get(&(1, 2)), Some(value(100, 7)));
        assert_eq!(cache.get(&(1, 3)), None);
        assert_eq!(cache.get(&(2, 2)), None);
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses, stats.entries), (1, 2, 1));
        assert_eq!(stats.size_bytes, 100 + ENTRY_OVERHEAD);
    }

    #[test]
    fn the_size_stays_within_the_capacity() {
        let cache = BlockCache::new(SHARDS * 10_000);
        for i in 0..10_000u64 {
            cache.insert((i % 7, i), value(1000, i as u8));
            assert!(cache.stats().size_bytes <= SHARDS * 10_000);
        }
        let stats = cache.stats();
        assert!(stats.evictions > 9000, "{stats:?}");
        assert!(stats.entries >= SHARDS * 5, "{stats:?}");
    }

    #[test]
    fn referenced_entries_survive_a_sweep() {
        // One shard's worth: put everything in shard-local terms by using a cache of one entry per shard
        // plus one, then check that a hot entry outlives cold ones.
        let cache = BlockCache::new(SHARDS * 4 * (100 + ENTRY_OVERHEAD));
        let hot = (0u64, 0u64);
        cache.insert(hot, value(100, 1));
        for i in 1..2000u64 {
            assert!(cache.get(&hot).is_some(), "hot entry evicted after {i} inserts");
            cache.insert((0, i), value(100, 2));
        }
    }

    #[test]
    fn an_entry_larger_than_a_shard_is_not_cached() {
        let cache = BlockCache::new(SHARDS * 1000);
        cache.insert((1, 1), value(5000, 1));
        assert_eq!(cache.get(&(1, 1)), None);
        let empty = BlockCache::new(0);
        empty.insert((1, 1), value(1, 1));
        assert_eq!(empty.get(&(1, 1)), None);
    }

    #[test]
    fn replacing_and_resizing_keep_the_accounting_right() {
        let cache = BlockCache::new(1 << 20);
        cache.insert((1, 1), value(100, 1));
        cache.insert((1, 1), value(300, 2));
        assert_eq!(cache.stats().size_bytes, 300 + ENTRY_OVERHEAD);
        assert_eq!(cache.get(&(1, 1)), Some(value(300, 2)));
        for i in 0..100 {
            cache.insert((2, i), value(1000, 3));
        }
        cache.resize(0);
        let stats = cache.stats();
        assert_eq!((stats.size_bytes, stats.entries), (0, 0));
        cache.resize(1 << 20);
        cache.insert((1, 1), value(10, 1));
        cache.clear();
        assert_eq!(cache.stats().entries, 0);
    }

    #[test]
    fn the_cache_is_shared_across_threads() {
        let cache = BlockCache::new(1 << 22);
        std::thread::scope(|s| {
            for t in 0..4u64 {
                let cache = cache.clone();
                s.spawn(move || {
                    for i in 0..2000u64 {
                        cache.insert((t, i), value(64, t as u8));
                        assert_eq!(cache.get(&(t, i)).map(|v| v[0]), Some(t as u8));
                    }
                });
            }
        });
        assert_eq!(cache.stats().inserts, 8000);
    }
}
