//! Builders and proptest strategies shared by the unit tests of this crate.

use bytes::Bytes;
use proptest::prelude::*;

use crate::{Cell, ColumnCell, DeletionTime, LivenessInfo, Partition, RangeTombstone, Row, NO_DELETION_TIME};

pub fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

pub fn dt(marked_for_delete_at: i64, local_deletion_time: i32) -> DeletionTime {
    DeletionTime { marked_for_delete_at, local_deletion_time }
}

pub fn cell(column: &str, timestamp: i64, value: &str) -> ColumnCell {
    ColumnCell { column: b(column), path: None, cell: Cell::live(timestamp, b(value)) }
}

pub fn path_cell(column: &str, path: &str, timestamp: i64, value: &str) -> ColumnCell {
    ColumnCell { column: b(column), path: Some(b(path)), cell: Cell::live(timestamp, b(value)) }
}

pub fn row(clustering: &str, cells: Vec<ColumnCell>) -> Row {
    row_bytes(clustering.as_bytes().to_vec(), cells)
}

pub fn row_bytes(clustering: Vec<u8>, cells: Vec<ColumnCell>) -> Row {
    Row { clustering: Bytes::from(clustering), liveness: None, deletion: None, cells, complex_deletions: vec![] }
}

pub fn partition(rows: Vec<Row>) -> Partition {
    Partition { key: b("pk"), deletion: None, range_tombstones: vec![], static_row: None, rows }
}

pub fn rt(start: &str, end: Option<&str>, marked_for_delete_at: i64) -> RangeTombstone {
    RangeTombstone { start: b(start), end: end.map(b), deletion: dt(marked_for_delete_at, 1) }
}

/// Every clustering the strategies generate (plus a few around them).
pub fn all_clusterings() -> Vec<Bytes> {
    let mut out = vec![Bytes::new()];
    for a in [b'a', b'b', b'c'] {
        out.push(Bytes::from(vec![a]));
        for c in [b'a', b'b', b'c'] {
            out.push(Bytes::from(vec![a, c]));
        }
    }
    out
}

pub fn arb_clustering() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'c')], 0..3).prop_map(Bytes::from)
}

pub fn arb_cell() -> impl Strategy<Value = Cell> {
    prop_oneof![
        (0i64..5, 0u8..3).prop_map(|(ts, v)| Cell::live(ts, Bytes::from(vec![v]))),
        (0i64..5, 1i32..4, 0i32..4, 0u8..3).prop_map(|(ts, ttl, now, v)| Cell::expiring(
            ts,
            ttl,
            now,
            Bytes::from(vec![v])
        )),
        (0i64..5, 0i32..6).prop_map(|(ts, now)| Cell::tombstone(ts, now)),
    ]
}

pub fn arb_deletion() -> impl Strategy<Value = DeletionTime> {
    (0i64..5, 0i32..6).prop_map(|(m, l)| dt(m, l))
}

pub fn arb_liveness() -> impl Strategy<Value = LivenessInfo> {
    prop_oneof![
        (0i64..5).prop_map(|ts| LivenessInfo { timestamp: ts, ttl: 0, local_expiration_time: NO_DELETION_TIME }),
        (0i64..5, 1i32..4, 0i32..4).prop_map(|(ts, ttl, now)| LivenessInfo {
            timestamp: ts,
            ttl,
            local_expiration_time: now + ttl
        }),
    ]
}

pub fn arb_column_cell() -> impl Strategy<Value = ColumnCell> {
    (
        prop_oneof![Just("x"), Just("y"), Just("m")],
        prop_oneof![Just(None), Just(Some("1")), Just(Some("2"))],
        arb_cell(),
    )
        .prop_map(|(col, path, cell)| ColumnCell {
            column: b(col),
            path: if col == "m" { path.map(b).or(Some(b("0"))) } else { None },
            cell,
        })
}

pub fn arb_row() -> impl Strategy<Value = Row> {
    (
        arb_clustering(),
        proptest::option::weighted(0.5, arb_liveness()),
        proptest::option::weighted(0.2, arb_deletion()),
        proptest::collection::vec(arb_column_cell(), 0..4),
        proptest::option::weighted(0.2, arb_deletion()),
    )
        .prop_map(|(clustering, liveness, deletion, cells, cd)| Row {
            clustering,
            liveness,
            deletion,
            cells,
            complex_deletions: cd.map(|d| vec![(b("m"), d)]).unwrap_or_default(),
        })
}

pub fn arb_range_tombstone() -> impl Strategy<Value = RangeTombstone> {
    (arb_clustering(), proptest::option::weighted(0.8, arb_clustering()), arb_deletion())
        .prop_map(|(start, end, deletion)| RangeTombstone { start, end, deletion })
}

pub fn arb_partition() -> impl Strategy<Value = Partition> {
    (
        proptest::option::weighted(0.2, arb_deletion()),
        proptest::collection::vec(arb_range_tombstone(), 0..3),
        proptest::option::weighted(0.3, arb_row()),
        proptest::collection::vec(arb_row(), 0..5),
    )
        .prop_map(|(deletion, range_tombstones, static_row, rows)| Partition {
            key: b("pk"),
            deletion,
            range_tombstones,
            static_row: static_row.map(|mut r| {
                r.clustering = Bytes::new();
                r
            }),
            rows,
        })
}
