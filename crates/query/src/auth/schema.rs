//! The stored tables of `system_auth`, with the columns of Cassandra 5.0's `AuthKeyspace`.

use std::sync::Arc;

use cql_types::CqlType;

use crate::schema::system::name_based_id;
use crate::schema::{Keyspace, Table, TableParams};

pub const KEYSPACE: &str = "system_auth";
pub const ROLES: &str = "roles";
pub const ROLE_MEMBERS: &str = "role_members";
pub const ROLE_PERMISSIONS: &str = "role_permissions";
pub const RESOURCE_ROLE_INDEX: &str = "resource_role_permissons_index";
pub const NETWORK_PERMISSIONS: &str = "network_permissions";

fn typ(s: &str) -> CqlType {
    s.parse().unwrap_or_else(|_| CqlType::Custom(format!("unparsable {s}")))
}

fn table(name: &str, pk: &str, clustering: Option<&str>, others: &[(&str, &str)], comment: &str) -> Table {
    let params =
        TableParams { comment: comment.to_string(), gc_grace_seconds: 90 * 24 * 3600, ..TableParams::default() };
    Table::new(
        KEYSPACE,
        name,
        name_based_id(KEYSPACE, name),
        vec![(pk.to_string(), CqlType::TEXT)],
        clustering.map(|c| (c.to_string(), CqlType::TEXT, false)).into_iter().collect(),
        others.iter().map(|(n, t)| (n.to_string(), typ(t), false)).collect(),
        params,
    )
}

/// The tables of `system_auth`.
pub fn tables() -> Vec<Table> {
    vec![
        table(
            ROLES,
            "role",
            None,
            &[
                ("is_superuser", "boolean"),
                ("can_login", "boolean"),
                ("salted_hash", "text"),
                ("member_of", "set<text>"),
            ],
            "role definitions",
        ),
        table(ROLE_MEMBERS, "role", Some("member"), &[], "role memberships lookup table"),
        table(
            ROLE_PERMISSIONS,
            "role",
            Some("resource"),
            &[("permissions", "set<text>")],
            "permissions granted to db roles",
        ),
        table(
            RESOURCE_ROLE_INDEX,
            "resource",
            Some("role"),
            &[],
            "index of db roles with permissions granted on a resource",
        ),
        table(NETWORK_PERMISSIONS, "role", None, &[("dcs", "frozen<set<text>>")], "user network permissions"),
    ]
}

/// Adds the `system_auth` tables to that keyspace of `keyspaces`.
pub fn add_tables(keyspaces: &mut [Keyspace]) {
    if let Some(ks) = keyspaces.iter_mut().find(|k| k.name == KEYSPACE) {
        for t in tables() {
            ks.tables.insert(t.name.clone(), Arc::new(t));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_has_cassandras_columns_and_a_name_based_id() {
        let roles = tables().into_iter().find(|t| t.name == ROLES).unwrap();
        let cols: Vec<(String, String)> = roles.columns.iter().map(|c| (c.name.clone(), c.typ.to_string())).collect();
        assert_eq!(cols[0], ("role".to_string(), "text".to_string()));
        assert!(cols.contains(&("member_of".to_string(), "set<text>".to_string())));
        assert!(roles.virtual_table.is_none());
        assert_eq!(roles.id, name_based_id("system_auth", "roles"));
        let index = tables().into_iter().find(|t| t.name == RESOURCE_ROLE_INDEX).unwrap();
        assert_eq!(index.clustering()[0].name, "role");
    }
}
