"""Secondary indexes through the Python driver's schema metadata, through cqlsh, and across a crash.

The driver refreshes a table's metadata when CREATE INDEX / DROP INDEX answer with a SCHEMA_CHANGE
(UPDATED, TABLE ks.t — what Cassandra 5.0 sends for index DDL), reading system_schema.indexes.
Index entries are written in the same commitlog record as the rows they index, so a SIGKILL loses
neither.
"""

from test_describe_cqlsh import cqlsh_lines


def table_meta(cluster, ks, table):
    return cluster.metadata.keyspaces[ks].tables[table]


def test_driver_metadata_lists_a_new_index_and_forgets_a_dropped_one(cluster, session):
    ks = session.keyspace
    session.execute("CREATE TABLE t (k int PRIMARY KEY, v int, vec vector<float, 2>)")
    session.execute("CREATE INDEX ON t (v)")
    session.execute("CREATE CUSTOM INDEX vi ON t (vec) USING 'StorageAttachedIndex' "
                    "WITH OPTIONS = {'similarity_function': 'DOT_PRODUCT'}")
    indexes = table_meta(cluster, ks, "t").indexes
    assert sorted(indexes) == ["t_v_idx", "vi"]
    assert indexes["t_v_idx"].kind == "COMPOSITES"
    assert indexes["t_v_idx"].as_cql_query() == f"CREATE INDEX t_v_idx ON {ks}.t (v)"
    assert indexes["vi"].as_cql_query() == (
        f"CREATE CUSTOM INDEX vi ON {ks}.t (vec) USING 'StorageAttachedIndex' "
        "WITH OPTIONS = {'similarity_function': 'DOT_PRODUCT'}"
    )
    assert f"CREATE INDEX t_v_idx ON {ks}.t (v);" in table_meta(cluster, ks, "t").export_as_string()
    session.execute("DROP INDEX t_v_idx")
    assert sorted(table_meta(cluster, ks, "t").indexes) == ["vi"]


def test_cqlsh_describe_table_prints_its_indexes(sibyl, session, tmp_path):
    ks = session.keyspace
    session.execute("CREATE TABLE users (id int PRIMARY KEY, name text)")
    session.execute("CREATE INDEX ON users (name)")
    lines = cqlsh_lines(sibyl, f"DESCRIBE TABLE {ks}.users;", tmp_path)
    assert lines[0] == f"CREATE TABLE {ks}.users ("
    assert lines[-2:] == ["", f"CREATE INDEX users_name_idx ON {ks}.users (name);"]
    assert cqlsh_lines(sibyl, f"DESCRIBE INDEX {ks}.users_name_idx;", tmp_path) == [
        f"CREATE INDEX users_name_idx ON {ks}.users (name);"
    ]


def test_an_index_and_its_entries_survive_sigkill(sibyl_factory):
    server = sibyl_factory()
    cluster = server.cluster()
    try:
        session = cluster.connect()
        session.execute("CREATE KEYSPACE idx WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        session.execute("CREATE TABLE idx.t (k int PRIMARY KEY, v int)")
        for k in range(50):
            session.execute("INSERT INTO idx.t (k, v) VALUES (%s, %s)", (k, k % 5))
        session.execute("CREATE INDEX ON idx.t (v)")  # built from the rows above
        for k in range(50, 100):
            session.execute("INSERT INTO idx.t (k, v) VALUES (%s, %s)", (k, k % 5))  # indexed as written
        session.execute("UPDATE idx.t SET v = 9 WHERE k = 3")
    finally:
        cluster.shutdown()
    server.kill()
    server.start()
    cluster = server.cluster()
    try:
        session = cluster.connect()
        found = sorted(r.k for r in session.execute("SELECT k FROM idx.t WHERE v = 3"))
        assert found == [k for k in range(100) if k % 5 == 3 and k != 3]
        assert [r.k for r in session.execute("SELECT k FROM idx.t WHERE v = 9")] == [3]
    finally:
        cluster.shutdown()
