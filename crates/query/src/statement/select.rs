//! SELECT: the selection (functions, aggregates, JSON), the restrictions of the WHERE clause, the
//! checks Cassandra makes when preparing a SELECT (DISTINCT, GROUP BY, ORDER BY, filtering), then
//! reading partitions in token or key order, grouping, ordering, limits and paging.

mod restrict;
mod selection;

use std::cmp::Ordering;
use std::ops::Bound as KeyBound;

use bytes::Bytes;
use cql_parser::ast::{self, Operator, Order, RelationLhs, Term};
use cql_types::{CqlType, CqlValue};

use super::Ctx;
use crate::bind::{eval, Bound, Values, VariableSpecs};
use crate::paging::PagingState;
use crate::row::CqlRow;
use crate::schema::{ColumnKind, Table};
use crate::{ColumnSpec, Error, QueryOptions, ResultMetadata, Rows};

use restrict::{in_ranges, passes, Plan};
use selection::{Group, Selection};

pub(crate) const FILTERING_MESSAGE: &str = "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING";

const ORDER_BY_WITH_IN_AND_PAGING: &str = "Cannot page queries with both ORDER BY and a IN restriction on the partition key; you must either remove the ORDER BY or the IN and sort client side, or disable paging for this query";

pub fn undefined_column(table: &Table, name: &str) -> Error {
    Error::invalid(format!(
        "Undefined column name {} in table {}.{}",
        crate::schema::quote_identifier(name),
        table.keyspace,
        table.name
    ))
}

/// The elements of a serialized list.
pub fn list_elements(bytes: &[u8]) -> Result<Vec<Bytes>, Error> {
    let bad = || Error::invalid("Invalid list value");
    let mut cur = bytes;
    let read_i32 = |cur: &mut &[u8]| -> Result<i32, Error> {
        if cur.len() < 4 {
            return Err(bad());
        }
        let v = i32::from_be_bytes([cur[0], cur[1], cur[2], cur[3]]);
        *cur = &cur[4..];
        Ok(v)
    };
    let n = read_i32(&mut cur)?;
    let mut out = Vec::with_capacity(n.max(0) as usize);
    for _ in 0..n {
        let len = read_i32(&mut cur)?;
        if len < 0 || cur.len() < len as usize {
            return Err(bad());
        }
        out.push(Bytes::copy_from_slice(&cur[..len as usize]));
        cur = &cur[len as usize..];
    }
    Ok(out)
}

/// How rows become result rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aggregation {
    None,
    /// Aggregates without GROUP BY: one row for everything.
    Everything,
    /// GROUP BY the partition key and this many clustering columns.
    Groups(usize),
}

/// A SELECT checked against its table, ready to run.
struct Query {
    sel: Selection,
    plan: Plan,
    aggregation: Aggregation,
    /// For IN on the partition key with ORDER BY: the ordering columns, descending or not.
    post_order: Option<(Vec<usize>, bool)>,
    /// `GROUP BY …, f(c, …)`: the function ending the group key.
    group_fn: Option<GroupFn>,
}

/// The function of a clustering column that ends a GROUP BY (`floor(t, 1h)`): rows are in the same
/// group when the key prefix and the function's value on their column are (`GroupMaker.WithSelector`).
struct GroupFn {
    fun: crate::functions::Function,
    column: usize,
    /// The function's arguments: `None` for the column, else a constant term.
    args: Vec<Option<Term>>,
}

impl GroupFn {
    /// Binds the constant arguments.
    fn bind(&self, values: &Values<'_>) -> Result<Vec<Option<Bytes>>, Error> {
        let mut out = Vec::with_capacity(self.args.len());
        for (i, (a, t)) in self.args.iter().zip(&self.fun.args).enumerate() {
            out.push(match a {
                None => None,
                Some(term) => match eval(term, t, &crate::functions::arg_spec_name(&self.fun, i), values)? {
                    Bound::Value(b) => Some(b),
                    _ => None,
                },
            });
        }
        Ok(out)
    }

    /// The function's value on a row.
    fn apply(&self, bound: &[Option<Bytes>], row: &CqlRow) -> Result<Option<Bytes>, Error> {
        let args: Vec<Option<Bytes>> = self
            .args
            .iter()
            .zip(bound)
            .map(|(a, b)| if a.is_none() { row.values[self.column].clone() } else { b.clone() })
            .collect();
        self.fun.execute(&args)
    }
}

/// The function of a GROUP BY (`SelectStatement.RawStatement.getAggregationSpecFactory`): one
/// clustering column among its arguments, constants for the others, and a monotonic function.
fn group_by_function(table: &Table, name: &ast::QualifiedName, args: &[ast::SelectorExpr]) -> Result<GroupFn, Error> {
    use crate::functions::{self, Arg, ArgKind, Impl, Site};
    use ast::SelectorExpr;
    let columns: Vec<&String> =
        args.iter().filter_map(|a| if let SelectorExpr::Column(c) = a { Some(c) } else { None }).collect();
    let Some(column_name) = columns.first() else {
        return Err(Error::invalid("GROUP BY functions must have one clustering column name as parameter"));
    };
    if columns.len() > 1 {
        return Err(Error::invalid(format!(
            "GROUP BY functions accept only one clustering column as parameter, got: {}",
            columns.iter().map(|c| crate::schema::quote_identifier(c)).collect::<Vec<_>>().join(",")
        )));
    }
    let column = table.column_index(column_name).ok_or_else(|| undefined_column(table, column_name))?;
    let def = &table.columns[column];
    let mut fargs = Vec::with_capacity(args.len());
    let mut terms = Vec::with_capacity(args.len());
    for a in args {
        match a {
            SelectorExpr::Column(_) => {
                fargs.push(Arg { kind: ArgKind::Typed(def.typ.clone()), text: def.name.clone() });
                terms.push(None);
            }
            SelectorExpr::Term(t) => {
                let kind = match t {
                    Term::Literal(l) => ArgKind::Literal(l),
                    Term::Null => ArgKind::Null,
                    Term::BindMarker(_) => ArgKind::Marker,
                    other => ArgKind::Composite(other),
                };
                fargs.push(Arg { kind, text: functions::term_text(t) });
                terms.push(Some(t.clone()));
            }
            _ => return Err(Error::invalid(
                "Group by currently only support groups of columns following their declared order in the PRIMARY KEY",
            )),
        }
    }
    let pk_types: Vec<CqlType> = table.partition_key().iter().map(|c| c.typ.clone()).collect();
    let fun = functions::resolve(name, &fargs, None, &pk_types, Site::Selection)?
        .ok_or_else(|| Error::invalid(format!("Unknown function '{}'", functions::display_name(name))))?;
    if fun.is_aggregate() {
        return Err(Error::invalid(format!(
            "Aggregate functions are not supported within the GROUP BY clause, got: {}",
            fun.qualified_name()
        )));
    }
    if def.kind != ColumnKind::Clustering {
        return Err(Error::invalid(format!(
            "Group by functions are only supported on clustering columns, got {}",
            crate::schema::quote_identifier(&def.name)
        )));
    }
    // Monotonic: the temporal conversions, and floor applied to its column with constant arguments.
    let monotonic = match fun.imp {
        Impl::ToDate | Impl::ToTimestamp | Impl::ToUnixTimestamp => true,
        Impl::Floor => terms.first().is_some_and(Option::is_none),
        _ => false,
    };
    if !monotonic {
        return Err(Error::invalid(format!(
            "Only monotonic functions are supported in the GROUP BY clause. Got: {} ",
            fun.signature()
        )));
    }
    Ok(GroupFn { fun, column, args: terms })
}

/// Cassandra's checks of a SELECT against its table (`SelectStatement.RawStatement.prepare`).
/// Without `values` (PREPARE), bound values are not looked at.
fn analyze(
    stmt: &ast::Select,
    table: &Table,
    values: Option<&Values<'_>>,
    vars: Option<&mut VariableSpecs>,
) -> Result<Query, Error> {
    let sel = Selection::prepare(stmt, table, vars)?;
    for (name, _) in &stmt.order_by {
        if table.column(name).is_none() {
            return Err(undefined_column(table, name));
        }
    }
    let mut plan = restrict::plan(stmt, table, values, sel.only_static_columns(table))?;

    if stmt.distinct {
        if stmt.per_partition_limit.is_some() {
            return Err(Error::invalid("PER PARTITION LIMIT is not allowed with SELECT DISTINCT queries"));
        }
        if plan.clustering_restricted || plan.regular_restricted {
            return Err(Error::invalid(
                "SELECT DISTINCT with WHERE clause only supports restriction by partition key and/or static columns.",
            ));
        }
        for i in &sel.columns {
            let c = &table.columns[*i];
            if !matches!(c.kind, ColumnKind::PartitionKey | ColumnKind::Static) {
                return Err(Error::invalid(format!(
                    "SELECT DISTINCT queries must only request partition key columns and/or static columns (not {})",
                    c.name
                )));
            }
        }
        if plan.key_range {
            for (i, c) in table.partition_key().iter().enumerate() {
                if !sel.columns.contains(&i) {
                    return Err(Error::invalid(format!(
                        "SELECT DISTINCT queries must request all the partition key columns (missing {})",
                        c.name
                    )));
                }
            }
        }
    }

    let mut group_fn: Option<GroupFn> = None;
    let aggregation = if stmt.group_by.is_empty() {
        if sel.aggregate {
            Aggregation::Everything
        } else {
            Aggregation::None
        }
    } else {
        let pk_count = table.partition_key_count;
        let mut pk_iter = 0usize; // next primary key column to match
        let primary: Vec<&crate::schema::Column> = table.columns[..pk_count + table.clustering_count].iter().collect();
        let mut clustering_prefix = 0usize;
        let order_msg =
            "Group by currently only support groups of columns following their declared order in the PRIMARY KEY";
        for g in &stmt.group_by {
            let name = match g {
                ast::SelectorExpr::Column(name) => {
                    if group_fn.is_some() {
                        return Err(Error::invalid(
                            "Functions are only supported on the last element of the GROUP BY clause",
                        ));
                    }
                    name.clone()
                }
                ast::SelectorExpr::FunctionCall { name, args } => {
                    let f = group_by_function(table, name, args)?;
                    let column = table.columns[f.column].name.clone();
                    group_fn = Some(f);
                    column
                }
                _ => return Err(Error::invalid(order_msg)),
            };
            let name = &name;
            let def = table.column(name).ok_or_else(|| undefined_column(table, name))?;
            if !def.is_primary_key() {
                return Err(Error::invalid(format!(
                    "Group by is currently only supported on the columns of the PRIMARY KEY, got {name}"
                )));
            }
            loop {
                let Some(pk_col) = primary.get(pk_iter) else {
                    return Err(Error::invalid(order_msg));
                };
                pk_iter += 1;
                if pk_col.kind == ColumnKind::Clustering {
                    clustering_prefix += 1;
                }
                if pk_col.name == def.name {
                    break;
                }
                if !plan.restricted_by_eq(table, pk_col) {
                    return Err(Error::invalid(order_msg));
                }
            }
        }
        if primary.get(pk_iter).map(|c| c.kind == ColumnKind::PartitionKey).unwrap_or(false) {
            return Err(Error::invalid("Group by is not supported on only a part of the partition key"));
        }
        if clustering_prefix > 0 && stmt.distinct {
            return Err(Error::invalid("Grouping on clustering columns is not allowed for SELECT DISTINCT queries"));
        }
        Aggregation::Groups(clustering_prefix)
    };
    if aggregation == Aggregation::Everything && stmt.per_partition_limit.is_some() {
        return Err(Error::invalid("PER PARTITION LIMIT is not allowed with aggregate queries."));
    }

    let mut post_order = None;
    if !stmt.order_by.is_empty() && stmt.ann.is_empty() {
        if plan.uses_index {
            return Err(Error::invalid("ORDER BY with 2ndary indexes is not supported."));
        }
        if plan.key_range {
            return Err(Error::invalid(
                "ORDER BY is only supported when the partition key is restricted by an EQ or an IN.",
            ));
        }
        let cols = table.clustering();
        let mut reversed_by_position: Vec<Option<bool>> = vec![None; cols.len()];
        let mut i = 0usize;
        for (name, order) in &stmt.order_by {
            let def = table.column(name).ok_or_else(|| undefined_column(table, name))?;
            if def.kind != ColumnKind::Clustering {
                return Err(Error::invalid(format!(
                    "Order by is currently only supported on the clustered columns of the PRIMARY KEY, got {name}"
                )));
            }
            let pos = def.position as usize;
            while i != pos {
                let skipped = cols.get(i).map(|c| plan.restricted_by_eq(table, c)).unwrap_or(false);
                i += 1;
                if !skipped || i > cols.len() {
                    return Err(Error::invalid(
                        "Order by currently only supports the ordering of columns following their declared order in the PRIMARY KEY",
                    ));
                }
            }
            i += 1;
            reversed_by_position[pos] = Some((*order == Order::Desc) != def.reversed);
        }
        let mut reversed: Option<bool> = None;
        for r in reversed_by_position.into_iter().flatten() {
            match reversed {
                None => reversed = Some(r),
                Some(prev) if prev != r => return Err(Error::invalid("Unsupported order by relation")),
                _ => {}
            }
        }
        plan.reversed = reversed.unwrap_or(false);
        if plan.key_in {
            let columns: Vec<usize> = stmt.order_by.iter().filter_map(|(n, _)| table.column_index(n)).collect();
            let desc = stmt.order_by.first().map(|(_, o)| *o == Order::Desc).unwrap_or(false);
            post_order = Some((columns, desc));
        }
    }
    if !stmt.allow_filtering && plan.needs_filtering {
        return Err(Error::invalid(FILTERING_MESSAGE));
    }
    Ok(Query { sel, plan, aggregation, post_order, group_fn })
}

/// The columns a SELECT returns (for PREPARE's result metadata).
pub fn result_columns(stmt: &ast::Select, table: &Table) -> Result<Vec<ColumnSpec>, Error> {
    Ok(Selection::prepare(stmt, table, None)?.specs)
}

/// The bind variables of a SELECT, in marker order; also makes the checks Cassandra makes when
/// preparing it.
pub fn variables(stmt: &ast::Select, table: &Table) -> Result<Vec<ColumnSpec>, Error> {
    let mut v = VariableSpecs::default();
    analyze(stmt, table, None, Some(&mut v))?;
    let (ks, tn) = (&table.keyspace, &table.name);
    let pk_types: Vec<CqlType> = table.partition_key().iter().map(|c| c.typ.clone()).collect();
    for r in &stmt.where_clause {
        match &r.lhs {
            RelationLhs::Column(name) => {
                let col = table.column(name).ok_or_else(|| undefined_column(table, name))?;
                match r.op {
                    Operator::In => match &r.rhs {
                        Term::BindMarker(_) => {
                            v.visit(&r.rhs, ks, tn, &format!("in({name})"), &CqlType::list(col.typ.clone()))
                        }
                        Term::List(items) => {
                            for i in items {
                                v.visit(i, ks, tn, name, &col.typ);
                            }
                        }
                        other => v.visit(other, ks, tn, name, &col.typ),
                    },
                    Operator::Contains => {
                        let t = match &col.typ {
                            CqlType::List { element, .. } | CqlType::Set { element, .. } => element.as_ref().clone(),
                            CqlType::Map { value, .. } => value.as_ref().clone(),
                            t => t.clone(),
                        };
                        v.visit(&r.rhs, ks, tn, name, &t)
                    }
                    Operator::ContainsKey => {
                        let t = match &col.typ {
                            CqlType::Map { key, .. } => key.as_ref().clone(),
                            t => t.clone(),
                        };
                        v.visit(&r.rhs, ks, tn, name, &t)
                    }
                    _ => v.visit(&r.rhs, ks, tn, name, &col.typ),
                }
            }
            RelationLhs::Token(_) => match &r.rhs {
                Term::FunctionCall { name, args } if name.name == "token" => {
                    for (i, (a, t)) in args.iter().zip(&pk_types).enumerate() {
                        v.visit(a, ks, tn, &format!("arg{i}(system.token)"), t);
                    }
                }
                other => v.visit(other, ks, tn, "partition key token", &CqlType::BIGINT),
            },
            RelationLhs::Tuple(names) => {
                let types: Vec<CqlType> = names
                    .iter()
                    .map(|n| table.column(n).map(|c| c.typ.clone()).ok_or_else(|| undefined_column(table, n)))
                    .collect::<Result<_, _>>()?;
                let label = format!("({})", names.join(","));
                match (&r.op, &r.rhs) {
                    (Operator::In, Term::List(items)) => {
                        for i in items {
                            v.visit(i, ks, tn, &label, &CqlType::Tuple(types.clone()));
                        }
                    }
                    (Operator::In, other) => {
                        v.visit(other, ks, tn, &format!("in{label}"), &CqlType::list(CqlType::Tuple(types.clone())))
                    }
                    (_, other) => v.visit(other, ks, tn, &label, &CqlType::Tuple(types.clone())),
                }
            }
            RelationLhs::Element(name, key) => {
                let col = table.column(name).ok_or_else(|| undefined_column(table, name))?;
                if let CqlType::Map { key: kt, value: vt, .. } = &col.typ {
                    v.visit(key, ks, tn, &format!("key({name})"), kt);
                    v.visit(&r.rhs, ks, tn, &format!("value({name})"), vt);
                }
            }
        }
    }
    if let Some(t) = &stmt.per_partition_limit {
        v.visit(t, ks, tn, "[per_partition_limit]", &CqlType::INT);
    }
    if let Some(t) = &stmt.limit {
        v.visit(t, ks, tn, "[limit]", &CqlType::INT);
    }
    v.take_error()?;
    Ok(v.finish(ks, tn))
}

fn limit_value(term: &Option<Term>, name: &str, values: &Values<'_>) -> Result<Option<i32>, Error> {
    let Some(t) = term else { return Ok(None) };
    match eval(t, &CqlType::INT, name, values)? {
        Bound::Value(b) => {
            let v = match CqlValue::deserialize(&CqlType::INT, &b) {
                Ok(CqlValue::Int(v)) => v,
                _ => return Err(Error::invalid("Invalid limit value")),
            };
            if v <= 0 {
                return Err(Error::invalid("LIMIT must be strictly positive"));
            }
            Ok(Some(v))
        }
        Bound::Null => Err(Error::invalid("Invalid null value of limit")),
        Bound::Unset => Ok(None),
    }
}

enum Flow {
    Continue,
    SkipPartition,
    Stop,
}

/// The clustering ranges a read of one partition needs (the plan's ranges, cut at the paging
/// position `resumed` inside this partition, inclusive), or `None` to read it whole.
fn read_slices(plan: &Plan, resumed: Option<&Bytes>) -> Option<Vec<(Bytes, Option<Bytes>)>> {
    let resumed = resumed.filter(|c| !c.is_empty());
    if resumed.is_none() && plan.ranges.is_none() {
        return None;
    }
    let whole = vec![(Bytes::new(), None)];
    let ranges = plan.ranges.as_ref().unwrap_or(&whole);
    let Some(last) = resumed else { return Some(ranges.clone()) };
    let cut = ranges
        .iter()
        .filter_map(|(s, e)| {
            if plan.reversed {
                // Still to come: clusterings before the last one returned.
                let end = match e {
                    Some(e) if e < last => e.clone(),
                    _ => last.clone(),
                };
                (s < &end).then(|| (s.clone(), Some(end)))
            } else {
                // Still to come: the last one returned (skipped by the caller) and after.
                let start = if s > last { s.clone() } else { last.clone() };
                e.as_ref().is_none_or(|e| start < *e).then(|| (start, e.clone()))
            }
        })
        .collect();
    Some(cut)
}

/// Calls `f` with every selected row in order, starting after the paging position `resume`.
/// `f` gets the row and the index of its partition among explicit keys.
fn for_each_row(
    ctx: &Ctx<'_>,
    table: &Table,
    plan: &Plan,
    distinct: bool,
    resume: Option<&PagingState>,
    f: &mut dyn FnMut(&CqlRow, usize) -> Result<Flow, Error>,
) -> Result<(), Error> {
    if plan.empty {
        return Ok(());
    }
    // Returns false to stop everything.
    let mut visit_partition = |mut rows: Vec<CqlRow>, key_index: usize| -> Result<bool, Error> {
        if plan.reversed {
            rows.reverse();
        }
        let resume_here =
            resume.filter(|r| rows.first().map(|row| row.partition_key == r.partition_key).unwrap_or(false));
        if let Some(r) = resume_here {
            if r.clustering.is_none() {
                return Ok(true);
            }
        }
        for row in &rows {
            if let Some(last) = resume_here.and_then(|r| r.clustering.as_ref()) {
                let already = if last.is_empty() {
                    row.clustering.is_empty()
                } else if plan.reversed {
                    row.clustering >= *last
                } else {
                    row.clustering <= *last
                };
                if already {
                    continue;
                }
            }
            let static_only = row.clustering.is_empty() && table.clustering_count > 0;
            if static_only {
                if !plan.static_rows && !distinct {
                    continue;
                }
            } else if let Some(ranges) = &plan.ranges {
                if !in_ranges(ranges, &row.clustering) {
                    continue;
                }
            }
            if !plan.filters.iter().all(|flt| passes(flt, table, row)) {
                continue;
            }
            match f(row, key_index)? {
                Flow::Continue => {}
                Flow::SkipPartition => return Ok(true),
                Flow::Stop => return Ok(false),
            }
            if distinct {
                return Ok(true);
            }
        }
        Ok(true)
    };
    match &plan.keys {
        Some(keys) => {
            let start = resume.map(|r| r.key_index as usize).unwrap_or(0);
            for (i, k) in keys.iter().enumerate().skip(start) {
                let resumed = resume.filter(|r| r.partition_key == *k).and_then(|r| r.clustering.as_ref());
                let rows = match read_slices(plan, resumed) {
                    Some(ranges) => ctx.partition_rows_in(table, k, &ranges)?,
                    None => ctx.partition_rows(table, k)?,
                };
                if rows.is_empty() {
                    continue;
                }
                if !visit_partition(rows, i)? {
                    break;
                }
            }
        }
        None if plan.lookup.is_some() && table.virtual_table.is_none() => {
            let Some(lookup) = &plan.lookup else { return Ok(()) };
            let index = &table.indexes[lookup.index];
            if lookup.range.is_none() {
                crate::index::entries::check_lookup_value(index, &lookup.key)?;
            }
            let candidates = match &lookup.range {
                Some(range) => crate::index::entries::range_candidates(ctx.storage, index, range, ctx.now_seconds)?,
                None => crate::index::entries::candidates(
                    ctx.storage,
                    index,
                    &lookup.key,
                    resume.map(|r| &r.partition_key),
                    ctx.now_seconds,
                )?,
            };
            let in_scan = |k: &Bytes| {
                std::ops::RangeBounds::<Bytes>::contains(&(plan.scan_start.clone(), plan.scan_end.clone()), k)
                    && resume.map(|r| *k >= r.partition_key).unwrap_or(true)
            };
            let index_key = match &lookup.range {
                Some(_) => Bytes::from_static(crate::index::entries::ORDERED_KEY),
                None => lookup.key.clone(),
            };
            // Entries found stale on the way, deleted once the read is done.
            let mut stale = Vec::new();
            let mut i = 0;
            while i < candidates.len() {
                let pk = candidates[i].partition_key.clone();
                let mut j = i;
                let mut whole = false;
                let mut wanted: Vec<&Bytes> = Vec::new();
                while j < candidates.len() && candidates[j].partition_key == pk {
                    match &candidates[j].clustering {
                        None => whole = true,
                        Some(c) => wanted.push(c),
                    }
                    j += 1;
                }
                let of_partition = &candidates[i..j];
                i = j;
                if !in_scan(&pk) {
                    continue;
                }
                let (mut rows, view) = ctx.partition_rows_and_view(table, &pk)?;
                stale.extend(crate::index::entries::stale_entries(
                    table,
                    index,
                    &index_key,
                    of_partition,
                    view.as_ref(),
                    ctx.now_seconds,
                ));
                if !whole {
                    rows.retain(|r| wanted.iter().any(|w| **w == r.clustering));
                }
                if rows.is_empty() {
                    continue;
                }
                if !visit_partition(rows, 0)? {
                    break;
                }
            }
            delete_stale_entries(ctx, &stale);
        }
        None => {
            let mut start = plan.scan_start.clone();
            if let Some(r) = resume {
                start = KeyBound::Included(r.partition_key.clone());
            }
            for rows in ctx.scan_rows(table, start, plan.scan_end.clone())? {
                let rows = rows?;
                if rows.is_empty() {
                    continue;
                }
                if !visit_partition(rows, 0)? {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Writes the deletions of stale index entries a read found, without waiting for them to be
/// durable: losing one only leaves the entry for a later read to delete. A read as of a time
/// after the clock's (`now_in_seconds`) may see values expired that are not yet: it deletes
/// nothing.
fn delete_stale_entries(ctx: &Ctx<'_>, stale: &[storage_model::Mutation]) {
    if stale.is_empty() || ctx.now_seconds > crate::clock::now_seconds() {
        return;
    }
    tracing::debug!(partitions = stale.len(), "deleting stale index entries");
    if let Err(e) = ctx.storage.apply(stale) {
        tracing::warn!("could not delete stale index entries: {e}");
    }
}

/// The checks `SelectStatement.execute` makes on a top-k (ANN) query, then SAI's limit, with the
/// warnings Cassandra sends: consistency levels above ONE are downgraded, and a page smaller than
/// the LIMIT grows to it (the rows come in one page).
fn top_k_checks(
    aggregation: Aggregation,
    options: &QueryOptions,
    limit: Option<i32>,
    per_partition_limit: Option<i32>,
    warnings: &mut Vec<String>,
) -> Result<(), Error> {
    if aggregation != Aggregation::None {
        return Err(Error::invalid("Top-K queries can not be run with aggregation"));
    }
    let cl = options.consistency;
    let name = crate::trace::consistency_name;
    if matches!(cl, 8 | 9) {
        return Err(Error::invalid(format!(
            "Top-K queries can only be run with consistency level ONE/LOCAL_ONE. Consistency level {} was used.",
            name(cl)
        )));
    }
    if !matches!(cl, 1 | 10 | 11) {
        // LOCAL_QUORUM is datacenter-local: it becomes LOCAL_ONE, the others ONE.
        let downgrade = if cl == 6 { 10 } else { 1 };
        warnings.push(format!(
            "Top-K queries can only be run with consistency level ONE / LOCAL_ONE / NODE_LOCAL. Consistency level {} was requested. Downgrading the consistency level to {}.",
            name(cl),
            name(downgrade)
        ));
    }
    let Some(limit) = limit else {
        return Err(Error::invalid(
            "Top-K queries must have a limit specified and the limit must be less than the query page size",
        ));
    };
    if per_partition_limit.is_some() {
        return Err(Error::invalid("Top-K queries do not support per-partition limits"));
    }
    if let Some(page) = options.page_size.filter(|p| *p > 0 && *p < limit) {
        warnings.push(format!(
            "Top-K queries do not support paging and the page size is set to {page}, which is less than LIMIT {limit}. The page size has been set to {limit} to match the LIMIT."
        ));
    }
    if limit > 1000 {
        return Err(Error::invalid(format!(
            "Use of ANN OF in an ORDER BY clause requires a LIMIT that is not greater than 1000. LIMIT was {limit}"
        )));
    }
    Ok(())
}

/// The rows nearest the ANN query vector, nearest first (exact search over the rows the
/// restrictions select; ties keep token order).
fn ann_rows(
    ctx: &Ctx<'_>,
    table: &Table,
    plan: &Plan,
    ann: &restrict::AnnOrder,
    distinct: bool,
    limit: usize,
) -> Result<Vec<CqlRow>, Error> {
    let dimension = ann.vector.len();
    let mut scored: Vec<(f32, CqlRow)> = Vec::new();
    for_each_row(ctx, table, plan, distinct, None, &mut |row, _| {
        let v = row.values.get(ann.column).and_then(|v| v.as_ref());
        if let Some(v) = v.and_then(|b| crate::index::vector::floats(b, dimension)) {
            let zero_cosine = ann.similarity == crate::index::Similarity::Cosine && crate::index::vector::is_zero(&v);
            if !zero_cosine {
                scored.push((crate::index::vector::score(ann.similarity, &ann.vector, &v), row.clone()));
            }
        }
        Ok(Flow::Continue)
    })?;
    scored.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(Ordering::Equal));
    scored.truncate(limit);
    Ok(scored.into_iter().map(|(_, r)| r).collect())
}

/// One result row, with the row it came from (for post-query ordering).
struct OutRow {
    values: Vec<Option<Bytes>>,
    source: Option<CqlRow>,
}

/// Accumulates the rows of a page.
struct Pager {
    page_size: Option<usize>,
    remaining: Option<i32>,
    per_partition_limit: Option<i32>,
    out: Vec<OutRow>,
    /// Current partition and the rows (or groups) returned from it.
    partition: (Bytes, i32),
    last: Option<PagingState>,
    more: bool,
    keep_sources: bool,
}

impl Pager {
    fn page_full(&self) -> bool {
        self.page_size.map(|p| self.out.len() >= p).unwrap_or(false)
    }

    /// Enters the partition of `row`; false if its per-partition limit is already reached.
    fn enter(&mut self, row: &CqlRow) -> bool {
        if row.partition_key != self.partition.0 {
            self.partition = (row.partition_key.clone(), 0);
        }
        self.per_partition_limit.map(|l| self.partition.1 < l).unwrap_or(true)
    }

    /// Records an output row whose last source row is `row`.
    fn emit(
        &mut self,
        values: Vec<Option<Bytes>>,
        row: &CqlRow,
        source: Option<&CqlRow>,
        key_index: usize,
        partition_done: bool,
    ) {
        self.out.push(OutRow { values, source: if self.keep_sources { source.cloned() } else { None } });
        self.partition.1 += 1;
        self.remaining = self.remaining.map(|r| r - 1);
        self.last = Some(PagingState {
            partition_key: row.partition_key.clone(),
            clustering: if partition_done { None } else { Some(row.clustering.clone()) },
            remaining: self.remaining,
            key_index: key_index as u32,
            partition_count: self.partition.1,
        });
        if self.page_full() && self.remaining != Some(0) {
            self.more = true;
        }
    }

    fn done(&self) -> bool {
        self.remaining == Some(0) || self.page_full()
    }
}

/// Runs a SELECT and returns one page of rows, with the warnings Cassandra sends along.
pub fn execute_with_warnings(
    ctx: &Ctx<'_>,
    stmt: &ast::Select,
    table: &Table,
    values: &Values<'_>,
    options: &QueryOptions,
) -> Result<(Rows, Vec<String>), Error> {
    let Query { mut sel, plan, aggregation, post_order, group_fn } = analyze(stmt, table, Some(values), None)?;
    let group_fn_args = group_fn.as_ref().map(|g| g.bind(values)).transpose()?;
    let mut warnings = Vec::new();
    if aggregation != Aggregation::None {
        if !plan.partition_restricted {
            warnings.push("Aggregation query used without partition key".to_string());
        } else if plan.key_in {
            warnings.push("Aggregation query used on multiple partition keys (IN restriction)".to_string());
        }
    }
    sel.now_seconds = ctx.now_seconds;
    let consts = sel.bind(values)?;
    let limit = limit_value(&stmt.limit, "[limit]", values)?;
    let per_partition_limit = limit_value(&stmt.per_partition_limit, "[per_partition_limit]", values)?;
    let mut page_size = options.page_size.filter(|p| *p > 0).map(|p| p as usize);
    // Cassandra does not page a query whose LIMIT fits in one page (SelectStatement.execute).
    let fits_one_page = aggregation == Aggregation::None
        && matches!((limit, page_size), (Some(l), Some(p)) if usize::try_from(l).is_ok_and(|l| l <= p));
    if post_order.is_some() && aggregation != Aggregation::Everything && page_size.is_some() && !fits_one_page {
        return Err(Error::invalid(ORDER_BY_WITH_IN_AND_PAGING));
    }
    // Everything is aggregated into one row: read it all, in one page.
    if aggregation == Aggregation::Everything || post_order.is_some() {
        page_size = None;
    }
    let resume = match &options.paging_state {
        Some(b) => Some(PagingState::decode(b)?),
        None => None,
    };
    let mut pager = Pager {
        page_size,
        remaining: resume.as_ref().and_then(|r| r.remaining).or(limit),
        per_partition_limit,
        out: Vec::new(),
        partition: match &resume {
            Some(r) => (r.partition_key.clone(), r.partition_count),
            None => (Bytes::new(), 0),
        },
        last: None,
        more: false,
        keep_sources: post_order.is_some(),
    };
    // With post-query ordering, LIMIT applies after sorting.
    if post_order.is_some() {
        pager.remaining = None;
    }
    let distinct = stmt.distinct;
    if let Some(ann) = &plan.ann {
        top_k_checks(aggregation, options, limit, per_partition_limit, &mut warnings)?;
        let rows = ann_rows(ctx, table, &plan, ann, distinct, limit.unwrap_or(1000) as usize)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(sel.project(row, &consts)?);
        }
        let rows = Rows {
            metadata: ResultMetadata {
                columns: sel.specs,
                paging_state: None,
                no_metadata: options.skip_metadata,
                new_metadata_id: None,
            },
            rows: out,
        };
        return Ok((rows, warnings));
    }
    match aggregation {
        Aggregation::None => {
            for_each_row(ctx, table, &plan, distinct, resume.as_ref(), &mut |row, key_index| {
                if pager.done() {
                    return Ok(Flow::Stop);
                }
                if !pager.enter(row) {
                    return Ok(Flow::SkipPartition);
                }
                let values = sel.project(row, &consts)?;
                let partition_done =
                    distinct || per_partition_limit.map(|l| pager.partition.1 + 1 >= l).unwrap_or(false);
                pager.emit(values, row, Some(row), key_index, partition_done);
                Ok(if pager.done() { Flow::Stop } else { Flow::Continue })
            })?;
        }
        Aggregation::Everything => {
            let mut group = sel.new_group();
            for_each_row(ctx, table, &plan, distinct, None, &mut |row, _| {
                sel.accumulate(&mut group, row, &consts)?;
                Ok(Flow::Continue)
            })?;
            let values = sel.finish_group(&group, &consts)?;
            pager.out.push(OutRow { values, source: None });
        }
        Aggregation::Groups(prefix) => {
            let pk_count = table.partition_key_count;
            // With a GROUP BY function, the last element of the key is its value on the row.
            let group_key = |row: &CqlRow| -> Result<(Bytes, Vec<Option<Bytes>>), Error> {
                let mut key = row.values[pk_count..pk_count + prefix].to_vec();
                if let (Some(g), Some(bound), Some(last)) = (&group_fn, &group_fn_args, key.last_mut()) {
                    *last = g.apply(bound, row)?;
                }
                Ok((row.partition_key.clone(), key))
            };
            struct Current {
                key: (Bytes, Vec<Option<Bytes>>),
                group: Group,
                last_row: CqlRow,
                first_row: CqlRow,
                key_index: usize,
            }
            let mut current: Option<Current> = None;
            let close = |pager: &mut Pager, c: Current| -> Result<(), Error> {
                let values = sel.finish_group(&c.group, &consts)?;
                // A DISTINCT group is its whole partition: a page ending there resumes at the next.
                pager.emit(values, &c.last_row, Some(&c.first_row), c.key_index, distinct);
                Ok(())
            };
            for_each_row(ctx, table, &plan, distinct, resume.as_ref(), &mut |row, key_index| {
                let key = group_key(row)?;
                if current.as_ref().map(|c| c.key != key).unwrap_or(false) {
                    if let Some(c) = current.take() {
                        close(&mut pager, c)?;
                    }
                    if pager.done() {
                        return Ok(Flow::Stop);
                    }
                }
                if current.is_none() {
                    if pager.done() {
                        return Ok(Flow::Stop);
                    }
                    if !pager.enter(row) {
                        return Ok(Flow::SkipPartition);
                    }
                    current = Some(Current {
                        key,
                        group: sel.new_group(),
                        last_row: row.clone(),
                        first_row: row.clone(),
                        key_index,
                    });
                }
                if let Some(c) = current.as_mut() {
                    sel.accumulate(&mut c.group, row, &consts)?;
                    c.last_row = row.clone();
                }
                Ok(Flow::Continue)
            })?;
            if let Some(c) = current.take() {
                close(&mut pager, c)?;
            }
        }
    }
    let mut rows = pager.out;
    if let Some((columns, desc)) = &post_order {
        if aggregation != Aggregation::Everything {
            rows.sort_by(|a, b| {
                let (Some(ra), Some(rb)) = (&a.source, &b.source) else { return Ordering::Equal };
                for c in columns {
                    let typ = &table.columns[*c].typ;
                    let o = match (&ra.values[*c], &rb.values[*c]) {
                        (None, None) => Ordering::Equal,
                        (None, Some(_)) => Ordering::Less,
                        (Some(_), None) => Ordering::Greater,
                        (Some(x), Some(y)) => CqlValue::compare(typ, x, y),
                    };
                    if o != Ordering::Equal {
                        return if *desc { o.reverse() } else { o };
                    }
                }
                Ordering::Equal
            });
        }
        if let Some(l) = limit {
            rows.truncate(l as usize);
        }
    }
    let paging_state = if pager.more { pager.last.map(|s| s.encode()) } else { None };
    let rows = Rows {
        metadata: ResultMetadata {
            columns: sel.specs,
            paging_state,
            no_metadata: options.skip_metadata,
            new_metadata_id: None,
        },
        rows: rows.into_iter().map(|r| r.values).collect(),
    };
    Ok((rows, warnings))
}
