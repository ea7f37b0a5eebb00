//! Removing what no longer matters: what a read observes ([`live_view`]) and what compaction may forget
//! ([`purge_tombstones`], [`purge_tombstones_with`]).
//!
//! Both start from the canonical form of [`crate::merge::normalize`], which already drops everything a
//! deletion shadows, so a tombstone is only ever forgotten after the data it shadows in the same
//! partition is gone. Data it shadows *elsewhere* (other SSTables, memtables) is protected by
//! [`PurgePolicy::max_purgeable_timestamp`], as in Cassandra: a tombstone is purgeable only if its
//! timestamp is below that of any data not taking part in the compaction.

use crate::merge::{normalize, row_is_empty};
use crate::{Cell, DeletionTime, Partition, Row};

/// What a read at server time `now` (seconds since the epoch) returns: only live data.
///
/// Removes everything shadowed by the partition deletion, a covering range tombstone, the row deletion
/// or a complex deletion; drops tombstone cells, cells expired at `now` (`ttl > 0` and
/// `now >= local_deletion_time`) and expired row liveness; drops rows (and the static row) left with
/// neither a live liveness nor a live cell; clears every deletion and range tombstone. The result may
/// have no rows at all (then the partition does not exist for the read).
pub fn live_view(p: Partition, now: i32) -> Partition {
    let mut p = p;
    normalize(&mut p);
    p.deletion = None;
    p.range_tombstones.clear();
    p.static_row = p.static_row.and_then(|r| live_row(r, now));
    p.rows = std::mem::take(&mut p.rows).into_iter().filter_map(|r| live_row(r, now)).collect();
    p
}

fn live_row(row: Row, now: i32) -> Option<Row> {
    let mut row = row;
    row.deletion = None;
    row.complex_deletions.clear();
    if row.liveness.is_some_and(|l| !l.is_live(now)) {
        row.liveness = None;
    }
    row.cells.retain(|c| c.cell.is_live(now));
    if row.liveness.is_none() && row.cells.is_empty() {
        None
    } else {
        Some(row)
    }
}

/// True when a live view has nothing to return (no static row, no row).
pub fn is_live_empty(p: &Partition) -> bool {
    p.static_row.is_none() && p.rows.is_empty()
}

/// When compaction may forget tombstones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgePolicy {
    /// Server time (seconds since the epoch): cells expired at `now` are tombstones.
    pub now: i32,
    /// Tombstones whose `local_deletion_time` is before this (`now - gc_grace_seconds`) may be purged.
    pub gc_before: i32,
    /// Only tombstones with a timestamp below this may be purged: the smallest timestamp of any data
    /// that could be shadowed and is not part of the compaction (`i64::MAX` when there is none).
    pub max_purgeable_timestamp: i64,
}

impl PurgePolicy {
    fn purgeable(&self, timestamp: i64, local_deletion_time: i32) -> bool {
        timestamp < self.max_purgeable_timestamp && local_deletion_time < self.gc_before
    }

    fn purgeable_deletion(&self, d: DeletionTime) -> bool {
        self.purgeable(d.marked_for_delete_at, d.local_deletion_time)
    }
}

/// [`purge_tombstones_with`] for a compaction that includes every piece of data that a tombstone could
/// shadow, at server time `gc_before` (the most conservative choice of `now`).
pub fn purge_tombstones(p: Partition, gc_before: i32) -> Partition {
    purge_tombstones_with(p, &PurgePolicy { now: gc_before, gc_before, max_purgeable_timestamp: i64::MAX })
}

/// What compaction writes back: the canonical partition without the purgeable tombstones.
///
/// Drops partition deletions, range tombstones, row deletions, complex deletions, tombstone cells and
/// expired row liveness that are purgeable (`local_deletion_time < gc_before` and timestamp below
/// `max_purgeable_timestamp`), together with the data they shadow. A cell expired at `now` counts as a
/// tombstone: it is dropped when purgeable, otherwise it is turned into a tombstone written when the cell
/// was (`local_deletion_time - ttl`), as Cassandra does, and dropped if that is purgeable (unless its
/// timestamp is not below `max_purgeable_timestamp`: then it stays as it is). The result may
/// be empty ([`crate::merge::partition_is_empty`]): compaction then writes nothing for it.
pub fn purge_tombstones_with(p: Partition, policy: &PurgePolicy) -> Partition {
    let mut p = p;
    normalize(&mut p);
    if p.deletion.is_some_and(|d| policy.purgeable_deletion(d)) {
        p.deletion = None;
    }
    p.range_tombstones.retain(|rt| !policy.purgeable_deletion(rt.deletion));
    p.static_row = p.static_row.and_then(|r| purge_row(r, policy));
    p.rows = std::mem::take(&mut p.rows).into_iter().filter_map(|r| purge_row(r, policy)).collect();
    p
}

fn purge_row(row: Row, policy: &PurgePolicy) -> Option<Row> {
    let mut row = row;
    if row.deletion.is_some_and(|d| policy.purgeable_deletion(d)) {
        row.deletion = None;
    }
    row.complex_deletions.retain(|(_, d)| !policy.purgeable_deletion(*d));
    if let Some(l) = row.liveness {
        if !l.is_live(policy.now) && policy.purgeable(l.timestamp, l.local_expiration_time) {
            row.liveness = None;
        }
    }
    let cells = std::mem::take(&mut row.cells);
    row.cells = cells
        .into_iter()
        .filter_map(|mut c| {
            c.cell = purge_cell(c.cell, policy)?;
            Some(c)
        })
        .collect();
    if row_is_empty(&row) {
        None
    } else {
        Some(row)
    }
}

fn purge_cell(cell: Cell, policy: &PurgePolicy) -> Option<Cell> {
    if cell.is_live(policy.now) {
        return Some(cell);
    }
    if policy.purgeable(cell.timestamp, cell.local_deletion_time) {
        return None;
    }
    // Converting is only a space saving; it is skipped when data outside the compaction might hold a
    // version of this cell with the same timestamp, where a tombstone would reconcile differently than
    // the expiring cell it replaces.
    if cell.is_expiring() && cell.timestamp < policy.max_purgeable_timestamp {
        let written_at = cell.local_deletion_time.saturating_sub(cell.ttl);
        if policy.purgeable(cell.timestamp, written_at) {
            return None;
        }
        return Some(Cell::tombstone(cell.timestamp, written_at));
    }
    Some(cell)
}

#[cfg(test)]
mod tests;
