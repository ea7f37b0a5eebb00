//! Schema statements: CREATE/ALTER/DROP KEYSPACE and TABLE, TRUNCATE. Each computes the new
//! schema (or nothing, for `IF [NOT] EXISTS` no-ops) and the schema change to announce; the
//! processor persists it, swaps it in and tells the storage engine.

use std::collections::BTreeMap;
use std::sync::Arc;

use cql_parser::ast::{self, PropertyValue, TypeExpr};
use cql_types::CqlType;
use uuid::Uuid;

use crate::schema::{
    quote_identifier, references_udt, replace_udt, ColumnKind, DroppedColumn, Keyspace, Schema, Table, TableParams,
    UserType,
};
use crate::{Error, SchemaChange, SchemaChangeTarget, SchemaChangeType};

/// What the storage engine must do for a schema change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageAction {
    CreateTable(Uuid),
    DropTable(Uuid),
    /// Index the existing rows of the table for a new index (after the new schema is in place, so
    /// writes made meanwhile index themselves).
    BuildIndex {
        keyspace: String,
        table: String,
        index: String,
    },
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
    keyspace: &str,
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
            // Without one, the factor is the previous SimpleStrategy one, else default_keyspace_rf (1).
            if !repl.contains_key("replication_factor") {
                let previous = existing.and_then(|e| e.get("replication_factor")).map_or("1", String::as_str);
                repl.insert("replication_factor".into(), previous.to_string());
            }
            let rf = &repl["replication_factor"];
            if rf.parse::<u32>().is_err() {
                return Err(Error::Config(format!("Replication factor must be non-negative integer; found {rf}")));
            }
            if let Some(other) = repl.keys().find(|k| *k != "replication_factor") {
                return Err(Error::Config(format!(
                    "Unrecognized strategy option {{{other}}} passed to SimpleStrategy for keyspace {keyspace}"
                )));
            }
        }
        "NetworkTopologyStrategy" => {
            for (dc, rf) in &repl {
                if rf.parse::<u32>().is_err() {
                    return Err(Error::Config(format!("Replication factor must be non-negative integer; found {rf}")));
                }
                if dc != "replication_factor" && dc != crate::virtual_tables::DATACENTER {
                    return Err(Error::Config(format!(
                        "Unrecognized strategy option {{{dc}}} passed to NetworkTopologyStrategy for keyspace {keyspace}"
                    )));
                }
            }
        }
        "LocalStrategy" | "EverywhereStrategy" => {
            return Err(Error::Config(
                "Unable to use given strategy class: LocalStrategy is reserved for internal use.".into(),
            ))
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
    let (replication, durable) = replication(&stmt.name, &stmt.properties, None)?;
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
            types: BTreeMap::new(),
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
    let (replication, durable) = replication(&stmt.name, &stmt.properties, Some(&ks.replication))?;
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
        return Err(Error::invalid(format!("Keyspace '{}' doesn't exist", stmt.name)));
    };
    if ks.is_system {
        return Err(Error::Unauthorized(format!("{} keyspace is not user-modifiable.", ks.name)));
    }
    let actions = ks
        .tables
        .values()
        .flat_map(|t| std::iter::once(t.id).chain(t.indexes.iter().map(|i| i.storage_id)))
        .map(StorageAction::DropTable)
        .collect();
    let mut keyspaces = schema.keyspaces.clone();
    keyspaces.remove(&stmt.name);
    Ok(Some(SchemaEdit {
        keyspaces,
        change: change(SchemaChangeType::Dropped, &stmt.name, SchemaChangeTarget::Keyspace),
        actions,
    }))
}

/// A written type resolved against the user types of `keyspace`, with the errors Cassandra's
/// `CQL3Type.Raw.prepare` gives. A bare UDT name is a non-frozen (multi-cell) UDT, as in Cassandra 5.0.
pub fn resolve_type_in(
    t: &TypeExpr,
    keyspace: &str,
    types: &BTreeMap<String, Arc<UserType>>,
) -> Result<CqlType, Error> {
    resolve(t, keyspace, types, false)
}

/// The type as written, as Cassandra's raw types print themselves in error messages.
pub fn raw_type_text(t: &TypeExpr) -> String {
    raw_text(t, false)
}

fn raw_text(t: &TypeExpr, frozen: bool) -> String {
    let wrap = |s: String| if frozen { format!("frozen<{s}>") } else { s };
    match t {
        TypeExpr::Native(n) => n.name().to_string(),
        TypeExpr::List(e) => wrap(format!("list<{}>", raw_text(e, frozen))),
        TypeExpr::Set(e) => wrap(format!("set<{}>", raw_text(e, frozen))),
        TypeExpr::Map(k, v) => wrap(format!("map<{}, {}>", raw_text(k, frozen), raw_text(v, frozen))),
        TypeExpr::Tuple(items) => {
            wrap(format!("tuple<{}>", items.iter().map(|i| raw_text(i, true)).collect::<Vec<_>>().join(", ")))
        }
        TypeExpr::Frozen(inner) => raw_text(inner, true),
        TypeExpr::Vector(e, n) => format!("vector<{}, {n}>", raw_text(e, frozen)),
        TypeExpr::UserDefined(name) => wrap(match &name.keyspace {
            Some(k) => format!("{k}.{}", name.name),
            None => name.name.clone(),
        }),
        TypeExpr::Custom(c) => format!("'{c}'"),
    }
}

/// Whether a written type is frozen as written (`frozen<…>`, a tuple, or anything inside a frozen type).
fn written_frozen(t: &TypeExpr) -> bool {
    matches!(t, TypeExpr::Frozen(_) | TypeExpr::Tuple(_))
}

fn is_counter_expr(t: &TypeExpr) -> bool {
    matches!(t, TypeExpr::Native(cql_types::NativeType::Counter))
}

fn is_duration_expr(t: &TypeExpr) -> bool {
    matches!(t, TypeExpr::Native(cql_types::NativeType::Duration))
}

/// A vector type's dimension as written, refused unless positive (VectorType.getInstance).
pub(crate) fn vector_dimension(written: i32) -> Result<u32, Error> {
    u32::try_from(written)
        .ok()
        .filter(|d| *d > 0)
        .ok_or_else(|| Error::invalid(format!("vectors may only have positive dimensions; given {written}")))
}

fn resolve(
    t: &TypeExpr,
    keyspace: &str,
    types: &BTreeMap<String, Arc<UserType>>,
    frozen: bool,
) -> Result<CqlType, Error> {
    let collection_checks = |elements: &[&TypeExpr], is_set: bool, key: Option<&TypeExpr>| -> Result<(), Error> {
        let this = raw_text(t, frozen);
        for e in elements.iter().copied().chain(key) {
            if !frozen && !written_frozen(e) {
                match e {
                    TypeExpr::List(_) | TypeExpr::Set(_) | TypeExpr::Map(..) => {
                        return Err(Error::invalid(format!(
                            "Non-frozen collections are not allowed inside collections: {this}"
                        )))
                    }
                    TypeExpr::UserDefined(_) => {
                        return Err(Error::invalid(format!(
                            "Non-frozen UDTs are not allowed inside collections: {this}"
                        )))
                    }
                    _ => {}
                }
            }
            if is_counter_expr(e) {
                return Err(Error::invalid(format!("Counters are not allowed inside collections: {this}")));
            }
        }
        if is_set && elements.iter().any(|e| is_duration_expr(e)) {
            return Err(Error::invalid(format!("Durations are not allowed inside sets: {this}")));
        }
        if key.is_some_and(is_duration_expr) {
            return Err(Error::invalid(format!("Durations are not allowed as map keys: {this}")));
        }
        Ok(())
    };
    Ok(match t {
        TypeExpr::Native(n) => CqlType::Native(*n),
        TypeExpr::List(e) => {
            collection_checks(&[e], false, None)?;
            CqlType::List { element: Box::new(resolve(e, keyspace, types, frozen)?), frozen }
        }
        TypeExpr::Set(e) => {
            collection_checks(&[e], true, None)?;
            CqlType::Set { element: Box::new(resolve(e, keyspace, types, frozen)?), frozen }
        }
        TypeExpr::Map(k, v) => {
            collection_checks(&[v], false, Some(k))?;
            CqlType::Map {
                key: Box::new(resolve(k, keyspace, types, frozen)?),
                value: Box::new(resolve(v, keyspace, types, frozen)?),
                frozen,
            }
        }
        TypeExpr::Tuple(items) => {
            CqlType::Tuple(items.iter().map(|i| resolve(i, keyspace, types, true)).collect::<Result<_, _>>()?)
        }
        TypeExpr::Frozen(inner) => {
            if let TypeExpr::Native(n) = inner.as_ref() {
                return Err(Error::invalid(format!(
                    "frozen<> is only allowed on collections, tuples, and user-defined types (got {})",
                    n.name()
                )));
            }
            resolve(inner, keyspace, types, true)?
        }
        TypeExpr::Vector(e, n) => {
            // VectorType.getInstance.
            let dimension = vector_dimension(*n)?;
            CqlType::Vector { element: Box::new(resolve(e, keyspace, types, true)?), dimension }
        }
        TypeExpr::UserDefined(name) => {
            if let Some(k) = &name.keyspace {
                if k != keyspace {
                    return Err(Error::invalid(format!(
                        "Statement on keyspace {keyspace} cannot refer to a user type in keyspace {k}; user types can only be used in the keyspace they are defined in"
                    )));
                }
            }
            match types.get(&name.name) {
                Some(u) => u.as_type(frozen),
                None => return Err(Error::invalid(format!("Unknown type {keyspace}.{}", name.name))),
            }
        }
        TypeExpr::Custom(c) => CqlType::Custom(c.clone()),
    })
}

/// Cassandra 5.0 rejects non-frozen UDT columns whose fields are themselves multi-cell.
fn check_non_frozen_udt(t: &CqlType) -> Result<(), Error> {
    if let CqlType::Udt { fields, frozen: false, .. } = t {
        if fields.iter().any(|(_, f)| f.is_multi_cell()) {
            return Err(Error::invalid("Non-frozen UDTs with nested non-frozen collections are not supported"));
        }
    }
    Ok(())
}

/// True when `t` is or contains a duration.
pub(crate) fn references_duration(t: &CqlType) -> bool {
    match t {
        CqlType::Native(n) => *n == cql_types::NativeType::Duration,
        CqlType::List { element, .. } | CqlType::Set { element, .. } | CqlType::Vector { element, .. } => {
            references_duration(element)
        }
        CqlType::Map { key, value, .. } => references_duration(key) || references_duration(value),
        CqlType::Tuple(items) => items.iter().any(references_duration),
        CqlType::Udt { fields, .. } => fields.iter().any(|(_, f)| references_duration(f)),
        CqlType::Custom(_) => false,
    }
}

/// Cassandra's refusal of a slice (`<`, `<=`, `>`, `>=`) on a column of type `t` that is or holds
/// a duration; `what` is "restrictions" (WHERE) or "conditions" (IF). Durations have no order.
pub(crate) fn check_duration_slice(t: &CqlType, op: cql_parser::ast::Operator, what: &str) -> Result<(), Error> {
    use cql_parser::ast::Operator;
    if !matches!(op, Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte) || !references_duration(t) {
        return Ok(());
    }
    let message = match t {
        CqlType::List { .. } | CqlType::Set { .. } | CqlType::Map { .. } => {
            format!("Slice {what} are not supported on collections containing durations")
        }
        CqlType::Tuple(_) => format!("Slice {what} are not supported on tuples containing durations"),
        CqlType::Udt { .. } => format!("Slice {what} are not supported on UDTs containing durations"),
        _ if what == "restrictions" => "Slice restrictions are not supported on duration columns".to_string(),
        _ => format!("Slice {what} ( {} ) are not supported on durations", op.as_cql()),
    };
    Err(Error::invalid(message))
}

fn udt_cql_name(keyspace: &str, name: &str) -> String {
    format!("{}.{}", quote_identifier(keyspace), quote_identifier(name))
}

fn with_keyspace(
    schema: &Schema,
    ks: Keyspace,
    change_kind: SchemaChangeType,
    target: SchemaChangeTarget,
) -> Option<SchemaEdit> {
    let name = ks.name.clone();
    let mut keyspaces = schema.keyspaces.clone();
    keyspaces.insert(name.clone(), Arc::new(ks));
    Some(SchemaEdit { keyspaces, change: change(change_kind, &name, target), actions: vec![] })
}

fn user_keyspace<'s>(schema: &'s Schema, keyspace: &str) -> Result<Option<&'s Arc<Keyspace>>, Error> {
    match schema.keyspaces.get(keyspace) {
        Some(ks) if ks.is_system => Err(Error::Unauthorized(format!("{keyspace} keyspace is not user-modifiable."))),
        other => Ok(other),
    }
}

/// `CREATE TYPE`.
pub fn create_type(schema: &Schema, stmt: &ast::CreateType, keyspace: &str) -> Result<Option<SchemaEdit>, Error> {
    let Some(ks) = user_keyspace(schema, keyspace)? else {
        return Err(Error::invalid(format!("Keyspace '{keyspace}' doesn't exist")));
    };
    let name = &stmt.name.name;
    if ks.types.contains_key(name) {
        if stmt.if_not_exists {
            return Ok(None);
        }
        return Err(Error::invalid(format!("A user type with name '{name}' already exists")));
    }
    for (i, (f, _)) in stmt.fields.iter().enumerate() {
        if stmt.fields[..i].iter().any(|(g, _)| g == f) {
            return Err(Error::invalid(format!("Duplicate field name '{f}' in type '{name}'")));
        }
    }
    for (_, t) in &stmt.fields {
        if is_counter_expr(t) {
            return Err(Error::invalid("A user type cannot contain counters"));
        }
        if matches!(t, TypeExpr::UserDefined(_)) {
            return Err(Error::invalid("A user type cannot contain non-frozen UDTs"));
        }
    }
    let mut fields = Vec::new();
    for (f, t) in &stmt.fields {
        fields.push((f.clone(), resolve_type_in(t, keyspace, &ks.types)?));
    }
    let mut new_ks = ks.as_ref().clone();
    new_ks
        .types
        .insert(name.clone(), Arc::new(UserType { keyspace: keyspace.to_string(), name: name.clone(), fields }));
    Ok(with_keyspace(schema, new_ks, SchemaChangeType::Created, SchemaChangeTarget::Type(name.clone())))
}

/// The keyspace with `new` replacing its previous definition in every type and table that uses it.
fn with_updated_type(ks: &Keyspace, new: UserType) -> Keyspace {
    let mut out = ks.clone();
    let new = Arc::new(new);
    out.types.insert(new.name.clone(), new.clone());
    for (n, u) in ks.types.iter() {
        if n != &new.name && u.fields.iter().any(|(_, t)| references_udt(t, &new.keyspace, &new.name)) {
            let fields = u.fields.iter().map(|(f, t)| (f.clone(), replace_udt(t, &new))).collect();
            out.types.insert(n.clone(), Arc::new(UserType { fields, ..u.as_ref().clone() }));
        }
    }
    for (n, t) in ks.tables.iter() {
        if t.columns.iter().any(|c| references_udt(&c.typ, &new.keyspace, &new.name)) {
            let mut table = t.as_ref().clone();
            for c in table.columns.iter_mut() {
                c.typ = replace_udt(&c.typ, &new);
            }
            out.tables.insert(n.clone(), Arc::new(table));
        }
    }
    // A type nested in another type of the keyspace was updated above; propagate those too.
    let changed: Vec<Arc<UserType>> = out
        .types
        .values()
        .filter(|u| u.name != new.name && ks.types.get(&u.name).map(|old| old != *u).unwrap_or(false))
        .cloned()
        .collect();
    for c in changed {
        out = with_updated_type(&out, c.as_ref().clone());
    }
    out
}

/// `ALTER TYPE … ADD` / `RENAME`.
pub fn alter_type(schema: &Schema, stmt: &ast::AlterType, keyspace: &str) -> Result<Option<SchemaEdit>, Error> {
    let ks = user_keyspace(schema, keyspace)?;
    let name = &stmt.name.name;
    let Some(old) = ks.and_then(|k| k.types.get(name)) else {
        if stmt.if_exists {
            return Ok(None);
        }
        return Err(Error::invalid(format!("Type {keyspace}.{name} doesn't exist")));
    };
    let ks = ks.map(|k| k.as_ref()).ok_or_else(|| Error::invalid(format!("Type {keyspace}.{name} doesn't exist")))?;
    let cql_name = udt_cql_name(keyspace, name);
    let mut new = old.as_ref().clone();
    match &stmt.action {
        ast::AlterTypeAction::Add { if_not_exists, field, typ } => {
            if old.field_position(field).is_some() {
                if *if_not_exists {
                    return Ok(None);
                }
                return Err(Error::invalid(format!(
                    "Cannot add field {field} to type {cql_name}: a field with name {field} already exists"
                )));
            }
            let resolved = resolve_type_in(typ, keyspace, &ks.types)?;
            if references_udt(&resolved, keyspace, name) {
                return Err(Error::invalid(format!(
                    "Cannot add new field {field} of type {} to user type {cql_name} as it would create a circular reference",
                    raw_type_text(typ)
                )));
            }
            let in_pk: Vec<String> = ks
                .tables
                .values()
                .filter(|t| t.partition_key().iter().any(|c| references_udt(&c.typ, keyspace, name)))
                .map(|t| format!("{}.{}", t.keyspace, t.name))
                .collect();
            if !in_pk.is_empty() {
                return Err(Error::invalid(format!(
                    "Cannot add new field {field} of type {} to user type {cql_name} as the type is being used in partition key by the following tables: {}",
                    raw_type_text(typ),
                    in_pk.join(", ")
                )));
            }
            new.fields.push((field.clone(), resolved));
        }
        ast::AlterTypeAction::Rename { if_exists, renames } => {
            for (from, to) in renames {
                match old.field_position(from) {
                    Some(i) => new.fields[i].0 = to.clone(),
                    None if *if_exists => {}
                    None => return Err(Error::invalid(format!("Unkown field {from} in user type {cql_name}"))),
                }
            }
            for (f, _) in &new.fields {
                if new.fields.iter().filter(|(g, _)| g == f).count() > 1 {
                    // Cassandra formats this message with the keyspace where the type name was meant.
                    return Err(Error::invalid(format!("Duplicate field name {f} in type {keyspace}")));
                }
            }
        }
    }
    if new == **old {
        return Ok(None);
    }
    let new_ks = with_updated_type(ks, new);
    Ok(with_keyspace(schema, new_ks, SchemaChangeType::Updated, SchemaChangeTarget::Type(name.clone())))
}

/// `DROP TYPE`.
pub fn drop_type(schema: &Schema, stmt: &ast::DropType, keyspace: &str) -> Result<Option<SchemaEdit>, Error> {
    let ks = user_keyspace(schema, keyspace)?;
    let name = &stmt.name.name;
    let Some(ks) = ks.filter(|k| k.types.contains_key(name)) else {
        if stmt.if_exists {
            return Ok(None);
        }
        return Err(Error::invalid(format!("Type '{keyspace}.{name}' doesn't exist")));
    };
    let by_types: Vec<&str> = ks
        .types
        .values()
        .filter(|u| u.name != *name && u.fields.iter().any(|(_, t)| references_udt(t, keyspace, name)))
        .map(|u| u.name.as_str())
        .collect();
    if !by_types.is_empty() {
        return Err(Error::invalid(format!(
            "Cannot drop user type '{keyspace}.{name}' as it is still used by user types {}",
            by_types.join(", ")
        )));
    }
    let by_tables: Vec<&str> = ks
        .tables
        .values()
        .filter(|t| t.columns.iter().any(|c| references_udt(&c.typ, keyspace, name)))
        .map(|t| t.name.as_str())
        .collect();
    if !by_tables.is_empty() {
        return Err(Error::invalid(format!(
            "Cannot drop user type '{keyspace}.{name}' as it is still used by tables {}",
            by_tables.join(", ")
        )));
    }
    let mut new_ks = ks.as_ref().clone();
    new_ks.types.remove(name);
    Ok(with_keyspace(schema, new_ks, SchemaChangeType::Dropped, SchemaChangeTarget::Type(name.clone())))
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
    let written_name = match &stmt.name.keyspace {
        Some(k) => format!("{k}.{name}"),
        None => name.clone(),
    };
    let mut columns: Vec<(String, CqlType, bool)> = Vec::new();
    for c in &stmt.columns {
        if columns.iter().any(|(n, _, _)| n == &c.name) {
            return Err(Error::invalid(format!(
                "Duplicate column '{}' declaration for table '{written_name}'",
                c.name
            )));
        }
        let typ = resolve_type_in(&c.typ, keyspace, &ks.types)?;
        check_non_frozen_udt(&typ)?;
        columns.push((c.name.clone(), typ, c.is_static));
    }
    let inline: Vec<&ast::ColumnDef> = stmt.columns.iter().filter(|c| c.primary_key).collect();
    let key = match (&stmt.primary_key, inline.as_slice()) {
        (Some(pk), []) => pk.clone(),
        (None, [c]) => ast::PrimaryKey { partition_key: vec![c.name.clone()], clustering: vec![] },
        (None, []) => {
            return Err(Error::invalid(format!(
                "No PRIMARY KEY specifed for table '{written_name}' (exactly one required)"
            )))
        }
        _ => {
            return Err(Error::invalid(format!(
                "Multiple PRIMARY KEY specified for table '{written_name}' (exactly one required)"
            )))
        }
    };
    let mut seen_key: Vec<&String> = Vec::new();
    for n in key.partition_key.iter().chain(&key.clustering) {
        let Some((_, t, is_static)) = columns.iter().find(|(c, _, _)| c == n) else {
            return Err(Error::invalid(format!("Unknown column '{n}' referenced in PRIMARY KEY for table '{name}'")));
        };
        if seen_key.contains(&n) {
            return Err(Error::invalid(format!("Duplicate column '{n}' in PRIMARY KEY clause for table '{name}'")));
        }
        seen_key.push(n);
        if t.is_multi_cell() {
            let what = if matches!(t, CqlType::Udt { .. }) { "user-defined type" } else { "collection type" };
            return Err(Error::invalid(format!("Invalid non-frozen {what} {t} for PRIMARY KEY column '{n}'")));
        }
        if t.is_counter() {
            return Err(Error::invalid(format!("counter type is not supported for PRIMARY KEY column '{n}'")));
        }
        if references_duration(t) {
            return Err(Error::invalid(format!("duration type is not supported for PRIMARY KEY column '{n}'")));
        }
        if *is_static {
            return Err(Error::invalid(format!("Static column '{n}' cannot be part of the PRIMARY KEY")));
        }
    }
    let mut take = |n: &str| -> (String, CqlType) {
        match columns.iter().position(|(c, _, _)| c == n) {
            Some(i) => {
                let (n, t, _) = columns.remove(i);
                (n, t)
            }
            None => (n.to_string(), CqlType::BLOB),
        }
    };
    let pk: Vec<(String, CqlType)> = key.partition_key.iter().map(|n| take(n)).collect();
    let order: BTreeMap<&str, bool> =
        stmt.clustering_order.iter().map(|(n, o)| (n.as_str(), *o == ast::Order::Desc)).collect();
    let ck: Vec<(String, CqlType, bool)> = key
        .clustering
        .iter()
        .map(|n| {
            let (n, t) = take(n);
            let reversed = order.get(n.as_str()).copied().unwrap_or(false);
            (n, t, reversed)
        })
        .collect();
    if stmt.clustering_order.len() > key.clustering.len() {
        return Err(Error::invalid("Only clustering columns can be defined in CLUSTERING ORDER directive"));
    }
    for (i, (id, _)) in stmt.clustering_order.iter().enumerate() {
        let c = &key.clustering[i];
        if id != c {
            if stmt.clustering_order.iter().any(|(o, _)| o == c) {
                return Err(Error::invalid(format!(
                    "The order of columns in the CLUSTERING ORDER directive must match that of the clustering columns ({c} must appear before {id})"
                )));
            }
            return Err(Error::invalid(format!("Missing CLUSTERING ORDER for column {c}")));
        }
    }
    if ck.is_empty() && columns.iter().any(|(_, _, s)| *s) {
        return Err(Error::invalid(
            "Static columns are only useful (and thus allowed) if the table has at least one clustering column",
        ));
    }
    let has_counters = stmt.columns.iter().any(|c| is_counter_expr(&c.typ));
    if has_counters && columns.iter().any(|(_, t, _)| !t.is_counter()) {
        return Err(Error::invalid("Cannot mix counter and non counter columns in the same table"));
    }
    let mut params = TableParams::default();
    params.apply(&stmt.properties)?;
    validate_storage_options(&params)?;
    if has_counters && params.default_time_to_live > 0 {
        return Err(Error::invalid("Cannot set default_time_to_live on a table with counters"));
    }
    let id = Uuid::new_v4();
    let table = Table::new(keyspace, name, id, pk, ck, columns, params);
    let keyspaces = schema.keyspaces_with_table(ks, table);
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
    let mut actions = vec![StorageAction::DropTable(table.id)];
    actions.extend(table.indexes.iter().map(|i| StorageAction::DropTable(i.storage_id)));
    let mut new_ks = ks.as_ref().clone();
    new_ks.tables.remove(name);
    let mut keyspaces = schema.keyspaces.clone();
    keyspaces.insert(keyspace.to_string(), Arc::new(new_ks));
    Ok(Some(SchemaEdit {
        keyspaces,
        change: change(SchemaChangeType::Dropped, keyspace, SchemaChangeTarget::Table(name.clone())),
        actions,
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
    let mut dropped = table.dropped.clone();
    match &stmt.action {
        ast::AlterTableAction::Add { if_not_exists, columns } => {
            for c in columns {
                if table.column(&c.name).is_some() || others.iter().any(|(n, _, _)| n == &c.name) {
                    if *if_not_exists {
                        continue;
                    }
                    return Err(Error::invalid(format!("Column with name '{}' already exists", c.name)));
                }
                let typ = resolve_type_in(&c.typ, keyspace, &ks.types)?;
                if c.is_static && table.clustering_count == 0 {
                    return Err(Error::invalid(
                        "Static columns are only useful (and thus allowed) if the table has at least one clustering column",
                    ));
                }
                if check_non_frozen_udt(&typ).is_err() {
                    return Err(Error::invalid(format!(
                        "Non-frozen UDTs with nested non-frozen collections are not supported for column {}",
                        c.name
                    )));
                }
                if let Some(d) = table.dropped.get(&c.name) {
                    check_readd(&c.name, d, &typ, c.is_static)?;
                }
                if table.is_counter() && !typ.is_counter() {
                    return Err(Error::Config(format!(
                        "Cannot have a non counter column (\"{}\") in a counter table",
                        c.name
                    )));
                }
                if !table.is_counter() && typ.is_counter() {
                    return Err(Error::Config(format!(
                        "Cannot have a counter column (\"{}\") in a non counter table",
                        c.name
                    )));
                }
                others.push((c.name.clone(), typ, c.is_static));
            }
        }
        ast::AlterTableAction::Drop { if_exists, columns, timestamp } => {
            let dropped_time = match timestamp {
                Some(ast::Term::Literal(l)) => {
                    l.text.parse::<i64>().map_err(|_| Error::invalid(format!("Invalid timestamp {}", l.text)))?
                }
                Some(_) => return Err(Error::invalid("Invalid timestamp for ALTER TABLE DROP")),
                None => crate::clock::write_timestamp(),
            };
            for c in columns {
                match table.column(c) {
                    None if *if_exists => continue,
                    None => return Err(Error::invalid(format!("Column {c} was not found in table {keyspace}.{name}"))),
                    Some(col) if col.is_primary_key() => {
                        return Err(Error::invalid(format!("Cannot drop PRIMARY KEY column {c}")))
                    }
                    Some(col) if matches!(col.typ, CqlType::Udt { frozen: false, .. }) => {
                        return Err(Error::invalid(format!(
                            "Cannot drop non-frozen column {c} of user type {}",
                            col.typ
                        )))
                    }
                    Some(col) => {
                        crate::index::ddl::check_no_dependent_index(table, c, "drop")?;
                        others.retain(|(n, _, _)| n != c);
                        let record = DroppedColumn {
                            dropped_time,
                            typ: col.typ.to_string(),
                            is_static: col.kind == ColumnKind::Static,
                        };
                        dropped.insert(c.clone(), record);
                    }
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
                    Some(_) => crate::index::ddl::check_no_dependent_index(table, from, "rename")?,
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
        ast::AlterTableAction::With(props) => {
            params.apply(props)?;
            validate_storage_options(&params)?;
        }
    }
    let mut new_table = Table::new(keyspace, name, table.id, pk, ck, others, params);
    new_table.indexes = table.indexes.clone();
    new_table.dropped = dropped;
    let keyspaces = schema.keyspaces_with_table(ks, new_table);
    Ok(Some(SchemaEdit {
        keyspaces,
        change: change(SchemaChangeType::Updated, keyspace, SchemaChangeTarget::Table(name.clone())),
        actions: vec![],
    }))
}

/// Cassandra refuses to add a column again with another kind or an incompatible type than the
/// dropped column of that name had.
fn check_readd(name: &str, d: &DroppedColumn, typ: &CqlType, is_static: bool) -> Result<(), Error> {
    let kind = |s: bool| if s { "STATIC" } else { "REGULAR" };
    if d.is_static != is_static {
        return Err(Error::invalid(format!(
            "Cannot re-add previously dropped column '{name}' of kind {}, incompatible with previous kind {}",
            kind(is_static),
            kind(d.is_static)
        )));
    }
    if d.typ != typ.to_string() {
        return Err(Error::invalid(format!(
            "Cannot re-add previously dropped column '{name}' of type {typ}, incompatible with previous type {}",
            d.typ
        )));
    }
    Ok(())
}

/// Refuses compaction and compression options the storage engine cannot honour, with the
/// ConfigurationException Cassandra gives.
fn validate_storage_options(params: &TableParams) -> Result<(), Error> {
    storage::TableOptions::from_cassandra_maps(&params.compaction, &params.compression)
        .map(|_| ())
        .map_err(|e| Error::Config(e.0))
}

#[cfg(test)]
mod tests {
    use super::vector_dimension;

    #[test]
    fn a_vector_dimension_must_be_positive() {
        assert_eq!(vector_dimension(3).ok(), Some(3));
        for written in [0, -18] {
            let err = vector_dimension(written).unwrap_err();
            assert!(
                err.to_string().contains(&format!("vectors may only have positive dimensions; given {written}")),
                "{err}"
            );
        }
    }
}
