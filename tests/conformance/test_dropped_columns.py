"""ALTER TABLE DROP: the dropped column's data stays dead, even when a column of that name is added
again, and a re-added column must keep the dropped one's kind and type.

Sources (apache/cassandra):
- test/unit/org/apache/cassandra/cql3/validation/operations/AlterTest.java (testDropWithTimestamp,
  testDropMultipleWithTimestamp, testDropListAndAddListWithSameName, testDropAddWithDifferentKind,
  testAlterOnlyColumnBehaviorWithFlush, testDropColumnAsPreparedStatement).
- src/java/org/apache/cassandra/cql3/statements/schema/AlterTableStatement.java ("Cannot re-add
  previously dropped column '%s' of kind %s, incompatible with previous kind %s", "... of type %s,
  incompatible with previous type %s").
"""

from .util import assert_invalid, rows


def test_a_re_added_column_does_not_show_the_dropped_columns_values(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int)")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES (1, 1)")
    cql.execute(f"ALTER TABLE {t} DROP v")
    cql.execute(f"ALTER TABLE {t} ADD v int")
    assert rows(cql, f"SELECT * FROM {t}") == [(1, None)]
    cql.execute(f"UPDATE {t} SET v = 2 WHERE k = 1")
    assert rows(cql, f"SELECT * FROM {t}") == [(1, 2)]


def test_a_re_added_collection_starts_empty(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l list<text>)")
    cql.execute(f"INSERT INTO {t} (k, l) VALUES (1, ['first'])")
    cql.execute(f"ALTER TABLE {t} DROP l")
    cql.execute(f"ALTER TABLE {t} ADD l list<text>")
    assert rows(cql, f"SELECT * FROM {t}") == [(1, None)]


def test_drop_using_timestamp_hides_only_cells_written_up_to_it(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int, c int, v int, todrop int, PRIMARY KEY (k, c))")
    for i in range(5):
        cql.execute(f"INSERT INTO {t} (k, c, v, todrop) VALUES (1, {i}, {i}, {i}) USING TIMESTAMP {10000 * i}")
    cql.execute(f"ALTER TABLE {t} DROP todrop USING TIMESTAMP 20000")
    cql.execute(f"ALTER TABLE {t} ADD todrop int")
    assert rows(cql, f"SELECT c, todrop FROM {t}") == [(0, None), (1, None), (2, None), (3, 3), (4, 4)]


def test_a_row_holding_only_a_dropped_column_disappears(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, x int, y int)")
    cql.execute(f"UPDATE {t} SET x = 1 WHERE k = 0")
    cql.execute(f"ALTER TABLE {t} DROP x")
    assert rows(cql, f"SELECT * FROM {t}") == []


def test_a_dropped_column_cannot_come_back_with_another_type(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l list<text>)")
    cql.execute(f"ALTER TABLE {t} DROP l")
    assert_invalid(
        cql,
        f"ALTER TABLE {t} ADD l map<int, int>",
        "Cannot re-add previously dropped column 'l' of type map<int, int>, incompatible with previous type list<text>",
    )


def test_a_dropped_column_cannot_come_back_as_another_kind(cql, t):
    cql.execute(f"CREATE TABLE {t} (a int, b int, c int, d int static, PRIMARY KEY (a, b))")
    cql.execute(f"ALTER TABLE {t} DROP c")
    cql.execute(f"ALTER TABLE {t} DROP d")
    assert_invalid(
        cql,
        f"ALTER TABLE {t} ADD c int static",
        "Cannot re-add previously dropped column 'c' of kind STATIC, incompatible with previous kind REGULAR",
    )
    assert_invalid(
        cql,
        f"ALTER TABLE {t} ADD d int",
        "Cannot re-add previously dropped column 'd' of kind REGULAR, incompatible with previous kind STATIC",
    )


def test_dropped_columns_stay_dead_after_a_restart(sibyl_factory):
    server = sibyl_factory()
    cluster = server.cluster()
    session = cluster.connect()
    session.execute("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE ks.t (k int PRIMARY KEY, v int)")
    session.execute("INSERT INTO ks.t (k, v) VALUES (1, 1)")
    session.execute("ALTER TABLE ks.t DROP v")
    session.execute("ALTER TABLE ks.t ADD v int")
    cluster.shutdown()
    server.restart()
    cluster = server.cluster()
    session = cluster.connect()
    assert rows(session, "SELECT * FROM ks.t") == [(1, None)]
    cluster.shutdown()
