"""SELECT: aliases, DISTINCT, IN, slices, multi-column relations, ORDER BY, LIMIT, PER PARTITION LIMIT,
token ranges, CONTAINS and ALLOW FILTERING.

Sources (apache/cassandra):
- test/unit/org/apache/cassandra/cql3/validation/operations/SelectTest.java (filteringOnClusteringColumns,
  filteringWithMultiColumnSlices, containsFilteringForClusteringKeys, testContainsOnPartitionKey, the
  DISTINCT validation messages).
- src/java/org/apache/cassandra/cql3/statements/SelectStatement.java (ORDER BY, DISTINCT, PER PARTITION
  LIMIT, paging with ORDER BY and IN messages) and restrictions/StatementRestrictions.java
  (REQUIRES_ALLOW_FILTERING_MESSAGE).
- test/unit/org/apache/cassandra/cql3/validation/operations/SelectMultiColumnRelationTest.java,
  SelectLimitTest.java, SelectOrderByTest.java.
- datastax/python-driver tests/unit/test_metadata.py: the driver's Murmur3 matches Cassandra's tokens.
"""

import struct

import pytest
from cassandra.metadata import Murmur3Token
from cassandra.query import SimpleStatement

from .util import assert_invalid, rows

ALLOW_FILTERING_MESSAGE = (
    "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. "
    "If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING")


@pytest.fixture
def grid(cql, t):
    """p in 0..2, c in 0..4, v = 10 * p + c."""
    cql.execute(f"CREATE TABLE {t} (p int, c int, v int, PRIMARY KEY (p, c))")
    insert = cql.prepare(f"INSERT INTO {t} (p, c, v) VALUES (?, ?, ?)")
    for p in range(3):
        for c in range(5):
            cql.execute(insert, [p, c, 10 * p + c])
    return t


@pytest.fixture
def abcd(cql, t):
    # SelectTest.filteringOnClusteringColumns.
    cql.execute(f"CREATE TABLE {t} (a int, b int, c int, d int, PRIMARY KEY (a, b, c))")
    for values in [(11, 12, 13, 14), (11, 15, 16, 17), (21, 22, 23, 24), (31, 32, 33, 34)]:
        cql.execute(f"INSERT INTO {t} (a,b,c,d) VALUES {values}")
    return t


def test_column_aliases(cql, grid):
    result = cql.execute(f"SELECT v AS value, c AS \"Clust\", p AS Part FROM {grid} WHERE p = 1 AND c = 2")
    assert result.column_names == ["value", "Clust", "part"]
    assert [tuple(r) for r in result] == [(12, 2, 1)]


def test_select_star_column_order(cql, t):
    cql.execute(f"CREATE TABLE {t} (b int, a int, z int, y text, x int, PRIMARY KEY ((b, a), z))")
    cql.execute(f"INSERT INTO {t} (a, b, x, y, z) VALUES (1, 2, 3, 'y', 4)")
    result = cql.execute(f"SELECT * FROM {t}")
    assert result.column_names == ["b", "a", "z", "x", "y"]
    assert [tuple(r) for r in result] == [(2, 1, 4, 3, "y")]


def test_the_same_column_twice(cql, grid):
    assert rows(cql, f"SELECT v, v FROM {grid} WHERE p = 0 AND c = 1") == [(1, 1)]


def test_distinct_partition_keys(cql, grid):
    assert sorted(rows(cql, f"SELECT DISTINCT p FROM {grid}")) == [(0,), (1,), (2,)]
    assert rows(cql, f"SELECT DISTINCT p FROM {grid} WHERE p = 1") == [(1,)]


def test_distinct_on_a_clustering_column_is_refused(cql, grid):
    assert_invalid(cql, f"SELECT DISTINCT p, c FROM {grid}",
                   "SELECT DISTINCT queries must only request partition key columns and/or static columns (not c)")


def test_distinct_needs_the_whole_partition_key(cql, t):
    cql.execute(f"CREATE TABLE {t} (pk0 int, pk1 int, ck0 int, val int, PRIMARY KEY ((pk0, pk1), ck0))")
    assert_invalid(cql, f"SELECT DISTINCT pk0 FROM {t}",
                   "SELECT DISTINCT queries must request all the partition key columns (missing pk1)")


def test_in_on_clustering_returns_clustering_order(cql, grid):
    assert rows(cql, f"SELECT c FROM {grid} WHERE p = 1 AND c IN (3, 1, 4, 42)") == [(1,), (3,), (4,)]


def test_in_on_partition_and_clustering(cql, grid):
    got = rows(cql, f"SELECT p, c FROM {grid} WHERE p IN (2, 0) AND c IN (4, 0)")
    assert sorted(got) == [(0, 0), (0, 4), (2, 0), (2, 4)]


def test_in_with_a_bound_list(cql, grid):
    select = cql.prepare(f"SELECT c FROM {grid} WHERE p = 0 AND c IN ?")
    assert [tuple(r) for r in cql.execute(select, [[4, 2]])] == [(2,), (4,)]


def test_empty_slice(cql, grid):
    assert rows(cql, f"SELECT c FROM {grid} WHERE p = 0 AND c > 3 AND c < 2") == []


@pytest.fixture
def three(cql, t):
    cql.execute(f"CREATE TABLE {t} (a int, b int, c int, d int, PRIMARY KEY (a, b, c, d))")
    for b in range(2):
        for c in range(2):
            for d in range(2):
                cql.execute(f"INSERT INTO {t} (a, b, c, d) VALUES (0, {b}, {c}, {d})")
    return t


def test_multi_column_equality_and_in(cql, three):
    assert rows(cql, f"SELECT b, c, d FROM {three} WHERE a = 0 AND (b, c, d) = (1, 0, 1)") == [(1, 0, 1)]
    assert rows(cql, f"SELECT b, c, d FROM {three} WHERE a = 0 AND (b, c) IN ((1, 1), (0, 1))") == [
        (0, 1, 0), (0, 1, 1), (1, 1, 0), (1, 1, 1)]


def test_multi_column_slices(cql, three):
    assert rows(cql, f"SELECT b, c, d FROM {three} WHERE a = 0 AND (b, c, d) > (0, 1, 0)") == [
        (0, 1, 1), (1, 0, 0), (1, 0, 1), (1, 1, 0), (1, 1, 1)]
    assert rows(cql, f"SELECT b, c, d FROM {three} WHERE a = 0 AND (b, c) >= (0, 1) AND (b) < (1)") == [
        (0, 1, 0), (0, 1, 1)]


def test_multi_column_relation_on_the_partition_key_is_refused(cql, grid):
    assert_invalid(cql, f"SELECT * FROM {grid} WHERE (p, c) = (0, 1)",
                   "Multi-column relations can only be applied to clustering columns but was applied to: p")


def test_order_by_reverses_clustering_order(cql, t):
    cql.execute(f"CREATE TABLE {t} (p int, c1 int, c2 int, PRIMARY KEY (p, c1, c2))")
    for c1 in range(2):
        for c2 in range(2):
            cql.execute(f"INSERT INTO {t} (p, c1, c2) VALUES (0, {c1}, {c2})")
    assert rows(cql, f"SELECT c1, c2 FROM {t} WHERE p = 0 ORDER BY c1 DESC") == [(1, 1), (1, 0), (0, 1), (0, 0)]
    assert rows(cql, f"SELECT c1, c2 FROM {t} WHERE p = 0 ORDER BY c1 DESC, c2 DESC") == [(1, 1), (1, 0), (0, 1), (0, 0)]
    assert rows(cql, f"SELECT c1, c2 FROM {t} WHERE p = 0 AND c1 = 1 ORDER BY c2 DESC") == [(1, 1), (1, 0)]


def test_order_by_with_in_sorts_across_partitions_when_not_paged(cql, grid):
    # SelectStatement.execute: a query whose LIMIT fits in one page is not paged, so no refusal.
    got = rows(cql, f"SELECT p, c FROM {grid} WHERE p IN (0, 1) AND c IN (1, 3) ORDER BY c DESC LIMIT 100")
    assert [r[1] for r in got] == [3, 3, 1, 1]


def test_order_by_with_in_and_no_paging_sorts_across_partitions(cql, grid):
    statement = SimpleStatement(f"SELECT p, c FROM {grid} WHERE p IN (0, 1) AND c IN (1, 3) ORDER BY c DESC",
                                fetch_size=None)
    assert [r[1] for r in cql.execute(statement)] == [3, 3, 1, 1]


def test_order_by_with_in_and_a_limit_above_the_page_size_is_refused(cql, grid):
    statement = SimpleStatement(f"SELECT p, c FROM {grid} WHERE p IN (0, 1) ORDER BY c DESC LIMIT 3", fetch_size=2)
    assert_invalid(cql, statement,
                   "Cannot page queries with both ORDER BY and a IN restriction on the partition key; you must either "
                   "remove the ORDER BY or the IN and sort client side, or disable paging for this query")


def test_order_by_with_in_and_paging_is_refused(cql, grid):
    statement = SimpleStatement(f"SELECT p, c FROM {grid} WHERE p IN (0, 1) ORDER BY c DESC", fetch_size=2)
    assert_invalid(cql, statement,
                   "Cannot page queries with both ORDER BY and a IN restriction on the partition key; you must either "
                   "remove the ORDER BY or the IN and sort client side, or disable paging for this query")


def test_order_by_on_a_regular_column_is_refused(cql, grid):
    assert_invalid(cql, f"SELECT * FROM {grid} WHERE p = 0 ORDER BY v",
                   "Order by is currently only supported on the clustered columns of the PRIMARY KEY, got v")


def test_order_by_without_partition_restriction_is_refused(cql, grid):
    assert_invalid(cql, f"SELECT * FROM {grid} ORDER BY c DESC",
                   "ORDER BY is only supported when the partition key is restricted by an EQ or an IN.")


def test_order_by_skipping_a_clustering_column_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (p int, c1 int, c2 int, PRIMARY KEY (p, c1, c2))")
    assert_invalid(cql, f"SELECT * FROM {t} WHERE p = 0 ORDER BY c2 DESC",
                   "Order by currently only supports the ordering of columns following their declared order in the PRIMARY KEY")


def test_order_by_with_mixed_directions_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (p int, c1 int, c2 int, PRIMARY KEY (p, c1, c2))")
    assert_invalid(cql, f"SELECT * FROM {t} WHERE p = 0 ORDER BY c1 ASC, c2 DESC", "Unsupported order by relation")


def test_limit(cql, grid):
    assert rows(cql, f"SELECT c FROM {grid} WHERE p = 2 LIMIT 2") == [(0,), (1,)]
    assert len(rows(cql, f"SELECT * FROM {grid} LIMIT 7")) == 7
    assert [tuple(r) for r in cql.execute(cql.prepare(f"SELECT c FROM {grid} WHERE p = ? LIMIT ?"), [1, 3])] == [
        (0,), (1,), (2,)]


def test_limit_must_be_positive(cql, grid):
    for limit in ("0", "-1"):
        assert_invalid(cql, f"SELECT * FROM {grid} LIMIT {limit}", "LIMIT must be strictly positive")


def test_per_partition_limit(cql, grid):
    got = rows(cql, f"SELECT p, c FROM {grid} PER PARTITION LIMIT 2")
    assert sorted(got) == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1)]
    # Within each partition, the first rows in clustering order.
    assert rows(cql, f"SELECT c FROM {grid} WHERE p = 1 PER PARTITION LIMIT 3") == [(0,), (1,), (2,)]
    assert len(rows(cql, f"SELECT p, c FROM {grid} PER PARTITION LIMIT 2 LIMIT 3")) == 3


def test_per_partition_limit_with_distinct_is_refused(cql, grid):
    assert_invalid(cql, f"SELECT DISTINCT p FROM {grid} PER PARTITION LIMIT 1",
                   "PER PARTITION LIMIT is not allowed with SELECT DISTINCT queries")


def _token(p):
    return Murmur3Token.from_key(struct.pack(">i", p)).value


def test_full_scan_returns_partitions_in_token_order(cql, t):
    cql.execute(f"CREATE TABLE {t} (p int PRIMARY KEY, v int)")
    for p in range(20):
        cql.execute(f"INSERT INTO {t} (p, v) VALUES ({p}, {p})")
    got = rows(cql, f"SELECT p, token(p) FROM {t}")
    assert got == sorted(((p, _token(p)) for p in range(20)), key=lambda r: r[1])


def test_token_range_restriction(cql, t):
    cql.execute(f"CREATE TABLE {t} (p int PRIMARY KEY, v int)")
    for p in range(20):
        cql.execute(f"INSERT INTO {t} (p, v) VALUES ({p}, {p})")
    pivot = _token(7)
    above = [r[0] for r in rows(cql, f"SELECT p FROM {t} WHERE token(p) > token(7)")]
    assert above == [p for p in sorted(range(20), key=_token) if _token(p) > pivot]
    between = [r[0] for r in rows(cql, f"SELECT p FROM {t} WHERE token(p) >= {pivot} AND token(p) <= {pivot}")]
    assert between == [7]


def test_filtering_on_a_regular_column(cql, grid):
    assert sorted(rows(cql, f"SELECT p, c FROM {grid} WHERE v > 21 ALLOW FILTERING")) == [(2, 2), (2, 3), (2, 4)]
    assert rows(cql, f"SELECT c FROM {grid} WHERE p = 1 AND v = 13 ALLOW FILTERING") == [(3,)]


def test_filtering_without_allow_filtering_is_refused(cql, grid):
    assert_invalid(cql, f"SELECT * FROM {grid} WHERE v = 1", ALLOW_FILTERING_MESSAGE)


def test_clustering_restriction_without_partition_key_needs_allow_filtering(cql, grid):
    assert_invalid(cql, f"SELECT * FROM {grid} WHERE c = 1", ALLOW_FILTERING_MESSAGE)
    assert sorted(rows(cql, f"SELECT p FROM {grid} WHERE c = 1 ALLOW FILTERING")) == [(0,), (1,), (2,)]


def test_partial_partition_key_needs_allow_filtering(cql, t):
    cql.execute(f"CREATE TABLE {t} (a int, b int, v int, PRIMARY KEY ((a, b)))")
    cql.execute(f"INSERT INTO {t} (a, b, v) VALUES (1, 1, 11)")
    cql.execute(f"INSERT INTO {t} (a, b, v) VALUES (1, 2, 12)")
    cql.execute(f"INSERT INTO {t} (a, b, v) VALUES (2, 1, 21)")
    assert_invalid(cql, f"SELECT * FROM {t} WHERE a = 1", ALLOW_FILTERING_MESSAGE)
    assert sorted(rows(cql, f"SELECT v FROM {t} WHERE a = 1 ALLOW FILTERING")) == [(11,), (12,)]


def test_skipping_a_clustering_column(cql, abcd):
    # SelectTest.filteringOnClusteringColumns.
    assert_invalid(cql, f"SELECT * FROM {abcd} WHERE c = 33",
                   'PRIMARY KEY column "c" cannot be restricted as preceding column "b" is not restricted')
    assert rows(cql, f"SELECT * FROM {abcd} WHERE c = 33 ALLOW FILTERING") == [(31, 32, 33, 34)]


def test_restriction_after_a_clustering_slice(cql, abcd):
    assert_invalid(cql, f"SELECT * FROM {abcd} WHERE a = 11 AND b > 12 AND c = 15",
                   'Clustering column "c" cannot be restricted (preceding column "b" is restricted by a non-EQ relation)')
    assert rows(cql, f"SELECT * FROM {abcd} WHERE a = 11 AND b > 12 AND c > 13 AND d = 17 ALLOW FILTERING") == [
        (11, 15, 16, 17)]
    assert rows(cql, f"SELECT * FROM {abcd} WHERE b > 20 AND c < 30 ALLOW FILTERING") == [(21, 22, 23, 24)]


def test_contains_on_collections(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l list<int>, s set<text>, m map<text, int>)")
    cql.execute(f"INSERT INTO {t} (k, l, s, m) VALUES (0, [1, 2], {{'a'}}, {{'x': 1}})")
    cql.execute(f"INSERT INTO {t} (k, l, s, m) VALUES (1, [3], {{'a', 'b'}}, {{'y': 2}})")
    assert rows(cql, f"SELECT k FROM {t} WHERE l CONTAINS 2 ALLOW FILTERING") == [(0,)]
    assert sorted(rows(cql, f"SELECT k FROM {t} WHERE s CONTAINS 'a' ALLOW FILTERING")) == [(0,), (1,)]
    assert rows(cql, f"SELECT k FROM {t} WHERE m CONTAINS KEY 'y' ALLOW FILTERING") == [(1,)]
    assert rows(cql, f"SELECT k FROM {t} WHERE m CONTAINS 1 ALLOW FILTERING") == [(0,)]
    assert rows(cql, f"SELECT k FROM {t} WHERE m['x'] = 1 ALLOW FILTERING") == [(0,)]


def test_contains_without_allow_filtering_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, s set<text>)")
    assert_invalid(cql, f"SELECT k FROM {t} WHERE s CONTAINS 'a'", ALLOW_FILTERING_MESSAGE)


def test_contains_on_a_frozen_clustering_column(cql, t):
    # SelectTest.containsFilteringForClusteringKeys.
    cql.execute(f"CREATE TABLE {t} (a int, b frozen<list<int>>, c int, PRIMARY KEY (a, b, c))")
    cql.execute(f"INSERT INTO {t} (a,b,c) VALUES (11, [1, 3], 14)")
    cql.execute(f"INSERT INTO {t} (a,b,c) VALUES (21, [2, 3], 24)")
    cql.execute(f"INSERT INTO {t} (a,b,c) VALUES (21, [3, 3], 34)")
    assert rows(cql, f"SELECT * FROM {t} WHERE a = 21 AND b CONTAINS 2 ALLOW FILTERING") == [(21, [2, 3], 24)]
    assert_invalid(cql, f"SELECT * FROM {t} WHERE a = 21 AND b CONTAINS 2",
                   "Clustering columns can only be restricted with CONTAINS with a secondary index or filtering")


def test_contains_key_on_a_frozen_map_partition_key(cql, t):
    # SelectTest.testContainsOnPartitionKey.
    cql.execute(f"CREATE TABLE {t} (pk frozen<map<int, int>>, ck int, v int, PRIMARY KEY (pk, ck))")
    cql.execute(f"INSERT INTO {t} (pk, ck, v) VALUES ({{1: 2}}, 1, 1)")
    cql.execute(f"INSERT INTO {t} (pk, ck, v) VALUES ({{5: 6}}, 5, 5)")
    assert_invalid(cql, f"SELECT * FROM {t} WHERE pk CONTAINS KEY 1", ALLOW_FILTERING_MESSAGE)
    assert rows(cql, f"SELECT ck, v FROM {t} WHERE pk CONTAINS KEY 1 ALLOW FILTERING") == [(1, 1)]


def test_contains_null_is_refused(cql, t):
    # SelectTest: "Unsupported null value for column c".
    cql.execute(f"CREATE TABLE {t} (a int, b int, c list<int>, PRIMARY KEY (a, b))")
    assert_invalid(cql, f"SELECT * FROM {t} WHERE a > 1 AND c CONTAINS null ALLOW FILTERING",
                   "Unsupported null value for column c")
