//! Authorization of data statements: the permission each needs on which resource (as the
//! `authorize` methods of Cassandra's statements), the system keyspace rules of `ClientState`, and
//! the permissions a creator gets on what it creates.

use cql_parser::ast::{QualifiedName, Statement};

use super::resource::{Permission, Resource};
use super::store;
use crate::schema::Schema;
use crate::{ClientState, Error, Outcome, QueryProcessor, QueryResult, SchemaChangeTarget, SchemaChangeType};

/// System keyspaces that exist on every node and can never be changed.
const LOCAL_SYSTEM_KEYSPACES: &[&str] = &["system", "system_schema", "system_views", "system_virtual_schema"];
/// System keyspaces Cassandra replicates: their replication can be altered, nothing else.
const REPLICATED_SYSTEM_KEYSPACES: &[&str] = &["system_auth", "system_distributed", "system_traces"];

/// Tables every logged-in user may read, as drivers and tools need them (`READABLE_SYSTEM_RESOURCES`).
fn always_readable(keyspace: &str, table: &str) -> bool {
    match keyspace {
        "system" => matches!(table, "local" | "peers" | "peers_v2" | "size_estimates" | "table_estimates"),
        "system_schema" | "system_virtual_schema" | "system_traces" => true,
        _ => false,
    }
}

/// `SchemaConstants.isSystemKeyspace`: the keyspaces of the system, local, replicated or virtual.
pub(crate) fn is_system_keyspace(keyspace: &str) -> bool {
    LOCAL_SYSTEM_KEYSPACES.contains(&keyspace) || REPLICATED_SYSTEM_KEYSPACES.contains(&keyspace)
}

/// What a data statement needs: (permission, resource, keyspace the check is about).
fn requirements(
    schema: &Schema,
    state: &ClientState,
    statement: &Statement,
    keyspace: Option<&str>,
) -> Vec<(Permission, Resource)> {
    let ks_of = |name: &QualifiedName| -> Option<String> {
        name.keyspace.clone().or_else(|| keyspace.map(str::to_string)).or_else(|| state.keyspace.clone())
    };
    // DML on a table that does not exist fails on its own, before any permission check.
    let table = |name: &QualifiedName| -> Option<Resource> {
        let ks = ks_of(name)?;
        schema.table(&ks, &name.name).ok()?;
        Some(Resource::Table(ks, name.name.clone()))
    };
    // Schema statements and TRUNCATE are authorized before they look the table up.
    let named_table = |name: &QualifiedName| ks_of(name).map(|k| Resource::Table(k, name.name.clone()));
    // `ClientState.ensureAllTablesPermission`: tables and types are created, altered and dropped
    // under `<all tables in ks>`.
    let all_tables = |name: &QualifiedName| ks_of(name).map(Resource::AllTables);
    let mut out = Vec::new();
    let mut need = |p: Permission, r: Option<Resource>| {
        if let Some(r) = r {
            out.push((p, r));
        }
    };
    match statement {
        Statement::Select(s) => need(Permission::Select, table(&s.table)),
        Statement::Insert(s) => {
            need(Permission::Modify, table(&s.table));
            if s.if_not_exists {
                need(Permission::Select, table(&s.table));
            }
        }
        Statement::Update(s) => {
            need(Permission::Modify, table(&s.table));
            if s.conditions.is_some() {
                need(Permission::Select, table(&s.table));
            }
        }
        Statement::Delete(s) => {
            need(Permission::Modify, table(&s.table));
            if s.conditions.is_some() {
                need(Permission::Select, table(&s.table));
            }
        }
        Statement::Batch(b) => {
            for s in &b.statements {
                for r in requirements(schema, state, s, keyspace) {
                    need(r.0, Some(r.1));
                }
            }
        }
        Statement::Truncate(name) => need(Permission::Modify, named_table(name)),
        Statement::CreateKeyspace(_) => need(Permission::Create, Some(Resource::AllKeyspaces)),
        Statement::AlterKeyspace(s) => need(Permission::Alter, Some(Resource::Keyspace(s.name.clone()))),
        Statement::DropKeyspace(s) => need(Permission::Drop, Some(Resource::Keyspace(s.name.clone()))),
        Statement::CreateTable(s) => need(Permission::Create, all_tables(&s.name)),
        Statement::AlterTable(s) => need(Permission::Alter, named_table(&s.name)),
        Statement::DropTable(s) => need(Permission::Drop, named_table(&s.name)),
        Statement::CreateType(s) => need(Permission::Create, all_tables(&s.name)),
        Statement::AlterType(s) => need(Permission::Alter, all_tables(&s.name)),
        Statement::DropType(s) => need(Permission::Drop, all_tables(&s.name)),
        Statement::CreateIndex(s) => need(Permission::Alter, named_table(&s.table)),
        Statement::DropIndex(s) => {
            let indexed = ks_of(&s.name).and_then(|ks| {
                let k = schema.keyspaces.get(&ks)?;
                let t = k.tables.values().find(|t| t.indexes.iter().any(|i| i.name == s.name.name))?;
                Some(Resource::Table(ks, t.name.clone()))
            });
            need(Permission::Alter, indexed)
        }
        // `CreateViewStatement.authorize`: ALTER on the base table, in the view's keyspace (a base
        // in another keyspace is refused before any permission check).
        Statement::CreateView(s) => {
            let base = ks_of(&s.name)
                .filter(|k| s.base.keyspace.as_ref().is_none_or(|b| b == k))
                .map(|k| Resource::Table(k, s.base.name.clone()));
            need(Permission::Alter, base)
        }
        // No user function exists to be replaced, so creating one needs CREATE on the keyspace's functions.
        Statement::CreateFunction(s) => need(Permission::Create, ks_of(&s.name).map(Resource::KeyspaceFunctions)),
        Statement::CreateAggregate(s) => need(Permission::Create, ks_of(&s.name).map(Resource::KeyspaceFunctions)),
        _ => {}
    }
    out
}

/// `ClientState.preventSystemKSSchemaModification`: schema changes in system keyspaces.
fn prevent_system_keyspace_modification(permission: Permission, resource: &Resource) -> Result<(), Error> {
    if !matches!(permission, Permission::Create | Permission::Alter | Permission::Drop) {
        return Ok(());
    }
    let keyspace = match resource {
        Resource::Keyspace(k) | Resource::AllTables(k) | Resource::Table(k, _) => k.as_str(),
        _ => return Ok(()),
    };
    if LOCAL_SYSTEM_KEYSPACES.contains(&keyspace) {
        return Err(Error::Unauthorized(format!("{keyspace} keyspace is not user-modifiable.")));
    }
    if REPLICATED_SYSTEM_KEYSPACES.contains(&keyspace) {
        if permission == Permission::Alter && matches!(resource, Resource::Keyspace(_)) {
            return Ok(());
        }
        return Err(Error::Unauthorized(format!("Cannot {permission} {resource}")));
    }
    Ok(())
}

/// Checks that the client may run this statement (`CQLStatement.authorize`). Role and permission
/// statements do their own checks ([`super::statements`]).
pub(crate) fn authorize(
    p: &QueryProcessor,
    state: &ClientState,
    statement: &Statement,
    keyspace: Option<&str>,
) -> Result<(), Error> {
    if state.internal {
        return Ok(());
    }
    let authenticated = !p.auth.config.authenticator.requires_authentication() || state.user.is_some();
    // `ClientState.ensureIsSuperuser`: triggers run code, only superusers manage them. The messages
    // are Cassandra's, its "perfrom" included.
    let superuser_only = match statement {
        Statement::CreateTrigger(_) => Some("Only superusers are allowed to perform CREATE TRIGGER queries"),
        Statement::DropTrigger(_) => Some("Only superusers are allowed to perfrom DROP TRIGGER queries"),
        _ => None,
    };
    if let Some(message) = superuser_only {
        if p.auth.config.authenticator.requires_authentication() {
            let is_super = match &state.user {
                Some(u) => p.has_superuser_status(u)?,
                None => false,
            };
            if !is_super {
                return Err(Error::Unauthorized(message.into()));
            }
        }
    }
    let schema = p.schema();
    for (permission, resource) in requirements(&schema, state, statement, keyspace) {
        if !authenticated {
            return Err(Error::Unauthorized("You have not logged in".into()));
        }
        prevent_system_keyspace_modification(permission, &resource)?;
        if let (Permission::Select, Resource::Table(k, t)) = (permission, &resource) {
            if always_readable(k, t) {
                continue;
            }
        }
        if !p.has_permission(state, permission, &resource)? {
            let user = state.user.as_deref().unwrap_or("anonymous");
            return Err(Error::Unauthorized(format!(
                "User {user} has no {permission} permission on {resource} or any of its parents"
            )));
        }
    }
    Ok(())
}

/// After a schema change: the creator of a keyspace or table gets every permission on it, and the
/// permissions on a dropped keyspace or table are removed (`grantPermissionsToCreator`,
/// `AuthSchemaChangeListener`).
pub(crate) fn after_schema_change(p: &QueryProcessor, state: &ClientState, outcome: &Outcome) {
    if state.internal || !p.auth.config.authorizer.requires_authorization() {
        return;
    }
    let QueryResult::SchemaChange(change) = &outcome.result else { return };
    let ks = change.keyspace.clone();
    let result = match (change.change, &change.target) {
        (SchemaChangeType::Created, SchemaChangeTarget::Keyspace) => {
            grant_to_creator(p, state, Resource::Keyspace(ks.clone()))
                .and_then(|_| grant_to_creator(p, state, Resource::KeyspaceFunctions(ks)))
        }
        (SchemaChangeType::Created, SchemaChangeTarget::Table(t)) => {
            grant_to_creator(p, state, Resource::Table(ks, t.clone()))
        }
        (SchemaChangeType::Dropped, SchemaChangeTarget::Keyspace) => {
            // The keyspace, its tables and `<all tables in ks>`, and `<all functions in ks>`.
            let (own, prefix) = (format!("data/{ks}"), format!("data/{ks}/"));
            let functions = Resource::KeyspaceFunctions(ks.clone()).name();
            store::revoke_all_on(p, |r| r == own || r.starts_with(&prefix) || r == functions).map(|_| ())
        }
        (SchemaChangeType::Dropped, SchemaChangeTarget::Table(t)) => {
            let own = Resource::Table(ks, t.clone()).name();
            store::revoke_all_on(p, |r| r == own).map(|_| ())
        }
        _ => Ok(()),
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, "cannot update permissions after a schema change");
    }
}

/// Grants the logged-in user every permission that applies to what it just created.
pub(crate) fn grant_to_creator(p: &QueryProcessor, state: &ClientState, resource: Resource) -> Result<(), Error> {
    let Some(user) = &state.user else { return Ok(()) };
    store::modify_permissions(p, user, &resource.name(), resource.applicable_permissions(), true).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_system_keyspaces_cannot_be_changed_at_all() {
        let r = Resource::Table("system".into(), "local".into());
        assert_eq!(
            prevent_system_keyspace_modification(Permission::Drop, &r),
            Err(Error::Unauthorized("system keyspace is not user-modifiable.".into()))
        );
        assert_eq!(prevent_system_keyspace_modification(Permission::Select, &r), Ok(()));
    }

    #[test]
    fn replicated_system_keyspaces_allow_only_altering_the_keyspace() {
        assert_eq!(
            prevent_system_keyspace_modification(Permission::Alter, &Resource::Keyspace("system_auth".into())),
            Ok(())
        );
        assert_eq!(
            prevent_system_keyspace_modification(
                Permission::Drop,
                &Resource::Table("system_auth".into(), "roles".into())
            ),
            Err(Error::Unauthorized("Cannot DROP <table system_auth.roles>".into()))
        );
    }

    #[test]
    fn creating_in_a_system_keyspace_names_all_its_tables() {
        assert_eq!(
            prevent_system_keyspace_modification(Permission::Create, &Resource::AllTables("system_auth".into())),
            Err(Error::Unauthorized("Cannot CREATE <all tables in system_auth>".into()))
        );
        assert_eq!(
            prevent_system_keyspace_modification(Permission::Alter, &Resource::AllTables("system_traces".into())),
            Err(Error::Unauthorized("Cannot ALTER <all tables in system_traces>".into()))
        );
    }

    #[test]
    fn tables_and_types_are_created_under_all_tables_of_their_keyspace() {
        let schema = Schema { keyspaces: Default::default(), version: Default::default() };
        let state = ClientState { keyspace: Some("ks".into()), ..ClientState::default() };
        for (q, perm) in [
            ("CREATE TABLE t (k int PRIMARY KEY)", Permission::Create),
            ("CREATE TYPE u (a int)", Permission::Create),
            ("ALTER TYPE u ADD b int", Permission::Alter),
            ("DROP TYPE u", Permission::Drop),
        ] {
            let statement = cql_parser::parse_statement(q).unwrap();
            assert_eq!(
                requirements(&schema, &state, &statement, None),
                [(perm, Resource::AllTables("ks".into()))],
                "{q}"
            );
        }
    }

    #[test]
    fn a_view_needs_alter_on_its_base_table_and_a_function_create_on_the_keyspace_functions() {
        let schema = Schema { keyspaces: Default::default(), version: Default::default() };
        let state = ClientState { keyspace: Some("ks".into()), ..ClientState::default() };
        let q = "CREATE MATERIALIZED VIEW v AS SELECT * FROM t WHERE k IS NOT NULL PRIMARY KEY (k)";
        let statement = cql_parser::parse_statement(q).unwrap();
        assert_eq!(
            requirements(&schema, &state, &statement, None),
            [(Permission::Alter, Resource::Table("ks".into(), "t".into()))]
        );
        let q = "CREATE MATERIALIZED VIEW v AS SELECT * FROM other.t WHERE k IS NOT NULL PRIMARY KEY (k)";
        let statement = cql_parser::parse_statement(q).unwrap();
        assert_eq!(requirements(&schema, &state, &statement, None), [], "refused before authorization");
        let q = "CREATE FUNCTION f(a int) RETURNS NULL ON NULL INPUT RETURNS int LANGUAGE java AS 'return a;'";
        let statement = cql_parser::parse_statement(q).unwrap();
        assert_eq!(
            requirements(&schema, &state, &statement, None),
            [(Permission::Create, Resource::KeyspaceFunctions("ks".into()))]
        );
    }

    #[test]
    fn drivers_can_always_read_the_schema_and_local_tables() {
        assert!(always_readable("system", "local"));
        assert!(always_readable("system_traces", "sessions"));
        assert!(always_readable("system", "size_estimates"));
        assert!(always_readable("system_schema", "tables"));
        assert!(!always_readable("system_auth", "roles"));
        assert!(!always_readable("system", "prepared_statements"));
    }
}
