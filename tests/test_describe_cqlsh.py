"""cqlsh (PyPI 6.2.x) against Sibyl: query output and server-side DESCRIBE as Cassandra 5.0 prints them."""

import pytest

from conftest import run_cqlsh

# `DESCRIBE TABLE demo.users` on Cassandra 5.0 for a table created with default options
# (TableParams.appendCqlTo in 5.0; Cassandra's DescribeStatementTest.tableParametersCql).
DESCRIBE_DEMO_USERS = """\
CREATE TABLE demo.users (
    id int PRIMARY KEY,
    email text,
    name text
) WITH additional_write_policy = '99p'
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

# Cassandra 5.0 prints the short strategy name and two spaces before AND.
DESCRIBE_DEMO_KEYSPACE = (
    "CREATE KEYSPACE demo WITH replication = {'class': 'SimpleStrategy', 'replication_factor': '1'}"
    "  AND durable_writes = true;"
)

VERSION_WARNING = "WARNING: cqlsh was built against"


@pytest.fixture(scope="module")
def demo(sibyl, cluster):
    session = cluster.connect()
    session.execute("DROP KEYSPACE IF EXISTS demo")
    session.execute(
        "CREATE KEYSPACE demo WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"
    )
    session.execute("CREATE TABLE demo.users (id int PRIMARY KEY, name text, email text)")
    session.execute("INSERT INTO demo.users (id, name, email) VALUES (1, 'Ada', 'ada@example.com')")
    yield sibyl
    session.execute("DROP KEYSPACE IF EXISTS demo")
    session.shutdown()


def cqlsh_lines(server, statement, tmp_path):
    """Runs cqlsh -e and returns its stdout lines, after checking it exited 0 without an error."""
    result = run_cqlsh(server.host, server.port, statement, home=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert result.stderr.strip() == "", result.stderr
    lines = [line for line in result.stdout.splitlines() if not line.startswith(VERSION_WARNING)]
    for line in lines:
        assert "Error" not in line and "Traceback" not in line, output
    # Leading and trailing blank lines are layout, not content.
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def test_cqlsh_select_prints_cassandra_style_table(demo, tmp_path):
    assert cqlsh_lines(demo, "SELECT * FROM demo.users;", tmp_path) == [
        " id | email           | name",
        "----+-----------------+------",
        "  1 | ada@example.com |  Ada",
        "",
        "(1 rows)",
    ]


def test_cqlsh_select_with_no_rows_prints_header_and_zero_rows(demo, tmp_path):
    assert cqlsh_lines(demo, "SELECT name FROM demo.users WHERE id = 42;", tmp_path) == [
        " name",
        "------",
        "",
        "",
        "(0 rows)",
    ]


def test_cqlsh_describe_table_prints_cassandra_5_create_statement(demo, tmp_path):
    assert "\n".join(cqlsh_lines(demo, "DESCRIBE TABLE demo.users;", tmp_path)) == DESCRIBE_DEMO_USERS


def test_cqlsh_desc_short_form_is_the_same(demo, tmp_path):
    assert "\n".join(cqlsh_lines(demo, "desc demo.users", tmp_path)) == DESCRIBE_DEMO_USERS


def test_cqlsh_describe_keyspace_prints_keyspace_then_tables(demo, tmp_path):
    text = "\n".join(cqlsh_lines(demo, "DESCRIBE KEYSPACE demo;", tmp_path))
    assert text == DESCRIBE_DEMO_KEYSPACE + "\n\n" + DESCRIBE_DEMO_USERS


def test_cqlsh_describe_keyspaces_lists_every_keyspace(demo, tmp_path):
    names = " ".join(cqlsh_lines(demo, "DESCRIBE KEYSPACES;", tmp_path)).split()
    for keyspace in ("demo", "system", "system_schema"):
        assert keyspace in names, names
    assert len(names) == len(set(names))


def test_cqlsh_describe_tables_in_keyspace(demo, tmp_path):
    lines = cqlsh_lines(demo, "USE demo; DESCRIBE TABLES;", tmp_path)
    assert [line.strip() for line in lines] == ["users"]


def test_cqlsh_reports_a_missing_table_as_an_error(demo, tmp_path):
    result = run_cqlsh(demo.host, demo.port, "SELECT * FROM demo.nope;", home=tmp_path)
    assert result.returncode != 0
    assert "table nope does not exist" in result.stderr


def test_cqlsh_inserts_and_reads_back(demo, tmp_path):
    cqlsh_lines(demo, "INSERT INTO demo.users (id, name, email) VALUES (2, 'Grace', 'grace@example.com');", tmp_path)
    lines = cqlsh_lines(demo, "SELECT name FROM demo.users WHERE id = 2;", tmp_path)
    assert lines == [" name", "-------", " Grace", "", "(1 rows)"]
    cqlsh_lines(demo, "DELETE FROM demo.users WHERE id = 2;", tmp_path)
