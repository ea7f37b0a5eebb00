//! The data model the storage engine stores: partitions of rows of cells, with timestamps, TTLs and
//! tombstones, and the rules that reconcile two versions of the same data (Cassandra's `Cells.reconcile`).
//!
//! Owns: [`Mutation`], [`Partition`], [`Row`], [`Cell`], [`DeletionTime`], [`RangeTombstone`],
//! reconciliation and merging ([`merge`]), purging of shadowed and expired data ([`purge`]), and the
//! versioned binary encoding shared by the commitlog and SSTables ([`codec`]).
//!
//! Must not know about: CQL types or schemas. Keys are opaque byte strings that sort by `memcmp`:
//! partition keys are `token (8 bytes, sign-flipped big-endian) ∥ serialized key` and clustering keys
//! are byte-comparable encodings produced by the query layer. Column names are opaque byte strings.

pub mod codec;
pub mod merge;
pub mod purge;
#[cfg(test)]
mod test_support;

use bytes::Bytes;
use uuid::Uuid;

/// Identifies a table for its whole life; a table dropped and created again gets a new id.
pub type TableId = Uuid;

/// `local_deletion_time` of data that is neither deleted nor expiring.
pub const NO_DELETION_TIME: i32 = i32::MAX;

/// A deletion: everything with a timestamp `<= marked_for_delete_at` is shadowed.
/// `local_deletion_time` is the server time (seconds since the epoch) when it was written, used for gc_grace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeletionTime {
    pub marked_for_delete_at: i64,
    pub local_deletion_time: i32,
}

impl DeletionTime {
    /// True when this deletion shadows data written at `timestamp`.
    pub fn deletes(&self, timestamp: i64) -> bool {
        timestamp <= self.marked_for_delete_at
    }
    /// The later of two deletions (higher timestamp, then higher local deletion time).
    pub fn max(self, other: DeletionTime) -> DeletionTime {
        if (other.marked_for_delete_at, other.local_deletion_time)
            > (self.marked_for_delete_at, self.local_deletion_time)
        {
            other
        } else {
            self
        }
    }
}

/// One cell: a value (or a tombstone) with its write timestamp in microseconds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cell {
    pub timestamp: i64,
    /// Seconds; 0 when the cell does not expire.
    pub ttl: i32,
    /// For a tombstone, when it was written; for an expiring cell, when it expires (seconds since the
    /// epoch); [`NO_DELETION_TIME`] otherwise.
    pub local_deletion_time: i32,
    /// `None` for a tombstone.
    pub value: Option<Bytes>,
}

impl Cell {
    /// A live, non-expiring cell.
    pub fn live(timestamp: i64, value: Bytes) -> Cell {
        Cell { timestamp, ttl: 0, local_deletion_time: NO_DELETION_TIME, value: Some(value) }
    }
    /// A live cell that expires `ttl` seconds after `now`.
    pub fn expiring(timestamp: i64, ttl: i32, now: i32, value: Bytes) -> Cell {
        // Capped below NO_DELETION_TIME, as Cassandra caps expirations past its maximum date.
        Cell {
            timestamp,
            ttl,
            local_deletion_time: now.saturating_add(ttl).min(NO_DELETION_TIME - 1),
            value: Some(value),
        }
    }
    /// A tombstone written at server time `now`.
    pub fn tombstone(timestamp: i64, now: i32) -> Cell {
        Cell { timestamp, ttl: 0, local_deletion_time: now, value: None }
    }
    pub fn is_tombstone(&self) -> bool {
        self.value.is_none()
    }
    pub fn is_expiring(&self) -> bool {
        self.ttl > 0 && self.value.is_some()
    }
    /// Live at server time `now`: not a tombstone and not expired.
    pub fn is_live(&self, now: i32) -> bool {
        match self.value {
            None => false,
            Some(_) => self.ttl == 0 || now < self.local_deletion_time,
        }
    }
}

/// A cell of a row: which column (and, for multi-cell collections and UDTs, which element).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ColumnCell {
    /// The column's name as opaque bytes.
    pub column: Bytes,
    /// The element's key for non-frozen collections/UDTs (list: a timeuuid, set: the element,
    /// map: the key, UDT: the field index); `None` for simple columns.
    pub path: Option<Bytes>,
    pub cell: Cell,
}

/// The primary key liveness of a row (the "row marker" an INSERT writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LivenessInfo {
    pub timestamp: i64,
    /// Seconds; 0 when not expiring.
    pub ttl: i32,
    /// When it expires (seconds since the epoch), or [`NO_DELETION_TIME`].
    pub local_expiration_time: i32,
}

impl LivenessInfo {
    pub fn is_live(&self, now: i32) -> bool {
        self.ttl == 0 || now < self.local_expiration_time
    }
}

/// A row, identified within its partition by its clustering key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Row {
    /// Byte-comparable clustering key; empty for tables without clustering columns and for the static row.
    pub clustering: Bytes,
    pub liveness: Option<LivenessInfo>,
    pub deletion: Option<DeletionTime>,
    /// Sorted by `(column, path)`, at most one cell per `(column, path)`.
    pub cells: Vec<ColumnCell>,
    /// Whole-collection deletions of multi-cell columns, sorted by column, at most one per column.
    pub complex_deletions: Vec<(Bytes, DeletionTime)>,
}

/// Deletes every row whose clustering key `k` satisfies `start <= k < end` (memcmp), with
/// `end = None` meaning unbounded. Inclusive/exclusive CQL bounds are translated into this half-open
/// byte range by the query layer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RangeTombstone {
    pub start: Bytes,
    pub end: Option<Bytes>,
    pub deletion: DeletionTime,
}

/// A partition, or an update to one: everything about one partition key in one place.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Partition {
    /// `token ∥ serialized partition key`.
    pub key: Bytes,
    pub deletion: Option<DeletionTime>,
    /// Not overlapping after [`merge`]; sorted by `start`.
    pub range_tombstones: Vec<RangeTombstone>,
    pub static_row: Option<Row>,
    /// Sorted by clustering key, unique.
    pub rows: Vec<Row>,
}

/// A write to one partition of one table. A batch is a slice of mutations applied atomically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutation {
    pub table: TableId,
    pub partition: Partition,
}

/// Errors of decoding stored data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    #[error("corrupt encoding: {0}")]
    Corrupt(String),
    #[error("unsupported encoding version {0}")]
    UnsupportedVersion(u8),
}

#[cfg(test)]
#[test]
fn an_expiry_past_the_last_representable_time_is_capped_and_still_expires() {
    let cell = Cell::expiring(1, 630_720_000, i32::MAX - 100, Bytes::from_static(b"v"));
    assert_eq!(cell.local_deletion_time, NO_DELETION_TIME - 1);
    assert!(cell.is_live(i32::MAX - 2) && !cell.is_live(NO_DELETION_TIME - 1));
}
