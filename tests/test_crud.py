"""Writing and reading data: the issue's scenario, every native type, keys, slices and DDL.

Expected values are what Apache Cassandra 5.0 returns for the same statements.
"""

import datetime
import uuid
from decimal import Decimal

import pytest
from cassandra.query import BatchStatement, BatchType, SimpleStatement
from cassandra.util import Date, Time

# What the Python driver's TableMetadata.export_as_string() prints for `demo.users` against
# Cassandra 5.0 (driver schema parser V4). The driver prints only the options it recognises, sorted,
# and only those present in system_schema.tables; `cdc` is null there unless cdc_enabled is set in
# cassandra.yaml, so it is not printed. Regular columns come in system_schema.columns order (by name).
DEMO_USERS_EXPORT = """\
CREATE TABLE demo.users (
    id int PRIMARY KEY,
    email text,
    name text
) WITH additional_write_policy = '99p'
    AND bloom_filter_fp_chance = 0.01
    AND caching = {'keys': 'ALL', 'rows_per_partition': 'NONE'}
    AND comment = ''
    AND compaction = {'class': 'org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy', \
'max_threshold': '32', 'min_threshold': '4'}
    AND compression = {'chunk_length_in_kb': '16', 'class': 'org.apache.cassandra.io.compress.LZ4Compressor'}
    AND crc_check_chance = 1.0
    AND default_time_to_live = 0
    AND gc_grace_seconds = 864000
    AND max_index_interval = 2048
    AND memtable_flush_period_in_ms = 0
    AND min_index_interval = 128
    AND read_repair = 'BLOCKING'
    AND speculative_retry = '99p';"""


def test_issue_scenario_demo_users(cluster):
    session = cluster.connect()
    session.execute("DROP KEYSPACE IF EXISTS demo")
    try:
        # The scenario from the issue, verbatim.
        session.execute(
            "CREATE KEYSPACE IF NOT EXISTS demo WITH replication = "
            "{'class': 'SimpleStrategy', 'replication_factor': 1}"
        )
        session.set_keyspace("demo")
        session.execute("CREATE TABLE IF NOT EXISTS users (id int PRIMARY KEY, name text, email text)")
        session.execute("INSERT INTO users (id, name, email) VALUES (%s, %s, %s)", (1, "Ada", "ada@example.com"))
        ps = session.prepare("SELECT name, email FROM users WHERE id = ?")
        row = session.execute(ps, [1]).one()
        assert row == ("Ada", "ada@example.com")
        assert (row.name, row.email) == ("Ada", "ada@example.com")
        assert cluster.metadata.keyspaces["demo"].tables["users"].export_as_string() == DEMO_USERS_EXPORT
    finally:
        session.execute("DROP KEYSPACE IF EXISTS demo")
        session.shutdown()


# -- every native type ---------------------------------------------------------------------------------

# (type, CQL literal, value read back for the literal, a bound value, value read back for it)
TYPES = [
    ("int", "-2147483648", -2147483648, 2147483647, 2147483647),
    ("bigint", "9223372036854775807", 9223372036854775807, -(2**62), -(2**62)),
    ("smallint", "-32768", -32768, 32767, 32767),
    ("tinyint", "127", 127, -128, -128),
    ("text", "'it''s Grüße, 世界'", "it's Grüße, 世界", "naïve ☃", "naïve ☃"),
    ("varchar", "'varchar value'", "varchar value", "ünïcödé", "ünïcödé"),
    ("ascii", "'plain ascii'", "plain ascii", "~!@#", "~!@#"),
    ("boolean", "true", True, False, False),
    ("double", "3.141592653589793", 3.141592653589793, -1.5e300, -1.5e300),
    ("float", "1.5", 1.5, -0.25, -0.25),
    (
        "uuid",
        "550e8400-e29b-41d4-a716-446655440000",
        uuid.UUID("550e8400-e29b-41d4-a716-446655440000"),
        uuid.UUID("f47ac10b-58cc-4372-a567-0e02b2c3d479"),
        uuid.UUID("f47ac10b-58cc-4372-a567-0e02b2c3d479"),
    ),
    (
        "timeuuid",
        "50554d6e-29bb-11e5-b345-feff819cdc9f",
        uuid.UUID("50554d6e-29bb-11e5-b345-feff819cdc9f"),
        uuid.UUID("e7ba1c8e-8a4f-11ee-b9d1-0242ac120002"),
        uuid.UUID("e7ba1c8e-8a4f-11ee-b9d1-0242ac120002"),
    ),
    (
        "timestamp",
        "'2024-02-29 12:34:56.789+0000'",
        datetime.datetime(2024, 2, 29, 12, 34, 56, 789000),
        datetime.datetime(1969, 7, 20, 20, 17, 40, 123000),
        datetime.datetime(1969, 7, 20, 20, 17, 40, 123000),
    ),
    ("date", "'2024-02-29'", Date(datetime.date(2024, 2, 29)), datetime.date(1900, 1, 1), Date(datetime.date(1900, 1, 1))),
    (
        "time",
        "'13:14:15.123456789'",
        Time("13:14:15.123456789"),
        datetime.time(0, 0, 0, 1),
        Time(datetime.time(0, 0, 0, 1)),
    ),
    ("blob", "0xcafe00ff", b"\xca\xfe\x00\xff", bytes(range(256)), bytes(range(256))),
    ("inet", "'192.168.1.20'", "192.168.1.20", "2001:db8::1", "2001:db8::1"),
    ("decimal", "123.4500", Decimal("123.4500"), Decimal("-0.000001"), Decimal("-0.000001")),
    (
        "varint",
        "123456789012345678901234567890",
        123456789012345678901234567890,
        -(2**100),
        -(2**100),
    ),
]


def same_value(actual, expected):
    """Equality that also checks the exact type where Python's == is too lenient."""
    if isinstance(expected, Decimal):
        return isinstance(actual, Decimal) and actual.as_tuple() == expected.as_tuple()
    if isinstance(expected, bool):
        return actual is expected
    if isinstance(expected, (Date, Time)):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, float):
        return isinstance(actual, float) and actual == expected
    return type(actual) is type(expected) and actual == expected


@pytest.mark.parametrize("cql_type, literal, from_literal, bound, from_bound", TYPES, ids=[t[0] for t in TYPES])
def test_type_round_trips_as_literal_and_bound_value(session, cql_type, literal, from_literal, bound, from_bound):
    session.execute(f"CREATE TABLE t (k int PRIMARY KEY, v {cql_type})")
    session.execute(f"INSERT INTO t (k, v) VALUES (1, {literal})")
    insert = session.prepare("INSERT INTO t (k, v) VALUES (?, ?)")
    session.execute(insert, [2, bound])
    select = session.prepare("SELECT v FROM t WHERE k = ?")

    got_literal = session.execute(select, [1]).one().v
    got_bound = session.execute(select, [2]).one().v
    assert same_value(got_literal, from_literal), (got_literal, from_literal)
    assert same_value(got_bound, from_bound), (got_bound, from_bound)
    # The same rows through an unprepared SELECT.
    got = {row.k: row.v for row in session.execute("SELECT k, v FROM t")}
    assert same_value(got[1], from_literal) and same_value(got[2], from_bound)
    # Bound values in a WHERE clause (the value as key of a second table).
    session.execute(f"CREATE TABLE by_v (v {cql_type} PRIMARY KEY, k int)")
    session.execute(session.prepare("INSERT INTO by_v (v, k) VALUES (?, ?)"), [bound, 2])
    assert session.execute(session.prepare("SELECT k FROM by_v WHERE v = ?"), [bound]).one().k == 2
    assert session.execute(f"SELECT k FROM by_v WHERE v = {literal}").all() == []


def test_empty_string_is_not_null(session):
    session.execute("CREATE TABLE t (k int PRIMARY KEY, v text, b blob)")
    session.execute("INSERT INTO t (k, v, b) VALUES (1, '', 0x)")
    session.execute(session.prepare("INSERT INTO t (k, v, b) VALUES (?, ?, ?)"), [2, "", b""])
    assert session.execute("SELECT v, b FROM t WHERE k = 1").one() == ("", b"")
    assert session.execute("SELECT v, b FROM t WHERE k = 2").one() == ("", b"")


def test_column_never_written_reads_as_null(session):
    session.execute("CREATE TABLE t (k int PRIMARY KEY, a text, b int)")
    session.execute("INSERT INTO t (k, a) VALUES (1, 'x')")
    assert session.execute("SELECT a, b FROM t WHERE k = 1").one() == ("x", None)


# -- keys and slices ---------------------------------------------------------------------------------


def test_composite_partition_key(session):
    session.execute("CREATE TABLE t (a int, b text, c int, v text, PRIMARY KEY ((a, b), c))")
    insert = session.prepare("INSERT INTO t (a, b, c, v) VALUES (?, ?, ?, ?)")
    for a, b, c in [(1, "x", 1), (1, "x", 2), (1, "y", 1), (2, "x", 1)]:
        session.execute(insert, [a, b, c, f"{a}{b}{c}"])
    rows = session.execute("SELECT c, v FROM t WHERE a = 1 AND b = 'x'").all()
    assert [(r.c, r.v) for r in rows] == [(1, "1x1"), (2, "1x2")]
    assert session.execute("SELECT v FROM t WHERE a = 1 AND b = 'y'").all() == [("1y1",)]
    assert session.execute("SELECT v FROM t WHERE a = 2 AND b = 'y'").all() == []
    assert len(session.execute("SELECT * FROM t").all()) == 4


def test_clustering_order_by_desc(session):
    session.execute("CREATE TABLE t (p int, c int, v int, PRIMARY KEY (p, c)) WITH CLUSTERING ORDER BY (c DESC)")
    insert = session.prepare("INSERT INTO t (p, c, v) VALUES (?, ?, ?)")
    for c in [3, 1, 4, 0, 2]:
        session.execute(insert, [0, c, c * 10])
    assert [r.c for r in session.execute("SELECT c FROM t WHERE p = 0")] == [4, 3, 2, 1, 0]
    assert [r.c for r in session.execute("SELECT c FROM t WHERE p = 0 ORDER BY c ASC")] == [0, 1, 2, 3, 4]
    assert [r.c for r in session.execute("SELECT c FROM t WHERE p = 0 AND c < 3")] == [2, 1, 0]


@pytest.mark.parametrize(
    "where, expected",
    [
        ("c = 5", [5]),
        ("c < 3", [0, 1, 2]),
        ("c <= 3", [0, 1, 2, 3]),
        ("c > 7", [8, 9]),
        ("c >= 7", [7, 8, 9]),
        ("c > 2 AND c <= 5", [3, 4, 5]),
        ("c >= 20", []),
    ],
)
def test_clustering_equality_and_slices(session, where, expected):
    session.execute("CREATE TABLE t (p int, c int, v text, PRIMARY KEY (p, c))")
    insert = session.prepare("INSERT INTO t (p, c, v) VALUES (?, ?, ?)")
    for p in (0, 1):
        for c in range(10):
            session.execute(insert, [p, c, f"{p}-{c}"])
    rows = session.execute(f"SELECT p, c, v FROM t WHERE p = 1 AND {where}").all()
    assert [r.c for r in rows] == expected
    assert all(r.p == 1 and r.v == f"1-{r.c}" for r in rows)


def test_in_on_partition_key(session):
    session.execute("CREATE TABLE t (p int, c int, PRIMARY KEY (p, c))")
    insert = session.prepare("INSERT INTO t (p, c) VALUES (?, ?)")
    for p in range(5):
        for c in range(3):
            session.execute(insert, [p, c])
    rows = session.execute("SELECT p, c FROM t WHERE p IN (1, 3)").all()
    assert sorted((r.p, r.c) for r in rows) == [(1, 0), (1, 1), (1, 2), (3, 0), (3, 1), (3, 2)]
    # Within each partition rows keep clustering order.
    for p in (1, 3):
        assert [r.c for r in rows if r.p == p] == [0, 1, 2]
    bound = session.execute(session.prepare("SELECT p FROM t WHERE p IN ? AND c = 0"), [[4, 0, 9]]).all()
    assert sorted(r.p for r in bound) == [0, 4]


def test_limit(session):
    session.execute("CREATE TABLE t (p int, c int, PRIMARY KEY (p, c))")
    insert = session.prepare("INSERT INTO t (p, c) VALUES (?, ?)")
    for p in range(3):
        for c in range(10):
            session.execute(insert, [p, c])
    assert [r.c for r in session.execute("SELECT c FROM t WHERE p = 1 LIMIT 3")] == [0, 1, 2]
    assert len(session.execute("SELECT * FROM t LIMIT 7").all()) == 7
    assert len(session.execute("SELECT * FROM t LIMIT 100").all()) == 30
    limited = session.prepare("SELECT c FROM t WHERE p = ? LIMIT ?")
    assert [r.c for r in session.execute(limited, [2, 2])] == [0, 1]


def test_update_sets_columns_and_upserts(session):
    session.execute("CREATE TABLE t (k int PRIMARY KEY, a text, b int)")
    session.execute("INSERT INTO t (k, a, b) VALUES (1, 'one', 1)")
    session.execute("UPDATE t SET a = 'uno' WHERE k = 1")
    assert session.execute("SELECT a, b FROM t WHERE k = 1").one() == ("uno", 1)
    # UPDATE of a missing row creates it.
    session.execute("UPDATE t SET b = 2 WHERE k = 2")
    assert session.execute("SELECT a, b FROM t WHERE k = 2").one() == (None, 2)
    session.execute(session.prepare("UPDATE t SET a = ?, b = ? WHERE k = ?"), ["tres", 3, 3])
    assert session.execute("SELECT a, b FROM t WHERE k = 3").one() == ("tres", 3)


def test_insert_overwrites_existing_row(session):
    session.execute("CREATE TABLE t (k int PRIMARY KEY, a text)")
    session.execute("INSERT INTO t (k, a) VALUES (1, 'first')")
    session.execute("INSERT INTO t (k, a) VALUES (1, 'second')")
    assert session.execute("SELECT a FROM t WHERE k = 1").all() == [("second",)]


def test_delete_row(session):
    session.execute("CREATE TABLE t (p int, c int, v text, PRIMARY KEY (p, c))")
    for c in range(3):
        session.execute("INSERT INTO t (p, c, v) VALUES (0, %s, 'x')", (c,))
    session.execute("DELETE FROM t WHERE p = 0 AND c = 1")
    assert [r.c for r in session.execute("SELECT c FROM t WHERE p = 0")] == [0, 2]
    session.execute("DELETE FROM t WHERE p = 0")
    assert session.execute("SELECT * FROM t WHERE p = 0").all() == []
    # Writing again after a delete works.
    session.execute("INSERT INTO t (p, c, v) VALUES (0, 1, 'back')")
    assert session.execute("SELECT v FROM t WHERE p = 0 AND c = 1").one().v == "back"


def test_delete_single_column(session):
    session.execute("CREATE TABLE t (k int PRIMARY KEY, a text, b text)")
    session.execute("INSERT INTO t (k, a, b) VALUES (1, 'a', 'b')")
    session.execute("DELETE a FROM t WHERE k = 1")
    assert session.execute("SELECT a, b FROM t WHERE k = 1").one() == (None, "b")


def test_drop_table_then_create_again_starts_empty(session, cluster):
    session.execute("CREATE TABLE t (k int PRIMARY KEY, v text)")
    session.execute("INSERT INTO t (k, v) VALUES (1, 'old')")
    session.execute("DROP TABLE t")
    session.execute("CREATE TABLE t (k int PRIMARY KEY, v text, extra int)")
    assert session.execute("SELECT * FROM t").all() == []
    assert session.execute("SELECT * FROM t WHERE k = 1").all() == []
    assert "extra" in cluster.metadata.keyspaces[session.keyspace].tables["t"].columns


def test_empty_batch_is_valid(session):
    session.execute("BEGIN BATCH APPLY BATCH")
    session.execute("BEGIN UNLOGGED BATCH APPLY BATCH;")


def test_batch_statement_applies_all_writes(session):
    session.execute("CREATE TABLE t (k int PRIMARY KEY, v text)")
    session.execute(
        "BEGIN BATCH "
        "INSERT INTO t (k, v) VALUES (1, 'a'); "
        "INSERT INTO t (k, v) VALUES (2, 'b'); "
        "UPDATE t SET v = 'c' WHERE k = 3; "
        "APPLY BATCH"
    )
    assert sorted(tuple(r) for r in session.execute("SELECT k, v FROM t")) == [(1, "a"), (2, "b"), (3, "c")]


def test_batch_message_with_prepared_and_simple_statements(session):
    session.execute("CREATE TABLE t (k int PRIMARY KEY, v text)")
    insert = session.prepare("INSERT INTO t (k, v) VALUES (?, ?)")
    for kind in (BatchType.LOGGED, BatchType.UNLOGGED):
        batch = BatchStatement(batch_type=kind)
        batch.add(insert, (1, "prepared"))
        batch.add(SimpleStatement("INSERT INTO t (k, v) VALUES (%s, %s)"), (2, "simple"))
        batch.add("DELETE FROM t WHERE k = 3")
        session.execute(batch)
    assert sorted(tuple(r) for r in session.execute("SELECT k, v FROM t")) == [(1, "prepared"), (2, "simple")]


def test_use_keyspace(cluster, session):
    ks = session.keyspace
    session.execute("CREATE TABLE t (k int PRIMARY KEY)")
    session.execute("INSERT INTO t (k) VALUES (7)")
    other = cluster.connect()
    try:
        assert other.keyspace is None
        other.execute(f"USE {ks}")
        assert other.keyspace == ks
        assert other.execute("SELECT k FROM t").one().k == 7
        other.execute("USE system")
        assert other.execute("SELECT key FROM local").one().key == "local"
    finally:
        other.shutdown()


def test_fully_qualified_names_need_no_keyspace(cluster, session):
    ks = session.keyspace
    session.execute("CREATE TABLE t (k int PRIMARY KEY, v int)")
    other = cluster.connect()
    try:
        other.execute(f"INSERT INTO {ks}.t (k, v) VALUES (1, 10)")
        assert other.execute(f"SELECT v FROM {ks}.t WHERE k = 1").one().v == 10
    finally:
        other.shutdown()


def test_quoted_identifiers_keep_case(session):
    session.execute('CREATE TABLE "MixedCase" ("Key" int PRIMARY KEY, "Value" text)')
    session.execute('INSERT INTO "MixedCase" ("Key", "Value") VALUES (1, \'v\')')
    row = session.execute('SELECT "Key", "Value" FROM "MixedCase"').one()
    assert row == (1, "v")
    assert row._fields == ("Key", "Value")
