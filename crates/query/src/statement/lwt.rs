//! Lightweight transactions (`IF NOT EXISTS`, `IF EXISTS`, `IF col = v`…): the conditions checked
//! against a partition's current data, and the `[applied]` result Cassandra answers with.
//!
//! On this single node Paxos is not needed: the processor holds the partition's lock from the read
//! to the write, so a conditional write is atomic with respect to every other conditional write (and
//! counter update) on the same partition. The semantics follow Cassandra's `CQL3CasRequest` and
//! `ModificationStatement.buildCasResultSet`.

use std::cmp::Ordering;

use bytes::Bytes;
use cql_parser::ast::Operator;
use cql_types::{CqlType, CqlValue};
use storage_model::Partition;

use super::modification::{collection_elements, map_entries, udt_fields, Access, Condition, Conditions, Plan};
use crate::row::{rows_of_partition, CqlRow};
use crate::schema::{ColumnKind, Table};
use crate::{ColumnSpec, Error, ResultMetadata, Rows};

/// One conditional statement with the row its conditions are about (`None`: the static row).
pub struct CasStatement<'p> {
    pub plan: &'p Plan,
    pub clustering: Option<Bytes>,
}

/// The current data of the partition, as the conditions see it.
struct Current {
    rows: Vec<CqlRow>,
    /// Whether the partition has a live static row.
    static_present: bool,
}

impl Current {
    fn new(table: &Table, partition: Option<&Partition>) -> Result<Current, Error> {
        match partition {
            None => Ok(Current { rows: Vec::new(), static_present: false }),
            Some(p) => Ok(Current { rows: rows_of_partition(table, p)?, static_present: p.static_row.is_some() }),
        }
    }

    /// The row with that clustering, if it exists (has live data).
    fn row(&self, table: &Table, clustering: &Bytes) -> Option<&CqlRow> {
        if table.clustering_count > 0 && clustering.is_empty() {
            return None;
        }
        self.rows.iter().find(|r| r.clustering == *clustering)
    }

    /// The value of a static column (every CQL row of a partition carries them).
    fn static_value(&self, col: usize) -> Option<&Bytes> {
        self.rows.first().and_then(|r| r.values[col].as_ref())
    }
}

/// Whether `cell op condition` holds, with Cassandra's rules for nulls (`compareWithOperator`).
fn compare_with_operator(op: Operator, typ: &CqlType, condition: Option<&Bytes>, cell: Option<&Bytes>) -> bool {
    match (condition, cell) {
        (None, cell) => match op {
            Operator::Neq => cell.is_some(),
            _ => cell.is_none(),
        },
        (Some(_), None) => op == Operator::Neq,
        (Some(c), Some(v)) => satisfies(op, CqlValue::compare(typ, v, c)),
    }
}

fn satisfies(op: Operator, o: Ordering) -> bool {
    match op {
        Operator::Eq | Operator::In => o == Ordering::Equal,
        Operator::Neq => o != Ordering::Equal,
        Operator::Lt => o == Ordering::Less,
        Operator::Lte => o != Ordering::Greater,
        Operator::Gt => o == Ordering::Greater,
        Operator::Gte => o != Ordering::Less,
        _ => false,
    }
}

fn contains(typ: &CqlType, op: Operator, collection: Option<&Bytes>, needle: &Bytes) -> bool {
    let Some(v) = collection else { return false };
    let (items, elem): (Vec<Bytes>, &CqlType) = match (typ, op) {
        (CqlType::List { element, .. } | CqlType::Set { element, .. }, _) => {
            (collection_elements(v).unwrap_or_default(), element)
        }
        (CqlType::Map { key, .. }, Operator::ContainsKey) => {
            (map_entries(v).unwrap_or_default().into_iter().map(|(k, _)| k).collect(), key)
        }
        (CqlType::Map { value, .. }, _) => {
            (map_entries(v).unwrap_or_default().into_iter().map(|(_, x)| x).collect(), value)
        }
        _ => return false,
    };
    items.iter().any(|i| CqlValue::compare(elem, i, needle) == Ordering::Equal)
}

/// Whether one condition holds given the current value of its column.
fn condition_holds(table: &Table, c: &Condition, value: Option<&Bytes>) -> bool {
    let col = &table.columns[c.col];
    let op = if c.op == Operator::In { Operator::Eq } else { c.op };
    let any = |f: &dyn Fn(Option<&Bytes>) -> bool| c.values.iter().any(|v| f(v.as_ref()));
    match &c.access {
        Access::Whole if matches!(c.op, Operator::Contains | Operator::ContainsKey) => {
            any(&|v| v.is_some_and(|needle| contains(&col.typ, c.op, value, needle)))
        }
        Access::Whole if col.typ.is_multi_cell() && !matches!(col.typ, CqlType::Udt { .. }) => {
            // A non-frozen collection compares element by element; no elements is null.
            let frozen = col.typ.clone().frozen();
            any(&|cond| match cond {
                None => match op {
                    Operator::Neq => value.is_some(),
                    _ => value.is_none(),
                },
                Some(cond) => {
                    let empty = Bytes::from_static(&[0, 0, 0, 0]);
                    satisfies(op, CqlValue::compare(&frozen, value.unwrap_or(&empty), cond))
                }
            })
        }
        Access::Whole => any(&|cond| compare_with_operator(op, &col.typ, cond, value)),
        Access::Element(k) => {
            let (elem, vt) = match &col.typ {
                CqlType::Map { key, value: vt, .. } => (
                    value.and_then(|m| {
                        map_entries(m)
                            .unwrap_or_default()
                            .into_iter()
                            .find(|(ek, _)| CqlValue::compare(key, ek, k) == Ordering::Equal)
                            .map(|(_, v)| v)
                    }),
                    vt.as_ref(),
                ),
                CqlType::List { element, .. } => {
                    let idx = <[u8; 4]>::try_from(k.as_ref()).map(i32::from_be_bytes).unwrap_or(-1);
                    (
                        value.and_then(|l| {
                            collection_elements(l).unwrap_or_default().into_iter().nth(idx.max(0) as usize)
                        }),
                        element.as_ref(),
                    )
                }
                _ => return false,
            };
            any(&|cond| compare_with_operator(op, vt, cond, elem.as_ref()))
        }
        Access::Field(i) => {
            let CqlType::Udt { fields, .. } = &col.typ else { return false };
            let field = value.and_then(|u| udt_fields(u, fields.len()).ok()).and_then(|f| f.get(*i).cloned().flatten());
            any(&|cond| compare_with_operator(op, &fields[*i].1, cond, field.as_ref()))
        }
    }
}

/// Whether the conditions of every statement hold on the current partition.
pub fn applies(table: &Table, statements: &[CasStatement<'_>], current: Option<&Partition>) -> Result<bool, Error> {
    let cur = Current::new(table, current)?;
    for s in statements {
        let row = s.clustering.as_ref().and_then(|ck| cur.row(table, ck));
        let exists = match &s.clustering {
            Some(_) => row.is_some(),
            None => cur.static_present,
        };
        let holds = match &s.plan.conditions {
            Conditions::None => true,
            Conditions::Exists => exists,
            Conditions::NotExists => !exists,
            Conditions::Columns(conds) => conds.iter().all(|c| {
                let value = if table.columns[c.col].kind == ColumnKind::Static {
                    cur.static_value(c.col)
                } else {
                    row.and_then(|r| r.values[c.col].as_ref())
                };
                condition_holds(table, c, value)
            }),
        };
        if !holds {
            return Ok(false);
        }
    }
    Ok(true)
}

fn applied_spec(table: &Table) -> ColumnSpec {
    ColumnSpec {
        keyspace: table.keyspace.clone(),
        table: table.name.clone(),
        name: "[applied]".into(),
        typ: CqlType::BOOLEAN,
    }
}

/// The result of a conditional statement or batch: `[applied]`, and when not applied the current
/// values Cassandra shows (the whole row for `IF [NOT] EXISTS`, else the columns of the conditions,
/// prefixed by the primary key in a batch).
pub fn result(
    table: &Table,
    statements: &[CasStatement<'_>],
    current: Option<&Partition>,
    applied: bool,
    is_batch: bool,
) -> Result<Rows, Error> {
    let applied_value = Some(Bytes::from_static(if applied { &[1] } else { &[0] }));
    let mut metadata = ResultMetadata { columns: vec![applied_spec(table)], ..Default::default() };
    if applied {
        return Ok(Rows { metadata, rows: vec![vec![applied_value]] });
    }
    let cur = Current::new(table, current)?;
    // The columns the CAS read fetched (CQL3CasRequest.columnsToRead).
    let mut condition_cols: Vec<usize> = Vec::new();
    let mut wildcard = false;
    for s in statements {
        match s.plan.conditions {
            Conditions::Exists | Conditions::NotExists => wildcard = true,
            _ => {}
        }
        for c in s.plan.condition_columns().into_iter().chain(s.plan.read_columns()) {
            if !condition_cols.contains(&c) {
                condition_cols.push(c);
            }
        }
    }
    let updates_static = statements.iter().any(|s| s.plan.updates_static_row());
    let updates_regular = statements.iter().any(|s| s.plan.updates_regular_rows());
    let fetched = |i: usize| match table.columns[i].kind {
        ColumnKind::PartitionKey | ColumnKind::Clustering => true,
        ColumnKind::Static => updates_static || condition_cols.contains(&i),
        ColumnKind::Regular => updates_regular || condition_cols.contains(&i),
    };
    // The rows the read returned.
    let mut clusterings: Vec<&Bytes> =
        statements.iter().filter(|s| s.plan.has_conditions()).filter_map(|s| s.clustering.as_ref()).collect();
    clusterings.sort();
    clusterings.dedup();
    let mut rows: Vec<&CqlRow> = if clusterings.is_empty() {
        cur.rows.iter().filter(|r| !r.clustering.is_empty() || table.clustering_count == 0).take(1).collect()
    } else {
        clusterings.iter().filter_map(|ck| cur.row(table, ck)).collect()
    };
    let static_fallback;
    if rows.is_empty() {
        let has_static = table
            .columns
            .iter()
            .enumerate()
            .any(|(i, c)| c.kind == ColumnKind::Static && fetched(i) && cur.static_value(i).is_some());
        if has_static {
            if let Some(first) = cur.rows.first() {
                let mut r = first.clone();
                for (i, c) in table.columns.iter().enumerate() {
                    if !matches!(c.kind, ColumnKind::PartitionKey | ColumnKind::Static) {
                        r.values[i] = None;
                    }
                }
                static_fallback = r;
                rows.push(&static_fallback);
            }
        }
    }
    let selected: Vec<usize> = if wildcard {
        table.select_order()
    } else {
        let mut cols: Vec<usize> = Vec::new();
        if is_batch {
            cols.extend(0..table.partition_key_count + table.clustering_count);
        }
        for c in statements.iter().flat_map(|s| s.plan.condition_columns()) {
            if !cols.contains(&c) {
                cols.push(c);
            }
        }
        cols
    };
    if rows.is_empty() {
        return Ok(Rows { metadata, rows: vec![vec![applied_value]] });
    }
    for &i in &selected {
        let c = &table.columns[i];
        metadata.columns.push(ColumnSpec {
            keyspace: table.keyspace.clone(),
            table: table.name.clone(),
            name: c.name.clone(),
            typ: c.typ.clone(),
        });
    }
    let out = rows
        .into_iter()
        .map(|r| {
            let mut row = vec![applied_value.clone()];
            row.extend(selected.iter().map(|&i| if fetched(i) { r.values[i].clone() } else { None }));
            row
        })
        .collect();
    Ok(Rows { metadata, rows: out })
}
