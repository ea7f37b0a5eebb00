//! The versioned binary encoding of partitions and mutations, shared by commitlog records and SSTables.
//!
//! The encoding is compact: lengths and counts are LEB128 varints, signed numbers are zigzag varints,
//! and timestamps and local deletion times are written as the difference from the previous one written
//! in the same partition (rows and cells written together usually share a timestamp, so most cost one
//! byte). Decoding never panics: garbage yields [`ModelError::Corrupt`].
//!
//! A partition carries no version byte of its own: its container (a commitlog record, an SSTable
//! header) records [`FORMAT_VERSION`].
//!
//! Because of the deltas, decoding can resume in the middle of a partition only at a row boundary and
//! with the [`DeltaState`] there: [`encode_partition_marked`] records such [`RowMark`]s while
//! encoding (SSTables keep them as the row index of wide partitions), [`decode_partition_head`] reads
//! what precedes the rows, and [`RowDecoder`] decodes (or skips, without allocating) rows from a mark.
//!
//! ```text
//! mutations    := version:u8 (= FORMAT_VERSION) ∥ count:uvarint ∥ { table:uuid(16 bytes) ∥ partition }*
//!
//! partition    := key:bytes ∥ flags:u8 ∥ [deletion] ∥ [rt_count:uvarint ∥ range_tombstone*]
//!                 ∥ [static:row] ∥ [row_count:uvarint ∥ row*]
//!                 flags: 0x01 deletion, 0x02 static row, 0x04 range tombstones, 0x08 rows
//! range_tombstone := start:bytes ∥ has_end:u8 (0|1) ∥ [end:bytes] ∥ deletion
//! row          := clustering:bytes ∥ flags:u8 ∥ [liveness] ∥ [deletion] ∥ [cell_count:uvarint ∥ cell*]
//!                 ∥ [cd_count:uvarint ∥ { column:bytes ∥ deletion }*]
//!                 flags: 0x01 liveness, 0x02 liveness expires, 0x04 deletion, 0x08 cells, 0x10 complex deletions
//! liveness     := Δtimestamp ∥ [ttl:zigzag ∥ Δlocal_expiration_time]   (bracketed part iff flag 0x02)
//! cell         := flags:u8 ∥ [column:bytes] ∥ [path:bytes] ∥ Δtimestamp ∥ [ttl:zigzag]
//!                 ∥ [Δlocal_deletion_time] ∥ [value:bytes]
//!                 flags: 0x01 same column as the previous cell of the row (column omitted),
//!                        0x02 path, 0x04 value (absent = tombstone), 0x08 ttl ≠ 0,
//!                        0x10 local_deletion_time ≠ NO_DELETION_TIME
//! deletion     := Δtimestamp ∥ Δlocal_deletion_time
//! bytes        := len:uvarint ∥ len bytes
//! Δtimestamp   := zigzag(timestamp − previous timestamp of this partition, wrapping; starts at 0)
//! Δlocal_…time := zigzag(time − previous local time of this partition, wrapping; starts at 0)
//! ```

use bytes::Bytes;
use uuid::Uuid;

use crate::{
    Cell, ColumnCell, DeletionTime, LivenessInfo, ModelError, Mutation, Partition, RangeTombstone, Row,
    NO_DELETION_TIME,
};

/// Version of this encoding, recorded by the containers (commitlog records, SSTables).
pub const FORMAT_VERSION: u8 = 1;

const P_DELETION: u8 = 0x01;
const P_STATIC: u8 = 0x02;
const P_RANGE_TOMBSTONES: u8 = 0x04;
const P_ROWS: u8 = 0x08;
const P_ALL: u8 = P_DELETION | P_STATIC | P_RANGE_TOMBSTONES | P_ROWS;

const R_LIVENESS: u8 = 0x01;
const R_LIVENESS_EXPIRES: u8 = 0x02;
const R_DELETION: u8 = 0x04;
const R_CELLS: u8 = 0x08;
const R_COMPLEX_DELETIONS: u8 = 0x10;
const R_ALL: u8 = R_LIVENESS | R_LIVENESS_EXPIRES | R_DELETION | R_CELLS | R_COMPLEX_DELETIONS;

const C_SAME_COLUMN: u8 = 0x01;
const C_PATH: u8 = 0x02;
const C_VALUE: u8 = 0x04;
const C_TTL: u8 = 0x08;
const C_LOCAL_DELETION_TIME: u8 = 0x10;
const C_ALL: u8 = C_SAME_COLUMN | C_PATH | C_VALUE | C_TTL | C_LOCAL_DELETION_TIME;

/// Appends `value` as an unsigned LEB128 varint (1 to 10 bytes).
pub fn write_uvarint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads an unsigned LEB128 varint at `*pos`, advancing `*pos` past it.
///
/// Inlined for its one-byte case (most lengths, deltas and flags), which point reads decode by the
/// thousand; longer varints take the out-of-line loop.
#[inline]
pub fn read_uvarint(buf: &[u8], pos: &mut usize) -> Result<u64, ModelError> {
    if let Some(&byte) = buf.get(*pos) {
        if byte < 0x80 {
            *pos += 1;
            return Ok(u64::from(byte));
        }
    }
    read_uvarint_long(buf, pos)
}

#[inline(never)]
fn read_uvarint_long(buf: &[u8], pos: &mut usize) -> Result<u64, ModelError> {
    let mut value: u64 = 0;
    let mut shift = 0u32;
    loop {
        let Some(&byte) = buf.get(*pos) else {
            return Err(corrupt(*pos, "truncated varint"));
        };
        *pos += 1;
        if shift == 63 && byte > 1 {
            return Err(corrupt(*pos - 1, "varint overflows 64 bits"));
        }
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
        shift += 7;
    }
}

/// Appends `value` as a zigzag-encoded varint (small magnitudes, either sign, are short).
pub fn write_ivarint(out: &mut Vec<u8>, value: i64) {
    write_uvarint(out, ((value << 1) ^ (value >> 63)) as u64);
}

/// Reads a zigzag-encoded varint written by [`write_ivarint`].
#[inline]
pub fn read_ivarint(buf: &[u8], pos: &mut usize) -> Result<i64, ModelError> {
    let raw = read_uvarint(buf, pos)?;
    Ok(((raw >> 1) as i64) ^ -((raw & 1) as i64))
}

fn corrupt(pos: usize, what: &str) -> ModelError {
    ModelError::Corrupt(format!("{what} at byte {pos}"))
}

/// Encodes one partition (without a version byte) at the end of `out`.
pub fn encode_partition(p: &Partition, out: &mut Vec<u8>) {
    Encoder { out, prev_ts: 0, prev_ldt: 0, marks: None }.partition(p);
}

/// Decodes one partition from the start of `buf`; returns it and the number of bytes it took.
/// Bytes after the partition are left alone.
pub fn decode_partition(buf: &[u8]) -> Result<(Partition, usize), ModelError> {
    let mut d = Decoder { buf, pos: 0, prev_ts: 0, prev_ldt: 0 };
    let p = d.partition()?;
    Ok((p, d.pos))
}

/// The state of the delta encoding at some point of a partition's encoding: the last timestamp and
/// local time written before it. Decoding can resume at a row boundary given the state there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct DeltaState {
    pub timestamp: i64,
    pub local_time: i32,
}

/// Where a row starts in a partition's encoding, recorded by [`encode_partition_marked`]: enough to
/// decode the rows from there on ([`RowDecoder`]) without decoding what comes before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowMark {
    /// The row's clustering key.
    pub clustering: Bytes,
    /// Index of the row among the partition's (non-static) rows.
    pub row: u64,
    /// Byte offset of the row from the start of the partition's encoding.
    pub offset: usize,
    /// The delta state just before the row.
    pub state: DeltaState,
}

/// Like [`encode_partition`], and also records a [`RowMark`] in `marks` for the first row and then for
/// each row starting at least `min_gap` bytes after the previous mark (the bytes are identical).
pub fn encode_partition_marked(p: &Partition, out: &mut Vec<u8>, min_gap: usize, marks: &mut Vec<RowMark>) {
    let base = out.len();
    Encoder { out, prev_ts: 0, prev_ldt: 0, marks: Some(MarkSink { marks, min_gap: min_gap.max(1), base }) }
        .partition(p);
}

/// A partition without its rows, as [`decode_partition_head`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionHead {
    /// Key, partition deletion, range tombstones and static row; `rows` is empty.
    pub partition: Partition,
    /// How many rows follow the head.
    pub row_count: u64,
    /// Length of the head: the first row starts at this offset.
    pub len: usize,
    /// The delta state at the first row.
    pub state: DeltaState,
}

/// Decodes the head of a partition (everything before its first row) from the start of `buf`, which
/// may end anywhere after the head.
pub fn decode_partition_head(buf: &[u8]) -> Result<PartitionHead, ModelError> {
    let mut d = Decoder { buf, pos: 0, prev_ts: 0, prev_ldt: 0 };
    let (partition, row_count) = d.head()?;
    Ok(PartitionHead {
        partition,
        row_count,
        len: d.pos,
        state: DeltaState { timestamp: d.prev_ts, local_time: d.prev_ldt },
    })
}

/// Decodes consecutive rows of a partition from a buffer starting at a row boundary, given the delta
/// state there (from a [`RowMark`] or a [`PartitionHead`]).
pub struct RowDecoder<'a> {
    d: Decoder<'a>,
}

impl<'a> RowDecoder<'a> {
    pub fn new(buf: &'a [u8], state: DeltaState) -> RowDecoder<'a> {
        RowDecoder { d: Decoder { buf, pos: 0, prev_ts: state.timestamp, prev_ldt: state.local_time } }
    }

    /// The next row, or `None` at the end of the buffer. A row cut by the end of the buffer is an error.
    pub fn next_row(&mut self) -> Result<Option<Row>, ModelError> {
        if self.d.pos >= self.d.buf.len() {
            return Ok(None);
        }
        self.d.row().map(Some)
    }

    /// The clustering key of the next row without decoding the row, or `None` at the end of the buffer.
    pub fn peek_clustering(&self) -> Result<Option<&'a [u8]>, ModelError> {
        if self.d.pos >= self.d.buf.len() {
            return Ok(None);
        }
        let mut pos = self.d.pos;
        let len = read_uvarint(self.d.buf, &mut pos)?;
        let end = usize::try_from(len)
            .ok()
            .and_then(|len| pos.checked_add(len))
            .filter(|&end| end <= self.d.buf.len())
            .ok_or_else(|| corrupt(self.d.pos, "length past the end of the input"))?;
        Ok(Some(&self.d.buf[pos..end]))
    }

    /// Moves past the next row without building it (no allocation); `false` at the end of the buffer.
    pub fn skip_row(&mut self) -> Result<bool, ModelError> {
        if self.d.pos >= self.d.buf.len() {
            return Ok(false);
        }
        self.d.skip_row()?;
        Ok(true)
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.d.pos
    }
}

/// A commitlog record: a version byte then the mutations (table id, partition each).
pub fn encode_mutations(mutations: &[Mutation], out: &mut Vec<u8>) {
    out.push(FORMAT_VERSION);
    write_uvarint(out, mutations.len() as u64);
    for m in mutations {
        out.extend_from_slice(m.table.as_bytes());
        encode_partition(&m.partition, out);
    }
}

/// Decodes a record written by [`encode_mutations`]; the whole buffer must be used.
pub fn decode_mutations(buf: &[u8]) -> Result<Vec<Mutation>, ModelError> {
    let Some(&version) = buf.first() else {
        return Err(ModelError::Corrupt("empty mutation record".into()));
    };
    if version != FORMAT_VERSION {
        return Err(ModelError::UnsupportedVersion(version));
    }
    let mut pos = 1;
    let count = read_uvarint(buf, &mut pos)?;
    // Each mutation takes at least 16 + 2 bytes, which bounds a garbage count.
    if count > ((buf.len() - pos) / 18) as u64 {
        return Err(corrupt(1, "mutation count larger than the record"));
    }
    let mut mutations = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let Some(id) = buf.get(pos..pos + 16) else {
            return Err(corrupt(pos, "truncated table id"));
        };
        let table = Uuid::from_slice(id).map_err(|_| corrupt(pos, "bad table id"))?;
        pos += 16;
        let (partition, used) = decode_partition(&buf[pos..]).map_err(|e| offset_error(e, pos))?;
        pos += used;
        mutations.push(Mutation { table, partition });
    }
    if pos != buf.len() {
        return Err(corrupt(pos, "trailing bytes after the mutations"));
    }
    Ok(mutations)
}

fn offset_error(e: ModelError, base: usize) -> ModelError {
    match e {
        ModelError::Corrupt(msg) => ModelError::Corrupt(format!("{msg} (partition starting at byte {base})")),
        other => other,
    }
}

struct Encoder<'a> {
    out: &'a mut Vec<u8>,
    prev_ts: i64,
    prev_ldt: i32,
    marks: Option<MarkSink<'a>>,
}

struct MarkSink<'a> {
    marks: &'a mut Vec<RowMark>,
    min_gap: usize,
    /// Where the partition starts in `out`.
    base: usize,
}

impl Encoder<'_> {
    fn bytes(&mut self, b: &[u8]) {
        write_uvarint(self.out, b.len() as u64);
        self.out.extend_from_slice(b);
    }

    fn timestamp(&mut self, ts: i64) {
        write_ivarint(self.out, ts.wrapping_sub(self.prev_ts));
        self.prev_ts = ts;
    }

    fn local_time(&mut self, t: i32) {
        write_ivarint(self.out, i64::from(t.wrapping_sub(self.prev_ldt)));
        self.prev_ldt = t;
    }

    fn deletion(&mut self, d: &DeletionTime) {
        self.timestamp(d.marked_for_delete_at);
        self.local_time(d.local_deletion_time);
    }

    fn partition(&mut self, p: &Partition) {
        self.bytes(&p.key);
        let mut flags = 0;
        if p.deletion.is_some() {
            flags |= P_DELETION;
        }
        if p.static_row.is_some() {
            flags |= P_STATIC;
        }
        if !p.range_tombstones.is_empty() {
            flags |= P_RANGE_TOMBSTONES;
        }
        if !p.rows.is_empty() {
            flags |= P_ROWS;
        }
        self.out.push(flags);
        if let Some(d) = &p.deletion {
            self.deletion(d);
        }
        if !p.range_tombstones.is_empty() {
            write_uvarint(self.out, p.range_tombstones.len() as u64);
            for rt in &p.range_tombstones {
                self.bytes(&rt.start);
                match &rt.end {
                    Some(end) => {
                        self.out.push(1);
                        self.bytes(end);
                    }
                    None => self.out.push(0),
                }
                self.deletion(&rt.deletion);
            }
        }
        if let Some(row) = &p.static_row {
            self.row(row);
        }
        if !p.rows.is_empty() {
            write_uvarint(self.out, p.rows.len() as u64);
            for (i, row) in p.rows.iter().enumerate() {
                if let Some(sink) = &mut self.marks {
                    let offset = self.out.len() - sink.base;
                    if sink.marks.last().is_none_or(|m| offset - m.offset >= sink.min_gap) {
                        sink.marks.push(RowMark {
                            clustering: row.clustering.clone(),
                            row: i as u64,
                            offset,
                            state: DeltaState { timestamp: self.prev_ts, local_time: self.prev_ldt },
                        });
                    }
                }
                self.row(row);
            }
        }
    }

    fn row(&mut self, row: &Row) {
        self.bytes(&row.clustering);
        let mut flags = 0;
        if let Some(l) = &row.liveness {
            flags |= R_LIVENESS;
            if l.ttl != 0 || l.local_expiration_time != NO_DELETION_TIME {
                flags |= R_LIVENESS_EXPIRES;
            }
        }
        if row.deletion.is_some() {
            flags |= R_DELETION;
        }
        if !row.cells.is_empty() {
            flags |= R_CELLS;
        }
        if !row.complex_deletions.is_empty() {
            flags |= R_COMPLEX_DELETIONS;
        }
        self.out.push(flags);
        if let Some(l) = &row.liveness {
            self.timestamp(l.timestamp);
            if flags & R_LIVENESS_EXPIRES != 0 {
                write_ivarint(self.out, i64::from(l.ttl));
                self.local_time(l.local_expiration_time);
            }
        }
        if let Some(d) = &row.deletion {
            self.deletion(d);
        }
        if !row.cells.is_empty() {
            write_uvarint(self.out, row.cells.len() as u64);
            let mut prev_column: Option<&Bytes> = None;
            for cc in &row.cells {
                self.cell(cc, prev_column);
                prev_column = Some(&cc.column);
            }
        }
        if !row.complex_deletions.is_empty() {
            write_uvarint(self.out, row.complex_deletions.len() as u64);
            for (column, d) in &row.complex_deletions {
                self.bytes(column);
                self.deletion(d);
            }
        }
    }

    fn cell(&mut self, cc: &ColumnCell, prev_column: Option<&Bytes>) {
        let cell = &cc.cell;
        let mut flags = 0;
        let same_column = prev_column == Some(&cc.column);
        if same_column {
            flags |= C_SAME_COLUMN;
        }
        if cc.path.is_some() {
            flags |= C_PATH;
        }
        if cell.value.is_some() {
            flags |= C_VALUE;
        }
        if cell.ttl != 0 {
            flags |= C_TTL;
        }
        if cell.local_deletion_time != NO_DELETION_TIME {
            flags |= C_LOCAL_DELETION_TIME;
        }
        self.out.push(flags);
        if !same_column {
            self.bytes(&cc.column);
        }
        if let Some(path) = &cc.path {
            self.bytes(path);
        }
        self.timestamp(cell.timestamp);
        if cell.ttl != 0 {
            write_ivarint(self.out, i64::from(cell.ttl));
        }
        if cell.local_deletion_time != NO_DELETION_TIME {
            self.local_time(cell.local_deletion_time);
        }
        if let Some(value) = &cell.value {
            self.bytes(value);
        }
    }
}

struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
    prev_ts: i64,
    prev_ldt: i32,
}

impl Decoder<'_> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn u8(&mut self) -> Result<u8, ModelError> {
        let b = *self.buf.get(self.pos).ok_or_else(|| corrupt(self.pos, "truncated"))?;
        self.pos += 1;
        Ok(b)
    }

    fn flags(&mut self, allowed: u8, what: &str) -> Result<u8, ModelError> {
        let at = self.pos;
        let f = self.u8()?;
        if f & !allowed != 0 {
            return Err(corrupt(at, &format!("unknown {what} flags {f:#04x}")));
        }
        Ok(f)
    }

    fn uvarint(&mut self) -> Result<u64, ModelError> {
        read_uvarint(self.buf, &mut self.pos)
    }

    fn ivarint(&mut self) -> Result<i64, ModelError> {
        read_ivarint(self.buf, &mut self.pos)
    }

    fn i32(&mut self) -> Result<i32, ModelError> {
        let at = self.pos;
        i32::try_from(self.ivarint()?).map_err(|_| corrupt(at, "value out of 32-bit range"))
    }

    /// A count of items that take at least one byte each: bounded by the bytes left.
    fn count(&mut self) -> Result<usize, ModelError> {
        let at = self.pos;
        let n = self.uvarint()?;
        if n > self.remaining() as u64 {
            return Err(corrupt(at, "count larger than the remaining input"));
        }
        Ok(n as usize)
    }

    fn bytes(&mut self) -> Result<Bytes, ModelError> {
        let at = self.pos;
        let len = self.uvarint()?;
        if len > self.remaining() as u64 {
            return Err(corrupt(at, "length past the end of the input"));
        }
        let start = self.pos;
        self.pos += len as usize;
        Ok(Bytes::copy_from_slice(&self.buf[start..self.pos]))
    }

    fn timestamp(&mut self) -> Result<i64, ModelError> {
        let ts = self.prev_ts.wrapping_add(self.ivarint()?);
        self.prev_ts = ts;
        Ok(ts)
    }

    fn local_time(&mut self) -> Result<i32, ModelError> {
        let t = self.prev_ldt.wrapping_add(self.i32()?);
        self.prev_ldt = t;
        Ok(t)
    }

    fn deletion(&mut self) -> Result<DeletionTime, ModelError> {
        let marked_for_delete_at = self.timestamp()?;
        let local_deletion_time = self.local_time()?;
        Ok(DeletionTime { marked_for_delete_at, local_deletion_time })
    }

    fn partition(&mut self) -> Result<Partition, ModelError> {
        let (mut p, n) = self.head()?;
        if n > self.remaining() as u64 {
            return Err(corrupt(self.pos, "row count larger than the remaining input"));
        }
        p.rows.reserve(n as usize);
        for _ in 0..n {
            p.rows.push(self.row()?);
        }
        Ok(p)
    }

    /// Everything before the rows, and the row count.
    fn head(&mut self) -> Result<(Partition, u64), ModelError> {
        let key = self.bytes()?;
        let flags = self.flags(P_ALL, "partition")?;
        let deletion = if flags & P_DELETION != 0 { Some(self.deletion()?) } else { None };
        let mut range_tombstones = Vec::new();
        if flags & P_RANGE_TOMBSTONES != 0 {
            let n = self.count()?;
            range_tombstones.reserve(n);
            for _ in 0..n {
                let start = self.bytes()?;
                let at = self.pos;
                let end = match self.u8()? {
                    0 => None,
                    1 => Some(self.bytes()?),
                    _ => return Err(corrupt(at, "bad range tombstone end marker")),
                };
                let deletion = self.deletion()?;
                range_tombstones.push(RangeTombstone { start, end, deletion });
            }
        }
        let static_row = if flags & P_STATIC != 0 { Some(self.row()?) } else { None };
        let row_count = if flags & P_ROWS != 0 { self.uvarint()? } else { 0 };
        Ok((Partition { key, deletion, range_tombstones, static_row, rows: Vec::new() }, row_count))
    }

    fn row(&mut self) -> Result<Row, ModelError> {
        let clustering = self.bytes()?;
        let at = self.pos;
        let flags = self.flags(R_ALL, "row")?;
        if flags & R_LIVENESS_EXPIRES != 0 && flags & R_LIVENESS == 0 {
            return Err(corrupt(at, "row liveness expiry without liveness"));
        }
        let liveness = if flags & R_LIVENESS != 0 {
            let timestamp = self.timestamp()?;
            let (ttl, local_expiration_time) =
                if flags & R_LIVENESS_EXPIRES != 0 { (self.i32()?, self.local_time()?) } else { (0, NO_DELETION_TIME) };
            Some(LivenessInfo { timestamp, ttl, local_expiration_time })
        } else {
            None
        };
        let deletion = if flags & R_DELETION != 0 { Some(self.deletion()?) } else { None };
        let mut cells: Vec<ColumnCell> = Vec::new();
        if flags & R_CELLS != 0 {
            let n = self.count()?;
            cells.reserve(n);
            for _ in 0..n {
                let prev = cells.last().map(|c| c.column.clone());
                cells.push(self.cell(prev)?);
            }
        }
        let mut complex_deletions = Vec::new();
        if flags & R_COMPLEX_DELETIONS != 0 {
            let n = self.count()?;
            complex_deletions.reserve(n);
            for _ in 0..n {
                let column = self.bytes()?;
                complex_deletions.push((column, self.deletion()?));
            }
        }
        Ok(Row { clustering, liveness, deletion, cells, complex_deletions })
    }

    /// Parses a row like [`Decoder::row`] (same checks, same delta state afterwards) without
    /// building it.
    fn skip_row(&mut self) -> Result<(), ModelError> {
        self.skip_bytes()?;
        let at = self.pos;
        let flags = self.flags(R_ALL, "row")?;
        if flags & R_LIVENESS_EXPIRES != 0 && flags & R_LIVENESS == 0 {
            return Err(corrupt(at, "row liveness expiry without liveness"));
        }
        if flags & R_LIVENESS != 0 {
            self.timestamp()?;
            if flags & R_LIVENESS_EXPIRES != 0 {
                self.i32()?;
                self.local_time()?;
            }
        }
        if flags & R_DELETION != 0 {
            self.deletion()?;
        }
        if flags & R_CELLS != 0 {
            let n = self.count()?;
            for i in 0..n {
                let at = self.pos;
                let flags = self.flags(C_ALL, "cell")?;
                if flags & C_SAME_COLUMN == 0 {
                    self.skip_bytes()?;
                } else if i == 0 {
                    return Err(corrupt(at, "first cell of a row refers to a previous column"));
                }
                if flags & C_PATH != 0 {
                    self.skip_bytes()?;
                }
                self.timestamp()?;
                if flags & C_TTL != 0 {
                    self.i32()?;
                }
                if flags & C_LOCAL_DELETION_TIME != 0 {
                    self.local_time()?;
                }
                if flags & C_VALUE != 0 {
                    self.skip_bytes()?;
                }
            }
        }
        if flags & R_COMPLEX_DELETIONS != 0 {
            let n = self.count()?;
            for _ in 0..n {
                self.skip_bytes()?;
                self.deletion()?;
            }
        }
        Ok(())
    }

    fn skip_bytes(&mut self) -> Result<(), ModelError> {
        let at = self.pos;
        let len = self.uvarint()?;
        if len > self.remaining() as u64 {
            return Err(corrupt(at, "length past the end of the input"));
        }
        self.pos += len as usize;
        Ok(())
    }

    fn cell(&mut self, prev_column: Option<Bytes>) -> Result<ColumnCell, ModelError> {
        let at = self.pos;
        let flags = self.flags(C_ALL, "cell")?;
        let column = if flags & C_SAME_COLUMN != 0 {
            prev_column.ok_or_else(|| corrupt(at, "first cell of a row refers to a previous column"))?
        } else {
            self.bytes()?
        };
        let path = if flags & C_PATH != 0 { Some(self.bytes()?) } else { None };
        let timestamp = self.timestamp()?;
        let ttl = if flags & C_TTL != 0 { self.i32()? } else { 0 };
        let local_deletion_time =
            if flags & C_LOCAL_DELETION_TIME != 0 { self.local_time()? } else { NO_DELETION_TIME };
        let value = if flags & C_VALUE != 0 { Some(self.bytes()?) } else { None };
        Ok(ColumnCell { column, path, cell: Cell { timestamp, ttl, local_deletion_time, value } })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bytes_strategy(max: usize) -> impl Strategy<Value = Bytes> {
        proptest::collection::vec(any::<u8>(), 0..max).prop_map(Bytes::from)
    }

    fn deletion_strategy() -> impl Strategy<Value = DeletionTime> {
        (any::<i64>(), any::<i32>()).prop_map(|(marked_for_delete_at, local_deletion_time)| DeletionTime {
            marked_for_delete_at,
            local_deletion_time,
        })
    }

    fn cell_strategy() -> impl Strategy<Value = ColumnCell> {
        (
            prop_oneof![Just(Bytes::from_static(b"c")), bytes_strategy(6)],
            proptest::option::of(bytes_strategy(6)),
            prop_oneof![any::<i64>(), 1_700_000_000_000_000i64..1_700_000_000_000_100],
            prop_oneof![Just(0), any::<i32>()],
            prop_oneof![Just(NO_DELETION_TIME), any::<i32>()],
            proptest::option::of(bytes_strategy(20)),
        )
            .prop_map(|(column, path, timestamp, ttl, local_deletion_time, value)| ColumnCell {
                column,
                path,
                cell: Cell { timestamp, ttl, local_deletion_time, value },
            })
    }

    fn row_strategy() -> impl Strategy<Value = Row> {
        (
            bytes_strategy(8),
            proptest::option::of((
                any::<i64>(),
                prop_oneof![Just(0), any::<i32>()],
                prop_oneof![Just(NO_DELETION_TIME), any::<i32>()],
            )),
            proptest::option::of(deletion_strategy()),
            proptest::collection::vec(cell_strategy(), 0..5),
            proptest::collection::vec((bytes_strategy(4), deletion_strategy()), 0..3),
        )
            .prop_map(|(clustering, liveness, deletion, cells, complex_deletions)| Row {
                clustering,
                liveness: liveness.map(|(timestamp, ttl, local_expiration_time)| LivenessInfo {
                    timestamp,
                    ttl,
                    local_expiration_time,
                }),
                deletion,
                cells,
                complex_deletions,
            })
    }

    fn partition_strategy() -> impl Strategy<Value = Partition> {
        (
            bytes_strategy(24),
            proptest::option::of(deletion_strategy()),
            proptest::collection::vec(
                (bytes_strategy(6), proptest::option::of(bytes_strategy(6)), deletion_strategy())
                    .prop_map(|(start, end, deletion)| RangeTombstone { start, end, deletion }),
                0..3,
            ),
            proptest::option::of(row_strategy()),
            proptest::collection::vec(row_strategy(), 0..5),
        )
            .prop_map(|(key, deletion, range_tombstones, static_row, rows)| Partition {
                key,
                deletion,
                range_tombstones,
                static_row,
                rows,
            })
    }

    fn sample_partition() -> Partition {
        let ts = 1_700_000_000_000_000;
        Partition {
            key: Bytes::from_static(b"\x80\0\0\0\0\0\0\x01key"),
            deletion: None,
            range_tombstones: vec![],
            static_row: None,
            rows: (0..3u8)
                .map(|i| Row {
                    clustering: Bytes::from(vec![i]),
                    liveness: Some(LivenessInfo { timestamp: ts, ttl: 0, local_expiration_time: NO_DELETION_TIME }),
                    deletion: None,
                    cells: vec![ColumnCell {
                        column: Bytes::from_static(b"v"),
                        path: None,
                        cell: Cell::live(ts, Bytes::from_static(b"value")),
                    }],
                    complex_deletions: vec![],
                })
                .collect(),
        }
    }

    proptest! {
        #[test]
        fn partitions_round_trip(p in partition_strategy()) {
            let mut buf = Vec::new();
            encode_partition(&p, &mut buf);
            let (decoded, used) = decode_partition(&buf).unwrap();
            prop_assert_eq!(used, buf.len());
            prop_assert_eq!(decoded, p);
        }

        #[test]
        fn mutations_round_trip(ps in proptest::collection::vec((any::<u128>(), partition_strategy()), 0..4)) {
            let mutations: Vec<Mutation> =
                ps.into_iter().map(|(id, partition)| Mutation { table: Uuid::from_u128(id), partition }).collect();
            let mut buf = Vec::new();
            encode_mutations(&mutations, &mut buf);
            prop_assert_eq!(decode_mutations(&buf).unwrap(), mutations);
        }

        #[test]
        fn garbage_never_panics(buf in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode_partition(&buf);
            let _ = decode_mutations(&buf);
        }

        #[test]
        fn every_truncation_of_a_partition_is_an_error(p in partition_strategy(), cut in any::<prop::sample::Index>()) {
            let mut buf = Vec::new();
            encode_partition(&p, &mut buf);
            let cut = cut.index(buf.len());
            prop_assert!(decode_partition(&buf[..cut]).is_err());
        }

        #[test]
        fn marked_encoding_is_identical_and_rows_decode_from_every_mark(p in partition_strategy(), gap in 0usize..64) {
            let mut plain = Vec::new();
            encode_partition(&p, &mut plain);
            let mut marked = vec![0xAA; 3]; // marks are relative to where the partition starts
            let mut marks = Vec::new();
            encode_partition_marked(&p, &mut marked, gap, &mut marks);
            prop_assert_eq!(&marked[3..], &plain[..]);
            prop_assert_eq!(marks.is_empty(), p.rows.is_empty());
            let head = decode_partition_head(&plain).unwrap();
            prop_assert_eq!(head.row_count, p.rows.len() as u64);
            prop_assert_eq!(&head.partition, &Partition { rows: vec![], ..p.clone() });
            if let Some(first) = marks.first() {
                prop_assert_eq!((first.row, first.offset, first.state), (0, head.len, head.state));
            }
            // Skipping rows leaves the decoder where decoding them would.
            let mut skipping = RowDecoder::new(&plain[head.len..], head.state);
            for (i, row) in p.rows.iter().enumerate() {
                prop_assert_eq!(skipping.peek_clustering().unwrap(), Some(&row.clustering[..]));
                if i % 2 == 0 {
                    prop_assert!(skipping.skip_row().unwrap());
                } else {
                    prop_assert_eq!(skipping.next_row().unwrap(), Some(row.clone()));
                }
            }
            prop_assert_eq!(skipping.peek_clustering().unwrap(), None);
            prop_assert!(!skipping.skip_row().unwrap());
            for (i, mark) in marks.iter().enumerate() {
                prop_assert_eq!(&mark.clustering, &p.rows[mark.row as usize].clustering);
                if i > 0 {
                    prop_assert!(mark.offset - marks[i - 1].offset >= gap.max(1));
                }
                let mut d = RowDecoder::new(&plain[mark.offset..], mark.state);
                let mut rows = Vec::new();
                while let Some(row) = d.next_row().unwrap() {
                    rows.push(row);
                }
                prop_assert_eq!(d.position(), plain.len() - mark.offset);
                prop_assert_eq!(&rows[..], &p.rows[mark.row as usize..]);
            }
        }

        #[test]
        fn garbage_rows_and_heads_never_panic(buf in proptest::collection::vec(any::<u8>(), 0..200), ts in any::<i64>()) {
            let _ = decode_partition_head(&buf);
            let mut d = RowDecoder::new(&buf, DeltaState { timestamp: ts, local_time: 0 });
            while let Ok(Some(_)) = d.next_row() {}
            let mut d = RowDecoder::new(&buf, DeltaState { timestamp: ts, local_time: 0 });
            while let (Ok(Some(_)), Ok(true)) = (d.peek_clustering(), d.skip_row()) {}
        }

        #[test]
        fn varints_round_trip(u in any::<u64>(), i in any::<i64>()) {
            let mut buf = Vec::new();
            write_uvarint(&mut buf, u);
            write_ivarint(&mut buf, i);
            let mut pos = 0;
            prop_assert_eq!(read_uvarint(&buf, &mut pos).unwrap(), u);
            prop_assert_eq!(read_ivarint(&buf, &mut pos).unwrap(), i);
            prop_assert_eq!(pos, buf.len());
        }
    }

    #[test]
    fn decode_partition_reports_bytes_consumed_and_ignores_what_follows() {
        let p = sample_partition();
        let mut buf = Vec::new();
        encode_partition(&p, &mut buf);
        let len = buf.len();
        buf.extend_from_slice(b"next");
        assert_eq!(decode_partition(&buf).unwrap(), (p, len));
    }

    #[test]
    fn rows_sharing_a_timestamp_cost_one_byte_per_timestamp() {
        let mut buf = Vec::new();
        encode_partition(&sample_partition(), &mut buf);
        // key(1+11) + flags + row count + 3 × (clustering 2 + flags 1 + ts 1 + cell count 1
        // + cell flags 1 + column 2 + ts 1 + value 6), plus 7 more bytes for the first timestamp.
        assert_eq!(buf.len(), 12 + 1 + 1 + 3 * 15 + 7);
    }

    #[test]
    fn a_record_of_another_version_is_unsupported() {
        let mut buf = Vec::new();
        encode_mutations(&[], &mut buf);
        buf[0] = FORMAT_VERSION + 1;
        assert!(matches!(decode_mutations(&buf), Err(ModelError::UnsupportedVersion(v)) if v == FORMAT_VERSION + 1));
    }

    #[test]
    fn trailing_bytes_after_mutations_are_corrupt() {
        let mut buf = Vec::new();
        encode_mutations(&[Mutation { table: Uuid::nil(), partition: sample_partition() }], &mut buf);
        buf.push(0);
        assert!(matches!(decode_mutations(&buf), Err(ModelError::Corrupt(_))));
    }

    #[test]
    fn an_empty_record_is_corrupt() {
        assert!(matches!(decode_mutations(&[]), Err(ModelError::Corrupt(_))));
    }

    #[test]
    fn unknown_flag_bits_are_corrupt() {
        let mut buf = Vec::new();
        encode_partition(&Partition { key: Bytes::from_static(b"k"), ..Default::default() }, &mut buf);
        buf[2] = 0x80;
        assert!(matches!(decode_partition(&buf), Err(ModelError::Corrupt(_))));
    }

    #[test]
    fn a_huge_count_does_not_allocate_before_failing() {
        let mut buf = vec![0, P_ROWS];
        write_uvarint(&mut buf, u64::MAX >> 1);
        assert!(matches!(decode_partition(&buf), Err(ModelError::Corrupt(_))));
    }
}
