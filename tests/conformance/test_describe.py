"""DESCRIBE: the server-side statement of Cassandra 5.0, through the driver (rows of keyspace_name,
type, name, create_statement) and through cqlsh -e.

Sources (apache/cassandra):
- test/unit/org/apache/cassandra/cql3/statements/DescribeStatementTest.java
  (testDescribeTableAndMaterializedViewWithClustringOrder, testDescribeTableWithInternals,
  testDescribeTypes, testDescribe: allTypesTable, "DESCRIBE TABLES", the not-found messages, and
  tableParametersCql(), the table options Cassandra 5.0 prints).
"""

import pytest

from .util import assert_invalid

TABLE_PARAMETERS = """additional_write_policy = '99p'
    AND allow_auto_snapshot = true
    AND bloom_filter_fp_chance = 0.01
    AND caching = {'keys': 'ALL', 'rows_per_partition': 'NONE'}
    AND cdc = false
    AND comment = ''
    AND compaction = {'class': 'org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy', \
'max_threshold': '32', 'min_threshold': '4'}
    AND compression = {'chunk_length_in_kb': '16', 'class': 'org.apache.cassandra.io.compress.LZ4Compressor'}
    AND memtable = 'default'
    AND crc_check_chance = 1.0
    AND default_time_to_live = 0
    AND extensions = {}
    AND gc_grace_seconds = 864000
    AND incremental_backups = true
    AND max_index_interval = 2048
    AND memtable_flush_period_in_ms = 0
    AND min_index_interval = 128
    AND read_repair = 'BLOCKING'
    AND speculative_retry = '99p';"""


def describe(cql, statement):
    result = cql.execute(statement)
    return result.column_names, [tuple(r) for r in result]


def test_describe_table_with_clustering_order(cql, ks, t):
    # Partition key, clustering columns, then simple regular columns before the non-frozen collections.
    cql.execute(f"CREATE TABLE IF NOT EXISTS {t} (pk1 int, pk2 int, ck1 int, ck2 int, reg1 int, reg2 list<int>, "
                "reg3 int, PRIMARY KEY ((pk1, pk2), ck1, ck2)) WITH CLUSTERING ORDER BY (ck1 ASC, ck2 DESC);")
    expected = (f"CREATE TABLE {ks}.{t} (\n"
                "    pk1 int,\n    pk2 int,\n    ck1 int,\n    ck2 int,\n    reg1 int,\n    reg3 int,\n"
                "    reg2 list<int>,\n    PRIMARY KEY ((pk1, pk2), ck1, ck2)\n"
                ") WITH CLUSTERING ORDER BY (ck1 ASC, ck2 DESC)\n    AND " + TABLE_PARAMETERS)
    names, got = describe(cql, f"DESCRIBE TABLE {ks}.{t}")
    assert names == ["keyspace_name", "type", "name", "create_statement"]
    assert got == [(ks, "table", t, expected)]


def test_describe_table_with_static_columns(cql, ks, t):
    cql.execute(f"CREATE TABLE {t} (pk1 text, pk2 int, c int, s decimal static, v1 text, v2 int, v3 int, "
                "PRIMARY KEY ((pk1, pk2), c ))")
    expected = (f"CREATE TABLE {ks}.{t} (\n"
                "    pk1 text,\n    pk2 int,\n    c int,\n    s decimal static,\n    v1 text,\n    v2 int,\n"
                "    v3 int,\n    PRIMARY KEY ((pk1, pk2), c)\n"
                ") WITH CLUSTERING ORDER BY (c ASC)\n    AND " + TABLE_PARAMETERS)
    assert describe(cql, f"DESC TABLE {ks}.{t}")[1] == [(ks, "table", t, expected)]


def test_describe_table_with_every_type(cql, ks, t):
    # DescribeStatementTest.allTypesTable: varchar is shown as text; frozen collections and tuples
    # sort with the simple columns, non-frozen collections come last.
    cql.execute(f"CREATE TABLE {t} (num int PRIMARY KEY, asciicol ascii, bigintcol bigint, blobcol blob, "
                "booleancol boolean, decimalcol decimal, doublecol double, durationcol duration, floatcol float, "
                "frozenlistcol frozen<list<text>>, frozenmapcol frozen<map<timestamp, timeuuid>>, "
                "frozensetcol frozen<set<bigint>>, intcol int, smallintcol smallint, textcol text, "
                "timestampcol timestamp, tinyintcol tinyint, tuplecol frozen<tuple<text, int, frozen<tuple<timestamp>>>>, "
                "uuidcol uuid, varcharcol varchar, varintcol varint, listcol list<decimal>, "
                "mapcol map<timestamp, timeuuid>, setcol set<tinyint>)")
    expected = (f"CREATE TABLE {ks}.{t} (\n"
                "    num int PRIMARY KEY,\n    asciicol ascii,\n    bigintcol bigint,\n    blobcol blob,\n"
                "    booleancol boolean,\n    decimalcol decimal,\n    doublecol double,\n    durationcol duration,\n"
                "    floatcol float,\n    frozenlistcol frozen<list<text>>,\n"
                "    frozenmapcol frozen<map<timestamp, timeuuid>>,\n    frozensetcol frozen<set<bigint>>,\n"
                "    intcol int,\n    smallintcol smallint,\n    textcol text,\n    timestampcol timestamp,\n"
                "    tinyintcol tinyint,\n    tuplecol frozen<tuple<text, int, frozen<tuple<timestamp>>>>,\n"
                "    uuidcol uuid,\n    varcharcol text,\n    varintcol varint,\n    listcol list<decimal>,\n"
                "    mapcol map<timestamp, timeuuid>,\n    setcol set<tinyint>\n) WITH " + TABLE_PARAMETERS)
    assert describe(cql, f"DESCRIBE {ks}.{t}")[1] == [(ks, "table", t, expected)]


def test_describe_table_with_a_quoted_name(cql, ks, t):
    # DescribeStatementTest.testDescribe: test."Test" (id int, col int, val text, PRIMARY KEY(id, col)).
    name = f'"{t.upper()}x"'
    cql.execute(f"CREATE TABLE {name} (id int, col int, val text, PRIMARY KEY(id, col))")
    expected = (f"CREATE TABLE {ks}.{name} (\n    id int,\n    col int,\n    val text,\n    PRIMARY KEY (id, col)\n"
                ") WITH CLUSTERING ORDER BY (col ASC)\n    AND " + TABLE_PARAMETERS)
    assert describe(cql, f"DESCRIBE TABLE {ks}.{name}")[1] == [(ks, "table", name, expected)]


def test_describe_table_uses_the_current_keyspace(cql, ks, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v text)")
    assert describe(cql, f"describe table {t}")[1] == describe(cql, f"DESCRIBE TABLE {ks}.{t}")[1]
    assert describe(cql, f"desc columnfamily {t}")[1] == describe(cql, f"DESCRIBE TABLE {ks}.{t}")[1]


def test_describe_type(cql, ks, t):
    # DescribeStatementTest.testDescribeTypes.
    cql.execute(f"CREATE TYPE {t}_b (x text, y text)")
    cql.execute(f"CREATE TYPE {t}_a (a int, b frozen<{t}_b>)")
    assert describe(cql, f"DESCRIBE TYPE {t}_b")[1] == [
        (ks, "type", f"{t}_b", f"CREATE TYPE {ks}.{t}_b (\n    x text,\n    y text\n);")]
    assert describe(cql, f"DESCRIBE TYPE {ks}.{t}_a")[1] == [
        (ks, "type", f"{t}_a", f"CREATE TYPE {ks}.{t}_a (\n    a int,\n    b frozen<{t}_b>\n);")]


def test_describe_keyspace_lists_keyspace_types_then_tables(conformance_cluster, t):
    # DescribeStatementTest.testDescribeTypes / testDescribeWithCustomIndex: the keyspace first, then its
    # types (a type after those it uses), then its tables.
    ks = f"describe_{t}"
    session = conformance_cluster.connect()
    try:
        session.execute(f"CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}")
        session.execute(f"CREATE TYPE {ks}.zz_inner (x text)")
        session.execute(f"CREATE TYPE {ks}.aa_outer (a text, b frozen<zz_inner>)")
        session.execute(f"CREATE TABLE {ks}.users (id int PRIMARY KEY, value text)")
        got = [tuple(r) for r in session.execute(f"DESCRIBE KEYSPACE {ks}")]
        assert got == [
            (ks, "keyspace", ks, f"CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', "
                                 "'replication_factor': '1'}  AND durable_writes = true;"),
            (ks, "type", "zz_inner", f"CREATE TYPE {ks}.zz_inner (\n    x text\n);"),
            (ks, "type", "aa_outer", f"CREATE TYPE {ks}.aa_outer (\n    a text,\n    b frozen<zz_inner>\n);"),
            (ks, "table", "users", f"CREATE TABLE {ks}.users (\n    id int PRIMARY KEY,\n    value text\n) WITH "
                                   + TABLE_PARAMETERS),
        ]
        only = [tuple(r) for r in session.execute(f"DESCRIBE ONLY KEYSPACE {ks}")]
        assert only == got[:1]
    finally:
        session.execute(f"DROP KEYSPACE IF EXISTS {ks}")
        session.shutdown()


def test_describe_tables_lists_names(conformance_cluster, t):
    ks = f"describe_{t}"
    session = conformance_cluster.connect()
    try:
        session.execute(f"CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}")
        session.execute(f"CREATE TABLE {ks}.b_table (k int PRIMARY KEY)")
        session.execute(f"CREATE TABLE {ks}.a_table (k int PRIMARY KEY)")
        session.set_keyspace(ks)
        result = session.execute("DESCRIBE TABLES")
        assert result.column_names == ["keyspace_name", "type", "name"]
        assert [tuple(r) for r in result] == [(ks, "table", "a_table"), (ks, "table", "b_table")]
    finally:
        session.execute(f"DROP KEYSPACE IF EXISTS {ks}")
        session.shutdown()


def test_describe_of_a_missing_table(cql, ks):
    assert_invalid(cql, f"DESCRIBE {ks}.users2", f"'users2' not found in keyspace '{ks}'")
    assert_invalid(cql, f"DESCRIBE TABLE {ks}.users2", f"'users2' not found in keyspace '{ks}'", exact=False)


def test_describe_of_a_missing_keyspace(conformance_cluster):
    # testDescribeNotFound runs this without a current keyspace (with one, the name is looked up in it).
    session = conformance_cluster.connect()
    try:
        assert_invalid(session, "DESCRIBE nosuchkeyspace_xyz", "'nosuchkeyspace_xyz' not found in keyspaces")
    finally:
        session.shutdown()


# -- through cqlsh -e ----------------------------------------------------------------------------------

VERSION_WARNING = "WARNING: cqlsh was built against"


def cqlsh_text(sibyl, statement):
    result = sibyl.cqlsh(statement)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.strip() == "", result.stderr
    lines = [line for line in result.stdout.splitlines() if not line.startswith(VERSION_WARNING)]
    return "\n".join(lines).strip("\n")


def test_cqlsh_describe_table_prints_the_create_statement(cql, sibyl, ks, t):
    cql.execute(f"CREATE TABLE {t} (p int, c text, v list<int>, PRIMARY KEY (p, c)) WITH CLUSTERING ORDER BY (c DESC)")
    expected = (f"CREATE TABLE {ks}.{t} (\n    p int,\n    c text,\n    v list<int>,\n    PRIMARY KEY (p, c)\n"
                ") WITH CLUSTERING ORDER BY (c DESC)\n    AND " + TABLE_PARAMETERS)
    assert cqlsh_text(sibyl, f"DESCRIBE TABLE {ks}.{t};") == expected


def test_cqlsh_describe_type(cql, sibyl, ks, t):
    cql.execute(f"CREATE TYPE {t} (x text, y text)")
    assert cqlsh_text(sibyl, f"DESCRIBE TYPE {ks}.{t};") == f"CREATE TYPE {ks}.{t} (\n    x text,\n    y text\n);"


def test_cqlsh_describe_of_a_missing_table_is_an_error(cql, sibyl, ks):
    result = sibyl.cqlsh(f"DESCRIBE TABLE {ks}.nope;")
    assert result.returncode != 0
    assert f"'nope' not found in keyspace '{ks}'" in result.stderr
