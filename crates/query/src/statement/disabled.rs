//! Materialized views, user-defined functions and aggregates, and triggers: answered as Cassandra 5.0
//! answers them with its default `cassandra.yaml` (`materialized_views_enabled: false`,
//! `user_defined_functions_enabled: false`) and no trigger classes installed. No such object can
//! exist here, so every statement ends in the error Cassandra gives at the same step, or, with
//! `IF EXISTS`, in nothing.
//!
//! The steps follow Cassandra: `Raw.prepare` ([`prepare`]: the keyspace, and for views the checks
//! made before execution), then the statement's `authorize`, then `AlterSchemaStatement.execute`
//! (system and virtual keyspaces, the keyspace name), then `apply`.

use cql_parser::ast::{self, Statement, TypeExpr};

use crate::schema::Schema;
use crate::statement::ddl::{raw_type_text, resolve_type_in};
use crate::Error;

const NO_KEYSPACE: &str = "No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename";

/// `SchemaConstants.isLocalSystemKeyspace`: the local system keyspaces and the virtual ones.
const LOCAL_SYSTEM_KEYSPACES: &[&str] = &["system", "system_schema", "system_views", "system_virtual_schema"];
/// `SchemaConstants.isReplicatedSystemKeyspace`.
const REPLICATED_SYSTEM_KEYSPACES: &[&str] = &["system_auth", "system_distributed", "system_traces"];

fn is_local_system(keyspace: &str) -> bool {
    LOCAL_SYSTEM_KEYSPACES.contains(&keyspace.to_lowercase().as_str())
}

/// Whether the statement is one this module answers.
pub fn handles(statement: &Statement) -> bool {
    matches!(
        statement,
        Statement::CreateView(_)
            | Statement::AlterView(_)
            | Statement::DropView(_)
            | Statement::CreateFunction(_)
            | Statement::DropFunction(_)
            | Statement::CreateAggregate(_)
            | Statement::DropAggregate(_)
            | Statement::CreateTrigger(_)
            | Statement::DropTrigger(_)
    )
}

/// The checks of the statement's `Raw.prepare` (made for PREPARE as for QUERY); `current` is the
/// session's (or request's) keyspace. Other statements pass.
pub fn prepare(statement: &Statement, current: Option<&str>) -> Result<(), Error> {
    if !handles(statement) {
        return Ok(());
    }
    let keyspace = keyspace_of(statement, current)?;
    if let Statement::CreateView(v) = statement {
        prepare_view(v, &keyspace)?;
    }
    Ok(())
}

/// Runs the statement: `Ok(())` is a no-op (`IF EXISTS` on nothing), anything else Cassandra's error.
pub fn execute(schema: &Schema, statement: &Statement, current: Option<&str>) -> Result<(), Error> {
    prepare(statement, current)?;
    let keyspace = keyspace_of(statement, current)?;
    if let Statement::CreateView(v) = statement {
        // `ClientState.ensureTablePermission(ks, base, ALTER)`: `preventSystemKSSchemaModification`
        // applies even with authorization off.
        if is_local_system(&keyspace) {
            return Err(Error::Unauthorized(format!("{keyspace} keyspace is not user-modifiable.")));
        }
        if REPLICATED_SYSTEM_KEYSPACES.contains(&keyspace.to_lowercase().as_str()) {
            return Err(Error::Unauthorized(format!("Cannot ALTER <table {keyspace}.{}>", v.base.name)));
        }
    }
    check_modifiable(&keyspace)?;
    let exists = schema.keyspaces.get(&keyspace);
    match statement {
        Statement::CreateView(_) => {
            Err(Error::invalid("Materialized views are disabled. Enable in cassandra.yaml to use."))
        }
        Statement::AlterView(ast::AlterView { name, if_exists, .. })
        | Statement::DropView(ast::DropView { name, if_exists }) => {
            missing(*if_exists, format!("Materialized view '{keyspace}.{}' doesn't exist", name.name))
        }
        Statement::CreateFunction(f) => {
            if f.or_replace && f.if_not_exists {
                return Err(both_directives());
            }
            Err(Error::invalid(
                "User-defined functions are disabled in cassandra.yaml - set user_defined_functions_enabled=true to enable",
            ))
        }
        Statement::DropFunction(d) | Statement::DropAggregate(d) => {
            let what = if matches!(statement, Statement::DropFunction(_)) { "Function" } else { "Aggregate" };
            let name = match &d.arguments {
                Some(args) => format!("{keyspace}.{}({})", d.name.name, type_list(args)),
                None => format!("{keyspace}.{}", d.name.name),
            };
            let Some(ks) = exists else {
                return missing(d.if_exists, format!("{what} '{name}' doesn't exist"));
            };
            for t in d.arguments.iter().flatten() {
                refuse_frozen(t, "Argument")?;
                resolve_type_in(t, &keyspace, &ks.types)?;
            }
            missing(d.if_exists, format!("{what} '{name}' doesn't exist"))
        }
        Statement::CreateAggregate(a) => {
            if a.or_replace && a.if_not_exists {
                return Err(both_directives());
            }
            for t in &a.arguments {
                refuse_frozen(t, "Argument")?;
            }
            refuse_frozen(&a.state_type, "State type")?;
            let Some(ks) = exists else {
                return Err(Error::invalid(format!("Keyspace '{keyspace}' doesn't exist")));
            };
            for t in a.arguments.iter().chain(std::iter::once(&a.state_type)) {
                resolve_type_in(t, &keyspace, &ks.types)?;
            }
            let signature: Vec<TypeExpr> = std::iter::once(a.state_type.clone()).chain(a.arguments.clone()).collect();
            Err(Error::invalid(format!(
                "State function {keyspace}.{}({}) doesn't exist",
                a.state_function,
                type_list(&signature)
            )))
        }
        Statement::CreateTrigger(t) => {
            let Some(ks) = exists else {
                return Err(Error::invalid(format!("Keyspace '{keyspace}' doesn't exist")));
            };
            if !ks.tables.contains_key(&t.table.name) {
                return Err(Error::invalid(format!("Table '{}' doesn't exist", t.table.name)));
            }
            Err(Error::invalid(format!("Trigger class '{}' couldn't be loaded", t.class)))
        }
        Statement::DropTrigger(t) => {
            missing(t.if_exists, format!("Trigger '{}' on '{keyspace}.{}' doesn't exist", t.name, t.table.name))
        }
        _ => Ok(()),
    }
}

/// The keyspace the statement is about: the one its name carries, else the current one.
fn keyspace_of(statement: &Statement, current: Option<&str>) -> Result<String, Error> {
    let name = match statement {
        Statement::CreateView(v) => &v.name,
        Statement::AlterView(v) => &v.name,
        Statement::DropView(v) => &v.name,
        Statement::CreateFunction(f) => &f.name,
        Statement::DropFunction(d) | Statement::DropAggregate(d) => &d.name,
        Statement::CreateAggregate(a) => &a.name,
        Statement::CreateTrigger(t) => &t.table,
        Statement::DropTrigger(t) => &t.table,
        _ => return Err(Error::invalid(NO_KEYSPACE)),
    };
    name.keyspace.clone().or_else(|| current.map(str::to_string)).ok_or_else(|| Error::invalid(NO_KEYSPACE))
}

/// `CreateViewStatement.Raw`: duplicate clustering orders (refused while parsing), the base table's
/// keyspace, bind markers.
fn prepare_view(v: &ast::CreateView, keyspace: &str) -> Result<(), Error> {
    for (n, (column, _)) in v.clustering_order.iter().enumerate() {
        if v.clustering_order[..n].iter().any(|(c, _)| c == column) {
            let written = match &v.name.keyspace {
                Some(k) => format!("{k}.{}", v.name.name),
                None => v.name.name.clone(),
            };
            return Err(Error::invalid(format!(
                "Duplicate column '{column}' in CLUSTERING ORDER BY clause for view '{written}'"
            )));
        }
    }
    if v.base.keyspace.as_deref().is_some_and(|k| k != keyspace) {
        return Err(Error::invalid("Cannot create a materialized view on a table in a different keyspace"));
    }
    if v.bind_markers > 0 {
        return Err(Error::invalid("Bind variables are not allowed in CREATE MATERIALIZED VIEW statements"));
    }
    Ok(())
}

/// `AlterSchemaStatement.execute`: system keyspaces (virtual ones included), then the keyspace name.
fn check_modifiable(keyspace: &str) -> Result<(), Error> {
    if is_local_system(keyspace) {
        return Err(Error::invalid(format!("System keyspace '{keyspace}' is not user-modifiable")));
    }
    let valid =
        !keyspace.is_empty() && keyspace.len() <= 48 && keyspace.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(Error::invalid(format!(
            "Keyspace name must not be empty, more than 48 characters long, or contain non-alphanumeric-underscore characters (got '{keyspace}')"
        )));
    }
    Ok(())
}

/// Nothing to act on: fine with `IF EXISTS`, else the error.
fn missing(if_exists: bool, message: String) -> Result<(), Error> {
    if if_exists {
        Ok(())
    } else {
        Err(Error::invalid(message))
    }
}

fn both_directives() -> Error {
    Error::invalid("Cannot use both 'OR REPLACE' and 'IF NOT EXISTS' directives")
}

/// Function arguments and aggregate states are never written `frozen<…>`.
fn refuse_frozen(t: &TypeExpr, what: &str) -> Result<(), Error> {
    if matches!(t, TypeExpr::Frozen(_)) {
        let text = raw_type_text(t);
        return Err(Error::invalid(format!(
            "{what} '{text}' cannot be frozen; remove frozen<> modifier from '{text}'"
        )));
    }
    Ok(())
}

fn type_list(types: &[TypeExpr]) -> String {
    types.iter().map(raw_type_text).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use crate::schema::Keyspace;

    fn schema_with(keyspace: &str) -> Schema {
        let ks = Keyspace {
            name: keyspace.into(),
            replication: BTreeMap::new(),
            durable_writes: true,
            tables: BTreeMap::new(),
            types: BTreeMap::new(),
            is_system: false,
            is_virtual: false,
        };
        Schema { keyspaces: [(keyspace.to_string(), Arc::new(ks))].into_iter().collect(), version: Default::default() }
    }

    fn run(src: &str) -> Result<(), Error> {
        execute(&schema_with("ks"), &cql_parser::parse_statement(src).unwrap(), Some("ks"))
    }

    fn message(src: &str) -> String {
        match run(src) {
            Err(e) => e.to_string(),
            Ok(()) => panic!("{src} succeeded"),
        }
    }

    #[test]
    fn views_are_disabled_even_on_an_unknown_keyspace() {
        assert_eq!(
            message("CREATE MATERIALIZED VIEW nope.v AS SELECT * FROM t WHERE k IS NOT NULL PRIMARY KEY (k)"),
            "Materialized views are disabled. Enable in cassandra.yaml to use."
        );
    }

    #[test]
    fn a_view_on_a_table_of_another_keyspace_is_refused_first() {
        assert_eq!(
            message("CREATE MATERIALIZED VIEW ks.v AS SELECT * FROM other.t PRIMARY KEY (k)"),
            "Cannot create a materialized view on a table in a different keyspace"
        );
    }

    #[test]
    fn a_view_with_bind_markers_is_refused() {
        let s =
            cql_parser::parse_statement("CREATE MATERIALIZED VIEW v AS SELECT * FROM t WHERE k = ? PRIMARY KEY (k)")
                .unwrap();
        assert_eq!(
            prepare(&s, Some("ks")).unwrap_err().to_string(),
            "Bind variables are not allowed in CREATE MATERIALIZED VIEW statements"
        );
    }

    #[test]
    fn a_view_in_a_system_keyspace_is_unauthorized() {
        let e = run("CREATE MATERIALIZED VIEW system.v AS SELECT * FROM local PRIMARY KEY (key)").unwrap_err();
        assert_eq!(e, Error::Unauthorized("system keyspace is not user-modifiable.".into()));
    }

    #[test]
    fn a_view_in_a_replicated_system_keyspace_is_unauthorized() {
        let e = run("CREATE MATERIALIZED VIEW system_auth.v AS SELECT * FROM roles PRIMARY KEY (role)").unwrap_err();
        assert_eq!(e, Error::Unauthorized("Cannot ALTER <table system_auth.roles>".into()));
    }

    #[test]
    fn virtual_keyspaces_are_system_keyspaces() {
        assert_eq!(
            message("DROP MATERIALIZED VIEW system_views.v"),
            "System keyspace 'system_views' is not user-modifiable"
        );
    }

    #[test]
    fn dropping_a_missing_view_names_it_unless_if_exists() {
        assert_eq!(message("DROP MATERIALIZED VIEW v"), "Materialized view 'ks.v' doesn't exist");
        assert_eq!(message("ALTER MATERIALIZED VIEW v WITH comment = ''"), "Materialized view 'ks.v' doesn't exist");
        assert_eq!(run("DROP MATERIALIZED VIEW IF EXISTS v"), Ok(()));
    }

    #[test]
    fn functions_are_disabled() {
        assert_eq!(
            message("CREATE FUNCTION f(a int) CALLED ON NULL INPUT RETURNS int LANGUAGE java AS 'return a;'"),
            "User-defined functions are disabled in cassandra.yaml - set user_defined_functions_enabled=true to enable"
        );
        assert_eq!(
            message(
                "CREATE OR REPLACE FUNCTION IF NOT EXISTS f() CALLED ON NULL INPUT RETURNS int LANGUAGE java AS ''"
            ),
            "Cannot use both 'OR REPLACE' and 'IF NOT EXISTS' directives"
        );
    }

    #[test]
    fn dropping_a_missing_function_or_aggregate_names_its_signature() {
        assert_eq!(message("DROP FUNCTION f"), "Function 'ks.f' doesn't exist");
        assert_eq!(message("DROP FUNCTION f(int, list<text>)"), "Function 'ks.f(int, list<text>)' doesn't exist");
        assert_eq!(message("DROP AGGREGATE nope.a()"), "Aggregate 'nope.a()' doesn't exist");
        assert_eq!(run("DROP FUNCTION IF EXISTS f(int)"), Ok(()));
        assert_eq!(
            message("DROP FUNCTION f(frozen<list<int>>)"),
            "Argument 'frozen<list<int>>' cannot be frozen; remove frozen<> modifier from 'frozen<list<int>>'"
        );
    }

    #[test]
    fn native_functions_live_in_the_system_keyspace() {
        assert_eq!(message("DROP FUNCTION system.now"), "System keyspace 'system' is not user-modifiable");
    }

    #[test]
    fn an_aggregate_needs_its_state_function() {
        assert_eq!(
            message("CREATE AGGREGATE a(int) SFUNC s STYPE bigint INITCOND 0"),
            "State function ks.s(bigint, int) doesn't exist"
        );
        assert_eq!(message("CREATE AGGREGATE nope.a(int) SFUNC s STYPE int"), "Keyspace 'nope' doesn't exist");
    }

    #[test]
    fn triggers_cannot_be_loaded_or_found() {
        assert_eq!(message("CREATE TRIGGER tr ON t USING 'C'"), "Table 't' doesn't exist");
        assert_eq!(message("DROP TRIGGER tr ON t"), "Trigger 'tr' on 'ks.t' doesn't exist");
        assert_eq!(run("DROP TRIGGER IF EXISTS tr ON t"), Ok(()));
    }

    #[test]
    fn without_a_keyspace_the_statement_cannot_be_prepared() {
        let s = cql_parser::parse_statement("DROP FUNCTION f").unwrap();
        assert_eq!(prepare(&s, None).unwrap_err().to_string(), NO_KEYSPACE);
    }
}
