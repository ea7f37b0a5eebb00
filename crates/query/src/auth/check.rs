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
        "system" => matches!(table, "local" | "peers" | "peers_v2"),
        "system_schema" | "system_virtual_schema" => true,
        _ => false,
    }
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
    let on_keyspace = |name: &QualifiedName| ks_of(name).map(Resource::Keyspace);
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
        Statement::Truncate(name) => need(Permission::Modify, table(name)),
        Statement::CreateKeyspace(_) => need(Permission::Create, Some(Resource::AllKeyspaces)),
        Statement::AlterKeyspace(s) => need(Permission::Alter, Some(Resource::Keyspace(s.name.clone()))),
        Statement::DropKeyspace(s) => need(Permission::Drop, Some(Resource::Keyspace(s.name.clone()))),
        Statement::CreateTable(s) => need(Permission::Create, on_keyspace(&s.name)),
        Statement::AlterTable(s) => {
            need(Permission::Alter, ks_of(&s.name).map(|k| Resource::Table(k, s.name.name.clone())))
        }
        Statement::DropTable(s) => {
            need(Permission::Drop, ks_of(&s.name).map(|k| Resource::Table(k, s.name.name.clone())))
        }
        Statement::CreateType(s) => need(Permission::Create, on_keyspace(&s.name)),
        Statement::AlterType(s) => need(Permission::Alter, on_keyspace(&s.name)),
        Statement::DropType(s) => need(Permission::Drop, on_keyspace(&s.name)),
        Statement::CreateIndex(s) => need(Permission::Alter, table(&s.table)),
        Statement::DropIndex(s) => {
            let indexed = ks_of(&s.name).and_then(|ks| {
                let k = schema.keyspaces.get(&ks)?;
                let t = k.tables.values().find(|t| t.indexes.iter().any(|i| i.name == s.name.name))?;
                Some(Resource::Table(ks, t.name.clone()))
            });
            need(Permission::Alter, indexed)
        }
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
        Resource::Keyspace(k) | Resource::Table(k, _) => k.as_str(),
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
        (SchemaChangeType::Created, SchemaChangeTarget::Keyspace) => grant_to_creator(p, state, Resource::Keyspace(ks)),
        (SchemaChangeType::Created, SchemaChangeTarget::Table(t)) => {
            grant_to_creator(p, state, Resource::Table(ks, t.clone()))
        }
        (SchemaChangeType::Dropped, SchemaChangeTarget::Keyspace) => {
            let (own, prefix) = (format!("data/{ks}"), format!("data/{ks}/"));
            store::revoke_all_on(p, |r| r == own || r.starts_with(&prefix)).map(|_| ())
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
    fn drivers_can_always_read_the_schema_and_local_tables() {
        assert!(always_readable("system", "local"));
        assert!(always_readable("system_schema", "tables"));
        assert!(!always_readable("system_auth", "roles"));
        assert!(!always_readable("system", "prepared_statements"));
    }
}
