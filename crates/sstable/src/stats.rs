//! Statistics of an SSTable: gathered while writing, stored in the file, read back at open.

use storage_model::codec::{read_ivarint, read_uvarint, write_ivarint, write_uvarint};
use storage_model::{DeletionTime, Partition, Row};

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
        }
    }
}

impl SstableStats {
    /// Accounts for one partition whose encoding is `encoded_len` bytes long.
    pub(crate) fn add(&mut self, p: &Partition, encoded_len: usize) {
        if self.partition_count == 0 {
            self.min_key = p.key.to_vec();
        }
        self.max_key.clear();
        self.max_key.extend_from_slice(&p.key);
        self.partition_count += 1;
        self.data_size_bytes += encoded_len as u64;
        if let Some(d) = &p.deletion {
            self.deletion(d);
        }
        for rt in &p.range_tombstones {
            self.deletion(&rt.deletion);
        }
        for row in p.static_row.iter().chain(&p.rows) {
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
    }

    /// `Err(reason)` when `b` is not exactly an encoding of statistics.
    pub(crate) fn decode(b: &[u8], file_size_bytes: u64) -> Result<SstableStats, String> {
        let mut pos = 0;
        let e = |e: storage_model::ModelError| e.to_string();
        let partition_count = read_uvarint(b, &mut pos).map_err(e)?;
        let row_count = read_uvarint(b, &mut pos).map_err(e)?;
        let mut key = || -> Result<Vec<u8>, String> {
            let len = read_uvarint(b, &mut pos).map_err(e)?;
            let end = usize::try_from(len).ok().and_then(|len| pos.checked_add(len)).filter(|&end| end <= b.len());
            let end = end.ok_or("key length past the end of the statistics")?;
            let key = b[pos..end].to_vec();
            pos = end;
            Ok(key)
        };
        let min_key = key()?;
        let max_key = key()?;
        let min_timestamp = read_ivarint(b, &mut pos).map_err(e)?;
        let max_timestamp = read_ivarint(b, &mut pos).map_err(e)?;
        let local = |pos: &mut usize| -> Result<i32, String> {
            i32::try_from(read_ivarint(b, pos).map_err(e)?).map_err(|_| "local deletion time out of range".to_string())
        };
        let min_local_deletion_time = local(&mut pos)?;
        let max_local_deletion_time = local(&mut pos)?;
        let tombstone_count = read_uvarint(b, &mut pos).map_err(e)?;
        let data_size_bytes = read_uvarint(b, &mut pos).map_err(e)?;
        if pos != b.len() {
            return Err("trailing bytes after the statistics".into());
        }
        Ok(SstableStats {
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
