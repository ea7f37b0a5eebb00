use std::ops::Bound;
use std::sync::Arc;

use bytes::Bytes;
use proptest::prelude::*;
use storage_model::merge::merge_partitions;
use storage_model::{Cell, ColumnCell, DeletionTime, Partition, RangeTombstone, Row};

use super::*;

fn key(k: &str) -> Bytes {
    Bytes::copy_from_slice(k.as_bytes())
}

fn write(k: &str, clustering: &str, timestamp: i64, value: &str) -> Partition {
    Partition {
        key: key(k),
        rows: vec![Row {
            clustering: key(clustering),
            cells: vec![ColumnCell {
                column: key("v"),
                path: None,
                cell: Cell::live(timestamp, Bytes::copy_from_slice(value.as_bytes())),
            }],
            ..Row::default()
        }],
        ..Partition::default()
    }
}

fn value_of(p: &Partition, clustering: &str) -> Option<Bytes> {
    p.rows.iter().find(|r| r.clustering == clustering.as_bytes())?.cells[0].cell.value.clone()
}

fn keys(ps: &[Partition]) -> Vec<Bytes> {
    ps.iter().map(|p| p.key.clone()).collect()
}

#[test]
fn a_new_memtable_is_empty() {
    let m = Memtable::new();
    assert!(m.is_empty());
    assert_eq!(m.len(), 0);
    assert_eq!(m.size_bytes(), 0);
    assert_eq!(m.min_timestamp(), None);
}

#[test]
fn get_returns_what_was_applied() {
    let m = Memtable::new();
    m.apply(&write("k", "r", 1, "v"));
    assert_eq!(value_of(&m.get(b"k").unwrap(), "r"), Some(Bytes::from_static(b"v")));
    assert_eq!(m.get(b"other"), None);
}

#[test]
fn applying_to_an_existing_partition_merges_with_the_newer_timestamp_winning() {
    let m = Memtable::new();
    m.apply(&write("k", "r", 2, "new"));
    m.apply(&write("k", "r", 1, "old"));
    m.apply(&write("k", "s", 1, "other row"));
    let p = m.get(b"k").unwrap();
    assert_eq!(value_of(&p, "r"), Some(Bytes::from_static(b"new")));
    assert_eq!(p.rows.len(), 2);
    assert_eq!(m.len(), 1);
}

#[test]
fn a_partition_deletion_shadows_older_rows_already_in_the_memtable() {
    let m = Memtable::new();
    m.apply(&write("k", "r", 1, "v"));
    let deletion = DeletionTime { marked_for_delete_at: 5, local_deletion_time: 10 };
    m.apply(&Partition { key: key("k"), deletion: Some(deletion), ..Partition::default() });
    let p = m.get(b"k").unwrap();
    assert!(p.rows.is_empty());
    assert_eq!(p.deletion, Some(deletion));
}

#[test]
fn apply_returns_the_growth_and_size_accumulates() {
    let m = Memtable::new();
    let d1 = m.apply(&write("k", "r", 1, "v"));
    let d2 = m.apply(&write("k", "r", 2, "w"));
    assert!(d1 > 0 && d2 > 0);
    assert_eq!(m.size_bytes(), d1 + d2);
}

#[test]
fn an_empty_update_changes_nothing() {
    let m = Memtable::new();
    assert_eq!(m.apply(&Partition { key: key("k"), ..Partition::default() }), 0);
    assert!(m.is_empty());
}

#[test]
fn min_timestamp_is_the_smallest_applied() {
    let m = Memtable::new();
    m.apply(&write("a", "r", 7, "v"));
    m.apply(&write("b", "r", 3, "v"));
    m.apply(&write("c", "r", 9, "v"));
    assert_eq!(m.min_timestamp(), Some(3));
}

#[test]
fn scan_returns_partitions_in_key_order_from_the_start_bound_up_to_the_limit() {
    let m = Memtable::new();
    for k in ["d", "a", "c", "b", "e"] {
        m.apply(&write(k, "r", 1, "v"));
    }
    assert_eq!(keys(&m.scan(Bound::Unbounded, 10)), vec![key("a"), key("b"), key("c"), key("d"), key("e")]);
    assert_eq!(keys(&m.scan(Bound::Included(b"b"), 2)), vec![key("b"), key("c")]);
    assert_eq!(keys(&m.scan(Bound::Excluded(b"b"), 2)), vec![key("c"), key("d")]);
}

#[test]
fn iter_all_yields_every_partition_in_key_order_across_batches() {
    let m = Arc::new(Memtable::new());
    for i in (0..500u32).rev() {
        m.apply(&write(&format!("{i:05}"), "r", 1, "v"));
    }
    let all: Vec<Partition> = m.iter_all().collect();
    assert_eq!(all.len(), 500);
    assert!(all.windows(2).all(|w| w[0].key < w[1].key));
}

#[test]
fn iter_from_starts_at_the_bound() {
    let m = Arc::new(Memtable::new());
    for k in ["a", "b", "c"] {
        m.apply(&write(k, "r", 1, "v"));
    }
    assert_eq!(keys(&m.iter_from(Bound::Excluded(key("a"))).collect::<Vec<_>>()), vec![key("b"), key("c")]);
    assert_eq!(keys(&m.iter_from(Bound::Included(key("b"))).collect::<Vec<_>>()), vec![key("b"), key("c")]);
}

#[test]
fn concurrent_writers_to_the_same_and_different_partitions_lose_nothing() {
    let m = Arc::new(Memtable::new());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let m = m.clone();
            std::thread::spawn(move || {
                for i in 0..200 {
                    m.apply(&write("shared", &format!("{t}-{i:03}"), 1, "v"));
                    m.apply(&write(&format!("own-{t}-{i:03}"), "r", 1, "v"));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(m.get(b"shared").unwrap().rows.len(), 800);
    assert_eq!(m.len(), 801);
}

fn arb_clustering() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'c')], 0..3).prop_map(Bytes::from)
}

fn arb_deletion() -> impl Strategy<Value = DeletionTime> {
    (0i64..6, 0i32..3).prop_map(|(marked_for_delete_at, local_deletion_time)| DeletionTime {
        marked_for_delete_at,
        local_deletion_time,
    })
}

fn arb_row() -> impl Strategy<Value = Row> {
    let cell = (prop_oneof![Just("x"), Just("y")], 0i64..6, proptest::option::weighted(0.8, 0u8..3)).prop_map(
        |(column, timestamp, value)| ColumnCell {
            column: key(column),
            path: None,
            cell: match value {
                Some(v) => Cell::live(timestamp, Bytes::from(vec![v])),
                None => Cell::tombstone(timestamp, 1),
            },
        },
    );
    (arb_clustering(), proptest::option::weighted(0.2, arb_deletion()), proptest::collection::vec(cell, 0..3))
        .prop_map(|(clustering, deletion, cells)| Row { clustering, deletion, cells, ..Row::default() })
}

fn arb_update() -> impl Strategy<Value = Partition> {
    let rt = (arb_clustering(), proptest::option::weighted(0.8, arb_clustering()), arb_deletion())
        .prop_map(|(start, end, deletion)| RangeTombstone { start, end, deletion });
    (
        proptest::option::weighted(0.1, arb_deletion()),
        proptest::collection::vec(rt, 0..2),
        proptest::option::weighted(0.2, arb_row()),
        proptest::collection::vec(arb_row(), 0..4),
    )
        .prop_map(|(deletion, range_tombstones, static_row, rows)| Partition {
            key: key("k"),
            deletion,
            range_tombstones,
            static_row: static_row.map(|r| Row { clustering: Bytes::new(), ..r }),
            rows,
        })
}

#[test]
fn overwriting_a_cell_adds_to_the_applied_size_but_not_to_the_live_size() {
    let m = Memtable::new();
    let first = m.apply(&write("k", "c", 1, "value"));
    assert_eq!(m.size_bytes(), first);
    assert_eq!(m.live_bytes(), first);
    // After one merge the row's cell vector has the capacity merges give it; from then on the live
    // size stays put.
    m.apply(&write("k", "c", 2, "other"));
    let live = m.live_bytes();
    for ts in 3..10 {
        m.apply(&write("k", "c", ts, "other"));
        assert_eq!(m.live_bytes(), live);
    }
    assert_eq!(m.size_bytes(), first * 9);
    m.apply(&write("k", "d", 1, "value"));
    let two_rows = m.live_bytes();
    assert!(two_rows > live);
    assert_eq!(two_rows, m.recount_live_bytes());
    // A partition deletion drops the rows it shadows, and their bytes.
    m.apply(&Partition {
        key: key("k"),
        deletion: Some(DeletionTime { marked_for_delete_at: 100, local_deletion_time: 1 }),
        ..Partition::default()
    });
    assert!(m.live_bytes() < two_rows);
    assert_eq!(m.live_bytes(), m.recount_live_bytes());
}

#[test]
fn sizes_count_what_is_stored() {
    let m = Memtable::new();
    let update = write("key", "clustering", 1, "a value of 24 bytes long");
    let applied = m.apply(&update);
    // The struct sizes plus every byte string's length.
    let strings = "key".len() + 2 * "clustering".len() + "v".len() + "a value of 24 bytes long".len();
    assert!(applied > strings + std::mem::size_of::<Row>() + std::mem::size_of::<Partition>());
    assert_eq!(applied, partition_size(&update) + PARTITION_SLOT_BYTES);
    assert_eq!(m.live_bytes(), m.recount_live_bytes());
    assert_eq!(m.live_bytes(), applied);
}

#[test]
fn get_slice_copies_only_the_rows_in_the_ranges() {
    let m = Memtable::new();
    for c in ["a", "b", "c", "d", "e", "f"] {
        m.apply(&write("k", c, 1, "v"));
    }
    m.apply(&Partition {
        key: key("k"),
        range_tombstones: vec![RangeTombstone {
            start: key("x"),
            end: None,
            deletion: DeletionTime { marked_for_delete_at: 0, local_deletion_time: 1 },
        }],
        ..Partition::default()
    });
    let clusterings = |ranges: &[(Bytes, Option<Bytes>)]| -> Vec<Bytes> {
        m.get_slice(b"k", ranges).unwrap().rows.into_iter().map(|r| r.clustering).collect()
    };
    assert_eq!(clusterings(&[(key("b"), Some(key("d")))]), vec![key("b"), key("c")]);
    assert_eq!(
        clusterings(&[(key("e"), None), (key("a"), Some(key("b"))), (key("a"), Some(key("a")))]),
        vec![key("a"), key("e"), key("f")]
    );
    assert_eq!(
        clusterings(&[(key("b"), Some(key("e"))), (key("c"), Some(key("f")))]),
        vec![key("b"), key("c"), key("d"), key("e")]
    );
    assert_eq!(clusterings(&[(key("c"), Some(key("b")))]), Vec::<Bytes>::new());
    assert!(m.get_slice(b"k", &[(key("a"), Some(key("b")))]).unwrap().range_tombstones.is_empty());
    assert_eq!(m.get_slice(b"k", &[(key("y"), None)]).unwrap().range_tombstones.len(), 1);
    assert_eq!(m.get_slice(b"absent", &[(key("a"), None)]), None);
}

fn arb_ranges() -> impl Strategy<Value = Vec<(Bytes, Option<Bytes>)>> {
    proptest::collection::vec((arb_clustering(), proptest::option::of(arb_clustering())), 0..3)
}

proptest! {
    #[test]
    fn live_bytes_always_match_a_recount_and_slices_match_a_filtered_get(
        updates in proptest::collection::vec(arb_update(), 1..8),
        ranges in arb_ranges(),
    ) {
        let m = Memtable::new();
        let mut applied = 0;
        for u in &updates {
            applied += m.apply(u);
            prop_assert_eq!(m.live_bytes(), m.recount_live_bytes());
        }
        prop_assert_eq!(m.size_bytes(), applied);
        if let Some(full) = m.get(b"k") {
            let in_ranges = |c: &Bytes| ranges.iter().any(|(s, e)| c >= s && e.as_ref().is_none_or(|e| c < e));
            let overlaps = |rt: &RangeTombstone| ranges.iter().any(|(s, e)| {
                e.as_ref().is_none_or(|e| rt.start < *e) && rt.end.as_ref().is_none_or(|re| s < re)
            });
            let expected = Partition {
                rows: full.rows.iter().filter(|r| in_ranges(&r.clustering)).cloned().collect(),
                range_tombstones: full.range_tombstones.iter().filter(|rt| overlaps(rt)).cloned().collect(),
                ..full.clone()
            };
            prop_assert_eq!(m.get_slice(b"k", &ranges), Some(expected));
        }
    }

    #[test]
    fn a_memtable_partition_equals_the_merge_of_its_updates(
        updates in proptest::collection::vec(arb_update(), 1..8)
    ) {
        let m = Memtable::new();
        for u in &updates {
            m.apply(u);
        }
        let expected = updates.iter().cloned().fold(Partition { key: key("k"), ..Partition::default() }, merge_partitions);
        prop_assert_eq!(m.get(b"k").unwrap_or_else(|| Partition { key: key("k"), ..Partition::default() }), expected);
    }
}
