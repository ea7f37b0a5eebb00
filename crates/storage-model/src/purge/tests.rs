use proptest::prelude::*;

use super::*;
use crate::merge::{merge_partitions, partition_is_empty};
use crate::test_support::*;
use crate::{ColumnCell, LivenessInfo, NO_DELETION_TIME};

fn marker(timestamp: i64) -> LivenessInfo {
    LivenessInfo { timestamp, ttl: 0, local_expiration_time: NO_DELETION_TIME }
}

fn values(p: &Partition) -> Vec<(String, String)> {
    p.rows
        .iter()
        .flat_map(|r| {
            r.cells.iter().map(move |c| {
                (
                    String::from_utf8_lossy(&r.clustering).into_owned(),
                    String::from_utf8_lossy(c.cell.value.as_deref().unwrap_or(b"<tombstone>")).into_owned(),
                )
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// live_view
// ---------------------------------------------------------------------------------------------

#[test]
fn live_view_keeps_live_cells() {
    let p = partition(vec![row("a", vec![cell("x", 1, "v")])]);
    assert_eq!(values(&live_view(p, 100)), vec![("a".into(), "v".into())]);
}

#[test]
fn live_view_drops_data_shadowed_by_the_partition_deletion() {
    let mut p = partition(vec![row("a", vec![cell("x", 1, "old")]), row("b", vec![cell("x", 9, "new")])]);
    p.static_row = Some(row("", vec![cell("s", 1, "old")]));
    p.deletion = Some(dt(5, 1));
    let v = live_view(p, 100);
    assert_eq!(values(&v), vec![("b".into(), "new".into())]);
    assert_eq!(v.static_row, None);
    assert_eq!(v.deletion, None);
}

#[test]
fn live_view_drops_rows_under_a_covering_range_tombstone() {
    let mut p = partition(vec![row("a", vec![cell("x", 1, "v")]), row("c", vec![cell("x", 1, "w")])]);
    p.range_tombstones = vec![rt("b", None, 5)];
    let v = live_view(p, 100);
    assert_eq!(values(&v), vec![("a".into(), "v".into())]);
    assert!(v.range_tombstones.is_empty());
}

#[test]
fn live_view_drops_cells_and_liveness_shadowed_by_the_row_deletion() {
    let mut r = row("a", vec![cell("x", 1, "old"), cell("y", 7, "new")]);
    r.liveness = Some(marker(1));
    r.deletion = Some(dt(5, 1));
    let v = live_view(partition(vec![r]), 100);
    assert_eq!(v.rows.len(), 1);
    assert_eq!(v.rows[0].liveness, None);
    assert_eq!(v.rows[0].deletion, None);
    assert_eq!(values(&v), vec![("a".into(), "new".into())]);
}

#[test]
fn live_view_drops_cells_shadowed_by_a_complex_deletion_of_their_column() {
    let mut r = row("a", vec![path_cell("m", "k", 1, "old"), path_cell("m", "l", 9, "new"), cell("x", 1, "x")]);
    r.complex_deletions = vec![(b("m"), dt(5, 1))];
    let v = live_view(partition(vec![r]), 100);
    assert_eq!(values(&v), vec![("a".into(), "new".into()), ("a".into(), "x".into())]);
    assert!(v.rows[0].complex_deletions.is_empty());
}

#[test]
fn live_view_drops_tombstone_cells() {
    let r = row("a", vec![ColumnCell { column: b("x"), path: None, cell: Cell::tombstone(1, 1) }, cell("y", 1, "v")]);
    let v = live_view(partition(vec![r]), 100);
    assert_eq!(values(&v), vec![("a".into(), "v".into())]);
}

#[test]
fn live_view_drops_cells_expired_at_now() {
    let expiring = ColumnCell { column: b("x"), path: None, cell: Cell::expiring(1, 10, 100, b("e")) };
    let p = partition(vec![row("a", vec![expiring, cell("y", 1, "v")])]);
    assert_eq!(values(&live_view(p.clone(), 109)).len(), 2);
    assert_eq!(values(&live_view(p, 110)), vec![("a".into(), "v".into())]);
}

#[test]
fn live_view_drops_expired_liveness() {
    let mut r = row("a", vec![cell("y", 1, "v")]);
    r.liveness = Some(LivenessInfo { timestamp: 1, ttl: 10, local_expiration_time: 110 });
    let p = partition(vec![r]);
    assert!(live_view(p.clone(), 109).rows[0].liveness.is_some());
    assert_eq!(live_view(p, 110).rows[0].liveness, None);
}

#[test]
fn live_view_keeps_a_row_with_only_a_live_liveness() {
    let mut r = row("a", vec![]);
    r.liveness = Some(marker(1));
    assert_eq!(live_view(partition(vec![r]), 100).rows.len(), 1);
}

#[test]
fn live_view_drops_a_row_with_neither_live_liveness_nor_live_cell() {
    let mut r = row("a", vec![ColumnCell { column: b("x"), path: None, cell: Cell::tombstone(1, 1) }]);
    r.liveness = Some(LivenessInfo { timestamp: 1, ttl: 10, local_expiration_time: 50 });
    let v = live_view(partition(vec![r]), 100);
    assert!(v.rows.is_empty());
    assert!(is_live_empty(&v));
}

#[test]
fn live_view_drops_a_static_row_without_live_cells() {
    let mut p = partition(vec![]);
    p.static_row = Some(row("", vec![ColumnCell { column: b("s"), path: None, cell: Cell::tombstone(1, 1) }]));
    assert_eq!(live_view(p, 100).static_row, None);
}

proptest! {
    #[test]
    fn live_view_contains_no_deletion_and_nothing_dead(p in arb_partition(), now in 0i32..8) {
        let v = live_view(p, now);
        prop_assert!(v.deletion.is_none() && v.range_tombstones.is_empty());
        for r in v.rows.iter().chain(v.static_row.iter()) {
            prop_assert!(r.deletion.is_none() && r.complex_deletions.is_empty());
            prop_assert!(r.cells.iter().all(|c| c.cell.is_live(now)));
            prop_assert!(r.liveness.is_none_or_live(now));
            prop_assert!(r.liveness.is_some() || !r.cells.is_empty());
        }
    }

    #[test]
    fn live_view_is_idempotent(p in arb_partition(), now in 0i32..8) {
        let once = live_view(p, now);
        prop_assert_eq!(live_view(once.clone(), now), once);
    }
}

trait LivenessExt {
    fn is_none_or_live(&self, now: i32) -> bool;
}

impl LivenessExt for Option<LivenessInfo> {
    fn is_none_or_live(&self, now: i32) -> bool {
        self.is_none_or(|l| l.is_live(now))
    }
}

// ---------------------------------------------------------------------------------------------
// purge_tombstones
// ---------------------------------------------------------------------------------------------

#[test]
fn purge_drops_a_partition_deletion_older_than_gc_before_and_what_it_shadows() {
    let mut p = partition(vec![row("a", vec![cell("x", 1, "v")])]);
    p.deletion = Some(dt(5, 10));
    let purged = purge_tombstones(p, 11);
    assert!(partition_is_empty(&purged));
}

#[test]
fn purge_keeps_a_partition_deletion_not_older_than_gc_before() {
    let mut p = partition(vec![]);
    p.deletion = Some(dt(5, 10));
    assert_eq!(purge_tombstones(p, 10).deletion, Some(dt(5, 10)));
}

#[test]
fn purge_drops_old_range_tombstones_and_keeps_recent_ones() {
    let mut p = partition(vec![]);
    p.range_tombstones =
        vec![RangeTombstoneBuilder::new("a", "b", 5, 10).build(), RangeTombstoneBuilder::new("c", "d", 5, 20).build()];
    let purged = purge_tombstones(p, 15);
    assert_eq!(purged.range_tombstones, vec![RangeTombstoneBuilder::new("c", "d", 5, 20).build()]);
}

#[test]
fn purge_drops_old_row_deletions_and_the_rows_they_emptied() {
    let mut r = row("a", vec![cell("x", 1, "v")]);
    r.deletion = Some(dt(5, 10));
    assert!(purge_tombstones(partition(vec![r]), 11).rows.is_empty());
}

#[test]
fn purge_drops_old_complex_deletions() {
    let mut r = row("a", vec![path_cell("m", "k", 9, "v")]);
    r.complex_deletions = vec![(b("m"), dt(5, 10))];
    let purged = purge_tombstones(partition(vec![r]), 11);
    assert!(purged.rows[0].complex_deletions.is_empty());
    assert_eq!(purged.rows[0].cells.len(), 1);
}

#[test]
fn purge_drops_old_tombstone_cells_and_keeps_recent_ones() {
    let r = row(
        "a",
        vec![
            ColumnCell { column: b("x"), path: None, cell: Cell::tombstone(1, 10) },
            ColumnCell { column: b("y"), path: None, cell: Cell::tombstone(1, 20) },
        ],
    );
    let purged = purge_tombstones(partition(vec![r]), 15);
    assert_eq!(purged.rows[0].cells.len(), 1);
    assert_eq!(purged.rows[0].cells[0].column, b("y"));
}

#[test]
fn purge_drops_expired_cells_written_before_gc_before() {
    // Written at 10, expired at 20.
    let c = ColumnCell { column: b("x"), path: None, cell: Cell::expiring(1, 10, 10, b("v")) };
    let policy = PurgePolicy { now: 30, gc_before: 11, max_purgeable_timestamp: i64::MAX };
    assert!(purge_tombstones_with(partition(vec![row("a", vec![c])]), &policy).rows.is_empty());
}

#[test]
fn purge_turns_expired_cells_not_yet_purgeable_into_tombstones_written_with_the_cell() {
    let c = ColumnCell { column: b("x"), path: None, cell: Cell::expiring(1, 10, 10, b("v")) };
    let policy = PurgePolicy { now: 30, gc_before: 5, max_purgeable_timestamp: i64::MAX };
    let purged = purge_tombstones_with(partition(vec![row("a", vec![c])]), &policy);
    assert_eq!(purged.rows[0].cells[0].cell, Cell::tombstone(1, 10));
}

#[test]
fn purge_keeps_expiring_cells_that_are_still_live() {
    let c = ColumnCell { column: b("x"), path: None, cell: Cell::expiring(1, 100, 10, b("v")) };
    let policy = PurgePolicy { now: 30, gc_before: 25, max_purgeable_timestamp: i64::MAX };
    let purged = purge_tombstones_with(partition(vec![row("a", vec![c.clone()])]), &policy);
    assert_eq!(purged.rows[0].cells, vec![c]);
}

#[test]
fn purge_drops_expired_liveness_older_than_gc_before() {
    let mut r = row("a", vec![]);
    r.liveness = Some(LivenessInfo { timestamp: 1, ttl: 10, local_expiration_time: 20 });
    let policy = PurgePolicy { now: 30, gc_before: 21, max_purgeable_timestamp: i64::MAX };
    assert!(purge_tombstones_with(partition(vec![r.clone()]), &policy).rows.is_empty());
    let policy = PurgePolicy { now: 30, gc_before: 20, max_purgeable_timestamp: i64::MAX };
    assert_eq!(purge_tombstones_with(partition(vec![r]), &policy).rows.len(), 1);
}

#[test]
fn purge_keeps_tombstones_that_may_shadow_data_outside_the_compaction() {
    let mut p = partition(vec![]);
    p.deletion = Some(dt(5, 10));
    let policy = PurgePolicy { now: 100, gc_before: 100, max_purgeable_timestamp: 5 };
    assert_eq!(purge_tombstones_with(p.clone(), &policy).deletion, Some(dt(5, 10)));
    let policy = PurgePolicy { now: 100, gc_before: 100, max_purgeable_timestamp: 6 };
    assert_eq!(purge_tombstones_with(p, &policy).deletion, None);
}

#[test]
fn purge_keeps_live_data() {
    let p = partition(vec![row("a", vec![cell("x", 1, "v")])]);
    assert_eq!(purge_tombstones(p.clone(), i32::MAX), merge_partitions(p, partition(vec![])));
}

proptest! {
    #[test]
    fn purging_does_not_change_the_live_view(p in arb_partition(), gc_before in 0i32..8, extra in 0i32..4) {
        let now = gc_before + extra;
        let policy = PurgePolicy { now, gc_before, max_purgeable_timestamp: i64::MAX };
        prop_assert_eq!(live_view(purge_tombstones_with(p.clone(), &policy), now), live_view(p, now));
    }

    #[test]
    fn purging_with_newer_data_elsewhere_keeps_the_merged_live_view(
        p in arb_partition(), other in arb_partition(), gc_before in 0i32..8, extra in 0i32..4
    ) {
        // `other` holds data outside the compaction; only tombstones older than all of it may go.
        let now = gc_before + extra;
        let min_ts = min_timestamp(&other);
        let policy = PurgePolicy { now, gc_before, max_purgeable_timestamp: min_ts };
        let purged = purge_tombstones_with(p.clone(), &policy);
        prop_assert_eq!(
            live_view(merge_partitions(purged, other.clone()), now),
            live_view(merge_partitions(p, other), now)
        );
    }
}

fn min_timestamp(p: &Partition) -> i64 {
    let mut ts = vec![];
    ts.extend(p.deletion.map(|d| d.marked_for_delete_at));
    ts.extend(p.range_tombstones.iter().map(|r| r.deletion.marked_for_delete_at));
    for r in p.rows.iter().chain(p.static_row.iter()) {
        ts.extend(r.liveness.map(|l| l.timestamp));
        ts.extend(r.deletion.map(|d| d.marked_for_delete_at));
        ts.extend(r.cells.iter().map(|c| c.cell.timestamp));
        ts.extend(r.complex_deletions.iter().map(|(_, d)| d.marked_for_delete_at));
    }
    ts.into_iter().min().unwrap_or(i64::MAX)
}

struct RangeTombstoneBuilder(crate::RangeTombstone);

impl RangeTombstoneBuilder {
    fn new(start: &str, end: &str, marked_for_delete_at: i64, local_deletion_time: i32) -> Self {
        RangeTombstoneBuilder(crate::RangeTombstone {
            start: b(start),
            end: Some(b(end)),
            deletion: dt(marked_for_delete_at, local_deletion_time),
        })
    }
    fn build(self) -> crate::RangeTombstone {
        self.0
    }
}
