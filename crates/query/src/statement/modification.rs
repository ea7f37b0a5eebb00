//! INSERT, UPDATE, DELETE and BATCH: statements bound to their values ([`Plan`]s), checked with
//! Cassandra's rules and messages, and turned into storage mutations.
//!
//! Most writes are blind. A few need the current data first, as in Cassandra: setting or deleting a
//! list element by index and removing list elements by value (`requiresRead`), counter updates
//! (read-modify-write of an absolute value, see the processor), and conditional writes. For those the
//! processor locks the partition, reads its live view once, and hands it to [`Plan::mutations`].

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use cql_parser::ast::{self, Assignment, ConditionLhs, DeleteTarget, Operator, RelationLhs, Term, UsingParam};
use cql_types::{key, CqlType, CqlValue};
use storage_model::{
    Cell, ColumnCell, DeletionTime, LivenessInfo, Mutation, Partition, RangeTombstone, Row, NO_DELETION_TIME,
};

use super::select::undefined_column;
use crate::bind::{eval, Bound, Values, VariableSpecs};
use crate::functions::term_text;
use crate::row::{clustering_key, partition_key};
use crate::schema::{Column, ColumnKind, Table};
use crate::{ColumnSpec, Error};

/// Maximum TTL Cassandra accepts (20 years).
pub const MAX_TTL: i32 = 630_720_000;

/// The latest expiration time, in seconds since the epoch, that Cassandra 5.0 accepts in its default
/// `storage_compatibility_mode: CASSANDRA_4` (`Cell.MAX_DELETION_TIME_2038_LEGACY_CAP`,
/// 2038-01-19T03:14:06Z): the 2106 limit needs mode `NONE`.
pub const MAX_EXPIRATION_TIME: i64 = i32::MAX as i64 - 1;

/// Refuses a TTL whose expiry, counted from `now`, passes [`MAX_EXPIRATION_TIME`], as Cassandra's
/// `ExpirationDateOverflowHandling` does with its default policy, REJECT. `default` when the TTL is
/// the table's `default_time_to_live`.
pub fn check_expiration_overflow(table: &Table, ttl: i32, default: bool, now: i32) -> Result<(), Error> {
    if ttl == 0 || i64::from(ttl) + i64::from(now) <= MAX_EXPIRATION_TIME {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "Request on table {}.{} with {}ttl of {ttl} seconds exceeds maximum supported expiration date of \
         2038-01-19T03:14:06+00:00. In order to avoid this use a lower TTL, change the expiration date overflow \
         policy or upgrade to a version where this limitation is fixed. See CASSANDRA-14092 and CASSANDRA-14227 \
         for more details.",
        table.keyspace,
        table.name,
        if default { "default " } else { "" }
    )))
}

/// The write attributes of a statement: timestamp and TTL.
#[derive(Debug, Clone, Copy)]
pub struct Attributes {
    pub timestamp: i64,
    pub ttl: i32,
    pub now: i32,
}

/// Which statement a plan comes from (Cassandra's `StatementType`, as its messages print it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Insert,
    Update,
    Delete,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Insert => "INSERT",
            Kind::Update => "UPDATE",
            Kind::Delete => "DELETE",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Serialized collections

fn read_len(cur: &mut &[u8], what: &str) -> Result<i32, Error> {
    if cur.len() < 4 {
        return Err(Error::invalid(format!("Not enough bytes to read a {what}")));
    }
    let v = i32::from_be_bytes([cur[0], cur[1], cur[2], cur[3]]);
    *cur = &cur[4..];
    Ok(v)
}

fn read_element(cur: &mut &[u8], what: &str) -> Result<Option<Bytes>, Error> {
    let len = read_len(cur, what)?;
    if len < 0 {
        return Ok(None);
    }
    let len = len as usize;
    if cur.len() < len {
        return Err(Error::invalid(format!("Not enough bytes to read a {what}")));
    }
    let v = Bytes::copy_from_slice(&cur[..len]);
    *cur = &cur[len..];
    Ok(Some(v))
}

/// The `values_per_entry` values of each entry of a serialized collection (`what`: list, set or map, as
/// Cassandra's serializers name it in their messages). The layout is checked before null elements are.
fn serialized_entries(bytes: &[u8], what: &str, values_per_entry: usize) -> Result<Vec<Bytes>, Error> {
    let mut cur = bytes;
    let n = read_len(&mut cur, what)?;
    if n < 0 {
        return Err(Error::invalid(format!("The data cannot be deserialized as a {what}")));
    }
    // The count is untrusted: it only sizes the vector up to a bound.
    let mut values = Vec::with_capacity((n as usize).min(256) * values_per_entry);
    for _ in 0..n as usize * values_per_entry {
        values.push(read_element(&mut cur, what)?);
    }
    if !cur.is_empty() {
        return Err(Error::invalid(format!("Unexpected extraneous bytes after {what} value")));
    }
    values.into_iter().map(|v| v.ok_or_else(|| Error::invalid("null is not supported inside collections"))).collect()
}

/// The elements of a serialized list or set; a null element is refused as Cassandra refuses it.
pub fn collection_elements(bytes: &[u8]) -> Result<Vec<Bytes>, Error> {
    collection_elements_of(bytes, "collection")
}

/// [`collection_elements`] of a value of a known kind ("list" or "set"), named in the errors.
pub fn collection_elements_of(bytes: &[u8], what: &str) -> Result<Vec<Bytes>, Error> {
    serialized_entries(bytes, what, 1)
}

/// The entries of a serialized map.
pub fn map_entries(bytes: &[u8]) -> Result<Vec<(Bytes, Bytes)>, Error> {
    let mut values = serialized_entries(bytes, "map", 2)?.into_iter();
    let mut out = Vec::with_capacity(values.len() / 2);
    while let (Some(k), Some(v)) = (values.next(), values.next()) {
        out.push((k, v));
    }
    Ok(out)
}

/// The fields of a serialized UDT or tuple value (missing trailing fields are null).
pub fn udt_fields(bytes: &[u8], n: usize) -> Result<Vec<Option<Bytes>>, Error> {
    let mut cur = bytes;
    let mut out = Vec::with_capacity(n);
    while out.len() < n && cur.len() >= 4 {
        out.push(read_element(&mut cur, "user type")?);
    }
    out.resize(n, None);
    Ok(out)
}

fn int_of(b: &[u8], what: &str) -> Result<i32, Error> {
    <[u8; 4]>::try_from(b).map(i32::from_be_bytes).map_err(|_| Error::invalid(format!("Invalid {what}")))
}

fn bigint_of(b: &[u8], what: &str) -> Result<i64, Error> {
    <[u8; 8]>::try_from(b).map(i64::from_be_bytes).map_err(|_| Error::invalid(format!("Invalid {what}")))
}

// ---------------------------------------------------------------------------------------------
// USING

struct Using {
    /// `USING TIMESTAMP`, bound (`None` when absent or unset).
    timestamp: Option<i64>,
    timestamp_set: bool,
    /// The TTL to write with (the table default when absent or unset; 0 for none).
    ttl: i32,
    ttl_set: bool,
}

/// The `USING` attributes of a write on `table` at `now` (seconds); the TTL checked as Cassandra's
/// `Attributes.getTimeToLive` does (an absent TTL is the table default and is checked too; an unset
/// one is the default, unchecked).
fn eval_using(using: &[UsingParam], values: &Values<'_>, table: &Table, now: i32) -> Result<Using, Error> {
    let default_ttl = table.params.default_time_to_live;
    let mut out = Using { timestamp: None, timestamp_set: false, ttl: default_ttl, ttl_set: false };
    if !using.iter().any(|u| matches!(u, UsingParam::Ttl(_))) {
        check_expiration_overflow(table, default_ttl, true, now)?;
    }
    for u in using {
        match u {
            UsingParam::Timestamp(t) => {
                out.timestamp_set = true;
                match eval(t, &CqlType::BIGINT, "[timestamp]", values)? {
                    Bound::Value(b) => {
                        let ts = bigint_of(&b, "timestamp value")?;
                        // Cassandra keeps Long.MIN_VALUE to mean "no timestamp" (`UpdateParameters`).
                        if ts == i64::MIN {
                            return Err(Error::invalid(format!(
                                "Out of bound timestamp, must be in [{}, {}]",
                                i64::MIN + 1,
                                i64::MAX
                            )));
                        }
                        out.timestamp = Some(ts);
                    }
                    Bound::Null => return Err(Error::invalid("Invalid null value of timestamp")),
                    Bound::Unset => {}
                }
            }
            UsingParam::Ttl(t) => {
                out.ttl_set = true;
                match eval(t, &CqlType::INT, "[ttl]", values)? {
                    Bound::Value(b) if b.is_empty() => out.ttl = 0,
                    Bound::Value(b) => {
                        let v = int_of(&b, "TTL value")?;
                        if v < 0 {
                            return Err(Error::invalid(format!("A TTL must be greater or equal to 0, but was {v}")));
                        }
                        if v > MAX_TTL {
                            return Err(Error::invalid(format!(
                                "ttl is too large. requested ({v}) maximum ({MAX_TTL})"
                            )));
                        }
                        check_expiration_overflow(table, v, false, now)?;
                        out.ttl = v;
                    }
                    Bound::Null => out.ttl = 0,
                    Bound::Unset => out.ttl = default_ttl,
                }
            }
            UsingParam::Timeout(_) => {}
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// WHERE: the rows a statement writes

/// Which rows of each partition a statement writes.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// Rows by full clustering key (one empty key for tables without clustering columns). Empty when
    /// an `IN ()` selected nothing.
    Rows(Vec<Bytes>),
    /// Only the static row (the statement sets static columns and names no clustering).
    Static,
    /// Whole partitions (a DELETE restricting no clustering column).
    Partition,
    /// Clustering ranges `[start, end)` (a DELETE of a clustering prefix or slice).
    Ranges(Vec<(Bytes, Option<Bytes>)>),
}

#[derive(Default)]
struct SliceBounds {
    /// Values of the bound (one per column, from its first), inclusive?
    lower: Option<(Vec<Bytes>, bool)>,
    upper: Option<(Vec<Bytes>, bool)>,
}

enum CkRestriction {
    /// `=` / `IN` over `width` consecutive columns: the allowed tuples.
    Eq {
        width: usize,
        tuples: Vec<Vec<Bytes>>,
    },
    Slice {
        multi: bool,
        bounds: SliceBounds,
    },
}

struct WhereKeys {
    partitions: Vec<Bytes>,
    pk_in: bool,
    ck_in: bool,
    ck_restricted: bool,
    /// `Some(keys)` when every clustering column is restricted by equality; else the ranges (none when
    /// no clustering column is restricted).
    full: Option<Vec<Bytes>>,
    ranges: Vec<(Bytes, Option<Bytes>)>,
}

fn bound_key(b: Bound, name: &str) -> Result<Bytes, Error> {
    match b {
        Bound::Value(v) => Ok(v),
        Bound::Null => Err(Error::invalid(format!("Invalid null value in condition for column {name}"))),
        Bound::Unset => Err(Error::invalid(format!("Invalid unset value for column {name}"))),
    }
}

fn product(lists: &[Vec<Vec<Bytes>>]) -> Vec<Vec<Bytes>> {
    let mut out: Vec<Vec<Bytes>> = vec![Vec::new()];
    for l in lists {
        let mut next = Vec::new();
        for p in &out {
            for v in l {
                let mut q = p.clone();
                q.extend(v.iter().cloned());
                next.push(q);
            }
        }
        out = next;
    }
    out
}

fn in_terms(rhs: &Term, typ: &CqlType, name: &str, values: &Values<'_>) -> Result<Vec<Bytes>, Error> {
    match rhs {
        Term::List(items) => {
            items.iter().map(|t| eval(t, typ, name, values).and_then(|b| bound_key(b, name))).collect()
        }
        other => match eval(other, &CqlType::list(typ.clone()), &format!("in({name})"), values)? {
            Bound::Value(v) => collection_elements(&v),
            Bound::Null => Err(Error::invalid(format!("Invalid null value for column {name}"))),
            Bound::Unset => Err(Error::invalid(format!("Invalid unset value for column {name}"))),
        },
    }
}

fn analyze_where(
    table: &Table,
    kind: Kind,
    where_clause: &[ast::Relation],
    values: &Values<'_>,
    only_static: bool,
) -> Result<WhereKeys, Error> {
    let mut pk: Vec<Option<Vec<Bytes>>> = vec![None; table.partition_key_count];
    let mut pk_slice: Vec<bool> = vec![false; table.partition_key_count];
    let mut pk_in = false;
    let mut token = false;
    let mut non_pk: Vec<String> = Vec::new();
    let mut ck: BTreeMap<usize, CkRestriction> = BTreeMap::new();
    let mut ck_in = false;
    let eq_conflict = |name: &str, op: Operator| {
        Error::invalid(if op == Operator::In {
            format!("{name} cannot be restricted by more than one relation if it includes a IN")
        } else {
            format!("{name} cannot be restricted by more than one relation if it includes an Equal")
        })
    };
    for rel in where_clause {
        match &rel.lhs {
            RelationLhs::Column(name) => {
                let col = table.column(name).ok_or_else(|| undefined_column(table, name))?;
                if matches!(rel.op, Operator::Contains | Operator::ContainsKey) {
                    let is_collection =
                        matches!(col.typ, CqlType::List { .. } | CqlType::Set { .. } | CqlType::Map { .. });
                    if rel.op == Operator::ContainsKey && !matches!(col.typ, CqlType::Map { .. }) {
                        return Err(Error::invalid(format!("Cannot use CONTAINS KEY on non-map column {name}")));
                    }
                    if !is_collection {
                        return Err(Error::invalid(format!("Cannot use CONTAINS on non-collection column {name}")));
                    }
                }
                if !col.is_primary_key() {
                    if !non_pk.contains(name) {
                        non_pk.push(name.clone());
                    }
                    continue;
                }
                match rel.op {
                    Operator::Eq | Operator::In => {
                        if rel.op == Operator::In {
                            if col.kind == ColumnKind::PartitionKey {
                                pk_in = true;
                            } else {
                                ck_in = true;
                            }
                        }
                        let vals = if rel.op == Operator::Eq {
                            vec![bound_key(eval(&rel.rhs, &col.typ, name, values)?, name)?]
                        } else {
                            in_terms(&rel.rhs, &col.typ, name, values)?
                        };
                        let mut vals = vals;
                        vals.sort_by(|a, b| CqlValue::compare(&col.typ, a, b));
                        vals.dedup();
                        if col.kind == ColumnKind::PartitionKey {
                            let slot = &mut pk[col.position as usize];
                            if slot.is_some() {
                                return Err(eq_conflict(name, rel.op));
                            }
                            *slot = Some(vals);
                        } else {
                            let pos = col.position as usize;
                            if ck.contains_key(&pos) {
                                return Err(eq_conflict(name, rel.op));
                            }
                            ck.insert(
                                pos,
                                CkRestriction::Eq { width: 1, tuples: vals.into_iter().map(|v| vec![v]).collect() },
                            );
                        }
                    }
                    Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte => {
                        if col.kind == ColumnKind::PartitionKey {
                            pk_slice[col.position as usize] = true;
                            continue;
                        }
                        let v = bound_key(eval(&rel.rhs, &col.typ, name, values)?, name)?;
                        let pos = col.position as usize;
                        let entry = ck
                            .entry(pos)
                            .or_insert_with(|| CkRestriction::Slice { multi: false, bounds: SliceBounds::default() });
                        let CkRestriction::Slice { bounds, .. } = entry else {
                            return Err(Error::invalid(format!(
                                "Column \"{name}\" cannot be restricted by both an equality and an inequality relation"
                            )));
                        };
                        set_bound(bounds, rel.op, vec![v], name)?;
                    }
                    Operator::Neq => {
                        return Err(Error::invalid(format!(
                            "Unsupported \"!=\" relation: {name} != {}",
                            term_text(&rel.rhs)
                        )))
                    }
                    Operator::Contains | Operator::ContainsKey => {
                        return Err(Error::invalid(format!("Cannot use {} with {}", kind.name(), rel.op.as_cql())))
                    }
                    Operator::Like | Operator::IsNotNull => {
                        return Err(Error::invalid(format!(
                            "{} restriction is only supported on properly indexed columns. {name} {} {} is not valid.",
                            rel.op.as_cql(),
                            rel.op.as_cql(),
                            term_text(&rel.rhs)
                        )))
                    }
                }
            }
            RelationLhs::Token(_) => token = true,
            RelationLhs::Element(name, _) => {
                let col = table.column(name).ok_or_else(|| undefined_column(table, name))?;
                if !non_pk.contains(&col.name) {
                    non_pk.push(col.name.clone());
                }
            }
            RelationLhs::Tuple(names) => {
                let cols: Vec<&Column> = names
                    .iter()
                    .map(|n| table.column(n).ok_or_else(|| undefined_column(table, n)))
                    .collect::<Result<_, _>>()?;
                if let Some(c) = cols.iter().find(|c| c.kind != ColumnKind::Clustering) {
                    return Err(Error::invalid(format!(
                        "Multi-column relations can only be applied to clustering columns but was applied to: {}",
                        c.name
                    )));
                }
                let first = cols[0].position as usize;
                if cols.iter().enumerate().any(|(i, c)| c.position as usize != first + i) {
                    return Err(Error::invalid(format!(
                        "Clustering columns must appear in the PRIMARY KEY order in multi-column relations: ({})",
                        names.join(", ")
                    )));
                }
                let types: Vec<CqlType> = cols.iter().map(|c| c.typ.clone()).collect();
                let tuple_type = CqlType::Tuple(types.clone());
                let label = format!("({})", names.join(","));
                let tuple_values = |b: Bytes| -> Result<Vec<Bytes>, Error> {
                    let fields = udt_fields(&b, types.len())?;
                    fields
                        .into_iter()
                        .map(|f| {
                            f.ok_or_else(|| {
                                Error::invalid(format!("Invalid null value in condition for columns: {label}"))
                            })
                        })
                        .collect()
                };
                match rel.op {
                    Operator::Eq | Operator::In => {
                        if rel.op == Operator::In {
                            ck_in = true;
                        }
                        let raw = if rel.op == Operator::Eq {
                            vec![bound_key(eval(&rel.rhs, &tuple_type, &label, values)?, &label)?]
                        } else {
                            in_terms(&rel.rhs, &tuple_type, &label, values)?
                        };
                        let mut tuples = raw.into_iter().map(tuple_values).collect::<Result<Vec<_>, _>>()?;
                        tuples.sort_by(|a, b| {
                            for ((x, y), t) in a.iter().zip(b).zip(&types) {
                                let o = CqlValue::compare(t, x, y);
                                if o != std::cmp::Ordering::Equal {
                                    return o;
                                }
                            }
                            std::cmp::Ordering::Equal
                        });
                        tuples.dedup();
                        if ck.contains_key(&first) {
                            return Err(eq_conflict(&cols[0].name, rel.op));
                        }
                        ck.insert(first, CkRestriction::Eq { width: cols.len(), tuples });
                    }
                    Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte => {
                        let v = tuple_values(bound_key(eval(&rel.rhs, &tuple_type, &label, values)?, &label)?)?;
                        let entry = ck
                            .entry(first)
                            .or_insert_with(|| CkRestriction::Slice { multi: true, bounds: SliceBounds::default() });
                        let CkRestriction::Slice { bounds, multi } = entry else {
                            return Err(Error::invalid(format!(
                                "Column \"{}\" cannot be restricted by both an equality and an inequality relation",
                                cols[0].name
                            )));
                        };
                        *multi = true;
                        set_bound(bounds, rel.op, v, &cols[0].name)?;
                    }
                    _ => {
                        return Err(Error::invalid(format!(
                            "Unsupported operator for multi-column relation: {}",
                            rel.op.as_cql()
                        )))
                    }
                }
            }
        }
    }
    if token {
        return Err(Error::invalid(format!(
            "The token function cannot be used in WHERE clauses for {} statements",
            kind.name()
        )));
    }
    let missing: Vec<&str> = table
        .partition_key()
        .iter()
        .zip(pk.iter().zip(&pk_slice))
        .filter(|(_, (v, slice))| v.is_none() && !**slice)
        .map(|(c, _)| c.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(Error::invalid(format!("Some partition key parts are missing: {}", missing.join(", "))));
    }
    if pk_slice.iter().any(|s| *s) {
        return Err(Error::invalid(format!(
            "Only EQ and IN relation are supported on the partition key (unless you use the token() function) for {} statements",
            kind.name()
        )));
    }
    let ck_restricted = !ck.is_empty();
    if only_static && ck_restricted && kind != Kind::Insert {
        return Err(Error::invalid(format!(
            "Invalid restrictions on clustering columns since the {} statement modifies only static columns",
            kind.name()
        )));
    }
    let has_slice = ck.values().any(|r| matches!(r, CkRestriction::Slice { .. }));
    if has_slice && kind != Kind::Delete {
        return Err(Error::invalid(format!(
            "Slice restrictions are not supported on the clustering columns in {} statements",
            kind.name()
        )));
    }
    // Walk the clustering columns: a prefix of equalities, then at most one slice.
    let cols = table.clustering();
    let mut prefixes: Vec<Vec<Bytes>> = vec![Vec::new()];
    let mut pos = 0;
    let mut slice: Option<(usize, bool, SliceBounds)> = None;
    let mut covered = vec![false; cols.len()];
    let mut entries: Vec<(usize, CkRestriction)> = ck.into_iter().collect();
    entries.reverse();
    while let Some((start, r)) = entries.pop() {
        if start != pos || slice.is_some() {
            let (restricted, prev) = (&cols[start], &cols[start.saturating_sub(1)]);
            if slice.is_some() {
                return Err(Error::invalid(format!(
                    "Clustering column \"{}\" cannot be restricted (preceding column \"{}\" is restricted by a non-EQ relation)",
                    restricted.name, prev.name
                )));
            }
            if kind == Kind::Delete {
                return Err(Error::invalid(format!(
                    "PRIMARY KEY column \"{}\" cannot be restricted as preceding column \"{}\" is not restricted",
                    restricted.name, cols[pos].name
                )));
            }
            // INSERT/UPDATE: reported below as missing clustering keys.
            covered[start] = true;
            continue;
        }
        match r {
            CkRestriction::Eq { width, tuples } => {
                let mut next = Vec::new();
                for p in &prefixes {
                    for t in &tuples {
                        let mut q = p.clone();
                        q.extend(t.iter().cloned());
                        next.push(q);
                    }
                }
                prefixes = next;
                for c in covered.iter_mut().skip(pos).take(width) {
                    *c = true;
                }
                pos += width;
            }
            CkRestriction::Slice { multi, bounds } => {
                covered[pos] = true;
                slice = Some((pos, multi, bounds));
            }
        }
    }
    if kind != Kind::Delete && !only_static {
        let missing: Vec<&str> =
            cols.iter().zip(&covered).filter(|(_, c)| !**c).map(|(c, _)| c.name.as_str()).collect();
        if !missing.is_empty() {
            return Err(Error::invalid(format!("Some clustering keys are missing: {}", missing.join(", "))));
        }
    }
    if !non_pk.is_empty() {
        return Err(Error::invalid(format!("Non PRIMARY KEY columns found in where clause: {} ", non_pk.join(", "))));
    }
    let partitions: Vec<Bytes> = product(
        &pk.into_iter().map(|v| v.unwrap_or_default().into_iter().map(|b| vec![b]).collect()).collect::<Vec<_>>(),
    )
    .into_iter()
    .map(|c| partition_key(&c.iter().map(|b| b.as_ref()).collect::<Vec<_>>()))
    .collect::<Result<_, _>>()?;
    let encode = |vals: &[Bytes]| clustering_key(table, &vals.iter().map(|b| b.as_ref()).collect::<Vec<_>>());
    let mut out = WhereKeys { partitions, pk_in, ck_in, ck_restricted, full: None, ranges: Vec::new() };
    if !ck_restricted {
        if cols.is_empty() {
            out.full = Some(vec![Bytes::new()]);
        }
        return Ok(out);
    }
    match slice {
        None if pos == cols.len() => {
            if kind != Kind::Delete {
                check_clustering_length(&prefixes)?;
            }
            out.full = Some(prefixes.iter().map(|p| encode(p)).collect::<Result<_, _>>()?);
        }
        None => {
            for p in &prefixes {
                let base = encode(p)?;
                let end = Bytes::from(key::prefix_end(&base));
                out.ranges.push((base, Some(end)));
            }
        }
        Some((at, _multi, bounds)) => {
            let reversed = cols[at].reversed;
            let width = |b: &Option<(Vec<Bytes>, bool)>| b.as_ref().map(|(v, _)| v.len()).unwrap_or(0);
            let span = width(&bounds.lower).max(width(&bounds.upper)).max(1);
            if cols[at..(at + span).min(cols.len())].iter().any(|c| c.reversed != reversed) {
                return Err(Error::invalid(
                    "Multi-column slices over columns of mixed clustering order are not supported yet",
                ));
            }
            // In byte order a DESC column's value bounds swap ends.
            let (byte_lo, byte_hi) =
                if reversed { (&bounds.upper, &bounds.lower) } else { (&bounds.lower, &bounds.upper) };
            for p in &prefixes {
                let base = encode(p)?;
                let with = |v: &[Bytes]| -> Result<Bytes, Error> {
                    let mut all = p.clone();
                    all.extend(v.iter().cloned());
                    encode(&all)
                };
                let start = match byte_lo {
                    None => base.clone(),
                    Some((v, incl)) => {
                        let e = with(v)?;
                        if *incl {
                            e
                        } else {
                            Bytes::from(key::prefix_end(&e))
                        }
                    }
                };
                let end = match byte_hi {
                    None => Bytes::from(key::prefix_end(&base)),
                    Some((v, incl)) => {
                        let e = with(v)?;
                        if *incl {
                            Bytes::from(key::prefix_end(&e))
                        } else {
                            e
                        }
                    }
                };
                if start < end {
                    out.ranges.push((start, Some(end)));
                }
            }
        }
    }
    Ok(out)
}

/// Cassandra refuses to write a row whose clustering values together exceed 65535 bytes
/// (`ClusteringPrefix.validate`), reporting their total size.
fn check_clustering_length(clusterings: &[Vec<Bytes>]) -> Result<(), Error> {
    const MAX: usize = u16::MAX as usize;
    for c in clusterings {
        let size: usize = c.iter().map(|v| v.len()).sum();
        if size > MAX {
            return Err(Error::invalid(format!("Key length of {size} is longer than maximum of {MAX}")));
        }
    }
    Ok(())
}

fn set_bound(bounds: &mut SliceBounds, op: Operator, v: Vec<Bytes>, name: &str) -> Result<(), Error> {
    let incl = matches!(op, Operator::Lte | Operator::Gte);
    let slot = if matches!(op, Operator::Gt | Operator::Gte) { &mut bounds.lower } else { &mut bounds.upper };
    if slot.is_some() {
        let which = if matches!(op, Operator::Gt | Operator::Gte) { "start" } else { "end" };
        return Err(Error::invalid(format!("More than one restriction was found for the {which} bound on {name}")));
    }
    *slot = Some((v, incl));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Operations

#[derive(Debug, Clone)]
enum OpKind {
    /// `c = v`
    Set(Bound),
    /// `c[k] = v` on a map or a list
    SetElement { key: Bound, value: Bound },
    /// `c.f = v` on a non-frozen UDT
    SetField { field: usize, value: Bound },
    /// `c = c + v`: list append, set add, map put
    Add(Bound),
    /// `c = c - v`: list/set/map removal
    Remove(Bound),
    /// `c = v + c` on a list
    Prepend(Bound),
    /// `c = c ± v` on a counter: the delta
    Counter(i64),
    /// `DELETE c`
    DeleteColumn,
    /// `DELETE c[k]`
    DeleteElement(Bound),
    /// `DELETE c.f`
    DeleteField(usize),
}

#[derive(Debug, Clone)]
struct Op {
    /// Index into the table's columns.
    col: usize,
    kind: OpKind,
}

impl Op {
    fn requires_read(&self, table: &Table) -> bool {
        let list = matches!(table.columns[self.col].typ, CqlType::List { .. });
        match &self.kind {
            OpKind::SetElement { .. } | OpKind::DeleteElement(_) | OpKind::Remove(_) => list,
            _ => false,
        }
    }
}

fn collection_kind(t: &CqlType) -> Option<&'static str> {
    match t {
        CqlType::List { .. } => Some("list"),
        CqlType::Set { .. } => Some("set"),
        CqlType::Map { .. } => Some("map"),
        _ => None,
    }
}

fn prepare_assignment(table: &Table, a: &Assignment, values: &Values<'_>) -> Result<Op, Error> {
    let column_name = match a {
        Assignment::Set { column, .. }
        | Assignment::SetElement { column, .. }
        | Assignment::SetField { column, .. }
        | Assignment::Add { column, .. }
        | Assignment::Subtract { column, .. }
        | Assignment::Prepend { column, .. } => column,
    };
    let idx = table.column_index(column_name).ok_or_else(|| undefined_column(table, column_name))?;
    let col = &table.columns[idx];
    let name = col.name.as_str();
    if col.is_primary_key() {
        return Err(Error::invalid(format!("PRIMARY KEY part {name} found in SET part")));
    }
    let typ = &col.typ;
    let kind = match a {
        Assignment::Set { value, .. } => {
            let b = eval(value, typ, name, values)?;
            if typ.is_counter() {
                return Err(Error::invalid(format!(
                    "Cannot set the value of counter column {name} (counters can only be incremented/decremented, not set)"
                )));
            }
            OpKind::Set(b)
        }
        Assignment::SetElement { key, value, .. } => {
            let text = format!("{name}[{}] = {}", term_text(key), term_text(value));
            match typ {
                _ if collection_kind(typ).is_none() => {
                    return Err(Error::invalid(format!("Invalid operation ({text}) for non collection column {name}")))
                }
                _ if !typ.is_multi_cell() => {
                    return Err(Error::invalid(format!(
                        "Invalid operation ({text}) for frozen collection column {name}"
                    )))
                }
                CqlType::Set { .. } => {
                    return Err(Error::invalid(format!("Invalid operation ({text}) for set column {name}")))
                }
                CqlType::List { element, .. } => OpKind::SetElement {
                    key: eval(key, &CqlType::INT, &format!("idx({name})"), values)?,
                    value: eval(value, element, &format!("value({name})"), values)?,
                },
                CqlType::Map { key: kt, value: vt, .. } => OpKind::SetElement {
                    key: eval(key, kt, &format!("key({name})"), values)?,
                    value: eval(value, vt, &format!("value({name})"), values)?,
                },
                _ => {
                    return Err(Error::invalid(format!("Invalid operation ({text}) for non collection column {name}")))
                }
            }
        }
        Assignment::SetField { field, value, .. } => {
            let text = format!("{name}.{field} = {}", term_text(value));
            let CqlType::Udt { fields, frozen, .. } = typ else {
                return Err(Error::invalid(format!("Invalid operation ({text}) for non-UDT column {name}")));
            };
            if *frozen {
                return Err(Error::invalid(format!("Invalid operation ({text}) for frozen UDT column {name}")));
            }
            let Some(pos) = fields.iter().position(|(f, _)| f == field) else {
                return Err(Error::invalid(format!("UDT column {name} does not have a field named {field}")));
            };
            OpKind::SetField { field: pos, value: eval(value, &fields[pos].1, &format!("{name}.{field}"), values)? }
        }
        Assignment::Add { value, .. } | Assignment::Subtract { value, .. } => {
            let add = matches!(a, Assignment::Add { .. });
            let text = format!("{name} = {name} {} {}", if add { "+" } else { "-" }, term_text(value));
            match collection_kind(typ) {
                None => {
                    if add && matches!(typ, CqlType::Tuple(_)) {
                        return Err(Error::invalid(format!("Invalid operation ({text}) for tuple column {name}")));
                    }
                    if !typ.is_counter() {
                        return Err(Error::invalid(format!(
                            "Invalid operation ({text}) for non counter column {name}"
                        )));
                    }
                    match eval(value, typ, name, values)? {
                        Bound::Value(b) => {
                            let v = bigint_of(&b, "counter value")?;
                            if add {
                                OpKind::Counter(v)
                            } else if v == i64::MIN {
                                return Err(Error::invalid(format!(
                                    "The negation of {v} overflows supported counter precision (signed 8 bytes integer)"
                                )));
                            } else {
                                OpKind::Counter(-v)
                            }
                        }
                        Bound::Null => return Err(Error::invalid("Invalid null value for counter increment")),
                        Bound::Unset => OpKind::Set(Bound::Unset),
                    }
                }
                Some(_) if !typ.is_multi_cell() => {
                    return Err(Error::invalid(format!(
                        "Invalid operation ({text}) for frozen collection column {name}"
                    )))
                }
                Some("map") if !add => {
                    let CqlType::Map { key, .. } = typ else {
                        return Err(Error::Server("map column without a map type".into()));
                    };
                    let keys = CqlType::set(key.as_ref().clone());
                    let b = eval(value, &keys, name, values).map_err(|_| {
                        Error::invalid(format!(
                            "Value for a map substraction has to be a set, but was: '{}'",
                            term_text(value)
                        ))
                    })?;
                    OpKind::Remove(b)
                }
                Some("map") => {
                    let b = eval(value, typ, name, values).map_err(|_| {
                        Error::invalid(format!(
                            "Value for a map addition has to be a map, but was: '{}'",
                            term_text(value)
                        ))
                    })?;
                    OpKind::Add(b)
                }
                Some(_) => {
                    let b = eval(value, typ, name, values)?;
                    if add {
                        OpKind::Add(b)
                    } else {
                        OpKind::Remove(b)
                    }
                }
            }
        }
        Assignment::Prepend { value, .. } => {
            let b = eval(value, typ, name, values)?;
            // Cassandra prints a prepend as `c = v - c` in this message.
            let text = format!("{name} = {} - {name}", term_text(value));
            if !matches!(typ, CqlType::List { .. }) {
                return Err(Error::invalid(format!("Invalid operation ({text}) for non list column {name}")));
            }
            if !typ.is_multi_cell() {
                return Err(Error::invalid(format!("Invalid operation ({text}) for frozen list column {name}")));
            }
            OpKind::Prepend(b)
        }
    };
    Ok(Op { col: idx, kind })
}

fn prepare_deletion(table: &Table, t: &DeleteTarget, values: &Values<'_>) -> Result<Op, Error> {
    let column_name = match t {
        DeleteTarget::Column(c) | DeleteTarget::Element(c, _) | DeleteTarget::Field(c, _) => c,
    };
    let idx = table.column_index(column_name).ok_or_else(|| undefined_column(table, column_name))?;
    let col = &table.columns[idx];
    let name = col.name.as_str();
    if col.is_primary_key() {
        return Err(Error::invalid(format!(
            "Invalid identifier {name} for deletion (should not be a PRIMARY KEY part)"
        )));
    }
    let kind = match t {
        DeleteTarget::Column(_) => OpKind::DeleteColumn,
        DeleteTarget::Element(_, element) => {
            if collection_kind(&col.typ).is_none() {
                return Err(Error::invalid(format!("Invalid deletion operation for non collection column {name}")));
            }
            if !col.typ.is_multi_cell() {
                return Err(Error::invalid(format!("Invalid deletion operation for frozen collection column {name}")));
            }
            let b = match &col.typ {
                CqlType::List { .. } => eval(element, &CqlType::INT, &format!("idx({name})"), values)?,
                CqlType::Set { element: e, .. } => eval(element, e, &format!("value({name})"), values)?,
                CqlType::Map { key, .. } => eval(element, key, &format!("key({name})"), values)?,
                _ => Bound::Unset,
            };
            OpKind::DeleteElement(b)
        }
        DeleteTarget::Field(_, field) => {
            let CqlType::Udt { fields, frozen, .. } = &col.typ else {
                return Err(Error::invalid(format!("Invalid field deletion operation for non-UDT column {name}")));
            };
            if *frozen {
                return Err(Error::invalid(format!("Frozen UDT column {name} does not support field deletions")));
            }
            let Some(pos) = fields.iter().position(|(f, _)| f == field) else {
                return Err(Error::invalid(format!("UDT column {name} does not have a field named {field}")));
            };
            OpKind::DeleteField(pos)
        }
    };
    Ok(Op { col: idx, kind })
}

// ---------------------------------------------------------------------------------------------
// Conditions

/// What a condition looks at in its column.
#[derive(Debug, Clone)]
pub enum Access {
    Whole,
    /// `m[k]` / `l[i]`
    Element(Bytes),
    /// `u.f`, by field position
    Field(usize),
}

/// One bound `IF` condition.
#[derive(Debug, Clone)]
pub struct Condition {
    /// Index into the table's columns.
    pub col: usize,
    pub access: Access,
    pub op: Operator,
    /// The values compared with (several for `IN`); `None` is null.
    pub values: Vec<Option<Bytes>>,
}

/// The conditions of a statement.
#[derive(Debug, Clone)]
pub enum Conditions {
    None,
    Exists,
    NotExists,
    Columns(Vec<Condition>),
}

/// The `IF` clause of an UPDATE or DELETE; a custom timestamp is refused with column conditions.
fn statement_conditions(
    table: &Table,
    conditions: Option<&ast::Conditions>,
    using: &Using,
    values: &Values<'_>,
) -> Result<Conditions, Error> {
    Ok(match conditions {
        None => Conditions::None,
        Some(ast::Conditions::Exists) => Conditions::Exists,
        Some(ast::Conditions::Columns(c)) => {
            if using.timestamp_set {
                return Err(Error::invalid("Cannot provide custom timestamp for conditional updates"));
            }
            Conditions::Columns(prepare_conditions(table, c, values)?)
        }
    })
}

fn prepare_conditions(table: &Table, conds: &[ast::Condition], values: &Values<'_>) -> Result<Vec<Condition>, Error> {
    let mut out = Vec::new();
    for c in conds {
        let name = match &c.lhs {
            ConditionLhs::Column(n) | ConditionLhs::Element(n, _) | ConditionLhs::Field(n, _) => n,
        };
        let idx = table.column_index(name).ok_or_else(|| undefined_column(table, name))?;
        let col = &table.columns[idx];
        let name = col.name.as_str();
        if col.typ.is_counter() {
            return Err(Error::invalid("Conditions on counters are not supported"));
        }
        let (access, value_type, receiver): (Access, CqlType, String) = match &c.lhs {
            ConditionLhs::Column(_) => (Access::Whole, col.typ.clone(), name.to_string()),
            ConditionLhs::Element(_, element) => {
                let (kt, vt, kname) = match &col.typ {
                    CqlType::List { element: e, .. } => (CqlType::INT, e.as_ref().clone(), format!("idx({name})")),
                    CqlType::Map { key, value, .. } => {
                        (key.as_ref().clone(), value.as_ref().clone(), format!("key({name})"))
                    }
                    CqlType::Set { .. } => {
                        return Err(Error::invalid(format!("Invalid element access syntax for set column {name}")))
                    }
                    _ => {
                        return Err(Error::invalid(format!(
                            "Invalid element access syntax for non-collection column {name}"
                        )))
                    }
                };
                let k = match eval(element, &kt, &kname, values)? {
                    Bound::Value(k) => k,
                    Bound::Null | Bound::Unset => {
                        let what = if matches!(col.typ, CqlType::Map { .. }) { "map" } else { "list" };
                        return Err(Error::invalid(format!("Invalid null value for {what} element access")));
                    }
                };
                if matches!(col.typ, CqlType::List { .. }) {
                    let i = int_of(&k, "list index")?;
                    if i < 0 {
                        return Err(Error::invalid(format!("Invalid negative list index {i}")));
                    }
                }
                (Access::Element(k), vt, format!("value({name})"))
            }
            ConditionLhs::Field(_, field) => {
                let CqlType::Udt { fields, .. } = &col.typ else {
                    return Err(Error::invalid(format!("Unknown field {field} for column {name}")));
                };
                let Some(pos) = fields.iter().position(|(f, _)| f == field) else {
                    return Err(Error::invalid(format!("Unknown field {field} for column {name}")));
                };
                (Access::Field(pos), fields[pos].1.clone(), format!("{name}.{field}"))
            }
        };
        if c.op == Operator::ContainsKey && !matches!(value_type, CqlType::Map { .. }) {
            return Err(Error::invalid(format!("Cannot use CONTAINS KEY on non-map column {receiver}")));
        }
        if c.op == Operator::Contains && collection_kind(&value_type).is_none() {
            return Err(Error::invalid(format!("Cannot use CONTAINS on non-collection column {receiver}")));
        }
        if col.is_primary_key() {
            return Err(Error::invalid(format!("PRIMARY KEY column '{name}' cannot have IF conditions")));
        }
        crate::statement::ddl::check_duration_slice(&value_type, c.op, "conditions")?;
        let term_type = match (c.op, &value_type) {
            (Operator::Contains, CqlType::List { element, .. } | CqlType::Set { element, .. }) => {
                element.as_ref().clone()
            }
            (Operator::Contains, CqlType::Map { value, .. }) => value.as_ref().clone(),
            (Operator::ContainsKey, CqlType::Map { key, .. }) => key.as_ref().clone(),
            (_, t) => t.clone(),
        };
        let unset = || Error::invalid("Invalid 'unset' value in condition");
        // Cassandra checks for unset values in every condition but CONTAINS (KEY) on a whole
        // non-frozen collection (ColumnCondition.MultiCellCollectionBound), which compares the
        // elements with the unset value's empty bytes: a null collection does not apply.
        let unset_is_empty = matches!(c.op, Operator::Contains | Operator::ContainsKey)
            && matches!(c.lhs, ConditionLhs::Column(_))
            && col.typ.is_multi_cell();
        let bound = |t: &Term| -> Result<Option<Bytes>, Error> {
            match eval(t, &term_type, &receiver, values)? {
                Bound::Value(v) => Ok(Some(v)),
                Bound::Null => Ok(None),
                Bound::Unset if unset_is_empty => Ok(Some(Bytes::new())),
                Bound::Unset => Err(unset()),
            }
        };
        let vals = if c.op == Operator::In {
            match &c.rhs {
                Term::List(items) | Term::Tuple(items) => {
                    let mut v = Vec::new();
                    for t in items {
                        // An unset value inside an IN list is ignored.
                        match eval(t, &term_type, &receiver, values)? {
                            Bound::Value(b) => v.push(Some(b)),
                            Bound::Null => v.push(None),
                            Bound::Unset => {}
                        }
                    }
                    v
                }
                other => match eval(other, &CqlType::list(term_type.clone()), &format!("in({receiver})"), values)? {
                    Bound::Value(list) => {
                        let mut cur = &list[..];
                        let n = read_len(&mut cur, "list")?;
                        let mut v = Vec::new();
                        for _ in 0..n.max(0) {
                            v.push(read_element(&mut cur, "list")?);
                        }
                        v
                    }
                    Bound::Null => return Err(Error::invalid("Invalid null list in IN condition")),
                    Bound::Unset => return Err(unset()),
                },
            }
        } else {
            vec![bound(&c.rhs)?]
        };
        if vals.iter().any(|v| v.is_none()) && !matches!(c.op, Operator::Eq | Operator::Neq | Operator::In) {
            return Err(Error::invalid(format!("Invalid comparison with null for operator \"{}\"", c.op.as_cql())));
        }
        out.push(Condition { col: idx, access, op: c.op, values: vals });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Plans

/// A modification statement bound to its values and checked, ready to produce mutations.
#[derive(Debug, Clone)]
pub struct Plan {
    pub table: Arc<Table>,
    pub kind: Kind,
    /// Timestamp from `USING TIMESTAMP` (or the batch's, or the client's default); `None` = server time.
    pub timestamp: Option<i64>,
    pub ttl: i32,
    pub now: i32,
    pub partitions: Vec<Bytes>,
    pub target: Target,
    pub pk_in: bool,
    pub ck_in: bool,
    /// Whether the statement restricted clustering columns (Cassandra's `hasClusteringColumnsRestrictions`).
    pub ck_restricted: bool,
    ops: Vec<Op>,
    /// INSERT writes the row's primary key liveness.
    row_marker: bool,
    pub conditions: Conditions,
}

/// A counter change to resolve against the current value under the partition's lock.
#[derive(Debug, Clone)]
pub struct CounterDelta {
    pub table: uuid::Uuid,
    pub partition: Bytes,
    /// `None` for the static row.
    pub clustering: Option<Bytes>,
    pub column: Bytes,
    pub delta: i64,
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

impl Plan {
    /// Binds an INSERT, UPDATE or DELETE. `default_timestamp` is the batch's or the client's;
    /// `batch_timestamp_set` tells a BATCH with its own `USING TIMESTAMP` (then statements may not).
    pub fn new(
        table: Arc<Table>,
        stmt: &ast::Statement,
        values: &Values<'_>,
        default_timestamp: Option<i64>,
        now: i32,
    ) -> Result<Plan, Error> {
        check_writable(&table)?;
        match stmt {
            ast::Statement::Insert(i) => Plan::insert(table, i, values, default_timestamp, now),
            ast::Statement::Update(u) => Plan::update(table, u, values, default_timestamp, now),
            ast::Statement::Delete(d) => Plan::delete(table, d, values, default_timestamp, now),
            _ => Err(Error::invalid(
                "Invalid statement in batch: only UPDATE, INSERT and DELETE statements are allowed.",
            )),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        table: Arc<Table>,
        kind: Kind,
        using: Using,
        default_timestamp: Option<i64>,
        now: i32,
        keys: WhereKeys,
        ops: Vec<Op>,
        conditions: Conditions,
        only_static: bool,
    ) -> Result<Plan, Error> {
        let has_conditions = !matches!(conditions, Conditions::None);
        if has_conditions {
            if table.is_counter() {
                return Err(Error::invalid("Conditional updates are not supported on counter tables"));
            }
            if using.timestamp_set {
                return Err(Error::invalid("Cannot provide custom timestamp for conditional updates"));
            }
        }
        if table.is_counter() && using.timestamp_set {
            return Err(Error::invalid("Cannot provide custom timestamp for counter updates"));
        }
        if table.is_counter() && using.ttl_set {
            return Err(Error::invalid("Cannot provide custom TTL for counter updates"));
        }
        let target = if only_static && !keys.ck_restricted {
            Target::Static
        } else if let Some(full) = keys.full {
            Target::Rows(full)
        } else if keys.ck_restricted {
            Target::Ranges(keys.ranges)
        } else {
            Target::Partition
        };
        if kind == Kind::Delete {
            // Checked when Cassandra prepares the statement (IN counts as equality here), so before
            // the range deletion check it makes on execution.
            let all_pk_by_equality = matches!(target, Target::Rows(_));
            if has_conditions && !all_pk_by_equality {
                let (ops_regular, _) = ops_apply_to(&table, kind, &ops);
                let (regular_conds, _) = conditions_apply_to(&table, &conditions);
                if ops_regular {
                    return Err(Error::invalid(
                        "DELETE statements must restrict all PRIMARY KEY columns with equality relations in order to delete non static columns",
                    ));
                }
                if regular_conds {
                    return Err(Error::invalid(
                        "DELETE statements must restrict all PRIMARY KEY columns with equality relations in order to use IF condition on non static columns",
                    ));
                }
            }
            let regular_ops = ops.iter().any(|o| table.columns[o.col].kind == ColumnKind::Regular);
            if regular_ops && matches!(target, Target::Ranges(_) | Target::Partition) {
                return Err(Error::invalid("Range deletions are not supported for specific columns"));
            }
        }
        Ok(Plan {
            timestamp: using.timestamp.or(default_timestamp),
            ttl: using.ttl,
            now,
            partitions: keys.partitions,
            pk_in: keys.pk_in,
            ck_in: keys.ck_in,
            ck_restricted: keys.ck_restricted,
            target,
            ops,
            row_marker: kind == Kind::Insert,
            conditions,
            table,
            kind,
        })
    }

    fn insert(
        table: Arc<Table>,
        stmt: &ast::Insert,
        values: &Values<'_>,
        default_timestamp: Option<i64>,
        now: i32,
    ) -> Result<Plan, Error> {
        if table.is_counter() {
            return Err(Error::invalid("INSERT statements are not allowed on counter tables, use UPDATE instead"));
        }
        // INSERT JSON runs as an INSERT of every column bound to the values the JSON gives them.
        let (json_columns, json_values, json_terms);
        let json_bound;
        let (columns, terms, column_values) = match &stmt.values {
            ast::InsertValues::Values { columns, values: terms } => (columns, terms, values),
            ast::InsertValues::Json { json, default_unset } => {
                (json_columns, json_values) = crate::json::insert_json_columns(&table, json, *default_unset, values)?;
                json_terms = (0..json_columns.len())
                    .map(|index| ast::Term::BindMarker(ast::BindMarker { index, name: None }))
                    .collect::<Vec<_>>();
                json_bound = Values { values: &json_values, names: None, specs: &[] };
                (&json_columns, &json_terms, &json_bound)
            }
        };
        if columns.is_empty() {
            return Err(Error::invalid("No columns provided to INSERT"));
        }
        if columns.len() != terms.len() {
            return Err(Error::invalid("Unmatched column names/values"));
        }
        for (i, c) in columns.iter().enumerate() {
            if columns[..i].contains(c) {
                return Err(Error::invalid("The column names contains duplicates"));
            }
        }
        let conditions = if stmt.if_not_exists { Conditions::NotExists } else { Conditions::None };
        let mut where_clause = Vec::new();
        let mut ops = Vec::new();
        let mut has_ck = false;
        for (name, term) in columns.iter().zip(terms) {
            let idx = table.column_index(name).ok_or_else(|| undefined_column(&table, name))?;
            let col = &table.columns[idx];
            if col.is_primary_key() {
                has_ck |= col.kind == ColumnKind::Clustering;
                where_clause.push(ast::Relation {
                    lhs: RelationLhs::Column(name.clone()),
                    op: Operator::Eq,
                    rhs: term.clone(),
                });
            } else {
                ops.push(Op { col: idx, kind: OpKind::Set(eval(term, &col.typ, &col.name, column_values)?) });
            }
        }
        let using = eval_using(&stmt.using, values, &table, now)?;
        let only_static = !has_ck && applies_only_to_static(&table, Kind::Insert, &ops, &conditions);
        let keys = analyze_where(&table, Kind::Insert, &where_clause, column_values, only_static)?;
        Plan::finish(table, Kind::Insert, using, default_timestamp, now, keys, ops, conditions, only_static)
    }

    fn update(
        table: Arc<Table>,
        stmt: &ast::Update,
        values: &Values<'_>,
        default_timestamp: Option<i64>,
        now: i32,
    ) -> Result<Plan, Error> {
        let using = eval_using(&stmt.using, values, &table, now)?;
        let conditions = statement_conditions(&table, stmt.conditions.as_ref(), &using, values)?;
        let ops =
            stmt.assignments.iter().map(|a| prepare_assignment(&table, a, values)).collect::<Result<Vec<_>, _>>()?;
        let only_static = applies_only_to_static(&table, Kind::Update, &ops, &conditions);
        let keys = analyze_where(&table, Kind::Update, &stmt.where_clause, values, only_static)?;
        Plan::finish(table, Kind::Update, using, default_timestamp, now, keys, ops, conditions, only_static)
    }

    fn delete(
        table: Arc<Table>,
        stmt: &ast::Delete,
        values: &Values<'_>,
        default_timestamp: Option<i64>,
        now: i32,
    ) -> Result<Plan, Error> {
        // A DELETE writes no TTL, but Cassandra checks the table's default one all the same.
        let using = Using { ttl: 0, ..eval_using(&stmt.using, values, &table, now)? };
        let conditions = statement_conditions(&table, stmt.conditions.as_ref(), &using, values)?;
        let ops = stmt.targets.iter().map(|t| prepare_deletion(&table, t, values)).collect::<Result<Vec<_>, _>>()?;
        let only_static = applies_only_to_static(&table, Kind::Delete, &ops, &conditions);
        let keys = analyze_where(&table, Kind::Delete, &stmt.where_clause, values, only_static)?;
        Plan::finish(table, Kind::Delete, using, default_timestamp, now, keys, ops, conditions, only_static)
    }

    /// Whether the statement has `IF` conditions.
    pub fn has_conditions(&self) -> bool {
        !matches!(self.conditions, Conditions::None)
    }

    /// Whether producing the mutations needs the partition's current data (list operations by index
    /// or by value, as Cassandra's `requiresRead`), or a counter read-modify-write.
    pub fn needs_read(&self) -> bool {
        self.table.is_counter() || self.ops.iter().any(|o| o.requires_read(&self.table))
    }

    /// Whether the statement writes regular rows (Cassandra's `updatesRegularRows`).
    pub fn updates_regular_rows(&self) -> bool {
        self.table.clustering_count == 0 || self.ck_restricted
    }

    /// Whether some operation applies to a static column.
    pub fn updates_static_row(&self) -> bool {
        self.ops.iter().any(|o| self.table.columns[o.col].kind == ColumnKind::Static)
    }

    /// The row a conditional statement is about: `Some(clustering)`, or `None` for the static row.
    pub fn cas_clustering(&self) -> Result<Option<Bytes>, Error> {
        let what = if self.kind == Kind::Delete { "deletions" } else { "updates" };
        if self.pk_in {
            return Err(Error::invalid(format!("IN on the partition key is not supported with conditional {what}")));
        }
        if self.ck_in {
            return Err(Error::invalid(format!(
                "IN on the clustering key columns is not supported with conditional {what}"
            )));
        }
        match &self.target {
            Target::Static => Ok(None),
            Target::Rows(r) if r.len() == 1 => Ok(Some(r[0].clone())),
            Target::Partition if self.table.clustering_count == 0 => Ok(Some(Bytes::new())),
            Target::Partition => Ok(None),
            _ => Err(Error::invalid(format!(
                "IN on the clustering key columns is not supported with conditional {what}"
            ))),
        }
    }

    /// Columns the conditions look at: regular ones first, then static ones, each in `IF` order.
    pub fn condition_columns(&self) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        if let Conditions::Columns(conds) = &self.conditions {
            for kind in [ColumnKind::Regular, ColumnKind::Static] {
                for c in conds.iter().filter(|c| self.table.columns[c.col].kind == kind) {
                    if !out.contains(&c.col) {
                        out.push(c.col);
                    }
                }
            }
        }
        out
    }

    /// Indexes of the columns whose operations need the current value (list reads), for CAS reads.
    pub fn read_columns(&self) -> Vec<usize> {
        self.ops.iter().filter(|o| o.requires_read(&self.table)).map(|o| o.col).collect()
    }

    /// The mutations this statement makes. `current` gives the live view of a partition (asked only
    /// when [`Plan::needs_read`]); `timestamp` overrides the statement's (conditional writes use the
    /// server's). Counter updates come back as deltas, for the caller to resolve.
    pub fn mutations(
        &self,
        current: &mut dyn FnMut(&Bytes) -> Result<Option<Partition>, Error>,
        timestamp: Option<i64>,
    ) -> Result<(Vec<Mutation>, Vec<CounterDelta>), Error> {
        let ts = timestamp.or(self.timestamp).unwrap_or_else(crate::clock::write_timestamp);
        let attrs = Attributes { timestamp: ts, ttl: self.ttl, now: self.now };
        let table = &self.table;
        let mut out = Vec::new();
        let mut deltas = Vec::new();
        if matches!(&self.target, Target::Rows(r) if r.is_empty()) {
            return Ok((out, deltas));
        }
        let (static_ops, regular_ops): (Vec<&Op>, Vec<&Op>) =
            self.ops.iter().partition(|o| table.columns[o.col].kind == ColumnKind::Static);
        for pk in &self.partitions {
            let existing = if self.ops.iter().any(|o| o.requires_read(table)) { current(pk)? } else { None };
            let mut partition = Partition { key: pk.clone(), ..Partition::default() };
            let deletion = DeletionTime { marked_for_delete_at: ts, local_deletion_time: self.now };
            match &self.target {
                Target::Partition | Target::Static if self.kind == Kind::Delete && self.ops.is_empty() => {
                    partition.deletion = Some(deletion);
                }
                Target::Ranges(ranges) if self.kind == Kind::Delete && self.ops.is_empty() => {
                    for (start, end) in ranges {
                        partition.range_tombstones.push(RangeTombstone {
                            start: start.clone(),
                            end: end.clone(),
                            deletion,
                        });
                    }
                }
                Target::Rows(keys) => {
                    for ck in keys {
                        let mut row = Row { clustering: ck.clone(), ..Row::default() };
                        if self.kind == Kind::Delete && self.ops.is_empty() {
                            if table.clustering_count == 0 {
                                partition.deletion = Some(deletion);
                            } else {
                                row.deletion = Some(deletion);
                                partition.rows.push(row);
                            }
                            continue;
                        }
                        if self.row_marker {
                            row.liveness = Some(LivenessInfo {
                                timestamp: ts,
                                ttl: self.ttl,
                                local_expiration_time: if self.ttl > 0 {
                                    self.now.saturating_add(self.ttl).min(NO_DELETION_TIME - 1)
                                } else {
                                    NO_DELETION_TIME
                                },
                            });
                        }
                        let old = existing.as_ref().and_then(|p| p.rows.iter().find(|r| r.clustering == *ck));
                        for op in &regular_ops {
                            apply_op(table, op, &attrs, &mut row, old, &mut |column, delta| {
                                deltas.push(CounterDelta {
                                    table: table.id,
                                    partition: pk.clone(),
                                    clustering: Some(ck.clone()),
                                    column,
                                    delta,
                                })
                            })?;
                        }
                        if row.liveness.is_some() || !row.cells.is_empty() || !row.complex_deletions.is_empty() {
                            partition.rows.push(finish_row(row));
                        }
                    }
                }
                _ => {}
            }
            if !static_ops.is_empty() {
                let mut row = Row::default();
                let old = existing.as_ref().and_then(|p| p.static_row.as_ref());
                for op in &static_ops {
                    apply_op(table, op, &attrs, &mut row, old, &mut |column, delta| {
                        deltas.push(CounterDelta {
                            table: table.id,
                            partition: pk.clone(),
                            clustering: None,
                            column,
                            delta,
                        })
                    })?;
                }
                if !row.cells.is_empty() || !row.complex_deletions.is_empty() {
                    partition.static_row = Some(finish_row(row));
                }
            }
            let empty = partition.deletion.is_none()
                && partition.range_tombstones.is_empty()
                && partition.static_row.is_none()
                && partition.rows.is_empty();
            if !empty {
                out.push(Mutation { table: table.id, partition });
            }
        }
        Ok((out, deltas))
    }
}

/// Whether the operations apply to regular columns (Cassandra's `Operations.appliesToRegularColumns`:
/// a DELETE without columns deletes whole rows, so it does) and to static columns.
fn ops_apply_to(table: &Table, kind: Kind, ops: &[Op]) -> (bool, bool) {
    let kind_of = |col: usize| table.columns[col].kind;
    let statics = ops.iter().any(|o| kind_of(o.col) == ColumnKind::Static);
    let regulars = ops.iter().any(|o| kind_of(o.col) == ColumnKind::Regular) || (kind == Kind::Delete && !statics);
    (regulars, statics)
}

/// Whether the conditions apply to regular columns and to static columns (`IF [NOT] EXISTS` to
/// neither, as in Cassandra).
fn conditions_apply_to(table: &Table, conditions: &Conditions) -> (bool, bool) {
    match conditions {
        Conditions::Columns(c) => (
            c.iter().any(|c| table.columns[c.col].kind == ColumnKind::Regular),
            c.iter().any(|c| table.columns[c.col].kind == ColumnKind::Static),
        ),
        _ => (false, false),
    }
}

fn applies_only_to_static(table: &Table, kind: Kind, ops: &[Op], conditions: &Conditions) -> bool {
    let (ops_regular, ops_static) = ops_apply_to(table, kind, ops);
    let (conds_regular, conds_static) = conditions_apply_to(table, conditions);
    !ops_regular && !conds_regular && (ops_static || conds_static)
}

fn finish_row(mut row: Row) -> Row {
    row.cells.sort_by(|a, b| (&a.column, &a.path).cmp(&(&b.column, &b.path)));
    // Two operations on the same cell share a timestamp: they reconcile as Cassandra merges them, so the
    // tombstone, then the greater value wins (`SET l[2] = 9, l[2] = 6` keeps 9), whatever their order.
    let mut deduped: Vec<ColumnCell> = Vec::with_capacity(row.cells.len());
    for c in row.cells {
        match deduped.last_mut() {
            Some(last) if last.column == c.column && last.path == c.path => {
                let previous = std::mem::replace(&mut last.cell, Cell::tombstone(0, 0));
                last.cell = storage_model::merge::reconcile_owned(previous, c.cell);
            }
            _ => deduped.push(c),
        }
    }
    row.cells = deduped;
    row.complex_deletions.sort_by(|a, b| a.0.cmp(&b.0));
    row.complex_deletions.dedup_by(|later, earlier| {
        if later.0 == earlier.0 {
            earlier.1 = earlier.1.max(later.1);
            true
        } else {
            false
        }
    });
    row
}

fn new_cell(attrs: &Attributes, value: Bytes) -> Cell {
    if attrs.ttl > 0 {
        Cell::expiring(attrs.timestamp, attrs.ttl, attrs.now, value)
    } else {
        Cell::live(attrs.timestamp, value)
    }
}

fn push(row: &mut Row, column: &Bytes, path: Option<Bytes>, cell: Cell) {
    row.cells.push(ColumnCell { column: column.clone(), path, cell });
}

/// The element paths of a list column as this statement's earlier operations left it: Cassandra reads a
/// list index against the prefetched row merged with the pending updates (`UpdateParameters`), so
/// `DELETE l[2], l[2]` removes two elements.
fn current_list_paths(old: Option<&Row>, pending: &Row, column: &[u8]) -> Vec<Bytes> {
    current_list(old, pending, column).into_iter().map(|(path, _)| path).collect()
}

/// The (path, value) elements of a list column after this statement's earlier operations, in path order.
fn current_list(old: Option<&Row>, pending: &Row, column: &[u8]) -> Vec<(Bytes, Bytes)> {
    let pending_cells: Vec<&ColumnCell> = pending.cells.iter().filter(|c| c.column.as_ref() == column).collect();
    let replaced_at =
        pending.complex_deletions.iter().filter(|d| d.0.as_ref() == column).map(|d| d.1.marked_for_delete_at).max();
    let mut elements: BTreeMap<Bytes, Bytes> = existing_cells(old, column)
        .into_iter()
        .filter(|c| replaced_at.is_none_or(|at| c.cell.timestamp > at))
        .filter_map(|c| Some((c.path.clone()?, c.cell.value.clone()?)))
        .collect();
    for c in pending_cells {
        let Some(path) = &c.path else { continue };
        match &c.cell.value {
            Some(v) => elements.insert(path.clone(), v.clone()),
            None => elements.remove(path),
        };
    }
    elements.into_iter().collect()
}

/// The live cells of one multi-cell column of an existing row, in path order.
fn existing_cells<'r>(row: Option<&'r Row>, column: &[u8]) -> Vec<&'r ColumnCell> {
    match row {
        None => Vec::new(),
        Some(r) => r.cells.iter().filter(|c| c.column.as_ref() == column && c.cell.value.is_some()).collect(),
    }
}

/// The cells of a whole multi-cell value (a non-frozen collection or UDT).
fn multi_cell_cells(typ: &CqlType, v: &[u8], attrs: &Attributes, row: &mut Row, column: &Bytes) -> Result<(), Error> {
    match typ {
        CqlType::Set { .. } => {
            for e in collection_elements_of(v, "set")? {
                push(row, column, Some(e), new_cell(attrs, Bytes::new()));
            }
        }
        CqlType::List { .. } => {
            let elements = collection_elements_of(v, "list")?;
            for (e, path) in elements.iter().zip(crate::clock::list_append_paths(elements.len())) {
                push(row, column, Some(path), new_cell(attrs, e.clone()));
            }
        }
        CqlType::Map { .. } => {
            for (k, val) in map_entries(v)? {
                push(row, column, Some(k), new_cell(attrs, val));
            }
        }
        CqlType::Udt { fields, .. } => {
            for (i, f) in udt_fields(v, fields.len())?.into_iter().enumerate() {
                if let Some(f) = f {
                    push(row, column, Some(Bytes::copy_from_slice(&(i as u16).to_be_bytes())), new_cell(attrs, f));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn apply_op(
    table: &Table,
    op: &Op,
    attrs: &Attributes,
    row: &mut Row,
    old: Option<&Row>,
    counter: &mut dyn FnMut(Bytes, i64),
) -> Result<(), Error> {
    let col = &table.columns[op.col];
    let column = Bytes::copy_from_slice(col.name.as_bytes());
    let tombstone = || Cell::tombstone(attrs.timestamp, attrs.now);
    let list_index = |b: &Bytes, setting: bool, pending: &Row| -> Result<Bytes, Error> {
        let idx = int_of(b, "list index")?;
        let cells = current_list_paths(old, pending, &column);
        if cells.is_empty() {
            return Err(Error::invalid(if setting {
                "Attempted to set an element on a list which is null"
            } else {
                "Attempted to delete an element from a list which is null"
            }));
        }
        if idx < 0 || idx as usize >= cells.len() {
            return Err(Error::invalid(format!("List index {idx} out of bound, list has size {}", cells.len())));
        }
        Ok(cells[idx as usize].clone())
    };
    match &op.kind {
        OpKind::Set(Bound::Unset) => {}
        OpKind::Set(b) => {
            let value = match b {
                Bound::Value(v) => Some(v.clone()),
                _ => None,
            };
            if !col.typ.is_multi_cell() {
                push(row, &column, None, value.map(|v| new_cell(attrs, v)).unwrap_or_else(tombstone));
            } else {
                // A multi-cell value is replaced whole: delete what was there just before this write.
                row.complex_deletions.push((
                    column.clone(),
                    DeletionTime { marked_for_delete_at: attrs.timestamp - 1, local_deletion_time: attrs.now },
                ));
                if let Some(v) = value {
                    multi_cell_cells(&col.typ, &v, attrs, row, &column)?;
                }
            }
        }
        OpKind::SetElement { key, value } => {
            let key = match key {
                Bound::Value(k) => k.clone(),
                Bound::Null if matches!(col.typ, CqlType::List { .. }) => {
                    return Err(Error::invalid("Invalid null value for list index"))
                }
                Bound::Unset if matches!(col.typ, CqlType::List { .. }) => {
                    return Err(Error::invalid("Invalid unset value for list index"))
                }
                Bound::Null => return Err(Error::invalid("Invalid null map key")),
                Bound::Unset => return Err(Error::invalid("Invalid unset map key")),
            };
            let path = if matches!(col.typ, CqlType::List { .. }) { list_index(&key, true, row)? } else { key };
            match value {
                Bound::Value(v) => push(row, &column, Some(path), new_cell(attrs, v.clone())),
                Bound::Null => push(row, &column, Some(path), tombstone()),
                Bound::Unset => {}
            }
        }
        OpKind::SetField { field, value } => {
            let path = Bytes::copy_from_slice(&(*field as u16).to_be_bytes());
            match value {
                Bound::Value(v) => push(row, &column, Some(path), new_cell(attrs, v.clone())),
                Bound::Null => push(row, &column, Some(path), tombstone()),
                Bound::Unset => {}
            }
        }
        OpKind::Add(b) => {
            if let Bound::Value(v) = b {
                multi_cell_cells(&col.typ, v, attrs, row, &column)?;
            }
        }
        OpKind::Prepend(b) => {
            if let Bound::Value(v) = b {
                let elements = collection_elements(v)?;
                for (e, path) in elements.iter().zip(crate::clock::list_prepend_paths(elements.len())) {
                    push(row, &column, Some(path), new_cell(attrs, e.clone()));
                }
            }
        }
        OpKind::Remove(b) => {
            let Bound::Value(v) = b else { return Ok(()) };
            match &col.typ {
                CqlType::List { .. } => {
                    let discard = collection_elements(v)?;
                    for (path, value) in current_list(old, row, &column) {
                        if discard.contains(&value) {
                            push(row, &column, Some(path), tombstone());
                        }
                    }
                }
                _ => {
                    for e in collection_elements(v)? {
                        push(row, &column, Some(e), tombstone());
                    }
                }
            }
        }
        OpKind::Counter(delta) => counter(column, *delta),
        OpKind::DeleteColumn => {
            if col.typ.is_multi_cell() {
                row.complex_deletions.push((
                    column,
                    DeletionTime { marked_for_delete_at: attrs.timestamp, local_deletion_time: attrs.now },
                ));
            } else {
                push(row, &column, None, tombstone());
            }
        }
        OpKind::DeleteElement(b) => {
            let element = match b {
                Bound::Value(v) => v.clone(),
                Bound::Unset if matches!(col.typ, CqlType::List { .. }) => return Ok(()),
                _ => {
                    return Err(Error::invalid(match &col.typ {
                        CqlType::List { .. } => "Invalid null value for list index",
                        CqlType::Set { .. } => "Invalid null set element",
                        _ => {
                            if matches!(b, Bound::Unset) {
                                "Invalid unset map key"
                            } else {
                                "Invalid null map key"
                            }
                        }
                    }))
                }
            };
            let path =
                if matches!(col.typ, CqlType::List { .. }) { list_index(&element, false, row)? } else { element };
            push(row, &column, Some(path), tombstone());
        }
        OpKind::DeleteField(field) => {
            push(row, &column, Some(Bytes::copy_from_slice(&(*field as u16).to_be_bytes())), tombstone());
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Counters

/// Reads a partition of a table (by id).
pub type ReadPartition<'a> = dyn FnMut(uuid::Uuid, &Bytes) -> Result<Option<Partition>, Error> + 'a;

/// Turns counter deltas into cells holding the new absolute values: the current value of each counter
/// (read from `current`, which gives the stored partition with its tombstones) plus the sum of its
/// deltas, written at a timestamp after the current one. Counters are plain cells on this single node;
/// the caller holds the partition locks.
///
/// As in Cassandra, where a counter cell's tombstone wins over any counter cell whatever their
/// timestamps (`Cells.resolveCounter`, CASSANDRA-7346), a counter whose column was deleted
/// (`DELETE c FROM ...`) stays deleted: increments are dropped until compaction purges the tombstone.
/// A counter in a deleted row or partition starts again from 0: those deletions only shadow older cells.
pub fn resolve_counters(
    deltas: Vec<CounterDelta>,
    current: &mut ReadPartition<'_>,
    now: i32,
) -> Result<Vec<Mutation>, Error> {
    type Key = (uuid::Uuid, Bytes, Option<Bytes>, Bytes);
    let mut sums: BTreeMap<Key, i64> = BTreeMap::new();
    for d in deltas {
        let e = sums.entry((d.table, d.partition, d.clustering, d.column)).or_insert(0);
        *e = e.wrapping_add(d.delta);
    }
    let mut out: Vec<Mutation> = Vec::new();
    let mut cache: BTreeMap<(uuid::Uuid, Bytes), Option<Partition>> = BTreeMap::new();
    for ((table, pk, ck, column), delta) in sums {
        let p = match cache.entry((table, pk.clone())) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => e.insert(current(table, &pk)?.map(|mut p| {
                storage_model::merge::normalize(&mut p);
                p
            })),
        };
        let p = p.as_ref();
        let row = match &ck {
            None => p.and_then(|p| p.static_row.as_ref()),
            Some(ck) => p.and_then(|p| p.rows.iter().find(|r| r.clustering == *ck)),
        };
        let cell = row.and_then(|r| r.cells.iter().find(|c| c.column == column && c.path.is_none()));
        if cell.is_some_and(|c| c.cell.is_tombstone()) {
            continue;
        }
        let live = cell.filter(|c| c.cell.is_live(now));
        let (value, ts) = live
            .and_then(|c| Some((<[u8; 8]>::try_from(c.cell.value.as_ref()?.as_ref()).ok()?, c.cell.timestamp)))
            .map_or((0, i64::MIN), |(v, ts)| (i64::from_be_bytes(v), ts));
        let timestamp = crate::clock::write_timestamp().max(ts.saturating_add(1));
        let cell = ColumnCell {
            column,
            path: None,
            cell: Cell::live(timestamp, Bytes::copy_from_slice(&value.wrapping_add(delta).to_be_bytes())),
        };
        let mut partition = Partition { key: pk.clone(), ..Partition::default() };
        match ck {
            None => partition.static_row = Some(Row { cells: vec![cell], ..Row::default() }),
            Some(ck) => partition.rows.push(Row { clustering: ck, cells: vec![cell], ..Row::default() }),
        }
        out.push(Mutation { table, partition });
    }
    Ok(coalesce(out))
}

// ---------------------------------------------------------------------------------------------
// Bind variables

/// The bind variables of an INSERT/UPDATE/DELETE, in marker order.
pub fn variables(stmt: &ast::Statement, table: &Table) -> Result<Vec<ColumnSpec>, Error> {
    let mut v = VariableSpecs::default();
    collect_variables(stmt, table, &mut v)?;
    v.take_error()?;
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
    // Checks that need no values are made here, so PREPARE refuses the statement as Cassandra does.
    let where_clause = |v: &mut VariableSpecs, rels: &[ast::Relation], kind: Kind| -> Result<(), Error> {
        let mut non_pk: Vec<&str> = Vec::new();
        for r in rels {
            match &r.lhs {
                RelationLhs::Column(name) => {
                    let col = table.column(name).ok_or_else(|| undefined_column(table, name))?;
                    if !col.is_primary_key() && !non_pk.contains(&name.as_str()) {
                        non_pk.push(name);
                    }
                    let t = match (r.op, &col.typ) {
                        (Operator::Contains, CqlType::List { element, .. } | CqlType::Set { element, .. }) => {
                            element.as_ref().clone()
                        }
                        (Operator::Contains, CqlType::Map { value, .. }) => value.as_ref().clone(),
                        (Operator::ContainsKey, CqlType::Map { key, .. }) => key.as_ref().clone(),
                        (_, t) => t.clone(),
                    };
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
                RelationLhs::Tuple(names) => {
                    let types: Vec<CqlType> = names.iter().map(|n| col_type(n)).collect::<Result<_, _>>()?;
                    let label = format!("({})", names.join(","));
                    let tuple = CqlType::Tuple(types);
                    match (&r.op, &r.rhs) {
                        (Operator::In, Term::List(items)) => {
                            for i in items {
                                v.visit(i, ks, tn, &label, &tuple);
                            }
                        }
                        (Operator::In, other) => v.visit(other, ks, tn, &format!("in{label}"), &CqlType::list(tuple)),
                        (_, other) => v.visit(other, ks, tn, &label, &tuple),
                    }
                }
                RelationLhs::Token(_) => {
                    return Err(Error::invalid(format!(
                        "The token function cannot be used in WHERE clauses for {} statements",
                        kind.name()
                    )));
                }
                _ => {}
            }
        }
        if !non_pk.is_empty() {
            return Err(Error::invalid(format!(
                "Non PRIMARY KEY columns found in where clause: {} ",
                non_pk.join(", ")
            )));
        }
        Ok(())
    };
    let conditions = |v: &mut VariableSpecs, conds: &Option<ast::Conditions>| -> Result<(), Error> {
        let Some(ast::Conditions::Columns(conds)) = conds else { return Ok(()) };
        for c in conds {
            let (name, typ, receiver) = match &c.lhs {
                ConditionLhs::Column(n) => (n, col_type(n)?, n.clone()),
                ConditionLhs::Element(n, element) => {
                    let t = col_type(n)?;
                    let (kt, vt, kname) = match &t {
                        CqlType::Map { key, value, .. } => (key.as_ref().clone(), value.as_ref().clone(), "key"),
                        CqlType::List { element, .. } => (CqlType::INT, element.as_ref().clone(), "idx"),
                        other => (other.clone(), other.clone(), "key"),
                    };
                    v.visit(element, ks, tn, &format!("{kname}({n})"), &kt);
                    (n, vt, format!("value({n})"))
                }
                ConditionLhs::Field(n, f) => {
                    let t = match col_type(n)? {
                        CqlType::Udt { fields, .. } => {
                            fields.iter().find(|(g, _)| g == f).map(|(_, t)| t.clone()).unwrap_or(CqlType::BLOB)
                        }
                        other => other,
                    };
                    (n, t, format!("{n}.{f}"))
                }
            };
            let _ = name;
            let typ = match (c.op, &typ) {
                (Operator::Contains, CqlType::List { element, .. } | CqlType::Set { element, .. }) => {
                    element.as_ref().clone()
                }
                (Operator::Contains, CqlType::Map { value, .. }) => value.as_ref().clone(),
                (Operator::ContainsKey, CqlType::Map { key, .. }) => key.as_ref().clone(),
                (_, t) => t.clone(),
            };
            match (&c.op, &c.rhs) {
                (Operator::In, Term::List(items)) => {
                    for i in items {
                        v.visit(i, ks, tn, &receiver, &typ);
                    }
                }
                (Operator::In, other) => v.visit(other, ks, tn, &format!("in({receiver})"), &CqlType::list(typ)),
                (_, other) => v.visit(other, ks, tn, &receiver, &typ),
            }
        }
        Ok(())
    };
    match stmt {
        ast::Statement::Insert(i) => {
            match &i.values {
                ast::InsertValues::Values { columns, values } => {
                    for (c, t) in columns.iter().zip(values) {
                        v.visit(t, ks, tn, c, &col_type(c)?);
                    }
                }
                ast::InsertValues::Json { json, .. } => v.visit(json, ks, tn, "[json]", &CqlType::TEXT),
            }
            using(v, &i.using);
        }
        ast::Statement::Update(u) => {
            using(v, &u.using);
            for a in &u.assignments {
                match a {
                    Assignment::Set { column, value }
                    | Assignment::Add { column, value }
                    | Assignment::Prepend { column, value } => v.visit(value, ks, tn, column, &col_type(column)?),
                    Assignment::Subtract { column, value } => {
                        let t = match col_type(column)? {
                            CqlType::Map { key, .. } => {
                                // Cassandra checks the literal when it prepares the operation.
                                if matches!(value, Term::Map(entries) if !entries.is_empty()) {
                                    v.fail(Error::invalid(format!(
                                        "Value for a map substraction has to be a set, but was: '{}'",
                                        term_text(value)
                                    )));
                                }
                                CqlType::set(key.as_ref().clone())
                            }
                            other => other,
                        };
                        v.visit(value, ks, tn, column, &t)
                    }
                    Assignment::SetElement { column, key, value } => {
                        let t = col_type(column)?;
                        let (kt, vt, kname) = match &t {
                            CqlType::Map { key, value, .. } => (key.as_ref().clone(), value.as_ref().clone(), "key"),
                            CqlType::List { element, .. } => (CqlType::INT, element.as_ref().clone(), "idx"),
                            other => (other.clone(), other.clone(), "key"),
                        };
                        v.visit(key, ks, tn, &format!("{kname}({column})"), &kt);
                        v.visit(value, ks, tn, &format!("value({column})"), &vt);
                    }
                    Assignment::SetField { column, field, value } => {
                        let t = match col_type(column)? {
                            CqlType::Udt { fields, .. } => {
                                fields.iter().find(|(f, _)| f == field).map(|(_, t)| t.clone()).unwrap_or(CqlType::BLOB)
                            }
                            other => other,
                        };
                        v.visit(value, ks, tn, &format!("{column}.{field}"), &t)
                    }
                }
            }
            where_clause(v, &u.where_clause, Kind::Update)?;
            conditions(v, &u.conditions)?;
        }
        ast::Statement::Delete(d) => {
            for t in &d.targets {
                if let DeleteTarget::Element(column, element) = t {
                    let (name, typ) = match col_type(column)? {
                        CqlType::List { .. } => (format!("idx({column})"), CqlType::INT),
                        CqlType::Set { element, .. } => (format!("value({column})"), element.as_ref().clone()),
                        CqlType::Map { key, .. } => (format!("key({column})"), key.as_ref().clone()),
                        other => (column.clone(), other),
                    };
                    v.visit(element, ks, tn, &name, &typ);
                }
            }
            using(v, &d.using);
            where_clause(v, &d.where_clause, Kind::Delete)?;
            conditions(v, &d.conditions)?;
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
