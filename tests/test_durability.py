"""Durability: acknowledged writes survive a crash (SIGKILL), a clean shutdown, and memtable flushes.

Every server here runs with `commitlog_sync: batch`, so a write is acknowledged only once the
commitlog segment holding it is fsynced.
"""

import hashlib
import time

import pytest
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.query import SimpleStatement

ROWS = 2_000

pytestmark = pytest.mark.timeout(300)


def payload(i, size=32):
    """Deterministic per row (checked after restart) and not very compressible."""
    text, n = "", 0
    while len(text) < size:
        text += hashlib.sha256(f"{i}:{n}".encode()).hexdigest()
        n += 1
    return text[:size]


def write_rows(server, rows=ROWS, size=32):
    cluster = server.cluster()
    try:
        session = cluster.connect()
        session.execute(
            "CREATE KEYSPACE durable WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"
        )
        session.execute("CREATE TABLE durable.kv (k int PRIMARY KEY, v text)")
        insert = session.prepare("INSERT INTO durable.kv (k, v) VALUES (?, ?)")
        results = execute_concurrent_with_args(session, insert, [(i, payload(i, size)) for i in range(rows)],
                                               concurrency=50)
        assert all(r.success for r in results)
    finally:
        cluster.shutdown()


def read_rows(server):
    cluster = server.cluster()
    try:
        session = cluster.connect()
        rows = session.execute(SimpleStatement("SELECT k, v FROM durable.kv", fetch_size=1000))
        return {row.k: row.v for row in rows}
    finally:
        cluster.shutdown()


def assert_all_rows(server, rows=ROWS, size=32):
    found = read_rows(server)
    missing = [k for k in range(rows) if k not in found]
    assert not missing, f"{len(missing)} acknowledged rows lost, e.g. {missing[:10]}\n{server.all_logs()}"
    wrong = [k for k in range(rows) if found[k] != payload(k, size)]
    assert not wrong, f"{len(wrong)} rows changed, e.g. {wrong[:10]}"
    assert len(found) == rows


def directory_bytes(path):
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def test_acknowledged_writes_survive_sigkill(sibyl_factory):
    server = sibyl_factory()
    write_rows(server)
    server.kill()
    assert server.proc.returncode == -9
    server.start()
    assert_all_rows(server)


def test_clean_shutdown_exits_zero_quickly_and_keeps_every_row(sibyl_factory):
    server = sibyl_factory()
    write_rows(server)
    started = time.monotonic()
    assert server.stop() == 0, server.log()
    assert time.monotonic() - started < 15, "clean shutdown took too long"
    assert "Sibyl stopped" in server.log()
    server.start()
    assert_all_rows(server)


def test_rows_survive_restart_after_memtable_flushes(sibyl_factory):
    # 2,000 rows of ~512 bytes is ~1 MiB: with a 64 KiB threshold the memtable is flushed many times.
    server = sibyl_factory("--memtable-flush-threshold", "64KiB")
    write_rows(server, size=512)
    deadline = time.monotonic() + 30
    while directory_bytes(server.data_dir) < 64 * 1024 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert directory_bytes(server.data_dir) >= 64 * 1024, "no SSTables were written to the data directory"
    server.kill()
    server.start()
    assert_all_rows(server, size=512)
    # And once more after a clean shutdown (flush of the rest, then reading only SSTables + replay).
    server.restart()
    assert_all_rows(server, size=512)


def test_deletes_and_overwrites_survive_sigkill(sibyl_factory):
    server = sibyl_factory()
    write_rows(server, rows=200)
    cluster = server.cluster()
    try:
        session = cluster.connect("durable")
        for k in range(0, 200, 2):
            session.execute("DELETE FROM kv WHERE k = %s", (k,))
        session.execute("UPDATE kv SET v = 'changed' WHERE k = 1")
    finally:
        cluster.shutdown()
    server.kill()
    server.start()
    found = read_rows(server)
    assert sorted(found) == list(range(1, 200, 2))
    assert found[1] == "changed"
    assert found[3] == payload(3)


def test_schema_survives_sigkill(sibyl_factory):
    server = sibyl_factory()
    cluster = server.cluster()
    try:
        session = cluster.connect()
        session.execute(
            "CREATE KEYSPACE durable WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"
        )
        session.execute("CREATE TABLE durable.a (k int PRIMARY KEY, v text)")
        session.execute("CREATE TABLE durable.b (p int, c int, PRIMARY KEY (p, c)) WITH CLUSTERING ORDER BY (c DESC)")
        session.execute("DROP TABLE durable.a")
    finally:
        cluster.shutdown()
    server.kill()
    server.start()
    cluster = server.cluster()
    try:
        cluster.connect()
        tables = cluster.metadata.keyspaces["durable"].tables
        assert sorted(tables) == ["b"]
        assert tables["b"].clustering_key[0].is_reversed
    finally:
        cluster.shutdown()
