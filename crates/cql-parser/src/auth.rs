//! Roles and permissions: `CREATE/ALTER/DROP ROLE`, the legacy `CREATE/ALTER/DROP USER`,
//! `LIST ROLES`/`LIST USERS`, `GRANT`/`REVOKE` of roles and of permissions, `LIST` permissions.
//!
//! As in Cassandra's grammar, a role name is an identifier (lower-cased unless quoted) or a string
//! literal (kept as written); a user name (`CREATE USER`) keeps its case and may not be quoted.

use crate::ast::{
    AlterRole, CreateRole, DropRole, ListPermissions, ListRoles, PermissionChange, Resource, RoleGrant, RoleOption,
    Statement,
};
use crate::ddl::if_exists_clause;
use crate::input::{
    attempt, bracketed_list, choice, comma_list1, fail, fatal, flag, kw, kw_any, kw_keyspace, kw_table, opt_, sep1,
    sym, Expect, Input, PResult,
};
use crate::lexer::TokenKind;
use crate::modification::if_not_exists_clause;
use crate::names::{function_name, ident, keyspace_name, table_name};
use crate::types::comparator_type;

/// The permissions of Cassandra 5.0's `permission` rule.
const PERMISSIONS: &[&str] =
    &["CREATE", "ALTER", "DROP", "SELECT", "MODIFY", "AUTHORIZE", "DESCRIBE", "EXECUTE", "UNMASK", "SELECT_MASKED"];

/// A role name (`userOrRoleName`): identifier, quoted name or string literal.
fn role_name(i: Input<'_>) -> PResult<'_, String> {
    let t = i.token();
    if t.kind == TokenKind::Str {
        return Ok((i.advance(), t.text.clone()));
    }
    ident(i)
}

/// A legacy user name (`username`): an identifier as written, or a string literal.
fn user_name(i: Input<'_>) -> PResult<'_, String> {
    let t = i.token();
    match t.kind {
        TokenKind::Ident | TokenKind::Str => Ok((i.advance(), t.text.clone())),
        TokenKind::QuotedName => {
            fatal(i.pos, "Quoted strings are are not supported for user names and USER is deprecated, please use ROLE")
        }
        _ => fail(i, Expect::Ident),
    }
}

fn string(i: Input<'_>) -> PResult<'_, String> {
    let t = i.token();
    if t.kind == TokenKind::Str {
        Ok((i.advance(), t.text.clone()))
    } else {
        fail(i, Expect::Str)
    }
}

fn boolean(i: Input<'_>) -> PResult<'_, bool> {
    let t = i.token();
    if t.kind == TokenKind::Boolean {
        Ok((i.advance(), t.text == "true"))
    } else {
        fail(i, Expect::Kw("BOOLEAN"))
    }
}

/// One `roleOption`.
fn role_option(i: Input<'_>) -> PResult<'_, RoleOption> {
    choice((
        |i| {
            let (i, _) = kw("PASSWORD")(i)?;
            let (i, _) = sym("=")(i)?;
            let (i, p) = string(i)?;
            Ok((i, RoleOption::Password(p)))
        },
        |i| {
            let (i, _) = kw("HASHED")(i)?;
            let (i, _) = kw("PASSWORD")(i)?;
            let (i, _) = sym("=")(i)?;
            let (i, p) = string(i)?;
            Ok((i, RoleOption::HashedPassword(p)))
        },
        |i| {
            let (i, _) = kw("LOGIN")(i)?;
            let (i, _) = sym("=")(i)?;
            let (i, b) = boolean(i)?;
            Ok((i, RoleOption::Login(b)))
        },
        |i| {
            let (i, _) = kw("SUPERUSER")(i)?;
            let (i, _) = sym("=")(i)?;
            let (i, b) = boolean(i)?;
            Ok((i, RoleOption::Superuser(b)))
        },
        |i| {
            let (i, _) = kw("OPTIONS")(i)?;
            let (i, _) = sym("=")(i)?;
            // A map of constants (`convertPropertyMap`), kept as their text.
            let (i, m) = crate::properties::property_map(i)?;
            Ok((i, RoleOption::Options(m.into_iter().map(|(k, v)| (k.text, v.text)).collect())))
        },
        |i| {
            let (i, _) = kw("ACCESS")(i)?;
            let (i, _) = kw("FROM")(i)?;
            choice((
                |i| {
                    let (i, _) = kw("ALL")(i)?;
                    let (i, _) = kw("CIDRS")(i)?;
                    Ok((i, RoleOption::AccessFromAllCidrs))
                },
                |i| {
                    let (i, _) = kw("CIDRS")(i)?;
                    let (i, groups) = bracketed_list("{", string, "}")(i)?;
                    Ok((i, RoleOption::AccessFromCidrs(groups)))
                },
            ))(i)
        },
        |i| {
            let (i, _) = kw("ACCESS")(i)?;
            let (i, _) = kw("TO")(i)?;
            choice((
                |i| {
                    let (i, _) = kw("ALL")(i)?;
                    let (i, _) = kw("DATACENTERS")(i)?;
                    Ok((i, RoleOption::AccessToAllDatacenters))
                },
                |i| {
                    let (i, _) = kw("DATACENTERS")(i)?;
                    let (i, dcs) = bracketed_list("{", string, "}")(i)?;
                    Ok((i, RoleOption::AccessToDatacenters(dcs)))
                },
            ))(i)
        },
    ))(i)
}

/// The option's name as Cassandra's `IRoleManager.Option` spells it.
pub fn option_name(o: &RoleOption) -> &'static str {
    match o {
        RoleOption::Password(_) => "PASSWORD",
        RoleOption::HashedPassword(_) => "HASHED_PASSWORD",
        RoleOption::Login(_) => "LOGIN",
        RoleOption::Superuser(_) => "SUPERUSER",
        RoleOption::Options(_) => "OPTIONS",
        RoleOption::AccessToAllDatacenters | RoleOption::AccessToDatacenters(_) => "DATACENTERS",
        RoleOption::AccessFromAllCidrs | RoleOption::AccessFromCidrs(_) => "CIDRS",
    }
}

/// `WITH option AND …`, each option at most once.
fn role_options(i: Input<'_>) -> PResult<'_, Vec<RoleOption>> {
    let start = i.pos;
    let (i, options) = opt_(|i| {
        let (i, _) = kw("WITH")(i)?;
        sep1(role_option, kw("AND"))(i)
    })(i)?;
    let options = options.unwrap_or_default();
    for (n, o) in options.iter().enumerate() {
        if options[..n].iter().any(|p| option_name(p) == option_name(o)) {
            return fatal(start, format!("Multiple definition for property '{}'", option_name(o)));
        }
    }
    Ok((i, options))
}

/// `CREATE ROLE …` / `CREATE USER …` (after `CREATE`).
pub(crate) fn create_role(i: Input<'_>) -> PResult<'_, Statement> {
    choice((
        |i| {
            let (i, _) = kw("ROLE")(i)?;
            let (i, if_not_exists) = if_not_exists_clause(i)?;
            let (i, name) = role_name(i)?;
            let (i, options) = role_options(i)?;
            Ok((i, Statement::CreateRole(CreateRole { name, if_not_exists, options })))
        },
        |i| {
            let (i, _) = kw("USER")(i)?;
            let (i, if_not_exists) = if_not_exists_clause(i)?;
            let (i, name) = user_name(i)?;
            let (i, password) = opt_(user_password)(i)?;
            let (i, superuser) = opt_(superuser_flag)(i)?;
            let mut options = vec![RoleOption::Login(true)];
            options.extend(password);
            options.push(RoleOption::Superuser(superuser.unwrap_or(false)));
            Ok((i, Statement::CreateRole(CreateRole { name, if_not_exists, options })))
        },
    ))(i)
}

/// `WITH [HASHED] PASSWORD 'p'` of the user statements.
fn user_password(i: Input<'_>) -> PResult<'_, RoleOption> {
    let (i, _) = kw("WITH")(i)?;
    let (i, hashed) = flag(kw("HASHED"))(i)?;
    let (i, _) = kw("PASSWORD")(i)?;
    let (i, p) = string(i)?;
    Ok((i, if hashed { RoleOption::HashedPassword(p) } else { RoleOption::Password(p) }))
}

/// `SUPERUSER` or `NOSUPERUSER`.
fn superuser_flag(i: Input<'_>) -> PResult<'_, bool> {
    choice((|i| kw("SUPERUSER")(i).map(|(i, _)| (i, true)), |i| kw("NOSUPERUSER")(i).map(|(i, _)| (i, false))))(i)
}

/// `ALTER ROLE …` / `ALTER USER …` (after `ALTER`).
pub(crate) fn alter_role(i: Input<'_>) -> PResult<'_, Statement> {
    choice((
        |i| {
            let (i, _) = kw("ROLE")(i)?;
            let (i, if_exists) = if_exists_clause(i)?;
            let (i, name) = role_name(i)?;
            let (i, options) = role_options(i)?;
            Ok((i, Statement::AlterRole(AlterRole { name, if_exists, options })))
        },
        |i| {
            let (i, _) = kw("USER")(i)?;
            let (i, if_exists) = if_exists_clause(i)?;
            let (i, name) = user_name(i)?;
            let (i, password) = opt_(user_password)(i)?;
            let (i, superuser) = opt_(superuser_flag)(i)?;
            let mut options: Vec<RoleOption> = password.into_iter().collect();
            options.extend(superuser.map(RoleOption::Superuser));
            Ok((i, Statement::AlterRole(AlterRole { name, if_exists, options })))
        },
    ))(i)
}

/// `DROP ROLE …` / `DROP USER …` (after `DROP`).
pub(crate) fn drop_role(i: Input<'_>) -> PResult<'_, Statement> {
    choice((
        |i| {
            let (i, _) = kw("ROLE")(i)?;
            let (i, if_exists) = if_exists_clause(i)?;
            let (i, name) = role_name(i)?;
            Ok((i, Statement::DropRole(DropRole { name, if_exists })))
        },
        |i| {
            let (i, _) = kw("USER")(i)?;
            let (i, if_exists) = if_exists_clause(i)?;
            let (i, name) = user_name(i)?;
            Ok((i, Statement::DropRole(DropRole { name, if_exists })))
        },
    ))(i)
}

/// A single permission keyword, upper-cased.
fn permission(i: Input<'_>) -> PResult<'_, String> {
    let t = i.token();
    if t.kind == TokenKind::Ident {
        let upper = t.text.to_ascii_uppercase();
        if PERMISSIONS.contains(&upper.as_str()) {
            return Ok((i.advance(), upper));
        }
    }
    fail(i, Expect::Kw("CREATE"))
}

/// `ALL [PERMISSIONS]` (`None`) or `permission [PERMISSION] [, permission [PERMISSION] …]`.
fn permission_or_all(i: Input<'_>) -> PResult<'_, Option<Vec<String>>> {
    choice((
        |i| {
            let (i, _) = kw("ALL")(i)?;
            let (i, _) = opt_(kw("PERMISSIONS"))(i)?;
            Ok((i, None))
        },
        |i| {
            let (i, ps) = comma_list1(|i| {
                let (i, p) = permission(i)?;
                let (i, _) = opt_(kw("PERMISSION"))(i)?;
                Ok((i, p))
            })(i)?;
            Ok((i, Some(ps)))
        },
    ))(i)
}

/// A resource (`resource`): data, role, function or MBean.
fn resource(i: Input<'_>) -> PResult<'_, Resource> {
    choice((
        |i| {
            let (i, _) = kw("ALL")(i)?;
            choice((
                |i| kw("KEYSPACES")(i).map(|(i, _)| (i, Resource::AllKeyspaces)),
                |i| kw("ROLES")(i).map(|(i, _)| (i, Resource::AllRoles)),
                |i| kw("MBEANS")(i).map(|(i, _)| (i, Resource::AllMbeans)),
                |i| {
                    let (i, _) = kw("TABLES")(i)?;
                    let (i, _) = kw("IN")(i)?;
                    let (i, _) = kw_keyspace(i)?;
                    let (i, ks) = keyspace_name(i)?;
                    Ok((i, Resource::AllTables(ks)))
                },
                |i| {
                    let (i, _) = kw("FUNCTIONS")(i)?;
                    let (i, ks) = opt_(|i| {
                        let (i, _) = kw("IN")(i)?;
                        let (i, _) = kw_keyspace(i)?;
                        keyspace_name(i)
                    })(i)?;
                    Ok((i, Resource::AllFunctions(ks)))
                },
            ))(i)
        },
        |i| {
            let (i, _) = kw_keyspace(i)?;
            let (i, ks) = keyspace_name(i)?;
            Ok((i, Resource::Keyspace(ks)))
        },
        |i| {
            let (i, _) = kw("ROLE")(i)?;
            let (i, r) = role_name(i)?;
            Ok((i, Resource::Role(r)))
        },
        |i| {
            let (i, _) = kw("FUNCTION")(i)?;
            let (i, name) = function_name(i)?;
            let (i, _) = sym("(")(i)?;
            let (i, types) = opt_(comma_list1(comparator_type))(i)?;
            let (i, _) = sym(")")(i)?;
            Ok((i, Resource::Function(name, types.unwrap_or_default())))
        },
        |i| {
            let (i, _) = kw_any(&["MBEAN", "MBEANS"])(i)?;
            let (i, name) = string(i)?;
            Ok((i, Resource::Mbean(name)))
        },
        |i| {
            let (i, _) = opt_(kw_table)(i)?;
            let (i, t) = table_name(i)?;
            Ok((i, Resource::Table(t)))
        },
    ))(i)
}

/// `GRANT …` (a permission on a resource, or a role).
pub(crate) fn grant_statement(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = kw("GRANT")(i)?;
    let (i, change) = permission_or_role_change("TO")(i)?;
    Ok((
        i,
        match change {
            Change::Permission(c) => Statement::GrantPermissions(c),
            Change::Role(g) => Statement::GrantRole(g),
        },
    ))
}

/// `REVOKE …` (a permission on a resource, or a role).
pub(crate) fn revoke_statement(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = kw("REVOKE")(i)?;
    let (i, change) = permission_or_role_change("FROM")(i)?;
    Ok((
        i,
        match change {
            Change::Permission(c) => Statement::RevokePermissions(c),
            Change::Role(g) => Statement::RevokeRole(g),
        },
    ))
}

/// The body shared by `GRANT` and `REVOKE`.
enum Change {
    Permission(PermissionChange),
    Role(RoleGrant),
}

/// What follows `GRANT` / `REVOKE`: `<permission> ON <resource> <TO|FROM> role`, or `role <TO|FROM> role`.
fn permission_or_role_change(preposition: &'static str) -> impl Fn(Input<'_>) -> PResult<'_, Change> {
    move |i| {
        choice((
            |i| {
                let (i, permission) = attempt(|i| {
                    let (i, p) = permission_or_all(i)?;
                    let (i, _) = kw("ON")(i)?;
                    Ok((i, p))
                })(i)?;
                let (i, resource) = resource(i)?;
                let (i, _) = kw(preposition)(i)?;
                let (i, role) = role_name(i)?;
                Ok((i, Change::Permission(PermissionChange { permission, resource, role })))
            },
            |i| {
                let (i, role) = role_name(i)?;
                let (i, _) = kw(preposition)(i)?;
                let (i, grantee) = role_name(i)?;
                Ok((i, Change::Role(RoleGrant { role, grantee })))
            },
        ))(i)
    }
}

/// `[OF role]`
fn of_role(i: Input<'_>) -> PResult<'_, Option<String>> {
    opt_(|i| {
        let (i, _) = kw("OF")(i)?;
        role_name(i)
    })(i)
}

/// `LIST ROLES …`, `LIST USERS` or `LIST permissions …`.
pub(crate) fn list_statement(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = kw("LIST")(i)?;
    choice((
        |i| {
            let (i, _) = kw("ROLES")(i)?;
            let (i, of) = of_role(i)?;
            let (i, norecursive) = flag(kw("NORECURSIVE"))(i)?;
            Ok((i, Statement::ListRoles(ListRoles { of, recursive: !norecursive, users: false })))
        },
        |i| {
            let (i, _) = kw("USERS")(i)?;
            Ok((i, Statement::ListRoles(ListRoles { of: None, recursive: true, users: true })))
        },
        |i| {
            let (i, permission) = permission_or_all(i)?;
            let (i, resource) = opt_(|i| {
                let (i, _) = kw("ON")(i)?;
                resource(i)
            })(i)?;
            let (i, of) = of_role(i)?;
            let (i, norecursive) = flag(kw("NORECURSIVE"))(i)?;
            Ok((i, Statement::ListPermissions(ListPermissions { permission, resource, of, recursive: !norecursive })))
        },
    ))(i)
}

#[cfg(test)]
mod tests {
    use crate::ast::{PermissionChange, Resource, Statement};
    use crate::parse_statement;

    fn grant(q: &str) -> PermissionChange {
        match parse_statement(q).unwrap_or_else(|e| panic!("{q}: {e:?}")) {
            Statement::GrantPermissions(c) | Statement::RevokePermissions(c) => c,
            other => panic!("{q}: {other:?}"),
        }
    }

    #[test]
    fn all_tables_in_keyspace_is_a_resource() {
        let c = grant("GRANT SELECT ON ALL TABLES IN KEYSPACE ks TO bob");
        assert_eq!(c.resource, Resource::AllTables("ks".into()));
        assert_eq!(
            grant("REVOKE ALL ON ALL TABLES IN KEYSPACE \"Ks\" FROM bob").resource,
            Resource::AllTables("Ks".into())
        );
    }

    #[test]
    fn several_permissions_may_be_granted_at_once() {
        let c = grant("GRANT ALTER, DROP PERMISSION, select ON KEYSPACE ks TO bob");
        assert_eq!(c.permission, Some(vec!["ALTER".into(), "DROP".into(), "SELECT".into()]));
        assert_eq!(grant("GRANT ALL PERMISSIONS ON KEYSPACE ks TO bob").permission, None);
        match parse_statement("LIST MODIFY, SELECT PERMISSION ON KEYSPACE ks OF bob").unwrap() {
            Statement::ListPermissions(l) => assert_eq!(l.permission, Some(vec!["MODIFY".into(), "SELECT".into()])),
            other => panic!("{other:?}"),
        }
    }
}

/// The statements Cassandra's `RoleSyntaxTest` accepts (and refuses) as syntax.
#[cfg(test)]
mod role_syntax {
    use crate::parse_statement;

    fn valid(q: &str) {
        if let Err(e) = parse_statement(q) {
            panic!("{q}: {e:?}");
        }
    }

    fn invalid(q: &str) {
        assert!(parse_statement(q).is_err(), "{q}");
    }

    #[test]
    fn role_names_may_be_identifiers_quoted_names_strings_or_dollar_strings() {
        for q in [
            "CREATE ROLE r1",
            "CREATE ROLE 'r1'",
            "CREATE ROLE \"r1\"",
            "CREATE ROLE $$r1$$",
            "CREATE ROLE $$ r1 ' x $ x ' $$",
            "CREATE USER u1",
            "CREATE USER 'u1'",
            "CREATE USER $$u1$$",
            "CREATE USER $$ u1 ' x $ x ' $$",
            "DROP ROLE $$ r1 ' x $ x ' $$",
            "DROP USER $$u1$$",
            "ALTER ROLE $$r1$$ WITH PASSWORD = 'password'",
            "ALTER USER $$ u1 ' x $ x ' $$ WITH PASSWORD 'password'",
            "ALTER ROLE IF EXISTS r1 WITH PASSWORD = 'password'",
            "ALTER USER IF EXISTS u1 WITH PASSWORD 'password'",
            "LIST ROLES OF $$ r '1' $$",
        ] {
            valid(q);
        }
    }

    #[test]
    fn access_to_datacenters_and_from_cidrs_are_role_options() {
        valid("CREATE ROLE r WITH LOGIN = true AND ACCESS TO ALL DATACENTERS AND ACCESS FROM ALL CIDRS");
        valid("ALTER ROLE r WITH ACCESS TO DATACENTERS {'dc1', 'dc2'} AND ACCESS FROM CIDRS {'region1'}");
        invalid("CREATE ROLE r WITH ACCESS FROM CIDRS 'region1'");
    }

    #[test]
    fn role_options_are_a_map_of_constants() {
        valid("CREATE ROLE r WITH OPTIONS = {'a':'b', 'b':1}");
        valid("ALTER ROLE r WITH OPTIONS = {'a':'b', 'b':1}");
        invalid("CREATE ROLE r WITH OPTIONS = 'term'");
        invalid("CREATE ROLE r WITH OPTIONS = 99");
    }

    #[test]
    fn grant_revoke_and_list_take_one_or_several_permissions() {
        for r1 in ["r1", "'r1'", "\"r1\"", "$$r1$$"] {
            for r2 in ["r2", "\"r2\"", "'r2'", "$$ r '2' $$"] {
                valid(&format!("GRANT ALTER PERMISSION ON ROLE {r1} TO {r2}"));
                valid(&format!("REVOKE ALTER ON ROLE {r1} FROM {r2}"));
                valid(&format!("GRANT CREATE PERMISSION, ALTER PERMISSION ON ROLE {r1} TO {r2}"));
                valid(&format!("REVOKE CREATE, ALTER ON ROLE {r1} FROM {r2}"));
                valid(&format!("LIST ALTER, DROP PERMISSION ON ROLE {r1} OF {r2}"));
                valid(&format!("LIST ALL PERMISSIONS ON ROLE {r1} OF {r2}"));
            }
        }
        for r1 in ["r1", "'r1'", "\"r1\"", "$$r1$$", "$$ r '1' $$"] {
            valid(&format!("GRANT MODIFY PERMISSION, SELECT PERMISSION ON ALL KEYSPACES TO {r1}"));
            valid(&format!("REVOKE MODIFY, SELECT ON KEYSPACE ks FROM {r1}"));
            valid(&format!("LIST ALL PERMISSIONS ON ALL ROLES OF {r1}"));
            valid(&format!("LIST MODIFY, SELECT OF {r1}"));
            valid(&format!("LIST MODIFY, SELECT PERMISSION ON KEYSPACE ks OF {r1}"));
        }
    }
}
