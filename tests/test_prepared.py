"""Prepared statements: ids, bind metadata, named and unset values, re-preparing."""

import hashlib
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
