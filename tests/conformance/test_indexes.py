"""Secondary indexes (legacy `CREATE INDEX` and storage-attached `USING 'sai'`): DDL and its checks,
system_schema.indexes, DESCRIBE, and queries answered through the index.

Sources (apache/cassandra, cassandra-5.0):
- src/java/org/apache/cassandra/cql3/statements/schema/CreateIndexStatement.java (messages, default
  names, duplicate detection, 'legacy_local_table' as the default implementation),
  DropIndexStatement.java, AlterTableStatement.java (dependent indexes), IndexMetadata.java (kind,
  options, toCqlString), IndexTarget.java (targets; a plain collection target indexes values).
- src/java/org/apache/cassandra/index/sai/StorageAttachedIndex.java (validateOptions messages).
- src/java/org/apache/cassandra/cql3/restrictions/StatementRestrictions.java and
  SelectStatement.java (what needs ALLOW FILTERING with indexes; IN on the partition key; ORDER BY).
- test/unit/org/apache/cassandra/cql3/validation/entities/SecondaryIndexTest.java.
"""

import pytest
from cassandra import InvalidRequest
from cassandra.protocol import ConfigurationException
from cassandra.query import SimpleStatement

from .util import assert_invalid, rows

FILTERING = (
    "Cannot execute this query as it might involve data filtering and thus may have unpredictable "
    "performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING"
)


def index_rows(cql, ks, table):
    return rows(
        cql,
        "SELECT index_name, kind, options FROM system_schema.indexes WHERE keyspace_name = %s AND table_name = %s",
        (ks, table),
    )


def fill(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int, c int, v int, w int, PRIMARY KEY (k, c))")
    for k in range(5):
        for c in range(3):
            cql.execute(f"INSERT INTO {t} (k, c, v, w) VALUES ({k}, {c}, {(k + c) % 3}, {k})")


# -- DDL ----------------------------------------------------------------------------------------


def test_create_index_takes_the_default_name_and_kind_composites(cql, ks, t):
    fill(cql, t)
    cql.execute(f"CREATE INDEX ON {t} (v)")
    assert index_rows(cql, ks, t) == [(f"{t}_v_idx", "COMPOSITES", {"target": "v"})]


def test_default_names_of_indexes_on_one_column_get_a_counter(cql, ks, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, m map<int, text>)")
    cql.execute(f"CREATE INDEX ON {t} (keys(m))")
    cql.execute(f"CREATE INDEX ON {t} (values(m))")
    cql.execute(f"CREATE INDEX ON {t} (entries(m))")
    assert index_rows(cql, ks, t) == [
        (f"{t}_m_idx", "COMPOSITES", {"target": "keys(m)"}),
        (f"{t}_m_idx_1", "COMPOSITES", {"target": "values(m)"}),
        (f"{t}_m_idx_2", "COMPOSITES", {"target": "entries(m)"}),
    ]


def test_a_plain_target_on_a_collection_indexes_its_values(cql, ks, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l list<int>)")
    cql.execute(f"CREATE INDEX ON {t} (l)")
    assert index_rows(cql, ks, t) == [(f"{t}_l_idx", "COMPOSITES", {"target": "values(l)"})]


def test_a_duplicate_index_is_refused_unless_if_not_exists(cql, t):
    fill(cql, t)
    cql.execute(f"CREATE INDEX {t}_i1 ON {t} (v)")
    assert_invalid(cql, f"CREATE INDEX {t}_i2 ON {t} (v)", f"Index {t}_i2 is a duplicate of existing index {t}_i1")
    cql.execute(f"CREATE INDEX IF NOT EXISTS {t}_i2 ON {t} (v)")
    assert_invalid(cql, f"CREATE INDEX {t}_i1 ON {t} (w)", f"Index '{t}_i1' already exists")
    cql.execute(f"CREATE INDEX IF NOT EXISTS {t}_i1 ON {t} (w)")


def test_create_index_refuses_what_cassandra_refuses(cql, t):
    cql.execute(
        f"CREATE TABLE {t} (k int PRIMARY KEY, v int, l list<int>, fl frozen<list<int>>, d duration, m map<int, int>)"
    )
    assert_invalid(cql, f"CREATE INDEX ON {t} (k)", "Cannot create secondary index on the only partition key column k")
    assert_invalid(
        cql,
        f"CREATE INDEX ON {t} (fl)",
        "Cannot create values() index on frozen column fl. Frozen collections are immutable and must be fully "
        "indexed by using the 'full(fl)' modifier",
    )
    assert_invalid(cql, f"CREATE INDEX ON {t} (full(l))", "full() indexes can only be created on frozen collections")
    assert_invalid(
        cql, f"CREATE INDEX ON {t} (keys(v))", "Cannot create keys() index on v. Non-collection columns only support simple indexes"
    )
    assert_invalid(cql, f"CREATE INDEX ON {t} (keys(l))", "Cannot create index on keys of column l with non-map type")
    assert_invalid(cql, f"CREATE INDEX ON {t} (d)", "Secondary indexes are not supported on duration columns")
    assert_invalid(cql, f"CREATE INDEX ON {t} (nope)", f"Undefined column name nope in table {cql.keyspace}.{t}")
    assert_invalid(cql, f"CREATE INDEX ON {t} (v, m)", "Only CUSTOM indexes support multiple columns")
    assert_invalid(cql, f"CREATE INDEX ON {t} (v) WITH OPTIONS = {{'a': 'b'}}", "Cannot specify options for a non-CUSTOM index")
    assert_invalid(
        cql,
        f"CREATE CUSTOM INDEX ON {t} (v) USING 'org.example.Nope'",
        "Unable to find custom indexer class 'org.example.Nope'",
        error=ConfigurationException,
    )


def test_indexes_are_refused_on_counter_tables(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, n counter)")
    assert_invalid(cql, f"CREATE INDEX ON {t} (n)", "Secondary indexes on counter tables aren't supported")


def test_sai_indexes_are_custom_and_keep_the_class_as_written(cql, ks, t):
    fill(cql, t)
    cql.execute(f"CREATE INDEX ON {t} (v) USING 'sai'")
    cql.execute(f"CREATE CUSTOM INDEX {t}_wi ON {t} (w) USING 'StorageAttachedIndex'")
    assert index_rows(cql, ks, t) == [
        (f"{t}_v_idx", "CUSTOM", {"class_name": "sai", "target": "v"}),
        (f"{t}_wi", "CUSTOM", {"class_name": "StorageAttachedIndex", "target": "w"}),
    ]
    assert_invalid(
        cql,
        f"CREATE INDEX {t}_other ON {t} (v) USING 'StorageAttachedIndex'",
        "Cannot create more than one storage-attached index on the same column: v",
    )
    assert_invalid(
        cql,
        f"CREATE INDEX ON {t} (c) USING 'sai' WITH OPTIONS = {{'foo': 'bar'}}",
        "Properties specified [foo] are not understood by StorageAttachedIndex",
        error=ConfigurationException,
    )


def test_drop_index_and_its_missing_index_message(cql, ks, t):
    fill(cql, t)
    cql.execute(f"CREATE INDEX {t}_i ON {t} (v)")
    cql.execute(f"DROP INDEX {t}_i")
    assert index_rows(cql, ks, t) == []
    assert_invalid(cql, f"DROP INDEX {t}_i", f"Index '{ks}.{t}_i' doesn't exist'")
    cql.execute(f"DROP INDEX IF EXISTS {t}_i")
    assert_invalid(cql, f"SELECT * FROM {t} WHERE v = 1", FILTERING)


def test_an_indexed_column_cannot_be_dropped(cql, t):
    fill(cql, t)
    cql.execute(f"CREATE INDEX ON {t} (v)")
    assert_invalid(cql, f"ALTER TABLE {t} DROP v", f"Cannot drop column v because it has dependent secondary indexes ({t}_v_idx)")


def test_dropping_the_table_drops_its_indexes(cql, ks, t):
    fill(cql, t)
    cql.execute(f"CREATE INDEX ON {t} (v)")
    cql.execute(f"DROP TABLE {t}")
    assert index_rows(cql, ks, t) == []


def test_describe_prints_the_indexes_after_the_table(cql, ks, t):
    fill(cql, t)
    cql.execute(f"CREATE INDEX ON {t} (v)")
    cql.execute(f"CREATE INDEX {t}_s ON {t} (w) USING 'sai'")
    described = [tuple(r) for r in cql.execute(f"DESCRIBE TABLE {t}")]
    assert [(r[1], r[2]) for r in described] == [("table", t), ("index", f"{t}_s"), ("index", f"{t}_v_idx")]
    assert described[1][3] == f"CREATE CUSTOM INDEX {t}_s ON {ks}.{t} (w) USING 'sai';"
    assert described[2][3] == f"CREATE INDEX {t}_v_idx ON {ks}.{t} (v);"
    assert [tuple(r) for r in cql.execute(f"DESCRIBE INDEX {t}_v_idx")] == [described[2]]


# -- queries ------------------------------------------------------------------------------------


def test_an_indexed_equality_needs_no_filtering_and_returns_rows_in_token_order(cql, t):
    fill(cql, t)
    assert_invalid(cql, f"SELECT k, c FROM {t} WHERE v = 1", FILTERING)
    cql.execute(f"CREATE INDEX ON {t} (v)")
    scan = [r[:2] for r in rows(cql, f"SELECT k, c, v FROM {t}") if r[2] == 1]
    assert rows(cql, f"SELECT k, c FROM {t} WHERE v = 1") == scan
    assert rows(cql, f"SELECT k, c FROM {t} WHERE k = 1 AND v = 1") == [(1, 0)]
    assert rows(cql, f"SELECT count(*) FROM {t} WHERE v = 1") == [(5,)]
    assert rows(cql, f"SELECT k, c FROM {t} WHERE v = 1 LIMIT 2") == scan[:2]


def test_index_results_page_through_every_row_once(cql, t):
    fill(cql, t)
    cql.execute(f"CREATE INDEX ON {t} (v)")
    everything = rows(cql, f"SELECT k, c FROM {t} WHERE v = 0")
    statement = SimpleStatement(f"SELECT k, c FROM {t} WHERE v = 0", fetch_size=2)
    result = cql.execute(statement)
    assert len(result.current_rows) == 2 and result.has_more_pages
    assert [tuple(r) for r in result] == everything


def test_the_index_follows_overwrites_and_deletes(cql, t):
    fill(cql, t)
    cql.execute(f"CREATE INDEX ON {t} (v)")
    cql.execute(f"UPDATE {t} SET v = 7 WHERE k = 0 AND c = 0")
    assert rows(cql, f"SELECT k, c FROM {t} WHERE v = 7") == [(0, 0)]
    assert (0, 0) not in rows(cql, f"SELECT k, c FROM {t} WHERE v = 0")
    cql.execute(f"DELETE FROM {t} WHERE k = 0 AND c = 0")
    assert rows(cql, f"SELECT k, c FROM {t} WHERE v = 7") == []
    cql.execute(f"INSERT INTO {t} (k, c, v) VALUES (9, 9, 7)")
    cql.execute(f"DELETE FROM {t} WHERE k = 9")
    assert rows(cql, f"SELECT k, c FROM {t} WHERE v = 7") == []


def test_other_restrictions_beside_a_legacy_index_need_allow_filtering(cql, t):
    fill(cql, t)
    cql.execute(f"CREATE INDEX ON {t} (v)")
    cql.execute(f"CREATE INDEX ON {t} (w)")
    assert_invalid(cql, f"SELECT * FROM {t} WHERE v = 1 AND w = 2", FILTERING)
    assert_invalid(cql, f"SELECT * FROM {t} WHERE v = 1 AND c = 2", FILTERING)
    assert_invalid(cql, f"SELECT * FROM {t} WHERE v > 1", FILTERING)
    assert rows(cql, f"SELECT k, c FROM {t} WHERE v = 1 AND w = 2 ALLOW FILTERING") == [(2, 2)]


def test_in_on_the_partition_key_and_order_by_are_refused_with_an_index(cql, t):
    fill(cql, t)
    cql.execute(f"CREATE INDEX ON {t} (v)")
    assert_invalid(
        cql,
        f"SELECT * FROM {t} WHERE k IN (1, 2) AND v = 1",
        "Select on indexed columns and with IN clause for the PRIMARY KEY are not supported",
    )
    assert_invalid(
        cql, f"SELECT * FROM {t} WHERE k = 1 AND v = 1 ORDER BY c DESC", "ORDER BY with 2ndary indexes is not supported."
    )


def test_sai_indexes_answer_several_restrictions_and_numeric_ranges(cql, t):
    fill(cql, t)
    cql.execute(f"CREATE INDEX ON {t} (v) USING 'sai'")
    cql.execute(f"CREATE INDEX ON {t} (w) USING 'sai'")
    assert rows(cql, f"SELECT k, c FROM {t} WHERE v = 1 AND w = 2") == [(2, 2)]
    assert sorted(rows(cql, f"SELECT k, c FROM {t} WHERE w >= 3 AND v < 1")) == [(3, 0), (4, 2)]


def test_sai_does_not_answer_ranges_on_text(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, name text)")
    cql.execute(f"CREATE INDEX ON {t} (name) USING 'sai'")
    cql.execute(f"INSERT INTO {t} (k, name) VALUES (1, 'a')")
    assert rows(cql, f"SELECT k FROM {t} WHERE name = 'a'") == [(1,)]
    assert_invalid(cql, f"SELECT k FROM {t} WHERE name > 'a'", FILTERING)


def test_collection_indexes_answer_contains_contains_key_entries_and_full(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l list<int>, m map<text, int>, f frozen<set<int>>)")
    cql.execute(f"INSERT INTO {t} (k, l, m, f) VALUES (1, [1, 2], {{'x': 1, 'y': 2}}, {{1, 2}})")
    cql.execute(f"INSERT INTO {t} (k, l, m, f) VALUES (2, [2, 3], {{'y': 3}}, {{2, 3}})")
    cql.execute(f"CREATE INDEX ON {t} (l)")
    cql.execute(f"CREATE INDEX ON {t} (keys(m))")
    cql.execute(f"CREATE INDEX ON {t} (entries(m))")
    cql.execute(f"CREATE INDEX ON {t} (full(f))")
    assert sorted(rows(cql, f"SELECT k FROM {t} WHERE l CONTAINS 2")) == [(1,), (2,)]
    assert rows(cql, f"SELECT k FROM {t} WHERE m CONTAINS KEY 'x'") == [(1,)]
    assert rows(cql, f"SELECT k FROM {t} WHERE m['y'] = 3") == [(2,)]
    assert rows(cql, f"SELECT k FROM {t} WHERE f = {{2, 3}}") == [(2,)]
    assert_invalid(cql, f"SELECT k FROM {t} WHERE m CONTAINS 1", FILTERING)


def test_indexes_on_key_components_and_static_columns(cql, t):
    cql.execute(f"CREATE TABLE {t} (a int, b int, c int, s int static, v int, PRIMARY KEY ((a, b), c))")
    for a in range(3):
        for c in range(2):
            cql.execute(f"INSERT INTO {t} (a, b, c, s, v) VALUES ({a}, {a}, {c}, {a * 10}, {c})")
    cql.execute(f"CREATE INDEX ON {t} (a)")
    cql.execute(f"CREATE INDEX ON {t} (c)")
    cql.execute(f"CREATE INDEX ON {t} (s)")
    assert rows(cql, f"SELECT a, c FROM {t} WHERE a = 1") == [(1, 0), (1, 1)]
    assert rows(cql, f"SELECT a, c FROM {t} WHERE s = 20") == [(2, 0), (2, 1)]
    assert len(rows(cql, f"SELECT a, c FROM {t} WHERE c = 1")) == 3


def test_an_sai_index_with_case_sensitive_false_matches_any_case(cql, t):
    # SAI's NonTokenizingAnalyzer (index/sai/analyzer): indexed and queried text are lower-cased.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, val text)")
    cql.execute(f"CREATE CUSTOM INDEX ON {t} (val) USING 'StorageAttachedIndex' WITH OPTIONS = {{'case_sensitive': false}}")
    cql.execute(f"INSERT INTO {t} (k, val) VALUES (1, 'Camel')")
    assert rows(cql, f"SELECT k FROM {t} WHERE val = 'CAMEL'") == [(1,)]
    assert rows(cql, f"SELECT k FROM {t} WHERE val = 'camel'") == [(1,)]


def test_an_sai_index_with_normalize_matches_canonically_equivalent_text(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, val text)")
    cql.execute(f"CREATE INDEX ON {t} (val) USING 'sai' WITH OPTIONS = {{'normalize': true}}")
    cql.execute(f"INSERT INTO {t} (k, val) VALUES (1, 'caf\u00e9')")
    assert rows(cql, f"SELECT k FROM {t} WHERE val = 'cafe\u0301'") == [(1,)]


def test_dropping_the_keyspace_drops_its_indexes(cql, t):
    ks = f"{t}_ks"
    cql.execute(f"CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}")
    cql.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, v int)")
    cql.execute(f"CREATE INDEX {ks}.vi ON {ks}.t (v)")
    assert index_rows(cql, ks, "t") == [("vi", "COMPOSITES", {"target": "v"})]
    cql.execute(f"DROP KEYSPACE {ks}")
    assert index_rows(cql, ks, "t") == []
    assert_invalid(
        cql, f"CREATE INDEX other.vi ON {cql.keyspace}.{t} (v)", f"Keyspace name '{cql.keyspace}' doesn't match index name '{cql.keyspace}.{t}'"
    )


def test_a_value_overwritten_queried_and_written_again_is_found_each_time_it_holds(cql, t):
    # A read deletes the entries it finds stale (CassandraIndexSearcher.deleteAllEntries) at their
    # own timestamps, so a later write of the same value is indexed again.
    cql.execute(f"CREATE TABLE {t} (k int, c int, v int, PRIMARY KEY (k, c))")
    cql.execute(f"CREATE INDEX ON {t} (v)")
    for c in range(4):
        cql.execute(f"INSERT INTO {t} (k, c, v) VALUES (0, {c}, 1)")
    for _ in range(3):
        cql.execute(f"UPDATE {t} SET v = 2 WHERE k = 0 AND c IN (1, 2)")
        assert rows(cql, f"SELECT c FROM {t} WHERE v = 1") == [(0,), (3,)]
        assert rows(cql, f"SELECT c FROM {t} WHERE v = 2") == [(1,), (2,)]
        cql.execute(f"UPDATE {t} SET v = 1 WHERE k = 0 AND c IN (1, 2)")
        assert rows(cql, f"SELECT c FROM {t} WHERE v = 1") == [(0,), (1,), (2,), (3,)]
        assert rows(cql, f"SELECT c FROM {t} WHERE v = 2") == []


def test_pages_over_overwritten_values_hold_every_row_once(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int, c int, v int, PRIMARY KEY (k, c))")
    cql.execute(f"CREATE INDEX ON {t} (v)")
    for k in range(6):
        for c in range(3):
            cql.execute(f"INSERT INTO {t} (k, c, v) VALUES ({k}, {c}, 1)")
    for k in range(0, 6, 2):
        cql.execute(f"UPDATE {t} SET v = 2 WHERE k = {k} AND c = 1")
    expected = rows(cql, f"SELECT k, c FROM {t} WHERE v = 1 ALLOW FILTERING")
    assert len(expected) == 15
    for _ in range(2):
        paged = list(cql.execute(SimpleStatement(f"SELECT k, c FROM {t} WHERE v = 1", fetch_size=2)))
        assert [tuple(r) for r in paged] == expected


def test_indexed_query_with_a_value_over_64k_is_refused(cql, t):
    # SecondaryIndexTest.testIndexQueryWithValueOver64K: CassandraIndex.validate(ReadCommand).
    cql.execute(f"CREATE TABLE {t} (a int, b int, c blob, PRIMARY KEY (a, b))")
    cql.execute(f"CREATE INDEX {t}_c ON {t} (c)")
    cql.execute(f"INSERT INTO {t} (a, b, c) VALUES (0, 0, 0x01)")
    cql.execute(f"INSERT INTO {t} (a, b, c) VALUES (0, 1, 0x0101)")
    select = cql.prepare(f"SELECT * FROM {t} WHERE c = ? ALLOW FILTERING")
    too_big = b"\x01" * (65 * 1024)
    assert_invalid(cql, select, "Index expression values may not be larger than 64K", params=[too_big])
    cql.execute(f"DROP INDEX {t}_c")
    select = cql.prepare(f"SELECT * FROM {t} WHERE c = ? ALLOW FILTERING")
    assert rows(cql, select, [too_big]) == []
