use bytes::Bytes;
use proptest::prelude::*;

use super::*;
use crate::purge::live_view;
use crate::test_support::*;

// ---------------------------------------------------------------------------------------------
// Cell reconciliation
// ---------------------------------------------------------------------------------------------

#[test]
fn reconcile_higher_timestamp_wins() {
    let old = Cell::live(1, b("new-looking value"));
    let new = Cell::live(2, b("a"));
    assert_eq!(reconcile(&old, &new), new);
    assert_eq!(reconcile(&new, &old), new);
}

#[test]
fn reconcile_higher_timestamp_live_cell_beats_older_tombstone() {
    let tomb = Cell::tombstone(1, 100);
    let live = Cell::live(2, b("v"));
    assert_eq!(reconcile(&tomb, &live), live);
}

#[test]
fn reconcile_tombstone_beats_live_cell_on_timestamp_tie() {
    let live = Cell::live(5, b("zzz"));
    let tomb = Cell::tombstone(5, 1);
    assert_eq!(reconcile(&live, &tomb), tomb);
    assert_eq!(reconcile(&tomb, &live), tomb);
}

#[test]
fn reconcile_expiring_cell_beats_regular_cell_on_timestamp_tie() {
    let regular = Cell::live(5, b("zzz"));
    let expiring = Cell::expiring(5, 10, 100, b("a"));
    assert_eq!(reconcile(&regular, &expiring), expiring);
    assert_eq!(reconcile(&expiring, &regular), expiring);
}

#[test]
fn reconcile_tombstone_beats_expiring_cell_on_timestamp_tie() {
    let expiring = Cell::expiring(5, 10, 1000, b("a"));
    let tomb = Cell::tombstone(5, 1);
    assert_eq!(reconcile(&expiring, &tomb), tomb);
    assert_eq!(reconcile(&tomb, &expiring), tomb);
}

#[test]
fn reconcile_later_expiration_wins_between_expiring_cells_on_timestamp_tie() {
    let short = Cell::expiring(5, 10, 100, b("zzz"));
    let long = Cell::expiring(5, 20, 100, b("a"));
    assert_eq!(reconcile(&short, &long), long);
    assert_eq!(reconcile(&long, &short), long);
}

#[test]
fn reconcile_later_local_deletion_time_wins_between_tombstones_on_timestamp_tie() {
    let early = Cell::tombstone(5, 100);
    let late = Cell::tombstone(5, 200);
    assert_eq!(reconcile(&early, &late), late);
}

#[test]
fn reconcile_greater_value_wins_between_regular_cells_on_timestamp_tie() {
    let small = Cell::live(5, b("a"));
    let big = Cell::live(5, b("b"));
    assert_eq!(reconcile(&small, &big), big);
    assert_eq!(reconcile(&big, &small), big);
}

proptest! {
    #[test]
    fn reconcile_is_commutative(x in arb_cell(), y in arb_cell()) {
        prop_assert_eq!(reconcile(&x, &y), reconcile(&y, &x));
    }

    #[test]
    fn reconcile_is_associative(x in arb_cell(), y in arb_cell(), z in arb_cell()) {
        prop_assert_eq!(reconcile(&reconcile(&x, &y), &z), reconcile(&x, &reconcile(&y, &z)));
    }

    #[test]
    fn reconcile_is_idempotent(x in arb_cell()) {
        prop_assert_eq!(reconcile(&x, &x), x);
    }

    #[test]
    fn reconcile_returns_one_of_its_inputs(x in arb_cell(), y in arb_cell()) {
        let r = reconcile(&x, &y);
        prop_assert!(r == x || r == y);
    }
}

// ---------------------------------------------------------------------------------------------
// Liveness
// ---------------------------------------------------------------------------------------------

#[test]
fn liveness_with_higher_timestamp_supersedes() {
    let a = LivenessInfo { timestamp: 1, ttl: 100, local_expiration_time: 1000 };
    let b = LivenessInfo { timestamp: 2, ttl: 0, local_expiration_time: crate::NO_DELETION_TIME };
    assert_eq!(merge_liveness(a, b), b);
    assert_eq!(merge_liveness(b, a), b);
}

#[test]
fn expiring_liveness_supersedes_non_expiring_on_timestamp_tie() {
    let plain = LivenessInfo { timestamp: 1, ttl: 0, local_expiration_time: crate::NO_DELETION_TIME };
    let expiring = LivenessInfo { timestamp: 1, ttl: 10, local_expiration_time: 50 };
    assert_eq!(merge_liveness(plain, expiring), expiring);
    assert_eq!(merge_liveness(expiring, plain), expiring);
}

#[test]
fn later_expiration_supersedes_between_expiring_liveness_on_timestamp_tie() {
    let early = LivenessInfo { timestamp: 1, ttl: 10, local_expiration_time: 50 };
    let late = LivenessInfo { timestamp: 1, ttl: 10, local_expiration_time: 60 };
    assert_eq!(merge_liveness(early, late), late);
}

// ---------------------------------------------------------------------------------------------
// Partition merge
// ---------------------------------------------------------------------------------------------

#[test]
fn merged_partition_deletion_is_the_later_one() {
    let mut a = partition(vec![]);
    a.deletion = Some(dt(5, 1));
    let mut c = partition(vec![]);
    c.deletion = Some(dt(7, 1));
    assert_eq!(merge_partitions(a.clone(), c.clone()).deletion, Some(dt(7, 1)));
    assert_eq!(merge_partitions(c, a).deletion, Some(dt(7, 1)));
}

#[test]
fn rows_are_merged_by_clustering_and_stay_sorted() {
    let a = partition(vec![row("a", vec![cell("x", 1, "1")]), row("c", vec![cell("x", 1, "3")])]);
    let c = partition(vec![row("b", vec![cell("x", 1, "2")]), row("c", vec![cell("y", 1, "4")])]);
    let m = merge_partitions(a, c);
    let keys: Vec<&[u8]> = m.rows.iter().map(|r| r.clustering.as_ref()).collect();
    assert_eq!(keys, vec![&b"a"[..], b"b", b"c"]);
    assert_eq!(m.rows[2].cells.len(), 2);
}

#[test]
fn cells_are_reconciled_per_column_and_path() {
    let a = partition(vec![row("r", vec![cell("x", 1, "old"), path_cell("m", "k1", 3, "a")])]);
    let c = partition(vec![row(
        "r",
        vec![cell("x", 2, "new"), path_cell("m", "k1", 1, "b"), path_cell("m", "k2", 1, "c")],
    )]);
    let m = merge_partitions(a, c);
    let r = &m.rows[0];
    assert_eq!(r.cells.len(), 3);
    assert_eq!(r.cells[0].cell.value, Some(b("a")));
    assert_eq!(r.cells[1].cell.value, Some(b("c")));
    assert_eq!(r.cells[2].cell.value, Some(b("new")));
}

#[test]
fn row_deletion_shadows_older_cells_and_liveness_of_the_row() {
    let mut old = row("r", vec![cell("x", 1, "v"), cell("y", 3, "w")]);
    old.liveness = Some(LivenessInfo { timestamp: 1, ttl: 0, local_expiration_time: crate::NO_DELETION_TIME });
    let mut del = row("r", vec![]);
    del.deletion = Some(dt(2, 10));
    let m = merge_partitions(partition(vec![old]), partition(vec![del]));
    let r = &m.rows[0];
    assert_eq!(r.liveness, None);
    assert_eq!(r.deletion, Some(dt(2, 10)));
    assert_eq!(r.cells.len(), 1);
    assert_eq!(r.cells[0].column, b("y"));
}

#[test]
fn merged_row_deletion_is_the_later_one() {
    let mut a = row("r", vec![]);
    a.deletion = Some(dt(2, 10));
    let mut b_row = row("r", vec![]);
    b_row.deletion = Some(dt(4, 10));
    let m = merge_partitions(partition(vec![a]), partition(vec![b_row]));
    assert_eq!(m.rows[0].deletion, Some(dt(4, 10)));
}

#[test]
fn complex_deletion_shadows_only_older_cells_of_its_column() {
    let data = row("r", vec![path_cell("m", "k1", 1, "a"), path_cell("m", "k2", 3, "b"), cell("x", 1, "c")]);
    let mut del = row("r", vec![]);
    del.complex_deletions = vec![(b("m"), dt(2, 10))];
    let m = merge_partitions(partition(vec![data]), partition(vec![del]));
    let r = &m.rows[0];
    let kept: Vec<(Bytes, Option<Bytes>)> = r.cells.iter().map(|c| (c.column.clone(), c.path.clone())).collect();
    assert_eq!(kept, vec![(b("m"), Some(b("k2"))), (b("x"), None)]);
    assert_eq!(r.complex_deletions, vec![(b("m"), dt(2, 10))]);
}

#[test]
fn merged_complex_deletion_is_the_later_one_per_column() {
    let mut a = row("r", vec![]);
    a.complex_deletions = vec![(b("m"), dt(2, 10)), (b("n"), dt(5, 10))];
    let mut c = row("r", vec![]);
    c.complex_deletions = vec![(b("m"), dt(3, 10))];
    let m = merge_partitions(partition(vec![a]), partition(vec![c]));
    assert_eq!(m.rows[0].complex_deletions, vec![(b("m"), dt(3, 10)), (b("n"), dt(5, 10))]);
}

#[test]
fn static_rows_are_merged() {
    let mut a = partition(vec![]);
    a.static_row = Some(row("", vec![cell("s", 1, "old"), cell("t", 1, "t")]));
    let mut c = partition(vec![]);
    c.static_row = Some(row("", vec![cell("s", 2, "new")]));
    let m = merge_partitions(a, c);
    let s = m.static_row.unwrap();
    assert_eq!(s.cells.len(), 2);
    assert_eq!(s.cells[0].cell.value, Some(b("new")));
}

#[test]
fn partition_deletion_drops_older_rows_cells_and_static_cells() {
    let mut data = partition(vec![row("a", vec![cell("x", 1, "v")]), row("b", vec![cell("x", 9, "w")])]);
    data.static_row = Some(row("", vec![cell("s", 1, "v")]));
    let mut del = partition(vec![]);
    del.deletion = Some(dt(5, 10));
    let m = merge_partitions(data, del);
    assert_eq!(m.static_row, None);
    assert_eq!(m.rows.len(), 1);
    assert_eq!(m.rows[0].clustering, b("b"));
}

#[test]
fn range_tombstone_drops_older_rows_inside_its_range_only() {
    let data = partition(vec![
        row("a", vec![cell("x", 1, "v")]),
        row("b", vec![cell("x", 1, "v")]),
        row("c", vec![cell("x", 1, "v")]),
    ]);
    let mut del = partition(vec![]);
    del.range_tombstones = vec![rt("b", Some("c"), 5)];
    let m = merge_partitions(data, del);
    let keys: Vec<Bytes> = m.rows.iter().map(|r| r.clustering.clone()).collect();
    assert_eq!(keys, vec![b("a"), b("c")]);
}

#[test]
fn range_tombstone_with_open_end_covers_everything_after_its_start() {
    let data = partition(vec![row("a", vec![cell("x", 1, "v")]), row("zzz", vec![cell("x", 1, "v")])]);
    let mut del = partition(vec![]);
    del.range_tombstones = vec![rt("b", None, 5)];
    let m = merge_partitions(data, del);
    assert_eq!(m.rows.len(), 1);
    assert_eq!(m.rows[0].clustering, b("a"));
}

#[test]
fn overlapping_range_tombstones_become_disjoint_with_the_later_deletion_on_the_overlap() {
    let mut p = partition(vec![]);
    p.range_tombstones = vec![rt("a", Some("d"), 5), rt("b", Some("f"), 7)];
    let m = merge_partitions(p, partition(vec![]));
    assert_eq!(m.range_tombstones, vec![rt("a", Some("b"), 5), rt("b", Some("f"), 7)]);
}

#[test]
fn a_later_range_tombstone_inside_an_older_one_splits_it() {
    let mut a = partition(vec![]);
    a.range_tombstones = vec![rt("a", Some("z"), 5)];
    let mut c = partition(vec![]);
    c.range_tombstones = vec![rt("c", Some("d"), 9)];
    let m = merge_partitions(a, c);
    assert_eq!(m.range_tombstones, vec![rt("a", Some("c"), 5), rt("c", Some("d"), 9), rt("d", Some("z"), 5)]);
}

#[test]
fn an_older_range_tombstone_inside_a_later_one_disappears() {
    let mut a = partition(vec![]);
    a.range_tombstones = vec![rt("a", None, 9)];
    let mut c = partition(vec![]);
    c.range_tombstones = vec![rt("c", Some("d"), 5)];
    let m = merge_partitions(a, c);
    assert_eq!(m.range_tombstones, vec![rt("a", None, 9)]);
}

#[test]
fn adjacent_range_tombstones_with_the_same_deletion_coalesce() {
    let mut p = partition(vec![]);
    p.range_tombstones = vec![rt("c", Some("e"), 5), rt("a", Some("c"), 5)];
    let m = merge_partitions(p, partition(vec![]));
    assert_eq!(m.range_tombstones, vec![rt("a", Some("e"), 5)]);
}

#[test]
fn empty_range_tombstones_are_dropped() {
    let mut p = partition(vec![]);
    p.range_tombstones = vec![rt("c", Some("c"), 5), rt("d", Some("a"), 5)];
    assert_eq!(merge_partitions(p, partition(vec![])).range_tombstones, vec![]);
}

#[test]
fn range_tombstones_shadowed_by_the_partition_deletion_are_dropped() {
    let mut p = partition(vec![]);
    p.deletion = Some(dt(6, 1));
    p.range_tombstones = vec![rt("a", Some("c"), 5), rt("x", Some("y"), 7)];
    assert_eq!(merge_partitions(p, partition(vec![])).range_tombstones, vec![rt("x", Some("y"), 7)]);
}

#[test]
fn row_deletion_shadowed_by_a_range_tombstone_is_dropped() {
    let mut r = row("b", vec![]);
    r.deletion = Some(dt(3, 1));
    let mut p = partition(vec![r]);
    p.range_tombstones = vec![rt("a", Some("c"), 5)];
    assert!(merge_partitions(p, partition(vec![])).rows.is_empty());
}

#[test]
fn newer_data_survives_an_older_deletion_merged_later() {
    let data = partition(vec![row("a", vec![cell("x", 10, "v")])]);
    let mut del = partition(vec![]);
    del.deletion = Some(dt(5, 1));
    del.range_tombstones = vec![rt("a", Some("b"), 6)];
    let m = merge_partitions(del, data);
    assert_eq!(m.rows.len(), 1);
    assert_eq!(m.rows[0].cells[0].cell.value, Some(b("v")));
}

#[test]
fn unsorted_rows_and_cells_are_sorted_and_deduplicated() {
    let p = partition(vec![
        row("b", vec![cell("y", 1, "1"), cell("x", 1, "2")]),
        row("a", vec![cell("x", 1, "3")]),
        row("b", vec![cell("x", 2, "4")]),
    ]);
    let m = merge_partitions(p, partition(vec![]));
    assert_eq!(m.rows.len(), 2);
    assert_eq!(m.rows[1].cells.len(), 2);
    assert_eq!(m.rows[1].cells[0].column, b("x"));
    assert_eq!(m.rows[1].cells[0].cell.value, Some(b("4")));
}

#[test]
fn merge_into_a_large_partition_inserts_a_single_row_in_order() {
    let rows: Vec<Row> = (0..100u8).map(|i| row_bytes(vec![i * 2], vec![cell("x", 1, "v")])).collect();
    let mut target = merge_partitions(partition(rows), partition(vec![]));
    merge_into(&mut target, partition(vec![row_bytes(vec![51], vec![cell("x", 1, "new")])]));
    assert_eq!(target.rows.len(), 101);
    assert!(target.rows.windows(2).all(|w| w[0].clustering < w[1].clustering));
    merge_into(&mut target, partition(vec![row_bytes(vec![52], vec![cell("x", 2, "newer")])]));
    assert_eq!(target.rows.len(), 101);
    let r = target.rows.iter().find(|r| r.clustering.as_ref() == [52]).unwrap();
    assert_eq!(r.cells[0].cell.value, Some(b("newer")));
}

// ---------------------------------------------------------------------------------------------
// Properties of partition merge
// ---------------------------------------------------------------------------------------------

fn merged(a: &Partition, b: &Partition) -> Partition {
    merge_partitions(a.clone(), b.clone())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn merge_is_commutative(a in arb_partition(), c in arb_partition()) {
        prop_assert_eq!(merged(&a, &c), merged(&c, &a));
    }

    #[test]
    fn merge_is_associative(a in arb_partition(), c in arb_partition(), d in arb_partition()) {
        prop_assert_eq!(merged(&merged(&a, &c), &d), merged(&a, &merged(&c, &d)));
    }

    #[test]
    fn merge_is_commutative_and_associative_on_the_live_view(
        a in arb_partition(), c in arb_partition(), d in arb_partition(), now in 0i32..8
    ) {
        let left = live_view(merged(&merged(&a, &c), &d), now);
        let right = live_view(merged(&a, &merged(&d, &c)), now);
        prop_assert_eq!(left, right);
    }

    #[test]
    fn merge_is_idempotent(a in arb_partition()) {
        let once = merged(&a, &partition(vec![]));
        prop_assert_eq!(merged(&once, &once), once);
    }

    #[test]
    fn merge_into_equals_merge_partitions(a in arb_partition(), c in arb_partition()) {
        let mut target = merged(&a, &partition(vec![]));
        merge_into(&mut target, c.clone());
        prop_assert_eq!(target, merged(&a, &c));
    }

    #[test]
    fn merged_range_tombstones_are_canonical(a in arb_partition(), c in arb_partition()) {
        let m = merged(&a, &c);
        prop_assert!(range_tombstones_canonical(&m.range_tombstones, m.deletion));
    }

    #[test]
    fn merged_range_tombstones_cover_each_point_with_the_latest_deletion(
        a in arb_partition(), c in arb_partition()
    ) {
        let m = merged(&a, &c);
        for point in all_clusterings() {
            let expected = a.range_tombstones.iter().chain(c.range_tombstones.iter())
                .filter(|rt| rt.start <= point && rt.end.as_ref().is_none_or(|e| point < *e))
                .map(|rt| rt.deletion)
                .reduce(DeletionTime::max)
                .filter(|d| !shadows(m.deletion, d.marked_for_delete_at));
            let actual = covering_range_tombstone(&m.range_tombstones, &point).map(|rt| rt.deletion);
            prop_assert_eq!(actual, expected, "at {:?}", point);
        }
    }
}
