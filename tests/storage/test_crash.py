"""Crash tests of the storage engine, end to end: a real server under a concurrent write load is
SIGKILLed, restarted on the same directories, and every acknowledged write must be there.

Several threads insert, overwrite and delete rows through the Python driver, each recording what the
server acknowledged; small memtables make flushes and compactions (size-tiered and leveled tables)
run during the load, so the kill lands in the middle of them too. A request in flight when the
server dies may or may not have been applied: each thread has at most one, and the check accepts
either outcome for it.

Durability per `commitlog_sync` mode (see docs/storage.md):

* `batch` and `group`: a write is acknowledged after the fsync covering it, so nothing acknowledged
  is lost even on power loss;
* `periodic`: a write is acknowledged once its commitlog record is written to the OS (not fsynced).
  A *process* kill loses nothing, which this test checks with a sync period longer than the test,
  so that no fsync at all happens before the kill. A power loss or kernel crash can lose up to one
  `commitlog_sync_period` of acknowledged writes (not testable from here).
"""

import hashlib
import threading
import time

import pytest
from cassandra.query import SimpleStatement

from conftest import SibylServer

pytestmark = pytest.mark.timeout(90)

THREADS = 6
LOAD_SECONDS = 3.0
TABLES = ("kv_stcs", "kv_lcs")


class SyncModeServer(SibylServer):
    """A server whose `--commitlog-sync` is `sync` instead of conftest's `batch`."""

    def __init__(self, workdir, sync, extra_args=()):
        super().__init__(workdir, extra_args)
        self.sync = sync

    def command(self):
        cmd = super().command()
        cmd[cmd.index("--commitlog-sync") + 1] = self.sync
        return cmd


@pytest.fixture
def server_factory(tmp_path, request):
    servers = []

    def start(sync, *extra_args):
        server = SyncModeServer(tmp_path / f"server{len(servers)}", sync, extra_args)
        servers.append(server)
        return server.start()

    yield start
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for server in servers:
        if server.running:
            server.stop()
        if failed:
            print(server.all_logs())


def payload(key, version):
    return hashlib.sha256(f"{key}:{version}".encode()).hexdigest() * 4


class Writer(threading.Thread):
    """Inserts new keys, overwrites and deletes some of its own, one request at a time, until told to
    stop or until the server goes away. `acked` maps each key to its acknowledged state (a value, or
    None when deleted); `in_flight` is the one request whose outcome is unknown."""

    def __init__(self, session, statements, number, stop):
        super().__init__(daemon=True)
        self.session = session
        self.statements = statements
        self.number = number
        self.stop = stop
        self.acked = {}
        self.in_flight = None
        self.error = None

    def run(self):
        insert, delete = self.statements
        i = 0
        while not self.stop.is_set():
            key = self.number * 1_000_000 + i
            if i % 10 == 7 and i >= 5:
                op = (key - 5, None)  # delete a key written a little earlier
            elif i % 10 == 3 and i >= 2:
                op = (key - 2, payload(key - 2, i))  # overwrite
            else:
                op = (key, payload(key, i))
            self.in_flight = op
            try:
                if op[1] is None:
                    self.session.execute(delete, (op[0],))
                else:
                    self.session.execute(insert, op)
            except Exception as e:  # the server was killed: the outcome of `op` is unknown
                self.error = e
                return
            self.acked[op[0]] = op[1]
            self.in_flight = None
            i += 1


def run_load_and_kill(server, table, first_writer=0):
    """Runs the write load against `table`, SIGKILLs the server mid-load; returns the writers (their
    numbers, which choose their keys, start at `first_writer`)."""
    cluster = server.cluster()
    session = cluster.connect("crash")
    insert = session.prepare(f"INSERT INTO {table} (k, v) VALUES (?, ?)")
    delete = session.prepare(f"DELETE FROM {table} WHERE k = ?")
    stop = threading.Event()
    writers = [Writer(session, (insert, delete), first_writer + n, stop) for n in range(THREADS)]
    for w in writers:
        w.start()
    time.sleep(LOAD_SECONDS)
    server.kill()  # SIGKILL while the writers are busy
    assert server.proc.returncode == -9
    stop.set()
    for w in writers:
        w.join(30)
        assert not w.is_alive(), "a writer did not notice the server was gone"
    cluster.shutdown()
    return writers


def read_table(server, table):
    cluster = server.cluster()
    try:
        session = cluster.connect("crash")
        rows = session.execute(SimpleStatement(f"SELECT k, v FROM {table}", fetch_size=2000))
        return {row.k: row.v for row in rows}
    finally:
        cluster.shutdown()


def check_writers(server, table, writers):
    found = read_table(server, table)
    acked = sum(len(w.acked) for w in writers)
    assert acked > 100, f"only {acked} writes were acknowledged before the kill"
    lost, wrong = [], []
    for w in writers:
        for key, value in w.acked.items():
            possible = {value}
            if w.in_flight is not None and w.in_flight[0] == key:
                possible.add(w.in_flight[1])
            got = found.get(key)
            if got not in possible:
                (lost if value is not None and got is None else wrong).append((key, value is None, got is None))
    assert not lost, f"{table}: {len(lost)} of {acked} acknowledged writes lost, e.g. {lost[:5]}\n{server.all_logs()}"
    assert not wrong, f"{table}: {len(wrong)} rows differ from what was acknowledged, e.g. {wrong[:5]}"
    print(f"{table}: {acked} acknowledged writes checked after the kill, {len(found)} rows")
    # Nothing appears that was never written.
    written = {key for w in writers for key in w.acked} | {w.in_flight[0] for w in writers if w.in_flight}
    assert set(found) <= written


def create_schema(server):
    cluster = server.cluster()
    try:
        session = cluster.connect()
        session.execute(
            "CREATE KEYSPACE crash WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"
        )
        session.execute("CREATE TABLE crash.kv_stcs (k bigint PRIMARY KEY, v text)")
        session.execute(
            "CREATE TABLE crash.kv_lcs (k bigint PRIMARY KEY, v text) "
            "WITH compaction = {'class': 'LeveledCompactionStrategy', 'sstable_size_in_mb': '1'}"
        )
    finally:
        cluster.shutdown()


@pytest.mark.parametrize(
    "sync, extra",
    [
        ("batch", ()),
        ("group", ("--commitlog-sync-group-window", "2ms")),
        # No fsync at all during the test: what survives a process kill is what reached the OS.
        ("periodic", ("--commitlog-sync-period", "600s")),
    ],
)
def test_acknowledged_writes_survive_sigkill_under_load(server_factory, sync, extra):
    started = time.monotonic()
    server = server_factory(sync, "--memtable-flush-threshold", "128KiB", "--compaction-threshold", "4", *extra)
    create_schema(server)
    for table in TABLES:
        writers = run_load_and_kill(server, table)
        server.start()
        check_writers(server, table, writers)
    # Both tables once more after a clean restart: flushed SSTables and compacted data agree.
    assert server.stop() == 0, server.log()
    server.start()
    for table in TABLES:
        assert read_table(server, table) is not None
    assert time.monotonic() - started < 40, "the crash test took too long"


def test_sstables_and_compactions_interrupted_by_sigkill_recover(server_factory):
    """Kills again and again while flushes and compactions run, checking the data each time."""
    server = server_factory("batch", "--memtable-flush-threshold", "64KiB", "--compaction-threshold", "2")
    create_schema(server)
    table = "kv_lcs"
    history = []
    for round_number in range(3):
        writers = run_load_and_kill(server, table, first_writer=THREADS * round_number)  # new keys each round
        history.append(writers)
        server.start()
        # Every round's acknowledged writes are still there, not only the last one's.
        found = read_table(server, table)
        for writers in history:
            for w in writers:
                for key, value in w.acked.items():
                    if w.in_flight is not None and w.in_flight[0] == key:
                        continue
                    assert found.get(key) == value, f"round {round_number}: key {key} lost\n{server.all_logs()}"
    data_files = list(server.data_dir.rglob("*-Data.db"))
    assert data_files, "no SSTable was ever written"
