//! The storage engine: ties commitlog, memtables, SSTables and compaction into one LSM per table.
//!
//! (Interface sketch: the engine's owner replaces this with the implementation, keeping these
//! signatures; the query layer codes against them.)

use std::future::Future;
use std::ops::Bound;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use storage_model::{Mutation, Partition, TableId};

/// How the commitlog makes writes durable (cassandra.yaml `commitlog_sync`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    /// Acknowledge at once; fsync every `period`.
    Periodic { period: Duration },
    /// Acknowledge after the fsync that covers the write; one fsync serves every waiting writer.
    Batch,
    /// Like batch, but wait up to `window` to gather more writers into one fsync.
    Group { window: Duration },
}

#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// Table data lives under `data_dir/<table-id>/`.
    pub data_dir: PathBuf,
    pub commitlog_dir: PathBuf,
    pub sync: SyncMode,
    pub commitlog_segment_size_bytes: u64,
    /// A table's memtable past this size is flushed to an SSTable.
    pub memtable_flush_threshold_bytes: u64,
    /// Compact a table when it has more than this many SSTables.
    pub compaction_threshold: usize,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    #[error("unknown table {0}")]
    UnknownTable(TableId),
    #[error("{0}")]
    Other(String),
}

/// Resolves when a write is durable.
pub struct WriteAck(Option<Pin<Box<dyn Future<Output = Result<(), StorageError>> + Send>>>);

impl WriteAck {
    pub fn ready() -> WriteAck {
        WriteAck(None)
    }
}

impl Future for WriteAck {
    type Output = Result<(), StorageError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.0.as_mut() {
            None => Poll::Ready(Ok(())),
            Some(f) => f.as_mut().poll(cx),
        }
    }
}

/// Merged partitions of a table in key order.
pub type Scan = Box<dyn Iterator<Item = Result<Partition, StorageError>> + Send>;

pub struct Storage {}

impl Storage {
    /// Opens the engine: loads the SSTables of `tables` and replays the commitlog into their memtables
    /// (records of tables not listed are skipped).
    pub fn open(_config: StorageConfig, _tables: &[TableId]) -> Result<Storage, StorageError> {
        Ok(Storage {})
    }
    pub fn create_table(&self, _table: TableId) -> Result<(), StorageError> {
        Ok(())
    }
    /// Forgets the table and deletes its files.
    pub fn drop_table(&self, _table: TableId) -> Result<(), StorageError> {
        Ok(())
    }
    /// Removes all the table's data.
    pub fn truncate_table(&self, _table: TableId) -> Result<(), StorageError> {
        Ok(())
    }
    /// Applies the mutations atomically: one commitlog record, then the memtables.
    pub fn apply(&self, _mutations: &[Mutation]) -> Result<WriteAck, StorageError> {
        Ok(WriteAck::ready())
    }
    /// The partition merged over memtables and SSTables (tombstones and expired cells included; the
    /// caller purges with `storage_model::purge`).
    pub fn read_partition(&self, _table: TableId, _key: &[u8]) -> Result<Option<Partition>, StorageError> {
        Ok(None)
    }
    /// Partitions with keys in the range, merged, in key order.
    pub fn scan(&self, _table: TableId, _start: Bound<Bytes>, _end: Bound<Bytes>) -> Result<Scan, StorageError> {
        Ok(Box::new(std::iter::empty()))
    }
    /// Flushes every memtable and syncs the commitlog (clean shutdown).
    pub fn shutdown(&self) -> Result<(), StorageError> {
        Ok(())
    }
}
