//! Permissions and the resources they apply to, named and printed as Cassandra does
//! (`data/ks/t` in `system_auth`, `<table ks.t>` in messages).

use std::fmt;

/// Cassandra 5.0's permissions, in its enum order (which `LIST` sorts by).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    Create,
    Alter,
    Drop,
    Select,
    Modify,
    Authorize,
    Describe,
    Execute,
    Unmask,
    SelectMasked,
}

impl Permission {
    pub const ALL: [Permission; 10] = [
        Permission::Create,
        Permission::Alter,
        Permission::Drop,
        Permission::Select,
        Permission::Modify,
        Permission::Authorize,
        Permission::Describe,
        Permission::Execute,
        Permission::Unmask,
        Permission::SelectMasked,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Permission::Create => "CREATE",
            Permission::Alter => "ALTER",
            Permission::Drop => "DROP",
            Permission::Select => "SELECT",
            Permission::Modify => "MODIFY",
            Permission::Authorize => "AUTHORIZE",
            Permission::Describe => "DESCRIBE",
            Permission::Execute => "EXECUTE",
            Permission::Unmask => "UNMASK",
            Permission::SelectMasked => "SELECT_MASKED",
        }
    }

    pub fn parse(name: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Something permissions are granted on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Resource {
    AllKeyspaces,
    Keyspace(String),
    /// Every table of a keyspace (`ALL TABLES IN KEYSPACE ks`, Cassandra 4.1+).
    AllTables(String),
    Table(String, String),
    AllRoles,
    Role(String),
    AllFunctions,
    KeyspaceFunctions(String),
    AllMbeans,
    Mbean(String),
}

use Permission as P;

/// `KEYSPACE_LEVEL_PERMISSIONS` (also `ALL_TABLES_LEVEL_PERMISSIONS`, the same set).
const DATA_KEYSPACE: &[Permission] =
    &[P::Create, P::Alter, P::Drop, P::Select, P::Modify, P::Authorize, P::Unmask, P::SelectMasked];
const DATA_TABLE: &[Permission] = &[P::Alter, P::Drop, P::Select, P::Modify, P::Authorize, P::Unmask, P::SelectMasked];
const ROLES_ROOT: &[Permission] = &[P::Create, P::Alter, P::Drop, P::Authorize, P::Describe];
/// `ROLE_LEVEL_PERMISSIONS`: DESCRIBE on one role lets its holder list that role's permissions.
const ROLE: &[Permission] = &[P::Alter, P::Drop, P::Authorize, P::Describe];
const FUNCTIONS: &[Permission] = &[P::Create, P::Alter, P::Drop, P::Authorize, P::Execute];
const MBEANS: &[Permission] = &[P::Select, P::Modify, P::Authorize, P::Describe, P::Execute];

impl Resource {
    /// The name stored in `system_auth` (`IResource.getName`).
    pub fn name(&self) -> String {
        match self {
            Resource::AllKeyspaces => "data".into(),
            Resource::Keyspace(k) => format!("data/{k}"),
            Resource::AllTables(k) => format!("data/{k}/*"),
            Resource::Table(k, t) => format!("data/{k}/{t}"),
            Resource::AllRoles => "roles".into(),
            Resource::Role(r) => format!("roles/{r}"),
            Resource::AllFunctions => "functions".into(),
            Resource::KeyspaceFunctions(k) => format!("functions/{k}"),
            Resource::AllMbeans => "mbean".into(),
            Resource::Mbean(m) => format!("mbean/{m}"),
        }
    }

    /// Parses a stored name back; `None` for names of resources Sibyl does not model.
    pub fn from_name(name: &str) -> Option<Resource> {
        // Role and MBean names may themselves hold '/' (`RoleResource.fromName` splits once).
        match name.split_once('/') {
            Some(("roles", r)) => return Some(Resource::Role(r.into())),
            Some(("mbean", m)) => return Some(Resource::Mbean(m.into())),
            _ => {}
        }
        let mut parts = name.splitn(3, '/');
        let root = parts.next()?;
        let second = parts.next();
        let third = parts.next();
        Some(match (root, second, third) {
            ("data", None, _) => Resource::AllKeyspaces,
            ("data", Some(k), None) => Resource::Keyspace(k.into()),
            ("data", Some(k), Some("*")) => Resource::AllTables(k.into()),
            ("data", Some(k), Some(t)) => Resource::Table(k.into(), t.into()),
            ("roles", None, _) => Resource::AllRoles,
            ("roles", Some(r), None) => Resource::Role(r.into()),
            ("functions", None, _) => Resource::AllFunctions,
            ("functions", Some(k), None) => Resource::KeyspaceFunctions(k.into()),
            ("mbean", None, _) => Resource::AllMbeans,
            ("mbean", Some(m), None) => Resource::Mbean(m.into()),
            _ => return None,
        })
    }

    /// The Java class of the resource, as Cassandra names it in errors.
    pub fn class_name(&self) -> &'static str {
        match self {
            Resource::AllKeyspaces | Resource::Keyspace(_) | Resource::AllTables(_) | Resource::Table(..) => {
                "DataResource"
            }
            Resource::AllRoles | Resource::Role(_) => "RoleResource",
            Resource::AllFunctions | Resource::KeyspaceFunctions(_) => "FunctionResource",
            Resource::AllMbeans | Resource::Mbean(_) => "JMXResource",
        }
    }

    /// The permissions that mean something on this resource.
    pub fn applicable_permissions(&self) -> &'static [Permission] {
        match self {
            Resource::AllKeyspaces | Resource::Keyspace(_) | Resource::AllTables(_) => DATA_KEYSPACE,
            Resource::Table(..) => DATA_TABLE,
            Resource::AllRoles => ROLES_ROOT,
            Resource::Role(_) => ROLE,
            Resource::AllFunctions | Resource::KeyspaceFunctions(_) => FUNCTIONS,
            Resource::AllMbeans | Resource::Mbean(_) => MBEANS,
        }
    }

    pub fn parent(&self) -> Option<Resource> {
        match self {
            Resource::Keyspace(_) => Some(Resource::AllKeyspaces),
            Resource::AllTables(k) => Some(Resource::Keyspace(k.clone())),
            Resource::Table(k, _) => Some(Resource::AllTables(k.clone())),
            Resource::Role(_) => Some(Resource::AllRoles),
            Resource::KeyspaceFunctions(_) => Some(Resource::AllFunctions),
            Resource::Mbean(_) => Some(Resource::AllMbeans),
            Resource::AllKeyspaces | Resource::AllRoles | Resource::AllFunctions | Resource::AllMbeans => None,
        }
    }

    /// The resource and its ancestors, the resource first (Cassandra's `Resources.chain`).
    pub fn chain(&self) -> Vec<Resource> {
        let mut out = vec![self.clone()];
        while let Some(p) = out.last().and_then(Resource::parent) {
            out.push(p);
        }
        out
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::AllKeyspaces => f.write_str("<all keyspaces>"),
            Resource::Keyspace(k) => write!(f, "<keyspace {k}>"),
            Resource::AllTables(k) => write!(f, "<all tables in {k}>"),
            Resource::Table(k, t) => write!(f, "<table {k}.{t}>"),
            Resource::AllRoles => f.write_str("<all roles>"),
            Resource::Role(r) => write!(f, "<role {r}>"),
            Resource::AllFunctions => f.write_str("<all functions>"),
            Resource::KeyspaceFunctions(k) => write!(f, "<all functions in {k}>"),
            Resource::AllMbeans => f.write_str("<all mbeans>"),
            Resource::Mbean(m) => write!(f, "<mbean {m}>"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names_round_trip() {
        for r in [
            Resource::AllKeyspaces,
            Resource::Keyspace("ks".into()),
            Resource::AllTables("ks".into()),
            Resource::Table("ks".into(), "t".into()),
            Resource::AllRoles,
            Resource::Role("bob".into()),
            Resource::AllFunctions,
            Resource::KeyspaceFunctions("ks".into()),
            Resource::AllMbeans,
        ] {
            assert_eq!(Resource::from_name(&r.name()), Some(r.clone()), "{r}");
        }
        assert_eq!(Resource::Table("ks".into(), "t".into()).name(), "data/ks/t");
        assert_eq!(Resource::AllTables("ks".into()).name(), "data/ks/*");
    }

    #[test]
    fn role_names_may_hold_slashes() {
        for name in ["ki/ng", "aeou/!@*%", "do$\\$P#?:"] {
            let r = Resource::Role(name.into());
            assert_eq!(Resource::from_name(&r.name()), Some(r));
        }
        assert_eq!(Resource::from_name("roles"), Some(Resource::AllRoles));
    }

    #[test]
    fn a_table_chain_goes_up_through_all_tables_to_all_keyspaces() {
        let chain = Resource::Table("ks".into(), "t".into()).chain();
        let shown: Vec<String> = chain.iter().map(|r| r.to_string()).collect();
        assert_eq!(shown, ["<table ks.t>", "<all tables in ks>", "<keyspace ks>", "<all keyspaces>"]);
    }

    #[test]
    fn create_applies_to_all_tables_but_not_to_a_table() {
        assert!(Resource::AllTables("ks".into()).applicable_permissions().contains(&Permission::Create));
        assert!(!Resource::AllTables("ks".into()).applicable_permissions().contains(&Permission::Describe));
        assert_eq!(Resource::AllTables("ks".into()).class_name(), "DataResource");
    }

    #[test]
    fn describe_applies_to_roles_but_not_to_data() {
        assert!(!Resource::Keyspace("ks".into()).applicable_permissions().contains(&Permission::Describe));
        assert!(Resource::AllRoles.applicable_permissions().contains(&Permission::Describe));
        assert!(Resource::Role("r".into()).applicable_permissions().contains(&Permission::Describe));
        assert!(!Resource::Table("k".into(), "t".into()).applicable_permissions().contains(&Permission::Create));
    }

    #[test]
    fn permissions_parse_case_insensitively() {
        assert_eq!(Permission::parse("select_masked"), Some(Permission::SelectMasked));
        assert_eq!(Permission::parse("READ"), None);
    }
}
