//! Statistics of an SSTable: gathered while writing, stored in the file, read back at open.

use std::collections::BTreeMap;
use storage_model::codec::{read_ivarint, read_uvarint, write_ivarint, write_uvarint};

use storage_model::{DeletionTime, Partition, Row, NO_DELETION_TIME};

/// What an SSTable holds, for compaction and query planning.
///
/// Timestamps are every write and deletion timestamp in the file (cells, row liveness, row, range and
/// partition deletions, collection deletions). Local deletion times are those of the same things:
/// a cell's `local_deletion_time` ([`storage_model::NO_DELETION_TIME`] for a live non-expiring cell), a row
/// liveness' `local_expiration_time`, a deletion's `local_deletion_time` — so
/// `max_local_deletion_time < gc_before` means everything in the file is purgeable. With nothing to
/// measure, minimums are the type's `MAX` and maximums its `MIN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SstableStats {
    pub partition_count: u64,
    /// Rows, static rows included.
    pub row_count: u64,
    /// The first partition key (empty when there are no partitions).
    pub min_key: Vec<u8>,
    /// The last partition key (empty when there are no partitions).
    pub max_key: Vec<u8>,
    pub min_timestamp: i64,
    pub max_timestamp: i64,
    pub min_local_deletion_time: i32,
    pub max_local_deletion_time: i32,
    /// Partition, range, row and collection deletions, and cell tombstones (expiring cells are not counted).
    pub tombstone_count: u64,
    /// Size of the encoded partitions before compression.
    pub data_size_bytes: u64,
    /// Size of the file (not stored in it: measured at open).
    pub file_size_bytes: u64,
    /// Partitions with a partition deletion.
    pub partition_deletion_count: u64,
    /// Range tombstones.
    pub range_tombstone_count: u64,
    /// Partitions with a static row.
    pub static_row_count: u64,
    /// Partitions written with a row index (wide partitions).
    pub row_indexed_partition_count: u64,
    /// Size of the largest encoded partition.
    pub max_partition_size_bytes: u64,
    /// Bounds of the clustering keys of every (non-static) row and range tombstone; `None` when there
    /// are none.
    pub clustering_bounds: Option<ClusteringBounds>,
    /// Cells (of regular and static rows), the denominator of the droppable tombstone ratio
    /// (Cassandra's estimated column count).
    pub cell_count: u64,
    /// When the file's tombstones become purgeable: the local deletion times of its deletions, cell
    /// tombstones and expiring cells and rows (Cassandra's `estimatedTombstoneDropTime`).
    pub tombstone_drop_times: TombstoneHistogram,
}

/// A streaming histogram of local deletion times (Ben-Haim and Tom-Tov, as Cassandra's
/// `StreamingTombstoneHistogramBuilder`): times are rounded up to a multiple of
/// [`TombstoneHistogram::ROUND_SECONDS`] (so that nothing looks droppable early), and once there are
/// more than [`TombstoneHistogram::MAX_BINS`] distinct points the two closest merge into one at their
/// weighted mean. It estimates how many tombstones a compaction at a given `gc_before` may drop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TombstoneHistogram {
    bins: BTreeMap<i32, u64>,
}

impl TombstoneHistogram {
    /// Cassandra's `tombstone_histogram_bin_size`.
    pub const MAX_BINS: usize = 100;
    /// Cassandra's `TOMBSTONE_HISTOGRAM_TTL_ROUND_SECONDS`.
    pub const ROUND_SECONDS: i32 = 60;

    /// Counts one deletion time.
    pub fn add(&mut self, local_deletion_time: i32) {
        self.add_count(local_deletion_time, 1);
    }

    fn add_count(&mut self, local_deletion_time: i32, count: u64) {
        let r = i64::from(Self::ROUND_SECONDS);
        let rounded = (i64::from(local_deletion_time) + r - 1).div_euclid(r) * r;
        let point = i32::try_from(rounded).unwrap_or(i32::MAX);
        *self.bins.entry(point).or_insert(0) += count;
        if self.bins.len() > Self::MAX_BINS {
            self.merge_closest();
        }
    }

    /// Merges the two adjacent bins whose points are closest.
    fn merge_closest(&mut self) {
        let points: Vec<(i32, u64)> = self.bins.iter().map(|(p, c)| (*p, *c)).collect();
        let Some(i) =
            (0..points.len().saturating_sub(1)).min_by_key(|&i| i64::from(points[i + 1].0) - i64::from(points[i].0))
        else {
            return;
        };
        let ((p1, c1), (p2, c2)) = (points[i], points[i + 1]);
        self.bins.remove(&p1);
        self.bins.remove(&p2);
        let total = c1 + c2;
        let mean = (i128::from(p1) * i128::from(c1) + i128::from(p2) * i128::from(c2)) / i128::from(total.max(1));
        *self.bins.entry(mean as i32).or_insert(0) += total;
    }

    /// The bins, `(point, count)` by ascending point.
    pub fn bins(&self) -> Vec<(i32, u64)> {
        self.bins.iter().map(|(p, c)| (*p, *c)).collect()
    }

    /// The number of times counted.
    pub fn total(&self) -> u64 {
        self.bins.values().sum()
    }

    fn from_bins(bins: impl IntoIterator<Item = (i32, u64)>) -> TombstoneHistogram {
        let mut h = TombstoneHistogram::default();
        for (point, count) in bins {
            *h.bins.entry(point).or_insert(0) += count;
        }
        h
    }
}

/// The clustering keys an SSTable covers: every row's clustering and every range tombstone lies in
/// `min ..= max` (`max: None` when a range tombstone is open-ended).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusteringBounds {
    pub min: Vec<u8>,
    pub max: Option<Vec<u8>>,
}

impl ClusteringBounds {
    /// Whether something in the bounds may lie in the half-open range `start .. end` (`end: None` is
    /// unbounded).
    pub fn intersects(&self, start: &[u8], end: Option<&[u8]>) -> bool {
        let starts_before_max = self.max.as_deref().is_none_or(|max| start <= max);
        let ends_after_min = end.is_none_or(|end| self.min.as_slice() < end);
        starts_before_max && ends_after_min
    }

    fn include(bounds: &mut Option<ClusteringBounds>, low: &[u8], high: Option<&[u8]>) {
        match bounds {
            None => *bounds = Some(ClusteringBounds { min: low.to_vec(), max: high.map(<[u8]>::to_vec) }),
            Some(b) => {
                if low < b.min.as_slice() {
                    b.min = low.to_vec();
                }
                match (&mut b.max, high) {
                    (None, _) => {}
                    (max @ Some(_), None) => *max = None,
                    (Some(max), Some(high)) => {
                        if high > max.as_slice() {
                            *max = high.to_vec();
                        }
                    }
                }
            }
        }
    }
}

impl Default for SstableStats {
    fn default() -> Self {
        SstableStats {
            partition_count: 0,
            row_count: 0,
            min_key: Vec::new(),
            max_key: Vec::new(),
            min_timestamp: i64::MAX,
            max_timestamp: i64::MIN,
            min_local_deletion_time: i32::MAX,
            max_local_deletion_time: i32::MIN,
            tombstone_count: 0,
            data_size_bytes: 0,
            file_size_bytes: 0,
            partition_deletion_count: 0,
            range_tombstone_count: 0,
            static_row_count: 0,
            row_indexed_partition_count: 0,
            max_partition_size_bytes: 0,
            clustering_bounds: None,
            cell_count: 0,
            tombstone_drop_times: TombstoneHistogram::default(),
        }
    }
}

impl SstableStats {
    /// Accounts for one partition whose encoding is `encoded_len` bytes long.
    /// Accounts for one partition whose encoding is `encoded_len` bytes long, `row_indexed` when it
    /// was written with a row index.
    pub(crate) fn add(&mut self, p: &Partition, encoded_len: usize, row_indexed: bool) {
        if self.partition_count == 0 {
            self.min_key = p.key.to_vec();
        }
        self.max_key.clear();
        self.max_key.extend_from_slice(&p.key);
        self.partition_count += 1;
        self.data_size_bytes += encoded_len as u64;
        self.max_partition_size_bytes = self.max_partition_size_bytes.max(encoded_len as u64);
        self.row_indexed_partition_count += u64::from(row_indexed);
        if let Some(d) = &p.deletion {
            self.partition_deletion_count += 1;
            self.deletion(d);
        }
        for rt in &p.range_tombstones {
            self.range_tombstone_count += 1;
            self.deletion(&rt.deletion);
            ClusteringBounds::include(&mut self.clustering_bounds, &rt.start, rt.end.as_deref());
        }
        if let Some(row) = &p.static_row {
            self.static_row_count += 1;
            self.row(row);
        }
        if let (Some(first), Some(last)) = (p.rows.first(), p.rows.last()) {
            // Rows are sorted by clustering.
            ClusteringBounds::include(&mut self.clustering_bounds, &first.clustering, Some(&last.clustering));
        }
        for row in &p.rows {
            self.row(row);
        }
    }

    fn timestamp(&mut self, ts: i64) {
        self.min_timestamp = self.min_timestamp.min(ts);
        self.max_timestamp = self.max_timestamp.max(ts);
    }

    fn local_time(&mut self, t: i32) {
        self.min_local_deletion_time = self.min_local_deletion_time.min(t);
        self.max_local_deletion_time = self.max_local_deletion_time.max(t);
        if t != NO_DELETION_TIME {
            self.tombstone_drop_times.add(t);
        }
    }

    fn deletion(&mut self, d: &DeletionTime) {
        self.tombstone_count += 1;
        self.timestamp(d.marked_for_delete_at);
        self.local_time(d.local_deletion_time);
    }

    fn row(&mut self, row: &Row) {
        self.row_count += 1;
        if let Some(l) = &row.liveness {
            self.timestamp(l.timestamp);
            self.local_time(l.local_expiration_time);
        }
        if let Some(d) = &row.deletion {
            self.deletion(d);
        }
        self.cell_count += row.cells.len() as u64;
        for cc in &row.cells {
            self.timestamp(cc.cell.timestamp);
            self.local_time(cc.cell.local_deletion_time);
            if cc.cell.is_tombstone() {
                self.tombstone_count += 1;
            }
        }
        for (_, d) in &row.complex_deletions {
            self.deletion(d);
        }
    }

    /// `partition_count | row_count | min_key | max_key | min_ts | max_ts | min_ldt | max_ldt |
    /// tombstone_count | data_size` as varints (keys as length-prefixed bytes, signed as zigzag).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        write_uvarint(out, self.partition_count);
        write_uvarint(out, self.row_count);
        for key in [&self.min_key, &self.max_key] {
            write_uvarint(out, key.len() as u64);
            out.extend_from_slice(key);
        }
        write_ivarint(out, self.min_timestamp);
        write_ivarint(out, self.max_timestamp);
        write_ivarint(out, i64::from(self.min_local_deletion_time));
        write_ivarint(out, i64::from(self.max_local_deletion_time));
        write_uvarint(out, self.tombstone_count);
        write_uvarint(out, self.data_size_bytes);
        write_uvarint(out, self.partition_deletion_count);
        write_uvarint(out, self.range_tombstone_count);
        write_uvarint(out, self.static_row_count);
        write_uvarint(out, self.row_indexed_partition_count);
        write_uvarint(out, self.max_partition_size_bytes);
        match &self.clustering_bounds {
            None => out.push(0),
            Some(b) => {
                out.push(if b.max.is_some() { 1 } else { 2 });
                write_uvarint(out, b.min.len() as u64);
                out.extend_from_slice(&b.min);
                if let Some(max) = &b.max {
                    write_uvarint(out, max.len() as u64);
                    out.extend_from_slice(max);
                }
            }
        }
        write_uvarint(out, self.cell_count);
        let bins = self.tombstone_drop_times.bins();
        write_uvarint(out, bins.len() as u64);
        for (point, count) in bins {
            write_ivarint(out, i64::from(point));
            write_uvarint(out, count);
        }
    }

    /// `Err(reason)` when `b` is not exactly an encoding of statistics of format `version`. Version 1
    /// files lack the fields after `data_size`: they get conservative values (counts as large as
    /// `tombstone_count` or `row_count` allow, unbounded clustering bounds).
    pub(crate) fn decode(b: &[u8], file_size_bytes: u64, version: u8) -> Result<SstableStats, String> {
        let mut pos = 0;
        let e = |e: storage_model::ModelError| e.to_string();
        let partition_count = read_uvarint(b, &mut pos).map_err(e)?;
        let row_count = read_uvarint(b, &mut pos).map_err(e)?;
        let min_key = key_at(b, &mut pos)?;
        let max_key = key_at(b, &mut pos)?;
        let min_timestamp = read_ivarint(b, &mut pos).map_err(e)?;
        let max_timestamp = read_ivarint(b, &mut pos).map_err(e)?;
        let local = |pos: &mut usize| -> Result<i32, String> {
            i32::try_from(read_ivarint(b, pos).map_err(e)?).map_err(|_| "local deletion time out of range".to_string())
        };
        let min_local_deletion_time = local(&mut pos)?;
        let max_local_deletion_time = local(&mut pos)?;
        let tombstone_count = read_uvarint(b, &mut pos).map_err(e)?;
        let data_size_bytes = read_uvarint(b, &mut pos).map_err(e)?;
        let mut extended = SstableStats {
            partition_deletion_count: tombstone_count,
            range_tombstone_count: tombstone_count,
            static_row_count: row_count,
            row_indexed_partition_count: 0,
            max_partition_size_bytes: data_size_bytes,
            clustering_bounds: (row_count > 0 || tombstone_count > 0)
                .then(|| ClusteringBounds { min: Vec::new(), max: None }),
            ..SstableStats::default()
        };
        if version >= 2 {
            extended.partition_deletion_count = read_uvarint(b, &mut pos).map_err(e)?;
            extended.range_tombstone_count = read_uvarint(b, &mut pos).map_err(e)?;
            extended.static_row_count = read_uvarint(b, &mut pos).map_err(e)?;
            extended.row_indexed_partition_count = read_uvarint(b, &mut pos).map_err(e)?;
            extended.max_partition_size_bytes = read_uvarint(b, &mut pos).map_err(e)?;
            let flag = *b.get(pos).ok_or("truncated clustering bounds")?;
            pos += 1;
            extended.clustering_bounds = match flag {
                0 => None,
                1 | 2 => {
                    let min = key_at(b, &mut pos)?;
                    let max = if flag == 1 { Some(key_at(b, &mut pos)?) } else { None };
                    Some(ClusteringBounds { min, max })
                }
                other => return Err(format!("bad clustering bounds flag {other}")),
            };
            // Files written before the tombstone histogram end here: no cells counted, no
            // tombstone-only compaction for them.
            if pos < b.len() {
                extended.cell_count = read_uvarint(b, &mut pos).map_err(e)?;
                let n = read_uvarint(b, &mut pos).map_err(e)?;
                if n > TombstoneHistogram::MAX_BINS as u64 {
                    return Err(format!(
                        "{n} tombstone histogram bins, at most {} expected",
                        TombstoneHistogram::MAX_BINS
                    ));
                }
                let mut bins = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    let point = local(&mut pos)?;
                    bins.push((point, read_uvarint(b, &mut pos).map_err(e)?));
                }
                extended.tombstone_drop_times = TombstoneHistogram::from_bins(bins);
            }
        }
        if pos != b.len() {
            return Err("trailing bytes after the statistics".into());
        }
        Ok(SstableStats {
            partition_deletion_count: extended.partition_deletion_count,
            range_tombstone_count: extended.range_tombstone_count,
            static_row_count: extended.static_row_count,
            row_indexed_partition_count: extended.row_indexed_partition_count,
            max_partition_size_bytes: extended.max_partition_size_bytes,
            clustering_bounds: extended.clustering_bounds,
            cell_count: extended.cell_count,
            tombstone_drop_times: extended.tombstone_drop_times,
            partition_count,
            row_count,
            min_key,
            max_key,
            min_timestamp,
            max_timestamp,
            min_local_deletion_time,
            max_local_deletion_time,
            tombstone_count,
            data_size_bytes,
            file_size_bytes,
        })
    }
}

/// Length-prefixed bytes at `*pos`.
fn key_at(b: &[u8], pos: &mut usize) -> Result<Vec<u8>, String> {
    let len = read_uvarint(b, pos).map_err(|e| e.to_string())?;
    let end = usize::try_from(len).ok().and_then(|len| pos.checked_add(len)).filter(|&end| end <= b.len());
    let end = end.ok_or("key length past the end of the statistics")?;
    let key = b[*pos..end].to_vec();
    *pos = end;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_intersect_half_open_ranges() {
        let b = ClusteringBounds { min: b"c".to_vec(), max: Some(b"f".to_vec()) };
        assert!(b.intersects(b"a", None));
        assert!(b.intersects(b"f", None));
        assert!(!b.intersects(b"g", None));
        assert!(!b.intersects(b"a", Some(b"c")));
        assert!(b.intersects(b"a", Some(b"ca")));
        assert!(b.intersects(b"d", Some(b"e")));
        let open = ClusteringBounds { min: b"c".to_vec(), max: None };
        assert!(open.intersects(b"zzz", None));
        assert!(!open.intersects(b"", Some(b"c")));
    }

    #[test]
    fn statistics_round_trip() {
        let mut stats = SstableStats { partition_count: 3, row_count: 9, tombstone_count: 4, ..Default::default() };
        stats.clustering_bounds = Some(ClusteringBounds { min: vec![1], max: None });
        stats.max_partition_size_bytes = 77;
        let mut buf = Vec::new();
        stats.encode(&mut buf);
        assert_eq!(SstableStats::decode(&buf, 0, 2).unwrap(), stats);
        stats.clustering_bounds = Some(ClusteringBounds { min: vec![1], max: Some(vec![2, 3]) });
        buf.clear();
        stats.encode(&mut buf);
        assert_eq!(SstableStats::decode(&buf, 0, 2).unwrap(), stats);
        assert!(SstableStats::decode(&buf[..buf.len() - 1], 0, 2).is_err());
    }

    #[test]
    fn the_tombstone_histogram_and_cell_count_round_trip() {
        let mut stats = SstableStats { cell_count: 12, ..Default::default() };
        for t in [100, 130, 5000, 5000] {
            stats.tombstone_drop_times.add(t);
        }
        let mut buf = Vec::new();
        stats.encode(&mut buf);
        let back = SstableStats::decode(&buf, 0, 2).unwrap();
        assert_eq!(back.cell_count, 12);
        assert_eq!(back.tombstone_drop_times.bins(), vec![(120, 1), (180, 1), (5040, 2)]);
    }

    #[test]
    fn statistics_written_before_the_tombstone_histogram_still_decode() {
        let stats = SstableStats { partition_count: 1, row_count: 1, ..Default::default() };
        let mut buf = Vec::new();
        stats.encode(&mut buf);
        // Drop the trailing `cell_count 0 | 0 bins`.
        assert_eq!(&buf[buf.len() - 2..], &[0, 0]);
        let old = SstableStats::decode(&buf[..buf.len() - 2], 0, 2).unwrap();
        assert_eq!((old.cell_count, old.tombstone_drop_times.total()), (0, 0));
    }

    #[test]
    fn deletion_times_are_rounded_up_to_the_minute() {
        let mut h = TombstoneHistogram::default();
        h.add(60);
        h.add(61);
        h.add(119);
        h.add(-30);
        assert_eq!(h.bins(), vec![(0, 1), (60, 1), (120, 2)]);
    }

    #[test]
    fn the_histogram_keeps_at_most_a_hundred_bins_and_every_count() {
        let mut h = TombstoneHistogram::default();
        for minute in 0..1000 {
            h.add(minute * 60);
        }
        assert_eq!(h.bins().len(), TombstoneHistogram::MAX_BINS);
        assert_eq!(h.total(), 1000);
        let bins = h.bins();
        assert!(bins.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(bins[0].0 >= 0 && bins[99].0 <= 999 * 60);
    }

    #[test]
    fn statistics_count_cells_and_every_deletion_time() {
        use bytes::Bytes;
        use storage_model::{Cell, ColumnCell};
        let cell = |c: Cell| ColumnCell { column: Bytes::from_static(b"v"), path: None, cell: c };
        let p = Partition {
            key: Bytes::from_static(b"k"),
            deletion: Some(DeletionTime { marked_for_delete_at: 1, local_deletion_time: 600 }),
            rows: vec![Row {
                clustering: Bytes::from_static(b"c"),
                cells: vec![cell(Cell::live(2, Bytes::from_static(b"x"))), cell(Cell::tombstone(3, 1200))],
                ..Row::default()
            }],
            ..Partition::default()
        };
        let mut stats = SstableStats::default();
        stats.add(&p, 10, false);
        assert_eq!(stats.cell_count, 2);
        assert_eq!(stats.tombstone_drop_times.bins(), vec![(600, 1), (1200, 1)]);
    }
}
