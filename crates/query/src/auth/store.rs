//! Reads and writes of `system_auth`, as the internal CQL statements Cassandra's role manager and
//! authorizer run (they skip authorization).

use bytes::Bytes;
use cql_types::{CqlType, CqlValue};

use super::resource::Permission;
use super::schema::{KEYSPACE, RESOURCE_ROLE_INDEX, ROLES, ROLE_MEMBERS, ROLE_PERMISSIONS};
use crate::bind::Values;
use crate::{ClientState, Error, Outcome, QueryOptions, QueryProcessor, QueryResult};

/// A row of `system_auth.roles`.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleRow {
    pub name: String,
    pub is_superuser: bool,
    pub can_login: bool,
    pub salted_hash: Option<String>,
    pub member_of: Vec<String>,
}

/// A CQL string literal.
pub(crate) fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Runs a statement the server issues itself.
pub(crate) fn run(p: &QueryProcessor, cql: &str) -> Result<Outcome, Error> {
    let statement = cql_parser::parse_statement(cql)
        .map_err(|e| Error::Server(format!("internal statement does not parse ({cql}): {e}")))?;
    let mut state = ClientState { internal: true, protocol_version: 4, ..ClientState::default() };
    let values = Values { values: &[], names: None, specs: &[] };
    p.run(&mut state, &statement, &values, &QueryOptions::default(), None)
}

/// Runs writes, returning the outcome of the last (its durability covers the earlier ones).
pub(crate) fn write_all(p: &QueryProcessor, statements: &[String]) -> Result<Outcome, Error> {
    let mut last = Outcome { result: QueryResult::Void, durable: None, warnings: Vec::new() };
    for s in statements {
        let o = run(p, s)?;
        if o.durable.is_some() {
            last = o;
        }
    }
    p.auth.invalidate();
    Ok(Outcome { result: QueryResult::Void, durable: last.durable, warnings: Vec::new() })
}

/// The rows of a SELECT, as column name -> value maps.
struct Found {
    columns: Vec<String>,
    rows: Vec<Vec<Option<Bytes>>>,
}

impl Found {
    fn get<'a>(&'a self, row: &'a [Option<Bytes>], column: &str) -> Option<&'a Bytes> {
        let i = self.columns.iter().position(|c| c == column)?;
        row.get(i)?.as_ref()
    }

    fn text(&self, row: &[Option<Bytes>], column: &str) -> Option<String> {
        self.get(row, column).map(|b| String::from_utf8_lossy(b).into_owned())
    }

    fn boolean(&self, row: &[Option<Bytes>], column: &str) -> bool {
        self.get(row, column).is_some_and(|b| b.first().is_some_and(|x| *x != 0))
    }

    fn text_set(&self, row: &[Option<Bytes>], column: &str) -> Vec<String> {
        let Some(b) = self.get(row, column) else { return Vec::new() };
        match CqlValue::deserialize(&CqlType::set(CqlType::TEXT), b) {
            Ok(CqlValue::Set(items)) => items
                .into_iter()
                .filter_map(|v| match v {
                    CqlValue::Text(s) | CqlValue::Ascii(s) => Some(s),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

fn select(p: &QueryProcessor, cql: &str) -> Result<Found, Error> {
    match run(p, cql)?.result {
        QueryResult::Rows(r) => {
            Ok(Found { columns: r.metadata.columns.into_iter().map(|c| c.name).collect(), rows: r.rows })
        }
        _ => Ok(Found { columns: Vec::new(), rows: Vec::new() }),
    }
}

/// One role, read from storage.
pub(crate) fn role(p: &QueryProcessor, name: &str) -> Result<Option<RoleRow>, Error> {
    let found = select(p, &format!("SELECT * FROM {KEYSPACE}.{ROLES} WHERE role = {}", quote(name)))?;
    Ok(found.rows.first().map(|row| RoleRow {
        name: found.text(row, "role").unwrap_or_default(),
        is_superuser: found.boolean(row, "is_superuser"),
        can_login: found.boolean(row, "can_login"),
        salted_hash: found.text(row, "salted_hash"),
        member_of: found.text_set(row, "member_of"),
    }))
}

/// Every role name.
pub(crate) fn all_roles(p: &QueryProcessor) -> Result<Vec<String>, Error> {
    let found = select(p, &format!("SELECT role FROM {KEYSPACE}.{ROLES}"))?;
    Ok(found.rows.iter().filter_map(|r| found.text(r, "role")).collect())
}

pub(crate) fn insert_role(
    p: &QueryProcessor,
    name: &str,
    superuser: bool,
    login: bool,
    hash: Option<&str>,
) -> Result<Outcome, Error> {
    let cql = match hash {
        Some(h) => format!(
            "INSERT INTO {KEYSPACE}.{ROLES} (role, is_superuser, can_login, salted_hash) VALUES ({}, {superuser}, {login}, {})",
            quote(name),
            quote(h)
        ),
        None => format!(
            "INSERT INTO {KEYSPACE}.{ROLES} (role, is_superuser, can_login) VALUES ({}, {superuser}, {login})",
            quote(name)
        ),
    };
    write_all(p, &[cql])
}

/// `UPDATE roles SET assignments WHERE role = name`
pub(crate) fn update_role(p: &QueryProcessor, name: &str, assignments: &[String]) -> Result<Outcome, Error> {
    if assignments.is_empty() {
        return Ok(Outcome { result: QueryResult::Void, durable: None, warnings: Vec::new() });
    }
    write_all(p, &[format!("UPDATE {KEYSPACE}.{ROLES} SET {} WHERE role = {}", assignments.join(", "), quote(name))])
}

fn membership(grantee: &str, role: &str, op: char) -> String {
    format!(
        "UPDATE {KEYSPACE}.{ROLES} SET member_of = member_of {op} {{{}}} WHERE role = {}",
        quote(role),
        quote(grantee)
    )
}

/// Deletes the role and takes it out of its members' `member_of` (`CassandraRoleManager.dropRole`).
pub(crate) fn delete_role(p: &QueryProcessor, name: &str) -> Result<Outcome, Error> {
    let members = select(p, &format!("SELECT member FROM {KEYSPACE}.{ROLE_MEMBERS} WHERE role = {}", quote(name)))?;
    let mut writes = vec![format!("DELETE FROM {KEYSPACE}.{ROLES} WHERE role = {}", quote(name))];
    for row in &members.rows {
        if let Some(m) = members.text(row, "member") {
            writes.push(membership(&m, name, '-'));
        }
    }
    writes.push(format!("DELETE FROM {KEYSPACE}.{ROLE_MEMBERS} WHERE role = {}", quote(name)));
    write_all(p, &writes)
}

pub(crate) fn grant_role(p: &QueryProcessor, role: &str, grantee: &str) -> Result<Outcome, Error> {
    write_all(
        p,
        &[
            membership(grantee, role, '+'),
            format!(
                "INSERT INTO {KEYSPACE}.{ROLE_MEMBERS} (role, member) VALUES ({}, {})",
                quote(role),
                quote(grantee)
            ),
        ],
    )
}

pub(crate) fn revoke_role(p: &QueryProcessor, role: &str, revokee: &str) -> Result<Outcome, Error> {
    write_all(
        p,
        &[
            membership(revokee, role, '-'),
            format!(
                "DELETE FROM {KEYSPACE}.{ROLE_MEMBERS} WHERE role = {} AND member = {}",
                quote(role),
                quote(revokee)
            ),
        ],
    )
}

fn parse_permissions(names: Vec<String>) -> Vec<Permission> {
    let mut out: Vec<Permission> = names.iter().filter_map(|n| Permission::parse(n)).collect();
    out.sort();
    out
}

/// The permissions granted to the role directly on the resource (by its stored name).
pub(crate) fn permissions(p: &QueryProcessor, role: &str, resource: &str) -> Result<Vec<Permission>, Error> {
    let found = select(
        p,
        &format!(
            "SELECT permissions FROM {KEYSPACE}.{ROLE_PERMISSIONS} WHERE role = {} AND resource = {}",
            quote(role),
            quote(resource)
        ),
    )?;
    Ok(found.rows.first().map(|r| parse_permissions(found.text_set(r, "permissions"))).unwrap_or_default())
}

/// Grants (`add`) or revokes permissions, keeping the resource -> role index.
pub(crate) fn modify_permissions(
    p: &QueryProcessor,
    role: &str,
    resource: &str,
    permissions: &[Permission],
    add: bool,
) -> Result<Outcome, Error> {
    let set = permissions.iter().map(|p| quote(p.name())).collect::<Vec<_>>().join(", ");
    let op = if add { '+' } else { '-' };
    let mut writes = vec![format!(
        "UPDATE {KEYSPACE}.{ROLE_PERMISSIONS} SET permissions = permissions {op} {{{set}}} WHERE role = {} AND resource = {}",
        quote(role),
        quote(resource)
    )];
    writes.push(if add {
        format!(
            "INSERT INTO {KEYSPACE}.{RESOURCE_ROLE_INDEX} (resource, role) VALUES ({}, {})",
            quote(resource),
            quote(role)
        )
    } else {
        format!(
            "DELETE FROM {KEYSPACE}.{RESOURCE_ROLE_INDEX} WHERE resource = {} AND role = {}",
            quote(resource),
            quote(role)
        )
    });
    write_all(p, &writes)
}

/// Rows of `role_permissions`: (role, resource name, permissions), for one role or all.
pub(crate) fn list_permissions(
    p: &QueryProcessor,
    role: Option<&str>,
) -> Result<Vec<(String, String, Vec<Permission>)>, Error> {
    let cql = match role {
        Some(r) => {
            format!("SELECT role, resource, permissions FROM {KEYSPACE}.{ROLE_PERMISSIONS} WHERE role = {}", quote(r))
        }
        None => format!("SELECT role, resource, permissions FROM {KEYSPACE}.{ROLE_PERMISSIONS}"),
    };
    let found = select(p, &cql)?;
    Ok(found
        .rows
        .iter()
        .map(|row| {
            (
                found.text(row, "role").unwrap_or_default(),
                found.text(row, "resource").unwrap_or_default(),
                parse_permissions(found.text_set(row, "permissions")),
            )
        })
        .collect())
}

/// Removes every permission granted to a dropped role (`revokeAllFrom`).
pub(crate) fn revoke_all_from(p: &QueryProcessor, role: &str) -> Result<Outcome, Error> {
    let mut writes = Vec::new();
    for (_, resource, _) in list_permissions(p, Some(role))? {
        writes.push(format!(
            "DELETE FROM {KEYSPACE}.{RESOURCE_ROLE_INDEX} WHERE resource = {} AND role = {}",
            quote(&resource),
            quote(role)
        ));
    }
    writes.push(format!("DELETE FROM {KEYSPACE}.{ROLE_PERMISSIONS} WHERE role = {}", quote(role)));
    write_all(p, &writes)
}

/// Removes every permission on the resources whose stored names `matches` accepts (a dropped
/// keyspace, table or role: `revokeAllOn`).
pub(crate) fn revoke_all_on(p: &QueryProcessor, matches: impl Fn(&str) -> bool) -> Result<Outcome, Error> {
    let found = select(p, &format!("SELECT resource, role FROM {KEYSPACE}.{RESOURCE_ROLE_INDEX}"))?;
    let mut writes = Vec::new();
    for row in &found.rows {
        let (Some(resource), Some(role)) = (found.text(row, "resource"), found.text(row, "role")) else { continue };
        if !matches(&resource) {
            continue;
        }
        writes.push(format!(
            "DELETE FROM {KEYSPACE}.{ROLE_PERMISSIONS} WHERE role = {} AND resource = {}",
            quote(&role),
            quote(&resource)
        ));
        writes.push(format!(
            "DELETE FROM {KEYSPACE}.{RESOURCE_ROLE_INDEX} WHERE resource = {} AND role = {}",
            quote(&resource),
            quote(&role)
        ));
    }
    write_all(p, &writes)
}
