"""Paging inside one partition, with and without clustering restrictions, in both orders: every page
continues exactly after the previous one.

Sources:
- apache/cassandra test/unit/org/apache/cassandra/cql3/PagingQueryTest.java (testPagingOnRegularColumn:
  a wide partition read 3 rows a page, whole and one clustering prefix at a time).
- apache/cassandra test/unit/org/apache/cassandra/db/RangeTombstoneBoundaryTest.java (range tombstones
  inside the rows read).
"""

import pytest
from cassandra.query import SimpleStatement

from .util import rows


def paged(cql, query, fetch_size=3):
    return [tuple(r) for r in cql.execute(SimpleStatement(query, fetch_size=fetch_size))]


@pytest.fixture
def wide(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int, c1 int, c2 int, v text, PRIMARY KEY (k, c1, c2))")
    insert = cql.prepare(f"INSERT INTO {t} (k, c1, c2, v) VALUES (1, ?, ?, ?)")
    for c1 in range(6):
        for c2 in range(5):
            cql.execute(insert, [c1, c2, f"{c1}.{c2}"])
    return t


def test_paging_a_whole_partition_returns_every_row_once(cql, wide):
    got = paged(cql, f"SELECT c1, c2 FROM {wide} WHERE k = 1")
    assert got == [(c1, c2) for c1 in range(6) for c2 in range(5)]


def test_paging_a_partition_in_reverse_returns_every_row_once(cql, wide):
    got = paged(cql, f"SELECT c1, c2 FROM {wide} WHERE k = 1 ORDER BY c1 DESC, c2 DESC")
    assert got == [(c1, c2) for c1 in reversed(range(6)) for c2 in reversed(range(5))]


def test_paging_a_clustering_prefix_returns_its_rows_once(cql, wide):
    for c1 in range(6):
        got = paged(cql, f"SELECT c1, c2, v FROM {wide} WHERE k = 1 AND c1 = {c1}", fetch_size=2)
        assert got == [(c1, c2, f"{c1}.{c2}") for c2 in range(5)]


def test_paging_a_clustering_slice_in_both_orders(cql, wide):
    asc = paged(cql, f"SELECT c1, c2 FROM {wide} WHERE k = 1 AND c1 >= 2 AND c1 < 4")
    assert asc == [(c1, c2) for c1 in (2, 3) for c2 in range(5)]
    desc = paged(cql, f"SELECT c1, c2 FROM {wide} WHERE k = 1 AND c1 >= 2 AND c1 < 4 ORDER BY c1 DESC, c2 DESC")
    assert desc == list(reversed(asc))


def test_paging_skips_rows_under_a_range_tombstone(cql, wide):
    cql.execute(f"DELETE FROM {wide} WHERE k = 1 AND c1 = 2")
    cql.execute(f"DELETE FROM {wide} WHERE k = 1 AND c1 = 4 AND c2 >= 1 AND c2 <= 3")
    expected = [(c1, c2) for c1 in range(6) for c2 in range(5) if c1 != 2 and not (c1 == 4 and 1 <= c2 <= 3)]
    assert paged(cql, f"SELECT c1, c2 FROM {wide} WHERE k = 1") == expected
    assert paged(cql, f"SELECT c1, c2 FROM {wide} WHERE k = 1 ORDER BY c1 DESC, c2 DESC") == list(reversed(expected))


def test_paging_a_partition_with_static_columns(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int, c int, s int STATIC, v int, PRIMARY KEY (k, c))")
    for c in range(7):
        cql.execute(f"INSERT INTO {t} (k, c, s, v) VALUES (1, {c}, 9, {c})")
    got = paged(cql, f"SELECT c, s, v FROM {t} WHERE k = 1 AND c >= 2")
    assert got == [(c, 9, c) for c in range(2, 7)]
    assert rows(cql, f"SELECT count(*) FROM {t} WHERE k = 1") == [(7,)]
