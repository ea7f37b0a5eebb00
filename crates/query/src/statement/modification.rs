//! INSERT, UPDATE, DELETE and BATCH: statements turned into storage mutations.

use std::collections::BTreeMap;

use bytes::Bytes;
use cql_parser::ast::{self, Assignment, DeleteTarget, Operator, RelationLhs, Term, UsingParam};
use cql_types::{CqlType, CqlValue};
use storage_model::{
    Cell, ColumnCell, DeletionTime, LivenessInfo, Mutation, Partition, RangeTombstone, Row, NO_DELETION_TIME,
};

use super::select::{list_elements, undefined_column};
use crate::bind::{eval, Bound, Values, VariableSpecs};
use crate::row::{clustering_key, partition_key};
use crate::schema::{Column, ColumnKind, Table};
use crate::{ColumnSpec, Error};

/// Maximum TTL Cassandra accepts (20 years).
pub const MAX_TTL: i32 = 630_720_000;

/// The write attributes of a statement: timestamp and TTL.
#[derive(Debug, Clone, Copy)]
pub struct Attributes {
    pub timestamp: i64,
    pub ttl: i32,
    pub now: i32,
}

fn using_values(
    using: &[UsingParam],
    values: &Values<'_>,
    default_timestamp: Option<i64>,
    default_ttl: i32,
    now: i32,
) -> Result<Attributes, Error> {
    let mut timestamp = None;
    let mut ttl = None;
    for u in using {
        match u {
            UsingParam::Timestamp(t) => match eval(t, &CqlType::BIGINT, "[timestamp]", values)? {
                Bound::Value(b) => match CqlValue::deserialize(&CqlType::BIGINT, &b) {
                    Ok(CqlValue::Bigint(v)) => timestamp = Some(v),
                    _ => return Err(Error::invalid("Invalid timestamp value")),
                },
                Bound::Null => return Err(Error::invalid("Invalid null value of timestamp")),
                Bound::Unset => {}
            },
            UsingParam::Ttl(t) => match eval(t, &CqlType::INT, "[ttl]", values)? {
                Bound::Value(b) => match CqlValue::deserialize(&CqlType::INT, &b) {
                    Ok(CqlValue::Int(v)) => {
                        if v < 0 {
                            return Err(Error::invalid(
                                "A TTL must be greater or equal to 0, but was -1".replace("-1", &v.to_string()),
                            ));
                        }
                        if v > MAX_TTL {
                            return Err(Error::invalid(format!(
                                "ttl is too large. requested ({v}) maximum ({MAX_TTL})"
                            )));
                        }
                        ttl = Some(v)
                    }
                    _ => return Err(Error::invalid("Invalid TTL value")),
                },
                Bound::Null => return Err(Error::invalid("Invalid null value of TTL")),
                Bound::Unset => {}
            },
            UsingParam::Timeout(_) => {}
        }
    }
    Ok(Attributes {
        timestamp: timestamp.or(default_timestamp).unwrap_or_else(crate::clock::write_timestamp),
        ttl: ttl.unwrap_or(default_ttl),
        now,
    })
}

fn cell(attrs: &Attributes, value: Bytes) -> Cell {
    if attrs.ttl > 0 {
        Cell::expiring(attrs.timestamp, attrs.ttl, attrs.now, value)
    } else {
        Cell::live(attrs.timestamp, value)
    }
}

/// The cells that set column `col` to `value` (whole-value write), appended to `cells`.
fn write_cells(col: &Column, value: Option<Bytes>, attrs: &Attributes, row: &mut Row) -> Result<(), Error> {
    let name = Bytes::copy_from_slice(col.name.as_bytes());
    if !col.typ.is_multi_cell() {
        let cell = match value {
            Some(v) => cell(attrs, v),
            None => Cell::tombstone(attrs.timestamp, attrs.now),
        };
        row.cells.push(ColumnCell { column: name, path: None, cell });
        return Ok(());
    }
    // A multi-cell column is replaced whole: delete what was there just before this write.
    row.complex_deletions.push((
        name.clone(),
        DeletionTime { marked_for_delete_at: attrs.timestamp - 1, local_deletion_time: attrs.now },
    ));
    let Some(v) = value else { return Ok(()) };
    match &col.typ {
        CqlType::Set { .. } => {
            for e in list_elements(&v)? {
                row.cells.push(ColumnCell { column: name.clone(), path: Some(e), cell: cell(attrs, Bytes::new()) });
            }
        }
        CqlType::List { .. } => {
            for e in list_elements(&v)? {
                let path = Bytes::copy_from_slice(crate::clock::timeuuid().as_bytes());
                row.cells.push(ColumnCell { column: name.clone(), path: Some(path), cell: cell(attrs, e) });
            }
        }
        CqlType::Map { .. } => {
            let flat = map_entries(&v)?;
            for (k, val) in flat {
                row.cells.push(ColumnCell { column: name.clone(), path: Some(k), cell: cell(attrs, val) });
            }
        }
        CqlType::Udt { fields, .. } => {
            let comps = udt_fields(&v, fields.len())?;
            for (i, f) in comps.into_iter().enumerate() {
                if let Some(f) = f {
                    let path = Bytes::copy_from_slice(&(i as u16).to_be_bytes());
                    row.cells.push(ColumnCell { column: name.clone(), path: Some(path), cell: cell(attrs, f) });
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn map_entries(v: &[u8]) -> Result<Vec<(Bytes, Bytes)>, Error> {
    let flat = list_elements_pairs(v)?;
    Ok(flat)
}

fn list_elements_pairs(bytes: &[u8]) -> Result<Vec<(Bytes, Bytes)>, Error> {
    let bad = || Error::invalid("Invalid map value");
    let mut cur = bytes;
    let read = |cur: &mut &[u8]| -> Result<Option<Bytes>, Error> {
        if cur.len() < 4 {
            return Err(bad());
        }
        let len = i32::from_be_bytes([cur[0], cur[1], cur[2], cur[3]]);
        *cur = &cur[4..];
        if len < 0 {
            return Ok(None);
        }
        let len = len as usize;
        if cur.len() < len {
            return Err(bad());
        }
        let v = Bytes::copy_from_slice(&cur[..len]);
        *cur = &cur[len..];
        Ok(Some(v))
    };
    if cur.len() < 4 {
        return Err(bad());
    }
    let n = i32::from_be_bytes([cur[0], cur[1], cur[2], cur[3]]);
    cur = &cur[4..];
    let mut out = Vec::new();
    for _ in 0..n.max(0) {
        let k = read(&mut cur)?.ok_or_else(bad)?;
        let v = read(&mut cur)?.ok_or_else(bad)?;
        out.push((k, v));
    }
    Ok(out)
}

fn udt_fields(bytes: &[u8], n: usize) -> Result<Vec<Option<Bytes>>, Error> {
    let mut cur = bytes;
    let mut out = Vec::new();
    while out.len() < n && cur.len() >= 4 {
        let len = i32::from_be_bytes([cur[0], cur[1], cur[2], cur[3]]);
        cur = &cur[4..];
        if len < 0 {
            out.push(None);
            continue;
        }
        let len = len as usize;
        if cur.len() < len {
            return Err(Error::invalid("Invalid user type value"));
        }
        out.push(Some(Bytes::copy_from_slice(&cur[..len])));
        cur = &cur[len..];
    }
    Ok(out)
}

/// The primary keys a WHERE clause names: every combination of partition key values, and the
/// clustering restriction (full keys, or a prefix/slice for deletes).
struct KeyTargets {
    partitions: Vec<Bytes>,
    /// Full clustering keys (cartesian product of = / IN values) when every clustering column is
    /// restricted by equality.
    clusterings: Option<Vec<Bytes>>,
    /// For DELETE: the clustering prefix given (range tombstones), when not full.
    prefix_ranges: Vec<(Bytes, Option<Bytes>)>,
}

fn key_targets(
    table: &Table,
    where_clause: &[ast::Relation],
    values: &Values<'_>,
    allow_partial: bool,
) -> Result<KeyTargets, Error> {
    let mut pk: Vec<Option<Vec<Bytes>>> = vec![None; table.partition_key_count];
    let mut ck: Vec<Option<Vec<Bytes>>> = vec![None; table.clustering_count];
    let mut slices: Vec<(usize, Operator, Bytes)> = Vec::new();
    for rel in where_clause {
        let name = match &rel.lhs {
            RelationLhs::Column(n) => n,
            _ => {
                return Err(Error::invalid(
                    "Only simple relations on primary key columns are supported in a modification WHERE clause",
                ))
            }
        };
        let col = table.column(name).ok_or_else(|| undefined_column(table, name))?;
        if !col.is_primary_key() {
            return Err(Error::invalid(format!("Non PRIMARY KEY columns found in where clause: {name} ")));
        }
        let vals = match rel.op {
            Operator::Eq => vec![bound_key(eval(&rel.rhs, &col.typ, name, values)?, name)?],
            Operator::In => match &rel.rhs {
                Term::List(items) => items
                    .iter()
                    .map(|t| eval(t, &col.typ, name, values).and_then(|b| bound_key(b, name)))
                    .collect::<Result<_, _>>()?,
                other => list_elements(&bound_key(eval(other, &CqlType::list(col.typ.clone()), name, values)?, name)?)?,
            },
            Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte
                if col.kind == ColumnKind::Clustering && allow_partial =>
            {
                slices.push((col.position as usize, rel.op, bound_key(eval(&rel.rhs, &col.typ, name, values)?, name)?));
                continue;
            }
            _ => return Err(Error::invalid(format!("Invalid operator {:?} for PRIMARY KEY part {name}", rel.op))),
        };
        let mut vals = vals;
        vals.sort_by(|a, b| CqlValue::compare(&col.typ, a, b));
        vals.dedup();
        match col.kind {
            ColumnKind::PartitionKey => pk[col.position as usize] = Some(vals),
            _ => ck[col.position as usize] = Some(vals),
        }
    }
    let missing: Vec<&str> =
        table.partition_key().iter().zip(&pk).filter(|(_, v)| v.is_none()).map(|(c, _)| c.name.as_str()).collect();
    if !missing.is_empty() {
        return Err(Error::invalid(format!("Some partition key parts are missing: {}", missing.join(", "))));
    }
    let partitions: Vec<Bytes> = product(&pk.into_iter().map(|v| v.unwrap_or_default()).collect::<Vec<_>>())
        .into_iter()
        .map(|c| partition_key(&c.iter().map(|b| b.as_ref()).collect::<Vec<_>>()))
        .collect::<Result<_, _>>()?;
    let restricted = ck.iter().take_while(|c| c.is_some()).count();
    if ck.iter().skip(restricted).any(|c| c.is_some()) {
        let first_missing = &table.clustering()[restricted].name;
        let later = table
            .clustering()
            .iter()
            .zip(&ck)
            .skip(restricted)
            .find(|(_, c)| c.is_some())
            .map(|(c, _)| c.name.clone())
            .unwrap_or_default();
        return Err(Error::invalid(format!(
            "PRIMARY KEY column \"{later}\" cannot be restricted as preceding column \"{first_missing}\" is not restricted"
        )));
    }
    let prefixes = product(&ck.into_iter().take(restricted).map(|v| v.unwrap_or_default()).collect::<Vec<_>>());
    if restricted == table.clustering_count && slices.is_empty() {
        let clusterings = prefixes
            .iter()
            .map(|p| clustering_key(table, &p.iter().map(|b| b.as_ref()).collect::<Vec<_>>()))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(KeyTargets { partitions, clusterings: Some(clusterings), prefix_ranges: Vec::new() });
    }
    let mut ranges = Vec::new();
    for p in prefixes {
        let refs: Vec<&[u8]> = p.iter().map(|b| b.as_ref()).collect();
        let base = clustering_key(table, &refs)?;
        let mut start = base.clone();
        let mut end = Some(Bytes::from(cql_types::key::prefix_end(&base)));
        for (pos, op, v) in &slices {
            if *pos != restricted {
                return Err(Error::invalid(
                    "Invalid range deletion: the slice must be on the first unrestricted clustering column",
                ));
            }
            let col = &table.clustering()[*pos];
            let mut r2 = refs.clone();
            r2.push(v.as_ref());
            let e = clustering_key(table, &r2)?;
            let after = Bytes::from(cql_types::key::prefix_end(&e));
            let op = if col.reversed {
                match op {
                    Operator::Lt => Operator::Gt,
                    Operator::Lte => Operator::Gte,
                    Operator::Gt => Operator::Lt,
                    _ => Operator::Lte,
                }
            } else {
                *op
            };
            match op {
                Operator::Gt => start = after,
                Operator::Gte => start = e,
                Operator::Lt => end = Some(e),
                _ => end = Some(after),
            }
        }
        ranges.push((start, end));
    }
    Ok(KeyTargets { partitions, clusterings: None, prefix_ranges: ranges })
}

fn bound_key(b: Bound, name: &str) -> Result<Bytes, Error> {
    match b {
        Bound::Value(v) => Ok(v),
        Bound::Null => Err(Error::invalid(format!("Invalid null value in condition for column {name}"))),
        Bound::Unset => Err(Error::invalid(format!("Invalid unset value for column {name}"))),
    }
}

fn product(lists: &[Vec<Bytes>]) -> Vec<Vec<Bytes>> {
    let mut out: Vec<Vec<Bytes>> = vec![Vec::new()];
    for l in lists {
        let mut next = Vec::new();
        for p in &out {
            for v in l {
                let mut q = p.clone();
                q.push(v.clone());
                next.push(q);
            }
        }
        out = next;
    }
    out
}

fn finish_row(mut row: Row) -> Row {
    row.cells.sort_by(|a, b| (&a.column, &a.path).cmp(&(&b.column, &b.path)));
    row.cells.dedup_by(|later, earlier| later.column == earlier.column && later.path == earlier.path);
    row.complex_deletions.sort_by(|a, b| a.0.cmp(&b.0));
    row.complex_deletions.dedup_by(|a, b| a.0 == b.0);
    row
}

fn check_not_counter(table: &Table) -> Result<(), Error> {
    if table.is_counter() {
        return Err(Error::invalid("Counter tables are not supported yet"));
    }
    Ok(())
}

fn check_writable(table: &Table) -> Result<(), Error> {
    if table.virtual_table.is_some() {
        return Err(Error::invalid(format!(
            "Modification on table {} of system keyspace {} is not allowed",
            table.name, table.keyspace
        )));
    }
    Ok(())
}

/// INSERT: the mutation it makes.
pub fn insert(
    table: &Table,
    stmt: &ast::Insert,
    values: &Values<'_>,
    default_timestamp: Option<i64>,
    now: i32,
) -> Result<Vec<Mutation>, Error> {
    check_writable(table)?;
    check_not_counter(table)?;
    if stmt.if_not_exists {
        return Err(Error::invalid("Conditional updates (IF NOT EXISTS) are not supported yet"));
    }
    let (columns, terms) = match &stmt.values {
        ast::InsertValues::Values { columns, values } => (columns, values),
        ast::InsertValues::Json { .. } => return Err(Error::invalid("INSERT JSON is not supported yet")),
    };
    if columns.len() != terms.len() {
        return Err(Error::invalid("Unmatched column names/values"));
    }
    let attrs = using_values(&stmt.using, values, default_timestamp, table.params.default_time_to_live, now)?;
    let mut pk: Vec<Option<Bytes>> = vec![None; table.partition_key_count];
    let mut ck: Vec<Option<Bytes>> = vec![None; table.clustering_count];
    let mut row = Row::default();
    let mut static_row = Row::default();
    let mut seen = Vec::new();
    for (name, term) in columns.iter().zip(terms) {
        let col = table.column(name).ok_or_else(|| undefined_column(table, name))?;
        if seen.contains(&name) {
            return Err(Error::invalid(format!("Multiple definitions found for column {name}")));
        }
        seen.push(name);
        let b = eval(term, &col.typ, name, values)?;
        match col.kind {
            ColumnKind::PartitionKey | ColumnKind::Clustering => {
                let v = match b {
                    Bound::Value(v) => v,
                    Bound::Null => {
                        return Err(Error::invalid(format!("Invalid null value in condition for column {name}")))
                    }
                    Bound::Unset => return Err(Error::invalid(format!("Invalid unset value for column {name}"))),
                };
                if col.kind == ColumnKind::PartitionKey {
                    pk[col.position as usize] = Some(v);
                } else {
                    ck[col.position as usize] = Some(v);
                }
            }
            ColumnKind::Regular | ColumnKind::Static => {
                let target = if col.kind == ColumnKind::Static { &mut static_row } else { &mut row };
                match b {
                    Bound::Unset => {}
                    Bound::Null => write_cells(col, None, &attrs, target)?,
                    Bound::Value(v) => write_cells(col, Some(v), &attrs, target)?,
                }
            }
        }
    }
    let missing: Vec<&str> =
        table.partition_key().iter().zip(&pk).filter(|(_, v)| v.is_none()).map(|(c, _)| c.name.as_str()).collect();
    if !missing.is_empty() {
        return Err(Error::invalid(format!("Some partition key parts are missing: {}", missing.join(", "))));
    }
    let only_static = row.cells.is_empty() && !static_row.cells.is_empty();
    let missing_ck: Vec<&str> =
        table.clustering().iter().zip(&ck).filter(|(_, v)| v.is_none()).map(|(c, _)| c.name.as_str()).collect();
    if !missing_ck.is_empty() && !(only_static && missing_ck.len() == table.clustering_count) {
        return Err(Error::invalid(format!("Some clustering keys are missing: {}", missing_ck.join(", "))));
    }
    let pk_refs: Vec<&[u8]> = pk.iter().map(|v| v.as_deref().unwrap_or(&[])).collect();
    let mut partition = Partition { key: partition_key(&pk_refs)?, ..Partition::default() };
    if missing_ck.is_empty() {
        let ck_refs: Vec<&[u8]> = ck.iter().map(|v| v.as_deref().unwrap_or(&[])).collect();
        row.clustering = clustering_key(table, &ck_refs)?;
        row.liveness = Some(LivenessInfo {
            timestamp: attrs.timestamp,
            ttl: attrs.ttl,
            local_expiration_time: if attrs.ttl > 0 { now.saturating_add(attrs.ttl) } else { NO_DELETION_TIME },
        });
        partition.rows.push(finish_row(row));
    }
    if !static_row.cells.is_empty() || !static_row.complex_deletions.is_empty() {
        partition.static_row = Some(finish_row(static_row));
    }
    Ok(vec![Mutation { table: table.id, partition }])
}

/// UPDATE: the mutations it makes (one per partition named).
pub fn update(
    table: &Table,
    stmt: &ast::Update,
    values: &Values<'_>,
    default_timestamp: Option<i64>,
    now: i32,
) -> Result<Vec<Mutation>, Error> {
    check_writable(table)?;
    check_not_counter(table)?;
    if stmt.conditions.is_some() {
        return Err(Error::invalid("Conditional updates are not supported yet"));
    }
    let attrs = using_values(&stmt.using, values, default_timestamp, table.params.default_time_to_live, now)?;
    let mut row = Row::default();
    let mut static_row = Row::default();
    for a in &stmt.assignments {
        let (name, term) = match a {
            Assignment::Set { column, value } => (column, value),
            _ => return Err(Error::invalid("Collection and counter operations are not supported yet")),
        };
        let col = table.column(name).ok_or_else(|| undefined_column(table, name))?;
        if col.is_primary_key() {
            return Err(Error::invalid(format!("PRIMARY KEY part {name} found in SET part")));
        }
        let target = if col.kind == ColumnKind::Static { &mut static_row } else { &mut row };
        match eval(term, &col.typ, name, values)? {
            Bound::Unset => {}
            Bound::Null => write_cells(col, None, &attrs, target)?,
            Bound::Value(v) => write_cells(col, Some(v), &attrs, target)?,
        }
    }
    let only_static = row.cells.is_empty() && row.complex_deletions.is_empty();
    let targets = key_targets(table, &stmt.where_clause, values, false)?;
    let clusterings = match targets.clusterings {
        Some(c) => c,
        None if only_static && targets.prefix_ranges.len() == 1 && table.clustering().len() > 0 => Vec::new(),
        None => {
            let missing: Vec<&str> = table.clustering().iter().map(|c| c.name.as_str()).collect();
            return Err(Error::invalid(format!("Some clustering keys are missing: {}", missing.join(", "))));
        }
    };
    let row = finish_row(row);
    let static_row = finish_row(static_row);
    let mut out = Vec::new();
    for pk in targets.partitions {
        let mut partition = Partition { key: pk, ..Partition::default() };
        if !(row.cells.is_empty() && row.complex_deletions.is_empty()) {
            for ck in &clusterings {
                let mut r = row.clone();
                r.clustering = ck.clone();
                partition.rows.push(r);
            }
        }
        if !(static_row.cells.is_empty() && static_row.complex_deletions.is_empty()) {
            partition.static_row = Some(static_row.clone());
        }
        out.push(Mutation { table: table.id, partition });
    }
    Ok(out)
}

/// DELETE: the mutations it makes.
pub fn delete(
    table: &Table,
    stmt: &ast::Delete,
    values: &Values<'_>,
    default_timestamp: Option<i64>,
    now: i32,
) -> Result<Vec<Mutation>, Error> {
    check_writable(table)?;
    if stmt.conditions.is_some() {
        return Err(Error::invalid("Conditional deletions are not supported yet"));
    }
    let attrs = using_values(&stmt.using, values, default_timestamp, 0, now)?;
    if stmt.using.iter().any(|u| matches!(u, UsingParam::Ttl(_))) {
        return Err(Error::invalid("TTL attribute is not allowed for deletes"));
    }
    let deletion = DeletionTime { marked_for_delete_at: attrs.timestamp, local_deletion_time: now };
    let targets = key_targets(table, &stmt.where_clause, values, stmt.targets.is_empty())?;
    let mut out = Vec::new();
    for pk in targets.partitions {
        let mut partition = Partition { key: pk, ..Partition::default() };
        if stmt.targets.is_empty() {
            match &targets.clusterings {
                Some(cks) if table.clustering_count > 0 => {
                    for ck in cks {
                        partition.rows.push(Row { clustering: ck.clone(), deletion: Some(deletion), ..Row::default() });
                    }
                }
                Some(_) => partition.rows.push(Row { deletion: Some(deletion), ..Row::default() }),
                None => {
                    let whole = targets.prefix_ranges.len() == 1
                        && targets.prefix_ranges[0].0.is_empty()
                        && targets.prefix_ranges[0].1.as_deref() == Some(&[0xFF][..]);
                    if whole {
                        partition.deletion = Some(deletion);
                    } else {
                        for (start, end) in &targets.prefix_ranges {
                            partition.range_tombstones.push(RangeTombstone {
                                start: start.clone(),
                                end: end.clone(),
                                deletion,
                            });
                        }
                    }
                }
            }
        } else {
            let mut row = Row::default();
            let mut static_row = Row::default();
            for t in &stmt.targets {
                let name = match t {
                    DeleteTarget::Column(n) => n,
                    _ => return Err(Error::invalid("Deleting collection elements or fields is not supported yet")),
                };
                let col = table.column(name).ok_or_else(|| undefined_column(table, name))?;
                if col.is_primary_key() {
                    return Err(Error::invalid(format!(
                        "Invalid identifier {name} for deletion (should not be a PRIMARY KEY part)"
                    )));
                }
                let target = if col.kind == ColumnKind::Static { &mut static_row } else { &mut row };
                let cname = Bytes::copy_from_slice(col.name.as_bytes());
                if col.typ.is_multi_cell() {
                    target.complex_deletions.push((cname, deletion));
                } else {
                    target.cells.push(ColumnCell {
                        column: cname,
                        path: None,
                        cell: Cell::tombstone(attrs.timestamp, now),
                    });
                }
            }
            if !(row.cells.is_empty() && row.complex_deletions.is_empty()) {
                let cks = targets.clusterings.clone().ok_or_else(|| {
                    Error::invalid(format!(
                        "Some clustering keys are missing: {}",
                        table.clustering().iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
                    ))
                })?;
                let row = finish_row(row);
                for ck in cks {
                    let mut r = row.clone();
                    r.clustering = ck;
                    partition.rows.push(r);
                }
            }
            if !(static_row.cells.is_empty() && static_row.complex_deletions.is_empty()) {
                partition.static_row = Some(finish_row(static_row));
            }
        }
        out.push(Mutation { table: table.id, partition });
    }
    Ok(out)
}

/// The bind variables of an INSERT/UPDATE/DELETE, in marker order.
pub fn variables(stmt: &ast::Statement, table: &Table) -> Result<Vec<ColumnSpec>, Error> {
    let mut v = VariableSpecs::default();
    collect_variables(stmt, table, &mut v)?;
    Ok(v.finish(&table.keyspace, &table.name))
}

/// Records the receivers of the bind markers of an INSERT/UPDATE/DELETE into `v` (a BATCH shares
/// one `v` across its statements, whose markers are numbered across the whole batch).
pub fn collect_variables(stmt: &ast::Statement, table: &Table, v: &mut VariableSpecs) -> Result<(), Error> {
    let (ks, tn) = (table.keyspace.as_str(), table.name.as_str());
    let col_type = |name: &str| -> Result<CqlType, Error> {
        table.column(name).map(|c| c.typ.clone()).ok_or_else(|| undefined_column(table, name))
    };
    let using = |v: &mut VariableSpecs, using: &[UsingParam]| {
        for u in using {
            match u {
                UsingParam::Timestamp(t) => v.visit(t, ks, tn, "[timestamp]", &CqlType::BIGINT),
                UsingParam::Ttl(t) => v.visit(t, ks, tn, "[ttl]", &CqlType::INT),
                UsingParam::Timeout(_) => {}
            }
        }
    };
    let where_clause = |v: &mut VariableSpecs, rels: &[ast::Relation]| -> Result<(), Error> {
        for r in rels {
            if let RelationLhs::Column(name) = &r.lhs {
                let t = col_type(name)?;
                match (&r.op, &r.rhs) {
                    (Operator::In, Term::List(items)) => {
                        for i in items {
                            v.visit(i, ks, tn, name, &t);
                        }
                    }
                    (Operator::In, other) => v.visit(other, ks, tn, &format!("in({name})"), &CqlType::list(t)),
                    (_, other) => v.visit(other, ks, tn, name, &t),
                }
            }
        }
        Ok(())
    };
    match stmt {
        ast::Statement::Insert(i) => {
            if let ast::InsertValues::Values { columns, values } = &i.values {
                for (c, t) in columns.iter().zip(values) {
                    v.visit(t, ks, tn, c, &col_type(c)?);
                }
            }
            using(v, &i.using);
        }
        ast::Statement::Update(u) => {
            using(v, &u.using);
            for a in &u.assignments {
                match a {
                    Assignment::Set { column, value }
                    | Assignment::Add { column, value }
                    | Assignment::Subtract { column, value }
                    | Assignment::Prepend { column, value } => v.visit(value, ks, tn, column, &col_type(column)?),
                    Assignment::SetElement { column, key, value } => {
                        let t = col_type(column)?;
                        let (kt, vt) = match &t {
                            CqlType::Map { key, value, .. } => (key.as_ref().clone(), value.as_ref().clone()),
                            CqlType::List { element, .. } => (CqlType::INT, element.as_ref().clone()),
                            other => (other.clone(), other.clone()),
                        };
                        v.visit(key, ks, tn, &format!("key({column})"), &kt);
                        v.visit(value, ks, tn, &format!("value({column})"), &vt);
                    }
                    Assignment::SetField { column, value, .. } => v.visit(value, ks, tn, column, &col_type(column)?),
                }
            }
            where_clause(v, &u.where_clause)?;
        }
        ast::Statement::Delete(d) => {
            using(v, &d.using);
            where_clause(v, &d.where_clause)?;
        }
        _ => {}
    }
    Ok(())
}

/// Groups mutations by (table, partition) so a batch is applied as one update per partition.
pub fn coalesce(mutations: Vec<Mutation>) -> Vec<Mutation> {
    let mut by_key: BTreeMap<(uuid::Uuid, Bytes), Vec<Partition>> = BTreeMap::new();
    for m in mutations {
        by_key.entry((m.table, m.partition.key.clone())).or_default().push(m.partition);
    }
    by_key
        .into_iter()
        .map(|((table, _), parts)| {
            let mut it = parts.into_iter();
            let first = it.next().unwrap_or_default();
            let partition = it.fold(first, storage_model::merge::merge_partitions);
            Mutation { table, partition }
        })
        .collect()
}
