//! K-way merge of key-ordered partition sources (memtables, SSTables) into merged partitions.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::Bound;
use std::sync::Arc;

use bytes::Bytes;
use storage_model::merge::{merge_into, normalize};
use storage_model::Partition;

use crate::table::TableVersion;
use crate::StorageError;

/// A source of partitions in strictly increasing key order.
pub(crate) type Source = Box<dyn Iterator<Item = Result<Partition, StorageError>> + Send>;

/// Yields, in key order, each key's partitions merged over every source, up to `end`. Stops after the
/// first error, which it yields.
pub(crate) struct MergeIter {
    sources: Vec<Source>,
    heads: Vec<Option<Partition>>,
    heap: BinaryHeap<Reverse<(Bytes, usize)>>,
    end: Bound<Bytes>,
    pending_error: Option<StorageError>,
    done: bool,
    /// Keeps the memtables and SSTables being read alive (and obsolete SSTables undeleted).
    _version: Option<Arc<TableVersion>>,
}

impl MergeIter {
    pub fn new(sources: Vec<Source>, end: Bound<Bytes>, version: Option<Arc<TableVersion>>) -> MergeIter {
        let n = sources.len();
        let mut it = MergeIter {
            sources,
            heads: (0..n).map(|_| None).collect(),
            heap: BinaryHeap::with_capacity(n),
            end,
            pending_error: None,
            done: false,
            _version: version,
        };
        for i in 0..n {
            it.advance(i);
        }
        it
    }

    fn advance(&mut self, i: usize) {
        if self.pending_error.is_some() {
            return;
        }
        match self.sources[i].next() {
            Some(Ok(p)) => {
                self.heap.push(Reverse((p.key.clone(), i)));
                self.heads[i] = Some(p);
            }
            Some(Err(e)) => self.pending_error = Some(e),
            None => {}
        }
    }

    fn past_end(&self, key: &Bytes) -> bool {
        match &self.end {
            Bound::Unbounded => false,
            Bound::Included(end) => key > end,
            Bound::Excluded(end) => key >= end,
        }
    }
}

impl Iterator for MergeIter {
    type Item = Result<Partition, StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if let Some(e) = self.pending_error.take() {
            self.done = true;
            return Some(Err(e));
        }
        let Some(Reverse((key, first))) = self.heap.pop() else {
            self.done = true;
            return None;
        };
        if self.past_end(&key) {
            self.done = true;
            return None;
        }
        let mut merged = self.heads[first].take().unwrap_or_default();
        normalize(&mut merged);
        self.advance(first);
        while let Some(Reverse((next_key, _))) = self.heap.peek() {
            if *next_key != key {
                break;
            }
            let Some(Reverse((_, i))) = self.heap.pop() else { break };
            if let Some(p) = self.heads[i].take() {
                merge_into(&mut merged, p);
            }
            self.advance(i);
        }
        Some(Ok(merged))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(key: &str, deletion_at: i64) -> Partition {
        Partition {
            key: Bytes::copy_from_slice(key.as_bytes()),
            deletion: Some(storage_model::DeletionTime { marked_for_delete_at: deletion_at, local_deletion_time: 1 }),
            ..Partition::default()
        }
    }

    fn source(items: Vec<Result<Partition, StorageError>>) -> Source {
        Box::new(items.into_iter())
    }

    #[test]
    fn merges_equal_keys_across_sources_in_key_order() {
        let a = source(vec![Ok(p("a", 1)), Ok(p("c", 1))]);
        let b = source(vec![Ok(p("b", 1)), Ok(p("c", 5))]);
        let out: Vec<Partition> = MergeIter::new(vec![a, b], Bound::Unbounded, None).map(|r| r.unwrap()).collect();
        let keys: Vec<&[u8]> = out.iter().map(|p| p.key.as_ref()).collect();
        assert_eq!(keys, vec![&b"a"[..], b"b", b"c"]);
        assert_eq!(out[2].deletion.unwrap().marked_for_delete_at, 5);
    }

    #[test]
    fn stops_at_the_end_bound() {
        let a = source(vec![Ok(p("a", 1)), Ok(p("b", 1)), Ok(p("c", 1))]);
        let out: Vec<_> = MergeIter::new(vec![a], Bound::Excluded(Bytes::from_static(b"b")), None).collect();
        assert_eq!(out.len(), 1);
        let a = source(vec![Ok(p("a", 1)), Ok(p("b", 1)), Ok(p("c", 1))]);
        let out: Vec<_> = MergeIter::new(vec![a], Bound::Included(Bytes::from_static(b"b")), None).collect();
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn an_error_is_yielded_once_and_ends_the_scan() {
        let a = source(vec![Ok(p("a", 1)), Err(StorageError::Other("boom".into())), Ok(p("z", 1))]);
        let out: Vec<_> = MergeIter::new(vec![a], Bound::Unbounded, None).collect();
        assert_eq!(out.len(), 2);
        assert!(out[0].is_ok());
        assert!(out[1].is_err());
    }
}
