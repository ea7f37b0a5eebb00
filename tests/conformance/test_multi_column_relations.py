"""Multi-column relations mixed with single-column ones on clustering columns: equalities on a prefix
then a multi-column relation, several multi-column relations, and the merge errors.

Sources (apache/cassandra): test/unit/org/apache/cassandra/cql3/validation/operations/
SelectMultiColumnRelationTest.java (testMultiAndSingleColumnRelationMix, testSeveralMultiColumnRelation,
testMultiClusteringInvalidQueries, testSimpleTupleQuery).
"""

import pytest

from .util import assert_invalid, rows


@pytest.fixture
def abcd(cql, t):
    """PRIMARY KEY (a, b, c, d) with (b, c, d) in (0,0,0) (0,1,0) (0,1,1) (1,0,0) (1,1,0) (1,1,1)."""
    cql.execute(f"CREATE TABLE {t} (a int, b int, c int, d int, PRIMARY KEY (a, b, c, d))")
    for b, c, d in [(0, 0, 0), (0, 1, 0), (0, 1, 1), (1, 0, 0), (1, 1, 0), (1, 1, 1)]:
        cql.execute(f"INSERT INTO {t} (a, b, c, d) VALUES (0, {b}, {c}, {d})")
    return t


def q(cql, table, where, params=None):
    stmt = cql.prepare(f"SELECT * FROM {table} WHERE {where}") if params is not None else None
    return rows(cql, stmt, params) if stmt else rows(cql, f"SELECT * FROM {table} WHERE {where}")


def test_equality_then_multi_column_equality(cql, abcd):
    assert q(cql, abcd, "a = 0 AND b = 1 AND (c, d) = (0, 0)") == [(0, 1, 0, 0)]
    assert q(cql, abcd, "a = 0 AND b IN (0, 1) AND (c, d) = (0, 0)") == [(0, 0, 0, 0), (0, 1, 0, 0)]


def test_equality_then_multi_column_equality_with_bound_values(cql, abcd):
    assert q(cql, abcd, "a = ? AND b = ? AND (c, d) = (?, ?)", [0, 1, 0, 0]) == [(0, 1, 0, 0)]


def test_equality_then_multi_column_in(cql, abcd):
    assert q(cql, abcd, "a = 0 AND b = 1 AND (c) IN ((0))") == [(0, 1, 0, 0)]
    assert q(cql, abcd, "a = 0 AND b IN (0, 1) AND (c) IN ((0))") == [(0, 0, 0, 0), (0, 1, 0, 0)]
    assert q(cql, abcd, "a = 0 AND b = 1 AND (c) IN ((0), (1))") == [(0, 1, 0, 0), (0, 1, 1, 0), (0, 1, 1, 1)]
    assert q(cql, abcd, "a = 0 AND b = 1 AND (c, d) IN ((0, 0), (1, 1))") == [(0, 1, 0, 0), (0, 1, 1, 1)]
    assert q(cql, abcd, "a = 0 AND b IN (0, 1) AND (c, d) IN ((0, 0), (1, 1))") == [
        (0, 0, 0, 0), (0, 0, 1, 1), (0, 1, 0, 0), (0, 1, 1, 1)]


def test_equality_then_multi_column_slice(cql, abcd):
    assert q(cql, abcd, "a = 0 AND b = 1 AND (c, d) > (0, 0)") == [(0, 1, 1, 0), (0, 1, 1, 1)]
    assert q(cql, abcd, "a = 0 AND b IN (0, 1) AND (c, d) > (0, 0)") == [
        (0, 0, 1, 0), (0, 0, 1, 1), (0, 1, 1, 0), (0, 1, 1, 1)]


def test_equality_then_two_multi_column_slices_merge(cql, abcd):
    assert q(cql, abcd, "a = 0 AND b = 1 AND (c, d) > (0, 0) AND (c) <= (1)") == [(0, 1, 1, 0), (0, 1, 1, 1)]
    assert q(cql, abcd, "a = 0 AND b = 1 AND (c, d) >= (0, 0) AND (c, d) < (1, 1)") == [(0, 1, 0, 0), (0, 1, 1, 0)]


def test_multi_column_equality_then_single_column_restrictions(cql, abcd):
    assert q(cql, abcd, "a = 0 AND (b, c) = (0, 1) AND d = 0") == [(0, 0, 1, 0)]
    assert q(cql, abcd, "a = 0 AND (b, c) IN ((0, 1), (0, 0)) AND d = 0") == [(0, 0, 0, 0), (0, 0, 1, 0)]
    assert q(cql, abcd, "a = 0 AND b = 0 AND (c) = (1) AND d = 0") == [(0, 0, 1, 0)]
    assert q(cql, abcd, "a = 0 AND (b, c) = (0, 1) AND d IN (0, 2)") == [(0, 0, 1, 0)]
    assert q(cql, abcd, "a = 0 AND (b, c) = (0, 1) AND d >= 0") == [(0, 0, 1, 0), (0, 0, 1, 1)]
    assert q(cql, abcd, "a = 0 AND d < 1 AND (b, c) = (0, 1) AND d >= 0") == [(0, 0, 1, 0)]
    assert q(cql, abcd, "a = 0 AND d < 1 AND (b, c) IN ((0, 1), (0, 0)) AND d >= 0") == [
        (0, 0, 0, 0), (0, 0, 1, 0)]


def test_several_multi_column_relations_on_successive_columns(cql, abcd):
    assert q(cql, abcd, "a = 0 AND (b) = (1) AND (c, d) = (0, 0)") == [(0, 1, 0, 0)]
    assert q(cql, abcd, "a = 0 AND (b) IN ((0), (1)) AND (c, d) = (0, 0)") == [(0, 0, 0, 0), (0, 1, 0, 0)]
    assert q(cql, abcd, "a = 0 AND (b) IN ((0), (1)) AND (c, d) IN ((0, 0), (1, 1))") == [
        (0, 0, 0, 0), (0, 0, 1, 1), (0, 1, 0, 0), (0, 1, 1, 1)]
    assert q(cql, abcd, "a = 0 AND (b) IN ((0), (1)) AND (c, d) > (0, 0)") == [
        (0, 0, 1, 0), (0, 0, 1, 1), (0, 1, 1, 0), (0, 1, 1, 1)]
    assert q(cql, abcd, "a = 0 AND (b) = (1) AND (c, d) >= (0, 0) AND (c, d) < (1, 1)") == [
        (0, 1, 0, 0), (0, 1, 1, 0)]


def test_multi_column_slice_after_an_equality_with_allow_filtering_on_a_key_range(cql, t):
    cql.execute(f"CREATE TABLE {t} (a int, b int, c int, d int, e int, PRIMARY KEY (a, b, c, d, e))")
    for v in [(0, 2, 0, 0, 0), (0, 1, 0, 0, 0), (0, 0, 0, 0, 0), (0, 0, 1, 1, 1), (0, 0, 2, 2, 2),
              (0, 0, 3, 3, 3), (0, 0, 1, 1, 1)]:
        cql.execute(f"INSERT INTO {t} (a, b, c, d, e) VALUES {v}")
    assert q(cql, t, "b = 0 AND (c, d, e) > (1, 1, 1) ALLOW FILTERING") == [(0, 0, 2, 2, 2), (0, 0, 3, 3, 3)]


def test_multi_column_relation_after_an_unrestricted_column_is_filtered(cql, abcd):
    assert q(cql, abcd, "a = 0 AND (c, d) = (1, 0) ALLOW FILTERING") == [(0, 0, 1, 0), (0, 1, 1, 0)]
    assert q(cql, abcd, "a = 0 AND (c, d) > (0, 0) ALLOW FILTERING") == [
        (0, 0, 1, 0), (0, 0, 1, 1), (0, 1, 1, 0), (0, 1, 1, 1)]


def test_multi_column_relation_after_an_unrestricted_column_needs_filtering(cql, abcd):
    assert_invalid(cql, f"SELECT * FROM {abcd} WHERE a = 0 AND (c, d) = (0, 0)",
                   'PRIMARY KEY column "c" cannot be restricted as preceding column "b" is not restricted')
    assert_invalid(cql, f"SELECT * FROM {abcd} WHERE a = 0 AND (c, d) > (0, 0)",
                   'PRIMARY KEY column "c" cannot be restricted as preceding column "b" is not restricted')
    assert_invalid(cql, f"SELECT * FROM {abcd} WHERE (c, d) IN ((0, 1))",
                   'PRIMARY KEY column "c" cannot be restricted as preceding column "b" is not restricted')


def test_single_column_slice_merges_into_a_multi_column_slice_on_its_column(cql, t):
    cql.execute(f"CREATE TABLE {t} (a int, b int, c int, PRIMARY KEY (a, b))")
    for b in range(3):
        cql.execute(f"INSERT INTO {t} (a, b, c) VALUES (0, {b}, 0)")
    assert q(cql, t, "a = ? AND (b) > (?) AND b < ?", [0, 0, 2]) == [(0, 1, 0)]
    assert q(cql, t, "a = ? AND b > ? AND (b) < (?)", [0, 0, 2]) == [(0, 1, 0)]


def test_single_column_bound_on_the_first_column_of_a_multi_column_slice(cql, abcd):
    assert q(cql, abcd, "a = 0 AND b = 1 AND (c, d) > (0, 0) AND c <= 1") == [(0, 1, 1, 0), (0, 1, 1, 1)]
    assert q(cql, abcd, "a = 0 AND (b, c, d) > (0, 1, 0) AND b < 1") == [(0, 0, 1, 1)]


def test_single_column_slice_inside_a_multi_column_slice_is_refused(cql, abcd):
    message = 'Column "c" cannot be restricted by two inequalities not starting with the same column'
    assert_invalid(cql, f"SELECT * FROM {abcd} WHERE a = 0 AND (b, c, d) > (0, 1, 0) AND c < 1", message)
    assert_invalid(cql, f"SELECT * FROM {abcd} WHERE a = 0 AND c > 1 AND (b, c, d) < (1, 1, 0)", message)


def test_equality_and_multi_column_slice_on_one_column_are_refused(cql, abcd):
    assert_invalid(cql, f"SELECT * FROM {abcd} WHERE a = 0 AND (b, c) > (0, 0) AND b = 1",
                   'Column "b" cannot be restricted by both an equality and an inequality relation')
    assert_invalid(cql, f"SELECT * FROM {abcd} WHERE a = 0 AND b = 1 AND (b, c) > (0, 0)",
                   "b cannot be restricted by more than one relation if it includes an Equal")
    assert_invalid(cql, f"SELECT * FROM {abcd} WHERE a = 0 AND (b) = (0) AND (b) > (0)",
                   "b cannot be restricted by more than one relation if it includes an Equal")


def test_multi_column_relation_after_a_slice_is_refused(cql, abcd):
    assert_invalid(cql, f"SELECT * FROM {abcd} WHERE a = 0 AND b > 0 AND (c, d) IN ((0, 0))",
                   'Clustering column "c" cannot be restricted (preceding column "b" is restricted by a non-EQ relation)')
    assert_invalid(cql, f"SELECT * FROM {abcd} WHERE a = 0 AND b > 0 AND (c, d) > (0, 0)",
                   'Clustering column "c" cannot be restricted (preceding column "b" is restricted by a non-EQ relation)')
    assert_invalid(cql, f"SELECT * FROM {abcd} WHERE a = 0 AND (c, d) > (0, 0) AND b > 0",
                   'PRIMARY KEY column "c" cannot be restricted (preceding column "b" is restricted by a non-EQ relation)')
    assert_invalid(cql, f"SELECT * FROM {abcd} WHERE a = 0 AND (b) < (0) AND (c) < (0) AND (b, c) > (0, 0)",
                   'Clustering column "c" cannot be restricted (preceding column "b" is restricted by a non-EQ relation)')
    assert_invalid(cql, f"SELECT * FROM {abcd} WHERE a = 0 AND (b) < (0) AND c < 0 AND (b, c) > (0, 0)",
                   'Clustering column "c" cannot be restricted (preceding column "b" is restricted by a non-EQ relation)')


def test_tuple_inequalities_not_starting_with_the_same_column_are_refused(cql, abcd):
    message = 'Column "c" cannot be restricted by two inequalities not starting with the same column'
    assert_invalid(cql, f"SELECT * FROM {abcd} WHERE a = 0 AND (b, c) > (0, 0) AND (b) < (0) AND (c) < (0)", message)
    assert_invalid(cql, f"SELECT * FROM {abcd} WHERE a = 0 AND (c) < (0) AND (b, c) > (0, 0) AND (b) < (0)", message)
    assert_invalid(cql, f"SELECT * FROM {abcd} WHERE a = 0 AND (b, c) > (0, 0) AND (c) < (0)", message)
