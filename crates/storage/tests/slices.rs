//! `Storage::read_partition_slice`: clustering slices merged over memtables and SSTables.

mod common;

use bytes::Bytes;
use common::*;
use storage::Storage;
use storage_model::purge::live_view;

fn range(start: &str, end: Option<&str>) -> (Bytes, Option<Bytes>) {
    (bytes(start), end.map(bytes))
}

fn slice(
    s: &Storage,
    t: storage_model::TableId,
    key: &str,
    ranges: &[(Bytes, Option<Bytes>)],
) -> Vec<(String, String)> {
    s.read_partition_slice(t, key.as_bytes(), ranges)
        .unwrap()
        .map(|p| rows_of(&live_view(p, i32::MAX - 1)))
        .unwrap_or_default()
}

#[test]
fn a_slice_merges_memtables_and_sstables_and_keeps_only_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    apply(&s, &[write(t, "k", "a", 1, "a1"), write(t, "k", "c", 1, "c1"), write(t, "k", "e", 1, "e1")]);
    s.flush_table(t).unwrap();
    apply(&s, &[write(t, "k", "b", 2, "b2"), write(t, "k", "c", 2, "c2"), delete_row(t, "k", "e", 2, 1)]);
    s.flush_table(t).unwrap();
    apply(&s, &[write(t, "k", "d", 3, "d3"), write(t, "k", "a", 3, "a3")]);

    assert_eq!(slice(&s, t, "k", &[range("b", Some("e"))]), pairs(&[("b", "b2"), ("c", "c2"), ("d", "d3")]));
    assert_eq!(slice(&s, t, "k", &[range("e", None), range("a", Some("b"))]), pairs(&[("a", "a3")]));
    assert_eq!(slice(&s, t, "k", &[range("a", None)]), read(&s, t, "k"));
    assert_eq!(slice(&s, t, "k", &[range("x", None)]), vec![]);
    assert_eq!(s.read_partition_slice(t, b"missing", &[range("a", None)]).unwrap(), None);
}

#[test]
fn a_partition_deletion_in_another_sstable_still_shadows_the_slice() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    apply(&s, &[write(t, "k", "m", 1, "old")]);
    s.flush_table(t).unwrap();
    apply(&s, &[delete_partition(t, "k", 5, 1)]);
    s.flush_table(t).unwrap();
    apply(&s, &[write(t, "k", "n", 9, "new")]);
    s.flush_table(t).unwrap();
    assert_eq!(slice(&s, t, "k", &[range("m", Some("z"))]), pairs(&[("n", "new")]));
}
