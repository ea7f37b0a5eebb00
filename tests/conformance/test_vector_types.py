"""The vector type's dimension.

Sources:
- apache/cassandra src/java/org/apache/cassandra/db/marshal/VectorType.java (getInstance: "vectors may
  only have positive dimensions; given 0", an InvalidRequest).
- scylladb/scylladb test/cqlpy/test_vector_type.py (test_vector_dimension_zero_is_rejected: the
  message Cassandra gives).
"""

from .util import assert_invalid


def test_vector_of_dimension_zero_is_refused(cql, t):
    assert_invalid(
        cql,
        f"CREATE TABLE {t} (pk int PRIMARY KEY, v vector<float, 0>)",
        "vectors may only have positive dimensions; given 0",
    )


def test_vector_of_dimension_one_is_accepted(cql, t):
    cql.execute(f"CREATE TABLE {t} (pk int PRIMARY KEY, v vector<float, 1>)")
    cql.execute(f"INSERT INTO {t} (pk, v) VALUES (1, [2.5])")
    assert [tuple(r) for r in cql.execute(f"SELECT v FROM {t}")] == [([2.5],)]


def test_vector_of_negative_dimension_is_refused(cql, t):
    # The grammar takes any integer as the dimension; VectorType.getInstance refuses it.
    assert_invalid(
        cql,
        f"CREATE TABLE {t} (pk int PRIMARY KEY, v vector<float, -18>)",
        "vectors may only have positive dimensions; given -18",
    )
