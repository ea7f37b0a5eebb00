//! SELECT: restrictions to partitions and clustering ranges, filtering, selection, ordering,
//! limits and paging.

use std::cmp::Ordering;
use std::ops::Bound as KeyBound;

use bytes::Bytes;
use cql_parser::ast::{self, Operator, Order, RelationLhs, SelectorExpr, Term};
use cql_types::{key, CqlType, CqlValue};

use super::Ctx;
use crate::bind::{eval, Bound, Values, VariableSpecs};
use crate::paging::PagingState;
use crate::row::{clustering_key, partition_key, CqlRow};
use crate::schema::{ColumnKind, Table};
use crate::{ColumnSpec, Error, QueryOptions, ResultMetadata, Rows};

const FILTERING_MESSAGE: &str = "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING";

pub fn undefined_column(table: &Table, name: &str) -> Error {
    Error::invalid(format!(
        "Undefined column name {} in table {}.{}",
        crate::schema::quote_identifier(name),
        table.keyspace,
        table.name
    ))
}

/// What one output column computes.
#[derive(Debug, Clone)]
enum Selected {
    Column(usize),
    WriteTime(usize),
    Ttl(usize),
    Token,
    CountRows,
    CountColumn(usize),
}

struct Selection {
    items: Vec<Selected>,
    specs: Vec<ColumnSpec>,
    aggregate: bool,
}

fn spec(table: &Table, name: String, typ: CqlType) -> ColumnSpec {
    ColumnSpec { keyspace: table.keyspace.clone(), table: table.name.clone(), name, typ }
}

fn selection(stmt: &ast::Select, table: &Table) -> Result<Selection, Error> {
    let mut items = Vec::new();
    let mut specs = Vec::new();
    if stmt.selectors.is_empty() {
        for (i, c) in table.columns.iter().enumerate() {
            if stmt.distinct && !matches!(c.kind, ColumnKind::PartitionKey | ColumnKind::Static) {
                continue;
            }
            items.push(Selected::Column(i));
            specs.push(spec(table, c.name.clone(), c.typ.clone()));
        }
        return Ok(Selection { items, specs, aggregate: false });
    }
    let column = |name: &str| table.column_index(name).ok_or_else(|| undefined_column(table, name));
    let mut aggregate = false;
    for sel in &stmt.selectors {
        let (item, default_name, typ) = match &sel.expr {
            SelectorExpr::Column(name) => {
                let i = column(name)?;
                (Selected::Column(i), name.clone(), table.columns[i].typ.clone())
            }
            SelectorExpr::CountStar => {
                aggregate = true;
                (Selected::CountRows, "count".to_string(), CqlType::BIGINT)
            }
            SelectorExpr::FunctionCall { name, args } => {
                let fname = name.name.to_ascii_lowercase();
                match (fname.as_str(), args.as_slice()) {
                    ("writetime", [SelectorExpr::Column(c)]) | ("ttl", [SelectorExpr::Column(c)]) => {
                        let i = column(c)?;
                        let col = &table.columns[i];
                        if col.is_primary_key() {
                            return Err(Error::invalid(format!(
                                "Cannot use selection function {fname} on PRIMARY KEY part {c}"
                            )));
                        }
                        if col.typ.is_multi_cell() {
                            return Err(Error::invalid(format!(
                                "Cannot use selection function {fname} on non-frozen collection {c}"
                            )));
                        }
                        if fname == "writetime" {
                            (Selected::WriteTime(i), format!("writetime({c})"), CqlType::BIGINT)
                        } else {
                            (Selected::Ttl(i), format!("ttl({c})"), CqlType::INT)
                        }
                    }
                    ("token", cols) => {
                        let names: Vec<&str> = cols
                            .iter()
                            .map(|a| match a {
                                SelectorExpr::Column(c) => Ok(c.as_str()),
                                _ => Err(Error::invalid("Invalid argument for token()")),
                            })
                            .collect::<Result<_, _>>()?;
                        let pk: Vec<&str> = table.partition_key().iter().map(|c| c.name.as_str()).collect();
                        if names != pk {
                            return Err(Error::invalid(format!(
                                "Invalid number of arguments in call to function system.token: {} required but {} provided",
                                pk.len(),
                                names.len()
                            )));
                        }
                        (Selected::Token, format!("system.token({})", names.join(", ")), CqlType::BIGINT)
                    }
                    ("count", [SelectorExpr::Column(c)]) => {
                        aggregate = true;
                        let i = column(c)?;
                        (Selected::CountColumn(i), format!("system.count({c})"), CqlType::BIGINT)
                    }
                    ("count", [SelectorExpr::Term(Term::Literal(_))]) => {
                        aggregate = true;
                        (Selected::CountRows, "count".to_string(), CqlType::BIGINT)
                    }
                    _ => return Err(Error::invalid(format!("Unknown function '{fname}'"))),
                }
            }
            _ => return Err(Error::invalid("This selector is not supported yet")),
        };
        items.push(item);
        specs.push(spec(table, sel.alias.clone().unwrap_or(default_name), typ));
    }
    if aggregate && items.iter().any(|i| !matches!(i, Selected::CountRows | Selected::CountColumn(_))) {
        // Cassandra allows mixing, returning the first row's values; keep that behaviour.
    }
    Ok(Selection { items, specs, aggregate })
}

/// The columns a SELECT returns (for PREPARE's result metadata).
pub fn result_columns(stmt: &ast::Select, table: &Table) -> Result<Vec<ColumnSpec>, Error> {
    Ok(selection(stmt, table)?.specs)
}

/// The bind variables of a SELECT, in marker order.
pub fn variables(stmt: &ast::Select, table: &Table) -> Result<Vec<ColumnSpec>, Error> {
    let mut v = VariableSpecs::default();
    let (ks, tn) = (&table.keyspace, &table.name);
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
            RelationLhs::Token(_) => v.visit(&r.rhs, ks, tn, "partition key token", &CqlType::BIGINT),
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
            RelationLhs::Element(name, _) => {
                let col = table.column(name).ok_or_else(|| undefined_column(table, name))?;
                v.visit(&r.rhs, ks, tn, name, &col.typ)
            }
        }
    }
    if let Some(t) = &stmt.per_partition_limit {
        v.visit(t, ks, tn, "[per_partition_limit]", &CqlType::INT);
    }
    if let Some(t) = &stmt.limit {
        v.visit(t, ks, tn, "[limit]", &CqlType::INT);
    }
    Ok(v.finish(ks, tn))
}

/// A restriction on one column's values.
#[derive(Debug, Clone, Default)]
struct ColumnRestriction {
    /// `=` or `IN`: the allowed values (sorted and deduplicated by the column's order).
    values: Option<Vec<Bytes>>,
    lower: Option<(Bytes, bool)>,
    upper: Option<(Bytes, bool)>,
}

/// A predicate checked on each row after reading.
#[derive(Debug, Clone)]
struct Filter {
    column: usize,
    op: Operator,
    values: Vec<Bytes>,
}

struct Restrictions {
    partition: Vec<ColumnRestriction>,
    clustering: Vec<ColumnRestriction>,
    token_lower: KeyBound<i64>,
    token_upper: KeyBound<i64>,
    /// Multi-column clustering slices as byte ranges.
    clustering_ranges: Option<Vec<(Bytes, Option<Bytes>)>>,
    filters: Vec<Filter>,
}

fn non_null(b: Bound, col: &str) -> Result<Bytes, Error> {
    match b {
        Bound::Value(v) => Ok(v),
        Bound::Null => Err(Error::invalid(format!("Invalid null value in condition for column {col}"))),
        Bound::Unset => Err(Error::invalid(format!("Invalid unset value for column {col}"))),
    }
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

fn in_values(rhs: &Term, typ: &CqlType, name: &str, values: &Values<'_>) -> Result<Vec<Bytes>, Error> {
    match rhs {
        Term::List(items) | Term::Tuple(items) => {
            items.iter().map(|t| eval(t, typ, name, values).and_then(|b| non_null(b, name))).collect()
        }
        other => {
            let list = non_null(eval(other, &CqlType::list(typ.clone()), &format!("in({name})"), values)?, name)?;
            list_elements(&list)
        }
    }
}

fn sorted_unique(typ: &CqlType, mut v: Vec<Bytes>) -> Vec<Bytes> {
    v.sort_by(|a, b| CqlValue::compare(typ, a, b));
    v.dedup();
    v
}

fn restrictions(stmt: &ast::Select, table: &Table, values: &Values<'_>) -> Result<Restrictions, Error> {
    let mut r = Restrictions {
        partition: vec![ColumnRestriction::default(); table.partition_key_count],
        clustering: vec![ColumnRestriction::default(); table.clustering_count],
        token_lower: KeyBound::Unbounded,
        token_upper: KeyBound::Unbounded,
        clustering_ranges: None,
        filters: Vec::new(),
    };
    for rel in &stmt.where_clause {
        match &rel.lhs {
            RelationLhs::Column(name) => {
                let idx = table.column_index(name).ok_or_else(|| undefined_column(table, name))?;
                let col = &table.columns[idx];
                let vals = match rel.op {
                    Operator::In => sorted_unique(&col.typ, in_values(&rel.rhs, &col.typ, name, values)?),
                    Operator::IsNotNull => Vec::new(),
                    Operator::Contains | Operator::ContainsKey => {
                        let t = match (&col.typ, rel.op) {
                            (CqlType::Map { key, .. }, Operator::ContainsKey) => key.as_ref().clone(),
                            (CqlType::Map { value, .. }, _) => value.as_ref().clone(),
                            (CqlType::List { element, .. } | CqlType::Set { element, .. }, _) => {
                                element.as_ref().clone()
                            }
                            _ => {
                                return Err(Error::invalid(format!(
                                    "Cannot use {} on non-collection column {name}",
                                    if rel.op == Operator::Contains { "CONTAINS" } else { "CONTAINS KEY" }
                                )))
                            }
                        };
                        vec![non_null(eval(&rel.rhs, &t, name, values)?, name)?]
                    }
                    _ => vec![non_null(eval(&rel.rhs, &col.typ, name, values)?, name)?],
                };
                let target = match col.kind {
                    ColumnKind::PartitionKey => Some(&mut r.partition[col.position as usize]),
                    ColumnKind::Clustering => Some(&mut r.clustering[col.position as usize]),
                    _ => None,
                };
                match (target, rel.op) {
                    (Some(t), Operator::Eq | Operator::In) => {
                        if t.values.is_some() {
                            return Err(Error::invalid(format!(
                                "{name} cannot be restricted by more than one relation if it includes an Equal"
                            )));
                        }
                        t.values = Some(vals);
                    }
                    (Some(_), Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte)
                        if col.kind == ColumnKind::PartitionKey =>
                    {
                        return Err(Error::invalid(
                            "Only EQ and IN relation are supported on the partition key (unless you use the token() function)",
                        ))
                    }
                    (Some(t), Operator::Gt | Operator::Gte) => {
                        t.lower = Some((vals.into_iter().next().unwrap_or_default(), rel.op == Operator::Gte))
                    }
                    (Some(t), Operator::Lt | Operator::Lte) => {
                        t.upper = Some((vals.into_iter().next().unwrap_or_default(), rel.op == Operator::Lte))
                    }
                    _ => {
                        if !stmt.allow_filtering {
                            return Err(Error::invalid(FILTERING_MESSAGE));
                        }
                        r.filters.push(Filter { column: idx, op: rel.op, values: vals });
                    }
                }
            }
            RelationLhs::Token(names) => {
                let pk: Vec<&str> = table.partition_key().iter().map(|c| c.name.as_str()).collect();
                if names.iter().map(|s| s.as_str()).collect::<Vec<_>>() != pk {
                    return Err(Error::invalid(format!(
                        "The token() function must be applied to all partition key components or none of them"
                    )));
                }
                let v = non_null(eval(&rel.rhs, &CqlType::BIGINT, "partition key token", values)?, "token")?;
                let t = CqlValue::deserialize(&CqlType::BIGINT, &v)
                    .ok()
                    .and_then(|v| if let CqlValue::Bigint(t) = v { Some(t) } else { None })
                    .ok_or_else(|| Error::invalid("Invalid token value"))?;
                match rel.op {
                    Operator::Gt => r.token_lower = KeyBound::Excluded(t),
                    Operator::Gte => r.token_lower = KeyBound::Included(t),
                    Operator::Lt => r.token_upper = KeyBound::Excluded(t),
                    Operator::Lte => r.token_upper = KeyBound::Included(t),
                    Operator::Eq => {
                        r.token_lower = KeyBound::Included(t);
                        r.token_upper = KeyBound::Included(t);
                    }
                    _ => return Err(Error::invalid("Only EQ, <, <=, > and >= are supported on token()")),
                }
            }
            RelationLhs::Tuple(names) => {
                let cols: Vec<&crate::schema::Column> = names
                    .iter()
                    .map(|n| table.column(n).ok_or_else(|| undefined_column(table, n)))
                    .collect::<Result<_, _>>()?;
                for (i, c) in cols.iter().enumerate() {
                    if c.kind != ColumnKind::Clustering || c.position as usize != i {
                        return Err(Error::invalid(format!(
                            "Multi-column relations can only be applied to clustering columns but was applied to: {}",
                            c.name
                        )));
                    }
                }
                let types: Vec<CqlType> = cols.iter().map(|c| c.typ.clone()).collect();
                let tuple_type = CqlType::Tuple(types.clone());
                let label = format!("({})", names.join(","));
                let tuples: Vec<Bytes> = match rel.op {
                    Operator::In => in_values(&rel.rhs, &tuple_type, &label, values)?,
                    _ => vec![non_null(eval(&rel.rhs, &tuple_type, &label, values)?, &label)?],
                };
                let mut ranges = Vec::new();
                let reversed = cols[0].reversed;
                if cols.iter().any(|c| c.reversed != reversed) {
                    return Err(Error::invalid(
                        "Multi-column slices over columns of mixed clustering order are not supported yet",
                    ));
                }
                for t in tuples {
                    let comps = tuple_components(&t, types.len())?;
                    let refs: Vec<&[u8]> = comps.iter().map(|c| c.as_ref()).collect();
                    let prefix = clustering_key(table, &refs)?;
                    let after = Bytes::from(key::prefix_end(&prefix));
                    let (lo_incl, hi) = match (rel.op, reversed) {
                        (Operator::Eq | Operator::In, _) => (prefix.clone(), Some(after)),
                        (Operator::Gt, false) | (Operator::Lt, true) => (after, None),
                        (Operator::Gte, false) | (Operator::Lte, true) => (prefix, None),
                        (Operator::Lt, false) | (Operator::Gt, true) => (Bytes::new(), Some(prefix)),
                        (Operator::Lte, false) | (Operator::Gte, true) => (Bytes::new(), Some(after)),
                        _ => return Err(Error::invalid("Unsupported operator for a multi-column relation")),
                    };
                    ranges.push((lo_incl, hi));
                }
                r.clustering_ranges = Some(match r.clustering_ranges.take() {
                    None => ranges,
                    Some(existing) => intersect_ranges(&existing, &ranges),
                });
            }
            RelationLhs::Element(..) => {
                if !stmt.allow_filtering {
                    return Err(Error::invalid(FILTERING_MESSAGE));
                }
                return Err(Error::invalid("Map element restrictions are not supported yet"));
            }
        }
    }
    Ok(r)
}

fn tuple_components(bytes: &[u8], n: usize) -> Result<Vec<Bytes>, Error> {
    let mut cur = bytes;
    let mut out = Vec::new();
    while out.len() < n && cur.len() >= 4 {
        let len = i32::from_be_bytes([cur[0], cur[1], cur[2], cur[3]]);
        cur = &cur[4..];
        if len < 0 {
            return Err(Error::invalid("Invalid null value in multi-column relation"));
        }
        let len = len as usize;
        if cur.len() < len {
            return Err(Error::invalid("Invalid tuple value"));
        }
        out.push(Bytes::copy_from_slice(&cur[..len]));
        cur = &cur[len..];
    }
    Ok(out)
}

fn intersect_ranges(a: &[(Bytes, Option<Bytes>)], b: &[(Bytes, Option<Bytes>)]) -> Vec<(Bytes, Option<Bytes>)> {
    let mut out = Vec::new();
    for (s1, e1) in a {
        for (s2, e2) in b {
            let s = if s1 > s2 { s1.clone() } else { s2.clone() };
            let e = match (e1, e2) {
                (None, e) | (e, None) => e.clone(),
                (Some(x), Some(y)) => Some(if x < y { x.clone() } else { y.clone() }),
            };
            if e.as_ref().map(|e| &s < e).unwrap_or(true) {
                out.push((s, e));
            }
        }
    }
    out
}

fn in_ranges(ranges: &[(Bytes, Option<Bytes>)], ck: &[u8]) -> bool {
    ranges.iter().any(|(s, e)| ck >= s.as_ref() && e.as_ref().map(|e| ck < e.as_ref()).unwrap_or(true))
}

/// The plan of a SELECT: which partitions, which rows in them, in what order.
struct Plan {
    /// Explicit partition keys (sorted as Cassandra returns them), or `None` for a range scan.
    keys: Option<Vec<Bytes>>,
    token_lower: KeyBound<i64>,
    token_upper: KeyBound<i64>,
    /// Clustering byte ranges rows must fall in; `None` = every row (incl. static-only rows).
    ranges: Option<Vec<(Bytes, Option<Bytes>)>>,
    /// Partition key restrictions checked per row (when not used to pick partitions).
    filters: Vec<Filter>,
    reversed: bool,
}

fn cartesian(lists: &[Vec<Bytes>]) -> Vec<Vec<Bytes>> {
    let mut out: Vec<Vec<Bytes>> = vec![Vec::new()];
    for l in lists {
        let mut next = Vec::with_capacity(out.len() * l.len());
        for prefix in &out {
            for v in l {
                let mut p = prefix.clone();
                p.push(v.clone());
                next.push(p);
            }
        }
        out = next;
    }
    out
}

fn plan(stmt: &ast::Select, table: &Table, r: Restrictions) -> Result<Plan, Error> {
    let mut filters = r.filters;
    let pk_all_eq = r.partition.iter().all(|p| p.values.is_some());
    let pk_any = r.partition.iter().any(|p| p.values.is_some());
    let token_restricted = !matches!((r.token_lower, r.token_upper), (KeyBound::Unbounded, KeyBound::Unbounded));
    let keys = if pk_all_eq && !token_restricted {
        let lists: Vec<Vec<Bytes>> = r.partition.iter().map(|p| p.values.clone().unwrap_or_default()).collect();
        let mut combos = cartesian(&lists);
        // Cassandra returns IN partitions in the order of their key values.
        let types: Vec<&CqlType> = table.partition_key().iter().map(|c| &c.typ).collect();
        combos.sort_by(|a, b| {
            for ((x, y), t) in a.iter().zip(b).zip(&types) {
                let o = CqlValue::compare(t, x, y);
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        });
        combos.dedup();
        Some(
            combos
                .iter()
                .map(|c| partition_key(&c.iter().map(|b| b.as_ref()).collect::<Vec<_>>()))
                .collect::<Result<_, _>>()?,
        )
    } else {
        if pk_any {
            if !stmt.allow_filtering {
                let missing: Vec<&str> = table
                    .partition_key()
                    .iter()
                    .zip(&r.partition)
                    .filter(|(_, p)| p.values.is_none())
                    .map(|(c, _)| c.name.as_str())
                    .collect();
                return Err(Error::invalid(format!(
                    "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING{}",
                    if missing.is_empty() { String::new() } else { String::new() }
                )));
            }
            for (i, p) in r.partition.iter().enumerate() {
                if let Some(v) = &p.values {
                    filters.push(Filter { column: i, op: Operator::In, values: v.clone() });
                }
            }
        }
        None
    };
    // Clustering: a prefix of = / IN, then at most one slice; anything else is filtering.
    let mut ranges: Option<Vec<(Bytes, Option<Bytes>)>> = r.clustering_ranges;
    let any_ck = r.clustering.iter().any(|c| c.values.is_some() || c.lower.is_some() || c.upper.is_some());
    if any_ck {
        if keys.is_none() && !stmt.allow_filtering {
            return Err(Error::invalid(FILTERING_MESSAGE));
        }
        let mut prefixes: Vec<Vec<Bytes>> = vec![Vec::new()];
        let mut built: Vec<(Bytes, Option<Bytes>)> = Vec::new();
        let mut done = false;
        let cols = table.clustering();
        for (i, c) in r.clustering.iter().enumerate() {
            let col = &cols[i];
            let restricted = c.values.is_some() || c.lower.is_some() || c.upper.is_some();
            if done || !restricted {
                if restricted {
                    if !stmt.allow_filtering {
                        let prev = &cols[i.saturating_sub(1)].name;
                        return Err(Error::invalid(format!(
                            "PRIMARY KEY column \"{}\" cannot be restricted as preceding column \"{}\" is not restricted",
                            col.name, prev
                        )));
                    }
                    let idx = table.partition_key_count + i;
                    if let Some(v) = &c.values {
                        filters.push(Filter { column: idx, op: Operator::In, values: v.clone() });
                    }
                    if let Some((v, incl)) = &c.lower {
                        filters.push(Filter {
                            column: idx,
                            op: if *incl { Operator::Gte } else { Operator::Gt },
                            values: vec![v.clone()],
                        });
                    }
                    if let Some((v, incl)) = &c.upper {
                        filters.push(Filter {
                            column: idx,
                            op: if *incl { Operator::Lte } else { Operator::Lt },
                            values: vec![v.clone()],
                        });
                    }
                }
                done = true;
                continue;
            }
            if let Some(vals) = &c.values {
                let mut next = Vec::new();
                for p in &prefixes {
                    for v in vals {
                        let mut q = p.clone();
                        q.push(v.clone());
                        next.push(q);
                    }
                }
                prefixes = next;
                continue;
            }
            // A slice on this column ends the prefix.
            for p in &prefixes {
                let refs: Vec<&[u8]> = p.iter().map(|b| b.as_ref()).collect();
                let base = clustering_key(table, &refs)?;
                let enc = |v: &Bytes| -> Result<Bytes, Error> {
                    let mut refs2 = refs.clone();
                    refs2.push(v.as_ref());
                    clustering_key(table, &refs2)
                };
                let (value_lo, value_hi) = (&c.lower, &c.upper);
                // In byte order, a DESC column's value bounds swap ends.
                let (byte_lo, byte_hi) = if col.reversed { (value_hi, value_lo) } else { (value_lo, value_hi) };
                let start = match byte_lo {
                    None => base.clone(),
                    Some((v, incl)) => {
                        let e = enc(v)?;
                        if *incl {
                            e
                        } else {
                            Bytes::from(key::prefix_end(&e))
                        }
                    }
                };
                let end = match byte_hi {
                    None => Some(Bytes::from(key::prefix_end(&base))),
                    Some((v, incl)) => {
                        let e = enc(v)?;
                        Some(if *incl { Bytes::from(key::prefix_end(&e)) } else { e })
                    }
                };
                built.push((start, end));
            }
            done = true;
            prefixes.clear();
        }
        for p in prefixes {
            let refs: Vec<&[u8]> = p.iter().map(|b| b.as_ref()).collect();
            let base = clustering_key(table, &refs)?;
            let end = Bytes::from(key::prefix_end(&base));
            built.push((base, Some(end)));
        }
        built.sort();
        ranges = Some(match ranges {
            None => built,
            Some(existing) => intersect_ranges(&existing, &built),
        });
    }
    // ORDER BY
    let mut reversed = false;
    if !stmt.order_by.is_empty() {
        if keys.is_none() {
            return Err(Error::invalid(
                "ORDER BY is only supported when the partition key is restricted by an EQ or an IN.",
            ));
        }
        let cols = table.clustering();
        let mut flip: Option<bool> = None;
        for (i, (name, order)) in stmt.order_by.iter().enumerate() {
            let col = table.column(name).ok_or_else(|| undefined_column(table, name))?;
            if col.kind != ColumnKind::Clustering {
                return Err(Error::invalid(format!(
                    "Order by is currently only supported on the clustered columns of the PRIMARY KEY, got {name}"
                )));
            }
            if cols.get(i).map(|c| &c.name) != Some(name) {
                return Err(Error::invalid(
                    "Order by currently only supports the ordering of columns following their declared order in the PRIMARY KEY",
                ));
            }
            let this = (*order == Order::Desc) != col.reversed;
            match flip {
                None => flip = Some(this),
                Some(f) if f != this => {
                    return Err(Error::invalid("Unsupported order by relation"));
                }
                _ => {}
            }
        }
        reversed = flip.unwrap_or(false);
    }
    Ok(Plan { keys, token_lower: r.token_lower, token_upper: r.token_upper, ranges, filters, reversed })
}

fn passes(filter: &Filter, table: &Table, row: &CqlRow) -> bool {
    let col = &table.columns[filter.column];
    let Some(v) = row.values.get(filter.column).and_then(|v| v.as_ref()) else {
        return false;
    };
    let cmp = |x: &Bytes| CqlValue::compare(&col.typ, v, x);
    match filter.op {
        Operator::Eq => filter.values.first().map(|x| cmp(x) == Ordering::Equal).unwrap_or(false),
        Operator::In => filter.values.iter().any(|x| cmp(x) == Ordering::Equal),
        Operator::Neq => filter.values.first().map(|x| cmp(x) != Ordering::Equal).unwrap_or(false),
        Operator::Lt => filter.values.first().map(|x| cmp(x) == Ordering::Less).unwrap_or(false),
        Operator::Lte => filter.values.first().map(|x| cmp(x) != Ordering::Greater).unwrap_or(false),
        Operator::Gt => filter.values.first().map(|x| cmp(x) == Ordering::Greater).unwrap_or(false),
        Operator::Gte => filter.values.first().map(|x| cmp(x) != Ordering::Less).unwrap_or(false),
        Operator::IsNotNull => true,
        Operator::Contains | Operator::ContainsKey => {
            let Ok(value) = CqlValue::deserialize(&col.typ, v) else { return false };
            let Some(needle) = filter.values.first() else { return false };
            let (elems, elem_type): (Vec<CqlValue>, &CqlType) = match (&value, &col.typ, filter.op) {
                (
                    CqlValue::List(items) | CqlValue::Set(items),
                    CqlType::List { element, .. } | CqlType::Set { element, .. },
                    _,
                ) => (items.clone(), element),
                (CqlValue::Map(entries), CqlType::Map { key, .. }, Operator::ContainsKey) => {
                    (entries.iter().map(|(k, _)| k.clone()).collect(), key)
                }
                (CqlValue::Map(entries), CqlType::Map { value, .. }, _) => {
                    (entries.iter().map(|(_, v)| v.clone()).collect(), value)
                }
                _ => return false,
            };
            elems.iter().any(|e| CqlValue::compare(elem_type, &e.to_bytes(), needle) == Ordering::Equal)
        }
        Operator::Like => false,
    }
}

fn limit_value(term: &Option<Term>, name: &str, values: &Values<'_>) -> Result<Option<i32>, Error> {
    let Some(t) = term else { return Ok(None) };
    match eval(t, &CqlType::INT, name, values)? {
        Bound::Value(b) => {
            let v = match CqlValue::deserialize(&CqlType::INT, &b) {
                Ok(CqlValue::Int(v)) => v,
                _ => return Err(Error::invalid(format!("Invalid limit value"))),
            };
            if v <= 0 {
                return Err(Error::invalid(format!("LIMIT must be strictly positive")));
            }
            Ok(Some(v))
        }
        Bound::Null => Err(Error::invalid("Invalid null value of limit")),
        Bound::Unset => Ok(None),
    }
}

fn token_key_bounds(lower: KeyBound<i64>, upper: KeyBound<i64>) -> (KeyBound<Bytes>, KeyBound<Bytes>) {
    let prefix = |t: i64| Bytes::copy_from_slice(&key::token_prefix(t));
    let start = match lower {
        KeyBound::Unbounded => KeyBound::Unbounded,
        KeyBound::Included(t) => KeyBound::Included(prefix(t)),
        KeyBound::Excluded(t) => match t.checked_add(1) {
            Some(n) => KeyBound::Included(prefix(n)),
            None => KeyBound::Excluded(Bytes::from(vec![0xFF; 9])),
        },
    };
    let end = match upper {
        KeyBound::Unbounded => KeyBound::Unbounded,
        KeyBound::Excluded(t) => KeyBound::Excluded(prefix(t)),
        KeyBound::Included(t) => match t.checked_add(1) {
            Some(n) => KeyBound::Excluded(prefix(n)),
            None => KeyBound::Unbounded,
        },
    };
    (start, end)
}

/// Runs a SELECT and returns one page of rows.
pub fn execute(
    ctx: &Ctx<'_>,
    stmt: &ast::Select,
    table: &Table,
    values: &Values<'_>,
    options: &QueryOptions,
) -> Result<Rows, Error> {
    if stmt.json {
        return Err(Error::invalid("SELECT JSON is not supported yet"));
    }
    if !stmt.group_by.is_empty() {
        return Err(Error::invalid("GROUP BY is not supported yet"));
    }
    let sel = selection(stmt, table)?;
    let restrictions = restrictions(stmt, table, values)?;
    let plan = plan(stmt, table, restrictions)?;
    let limit = limit_value(&stmt.limit, "[limit]", values)?;
    let per_partition_limit = limit_value(&stmt.per_partition_limit, "[per_partition_limit]", values)?;
    let page_size = options.page_size.filter(|p| *p > 0).map(|p| p as usize);
    let resume = match &options.paging_state {
        Some(b) => Some(PagingState::decode(b)?),
        None => None,
    };
    if sel.aggregate {
        // Aggregates read everything and return one row (Cassandra pages internally).
        let mut count: i64 = 0;
        let mut counts = vec![0i64; sel.items.len()];
        let mut first: Option<CqlRow> = None;
        for_each_row(ctx, table, &plan, stmt.distinct, None, |row, _| {
            count += 1;
            for (i, item) in sel.items.iter().enumerate() {
                if let Selected::CountColumn(c) = item {
                    if row.values[*c].is_some() {
                        counts[i] += 1;
                    }
                }
            }
            if first.is_none() {
                first = Some(row.clone());
            }
            Flow::Continue
        })?;
        let row = sel
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Selected::CountRows => Some(Bytes::copy_from_slice(&count.to_be_bytes())),
                Selected::CountColumn(_) => Some(Bytes::copy_from_slice(&counts[i].to_be_bytes())),
                other => first.as_ref().and_then(|r| project(other, r)),
            })
            .collect();
        return Ok(Rows {
            metadata: ResultMetadata { columns: sel.specs, paging_state: None, no_metadata: options.skip_metadata },
            rows: vec![row],
        });
    }
    let mut out: Vec<Vec<Option<Bytes>>> = Vec::new();
    let mut remaining = resume.as_ref().and_then(|r| r.remaining).or(limit);
    let mut last: Option<(usize, Bytes, Bytes, i32)> = None;
    let mut more = false;
    let mut per_partition: (Bytes, i32) = (Bytes::new(), resume.as_ref().map(|r| r.partition_count).unwrap_or(0));
    if let Some(r) = &resume {
        per_partition.0 = r.partition_key.clone();
    }
    let needs_post_sort = plan.reversed || !stmt.order_by.is_empty();
    let multi_partition_sort = needs_post_sort && plan.keys.as_ref().map(|k| k.len() > 1).unwrap_or(false);
    if multi_partition_sort {
        // Rows of several partitions ordered by clustering: collect, sort, then page in memory.
        let mut all: Vec<CqlRow> = Vec::new();
        for_each_row(ctx, table, &plan, stmt.distinct, None, |row, _| {
            all.push(row.clone());
            Flow::Continue
        })?;
        all.sort_by(
            |a, b| if plan.reversed { b.clustering.cmp(&a.clustering) } else { a.clustering.cmp(&b.clustering) },
        );
        let skip = resume.as_ref().map(|r| r.key_index as usize).unwrap_or(0);
        let mut taken = 0usize;
        for (i, row) in all.iter().enumerate().skip(skip) {
            if remaining == Some(0) {
                break;
            }
            if page_size.map(|p| taken >= p).unwrap_or(false) {
                more = true;
                last = Some((i - 1, row.partition_key.clone(), row.clustering.clone(), 0));
                break;
            }
            out.push(sel.items.iter().map(|it| project(it, row)).collect());
            taken += 1;
            remaining = remaining.map(|r| r - 1);
        }
        let paging_state = if more {
            last.map(|(i, pk, ck, _)| {
                PagingState {
                    partition_key: pk,
                    clustering: Some(ck),
                    remaining,
                    key_index: (i + 1) as u32,
                    partition_count: 0,
                }
                .encode()
            })
        } else {
            None
        };
        return Ok(Rows {
            metadata: ResultMetadata { columns: sel.specs, paging_state, no_metadata: options.skip_metadata },
            rows: out,
        });
    }
    for_each_row(ctx, table, &plan, stmt.distinct, resume.as_ref(), |row, key_index| {
        if remaining == Some(0) {
            return Flow::Stop;
        }
        if row.partition_key != per_partition.0 {
            per_partition = (row.partition_key.clone(), 0);
        }
        if let Some(ppl) = per_partition_limit {
            if per_partition.1 >= ppl {
                return Flow::SkipPartition;
            }
        }
        if let Some(p) = page_size {
            if out.len() >= p {
                more = true;
                return Flow::Stop;
            }
        }
        out.push(sel.items.iter().map(|it| project(it, row)).collect());
        per_partition.1 += 1;
        remaining = remaining.map(|r| r - 1);
        last = Some((key_index, row.partition_key.clone(), row.clustering.clone(), per_partition.1));
        Flow::Continue
    })?;
    let paging_state = if more {
        last.map(|(key_index, pk, ck, count)| {
            PagingState {
                partition_key: pk,
                clustering: Some(ck),
                remaining,
                key_index: key_index as u32,
                partition_count: count,
            }
            .encode()
        })
    } else {
        None
    };
    Ok(Rows {
        metadata: ResultMetadata { columns: sel.specs, paging_state, no_metadata: options.skip_metadata },
        rows: out,
    })
}

fn project(item: &Selected, row: &CqlRow) -> Option<Bytes> {
    match item {
        Selected::Column(i) => row.values.get(*i).cloned().flatten(),
        Selected::WriteTime(i) => {
            row.cell_meta.get(*i).cloned().flatten().map(|(ts, _)| Bytes::copy_from_slice(&ts.to_be_bytes()))
        }
        Selected::Ttl(i) => row
            .cell_meta
            .get(*i)
            .cloned()
            .flatten()
            .filter(|(_, ttl)| *ttl > 0)
            .map(|(_, ttl)| Bytes::copy_from_slice(&ttl.to_be_bytes())),
        Selected::Token => {
            key::token_of_storage_key(&row.partition_key).ok().map(|t| Bytes::copy_from_slice(&t.to_be_bytes()))
        }
        Selected::CountRows | Selected::CountColumn(_) => None,
    }
}

enum Flow {
    Continue,
    SkipPartition,
    Stop,
}

/// Calls `f` with every selected row, in order, starting after the paging position.
fn for_each_row(
    ctx: &Ctx<'_>,
    table: &Table,
    plan: &Plan,
    distinct: bool,
    resume: Option<&PagingState>,
    mut f: impl FnMut(&CqlRow, usize) -> Flow,
) -> Result<(), Error> {
    // Returns false to stop everything.
    let mut visit_partition = |mut rows: Vec<CqlRow>, key_index: usize| -> bool {
        if plan.reversed {
            rows.reverse();
        }
        let resume_after =
            resume.filter(|r| rows.first().map(|row| row.partition_key == r.partition_key).unwrap_or(false));
        for row in &rows {
            if let Some(r) = resume_after {
                if let Some(last) = &r.clustering {
                    let already = if plan.reversed { row.clustering >= *last } else { row.clustering <= *last };
                    if already {
                        continue;
                    }
                }
            }
            match &plan.ranges {
                Some(ranges) => {
                    if row.clustering.is_empty() && table.clustering_count > 0 {
                        continue;
                    }
                    if !in_ranges(ranges, &row.clustering) {
                        continue;
                    }
                }
                None => {}
            }
            if !plan.filters.iter().all(|flt| passes(flt, table, row)) {
                continue;
            }
            match f(row, key_index) {
                Flow::Continue => {}
                Flow::SkipPartition => return true,
                Flow::Stop => return false,
            }
            if distinct {
                return true;
            }
        }
        true
    };
    match &plan.keys {
        Some(keys) => {
            let start = resume.map(|r| r.key_index as usize).unwrap_or(0);
            for (i, k) in keys.iter().enumerate().skip(start) {
                let rows = ctx.partition_rows(table, k)?;
                if rows.is_empty() {
                    continue;
                }
                if !visit_partition(rows, i) {
                    break;
                }
            }
        }
        None => {
            let (mut start, end) = token_key_bounds(plan.token_lower, plan.token_upper);
            if let Some(r) = resume {
                start = KeyBound::Included(r.partition_key.clone());
            }
            for rows in ctx.scan_rows(table, start, end)? {
                let rows = rows?;
                if rows.is_empty() {
                    continue;
                }
                if !visit_partition(rows, 0) {
                    break;
                }
            }
        }
    }
    Ok(())
}
