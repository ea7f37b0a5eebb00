"""Static columns: one value per partition, shared by its rows.

Sources (apache/cassandra):
- test/unit/org/apache/cassandra/cql3/validation/entities/StaticColumnsTest.java (testStaticColumns,
  testStaticColumnsWithDistinct, testStaticColumnsWithLimit, testStaticColumnsWithEmptyClustering).
- test/unit/org/apache/cassandra/cql3/validation/operations/InsertUpdateIfConditionTest.java
  (testConditionalDelete: deleting the only row leaves the static row visible).
- src/java/org/apache/cassandra/cql3/statements/schema/CreateTableStatement.java (messages).
"""

import pytest

from .util import assert_invalid, rows


def test_static_value_is_shared_by_the_partition(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int, p int, s int static, v int, PRIMARY KEY (k, p))")
    cql.execute(f"INSERT INTO {t} (k, p, s, v) VALUES (0, 0, 12, 0)")
    cql.execute(f"INSERT INTO {t} (k, p, s, v) VALUES (0, 1, 24, 1)")
    assert rows(cql, f"SELECT * FROM {t}") == [(0, 0, 24, 0), (0, 1, 24, 1)]
    assert rows(cql, f"SELECT * FROM {t} WHERE k=0 AND p=0") == [(0, 0, 24, 0)]
    assert rows(cql, f"SELECT * FROM {t} WHERE k=0 AND p IN (0, 1)") == [(0, 0, 24, 0), (0, 1, 24, 1)]


def test_static_only_insert_shows_a_row_with_null_clustering(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int, p int, s int static, v int, PRIMARY KEY (k, p))")
    cql.execute(f"INSERT INTO {t}(k, s) VALUES (0, 42)")
    assert rows(cql, f"SELECT * FROM {t}") == [(0, None, 42, None)]


def test_selecting_only_the_static_column(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int, p int, s int static, v int, PRIMARY KEY (k, p))")
    cql.execute(f"INSERT INTO {t} (k, p, s, v) VALUES (0, 0, 24, 0)")
    cql.execute(f"INSERT INTO {t} (k, p, v) VALUES (0, 1, 1)")
    assert rows(cql, f"SELECT DISTINCT s FROM {t} WHERE k=0") == [(24,)]
    assert rows(cql, f"SELECT s FROM {t} WHERE k=0") == [(24,), (24,)]
    assert rows(cql, f"SELECT s, v FROM {t} WHERE k=0") == [(24, 0), (24, 1)]


def test_deleting_a_row_keeps_the_static_value(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int, p int, s int static, v int, PRIMARY KEY (k, p))")
    cql.execute(f"INSERT INTO {t} (k, p, s, v) VALUES (0, 0, 24, 0)")
    cql.execute(f"INSERT INTO {t} (k, p, v) VALUES (0, 1, 1)")
    cql.execute(f"DELETE FROM {t} WHERE k=0 AND p=0")
    assert rows(cql, f"SELECT * FROM {t}") == [(0, 1, 24, 1)]
    cql.execute(f"DELETE s FROM {t} WHERE k=0")
    assert rows(cql, f"SELECT * FROM {t}") == [(0, 1, None, 1)]


def test_deleting_the_last_row_leaves_the_static_row(cql, t):
    # InsertUpdateIfConditionTest.testConditionalDelete (static columns part).
    cql.execute(f"CREATE TABLE {t} (k text, s text static, i int, v text, PRIMARY KEY (k, i))")
    cql.execute(f"INSERT INTO {t} (k, s, i, v) VALUES ('k', 's', 0, 'v')")
    cql.execute(f"DELETE FROM {t} WHERE k='k' AND i=0")
    assert rows(cql, f"SELECT * FROM {t}") == [("k", None, "s", None)]


def test_partition_delete_removes_the_static_value(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int, p int, s int static, v int, PRIMARY KEY (k, p))")
    cql.execute(f"INSERT INTO {t} (k, p, s, v) VALUES (0, 0, 24, 0)")
    cql.execute(f"DELETE FROM {t} WHERE k = 0")
    assert rows(cql, f"SELECT * FROM {t}") == []


def test_update_of_a_static_column_needs_only_the_partition_key(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int, p int, s int static, v int, PRIMARY KEY (k, p))")
    cql.execute(f"INSERT INTO {t} (k, p, v) VALUES (0, 0, 0)")
    cql.execute(f"UPDATE {t} SET s = 7 WHERE k = 0")
    assert rows(cql, f"SELECT k, p, s, v FROM {t}") == [(0, 0, 7, 0)]


def test_distinct_with_static_columns(cql, t):
    # StaticColumnsTest.testStaticColumnsWithDistinct.
    cql.execute(f"CREATE TABLE {t} ( k int, p int, s int static, PRIMARY KEY (k, p) )")
    cql.execute(f"INSERT INTO {t} (k, p) VALUES (1, 1)")
    cql.execute(f"INSERT INTO {t} (k, p) VALUES (1, 2)")
    assert rows(cql, f"SELECT k, s FROM {t}") == [(1, None), (1, None)]
    assert rows(cql, f"SELECT DISTINCT k, s FROM {t}") == [(1, None)]
    assert rows(cql, f"SELECT DISTINCT s FROM {t} WHERE k=2") == []
    cql.execute(f"INSERT INTO {t} (k, p, s) VALUES (2, 1, 3)")
    cql.execute(f"INSERT INTO {t} (k, p) VALUES (2, 2)")
    assert sorted(rows(cql, f"SELECT DISTINCT k, s FROM {t}"), key=lambda r: r[0]) == [(1, None), (2, 3)]
    assert rows(cql, f"SELECT DISTINCT s FROM {t} WHERE k=2") == [(3,)]


def test_limit_with_static_columns(cql, t):
    # StaticColumnsTest.testStaticColumnsWithLimit.
    cql.execute(f"CREATE TABLE {t} (k int, s int static, v int, PRIMARY KEY (k, v))")
    cql.execute(f"INSERT INTO {t} (k, s) VALUES(0, 42)")
    for i in range(4):
        cql.execute(f"INSERT INTO {t}(k, v) VALUES(0, {i})")
    assert rows(cql, f"SELECT * FROM {t} WHERE k = 0 LIMIT 1") == [(0, 0, 42)]
    assert rows(cql, f"SELECT * FROM {t} WHERE k = 0 LIMIT 3") == [(0, 0, 42), (0, 1, 42), (0, 2, 42)]


def test_static_with_empty_clustering_value(cql, t):
    # StaticColumnsTest.testStaticColumnsWithEmptyClustering.
    cql.execute(f"CREATE TABLE {t} (pkey text, ckey text, value text, static_value text static, "
                "PRIMARY KEY(pkey, ckey))")
    cql.execute(f"INSERT INTO {t} (pkey, static_value) VALUES ('partition1', 'static value')")
    cql.execute(f"INSERT INTO {t} (pkey, ckey, value) VALUES('partition1', '', 'value')")
    assert rows(cql, f"SELECT * FROM {t}") == [("partition1", "", "static value", "value")]


def test_static_column_needs_a_clustering_column(cql, t):
    assert_invalid(cql, f"CREATE TABLE {t} (k int PRIMARY KEY, s int static)",
                   "Static columns are only useful (and thus allowed) if the table has at least one clustering column")


def test_static_column_cannot_be_in_the_primary_key(cql, t):
    assert_invalid(cql, f"CREATE TABLE {t} (k int, c int static, v int, PRIMARY KEY (k, c))",
                   "Static column 'c' cannot be part of the PRIMARY KEY")
