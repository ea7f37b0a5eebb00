//! Schema statements: CREATE/ALTER/DROP KEYSPACE and TABLE, TRUNCATE. Each computes the new
//! schema (or nothing, for `IF [NOT] EXISTS` no-ops) and the schema change to announce; the
//! processor persists it, swaps it in and tells the storage engine.

use std::collections::BTreeMap;
use std::sync::Arc;

use cql_parser::ast::{self, PropertyValue, TypeExpr};
use cql_types::CqlType;
use uuid::Uuid;

use crate::schema::{ColumnKind, Keyspace, Schema, Table, TableParams};
use crate::{Error, SchemaChange, SchemaChangeTarget, SchemaChangeType};

/// What the storage engine must do for a schema change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageAction {
    CreateTable(Uuid),
    DropTable(Uuid),
}

/// A schema change ready to be made durable and swapped in.
pub struct SchemaEdit {
    pub keyspaces: BTreeMap<String, Arc<Keyspace>>,
    pub change: SchemaChange,
    pub actions: Vec<StorageAction>,
}

fn change(change: SchemaChangeType, keyspace: &str, target: SchemaChangeTarget) -> SchemaChange {
    SchemaChange { change, keyspace: keyspace.to_string(), target }
}

fn valid_name(name: &str, max: usize) -> bool {
    !name.is_empty() && name.len() <= max && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn replication(
    properties: &[ast::Property],
    existing: Option<&BTreeMap<String, String>>,
) -> Result<(BTreeMap<String, String>, Option<bool>), Error> {
    let mut repl = None;
    let mut durable = None;
    for p in properties {
        match p.name.as_str() {
            "replication" => match &p.value {
                PropertyValue::Map(entries) => {
                    repl =
                        Some(entries.iter().map(|(k, v)| (k.text.clone(), v.text.clone())).collect::<BTreeMap<_, _>>())
                }
                _ => return Err(Error::Syntax("Invalid value for property 'replication'. It should be a map.".into())),
            },
            "durable_writes" => match &p.value {
                PropertyValue::Constant(l) => match l.text.to_ascii_lowercase().as_str() {
                    "true" => durable = Some(true),
                    "false" => durable = Some(false),
                    _ => return Err(Error::Syntax(format!("Invalid boolean value {} for 'durable_writes'", l.text))),
                },
                _ => return Err(Error::Syntax("Invalid value for property 'durable_writes'".into())),
            },
            other => return Err(Error::Syntax(format!("Unknown property '{other}'"))),
        }
    }
    let mut repl = match (repl, existing) {
        (Some(r), _) => r,
        (None, Some(e)) => return Ok((e.clone(), durable)),
        (None, None) => return Err(Error::Config("Missing mandatory option 'replication'".into())),
    };
    let class = repl.remove("class").ok_or_else(|| Error::Config("Missing replication strategy class".into()))?;
    let class = if class.contains('.') { class } else { format!("org.apache.cassandra.locator.{class}") };
    match class.rsplit('.').next().unwrap_or("") {
        "SimpleStrategy" => {
            let rf = repl
                .get("replication_factor")
                .ok_or_else(|| Error::Config("SimpleStrategy requires a replication_factor strategy option.".into()))?;
            if rf.parse::<u32>().is_err() {
                return Err(Error::Config(format!("Replication factor must be non-negative integer; found {rf}")));
            }
            if let Some(other) = repl.keys().find(|k| *k != "replication_factor") {
                return Err(Error::Config(format!(
                    "Unrecognized strategy option {{{other}}} passed to SimpleStrategy for keyspace"
                )));
            }
        }
        "NetworkTopologyStrategy" => {
            for (dc, rf) in &repl {
                if rf.parse::<u32>().is_err() {
                    return Err(Error::Config(format!("Replication factor must be non-negative integer; found {rf}")));
                }
                let _ = dc;
            }
        }
        "LocalStrategy" | "EverywhereStrategy" => {
            return Err(Error::Config(format!(
                "Unable to use given strategy class: LocalStrategy is reserved for internal use."
            )))
        }
        _ => return Err(Error::Config(format!("Unable to find replication strategy class '{class}'"))),
    }
    repl.insert("class".into(), class);
    Ok((repl, durable))
}

pub fn create_keyspace(schema: &Schema, stmt: &ast::CreateKeyspace) -> Result<Option<SchemaEdit>, Error> {
    if !valid_name(&stmt.name, 48) {
        return Err(Error::invalid(format!(
            "Keyspace name must not be empty, more than 48 characters long, or contain non-alphanumeric-underscore characters (got '{}')",
            stmt.name
        )));
    }
    let (replication, durable) = replication(&stmt.properties, None)?;
    if schema.keyspaces.contains_key(&stmt.name) {
        if stmt.if_not_exists {
            return Ok(None);
        }
        return Err(Error::AlreadyExists {
            message: format!("Cannot add existing keyspace \"{}\"", stmt.name),
            keyspace: stmt.name.clone(),
            table: String::new(),
        });
    }
    let mut keyspaces = schema.keyspaces.clone();
    keyspaces.insert(
        stmt.name.clone(),
        Arc::new(Keyspace {
            name: stmt.name.clone(),
            replication,
            durable_writes: durable.unwrap_or(true),
            tables: BTreeMap::new(),
            is_system: false,
            is_virtual: false,
        }),
    );
    Ok(Some(SchemaEdit {
        keyspaces,
        change: change(SchemaChangeType::Created, &stmt.name, SchemaChangeTarget::Keyspace),
        actions: vec![],
    }))
}

pub fn alter_keyspace(schema: &Schema, stmt: &ast::AlterKeyspace) -> Result<Option<SchemaEdit>, Error> {
    let Some(ks) = schema.keyspaces.get(&stmt.name) else {
        if stmt.if_exists {
            return Ok(None);
        }
        return Err(Error::invalid(format!("Keyspace '{}' doesn't exist", stmt.name)));
    };
    if ks.is_system {
        return Err(Error::Unauthorized(format!("{} keyspace is not user-modifiable.", ks.name)));
    }
    let (replication, durable) = replication(&stmt.properties, Some(&ks.replication))?;
    let mut new = ks.as_ref().clone();
    new.replication = replication;
    if let Some(d) = durable {
        new.durable_writes = d;
    }
    let mut keyspaces = schema.keyspaces.clone();
    keyspaces.insert(stmt.name.clone(), Arc::new(new));
    Ok(Some(SchemaEdit {
        keyspaces,
        change: change(SchemaChangeType::Updated, &stmt.name, SchemaChangeTarget::Keyspace),
        actions: vec![],
    }))
}

pub fn drop_keyspace(schema: &Schema, stmt: &ast::DropKeyspace) -> Result<Option<SchemaEdit>, Error> {
    let Some(ks) = schema.keyspaces.get(&stmt.name) else {
        if stmt.if_exists {
            return Ok(None);
        }
        return Err(Error::Config(format!("Cannot drop non existing keyspace '{}'.", stmt.name)));
    };
    if ks.is_system {
        return Err(Error::Unauthorized(format!("{} keyspace is not user-modifiable.", ks.name)));
    }
    let actions = ks.tables.values().map(|t| StorageAction::DropTable(t.id)).collect();
    let mut keyspaces = schema.keyspaces.clone();
    keyspaces.remove(&stmt.name);
    Ok(Some(SchemaEdit {
        keyspaces,
        change: change(SchemaChangeType::Dropped, &stmt.name, SchemaChangeTarget::Keyspace),
        actions,
    }))
}

/// A written type resolved to a CQL type (user-defined types come with issue #3's UDT support).
pub fn resolve_type(t: &TypeExpr, keyspace: &str) -> Result<CqlType, Error> {
    Ok(match t {
        TypeExpr::Native(n) => CqlType::Native(*n),
        TypeExpr::List(e) => CqlType::list(resolve_type(e, keyspace)?),
        TypeExpr::Set(e) => CqlType::set(resolve_type(e, keyspace)?),
        TypeExpr::Map(k, v) => CqlType::map(resolve_type(k, keyspace)?, resolve_type(v, keyspace)?),
        TypeExpr::Tuple(items) => {
            CqlType::Tuple(items.iter().map(|i| resolve_type(i, keyspace).map(freeze)).collect::<Result<_, _>>()?)
        }
        TypeExpr::Frozen(inner) => freeze(resolve_type(inner, keyspace)?),
        TypeExpr::Vector(e, n) => CqlType::Vector { element: Box::new(resolve_type(e, keyspace)?), dimension: *n },
        TypeExpr::UserDefined(name) => {
            return Err(Error::invalid(format!(
                "Unknown type {}.{}",
                name.keyspace.as_deref().unwrap_or(keyspace),
                name.name
            )))
        }
        TypeExpr::Custom(c) => CqlType::Custom(c.clone()),
    })
}

/// Frozen all the way down, as types nested in collections are.
fn freeze(t: CqlType) -> CqlType {
    match t {
        CqlType::List { element, .. } => CqlType::List { element: Box::new(freeze(*element)), frozen: true },
        CqlType::Set { element, .. } => CqlType::Set { element: Box::new(freeze(*element)), frozen: true },
        CqlType::Map { key, value, .. } => {
            CqlType::Map { key: Box::new(freeze(*key)), value: Box::new(freeze(*value)), frozen: true }
        }
        other => other.frozen(),
    }
}

fn nested_frozen(t: CqlType) -> CqlType {
    // Collections inside collections must be frozen: Cassandra freezes them implicitly? No: it
    // rejects them; callers check with `has_non_frozen_nested`.
    t
}

fn has_non_frozen_nested(t: &CqlType) -> bool {
    match t {
        CqlType::List { element, .. } | CqlType::Set { element, .. } => element.is_multi_cell(),
        CqlType::Map { key, value, .. } => key.is_multi_cell() || value.is_multi_cell(),
        _ => false,
    }
}

pub fn create_table(schema: &Schema, stmt: &ast::CreateTable, keyspace: &str) -> Result<Option<SchemaEdit>, Error> {
    let ks = schema.keyspace(keyspace)?;
    let name = &stmt.name.name;
    if ks.is_system {
        return Err(Error::Unauthorized(format!("{keyspace} keyspace is not user-modifiable.")));
    }
    if !valid_name(name, 222) {
        return Err(Error::invalid(format!(
            "Table name must not be empty, more than 222 characters long, or contain non-alphanumeric-underscore characters (got '{name}')"
        )));
    }
    if ks.tables.contains_key(name) {
        if stmt.if_not_exists {
            return Ok(None);
        }
        return Err(Error::AlreadyExists {
            message: format!("Cannot add already existing table \"{name}\" to keyspace \"{keyspace}\""),
            keyspace: keyspace.to_string(),
            table: name.clone(),
        });
    }
    if stmt.compact_storage {
        return Err(Error::invalid("COMPACT STORAGE tables are not supported starting with version 4.0"));
    }
    let mut columns: Vec<(String, CqlType, bool)> = Vec::new();
    for c in &stmt.columns {
        if columns.iter().any(|(n, _, _)| n == &c.name) {
            return Err(Error::invalid(format!(
                "Duplicate column '{}' declaration for table {keyspace}.{name}",
                c.name
            )));
        }
        let typ = nested_frozen(resolve_type(&c.typ, keyspace)?);
        if has_non_frozen_nested(&typ) {
            return Err(Error::invalid(
                "Non-frozen collections are not allowed inside collections: ".to_string() + &typ.to_string(),
            ));
        }
        columns.push((c.name.clone(), typ, c.is_static));
    }
    let inline: Vec<&ast::ColumnDef> = stmt.columns.iter().filter(|c| c.primary_key).collect();
    let key = match (&stmt.primary_key, inline.as_slice()) {
        (Some(pk), []) => pk.clone(),
        (None, [c]) => ast::PrimaryKey { partition_key: vec![c.name.clone()], clustering: vec![] },
        (None, []) => {
            return Err(Error::invalid(
                "No PRIMARY KEY specifed for table '".to_string() + name + "' (exactly one required)",
            ))
        }
        _ => return Err(Error::invalid("Multiple PRIMARY KEYs specified (exactly one required)")),
    };
    let mut take = |n: &str| -> Result<(String, CqlType, bool), Error> {
        let i = columns
            .iter()
            .position(|(c, _, _)| c == n)
            .ok_or_else(|| Error::invalid(format!("Unknown definition {n} referenced in PRIMARY KEY")))?;
        Ok(columns.remove(i))
    };
    let mut pk = Vec::new();
    for n in &key.partition_key {
        let (n, t, is_static) = take(n)?;
        if is_static {
            return Err(Error::invalid(format!("Static column {n} cannot be part of the PRIMARY KEY")));
        }
        if t.is_multi_cell() {
            return Err(Error::invalid(format!(
                "Invalid non-frozen collection type {t} for PRIMARY KEY component {n}"
            )));
        }
        if t.is_counter() {
            return Err(Error::invalid(format!("counter type is not supported for PRIMARY KEY column '{n}'")));
        }
        pk.push((n, t));
    }
    let mut order: BTreeMap<&str, bool> = BTreeMap::new();
    for (i, (n, o)) in stmt.clustering_order.iter().enumerate() {
        if !key.clustering.contains(n) {
            return Err(Error::invalid(format!("Only clustering key columns can be defined in CLUSTERING ORDER directive: {n} is not a clustering column")));
        }
        if key.clustering.get(i) != Some(n) {
            return Err(Error::invalid(
                "The order of columns in the CLUSTERING ORDER directive must match that of the clustering columns",
            ));
        }
        order.insert(n, *o == ast::Order::Desc);
    }
    let mut ck = Vec::new();
    for n in &key.clustering {
        let (n, t, is_static) = take(n)?;
        if is_static {
            return Err(Error::invalid(format!("Static column {n} cannot be part of the PRIMARY KEY")));
        }
        if t.is_multi_cell() {
            return Err(Error::invalid(format!(
                "Invalid non-frozen collection type {t} for PRIMARY KEY component {n}"
            )));
        }
        let reversed = order.get(n.as_str()).copied().unwrap_or(false);
        ck.push((n, t, reversed));
    }
    if ck.is_empty() {
        if let Some((n, _, _)) = columns.iter().find(|(_, _, s)| *s) {
            return Err(Error::invalid(format!(
                "Static column {n} cannot be added to a table without clustering columns"
            )));
        }
    }
    let counters = columns.iter().filter(|(_, t, _)| t.is_counter()).count();
    if counters > 0 && counters != columns.len() {
        return Err(Error::invalid("Cannot mix counter and non counter columns in the same table"));
    }
    let mut params = TableParams::default();
    params.apply(&stmt.properties)?;
    let id = Uuid::new_v4();
    let table = Table::new(keyspace, name, id, pk, ck, columns, params);
    let mut new_ks = ks.as_ref().clone();
    new_ks.tables.insert(name.clone(), Arc::new(table));
    let mut keyspaces = schema.keyspaces.clone();
    keyspaces.insert(keyspace.to_string(), Arc::new(new_ks));
    Ok(Some(SchemaEdit {
        keyspaces,
        change: change(SchemaChangeType::Created, keyspace, SchemaChangeTarget::Table(name.clone())),
        actions: vec![StorageAction::CreateTable(id)],
    }))
}

pub fn drop_table(schema: &Schema, stmt: &ast::DropTable, keyspace: &str) -> Result<Option<SchemaEdit>, Error> {
    let ks = match schema.keyspaces.get(keyspace) {
        Some(k) => k,
        None if stmt.if_exists => return Ok(None),
        None => return Err(Error::invalid(format!("Keyspace '{keyspace}' doesn't exist"))),
    };
    let name = &stmt.name.name;
    let Some(table) = ks.tables.get(name) else {
        if stmt.if_exists {
            return Ok(None);
        }
        return Err(Error::invalid(format!("Table '{keyspace}.{name}' doesn't exist")));
    };
    if ks.is_system {
        return Err(Error::Unauthorized(format!("{keyspace} keyspace is not user-modifiable.")));
    }
    let id = table.id;
    let mut new_ks = ks.as_ref().clone();
    new_ks.tables.remove(name);
    let mut keyspaces = schema.keyspaces.clone();
    keyspaces.insert(keyspace.to_string(), Arc::new(new_ks));
    Ok(Some(SchemaEdit {
        keyspaces,
        change: change(SchemaChangeType::Dropped, keyspace, SchemaChangeTarget::Table(name.clone())),
        actions: vec![StorageAction::DropTable(id)],
    }))
}

pub fn alter_table(schema: &Schema, stmt: &ast::AlterTable, keyspace: &str) -> Result<Option<SchemaEdit>, Error> {
    let ks = schema.keyspace(keyspace)?;
    let name = &stmt.name.name;
    let Some(table) = ks.tables.get(name) else {
        if stmt.if_exists {
            return Ok(None);
        }
        return Err(Error::invalid(format!("Table '{keyspace}.{name}' doesn't exist")));
    };
    if ks.is_system {
        return Err(Error::Unauthorized(format!("{keyspace} keyspace is not user-modifiable.")));
    }
    let mut pk: Vec<(String, CqlType)> =
        table.partition_key().iter().map(|c| (c.name.clone(), c.typ.clone())).collect();
    let mut ck: Vec<(String, CqlType, bool)> =
        table.clustering().iter().map(|c| (c.name.clone(), c.typ.clone(), c.reversed)).collect();
    let mut others: Vec<(String, CqlType, bool)> =
        table.non_key_columns().iter().map(|c| (c.name.clone(), c.typ.clone(), c.kind == ColumnKind::Static)).collect();
    let mut params = table.params.clone();
    match &stmt.action {
        ast::AlterTableAction::Add { if_not_exists, columns } => {
            for c in columns {
                if table.column(&c.name).is_some() || others.iter().any(|(n, _, _)| n == &c.name) {
                    if *if_not_exists {
                        continue;
                    }
                    return Err(Error::invalid(format!("Column with name '{}' already exists", c.name)));
                }
                if c.is_static && table.clustering_count == 0 {
                    return Err(Error::invalid(format!(
                        "Static column {} cannot be added to a table without clustering columns",
                        c.name
                    )));
                }
                others.push((c.name.clone(), resolve_type(&c.typ, keyspace)?, c.is_static));
            }
        }
        ast::AlterTableAction::Drop { if_exists, columns, .. } => {
            for c in columns {
                match table.column(c) {
                    None if *if_exists => continue,
                    None => return Err(Error::invalid(format!("Column {c} was not found in table {keyspace}.{name}"))),
                    Some(col) if col.is_primary_key() => {
                        return Err(Error::invalid(format!("Cannot drop PRIMARY KEY column {c}")))
                    }
                    Some(_) => others.retain(|(n, _, _)| n != c),
                }
            }
        }
        ast::AlterTableAction::Rename { if_exists, renames } => {
            for (from, to) in renames {
                match table.column(from) {
                    None if *if_exists => continue,
                    None => return Err(Error::invalid(format!("Column {from} was not found in table {name}"))),
                    Some(col) if !col.is_primary_key() => {
                        return Err(Error::invalid(format!("Cannot rename non PRIMARY KEY column {from}")))
                    }
                    Some(_) => {}
                }
                if table.column(to).is_some() {
                    return Err(Error::invalid(format!(
                        "Cannot rename column {from} to {to} in table '{name}'; another column with that name already exists"
                    )));
                }
                for c in pk.iter_mut() {
                    if &c.0 == from {
                        c.0 = to.clone();
                    }
                }
                for c in ck.iter_mut() {
                    if &c.0 == from {
                        c.0 = to.clone();
                    }
                }
            }
        }
        ast::AlterTableAction::AlterType { .. } => {
            return Err(Error::invalid("Altering column types is no longer supported"));
        }
        ast::AlterTableAction::With(props) => params.apply(props)?,
    }
    let new_table = Table::new(keyspace, name, table.id, pk, ck, others, params);
    let mut new_ks = ks.as_ref().clone();
    new_ks.tables.insert(name.clone(), Arc::new(new_table));
    let mut keyspaces = schema.keyspaces.clone();
    keyspaces.insert(keyspace.to_string(), Arc::new(new_ks));
    Ok(Some(SchemaEdit {
        keyspaces,
        change: change(SchemaChangeType::Updated, keyspace, SchemaChangeTarget::Table(name.clone())),
        actions: vec![],
    }))
}
