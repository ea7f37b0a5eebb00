//! Clustering slices: sets of half-open byte ranges of clustering keys, as [`crate::Sstable::get_slice`]
//! takes them, and cutting a partition down to one.

use bytes::Bytes;
use storage_model::{Partition, RangeTombstone};

/// One half-open range of clustering keys: `start <= clustering < end`, `end: None` unbounded.
pub type ClusteringRange = (Bytes, Option<Bytes>);

/// The ranges sorted by start, empty ones dropped, overlapping or touching ones merged: afterwards
/// they are disjoint and in increasing order.
pub fn normalize_ranges(ranges: &[ClusteringRange]) -> Vec<ClusteringRange> {
    let mut sorted: Vec<ClusteringRange> =
        ranges.iter().filter(|(start, end)| end.as_ref().is_none_or(|end| start < end)).cloned().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out: Vec<ClusteringRange> = Vec::with_capacity(sorted.len());
    for (start, end) in sorted {
        if let Some((_, last_end)) = out.last_mut() {
            match last_end {
                None => continue,
                Some(e) if start <= *e => {
                    if end.as_ref().is_none_or(|end| end > e) {
                        *last_end = end;
                    }
                    continue;
                }
                Some(_) => {}
            }
        }
        out.push((start, end));
    }
    out
}

/// Whether `clustering` lies in one of the (normalized) ranges.
pub fn contains(ranges: &[ClusteringRange], clustering: &[u8]) -> bool {
    // The last range starting at or before the clustering is the only candidate.
    let i = ranges.partition_point(|(start, _)| start.as_ref() <= clustering);
    i > 0 && ranges[i - 1].1.as_ref().is_none_or(|end| clustering < end.as_ref())
}

/// Whether the range tombstone overlaps one of the ranges.
pub fn overlaps(ranges: &[ClusteringRange], rt: &RangeTombstone) -> bool {
    ranges.iter().any(|(start, end)| {
        let rt_starts_before_end = end.as_ref().is_none_or(|end| rt.start < *end);
        let rt_ends_after_start = rt.end.as_ref().is_none_or(|rt_end| start < rt_end);
        rt_starts_before_end && rt_ends_after_start
    })
}

/// The partition cut down to the (normalized) ranges: its deletion and static row, the range
/// tombstones overlapping a range (whole, not clipped), and the rows inside one.
pub fn slice_partition(mut p: Partition, ranges: &[ClusteringRange]) -> Partition {
    p.range_tombstones.retain(|rt| overlaps(ranges, rt));
    p.rows.retain(|row| contains(ranges, &row.clustering));
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(start: &str, end: Option<&str>) -> ClusteringRange {
        (Bytes::copy_from_slice(start.as_bytes()), end.map(|e| Bytes::copy_from_slice(e.as_bytes())))
    }

    #[test]
    fn normalizing_sorts_merges_and_drops_empty_ranges() {
        let got = normalize_ranges(&[r("m", Some("p")), r("a", Some("c")), r("b", Some("d")), r("x", Some("x"))]);
        assert_eq!(got, vec![r("a", Some("d")), r("m", Some("p"))]);
        let got = normalize_ranges(&[r("c", None), r("a", Some("c")), r("d", Some("e"))]);
        assert_eq!(got, vec![r("a", None)]);
        assert!(normalize_ranges(&[r("b", Some("a"))]).is_empty());
    }

    #[test]
    fn containment_is_half_open() {
        let ranges = normalize_ranges(&[r("b", Some("d")), r("f", None)]);
        for (c, inside) in
            [("a", false), ("b", true), ("c", true), ("d", false), ("e", false), ("f", true), ("z", true)]
        {
            assert_eq!(contains(&ranges, c.as_bytes()), inside, "{c}");
        }
        assert!(!contains(&[], b"a"));
    }
}
