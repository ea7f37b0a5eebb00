"""Prepared statements: ids, bind metadata, named and unset values, re-preparing."""

import hashlib
import socket
import struct
import time

from cassandra.query import UNSET_VALUE


def make_users(session):
    session.execute("CREATE TABLE users (id int PRIMARY KEY, name text, email text)")
    session.execute("INSERT INTO users (id, name, email) VALUES (1, 'Ada', 'ada@example.com')")


def test_prepared_select_by_partition_key(session):
    make_users(session)
    ps = session.prepare("SELECT name, email FROM users WHERE id = ?")
    assert session.execute(ps, [1]).one() == ("Ada", "ada@example.com")
    assert session.execute(ps, [2]).one() is None


def test_statement_id_is_md5_of_keyspace_and_query(cluster, session):
    # Cassandra: id = MD5(keyspace in use + query text); drivers rely on it being stable.
    make_users(session)
    query = "SELECT name FROM users WHERE id = ?"
    ps = session.prepare(query)
    assert ps.query_id == hashlib.md5((session.keyspace + query).encode()).digest()
    assert session.prepare(query).query_id == ps.query_id

    qualified = f"SELECT name FROM {session.keyspace}.users WHERE id = ?"
    no_keyspace = cluster.connect()
    try:
        assert no_keyspace.prepare(qualified).query_id == hashlib.md5(qualified.encode()).digest()
    finally:
        no_keyspace.shutdown()


def test_prepared_metadata_describes_bind_markers_and_result(session):
    make_users(session)
    ps = session.prepare("SELECT name, email FROM users WHERE id = ?")
    assert [(c.keyspace_name, c.table_name, c.name, c.type.typename) for c in ps.column_metadata] == [
        (session.keyspace, "users", "id", "int")
    ]
    assert ps.routing_key_indexes == [0]
    assert [name for _ks, _table, name, _type in ps.result_metadata] == ["name", "email"]

    insert = session.prepare("INSERT INTO users (name, id, email) VALUES (?, ?, ?)")
    assert [c.name for c in insert.column_metadata] == ["name", "id", "email"]
    assert insert.routing_key_indexes == [1]
    assert not insert.result_metadata


def test_named_bind_markers(session):
    make_users(session)
    insert = session.prepare("INSERT INTO users (id, name, email) VALUES (:id, :name, :email)")
    session.execute(insert, {"id": 2, "name": "Grace", "email": "grace@example.com"})
    select = session.prepare("SELECT name FROM users WHERE id = :id")
    assert session.execute(select, {"id": 2}).one().name == "Grace"


def test_unset_value_leaves_column_untouched(session):
    make_users(session)
    update = session.prepare("INSERT INTO users (id, name, email) VALUES (?, ?, ?)")
    session.execute(update, [1, "Ada Lovelace", UNSET_VALUE])
    assert session.execute("SELECT name, email FROM users WHERE id = 1").one() == ("Ada Lovelace", "ada@example.com")


def test_null_bound_value_clears_column(session):
    make_users(session)
    update = session.prepare("UPDATE users SET email = ? WHERE id = ?")
    session.execute(update, [None, 1])
    assert session.execute("SELECT name, email FROM users WHERE id = 1").one() == ("Ada", None)


def test_prepared_statement_survives_server_restart(sibyl_factory):
    server = sibyl_factory()
    cluster = server.cluster()
    try:
        session = cluster.connect()
        session.execute(
            "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"
        )
        session.set_keyspace("ks")
        make_users(session)
        ps = session.prepare("SELECT name FROM users WHERE id = ?")
        server.restart()
        # The driver reconnects, re-prepares (the id is the same) and runs the statement again.
        row, error = None, None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                row = session.execute(ps, [1]).one()
                break
            except Exception as e:  # still reconnecting
                error = e
                time.sleep(0.2)
        assert row is not None, f"{error!r}\n{server.all_logs()}"
        assert row.name == "Ada"
    finally:
        cluster.shutdown()


# -- prepared statements persisted across restarts (system.prepared_statements) ---------------------


class RawConnection:
    """A bare native protocol v4 connection: enough to PREPARE and EXECUTE by id with no driver cache."""

    def __init__(self, server):
        self.sock = socket.create_connection((server.host, server.port), timeout=10)
        body = struct.pack(">H", 1) + self.string(b"CQL_VERSION") + self.string(b"3.0.0")
        opcode, _ = self.request(0x01, body)
        assert opcode == 0x02, "READY"

    @staticmethod
    def string(b):
        return struct.pack(">H", len(b)) + b

    def recv_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            assert chunk, "connection closed"
            data += chunk
        return data

    def request(self, opcode, body):
        self.sock.sendall(struct.pack(">BBhBI", 4, 0, 0, opcode, len(body)) + body)
        _, _, _, opcode, length = struct.unpack(">BBhBI", self.recv_exact(9))
        return opcode, self.recv_exact(length)

    def prepare(self, query):
        opcode, body = self.request(0x09, struct.pack(">I", len(query)) + query.encode())
        assert opcode == 0x08 and struct.unpack(">i", body[:4])[0] == 0x0004, body
        (n,) = struct.unpack(">H", body[4:6])
        return body[6:6 + n]

    def execute(self, statement_id, *ints):
        values = b"".join(struct.pack(">ii", 4, v) for v in ints)
        params = struct.pack(">HBH", 0x0001, 0x01, len(ints)) + values
        return self.request(0x0A, self.string(statement_id) + params)

    def close(self):
        self.sock.close()


def test_execute_by_id_works_after_a_restart_without_preparing_again(sibyl_factory):
    server = sibyl_factory()
    cluster = server.cluster()
    try:
        session = cluster.connect()
        session.execute("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        session.set_keyspace("ks")
        make_users(session)
    finally:
        cluster.shutdown()
    raw = RawConnection(server)
    statement_id = raw.prepare("SELECT name FROM ks.users WHERE id = ?")
    raw.close()
    server.restart()
    raw = RawConnection(server)
    opcode, body = raw.execute(statement_id, 1)
    raw.close()
    assert opcode == 0x08, f"not a RESULT: {body!r}"
    assert struct.unpack(">i", body[:4])[0] == 0x0002  # Rows
    assert b"Ada" in body


def test_prepared_statements_are_listed_in_system_prepared_statements(session):
    make_users(session)
    ps = session.prepare("SELECT name FROM users WHERE id = ?")
    row = session.execute(
        "SELECT logged_keyspace, query_string FROM system.prepared_statements WHERE prepared_id = %s",
        [ps.query_id],
    ).one()
    assert row == (session.keyspace, "SELECT name FROM users WHERE id = ?")


def test_dropping_a_table_removes_its_prepared_statements(session):
    make_users(session)
    session.execute("CREATE TABLE other (id int PRIMARY KEY)")
    on_users = session.prepare("SELECT name FROM users WHERE id = ?")
    on_other = session.prepare("SELECT id FROM other WHERE id = ?")
    session.execute("DROP TABLE users")
    ids = {r.prepared_id for r in session.execute("SELECT prepared_id FROM system.prepared_statements")}
    assert on_users.query_id not in ids
    assert on_other.query_id in ids
    session.execute(f"DROP KEYSPACE {session.keyspace}")
    ids = {r.prepared_id for r in session.execute("SELECT prepared_id FROM system.prepared_statements")}
    assert on_other.query_id not in ids
    session.execute(
        f"CREATE KEYSPACE {session.keyspace} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}"
    )
