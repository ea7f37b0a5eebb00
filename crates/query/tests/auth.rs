//! Roles and permissions at the query layer: a processor with PasswordAuthenticator and
//! CassandraAuthorizer, clients logged in as different roles (the protocol layer sets
//! `ClientState::user` after AUTH_SUCCESS).

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use query::{
    AuthConfig, Authenticator, Authorizer, ClientState, Error, NodeConfig, QueryOptions, QueryProcessor, QueryResult,
};

struct Node {
    _dir: tempfile::TempDir,
    p: QueryProcessor,
}

fn node_with(authorizer: Authorizer) -> Node {
    let dir = tempfile::tempdir().unwrap();
    let config = NodeConfig {
        cluster_name: "Test Cluster".into(),
        listen_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
        native_port: 9042,
        data_dir: dir.path().to_path_buf(),
        storage: storage::StorageConfig {
            sync: storage::SyncMode::Periodic { period: Duration::from_millis(100) },
            ..storage::StorageConfig::new(dir.path())
        },
    };
    let auth = AuthConfig {
        authenticator: Authenticator::Password,
        authorizer,
        roles_validity: Duration::ZERO,
        permissions_validity: Duration::ZERO,
        credentials_validity: Duration::ZERO,
    };
    let p = QueryProcessor::open(config).unwrap().with_auth(auth).unwrap();
    Node { _dir: dir, p }
}

fn node() -> Node {
    node_with(Authorizer::Cassandra)
}

fn as_user(user: &str) -> ClientState {
    ClientState { protocol_version: 4, user: Some(user.into()), ..ClientState::default() }
}

impl Node {
    fn run(&self, state: &mut ClientState, q: &str) -> Result<QueryResult, Error> {
        self.p.query(state, q, &QueryOptions::default()).map(|o| o.result)
    }

    fn ok(&self, user: &str, q: &str) -> QueryResult {
        self.run(&mut as_user(user), q).unwrap_or_else(|e| panic!("{q}: {e:?}"))
    }

    fn err(&self, user: &str, q: &str) -> Error {
        self.run(&mut as_user(user), q).expect_err(q)
    }

    /// The first column of each row, as text.
    fn names(&self, user: &str, q: &str) -> Vec<String> {
        match self.ok(user, q) {
            QueryResult::Rows(r) => {
                r.rows.iter().map(|row| String::from_utf8(row[0].clone().unwrap().to_vec()).unwrap()).collect()
            }
            QueryResult::Void => Vec::new(),
            other => panic!("{q}: {other:?}"),
        }
    }
}

const KS: &str = "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}";

#[test]
fn the_default_superuser_logs_in_with_its_default_password() {
    let n = node();
    assert_eq!(n.p.authenticate("cassandra", "cassandra"), Ok("cassandra".into()));
    assert_eq!(
        n.p.authenticate("cassandra", "wrong"),
        Err(Error::BadCredentials("Provided username cassandra and/or password are incorrect".into()))
    );
    assert_eq!(
        n.p.authenticate("nobody", "x"),
        Err(Error::BadCredentials("Provided username nobody and/or password are incorrect".into()))
    );
}

#[test]
fn a_role_without_login_cannot_log_in() {
    let n = node();
    n.ok("cassandra", "CREATE ROLE r WITH PASSWORD = 'pw'");
    assert_eq!(n.p.authenticate("r", "pw"), Err(Error::BadCredentials("r is not permitted to log in".into())));
    n.ok("cassandra", "ALTER ROLE r WITH LOGIN = true");
    assert_eq!(n.p.authenticate("r", "pw"), Ok("r".into()));
}

#[test]
fn password_hashes_are_salted_bcrypt_with_cassandras_rounds() {
    let n = node();
    n.ok("cassandra", "CREATE ROLE r WITH PASSWORD = 'pw' AND LOGIN = true");
    let hash = n.names("cassandra", "SELECT salted_hash FROM system_auth.roles WHERE role = 'r'");
    assert!(hash[0].starts_with("$2a$10$"), "{hash:?}");
}

#[test]
fn list_roles_shows_every_role_sorted_to_a_superuser() {
    let n = node();
    n.ok("cassandra", "CREATE ROLE zed");
    n.ok("cassandra", "CREATE ROLE alice WITH LOGIN = true");
    assert_eq!(n.names("cassandra", "LIST ROLES"), ["alice", "cassandra", "zed"]);
    match n.ok("cassandra", "LIST ROLES") {
        QueryResult::Rows(r) => {
            let cols: Vec<&str> = r.metadata.columns.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(cols, ["role", "super", "login", "options", "datacenters"]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(n.names("cassandra", "LIST USERS"), ["alice", "cassandra"]);
}

#[test]
fn an_existing_role_cannot_be_created_again_unless_if_not_exists() {
    let n = node();
    n.ok("cassandra", "CREATE ROLE r");
    assert_eq!(n.err("cassandra", "CREATE ROLE r"), Error::Invalid("r already exists".into()));
    n.ok("cassandra", "CREATE ROLE IF NOT EXISTS r");
    assert_eq!(n.err("cassandra", "DROP ROLE nope"), Error::Invalid("nope doesn't exist".into()));
    n.ok("cassandra", "DROP ROLE IF EXISTS nope");
    assert_eq!(
        n.err("cassandra", "DROP ROLE cassandra"),
        Error::Invalid("Cannot DROP primary role for current login".into())
    );
}

#[test]
fn granted_roles_are_listed_recursively_unless_norecursive() {
    let n = node();
    for r in ["a", "b", "c"] {
        n.ok("cassandra", &format!("CREATE ROLE {r}"));
    }
    n.ok("cassandra", "GRANT b TO a");
    n.ok("cassandra", "GRANT c TO b");
    assert_eq!(n.names("cassandra", "LIST ROLES OF a"), ["a", "b", "c"]);
    assert_eq!(n.names("cassandra", "LIST ROLES OF a NORECURSIVE"), ["a", "b"]);
    assert_eq!(n.err("cassandra", "GRANT a TO c"), Error::Invalid("a is a member of c".into()));
    assert_eq!(n.err("cassandra", "REVOKE c FROM a"), Error::Invalid("a is not a member of c".into()));
    n.ok("cassandra", "REVOKE b FROM a");
    assert_eq!(n.names("cassandra", "LIST ROLES OF a"), ["a"]);
}

#[test]
fn a_user_without_select_is_refused_with_cassandras_message() {
    let n = node();
    n.ok("cassandra", KS);
    n.ok("cassandra", "CREATE TABLE ks.t (k int PRIMARY KEY, v int)");
    n.ok("cassandra", "CREATE ROLE bob WITH LOGIN = true AND PASSWORD = 'pw'");
    assert_eq!(
        n.err("bob", "SELECT * FROM ks.t"),
        Error::Unauthorized("User bob has no SELECT permission on <table ks.t> or any of its parents".into())
    );
    assert_eq!(
        n.err("bob", "INSERT INTO ks.t (k, v) VALUES (1, 1)"),
        Error::Unauthorized("User bob has no MODIFY permission on <table ks.t> or any of its parents".into())
    );
    // The schema and the local node are readable by everyone.
    n.ok("bob", "SELECT * FROM system_schema.tables");
    n.ok("bob", "SELECT * FROM system.local");
}

#[test]
fn a_permission_on_the_keyspace_covers_its_tables() {
    let n = node();
    n.ok("cassandra", KS);
    n.ok("cassandra", "CREATE TABLE ks.t (k int PRIMARY KEY, v int)");
    n.ok("cassandra", "CREATE ROLE bob WITH LOGIN = true");
    n.ok("cassandra", "GRANT SELECT ON KEYSPACE ks TO bob");
    n.ok("bob", "SELECT * FROM ks.t");
    n.err("bob", "INSERT INTO ks.t (k, v) VALUES (1, 1)");
    n.ok("cassandra", "REVOKE SELECT ON KEYSPACE ks FROM bob");
    n.err("bob", "SELECT * FROM ks.t");
}

#[test]
fn permissions_come_through_granted_roles() {
    let n = node();
    n.ok("cassandra", KS);
    n.ok("cassandra", "CREATE TABLE ks.t (k int PRIMARY KEY, v int)");
    n.ok("cassandra", "CREATE ROLE writer");
    n.ok("cassandra", "CREATE ROLE bob WITH LOGIN = true");
    n.ok("cassandra", "GRANT MODIFY ON TABLE ks.t TO writer");
    n.err("bob", "INSERT INTO ks.t (k, v) VALUES (1, 1)");
    n.ok("cassandra", "GRANT writer TO bob");
    n.ok("bob", "INSERT INTO ks.t (k, v) VALUES (1, 1)");
}

#[test]
fn the_creator_of_a_keyspace_gets_every_permission_on_it() {
    let n = node();
    n.ok("cassandra", "CREATE ROLE bob WITH LOGIN = true");
    assert_eq!(
        n.err("bob", KS),
        Error::Unauthorized("User bob has no CREATE permission on <all keyspaces> or any of its parents".into())
    );
    n.ok("cassandra", "GRANT CREATE ON ALL KEYSPACES TO bob");
    n.ok("bob", KS);
    n.ok("bob", "CREATE TABLE ks.t (k int PRIMARY KEY)");
    n.ok("bob", "INSERT INTO ks.t (k) VALUES (1)");
    let perms = n.names("cassandra", "LIST ALL OF bob");
    assert!(perms.len() >= 10, "{perms:?}");
    n.ok("bob", "DROP KEYSPACE ks");
    // Dropping it removed the permissions on it and its tables.
    assert_eq!(n.names("cassandra", "LIST ALL OF bob"), ["bob"]);
}

#[test]
fn list_permissions_has_cassandras_columns_and_order() {
    let n = node();
    n.ok("cassandra", KS);
    n.ok("cassandra", "CREATE TABLE ks.t (k int PRIMARY KEY)");
    n.ok("cassandra", "CREATE ROLE bob");
    n.ok("cassandra", "GRANT MODIFY ON ks.t TO bob");
    n.ok("cassandra", "GRANT SELECT ON ks.t TO bob");
    n.ok("cassandra", "GRANT ALTER ON KEYSPACE ks TO bob");
    match n.ok("cassandra", "LIST ALL OF bob") {
        QueryResult::Rows(r) => {
            let cols: Vec<&str> = r.metadata.columns.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(cols, ["role", "username", "resource", "permission"]);
            let shown: Vec<(String, String)> = r
                .rows
                .iter()
                .map(|row| {
                    let s = |i: usize| String::from_utf8(row[i].clone().unwrap().to_vec()).unwrap();
                    (s(2), s(3))
                })
                .collect();
            let expected = [("<keyspace ks>", "ALTER"), ("<table ks.t>", "SELECT"), ("<table ks.t>", "MODIFY")];
            let expected: Vec<(String, String)> =
                expected.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
            assert_eq!(shown, expected);
        }
        other => panic!("{other:?}"),
    }
    // NORECURSIVE lists only the resource itself, not its parents.
    assert_eq!(n.names("cassandra", "LIST ALL ON ks.t OF bob NORECURSIVE").len(), 2);
    assert_eq!(n.names("cassandra", "LIST ALL ON ks.t OF bob").len(), 3);
}

#[test]
fn a_permission_that_does_not_apply_to_the_resource_is_refused() {
    let n = node();
    n.ok("cassandra", KS);
    n.ok("cassandra", "CREATE ROLE bob");
    assert_eq!(
        n.err("cassandra", "GRANT DESCRIBE ON KEYSPACE ks TO bob"),
        Error::Syntax("Resource type DataResource does not support any of the requested permissions".into())
    );
    assert_eq!(
        n.err("cassandra", "GRANT SELECT ON KEYSPACE nope TO bob"),
        Error::Invalid("Resource <keyspace nope> doesn't exist".into())
    );
    assert_eq!(
        n.err("cassandra", "GRANT SELECT ON KEYSPACE ks TO nobody"),
        Error::Invalid("Role nobody doesn't exist".into())
    );
}

#[test]
fn only_superusers_create_superusers_and_ordinary_users_cannot_manage_roles() {
    let n = node();
    n.ok("cassandra", "CREATE ROLE bob WITH LOGIN = true");
    assert_eq!(
        n.err("bob", "CREATE ROLE x"),
        Error::Unauthorized("User bob does not have sufficient privileges to perform the requested operation".into())
    );
    n.ok("cassandra", "GRANT CREATE ON ALL ROLES TO bob");
    assert_eq!(
        n.err("bob", "CREATE ROLE x WITH SUPERUSER = true"),
        Error::Unauthorized("Only superusers can create a role with superuser status".into())
    );
    n.ok("bob", "CREATE ROLE x");
    // The creator may drop what it created.
    n.ok("bob", "DROP ROLE x");
    assert_eq!(
        n.err("bob", "ALTER ROLE bob WITH SUPERUSER = true"),
        Error::Unauthorized(
            "You aren't allowed to alter your own superuser status or that of a role granted to you".into()
        )
    );
    n.ok("bob", "ALTER ROLE bob WITH PASSWORD = 'new'");
    assert_eq!(
        n.err("bob", "LIST ALL"),
        Error::Unauthorized("You are not authorized to view everyone's permissions".into())
    );
}

#[test]
fn dropping_a_role_removes_it_from_its_members() {
    let n = node();
    n.ok("cassandra", "CREATE ROLE parent");
    n.ok("cassandra", "CREATE ROLE child");
    n.ok("cassandra", "GRANT parent TO child");
    n.ok("cassandra", "DROP ROLE parent");
    assert_eq!(n.names("cassandra", "LIST ROLES OF child"), ["child"]);
}

#[test]
fn with_allow_all_authorizer_everything_is_allowed_but_grant_is_not_supported() {
    let n = node_with(Authorizer::AllowAll);
    n.ok("cassandra", "CREATE ROLE bob WITH LOGIN = true");
    n.ok("bob", KS);
    n.ok("bob", "CREATE TABLE ks.t (k int PRIMARY KEY)");
    assert_eq!(
        n.err("cassandra", "GRANT SELECT ON KEYSPACE ks TO bob"),
        Error::Invalid("GRANT operation is not supported by AllowAllAuthorizer".into())
    );
}

#[test]
fn system_auth_tables_cannot_be_dropped() {
    let n = node();
    assert_eq!(
        n.err("cassandra", "DROP TABLE system_auth.roles"),
        Error::Unauthorized("Cannot DROP <table system_auth.roles>".into())
    );
}

#[test]
fn roles_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = || NodeConfig {
        cluster_name: "Test Cluster".into(),
        listen_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
        native_port: 9042,
        data_dir: dir.path().to_path_buf(),
        storage: storage::StorageConfig::new(dir.path()),
    };
    let auth = AuthConfig { authenticator: Authenticator::Password, ..AuthConfig::default() };
    let p = QueryProcessor::open(config()).unwrap().with_auth(auth.clone()).unwrap();
    p.query(
        &mut as_user("cassandra"),
        "CREATE ROLE bob WITH PASSWORD = 'pw' AND LOGIN = true",
        &QueryOptions::default(),
    )
    .unwrap();
    p.shutdown().unwrap();
    drop(p);
    let p = QueryProcessor::open(config()).unwrap().with_auth(auth).unwrap();
    assert_eq!(p.authenticate("bob", "pw"), Ok("bob".into()));
}

#[test]
fn a_role_without_describe_on_all_roles_lists_only_its_own_roles() {
    let n = node();
    n.ok("cassandra", "CREATE ROLE team");
    n.ok("cassandra", "CREATE ROLE bob WITH LOGIN = true");
    n.ok("cassandra", "GRANT team TO bob");
    assert_eq!(n.names("bob", "LIST ROLES"), ["bob", "team"]);
    assert_eq!(
        n.err("bob", "LIST ROLES OF cassandra"),
        Error::Unauthorized("You are not authorized to view roles granted to cassandra ".into())
    );
    n.ok("cassandra", "GRANT DESCRIBE ON ALL ROLES TO bob");
    assert_eq!(n.names("bob", "LIST ROLES"), ["bob", "cassandra", "team"]);
}

#[test]
fn role_statements_fail_as_cassandras_when_authentication_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let config = NodeConfig {
        cluster_name: "Test Cluster".into(),
        listen_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
        native_port: 9042,
        data_dir: dir.path().to_path_buf(),
        storage: storage::StorageConfig::new(dir.path()),
    };
    let p = QueryProcessor::open(config).unwrap();
    let mut anonymous = ClientState { protocol_version: 4, ..ClientState::default() };
    let mut run = |q: &str| p.query(&mut anonymous, q, &QueryOptions::default()).map(|o| o.result).expect_err(q);
    assert_eq!(
        run("CREATE ROLE r"),
        Error::Unauthorized("You have to be logged in and not anonymous to perform this request".into())
    );
    assert_eq!(
        run("CREATE ROLE r WITH PASSWORD = 'x'"),
        Error::Invalid("org.apache.cassandra.auth.CassandraRoleManager doesn't support PASSWORD".into())
    );
    assert_eq!(
        run("LIST ALL"),
        Error::Unauthorized("You have to be logged in and not anonymous to perform this request".into())
    );
}

impl Node {
    /// The warnings a statement run as `user` returns.
    fn warnings(&self, user: &str, q: &str) -> Vec<String> {
        self.p.query(&mut as_user(user), q, &QueryOptions::default()).unwrap_or_else(|e| panic!("{q}: {e:?}")).warnings
    }

    /// `(resource, permission)` of each row of a LIST permissions statement.
    fn listed(&self, user: &str, q: &str) -> Vec<(String, String)> {
        match self.ok(user, q) {
            QueryResult::Rows(r) => r
                .rows
                .iter()
                .map(|row| {
                    let s = |i: usize| String::from_utf8(row[i].clone().unwrap().to_vec()).unwrap();
                    (s(2), s(3))
                })
                .collect(),
            QueryResult::Void => Vec::new(),
            other => panic!("{q}: {other:?}"),
        }
    }
}

fn unauthorized(user: &str, perm: &str, resource: &str) -> Error {
    Error::Unauthorized(format!("User {user} has no {perm} permission on {resource} or any of its parents"))
}

#[test]
fn a_permission_on_all_tables_of_a_keyspace_covers_its_tables() {
    let n = node();
    n.ok("cassandra", KS);
    n.ok("cassandra", "CREATE TABLE ks.t (k int PRIMARY KEY, v int)");
    n.ok("cassandra", "CREATE ROLE bob WITH LOGIN = true");
    n.ok("cassandra", "GRANT SELECT, MODIFY ON ALL TABLES IN KEYSPACE ks TO bob");
    n.ok("bob", "INSERT INTO ks.t (k, v) VALUES (1, 1)");
    n.ok("bob", "SELECT * FROM ks.t");
    n.ok("cassandra", "REVOKE SELECT, MODIFY ON ALL TABLES IN KEYSPACE ks FROM bob");
    assert_eq!(n.err("bob", "SELECT * FROM ks.t"), unauthorized("bob", "SELECT", "<table ks.t>"));
}

#[test]
fn a_permission_on_all_tables_does_not_cover_the_keyspace_itself() {
    let n = node();
    n.ok("cassandra", KS);
    n.ok("cassandra", "CREATE ROLE bob WITH LOGIN = true");
    n.ok("cassandra", "GRANT ALTER, DROP ON ALL TABLES IN KEYSPACE ks TO bob");
    assert_eq!(
        n.err("bob", "ALTER KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"),
        unauthorized("bob", "ALTER", "<keyspace ks>")
    );
    assert_eq!(n.err("bob", "DROP KEYSPACE ks"), unauthorized("bob", "DROP", "<keyspace ks>"));
}

#[test]
fn tables_and_types_need_their_permission_on_all_tables_of_the_keyspace() {
    let n = node();
    n.ok("cassandra", KS);
    n.ok("cassandra", "CREATE TYPE ks.u (a int)");
    n.ok("cassandra", "CREATE ROLE bob WITH LOGIN = true");
    let all_tables = "<all tables in ks>";
    assert_eq!(n.err("bob", "CREATE TABLE ks.t (k int PRIMARY KEY)"), unauthorized("bob", "CREATE", all_tables));
    assert_eq!(n.err("bob", "CREATE TYPE ks.v (a int)"), unauthorized("bob", "CREATE", all_tables));
    assert_eq!(n.err("bob", "ALTER TYPE ks.u ADD b int"), unauthorized("bob", "ALTER", all_tables));
    assert_eq!(n.err("bob", "DROP TYPE ks.u"), unauthorized("bob", "DROP", all_tables));
    // The keyspace named by the statement is checked even when it does not exist.
    assert_eq!(
        n.err("bob", "CREATE TABLE nope.t (k int PRIMARY KEY)"),
        unauthorized("bob", "CREATE", "<all tables in nope>")
    );
    n.ok("cassandra", "GRANT CREATE, ALTER, DROP ON ALL TABLES IN KEYSPACE ks TO bob");
    n.ok("bob", "CREATE TABLE ks.t (k int PRIMARY KEY)");
    n.ok("bob", "CREATE TYPE ks.v (a int)");
    n.ok("bob", "ALTER TYPE ks.u ADD b int");
    n.ok("bob", "DROP TYPE ks.v");
}

#[test]
fn create_on_the_keyspace_still_allows_creating_tables() {
    let n = node();
    n.ok("cassandra", KS);
    n.ok("cassandra", "CREATE ROLE bob WITH LOGIN = true");
    n.ok("cassandra", "GRANT CREATE ON KEYSPACE ks TO bob");
    n.ok("bob", "CREATE TABLE ks.t (k int PRIMARY KEY, v int)");
    n.ok("bob", "INSERT INTO ks.t (k, v) VALUES (1, 1)");
}

#[test]
fn tables_created_by_someone_else_need_grants() {
    let n = node();
    n.ok("cassandra", KS);
    n.ok("cassandra", "CREATE TABLE ks.t (k int PRIMARY KEY, v int, w text)");
    n.ok("cassandra", "CREATE INDEX t_w_idx ON ks.t (w)");
    n.ok("cassandra", "CREATE ROLE bob WITH LOGIN = true");
    n.ok("cassandra", "GRANT CREATE ON KEYSPACE ks TO bob");
    let t = "<table ks.t>";
    assert_eq!(n.err("bob", "UPDATE ks.t SET v = 1 WHERE k = 1"), unauthorized("bob", "MODIFY", t));
    assert_eq!(n.err("bob", "DELETE FROM ks.t WHERE k = 1"), unauthorized("bob", "MODIFY", t));
    assert_eq!(n.err("bob", "TRUNCATE TABLE ks.t"), unauthorized("bob", "MODIFY", t));
    assert_eq!(n.err("bob", "ALTER TABLE ks.t ADD x int"), unauthorized("bob", "ALTER", t));
    assert_eq!(n.err("bob", "DROP TABLE ks.t"), unauthorized("bob", "DROP", t));
    assert_eq!(n.err("bob", "DROP INDEX ks.t_w_idx"), unauthorized("bob", "ALTER", t));
    assert_eq!(n.err("bob", "CREATE INDEX ON ks.t (v)"), unauthorized("bob", "ALTER", t));
}

#[test]
fn all_tables_is_listed_with_cassandras_name_and_below_the_keyspace() {
    let n = node();
    n.ok("cassandra", KS);
    n.ok("cassandra", "CREATE TABLE ks.t (k int PRIMARY KEY)");
    n.ok("cassandra", "CREATE ROLE bob");
    n.ok("cassandra", "GRANT SELECT ON KEYSPACE ks TO bob");
    n.ok("cassandra", "GRANT MODIFY ON ALL TABLES IN KEYSPACE ks TO bob");
    n.ok("cassandra", "GRANT ALTER ON ks.t TO bob");
    let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        n.listed("cassandra", "LIST ALL ON ks.t OF bob"),
        [pair("<keyspace ks>", "SELECT"), pair("<all tables in ks>", "MODIFY"), pair("<table ks.t>", "ALTER")]
    );
    assert_eq!(
        n.listed("cassandra", "LIST ALL ON ALL TABLES IN KEYSPACE ks OF bob NORECURSIVE"),
        [pair("<all tables in ks>", "MODIFY")]
    );
    assert_eq!(n.listed("cassandra", "LIST MODIFY, ALTER OF bob").len(), 2);
    assert_eq!(
        n.err("cassandra", "LIST ALL ON ALL TABLES IN KEYSPACE nope"),
        Error::Invalid("<all tables in nope> doesn't exist".into())
    );
}

#[test]
fn create_applies_to_all_tables_but_describe_does_not() {
    let n = node();
    n.ok("cassandra", KS);
    n.ok("cassandra", "CREATE ROLE bob");
    n.ok("cassandra", "GRANT ALL ON ALL TABLES IN KEYSPACE ks TO bob");
    let perms: Vec<String> = n.listed("cassandra", "LIST ALL OF bob").into_iter().map(|(_, p)| p).collect();
    assert_eq!(perms, ["CREATE", "ALTER", "DROP", "SELECT", "MODIFY", "AUTHORIZE", "UNMASK", "SELECT_MASKED"]);
    assert_eq!(
        n.err("cassandra", "GRANT DESCRIBE ON ALL TABLES IN KEYSPACE ks TO bob"),
        Error::Syntax("Resource type DataResource does not support any of the requested permissions".into())
    );
    assert_eq!(
        n.err("cassandra", "GRANT SELECT ON ALL TABLES IN KEYSPACE nope TO bob"),
        Error::Invalid("Resource <all tables in nope> doesn't exist".into())
    );
}

#[test]
fn granting_what_was_granted_or_revoking_what_was_not_warns() {
    let n = node();
    n.ok("cassandra", KS);
    n.ok("cassandra", "CREATE TABLE ks.t1 (id int PRIMARY KEY, val text)");
    n.ok("cassandra", "CREATE USER 'bob' WITH PASSWORD 'pw'");
    assert_eq!(
        n.warnings("cassandra", "REVOKE CREATE ON KEYSPACE ks FROM bob"),
        ["Role 'bob' was not granted CREATE on <keyspace ks>"]
    );
    assert!(n.warnings("cassandra", "GRANT SELECT ON KEYSPACE ks TO bob").is_empty());
    assert_eq!(
        n.warnings("cassandra", "GRANT SELECT ON KEYSPACE ks TO bob"),
        ["Role 'bob' was already granted SELECT on <keyspace ks>"]
    );
    assert_eq!(
        n.warnings("cassandra", "REVOKE SELECT ON TABLE ks.t1 FROM bob"),
        ["Role 'bob' was not granted SELECT on <table ks.t1>"]
    );
    assert_eq!(
        n.warnings("cassandra", "REVOKE SELECT, MODIFY ON KEYSPACE ks FROM bob"),
        ["Role 'bob' was not granted MODIFY on <keyspace ks>"]
    );
    assert_eq!(n.listed("cassandra", "LIST ALL OF bob"), Vec::<(String, String)>::new());
}

#[test]
fn only_select_describe_and_alter_may_be_granted_on_system_keyspaces() {
    let n = node();
    n.ok("cassandra", "CREATE ROLE bob");
    let refused = Error::Unauthorized(
        "Granting permissions on system keyspaces is strictly limited, this operation is not permitted".into(),
    );
    assert_eq!(n.err("cassandra", "GRANT ALL PERMISSIONS ON KEYSPACE system TO bob"), refused);
    assert_eq!(n.err("cassandra", "GRANT MODIFY ON KEYSPACE system_auth TO bob"), refused);
    assert_eq!(n.err("cassandra", "GRANT ALL PERMISSIONS ON ALL TABLES IN KEYSPACE system_traces TO bob"), refused);
    assert_eq!(n.err("cassandra", "GRANT DROP ON system.local TO bob"), refused);
    n.ok("cassandra", "GRANT SELECT ON KEYSPACE system TO bob");
    n.ok("cassandra", "GRANT ALTER ON KEYSPACE system_auth TO bob");
    n.ok("cassandra", "GRANT SELECT ON system_auth.roles TO bob");
    // Virtual keyspaces are not limited, and revoking is never limited.
    n.ok("cassandra", "GRANT SELECT ON KEYSPACE system_views TO bob");
    n.ok("cassandra", "REVOKE ALL ON KEYSPACE system FROM bob");
}

#[test]
fn permissions_on_all_keyspaces_do_not_reach_system_keyspaces() {
    let n = node();
    n.ok("cassandra", KS);
    n.ok("cassandra", "CREATE TABLE ks.t1 (k int PRIMARY KEY)");
    n.ok("cassandra", "CREATE ROLE bob WITH LOGIN = true");
    n.ok("cassandra", "GRANT ALL PERMISSIONS ON ALL KEYSPACES TO bob");
    n.ok("bob", "INSERT INTO ks.t1 (k) VALUES (0)");
    assert_eq!(
        n.err("bob", "SELECT * FROM system_auth.roles"),
        unauthorized("bob", "SELECT", "<table system_auth.roles>")
    );
    assert_eq!(
        n.err("bob", "SELECT * FROM system.prepared_statements"),
        unauthorized("bob", "SELECT", "<table system.prepared_statements>")
    );
    // Tables drivers and tools read stay readable.
    n.ok("bob", "SELECT * FROM system.local");
    n.ok("bob", "SELECT * FROM system_traces.sessions");
    // A grant on the system keyspace itself does reach its tables.
    n.ok("cassandra", "GRANT SELECT ON KEYSPACE system_auth TO bob");
    n.ok("bob", "SELECT * FROM system_auth.roles");
}

#[test]
fn the_creator_of_a_keyspace_also_gets_its_functions() {
    let n = node();
    n.ok("cassandra", "CREATE ROLE bob WITH LOGIN = true");
    n.ok("cassandra", "GRANT CREATE ON ALL KEYSPACES TO bob");
    n.ok("bob", KS);
    let on_functions: Vec<String> = n
        .listed("cassandra", "LIST ALL ON ALL FUNCTIONS IN KEYSPACE ks OF bob NORECURSIVE")
        .into_iter()
        .map(|(r, p)| format!("{r} {p}"))
        .collect();
    assert_eq!(
        on_functions,
        [
            "<all functions in ks> CREATE",
            "<all functions in ks> ALTER",
            "<all functions in ks> DROP",
            "<all functions in ks> AUTHORIZE",
            "<all functions in ks> EXECUTE"
        ]
    );
    n.ok("cassandra", "GRANT SELECT ON ALL TABLES IN KEYSPACE ks TO bob");
    n.ok("bob", "DROP KEYSPACE ks");
    assert_eq!(n.names("cassandra", "LIST ALL OF bob"), ["bob"]);
}

#[test]
fn granting_needs_the_permission_granted_as_well_as_authorize() {
    let n = node();
    n.ok("cassandra", KS);
    n.ok("cassandra", "CREATE TABLE ks.t1 (k int PRIMARY KEY)");
    n.ok("cassandra", "CREATE ROLE bob WITH LOGIN = true");
    n.ok("cassandra", "CREATE ROLE simple WITH LOGIN = true");
    n.ok("cassandra", "GRANT AUTHORIZE ON ks.t1 TO simple");
    assert_eq!(n.err("simple", "SELECT * FROM ks.t1"), unauthorized("simple", "SELECT", "<table ks.t1>"));
    assert_eq!(n.err("simple", "GRANT SELECT ON ks.t1 TO bob"), unauthorized("simple", "SELECT", "<table ks.t1>"));
    n.ok("cassandra", "GRANT SELECT ON ks.t1 TO simple");
    n.ok("simple", "GRANT SELECT ON ks.t1 TO bob");
    n.ok("bob", "SELECT * FROM ks.t1");
}

#[test]
fn the_creator_of_a_role_may_describe_alter_and_drop_it() {
    let n = node();
    n.ok("cassandra", "CREATE ROLE parent WITH LOGIN = true AND PASSWORD = 'secret'");
    n.ok("cassandra", "GRANT CREATE ON ALL ROLES TO parent");
    assert_eq!(n.listed("cassandra", "LIST ALL PERMISSIONS OF parent"), [("<all roles>".into(), "CREATE".into())]);
    n.ok("cassandra", "CREATE ROLE other WITH LOGIN = true AND PASSWORD = 'secret'");
    n.ok("parent", "CREATE ROLE child WITH LOGIN = true AND PASSWORD = 'secret'");
    let shown: Vec<String> =
        n.listed("parent", "LIST ALL PERMISSIONS OF parent").into_iter().map(|(r, p)| format!("{r} {p}")).collect();
    assert_eq!(
        shown,
        [
            "<all roles> CREATE",
            "<role child> ALTER",
            "<role child> DROP",
            "<role child> AUTHORIZE",
            "<role child> DESCRIBE"
        ]
    );
    // DESCRIBE on the child lets the parent list its permissions; nothing lets it list other's.
    assert!(n.listed("parent", "LIST ALL PERMISSIONS OF child").is_empty());
    let not_authorized =
        |whom: &str| Error::Unauthorized(format!("You are not authorized to view {whom}'s permissions"));
    assert_eq!(n.err("parent", "LIST ALL PERMISSIONS OF other"), not_authorized("other"));
    assert_eq!(n.err("child", "LIST ALL PERMISSIONS OF parent"), not_authorized("parent"));
    assert!(n.listed("child", "LIST ALL PERMISSIONS OF child").is_empty());
    assert_eq!(
        n.err("child", "CREATE ROLE nope WITH LOGIN = true AND PASSWORD = 'secret'"),
        Error::Unauthorized("User child does not have sufficient privileges to perform the requested operation".into())
    );
    n.ok("parent", "ALTER ROLE child WITH LOGIN = false");
    n.ok("parent", "DROP ROLE child");
}

#[test]
fn only_superusers_create_or_drop_triggers() {
    let n = node();
    n.ok("cassandra", KS);
    n.ok("cassandra", "CREATE TABLE ks.t (k int PRIMARY KEY)");
    n.ok("cassandra", "CREATE ROLE bob WITH LOGIN = true");
    n.ok("cassandra", "GRANT ALL ON KEYSPACE ks TO bob");
    assert_eq!(
        n.err("bob", "CREATE TRIGGER tr ON ks.t USING 'org.example.Trigger'"),
        Error::Unauthorized("Only superusers are allowed to perform CREATE TRIGGER queries".into())
    );
    assert_eq!(
        n.err("bob", "DROP TRIGGER tr ON ks.t"),
        Error::Unauthorized("Only superusers are allowed to perfrom DROP TRIGGER queries".into())
    );
}

#[test]
fn a_hashed_password_must_be_bcrypt_and_excludes_a_password() {
    let n = node();
    assert_eq!(
        n.err("cassandra", "CREATE ROLE r WITH LOGIN = true AND HASHED PASSWORD = 'this_is_an_invalid_hash'"),
        Error::Invalid("Invalid hashed password value. Please use jBcrypt.".into())
    );
    let hash = bcrypt::hash("super_secret_thing", 4).unwrap();
    let both = format!("CREATE ROLE r WITH LOGIN = true AND PASSWORD = 'x' AND HASHED PASSWORD = '{hash}'");
    let exclusive = Error::Syntax("Options 'password' and 'hashed password' are mutually exclusive".into());
    assert_eq!(n.err("cassandra", &both), exclusive);
    n.ok("cassandra", &format!("CREATE ROLE r WITH LOGIN = true AND HASHED PASSWORD = '{hash}'"));
    assert_eq!(n.p.authenticate("r", "super_secret_thing"), Ok("r".into()));
    assert_eq!(
        n.err("cassandra", &format!("ALTER ROLE r WITH PASSWORD = 'y' AND HASHED PASSWORD = '{hash}'")),
        exclusive
    );
}

#[test]
fn access_from_cidrs_is_accepted_and_every_address_allowed() {
    let n = node();
    n.ok("cassandra", "CREATE ROLE r WITH LOGIN = true AND PASSWORD = 'pw' AND ACCESS FROM ALL CIDRS");
    n.ok("cassandra", "ALTER ROLE r WITH ACCESS FROM CIDRS {'region1'}");
    assert_eq!(n.p.authenticate("r", "pw"), Ok("r".into()));
}

#[test]
fn schema_statements_and_truncate_are_authorized_before_the_table_is_looked_up() {
    let n = node();
    n.ok("cassandra", KS);
    n.ok("cassandra", "CREATE ROLE bob WITH LOGIN = true");
    let nope = "<table ks.nope>";
    assert_eq!(n.err("bob", "TRUNCATE ks.nope"), unauthorized("bob", "MODIFY", nope));
    assert_eq!(n.err("bob", "CREATE INDEX ON ks.nope (v)"), unauthorized("bob", "ALTER", nope));
    assert_eq!(n.err("bob", "ALTER TABLE ks.nope ADD x int"), unauthorized("bob", "ALTER", nope));
    assert_eq!(n.err("bob", "DROP TABLE ks.nope"), unauthorized("bob", "DROP", nope));
    // Reads and writes look the table up first.
    assert!(matches!(n.err("bob", "SELECT * FROM ks.nope"), Error::Invalid(_)));
}

fn batch_node() -> Node {
    let n = node();
    n.ok("cassandra", KS);
    n.ok("cassandra", "CREATE TABLE ks.t1 (k int PRIMARY KEY, v int)");
    n.ok("cassandra", "CREATE TABLE ks.t2 (k int PRIMARY KEY, v int)");
    n.ok("cassandra", "CREATE ROLE bob WITH LOGIN = true");
    n
}

#[test]
fn a_batch_on_one_table_needs_modify_on_it() {
    let n = batch_node();
    let b = "BEGIN BATCH INSERT INTO ks.t1 (k, v) VALUES (0, 0); INSERT INTO ks.t1 (k, v) VALUES (1, 0); APPLY BATCH";
    assert_eq!(n.err("bob", b), unauthorized("bob", "MODIFY", "<table ks.t1>"));
    n.ok("cassandra", "GRANT MODIFY ON TABLE ks.t1 TO bob");
    n.ok("bob", b);
}

#[test]
fn a_batch_needs_modify_on_every_table_it_writes() {
    let n = batch_node();
    let b = "BEGIN BATCH INSERT INTO ks.t1 (k, v) VALUES (0, 0); INSERT INTO ks.t2 (k, v) VALUES (0, 0); \
             INSERT INTO ks.t1 (k, v) VALUES (1, 0); APPLY BATCH";
    assert_eq!(n.err("bob", b), unauthorized("bob", "MODIFY", "<table ks.t1>"));
    n.ok("cassandra", "GRANT MODIFY ON TABLE ks.t1 TO bob");
    assert_eq!(n.err("bob", b), unauthorized("bob", "MODIFY", "<table ks.t2>"));
    n.ok("cassandra", "GRANT MODIFY ON TABLE ks.t2 TO bob");
    n.ok("bob", b);
}

#[test]
fn a_conditional_statement_in_a_batch_also_needs_select() {
    let n = batch_node();
    let b =
        "BEGIN BATCH INSERT INTO ks.t1 (k, v) VALUES (0, 0); UPDATE ks.t1 SET v = 1 WHERE k = 0 IF v = 0; APPLY BATCH";
    assert_eq!(n.err("bob", b), unauthorized("bob", "MODIFY", "<table ks.t1>"));
    n.ok("cassandra", "GRANT MODIFY ON TABLE ks.t1 TO bob");
    assert_eq!(n.err("bob", b), unauthorized("bob", "SELECT", "<table ks.t1>"));
    n.ok("cassandra", "GRANT SELECT ON TABLE ks.t1 TO bob");
    n.ok("bob", b);
}
