//! Reconciliation of two versions of the same data, and merging of partitions.
//!
//! The rules follow Cassandra 5.0 (`Cells.reconcile`, `LivenessInfo.supersedes`, `DeletionTime.supersedes`):
//!
//! * **Cells**: the higher timestamp wins. On a tie, an expiring cell or a tombstone beats a regular live
//!   cell, a tombstone beats an expiring cell, then the higher `local_deletion_time` wins, then the greater
//!   value. Two cells still equal after that differ at most in `ttl`, and the greater `ttl` wins, which
//!   makes [`reconcile`] a maximum over a total order: commutative, associative and idempotent.
//! * **Liveness**: the higher timestamp wins; on a tie an expiring liveness beats a non-expiring one, then
//!   the later expiration wins.
//! * **Deletions**: the later one ([`DeletionTime::max`]).
//!
//! A merged partition is kept in a *canonical* form, which [`normalize`] also produces:
//!
//! * rows are sorted by clustering and unique, cells sorted by `(column, path)` and unique, complex
//!   deletions sorted by column and unique;
//! * range tombstones are sorted, non-overlapping, non-empty, and two adjacent ones never carry the same
//!   deletion; where two overlapped, the later deletion covers the overlap;
//! * nothing is kept that a deletion shadows (`timestamp <= marked_for_delete_at`): cells, row liveness,
//!   row deletions, complex deletions and range tombstones shadowed by the partition deletion, a covering
//!   range tombstone, the row deletion or (for the cells of one column) a complex deletion are dropped;
//!   a row left with nothing is dropped.
//!
//! Expired cells and liveness are *not* dropped here: that depends on the current time and is the job of
//! [`crate::purge`]. Because shadowing only grows as deletions merge, dropping shadowed data early gives
//! the same result as dropping it at the end, so merging stays commutative and associative on the whole
//! canonical structure, not only on what a read observes.

use std::cmp::Ordering;

use bytes::Bytes;

use crate::{Cell, ColumnCell, DeletionTime, LivenessInfo, Partition, RangeTombstone, Row};

/// Cassandra's cell reconciliation: the cell that wins between two versions of the same cell.
pub fn reconcile(a: &Cell, b: &Cell) -> Cell {
    if cell_order(a, b) == Ordering::Less {
        b.clone()
    } else {
        a.clone()
    }
}

/// [`reconcile`] without cloning.
pub fn reconcile_owned(a: Cell, b: Cell) -> Cell {
    if cell_order(&a, &b) == Ordering::Less {
        b
    } else {
        a
    }
}

/// How a cell ranks on a timestamp tie: tombstones over expiring cells over regular cells.
fn cell_class(c: &Cell) -> u8 {
    if c.value.is_none() {
        2
    } else if c.ttl > 0 {
        1
    } else {
        0
    }
}

/// The total order whose maximum [`reconcile`] picks.
pub fn cell_order(a: &Cell, b: &Cell) -> Ordering {
    a.timestamp
        .cmp(&b.timestamp)
        .then_with(|| cell_class(a).cmp(&cell_class(b)))
        .then_with(|| a.local_deletion_time.cmp(&b.local_deletion_time))
        .then_with(|| a.value.cmp(&b.value))
        .then_with(|| a.ttl.cmp(&b.ttl))
}

/// The total order whose maximum [`merge_liveness`] picks (Cassandra's `LivenessInfo.supersedes`).
pub fn liveness_order(a: &LivenessInfo, b: &LivenessInfo) -> Ordering {
    a.timestamp
        .cmp(&b.timestamp)
        .then_with(|| (a.ttl > 0).cmp(&(b.ttl > 0)))
        .then_with(|| a.local_expiration_time.cmp(&b.local_expiration_time))
        .then_with(|| a.ttl.cmp(&b.ttl))
}

/// The liveness that supersedes the other.
pub fn merge_liveness(a: LivenessInfo, b: LivenessInfo) -> LivenessInfo {
    if liveness_order(&a, &b) == Ordering::Less {
        b
    } else {
        a
    }
}

/// The later of two optional deletions.
pub fn max_deletion(a: Option<DeletionTime>, b: Option<DeletionTime>) -> Option<DeletionTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// True when `deletion` shadows data (or a deletion) with this timestamp.
fn shadows(deletion: Option<DeletionTime>, timestamp: i64) -> bool {
    deletion.is_some_and(|d| d.deletes(timestamp))
}

/// Merges two versions of one partition (`b`'s key is ignored; both are expected to have the same key).
/// The result is canonical (see the module doc) even when the inputs are not.
pub fn merge_partitions(a: Partition, b: Partition) -> Partition {
    let mut a = a;
    normalize(&mut a);
    merge_into(&mut a, b);
    a
}

/// Merges `update` into `target`, which must be canonical (a result of [`merge_partitions`],
/// [`merge_into`] or [`normalize`]); `update` may be any valid partition. `target` stays canonical.
///
/// Cost: proportional to the update (plus a binary search per updated row), except when the update
/// raises the partition deletion or adds range tombstones, which re-checks every row of `target`.
pub fn merge_into(target: &mut Partition, update: Partition) {
    let mut update = update;
    normalize(&mut update);
    if target.key.is_empty() && target_is_blank(target) {
        target.key = update.key.clone();
    }

    let old_deletion = target.deletion;
    target.deletion = max_deletion(target.deletion, update.deletion);
    let deletion_changed = target.deletion != old_deletion;
    if deletion_changed {
        let pd = target.deletion;
        target.range_tombstones.retain(|rt| !shadows(pd, rt.deletion.marked_for_delete_at));
    }
    let mut rts_changed = false;
    for rt in update.range_tombstones {
        if !shadows(target.deletion, rt.deletion.marked_for_delete_at) {
            rts_changed |= insert_range_tombstone(&mut target.range_tombstones, rt);
        }
    }
    if deletion_changed || rts_changed {
        filter_rows(target);
    }
    if deletion_changed {
        if let Some(mut s) = target.static_row.take() {
            if !drop_shadowed(&mut s, target.deletion) {
                target.static_row = Some(s);
            }
        }
    }

    // Static row.
    if let Some(us) = update.static_row {
        let merged = match target.static_row.take() {
            Some(ts) => merge_rows(ts, us),
            None => us,
        };
        let mut merged = merged;
        if !drop_shadowed(&mut merged, target.deletion) {
            target.static_row = Some(merged);
        }
    }

    // Rows.
    if update.rows.is_empty() {
        return;
    }
    if update.rows.len().saturating_mul(8) < target.rows.len() {
        for row in update.rows {
            match target.rows.binary_search_by(|r| r.clustering.cmp(&row.clustering)) {
                Ok(i) => {
                    let existing = std::mem::take(&mut target.rows[i]);
                    let mut merged = merge_rows(existing, row);
                    let outer = covering_deletion(target.deletion, &target.range_tombstones, &merged.clustering);
                    if drop_shadowed(&mut merged, outer) {
                        target.rows.remove(i);
                    } else {
                        target.rows[i] = merged;
                    }
                }
                Err(i) => {
                    let mut row = row;
                    let outer = covering_deletion(target.deletion, &target.range_tombstones, &row.clustering);
                    if !drop_shadowed(&mut row, outer) {
                        target.rows.insert(i, row);
                    }
                }
            }
        }
    } else {
        let old = std::mem::take(&mut target.rows);
        let mut out = Vec::with_capacity(old.len() + update.rows.len());
        let mut left = old.into_iter().peekable();
        let mut right = update.rows.into_iter().peekable();
        loop {
            let next = match (left.peek(), right.peek()) {
                (None, None) => break,
                (Some(_), None) => {
                    // Already canonical against the final deletions.
                    out.extend(left.by_ref());
                    break;
                }
                (None, Some(_)) => right.next().map(|r| (r, true)),
                (Some(l), Some(r)) => match l.clustering.cmp(&r.clustering) {
                    Ordering::Less => left.next().map(|r| (r, false)),
                    Ordering::Greater => right.next().map(|r| (r, true)),
                    Ordering::Equal => match (left.next(), right.next()) {
                        (Some(l), Some(r)) => Some((merge_rows(l, r), true)),
                        _ => None,
                    },
                },
            };
            let Some((mut row, needs_filter)) = next else { break };
            if needs_filter {
                let outer = covering_deletion(target.deletion, &target.range_tombstones, &row.clustering);
                if drop_shadowed(&mut row, outer) {
                    continue;
                }
            }
            out.push(row);
        }
        target.rows = out;
    }
}

fn target_is_blank(p: &Partition) -> bool {
    p.deletion.is_none() && p.range_tombstones.is_empty() && p.static_row.is_none() && p.rows.is_empty()
}

/// Merges two versions of one row (same clustering): liveness, row deletion, cells and complex deletions
/// are reconciled, and what the merged deletions shadow inside the row is dropped. The result may be
/// empty (see [`row_is_empty`]).
pub fn merge_rows(a: Row, b: Row) -> Row {
    let liveness = match (a.liveness, b.liveness) {
        (Some(x), Some(y)) => Some(merge_liveness(x, y)),
        (x, None) => x,
        (None, y) => y,
    };
    let deletion = max_deletion(a.deletion, b.deletion);
    let cells = merge_sorted(
        a.cells,
        b.cells,
        |x, y| cell_key(x).cmp(&cell_key(y)),
        |x, y| ColumnCell { column: x.column, path: x.path, cell: reconcile_owned(x.cell, y.cell) },
    );
    let complex_deletions =
        merge_sorted(a.complex_deletions, b.complex_deletions, |x, y| x.0.cmp(&y.0), |x, y| (x.0, x.1.max(y.1)));
    let mut row = Row { clustering: a.clustering, liveness, deletion, cells, complex_deletions };
    drop_shadowed(&mut row, None);
    row
}

fn cell_key(c: &ColumnCell) -> (&Bytes, &Option<Bytes>) {
    (&c.column, &c.path)
}

/// Merges two sorted, duplicate-free vectors, combining equal elements with `combine`.
fn merge_sorted<T>(a: Vec<T>, b: Vec<T>, cmp: impl Fn(&T, &T) -> Ordering, combine: impl Fn(T, T) -> T) -> Vec<T> {
    if a.is_empty() {
        return b;
    }
    if b.is_empty() {
        return a;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let mut left = a.into_iter().peekable();
    let mut right = b.into_iter().peekable();
    loop {
        let ord = match (left.peek(), right.peek()) {
            (Some(l), Some(r)) => cmp(l, r),
            (Some(_), None) => {
                out.extend(left);
                break;
            }
            (None, Some(_)) => {
                out.extend(right);
                break;
            }
            (None, None) => break,
        };
        match ord {
            Ordering::Less => out.extend(left.next()),
            Ordering::Greater => out.extend(right.next()),
            Ordering::Equal => {
                if let (Some(l), Some(r)) = (left.next(), right.next()) {
                    out.push(combine(l, r));
                }
            }
        }
    }
    out
}

/// True when the row carries nothing: no liveness, deletion, cell or complex deletion.
pub fn row_is_empty(row: &Row) -> bool {
    row.liveness.is_none() && row.deletion.is_none() && row.cells.is_empty() && row.complex_deletions.is_empty()
}

/// True when the partition carries nothing at all (no deletion, range tombstone, static row or row).
pub fn partition_is_empty(p: &Partition) -> bool {
    target_is_blank(p)
}

/// Drops from `row` what `outer` (the deletion covering the row from above: partition deletion or range
/// tombstone, see [`covering_deletion`]) or the row's own deletions shadow. Returns true when the row is
/// left empty (and should be dropped).
pub fn drop_shadowed(row: &mut Row, outer: Option<DeletionTime>) -> bool {
    if let Some(d) = row.deletion {
        if shadows(outer, d.marked_for_delete_at) {
            row.deletion = None;
        }
    }
    let effective = max_deletion(outer, row.deletion);
    if let Some(l) = row.liveness {
        if shadows(effective, l.timestamp) {
            row.liveness = None;
        }
    }
    row.complex_deletions.retain(|(_, d)| !shadows(effective, d.marked_for_delete_at));
    if effective.is_some() || !row.complex_deletions.is_empty() {
        let complex = &row.complex_deletions;
        row.cells.retain(|c| {
            let column_deletion = if complex.is_empty() {
                None
            } else {
                complex.binary_search_by(|(col, _)| col.cmp(&c.column)).ok().map(|i| complex[i].1)
            };
            !shadows(max_deletion(effective, column_deletion), c.cell.timestamp)
        });
    }
    row_is_empty(row)
}

/// Re-checks every row of `p` against its partition deletion and range tombstones.
fn filter_rows(p: &mut Partition) {
    let pd = p.deletion;
    let rts = &p.range_tombstones;
    p.rows.retain_mut(|row| {
        let outer = covering_deletion(pd, rts, &row.clustering);
        !drop_shadowed(row, outer)
    });
}

/// The deletion covering a row from above: the later of the partition deletion and the range tombstone
/// containing `clustering` (in a canonical, non-overlapping list).
pub fn covering_deletion(pd: Option<DeletionTime>, rts: &[RangeTombstone], clustering: &[u8]) -> Option<DeletionTime> {
    max_deletion(pd, covering_range_tombstone(rts, clustering).map(|rt| rt.deletion))
}

/// The range tombstone of a canonical (sorted, non-overlapping) list that contains `clustering`.
pub fn covering_range_tombstone<'a>(rts: &'a [RangeTombstone], clustering: &[u8]) -> Option<&'a RangeTombstone> {
    if rts.is_empty() {
        return None;
    }
    let i = rts.partition_point(|rt| rt.start.as_ref() <= clustering);
    if i == 0 {
        return None;
    }
    let rt = &rts[i - 1];
    match &rt.end {
        None => Some(rt),
        Some(end) if clustering < end.as_ref() => Some(rt),
        Some(_) => None,
    }
}

/// `a < b` for range ends, `None` being unbounded.
fn end_lt(a: &Option<Bytes>, b: &Option<Bytes>) -> bool {
    match (a, b) {
        (_, None) => a.is_some(),
        (None, Some(_)) => false,
        (Some(a), Some(b)) => a < b,
    }
}

/// True when the clustering `point` is before the range end `end`.
fn before_end(point: &Bytes, end: &Option<Bytes>) -> bool {
    match end {
        None => true,
        Some(e) => point < e,
    }
}

/// Inserts `rt` into a canonical list of range tombstones, keeping it canonical: on overlaps the later
/// deletion wins. Returns true when the list changed.
pub fn insert_range_tombstone(list: &mut Vec<RangeTombstone>, rt: RangeTombstone) -> bool {
    if !before_end(&rt.start, &rt.end) {
        return false; // empty range
    }
    // First existing range that ends after rt.start; ranges are sorted and disjoint, so ends are sorted.
    let first = list.partition_point(|x| !end_lt(&Some(rt.start.clone()), &x.end));
    let mut last = first;
    while last < list.len() && before_end(&list[last].start, &rt.end) {
        last += 1;
    }
    let overlapping = &list[first..last];
    let mut pieces: Vec<RangeTombstone> = Vec::with_capacity(overlapping.len() * 2 + 1);
    let mut cursor = rt.start.clone();
    for existing in overlapping {
        if existing.start < cursor {
            pieces.push(RangeTombstone {
                start: existing.start.clone(),
                end: Some(cursor.clone()),
                deletion: existing.deletion,
            });
        } else if cursor < existing.start {
            pieces.push(RangeTombstone {
                start: cursor.clone(),
                end: Some(existing.start.clone()),
                deletion: rt.deletion,
            });
        }
        let overlap_start = if existing.start > cursor { existing.start.clone() } else { cursor.clone() };
        let overlap_end = if end_lt(&existing.end, &rt.end) { existing.end.clone() } else { rt.end.clone() };
        pieces.push(RangeTombstone {
            start: overlap_start,
            end: overlap_end.clone(),
            deletion: existing.deletion.max(rt.deletion),
        });
        if end_lt(&rt.end, &existing.end) {
            if let Some(e) = rt.end.clone() {
                pieces.push(RangeTombstone { start: e, end: existing.end.clone(), deletion: existing.deletion });
            }
        }
        match overlap_end {
            Some(e) => cursor = e,
            None => {
                // Reached unbounded: nothing after.
                cursor = Bytes::new();
                break;
            }
        }
    }
    let reached_unbounded = pieces.last().is_some_and(|p| p.end.is_none());
    if !reached_unbounded && (overlapping.is_empty() || before_end(&cursor, &rt.end)) {
        pieces.push(RangeTombstone { start: cursor, end: rt.end.clone(), deletion: rt.deletion });
    }

    // Include the neighbours so that adjacent equal deletions coalesce.
    let lo = first.saturating_sub(1);
    let hi = (last + 1).min(list.len());
    let mut window: Vec<RangeTombstone> = Vec::with_capacity(pieces.len() + 2);
    if lo < first {
        window.push(list[lo].clone());
    }
    window.extend(pieces);
    if last < hi {
        window.push(list[last].clone());
    }
    let mut coalesced: Vec<RangeTombstone> = Vec::with_capacity(window.len());
    for piece in window {
        if !before_end(&piece.start, &piece.end) {
            continue;
        }
        if let Some(prev) = coalesced.last_mut() {
            if prev.deletion == piece.deletion && prev.end.as_ref() == Some(&piece.start) {
                prev.end = piece.end;
                continue;
            }
        }
        coalesced.push(piece);
    }
    if list[lo..hi] == coalesced[..] {
        return false;
    }
    list.splice(lo..hi, coalesced);
    true
}

/// Puts a partition into canonical form (see the module doc): sorts what must be sorted, merges
/// duplicates, normalises range tombstones and drops everything a deletion shadows.
pub fn normalize(p: &mut Partition) {
    // Range tombstones: rebuild canonically unless already canonical.
    if !range_tombstones_canonical(&p.range_tombstones, p.deletion) {
        let rts = std::mem::take(&mut p.range_tombstones);
        for rt in rts {
            if !shadows(p.deletion, rt.deletion.marked_for_delete_at) {
                insert_range_tombstone(&mut p.range_tombstones, rt);
            }
        }
    }
    if let Some(mut s) = p.static_row.take() {
        sort_row(&mut s);
        if !drop_shadowed(&mut s, p.deletion) {
            p.static_row = Some(s);
        }
    }
    if !p.rows.windows(2).all(|w| w[0].clustering < w[1].clustering) {
        let rows = std::mem::take(&mut p.rows);
        let mut rows = rows;
        rows.sort_by(|a, b| a.clustering.cmp(&b.clustering));
        let mut deduped: Vec<Row> = Vec::with_capacity(rows.len());
        for row in rows {
            match deduped.last_mut() {
                Some(prev) if prev.clustering == row.clustering => {
                    let prev_row = std::mem::take(prev);
                    *prev = merge_rows(prev_row, row);
                }
                _ => deduped.push(row),
            }
        }
        p.rows = deduped;
    }
    for row in &mut p.rows {
        sort_row(row);
    }
    filter_rows(p);
}

fn range_tombstones_canonical(rts: &[RangeTombstone], pd: Option<DeletionTime>) -> bool {
    rts.iter().all(|rt| before_end(&rt.start, &rt.end) && !shadows(pd, rt.deletion.marked_for_delete_at))
        && rts.windows(2).all(|w| match &w[0].end {
            None => false,
            Some(e) => *e < w[1].start || (*e == w[1].start && w[0].deletion != w[1].deletion),
        })
}

/// Sorts and de-duplicates a row's cells and complex deletions (a no-op for valid rows).
fn sort_row(row: &mut Row) {
    if !row.cells.windows(2).all(|w| cell_key(&w[0]) < cell_key(&w[1])) {
        let mut cells = std::mem::take(&mut row.cells);
        cells.sort_by(|a, b| cell_key(a).cmp(&cell_key(b)));
        let mut out: Vec<ColumnCell> = Vec::with_capacity(cells.len());
        for c in cells {
            match out.last_mut() {
                Some(prev) if cell_key(prev) == cell_key(&c) => {
                    prev.cell = reconcile_owned(prev.cell.clone(), c.cell);
                }
                _ => out.push(c),
            }
        }
        row.cells = out;
    }
    if !row.complex_deletions.windows(2).all(|w| w[0].0 < w[1].0) {
        let mut cds = std::mem::take(&mut row.complex_deletions);
        cds.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(Bytes, DeletionTime)> = Vec::with_capacity(cds.len());
        for (col, d) in cds {
            match out.last_mut() {
                Some(prev) if prev.0 == col => prev.1 = prev.1.max(d),
                _ => out.push((col, d)),
            }
        }
        row.complex_deletions = out;
    }
}

#[cfg(test)]
mod tests;
