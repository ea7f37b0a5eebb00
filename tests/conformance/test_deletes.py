"""Deletes: columns, rows, clustering ranges and whole partitions.

Sources (apache/cassandra):
- test/unit/org/apache/cassandra/cql3/validation/operations/DeleteTest.java and BatchTest.java
  (testBatchRangeDelete: slices with >=, <=, and multi-column bounds).
- src/java/org/apache/cassandra/cql3/statements/UpdateStatement.java: INSERT writes a row marker,
  UPDATE does not (#6782), so a row made by UPDATE disappears once its columns are deleted.
- src/java/org/apache/cassandra/cql3/statements/DeleteStatement.java ("Range deletions are not
  supported for specific columns"); InsertUpdateIfConditionTest.java ("Some partition key parts are
  missing: k"); VirtualTableTest.java (the non-EQ clustering restriction message).
"""

import pytest

from .util import assert_invalid, rows


@pytest.fixture
def grid(cql, t):
    """p in 0..1, c in 0..9, v = 10 * p + c."""
    cql.execute(f"CREATE TABLE {t} (p int, c int, v int, PRIMARY KEY (p, c))")
    insert = cql.prepare(f"INSERT INTO {t} (p, c, v) VALUES (?, ?, ?)")
    for p in range(2):
        for c in range(10):
            cql.execute(insert, [p, c, 10 * p + c])
    return t


def clusterings(cql, t, p=0):
    return [r[0] for r in rows(cql, f"SELECT c FROM {t} WHERE p = {p}")]


def test_column_delete_keeps_an_inserted_row(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, a int, b int)")
    cql.execute(f"INSERT INTO {t} (k, a, b) VALUES (0, 1, 2)")
    cql.execute(f"DELETE a, b FROM {t} WHERE k = 0")
    assert rows(cql, f"SELECT * FROM {t} WHERE k = 0") == [(0, None, None)]


def test_column_delete_removes_a_row_made_by_update(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, a int, b int)")
    cql.execute(f"UPDATE {t} SET a = 1, b = 2 WHERE k = 0")
    cql.execute(f"DELETE a, b FROM {t} WHERE k = 0")
    assert rows(cql, f"SELECT * FROM {t} WHERE k = 0") == []


def test_insert_with_only_the_key_makes_a_row(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, a int)")
    cql.execute(f"INSERT INTO {t} (k) VALUES (0)")
    assert rows(cql, f"SELECT * FROM {t}") == [(0, None)]


def test_row_delete(cql, grid):
    cql.execute(f"DELETE FROM {grid} WHERE p = 0 AND c = 3")
    assert clusterings(cql, grid) == [0, 1, 2, 4, 5, 6, 7, 8, 9]


def test_range_delete_by_slices(cql, t):
    # BatchTest.testBatchRangeDelete (one fresh table per case).
    for i, (where, left) in enumerate([
        ("c > 2 AND c < 5", [0, 1, 2, 5, 6, 7, 8, 9]),
        ("c >= 4", [0, 1, 2, 3]),
        ("c <= 0", [1, 2, 3, 4, 5, 6, 7, 8, 9]),
        ("c >= 0 AND c <= 3", [4, 5, 6, 7, 8, 9]),
        ("c <= 3 AND c >= 4", list(range(10))),
    ]):
        table = f"{t}_{i}"
        cql.execute(f"CREATE TABLE {table} (p int, c int, v int, PRIMARY KEY (p, c))")
        for p in range(2):
            for c in range(10):
                cql.execute(f"INSERT INTO {table} (p, c, v) VALUES ({p}, {c}, {c})")
        cql.execute(f"DELETE FROM {table} WHERE p = 0 AND {where}")
        assert clusterings(cql, table) == left, where
        assert clusterings(cql, table, p=1) == list(range(10)), where


def test_range_delete_by_tuple_bounds_and_in(cql, grid):
    cql.execute(f"DELETE FROM {grid} WHERE p = 0 AND (c) >= (3) AND (c) <= (6)")
    assert clusterings(cql, grid) == [0, 1, 2, 7, 8, 9]
    cql.execute(f"DELETE FROM {grid} WHERE p = 0 AND c IN (1, 8, 42)")
    assert clusterings(cql, grid) == [0, 2, 7, 9]
    assert clusterings(cql, grid, p=1) == list(range(10))


def test_range_delete_on_a_clustering_prefix(cql, t):
    cql.execute(f"CREATE TABLE {t} (p int, c1 int, c2 int, v int, PRIMARY KEY (p, c1, c2))")
    for c1 in range(3):
        for c2 in range(2):
            cql.execute(f"INSERT INTO {t} (p, c1, c2, v) VALUES (0, {c1}, {c2}, 0)")
    cql.execute(f"DELETE FROM {t} WHERE p = 0 AND c1 = 1")
    assert rows(cql, f"SELECT c1, c2 FROM {t} WHERE p = 0") == [(0, 0), (0, 1), (2, 0), (2, 1)]
    cql.execute(f"DELETE FROM {t} WHERE p = 0 AND c1 = 2 AND c2 > 0")
    assert rows(cql, f"SELECT c1, c2 FROM {t} WHERE p = 0") == [(0, 0), (0, 1), (2, 0)]


def test_partition_delete(cql, grid):
    cql.execute(f"DELETE FROM {grid} WHERE p = 0")
    assert clusterings(cql, grid) == []
    assert clusterings(cql, grid, p=1) == list(range(10))


def test_delete_with_in_on_the_partition_key(cql, grid):
    cql.execute(f"DELETE FROM {grid} WHERE p IN (0, 1) AND c = 0")
    assert clusterings(cql, grid) == list(range(1, 10))
    assert clusterings(cql, grid, p=1) == list(range(1, 10))


def test_write_after_a_range_delete_is_visible(cql, grid):
    cql.execute(f"DELETE FROM {grid} WHERE p = 0 AND c >= 5")
    cql.execute(f"INSERT INTO {grid} (p, c, v) VALUES (0, 7, 70)")
    assert rows(cql, f"SELECT c, v FROM {grid} WHERE p = 0 AND c >= 5") == [(7, 70)]


def test_deleting_a_missing_row_is_not_an_error(cql, grid):
    cql.execute(f"DELETE FROM {grid} WHERE p = 5 AND c = 5")
    cql.execute(f"DELETE FROM {grid} WHERE p = 6")
    assert rows(cql, f"SELECT * FROM {grid} WHERE p = 5") == []


def test_range_delete_of_specific_columns_is_refused(cql, grid):
    assert_invalid(cql, f"DELETE v FROM {grid} WHERE p = 0 AND c >= 1",
                   "Range deletions are not supported for specific columns")


def test_column_delete_without_clustering_is_refused(cql, grid):
    # DeleteTest: "DELETE value FROM %s WHERE partitionKey = ?" is invalid (Cassandra gives the
    # range-deletion message).
    assert_invalid(cql, f"DELETE v FROM {grid} WHERE p = 0", "Range deletions are not supported for specific columns")


def test_delete_without_the_partition_key_is_refused(cql, grid):
    assert_invalid(cql, f"DELETE FROM {grid} WHERE c = 0", "Some partition key parts are missing: p")


def test_delete_slice_after_a_slice_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (p int, c1 int, c2 int, v int, PRIMARY KEY (p, c1, c2))")
    assert_invalid(cql, f"DELETE FROM {t} WHERE p = 0 AND c1 > 1 AND c2 > 2",
                   'Clustering column "c2" cannot be restricted (preceding column "c1" is restricted by a non-EQ relation)')
