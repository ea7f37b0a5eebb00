//! CQL rows: a table's columns with values, made from the storage engine's partitions (and, for
//! virtual tables, built directly), and the key encodings that go the other way.

use bytes::Bytes;
use cql_types::key;
use cql_types::CqlType;
use storage_model::{ColumnCell, Partition, Row};

use crate::bind::serialize_collection;
use crate::schema::{ColumnKind, Table};
use crate::Error;

/// One row as a SELECT sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct CqlRow {
    /// The storage key of its partition (`token ∥ serialized partition key`).
    pub partition_key: Bytes,
    /// Its byte-comparable clustering key (empty for a partition's static-only row).
    pub clustering: Bytes,
    /// One value per table column, in table column order; `None` is null.
    pub values: Vec<Option<Bytes>>,
    /// Write time (µs) and expiration time (s since the epoch, 0 when the cell does not expire) of each
    /// simple non-key cell, for writetime()/ttl().
    pub cell_meta: Vec<Option<(i64, i32)>>,
    /// For each multi-cell (non-frozen collection or UDT) column, the cell path, write time and
    /// expiration time of each of its live cells, in the order of the column's value (empty for other
    /// columns), for writetime()/ttl() on the column, its elements and its fields.
    pub element_meta: Vec<Vec<(Bytes, i64, i32)>>,
}

fn corrupt(e: impl std::fmt::Display) -> Error {
    Error::Server(format!("cannot decode stored key: {e}"))
}

/// The storage key of a partition from its key columns' serialized values, with Cassandra's
/// limits (not empty, at most 65535 bytes).
pub fn partition_key(components: &[&[u8]]) -> Result<Bytes, Error> {
    let serialized = key::serialize_partition_key(components);
    key::validate_partition_key(&serialized).map_err(|e| Error::invalid(e.to_string()))?;
    Ok(Bytes::from(key::storage_key(&serialized)))
}

/// The clustering key of a row (or a prefix) from its clustering values.
pub fn clustering_key(table: &Table, components: &[&[u8]]) -> Result<Bytes, Error> {
    let mut out = Vec::new();
    for (c, v) in table.clustering().iter().zip(components) {
        key::encode_clustering_component(&c.typ, v, c.reversed, &mut out)
            .map_err(|e| Error::invalid(format!("Invalid value for clustering column {}: {e}", c.name)))?;
    }
    Ok(Bytes::from(out))
}

/// Cells of one multi-cell column assembled into the collection's serialized value. List cells come
/// in path order, which is list order; set elements and map keys are ordered by their type's
/// comparator, as Cassandra returns them (the storage engine orders paths as bytes).
fn assemble(typ: &CqlType, cells: &[&ColumnCell]) -> Option<Bytes> {
    if cells.is_empty() {
        return None;
    }
    match typ {
        CqlType::List { .. } => {
            let parts: Vec<Bytes> = cells.iter().filter_map(|c| c.cell.value.clone()).collect();
            Some(serialize_collection(&parts))
        }
        CqlType::Set { element, .. } => {
            let mut parts: Vec<Bytes> = cells.iter().filter_map(|c| c.path.clone()).collect();
            parts.sort_by(|a, b| cql_types::CqlValue::compare(element, a, b));
            Some(serialize_collection(&parts))
        }
        CqlType::Map { key, .. } => {
            let mut cells: Vec<&&ColumnCell> = cells.iter().collect();
            cells.sort_by(|a, b| {
                cql_types::CqlValue::compare(
                    key,
                    a.path.as_deref().unwrap_or_default(),
                    b.path.as_deref().unwrap_or_default(),
                )
            });
            let mut out = Vec::new();
            out.extend_from_slice(&(cells.len() as i32).to_be_bytes());
            for c in cells {
                let k = c.path.clone().unwrap_or_default();
                let v = c.cell.value.clone().unwrap_or_default();
                out.extend_from_slice(&(k.len() as i32).to_be_bytes());
                out.extend_from_slice(&k);
                out.extend_from_slice(&(v.len() as i32).to_be_bytes());
                out.extend_from_slice(&v);
            }
            Some(Bytes::from(out))
        }
        CqlType::Udt { fields, .. } => {
            let mut out = Vec::new();
            for i in 0..fields.len() {
                let idx = (i as u16).to_be_bytes();
                match cells.iter().find(|c| c.path.as_deref() == Some(&idx[..])).and_then(|c| c.cell.value.clone()) {
                    Some(v) => {
                        out.extend_from_slice(&(v.len() as i32).to_be_bytes());
                        out.extend_from_slice(&v);
                    }
                    None => out.extend_from_slice(&(-1i32).to_be_bytes()),
                }
            }
            Some(Bytes::from(out))
        }
        _ => cells.first().and_then(|c| c.cell.value.clone()),
    }
}

/// Fills the values of the non-key columns of `kind` from a row's cells.
fn fill_cells(
    table: &Table,
    row: &Row,
    kind: ColumnKind,
    values: &mut [Option<Bytes>],
    meta: &mut [Option<(i64, i32)>],
    element_meta: &mut [Vec<(Bytes, i64, i32)>],
) {
    let first = table.partition_key_count + table.clustering_count;
    for (i, col) in table.columns.iter().enumerate().skip(first) {
        if col.kind != kind {
            continue;
        }
        let name = col.name.as_bytes();
        // Cells of an earlier column of this name, dropped since, are dead.
        let dropped_time = table.dropped.get(&col.name).map_or(i64::MIN, |d| d.dropped_time);
        let start = row.cells.partition_point(|c| c.column.as_ref() < name);
        let cells: Vec<&ColumnCell> = row.cells[start..]
            .iter()
            .take_while(|c| c.column.as_ref() == name)
            .filter(|c| !c.cell.is_tombstone() && c.cell.timestamp > dropped_time)
            .collect();
        if col.typ.is_multi_cell() {
            values[i] = assemble(&col.typ, &cells);
            let mut elements: Vec<(Bytes, i64, i32)> = cells
                .iter()
                .map(|c| {
                    let expires = if c.cell.ttl > 0 { c.cell.local_deletion_time } else { 0 };
                    (c.path.clone().unwrap_or_default(), c.cell.timestamp, expires)
                })
                .collect();
            // Sets and maps in their key type's order, as their values are assembled.
            if let CqlType::Set { element: key, .. } | CqlType::Map { key, .. } = &col.typ {
                elements.sort_by(|a, b| cql_types::CqlValue::compare(key, &a.0, &b.0));
            }
            element_meta[i] = elements;
        } else if let Some(c) = cells.first() {
            values[i] = c.cell.value.clone();
            let expires = if c.cell.ttl > 0 { c.cell.local_deletion_time } else { 0 };
            meta[i] = Some((c.cell.timestamp, expires));
        }
    }
}

/// True for a row without a liveness marker whose live cells all belong to dropped columns: it
/// no longer exists (Cassandra drops such cells on read).
fn only_hidden_cells(table: &Table, row: &Row) -> bool {
    if row.liveness.is_some() {
        return false;
    }
    let mut live = row.cells.iter().filter(|c| !c.cell.is_tombstone()).peekable();
    live.peek().is_some()
        && live.all(|c| {
            let name = std::str::from_utf8(&c.column).unwrap_or_default();
            match table.column(name) {
                None => true,
                Some(_) => table.dropped.get(name).is_some_and(|d| c.cell.timestamp <= d.dropped_time),
            }
        })
}

/// The CQL rows of a partition that has been purged to its live view (see `storage_model::purge`).
/// A partition with live static columns but no live rows gives one row with null clustering columns.
pub fn rows_of_partition(table: &Table, partition: &Partition) -> Result<Vec<CqlRow>, Error> {
    let n = table.columns.len();
    let serialized = key::partition_key_of_storage_key(&partition.key);
    let pk = if table.partition_key_count == 1 {
        vec![serialized.to_vec()]
    } else {
        key::split_partition_key(table.partition_key_count, serialized).map_err(corrupt)?
    };
    let mut base = vec![None; n];
    let mut base_meta = vec![None; n];
    let mut base_elements = vec![Vec::new(); n];
    for (i, v) in pk.into_iter().enumerate() {
        base[i] = Some(Bytes::from(v));
    }
    let has_static = if let Some(s) = &partition.static_row {
        fill_cells(table, s, ColumnKind::Static, &mut base, &mut base_meta, &mut base_elements);
        table.columns.iter().zip(&base).any(|(c, v)| c.kind == ColumnKind::Static && v.is_some())
    } else {
        false
    };
    let types = table.clustering_types();
    let mut out = Vec::with_capacity(partition.rows.len().max(1));
    for row in &partition.rows {
        if only_hidden_cells(table, row) {
            continue;
        }
        let mut values = base.clone();
        let mut meta = base_meta.clone();
        let mut elements = base_elements.clone();
        if table.clustering_count > 0 {
            let ck = key::decode_clustering(&types, &row.clustering).map_err(corrupt)?;
            for (j, v) in ck.into_iter().enumerate() {
                values[table.partition_key_count + j] = Some(Bytes::from(v));
            }
        }
        fill_cells(table, row, ColumnKind::Regular, &mut values, &mut meta, &mut elements);
        out.push(CqlRow {
            partition_key: partition.key.clone(),
            clustering: row.clustering.clone(),
            values,
            cell_meta: meta,
            element_meta: elements,
        });
    }
    if out.is_empty() && has_static {
        out.push(CqlRow {
            partition_key: partition.key.clone(),
            clustering: Bytes::new(),
            values: base,
            cell_meta: base_meta,
            element_meta: base_elements,
        });
    }
    Ok(out)
}

/// Builds a virtual table's row from all its column values (keys must be set).
pub fn virtual_row(table: &Table, values: Vec<Option<Bytes>>) -> Result<CqlRow, Error> {
    let pk: Vec<&[u8]> = values[..table.partition_key_count].iter().map(|v| v.as_deref().unwrap_or(&[])).collect();
    let partition_key = Bytes::from(key::storage_key(&key::serialize_partition_key(&pk)));
    let ck: Vec<&[u8]> = values[table.partition_key_count..table.partition_key_count + table.clustering_count]
        .iter()
        .map(|v| v.as_deref().unwrap_or(&[]))
        .collect();
    let clustering = clustering_key(table, &ck)?;
    let n = values.len();
    Ok(CqlRow { partition_key, clustering, values, cell_meta: vec![None; n], element_meta: vec![Vec::new(); n] })
}
