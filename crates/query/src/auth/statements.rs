//! Role and permission statements, checked, validated and run in Cassandra's order (`checkAccess`,
//! then `validate`, then `execute`) with its messages.

use bytes::Bytes;
use cql_parser::ast::{self, RoleOption, Statement};
use cql_types::CqlType;

use super::check::grant_to_creator;
use super::resource::{Permission, Resource};
use super::{hash_password, store, Authenticator};
use crate::{ClientState, ColumnSpec, Error, Outcome, QueryProcessor, QueryResult, ResultMetadata, Rows};

const ROLE_MANAGER: &str = "org.apache.cassandra.auth.CassandraRoleManager";

fn void() -> Outcome {
    Outcome { result: QueryResult::Void, durable: None, warnings: Vec::new() }
}

/// Runs a role or permission statement; `None` if `statement` is not one.
pub(crate) fn execute(
    p: &QueryProcessor,
    state: &ClientState,
    statement: &Statement,
    keyspace: Option<&str>,
) -> Option<Result<Outcome, Error>> {
    let result = match statement {
        Statement::CreateRole(s) => exclusive_passwords(&s.options).and_then(|_| create_role(p, state, s)),
        Statement::AlterRole(s) => exclusive_passwords(&s.options).and_then(|_| alter_role(p, state, s)),
        Statement::DropRole(s) => drop_role(p, state, s),
        Statement::ListRoles(s) => list_roles(p, state, s),
        Statement::GrantRole(s) => change_membership(p, state, s, true),
        Statement::RevokeRole(s) => change_membership(p, state, s, false),
        Statement::GrantPermissions(s) => change_permissions(p, state, s, keyspace, true),
        Statement::RevokePermissions(s) => change_permissions(p, state, s, keyspace, false),
        Statement::ListPermissions(s) => list_permissions(p, state, s, keyspace),
        _ => return None,
    };
    Some(result)
}

/// The logged-in role, or Cassandra's error for anonymous (auth off) and not-logged-in clients.
fn ensure_not_anonymous<'s>(p: &QueryProcessor, state: &'s ClientState) -> Result<&'s str, Error> {
    if state.internal {
        return Ok(super::DEFAULT_SUPERUSER);
    }
    if !p.auth.config.authenticator.requires_authentication() {
        return Err(Error::Unauthorized("You have to be logged in and not anonymous to perform this request".into()));
    }
    state.user.as_deref().ok_or_else(|| Error::Unauthorized("You have not logged in".into()))
}

fn user_name(state: &ClientState) -> &str {
    state.user.as_deref().unwrap_or("anonymous")
}

fn is_super(p: &QueryProcessor, state: &ClientState) -> Result<bool, Error> {
    match &state.user {
        Some(u) => p.has_superuser_status(u),
        None => Ok(false),
    }
}

/// `AuthenticationStatement.checkPermission`.
fn check_permission(p: &QueryProcessor, state: &ClientState, perm: Permission, r: &Resource) -> Result<(), Error> {
    if p.has_permission(state, perm, r)? {
        return Ok(());
    }
    Err(Error::Unauthorized(format!(
        "User {} does not have sufficient privileges to perform the requested operation",
        user_name(state)
    )))
}

/// `ClientState.ensureHasPermission`.
fn ensure_has_permission(p: &QueryProcessor, state: &ClientState, perm: Permission, r: &Resource) -> Result<(), Error> {
    if p.has_permission(state, perm, r)? {
        return Ok(());
    }
    Err(Error::Unauthorized(format!("User {} has no {perm} permission on {r} or any of its parents", user_name(state))))
}

fn exists(p: &QueryProcessor, role: &str) -> Result<bool, Error> {
    Ok(p.cached_role(role)?.is_some())
}

/// The grammar's check, before anything else: a role gets a password or a hash, not both.
fn exclusive_passwords(options: &[RoleOption]) -> Result<(), Error> {
    let password = options.iter().any(|o| matches!(o, RoleOption::Password(_)));
    let hashed = options.iter().any(|o| matches!(o, RoleOption::HashedPassword(_)));
    if password && hashed {
        return Err(Error::Syntax("Options 'password' and 'hashed password' are mutually exclusive".into()));
    }
    Ok(())
}

/// `RoleOptions.validate` against what `CassandraRoleManager` supports with this authenticator.
fn validate_options(p: &QueryProcessor, options: &[RoleOption]) -> Result<(), Error> {
    let password_auth = p.auth.config.authenticator == Authenticator::Password;
    for o in options {
        let supported = match o {
            RoleOption::Login(_) | RoleOption::Superuser(_) => true,
            RoleOption::Password(_) | RoleOption::HashedPassword(_) => password_auth,
            RoleOption::Options(_) => false,
            // Datacenter access is the network authorizer's (this single node has one datacenter),
            // CIDR access the CIDR authorizer's (Cassandra's default allows every address).
            RoleOption::AccessToAllDatacenters
            | RoleOption::AccessToDatacenters(_)
            | RoleOption::AccessFromAllCidrs
            | RoleOption::AccessFromCidrs(_) => continue,
        };
        if !supported {
            return Err(Error::invalid(format!("{ROLE_MANAGER} doesn't support {}", cql_parser::role_option_name(o))));
        }
        if let RoleOption::HashedPassword(h) = o {
            if bcrypt::verify("", h).is_err() {
                return Err(Error::invalid("Invalid hashed password value. Please use jBcrypt."));
            }
        }
    }
    Ok(())
}

fn superuser_option(options: &[RoleOption]) -> Option<bool> {
    options.iter().find_map(|o| if let RoleOption::Superuser(b) = o { Some(*b) } else { None })
}

fn login_option(options: &[RoleOption]) -> Option<bool> {
    options.iter().find_map(|o| if let RoleOption::Login(b) = o { Some(*b) } else { None })
}

/// The salted hash a PASSWORD or HASHED PASSWORD option sets.
fn hash_option(options: &[RoleOption]) -> Result<Option<String>, Error> {
    for o in options {
        match o {
            RoleOption::Password(pw) => return hash_password(pw).map(Some),
            RoleOption::HashedPassword(h) => return Ok(Some(h.clone())),
            _ => {}
        }
    }
    Ok(None)
}

fn create_role(p: &QueryProcessor, state: &ClientState, s: &ast::CreateRole) -> Result<Outcome, Error> {
    check_permission(p, state, Permission::Create, &Resource::AllRoles)?;
    if superuser_option(&s.options) == Some(true) && !is_super(p, state)? {
        return Err(Error::Unauthorized("Only superusers can create a role with superuser status".into()));
    }
    validate_options(p, &s.options)?;
    if s.name.is_empty() {
        return Err(Error::invalid("Role name can't be an empty string"));
    }
    ensure_not_anonymous(p, state)?;
    let existing = exists(p, &s.name)?;
    if existing && !s.if_not_exists {
        return Err(Error::invalid(format!("{} already exists", s.name)));
    }
    if existing {
        return Ok(void());
    }
    let hash = hash_option(&s.options)?;
    let superuser = superuser_option(&s.options).unwrap_or(false);
    let login = login_option(&s.options).unwrap_or(false);
    let outcome = store::insert_role(p, &s.name, superuser, login, hash.as_deref())?;
    if p.auth.config.authorizer.requires_authorization() {
        grant_to_creator(p, state, Resource::Role(s.name.clone()))?;
    }
    Ok(Outcome { result: QueryResult::Void, ..outcome })
}

fn alter_role(p: &QueryProcessor, state: &ClientState, s: &ast::AlterRole) -> Result<Outcome, Error> {
    // checkAccess
    let superuser = superuser_option(&s.options);
    let user_roles: Vec<String> = match &state.user {
        Some(u) => p.role_hierarchy(u)?.iter().map(|r| r.name.clone()).collect(),
        None => Vec::new(),
    };
    if superuser.is_some() && user_roles.contains(&s.name) {
        return Err(Error::Unauthorized(
            "You aren't allowed to alter your own superuser status or that of a role granted to you".into(),
        ));
    }
    let sup = is_super(p, state)?;
    if superuser.is_some() && !sup {
        return Err(Error::Unauthorized("Only superusers are allowed to alter superuser status".into()));
    }
    if !sup {
        if state.user.as_deref() == Some(s.name.as_str()) {
            let password_auth = p.auth.config.authenticator == Authenticator::Password;
            for o in &s.options {
                let alterable = password_auth && matches!(o, RoleOption::Password(_) | RoleOption::HashedPassword(_));
                if !alterable {
                    return Err(Error::Unauthorized(format!(
                        "You aren't allowed to alter {}",
                        cql_parser::role_option_name(o)
                    )));
                }
            }
        } else {
            check_permission(p, state, Permission::Alter, &Resource::Role(s.name.clone()))?;
        }
    }
    // validate
    validate_options(p, &s.options)?;
    if s.options.is_empty() {
        return Err(Error::invalid("ALTER [ROLE|USER] can't be empty"));
    }
    ensure_not_anonymous(p, state)?;
    if !exists(p, &s.name)? {
        if s.if_exists {
            return Ok(void());
        }
        return Err(Error::invalid(format!("{} doesn't exist", s.name)));
    }
    let mut assignments = Vec::new();
    for o in &s.options {
        match o {
            RoleOption::Login(b) => assignments.push(format!("can_login = {b}")),
            RoleOption::Superuser(b) => assignments.push(format!("is_superuser = {b}")),
            _ => {}
        }
    }
    if let Some(h) = hash_option(&s.options)? {
        assignments.push(format!("salted_hash = {}", store::quote(&h)));
    }
    store::update_role(p, &s.name, &assignments)
}

fn drop_role(p: &QueryProcessor, state: &ClientState, s: &ast::DropRole) -> Result<Outcome, Error> {
    check_permission(p, state, Permission::Drop, &Resource::Role(s.name.clone()))?;
    let existing = exists(p, &s.name)?;
    if existing && p.has_superuser_status(&s.name)? && !is_super(p, state)? {
        return Err(Error::Unauthorized("Only superusers can drop a role with superuser status".into()));
    }
    let user = ensure_not_anonymous(p, state)?;
    if !existing && !s.if_exists {
        return Err(Error::invalid(format!("{} doesn't exist", s.name)));
    }
    if user == s.name {
        return Err(Error::invalid("Cannot DROP primary role for current login"));
    }
    if !existing {
        return Ok(void());
    }
    store::delete_role(p, &s.name)?;
    store::revoke_all_from(p, &s.name)?;
    let own = Resource::Role(s.name.clone()).name();
    store::revoke_all_on(p, |r| r == own)
}

/// The roles granted to `role` (itself included): all of them, or only the direct ones.
fn granted_roles(p: &QueryProcessor, role: &str, recursive: bool) -> Result<Vec<String>, Error> {
    if recursive {
        return Ok(p.role_hierarchy(role)?.iter().map(|r| r.name.clone()).collect());
    }
    let Some(r) = p.cached_role(role)? else { return Ok(Vec::new()) };
    let mut out = vec![r.name.clone()];
    for m in &r.member_of {
        if p.cached_role(m)?.is_some() && !out.contains(m) {
            out.push(m.clone());
        }
    }
    Ok(out)
}

fn column(table: &str, name: &str, typ: CqlType) -> ColumnSpec {
    ColumnSpec { keyspace: super::schema::KEYSPACE.into(), table: table.into(), name: name.into(), typ }
}

fn text(s: &str) -> Option<Bytes> {
    Some(Bytes::copy_from_slice(s.as_bytes()))
}

fn boolean(b: bool) -> Option<Bytes> {
    Some(Bytes::from_static(if b { &[1] } else { &[0] }))
}

fn rows(columns: Vec<ColumnSpec>, rows: Vec<Vec<Option<Bytes>>>) -> Outcome {
    if rows.is_empty() {
        return void();
    }
    let metadata = ResultMetadata { columns, ..ResultMetadata::default() };
    Outcome { result: QueryResult::Rows(Rows { metadata, rows }), durable: None, warnings: Vec::new() }
}

fn list_roles(p: &QueryProcessor, state: &ClientState, s: &ast::ListRoles) -> Result<Outcome, Error> {
    let user = ensure_not_anonymous(p, state)?;
    if let Some(of) = &s.of {
        if !exists(p, of)? {
            return Err(Error::invalid(format!("{} doesn't exist", Resource::Role(of.clone()))));
        }
    }
    let may_describe_all = p.permissions_on(state, &Resource::AllRoles)?.contains(&Permission::Describe);
    let mut names = match (&s.of, may_describe_all) {
        (None, true) => store::all_roles(p)?,
        (Some(of), true) => granted_roles(p, of, s.recursive)?,
        (None, false) => granted_roles(p, user, s.recursive)?,
        (Some(of), false) => {
            if !granted_roles(p, user, true)?.contains(of) {
                return Err(Error::Unauthorized(format!("You are not authorized to view roles granted to {of} ")));
            }
            granted_roles(p, of, s.recursive)?
        }
    };
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for name in names {
        let Some(role) = p.cached_role(&name)? else { continue };
        if s.users {
            if !role.can_login {
                continue;
            }
            out.push(vec![text(&name), boolean(p.has_superuser_status(&name)?), text("ALL")]);
        } else {
            let no_options = Some(Bytes::from_static(&[0, 0, 0, 0]));
            out.push(vec![text(&name), boolean(role.is_superuser), boolean(role.can_login), no_options, text("ALL")]);
        }
    }
    let columns = if s.users {
        vec![
            column("users", "name", CqlType::TEXT),
            column("users", "super", CqlType::BOOLEAN),
            column("users", "datacenters", CqlType::TEXT),
        ]
    } else {
        vec![
            column("roles", "role", CqlType::TEXT),
            column("roles", "super", CqlType::BOOLEAN),
            column("roles", "login", CqlType::BOOLEAN),
            column("roles", "options", CqlType::map(CqlType::TEXT, CqlType::TEXT)),
            column("roles", "datacenters", CqlType::TEXT),
        ]
    };
    Ok(rows(columns, out))
}

fn change_membership(
    p: &QueryProcessor,
    state: &ClientState,
    s: &ast::RoleGrant,
    grant: bool,
) -> Result<Outcome, Error> {
    check_permission(p, state, Permission::Authorize, &Resource::Role(s.role.clone()))?;
    ensure_not_anonymous(p, state)?;
    for r in [&s.role, &s.grantee] {
        if !exists(p, r)? {
            return Err(Error::invalid(format!("{r} doesn't exist")));
        }
    }
    if grant {
        if granted_roles(p, &s.grantee, true)?.contains(&s.role) {
            return Err(Error::invalid(format!("{} is a member of {}", s.grantee, s.role)));
        }
        if granted_roles(p, &s.role, true)?.contains(&s.grantee) {
            return Err(Error::invalid(format!("{} is a member of {}", s.role, s.grantee)));
        }
        store::grant_role(p, &s.role, &s.grantee)
    } else {
        let direct = p.cached_role(&s.grantee)?.map(|r| r.member_of.clone()).unwrap_or_default();
        if !direct.contains(&s.role) {
            return Err(Error::invalid(format!("{} is not a member of {}", s.grantee, s.role)));
        }
        store::revoke_role(p, &s.role, &s.grantee)
    }
}

/// The resource a statement names; unqualified tables resolve against the request's keyspace.
fn resource(state: &ClientState, r: &ast::Resource, keyspace: Option<&str>) -> Result<Resource, Error> {
    Ok(match r {
        ast::Resource::AllKeyspaces => Resource::AllKeyspaces,
        ast::Resource::Keyspace(k) => Resource::Keyspace(k.clone()),
        ast::Resource::AllTables(k) => Resource::AllTables(k.clone()),
        ast::Resource::Table(t) => {
            let ks = t.keyspace.clone().or_else(|| keyspace.map(str::to_string)).or_else(|| state.keyspace.clone());
            let ks = ks.ok_or_else(|| {
                Error::invalid(
                    "No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename",
                )
            })?;
            Resource::Table(ks, t.name.clone())
        }
        ast::Resource::AllRoles => Resource::AllRoles,
        ast::Resource::Role(r) => Resource::Role(r.clone()),
        ast::Resource::AllFunctions(None) => Resource::AllFunctions,
        ast::Resource::AllFunctions(Some(k)) => Resource::KeyspaceFunctions(k.clone()),
        ast::Resource::Function(name, _) => {
            let ks = name.keyspace.clone().or_else(|| keyspace.map(str::to_string)).or_else(|| state.keyspace.clone());
            return Err(Error::invalid(format!(
                "Resource <function {}.{}> doesn't exist",
                ks.unwrap_or_default(),
                name.name
            )));
        }
        ast::Resource::AllMbeans => Resource::AllMbeans,
        ast::Resource::Mbean(m) => Resource::Mbean(m.clone()),
    })
}

/// Whether the resource exists (`IResource.exists`).
fn resource_exists(p: &QueryProcessor, r: &Resource) -> Result<bool, Error> {
    let schema = p.schema();
    Ok(match r {
        Resource::Keyspace(k) | Resource::AllTables(k) | Resource::KeyspaceFunctions(k) => {
            schema.keyspaces.contains_key(k)
        }
        Resource::Table(k, t) => schema.table(k, t).is_ok(),
        Resource::Role(name) => exists(p, name)?,
        _ => true,
    })
}

/// The permissions a statement names: all of them for `ALL`, else those written, in
/// Cassandra's order.
fn named_permissions(permission: &Option<Vec<String>>) -> Vec<Permission> {
    match permission {
        None => Permission::ALL.to_vec(),
        Some(names) => {
            Permission::ALL.into_iter().filter(|p| names.iter().any(|n| Permission::parse(n) == Some(*p))).collect()
        }
    }
}

/// `ALL` or the permissions written, each kept only where it applies to the resource (the
/// parser's `filterPermissions`).
fn filtered_permissions(permission: &Option<Vec<String>>, r: &Resource) -> Result<Vec<Permission>, Error> {
    let asked = named_permissions(permission);
    let kept: Vec<Permission> = asked.into_iter().filter(|p| r.applicable_permissions().contains(p)).collect();
    if kept.is_empty() {
        return Err(Error::Syntax(format!(
            "Resource type {} does not support any of the requested permissions",
            r.class_name()
        )));
    }
    Ok(kept)
}

fn change_permissions(
    p: &QueryProcessor,
    state: &ClientState,
    s: &ast::PermissionChange,
    keyspace: Option<&str>,
    grant: bool,
) -> Result<Outcome, Error> {
    let r = resource(state, &s.resource, keyspace)?;
    let permissions = filtered_permissions(&s.permission, &r)?;
    ensure_has_permission(p, state, Permission::Authorize, &r)?;
    for perm in &permissions {
        ensure_has_permission(p, state, *perm, &r)?;
    }
    ensure_not_anonymous(p, state)?;
    if !exists(p, &s.role)? {
        return Err(Error::invalid(format!("Role {} doesn't exist", s.role)));
    }
    if !resource_exists(p, &r)? {
        return Err(Error::invalid(format!("Resource {r} doesn't exist")));
    }
    if grant && grants_too_much_on_a_system_keyspace(&r, &permissions) {
        return Err(Error::Unauthorized(
            "Granting permissions on system keyspaces is strictly limited, this operation is not permitted".into(),
        ));
    }
    if !p.auth.config.authorizer.requires_authorization() {
        let op = if grant { "GRANT" } else { "REVOKE" };
        return Err(Error::invalid(format!("{op} operation is not supported by AllowAllAuthorizer")));
    }
    // As `CassandraAuthorizer.grant/revoke`: only what changes is written, and what did not change
    // is reported in a warning.
    let existing = store::permissions(p, &s.role, &r.name())?;
    let (changed, unchanged): (Vec<Permission>, Vec<Permission>) =
        permissions.iter().partition(|perm| existing.contains(perm) != grant);
    let mut outcome =
        if changed.is_empty() { void() } else { store::modify_permissions(p, &s.role, &r.name(), &changed, grant)? };
    if !unchanged.is_empty() {
        let names = unchanged.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ");
        let what = if grant { "was already granted" } else { "was not granted" };
        outcome.warnings.push(format!("Role '{}' {what} {names} on {r}", s.role));
    }
    Ok(outcome)
}

/// `GrantPermissionsStatement.validate`: on the keyspaces of the system (not the virtual ones), only
/// SELECT, DESCRIBE and ALTER may be granted (`Permission.INVALID_FOR_SYSTEM_KEYSPACES`).
fn grants_too_much_on_a_system_keyspace(r: &Resource, permissions: &[Permission]) -> bool {
    let keyspace = match r {
        Resource::Keyspace(k) | Resource::AllTables(k) | Resource::Table(k, _) => k.as_str(),
        _ => return false,
    };
    let system = ["system", "system_schema", "system_auth", "system_distributed", "system_traces"];
    system.contains(&keyspace)
        && permissions.iter().any(|p| !matches!(p, Permission::Select | Permission::Describe | Permission::Alter))
}

fn list_permissions(
    p: &QueryProcessor,
    state: &ClientState,
    s: &ast::ListPermissions,
    keyspace: Option<&str>,
) -> Result<Outcome, Error> {
    let user = ensure_not_anonymous(p, state)?;
    let r = s.resource.as_ref().map(|r| resource(state, r, keyspace)).transpose()?;
    if let Some(r) = &r {
        if !resource_exists(p, r)? {
            return Err(Error::invalid(format!("{r} doesn't exist")));
        }
    }
    if let Some(of) = &s.of {
        if !exists(p, of)? {
            return Err(Error::invalid(format!("{} doesn't exist", Resource::Role(of.clone()))));
        }
    }
    if !p.auth.config.authorizer.requires_authorization() {
        return Err(Error::invalid("LIST PERMISSIONS operation is not supported by AllowAllAuthorizer"));
    }
    let wanted = named_permissions(&s.permission);
    let performer_is_super = state.internal || p.has_superuser_status(user)?;
    let own_roles = granted_roles(p, user, true)?;
    // `CassandraAuthorizer.list`: superusers, the role itself and its members, and holders of
    // DESCRIBE on ALL ROLES or on the role listed.
    let describes = |r: &Resource| -> Result<bool, Error> {
        Ok(!state.internal && p.permissions_on(state, r)?.contains(&Permission::Describe))
    };
    let allowed = performer_is_super
        || s.of.as_ref().is_some_and(|of| own_roles.contains(of))
        || describes(&Resource::AllRoles)?
        || match &s.of {
            Some(of) => describes(&Resource::Role(of.clone()))?,
            None => false,
        };
    if !allowed {
        let whom = s.of.as_deref().unwrap_or("everyone");
        return Err(Error::Unauthorized(format!("You are not authorized to view {whom}'s permissions")));
    }
    let resources: Option<Vec<String>> =
        r.map(|r| if s.recursive { r.chain().iter().map(Resource::name).collect() } else { vec![r.name()] });
    let roles: Option<Vec<String>> = s.of.as_ref().map(|of| granted_roles(p, of, true)).transpose()?;
    let mut details: Vec<(String, String, Permission)> = Vec::new();
    let sources = match &roles {
        Some(roles) => {
            let mut all = Vec::new();
            for role in roles {
                all.extend(store::list_permissions(p, Some(role))?);
            }
            all
        }
        None => store::list_permissions(p, None)?,
    };
    for (role, resource_name, perms) in sources {
        if resources.as_ref().is_some_and(|rs| !rs.contains(&resource_name)) {
            continue;
        }
        for perm in perms.into_iter().filter(|x| wanted.contains(x)) {
            let d = (role.clone(), resource_name.clone(), perm);
            if !details.contains(&d) {
                details.push(d);
            }
        }
    }
    details.sort();
    let out = details
        .into_iter()
        .map(|(role, resource_name, perm)| {
            let shown = Resource::from_name(&resource_name).map(|r| r.to_string()).unwrap_or(resource_name);
            vec![text(&role), text(&role), text(&shown), text(perm.name())]
        })
        .collect();
    let columns = vec![
        column("permissions", "role", CqlType::TEXT),
        column("permissions", "username", CqlType::TEXT),
        column("permissions", "resource", CqlType::TEXT),
        column("permissions", "permission", CqlType::TEXT),
    ];
    Ok(rows(columns, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_permissions_on_a_table_are_those_that_apply_to_tables() {
        let t = Resource::Table("ks".into(), "t".into());
        let got = filtered_permissions(&None, &t).unwrap();
        assert!(got.contains(&Permission::Select) && got.contains(&Permission::Modify));
        assert!(!got.contains(&Permission::Create) && !got.contains(&Permission::Describe));
    }

    #[test]
    fn of_several_permissions_those_that_apply_are_kept() {
        let got = filtered_permissions(
            &Some(vec!["SELECT".into(), "CREATE".into()]),
            &Resource::Table("k".into(), "t".into()),
        );
        assert_eq!(got, Ok(vec![Permission::Select]));
        let got = filtered_permissions(&Some(vec!["MODIFY".into(), "CREATE".into()]), &Resource::AllTables("k".into()));
        assert_eq!(got, Ok(vec![Permission::Create, Permission::Modify]));
    }

    #[test]
    fn only_select_describe_and_alter_may_be_granted_on_system_keyspaces() {
        let local = Resource::Table("system".into(), "local".into());
        assert!(!grants_too_much_on_a_system_keyspace(&local, &[Permission::Select]));
        assert!(grants_too_much_on_a_system_keyspace(&local, &[Permission::Select, Permission::Modify]));
        let traces = Resource::AllTables("system_traces".into());
        assert!(grants_too_much_on_a_system_keyspace(&traces, &[Permission::Create]));
        let virtual_ks = Resource::Keyspace("system_views".into());
        assert!(!grants_too_much_on_a_system_keyspace(&virtual_ks, &[Permission::Modify]));
        assert!(!grants_too_much_on_a_system_keyspace(&Resource::AllKeyspaces, &[Permission::Modify]));
    }

    #[test]
    fn a_permission_that_does_not_apply_is_a_syntax_error() {
        assert_eq!(
            filtered_permissions(&Some(vec!["DESCRIBE".into()]), &Resource::Keyspace("ks".into())),
            Err(Error::Syntax("Resource type DataResource does not support any of the requested permissions".into()))
        );
    }
}
