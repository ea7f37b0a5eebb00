"""GROUP BY read in pages gives the same groups as one read: a page boundary never splits or
repeats a group.

Source (apache/cassandra): test/unit/org/apache/cassandra/cql3/validation/operations/
SelectGroupByTest.java (testGroupByWithPaging, testGroupByWithStaticColumnsWithPaging: DISTINCT
with GROUP BY at page sizes 1 to 10).
"""

import pytest
from cassandra.query import SimpleStatement

from .util import rows


@pytest.mark.parametrize("page_size", [1, 2, 3, 100])
def test_distinct_group_by_gives_one_row_per_partition_at_any_page_size(cql, t, page_size):
    cql.execute(f"CREATE TABLE {t} (a int, b int, s int static, v int, PRIMARY KEY (a, b))")
    for a, b in [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (3, 1)]:
        cql.execute(f"INSERT INTO {t} (a, b, s, v) VALUES ({a}, {b}, {a}, {b})")
    query = SimpleStatement(f"SELECT DISTINCT a, s, count(a) FROM {t} GROUP BY a", fetch_size=page_size)
    assert sorted(tuple(r) for r in cql.execute(query)) == [(1, 1, 1), (2, 2, 1), (3, 3, 1)]
    grouped = SimpleStatement(f"SELECT a, count(v) FROM {t} GROUP BY a", fetch_size=page_size)
    assert sorted(tuple(r) for r in cql.execute(grouped)) == [(1, 3), (2, 2), (3, 1)]
