//! The WHERE clause of a SELECT: Cassandra's `StatementRestrictions` (which relations are allowed
//! together, with its messages), then the partitions to read, the clustering ranges within them
//! and the filters left for each row.

use std::cmp::Ordering;
use std::ops::Bound as KeyBound;

use bytes::Bytes;
use cql_parser::ast::{self, Operator, RelationLhs, Term};
use cql_types::{key, CqlType, CqlValue};

use super::{list_elements, undefined_column, FILTERING_MESSAGE};
use crate::bind::{eval, Bound, Values};
use crate::functions::term_text;
use crate::row::{clustering_key, partition_key, CqlRow};
use crate::schema::{Column, ColumnKind, Table};
use crate::Error;

/// A predicate checked on each row after reading.
#[derive(Debug, Clone)]
pub enum FilterOp {
    /// `=`, `<`, `<=`, `>`, `>=` against a value.
    Cmp(Operator, Bytes),
    In(Vec<Bytes>),
    Contains(Bytes),
    ContainsKey(Bytes),
    /// `m[key] op value`.
    Entry(Bytes, Operator, Bytes),
    /// `=` through an SAI index that analyzes text: equal once both sides are analyzed.
    Analyzed(crate::index::Analyzer, Bytes),
    /// A multi-column relation left to filtering: `(columns) op tuple` (`=` / `IN`: any of the
    /// tuples; a slice: one tuple, compared component by component).
    Tuple(Vec<usize>, Operator, Vec<Vec<Bytes>>),
}

#[derive(Debug, Clone)]
pub struct Filter {
    pub column: usize,
    pub op: FilterOp,
}

/// The restrictions on one primary key column.
#[derive(Debug, Clone, Default)]
struct Col {
    /// `=` (one value) or `IN` (sorted, deduplicated) values.
    values: Option<Vec<Bytes>>,
    is_in: bool,
    lower: Option<(Bytes, bool)>,
    upper: Option<(Bytes, bool)>,
    /// CONTAINS / CONTAINS KEY on frozen collection keys: filtering only.
    others: Vec<FilterOp>,
    restricted: bool,
    /// An `IN` of one term: an equality for ORDER BY.
    single_in: bool,
}

impl Col {
    fn is_slice(&self) -> bool {
        self.lower.is_some() || self.upper.is_some()
    }
}

/// The plan of a SELECT: which partitions, which rows in them, in what order.
pub struct Plan {
    /// Explicit partition keys (sorted as Cassandra returns them), or `None` for a range scan.
    pub keys: Option<Vec<Bytes>>,
    /// True when the partition key is restricted with IN (results may need post-query ordering).
    pub key_in: bool,
    pub scan_start: KeyBound<Bytes>,
    pub scan_end: KeyBound<Bytes>,
    /// No partition can match (an empty token range).
    pub empty: bool,
    /// Clustering byte ranges rows must fall in; `None` = every row.
    pub ranges: Option<Vec<(Bytes, Option<Bytes>)>>,
    /// Include a partition's static row when it has no live rows.
    pub static_rows: bool,
    pub filters: Vec<Filter>,
    pub reversed: bool,
    /// True when the query reads a range of partitions (no EQ/IN on the whole partition key).
    pub key_range: bool,
    /// True when some clustering column is restricted.
    pub clustering_restricted: bool,
    /// True when some regular (not static) column is restricted.
    pub regular_restricted: bool,
    /// Primary key columns (table indexes) restricted by a single-value equality.
    pub eq_columns: Vec<usize>,
    /// Some partition key column, or the token, is restricted.
    pub partition_restricted: bool,
    /// The query reads through a secondary index (`usesSecondaryIndexing`).
    pub uses_index: bool,
    /// Without ALLOW FILTERING the query must be refused (`SelectStatement.checkNeedsFiltering`).
    pub needs_filtering: bool,
    /// An index partition listing every candidate row (an equality an index answers).
    pub lookup: Option<IndexLookup>,
    /// `ORDER BY v ANN OF [...]`.
    pub ann: Option<AnnOrder>,
}

/// Candidates from an index: the index (position in `Table::indexes`) and its partition, or the
/// slice of its value-ordered entries a range selects.
#[derive(Debug, Clone)]
pub struct IndexLookup {
    pub index: usize,
    pub key: Bytes,
    pub range: Option<(Bytes, Option<Bytes>)>,
}

/// Vector ordering: the column, the query vector (empty when preparing) and the similarity.
#[derive(Debug, Clone)]
pub struct AnnOrder {
    pub column: usize,
    pub vector: Vec<f32>,
    pub similarity: crate::index::Similarity,
}

/// One single-column restriction, as the index checks see it (`SingleRestriction`).
#[derive(Debug, Clone)]
struct Unit {
    column: usize,
    op: Operator,
    /// `m[k] = v`
    entry: bool,
}

impl Plan {
    /// `StatementRestrictions.isColumnRestrictedByEq`.
    pub fn restricted_by_eq(&self, table: &Table, col: &Column) -> bool {
        table.column_index(&col.name).map(|i| self.eq_columns.contains(&i)).unwrap_or(false)
    }
}

fn rhs_text(rel: &ast::Relation) -> String {
    match (&rel.op, &rel.rhs) {
        (Operator::IsNotNull, _) => "NULL".into(),
        (Operator::In, Term::List(items)) => {
            format!("({})", items.iter().map(term_text).collect::<Vec<_>>().join(", "))
        }
        (_, t) => term_text(t),
    }
}

/// A relation as Cassandra prints it in messages (`Relation.toString()`).
pub fn relation_text(rel: &ast::Relation) -> String {
    let lhs = match &rel.lhs {
        RelationLhs::Column(c) => c.clone(),
        RelationLhs::Token(cols) => format!("token({})", cols.join(", ")),
        RelationLhs::Tuple(cols) => format!("({})", cols.join(", ")),
        RelationLhs::Element(c, k) => format!("{c}[{}]", term_text(k)),
    };
    format!("{lhs} {} {}", rel.op.as_cql(), rhs_text(rel))
}

fn non_null(b: Bound, col: &str) -> Result<Bytes, Error> {
    match b {
        Bound::Value(v) => Ok(v),
        Bound::Null => Err(Error::invalid(format!("Invalid null value in condition for column {col}"))),
        Bound::Unset => Err(Error::invalid(format!("Invalid unset value for column {col}"))),
    }
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

fn tuple_components(bytes: &[u8], names: &[String]) -> Result<Vec<Bytes>, Error> {
    let mut cur = bytes;
    let mut out = Vec::new();
    while out.len() < names.len() && cur.len() >= 4 {
        let len = i32::from_be_bytes([cur[0], cur[1], cur[2], cur[3]]);
        cur = &cur[4..];
        if len < 0 {
            return Err(Error::invalid(format!("Invalid null value in condition for column {}", names[out.len()])));
        }
        let len = len as usize;
        if cur.len() < len {
            return Err(Error::invalid("Invalid tuple value"));
        }
        out.push(Bytes::copy_from_slice(&cur[..len]));
        cur = &cur[len..];
    }
    if out.len() < names.len() {
        return Err(Error::invalid(format!("Invalid null value in condition for column {}", names[out.len()])));
    }
    Ok(out)
}

/// Sorted, merged ranges.
fn normalize(mut r: Vec<(Bytes, Option<Bytes>)>) -> Vec<(Bytes, Option<Bytes>)> {
    r.retain(|(s, e)| e.as_ref().map(|e| s < e).unwrap_or(true));
    r.sort();
    let mut out: Vec<(Bytes, Option<Bytes>)> = Vec::with_capacity(r.len());
    for (s, e) in r {
        if let Some(last) = out.last_mut() {
            let overlaps = last.1.as_ref().map(|le| s <= *le).unwrap_or(true);
            if overlaps {
                last.1 = match (&last.1, &e) {
                    (None, _) | (_, None) => None,
                    (Some(a), Some(b)) => Some(if a > b { a.clone() } else { b.clone() }),
                };
                continue;
            }
        }
        out.push((s, e));
    }
    out
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
            out.push((s, e));
        }
    }
    normalize(out)
}

pub fn in_ranges(ranges: &[(Bytes, Option<Bytes>)], ck: &[u8]) -> bool {
    ranges.iter().any(|(s, e)| ck >= s.as_ref() && e.as_ref().map(|e| ck < e.as_ref()).unwrap_or(true))
}

fn after(b: &[u8]) -> Bytes {
    Bytes::from(key::prefix_end(b))
}

/// The clustering ranges of `(c0..cn) op (v0..vn)`: the union over i of `c0 = v0 .. c(i-1) = v(i-1)
/// AND ci op' vi`, each a byte range whatever the clustering order of ci.
/// The first `fixed` values are a prefix of equalities the tuple follows.
fn tuple_slice_ranges(
    table: &Table,
    values: &[Bytes],
    fixed: usize,
    op: Operator,
) -> Result<Vec<(Bytes, Option<Bytes>)>, Error> {
    let cols = table.clustering();
    let mut out = Vec::new();
    let n = values.len();
    for i in fixed..n {
        let refs: Vec<&[u8]> = values[..i].iter().map(|b| b.as_ref()).collect();
        let prefix = clustering_key(table, &refs)?;
        let mut with = refs.clone();
        with.push(values[i].as_ref());
        let at = clustering_key(table, &with)?;
        let last = i == n - 1;
        // the strict comparison on ci, or the inclusive one on the last component
        let greater = matches!(op, Operator::Gt | Operator::Gte);
        let inclusive = last && matches!(op, Operator::Gte | Operator::Lte);
        let ascending_bytes = greater != cols[i].reversed;
        let range = if ascending_bytes {
            // values after vi in byte order (vi itself if inclusive)
            (if inclusive { at.clone() } else { after(&at) }, Some(after(&prefix)))
        } else {
            (prefix.clone(), Some(if inclusive { after(&at) } else { at.clone() }))
        };
        out.push(range);
    }
    Ok(normalize(out))
}

/// The multi-column relations starting at one clustering column (MultiColumnRestriction), merged.
#[derive(Debug, Clone, Default)]
struct Multi {
    /// First clustering position and the widest relation's width.
    start: usize,
    len: usize,
    /// Each relation's operator and tuple components (none when preparing).
    rels: Vec<(Operator, Vec<Vec<Bytes>>)>,
    eq: bool,
    slice: bool,
    /// The slice has a start / an end bound.
    has_start: bool,
    has_end: bool,
    /// `=` or an `IN` of one tuple: an equality for ORDER BY.
    single_eq: bool,
}

impl Multi {
    fn covers(&self, pos: usize) -> bool {
        pos >= self.start && pos < self.start + self.len
    }
}

struct Build<'a> {
    table: &'a Table,
    stmt: &'a ast::Select,
    values: Option<&'a Values<'a>>,
    partition: Vec<Col>,
    clustering: Vec<Col>,
    /// Clustering positions in the order relations restricted them (for mergeWith's checks).
    token: Option<(KeyBound<i64>, KeyBound<i64>)>,
    token_seen: bool,
    token_eq: bool,
    multis: Vec<Multi>,
    filters: Vec<Filter>,
    regular_restricted: bool,
    non_pk_restricted: bool,
    clustering_contains: bool,
    units: Vec<Unit>,
}

impl<'a> Build<'a> {
    /// Some index of the table answers `op` on this column (`hasSupportingIndex`).
    fn indexed(&self, column: usize, op: Operator, entry: bool) -> bool {
        let col = &self.table.columns[column];
        self.table.indexes.iter().any(|i| i.supports(col, op, entry))
    }

    fn eval(&self, t: &Term, typ: &CqlType, name: &str) -> Result<Option<Bytes>, Error> {
        match self.values {
            None => Ok(None),
            Some(v) => non_null(eval(t, typ, name, v)?, name).map(Some),
        }
    }

    /// The value of a filtering restriction (`RowFilter` expressions have their own messages).
    fn eval_filter(&self, t: &Term, typ: &CqlType, name: &str, what: &str) -> Result<Option<Bytes>, Error> {
        match self.values {
            None => Ok(None),
            Some(v) => match eval(t, typ, name, v)? {
                Bound::Value(b) => Ok(Some(b)),
                Bound::Null => Err(Error::invalid(format!("Unsupported null {what} for column {name}"))),
                Bound::Unset => Err(Error::invalid(format!("Unsupported unset {what} for column {name}"))),
            },
        }
    }

    fn eval_in(&self, t: &Term, typ: &CqlType, name: &str) -> Result<Vec<Bytes>, Error> {
        match self.values {
            None => Ok(Vec::new()),
            Some(v) => Ok(sorted_unique(typ, in_values(t, typ, name, v)?)),
        }
    }

    fn pk_names(&self) -> String {
        self.table.partition_key().iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
    }

    /// Highest restricted clustering position so far, if it is a slice.
    fn clustering_mergeable(&self, col: &Column, is_slice: bool) -> Result<(), Error> {
        if self.stmt.allow_filtering {
            return Ok(());
        }
        let pos = col.position as usize;
        let multi = |i: usize| self.multis.iter().find(|m| m.covers(i));
        let last = (0..self.clustering.len()).rev().find(|i| self.clustering[*i].restricted || multi(*i).is_some());
        let Some(last) = last else { return Ok(()) };
        let last_is_slice = match multi(last) {
            Some(m) => m.slice,
            None => self.clustering[last].is_slice(),
        };
        let cols = self.table.clustering();
        if last_is_slice && pos > last {
            let last_name = match multi(last) {
                Some(m) => &cols[m.start].name,
                None => &cols[last].name,
            };
            return Err(Error::invalid(format!(
                "Clustering column \"{}\" cannot be restricted (preceding column \"{last_name}\" is restricted by a non-EQ relation)",
                col.name
            )));
        }
        if pos < last && is_slice {
            let next = cols.get(pos + 1).map(|c| c.name.clone()).unwrap_or_default();
            return Err(Error::invalid(format!(
                "PRIMARY KEY column \"{next}\" cannot be restricted (preceding column \"{}\" is restricted by a non-EQ relation)",
                col.name
            )));
        }
        Ok(())
    }

    fn column_relation(&mut self, rel: &ast::Relation, name: &str) -> Result<(), Error> {
        let table = self.table;
        let idx = table.column_index(name).ok_or_else(|| undefined_column(table, name))?;
        let col = &table.columns[idx];
        if col.kind == ColumnKind::Clustering {
            if let Some(m) = self.multis.iter().find(|m| m.covers(col.position as usize)) {
                // A slice merges into the multi-column slice covering its column, as `(c) op (v)`
                // (SingleRestriction.toMultiColumnRestriction); anything else conflicts with it.
                if !is_slice_op(rel.op) || !m.slice {
                    let pos = col.position as usize;
                    return Err(merge_conflict(m, table.clustering(), pos, pos + 1));
                }
                let tuple = ast::Relation {
                    lhs: RelationLhs::Tuple(vec![name.to_string()]),
                    op: rel.op,
                    rhs: Term::Tuple(vec![rel.rhs.clone()]),
                };
                return self.tuple_relation(&tuple, &[name.to_string()]);
            }
        }
        let text = relation_text(rel);
        match rel.op {
            Operator::IsNotNull => return Err(Error::invalid(format!("Unsupported restriction: {text}"))),
            Operator::Like => {
                return Err(Error::invalid(format!(
                    "LIKE restriction is only supported on properly indexed columns. {text} is not valid."
                )))
            }
            Operator::Neq => return Err(Error::invalid(format!("Unsupported \"!=\" relation: {text}"))),
            _ => {}
        }
        crate::statement::ddl::check_duration_slice(&col.typ, rel.op, "restrictions")?;
        // A non-frozen collection is only restricted element-wise (CONTAINS, CONTAINS KEY, m[k]).
        let multi_cell_collection = matches!(col.typ, CqlType::List { .. } | CqlType::Set { .. } | CqlType::Map { .. })
            && col.typ.is_multi_cell();
        if multi_cell_collection && !matches!(rel.op, Operator::Contains | Operator::ContainsKey) {
            return Err(Error::invalid(format!(
                "Collection column '{name}' ({}) cannot be restricted by a '{}' relation",
                col.typ,
                rel.op.as_cql()
            )));
        }
        // The value restricting the column (or its elements).
        let op = match rel.op {
            Operator::Contains | Operator::ContainsKey => {
                let element = match (&col.typ, rel.op) {
                    (CqlType::Map { key, .. }, Operator::ContainsKey) => key.as_ref().clone(),
                    (CqlType::Map { value, .. }, Operator::Contains) => value.as_ref().clone(),
                    (CqlType::List { element, .. } | CqlType::Set { element, .. }, Operator::Contains) => {
                        element.as_ref().clone()
                    }
                    (_, Operator::Contains) => {
                        return Err(Error::invalid(format!("Cannot use CONTAINS on non-collection column {name}")))
                    }
                    _ => return Err(Error::invalid(format!("Cannot use CONTAINS KEY on non-map column {name}"))),
                };
                let v = self.eval_filter(&rel.rhs, &element, name, "value")?.unwrap_or_default();
                if rel.op == Operator::Contains {
                    FilterOp::Contains(v)
                } else {
                    FilterOp::ContainsKey(v)
                }
            }
            Operator::In => FilterOp::In(self.eval_in(&rel.rhs, &col.typ, name)?),
            op if col.is_primary_key() => FilterOp::Cmp(op, self.eval(&rel.rhs, &col.typ, name)?.unwrap_or_default()),
            op => FilterOp::Cmp(op, self.eval_filter(&rel.rhs, &col.typ, name, "value")?.unwrap_or_default()),
        };
        self.units.push(Unit { column: idx, op: rel.op, entry: false });
        match col.kind {
            ColumnKind::PartitionKey | ColumnKind::Clustering => {
                if col.kind == ColumnKind::Clustering {
                    if self.multis.iter().any(|m| m.covers(col.position as usize)) {
                        return Err(Error::invalid(
                            "Mixing single column relations and multi column relations on clustering columns is not allowed",
                        ));
                    }
                    let is_slice = matches!(op, FilterOp::Cmp(o, _) if o != Operator::Eq);
                    // CONTAINS on a clustering column is one of its restrictions too
                    // (ClusteringColumnRestrictions.Builder.addRestriction).
                    if !self.indexed(idx, rel.op, false) {
                        self.clustering_mergeable(col, is_slice)?;
                    }
                }
                let pos = col.position as usize;
                let target = if col.kind == ColumnKind::PartitionKey {
                    &mut self.partition[pos]
                } else {
                    &mut self.clustering[pos]
                };
                merge(target, op, name)?;
                if rel.op == Operator::In {
                    target.single_in = matches!(&rel.rhs, Term::List(items) if items.len() == 1);
                }
            }
            ColumnKind::Regular | ColumnKind::Static => {
                if col.kind == ColumnKind::Regular {
                    self.regular_restricted = true;
                }
                self.non_pk_restricted = true;
                // Two relations with an equality on the same column conflict, as for key columns.
                let existing: Vec<&Filter> = self.filters.iter().filter(|f| f.column == idx).collect();
                for f in existing {
                    match (&f.op, &op) {
                        (FilterOp::Cmp(Operator::Eq, _), _) | (_, FilterOp::Cmp(Operator::Eq, _)) => {
                            return Err(Error::invalid(format!(
                                "{name} cannot be restricted by more than one relation if it includes an Equal"
                            )))
                        }
                        (FilterOp::In(_), _) | (_, FilterOp::In(_)) => {
                            return Err(Error::invalid(format!(
                                "{name} cannot be restricted by more than one relation if it includes a IN"
                            )))
                        }
                        (FilterOp::Cmp(a, _), FilterOp::Cmp(b, _)) => {
                            let lower = |o: &Operator| matches!(o, Operator::Gt | Operator::Gte);
                            if lower(a) == lower(b) {
                                return Err(Error::invalid(format!(
                                    "More than one restriction was found for the {} bound on {name}",
                                    if lower(a) { "start" } else { "end" }
                                )));
                            }
                        }
                        _ => {}
                    }
                }
                self.filters.push(Filter { column: idx, op });
            }
        }
        Ok(())
    }

    fn token_relation(&mut self, rel: &ast::Relation, names: &[String]) -> Result<(), Error> {
        let table = self.table;
        let pk: Vec<&str> = table.partition_key().iter().map(|c| c.name.as_str()).collect();
        for n in names {
            if table.column_index(n).is_none() {
                return Err(undefined_column(table, n));
            }
        }
        let given: Vec<&str> = names.iter().map(String::as_str).collect();
        if given.len() != pk.len() || !given.iter().all(|g| pk.contains(g)) {
            return Err(Error::invalid(
                "The token() function must be applied to all partition key components or none of them",
            ));
        }
        if given != pk {
            return Err(Error::invalid(format!(
                "The token function arguments must be in the partition key order: {}",
                pk.join(", ")
            )));
        }
        if !matches!(rel.op, Operator::Eq | Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte) {
            return Err(Error::invalid(format!("{} cannot be used with the token function", rel.op.as_cql())));
        }
        let t = match self.values {
            None => 0,
            Some(values) => {
                let bytes = match &rel.rhs {
                    Term::FunctionCall { name, args }
                        if name.name == "token" && matches!(name.keyspace.as_deref(), None | Some("system")) =>
                    {
                        self.token_call(args, values)?
                    }
                    other => eval(other, &CqlType::BIGINT, "partition key token", values)?,
                };
                let b = match bytes {
                    Bound::Value(b) => b,
                    Bound::Null => return Err(Error::invalid("Invalid null token value")),
                    Bound::Unset => return Err(Error::invalid("Invalid unset value for partition key token")),
                };
                match CqlValue::deserialize(&CqlType::BIGINT, &b) {
                    Ok(CqlValue::Bigint(t)) => t,
                    _ => return Err(Error::invalid("Invalid token value")),
                }
            }
        };
        let cols = self.pk_names();
        let (mut lo, mut hi) = self.token.take().unwrap_or((KeyBound::Unbounded, KeyBound::Unbounded));
        if self.token_eq || (self.token_seen && rel.op == Operator::Eq) {
            return Err(Error::invalid(format!(
                "{cols} cannot be restricted by more than one relation if it includes an Equal"
            )));
        }
        let dup = |b: &KeyBound<i64>, which: &str| -> Result<(), Error> {
            if matches!(b, KeyBound::Unbounded) {
                Ok(())
            } else {
                Err(Error::invalid(format!("More than one restriction was found for the {which} bound on {cols}")))
            }
        };
        match rel.op {
            Operator::Eq => {
                lo = KeyBound::Included(t);
                hi = KeyBound::Included(t);
                self.token_eq = true;
            }
            Operator::Gt => {
                dup(&lo, "start")?;
                lo = KeyBound::Excluded(t)
            }
            Operator::Gte => {
                dup(&lo, "start")?;
                lo = KeyBound::Included(t)
            }
            Operator::Lt => {
                dup(&hi, "end")?;
                hi = KeyBound::Excluded(t)
            }
            _ => {
                dup(&hi, "end")?;
                hi = KeyBound::Included(t)
            }
        }
        self.token = Some((lo, hi));
        self.token_seen = true;
        Ok(())
    }

    /// `token(?, ...)` on the right of a token relation: the token of those partition key values.
    fn token_call(&self, args: &[Term], values: &Values<'_>) -> Result<Bound, Error> {
        let pk = self.table.partition_key();
        if args.len() != pk.len() {
            return Err(Error::invalid(format!(
                "Invalid number of arguments in call to function system.token: {} required but {} provided",
                pk.len(),
                args.len()
            )));
        }
        let mut parts = Vec::with_capacity(args.len());
        for (i, (a, c)) in args.iter().zip(pk).enumerate() {
            match eval(a, &c.typ, &format!("arg{i}(system.token)"), values)? {
                Bound::Value(b) => parts.push(b),
                Bound::Unset => {
                    return Err(Error::invalid("Invalid unset value for argument in call to function token"))
                }
                Bound::Null => return Ok(Bound::Null),
            }
        }
        let refs: Vec<&[u8]> = parts.iter().map(|b| b.as_ref()).collect();
        let token = cql_types::token::murmur3_token(&key::serialize_partition_key(&refs));
        Ok(Bound::Value(Bytes::copy_from_slice(&token.to_be_bytes())))
    }

    fn tuple_relation(&mut self, rel: &ast::Relation, names: &[String]) -> Result<(), Error> {
        let table = self.table;
        let text = relation_text(rel);
        if rel.op == Operator::Neq {
            return Err(Error::invalid(format!("Unsupported \"!=\" relation: {text}")));
        }
        let mut cols: Vec<&Column> = Vec::new();
        for n in names {
            let c = table.column(n).ok_or_else(|| undefined_column(table, n))?;
            if c.kind != ColumnKind::Clustering {
                return Err(Error::invalid(format!(
                    "Multi-column relations can only be applied to clustering columns but was applied to: {n}"
                )));
            }
            if cols.iter().any(|p| p.name == c.name) {
                return Err(Error::invalid(format!("Column \"{n}\" appeared twice in a relation: {text}")));
            }
            let expected = cols.first().map(|f| f.position as usize + cols.len());
            if expected.is_some_and(|e| c.position as usize != e) {
                return Err(Error::invalid(format!(
                    "Clustering columns must appear in the PRIMARY KEY order in multi-column relations: {text}"
                )));
            }
            cols.push(c);
        }
        let start = cols[0].position as usize;
        let end = start + cols.len();
        let is_eq = matches!(rel.op, Operator::Eq | Operator::In);
        let all_cols = table.clustering();
        let singles: Vec<usize> = (start..end).filter(|i| self.clustering[*i].restricted).collect();
        for pos in &singles {
            self.single_before_multi(*pos, start, is_eq)?;
        }
        if !singles.is_empty() {
            // A single-column slice on the first column becomes `(c) op (v)` (toMultiColumnRestriction).
            let single = std::mem::take(&mut self.clustering[start]);
            let with_values = self.values.is_some();
            let tuple = |v: &Bytes| if with_values { vec![vec![v.clone()]] } else { Vec::new() };
            let mut m = Multi { start, len: 1, slice: true, ..Multi::default() };
            if let Some((v, incl)) = &single.lower {
                m.rels.push((if *incl { Operator::Gte } else { Operator::Gt }, tuple(v)));
                m.has_start = true;
            }
            if let Some((v, incl)) = &single.upper {
                m.rels.push((if *incl { Operator::Lte } else { Operator::Lt }, tuple(v)));
                m.has_end = true;
            }
            self.multis.push(m);
        }
        // Relations starting at another column must not overlap this one (RestrictionSet merge).
        if let Some(other) = self.multis.iter().find(|m| m.start != start && m.start < end && start < m.start + m.len) {
            let name = &all_cols[other.start.max(start)].name;
            if is_eq || other.eq {
                return Err(merge_conflict(other, all_cols, start, end));
            }
            return Err(Error::invalid(format!(
                "Column \"{name}\" cannot be restricted by two inequalities not starting with the same column"
            )));
        }
        let existing = self.multis.iter().position(|m| m.start == start);
        if let Some(m) = existing.map(|i| &self.multis[i]) {
            if is_eq || m.eq {
                return Err(merge_conflict(m, all_cols, start, end));
            }
        } else if !self.indexed(table.column_index(&cols[0].name).unwrap_or(0), rel.op, false) {
            self.clustering_mergeable(cols[0], !is_eq)?;
        }
        // Multi-column slices merge into one: each bound at most once (MultiColumnRestriction.SliceRestriction).
        let (starts, ends) =
            (matches!(rel.op, Operator::Gt | Operator::Gte), matches!(rel.op, Operator::Lt | Operator::Lte));
        if let Some(m) = existing.map(|i| &self.multis[i]) {
            if (starts && m.has_start) || (ends && m.has_end) {
                return Err(Error::invalid(format!(
                    "More than one restriction was found for the {} bound on {}",
                    if starts { "start" } else { "end" },
                    cols[0].name
                )));
            }
        }
        let types: Vec<CqlType> = cols.iter().map(|c| c.typ.clone()).collect();
        let tuple_type = CqlType::Tuple(types.clone());
        let label = format!("({})", names.join(","));
        let check_arity = |t: &Term| -> Result<(), Error> {
            if let Term::Tuple(items) = t {
                if items.len() != names.len() {
                    return Err(Error::invalid(format!(
                        "Expected {} elements in value tuple, but got {}: {}",
                        names.len(),
                        items.len(),
                        term_text(t)
                    )));
                }
            }
            Ok(())
        };
        match (&rel.op, &rel.rhs) {
            (Operator::In, Term::List(items)) => items.iter().try_for_each(check_arity)?,
            (_, t) => check_arity(t)?,
        }
        if !matches!(rel.op, Operator::Eq | Operator::In | Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte)
        {
            return Err(Error::invalid(format!("Unsupported operator for a multi-column relation: {text}")));
        }
        let tuples = match self.values {
            None => Vec::new(),
            Some(values) => {
                let tuples: Vec<Bytes> = match rel.op {
                    Operator::In => in_values(&rel.rhs, &tuple_type, &label, values)?,
                    _ => vec![non_null(eval(&rel.rhs, &tuple_type, &label, values)?, &label)?],
                };
                tuples.iter().map(|t| tuple_components(t, names)).collect::<Result<Vec<_>, _>>()?
            }
        };
        for c in &cols {
            if let Some(i) = table.column_index(&c.name) {
                self.units.push(Unit { column: i, op: rel.op, entry: false });
            }
        }
        let m = match existing {
            Some(i) => &mut self.multis[i],

            None => {
                self.multis.push(Multi { start, ..Multi::default() });
                self.multis.last_mut().expect("just pushed")
            }
        };
        m.rels.push((rel.op, tuples));
        m.len = m.len.max(cols.len());
        m.slice |= !is_eq;
        m.eq |= is_eq;
        m.has_start |= starts;
        m.has_end |= ends;
        m.single_eq = rel.op == Operator::Eq
            || (rel.op == Operator::In && matches!(&rel.rhs, Term::List(items) if items.len() == 1));
        Ok(())
    }

    /// A multi-column relation starting at `start` meets a single-column restriction on `pos`
    /// (RestrictionSet merge): only a slice on `start` merges, into a multi-column slice.
    fn single_before_multi(&self, pos: usize, start: usize, is_eq: bool) -> Result<(), Error> {
        let c = &self.clustering[pos];
        let name = &self.table.clustering()[pos].name;
        let single_slice = c.values.is_none() && c.others.is_empty() && c.is_slice();
        if c.values.is_some() {
            let what = if c.is_in { "a IN" } else { "an Equal" };
            return Err(Error::invalid(format!(
                "{name} cannot be restricted by more than one relation if it includes {what}"
            )));
        }
        if single_slice && is_eq {
            return Err(Error::invalid(format!(
                "Column \"{name}\" cannot be restricted by both an equality and an inequality relation"
            )));
        }
        if single_slice && pos != start {
            return Err(Error::invalid(format!(
                "Column \"{name}\" cannot be restricted by two inequalities not starting with the same column"
            )));
        }
        if !single_slice {
            return Err(Error::invalid(
                "Mixing single column relations and multi column relations on clustering columns is not allowed",
            ));
        }
        Ok(())
    }

    fn element_relation(&mut self, rel: &ast::Relation, name: &str, key_term: &Term) -> Result<(), Error> {
        let table = self.table;
        let idx = table.column_index(name).ok_or_else(|| undefined_column(table, name))?;
        let col = &table.columns[idx];
        let CqlType::Map { key, value, frozen } = &col.typ else {
            return Err(Error::invalid(format!(
                "Column {name} cannot be used as a map: element restrictions are only supported on map columns"
            )));
        };
        if *frozen {
            return Err(Error::invalid(format!(
                "Map-entry equality predicates on frozen map column {name} are not supported"
            )));
        }
        if !matches!(rel.op, Operator::Eq | Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte) {
            return Err(Error::invalid(format!(
                "Unsupported operator for map element restriction: {}",
                relation_text(rel)
            )));
        }
        let k = self.eval_filter(key_term, key, name, "map key")?.unwrap_or_default();
        let v = self.eval_filter(&rel.rhs, value, name, "map value")?.unwrap_or_default();
        if col.kind == ColumnKind::Regular {
            self.regular_restricted = true;
        }
        self.non_pk_restricted = true;
        self.units.push(Unit { column: idx, op: rel.op, entry: true });
        self.filters.push(Filter { column: idx, op: FilterOp::Entry(k, rel.op, v) });
        Ok(())
    }
}

fn merge(target: &mut Col, op: FilterOp, name: &str) -> Result<(), Error> {
    if target.values.is_some() {
        return Err(Error::invalid(if target.is_in {
            format!("{name} cannot be restricted by more than one relation if it includes a IN")
        } else {
            format!("{name} cannot be restricted by more than one relation if it includes an Equal")
        }));
    }
    match op {
        FilterOp::Cmp(Operator::Eq, _) | FilterOp::In(_) if target.is_slice() => {
            return Err(Error::invalid(format!(
                "Column \"{name}\" cannot be restricted by both an equality and an inequality relation"
            )));
        }
        FilterOp::Cmp(Operator::Eq, v) => target.values = Some(vec![v]),
        FilterOp::In(vs) => {
            target.values = Some(vs);
            target.is_in = true;
        }
        FilterOp::Cmp(op, v) => {
            let lower = matches!(op, Operator::Gt | Operator::Gte);
            let slot = if lower { &mut target.lower } else { &mut target.upper };
            if slot.is_some() {
                return Err(Error::invalid(format!(
                    "More than one restriction was found for the {} bound on {name}",
                    if lower { "start" } else { "end" }
                )));
            }
            *slot = Some((v, matches!(op, Operator::Gte | Operator::Lte)));
        }
        other => target.others.push(other),
    }
    target.restricted = true;
    Ok(())
}

/// Builds the restrictions of `stmt` and the plan that reads them. Without `values` (PREPARE), only
/// the checks that do not depend on bound values are made.
pub fn plan(
    stmt: &ast::Select,
    table: &Table,
    values: Option<&Values<'_>>,
    selects_only_static: bool,
) -> Result<Plan, Error> {
    let mut b = Build {
        table,
        stmt,
        values,
        partition: vec![Col::default(); table.partition_key_count],
        clustering: vec![Col::default(); table.clustering_count],
        token: None,
        token_seen: false,
        token_eq: false,
        multis: Vec::new(),
        filters: Vec::new(),
        regular_restricted: false,
        non_pk_restricted: false,
        clustering_contains: false,
        units: Vec::new(),
    };
    for rel in &stmt.where_clause {
        match &rel.lhs {
            RelationLhs::Column(name) => b.column_relation(rel, name)?,
            RelationLhs::Token(names) => b.token_relation(rel, names)?,
            RelationLhs::Tuple(names) => b.tuple_relation(rel, names)?,
            RelationLhs::Element(name, key) => b.element_relation(rel, name, key)?,
        }
    }
    b.clustering_contains = b.clustering.iter().any(|c| !c.others.is_empty());
    let allow = stmt.allow_filtering;
    let ann = ann_ordering(&b, stmt)?;

    // Which restrictions an index answers (StatementRestrictions' hasQueriableIndex).
    let supported = |u: &Unit| b.indexed(u.column, u.op, u.entry);
    let kind_of = |u: &Unit| table.columns[u.column].kind;
    let has_clustering_index = b.units.iter().any(|u| kind_of(u) == ColumnKind::Clustering && supported(u));
    let ann_indexed =
        ann.as_ref().map(|a| table.indexes.iter().any(|i| i.supports_ann(&table.columns[a.column]))).unwrap_or(false);
    let has_queriable_index = b.units.iter().any(supported) || ann_indexed;

    // Partition key: every column by = / IN, or a token range, or filtering.
    let pk_all_eq = b.partition.iter().all(|p| p.values.is_some() && p.others.is_empty() && !p.is_slice());
    let pk_any = b.partition.iter().any(|p| p.restricted);
    let pk_needs_filtering = pk_any && !pk_all_eq;
    if pk_needs_filtering && !allow && !has_queriable_index {
        return Err(Error::invalid(FILTERING_MESSAGE));
    }
    let mut uses_index = false;
    if (!pk_any && !b.token_seen) || pk_needs_filtering {
        uses_index = has_queriable_index;
    }
    let key_range = !pk_all_eq;
    // The restrictions the index query must answer (filterRestrictions).
    let mut answered: Vec<&Unit> = Vec::new();
    if uses_index || pk_needs_filtering {
        answered.extend(b.units.iter().filter(|u| kind_of(u) == ColumnKind::PartitionKey));
    }
    let clustering_restricted = !b.multis.is_empty() || b.clustering.iter().any(|c| c.restricted);
    if selects_only_static && clustering_restricted {
        return Err(Error::invalid("Cannot restrict clustering columns when selecting only static columns"));
    }
    if b.clustering_contains && !allow && !has_queriable_index {
        return Err(Error::invalid(
            "Clustering columns can only be restricted with CONTAINS with a secondary index or filtering",
        ));
    }
    // Clustering columns restricted after a gap need filtering.
    let cols = table.clustering();
    let covered = |i: usize| b.multis.iter().any(|m| m.covers(i));
    let restricted_positions: Vec<usize> =
        (0..cols.len()).filter(|i| covered(*i) || b.clustering[*i].restricted).collect();
    let prefix_len = range_prefix_len(&b.clustering, &b.multis);
    let clustering_needs_filtering = restricted_positions.iter().any(|p| *p >= prefix_len) || b.clustering_contains;
    if clustering_needs_filtering && clustering_restricted {
        if has_queriable_index {
            uses_index = true;
        } else if !allow {
            for (i, p) in restricted_positions.iter().enumerate() {
                if *p != i {
                    return Err(Error::invalid(format!(
                        "PRIMARY KEY column \"{}\" cannot be restricted as preceding column \"{}\" is not restricted",
                        cols[*p].name, cols[i].name
                    )));
                }
            }
        }
    }
    if key_range && has_clustering_index {
        uses_index = true;
    }
    if uses_index || clustering_needs_filtering {
        answered.extend(b.units.iter().filter(|u| kind_of(u) == ColumnKind::Clustering));
    }
    if b.non_pk_restricted || ann.is_some() {
        let depends = |c: usize| table.indexes.iter().any(|i| i.column == table.columns[c].name);
        if ann.is_some() {
            let unindexed = b.units.iter().any(|u| kind_of(u) != ColumnKind::PartitionKey && !depends(u.column));
            if pk_needs_filtering || unindexed {
                return Err(Error::invalid(ANN_REQUIRES_INDEXED_FILTERING_MESSAGE));
            }
        } else if let Some(u) = b.units.iter().find(|u| {
            matches!(kind_of(u), ColumnKind::Regular | ColumnKind::Static)
                && matches!(table.columns[u.column].typ, CqlType::Vector { .. })
        }) {
            if depends(u.column) {
                return Err(Error::invalid("Vector indexes only support ANN queries"));
            }
        }
        if has_queriable_index {
            uses_index = true;
        } else if !allow {
            return Err(Error::invalid(FILTERING_MESSAGE));
        }
        answered.extend(b.units.iter().filter(|u| matches!(kind_of(u), ColumnKind::Regular | ColumnKind::Static)));
    }
    let key_in = b.partition.iter().any(|p| p.is_in);
    if uses_index && key_in {
        return Err(Error::invalid(
            "Select on indexed columns and with IN clause for the PRIMARY KEY are not supported",
        ));
    }
    // An index answers one CONTAINS / CONTAINS KEY / entry value per column; more need filtering
    // (ContainsRestriction.needsFiltering).
    let several_contains = b.units.iter().enumerate().any(|(i, u)| {
        let contains = |u: &Unit| u.entry || matches!(u.op, Operator::Contains | Operator::ContainsKey);
        contains(u) && b.units[i + 1..].iter().any(|v| v.column == u.column && contains(v))
    });
    let needs_filtering = (uses_index && several_contains)
        || (key_range || uses_index)
            && if answered.is_empty() && ann.is_none() {
                clustering_restricted
            } else {
                !crate::index::groups(table).iter().any(|g| {
                    answered.iter().all(|u| g.iter().any(|i| i.supports(&table.columns[u.column], u.op, u.entry)))
                        && ann
                            .as_ref()
                            .map(|a| g.iter().any(|i| i.supports_ann(&table.columns[a.column])))
                            .unwrap_or(true)
                })
            };
    if uses_index {
        analyze_equalities(&mut b.filters, table);
    }
    let lookup = if uses_index && !pk_all_eq { index_lookup(&b, table) } else { None };

    let mut filters = b.filters;
    let mut empty = false;
    let (mut scan_start, mut scan_end) = (KeyBound::Unbounded, KeyBound::Unbounded);
    let keys = if pk_all_eq {
        let lists: Vec<Vec<Bytes>> = b.partition.iter().map(|p| p.values.clone().unwrap_or_default()).collect();
        let mut combos = cartesian(&lists);
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
        // Restricted by both values and token(): the keys whose token is in range (TokenFilter).
        if let Some((lo, hi)) = &b.token {
            combos.retain(|c| {
                let refs: Vec<&[u8]> = c.iter().map(|b| b.as_ref()).collect();
                token_in_range(lo, hi, cql_types::token::murmur3_token(&key::serialize_partition_key(&refs)))
            });
        }
        let mut keys = Vec::with_capacity(combos.len());
        if values.is_some() {
            for c in &combos {
                keys.push(partition_key(&c.iter().map(|b| b.as_ref()).collect::<Vec<_>>())?);
            }
        }
        Some(keys)
    } else {
        for (i, p) in b.partition.iter().enumerate() {
            push_column_filters(&mut filters, i, p);
        }
        if let Some((lo, hi)) = b.token {
            let lo = match lo {
                KeyBound::Included(i64::MIN) | KeyBound::Excluded(i64::MIN) => KeyBound::Unbounded,
                other => other,
            };
            let hi = match hi {
                KeyBound::Included(i64::MIN) | KeyBound::Excluded(i64::MIN) => KeyBound::Unbounded,
                other => other,
            };
            let bound = |b: &KeyBound<i64>| match b {
                KeyBound::Included(t) | KeyBound::Excluded(t) => Some((*t, matches!(b, KeyBound::Included(_)))),
                KeyBound::Unbounded => None,
            };
            if let (Some((s, si)), Some((e, ei))) = (bound(&lo), bound(&hi)) {
                if s > e || (s == e && !(si && ei)) {
                    empty = true;
                }
            }
            let (start, end) = token_key_bounds(lo, hi);
            scan_start = start;
            scan_end = end;
        }
        None
    };

    // Clustering ranges: a prefix of = / IN, then at most one slice; the rest are filters.
    let mut ranges = if prefix_len > 0 && values.is_some() {
        Some(clustering_ranges(table, &b.clustering, &b.multis, prefix_len)?)
    } else if prefix_len > 0 {
        Some(Vec::new())
    } else {
        None
    };
    for m in b.multis.iter().filter(|m| m.start >= prefix_len) {
        let columns: Vec<usize> = (m.start..m.start + m.len).map(|i| table.partition_key_count + i).collect();
        for (op, tuples) in &m.rels {
            let width = tuples.first().map(|t| t.len()).unwrap_or(m.len);
            let op = if *op == Operator::Eq { Operator::In } else { *op };
            filters.push(Filter {
                column: columns[0],
                op: FilterOp::Tuple(columns[..width].to_vec(), op, tuples.clone()),
            });
        }
    }
    for (i, c) in b.clustering.iter().enumerate() {
        if i < prefix_len && c.others.is_empty() {
            continue;
        }
        let pos = table.partition_key_count + i;
        if i < prefix_len {
            for o in &c.others {
                filters.push(Filter { column: pos, op: o.clone() });
            }
        } else {
            push_column_filters(&mut filters, pos, c);
        }
    }
    if values.is_none() {
        ranges = ranges.map(|_| Vec::new());
    }
    let static_rows = !clustering_restricted && !b.regular_restricted;
    let mut eq_columns = Vec::new();
    for (i, p) in b.partition.iter().enumerate() {
        if p.values.is_some() && !p.is_in {
            eq_columns.push(i);
        }
    }
    for (i, c) in b.clustering.iter().enumerate() {
        // An IN of one value is an equality too (ORDER BY may skip such a column).
        let single_in = c.is_in && c.single_in;
        if (c.values.is_some() && (!c.is_in || single_in)) || b.multis.iter().any(|m| m.covers(i) && m.single_eq) {
            eq_columns.push(table.partition_key_count + i);
        }
    }
    Ok(Plan {
        keys,
        key_in,
        scan_start,
        scan_end,
        empty,
        ranges,
        static_rows,
        filters,
        reversed: false,
        key_range,
        clustering_restricted,
        regular_restricted: b.regular_restricted,
        eq_columns,
        partition_restricted: pk_any || b.token_seen,
        uses_index,
        needs_filtering,
        lookup,
        ann,
    })
}

fn is_slice_op(op: Operator) -> bool {
    matches!(op, Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte)
}

/// A multi-column relation merged with another on common columns when either is `=` / `IN`
/// (MultiColumnRestriction.doMergeWith of the existing restriction).
fn merge_conflict(existing: &Multi, cols: &[Column], start: usize, end: usize) -> Error {
    let common = (existing.start.max(start)..(existing.start + existing.len).min(end))
        .map(|i| cols[i].name.as_str())
        .collect::<Vec<_>>()
        .join(" ,");
    match existing.rels.first().map(|(op, _)| *op) {
        Some(Operator::Eq) => {
            Error::invalid(format!("{common} cannot be restricted by more than one relation if it includes an Equal"))
        }
        Some(Operator::In) => {
            Error::invalid(format!("{common} cannot be restricted by more than one relation if it includes a IN"))
        }
        _ => Error::invalid(format!(
            "Column \"{common}\" cannot be restricted by both an equality and an inequality relation"
        )),
    }
}

/// How many clustering columns, from the first, build the clustering ranges: = / IN restrictions
/// (single- or multi-column), then at most one slice; a gap or a filtering-only restriction ends them.
fn range_prefix_len(clustering: &[Col], multis: &[Multi]) -> usize {
    let mut i = 0;
    while i < clustering.len() {
        if let Some(m) = multis.iter().find(|m| m.start == i) {
            i += m.len;
            if m.slice {
                break;
            }
            continue;
        }
        let c = &clustering[i];
        if !c.restricted || !c.others.is_empty() {
            break;
        }
        i += 1;
        if c.is_slice() {
            break;
        }
    }
    i
}

/// The clustering byte ranges of the first `prefix_len` columns' restrictions: every combination of
/// the = / IN values, each narrowed by the closing slice if any.
fn clustering_ranges(
    table: &Table,
    clustering: &[Col],
    multis: &[Multi],
    prefix_len: usize,
) -> Result<Vec<(Bytes, Option<Bytes>)>, Error> {
    let cols = table.clustering();
    let mut prefixes: Vec<Vec<Bytes>> = vec![Vec::new()];
    let mut built: Vec<(Bytes, Option<Bytes>)> = Vec::new();
    let mut i = 0;
    while i < prefix_len {
        if let Some(m) = multis.iter().find(|m| m.start == i) {
            if m.slice {
                for p in &prefixes {
                    let mut acc: Option<Vec<(Bytes, Option<Bytes>)>> = None;
                    for (op, tuples) in &m.rels {
                        let mut full = p.clone();
                        full.extend(tuples.first().cloned().unwrap_or_default());
                        let r = tuple_slice_ranges(table, &full, p.len(), *op)?;
                        acc = Some(match acc {
                            None => r,
                            Some(a) => intersect_ranges(&a, &r),
                        });
                    }
                    built.extend(acc.unwrap_or_default());
                }
                return Ok(normalize(built));
            }
            let tuples = m.rels.first().map(|(_, t)| t.clone()).unwrap_or_default();
            prefixes = prefixes
                .iter()
                .flat_map(|p| {
                    tuples.iter().map(move |t| {
                        let mut q = p.clone();
                        q.extend(t.iter().cloned());
                        q
                    })
                })
                .collect();
            i += m.len;
            continue;
        }
        let c = &clustering[i];
        if let Some(vals) = &c.values {
            prefixes = prefixes
                .iter()
                .flat_map(|p| {
                    vals.iter().map(move |v| {
                        let mut q = p.clone();
                        q.push(v.clone());
                        q
                    })
                })
                .collect();
            i += 1;
            continue;
        }
        // A slice on this column ends the prefix.
        let col = &cols[i];
        for p in &prefixes {
            let refs: Vec<&[u8]> = p.iter().map(|b| b.as_ref()).collect();
            let base = clustering_key(table, &refs)?;
            let enc = |v: &Bytes| -> Result<Bytes, Error> {
                let mut refs2 = refs.clone();
                refs2.push(v.as_ref());
                clustering_key(table, &refs2)
            };
            let (byte_lo, byte_hi) = if col.reversed { (&c.upper, &c.lower) } else { (&c.lower, &c.upper) };
            let start = match byte_lo {
                None => base.clone(),
                Some((v, true)) => enc(v)?,
                Some((v, false)) => after(&enc(v)?),
            };
            let end = match byte_hi {
                None => after(&base),
                Some((v, true)) => after(&enc(v)?),
                Some((v, false)) => enc(v)?,
            };
            built.push((start, Some(end)));
        }
        return Ok(normalize(built));
    }
    for p in prefixes {
        let refs: Vec<&[u8]> = p.iter().map(|b| b.as_ref()).collect();
        let base = clustering_key(table, &refs)?;
        let end = after(&base);
        built.push((base, Some(end)));
    }
    Ok(normalize(built))
}

const ANN_REQUIRES_INDEXED_FILTERING_MESSAGE: &str =
    "ANN ordering by vector requires all restricted column(s) to be indexed";

/// `ORDER BY v ANN OF [...]`: Cassandra's `addOrderingRestrictions` and the checks on the ANN column.
fn ann_ordering(b: &Build<'_>, stmt: &ast::Select) -> Result<Option<AnnOrder>, Error> {
    let table = b.table;
    let Some((pos, term)) = stmt.ann.first() else { return Ok(None) };
    if stmt.ann.len() > 1 {
        return Err(Error::invalid("Cannot specify more than one ANN ordering"));
    }
    if stmt.order_by.len() > 1 {
        return Err(Error::invalid("ANN ordering does not support secondary ordering"));
    }
    let (name, order) = &stmt.order_by[*pos];
    if *order == ast::Order::Desc {
        return Err(Error::invalid("Descending ANN ordering is not supported"));
    }
    let column = table.column_index(name).ok_or_else(|| undefined_column(table, name))?;
    let col = &table.columns[column];
    let dimension = match &col.typ {
        CqlType::Vector { element, dimension } if **element == CqlType::Native(cql_types::NativeType::Float) => {
            *dimension
        }
        _ => return Err(Error::invalid("ANN ordering is only supported on float vector indexes")),
    };
    let Some(index) = table.indexes.iter().find(|i| i.column == col.name) else {
        return Err(Error::invalid("ANN ordering by vector requires the column to be indexed"));
    };
    let similarity = index.similarity();
    let vector = match b.values {
        None => Vec::new(),
        Some(values) => {
            let bytes = non_null(eval(term, &col.typ, name, values)?, name)?;
            let v = crate::index::vector::floats(&bytes, dimension as usize)
                .ok_or_else(|| Error::invalid(format!("Invalid vector value for {name}")))?;
            if similarity == crate::index::Similarity::Cosine && crate::index::vector::is_zero(&v) {
                return Err(Error::invalid(
                    "Zero and near-zero vectors cannot be indexed or queried with cosine similarity",
                ));
            }
            v
        }
    };
    Ok(Some(AnnOrder { column, vector, similarity }))
}

/// Equalities on columns an analyzing SAI index answers compare analyzed values.
fn analyze_equalities(filters: &mut [Filter], table: &Table) {
    for f in filters.iter_mut() {
        let col = &table.columns[f.column];
        let FilterOp::Cmp(Operator::Eq, v) = &f.op else { continue };
        let analyzer = table.indexes.iter().find(|i| i.supports(col, Operator::Eq, false)).and_then(|i| i.analyzer());
        if let Some(a) = analyzer {
            f.op = FilterOp::Analyzed(a, a.apply(v));
        }
    }
}

/// An equality some index answers, as the index partition holding its candidates.
fn index_lookup(b: &Build<'_>, table: &Table) -> Option<IndexLookup> {
    b.values?;
    for f in &b.filters {
        let col = &table.columns[f.column];
        let (op, entry, key) = match &f.op {
            FilterOp::Cmp(Operator::Eq, v) => (Operator::Eq, false, crate::index::entries::value_key(v)),
            FilterOp::Contains(v) => (Operator::Contains, false, crate::index::entries::value_key(v)),
            FilterOp::ContainsKey(v) => (Operator::ContainsKey, false, crate::index::entries::value_key(v)),
            FilterOp::Entry(k, Operator::Eq, v) => (Operator::Eq, true, crate::index::entries::entry_key(k, v)),
            FilterOp::Analyzed(_, v) => (Operator::Eq, false, crate::index::entries::value_key(v)),
            _ => continue,
        };
        if let Some(i) = table.indexes.iter().position(|i| i.supports(col, op, entry)) {
            return Some(IndexLookup { index: i, key, range: None });
        }
    }
    for (pos, c) in b.clustering.iter().enumerate() {
        if let (Some(vals), false) = (&c.values, c.is_in) {
            let col = &table.clustering()[pos];
            if let Some(i) = table.indexes.iter().position(|i| i.supports(col, Operator::Eq, false)) {
                return Some(IndexLookup { index: i, key: crate::index::entries::value_key(&vals[0]), range: None });
            }
        }
    }
    for (pos, c) in b.partition.iter().enumerate() {
        if let (Some(vals), false) = (&c.values, c.is_in) {
            let col = &table.partition_key()[pos];
            if let Some(i) = table.indexes.iter().position(|i| i.supports(col, Operator::Eq, false)) {
                return Some(IndexLookup { index: i, key: crate::index::entries::value_key(&vals[0]), range: None });
            }
        }
    }
    // A range on a column an SAI index keeps in value order.
    for f in &b.filters {
        let FilterOp::Cmp(op @ (Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte), _) = &f.op else {
            continue;
        };
        let col = &table.columns[f.column];
        let Some(i) = table.indexes.iter().position(|i| i.keeps_value_order(col) && i.supports(col, *op, false)) else {
            continue;
        };
        let (mut lower, mut upper) = (None, None);
        for g in b.filters.iter().filter(|g| g.column == f.column) {
            match &g.op {
                FilterOp::Cmp(Operator::Gt, v) => lower = Some((v.clone(), false)),
                FilterOp::Cmp(Operator::Gte, v) => lower = Some((v.clone(), true)),
                FilterOp::Cmp(Operator::Lt, v) => upper = Some((v.clone(), false)),
                FilterOp::Cmp(Operator::Lte, v) => upper = Some((v.clone(), true)),
                _ => {}
            }
        }
        let range = crate::index::entries::value_range(&col.typ, lower.as_ref(), upper.as_ref())?;
        return Some(IndexLookup { index: i, key: Bytes::new(), range: Some(range) });
    }
    None
}

fn push_column_filters(filters: &mut Vec<Filter>, column: usize, c: &Col) {
    if let Some(v) = &c.values {
        filters.push(Filter { column, op: FilterOp::In(v.clone()) });
    }
    if let Some((v, incl)) = &c.lower {
        filters.push(Filter { column, op: FilterOp::Cmp(if *incl { Operator::Gte } else { Operator::Gt }, v.clone()) });
    }
    if let Some((v, incl)) = &c.upper {
        filters.push(Filter { column, op: FilterOp::Cmp(if *incl { Operator::Lte } else { Operator::Lt }, v.clone()) });
    }
    for o in &c.others {
        filters.push(Filter { column, op: o.clone() });
    }
}

/// Whether `token` is within a token() restriction's bounds; the minimum token as a bound means
/// the end of the ring, as in range scans.
fn token_in_range(lo: &KeyBound<i64>, hi: &KeyBound<i64>, token: i64) -> bool {
    let above = match lo {
        KeyBound::Included(i64::MIN) | KeyBound::Excluded(i64::MIN) | KeyBound::Unbounded => true,
        KeyBound::Included(t) => token >= *t,
        KeyBound::Excluded(t) => token > *t,
    };
    let below = match hi {
        KeyBound::Included(i64::MIN) | KeyBound::Excluded(i64::MIN) | KeyBound::Unbounded => true,
        KeyBound::Included(t) => token <= *t,
        KeyBound::Excluded(t) => token < *t,
    };
    above && below
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

/// Storage key bounds of a token range.
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

/// True if `row` satisfies `filter`.
pub fn passes(filter: &Filter, table: &Table, row: &CqlRow) -> bool {
    let col = &table.columns[filter.column];
    let Some(v) = row.values.get(filter.column).and_then(|v| v.as_ref()) else {
        return false;
    };
    let cmp = |x: &[u8]| CqlValue::compare(&col.typ, v, x);
    match &filter.op {
        FilterOp::Cmp(op, x) => match op {
            Operator::Eq => cmp(x) == Ordering::Equal,
            Operator::Lt => cmp(x) == Ordering::Less,
            Operator::Lte => cmp(x) != Ordering::Greater,
            Operator::Gt => cmp(x) == Ordering::Greater,
            Operator::Gte => cmp(x) != Ordering::Less,
            _ => false,
        },
        FilterOp::In(xs) => xs.iter().any(|x| cmp(x) == Ordering::Equal),
        FilterOp::Tuple(columns, op, tuples) => tuple_passes(columns, *op, tuples, table, row),
        FilterOp::Analyzed(a, x) => a.apply(v) == *x,
        FilterOp::Contains(needle) | FilterOp::ContainsKey(needle) => {
            let Ok(value) = CqlValue::deserialize(&col.typ, v) else { return false };
            let key_side = matches!(filter.op, FilterOp::ContainsKey(_));
            let (elems, elem_type): (Vec<CqlValue>, &CqlType) = match (&value, &col.typ) {
                (
                    CqlValue::List(items) | CqlValue::Set(items),
                    CqlType::List { element, .. } | CqlType::Set { element, .. },
                ) => (items.clone(), element),
                (CqlValue::Map(entries), CqlType::Map { key, .. }) if key_side => {
                    (entries.iter().map(|(k, _)| k.clone()).collect(), key)
                }
                (CqlValue::Map(entries), CqlType::Map { value, .. }) => {
                    (entries.iter().map(|(_, v)| v.clone()).collect(), value)
                }
                _ => return false,
            };
            elems.iter().any(|e| CqlValue::compare(elem_type, &e.to_bytes(), needle) == Ordering::Equal)
        }
        FilterOp::Entry(k, op, x) => {
            let (Ok(CqlValue::Map(entries)), CqlType::Map { key, value, .. }) =
                (CqlValue::deserialize(&col.typ, v), &col.typ)
            else {
                return false;
            };
            let Some((_, found)) = entries.iter().find(|(ek, _)| CqlValue::compare(key, &ek.to_bytes(), k).is_eq())
            else {
                return false;
            };
            let o = CqlValue::compare(value, &found.to_bytes(), x);
            match op {
                Operator::Eq => o.is_eq(),
                Operator::Lt => o.is_lt(),
                Operator::Lte => o.is_le(),
                Operator::Gt => o.is_gt(),
                Operator::Gte => o.is_ge(),
                _ => false,
            }
        }
    }
}

/// `(columns) op tuple` on a row: component by component, each in its type's order.
fn tuple_passes(columns: &[usize], op: Operator, tuples: &[Vec<Bytes>], table: &Table, row: &CqlRow) -> bool {
    let compare = |t: &Vec<Bytes>| -> Option<Ordering> {
        for (c, x) in columns.iter().zip(t) {
            let v = row.values.get(*c).and_then(|v| v.as_ref())?;
            let o = CqlValue::compare(&table.columns[*c].typ, v, x);
            if o != Ordering::Equal {
                return Some(o);
            }
        }
        Some(Ordering::Equal)
    };
    match op {
        Operator::In | Operator::Eq => tuples.iter().any(|t| compare(t) == Some(Ordering::Equal)),
        _ => tuples.first().and_then(compare).is_some_and(|o| match op {
            Operator::Lt => o.is_lt(),
            Operator::Lte => o.is_le(),
            Operator::Gt => o.is_gt(),
            Operator::Gte => o.is_ge(),
            _ => false,
        }),
    }
}

#[cfg(test)]
mod index_tests {
    use super::*;
    use crate::index::{IndexDef, IndexKind, TargetKind};
    use crate::schema::TableParams;

    fn table(class: Option<&str>) -> Table {
        let mut t = Table::new(
            "ks",
            "t",
            uuid::Uuid::nil(),
            vec![("k".into(), CqlType::INT)],
            vec![("c".into(), CqlType::INT, false)],
            vec![("v".into(), CqlType::INT, false), ("w".into(), CqlType::INT, false)],
            TableParams::default(),
        );
        let mut options = std::collections::BTreeMap::new();
        options.insert("target".to_string(), "v".to_string());
        if let Some(c) = class {
            options.insert("class_name".to_string(), c.to_string());
        }
        t.indexes.push(IndexDef {
            name: "t_v_idx".into(),
            kind: if class.is_some() { IndexKind::Custom } else { IndexKind::Composites },
            column: "v".into(),
            target: TargetKind::Simple,
            options,
            storage_id: uuid::Uuid::nil(),
        });
        t
    }

    fn planned(t: &Table, q: &str) -> Result<Plan, Error> {
        let ast::Statement::Select(s) = cql_parser::parse_statement(q).unwrap() else { panic!() };
        let values = Values { values: &[], names: None, specs: &[] };
        plan(&s, t, Some(&values), false)
    }

    #[test]
    fn an_indexed_equality_reads_the_index_partition_of_its_value() {
        let p = planned(&table(None), "SELECT * FROM t WHERE v = 3").unwrap();
        assert!(p.uses_index && !p.needs_filtering);
        let lookup = p.lookup.expect("index lookup");
        assert_eq!(lookup.key, crate::index::entries::value_key(&3i32.to_be_bytes()));
    }

    #[test]
    fn a_restricted_partition_is_read_directly_even_with_an_index() {
        let p = planned(&table(None), "SELECT * FROM t WHERE k = 1 AND v = 3").unwrap();
        assert!(p.uses_index && p.lookup.is_none() && p.keys.is_some());
    }

    #[test]
    fn a_legacy_index_leaves_other_restrictions_to_filtering() {
        let p = planned(&table(None), "SELECT * FROM t WHERE v = 3 AND w = 1").unwrap();
        assert!(p.needs_filtering);
        let p = planned(&table(None), "SELECT * FROM t WHERE v > 3 ALLOW FILTERING").unwrap();
        assert!(!p.uses_index && p.lookup.is_none());
    }

    #[test]
    fn an_sai_range_reads_a_slice_of_the_value_ordered_entries() {
        let p = planned(&table(Some("sai")), "SELECT * FROM t WHERE v > 3 AND v <= 7").unwrap();
        assert!(p.uses_index && !p.needs_filtering);
        let expected = crate::index::entries::value_range(
            &CqlType::INT,
            Some(&(Bytes::copy_from_slice(&3i32.to_be_bytes()), false)),
            Some(&(Bytes::copy_from_slice(&7i32.to_be_bytes()), true)),
        );
        assert_eq!(p.lookup.expect("index lookup").range, expected);
    }
}

#[cfg(test)]
mod multi_column_tests {
    use super::*;
    use crate::schema::TableParams;

    fn table() -> Table {
        Table::new(
            "ks",
            "t",
            uuid::Uuid::nil(),
            vec![("a".into(), CqlType::INT)],
            vec![
                ("b".into(), CqlType::INT, false),
                ("c".into(), CqlType::INT, false),
                ("d".into(), CqlType::INT, false),
            ],
            vec![],
            TableParams::default(),
        )
    }

    fn planned(q: &str) -> Result<Plan, Error> {
        let ast::Statement::Select(s) = cql_parser::parse_statement(q).unwrap() else { panic!() };
        let values = Values { values: &[], names: None, specs: &[] };
        plan(&s, &table(), Some(&values), false)
    }

    #[test]
    fn an_equality_then_a_multi_column_slice_builds_ranges_within_the_equality() {
        let p = planned("SELECT * FROM t WHERE a = 0 AND b = 1 AND (c, d) > (0, 0)").unwrap();
        assert!(p.filters.is_empty());
        let ranges = p.ranges.expect("clustering ranges");
        let key = |b: i32, c: i32, d: i32| {
            let (b, c, d) = (b.to_be_bytes(), c.to_be_bytes(), d.to_be_bytes());
            clustering_key(&table(), &[&b[..], &c[..], &d[..]]).unwrap()
        };
        assert!(in_ranges(&ranges, &key(1, 0, 1)) && in_ranges(&ranges, &key(1, 1, 0)));
        assert!(!in_ranges(&ranges, &key(1, 0, 0)) && !in_ranges(&ranges, &key(0, 1, 1)));
    }

    #[test]
    fn a_multi_column_relation_after_an_unrestricted_column_is_a_tuple_filter() {
        let p = planned("SELECT * FROM t WHERE a = 0 AND (c, d) >= (1, 1) ALLOW FILTERING").unwrap();
        assert!(p.ranges.is_none());
        assert!(
            matches!(&p.filters[..], [Filter { op: FilterOp::Tuple(cols, Operator::Gte, _), .. }] if cols == &[2, 3])
        );
    }

    #[test]
    fn a_single_column_slice_merges_into_the_multi_column_slice_on_its_column() {
        let p = planned("SELECT * FROM t WHERE a = 0 AND (b, c) > (0, 0) AND b < 1").unwrap();
        assert!(p.filters.is_empty() && p.ranges.is_some());
        let err = planned("SELECT * FROM t WHERE a = 0 AND (b, c) > (0, 0) AND c < 1").err().unwrap();
        assert!(err.to_string().contains("two inequalities not starting with the same column"), "{err}");
    }
}
