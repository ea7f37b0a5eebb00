"""Vector search (Cassandra 5.0): `ORDER BY v ANN OF [...] LIMIT n` over a storage-attached index on a
`vector<float, n>` column, and the refusals around it.

Sources (apache/cassandra, cassandra-5.0):
- test/unit/org/apache/cassandra/index/sai/cql/VectorInvalidQueryTest.java (messages: more than one
  ANN ordering, descending, secondary ordering, missing index, missing LIMIT, wrong dimension).
- src/java/org/apache/cassandra/cql3/restrictions/StatementRestrictions.java (ANN_* messages).
- src/java/org/apache/cassandra/cql3/statements/SelectStatement.java (TOPK_* errors and warnings:
  LIMIT, per-partition limit, aggregation, consistency downgrade, page size grown to the LIMIT).
- src/java/org/apache/cassandra/index/sai/StorageAttachedIndex.java (ANN_LIMIT_ERROR, at most 1000).
- SAI similarity functions: COSINE (default), EUCLIDEAN, DOT_PRODUCT.
"""

from .util import assert_invalid, rows


def vectors(cql, t, options=""):
    cql.execute(f"CREATE TABLE {t} (pk int PRIMARY KEY, str_val text, val vector<float, 3>)")
    for pk, s, v in [(0, "A", "[1.0, 2.0, 3.0]"), (1, "B", "[2.0, 3.0, 4.0]"), (2, "C", "[3.0, 4.0, 5.0]"),
                     (3, "D", "[4.0, 5.0, 6.0]")]:
        cql.execute(f"INSERT INTO {t} (pk, str_val, val) VALUES ({pk}, '{s}', {v})")


def test_ann_needs_an_index_on_the_vector_column(cql, t):
    vectors(cql, t)
    message = "ANN ordering by vector requires the column to be indexed"
    assert_invalid(cql, f"SELECT * FROM {t} ORDER BY val ANN OF [2.5, 3.5, 4.5] LIMIT 5", message)
    assert_invalid(cql, f"SELECT * FROM {t} ORDER BY val ANN OF [2.5, 3.5, 4.5] LIMIT 5 ALLOW FILTERING", message)


def test_ann_returns_the_nearest_rows_first_with_euclidean_similarity(cql, t):
    vectors(cql, t)
    cql.execute(
        f"CREATE CUSTOM INDEX ON {t} (val) USING 'StorageAttachedIndex' WITH OPTIONS = {{'similarity_function': 'euclidean'}}"
    )
    assert rows(cql, f"SELECT str_val FROM {t} ORDER BY val ANN OF [3.9, 5.0, 6.0] LIMIT 3") == [("D",), ("C",), ("B",)]
    assert rows(cql, f"SELECT pk FROM {t} ORDER BY val ANN OF [1.0, 2.0, 3.1] LIMIT 1") == [(0,)]


def test_ann_with_cosine_similarity_ranks_by_direction(cql, t):
    cql.execute(f"CREATE TABLE {t} (pk int PRIMARY KEY, val vector<float, 2>)")
    cql.execute(f"CREATE INDEX ON {t} (val) USING 'sai'")
    cql.execute(f"INSERT INTO {t} (pk, val) VALUES (1, [1.0, 0.0])")
    cql.execute(f"INSERT INTO {t} (pk, val) VALUES (2, [10.0, 1.0])")
    cql.execute(f"INSERT INTO {t} (pk, val) VALUES (3, [0.0, 5.0])")
    assert rows(cql, f"SELECT pk FROM {t} ORDER BY val ANN OF [3.0, 0.0] LIMIT 3") == [(1,), (2,), (3,)]


def test_ann_combines_with_indexed_restrictions(cql, t):
    vectors(cql, t)
    cql.execute(f"CREATE INDEX ON {t} (val) USING 'sai'")
    cql.execute(f"CREATE INDEX ON {t} (str_val) USING 'sai'")
    assert rows(cql, f"SELECT pk FROM {t} WHERE str_val = 'B' ORDER BY val ANN OF [1.0, 2.0, 3.1] LIMIT 3") == [(1,)]


def test_ann_refusals(cql, t):
    vectors(cql, t)
    cql.execute(f"CREATE INDEX ON {t} (val) USING 'sai'")
    # Through the native protocol SelectStatement.execute refuses a missing LIMIT before SAI's own
    # check (which CQLTester's internal execution reaches: "... LIMIT was NO LIMIT").
    assert_invalid(
        cql,
        f"SELECT * FROM {t} ORDER BY val ANN OF [2.5, 3.5, 4.5]",
        "Top-K queries must have a limit specified and the limit must be less than the query page size",
    )
    assert_invalid(
        cql,
        f"SELECT * FROM {t} ORDER BY val ANN OF [2.5, 3.5, 4.5] LIMIT 1001",
        "Use of ANN OF in an ORDER BY clause requires a LIMIT that is not greater than 1000. LIMIT was 1001",
    )
    assert_invalid(cql, f"SELECT * FROM {t} ORDER BY val ANN OF [2.5, 3.5, 4.5] PER PARTITION LIMIT 1 LIMIT 2",
                   "Top-K queries do not support per-partition limits")
    assert_invalid(cql, f"SELECT count(*) FROM {t} ORDER BY val ANN OF [2.5, 3.5, 4.5] LIMIT 2",
                   "Top-K queries can not be run with aggregation")
    assert_invalid(cql, f"SELECT * FROM {t} ORDER BY val ANN OF [2.5, 3.5, 4.5] DESC LIMIT 2",
                   "Descending ANN ordering is not supported")
    assert_invalid(cql, f"SELECT * FROM {t} ORDER BY str_val ANN OF [2.5, 3.5, 4.5] LIMIT 2",
                   "ANN ordering is only supported on float vector indexes")
    assert_invalid(cql, f"SELECT * FROM {t} WHERE str_val = 'A' ORDER BY val ANN OF [2.5, 3.5, 4.5] LIMIT 2",
                   "ANN ordering by vector requires all restricted column(s) to be indexed")
    assert_invalid(cql, f"SELECT * FROM {t} WHERE val = [1.0, 2.0, 3.0]", "Vector indexes only support ANN queries")
    assert_invalid(cql, f"SELECT * FROM {t} ORDER BY val ANN OF [2.5, 3.5] LIMIT 5",
                   "Invalid vector literal for val of type vector<float, 3>; expected 3 elements, but given 2")


def test_only_one_ann_ordering_and_no_secondary_ordering(cql, t):
    cql.execute(f"CREATE TABLE {t} (pk int, ck int, v1 vector<float, 3>, v2 vector<float, 3>, PRIMARY KEY (pk, ck))")
    cql.execute(f"CREATE INDEX ON {t} (v1) USING 'sai'")
    cql.execute(f"CREATE INDEX ON {t} (v2) USING 'sai'")
    assert_invalid(cql, f"SELECT * FROM {t} ORDER BY v1 ANN OF [2.5, 3.5, 4.5], v2 ANN OF [2.1, 3.2, 4.0] LIMIT 2",
                   "Cannot specify more than one ANN ordering")
    assert_invalid(cql, f"SELECT * FROM {t} ORDER BY v1 ANN OF [2.5, 3.5, 4.5], ck ASC LIMIT 2",
                   "ANN ordering does not support secondary ordering")


def test_ann_returns_every_row_in_one_page_with_a_warning_when_the_page_is_smaller(cql, t):
    from cassandra.query import SimpleStatement
    vectors(cql, t)
    cql.execute(f"CREATE INDEX ON {t} (val) USING 'sai'")
    result = cql.execute(SimpleStatement(f"SELECT pk FROM {t} ORDER BY val ANN OF [4.0, 5.0, 6.0] LIMIT 3", fetch_size=2))
    assert [r.pk for r in result.current_rows] == [3, 2, 1]
    assert not result.has_more_pages
    assert result.response_future.warnings == [
        "Top-K queries do not support paging and the page size is set to 2, which is less than LIMIT 3. "
        "The page size has been set to 3 to match the LIMIT."
    ]
