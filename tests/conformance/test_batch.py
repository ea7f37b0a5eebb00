"""BATCH: logged, unlogged and counter batches, timestamps inside them, conditions, and their errors.

Sources (apache/cassandra):
- test/unit/org/apache/cassandra/cql3/validation/operations/BatchTest.java (testBatch,
  testBatchDeleteInsert, testBatchWithUnset, testBatchUpdate, testBatchEmpty, testBatchMultipleTable).
- src/java/org/apache/cassandra/cql3/statements/BatchStatement.java (validate(): the messages, in the
  order they are checked; "Batch with conditions cannot span multiple partitions").
- datastax/python-driver tests/integration/standard/test_query.py (test_was_applied_batch_stmt: a
  conditional batch applies all or nothing).
- src/java/org/apache/cassandra/db/rows/Cells.java: two writes of one cell in a batch share the batch
  timestamp, so the greater value wins.
"""

import pytest
from cassandra.protocol import SyntaxException
from cassandra.query import BatchStatement, BatchType, SimpleStatement, UNSET_VALUE

from .util import assert_invalid, one, rows


@pytest.fixture
def users(cql, t):
    cql.execute(f"CREATE TABLE {t} (userid text PRIMARY KEY, name text, password text)")
    return t


def test_batch_of_mixed_statements(cql, users):
    # BatchTest.testBatch.
    t = users
    cql.execute(f"INSERT INTO {t} (userid, name) VALUES ('user1', 'first user')")
    cql.execute(f"""BEGIN BATCH
        INSERT INTO {t} (userid, password, name) VALUES ('user2', 'ch@ngem3b', 'second user');
        UPDATE {t} SET password = 'ps22dhds' WHERE userid = 'user3';
        INSERT INTO {t} (userid, password) VALUES ('user4', 'ch@ngem3c');
        DELETE name FROM {t} WHERE userid = 'user1';
        APPLY BATCH;""")
    assert sorted(rows(cql, f"SELECT userid, name, password FROM {t}")) == [
        ("user1", None, None), ("user2", "second user", "ch@ngem3b"), ("user3", None, "ps22dhds"),
        ("user4", None, "ch@ngem3c")]


def test_unlogged_batch(cql, users):
    t = users
    cql.execute(f"BEGIN UNLOGGED BATCH INSERT INTO {t} (userid, name) VALUES ('a', 'A'); "
                f"INSERT INTO {t} (userid, name) VALUES ('b', 'B'); APPLY BATCH")
    assert sorted(rows(cql, f"SELECT userid, name FROM {t}")) == [("a", "A"), ("b", "B")]


def test_batch_delete_then_insert_in_one_partition(cql, t):
    # BatchTest.testBatchDeleteInsert.
    cql.execute(f"CREATE TABLE {t} (k int, v int, PRIMARY KEY (k, v))")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES (0, 1)")
    cql.execute(f"BEGIN BATCH DELETE FROM {t} WHERE k=0 AND v=1; INSERT INTO {t} (k, v) VALUES (0, 2); APPLY BATCH")
    assert rows(cql, f"SELECT * FROM {t}") == [(0, 2)]


def test_batch_with_null_and_unset_bound_values(cql, t):
    # BatchTest.testBatchWithUnset.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, s text, i int)")
    batch = cql.prepare(f"BEGIN BATCH INSERT INTO {t} (k, s, i) VALUES (100, 'batchtext', 7); "
                        f"INSERT INTO {t} (k, s, i) VALUES (111, 'batchtext', 7); UPDATE {t} SET s=?, i=? WHERE k = 100; "
                        f"UPDATE {t} SET s=?, i=? WHERE k=111; APPLY BATCH;")
    cql.execute(batch, [None, UNSET_VALUE, UNSET_VALUE, None])
    assert rows(cql, f"SELECT k, s, i FROM {t} WHERE k IN (100, 111)") == [(100, None, 7), (111, "batchtext", None)]


def test_batch_update_with_in_and_tuples(cql, t):
    # BatchTest.testBatchUpdate.
    cql.execute(f"CREATE TABLE {t} (partitionKey int, clustering_1 int, value int, PRIMARY KEY (partitionKey, clustering_1))")
    for i in range(7):
        cql.execute(f"INSERT INTO {t} (partitionKey, clustering_1, value) VALUES (0, {i}, {i})")
    cql.execute(f"BEGIN BATCH "
                f"UPDATE {t} SET value = 7 WHERE partitionKey = 0 AND clustering_1 = 1 "
                f"UPDATE {t} SET value = 8 WHERE partitionKey = 0 AND (clustering_1) = (2) "
                f"UPDATE {t} SET value = 10 WHERE partitionKey = 0 AND clustering_1 IN (3, 4) "
                f"UPDATE {t} SET value = 20 WHERE partitionKey = 0 AND (clustering_1) IN ((5), (6)) "
                f"APPLY BATCH;")
    assert rows(cql, f"SELECT * FROM {t}") == [(0, 0, 0), (0, 1, 7), (0, 2, 8), (0, 3, 10), (0, 4, 10), (0, 5, 20), (0, 6, 20)]


def test_batch_across_tables(cql, t):
    # BatchTest.testBatchMultipleTable.
    cql.execute(f"CREATE TABLE {t}_1 (k1 int PRIMARY KEY, v11 int, v12 int)")
    cql.execute(f"CREATE TABLE {t}_2 (k2 int PRIMARY KEY, v21 int, v22 int)")
    cql.execute(f"BEGIN BATCH UPDATE {t}_1 SET v11 = 1 WHERE k1 = 0; UPDATE {t}_1 SET v12 = 2 WHERE k1 = 0; "
                f"UPDATE {t}_2 SET v21 = 3 WHERE k2 = 0; UPDATE {t}_2 SET v22 = 4 WHERE k2 = 0; APPLY BATCH;")
    assert rows(cql, f"SELECT * FROM {t}_1") == [(0, 1, 2)]
    assert rows(cql, f"SELECT * FROM {t}_2") == [(0, 3, 4)]


def test_empty_batch_returns_no_rows(cql):
    # BatchTest.testBatchEmpty.
    assert rows(cql, "BEGIN BATCH APPLY BATCH;") == []


def test_two_writes_of_one_cell_in_a_batch_keep_the_greater_value(cql, users):
    t = users
    cql.execute(f"BEGIN BATCH INSERT INTO {t} (userid, name) VALUES ('u', 'zed'); "
                f"INSERT INTO {t} (userid, name) VALUES ('u', 'abe'); APPLY BATCH")
    assert one(cql, f"SELECT name FROM {t} WHERE userid = 'u'") == ("zed",)


def test_delete_and_insert_of_one_cell_in_a_batch_delete_wins(cql, users):
    t = users
    cql.execute(f"INSERT INTO {t} (userid, name) VALUES ('u', 'old')")
    cql.execute(f"BEGIN BATCH INSERT INTO {t} (userid, name) VALUES ('u', 'new'); "
                f"DELETE name FROM {t} WHERE userid = 'u'; APPLY BATCH")
    assert one(cql, f"SELECT name FROM {t} WHERE userid = 'u'") == (None,)


def test_driver_batch_message_logged_and_unlogged(cql, users):
    t = users
    insert = cql.prepare(f"INSERT INTO {t} (userid, name) VALUES (?, ?)")
    for kind in (BatchType.LOGGED, BatchType.UNLOGGED):
        batch = BatchStatement(batch_type=kind)
        batch.add(insert, ("p", "prepared"))
        batch.add(SimpleStatement(f"INSERT INTO {t} (userid, name) VALUES (%s, %s)"), ("s", "simple"))
        cql.execute(batch)
    assert sorted(rows(cql, f"SELECT userid, name FROM {t}")) == [("p", "prepared"), ("s", "simple")]


def test_driver_counter_batch(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, c counter)")
    batch = BatchStatement(batch_type=BatchType.COUNTER)
    batch.add(SimpleStatement(f"UPDATE {t} SET c = c + 2 WHERE k = 0"))
    batch.add(SimpleStatement(f"UPDATE {t} SET c = c + 3 WHERE k = 0"))
    cql.execute(batch)
    assert one(cql, f"SELECT c FROM {t} WHERE k = 0") == (5,)


def test_counter_update_in_a_logged_batch_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, c counter)")
    assert_invalid(cql, f"BEGIN BATCH UPDATE {t} SET c = c + 1 WHERE k = 0; APPLY BATCH",
                   "Cannot include a counter statement in a logged batch")


def test_regular_write_in_a_counter_batch_is_refused(cql, users):
    assert_invalid(cql, f"BEGIN COUNTER BATCH INSERT INTO {users} (userid, name) VALUES ('a', 'b'); APPLY BATCH",
                   "Cannot include non-counter statement in a counter batch")


def test_counter_and_regular_writes_in_one_batch_are_refused(cql, t, users):
    cql.execute(f"CREATE TABLE {t}_c (k int PRIMARY KEY, c counter)")
    assert_invalid(cql, f"BEGIN UNLOGGED BATCH INSERT INTO {users} (userid, name) VALUES ('a', 'b'); "
                        f"UPDATE {t}_c SET c = c + 1 WHERE k = 0; APPLY BATCH",
                   "Counter and non-counter mutations cannot exist in the same batch")


def test_timestamp_on_a_counter_batch_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, c counter)")
    assert_invalid(cql, f"BEGIN COUNTER BATCH USING TIMESTAMP 1 UPDATE {t} SET c = c + 1 WHERE k = 0; APPLY BATCH",
                   "Cannot provide custom timestamp for counter BATCH")


def test_ttl_on_a_batch_is_refused(cql, users):
    # BatchStatement.validate: the grammar takes USING TTL on BATCH, validation refuses it.
    assert_invalid(cql, f"BEGIN BATCH USING TTL 10 INSERT INTO {users} (userid) VALUES ('a'); APPLY BATCH",
                   "Global TTL on the BATCH statement is not supported.")


def test_select_inside_a_batch_is_a_syntax_error(cql, users):
    with pytest.raises(SyntaxException):
        cql.execute(f"BEGIN BATCH SELECT * FROM {users}; APPLY BATCH")


def test_conditional_batch_applies_all_or_nothing(cql, t):
    # python-driver test_was_applied_batch_stmt.
    cql.execute(f"CREATE TABLE {t} (k int, c int, v int, PRIMARY KEY (k, c))")
    cql.execute(f"INSERT INTO {t} (k, c, v) VALUES (0, 0, 10)")
    result = cql.execute(f"BEGIN BATCH INSERT INTO {t} (k, c, v) VALUES (0, 0, 10) IF NOT EXISTS; "
                         f"INSERT INTO {t} (k, c, v) VALUES (0, 4, 10); "
                         f"INSERT INTO {t} (k, c, v) VALUES (0, 5, 10) IF NOT EXISTS; APPLY BATCH")
    assert result.was_applied is False
    assert rows(cql, f"SELECT c FROM {t} WHERE k = 0") == [(0,)]
    result = cql.execute(f"BEGIN BATCH INSERT INTO {t} (k, c, v) VALUES (0, 3, 10) IF NOT EXISTS; "
                         f"INSERT INTO {t} (k, c, v) VALUES (0, 4, 10) IF NOT EXISTS; APPLY BATCH")
    assert result.was_applied is True
    assert rows(cql, f"SELECT c FROM {t} WHERE k = 0") == [(0,), (3,), (4,)]


def test_failed_conditional_batch_returns_the_primary_key_and_condition_columns(cql, t):
    # ModificationStatement.buildCasFailureResultSet: in a batch the primary key columns come first,
    # then the columns of the conditions.
    cql.execute(f"CREATE TABLE {t} (k int, c int, v int, PRIMARY KEY (k, c))")
    cql.execute(f"INSERT INTO {t} (k, c, v) VALUES (0, 0, 10)")
    result = cql.execute(f"BEGIN BATCH UPDATE {t} SET v = 1 WHERE k = 0 AND c = 0 IF v = 11; "
                         f"INSERT INTO {t} (k, c, v) VALUES (0, 1, 1); APPLY BATCH")
    assert result.column_names == ["[applied]", "k", "c", "v"]
    assert [tuple(r) for r in result] == [(False, 0, 0, 10)]


def test_conditional_batch_across_partitions_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int)")
    assert_invalid(cql, f"BEGIN BATCH INSERT INTO {t} (k, v) VALUES (0, 0) IF NOT EXISTS; "
                        f"INSERT INTO {t} (k, v) VALUES (1, 1) IF NOT EXISTS; APPLY BATCH",
                   "Batch with conditions cannot span multiple partitions")


def test_conditional_batch_across_tables_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t}_1 (k int PRIMARY KEY, v int)")
    cql.execute(f"CREATE TABLE {t}_2 (k int PRIMARY KEY, v int)")
    assert_invalid(cql, f"BEGIN BATCH INSERT INTO {t}_1 (k, v) VALUES (0, 0) IF NOT EXISTS; "
                        f"INSERT INTO {t}_2 (k, v) VALUES (0, 0); APPLY BATCH",
                   "Batch with conditions cannot span multiple tables")


def test_timestamp_on_a_conditional_batch_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int)")
    assert_invalid(cql, f"BEGIN BATCH USING TIMESTAMP 5 INSERT INTO {t} (k, v) VALUES (0, 0) IF NOT EXISTS; APPLY BATCH",
                   "Cannot provide custom timestamp for conditional BATCH")
