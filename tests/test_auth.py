"""Authentication and authorization, end to end: a server started with PasswordAuthenticator and
CassandraAuthorizer, the Python driver with PlainTextAuthProvider (protocol v4 and v5), raw frames
for the handshake, and cqlsh with -u/-p and LOGIN. Expectations are what Cassandra 5.0 returns.
"""

import os
import shutil
import socket
import struct
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from cassandra import AuthenticationFailed, InvalidRequest, Unauthorized
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import NoHostAvailable

from conftest import SibylServer

AUTH_ARGS = ("--authenticator", "PasswordAuthenticator", "--authorizer", "CassandraAuthorizer")
KS_OPTIONS = "WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory):
    """One server with authentication and authorization on, for this module."""
    server = SibylServer(tmp_path_factory.mktemp("sibyl-auth"), AUTH_ARGS)
    server.start()
    yield server
    status = server.stop()
    if status != 0:
        print(f"auth sibyl exited with status {status}; its logs:\n{server.all_logs()}")


def connect(server, user, password, protocol_version=4):
    cluster = server.cluster(
        protocol_version=protocol_version, auth_provider=PlainTextAuthProvider(username=user, password=password)
    )
    return cluster, cluster.connect()


@pytest.fixture(scope="module")
def admin(auth_server):
    cluster, session = connect(auth_server, "cassandra", "cassandra")
    yield session
    cluster.shutdown()


def unique(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def auth_error_message(excinfo):
    """The server's message inside a NoHostAvailable raised for a failed login."""
    errors = excinfo.value.errors if isinstance(excinfo.value, NoHostAvailable) else {}
    return " ".join(str(e) for e in errors.values()) or str(excinfo.value)


# -- the handshake ---------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol_version", [4, 5])
def test_good_credentials_log_in(auth_server, protocol_version):
    cluster, session = connect(auth_server, "cassandra", "cassandra", protocol_version)
    try:
        row = session.execute("SELECT release_version FROM system.local").one()
        assert row.release_version
    finally:
        cluster.shutdown()


@pytest.mark.parametrize("protocol_version", [4, 5])
def test_bad_credentials_are_an_authentication_error(auth_server, protocol_version):
    with pytest.raises(NoHostAvailable) as excinfo:
        connect(auth_server, "cassandra", "wrong", protocol_version)
    message = auth_error_message(excinfo)
    assert "Provided username cassandra and/or password are incorrect" in message
    assert any(isinstance(e, AuthenticationFailed) for e in excinfo.value.errors.values())


def test_a_client_without_credentials_is_refused(auth_server):
    cluster = auth_server.cluster(protocol_version=4)
    try:
        with pytest.raises(NoHostAvailable) as excinfo:
            cluster.connect()
        assert "Remote end requires authentication" in auth_error_message(excinfo)
        assert any(isinstance(e, AuthenticationFailed) for e in excinfo.value.errors.values())
    finally:
        cluster.shutdown()


def frame(opcode, body, stream=0):
    return struct.pack(">BBhBI", 4, 0, stream, opcode, len(body)) + body


def string(s):
    b = s.encode()
    return struct.pack(">H", len(b)) + b


def read_frame(sock):
    header = b""
    while len(header) < 9:
        chunk = sock.recv(9 - len(header))
        assert chunk, "connection closed"
        header += chunk
    _, _, stream, opcode, length = struct.unpack(">BBhBI", header)
    body = b""
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        assert chunk, "connection closed"
        body += chunk
    return opcode, body


def test_startup_is_answered_authenticate_and_nothing_else_runs_before_auth_response(auth_server):
    with socket.create_connection((auth_server.host, auth_server.port), timeout=10) as sock:
        sock.sendall(frame(0x01, struct.pack(">H", 1) + string("CQL_VERSION") + string("3.0.0")))
        opcode, body = read_frame(sock)
        assert opcode == 0x03  # AUTHENTICATE
        assert body == string("org.apache.cassandra.auth.PasswordAuthenticator")

        query = struct.pack(">I", 5) + b"USE x" + struct.pack(">HB", 1, 0)
        sock.sendall(frame(0x07, query, stream=1))
        opcode, body = read_frame(sock)
        assert opcode == 0x00  # ERROR
        code = struct.unpack(">i", body[:4])[0]
        assert code == 0x000A
        assert b"Unexpected message QUERY, expecting SASL_RESPONSE" in body

        token = b"\x00cassandra\x00nope"
        sock.sendall(frame(0x0F, struct.pack(">i", len(token)) + token, stream=2))
        opcode, body = read_frame(sock)
        assert opcode == 0x00
        assert struct.unpack(">i", body[:4])[0] == 0x0100
        assert b"Provided username cassandra and/or password are incorrect" in body

        token = b"\x00cassandra\x00cassandra"
        sock.sendall(frame(0x0F, struct.pack(">i", len(token)) + token, stream=3))
        opcode, body = read_frame(sock)
        assert opcode == 0x10  # AUTH_SUCCESS
        assert body == struct.pack(">i", -1)

        sock.sendall(frame(0x07, query, stream=4))
        opcode, body = read_frame(sock)
        assert opcode == 0x00 and struct.unpack(">i", body[:4])[0] == 0x2200  # keyspace x does not exist


# -- roles -----------------------------------------------------------------------------------------


def test_list_roles_has_cassandras_columns(admin):
    rows = admin.execute("LIST ROLES")
    assert rows.column_names == ["role", "super", "login", "options", "datacenters"]
    cassandra = [r for r in rows if r.role == "cassandra"][0]
    assert (cassandra.super, cassandra.login, cassandra.datacenters) == (True, True, "ALL")


def test_a_created_role_logs_in_with_its_password(auth_server, admin):
    role = unique("alice")
    admin.execute(f"CREATE ROLE {role} WITH PASSWORD = 'pw1' AND LOGIN = true")
    cluster, session = connect(auth_server, role, "pw1")
    cluster.shutdown()
    admin.execute(f"ALTER ROLE {role} WITH PASSWORD = 'pw2'")
    with pytest.raises(NoHostAvailable):
        connect(auth_server, role, "pw1")
    cluster, session = connect(auth_server, role, "pw2", protocol_version=5)
    cluster.shutdown()
    admin.execute(f"DROP ROLE {role}")
    with pytest.raises(NoHostAvailable):
        connect(auth_server, role, "pw2")


def test_role_ddl_errors_are_cassandras(admin):
    role = unique("r")
    admin.execute(f"CREATE ROLE {role}")
    with pytest.raises(InvalidRequest, match=f"{role} already exists"):
        admin.execute(f"CREATE ROLE {role}")
    admin.execute(f"CREATE ROLE IF NOT EXISTS {role}")
    with pytest.raises(InvalidRequest, match="nobody_at_all doesn't exist"):
        admin.execute("DROP ROLE nobody_at_all")
    with pytest.raises(InvalidRequest, match="Cannot DROP primary role for current login"):
        admin.execute("DROP ROLE cassandra")
    admin.execute(f"DROP ROLE {role}")


def test_legacy_user_statements(admin):
    user = unique("legacy")
    admin.execute(f"CREATE USER {user} WITH PASSWORD 'pw' NOSUPERUSER")
    rows = admin.execute("LIST USERS")
    assert rows.column_names == ["name", "super", "datacenters"]
    assert (user, False) in [(r.name, r.super) for r in rows]
    admin.execute(f"DROP USER {user}")
    assert user not in [r.name for r in admin.execute("LIST USERS")]


def test_granted_roles_are_listed(admin):
    parent, child = unique("parent"), unique("child")
    admin.execute(f"CREATE ROLE {parent}")
    admin.execute(f"CREATE ROLE {child}")
    admin.execute(f"GRANT {parent} TO {child}")
    assert [r.role for r in admin.execute(f"LIST ROLES OF {child}")] == sorted([parent, child])
    admin.execute(f"REVOKE {parent} FROM {child}")
    assert [r.role for r in admin.execute(f"LIST ROLES OF {child}")] == [child]


# -- permissions -----------------------------------------------------------------------------------


@pytest.fixture
def bob(auth_server, admin):
    """A login role without permissions, and a keyspace with a table it may not use yet."""
    role, ks = unique("bob"), unique("ks")
    admin.execute(f"CREATE ROLE {role} WITH PASSWORD = 'pw' AND LOGIN = true")
    admin.execute(f"CREATE KEYSPACE {ks} {KS_OPTIONS}")
    admin.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, v int)")
    cluster, session = connect(auth_server, role, "pw")
    yield role, ks, session
    cluster.shutdown()
    admin.execute(f"DROP KEYSPACE IF EXISTS {ks}")
    admin.execute(f"DROP ROLE IF EXISTS {role}")


def test_select_without_permission_is_unauthorized(bob):
    role, ks, session = bob
    with pytest.raises(Unauthorized) as excinfo:
        session.execute(f"SELECT * FROM {ks}.t")
    assert f"User {role} has no SELECT permission on <table {ks}.t> or any of its parents" in str(excinfo.value)


def test_granted_permissions_are_enforced_and_listed(admin, bob):
    role, ks, session = bob
    admin.execute(f"GRANT SELECT ON KEYSPACE {ks} TO {role}")
    admin.execute(f"GRANT MODIFY ON TABLE {ks}.t TO {role}")
    session.execute(f"INSERT INTO {ks}.t (k, v) VALUES (1, 2)")
    assert session.execute(f"SELECT v FROM {ks}.t WHERE k = 1").one().v == 2
    rows = admin.execute(f"LIST ALL OF {role}")
    assert rows.column_names == ["role", "username", "resource", "permission"]
    assert [(r.resource, r.permission) for r in rows] == [
        (f"<keyspace {ks}>", "SELECT"),
        (f"<table {ks}.t>", "MODIFY"),
    ]
    admin.execute(f"REVOKE MODIFY ON TABLE {ks}.t FROM {role}")
    with pytest.raises(Unauthorized, match="has no MODIFY permission"):
        session.execute(f"INSERT INTO {ks}.t (k, v) VALUES (1, 3)")


def test_the_creator_of_a_keyspace_may_use_it(admin, bob):
    role, _, session = bob
    admin.execute(f"GRANT CREATE ON ALL KEYSPACES TO {role}")
    own = unique("own")
    session.execute(f"CREATE KEYSPACE {own} {KS_OPTIONS}")
    session.execute(f"CREATE TABLE {own}.t (k int PRIMARY KEY)")
    session.execute(f"INSERT INTO {own}.t (k) VALUES (1)")
    assert len(list(session.execute(f"SELECT * FROM {own}.t"))) == 1
    session.execute(f"DROP KEYSPACE {own}")


def test_an_ordinary_role_cannot_create_roles(bob):
    _, _, session = bob
    with pytest.raises(Unauthorized, match="does not have sufficient privileges"):
        session.execute("CREATE ROLE nope")


def test_drivers_can_read_the_schema_without_grants(bob):
    _, ks, session = bob
    assert session.execute(f"SELECT table_name FROM system_schema.tables WHERE keyspace_name = '{ks}'").one()


def test_all_tables_in_keyspace_grants_cover_its_tables_but_not_the_keyspace(admin, bob):
    role, ks, session = bob
    admin.execute(f"GRANT SELECT, MODIFY, CREATE ON ALL TABLES IN KEYSPACE {ks} TO {role}")
    session.execute(f"INSERT INTO {ks}.t (k, v) VALUES (1, 2)")
    assert session.execute(f"SELECT v FROM {ks}.t WHERE k = 1").one().v == 2
    session.execute(f"CREATE TABLE {ks}.mine (k int PRIMARY KEY)")
    with pytest.raises(Unauthorized) as excinfo:
        session.execute(f"DROP KEYSPACE {ks}")
    assert f"User {role} has no DROP permission on <keyspace {ks}> or any of its parents" in str(excinfo.value)
    rows = admin.execute(f"LIST ALL ON ALL TABLES IN KEYSPACE {ks} OF {role} NORECURSIVE")
    assert [(r.resource, r.permission) for r in rows] == [
        (f"<all tables in {ks}>", "CREATE"),
        (f"<all tables in {ks}>", "SELECT"),
        (f"<all tables in {ks}>", "MODIFY"),
    ]


def test_creating_a_table_needs_create_on_all_tables_of_the_keyspace(bob):
    role, ks, session = bob
    with pytest.raises(Unauthorized) as excinfo:
        session.execute(f"CREATE TABLE {ks}.t2 (k int PRIMARY KEY)")
    assert f"User {role} has no CREATE permission on <all tables in {ks}> or any of its parents" in str(excinfo.value)


def test_a_grant_that_changes_nothing_warns(admin, bob):
    role, ks, _ = bob
    assert not admin.execute(f"GRANT SELECT ON KEYSPACE {ks} TO {role}").response_future.warnings
    again = admin.execute(f"GRANT SELECT ON KEYSPACE {ks} TO {role}")
    assert again.response_future.warnings == [f"Role '{role}' was already granted SELECT on <keyspace {ks}>"]
    revoked = admin.execute(f"REVOKE SELECT, MODIFY ON KEYSPACE {ks} FROM {role}")
    assert revoked.response_future.warnings == [f"Role '{role}' was not granted MODIFY on <keyspace {ks}>"]


def test_granting_modifications_on_system_keyspaces_is_refused(admin, bob):
    role, _, _ = bob
    with pytest.raises(Unauthorized, match="Granting permissions on system keyspaces is strictly limited"):
        admin.execute(f"GRANT ALL PERMISSIONS ON KEYSPACE system_auth TO {role}")
    admin.execute(f"GRANT SELECT ON KEYSPACE system_auth TO {role}")


# -- auth off --------------------------------------------------------------------------------------


def test_role_statements_need_a_login_when_authentication_is_off(cluster):
    session = cluster.connect()
    with pytest.raises(Unauthorized, match="You have to be logged in and not anonymous to perform this request"):
        session.execute("CREATE ROLE someone")
    with pytest.raises(InvalidRequest, match="org.apache.cassandra.auth.CassandraRoleManager doesn't support PASSWORD"):
        session.execute("CREATE ROLE someone WITH PASSWORD = 'x'")
    with pytest.raises(Unauthorized, match="You have to be logged in and not anonymous"):
        session.execute("LIST ROLES")


# -- cqlsh -----------------------------------------------------------------------------------------


def cqlsh(server, *args, statement):
    binary = os.environ.get("CQLSH") or shutil.which("cqlsh", path=str(Path(sys.executable).parent))
    assert binary, "cqlsh not found next to the test interpreter"
    home = server.workdir
    cqlshrc = home / "cqlshrc"
    cqlshrc.touch()
    env = dict(os.environ, CQLSH_NO_BUNDLED="1", HOME=str(home), LC_ALL="C.UTF-8", TZ="UTC")
    return subprocess.run(
        [binary, server.host, str(server.port), "--cqlshrc", str(cqlshrc), "--connect-timeout", "20",
         "--request-timeout", "30", *args, "-e", statement],
        capture_output=True, text=True, timeout=90, env=env, stdin=subprocess.DEVNULL,
    )


def test_cqlsh_logs_in_with_user_and_password(auth_server):
    result = cqlsh(auth_server, "-u", "cassandra", "-p", "cassandra", statement="LIST ROLES")
    assert result.returncode == 0, result.stderr
    assert "cassandra" in result.stdout and "datacenters" in result.stdout


def test_cqlsh_with_a_wrong_password_fails(auth_server):
    result = cqlsh(auth_server, "-u", "cassandra", "-p", "nope", statement="LIST ROLES")
    assert result.returncode != 0
    assert "Provided username cassandra and/or password are incorrect" in result.stdout + result.stderr


def test_cqlsh_login_switches_user(auth_server, admin):
    role = unique("switch")
    admin.execute(f"CREATE ROLE {role} WITH PASSWORD = 'pw' AND LOGIN = true")
    try:
        result = cqlsh(
            auth_server, "-u", "cassandra", "-p", "cassandra",
            statement=f"LOGIN {role} 'pw'; CREATE ROLE should_fail_{role};",
        )
        assert "does not have sufficient privileges" in result.stdout + result.stderr
    finally:
        admin.execute(f"DROP ROLE {role}")
