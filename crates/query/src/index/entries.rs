//! The hidden storage table of an index: one partition per indexed value, one row per base row
//! holding it.
//!
//! - partition key: `storage_key(value)` (the value's token, then the value; an `entries()` index
//!   holds the map key and value serialized as a pair);
//! - clustering: the base row's partition key (its storage key, escaped so it sorts and ends
//!   unambiguously) then the base row's clustering key. Index partitions thus list base rows in
//!   token order, as a scan returns them. An empty clustering after the partition key stands for
//!   the whole partition (indexes on partition key components and static columns);
//! - for an SAI index on a type it answers ranges on, the same entries again in the partition
//!   [`ORDERED_KEY`], their clustering prefixed by the value's byte-comparable encoding, so a
//!   range is one slice.
//!
//! Entries are added in the same atomic `apply` as the base write and carry the base cell's
//! timestamp (and, for a simple column, its TTL). A write does not know the value it replaces, so
//! it cannot delete the old entry: reads re-check every candidate against the live base row, and
//! one that finds an entry its base row no longer makes deletes it ([`stale_entries`], Cassandra's
//! `deleteStaleEntry`) with a tombstone at the entry's own timestamp, which shadows the stale entry
//! but no later re-insert of the same value; compaction then purges both.

use bytes::Bytes;
use cql_types::key;
use storage::Storage;
use storage_model::{DeletionTime, LivenessInfo, Mutation, Partition, Row, NO_DELETION_TIME};

use super::{IndexDef, TargetKind};
use crate::schema::{ColumnKind, Table};
use crate::Error;

fn storage_error(e: storage::StorageError) -> Error {
    Error::Server(format!("storage error: {e}"))
}

/// Escapes `bytes` so the result sorts as `bytes` does and ends unambiguously: 0x00 becomes
/// 0x00 0xFF, and 0x00 0x00 terminates.
fn escape(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 0]);
}

/// Splits an entry's clustering into the base partition key and the base clustering.
pub fn split_entry(clustering: &[u8]) -> Option<(Bytes, Bytes)> {
    let mut pk = Vec::new();
    let mut i = 0;
    while i < clustering.len() {
        let b = clustering[i];
        if b == 0 {
            match clustering.get(i + 1) {
                Some(0xFF) => {
                    pk.push(0);
                    i += 2;
                }
                Some(0) => return Some((Bytes::from(pk), Bytes::copy_from_slice(&clustering[i + 2..]))),
                _ => return None,
            }
        } else {
            pk.push(b);
            i += 1;
        }
    }
    None
}

fn entry_clustering(partition_key: &[u8], clustering: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(partition_key.len() + clustering.len() + 4);
    escape(partition_key, &mut out);
    out.extend_from_slice(clustering);
    Bytes::from(out)
}

/// The index partition of a value.
pub fn value_key(value: &[u8]) -> Bytes {
    Bytes::from(key::storage_key(value))
}

/// The index partition of a map entry (`entries()` indexes).
pub fn entry_key(map_key: &[u8], map_value: &[u8]) -> Bytes {
    let mut v = Vec::with_capacity(map_key.len() + map_value.len() + 8);
    v.extend_from_slice(&(map_key.len() as u32).to_be_bytes());
    v.extend_from_slice(map_key);
    v.extend_from_slice(&(map_value.len() as u32).to_be_bytes());
    v.extend_from_slice(map_value);
    value_key(&v)
}

/// The partition holding an SAI index's entries in value order (a key no value partition has:
/// those start with an 8-byte token).
pub const ORDERED_KEY: &[u8] = &[0xFF];

/// The byte-comparable form of a value of `typ`, escaped so the entry's key parts follow it.
fn ordered_prefix(typ: &cql_types::CqlType, value: &[u8]) -> Option<Vec<u8>> {
    let mut encoded = Vec::new();
    key::encode_clustering_component(typ, value, false, &mut encoded).ok()?;
    let mut out = Vec::with_capacity(encoded.len() + 2);
    escape(&encoded, &mut out);
    Some(out)
}

/// The clustering range of the ordered entries whose values are within the bounds (each a value
/// and whether it is included).
pub fn value_range(
    typ: &cql_types::CqlType,
    lower: Option<&(Bytes, bool)>,
    upper: Option<&(Bytes, bool)>,
) -> Option<(Bytes, Option<Bytes>)> {
    let start = match lower {
        None => Bytes::new(),
        Some((v, true)) => Bytes::from(ordered_prefix(typ, v)?),
        Some((v, false)) => Bytes::from(key::prefix_end(&ordered_prefix(typ, v)?)),
    };
    let end = match upper {
        None => None,
        Some((v, true)) => Some(Bytes::from(key::prefix_end(&ordered_prefix(typ, v)?))),
        Some((v, false)) => Some(Bytes::from(ordered_prefix(typ, v)?)),
    };
    Some((start, end))
}

/// Liveness of an entry mirroring a base cell's.
fn liveness_of(timestamp: i64, ttl: i32, local_deletion_time: i32) -> LivenessInfo {
    if ttl > 0 {
        LivenessInfo { timestamp, ttl, local_expiration_time: local_deletion_time }
    } else {
        LivenessInfo { timestamp, ttl: 0, local_expiration_time: NO_DELETION_TIME }
    }
}

/// One entry a base row contributes to an index: its index partition, what its clustering starts
/// with before the base row's keys (the ordered value, in the ordered partition) and its liveness.
struct Entry {
    key: Bytes,
    prefix: Vec<u8>,
    live: LivenessInfo,
}

fn entry(key: Bytes, live: LivenessInfo) -> Entry {
    Entry { key, prefix: Vec::new(), live }
}

/// The entries one base row contributes to one index.
fn row_entries(table: &Table, index: &IndexDef, partition_key: &[u8], row: &Row, is_static: bool) -> Vec<Entry> {
    let Some(column) = table.column(&index.column) else { return Vec::new() };
    let mut out = Vec::new();
    match column.kind {
        // A row stays live while any of its parts does: entries of key columns do not expire.
        ColumnKind::PartitionKey => {
            if let Some(ts) = key_entry_timestamp(row) {
                let serialized = key::partition_key_of_storage_key(partition_key);
                if let Ok(parts) = key::split_partition_key(table.partition_key_count, serialized) {
                    if let Some(v) = parts.get(column.position as usize) {
                        out.push(entry(value_key(v), liveness_of(ts, 0, NO_DELETION_TIME)));
                    }
                }
            }
        }
        ColumnKind::Clustering => {
            if is_static {
                return out;
            }
            if let Some(ts) = key_entry_timestamp(row) {
                if let Ok(values) = key::decode_clustering(&table.clustering_types(), &row.clustering) {
                    if let Some(v) = values.get(column.position as usize) {
                        out.push(entry(value_key(v), liveness_of(ts, 0, NO_DELETION_TIME)));
                    }
                }
            }
        }
        ColumnKind::Regular | ColumnKind::Static => {
            if (column.kind == ColumnKind::Static) != is_static {
                return out;
            }
            let name = column.name.as_bytes();
            for c in row.cells.iter().filter(|c| c.column.as_ref() == name) {
                let Some(value) = &c.cell.value else { continue };
                // A simple cell's entry expires with it (both reconcile alike). Elements of a collection
                // may repeat a value with different TTLs: their entries do not expire.
                let live = if c.path.is_none() {
                    liveness_of(c.cell.timestamp, c.cell.ttl, c.cell.local_deletion_time)
                } else {
                    liveness_of(c.cell.timestamp, 0, NO_DELETION_TIME)
                };
                let k = match (index.target, &c.path) {
                    (TargetKind::Simple, None) if index.analyzer().is_some() => {
                        value_key(&index.analyzer().map(|a| a.apply(value)).unwrap_or_default())
                    }
                    (TargetKind::Simple | TargetKind::Full, None) => value_key(value),
                    // list element (path is a timeuuid) or map value
                    (TargetKind::Values, Some(path)) => {
                        if matches!(column.typ, cql_types::CqlType::Set { .. }) {
                            value_key(path)
                        } else {
                            value_key(value)
                        }
                    }
                    (TargetKind::Keys, Some(path)) => value_key(path),
                    (TargetKind::Entries, Some(path)) => entry_key(path, value),
                    _ => continue,
                };
                out.push(entry(k, live));
                if c.path.is_none() && index.keeps_value_order(column) {
                    if let Some(prefix) = ordered_prefix(&column.typ, value) {
                        out.push(Entry { key: Bytes::from_static(ORDERED_KEY), prefix, live });
                    }
                }
            }
        }
    }
    out
}

/// The index mutations a base mutation makes.
pub fn index_mutations(table: &Table, m: &Mutation) -> Vec<Mutation> {
    let mut out = Vec::new();
    for index in &table.indexes {
        entries_of(table, index, &m.partition, &mut out);
    }
    out
}

/// The largest value a legacy secondary index takes (`FBUtilities.MAX_UNSIGNED_SHORT`, exclusive).
const MAX_INDEXED_VALUE: usize = 65535;

/// Refuses a query through a legacy (`CassandraIndex`) index whose expression value is over 64 KiB
/// (`CassandraIndex.validate(ReadCommand)`); `key` is the index partition of that value.
pub fn check_lookup_value(index: &IndexDef, key: &[u8]) -> Result<(), Error> {
    if !index.is_sai() && key::partition_key_of_storage_key(key).len() > MAX_INDEXED_VALUE {
        return Err(Error::invalid("Index expression values may not be larger than 64K"));
    }
    Ok(())
}

/// Refuses a write whose value a legacy (`CassandraIndex`) index of `table` could not hold as a key, with
/// Cassandra's message (`validateIndexedValue`). SAI indexes have no such limit here.
pub fn check_indexed_values(table: &Table, m: &Mutation) -> Result<(), Error> {
    for index in table.indexes.iter().filter(|i| !i.is_sai()) {
        let Some(column) = table.column(&index.column) else { continue };
        if !matches!(column.kind, ColumnKind::Regular | ColumnKind::Static) {
            continue;
        }
        let name = column.name.as_bytes();
        let rows = m.partition.static_row.iter().chain(&m.partition.rows);
        for c in rows.flat_map(|r| &r.cells).filter(|c| c.column.as_ref() == name) {
            let Some(value) = &c.cell.value else { continue };
            let size = match (index.target, &c.path) {
                (TargetKind::Keys, Some(path)) => path.len(),
                (TargetKind::Values, Some(path)) if matches!(column.typ, cql_types::CqlType::Set { .. }) => path.len(),
                (TargetKind::Entries, Some(path)) => path.len() + value.len() + 6,
                _ => value.len(),
            };
            if size >= MAX_INDEXED_VALUE {
                return Err(Error::invalid(format!(
                    "Cannot index value of size {size} for index {} on {}.{}({}) (maximum allowed size={MAX_INDEXED_VALUE})",
                    index.name, table.keyspace, table.name, column.name
                )));
            }
        }
    }
    Ok(())
}

/// The entries of one index a base partition (update) makes, as index mutations.
fn entries_of(table: &Table, index: &IndexDef, p: &Partition, out: &mut Vec<Mutation>) {
    {
        let Some(column) = table.column(&index.column) else { return };
        let whole_partition = matches!(column.kind, ColumnKind::PartitionKey | ColumnKind::Static);
        let mut push = |e: Entry, clustering: &[u8]| {
            let mut key = e.prefix;
            key.extend_from_slice(&entry_clustering(&p.key, if whole_partition { &[] } else { clustering }));
            let row = Row { clustering: Bytes::from(key), liveness: Some(e.live), ..Default::default() };
            out.push(Mutation {
                table: index.storage_id,
                partition: Partition { key: e.key, rows: vec![row], ..Default::default() },
            });
        };
        if let Some(s) = &p.static_row {
            for e in row_entries(table, index, &p.key, s, true) {
                push(e, &[]);
            }
        }
        for r in &p.rows {
            for e in row_entries(table, index, &p.key, r, false) {
                push(e, &r.clustering);
            }
        }
    }
}

/// Indexes the live data of the base table for `index` (after `CREATE INDEX`).
pub fn build(storage: &Storage, table: &Table, index: &IndexDef, now: i32) -> Result<(), Error> {
    let scan = storage.scan(table.id, std::ops::Bound::Unbounded, std::ops::Bound::Unbounded).map_err(storage_error)?;
    let mut batch = Vec::new();
    for p in scan {
        let p = storage_model::purge::live_view(p.map_err(storage_error)?, now);
        entries_of(table, index, &p, &mut batch);
        if batch.len() >= 1024 {
            storage.apply(&std::mem::take(&mut batch)).map_err(storage_error)?.wait().map_err(storage_error)?;
        }
    }
    if !batch.is_empty() {
        // Durable before CREATE INDEX answers, as the schema naming the index already is.
        storage.apply(&batch).map_err(storage_error)?.wait().map_err(storage_error)?;
    }
    Ok(())
}

/// A base row an index lists for a value: its partition, and its clustering (`None`: every row
/// of the partition), with the entry naming it (its clustering in the index partition and its
/// timestamp), to delete it should it be stale.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    pub partition_key: Bytes,
    pub clustering: Option<Bytes>,
    pub entry: Bytes,
    pub timestamp: i64,
}

impl Candidate {
    fn of_entry(entry: &Row, keys: &[u8]) -> Option<Candidate> {
        let (partition_key, ck) = split_entry(keys)?;
        Some(Candidate {
            partition_key,
            clustering: (!ck.is_empty()).then_some(ck),
            entry: entry.clustering.clone(),
            timestamp: entry.liveness?.timestamp,
        })
    }
}

/// The deletions of the entries among `candidates` (all of base partition `live`'s key, read
/// from index partition `key`) that the live base partition no longer makes: each a tombstone at
/// the entry's own timestamp, so a later re-insert of the value is not shadowed.
pub fn stale_entries(
    table: &Table,
    index: &IndexDef,
    key: &Bytes,
    candidates: &[Candidate],
    live: Option<&Partition>,
    now: i32,
) -> Option<Mutation> {
    let mut made = Vec::new();
    if let Some(p) = live {
        entries_of(table, index, p, &mut made);
    }
    let valid: std::collections::HashSet<&Bytes> = made
        .iter()
        .filter(|m| m.partition.key == *key)
        .flat_map(|m| m.partition.rows.iter().map(|r| &r.clustering))
        .collect();
    let mut rows: Vec<Row> = candidates
        .iter()
        .filter(|c| !valid.contains(&c.entry))
        .map(|c| Row {
            clustering: c.entry.clone(),
            deletion: Some(DeletionTime { marked_for_delete_at: c.timestamp, local_deletion_time: now }),
            ..Default::default()
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    rows.sort_by(|a, b| a.clustering.cmp(&b.clustering));
    rows.dedup_by(|a, b| a.clustering == b.clustering);
    Some(Mutation { table: index.storage_id, partition: Partition { key: key.clone(), rows, ..Default::default() } })
}

/// The live entries of one index partition, in base token order, from the base partition `from`
/// on (a paged query resuming) or all of them.
pub fn candidates(
    storage: &Storage,
    index: &IndexDef,
    key: &Bytes,
    from: Option<&Bytes>,
    now: i32,
) -> Result<Vec<Candidate>, Error> {
    let read = match from {
        Some(pk) => storage.read_partition_slice(index.storage_id, key, &[(entry_clustering(pk, &[]), None)]),
        None => storage.read_partition(index.storage_id, key),
    };
    let Some(p) = read.map_err(storage_error)? else {
        return Ok(Vec::new());
    };
    let p = storage_model::purge::live_view(p, now);
    let mut out = Vec::new();
    for r in &p.rows {
        if !r.liveness.map(|l| l.is_live(now)).unwrap_or(false) {
            continue;
        }
        out.extend(Candidate::of_entry(r, &r.clustering));
    }
    Ok(out)
}

/// The live ordered entries of an SAI index within a value range, as base rows in token order.
pub fn range_candidates(
    storage: &Storage,
    index: &IndexDef,
    range: &(Bytes, Option<Bytes>),
    now: i32,
) -> Result<Vec<Candidate>, Error> {
    let ranges = [range.clone()];
    let Some(p) = storage.read_partition_slice(index.storage_id, ORDERED_KEY, &ranges).map_err(storage_error)? else {
        return Ok(Vec::new());
    };
    let p = storage_model::purge::live_view(p, now);
    let mut out = Vec::new();
    for r in &p.rows {
        if !r.liveness.map(|l| l.is_live(now)).unwrap_or(false) || !in_range(range, &r.clustering) {
            continue;
        }
        // Skip the escaped value, then read the base row's keys.
        let Some((_, rest)) = split_entry(&r.clustering) else { continue };
        out.extend(Candidate::of_entry(r, &rest));
    }
    // A base row may have entries under several values of the range (all but one stale).
    out.sort();
    Ok(out)
}

fn in_range(range: &(Bytes, Option<Bytes>), k: &[u8]) -> bool {
    k >= range.0.as_ref() && range.1.as_ref().map(|e| k < e.as_ref()).unwrap_or(true)
}

/// The timestamp an entry for a key column takes: the row's liveness, or else its first live cell's.
fn key_entry_timestamp(row: &Row) -> Option<i64> {
    row.liveness
        .map(|l| l.timestamp)
        .or_else(|| row.cells.iter().find(|c| !c.cell.is_tombstone()).map(|c| c.cell.timestamp))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn legacy_index() -> IndexDef {
        IndexDef {
            name: "t_c_idx".into(),
            kind: super::super::IndexKind::Composites,
            column: "c".into(),
            target: TargetKind::Simple,
            options: Default::default(),
            storage_id: uuid::Uuid::nil(),
        }
    }

    #[test]
    fn a_legacy_index_refuses_a_query_value_over_64k() {
        let index = legacy_index();
        assert!(check_lookup_value(&index, &value_key(&vec![1u8; MAX_INDEXED_VALUE])).is_ok());
        let err = check_lookup_value(&index, &value_key(&vec![1u8; MAX_INDEXED_VALUE + 1])).unwrap_err();
        assert!(err.to_string().contains("Index expression values may not be larger than 64K"), "{err}");
    }

    #[test]
    fn escaped_partition_keys_sort_as_the_keys_and_split_back() {
        let a = entry_clustering(&[1, 0, 2], &[9]);
        let b = entry_clustering(&[1, 0, 3], &[]);
        let c = entry_clustering(&[1, 0], &[0xFF]);
        assert!(c < a && a < b);
        assert_eq!(split_entry(&a), Some((Bytes::from_static(&[1, 0, 2]), Bytes::from_static(&[9]))));
        assert_eq!(split_entry(&b), Some((Bytes::from_static(&[1, 0, 3]), Bytes::new())));
        assert_eq!(split_entry(&c), Some((Bytes::from_static(&[1, 0]), Bytes::from_static(&[0xFF]))));
    }

    #[test]
    fn a_value_range_selects_the_ordered_entries_of_its_values() {
        let b = |v: i32| Bytes::copy_from_slice(&v.to_be_bytes());
        let typ = cql_types::CqlType::INT;
        let entry_of = |v: i32| {
            let mut k = ordered_prefix(&typ, &b(v)).unwrap();
            k.extend_from_slice(&entry_clustering(&[0, 0, 1], &[7]));
            k
        };
        let range = value_range(&typ, Some(&(b(3), false)), Some(&(b(7), true))).unwrap();
        let selected: Vec<i32> = (-2..10).filter(|v| in_range(&range, &entry_of(*v))).collect();
        assert_eq!(selected, [4, 5, 6, 7]);
        let range = value_range(&typ, Some(&(b(-1), true)), None).unwrap();
        assert_eq!((-2..3).filter(|v| in_range(&range, &entry_of(*v))).collect::<Vec<_>>(), [-1, 0, 1, 2]);
        let rest = split_entry(&entry_of(5)).unwrap().1;
        assert_eq!(split_entry(&rest), Some((Bytes::from_static(&[0, 0, 1]), Bytes::from_static(&[7]))));
    }

    fn table_indexing_v() -> Table {
        let mut t = Table::new(
            "ks",
            "t",
            uuid::Uuid::nil(),
            vec![("k".into(), cql_types::CqlType::INT)],
            vec![],
            vec![("v".into(), cql_types::CqlType::INT, false)],
            crate::schema::TableParams::default(),
        );
        let mut options = std::collections::BTreeMap::new();
        options.insert("target".to_string(), "v".to_string());
        t.indexes.push(IndexDef {
            name: "t_v_idx".into(),
            kind: super::super::IndexKind::Composites,
            column: "v".into(),
            target: TargetKind::Simple,
            options,
            storage_id: uuid::Uuid::from_u128(7),
        });
        t
    }

    /// Base partition `k` holding `v` at `ts`, its index mutation, and the candidate read back.
    fn written(t: &Table, k: i32, v: i32, ts: i64) -> (Partition, Mutation, Candidate) {
        let cell = storage_model::Cell::live(ts, Bytes::copy_from_slice(&v.to_be_bytes()));
        let row = Row {
            cells: vec![storage_model::ColumnCell { column: Bytes::from_static(b"v"), path: None, cell }],
            ..Default::default()
        };
        let key = Bytes::from(key::storage_key(&k.to_be_bytes()));
        let p = Partition { key, rows: vec![row], ..Default::default() };
        let m = index_mutations(t, &Mutation { table: t.id, partition: p.clone() }).remove(0);
        let entry = &m.partition.rows[0];
        let c = Candidate::of_entry(entry, &entry.clustering).unwrap();
        (p, m, c)
    }

    #[test]
    fn an_entry_its_base_row_still_makes_is_not_stale() {
        let t = table_indexing_v();
        let (base, m, c) = written(&t, 1, 5, 10);
        assert_eq!(stale_entries(&t, &t.indexes[0], &m.partition.key, &[c], Some(&base), 100), None);
    }

    #[test]
    fn a_stale_entry_is_deleted_at_its_own_timestamp() {
        let t = table_indexing_v();
        let (_, m, c) = written(&t, 1, 5, 10);
        let (now_six, _, _) = written(&t, 1, 6, 20);
        for base in [Some(&now_six), None] {
            let d = stale_entries(&t, &t.indexes[0], &m.partition.key, std::slice::from_ref(&c), base, 100).unwrap();
            assert_eq!(d.table, t.indexes[0].storage_id);
            assert_eq!(d.partition.key, m.partition.key);
            assert_eq!(d.partition.rows.len(), 1);
            assert_eq!(d.partition.rows[0].clustering, m.partition.rows[0].clustering);
            let deletion = DeletionTime { marked_for_delete_at: 10, local_deletion_time: 100 };
            assert_eq!(d.partition.rows[0].deletion, Some(deletion));
        }
    }

    #[test]
    fn entry_keys_of_different_pairs_differ() {
        assert_ne!(entry_key(b"ab", b"c"), entry_key(b"a", b"bc"));
    }
}
