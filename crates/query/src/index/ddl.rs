//! `CREATE INDEX` and `DROP INDEX`, with the checks and messages of Cassandra 5.0's
//! `CreateIndexStatement`, `IndexAttributes`, `IndexMetadata.validate` and
//! `StorageAttachedIndex.validateOptions`. Both announce an update of the base table.

use std::collections::BTreeMap;

use cql_parser::ast::{self, IndexTarget, PropertyValue};
use cql_types::{CqlType, NativeType};
use uuid::Uuid;

use super::{is_sai_class, IndexDef, IndexKind, TargetKind, SASI_CLASS};
use crate::schema::{Column, ColumnKind, Schema, Table};
use crate::statement::ddl::{references_duration, SchemaEdit, StorageAction};
use crate::statement::select::undefined_column;
use crate::{Error, SchemaChange, SchemaChangeTarget, SchemaChangeType};

/// The implementation `CREATE INDEX` uses without `USING` (`default_secondary_index`).
const LEGACY_CLASS: &str = "legacy_local_table";

/// The options SAI understands (`StorageAttachedIndex.VALID_OPTIONS`: analysis, and the vector
/// index's `IndexWriterConfig`).
const SAI_OPTIONS: &[&str] = &[
    "target",
    "class_name",
    "case_sensitive",
    "normalize",
    "ascii",
    "similarity_function",
    "maximum_node_connections",
    "construction_beam_width",
    "optimize_for",
];

/// The element types SAI indexes (`StorageAttachedIndex.SUPPORTED_TYPES`), frozen types aside.
fn sai_supported(t: &CqlType) -> bool {
    match t {
        CqlType::Native(n) => !matches!(n, NativeType::Blob | NativeType::Counter | NativeType::Duration),
        CqlType::Vector { .. } => true,
        other => !other.is_multi_cell(),
    }
}

fn is_collection(t: &CqlType) -> bool {
    matches!(t, CqlType::List { .. } | CqlType::Set { .. } | CqlType::Map { .. })
}

fn is_frozen_collection(t: &CqlType) -> bool {
    is_collection(t) && !t.is_multi_cell()
}

/// `IndexMetadata.generateDefaultIndexName`: non-word characters removed.
fn default_name(table: &str, column: Option<&str>) -> String {
    let raw = match column {
        Some(c) => format!("{table}_{c}_idx"),
        None => format!("{table}_idx"),
    };
    raw.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
}

/// The user's `WITH OPTIONS = {...}` (Cassandra's `IndexAttributes`).
fn index_options(properties: &[ast::Property], custom: bool) -> Result<BTreeMap<String, String>, Error> {
    let mut options = BTreeMap::new();
    for p in properties {
        if p.name != "options" {
            return Err(Error::Syntax(format!("Unknown property '{}'", p.name)));
        }
        match &p.value {
            PropertyValue::Map(entries) => {
                for (k, v) in entries {
                    options.insert(k.text.clone(), v.text.clone());
                }
            }
            _ => return Err(Error::Syntax("Invalid value for property 'options'. It should be a map.".into())),
        }
    }
    if !custom && !properties.is_empty() {
        return Err(Error::invalid("Cannot specify options for a non-CUSTOM index"));
    }
    for reserved in ["class_name", "target"] {
        if options.contains_key(reserved) {
            return Err(Error::invalid(format!("Cannot specify {reserved} as a CUSTOM option")));
        }
    }
    Ok(options)
}

/// `CreateIndexStatement.validateIndexTarget`.
fn validate_target(column: &Column, target: TargetKind, table: &Table) -> Result<(), Error> {
    let t = &column.typ;
    if references_duration(t) {
        return Err(Error::invalid(match t {
            CqlType::List { .. } | CqlType::Set { .. } | CqlType::Map { .. } => {
                "Secondary indexes are not supported on collections containing durations"
            }
            CqlType::Tuple(_) => "Secondary indexes are not supported on tuples containing durations",
            CqlType::Udt { .. } => "Secondary indexes are not supported on UDTs containing durations",
            _ => "Secondary indexes are not supported on duration columns",
        }));
    }
    let name = crate::schema::quote_identifier(&column.name);
    if column.kind == ColumnKind::PartitionKey && table.partition_key_count == 1 {
        return Err(Error::invalid(format!("Cannot create secondary index on the only partition key column {name}")));
    }
    if is_frozen_collection(t) && target != TargetKind::Full {
        return Err(Error::invalid(format!(
            "Cannot create {}() index on frozen column {name}. Frozen collections are immutable and must be fully indexed by using the 'full({name})' modifier",
            target.as_str()
        )));
    }
    if !is_frozen_collection(t) && target == TargetKind::Full {
        return Err(Error::invalid("full() indexes can only be created on frozen collections"));
    }
    if !is_collection(t) && target != TargetKind::Simple {
        return Err(Error::invalid(format!(
            "Cannot create {}() index on {name}. Non-collection columns only support simple indexes",
            target.as_str()
        )));
    }
    let multi_cell_map = matches!(t, CqlType::Map { frozen: false, .. });
    if !multi_cell_map && matches!(target, TargetKind::Keys | TargetKind::Entries) {
        return Err(Error::invalid(format!(
            "Cannot create index on {} of column {name} with non-map type",
            target.as_str()
        )));
    }
    if matches!(t, CqlType::Udt { frozen: false, .. }) {
        return Err(Error::invalid(format!("Cannot create index on non-frozen UDT column {name}")));
    }
    Ok(())
}

/// The type of the values an index holds for its target (`TypeUtil.cellValueType`); for entries,
/// the key and value types.
fn indexed_types(column: &Column, target: TargetKind) -> Vec<CqlType> {
    match (&column.typ, target) {
        (CqlType::List { element, .. } | CqlType::Set { element, .. }, TargetKind::Values) => {
            vec![element.as_ref().clone()]
        }
        (CqlType::Map { key, .. }, TargetKind::Keys) => vec![key.as_ref().clone()],
        (CqlType::Map { value, .. }, TargetKind::Values) => vec![value.as_ref().clone()],
        (CqlType::Map { key, value, .. }, TargetKind::Entries) => vec![key.as_ref().clone(), value.as_ref().clone()],
        (t, _) => vec![t.clone()],
    }
}

/// `StorageAttachedIndex.validateOptions` for a new SAI index on `table` (which already lists it).
fn validate_sai(table: &Table, index: &IndexDef, targets: &[(String, TargetKind)]) -> Result<(), Error> {
    let unknown: Vec<&String> = index.options.keys().filter(|k| !SAI_OPTIONS.contains(&k.as_str())).collect();
    if !unknown.is_empty() {
        return Err(Error::Config(format!(
            "Properties specified [{}] are not understood by StorageAttachedIndex",
            unknown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    let target = index.options.get("target").cloned().unwrap_or_default();
    if targets.len() > 1 {
        return Err(Error::invalid(format!(
            "A storage-attached index cannot be created over multiple columns: {target}"
        )));
    }
    let Some((column_name, kind)) = targets.first() else {
        return Err(Error::invalid(format!("Failed to retrieve target column for: {target}")));
    };
    let same = table.indexes.iter().filter(|i| i.is_sai() && i.column == *column_name && i.target == *kind).count();
    if same > 1 {
        return Err(Error::invalid(format!(
            "Cannot create more than one storage-attached index on the same column: {}",
            crate::schema::quote_identifier(column_name)
        )));
    }
    let column = table.column(column_name).ok_or_else(|| undefined_column(table, column_name))?;
    for t in indexed_types(column, *kind) {
        if !sai_supported(&t) {
            return Err(Error::invalid(format!("Unsupported type: {t}")));
        }
    }
    let analysis: Vec<&str> =
        ["case_sensitive", "normalize", "ascii"].into_iter().filter(|o| index.options.contains_key(*o)).collect();
    if column.is_primary_key() && !analysis.is_empty() {
        let shown: BTreeMap<String, String> =
            analysis.iter().map(|o| (o.to_string(), index.options[*o].clone())).collect();
        return Err(Error::invalid(format!(
            "Analysis options are not supported on primary key columns, but found {}",
            crate::schema::cql_string_map(&shown)
        )));
    }
    if let Some(f) = index.options.get("similarity_function") {
        let upper = f.to_ascii_uppercase();
        if !matches!(upper.as_str(), "EUCLIDEAN" | "DOT_PRODUCT" | "COSINE") {
            return Err(Error::invalid(format!(
                "Similarity function {upper} was not recognized for index {}. Valid values are: [EUCLIDEAN, DOT_PRODUCT, COSINE]",
                index.name
            )));
        }
    }
    if let CqlType::Vector { element, .. } = &column.typ {
        if **element != CqlType::Native(NativeType::Float) {
            return Err(Error::invalid(format!("Unsupported type: {}", column.typ)));
        }
    }
    Ok(())
}

fn table_updated(keyspace: &str, table: &str) -> SchemaChange {
    SchemaChange {
        change: SchemaChangeType::Updated,
        keyspace: keyspace.to_string(),
        target: SchemaChangeTarget::Table(table.to_string()),
    }
}

/// `CREATE [CUSTOM] INDEX`.
pub fn create_index(schema: &Schema, stmt: &ast::CreateIndex, keyspace: &str) -> Result<Option<SchemaEdit>, Error> {
    // CreateIndexStatement.Raw.prepare: the default implementation, and USING on a plain CREATE INDEX.
    let (custom, class) = match &stmt.custom_class {
        None => (false, None),
        Some(c) if !stmt.custom && c.eq_ignore_ascii_case(LEGACY_CLASS) => (false, None),
        Some(c) => (true, Some(c.clone())),
    };
    if let Some(k) = &stmt.keyspace {
        if k != keyspace {
            // Cassandra formats this message with the table's name where the index's was meant.
            let table = match &stmt.table.keyspace {
                Some(t) => format!("{t}.{}", stmt.table.name),
                None => stmt.table.name.clone(),
            };
            return Err(Error::invalid(format!("Keyspace name '{keyspace}' doesn't match index name '{table}'")));
        }
    }
    let user_options = index_options(&stmt.properties, custom)?;
    if class.as_deref() == Some(SASI_CLASS) {
        return Err(Error::invalid("SASI indexes are disabled. Enable in cassandra.yaml to use."));
    }
    let ks =
        schema.keyspaces.get(keyspace).ok_or_else(|| Error::invalid(format!("Keyspace '{keyspace}' doesn't exist")))?;
    if ks.is_system {
        return Err(Error::Unauthorized(format!("{keyspace} keyspace is not user-modifiable.")));
    }
    let table_name = &stmt.table.name;
    let table =
        ks.tables.get(table_name).ok_or_else(|| Error::invalid(format!("Table '{table_name}' doesn't exist")))?;
    if let Some(n) = &stmt.name {
        if ks.indexed_table(n).is_some() {
            if stmt.if_not_exists {
                return Ok(None);
            }
            return Err(Error::invalid(format!("Index '{n}' already exists")));
        }
    }
    if table.is_counter() {
        return Err(Error::invalid("Secondary indexes on counter tables aren't supported"));
    }
    let mut targets: Vec<(String, TargetKind)> = Vec::new();
    for t in &stmt.targets {
        let (name, kind) = match t {
            IndexTarget::Column(c) => (c, TargetKind::Simple),
            IndexTarget::Values(c) => (c, TargetKind::Values),
            IndexTarget::Keys(c) => (c, TargetKind::Keys),
            IndexTarget::Entries(c) => (c, TargetKind::Entries),
            IndexTarget::Full(c) => (c, TargetKind::Full),
        };
        let column = table.column(name).ok_or_else(|| undefined_column(table, name))?;
        // A plain target on a collection indexes its values.
        let kind = if kind == TargetKind::Simple && is_collection(&column.typ) { TargetKind::Values } else { kind };
        targets.push((name.clone(), kind));
    }
    if targets.is_empty() && !custom {
        return Err(Error::invalid("Only CUSTOM indexes can be created without specifying a target column"));
    }
    if targets.len() > 1 {
        if !custom {
            return Err(Error::invalid("Only CUSTOM indexes support multiple columns"));
        }
        for (i, (c, _)) in targets.iter().enumerate() {
            if targets[..i].iter().any(|(d, _)| d == c) {
                return Err(Error::invalid(format!("Duplicate column '{c}' in index target list")));
            }
        }
    }
    for (name, kind) in &targets {
        let column = table.column(name).ok_or_else(|| undefined_column(table, name))?;
        validate_target(column, *kind, table)?;
    }
    let name = match &stmt.name {
        Some(n) => n.clone(),
        None => {
            let base = default_name(table_name, if targets.len() == 1 { Some(targets[0].0.as_str()) } else { None });
            let mut candidate = base.clone();
            let mut i = 1;
            while ks.indexed_table(&candidate).is_some() {
                candidate = format!("{base}_{i}");
                i += 1;
            }
            candidate
        }
    };
    let mut options = if custom { user_options } else { BTreeMap::new() };
    let target_text = targets.iter().map(|(c, k)| IndexDef::target_text(c, *k)).collect::<Vec<_>>().join(", ");
    options.insert("target".to_string(), target_text);
    if let Some(c) = &class {
        options.insert("class_name".to_string(), c.clone());
    }
    let index = IndexDef {
        name: name.clone(),
        kind: if custom { IndexKind::Custom } else { IndexKind::Composites },
        column: targets.first().map(|(c, _)| c.clone()).unwrap_or_default(),
        target: targets.first().map(|(_, k)| *k).unwrap_or(TargetKind::Simple),
        options,
        storage_id: Uuid::new_v4(),
    };
    if let Some(existing) = table.indexes.iter().find(|i| i.same_definition(&index)) {
        if stmt.if_not_exists {
            return Ok(None);
        }
        return Err(Error::invalid(format!("Index {} is a duplicate of existing index {}", index.name, existing.name)));
    }
    // IndexMetadata.validate, on the table with the new index.
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::Config(format!("Illegal index name {name}")));
    }
    let mut new_table = table.as_ref().clone();
    new_table.indexes.push(index.clone());
    new_table.indexes.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(c) = &class {
        if !is_sai_class(c) {
            return Err(Error::Config(format!("Unable to find custom indexer class '{c}'")));
        }
        validate_sai(&new_table, &index, &targets)?;
    }
    let keyspaces = schema.keyspaces_with_table(ks, new_table);
    Ok(Some(SchemaEdit {
        keyspaces,
        change: table_updated(keyspace, table_name),
        actions: vec![
            StorageAction::CreateTable(index.storage_id),
            StorageAction::BuildIndex { keyspace: keyspace.to_string(), table: table_name.clone(), index: name },
        ],
    }))
}

/// `DROP INDEX [IF EXISTS] [ks.]name`.
pub fn drop_index(schema: &Schema, stmt: &ast::DropIndex, keyspace: &str) -> Result<Option<SchemaEdit>, Error> {
    let name = &stmt.name.name;
    let found = schema.keyspaces.get(keyspace).and_then(|ks| ks.indexed_table(name).map(|t| (ks, t)));
    let Some((ks, table)) = found else {
        if stmt.if_exists {
            return Ok(None);
        }
        return Err(Error::invalid(format!("Index '{keyspace}.{name}' doesn't exist'")));
    };
    if ks.is_system {
        return Err(Error::Unauthorized(format!("{keyspace} keyspace is not user-modifiable.")));
    }
    let mut new_table = table.as_ref().clone();
    let dropped: Vec<Uuid> = new_table.indexes.iter().filter(|i| &i.name == name).map(|i| i.storage_id).collect();
    new_table.indexes.retain(|i| &i.name != name);
    let table_name = new_table.name.clone();
    let keyspaces = schema.keyspaces_with_table(ks, new_table);
    Ok(Some(SchemaEdit {
        keyspaces,
        change: table_updated(keyspace, &table_name),
        actions: dropped.into_iter().map(StorageAction::DropTable).collect(),
    }))
}

/// `ALTER TABLE … DROP c` / `RENAME c` of a column some index depends on.
pub fn check_no_dependent_index(table: &Table, column: &str, what: &str) -> Result<(), Error> {
    let names: Vec<&str> = table.indexes.iter().filter(|i| i.column == column).map(|i| i.name.as_str()).collect();
    if names.is_empty() {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "Cannot {what} column {} because it has dependent secondary indexes ({})",
        crate::schema::quote_identifier(column),
        names.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_drop_non_word_characters() {
        assert_eq!(default_name("t", Some("v")), "t_v_idx");
        assert_eq!(default_name("t", Some("My Col")), "t_MyCol_idx");
        assert_eq!(default_name("t", None), "t_idx");
    }

    #[test]
    fn options_are_refused_on_a_legacy_index() {
        let p = ast::Property { name: "options".into(), value: PropertyValue::Map(vec![]) };
        assert_eq!(
            index_options(&[p], false).unwrap_err(),
            Error::invalid("Cannot specify options for a non-CUSTOM index")
        );
    }
}
